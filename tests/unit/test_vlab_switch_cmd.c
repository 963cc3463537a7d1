/* Unit tests of `vlab switch` request building (argv -> API method and params,
 * including malformed command lines) and of the human output of results.
 *
 * Threads: cmocka runs every test on the main thread; no switch, no socket. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "args.h"
#include "switch_cmd.h"

#define MAX_ARGV 32

/* Builds the request for a space-separated command line (no quoting needed in
 * these tests; "~" stands for an empty argument). Returns swcmd_build()'s code.
 * The request may point into the argument copy: free *words after using it. */
static int build(const char *line, struct swcmd_req *req, char *err, char **words)
{
	char *argv[MAX_ARGV];
	int argc = 0;

	*words = strdup(line);
	assert_non_null(*words);
	for (char *tok = strtok(*words, " "); tok; tok = strtok(NULL, " ")) {
		assert_true(argc < MAX_ARGV);
		argv[argc++] = strcmp(tok, "~") == 0 ? tok + 1 : tok;
	}
	return swcmd_build(argc, argv, req, err, ARGS_ERR_LEN);
}

/* Checks that `line` builds `method` with params `params_json` (NULL: none). */
static void expect_request(const char *line, const char *method, const char *params_json,
			   enum swcmd_view view)
{
	struct swcmd_req req;
	char err[ARGS_ERR_LEN];
	char *words;
	int ret = build(line, &req, err, &words);

	if (ret != 0)
		fail_msg("'%s' failed: %s", line, err);
	assert_string_equal(req.method, method);
	assert_int_equal(req.view, view);
	if (!params_json) {
		assert_null(req.params);
	} else {
		json_t *want = json_loads(params_json, JSON_DECODE_ANY, NULL);

		assert_non_null(want);
		assert_non_null(req.params);
		if (!json_equal(want, req.params)) {
			char *got = json_dumps(req.params, JSON_COMPACT | JSON_ENCODE_ANY);

			fail_msg("'%s': params %s, want %s", line, got, params_json);
		}
		json_decref(want);
	}
	swcmd_req_clear(&req);
	free(words);
}

/* Checks that `line` is a usage error whose message contains `msg`. */
static void expect_usage_error(const char *line, const char *msg)
{
	struct swcmd_req req;
	char err[ARGS_ERR_LEN];
	char *words;
	int ret = build(line, &req, err, &words);

	if (ret != -EINVAL)
		fail_msg("'%s': returned %d, want -EINVAL", line, ret);
	if (!strstr(err, msg))
		fail_msg("'%s': message '%s' does not contain '%s'", line, err, msg);
	assert_null(req.params);
	swcmd_req_clear(&req);
	free(words);
}

static void expect_help(const char *line, const char *usage_contains)
{
	struct swcmd_req req;
	char err[ARGS_ERR_LEN];
	char *out = NULL, *words;
	size_t len = 0;
	FILE *f;

	assert_int_equal(build(line, &req, err, &words), SWCMD_HELP);
	f = open_memstream(&out, &len);
	assert_non_null(f);
	swcmd_help(&req, f);
	fclose(f);
	if (!strstr(out, usage_contains))
		fail_msg("'%s': help does not contain '%s':\n%s", line, usage_contains, out);
	free(out);
	swcmd_req_clear(&req);
	free(words);
}

static void test_version(void **state)
{
	expect_request("version", "version", NULL, SWCMD_VIEW_VERSION);
	expect_usage_error("version extra", "unexpected argument 'extra'");
}

static void test_network(void **state)
{
	expect_request("network add lan1 --vni 100", "network.add",
		       "{\"name\":\"lan1\",\"vni\":100}", SWCMD_VIEW_NONE);
	expect_request("network add --vni=16777215 lan.2_x-y", "network.add",
		       "{\"name\":\"lan.2_x-y\",\"vni\":16777215}", SWCMD_VIEW_NONE);
	expect_request("network add lan1 --vni 1", "network.add", "{\"name\":\"lan1\",\"vni\":1}",
		       SWCMD_VIEW_NONE);
	expect_request("network del lan1", "network.del", "{\"name\":\"lan1\"}", SWCMD_VIEW_NONE);
	expect_request("network list", "network.list", NULL, SWCMD_VIEW_NETWORKS);
	expect_request("network ls", "network.list", NULL, SWCMD_VIEW_NETWORKS);
	expect_request("network", "network.list", NULL, SWCMD_VIEW_NETWORKS);
}

