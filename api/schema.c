/* The control API's tables and request validation; see schema.h. Pure. */
#include "schema.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "mac.h"
#include "name.h"

const struct api_reason api_drops[API_DROP_MAX] = {
#define API_REASON(e, name, desc) [API_DROP_##e] = {name, desc},
	API_DROP_LIST(API_REASON)
#undef API_REASON
};

const struct api_reason api_events[API_EVENT_MAX] = {
#define API_REASON(e, name, desc) [API_EVENT_##e] = {name, desc},
	API_EVENT_LIST(API_REASON)
#undef API_REASON
};

static const char *const port_type_names[] = {"vhost-user", "tap", "af-packet", "ring",
					      "null", "pcap", NULL};
static const char *const vhost_modes[] = {"client", "server", NULL};

#define P_NAME(k, p, mv, h) {k, API_T_NAME, true, 0, 0, NULL, NULL, p, mv, h}
#define P_END               {NULL}

static const struct api_param p_none[] = {P_END};

static const struct api_param p_name_net[] = {
	P_NAME("name", 0, "NAME", "network name: 1-31 of A-Z a-z 0-9 _ . -, not starting with . or -"),
	P_END,
};

static const struct api_param p_network_add[] = {
	P_NAME("name", 0, "NAME", "network name: 1-31 of A-Z a-z 0-9 _ . -, not starting with . or -"),
	{"vni", API_T_UINT, true, 1, API_VNI_MAX, NULL, "vni", -1, "N",
	 "VXLAN network identifier, 1 to 16777215, unique"},
	P_END,
};

static const struct api_param p_name_port[] = {
	P_NAME("name", 0, "NAME", "port name: 1-31 of A-Z a-z 0-9 _ . -, not starting with . or -"),
	P_END,
};

static const struct api_param p_port_add[] = {
	P_NAME("name", 0, "NAME", "port name: 1-31 of A-Z a-z 0-9 _ . -, not starting with . or -"),
	{"type", API_T_ENUM, true, 0, 0, port_type_names, "type", -1, "TYPE",
	 "vhost-user, tap, af-packet, ring, null or pcap"},
	{"network", API_T_NAME, true, 0, 0, NULL, "network", -1, "NET",
	 "network the port belongs to"},
	{"path", API_T_STRING, false, 0, API_PATH_MAX, NULL, "path", -1, "SOCKET",
	 "vhost-user: socket path (required)"},
	{"mode", API_T_ENUM, false, 0, 0, vhost_modes, "mode", -1, "MODE",
	 "vhost-user: client (default; the peer owns the socket) or server (the switch "
	 "creates it)"},
	{"iface", API_T_IFNAME, false, 0, 0, NULL, "iface", -1, "IFACE",
	 "tap: interface to create (default: NAME); af-packet: existing interface (required)"},
	{"devargs", API_T_STRING, false, 0, API_DEVARGS_MAX, NULL, "devargs", -1, "ARGS",
	 "ring, null, pcap: DPDK devargs (required for pcap: rx_pcap=IN,tx_pcap=OUT)"},
	{"mac_limit", API_T_UINT, false, 0, API_MAC_LIMIT_MAX, NULL, "mac-limit", -1, "N",
	 "learned-MAC limit of the port (0: no learning; default: the switch's --mac-limit)"},
	P_END,
};

static const struct api_param p_fdb_show[] = {
	{"network", API_T_NAME, true, 0, 0, NULL, "network", 0, "NETWORK", "network name"},
	P_END,
};

static const struct api_param p_fdb_flush[] = {
	{"network", API_T_NAME, false, 0, 0, NULL, "network", -1, "NET",
	 "only entries of this network"},
	{"port", API_T_NAME, false, 0, 0, NULL, "port", -1, "PORT",
	 "only entries learned on this port"},
	P_END,
};

static const struct api_param p_fdb_add_static[] = {
	{"network", API_T_NAME, true, 0, 0, NULL, "network", 0, "NETWORK", "network name"},
	{"mac", API_T_MAC, true, 0, 0, NULL, "mac", 1, "MAC", "unicast MAC, aa:bb:cc:dd:ee:ff"},
	{"port", API_T_NAME, true, 0, 0, NULL, "port", 2, "PORT", "port the MAC is behind"},
	P_END,
};

