/* The control API of vlab-switchd, defined once for the switch and the CLI:
 * its version and defaults, its limits, every method with its parameters
 * (name, type, required or not, range), the port types with the parameters
 * each takes, and the drop and event reasons with their meanings.
 *
 * The switch validates every request against it before a handler runs; the
 * CLI builds its requests, options, help and tables from it; a test holds
 * docs/switch-api.md to it. Pure data and pure functions (jansson only): no
 * sockets, no EAL; used on any thread. */
#ifndef VLAB_API_SCHEMA_H
#define VLAB_API_SCHEMA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

/* ---- version and defaults ---- */
#define API_VERSION        2
#define API_SOCKET_DEFAULT "/run/vlab/switch.sock"
#define API_SOCKET_ENV     "VLAB_SWITCH_SOCKET"
#define API_MAX_LINE       16777216 /* bytes of one request line (16 MiB: a policy of 65536 rules) */

/* ---- limits ---- */
#define API_NAME_MAX       31       /* characters of a network or port name */
#define API_IFNAME_MAX     15       /* characters of a kernel interface name */
#define API_PATH_MAX       107      /* bytes of a vhost-user socket path */
#define API_DEVARGS_MAX    255      /* bytes of ethdev devargs */
#define API_VNI_MAX        16777215 /* 24 bits */
#define API_MAC_LIMIT_MAX  16777216 /* learned MACs per port */
#define API_MAX_PORTS      4096     /* per switch */
#define API_MAX_NETS       4096     /* per switch */
#define API_MAX_VHOST      1000     /* vhost-user ports per switch */
#define API_MAX_ETHDEV     32       /* ring, null and pcap ports together */
#define API_MAX_CAPTURES   64       /* capture sessions at once, recorders included */
#define API_FILTER_MAX     4096     /* bytes of a capture filter expression */
#define API_SNAPLEN_MAX    65535    /* bytes kept of a captured frame */
#define API_RECORD_MAX     100000   /* packets a network's flight recorder keeps */
#define API_MAX_POLICIES   1024	    /* policies per switch */
#define API_POLICY_RULES   65536    /* rules of one policy (matches, once lists are expanded) */
#define API_POLICY_APPLY   4096	    /* places one policy is applied to */
#define API_CT_SIZE	   131072   /* connections the stateful table holds (default) */
#define API_MAX_VTEPS	   1024	    /* remote VTEPs per switch, over all networks */
#define API_NEIGH_MAX	   1024	    /* underlay neighbours (next hops) the ARP table holds */
#define API_VXLAN_PORT	   4789	    /* UDP destination port of VXLAN (IANA) */
#define API_VXLAN_OVERHEAD 50	    /* outer Ethernet, IPv4, UDP and VXLAN headers */

/* ---- drop and event reasons ----
 * X(enum suffix, API name, meaning). A drop loses the frame; an event does
 * not (the frame goes on) but is worth counting. */
#define API_DROP_LIST(X)                                                                           \
	X(RUNT, "runt", "frame shorter than an Ethernet header")                                   \
	X(SRC_MULTICAST, "src_multicast", "source MAC is multicast or broadcast")                  \
	X(SRC_ZERO, "src_zero", "source MAC is 00:00:00:00:00:00")                                 \
	X(SAME_PORT, "same_port", "destination was learned on the receiving port (hairpin)")       \
	X(NO_DESTINATION, "no_destination", "flood with no other port in the network")             \
	X(TX_FAILED, "tx_failed",                                                                  \
	  "output port could not take it (queue full, frame over its MTU)")                        \
	X(LINK_DOWN, "link_down", "output port has no peer (vhost-user guest not connected)")      \
	X(RX_MISSED, "rx_missed", "receive queue of the device or kernel was full")                \
	X(RX_NOMBUF, "rx_nombuf", "no packet buffer to receive into")                              \
	X(RX_TRUNCATED, "rx_truncated",                                                            \
	  "kernel frame longer than the port takes (TSO/GSO on the peer)")                         \
	X(POLICY, "policy", "a policy rule or a policy's default dropped it")                      \
	X(POLICY_REJECT, "policy_reject",                                                          \
	  "a policy rejected it (a TCP RST or ICMP unreachable went back)")                        \
	X(POLICY_RATE, "policy_rate", "over a policy rule's rate limit")                           \
	X(UNDERLAY_OTHER, "underlay_other",                                                        \
	  "on the underlay port: neither VXLAN to the switch's address nor ARP")                   \
	X(VXLAN_TRUNCATED, "vxlan_truncated", "VXLAN frame cut short of its headers")              \
	X(VXLAN_BAD_IP, "vxlan_bad_ip",                                                            \
	  "outer IPv4 header malformed (version, header or total length, UDP length)")             \
	X(VXLAN_IP_OPTIONS, "vxlan_ip_options", "outer IPv4 header with options")                  \
	X(VXLAN_BAD_CHECKSUM, "vxlan_bad_checksum", "outer IPv4 header checksum wrong")            \
	X(VXLAN_FRAGMENT, "vxlan_fragment", "outer IPv4 fragment (VXLAN is never fragmented)")     \
	X(VXLAN_NOT_LOCAL, "vxlan_not_local", "IPv4 on the underlay to another address")           \
	X(VXLAN_WRONG_PORT, "vxlan_wrong_port", "UDP to the switch's address on another port")     \
	X(VXLAN_BAD_FLAGS, "vxlan_bad_flags", "VXLAN header without its I flag")                   \
	X(VXLAN_UNKNOWN_VNI, "vxlan_unknown_vni", "VXLAN for a VNI no network here has")           \
	X(VXLAN_UNKNOWN_VTEP, "vxlan_unknown_vtep",                                                \
	  "VXLAN from a source that is not a remote VTEP of that network")                         \
	X(VXLAN_MTU, "vxlan_mtu",                                                                  \
	  "inner frame too long for the underlay MTU once encapsulated (never fragmented)")        \
	X(VXLAN_NO_NEIGHBOR, "vxlan_no_neighbor",                                                  \
	  "the next hop to the remote VTEP is not resolved yet (ARP under way)")                   \
	X(VXLAN_NOMBUF, "vxlan_nombuf", "no buffer for the encapsulated copy")                     \
	X(VXLAN_SPLIT_HORIZON, "vxlan_split_horizon",                                              \
	  "from a remote VTEP to a MAC behind another one (never sent VTEP to VTEP)")

