/* Capture sessions, control side: the API methods capture.start,
 * capture.stop, capture.recent, capture.list and network.record; the
 * capture pool; a session's life from its creation to its reaping.
 *
 *   capture.start   compiles the filter, makes the ring and a socket pair,
 *                   publishes a snapshot with the taps on, and passes one
 *                   end of the pair back with the reply (ctl_pass_fd).
 *   capture.stop    taps off (a snapshot without them: once it returns no
 *                   PMD touches the session), final counters into the reply
 *                   and the stream's end record; the writer sends what is
 *                   left, then closes the stream.
 *   a client gone   the writer notices and posts cap_client_gone: the same
 *                   as a stop, without a reply.
 *   reaping         once the writer is done (CAP_DONE) it posts cap_reap.
 *
 * Runs on the control thread. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_log.h>

#include "cap.h"
#include "pipeline.h"
#include "policy.h"

struct cap_global cap = {.lock = PTHREAD_MUTEX_INITIALIZER, .next_id = 1, .wake_fd = -1};

int cap_init(struct sw *sw)
{
	struct timespec ts;
	int rc;

	cap.sw = sw;
	cap.tsc_hz = rte_get_tsc_hz();
	clock_gettime(CLOCK_REALTIME, &ts);
	cap.tsc0 = rte_rdtsc();
	cap.ns0 = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
	rc = dp_feature_register(&cap_feature_in);
	if (rc == 0)
		rc = dp_feature_register(&cap_feature_out);
	if (rc == 0)
		rc = cap_writer_start();
	return rc;
}

void cap_shutdown(struct sw *sw)
{
	struct cap_session *s;

	(void)sw;
	cap_writer_stop();
	while ((s = cap.list) != NULL) {
		cap.list = s->next;
		cap_session_free(s);
	}
	cap.n_sessions = 0;
	if (cap.pool != NULL)
		rte_mempool_free(cap.pool);
	cap.pool = NULL;
}

int cap_pool_ready(struct api_err *err)
{
	if (cap.pool != NULL)
		return 0;
	cap.pool = rte_pktmbuf_pool_create("vlab_capture", CAP_POOL_MBUFS, 256,
					   RTE_ALIGN(sizeof(struct cap_meta), 8),
					   RTE_MBUF_DEFAULT_BUF_SIZE, (int)rte_socket_id());
	if (cap.pool == NULL)
		return api_fail(err, -ENOMEM,
				"no memory for the capture pool (%d buffers): reserve more "
				"hugepages",
				CAP_POOL_MBUFS);
	return 0;
}

struct cap_session *cap_find(uint32_t id)
{
	for (struct cap_session *s = cap.list; s; s = s->next)
		if (s->id == id)
			return s;
	return NULL;
}

struct cap_session *cap_recorder_of(int net)
{
	for (struct cap_session *s = cap.list; s; s = s->next)
		if (s->kind == CAP_RECORDER && atomic_load(&s->state) == CAP_ACTIVE &&
		    s->want_net[net])
			return s;
	return NULL;
}

void cap_session_free(struct cap_session *s)
{
	void *m;

	if (s == NULL)
		return;
	if (s->ring != NULL) {
		while (rte_ring_sc_dequeue(s->ring, &m) == 0)
			rte_pktmbuf_free(m);
		rte_ring_free(s->ring);
	}
	if (s->bpf != NULL)
		rte_bpf_destroy(s->bpf);
	free(s->cbpf);
	if (s->fd >= 0)
		close(s->fd);
	for (uint32_t i = 0; s->store && i < s->max; i++)
		free(s->store[i]);
	free(s->store);
	free(s->filter);
	free(s->want_port);
	free(s->want_net);
	free(s->ctr);
	free(s->info);
	free(s->announced);
	free(s->obuf);
	free(s);
}

/* Sessions that hold a place: running ones and readers of recorders (those
 * stopped and finishing their stream do not). */
static unsigned int cap_busy(void)
{
	unsigned int n = 0;

	for (struct cap_session *s = cap.list; s; s = s->next)
		n += atomic_load(&s->state) == CAP_ACTIVE ||
		     (s->kind == CAP_DUMP && atomic_load(&s->state) != CAP_DONE);
	return n;
}

/* A new session with its tables; not in the list yet. */
struct cap_session *cap_session_new(struct sw *sw, enum cap_kind kind, uint32_t snaplen,
				    struct api_err *err)
{
	struct cap_session *s = calloc(1, sizeof(*s));
	char name[RTE_RING_NAMESIZE];

