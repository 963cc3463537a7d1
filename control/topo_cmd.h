/* `vlab validate FILE`: checks a topology file and shows what it will make
 * (networks with their VNIs and subnets, nodes with their interfaces and
 * addresses, automatic values included), or every problem as
 * FILE:LINE:COL: MESSAGE.
 *
 * Threads: main thread of the vlab CLI. topo_cmd_json() is pure. */
#ifndef VLAB_TOPO_CMD_H
#define VLAB_TOPO_CMD_H

#include <jansson.h>

#include "topo.h"
#include "vlab.h"

/* The outcome of parsing `file` as one JSON object:
 * {"file", "ok", "errors": [{"line", "col", "message"}], "dropped", "name",
 *  "networks": [{"name", "vni", "subnet", "vni_auto", "subnet_auto"}],
 *  "nodes": [{"name", "kind", "cpus", "memory_mib", "forward", "interfaces":
 *     [{"name", "network", "addrs", "mac", "mtu"}], "routes": [{"to", "via"}]}],
 *  "expect": [{"from", "to", "reach"}]}.
 * `mac` and `mtu` are null when not given (vmhost derives the MAC). Returns a
 * new reference, or NULL on ENOMEM. */
json_t *topo_cmd_json(const char *file, const struct topo *t, const struct topo_errors *errs);

/* `vlab validate FILE [-j]`: exit 0 when the file is valid, 1 when it has
 * problems or cannot be read, 2 for a bad command line. */
int topo_validate_cmd(const struct vlab_opts *opts, int argc, char **argv);

#endif /* VLAB_TOPO_CMD_H */