static const struct api_param p_fdb_del_static[] = {
	{"network", API_T_NAME, true, 0, 0, NULL, "network", 0, "NETWORK", "network name"},
	{"mac", API_T_MAC, true, 0, 0, NULL, "mac", 1, "MAC", "MAC of the static entry"},
	P_END,
};

static const char *const cap_directions[] = {"both", "in", "out", NULL};

static const struct api_param p_capture_start[] = {
    {"ports", API_T_NAMES, false, 0, API_MAX_PORTS, NULL, "ports", -1, "PORT...",
     "ports to capture on"},
    {"networks", API_T_NAMES, false, 0, API_MAX_NETS, NULL, "networks", -1, "NET...",
     "networks to capture on: every port in them, also ports added later"},
    {"direction", API_T_ENUM, false, 0, 0, cap_directions, "direction", -1, "DIR",
     "in: frames entering the switch from the port; out: frames it sends there; both "
     "(default)"},
    {"filter", API_T_STRING, false, 0, API_FILTER_MAX, NULL, "filter", -1, "EXPR",
     "libpcap filter expression (pcap-filter(7)); default: every frame"},
    {"snaplen", API_T_UINT, false, 1, API_SNAPLEN_MAX, NULL, "snaplen", -1, "BYTES",
     "bytes kept of each frame (default 65535: whole frames)"},
    {"policy", API_T_NAME, false, 0, 0, NULL, "policy", -1, "POLICY",
     "also the frames this policy's mirror rules copy"},
    P_END,
};

static const struct api_param p_capture_id[] = {
	{"id", API_T_UINT, true, 1, UINT32_MAX, NULL, NULL, 0, "ID", "capture id"},
	P_END,
};

static const struct api_param p_capture_recent[] = {
	{"network", API_T_NAME, true, 0, 0, NULL, NULL, 0, "NETWORK",
	 "network whose flight recorder to read"},
	P_END,
};

static const struct api_param p_network_record[] = {
	{"name", API_T_NAME, true, 0, 0, NULL, NULL, 0, "NAME", "network name"},
	{"packets", API_T_UINT, true, 0, API_RECORD_MAX, NULL, NULL, 1, "N",
	 "packets to keep, 1 to 100000 (0: recorder off)"},
	{"snaplen", API_T_UINT, false, 1, API_SNAPLEN_MAX, NULL, "snaplen", -1, "BYTES",
	 "bytes kept of each frame (default 65535)"},
	P_END,
};

static const char *const pol_defaults[] = {"allow", "drop", "reject", NULL};

static const struct api_param p_policy_set[] = {
    P_NAME("name", 0, "NAME", "policy name: 1-31 of A-Z a-z 0-9 _ . -, not starting with . or -"),
    {"default", API_T_ENUM, false, 0, 0, pol_defaults, "default", -1, "ACTION",
     "what frames no rule matches get: allow (default), drop or reject"},
    {"rules", API_T_OBJECTS, false, 0, API_POLICY_RULES, NULL, "rules", -1, "JSON",
     "the rules in order, first match wins (docs/policy.md)"},
    {"apply", API_T_OBJECTS, false, 0, API_POLICY_APPLY, NULL, "apply", -1, "JSON",
     "where it applies: [{\"network\": NET | \"port\": PORT, \"direction\": "
     "\"in\" | \"out\"}]"},
    P_END,
};

static const struct api_param p_policy_del[] = {
    P_NAME("name", 0, "NAME", "policy name"),
    P_END,
};

static const struct api_param p_policy_list[] = {
    {"name", API_T_NAME, false, 0, 0, NULL, NULL, 0, "NAME", "only this policy"},
    P_END,
};

