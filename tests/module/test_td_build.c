// SPDX-License-Identifier: MIT
/*
 * A TD built by hand with SEAMCALLs and run: MNG.CREATE → KEY.CONFIG → ADDCX → INIT →
 * VP.CREATE/ADDCX/INIT → SEPT.ADD → PAGE.ADD + 16 × MR.EXTEND → FINALIZE → VP.ENTER. The
 * guest runs native instructions and TDCALLs (by opcode and through the gate), exits with
 * TDVMCALLs, is re-entered and finishes. Its MRTD is recomputed here from the byte layout
 * of docs/TDX-ABI.md §9 alone.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/evp.h>

#include "td.h"
#include "td_harness.h"
#include "tests/support/capture.h"
#include "tdx/leaves.h"

/* The leaf names for the guest code below (tdx/leaves.h): movl $TDG_VP_VEINFO_GET, %eax. */
asm(TDX_LEAVES_ASM_EQU);

#define CODE_GPA 0xFFFFF000ULL /* holds the reset vector 0xFFFFFFF0 */
#define DATA_GPA 0xFFFFE000ULL

/*
 * The guest. Position independent; the page is at CODE_GPA, its data page just below.
 * Entry registers [ABI §1.1 VP.INIT]: RBX = GPAW, RCX = R8 = 0x1234, RSI = vCPU index,
 * R9 = the tdxsim gate.
 */
extern const uint8_t guest_code[], guest_code_end[];
__asm__(".pushsection .rodata\n"
	".globl guest_code, guest_code_end\n"
	"guest_code:\n"
	"	leaq guest_code(%rip), %rsp\n" /* stack: the top of the data page */
	"	movq %r9, gate_slot(%rip)\n"
	"	movq %rcx, %r15\n"
	/* TDG.VP.INFO (opcode): RCX = GPAW */
	"	movl $TDG_VP_INFO, %eax\n"
	"	.byte 0x66, 0x0f, 0x01, 0xcc\n"
	"	movq %rcx, %r12\n"
	/* native work: R13 = 1 + 2 + ... + 1000 */
	"	xorl %r13d, %r13d\n"
	"	movl $1000, %ecx\n"
	"1:	addq %rcx, %r13\n"
	"	decq %rcx\n"
	"	jnz 1b\n"
	/* private memory: store the sum in the data page */
	"	leaq guest_code(%rip), %rax\n"
	"	movq %r13, -0x1000(%rax)\n"
	/* TDVMCALL 0x777 exposing R10-R15; RBX holds a secret that is not exposed */
	"	movl $0x5ec2e7, %ebx\n"
	"	movq %r15, %r14\n"
	"	xorl %r10d, %r10d\n"
	"	movl $0x777, %r11d\n"
	"	movl $0xfc00, %ecx\n"
	"	movl $TDG_VP_VMCALL, %eax\n"
	"	.byte 0x66, 0x0f, 0x01, 0xcc\n"
	/* back: R11 = the VMM's answer; read private memory again */
	"	leaq guest_code(%rip), %rax\n"
	"	movq -0x1000(%rax), %r14\n"
	"	movq %r11, %r12\n"
	"	incq %r12\n"
	"	movq %rbx, %r13\n"
	"	movl $0x778, %r11d\n"
	"	movl $0xfc00, %ecx\n"
	"	movl $TDG_VP_VMCALL, %eax\n"
	"	call *gate_slot(%rip)\n"
	/* last: a TDVMCALL with a bad mask (RSP selected) fails in place; report its RAX */
	"	movl $0x10, %ecx\n"
	"	movl $TDG_VP_VMCALL, %eax\n"
	"	call *gate_slot(%rip)\n"
	"	movq %rax, %r12\n"
	"	movl $0x779, %r11d\n"
	"	movl $0xfc00, %ecx\n"
	"	movl $TDG_VP_VMCALL, %eax\n"
	"	.byte 0x66, 0x0f, 0x01, 0xcc\n"
	"	ud2\n"
	"	.balign 8\n"
	"gate_slot: .quad 0\n"
	"guest_code_end:\n"
	".popsection\n");

static uint8_t code_page[4096], data_page[4096];

static void make_pages(void)
{
	td_code_page(code_page, guest_code, guest_code_end);
	memset(data_page, 0, sizeof(data_page));
	memcpy(data_page + 0x800, "tdxsim data page", 16);
}

/* MRTD from docs/TDX-ABI.md §9 only: 128-byte blocks, then the 256-byte chunks for MR.EXTEND. */
static void block(EVP_MD_CTX *c, const char *tag, uint64_t gpa)
{
	uint8_t b[128] = {0};

	memcpy(b, tag, strlen(tag));
	memcpy(b + 16, &gpa, 8);
	EVP_DigestUpdate(c, b, sizeof(b));
}

static void expected_mrtd(uint8_t out[48])
{
	static const struct {
		uint64_t gpa;
		const uint8_t *data;
	} pages[] = {{DATA_GPA, data_page}, {CODE_GPA, code_page}};
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	unsigned int len = 48;

	EVP_DigestInit_ex(c, EVP_sha384(), NULL);
	for (unsigned int p = 0; p < 2; p++) {
		block(c, "MEM.PAGE.ADD", pages[p].gpa);
		for (unsigned int i = 0; i < 16; i++) {
			block(c, "MR.EXTEND", pages[p].gpa + 256 * i);
			EVP_DigestUpdate(c, pages[p].data + 256 * i, 256);
		}
	}
	EVP_DigestFinal_ex(c, out, &len);
	EVP_MD_CTX_free(c);
}

