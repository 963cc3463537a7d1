/* Client of the vlab-switchd control API (docs/switch-api.md): connects to the
 * switch's Unix stream socket, sends one JSON request per line and reads the
 * matching response line.
 *
 * Threads: one connection belongs to one thread (the vlab main thread). The
 * encode/decode helpers are pure and unit-tested without a switch. */
#ifndef VLAB_SWCLIENT_H
#define VLAB_SWCLIENT_H

#include <jansson.h>

#include "schema.h"

#define SWC_DEFAULT_SOCKET API_SOCKET_DEFAULT
#define SWC_SOCKET_ENV	   API_SOCKET_ENV
#define SWC_TIMEOUT_MS	   30000	/* per send and per receive */
#define SWC_MAX_RESPONSE   (256u << 20) /* longest response line accepted */

struct swc;

/* An error object answered by the switch. */
struct swc_error {
	int code;	   /* negative errno, or a JSON-RPC code such as -32601 */
	char message[512]; /* the switch's message, names the object and the fix */
};

/* The socket to use: `override` (the --socket option) when not NULL, else
 * $VLAB_SWITCH_SOCKET when set and non-empty, else SWC_DEFAULT_SOCKET. */
const char *swc_socket_path(const char *override);

/* Connects to the switch at `path`. Returns 0 and a handle in *out, or a
 * negative errno (-ENOENT, -ECONNREFUSED, -EACCES, -ENAMETOOLONG, ...). */
int swc_connect(const char *path, struct swc **out);

/* The descriptor the switch passed with the last reply (the capture stream
 * of capture.start / capture.recent), now the caller's; -1 when none. */
int swc_take_fd(struct swc *c);

/* Closes the connection; accepts NULL. */
void swc_close(struct swc *c);

/* Sends {"id", "method", "params"} (params omitted when NULL) and waits for the
 * response. On success returns 0 and a new reference in *result. When the
 * switch answers an error, returns -EREMOTEIO and fills *err. Otherwise a
 * negative errno: -ETIMEDOUT, -ECONNRESET (switch closed the connection),
 * -EPROTO (response is not valid), -EMSGSIZE (response too long), -ENOMEM. */
int swc_call(struct swc *c, const char *method, const json_t *params, json_t **result,
	     struct swc_error *err);

/* One request on a connection of its own: connect, call, close. `params` is
 * released (it may be NULL); `result` may be NULL when the result is not
 * wanted. The request is first checked against the API schema, as the switch
 * checks it: one the switch would refuse is not sent (-EREMOTEIO, err->code
 * -EINVAL, the message naming the parameter). Returns as swc_call(), or the
 * negative errno of swc_connect(). */
int swc_request(const char *path, const char *method, json_t *params, json_t **result,
		struct swc_error *err);

/* Encodes one request line, '\n'-terminated, into a new string (free() it).
 * Returns NULL on ENOMEM. */
char *swc_encode_request(json_int_t id, const char *method, const json_t *params);

/* Decodes one response line (without its '\n') to the request `id`. Returns
 * 0 and a new reference in *result, -EREMOTEIO with *err filled, or -EPROTO
 * when the line is not a response to `id`. */
int swc_decode_response(const char *line, json_int_t id, json_t **result, struct swc_error *err);

#endif /* VLAB_SWCLIENT_H */
