// SPDX-License-Identifier: MIT
/*
 * The TD's CPU (module/vm_exits/td_cpuid.c, docs/TD-CPU.md), executed inside a TD: a guest with its
 * own #GP and #VE handlers runs one CPUID, RDMSR or WRMSR per entry, as the host writes it
 * into the data page, and reports with a TDG.VP.VMCALL what happened: the registers, or the
 * #VE's exit reason, qualification and instruction length (TDG.VP.VEINFO.GET), or #GP and
 * its error code.
 *
 * Every row of td_cpuid_rows[] is executed, and leaves no row has; values the TDX ABI
 * specification fixes are asserted as numbers written here, not taken from the table. The
 * host CPU the module sees is injected (an Intel Sapphire Rapids and an AMD EPYC Milan, as
 * their CPUs answer): the TD sees the same CPUID on both except the features the AMD host
 * cannot execute, listed exactly.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "td.h"
#include "td_harness.h"
#include "tdx/leaves.h"

/* The leaf names for the guest code below (tdx/leaves.h): movl $TDG_VP_VEINFO_GET, %eax. */
asm(TDX_LEAVES_ASM_EQU);

/* Data page: the IDT at 0, IDTR at 0x800, the outcome at 0x900, the operation at 0xA00. */
#define D_OUTCOME 0x900 /* 0 done, 1 #VE, 2 #GP */
#define D_INFO	  0x908 /* #VE: reason, qualification, length; #GP: error code */
#define D_OP	  0xA00 /* kind (0 CPUID, 1 RDMSR, 2 WRMSR), RAX, RCX, RDX */

enum op_kind { OP_CPUID, OP_RDMSR, OP_WRMSR };
enum outcome { DONE, VE, GP };

extern const uint8_t cpu_guest[], cpu_guest_end[];
/* clang-format off */
__asm__(".pushsection .rodata\n"
	".globl cpu_guest, cpu_guest_end\n"
	"cpu_guest:\n"
	"	leaq cpu_guest(%rip), %rsp\n"
	"	leaq cpu_guest(%rip), %rdi\n"
	"	subq $0x1000, %rdi\n"
	"	leaq cg_gp(%rip), %rax\n"
	"	movl $13, %esi\n"
	"	call set_gate\n"
	"	leaq cg_ve(%rip), %rax\n"
	"	movl $20, %esi\n"
	"	call set_gate\n"
	"	movw $0x1ff, 0x800(%rdi)\n"
	"	movq %rdi, 0x802(%rdi)\n"
	"	lidt 0x800(%rdi)\n"
	"cg_next:\n"
	"	leaq cpu_guest(%rip), %rdi\n"
	"	subq $0x1000, %rdi\n"
	"	movq $0, 0x900(%rdi)\n"
	"	movq 0xa00(%rdi), %rbx\n"
	"	movq 0xa08(%rdi), %rax\n"
	"	movq 0xa10(%rdi), %rcx\n"
	"	movq 0xa18(%rdi), %rdx\n"
	"	cmpq $1, %rbx\n"
	"	je 1f\n"
	"	cmpq $2, %rbx\n"
	"	je 2f\n"
	"	cpuid\n"
	"	jmp 3f\n"
	"1:	rdmsr\n"
	"	jmp 3f\n"
	"2:	wrmsr\n"
	"3:	leaq cpu_guest(%rip), %rdi\n"
	"	subq $0x1000, %rdi\n"
	"	movq 0x900(%rdi), %r10\n"
	"	testq %r10, %r10\n"
	"	jnz 4f\n"
	"	movl %eax, %r12d\n"
	"	movl %ebx, %r13d\n"
	"	movl %ecx, %r14d\n"
	"	movl %edx, %r15d\n"
	"	jmp 5f\n"
	"4:	movq 0x908(%rdi), %r12\n"
	"	movq 0x910(%rdi), %r13\n"
	"	movq 0x918(%rdi), %r14\n"
	"	xorl %r15d, %r15d\n"
	"5:	movl $0xa00, %r11d\n"
	"	movl $0xfc00, %ecx\n"
	"	movl $TDG_VP_VMCALL, %eax\n"
	"	.byte 0x66, 0x0f, 0x01, 0xcc\n"	/* TDG.VP.VMCALL: the host reads R10-R15 */
	"	jmp cg_next\n"
	TD_ASM_SET_GATE
	/* #VE: VEINFO.GET, record, RIP += instruction length */
	"cg_ve:\n"
	"	pushq %rax\n"
	"	pushq %rcx\n"
	"	pushq %rdx\n"
	"	pushq %r8\n"
	"	pushq %r9\n"
	"	pushq %r10\n"
	"	pushq %rdi\n"
	"	leaq cpu_guest(%rip), %rdi\n"
	"	subq $0x1000, %rdi\n"
	"	movl $TDG_VP_VEINFO_GET, %eax\n"
	"	.byte 0x66, 0x0f, 0x01, 0xcc\n"
	"	movq $1, 0x900(%rdi)\n"
	"	movq %rcx, 0x908(%rdi)\n"
	"	movq %rdx, 0x910(%rdi)\n"
	"	movl %r10d, %r10d\n"
	"	movq %r10, 0x918(%rdi)\n"
	"	addq %r10, 56(%rsp)\n"		/* the frame's RIP, above 7 pushes */
	"	popq %rdi\n"
	"	popq %r10\n"
	"	popq %r9\n"
	"	popq %r8\n"
	"	popq %rdx\n"
	"	popq %rcx\n"
	"	popq %rax\n"
	"	iretq\n"
	/* #GP: record the error code, skip the 2-byte instruction */
	"cg_gp:\n"
	"	pushq %rdi\n"
	"	pushq %rax\n"
	"	leaq cpu_guest(%rip), %rdi\n"
	"	subq $0x1000, %rdi\n"
	"	movq $2, 0x900(%rdi)\n"
	"	movq 16(%rsp), %rax\n"
	"	movq %rax, 0x908(%rdi)\n"
	"	movq $0, 0x910(%rdi)\n"
	"	movq $0, 0x918(%rdi)\n"
	"	addq $2, 24(%rsp)\n"
	"	popq %rax\n"
	"	popq %rdi\n"
	"	addq $8, %rsp\n"
	"	iretq\n"
	"cpu_guest_end:\n"
	".popsection\n");
/* clang-format on */

struct result {
	uint64_t outcome;
	uint64_t r[4]; /* DONE: EAX..EDX; #VE: reason, qualification, length; #GP: error code */
};

struct cpu_td {
	struct test_td td;
	uint8_t *data; /* the data page, through the module's view */
};

static void cpu_td_build(struct cpu_td *t, const struct td_params *p, unsigned int nr_vcpus)
{
	static uint8_t code[4096], data[4096];
	uint64_t data_hpa;

	platform_claim_signals();
	td_code_page(code, cpu_guest, cpu_guest_end);
	assert_int_equal(td_build_guest_with(&t->td, p, nr_vcpus, code, data, &data_hpa), 0);
	t->data = phys_seam_va(data_hpa);
	td_path = PATH_GATE;
}

static struct result run_op(struct cpu_td *t, unsigned int vcpu, enum op_kind kind, uint64_t rax,
			    uint64_t rcx, uint64_t rdx)
{
	struct tdx_module_args a = {.rcx = t->td.tdvpr[vcpu]};
	uint64_t *op = (uint64_t *)(t->data + D_OP);
	struct result res;

	op[0] = kind;
	op[1] = rax;
	op[2] = rcx;
	op[3] = rdx;
	assert_int_equal(td_call(TDH_VP_ENTER, &a), EXIT_REASON_TDCALL);
	assert_int_equal(a.r11, 0xa00);
	res.outcome = a.r10;
	res.r[0] = a.r12;
	res.r[1] = a.r13;
	res.r[2] = a.r14;
	res.r[3] = a.r15;
	return res;
}

