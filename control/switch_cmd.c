/* `vlab switch ...`: the command tree of the switch commands, the request
 * builders (argv -> method + params, pure), the printers of their results, and
 * switch_cmd_run() that ties them to the API client.
 *
 * Threads: main thread of the vlab CLI. Only switch_cmd_run() does I/O on the
 * switch socket; builders only allocate JSON. */
#include "switch_cmd.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "swclient.h"
#include "table.h"

#define SWCMD_API_VERSION 1 /* API version this client speaks */
#define VNI_MAX		  16777215
#define IFACE_MAX_LEN	  15 /* IFNAMSIZ - 1 */

typedef int (*swcmd_build_fn)(const struct args *a, struct swcmd_req *req, char *err,
			      size_t errlen);

/* One word of the command tree: a group (children) or a command (build). */
struct swcmd_node {
	const char *name;		   /* word on the command line */
	const char *alias;		   /* other accepted word, or NULL */
	const char *summary;		   /* one line for the parent's help */
	const char *usage;		   /* usage line without "usage: " */
	const char *prefix;		   /* group: its words, e.g. "vlab switch fdb" */
	const char *details;		   /* option descriptions for help, or NULL */
	const struct swcmd_node *children; /* group: subcommands, NULL-name terminated */
	const char *default_child;	   /* group: command run when none is given */
	const struct args_opt *opts;	   /* command: options it accepts */
	size_t nopts;
	swcmd_build_fn build; /* command: fills the request */
};

/* ---- builder helpers ---------------------------------------------------- */

/* The value of option `opt` when given (opt >= 0), else the next positional
 * argument, else NULL. */
static const char *take(const struct args *a, int opt, int *next)
{
	if (opt >= 0 && a->value[opt])
		return a->value[opt];
	if (*next < a->npos)
		return a->pos[(*next)++];
	return NULL;
}

static int missing(const char *what, char *err, size_t errlen)
{
	snprintf(err, errlen, "missing %s", what);
	return -EINVAL;
}

/* Fails when positional arguments remain after `next`. */
static int no_more(const struct args *a, int next, char *err, size_t errlen)
{
	if (next < a->npos) {
		snprintf(err, errlen, "unexpected argument '%s'", a->pos[next]);
		return -EINVAL;
	}
	return 0;
}

/* Takes a required name (option `opt` or next positional) and validates it. */
static int take_name(const struct args *a, int opt, int *next, const char *metavar,
		     const char *what, const char **out, char *err, size_t errlen)
{
	const char *s = take(a, opt, next);

	if (!s)
		return missing(metavar, err, errlen);
	*out = s;
	return args_name(s, what, err, errlen);
}

static int set_params(struct swcmd_req *req, json_t *params)
{
	if (!params)
		return -ENOMEM;
	req->params = params;
	return 0;
}

/* ---- version ------------------------------------------------------------ */

static int build_version(const struct args *a, struct swcmd_req *req, char *err, size_t errlen)
{
	int ret = no_more(a, 0, err, errlen);

	req->method = "version";
	req->view = SWCMD_VIEW_VERSION;
	return ret;
}

/* ---- network ------------------------------------------------------------ */

enum { NET_ADD_VNI };
static const struct args_opt net_add_opts[] = {
    [NET_ADD_VNI] = {"vni", true},
};

static int build_network_add(const struct args *a, struct swcmd_req *req, char *err, size_t errlen)
{
	const char *name;
	uint64_t vni;
	int next = 0;
	int ret;

	ret = take_name(a, -1, &next, "NAME", "network name", &name, err, errlen);
	if (ret < 0)
		return ret;
	ret = no_more(a, next, err, errlen);
	if (ret < 0)
		return ret;
	if (!a->value[NET_ADD_VNI])
		return missing("--vni N (VXLAN network identifier, 1 to 16777215)", err, errlen);
	ret = args_u64(a->value[NET_ADD_VNI], 1, VNI_MAX, "--vni", &vni, err, errlen);
	if (ret < 0)
		return ret;
	req->method = "network.add";
	return set_params(req, json_pack("{s:s, s:I}", "name", name, "vni", (json_int_t)vni));
}

/* Builds {"name": NAME} for the *.del methods. */
static int build_del(const struct args *a, struct swcmd_req *req, const char *method,
		     const char *what, char *err, size_t errlen)
{
	const char *name;
	int next = 0;
	int ret;

	ret = take_name(a, -1, &next, "NAME", what, &name, err, errlen);
	if (ret < 0)
		return ret;
	ret = no_more(a, next, err, errlen);
	if (ret < 0)
		return ret;
	req->method = method;
	return set_params(req, json_pack("{s:s}", "name", name));
}

static int build_network_del(const struct args *a, struct swcmd_req *req, char *err, size_t errlen)
{
	return build_del(a, req, "network.del", "network name", err, errlen);
}

static int build_network_list(const struct args *a, struct swcmd_req *req, char *err, size_t errlen)
{
	req->method = "network.list";
	req->view = SWCMD_VIEW_NETWORKS;
	return no_more(a, 0, err, errlen);
}

/* ---- port --------------------------------------------------------------- */

enum {
	PORT_TYPE,
	PORT_NETWORK,
	PORT_PATH,
	PORT_MODE,
	PORT_IFACE,
	PORT_DEVARGS,
	PORT_MAC_LIMIT,
};
static const struct args_opt port_add_opts[] = {
    [PORT_TYPE] = {"type", true},	    /* required */
    [PORT_NETWORK] = {"network", true},	    /* required */
    [PORT_PATH] = {"path", true},	    /* vhost-user */
    [PORT_MODE] = {"mode", true},	    /* vhost-user */
    [PORT_IFACE] = {"iface", true},	    /* tap, af-packet */
    [PORT_DEVARGS] = {"devargs", true},	    /* ring, null, pcap */
    [PORT_MAC_LIMIT] = {"mac-limit", true}, /* any type */
};

