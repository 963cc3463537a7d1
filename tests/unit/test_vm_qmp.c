/* Unit tests of the QMP client (vmhost/qmp.c) against a fake QEMU: a peer
 * thread on the other end of a socketpair (or of a Unix socket) plays a script
 * of expected commands and scripted replies, including split and merged writes,
 * events, errors, silence and hang-ups.
 *
 * Threads: cmocka runs every test on the main thread; each test starts one
 * peer thread and joins it. The peer never calls cmocka: it records its first
 * failure, which the main thread checks. */
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

#include "qmp.h"

/* ---- fake peer ---- */

enum peer_op {
	P_END,	  /* end of script: close the socket */
	P_EXPECT, /* read one request, check "execute" (and "arguments" if set) */
	P_SEND,	  /* write text in one write ($ID = id of the last request) */
	P_BYTES,  /* write text one byte per write */
	P_SLEEP,  /* sleep ms */
};

struct step {
	enum peer_op op;
	const char *text; /* command name, or text to send */
	const char *args; /* P_EXPECT: expected "arguments" as JSON, or NULL */
	int ms;		  /* P_SLEEP */
};

struct peer {
	int fd;
	const struct step *steps;
	const char *listen_path; /* accept on this Unix socket first (fd unused) */
	int listen_delay_ms;	 /* create the listener only after this delay */
	char fail[256];		 /* first failure, "" if none */
	json_t *last;		 /* last request read */
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

/* Reads one '\n'-terminated request (5 s at most). */
static json_t *peer_read(struct peer *p)
{
	char line[4096];
	size_t n = 0;
	int64_t deadline = qmp_now_ms() + 5000;

	while (n < sizeof(line) - 1) {
		char c;
		ssize_t r = recv(p->fd, &c, 1, MSG_DONTWAIT);

		if (r == 1) {
			if (c == '\n')
				break;
			line[n++] = c;
			continue;
		}
		if (r == 0 || qmp_now_ms() > deadline)
			return NULL;
		msleep(1);
	}
	line[n] = '\0';
	return json_loads(line, 0, NULL);
}

/* Copies `text` with $ID replaced by the last request's id. */
static char *peer_expand(struct peer *p, const char *text)
{
	char *id = p->last ? json_dumps(json_object_get(p->last, "id"), JSON_ENCODE_ANY) : NULL;
	size_t cap = strlen(text) * 2 + 64 + (id ? strlen(id) * 8 : 0);
	char *out = malloc(cap), *o = out;

	for (const char *s = text; *s; s++) {
		if (strncmp(s, "$ID", 3) == 0 && id != NULL) {
			o += sprintf(o, "%s", id);
			s += 2;
		} else {
			*o++ = *s;
		}
	}
	*o = '\0';
	free(id);
	return out;
}

static void *peer_main(void *arg)
{
	struct peer *p = arg;

	if (p->listen_path != NULL) {
		struct sockaddr_un sa = {.sun_family = AF_UNIX};
		int lfd;

		msleep(p->listen_delay_ms);
		snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", p->listen_path);
		lfd = socket(AF_UNIX, SOCK_STREAM, 0);
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
			json_t *req = peer_read(p);
			const char *cmd = json_string_value(json_object_get(req, "execute"));

			if (req == NULL) {
				peer_fail(p, "expected %s, got nothing", st->text);
				goto out;
			}
			json_decref(p->last);
			p->last = req;
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
		case P_BYTES: {
			char *text = peer_expand(p, st->text);
			size_t len = strlen(text);

			if (st->op == P_SEND) {
				if (send(p->fd, text, len, MSG_NOSIGNAL) != (ssize_t)len)
					peer_fail(p, "send failed");
			} else {
				for (size_t i = 0; i < len; i++) {
					/* The client may be gone once it has the
					 * last '}': the "\r\n" after it can fail. */
					if (send(p->fd, text + i, 1, MSG_NOSIGNAL) != 1 &&
					    strspn(text + i, "\r\n") != len - i)
						peer_fail(p, "send failed");
					if (i % 16 == 0)
						msleep(1);
				}
			}
			free(text);
			break;
		}
		case P_SLEEP:
			msleep(st->ms);
			break;
		case P_END:
			break;
		}
	}
out:
	close(p->fd);
	p->fd = -1;
	return NULL;
}

