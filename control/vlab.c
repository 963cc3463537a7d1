/* vlab: command-line front end of the virtual network lab. Parses the global
 * options and dispatches the first word to a command group from the table
 * below (`vlab switch ...` drives vlab-switchd; later groups join the table).
 *
 * Threads: single-threaded; main() runs everything. */
#include <getopt.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "labctl.h"
#include "switch_cmd.h"
#include "topo_cmd.h"
#include "vm_cmd.h"
#include "vlab.h"

/* Command groups, in the order `vlab --help` lists them. */
static const struct vlab_cmd vlab_cmds[] = {
    {"validate", "check a topology file and show what it will make", topo_validate_cmd},
    {"up", "bring up the lab a topology file describes", labctl_up},
    {"apply", "reconcile a running lab with its edited topology file", labctl_apply},
    {"down", "remove everything a lab made", labctl_down},
    {"status", "nodes, state, addresses, switch links (alias: inspect)", labctl_status},
    {"inspect", "same as status", labctl_status},
    {"exec", "run a command in a node: vlab exec [LAB/]NODE -- CMD", labctl_exec},
    {"console", "attach to a node's console", labctl_console},
    {"pingall", "ping every address from every node, compare with the topology",
     labctl_pingall},
    {"graph", "draw a lab (dot or mermaid)", labctl_graph},
    {"switch", "drive vlab-switchd: networks, ports, FDB, counters", switch_cmd_run},
    {"vm", "single lab nodes: QEMU guests and namespace hosts", vm_cmd_run},
};

#define VLAB_NCMDS (sizeof(vlab_cmds) / sizeof(vlab_cmds[0]))

static const char usage_line[] = "usage: vlab [OPTIONS] COMMAND [ARGS]\n";

static void print_help(FILE *f)
{
	fputs(usage_line, f);
	fputs("\nBuild and drive virtual network labs.\n\ncommands:\n", f);
	for (size_t i = 0; i < VLAB_NCMDS; i++)
		fprintf(f, "  %-8s  %s\n", vlab_cmds[i].name, vlab_cmds[i].summary);
	fputs("\noptions:\n"
	      "  -s, --socket PATH  switch control socket (default: $VLAB_SWITCH_SOCKET,\n"
	      "                     else /run/vlab/switch.sock)\n"
	      "  -j, --json         print the raw JSON result (compact, one document)\n"
	      "  -p, --pretty       print the raw JSON result indented (implies --json)\n"
	      "  -h, --help         show this help; 'vlab COMMAND --help' for a command\n"
	      "  -V, --version      show the vlab version\n"
	      "\nExit status: 0 success, 1 the operation failed, 2 bad usage.\n",
	      f);
}

/* Prints "vlab: <problem>" and the usage line; returns VLAB_EXIT_USAGE. */
static int __attribute__((format(printf, 1, 2))) usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("vlab: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	fputs(usage_line, stderr);
	return VLAB_EXIT_USAGE;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"socket", required_argument, NULL, 's'}, {"json", no_argument, NULL, 'j'},
	    {"pretty", no_argument, NULL, 'p'},	      {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, 'V'},      {0},
	};
	struct vlab_opts opts = {0};
	int c;

	/* -j/--json/--pretty may also follow the command words
	 * (`vlab switch port list -j`), as scripts expect; up to a literal "--" */
	int kept = 1;
	bool after_dashes = false;
	for (int i = 1; i < argc; i++) {
		if (!after_dashes && i > 1 && (!strcmp(argv[i], "-j") || !strcmp(argv[i], "--json"))) {
			opts.json = true;
			continue;
		}
		if (!after_dashes && i > 1 && !strcmp(argv[i], "--pretty")) {
			opts.pretty = true;
			continue;
		}
		if (!strcmp(argv[i], "--"))
			after_dashes = true;
		argv[kept++] = argv[i];
	}
	argc = kept;
	argv[argc] = NULL;

	opterr = 0; /* messages below name the problem and show the usage */
	/* "+": stop at the first command word; its options belong to it. */
	while ((c = getopt_long(argc, argv, "+:s:jphV", longopts, NULL)) != -1) {
		switch (c) {
		case 's':
			if (optarg[0] == '\0')
				return usage_error("--socket needs a non-empty path");
			opts.socket = optarg;
			break;
		case 'j':
			opts.json = true;
			break;
		case 'p':
			opts.pretty = true;
			break;
		case 'h':
			print_help(stdout);
			return VLAB_EXIT_OK;
		case 'V':
			printf("vlab %s\n", VLAB_VERSION);
			return VLAB_EXIT_OK;
		case ':':
			if (optopt)
				return usage_error("option '-%c' needs a value", optopt);
			return usage_error("option '%s' needs a value", argv[optind - 1]);
		default:
			if (optopt)
				return usage_error("unknown option '-%c'", optopt);
			return usage_error("unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind == argc)
		return usage_error("missing command (try 'vlab --help')");
	if (strcmp(argv[optind], "help") == 0) {
		print_help(stdout);
		return VLAB_EXIT_OK;
	}
	for (size_t i = 0; i < VLAB_NCMDS; i++) {
		if (strcmp(argv[optind], vlab_cmds[i].name) == 0)
			return vlab_cmds[i].run(&opts, argc - optind - 1, argv + optind + 1);
	}
	return usage_error("unknown command '%s' (try 'vlab --help')", argv[optind]);
}
