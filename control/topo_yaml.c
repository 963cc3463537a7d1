/* The topology parser's problem list (every problem with its place in the
 * file, ordered, "FILE:LINE:COL: message"; warnings apart) and its YAML helpers: mapping
 * lookups, unknown and repeated keys with a "did you mean", typed scalars
 * with messages that name the key and what it must be.
 *
 * Pure; the caller's thread. */
#include "topo_priv.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "utf8.h"

static void record(struct topo_error *e, struct pos at, const char *fmt, va_list ap)
{
	char raw[TOPO_MSG_MAX * 2];

	e->line = at.line;
	e->col = at.col;
	vsnprintf(raw, sizeof(raw), fmt, ap);
	/* messages quote the file's values: print them so that a newline or a
	 * terminal escape in one cannot forge a line or colour the terminal, and
	 * so that a cut never leaves half a character (JSON could not carry it) */
	utf8_trim_cut(raw);
	if (!utf8_escape(e->msg, sizeof(e->msg) - 3, raw))
		strcat(e->msg, "...");
}

void topo_err(struct topo_errors *errs, struct pos at, const char *fmt, ...)
{
	va_list ap;

	if (errs->n >= TOPO_MAX_ERRORS) {
		errs->dropped++;
		return;
	}
	va_start(ap, fmt);
	record(&errs->e[errs->n++], at, fmt, ap);
	va_end(ap);
}

void topo_warn(struct topo_errors *errs, struct pos at, const char *fmt, ...)
{
	va_list ap;

	if (errs->n_warn >= TOPO_MAX_WARNINGS) {
		errs->warn_dropped++;
		return;
	}
	va_start(ap, fmt);
	record(&errs->w[errs->n_warn++], at, fmt, ap);
	va_end(ap);
}

static void sort_list(struct topo_error *e, int n)
{
	for (int i = 1; i < n; i++) {
		struct topo_error tmp = e[i];
		int j = i - 1;

		while (j >= 0 &&
		       (e[j].line > tmp.line || (e[j].line == tmp.line && e[j].col > tmp.col))) {
			e[j + 1] = e[j];
			j--;
		}
		e[j + 1] = tmp;
	}
}

/* Orders problems by place (stable: same place keeps the order found). */
void topo_sort_errors(struct topo_errors *errs)
{
	sort_list(errs->e, errs->n);
	sort_list(errs->w, errs->n_warn);
}

static void format_one(const struct topo_error *e, const char *kind, const char *file, char *buf,
		       size_t len)
{
	char f[512];

	utf8_escape(f, sizeof(f), file ? file : "-");
	if (e->line > 0)
		snprintf(buf, len, "%s:%d:%d: %s%s", f, e->line, e->col, kind, e->msg);
	else
		snprintf(buf, len, "%s: %s%s", f, kind, e->msg);
	utf8_trim_cut(buf);
}

void topo_error_format(const struct topo_errors *errs, int i, const char *file, char *buf,
		       size_t len)
{
	if (!buf || len == 0)
		return;
	if (!errs || i < 0 || i >= errs->n) {
		buf[0] = '\0';
		return;
	}
	format_one(&errs->e[i], "", file, buf, len);
}

void topo_warning_format(const struct topo_errors *errs, int i, const char *file, char *buf,
			 size_t len)
{
	if (!buf || len == 0)
		return;
	if (!errs || i < 0 || i >= errs->n_warn) {
		buf[0] = '\0';
		return;
	}
	format_one(&errs->w[i], "warning: ", file, buf, len);
}

struct key_ref {
	const char *k;
	size_t idx;
};

static int key_ref_cmp(const void *a, const void *b)
{
	const struct key_ref *x = a, *y = b;
	int d = strcmp(x->k, y->k);

	return d ? d : x->idx < y->idx ? -1 : x->idx > y->idx;
}