static void test_network_errors(void **state)
{
	expect_usage_error("network add lan1", "missing --vni");
	expect_usage_error("network add --vni 5", "missing NAME");
	expect_usage_error("network add lan1 --vni", "'--vni' needs a value");
	expect_usage_error("network add lan1 --vni 0", "out of range (1 to 16777215)");
	expect_usage_error("network add lan1 --vni 16777216", "out of range");
	expect_usage_error("network add lan1 --vni 99999999999999999999999", "out of range");
	expect_usage_error("network add lan1 --vni 12x", "must be a number");
	expect_usage_error("network add lan1 --vni -3", "must be a number");
	expect_usage_error("network add lan1 --vni +3", "must be a number");
	expect_usage_error("network add lan1 --vni ~", "must be a number");
	expect_usage_error("network add lan1 --vni 1 --vni 2", "given twice");
	expect_usage_error("network add lan1 --vni 1 --vlan 3", "unknown option '--vlan'");
	expect_usage_error("network add lan1 --vni 1 -x", "unknown option '-x'");
	expect_usage_error("network add lan1 lan2 --vni 1", "unexpected argument 'lan2'");
	expect_usage_error("network add a/b --vni 1", "invalid character '/'");
	expect_usage_error("network add ~ --vni 1", "1 to 31 characters");
	expect_usage_error("network add abcdefghijabcdefghijabcdefghij012 --vni 1",
			   "1 to 31 characters");
	expect_usage_error("network del", "missing NAME");
	expect_usage_error("network list --all", "unknown option '--all'");
	expect_usage_error("network rename a b",
			   "unknown command 'rename' for 'vlab switch network'");
}

static void test_port(void **state)
{
	expect_request("port add vm1-eth0 --type vhost-user --network lan1 --path /run/v.sock",
		       "port.add",
		       "{\"name\":\"vm1-eth0\",\"type\":\"vhost-user\",\"network\":\"lan1\","
		       "\"path\":\"/run/v.sock\"}",
		       SWCMD_VIEW_NONE);
	expect_request("port add p --type vhost-user --network n --path /s --mode server "
		       "--mac-limit 0",
		       "port.add",
		       "{\"name\":\"p\",\"type\":\"vhost-user\",\"network\":\"n\",\"path\":\"/s\","
		       "\"mode\":\"server\",\"mac_limit\":0}",
		       SWCMD_VIEW_NONE);
	expect_request("port add t0 --type tap --network n", "port.add",
		       "{\"name\":\"t0\",\"type\":\"tap\",\"network\":\"n\"}", SWCMD_VIEW_NONE);
	expect_request("port add t0 --type tap --network n --iface vlab0 --mac-limit 16777216",
		       "port.add",
		       "{\"name\":\"t0\",\"type\":\"tap\",\"network\":\"n\",\"iface\":\"vlab0\","
		       "\"mac_limit\":16777216}",
		       SWCMD_VIEW_NONE);
	expect_request(
	    "port add a --type af-packet --network n --iface eth1", "port.add",
	    "{\"name\":\"a\",\"type\":\"af-packet\",\"network\":\"n\",\"iface\":\"eth1\"}",
	    SWCMD_VIEW_NONE);
	expect_request("port add r --type ring --network n", "port.add",
		       "{\"name\":\"r\",\"type\":\"ring\",\"network\":\"n\"}", SWCMD_VIEW_NONE);
	expect_request(
	    "port add z --network n --type null --devargs size=64", "port.add",
	    "{\"name\":\"z\",\"type\":\"null\",\"network\":\"n\",\"devargs\":\"size=64\"}",
	    SWCMD_VIEW_NONE);
	expect_request(
	    "port add c --type pcap --network n --devargs rx_pcap=/i.pcap,tx_pcap=/o.pcap",
	    "port.add",
	    "{\"name\":\"c\",\"type\":\"pcap\",\"network\":\"n\","
	    "\"devargs\":\"rx_pcap=/i.pcap,tx_pcap=/o.pcap\"}",
	    SWCMD_VIEW_NONE);
	expect_request("port del vm1-eth0", "port.del", "{\"name\":\"vm1-eth0\"}", SWCMD_VIEW_NONE);
	expect_request("port list", "port.list", NULL, SWCMD_VIEW_PORTS);
	expect_request("port ls", "port.list", NULL, SWCMD_VIEW_PORTS);
	expect_request("port", "port.list", NULL, SWCMD_VIEW_PORTS);
}

