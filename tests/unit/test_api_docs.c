/* Contract test: docs/switch-api.md describes the API schema (api/schema.h)
 * exactly. Every method of the schema has its section and every section is
 * a method; every parameter of a method is named in its section; every drop
 * and event reason has its row; the version and the default socket match. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "schema.h"

static char *doc;

static int load(void **state)
{
	const char *root = getenv("VLAB_SOURCE_ROOT");
	char path[512];
	FILE *f;
	long n;

	snprintf(path, sizeof(path), "%s/docs/switch-api.md", root ? root : ".");
	f = fopen(path, "r");
	if (!f) {
		print_message("cannot read %s\n", path);
		return -1;
	}
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	doc = calloc(1, (size_t)n + 1);
	if (!doc || fread(doc, 1, (size_t)n, f) != (size_t)n) {
		fclose(f);
		return -1;
	}
	fclose(f);
	return 0;
}

static int unload(void **state)
{
	free(doc);
	return 0;
}

/* The text of the section of method `name`: from its "### `name`" heading to
 * the next heading; NULL when there is none. Caller frees. */
static char *section(const char *name)
{
	char head[96];
	const char *a, *b;
	char *s;

	snprintf(head, sizeof(head), "\n### `%s`", name);
	a = strstr(doc, head);
	if (!a)
		return NULL;
	b = strstr(a + 1, "\n#");
	if (!b)
		b = a + strlen(a);
	s = strndup(a, (size_t)(b - a));
	return s;
}

static void test_methods_documented(void **state)
{
	for (const struct api_method *m = api_methods; m->name; m++) {
		char *s = section(m->name);

		if (!s) {
			print_message("method %s has no section in docs/switch-api.md\n", m->name);
			fail();
		}
		for (const struct api_param *p = m->params; p->key; p++) {
			char quoted[48];

			snprintf(quoted, sizeof(quoted), "`%s`", p->key);
			if (!strstr(s, quoted) && !strstr(s, p->key)) {
				print_message("parameter %s of %s is not in its section\n", p->key,
					      m->name);
				fail();
			}
		}
		free(s);
	}
}

static void test_no_stale_sections(void **state)
{
	for (const char *p = strstr(doc, "\n### `"); p; p = strstr(p + 1, "\n### `")) {
		const char *a = p + 6, *b = strchr(a, '`');
		char name[64];

		assert_non_null(b);
		snprintf(name, sizeof(name), "%.*s", (int)(b - a), a);
		if (!api_method_find(name)) {
			print_message("docs/switch-api.md documents %s, which the schema lacks\n",
				      name);
			fail();
		}
	}
}

static void test_reasons_documented(void **state)
{
	char row[64];

	for (int i = 0; i < API_DROP_MAX; i++) {
		snprintf(row, sizeof(row), "| `%s` |", api_drops[i].name);
		if (!strstr(doc, row)) {
			print_message("drop reason %s has no row in docs/switch-api.md\n",
				      api_drops[i].name);
			fail();
		}
	}
	for (int i = 0; i < API_EVENT_MAX; i++) {
		snprintf(row, sizeof(row), "| `%s` |", api_events[i].name);
		if (!strstr(doc, row)) {
			print_message("event %s has no row in docs/switch-api.md\n",
				      api_events[i].name);
			fail();
		}
	}
}

static void test_version_and_defaults(void **state)
{
	char title[64];

	snprintf(title, sizeof(title), "(version %d)", API_VERSION);
	assert_non_null(strstr(doc, title));
	assert_non_null(strstr(doc, API_SOCKET_DEFAULT));
	for (const struct api_port_type *t = api_port_types; t->name; t++) {
		char row[48];

		snprintf(row, sizeof(row), "| `%s`", t->name);
		if (!strstr(doc, row) && !strstr(doc, t->name)) {
			print_message("port type %s is not documented\n", t->name);
			fail();
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_methods_documented),
		cmocka_unit_test(test_no_stale_sections),
		cmocka_unit_test(test_reasons_documented),
		cmocka_unit_test(test_version_and_defaults),
	};

	return cmocka_run_group_tests(tests, load, unload);
}