static void build(struct test_td *td, uint64_t *code_hpa, uint64_t *data_hpa)
{
	struct td_params p;

	make_pages();
	td_params_default(&p);
	assert_int_equal(td_create(td, TD_HKID), 0);
	assert_int_equal(td_init(td, &p), 0);
	assert_int_equal(td_add_vcpu(td), 0);
	assert_int_equal(td_sept_map(td, DATA_GPA), 0);
	assert_int_equal(td_sept_map(td, CODE_GPA), 0);
	assert_int_equal(td_page_add(td, DATA_GPA, data_page, true), 0);
	*data_hpa = td->last_page;
	assert_int_equal(td_page_add(td, CODE_GPA, code_page, true), 0);
	*code_hpa = td->last_page;
	assert_int_equal(td_finalize(td), 0);
}

static uint64_t enter(struct test_td *td, unsigned int lp, struct tdx_module_args *a)
{
	a->rcx = td->tdvpr[0];
	return td_call_on(lp, TDH_VP_ENTER, a);
}

static void run_td(enum call_path path)
{
	struct test_td td;
	struct tdx_module_args a = {0};
	uint64_t code_hpa, data_hpa;
	uint8_t mrtd[48], zeros[4096] = {0};

	platform_claim_signals();
	build(&td, &code_hpa, &data_hpa);
	expected_mrtd(mrtd);
	assert_memory_equal(tdcs_of(tdr_of(td.tdr))->mrtd, mrtd, 48);

	/* The host sees zeros where the TD's pages are. */
	assert_memory_equal(hva(code_hpa), zeros, 4096);
	assert_memory_equal(hva(td.tdr), zeros, 4096);

	td_path = path;
	/* First entry: runs VP.INFO, the loop, a store, then TDVMCALL 0x777. */
	a.rbx = 0xbad;
	assert_int_equal(enter(&td, 0, &a), EXIT_REASON_TDCALL);
	assert_int_equal(a.rcx, 0xfc00);
	assert_int_equal(a.r10, 0);
	assert_int_equal(a.r11, 0x777);
	assert_int_equal(a.r12, 48);	 /* GPAW from TDG.VP.INFO */
	assert_int_equal(a.r13, 500500); /* computed natively */
	assert_int_equal(a.r14, 0x1234); /* VP.INIT's RDX, as the guest's initial RCX */
	assert_int_equal(a.r15, 0x1234);
	/* Not exposed: zero, whatever the guest holds (RBX = its secret). */
	assert_int_equal(a.rbx, 0);
	assert_int_equal(a.rdx, 0);
	assert_int_equal(a.rsi, 0);
	assert_int_equal(a.rdi, 0);
	assert_int_equal(a.r8, 0);
	assert_int_equal(a.r9, 0);

	/* Entering on another LP without VP.FLUSH: the vCPU is associated with LP 0. */
	{
		struct tdx_module_args b = {0};

		assert_int_equal(enter(&td, 1, &b), TDX_VCPU_ASSOCIATED);
	}

	/* The VMM answers in R10/R11; RBX is not exposed, so 0xbad never reaches the guest. */
	a.r10 = 0;
	a.r11 = 41;
	a.rbx = 0xbad;
	assert_int_equal(enter(&td, 0, &a), EXIT_REASON_TDCALL);
	assert_int_equal(a.r11, 0x778);
	assert_int_equal(a.r12, 42);
	assert_int_equal(a.r13, 0x5ec2e7);
	assert_int_equal(a.r14, 500500); /* read back from private memory */

	assert_int_equal(enter(&td, 0, &a), EXIT_REASON_TDCALL);
	assert_int_equal(a.r11, 0x779);
	assert_int_equal(a.r12, TDX_OPERAND_INVALID + TDX_OPERAND_ID_RCX);
}

static void test_td_run_trap(void **state)
{
	(void)state;
	run_td(PATH_TRAP);
}

static void test_td_run_gate(void **state)
{
	(void)state;
	run_td(PATH_GATE);
}

/* The same image and configuration measure the same on every build. */
static void test_tdh_mr_finalize_mrtd_stable(void **state)
{
	struct test_td td;
	uint64_t c, d;
	uint8_t first[48];

	build(&td, &c, &d);
	memcpy(first, tdcs_of(tdr_of(td.tdr))->mrtd, 48);
	/* A new machine, the same image: the same MRTD (nothing else enters the hash). */
	assert_int_equal(td_machine_teardown(state), 0);
	assert_int_equal(td_machine_setup(state), 0);
	build(&td, &c, &d);
	assert_memory_equal(tdcs_of(tdr_of(td.tdr))->mrtd, first, 48);
}

