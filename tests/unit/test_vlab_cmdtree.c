/* Unit tests of vlab's command tree (control/vlab_cmds.c over cmdtree.c):
 * walking to local commands (`vm start`), groups opened from another file
 * (`switch`, `vm`), aliases, `help WORDS`, the errors for unknown and missing
 * words, and the help of the top level and of the vm group, which must list
 * every command.
 *
 * Threads: cmocka runs every test on the main thread; nothing is run, no
 * switch, no socket. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "args.h"
#include "cmdtree.h"
#include "labctl.h"
#include "switch_cmd.h"
#include "vlab_cmds.h"
#include "vm_cmd.h"

#define MAX_ARGV 16

struct walk {
	int ret;
	int used;
	struct cmd_pos pos;
	char err[ARGS_ERR_LEN];
};

/* Walks vlab's tree over a space-separated command line. */
static void walk(const char *line, struct walk *w)
{
	char buf[256], *argv[MAX_ARGV], *save = NULL;
	int argc = 0;

	snprintf(buf, sizeof(buf), "%s", line);
	for (char *t = strtok_r(buf, " ", &save); t; t = strtok_r(NULL, " ", &save)) {
		assert_true(argc < MAX_ARGV);
		argv[argc++] = t;
	}
	memset(w, 0, sizeof(*w));
	w->ret =
	    cmd_walk(vlab_root(), "vlab", argc, argv, &w->pos, &w->used, w->err, sizeof(w->err));
}

/* What cmd_help() or cmd_usage() prints for pos; free() it. */
static char *render(const struct cmd_pos *pos, void (*fn)(const struct cmd_pos *, FILE *))
{
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	assert_non_null(f);
	fn(pos, f);
	fclose(f);
	return out;
}

static void must_contain(const char *what, const char *text, const char *needle)
{
	if (!strstr(text, needle))
		fail_msg("%s does not contain '%s':\n%s", what, needle, text);
}

static void test_walk_vm_start(void **state)
{
	struct walk w;

	walk("vm start a1 --nic network=lan1 --memory 256M", &w);
	assert_int_equal(w.ret, 0);
	assert_int_equal(w.used, 2); /* the rest is start's own */
	assert_string_equal(w.pos.path, "vlab vm start");
	assert_string_equal(w.pos.node->name, "start");
	assert_non_null(w.pos.node->run);
	assert_null(w.pos.node->children);

	/* a local command's --help is its own: the walk leaves it alone */
	walk("vm start --help", &w);
	assert_int_equal(w.ret, 0);
	assert_int_equal(w.used, 2);
}

static void test_walk_every_vm_command(void **state)
{
	static const char *const names[] = {"start", "stop",	"destroy", "status",
					    "exec",  "console", "link"};
	char line[64];
	struct walk w;

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(line, sizeof(line), "vm %s NAME", names[i]);
		walk(line, &w);
		if (w.ret != 0 || strcmp(w.pos.node->name, names[i]) || !w.pos.node->run)
			fail_msg("'%s': ret %d, at %s", line, w.ret, w.pos.path);
		assert_int_equal(w.used, 2);
	}
}

static void test_walk_lab_commands(void **state)
{
	struct walk w;

	walk("up lab.yaml --workers 2", &w);
	assert_int_equal(w.ret, 0);
	assert_int_equal(w.used, 1);
	assert_ptr_equal(w.pos.node->run, labctl_up);

	/* an alias reaches the same node, named by its name */
	walk("inspect mylab", &w);
	assert_int_equal(w.ret, 0);
	assert_ptr_equal(w.pos.node->run, labctl_status);
	assert_string_equal(w.pos.path, "vlab status");

	walk("exec a1 -- ip -br addr", &w);
	assert_int_equal(w.ret, 0);
	assert_int_equal(w.used, 1);
	assert_ptr_equal(w.pos.node->run, labctl_exec);
}