static const struct api_param p_underlay_set[] = {
    {"port", API_T_NAME, true, 0, 0, NULL, "port", 0, "PORT",
     "the port towards the underlay (af-packet, tap, vhost-user or DPDK), in a network of its own"},
    {"address", API_T_STRING, true, 0, 64, NULL, "address", 1, "A.B.C.D/LEN",
     "the switch's underlay IPv4 address and prefix length, e.g. 192.0.2.1/24"},
    {"gateway", API_T_STRING, false, 0, 64, NULL, "gateway", -1, "A.B.C.D",
     "next hop to remote VTEPs outside the prefix (default: none, all on-link)"},
    {"mtu", API_T_UINT, false, 576, 9000, NULL, "mtu", -1, "BYTES",
     "underlay IP MTU (default 1500: inner frames of up to 1464 bytes, inner MTU 1450)"},
    {"udp_port", API_T_UINT, false, 1, 65535, NULL, "udp-port", -1, "PORT",
     "UDP destination port of VXLAN, sent and accepted (default 4789)"},
    {"ttl", API_T_UINT, false, 1, 255, NULL, "ttl", -1, "N", "outer TTL (default 64)"},
    {"mac", API_T_MAC, false, 0, 0, NULL, "mac", -1, "MAC",
     "the switch's underlay MAC (default: the interface's, for af-packet and tap)"},
    P_END,
};

static const struct api_param p_vtep[] = {
    {"network", API_T_NAME, true, 0, 0, NULL, "network", 0, "NETWORK", "network name"},
    {"remote", API_T_STRING, true, 0, 64, NULL, "remote", 1, "A.B.C.D",
     "underlay IPv4 address of the remote VTEP"},
    P_END,
};

static const struct api_param p_vtep_list[] = {
    {"network", API_T_NAME, false, 0, 0, NULL, "network", 0, "NETWORK", "only this network"},
    P_END,
};

const struct api_method api_methods[] = {
    {"version", "the switch's name, version and API version", p_none, false},
    {"network.add", "create a network (an L2 segment with its own VNI)", p_network_add, true},
    {"network.del", "delete a network (its ports must be deleted first)", p_name_net, true},
    {"network.list", "networks with their VNI, ports and MAC count", p_none, false},
    {"port.add", "attach a port to a network", p_port_add, true},
    {"port.del", "remove a port and its FDB entries", p_name_port, true},
    {"port.list", "ports with their network, link state and MAC count", p_none, false},
    {"fdb.show", "the MAC table of a network", p_fdb_show, false},
    {"fdb.flush", "remove learned entries (static entries stay)", p_fdb_flush, false},
    {"fdb.add_static", "add or replace a static entry (never ages, never moves)", p_fdb_add_static,
     true},
    {"fdb.del_static", "delete a static entry", p_fdb_del_static, true},
    {"stats", "port, drop, event, network, PMD and memory counters", p_none, false},
    {"stats.clear", "zero every counter", p_none, false},
    {"network.record", "switch a network's flight recorder on (its last N packets) or off",
     p_network_record, true},
    {"capture.start", "tap ports and networks; the frames stream on a socket passed back",
     p_capture_start, false},
    {"capture.stop", "end a capture: taps off, the rest of the stream, final counters",
     p_capture_id, false},
    {"capture.recent", "what a network's flight recorder holds now, as a capture stream",
     p_capture_recent, false},
    {"capture.list", "captures and flight recorders with their counters", p_none, false},
    {"policy.set", "create or replace a policy, swapped in without losing a packet", p_policy_set,
     true},
    {"policy.del", "remove a policy from every place it applies to", p_policy_del, true},
    {"policy.list", "policies with their rules and hit counters, and the connection table",
     p_policy_list, false},
    {"underlay.set", "the switch's VXLAN underlay: port, IPv4 address, next hop, MTU",
     p_underlay_set, true},
    {"underlay.del", "remove the underlay (VTEPs stay, without a way out)", p_none, true},
    {"underlay.show", "the underlay and its ARP table", p_none, false},
    {"vtep.add", "add a remote VTEP to a network (head-end replication, learned MACs)", p_vtep,
     true},
    {"vtep.del", "remove a remote VTEP from a network, and the MACs behind it", p_vtep, true},
    {"vtep.list", "remote VTEPs with their next hop and counters", p_vtep_list, false},
    {NULL},
};

const struct api_port_type api_port_types[] = {
	{"vhost-user", API_PP_PATH | API_PP_MODE, API_PP_PATH, API_MAX_VHOST,
	 "a guest's virtio NIC over a vhost-user socket"},
	{"tap", API_PP_IFACE, 0, 0, "a TAP interface the switch creates"},
	{"af-packet", API_PP_IFACE, API_PP_IFACE, 0, "an existing kernel interface (a veth)"},
	/* ring, null and pcap share one limit, API_MAX_ETHDEV, checked as the
	 * device opens (DPDK's ethdev table holds them all) */
	{"ring", API_PP_DEVARGS, 0, 0, "a DPDK ring device (tests)"},
	{"null", API_PP_DEVARGS, 0, 0, "a DPDK null device: a sink (benchmarks)"},
	{"pcap", API_PP_DEVARGS, API_PP_DEVARGS, 0,
	 "a DPDK pcap device: frames from and to pcap files"},
	{NULL},
};

