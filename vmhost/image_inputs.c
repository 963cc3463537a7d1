/* The inputs of the built-in guest image, found on the host: the newest
 * kernel in /boot with its /lib/modules, the virtio modules, static busybox
 * and its applets, qemu-ga, iperf3, tcpdump, ip and the shared libraries
 * they need (ldd); and the cache key they hash to. See image_priv.h.
 *
 * Threads: the caller's; runs ldd and busybox (image_run.c). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "image_priv.h"

#include <dirent.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define BOOT_DIR    "/boot"
#define MODULES_DIR "/lib/modules"

/* Virtio network and console modules, in load order (see guest/init). */
static const char *const guest_modules[] = {
    "virtio_ring",	     "virtio",	   "virtio_pci_legacy_dev",
    "virtio_pci_modern_dev", "virtio_pci", "failover",
    "net_failover",	     "virtio_net", "virtio_console",
};

/* Dynamically linked tools: first existing candidate, its place in the image. */
struct img_tool {
	const char *candidates[4];
	const char *dst;
	const char *package;
	bool required;
};

static const struct img_tool guest_tools[] = {
    {{"/usr/sbin/qemu-ga", "/usr/bin/qemu-ga"}, "/usr/sbin/qemu-ga", "qemu-guest-agent", true},
    {{"/usr/bin/iperf3"}, "/usr/bin/iperf3", "iperf3", true},
    {{"/usr/bin/tcpdump", "/usr/sbin/tcpdump"}, "/usr/bin/tcpdump", "tcpdump", true},
    {{"/usr/bin/socat"}, "/usr/bin/socat", "socat", true},
    {{"/usr/bin/ip", "/bin/ip", "/usr/sbin/ip", "/sbin/ip"}, "/usr/sbin/ip", "iproute2", false},
};

void img_inputs_free(struct img_inputs *in)
{
	for (size_t i = 0; i < in->n_files; i++) {
		free(in->files[i].src);
		free(in->files[i].dst);
	}
	free(in->files);
	for (size_t i = 0; i < in->n_applets; i++)
		free(in->applets[i]);
	free(in->applets);
}

/* Adds src as dst unless dst is already in the list. */
static int add_file(struct img_inputs *in, const char *src, const char *dst, mode_t mode)
{
	struct img_file *f;

	for (size_t i = 0; i < in->n_files; i++)
		if (strcmp(in->files[i].dst, dst) == 0)
			return 0;
	if (in->n_files == in->cap_files) {
		size_t cap = in->cap_files ? in->cap_files * 2 : 64;
		struct img_file *nf = realloc(in->files, cap * sizeof(*nf));

		if (!nf)
			return -ENOMEM;
		in->files = nf;
		in->cap_files = cap;
	}
	f = &in->files[in->n_files];
	memset(f, 0, sizeof(*f));
	if (stat(src, &f->st) < 0)
		return -errno;
	if (!S_ISREG(f->st.st_mode))
		return -EINVAL;
	f->src = strdup(src);
	f->dst = strdup(dst);
	f->mode = mode;
	if (!f->src || !f->dst) {
		free(f->src);
		free(f->dst);
		return -ENOMEM;
	}
	in->n_files++;
	return 0;
}

