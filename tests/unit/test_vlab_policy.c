/* Unit tests of the topology's policies: the policies: section parsed into
 * the model (names in src/dst resolved to prefixes, apply expanded), its
 * errors at their place, shadowed rules as warnings, a policies-only file
 * against a running lab, and the plan that brings the switch's policies to
 * the file's (polsw.h). Pure; cmocka's thread. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "polsw.h"
#include "topo.h"

static const char base[] =
    "name: lab1\n"
    "networks:\n"
    "  red: { subnet: 10.0.0.0/24 }\n"
    "  blue: { subnet: 10.1.0.0/24 }\n"
    "nodes:\n"
    "  a1: { interfaces: [ { network: red, ip: [10.0.0.1/24, \"fd00::1/64\"] } ] }\n"
    "  a2: { kind: host, interfaces: [ { network: red } ] }\n"
    "  b1: { kind: host, interfaces: [ { network: blue }, { network: red } ] }\n";

struct parsed {
	struct topo *t;
	struct topo_errors *e;
	int rc;
};

static struct parsed parse(const char *policies)
{
	struct parsed p = {topo_new(), calloc(1, sizeof(struct topo_errors)), 0};
	char *text = malloc(strlen(base) + strlen(policies) + 1);

	assert_non_null(p.t);
	assert_non_null(p.e);
	strcpy(text, base);
	strcat(text, policies);
	p.rc = topo_parse(text, strlen(text), p.t, p.e);
	free(text);
	return p;
}

static void done(struct parsed *p)
{
	topo_free(p->t);
	free(p->e);
}

/* The problem (or, warn: the warning) at line:col contains `text`. */
static void has(const struct parsed *p, bool warn, int line, int col, const char *text)
{
	const struct topo_error *e = warn ? p->e->w : p->e->e;
	int n = warn ? p->e->n_warn : p->e->n;

	for (int i = 0; i < n; i++)
		if (e[i].line == line && e[i].col == col && strstr(e[i].msg, text))
			return;
	for (int i = 0; i < n; i++)
		print_message("  %d:%d: %s\n", e[i].line, e[i].col, e[i].msg);
	fail_msg("no %s at %d:%d containing \"%s\"", warn ? "warning" : "problem", line, col, text);
}

static char *rules_text(const struct topo_policy *tp)
{
	return json_dumps(tp->rules, JSON_COMPACT);
}

static void test_parse(void **state)
{
	struct parsed p =
	    parse("policies:\n"
		  "  web-only:\n"
		  "    apply: [ { network: red, direction: in }, { node: b1, direction: both } ]\n"
		  "    default: drop\n"
		  "    rules:\n"
		  "      - { action: allow, ethertype: arp }\n"
		  "      - { action: allow, proto: icmp, src: a1 }\n"
		  "      - { action: allow, proto: tcp, src: a1:eth0, dst: a2, dport: 80, "
		  "stateful: true }\n"
		  "      - { action: rate-limit, proto: udp, rate: 1000pps, dst: blue }\n"
		  "      - { action: drop, src: [ red, 192.168.0.0/16 ], dport: \"1000-2000\", "
		  "proto: tcp }\n"
		  "  quiet: { apply: [ { port: \"a2:eth0\", direction: out } ] }\n");
	const struct topo_policy *tp;
	char *s;

	assert_int_equal(p.rc, 0);
	assert_int_equal(p.e->n_warn, 0);
	assert_int_equal(p.t->n_policies, 2);
	tp = &p.t->policies[0];
	assert_string_equal(tp->name, "web-only");
	assert_string_equal(tp->def, "drop");
	assert_int_equal(tp->line, 10);
	/* network red in; both of b1's interfaces, in and out */
	assert_int_equal(tp->n_apply, 5);
	assert_true(tp->apply[0].network);
	assert_string_equal(tp->apply[0].net, "red");
	assert_false(tp->apply[0].out);
	assert_false(tp->apply[1].network);
	assert_string_equal(tp->apply[1].node, "b1");
	assert_string_equal(tp->apply[1].ifname, "eth0");
	assert_string_equal(tp->apply[2].ifname, "eth1");
	assert_true(tp->apply[3].out);
	s = rules_text(tp);
	assert_string_equal(
	    s,
	    "[{\"action\":\"allow\",\"ethertype\":\"arp\"},"
	    "{\"action\":\"allow\",\"proto\":\"icmp\",\"src\":[\"10.0.0.1/32\",\"fd00::1/128\"]},"
	    "{\"action\":\"allow\",\"proto\":\"tcp\",\"src\":[\"10.0.0.1/32\",\"fd00::1/128\"],"
	    "\"dst\":\"10.0.0.2/32\",\"dport\":80,\"stateful\":true},"
	    "{\"action\":\"rate-limit\",\"proto\":\"udp\",\"rate\":\"1000pps\",\"dst\":"
	    "\"10.1.0.0/24\"},"
	    "{\"action\":\"drop\",\"src\":[\"10.0.0.0/24\",\"fd00::/64\",\"192.168.0.0/16\"],"
	    "\"dport\":\"1000-2000\",\"proto\":\"tcp\"}]");
	free(s);
	tp = &p.t->policies[1];
	assert_string_equal(tp->def, "allow");
	assert_int_equal(tp->n_apply, 1);
	assert_string_equal(tp->apply[0].node, "a2");
	assert_true(tp->apply[0].out);
	assert_int_equal(json_array_size(tp->rules), 0);
	assert_int_equal(topo_policy_find(p.t, "quiet"), 1);
	done(&p);
}

