/* Unit tests of `vlab vm` argument parsing (control/vm_parse.c): start options,
 * NIC specs, memory sizes, the arguments of the other commands, and malformed
 * input with its message. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "vm_cmd.h"

static int parse(struct vmcmd_start *s, char *err, const char *const *argv)
{
	int argc = 0;

	while (argv[argc])
		argc++;
	return vmcmd_parse_start(argc, (char *const *)argv, s, err, 256);
}

static void test_start_full(void **state)
{
	const char *argv[] = {"r1",       "--lab",     "lab1",         "--cpus", "2", "--memory",
			      "1G",       "--nic",     "network=lan1,ip=10.0.0.1/24,mac=52:54:00:AA:00:01",
			      "--nic=network=lan2,ip=10.1.0.1/24,ip=fd00::1/64,mtu=9000,queues=2,ifname=up0",
			      "--route",  "default,10.0.0.254", "--forward", "--no-wait",
			      "--timeout", "30", NULL};
	struct vmcmd_start s;
	char err[256];

	assert_int_equal(parse(&s, err, argv), 0);
	assert_string_equal(s.lab, "lab1");
	assert_string_equal(s.node.name, "r1");
	assert_int_equal(s.node.kind, NODE_VM);
	assert_int_equal(s.node.cpus, 2);
	assert_int_equal(s.node.mem_mib, 1024);
	assert_int_equal(s.node.n_nics, 2);
	assert_string_equal(s.node.nics[0].network, "lan1");
	assert_string_equal(s.node.nics[0].addrs[0], "10.0.0.1/24");
	assert_int_equal(s.node.nics[0].mac[4], 0x00);
	assert_int_equal(s.node.nics[0].mac[3], 0xaa);
	assert_int_equal(s.node.nics[1].n_addrs, 2);
	assert_int_equal(s.node.nics[1].mtu, 9000);
	assert_int_equal(s.node.nics[1].queues, 2);
	assert_int_equal(s.node.nics[0].queues, 0);
	assert_string_equal(s.node.nics[1].ifname, "up0");
	assert_int_equal(s.node.n_routes, 1);
	assert_string_equal(s.node.routes[0].dst, "default");
	assert_string_equal(s.node.routes[0].via, "10.0.0.254");
	assert_true(s.node.ip_forward);
	assert_false(s.wait);
	assert_int_equal(s.timeout_s, 30);
}

static void test_start_defaults(void **state)
{
	const char *argv[] = {"h1", "--kind", "host", "--nic", "network=lan1", NULL};
	struct vmcmd_start s;
	char err[256];

	unsetenv("VLAB_LAB");
	assert_int_equal(parse(&s, err, argv), 0);
	assert_string_equal(s.lab, "default");
	assert_int_equal(s.node.kind, NODE_HOST);
	assert_int_equal(s.node.cpus, 1);
	assert_int_equal(s.node.mem_mib, 128);
	assert_true(s.wait);
	setenv("VLAB_LAB", "envlab", 1);
	assert_int_equal(parse(&s, err, argv), 0);
	assert_string_equal(s.lab, "envlab");
	unsetenv("VLAB_LAB");
}

struct bad {
	const char *argv[8];
	const char *needle;
};

static void test_start_bad(void **state)
{
	static const struct bad cases[] = {
		{{"--cpus", "1", NULL}, "missing node NAME"},
		{{"a", "b", NULL}, "unexpected argument"},
		{{"bad name", NULL}, "node name"},
		{{"a", "--kind", "container", NULL}, "--kind"},
		{{"a", "--cpus", "0", NULL}, "--cpus"},
		{{"a", "--memory", "12", NULL}, "--memory"},
		{{"a", "--memory", "lots", NULL}, "--memory"},
		{{"a", "--nic", "ip=10.0.0.1/24", NULL}, "network=NET is required"},
		{{"a", "--nic", "network=lan1,ip=10.0.0.1", NULL}, "prefix"},
		{{"a", "--nic", "network=lan1,mac=01:00:00:00:00:01", NULL}, "multicast"},
		{{"a", "--nic", "network=lan1,mac=zz", NULL}, "MAC"},
		{{"a", "--nic", "network=lan1,mtu=10", NULL}, "mtu"},
		{{"a", "--nic", "network=lan1,queues=17", NULL}, "queues"},
		{{"h", "--kind", "host", "--nic", "network=lan1,queues=2", NULL}, "queues"},
		{{"a", "--nic", "network=lan1,speed=10", NULL}, "unknown key"},
		{{"a", "--nic", "lan1", NULL}, "KEY=VALUE"},
		{{"a", "--route", "default", NULL}, "DST,VIA"},
		{{"a", "--kind", "host", "--disk", "x.qcow2", NULL}, "kind vm"},
		{{"a", "--initrd", "i", NULL}, "--initrd needs --kernel"},
		{{"a", "--bogus", NULL}, "unknown option"},
		{{"a", "--nic", NULL}, "needs a value"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct vmcmd_start s;
		char err[256] = "";
		int rc = parse(&s, err, cases[i].argv);

		if (rc != -EINVAL || strstr(err, cases[i].needle) == NULL)
			fail_msg("case %zu: rc %d, message \"%s\", want \"%s\"", i, rc, err,
				 cases[i].needle);
	}
}

static void test_help(void **state)
{
	const char *argv[] = {"a", "--help", NULL};
	struct vmcmd_start s;
	char err[256];

	assert_int_equal(parse(&s, err, argv), 1);
}

static void test_mem(void **state)
{
	unsigned int m;
	char err[256];

	assert_int_equal(vmcmd_parse_mem("128", &m, err, sizeof(err)), 0);
	assert_int_equal(m, 128);
	assert_int_equal(vmcmd_parse_mem("256M", &m, err, sizeof(err)), 0);
	assert_int_equal(m, 256);
	assert_int_equal(vmcmd_parse_mem("2G", &m, err, sizeof(err)), 0);
	assert_int_equal(m, 2048);
	assert_int_equal(vmcmd_parse_mem("512MiB", &m, err, sizeof(err)), 0);
	assert_int_equal(vmcmd_parse_mem("-1", &m, err, sizeof(err)), -EINVAL);
	assert_int_equal(vmcmd_parse_mem("128K", &m, err, sizeof(err)), -EINVAL);
	assert_int_equal(vmcmd_parse_mem("100G", &m, err, sizeof(err)), -EINVAL);
}

static int parse_args(struct vmcmd_args *a, char *err, const char *const *argv)
{
	int argc = 0;

	while (argv[argc])
		argc++;
	return vmcmd_parse_args(argc, (char *const *)argv, a, err, 256);
}

static void test_args(void **state)
{
	const char *exec[] = {"a1", "--lab=l2", "--timeout", "5", "--", "ip", "--lab", NULL};
	const char *link[] = {"a1", "eth0", "down", NULL};
	const char *all[] = {"--all", NULL};
	struct vmcmd_args a;
	char err[256];

	unsetenv("VLAB_LAB");
	assert_int_equal(parse_args(&a, err, exec), 0);
	assert_string_equal(a.name, "a1");
	assert_string_equal(a.lab, "l2");
	assert_int_equal(a.timeout_s, 5);
	assert_int_equal(a.npos, 1);
	assert_int_equal(a.dashdash, 5); /* the command's own words are not parsed */
	assert_false(a.all);

	assert_int_equal(parse_args(&a, err, link), 0);
	assert_int_equal(a.npos, 3);
	assert_string_equal(a.pos[2], "down");
	assert_string_equal(a.lab, "default");
	assert_int_equal(a.timeout_s, -1);
	assert_int_equal(a.dashdash, -1);

	assert_int_equal(parse_args(&a, err, all), 0);
	assert_true(a.all);
	assert_null(a.name);
}