static void test_walk_switch(void **state)
{
	struct swcmd_req req;
	char err[ARGS_ERR_LEN];
	char *rest[] = {"lan1", "--vni", "100"};
	struct walk w;

	walk("switch network add lan1 --vni 100", &w);
	assert_int_equal(w.ret, 0);
	assert_int_equal(w.used, 3);
	assert_string_equal(w.pos.path, "vlab switch network add");
	assert_string_equal(w.pos.node->method, "network.add");
	/* the command the walk reached builds its request from the words after it */
	assert_int_equal(swcmd_build_at(&w.pos, 3, rest, &req, err, sizeof(err)), 0);
	assert_string_equal(req.method, "network.add");
	assert_int_equal(json_integer_value(json_object_get(req.params, "vni")), 100);
	swcmd_req_clear(&req);

	/* the group's default command */
	walk("switch port", &w);
	assert_int_equal(w.ret, 0);
	assert_string_equal(w.pos.node->method, "port.list");

	walk("switch frob", &w);
	assert_int_equal(w.ret, -EINVAL);
	must_contain("error", w.err, "unknown command 'frob' for 'vlab switch'");
	assert_ptr_equal(w.pos.node, &swcmd_group);

	walk("switch network --frob", &w);
	assert_int_equal(w.ret, -EINVAL);
	must_contain("error", w.err,
		     "unknown option '--frob' for 'vlab switch network' (global options go "
		     "first: vlab [-s SOCKET] [-j] switch network ...)");
}

static void test_unknown_and_missing(void **state)
{
	struct walk w;
	char *out;

	walk("vm frob a1", &w);
	assert_int_equal(w.ret, -EINVAL);
	must_contain("error", w.err, "unknown command 'frob' for 'vlab vm'");
	must_contain("error", w.err, "start, stop, destroy, status, exec, console, link");
	assert_ptr_equal(w.pos.node, &vmcmd_group);
	out = render(&w.pos, cmd_usage);
	assert_string_equal(out, "usage: vlab vm COMMAND [ARGS]\n");
	free(out);

	walk("vm", &w);
	assert_int_equal(w.ret, -EINVAL);
	must_contain("error", w.err, "missing command after 'vlab vm'");

	walk("vm --bogus", &w);
	assert_int_equal(w.ret, -EINVAL);
	must_contain("error", w.err, "unknown option '--bogus' for 'vlab vm'");

	walk("frob", &w);
	assert_int_equal(w.ret, -EINVAL);
	must_contain("error", w.err, "unknown command 'frob' for 'vlab'");
	out = render(&w.pos, cmd_usage);
	assert_string_equal(out, "usage: vlab [OPTIONS] COMMAND [ARGS]\n");
	free(out);

	walk("", &w);
	assert_int_equal(w.ret, -EINVAL);
	must_contain("error", w.err, "missing command after 'vlab'");

	walk("help vm frob", &w);
	assert_int_equal(w.ret, -EINVAL);
	must_contain("error", w.err, "unknown command 'frob' for 'vlab vm'");
}

static void test_vm_group_help(void **state)
{
	static const char *const asks[] = {"vm --help", "vm -h", "vm help", "help vm"};
	struct walk w;
	char *out;
	int n = 0;

	for (size_t i = 0; i < sizeof(asks) / sizeof(asks[0]); i++) {
		walk(asks[i], &w);
		if (w.ret != CMD_HELP || w.pos.node != &vmcmd_group)
			fail_msg("'%s': ret %d at %s", asks[i], w.ret, w.pos.path);
	}
	out = render(&w.pos, cmd_help);
	must_contain("vm help", out, "usage: vlab vm COMMAND [ARGS]\n");
	for (const struct cmd_node *c = vmcmd_group.children; c->name; c++) {
		char line[128];

		snprintf(line, sizeof(line), "\n  %s %s ", c->name, c->args);
		must_contain("vm help", out, line);
		must_contain("vm help", out, c->summary);
		n++;
	}
	assert_int_equal(n, 7);
	must_contain("vm help", out, "  start NAME [OPTIONS]");
	must_contain("vm help", out, "  link NAME IFNAME up|down");
	must_contain("vm help", out, "Every command takes --lab LAB");
	free(out);
}

