/* `vlab capture TARGET...`: taps node interfaces, nodes, networks and switch
 * ports of vlab-switchd and writes what they carry as pcapng, pcap or one
 * line per packet; `--recent` writes what a network's flight recorder holds.
 *
 * Targets are resolved against the running labs (their node records: a
 * node's interfaces and their switch ports; the switch names a lab's
 * networks LAB.NET) and the switch's own ports and networks. The switch
 * passes a stream socket back with the reply to capture.start
 * (docs/switch-api.md); packets of several ports and PMD threads are merged
 * in time order (capstream.c) and written as they come. Ctrl-C, a closed
 * output pipe, -c or --duration end it: capture.stop turns the taps off and
 * returns the final counters, which the summary on stderr shows per target.
 *
 * Threads: the CLI's main thread. */
#include "capture_cmd.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "capfile.h"
#include "capstream.h"
#include "capture_args.h"
#include "lab.h"
#include "swclient.h"
#include "utf8.h"

#define CAP_WINDOW_NS  (100 * 1000000ull) /* how long packets wait to be merged */
#define CAP_IDLE_MS    100
#define CAP_END_WAIT_MS 5000              /* for the rest of the stream after a stop */

const char capture_usage[] =
    "vlab capture TARGET... [-w FILE|-] [-f FILTER] [-c COUNT] [-s SNAPLEN]\n"
    "       [--duration S] [--direction in|out|both] [--format pcapng|pcap] [--recent]\n"
    "       [--policy [LAB/]POLICY] [-q]";

const char capture_details[] =
    "Captures in the switch what lab nodes send and receive (vhost-user NICs are no\n"
    "kernel interfaces: tcpdump -i cannot see them).\n"
    "\n"
    "targets (several are merged into one stream in time order):\n"
    "  NODE:IFNAME   one interface of a node, e.g. a1:eth0\n"
    "  NODE          every interface of a node\n"
    "  NETWORK       every port in a lab's network (also ports that join later)\n"
    "  PORT          a switch port by name (vlab switch port list)\n"
    "  --policy [LAB/]POLICY  the frames that policy's mirror rules copy\n"
    "  LAB/...       any of those in lab LAB (needed when several labs run)\n"
    "\n"
    "options:\n"
    "  -w FILE       write to FILE; -w - writes to stdout. Without -w: one line per\n"
    "                packet on a terminal, pcapng when stdout is a pipe\n"
    "                (vlab capture red | wireshark -k -i -)\n"
    "  -f FILTER     libpcap filter (pcap-filter(7)), run in the switch before copying\n"
    "  -c COUNT      stop after COUNT packets\n"
    "  -s SNAPLEN    bytes kept of each frame (default 65535: whole frames)\n"
    "  --duration S  stop after S seconds (or 500ms, 2m)\n"
    "  --direction   in: frames the node sends into the switch; out: frames the\n"
    "                switch delivers to it; both (default)\n"
    "  --format      pcapng (default: one interface per port, named NODE:IFNAME,\n"
    "                direction in each packet) or pcap\n"
    "  --recent      write what the network's flight recorder holds now (topology:\n"
    "                record: PACKETS on the network; or vlab switch raw network.record)\n"
    "  -q            no progress or summary on stderr\n"
    "\n"
    "It ends on Ctrl-C, a closed pipe, -c or --duration, turns the taps off and\n"
    "prints per target what was captured, filtered out and lost (a reader too slow).\n";

/* A lab port known from the node records. */
struct lab_port {
	char port[NODE_NAME_MAX];   /* switch port, LAB.NODE-IFNAME */
	char shown[NODE_NAME_MAX * 3]; /* NODE:IFNAME, or LAB/NODE:IFNAME with several labs */
	char lab[NODE_NAME_MAX];
	char node[NODE_NAME_MAX];
	char ifname[16];
	char net[NODE_NAME_MAX];    /* the lab's network name */
};

struct target {
	const char *spec;
	char swnet[64];           /* a network target: the switch's name */
	int first, n;             /* a port target: ports[first..first+n) of the request */
	uint64_t captured, filtered, lost;
};

struct capture {
	struct capargs a;
	struct lab_port *lp;
	int n_lp;
	int n_labs;
	struct target t[CAPARGS_MAX_TARGETS];
	json_t *ports, *nets;    /* the request's lists */
	json_t *sw_ports, *sw_nets; /* port.list and network.list */
	struct swc *swc;
	int fd;
	struct capstream cs;
	struct capfile cf;
	FILE *out;
	bool lines;
	uint64_t written;
};

