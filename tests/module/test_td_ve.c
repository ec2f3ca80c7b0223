// SPDX-License-Identifier: MIT
/*
 * #VE and exception generation on the real module [ABI §5]: a guest with its own IDT
 * (vectors 8, 13, 20) executes CPUID 0x21 (answered by the module), OUT (#VE, exit reason
 * 30), CPUID in the hypervisor range (#VE, reason 10), RDMSR of a key-management MSR (#GP),
 * then takes a #VE inside its #VE handler before reading the VE info (#DF). And shared-GPA EPT
 * violations as the shared EPT's suppress-#VE bit says: a #VE where it is clear (MMIO), a TD
 * exit to the VMM where it is set.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include <cmocka.h>

#include "td.h"
#include "td_harness.h"
#include "tdx/leaves.h"

/* The leaf names for the guest code below (tdx/leaves.h): movl $TDG_VP_VEINFO_GET, %eax. */
asm(TDX_LEAVES_ASM_EQU);

#define CODE_GPA TD_CODE_GPA
#define DATA_GPA TD_DATA_GPA

/* Data page layout (offsets from its start) */
#define D_IDTR	    0x800
#define D_NESTED    0x8E8 /* set: the #VE handler takes another #VE first */
#define D_GP_COUNT  0x8F0
#define D_VE_COUNT  0x8F8
#define D_VE_REASON 0x900 /* u64 [8] */
#define D_VE_QUAL   0x940
#define D_VE_LEN    0x980

