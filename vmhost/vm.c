/* Life cycle of lab nodes; see vm.h. What differs between kinds of nodes is
 * behind the kind table (kind.h: kind_vm.c, kind_host.c); this file loads
 * a node's record, asks its kind, and keeps the lab's state directory.
 *
 * Runs on the caller's thread, except vm_start_parallel()'s workers, which
 * each run vm_start() for whole nodes (nothing shared but an atomic cursor).
 * Every step that creates something is preceded by a record of it in the
 * node's directory, so vm_destroy() can always clean up. */
#include "vm.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "kind.h"

int vm_node_defaults(const char *lab, struct node *n)
{
	const struct kind_ops *k = kind_of(n->kind);
	char dir[NODE_PATH_MAX];
	int rc = lab_node_dir(lab, n->name, dir, sizeof(dir));

	if (rc < 0)
		return rc;
	for (int i = 0; i < n->n_nics; i++) {
		struct node_nic *c = &n->nics[i];
		static const uint8_t zero[6];

		if (c->ifname[0] == '\0')
			snprintf(c->ifname, sizeof(c->ifname), "eth%d", i);
		if (memcmp(c->mac, zero, 6) == 0) {
			uint32_t h = kind_hash(lab, n->name, i);

			c->mac[0] = 0x52;
			c->mac[1] = 0x54;
			c->mac[2] = 0x00;
			c->mac[3] = (uint8_t)(h >> 16);
			c->mac[4] = (uint8_t)(h >> 8);
			c->mac[5] = (uint8_t)h;
		}
		if (c->port[0] == '\0' && snprintf(c->port, sizeof(c->port), "%s-%s", n->name,
						   c->ifname) >= (int)sizeof(c->port))
			return -ENAMETOOLONG;
	}
	return k && k->defaults ? k->defaults(dir, n) : 0;
}

/* Loads the record of node `name` into *k; its kind, or NULL when it has
 * no readable record (or one of an unknown kind). */
static const struct kind_ops *node_load(const char *lab, const char *name, struct kind_node *k)
{
	memset(k, 0, sizeof(*k));
	k->lab = lab;
	k->name = name;
	if (lab_node_dir(lab, name, k->dir, sizeof(k->dir)) < 0)
		return NULL;
	k->recorded = lab_record_load(lab, name, &k->n, &k->rec) == 0;
	return k->recorded ? kind_of(k->n.kind) : NULL;
}

/* The kind of a recorded node, or NULL with "does not exist" in err. */
static const struct kind_ops *node_get(const char *lab, const char *name, struct kind_node *k,
				       char *err, size_t errlen)
{
	const struct kind_ops *ops = node_load(lab, name, k);

	if (!ops)
		snprintf(err, errlen, "node \"%s\" of lab \"%s\" does not exist", name, lab);
	return ops;
}

int vm_start(const char *lab, struct node *n, const struct vm_opts *o, char *err, size_t errlen)
{
	const struct kind_ops *ops = kind_of(n->kind);
	struct kind_node *k;
	int rc;

	err[0] = '\0';
	if (!ops) {
		snprintf(err, errlen, "node \"%s\": unknown kind %d", n->name, (int)n->kind);
		return -EINVAL;
	}
	k = calloc(1, sizeof(*k));
	if (!k) {
		snprintf(err, errlen, "node \"%s\": out of memory", n->name);
		return -ENOMEM;
	}
	rc = lab_node_dir(lab, n->name, k->dir, sizeof(k->dir));
	if (rc == 0)
		rc = vm_node_defaults(lab, n);
	if (rc < 0) {
		snprintf(err, errlen, "node \"%s\": names or paths too long (run directory %s)",
			 n->name, lab_run_dir());
		goto out_free;
	}
	if (lab_record_load(lab, n->name, &k->n, &k->rec) == 0) {
		struct vm_status st;

		vm_status(lab, n->name, &st);
		if (strcmp(st.state, "stopped") && strcmp(st.state, "absent")) {
			snprintf(err, errlen,
				 "node \"%s\" of lab \"%s\" already exists (%s); "
				 "destroy it first",
				 n->name, lab, st.state);
			rc = -EEXIST;
			goto out_free;
		}
	}
	k->lab = lab;
	k->name = n->name;
	k->recorded = true;
	k->n = *n;
	k->rec = (struct lab_record){.created = time(NULL)};
	rc = lab_mkdirs(k->dir);
	if (rc == 0)
		rc = lab_record_save(lab, n, &k->rec);
	if (rc < 0) {
		snprintf(err, errlen, "node \"%s\": cannot create %s: %s", n->name, k->dir,
			 strerror(-rc));
		goto out_free;
	}
	rc = ops->start(k, o, err, errlen);
	if (rc == 0 && o && o->ready_timeout_ms > 0 && ops->wait_ready)
		rc = ops->wait_ready(k, o->ready_timeout_ms, err, errlen);
out_free:
	free(k);
	return rc;
}

