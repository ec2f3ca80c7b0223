/* SPDX-License-Identifier: MIT */
/*
 * tdxsim/boot.h - the tdxsim boot protocol: what a guest, the VMM and the machine agree on
 * beyond TDX's own ABI. Every part takes these from here, so a guest built with the SDK and
 * the VMM that runs it cannot disagree (docs/GUEST.md, docs/VMM.md).
 *
 * Freestanding: constants only, no includes, usable by the guest SDK and by host code.
 */
#ifndef TDXSIM_BOOT_H
#define TDXSIM_BOOT_H

/* 64-bit constants that assembly (vmm/reset.S) can use too: no ULL suffix there. */
#ifdef __ASSEMBLER__
#define TDXSIM_U64(x) x
#else
#define TDXSIM_U64(x) x##ULL
#endif

/*
 * The TD window: a TD's address space is a window of the host's, private GPA g at
 * base + g and shared GPA g at base + W + g, W = 2^TDXSIM_WINDOW_GPA_BITS. The base is
 * 2W-aligned, so guest code finds it by rounding its own RIP down (docs/ARCHITECTURE.md).
 */
#define TDXSIM_WINDOW_GPA_BITS 36
#define TDXSIM_WINDOW_SIZE     (TDXSIM_U64(1) << TDXSIM_WINDOW_GPA_BITS)

/*
 * On the system backend (docs/SYSTEM.md) guest code runs at CPL0 on page tables of its own.
 * The reset page's 32-bit path builds tables that put the same window at this linear base
 * (2W-aligned, canonical, 512 GiB-aligned: one PML4 entry), so an SDK guest sees the layout
 * it sees natively: private GPA g at base + g, shared GPA g at base + W + g.
 */
#define TDXSIM_SYSTEM_WINDOW_BASE TDXSIM_U64(0x0000200000000000)

/*
 * The reset page (the reset vector 0xFFFFFFF0 is its offset 0xFF0) and, below it, the three
 * page-table pages its 32-bit path fills on the system backend: the PML4, the window's PDPT
 * (1 GiB pages) and a PDPT that maps the reset page's own gigabyte 1:1 (docs/VMM.md "Image
 * layout"). The VMM adds all four with PAGE.ADD and measures them, on both backends.
 */
#define TDXSIM_RESET_PAGE_GPA  0xFFFFF000
#define TDXSIM_RESET_PML4_GPA  0xFFFFC000
#define TDXSIM_RESET_PDPT_GPA  0xFFFFD000 /* linear TDXSIM_SYSTEM_WINDOW_BASE + [0, 2W) */
#define TDXSIM_RESET_IDMAP_GPA 0xFFFFE000 /* linear [3 GiB, 4 GiB) = GPA [3 GiB, 4 GiB) */
#define TDXSIM_RESET_TABLES    3	  /* pages from TDXSIM_RESET_PML4_GPA */
/* The reset page's GDT: 64-bit code and data, what an SDK guest also loads at CPL0. */
#define TDXSIM_SYSTEM_CODE_SEL 0x08
#define TDXSIM_SYSTEM_DATA_SEL 0x10

/*
 * Boot registers, numbered in x86 encoding order (RAX = 0, RCX = 1, ..., R15 = 15), as the
 * SDK's crt saves them. TDX gives the first instruction RBX = GPAW, RSI = the vCPU index and
 * RCX = TDH.VP.INIT's RDX; tdxsim adds the gate in R9 (0 when the machine has none: then
 * TDCALL is the instruction) and puts the boot options below in that RCX.
 */
#define TDXSIM_BOOT_REG_OPTS 1 /* RCX */
#define TDXSIM_BOOT_REG_GATE 9 /* R9 */

/*
 * Boot options: TDXSIM_BOOT_OPTS_MAGIC in bits 63:32, flags in bits 31:0. Without the magic
 * (another VMM, a hand-built TD) a guest keeps its defaults: port I/O and MMIO through #VE.
 */
#define TDXSIM_BOOT_OPTS_MAGIC	      0x54445853U /* "SXDT": "TDXS" little-endian */
#define TDXSIM_BOOT_OPTS_MAGIC_SHIFT  32
#define TDXSIM_BOOT_OPT_IO_TDVMCALL   (1U << 0) /* port I/O by direct TDVMCALL, not #VE */
#define TDXSIM_BOOT_OPT_MMIO_TDVMCALL (1U << 1) /* MMIO by direct TDVMCALL, not #VE */
/* The RCX value for flags (TDXSIM_BOOT_OPT_*), and whether an RCX value carries options. */
#define TDXSIM_BOOT_OPTS(flags)                                                                    \
	((unsigned long long)TDXSIM_BOOT_OPTS_MAGIC << TDXSIM_BOOT_OPTS_MAGIC_SHIFT |              \
	 ((flags)&0xFFFFFFFFULL))
#define TDXSIM_BOOT_OPTS_VALID(rcx)                                                                \
	((rcx) >> TDXSIM_BOOT_OPTS_MAGIC_SHIFT == TDXSIM_BOOT_OPTS_MAGIC)

/*
 * The end of a run: a 32-bit write of the exit status to TDXSIM_EXIT_PORT, then the ACPI
 * power-off, a 16-bit write of SLP_EN with SLP_TYP 0 to the PM1a control port (QEMU's
 * encoding).
 */
#define TDXSIM_EXIT_PORT	 0xF4
#define TDXSIM_PM1A_CNT_PORT	 0x604
#define TDXSIM_PM1A_SLP_EN	 0x2000 /* bit 13 */
#define TDXSIM_PM1A_SLP_TYP_MASK 0x1C00 /* bits 12:10 */

/* The serial console: COM1, whose receive interrupt the VMM posts to vCPU 0 as this vector
 * (legacy IRQ 4 as a PC's PIC maps it). */
#define TDXSIM_COM1_PORT       0x3F8
#define TDXSIM_COM1_IRQ_VECTOR 0x24

#endif /* TDXSIM_BOOT_H */
