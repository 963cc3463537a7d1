/* Unit tests of the guest-agent client (vmhost/qga.c) against a fake agent:
 * a peer thread on the other end of a socketpair (or of a Unix socket) plays
 * a script: stale bytes before the sync delimiter, silent agents, guest-exec
 * with several status polls, errors and hang-ups. Also the pure base64 helpers.
 *
 * Threads: cmocka runs every test on the main thread; each protocol test
 * starts one peer thread and joins it. The peer never calls cmocka: it records
 * its first failure, which the main thread checks. */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "qga.h"
#include "qmp.h"

/* ---- fake agent ---- */

enum peer_op {
	P_END,	  /* end of script: close the socket */
	P_EXPECT, /* read one request, check "execute" (and "arguments" if set) */
	P_SEND,	  /* write text ($ID: id of the last request, $SYNC: id of the
		   * last sync, $PREV: id of the sync before it, \xff as is) */
	P_SLEEP,  /* sleep ms */
	P_ANSWER, /* for ms: answer every request with text; counts syncs */
};

struct step {
	enum peer_op op;
	const char *text; /* command name, or text to send */
	const char *args; /* P_EXPECT: expected "arguments" as JSON, or NULL */
	int ms;		  /* P_SLEEP, P_ANSWER */
};

struct peer {
	int fd;
	const struct step *steps;
	const char *listen_path; /* accept on this Unix socket first */
	char fail[256];		 /* first failure, "" if none */
	json_t *last;		 /* last request read */
	json_int_t sync, prev;	 /* ids of the last two syncs */
	int syncs;		 /* syncs received */
	int requests;		 /* requests received */
	pthread_t thread;
};

static void peer_fail(struct peer *p, const char *fmt, ...)
{
	va_list ap;

	if (p->fail[0] != '\0')
		return;
	va_start(ap, fmt);
	vsnprintf(p->fail, sizeof(p->fail), fmt, ap);
	va_end(ap);
}

static void msleep(int ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000};

	nanosleep(&ts, NULL);
}

/* Reads one '\n'-terminated request within `ms`; a sync must come right
 * after a 0xFF byte. Returns NULL on EOF or timeout. */
static json_t *peer_read(struct peer *p, int ms)
{
	char line[4096];
	size_t n = 0;
	bool ff = false;
	int64_t deadline = qmp_now_ms() + ms;

	while (n < sizeof(line) - 1) {
		char c;
		ssize_t r = recv(p->fd, &c, 1, MSG_DONTWAIT);

		if (r == 1) {
			if (c == '\n')
				break;
			if ((unsigned char)c == 0xFF && n == 0) {
				ff = true;
				continue;
			}
			line[n++] = c;
			continue;
		}
		if (r == 0 || qmp_now_ms() > deadline)
			return NULL;
		msleep(1);
	}
	line[n] = '\0';

	json_t *req = json_loads(line, 0, NULL);
	const char *cmd = json_string_value(json_object_get(req, "execute"));

	if (req == NULL)
		peer_fail(p, "unparsable request '%s'", line);
	p->requests++;
	if (cmd != NULL && strcmp(cmd, "guest-sync-delimited") == 0) {
		if (!ff)
			peer_fail(p, "sync without a 0xFF before it");
		p->prev = p->sync;
		p->sync =
		    json_integer_value(json_object_get(json_object_get(req, "arguments"), "id"));
		p->syncs++;
	}
	json_decref(p->last);
	p->last = req;
	return req;
}

