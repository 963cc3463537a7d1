/* `vlab capture` arguments: targets and options, parsed and checked before
 * anything is sent (the filter too, with libpcap, as the switch will compile
 * it).
 *
 * Pure; the CLI's main thread. */
#ifndef VLAB_CAPTURE_ARGS_H
#define VLAB_CAPTURE_ARGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "capfile.h"

#define CAPARGS_MAX_TARGETS 256

enum capargs_out {
	CAPARGS_OUT_AUTO, /* no -w: lines on a terminal, else pcapng on stdout */
	CAPARGS_OUT_FILE, /* -w FILE */
	CAPARGS_OUT_STDOUT, /* -w - */
};

struct capargs {
	const char *targets[CAPARGS_MAX_TARGETS];
	int n_targets;
	enum capargs_out out;
	const char *file;          /* -w FILE */
	const char *filter;        /* -f EXPR, NULL: every frame */
	uint64_t count;            /* -c N, 0: no limit */
	uint32_t snaplen;          /* -s N, default 65535 */
	uint64_t duration_ms;      /* --duration S, 0: no limit */
	const char *direction;     /* in, out, both */
	const char *policy;	   /* --policy NAME: what its mirror rules copy, or NULL */
	enum capfile_format format; /* --format, default pcapng */
	bool format_given;
	bool recent;               /* --recent */
	bool quiet;                /* -q: no progress or summary on stderr */
	bool help;
};

/* Parses argv (the words after "capture"). 0, or -EINVAL with a message that
 * names the problem and the fix. */
int capargs_parse(int argc, char *const argv[], struct capargs *a, char *err, size_t errlen);

/* Checks a filter expression as the switch compiles it (libpcap, Ethernet).
 * 0, or -EINVAL with libpcap's message quoting the expression. */
int capargs_check_filter(const char *expr, uint32_t snaplen, char *err, size_t errlen);

/* A duration such as "10", "2.5", "500ms", "1m" into milliseconds (at least
 * 1). 0 or -EINVAL. */
int capargs_parse_duration(const char *s, uint64_t *ms);

#endif