/* Starts a peer on a socketpair; returns the client's end. */
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
	if (p->fail[0] != '\0')
		fail_msg("peer: %s", p->fail);
}

#define GREETING                                                                                   \
	"{\"QMP\": {\"version\": {\"qemu\": {\"micro\": 0, \"minor\": 2, \"major\": 7}, "          \
	"\"package\": \"Debian 1:7.2\"}, \"capabilities\": [\"oob\"]}}\r\n"
/* clang-format off */
#define CAPS_OK {P_EXPECT, "qmp_capabilities"}, {P_SEND, "{\"return\": {}, \"id\": $ID}\r\n"}
/* clang-format on */

/* ---- tests ---- */

static void test_greeting_and_command(void **state)
{
	static const struct step steps[] = {
	    {P_SEND, GREETING},
	    CAPS_OK,
	    {P_EXPECT, "query-status"},
	    {P_SEND, "{\"return\": {\"status\": \"paused\", \"singlestep\": false, "
		     "\"running\": false}, \"id\": $ID}\r\n"},
	    {P_EXPECT, "system_powerdown"},
	    {P_SEND, "{\"return\": {}, \"id\": $ID}\r\n"},
	    {P_END},
	};
	struct peer p;
	struct qmp *q;
	char err[256] = "", st[QMP_STATUS_MAX];
	bool running = true;

	assert_int_equal(qmp_open_fd(peer_start(&p, steps), 2000, &q, err, sizeof(err)), 0);
	const json_t *ver = json_object_get(json_object_get(qmp_greeting(q), "version"), "qemu");
	assert_int_equal(json_integer_value(json_object_get(ver, "major")), 7);
	assert_int_equal(qmp_query_status(q, st, sizeof(st), &running, err, sizeof(err)), 0);
	assert_string_equal(st, "paused");
	assert_false(running);
	assert_int_equal(qmp_system_powerdown(q, err, sizeof(err)), 0);
	qmp_close(q);
	peer_join(&p);
}

static void test_execute_return_and_args(void **state)
{
	static const struct step steps[] = {
	    {P_SEND, GREETING},
	    CAPS_OK,
	    {P_EXPECT, "human-monitor-command", "{\"command-line\": \"info version\"}"},
	    {P_SEND, "{\"return\": \"7.2.0\\r\\n\", \"id\": $ID}\n"},
	    {P_EXPECT, "set_link", "{\"name\": \"net0\", \"up\": false}"},
	    {P_SEND, "{\"return\": {}, \"id\": $ID}\n"},
	    {P_END},
	};
	struct peer p;
	struct qmp *q;
	char err[256] = "";
	json_t *rv = NULL;

	assert_int_equal(qmp_open_fd(peer_start(&p, steps), 2000, &q, err, sizeof(err)), 0);
	assert_int_equal(qmp_execute(q, "human-monitor-command",
				     json_pack("{s:s}", "command-line", "info version"), &rv, err,
				     sizeof(err)),
			 0);
	assert_string_equal(json_string_value(rv), "7.2.0\r\n");
	json_decref(rv);
	assert_int_equal(qmp_set_link(q, "net0", false, err, sizeof(err)), 0);
	qmp_close(q);
	peer_join(&p);
}

