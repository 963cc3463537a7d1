/* Unit tests for vmhost/bzimage.c: locating and naming the compressed
 * kernel inside a bzImage (boot protocol header fields, setup sectors,
 * payload bounds, xz/zstd/gzip magic), and recognising the PVH entry note of
 * an ELF vmlinux. Images are synthesised in memory. Single-threaded, no I/O. */
#include <elf.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "bzimage.h"

static void le32_put(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

/* A bzImage: `sects` setup sectors, protocol `ver`, a payload of `plen`
 * bytes at `poff` past the setup code starting with `magic`. */
static size_t make_bzimage(uint8_t *img, size_t size, uint8_t sects, uint16_t ver, uint32_t poff,
			   uint32_t plen, const uint8_t *magic, size_t mlen)
{
	size_t setup = (size_t)(sects ? sects : 4) * 512 + 512;

	memset(img, 0, size);
	img[0x1f1] = sects;
	memcpy(img + 0x202, "HdrS", 4);
	img[0x206] = (uint8_t)ver;
	img[0x207] = (uint8_t)(ver >> 8);
	le32_put(img + 0x248, poff);
	le32_put(img + 0x24c, plen);
	if (setup + poff + mlen <= size)
		memcpy(img + setup + poff, magic, mlen);
	return setup + poff + plen;
}

static const uint8_t xz[] = {0xfd, '7', 'z', 'X', 'Z', 0};
static const uint8_t zstd[] = {0x28, 0xb5, 0x2f, 0xfd};
static const uint8_t gz[] = {0x1f, 0x8b};

static void test_payload(void **state)
{
	static uint8_t img[8192];
	const char *tool;
	size_t off, plen, len;

	(void)state;
	len = make_bzimage(img, sizeof(img), 1, 0x20f, 16, 100, xz, sizeof(xz));
	assert_int_equal(bzimage_payload(img, len, &off, &plen, &tool), 0);
	assert_int_equal(off, 1024 + 16);
	assert_int_equal(plen, 96); /* without the appended size */
	assert_string_equal(tool, "xz");

	len = make_bzimage(img, sizeof(img), 0, 0x208, 0, 64, zstd, sizeof(zstd));
	assert_int_equal(bzimage_payload(img, len, &off, &plen, &tool), 0);
	assert_int_equal(off, 4 * 512 + 512); /* 0 setup sectors means 4 */
	assert_int_equal(plen, 60);
	assert_string_equal(tool, "zstd");

	len = make_bzimage(img, sizeof(img), 2, 0x20c, 8, 16, gz, sizeof(gz));
	assert_int_equal(bzimage_payload(img, len, &off, &plen, &tool), 0);
	assert_int_equal(off, 1536 + 8);
	assert_int_equal(plen, 12);
	assert_string_equal(tool, "gzip");
}

static void test_payload_refused(void **state)
{
	static const uint8_t lz4[] = {0x02, 0x21, 0x4c, 0x18};
	static uint8_t img[8192];
	const char *tool;
	size_t off, plen, len;

	(void)state;
	len = make_bzimage(img, sizeof(img), 1, 0x207, 16, 100, xz, sizeof(xz));
	assert_int_equal(bzimage_payload(img, len, &off, &plen, &tool), -ENOTSUP); /* < 2.08 */
	len = make_bzimage(img, sizeof(img), 1, 0x20f, 16, 100, lz4, sizeof(lz4));
	assert_int_equal(bzimage_payload(img, len, &off, &plen, &tool), -ENOTSUP); /* lz4 */
	len = make_bzimage(img, sizeof(img), 1, 0x20f, 16, 15, xz, sizeof(xz));
	assert_int_equal(bzimage_payload(img, len, &off, &plen, &tool), -ENOTSUP); /* tiny */
	len = make_bzimage(img, sizeof(img), 1, 0x20f, 16, 100, xz, sizeof(xz));
	assert_int_equal(bzimage_payload(img, len - 1, &off, &plen, &tool), -ENOTSUP); /* cut */
	assert_int_equal(bzimage_payload(img, 0x24f, &off, &plen, &tool), -ENOTSUP);
	img[0x202] = 'X';
	assert_int_equal(bzimage_payload(img, len, &off, &plen, &tool), -ENOTSUP); /* no HdrS */
}

/* An x86-64 ELF with one PT_NOTE segment holding notes (name, type). */
static size_t make_elf(uint8_t *buf, size_t size, uint16_t machine, const char *const names[],
		       const uint32_t types[], int n_notes)
{
	Elf64_Ehdr eh = {0};
	Elf64_Phdr ph = {0};
	size_t off = sizeof(eh) + sizeof(ph), start = off;

	memset(buf, 0, size);
	memcpy(eh.e_ident, ELFMAG, SELFMAG);
	eh.e_ident[EI_CLASS] = ELFCLASS64;
	eh.e_machine = machine;
	eh.e_phoff = sizeof(eh);
	eh.e_phentsize = sizeof(ph);
	eh.e_phnum = 1;
	for (int i = 0; i < n_notes; i++) {
		size_t nlen = strlen(names[i]) + 1;

		le32_put(buf + off, (uint32_t)nlen);
		le32_put(buf + off + 4, 4); /* descsz: a 32-bit entry address */
		le32_put(buf + off + 8, types[i]);
		memcpy(buf + off + 12, names[i], nlen);
		off += 12 + ((nlen + 3) & ~(size_t)3) + 4;
	}
	ph.p_type = PT_NOTE;
	ph.p_offset = start;
	ph.p_filesz = off - start;
	memcpy(buf, &eh, sizeof(eh));
	memcpy(buf + sizeof(eh), &ph, sizeof(ph));
	return off;
}

static void test_pvh(void **state)
{
	static const char *const names[] = {"GNU", "Xen", "Xen"};
	static const uint32_t types[] = {3, 5, 18}; /* 18: XEN_ELFNOTE_PHYS32_ENTRY */
	static uint8_t elf[4096];
	size_t len;

	(void)state;
	len = make_elf(elf, sizeof(elf), EM_X86_64, names, types, 3);
	assert_int_equal(bzimage_elf_has_pvh(elf, len), 1);
	len = make_elf(elf, sizeof(elf), EM_X86_64, names, types, 2); /* no entry note */
	assert_int_equal(bzimage_elf_has_pvh(elf, len), 0);
	len = make_elf(elf, sizeof(elf), EM_386, names, types, 3); /* not x86-64 */
	assert_int_equal(bzimage_elf_has_pvh(elf, len), 0);
	len = make_elf(elf, sizeof(elf), EM_X86_64, names, types, 3);
	assert_int_equal(bzimage_elf_has_pvh(elf, len - 8), 0); /* note cut off */
	assert_int_equal(bzimage_elf_has_pvh(elf, 10), 0);
	elf[EI_CLASS] = ELFCLASS32;
	assert_int_equal(bzimage_elf_has_pvh(elf, len), 0);
	memcpy(elf, "MZ", 2);
	assert_int_equal(bzimage_elf_has_pvh(elf, len), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_payload),
	    cmocka_unit_test(test_payload_refused),
	    cmocka_unit_test(test_pvh),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
