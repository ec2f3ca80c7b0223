// SPDX-License-Identifier: MIT
/*
 * Attestation: TDREPORT, RTMR extension, quotes through the VMM, GetTdVmCallInfo (ABI §2,
 * §3, §9). Buffers the module or the VMM reads are static, aligned as the leaves require.
 */
#include "tdxguest/attest.h"
#include "tdxguest/mem.h"

static struct tdreport report_buf __attribute__((aligned(TDX_REPORT_ALIGNMENT)));
static u8 reportdata_buf[TDX_REPORTDATA_LEN] __attribute__((aligned(TDX_REPORTDATA_ALIGNMENT)));
static u8 rtmr_buf[TDX_RTMR_DATA_LEN] __attribute__((aligned(TDX_RTMR_DATA_ALIGNMENT)));
/* The GetQuote buffer: whole pages of its own, as MapGPA converts pages. */
static u8 quote_buf[TDX_QUOTE_BUF_SIZE] __attribute__((aligned(4096)));
static bool quote_buf_shared;

u64 tdx_mr_report(u64 report_gpa, u64 reportdata_gpa, u64 subtype)
{
	struct tdx_module_args args = {
		.rcx = report_gpa,
		.rdx = reportdata_gpa,
		.r8 = subtype,
	};

	return __tdcall(TDG_MR_REPORT, &args);
}

u64 tdx_get_report(const u8 reportdata[TDX_REPORTDATA_LEN], struct tdreport *report)
{
	u64 ret;

	memcpy(reportdata_buf, reportdata, sizeof(reportdata_buf));
	ret = tdx_mr_report(__pa(&report_buf), __pa(reportdata_buf), TDX_REPORT_SUBTYPE);
	if (!ret)
		memcpy(report, &report_buf, sizeof(*report));
	return ret;
}

u64 tdx_extend_rtmr(unsigned int index, const u8 data[TDX_RTMR_DATA_LEN])
{
	struct tdx_module_args args = {.rdx = index};

	if (index < TDX_RTMR_FIRST_EXTENDABLE || index >= TDX_NUM_RTMRS)
		return TDX_SW_ERROR;
	memcpy(rtmr_buf, data, sizeof(rtmr_buf));
	args.rcx = __pa(rtmr_buf);
	return __tdcall(TDG_MR_RTMR_EXTEND, &args);
}

u64 tdx_get_quote_hypercall(u64 gpa, u64 size)
{
	return tdvmcall(TDVMCALL_GET_QUOTE, gpa, size, 0, 0, NULL);
}

/* Polls of an IN_FLIGHT status before giving up (tdxsim's VMM answers before resuming). */
#define GET_QUOTE_POLLS (1UL << 24)

static u64 quote_status_read(const volatile u8 *buf)
{
	return *(const volatile u64 *)(buf + 8);
}

u64 tdx_get_quote(const struct tdreport *report, void *quote, u32 cap, u32 *len, u64 *quote_status)
{
	u64 gpa = __pa(quote_buf) | tdx_shared_mask(), ret, version = GET_QUOTE_STRUCTURE_VERSION;
	u64 in_flight = GET_QUOTE_IN_FLIGHT;
	u32 in_len = sizeof(*report), out_len;
	u8 *buf = __va(gpa);

	*quote_status = GET_QUOTE_IN_FLIGHT;
	*len = 0;
	if (!quote_buf_shared) {
		ret = tdx_set_memory_shared(__pa(quote_buf), TDX_QUOTE_BUF_SIZE / TDX_PAGE_SIZE);
		if (ret)
			return ret;
		quote_buf_shared = true;
	}
	memset(buf, 0, TDX_QUOTE_BUF_SIZE);
	memcpy(buf, &version, 8);
	memcpy(buf + 8, &in_flight, 8);
	memcpy(buf + 16, &in_len, 4);
	memcpy(buf + GET_QUOTE_HDR_LEN, report, sizeof(*report));
	ret = tdx_get_quote_hypercall(gpa, TDX_QUOTE_BUF_SIZE);
	if (ret)
		return ret;
	for (unsigned long i = 0; i < GET_QUOTE_POLLS; i++) {
		*quote_status = quote_status_read(buf);
		if (*quote_status != GET_QUOTE_IN_FLIGHT)
			break;
		__asm__ volatile("pause");
	}
	if (*quote_status != GET_QUOTE_SUCCESS)
		return TDVMCALL_STATUS_SUCCESS;
	memcpy(&out_len, buf + 20, 4);
	*len = out_len;
	if (out_len > TDX_QUOTE_BUF_SIZE - GET_QUOTE_HDR_LEN) /* the VMM's word: bound it */
		out_len = TDX_QUOTE_BUF_SIZE - GET_QUOTE_HDR_LEN;
	memcpy(quote, buf + GET_QUOTE_HDR_LEN, out_len < cap ? out_len : cap);
	return TDVMCALL_STATUS_SUCCESS;
}

u64 tdx_get_td_vm_call_info(u64 leaf, u64 out[4])
{
	struct tdx_module_args args = {
		.r10 = TDX_HYPERCALL_STANDARD,
		.r11 = TDVMCALL_GET_TD_VM_CALL_INFO,
		.r12 = leaf,
	};
	u64 ret = __tdx_hypercall(&args);

	out[0] = args.r11;
	out[1] = args.r12;
	out[2] = args.r13;
	out[3] = args.r14;
	return ret;
}
