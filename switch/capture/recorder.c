/* Flight recorders: a network can keep its last N frames (both directions
 * of every port in it) all the time, and capture.recent hands what it holds
 * now to a client as a capture stream, without stopping it.
 *
 * A recorder is a session of kind CAP_RECORDER: the PMDs tap it like any
 * capture, on the way in only (every frame of the network enters the switch
 * from one of its ports, so each is kept once); the writer keeps each frame as a ready stream record in a ring
 * of N (oldest out first; also bounded by CAP_RECORD_BYTES). A dump
 * (CAP_DUMP) is a session without taps whose stream buffer starts out
 * holding the recorder's records and its end.
 *
 * network.record and capture.recent run on the control thread; cap_store()
 * on the writer. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cap.h"

void cap_store(struct cap_session *s, struct rte_mbuf *m)
{
	const struct cap_meta *cm = rte_mbuf_to_priv(m);
	uint32_t len = m->pkt_len;
	struct cap_stored *r = malloc(sizeof(*r) + len);

	if (r == NULL)
		return;
	memset(&r->hdr, 0, sizeof(r->hdr));
	r->hdr.magic = CAP_MAGIC;
	r->hdr.type = CAP_REC_PACKET;
	r->hdr.port = cm->port;
	r->hdr.len = len;
	r->hdr.orig_len = cm->orig_len;
	r->hdr.ts_ns = cap_tsc_ns(cm->tsc);
	r->hdr.dir = cm->dir;
	{
		const void *src = rte_pktmbuf_read(m, 0, len, r->data);

		if (src != r->data) /* else a chained copy, read into r->data already */
			memcpy(r->data, src, len);
	}
	if (s->count == s->max) { /* full: the oldest goes */
		uint32_t old = (s->head + s->max - s->count) % s->max;

		s->store_bytes -= sizeof(struct cap_stored) + s->store[old]->hdr.len;
		free(s->store[old]);
		s->store[old] = NULL;
		s->count--;
	}
	s->store[s->head] = r;
	s->head = (s->head + 1) % s->max;
	s->count++;
	s->store_bytes += sizeof(*r) + len;
	while (s->store_bytes > CAP_RECORD_BYTES && s->count > 1) {
		uint32_t old = (s->head + s->max - s->count) % s->max;

		s->store_bytes -= sizeof(struct cap_stored) + s->store[old]->hdr.len;
		free(s->store[old]);
		s->store[old] = NULL;
		s->count--;
	}
}

int network_record(struct sw *sw, json_t *params, json_t **result, struct api_err *err)
{
	const char *name;
	uint64_t packets, snaplen = API_SNAPLEN_MAX;
	struct cap_session *s = NULL, *old;
	int n;

	if (api_get_name(params, "name", true, &name, err) < 0 ||
	    api_get_uint(params, "packets", true, 0, API_RECORD_MAX, &packets, err) < 0 ||
	    api_get_uint(params, "snaplen", false, 1, API_SNAPLEN_MAX, &snaplen, err) < 0)
		return err->code;
	n = sw_net_find(sw, name);
	if (n < 0)
		return api_fail(err, -ENOENT, "network \"%s\" does not exist (see network.list)",
				name);
	old = cap_recorder_of(n);
	if (old != NULL && packets == old->max && snaplen == old->snaplen)
		return 0; /* as it is */
	if (packets > 0) { /* the new one first: a failure leaves the old one running */
		s = cap_session_new(sw, CAP_RECORDER, (uint32_t)snaplen, err);
		if (s == NULL && !(old != NULL && err->code == -ENOSPC))
			return err->code;
		if (s == NULL) { /* at the limit: it takes the old one's place */
			if (cap_stop(sw, old, NULL) < 0)
				return api_fail(err, -ENOMEM, "out of memory; try again");
			old = NULL;
			s = cap_session_new(sw, CAP_RECORDER, (uint32_t)snaplen, err);
			if (s == NULL)
				return err->code;
		}
	}
	if (old != NULL && cap_stop(sw, old, NULL) < 0) {
		cap_session_free(s);
		return api_fail(err, -ENOMEM, "out of memory turning the recorder off; try again");
	}
	if (packets == 0)
		return 0;
	s->dirs = CAP_DIR_IN; /* each frame once, as it entered the network */
	s->want_net[n] = 1;
	s->max = (uint32_t)packets;
	s->store = calloc(s->max, sizeof(*s->store));
	if (s->store == NULL) {
		cap_session_free(s);
		return api_fail(err, -ENOMEM, "out of memory for a recorder of %llu packets",
				(unsigned long long)packets);
	}
	(void)result;
	return cap_link_publish(sw, s, err);
}