/* Newest /boot/vmlinuz-VER that has /lib/modules/VER/modules.dep. */
static int find_kernel(struct img_inputs *in, struct img_paths *out)
{
	char path[PATH_MAX];
	struct dirent *de;
	struct stat st;
	DIR *d;

	d = opendir(BOOT_DIR);
	if (!d)
		return img_error(out, -ENOENT,
				 "no guest kernel: cannot read " BOOT_DIR
				 " (linux-image-amd64 is not installed: apt-get install "
				 "linux-image-amd64)");
	in->kver[0] = '\0';
	while ((de = readdir(d))) {
		const char *ver;

		if (strncmp(de->d_name, "vmlinuz-", 8) != 0)
			continue;
		ver = de->d_name + 8;
		if (!*ver || strlen(ver) >= sizeof(in->kver))
			continue;
		snprintf(path, sizeof(path), MODULES_DIR "/%s/modules.dep", ver);
		if (stat(path, &st) < 0)
			continue;
		if (in->kver[0] && strverscmp(ver, in->kver) <= 0)
			continue;
		strcpy(in->kver, ver);
	}
	closedir(d);
	if (!in->kver[0])
		return img_error(out, -ENOENT,
				 "no guest kernel: no " BOOT_DIR
				 "/vmlinuz-VERSION with " MODULES_DIR
				 "/VERSION (linux-image-amd64 is not installed: apt-get install "
				 "linux-image-amd64)");
	snprintf(in->kernel, sizeof(in->kernel), BOOT_DIR "/vmlinuz-%s", in->kver);
	if (stat(in->kernel, &in->kernel_st) < 0 || access(in->kernel, R_OK) < 0)
		return img_error(out, -errno, "cannot read %s: %s (run as root?)", in->kernel,
				 strerror(errno));
	return 0;
}

/* Module name of a modules.dep/modules.builtin path, '-' folded to '_':
 * "kernel/drivers/net/virtio_net.ko.xz" -> "virtio_net". */
static void module_name(const char *path, size_t plen, char *name, size_t size)
{
	const char *base = path, *end;
	size_t n;

	for (const char *p = path; p < path + plen; p++)
		if (*p == '/')
			base = p + 1;
	end = base;
	while (end < path + plen && strncmp(end, ".ko", 3) != 0)
		end++;
	n = (size_t)(end - base) < size - 1 ? (size_t)(end - base) : size - 1;
	memcpy(name, base, n);
	name[n] = '\0';
	for (char *p = name; *p; p++)
		if (*p == '-')
			*p = '_';
}

/* Reads a whole small file into a malloc'ed NUL-terminated string. */
static int read_text(const char *path, char **text)
{
	FILE *f = fopen(path, "re");
	size_t cap = 0, len = 0, n;
	char *buf = NULL, *nb;

	if (!f)
		return -errno;
	do {
		if (cap - len < 65536) {
			nb = realloc(buf, cap + 262144);
			if (!nb) {
				free(buf);
				fclose(f);
				return -ENOMEM;
			}
			buf = nb;
			cap += 262144;
		}
		n = fread(buf + len, 1, cap - len - 1, f);
		len += n;
	} while (n > 0);
	fclose(f);
	buf[len] = '\0';
	*text = buf;
	return 0;
}

/* Finds name in a modules.dep ("path: deps") or modules.builtin ("path")
 * text; copies its path to found. */
bool img_find_module(const char *text, const char *name, char *found, size_t size)
{
	char mname[64];

	for (const char *line = text; *line;) {
		const char *eol = strchr(line, '\n');
		size_t llen = eol ? (size_t)(eol - line) : strlen(line);
		const char *colon = memchr(line, ':', llen);
		size_t plen = colon ? (size_t)(colon - line) : llen;

		module_name(line, plen, mname, sizeof(mname));
		if (strcmp(mname, name) == 0 && plen < size) {
			memcpy(found, line, plen);
			found[plen] = '\0';
			return true;
		}
		line += llen + (eol ? 1 : 0);
	}
	return false;
}

static int find_modules(struct img_inputs *in, struct img_paths *out)
{
	char path[PATH_MAX], rel[PATH_MAX], dst[PATH_MAX];
	char *dep = NULL, *builtin = NULL;
	int ret;

	snprintf(path, sizeof(path), MODULES_DIR "/%s/modules.dep", in->kver);
	ret = read_text(path, &dep);
	if (ret < 0)
		return img_error(out, ret, "cannot read %s: %s", path, strerror(-ret));
	snprintf(path, sizeof(path), MODULES_DIR "/%s/modules.builtin", in->kver);
	if (read_text(path, &builtin) < 0)
		builtin = NULL;

	for (size_t i = 0; i < sizeof(guest_modules) / sizeof(guest_modules[0]); i++) {
		const char *m = guest_modules[i];

		if (!img_find_module(dep, m, rel, sizeof(rel))) {
			if (builtin && img_find_module(builtin, m, rel, sizeof(rel)))
				continue; /* built into the kernel */
			ret = img_error(out, -ENOENT,
					"kernel %s has no module %s (reinstall linux-image-%s: "
					"apt-get install --reinstall linux-image-%s)",
					in->kver, m, in->kver, in->kver);
			goto out_free;
		}
		snprintf(path, sizeof(path), MODULES_DIR "/%s/%s", in->kver, rel);
		/* The image always holds uncompressed /lib/modules/NAME.ko. */
		snprintf(dst, sizeof(dst), "/lib/modules/%s.ko", m);
		ret = add_file(in, path, dst, 0644);
		if (ret < 0) {
			img_error(out, ret, "cannot read module %s: %s", path, strerror(-ret));
			goto out_free;
		}
	}
	ret = 0;
out_free:
	free(dep);
	free(builtin);
	return ret;
}

