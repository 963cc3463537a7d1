/* Unit tests of the vlab-switchd API client's pure parts (control/swclient.c):
 * request encoding, response decoding, socket path selection; and of the
 * vlab CLI's argument validators (control/args.c).
 *
 * Threads: cmocka runs every test on the main thread; no switch is started. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "args.h"
#include "swclient.h"

static void test_encode(void **state)
{
	json_t *params = json_pack("{s:s, s:i}", "name", "lan1", "vni", 100);
	char *line;

	line = swc_encode_request(7, "network.add", params);
	assert_string_equal(
	    line,
	    "{\"id\":7,\"method\":\"network.add\",\"params\":{\"name\":\"lan1\",\"vni\":100}}\n");
	free(line);
	/* params stay the caller's */
	assert_int_equal(params->refcount, 1);
	json_decref(params);

	line = swc_encode_request(1, "version", NULL);
	assert_string_equal(line, "{\"id\":1,\"method\":\"version\"}\n");
	free(line);
}

static void test_decode_result(void **state)
{
	struct swc_error err = {0};
	json_t *result = NULL;

	assert_int_equal(
	    swc_decode_response("{\"id\":3,\"result\":{\"flushed\":5}}", 3, &result, &err), 0);
	assert_int_equal(json_integer_value(json_object_get(result, "flushed")), 5);
	json_decref(result);

	assert_int_equal(swc_decode_response("{\"result\":[],\"id\":4}", 4, &result, &err), 0);
	assert_true(json_is_array(result));
	json_decref(result);

	/* a null result is still a result */
	assert_int_equal(swc_decode_response("{\"id\":4,\"result\":null}", 4, &result, &err), 0);
	assert_true(json_is_null(result));
	json_decref(result);
}

static void test_decode_error(void **state)
{
	struct swc_error err = {0};
	json_t *result = NULL;

	assert_int_equal(swc_decode_response("{\"id\":7,\"error\":{\"code\":-17,\"message\":"
					     "\"port \\\"vm1-eth0\\\" already exists\"}}",
					     7, &result, &err),
			 -EREMOTEIO);
	assert_int_equal(err.code, -17);
	assert_string_equal(err.message, "port \"vm1-eth0\" already exists");
	assert_null(result);

	/* the switch could not read the id: the error is still ours */
	assert_int_equal(swc_decode_response("{\"id\":null,\"error\":{\"code\":-32600,\"message\":"
					     "\"bad\"}}",
					     8, &result, &err),
			 -EREMOTEIO);
	assert_int_equal(err.code, -32600);
}

static void test_decode_invalid(void **state)
{
	struct swc_error err = {0};
	json_t *result = NULL;

	assert_int_equal(swc_decode_response("not json", 1, &result, &err), -EPROTO);
	assert_int_equal(swc_decode_response("[1]", 1, &result, &err), -EPROTO);
	assert_int_equal(swc_decode_response("{\"id\":2,\"result\":{}}", 1, &result, &err),
			 -EPROTO);
	assert_int_equal(swc_decode_response("{\"result\":{}}", 1, &result, &err), -EPROTO);
	assert_int_equal(swc_decode_response("{\"id\":1}", 1, &result, &err), -EPROTO);
	assert_int_equal(
	    swc_decode_response("{\"id\":1,\"error\":{\"code\":\"x\"}}", 1, &result, &err),
	    -EPROTO);
	assert_null(result);
}

static void test_socket_path(void **state)
{
	unsetenv(SWC_SOCKET_ENV);
	assert_string_equal(swc_socket_path(NULL), SWC_DEFAULT_SOCKET);
	setenv(SWC_SOCKET_ENV, "", 1);
	assert_string_equal(swc_socket_path(NULL), SWC_DEFAULT_SOCKET);
	setenv(SWC_SOCKET_ENV, "/tmp/env.sock", 1);
	assert_string_equal(swc_socket_path(NULL), "/tmp/env.sock");
	assert_string_equal(swc_socket_path("/tmp/opt.sock"), "/tmp/opt.sock");
	unsetenv(SWC_SOCKET_ENV);
}

static void test_connect_errors(void **state)
{
	char longpath[200];
	struct swc *c = NULL;

	memset(longpath, 'x', sizeof(longpath) - 1);
	longpath[sizeof(longpath) - 1] = '\0';
	longpath[0] = '/';
	assert_int_equal(swc_connect(longpath, &c), -ENAMETOOLONG);
	assert_int_equal(swc_connect("/nonexistent-dir/switch.sock", &c), -ENOENT);
	assert_null(c);
	swc_close(NULL);
}

