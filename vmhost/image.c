/* The built-in guest image: finds the inputs on the host (newest kernel in
 * /boot with its /lib/modules, the virtio modules, static busybox, qemu-ga,
 * iperf3, tcpdump, ip and their shared libraries), hashes them into a cache
 * key and, when <cache>/<key>/ does not exist yet, unpacks the ELF vmlinux
 * from the bzImage (PVH boot, no in-guest decompression), writes a newc cpio
 * in C, gzips it and renames the finished directory into place.
 *
 * Runs in the caller's thread; blocking. Builders in this or other processes
 * are serialised by flock() on <cache>/.lock; readers never need the lock
 * because a key directory appears complete or not at all (rename). Helper
 * programs (ldd, gzip, xz, zstd, busybox --list-full) are run with
 * fork/execvp, never through a shell. */
#include "image.h"

#include <dirent.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "guest_init.h" /* generated: static const char img_init_script[] */

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
    {{"/usr/bin/ip", "/bin/ip", "/usr/sbin/ip", "/sbin/ip"}, "/usr/sbin/ip", "iproute2", false},
};

static const char etc_passwd[] = "root:x:0:0:root:/root:/bin/sh\n"
				 "tcpdump:x:100:100::/nonexistent:/bin/false\n"
				 "nobody:x:65534:65534:nobody:/nonexistent:/bin/false\n";
static const char etc_group[] = "root:x:0:\ntcpdump:x:100:\nnogroup:x:65534:\n";
static const char etc_nsswitch[] = "passwd: files\ngroup: files\nshadow: files\n"
				   "hosts: files\nnetworks: files\nprotocols: files\n"
				   "services: files\n";

/* One file copied from the host into the image. */
struct img_file {
	char *src;	/* host path (read, following symlinks) */
	char *dst;	/* absolute path in the image */
	mode_t mode;	/* permission bits in the image */
	struct stat st; /* of src, for the key */
};

/* Everything the image is made of. */
struct img_inputs {
	char kver[96];
	char kernel[PATH_MAX];
	struct stat kernel_st;
	struct img_file *files;
	size_t n_files, cap_files;
	char **applets; /* busybox --list-full: relative paths of its symlinks */
	size_t n_applets, cap_applets;
};

static void progress_msg(img_progress_fn progress, void *arg, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void progress_msg(img_progress_fn progress, void *arg, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	if (!progress)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	progress(msg, arg);
}

static int set_error(struct img_paths *out, int err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int set_error(struct img_paths *out, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(out->error, sizeof(out->error), fmt, ap);
	va_end(ap);
	return err;
}

const char *img_init_script_text(void)
{
	return img_init_script;
}

/* ---- helper programs ---------------------------------------------------- */

/* Runs argv with stdin from in_fd and stdout to out_fd (-1: /dev/null), or
 * with stdout captured into *capture (malloc'ed, NUL-terminated) when
 * capture is not NULL. Returns 0 when it exited 0, -ENOENT when it could not
 * be executed, -EIO for any other failure. */
static int run(char *const argv[], int in_fd, int out_fd, char **capture)
{
	int pipefd[2] = {-1, -1};
	size_t len = 0, cap = 0;
	char *buf = NULL;
	int status, ret = 0;
	pid_t pid;

	if (capture && pipe2(pipefd, O_CLOEXEC) < 0)
		return -errno;
	pid = fork();
	if (pid < 0) {
		ret = -errno;
		goto out_close_pipe;
	}
	if (pid == 0) {
		int devnull = open("/dev/null", O_RDWR);

		if (capture)
			out_fd = pipefd[1];
		if (dup2(in_fd >= 0 ? in_fd : devnull, 0) < 0 ||
		    dup2(out_fd >= 0 ? out_fd : devnull, 1) < 0)
			_exit(126);
		execvp(argv[0], argv);
		_exit(127);
	}
	if (capture) {
		close(pipefd[1]);
		pipefd[1] = -1;
		for (;;) {
			ssize_t n;

			if (cap - len < 4096) {
				char *nb = realloc(buf, cap + 65536);

				if (!nb) {
					ret = -ENOMEM;
					break;
				}
				buf = nb;
				cap += 65536;
			}
			n = read(pipefd[0], buf + len, cap - len - 1);
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				break;
			len += (size_t)n;
		}
	}
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			ret = ret ? ret : -errno;
			goto out_free_buf;
		}
	}
	if (ret == 0 && (!WIFEXITED(status) || WEXITSTATUS(status) != 0))
		ret = WIFEXITED(status) && WEXITSTATUS(status) == 127 ? -ENOENT : -EIO;
	if (ret == 0 && capture) {
		buf[len] = '\0';
		*capture = buf;
		buf = NULL;
	}
out_free_buf:
	free(buf);
out_close_pipe:
	if (pipefd[0] >= 0)
		close(pipefd[0]);
	if (pipefd[1] >= 0)
		close(pipefd[1]);
	return ret;
}

