/* Lab topologies: the entry points (topo_parse(), topo_load()), which run
 * the stages of topo_priv.h over a YAML document: parse (topo_parse.c,
 * topo_node.c), automatic VNIs, subnets and addresses (topo_auto.c),
 * cross-checks (topo_check.c); and the model's lookups and names. The format
 * is documented in docs/topology.md.
 *
 * Pure: text in, model or problem list out; no processes, no switch, no global
 * state. Runs on the caller's thread (the vlab CLI's main thread). Automatic
 * values depend only on the file, so the same file always gives the same lab. */
#include "topo.h"

#include "topo_priv.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "kind.h"

void topo_v4str(uint32_t a, unsigned int plen, char *buf, size_t len)
{
	snprintf(buf, len, "%u.%u.%u.%u/%u", a >> 24, (a >> 16) & 255, (a >> 8) & 255, a & 255,
		 plen);
}

/* "a/p" with the host bits of c cleared. */
void topo_network_str(const struct addr_cidr *c, char *buf, size_t len)
{
	struct addr_cidr n = *c;
	unsigned int bytes = c->family == AF_INET ? 4 : 16;
	char tmp[INET6_ADDRSTRLEN];

	for (unsigned int i = 0; i < bytes; i++) {
		unsigned int bit = i * 8;

		if (bit >= c->plen)
			n.addr[i] = 0;
		else if (bit + 8 > c->plen)
			n.addr[i] &= (uint8_t)(0xff << (8 - (c->plen - bit)));
	}
	if (!inet_ntop(n.family, n.addr, tmp, sizeof(tmp)))
		tmp[0] = '\0';
	snprintf(buf, len, "%s/%u", tmp, c->plen);
}

/* Comma-separated names for "(networks: a, b)" hints. */
void topo_list_names(const struct topo *t, bool nets, char *buf, size_t len)
{
	size_t off = 0;
	int n = nets ? t->n_nets : t->n_nodes;

	buf[0] = '\0';
	for (int i = 0; i < n && off < len; i++) {
		const char *name = nets ? t->nets[i].name : t->nodes[i].name;

		if (i == 8) {
			snprintf(buf + off, len - off, ", ...");
			break;
		}
		off += (size_t)snprintf(buf + off, len - off, "%s%s", i ? ", " : "", name);
	}
	if (n == 0)
		snprintf(buf, len, "none defined");
}

int topo_net_find(const struct topo *t, const char *name)
{
	if (!t || !name)
		return -1;
	for (int i = 0; i < t->n_nets; i++)
		if (!strcmp(t->nets[i].name, name))
			return i;
	return -1;
}

int topo_policy_find(const struct topo *t, const char *name)
{
	if (!t || !name)
		return -1;
	for (int i = 0; i < t->n_policies; i++)
		if (!strcmp(t->policies[i].name, name))
			return i;
	return -1;
}

int topo_node_find(const struct topo *t, const char *name)
{
	if (!t || !name)
		return -1;
	for (int i = 0; i < t->n_nodes; i++)
		if (!strcmp(t->nodes[i].name, name))
			return i;
	return -1;
}

long topo_host_neighbours(const struct topo *t)
{
	long total = 0;

	for (int net = 0; t && net < t->n_nets; net++) {
		long hosts = 0, addrs = 0;

		for (int i = 0; i < t->n_nodes; i++)
			for (int k = 0; k < t->nodes[i].n_nics && k < NODE_MAX_NICS; k++) {
				const struct node_nic *c = &t->nodes[i].nics[k];

				if (strcmp(c->network, t->nets[net].name))
					continue;
				hosts += kind_of(t->nodes[i].kind) &&
					 kind_of(t->nodes[i].kind)->host_neighbours;
				addrs += c->n_addrs;
			}
		total += hosts * addrs;
	}
	return total;
}

const char *topo_nic_label(const struct node *n, int i, char *buf, size_t len)
{
	if (n->nics[i].ifname[0])
		snprintf(buf, len, "node \"%s\" interface %s", n->name, n->nics[i].ifname);
	else
		snprintf(buf, len, "node \"%s\" interface eth%d", n->name, i);
	return buf;
}

/* libyaml's problem as a topo_error. */
void topo_yaml_problem(yaml_parser_t *p, struct topo_errors *errs)
{
	struct pos at = {(int)p->problem_mark.line + 1, (int)p->problem_mark.column + 1};

	if (p->error == YAML_MEMORY_ERROR) {
		topo_err(errs, (struct pos){0, 0}, "out of memory while reading YAML");
		return;
	}
	if (p->context)
		topo_err(errs, at,
			 "YAML syntax error: %s %s (line %d): check indentation, colons, brackets "
			 "and quotes here",
			 p->problem ? p->problem : "unknown problem", p->context,
			 (int)p->context_mark.line + 1);
	else
		topo_err(errs, at,
			 "YAML syntax error: %s: check indentation, colons, brackets and quotes "
			 "here",
			 p->problem ? p->problem : "unknown problem");
}

