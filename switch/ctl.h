/* Control thread: the Unix socket server of the JSON API, the method table,
 * and the periodic tick (clock, FDB aging).
 *
 * Runs on the main lcore. Handlers (network.c, port.c, stats.c) run here too,
 * one request at a time; a slow or broken client never blocks the others. */
#ifndef VLAB_CTL_H
#define VLAB_CTL_H

#include <jansson.h>

#include "api.h"
#include "sw.h"

/* A method handler: fills `*result` (a new reference) and returns 0, or
 * returns a negative code with `err` filled in. */
typedef int (*ctl_handler)(struct sw *sw, json_t *params, json_t **result, struct api_err *err);

struct ctl_method {
	const char *name;
	ctl_handler fn;
	bool saves; /* a change of persisted configuration */
};

/* Method tables of each module, terminated by a NULL name. */
extern const struct ctl_method network_methods[];
extern const struct ctl_method port_methods[];
extern const struct ctl_method stats_methods[];

/* port.c: a port's configuration as port.add takes it; removal of a port. */
json_t *sw_port_config(const struct sw *sw, const struct sw_port *sp);
int sw_port_remove(struct sw *sw, int idx);

/* Calls a method as a request would, without a socket (state restore). */
int ctl_call(struct sw *sw, const char *method, json_t *params, json_t **result,
	     struct api_err *err);

/* Listens on `path` (mode 0660; a stale socket file is replaced). */
int ctl_listen(struct sw *sw, const char *path);
/* Serves requests until SIGINT/SIGTERM or sw->quit. */
int ctl_run(struct sw *sw);
/* Closes every client and the listening socket, removes the socket file. */
void ctl_close(void);

#endif