static volatile sig_atomic_t cap_stop_signal;

static void on_signal(int sig)
{
	(void)sig;
	cap_stop_signal = 1;
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Every interface of every node of every lab. */
static int load_lab_ports(struct capture *c)
{
	char (*labs)[NODE_NAME_MAX] = NULL;
	int nl = lab_list_all(&labs);

	c->n_labs = nl > 0 ? nl : 0;
	for (int l = 0; l < nl; l++) {
		char (*nodes)[NODE_NAME_MAX] = NULL;
		int nn = lab_list_nodes_all(labs[l], &nodes);

		for (int k = 0; k < nn; k++) {
			struct node n;
			struct lab_record rec;
			struct lab_port *grown;

			if (lab_record_load(labs[l], nodes[k], &n, &rec) < 0)
				continue;
			grown = realloc(c->lp, (size_t)(c->n_lp + n.n_nics) * sizeof(*c->lp));
			if (grown == NULL) {
				free(nodes);
				free(labs);
				return -ENOMEM;
			}
			c->lp = grown;
			for (int i = 0; i < n.n_nics; i++) {
				struct lab_port *p = &c->lp[c->n_lp++];

				snprintf(p->port, sizeof(p->port), "%s", n.nics[i].port);
				snprintf(p->lab, sizeof(p->lab), "%s", labs[l]);
				snprintf(p->node, sizeof(p->node), "%s", n.name);
				snprintf(p->ifname, sizeof(p->ifname), "%s", n.nics[i].ifname);
				snprintf(p->net, sizeof(p->net), "%s", n.nics[i].network);
			}
		}
		free(nodes);
	}
	for (int i = 0; i < c->n_lp; i++) {
		struct lab_port *p = &c->lp[i];

		if (c->n_labs > 1)
			snprintf(p->shown, sizeof(p->shown), "%s/%s:%s", p->lab, p->node, p->ifname);
		else
			snprintf(p->shown, sizeof(p->shown), "%s:%s", p->node, p->ifname);
	}
	free(labs);
	return 0;
}

static const struct lab_port *lab_port_of(const struct capture *c, const char *port)
{
	for (int i = 0; i < c->n_lp; i++)
		if (!strcmp(c->lp[i].port, port))
			return &c->lp[i];
	return NULL;
}

static bool sw_has(json_t *list, const char *name)
{
	size_t i;
	json_t *o;

	json_array_foreach(list, i, o)
	{
		const char *n = json_string_value(json_object_get(o, "name"));

		if (n && !strcmp(n, name))
			return true;
	}
	return false;
}

static void add_name(json_t *arr, const char *name)
{
	size_t i;
	json_t *v;

	json_array_foreach(arr, i, v)
	{
		if (!strcmp(json_string_value(v), name))
			return;
	}
	json_array_append_new(arr, json_string(name));
}

/* Resolves target k into the request's ports and networks. */
static int resolve(struct capture *c, int k, char *err, size_t errlen)
{
	struct target *t = &c->t[k];
	const char *spec = t->spec, *slash = strchr(spec, '/'), *rest = slash ? slash + 1 : spec;
	char lab[NODE_NAME_MAX] = "", node[NODE_NAME_MAX * 2], swnet[64];
	const char *colon = strchr(rest, ':');
	int found = 0;

	if (slash)
		snprintf(lab, sizeof(lab), "%.*s", (int)(slash - spec), spec);
	snprintf(node, sizeof(node), "%.*s", colon ? (int)(colon - rest) : (int)strlen(rest), rest);
	t->first = (int)json_array_size(c->ports);
	/* NODE:IFNAME and NODE of the labs */
	for (int i = 0; i < c->n_lp; i++) {
		const struct lab_port *p = &c->lp[i];

		if ((lab[0] && strcmp(p->lab, lab)) || strcmp(p->node, node) ||
		    (colon && strcmp(p->ifname, colon + 1)))
			continue;
		if (!sw_has(c->sw_ports, p->port)) {
			snprintf(err, errlen, "%s: switch port %s is not there (is the lab up? "
				 "vlab status)", spec, p->port);
			return -ENOENT;
		}
		add_name(c->ports, p->port);
		found++;
	}
	if (found) {
		t->n = (int)json_array_size(c->ports) - t->first;
		return 0;
	}
	if (colon) {
		snprintf(err, errlen, "%s: no node %s with an interface %s in %s%s (vlab status "
			 "lists them)", spec, node, colon + 1, lab[0] ? "lab " : "the running labs",
			 lab);
		return -ENOENT;
	}
	/* NETWORK of a lab: LAB.NETWORK on the switch */
	for (int i = 0; i < c->n_lp && !t->swnet[0]; i++) {
		const struct lab_port *p = &c->lp[i];

		if ((lab[0] && strcmp(p->lab, lab)) || strcmp(p->net, rest))
			continue;
		snprintf(swnet, sizeof(swnet), "%s.%s", p->lab, p->net);
		if (sw_has(c->sw_nets, swnet))
			snprintf(t->swnet, sizeof(t->swnet), "%s", swnet);
	}
	if (!t->swnet[0] && lab[0]) {
		snprintf(swnet, sizeof(swnet), "%s.%s", lab, rest);
		if (sw_has(c->sw_nets, swnet))
			snprintf(t->swnet, sizeof(t->swnet), "%s", swnet);
	}
	/* the switch's own names */
	if (!t->swnet[0] && !lab[0] && sw_has(c->sw_ports, rest)) {
		add_name(c->ports, rest);
		t->n = 1;
		return 0;
	}
	if (!t->swnet[0] && !lab[0] && sw_has(c->sw_nets, rest))
		snprintf(t->swnet, sizeof(t->swnet), "%s", rest);
	if (!t->swnet[0]) {
		snprintf(err, errlen, "%s: no node, network or switch port of that name (vlab "
			 "status lists nodes; vlab switch port list and network list the switch's)",
			 spec);
		return -ENOENT;
	}
	add_name(c->nets, t->swnet);
	return 0;
}

/* The name and description of port p of the stream. */
static void port_names(const struct capture *c, const struct capstream_port *p, char *name,
		       size_t nlen, char *desc, size_t dlen)
{
	const struct lab_port *lp = lab_port_of(c, p->name);

	if (lp) {
		utf8_escape(name, nlen, lp->shown);
		snprintf(desc, dlen, "lab %s, node %s interface %s, network %s (switch network "
			 "%s, VNI %u), switch port %s", lp->lab, lp->node, lp->ifname, lp->net,
			 p->net, p->vni, p->name);
	} else {
		utf8_escape(name, nlen, p->name);
		snprintf(desc, dlen, "switch port %s, network %s, VNI %u", p->name, p->net, p->vni);
	}
}

/* Writes one packet; -EPIPE when the output's reader is gone. */
static int write_packet(struct capture *c, const struct capstream_pkt *k)
{
	struct capstream_port *p = &c->cs.port[k->port];
	char name[96], desc[256], line[512];
	int rc;

	if (c->lines) {
		port_names(c, p, name, sizeof(name), desc, sizeof(desc));
		capfile_line(line, sizeof(line), k->ts_ns, name, k->dir, k->data, k->caplen,
			     k->origlen);
		if (fprintf(c->out, "%s\n", line) < 0)
			return -EPIPE;
		return 0;
	}
	if (p->iface < 0 && c->a.format == CAPFILE_PCAPNG) {
		port_names(c, p, name, sizeof(name), desc, sizeof(desc));
		rc = capfile_iface(&c->cf, name, desc);
		if (rc < 0)
			return rc;
		p->iface = rc;
	}
	return capfile_packet(&c->cf, p->iface < 0 ? 0 : p->iface, k->ts_ns, k->dir, k->data,
			      k->caplen, k->origlen);
}

/* Writes the packets that have waited long enough (all with `all`). */
static int drain(struct capture *c, bool all)
{
	uint64_t upto = all ? UINT64_MAX
			    : c->cs.newest_ns > CAP_WINDOW_NS ? c->cs.newest_ns - CAP_WINDOW_NS : 0;
	struct capstream_pkt *k;
	int rc = 0;

	while ((k = capstream_pop(&c->cs, upto)) != NULL) {
		if (rc == 0 && (c->a.count == 0 || c->written < c->a.count)) {
			rc = write_packet(c, k);
			c->written += rc == 0;
		}
		free(k);
	}
	if (rc == 0 && !c->lines)
		rc = capfile_flush(&c->cf);
	else if (rc == 0)
		fflush(c->out);
	return rc;
}

static void summary(struct capture *c, json_t *stop)
{
	json_t *ports = json_object_get(stop, "ports"), *o;
	size_t i;

	json_array_foreach(ports, i, o)
	{
		const char *name = json_string_value(json_object_get(o, "name"));
		const char *net = json_string_value(json_object_get(o, "network"));

		for (int k = 0; k < c->a.n_targets; k++) {
			struct target *t = &c->t[k];
			bool mine = t->swnet[0] && net && !strcmp(t->swnet, net);

			for (int j = t->first; !mine && j < t->first + t->n; j++)
				mine = name && !strcmp(json_string_value(json_array_get(c->ports,
											(size_t)j)),
						       name);
			if (!mine)
				continue;
			t->captured += (uint64_t)json_integer_value(json_object_get(o, "captured"));
			t->filtered += (uint64_t)json_integer_value(json_object_get(o, "filtered"));
			t->lost += (uint64_t)json_integer_value(json_object_get(o, "lost"));
		}
	}
	for (int k = 0; k < c->a.n_targets; k++)
		fprintf(stderr, "vlab: %s: %llu captured, %llu filtered out, %llu lost%s\n",
			c->t[k].spec, (unsigned long long)c->t[k].captured,
			(unsigned long long)c->t[k].filtered, (unsigned long long)c->t[k].lost,
			c->t[k].lost ? " (the reader was too slow: use -w FILE, -f or -s)" : "");
	fprintf(stderr, "vlab: %llu packet%s written%s\n", (unsigned long long)c->written,
		c->written == 1 ? "" : "s",
		c->a.count && c->written >= c->a.count ? " (the -c count)" : "");
}

static int open_output(struct capture *c, char *err, size_t errlen)
{
	int rc;

	if (c->a.out == CAPARGS_OUT_FILE) {
		c->out = fopen(c->a.file, "wb");
		if (c->out == NULL) {
			snprintf(err, errlen, "cannot write %s: %s", c->a.file, strerror(errno));
			return -errno;
		}
	} else {
		c->out = stdout;
		c->lines = c->a.out == CAPARGS_OUT_AUTO && isatty(STDOUT_FILENO);
	}
	if (c->lines)
		return 0;
	rc = capfile_open(&c->cf, c->out, c->a.format, c->a.snaplen);
	if (rc < 0)
		snprintf(err, errlen, "cannot write the capture header: %s", strerror(-rc));
	return rc;
}

/* Reads the stream until it ends, the user stops, or the output fails. */
static int run_loop(struct capture *c, uint64_t deadline_ms, bool *stopped)
{
	static uint8_t buf[1 << 18];
	uint64_t idle_since = now_ms();

	for (;;) {
		struct pollfd pfd = {.fd = c->fd, .events = POLLIN};
		uint64_t t = now_ms();
		int wait = CAP_IDLE_MS, rc;

		if (cap_stop_signal || (deadline_ms && t >= deadline_ms) ||
		    (c->a.count && c->written >= c->a.count)) {
			*stopped = true;
			return 0;
		}
		if (deadline_ms && deadline_ms - t < (uint64_t)wait)
			wait = (int)(deadline_ms - t);
		rc = poll(&pfd, 1, wait);
		if (rc < 0 && errno == EINTR)
			continue;
		if (rc > 0) {
			ssize_t n = read(c->fd, buf, sizeof(buf));

			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				return drain(c, true) < 0 ? -EPIPE : 0; /* the stream ended */
			if (capstream_feed(&c->cs, buf, (size_t)n) < 0)
				return -EPROTO;
			idle_since = now_ms();
			if (drain(c, c->cs.ended) < 0)
				return -EPIPE;
			if (c->cs.ended)
				return 0;
			continue;
		}
		if (now_ms() - idle_since >= CAP_IDLE_MS && drain(c, true) < 0)
			return -EPIPE;
	}
}

/* After capture.stop: the rest of the stream, up to its end record. */
static void finish_stream(struct capture *c)
{
	static uint8_t buf[1 << 18];
	uint64_t end = now_ms() + CAP_END_WAIT_MS;

	while (!c->cs.ended && now_ms() < end) {
		struct pollfd pfd = {.fd = c->fd, .events = POLLIN};
		ssize_t n;

		if (poll(&pfd, 1, 100) <= 0)
			continue;
		n = read(c->fd, buf, sizeof(buf));
		if (n <= 0 || capstream_feed(&c->cs, buf, (size_t)n) < 0)
			break;
	}
	drain(c, true);
}

/* The switch's name of the --policy policy: as given when the switch has
 * it, else LAB.POLICY of the lab named (LAB/POLICY) or of the one running
 * lab that has it. */
static int resolve_policy(struct capture *c, char *out, size_t len, char *err, size_t errlen)
{
	const char *spec = c->a.policy, *slash = strchr(spec, '/');
	struct swc_error e = {0};
	json_t *res = NULL, *pols, *p;
	int found = 0;
	size_t i;

	if (swc_call(c->swc, "policy.list", NULL, &res, &e) < 0) {
		snprintf(err, errlen, "cannot list the switch's policies");
		return -EIO;
	}
	pols = json_object_get(res, "policies");
	json_array_foreach(pols, i, p)
	{
		const char *name = json_string_value(json_object_get(p, "name"));
		const char *dot = name ? strchr(name, '.') : NULL;
		bool mine;

		if (name == NULL)
			continue;
		if (slash != NULL) /* LAB/POLICY is LAB.POLICY */
			mine = dot && (size_t)(dot - name) == (size_t)(slash - spec) &&
			       !strncmp(name, spec, (size_t)(slash - spec)) &&
			       !strcmp(dot + 1, slash + 1);
		else
			mine = !strcmp(name, spec) || (dot && !strcmp(dot + 1, spec));
		if (!mine)
			continue;
		if (!strcmp(name, spec)) { /* the switch's own name wins */
			found = 1;
			snprintf(out, len, "%s", name);
			break;
		}
		if (found++ == 0)
			snprintf(out, len, "%s", name);
	}
	json_decref(res);
	if (found == 1)
		return 0;
	if (found)
		snprintf(err, errlen, "policy '%s' is in several labs: name one as LAB/%s", spec,
			 spec);
	else
		snprintf(err, errlen, "no policy '%s' on the switch (vlab policy show lists them)",
			 spec);
	return -ENOENT;
}

static int start(struct capture *c, json_t **result, char *err, size_t errlen)
{
	struct swc_error e = {0};
	json_t *params;
	int rc;

	if (c->a.recent) {
		if (c->a.n_targets != 1 || !c->t[0].swnet[0]) {
			snprintf(err, errlen, "--recent reads one network's flight recorder: name one "
				 "network");
			return -EINVAL;
		}
		params = json_pack("{s:s}", "network", c->t[0].swnet);
		rc = swc_call(c->swc, "capture.recent", params, result, &e);
	} else {
		params = json_pack("{s:s,s:I}", "direction", c->a.direction, "snaplen",
				   (json_int_t)c->a.snaplen);
		if (json_array_size(c->ports))
			json_object_set(params, "ports", c->ports);
		if (json_array_size(c->nets))
			json_object_set(params, "networks", c->nets);
		if (c->a.filter)
			json_object_set_new(params, "filter", json_string(c->a.filter));
		if (c->a.policy) {
			char pol[2 * NODE_NAME_MAX];

			rc = resolve_policy(c, pol, sizeof(pol), err, errlen);
			if (rc < 0) {
				json_decref(params);
				return rc;
			}
			json_object_set_new(params, "policy", json_string(pol));
		}
		rc = swc_call(c->swc, "capture.start", params, result, &e);
	}
	json_decref(params);
	if (rc == -EREMOTEIO)
		snprintf(err, errlen, "switch: %s", e.message);
	else if (rc < 0)
		snprintf(err, errlen, "switch: %s", strerror(-rc));
	if (rc < 0)
		return rc;
	c->fd = swc_take_fd(c->swc);
	if (c->fd < 0) {
		snprintf(err, errlen, "the switch passed no capture stream with its reply (is it "
			 "a vlab-switchd of this version?)");
		return -EPROTO;
	}
	return 0;
}

static void say_start(const struct capture *c)
{
	fprintf(stderr, "vlab: %s ", c->a.recent ? "reading the recorder of" : "capturing on");
	for (int k = 0; k < c->a.n_targets; k++)
		fprintf(stderr, "%s%s", k ? ", " : "", c->t[k].spec);
	if (c->a.filter)
		fprintf(stderr, " (filter '%s')", c->a.filter);
	fprintf(stderr, "%s\n", c->a.recent ? "" : "; Ctrl-C stops");
}

int capture_cmd(const struct vlab_opts *opts, int argc, char **argv)
{
	struct capture *c = calloc(1, sizeof(*c));
	char err[768];
	json_t *res = NULL, *stop = NULL;
	struct sigaction sa = {.sa_handler = on_signal};
	struct swc_error e = {0};
	bool stopped = false;
	int rc, ret = VLAB_EXIT_FAIL;

	if (c == NULL || capstream_init(&c->cs) < 0) {
		fprintf(stderr, "vlab: capture: out of memory\n");
		free(c);
		return VLAB_EXIT_FAIL;
	}
	c->fd = -1;
	if (capargs_parse(argc, argv, &c->a, err, sizeof(err)) < 0) {
		fprintf(stderr, "vlab: capture: %s\nusage: %s\n", err, capture_usage);
		ret = VLAB_EXIT_USAGE;
		goto out_free;
	}
	if (c->a.help) {
		printf("usage: %s\n\n%s", capture_usage, capture_details);
		ret = VLAB_EXIT_OK;
		goto out_free;
	}
	/* before the taps go on: a Ctrl-C from then on ends the capture cleanly */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	c->ports = json_array();
	c->nets = json_array();
	rc = swc_connect(swc_socket_path(opts->socket), &c->swc);
	if (rc < 0) {
		fprintf(stderr, "vlab: capture: cannot reach the switch at %s: %s (is it running? "
			"vlab up starts it)\n", swc_socket_path(opts->socket), strerror(-rc));
		goto out_free;
	}
	if (load_lab_ports(c) < 0 ||
	    swc_call(c->swc, "port.list", NULL, &c->sw_ports, &e) < 0 ||
	    swc_call(c->swc, "network.list", NULL, &c->sw_nets, &e) < 0) {
		fprintf(stderr, "vlab: capture: cannot list the switch's ports and networks\n");
		goto out_free;
	}
	for (int k = 0; k < c->a.n_targets; k++) {
		c->t[k].spec = c->a.targets[k];
		if (resolve(c, k, err, sizeof(err)) < 0) {
			fprintf(stderr, "vlab: capture: %s\n", err);
			goto out_free;
		}
	}
	if (start(c, &res, err, sizeof(err)) < 0) {
		fprintf(stderr, "vlab: capture: %s\n", err);
		goto out_free;
	}
	if (open_output(c, err, sizeof(err)) < 0) {
		fprintf(stderr, "vlab: capture: %s\n", err);
		goto out_stop;
	}
	if (!c->a.quiet)
		say_start(c);
	rc = run_loop(c, c->a.duration_ms ? now_ms() + c->a.duration_ms : 0, &stopped);
	if (rc == -EPROTO)
		fprintf(stderr, "vlab: capture: the switch's stream is broken\n");
	ret = rc == 0 || rc == -EPIPE ? VLAB_EXIT_OK : VLAB_EXIT_FAIL;
	if (rc == 0 && !stopped && !c->cs.ended) {
		fprintf(stderr, "vlab: capture: the stream ended without its end record (did the "
			"switch stop?): packets may be missing\n");
		ret = VLAB_EXIT_FAIL;
	}
out_stop:
	if (!c->a.recent && !c->cs.ended) {
		struct swc_error e = {0};
		json_t *p = json_pack("{s:I}", "id", json_integer_value(json_object_get(res, "id")));

		if (swc_call(c->swc, "capture.stop", p, &stop, &e) == 0) {
			finish_stream(c);
			if (!c->cs.ended && ret == VLAB_EXIT_OK) {
				fprintf(stderr, "vlab: capture: the stream ended without its end "
					"record: packets may be missing\n");
				ret = VLAB_EXIT_FAIL;
			}
		}
		json_decref(p);
	}
	if (c->out && c->out != stdout)
		fclose(c->out);
	else if (c->out)
		fflush(c->out);
	if (!c->a.quiet && c->a.recent)
		fprintf(stderr, "vlab: %llu packet%s written from the recorder\n",
			(unsigned long long)c->written, c->written == 1 ? "" : "s");
	else if (!c->a.quiet && stop)
		summary(c, stop);
	json_decref(stop);
out_free:
	json_decref(res);
	json_decref(c->ports);
	json_decref(c->nets);
	json_decref(c->sw_ports);
	json_decref(c->sw_nets);
	if (c->fd >= 0)
		close(c->fd);
	swc_close(c->swc);
	capstream_free(&c->cs);
	free(c->lp);
	free(c);
	return ret;
}
