// SPDX-License-Identifier: MIT
/* Port I/O [ABI §11.1]: the size-explicit backends of the BUILDIO accessors. */
#include "tdxguest/io.h"

enum tdx_io_path tdx_io_path;

/* The one place that builds TDVMCALL Instruction.IO; the #VE handlers use it too. */
u64 tdx_io_hypercall(unsigned int size, bool out, u16 port, u32 *val)
{
	u64 mask = size >= 4 ? 0xFFFFFFFFull : (1ULL << (8 * size)) - 1;
	u64 r11 = 0;
	u64 ret =
		tdvmcall(TDVMCALL_INSTRUCTION_IO, size, out ? TDVMCALL_IO_WRITE : TDVMCALL_IO_READ,
			 port, out ? (*val & mask) : 0, &r11);

	if (!out)
		*val = (u32)((ret ? ~0ULL : r11) & mask);
	return ret;
}

u32 tdx_native_in(unsigned int size, u16 port)
{
	u32 v = 0;

	switch (size) {
	case 1: {
		u8 b;
		__asm__ volatile("inb %w1, %b0" : "=a"(b) : "Nd"(port));
		v = b;
		break;
	}
	case 2: {
		u16 w;
		__asm__ volatile("inw %w1, %w0" : "=a"(w) : "Nd"(port));
		v = w;
		break;
	}
	default:
		__asm__ volatile("inl %w1, %0" : "=a"(v) : "Nd"(port));
		break;
	}
	return v;
}

void tdx_native_out(unsigned int size, u16 port, u32 val)
{
	switch (size) {
	case 1:
		__asm__ volatile("outb %b0, %w1" : : "a"((u8)val), "Nd"(port));
		break;
	case 2:
		__asm__ volatile("outw %w0, %w1" : : "a"((u16)val), "Nd"(port));
		break;
	default:
		__asm__ volatile("outl %0, %w1" : : "a"(val), "Nd"(port));
		break;
	}
}

u32 tdx_port_in(unsigned int size, u16 port)
{
	u32 v;

	if (tdx_io_path == TDX_IO_TDVMCALL) {
		tdx_io_hypercall(size, false, port, &v);
		return v;
	}
	return tdx_native_in(size, port);
}

void tdx_port_out(unsigned int size, u16 port, u32 val)
{
	if (tdx_io_path == TDX_IO_TDVMCALL)
		tdx_io_hypercall(size, true, port, &val);
	else
		tdx_native_out(size, port, val);
}