yaml_node_t **topo_first_keys(struct pctx *c, yaml_node_t *m)
{
	size_t n = (size_t)(m->data.mapping.pairs.top - m->data.mapping.pairs.start), k = 0;
	yaml_node_t **first = calloc(n ? n : 1, sizeof(*first));
	struct key_ref *r = calloc(n ? n : 1, sizeof(*r));

	if (!first || !r) {
		free(first);
		free(r);
		topo_err(c->errs, ypos(m), "out of memory while checking the keys of a mapping");
		return NULL;
	}
	/* sorted by text, then place: each run of one text starts with its first */
	for (size_t i = 0; i < n; i++) {
		const char *s = ystr(ynode(c, m->data.mapping.pairs.start[i].key));

		if (s)
			r[k++] = (struct key_ref){s, i};
	}
	qsort(r, k, sizeof(*r), key_ref_cmp);
	for (size_t i = 1; i < k; i++)
		if (!strcmp(r[i].k, r[i - 1].k)) {
			size_t f = r[i - 1].idx;

			first[r[i].idx] = first[f] ? first[f]
						   : ynode(c, m->data.mapping.pairs.start[f].key);
		}
	free(r);
	return first;
}

bool topo_depth_ok(const char *text, size_t len, int max, struct topo_errors *errs)
{
	yaml_parser_t p;
	yaml_event_t ev;
	int depth = 0;
	bool ok = true, more = true;

	if (!yaml_parser_initialize(&p))
		return true; /* the load that follows reports it */
	yaml_parser_set_input_string(&p, (const unsigned char *)text, len);
	while (more && yaml_parser_parse(&p, &ev)) {
		if (ev.type == YAML_SEQUENCE_START_EVENT || ev.type == YAML_MAPPING_START_EVENT) {
			if (++depth > max) {
				topo_err(errs,
					 (struct pos){(int)ev.start_mark.line + 1,
						      (int)ev.start_mark.column + 1},
					 "nesting deeper than %d levels: a topology needs a handful; "
					 "close the brackets or indents opened before",
					 max);
				ok = false;
				more = false;
			}
		} else if (ev.type == YAML_SEQUENCE_END_EVENT || ev.type == YAML_MAPPING_END_EVENT) {
			depth--;
		}
		more = more && ev.type != YAML_STREAM_END_EVENT;
		yaml_event_delete(&ev);
	}
	/* a syntax error stops this pass: the load that follows reports it */
	yaml_parser_delete(&p);
	return ok;
}

/* Levenshtein distance, capped: enough to suggest a key for a typo. */
static int edit_distance(const char *a, const char *b)
{
	int prev[32], cur[32];
	size_t la = strlen(a), lb = strlen(b);

	if (la >= 31 || lb >= 31)
		return 99;
	for (size_t j = 0; j <= lb; j++)
		prev[j] = (int)j;
	for (size_t i = 1; i <= la; i++) {
		cur[0] = (int)i;
		for (size_t j = 1; j <= lb; j++) {
			int d = prev[j - 1] + (a[i - 1] != b[j - 1]);

			if (prev[j] + 1 < d)
				d = prev[j] + 1;
			if (cur[j - 1] + 1 < d)
				d = cur[j - 1] + 1;
			cur[j] = d;
		}
		memcpy(prev, cur, sizeof(prev));
	}
	return prev[lb];
}

/* Reports keys of mapping m that are not strings, not in `valid`, or given
 * twice. `what` names the owner, e.g. `node "r1"`. */
void topo_check_keys(struct pctx *c, yaml_node_t *m, const char *const *valid, const char *what)
{
	yaml_node_t **firsts = topo_first_keys(c, m);

	MAP_FOREACH(c, m, p)
	{
		yaml_node_t *kn = ynode(c, p->key), *first;
		const char *k = ystr(kn);
		char list[160] = "", hint[48] = "";
		bool known = false;
		size_t off = 0;
		int best = 3;

		if (!k) {
			topo_err(c->errs, ypos(kn), "%s: a key must be a plain word, not %s", what,
				 ykind(kn));
			continue;
		}
		for (int i = 0; valid[i]; i++) {
			int d;

			if (!strcmp(k, valid[i]))
				known = true;
			off += (size_t)snprintf(list + off,
						off < sizeof(list) ? sizeof(list) - off : 0, "%s%s",
						i ? ", " : "", valid[i]);
			d = edit_distance(k, valid[i]);
			if (d < best) {
				best = d;
				snprintf(hint, sizeof(hint), "did you mean \"%s\"? ", valid[i]);
			}
		}
		if (!known) {
			topo_err(c->errs, ypos(kn), "%s: unknown key \"%.40s\": %svalid keys: %s",
				 what, k, hint, list);
			continue;
		}
		first = firsts ? firsts[p - m->data.mapping.pairs.start] : NULL;
		if (first)
			topo_err(c->errs, ypos(kn),
				 "%s: key \"%s\" is given twice (first at line %d): keep one", what,
				 k, ypos(first).line);
	}
	free(firsts);
}