struct par {
	const char *lab;
	struct node *nodes;
	int n;
	const struct vm_opts *o;
	char (*errs)[256];
	int *rcs;
	atomic_int next;
};

static void *par_worker(void *arg)
{
	struct par *p = arg;
	int i;

	while ((i = atomic_fetch_add(&p->next, 1)) < p->n) {
		p->rcs[i] = vm_start(p->lab, &p->nodes[i], p->o, p->errs[i], 256);
		if (p->o && p->o->node_done)
			p->rcs[i] = p->o->node_done(i, p->rcs[i], p->errs[i], 256, p->o->arg);
	}
	return NULL;
}

/* What the nodes of each kind share is prepared once, before the workers. */
static int prepare_kinds(const struct node *nodes, int n, const struct vm_opts *o)
{
	const struct kind_ops *ops;
	struct node *same = NULL;
	enum node_kind kind;

	for (int i = 0; (ops = kind_at(i, &kind)) != NULL; i++) {
		int k = 0;

		if (!ops->prepare)
			continue;
		if (!same) {
			same = calloc((size_t)n, sizeof(*same));
			if (!same)
				return -ENOMEM;
		}
		for (int j = 0; j < n; j++)
			if (nodes[j].kind == kind)
				same[k++] = nodes[j];
		if (k)
			ops->prepare(same, k, o);
	}
	free(same);
	return 0;
}

int vm_start_parallel(const char *lab, struct node *nodes, int n, int workers,
		      const struct vm_opts *o, char (*errs)[256])
{
	struct par p = {.lab = lab, .nodes = nodes, .n = n, .o = o, .errs = errs};
	pthread_t th[16];
	int started = 0, rc = 0;

	if (n <= 0)
		return 0;
	p.rcs = calloc((size_t)n, sizeof(int));
	if (p.rcs == NULL || prepare_kinds(nodes, n, o) < 0) {
		for (int i = 0; i < n; i++)
			snprintf(errs[i], 256, "node \"%s\": out of memory", nodes[i].name);
		free(p.rcs);
		return -ENOMEM;
	}
	if (workers < 1)
		workers = 1;
	if (workers > 16)
		workers = 16;
	if (workers > n)
		workers = n;
	for (int i = 0; i < workers; i++)
		if (pthread_create(&th[started], NULL, par_worker, &p) == 0)
			started++;
	if (started == 0)
		par_worker(&p);
	for (int i = 0; i < started; i++)
		pthread_join(th[i], NULL);
	for (int i = 0; i < n && rc == 0; i++)
		rc = p.rcs[i];
	free(p.rcs);
	return rc;
}

int vm_wait_ready(const char *lab, const char *name, int timeout_ms, char *err, size_t errlen)
{
	struct kind_node *k = calloc(1, sizeof(*k));
	const struct kind_ops *ops;
	int rc;

	if (!k)
		return -ENOMEM;
	ops = node_get(lab, name, k, err, errlen);
	if (!ops)
		rc = -ENOENT;
	else
		rc = ops->wait_ready ? ops->wait_ready(k, timeout_ms, err, errlen) : 0;
	free(k);
	return rc;
}

int vm_stop(const char *lab, const char *name, int timeout_ms, char *err, size_t errlen)
{
	struct kind_node *k = calloc(1, sizeof(*k));
	const struct kind_ops *ops;
	int rc;

	if (!k)
		return -ENOMEM;
	ops = node_get(lab, name, k, err, errlen);
	if (!ops) {
		rc = -ENOENT;
	} else if (!ops->stop) {
		snprintf(err, errlen, "node \"%s\" is a %s: it has no stop; use destroy", name,
			 ops->noun);
		rc = -EOPNOTSUPP;
	} else {
		rc = ops->stop(k, timeout_ms, err, errlen);
	}
	free(k);
	return rc;
}

