/* `vlab exec [LAB/]NODE -- CMD` and `vlab console [LAB/]NODE`: a command
 * run in a node (its exit status is vlab's), the node's console.
 *
 * Threads: the CLI's main thread. */
#include "labctl.h"

#include "labctl_priv.h"

#include <stdio.h>
#include <string.h>

#include "vm.h"
#include "vm_cmd.h"

int labctl_exec(const struct vlab_opts *opts, int argc, char **argv)
{
	char lab[NODE_NAME_MAX], node[NODE_NAME_MAX], err[512];
	struct vm_exec_result r;
	int dash = -1, rc;

	for (int i = 0; i < argc; i++)
		if (!strcmp(argv[i], "--")) {
			dash = i + 1;
			break;
		}
	if (argc == 0 || !strcmp(argv[0], "-h") || !strcmp(argv[0], "--help") || dash != 2 ||
	    dash >= argc) {
		fprintf(argc && !strcmp(argv[0], "--help") ? stdout : stderr,
			"usage: vlab exec [LAB/]NODE -- CMD [ARGS]\n");
		return argc && (!strcmp(argv[0], "-h") || !strcmp(argv[0], "--help"))
			   ? VLAB_EXIT_OK
			   : VLAB_EXIT_USAGE;
	}
	if (labctl_resolve(argv[0], lab, sizeof(lab), node, sizeof(node), err, sizeof(err)) < 0) {
		labctl_say("%s", err);
		return VLAB_EXIT_FAIL;
	}
	rc = vm_exec(lab, node, (const char *const *)&argv[dash], 300000, &r, err, sizeof(err));
	if (rc < 0) {
		labctl_say("%s", err);
		return VLAB_EXIT_FAIL;
	}
	rc = vmcmd_print_exec(opts, &r);
	vm_exec_result_free(&r);
	return rc;
}

int labctl_console(const struct vlab_opts *opts, int argc, char **argv)
{
	char lab[NODE_NAME_MAX], node[NODE_NAME_MAX], err[512];

	if (argc != 1 || argv[0][0] == '-') {
		printf("usage: vlab console [LAB/]NODE\n");
		return argc == 1 ? VLAB_EXIT_OK : VLAB_EXIT_USAGE;
	}
	if (labctl_resolve(argv[0], lab, sizeof(lab), node, sizeof(node), err, sizeof(err)) < 0 ||
	    vm_console(lab, node, err, sizeof(err)) < 0) {
		labctl_say("%s", err);
		return VLAB_EXIT_FAIL;
	}
	return VLAB_EXIT_OK;
}