	if (cap_busy() >= API_MAX_CAPTURES) {
		api_fail(err, -ENOSPC,
			 "too many captures at once (at most %d, recorders and readers of them "
			 "included); stop one first",
			 API_MAX_CAPTURES);
		free(s);
		return NULL;
	}
	if (kind != CAP_DUMP && cap_pool_ready(err) < 0) {
		free(s);
		return NULL;
	}
	if (s == NULL)
		goto out_nomem;
	s->fd = -1;
	s->gone_net = -1;
	s->kind = kind;
	s->snaplen = snaplen;
	s->id = cap.next_id++;
	if (cap.next_id == 0)
		cap.next_id = 1;
	s->want_port = calloc(SW_MAX_PORTS, sizeof(*s->want_port));
	s->want_net = calloc(SW_MAX_NETS, sizeof(*s->want_net));
	s->ctr = calloc((size_t)sw->n_pmd * SW_MAX_PORTS, sizeof(*s->ctr));
	s->info = calloc(SW_MAX_PORTS, sizeof(*s->info));
	s->announced = calloc(SW_MAX_PORTS, sizeof(*s->announced));
	if (!s->want_port || !s->want_net || !s->ctr || !s->info || !s->announced)
		goto out_nomem;
	if (kind != CAP_DUMP) {
		snprintf(name, sizeof(name), "vlab_cap%u", s->id);
		s->ring = rte_ring_create(name, CAP_RING_SIZE, (int)rte_socket_id(), RING_F_SC_DEQ);
		if (s->ring == NULL) {
			api_fail(err, -ENOMEM, "cannot make the capture ring: %s",
				 rte_strerror(rte_errno));
			cap_session_free(s);
			return NULL;
		}
	}
	return s;
out_nomem:
	cap_session_free(s);
	api_fail(err, -ENOMEM, "out of memory for a capture");
	return NULL;
}

void cap_link(struct cap_session *s)
{
	pthread_mutex_lock(&cap.lock);
	s->next = cap.list;
	cap.list = s;
	cap.n_sessions++;
	pthread_mutex_unlock(&cap.lock);
	cap_writer_wake();
}

int cap_link_publish(struct sw *sw, struct cap_session *s, struct api_err *err)
{
	cap_link(s);
	if (sw_dp_publish(sw) == 0)
		return 0;
	/* ended at once: a client's end, passed already, sees the stream end */
	atomic_store(&s->state, CAP_DRAINING);
	pthread_mutex_lock(&cap.lock);
	s->final_ready = true;
	pthread_mutex_unlock(&cap.lock);
	return api_fail(err, -ENOMEM, "out of memory turning the taps on; try again");
}

/* Sums of the session's counters, per port into `ports` (may be NULL). */
void cap_totals(const struct sw *sw, const struct cap_session *s, struct cap_rec_end *t,
		       json_t *ports)
{
	memset(t, 0, sizeof(*t));
	for (int p = 0; p < SW_MAX_PORTS; p++) {
		struct cap_rec_end pt = {0};

		for (unsigned int k = 0; k < sw->n_pmd; k++) {
			const struct cap_ctr *c = &s->ctr[k * SW_MAX_PORTS + (unsigned int)p];

			pt.captured += ctr_get(&c->captured);
			pt.filtered += ctr_get(&c->filtered);
			pt.lost += ctr_get(&c->lost);
		}
		if (pt.captured + pt.filtered + pt.lost == 0 && s->info[p].name[0] == '\0')
			continue;
		t->captured += pt.captured;
		t->filtered += pt.filtered;
		t->lost += pt.lost;
		if (ports != NULL)
			json_array_append_new(
			    ports, json_pack("{s:s,s:s,s:I,s:I,s:I}", "name", s->info[p].name,
					     "network", s->info[p].net, "captured",
					     (json_int_t)pt.captured, "filtered",
					     (json_int_t)pt.filtered, "lost", (json_int_t)pt.lost));
	}
}

/* Taps off and final counters: the writer sends the rest and the end. */
int cap_stop(struct sw *sw, struct cap_session *s, json_t *ports)
{
	struct cap_rec_end t;

	if (atomic_load(&s->state) != CAP_ACTIVE)
		return 0;
	atomic_store(&s->state, CAP_DRAINING);
	if (sw_dp_publish(sw) < 0) {
		atomic_store(&s->state, CAP_ACTIVE);
		return -ENOMEM;
	}
	/* no PMD can touch the session now: its counters are final */
	cap_totals(sw, s, &t, ports);
	pthread_mutex_lock(&cap.lock);
	s->end = t;
	s->final_ready = true;
	s->drain_deadline_ms = cap_now_ms() + CAP_DRAIN_MS;
	pthread_mutex_unlock(&cap.lock);
	cap_writer_wake();
	return 0;
}

