/* Control thread: Unix socket server, request dispatch and periodic tick.
 *
 * Runs on the main lcore: one epoll loop over the listening socket, the
 * clients, and a signalfd for SIGINT/SIGTERM. Sockets are non-blocking; every
 * client has bounded input and output buffers, so a client that sends garbage,
 * never finishes a line, or never reads cannot stall the switch or others. */
#include "ctl.h"
#include "policy.h"
#include "vxlan.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <rte_log.h>

#include "state.h"

#define CTL_MAX_CLIENTS 1024 /* beyond that, an idle client is closed, or new ones wait */
#define CTL_IDLE_EVICT_MS 5000 /* idle clients are closed only when every slot is taken */
#define CTL_BACKLOG     4096
#define CTL_CLIENT      (1ull << 63) /* epoll data of a client (else: a file descriptor) */
#define CTL_MAX_OUT     (1 << 20)
#define CTL_TICK_MS     100
#define CTL_AGE_PASSES  50 /* ticks per full FDB aging pass */


/* A request posted by another thread (ctl_post). */
struct ctl_posted {
	void (*fn)(struct sw *sw, void *arg);
	void *arg;
	struct ctl_posted *next;
};

static struct {
	int lfd;
	int epfd;
	int sfd;
	int efd; /* eventfd: posted requests are waiting */
	char path[108];
	struct ctl_client *cl[CTL_MAX_CLIENTS];
	unsigned int n_clients;
	bool accepting; /* the listening socket is in the epoll set */
	bool changed;   /* a request changed the configuration: save it */
	uint64_t more[CTL_MAX_CLIENTS / 64]; /* clients with requests left after their turn */
	pthread_mutex_t post_lock;
	struct ctl_posted *post_head, **post_tail;
	int passed_fd; /* ctl_pass_fd() of the request being handled, or -1 */
	bool serving;  /* handling a client's request line (it can take a descriptor) */
} ctl = {.lfd = -1,
	 .passed_fd = -1,
	 .epfd = -1,
	 .sfd = -1,
	 .efd = -1,
	 .post_lock = PTHREAD_MUTEX_INITIALIZER,
	 .post_tail = &ctl.post_head};

