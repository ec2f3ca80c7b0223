// SPDX-License-Identifier: MIT
/* MMIO accessors: a MOV that faults into #VE, or a direct #VE.RequestMMIO TDVMCALL. */
#include "tdxguest/mmio.h"

enum tdx_mmio_path tdx_mmio_path;

/* The one place that builds #VE.RequestMMIO; the #VE handler uses it too. */
u64 tdx_mmio_hypercall(unsigned int size, bool write, u64 gpa, u64 *val)
{
	u64 r11 = 0;
	u64 ret =
		tdvmcall(TDVMCALL_VE_REQUEST_MMIO, size,
			 write ? TDVMCALL_IO_WRITE : TDVMCALL_IO_READ, gpa, write ? *val : 0, &r11);

	if (!write)
		*val = ret ? ~0ULL : r11;
	return ret;
}

u64 tdx_mmio_read(unsigned int size, const volatile void *addr)
{
	u64 v = 0;

	if (tdx_mmio_path == TDX_MMIO_TDVMCALL) {
		tdx_mmio_hypercall(size, false, __pa((const void *)addr), &v);
		if (size < 8)
			v &= (1ULL << (8 * size)) - 1;
		return v;
	}
	switch (size) {
	case 1:
		v = *(const volatile u8 *)addr;
		break;
	case 2:
		v = *(const volatile u16 *)addr;
		break;
	case 4:
		v = *(const volatile u32 *)addr;
		break;
	default:
		v = *(const volatile u64 *)addr;
		break;
	}
	return v;
}

void tdx_mmio_write(unsigned int size, volatile void *addr, u64 val)
{
	if (tdx_mmio_path == TDX_MMIO_TDVMCALL) {
		if (size < 8)
			val &= (1ULL << (8 * size)) - 1;
		tdx_mmio_hypercall(size, true, __pa((const void *)addr), &val);
		return;
	}
	switch (size) {
	case 1:
		*(volatile u8 *)addr = (u8)val;
		break;
	case 2:
		*(volatile u16 *)addr = (u16)val;
		break;
	case 4:
		*(volatile u32 *)addr = (u32)val;
		break;
	default:
		*(volatile u64 *)addr = val;
		break;
	}
}
