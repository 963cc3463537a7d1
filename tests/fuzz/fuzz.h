/* Shared helpers of the fuzz harnesses in tests/fuzz (see README.md there):
 * the check that turns a broken invariant into a crash the fuzzer records,
 * and a UTF-8 validator for what the project prints or sends.
 *
 * Each harness defines LLVMFuzzerTestOneInput(); built with -Dfuzz=true
 * (clang) libFuzzer drives it, otherwise replay.c's main() runs it over the
 * seed and reproducer directories. Runs on the fuzzer's only thread. */
#ifndef VLAB_FUZZ_H
#define VLAB_FUZZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* An invariant of the code under test: when it does not hold, say which and
 * abort(), which libFuzzer (and the replay) report as a crash. */
#define FUZZ_CHECK(cond, fmt, ...)                                                                 \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "%s:%d: invariant broken: %s: " fmt "\n", __FILE__,        \
				__LINE__, #cond, ##__VA_ARGS__);                                   \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

/* True when the `len` bytes at `s` are valid UTF-8 (RFC 3629: no overlong
 * forms, no surrogates, nothing above U+10FFFF). */
static inline bool fuzz_utf8_ok(const char *str, size_t len)
{
	const unsigned char *s = (const unsigned char *)str;

	for (size_t i = 0; i < len;) {
		unsigned char c = s[i];
		size_t n;
		uint32_t cp;

		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf)
			n = 2, cp = c & 0x1f;
		else if (c >= 0xe0 && c <= 0xef)
			n = 3, cp = c & 0x0f;
		else if (c >= 0xf0 && c <= 0xf4)
			n = 4, cp = c & 0x07;
		else
			return false;
		if (i + n > len)
			return false;
		for (size_t k = 1; k < n; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return false;
			cp = (cp << 6) | (s[i + k] & 0x3f);
		}
		if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		i += n;
	}
	return true;
}

/* Well-formed UTF-8 sequences only (a lead byte with all its continuation
 * bytes, no stray continuation byte), without RFC 3629's limits on the
 * values: what api_utf8_clean() keeps today. */
static inline bool fuzz_utf8_shape_ok(const char *str, size_t len)
{
	const unsigned char *s = (const unsigned char *)str;

	for (size_t i = 0; i < len;) {
		unsigned char c = s[i];
		size_t n = c < 0x80		    ? 1
			   : c >= 0xc2 && c <= 0xdf ? 2
			   : (c & 0xf0) == 0xe0	    ? 3
			   : (c & 0xf8) == 0xf0	    ? 4
						    : 0;

		if (n == 0 || i + n > len)
			return false;
		for (size_t k = 1; k < n; k++)
			if ((s[i + k] & 0xc0) != 0x80)
				return false;
		i += n;
	}
	return true;
}

#endif
