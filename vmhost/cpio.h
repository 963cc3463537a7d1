/* A writer of newc ("070701") cpio archives, the format of Linux initramfs
 * images: directories, regular files, symlinks and character devices, each
 * entry padded to 4 bytes, parent directories emitted once before their
 * first entry, and the TRAILER!!! entry at the end. Owner root, mtime 0, so
 * the same entries give the same bytes.
 *
 * Pure: bytes go to a write callback the caller supplies (a file, a
 * buffer); no file system access. The first error is latched and later
 * calls do nothing; cpio_finish() returns it. Unit-tested
 * (tests/unit/test_vm_cpio.c). Runs on the caller's thread; one writer per
 * thread. */
#ifndef VLAB_CPIO_H
#define VLAB_CPIO_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Writes len bytes; returns 0 or -errno. */
typedef int (*cpio_write_fn)(void *arg, const void *buf, size_t len);

struct cpio {
	cpio_write_fn write;
	void *arg;
	uint64_t off; /* bytes written so far */
	uint32_t ino; /* inode number of the last entry */
	char **names; /* entries written, to emit each directory once */
	size_t n_names, cap_names;
	uint32_t file_left; /* bytes of the open file entry still to come */
	int err;	    /* first error, latched */
};

/* An empty archive writing through write(arg, ...). */
void cpio_init(struct cpio *c, cpio_write_fn write, void *arg);

/* Entries. Paths are absolute or relative to the archive root ("/etc/x"
 * and "etc/x" are the same entry); missing parents are added as directories
 * (0755). A directory already written is not written again; a symlink whose
 * path was written is skipped. */
void cpio_dir(struct cpio *c, const char *path);
void cpio_data(struct cpio *c, const char *path, mode_t mode, const void *data, size_t len);
void cpio_symlink(struct cpio *c, const char *path, const char *target);
void cpio_chr(struct cpio *c, const char *path, mode_t mode, unsigned int maj, unsigned int min);

/* A regular file streamed in pieces: cpio_file_begin() with its size, then
 * cpio_file_data() until exactly `size` bytes went in, then cpio_file_end().
 * Fewer or more bytes latch -EIO. */
void cpio_file_begin(struct cpio *c, const char *path, mode_t mode, uint32_t size);
void cpio_file_data(struct cpio *c, const void *data, size_t len);
void cpio_file_end(struct cpio *c);

/* Writes the trailer. Returns 0 or the first error (-ENOMEM, -EIO, or what
 * the write callback returned). */
int cpio_finish(struct cpio *c);

/* Releases the writer's memory (not the output); accepts a zeroed one. */
void cpio_free(struct cpio *c);

#endif /* VLAB_CPIO_H */