static char *peer_expand(struct peer *p, const char *text)
{
	char *id = p->last ? json_dumps(json_object_get(p->last, "id"), JSON_ENCODE_ANY) : NULL;
	char *out = malloc(strlen(text) * 4 + 256), *o = out;

	for (const char *s = text; *s; s++) {
		if (strncmp(s, "$ID", 3) == 0) {
			o += sprintf(o, "%s", id ? id : "null");
			s += 2;
		} else if (strncmp(s, "$SYNC", 5) == 0) {
			o += sprintf(o, "%" JSON_INTEGER_FORMAT, p->sync);
			s += 4;
		} else if (strncmp(s, "$PREV", 5) == 0) {
			o += sprintf(o, "%" JSON_INTEGER_FORMAT, p->prev);
			s += 4;
		} else {
			*o++ = *s;
		}
	}
	*o = '\0';
	free(id);
	return out;
}

static void peer_send(struct peer *p, const char *text)
{
	char *t = peer_expand(p, text);
	size_t len = strlen(t);

	if (send(p->fd, t, len, MSG_NOSIGNAL) != (ssize_t)len)
		peer_fail(p, "send failed");
	free(t);
}

static void *peer_main(void *arg)
{
	struct peer *p = arg;

	if (p->listen_path != NULL) {
		struct sockaddr_un sa = {.sun_family = AF_UNIX};
		int lfd = socket(AF_UNIX, SOCK_STREAM, 0);

		snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", p->listen_path);
		if (bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(lfd, 1) < 0) {
			peer_fail(p, "listen: %s", strerror(errno));
			close(lfd);
			return NULL;
		}
		p->fd = accept(lfd, NULL, NULL);
		close(lfd);
		unlink(p->listen_path);
	}
	for (const struct step *st = p->steps; st->op != P_END; st++) {
		switch (st->op) {
		case P_EXPECT: {
			json_t *req = peer_read(p, 5000);
			const char *cmd = json_string_value(json_object_get(req, "execute"));

			if (req == NULL) {
				peer_fail(p, "expected %s, got nothing", st->text);
				goto out;
			}
			if (cmd == NULL || strcmp(cmd, st->text) != 0)
				peer_fail(p, "expected %s, got %s", st->text, cmd ? cmd : "?");
			if (st->args != NULL) {
				json_t *want = json_loads(st->args, 0, NULL);

				if (!json_equal(want, json_object_get(req, "arguments")))
					peer_fail(p, "%s: unexpected arguments", st->text);
				json_decref(want);
			}
			break;
		}
		case P_SEND:
			peer_send(p, st->text);
			break;
		case P_SLEEP:
			msleep(st->ms);
			break;
		case P_ANSWER: {
			int64_t until = qmp_now_ms() + st->ms;

			while (qmp_now_ms() < until) {
				int left = (int)(until - qmp_now_ms());

				if (peer_read(p, left > 0 ? left : 1) != NULL && st->text != NULL)
					peer_send(p, st->text);
			}
			break;
		}
		case P_END:
			break;
		}
	}
out:
	close(p->fd);
	p->fd = -1;
	return NULL;
}

static int peer_start(struct peer *p, const struct step *steps)
{
	int sv[2];

	memset(p, 0, sizeof(*p));
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	p->fd = sv[1];
	p->steps = steps;
	assert_int_equal(pthread_create(&p->thread, NULL, peer_main, p), 0);
	return sv[0];
}

static void peer_join(struct peer *p)
{
	pthread_join(p->thread, NULL);
	json_decref(p->last);
	p->last = NULL;
	if (p->fail[0] != '\0')
		fail_msg("peer: %s", p->fail);
}

/* clang-format off */
#define SYNC_OK {P_EXPECT, "guest-sync-delimited"}, {P_SEND, "\xff{\"return\": $SYNC}\n"}
/* clang-format on */

static struct qga *open_peer(struct peer *p, const struct step *steps, int timeout_ms)
{
	struct qga *g = NULL;

	assert_int_equal(qga_open_fd(peer_start(p, steps), timeout_ms, &g), 0);
	assert_non_null(g);
	return g;
}

/* ---- sync ---- */