static struct result cpuid_in_td(struct cpu_td *t, unsigned int vcpu, uint32_t leaf, uint32_t sub)
{
	return run_op(t, vcpu, OP_CPUID, leaf, sub, 0);
}

static void assert_cpuid(struct cpu_td *t, uint32_t leaf, uint32_t sub, uint32_t a, uint32_t b,
			 uint32_t c, uint32_t d)
{
	struct result r = cpuid_in_td(t, 0, leaf, sub);

	if (r.outcome != DONE || r.r[0] != a || r.r[1] != b || r.r[2] != c || r.r[3] != d)
		fail_msg("CPUID 0x%x.%u: outcome %llu %08llx %08llx %08llx %08llx, want %08x %08x "
			 "%08x %08x",
			 leaf, sub, (unsigned long long)r.outcome, (unsigned long long)r.r[0],
			 (unsigned long long)r.r[1], (unsigned long long)r.r[2],
			 (unsigned long long)r.r[3], a, b, c, d);
}

/* #VE, exit reason CPUID (10), qualification 0, instruction length 2. */
static void assert_cpuid_ve(struct cpu_td *t, unsigned int vcpu, uint32_t leaf, uint32_t sub)
{
	struct result r = cpuid_in_td(t, vcpu, leaf, sub);

	if (r.outcome != VE || r.r[0] != EXIT_REASON_CPUID || r.r[1] != 0 || r.r[2] != 2)
		fail_msg("CPUID 0x%x.%u: outcome %llu (%llu %llu %llu), want #VE 10 0 2", leaf, sub,
			 (unsigned long long)r.outcome, (unsigned long long)r.r[0],
			 (unsigned long long)r.r[1], (unsigned long long)r.r[2]);
}

static void params_xfam(struct td_params *p, uint64_t xfam)
{
	td_params_default(p);
	p->xfam = xfam;
}

/* Every row of the table at its sub-leaf (0 where it has none), executed in the TD: the
 * value td_cpuid_value() gives that vCPU, its fixed-1 bits set; #VE rows #VE. */
static void test_every_row(void **state)
{
	struct td_params p;
	struct cpu_td t;
	struct tdvps *vp;

	(void)state;
	params_xfam(&p, 0x7);
	cpu_td_build(&t, &p, 1);
	vp = tdvps_of(t.td.tdvpr[0]);
	for (unsigned int i = 0; i < td_cpuid_nr_rows; i++) {
		const struct td_cpuid_row *row = &td_cpuid_rows[i];
		uint32_t sub = row->sub == CPUID_SUBLEAF_NA ? 0 : row->sub, want[4];
		struct result r;

		if (row->ve) {
			assert_cpuid_ve(&t, 0, row->leaf, sub);
			continue;
		}
		r = cpuid_in_td(&t, 0, row->leaf, sub);
		assert_int_equal(r.outcome, DONE);
		assert_true(td_cpuid_value(vp, row->leaf, sub, want));
		for (int k = 0; k < 4; k++) {
			if (r.r[k] != want[k])
				fail_msg("row 0x%x.%u reg %d: %08llx, td_cpuid_value %08x",
					 row->leaf, sub, k, (unsigned long long)r.r[k], want[k]);
			/* fixed bits hold whatever the host and configuration are */
			assert_int_equal(r.r[k] & row->fixed1[k], row->fixed1[k]);
		}
	}
}

/* The values the TDX ABI specification fixes, whatever the host. */
static void test_fixed_values(void **state)
{
	struct td_params p;
	struct cpu_td t;
	struct result r;

	(void)state;
	params_xfam(&p, 0x7);
	p.tsc_frequency = 80; /* 2 GHz */
	cpu_td_build(&t, &p, 1);

	/* Max basic leaf 0x23 (reaches 0x21), GenuineIntel */
	assert_cpuid(&t, 0, 0, 0x23, 0x756e6547, 0x6c65746e, 0x49656e69);
	/* "IntelTDX    " in EBX, EDX, ECX */
	assert_cpuid(&t, 0x21, 0, 0, 0x65746e49, 0x20202020, 0x5844546c);
	/* TSC/crystal ratio 80/1 over 25 MHz: the TD's TSC_FREQUENCY, no #VE */
	assert_cpuid(&t, 0x15, 0, 1, 80, 25000000, 0);
	/* Max extended leaf 0x80000008, no vendor string there */
	assert_cpuid(&t, 0x80000000, 0, 0x80000008, 0, 0, 0);
	/* All-zero leaves */
	assert_cpuid(&t, 0x3, 0, 0, 0, 0, 0);
	assert_cpuid(&t, 0x4, 4, 0, 0, 0, 0);
	assert_cpuid(&t, 0x8, 0, 0, 0, 0, 0);
	assert_cpuid(&t, 0x12, 0, 0, 0, 0, 0);
	assert_cpuid(&t, 0x19, 0, 0, 0, 0, 0);
	assert_cpuid(&t, 0x20, 0, 0, 0, 0, 0);
	assert_cpuid(&t, 0x22, 0, 0, 0, 0, 0);
	/* XFAM x87|SSE|AVX: leaf 0xD.0 those three, 832-byte area (576 + 256) */
	assert_cpuid(&t, 0xd, 0, 0x7, 832, 832, 0);
	/* no PT, LBR, AMX, PMU (XFAM, ATTRIBUTES.PERFMON): zero */
	assert_cpuid(&t, 0x14, 0, 0, 0, 0, 0);
	assert_cpuid(&t, 0x1c, 0, 0, 0, 0, 0);
	assert_cpuid(&t, 0x1d, 0, 0, 0, 0, 0);
	assert_cpuid(&t, 0xa, 0, 0, 0, 0, 0);
	assert_cpuid(&t, 0xd, 5, 0, 0, 0, 0);
	/* Leaf 1: the platform's F/M/S, APIC ID 0, CLFLUSH 8; hypervisor (ECX 31) and APIC
	 * (EDX 9) set; VMX, SMX (ECX 5, 6), PSN (EDX 18) clear */
	r = cpuid_in_td(&t, 0, 1, 0);
	assert_int_equal(r.outcome, DONE);
	assert_int_equal(r.r[0], 0x806f8);
	assert_int_equal(r.r[1], 0x00000800);
	assert_int_equal(r.r[2] & 0x80000060, 0x80000000);
	assert_int_equal(r.r[3] & 0x40040200, 0x200);
	/* PA 52 bits, LA 48 (no LA57 configured) */
	r = cpuid_in_td(&t, 0, 0x80000008, 0);
	assert_int_equal(r.r[0], 0x3034);
	/* Invariant TSC */
	assert_cpuid(&t, 0x80000007, 0, 0, 0, 0, 0x100);
}