/* A host write to a private page poisons it; the TD's next access to it is fatal. */
static void test_poison(void **state)
{
	struct test_td td;
	struct tdx_module_args a = {0};
	uint64_t code_hpa, data_hpa;

	(void)state;
	platform_claim_signals();
	build(&td, &code_hpa, &data_hpa);
	td_path = PATH_GATE;
	assert_int_equal(enter(&td, 0, &a), EXIT_REASON_TDCALL);

	*(volatile uint64_t *)hva(data_hpa) = 0x1111; /* the host writes the TD's data page */
	assert_true(phys_is_poisoned(data_hpa));
	assert_int_equal(*(volatile uint64_t *)hva(data_hpa), 0x1111); /* its own write */

	a = (struct tdx_module_args){.r11 = 41};
	assert_int_equal(enter(&td, 0, &a), TDX_NON_RECOVERABLE_TD | EXIT_REASON_EXCEPTION_NMI);
	assert_int_equal(a.r8, DATA_GPA);
	assert_int_equal(a.r9, X86_TRAP_MC | (3 << 8) | (1ULL << 31));
	a = (struct tdx_module_args){0};
	assert_int_equal(enter(&td, 0, &a), TDX_TD_FATAL);
}

/* A host write to a control structure (the TDVPR): the next entry finds the TD corrupted. */
static void test_poison_tdvpr(void **state)
{
	struct test_td td;
	struct tdx_module_args a = {0};
	uint64_t code_hpa, data_hpa;

	(void)state;
	platform_claim_signals();
	build(&td, &code_hpa, &data_hpa);
	td_path = PATH_GATE;
	*(volatile uint8_t *)hva(td.tdvpr[0] + 100) = 1;
	assert_true(phys_is_poisoned(td.tdvpr[0]));
	assert_int_equal(enter(&td, 0, &a), TDX_NON_RECOVERABLE_TD_CORRUPTED_MD);
	a = (struct tdx_module_args){0};
	assert_int_equal(enter(&td, 0, &a), TDX_TD_FATAL);
}

/*
 * The module writes a host buffer with the shared KeyID, as the host would: naming a TD's
 * TDCS page as TDH.SYS.RDALL's list poisons the page and leaves the TDCS (the TD window
 * pointer with it) as it was; the TD's next entry finds it corrupted, and its teardown
 * destroys its own window. (fuzz_seamcall_seq: the list overwrote the TDCS, and the TDR's
 * reclaim destroyed a window pointer made of metadata.)
 */
static void test_host_buffer_on_tdcs(void **state)
{
	static uint8_t tdcs_before[4096];
	struct test_td td;
	struct tdx_module_args a;
	uint64_t code_hpa, data_hpa;
	struct td_window *w;

	(void)state;
	platform_claim_signals();
	build(&td, &code_hpa, &data_hpa);
	w = tdx_module_td_window(td.tdr);
	assert_non_null(w);
	memcpy(tdcs_before, phys_seam_va(td.tdcx[0]), sizeof(tdcs_before));
	assert_false(phys_is_poisoned(td.tdcx[0]));

	a = (struct tdx_module_args){.rdx = td.tdcx[0], .r8 = MD_FIELD_ID_NA};
	assert_int_equal(td_call(TDH_SYS_RDALL, &a), TDX_SUCCESS);
	assert_int_equal(a.r8, MD_FIELD_ID_NA);
	assert_true(phys_is_poisoned(td.tdcx[0]));
	assert_memory_equal(phys_seam_va(td.tdcx[0]), tdcs_before, sizeof(tdcs_before));
	assert_ptr_equal(tdx_module_td_window(td.tdr), w);
	/* The host reads back the list it was given: the first entry is not zero. */
	assert_int_not_equal(*(volatile uint64_t *)hva(td.tdcx[0]), 0);

	td_path = PATH_GATE;
	a = (struct tdx_module_args){0};
	assert_int_equal(enter(&td, 0, &a), TDX_NON_RECOVERABLE_TD_CORRUPTED_MD);
	assert_int_equal(td_teardown(&td), 0);
	assert_null(tdx_module_td_window(td.tdr));
}