static void test_sync_skips_stale_bytes(void **state)
{
	static const struct step steps[] = {
	    {P_EXPECT, "guest-sync-delimited"},
	    /* Leftovers of an earlier session: half a reply, a whole one,
	     * garbage; then the delimiter and our reply. */
	    {P_SEND, "\"exited\": true}}\n{\"return\": {}}\n\x01garbage{{\xff"
		     "{\"return\": $SYNC}\n"},
	    {P_EXPECT, "guest-ping"},
	    {P_SEND, "{\"return\": {}, \"id\": $ID}\n"},
	    {P_END},
	};
	struct peer p;
	struct qga *g = open_peer(&p, steps, 2000);

	assert_int_equal(qga_ping(g), 0);
	assert_string_equal(qga_error(g), "");
	qga_close(g);
	peer_join(&p);
	assert_int_equal(p.syncs, 1);
}

static void test_sync_ignores_older_sync_replies(void **state)
{
	static const struct step steps[] = {
	    /* The agent is not up: the first sync gets no answer. */
	    {P_EXPECT, "guest-sync-delimited"},
	    {P_EXPECT, "guest-sync-delimited"},
	    /* Now it answers both, in order: only the newest counts. */
	    {P_SEND, "\xff{\"return\": $PREV}\n"},
	    {P_SLEEP, NULL, NULL, 20},
	    {P_SEND, "\xff{\"return\": $SYNC}\n"},
	    {P_EXPECT, "guest-ping"},
	    {P_SEND, "{\"return\": {}, \"id\": $ID}\n"},
	    {P_END},
	};
	struct peer p;
	struct qga *g = open_peer(&p, steps, 3000);
	int64_t t0 = qmp_now_ms();

	assert_int_equal(qga_sync(g, 3000), 0);
	assert_true(qmp_now_ms() - t0 >= QGA_SYNC_RESEND_MIN - 10);
	assert_int_equal(qga_ping(g), 0);
	qga_close(g);
	peer_join(&p);
	assert_true(p.prev != p.sync);
}

static void test_sync_resends_until_deadline(void **state)
{
	static const struct step steps[] = {
	    {P_ANSWER, NULL, NULL, 1500}, /* reads, never answers */
	    {P_END},
	};
	struct peer p;
	struct qga *g = open_peer(&p, steps, 1000);
	int64_t t0 = qmp_now_ms();

	assert_int_equal(qga_sync(g, 1000), -ETIMEDOUT);
	assert_true(qmp_now_ms() - t0 >= 990);
	assert_true(qmp_now_ms() - t0 < 1500);
	assert_non_null(strstr(qga_error(g), "guest-sync-delimited"));
	qga_close(g);
	peer_join(&p);
	/* Sent at 0, 250, 750 ms. */
	assert_true(p.syncs >= 3);
}

static void test_timeout_then_resync(void **state)
{
	static const struct step steps[] = {
	    SYNC_OK,
	    {P_EXPECT, "guest-ping"},
	    {P_SLEEP, NULL, NULL, 300},
	    /* The late reply, then half a message: all stale now. */
	    {P_SEND, "{\"return\": {}, \"id\": $ID}\n{\"return\": {\"pi"},
	    SYNC_OK,
	    {P_EXPECT, "guest-info"},
	    {P_SEND, "{\"return\": {\"version\": \"7.2.0\", \"supported_commands\": []},"
		     " \"id\": $ID}\n"},
	    {P_END},
	};
	struct peer p;
	struct qga *g = open_peer(&p, steps, 150);
	json_t *rv = NULL;

	assert_int_equal(qga_ping(g), -ETIMEDOUT);
	msleep(250);
	assert_int_equal(qga_execute(g, "guest-info", NULL, &rv), 0);
	assert_string_equal(json_string_value(json_object_get(rv, "version")), "7.2.0");
	json_decref(rv);
	qga_close(g);
	peer_join(&p);
	assert_int_equal(p.syncs, 2);
}

