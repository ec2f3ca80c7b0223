// SPDX-License-Identifier: MIT
/*
 * The TD's CPU (module/td_cpuid.c, docs/TD-CPU.md), executed inside a TD: a guest with its
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
	"	xorl %eax, %eax\n"
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
	"	movl $3, %eax\n"
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

/* Every row of the table, and every sub-leaf 0..3 of it, as the TD sees it. */
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
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