/* Leaves past a range's top read as leaf 0x23; unknown leaves and the #VE rows are #VEs. */
static void test_ve_and_ranges(void **state)
{
	static const uint32_t ve_leaves[][2] = {
		{0x2, 0},	 {0x6, 0},	  {0x9, 0},	   {0xb, 0},	    {0xb, 1},
		{0xf, 0},	 {0x10, 0},	  {0x16, 0},	   {0x17, 0},	    {0x18, 0},
		{0x1a, 0},	 {0x1b, 0},	  {0x1f, 0},	   {0x1f, 5},	    {0x4, 5},
		{0x7, 3},	 {0xd, 19},	  {0x23, 4},	   {0x40000000, 0}, {0x4fffffff, 0},
		{0x80000002, 0}, {0x80000005, 0}, {0x80000006, 0},
	};
	struct td_params p;
	struct cpu_td t;
	struct result top, r;

	(void)state;
	params_xfam(&p, 0x3);
	cpu_td_build(&t, &p, 1);
	for (unsigned int i = 0; i < sizeof(ve_leaves) / sizeof(ve_leaves[0]); i++)
		assert_cpuid_ve(&t, 0, ve_leaves[i][0], ve_leaves[i][1]);

	top = cpuid_in_td(&t, 0, 0x23, 0);
	assert_int_equal(top.outcome, DONE);
	static const uint32_t past[] = {0x24, 0x3fffffff, 0x50000000, 0x80000009, 0xffffffff};
	for (unsigned int i = 0; i < sizeof(past) / sizeof(past[0]); i++) {
		r = cpuid_in_td(&t, 0, past[i], 0);
		assert_int_equal(r.outcome, DONE);
		assert_memory_equal(r.r, top.r, sizeof(r.r));
	}
	assert_cpuid_ve(&t, 0, 0x80000009, 4); /* as leaf 0x23.4: not a row */

	/* TDG.VP.CPUIDVE.SET(supervisor): every leaf is a #VE, 0x21 included */
	tdvps_of(t.td.tdvpr[0])->cpuidve = 1;
	assert_cpuid_ve(&t, 0, 0, 0);
	assert_cpuid_ve(&t, 0, 0x21, 0);
	tdvps_of(t.td.tdvpr[0])->cpuidve = 0;
	assert_cpuid(&t, 0x21, 0, 0, 0x65746e49, 0x20202020, 0x5844546c);
}

/* CPUID(1).EBX[31:24] is the vCPU's index, on each vCPU. */
static void test_apic_id_per_vcpu(void **state)
{
	struct td_params p;
	struct cpu_td t;

	(void)state;
	td_params_default(&p);
	cpu_td_build(&t, &p, 3);
	for (unsigned int v = 0; v < 3; v++) {
		struct result r = cpuid_in_td(&t, v, 1, 0);

		assert_int_equal(r.outcome, DONE);
		assert_int_equal(r.r[1] >> 24, v);
		assert_int_equal(r.r[1] & 0xffffff, 0x800);
		/* topology leaves are the VMM's to answer, on every vCPU */
		assert_cpuid_ve(&t, v, 0xb, 0);
		assert_cpuid_ve(&t, v, 0x1f, 1);
	}
}

/*
 * CPUID_CONFIG: config_direct bits as the host set them, allow_direct bits only with the
 * host's 1, the rest fixed; leaf 1 EAX only the platform's F/M/S; HLE and RTM together.
 */
static void test_config(void **state)
{
	struct td_params p;
	struct cpu_td t;
	struct result r;

	(void)state;
	params_xfam(&p, 0x7);
	/* leaf 4.0: an L1 data cache, 64-byte lines set by... the platform (EBX 11:0) */
	p.cpuid_values[1] = (struct tdx_cpuid_value){0x1c004121, 0x02c00000, 0x3f, 0x3};
	/* leaf 7.0: FSGSBASE is native; ask for nothing allowed */
	cpu_td_build(&t, &p, 1);
	/* EAX 13:10 fixed 0, EBX 11:0 the platform's 63, EDX bit 2 fixed 0 */
	assert_cpuid(&t, 4, 0, 0x1c004121 & ~0x3c00U, 0x02c0003f, 0x3f, 0x3 & ~0x4U);
	r = cpuid_in_td(&t, 0, 7, 0);
	assert_int_equal(r.outcome, DONE);
	assert_int_equal(r.r[0], 2);			     /* max sub-leaf */
	assert_int_equal(r.r[1] & 0xdc2b9b18, 0);	     /* nothing allowed was asked for */
	assert_int_equal(r.r[2] & (1U << 31 | 1U << 23), 0); /* no PKS, no Key Locker */
}

static void test_config_refused(void **state)
{
	struct td_params p;
	struct test_td td;

	(void)state;
	/* F/M/S other than the platform's, for a TD that is not migratable */
	td_params_default(&p);
	p.cpuid_values[0].eax = 0x000a06f1;
	assert_int_equal(td_create(&td, TD_HKID), 0);
	assert_int_equal(td_init(&td, &p), TDX_OPERAND_INVALID + TDX_OPERAND_ID_CPUID_CONFIG);
	/* the platform's is accepted (as 0 is) */
	td_params_default(&p);
	p.cpuid_values[0].eax = 0x000806f8;
	assert_int_equal(td_create(&td, TD_HKID + 1), 0);
	assert_int_equal(td_init(&td, &p), 0);
	/* HLE without RTM */
	td_params_default(&p);
	p.cpuid_values[5].ebx = 1U << 4;
	assert_int_equal(td_create(&td, TD_HKID + 2), 0);
	assert_int_equal(td_init(&td, &p), TDX_OPERAND_INVALID + TDX_OPERAND_ID_CPUID_CONFIG);
}

/* ---- Injected hosts ---------------------------------------------------------------------- */

struct host_leaf {
	uint32_t leaf, sub, v[4];
};

/* An Intel Xeon Platinum (Sapphire Rapids, 0x806F8) as CPUID answers on it. */
static const struct host_leaf spr[] = {
	{0x0, 0, {0x20, 0x756e6547, 0x6c65746e, 0x49656e69}},
	{0x1, 0, {0x000806f8, 0x02800800, 0x7ffefbff, 0xbfebfbff}},
	{0x7, 0, {0x2, 0xf3bfbfff, 0xfb417ffe, 0xffdd4430}},
	{0x7, 1, {0x1c30, 0, 0, 0}},
	{0x7, 2, {0, 0, 0, 0x17}},
	{0xa, 0, {0x08300805, 0, 0, 0x8603}},
	{0xd, 0, {0x602e7, 0x2b00, 0x2b00, 0}},
	{0xd, 1, {0x1f, 0x2b00, 0x9900, 0}},
	{0xd, 2, {256, 576, 0, 0}},
	{0xd, 5, {64, 1088, 0, 0}},
	{0xd, 6, {512, 1152, 0, 0}},
	{0xd, 7, {1024, 1664, 0, 0}},
	{0xd, 8, {128, 0, 1, 0}},
	{0xd, 9, {8, 2688, 0, 0}},
	{0xd, 11, {16, 0, 1, 0}},
	{0xd, 12, {24, 0, 1, 0}},
	{0xd, 15, {808, 0, 1, 0}},
	{0xd, 17, {64, 2752, 6, 0}},
	{0xd, 18, {8192, 2816, 6, 0}},
	{0x14, 0, {1, 0x5f, 7, 0}},
	{0x1d, 0, {1, 0, 0, 0}},
	{0x1d, 1, {0x4002000, 0x80040, 0x10, 0}},
	{0x1e, 0, {0, 0x4010, 0, 0}},
	{0x80000000, 0, {0x80000008, 0, 0, 0}},
	{0x80000001, 0, {0, 0, 0x121, 0x2c100800}},
	{0x80000007, 0, {0, 0, 0, 0x100}},
	{0x80000008, 0, {0x3934, 0x200, 0, 0}},
};

/* An AMD EPYC 7003 (Milan, family 0x19) as CPUID answers on it. */
static const struct host_leaf milan[] = {
	{0x0, 0, {0x10, 0x68747541, 0x444d4163, 0x69746e65}},
	{0x1, 0, {0x00a00f11, 0x00800800, 0x7ef8320b, 0x178bfbff}},
	{0x7, 0, {0, 0x219c97a9, 0x0040068c, 0x10}},
	{0xd, 0, {0x207, 0x988, 0x988, 0}},
	{0xd, 1, {0xf, 0x348, 0, 0}},
	{0xd, 2, {256, 576, 0, 0}},
	{0xd, 9, {8, 2432, 0, 0}},
	{0x80000000, 0, {0x80000023, 0x68747541, 0x444d4163, 0x69746e65}},
	{0x80000001, 0, {0x00a00f11, 0x40000000, 0x75c237ff, 0x2fd3fbff}},
	{0x80000007, 0, {0, 0x3b, 0, 0x6799}},
	{0x80000008, 0, {0x3030, 0x791ef257, 0x407f, 0x10000}},
};

