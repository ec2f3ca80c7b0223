// SPDX-License-Identifier: MIT
/*
 * The CPU state a CPL0 guest sets up for itself (the system backend): the GDT, CR4 and XCR0.
 * Natively guest code runs at CPL3 and the machine gives it a 64-bit kernel's state, so
 * none of this is done there (and LGDT, MOV CR4 and XSETBV would trap).
 *
 * The reset page (docs/SYSTEM.md "The reset page") leaves every vCPU in 64-bit mode with its
 * own GDT in the reset page and CR4 = PAE | OSFXSR | OSXMMEXCPT (and what TDX set); it does no
 * CPUID or XSETBV, which are exits the module decides and may answer with #VE or #GP, since
 * the guest has no IDT there. The SDK does them here, with its IDT loaded.
 */
#include "tdxguest/tdx.h"

#define CR4_FSGSBASE (1ULL << 16)
#define CR4_OSXSAVE  (1ULL << 18)
/* XCR0 components the SDK enables: x87, SSE, AVX, AVX-512 (opmask, ZMM_Hi256, Hi16_ZMM). */
#define XCR0_SDK 0xE7ULL

/* Code and data as the reset page's, accessed bits set so the CPU never writes them. */
static const u64 gdt[3] = {0, 0x00AF9B000000FFFFULL, 0x00CF93000000FFFFULL};

bool tdx_cpl0(void)
{
	u16 cs;

	__asm__("movw %%cs, %0" : "=r"(cs));
	return !(cs & 3);
}

static void cpuid(u32 leaf, u32 sub, u32 r[4])
{
	__asm__ volatile("cpuid"
			 : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3])
			 : "a"(leaf), "c"(sub));
}

static u64 read_cr4(void)
{
	u64 v;

	__asm__ volatile("mov %%cr4, %0" : "=r"(v));
	return v;
}

static void write_cr4(u64 v)
{
	__asm__ volatile("mov %0, %%cr4" : : "r"(v) : "memory");
}

static void load_gdt(void)
{
	struct {
		u16 limit;
		u64 base;
	} __attribute__((packed)) gdtr = {sizeof(gdt) - 1, (uintptr_t)gdt};
	u64 tmp;

	/* LGDT, then CS by a far return and the data segments by MOV. */
	__asm__ volatile("lgdt %1\n\t"
			 "pushq %2\n\t"
			 "leaq 1f(%%rip), %0\n\t"
			 "pushq %0\n\t"
			 "lretq\n"
			 "1:\tmovl %3, %k0\n\t"
			 "movl %k0, %%ds\n\t"
			 "movl %k0, %%es\n\t"
			 "movl %k0, %%ss"
			 : "=&r"(tmp)
			 : "m"(gdtr), "i"(TDXSIM_SYSTEM_CODE_SEL), "i"(TDXSIM_SYSTEM_DATA_SEL)
			 : "memory");
}

void tdx_cpu_init(void)
{
	u32 r[4];
	u64 xcr0;

	if (!tdx_cpl0())
		return;
	load_gdt();
	cpuid(7, 0, r);
	if (r[1] & 1) /* FSGSBASE */
		write_cr4(read_cr4() | CR4_FSGSBASE);
	cpuid(1, 0, r);
	if (!(r[2] & (1U << 26))) /* no XSAVE: SSE runs without it, AVX cannot */
		return;
	write_cr4(read_cr4() | CR4_OSXSAVE);
	cpuid(0xD, 0, r);
	xcr0 = ((u64)r[3] << 32 | r[0]) & XCR0_SDK;
	if ((xcr0 & 0xE0) != 0xE0) /* AVX-512 is all three components or none */
		xcr0 &= ~0xE0ULL;
	__asm__ volatile("xsetbv" : : "c"(0), "a"((u32)xcr0), "d"((u32)(xcr0 >> 32)));
}