static void test_port_errors(void **state)
{
	expect_usage_error("port add p --network n", "missing --type");
	expect_usage_error("port add p --type tap", "missing --network");
	expect_usage_error("port add --type tap --network n", "missing NAME");
	expect_usage_error("port add p --type virtio --network n", "unknown port type 'virtio'");
	expect_usage_error("port add p --type vhost-user --network n", "needs --path");
	expect_usage_error("port add p --type af-packet --network n", "needs --iface");
	expect_usage_error("port add p --type pcap --network n", "needs --devargs");
	expect_usage_error("port add p --type tap --network n --path /s",
			   "'--path' does not apply to --type tap");
	expect_usage_error("port add p --type tap --network n --mode client",
			   "'--mode' does not apply");
	expect_usage_error("port add p --type vhost-user --network n --path /s --iface x",
			   "'--iface' does not apply");
	expect_usage_error("port add p --type tap --network n --devargs x",
			   "'--devargs' does not apply");
	expect_usage_error("port add p --type vhost-user --network n --path /s --mode both",
			   "client or server");
	expect_usage_error("port add p --type tap --network n --iface abcdefghijklmnop",
			   "1 to 15 characters");
	/* the switch's own limit, from the schema the switch validates with */
	expect_usage_error("port add p --type tap --network n --mac-limit 16777217",
			   "out of range (0 to 16777216)");
	expect_usage_error("port add p --type tap --network n --mac-limit lots",
			   "must be a number");
	expect_usage_error("port add p --type tap --network bad! ", "invalid character '!'");
	expect_usage_error("port add p --type tap --network n --vni 3", "unknown option '--vni'");
	expect_usage_error("port del", "missing NAME");
	expect_usage_error("port del a b", "unexpected argument 'b'");
	/* an argument in Latin-1, not UTF-8: named, not "out of memory" */
	expect_usage_error("port add p --type pcap --network n --devargs rx_pcap=/tmp/\xe9.pcap",
			   "--devargs is not UTF-8 text");
	expect_usage_error("port add p --type pcap --network n --devargs \xed\xa0\x80",
			   "not UTF-8");
}

static void test_fdb(void **state)
{
	expect_request("fdb show lan1", "fdb.show", "{\"network\":\"lan1\"}", SWCMD_VIEW_FDB);
	expect_request("fdb show --network lan1", "fdb.show", "{\"network\":\"lan1\"}",
		       SWCMD_VIEW_FDB);
	expect_request("fdb flush", "fdb.flush", "{}", SWCMD_VIEW_FLUSH);
	expect_request("fdb flush --network lan1", "fdb.flush", "{\"network\":\"lan1\"}",
		       SWCMD_VIEW_FLUSH);
	expect_request("fdb flush --port vm1-eth0", "fdb.flush", "{\"port\":\"vm1-eth0\"}",
		       SWCMD_VIEW_FLUSH);
	/* both filters at once, as the API takes them */
	expect_request("fdb flush --network lan1 --port p", "fdb.flush",
		       "{\"network\":\"lan1\",\"port\":\"p\"}", SWCMD_VIEW_FLUSH);
	expect_request("fdb add-static lan1 52:54:00:AB:cd:09 vm1-eth0", "fdb.add_static",
		       "{\"network\":\"lan1\",\"mac\":\"52:54:00:ab:cd:09\",\"port\":\"vm1-eth0\"}",
		       SWCMD_VIEW_NONE);
	expect_request(
	    "fdb add-static --port p --mac 02:00:00:00:00:01 --network n", "fdb.add_static",
	    "{\"network\":\"n\",\"mac\":\"02:00:00:00:00:01\",\"port\":\"p\"}", SWCMD_VIEW_NONE);
	expect_request("fdb add-static n --port p 02:00:00:00:00:01", "fdb.add_static",
		       "{\"network\":\"n\",\"mac\":\"02:00:00:00:00:01\",\"port\":\"p\"}",
		       SWCMD_VIEW_NONE);
	expect_request("fdb del-static lan1 52:54:00:00:00:09", "fdb.del_static",
		       "{\"network\":\"lan1\",\"mac\":\"52:54:00:00:00:09\"}", SWCMD_VIEW_NONE);
	expect_request("fdb del-static --mac 52:54:00:00:00:09 --network lan1", "fdb.del_static",
		       "{\"network\":\"lan1\",\"mac\":\"52:54:00:00:00:09\"}", SWCMD_VIEW_NONE);
}

