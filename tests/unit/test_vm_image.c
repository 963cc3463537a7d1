/* Unit tests for the pure parts of the guest image inputs
 * (vmhost/image_inputs.c): finding a module in modules.dep and
 * modules.builtin text, busybox applets shadowed by the real tools, and the
 * cache key (stable, and new when an input changes). Single-threaded, no
 * I/O. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "image_priv.h"

static void test_find_module(void **state)
{
	static const char dep[] =
	    "kernel/drivers/virtio/virtio_ring.ko.xz:\n"
	    "kernel/drivers/virtio/virtio.ko.xz: kernel/drivers/virtio/virtio_ring.ko.xz\n"
	    "kernel/drivers/net/net-failover.ko.zst: kernel/net/core/failover.ko.zst\n"
	    "kernel/drivers/net/virtio_net.ko: kernel/drivers/net/net-failover.ko.zst";
	static const char builtin[] = "kernel/drivers/char/virtio_console.ko\n";
	char found[128];

	(void)state;
	assert_true(img_find_module(dep, "virtio", found, sizeof(found)));
	assert_string_equal(found, "kernel/drivers/virtio/virtio.ko.xz");
	assert_true(img_find_module(dep, "virtio_ring", found, sizeof(found)));
	assert_string_equal(found, "kernel/drivers/virtio/virtio_ring.ko.xz");
	assert_true(img_find_module(dep, "net_failover", found, sizeof(found))); /* '-' is '_' */
	assert_string_equal(found, "kernel/drivers/net/net-failover.ko.zst");
	assert_true(img_find_module(dep, "virtio_net", found, sizeof(found))); /* last line */
	assert_string_equal(found, "kernel/drivers/net/virtio_net.ko");
	assert_false(img_find_module(dep, "failover", found, sizeof(found))); /* only a dep */
	assert_false(img_find_module(dep, "virtio_console", found, sizeof(found)));
	assert_true(img_find_module(builtin, "virtio_console", found, sizeof(found)));
	assert_string_equal(found, "kernel/drivers/char/virtio_console.ko");
	assert_false(img_find_module(dep, "virtio", found, 10)); /* path does not fit */
	assert_false(img_find_module("", "virtio", found, sizeof(found)));
}

static void test_applet_shadowed(void **state)
{
	(void)state;
	assert_true(img_applet_shadowed("sbin/ip"));
	assert_true(img_applet_shadowed("usr/bin/tcpdump"));
	assert_false(img_applet_shadowed("bin/ls"));
	assert_false(img_applet_shadowed("bin/ipcalc"));
}

static void test_key(void **state)
{
	static struct img_inputs in;
	struct img_file f[2] = {0};
	char k1[128], k2[128], k3[128];

	(void)state;
	memset(&in, 0, sizeof(in));
	snprintf(in.kver, sizeof(in.kver), "6.1.0-99-amd64");
	snprintf(in.kernel, sizeof(in.kernel), "/boot/vmlinuz-6.1.0-99-amd64");
	in.kernel_st.st_size = 8000000;
	f[0].src = "/usr/bin/busybox";
	f[0].dst = "/bin/busybox";
	f[0].st.st_size = 2000000;
	f[1].src = "/lib/modules/x/virtio_net.ko.xz";
	f[1].dst = "/lib/modules/virtio_net.ko";
	f[1].st.st_mtim.tv_sec = 1700000000;
	in.files = f;
	in.n_files = 2;

	img_make_key(&in, k1, sizeof(k1));
	img_make_key(&in, k2, sizeof(k2));
	assert_string_equal(k1, k2);
	assert_int_equal(strlen(k1), strlen("6.1.0-99-amd64-") + 16);
	assert_memory_equal(k1, "6.1.0-99-amd64-", 15);
	f[1].st.st_mtim.tv_sec++; /* a package upgrade */
	img_make_key(&in, k3, sizeof(k3));
	assert_string_not_equal(k1, k3);
	f[1].st.st_mtim.tv_sec--;
	f[0].dst = "/bin/busybox2"; /* same file, elsewhere in the image */
	img_make_key(&in, k3, sizeof(k3));
	assert_string_not_equal(k1, k3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_find_module),
	    cmocka_unit_test(test_applet_shadowed),
	    cmocka_unit_test(test_key),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
