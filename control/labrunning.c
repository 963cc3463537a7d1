/* What a lab runs, gathered for `vlab up` and `vlab apply` to plan against:
 * the switch's networks and ports (network.list, port.list), the lab's node
 * records and whether each node's QEMU or namespace really exists. Nodes
 * that died are removed (with their ports) so that the plan starts them
 * again, and switch ports of the lab that no live node has are removed; the
 * model itself is built by the pure running.c.
 *
 * Threads: the CLI's main thread. */
#include "labctl_priv.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lab.h"
#include "running.h"
#include "vm.h"
#include "swreq.h"

int labctl_running(const struct vlab_opts *opts, const char *lab, struct running *r, json_t **nets)
{
	char(*names)[NODE_NAME_MAX] = NULL;
	json_t *ports = NULL;
	struct node *nodes = NULL;
	bool *alive = NULL;
	int n, k = 0, rc;

	memset(r, 0, sizeof(*r));
	*nets = NULL;
	rc = labctl_sw_req(opts, "network.list", NULL, nets, false, NULL);
	if (rc == 0)
		rc = labctl_sw_req(opts, "port.list", NULL, &ports, false, NULL);
	if (rc < 0) {
		labctl_say("cannot list what the switch runs: %s", strerror(-rc));
		goto out_free;
	}
	n = lab_list_nodes_all(lab, &names);
	if (n < 0) {
		rc = n;
		labctl_say("cannot list the nodes of lab \"%s\": %s", lab, strerror(-rc));
		goto out_free;
	}
	nodes = calloc(n ? (size_t)n : 1, sizeof(*nodes));
	alive = calloc(n ? (size_t)n : 1, sizeof(*alive));
	if (!nodes || !alive) {
		rc = -ENOMEM;
		labctl_say("out of memory");
		goto out_free;
	}
	for (int i = 0; i < n; i++) {
		struct lab_record rec;
		struct vm_status st;

		/* a node that failed or died is not part of what runs: the plan
		 * starts it again (after removing what is left of it) */
		if (lab_record_load(lab, names[i], &nodes[k], &rec) < 0 ||
		    vm_status(lab, names[i], &st) < 0 || !strcmp(st.state, "absent") ||
		    !strcmp(st.state, "stopped")) {
			labctl_destroy_node(opts, lab, names[i]);
			continue;
		}
		alive[k++] = true;
	}
	rc = running_build(lab, *nets, ports, nodes, alive, k, r);
	if (rc < 0) {
		labctl_say("cannot tell what lab \"%s\" runs: %s", lab, strerror(-rc));
		goto out_free;
	}
	for (int i = 0; i < r->n_stale; i++) {
		labctl_say("removing switch port %s (no node of lab \"%s\" has it)", r->stale[i],
			   lab);
		labctl_sw_req(opts, "port.del", swreq_name(r->stale[i]), NULL, true, NULL);
	}
out_free:
	json_decref(ports);
	free(alive);
	free(nodes);
	free(names);
	return rc;
}