const struct api_method *api_method_find(const char *name)
{
	for (const struct api_method *m = api_methods; m->name != NULL; m++)
		if (strcmp(m->name, name) == 0)
			return m;
	return NULL;
}

const struct api_param *api_param_find(const struct api_method *m, const char *key)
{
	for (const struct api_param *p = m->params; p->key != NULL; p++)
		if (strcmp(p->key, key) == 0)
			return p;
	return NULL;
}

const struct api_port_type *api_port_type_find(const char *name)
{
	for (const struct api_port_type *t = api_port_types; t->name != NULL; t++)
		if (strcmp(t->name, name) == 0)
			return t;
	return NULL;
}

const char *api_port_param_key(enum api_port_param p)
{
	switch (p) {
	case API_PP_PATH:
		return "path";
	case API_PP_MODE:
		return "mode";
	case API_PP_IFACE:
		return "iface";
	case API_PP_DEVARGS:
		return "devargs";
	}
	return "?";
}

bool api_name_ok(const char *s)
{
	return name_ok(s, API_NAME_MAX);
}

bool api_ifname_ok(const char *s)
{
	return name_ok(s, API_IFNAME_MAX);
}

/* Shows a string in a message: at most 40 bytes, cut on a character
 * boundary, with "..." when cut. */
static const char *shown(const char *s, char *buf, size_t len)
{
	size_t n = strlen(s);

	if (n <= 40) {
		snprintf(buf, len, "%s", s);
		return buf;
	}
	n = 40;
	while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
		n--; /* do not cut a UTF-8 sequence */
	snprintf(buf, len, "%.*s...", (int)n, s);
	return buf;
}

static int check_value(const struct api_param *p, json_t *v, char *msg, size_t len)
{
	char b[64];

	switch (p->type) {
	case API_T_NAME:
	case API_T_IFNAME:
	{
		size_t max = p->type == API_T_NAME ? API_NAME_MAX : API_IFNAME_MAX;

		if (!json_is_string(v)) {
			snprintf(msg, len, "\"%s\" must be a name (a string)", p->key);
			return -EINVAL;
		}
		if (!name_ok(json_string_value(v), max)) {
			snprintf(msg, len,
				 "\"%s\": name \"%s\" %s; use 1-%zu of A-Z a-z 0-9 _ . -, not "
				 "starting with . or -",
				 p->key, shown(json_string_value(v), b, sizeof(b)),
				 name_problem(json_string_value(v), max), max);
			return -EINVAL;
		}
		return 0;
	}
	case API_T_STRING:
		if (!json_is_string(v) || json_string_length(v) == 0 ||
		    json_string_length(v) > p->max || strlen(json_string_value(v)) !=
							  json_string_length(v)) {
			snprintf(msg, len, "\"%s\" must be a non-empty string of at most %llu bytes",
				 p->key, (unsigned long long)p->max);
			return -EINVAL;
		}
		return 0;
	case API_T_UINT:
		if (!json_is_integer(v) || json_integer_value(v) < 0 ||
		    (uint64_t)json_integer_value(v) < p->min ||
		    (uint64_t)json_integer_value(v) > p->max) {
			snprintf(msg, len, "\"%s\" must be an integer from %llu to %llu", p->key,
				 (unsigned long long)p->min, (unsigned long long)p->max);
			return -EINVAL;
		}
		return 0;
	case API_T_MAC: {
		uint8_t mac[6];

		if (!json_is_string(v) || mac_parse(json_string_value(v), mac) < 0) {
			snprintf(msg, len, "\"%s\" must be a MAC address like 52:54:00:12:34:56 "
				 "(got %s)", p->key,
				 json_is_string(v) ? shown(json_string_value(v), b, sizeof(b))
						   : "a non-string");
			return -EINVAL;
		}
		return 0;
	}
	case API_T_NAMES: {
		size_t i;
		json_t *e;

		if (!json_is_array(v) || json_array_size(v) == 0 || json_array_size(v) > p->max) {
			snprintf(msg, len, "\"%s\" must be a list of 1 to %llu names", p->key,
				 (unsigned long long)p->max);
			return -EINVAL;
		}
		json_array_foreach(v, i, e)
		{
			if (!json_is_string(e) || !name_ok(json_string_value(e), API_NAME_MAX)) {
				snprintf(msg, len,
					 "\"%s\": item %zu must be a name: 1-%d of A-Z a-z 0-9 _ . "
					 "-, not starting with . or - (got %s)",
					 p->key, i + 1, API_NAME_MAX,
					 json_is_string(e) ? shown(json_string_value(e), b, sizeof(b))
							   : "a non-string");
				return -EINVAL;
			}
		}
		return 0;
	}
	case API_T_OBJECTS: {
		size_t i;
		json_t *e;

		if (!json_is_array(v) || json_array_size(v) > p->max) {
			snprintf(msg, len, "\"%s\" must be a list of at most %llu objects", p->key,
				 (unsigned long long)p->max);
			return -EINVAL;
		}
		json_array_foreach(v, i, e)
		{
			if (!json_is_object(e)) {
				snprintf(msg, len, "\"%s\": item %zu must be an object {...}",
					 p->key, i + 1);
				return -EINVAL;
			}
		}
		return 0;
	}
	case API_T_ENUM:
		if (json_is_string(v))
			for (const char *const *e = p->values; *e != NULL; e++)
				if (strcmp(*e, json_string_value(v)) == 0)
					return 0;
		{
			size_t off = (size_t)snprintf(msg, len, "\"%s\" must be one of", p->key);

			for (const char *const *e = p->values; *e != NULL && off < len; e++)
				off += (size_t)snprintf(msg + off, len - off, "%s %s",
							e == p->values ? "" : ",", *e);
		}
		return -EINVAL;
	}
	return -EINVAL;
}