json_t *cap_recorders_config(const struct sw *sw)
{
	json_t *a = json_array();

	for (struct cap_session *s = cap.list; s; s = s->next) {
		if (s->kind != CAP_RECORDER || atomic_load(&s->state) != CAP_ACTIVE)
			continue;
		for (int n = 0; n < SW_MAX_NETS; n++)
			if (s->want_net[n] && sw->net[n].used)
				json_array_append_new(
				    a, json_pack("{s:s,s:I,s:I}", "name", sw->net[n].name, "packets",
						 (json_int_t)s->max, "snaplen", (json_int_t)s->snaplen));
	}
	return a;
}

int capture_recent(struct sw *sw, json_t *params, json_t **result, struct api_err *err)
{
	struct cap_session *r, *d;
	const char *name;
	int n, rc;
	struct cap_rec h = {.magic = CAP_MAGIC, .type = CAP_REC_END, .len = sizeof(d->end)};

	if (api_get_name(params, "network", true, &name, err) < 0)
		return err->code;
	n = sw_net_find(sw, name);
	if (n < 0)
		return api_fail(err, -ENOENT, "network \"%s\" does not exist (see network.list)",
				name);
	r = cap_recorder_of(n);
	if (r == NULL)
		return api_fail(err, -ENOENT,
				"network \"%s\" has no flight recorder: switch one on with "
				"network.record (topology: record: PACKETS on the network)",
				name);
	d = cap_session_new(sw, CAP_DUMP, r->snaplen, err);
	if (d == NULL)
		return err->code;
	rc = cap_stream_open(d, err);
	if (rc < 0) {
		cap_session_free(d);
		return rc;
	}
	pthread_mutex_lock(&cap.lock);
	/* room for every record, every port's announcement and the end */
	free(d->obuf);
	d->ocap = r->store_bytes + (size_t)SW_MAX_PORTS * 128 + 128;
	d->obuf = malloc(d->ocap);
	memcpy(d->info, r->info, SW_MAX_PORTS * sizeof(*r->info));
	for (uint32_t i = 0; d->obuf && i < r->count; i++) {
		const struct cap_stored *st = r->store[(r->head + r->max - r->count + i) % r->max];

		cap_out_announce(d, st->hdr.port);
		cap_out_append(d, &st->hdr, st->data, st->hdr.len, NULL, 0);
		d->end.captured++;
	}
	if (d->obuf != NULL)
		cap_out_append(d, &h, &d->end, sizeof(d->end), NULL, 0);
	d->ended = true;
	d->final_ready = true;
	d->drain_deadline_ms = cap_now_ms() + CAP_DRAIN_MS * 5;
	atomic_store(&d->state, CAP_DRAINING);
	pthread_mutex_unlock(&cap.lock);
	if (d->obuf == NULL) {
		/* closing our end: the client's end, passed already, sees the end */
		cap_session_free(d);
		return api_fail(err, -ENOMEM, "out of memory reading the recorder");
	}
	cap_link(d);
	*result = json_pack("{s:I,s:I,s:i,s:I}", "id", (json_int_t)d->id, "packets",
			    (json_int_t)d->end.captured, "linktype", 1, "snaplen",
			    (json_int_t)d->snaplen);
	return 0;
}
