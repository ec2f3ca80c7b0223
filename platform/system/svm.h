/* SPDX-License-Identifier: MIT */
/*
 * AMD SVM facts the system backend relies on, from AMD's APM vol. 2 (ch. 15 and appendix B,
 * "Layout of VMCB"; exit codes in appendix C), in our own words: the VMCB offsets of the
 * fields we use, the intercept bits, the exit codes, and the EVENTINJ layout.
 * docs/SYSTEM.md explains how they are used.
 */
#ifndef TDXSIM_PLATFORM_SYSTEM_SVM_H
#define TDXSIM_PLATFORM_SYSTEM_SVM_H

#include <stdint.h>
#include <string.h>

/* Control area (offsets from the VMCB's start). */
#define VMCB_INTERCEPT_CR    0x000 /* 15:0 reads, 31:16 writes of CR0-15 */
#define VMCB_INTERCEPT_DR    0x004
#define VMCB_INTERCEPT_EXC   0x008 /* bit n: exception vector n */
#define VMCB_INTERCEPT_MISC1 0x00C
#define VMCB_INTERCEPT_MISC2 0x010
#define VMCB_IOPM_BASE	     0x040
#define VMCB_MSRPM_BASE	     0x048
#define VMCB_TSC_OFFSET	     0x050
#define VMCB_ASID	     0x058
#define VMCB_TLB_CONTROL     0x05C
#define VMCB_INT_CTL	     0x060 /* V_TPR 7:0, V_IRQ 8, V_INTR_PRIO 19:16, V_INTR_MASKING 24 */
/* INT_CTL: a virtual interrupt pending (V_IRQ), its priority, and "ignore the V_TPR". */
#define VMCB_V_IRQ	    (1U << 8)
#define VMCB_V_INTR_PRIO(p) ((uint32_t)(p) << 16)
#define VMCB_V_IGN_TPR	    (1U << 20)
#define VMCB_INT_VECTOR	    0x064
#define VMCB_INT_STATE	    0x068 /* bit 0: the guest is in an interrupt shadow */
#define VMCB_EXITCODE	    0x070
#define VMCB_EXITINFO1	    0x078
#define VMCB_EXITINFO2	    0x080
#define VMCB_EXITINTINFO    0x088
#define VMCB_NP_ENABLE	    0x090
#define VMCB_EVENTINJ	    0x0A8
#define VMCB_N_CR3	    0x0B0
#define VMCB_CLEAN	    0x0C0
#define VMCB_NEXT_RIP	    0x0C8 /* not saved by QEMU 7.2's SVM: the backend decodes */

/* State-save area: segments are {u16 selector, u16 attrib, u32 limit, u64 base}. */
#define VMCB_SAVE	    0x400
#define VMCB_ES		    (VMCB_SAVE + 0x000)
#define VMCB_CS		    (VMCB_SAVE + 0x010)
#define VMCB_SS		    (VMCB_SAVE + 0x020)
#define VMCB_DS		    (VMCB_SAVE + 0x030)
#define VMCB_FS		    (VMCB_SAVE + 0x040)
#define VMCB_GS		    (VMCB_SAVE + 0x050)
#define VMCB_GDTR	    (VMCB_SAVE + 0x060)
#define VMCB_LDTR	    (VMCB_SAVE + 0x070)
#define VMCB_IDTR	    (VMCB_SAVE + 0x080)
#define VMCB_TR		    (VMCB_SAVE + 0x090)
#define VMCB_CPL	    (VMCB_SAVE + 0x0CB)
#define VMCB_EFER	    (VMCB_SAVE + 0x0D0)
#define VMCB_CR4	    (VMCB_SAVE + 0x148)
#define VMCB_CR3	    (VMCB_SAVE + 0x150)
#define VMCB_CR0	    (VMCB_SAVE + 0x158)
#define VMCB_DR7	    (VMCB_SAVE + 0x160)
#define VMCB_DR6	    (VMCB_SAVE + 0x168)
#define VMCB_RFLAGS	    (VMCB_SAVE + 0x170)
#define VMCB_RIP	    (VMCB_SAVE + 0x178)
#define VMCB_RSP	    (VMCB_SAVE + 0x1D8)
#define VMCB_RAX	    (VMCB_SAVE + 0x1F8)
#define VMCB_STAR	    (VMCB_SAVE + 0x200)
#define VMCB_LSTAR	    (VMCB_SAVE + 0x208)
#define VMCB_CSTAR	    (VMCB_SAVE + 0x210)
#define VMCB_SFMASK	    (VMCB_SAVE + 0x218)
#define VMCB_KERNEL_GS_BASE (VMCB_SAVE + 0x220)
#define VMCB_CR2	    (VMCB_SAVE + 0x240)
#define VMCB_G_PAT	    (VMCB_SAVE + 0x268)