void cap_reap(struct sw *sw, void *arg)
{
	uint32_t id = *(uint32_t *)arg;
	struct cap_session **pp, *s = NULL;

	(void)sw;
	free(arg);
	pthread_mutex_lock(&cap.lock);
	for (pp = &cap.list; *pp; pp = &(*pp)->next)
		if ((*pp)->id == id && atomic_load(&(*pp)->state) == CAP_DONE) {
			s = *pp;
			*pp = s->next;
			cap.n_sessions--;
			break;
		}
	pthread_mutex_unlock(&cap.lock);
	cap_session_free(s);
}

void cap_client_gone(struct sw *sw, void *arg)
{
	struct cap_session *s = cap_find(*(uint32_t *)arg);

	free(arg);
	if (s != NULL && cap_stop(sw, s, NULL) < 0) {
		RTE_LOG(ERR, USER1, "capture %u: out of memory turning its taps off; trying "
			"again\n", s->id);
		pthread_mutex_lock(&cap.lock);
		s->gone_posted = false; /* the writer asks again */
		pthread_mutex_unlock(&cap.lock);
	}
}

void cap_net_gone(struct sw *sw, int net, enum cap_net_phase phase)
{
	(void)sw;
	for (struct cap_session *s = cap.list; s; s = s->next) {
		if (phase == CAP_NET_GONE) {
			s->gone_net = -1;
			if (!s->want_net[net])
				continue;
			s->want_net[net] = 0;
			s->gone_net = net;
			if (s->kind == CAP_RECORDER) /* out of the snapshot that follows */
				atomic_store(&s->state, CAP_DRAINING);
		} else if (s->gone_net == net && phase == CAP_NET_KEPT) {
			s->want_net[net] = 1;
			if (s->kind == CAP_RECORDER)
				atomic_store(&s->state, CAP_ACTIVE);
		} else if (s->gone_net == net && s->kind == CAP_RECORDER) {
			/* no PMD sees it any more: the writer may finish it */
			pthread_mutex_lock(&cap.lock);
			s->final_ready = true;
			pthread_mutex_unlock(&cap.lock);
			cap_writer_wake();
		}
	}
}

/* A socket pair for a stream: the switch's end in s->fd, the client's end
 * passed back with the reply. */
int cap_stream_open(struct cap_session *s, struct api_err *err)
{
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return api_fail(err, -errno, "cannot make the capture stream: %s", strerror(errno));
	fcntl(sv[0], F_SETFL, fcntl(sv[0], F_GETFL) | O_NONBLOCK);
	s->fd = sv[0];
	s->ocap = CAP_OBUF_SIZE;
	s->obuf = malloc(s->ocap);
	if (s->obuf == NULL) {
		close(sv[1]);
		return api_fail(err, -ENOMEM, "out of memory for a capture stream");
	}
	ctl_pass_fd(sv[1]);
	return 0;
}

static json_t *cap_ports_json(const struct sw *sw, const struct cap_session *s)
{
	json_t *a = json_array();

	for (int p = 0; p < SW_MAX_PORTS; p++) {
		const struct sw_port *sp = &sw->port[p];

		if (sp->used && (s->want_port[p] == sp->gen + 1 || s->want_net[sp->net]))
			json_array_append_new(a, json_pack("{s:s,s:s,s:i}", "name", sp->conf.name,
							   "network", sw->net[sp->net].name,
							   "vni", (int)sw->net[sp->net].vni));
	}
	return a;
}

