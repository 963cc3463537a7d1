/* Name validation; see name.h. Pure. */
#include "name.h"

#include <stdio.h>
#include <string.h>

static bool name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '.' || c == '-';
}

const char *name_problem(const char *s, size_t max)
{
	static _Thread_local char buf[80];
	size_t n;

	n = s == NULL ? 0 : strlen(s);
	if (n == 0 || n > max) {
		snprintf(buf, sizeof(buf), "must be 1 to %zu characters long%s", max,
			 n == 0 ? " (it is empty)" : "");
		return buf;
	}
	for (size_t i = 0; i < n; i++)
		if (!name_char(s[i])) {
			if ((unsigned char)s[i] >= 0x20 && (unsigned char)s[i] < 0x7f)
				snprintf(buf, sizeof(buf),
					 "has an invalid character '%c' (allowed: A-Z a-z 0-9 _ . -)",
					 s[i]);
			else
				snprintf(buf, sizeof(buf),
					 "has an invalid byte 0x%02x (allowed: A-Z a-z 0-9 _ . -)",
					 (unsigned char)s[i]);
			return buf;
		}
	if (s[0] == '.' || s[0] == '-')
		return "starts with . or -";
	return NULL;
}

bool name_ok(const char *s, size_t max)
{
	return name_problem(s, max) == NULL;
}
