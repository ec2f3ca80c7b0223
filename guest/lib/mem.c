// SPDX-License-Identifier: MIT
/*
 * Private memory: TDG.MEM.PAGE.ACCEPT, the accept loop, MapGPA with its RETRY protocol and the
 * private <-> shared conversions (Linux arch/x86/coco/tdx/tdx.c, tdx-shared.c; ABI §2, §3).
 */
#include "tdxguest/mem.h"

bool tdx_accept_on_ve;
u64 tdx_ve_accept_count;

u64 tdx_accept_page(u64 gpa, unsigned int level)
{
	struct tdx_module_args args = {.rcx = gpa | level};

	return __tdcall(TDG_MEM_PAGE_ACCEPT, &args);
}

/* ALREADY_ACCEPTED is a warning (bit 63 clear): the page is the guest's and mapped. */
static bool accept_done(u64 status)
{
	return !status || tdx_status_code(status) == TDX_PAGE_ALREADY_ACCEPTED;
}

/*
 * One step of the loop: a 2M page when start is 2M aligned and 2M remain, else 4K. Returns
 * the bytes accepted, 0 with *status set when the step failed. Linux's try_accept_one()
 * takes any non-zero status as "try the next size"; here only PAGE_SIZE_MISMATCH does,
 * so a real error (a busy entry, a bad GPA) comes back to the caller as it is.
 */
static u64 accept_one(u64 start, u64 len, u64 *status)
{
	if (!(start & (tdx_ps_bytes(TDX_PS_2M) - 1)) && len >= tdx_ps_bytes(TDX_PS_2M)) {
		*status = tdx_accept_page(start, TDX_PS_2M);
		if (accept_done(*status))
			return tdx_ps_bytes(TDX_PS_2M);
		if (tdx_status_code(*status) != TDX_PAGE_SIZE_MISMATCH)
			return 0;
	}
	*status = tdx_accept_page(start, TDX_PS_4K);
	return accept_done(*status) ? TDX_PAGE_SIZE : 0;
}

u64 tdx_accept_memory(u64 start, u64 end)
{
	u64 status = TDX_SUCCESS;

	while (start < end) {
		u64 n = accept_one(start, end - start, &status);

		if (!n)
			return status;
		start += n;
	}
	return TDX_SUCCESS;
}

/* Three RETRYs without progress and the conversion is given up [L tdx_map_gpa]. */
#define MAP_GPA_MAX_RETRIES_PER_PAGE 3

u64 tdx_map_gpa(u64 gpa, u64 size, u64 *fail_gpa)
{
	u64 end = gpa + size, ret = TDVMCALL_STATUS_INVALID_OPERAND;
	int retries = 0;

	while (retries < MAP_GPA_MAX_RETRIES_PER_PAGE) {
		struct tdx_module_args args = {
			.r10 = TDX_HYPERCALL_STANDARD,
			.r11 = TDVMCALL_MAP_GPA,
			.r12 = gpa,
			.r13 = end - gpa,
		};

		ret = __tdx_hypercall(&args);
		if (ret != TDVMCALL_STATUS_RETRY) {
			if (ret && fail_gpa)
				*fail_gpa = args.r11;
			return ret;
		}
		/* R11 comes from the untrusted VMM: it must be in what is left to convert. */
		if (args.r11 < gpa || args.r11 >= end) {
			if (fail_gpa)
				*fail_gpa = args.r11;
			return TDVMCALL_STATUS_INVALID_OPERAND;
		}
		if (args.r11 == gpa) {
			retries++;
			continue;
		}
		gpa = args.r11;
		retries = 0;
	}
	if (fail_gpa)
		*fail_gpa = gpa;
	return TDVMCALL_STATUS_RETRY;
}

u64 tdx_set_memory_shared(u64 gpa, u64 npages)
{
	return tdx_map_gpa(gpa | tdx_shared_mask(), npages * TDX_PAGE_SIZE, NULL);
}

u64 tdx_set_memory_private(u64 gpa, u64 npages)
{
	u64 start = gpa & ~tdx_shared_mask(), ret;

	/* A shared -> private conversion needs the pages accepted before use [L]. */
	ret = tdx_map_gpa(start, npages * TDX_PAGE_SIZE, NULL);
	if (ret)
		return ret;
	return tdx_accept_memory(start, start + npages * TDX_PAGE_SIZE);
}
