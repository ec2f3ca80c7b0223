/* SPDX-License-Identifier: MIT */
/*
 * Hand-built bzImages for the linux suite's tests (test_linux_td.c, test_linux_paths.c):
 * little-endian stores and the setup header of a protocol 2.15 kernel with one setup sector,
 * its protected-mode part at file offset 1024, loaded at 0x1000000 with its 64-bit entry
 * 0x200 into it (docs/LINUX-BOOT.md "The setup header").
 */
#ifndef TDXSIM_TESTS_LINUX_BZIMAGE_H
#define TDXSIM_TESTS_LINUX_BZIMAGE_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define BZ_KERNEL_OFFSET 1024	      /* (setup_sects + 1) * 512 */
#define BZ_KERNEL_GPA	 0x1000000ULL /* pref_address */
#define BZ_ENTRY_GPA	 (BZ_KERNEL_GPA + 0x200)

static inline void bz_w16(uint8_t *p, size_t off, uint16_t v)
{
	memcpy(p + off, &v, 2);
}

static inline void bz_w32(uint8_t *p, size_t off, uint32_t v)
{
	memcpy(p + off, &v, 4);
}

/* The setup header into bz (at least 1024 bytes, zeroed): init_size 2 MiB. */
static inline void bz_header(uint8_t *bz)
{
	uint64_t pref = BZ_KERNEL_GPA;

	bz[0x1F1] = 1;
	bz_w16(bz, 0x1FE, 0xAA55);
	bz[0x200] = 0xEB;
	bz[0x201] = 0x6A;
	memcpy(bz + 0x202, "HdrS", 4);
	bz_w16(bz, 0x206, 0x020F);
	bz[0x211] = 0x01;
	bz_w32(bz, 0x22C, 0x7FFFFFFF);
	bz_w32(bz, 0x230, 0x200000);
	bz[0x234] = 1;
	bz_w16(bz, 0x236, 0x7F);
	bz_w32(bz, 0x238, 2047);
	memcpy(bz + 0x258, &pref, 8);
	bz_w32(bz, 0x260, 0x200000);
}

#endif