/* Creation errors along the way, with their exact statuses. */
static void test_build_errors(void **state)
{
	struct test_td td;
	struct td_params p;
	struct tdx_module_args a;
	uint64_t page;

	(void)state;
	/* HKID: the global one, a shared one, out of range */
	a = (struct tdx_module_args){.rcx = td_page_alloc(), .rdx = GLOBAL_HKID};
	assert_int_equal(td_call(TDH_MNG_CREATE, &a), TDX_HKID_NOT_FREE);
	a = (struct tdx_module_args){.rcx = td_page_alloc(), .rdx = 3};
	assert_int_equal(td_call(TDH_MNG_CREATE, &a), TDX_OPERAND_INVALID + TDX_OPERAND_ID_RDX);
	a = (struct tdx_module_args){.rcx = td_page_alloc(), .rdx = 1ULL << 16 | 33};
	assert_int_equal(td_call(TDH_MNG_CREATE, &a), TDX_OPERAND_INVALID + TDX_OPERAND_ID_RDX);
	/* TDR page: misaligned, a PAMT (reserved) page */
	a = (struct tdx_module_args){.rcx = td_page_alloc() + 8, .rdx = 33};
	assert_int_equal(td_call(TDH_MNG_CREATE, &a), TDX_OPERAND_INVALID + TDX_OPERAND_ID_RCX);
	a = (struct tdx_module_args){.rcx = 1 * GiB, .rdx = 33};
	assert_int_equal(td_call(TDH_MNG_CREATE, &a),
			 TDX_PAGE_METADATA_INCORRECT + TDX_OPERAND_ID_RCX);

	assert_int_equal(td_create(&td, TD_HKID), 0);
	/* The HKID is taken now */
	a = (struct tdx_module_args){.rcx = td_page_alloc(), .rdx = TD_HKID};
	assert_int_equal(td_call(TDH_MNG_CREATE, &a), TDX_HKID_NOT_FREE);
	/* KEY.CONFIG once the keys are configured everywhere: the lifecycle moved on */
	a = (struct tdx_module_args){.rcx = td.tdr};
	assert_int_equal(td_call(TDH_MNG_KEY_CONFIG, &a), TDX_LIFECYCLE_STATE_INCORRECT);
	/* INIT before the TDCS pages */
	td_params_default(&p);
	memcpy(hva(TD_PARAMS_PA), &p, sizeof(p));
	a = (struct tdx_module_args){.rcx = td.tdr, .rdx = TD_PARAMS_PA};
	assert_int_equal(td_call(TDH_MNG_INIT, &a), TDX_TDCX_NUM_INCORRECT);

	/* TD_PARAMS fields, each named by its operand ID */
	for (unsigned int i = 0; i < 6; i++) {
		a = (struct tdx_module_args){.rcx = td_page_alloc(), .rdx = td.tdr};
		assert_int_equal(td_call(TDH_MNG_ADDCX, &a), 0);
	}
	a = (struct tdx_module_args){.rcx = td_page_alloc(), .rdx = td.tdr};
	assert_int_equal(td_call(TDH_MNG_ADDCX, &a), TDX_TDCX_NUM_INCORRECT);
	{
		static const struct {
			size_t off, size;
			uint64_t value, status;
		} bad[] = {
			{offsetof(struct td_params, attributes), 8, 1ULL << 1,
			 TDX_OPERAND_INVALID + TDX_OPERAND_ID_ATTRIBUTES},
			{offsetof(struct td_params, xfam), 8, 0, /* x87|SSE must be 1 */
			 TDX_OPERAND_INVALID + TDX_OPERAND_ID_XFAM},
			{offsetof(struct td_params, max_vcpus), 2, 0,
			 TDX_OPERAND_INVALID + TDX_OPERAND_ID_MAX_VCPUS},
			{offsetof(struct td_params, eptp_controls), 8, 0x18,
			 TDX_OPERAND_INVALID + TDX_OPERAND_ID_EPTP_CONTROLS},
			{offsetof(struct td_params, config_flags), 8, 1ULL << 3,
			 TDX_OPERAND_INVALID + TDX_OPERAND_ID_EXEC_CONTROLS},
			{offsetof(struct td_params, tsc_frequency), 2, 3,
			 TDX_OPERAND_INVALID + TDX_OPERAND_ID_TSC_FREQUENCY},
			{offsetof(struct td_params, tsc_frequency), 2, 401,
			 TDX_OPERAND_INVALID + TDX_OPERAND_ID_TSC_FREQUENCY},
			{offsetof(struct td_params, num_l2_vms), 1, 1,
			 TDX_OPERAND_INVALID + TDX_OPERAND_ID_NUM_L2_VMS},
		};

		for (unsigned int i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			struct td_params q = p;

			memcpy((uint8_t *)&q + bad[i].off, &bad[i].value, bad[i].size);
			memcpy(hva(TD_PARAMS_PA), &q, sizeof(q));
			a = (struct tdx_module_args){.rcx = td.tdr, .rdx = TD_PARAMS_PA};
			assert_int_equal(td_call(TDH_MNG_INIT, &a), bad[i].status);
		}
	}
	/* TD_PARAMS not 1024-aligned */
	a = (struct tdx_module_args){.rcx = td.tdr, .rdx = TD_PARAMS_PA + 512};
	assert_int_equal(td_call(TDH_MNG_INIT, &a), TDX_OPERAND_INVALID + TDX_OPERAND_ID_RDX);
	memcpy(hva(TD_PARAMS_PA), &p, sizeof(p));
	a = (struct tdx_module_args){.rcx = td.tdr, .rdx = TD_PARAMS_PA};
	assert_int_equal(td_call(TDH_MNG_INIT, &a), 0);
	assert_int_equal(a.rcx, 0); /* no extended error information */
	a = (struct tdx_module_args){.rcx = td.tdr, .rdx = TD_PARAMS_PA};
	assert_int_equal(td_call(TDH_MNG_INIT, &a), TDX_OP_STATE_INCORRECT);

	/* PAGE.ADD before SEPT.ADD: the walk stops at the level-3 entry */
	memset(hva(TD_SOURCE_PA), 0, 4096);
	a = (struct tdx_module_args){
		.rcx = 0x10000, .rdx = td.tdr, .r8 = td_page_alloc(), .r9 = TD_SOURCE_PA};
	assert_int_equal(td_call(TDH_MEM_PAGE_ADD, &a), TDX_EPT_WALK_FAILED + TDX_OPERAND_ID_RCX);
	assert_int_equal(a.rdx & 0x7, 3);
	/* A shared GPA */
	a = (struct tdx_module_args){.rcx = 0x10000 | (1ULL << 47),
				     .rdx = td.tdr,
				     .r8 = td_page_alloc(),
				     .r9 = TD_SOURCE_PA};
	assert_int_equal(td_call(TDH_MEM_PAGE_ADD, &a), TDX_OPERAND_INVALID + TDX_OPERAND_ID_RCX);
	/* SEPT.ADD level 0 and a misaligned GPA for level 1 */
	a = (struct tdx_module_args){.rcx = 0x10000, .rdx = td.tdr, .r8 = td_page_alloc()};
	assert_int_equal(td_call(TDH_MEM_SEPT_ADD, &a), TDX_OPERAND_INVALID + TDX_OPERAND_ID_RCX);
	a = (struct tdx_module_args){.rcx = 0x1000 | 1, .rdx = td.tdr, .r8 = td_page_alloc()};
	assert_int_equal(td_call(TDH_MEM_SEPT_ADD, &a), TDX_OPERAND_INVALID + TDX_OPERAND_ID_RCX);
	/* MR.EXTEND of an absent page; FINALIZE; then no more PAGE.ADD */
	a = (struct tdx_module_args){.rcx = 0x10000, .rdx = td.tdr};
	assert_int_equal(td_call(TDH_MR_EXTEND, &a),
			 TDX_EPT_ENTRY_NOT_PRESENT + TDX_OPERAND_ID_RCX);
	assert_int_equal(a.rdx, 3); /* the walk stopped at the free level-3 entry */
	assert_int_equal(td_sept_map(&td, 0x10000), 0);
	/* SEPT.ADD where a table is: EPT_ENTRY_STATE_INCORRECT, the entry NL_MAPPED (0x84) */
	page = td_page_alloc();
	a = (struct tdx_module_args){.rcx = 1, .rdx = td.tdr, .r8 = page};
	assert_int_equal(td_call(TDH_MEM_SEPT_ADD, &a),
			 TDX_EPT_ENTRY_STATE_INCORRECT + TDX_OPERAND_ID_RCX);
	assert_int_equal(a.rdx, 0x8401);
	assert_int_equal(pamt_entry_get(page, PT_4KB)->pt, PT_NDA);
	a = (struct tdx_module_args){.rcx = 0x10000, .rdx = td.tdr};
	assert_int_equal(td_call(TDH_MR_EXTEND, &a),
			 TDX_EPT_ENTRY_NOT_PRESENT + TDX_OPERAND_ID_RCX);
	assert_int_equal(td_page_add(&td, 0x10000, data_page, false), 0);
	assert_int_equal(td_page_add(&td, 0x10000, data_page, false),
			 TDX_EPT_ENTRY_STATE_INCORRECT + TDX_OPERAND_ID_RCX);
	a = (struct tdx_module_args){.rcx = 0x10080, .rdx = td.tdr};
	assert_int_equal(td_call(TDH_MR_EXTEND, &a), TDX_OPERAND_INVALID + TDX_OPERAND_ID_RCX);
	assert_int_equal(td_finalize(&td), 0);
	assert_int_equal(td_page_add(&td, 0x11000, data_page, false), TDX_OP_STATE_INCORRECT);
	assert_int_equal(td_finalize(&td), TDX_OP_STATE_INCORRECT);
	/* VP.CREATE after FINALIZE */
	a = (struct tdx_module_args){.rcx = td_page_alloc(), .rdx = td.tdr};
	assert_int_equal(td_call(TDH_VP_CREATE, &a), TDX_OP_STATE_INCORRECT);
}

