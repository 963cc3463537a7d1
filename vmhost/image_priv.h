/* What the parts of the built-in guest image share (vmhost/image*.c; the
 * public API is image.h): the inputs found on the host and the cache key
 * they hash to (image_inputs.c), building a kernel and an initramfs into a
 * directory (image_build.c), helper programs (image_run.c), and error and
 * progress messages (image.c). Not for other modules.
 *
 * Threads: the caller's (img_ensure()'s); no global state. */
#ifndef VLAB_IMAGE_PRIV_H
#define VLAB_IMAGE_PRIV_H

#include <stdbool.h>
#include <limits.h>
#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "image.h"

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

/* ---- image.c ---- */

/* Formats a progress message for `progress` (may be NULL). */
void img_progress(img_progress_fn progress, void *arg, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Formats out->error; returns err. */
int img_error(struct img_paths *out, int err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* ---- image_inputs.c ---- */

/* Finds every input on the host (kernel, modules, busybox and its applets,
 * tools and their libraries) into *in (zeroed by the caller). 0 or -errno
 * with out->error saying what is missing and how to install it. */
int img_inputs_find(struct img_inputs *in, struct img_paths *out);
void img_inputs_free(struct img_inputs *in);
/* The cache key "<kernel version>-<16 hex digits>" of the inputs: paths,
 * sizes and mtimes of every file, the /init text, IMG_FORMAT_VERSION. */
void img_make_key(const struct img_inputs *in, char *key, size_t size);
/* True when busybox applet `applet` ("usr/bin/ip") is shadowed by one of
 * the real tools the image holds. Pure. */
bool img_applet_shadowed(const char *applet);
/* Finds module `name` ("virtio_net", '-' and '_' alike) in the text of a
 * modules.dep ("path: deps" lines) or modules.builtin ("path" lines) and
 * copies its path into found. Pure. */
bool img_find_module(const char *text, const char *name, char *found, size_t size);

/* ---- image_build.c ---- */

/* Writes the guest kernel into dir: vmlinux, the ELF inside the bzImage,
 * when it boots by PVH, else vmlinuz, a copy of the bzImage. 0 or -errno
 * with out->error filled. */
int img_build_kernel(const struct img_inputs *in, const char *dir, struct img_paths *out);
/* Writes dir/initrd.img: the newc cpio of the image, gzip'ed. 0 or -errno
 * with out->error filled. */
int img_build_initrd(const struct img_inputs *in, const char *dir, struct img_paths *out,
		     img_progress_fn progress, void *arg);

/* ---- image_run.c ---- */

/* Runs argv (PATH searched, no shell) with stdin from in_fd and stdout to
 * out_fd (-1: /dev/null), or with stdout captured into *capture (malloc'ed,
 * NUL-terminated) when capture is not NULL. Returns 0 when it exited 0,
 * -ENOENT when it could not be executed, -EIO for any other failure. */
int img_run(char *const argv[], int in_fd, int out_fd, char **capture);

#endif /* VLAB_IMAGE_PRIV_H */