/* VMCB_INTERCEPT_MISC1 */
#define SVM_INTERCEPT_INTR	  (1U << 0)
#define SVM_INTERCEPT_NMI	  (1U << 1)
#define SVM_INTERCEPT_SMI	  (1U << 2)
#define SVM_INTERCEPT_INIT	  (1U << 3)
#define SVM_INTERCEPT_VINTR	  (1U << 4)
#define SVM_INTERCEPT_RDPMC	  (1U << 15)
#define SVM_INTERCEPT_CPUID	  (1U << 18)
#define SVM_INTERCEPT_RSM	  (1U << 19)
#define SVM_INTERCEPT_INVD	  (1U << 22)
#define SVM_INTERCEPT_PAUSE	  (1U << 23)
#define SVM_INTERCEPT_HLT	  (1U << 24)
#define SVM_INTERCEPT_INVLPGA	  (1U << 26)
#define SVM_INTERCEPT_IOIO_PROT	  (1U << 27)
#define SVM_INTERCEPT_MSR_PROT	  (1U << 28)
#define SVM_INTERCEPT_TASK_SWITCH (1U << 29)
#define SVM_INTERCEPT_SHUTDOWN	  (1U << 31)
/* VMCB_INTERCEPT_MISC2 */
#define SVM_INTERCEPT_VMRUN   (1U << 0) /* VMRUN fails without it */
#define SVM_INTERCEPT_VMMCALL (1U << 1)
#define SVM_INTERCEPT_VMLOAD  (1U << 2)
#define SVM_INTERCEPT_VMSAVE  (1U << 3)
#define SVM_INTERCEPT_STGI    (1U << 4)
#define SVM_INTERCEPT_CLGI    (1U << 5)
#define SVM_INTERCEPT_SKINIT  (1U << 6)
#define SVM_INTERCEPT_RDTSCP  (1U << 7)
#define SVM_INTERCEPT_ICEBP   (1U << 8)
#define SVM_INTERCEPT_WBINVD  (1U << 9)
#define SVM_INTERCEPT_MONITOR (1U << 10)
#define SVM_INTERCEPT_MWAIT   (1U << 11)
#define SVM_INTERCEPT_XSETBV  (1U << 13)

/* Exit codes. */
#define SVM_EXIT_READ_CR0    0x000 /* + n, through 0x00F */
#define SVM_EXIT_WRITE_CR0   0x010 /* + n, through 0x01F */
#define SVM_EXIT_READ_DR0    0x020
#define SVM_EXIT_WRITE_DR0   0x030
#define SVM_EXIT_EXCP_BASE   0x040 /* + vector, through 0x05F */
#define SVM_EXIT_INTR	     0x060
#define SVM_EXIT_NMI	     0x061
#define SVM_EXIT_SMI	     0x062
#define SVM_EXIT_INIT	     0x063
#define SVM_EXIT_VINTR	     0x064
#define SVM_EXIT_RDTSC	     0x06E
#define SVM_EXIT_RDPMC	     0x06F
#define SVM_EXIT_CPUID	     0x072
#define SVM_EXIT_IRET	     0x074
#define SVM_EXIT_INVD	     0x076
#define SVM_EXIT_PAUSE	     0x077
#define SVM_EXIT_HLT	     0x078
#define SVM_EXIT_INVLPG	     0x079
#define SVM_EXIT_IOIO	     0x07B
#define SVM_EXIT_MSR	     0x07C
#define SVM_EXIT_TASK_SWITCH 0x07D
#define SVM_EXIT_SHUTDOWN    0x07F
#define SVM_EXIT_VMRUN	     0x080
#define SVM_EXIT_VMMCALL     0x081
#define SVM_EXIT_VMLOAD	     0x082
#define SVM_EXIT_VMSAVE	     0x083
#define SVM_EXIT_STGI	     0x084
#define SVM_EXIT_CLGI	     0x085
#define SVM_EXIT_SKINIT	     0x086
#define SVM_EXIT_RDTSCP	     0x087
#define SVM_EXIT_ICEBP	     0x088
#define SVM_EXIT_WBINVD	     0x089
#define SVM_EXIT_MONITOR     0x08A
#define SVM_EXIT_MWAIT	     0x08B
#define SVM_EXIT_MWAIT_COND  0x08C
#define SVM_EXIT_XSETBV	     0x08D
#define SVM_EXIT_NPF	     0x400
#define SVM_EXIT_INVALID     0xFFFFFFFFFFFFFFFFULL /* VMRUN refused the guest state */

