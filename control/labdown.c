/* `vlab down [LAB]`: removes everything a lab made, from its records alone
 * (also after vlab or the switch was killed): its nodes, then its policies,
 * ports and networks on the switch (LAB.*), its state directory; stops the switch vlab
 * started when no lab is left.
 *
 * Threads: the CLI's main thread. */
#include "labctl.h"

#include "labctl_priv.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lab.h"
#include "progress.h"
#include "vm.h"
#include "swreq.h"

static void unplug_recorded(const struct vlab_opts *opts, const char *lab, const char *name)
{
	struct lab_record rec;
	struct node n;

	if (lab_record_load(lab, name, &n, &rec) < 0)
		return;
	for (int i = 0; i < n.n_nics; i++)
		if (n.nics[i].port[0])
			labctl_sw_req(opts, "port.del", swreq_name(n.nics[i].port), NULL, true,
				      NULL);
}

int labctl_destroy_node(const struct vlab_opts *opts, const char *lab, const char *name)
{
	char err[512];

	unplug_recorded(opts, lab, name);
	if (vm_destroy(lab, name, err, sizeof(err)) < 0) {
		labctl_say("%s", err);
		return -1;
	}
	return 0;
}

int labctl_down(const struct vlab_opts *opts, int argc, char **argv)
{
	char lab[NODE_NAME_MAX], dir[NODE_PATH_MAX], path[PATH_MAX], prefix[NODE_NAME_MAX + 2];
	char(*names)[NODE_NAME_MAX] = NULL;
	json_t *nets = NULL, *ports = NULL, *o;
	struct progress prog;
	int n, failed = 0;
	double t0 = labctl_now();
	size_t i;

	if (argc && (!strcmp(argv[0], "-h") || !strcmp(argv[0], "--help"))) {
		printf("usage: vlab down [LAB]\n");
		return VLAB_EXIT_OK;
	}
	if (labctl_lab_arg(argc, argv, lab, sizeof(lab)) < 0)
		return VLAB_EXIT_FAIL;
	lab_dir(lab, dir, sizeof(dir));
	if (access(dir, F_OK) < 0) {
		labctl_say("no lab \"%s\" (nothing under %s)", lab, dir);
		return VLAB_EXIT_FAIL;
	}
	/* the switch keeps the lab's networks and ports in its saved state: if it
	 * died, start it again so they can be removed */
	if (!labctl_sw_alive(opts) && access(labctl_switch_state_path(), F_OK) == 0)
		labctl_switch_ensure(opts);

	n = lab_list_nodes_all(lab, &names);
	if (n < 0) {
		labctl_say("cannot list the nodes of lab \"%s\": %s", lab, strerror(-n));
		return VLAB_EXIT_FAIL;
	}
	progress_init(&prog, lab, "nodes removed", n);
	for (int k = 0; k < n; k++) {
		int rc = labctl_destroy_node(opts, lab, names[k]);

		failed += rc < 0;
		progress_step(&prog, rc == 0);
	}
	progress_destroy(&prog);
	free(names);

	if (labctl_sw_alive(opts) && labctl_policies_clear(opts, lab, NULL, NULL) < 0)
		failed++;
	snprintf(prefix, sizeof(prefix), "%s.", lab);
	if (labctl_sw_req(opts, "port.list", NULL, &ports, true, NULL) == 0)
		json_array_foreach(ports, i, o)
		{
			const char *name = json_string_value(json_object_get(o, "name"));

			if (name && strncmp(name, prefix, strlen(prefix)) == 0)
				labctl_sw_req(opts, "port.del", swreq_name(name), NULL, true, NULL);
		}
	if (labctl_sw_req(opts, "network.list", NULL, &nets, true, NULL) == 0)
		json_array_foreach(nets, i, o)
		{
			const char *name = json_string_value(json_object_get(o, "name"));

			if (name && strncmp(name, prefix, strlen(prefix)) == 0)
				failed += labctl_sw_req(opts, "network.del", swreq_name(name), NULL,
							false, NULL) < 0;
		}
	json_decref(ports);
	json_decref(nets);

	labctl_topo_file(lab, "topology.yaml", path, sizeof(path));
	unlink(path);
	labctl_topo_file(lab, "topology.next.yaml", path, sizeof(path));
	unlink(path);
	snprintf(path, sizeof(path), "%s/nodes", dir);
	rmdir(path);
	if (rmdir(dir) < 0 && errno != ENOENT) {
		labctl_say("cannot remove %s: %s", dir, strerror(errno));
		failed++;
	}
	labctl_switch_stop_if_unused(opts);
	if (opts->json || opts->pretty)
		printf("{\"lab\":\"%s\",\"removed\":%d,\"seconds\":%.3f,\"ok\":%s}\n", lab, n,
		       labctl_now() - t0, failed ? "false" : "true");
	else
		printf("lab %s: %d node%s removed in %.1f s\n", lab, n, n == 1 ? "" : "s",
		       labctl_now() - t0);
	return failed ? VLAB_EXIT_FAIL : VLAB_EXIT_OK;
}