extern const uint8_t ve_guest[], ve_guest_end[];
/* clang-format off */
__asm__(".pushsection .rodata\n"
	".globl ve_guest, ve_guest_end\n"
	"ve_guest:\n"
	"	leaq ve_guest(%rip), %rsp\n"
	"	leaq ve_guest(%rip), %rdi\n"
	"	subq $0x1000, %rdi\n"		/* RDI = data page = IDT */
	"	leaq df_handler(%rip), %rax\n"
	"	movl $8, %esi\n"
	"	call set_gate\n"
	"	leaq gp_handler(%rip), %rax\n"
	"	movl $13, %esi\n"
	"	call set_gate\n"
	"	leaq ve_handler(%rip), %rax\n"
	"	movl $20, %esi\n"
	"	call set_gate\n"
	"	movw $0x1ff, 0x800(%rdi)\n"
	"	movq %rdi, 0x802(%rdi)\n"
	"	lidt 0x800(%rdi)\n"
	/* CPUID 0x21.0: the module answers "IntelTDX    " */
	"	movl $0x21, %eax\n"
	"	xorl %ecx, %ecx\n"
	"	cpuid\n"
	"	movl %ebx, %r12d\n"
	"	movl %edx, %r13d\n"
	"	movl %ecx, %r14d\n"
	/* port I/O: #VE */
	"	outb %al, $0x80\n"
	/* the hypervisor range: #VE */
	"	movl $0x40000000, %eax\n"
	"	cpuid\n"
	/* IA32_MKTME_KEYID_PARTITIONING: #GP */
	"	movl $0x87, %ecx\n"
	"	rdmsr\n"
	"	leaq ve_guest(%rip), %rdi\n"
	"	movq -0x1000+0x8f8(%rdi), %r15\n"	/* #VE count */
	"	movq -0x1000+0x8f0(%rdi), %rbx\n"	/* #GP count */
	"	movq %rbx, %r10\n"
	"	movl $0x900, %r11d\n"
	"	movl $0xfc00, %ecx\n"
	"	movl $TDG_VP_VMCALL, %eax\n"
	"	.byte 0x66, 0x0f, 0x01, 0xcc\n"
	/* a #VE inside the #VE handler, before VEINFO.GET: #DF */
	"	leaq ve_guest(%rip), %rdi\n"
	"	movq $1, -0x1000+0x8e8(%rdi)\n"
	"	outb %al, $0x80\n"
	"	ud2\n"
	TD_ASM_SET_GATE
	/* #VE: VEINFO.GET, record, RIP += instruction length, IRETQ */
	"ve_handler:\n"
	"	pushq %rax\n"
	"	pushq %rcx\n"
	"	pushq %rdx\n"
	"	pushq %r8\n"
	"	pushq %r9\n"
	"	pushq %r10\n"
	"	pushq %rdi\n"
	"	pushq %rsi\n"
	"	leaq ve_guest(%rip), %rdi\n"
	"	subq $0x1000, %rdi\n"
	"	cmpq $0, 0x8e8(%rdi)\n"
	"	je 1f\n"
	"	outb %al, $0x80\n"		/* nested: VE info still valid */
	"1:	movl $TDG_VP_VEINFO_GET, %eax\n"
	"	.byte 0x66, 0x0f, 0x01, 0xcc\n"	/* TDG.VP.VEINFO.GET */
	"	movq 0x8f8(%rdi), %rsi\n"
	"	movq %rcx, 0x900(%rdi,%rsi,8)\n"
	"	movq %rdx, 0x940(%rdi,%rsi,8)\n"
	"	movl %r10d, %r10d\n"
	"	movq %r10, 0x980(%rdi,%rsi,8)\n"
	"	incq 0x8f8(%rdi)\n"
	"	addq %r10, 64(%rsp)\n"		/* the frame's RIP, above 8 pushes */
	"	popq %rsi\n"
	"	popq %rdi\n"
	"	popq %r10\n"
	"	popq %r9\n"
	"	popq %r8\n"
	"	popq %rdx\n"
	"	popq %rcx\n"
	"	popq %rax\n"
	"	iretq\n"
	/* #GP: count, skip the 2-byte RDMSR, drop the error code */
	"gp_handler:\n"
	"	pushq %rax\n"
	"	leaq ve_guest(%rip), %rax\n"
	"	incq -0x1000+0x8f0(%rax)\n"
	"	addq $2, 16(%rsp)\n"
	"	popq %rax\n"
	"	addq $8, %rsp\n"
	"	iretq\n"
	/* #DF: report it (error code 0 on the stack) */
	"df_handler:\n"
	"	movq (%rsp), %r12\n"
	"	movl $0xdf, %r11d\n"
	"	movl $0xfc00, %ecx\n"
	"	movl $TDG_VP_VMCALL, %eax\n"
	"	.byte 0x66, 0x0f, 0x01, 0xcc\n"
	"	ud2\n"
	"ve_guest_end:\n"
	".popsection\n");
/* clang-format on */

static void test_tdg_vp_veinfo_get_ve_df(void **state)
{
	static uint8_t code[4096], data[4096];
	struct test_td td;
	struct tdx_module_args a = {0};
	uint64_t data_hpa;
	const uint8_t *d;

	(void)state;
	platform_claim_signals();
	td_code_page(code, ve_guest, ve_guest_end);
	assert_int_equal(td_build_guest(&td, code, data, &data_hpa), 0);

	td_path = PATH_GATE;
	a.rcx = td.tdvpr[0];
	assert_int_equal(td_call(TDH_VP_ENTER, &a), EXIT_REASON_TDCALL);
	assert_int_equal(a.r11, 0x900);
	assert_int_equal(a.r12, 0x65746e49); /* "Inte" */
	assert_int_equal(a.r13, 0x5844546c); /* "lTDX" */
	assert_int_equal(a.r14, 0x20202020); /* "    " */
	assert_int_equal(a.r15, 2);	     /* two #VEs: OUT, CPUID 0x40000000 */
	assert_int_equal(a.r10, 1);	     /* one #GP: RDMSR 0x87 */

	/* What VEINFO.GET gave the guest (read through the module's view). */
	d = phys_seam_va(data_hpa);
	assert_int_equal(*(const uint64_t *)(d + D_VE_REASON), EXIT_REASON_IO_INSTRUCTION);
	/* OUT imm8, 1 byte, port 0x80: size-1 = 0, imm bit 6, port in 31:16 */
	assert_int_equal(*(const uint64_t *)(d + D_VE_QUAL), (0x80ULL << 16) | (1 << 6));
	assert_int_equal(*(const uint64_t *)(d + D_VE_LEN), 2);
	assert_int_equal(*(const uint64_t *)(d + D_VE_REASON + 8), EXIT_REASON_CPUID);
	assert_int_equal(*(const uint64_t *)(d + D_VE_QUAL + 8), 0);
	assert_int_equal(*(const uint64_t *)(d + D_VE_LEN + 8), 2);

	/* The nested #VE: #DF with error code 0. */
	a = (struct tdx_module_args){.rcx = td.tdvpr[0]};
	assert_int_equal(td_call(TDH_VP_ENTER, &a), EXIT_REASON_TDCALL);
	assert_int_equal(a.r11, 0xdf);
	assert_int_equal(a.r12, 0);
	assert_int_equal(*(const uint64_t *)(d + D_VE_COUNT), 2); /* no third VEINFO.GET ran */
}