static void test_errors(void **state)
{
	struct parsed p = parse(
	    "policies:\n"
	    "  p1:\n" /* 10 */
	    "    apply: [ { network: green, direction: in }, { port: a1:eth3, direction: out } ]\n"
	    "    default: deny\n"
	    "    rules:\n"
	    "      - { action: allow, proto: tcp, dport: 99999 }\n" /* 14 */
	    "      - { action: permit }\n"
	    "      - { action: allow, src: a9 }\n"
	    "      - { action: allow, srcc: a1 }\n"
	    "      - { action: rate-limit, proto: udp }\n" /* 18 */
	    "      - { action: allow, stateful: yes }\n"
	    "  p2: { apply: [ { network: red, direction: in } ] }\n" /* 20 */
	    "  p3: { apply: [ { network: red, direction: sideways } ], colour: red }\n"
	    "  p4: { apply: [ { network: red, direction: in } ] }\n"
	    "  p2: {}\n"
	    "  bad/name: {}\n"
	    "  a-very-long-policy-name-here: {}\n"); /* 25 */

	assert_int_equal(p.rc, -EINVAL);
	has(&p, false, 11, 25, "network \"green\" is not defined (networks: red, blue)");
	has(&p, false, 11, 57, "node \"a1\" has no interface \"eth3\" (interfaces: eth0)");
	has(&p, false, 12, 14, "default must be allow, drop or reject (got \"deny\")");
	has(&p, false, 14, 45, "policy \"p1\": rule 1: \"dport\": must be a port");
	has(&p, false, 15, 19, "rule 2: \"action\": must be one of allow");
	has(&p, false, 16, 31, "rule 3: src: \"a9\" is not a prefix");
	has(&p, false, 16, 31, "(nodes: a1, a2, b1; networks: red, blue)");
	has(&p, false, 17, 26, "unknown key \"srcc\": did you mean \"src\"?");
	has(&p, false, 18, 9, "a rate-limit rule needs \"rate\"");
	has(&p, false, 19, 36, "\"stateful\": must be true or false");
	has(&p, false, 21, 45, "direction must be in, out or both");
	has(&p, false, 21, 59, "unknown key \"colour\"");
	has(&p, false, 22, 18, "network red already has policy \"p2\" for direction in (line 20)");
	has(&p, false, 23, 3, "policy \"p2\" is defined twice (first at line 20)");
	has(&p, false, 24, 3, "policy name \"bad/name\" is not valid");
	has(&p, false, 25, 3, "switch name lab1.a-very-long-policy-name-here is longer than 31");
	done(&p);

	/* a node without addresses, a node that is also a network, limits */
	p = parse("policies: { x: { apply: { network: red, direction: in }, rules: [ { action: "
		  "allow, src: [ a1, a2, b1, 10.0.0.0/8 ], dst: fd00::/64 } ] } }\n");
	assert_int_equal(p.rc, 0);
	done(&p);
	p = parse("policies: [ x ]\n");
	has(&p, false, 9, 11, "policies must be a mapping");
	done(&p);
}

