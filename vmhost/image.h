/* The built-in guest image: a kernel and a small initramfs (busybox, qemu-ga,
 * iperf3, tcpdump, iproute2's ip when installed, the virtio modules and the
 * /init of vmhost/guest/init) assembled from the host's Debian packages and
 * cached by content under a cache directory.
 *
 * img_ensure() runs in the calling thread (the vlab CLI's main thread),
 * blocks for a few seconds when it has to build, forks helper programs
 * (ldd, gzip, xz, zstd) and serialises concurrent builders, in this process
 * or others, with flock() on <cache>/.lock. */
#ifndef VLAB_IMAGE_H
#define VLAB_IMAGE_H

#include <stdbool.h>

#define IMG_CACHE_DIR_DEFAULT "/var/cache/vlab/images"
#define IMG_PATH_MAX	      512

/* Bumped whenever the layout of the initramfs changes, to rebuild caches. */
#define IMG_FORMAT_VERSION 1

struct img_paths {
	char kernel[IMG_PATH_MAX]; /* <cache>/<key>/vmlinux (ELF, PVH entry; -kernel boots it
				    * without in-guest decompression), or vmlinuz (the
				    * bzImage) for kernels without PVH support */
	char initrd[IMG_PATH_MAX]; /* <cache>/<key>/initrd.img (gzip'ed newc cpio) */
	char key[128];		   /* "<kernel version>-<16 hex digits>" */
	bool built;		   /* true: built by this call; false: reused */
	char error[512];	   /* on failure: what is wrong and how to fix it */
};

/* Progress of the long steps ("packing modules", "compressing initramfs"...). */
typedef void (*img_progress_fn)(const char *msg, void *arg);

/* Makes sure the image for the current host inputs exists in cache_dir
 * (NULL = IMG_CACHE_DIR_DEFAULT, created if missing) and fills out. The key
 * hashes the paths, sizes and mtimes of every input file, the /init text
 * and IMG_FORMAT_VERSION, so any package upgrade yields a new image; older
 * ones stay until removed by hand. progress may be NULL. Returns 0 or
 * -errno; -ENOENT when a package is missing (out->error names it and the
 * apt-get command that fixes it). */
int img_ensure(const char *cache_dir, struct img_paths *out, img_progress_fn progress, void *arg);

/* The embedded /init script (for tests and `vlab` diagnostics). */
const char *img_init_script_text(void);

#endif