/*
 * The guest leaves' checks, called through the TDCALL dispatcher with a built context (the
 * vCPU is not running, so nothing here may exit): exact RAX and outputs.
 */
static uint64_t tdcall(struct tdvps *vp, struct cpu_regs *ctx, uint64_t rax)
{
	struct vm_exit ti = {.reason = EXIT_REASON_TDCALL, .insn_len = 4};
	uint64_t rip = ctx->rip = 0x1000;

	ctx->gpr[REG_RAX_] = rax;
	vmexit_tdcall(ctx, vp, &ti);
	assert_int_equal(ctx->rip, rip + 4); /* completed in place */
	return ctx->gpr[REG_RAX_];
}

static void test_tdcall_leaves(void **state)
{
	struct test_td td;
	struct cpu_regs ctx;
	struct tdvps *vp;

	(void)state;
	assert_int_equal(td_build_basic(&td), 0);
	vp = tdvps_of(td.tdvpr[0]);

	/* Unknown leaf, reserved bits, versions */
	memset(&ctx, 0, sizeof(ctx));
	assert_int_equal(tdcall(vp, &ctx, 13), TDX_OPERAND_INVALID + TDX_OPERAND_ID_RAX);
	assert_int_equal(tdcall(vp, &ctx, TDG_VP_INFO | (1ULL << 32)),
			 TDX_OPERAND_INVALID + TDX_OPERAND_ID_RAX);
	assert_int_equal(tdcall(vp, &ctx, TDG_VP_INFO | (1 << 16)),
			 TDX_OPERAND_INVALID + TDX_OPERAND_ID_RAX);

	/* TDG.VP.INFO */
	memset(&ctx, 0xAA, sizeof(ctx));
	assert_int_equal(tdcall(vp, &ctx, TDG_VP_INFO), 0);
	assert_int_equal(ctx.gpr[REG_RCX_], 48);
	assert_int_equal(ctx.gpr[REG_RDX_], 0); /* ATTRIBUTES */
	assert_int_equal(ctx.gpr[REG_R8_], 1 | (8ULL << 32));
	assert_int_equal(ctx.gpr[REG_R9_], 0);
	assert_int_equal(ctx.gpr[REG_R10_], TDG_VP_INFO_SYS_RD_AVAILABLE);
	assert_int_equal(ctx.gpr[REG_R11_], 0);

	/* TDG.VP.VEINFO.GET with nothing valid: NO_VALID_VE_INFO and zeros */
	memset(&ctx, 0xAA, sizeof(ctx));
	assert_int_equal(tdcall(vp, &ctx, TDG_VP_VEINFO_GET), TDX_NO_VALID_VE_INFO);
	assert_int_equal(ctx.gpr[REG_RCX_] | ctx.gpr[REG_RDX_] | ctx.gpr[REG_R8_] |
				 ctx.gpr[REG_R9_] | ctx.gpr[REG_R10_],
			 0);

	/* TDG.VP.CPUIDVE.SET: bits 0 and 1 only */
	memset(&ctx, 0, sizeof(ctx));
	ctx.gpr[REG_RCX_] = 4;
	assert_int_equal(tdcall(vp, &ctx, TDG_VP_CPUIDVE_SET),
			 TDX_OPERAND_INVALID + TDX_OPERAND_ID_RCX);
	ctx.gpr[REG_RCX_] = 3;
	assert_int_equal(tdcall(vp, &ctx, TDG_VP_CPUIDVE_SET), 0);
	assert_int_equal(vp->cpuidve, 3);

	/* TDG.VP.VMCALL masks that fail in place: RAX, RCX, RSP, RBP (NO_RBP_MOD), 63:32 */
	{
		static const uint64_t bad[] = {1ULL << 0, 1ULL << 1, 1ULL << 4, 1ULL << 5,
					       1ULL << 32};

		for (unsigned int i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			memset(&ctx, 0, sizeof(ctx));
			ctx.gpr[REG_RCX_] = bad[i] | 0xFC00;
			assert_int_equal(tdcall(vp, &ctx, TDG_VP_VMCALL),
					 TDX_OPERAND_INVALID + TDX_OPERAND_ID_RCX);
		}
	}

	/* TDG.SYS.RD: a guest-readable global field, a host-only one, and the first-field
	 * walk (the guest's masks in detail: test_td_leaves.c) */
	memset(&ctx, 0, sizeof(ctx));
	ctx.gpr[REG_RDX_] = MD_FIELD_ID_MAJOR_VERSION;
	assert_int_equal(tdcall(vp, &ctx, TDG_SYS_RD), 0);
	assert_int_equal(ctx.gpr[REG_R8_], 1);
	ctx.gpr[REG_RDX_] = MD_FIELD_ID_NUM_CPUID_CONFIG;
	assert_int_equal(tdcall(vp, &ctx, TDG_SYS_RD), TDX_METADATA_FIELD_NOT_READABLE);
	assert_int_equal(ctx.gpr[REG_R8_], 0);
	ctx.gpr[REG_RDX_] = ~0ULL;
	assert_int_equal(tdcall(vp, &ctx, TDG_SYS_RD), TDX_METADATA_FIRST_FIELD_ID_IN_CONTEXT);
	assert_int_equal(ctx.gpr[REG_RDX_], MD_FIELD_ID_VENDOR_ID);
}