static void test_fdb_errors(void **state)
{
	expect_usage_error("fdb", "missing command after 'vlab switch fdb'");
	expect_usage_error("fdb show", "missing NETWORK");
	expect_usage_error("fdb show a b", "unexpected argument 'b'");
	expect_usage_error("fdb show --port p", "unknown option '--port'");
	expect_usage_error("fdb flush --network a --pot b", "unknown option '--pot'");
	expect_usage_error("fdb flush lan1", "unexpected argument 'lan1'");
	expect_usage_error("fdb add-static lan1 52:54:00:00:00:zz p", "invalid MAC address");
	expect_usage_error("fdb add-static lan1 52:54:00:00:00 p", "invalid MAC address");
	expect_usage_error("fdb add-static lan1 52-54-00-00-00-01 p", "invalid MAC address");
	expect_usage_error("fdb add-static lan1 52:54:00:00:00:001 p", "invalid MAC address");
	expect_usage_error("fdb add-static lan1 5:54:00:00:00:01: p", "invalid MAC address");
	expect_usage_error("fdb add-static lan1 52:54:00:00:00:01", "missing PORT");
	expect_usage_error("fdb add-static lan1", "missing MAC");
	expect_usage_error("fdb add-static", "missing NETWORK");
	expect_usage_error("fdb add-static n 52:54:00:00:00:01 p extra", "unexpected argument");
	expect_usage_error("fdb del-static lan1", "missing MAC");
	expect_usage_error("fdb del-static lan1 02:00:00:00:00:01 --port p",
			   "unknown option '--port'");
}

static void test_stats_raw(void **state)
{
	expect_request("stats", "stats", NULL, SWCMD_VIEW_STATS);
	expect_request("stats --clear", "stats.clear", NULL, SWCMD_VIEW_NONE);
	expect_usage_error("stats --clear=yes", "takes no value");
	expect_usage_error("stats --reset", "unknown option '--reset'");

	expect_request("raw version", "version", NULL, SWCMD_VIEW_RAW);
	expect_request("raw port.add {\"name\":\"x\"}", "port.add", "{\"name\":\"x\"}",
		       SWCMD_VIEW_RAW);
	expect_request("raw network.add [1,2]", "network.add", "[1,2]", SWCMD_VIEW_RAW);
	expect_request("raw -- -odd", "-odd", NULL, SWCMD_VIEW_RAW);
	expect_usage_error("raw", "missing METHOD");
	expect_usage_error("raw ~", "must not be empty");
	expect_usage_error("raw m {bad", "not valid JSON");
	expect_usage_error("raw m {} more", "unexpected argument 'more'");
}

static void test_groups(void **state)
{
	expect_usage_error("", "missing command after 'vlab switch'");
	expect_usage_error("frobnicate", "unknown command 'frobnicate' for 'vlab switch'");
	expect_usage_error("-j version", "unknown option '-j'");
	expect_help("-h", "usage: vlab [-s SOCKET] [-j] switch COMMAND");
	expect_help("help", "network");
	expect_help("network --help", "usage: vlab switch network COMMAND");
	expect_help("network add -h", "usage: vlab switch network add NAME --vni N");
	expect_help("network add lan1 --vni 3 --help", "--vni N");
	expect_help("port add --help", "--mac-limit");
	expect_help("fdb help", "add-static");
	expect_help("fdb add-static -h", "NETWORK, --network NETWORK");
	expect_help("fdb add-static -h", "MAC, --mac MAC");
	expect_help("port add --help", "learned-MAC limit of the port");
	expect_help("stats -h", "--clear");
}

