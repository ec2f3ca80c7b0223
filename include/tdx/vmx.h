/* SPDX-License-Identifier: MIT */
/*
 * tdx/vmx.h - VMX exit reasons (as reported by TD exits, TDG.VP.VEINFO.GET
 * and used as GHCI sub-functions), x86 exception vectors, the #VE
 * information area, and exit-qualification helpers.
 *
 * Sources: [M] = intel/tdx-module TDX_1.5.01 src/common/x86_defs/vmcs_defs.h,
 * src/common/data_structures/tdx_tdvps.h; [L] = Linux
 * arch/x86/include/uapi/asm/vmx.h, asm/trapnr.h, arch/x86/coco/tdx/tdx.c;
 * [SDM] = Intel SDM vol. 3 (exit qualification formats).
 */
#ifndef TDX_VMX_H
#define TDX_VMX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Basic exit reasons. Names as in Linux's uapi vmx.h where Linux has one;
 * the values match [M VMEXIT_REASON_*]. Names marked "ours" exist only in
 * the module/SDM.
 */
#define EXIT_REASON_EXCEPTION_NMI	0
#define EXIT_REASON_EXTERNAL_INTERRUPT	1
#define EXIT_REASON_TRIPLE_FAULT	2
#define EXIT_REASON_INIT_SIGNAL		3
#define EXIT_REASON_SIPI_SIGNAL		4
#define EXIT_REASON_INTERRUPT_WINDOW	7
#define EXIT_REASON_NMI_WINDOW		8
#define EXIT_REASON_TASK_SWITCH		9
#define EXIT_REASON_CPUID		10
#define EXIT_REASON_GETSEC		11 /* ours */
#define EXIT_REASON_HLT			12
#define EXIT_REASON_INVD		13
#define EXIT_REASON_INVLPG		14
#define EXIT_REASON_RDPMC		15
#define EXIT_REASON_RDTSC		16
#define EXIT_REASON_RSM			17 /* ours */
#define EXIT_REASON_VMCALL		18
#define EXIT_REASON_VMCLEAR		19
#define EXIT_REASON_VMLAUNCH		20
#define EXIT_REASON_VMPTRLD		21
#define EXIT_REASON_VMPTRST		22
#define EXIT_REASON_VMREAD		23
#define EXIT_REASON_VMRESUME		24
#define EXIT_REASON_VMWRITE		25
#define EXIT_REASON_VMOFF		26
#define EXIT_REASON_VMON		27
#define EXIT_REASON_CR_ACCESS		28
#define EXIT_REASON_DR_ACCESS		29
#define EXIT_REASON_IO_INSTRUCTION	30
#define EXIT_REASON_MSR_READ		31
#define EXIT_REASON_MSR_WRITE		32
#define EXIT_REASON_INVALID_STATE	33
#define EXIT_REASON_MSR_LOAD_FAIL	34
#define EXIT_REASON_MWAIT_INSTRUCTION	36
#define EXIT_REASON_MONITOR_TRAP_FLAG	37
#define EXIT_REASON_MONITOR_INSTRUCTION 39
#define EXIT_REASON_PAUSE_INSTRUCTION	40
#define EXIT_REASON_MCE_DURING_VMENTRY	41
#define EXIT_REASON_TPR_BELOW_THRESHOLD 43
#define EXIT_REASON_APIC_ACCESS		44
#define EXIT_REASON_EOI_INDUCED		45
#define EXIT_REASON_GDTR_IDTR		46
#define EXIT_REASON_LDTR_TR		47
#define EXIT_REASON_EPT_VIOLATION	48
#define EXIT_REASON_EPT_MISCONFIG	49
#define EXIT_REASON_INVEPT		50
#define EXIT_REASON_RDTSCP		51
#define EXIT_REASON_PREEMPTION_TIMER	52
#define EXIT_REASON_INVVPID		53
#define EXIT_REASON_WBINVD		54
#define EXIT_REASON_XSETBV		55
#define EXIT_REASON_APIC_WRITE		56
#define EXIT_REASON_RDRAND		57
#define EXIT_REASON_INVPCID		58
#define EXIT_REASON_VMFUNC		59
#define EXIT_REASON_ENCLS		60
#define EXIT_REASON_RDSEED		61
#define EXIT_REASON_PML_FULL		62
#define EXIT_REASON_XSAVES		63
#define EXIT_REASON_XRSTORS		64
#define EXIT_REASON_PCONFIG		65 /* ours */
#define EXIT_REASON_UMWAIT		67
#define EXIT_REASON_TPAUSE		68
#define EXIT_REASON_LOADIWKEY		69 /* ours */
#define EXIT_REASON_ENCLV		70 /* ours */
#define EXIT_REASON_ENQCMD_PASID_FAIL	72 /* ours */
#define EXIT_REASON_ENQCMDS_PASID_FAIL	73 /* ours */
#define EXIT_REASON_BUS_LOCK		74
#define EXIT_REASON_NOTIFY		75
#define EXIT_REASON_SEAMCALL		76 /* ours */
#define EXIT_REASON_TDCALL		77