static int capture_start(struct sw *sw, json_t *params, json_t **result, struct api_err *err)
{
	json_t *ports = json_object_get(params, "ports"), *nets = json_object_get(params, "networks");
	const char *dir = "both", *filter = NULL, *policy = NULL;
	uint64_t snaplen = API_SNAPLEN_MAX;
	struct cap_session *s;
	size_t i;
	json_t *v;
	int rc;

	if (api_get_str(params, "direction", false, &dir, err) < 0 ||
	    api_get_str(params, "filter", false, &filter, err) < 0 ||
	    api_get_str(params, "policy", false, &policy, err) < 0 ||
	    api_get_uint(params, "snaplen", false, 1, API_SNAPLEN_MAX, &snaplen, err) < 0)
		return err->code;
	if (ports == NULL && nets == NULL && policy == NULL)
		return api_fail(
		    err, -EINVAL,
		    "capture.start needs \"ports\", \"networks\" or \"policy\": what to "
		    "capture on");
	if (policy != NULL && !pol_exists(policy))
		return api_fail(err, -ENOENT,
				"no policy \"%s\" to take mirrored frames from (policy.list shows "
				"them)",
				policy);
	s = cap_session_new(sw, CAP_STREAM, (uint32_t)snaplen, err);
	if (s == NULL)
		return err->code;
	s->dirs = !strcmp(dir, "in") ? CAP_DIR_IN : !strcmp(dir, "out") ? CAP_DIR_OUT
									 : CAP_DIR_IN | CAP_DIR_OUT;
	json_array_foreach(ports, i, v)
	{
		int p = sw_port_find(sw, json_string_value(v));

		if (p < 0) {
			rc = api_fail(err, -ENOENT, "port \"%s\" does not exist (see port.list)",
				      json_string_value(v));
			goto out_free;
		}
		s->want_port[p] = sw->port[p].gen + 1;
	}
	json_array_foreach(nets, i, v)
	{
		int n = sw_net_find(sw, json_string_value(v));

		if (n < 0) {
			rc = api_fail(err, -ENOENT, "network \"%s\" does not exist (see network.list)",
				      json_string_value(v));
			goto out_free;
		}
		s->want_net[n] = 1;
	}
	if (policy != NULL)
		snprintf(s->policy, sizeof(s->policy), "%s", policy);
	if (filter != NULL) {
		s->filter = strdup(filter);
		rc = s->filter ? cap_filter_compile(filter, s->snaplen, &s->bpf, &s->jit, &s->cbpf, err)
			       : api_fail(err, -ENOMEM, "out of memory");
		if (rc < 0)
			goto out_free;
	}
	rc = cap_stream_open(s, err);
	if (rc < 0)
		goto out_free;
	rc = cap_link_publish(sw, s, err);
	if (rc < 0)
		return rc;
	*result = json_pack("{s:I,s:I,s:s,s:s?,s:i,s:o}", "id", (json_int_t)s->id, "snaplen",
			    (json_int_t)s->snaplen, "direction", dir, "filter", filter, "linktype", 1,
			    "ports", cap_ports_json(sw, s));
	return 0;
out_free:
	cap_session_free(s);
	return rc;
}

static int capture_stop(struct sw *sw, json_t *params, json_t **result, struct api_err *err)
{
	struct cap_session *s;
	uint64_t id;
	json_t *ports;

	if (api_get_uint(params, "id", true, 1, UINT32_MAX, &id, err) < 0)
		return err->code;
	s = cap_find((uint32_t)id);
	if (s == NULL || s->kind != CAP_STREAM)
		return api_fail(err, -ENOENT, "no capture %llu (see capture.list)",
				(unsigned long long)id);
	if (atomic_load(&s->state) != CAP_ACTIVE)
		return api_fail(err, -EALREADY, "capture %llu is ending already",
				(unsigned long long)id);
	ports = json_array();
	if (ports == NULL || cap_stop(sw, s, ports) < 0) {
		json_decref(ports);
		return api_fail(err, -ENOMEM, "out of memory turning the taps off; try again");
	}
	*result = json_pack("{s:I,s:I,s:I,s:I,s:o}", "id", id, "captured",
			    (json_int_t)s->end.captured, "filtered", (json_int_t)s->end.filtered,
			    "lost", (json_int_t)s->end.lost, "ports", ports);
	return 0;
}

static const char *cap_kind_name(enum cap_kind k)
{
	return k == CAP_STREAM ? "capture" : k == CAP_RECORDER ? "recorder" : "recent";
}

static int capture_list(struct sw *sw, json_t *params, json_t **result, struct api_err *err)
{
	json_t *arr = json_array();

	(void)params;
	(void)err;
	for (struct cap_session *s = cap.list; s; s = s->next) {
		struct cap_rec_end t;
		json_t *nets = json_array();
		uint32_t kept;

		if (atomic_load(&s->state) == CAP_DONE)
			continue;
		for (int n = 0; n < SW_MAX_NETS; n++)
			if (s->want_net[n] && sw->net[n].used)
				json_array_append_new(nets, json_string(sw->net[n].name));
		cap_totals(sw, s, &t, NULL);
		pthread_mutex_lock(&cap.lock);
		kept = s->count;
		pthread_mutex_unlock(&cap.lock);
		json_array_append_new(
		    arr, json_pack("{s:I,s:s,s:s,s:s?,s:I,s:o,s:o,s:I,s:I,s:I,s:I}", "id",
				   (json_int_t)s->id, "kind", cap_kind_name(s->kind), "direction",
				   s->dirs == CAP_DIR_IN ? "in" : s->dirs == CAP_DIR_OUT ? "out" : "both",
				   "filter", s->filter, "snaplen", (json_int_t)s->snaplen, "networks",
				   nets, "ports", cap_ports_json(sw, s), "captured",
				   (json_int_t)t.captured, "filtered", (json_int_t)t.filtered, "lost",
				   (json_int_t)t.lost, "kept", (json_int_t)kept));
	}
	*result = json_pack("{s:o}", "captures", arr);
	return 0;
}

const struct ctl_method capture_methods[] = {
	{"capture.start", capture_start},
	{"capture.stop", capture_stop},
	{"capture.list", capture_list},
	{"capture.recent", capture_recent},
	{"network.record", network_record},
	{NULL, NULL},
};
