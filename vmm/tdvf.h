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

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tdxsim/tdvf.h" /* the limits */

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

#define TDVF_MAX_SECTIONS TDXSIM_TDVF_MAX_SECTIONS

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

/*
 * The TD HOB (docs/LINUX-BOOT.md "TDVF boot"): the hand-off block list the VMM writes into the
 * TD_HOB section, in the PI specification's HOB formats (each HOB starts with u16 type, u16
 * length, u32 reserved 0; lengths are multiples of 8): a PHIT HOB, one resource descriptor HOB
 * per range of the TD's RAM, the end-of-list HOB.
 */
#define TDVF_HOB_TYPE_HANDOFF		  0x0001
#define TDVF_HOB_TYPE_RESOURCE_DESCRIPTOR 0x0003
#define TDVF_HOB_TYPE_END_OF_HOB_LIST	  0xFFFF
#define TDVF_HOB_HANDOFF_LEN		  56 /* header, Version, BootMode, 5 x u64 */
#define TDVF_HOB_RESOURCE_LEN		  48 /* header, Owner GUID, type, attributes, start, length */
#define TDVF_HOB_END_LEN		  8
#define TDVF_HOB_HANDOFF_TABLE_VERSION	  0x0009
#define TDVF_BOOT_WITH_FULL_CONFIGURATION 0
#define TDVF_RESOURCE_SYSTEM_MEMORY	  0 /* EFI_RESOURCE_SYSTEM_MEMORY: accepted (added) */
#define TDVF_RESOURCE_MEMORY_UNACCEPTED	  7 /* EFI_RESOURCE_MEMORY_UNACCEPTED: TDVF accepts it */
/* PRESENT | INITIALIZED | TESTED, for both kinds, as QEMU gives TDVF. */
#define TDVF_RESOURCE_ATTRIBUTES 0x7

#define TDVF_MAX_RAM TDXSIM_TDVF_MAX_RAM

/* The TD HOB's length for nr memory ranges. */
static inline size_t tdvf_hob_len(unsigned int nr)
{
	return TDVF_HOB_HANDOFF_LEN + (size_t)nr * TDVF_HOB_RESOURCE_LEN + TDVF_HOB_END_LEN;
}

/* A range of the TD's RAM [0, memory size): added by the build (a TD_HOB or TempMem section,
 * accepted when TDVF starts) or not (unaccepted: TDVF accepts it, the VMM AUGs it then). */
struct tdvf_ram {
	uint64_t addr, size;
	bool added;
};

/*
 * Check that t's sections fit a TD of memory_size bytes (TD_HOB and TempMem inside RAM, BFV and
 * CFV above it, none overlapping; no section type or attribute this VMM does not place) and
 * list its RAM in ascending ranges. 0, or -ENOEXEC / -EINVAL with the reason.
 */
int tdvf_ram_map(const char *name, const struct tdvf *t, uint64_t memory_size,
		 struct tdvf_ram ram[TDVF_MAX_RAM], unsigned int *nr, char *err, size_t errlen);

/*
 * The TD HOB for those ranges, at GPA hob_gpa in buf (cap bytes, zeroed first): its length, or
 * -ENOSPC when it does not fit.
 */
long tdvf_hob_build(const struct tdvf_ram *ram, unsigned int nr, uint64_t hob_gpa, uint8_t *buf,
		    size_t cap);

struct vmm_image;
/*
 * The TD image of a TDVF firmware (fw: the whole image, or its code part with vars the variable
 * store before it): each section's pages in the descriptor's order, BFV and CFV from the image,
 * the TD HOB written, TempMem zeros; no_mr_extend where the section lacks MR.EXTEND. The parsed
 * metadata in *t, the RAM map in ram and *nr. 0, or a negative errno with the reason.
 */
int tdvf_image_build(const char *name, const uint8_t *fw, size_t fw_len, const uint8_t *vars,
		     size_t vars_len, uint64_t memory_size, struct vmm_image *img, struct tdvf *t,
		     struct tdvf_ram ram[TDVF_MAX_RAM], unsigned int *nr, char *err, size_t errlen);

#endif /* VMM_TDVF_H */
