/* `vlab switch ...`: the command tree of the switch commands over the API
 * schema (cmdtree.h builds their requests, usage and help from it), the two
 * commands that build their own requests (stats, raw), and swcmd_run() that
 * ties them to the API client. The group joins vlab's tree (vlab_cmds.c) as
 * `switch`. The printers are in switch_print.c.
 *
 * Threads: main thread of the vlab CLI. Only swcmd_run() does I/O on the
 * switch socket; builders only allocate JSON. */
#include "switch_cmd.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "swclient.h"

/* ---- commands that build their own requests ---- */

static const struct args_opt stats_opts[] = {
    {"clear", false},
};

static int build_stats(const struct args *a, const char **method, json_t **params, char *err,
		       size_t errlen)
{
	if (a->npos > 0) {
		snprintf(err, errlen, "unexpected argument '%s'", a->pos[0]);
		return -EINVAL;
	}
	*method = a->value[0] ? "stats.clear" : "stats";
	return 0;
}

static int build_raw(const struct args *a, const char **method, json_t **params, char *err,
		     size_t errlen)
{
	json_error_t jerr;

	if (a->npos == 0) {
		snprintf(err, errlen, "missing METHOD");
		return -EINVAL;
	}
	if (a->pos[0][0] == '\0') {
		snprintf(err, errlen, "METHOD must not be empty");
		return -EINVAL;
	}
	if (a->npos > 2) {
		snprintf(err, errlen, "unexpected argument '%s'", a->pos[2]);
		return -EINVAL;
	}
	*method = a->pos[0];
	if (a->npos == 1)
		return 0;
	/* Any JSON value: raw is also for checking how the switch rejects bad params. */
	*params = json_loads(a->pos[1], JSON_DECODE_ANY, &jerr);
	if (!*params) {
		snprintf(err, errlen, "PARAMS is not valid JSON: %s (column %d)", jerr.text,
			 jerr.column);
		return -EINVAL;
	}
	return 0;
}

/* ---- command tree ---- */

#define NOPTS(o) (sizeof(o) / sizeof((o)[0]))

static const struct cmd_node network_cmds[] = {
    {.name = "add", .method = "network.add"},
    {.name = "del", .method = "network.del"},
    {.name = "list", .alias = "ls", .method = "network.list", .view = SWCMD_VIEW_NETWORKS},
    {0},
};

static const struct cmd_node port_cmds[] = {
    {.name = "add",
     .method = "port.add",
     .details = "Port types (what each takes is in the options above):\n"
		"  vhost-user  a guest's virtio NIC over a vhost-user socket (--path, --mode)\n"
		"  tap         a TAP interface the switch creates (--iface, default NAME)\n"
		"  af-packet   an existing kernel interface, e.g. a veth (--iface)\n"
		"  ring, null, pcap  DPDK test devices (--devargs)\n"},
    {.name = "del", .method = "port.del"},
    {.name = "list", .alias = "ls", .method = "port.list", .view = SWCMD_VIEW_PORTS},
    {0},
};

static const struct cmd_node fdb_cmds[] = {
    {.name = "show", .method = "fdb.show", .view = SWCMD_VIEW_FDB},
    {.name = "flush",
     .method = "fdb.flush",
     .view = SWCMD_VIEW_FLUSH,
     .details = "(with neither option: every learned entry of the switch)\n"},
    {.name = "add-static", .method = "fdb.add_static"},
    {.name = "del-static", .method = "fdb.del_static"},
    {0},
};

static const struct cmd_node policy_cmds[] = {
    {.name = "set",
     .method = "policy.set",
     .view = SWCMD_VIEW_POLICY_SET,
     .details = "--rules and --apply take JSON text, e.g.\n"
		"  vlab switch policy set web --default drop \\\n"
		"    --rules '[{\"action\": \"allow\", \"proto\": \"tcp\", \"dport\": 80}]' \\\n"
		"    --apply '[{\"network\": \"lab.red\", \"direction\": \"in\"}]'\n"
		"Rule keys are in docs/policy.md; `vlab policy` applies a lab's policies.\n"},
    {.name = "del", .method = "policy.del"},
    {.name = "list", .alias = "ls", .method = "policy.list", .view = SWCMD_VIEW_POLICIES},
    {0},
};

static const struct cmd_node underlay_cmds[] = {
    {.name = "set",
     .method = "underlay.set",
     .view = SWCMD_VIEW_UNDERLAY,
     .details = "The port is an af-packet, tap, vhost-user or DPDK port alone in a\n"
		"network of its own, e.g.\n"
		"  vlab switch network add ul 4000\n"
		"  vlab switch port add up0 --type af-packet --network ul --iface eth1\n"
		"  vlab switch underlay set up0 192.0.2.1/24\n"
		"docs/vxlan.md has the model.\n"},
    {.name = "del", .method = "underlay.del"},
    {.name = "show", .method = "underlay.show", .view = SWCMD_VIEW_UNDERLAY},
    {0},
};

