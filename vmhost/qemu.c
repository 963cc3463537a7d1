/* QEMU command lines for lab guests; see qemu.h.
 *
 * Shape of a guest: q35, memfd guest RAM shared with the switch (vhost-user
 * needs it), no default devices, serial console on a Unix socket with a log
 * file, QMP on a Unix socket, the guest agent on a virtio-serial port, one
 * vhost-user virtio-net-pci NIC per interface with QEMU owning the socket
 * (the switch connects as client). Under TCG, QEMU 7.2 crashes when a
 * vhost-user NIC uses MSI-X, so NICs (and virtio-serial) get vectors=0. */
#include "qemu.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define QEMU_MAX_ARGS 128

int qemu_files_init(struct qemu_files *f, const char *dir)
{
	struct {
		char *buf;
		const char *name;
	} items[] = {
		{f->qmp, "qmp.sock"},         {f->qga, "qga.sock"},
		{f->console, "console.sock"}, {f->console_log, "console.log"},
		{f->pidfile, "qemu.pid"},
	};

	for (size_t i = 0; i < sizeof(items) / sizeof(items[0]); i++)
		if (snprintf(items[i].buf, NODE_PATH_MAX, "%s/%s", dir, items[i].name) >=
		    NODE_PATH_MAX)
			return -ENAMETOOLONG;
	/* Unix socket paths must fit sockaddr_un */
	if (strlen(f->console) >= 108)
		return -ENAMETOOLONG;
	return 0;
}

void qemu_nic_id(int i, char *buf, size_t len)
{
	snprintf(buf, len, "nic%d", i);
}

/* Appends a formatted argument; -ENOMEM or -E2BIG. */
static int __attribute__((format(printf, 2, 3))) add(struct qemu_argv *a, const char *fmt, ...)
{
	va_list ap;
	char *s;
	int rc;

	if (a->argc + 1 >= QEMU_MAX_ARGS)
		return -E2BIG;
	va_start(ap, fmt);
	rc = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (rc < 0)
		return -ENOMEM;
	a->argv[a->argc++] = s;
	a->argv[a->argc] = NULL;
	return 0;
}

const char *qemu_disk_format(const char *path)
{
	unsigned char magic[4] = {0};
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd >= 0) {
		if (read(fd, magic, sizeof(magic)) != sizeof(magic))
			memset(magic, 0, sizeof(magic));
		close(fd);
	}
	return memcmp(magic, "QFI\xfb", 4) == 0 ? "qcow2" : "raw";
}

/* A value for QEMU's option parser: commas are doubled. */
static const char *qemu_escape(const char *in, char *buf, size_t len)
{
	size_t j = 0;

	for (size_t i = 0; in[i] && j + 2 < len; i++) {
		buf[j++] = in[i];
		if (in[i] == ',')
			buf[j++] = ',';
	}
	buf[j] = '\0';
	return buf;
}

int qemu_build_argv(const struct node *n, const struct qemu_opts *o, const struct qemu_files *f,
		    struct qemu_argv *out)
{
	const char *vec = o->kvm ? "" : ",vectors=0";
	unsigned int mem = n->mem_mib ? n->mem_mib : 128;
	char e1[2 * NODE_PATH_MAX], e2[2 * NODE_PATH_MAX];
	int rc = 0;

	out->argc = 0;
	out->argv = calloc(QEMU_MAX_ARGS, sizeof(char *));
	if (out->argv == NULL)
		return -ENOMEM;
	if (o->kernel == NULL && n->disk[0] == '\0') {
		rc = -EINVAL;
		goto out_free;
	}
	for (int i = 0; i < n->n_nics; i++)
		if (n->nics[i].sock[0] == '\0') {
			rc = -EINVAL;
			goto out_free;
		}

	rc = add(out, "%s", o->binary ? o->binary : "qemu-system-x86_64");
	rc = rc ?: add(out, "-name");
	rc = rc ?: add(out, "guest=%s,debug-threads=on", n->name);
	rc = rc ?: add(out, "-machine");
	rc = rc ?: add(out, "q35");
	/* TCG's translation cache defaults to 1 GiB; 32 MiB keeps an idle
	 * guest's host memory small without slowing a lab guest down */
	rc = rc ?: add(out, "-accel");
	rc = rc ?: add(out, "%s", o->kvm ? "kvm" : "tcg,tb-size=32");
	rc = rc ?: add(out, "-cpu");
	rc = rc ?: add(out, "%s", o->kvm ? "host" : "qemu64");
	rc = rc ?: add(out, "-smp");
	rc = rc ?: add(out, "%u", n->cpus ? n->cpus : 1);
	rc = rc ?: add(out, "-m");
	rc = rc ?: add(out, "%u", mem);
	rc = rc ?: add(out, "-object");
	rc = rc ?: add(out, "memory-backend-memfd,id=mem,size=%uM,share=on", mem);
	rc = rc ?: add(out, "-numa");
	rc = rc ?: add(out, "node,memdev=mem");
	rc = rc ?: add(out, "-nodefaults");
	rc = rc ?: add(out, "-no-user-config");
	rc = rc ?: add(out, "-display");
	rc = rc ?: add(out, "none");
	/* serial console: a socket to attach to, and a log of everything */
	rc = rc ?: add(out, "-chardev");
	rc = rc ?: add(out, "socket,id=con0,path=%s,server=on,wait=off,logfile=%s,logappend=on",
		       qemu_escape(f->console, e1, sizeof(e1)),
		       qemu_escape(f->console_log, e2, sizeof(e2)));
	rc = rc ?: add(out, "-serial");
	rc = rc ?: add(out, "chardev:con0");
	rc = rc ?: add(out, "-qmp");
	rc = rc ?: add(out, "unix:%s,server=on,wait=off", qemu_escape(f->qmp, e1, sizeof(e1)));
	/* guest agent channel */
	rc = rc ?: add(out, "-device");
	rc = rc ?: add(out, "virtio-serial-pci,id=vser0%s", vec);
	rc = rc ?: add(out, "-chardev");
	rc = rc ?: add(out, "socket,id=qga0,path=%s,server=on,wait=off",
		       qemu_escape(f->qga, e1, sizeof(e1)));
	rc = rc ?: add(out, "-device");
	rc = rc ?: add(out, "virtserialport,bus=vser0.0,chardev=qga0,name=org.qemu.guest_agent.0");

