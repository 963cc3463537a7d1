/* Unit tests of QEMU command lines (vmhost/qemu.c): KVM and TCG, several
 * NICs, console/QMP/agent sockets, kernel or disk boot, bad input. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "qemu.h"

static struct node node;
static struct qemu_files files;

static int setup(void **state)
{
	memset(&node, 0, sizeof(node));
	snprintf(node.name, sizeof(node.name), "vm1");
	node.n_nics = 2;
	for (int i = 0; i < 2; i++) {
		uint8_t mac[6] = {0x52, 0x54, 0x00, 0x00, 0x00, (uint8_t)(i + 1)};

		memcpy(node.nics[i].mac, mac, 6);
		snprintf(node.nics[i].sock, sizeof(node.nics[i].sock), "/run/vlab/l/vm1/eth%d.sock",
			 i);
	}
	assert_int_equal(qemu_files_init(&files, "/run/vlab/l/vm1"), 0);
	return 0;
}

/* Index of the argument equal to `s` (after `from`), or -1. */
static int find(const struct qemu_argv *a, const char *s, int from)
{
	for (int i = from; i < a->argc; i++)
		if (strcmp(a->argv[i], s) == 0)
			return i;
	return -1;
}

/* Value after option `opt` whose value contains `needle`. */
static const char *opt_with(const struct qemu_argv *a, const char *opt, const char *needle)
{
	for (int i = 0; i + 1 < a->argc; i++)
		if (strcmp(a->argv[i], opt) == 0 && strstr(a->argv[i + 1], needle))
			return a->argv[i + 1];
	return NULL;
}

static void test_tcg(void **state)
{
	struct qemu_opts o = {.kvm = false, .kernel = "/c/vmlinuz", .initrd = "/c/initrd.img",
			      .cmdline = "console=ttyS0 vlab.host=vm1"};
	struct qemu_argv a;

	assert_int_equal(qemu_build_argv(&node, &o, &files, &a), 0);
	assert_string_equal(a.argv[0], "qemu-system-x86_64");
	assert_null(a.argv[a.argc]);
	assert_non_null(opt_with(&a, "-accel", "tcg,tb-size="));
	assert_non_null(opt_with(&a, "-cpu", "qemu64"));
	assert_string_equal(a.argv[find(&a, "-m", 0) + 1], "128");
	assert_string_equal(a.argv[find(&a, "-smp", 0) + 1], "1");
	assert_non_null(opt_with(&a, "-object", "memory-backend-memfd,id=mem,size=128M,share=on"));
	/* both NICs, QEMU owns the sockets, MSI-X off under TCG */
	const char *d0 = opt_with(&a, "-device", "mac=52:54:00:00:00:01");
	const char *d1 = opt_with(&a, "-device", "mac=52:54:00:00:00:02");
	assert_non_null(d0);
	assert_non_null(d1);
	assert_non_null(strstr(d0, "virtio-net-pci,netdev=net0,id=nic0"));
	assert_non_null(strstr(d0, "vectors=0"));
	assert_non_null(strstr(d1, "netdev=net1"));
	assert_non_null(opt_with(&a, "-chardev",
				 "id=vhu0,path=/run/vlab/l/vm1/eth0.sock,server=on,wait=off"));
	assert_non_null(opt_with(&a, "-netdev", "vhost-user,id=net1,chardev=vhu1"));
	/* console, QMP, agent */
	assert_non_null(opt_with(&a, "-chardev", "path=/run/vlab/l/vm1/console.sock"));
	assert_non_null(opt_with(&a, "-chardev", "logfile=/run/vlab/l/vm1/console.log"));
	assert_non_null(opt_with(&a, "-qmp", "unix:/run/vlab/l/vm1/qmp.sock,server=on"));
	assert_non_null(opt_with(&a, "-chardev", "id=qga0,path=/run/vlab/l/vm1/qga.sock"));
	assert_non_null(opt_with(&a, "-device", "name=org.qemu.guest_agent.0"));
	assert_non_null(opt_with(&a, "-device", "virtio-serial-pci,id=vser0,vectors=0"));
	/* kernel boot */
	assert_string_equal(a.argv[find(&a, "-kernel", 0) + 1], "/c/vmlinuz");
	assert_string_equal(a.argv[find(&a, "-initrd", 0) + 1], "/c/initrd.img");
	assert_string_equal(a.argv[find(&a, "-append", 0) + 1], "console=ttyS0 vlab.host=vm1");
	assert_int_equal(find(&a, "-drive", 0), -1);
	assert_int_equal(find(&a, "-daemonize", 0), -1);
	assert_null(opt_with(&a, "-device", "mq=on")); /* one queue pair by default */
	qemu_argv_free(&a);
	qemu_argv_free(&a); /* idempotent */
}

