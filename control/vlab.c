/* vlab: command-line front end of the virtual network lab. Parses the global
 * options and hands the command words to vlab's command tree (vlab_cmds.c),
 * which runs the command they name.
 *
 * Threads: single-threaded; main() runs everything. */
#include <getopt.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vlab.h"
#include "vlab_cmds.h"

/* Prints "vlab: <problem>" and the usage line; returns VLAB_EXIT_USAGE. */
static int __attribute__((format(printf, 1, 2))) usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("vlab: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	vlab_usage(stderr);
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
			vlab_help(stdout);
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
	return vlab_run(&opts, argc - optind, argv + optind);
}
