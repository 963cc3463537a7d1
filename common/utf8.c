/* UTF-8 well-formedness and escaping; see utf8.h. Pure; any thread. */
#include "utf8.h"

#include <stdio.h>
#include <string.h>

size_t utf8_seq(const unsigned char *s, size_t left)
{
	unsigned char c = s[0], lo = 0x80, hi = 0xbf;
	size_t n;

	if (left == 0)
		return 0;
	if (c < 0x80)
		return 1;
	if (c < 0xc2 || c > 0xf4) /* continuation byte, overlong 2-byte form, past U+10FFFF */
		return 0;
	n = c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4;
	if (c == 0xe0)
		lo = 0xa0; /* overlong 3-byte form */
	else if (c == 0xed)
		hi = 0x9f; /* surrogates */
	else if (c == 0xf0)
		lo = 0x90; /* overlong 4-byte form */
	else if (c == 0xf4)
		hi = 0x8f; /* past U+10FFFF */
	if (n > left || s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < n; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	return n;
}

bool utf8_valid(const char *s, size_t n)
{
	for (size_t i = 0, k; i < n; i += k) {
		k = utf8_seq((const unsigned char *)s + i, n - i);
		if (k == 0)
			return false;
	}
	return true;
}

bool utf8_escape(char *dst, size_t len, const char *src)
{
	size_t n = strlen(src), w = 0;

	if (len == 0)
		return n == 0;
	for (size_t i = 0, k; i < n; i += k) {
		const unsigned char *c = (const unsigned char *)src + i;
		char esc[8];
		const char *piece = esc;
		size_t plen;

		k = utf8_seq(c, n - i);
		if (k == 0) {
			k = 1;
			plen = (size_t)snprintf(esc, sizeof(esc), "\\x%02x", c[0]);
		} else if (k == 1 && (c[0] < 0x20 || c[0] == 0x7f)) {
			plen = c[0] == '\n'   ? (size_t)snprintf(esc, sizeof(esc), "\\n")
			       : c[0] == '\r' ? (size_t)snprintf(esc, sizeof(esc), "\\r")
			       : c[0] == '\t' ? (size_t)snprintf(esc, sizeof(esc), "\\t")
					      : (size_t)snprintf(esc, sizeof(esc), "\\x%02x", c[0]);
		} else if (k == 2 && c[0] == 0xc2 && c[1] < 0xa0) {
			plen = (size_t)snprintf(esc, sizeof(esc), "\\u%04x", c[1]);
		} else {
			piece = (const char *)c;
			plen = k;
		}
		if (w + plen >= len) {
			dst[w] = '\0';
			return false;
		}
		memcpy(dst + w, piece, plen);
		w += plen;
	}
	dst[w] = '\0';
	return true;
}

void utf8_trim_cut(char *s)
{
	size_t n = strlen(s), i = n;

	/* back over at most 3 continuation bytes to the last lead byte */
	while (i > 0 && n - i < 4 && ((unsigned char)s[i - 1] & 0xc0) == 0x80)
		i--;
	if (i == 0 || (unsigned char)s[i - 1] < 0xc0)
		return;
	i--;
	if (utf8_seq((const unsigned char *)s + i, n - i) != n - i)
		s[i] = '\0';
}