/* An AMD EPYC 9004 (Genoa, Zen 4): AVX-512 at AMD's XSAVE offsets (no MPX gap). */
static const struct host_leaf genoa[] = {
	{0x0, 0, {0x10, 0x68747541, 0x444d4163, 0x69746e65}},
	{0x1, 0, {0x00a10f11, 0x00800800, 0x7ef8320b, 0x178bfbff}},
	{0x7, 0, {1, 0xf1bf97a9, 0x00415fce, 0x10}},
	{0x7, 1, {0x20, 0, 0, 0}},
	{0xd, 0, {0x2e7, 0x988, 0x988, 0}},
	{0xd, 1, {0xf, 0x348, 0, 0}},
	{0xd, 2, {256, 576, 0, 0}},
	{0xd, 5, {64, 832, 0, 0}},
	{0xd, 6, {512, 896, 0, 0}},
	{0xd, 7, {1024, 1408, 0, 0}},
	{0xd, 9, {8, 2432, 0, 0}},
	{0x80000000, 0, {0x80000028, 0x68747541, 0x444d4163, 0x69746e65}},
	{0x80000001, 0, {0x00a10f11, 0x40000000, 0x75c237ff, 0x2fd3fbff}},
	{0x80000007, 0, {0, 0x3b, 0, 0x6799}},
	{0x80000008, 0, {0x3030, 0x791ef257, 0x407f, 0x10000}},
};

static const struct host_leaf *host_table;
static unsigned int host_table_len;

static void injected_cpuid(uint32_t leaf, uint32_t sub, uint32_t out[4])
{
	memset(out, 0, 16);
	for (unsigned int i = 0; i < host_table_len; i++) {
		if (host_table[i].leaf == leaf && host_table[i].sub == sub) {
			memcpy(out, host_table[i].v, 16);
			return;
		}
	}
}

#define NR_PROBES 128
struct probe {
	uint32_t leaf, sub;
	struct result r;
};

/* Boot the machine with the module seeing `host`, run every probe in a TD with `p`. */
static void run_on_host(const struct host_leaf *host, unsigned int len, const struct td_params *p,
			struct probe *probes, unsigned int n)
{
	struct cpu_td t;

	host_table = host;
	host_table_len = len;
	harness_host_cpuid = injected_cpuid;
	assert_int_equal(td_machine_boot(TDX_MODULE_LATEST), 0);
	harness_host_cpuid = NULL;
	cpu_td_build(&t, p, 1);
	for (unsigned int i = 0; i < n; i++)
		probes[i].r = cpuid_in_td(&t, 0, probes[i].leaf, probes[i].sub);
	td_machine_teardown(NULL);
}

static unsigned int all_probes(struct probe *probes)
{
	unsigned int n = 0;

	for (unsigned int i = 0; i < td_cpuid_nr_rows && n < NR_PROBES; i++) {
		const struct td_cpuid_row *row = &td_cpuid_rows[i];

		probes[n++] = (struct probe){.leaf = row->leaf,
					     .sub = row->sub == CPUID_SUBLEAF_NA ? 0 : row->sub};
	}
	return n;
}

/* Register bits in which the two hosts' TDs differ, per probe; checks outcomes agree. */
static void diff(const struct probe *a, const struct probe *b, unsigned int n, uint32_t (*d)[4])
{
	for (unsigned int i = 0; i < n; i++) {
		assert_int_equal(a[i].r.outcome, b[i].r.outcome);
		for (int k = 0; k < 4; k++)
			d[i][k] = (uint32_t)(a[i].r.r[k] ^ b[i].r.r[k]);
	}
}

static void expect_diff(const struct probe *pr, unsigned int n, uint32_t (*d)[4], uint32_t leaf,
			uint32_t sub, int reg, uint32_t bits)
{
	for (unsigned int i = 0; i < n; i++) {
		if (pr[i].leaf == leaf && pr[i].sub == sub) {
			if (d[i][reg] != bits)
				fail_msg("CPUID 0x%x.%u reg %d differs in %08x, documented %08x",
					 leaf, sub, reg, d[i][reg], bits);
			d[i][reg] = 0;
			return;
		}
	}
	fail_msg("no probe 0x%x.%u", leaf, sub);
}

static void assert_no_other_diff(const struct probe *pr, unsigned int n, uint32_t (*d)[4])
{
	for (unsigned int i = 0; i < n; i++)
		for (int k = 0; k < 4; k++)
			if (d[i][k])
				fail_msg("CPUID 0x%x.%u reg %d differs in %08x (not documented)",
					 pr[i].leaf, pr[i].sub, k, d[i][k]);
}

/* Ask for every allow_direct bit: the TD gets those the platform has. */
static void config_all_allowed(struct td_params *p)
{
	for (unsigned int i = 0; i < NUM_CPUID_CONFIG; i++) {
		uint32_t direct[4], allowed[4];

		td_cpuid_config_masks(i, direct, allowed);
		p->cpuid_values[i] =
			(struct tdx_cpuid_value){allowed[0], allowed[1], allowed[2], allowed[3]};
	}
}

/*
 * The same TD (XFAM x87|SSE|AVX, every allowed CPUID_CONFIG bit asked for) on an Intel and an
 * AMD host: identical CPUID but for the features Milan cannot execute (docs/TD-CPU.md "Per
 * host"): leaf 7.0 EBX HLE, RTM (4, 11); ECX WAITPKG (5), GFNI (8), CLDEMOTE (25), MOVDIRI
 * (27), MOVDIR64B (28); EDX SERIALIZE (14), TSXLDTRK (16); 7.1 EAX the fast string bits
 * (10-12); leaf 0x1E EBX (AMX TMUL information).
 */
static void test_intel_and_amd_host(void **state)
{
	static struct probe on_intel[NR_PROBES], on_amd[NR_PROBES];
	static uint32_t d[NR_PROBES][4];
	struct td_params p;
	unsigned int n;

	(void)state;
	td_machine_teardown(NULL); /* the fixture's machine: each host boots its own */
	params_xfam(&p, 0x7);
	config_all_allowed(&p);
	n = all_probes(on_intel);
	memcpy(on_amd, on_intel, sizeof(on_amd));
	run_on_host(spr, sizeof(spr) / sizeof(spr[0]), &p, on_intel, n);
	run_on_host(milan, sizeof(milan) / sizeof(milan[0]), &p, on_amd, n);
	diff(on_intel, on_amd, n, d);
	expect_diff(on_intel, n, d, 0x1, 0, 2, 1U << 17);
	expect_diff(on_intel, n, d, 0x7, 0, 1, 1U << 4 | 1U << 11);
	expect_diff(on_intel, n, d, 0x7, 0, 2, 1U << 5 | 1U << 8 | 1U << 25 | 1U << 27 | 1U << 28);
	expect_diff(on_intel, n, d, 0x7, 0, 3, 1U << 14 | 1U << 16);
	expect_diff(on_intel, n, d, 0x7, 1, 0, 0x1c00);
	expect_diff(on_intel, n, d, 0x1e, 0, 1, 0x4010);
	assert_no_other_diff(on_intel, n, d);

	/* What both show: GenuineIntel, the platform's F/M/S, whatever the host's vendor */
	for (unsigned int i = 0; i < n; i++) {
		if (on_amd[i].leaf == 0) {
			assert_int_equal(on_amd[i].r.r[1], 0x756e6547);
			assert_int_equal(on_amd[i].r.r[0], 0x23);
		}
		if (on_amd[i].leaf == 1)
			assert_int_equal(on_amd[i].r.r[0], 0x806f8);
	}
	assert_int_equal(td_machine_boot(TDX_MODULE_LATEST), 0); /* for the fixture's teardown */
}

