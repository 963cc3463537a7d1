/* Command-line helpers for vlab subcommands: a small option parser (long options
 * with values, anywhere among the positional arguments) and validators for the
 * values the switch API takes (numbers, names, MAC addresses).
 *
 * Threads: main thread only. Pure: no I/O, no global state (unlike getopt), so
 * request builders that use it are unit-tested directly. */
#ifndef VLAB_ARGS_H
#define VLAB_ARGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ARGS_MAX_OPTS 16 /* options one command may declare */
#define ARGS_MAX_POS  8	 /* positional arguments one command may receive */
#define ARGS_ERR_LEN  256

/* One option a command accepts: `--name VALUE` / `--name=VALUE`, or a flag. */
struct args_opt {
	const char *name; /* long name without the leading "--" */
	bool has_value;	  /* takes a value (else it is a flag) */
};

/* Parse result. `value[i]` is set when opts[i] was given (flags get ""). */
struct args {
	const char *value[ARGS_MAX_OPTS]; /* points into argv */
	const char *pos[ARGS_MAX_POS];	  /* positional arguments in order */
	int npos;
	bool help; /* -h or --help was given */
};

/* Parses argv[0..argc-1] against `opts` (at most ARGS_MAX_OPTS). "--" ends
 * options; -h/--help is always accepted. Returns 0, or -EINVAL with a message
 * in `err` (unknown option, missing value, option given twice, too many
 * arguments). */
int args_parse(int argc, char *const argv[], const struct args_opt *opts, size_t nopts,
	       struct args *out, char *err, size_t errlen);

/* Parses a decimal unsigned integer in [min, max] for the option or argument
 * named `what`. Returns 0, or -EINVAL/-ERANGE with a message in `err`. */
int args_u64(const char *s, uint64_t min, uint64_t max, const char *what, uint64_t *out, char *err,
	     size_t errlen);

/* Checks a network or port name: 1-31 characters from [A-Za-z0-9_.-].
 * Returns 0 or -EINVAL with a message naming `what`. */
int args_name(const char *s, const char *what, char *err, size_t errlen);

/* Checks a MAC address "aa:bb:cc:dd:ee:ff" (either case) and writes it in
 * lower case to `out` (18 bytes). Returns 0 or -EINVAL with a message. */
int args_mac(const char *s, char out[18], char *err, size_t errlen);

#endif /* VLAB_ARGS_H */
