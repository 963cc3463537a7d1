/* Kernel image formats; see bzimage.h.
 *
 * Threads: any; no state. */
#include "bzimage.h"

#include <elf.h>
#include <errno.h>
#include <string.h>

#define XEN_ELFNOTE_PHYS32_ENTRY 18
#define NOTE_MAX		 4096 /* bytes of a note segment looked at */

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

int bzimage_payload(const uint8_t *img, size_t len, size_t *off, size_t *plen, const char **tool)
{
	static const struct {
		const uint8_t magic[6];
		size_t len;
		const char *tool;
	} formats[] = {
	    {{0xfd, '7', 'z', 'X', 'Z', 0}, 6, "xz"},
	    {{0x28, 0xb5, 0x2f, 0xfd}, 4, "zstd"},
	    {{0x1f, 0x8b}, 2, "gzip"},
	};
	size_t setup, poff, psize;

	/* boot protocol >= 2.08: payload_offset/payload_length in the header */
	if (len < 0x250 || memcmp(img + 0x202, "HdrS", 4) != 0 ||
	    (img[0x206] | img[0x207] << 8) < 0x208)
		return -ENOTSUP;
	setup = (size_t)(img[0x1f1] ? img[0x1f1] : 4) * 512 + 512;
	poff = le32(img + 0x248);
	psize = le32(img + 0x24c);
	if (setup + poff + psize > len || psize < 16)
		return -ENOTSUP;
	*tool = NULL;
	for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]); i++)
		if (memcmp(img + setup + poff, formats[i].magic, formats[i].len) == 0) {
			*tool = formats[i].tool;
			break;
		}
	if (!*tool)
		return -ENOTSUP;
	*off = setup + poff;
	*plen = psize - 4; /* the build appends the uncompressed size (size_append) */
	return 0;
}

int bzimage_elf_has_pvh(const uint8_t *elf, size_t len)
{
	Elf64_Ehdr eh;
	Elf64_Phdr ph;

	if (len < sizeof(eh))
		return 0;
	memcpy(&eh, elf, sizeof(eh));
	if (memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 || eh.e_ident[EI_CLASS] != ELFCLASS64 ||
	    eh.e_machine != EM_X86_64 || eh.e_phentsize != sizeof(ph))
		return 0;
	for (unsigned int i = 0; i < eh.e_phnum; i++) {
		const uint8_t *note;
		size_t nlen, off = 0;
		uint64_t at = eh.e_phoff + (uint64_t)i * sizeof(ph);

		if (at > len || len - at < sizeof(ph))
			return 0;
		memcpy(&ph, elf + at, sizeof(ph));
		if (ph.p_type != PT_NOTE)
			continue;
		nlen = ph.p_filesz < NOTE_MAX ? (size_t)ph.p_filesz : NOTE_MAX;
		if (ph.p_offset > len || len - ph.p_offset < nlen)
			return 0;
		note = elf + ph.p_offset;
		while (off + 12 <= nlen) {
			uint32_t namesz = le32(note + off), descsz = le32(note + off + 4);
			uint32_t type = le32(note + off + 8);

			if (namesz == 4 && off + 16 <= nlen &&
			    memcmp(note + off + 12, "Xen", 4) == 0 &&
			    type == XEN_ELFNOTE_PHYS32_ENTRY)
				return 1;
			off += 12 + (((size_t)namesz + 3) & ~(size_t)3) +
			       (((size_t)descsz + 3) & ~(size_t)3);
		}
	}
	return 0;
}