#define PORT_OPT(o) (1u << (o))

/* Which type-specific options each port type takes (docs/switch-api.md). */
static const struct port_type {
	const char *name;
	unsigned allowed;  /* PORT_OPT() bits of options that apply */
	unsigned required; /* PORT_OPT() bits of options that must be given */
} port_types[] = {
    {"vhost-user", PORT_OPT(PORT_PATH) | PORT_OPT(PORT_MODE), PORT_OPT(PORT_PATH)},
    {"tap", PORT_OPT(PORT_IFACE), 0},
    {"af-packet", PORT_OPT(PORT_IFACE), PORT_OPT(PORT_IFACE)},
    {"ring", PORT_OPT(PORT_DEVARGS), 0},
    {"null", PORT_OPT(PORT_DEVARGS), 0},
    {"pcap", PORT_OPT(PORT_DEVARGS), PORT_OPT(PORT_DEVARGS)},
};

/* Value placeholder of each type-specific option, for messages. */
static const char *const port_metavar[] = {
    [PORT_PATH] = "--path SOCKET",
    [PORT_MODE] = "--mode client|server",
    [PORT_IFACE] = "--iface IFACE",
    [PORT_DEVARGS] = "--devargs ARGS",
};

static const struct port_type *find_port_type(const char *name)
{
	for (size_t i = 0; i < sizeof(port_types) / sizeof(port_types[0]); i++) {
		if (strcmp(port_types[i].name, name) == 0)
			return &port_types[i];
	}
	return NULL;
}

/* Checks the type-specific options against the port type. */
static int check_port_opts(const struct args *a, const struct port_type *pt, char *err,
			   size_t errlen)
{
	for (int o = PORT_PATH; o <= PORT_DEVARGS; o++) {
		bool given = a->value[o] != NULL;

		if (given && !(pt->allowed & PORT_OPT(o))) {
			snprintf(err, errlen, "option '--%s' does not apply to --type %s",
				 port_add_opts[o].name, pt->name);
			return -EINVAL;
		}
		if (!given && (pt->required & PORT_OPT(o))) {
			snprintf(err, errlen, "--type %s needs %s", pt->name, port_metavar[o]);
			return -EINVAL;
		}
	}
	if (a->value[PORT_MODE] && strcmp(a->value[PORT_MODE], "client") != 0 &&
	    strcmp(a->value[PORT_MODE], "server") != 0) {
		snprintf(err, errlen, "--mode must be client or server, not '%s'",
			 a->value[PORT_MODE]);
		return -EINVAL;
	}
	if (a->value[PORT_PATH] && a->value[PORT_PATH][0] == '\0') {
		snprintf(err, errlen, "--path must not be empty");
		return -EINVAL;
	}
	if (a->value[PORT_IFACE]) {
		size_t len = strlen(a->value[PORT_IFACE]);

		if (len == 0 || len > IFACE_MAX_LEN) {
			snprintf(err, errlen, "--iface '%s' must be 1 to %d characters long",
				 a->value[PORT_IFACE], IFACE_MAX_LEN);
			return -EINVAL;
		}
	}
	if (a->value[PORT_DEVARGS] && a->value[PORT_DEVARGS][0] == '\0') {
		snprintf(err, errlen, "--devargs must not be empty");
		return -EINVAL;
	}
	return 0;
}

static int build_port_add(const struct args *a, struct swcmd_req *req, char *err, size_t errlen)
{
	static const char *const keys[] = {
	    [PORT_PATH] = "path",
	    [PORT_MODE] = "mode",
	    [PORT_IFACE] = "iface",
	    [PORT_DEVARGS] = "devargs",
	};
	const struct port_type *pt;
	const char *name, *network;
	uint64_t mac_limit = 0;
	json_t *params;
	int next = 0;
	int ret;

	ret = take_name(a, -1, &next, "NAME", "port name", &name, err, errlen);
	if (ret < 0)
		return ret;
	ret = no_more(a, next, err, errlen);
	if (ret < 0)
		return ret;
	if (!a->value[PORT_TYPE])
		return missing("--type vhost-user|tap|af-packet|ring|null|pcap", err, errlen);
	pt = find_port_type(a->value[PORT_TYPE]);
	if (!pt) {
		snprintf(err, errlen,
			 "unknown port type '%s' (expected vhost-user, tap, af-packet, ring, null "
			 "or pcap)",
			 a->value[PORT_TYPE]);
		return -EINVAL;
	}
	network = a->value[PORT_NETWORK];
	if (!network)
		return missing("--network NET", err, errlen);
	ret = args_name(network, "network name", err, errlen);
	if (ret < 0)
		return ret;
	ret = check_port_opts(a, pt, err, errlen);
	if (ret < 0)
		return ret;
	if (a->value[PORT_MAC_LIMIT]) {
		ret = args_u64(a->value[PORT_MAC_LIMIT], 0, UINT32_MAX, "--mac-limit", &mac_limit,
			       err, errlen);
		if (ret < 0)
			return ret;
	}

	params = json_pack("{s:s, s:s, s:s}", "name", name, "type", pt->name, "network", network);
	ret = set_params(req, params);
	if (ret < 0)
		return ret;
	for (int o = PORT_PATH; o <= PORT_DEVARGS; o++) {
		if (a->value[o] && json_object_set_new(params, keys[o], json_string(a->value[o])))
			return -ENOMEM;
	}
	if (a->value[PORT_MAC_LIMIT] &&
	    json_object_set_new(params, "mac_limit", json_integer((json_int_t)mac_limit)))
		return -ENOMEM;
	req->method = "port.add";
	return 0;
}

static int build_port_del(const struct args *a, struct swcmd_req *req, char *err, size_t errlen)
{
	return build_del(a, req, "port.del", "port name", err, errlen);
}

static int build_port_list(const struct args *a, struct swcmd_req *req, char *err, size_t errlen)
{
	req->method = "port.list";
	req->view = SWCMD_VIEW_PORTS;
	return no_more(a, 0, err, errlen);
}