static void test_args_bad(void **state)
{
	static const struct bad cases[] = {
		{{"a", "--frob", NULL}, "unknown option \"--frob\""},
		{{"a", "--lab", NULL}, "needs a value"},
		{{"a", "--lab", "bad lab", NULL}, "--lab"},
		{{"a", "--timeout", "x", NULL}, "--timeout"},
		{{"a", "--timeout", "3601", NULL}, "--timeout"},
		{{"bad name", NULL}, "node name"},
		{{"a", "b", "c", "d", "e", NULL}, "too many arguments"},
	};
	const char *help[] = {"a", "-h", NULL};
	struct vmcmd_args a;
	char err[256];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int rc;

		err[0] = '\0';
		rc = parse_args(&a, err, cases[i].argv);
		if (rc != -EINVAL || strstr(err, cases[i].needle) == NULL)
			fail_msg("case %zu: rc %d, message \"%s\", want \"%s\"", i, rc, err,
				 cases[i].needle);
	}
	assert_int_equal(parse_args(&a, err, help), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_start_full), cmocka_unit_test(test_start_defaults),
		cmocka_unit_test(test_start_bad),  cmocka_unit_test(test_help),
		cmocka_unit_test(test_mem),	   cmocka_unit_test(test_args),
		cmocka_unit_test(test_args_bad),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
