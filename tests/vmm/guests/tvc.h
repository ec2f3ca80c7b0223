/* SPDX-License-Identifier: MIT */
/*
 * tvc.h - the command channel between tdvmcall.c (a guest built with the SDK) and
 * test_vmm_tdvmcall_td.c (the host side). The test registers a device at TVC_PORT on the TD's
 * bus; the guest reads commands from it and writes results back, 32 bits at a time (a 64-bit
 * value is two accesses, low half first). So the test decides every register of every
 * TDVMCALL, and sees every register the guest got back.
 *
 *   TVC_HYPERCALL  in: R10..R15, RBX, RDI, RSI, RDX, R8, R9 as struct tdx_module_args (RCX
 *                  ignored) -> __tdx_hypercall (RCX = 0xFFCC)
 *                  out: the return value (R10), then all 13 registers of the struct
 *   TVC_TDCALL     in: leaf, then the 13 registers (RCX included) -> __tdcall(leaf, ...)
 *                  out: RAX, then all 13 registers
 *   TVC_WRITE64    in: GPA, value -> the guest stores value at __va(GPA)
 *   TVC_READ64     in: GPA -> out: the value the guest loads from __va(GPA)
 *   TVC_DONE       the guest returns 0 from main()
 */
#ifndef TESTS_VMM_GUESTS_TVC_H
#define TESTS_VMM_GUESTS_TVC_H

#define TVC_PORT 0x530

enum tvc_op {
	TVC_DONE = 0,
	TVC_HYPERCALL = 1,
	TVC_TDCALL = 2,
	TVC_WRITE64 = 3,
	TVC_READ64 = 4,
};

/* The registers of struct tdx_module_args, in its order. */
#define TVC_NR_REGS 13

#endif /* TESTS_VMM_GUESTS_TVC_H */