static void test_error_reply(void **state)
{
	static const struct step steps[] = {
	    {P_SEND, GREETING},
	    CAPS_OK,
	    {P_EXPECT, "set_link", "{\"name\": \"nope\", \"up\": true}"},
	    {P_SEND, "{\"id\": $ID, \"error\": {\"class\": \"DeviceNotFound\", "
		     "\"desc\": \"Device 'nope' not found\"}}\r\n"},
	    {P_EXPECT, "no-such-command"},
	    {P_SEND, "{\"id\": $ID, \"error\": {\"class\": \"CommandNotFound\", "
		     "\"desc\": \"The command no-such-command has not been found\"}}\r\n"},
	    {P_EXPECT, "cont"},
	    {P_SEND, "{\"id\": $ID, \"error\": {\"class\": \"GenericError\", "
		     "\"desc\": \"Resetting the Virtual Machine is required\"}}\r\n"},
	    {P_END},
	};
	struct peer p;
	struct qmp *q;
	char err[256] = "";
	json_t *rv = (json_t *)1;

	assert_int_equal(qmp_open_fd(peer_start(&p, steps), 2000, &q, err, sizeof(err)), 0);
	assert_int_equal(qmp_set_link(q, "nope", true, err, sizeof(err)), -ENODEV);
	assert_string_equal(err, "Device 'nope' not found");
	assert_int_equal(qmp_execute(q, "no-such-command", NULL, &rv, err, sizeof(err)),
			 -EOPNOTSUPP);
	assert_null(rv);
	assert_non_null(strstr(err, "has not been found"));
	assert_int_equal(qmp_execute(q, "cont", NULL, NULL, err, sizeof(err)), -EIO);
	assert_string_equal(err, "Resetting the Virtual Machine is required");
	qmp_close(q);
	peer_join(&p);
}

static void test_events_before_reply(void **state)
{
	static const struct step steps[] = {
	    {P_SEND, GREETING},
	    /* An event may even come before the capabilities reply. */
	    {P_EXPECT, "qmp_capabilities"},
	    {P_SEND, "{\"timestamp\": {\"seconds\": 1, \"microseconds\": 2}, "
		     "\"event\": \"RESUME\"}\r\n{\"return\": {}, \"id\": $ID}\r\n"},
	    {P_EXPECT, "query-status"},
	    {P_SEND, "{\"timestamp\": {\"seconds\": 3, \"microseconds\": 4}, "
		     "\"event\": \"POWERDOWN\"}\r\n"},
	    {P_SLEEP, NULL, NULL, 20},
	    /* A late reply to some other command: dropped. */
	    {P_SEND, "{\"return\": {\"status\": \"wrong\", \"running\": true}, "
		     "\"id\": \"vlab-999\"}\r\n"},
	    {P_SEND, "{\"timestamp\": {\"seconds\": 5, \"microseconds\": 6}, "
		     "\"event\": \"SHUTDOWN\", \"data\": {\"guest\": true, "
		     "\"reason\": \"guest-shutdown\"}}\r\n"},
	    {P_SEND, "{\"return\": {\"status\": \"shutdown\", \"running\": false}, "
		     "\"id\": $ID}\r\n"},
	    {P_END},
	};
	struct peer p;
	struct qmp *q;
	char err[256] = "", st[QMP_STATUS_MAX];

	assert_int_equal(qmp_open_fd(peer_start(&p, steps), 2000, &q, err, sizeof(err)), 0);
	assert_non_null(qmp_last_event(q, "RESUME"));
	assert_false(qmp_shutdown_seen(q));
	assert_int_equal(qmp_query_status(q, st, sizeof(st), NULL, err, sizeof(err)), 0);
	assert_string_equal(st, "shutdown");
	assert_true(qmp_shutdown_seen(q));
	const json_t *ev = qmp_last_event(q, "SHUTDOWN");
	assert_non_null(ev);
	assert_string_equal(
	    json_string_value(json_object_get(json_object_get(ev, "data"), "reason")),
	    "guest-shutdown");
	assert_non_null(qmp_last_event(q, "POWERDOWN"));
	assert_null(qmp_last_event(q, "STOP"));
	/* Remembered: returns at once, then forgets it. */
	assert_int_equal(qmp_wait_event(q, "SHUTDOWN", 0, err, sizeof(err)), 0);
	assert_null(qmp_last_event(q, "SHUTDOWN"));
	assert_true(qmp_shutdown_seen(q));
	qmp_close(q);
	peer_join(&p);
}