/* AVX-512 in XFAM: the Intel host's TD sees AVX-512F; the AMD host has no such XFAM. */
static void test_avx512_per_host(void **state)
{
	struct probe pr[1] = {{.leaf = 7, .sub = 0}};
	struct td_params p;
	struct test_td td;

	(void)state;
	td_machine_teardown(NULL);
	params_xfam(&p, 0xe7);
	config_all_allowed(&p);
	run_on_host(spr, sizeof(spr) / sizeof(spr[0]), &p, pr, 1);
	assert_int_equal(pr[0].r.r[1] & (1U << 16), 1U << 16);

	host_table = milan;
	host_table_len = sizeof(milan) / sizeof(milan[0]);
	harness_host_cpuid = injected_cpuid;
	assert_int_equal(td_machine_boot(TDX_MODULE_LATEST), 0);
	harness_host_cpuid = NULL;
	assert_int_equal(td_create(&td, TD_HKID), 0);
	assert_int_equal(td_init(&td, &p), TDX_OPERAND_INVALID + TDX_OPERAND_ID_XFAM);
}

/* ---- MSRs ------------------------------------------------------------------------------ */

static struct result rdmsr_in_td(struct cpu_td *t, uint32_t msr)
{
	return run_op(t, 0, OP_RDMSR, 0, msr, 0);
}

static struct result wrmsr_in_td(struct cpu_td *t, uint32_t msr, uint64_t val)
{
	return run_op(t, 0, OP_WRMSR, (uint32_t)val, msr, val >> 32);
}

/* The outcome matches `want`: #VE with the MSR exit reason and length 2, #GP(0), or done. */
static void assert_msr_outcome(struct result r, enum msr_action want, uint32_t msr, bool write)
{
	uint64_t reason = write ? EXIT_REASON_MSR_WRITE : EXIT_REASON_MSR_READ;

	switch (want) {
	case MSR_VE:
		if (r.outcome != VE || r.r[0] != reason || r.r[1] != 0 || r.r[2] != 2)
			fail_msg("%sMSR 0x%x: outcome %llu (%llx %llx %llx), want #VE %llu len 2",
				 write ? "WR" : "RD", msr, (unsigned long long)r.outcome,
				 (unsigned long long)r.r[0], (unsigned long long)r.r[1],
				 (unsigned long long)r.r[2], (unsigned long long)reason);
		break;
	case MSR_GP:
		if (r.outcome != GP || r.r[0] != 0)
			fail_msg("%sMSR 0x%x: outcome %llu, want #GP(0)", write ? "WR" : "RD", msr,
				 (unsigned long long)r.outcome);
		break;
	default:
		if (r.outcome != DONE)
			fail_msg("%sMSR 0x%x: outcome %llu (%llx), want done", write ? "WR" : "RD",
				 msr, (unsigned long long)r.outcome, (unsigned long long)r.r[0]);
	}
}

static uint64_t msr_value(struct result r)
{
	return (uint32_t)r.r[0] | r.r[3] << 32;
}

/*
 * Every row of td_msr_rows[], its first and last MSR, read and written, in a TD with no
 * optional feature: the outcome the row gives (conditional rows #GP), and a native MSR reads
 * back what was written.
 */
static void test_msr_every_row(void **state)
{
	struct td_params p;
	struct cpu_td t;
	struct tdvps *vp;

	(void)state;
	params_xfam(&p, 0x7);
	cpu_td_build(&t, &p, 1);
	vp = tdvps_of(t.td.tdvpr[0]);
	for (unsigned int i = 0; i < td_msr_nr_rows; i++) {
		const struct td_msr_row *row = &td_msr_rows[i];
		uint32_t ends[2] = {row->first, row->last};

		for (int e = 0; e < 2; e++) {
			uint32_t msr = ends[e];
			enum msr_action rd = td_msr_action(vp, msr, false);
			enum msr_action wr = td_msr_action(vp, msr, true);
			/* #VE-reduction conditions hold while TD_CTLS.REDUCE_VE is clear */
			bool rd_gp = row->rd_cond && row->rd_cond < MSR_IF_RV_EST;
			bool wr_gp = row->wr_cond && row->wr_cond < MSR_IF_RV_EST;
			struct result r;

			assert_int_equal(rd, rd_gp ? MSR_GP : row->rd);
			assert_int_equal(wr, wr_gp ? MSR_GP : row->wr);
			if (row->rd == MSR_APIC || row->rd == MSR_VALUE || row->wr == MSR_VALUE)
				continue; /* their values: test_msr_values */
			r = rdmsr_in_td(&t, msr);
			assert_msr_outcome(r, rd, msr, false);
			r = wrmsr_in_td(&t, msr, 0x5a5a0000a5a5ULL);
			assert_msr_outcome(r, wr, msr, true);
			if (rd == MSR_NATIVE && wr == MSR_NATIVE) {
				r = rdmsr_in_td(&t, msr);
				assert_int_equal(msr_value(r), 0x5a5a0000a5a5ULL);
			}
		}
	}
}

/* The classes the 1.5 module gives, as numbers from its MSR lookup (not from the table). */
static void test_msr_classes(void **state)
{
	static const struct {
		uint32_t msr;
		enum outcome rd, wr;
	} want[] = {
		{0x10, DONE, VE},	  /* TSC: reads natively, a write is a #VE */
		{0x3a, VE, VE},		  /* FEATURE_CONTROL: not in the lookup */
		{0x3b, VE, VE},		  /* TSC_ADJUST */
		{0x48, DONE, DONE},	  /* SPEC_CTRL */
		{0x49, GP, DONE},	  /* PRED_CMD: write-only */
		{0x79, VE, VE},		  /* BIOS_UPDT_TRIG */
		{0x87, GP, GP},		  /* MKTME partitioning: no PCONFIG in the TD */
		{0x8c, GP, GP},		  /* SGXLEPUBKEYHASH0 */
		{0x9b, GP, GP},		  /* SMM_MONITOR_CTL */
		{0xc1, GP, GP},		  /* PMC0 without PERFMON */
		{0xe1, GP, GP},		  /* UMWAIT_CONTROL without WAITPKG */
		{0xfe, VE, VE},		  /* MTRRCAP */
		{0x122, GP, GP},	  /* TSX_CTRL without TSX */
		{0x1a0, DONE, VE},	  /* MISC_ENABLE */
		{0x1c4, GP, GP},	  /* XFD without AMX in XFAM */
		{0x1f8, GP, GP},	  /* DCA without CPUID DCA */
		{0x2ff, VE, VE},	  /* MTRR_DEF_TYPE */
		{0x345, DONE, GP},	  /* PERF_CAPABILITIES: 0, write #GP without PERFMON */
		{0x38f, GP, GP},	  /* PERF_GLOBAL_CTRL */
		{0x400, VE, VE},	  /* MC0_CTL */
		{0x481, VE, GP},	  /* VMX_PINBASED_CTLS */
		{0x48a, VE, GP},	  /* VMX_VMCS_ENUM */
		{0x570, GP, GP},	  /* RTIT_CTL without PT */
		{0x6a2, GP, GP},	  /* S_CET without CET */
		{0x6e0, GP, GP},	  /* TSC_DEADLINE without CPUID TSC-deadline */
		{0x6e1, GP, GP},	  /* PKRS without ATTRIBUTES.PKS */
		{0x802, VE, VE},	  /* x2APIC ID */
		{0x830, VE, VE},	  /* ICR */
		{0x880, GP, GP},	  /* reserved x2APIC */
		{0x982, GP, GP},	  /* TME_ACTIVATE without TME */
		{0x985, GP, GP},	  /* UINTR_RR without XFAM[14] */
		{0xc80, DONE, VE},	  /* DEBUG_INTERFACE */
		{0xd90, GP, GP},	  /* BNDCFGS */
		{0x14ce, GP, GP},	  /* LBR_CTL without XFAM[15] */
		{0x1b01, DONE, DONE},	  /* UARCH_MISC_CTL */
		{0x2000, VE, VE},	  /* past the bitmap */
		{0x4b564d00, VE, VE},	  /* KVM's range */
		{0xc0000083, VE, VE},	  /* CSTAR: not in the lookup */
		{0xc0000103, DONE, DONE}, /* TSC_AUX */
		{0xc0002000, VE, VE},	  /* past the high bitmap */
	};
	struct td_params p;
	struct cpu_td t;

	(void)state;
	params_xfam(&p, 0x7);
	cpu_td_build(&t, &p, 1);
	for (unsigned int i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		struct result r = rdmsr_in_td(&t, want[i].msr);

		if (r.outcome != want[i].rd)
			fail_msg("RDMSR 0x%x: outcome %llu, want %d", want[i].msr,
				 (unsigned long long)r.outcome, want[i].rd);
		r = wrmsr_in_td(&t, want[i].msr, 0);
		if (r.outcome != want[i].wr)
			fail_msg("WRMSR 0x%x: outcome %llu, want %d", want[i].msr,
				 (unsigned long long)r.outcome, want[i].wr);
	}
}