/* vCPU leaves and TDH.VP.ENTER: each error path with its status. */
static void test_vcpu_errors(void **state)
{
	struct test_td td;
	struct td_params p;
	struct tdx_module_args a;
	uint64_t tdvpr, tdcx[5], page;

	(void)state;
	platform_claim_signals();
	td_params_default(&p);
	p.max_vcpus = 1;
	assert_int_equal(td_create(&td, TD_HKID), 0);
	/* VP.CREATE before the TDCS exists, then before MNG.INIT */
	a = (struct tdx_module_args){.rcx = td_page_alloc(), .rdx = td.tdr};
	assert_int_equal(td_call(TDH_VP_CREATE, &a), TDX_TDCS_NOT_ALLOCATED);
	for (unsigned int i = 0; i < 6; i++) {
		td.tdcx[i] = td_page_alloc();
		a = (struct tdx_module_args){.rcx = td.tdcx[i], .rdx = td.tdr};
		assert_int_equal(td_call(TDH_MNG_ADDCX, &a), 0);
	}
	a = (struct tdx_module_args){.rcx = td_page_alloc(), .rdx = td.tdr};
	assert_int_equal(td_call(TDH_VP_CREATE, &a), TDX_OP_STATE_INCORRECT);
	memcpy(hva(TD_PARAMS_PA), &p, sizeof(p));
	a = (struct tdx_module_args){.rcx = td.tdr, .rdx = TD_PARAMS_PA};
	assert_int_equal(td_call(TDH_MNG_INIT, &a), 0);
	/* RDX not a TDR; RCX a page the TD already owns */
	a = (struct tdx_module_args){.rcx = td_page_alloc(), .rdx = td.tdcx[0]};
	assert_int_equal(td_call(TDH_VP_CREATE, &a),
			 TDX_PAGE_METADATA_INCORRECT + TDX_OPERAND_ID_RDX);
	a = (struct tdx_module_args){.rcx = td.tdcx[1], .rdx = td.tdr};
	assert_int_equal(td_call(TDH_VP_CREATE, &a),
			 TDX_PAGE_METADATA_INCORRECT + TDX_OPERAND_ID_RCX);
	tdvpr = td_page_alloc();
	a = (struct tdx_module_args){.rcx = tdvpr, .rdx = td.tdr};
	assert_int_equal(td_call(TDH_VP_CREATE, &a), 0);
	/* MAX_VCPUS (1 here) is VP.INIT's check: test_td_leaves.c */
	/* VP.INIT before its TDCX pages */
	a = (struct tdx_module_args){.rcx = tdvpr, .rdx = 0};
	assert_int_equal(td_call(TDH_VP_INIT, &a), TDX_TDCX_NUM_INCORRECT);
	for (unsigned int i = 0; i < 5; i++) {
		tdcx[i] = td_page_alloc();
		a = (struct tdx_module_args){.rcx = tdcx[i], .rdx = tdvpr};
		assert_int_equal(td_call(TDH_VP_ADDCX, &a), 0);
	}
	/* VP.ADDCX with a TDR where the TDVPR belongs */
	a = (struct tdx_module_args){.rcx = td_page_alloc(), .rdx = td.tdr};
	assert_int_equal(td_call(TDH_VP_ADDCX, &a),
			 TDX_PAGE_METADATA_INCORRECT + TDX_OPERAND_ID_RDX);
	/* VP.INIT version 1: x2APIC ID must fit 32 bits; version 2 does not exist */
	a = (struct tdx_module_args){.rcx = tdvpr, .rdx = 0, .r8 = 1ULL << 32};
	assert_int_equal(td_call(TDH_VP_INIT | (1 << 16), &a),
			 TDX_OPERAND_INVALID + TDX_OPERAND_ID_R8);
	a = (struct tdx_module_args){.rcx = tdvpr, .rdx = 0};
	assert_int_equal(td_call(TDH_VP_INIT | (2 << 16), &a),
			 TDX_OPERAND_INVALID + TDX_OPERAND_ID_RAX);
	a = (struct tdx_module_args){.rcx = tdvpr, .rdx = 7, .r8 = 5};
	assert_int_equal(td_call(TDH_VP_INIT | (1 << 16), &a), 0);
	assert_int_equal(tdvps_of(tdvpr)->x2apic_id, 5);
	assert_int_equal(tdvps_of(tdvpr)->cpu.regs.gpr[REG_RCX_], 7);
	assert_int_equal(tdvps_of(tdvpr)->cpu.regs.gpr[REG_RBX_], 48);
	a = (struct tdx_module_args){.rcx = tdvpr, .rdx = 0};
	assert_int_equal(td_call(TDH_VP_INIT, &a), TDX_VCPU_STATE_INCORRECT);
	a = (struct tdx_module_args){.rcx = td_page_alloc(), .rdx = tdvpr};
	assert_int_equal(td_call(TDH_VP_ADDCX, &a), TDX_VCPU_STATE_INCORRECT);

	/* VP.ENTER: before FINALIZE, reserved RCX bits, not a TDVPR */
	td_path = PATH_GATE;
	a = (struct tdx_module_args){.rcx = tdvpr};
	assert_int_equal(td_call(TDH_VP_ENTER, &a), TDX_OP_STATE_INCORRECT);
	a = (struct tdx_module_args){.rcx = tdvpr | 1};
	assert_int_equal(td_call(TDH_VP_ENTER, &a), TDX_OPERAND_INVALID + TDX_OPERAND_ID_RCX);
	a = (struct tdx_module_args){.rcx = td.tdr};
	assert_int_equal(td_call(TDH_VP_ENTER, &a),
			 TDX_PAGE_METADATA_INCORRECT + TDX_OPERAND_ID_RCX);
	page = td_page_alloc();
	a = (struct tdx_module_args){.rcx = page};
	assert_int_equal(td_call(TDH_VP_ENTER, &a),
			 TDX_PAGE_METADATA_INCORRECT + TDX_OPERAND_ID_RCX);
	/* Unknown leaf and reserved RAX bits */
	a = (struct tdx_module_args){0};
	assert_int_equal(td_call(5 /* MEM.PAGE.RELOCATE: not emulated */, &a),
			 TDX_OPERAND_INVALID + TDX_OPERAND_ID_RAX);
	assert_int_equal(td_call(TDH_MNG_CREATE | (1ULL << 40), &a),
			 TDX_OPERAND_INVALID + TDX_OPERAND_ID_RAX);
}

