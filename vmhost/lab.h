/* Per-lab state on disk: one directory per lab, one per node, holding every
 * file the node uses (sockets, logs, pid file) and a record of what was made
 * for it (QEMU pid, namespace, switch ports), so that destroying a lab works
 * from the records alone, also after vlab or the switch was killed.
 *
 * Layout: $VLAB_RUN_DIR (default /run/vlab) / labs / LAB / nodes / NODE /
 *   node.json  (record), qmp.sock, qga.sock, console.sock, console.log,
 *   qemu.pid, ethN.sock.
 * Runs on the caller's thread. */
#ifndef VLAB_LAB_H
#define VLAB_LAB_H

#include <stddef.h>
#include <sys/types.h>

#include <jansson.h>

#include "mac.h"
#include "node.h"

/* What was made for a node, besides files in its directory. */
struct lab_record {
	pid_t pid;                 /* QEMU process, 0 if none */
	char netns[NODE_NAME_MAX * 2]; /* namespace of a host node, "" if none */
	char outer[NODE_MAX_NICS][16]; /* root-namespace veth ends of a host node */
	long created;              /* seconds since the epoch */
};

/* Base directory of all labs. */
const char *lab_run_dir(void);
/* Directory of a lab / a node; 0 or -ENAMETOOLONG. */
int lab_dir(const char *lab, char *buf, size_t len);
int lab_node_dir(const char *lab, const char *node, char *buf, size_t len);
/* mkdir -p. 0 or -errno. */
int lab_mkdirs(const char *path);

/* Saves / loads a node's record (node.json, written atomically). */
int lab_record_save(const char *lab, const struct node *n, const struct lab_record *r);
int lab_record_load(const char *lab, const char *node, struct node *n, struct lab_record *r);
/* Removes a node's directory and everything in it. */
int lab_node_remove(const char *lab, const char *node);

/* Names of the nodes of a lab (sorted, at most `max`); returns how many or
 * -errno. */
int lab_list_nodes(const char *lab, char names[][NODE_NAME_MAX], int max);
/* Names of labs with a directory (sorted, at most `max`); returns how many or
 * -errno. */
int lab_list(char names[][NODE_NAME_MAX], int max);
/* The same, all of them, in a new array *names (free() it; NULL when there
 * are none); returns how many or -errno. */
int lab_list_nodes_all(const char *lab, char (**names)[NODE_NAME_MAX]);
int lab_list_all(char (**names)[NODE_NAME_MAX]);

/* Pure conversions used by the records (unit-tested). */
json_t *lab_node_to_json(const struct node *n);
int lab_node_from_json(json_t *j, struct node *n, char *err, size_t errlen);


#endif
