/* Naming labs and nodes on the command line: "LAB/NODE", or "NODE" and
 * "LAB" left out when only one lab runs.
 *
 * Threads: the CLI's main thread. */
#include "labctl.h"

#include "labctl_priv.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lab.h"

static int only_lab(char *lab, size_t len, char *err, size_t errlen)
{
	char(*names)[NODE_NAME_MAX];
	int n = lab_list_all(&names);

	if (n == 1) {
		snprintf(lab, len, "%s", names[0]);
		free(names);
		return 0;
	}
	if (n <= 0) {
		snprintf(err, errlen, "no lab is running (start one with `vlab up FILE`)");
		free(names);
		return -ENOENT;
	}
	size_t k = (size_t)snprintf(err, errlen, "%d labs are running; name one:", n);
	for (int i = 0; i < n && k < errlen; i++)
		k += (size_t)snprintf(err + k, errlen - k, " %s", names[i]);
	free(names);
	return -EINVAL;
}

int labctl_resolve(const char *spec, char *lab, size_t lablen, char *node, size_t nodelen,
		   char *err, size_t errlen)
{
	const char *slash = strchr(spec, '/');
	char dir[NODE_PATH_MAX];
	int rc;

	if (slash) {
		snprintf(lab, lablen, "%.*s", (int)(slash - spec), spec);
		snprintf(node, nodelen, "%s", slash + 1);
	} else {
		rc = only_lab(lab, lablen, err, errlen);
		if (rc < 0) {
			if (rc == -EINVAL)
				snprintf(err + strlen(err), errlen - strlen(err), " (use LAB/%s)",
					 spec);
			return rc;
		}
		snprintf(node, nodelen, "%s", spec);
	}
	lab_node_dir(lab, node, dir, sizeof(dir));
	if (access(dir, F_OK) < 0) {
		snprintf(err, errlen, "lab \"%s\" has no node \"%s\"", lab, node);
		return -ENOENT;
	}
	return 0;
}

/* LAB from argv[0] if given, else the only running lab. */
int labctl_lab_arg(int argc, char **argv, char *lab, size_t len)
{
	char err[512];

	for (int i = 0; i < argc; i++)
		if (argv[i][0] != '-') {
			snprintf(lab, len, "%s", argv[i]);
			return 0;
		}
	if (only_lab(lab, len, err, sizeof(err)) < 0) {
		labctl_say("%s", err);
		return -1;
	}
	return 0;
}