static void test_error_reply(void **state)
{
	static const struct step steps[] = {
	    SYNC_OK,
	    {P_EXPECT, "guest-shutdown", "{\"mode\": \"halt\"}"},
	    {P_SEND, "{\"error\": {\"class\": \"GenericError\", \"desc\": \"not allowed\"},"
		     " \"id\": $ID}\n"},
	    {P_EXPECT, "guest-frobnicate"},
	    {P_SEND, "{\"error\": {\"class\": \"CommandNotFound\", \"desc\": \"The command "
		     "guest-frobnicate has not been found\"}, \"id\": $ID}\n"},
	    {P_EXPECT, "guest-ping"},
	    {P_SEND, "{\"return\": {}, \"id\": $ID}\n"},
	    {P_END},
	};
	struct peer p;
	struct qga *g = open_peer(&p, steps, 2000);

	assert_int_equal(qga_execute(g, "guest-shutdown", json_pack("{s:s}", "mode", "halt"), NULL),
			 -EREMOTEIO);
	assert_string_equal(qga_error(g), "guest-shutdown: not allowed");
	assert_int_equal(qga_execute(g, "guest-frobnicate", NULL, NULL), -EOPNOTSUPP);
	/* An error reply leaves the channel in sync: no new sync. */
	assert_int_equal(qga_ping(g), 0);
	qga_close(g);
	peer_join(&p);
	assert_int_equal(p.syncs, 1);
}

static void test_peer_closes_mid_message(void **state)
{
	static const struct step steps[] = {
	    SYNC_OK,
	    {P_EXPECT, "guest-ping"},
	    {P_SEND, "{\"return\": {"},
	    {P_END},
	};
	struct peer p;
	struct qga *g = open_peer(&p, steps, 5000);
	int64_t t0 = qmp_now_ms();

	assert_int_equal(qga_ping(g), -ECONNRESET);
	assert_true(qmp_now_ms() - t0 < 2000);
	assert_non_null(strstr(qga_error(g), "closed"));
	qga_close(g);
	qga_close(NULL);
	peer_join(&p);
}

static void test_peer_closes_during_sync(void **state)
{
	static const struct step steps[] = {
	    {P_EXPECT, "guest-sync-delimited"},
	    {P_SEND, "junk"},
	    {P_END},
	};
	struct peer p;
	struct qga *g = open_peer(&p, steps, 5000);

	assert_int_equal(qga_sync(g, 5000), -ECONNRESET);
	qga_close(g);
	peer_join(&p);
}

/* ---- guest-exec ---- */

static void test_exec_polls_until_exited(void **state)
{
	static const struct step steps[] = {
	    SYNC_OK,
	    {P_EXPECT, "guest-exec",
	     "{\"path\": \"/bin/sh\", \"arg\": [\"-c\", \"cat; echo err >&2\"], "
	     "\"capture-output\": true, \"input-data\": \"aGVsbG8K\"}"},
	    {P_SEND, "{\"return\": {\"pid\": 812}, \"id\": $ID}\n"},
	    {P_EXPECT, "guest-exec-status", "{\"pid\": 812}"},
	    {P_SEND, "{\"return\": {\"exited\": false}, \"id\": $ID}\n"},
	    {P_EXPECT, "guest-exec-status", "{\"pid\": 812}"},
	    {P_SEND, "{\"return\": {\"exited\": false}, \"id\": $ID}\n"},
	    {P_EXPECT, "guest-exec-status", "{\"pid\": 812}"},
	    {P_SEND, "{\"return\": {\"exitcode\": 0, \"out-data\": \"aGVsbG8K\", "
		     "\"err-data\": \"ZXJyCg==\", \"exited\": true}, \"id\": $ID}\n"},
	    {P_END},
	};
	static const char *const argv[] = {"/bin/sh", "-c", "cat; echo err >&2", NULL};
	struct peer p;
	struct qga *g = open_peer(&p, steps, 2000);
	struct qga_exec_result r;

	assert_int_equal(qga_exec(g, argv, "hello\n", 2000, &r), 0);
	assert_int_equal(r.exitcode, 0);
	assert_int_equal(r.signal, 0);
	assert_int_equal(r.out_len, 6);
	assert_string_equal(r.out, "hello\n");
	assert_int_equal(r.err_len, 4);
	assert_string_equal(r.err, "err\n");
	assert_false(r.out_truncated);
	assert_false(r.err_truncated);
	qga_exec_result_free(&r);
	assert_null(r.out);
	qga_exec_result_free(NULL);
	qga_close(g);
	peer_join(&p);
}

