// SPDX-License-Identifier: MIT
/*
 * A tiny guest built with the guest SDK (freestanding, static PIE). The host picks what it
 * does with the boot register R12 (tiny_guest.h) and checks every exit.
 */
#include "tdxguest/tdxguest.h"
#include "tiny_guest.h"

static int add1(int x)
{
	return x + 1;
}

static int dbl(int x)
{
	return 2 * x;
}

static int sq(int x)
{
	return x * x;
}

/* Absolute addresses: R_X86_64_RELATIVE entries the crt applies. */
static int (*const ops[])(int) = {add1, dbl, sq};
static const char *const words[] = {"zero", "one", "two"};
static int *counter_ptr;
static int counter = 5;
static u64 zeroes[64];

static void port_sequence(void)
{
	u32 v;

	outb(0x41, TINY_PORT);
	outw(0x1234, TINY_PORT);
	outl(0xdeadbeef, TINY_PORT);
	v = inb(TINY_PORT);
	outl(v, TINY_PORT + 1);
	v = inw(TINY_PORT);
	outl(v, TINY_PORT + 1);
	v = inl(TINY_PORT);
	outl(v, TINY_PORT + 1);
	outsb(TINY_PORT + 2, "abc", 3);
	u16 w[2];
	insw(TINY_PORT + 3, w, 2);
	outl(w[0] | (u32)w[1] << 16, TINY_PORT + 1);
}

static int reloc(void)
{
	int r = 0;

	counter_ptr = &counter;
	for (int i = 0; i < 3; i++)
		r += ops[i](3); /* 4 + 6 + 9 = 19 */
	for (unsigned int i = 0; i < sizeof(zeroes) / sizeof(zeroes[0]); i++)
		if (zeroes[i])
			return 1;
	if (words[2][1] != 'w' || *counter_ptr != 5)
		return 2;
	if (tdx_gpaw() != 48 || tdx_shared_mask() != 1ULL << 47)
		return 3;
	if (__pa(__va(0x1234)) != 0x1234 ||
	    __pa(__va(0x1234 | tdx_shared_mask())) != (0x1234 | tdx_shared_mask()))
		return 4;
	if ((uintptr_t)__va(0x1000 | tdx_shared_mask()) - (uintptr_t)__va(0x1000) !=
	    TDXSIM_WINDOW_SIZE)
		return 5;
	return r + 23; /* 42 */
}

static void mmio_sequence(void)
{
	volatile void *m = __va(TINY_MMIO_GPA | tdx_shared_mask());
	u64 v;

	writeb(0x11, m);
	writew(0x2222, (volatile u8 *)m + 2);
	writel(0x33333333, (volatile u8 *)m + 4);
	writeq(0x4444444444444444ULL, (volatile u8 *)m + 8);
	v = readb(m);
	v += readw((volatile u8 *)m + 2);
	v += readl((volatile u8 *)m + 4);
	v += readq((volatile u8 *)m + 8);
	writeq(v, (volatile u8 *)m + 16);
}

static void ve_misc(void)
{
	u32 lo, hi, a, b, c, d;
	static const char bytes[3] = {'x', 'y', 'z'};
	const char *p = bytes;
	unsigned long n = 3;

	__asm__ volatile("hlt");
	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(0x4b564d00));
	outl(lo, TINY_PORT + 1);
	outl(hi, TINY_PORT + 1);
	__asm__ volatile("wrmsr" : : "a"(0x89abcdef), "d"(0x01234567), "c"(0x4b564d01));
	__asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(0x40000000), "c"(0));
	outl(a, TINY_PORT + 1);
	outl(b, TINY_PORT + 1);
	outl(c, TINY_PORT + 1);
	outl(d, TINY_PORT + 1);
	__asm__ volatile("rep outsb" : "+S"(p), "+c"(n) : "d"(TINY_PORT + 2) : "memory");
	outl((u32)(p - bytes), TINY_PORT + 1);
	outl((u32)n, TINY_PORT + 1);
}

int main(void)
{
	switch (tdx_boot_regs[12]) {
	case TINY_IO_DIRECT:
		tdx_io_path = TDX_IO_TDVMCALL;
		port_sequence();
		return 0;
	case TINY_FORCE_INSN:
		tdx_force_tdcall_insn = true;
		tdx_io_path = TDX_IO_TDVMCALL;
		port_sequence();
		return 0;
	case TINY_IO_NATIVE:
		tdx_io_path = TDX_IO_VE;
		port_sequence();
		return 0;
	case TINY_RELOC:
		return reloc();
	case TINY_PRINTF:
		tdx_io_path = TDX_IO_TDVMCALL;
		tdx_printf("x=%d %s %x %lx %u|%p", -12, "ok", 0xbeef, 0x123456789aUL, 7u,
			   (void *)0x1000);
		return 0;
	case TINY_MMIO_DIRECT:
		tdx_io_path = TDX_IO_TDVMCALL;
		tdx_mmio_path = TDX_MMIO_TDVMCALL;
		mmio_sequence();
		return 0;
	case TINY_MMIO_VE:
		tdx_io_path = TDX_IO_TDVMCALL;
		tdx_mmio_path = TDX_MMIO_VE;
		mmio_sequence();
		return 0;
	case TINY_VE_MISC:
		tdx_io_path = TDX_IO_VE;
		ve_misc();
		return (int)tdx_ve_count;
	case TINY_MMIO_PRIVATE:
		tdx_mmio_path = TDX_MMIO_VE;
		return (int)readl(__va(TINY_MMIO_GPA));
	case TINY_EARLY_VE:
		tdx_idt_init(); /* back to the early handler */
		tdx_io_path = TDX_IO_VE;
		outb(0x5a, TINY_PORT);
		__asm__ volatile("hlt");
		return 0;
	default:
		return 99;
	}
}
