/* `vlab capture` arguments; see capture_args.h. Pure; the CLI's main
 * thread. */
#include "capture_args.h"

#include <errno.h>
#include <math.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "schema.h"

int capargs_parse_duration(const char *s, uint64_t *ms)
{
	char *end;
	double v, scale = 1000;

	if (s == NULL || *s == '\0' || *s == '-' || *s == '+')
		return -EINVAL;
	v = strtod(s, &end);
	if (end == s)
		return -EINVAL;
	if (!strcmp(end, "ms"))
		scale = 1;
	else if (!strcmp(end, "m") || !strcmp(end, "min"))
		scale = 60000;
	else if (!strcmp(end, "h"))
		scale = 3600000;
	else if (*end != '\0' && strcmp(end, "s"))
		return -EINVAL;
	v *= scale;
	if (!isfinite(v) || v < 1 || v > 1e12)
		return -EINVAL;
	*ms = (uint64_t)v;
	return 0;
}

static int parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (s == NULL || *s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

int capargs_check_filter(const char *expr, uint32_t snaplen, char *err, size_t errlen)
{
	struct bpf_program prog;
	pcap_t *p = pcap_open_dead(DLT_EN10MB, (int)snaplen);
	int rc = 0;

	if (p == NULL) {
		snprintf(err, errlen, "out of memory checking the filter");
		return -ENOMEM;
	}
	if (pcap_compile(p, &prog, expr, 1, PCAP_NETMASK_UNKNOWN) < 0) {
		snprintf(err, errlen, "filter '%.200s': %s (see pcap-filter(7))", expr,
			 pcap_geterr(p));
		rc = -EINVAL;
	} else {
		pcap_freecode(&prog);
	}
	pcap_close(p);
	return rc;
}

/* The value of an option: "-wFILE", "-w FILE", "--x=V" or "--x V". */
static const char *opt_value(int argc, char *const argv[], int *i, size_t namelen,
			     const char *name, char *err, size_t errlen)
{
	const char *a = argv[*i];

	if (a[1] != '-' && a[2] != '\0')
		return a + 2;
	if (a[1] == '-' && a[namelen] == '=')
		return a + namelen + 1;
	if (*i + 1 >= argc) {
		snprintf(err, errlen, "option '%s' needs a value", name);
		return NULL;
	}
	return argv[++*i];
}

static bool is_opt(const char *a, const char *shrt, const char *lng)
{
	size_t n = strlen(lng);

	if (shrt && !strncmp(a, shrt, 2) && a[0] == '-' && a[1] != '-')
		return true;
	return !strncmp(a, lng, n) && (a[n] == '\0' || a[n] == '=');
}

int capargs_parse(int argc, char *const argv[], struct capargs *a, char *err, size_t errlen)
{
	bool opts_done = false;

	memset(a, 0, sizeof(*a));
	a->snaplen = API_SNAPLEN_MAX;
	a->direction = "both";
	a->format = CAPFILE_PCAPNG;
	for (int i = 0; i < argc; i++) {
		const char *s = argv[i], *v;
		uint64_t u;

		if (opts_done || s[0] != '-' || s[1] == '\0') {
			if (a->n_targets == CAPARGS_MAX_TARGETS) {
				snprintf(err, errlen, "too many targets (at most %d); name a network "
					 "instead of its ports", CAPARGS_MAX_TARGETS);
				return -EINVAL;
			}
			a->targets[a->n_targets++] = s;
			continue;
		}
		if (!strcmp(s, "--")) {
			opts_done = true;
		} else if (!strcmp(s, "-h") || !strcmp(s, "--help")) {
			a->help = true;
		} else if (!strcmp(s, "-q") || !strcmp(s, "--quiet")) {
			a->quiet = true;
		} else if (!strcmp(s, "--recent")) {
			a->recent = true;
		} else if (is_opt(s, "-w", "--write")) {
			if (!(v = opt_value(argc, argv, &i, 7, "-w", err, errlen)))
				return -EINVAL;
			a->out = !strcmp(v, "-") ? CAPARGS_OUT_STDOUT : CAPARGS_OUT_FILE;
			a->file = v;
		} else if (is_opt(s, "-f", "--filter")) {
			if (!(v = opt_value(argc, argv, &i, 8, "-f", err, errlen)))
				return -EINVAL;
			if (*v == '\0' || strlen(v) > API_FILTER_MAX) {
				snprintf(err, errlen, "-f: a filter is 1 to %d bytes", API_FILTER_MAX);
				return -EINVAL;
			}
			a->filter = v;
		} else if (is_opt(s, "-c", "--count")) {
			if (!(v = opt_value(argc, argv, &i, 7, "-c", err, errlen)))
				return -EINVAL;
			if (parse_u64(v, 1, UINT64_MAX / 2, &a->count) < 0) {
				snprintf(err, errlen, "-c '%s': give a number of packets, 1 or more", v);
				return -EINVAL;
			}
		} else if (is_opt(s, "-s", "--snaplen")) {
			if (!(v = opt_value(argc, argv, &i, 9, "-s", err, errlen)))
				return -EINVAL;
			if (parse_u64(v, 1, API_SNAPLEN_MAX, &u) < 0) {
				snprintf(err, errlen, "-s '%s': give the bytes to keep of each frame, 1 "
					 "to %d", v, API_SNAPLEN_MAX);
				return -EINVAL;
			}
			a->snaplen = (uint32_t)u;
		} else if (is_opt(s, NULL, "--duration")) {
			if (!(v = opt_value(argc, argv, &i, 10, "--duration", err, errlen)))
				return -EINVAL;
			if (capargs_parse_duration(v, &a->duration_ms) < 0) {
				snprintf(err, errlen, "--duration '%s': give seconds (10, 2.5) or a "
					 "unit (500ms, 1m)", v);
				return -EINVAL;
			}
		} else if (is_opt(s, NULL, "--direction")) {
			if (!(v = opt_value(argc, argv, &i, 11, "--direction", err, errlen)))
				return -EINVAL;
			if (strcmp(v, "in") && strcmp(v, "out") && strcmp(v, "both")) {
				snprintf(err, errlen, "--direction '%s': use in (frames the node "
					 "sends), out (frames it receives) or both", v);
				return -EINVAL;
			}
			a->direction = v;
		} else if (is_opt(s, NULL, "--policy")) {
			if (!(v = opt_value(argc, argv, &i, 8, "--policy", err, errlen)))
				return -EINVAL;
			if (strlen(v) > 2 * API_NAME_MAX + 1 ||
			    !api_name_ok(strchr(v, '/') ? strchr(v, '/') + 1 : v)) {
				snprintf(
				    err, errlen,
				    "--policy '%.64s': give [LAB/]POLICY, a policy name being 1-%d "
				    "of A-Z a-z 0-9 _ . -",
				    v, API_NAME_MAX);
				return -EINVAL;
			}
			a->policy = v;
		} else if (is_opt(s, NULL, "--format")) {
			if (!(v = opt_value(argc, argv, &i, 8, "--format", err, errlen)))
				return -EINVAL;
			if (strcmp(v, "pcapng") && strcmp(v, "pcap")) {
				snprintf(err, errlen, "--format '%s': use pcapng or pcap", v);
				return -EINVAL;
			}
			a->format = !strcmp(v, "pcap") ? CAPFILE_PCAP : CAPFILE_PCAPNG;
			a->format_given = true;
		} else {
			snprintf(err, errlen, "unknown option '%s' (see vlab capture --help)", s);
			return -EINVAL;
		}
	}
	if (a->help)
		return 0;
	if (a->n_targets == 0 && a->policy == NULL) {
		snprintf(err, errlen,
			 "name what to capture: a node interface (a1:eth0), a node, "
			 "a network, a switch port, or --policy NAME");
		return -EINVAL;
	}
	if (a->out == CAPARGS_OUT_FILE && a->file[0] == '\0') {
		snprintf(err, errlen, "-w: give a file name, or - for stdout");
		return -EINVAL;
	}
	if (a->recent && (a->filter || a->count || a->duration_ms || a->policy ||
			  strcmp(a->direction, "both"))) {
		snprintf(err, errlen,
			 "--recent writes what a network's recorder holds: -f, -c, "
			 "--duration, --direction and --policy do not apply");
		return -EINVAL;
	}
	if (a->filter && capargs_check_filter(a->filter, a->snaplen, err, errlen) < 0)
		return -EINVAL;
	return 0;
}
