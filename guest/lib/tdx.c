// SPDX-License-Identifier: MIT
/*
 * The TDCALL layer above __tdcall: TDG.VP.VMCALL, TDG.VP.INFO, the window layout, fatal
 * errors, shutdown and start-up.
 */
#include "tdxguest/console.h"
#include "tdxguest/io.h"
#include "tdxguest/mmio.h"
#include "tdxguest/tdx.h"
#include "tdxguest/ve.h"

void *tdx_gate;
bool tdx_force_tdcall_insn;

static unsigned int gpaw;

u64 __tdx_hypercall(struct tdx_module_args *args)
{
	u64 ret;

	args->rcx = TDVMCALL_EXPOSE_REGS_MASK;
	ret = __tdcall(TDG_VP_VMCALL, args);
	if (ret)
		__builtin_trap(); /* the VMCALL mechanism failed: nothing else can be trusted */
	return args->r10;
}

u64 tdvmcall(u64 subfn, u64 r12, u64 r13, u64 r14, u64 r15, u64 *out)
{
	struct tdx_module_args args = {
		.r10 = TDX_HYPERCALL_STANDARD,
		.r11 = subfn,
		.r12 = r12,
		.r13 = r13,
		.r14 = r14,
		.r15 = r15,
	};
	u64 ret = __tdx_hypercall(&args);

	if (out)
		*out = args.r11;
	return ret;
}

static void tdx_halt_forever(void)
{
	for (;;)
		tdvmcall(TDVMCALL_INSTRUCTION_HLT, 1, 0, 0, 0, NULL);
}

void tdx_report_fatal(u64 code, const char *msg)
{
	u64 m[8] = {0};
	size_t n = msg ? strlen(msg) : 0;
	struct tdx_module_args args = {0};

	if (n > sizeof(m))
		n = sizeof(m);
	if (n)
		memcpy(m, msg, n);
	args.r10 = TDX_HYPERCALL_STANDARD;
	args.r11 = TDVMCALL_REPORT_FATAL_ERROR;
	args.r12 = code;
	args.r14 = m[0];
	args.r15 = m[1];
	args.rbx = m[2];
	args.rdi = m[3];
	args.rsi = m[4];
	args.r8 = m[5];
	args.r9 = m[6];
	args.rdx = m[7];
	__tdx_hypercall(&args);
	tdx_halt_forever();
	__builtin_unreachable();
}

void tdx_panic(u64 code, const char *fmt, ...)
{
	char msg[TDVMCALL_REPORT_FATAL_ERROR_MSG_SIZE + 1];
	va_list ap;

	va_start(ap, fmt);
	tdx_vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	tdx_report_fatal(code, msg);
}

u64 tdx_vp_info(struct tdx_vp_info *info)
{
	struct tdx_module_args args = {0};
	u64 ret = __tdcall(TDG_VP_INFO, &args);

	if (ret)
		return ret;
	info->gpaw = args.rcx & 0x3f;
	info->attributes = args.rdx;
	info->num_vcpus = (u32)args.r8;
	info->max_vcpus = (u32)(args.r8 >> 32);
	info->vcpu_index = (u32)args.r9;
	info->sys_rd = args.r10 & 1;
	info->rcx = args.rcx;
	info->r8 = args.r8;
	info->r9 = args.r9;
	info->r10 = args.r10;
	info->r11 = args.r11;
	return ret;
}

unsigned int tdx_gpaw(void)
{
	struct tdx_vp_info info;
	u64 ret;

	if (gpaw)
		return gpaw;
	ret = tdx_vp_info(&info);
	if (ret)
		tdx_panic(0, "TDG.VP.INFO failed: 0x%lx", (unsigned long)ret);
	if (info.gpaw != 48 && info.gpaw != 52)
		tdx_panic(0, "TDG.VP.INFO: GPAW %u", info.gpaw);
	gpaw = info.gpaw;
	return gpaw;
}