/* port.add: the type-specific parameters its type takes and needs. */
static int check_port_type(json_t *params, char *msg, size_t len)
{
	const struct api_port_type *t =
		api_port_type_find(json_string_value(json_object_get(params, "type")));

	for (unsigned int bit = API_PP_PATH; bit <= API_PP_DEVARGS; bit <<= 1) {
		const char *key = api_port_param_key((enum api_port_param)bit);
		bool given = json_object_get(params, key) != NULL;

		if (given && !(t->takes & bit)) {
			snprintf(msg, len, "\"%s\" does not apply to %s ports", key, t->name);
			return -EINVAL;
		}
		if (!given && (t->needs & bit)) {
			snprintf(msg, len, "%s ports need \"%s\"", t->name, key);
			return -EINVAL;
		}
	}
	return 0;
}

int api_validate(const struct api_method *m, json_t *params, char *msg, size_t len)
{
	const char *key;
	json_t *v;
	char b[64];

	json_object_foreach(params, key, v)
	{
		const struct api_param *p = api_param_find(m, key);

		if (p == NULL) {
			size_t off = (size_t)snprintf(msg, len, "%s: unknown parameter \"%s\"",
						      m->name, shown(key, b, sizeof(b)));

			if (off >= len) {
				/* message already cut at len */
			} else if (m->params[0].key == NULL) {
				snprintf(msg + off, len - off, " (it takes none)");
			} else {
				off += (size_t)snprintf(msg + off, len - off, " (it takes");
				for (const struct api_param *q = m->params; q->key && off < len; q++)
					off += (size_t)snprintf(msg + off, len - off, "%s %s",
								q == m->params ? "" : ",",
								q->key);
				if (off < len)
					snprintf(msg + off, len - off, ")");
			}
			return -EINVAL;
		}
		if (check_value(p, v, msg, len) < 0)
			return -EINVAL;
	}
	for (const struct api_param *p = m->params; p->key != NULL; p++)
		if (p->required && json_object_get(params, p->key) == NULL) {
			snprintf(msg, len, "%s needs \"%s\" (%s)", m->name, p->key, p->help);
			return -EINVAL;
		}
	if (strcmp(m->name, "port.add") == 0)
		return check_port_type(params, msg, len);
	return 0;
}
