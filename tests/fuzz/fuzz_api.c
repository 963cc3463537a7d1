/* Fuzz harness of the control API's wire format and schema (api/wire.h,
 * api/schema.h): an input is what one client sent on the control socket.
 * It is cut into lines at '\n' as the switch does, and each line goes the
 * way vlab-switchd takes it (switch/core/ctl.c ctl_handle_line and ctl_call,
 * without the handlers): api_parse(), the method looked up in the schema,
 * api_validate(), the typed getters, then api_encode_result() (the params
 * echoed as a result) or api_encode_error().
 *
 * Invariants checked: only the documented error codes; an error reply is
 * always encoded (never NULL); every reply is one line of valid UTF-8 that
 * parses back to an object with the request's id and exactly one of result
 * and error, the error with the code and message given; a request
 * api_validate() accepts is read by the getters without an error; messages
 * fit their buffers and are valid UTF-8; api_utf8_clean() makes any string
 * valid UTF-8 (no surrogates, overlong forms or values over U+10FFFF either),
 * only shorter, and a second clean changes nothing.
 *
 * Built as a libFuzzer target (-Dfuzz=true, clang) or with replay.c. Seeds
 * in api/seeds (tests/fuzz/mkseeds.py), reproducers in api/reproducers.
 * Single-threaded. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "fuzz.h"
#include "schema.h"
#include "wire.h"

static bool code_ok(int code)
{
	return code == API_ERR_PARSE || code == API_ERR_REQUEST || code == API_ERR_METHOD ||
	       code == -EINVAL;
}

static void check_msg(const char *msg, size_t cap, const char *what)
{
	size_t n = strnlen(msg, cap);

	FUZZ_CHECK(n < cap, "%s: message not terminated within its %zu bytes", what, cap);
	FUZZ_CHECK(n > 0, "%s: empty message", what);
	FUZZ_CHECK(fuzz_utf8_ok(msg, n), "%s: message not valid UTF-8: %s", what, msg);
}

/* One reply line: ends with its only newline, valid UTF-8, an object with
 * the request's id and either the result or the error `err`. */
static void check_reply(const char *reply, json_t *id, const struct api_err *err)
{
	size_t n = strlen(reply);
	json_error_t jerr;
	json_t *o, *e;

	FUZZ_CHECK(n > 0 && reply[n - 1] == '\n', "reply does not end with a newline");
	FUZZ_CHECK(memchr(reply, '\n', n - 1) == NULL, "reply holds a newline: %s", reply);
	FUZZ_CHECK(fuzz_utf8_ok(reply, n), "reply is not valid UTF-8: %s", reply);
	o = json_loadb(reply, n - 1, JSON_REJECT_DUPLICATES, &jerr);
	FUZZ_CHECK(o != NULL, "reply is not JSON (%s): %s", jerr.text, reply);
	FUZZ_CHECK(json_is_object(o), "reply is not an object: %s", reply);
	FUZZ_CHECK(json_equal(json_object_get(o, "id"), id), "reply has another id: %s", reply);
	e = json_object_get(o, "error");
	FUZZ_CHECK((e != NULL) != (json_object_get(o, "result") != NULL),
		   "reply needs exactly one of result and error: %s", reply);
	FUZZ_CHECK(json_object_size(o) == 2, "reply has other members: %s", reply);
	if (err) {
		FUZZ_CHECK(e != NULL, "an error became a result: %s", reply);
		FUZZ_CHECK(json_integer_value(json_object_get(e, "code")) == err->code,
			   "error code changed: %s", reply);
		FUZZ_CHECK(json_is_string(json_object_get(e, "message")) &&
			       strcmp(json_string_value(json_object_get(e, "message")), err->msg) ==
				   0,
			   "error message lost: %s (was %s)", reply, err->msg);
	} else {
		FUZZ_CHECK(e == NULL, "a result became an error: %s", reply);
	}
	json_decref(o);
}

/* Reads every parameter of `m` with the getter of its type. With `valid`
 * (api_validate() accepted the params), none may fail; otherwise a failure
 * must leave an error that encodes. */
