/* SPDX-License-Identifier: MIT */
/*
 * guest_td.h - what io_guest.c, mmio_guest.c, fault_guest.c (built with the SDK, run on the
 * real module) and test_guest_td.c (the host side) agree on: the recorder devices the test
 * puts on the VMM's bus, the values they return, and the access lists the guests make.
 * Plain C with <stdint.h> only, so it builds freestanding and hosted.
 */
#ifndef TESTS_GUEST_GUEST_TD_H
#define TESTS_GUEST_GUEST_TD_H

#include <stdint.h>

/* Port recorder: 4 ports a path at GTD_PORT + 4 * path (0 early, 1 decompressor, 2 runtime). */
#define GTD_PORT	0x510
#define GTD_PORT_LEN	12
#define GTD_PATH_EARLY	0
#define GTD_PATH_DIRECT 1
#define GTD_PATH_RT	2

/* The k-th port read of a run (counted over all ports) returns this, masked to its size. */
static inline uint32_t gtd_port_value(uint32_t k)
{
	return 0xC3A59600u ^ (k * 0x11223345u);
}

/* Element j of an OUTS of size bytes. */
static inline uint32_t gtd_outs_value(unsigned int size, unsigned int j)
{
	uint32_t v = 0x40302010u + j * 0x01010101u + size;

	return size == 4 ? v : v & ((1u << (8 * size)) - 1);
}

/* The port accessor sequence each path runs. */
enum { GTD_OUT, GTD_IN, GTD_OUTS, GTD_INS };
struct gtd_port_op {
	uint8_t op, size;
	uint32_t arg; /* OUT: value; OUTS/INS: count */
};
static const struct gtd_port_op gtd_port_ops[] = {
	{GTD_OUT, 1, 0x5A}, {GTD_OUT, 2, 0xBEEF}, {GTD_OUT, 4, 0xDEADBEEF}, {GTD_IN, 1, 0},
	{GTD_IN, 2, 0},	    {GTD_IN, 4, 0},	  {GTD_OUTS, 1, 3},	    {GTD_OUTS, 2, 3},
	{GTD_OUTS, 4, 2},   {GTD_INS, 1, 3},	  {GTD_INS, 2, 2},	    {GTD_INS, 4, 2},
};
#define GTD_NR_PORT_OPS (sizeof(gtd_port_ops) / sizeof(gtd_port_ops[0]))

/* On the #VE paths, after the ops: IN b/w/l into a preloaded RAX, REP INSB, REP OUTSW. */
#define GTD_RAX_PRELOAD 0x1122334455667788ULL
#define GTD_REP_INSB	5
#define GTD_REP_OUTSW	4

/* MMIO recorder: 4 KiB at this shared GPA (without the shared bit). */
#define GTD_MMIO_GPA	0xFEA00000ULL
#define GTD_TESTDEV_GPA 0xFEB00000ULL /* the PCI test device's BAR0 (docs/VMM.md) */
#define GTD_SCRATCH	0x100

/* Byte at offset off of the recorder (and of the test device's scratch once filled). */
static inline uint8_t gtd_mmio_byte(uint64_t off)
{
	return (uint8_t)(0x81 + off * 0x13);
}

static inline uint64_t gtd_mmio_value(uint64_t off, unsigned int size)
{
	uint64_t v = 0;

	for (unsigned int i = 0; i < size; i++)
		v |= (uint64_t)gtd_mmio_byte(off + i) << (8 * i);
	return v;
}

/* One MMIO access: offset in the page, size, write, value (reads: what the device returns). */
struct gtd_mmio_acc {
	uint16_t off;
	uint8_t size, write;
	uint64_t value;
};

/* The accessor sequence (readb..readq, writeb..writeq) at base offset 0 (#VE) / 0x800 (direct). */
static const struct gtd_mmio_acc gtd_mmio_accessors[] = {
	{0x08, 1, 0, 0},	  {0x0A, 2, 0, 0},
	{0x0C, 4, 0, 0},	  {0x10, 8, 0, 0},
	{0x20, 1, 1, 0xA5},	  {0x22, 2, 1, 0xB00C},
	{0x24, 4, 1, 0xFEEDF00D}, {0x28, 8, 1, 0x0123456789ABCDEFULL},
};
#define GTD_NR_MMIO_ACCESSORS (sizeof(gtd_mmio_accessors) / sizeof(gtd_mmio_accessors[0]))

