/* SPDX-License-Identifier: MIT */
/*
 * vmm/tdvf.h - the TDX metadata of a TD firmware image (TDVF: OVMF built with TDX support),
 * which tells the VMM what to put where before the TD starts (docs/LINUX-BOOT.md "TDVF").
 *
 * An OVMF image ends (4 GiB - 0x20, just below the reset vector's 16 bytes and padding) with
 * a table of GUID'd entries read backwards: each entry is [data][u16 length][GUID], the length
 * counting all three, and the table's own footer entry's length is the whole table's. The
 * entry with GUID e47a6535-984a-4798-865e-4685a7bf8ec2 holds a u32: the TDVF descriptor is
 * that many bytes before the image's end. The descriptor, preceded by the metadata GUID
 * e9eaf9f3-168e-44d5-a8eb-7f4d8738f6ae: "TDVF", u32 length, u32 version (1), u32 number of
 * sections, then 32 bytes per section: u32 data offset and u32 raw data size (in the image
 * file), u64 memory address and u64 memory size (GPA), u32 type, u32 attributes.
 */
#ifndef VMM_TDVF_H
#define VMM_TDVF_H

#include <stddef.h>
#include <stdint.h>

enum tdvf_section_type {
	TDVF_BFV = 0,	       /* boot firmware volume: the code */
	TDVF_CFV = 1,	       /* configuration firmware volume: the variable store */
	TDVF_TD_HOB = 2,       /* where the VMM writes the TD HOB (the memory map) */
	TDVF_TEMP_MEM = 3,     /* temporary memory the firmware uses before its memory init */
	TDVF_PERM_MEM = 4,     /* permanent memory, PAGE.AUG'ed (TDVF 1.x) */
	TDVF_PAYLOAD = 5,      /* a kernel image (td-shim) */
	TDVF_PAYLOAD_PARAM = 6 /* its parameters */
};

#define TDVF_ATTR_MR_EXTEND (1U << 0) /* the section's pages are measured (TDH.MR.EXTEND) */
#define TDVF_ATTR_PAGE_AUG  (1U << 1) /* added by TDH.MEM.PAGE.AUG after the build, not ADD */

#define TDVF_MAX_SECTIONS 32

struct tdvf_section {
	uint32_t data_offset; /* in the whole firmware image */
	uint32_t raw_size;
	uint64_t address; /* GPA */
	uint64_t size;
	uint32_t type;
	uint32_t attributes;
};

struct tdvf {
	uint64_t image_size; /* the whole firmware image the offsets refer to (code + variables) */
	uint64_t descriptor_offset; /* of "TDVF" in the file given */
	uint32_t version;
	unsigned int nr;
	struct tdvf_section s[TDVF_MAX_SECTIONS];
};

/*
 * Parse the metadata of a firmware file that ends at 4 GiB: the whole image (OVMF.fd) or its
 * code part alone (Debian's OVMF_CODE.fd, whose variables are a separate file placed below
 * it); out->image_size is then derived from the BFV (its address and offset). 0, or -ENOEXEC
 * with "NAME: the reason" in err.
 */
int tdvf_parse(const char *name, const uint8_t *buf, size_t len, struct tdvf *out, char *err,
	       size_t errlen);

/* A section type's name ("BFV", "CFV", "TD_HOB", "TempMem", ...), or "?". */
const char *tdvf_section_name(uint32_t type);

#endif /* VMM_TDVF_H */
