/* What the parts of the lab controller share (control/lab*.c; the commands
 * are in labctl.h): messages, the lab's state files, loading topologies,
 * naming labs, the switch (supervision and requests), and removing nodes.
 * Not for other modules.
 *
 * State of a lab (everything `vlab down` needs, also after a crash) lives in
 * its directory under lab_run_dir(): one record per node (vmhost/lab.c) and
 * the topology text last brought up (topology.yaml) or being brought up
 * (topology.next.yaml). On the switch, a lab's networks are named LAB.NET and
 * its ports LAB.NODE-IFNAME, so labs never collide and can be found again.
 *
 * Threads: the CLI's main thread, except labctl_say(), labctl_sw_req() and
 * labctl_now(), which workers call too. */
#ifndef VLAB_LABCTL_PRIV_H
#define VLAB_LABCTL_PRIV_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "swclient.h"
#include "topo.h"
#include "vlab.h"

/* ---- labctl.c: messages, state files, topologies ---- */

/* Seconds on the monotonic clock. */
double labctl_now(void);
/* "vlab: MESSAGE" on stderr, one whole line also when workers say things. */
void labctl_say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* A whole file into a malloc'ed, NUL-terminated *out. 0 or -errno. */
int labctl_read_text(const char *path, char **out, size_t *len);
/* Writes a file atomically (temporary file, fsync, rename). 0 or -errno. */
int labctl_write_text(const char *path, const char *text, size_t len);
/* Path of the lab's state file `which` ("topology.yaml"). */
void labctl_topo_file(const char *lab, const char *which, char *buf, size_t len);
/* Loads and validates a topology file, printing every problem. */
int labctl_load_topo(const char *path, struct topo *t);
/* The topology the lab was last brought up with, or -ENOENT. */
int labctl_applied_topo(const char *lab, struct topo *t);

/* ---- labname.c ---- */

/* LAB from the first non-option argument, else the only running lab; -1
 * with the problem said. */
int labctl_lab_arg(int argc, char **argv, char *lab, size_t len);

/* ---- labswitch.c: the switch ---- */

/* One request; prints the switch's error unless `quiet`; *eout (may be
 * NULL) gets it. 0 or -errno (-EREMOTEIO: the switch said no). Any thread. */
int labctl_sw_req(const struct vlab_opts *opts, const char *method, json_t *params, json_t **result,
		  bool quiet, struct swc_error *eout);
/* The switch answers. */
bool labctl_sw_alive(const struct vlab_opts *opts);
/* Where the switch vlab starts keeps its state ($VLAB_SWITCH_STATE). */
const char *labctl_switch_state_path(void);
/* Starts vlab-switchd when none answers. 0 or -errno, said. */
int labctl_switch_ensure(const struct vlab_opts *opts);
/* Stops the switch vlab started, when it serves no lab any more. */
void labctl_switch_stop_if_unused(const struct vlab_opts *opts);
/* The switch's name of network `net` of lab `lab`: LAB.NET (at most 31
 * characters). 0 or -ENAMETOOLONG. */
int labctl_sw_net_name(const char *lab, const char *net, char *buf, size_t len);

/* ---- labrunning.c ---- */

struct running;
/* What lab `lab` runs (running.h), for planning: its networks and ports on
 * the switch, its live nodes as recorded. Removes nodes that died and the
 * lab's switch ports no live node has. *nets gets the switch's whole
 * network list (json_decref() it). 0 or -errno, said. */
int labctl_running(const struct vlab_opts *opts, const char *lab, struct running *r, json_t **nets);

/* ---- labpolicy.c: the lab's policies on the switch ---- */

struct polsw_action;
/* What brings the switch's policies of lab `lab` to t's (polsw_plan()):
 * the number of actions with *a a new array (free() it), or -errno, said. */
int labctl_policies_plan(const struct vlab_opts *opts, const char *lab, const struct topo *t,
			 struct polsw_action **a);
/* Runs them (deletions, then sets); returns how many failed, said. */
int labctl_policies_run(const struct vlab_opts *opts, const char *lab, const struct topo *t,
			const struct polsw_action *a, int n);
/* Deletes the lab's policies from the switch (only `name`, the lab's name
 * of one, when not NULL), appending the names removed to `removed` (may be
 * NULL). 0, or -1 with the problem said. */
int labctl_policies_clear(const struct vlab_opts *opts, const char *lab, const char *name,
			  json_t *removed);

/* ---- labdown.c ---- */

/* Unplugs a node's recorded ports and destroys it; 0, or -1 with the
 * problem said. */
int labctl_destroy_node(const struct vlab_opts *opts, const char *lab, const char *name);

#endif /* VLAB_LABCTL_PRIV_H */