/* The basic exit reason is bits 15:0 of the 32-bit exit reason [SDM]. */
#define EXIT_REASON_BASIC_MASK	   0xFFFFU
#define EXIT_REASON_FAILED_VMENTRY 0x80000000U

/*
 * VM-exit interruption information, and the VM-entry interruption information of an injected
 * event, which has the same layout [SDM vol. 3C 25.8.3, 25.9.2]: bits 7:0 the vector, 10:8
 * the type, bit 11 an error code is delivered, bit 31 valid. A TD exit reports it in R9.
 */
#define INTR_INFO_VECTOR_MASK	      0xFFU
#define INTR_INFO_TYPE_MASK	      (7U << 8)
#define INTR_TYPE_EXT_INTR	      (0U << 8) /* external interrupt */
#define INTR_TYPE_NMI		      (2U << 8)
#define INTR_TYPE_HARD_EXCEPTION      (3U << 8) /* an exception the CPU raised */
#define INTR_TYPE_SOFT_INTR	      (4U << 8) /* INT n */
#define INTR_TYPE_PRIV_SOFT_EXCEPTION (5U << 8) /* INT1 */
#define INTR_TYPE_SOFT_EXCEPTION      (6U << 8) /* INT3, INTO */
#define INTR_INFO_ERROR_VALID	      (1U << 11)
#define INTR_INFO_VALID		      (1U << 31)

/* Exception vectors [L asm/trapnr.h]. #VE is 20. */
#define X86_TRAP_DE	  0  /* divide error */
#define X86_TRAP_DB	  1  /* debug */
#define X86_TRAP_NMI	  2  /* non-maskable interrupt */
#define X86_TRAP_BP	  3  /* breakpoint (INT3) */
#define X86_TRAP_OF	  4  /* overflow */
#define X86_TRAP_BR	  5  /* bound range exceeded */
#define X86_TRAP_UD	  6  /* invalid opcode */
#define X86_TRAP_NM	  7  /* device not available */
#define X86_TRAP_DF	  8  /* double fault */
#define X86_TRAP_OLD_MF	  9  /* coprocessor segment overrun */
#define X86_TRAP_TS	  10 /* invalid TSS */
#define X86_TRAP_NP	  11 /* segment not present */
#define X86_TRAP_SS	  12 /* stack-segment fault */
#define X86_TRAP_GP	  13 /* general protection */
#define X86_TRAP_PF	  14 /* page fault */
#define X86_TRAP_SPURIOUS 15
#define X86_TRAP_MF	  16 /* x87 floating point */
#define X86_TRAP_AC	  17 /* alignment check */
#define X86_TRAP_MC	  18 /* machine check */
#define X86_TRAP_XF	  19 /* SIMD floating point */
#define X86_TRAP_VE	  20 /* virtualization exception */
#define X86_TRAP_CP	  21 /* control protection */
#define X86_TRAP_VC	  29 /* VMM communication (SEV-ES; never under TDX) */

