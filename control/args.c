/* Command-line helpers for vlab subcommands: option parser and value validators.
 *
 * Threads: main thread only. Pure: no I/O, no global state. */
#include "args.h"

#include "mac.h"
#include "name.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NAME_MAX_LEN 31

/* Index of the option `name` (length `len`) in `opts`, or -1. */
static int find_opt(const struct args_opt *opts, size_t nopts, const char *name, size_t len)
{
	for (size_t i = 0; i < nopts; i++) {
		if (strlen(opts[i].name) == len && strncmp(opts[i].name, name, len) == 0)
			return (int)i;
	}
	return -1;
}

int args_parse(int argc, char *const argv[], const struct args_opt *opts, size_t nopts,
	       struct args *out, char *err, size_t errlen)
{
	bool options_done = false;

	memset(out, 0, sizeof(*out));
	if (nopts > ARGS_MAX_OPTS) {
		snprintf(err, errlen, "internal error: too many options declared");
		return -EINVAL;
	}
	for (int i = 0; i < argc; i++) {
		const char *arg = argv[i];

		if (options_done || arg[0] != '-' || strcmp(arg, "-") == 0) {
			if (out->npos == ARGS_MAX_POS) {
				snprintf(err, errlen, "too many arguments");
				return -EINVAL;
			}
			out->pos[out->npos++] = arg;
			continue;
		}
		if (strcmp(arg, "--") == 0) {
			options_done = true;
			continue;
		}
		if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0) {
			out->help = true;
			continue;
		}
		if (strncmp(arg, "--", 2) != 0) {
			snprintf(err, errlen, "unknown option '%s'", arg);
			return -EINVAL;
		}

		const char *name = arg + 2;
		const char *eq = strchr(name, '=');
		size_t len = eq ? (size_t)(eq - name) : strlen(name);
		int idx = find_opt(opts, nopts, name, len);

		if (idx < 0) {
			snprintf(err, errlen, "unknown option '--%.*s'", (int)len, name);
			return -EINVAL;
		}
		if (out->value[idx]) {
			snprintf(err, errlen, "option '--%s' given twice", opts[idx].name);
			return -EINVAL;
		}
		if (!opts[idx].has_value) {
			if (eq) {
				snprintf(err, errlen, "option '--%s' takes no value",
					 opts[idx].name);
				return -EINVAL;
			}
			out->value[idx] = "";
		} else if (eq) {
			out->value[idx] = eq + 1;
		} else if (i + 1 < argc) {
			out->value[idx] = argv[++i];
		} else {
			snprintf(err, errlen, "option '--%s' needs a value", opts[idx].name);
			return -EINVAL;
		}
	}
	return 0;
}

int args_u64(const char *s, uint64_t min, uint64_t max, const char *what, uint64_t *out, char *err,
	     size_t errlen)
{
	unsigned long long v;
	char *end;

	/* strtoull accepts spaces and a sign; a number here is digits only. */
	if (!isdigit((unsigned char)s[0])) {
		snprintf(err, errlen, "%s must be a number from %llu to %llu, not '%s'", what,
			 (unsigned long long)min, (unsigned long long)max, s);
		return -EINVAL;
	}
	errno = 0;
	v = strtoull(s, &end, 10);
	if (*end != '\0') {
		snprintf(err, errlen, "%s must be a number from %llu to %llu, not '%s'", what,
			 (unsigned long long)min, (unsigned long long)max, s);
		return -EINVAL;
	}
	if (errno == ERANGE || v < min || v > max) {
		snprintf(err, errlen, "%s %s is out of range (%llu to %llu)", what, s,
			 (unsigned long long)min, (unsigned long long)max);
		return -ERANGE;
	}
	*out = v;
	return 0;
}

int args_name(const char *s, const char *what, char *err, size_t errlen)
{
	const char *why = name_problem(s, NAME_MAX_LEN);

	if (why == NULL)
		return 0;
	snprintf(err, errlen, "%s '%s' %s", what, s, why);
	return -EINVAL;
}

int args_mac(const char *s, char out[18], char *err, size_t errlen)
{
	uint8_t m[6];

	if (mac_parse(s, m) < 0) {
		snprintf(err, errlen, "invalid MAC address '%s' (expected aa:bb:cc:dd:ee:ff)", s);
		return -EINVAL;
	}
	mac_format(m, out);
	return 0;
}