static void test_args_u64(void **state)
{
	char err[ARGS_ERR_LEN];
	uint64_t v;

	assert_int_equal(args_u64("0", 0, 10, "--n", &v, err, sizeof(err)), 0);
	assert_int_equal(v, 0);
	assert_int_equal(
	    args_u64("18446744073709551615", 0, UINT64_MAX, "--n", &v, err, sizeof(err)), 0);
	assert_true(v == UINT64_MAX);
	assert_int_equal(
	    args_u64("18446744073709551616", 0, UINT64_MAX, "--n", &v, err, sizeof(err)), -ERANGE);
	assert_int_equal(args_u64("11", 0, 10, "--n", &v, err, sizeof(err)), -ERANGE);
	assert_string_equal(err, "--n 11 is out of range (0 to 10)");
	assert_int_equal(args_u64(" 1", 0, 10, "--n", &v, err, sizeof(err)), -EINVAL);
	assert_int_equal(args_u64("1 ", 0, 10, "--n", &v, err, sizeof(err)), -EINVAL);
	assert_int_equal(args_u64("0x1", 0, 10, "--n", &v, err, sizeof(err)), -EINVAL);
	assert_int_equal(args_u64("", 0, 10, "--n", &v, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "--n must be a number from 0 to 10, not ''");
}

static void test_args_mac_name(void **state)
{
	char err[ARGS_ERR_LEN], mac[18];

	assert_int_equal(args_mac("AA:bb:0C:dd:EE:ff", mac, err, sizeof(err)), 0);
	assert_string_equal(mac, "aa:bb:0c:dd:ee:ff");
	assert_int_equal(args_mac("aa:bb:cc:dd:ee", mac, err, sizeof(err)), -EINVAL);
	assert_int_equal(args_mac("aa:bb:cc:dd:ee:fg", mac, err, sizeof(err)), -EINVAL);
	assert_int_equal(args_mac("aabb:cc:dd:ee:ff0", mac, err, sizeof(err)), -EINVAL);
	assert_string_equal(err,
			    "invalid MAC address 'aabb:cc:dd:ee:ff0' (expected aa:bb:cc:dd:ee:ff)");

	assert_int_equal(args_name("a", "port name", err, sizeof(err)), 0);
	assert_int_equal(args_name("A-z_0.9", "port name", err, sizeof(err)), 0);
	assert_int_equal(
	    args_name("abcdefghijabcdefghijabcdefghij1", "port name", err, sizeof(err)), 0);
	assert_int_equal(
	    args_name("abcdefghijabcdefghijabcdefghij12", "port name", err, sizeof(err)), -EINVAL);
	assert_int_equal(args_name("", "port name", err, sizeof(err)), -EINVAL);
	assert_int_equal(args_name("é", "port name", err, sizeof(err)), -EINVAL);
}

static void test_args_parse(void **state)
{
	static const struct args_opt opts[] = {{"vni", true}, {"clear", false}};
	char *argv[] = {"a", "--vni", "5", "b", "--clear", "--", "--c"};
	char *argv2[] = {"--vni=7", "-h", "-"};
	char err[ARGS_ERR_LEN];
	struct args a;

	assert_int_equal(args_parse(7, argv, opts, 2, &a, err, sizeof(err)), 0);
	assert_int_equal(a.npos, 3);
	assert_string_equal(a.pos[0], "a");
	assert_string_equal(a.pos[1], "b");
	assert_string_equal(a.pos[2], "--c");
	assert_string_equal(a.value[0], "5");
	assert_string_equal(a.value[1], "");
	assert_false(a.help);

	assert_int_equal(args_parse(3, argv2, opts, 2, &a, err, sizeof(err)), 0);
	assert_string_equal(a.value[0], "7");
	assert_null(a.value[1]);
	assert_true(a.help);
	assert_int_equal(a.npos, 1);

	char *many[ARGS_MAX_POS + 1];
	for (int i = 0; i <= ARGS_MAX_POS; i++)
		many[i] = "x";
	assert_int_equal(args_parse(ARGS_MAX_POS + 1, many, opts, 2, &a, err, sizeof(err)),
			 -EINVAL);
	assert_string_equal(err, "too many arguments");

	char *dash[] = {"-vni", "3"};
	assert_int_equal(args_parse(2, dash, opts, 2, &a, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "unknown option '-vni'");
	char *prefix[] = {"--vn", "3"};
	assert_int_equal(args_parse(2, prefix, opts, 2, &a, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "unknown option '--vn'");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_encode),	 cmocka_unit_test(test_decode_result),
	    cmocka_unit_test(test_decode_error), cmocka_unit_test(test_decode_invalid),
	    cmocka_unit_test(test_socket_path),	 cmocka_unit_test(test_connect_errors),
	    cmocka_unit_test(test_args_u64),	 cmocka_unit_test(test_args_mac_name),
	    cmocka_unit_test(test_args_parse),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
