/* The built-in guest image, building it into a directory: the kernel (the
 * ELF vmlinux unpacked from the bzImage when it boots by PVH, the bzImage
 * otherwise) and the initramfs (a newc cpio of the inputs, modules
 * decompressed, busybox applets as symlinks, gzip'ed). The formats are the
 * pure bzimage.c and cpio.c; this file reads, writes and runs the helper
 * programs (xz, zstd, gzip). See image_priv.h.
 *
 * Threads: the caller's (img_ensure()'s); blocking. */
#include "image_priv.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "bzimage.h"
#include "cpio.h"

static const char etc_passwd[] = "root:x:0:0:root:/root:/bin/sh\n"
				 "tcpdump:x:100:100::/nonexistent:/bin/false\n"
				 "nobody:x:65534:65534:nobody:/nonexistent:/bin/false\n";
static const char etc_group[] = "root:x:0:\ntcpdump:x:100:\nnogroup:x:65534:\n";
static const char etc_nsswitch[] = "passwd: files\ngroup: files\nshadow: files\n"
				   "hosts: files\nnetworks: files\nprotocols: files\n"
				   "services: files\n";

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

/* The cpio writer's output: a stdio stream. */
static int write_stream(void *arg, const void *buf, size_t len)
{
	return fwrite(buf, 1, len, arg) == len ? 0 : -EIO;
}

/* Adds host file src (following symlinks) as `path`; returns c->err. */
static int pack_file(struct cpio *c, const char *path, mode_t mode, const char *src)
{
	char buf[65536];
	struct stat st;
	off_t left;
	int fd;

	if (c->err)
		return c->err;
	fd = open(src, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0) {
		c->err = -errno;
		goto out_close;
	}
	if (st.st_size > UINT32_MAX) {
		c->err = -EFBIG;
		goto out_close;
	}
	cpio_file_begin(c, path, mode, (uint32_t)st.st_size);
	for (left = st.st_size; left > 0 && !c->err;) {
		ssize_t n = read(fd, buf, left < (off_t)sizeof(buf) ? (size_t)left : sizeof(buf));

		if (n <= 0) {
			c->err = n < 0 ? -errno : -EIO; /* file shrank under us */
			goto out_close;
		}
		cpio_file_data(c, buf, (size_t)n);
		left -= n;
	}
	cpio_file_end(c);
out_close:
	if (fd >= 0)
		close(fd);
	return c->err;
}

/* 1 when the ELF file at path boots by PVH, 0 when not, -errno. */
static int file_has_pvh(const char *path)
{
	struct stat st;
	void *map;
	int fd, ret;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0) {
		ret = -errno;
		goto out_close;
	}
	if (st.st_size == 0) {
		ret = 0;
		goto out_close;
	}
	map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (map == MAP_FAILED) {
		ret = -errno;
		goto out_close;
	}
	ret = bzimage_elf_has_pvh(map, (size_t)st.st_size);
	munmap(map, (size_t)st.st_size);
out_close:
	close(fd);
	return ret;
}

/* Writes dir/vmlinux from the compressed payload of bzImage. Returns 0,
 * or -ENOTSUP when the kernel cannot be booted that way (the caller then
 * uses the bzImage itself), or another -errno. */