/* ---- fdb ---------------------------------------------------------------- */

/* Options shared by the fdb commands; each takes a prefix of this list. */
enum { FDB_NETWORK, FDB_MAC, FDB_PORT };
static const struct args_opt fdb_opts[] = {
    [FDB_NETWORK] = {"network", true},
    [FDB_MAC] = {"mac", true},
    [FDB_PORT] = {"port", true},
};
static const struct args_opt fdb_flush_opts[] = {
    {"network", true},
    {"port", true},
};

static int build_fdb_show(const struct args *a, struct swcmd_req *req, char *err, size_t errlen)
{
	const char *network;
	int next = 0;
	int ret;

	ret = take_name(a, FDB_NETWORK, &next, "NETWORK", "network name", &network, err, errlen);
	if (ret < 0)
		return ret;
	ret = no_more(a, next, err, errlen);
	if (ret < 0)
		return ret;
	req->method = "fdb.show";
	req->view = SWCMD_VIEW_FDB;
	return set_params(req, json_pack("{s:s}", "network", network));
}

static int build_fdb_flush(const struct args *a, struct swcmd_req *req, char *err, size_t errlen)
{
	const char *network = a->value[0], *port = a->value[1];
	int ret;

	ret = no_more(a, 0, err, errlen);
	if (ret < 0)
		return ret;
	if (network && port) {
		snprintf(err, errlen, "give --network or --port, not both");
		return -EINVAL;
	}
	if (network && (ret = args_name(network, "network name", err, errlen)) < 0)
		return ret;
	if (port && (ret = args_name(port, "port name", err, errlen)) < 0)
		return ret;
	req->method = "fdb.flush";
	req->view = SWCMD_VIEW_FLUSH;
	if (network)
		return set_params(req, json_pack("{s:s}", "network", network));
	if (port)
		return set_params(req, json_pack("{s:s}", "port", port));
	return set_params(req, json_object());
}

/* Takes NETWORK and MAC, as options or positionally, for the static commands. */
static int take_network_mac(const struct args *a, int *next, const char **network, char mac[18],
			    char *err, size_t errlen)
{
	const char *s;
	int ret;

	ret = take_name(a, FDB_NETWORK, next, "NETWORK", "network name", network, err, errlen);
	if (ret < 0)
		return ret;
	s = take(a, FDB_MAC, next);
	if (!s)
		return missing("MAC", err, errlen);
	return args_mac(s, mac, err, errlen);
}

static int build_fdb_add_static(const struct args *a, struct swcmd_req *req, char *err,
				size_t errlen)
{
	const char *network, *port;
	char mac[18];
	int next = 0;
	int ret;

	ret = take_network_mac(a, &next, &network, mac, err, errlen);
	if (ret < 0)
		return ret;
	ret = take_name(a, FDB_PORT, &next, "PORT", "port name", &port, err, errlen);
	if (ret < 0)
		return ret;
	ret = no_more(a, next, err, errlen);
	if (ret < 0)
		return ret;
	req->method = "fdb.add-static";
	return set_params(
	    req, json_pack("{s:s, s:s, s:s}", "network", network, "mac", mac, "port", port));
}

static int build_fdb_del_static(const struct args *a, struct swcmd_req *req, char *err,
				size_t errlen)
{
	const char *network;
	char mac[18];
	int next = 0;
	int ret;

	ret = take_network_mac(a, &next, &network, mac, err, errlen);
	if (ret < 0)
		return ret;
	ret = no_more(a, next, err, errlen);
	if (ret < 0)
		return ret;
	req->method = "fdb.del-static";
	return set_params(req, json_pack("{s:s, s:s}", "network", network, "mac", mac));
}

/* ---- stats, raw --------------------------------------------------------- */

static const struct args_opt stats_opts[] = {
    {"clear", false},
};

static int build_stats(const struct args *a, struct swcmd_req *req, char *err, size_t errlen)
{
	if (a->value[0]) {
		req->method = "stats.clear";
		req->view = SWCMD_VIEW_NONE;
	} else {
		req->method = "stats";
		req->view = SWCMD_VIEW_STATS;
	}
	return no_more(a, 0, err, errlen);
}

static int build_raw(const struct args *a, struct swcmd_req *req, char *err, size_t errlen)
{
	json_error_t jerr;
	json_t *params;
	int next = 0;
	const char *method = take(a, -1, &next);
	const char *text = take(a, -1, &next);
	int ret;

	if (!method)
		return missing("METHOD", err, errlen);
	if (method[0] == '\0') {
		snprintf(err, errlen, "METHOD must not be empty");
		return -EINVAL;
	}
	ret = no_more(a, next, err, errlen);
	if (ret < 0)
		return ret;
	req->method = method;
	req->view = SWCMD_VIEW_RAW;
	if (!text)
		return 0;
	/* Any JSON value: raw is also for checking how the switch rejects bad params. */
	params = json_loads(text, JSON_DECODE_ANY, &jerr);
	if (!params) {
		snprintf(err, errlen, "PARAMS is not valid JSON: %s (column %d)", jerr.text,
			 jerr.column);
		return -EINVAL;
	}
	req->params = params;
	return 0;
}

/* ---- command tree ------------------------------------------------------- */

#define NOPTS(o) (sizeof(o) / sizeof((o)[0]))

static const struct swcmd_node network_cmds[] = {
    {
	.name = "add",
	.summary = "create a network (an L2 segment with its own VXLAN VNI)",
	.usage = "vlab switch network add NAME --vni N",
	.details = "  NAME      1-31 characters from A-Z a-z 0-9 _ . -\n"
		   "  --vni N   VXLAN network identifier, 1 to 16777215, unique\n",
	.opts = net_add_opts,
	.nopts = NOPTS(net_add_opts),
	.build = build_network_add,
    },
    {
	.name = "del",
	.summary = "delete a network (its ports must be deleted first)",
	.usage = "vlab switch network del NAME",
	.build = build_network_del,
    },
    {
	.name = "list",
	.alias = "ls",
	.summary = "list networks with their VNI, ports and MAC count",
	.usage = "vlab switch network list",
	.build = build_network_list,
    },
    {0},
};

