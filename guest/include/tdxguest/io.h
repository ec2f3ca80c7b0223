/* SPDX-License-Identifier: MIT */
/*
 * tdxguest/io.h - port I/O of the guest runtime [ABI §11.1].
 *
 * One set of accessors, built by BUILDIO with the access size passed explicitly. Each goes
 * one of two ways, chosen at run time with tdx_io_path:
 *
 *  TDX_IO_VE       the native IN/OUT instruction. The TDX module turns it into a #VE, which
 *                  the early handler (installed first, knows only port I/O) or the full
 *                  #VE handler emulates. This is the "early" and the "runtime" path.
 *  TDX_IO_TDVMCALL direct TDVMCALL Instruction.IO, no #VE at all (the "decompressor" path,
 *                  usable with no IDT).
 *
 * Both end in tdx_io_hypercall(), the only place that builds the Instruction.IO call
 * (R11 = 30, R12 = size, R13 = 0 in / 1 out, R14 = port, R15 = value; R11 = value read).
 * String forms are unrolled one element at a time on every path, since TDX has no string I/O.
 */
#ifndef TDXGUEST_IO_H
#define TDXGUEST_IO_H

#include "tdxguest/tdx.h"

enum tdx_io_path {
	TDX_IO_VE = 0,
	TDX_IO_TDVMCALL = 1,
};
extern enum tdx_io_path tdx_io_path;

/*
 * Instruction.IO through TDVMCALL. out: write *val; else read into *val (all ones on a
 * failure, as a bus with no device). Returns the GHCI status (R10).
 */
u64 tdx_io_hypercall(unsigned int size, bool out, u16 port, u32 *val);

/* IN of size bytes merged into old (8/16 bits keep the rest; 32 bits zero-extend). */
static inline u64 tdx_io_merge(u64 old, unsigned int size, u32 val)
{
	if (size == 4)
		return val;
	u64 mask = (1ULL << (8 * size)) - 1;
	return (old & ~mask) | (val & mask);
}

/* The size-explicit backends: one IN or OUT of size bytes on the selected path. */
u32 tdx_port_in(unsigned int size, u16 port);
void tdx_port_out(unsigned int size, u16 port, u32 val);
/* One IN or OUT as the native instruction (the #VE path), whatever tdx_io_path says. */
u32 tdx_native_in(unsigned int size, u16 port);
void tdx_native_out(unsigned int size, u16 port, u32 val);

#define BUILDIO(bwl, type, size)                                                                   \
	static inline void out##bwl(type value, u16 port)                                          \
	{                                                                                          \
		tdx_port_out(size, port, value);                                                   \
	}                                                                                          \
	static inline type in##bwl(u16 port)                                                       \
	{                                                                                          \
		return (type)tdx_port_in(size, port);                                              \
	}                                                                                          \
	static inline void outs##bwl(u16 port, const void *addr, unsigned long count)              \
	{                                                                                          \
		const type *p = addr;                                                              \
		while (count) {                                                                    \
			out##bwl(*p, port);                                                        \
			p++;                                                                       \
			count--;                                                                   \
		}                                                                                  \
	}                                                                                          \
	static inline void ins##bwl(u16 port, void *addr, unsigned long count)                     \
	{                                                                                          \
		type *p = addr;                                                                    \
		while (count) {                                                                    \
			*p = in##bwl(port);                                                        \
			p++;                                                                       \
			count--;                                                                   \
		}                                                                                  \
	}

BUILDIO(b, u8, 1)
BUILDIO(w, u16, 2)
BUILDIO(l, u32, 4)

#endif /* TDXGUEST_IO_H */