u64 tdx_shared_mask(void)
{
	return 1ULL << (tdx_gpaw() - 1);
}

uintptr_t tdx_window_base(void)
{
	uintptr_t rip;

	__asm__("leaq 0(%%rip), %0" : "=r"(rip));
	return rip & ~(uintptr_t)(2 * TDXSIM_WINDOW_SIZE - 1);
}

void *__va(u64 gpa)
{
	u64 shared = tdx_shared_mask();
	uintptr_t va = tdx_window_base() + (gpa & ~shared);

	if (gpa & shared)
		va += TDXSIM_WINDOW_SIZE;
	return (void *)va;
}

u64 __pa(const void *va)
{
	u64 off = (uintptr_t)va - tdx_window_base();

	if (off >= TDXSIM_WINDOW_SIZE)
		return (off - TDXSIM_WINDOW_SIZE) | tdx_shared_mask();
	return off;
}

typedef void (*tdx_array_fn)(void);
#define HIDDEN __attribute__((visibility("hidden")))
extern HIDDEN tdx_array_fn __preinit_array_start[], __preinit_array_end[];
extern HIDDEN tdx_array_fn __init_array_start[], __init_array_end[];
extern HIDDEN tdx_array_fn __fini_array_start[], __fini_array_end[];

static bool fini_started;

/* The ELF ABI's termination: .fini_array in reverse order, once, whoever exits first. */
static void run_fini_array(void)
{
	if (__atomic_exchange_n(&fini_started, true, __ATOMIC_SEQ_CST))
		return;
	for (tdx_array_fn *f = __fini_array_end; f > __fini_array_start;)
		(*--f)();
}

void tdx_exit(int status)
{
	u32 v = (u32)status;

	run_fini_array();

	tdx_io_hypercall(4, true, TDXSIM_EXIT_PORT, &v);
	if (status) {
		char msg[32];

		tdx_snprintf(msg, sizeof(msg), "exit status %d", status);
		tdx_report_fatal(v, msg);
	}
	v = TDXSIM_PM1A_SLP_EN;
	tdx_io_hypercall(2, true, TDXSIM_PM1A_CNT_PORT, &v);
	tdx_halt_forever();
	__builtin_unreachable();
}

void tdx_guest_start(u64 *boot_regs)
{
	u64 opts = boot_regs[TDXSIM_BOOT_REG_OPTS];

	tdx_gate = (void *)(uintptr_t)boot_regs[TDXSIM_BOOT_REG_GATE];
	if (TDXSIM_BOOT_OPTS_VALID(opts)) {
		if (opts & TDXSIM_BOOT_OPT_IO_TDVMCALL)
			tdx_io_path = TDX_IO_TDVMCALL;
		if (opts & TDXSIM_BOOT_OPT_MMIO_TDVMCALL)
			tdx_mmio_path = TDX_MMIO_TDVMCALL;
	}
	tdx_idt_init(); /* #VE: the early handler (port I/O only) */
	tdx_gpaw();
	tdx_cpu_init(); /* CPL0: GDT, CR4, XCR0 (after the first TDCALL: tests/system) */
	tdx_ve_init();	/* #VE: the full handler */
	/* The ELF ABI's initialization: .preinit_array, then .init_array, in index order. */
	for (tdx_array_fn *f = __preinit_array_start; f < __preinit_array_end; f++)
		(*f)();
	for (tdx_array_fn *f = __init_array_start; f < __init_array_end; f++)
		(*f)();
	tdx_exit(main());
}

void *memset(void *s, int c, size_t n)
{
	volatile u8 *p = s;

	while (n--)
		*p++ = (u8)c;
	return s;
}

void *memcpy(void *d, const void *s, size_t n)
{
	volatile u8 *dp = d;
	const u8 *sp = s;

	while (n--)
		*dp++ = *sp++;
	return d;
}

size_t strlen(const char *s)
{
	size_t n = 0;

	while (s[n])
		n++;
	return n;
}
