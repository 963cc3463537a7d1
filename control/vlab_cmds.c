/* vlab's command tree and its dispatcher; see vlab_cmds.h. The lab commands
 * are local commands of the top level; `switch` (switch_cmd.c) and `vm`
 * (vm_cmd.c) are groups defined with their commands.
 *
 * Threads: main thread of the vlab CLI. */
#include "vlab_cmds.h"

#include "args.h"
#include "capture_cmd.h"
#include "capture_extcap.h"
#include "labctl.h"
#include "switch_cmd.h"
#include "topo_cmd.h"
#include "vm_cmd.h"

/* In the order `vlab --help` lists them. */
static const struct cmd_node vlab_cmds[] = {
    {.name = "validate",
     .summary = "check a topology file and show what it will make",
     .run = topo_validate_cmd},
    {.name = "up", .summary = "bring up the lab a topology file describes", .run = labctl_up},
    {.name = "apply",
     .summary = "reconcile a running lab with its edited topology file",
     .run = labctl_apply},
    {.name = "down", .summary = "remove everything a lab made", .run = labctl_down},
    {.name = "status",
     .alias = "inspect",
     .summary = "nodes, state, addresses, switch links",
     .run = labctl_status},
    {.name = "exec",
     .summary = "run a command in a node: vlab exec [LAB/]NODE -- CMD",
     .run = labctl_exec},
    {.name = "console", .summary = "attach to a node's console", .run = labctl_console},
    {.name = "pingall",
     .summary = "ping every address from every node, compare with the topology",
     .run = labctl_pingall},
    {.name = "graph", .summary = "draw a lab (dot or mermaid)", .run = labctl_graph},
    {.name = "policy",
     .summary = "a lab's policies: apply a file, show rules and hits, clear",
     .group = &polcmd_group},
    {.name = "capture",
     .summary = "capture packets of nodes, networks and ports (pcapng, live)",
     .usage = capture_usage,
     .details = capture_details,
     .run = capture_cmd},
    {.name = "extcap",
     .summary = "Wireshark's view of vlab (Wireshark runs it; see vlab capture)",
     .usage = "vlab extcap --extcap-interfaces | --extcap-interface IF ...",
     .run = capture_extcap_cmd},
    {.name = "switch",
     .summary = "drive vlab-switchd: networks, ports, FDB, counters",
     .group = &swcmd_group},
    {.name = "vm",
     .summary = "single lab nodes: QEMU guests and namespace hosts",
     .group = &vmcmd_group},
    {0},
};

static const struct cmd_node vlab_top = {
    .name = "vlab",
    .summary = "Build and drive virtual network labs.",
    .usage = "vlab [OPTIONS] COMMAND [ARGS]",
    .children = vlab_cmds,
    .details = "options:\n"
	       "  -s, --socket PATH  switch control socket (default: $VLAB_SWITCH_SOCKET,\n"
	       "                     else /run/vlab/switch.sock)\n"
	       "  -j, --json         print the raw JSON result (compact, one document)\n"
	       "  -p, --pretty       print the raw JSON result indented (implies --json)\n"
	       "  -h, --help         show this help; 'vlab COMMAND --help' for a command\n"
	       "  -V, --version      show the vlab version\n"
	       "\nExit status: 0 success, 1 the operation failed, 2 bad usage.\n",
};

static const struct cmd_pos top_pos = {.node = &vlab_top, .path = "vlab"};

const struct cmd_node *vlab_root(void)
{
	return &vlab_top;
}

void vlab_help(FILE *f)
{
	cmd_help(&top_pos, f);
}

void vlab_usage(FILE *f)
{
	cmd_usage(&top_pos, f);
}

int vlab_run(const struct vlab_opts *opts, int argc, char **argv)
{
	char err[ARGS_ERR_LEN];
	struct cmd_pos pos;
	int used = 0, ret;

	ret = cmd_walk(&vlab_top, "vlab", argc, argv, &pos, &used, err, sizeof(err));
	if (ret == CMD_HELP && pos.node->run) {
		/* `vlab help up`: a local command knows its help best */
		char help[] = "--help", *hargv[] = {help, NULL};

		return pos.node->run(opts, 1, hargv);
	}
	if (ret == CMD_HELP) {
		cmd_help(&pos, stdout);
		return VLAB_EXIT_OK;
	}
	if (ret < 0) {
		fprintf(stderr, "vlab: %s\n", err);
		cmd_usage(&pos, stderr);
		return VLAB_EXIT_USAGE;
	}
	if (pos.node->run)
		return pos.node->run(opts, argc - used, argv + used);
	/* the others call a switch API method */
	return swcmd_run(opts, &pos, argc - used, argv + used);
}