static const struct swcmd_node port_cmds[] = {
    {
	.name = "add",
	.summary = "attach a port to a network",
	.usage = "vlab switch port add NAME --type TYPE --network NET [--path P] "
		 "[--mode client|server] [--iface IF] [--devargs S] [--mac-limit N]",
	.details = "  --type TYPE       vhost-user, tap, af-packet, ring, null or pcap\n"
		   "  --network NET     network the port belongs to\n"
		   "  --path P          vhost-user: socket path (required)\n"
		   "  --mode M          vhost-user: client (default; the peer owns the socket)\n"
		   "                    or server (the switch creates it)\n"
		   "  --iface IF        tap: interface to create (default: NAME);\n"
		   "                    af-packet: existing interface to attach (required)\n"
		   "  --devargs S       ring, null, pcap: extra DPDK devargs (required for pcap,\n"
		   "                    e.g. rx_pcap=/tmp/in.pcap,tx_pcap=/tmp/out.pcap)\n"
		   "  --mac-limit N     learned-MAC limit of the port (0: no learning;\n"
		   "                    default: the switch's --mac-limit)\n",
	.opts = port_add_opts,
	.nopts = NOPTS(port_add_opts),
	.build = build_port_add,
    },
    {
	.name = "del",
	.summary = "remove a port and its FDB entries",
	.usage = "vlab switch port del NAME",
	.build = build_port_del,
    },
    {
	.name = "list",
	.alias = "ls",
	.summary = "list ports with their network, link state and MAC count",
	.usage = "vlab switch port list",
	.build = build_port_list,
    },
    {0},
};

static const struct swcmd_node fdb_cmds[] = {
    {
	.name = "show",
	.summary = "show the MAC table of a network",
	.usage = "vlab switch fdb show NETWORK",
	.opts = fdb_opts,
	.nopts = 1,
	.build = build_fdb_show,
    },
    {
	.name = "flush",
	.summary = "remove learned entries (static entries stay)",
	.usage = "vlab switch fdb flush [--network NET | --port PORT]",
	.details = "  --network NET   only entries of this network\n"
		   "  --port PORT     only entries learned on this port\n"
		   "  (neither: all learned entries of the switch)\n",
	.opts = fdb_flush_opts,
	.nopts = NOPTS(fdb_flush_opts),
	.build = build_fdb_flush,
    },
    {
	.name = "add-static",
	.summary = "add or replace a static entry (never ages, never moves)",
	.usage = "vlab switch fdb add-static NETWORK MAC PORT",
	.details = "  Each argument may also be given as --network NET, --mac MAC, --port PORT.\n"
		   "  MAC is aa:bb:cc:dd:ee:ff.\n",
	.opts = fdb_opts,
	.nopts = 3,
	.build = build_fdb_add_static,
    },
    {
	.name = "del-static",
	.summary = "delete a static entry",
	.usage = "vlab switch fdb del-static NETWORK MAC",
	.details = "  Each argument may also be given as --network NET, --mac MAC.\n",
	.opts = fdb_opts,
	.nopts = 2,
	.build = build_fdb_del_static,
    },
    {0},
};

static const struct swcmd_node switch_cmds[] = {
    {
	.name = "version",
	.summary = "show the switch's name, version and API version",
	.usage = "vlab switch version",
	.build = build_version,
    },
    {
	.name = "network",
	.summary = "manage networks (default: list)",
	.usage = "vlab switch network COMMAND [ARGS]",
	.prefix = "vlab switch network",
	.children = network_cmds,
	.default_child = "list",
    },
    {
	.name = "port",
	.summary = "manage ports (default: list)",
	.usage = "vlab switch port COMMAND [ARGS]",
	.prefix = "vlab switch port",
	.children = port_cmds,
	.default_child = "list",
    },
    {
	.name = "fdb",
	.summary = "show and edit MAC forwarding tables",
	.usage = "vlab switch fdb COMMAND [ARGS]",
	.prefix = "vlab switch fdb",
	.children = fdb_cmds,
    },
    {
	.name = "stats",
	.summary = "show port, drop, network and PMD counters",
	.usage = "vlab switch stats [--clear]",
	.details = "  --clear   zero all counters instead of showing them\n",
	.opts = stats_opts,
	.nopts = NOPTS(stats_opts),
	.build = build_stats,
    },
    {
	.name = "raw",
	.summary = "send any API request and print its result",
	.usage = "vlab switch raw METHOD [JSON-PARAMS]",
	.details = "  e.g. vlab switch raw port.list\n"
		   "       vlab switch raw fdb.flush '{\"network\": \"lan1\"}'\n",
	.build = build_raw,
    },
    {0},
};

static const struct swcmd_node switch_root = {
    .name = "switch",
    .summary = "drive vlab-switchd",
    .usage = "vlab [-s SOCKET] [-j] switch COMMAND [ARGS]",
    .prefix = "vlab switch",
    .children = switch_cmds,
};

static const struct swcmd_node *find_child(const struct swcmd_node *group, const char *word)
{
	for (const struct swcmd_node *n = group->children; n->name; n++) {
		if (strcmp(n->name, word) == 0 || (n->alias && strcmp(n->alias, word) == 0))
			return n;
	}
	return NULL;
}

/* Writes "a, b, c" (the command words of `group`) to buf. */
static void list_children(const struct swcmd_node *group, char *buf, size_t len)
{
	size_t off = 0;

	buf[0] = '\0';
	for (const struct swcmd_node *n = group->children; n->name && off < len; n++)
		off += snprintf(buf + off, len - off, "%s%s", off ? ", " : "", n->name);
}