/* CPUID 0x21 (the module answers "IntelTDX    "), then TDVMCALL exposing R10-R15: R12 = EBX. */
extern const uint8_t cpuid_guest[], cpuid_guest_cpuid[], cpuid_guest_end[];
__asm__(".pushsection .rodata\n"
	".globl cpuid_guest, cpuid_guest_cpuid, cpuid_guest_end\n"
	"cpuid_guest:\n"
	"	movl $0x21, %eax\n"
	"	xorl %ecx, %ecx\n"
	"cpuid_guest_cpuid:\n"
	"	cpuid\n"
	"	movl %ebx, %r12d\n"
	"	movl $0xfc00, %ecx\n"
	"	movl $TDG_VP_VMCALL, %eax\n"
	"	.byte 0x66, 0x0f, 0x01, 0xcc\n"
	"	ud2\n"
	"cpuid_guest_end:\n"
	".popsection\n");

/*
 * The window of a TD whose TDR was never reclaimed goes with the module that held it: after
 * unload, a new TD on the same TDR page gets a window of its own, whose rewritten CPUID
 * works. (A lookup of windows by TDR address found the old TD's window here.)
 */
static void test_window_not_stale_after_unload(void **state)
{
	static uint8_t code[4096];
	const size_t at = (size_t)(cpuid_guest_cpuid - cpuid_guest);
	struct test_td a, b;
	struct tdx_module_args r = {0};
	uintptr_t old_code;

	(void)state;
	platform_claim_signals();
	td_code_page(code, cpuid_guest, cpuid_guest_end);
	assert_int_equal(td_build_guest(&a, code, NULL, NULL), 0);
	assert_non_null(a.window);
	assert_ptr_equal(tdx_module_td_window(a.tdr), a.window);
	assert_null(tdx_module_td_window(a.tdvpr[0])); /* not a TDR */
	assert_null(tdx_module_td_window(a.tdr + 8));
	old_code = td_window_base(a.window) + CODE_GPA;
	assert_int_equal(((const uint8_t *)old_code)[at + 1], CPUID_REWRITTEN_BYTE);

	/* No teardown: the TDR stays the TD's until the module goes. */
	td_machine_teardown(NULL);
	assert_null(tdx_module_td_window(a.tdr));
	assert_null(td_window_lookup(old_code, NULL));

	assert_int_equal(td_machine_setup_cpuid_rewrite(NULL), 0);
	platform_claim_signals();
	assert_int_equal(td_build_guest(&b, code, NULL, NULL), 0);
	assert_int_equal(b.tdr, a.tdr);
	assert_non_null(b.window);
	assert_ptr_equal(tdx_module_td_window(b.tdr), b.window);
	assert_ptr_equal(td_window_lookup(td_window_base(b.window) + CODE_GPA + at, NULL),
			 b.window);
	td_path = PATH_GATE;
	r.rcx = b.tdvpr[0];
	assert_int_equal(td_call(TDH_VP_ENTER, &r), EXIT_REASON_TDCALL);
	assert_int_equal(r.r12, 0x65746e49); /* "Inte" */
	assert_int_equal(td_teardown(&b), 0);
	assert_null(tdx_module_td_window(b.tdr)); /* reclaimed with its TDR */
}