int ctl_post(void (*fn)(struct sw *sw, void *arg), void *arg)
{
	struct ctl_posted *r = malloc(sizeof(*r));
	uint64_t one = 1;

	if (r == NULL)
		return -ENOMEM;
	r->fn = fn;
	r->arg = arg;
	r->next = NULL;
	pthread_mutex_lock(&ctl.post_lock);
	*ctl.post_tail = r;
	ctl.post_tail = &r->next;
	pthread_mutex_unlock(&ctl.post_lock);
	/* only a wake-up: the request is queued, the control loop also looks at
	 * the queue on its next tick */
	if (write(ctl.efd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		RTE_LOG(ERR, USER1, "control: cannot wake the control thread: %s\n",
			strerror(errno));
	return 0;
}

/* Runs the posted requests, in the order they were posted. */
static void ctl_run_posted(struct sw *sw)
{
	struct ctl_posted *r, *next;
	uint64_t v;

	if (read(ctl.efd, &v, sizeof(v)) < 0 && errno != EAGAIN)
		RTE_LOG(ERR, USER1, "control: eventfd read: %s\n", strerror(errno));
	pthread_mutex_lock(&ctl.post_lock);
	r = ctl.post_head;
	ctl.post_head = NULL;
	ctl.post_tail = &ctl.post_head;
	pthread_mutex_unlock(&ctl.post_lock);
	for (; r != NULL; r = next) {
		next = r->next;
		r->fn(sw, r->arg);
		free(r);
	}
}

/* Adds or removes the listening socket from the epoll set: while every
 * client slot is taken, new connections wait in the kernel's backlog. */
static void ctl_accepting(bool on)
{
	struct epoll_event ev = {.events = EPOLLIN, .data.fd = ctl.lfd};

	if (on == ctl.accepting)
		return;
	if (epoll_ctl(ctl.epfd, on ? EPOLL_CTL_ADD : EPOLL_CTL_DEL, ctl.lfd, &ev) == 0)
		ctl.accepting = on;
}

static const struct ctl_method ctl_version_methods[];

static const struct ctl_method *const ctl_tables[] = {
    ctl_version_methods, network_methods, port_methods,	 stats_methods,
    capture_methods,	 policy_methods,  vxlan_methods,
};

static int ctl_version(struct sw *sw, json_t *params, json_t **result, struct api_err *err)
{

	*result = json_pack("{s:s,s:s,s:i}", "name", "vlab-switchd", "version", VLAB_VERSION,
			    "api", API_VERSION);
	return 0;
}

static const struct ctl_method ctl_version_methods[] = {
	{"version", ctl_version},
	{NULL, NULL},
};

static const struct ctl_method *ctl_find(const char *name)
{
	for (size_t t = 0; t < sizeof(ctl_tables) / sizeof(ctl_tables[0]); t++)
		for (const struct ctl_method *m = ctl_tables[t]; m->name != NULL; m++)
			if (strcmp(m->name, name) == 0)
				return m;
	return NULL;
}

void ctl_pass_fd(int fd)
{
	if (ctl.passed_fd >= 0)
		close(ctl.passed_fd);
	ctl.passed_fd = fd;
}

int ctl_take_passed_fd(void)
{
	int fd = ctl.passed_fd;

	ctl.passed_fd = -1;
	return fd;
}

int ctl_call(struct sw *sw, const char *method, json_t *params, json_t **result,
	     struct api_err *err)
{
	const struct api_method *am = api_method_find(method);
	const struct ctl_method *m = ctl_find(method);
	char msg[sizeof(err->msg)];
	int rc;

	*result = NULL;
	if (am == NULL || m == NULL)
		return api_fail(err, API_ERR_METHOD,
				"unknown method \"%.64s\" (see docs/switch-api.md)", method);
	if (api_validate(am, params, msg, sizeof(msg)) < 0)
		return api_fail(err, -EINVAL, "%s", msg);
	rc = m->fn(sw, params, result, err);
	if (!ctl.serving) /* no client to pass a descriptor to */
		close(ctl_take_passed_fd());
	if (rc == 0 && *result == NULL)
		*result = json_object();
	if (rc == 0 && am->saves && !sw->restoring)
		ctl.changed = true;
	return rc;
}

int ctl_check_methods(void)
{
	int rc = 0;

	for (const struct api_method *am = api_methods; am->name != NULL; am++)
		if (ctl_find(am->name) == NULL) {
			fprintf(stderr, "vlab-switchd: method %s of the schema has no handler\n",
				am->name);
			rc = -ENOENT;
		}
	for (size_t t = 0; t < sizeof(ctl_tables) / sizeof(ctl_tables[0]); t++)
		for (const struct ctl_method *m = ctl_tables[t]; m->name != NULL; m++)
			if (api_method_find(m->name) == NULL) {
				fprintf(stderr,
					"vlab-switchd: handler %s is not a method of the schema\n",
					m->name);
				rc = -ENOENT;
			}
	return rc;
}

/* Writes the state file once for all the changes of the requests just read,
 * before their replies go out: a client that got a reply finds its change
 * in the file, also after a kill -9. */
void ctl_save_changes(struct sw *sw)
{
	int rc;

	if (!ctl.changed)
		return;
	ctl.changed = false;
	rc = state_save(sw);
	if (rc < 0)
		RTE_LOG(ERR, USER1, "cannot write state file %s: %s\n", sw->opts.state_path,
			strerror(-rc));
}

static void ctl_drop(int slot)
{
	ctl_client_free(ctl.cl[slot], ctl.epfd);
	ctl.cl[slot] = NULL;
	ctl.n_clients--;
	ctl_accepting(true);
}

char *ctl_handle_line(struct sw *sw, const char *line, size_t len)
{
	struct api_req req;
	struct api_err err = {0};
	json_t *result = NULL;
	char *reply;
	int rc;

	while (len > 0 && (line[len - 1] == '\r' || line[len - 1] == ' '))
		len--;
	if (len == 0)
		return strdup(""); /* blank lines are ignored */
	rc = api_parse(line, len, &req, &err);
	ctl.serving = true;
	if (rc == 0)
		rc = ctl_call(sw, req.method, req.params, &result, &err);
	ctl.serving = false;
	if (rc == 0)
		reply = api_encode_result(req.id, result);
	else
		reply = api_encode_error(req.id, &err);
	api_req_free(&req);
	return reply;
}

/* Closes the client quiet the longest (no complete request and no reply
 * taken for CTL_IDLE_EVICT_MS at least, whatever it left half sent or
 * unread), so a new one can be served. */
static bool ctl_evict_idle(void)
{
	int victim = -1;

	uint64_t quiet = 0;

	for (int i = 0; i < CTL_MAX_CLIENTS; i++) {
		uint64_t q = ctl.cl[i] ? ctl_client_quiet_ms(ctl.cl[i]) : 0;

		if (q >= CTL_IDLE_EVICT_MS && q > quiet) {
			victim = i;
			quiet = q;
		}
	}
	if (victim < 0)
		return false;
	RTE_LOG(NOTICE, USER1, "control: all %d client slots taken; closing an idle one\n",
		CTL_MAX_CLIENTS);
	ctl_drop(victim);
	return true;
}

static void ctl_accept(void)
{
	static uint64_t seq;

	for (;;) {
		struct epoll_event ev = {.events = EPOLLIN};
		struct ctl_client *c;
		int fd, slot = -1;

		if (ctl.n_clients == CTL_MAX_CLIENTS && !ctl_evict_idle()) {
			/* full of busy clients: the others wait in the backlog until
			 * one leaves (or turns idle: the tick looks again) */
			ctl_accepting(false);
			return;
		}
		fd = accept4(ctl.lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			return;
		for (int i = 0; i < CTL_MAX_CLIENTS; i++)
			if (ctl.cl[i] == NULL) {
				slot = i;
				break;
			}
		c = slot >= 0 ? ctl_client_new(fd, CTL_CLIENT | (++seq << 16) | (uint64_t)slot)
			      : NULL;
		if (c == NULL) {
			close(fd);
			continue;
		}
		ev.data.u64 = ctl_client_tag(c);
		if (epoll_ctl(ctl.epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
			ctl_client_free(c, -1);
			continue;
		}
		ctl.cl[slot] = c;
		ctl.n_clients++;
	}
}

int ctl_listen(struct sw *sw, const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct epoll_event ev = {.events = EPOLLIN};
	sigset_t mask;
	int rc;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	snprintf(ctl.path, sizeof(ctl.path), "%s", path);

	ctl.lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (ctl.lfd < 0)
		return -errno;
	unlink(path);
	if (bind(ctl.lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || chmod(path, 0660) < 0 ||
	    listen(ctl.lfd, CTL_BACKLOG) < 0) {
		rc = -errno;
		goto out_close;
	}
	ctl.epfd = epoll_create1(EPOLL_CLOEXEC);
	if (ctl.epfd < 0) {
		rc = -errno;
		goto out_close;
	}
	ctl_accepting(true);
	ctl.efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (ctl.efd < 0) {
		rc = -errno;
		goto out_close;
	}
	ev.data.fd = ctl.efd;
	epoll_ctl(ctl.epfd, EPOLL_CTL_ADD, ctl.efd, &ev);

	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	ctl.sfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	if (ctl.sfd >= 0) {
		ev.data.fd = ctl.sfd;
		epoll_ctl(ctl.epfd, EPOLL_CTL_ADD, ctl.sfd, &ev);
	}
	return 0;

out_close:
	close(ctl.lfd);
	ctl.lfd = -1;
	return rc;
}

static uint64_t ctl_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void ctl_tick(struct sw *sw, uint64_t start_ms)
{
	uint32_t now = (uint32_t)((ctl_now_ms() - start_ms) / 1000);
	uint32_t slots = fdb_capacity(sw->fdb) * 2 / CTL_AGE_PASSES + 1;

	atomic_store_explicit(&sw->now, now, memory_order_relaxed);
	fdb_age(sw->fdb, now, sw->opts.aging_time, slots);
	pol_tick(sw);
	vx_tick(sw);
}

/* One turn of the client in slot s; dropped when it is done or gone. */
static void ctl_serve(struct sw *sw, int s)
{
	bool more = false;

	if (ctl_client_turn(sw, ctl.cl[s], ctl.epfd, &more) < 0)
		ctl_drop(s);
	else if (more)
		ctl.more[s / 64] |= 1ull << (s % 64);
}

/* Clients with requests left after their turn get another, in slot order. */
static bool ctl_serve_more(struct sw *sw)
{
	bool any = false;

	for (int w = 0; w < CTL_MAX_CLIENTS / 64; w++) {
		uint64_t bits = ctl.more[w];

		ctl.more[w] = 0;
		while (bits) {
			int s = w * 64 + __builtin_ctzll(bits);

			bits &= bits - 1;
			if (ctl.cl[s] != NULL)
				ctl_serve(sw, s);
		}
		any |= ctl.more[w] != 0;
	}
	return any;
}

int ctl_run(struct sw *sw)
{
	uint64_t start = ctl_now_ms() - 1000, next_tick = 0;
	bool more = false;

	while (!sw->quit) {
		struct epoll_event evs[64];
		uint64_t t = ctl_now_ms();
		int n;

		if (t >= next_tick) {
			ctl_tick(sw, start);
			ctl_run_posted(sw); /* in case a wake-up was lost */
			ctl_accepting(true); /* a slot may have turned idle: look again */
			next_tick = t + CTL_TICK_MS;
		}
		n = epoll_wait(ctl.epfd, evs, 64, more ? 0 : (int)(next_tick - t));
		if (n < 0 && errno != EINTR)
			return -errno;
		for (int i = 0; i < n; i++) {
			uint64_t tag = evs[i].data.u64;
			int fd = (int)tag;

			if (tag & CTL_CLIENT) {
				int s = (int)(tag & 0xffff);

				if (ctl.cl[s] == NULL || ctl_client_tag(ctl.cl[s]) != tag)
					continue; /* dropped earlier in this batch */
				if (evs[i].events & EPOLLERR)
					ctl_drop(s);
				else
					ctl_serve(sw, s);
			} else if (fd == ctl.lfd) {
				ctl_accept();
			} else if (fd == ctl.efd) {
				ctl_run_posted(sw);
			} else if (fd == ctl.sfd) {
				struct signalfd_siginfo si;

				while (read(ctl.sfd, &si, sizeof(si)) == sizeof(si))
					RTE_LOG(NOTICE, USER1, "signal %u: shutting down\n",
						si.ssi_signo);
				sw->quit = true;
			}
		}
		more = ctl_serve_more(sw);
	}
	return 0;
}

void ctl_close(void)
{
	for (int i = 0; i < CTL_MAX_CLIENTS; i++)
		if (ctl.cl[i] != NULL)
			ctl_drop(i);
	while (ctl.post_head != NULL) {
		struct ctl_posted *r = ctl.post_head;

		ctl.post_head = r->next;
		free(r->arg);
		free(r);
	}
	ctl.post_tail = &ctl.post_head;
	if (ctl.efd >= 0)
		close(ctl.efd);
	if (ctl.sfd >= 0)
		close(ctl.sfd);
	if (ctl.epfd >= 0)
		close(ctl.epfd);
	if (ctl.lfd >= 0) {
		close(ctl.lfd);
		unlink(ctl.path);
	}
	ctl.sfd = ctl.epfd = ctl.lfd = ctl.efd = -1;
}