static const struct cmd_node vtep_cmds[] = {
    {.name = "add", .method = "vtep.add", .view = SWCMD_VIEW_NONE},
    {.name = "del", .method = "vtep.del"},
    {.name = "list", .alias = "ls", .method = "vtep.list", .view = SWCMD_VIEW_VTEPS},
    {0},
};

static const struct cmd_node switch_cmds[] = {
    {.name = "version", .method = "version", .view = SWCMD_VIEW_VERSION},
    {.name = "network",
     .summary = "manage networks (default: list)",
     .children = network_cmds,
     .default_child = "list"},
    {.name = "port",
     .summary = "manage ports (default: list)",
     .children = port_cmds,
     .default_child = "list"},
    {.name = "fdb", .summary = "show and edit MAC forwarding tables", .children = fdb_cmds},
    {.name = "policy",
     .summary = "set, delete and list policies (default: list)",
     .children = policy_cmds,
     .default_child = "list"},
    {.name = "underlay",
     .summary = "the VXLAN underlay: port, address, next hops (default: show)",
     .children = underlay_cmds,
     .default_child = "show"},
    {.name = "vtep",
     .summary = "remote VXLAN tunnel end points of networks (default: list)",
     .children = vtep_cmds,
     .default_child = "list"},
    {.name = "stats",
     .summary = "show port, drop, event, network and PMD counters",
     .usage = "vlab switch stats [--clear]",
     .opts = stats_opts,
     .nopts = NOPTS(stats_opts),
     .build = build_stats,
     .details = "  --clear   zero all counters instead of showing them\n",
     .view = SWCMD_VIEW_STATS},
    {.name = "raw",
     .summary = "send any API request and print its result",
     .usage = "vlab switch raw METHOD [JSON-PARAMS]",
     .build = build_raw,
     .details = "  e.g. vlab switch raw port.list\n"
		"       vlab switch raw fdb.flush '{\"network\": \"lan1\"}'\n",
     .view = SWCMD_VIEW_RAW},
    {0},
};

const struct cmd_node swcmd_group = {
    .name = "switch",
    .summary = "drive vlab-switchd",
    .usage = "vlab [-s SOCKET] [-j] switch COMMAND [ARGS]",
    .children = switch_cmds,
};

const struct cmd_node *swcmd_root(void)
{
	return &swcmd_group;
}

/* Builds the request of the command at req->pos. */
static int build_at(int argc, char *const argv[], struct swcmd_req *req, char *err, size_t errlen)
{
	int ret;

	ret = cmd_build(req->pos.node, argc, argv, &req->method, &req->params, err, errlen);
	if (ret < 0) {
		swcmd_req_clear(req); /* no half-built request on errors */
		if (ret != -ENOMEM)
			ret = -EINVAL;
		return ret;
	}
	if (ret == CMD_HELP)
		return SWCMD_HELP;
	/* stats --clear shows nothing */
	req->view = strcmp(req->method, "stats.clear") ? req->pos.node->view : SWCMD_VIEW_NONE;
	return 0;
}

int swcmd_build(int argc, char *const argv[], struct swcmd_req *req, char *err, size_t errlen)
{
	int used = 0, ret;

	memset(req, 0, sizeof(*req));
	err[0] = '\0';
	ret = cmd_walk(&swcmd_group, "vlab switch", argc, argv, &req->pos, &used, err, errlen);
	if (ret != 0)
		return ret;
	return build_at(argc - used, argv + used, req, err, errlen);
}

int swcmd_build_at(const struct cmd_pos *pos, int argc, char *const argv[], struct swcmd_req *req,
		   char *err, size_t errlen)
{
	memset(req, 0, sizeof(*req));
	err[0] = '\0';
	req->pos = *pos;
	return build_at(argc, argv, req, err, errlen);
}

void swcmd_req_clear(struct swcmd_req *req)
{
	json_decref(req->params);
	req->params = NULL;
}

void swcmd_usage(const struct swcmd_req *req, FILE *f)
{
	struct cmd_pos root = {.node = &swcmd_group, .path = "vlab switch"};

	cmd_usage(req->pos.node ? &req->pos : &root, f);
}

void swcmd_help(const struct swcmd_req *req, FILE *f)
{
	struct cmd_pos root = {.node = &swcmd_group, .path = "vlab switch"};

	cmd_help(req->pos.node ? &req->pos : &root, f);
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

int swcmd_run(const struct vlab_opts *opts, const struct cmd_pos *pos, int argc, char **argv)
{
	struct swcmd_req req;
	struct swc_error swerr = {0};
	char err[ARGS_ERR_LEN];
	json_t *result = NULL;
	struct swc *c = NULL;
	const char *path;
	int code = VLAB_EXIT_FAIL;
	int ret;

	ret = swcmd_build_at(pos, argc, argv, &req, err, sizeof(err));
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