/* Usage line printed after an error names the command that failed. */
static void test_usage_line(void **state)
{
	struct swcmd_req req;
	char err[ARGS_ERR_LEN];
	char *out = NULL, *words;
	size_t len = 0;
	FILE *f;

	assert_int_equal(build("port add p --type tap", &req, err, &words), -EINVAL);
	f = open_memstream(&out, &len);
	swcmd_usage(&req, f);
	fclose(f);
	assert_non_null(strstr(out, "usage: vlab switch port add NAME --type TYPE --network NET"));
	free(out);
	swcmd_req_clear(&req);
	free(words);
}

/* Renders `result_json` with the view of `line`'s command. */
static char *render(const char *line, const char *result_json, int *ret)
{
	struct swcmd_req req;
	char err[ARGS_ERR_LEN];
	json_t *result = json_loads(result_json, JSON_DECODE_ANY, NULL);
	char *out = NULL, *words;
	size_t len = 0;
	FILE *f;

	assert_non_null(result);
	assert_int_equal(build(line, &req, err, &words), 0);
	f = open_memstream(&out, &len);
	assert_non_null(f);
	*ret = swcmd_print(&req, result, f);
	fclose(f);
	json_decref(result);
	swcmd_req_clear(&req);
	free(words);
	return out;
}

static void expect_output(const char *line, const char *result_json, const char *want)
{
	int ret;
	char *out = render(line, result_json, &ret);

	assert_int_equal(ret, 0);
	assert_string_equal(out, want);
	free(out);
}

static void test_print(void **state)
{
	int ret;
	char *out;

	expect_output("version", "{\"name\":\"vlab-switchd\",\"version\":\"0.1.0\",\"api\":2}",
		      "vlab-switchd 0.1.0 (API 2)\n");
	expect_output("version", "{\"name\":\"vlab-switchd\",\"version\":\"0.1.0\",\"api\":1}",
		      "vlab-switchd 0.1.0 (API 1)\nnote: this vlab speaks API 2\n");
	expect_output("network list",
		      "[{\"name\":\"lan1\",\"vni\":100,\"ports\":[\"a\",\"b\"],\"macs\":3},"
		      "{\"name\":\"mgmt\",\"vni\":16777215,\"ports\":[],\"macs\":0}]",
		      "NETWORK       VNI  MACS  PORTS\n"
		      "lan1          100     3  a,b\n"
		      "mgmt     16777215     0  -\n");
	expect_output("port list",
		      "[{\"name\":\"vm1-eth0\",\"type\":\"vhost-user\",\"network\":\"lan1\","
		      "\"path\":\"/run/v.sock\",\"mode\":\"client\",\"iface\":null,"
		      "\"devargs\":null,\"mac_limit\":4096,\"macs\":1,\"link\":\"connected\"},"
		      "{\"name\":\"t0\",\"type\":\"tap\",\"network\":\"lan1\",\"path\":null,"
		      "\"mode\":null,\"iface\":\"vlab0\",\"devargs\":null,\"mac_limit\":8,"
		      "\"macs\":0,\"link\":\"waiting\"}]",
		      "PORT      TYPE        NETWORK  LINK       MACS  MAC-LIMIT  DETAILS\n"
		      "vm1-eth0  vhost-user  lan1     connected     1       4096  /run/v.sock "
		      "(client)\n"
		      "t0        tap         lan1     waiting       0          8  iface vlab0\n");
	expect_output(
	    "fdb show lan1",
	    "[{\"mac\":\"52:54:00:00:00:01\",\"port\":\"p1\",\"static\":false,\"age\":12},"
	    "{\"mac\":\"52:54:00:00:00:09\",\"port\":\"p1\",\"static\":true,\"age\":0}]",
	    "MAC                PORT  TYPE     AGE\n"
	    "52:54:00:00:00:01  p1    learned   12\n"
	    "52:54:00:00:00:09  p1    static     -\n");
	expect_output("fdb flush", "{\"flushed\":5}", "flushed 5 learned entries\n");
	expect_output("fdb flush", "{\"flushed\":1}", "flushed 1 learned entry\n");
	expect_output("network add a --vni 1", "{}", "");
	expect_output("raw x", "{\"a\":[1]}", "{\n  \"a\": [\n    1\n  ]\n}\n");

	/* Wrong shapes are reported, not printed as garbage. */
	out = render("network list", "{}", &ret);
	assert_int_equal(ret, -EPROTO);
	free(out);
	out = render("version", "[]", &ret);
	assert_int_equal(ret, -EPROTO);
	free(out);
}

