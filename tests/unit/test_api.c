/* Unit tests of the control API (api/): the wire format (good requests,
 * malformed requests with their error codes, parameter getters, encoding)
 * and validation against the schema. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "wire.h"

static int parse(const char *line, struct api_req *req, struct api_err *err)
{
	return api_parse(line, strlen(line), req, err);
}

static void test_good_request(void **state)
{
	struct api_req req;
	struct api_err err;

	assert_int_equal(parse("{\"id\":7,\"method\":\"port.add\",\"params\":{\"name\":\"p\"}}",
			       &req, &err),
			 0);
	assert_string_equal(req.method, "port.add");
	assert_int_equal(json_integer_value(req.id), 7);
	assert_string_equal(json_string_value(json_object_get(req.params, "name")), "p");
	api_req_free(&req);

	/* id and params are optional */
	assert_int_equal(parse("{\"method\":\"version\"}", &req, &err), 0);
	assert_true(json_is_null(req.id));
	assert_true(json_is_object(req.params));
	assert_int_equal(json_object_size(req.params), 0);
	api_req_free(&req);

	assert_int_equal(parse("{\"id\":\"x\",\"method\":\"version\",\"params\":null}", &req, &err),
			 0);
	assert_string_equal(json_string_value(req.id), "x");
	api_req_free(&req);
}

struct bad {
	const char *line;
	int code;
	const char *needle;
};