static void test_vm_command_help(void **state)
{
	struct cmd_pos pos;
	char *out;

	/* what `vlab vm start --help` prints, from the node */
	assert_int_equal(cmd_find(&vmcmd_group, "vlab vm", "start", &pos), 0);
	out = render(&pos, cmd_help);
	must_contain("start help", out, "usage: vlab vm start NAME [--lab LAB] [--kind vm|host]");
	must_contain("start help", out, "start a node and plug its NICs into the switch");
	must_contain("start help", out, "--no-wait");
	free(out);

	assert_int_equal(cmd_find(&vmcmd_group, "vlab vm", "link", &pos), 0);
	out = render(&pos, cmd_usage);
	assert_string_equal(out, "usage: vlab vm link NAME IFNAME up|down [--lab LAB]\n");
	free(out);

	assert_int_equal(cmd_find(&vmcmd_group, "vlab vm", "frob", &pos), -EINVAL);
	assert_int_equal(cmd_find(vlab_root(), "vlab", "switch port add", &pos), 0);
	assert_string_equal(pos.node->method, "port.add");

	/* `vlab vm help start` asks for start's help */
	{
		struct walk w;

		walk("vm help start", &w);
		assert_int_equal(w.ret, CMD_HELP);
		assert_string_equal(w.pos.path, "vlab vm start");
	}
}

static void test_top_help(void **state)
{
	static const char *const names[] = {"validate", "up",	   "apply",   "down",  "status",
					    "exec",	"console", "pingall", "graph", "policy",
					    "capture",	"extcap",  "switch",  "vm"};
	struct cmd_pos pos = {.node = vlab_root(), .path = "vlab"};
	char *out = NULL, line[64];
	size_t len = 0, n = 0;
	struct walk w;
	FILE *f;

	walk("help", &w);
	assert_int_equal(w.ret, CMD_HELP);
	assert_ptr_equal(w.pos.node, vlab_root());
	walk("--help", &w);
	assert_int_equal(w.ret, CMD_HELP);

	f = open_memstream(&out, &len);
	assert_non_null(f);
	vlab_help(f);
	fclose(f);
	must_contain("vlab --help", out, "usage: vlab [OPTIONS] COMMAND [ARGS]\n");
	/* every command of the tree, and exactly the commands of vlab */
	for (const struct cmd_node *c = vlab_root()->children; c->name; c++) {
		snprintf(line, sizeof(line), "\n  %-8s  ", c->name);
		must_contain("vlab --help", out, line);
		n++;
	}
	assert_int_equal(n, sizeof(names) / sizeof(names[0]));
	for (size_t i = 0; i < n; i++) {
		snprintf(line, sizeof(line), "\n  %-8s  ", names[i]);
		must_contain("vlab --help", out, line);
	}
	must_contain("vlab --help", out,
		     "  status    nodes, state, addresses, switch links (alias: inspect)\n");
	must_contain("vlab --help", out,
		     "  vm        single lab nodes: QEMU guests and namespace hosts\n");
	must_contain("vlab --help", out, "  -s, --socket PATH");
	must_contain("vlab --help", out, "Exit status: 0 success, 1 the operation failed");
	free(out);

	out = render(&pos, cmd_usage);
	assert_string_equal(out, "usage: vlab [OPTIONS] COMMAND [ARGS]\n");
	free(out);
}

/* Every local command has a summary and a runner; every group its commands. */
static void check_node(const struct cmd_node *n, const char *path)
{
	char sub[128];

	if (n->group)
		n = n->group;
	if (!n->children) {
		if (!n->run && !n->method && !n->build)
			fail_msg("%s: neither a group nor a command", path);
		return;
	}
	for (const struct cmd_node *c = n->children; c->name; c++) {
		snprintf(sub, sizeof(sub), "%s %s", path, c->name);
		if (c->run && !c->summary)
			fail_msg("%s: no summary", sub);
		check_node(c, sub);
	}
}

static void test_tree_complete(void **state)
{
	check_node(vlab_root(), "vlab");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_walk_vm_start),
	    cmocka_unit_test(test_walk_every_vm_command),
	    cmocka_unit_test(test_walk_lab_commands),
	    cmocka_unit_test(test_walk_switch),
	    cmocka_unit_test(test_unknown_and_missing),
	    cmocka_unit_test(test_vm_group_help),
	    cmocka_unit_test(test_vm_command_help),
	    cmocka_unit_test(test_top_help),
	    cmocka_unit_test(test_tree_complete),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
