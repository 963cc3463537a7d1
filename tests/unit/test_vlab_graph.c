/* Unit tests of `vlab graph` rendering (control/graph.c): Graphviz dot and
 * Mermaid text for a small lab, escaping of odd names, format names.
 * Topologies are built in C, not parsed.
 *
 * Threads: cmocka runs every test on the main thread. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "graph.h"
#include "topo_build.h"

/* red (vni 10, 10.0.1.0/24) with h1; r1 (vm, forward) on red and blue (vni
 * 20, no subnet); r1's eth1 has two addresses. */
static struct topo *lab(void)
{
	struct topo *t = calloc(1, sizeof(*t));
	struct node *n;

	assert_non_null(t);
	snprintf(t->name, sizeof(t->name), "demo");
	add_net(t, "red", 10, "10.0.1.0/24");
	add_net(t, "blue", 20, "");
	n = add_node(t, "h1", NODE_HOST);
	add_nic(n, "eth0", "red", "10.0.1.2/24");
	n = add_node(t, "r1", NODE_VM);
	n->ip_forward = true;
	add_nic(n, "eth0", "red", "10.0.1.1/24");
	add_nic(n, "eth1", "blue", "10.0.2.1/24");
	snprintf(n->nics[1].addrs[n->nics[1].n_addrs++], NODE_ADDR_MAX, "2001:db8::1/64");
	return t;
}

static char *render(const struct topo *t, enum graph_format f)
{
	char *buf = NULL;
	size_t len;
	FILE *out = open_memstream(&buf, &len);

	assert_non_null(out);
	assert_int_equal(graph_render(t, f, out), 0);
	fclose(out);
	return buf;
}

static void test_dot(void **state)
{
	struct topo *t = lab();
	char *s = render(t, GRAPH_DOT);

	assert_string_equal(
		s, "graph \"demo\" {\n"
		   "\tgraph [rankdir=LR];\n"
		   "\t\"net:red\" [shape=ellipse, label=\"red\\nvni 10\\n10.0.1.0/24\"];\n"
		   "\t\"net:blue\" [shape=ellipse, label=\"blue\\nvni 20\"];\n"
		   "\t\"node:h1\" [shape=box, style=rounded, label=\"h1\\nhost\"];\n"
		   "\t\"node:r1\" [shape=box, label=\"r1\\nvm, forward\"];\n"
		   "\t\"node:h1\" -- \"net:red\" [label=\"eth0\\n10.0.1.2/24\"];\n"
		   "\t\"node:r1\" -- \"net:red\" [label=\"eth0\\n10.0.1.1/24\"];\n"
		   "\t\"node:r1\" -- \"net:blue\" [label=\"eth1\\n10.0.2.1/24\\n2001:db8::1/64\"];\n"
		   "}\n");
	free(s);
	free(t);
}

static void test_mermaid(void **state)
{
	struct topo *t = lab();
	char *s = render(t, GRAPH_MERMAID);

	assert_string_equal(s, "graph LR\n"
			       "%% lab demo\n"
			       "\tnet0_red([\"red<br/>vni 10<br/>10.0.1.0/24\"])\n"
			       "\tnet1_blue([\"blue<br/>vni 20\"])\n"
			       "\tnode0_h1(\"h1<br/>host\")\n"
			       "\tnode1_r1[\"r1<br/>vm, forward\"]\n"
			       "\tnode0_h1 ---|\"eth0<br/>10.0.1.2/24\"| net0_red\n"
			       "\tnode1_r1 ---|\"eth0<br/>10.0.1.1/24\"| net0_red\n"
			       "\tnode1_r1 ---|\"eth1<br/>10.0.2.1/24<br/>2001:db8::1/64\"| net1_blue\n");
	free(s);
	free(t);
}

