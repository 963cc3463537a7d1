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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mac),
		cmocka_unit_test(test_name),
		cmocka_unit_test(test_addr),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