/*
 * Shared-GPA EPT violations. The guest reads shared GPA SVE_MMIO_GPA (suppress-#VE clear:
 * #VE; the handler records VEINFO.GET's outputs and skips the 3-byte load), then shared GPA
 * SVE_RAM_GPA (suppress-#VE set: a TD exit; the host maps the page and enters again, the load
 * completes) and reports what it read with a TDVMCALL.
 */
#define SVE_MMIO_GPA 0x10000000ULL
#define SVE_RAM_GPA  0x00200000ULL
#define D_SVE_INFO   0xA00 /* RAX, RCX, RDX, R8, R9, R10 of VEINFO.GET */
#define D_SVE_COUNT  0xA30
#define S_(x)	     #x
#define S(x)	     S_(x)

extern const uint8_t sve_guest[], sve_guest_end[];
/* clang-format off */
__asm__(".pushsection .rodata\n"
	".globl sve_guest, sve_guest_end\n"
	"sve_guest:\n"
	"	leaq sve_guest(%rip), %rsp\n"
	"	leaq sve_guest(%rip), %rdi\n"
	"	subq $0x1000, %rdi\n"		/* RDI = data page = IDT */
	"	leaq sve_handler(%rip), %rax\n"
	"	movl $20, %esi\n"
	"	call sve_set_gate\n"
	"	movw $0x1ff, 0x800(%rdi)\n"
	"	movq %rdi, 0x802(%rdi)\n"
	"	lidt 0x800(%rdi)\n"
	/* RBX = the window's base: RIP rounded down to 2 x 64 GiB */
	"	leaq sve_guest(%rip), %rbx\n"
	"	movabsq $0xFFFFFFE000000000, %rcx\n"
	"	andq %rcx, %rbx\n"
	/* the shared half starts 64 GiB up */
	"	movabsq $(0x1000000000 + " S(SVE_MMIO_GPA) "), %rcx\n"
	"	addq %rbx, %rcx\n"
	"	movq (%rcx), %rax\n"		/* 48 8B 01: #VE */
	"	movabsq $(0x1000000000 + " S(SVE_RAM_GPA) "), %rcx\n"
	"	addq %rbx, %rcx\n"
	"	movq (%rcx), %r12\n"		/* 4C 8B 21: TD exit, then the value */
	"	movq 0xa30(%rdi), %r13\n"
	"	movl $0x5e, %r11d\n"
	"	xorl %r10d, %r10d\n"
	"	movl $0xfc00, %ecx\n"
	"	movl $TDG_VP_VMCALL, %eax\n"
	"	.byte 0x66, 0x0f, 0x01, 0xcc\n"
	"	ud2\n"
	/* TD_ASM_SET_GATE's code under a label of its own (set_gate is ve_guest's) */
	"sve_set_gate:\n"
	"	shll $4, %esi\n"
	"	movq %rax, %rdx\n"
	"	andl $0xffff, %edx\n"
	"	movq %rax, %rcx\n"
	"	shrq $16, %rcx\n"
	"	andl $0xffff, %ecx\n"
	"	shlq $48, %rcx\n"
	"	orq %rcx, %rdx\n"
	"	movabsq $0x00008e0000330000, %rcx\n"
	"	orq %rcx, %rdx\n"
	"	movq %rdx, (%rdi,%rsi)\n"
	"	shrq $32, %rax\n"
	"	movq %rax, 8(%rdi,%rsi)\n"
	"	ret\n"
	"sve_handler:\n"
	"	pushq %rax\n"
	"	pushq %rcx\n"
	"	pushq %rdx\n"
	"	pushq %r8\n"
	"	pushq %r9\n"
	"	pushq %r10\n"
	"	pushq %rdi\n"
	"	leaq sve_guest(%rip), %rdi\n"
	"	subq $0x1000, %rdi\n"
	"	movl $TDG_VP_VEINFO_GET, %eax\n"
	"	.byte 0x66, 0x0f, 0x01, 0xcc\n"	/* TDG.VP.VEINFO.GET */
	"	movq %rax, 0xa00(%rdi)\n"
	"	movq %rcx, 0xa08(%rdi)\n"
	"	movq %rdx, 0xa10(%rdi)\n"
	"	movq %r8, 0xa18(%rdi)\n"
	"	movq %r9, 0xa20(%rdi)\n"
	"	movq %r10, 0xa28(%rdi)\n"
	"	incq 0xa30(%rdi)\n"
	"	addq $3, 56(%rsp)\n"		/* the frame's RIP, above 7 pushes: skip the load */
	"	popq %rdi\n"
	"	popq %r10\n"
	"	popq %r9\n"
	"	popq %r8\n"
	"	popq %rdx\n"
	"	popq %rcx\n"
	"	popq %rax\n"
	"	iretq\n"
	"sve_guest_end:\n"
	".popsection\n");
