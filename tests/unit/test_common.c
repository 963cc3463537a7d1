/* Unit tests of the values every part of vlab reads from users (common/):
 * MAC addresses, names, IPv4/IPv6 addresses with prefixes. */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "addr.h"
#include "mac.h"
#include "name.h"
#include "utf8.h"

static void test_mac(void **state)
{
	uint8_t m[6];
	char buf[MAC_STR_LEN];

	assert_int_equal(mac_parse("52:54:00:AB:cd:ef", m), 0);
	assert_int_equal(mac_to_u64(m), 0x525400abcdefull);
	mac_format(m, buf);
	assert_string_equal(buf, "52:54:00:ab:cd:ef");
	mac_from_u64(0x0200000000ffull, m);
	mac_format(m, buf);
	assert_string_equal(buf, "02:00:00:00:00:ff");
	assert_false(mac_is_multicast(m));
	assert_false(mac_is_zero(m));
	for (const char *const *bad = (const char *const[]){"52:54:00:ab:cd", "52:54:00:ab:cd:eg",
							     "52-54-00-ab-cd-ef",
							     "52:54:00:ab:cd:ef:", "", "5:54:00:ab:cd:ef0",
							     " 52:54:00:ab:cd:e", NULL};
	     *bad; bad++)
		assert_int_equal(mac_parse(*bad, m), -EINVAL);
	assert_int_equal(mac_parse(NULL, m), -EINVAL);
	assert_int_equal(mac_parse("ff:ff:ff:ff:ff:ff", m), 0);
	assert_true(mac_is_multicast(m));
}

static void test_name(void **state)
{
	assert_true(name_ok("vm1-eth0", 31));
	assert_true(name_ok("a", 31));
	assert_true(name_ok("x.y_z", 31));
	assert_false(name_ok("", 31));
	assert_false(name_ok(NULL, 31));
	assert_false(name_ok("has space", 31));
	assert_false(name_ok("slash/x", 31));
	assert_false(name_ok(".hidden", 31));
	assert_false(name_ok("-option", 31));
	assert_false(name_ok("caf\xc3\xa9", 31)); /* bytes, not the locale, decide */
	assert_true(name_ok("0123456789012345678901234567890", 31));
	assert_false(name_ok("01234567890123456789012345678901", 31));
	assert_non_null(strstr(name_problem("a/b", 31), "'/'"));
	assert_non_null(strstr(name_problem("", 31), "1 to 31"));
	assert_non_null(strstr(name_problem("-x", 31), "starts with"));
	assert_non_null(strstr(name_problem("caf\xc3\xa9", 31), "0xc3"));
	assert_null(name_problem("ok", 31));
}

static void test_addr(void **state)
{
	struct addr_cidr a, n;
	char buf[64];

	assert_int_equal(addr_parse_cidr("10.1.2.3/24", &a), 0);
	assert_int_equal(a.family, AF_INET);
	assert_int_equal(a.plen, 24);
	assert_int_equal(addr_v4(&a), 0x0a010203);
	assert_false(addr_is_network(&a));
	assert_int_equal(addr_parse_cidr("10.1.2.0/24", &n), 0);
	assert_true(addr_is_network(&n));
	assert_true(addr_contains(&n, &a));
	assert_int_equal(addr_parse("10.1.3.1", &a), 0);
	assert_int_equal(a.plen, 32);
	assert_false(addr_contains(&n, &a));
	assert_int_equal(addr_parse_cidr("2001:db8::1/64", &a), 0);
	assert_int_equal(a.family, AF_INET6);
	assert_false(addr_contains(&n, &a)); /* another family */
	addr_format(&a, buf, sizeof(buf));
	assert_string_equal(buf, "2001:db8::1");
	assert_int_equal(addr_parse_any("2001:db8:0::1", &n), 0);
	assert_true(addr_equal(&a, &n));
	assert_int_equal(addr_parse_any("2001:db8::/32", &n), 0);
	assert_true(addr_contains(&n, &a));
	for (const char *const *bad = (const char *const[]){"10.1.2.3", "10.1.2.3/33", "10.1.2/24",
							     "10.1.2.3/", "/24", "10.1.2.3/2a",
							     "2001:db8::1/129", "x/1", NULL};
	     *bad; bad++)
		assert_int_equal(addr_parse_cidr(*bad, &a), -EINVAL);
	assert_int_equal(addr_parse("10.1.2.3/24", &a), -EINVAL);
	assert_int_equal(addr_parse(NULL, &a), -EINVAL);
}

/* well-formed UTF-8 as RFC 3629 defines it (and jansson accepts) */
static void test_utf8(void **state)
{
	static const struct {
		const char *s;
		size_t seq; /* utf8_seq() of the first character */
	} cases[] = {
		{"a", 1},
		{"\xc3\xa9", 2},             /* U+00E9 */
		{"\xdf\xbf", 2},             /* U+07FF */
		{"\xe0\xa0\x80", 3},         /* U+0800, the first 3-byte one */
		{"\xed\x9f\xbf", 3},         /* U+D7FF, just below the surrogates */
		{"\xee\x80\x80", 3},         /* U+E000, just above them */
		{"\xf0\x90\x80\x80", 4},     /* U+10000 */
		{"\xf4\x8f\xbf\xbf", 4},     /* U+10FFFF, the last */
		{"\x80", 0},                 /* a stray continuation byte */
		{"\xc0\xaf", 0},             /* overlong '/' */
		{"\xc1\xbf", 0},             /* overlong */
		{"\xe0\x80\xaf", 0},         /* overlong 3-byte form */
		{"\xed\xa0\x80", 0},         /* U+D800, a surrogate */
		{"\xed\xbf\xbf", 0},         /* U+DFFF */
		{"\xf0\x80\x80\xaf", 0},     /* overlong 4-byte form */
		{"\xf4\x90\x80\x80", 0},     /* U+110000 */
		{"\xf5\x80\x80\x80", 0},     /* past U+10FFFF */
		{"\xff", 0},
		{"\xc3", 0},                 /* cut */
		{"\xe2\x82", 0},             /* cut euro sign */
		{"\xc3(", 0},                /* continuation missing */
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t n = strlen(cases[i].s);

		if (utf8_seq((const unsigned char *)cases[i].s, n) != cases[i].seq)
			fail_msg("case %zu: utf8_seq %zu, want %zu", i,
				 utf8_seq((const unsigned char *)cases[i].s, n), cases[i].seq);
		assert_int_equal(utf8_valid(cases[i].s, n), cases[i].seq == n);
	}
	/* a sequence is never read past `left` */
	assert_int_equal(utf8_seq((const unsigned char *)"\xc3\xa9", 1), 0);
	assert_int_equal(utf8_seq((const unsigned char *)"", 0), 0);
	assert_true(utf8_valid("", 0));
	assert_true(utf8_valid("a\0b", 3));
	assert_true(utf8_valid("caf\xc3\xa9 \xe2\x82\xac", 9));
	assert_false(utf8_valid("caf\xc3\xa9 \xe2\x82", 8));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mac),
		cmocka_unit_test(test_name),
		cmocka_unit_test(test_addr),
		cmocka_unit_test(test_utf8),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