static void test_escaping(void **state)
{
	struct topo *t = calloc(1, sizeof(*t));
	struct node *n;
	char *s;

	assert_non_null(t);
	snprintf(t->name, sizeof(t->name), "a\"b\\c");
	add_net(t, "we\"ird", 5, "");
	add_net(t, "end", 6, "");
	n = add_node(t, "n.1-x<y>", NODE_VM);
	add_nic(n, "e|0#", "we\"ird", NULL);
	add_nic(n, "e1", "end", NULL);
	n->nics[1].link_down = true;
	n = add_node(t, "tab\there", NODE_HOST);

	s = render(t, GRAPH_DOT);
	assert_non_null(strstr(s, "graph \"a\\\"b\\\\c\" {\n"));
	assert_non_null(
	    strstr(s, "\t\"net:we\\\"ird\" [shape=ellipse, label=\"we\\\"ird\\nvni 5\"];\n"));
	assert_non_null(strstr(s, "\t\"node:n.1-x<y>\" -- \"net:we\\\"ird\" [label=\"e|0#\"];\n"));
	assert_non_null(strstr(s, "[label=\"e1\\n(down)\"];\n"));
	assert_non_null(strstr(s, "\"node:tab here\""));
	free(s);

	s = render(t, GRAPH_MERMAID);
	assert_non_null(strstr(s, "%% lab a#34;b\\c\n"));
	assert_non_null(strstr(s, "\tnet0_we_ird([\"we#34;ird<br/>vni 5\"])\n"));
	/* "end" is a Mermaid keyword: the id never is one */
	assert_non_null(strstr(s, "\tnet1_end([\"end<br/>vni 6\"])\n"));
	assert_non_null(strstr(s, "\tnode0_n_1_x_y_[\"n.1-x#60;y#62;<br/>vm\"]\n"));
	assert_non_null(strstr(s, "\tnode0_n_1_x_y_ ---|\"e#124;0#35;\"| net0_we_ird\n"));
	assert_non_null(strstr(s, "\tnode0_n_1_x_y_ ---|\"e1<br/>(down)\"| net1_end\n"));
	assert_non_null(strstr(s, "\tnode1_tab_here(\"tab here<br/>host\")\n"));
	free(s);
	free(t);
}

static void test_empty_and_errors(void **state)
{
	struct topo *t = calloc(1, sizeof(*t));
	char *s;

	assert_non_null(t);
	s = render(t, GRAPH_DOT);
	assert_string_equal(s, "graph \"lab\" {\n\tgraph [rankdir=LR];\n}\n");
	free(s);
	s = render(t, GRAPH_MERMAID);
	assert_string_equal(s, "graph LR\n%% lab lab\n");
	free(s);
	assert_int_equal(graph_render(NULL, GRAPH_DOT, stdout), -EINVAL);
	assert_int_equal(graph_render(t, GRAPH_DOT, NULL), -EINVAL);
	assert_int_equal(graph_render(t, (enum graph_format)7, stdout), -EINVAL);
	free(t);
}

static void test_format_parse(void **state)
{
	enum graph_format f = GRAPH_MERMAID;

	assert_int_equal(graph_format_parse("dot", &f), 0);
	assert_int_equal(f, GRAPH_DOT);
	assert_int_equal(graph_format_parse("mermaid", &f), 0);
	assert_int_equal(f, GRAPH_MERMAID);
	assert_int_equal(graph_format_parse("graphviz", &f), 0);
	assert_int_equal(f, GRAPH_DOT);
	f = GRAPH_MERMAID;
	assert_int_equal(graph_format_parse("png", &f), -EINVAL);
	assert_int_equal(graph_format_parse("", &f), -EINVAL);
	assert_int_equal(graph_format_parse("DOT ", &f), -EINVAL);
	assert_int_equal(graph_format_parse(NULL, &f), -EINVAL);
	assert_int_equal(f, GRAPH_MERMAID);
	assert_string_equal(graph_format_name(GRAPH_DOT), "dot");
	assert_string_equal(graph_format_name(GRAPH_MERMAID), "mermaid");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dot),
		cmocka_unit_test(test_mermaid),
		cmocka_unit_test(test_escaping),
		cmocka_unit_test(test_empty_and_errors),
		cmocka_unit_test(test_format_parse),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
