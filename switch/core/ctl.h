/* Control thread: the Unix socket server of the JSON API, the method table,
 * and the periodic tick (clock, FDB aging).
 *
 * Runs on the main lcore. Handlers (l2/network.c, port/port.c, stats.c) and
 * requests posted by other threads run here too, one at a time; a slow or
 * broken client never blocks the others. */
#ifndef VLAB_CTL_H
#define VLAB_CTL_H

#include <jansson.h>

#include "wire.h"
#include "sw.h"

/* A method handler: fills `*result` (a new reference) and returns 0, or
 * returns a negative code with `err` filled in. */
typedef int (*ctl_handler)(struct sw *sw, json_t *params, json_t **result, struct api_err *err);

/* The handler of a method of the API schema (api/schema.h); the schema says
 * what it takes and whether it changes the persisted configuration. */
struct ctl_method {
	const char *name;
	ctl_handler fn;
};

/* Method tables of each module, terminated by a NULL name. */
extern const struct ctl_method network_methods[];
extern const struct ctl_method port_methods[];
extern const struct ctl_method stats_methods[];
extern const struct ctl_method capture_methods[];
extern const struct ctl_method policy_methods[];

/* From a handler: passes `fd` to the client with the reply being made (a
 * capture stream), then closes it here. A request that was not made on a
 * socket (state restore) just closes it. */
void ctl_pass_fd(int fd);
/* The fd a handler passed with the reply just made, or -1 (ctl_client.c). */
int ctl_take_passed_fd(void);

/* Asks the control thread to run fn(sw, arg) soon, in posting order.
 * Callable from any thread (device callbacks); `arg` belongs to fn, which
 * must free it. 0 or -ENOMEM. At shutdown, requests not run yet are
 * discarded and their `arg` freed with free(). */
int ctl_post(void (*fn)(struct sw *sw, void *arg), void *arg);

/* Calls a method as a request would, without a socket (state restore). */
int ctl_call(struct sw *sw, const char *method, json_t *params, json_t **result,
	     struct api_err *err);

/* Every method of the schema has a handler and every handler a method of
 * the schema. 0, or -ENOENT after naming the mismatch on stderr. */
int ctl_check_methods(void);

/* Listens on `path` (mode 0660; a stale socket file is replaced). */
int ctl_listen(struct sw *sw, const char *path);
/* Serves requests until SIGINT/SIGTERM or sw->quit. */
int ctl_run(struct sw *sw);
/* Closes every client and the listening socket, removes the socket file. */
void ctl_close(void);

/* ---- between ctl.c and ctl_client.c ---- */
struct ctl_client;

/* Handles one request line: the reply line (with its newline; "" for a blank
 * line), or NULL without memory. */
char *ctl_handle_line(struct sw *sw, const char *line, size_t len);
/* Writes the state file when a request changed the configuration. */
void ctl_save_changes(struct sw *sw);

struct ctl_client *ctl_client_new(int fd, uint64_t tag);
/* Closes the client's socket (leaving epfd's set unless epfd < 0) and frees it. */
void ctl_client_free(struct ctl_client *c, int epfd);
uint64_t ctl_client_tag(const struct ctl_client *c);
/* Milliseconds since the client's last complete request or reply bytes taken. */
uint64_t ctl_client_quiet_ms(const struct ctl_client *c);
/* Serves one turn of the client: at most a bounded number of requests, at
 * most one read; *more when requests are left for another turn. -1 when the
 * client is done or gone (then free it). */
int ctl_client_turn(struct sw *sw, struct ctl_client *c, int epfd, bool *more);

#endif