/* The decoder forms of mmio_guest.c, in the order it runs them (loads read gtd_mmio_value). */
static const struct gtd_mmio_acc gtd_mmio_forms[] = {
	{0x10, 1, 1, 0xA1},		     /* 88     mov %cl, m8 */
	{0x11, 1, 1, 0xB2},		     /* 44 88  mov %r9b, m8 */
	{0x12, 1, 1, 0xC3},		     /* 88     mov %ah, m8 */
	{0x14, 2, 1, 0x1234},		     /* 66 89  mov %dx, m16 */
	{0x18, 4, 1, 0x89ABCDEF},	     /* 89     mov %edx, m32 */
	{0x20, 8, 1, 0x0123456789ABCDEFULL}, /* 48 89  mov %rdx, m64 */
	{0x28, 4, 1, 0x13572468},	     /* 44 89  mov %r10d, m32 */
	{0x2C, 2, 1, 0x9ABC},		     /* 66 44 89 mov %r11w, m16 */
	{0x30, 1, 1, 0x7F},		     /* C6     movb $imm8 */
	{0x32, 2, 1, 0x8001},		     /* 66 C7  movw $imm16 */
	{0x34, 4, 1, 0xCAFEBABE},	     /* C7     movl $imm32 */
	{0x38, 8, 1, 0xFFFFFFFFFFFFFFFEULL}, /* 48 C7  movq $-2 (sign-extended) */
	{0x40, 1, 0, 0},		     /* 8A     mov m8, %cl */
	{0x41, 1, 0, 0},		     /* 8A     mov m8, %ah */
	{0x42, 1, 0, 0},		     /* 44 8A  mov m8, %r11b */
	{0x44, 2, 0, 0},		     /* 66 8B  mov m16, %dx */
	{0x48, 4, 0, 0},		     /* 8B     mov m32, %edx */
	{0x50, 8, 0, 0},		     /* 4C 8B  mov m64, %r8 */
	{0x58, 1, 0, 0},		     /* 0F B6  movzbl */
	{0x59, 1, 0, 0},		     /* 48 0F B6 movzbq */
	{0x5A, 1, 0, 0},		     /* 66 0F B6 movzbw */
	{0x5C, 2, 0, 0},		     /* 0F B7  movzwl */
	{0x5E, 2, 0, 0},		     /* 48 0F B7 movzwq */
	{0x60, 1, 0, 0},		     /* 0F BE  movsbl */
	{0x64, 1, 0, 0},		     /* 48 0F BE movsbq */
	{0x65, 1, 0, 0},		     /* 66 0F BE movsbw */
	{0x62, 2, 0, 0},		     /* 0F BF  movswl */
	{0x6C, 2, 0, 0},		     /* 4C 0F BF movswq into %r9 */
};
#define GTD_NR_MMIO_FORMS (sizeof(gtd_mmio_forms) / sizeof(gtd_mmio_forms[0]))

/*
 * The moffs forms A0-A3 of mmio_guest.c, in the order it runs them: each is written at run
 * time into a private buffer (MOV with the absolute address, then RET) and called, because
 * the address (the TD window's base + the shared GPA) is not known when the image is linked.
 * The last GTD_NR_MMIO_MOFFS32 take a 32-bit offset (67) from GS, whose base the guest sets
 * to the page with WRGSBASE; they run only with GTD_MMIO_ADDR32 in the boot options.
 */
