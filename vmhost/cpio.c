/* The newc cpio writer; see cpio.h.
 *
 * Threads: the caller's; all state is in struct cpio. */
#include "cpio.h"

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define CPIO_HEADER_LEN 110 /* "070701" and 13 fields of 8 hex digits */

void cpio_init(struct cpio *c, cpio_write_fn write, void *arg)
{
	memset(c, 0, sizeof(*c));
	c->write = write;
	c->arg = arg;
}

static void fail(struct cpio *c, int err)
{
	if (!c->err)
		c->err = err;
}

static void put(struct cpio *c, const void *buf, size_t len)
{
	int rc;

	if (c->err || len == 0)
		return;
	rc = c->write(c->arg, buf, len);
	if (rc < 0) {
		fail(c, rc);
		return;
	}
	c->off += len;
}

/* Zeros up to the next multiple of 4. */
static void pad(struct cpio *c)
{
	static const char zeros[4];

	if (c->off % 4)
		put(c, zeros, (size_t)(4 - c->off % 4));
}

static bool seen(const struct cpio *c, const char *name)
{
	for (size_t i = 0; i < c->n_names; i++)
		if (strcmp(c->names[i], name) == 0)
			return true;
	return false;
}

static void remember(struct cpio *c, const char *name)
{
	if (c->n_names == c->cap_names) {
		size_t cap = c->cap_names ? c->cap_names * 2 : 256;
		char **nn = realloc(c->names, cap * sizeof(*nn));

		if (!nn) {
			fail(c, -ENOMEM);
			return;
		}
		c->names = nn;
		c->cap_names = cap;
	}
	c->names[c->n_names] = strdup(name);
	if (!c->names[c->n_names]) {
		fail(c, -ENOMEM);
		return;
	}
	c->n_names++;
}

/* Header + name (name without leading '/'); the caller writes the data. */
static void header(struct cpio *c, const char *name, uint32_t mode, uint32_t size, uint32_t rmaj,
		   uint32_t rmin)
{
	char h[CPIO_HEADER_LEN + 1];
	size_t nlen = strlen(name) + 1;

	snprintf(h, sizeof(h), "070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08zX%08X",
		 ++c->ino, mode, 0u, 0u, S_ISDIR(mode) ? 2u : 1u, 0u, size, 0u, 0u, rmaj, rmin,
		 nlen, 0u);
	put(c, h, CPIO_HEADER_LEN);
	put(c, name, nlen);
	pad(c);
}

/* Directory entries for every missing parent of path ("a/b/c" -> a, a/b). */
static void parents(struct cpio *c, const char *path)
{
	char dir[PATH_MAX];

	for (const char *p = strchr(path, '/'); p; p = strchr(p + 1, '/')) {
		size_t n = (size_t)(p - path);

		if (n == 0 || n >= sizeof(dir))
			continue;
		memcpy(dir, path, n);
		dir[n] = '\0';
		if (seen(c, dir))
			continue;
		header(c, dir, S_IFDIR | 0755, 0, 0, 0);
		remember(c, dir);
	}
}

void cpio_dir(struct cpio *c, const char *path)
{
	path += strspn(path, "/");
	parents(c, path);
	if (seen(c, path))
		return;
	header(c, path, S_IFDIR | 0755, 0, 0, 0);
	remember(c, path);
}

void cpio_data(struct cpio *c, const char *path, mode_t mode, const void *data, size_t len)
{
	if (len > UINT32_MAX) {
		fail(c, -EFBIG);
		return;
	}
	path += strspn(path, "/");
	parents(c, path);
	header(c, path, S_IFREG | mode, (uint32_t)len, 0, 0);
	put(c, data, len);
	pad(c);
	remember(c, path);
}

void cpio_symlink(struct cpio *c, const char *path, const char *target)
{
	path += strspn(path, "/");
	if (seen(c, path))
		return;
	parents(c, path);
	header(c, path, S_IFLNK | 0777, (uint32_t)strlen(target), 0, 0);
	put(c, target, strlen(target));
	pad(c);
	remember(c, path);
}

void cpio_chr(struct cpio *c, const char *path, mode_t mode, unsigned int maj, unsigned int min)
{
	path += strspn(path, "/");
	parents(c, path);
	header(c, path, S_IFCHR | mode, 0, maj, min);
	remember(c, path);
}

void cpio_file_begin(struct cpio *c, const char *path, mode_t mode, uint32_t size)
{
	path += strspn(path, "/");
	parents(c, path);
	header(c, path, S_IFREG | mode, size, 0, 0);
	c->file_left = size;
	remember(c, path);
}

void cpio_file_data(struct cpio *c, const void *data, size_t len)
{
	if (len > c->file_left) {
		fail(c, -EIO);
		return;
	}
	put(c, data, len);
	c->file_left -= (uint32_t)len;
}

void cpio_file_end(struct cpio *c)
{
	if (c->file_left) {
		fail(c, -EIO); /* the file shrank under us */
		c->file_left = 0;
		return;
	}
	pad(c);
}

int cpio_finish(struct cpio *c)
{
	header(c, "TRAILER!!!", 0, 0, 0, 0);
	return c->err;
}

void cpio_free(struct cpio *c)
{
	for (size_t i = 0; i < c->n_names; i++)
		free(c->names[i]);
	free(c->names);
	c->names = NULL;
	c->n_names = c->cap_names = 0;
}
