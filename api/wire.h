/* Control API wire format: parsing one request line, reading parameters
 * that api_validate() (schema.h) already checked, and encoding results and
 * errors (see docs/switch-api.md).
 *
 * Pure (jansson only): no sockets, no EAL; used by the switch's control
 * thread and by unit tests. */
#ifndef VLAB_API_WIRE_H
#define VLAB_API_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "schema.h"

#define API_ERR_PARSE    -32700
#define API_ERR_REQUEST  -32600
#define API_ERR_METHOD   -32601

/* A parsed request. `id` and `params` are borrowed from `root`. */
struct api_req {
	json_t *root;
	json_t *id;         /* JSON null when absent */
	const char *method;
	json_t *params;     /* an object (empty when absent) */
};

/* An error to report: code and message. */
struct api_err {
	int code;
	char msg[256];
};

/* Sets an error; returns `code` so callers can `return api_fail(...)`. */
int api_fail(struct api_err *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Makes `s` valid UTF-8 in place: a multi-byte sequence cut short (by a
 * truncating format) is removed, other invalid bytes become '?'. */
void api_utf8_clean(char *s);

/* Parses one line (without the newline). 0, or a negative API error code with
 * `err` filled in; on success the caller frees with api_req_free(). On
 * failure `req->id` may still hold the request's id (else null). */
int api_parse(const char *line, size_t len, struct api_req *req, struct api_err *err);
void api_req_free(struct api_req *req);

/* Typed parameter getters: 0 when present and valid, 1 when absent and not
 * required (output untouched), else -EINVAL with `err` filled in. */
int api_get_str(json_t *params, const char *key, bool required, const char **out,
		struct api_err *err);
int api_get_uint(json_t *params, const char *key, bool required, uint64_t min, uint64_t max,
		 uint64_t *out, struct api_err *err);
/* A name: 1..31 characters from [A-Za-z0-9_.-]. */
int api_get_name(json_t *params, const char *key, bool required, const char **out,
		 struct api_err *err);

/* Encodes a response line (with the trailing newline). Caller frees. */
char *api_encode_result(json_t *id, json_t *result);
char *api_encode_error(json_t *id, const struct api_err *err);

#endif
