// SPDX-License-Identifier: MIT
/*
 * A guest that makes the TDVMCALLs the test asks for and reports every register it gets
 * back (protocol in tvc.h). Raw calls only: __tdx_hypercall() for the standard register
 * mask, __tdcall(TDG_VP_VMCALL, ...) for any other RCX, so nothing in the SDK interprets a
 * status before the test sees it.
 */
#include "tdxguest/tdxguest.h"

#include "tvc.h"

static u64 get64(void)
{
	u64 lo = inl(TVC_PORT);

	return lo | (u64)inl(TVC_PORT) << 32;
}

static void put64(u64 v)
{
	outl((u32)v, TVC_PORT);
	outl((u32)(v >> 32), TVC_PORT);
}

static void get_regs(struct tdx_module_args *a)
{
	u64 *r = (u64 *)a;

	for (unsigned int i = 0; i < TVC_NR_REGS; i++)
		r[i] = get64();
}

static void put_regs(const struct tdx_module_args *a)
{
	const u64 *r = (const u64 *)a;

	for (unsigned int i = 0; i < TVC_NR_REGS; i++)
		put64(r[i]);
}

int main(void)
{
	_Static_assert(sizeof(struct tdx_module_args) == TVC_NR_REGS * 8, "tvc.h register count");

	for (;;) {
		struct tdx_module_args a;
		u64 leaf, gpa, ret;

		switch (inl(TVC_PORT)) {
		case TVC_HYPERCALL:
			get_regs(&a);
			ret = __tdx_hypercall(&a);
			put64(ret);
			put_regs(&a);
			break;
		case TVC_TDCALL:
			leaf = get64();
			get_regs(&a);
			ret = __tdcall(leaf, &a);
			put64(ret);
			put_regs(&a);
			break;
		case TVC_WRITE64:
			gpa = get64();
			*(volatile u64 *)__va(gpa) = get64();
			break;
		case TVC_READ64:
			put64(*(volatile u64 *)__va(get64()));
			break;
		case TVC_DONE:
			return 0;
		default:
			tdx_panic(1, "tdvmcall: bad command");
		}
	}
}