static void test_malformed(void **state)
{
	static const struct bad cases[] = {
		{"", API_ERR_PARSE, "not JSON"},
		{"{", API_ERR_PARSE, "not JSON"},
		{"hello", API_ERR_PARSE, "not JSON"},
		{"{\"method\":\"version\"} trailing", API_ERR_PARSE, "not JSON"},
		{"[1,2]", API_ERR_REQUEST, "JSON object"},
		{"42", API_ERR_REQUEST, "JSON object"},
		{"\"version\"", API_ERR_REQUEST, "JSON object"},
		{"{}", API_ERR_REQUEST, "method"},
		{"{\"method\":5}", API_ERR_REQUEST, "method"},
		{"{\"method\":null}", API_ERR_REQUEST, "method"},
		{"{\"method\":\"version\",\"params\":[1]}", API_ERR_REQUEST, "params"},
		{"{\"method\":\"version\",\"params\":\"x\"}", API_ERR_REQUEST, "params"},
		{"{\"method\":\"version\",\"extra\":1}", API_ERR_REQUEST, "extra"},
		{"{\"method\":\"a\",\"method\":\"b\"}", API_ERR_PARSE, "duplicate"},
		{"{\"method\":\"a\\u0000b\"}", API_ERR_PARSE, "not JSON"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct api_req req;
		struct api_err err;
		int rc = parse(cases[i].line, &req, &err);

		if (rc != cases[i].code || strstr(err.msg, cases[i].needle) == NULL)
			fail_msg("case %zu (%s): got %d \"%s\", want %d containing \"%s\"", i,
				 cases[i].line, rc, err.msg, cases[i].code, cases[i].needle);
		api_req_free(&req);
	}
}

static void test_id_kept_on_error(void **state)
{
	struct api_req req;
	struct api_err err;

	assert_int_equal(parse("{\"id\":9,\"method\":3}", &req, &err), API_ERR_REQUEST);
	assert_int_equal(json_integer_value(req.id), 9);
	char *line = api_encode_error(req.id, &err);
	assert_non_null(strstr(line, "\"id\":9"));
	assert_non_null(strstr(line, "-32600"));
	assert_int_equal(line[strlen(line) - 1], '\n');
	free(line);
	api_req_free(&req);
}

static void test_too_long(void **state)
{
	size_t n = API_MAX_LINE + 10;
	char *big = malloc(n);
	struct api_req req;
	struct api_err err;

	memset(big, ' ', n);
	assert_int_equal(api_parse(big, n, &req, &err), API_ERR_REQUEST);
	api_req_free(&req);
	free(big);
}

static void test_params(void **state)
{
	json_t *p = json_pack("{s:s,s:i,s:i,s:s,s:s}", "name", "lan-1.a", "vni", 100, "neg", -1,
			      "bad", "a b", "long", "abcdefghijklmnopqrstuvwxyz0123456");
	struct api_err err;
	const char *s;
	uint64_t u;

	assert_int_equal(api_get_name(p, "name", true, &s, &err), 0);
	assert_string_equal(s, "lan-1.a");
	assert_int_equal(api_get_uint(p, "vni", true, 1, 0xffffff, &u, &err), 0);
	assert_int_equal(u, 100);
	assert_int_equal(api_get_uint(p, "neg", true, 1, 10, &u, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "neg"));
	assert_int_equal(api_get_uint(p, "vni", true, 1, 50, &u, &err), -EINVAL);
	assert_int_equal(api_get_uint(p, "name", true, 1, 50, &u, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "integer"));
	assert_int_equal(api_get_uint(p, "missing", false, 1, 50, &u, &err), 1);
	assert_int_equal(api_get_uint(p, "missing", true, 1, 50, &u, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "missing parameter"));
	assert_int_equal(api_get_name(p, "bad", true, &s, &err), -EINVAL);
	assert_int_equal(api_get_name(p, "long", true, &s, &err), -EINVAL);
	assert_int_equal(api_get_str(p, "vni", true, &s, &err), -EINVAL);
	json_decref(p);
}

/* Validation against the schema: what a message says for each problem. */
static void expect_invalid(const char *method, const char *params, const char *needle)
{
	const struct api_method *m = api_method_find(method);
	json_t *p = json_loads(params, 0, NULL);
	char msg[256];

	assert_non_null(m);
	assert_non_null(p);
	if (api_validate(m, p, msg, sizeof(msg)) != -EINVAL || !strstr(msg, needle)) {
		print_message("%s %s: expected an error with \"%s\", got \"%s\"\n", method,
			      params, needle, msg);
		fail();
	}
	json_decref(p);
}

static void expect_valid(const char *method, const char *params)
{
	const struct api_method *m = api_method_find(method);
	json_t *p = json_loads(params, 0, NULL);
	char msg[256] = "";

	assert_non_null(m);
	assert_non_null(p);
	if (api_validate(m, p, msg, sizeof(msg)) != 0) {
		print_message("%s %s: %s\n", method, params, msg);
		fail();
	}
	json_decref(p);
}

static void test_validate(void **state)
{
	expect_valid("version", "{}");
	expect_invalid("version", "{\"x\":1}", "unknown parameter \"x\" (it takes none)");
	expect_valid("network.add", "{\"name\":\"lan1\",\"vni\":16777215}");
	expect_invalid("network.add", "{\"name\":\"lan1\"}", "needs \"vni\"");
	expect_invalid("network.add", "{\"name\":\"lan1\",\"vni\":16777216}", "1 to 16777215");
	expect_invalid("network.add", "{\"name\":\"lan1\",\"vni\":\"7\"}", "integer");
	expect_invalid("network.add", "{\"name\":\"-x\",\"vni\":7}", "starts with . or -; use 1-31 of");
	expect_invalid("network.add", "{\"name\":\"a\",\"vni\":1,\"vnl\":2}",
		       "unknown parameter \"vnl\" (it takes name, vni)");
	expect_valid("port.add", "{\"name\":\"p\",\"type\":\"vhost-user\",\"network\":\"n\","
				 "\"path\":\"/tmp/s\",\"mode\":\"server\",\"mac_limit\":16777216}");
	expect_invalid("port.add", "{\"name\":\"p\",\"type\":\"vhost-user\",\"network\":\"n\"}",
		       "vhost-user ports need \"path\"");
	expect_invalid("port.add",
		       "{\"name\":\"p\",\"type\":\"tap\",\"network\":\"n\",\"path\":\"/x\"}",
		       "\"path\" does not apply to tap ports");
	expect_invalid("port.add", "{\"name\":\"p\",\"type\":\"vxlan\",\"network\":\"n\"}",
		       "one of vhost-user, tap, af-packet, ring, null, pcap");
	expect_invalid("port.add",
		       "{\"name\":\"p\",\"type\":\"null\",\"network\":\"n\",\"mac_limit\":16777217}",
		       "0 to 16777216");
	expect_invalid("port.add",
		       "{\"name\":\"p\",\"type\":\"af-packet\",\"network\":\"n\","
		       "\"iface\":\"sixteen-chars-xx\"}",
		       "must be 1 to 15 characters");
	expect_valid("fdb.add_static", "{\"network\":\"n\",\"mac\":\"52:54:00:00:00:01\","
				       "\"port\":\"p\"}");
	expect_invalid("fdb.add_static", "{\"network\":\"n\",\"mac\":\"52:54:00:00:00\","
					 "\"port\":\"p\"}",
		       "MAC address like");
	expect_valid("fdb.flush", "{}");
	/* a cut UTF-8 name is shown whole characters only */
	expect_invalid("network.del",
		       "{\"name\":\"a\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9"
		       "\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\"}",
		       "\u00e9...\" must be 1 to 31");
	assert_null(api_method_find("fdb.add-static"));
	/* every method's parameters are consistent: options and positions unique */
	for (const struct api_method *m = api_methods; m->name; m++)
		for (const struct api_param *p = m->params; p->key; p++) {
			assert_non_null(p->help);
			assert_true(p->cli != NULL || p->pos >= 0);
			for (const struct api_param *q = p + 1; q->key; q++) {
				assert_true(strcmp(p->key, q->key) != 0);
				assert_true(p->pos < 0 || p->pos != q->pos);
			}
		}
}

static void test_names(void **state)
{
	assert_true(api_name_ok("vm1-eth0"));
	assert_true(api_name_ok("a"));
	assert_false(api_name_ok(""));
	assert_false(api_name_ok("has space"));
	assert_false(api_name_ok("slash/x"));
	assert_false(api_name_ok("0123456789012345678901234567890123"));
}

/* Messages quoting client bytes stay valid UTF-8 however they are cut;
 * NUL bytes make a line not JSON. */
static void test_utf8_and_nul(void **state)
{
	char s[64];
	struct api_err err;
	struct api_req req;
	char *line;

	snprintf(s, sizeof(s), "ab\xc3\xa9\xc3"); /* é, then half of another */
	api_utf8_clean(s);
	assert_string_equal(s, "ab\xc3\xa9");
	snprintf(s, sizeof(s), "x\xffy\x80z");
	api_utf8_clean(s);
	assert_string_equal(s, "x?y?z");
	snprintf(s, sizeof(s), "\xe2\x82\xac ok"); /* euro sign */
	api_utf8_clean(s);
	assert_string_equal(s, "\xe2\x82\xac ok");
	/* what jansson refuses: surrogates, overlong forms, past U+10FFFF */
	snprintf(s, sizeof(s), "a\xed\xa0\x80" "b"); /* U+D800 */
	api_utf8_clean(s);
	assert_string_equal(s, "a???b");
	snprintf(s, sizeof(s), "a\xe0\x80\xaf" "b\xf0\x80\x80\xaf" "c\xc0\xaf" "d");
	api_utf8_clean(s);
	assert_string_equal(s, "a???b????c??d");
	snprintf(s, sizeof(s), "a\xf4\x90\x80\x80" "b\xf5\x80" "c"); /* U+110000 */
	api_utf8_clean(s);
	assert_string_equal(s, "a????b??c");
	snprintf(s, sizeof(s), "\xf0\x9f\x98\x80\xf4\x8f\xbf\xbf\xed\x9f\xbf"); /* kept */
	api_utf8_clean(s);
	assert_string_equal(s, "\xf0\x9f\x98\x80\xf4\x8f\xbf\xbf\xed\x9f\xbf");
	/* a %.Ns that cuts an é: the reply still encodes */
	api_fail(&err, -22, "network \"%.6s\" does not exist", "a\xc3\xa9\xc3\xa9\xc3\xa9");
	line = api_encode_error(json_null(), &err);
	assert_non_null(line);
	assert_non_null(strstr(line, "network \\\"a\xc3\xa9\xc3\xa9\\\" does not exist"));
	free(line);
	static const char nul[] = "{\"method\":\"version\",\"id\":1\0}";

	assert_int_equal(api_parse(nul, sizeof(nul) - 1, &req, &err), API_ERR_PARSE);
	assert_non_null(strstr(err.msg, "NUL byte at column 27"));
	api_req_free(&req);
	assert_int_equal(api_parse("7\0", 2, &req, &err), API_ERR_PARSE);
	api_req_free(&req);
}

static void test_encode_result(void **state)
{
	json_t *id = json_integer(3);
	char *line = api_encode_result(id, json_pack("{s:i}", "flushed", 2));

	assert_string_equal(line, "{\"id\":3,\"result\":{\"flushed\":2}}\n");
	free(line);
	json_decref(id);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good_request),  cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_id_kept_on_error), cmocka_unit_test(test_too_long),
		cmocka_unit_test(test_params),        cmocka_unit_test(test_names),
		cmocka_unit_test(test_validate),
		cmocka_unit_test(test_utf8_and_nul),
		cmocka_unit_test(test_encode_result),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