static void test_multiqueue(void **state)
{
	struct qemu_opts o = {.kvm = false, .kernel = "/k"};
	struct qemu_argv a;

	node.nics[1].queues = 4;
	assert_int_equal(qemu_build_argv(&node, &o, &files, &a), 0);
	assert_non_null(opt_with(&a, "-netdev", "vhost-user,id=net1,chardev=vhu1,queues=4"));
	assert_non_null(opt_with(&a, "-netdev", "vhost-user,id=net0,chardev=vhu0"));
	assert_null(opt_with(&a, "-netdev", "id=net0,chardev=vhu0,queues"));
	const char *d1 = opt_with(&a, "-device", "netdev=net1");
	assert_non_null(strstr(d1, ",mq=on"));
	assert_non_null(strstr(d1, "vectors=0")); /* TCG: INTx for all queues */
	qemu_argv_free(&a);
	o.kvm = true; /* MSI-X: a vector per queue, one for config, one for control */
	assert_int_equal(qemu_build_argv(&node, &o, &files, &a), 0);
	assert_non_null(opt_with(&a, "-device", "netdev=net1,id=nic1"));
	assert_non_null(strstr(opt_with(&a, "-device", "netdev=net1"), ",mq=on,vectors=10"));
	qemu_argv_free(&a);
	node.nics[1].queues = 0;
}

static void test_kvm(void **state)
{
	struct qemu_opts o = {.kvm = true, .kernel = "/k", .daemonize = true,
			      .binary = "/opt/qemu"};
	struct qemu_argv a;

	node.cpus = 2;
	node.mem_mib = 512;
	node.nics[0].mtu = 9000;
	assert_int_equal(qemu_build_argv(&node, &o, &files, &a), 0);
	assert_string_equal(a.argv[0], "/opt/qemu");
	assert_non_null(opt_with(&a, "-accel", "kvm"));
	assert_non_null(opt_with(&a, "-cpu", "host"));
	assert_string_equal(a.argv[find(&a, "-smp", 0) + 1], "2");
	assert_string_equal(a.argv[find(&a, "-m", 0) + 1], "512");
	assert_non_null(opt_with(&a, "-object", "size=512M"));
	assert_null(opt_with(&a, "-device", "vectors=0")); /* MSI-X kept with KVM */
	assert_non_null(opt_with(&a, "-device", "host_mtu=9000"));
	assert_int_equal(find(&a, "-initrd", 0), -1);
	assert_int_not_equal(find(&a, "-daemonize", 0), -1);
	assert_string_equal(a.argv[find(&a, "-pidfile", 0) + 1], "/run/vlab/l/vm1/qemu.pid");
	qemu_argv_free(&a);
}

static void test_disk_boot(void **state)
{
	struct qemu_opts o = {0};
	struct qemu_argv a;

	snprintf(node.disk, sizeof(node.disk), "/images/a,b.raw");
	assert_int_equal(qemu_build_argv(&node, &o, &files, &a), 0);
	/* commas in paths are doubled for QEMU's option parser */
	assert_non_null(opt_with(&a, "-drive", "file=/images/a,,b.raw,if=virtio,format=raw"));
	assert_int_equal(find(&a, "-kernel", 0), -1);
	qemu_argv_free(&a);
}

static void test_bad_input(void **state)
{
	struct qemu_opts o = {.kernel = "/k"};
	struct qemu_opts nokernel = {0};
	struct qemu_argv a;

	assert_int_equal(qemu_build_argv(&node, &nokernel, &files, &a), -EINVAL);
	node.nics[1].sock[0] = '\0';
	assert_int_equal(qemu_build_argv(&node, &o, &files, &a), -EINVAL);
	char longdir[300];
	memset(longdir, 'x', sizeof(longdir) - 1);
	longdir[sizeof(longdir) - 1] = '\0';
	assert_int_equal(qemu_files_init(&files, longdir), -ENAMETOOLONG);
}

static void test_nic_id(void **state)
{
	char b[16];

	qemu_nic_id(3, b, sizeof(b));
	assert_string_equal(b, "nic3");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_tcg, setup),
		cmocka_unit_test_setup(test_multiqueue, setup),
		cmocka_unit_test_setup(test_kvm, setup),
		cmocka_unit_test_setup(test_disk_boot, setup),
		cmocka_unit_test_setup(test_bad_input, setup),
		cmocka_unit_test_setup(test_nic_id, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