/*
 * PAGE.ADD maps its page into the TD's window as part of a run of contiguous adds, mapped
 * with one mmap (td_window_map_deferred) at the run's end or at MR.FINALIZE. Nothing anyone
 * can see changes: a host touch between two adds finds the page hidden in its direct map
 * and mapped in the window; a failed add in the run maps nothing; the checkers agree.
 */
#define RUN_GPA 0x200000ULL

static void build_run_start(struct test_td *td)
{
	struct td_params p;

	td_params_default(&p);
	assert_int_equal(td_create(td, TD_HKID), 0);
	assert_int_equal(td_init(td, &p), 0);
	assert_int_equal(td_add_vcpu(td), 0);
	assert_int_equal(td_sept_map(td, RUN_GPA), 0);
}

static void test_tdh_mem_page_add_run(void **state)
{
	static uint8_t page[4096];
	struct tdx_module_args a;
	struct test_td td;
	uint64_t hpa[3];
	char msg[512];
	const volatile uint8_t *va;

	(void)state;
	platform_claim_signals();
	build_run_start(&td);
	memset(page, 0xa1, sizeof(page));
	assert_int_equal(td_page_add(&td, RUN_GPA, page, false), 0);
	hpa[0] = td.last_page;

	/* The host touches the page between two adds: zeros in its direct map (private) ... */
	assert_true(phys_is_hidden(hpa[0]));
	assert_int_equal(*(const volatile uint8_t *)hva(hpa[0] + 100), 0);
	/* ... and the TD's content at its GPA in the window, as the module mapped it. */
	assert_true(td_window_is_mapped(td.window, RUN_GPA, false));
	va = td_window_va(td.window, RUN_GPA, false);
	assert_int_equal(va[100], 0xa1);

	/* A failed add (its target is the page added above): no page, no mapping. */
	a = (struct tdx_module_args){
		.rcx = RUN_GPA + 4096, .rdx = td.tdr, .r8 = hpa[0], .r9 = TD_SOURCE_PA};
	memcpy(hva(TD_SOURCE_PA), page, sizeof(page));
	assert_int_equal(td_call(TDH_MEM_PAGE_ADD, &a),
			 TDX_PAGE_METADATA_INCORRECT + TDX_OPERAND_ID_R8);
	assert_false(td_window_is_mapped(td.window, RUN_GPA + 4096, false));

	for (unsigned int i = 1; i < 3; i++) {
		memset(page, 0xa1 + i, sizeof(page));
		assert_int_equal(td_page_add(&td, RUN_GPA + i * 4096ULL, page, false), 0);
		hpa[i] = td.last_page;
		assert_true(phys_is_hidden(hpa[i]));
		assert_true(td_window_is_mapped(td.window, RUN_GPA + i * 4096ULL, false));
	}
	assert_int_equal(tdx_sept_check(msg, sizeof(msg)), 0);
	assert_int_equal(td_finalize(&td), 0);
	for (unsigned int i = 0; i < 3; i++) {
		va = td_window_va(td.window, RUN_GPA + i * 4096ULL, false);
		assert_int_equal(va[4095], 0xa1 + i);
		assert_int_equal(*(const volatile uint8_t *)hva(hpa[i]), 0);
	}
	assert_false(td_window_is_mapped(td.window, RUN_GPA + 3 * 4096ULL, false));
	assert_int_equal(tdx_sept_check(msg, sizeof(msg)), 0);
	assert_int_equal(td_teardown(&td), 0);
}