static const struct gtd_mmio_acc gtd_mmio_moffs[] = {
	{0x70, 1, 1, 0xD4},		     /* A2     mov %al, moffs64 */
	{0x72, 2, 1, 0xE5F6},		     /* 66 A3  mov %ax, moffs64 */
	{0x74, 4, 1, 0x0BADF00D},	     /* A3     mov %eax, moffs64 */
	{0x78, 8, 1, 0xFEDCBA9876543210ULL}, /* 48 A3  mov %rax, moffs64 */
	{0x43, 1, 0, 0},		     /* A0     mov moffs64, %al (upper 56 bits kept) */
	{0x46, 2, 0, 0},		     /* 66 A1  mov moffs64, %ax (upper 48 bits kept) */
	{0x4C, 4, 0, 0},		     /* A1     mov moffs64, %eax (zero-extended) */
	{0x68, 8, 0, 0},		     /* 48 A1  mov moffs64, %rax */
	{0x80, 1, 1, 0x5C},		     /* 65 67 A2     mov %al, %gs:moffs32 */
	{0x82, 2, 1, 0x6D7E},		     /* 65 66 67 A3  mov %ax, %gs:moffs32 */
	{0x84, 4, 1, 0x8F90A1B2},	     /* 65 67 A3     mov %eax, %gs:moffs32 */
	{0x88, 8, 1, 0x0F1E2D3C4B5A6978ULL}, /* 65 67 48 A3  mov %rax, %gs:moffs32 */
	{0x41, 1, 0, 0},		     /* 65 67 A0     mov %gs:moffs32, %al */
	{0x4A, 2, 0, 0},		     /* 65 66 67 A1  mov %gs:moffs32, %ax */
	{0x54, 4, 0, 0},		     /* 65 67 A1     mov %gs:moffs32, %eax */
	{0x60, 8, 0, 0},		     /* 65 67 48 A1  mov %gs:moffs32, %rax */
};
#define GTD_NR_MMIO_MOFFS32 8
#define GTD_MMIO_ADDR32	    (1ULL << 8) /* boot option: the kernel lets user space WRGSBASE */
#define GTD_NR_MMIO_MOFFS   (sizeof(gtd_mmio_moffs) / sizeof(gtd_mmio_moffs[0]))

/* fault_guest.c: the scenario in boot option bits 15:8 (tdx_boot_regs[1]). */
#define GTD_FAULT_SHIFT	      8
#define GTD_FAULT_NESTED_VE   1 /* a #VE inside the #VE entry, before VEINFO.GET: #DF */
#define GTD_FAULT_WBINVD      2 /* an exit reason the runtime does not handle */
#define GTD_FAULT_PRIVATE     3 /* MMIO-style load of a private GPA never accepted */
#define GTD_FAULT_PRIVATE_GPA (40ULL << 20)

/* fp_guest.c: boot options (tdx_boot_regs[1]). */
#define GTD_FP_TDCALL_INSN (1ULL << 0) /* every TDCALL by the instruction (the trap path) */
#define GTD_FP_AVX	   (1ULL << 1) /* the TD's XFAM has AVX: test YMM too */
#define GTD_FP_AVX512	   (1ULL << 2) /* ... and AVX-512: test ZMM too */
#define GTD_FP_VECTOR	   0x50	       /* the self-IPI's vector */
#define GTD_FP_ROUNDS	   1000	       /* 1000.0 + 0.5 x 1000 = 1500.0 */

/*
 * Guests with their own IDT (fault_guest.c, cpu_guest.c): a copy of the SDK runtime's entry
 * stubs (16 bytes a vector, tdx_exc_stubs) as 64-bit interrupt gates, some re-pointed, then
 * loaded. idt holds 2 words a vector.
 */
extern const char tdx_exc_stubs[];

static inline void gtd_idt_set(uint64_t *idt, unsigned int v, uint64_t h)
{
	uint16_t cs;

	__asm__ volatile("movw %%cs, %0" : "=r"(cs));
	idt[2 * v] =
		(h & 0xFFFF) | ((uint64_t)cs << 16) | (0x8EULL << 40) | ((h & 0xFFFF0000ULL) << 32);
	idt[2 * v + 1] = h >> 32;
}

static inline void gtd_idt_copy_runtime(uint64_t *idt, unsigned int vectors)
{
	for (unsigned int v = 0; v < vectors; v++)
		gtd_idt_set(idt, v, (uint64_t)(uintptr_t)tdx_exc_stubs + 16 * v);
}

static inline void gtd_idt_load(const uint64_t *idt, unsigned int vectors)
{
	struct {
		uint16_t limit;
		uint64_t base;
	} __attribute__((packed)) idtr = {(uint16_t)(vectors * 16 - 1), (uint64_t)(uintptr_t)idt};

	__asm__ volatile("lidt %0" : : "m"(idtr) : "memory");
}

/* cpu_guest.c: boot options (tdx_boot_regs[1]). */
#define GTD_CPU_TDCALL_INSN (1ULL << 0)	  /* every TDCALL by the instruction (the trap path) */
#define GTD_CPU_XFAM_AVX    (1ULL << 1)	  /* the TD's XFAM has AVX */
#define GTD_CPU_ACCEPT_GPA  (56ULL << 20) /* private, never added before the guest accepts it */

#endif /* TESTS_GUEST_GUEST_TD_H */