static void test_print_stats(void **state)
{
	static const char stats[] =
	    "{\"ports\":[{\"name\":\"p1\",\"rx_packets\":10,\"rx_bytes\":980,"
	    "\"tx_packets\":9,\"tx_bytes\":882,\"drops\":{\"runt\":0,\"same_port\":2,"
	    "\"tx_failed\":1},\"events\":{\"mac_limit\":4,\"fdb_full\":0}},"
	    "{\"name\":\"p2\",\"rx_packets\":0,\"rx_bytes\":0,\"tx_packets\":0,\"tx_bytes\":0,"
	    "\"drops\":{\"runt\":0,\"same_port\":1,\"tx_failed\":0},"
	    "\"events\":{\"mac_limit\":0,\"fdb_full\":0}}],"
	    "\"networks\":[{\"name\":\"lan1\",\"macs\":2,\"learned\":2,\"flooded\":4}],"
	    "\"pmds\":[{\"lcore\":1,\"busy_cycles\":100,\"idle_cycles\":300,\"packets\":10,"
	    "\"cycles_per_packet\":10.0}],"
	    "\"drops\":{\"runt\":0,\"same_port\":3,\"tx_failed\":1},"
	    "\"events\":{\"mac_limit\":4,\"fdb_full\":0},"
	    "\"fdb\":{\"entries\":2,\"capacity\":1048576}}";

	expect_output(
	    "stats", stats,
	    "PORT  RX-PACKETS  RX-BYTES  TX-PACKETS  TX-BYTES  DROPS\n"
	    "p1            10       980           9       882      3\n"
	    "p2             0         0           0         0      1\n"
	    "\n"
	    "DROP-REASON  PACKETS  PORTS      MEANING\n"
	    "same_port          3  p1=2,p2=1  destination was learned on the receiving port "
	    "(hairpin)\n"
	    "tx_failed          1  p1=1       output port could not take it (queue full, frame "
	    "over its MTU)\n"
	    "\n"
	    "EVENT      PACKETS  PORTS  MEANING\n"
	    "mac_limit        4  p1=4   source not learned: the port reached its MAC limit\n"
	    "\n"
	    "NETWORK  MACS  LEARNED  FLOODED\n"
	    "lan1        2        2        4\n"
	    "\n"
	    "PMD-LCORE  BUSY-CYCLES  IDLE-CYCLES   BUSY  PACKETS  CYCLES/PKT\n"
	    "        1          100          300  25.0%       10        10.0\n"
	    "\n"
	    "fdb: 2 entries, capacity 1048576\n");

	expect_output("stats",
		      "{\"ports\":[],\"networks\":[],\"pmds\":[{\"lcore\":2,\"busy_cycles\":0,"
		      "\"idle_cycles\":0,\"packets\":0,\"cycles_per_packet\":0}],"
		      "\"drops\":{\"runt\":0}}",
		      "PORT  RX-PACKETS  RX-BYTES  TX-PACKETS  TX-BYTES  DROPS\n"
		      "\n"
		      "no drops\n"
		      "\n"
		      "NETWORK  MACS  LEARNED  FLOODED\n"
		      "\n"
		      "PMD-LCORE  BUSY-CYCLES  IDLE-CYCLES  BUSY  PACKETS  CYCLES/PKT\n"
		      "        2            0            0     -        0           0\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_version),	   cmocka_unit_test(test_network),
	    cmocka_unit_test(test_network_errors), cmocka_unit_test(test_port),
	    cmocka_unit_test(test_port_errors),	   cmocka_unit_test(test_fdb),
	    cmocka_unit_test(test_fdb_errors),	   cmocka_unit_test(test_stats_raw),
	    cmocka_unit_test(test_groups),	   cmocka_unit_test(test_usage_line),
	    cmocka_unit_test(test_print),	   cmocka_unit_test(test_print_stats),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
