/* Unit tests of the devargs checks of ring, null and pcap ports
 * (switch/port/devargs.c): what reaches DPDK drivers, and what does not. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "devargs.h"

static void ok(const char *type, const char *d)
{
	char msg[256] = "";

	if (devargs_check(type, d, msg, sizeof(msg)) != 0) {
		print_message("%s \"%s\": %s\n", type, d ? d : "(none)", msg);
		fail();
	}
}

static void refused(const char *type, const char *d, const char *needle)
{
	char msg[256] = "";

	if (devargs_check(type, d, msg, sizeof(msg)) != -EINVAL || !strstr(msg, needle)) {
		print_message("%s \"%s\": expected an error with \"%s\", got \"%s\"\n", type, d,
			      needle, msg);
		fail();
	}
}

static void test_null(void **state)
{
	ok("null", NULL);
	ok("null", "");
	ok("null", "size=64");
	ok("null", "no-rx=0,copy=1,size=2048");
	/* the crash found by fuzzing: frames larger than a packet buffer */
	refused("null", "no-rx=0,copy=1,size=65535", "1 to 2048 bytes");
	refused("null", "size=4096", "1 to 2048");
	refused("null", "size=2100", "1 to 2048");
	refused("null", "size=0", "1 to 2048");
	refused("null", "size=-1", "1 to 2048");
	refused("null", "size=64x", "1 to 2048");
	refused("null", "copy=2", "0 or 1");
	refused("null", "bogus=1", "not one a null port takes (size, copy, no-rx)");
	refused("null", "size", "want key=value");
}

static void test_ring_and_pcap(void **state)
{
	ok("ring", NULL);
	/* nodeaction makes net_ring create more devices */
	refused("ring", "nodeaction=leak1:0:CREATE", "ring ports take no devargs");
	ok("pcap", "rx_pcap=/tmp/in.pcap");
	ok("pcap", "rx_pcap=/tmp/in.pcap,tx_pcap=/tmp/out.pcap,infinite_rx=1");
	refused("pcap", NULL, "need");
	refused("pcap", "infinite_rx=1", "rx_pcap=FILE and/or tx_pcap=FILE");
	refused("pcap", "tx_pcap=/o.pcap,infinite_rx=1", "infinite_rx=1 needs rx_pcap");
	/* a live capture on one of the machine's interfaces */
	refused("pcap", "iface=eth0", "not one a pcap port takes");
	refused("pcap", "rx_iface=eth0,tx_pcap=/o", "not one a pcap port takes");
	refused("pcap", "rx_pcap=", "needs a file path");
}

static void test_value(void **state)
{
	char v[16];

	assert_true(devargs_value("rx_pcap=/a.pcap,tx_pcap=/b.pcap", "tx_pcap", v, sizeof(v)));
	assert_string_equal(v, "/b.pcap");
	assert_true(devargs_value("rx_pcap=/a.pcap,tx_pcap=/b.pcap", "rx_pcap", v, sizeof(v)));
	assert_string_equal(v, "/a.pcap");
	/* a key is matched whole, not as a prefix of another */
	assert_false(devargs_value("rx_pcap_x=/a", "rx_pcap", v, sizeof(v)));
	assert_false(devargs_value("x_rx_pcap=/a", "rx_pcap", v, sizeof(v)));
	assert_false(devargs_value(NULL, "rx_pcap", v, sizeof(v)));
	assert_false(devargs_value("", "rx_pcap", v, sizeof(v)));
	/* a value that does not fit is not cut */
	assert_false(devargs_value("rx_pcap=/a/very/long/path.pcap", "rx_pcap", v, sizeof(v)));
	assert_true(devargs_value("rx_pcap=", "rx_pcap", v, sizeof(v)));
	assert_string_equal(v, "");
}

static void test_pcap_head(void **state)
{
	unsigned char h[24] = {0};
	static const unsigned char good[][4] = {
		{0xd4, 0xc3, 0xb2, 0xa1},
		{0xa1, 0xb2, 0xc3, 0xd4},
		{0x4d, 0x3c, 0xb2, 0xa1},
		{0xa1, 0xb2, 0x3c, 0x4d},
	};

	for (size_t i = 0; i < 4; i++) {
		memcpy(h, good[i], 4);
		assert_null(devargs_pcap_head_problem(h, sizeof(h)));
		/* a header cut short is refused whatever its magic */
		assert_non_null(strstr(devargs_pcap_head_problem(h, 23), "shorter than"));
	}
	memcpy(h, "\x0a\x0d\x0d\x0a", 4);
	assert_non_null(strstr(devargs_pcap_head_problem(h, sizeof(h)), "editcap -F pcap"));
	memcpy(h, "#!/b", 4);
	assert_string_equal(devargs_pcap_head_problem(h, sizeof(h)), "is not a pcap file");
	assert_non_null(devargs_pcap_head_problem(h, 0));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_null),
		cmocka_unit_test(test_ring_and_pcap),
		cmocka_unit_test(test_value),
		cmocka_unit_test(test_pcap_head),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