static void test_split_into_single_bytes(void **state)
{
	static const struct step steps[] = {
	    {P_BYTES, GREETING},
	    {P_EXPECT, "qmp_capabilities"},
	    {P_BYTES, "{\"return\": {}, \"id\": $ID}\r\n"},
	    {P_EXPECT, "query-status"},
	    {P_BYTES, "{\"event\": \"STOP\", \"timestamp\": {\"seconds\": 1, "
		      "\"microseconds\": 0}}\r\n{\"return\": {\"status\": \"paused\", "
		      "\"running\": false}, \"id\": $ID}\r\n"},
	    {P_END},
	};
	struct peer p;
	struct qmp *q;
	char err[256] = "", st[QMP_STATUS_MAX];

	assert_int_equal(qmp_open_fd(peer_start(&p, steps), 5000, &q, err, sizeof(err)), 0);
	assert_int_equal(qmp_query_status(q, st, sizeof(st), NULL, err, sizeof(err)), 0);
	assert_string_equal(st, "paused");
	assert_non_null(qmp_last_event(q, "STOP"));
	qmp_close(q);
	peer_join(&p);
}

static void test_several_messages_in_one_write(void **state)
{
	static const struct step steps[] = {
	    {P_SEND, GREETING},
	    CAPS_OK,
	    {P_EXPECT, "query-status"},
	    /* Braces and quotes inside strings, a pretty-printed message,
	     * no separator at all, and an event after the reply. */
	    {P_SEND, "{\"event\": \"X}{\\\"\", \"data\": {\"s\": \"[{\\\\\"}}"
		     "{\n  \"event\": \"STOP\"\n}\n"
		     "{\"return\": {\"status\": \"running\", \"running\": true}, "
		     "\"id\": $ID}{\"event\": \"RESUME\"}\r\n"},
	    {P_SLEEP, NULL, NULL, 100},
	    {P_END},
	};
	struct peer p;
	struct qmp *q;
	char err[256] = "", st[QMP_STATUS_MAX];
	bool running = false;

	assert_int_equal(qmp_open_fd(peer_start(&p, steps), 2000, &q, err, sizeof(err)), 0);
	assert_int_equal(qmp_query_status(q, st, sizeof(st), &running, err, sizeof(err)), 0);
	assert_string_equal(st, "running");
	assert_true(running);
	assert_non_null(qmp_last_event(q, "X}{\""));
	assert_non_null(qmp_last_event(q, "STOP"));
	/* RESUME came in the same read: already buffered, no wait needed. */
	assert_null(qmp_last_event(q, "RESUME"));
	assert_int_equal(qmp_wait_event(q, "RESUME", 50, err, sizeof(err)), 0);
	qmp_close(q);
	peer_join(&p);
}

static void test_peer_closes_mid_message(void **state)
{
	static const struct step steps[] = {
	    {P_SEND, GREETING},
	    CAPS_OK,
	    {P_EXPECT, "query-status"},
	    {P_SEND, "{\"return\": {\"status\": \"runn"},
	    {P_END},
	};
	struct peer p;
	struct qmp *q;
	char err[256] = "";
	int64_t t0;

	assert_int_equal(qmp_open_fd(peer_start(&p, steps), 5000, &q, err, sizeof(err)), 0);
	t0 = qmp_now_ms();
	assert_int_equal(qmp_query_status(q, NULL, 0, NULL, err, sizeof(err)), -ECONNRESET);
	assert_true(qmp_now_ms() - t0 < 2000);
	assert_non_null(strstr(err, "closed"));
	/* Later commands fail at once too. */
	assert_true(qmp_execute(q, "cont", NULL, NULL, err, sizeof(err)) < 0);
	qmp_close(q);
	peer_join(&p);
}

