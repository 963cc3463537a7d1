/* Unit tests of the vlab CLI's aligned text tables (control/table.c).
 *
 * Threads: cmocka runs every test on the main thread. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "table.h"

static void test_alignment(void **state)
{
	static const struct table_col cols[] = {{"NAME", false}, {"COUNT", true}, {"NOTE", false}};
	const char *r1[] = {"a", "1", "short"};
	const char *r2[] = {"longer-name", "123456", NULL};
	struct table *t = table_new(cols, 3);
	char *out;

	assert_non_null(t);
	assert_int_equal(table_add_row(t, r1), 0);
	assert_int_equal(table_add_row(t, r2), 0);
	assert_int_equal(table_rows(t), 2);
	assert_int_equal(table_render(t, &out), 0);
	/* Left text padded, numbers right-aligned, NULL as "-", no trailing spaces. */
	assert_string_equal(out, "NAME          COUNT  NOTE\n"
				 "a                 1  short\n"
				 "longer-name  123456  -\n");
	free(out);
	table_free(t);
}

static void test_header_only(void **state)
{
	static const struct table_col cols[] = {{"A", false}, {"B", false}};
	struct table *t = table_new(cols, 2);
	char *out;

	assert_int_equal(table_rows(t), 0);
	assert_int_equal(table_render(t, &out), 0);
	assert_string_equal(out, "A  B\n");
	free(out);
	table_free(t);
}

static void test_right_last_column(void **state)
{
	static const struct table_col cols[] = {{"X", false}, {"N", true}};
	const char *r[] = {"x", "1000"};
	struct table *t = table_new(cols, 2);
	char *out;

	assert_int_equal(table_add_row(t, r), 0);
	assert_int_equal(table_render(t, &out), 0);
	assert_string_equal(out, "X     N\nx  1000\n");
	free(out);
	table_free(t);
}

static void test_many_rows(void **state)
{
	static const struct table_col cols[] = {{"I", true}};
	struct table *t = table_new(cols, 1);
	char buf[16], *out;
	const char *r[] = {buf};

	for (int i = 0; i < 1000; i++) {
		snprintf(buf, sizeof(buf), "%d", i);
		assert_int_equal(table_add_row(t, r), 0);
	}
	assert_int_equal(table_rows(t), 1000);
	assert_int_equal(table_render(t, &out), 0);
	assert_int_equal(strncmp(out, "  I\n  0\n  1\n", 12), 0);
	assert_non_null(strstr(out, "\n999\n"));
	free(out);
	table_free(t);
}

static void test_edge_cases(void **state)
{
	static const struct table_col cols[] = {{"A", false}};

	assert_null(table_new(cols, 0));
	table_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_alignment),	      cmocka_unit_test(test_header_only),
	    cmocka_unit_test(test_right_last_column), cmocka_unit_test(test_many_rows),
	    cmocka_unit_test(test_edge_cases),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
