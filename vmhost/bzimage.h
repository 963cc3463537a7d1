/* The x86 Linux kernel image formats the guest image boots: where the
 * compressed kernel sits inside a bzImage and how it is compressed (boot
 * protocol 2.08 and later), and whether an uncompressed ELF vmlinux has a
 * PVH entry point (the XEN_ELFNOTE_PHYS32_ENTRY note), which lets QEMU boot
 * it directly with -kernel, without the seconds a bzImage spends
 * decompressing itself under TCG.
 *
 * Pure: bytes in, answers out; the caller reads or maps the files.
 * Unit-tested (tests/unit/test_vm_bzimage.c). Any thread. */
#ifndef VLAB_BZIMAGE_H
#define VLAB_BZIMAGE_H

#include <stddef.h>
#include <stdint.h>

/* The compressed kernel inside bzImage `img` of `len` bytes: *off and *plen
 * locate the compressed data (without the 4-byte uncompressed size the
 * kernel build appends), *tool names the program that decompresses it
 * ("xz", "zstd" or "gzip", each with -d -c). Returns 0, or -ENOTSUP when
 * `img` is no bzImage of boot protocol >= 2.08, its payload lies outside it
 * or is compressed some other way. */
int bzimage_payload(const uint8_t *img, size_t len, size_t *off, size_t *plen, const char **tool);

/* 1 when `elf` (len bytes) is an x86-64 ELF with a PVH entry note in one of
 * the first 4 KiB of its PT_NOTE segments, 0 when not (or not such an ELF). */
int bzimage_elf_has_pvh(const uint8_t *elf, size_t len);

#endif /* VLAB_BZIMAGE_H */