static void test_timeout_then_late_reply(void **state)
{
	static const struct step steps[] = {
	    {P_SEND, GREETING},
	    CAPS_OK,
	    {P_EXPECT, "query-status"},
	    {P_SLEEP, NULL, NULL, 300},
	    {P_SEND, "{\"return\": {\"status\": \"late\", \"running\": true}, \"id\": $ID}\r\n"},
	    {P_EXPECT, "query-status"},
	    {P_SEND, "{\"return\": {\"status\": \"running\", \"running\": true}, \"id\": $ID}\r\n"},
	    {P_END},
	};
	struct peer p;
	struct qmp *q;
	char err[256] = "", st[QMP_STATUS_MAX];
	int64_t t0;

	assert_int_equal(qmp_open_fd(peer_start(&p, steps), 100, &q, err, sizeof(err)), 0);
	t0 = qmp_now_ms();
	assert_int_equal(qmp_query_status(q, st, sizeof(st), NULL, err, sizeof(err)), -ETIMEDOUT);
	assert_true(qmp_now_ms() - t0 >= 90);
	assert_true(qmp_now_ms() - t0 < 1000);
	msleep(300); /* the late reply is now in the socket */
	assert_int_equal(qmp_query_status(q, st, sizeof(st), NULL, err, sizeof(err)), 0);
	assert_string_equal(st, "running");
	qmp_close(q);
	peer_join(&p);
}

static void test_no_greeting(void **state)
{
	static const struct step silent[] = {{P_SLEEP, NULL, NULL, 300}, {P_END}};
	static const struct step garbage[] = {{P_SEND, "Welcome!\n"}, {P_END}};
	static const struct step not_qmp[] = {{P_SEND, "{\"hello\": 1}\n"}, {P_END}};
	struct peer p;
	struct qmp *q = (struct qmp *)1;
	char err[256] = "";

	assert_int_equal(qmp_open_fd(peer_start(&p, silent), 100, &q, err, sizeof(err)),
			 -ETIMEDOUT);
	assert_null(q);
	peer_join(&p);
	assert_int_equal(qmp_open_fd(peer_start(&p, garbage), 1000, &q, err, sizeof(err)), -EPROTO);
	peer_join(&p);
	assert_int_equal(qmp_open_fd(peer_start(&p, not_qmp), 1000, &q, err, sizeof(err)), -EPROTO);
	peer_join(&p);
	qmp_close(NULL);
}

static void test_quit_with_hangup(void **state)
{
	static const struct step steps[] = {
	    {P_SEND, GREETING}, CAPS_OK, {P_EXPECT, "quit"}, {P_END}, /* exits without replying */
	};
	struct peer p;
	struct qmp *q;
	char err[256] = "";

	assert_int_equal(qmp_open_fd(peer_start(&p, steps), 2000, &q, err, sizeof(err)), 0);
	assert_int_equal(qmp_quit(q, err, sizeof(err)), 0);
	qmp_close(q);
	peer_join(&p);
}

static void test_wait_event(void **state)
{
	static const struct step steps[] = {
	    {P_SEND, GREETING},
	    CAPS_OK,
	    {P_SLEEP, NULL, NULL, 50},
	    {P_SEND, "{\"event\": \"POWERDOWN\"}\r\n"},
	    {P_SLEEP, NULL, NULL, 50},
	    {P_SEND, "{\"event\": \"SHUTDOWN\", \"data\": {\"guest\": true}}\r\n"},
	    {P_END},
	};
	struct peer p;
	struct qmp *q;
	char err[256] = "";

	assert_int_equal(qmp_open_fd(peer_start(&p, steps), 2000, &q, err, sizeof(err)), 0);
	assert_int_equal(qmp_wait_event(q, "STOP", 20, err, sizeof(err)), -ETIMEDOUT);
	assert_int_equal(qmp_wait_event(q, "SHUTDOWN", 2000, err, sizeof(err)), 0);
	assert_true(qmp_shutdown_seen(q));
	assert_non_null(qmp_last_event(q, "POWERDOWN"));
	/* The peer is gone now. */
	assert_int_equal(qmp_wait_event(q, "STOP", 2000, err, sizeof(err)), -ECONNRESET);
	qmp_close(q);
	peer_join(&p);
}