static int extract_vmlinux(const char *bzimage, const char *dir)
{
	char payload_path[PATH_MAX], elf_path[PATH_MAX];
	unsigned char *img = NULL;
	size_t len, off, plen;
	const char *tool;
	int in_fd = -1, out_fd = -1, ret;

	ret = read_all(bzimage, &img, &len);
	if (ret < 0)
		return ret;
	ret = bzimage_payload(img, len, &off, &plen, &tool);
	if (ret < 0)
		goto out_free;

	snprintf(payload_path, sizeof(payload_path), "%s/payload", dir);
	snprintf(elf_path, sizeof(elf_path), "%s/vmlinux", dir);
	out_fd = open(payload_path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (out_fd < 0 || write(out_fd, img + off, plen) != (ssize_t)plen ||
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
	ret = img_run((char *const[]){(char *)tool, "-d", "-c", NULL}, in_fd, out_fd, NULL);
	if (ret == 0 && fsync(out_fd) < 0)
		ret = -errno;
	if (ret == 0 && file_has_pvh(elf_path) != 1)
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
		return pack_file(c, f->dst, f->mode, f->src);
	}
	snprintf(plain, sizeof(plain), "%s/module.ko", tmpdir);
	in_fd = open(f->src, O_RDONLY | O_CLOEXEC);
	if (in_fd < 0)
		return img_error(out, -errno, "cannot read %s: %s", f->src, strerror(errno));
	out_fd = open(plain, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (out_fd < 0) {
		ret = img_error(out, -errno, "cannot write %s: %s", plain, strerror(errno));
		goto out_close_in;
	}
	ret = img_run((char *const[]){(char *)tool, "-d", "-c", NULL}, in_fd, out_fd, NULL);
	if (ret == -ENOENT) {
		img_error(out, ret, "%s is needed to unpack %s: apt-get install %s", tool, f->src,
			  package);
		goto out_close_out;
	}
	if (ret < 0) {
		img_error(out, ret, "%s -d %s failed", tool, f->src);
		goto out_close_out;
	}
	ret = pack_file(c, f->dst, f->mode, plain);
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

int img_build_kernel(const struct img_inputs *in, const char *dir, struct img_paths *out)
{
	char path[PATH_MAX];
	int ret = extract_vmlinux(in->kernel, dir);

	if (ret == 0)
		return 0;
	/* Not PVH-bootable or unknown compression: boot the bzImage. */
	snprintf(path, sizeof(path), "%s/vmlinuz", dir);
	ret = copy_file(in->kernel, path);
	if (ret < 0)
		return img_error(out, ret, "cannot copy %s to %s: %s", in->kernel, path,
				 strerror(-ret));
	return 0;
}

/* Writes tmpdir/initrd.img: the cpio, gzip'ed. */
int img_build_initrd(const struct img_inputs *in, const char *tmpdir, struct img_paths *out,
		     img_progress_fn progress, void *arg)
{
	static const char *const dirs[] = {"/dev",  "/proc", "/sys",	    "/run",	"/tmp",
					   "/root", "/etc",  "/var/log",    "/usr/bin", "/usr/sbin",
					   "/bin",  "/sbin", "/lib/modules"};
	char cpio_path[PATH_MAX], img_path[PATH_MAX];
	struct cpio c;
	int ret, in_fd, out_fd;
	FILE *f;
	size_t n_mod = 0;

	snprintf(cpio_path, sizeof(cpio_path), "%s/initrd.cpio", tmpdir);
	snprintf(img_path, sizeof(img_path), "%s/initrd.img", tmpdir);
	f = fopen(cpio_path, "we");
	if (!f)
		return img_error(out, -errno, "cannot write %s: %s", cpio_path, strerror(errno));
	cpio_init(&c, write_stream, f);

	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++)
		cpio_dir(&c, dirs[i]);
	cpio_chr(&c, "/dev/console", 0600, 5, 1);
	cpio_chr(&c, "/dev/null", 0666, 1, 3);
	cpio_data(&c, "/init", 0755, img_init_script_text(), strlen(img_init_script_text()));
	cpio_data(&c, "/etc/passwd", 0644, etc_passwd, sizeof(etc_passwd) - 1);
	cpio_data(&c, "/etc/group", 0644, etc_group, sizeof(etc_group) - 1);
	cpio_data(&c, "/etc/nsswitch.conf", 0644, etc_nsswitch, sizeof(etc_nsswitch) - 1);

	for (size_t i = 0; i < in->n_files; i++)
		n_mod += strncmp(in->files[i].dst, "/lib/modules/", 13) == 0;
	img_progress(progress, arg, "guest image: packing %zu kernel modules", n_mod);
	for (size_t i = 0; i < in->n_files && !c.err; i++) {
		const struct img_file *file = &in->files[i];

		if (strncmp(file->dst, "/lib/modules/", 13) == 0) {
			ret = pack_module(&c, file, tmpdir, out);
			if (ret < 0)
				goto out_close;
		}
	}
	img_progress(progress, arg, "guest image: packing busybox (%zu applets), tools, libraries",
		     in->n_applets);
	for (size_t i = 0; i < in->n_files && !c.err; i++) {
		const struct img_file *file = &in->files[i];

		if (strncmp(file->dst, "/lib/modules/", 13) != 0)
			pack_file(&c, file->dst, file->mode, file->src);
	}
	for (size_t i = 0; i < in->n_applets && !c.err; i++)
		if (!img_applet_shadowed(in->applets[i]))
			cpio_symlink(&c, in->applets[i], "/bin/busybox");
	ret = cpio_finish(&c);
	if (ret == 0 && (fflush(f) != 0 || ferror(f)))
		ret = -EIO;
	if (ret < 0) {
		img_error(out, ret, "cannot write %s: %s", cpio_path, strerror(-ret));
		goto out_close;
	}

	img_progress(progress, arg, "guest image: compressing initramfs");
	in_fd = open(cpio_path, O_RDONLY | O_CLOEXEC);
	if (in_fd < 0) {
		ret = img_error(out, -errno, "cannot read %s: %s", cpio_path, strerror(errno));
		goto out_close;
	}
	out_fd = open(img_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (out_fd < 0) {
		ret = img_error(out, -errno, "cannot write %s: %s", img_path, strerror(errno));
		close(in_fd);
		goto out_close;
	}
	ret = img_run((char *const[]){"gzip", "-n", "-6", "-c", NULL}, in_fd, out_fd, NULL);
	if (ret == 0 && fsync(out_fd) < 0)
		ret = -errno;
	close(out_fd);
	close(in_fd);
	if (ret == -ENOENT)
		img_error(out, ret, "gzip is not installed: apt-get install gzip");
	else if (ret < 0)
		img_error(out, ret, "gzip of %s failed", cpio_path);
out_close:
	cpio_free(&c);
	fclose(f);
	unlink(cpio_path);
	return ret;
}
