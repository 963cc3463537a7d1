/* Unit tests for vmhost/cpio.c, the newc cpio writer of the guest image:
 * header fields, 4-byte alignment, parent directories emitted once, files
 * streamed in pieces, the trailer, and errors latched (a short file, a
 * failing write). The archive goes to a memory buffer and is read back by a
 * small newc reader here. Single-threaded, no I/O. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "cpio.h"

/* The output: a growing buffer, or a write that fails after `fail_after`
 * bytes (when set). */
struct sink {
	unsigned char buf[1 << 16];
	size_t len;
	size_t fail_after;
	int writes;
};

static int sink_write(void *arg, const void *data, size_t len)
{
	struct sink *s = arg;

	s->writes++;
	if (s->fail_after && s->len + len > s->fail_after)
		return -ENOSPC;
	assert_true(s->len + len <= sizeof(s->buf));
	memcpy(s->buf + s->len, data, len);
	s->len += len;
	return 0;
}

/* One entry read back. */
struct entry {
	uint32_t ino, mode, nlink, size, rmaj, rmin;
	char name[128];
	const unsigned char *data;
	size_t header_at; /* offset of its header in the archive */
};

static uint32_t hex8(const unsigned char *p)
{
	char tmp[9];

	memcpy(tmp, p, 8);
	tmp[8] = '\0';
	return (uint32_t)strtoul(tmp, NULL, 16);
}

/* Reads every entry up to and with the trailer; returns how many. */
static int read_archive(const struct sink *s, struct entry *e, int max)
{
	size_t off = 0;
	int n = 0;

	while (off + 110 <= s->len && n < max) {
		const unsigned char *h = s->buf + off;
		struct entry *x = &e[n++];
		uint32_t namesize;

		assert_memory_equal(h, "070701", 6);
		assert_int_equal(off % 4, 0);
		x->header_at = off;
		x->ino = hex8(h + 6);
		x->mode = hex8(h + 14);
		assert_int_equal(hex8(h + 22), 0); /* uid */
		assert_int_equal(hex8(h + 30), 0); /* gid */
		x->nlink = hex8(h + 38);
		assert_int_equal(hex8(h + 46), 0); /* mtime */
		x->size = hex8(h + 54);
		x->rmaj = hex8(h + 78);
		x->rmin = hex8(h + 86);
		namesize = hex8(h + 94);
		assert_true(namesize > 0 && namesize <= sizeof(x->name));
		memcpy(x->name, h + 110, namesize);
		assert_int_equal(x->name[namesize - 1], '\0');
		off += 110 + namesize;
		off = (off + 3) & ~(size_t)3;
		x->data = s->buf + off;
		off += x->size;
		off = (off + 3) & ~(size_t)3;
		if (!strcmp(x->name, "TRAILER!!!"))
			break;
	}
	return n;
}

static void test_entries(void **state)
{
	static struct sink s;
	struct entry e[32];
	struct cpio c;
	int n;

	(void)state;
	memset(&s, 0, sizeof(s));
	cpio_init(&c, sink_write, &s);
	cpio_dir(&c, "/usr/bin");
	cpio_dir(&c, "/usr");	 /* already there: nothing */
	cpio_dir(&c, "usr/bin"); /* relative: the same entry */
	cpio_data(&c, "/etc/passwd", 0644, "root\n", 5);
	cpio_symlink(&c, "bin/sh", "/bin/busybox");
	cpio_symlink(&c, "/bin/sh", "/elsewhere"); /* written already: skipped */
	cpio_chr(&c, "/dev/console", 0600, 5, 1);
	assert_int_equal(cpio_finish(&c), 0);
	assert_int_equal(s.len, c.off);
	assert_int_equal(s.len % 4, 0);

	n = read_archive(&s, e, 32);
	assert_int_equal(n, 9);
	assert_string_equal(e[0].name, "usr");
	assert_int_equal(e[0].mode, S_IFDIR | 0755);
	assert_int_equal(e[0].nlink, 2);
	assert_string_equal(e[1].name, "usr/bin");
	assert_string_equal(e[2].name, "etc");
	assert_string_equal(e[3].name, "etc/passwd");
	assert_int_equal(e[3].mode, S_IFREG | 0644);
	assert_int_equal(e[3].nlink, 1);
	assert_int_equal(e[3].size, 5);
	assert_memory_equal(e[3].data, "root\n", 5);
	assert_string_equal(e[4].name, "bin");
	assert_string_equal(e[5].name, "bin/sh");
	assert_int_equal(e[5].mode, S_IFLNK | 0777);
	assert_int_equal(e[5].size, strlen("/bin/busybox"));
	assert_memory_equal(e[5].data, "/bin/busybox", 12);
	assert_string_equal(e[6].name, "dev");
	assert_string_equal(e[7].name, "dev/console");
	assert_int_equal(e[7].mode, S_IFCHR | 0600);
	assert_int_equal(e[7].rmaj, 5);
	assert_int_equal(e[7].rmin, 1);
	assert_int_equal(e[7].size, 0);
	assert_string_equal(e[8].name, "TRAILER!!!");
	assert_int_equal(e[8].mode, 0);
	for (int i = 0; i < n; i++)
		assert_int_equal(e[i].ino, (uint32_t)i + 1);
	cpio_free(&c);
}