/*
 * Names of the 32 exception vectors [SDM vol. 3 table 6-1], for messages: the mnemonic
 * ("#PF"), what it is ("page fault"), and whether the CPU pushes an error code. Reserved
 * vectors have the mnemonic NULL and the name "reserved".
 */
struct x86_exception_desc {
	const char *mnemonic, *name;
	bool error_code;
};

static inline const struct x86_exception_desc *x86_exception(unsigned int vector)
{
	static const struct x86_exception_desc desc[32] = {
		{"#DE", "divide error", false},
		{"#DB", "debug", false},
		{"NMI", "non-maskable interrupt", false},
		{"#BP", "breakpoint", false},
		{"#OF", "overflow", false},
		{"#BR", "BOUND range exceeded", false},
		{"#UD", "invalid opcode", false},
		{"#NM", "device not available", false},
		{"#DF", "double fault", true},
		{"#CSO", "coprocessor segment overrun", false},
		{"#TS", "invalid TSS", true},
		{"#NP", "segment not present", true},
		{"#SS", "stack-segment fault", true},
		{"#GP", "general protection", true},
		{"#PF", "page fault", true},
		{NULL, "reserved", false},
		{"#MF", "x87 floating-point error", false},
		{"#AC", "alignment check", true},
		{"#MC", "machine check", false},
		{"#XM", "SIMD floating-point exception", false},
		{"#VE", "virtualization exception", false},
		{"#CP", "control protection", true},
		{NULL, "reserved", false},
		{NULL, "reserved", false},
		{NULL, "reserved", false},
		{NULL, "reserved", false},
		{NULL, "reserved", false},
		{NULL, "reserved", false},
		{"#HV", "hypervisor injection", false},
		{"#VC", "VMM communication", true},
		{"#SX", "security exception", true},
		{NULL, "reserved", false},
	};

	return vector < 32 ? &desc[vector] : NULL;
}

/* #PF error code bits [SDM vol. 3 4.7]. */
#define X86_PF_PROT  (1U << 0)	/* 0: not present, 1: protection violation */
#define X86_PF_WRITE (1U << 1)	/* write (else read) */
#define X86_PF_USER  (1U << 2)	/* user mode (CPL3) */
#define X86_PF_RSVD  (1U << 3)	/* a reserved bit set in a paging entry */
#define X86_PF_INSTR (1U << 4)	/* instruction fetch */
#define X86_PF_PK    (1U << 5)	/* protection key */
#define X86_PF_SHSTK (1U << 6)	/* shadow-stack access */
#define X86_PF_SGX   (1U << 15) /* SGX access control */

/* Selector error code (#TS, #NP, #SS, #GP, #DF...) [SDM vol. 3 6.13]. */
#define X86_SEL_EXT 0x1U /* an event external to the program */
#define X86_SEL_IDT 0x2U /* the index is of an IDT gate */
#define X86_SEL_TI  0x4U /* (IDT clear) the index is of the LDT, else the GDT */

/*
 * #VE information area: the module keeps one per vCPU in the TDVPS, in
 * the CPU's own #VE-info layout, plus the TDX instruction length/info
 * words [M tdx_tdvps.h; ABI §5]. 128 bytes. A guest does not read it
 * directly: TDG.VP.VEINFO.GET returns exit_reason in RCX,
 * exit_qualification in RDX, gla in R8, gpa in R9, and
 * instruction_length | instruction_info << 32 in R10, and clears valid.
 */
#define VE_INFO_VALID 0xFFFFFFFFU
#define VE_INFO_FREE  0U
#define VE_INFO_SIZE  128

struct ve_info {
	uint32_t exit_reason;
	uint32_t valid;
	uint64_t exit_qualification;
	uint64_t gla;
	uint64_t gpa;
	uint16_t eptp_index;
	uint8_t reserved0[2];
	uint32_t instruction_length;
	uint32_t instruction_info;
	uint8_t reserved1[84];
} __attribute__((packed, aligned(8)));

