/* Control API wire format; see wire.h. Pure; the switch's control thread. */
#include "name.h"
#include "utf8.h"
#include "wire.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void api_utf8_clean(char *s)
{
	size_t len = strlen(s), w = 0;

	for (size_t i = 0; i < len;) {
		const unsigned char c = (unsigned char)s[i];
		size_t n = utf8_seq((const unsigned char *)s + i, len - i), k = i + 1;
		size_t want = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : 2;

		if (n > 0) {
			memmove(s + w, s + i, n);
			w += n;
			i += n;
			continue;
		}
		/* a lead byte whose sequence a truncating format cut: drop it and
		 * the continuation bytes it kept; any other ill-formed byte
		 * (stray continuation, overlong form, surrogate, past U+10FFFF): '?' */
		while (k < len && ((unsigned char)s[k] & 0xc0) == 0x80 && k - i < want)
			k++;
		if (c >= 0xc2 && c <= 0xf4 && k - i < want) {
			i = k;
			continue;
		}
		s[w++] = '?';
		i++;
	}
	s[w] = '\0';
}

int api_fail(struct api_err *err, int code, const char *fmt, ...)
{
	va_list ap;

	err->code = code;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	/* messages quote what clients sent, cut to a size: keep them valid UTF-8
	 * so the reply can always be encoded */
	api_utf8_clean(err->msg);
	return code;
}

int api_parse(const char *line, size_t len, struct api_req *req, struct api_err *err)
{
	json_error_t jerr;
	json_t *root, *method, *params;

	memset(req, 0, sizeof(*req));
	req->id = json_null();
	if (len > API_MAX_LINE)
		return api_fail(err, API_ERR_REQUEST, "request longer than %d bytes", API_MAX_LINE);
	if (memchr(line, '\0', len) != NULL)
		return api_fail(err, API_ERR_PARSE, "not JSON: a NUL byte at column %zu",
				(size_t)((const char *)memchr(line, '\0', len) - line) + 1);
	root = json_loadb(line, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &jerr);
	if (root == NULL)
		return api_fail(err, API_ERR_PARSE, "not JSON: %s at column %d", jerr.text,
				jerr.column);
	req->root = root;
	if (!json_is_object(root)) {
		api_fail(err, API_ERR_REQUEST, "a request must be a JSON object with a \"method\"");
		goto out_free;
	}
	if (json_object_get(root, "id") != NULL)
		req->id = json_object_get(root, "id");
	method = json_object_get(root, "method");
	if (!json_is_string(method)) {
		api_fail(err, API_ERR_REQUEST, "\"method\" is missing or not a string");
		goto out_free;
	}
	params = json_object_get(root, "params");
	if (params != NULL && !json_is_null(params) && !json_is_object(params)) {
		api_fail(err, API_ERR_REQUEST, "\"params\" must be an object");
		goto out_free;
	}
	const char *key;
	json_t *val;
	json_object_foreach(root, key, val)
	{
		if (strcmp(key, "id") && strcmp(key, "method") && strcmp(key, "params")) {
			api_fail(err, API_ERR_REQUEST,
				 "unknown request member \"%.64s\" (use id, method, params)", key);
			goto out_free;
		}
	}
	req->method = json_string_value(method);
	if (params == NULL || json_is_null(params)) {
		params = json_object();
		json_object_set_new(root, "params", params);
	}
	req->params = params;
	return 0;

out_free:
	/* keep the id alive for the error response */
	json_incref(req->id);
	json_decref(root);
	req->root = NULL;
	return err->code;
}

void api_req_free(struct api_req *req)
{
	if (req->root != NULL)
		json_decref(req->root);
	else
		json_decref(req->id);
	memset(req, 0, sizeof(*req));
}

int api_get_str(json_t *params, const char *key, bool required, const char **out,
		struct api_err *err)
{
	json_t *v = json_object_get(params, key);

	if (v == NULL || json_is_null(v)) {
		if (required)
			return api_fail(err, -EINVAL, "missing parameter \"%s\"", key);
		return 1;
	}
	if (!json_is_string(v))
		return api_fail(err, -EINVAL, "parameter \"%s\" must be a string", key);
	if (strlen(json_string_value(v)) != json_string_length(v))
		return api_fail(err, -EINVAL, "parameter \"%s\" contains a NUL byte", key);
	*out = json_string_value(v);
	return 0;
}

int api_get_uint(json_t *params, const char *key, bool required, uint64_t min, uint64_t max,
		 uint64_t *out, struct api_err *err)
{
	json_t *v = json_object_get(params, key);
	json_int_t i;

	if (v == NULL || json_is_null(v)) {
		if (required)
			return api_fail(err, -EINVAL, "missing parameter \"%s\"", key);
		return 1;
	}
	if (!json_is_integer(v))
		return api_fail(err, -EINVAL, "parameter \"%s\" must be an integer", key);
	i = json_integer_value(v);
	if (i < 0 || (uint64_t)i < min || (uint64_t)i > max)
		return api_fail(err, -EINVAL, "parameter \"%s\" must be in %llu..%llu (got %lld)",
				key, (unsigned long long)min, (unsigned long long)max,
				(long long)i);
	*out = (uint64_t)i;
	return 0;
}

int api_get_name(json_t *params, const char *key, bool required, const char **out,
		 struct api_err *err)
{
	int rc = api_get_str(params, key, required, out, err);

	if (rc != 0)
		return rc;
	if (!api_name_ok(*out))
		return api_fail(err, -EINVAL,
				"parameter \"%s\": name \"%.40s\" %s", key, *out,
				name_problem(*out, API_NAME_MAX));
	return 0;
}

static char *api_encode(json_t *obj)
{
	char *s = json_dumps(obj, JSON_COMPACT);
	char *line;
	size_t n;

	json_decref(obj);
	if (s == NULL)
		return NULL;
	n = strlen(s);
	line = realloc(s, n + 2);
	if (line == NULL) {
		free(s);
		return NULL;
	}
	line[n] = '\n';
	line[n + 1] = '\0';
	return line;
}

char *api_encode_result(json_t *id, json_t *result)
{
	return api_encode(json_pack("{s:O?,s:o}", "id", id, "result", result));
}

char *api_encode_error(json_t *id, const struct api_err *err)
{
	char *line = api_encode(json_pack("{s:O?,s:{s:i,s:s}}", "id", id, "error", "code",
					  err->code, "message", err->msg));

	/* never lose a reply: without its message if that cannot be encoded */
	if (line == NULL)
		line = api_encode(json_pack("{s:O?,s:{s:i,s:s}}", "id", id, "error", "code",
					    err->code, "message", "(message not encodable)"));
	return line;
}