static void test_same_bytes(void **state)
{
	static struct sink a, b;
	struct cpio c;

	(void)state;
	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	for (int k = 0; k < 2; k++) {
		cpio_init(&c, sink_write, k ? &b : &a);
		cpio_dir(&c, "/lib/modules");
		cpio_data(&c, "/init", 0755, "#!/bin/sh\n", 10);
		assert_int_equal(cpio_finish(&c), 0);
		cpio_free(&c);
	}
	assert_int_equal(a.len, b.len);
	assert_memory_equal(a.buf, b.buf, a.len);
}

static void test_streamed_file(void **state)
{
	static struct sink s;
	struct entry e[8];
	struct cpio c;
	char big[1001];

	(void)state;
	memset(&s, 0, sizeof(s));
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (char)('a' + i % 26);
	cpio_init(&c, sink_write, &s);
	cpio_file_begin(&c, "/usr/sbin/qemu-ga", 0755, sizeof(big));
	cpio_file_data(&c, big, 600);
	cpio_file_data(&c, big + 600, sizeof(big) - 600);
	cpio_file_end(&c);
	cpio_data(&c, "/x", 0644, "y", 1);
	assert_int_equal(cpio_finish(&c), 0);
	assert_int_equal(read_archive(&s, e, 8), 5);
	assert_string_equal(e[2].name, "usr/sbin/qemu-ga");
	assert_int_equal(e[2].mode, S_IFREG | 0755);
	assert_int_equal(e[2].size, sizeof(big));
	assert_memory_equal(e[2].data, big, sizeof(big));
	assert_int_equal(e[3].header_at % 4, 0); /* 1001 bytes padded */
	assert_string_equal(e[3].name, "x");
	assert_memory_equal(e[3].data, "y", 1);
	cpio_free(&c);
}

static void test_short_and_long_file(void **state)
{
	static struct sink s;
	struct cpio c;

	(void)state;
	memset(&s, 0, sizeof(s));
	cpio_init(&c, sink_write, &s);
	cpio_file_begin(&c, "/f", 0644, 10);
	cpio_file_data(&c, "12345", 5);
	cpio_file_end(&c); /* 5 bytes short: the file shrank */
	assert_int_equal(cpio_finish(&c), -EIO);
	cpio_free(&c);

	memset(&s, 0, sizeof(s));
	cpio_init(&c, sink_write, &s);
	cpio_file_begin(&c, "/f", 0644, 2);
	cpio_file_data(&c, "123", 3); /* one byte too many */
	cpio_file_end(&c);
	assert_int_equal(cpio_finish(&c), -EIO);
	cpio_free(&c);
}

static void test_write_error_latched(void **state)
{
	static struct sink s;
	struct cpio c;
	int writes;

	(void)state;
	memset(&s, 0, sizeof(s));
	s.fail_after = 200;
	cpio_init(&c, sink_write, &s);
	cpio_dir(&c, "/a");
	cpio_dir(&c, "/b");
	writes = s.writes;
	assert_int_equal(c.err, -ENOSPC);
	cpio_data(&c, "/c", 0644, "data", 4); /* nothing more is written */
	assert_int_equal(s.writes, writes);
	assert_int_equal(cpio_finish(&c), -ENOSPC);
	assert_true(s.len <= 200);
	cpio_free(&c);
	cpio_free(&c); /* twice is fine */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_entries),
	    cmocka_unit_test(test_same_bytes),
	    cmocka_unit_test(test_streamed_file),
	    cmocka_unit_test(test_short_and_long_file),
	    cmocka_unit_test(test_write_error_latched),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