static void test_exec_nonzero_exit_and_signal(void **state)
{
	static const struct step steps[] = {
	    SYNC_OK,
	    {P_EXPECT, "guest-exec",
	     "{\"path\": \"/bin/false\", \"arg\": [], "
	     "\"capture-output\": true}"},
	    {P_SEND, "{\"return\": {\"pid\": 5}, \"id\": $ID}\n"},
	    {P_EXPECT, "guest-exec-status"},
	    {P_SEND, "{\"return\": {\"exitcode\": 1, \"exited\": true}, \"id\": $ID}\n"},
	    {P_EXPECT, "guest-exec"},
	    {P_SEND, "{\"return\": {\"pid\": 6}, \"id\": $ID}\n"},
	    {P_EXPECT, "guest-exec-status"},
	    /* Killed by SIGKILL; the agent cut its stdout. Binary data too. */
	    {P_SEND, "{\"return\": {\"signal\": 9, \"exited\": true, \"out-data\": \"AP8A\", "
		     "\"out-truncated\": true}, \"id\": $ID}\n"},
	    {P_END},
	};
	static const char *const fls[] = {"/bin/false", NULL};
	static const char *const sleeper[] = {"/bin/sleep", "100", NULL};
	struct peer p;
	struct qga *g = open_peer(&p, steps, 2000);
	struct qga_exec_result r;

	assert_int_equal(qga_exec(g, fls, NULL, 2000, &r), 0);
	assert_int_equal(r.exitcode, 1);
	assert_int_equal(r.signal, 0);
	assert_int_equal(r.out_len, 0);
	assert_string_equal(r.out, "");
	assert_string_equal(r.err, "");
	qga_exec_result_free(&r);

	assert_int_equal(qga_exec(g, sleeper, NULL, 2000, &r), 0);
	assert_int_equal(r.signal, 9);
	assert_int_equal(r.out_len, 3);
	assert_memory_equal(r.out, "\0\xff\0", 3);
	assert_true(r.out_truncated);
	assert_false(r.err_truncated);
	qga_exec_result_free(&r);
	qga_close(g);
	peer_join(&p);
}

static void test_exec_refused(void **state)
{
	static const struct step steps[] = {
	    SYNC_OK,
	    {P_EXPECT, "guest-exec"},
	    {P_SEND, "{\"error\": {\"class\": \"GenericError\", \"desc\": \"Guest agent command "
		     "failed, error was 'Failed to execute child process \\u201c/nope\\u201d "
		     "(No such file or directory)'\"}, \"id\": $ID}\n"},
	    {P_END},
	};
	static const char *const argv[] = {"/nope", NULL};
	static const char *const empty[] = {NULL};
	struct peer p;
	struct qga *g = open_peer(&p, steps, 2000);
	struct qga_exec_result r;

	assert_int_equal(qga_exec(g, argv, NULL, 2000, &r), -EREMOTEIO);
	assert_non_null(strstr(qga_error(g), "No such file"));
	assert_null(r.out);
	assert_int_equal(qga_exec(g, empty, NULL, 2000, &r), -EINVAL);
	qga_close(g);
	peer_join(&p);
}