/* A TD torn down before MR.FINALIZE with its last adds not mapped yet: every page back. */
static void test_tdh_mem_page_add_run_teardown(void **state)
{
	static uint8_t page[4096];
	struct test_td td;
	uint64_t hpa[4];
	char msg[512];

	(void)state;
	platform_claim_signals();
	build_run_start(&td);
	for (unsigned int i = 0; i < 4; i++) {
		memset(page, 0x5a + i, sizeof(page));
		assert_int_equal(td_page_add(&td, RUN_GPA + i * 4096ULL, page, true), 0);
		hpa[i] = td.last_page;
	}
	assert_int_equal(tdx_sept_check(msg, sizeof(msg)), 0);
	assert_int_equal(td_teardown(&td), 0);
	assert_null(tdx_module_td_window(td.tdr));
	for (unsigned int i = 0; i < 4; i++) {
		assert_false(phys_is_hidden(hpa[i]));
		assert_int_equal(*(const volatile uint8_t *)hva(hpa[i]), 0); /* reclaimed: zeros */
	}
	assert_int_equal(tdx_pamt_check(msg, sizeof(msg)), 0);
}

/*
 * A rewritten CPUID the platform has no record of (code rewritten anywhere but where the TD
 * runs it) must not run as something else: the TD stops as for a machine check, with a
 * message, and is dead from then on.
 */
static void test_unrecorded_rewrite_is_fatal(void **state)
{
	static const uint8_t bad[] = {0x0F, CPUID_REWRITTEN_BYTE, 0x0F, 0x0B};
	static uint8_t code[4096];
	struct stderr_capture cap;
	struct test_td td;
	struct tdx_module_args r = {0};
	char msg[512], expect[512];

	(void)state;
	platform_claim_signals();
	td_code_page(code, bad, bad + sizeof(bad));
	assert_int_equal(td_build_guest(&td, code, NULL, NULL), 0);
	td_path = PATH_GATE;
	r.rcx = td.tdvpr[0];
	assert_int_equal(stderr_capture_start(&cap), 0);
	assert_int_equal(td_call(TDH_VP_ENTER, &r),
			 TDX_NON_RECOVERABLE_TD | EXIT_REASON_EXCEPTION_NMI);
	stderr_capture_end(&cap, msg, sizeof(msg));
	assert_int_equal(r.r9, X86_TRAP_MC | (3 << 8) | (1ULL << 31));
	assert_int_equal(r.r8, 0);
	snprintf(expect, sizeof(expect),
		 "tdxsim: CPUID rewritten where the platform has no record of it (0F 07: code "
		 "rewritten away from the TD window, or a guest SYSRET) at RIP 0x%llx on LP 0x0\n",
		 (unsigned long long)(td_window_base(td.window) + CODE_GPA));
	assert_string_equal(msg, expect);
	r = (struct tdx_module_args){.rcx = td.tdvpr[0]};
	assert_int_equal(td_call(TDH_VP_ENTER, &r), TDX_TD_FATAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_td_run_trap, td_machine_setup,
						td_machine_teardown),
		cmocka_unit_test_setup_teardown(test_td_run_gate, td_machine_setup,
						td_machine_teardown),
		cmocka_unit_test_setup_teardown(test_tdh_mr_finalize_mrtd_stable, td_machine_setup,
						td_machine_teardown),
		cmocka_unit_test_setup_teardown(test_poison, td_machine_setup, td_machine_teardown),
		cmocka_unit_test_setup_teardown(test_poison_tdvpr, td_machine_setup,
						td_machine_teardown),
		cmocka_unit_test_setup_teardown(test_host_buffer_on_tdcs, td_machine_setup,
						td_machine_teardown),
		cmocka_unit_test_setup_teardown(test_build_errors, td_machine_setup,
						td_machine_teardown),
		cmocka_unit_test_setup_teardown(test_vcpu_errors, td_machine_setup,
						td_machine_teardown),
		cmocka_unit_test_setup_teardown(test_tdh_mem_page_add_run, td_machine_setup,
						td_machine_teardown),
		cmocka_unit_test_setup_teardown(test_tdh_mem_page_add_run_teardown,
						td_machine_setup, td_machine_teardown),
		cmocka_unit_test_setup_teardown(test_window_not_stale_after_unload,
						td_machine_setup_cpuid_rewrite,
						td_machine_teardown),
		cmocka_unit_test_setup_teardown(test_unrecorded_rewrite_is_fatal,
						td_machine_setup_cpuid_rewrite,
						td_machine_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