int swcmd_build(int argc, char *const argv[], struct swcmd_req *req, char *err, size_t errlen)
{
	const struct swcmd_node *node = &switch_root;
	char path[64] = "vlab switch"; /* words matched so far, for messages */
	char words[128];
	struct args a;
	int i = 0;
	int ret;

	memset(req, 0, sizeof(*req));
	req->node = node;
	err[0] = '\0';

	/* Walk the groups down to a command. */
	while (node->children) {
		const struct swcmd_node *child;
		const char *word;

		if (i == argc) {
			if (!node->default_child) {
				list_children(node, words, sizeof(words));
				snprintf(err, errlen, "missing command after '%s' (one of: %s)",
					 path, words);
				return -EINVAL;
			}
			word = node->default_child;
		} else {
			word = argv[i++];
		}
		if (strcmp(word, "-h") == 0 || strcmp(word, "--help") == 0 ||
		    strcmp(word, "help") == 0)
			return SWCMD_HELP;
		child = find_child(node, word);
		if (!child) {
			list_children(node, words, sizeof(words));
			if (word[0] == '-')
				snprintf(err, errlen,
					 "unknown option '%s' for '%s' (global options go first: "
					 "vlab [-s SOCKET] [-j] switch ...)",
					 word, path);
			else
				snprintf(err, errlen, "unknown command '%s' for '%s' (one of: %s)",
					 word, path, words);
			return -EINVAL;
		}
		node = child;
		req->node = node;
		snprintf(path + strlen(path), sizeof(path) - strlen(path), " %s", node->name);
	}

	ret = args_parse(argc - i, argv + i, node->opts, node->nopts, &a, err, errlen);
	if (ret < 0)
		return -EINVAL;
	if (a.help)
		return SWCMD_HELP;
	ret = node->build(&a, req, err, errlen);
	if (ret < 0) {
		swcmd_req_clear(req); /* no half-built request on errors */
		if (ret != -ENOMEM)
			ret = -EINVAL;
	}
	return ret;
}

void swcmd_req_clear(struct swcmd_req *req)
{
	json_decref(req->params);
	req->params = NULL;
}

void swcmd_usage(const struct swcmd_req *req, FILE *f)
{
	const struct swcmd_node *n = req->node ? req->node : &switch_root;

	fprintf(f, "usage: %s\n", n->usage);
}

void swcmd_help(const struct swcmd_req *req, FILE *f)
{
	const struct swcmd_node *n = req->node ? req->node : &switch_root;

	fprintf(f, "usage: %s\n\n%s\n", n->usage, n->summary);
	if (n->children) {
		int width = 0;

		fprintf(f, "\ncommands:\n");
		for (const struct swcmd_node *c = n->children; c->name; c++) {
			if ((int)strlen(c->name) > width)
				width = (int)strlen(c->name);
		}
		for (const struct swcmd_node *c = n->children; c->name; c++) {
			fprintf(f, "  %-*s  %s", width, c->name, c->summary);
			if (c->alias)
				fprintf(f, " (alias: %s)", c->alias);
			fputc('\n', f);
		}
		fprintf(f, "\nRun '%s COMMAND --help' for the arguments of a command.\n",
			n->prefix);
	}
	if (n->details)
		fprintf(f, "\n%s", n->details);
}

/* ---- printers ----------------------------------------------------------- */

/* Formats `v` for a table cell: integers in decimal, reals with one decimal
 * (both into `buf`, which may be NULL for string fields), strings as they are,
 * booleans as yes/no, null or missing as "-". */