static void test_event_ring_keeps_newest(void **state)
{
	static char burst[QMP_EVENTS_KEPT * 2 * 40 + 1];
	static struct step steps[] = {
	    {P_SEND, GREETING},
	    CAPS_OK,
	    {P_SEND, burst},
	    {P_END},
	};
	struct peer p;
	struct qmp *q;
	char err[256] = "";
	size_t n = 0;

	for (int i = 0; i < QMP_EVENTS_KEPT * 2; i++)
		n += (size_t)sprintf(burst + n, "{\"event\": \"E%d\"}\n", i);
	assert_int_equal(qmp_open_fd(peer_start(&p, steps), 2000, &q, err, sizeof(err)), 0);
	assert_int_equal(qmp_wait_event(q, "E31", 2000, err, sizeof(err)), 0);
	assert_null(qmp_last_event(q, "E0"));
	assert_null(qmp_last_event(q, "E15"));
	assert_non_null(qmp_last_event(q, "E16"));
	assert_non_null(qmp_last_event(q, "E30"));
	qmp_close(q);
	peer_join(&p);
}

static void test_connect_retries_until_socket_exists(void **state)
{
	static const struct step steps[] = {
	    {P_SEND, GREETING},
	    CAPS_OK,
	    {P_END},
	};
	char dir[] = "/tmp/vlab-qmp-test-XXXXXX", path[128];
	struct peer p;
	struct qmp *q;
	char err[256] = "";
	int64_t t0;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/qmp.sock", dir);

	/* Nobody there: gives up at the deadline. */
	t0 = qmp_now_ms();
	assert_int_equal(qmp_connect(path, 150, &q, err, sizeof(err)), -ETIMEDOUT);
	assert_null(q);
	assert_true(qmp_now_ms() - t0 >= 140);
	assert_true(qmp_now_ms() - t0 < 1000);

	/* The socket appears 200 ms later. */
	memset(&p, 0, sizeof(p));
	p.steps = steps;
	p.listen_path = path;
	p.listen_delay_ms = 200;
	assert_int_equal(pthread_create(&p.thread, NULL, peer_main, &p), 0);
	assert_int_equal(qmp_connect(path, 3000, &q, err, sizeof(err)), 0);
	qmp_close(q);
	peer_join(&p);

	char longpath[200];
	memset(longpath, 'a', sizeof(longpath) - 1);
	longpath[sizeof(longpath) - 1] = '\0';
	assert_int_equal(qmp_connect(longpath, 10, &q, err, sizeof(err)), -ENAMETOOLONG);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_greeting_and_command),
	    cmocka_unit_test(test_execute_return_and_args),
	    cmocka_unit_test(test_error_reply),
	    cmocka_unit_test(test_events_before_reply),
	    cmocka_unit_test(test_split_into_single_bytes),
	    cmocka_unit_test(test_several_messages_in_one_write),
	    cmocka_unit_test(test_peer_closes_mid_message),
	    cmocka_unit_test(test_timeout_then_late_reply),
	    cmocka_unit_test(test_no_greeting),
	    cmocka_unit_test(test_quit_with_hangup),
	    cmocka_unit_test(test_wait_event),
	    cmocka_unit_test(test_event_ring_keeps_newest),
	    cmocka_unit_test(test_connect_retries_until_socket_exists),
	};

	alarm(120); /* a hang is a failure, not a stuck CI job */
	return cmocka_run_group_tests(tests, NULL, NULL);
}