/* Values and checked writes [M td_msr_access.c, virt_msr_helpers.h]. */
static void test_msr_values(void **state)
{
	static const struct {
		uint32_t msr;
		uint64_t val;
	} reads[] = {
		{0xbd, 1},			/* XAPIC_DISABLE_STATUS: legacy xAPIC disabled */
		{0x10a, 0},			/* ARCH_CAPABILITIES as configured (none) */
		{0x1a0, 0x51809},		/* MISC_ENABLE: no perfmon, PEBS unavailable */
		{0x1d9, 0},			/* DEBUGCTL */
		{0x345, 0},			/* PERF_CAPABILITIES without PERFMON */
		{0x277, 0x0007040600070406ULL}, /* PAT */
		{0x480, 0x01c0000000000000ULL}, /* VMX_BASIC */
		{0x485, 0x600440e0},		/* VMX_MISC */
		{0x486, 0x21 & ~0x8005001fULL}, /* CR0_FIXED0 */
		{0x487, 0x8005003f},		/* CR0_FIXED1 */
		{0x488, 0x2040},		/* CR4_FIXED0 */
		{0x489, 0x2040 | (0x03ff1fbfULL & ~(1ULL << 19 | 1ULL << 22 | 1ULL << 23 |
						    1ULL << 24 | 1ULL << 25))},
		{0x48c, 0x430001},		/* EPT_VPID_CAP */
		{0x48d, 0x0000002900000029ULL}, /* TRUE_PINBASED_CTLS */
		{0x491, 0},			/* VMFUNC */
		{0x492, 0x8e},			/* PROCBASED_CTLS3 */
		{0xc0000080, 0xd01},		/* EFER: SCE, LME, LMA, NXE */
	};
	struct td_params p;
	struct cpu_td t;
	struct result r;

	(void)state;
	params_xfam(&p, 0x7);
	cpu_td_build(&t, &p, 1);
	for (unsigned int i = 0; i < sizeof(reads) / sizeof(reads[0]); i++) {
		r = rdmsr_in_td(&t, reads[i].msr);
		assert_int_equal(r.outcome, DONE);
		if (msr_value(r) != reads[i].val)
			fail_msg("RDMSR 0x%x = %llx, want %llx", reads[i].msr,
				 (unsigned long long)msr_value(r),
				 (unsigned long long)reads[i].val);
	}
	/* TSC reads run forward */
	r = rdmsr_in_td(&t, 0x10);
	assert_true(msr_value(rdmsr_in_td(&t, 0x10)) > msr_value(r));

	/* EFER: SCE may change (and LMA stays), LME may not (#VE) */
	assert_int_equal(wrmsr_in_td(&t, 0xc0000080, 0xd00).outcome, DONE);
	assert_int_equal(msr_value(rdmsr_in_td(&t, 0xc0000080)), 0xd00);
	assert_int_equal(wrmsr_in_td(&t, 0xc0000080, 0x901).outcome, DONE);
	assert_int_equal(msr_value(rdmsr_in_td(&t, 0xc0000080)), 0xd01);
	assert_msr_outcome(wrmsr_in_td(&t, 0xc0000080, 0xc01), MSR_VE, 0xc0000080, true);
	/* DEBUGCTL: reserved bits #GP, TR without BTS #VE, bit 13 kept 0 */
	assert_msr_outcome(wrmsr_in_td(&t, 0x1d9, 1ULL << 3), MSR_GP, 0x1d9, true);
	assert_msr_outcome(wrmsr_in_td(&t, 0x1d9, 1ULL << 16), MSR_GP, 0x1d9, true);
	assert_msr_outcome(wrmsr_in_td(&t, 0x1d9, 1ULL << 6), MSR_VE, 0x1d9, true);
	assert_int_equal(wrmsr_in_td(&t, 0x1d9, 1ULL << 13 | 1ULL << 1).outcome, DONE);
	assert_int_equal(msr_value(rdmsr_in_td(&t, 0x1d9)), 1ULL << 1);
	/* XSS: only supervisor components in XFAM (none here) */
	assert_msr_outcome(wrmsr_in_td(&t, 0xda0, 1ULL << 8), MSR_GP, 0xda0, true);
	assert_int_equal(wrmsr_in_td(&t, 0xda0, 0).outcome, DONE);
	/* PRED_CMD, FLUSH_CMD: bit 0 only */
	assert_int_equal(wrmsr_in_td(&t, 0x49, 1).outcome, DONE);
	assert_msr_outcome(wrmsr_in_td(&t, 0x10b, 2), MSR_GP, 0x10b, true);
	/* GS bases are the vCPU's */
	assert_int_equal(wrmsr_in_td(&t, 0xc0000102, 0x1234000).outcome, DONE);
	assert_int_equal(tdvps_of(t.td.tdvpr[0])->cpu.kernel_gs_base, 0x1234000);
	assert_int_equal(msr_value(rdmsr_in_td(&t, 0xc0000102)), 0x1234000);
	/* write-only and read-only registers */
	assert_msr_outcome(wrmsr_in_td(&t, 0x480, 0), MSR_GP, 0x480, true);
	assert_msr_outcome(wrmsr_in_td(&t, 0x10a, 0), MSR_GP, 0x10a, true);
	assert_msr_outcome(rdmsr_in_td(&t, 0x49), MSR_GP, 0x49, false);
}

/*
 * The conditional rows in a TD that has every feature (an injected Sapphire Rapids host,
 * ATTRIBUTES.PKS and PERFMON, XFAM with PT, CET, LBR and AMX, every allowed CPUID bit):
 * native MSRs read back, the GP_OR_VE ones are #VEs.
 */
