/* Persistence of the switch configuration (networks, ports, static FDB
 * entries) in one JSON file, written atomically on every change and replayed
 * through the API handlers at start.
 *
 * Runs on the control thread. */
#ifndef VLAB_STATE_H
#define VLAB_STATE_H

#include "sw.h"

/* Writes sw's configuration to opts.state_path (temporary file + rename:
 * a reader sees the old or the new file, never a mix; it survives a crash of
 * the switch, and is not fsync()ed, so a power loss may lose the last
 * changes). */
int state_save(struct sw *sw);
/* Restores the configuration from opts.state_path; 0 when there is none.
 * -EINVAL when the file is not a vlab-switchd state file. */
int state_load(struct sw *sw);

#endif
