/* Names of things a user gives (networks, ports, nodes, labs, interfaces):
 * the one validator of vlab, the same rule everywhere.
 *
 * Pure and locale-independent; any thread. */
#ifndef VLAB_NAME_H
#define VLAB_NAME_H

#include <stdbool.h>
#include <stddef.h>

/* True when `s` has 1..max characters from A-Z a-z 0-9 _ . -, and does not
 * start with "." or "-" (names become file names and command-line words). */
bool name_ok(const char *s, size_t max);

/* The problem with `s` as a name of at most `max` characters, for a message
 * ("must be 1 to 31 characters long", "has an invalid character
 * '/' (allowed: ...)", "starts with . or -"), or NULL when it is fine. The
 * text stays valid until the thread's next call. */
const char *name_problem(const char *s, size_t max);

#endif