_Static_assert(sizeof(struct ve_info) == VE_INFO_SIZE, "ve_info size");
_Static_assert(offsetof(struct ve_info, exit_reason) == 0, "ve_info.exit_reason");
_Static_assert(offsetof(struct ve_info, valid) == 4, "ve_info.valid");
_Static_assert(offsetof(struct ve_info, exit_qualification) == 8, "ve_info.exit_qualification");
_Static_assert(offsetof(struct ve_info, gla) == 16, "ve_info.gla");
_Static_assert(offsetof(struct ve_info, gpa) == 24, "ve_info.gpa");
_Static_assert(offsetof(struct ve_info, eptp_index) == 32, "ve_info.eptp_index");
_Static_assert(offsetof(struct ve_info, instruction_length) == 36, "ve_info.instruction_length");
_Static_assert(offsetof(struct ve_info, instruction_info) == 40, "ve_info.instruction_info");

/*
 * Exit qualification of an I/O instruction [SDM; L coco/tdx VE_GET_IO_SIZE
 * etc.]: bits 2:0 size - 1, bit 3 direction (1 = IN), bit 4 string
 * (INS/OUTS), bit 5 REP prefix, bit 6 operand encoding (1 = immediate
 * port), bits 31:16 port number.
 */
#define EXIT_QUAL_IO_SIZE_MASK	0x7ULL
#define EXIT_QUAL_IO_IN		(1ULL << 3)
#define EXIT_QUAL_IO_STRING	(1ULL << 4)
#define EXIT_QUAL_IO_REP	(1ULL << 5)
#define EXIT_QUAL_IO_IMM	(1ULL << 6)
#define EXIT_QUAL_IO_PORT_SHIFT 16
#define EXIT_QUAL_IO_PORT_MASK	(0xFFFFULL << EXIT_QUAL_IO_PORT_SHIFT)

/* Access size in bytes: 1, 2 or 4. */
static inline unsigned int tdx_io_qual_size(uint64_t qual)
{
	return (unsigned int)(qual & EXIT_QUAL_IO_SIZE_MASK) + 1;
}

static inline bool tdx_io_qual_is_in(uint64_t qual)
{
	return (qual & EXIT_QUAL_IO_IN) != 0;
}

static inline bool tdx_io_qual_is_string(uint64_t qual)
{
	return (qual & EXIT_QUAL_IO_STRING) != 0;
}

static inline bool tdx_io_qual_is_rep(uint64_t qual)
{
	return (qual & EXIT_QUAL_IO_REP) != 0;
}

static inline bool tdx_io_qual_is_imm(uint64_t qual)
{
	return (qual & EXIT_QUAL_IO_IMM) != 0;
}

static inline uint16_t tdx_io_qual_port(uint64_t qual)
{
	return (uint16_t)((qual & EXIT_QUAL_IO_PORT_MASK) >> EXIT_QUAL_IO_PORT_SHIFT);
}

/* Build an I/O exit qualification (size 1, 2 or 4 bytes). */
static inline uint64_t tdx_io_qual_make(unsigned int size, bool in, bool string, bool rep, bool imm,
					uint16_t port)
{
	return ((uint64_t)(size - 1) & EXIT_QUAL_IO_SIZE_MASK) | (in ? EXIT_QUAL_IO_IN : 0) |
	       (string ? EXIT_QUAL_IO_STRING : 0) | (rep ? EXIT_QUAL_IO_REP : 0) |
	       (imm ? EXIT_QUAL_IO_IMM : 0) | ((uint64_t)port << EXIT_QUAL_IO_PORT_SHIFT);
}

/*
 * Exit qualification of an EPT violation [SDM]: the kind of access and
 * whether the GLA field is valid.
 */