static void test_warnings(void **state)
{
	struct parsed p = parse("policies:\n"
				"  w:\n"
				"    apply: [ { network: red, direction: out } ]\n"
				"    rules:\n"
				"      - { action: drop, proto: tcp }\n"
				"      - { action: count, proto: udp }\n"
				"      - { action: allow, proto: tcp, dport: 22 }\n"
				"      - { action: allow, proto: udp, dport: 53 }\n"
				"  nowhere: { rules: [ { action: drop } ] }\n");
	char line[512];

	assert_int_equal(p.rc, 0);
	assert_int_equal(p.e->n_warn, 2);
	/* rule 3 is shadowed; rule 4 is not (count goes on) */
	has(&p, true, 15, 9, "policy \"w\": rule 3 can never match: rule 1 (line 13)");
	has(&p, true, 17, 3, "policy \"nowhere\" applies nowhere");
	topo_warning_format(p.e, 0, "f.yaml", line, sizeof(line));
	assert_non_null(strstr(line, "f.yaml:15:9: warning: policy \"w\": rule 3"));
	done(&p);
}

static void test_policies_only(void **state)
{
	struct parsed p =
	    parse("policies: { old: { apply: [ { network: red, direction: in } ] } }\n");
	const char ok[] = "policies:\n  new: { apply: [ { node: a2, direction: in } ], rules: [ { "
			  "action: drop, src: b1 } ] }\n";
	const char bad[] =
	    "name: other\npolicies:\n  n: { rules: [ { action: allow, src: zz } ] }\n";
	const char extra[] = "policies: {}\nnetworks: {}\n";

	assert_int_equal(p.rc, 0);
	assert_int_equal(topo_parse_policies(bad, strlen(bad), p.t, p.e), -EINVAL);
	has(&p, false, 1, 7, "the file is lab \"other\"'s, not lab \"lab1\"'s");
	has(&p, false, 3, 39, "\"zz\" is not a prefix");
	/* the lab's policies stay as they were */
	assert_int_equal(p.t->n_policies, 1);
	assert_string_equal(p.t->policies[0].name, "old");
	assert_int_equal(topo_parse_policies(extra, strlen(extra), p.t, p.e), -EINVAL);
	has(&p, false, 2, 1, "unknown key \"networks\"");
	assert_int_equal(topo_parse_policies(ok, strlen(ok), p.t, p.e), 0);
	assert_int_equal(p.t->n_policies, 1);
	assert_string_equal(p.t->policies[0].name, "new");
	assert_string_equal(p.t->policies[0].apply[0].node, "a2");
	assert_int_equal(topo_policy_find(p.t, "old"), -1);
	done(&p);
}