#define API_EVENT_LIST(X)                                                                          \
	X(MAC_LIMIT, "mac_limit", "source not learned: the port reached its MAC limit")            \
	X(FDB_FULL, "fdb_full", "source not learned: the FDB is full")                             \
	X(CT_EVICTED, "ct_evicted",                                                                \
	  "a connection pushed the oldest out of the full stateful table")                         \
	X(REJECT_NOMBUF, "reject_nombuf",                                                          \
	  "no buffer for a policy's reject reply (the frame was dropped)")

enum api_drop {
#define API_ENUM(e, name, desc) API_DROP_##e,
	API_DROP_LIST(API_ENUM)
#undef API_ENUM
	API_DROP_MAX
};

enum api_event {
#define API_ENUM(e, name, desc) API_EVENT_##e,
	API_EVENT_LIST(API_ENUM)
#undef API_ENUM
	API_EVENT_MAX
};

struct api_reason {
	const char *name;
	const char *meaning;
};

extern const struct api_reason api_drops[API_DROP_MAX];
extern const struct api_reason api_events[API_EVENT_MAX];

/* ---- parameters and methods ---- */
enum api_type {
	API_T_NAME,    /* a network or port name: 1..API_NAME_MAX of [A-Za-z0-9_.-] */
	API_T_IFNAME,  /* a kernel interface name: 1..API_IFNAME_MAX, same characters */
	API_T_STRING,  /* any non-empty string up to `max` bytes */
	API_T_UINT,    /* an integer in min..max */
	API_T_MAC,     /* a unicast or multicast MAC, aa:bb:cc:dd:ee:ff */
	API_T_ENUM,    /* one of `values` */
	API_T_NAMES,   /* a list of 1..max names (API_T_NAME each) */
	API_T_OBJECTS, /* a list of 0..max JSON objects; the method checks their keys */
};

struct api_param {
	const char *key;    /* JSON key, e.g. "mac_limit" */
	enum api_type type;
	bool required;
	uint64_t min, max;          /* API_T_UINT: range; API_T_STRING: max bytes */
	const char *const *values;  /* API_T_ENUM: NULL-terminated */
	const char *cli;            /* CLI option ("mac-limit"), NULL: positional only */
	int pos;                    /* CLI position (0, 1, ...), -1: option only */
	const char *metavar;        /* CLI placeholder, e.g. "NET" */
	const char *help;           /* one line for --help and docs */
};

struct api_method {
	const char *name;             /* e.g. "network.add" */
	const char *summary;          /* one line */
	const struct api_param *params; /* terminated by a NULL key */
	bool saves;                   /* a change of the persisted configuration */
};

extern const struct api_method api_methods[]; /* terminated by a NULL name */

/* The method called `name`, or NULL. */
const struct api_method *api_method_find(const char *name);
/* Its parameter `key`, or NULL. */
const struct api_param *api_param_find(const struct api_method *m, const char *key);

/* ---- port types ---- */
enum api_port_param {
	API_PP_PATH = 1 << 0,
	API_PP_MODE = 1 << 1,
	API_PP_IFACE = 1 << 2,
	API_PP_DEVARGS = 1 << 3,
};

struct api_port_type {
	const char *name;    /* "vhost-user", ... */
	unsigned int takes;  /* API_PP_* this type accepts */
	unsigned int needs;  /* API_PP_* this type requires */
	unsigned int limit;  /* most ports of this type (0: no limit of its own) */
	const char *summary; /* one line: what it is */
};

extern const struct api_port_type api_port_types[]; /* terminated by a NULL name */
const struct api_port_type *api_port_type_find(const char *name);
/* The JSON key of a type-specific parameter bit ("path", ...). */
const char *api_port_param_key(enum api_port_param p);

/* ---- validation ---- */

/* Checks `params` (an object) against method `m`: no unknown keys, every
 * required one present, every value of its type and in range; port.add also
 * against its port type's parameters. 0, or -EINVAL with a message naming the
 * parameter and the fix in `msg`. */
int api_validate(const struct api_method *m, json_t *params, char *msg, size_t len);

/* Value checks shared by switch, CLI and controller. */
bool api_name_ok(const char *s);
bool api_ifname_ok(const char *s);

#endif