/* ---- inputs ------------------------------------------------------------- */

static void inputs_free(struct img_inputs *in)
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
		return set_error(out, -ENOENT,
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
		return set_error(out, -ENOENT,
				 "no guest kernel: no " BOOT_DIR
				 "/vmlinuz-VERSION with " MODULES_DIR
				 "/VERSION (linux-image-amd64 is not installed: apt-get install "
				 "linux-image-amd64)");
	snprintf(in->kernel, sizeof(in->kernel), BOOT_DIR "/vmlinuz-%s", in->kver);
	if (stat(in->kernel, &in->kernel_st) < 0 || access(in->kernel, R_OK) < 0)
		return set_error(out, -errno, "cannot read %s: %s (run as root?)", in->kernel,
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
static bool find_module(const char *text, const char *name, char *found, size_t size)
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
		return set_error(out, ret, "cannot read %s: %s", path, strerror(-ret));
	snprintf(path, sizeof(path), MODULES_DIR "/%s/modules.builtin", in->kver);
	if (read_text(path, &builtin) < 0)
		builtin = NULL;

	for (size_t i = 0; i < sizeof(guest_modules) / sizeof(guest_modules[0]); i++) {
		const char *m = guest_modules[i];

		if (!find_module(dep, m, rel, sizeof(rel))) {
			if (builtin && find_module(builtin, m, rel, sizeof(rel)))
				continue; /* built into the kernel */
			ret = set_error(out, -ENOENT,
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
			set_error(out, ret, "cannot read module %s: %s", path, strerror(-ret));
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
		return set_error(out, -ENOENT,
				 "busybox-static is not installed: apt-get install busybox-static");
	ret = elf_is_static(bb);
	if (ret == 0)
		return set_error(out, -ENOENT,
				 "%s is dynamically linked (package busybox instead of "
				 "busybox-static): apt-get install busybox-static",
				 bb);
	if (ret < 0)
		return set_error(out, ret, "cannot read %s: %s", bb, strerror(-ret));
	ret = add_file(in, bb, "/bin/busybox", 0755);
	if (ret < 0)
		return set_error(out, ret, "cannot read %s: %s", bb, strerror(-ret));

	ret = run((char *const[]){(char *)bb, "--list-full", NULL}, -1, -1, &list);
	if (ret < 0)
		return set_error(out, ret, "%s --list-full failed", bb);
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

	ret = run((char *const[]){"ldd", (char *)bin, NULL}, -1, -1, &text);
	if (ret == -ENOENT)
		return set_error(out, ret, "ldd is missing: apt-get install libc-bin");
	if (ret < 0)
		return set_error(out, ret, "ldd %s failed", bin);
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *arrow = strstr(line, "=> "), *path, *end;

		if (arrow) {
			path = arrow + 3;
			if (strncmp(path, "not found", 9) == 0) {
				*arrow = '\0';
				ret = set_error(out, -ENOENT, "%s needs %s, which is not installed",
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
			set_error(out, ret, "cannot read %s (needed by %s): %s", path, bin,
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
			return set_error(out, -ENOENT, "%s is not installed: apt-get install %s",
					 t->package, t->package);
		}
		ret = add_file(in, src, t->dst, 0755);
		if (ret < 0)
			return set_error(out, ret, "cannot read %s: %s", src, strerror(-ret));
		ret = add_libraries(in, src, out);
		if (ret < 0)
			return ret;
	}
	return 0;
}

/* ---- key ---------------------------------------------------------------- */

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

static void make_key(const struct img_inputs *in, char *key, size_t size)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	int version = IMG_FORMAT_VERSION;

	h = fnv1a(h, "vlab-image", 10);
	h = fnv1a(h, &version, sizeof(version));
	h = fnv1a(h, img_init_script, sizeof(img_init_script));
	h = hash_stat(h, in->kernel, &in->kernel_st);
	for (size_t i = 0; i < in->n_files; i++) {
		h = hash_stat(h, in->files[i].src, &in->files[i].st);
		h = fnv1a(h, in->files[i].dst, strlen(in->files[i].dst) + 1);
	}
	snprintf(key, size, "%s-%016llx", in->kver, (unsigned long long)h);
}

/* ---- cpio (newc) writer ------------------------------------------------- */

struct cpio {
	FILE *f;
	uint32_t ino;
	char **names; /* entries written, to emit each directory once */
	size_t n_names, cap_names;
	int err; /* first error, latched */
};

static void cpio_pad(struct cpio *c)
{
	static const char zeros[4];
	long pos = ftell(c->f);

	if (pos < 0) {
		c->err = c->err ? c->err : -EIO;
		return;
	}
	if (pos % 4)
		fwrite(zeros, 1, (size_t)(4 - pos % 4), c->f);
}

static bool cpio_seen(struct cpio *c, const char *name)
{
	for (size_t i = 0; i < c->n_names; i++)
		if (strcmp(c->names[i], name) == 0)
			return true;
	return false;
}

static void cpio_remember(struct cpio *c, const char *name)
{
	if (c->n_names == c->cap_names) {
		size_t cap = c->cap_names ? c->cap_names * 2 : 256;
		char **nn = realloc(c->names, cap * sizeof(*nn));

		if (!nn) {
			c->err = c->err ? c->err : -ENOMEM;
			return;
		}
		c->names = nn;
		c->cap_names = cap;
	}
	c->names[c->n_names] = strdup(name);
	if (!c->names[c->n_names]) {
		c->err = c->err ? c->err : -ENOMEM;
		return;
	}
	c->n_names++;
}

/* Header + name (name without leading '/'); the caller writes the data. */
static void cpio_header(struct cpio *c, const char *name, uint32_t mode, uint32_t size,
			uint32_t rmaj, uint32_t rmin)
{
	size_t nlen = strlen(name) + 1;

	fprintf(c->f, "070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08zX%08X", ++c->ino, mode,
		0u, 0u, S_ISDIR(mode) ? 2u : 1u, 0u, size, 0u, 0u, rmaj, rmin, nlen, 0u);
	fwrite(name, 1, nlen, c->f);
	cpio_pad(c);
}

/* Directory entries for every missing parent of path ("a/b/c" -> a, a/b). */
static void cpio_parents(struct cpio *c, const char *path)
{
	char dir[PATH_MAX];

	for (const char *p = strchr(path, '/'); p; p = strchr(p + 1, '/')) {
		size_t n = (size_t)(p - path);

		if (n == 0 || n >= sizeof(dir))
			continue;
		memcpy(dir, path, n);
		dir[n] = '\0';
		if (cpio_seen(c, dir))
			continue;
		cpio_header(c, dir, S_IFDIR | 0755, 0, 0, 0);
		cpio_remember(c, dir);
	}
}

static void cpio_dir(struct cpio *c, const char *path)
{
	path += strspn(path, "/");
	cpio_parents(c, path);
	if (cpio_seen(c, path))
		return;
	cpio_header(c, path, S_IFDIR | 0755, 0, 0, 0);
	cpio_remember(c, path);
}

static void cpio_data(struct cpio *c, const char *path, mode_t mode, const void *data, size_t len)
{
	path += strspn(path, "/");
	cpio_parents(c, path);
	cpio_header(c, path, S_IFREG | mode, (uint32_t)len, 0, 0);
	fwrite(data, 1, len, c->f);
	cpio_pad(c);
	cpio_remember(c, path);
}

static void cpio_symlink(struct cpio *c, const char *path, const char *target)
{
	path += strspn(path, "/");
	if (cpio_seen(c, path))
		return;
	cpio_parents(c, path);
	cpio_header(c, path, S_IFLNK | 0777, (uint32_t)strlen(target), 0, 0);
	fwrite(target, 1, strlen(target), c->f);
	cpio_pad(c);
	cpio_remember(c, path);
}

static void cpio_chr(struct cpio *c, const char *path, mode_t mode, unsigned maj, unsigned min)
{
	path += strspn(path, "/");
	cpio_parents(c, path);
	cpio_header(c, path, S_IFCHR | mode, 0, maj, min);
	cpio_remember(c, path);
}

/* Copies the content of host file src (following symlinks). */
static void cpio_file(struct cpio *c, const char *path, mode_t mode, const char *src)
{
	char buf[65536];
	struct stat st;
	off_t left;
	int fd;

	if (c->err)
		return;
	fd = open(src, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0) {
		c->err = -errno;
		goto out_close;
	}
	if (st.st_size > UINT32_MAX) {
		c->err = -EFBIG;
		goto out_close;
	}
	path += strspn(path, "/");
	cpio_parents(c, path);
	cpio_header(c, path, S_IFREG | mode, (uint32_t)st.st_size, 0, 0);
	for (left = st.st_size; left > 0;) {
		ssize_t n = read(fd, buf, left < (off_t)sizeof(buf) ? (size_t)left : sizeof(buf));

		if (n <= 0) {
			c->err = n < 0 ? -errno : -EIO; /* file shrank under us */
			goto out_close;
		}
		fwrite(buf, 1, (size_t)n, c->f);
		left -= n;
	}
	cpio_pad(c);
	cpio_remember(c, path);
out_close:
	if (fd >= 0)
		close(fd);
}

static void cpio_free(struct cpio *c)
{
	for (size_t i = 0; i < c->n_names; i++)
		free(c->names[i]);
	free(c->names);
	if (c->f)
		fclose(c->f);
}

static int cpio_finish(struct cpio *c)
{
	cpio_header(c, "TRAILER!!!", 0, 0, 0, 0);
	if (fflush(c->f) != 0 || ferror(c->f))
		c->err = c->err ? c->err : -EIO;
	return c->err;
}

/* ---- kernel: the ELF vmlinux inside the bzImage -------------------------- */

/* Under TCG a bzImage spends seconds decompressing itself. QEMU boots the
 * uncompressed ELF directly through its PVH entry point instead, so the
 * image holds vmlinux when the kernel has one (XEN_ELFNOTE_PHYS32_ENTRY). */
#define XEN_ELFNOTE_PHYS32_ENTRY 18

static uint32_t le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* 1 when path is an x86-64 ELF with a PVH entry note, 0 when not, -errno. */
static int elf_has_pvh(const char *path)
{
	unsigned char note[4096];
	Elf64_Ehdr eh;
	Elf64_Phdr ph;
	int fd, ret = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (pread(fd, &eh, sizeof(eh), 0) != (ssize_t)sizeof(eh) ||
	    memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 || eh.e_ident[EI_CLASS] != ELFCLASS64 ||
	    eh.e_machine != EM_X86_64 || eh.e_phentsize != sizeof(ph))
		goto out_close;
	for (unsigned i = 0; i < eh.e_phnum && ret == 0; i++) {
		size_t len, off = 0;

		if (pread(fd, &ph, sizeof(ph), (off_t)(eh.e_phoff + i * sizeof(ph))) !=
		    (ssize_t)sizeof(ph))
			break;
		if (ph.p_type != PT_NOTE)
			continue;
		len = ph.p_filesz < sizeof(note) ? ph.p_filesz : sizeof(note);
		if (pread(fd, note, len, (off_t)ph.p_offset) != (ssize_t)len)
			break;
		while (off + 12 <= len) {
			uint32_t namesz = le32(note + off), descsz = le32(note + off + 4);
			uint32_t type = le32(note + off + 8);

			if (namesz == 4 && off + 16 <= len &&
			    memcmp(note + off + 12, "Xen", 4) == 0 &&
			    type == XEN_ELFNOTE_PHYS32_ENTRY)
				ret = 1;
			off += 12 + ((namesz + 3) & ~3u) + ((descsz + 3) & ~3u);
		}
	}
out_close:
	close(fd);
	return ret;
}

/* Reads a whole file into a malloc'ed buffer. */
static int read_all(const char *path, unsigned char **data, size_t *len)
{
	struct stat st;
	unsigned char *buf;
	size_t done = 0;
	int fd, ret = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0) {
		ret = -errno;
		goto out_close;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (!buf) {
		ret = -ENOMEM;
		goto out_close;
	}
	while (done < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + done, (size_t)st.st_size - done);

		if (n <= 0) {
			ret = n < 0 ? -errno : -EIO;
			free(buf);
			goto out_close;
		}
		done += (size_t)n;
	}
	*data = buf;
	*len = done;
out_close:
	close(fd);
	return ret;
}

/* Writes tmpdir/vmlinux from the compressed payload of bzImage. Returns 0,
 * or -ENOTSUP when the kernel cannot be booted that way (the caller then
 * uses the bzImage itself), or another -errno. */
static int extract_vmlinux(const char *bzimage, const char *tmpdir)
{
	static const struct {
		const unsigned char magic[6];
		size_t len;
		const char *tool;
	} formats[] = {
	    {{0xfd, '7', 'z', 'X', 'Z', 0}, 6, "xz"},
	    {{0x28, 0xb5, 0x2f, 0xfd}, 4, "zstd"},
	    {{0x1f, 0x8b}, 2, "gzip"},
	};
	char payload_path[PATH_MAX], elf_path[PATH_MAX];
	const unsigned char *payload;
	unsigned char *img = NULL;
	size_t len, setup, plen;
	const char *tool = NULL;
	int in_fd = -1, out_fd = -1, ret;

	ret = read_all(bzimage, &img, &len);
	if (ret < 0)
		return ret;
	/* boot protocol >= 2.08: payload_offset/payload_length in the header */
	if (len < 0x250 || memcmp(img + 0x202, "HdrS", 4) != 0 ||
	    (img[0x206] | img[0x207] << 8) < 0x208) {
		ret = -ENOTSUP;
		goto out_free;
	}
	setup = (size_t)(img[0x1f1] ? img[0x1f1] : 4) * 512 + 512;
	plen = le32(img + 0x24c);
	if (setup + le32(img + 0x248) + plen > len || plen < 16) {
		ret = -ENOTSUP;
		goto out_free;
	}
	payload = img + setup + le32(img + 0x248);
	for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]) && !tool; i++)
		if (memcmp(payload, formats[i].magic, formats[i].len) == 0)
			tool = formats[i].tool;
	if (!tool) {
		ret = -ENOTSUP;
		goto out_free;
	}
	plen -= 4; /* the build appends the uncompressed size (size_append) */

	snprintf(payload_path, sizeof(payload_path), "%s/payload", tmpdir);
	snprintf(elf_path, sizeof(elf_path), "%s/vmlinux", tmpdir);
	out_fd = open(payload_path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (out_fd < 0 || write(out_fd, payload, plen) != (ssize_t)plen ||
	    lseek(out_fd, 0, SEEK_SET) < 0) {
		ret = -errno;
		goto out_unlink;
	}
	in_fd = out_fd;
	out_fd = open(elf_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (out_fd < 0) {
		ret = -errno;
		goto out_unlink;
	}
	ret = run((char *const[]){(char *)tool, "-d", "-c", NULL}, in_fd, out_fd, NULL);
	if (ret == 0 && fsync(out_fd) < 0)
		ret = -errno;
	if (ret == 0 && elf_has_pvh(elf_path) != 1)
		ret = -ENOTSUP;
	if (ret < 0)
		unlink(elf_path);
out_unlink:
	if (in_fd >= 0)
		close(in_fd);
	if (out_fd >= 0)
		close(out_fd);
	unlink(payload_path);
out_free:
	free(img);
	return ret;
}

/* ---- build -------------------------------------------------------------- */

static const char *decompressor(const char *path, const char **package)
{
	size_t n = strlen(path);

	if (n > 3 && strcmp(path + n - 3, ".xz") == 0) {
		*package = "xz-utils";
		return "xz";
	}
	if (n > 4 && strcmp(path + n - 4, ".zst") == 0) {
		*package = "zstd";
		return "zstd";
	}
	if (n > 3 && strcmp(path + n - 3, ".gz") == 0) {
		*package = "gzip";
		return "gzip";
	}
	return NULL;
}

/* Packs a module, decompressing .ko.xz/.ko.zst/.ko.gz through tmpdir. */
static int pack_module(struct cpio *c, const struct img_file *f, const char *tmpdir,
		       struct img_paths *out)
{
	const char *package, *tool = decompressor(f->src, &package);
	char plain[PATH_MAX];
	int in_fd, out_fd, ret;

	if (!tool) {
		cpio_file(c, f->dst, f->mode, f->src);
		return c->err;
	}
	snprintf(plain, sizeof(plain), "%s/module.ko", tmpdir);
	in_fd = open(f->src, O_RDONLY | O_CLOEXEC);
	if (in_fd < 0)
		return set_error(out, -errno, "cannot read %s: %s", f->src, strerror(errno));
	out_fd = open(plain, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (out_fd < 0) {
		ret = set_error(out, -errno, "cannot write %s: %s", plain, strerror(errno));
		goto out_close_in;
	}
	ret = run((char *const[]){(char *)tool, "-d", "-c", NULL}, in_fd, out_fd, NULL);
	if (ret == -ENOENT) {
		set_error(out, ret, "%s is needed to unpack %s: apt-get install %s", tool, f->src,
			  package);
		goto out_close_out;
	}
	if (ret < 0) {
		set_error(out, ret, "%s -d %s failed", tool, f->src);
		goto out_close_out;
	}
	cpio_file(c, f->dst, f->mode, plain);
	ret = c->err;
out_close_out:
	close(out_fd);
	unlink(plain);
out_close_in:
	close(in_fd);
	return ret;
}

/* Copies src to dst (created 0644) and fsyncs it. */
static int copy_file(const char *src, const char *dst)
{
	char buf[65536];
	int in_fd, out_fd, ret = 0;
	ssize_t n;

	in_fd = open(src, O_RDONLY | O_CLOEXEC);
	if (in_fd < 0)
		return -errno;
	out_fd = open(dst, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (out_fd < 0) {
		ret = -errno;
		goto out_close_in;
	}
	while ((n = read(in_fd, buf, sizeof(buf))) > 0) {
		for (ssize_t done = 0; done < n;) {
			ssize_t w = write(out_fd, buf + done, (size_t)(n - done));

			if (w < 0) {
				ret = -errno;
				goto out_close_out;
			}
			done += w;
		}
	}
	if (n < 0 || fsync(out_fd) < 0)
		ret = -errno;
out_close_out:
	close(out_fd);
out_close_in:
	close(in_fd);
	return ret;
}

static int fsync_path(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), ret = 0;

	if (fd < 0)
		return -errno;
	if (fsync(fd) < 0)
		ret = -errno;
	close(fd);
	return ret;
}

/* True when basename(path) is one of the real tools packed in the image. */
static bool shadowed_applet(const char *applet)
{
	const char *base = strrchr(applet, '/') ? strrchr(applet, '/') + 1 : applet;

	for (size_t i = 0; i < sizeof(guest_tools) / sizeof(guest_tools[0]); i++) {
		const char *t = strrchr(guest_tools[i].dst, '/') + 1;

		if (strcmp(base, t) == 0)
			return true;
	}
	return false;
}

/* Writes tmpdir/initrd.img: the cpio, gzip'ed. */
static int build_initrd(const struct img_inputs *in, const char *tmpdir, struct img_paths *out,
			img_progress_fn progress, void *arg)
{
	static const char *const dirs[] = {"/dev",  "/proc", "/sys",	    "/run",	"/tmp",
					   "/root", "/etc",  "/var/log",    "/usr/bin", "/usr/sbin",
					   "/bin",  "/sbin", "/lib/modules"};
	char cpio_path[PATH_MAX], img_path[PATH_MAX];
	struct cpio c = {0};
	int ret, in_fd, out_fd;
	size_t n_mod = 0;

	snprintf(cpio_path, sizeof(cpio_path), "%s/initrd.cpio", tmpdir);
	snprintf(img_path, sizeof(img_path), "%s/initrd.img", tmpdir);
	c.f = fopen(cpio_path, "we");
	if (!c.f)
		return set_error(out, -errno, "cannot write %s: %s", cpio_path, strerror(errno));

	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++)
		cpio_dir(&c, dirs[i]);
	cpio_chr(&c, "/dev/console", 0600, 5, 1);
	cpio_chr(&c, "/dev/null", 0666, 1, 3);
	cpio_data(&c, "/init", 0755, img_init_script, sizeof(img_init_script) - 1);
	cpio_data(&c, "/etc/passwd", 0644, etc_passwd, sizeof(etc_passwd) - 1);
	cpio_data(&c, "/etc/group", 0644, etc_group, sizeof(etc_group) - 1);
	cpio_data(&c, "/etc/nsswitch.conf", 0644, etc_nsswitch, sizeof(etc_nsswitch) - 1);

	for (size_t i = 0; i < in->n_files; i++)
		n_mod += strncmp(in->files[i].dst, "/lib/modules/", 13) == 0;
	progress_msg(progress, arg, "guest image: packing %zu kernel modules", n_mod);
	for (size_t i = 0; i < in->n_files && !c.err; i++) {
		const struct img_file *f = &in->files[i];

		if (strncmp(f->dst, "/lib/modules/", 13) == 0) {
			ret = pack_module(&c, f, tmpdir, out);
			if (ret < 0)
				goto out_close;
		}
	}
	progress_msg(progress, arg, "guest image: packing busybox (%zu applets), tools, libraries",
		     in->n_applets);
	for (size_t i = 0; i < in->n_files && !c.err; i++) {
		const struct img_file *f = &in->files[i];

		if (strncmp(f->dst, "/lib/modules/", 13) != 0)
			cpio_file(&c, f->dst, f->mode, f->src);
	}
	for (size_t i = 0; i < in->n_applets && !c.err; i++)
		if (!shadowed_applet(in->applets[i]))
			cpio_symlink(&c, in->applets[i], "/bin/busybox");
	ret = cpio_finish(&c);
	if (ret < 0) {
		set_error(out, ret, "cannot write %s: %s", cpio_path, strerror(-ret));
		goto out_close;
	}

	progress_msg(progress, arg, "guest image: compressing initramfs");
	in_fd = open(cpio_path, O_RDONLY | O_CLOEXEC);
	if (in_fd < 0) {
		ret = set_error(out, -errno, "cannot read %s: %s", cpio_path, strerror(errno));
		goto out_close;
	}
	out_fd = open(img_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (out_fd < 0) {
		ret = set_error(out, -errno, "cannot write %s: %s", img_path, strerror(errno));
		close(in_fd);
		goto out_close;
	}
	ret = run((char *const[]){"gzip", "-n", "-6", "-c", NULL}, in_fd, out_fd, NULL);
	if (ret == 0 && fsync(out_fd) < 0)
		ret = -errno;
	close(out_fd);
	close(in_fd);
	if (ret == -ENOENT)
		set_error(out, ret, "gzip is not installed: apt-get install gzip");
	else if (ret < 0)
		set_error(out, ret, "gzip of %s failed", cpio_path);
out_close:
	cpio_free(&c);
	unlink(cpio_path);
	return ret;
}

/* Removes dir and the files directly in it (our temp dirs are flat). */
static void remove_flat_dir(const char *dir)
{
	char path[PATH_MAX];
	struct dirent *de;
	DIR *d = opendir(dir);

	if (d) {
		while ((de = readdir(d))) {
			if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
				continue;
			snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
			unlink(path);
		}
		closedir(d);
	}
	rmdir(dir);
}

/* Under the lock, any .tmp-* directory is a crashed builder's leftover. */
static void remove_stale_tmp(const char *cache_dir)
{
	char path[PATH_MAX];
	struct dirent *de;
	DIR *d = opendir(cache_dir);

	if (!d)
		return;
	while ((de = readdir(d))) {
		if (strncmp(de->d_name, ".tmp-", 5) != 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", cache_dir, de->d_name);
		remove_flat_dir(path);
	}
	closedir(d);
}

static int mkdir_p(const char *path, mode_t mode)
{
	char buf[PATH_MAX];

	if (strlen(path) >= sizeof(buf))
		return -ENAMETOOLONG;
	strcpy(buf, path);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, mode) < 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(buf, mode) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

/* Points out->kernel and out->initrd into <cache>/<key>/ and tells whether
 * that directory holds a complete image (vmlinux, or vmlinuz when the kernel
 * could not be unpacked, and initrd.img). */
static bool image_complete(const char *cache_dir, struct img_paths *out)
{
	struct stat st;

	snprintf(out->initrd, sizeof(out->initrd), "%s/%s/initrd.img", cache_dir, out->key);
	snprintf(out->kernel, sizeof(out->kernel), "%s/%s/vmlinux", cache_dir, out->key);
	if (stat(out->kernel, &st) < 0)
		snprintf(out->kernel, sizeof(out->kernel), "%s/%s/vmlinuz", cache_dir, out->key);
	return stat(out->kernel, &st) == 0 && S_ISREG(st.st_mode) && stat(out->initrd, &st) == 0 &&
	       S_ISREG(st.st_mode) && st.st_size > 0;
}

/* Builds <cache>/<key>/ through <cache>/.tmp-<key>-<pid>/; lock held. */
static int build_image(const char *cache_dir, const struct img_inputs *in, struct img_paths *out,
		       img_progress_fn progress, void *arg)
{
	char tmpdir[PATH_MAX], final[PATH_MAX], path[PATH_MAX];
	struct stat st;
	int ret;

	snprintf(tmpdir, sizeof(tmpdir), "%s/.tmp-%s-%d", cache_dir, out->key, (int)getpid());
	snprintf(final, sizeof(final), "%s/%s", cache_dir, out->key);
	if (mkdir(tmpdir, 0755) < 0)
		return set_error(out, -errno, "cannot create %s: %s", tmpdir, strerror(errno));

	progress_msg(progress, arg, "guest image: building %s in %s (kernel %s)", out->key,
		     cache_dir, in->kver);
	progress_msg(progress, arg, "guest image: unpacking the kernel");
	ret = extract_vmlinux(in->kernel, tmpdir);
	if (ret < 0) {
		/* Not PVH-bootable or unknown compression: boot the bzImage. */
		snprintf(path, sizeof(path), "%s/vmlinuz", tmpdir);
		ret = copy_file(in->kernel, path);
		if (ret < 0) {
			set_error(out, ret, "cannot copy %s to %s: %s", in->kernel, path,
				  strerror(-ret));
			goto out_remove_tmp;
		}
	}
	ret = build_initrd(in, tmpdir, out, progress, arg);
	if (ret < 0)
		goto out_remove_tmp;
	ret = fsync_path(tmpdir);
	if (ret == 0 && rename(tmpdir, final) < 0)
		ret = -errno;
	if (ret < 0) {
		set_error(out, ret, "cannot move %s to %s: %s", tmpdir, final, strerror(-ret));
		goto out_remove_tmp;
	}
	fsync_path(cache_dir);
	out->built = true;
	snprintf(path, sizeof(path), "%s/initrd.img", final);
	if (stat(path, &st) == 0)
		progress_msg(progress, arg, "guest image: ready, initramfs %.1f MiB",
			     (double)st.st_size / (1024 * 1024));
	return 0;

out_remove_tmp:
	remove_flat_dir(tmpdir);
	return ret;
}

int img_ensure(const char *cache_dir, struct img_paths *out, img_progress_fn progress, void *arg)
{
	struct img_inputs in = {0};
	char lock_path[PATH_MAX];
	int ret, lock_fd;

	memset(out, 0, sizeof(*out));
	if (!cache_dir || !*cache_dir)
		cache_dir = IMG_CACHE_DIR_DEFAULT;
	if (strlen(cache_dir) > IMG_PATH_MAX - sizeof(out->key) - 16)
		return set_error(out, -ENAMETOOLONG, "cache directory name too long: %s",
				 cache_dir);

	ret = find_kernel(&in, out);
	if (ret == 0)
		ret = find_modules(&in, out);
	if (ret == 0)
		ret = find_busybox(&in, out);
	if (ret == 0)
		ret = find_tools(&in, out);
	if (ret < 0)
		goto out_free_inputs;

	make_key(&in, out->key, sizeof(out->key));
	if (image_complete(cache_dir, out))
		goto out_free_inputs; /* ret == 0: reused */

	ret = mkdir_p(cache_dir, 0755);
	if (ret < 0) {
		set_error(out, ret, "cannot create %s: %s", cache_dir, strerror(-ret));
		goto out_free_inputs;
	}
	snprintf(lock_path, sizeof(lock_path), "%s/.lock", cache_dir);
	lock_fd = open(lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (lock_fd < 0) {
		ret = set_error(out, -errno, "cannot open %s: %s", lock_path, strerror(errno));
		goto out_free_inputs;
	}
	if (flock(lock_fd, LOCK_EX | LOCK_NB) < 0) {
		progress_msg(progress, arg, "guest image: waiting for another build (%s)",
			     lock_path);
		while (flock(lock_fd, LOCK_EX) < 0) {
			if (errno != EINTR) {
				ret = set_error(out, -errno, "cannot lock %s: %s", lock_path,
						strerror(errno));
				goto out_close_lock;
			}
		}
	}
	if (!image_complete(cache_dir, out)) { /* another builder may have finished meanwhile */
		remove_stale_tmp(cache_dir);
		ret = build_image(cache_dir, &in, out, progress, arg);
		if (ret == 0 && !image_complete(cache_dir, out))
			ret = set_error(out, -EIO, "image %s/%s is incomplete after building",
					cache_dir, out->key);
	}
out_close_lock:
	close(lock_fd); /* releases the lock */
out_free_inputs:
	inputs_free(&in);
	if (ret < 0) {
		out->kernel[0] = '\0';
		out->initrd[0] = '\0';
	}
	return ret;
}