static void test_msr_conditions(void **state)
{
	static const struct {
		uint32_t msr;
		enum outcome both;
	} want[] = {
		{0x87, VE},	{0xc1, DONE},	{0xe1, DONE},  {0x122, DONE}, {0x186, DONE},
		{0x1c4, DONE},	{0x1c5, DONE},	{0x1f8, VE},   {0x309, DONE}, {0x38f, DONE},
		{0x3f1, DONE},	{0x4c1, DONE},	{0x560, DONE}, {0x570, DONE}, {0x6a0, DONE},
		{0x6a8, DONE},	{0x6e0, VE},	{0x6e1, DONE}, {0x981, VE},   {0x1200, DONE},
		{0x14ce, DONE}, {0x16ff, DONE},
	};
	struct td_params p;
	struct cpu_td t;

	(void)state;
	td_machine_teardown(NULL);
	host_table = spr;
	host_table_len = sizeof(spr) / sizeof(spr[0]);
	harness_host_cpuid = injected_cpuid;
	assert_int_equal(td_machine_boot(TDX_MODULE_LATEST), 0);
	harness_host_cpuid = NULL;
	params_xfam(&p, 0x7 | 1ULL << 8 | 3ULL << 11 | 1ULL << 15 | 3ULL << 17);
	p.attributes = TDX_TD_ATTR_PKS | TDX_TD_ATTR_PERFMON;
	config_all_allowed(&p);
	cpu_td_build(&t, &p, 1);
	for (unsigned int i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		uint32_t msr = want[i].msr;
		struct result r = wrmsr_in_td(&t, msr, 0x77);

		if (r.outcome != want[i].both)
			fail_msg("WRMSR 0x%x: outcome %llu, want %d", msr,
				 (unsigned long long)r.outcome, want[i].both);
		r = rdmsr_in_td(&t, msr);
		if (r.outcome != want[i].both)
			fail_msg("RDMSR 0x%x: outcome %llu, want %d", msr,
				 (unsigned long long)r.outcome, want[i].both);
		if (want[i].both == DONE)
			assert_int_equal(msr_value(r), 0x77);
	}
	/* PERF_CAPABILITIES with PERFMON: the vCPU's; PERF_METRICS: the CPU has none, #GP */
	assert_int_equal(wrmsr_in_td(&t, 0x345, 0).outcome, DONE);
	assert_int_equal(rdmsr_in_td(&t, 0x329).outcome, GP);
	/* MISC_ENABLE with PERFMON: perfmon available, PEBS available */
	assert_int_equal(msr_value(rdmsr_in_td(&t, 0x1a0)), (0x51809 | 0x80) & ~0x1000ULL);
	/* IA32_TSX_CTRL.TSX_CPUID_CLEAR (bit 1; the loop left 0x77) hides HLE and RTM from
	 * CPUID(7,0).EBX, and TSX_CTRL stays the TD's [M td_cpuid.c] */
	assert_int_equal(cpuid_in_td(&t, 0, 7, 0).r[1] & 0x810, 0);
	assert_int_equal(wrmsr_in_td(&t, 0x122, 0).outcome, DONE);
	assert_int_equal(cpuid_in_td(&t, 0, 7, 0).r[1] & 0x810, 0x810);
	assert_int_equal(wrmsr_in_td(&t, 0x122, 2).outcome, DONE);
	assert_int_equal(cpuid_in_td(&t, 0, 7, 0).r[1] & 0x810, 0);
	assert_int_equal(wrmsr_in_td(&t, 0x122, 0).outcome, DONE);
	assert_int_equal(cpuid_in_td(&t, 0, 7, 0).r[1] & 0x810, 0x810);
	/* XSS takes the XFAM's supervisor components */
	assert_int_equal(wrmsr_in_td(&t, 0xda0, 1ULL << 8 | 3ULL << 11 | 1ULL << 15).outcome, DONE);
}

/* The machine's cpu_fms is the platform's F/M/S: leaf 1 EAX, and the only one MNG.INIT takes. */
/*
 * #VE reduction through the rows' reduction columns: TD_CTLS set as TDG.VM.WR sets it (the
 * write itself is test_td_metadata's test_tdg_vm_wr_reduce_ve). Under 1.5.01 the bits change
 * nothing, whatever TD_CTLS holds.
 */
static void reduce_ve(bool latest)
{
	struct td_params p;
	struct cpu_td t;
	struct tdcs *tdcs;
	struct result r1, r7;
	const uint32_t clear1c = 0x01040080, clear1d = 0x00405080; /* leaf 1 ECX, EDX */
	const uint32_t clear7b = 0x9000, clear7c = 0x2000, clear7d = 0x40040000;
	const uint32_t ve_leaves[] = {0x2, 0x6, 0x9, 0xc};

	params_xfam(&p, 0x7);
	config_all_allowed(&p);
	cpu_td_build(&t, &p, 1);
	tdcs = tdcs_of(tdr_of(t.td.tdr));
	assert_int_equal(tdcs->td_ctls, 0);
	for (unsigned int i = 0; i < 4; i++)
		assert_cpuid_ve(&t, 0, ve_leaves[i], 0);
	r1 = cpuid_in_td(&t, 0, 1, 0);
	r7 = cpuid_in_td(&t, 0, 7, 0);
	assert_int_equal(r1.outcome, DONE);
	assert_int_equal(r7.outcome, DONE);
	/* with every configurable bit allowed the TD has each feature reduction hides */
	assert_int_equal(r1.r[2] & clear1c, clear1c);
	assert_int_equal(r1.r[3] & clear1d, clear1d);
	assert_int_equal(r7.r[1] & clear7b, clear7b);
	assert_int_equal(r7.r[2] & clear7c, clear7c);
	assert_int_equal(r7.r[3] & clear7d, clear7d);

	tdcs->td_ctls = TD_CTLS_VIRT_CPUID2;
	if (latest)
		assert_cpuid(&t, 0x2, 0, 0x00FEFF01, 0, 0, 0);
	else
		assert_cpuid_ve(&t, 0, 0x2, 0);
	assert_cpuid_ve(&t, 0, 0x6, 0);
	assert_cpuid(&t, 1, 0, (uint32_t)r1.r[0], (uint32_t)r1.r[1], (uint32_t)r1.r[2],
		     (uint32_t)r1.r[3]);

	tdcs->td_ctls = TD_CTLS_REDUCE_VE;
	if (!latest) {
		for (unsigned int i = 0; i < 4; i++)
			assert_cpuid_ve(&t, 0, ve_leaves[i], 0);
		assert_cpuid(&t, 1, 0, (uint32_t)r1.r[0], (uint32_t)r1.r[1], (uint32_t)r1.r[2],
			     (uint32_t)r1.r[3]);
		assert_cpuid(&t, 7, 0, (uint32_t)r7.r[0], (uint32_t)r7.r[1], (uint32_t)r7.r[2],
			     (uint32_t)r7.r[3]);
		return;
	}
	assert_cpuid(&t, 0x2, 0, 0x00FEFF01, 0, 0, 0); /* REDUCE_VE includes VIRT_CPUID2 */
	assert_cpuid(&t, 0x6, 0, 0x4, 0, 0, 0);	       /* ARAT */
	assert_cpuid(&t, 0x9, 0, 0, 0, 0, 0);
	assert_cpuid(&t, 0xc, 0, 0, 0, 0, 0);
	assert_cpuid(&t, 1, 0, (uint32_t)r1.r[0], (uint32_t)r1.r[1], (uint32_t)r1.r[2] & ~clear1c,
		     (uint32_t)r1.r[3] & ~clear1d);
	assert_cpuid(&t, 7, 0, (uint32_t)r7.r[0], (uint32_t)r7.r[1] & ~clear7b,
		     (uint32_t)r7.r[2] & ~clear7c, (uint32_t)r7.r[3] & ~clear7d);
	/* topology stays a #VE: tdxsim does not enumerate it */
	assert_cpuid_ve(&t, 0, 0xb, 0);
	assert_cpuid_ve(&t, 0, 0x1f, 0);
	tdcs->td_ctls = 0;
	assert_cpuid_ve(&t, 0, 0x6, 0);
}

static void test_reduce_ve(void **state)
{
	(void)state;
	reduce_ve(true);
}