	for (int i = 0; i < n->n_nics && rc == 0; i++) {
		const struct node_nic *nic = &n->nics[i];
		const uint8_t *m = nic->mac;

		rc = add(out, "-chardev");
		rc = rc ?: add(out, "socket,id=vhu%d,path=%s,server=on,wait=off", i,
			       qemu_escape(nic->sock, e1, sizeof(e1)));
		/* several queue pairs: the guest driver uses as many as it has vCPUs;
		 * with MSI-X (KVM) each queue gets its own vector */
		char mq[48] = "", nq[24] = "";

		if (nic->queues > 1) {
			snprintf(nq, sizeof(nq), ",queues=%u", nic->queues);
			if (o->kvm)
				snprintf(mq, sizeof(mq), ",mq=on,vectors=%u", 2 * nic->queues + 2);
			else
				snprintf(mq, sizeof(mq), ",mq=on");
		}
		rc = rc ?: add(out, "-netdev");
		rc = rc ?: add(out, "vhost-user,id=net%d,chardev=vhu%d%s", i, i, nq);
		rc = rc ?: add(out, "-device");
		/* host_mtu tells the guest driver the largest MTU it may use */
		char mtu[24] = "";

		if (nic->mtu)
			snprintf(mtu, sizeof(mtu), ",host_mtu=%u", nic->mtu);
		rc = rc ?: add(out,
			       "virtio-net-pci,netdev=net%d,id=nic%d,mac=%02x:%02x:%02x:%02x:%02x:%02x,"
			       "romfile=%s%s%s",
			       i, i, m[0], m[1], m[2], m[3], m[4], m[5], mtu, mq, vec);
	}

	if (rc == 0 && n->disk[0]) {
		rc = add(out, "-drive");
		rc = rc ?: add(out, "file=%s,if=virtio,format=%s,cache=unsafe",
			       qemu_escape(n->disk, e1, sizeof(e1)), qemu_disk_format(n->disk));
	}
	if (rc == 0 && o->kernel != NULL) {
		rc = add(out, "-kernel");
		rc = rc ?: add(out, "%s", o->kernel);
		if (o->initrd != NULL) {
			rc = rc ?: add(out, "-initrd");
			rc = rc ?: add(out, "%s", o->initrd);
		}
		rc = rc ?: add(out, "-append");
		rc = rc ?: add(out, "%s", o->cmdline ? o->cmdline : "console=ttyS0");
	}
	rc = rc ?: add(out, "-pidfile");
	rc = rc ?: add(out, "%s", f->pidfile);
	if (o->daemonize)
		rc = rc ?: add(out, "-daemonize");
	if (rc == 0)
		return 0;

out_free:
	qemu_argv_free(out);
	return rc;
}

void qemu_argv_free(struct qemu_argv *a)
{
	if (a == NULL || a->argv == NULL)
		return;
	for (int i = 0; i < a->argc; i++)
		free(a->argv[i]);
	free(a->argv);
	a->argv = NULL;
	a->argc = 0;
}

/* True when the CPU advertises hardware virtualisation (vmx or svm). Some
 * hosts expose a /dev/kvm that opens but cannot run a guest without it. */
static bool cpu_has_virt(void)
{
	char line[4096];
	bool found = false;
	FILE *f = fopen("/proc/cpuinfo", "re");

	if (f == NULL)
		return false;
	while (!found && fgets(line, sizeof(line), f))
		if (strncmp(line, "flags", 5) == 0)
			found = strstr(line, " vmx") || strstr(line, " svm");
	fclose(f);
	return found;
}

bool qemu_kvm_usable(void)
{
	const char *accel = getenv("VLAB_ACCEL");
	int fd;

	if (accel && strcmp(accel, "tcg") == 0)
		return false;
	if (accel && strcmp(accel, "kvm") == 0)
		return true;
	fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return false;
	close(fd);
	return cpu_has_virt();
}
