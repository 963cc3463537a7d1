/* Persistence of the switch configuration; see state.h.
 *
 * File format: {"version": 1, "networks": [network.add params...],
 * "ports": [port.add params...], "static_fdb": [fdb.add_static params...],
 * "recorders": [network.record params...]}.
 * Restoring replays each entry through the same handlers as API requests, so
 * the file is validated exactly like a request. */
#include "state.h"
#include "vxlan.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include <rte_log.h>

#include "cap.h"
#include "ctl.h"
#include "policy.h"
#include "mac.h"
#include "port.h"

struct static_ctx {
	const struct sw *sw;
	json_t *arr;
};

static void static_cb(const struct fdb_entry_view *e, void *arg)
{
	struct static_ctx *ctx = arg;
	char mac[18];

	if (!e->is_static || !ctx->sw->port[e->port].used)
		return;
	uint8_t b[6];

	mac_from_u64(e->mac, b);
	mac_format(b, mac);
	json_array_append_new(ctx->arr, json_pack("{s:s,s:s,s:s}", "network",
						  ctx->sw->net[e->net].name, "mac", mac, "port",
						  ctx->sw->port[e->port].conf.name));
}

int state_save(struct sw *sw)
{
	const char *path = sw->opts.state_path;
	json_t *root, *nets = json_array(), *ports = json_array(), *underlay;
	struct static_ctx sctx = {.sw = sw, .arr = json_array()};
	char tmp[4096], *text = NULL;
	int fd, rc = 0;
	size_t len;

	for (int n = 0; n < SW_MAX_NETS; n++)
		if (sw->net[n].used)
			json_array_append_new(nets, json_pack("{s:s,s:i}", "name", sw->net[n].name,
							      "vni", (int)sw->net[n].vni));
	for (int p = 0; p < SW_MAX_PORTS; p++) /* VTEP ports: in "vteps" */
		if (sw->port[p].used && sw->port[p].ops != &port_vtep_ops)
			json_array_append_new(ports, sw_port_config(sw, &sw->port[p]));
	if (sw->unrestored != NULL)
		json_array_extend(ports, sw->unrestored);
	if (sw->unrestored_static != NULL)
		json_array_extend(sctx.arr, sw->unrestored_static);
	if (fdb_static_count(sw->fdb) > 0) /* a scan of the whole table otherwise */
		fdb_foreach(sw->fdb, -1, static_cb, &sctx);
	root = json_pack("{s:i,s:o,s:o,s:o,s:o,s:o,s:o}", "version", 1, "networks", nets, "ports",
			 ports, "static_fdb", sctx.arr, "recorders", cap_recorders_config(sw),
			 "policies", pol_config(sw), "vteps", vx_vtep_config(sw));
	underlay = vx_underlay_config();
	if (root != NULL && underlay != NULL)
		json_object_set_new(root, "underlay", underlay);
	else
		json_decref(underlay);
	if (root == NULL)
		return -ENOMEM;

	/* one buffer, one write: jansson's own file output writes token by token */
	text = json_dumps(root, JSON_INDENT(2));
	if (text == NULL) {
		rc = -ENOMEM;
		goto out_free;
	}
	len = strlen(text);
	text[len++] = '\n'; /* replaces the NUL */
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
	if (fd < 0) {
		rc = -errno;
		goto out_free;
	}
	for (size_t off = 0; off < len;) {
		ssize_t n = write(fd, text + off, len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			rc = n < 0 ? -errno : -EIO;
			break;
		}
		off += (size_t)n;
	}
	close(fd);
	if (rc == 0 && rename(tmp, path) < 0)
		rc = -errno;
	if (rc < 0)
		unlink(tmp);
out_free:
	free(text);
	json_decref(root);
	return rc;
}

/* True when `params` is a static FDB entry of a saved port that could not be
 * restored: it is kept for when that port comes back. */
static bool state_keep_static(struct sw *sw, json_t *params)
{
	const char *port = json_string_value(json_object_get(params, "port"));
	size_t i;
	json_t *u;

	json_array_foreach((json_t *)sw->unrestored, i, u)
	{
		if (port && !strcmp(json_string_value(json_object_get(u, "name")) ?: "", port)) {
			if (sw->unrestored_static == NULL)
				sw->unrestored_static = json_array();
			json_array_append(sw->unrestored_static, params);
			return true;
		}
	}
	return false;
}

/* Replays every element of `arr` through `method`; failures are logged and
 * skipped so one broken entry does not lose the others. Ports that fail (an
 * af-packet interface that is gone, say) stay in the file for the next start,
 * and so do their static FDB entries. */
static void state_replay(struct sw *sw, json_t *arr, const char *method)
{
	size_t i;
	json_t *params;

	if (!json_is_array(arr))
		return;
	json_array_foreach(arr, i, params)
	{
		struct api_err err = {0};
		json_t *result = NULL;

		if (!json_is_object(params)) {
			RTE_LOG(ERR, USER1, "state: %s entry %zu is not an object; skipped\n",
				method, i);
			continue;
		}
		if (!strcmp(method, "fdb.add_static") && state_keep_static(sw, params))
			continue;
		if (ctl_call(sw, method, params, &result, &err) < 0) {
			RTE_LOG(ERR, USER1, "state: cannot restore %s entry %zu: %s\n", method, i,
				err.msg);
			/* a port that failed is kept for the next start, unless it
			 * is the duplicate of one that came back */
			if (strcmp(method, "port.add") == 0 &&
			    sw_port_find(sw, json_string_value(json_object_get(params, "name"))
						     ?: "") < 0) {
				if (sw->unrestored == NULL)
					sw->unrestored = json_array();
				json_array_append(sw->unrestored, params);
			}
		}
		json_decref(result);
	}
}

int state_load(struct sw *sw)
{
	const char *path = sw->opts.state_path;
	json_error_t jerr;
	json_t *root;

	if (access(path, F_OK) < 0)
		return 0;
	root = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL) {
		RTE_LOG(ERR, USER1, "%s:%d:%d: %s; fix or remove the file\n", path, jerr.line,
			jerr.column, jerr.text);
		return -EINVAL;
	}
	if (!json_is_object(root) || json_integer_value(json_object_get(root, "version")) != 1) {
		RTE_LOG(ERR, USER1, "%s: not a vlab-switchd state file (version 1); fix or "
			"remove it\n", path);
		json_decref(root);
		return -EINVAL;
	}
	sw->restoring = true;
	state_replay(sw, json_object_get(root, "networks"), "network.add");
	state_replay(sw, json_object_get(root, "ports"), "port.add");
	if (json_is_object(json_object_get(root, "underlay"))) {
		json_t *u = json_array();

		json_array_append(u, json_object_get(root, "underlay"));
		state_replay(sw, u, "underlay.set");
		json_decref(u);
	}
	state_replay(sw, json_object_get(root, "vteps"), "vtep.add");
	state_replay(sw, json_object_get(root, "static_fdb"), "fdb.add_static");
	state_replay(sw, json_object_get(root, "recorders"), "network.record");
	state_replay(sw, json_object_get(root, "policies"), "policy.set");
	sw->restoring = false;
	json_decref(root);
	return 0;
}
