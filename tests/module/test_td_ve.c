// SPDX-License-Identifier: MIT
/*
 * #VE and exception generation on the real module [ABI §5]: a guest with its own IDT
 * (vectors 8, 13, 20) executes CPUID 0x21 (answered by the module), OUT (#VE, exit reason
 * 30), CPUID in the hypervisor range (#VE, reason 10), RDMSR of a key-management MSR (#GP),
 * then takes a #VE inside its #VE handler before reading the VE info (#DF).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "td.h"
#include "td_harness.h"

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
	"	xorl %eax, %eax\n"
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
	"1:	movl $3, %eax\n"
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
	"	xorl %eax, %eax\n"
	"	.byte 0x66, 0x0f, 0x01, 0xcc\n"
	"	ud2\n"
	"ve_guest_end:\n"
	".popsection\n");
/* clang-format on */

static void test_ve_df(void **state)
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_ve_df, td_machine_setup, td_machine_teardown),
		cmocka_unit_test_setup_teardown(test_tdcall_leaves, td_machine_setup,
						td_machine_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
