/* Named drop reasons and learning events of the switch datapath.
 *
 * One X-macro list gives the enum, the names used by the control API and the
 * per-port counters, so a new reason cannot exist without a name and a counter.
 * Used by every thread; pure declarations only. */
#ifndef VLAB_DROP_H
#define VLAB_DROP_H

/* X(enum suffix, API name, description) */
#define SW_DROP_LIST(X)                                                                        \
	X(RUNT, "runt", "frame shorter than an Ethernet header")                               \
	X(SRC_MULTICAST, "src_multicast", "source MAC is multicast or broadcast")               \
	X(SRC_ZERO, "src_zero", "source MAC is all zeros")                                      \
	X(SAME_PORT, "same_port", "destination was learned on the receiving port")              \
	X(NO_DESTINATION, "no_destination", "flood with no other port in the network")          \
	X(TX_FAILED, "tx_failed", "output port could not take the packet (its queue was full)")  \
	X(LINK_DOWN, "link_down", "output port has no peer (vhost-user guest not connected)")   \
	X(RX_MISSED, "rx_missed", "device or kernel receive queue full, counted by the device") \
	X(RX_NOMBUF, "rx_nombuf", "no packet buffer to receive into")                           \
	X(RX_TRUNCATED, "rx_truncated",                                                         \
	  "kernel frame longer than the port takes (GSO/TSO on the peer? turn it off there)")   \
	X(MAC_LIMIT, "mac_limit", "source not learned: port reached its MAC limit (forwarded)") \
	X(FDB_FULL, "fdb_full", "source not learned: FDB full (forwarded)")

enum sw_drop {
#define SW_DROP_ENUM(e, name, desc) SW_DROP_##e,
	SW_DROP_LIST(SW_DROP_ENUM)
#undef SW_DROP_ENUM
	SW_DROP_MAX
};

/* API name of a reason, e.g. "runt". */
const char *sw_drop_name(enum sw_drop d);

#endif