/* clang-format on */

static void test_shared_ept_suppress_ve(void **state)
{
	static uint8_t code[4096], data[4096];
	struct test_td td;
	struct tdx_module_args a = {0};
	uint64_t data_hpa, page, shared_bit, qual, mmio_gla;
	const uint64_t *info;

	(void)state;
	platform_claim_signals();
	td_code_page(code, sve_guest, sve_guest_end);
	assert_int_equal(td_build_guest(&td, code, data, &data_hpa), 0);
	shared_bit = td_window_shared_bit(td.window);
	assert_int_equal(shared_bit, 1ULL << 47);
	/* The VMM's choice: suppress-#VE over its RAM page, clear (a new window's) for MMIO. */
	assert_int_equal(td_window_set_suppress_ve(td.window, SVE_RAM_GPA, 4096, true), 0);
	assert_true(td_window_suppress_ve(td.window, SVE_RAM_GPA | shared_bit));
	assert_false(td_window_suppress_ve(td.window, SVE_MMIO_GPA | shared_bit));
	assert_false(td_window_suppress_ve(td.window, SVE_RAM_GPA + 4096));

	/* The MMIO read was a #VE with the VE info of an EPT violation; the RAM read a TD exit. */
	qual = EXIT_QUAL_EPT_READ | EXIT_QUAL_EPT_GLA_VALID | EXIT_QUAL_EPT_GLA_XLAT;
	td_path = PATH_GATE;
	a.rcx = td.tdvpr[0];
	assert_int_equal(td_call(TDH_VP_ENTER, &a), EXIT_REASON_EPT_VIOLATION);
	assert_int_equal(a.rcx, qual);
	assert_int_equal(a.rdx, 0);
	assert_int_equal(a.r8, SVE_RAM_GPA | shared_bit);
	assert_int_equal(a.r9, 0);
	assert_int_equal(a.r10, 0);
	assert_int_equal(a.r11, 0);
	assert_int_equal(a.r12, 0);
	assert_int_equal(a.r13, 0);
	assert_int_equal(a.r14, 0);
	assert_int_equal(a.r15, 0);
	assert_int_equal(a.rbx, 0);
	assert_int_equal(a.rsi, 0);
	assert_int_equal(a.rdi, 0);
	info = (const uint64_t *)((const uint8_t *)phys_seam_va(data_hpa) + D_SVE_INFO);
	mmio_gla = (uint64_t)(uintptr_t)td_window_va(td.window, SVE_MMIO_GPA, true);
	assert_int_equal(info[0], TDX_SUCCESS);
	assert_int_equal(info[1], EXIT_REASON_EPT_VIOLATION);
	assert_int_equal(info[2], qual);
	assert_int_equal(info[3], mmio_gla);
	assert_int_equal(info[4], SVE_MMIO_GPA | shared_bit);
	assert_int_equal(info[5], 0); /* no instruction length or information */
	assert_int_equal(info[6], 1); /* one #VE */

	/* The VMM maps the page; the load runs again and completes. */
	page = td_page_alloc();
	*(uint64_t *)phys_host_va(page) = 0x5151515151515151ULL;
	assert_int_equal(td_window_map(td.window, SVE_RAM_GPA, true, page, PROT_READ | PROT_WRITE),
			 0);
	a = (struct tdx_module_args){.rcx = td.tdvpr[0]};
	assert_int_equal(td_call(TDH_VP_ENTER, &a), EXIT_REASON_TDCALL);
	assert_int_equal(a.r11, 0x5e);
	assert_int_equal(a.r12, 0x5151515151515151ULL);
	assert_int_equal(a.r13, 1); /* still one #VE */
	assert_int_equal(td_window_unmap(td.window, SVE_RAM_GPA, true), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_tdg_vp_veinfo_get_ve_df, td_machine_setup,
						td_machine_teardown),
		cmocka_unit_test_setup_teardown(test_tdcall_leaves, td_machine_setup,
						td_machine_teardown),
		cmocka_unit_test_setup_teardown(test_shared_ept_suppress_ve, td_machine_setup,
						td_machine_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