static void test_exec_timeout(void **state)
{
	static const struct step steps[] = {
	    SYNC_OK,
	    {P_EXPECT, "guest-exec"},
	    {P_SEND, "{\"return\": {\"pid\": 77}, \"id\": $ID}\n"},
	    {P_ANSWER, "{\"return\": {\"exited\": false}, \"id\": $ID}\n", NULL, 600},
	    {P_END},
	};
	static const char *const argv[] = {"/bin/sleep", "100", NULL};
	struct peer p;
	struct qga *g = open_peer(&p, steps, 2000);
	struct qga_exec_result r;
	int64_t t0 = qmp_now_ms();

	assert_int_equal(qga_exec(g, argv, NULL, 300, &r), -ETIMEDOUT);
	assert_true(qmp_now_ms() - t0 >= 290);
	assert_true(qmp_now_ms() - t0 < 1000);
	assert_non_null(strstr(qga_error(g), "still running"));
	qga_close(g);
	peer_join(&p);
	assert_true(p.requests >= 5); /* sync, exec, and several polls */
}

static void test_exec_bad_base64(void **state)
{
	static const struct step steps[] = {
	    SYNC_OK,
	    {P_EXPECT, "guest-exec"},
	    {P_SEND, "{\"return\": {\"pid\": 1}, \"id\": $ID}\n"},
	    {P_EXPECT, "guest-exec-status"},
	    {P_SEND, "{\"return\": {\"exitcode\": 0, \"exited\": true, \"out-data\": \"a$b=\"},"
		     " \"id\": $ID}\n"},
	    {P_END},
	};
	static const char *const argv[] = {"/bin/true", NULL};
	struct peer p;
	struct qga *g = open_peer(&p, steps, 2000);
	struct qga_exec_result r;

	assert_int_equal(qga_exec(g, argv, NULL, 2000, &r), -EPROTO);
	assert_null(r.out);
	qga_close(g);
	peer_join(&p);
}

/* ---- readiness ---- */

static void test_wait_ready(void **state)
{
	static const struct step ready[] = {
	    SYNC_OK,
	    {P_EXPECT, "guest-ping"},
	    {P_SEND, "{\"return\": {}, \"id\": $ID}\n"},
	    {P_END},
	};
	static const struct step silent[] = {{P_ANSWER, NULL, NULL, 800}, {P_END}};
	char dir[] = "/tmp/vlab-qga-test-XXXXXX", path[128];
	struct peer p;
	int64_t t0;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/qga.sock", dir);

	/* No socket at all. */
	t0 = qmp_now_ms();
	assert_int_equal(qga_wait_ready(path, 200), -ETIMEDOUT);
	assert_true(qmp_now_ms() - t0 < 1000);

	/* QEMU listens, the agent answers. */
	memset(&p, 0, sizeof(p));
	p.steps = ready;
	p.listen_path = path;
	assert_int_equal(pthread_create(&p.thread, NULL, peer_main, &p), 0);
	assert_int_equal(qga_wait_ready(path, 3000), 0);
	peer_join(&p);

	/* QEMU listens, the agent is not up: connect works, nothing answers. */
	memset(&p, 0, sizeof(p));
	p.steps = silent;
	p.listen_path = path;
	assert_int_equal(pthread_create(&p.thread, NULL, peer_main, &p), 0);
	t0 = qmp_now_ms();
	assert_int_equal(qga_wait_ready(path, 500), -ETIMEDOUT);
	assert_true(qmp_now_ms() - t0 < 1500);
	peer_join(&p);
	assert_true(p.syncs >= 2);
	rmdir(dir);
}

/* ---- base64 ---- */

static void test_base64_rfc4648_vectors(void **state)
{
	static const struct {
		const char *plain, *b64;
	} v[] = {
	    {"", ""},
	    {"f", "Zg=="},
	    {"fo", "Zm8="},
	    {"foo", "Zm9v"},
	    {"foob", "Zm9vYg=="},
	    {"fooba", "Zm9vYmE="},
	    {"foobar", "Zm9vYmFy"},
	};
	char buf[16];
	size_t n;

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		char *e = qga_base64_encode(v[i].plain, strlen(v[i].plain));

		assert_string_equal(e, v[i].b64);
		free(e);
		assert_int_equal(qga_base64_decode(v[i].b64, strlen(v[i].b64), buf, &n), 0);
		assert_int_equal(n, strlen(v[i].plain));
		assert_memory_equal(buf, v[i].plain, n);
	}
}

