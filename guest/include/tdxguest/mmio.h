/* SPDX-License-Identifier: MIT */
/*
 * tdxguest/mmio.h - MMIO accessors [ABI §11.4].
 *
 * addr is a guest address of a shared GPA (__va(gpa | tdx_shared_mask())). Two paths, chosen
 * at run time with tdx_mmio_path:
 *  TDX_MMIO_VE       touch the memory with one MOV; the unmapped shared page raises #VE
 *                    (EPT violation) and the #VE handler decodes the MOV and asks the VMM.
 *  TDX_MMIO_TDVMCALL direct TDVMCALL #VE.RequestMMIO (R11 = 48, R12 size, R13 direction,
 *                    R14 GPA, R15 value; R11 = value read), no fault.
 */
#ifndef TDXGUEST_MMIO_H
#define TDXGUEST_MMIO_H

#include "tdxguest/tdx.h"

enum tdx_mmio_path {
	TDX_MMIO_VE = 0,
	TDX_MMIO_TDVMCALL = 1,
};
extern enum tdx_mmio_path tdx_mmio_path;

/* #VE.RequestMMIO: size 1/2/4/8 at gpa (shared bit set). Returns the GHCI status. */
u64 tdx_mmio_hypercall(unsigned int size, bool write, u64 gpa, u64 *val);

u64 tdx_mmio_read(unsigned int size, const volatile void *addr);
void tdx_mmio_write(unsigned int size, volatile void *addr, u64 val);

#define BUILD_MMIO(bwl, type, size)                                                                \
	static inline type read##bwl(const volatile void *addr)                                    \
	{                                                                                          \
		return (type)tdx_mmio_read(size, addr);                                            \
	}                                                                                          \
	static inline void write##bwl(type val, volatile void *addr)                               \
	{                                                                                          \
		tdx_mmio_write(size, addr, val);                                                   \
	}

BUILD_MMIO(b, u8, 1)
BUILD_MMIO(w, u16, 2)
BUILD_MMIO(l, u32, 4)
BUILD_MMIO(q, u64, 8)

#endif /* TDXGUEST_MMIO_H */