/* IOIO EXITINFO1: bit 0 IN, 2 string, 3 REP, 6:4 size (1/2/4 bytes), 31:16 the port. */
#define SVM_IOIO_TYPE_IN (1U << 0)
#define SVM_IOIO_STR	 (1U << 2)
#define SVM_IOIO_REP	 (1U << 3)
#define SVM_IOIO_SZ8	 (1U << 4)
#define SVM_IOIO_SZ16	 (1U << 5)
#define SVM_IOIO_SZ32	 (1U << 6)
/* NPF EXITINFO1: the page-fault error code bits, and where the walk failed. */
#define SVM_NPF_P	     (1ULL << 0)
#define SVM_NPF_WRITE	     (1ULL << 1)
#define SVM_NPF_USER	     (1ULL << 2)
#define SVM_NPF_RSVD	     (1ULL << 3)
#define SVM_NPF_FETCH	     (1ULL << 4)
#define SVM_NPF_FINAL_GPA    (1ULL << 32) /* translating the final guest-physical address */
#define SVM_NPF_GUEST_TABLES (1ULL << 33) /* translating a guest page-table access */

/* EVENTINJ and EXITINTINFO: 7:0 vector, 10:8 type, 11 error code valid, 31 valid, 63:32 it. */
#define SVM_EVTINJ_VALID      (1ULL << 31)
#define SVM_EVTINJ_VALID_ERR  (1ULL << 11)
#define SVM_EVTINJ_TYPE_INTR  (0ULL << 8)
#define SVM_EVTINJ_TYPE_NMI   (2ULL << 8)
#define SVM_EVTINJ_TYPE_EXEPT (3ULL << 8)
#define SVM_EVTINJ_TYPE_SOFT  (4ULL << 8)

/* Nested page table entries: the long-mode format; nested walks are user accesses, so every
 * level needs U/S (AMD APM vol. 2 ch. 15, "Nested Paging"). */
#define NPT_P	 (1ULL << 0)
#define NPT_RW	 (1ULL << 1)
#define NPT_US	 (1ULL << 2)
#define NPT_PS	 (1ULL << 7)
#define NPT_NX	 (1ULL << 63)
#define NPT_ADDR 0x000FFFFFFFFFF000ULL

static inline uint64_t vmcb_get(const void *vmcb, unsigned int off)
{
	uint64_t v;

	memcpy(&v, (const uint8_t *)vmcb + off, sizeof(v));
	return v;
}

static inline void vmcb_set(void *vmcb, unsigned int off, uint64_t v)
{
	memcpy((uint8_t *)vmcb + off, &v, sizeof(v));
}

static inline uint32_t vmcb_get32(const void *vmcb, unsigned int off)
{
	uint32_t v;

	memcpy(&v, (const uint8_t *)vmcb + off, sizeof(v));
	return v;
}

static inline void vmcb_set32(void *vmcb, unsigned int off, uint32_t v)
{
	memcpy((uint8_t *)vmcb + off, &v, sizeof(v));
}

/* A segment register of the state-save area. */
static inline void vmcb_set_seg(void *vmcb, unsigned int off, uint16_t sel, uint16_t attrib,
				uint32_t limit, uint64_t base)
{
	uint8_t *p = (uint8_t *)vmcb + off;

	memcpy(p, &sel, 2);
	memcpy(p + 2, &attrib, 2);
	memcpy(p + 4, &limit, 4);
	memcpy(p + 8, &base, 8);
}

#endif