/* 1 when path is a statically linked ELF (no PT_INTERP), 0 when dynamic,
 * -errno when unreadable or not a 64-bit ELF. */
static int elf_is_static(const char *path)
{
	Elf64_Ehdr eh;
	Elf64_Phdr ph;
	int fd, ret = 1;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (pread(fd, &eh, sizeof(eh), 0) != (ssize_t)sizeof(eh) ||
	    memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 || eh.e_ident[EI_CLASS] != ELFCLASS64 ||
	    eh.e_phentsize != sizeof(ph)) {
		ret = -ENOEXEC;
		goto out_close;
	}
	for (unsigned i = 0; i < eh.e_phnum; i++) {
		if (pread(fd, &ph, sizeof(ph), (off_t)(eh.e_phoff + i * sizeof(ph))) !=
		    (ssize_t)sizeof(ph)) {
			ret = -ENOEXEC;
			goto out_close;
		}
		if (ph.p_type == PT_INTERP) {
			ret = 0;
			break;
		}
	}
out_close:
	close(fd);
	return ret;
}

static int find_busybox(struct img_inputs *in, struct img_paths *out)
{
	static const char *const candidates[] = {"/usr/bin/busybox", "/bin/busybox"};
	const char *bb = NULL;
	char *list = NULL, *line, *save;
	int ret;

	for (size_t i = 0; i < 2 && !bb; i++)
		if (access(candidates[i], X_OK) == 0)
			bb = candidates[i];
	if (!bb)
		return img_error(out, -ENOENT,
				 "busybox-static is not installed: apt-get install busybox-static");
	ret = elf_is_static(bb);
	if (ret == 0)
		return img_error(out, -ENOENT,
				 "%s is dynamically linked (package busybox instead of "
				 "busybox-static): apt-get install busybox-static",
				 bb);
	if (ret < 0)
		return img_error(out, ret, "cannot read %s: %s", bb, strerror(-ret));
	ret = add_file(in, bb, "/bin/busybox", 0755);
	if (ret < 0)
		return img_error(out, ret, "cannot read %s: %s", bb, strerror(-ret));

	ret = img_run((char *const[]){(char *)bb, "--list-full", NULL}, -1, -1, &list);
	if (ret < 0)
		return img_error(out, ret, "%s --list-full failed", bb);
	for (line = strtok_r(list, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char **na;

		/* Plain relative paths only; "linuxrc" and the like stay out. */
		if (!strchr(line, '/') || line[0] == '/' || strstr(line, ".."))
			continue;
		if (in->n_applets == in->cap_applets) {
			size_t cap = in->cap_applets ? in->cap_applets * 2 : 512;

			na = realloc(in->applets, cap * sizeof(*na));
			if (!na) {
				ret = -ENOMEM;
				goto out_free;
			}
			in->applets = na;
			in->cap_applets = cap;
		}
		in->applets[in->n_applets] = strdup(line);
		if (!in->applets[in->n_applets]) {
			ret = -ENOMEM;
			goto out_free;
		}
		in->n_applets++;
	}
	ret = 0;
out_free:
	free(list);
	return ret;
}

/* Adds every library ldd lists for bin (and the dynamic loader). */
static int add_libraries(struct img_inputs *in, const char *bin, struct img_paths *out)
{
	char *text = NULL, *line, *save;
	int ret;

	ret = img_run((char *const[]){"ldd", (char *)bin, NULL}, -1, -1, &text);
	if (ret == -ENOENT)
		return img_error(out, ret, "ldd is missing: apt-get install libc-bin");
	if (ret < 0)
		return img_error(out, ret, "ldd %s failed", bin);
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *arrow = strstr(line, "=> "), *path, *end;

		if (arrow) {
			path = arrow + 3;
			if (strncmp(path, "not found", 9) == 0) {
				*arrow = '\0';
				ret = img_error(out, -ENOENT, "%s needs %s, which is not installed",
						bin, line + strspn(line, " \t"));
				goto out_free;
			}
		} else {
			path = line + strspn(line, " \t");
		}
		if (path[0] != '/')
			continue; /* linux-vdso.so.1 */
		end = strstr(path, " (");
		if (end)
			*end = '\0';
		ret = add_file(in, path, path, 0755);
		if (ret < 0) {
			img_error(out, ret, "cannot read %s (needed by %s): %s", path, bin,
				  strerror(-ret));
			goto out_free;
		}
	}
	ret = 0;
out_free:
	free(text);
	return ret;
}