struct topo *topo_new(void)
{
	return calloc(1, sizeof(struct topo));
}

void topo_policies_free(struct topo *t)
{
	if (!t)
		return;
	for (int i = 0; i < t->n_policies; i++) {
		free(t->policies[i].apply);
		json_decref(t->policies[i].rules);
	}
	free(t->policies);
	t->policies = NULL;
	t->n_policies = 0;
}

void topo_free(struct topo *t)
{
	topo_policies_free(t);
	free(t);
}

int topo_parse(const char *text, size_t len, struct topo *t, struct topo_errors *errs)
{
	yaml_parser_t parser;
	yaml_document_t doc, doc2;
	yaml_node_t *root;
	struct pctx *c = NULL;
	int rc = -EINVAL;

	if (!text || !t || !errs)
		return -EINVAL;
	topo_policies_free(t);
	memset(t, 0, sizeof(*t));
	memset(errs, 0, sizeof(*errs));
	if (!yaml_parser_initialize(&parser)) {
		topo_err(errs, (struct pos){0, 0}, "out of memory while reading YAML");
		return -ENOMEM;
	}
	if (!topo_depth_ok(text, len, TOPO_MAX_DEPTH, errs))
		goto out_parser;
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	if (!yaml_parser_load(&parser, &doc)) {
		topo_yaml_problem(&parser, errs);
		goto out_parser;
	}
	root = yaml_document_get_root_node(&doc);
	if (!root) {
		topo_err(errs, (struct pos){1, 1},
			 "the file is empty: a topology needs name:, networks: and nodes: (see "
			 "docs/topology.md)");
		goto out_doc;
	}
	c = calloc(1, sizeof(*c));
	if (!c) {
		topo_err(errs, (struct pos){0, 0}, "out of memory");
		rc = -ENOMEM;
		goto out_doc;
	}
	c->doc = &doc;
	c->t = t;
	c->errs = errs;
	if (topo_parse_root(c, root)) {
		topo_assign_vnis(c);
		topo_assign_subnets(c);
		topo_check_given_addrs(c);
		topo_check_dup_addrs(c);
		topo_assign_addrs(c);
		topo_check_macs(c);
		topo_check_routes(c);
		topo_check_switches(c);
		topo_parse_policy_section(c);
		if (c->errs->n == 0)
			topo_check_vmhost(c);
	}

	/* one document per file */
	if (!yaml_parser_load(&parser, &doc2)) {
		topo_yaml_problem(&parser, errs);
	} else {
		yaml_node_t *r2 = yaml_document_get_root_node(&doc2);

		if (r2)
			topo_err(errs,
				 (struct pos){(int)doc2.start_mark.line + 1,
					      (int)doc2.start_mark.column + 1},
				 "a second YAML document: a topology file holds one; remove the "
				 "\"---\" and what follows or merge it");
		yaml_document_delete(&doc2);
	}
	topo_sort_errors(errs);
	rc = errs->n || errs->dropped ? -EINVAL : 0;
	free(c);
out_doc:
	yaml_document_delete(&doc);
out_parser:
	yaml_parser_delete(&parser);
	return rc;
}

int topo_load(const char *path, struct topo *t, struct topo_errors *errs)
{
	FILE *f;
	char *buf = NULL;
	size_t n;
	int rc;

	if (!path || !t || !errs)
		return -EINVAL;
	memset(errs, 0, sizeof(*errs));
	f = fopen(path, "r");
	if (!f) {
		rc = -errno;
		topo_err(errs, (struct pos){0, 0}, "cannot open: %s", strerror(-rc));
		return rc;
	}
	buf = malloc(TOPO_FILE_MAX + 1);
	if (!buf) {
		rc = -ENOMEM;
		topo_err(errs, (struct pos){0, 0}, "out of memory");
		goto out_close;
	}
	errno = 0;
	n = fread(buf, 1, TOPO_FILE_MAX + 1, f);
	if (ferror(f)) {
		rc = errno ? -errno : -EIO;
		topo_err(errs, (struct pos){0, 0}, "cannot read: %s", strerror(-rc));
		goto out_free;
	}
	if (n > TOPO_FILE_MAX) {
		rc = -EFBIG;
		topo_err(errs, (struct pos){0, 0}, "file is larger than %d bytes: not a topology",
			 TOPO_FILE_MAX);
		goto out_free;
	}
	rc = topo_parse(buf, n, t, errs);
out_free:
	free(buf);
out_close:
	fclose(f);
	return rc;
}
