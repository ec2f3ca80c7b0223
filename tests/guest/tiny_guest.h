/* SPDX-License-Identifier: MIT */
/* Scenarios of tiny_guest.c, chosen by the host through the boot register R12. */
#ifndef TDXSIM_TESTS_TINY_GUEST_H
#define TDXSIM_TESTS_TINY_GUEST_H

enum tiny_scenario {
	TINY_IO_DIRECT = 1, /* port I/O by direct TDVMCALL */
	TINY_IO_NATIVE,	    /* port I/O as native instructions (#VE or plain exits) */
	TINY_RELOC,	    /* relocated pointer tables and .bss; exit status 42 */
	TINY_PRINTF,	    /* tdx_printf over the direct path */
	TINY_MMIO_DIRECT,   /* readX/writeX by #VE.RequestMMIO */
	TINY_MMIO_VE,	    /* readX/writeX touching memory (#VE) */
	TINY_VE_MISC,	 /* HLT, RDMSR, WRMSR, CPUID (hypervisor and other), REP OUTSB under #VE */
	TINY_FORCE_INSN, /* direct I/O with tdx_force_tdcall_insn */
	TINY_MMIO_PRIVATE, /* MMIO #VE on a private GPA: fatal */
	TINY_EARLY_VE,	   /* early #VE handler: port I/O works, HLT is fatal */
};

#define TINY_PORT     0x80
#define TINY_MMIO_GPA 0x5000ULL

#endif