static void check_getters(const struct api_method *m, json_t *params, bool valid)
{
	for (const struct api_param *p = m->params; p->key != NULL; p++) {
		struct api_err err = {0};
		const char *s = NULL;
		uint64_t u = 0;
		int rc;

		switch (p->type) {
		case API_T_NAME:
			rc = api_get_name(params, p->key, p->required, &s, &err);
			break;
		case API_T_UINT:
			rc = api_get_uint(params, p->key, p->required, p->min, p->max, &u, &err);
			FUZZ_CHECK(rc != 0 || (u >= p->min && u <= p->max), "%s out of range",
				   p->key);
			break;
		default:
			rc = api_get_str(params, p->key, p->required, &s, &err);
			break;
		}
		FUZZ_CHECK(rc == 0 || rc == 1 || rc == -EINVAL, "getter of %s returned %d", p->key,
			   rc);
		FUZZ_CHECK(!(valid && rc < 0),
			   "%s: \"%s\" passed api_validate() but its getter "
			   "says: %s",
			   m->name, p->key, err.msg);
		FUZZ_CHECK(!(valid && rc == 1 && p->required), "%s: required \"%s\" absent",
			   m->name, p->key);
		if (rc == 0 && s != NULL && valid && p->type == API_T_IFNAME)
			FUZZ_CHECK(api_ifname_ok(s), "%s: interface name %s accepted", m->name, s);
		if (rc < 0) {
			char *line = api_encode_error(NULL, &err);

			check_msg(err.msg, sizeof(err.msg), p->key);
			FUZZ_CHECK(line != NULL, "getter error of %s does not encode", p->key);
			check_reply(line, json_null(), &err);
			free(line);
		}
	}
}

/* One line, as ctl_handle_line() of the switch takes it. */
static void handle_line(const char *line, size_t len)
{
	const struct api_method *m = NULL;
	struct api_req req;
	struct api_err err = {0};
	char *reply;
	int rc;

	while (len > 0 && (line[len - 1] == '\r' || line[len - 1] == ' '))
		len--;
	if (len == 0)
		return; /* blank lines are ignored */
	rc = api_parse(line, len, &req, &err);
	FUZZ_CHECK(req.id != NULL, "no id after api_parse() (%d)", rc);
	if (rc == 0) {
		FUZZ_CHECK(req.root && req.method && json_is_object(req.params),
			   "api_parse() accepted a request without method or params");
		m = api_method_find(req.method);
		if (m == NULL) {
			rc = api_fail(&err, API_ERR_METHOD,
				      "unknown method \"%.64s\" (see docs/switch-api.md)",
				      req.method);
		} else {
			char msg[sizeof(err.msg)];

			memset(msg, 0, sizeof(msg));
			if (api_validate(m, req.params, msg, sizeof(msg)) < 0) {
				check_msg(msg, sizeof(msg), "api_validate()");
				rc = api_fail(&err, -EINVAL, "%s", msg);
			}
			check_getters(m, req.params, rc == 0);
		}
	} else {
		FUZZ_CHECK(req.root == NULL, "api_parse() failed (%d) but kept the request", rc);
	}
	if (rc != 0) {
		FUZZ_CHECK(rc == err.code && code_ok(rc), "unexpected error code %d (%d)", rc,
			   err.code);
		check_msg(err.msg, sizeof(err.msg), "error");
		reply = api_encode_error(req.id, &err);
		FUZZ_CHECK(reply != NULL, "an error reply must always encode (code %d: %s)",
			   err.code, err.msg);
	} else {
		reply = api_encode_result(req.id, json_deep_copy(req.params));
		FUZZ_CHECK(reply != NULL, "the result of %s does not encode", m->name);
	}
	check_reply(reply, req.id, rc != 0 ? &err : NULL);
	free(reply);
	api_req_free(&req);
}

/* api_utf8_clean() of the input taken as a C string. */
static void check_clean(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1), *again;
	size_t n;

	if (!s)
		return;
	memcpy(s, data, size);
	s[size] = '\0';
	n = strlen(s);
	api_utf8_clean(s);
	FUZZ_CHECK(strlen(s) <= n, "api_utf8_clean() made the string longer");
	FUZZ_CHECK(fuzz_utf8_shape_ok(s, strlen(s)), "api_utf8_clean() left a broken sequence");
	FUZZ_CHECK(fuzz_utf8_ok(s, strlen(s)), "api_utf8_clean() left invalid UTF-8");
	again = strdup(s);
	if (again) {
		api_utf8_clean(again);
		FUZZ_CHECK(strcmp(again, s) == 0, "a second api_utf8_clean() changed the string");
		free(again);
	}
	free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data, *end = p + size;

	check_clean(data, size);
	/* lines as the switch cuts them; the last one even without its newline */
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);

		handle_line(p, n);
		p += n + 1;
	}
	return 0;
}
