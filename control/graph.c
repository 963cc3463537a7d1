/* `vlab graph`: topology to Graphviz dot or Mermaid text.
 *
 * Threads: the caller's. Pure: reads a model, writes only to the FILE it is
 * given. */
#include "graph.h"

#include <errno.h>
#include <string.h>

#include "kind.h"

/* Writes s inside a dot double-quoted string: '"' and '\' escaped, control
 * characters as spaces (a label's line breaks are written by the caller as
 * "\n"). */
static void dot_str(FILE *out, const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(out, "\\%c", c);
		else if (c < 0x20 || c == 0x7f)
			fputc(' ', out);
		else
			fputc(c, out);
	}
}

/* Writes s inside a Mermaid double-quoted label: characters Mermaid or the
 * HTML label would interpret become numeric entity codes (#34; for '"'). */
static void mmd_str(FILE *out, const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (strchr("\"#&<>|`;", c) && c)
			fprintf(out, "#%u;", c);
		else if (c < 0x20 || c == 0x7f)
			fputc(' ', out);
		else
			fputc(c, out);
	}
}

/* Mermaid identifier: prefix, index (keeps ids distinct), '_' and the name
 * with every character outside [A-Za-z0-9_] replaced by '_'. */
static void mmd_id(FILE *out, const char *prefix, int index, const char *name)
{
	fprintf(out, "%s%d_", prefix, index);
	for (; *name; name++) {
		unsigned char c = (unsigned char)*name;
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			  (c >= '0' && c <= '9') || c == '_';

		fputc(ok ? c : '_', out);
	}
}

static int net_index(const struct topo *t, const char *name)
{
	for (int i = 0; i < t->n_nets; i++)
		if (strcmp(t->nets[i].name, name) == 0)
			return i;
	return -1;
}

/* The text lines of labels, written with the format's escaping and line break. */
struct label_fmt {
	void (*str)(FILE *out, const char *s);
	const char *br;
};

static void net_label(FILE *out, const struct label_fmt *lf, const struct topo_net *n)
{
	lf->str(out, n->name);
	fprintf(out, "%svni %u", lf->br, n->vni);
	if (n->subnet[0]) {
		fputs(lf->br, out);
		lf->str(out, n->subnet);
	}
}

static void node_label(FILE *out, const struct label_fmt *lf, const struct node *n)
{
	lf->str(out, n->name);
	fputs(lf->br, out);
	fputs(kind_name(n->kind), out);
	if (n->ip_forward)
		fputs(", forward", out);
}

static void nic_label(FILE *out, const struct label_fmt *lf, const struct node_nic *c)
{
	lf->str(out, c->ifname);
	for (int k = 0; k < c->n_addrs && k < NODE_MAX_ADDRS; k++) {
		fputs(lf->br, out);
		lf->str(out, c->addrs[k]);
	}
	if (c->link_down)
		fprintf(out, "%s(down)", lf->br);
}

static void render_dot(const struct topo *t, FILE *out)
{
	static const struct label_fmt lf = {dot_str, "\\n"};

	fputs("graph \"", out);
	dot_str(out, t->name[0] ? t->name : "lab");
	fputs("\" {\n", out);
	fputs("\tgraph [rankdir=LR];\n", out);
	for (int i = 0; i < t->n_nets; i++) {
		fputs("\t\"net:", out);
		dot_str(out, t->nets[i].name);
		fputs("\" [shape=ellipse, label=\"", out);
		net_label(out, &lf, &t->nets[i]);
		fputs("\"];\n", out);
	}
	for (int i = 0; i < t->n_nodes; i++) {
		const struct node *n = &t->nodes[i];

		fputs("\t\"node:", out);
		dot_str(out, n->name);
		fprintf(out, "\" [shape=box%s, label=\"",
			kind_of(n->kind) && kind_of(n->kind)->graph_rounded ? ", style=rounded"
									    : "");
		node_label(out, &lf, n);
		fputs("\"];\n", out);
	}
	for (int i = 0; i < t->n_nodes; i++) {
		const struct node *n = &t->nodes[i];

		for (int j = 0; j < n->n_nics && j < NODE_MAX_NICS; j++) {
			fputs("\t\"node:", out);
			dot_str(out, n->name);
			fputs("\" -- \"net:", out);
			dot_str(out, n->nics[j].network);
			fputs("\" [label=\"", out);
			nic_label(out, &lf, &n->nics[j]);
			fputs("\"];\n", out);
		}
	}
	fputs("}\n", out);
}

static void render_mermaid(const struct topo *t, FILE *out)
{
	static const struct label_fmt lf = {mmd_str, "<br/>"};

	fputs("graph LR\n", out);
	fputs("%% lab ", out);
	mmd_str(out, t->name[0] ? t->name : "lab");
	fputc('\n', out);
	for (int i = 0; i < t->n_nets; i++) {
		fputs("\t", out);
		mmd_id(out, "net", i, t->nets[i].name);
		fputs("([\"", out);
		net_label(out, &lf, &t->nets[i]);
		fputs("\"])\n", out);
	}
	for (int i = 0; i < t->n_nodes; i++) {
		const struct node *n = &t->nodes[i];
		bool rounded = kind_of(n->kind) && kind_of(n->kind)->graph_rounded;

		fputs("\t", out);
		mmd_id(out, "node", i, n->name);
		fputs(rounded ? "(\"" : "[\"", out);
		node_label(out, &lf, n);
		fputs(rounded ? "\")\n" : "\"]\n", out);
	}
	for (int i = 0; i < t->n_nodes; i++) {
		const struct node *n = &t->nodes[i];

		for (int j = 0; j < n->n_nics && j < NODE_MAX_NICS; j++) {
			int k = net_index(t, n->nics[j].network);

			fputs("\t", out);
			mmd_id(out, "node", i, n->name);
			fputs(" ---|\"", out);
			nic_label(out, &lf, &n->nics[j]);
			fputs("\"| ", out);
			if (k >= 0)
				mmd_id(out, "net", k, n->nics[j].network);
			else /* undefined network: a plain box named after it */
				mmd_id(out, "undef", 0, n->nics[j].network);
			fputc('\n', out);
		}
	}
}

int graph_render(const struct topo *t, enum graph_format f, FILE *out)
{
	if (!t || !out || t->n_nets < 0 || t->n_nets > TOPO_MAX_NETS || t->n_nodes < 0 ||
	    t->n_nodes > TOPO_MAX_NODES)
		return -EINVAL;
	switch (f) {
	case GRAPH_DOT:
		render_dot(t, out);
		break;
	case GRAPH_MERMAID:
		render_mermaid(t, out);
		break;
	default:
		return -EINVAL;
	}
	return ferror(out) ? -EIO : 0;
}

int graph_format_parse(const char *s, enum graph_format *f)
{
	if (!s || !f)
		return -EINVAL;
	if (strcmp(s, "dot") == 0 || strcmp(s, "graphviz") == 0)
		*f = GRAPH_DOT;
	else if (strcmp(s, "mermaid") == 0)
		*f = GRAPH_MERMAID;
	else
		return -EINVAL;
	return 0;
}

const char *graph_format_name(enum graph_format f)
{
	switch (f) {
	case GRAPH_DOT:
		return "dot";
	case GRAPH_MERMAID:
		return "mermaid";
	}
	return "?";
}