#define EXIT_QUAL_EPT_READ	 (1ULL << 0)
#define EXIT_QUAL_EPT_WRITE	 (1ULL << 1)
#define EXIT_QUAL_EPT_FETCH	 (1ULL << 2)
#define EXIT_QUAL_EPT_READABLE	 (1ULL << 3)
#define EXIT_QUAL_EPT_WRITABLE	 (1ULL << 4)
#define EXIT_QUAL_EPT_EXECUTABLE (1ULL << 5)
#define EXIT_QUAL_EPT_GLA_VALID	 (1ULL << 7)
#define EXIT_QUAL_EPT_GLA_XLAT	 (1ULL << 8)

/*
 * Extended exit qualification: RDX of a TD exit that the module reports with one [M
 * vmcs_defs.h vmx_ext_exit_qual_t, vmx_eeq_type_t; L arch/x86/kvm/vmx/tdx_arch.h
 * TDX_EXT_EXIT_QUAL_*]. Bits 3:0 the type, bits 63:32 type-specific information.
 */
#define TDX_EXT_EXIT_QUAL_TYPE_MASK		     0xFULL
#define TDX_EXT_EXIT_QUAL_TYPE_NONE		     0
#define TDX_EXT_EXIT_QUAL_TYPE_ACCEPT		     1 /* EPT violation of TDG.MEM.PAGE.ACCEPT */
#define TDX_EXT_EXIT_QUAL_TYPE_GPA_DETAILS	     2
#define TDX_EXT_EXIT_QUAL_TYPE_PENDING_EPT_VIOLATION 6
#define TDX_EXT_EXIT_QUAL_INFO_SHIFT		     32
#define TDX_EXT_EXIT_QUAL_INFO_MASK		     (0xFFFFFFFFULL << TDX_EXT_EXIT_QUAL_INFO_SHIFT)

/*
 * The information of type ACCEPT [M tdx_api_defs.h tdaccept_vmx_eeq_info_t]: bits 2:0 the
 * level the guest asked to accept (0 = 4K, 1 = 2M), bits 5:3 the Secure EPT level where the
 * walk stopped, bits 13:6 the architectural state of that entry (as TDH.MEM.SEPT.RD reports
 * it), bit 14 whether it is a leaf. KVM reads the requested level to map the GPA at it [L
 * KVM TDX huge-page series, tdx_check_accept_level: (info & GENMASK(2, 0)) + 1 as a PG_LEVEL].
 */
#define TDX_EEQ_ACCEPT_REQ_LEVEL_MASK  0x7ULL
#define TDX_EEQ_ACCEPT_ERR_LEVEL_SHIFT 3
#define TDX_EEQ_ACCEPT_ERR_STATE_SHIFT 6
#define TDX_EEQ_ACCEPT_ERR_IS_LEAF     (1ULL << 14)

/* The extended exit qualification of an ACCEPT's EPT violation, as the module builds it. */
static inline uint64_t tdx_eeq_accept(unsigned int req_level, unsigned int err_level,
				      unsigned int err_state, bool is_leaf)
{
	uint64_t info = (req_level & TDX_EEQ_ACCEPT_REQ_LEVEL_MASK) |
			(uint64_t)(err_level & 0x7) << TDX_EEQ_ACCEPT_ERR_LEVEL_SHIFT |
			(uint64_t)(err_state & 0xFF) << TDX_EEQ_ACCEPT_ERR_STATE_SHIFT |
			(is_leaf ? TDX_EEQ_ACCEPT_ERR_IS_LEAF : 0);

	return TDX_EXT_EXIT_QUAL_TYPE_ACCEPT | info << TDX_EXT_EXIT_QUAL_INFO_SHIFT;
}

/* The level an ACCEPT asked for (0 = 4K, 1 = 2M), or -1 when @eeq is not of type ACCEPT. */
static inline int tdx_eeq_accept_level(uint64_t eeq)
{
	if ((eeq & TDX_EXT_EXIT_QUAL_TYPE_MASK) != TDX_EXT_EXIT_QUAL_TYPE_ACCEPT)
		return -1;
	return (int)((eeq >> TDX_EXT_EXIT_QUAL_INFO_SHIFT) & TDX_EEQ_ACCEPT_REQ_LEVEL_MASK);
}

#endif /* TDX_VMX_H */