/* Value of the first `key` in mapping m, or NULL. */
yaml_node_t *topo_map_get(struct pctx *c, yaml_node_t *m, const char *key)
{
	if (!m || m->type != YAML_MAPPING_NODE)
		return NULL;
	MAP_FOREACH(c, m, p)
	{
		const char *k = ystr(ynode(c, p->key));

		if (k && !strcmp(k, key))
			return ynode(c, p->value);
	}
	return NULL;
}

/* Key node of the first `key` in mapping m, or NULL. */
yaml_node_t *topo_map_key(struct pctx *c, yaml_node_t *m, const char *key)
{
	if (!m || m->type != YAML_MAPPING_NODE)
		return NULL;
	MAP_FOREACH(c, m, p)
	{
		const char *k = ystr(ynode(c, p->key));

		if (k && !strcmp(k, key))
			return ynode(c, p->key);
	}
	return NULL;
}

/* Text of scalar v; else reports "WHAT: KEY must be DESC (got ...)" and
 * returns NULL. */
const char *topo_want_str(struct pctx *c, yaml_node_t *v, const char *what, const char *key,
			  const char *desc)
{
	if (v && v->type == YAML_SCALAR_NODE && !ynull(v))
		return (const char *)v->data.scalar.value;
	topo_err(c->errs, ypos(v), "%s: %s must be %s (got %s)", what, key, desc, ykind(v));
	return NULL;
}

/* Decimal unsigned integer without sign or spaces, at most max. */
static bool parse_uint(const char *s, unsigned long long max, unsigned long long *out)
{
	unsigned long long v = 0;

	if (!s || !*s || strlen(s) > 12)
		return false;
	for (const char *p = s; *p; p++) {
		if (*p < '0' || *p > '9')
			return false;
		v = v * 10 + (unsigned long long)(*p - '0');
	}
	if (v > max)
		return false;
	*out = v;
	return true;
}

/* Integer value in min..max; reports "WHAT: KEY must be an integer MIN-MAX". */
bool topo_want_uint(struct pctx *c, yaml_node_t *v, const char *what, const char *key,
		    unsigned long long min, unsigned long long max, unsigned long long *out)
{
	const char *s = ystr(v);

	if (s && !ynull(v) && parse_uint(s, max, out) && *out >= min)
		return true;
	if (s && !ynull(v))
		topo_err(c->errs, ypos(v), "%s: %s must be an integer %llu-%llu (got \"%.40s\")",
			 what, key, min, max, s);
	else
		topo_err(c->errs, ypos(v), "%s: %s must be an integer %llu-%llu (got %s)", what,
			 key, min, max, ykind(v));
	return false;
}

bool topo_want_bool(struct pctx *c, yaml_node_t *v, const char *what, const char *key, bool *out)
{
	const char *s = ystr(v);

	if (s && (!strcmp(s, "true") || !strcmp(s, "True") || !strcmp(s, "TRUE"))) {
		*out = true;
		return true;
	}
	if (s && (!strcmp(s, "false") || !strcmp(s, "False") || !strcmp(s, "FALSE"))) {
		*out = false;
		return true;
	}
	topo_err(c->errs, ypos(v), "%s: %s must be true or false (got %s%.40s%s)", what, key,
		 s && !ynull(v) ? "\"" : "", s && !ynull(v) ? s : ykind(v),
		 s && !ynull(v) ? "\"" : "");
	return false;
}

void topo_print_warnings(const struct topo_errors *errs, const char *file, FILE *f)
{
	char line[TOPO_MSG_MAX + 600];

	for (int i = 0; i < errs->n_warn; i++) {
		topo_warning_format(errs, i, file, line, sizeof(line));
		fprintf(f, "%s\n", line);
	}
	if (errs->warn_dropped)
		fprintf(f, "%s: ... and %d more warnings\n", file, errs->warn_dropped);
}
