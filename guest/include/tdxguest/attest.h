/* SPDX-License-Identifier: MIT */
/*
 * tdxguest/attest.h - attestation: TDG.MR.REPORT, TDG.MR.RTMR.EXTEND, TDVMCALL<GetQuote> and
 * TDVMCALL<GetTdVmCallInfo> (ABI §2, §3, §9; Linux arch/x86/coco/tdx/tdx.c
 * tdx_mcall_get_report0 / tdx_mcall_extend_rtmr, drivers/virt/coco/tdx-guest).
 *
 * The TDREPORT is MACed for this platform only; a quote is what a remote verifier checks. Under
 * tdxsim the VMM's quote is its own software format, a TDREPORT signed with ECDSA P-384
 * (vmm/quote.h, docs/VMM.md), not an Intel quote.
 */
#ifndef TDXGUEST_ATTEST_H
#define TDXGUEST_ATTEST_H

#include "tdx/status.h"
#include "tdx/structs.h"
#include "tdxguest/tdx.h"

/*
 * TDG.MR.REPORT as the leaf is: RCX = TDREPORT GPA (1024-aligned), RDX = REPORTDATA GPA (64
 * bytes, 64-aligned), R8 = subtype (0). Returns the module's status.
 */
u64 tdx_mr_report(u64 report_gpa, u64 reportdata_gpa, u64 subtype);

/*
 * The TDREPORT of this TD with the caller's 64 bytes of REPORTDATA, for buffers of any
 * alignment (copied through aligned private buffers, as Linux's tdx_mcall_get_report0()).
 * Returns the module's status.
 */
u64 tdx_get_report(const u8 reportdata[TDX_REPORTDATA_LEN], struct tdreport *report);

/* RTMRs a TD's software may extend: 0 and 1 hold the firmware's and the boot loader's
 * measurements (the TDVF/UEFI mapping of PCRs to RTMRs), so the SDK extends 2 and 3 only. */
#define TDX_RTMR_FIRST_EXTENDABLE 2
#define TDX_RTMR_DATA_LEN	  48
#define TDX_RTMR_DATA_ALIGNMENT	  64

/*
 * TDG.MR.RTMR.EXTEND: RTMR[index] = SHA-384(RTMR[index] || data), data copied into a
 * 64-aligned private buffer. Index 0, 1 or >= 4: TDX_SW_ERROR, no TDCALL. Else the module's
 * status.
 */
u64 tdx_extend_rtmr(unsigned int index, const u8 data[TDX_RTMR_DATA_LEN]);

/*
 * TDVMCALL<GetQuote> as it is: R12 = shared GPA of the buffer, R13 = its size. Returns the GHCI
 * status (R10); the quote status is in the buffer.
 */
u64 tdx_get_quote_hypercall(u64 gpa, u64 size);

/* Bytes of the SDK's GetQuote buffer: two pages, header included. */
#define TDX_QUOTE_BUF_SIZE (2 * 4096)

/*
 * A quote of @report: the SDK's buffer (2 pages of .bss, converted to shared the first time,
 * and kept shared as Linux keeps its quote buffer) gets the header (version 1, in_len 1024)
 * and the report; GetQuote; the status is polled while it is GET_QUOTE_IN_FLIGHT. Up to @cap
 * bytes of the quote go to @quote, its full length to *len. Returns the GHCI status of the
 * conversion or of GetQuote; *quote_status gets the buffer's status (GET_QUOTE_*; still
 * IN_FLIGHT if the VMM never finished).
 */
u64 tdx_get_quote(const struct tdreport *report, void *quote, u32 cap, u32 *len, u64 *quote_status);

/* TDVMCALL<GetTdVmCallInfo>(leaf): R11..R14 into out[0..3]. Returns the GHCI status. */
u64 tdx_get_td_vm_call_info(u64 leaf, u64 out[4]);

#endif /* TDXGUEST_ATTEST_H */