static int find_tools(struct img_inputs *in, struct img_paths *out)
{
	int ret;

	for (size_t i = 0; i < sizeof(guest_tools) / sizeof(guest_tools[0]); i++) {
		const struct img_tool *t = &guest_tools[i];
		const char *src = NULL;

		for (size_t j = 0; j < 4 && t->candidates[j] && !src; j++)
			if (access(t->candidates[j], X_OK) == 0)
				src = t->candidates[j];
		if (!src) {
			if (!t->required)
				continue;
			return img_error(out, -ENOENT, "%s is not installed: apt-get install %s",
					 t->package, t->package);
		}
		ret = add_file(in, src, t->dst, 0755);
		if (ret < 0)
			return img_error(out, ret, "cannot read %s: %s", src, strerror(-ret));
		ret = add_libraries(in, src, out);
		if (ret < 0)
			return ret;
	}
	return 0;
}

static uint64_t fnv1a(uint64_t h, const void *data, size_t len)
{
	const unsigned char *p = data;

	for (size_t i = 0; i < len; i++) {
		h ^= p[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

static uint64_t hash_stat(uint64_t h, const char *path, const struct stat *st)
{
	int64_t v[3] = {st->st_size, st->st_mtim.tv_sec, st->st_mtim.tv_nsec};

	h = fnv1a(h, path, strlen(path) + 1);
	return fnv1a(h, v, sizeof(v));
}

void img_make_key(const struct img_inputs *in, char *key, size_t size)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	int version = IMG_FORMAT_VERSION;

	h = fnv1a(h, "vlab-image", 10);
	h = fnv1a(h, &version, sizeof(version));
	h = fnv1a(h, img_init_script_text(), strlen(img_init_script_text()) + 1);
	h = hash_stat(h, in->kernel, &in->kernel_st);
	for (size_t i = 0; i < in->n_files; i++) {
		h = hash_stat(h, in->files[i].src, &in->files[i].st);
		h = fnv1a(h, in->files[i].dst, strlen(in->files[i].dst) + 1);
	}
	snprintf(key, size, "%s-%016llx", in->kver, (unsigned long long)h);
}

/* True when basename(path) is one of the real tools packed in the image. */
bool img_applet_shadowed(const char *applet)
{
	const char *base = strrchr(applet, '/') ? strrchr(applet, '/') + 1 : applet;

	for (size_t i = 0; i < sizeof(guest_tools) / sizeof(guest_tools[0]); i++) {
		const char *t = strrchr(guest_tools[i].dst, '/') + 1;

		if (strcmp(base, t) == 0)
			return true;
	}
	return false;
}

int img_inputs_find(struct img_inputs *in, struct img_paths *out)
{
	int ret = find_kernel(in, out);

	if (ret == 0)
		ret = find_modules(in, out);
	if (ret == 0)
		ret = find_busybox(in, out);
	if (ret == 0)
		ret = find_tools(in, out);
	return ret;
}
