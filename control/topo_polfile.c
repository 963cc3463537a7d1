/* A file's `policies:` against a running lab (`vlab policy apply`): a
 * whole topology file or one holding policies: alone, parsed by
 * topo_policy.c against the lab's model, replacing its policies only when
 * the file is valid; and the name: of a file, to know its lab. See topo.h.
 *
 * Pure; the caller's thread. */
#include "topo_priv.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const only_keys[] = {"name", "policies", NULL};

static void free_list(struct topo_policy *p, int n)
{
	for (int i = 0; i < n; i++) {
		free(p[i].apply);
		json_decref(p[i].rules);
	}
	free(p);
}

int topo_parse_policies(const char *text, size_t len, struct topo *t, struct topo_errors *errs)
{
	struct topo_policy *old;
	int n_old, rc = -EINVAL;
	yaml_parser_t parser;
	yaml_document_t doc;
	yaml_node_t *root, *x;
	struct pctx *c;

	if (!text || !t || !errs)
		return -EINVAL;
	memset(errs, 0, sizeof(*errs));
	if (!topo_depth_ok(text, len, TOPO_MAX_DEPTH, errs))
		return -EINVAL;
	if (!yaml_parser_initialize(&parser)) {
		topo_err(errs, (struct pos){0, 0}, "out of memory while reading YAML");
		return -ENOMEM;
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	if (!yaml_parser_load(&parser, &doc)) {
		topo_yaml_problem(&parser, errs);
		yaml_parser_delete(&parser);
		return -EINVAL;
	}
	c = calloc(1, sizeof(*c));
	root = yaml_document_get_root_node(&doc);
	old = t->policies;
	n_old = t->n_policies;
	t->policies = NULL;
	t->n_policies = 0;
	if (!c) {
		topo_err(errs, (struct pos){0, 0}, "out of memory");
		goto out;
	}
	c->doc = &doc;
	c->t = t;
	c->errs = errs;
	if (!root || root->type != YAML_MAPPING_NODE) {
		topo_err(errs, ypos(root),
			 "a policies file must be a mapping with policies: (a topology file, or "
			 "policies: alone; got %s)",
			 ykind(root));
		goto out;
	}
	/* a whole topology: its policies; else policies: alone */
	if (!topo_map_get(c, root, "nodes"))
		topo_check_keys(c, root, only_keys, "policies file");
	x = topo_map_get(c, root, "name");
	if (x && ystr(x) && strcmp(ystr(x), t->name))
		topo_err(errs, ypos(x),
			 "the file is lab \"%.40s\"'s, not lab \"%s\"'s: name the lab the policies "
			 "are for",
			 ystr(x), t->name);
	c->policies = topo_map_get(c, root, "policies");
	if (!c->policies)
		topo_err(errs, ypos(root), "no policies: section (docs/policy.md)");
	topo_parse_policy_section(c);
out:
	topo_sort_errors(errs);
	rc = errs->n || errs->dropped ? -EINVAL : 0;
	if (rc < 0) {
		topo_policies_free(t);
		t->policies = old;
		t->n_policies = n_old;
	} else {
		free_list(old, n_old);
	}
	free(c);
	yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	return rc;
}

int topo_peek_name(const char *text, size_t len, char *buf, size_t blen)
{
	struct topo_errors *errs = calloc(1, sizeof(*errs));
	yaml_parser_t parser;
	yaml_document_t doc;
	yaml_node_t *root;
	int rc = -EINVAL;

	if (!errs)
		return -ENOMEM;
	if (!topo_depth_ok(text, len, TOPO_MAX_DEPTH, errs) || !yaml_parser_initialize(&parser)) {
		free(errs);
		return -EINVAL;
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	if (yaml_parser_load(&parser, &doc)) {
		root = yaml_document_get_root_node(&doc);
		rc = -ENOENT;
		for (yaml_node_pair_t *p = root && root->type == YAML_MAPPING_NODE
					       ? root->data.mapping.pairs.start
					       : NULL;
		     p && p < root->data.mapping.pairs.top; p++) {
			const char *k = ystr(yaml_document_get_node(&doc, p->key));
			yaml_node_t *v = yaml_document_get_node(&doc, p->value);

			if (k && !strcmp(k, "name") && ystr(v) && !ynull(v)) {
				snprintf(buf, blen, "%s", ystr(v));
				rc = 0;
				break;
			}
		}
		yaml_document_delete(&doc);
	}
	yaml_parser_delete(&parser);
	free(errs);
	return rc;
}