static const char *cell(const json_t *v, char *buf, size_t len)
{
	if (!buf && json_is_number(v))
		return "?"; /* a number where the API documents a string */
	if (json_is_integer(v))
		snprintf(buf, len, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
	else if (json_is_real(v))
		snprintf(buf, len, "%.1f", json_real_value(v));
	else if (json_is_string(v))
		return json_string_value(v);
	else if (json_is_boolean(v))
		return json_is_true(v) ? "yes" : "no";
	else
		return "-";
	return buf;
}

/* Member `key` of `obj` as an integer, 0 when absent or not a number. */
static json_int_t int_of(const json_t *obj, const char *key)
{
	const json_t *v = json_object_get(obj, key);

	return json_is_integer(v) ? json_integer_value(v) : 0;
}

/* Joins the strings of an array with `sep` into a new string (free() it);
 * NULL on ENOMEM. An empty or missing array gives "-". */
static char *join_strings(const json_t *arr, const char *sep)
{
	char *out = NULL;
	size_t len = 0;
	size_t i;
	json_t *v;
	FILE *f;

	f = open_memstream(&out, &len);
	if (!f)
		return NULL;
	if (json_array_size(arr) == 0)
		fputs("-", f);
	json_array_foreach(arr, i, v)
	{
		fprintf(f, "%s%s", i ? sep : "", json_is_string(v) ? json_string_value(v) : "?");
	}
	if (fclose(f) != 0) {
		free(out);
		return NULL;
	}
	return out;
}

/* Prints and frees `t`; returns 0 or a negative errno. */
static int flush_table(struct table *t, FILE *f)
{
	int ret = t ? table_print(t, f) : -ENOMEM;

	table_free(t);
	return ret;
}

static int print_version(const json_t *r, FILE *f)
{
	const json_t *name = json_object_get(r, "name");
	const json_t *version = json_object_get(r, "version");
	json_int_t api = int_of(r, "api");

	if (!json_is_string(name) || !json_is_string(version))
		return -EPROTO;
	fprintf(f, "%s %s (API %" JSON_INTEGER_FORMAT ")\n", json_string_value(name),
		json_string_value(version), api);
	if (api != SWCMD_API_VERSION)
		fprintf(f, "note: this vlab speaks API %d\n", SWCMD_API_VERSION);
	return 0;
}

static int print_networks(const json_t *r, FILE *f)
{
	static const struct table_col cols[] = {
	    {"NETWORK", false}, {"VNI", true}, {"MACS", true}, {"PORTS", false}};
	struct table *t;
	size_t i;
	json_t *n;

	if (!json_is_array(r))
		return -EPROTO;
	t = table_new(cols, 4);
	json_array_foreach(r, i, n)
	{
		char b[2][32];
		char *ports = join_strings(json_object_get(n, "ports"), ",");
		const char *row[] = {
		    cell(json_object_get(n, "name"), NULL, 0),
		    cell(json_object_get(n, "vni"), b[0], sizeof(b[0])),
		    cell(json_object_get(n, "macs"), b[1], sizeof(b[1])),
		    ports,
		};
		int ret = t && ports ? table_add_row(t, row) : -ENOMEM;

		free(ports);
		if (ret < 0) {
			table_free(t);
			return ret;
		}
	}
	return flush_table(t, f);
}

/* The "DETAILS" cell of a port: where it attaches. */
static void port_details(const json_t *p, char *buf, size_t len)
{
	const char *path = json_string_value(json_object_get(p, "path"));
	const char *mode = json_string_value(json_object_get(p, "mode"));
	const char *iface = json_string_value(json_object_get(p, "iface"));
	const char *devargs = json_string_value(json_object_get(p, "devargs"));
	size_t off = 0;

	buf[0] = '\0';
	if (path)
		off += snprintf(buf + off, len - off, "%s%s%s%s", path, mode ? " (" : "",
				mode ? mode : "", mode ? ")" : "");
	if (iface && off < len)
		off += snprintf(buf + off, len - off, "%siface %s", off ? " " : "", iface);
	if (devargs && off < len)
		off += snprintf(buf + off, len - off, "%s%s", off ? " " : "", devargs);
	if (off == 0)
		snprintf(buf, len, "-");
}

static int print_ports(const json_t *r, FILE *f)
{
	static const struct table_col cols[] = {
	    {"PORT", false}, {"TYPE", false},	  {"NETWORK", false}, {"LINK", false},
	    {"MACS", true},  {"MAC-LIMIT", true}, {"DETAILS", false},
	};
	struct table *t;
	size_t i;
	json_t *p;

	if (!json_is_array(r))
		return -EPROTO;
	t = table_new(cols, 7);
	json_array_foreach(r, i, p)
	{
		char b[2][32], details[1024];
		const char *row[7];

		port_details(p, details, sizeof(details));
		row[0] = cell(json_object_get(p, "name"), NULL, 0);
		row[1] = cell(json_object_get(p, "type"), NULL, 0);
		row[2] = cell(json_object_get(p, "network"), NULL, 0);
		row[3] = cell(json_object_get(p, "link"), NULL, 0);
		row[4] = cell(json_object_get(p, "macs"), b[0], sizeof(b[0]));
		row[5] = cell(json_object_get(p, "mac_limit"), b[1], sizeof(b[1]));
		row[6] = details;
		if (!t || table_add_row(t, row) < 0) {
			table_free(t);
			return -ENOMEM;
		}
	}
	return flush_table(t, f);
}

static int print_fdb(const json_t *r, FILE *f)
{
	static const struct table_col cols[] = {
	    {"MAC", false}, {"PORT", false}, {"TYPE", false}, {"AGE", true}};
	struct table *t;
	size_t i;
	json_t *e;

	if (!json_is_array(r))
		return -EPROTO;
	t = table_new(cols, 4);
	json_array_foreach(r, i, e)
	{
		bool is_static = json_is_true(json_object_get(e, "static"));
		char age[32];
		const char *row[] = {
		    cell(json_object_get(e, "mac"), NULL, 0),
		    cell(json_object_get(e, "port"), NULL, 0),
		    is_static ? "static" : "learned",
		    is_static ? "-" : cell(json_object_get(e, "age"), age, sizeof(age)),
		};

		if (!t || table_add_row(t, row) < 0) {
			table_free(t);
			return -ENOMEM;
		}
	}
	return flush_table(t, f);
}

static int print_flush(const json_t *r, FILE *f)
{
	const json_t *n = json_object_get(r, "flushed");

	if (!json_is_integer(n))
		return -EPROTO;
	fprintf(f, "flushed %" JSON_INTEGER_FORMAT " learned entr%s\n", json_integer_value(n),
		json_integer_value(n) == 1 ? "y" : "ies");
	return 0;
}

/* Drop reasons of the API, with what they mean to someone debugging a lab.
 * `counted` is false for reasons that do not drop the frame. */
static const struct drop_reason {
	const char *name;
	bool counted;
	const char *meaning;
} drop_reasons[] = {
    {"runt", true, "frame shorter than an Ethernet header"},
    {"src_multicast", true, "source MAC is multicast or broadcast"},
    {"src_zero", true, "source MAC is 00:00:00:00:00:00"},
    {"same_port", true, "destination is on the receiving port (hairpin)"},
    {"no_destination", true, "flood with no other port in the network"},
    {"tx_failed", true, "output port could not take it (queue full, frame over its MTU)"},
    {"link_down", true, "output port has no peer (vhost-user guest not connected)"},
    {"rx_missed", true, "receive queue of the device or kernel was full"},
    {"rx_nombuf", true, "no packet buffer to receive into"},
    {"rx_truncated", true, "kernel frame longer than the port takes (TSO/GSO on the peer)"},
    {"mac_limit", false, "not a drop: forwarded, source not learned (port MAC limit)"},
    {"fdb_full", false, "not a drop: forwarded, source not learned (FDB full)"},
};

static const struct drop_reason *find_reason(const char *name)
{
	for (size_t i = 0; i < sizeof(drop_reasons) / sizeof(drop_reasons[0]); i++) {
		if (strcmp(drop_reasons[i].name, name) == 0)
			return &drop_reasons[i];
	}
	return NULL;
}

/* Packets of a port's `drops` object that were really dropped. */
static json_int_t total_drops(const json_t *drops)
{
	json_int_t sum = 0;
	const char *k;
	json_t *v;

	json_object_foreach((json_t *)drops, k, v)
	{
		const struct drop_reason *dr = find_reason(k);

		if (json_is_integer(v) && (!dr || dr->counted))
			sum += json_integer_value(v);
	}
	return sum;
}

static int print_stat_ports(const json_t *ports, FILE *f)
{
	static const struct table_col cols[] = {
	    {"PORT", false},	  {"RX-PACKETS", true}, {"RX-BYTES", true},
	    {"TX-PACKETS", true}, {"TX-BYTES", true},	{"DROPS", true},
	};
	struct table *t = table_new(cols, 6);
	size_t i;
	json_t *p;

	json_array_foreach(ports, i, p)
	{
		char b[5][32];
		const char *row[] = {
		    cell(json_object_get(p, "name"), NULL, 0),
		    cell(json_object_get(p, "rx_packets"), b[0], 32),
		    cell(json_object_get(p, "rx_bytes"), b[1], 32),
		    cell(json_object_get(p, "tx_packets"), b[2], 32),
		    cell(json_object_get(p, "tx_bytes"), b[3], 32),
		    b[4],
		};

		snprintf(b[4], 32, "%" JSON_INTEGER_FORMAT,
			 total_drops(json_object_get(p, "drops")));
		if (!t || table_add_row(t, row) < 0) {
			table_free(t);
			return -ENOMEM;
		}
	}
	return flush_table(t, f);
}

/* Nonzero drop reasons with their total and the ports they happened on. */
static int print_stat_drops(const json_t *stats, FILE *f)
{
	static const struct table_col cols[] = {
	    {"DROP-REASON", false}, {"PACKETS", true}, {"PORTS", false}, {"MEANING", false}};
	const json_t *ports = json_object_get(stats, "ports");
	struct table *t = table_new(cols, 4);
	const char *reason;
	json_t *v;
	int ret = -ENOMEM;

	if (!t)
		return -ENOMEM;
	json_object_foreach(json_object_get(stats, "drops"), reason, v)
	{
		const struct drop_reason *dr = find_reason(reason);
		char *where = NULL, count[32];
		size_t len = 0, i;
		bool first = true;
		FILE *w;
		json_t *p;

		if (!json_is_integer(v) || json_integer_value(v) == 0)
			continue;
		w = open_memstream(&where, &len);
		if (!w)
			goto out_free_table;
		json_array_foreach(ports, i, p)
		{
			json_int_t n = int_of(json_object_get(p, "drops"), reason);

			if (!n)
				continue;
			fprintf(w, "%s%s=%" JSON_INTEGER_FORMAT, first ? "" : ",",
				cell(json_object_get(p, "name"), NULL, 0), n);
			first = false;
		}
		if (fclose(w) != 0) {
			free(where);
			goto out_free_table;
		}
		snprintf(count, sizeof(count), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		const char *row[] = {reason, count, where[0] ? where : "-", dr ? dr->meaning : "-"};

		ret = table_add_row(t, row);
		free(where);
		if (ret < 0)
			goto out_free_table;
	}
	if (table_rows(t) == 0) {
		fprintf(f, "no drops\n");
		table_free(t);
		return 0;
	}
	return flush_table(t, f);

out_free_table:
	table_free(t);
	return ret;
}

static int print_stat_networks(const json_t *networks, FILE *f)
{
	static const struct table_col cols[] = {
	    {"NETWORK", false}, {"MACS", true}, {"LEARNED", true}, {"FLOODED", true}};
	struct table *t = table_new(cols, 4);
	size_t i;
	json_t *n;

	json_array_foreach(networks, i, n)
	{
		char b[3][32];
		const char *row[] = {
		    cell(json_object_get(n, "name"), NULL, 0),
		    cell(json_object_get(n, "macs"), b[0], 32),
		    cell(json_object_get(n, "learned"), b[1], 32),
		    cell(json_object_get(n, "flooded"), b[2], 32),
		};

		if (!t || table_add_row(t, row) < 0) {
			table_free(t);
			return -ENOMEM;
		}
	}
	return flush_table(t, f);
}

static int print_stat_pmds(const json_t *pmds, FILE *f)
{
	static const struct table_col cols[] = {
	    {"PMD-LCORE", true}, {"BUSY-CYCLES", true}, {"IDLE-CYCLES", true},
	    {"BUSY", true},	 {"PACKETS", true},	{"CYCLES/PKT", true},
	};
	struct table *t = table_new(cols, 6);
	size_t i;
	json_t *p;

	json_array_foreach(pmds, i, p)
	{
		json_int_t busy = int_of(p, "busy_cycles"), idle = int_of(p, "idle_cycles");
		char b[6][32];
		const char *row[] = {
		    cell(json_object_get(p, "lcore"), b[0], 32),
		    cell(json_object_get(p, "busy_cycles"), b[1], 32),
		    cell(json_object_get(p, "idle_cycles"), b[2], 32),
		    b[3],
		    cell(json_object_get(p, "packets"), b[4], 32),
		    cell(json_object_get(p, "cycles_per_packet"), b[5], 32),
		};

		if (busy + idle > 0)
			snprintf(b[3], 32, "%.1f%%", 100.0 * (double)busy / (double)(busy + idle));
		else
			snprintf(b[3], 32, "-");
		if (!t || table_add_row(t, row) < 0) {
			table_free(t);
			return -ENOMEM;
		}
	}
	return flush_table(t, f);
}

static int print_stats(const json_t *r, FILE *f)
{
	const json_t *fdb = json_object_get(r, "fdb");
	int ret;

	if (!json_is_object(r) || !json_is_array(json_object_get(r, "ports")))
		return -EPROTO;
	ret = print_stat_ports(json_object_get(r, "ports"), f);
	if (ret == 0) {
		fputc('\n', f);
		ret = print_stat_drops(r, f);
	}
	if (ret == 0 && json_is_array(json_object_get(r, "networks"))) {
		fputc('\n', f);
		ret = print_stat_networks(json_object_get(r, "networks"), f);
	}
	if (ret == 0 && json_is_array(json_object_get(r, "pmds"))) {
		fputc('\n', f);
		ret = print_stat_pmds(json_object_get(r, "pmds"), f);
	}
	if (ret == 0 && json_is_object(fdb))
		fprintf(f,
			"\nfdb: %" JSON_INTEGER_FORMAT " entries, capacity %" JSON_INTEGER_FORMAT
			"\n",
			int_of(fdb, "entries"), int_of(fdb, "capacity"));
	return ret;
}

int swcmd_print(const struct swcmd_req *req, const json_t *result, FILE *f)
{
	switch (req->view) {
	case SWCMD_VIEW_NONE:
		return 0;
	case SWCMD_VIEW_VERSION:
		return print_version(result, f);
	case SWCMD_VIEW_NETWORKS:
		return print_networks(result, f);
	case SWCMD_VIEW_PORTS:
		return print_ports(result, f);
	case SWCMD_VIEW_FDB:
		return print_fdb(result, f);
	case SWCMD_VIEW_FLUSH:
		return print_flush(result, f);
	case SWCMD_VIEW_STATS:
		return print_stats(result, f);
	case SWCMD_VIEW_RAW:
		break;
	}
	if (json_dumpf(result, f, JSON_ENCODE_ANY | JSON_REAL_PRECISION(15) | JSON_INDENT(2)) < 0)
		return -EIO;
	fputc('\n', f);
	return 0;
}

/* ---- entry -------------------------------------------------------------- */

/* Explains why the switch socket could not be reached. */
static void report_connect_error(const char *path, const struct vlab_opts *opts, int err)
{
	const char *env = getenv(SWC_SOCKET_ENV);
	const char *from = "default";

	if (opts->socket)
		from = "--socket";
	else if (env && env[0])
		from = SWC_SOCKET_ENV;

	fprintf(stderr, "vlab: cannot connect to vlab-switchd at %s (%s): %s\n", path, from,
		strerror(-err));
	if (err == -EACCES)
		fprintf(stderr, "vlab: the socket is mode 0660: run as root or as a member of "
				"its group\n");
	else if (err == -ENAMETOOLONG)
		fprintf(stderr, "vlab: a Unix socket path has at most 107 bytes\n");
	else
		fprintf(stderr,
			"vlab: vlab-switchd must be running; to use another socket, pass "
			"--socket PATH or set %s\n",
			SWC_SOCKET_ENV);
}

static void report_call_error(const char *method, const char *path, int err,
			      const struct swc_error *swerr)
{
	switch (err) {
	case -EREMOTEIO:
		if (swerr->message[0])
			fprintf(stderr, "vlab: %s\n", swerr->message);
		else
			fprintf(stderr, "vlab: %s failed with error %d\n", method, swerr->code);
		break;
	case -ETIMEDOUT:
		fprintf(stderr, "vlab: no answer from vlab-switchd at %s to %s within %d s\n", path,
			method, SWC_TIMEOUT_MS / 1000);
		break;
	case -ECONNRESET:
		fprintf(stderr,
			"vlab: vlab-switchd at %s closed the connection during %s (see its log)\n",
			path, method);
		break;
	case -EPROTO:
		fprintf(stderr, "vlab: invalid response from vlab-switchd at %s to %s\n", path,
			method);
		break;
	default:
		fprintf(stderr, "vlab: %s request to vlab-switchd at %s failed: %s\n", method, path,
			strerror(-err));
		break;
	}
}

int switch_cmd_run(const struct vlab_opts *opts, int argc, char **argv)
{
	struct swcmd_req req;
	struct swc_error swerr = {0};
	char err[ARGS_ERR_LEN];
	json_t *result = NULL;
	struct swc *c = NULL;
	const char *path;
	int code = VLAB_EXIT_FAIL;
	int ret;

	ret = swcmd_build(argc, argv, &req, err, sizeof(err));
	if (ret == SWCMD_HELP) {
		swcmd_help(&req, stdout);
		code = VLAB_EXIT_OK;
		goto out_clear_req;
	}
	if (ret == -ENOMEM) {
		fprintf(stderr, "vlab: out of memory\n");
		goto out_clear_req;
	}
	if (ret < 0) {
		fprintf(stderr, "vlab: %s\n", err);
		swcmd_usage(&req, stderr);
		code = VLAB_EXIT_USAGE;
		goto out_clear_req;
	}

	path = swc_socket_path(opts->socket);
	ret = swc_connect(path, &c);
	if (ret < 0) {
		report_connect_error(path, opts, ret);
		goto out_clear_req;
	}
	ret = swc_call(c, req.method, req.params, &result, &swerr);
	if (ret < 0) {
		report_call_error(req.method, path, ret, &swerr);
		goto out_close;
	}

	if (opts->json || opts->pretty) {
		size_t flags = JSON_ENCODE_ANY | JSON_REAL_PRECISION(15) |
			       (opts->pretty ? JSON_INDENT(2) : JSON_COMPACT);

		ret = json_dumpf(result, stdout, flags) < 0 ? -EIO : 0;
		fputc('\n', stdout);
	} else {
		ret = swcmd_print(&req, result, stdout);
	}
	if (ret == -EPROTO)
		fprintf(stderr, "vlab: unexpected result of %s from vlab-switchd: %s\n", req.method,
			"not the shape docs/switch-api.md describes");
	else if (ret < 0)
		fprintf(stderr, "vlab: cannot print the result: %s\n", strerror(-ret));
	else
		code = VLAB_EXIT_OK;

	json_decref(result);
out_close:
	swc_close(c);
out_clear_req:
	swcmd_req_clear(&req);
	return code;
}