int vm_destroy(const char *lab, const char *name, char *err, size_t errlen)
{
	char labdir[NODE_PATH_MAX], nodes[NODE_PATH_MAX + 8];
	struct kind_node *k = calloc(1, sizeof(*k));
	const struct kind_ops *ops;
	int rc = 0;

	err[0] = '\0';
	if (!k)
		return -ENOMEM;
	ops = node_load(lab, name, k);
	if (!k->dir[0]) {
		rc = -ENAMETOOLONG;
		goto out_free;
	}
	if (ops) {
		rc = ops->destroy(k, err, errlen);
	} else {
		/* no record: every kind removes what it finds without one */
		enum node_kind kind;

		for (int i = 0; (ops = kind_at(i, &kind)) != NULL && rc == 0; i++)
			rc = ops->destroy(k, err, errlen);
	}
	if (rc < 0)
		goto out_free;
	rc = lab_node_remove(lab, name);
	if (rc < 0) {
		snprintf(err, errlen, "node \"%s\": cannot remove %s: %s", name, k->dir,
			 strerror(-rc));
		goto out_free;
	}
	/* the lab directory goes with its last node */
	lab_dir(lab, labdir, sizeof(labdir));
	snprintf(nodes, sizeof(nodes), "%s/nodes", labdir);
	if (rmdir(nodes) == 0)
		rmdir(labdir);
out_free:
	free(k);
	return rc;
}

int vm_status(const char *lab, const char *name, struct vm_status *st)
{
	struct kind_node *k = calloc(1, sizeof(*k));
	const struct kind_ops *ops;

	memset(st, 0, sizeof(*st));
	snprintf(st->name, sizeof(st->name), "%s", name);
	ops = k ? node_load(lab, name, k) : NULL;
	if (!ops) {
		snprintf(st->state, sizeof(st->state), "absent");
		free(k);
		return -ENOENT;
	}
	st->kind = k->n.kind;
	st->created = k->rec.created;
	snprintf(st->netns, sizeof(st->netns), "%s", k->rec.netns);
	ops->status(k, st);
	free(k);
	return 0;
}

static int nic_index(const struct node *n, const char *ifname)
{
	for (int i = 0; i < n->n_nics; i++)
		if (strcmp(n->nics[i].ifname, ifname) == 0)
			return i;
	return -1;
}

int vm_link(const char *lab, const char *name, const char *ifname, bool up, char *err,
	    size_t errlen)
{
	struct kind_node *k = calloc(1, sizeof(*k));
	const struct kind_ops *ops;
	int i, rc;

	if (!k)
		return -ENOMEM;
	ops = node_get(lab, name, k, err, errlen);
	if (!ops) {
		rc = -ENOENT;
		goto out_free;
	}
	i = nic_index(&k->n, ifname);
	if (i < 0) {
		snprintf(err, errlen, "node \"%s\" has no interface \"%s\"", name, ifname);
		rc = -ENOENT;
		goto out_free;
	}
	rc = ops->link(k, i, up, err, errlen);
out_free:
	free(k);
	return rc;
}

int vm_exec(const char *lab, const char *name, const char *const argv[], int timeout_ms,
	    struct vm_exec_result *out, char *err, size_t errlen)
{
	struct kind_node *k = calloc(1, sizeof(*k));
	const struct kind_ops *ops;
	int rc;

	memset(out, 0, sizeof(*out));
	if (!k)
		return -ENOMEM;
	ops = node_get(lab, name, k, err, errlen);
	rc = ops ? ops->exec(k, argv, timeout_ms, out, err, errlen) : -ENOENT;
	free(k);
	return rc;
}

void vm_exec_result_free(struct vm_exec_result *r)
{
	free(r->out);
	free(r->err);
	r->out = r->err = NULL;
}

int vm_console(const char *lab, const char *name, char *err, size_t errlen)
{
	struct kind_node *k = calloc(1, sizeof(*k));
	const struct kind_ops *ops;
	int rc;

	if (!k)
		return -ENOMEM;
	ops = node_get(lab, name, k, err, errlen);
	rc = ops ? ops->console(k, err, errlen) : -ENOENT;
	free(k);
	return rc;
}
