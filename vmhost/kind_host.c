/* The namespace host kind ("host"): a named network namespace with a veth
 * pair per NIC (netns.h), its outer ends plugged into the switch as
 * af-packet ports once it exists, commands run inside it. See kind.h for the
 * operations.
 *
 * Threads: the caller's, or one of vm_start_parallel()'s workers per node;
 * no state. */
#include "kind.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "netns.h"

/* Namespace and outer-interface prefix of a host node (stable, short). */
static void host_names(const char *lab, const char *node, char *nsname, size_t nslen, char *prefix,
		       size_t plen)
{
	snprintf(nsname, nslen, "vlab-%s-%s", lab, node);
	snprintf(prefix, plen, "vl%06x", kind_hash(lab, node, -1) & 0xffffff);
}

static int host_check(const struct node *n, char *err, size_t errlen)
{
	return nsh_check_node(n, err, errlen);
}

static int host_port(const char *lab, const struct node *n, int i, struct kind_port *p)
{
	char nsname[NODE_NAME_MAX * 2], prefix[16];

	host_names(lab, n->name, nsname, sizeof(nsname), prefix, sizeof(prefix));
	p->type = "af-packet";
	p->key = "iface";
	return nsh_outer_name(prefix, i, p->value, sizeof(p->value));
}

static int host_start(struct kind_node *k, const struct vm_opts *o, char *err, size_t errlen)
{
	struct lab_record *rec = &k->rec;
	struct nsh_info info;
	char prefix[16];
	int rc;

	(void)o;
	host_names(k->lab, k->n.name, rec->netns, sizeof(rec->netns), prefix, sizeof(prefix));
	for (int i = 0; i < k->n.n_nics; i++)
		nsh_outer_name(prefix, i, rec->outer[i], sizeof(rec->outer[i]));
	rc = lab_record_save(k->lab, &k->n, rec);
	if (rc < 0) {
		snprintf(err, errlen, "node \"%s\": cannot write its record: %s", k->n.name,
			 strerror(-rc));
		return rc;
	}
	return nsh_create(&k->n, rec->netns, prefix, &info, err, errlen);
}

static int host_destroy(struct kind_node *k, char *err, size_t errlen)
{
	if (!k->recorded || !k->rec.netns[0])
		return 0;
	return nsh_destroy(k->rec.netns, err, errlen);
}

static void host_status(struct kind_node *k, struct vm_status *st)
{
	st->up = nsh_exists(k->rec.netns) == 1;
	snprintf(st->state, sizeof(st->state), "%s", st->up ? "running" : "absent");
}

static int host_link(struct kind_node *k, int nic, bool up, char *err, size_t errlen)
{
	const char *ifname = k->n.nics[nic].ifname;
	const char *argv[] = {"ip", "link", "set", ifname, up ? "up" : "down", NULL};
	struct nsh_exec_result r;
	int rc;

	rc = nsh_exec(k->rec.netns, argv, 5000, &r);
	if (rc == 0 && r.exit_code != 0)
		rc = -EIO;
	if (rc < 0)
		snprintf(err, errlen, "node \"%s\": cannot set %s %s", k->name, ifname,
			 up ? "up" : "down");
	nsh_exec_result_free(&r);
	return rc;
}

static int host_exec(struct kind_node *k, const char *const argv[], int timeout_ms,
		     struct vm_exec_result *out, char *err, size_t errlen)
{
	struct nsh_exec_result r;
	int rc;

	rc = nsh_exec(k->rec.netns, argv, timeout_ms, &r);
	if (rc < 0) {
		snprintf(err, errlen, "node \"%s\": %s", k->name, r.errmsg);
		return rc;
	}
	out->exit_code = r.exit_code;
	out->timed_out = r.timed_out;
	out->out = r.out;
	out->out_len = r.out_len;
	out->err = r.err;
	out->err_len = r.err_len;
	return 0;
}

/* A shell in the namespace. */
static int host_console(struct kind_node *k, char *err, size_t errlen)
{
	const char *sh[] = {"/bin/sh", NULL};

	(void)err;
	(void)errlen;
	return nsh_exec_interactive(k->rec.netns, sh) < 0 ? -EIO : 0;
}

const struct kind_ops kind_host = {
    .name = "host",
    .what = "network namespace",
    .noun = "namespace host",
    .nic_noun = "veth",
    .up_state = "running",
    .features = 0,
    .start_order = 0,	 /* quick: most of a large lab is up while guests boot */
    .plug_first = false, /* its af-packet ports need the veths it makes */
    .host_neighbours = true,
    .graph_rounded = true,
    .check = host_check,
    .port = host_port,
    .start = host_start,
    .destroy = host_destroy,
    .status = host_status,
    .link = host_link,
    .exec = host_exec,
    .console = host_console,
};