/*
 * The MSRs of the features #VE reduction takes away (MTRR, MCA, EST, TSC deadline, DCA, TME,
 * PCONFIG): #VE in a TD that has the features, #GP once REDUCE_VE is set (LATEST); under
 * 1.5.01 still #VE. SPEC_CTRL, a native MSR of no such feature, stays native.
 */
static void msr_reduce_ve(bool latest)
{
	static const uint32_t msrs[] = {0xfe,  0x179, 0x17b, 0x198, 0x199, 0x200, 0x213, 0x250,
					0x258, 0x259, 0x268, 0x26f, 0x280, 0x29f, 0x2ff, 0x400,
					0x47f, 0x6e0, 0x1f8, 0x1fa, 0x981, 0x984, 0x87};
	struct td_params p;
	struct cpu_td t;
	struct tdcs *tdcs;

	params_xfam(&p, 0x7);
	config_all_allowed(&p);
	cpu_td_build(&t, &p, 1);
	tdcs = tdcs_of(tdr_of(t.td.tdr));
	for (int pass = 0; pass < 3; pass++) {
		/* pass 0: no reduction; 1: REDUCE_VE; 2: VIRT_CPUID2 only (no MSR changes) */
		enum msr_action want = pass == 1 && latest ? MSR_GP : MSR_VE;

		tdcs->td_ctls = pass == 1 ? TD_CTLS_REDUCE_VE : pass == 2 ? TD_CTLS_VIRT_CPUID2 : 0;
		for (size_t i = 0; i < sizeof(msrs) / sizeof(msrs[0]); i++) {
			assert_msr_outcome(rdmsr_in_td(&t, msrs[i]), want, msrs[i], false);
			assert_msr_outcome(wrmsr_in_td(&t, msrs[i], 0), want, msrs[i], true);
		}
		assert_msr_outcome(wrmsr_in_td(&t, 0x48, 1), MSR_NATIVE, 0x48, true);
		assert_int_equal(msr_value(rdmsr_in_td(&t, 0x48)), 1);
	}
}

static void test_msr_reduce_ve(void **state)
{
	(void)state;
	msr_reduce_ve(true);
}

static void test_msr_reduce_ve_1_5_01(void **state)
{
	(void)state;
	msr_reduce_ve(false);
}

static int setup_1_5_01(void **state)
{
	(void)state;
	return td_machine_boot(TDX_MODULE_1_5_01);
}

static void test_reduce_ve_1_5_01(void **state)
{
	(void)state;
	reduce_ve(false);
}

static void test_machine_cpu_fms(void **state)
{
	struct machine_config cfg;
	struct td_params p;
	struct test_td td;
	struct cpu_td t;
	struct result r;

	(void)state;
	td_machine_teardown(NULL);
	machine_2s(&cfg);
	cfg.cpu_fms = 0xa06d1;
	assert_int_equal(harness_boot(&cfg), 0);
	assert_int_equal(bring_up(TDX_MODULE_LATEST, S_TDMR, 0), 0);
	td_page_alloc_reset();
	td_path = PATH_DIRECT;

	td_params_default(&p);
	p.cpuid_values[0].eax = 0x806f8;
	assert_int_equal(td_create(&td, TD_HKID + 1), 0);
	assert_int_equal(td_init(&td, &p), TDX_OPERAND_INVALID + TDX_OPERAND_ID_CPUID_CONFIG);

	p.cpuid_values[0].eax = 0xa06d1;
	cpu_td_build(&t, &p, 1);
	r = cpuid_in_td(&t, 0, 1, 0);
	assert_int_equal(r.outcome, DONE);
	assert_int_equal(r.r[0], 0xa06d1);
}

/*
 * AVX-512 on an AMD host that has it (Genoa): the TD sees AVX-512F/DQ/CD/BW/VL, and leaf 0xD
 * gives the host's own layout, as the guest's XSAVE runs there: 2432 bytes for XFAM 0xE7
 * (AMD places the AVX-512 state at 832) where Sapphire Rapids gives 2688 (at 1088).
 */
static void test_avx512_on_genoa(void **state)
{
	struct probe pr[3] = {
		{.leaf = 7, .sub = 0}, {.leaf = 0xd, .sub = 0}, {.leaf = 0xd, .sub = 5}};
	struct td_params p;

	(void)state;
	td_machine_teardown(NULL);
	params_xfam(&p, 0xe7);
	config_all_allowed(&p);
	run_on_host(genoa, sizeof(genoa) / sizeof(genoa[0]), &p, pr, 3);
	assert_int_equal(pr[0].r.r[1] & 0xd0030000, 0xd0030000);
	assert_int_equal(pr[1].r.r[0], 0xe7);
	assert_int_equal(pr[1].r.r[1], 2432);
	assert_int_equal(pr[1].r.r[2], 2432);
	assert_int_equal(pr[2].r.r[0], 64);
	assert_int_equal(pr[2].r.r[1], 832);

	run_on_host(spr, sizeof(spr) / sizeof(spr[0]), &p, pr, 3);
	assert_int_equal(pr[0].r.r[1] & 0xd0030000, 0xd0030000);
	assert_int_equal(pr[1].r.r[1], 2688);
	assert_int_equal(pr[2].r.r[1], 1088);
	assert_int_equal(td_machine_boot(TDX_MODULE_LATEST), 0); /* for the fixture's teardown */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_every_row, td_machine_setup,
						td_machine_teardown),
		cmocka_unit_test_setup_teardown(test_every_row, td_machine_setup_cpuid_rewrite,
						td_machine_teardown),
		cmocka_unit_test_setup_teardown(test_fixed_values, td_machine_setup,
						td_machine_teardown),
		cmocka_unit_test_setup_teardown(test_ve_and_ranges, td_machine_setup,
						td_machine_teardown),
		cmocka_unit_test_setup_teardown(test_apic_id_per_vcpu, td_machine_setup,
						td_machine_teardown),
		cmocka_unit_test_setup_teardown(test_config, td_machine_setup, td_machine_teardown),
		cmocka_unit_test_setup_teardown(test_config_refused, td_machine_setup,
						td_machine_teardown),
		cmocka_unit_test_setup_teardown(test_intel_and_amd_host, td_machine_setup,
						td_machine_teardown),
		cmocka_unit_test_setup_teardown(test_avx512_per_host, td_machine_setup,
						td_machine_teardown),
		cmocka_unit_test_setup_teardown(test_avx512_on_genoa, td_machine_setup,
						td_machine_teardown),
		cmocka_unit_test_setup_teardown(test_machine_cpu_fms, td_machine_setup,
						td_machine_teardown),
		cmocka_unit_test_setup_teardown(test_reduce_ve, td_machine_setup,
						td_machine_teardown),
		cmocka_unit_test_setup_teardown(test_reduce_ve, td_machine_setup_cpuid_rewrite,
						td_machine_teardown),
		cmocka_unit_test_setup_teardown(test_reduce_ve_1_5_01, setup_1_5_01,
						td_machine_teardown),
		cmocka_unit_test_setup_teardown(test_msr_reduce_ve, td_machine_setup,
						td_machine_teardown),
		cmocka_unit_test_setup_teardown(test_msr_reduce_ve_1_5_01, setup_1_5_01,
						td_machine_teardown),
		cmocka_unit_test_setup_teardown(test_msr_every_row, td_machine_setup,
						td_machine_teardown),
		cmocka_unit_test_setup_teardown(test_msr_every_row, td_machine_setup_cpuid_rewrite,
						td_machine_teardown),
		cmocka_unit_test_setup_teardown(test_msr_classes, td_machine_setup,
						td_machine_teardown),
		cmocka_unit_test_setup_teardown(test_msr_values, td_machine_setup,
						td_machine_teardown),
		cmocka_unit_test_setup_teardown(test_msr_conditions, td_machine_setup,
						td_machine_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
