/* `vlab graph [LAB|FILE]`: a running lab or a topology file drawn as
 * Graphviz dot or Mermaid (graph.c renders).
 *
 * Threads: the CLI's main thread. */
#include "labctl.h"

#include "labctl_priv.h"

#include <stdio.h>
#include <string.h>

#include "graph.h"

int labctl_graph(const struct vlab_opts *opts, int argc, char **argv)
{
	struct topo *t = topo_new();
	enum graph_format f = GRAPH_DOT;
	const char *what = NULL;
	char lab[NODE_NAME_MAX];
	int ret = VLAB_EXIT_FAIL;

	if (!t) {
		labctl_say("out of memory");
		return VLAB_EXIT_FAIL;
	}
	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			printf("usage: vlab graph [LAB|FILE] [--format dot|mermaid]\n");
			ret = VLAB_EXIT_OK;
			goto out_free;
		} else if (!strcmp(argv[i], "--format") && i + 1 < argc) {
			if (graph_format_parse(argv[++i], &f) < 0) {
				labctl_say("--format must be dot or mermaid");
				ret = VLAB_EXIT_USAGE;
				goto out_free;
			}
		} else if (argv[i][0] != '-') {
			what = argv[i];
		} else {
			labctl_say("unexpected argument \"%s\"", argv[i]);
			ret = VLAB_EXIT_USAGE;
			goto out_free;
		}
	}
	if (what && (strchr(what, '/') || strstr(what, ".yaml") || strstr(what, ".yml"))) {
		if (labctl_load_topo(what, t) < 0)
			goto out_free;
	} else {
		char *argv1[] = {(char *)what, NULL};

		if (labctl_lab_arg(what ? 1 : 0, argv1, lab, sizeof(lab)) < 0)
			goto out_free;
		if (labctl_applied_topo(lab, t) < 0) {
			labctl_say("lab \"%s\" is not running", lab);
			goto out_free;
		}
	}
	ret = graph_render(t, f, stdout) < 0 ? VLAB_EXIT_FAIL : VLAB_EXIT_OK;
out_free:
	topo_free(t);
	return ret;
}
