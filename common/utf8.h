/* UTF-8 as JSON (RFC 8259) and jansson accept it: the one checker of vlab,
 * for values quoted into messages and arguments sent in requests.
 *
 * Pure; any thread. */
#ifndef VLAB_UTF8_H
#define VLAB_UTF8_H

#include <stdbool.h>
#include <stddef.h>

/* Length (1-4) of the well-formed UTF-8 sequence at `s`, of at most `left`
 * bytes, or 0: overlong forms, UTF-16 surrogates (U+D800-U+DFFF), code points
 * over U+10FFFF, stray continuation bytes and cut sequences are not. */
size_t utf8_seq(const unsigned char *s, size_t left);

/* True when all `n` bytes of `s` are well-formed UTF-8 (NUL bytes too). */
bool utf8_valid(const char *s, size_t n);

/* Removes a multi-byte sequence cut short at the end of `s` (by a
 * truncating snprintf), so well-formed text stays well-formed. */
void utf8_trim_cut(char *s);

/* Copies `src` into `dst` (`len` bytes, NUL-terminated) as text safe to
 * print on a terminal or put in JSON: well-formed UTF-8 is kept, control
 * characters become \n \r \t or \xNN (C1 controls \u0080-\u009f), an
 * ill-formed byte \xNN. A character or escape that does not fit is left out
 * whole, never cut. Returns false when `src` did not fit whole. */
bool utf8_escape(char *dst, size_t len, const char *src);

#endif
