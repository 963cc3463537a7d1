/* `vlab graph`: draws a topology as Graphviz dot or as a Mermaid flowchart.
 * Networks are one shape (name, VNI, subnet), nodes another (name, kind,
 * "forward" for routers), and each interface is an edge between its node and
 * its network labelled with the interface name and addresses.
 *
 * Pure: reads a model and writes text to the FILE it is given. Runs on the
 * caller's thread. */
#ifndef VLAB_GRAPH_H
#define VLAB_GRAPH_H

#include <stdio.h>

#include "topo.h"

enum graph_format {
	GRAPH_DOT,     /* Graphviz: `graph "LAB" { ... }`, ids "net:NAME" / "node:NAME" */
	GRAPH_MERMAID, /* Mermaid `graph LR`, ids net<i>_NAME / node<i>_NAME ([A-Za-z0-9_]) */
};

/* Writes the graph of t to out. Labels are quoted and escaped for the
 * format, so any name renders. Returns 0, -EINVAL (NULL argument or unknown
 * format) or -EIO (the stream reported an error). */
int graph_render(const struct topo *t, enum graph_format f, FILE *out);

/* "dot" (or "graphviz") -> GRAPH_DOT, "mermaid" -> GRAPH_MERMAID.
 * Returns 0 or -EINVAL. */
int graph_format_parse(const char *s, enum graph_format *f);

/* "dot" or "mermaid" ("?" for an unknown value). */
const char *graph_format_name(enum graph_format f);

#endif /* VLAB_GRAPH_H */
