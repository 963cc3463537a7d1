/* How `vlab switch` shows the results of the switch API to people: tables
 * of networks, ports, MAC entries and counters, with the meanings of drop
 * and event reasons taken from the API schema.
 *
 * Pure (writes to the FILE it is given); main thread of the vlab CLI. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "polsw.h"
#include "schema.h"
#include "switch_cmd.h"
#include "table.h"

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
	if (api != API_VERSION)
		fprintf(f, "note: this vlab speaks API %d\n", API_VERSION);
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

/* Total of a port's `drops` object (events are counted apart). */
static json_int_t total_of(const json_t *counts)
{
	json_int_t sum = 0;
	const char *k;
	json_t *v;

	json_object_foreach((json_t *)counts, k, v)
	{
		if (json_is_integer(v))
			sum += json_integer_value(v);
	}
	return sum;
}

/* What a reason means, from the schema ("-" for one this client does not know). */
static const char *meaning(const struct api_reason *reasons, int n, const char *name)
{
	for (int i = 0; i < n; i++)
		if (strcmp(reasons[i].name, name) == 0)
			return reasons[i].meaning;
	return "-";
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
			 total_of(json_object_get(p, "drops")));
		if (!t || table_add_row(t, row) < 0) {
			table_free(t);
			return -ENOMEM;
		}
	}
	return flush_table(t, f);
}

/* Nonzero reasons of `key` ("drops" or "events") with their total and the
 * ports they happened on; `none` is printed when there are none. */
static int print_stat_reasons(const json_t *stats, const char *key, const char *title,
			      const struct api_reason *reasons, int nreasons, const char *none,
			      FILE *f)
{
	const struct table_col cols[] = {
	    {title, false}, {"PACKETS", true}, {"PORTS", false}, {"MEANING", false}};
	const json_t *ports = json_object_get(stats, "ports");
	struct table *t = table_new(cols, 4);
	const char *reason;
	json_t *v;
	int ret = -ENOMEM;

	if (!t)
		return -ENOMEM;
	json_object_foreach(json_object_get(stats, key), reason, v)
	{
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
			json_int_t n = int_of(json_object_get(p, key), reason);

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
		const char *row[] = {reason, count, where[0] ? where : "-",
				     meaning(reasons, nreasons, reason)};

		ret = table_add_row(t, row);
		free(where);
		if (ret < 0)
			goto out_free_table;
	}
	if (table_rows(t) == 0) {
		if (none)
			fprintf(f, "%s\n", none);
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
		ret = print_stat_reasons(r, "drops", "DROP-REASON", api_drops, API_DROP_MAX,
					 "no drops", f);
	}
	if (ret == 0 && total_of(json_object_get(r, "events")) > 0) {
		fputc('\n', f);
		ret = print_stat_reasons(r, "events", "EVENT", api_events, API_EVENT_MAX, NULL, f);
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

/* policy.set: what the switch made of it, and its warnings. */
static int print_policy_set(const json_t *r, FILE *f)
{
	const json_t *w = json_object_get(r, "warnings"), *e;
	const char *name = json_string_value(json_object_get(r, "name"));
	size_t i;

	if (!name)
		return -EPROTO;
	fprintf(f, "policy %s: %" JSON_INTEGER_FORMAT " rules, %" JSON_INTEGER_FORMAT " matches\n",
		name, int_of(r, "rules"), int_of(r, "matches"));
	json_array_foreach(w, i, e)
	{
		fprintf(f, "warning: %s\n", json_string_value(e) ? json_string_value(e) : "?");
	}
	return 0;
}

static int print_underlay(const json_t *r, FILE *f)
{
	static const struct table_col cols[] = {
	    {"NEXT-HOP", false}, {"STATE", false}, {"MAC", false}, {"AGE", true}};
	const char *keys[] = {"port",	   "address",  "gateway", "mac",	 "mtu",
			      "inner_mtu", "udp_port", "ttl",	  "arp_requests"};
	struct table *t;
	size_t i;
	json_t *n;

	if (!json_is_object(r))
		return -EPROTO;
	if (!json_is_true(json_object_get(r, "set"))) {
		fprintf(f, "no underlay (vlab switch underlay set PORT A.B.C.D/LEN)\n");
		return 0;
	}
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		char b[32];
		const json_t *v = json_object_get(r, keys[i]);

		if (v)
			fprintf(f, "%-13s %s\n", keys[i], cell(v, b, sizeof(b)));
	}
	t = table_new(cols, 4);
	json_array_foreach(json_object_get(r, "neighbors"), i, n)
	{
		char b[32];
		const char *row[] = {
		    cell(json_object_get(n, "ip"), NULL, 0),
		    cell(json_object_get(n, "state"), NULL, 0),
		    json_object_get(n, "mac") ? cell(json_object_get(n, "mac"), NULL, 0) : NULL,
		    json_object_get(n, "age") ? cell(json_object_get(n, "age"), b, sizeof(b))
					      : NULL,
		};

		if (!t || table_add_row(t, row) < 0) {
			table_free(t);
			return -ENOMEM;
		}
	}
	if (t && table_rows(t) > 0)
		fputc('\n', f);
	return t && table_rows(t) > 0 ? flush_table(t, f) : (table_free(t), 0);
}

static int print_vteps(const json_t *r, FILE *f)
{
	static const struct table_col cols[] = {
	    {"NETWORK", false},	 {"REMOTE", false}, {"PORT", false},	  {"LINK", false},
	    {"NEXT-HOP", false}, {"MACS", true},    {"RX-PACKETS", true}, {"TX-PACKETS", true},
	};
	struct table *t;
	size_t i;
	json_t *v;

	if (!json_is_array(json_object_get(r, "vteps")))
		return -EPROTO;
	t = table_new(cols, 8);
	json_array_foreach(json_object_get(r, "vteps"), i, v)
	{
		char b[3][32];
		const char *row[] = {
		    cell(json_object_get(v, "network"), NULL, 0),
		    cell(json_object_get(v, "remote"), NULL, 0),
		    cell(json_object_get(v, "port"), NULL, 0),
		    cell(json_object_get(v, "link"), NULL, 0),
		    json_object_get(v, "next_hop") ? cell(json_object_get(v, "next_hop"), NULL, 0)
						   : NULL,
		    cell(json_object_get(v, "macs"), b[0], sizeof(b[0])),
		    cell(json_object_get(v, "rx_packets"), b[1], sizeof(b[1])),
		    cell(json_object_get(v, "tx_packets"), b[2], sizeof(b[2])),
		};

		if (!t || table_add_row(t, row) < 0) {
			table_free(t);
			return -ENOMEM;
		}
	}
	return flush_table(t, f);
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
	case SWCMD_VIEW_POLICIES:
		return polsw_show(f, NULL, result, NULL);
	case SWCMD_VIEW_POLICY_SET:
		return print_policy_set(result, f);
	case SWCMD_VIEW_UNDERLAY:
		return print_underlay(result, f);
	case SWCMD_VIEW_VTEPS:
		return print_vteps(result, f);
	case SWCMD_VIEW_RAW:
		break;
	}
	if (json_dumpf(result, f, JSON_ENCODE_ANY | JSON_REAL_PRECISION(15) | JSON_INDENT(2)) < 0)
		return -EIO;
	fputc('\n', f);
	return 0;
}