static void test_switch_plan(void **state)
{
	struct parsed p =
	    parse("policies:\n"
		  "  same: { apply: [ { network: red, direction: in } ], default: drop }\n"
		  "  changed: { apply: [ { port: \"a2:eth0\", direction: out } ] }\n"
		  "  fresh: { rules: [ { action: allow } ] }\n");
	struct polsw_action *a;
	json_t *same = polsw_params("lab1", &p.t->policies[0]);
	json_t *changed = polsw_params("lab1", &p.t->policies[1]);
	json_t *list = json_array(), *gone = json_pack("{s:s,s:s,s:[],s:[]}", "name", "lab1.gone",
						       "default", "allow", "rules", "apply");
	json_t *other = json_pack("{s:s}", "name", "lab2.same");
	struct topo_policy *back;
	char name[64];
	int n, nb;

	assert_int_equal(p.rc, 0);
	assert_string_equal(json_string_value(json_object_get(same, "name")), "lab1.same");
	assert_string_equal(json_string_value(json_object_get(
				json_array_get(json_object_get(changed, "apply"), 0), "port")),
			    "lab1.a2-eth0");
	/* the switch lists rules with counters */
	json_array_append_new(
	    json_object_get(changed, "rules"),
	    json_pack("{s:s,s:i,s:i}", "action", "drop", "packets", 3, "bytes", 9));
	json_array_append(list, same);
	json_array_append(list, changed);
	json_array_append(list, gone);
	json_array_append(list, other);
	n = polsw_plan("lab1", p.t, list, &a);
	assert_int_equal(n, 3);
	assert_int_equal(a[0].op, POLSW_DEL);
	assert_string_equal(a[0].sw, "lab1.gone");
	assert_int_equal(a[1].op, POLSW_SET);
	assert_string_equal(a[1].name, "changed");
	assert_string_equal(a[1].why, "changed: rules");
	assert_string_equal(a[2].name, "fresh");
	assert_string_equal(a[2].why, "new");
	free(a);

	/* the way back: the lab's names */
	assert_int_equal(polsw_from_list("lab1", p.t, list, &back, &nb), 0);
	assert_int_equal(nb, 3);
	assert_string_equal(back[1].name, "changed");
	assert_int_equal(back[1].n_apply, 1);
	assert_string_equal(back[1].apply[0].node, "a2");
	assert_string_equal(back[1].apply[0].ifname, "eth0");
	assert_true(back[1].apply[0].out);
	assert_null(json_object_get(json_array_get(back[1].rules, 0), "packets"));
	polsw_free(back, nb);

	assert_int_equal(polsw_name("lab1", "x", name, sizeof(name)), 0);
	assert_string_equal(name, "lab1.x");
	assert_int_equal(polsw_name("lab1", "abcdefghijklmnopqrstuvwxyz0", name, sizeof(name)),
			 -ENAMETOOLONG);
	json_decref(same);
	json_decref(changed);
	json_decref(gone);
	json_decref(other);
	json_decref(list);
	done(&p);
}

static void test_show(void **state)
{
	json_t *res = json_pack(
	    "{s:[{s:s,s:s,s:[{s:s,s:s}],s:[{s:s,s:s,s:i,s:i,s:i},{s:s,s:s,s:i,s:i}],"
	    "s:{s:i,s:i},s:{s:i,s:i}}],s:{s:i,s:i,s:i}}",
	    "policies", "name", "lab1.web", "default", "drop", "apply", "network", "lab1.red",
	    "direction", "in", "rules", "action", "allow", "proto", "tcp", "dport", 80, "packets",
	    7, "bytes", 700, "action", "count", "name", "all", "packets", 1, "bytes", 60,
	    "default_hits", "packets", 2, "bytes", 120, "related_hits", "packets", 5, "bytes", 500,
	    "conntrack", "size", 131072, "used", 3, "evicted", 0);
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	assert_int_equal(polsw_show(f, "lab1", res, NULL), 0);
	assert_int_equal(polsw_show(f, "lab1", res, "nope"), -ENOENT);
	fclose(f);
	assert_string_equal(out,
			    "policy web (switch: lab1.web): default drop; applies to network "
			    "red in\n"
			    "#  NAME       ACTION  MATCH                            PACKETS  "
			    "BYTES\n"
			    "1  -          allow   proto tcp dport 80                     7    "
			    "700\n"
			    "2  all        count   any                                    1     "
			    "60\n"
			    "   (default)  drop    no rule matched                        2    "
			    "120\n"
			    "   (related)  allow   replies of stateful connections        5    "
			    "500\n"
			    "\nconntrack: 3 of 131072 connections in use, 0 evicted\n");
	free(out);
	json_decref(res);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse),	cmocka_unit_test(test_errors),
	    cmocka_unit_test(test_warnings),	cmocka_unit_test(test_policies_only),
	    cmocka_unit_test(test_switch_plan), cmocka_unit_test(test_show),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