static void test_base64_unpadded_and_binary(void **state)
{
	unsigned char all[256], back[sizeof(all) + 3];
	char buf[8];
	size_t n;

	assert_int_equal(qga_base64_decode("Zg", 2, buf, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(buf[0], 'f');
	assert_int_equal(qga_base64_decode("Zm8", 3, buf, &n), 0);
	assert_int_equal(n, 2);
	assert_memory_equal(buf, "fo", 2);
	/* "+" and "/" are the last two letters. */
	assert_int_equal(qga_base64_decode("+/+/", 4, buf, &n), 0);
	assert_int_equal(n, 3);
	assert_memory_equal(buf, "\xfb\xff\xbf", 3);

	for (int i = 0; i < 256; i++)
		all[i] = (unsigned char)i;
	for (size_t len = 0; len <= sizeof(all); len += 37) {
		char *e = qga_base64_encode(all, len);

		assert_non_null(e);
		assert_int_equal(strlen(e) % 4, 0);
		assert_true(qga_base64_decoded_max(strlen(e)) <= sizeof(back));
		assert_int_equal(qga_base64_decode(e, strlen(e), back, &n), 0);
		assert_int_equal(n, len);
		assert_memory_equal(back, all, len);
		free(e);
	}
}

static void test_base64_invalid(void **state)
{
	static const char *const bad[] = {
	    "Z",	  /* a lone character carries no byte */
	    "Zg=",	  /* padded but not a multiple of 4 */
	    "Zg===",	  /* three '=' */
	    "Z===",	  /* three '=' */
	    "====",	  /* only padding */
	    "Zm9v=",	  /* padding after a full group */
	    "Zm=v",	  /* '=' in the middle */
	    "Zm9vYg==Zg", /* data after padding */
	    "Zm9v!",	  /* outside the alphabet */
	    "Zm9v\n",	  /* whitespace */
	    "Zm-_",	  /* URL-safe alphabet */
	    "Zh==",	  /* unused bits not zero */
	    "Zm9=",	  /* unused bits not zero */
	};
	char buf[16];
	size_t n = 99;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (qga_base64_decode(bad[i], strlen(bad[i]), buf, &n) != -EINVAL)
			fail_msg("'%s' accepted", bad[i]);
		assert_int_equal(n, 0);
	}
	/* A NUL byte inside the given length is invalid too. */
	assert_int_equal(qga_base64_decode("Zm\0v", 4, buf, &n), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_sync_skips_stale_bytes),
	    cmocka_unit_test(test_sync_ignores_older_sync_replies),
	    cmocka_unit_test(test_sync_resends_until_deadline),
	    cmocka_unit_test(test_timeout_then_resync),
	    cmocka_unit_test(test_error_reply),
	    cmocka_unit_test(test_peer_closes_mid_message),
	    cmocka_unit_test(test_peer_closes_during_sync),
	    cmocka_unit_test(test_exec_polls_until_exited),
	    cmocka_unit_test(test_exec_nonzero_exit_and_signal),
	    cmocka_unit_test(test_exec_refused),
	    cmocka_unit_test(test_exec_timeout),
	    cmocka_unit_test(test_exec_bad_base64),
	    cmocka_unit_test(test_wait_ready),
	    cmocka_unit_test(test_base64_rfc4648_vectors),
	    cmocka_unit_test(test_base64_unpadded_and_binary),
	    cmocka_unit_test(test_base64_invalid),
	};

	alarm(120); /* a hang is a failure, not a stuck CI job */
	return cmocka_run_group_tests(tests, NULL, NULL);
}
