/* The built-in guest image, its cache: img_ensure() finds the inputs on the
 * host (image_inputs.c), hashes them into a cache key and, when
 * <cache>/<key>/ does not exist yet, builds the kernel and the initramfs
 * (image_build.c) in a temporary directory that it then renames into place.
 *
 * Runs in the caller's thread; blocking. Builders in this or other processes
 * are serialised by flock() on <cache>/.lock; readers never need the lock
 * because a key directory appears complete or not at all (rename). */
#include "image.h"

#include "image_priv.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "guest_init.h" /* generated: static const char img_init_script[] */

void img_progress(img_progress_fn progress, void *arg, const char *fmt, ...)
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

int img_error(struct img_paths *out, int err, const char *fmt, ...)
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
		return img_error(out, -errno, "cannot create %s: %s", tmpdir, strerror(errno));

	img_progress(progress, arg, "guest image: building %s in %s (kernel %s)", out->key,
		     cache_dir, in->kver);
	img_progress(progress, arg, "guest image: unpacking the kernel");
	ret = img_build_kernel(in, tmpdir, out);
	if (ret < 0)
		goto out_remove_tmp;
	ret = img_build_initrd(in, tmpdir, out, progress, arg);
	if (ret < 0)
		goto out_remove_tmp;
	ret = fsync_path(tmpdir);
	if (ret == 0 && rename(tmpdir, final) < 0)
		ret = -errno;
	if (ret < 0) {
		img_error(out, ret, "cannot move %s to %s: %s", tmpdir, final, strerror(-ret));
		goto out_remove_tmp;
	}
	fsync_path(cache_dir);
	out->built = true;
	snprintf(path, sizeof(path), "%s/initrd.img", final);
	if (stat(path, &st) == 0)
		img_progress(progress, arg, "guest image: ready, initramfs %.1f MiB",
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
		return img_error(out, -ENAMETOOLONG, "cache directory name too long: %s",
				 cache_dir);

	ret = img_inputs_find(&in, out);
	if (ret < 0)
		goto out_free_inputs;

	img_make_key(&in, out->key, sizeof(out->key));
	if (image_complete(cache_dir, out))
		goto out_free_inputs; /* ret == 0: reused */

	ret = mkdir_p(cache_dir, 0755);
	if (ret < 0) {
		img_error(out, ret, "cannot create %s: %s", cache_dir, strerror(-ret));
		goto out_free_inputs;
	}
	snprintf(lock_path, sizeof(lock_path), "%s/.lock", cache_dir);
	lock_fd = open(lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (lock_fd < 0) {
		ret = img_error(out, -errno, "cannot open %s: %s", lock_path, strerror(errno));
		goto out_free_inputs;
	}
	if (flock(lock_fd, LOCK_EX | LOCK_NB) < 0) {
		img_progress(progress, arg, "guest image: waiting for another build (%s)",
			     lock_path);
		while (flock(lock_fd, LOCK_EX) < 0) {
			if (errno != EINTR) {
				ret = img_error(out, -errno, "cannot lock %s: %s", lock_path,
						strerror(errno));
				goto out_close_lock;
			}
		}
	}
	if (!image_complete(cache_dir, out)) { /* another builder may have finished meanwhile */
		remove_stale_tmp(cache_dir);
		ret = build_image(cache_dir, &in, out, progress, arg);
		if (ret == 0 && !image_complete(cache_dir, out))
			ret = img_error(out, -EIO, "image %s/%s is incomplete after building",
					cache_dir, out->key);
	}
out_close_lock:
	close(lock_fd); /* releases the lock */
out_free_inputs:
	img_inputs_free(&in);
	if (ret < 0) {
		out->kernel[0] = '\0';
		out->initrd[0] = '\0';
	}
	return ret;
}
