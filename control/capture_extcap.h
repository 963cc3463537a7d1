/* `vlab extcap`: vlab as a Wireshark extcap program; see capture_extcap.c.
 *
 * Threads: the CLI's main thread. */
#ifndef VLAB_CAPTURE_EXTCAP_H
#define VLAB_CAPTURE_EXTCAP_H

#include "vlab.h"

int capture_extcap_cmd(const struct vlab_opts *opts, int argc, char **argv);

#endif
