// SPDX-License-Identifier: MIT
/*
 * tests/abi: the ABI headers' helpers against exact, hand-computed values,
 * and against the same helpers compiled as freestanding guest code.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "tdx/tdx.h"
#include "tdxsim/boot.h"

#include "freestanding.h"

static void test_leaf_word(void **state)
{
	(void)state;
	assert_int_equal(TDH_VP_ENTER, 0);
	assert_int_equal(TDH_MEM_PAGE_ADD, 2);
	assert_int_equal(TDH_SYS_LP_INIT, 35);
	assert_int_equal(TDH_PHYMEM_PAGE_RECLAIM, 28);
	assert_int_equal(TDH_SYS_CONFIG, 45);
	assert_int_equal(TDG_VP_VEINFO_GET, 3);
	assert_int_equal(TDG_MEM_PAGE_ACCEPT, 6);
	assert_int_equal(TDG_VP_INVVPID, 27);

	assert_int_equal(tdx_leaf_word(TDH_VP_INIT, 1), 0x10016);
	assert_int_equal(tdx_leaf_word(TDG_VM_RD, 1), 0x10007);
	assert_int_equal(tdx_leaf_of(0x10016), TDH_VP_INIT);
	assert_int_equal(tdx_leaf_version(0x10016), 1);
	assert_int_equal(tdx_leaf_of(0x00FF0022), TDH_SYS_RD);
	assert_int_equal(tdx_leaf_version(0x00FF0022), 0xFF);
	assert_false(tdx_leaf_reserved_set(0x00FFFFFF));
	assert_true(tdx_leaf_reserved_set(0x01000000));
	assert_true(tdx_leaf_reserved_set(1ULL << 63));

	static const unsigned char seamcall[] = {TDX_SEAMCALL_BYTES};
	static const unsigned char tdcall[] = {TDX_TDCALL_BYTES};
	static const unsigned char want_seamcall[] = {0x66, 0x0f, 0x01, 0xcf};
	static const unsigned char want_tdcall[] = {0x66, 0x0f, 0x01, 0xcc};
	assert_int_equal(sizeof(seamcall), TDX_INSN_LEN);
	assert_memory_equal(seamcall, want_seamcall, 4);
	assert_memory_equal(tdcall, want_tdcall, 4);
}

/* One list, three spellings: the number, the C identifier and Intel's name agree everywhere. */
static void check_leaf(unsigned int nr, unsigned int id, const char *ident, const char *intel,
		       const char *(*name)(unsigned int))
{
	char want[64];

	assert_int_equal(nr, id);
	assert_string_equal(name(nr), intel);
	assert_true(strlen(intel) < sizeof(want));
	for (size_t i = 0; i <= strlen(intel); i++)
		want[i] = intel[i] == '.' ? '_' : intel[i];
	assert_string_equal(ident, want);
}

/* The leaves as the assembler sees them: TDX_LEAVES_ASM_EQU in top-level asm. */
uint64_t abi_asm_leaves(void);
asm(TDX_LEAVES_ASM_EQU "	.text\n"
		       "	.globl abi_asm_leaves\n"
		       "abi_asm_leaves:\n"
		       "	movl $TDG_VP_VEINFO_GET, %eax\n"
		       "	shlq $8, %rax\n"
		       "	orq $TDH_MEM_PAGE_ADD, %rax\n"
		       "	shlq $8, %rax\n"
		       "	orq $TDDEBUGCONFIG, %rax\n"
		       "	ret\n");

static void test_leaf_names(void **state)
{
	unsigned int n = 0;

	(void)state;
#define CHECK_SEAMCALL(nr, id, str) check_leaf(nr, id, #id, str, tdx_seamcall_leaf_name), n++;
#define CHECK_TDCALL(nr, id, str)   check_leaf(nr, id, #id, str, tdx_tdcall_leaf_name), n++;
	TDX_SEAMCALL_LEAVES(CHECK_SEAMCALL)
	TDX_TDCALL_LEAVES(CHECK_TDCALL)
	assert_int_equal(n, 70 + 21);

	assert_string_equal(tdx_seamcall_leaf_name(TDH_MNG_CREATE), "TDH.MNG.CREATE");
	assert_string_equal(tdx_tdcall_leaf_name(TDG_VP_VEINFO_GET), "TDG.VP.VEINFO.GET");
	assert_null(tdx_seamcall_leaf_name(46));
	assert_null(tdx_seamcall_leaf_name(0x10000));
	assert_null(tdx_tdcall_leaf_name(13));
	assert_int_equal(abi_asm_leaves(), 0x0302FE);
}

static void test_status_fields(void **state)
{
	(void)state;
	uint64_t s = TDX_OPERAND_BUSY | TDX_OPERAND_ID_RCX;

	assert_true(s == 0x8000020000000001ULL);
	assert_int_equal(tdx_status_class(s), 0x02);
	assert_int_equal(tdx_status_details_l1(s), 0x00);
	assert_int_equal(tdx_status_operand(s), TDX_OPERAND_ID_RCX);
	assert_true(tdx_status_code(s) == TDX_OPERAND_BUSY);
	assert_true(tdx_status_is_error(s));
	assert_false(tdx_status_is_non_recoverable(s));
	assert_false(tdx_status_is_fatal(s));
	assert_false(tdx_status_host_recoverability_hint(s));
	assert_false(tdx_status_is_sw_error(s));

	/* Unknown leaf / reserved RAX bits. */
	s = tdx_status_with_operand(TDX_OPERAND_INVALID, TDX_OPERAND_ID_RAX);
	assert_true(s == 0xC000010000000000ULL);
	assert_true(tdx_status_is_non_recoverable(s));
	assert_int_equal(tdx_status_class(s), 0x01);

	/* Busy on an internal object. */
	s = TDX_OPERAND_BUSY | TDX_OPERAND_ID_KET;
	assert_int_equal(tdx_status_operand(s), 0xBB);
	assert_int_equal(TDX_OPERAND_ID_KOT, 0xBA);
	assert_int_equal(TDX_OPERAND_ID_SYS, 0xB8);
	assert_int_equal(TDX_OPERAND_ID_TDMR, 0xB9);
	assert_int_equal(TDX_OPERAND_ID_WBCACHE, 0xBC);
	assert_int_equal(TDX_OPERAND_ID_RTMR, 0xA8);
	assert_int_equal(TDX_OPERAND_ID_METADATA_FIELD, 0xB0);
	assert_int_equal(TDX_OPERAND_ID_TDR, 0x80);
	assert_int_equal(TDX_OPERAND_ID_ATTRIBUTES, 64);
	assert_int_equal(TDX_OPERAND_ID_R15, 15);

	/* Warnings: not errors, operand carries the level. */
	s = TDX_PAGE_ALREADY_ACCEPTED + TDX_PS_2M;
	assert_true(s == 0x00000B0A00000001ULL);
	assert_false(tdx_status_is_error(s));
	assert_int_equal(tdx_status_class(s), 0x0B);
	assert_int_equal(tdx_status_details_l1(s), 0x0A);
	assert_int_equal(tdx_status_operand(s), 1);
	assert_false(tdx_status_is_error(TDX_KEY_CONFIGURED));
	assert_false(tdx_status_is_error(TDX_TDMR_ALREADY_INITIALIZED));
	assert_false(tdx_status_is_error(TDX_METADATA_FIRST_FIELD_ID_IN_CONTEXT));
	assert_true(TDX_METADATA_FIRST_FIELD_ID_IN_CONTEXT == 0x00000C0B00000000ULL);

	/* SYS.CONFIG details: byte 0 TDMR index, byte 1 reserved-area index. */
	s = TDX_NON_ORDERED_RESERVED_IN_TDMR | (5 << 8) | 3;
	assert_int_equal(tdx_status_operand(s) & 0xFF, 3);
	assert_int_equal((tdx_status_operand(s) >> 8) & 0xFF, 5);
	assert_int_equal(tdx_status_class(s), 0x0A);
	assert_int_equal(tdx_status_details_l1(s), 0x21);

	/* Fatal and non-recoverable flags; Linux's values lack bit 61. */
	s = TDX_NON_RECOVERABLE_TD_WRONG_APIC_MODE;
	assert_true(tdx_status_is_error(s));
	assert_true(tdx_status_is_non_recoverable(s));
	assert_true(tdx_status_is_fatal(s));
	assert_false(tdx_status_is_error(TDX_LINUX_NON_RECOVERABLE_TD_WRONG_APIC_MODE));
	assert_true((TDX_NON_RECOVERABLE_TD ^ TDX_LINUX_NON_RECOVERABLE_TD) == TDX_FATAL);
	assert_true((TDX_NON_RECOVERABLE_TD_WRONG_APIC_MODE ^
		     TDX_LINUX_NON_RECOVERABLE_TD_WRONG_APIC_MODE) == TDX_ERROR);
	assert_false(tdx_status_is_error(TDX_NON_RECOVERABLE_VCPU));
	assert_true(tdx_status_is_non_recoverable(TDX_NON_RECOVERABLE_VCPU));
	assert_true(tdx_status_is_fatal(TDX_TD_FATAL));
	assert_int_equal(tdx_status_class(TDX_TD_FATAL), 0x06);
	assert_int_equal(tdx_status_details_l1(TDX_TD_FATAL), 0x04);
	assert_true(tdx_status_host_recoverability_hint(TDX_CROSS_TD_TRAP));

	assert_true(TDX_SEAMCALL_STATUS_MASK == 0xFFFFFFFF00000000ULL);
	assert_true(TDX_SYS_NOT_READY == 0xC000050500000000ULL);
	assert_true(TDX_HKID_NOT_FREE == 0xC000082000000000ULL);
	assert_true(TDX_NO_VALID_VE_INFO == 0xC000070400000000ULL);
}

static void test_sw_codes(void **state)
{
	(void)state;
	assert_true(TDX_SW_ERROR == 0x8000FF0000000000ULL);
	assert_true(TDX_SEAMCALL_VMFAILINVALID == 0x8000FF00FFFF0000ULL);
	assert_true(TDX_SEAMCALL_GP == 0x8000FF000000000DULL);
	assert_true(TDX_SEAMCALL_UD == 0x8000FF0000000006ULL);
	assert_true(tdx_status_is_sw_error(TDX_SEAMCALL_VMFAILINVALID));
	assert_true(tdx_status_is_sw_error(TDX_SEAMCALL_GP));
	assert_true(tdx_status_is_sw_error(TDX_SEAMCALL_UD));
	assert_int_equal(tdx_status_class(TDX_SEAMCALL_UD), 0xFF);
	assert_int_equal(tdx_status_operand(TDX_SEAMCALL_GP), X86_TRAP_GP);
	assert_int_equal(tdx_status_operand(TDX_SEAMCALL_UD), X86_TRAP_UD);
	assert_false(tdx_status_is_sw_error(TDX_OPERAND_INVALID));
	assert_false(tdx_status_is_sw_error(TDX_NON_RECOVERABLE_TD_WRONG_APIC_MODE));
}

static const uint64_t global_ids[] = {
	MD_FIELD_ID_NUM_PKGS,
	MD_FIELD_ID_PKG_FMS,
	MD_FIELD_ID_VENDOR_ID,
	MD_FIELD_ID_BUILD_DATE,
	MD_FIELD_ID_BUILD_NUM,
	MD_FIELD_ID_MINOR_VERSION,
	MD_FIELD_ID_MAJOR_VERSION,
	MD_FIELD_ID_UPDATE_VERSION,
	MD_FIELD_ID_INTERNAL_VERSION,
	MD_FIELD_ID_SYS_ATTRIBUTES,
	MD_FIELD_ID_NUM_TDX_FEATURES,
	MD_FIELD_ID_TDX_FEATURES0,
	MD_FIELD_ID_NUM_CMRS,
	MD_FIELD_ID_CMR_BASE,
	MD_FIELD_ID_CMR_SIZE,
	MD_FIELD_ID_MAX_TDMRS,
	MD_FIELD_ID_MAX_RESERVED_PER_TDMR,
	MD_FIELD_ID_PAMT_4K_ENTRY_SIZE,
	MD_FIELD_ID_PAMT_2M_ENTRY_SIZE,
	MD_FIELD_ID_PAMT_1G_ENTRY_SIZE,
	MD_FIELD_ID_TDR_BASE_SIZE,
	MD_FIELD_ID_TDCS_BASE_SIZE,
	MD_FIELD_ID_TDCS_SIZE_PER_L2_VM,
	MD_FIELD_ID_TDVPS_BASE_SIZE,
	MD_FIELD_ID_TDVPS_SIZE_PER_L2_VM,
	MD_FIELD_ID_ATTRIBUTES_FIXED0,
	MD_FIELD_ID_ATTRIBUTES_FIXED1,
	MD_FIELD_ID_XFAM_FIXED0,
	MD_FIELD_ID_XFAM_FIXED1,
	MD_FIELD_ID_NUM_CPUID_CONFIG,
	MD_FIELD_ID_CONFIG_FLAGS_FIXED0,
	MD_FIELD_ID_CONFIG_FLAGS_FIXED1,
	MD_FIELD_ID_MAX_VCPUS_PER_TD,
	MD_FIELD_ID_CPUID_CONFIG_LEAVES,
	MD_FIELD_ID_CPUID_CONFIG_VALUES,
	MD_FIELD_ID_IA32_ARCH_CAPABILITIES_CONFIG_MASK,
};

static void test_field_id_decode(void **state)
{
	(void)state;
	uint64_t id = MD_FIELD_ID_MAX_TDMRS;

	assert_true(id == 0x9100000100000008ULL);
	assert_int_equal(md_field_id_field_code(id), 8);
	assert_int_equal(md_field_id_element_size_code(id), MD_FIELD_ID_ELEMENT_SIZE_16BIT);
	assert_int_equal(md_field_id_element_size(id), 2);
	assert_int_equal(md_field_id_last_element(id), 0);
	assert_int_equal(md_field_id_last_field(id), 0);
	assert_false(md_field_id_inc_size(id));
	assert_false(md_field_id_write_mask_valid(id));
	assert_int_equal(md_field_id_context(id), MD_CTX_SYS);
	assert_int_equal(md_field_id_class(id), MD_SYS_TDMR_INFO_CLASS_CODE);
	assert_int_equal(md_field_id_class(id), 17);
	assert_true(md_field_id_non_arch(id));

	id = MD_FIELD_ID_TDX_FEATURES0;
	assert_int_equal(md_field_id_element_size(id), 8);
	assert_int_equal(md_field_id_class(id), MD_SYS_TDX_MODULE_INFO_CLASS_CODE);
	assert_false(md_field_id_non_arch(id));

	id = MD_FIELD_ID_CPUID_CONFIG_LEAVES;
	assert_int_equal(md_field_id_field_code(id), 0x400);
	assert_int_equal(md_field_id_class(id), MD_SYS_TD_CONFIGURABILITY_CLASS_CODE);

	/* TD-scope fields a guest uses. */
	id = TDCS_CONFIG_FLAGS;
	assert_int_equal(md_field_id_context(id), MD_CTX_TD);
	assert_int_equal(md_field_id_class(id), 0x11);
	assert_int_equal(md_field_id_element_size(id), 8);
	assert_int_equal(md_field_id_field_code(id), 0x16);
	assert_false(md_field_id_non_arch(id));
	id = TDCS_TD_CTLS;
	assert_int_equal(md_field_id_field_code(id), 0x17);
	assert_int_equal(md_field_id_context(id), MD_CTX_TD);
	/* Linux's IDs for these two carry context 0 and size code 0 (see metadata.h). */
	id = TDCS_NOTIFY_ENABLES;
	assert_true(md_field_id_non_arch(id));
	assert_int_equal(md_field_id_class(id), 0x11);
	assert_int_equal(md_field_id_context(id), MD_CTX_SYS);
	assert_int_equal(md_field_id_element_size(id), 1);
	assert_int_equal(md_field_id_field_code(id), 0x10);
	assert_int_equal(md_field_id_field_code(TDCS_TOPOLOGY_ENUM_CONFIGURED), 0x19);

	/* Arrays. */
	assert_true(md_field_id_cmr_base(3) == 0x9000000300000083ULL);
	assert_true(md_field_id_cmr_size(31) == 0x900000030000011FULL);
	assert_true(md_field_id_cpuid_config_leaves(11) == 0x990000030000040BULL);
	assert_true(md_field_id_cpuid_config_values(3, 1) == 0x9900000300000507ULL);
	assert_true(md_field_id_cpuid_config_values(0, 0) == MD_FIELD_ID_CPUID_CONFIG_VALUES);

	/* Null ID, with or without context bits. */
	assert_true(MD_FIELD_ID_NA == 0xFFFFFFFFFFFFFFFFULL);
	assert_true(md_field_id_is_null(MD_FIELD_ID_NA));
	assert_true(md_field_id_is_null(MD_FIELD_ID_NA & ~MD_FIELD_ID_CONTEXT_MASK));
	assert_false(md_field_id_is_null(MD_FIELD_ID_MAX_TDMRS));
}

static void test_field_id_round_trip(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(global_ids) / sizeof(global_ids[0]); i++) {
		uint64_t id = global_ids[i];
		uint64_t built = md_field_id_make(
			md_field_id_non_arch(id), md_field_id_class(id), md_field_id_context(id),
			md_field_id_element_size_code(id), md_field_id_field_code(id));

		built = md_field_id_set_last_element(built, md_field_id_last_element(id));
		built = md_field_id_set_last_field(built, md_field_id_last_field(id));
		assert_true(built == id);
		assert_int_equal(md_field_id_context(id), MD_CTX_SYS);
		assert_int_equal(id & MD_FIELD_ID_RESERVED_MASK, 0);
	}

	uint64_t id = md_field_id_make(true, 0x11, MD_CTX_SYS, MD_FIELD_ID_ELEMENT_SIZE_16BIT, 8);
	assert_true(id == MD_FIELD_ID_MAX_TDMRS);
	id = md_field_id_make(false, 0x11, MD_CTX_TD, MD_FIELD_ID_ELEMENT_SIZE_64BIT, 0x16);
	assert_true(id == TDCS_CONFIG_FLAGS);
	assert_true(md_field_id_set_context(TDCS_CONFIG_FLAGS, MD_CTX_VP) == 0x1120000300000016ULL);

	id = md_field_id_set_last_element(MD_FIELD_ID_CMR_BASE, 15);
	assert_int_equal(md_field_id_last_element(id), 15);
	id = md_field_id_set_last_field(id, 511);
	assert_int_equal(md_field_id_last_field(id), 511);
	assert_int_equal(md_field_id_last_element(id), 15);
	assert_int_equal(md_field_id_field_code(id), 0x80);
	assert_true((id | MD_FIELD_ID_INC_SIZE | MD_FIELD_ID_WRITE_MASK_VALID) ==
		    (id | 0x000C000000000000ULL));
	assert_true(md_field_id_inc_size(id | MD_FIELD_ID_INC_SIZE));
	assert_true(md_field_id_write_mask_valid(id | MD_FIELD_ID_WRITE_MASK_VALID));

	assert_true(TDX_FEATURES0_NO_RBP_MOD == (1ULL << 18));
	assert_true(TD_CTLS_LOCK == (1ULL << 63));
	assert_true(TD_CTLS_PENDING_VE_DISABLE == 1);
	assert_true(TDCS_CONFIG_FLEXIBLE_PENDING_VE == TDX_CONFIG_FLAGS_FLEXIBLE_PENDING_VE);
}

static void test_io_qualification(void **state)
{
	(void)state;
	/* OUT DX, AL to 0x3F8. */
	uint64_t q = 0x03F80000;
	assert_int_equal(tdx_io_qual_size(q), 1);
	assert_false(tdx_io_qual_is_in(q));
	assert_false(tdx_io_qual_is_string(q));
	assert_int_equal(tdx_io_qual_port(q), 0x3F8);

	/* IN EAX, DX from 0xCFC. */
	q = 0x0CFC000B;
	assert_int_equal(tdx_io_qual_size(q), 4);
	assert_true(tdx_io_qual_is_in(q));
	assert_false(tdx_io_qual_is_imm(q));
	assert_int_equal(tdx_io_qual_port(q), 0xCFC);
	assert_true(tdx_io_qual_make(4, true, false, false, false, 0xCFC) == q);

	/* REP INSB from 0x60. */
	q = 0x00600038;
	assert_int_equal(tdx_io_qual_size(q), 1);
	assert_true(tdx_io_qual_is_in(q));
	assert_true(tdx_io_qual_is_string(q));
	assert_true(tdx_io_qual_is_rep(q));
	assert_true(tdx_io_qual_make(1, true, true, true, false, 0x60) == q);

	/* IN AX, 0x61 (immediate port). */
	q = tdx_io_qual_make(2, true, false, false, true, 0x61);
	assert_true(q == 0x00610049);
	assert_int_equal(tdx_io_qual_size(q), 2);
	assert_true(tdx_io_qual_is_imm(q));
	assert_int_equal(tdx_io_qual_port(0xFFFF0000), 0xFFFF);

	assert_int_equal(X86_TRAP_VE, 20);
	assert_int_equal(EXIT_REASON_IO_INSTRUCTION, 30);
	assert_int_equal(EXIT_REASON_EPT_VIOLATION, 48);
	assert_int_equal(EXIT_REASON_TDCALL, 77);
	assert_int_equal(sizeof(struct ve_info), 128);
	assert_int_equal(offsetof(struct ve_info, instruction_info), 40);
}

static void test_ghci(void **state)
{
	(void)state;
	assert_int_equal(TDVMCALL_EXPOSE_REGS_MASK, 0xFFCC);
	assert_int_equal(TDVMCALL_EXPOSE_REGS_MASK & TDVMCALL_GPR_FORBIDDEN, 0);
	assert_int_equal(TDX_HYPERCALL_STANDARD, 0);
	assert_int_equal(TDVMCALL_GET_TD_VM_CALL_INFO, 0x10000);
	assert_int_equal(TDVMCALL_SETUP_EVENT_NOTIFY_INTERRUPT, 0x10004);
	assert_int_equal(TDVMCALL_INSTRUCTION_IO, EXIT_REASON_IO_INSTRUCTION);
	assert_int_equal(TDVMCALL_VE_REQUEST_MMIO, EXIT_REASON_EPT_VIOLATION);
	assert_true(TDVMCALL_STATUS_INVALID_OPERAND == 0x8000000000000000ULL);
	assert_true(TDVMCALL_STATUS_SUBFUNC_UNSUPPORTED == 0x8000000000000003ULL);
	assert_int_equal(strlen(TDX_IDENT), 12);
}

static void test_td_helpers(void **state)
{
	(void)state;
	uint64_t w = tdx_gpa_level(0x1234567000ULL, TDX_PS_2M);

	assert_true(w == 0x1234567001ULL);
	assert_true(tdx_gpa_level_gpa(w) == 0x1234567000ULL);
	assert_int_equal(tdx_gpa_level_level(w), TDX_PS_2M);
	assert_false(tdx_gpa_level_reserved_set(w));
	assert_true(tdx_gpa_level_reserved_set(w | (1ULL << 52)));
	assert_true(tdx_gpa_level_reserved_set(w | (1ULL << 3)));
	assert_true(tdx_gpa_level(0xFFFFFFFFFFFFFFFFULL, 0) == 0x000FFFFFFFFFF000ULL);
	assert_true(tdx_ps_bytes(TDX_PS_4K) == 4096);
	assert_true(tdx_ps_bytes(TDX_PS_2M) == 2ULL << 20);
	assert_true(tdx_ps_bytes(TDX_PS_1G) == 1ULL << 30);

	assert_true(tdx_eptp_controls(TDX_EPTP_MT_WB, 4) == 0x1E);
	assert_true(tdx_eptp_controls(TDX_EPTP_MT_WB, 5) == 0x26);
	assert_int_equal(tdx_eptp_levels(0x1E), 4);
	assert_int_equal(tdx_config_gpaw(TDX_CONFIG_FLAGS_GPAW), 52);
	assert_int_equal(tdx_config_gpaw(0), 48);
	assert_true(tdx_shared_bit(52) == 1ULL << 51);
	assert_true(tdx_shared_bit(48) == 1ULL << 47);

	assert_true(TDX_TD_ATTR_SEPT_VE_DISABLE == 0x10000000ULL);
	assert_true(TDX_1_5_ATTRIBUTES_FIXED0 == 0x8000000070000001ULL);

	uint64_t msr = (62ULL << 32) | 1;
	assert_int_equal(tdx_keyid_part_nr_mktme(msr), 1);
	assert_int_equal(tdx_keyid_part_nr_tdx(msr), 62);
	assert_int_equal(MSR_IA32_MKTME_KEYID_PARTITIONING, 0x87);

	assert_int_equal(strlen(TDX_MR_TAG_MEM_PAGE_ADD), 12);
	assert_int_equal(strlen(TDX_MR_TAG_MR_EXTEND), 9);
	assert_true(strlen(TDX_MR_TAG_MEM_PAGE_ADD) < TDX_MR_TAG_SIZE);
	assert_int_equal(4096 / TDX_EXTENDMR_CHUNKSIZE, 16);
	assert_int_equal(PT_EPT, 8);
	assert_int_equal(SYS_SHUTDOWN, 4);
}

static void test_structs(void **state)
{
	(void)state;
	assert_int_equal(sizeof(struct tdmr_info), 320);
	assert_true(sizeof(struct tdmr_info) <= TDMR_INFO_ALIGNMENT);
	assert_int_equal(sizeof(struct cmr_info) * MAX_CMR, 512);
	assert_int_equal(sizeof(struct td_sys_info), 1024);
	assert_int_equal(sizeof(struct td_params), 1024);
	assert_int_equal(TD_PARAMS_MAX_CPUID_VALUES, 48);
	assert_int_equal(sizeof(struct tdreport), 1024);
	assert_int_equal(offsetof(struct tdreport, tdinfo.rtmr[3]), 720 + 3 * 48);
	assert_int_equal(offsetof(struct tdreport, tee_tcb_info.tee_tcb_svn), 264);
	assert_int_equal(_Alignof(struct tdreport), 8);
	assert_int_equal(sizeof(struct tdx_module_args), 13 * 8);
	assert_int_equal(offsetof(struct tdx_module_args, rsi), TDX_MODULE_ARGS_RSI);
}

static void test_freestanding_agrees(void **state)
{
	(void)state;
	struct tdx_module_args args = {.rsi = 0x1122334455667788ULL};

	assert_true(abi_fs_status_code() == TDX_OPERAND_BUSY);
	assert_int_equal(abi_fs_field_code(), 8);
	assert_int_equal(abi_fs_io_size(0x0CFC000B), 4);
	assert_true(abi_fs_args_rsi(&args) == args.rsi);
	assert_int_equal(abi_fs_sizeof_tdreport(), sizeof(struct tdreport));
	assert_true(abi_fs_boot_opts(TDXSIM_BOOT_OPT_MMIO_TDVMCALL) == 0x5444585300000002ULL);
}

/* The boot protocol's values, as docs/GUEST.md and docs/VMM.md give them. */
static void test_boot_protocol(void **state)
{
	(void)state;
	assert_true(TDXSIM_WINDOW_SIZE == 1ULL << 36);
	assert_true(TDXSIM_BOOT_OPTS(TDXSIM_BOOT_OPT_IO_TDVMCALL | TDXSIM_BOOT_OPT_MMIO_TDVMCALL) ==
		    0x5444585300000003ULL);
	assert_true(TDXSIM_BOOT_OPTS(0xFFFFFFFFFULL) == 0x54445853FFFFFFFFULL);
	assert_true(TDXSIM_BOOT_OPTS_VALID(0x5444585300000000ULL));
	assert_false(TDXSIM_BOOT_OPTS_VALID(0x0000000000000003ULL));
	assert_false(TDXSIM_BOOT_OPTS_VALID(0x5444585200000003ULL));
	assert_int_equal(TDXSIM_BOOT_REG_OPTS, 1); /* RCX in encoding order */
	assert_int_equal(TDXSIM_BOOT_REG_GATE, 9); /* R9 */
	assert_int_equal(TDXSIM_EXIT_PORT, 0xF4);
	assert_int_equal(TDXSIM_PM1A_CNT_PORT, 0x604);
	assert_int_equal(TDXSIM_PM1A_SLP_EN, 1 << 13);
	assert_int_equal(TDXSIM_COM1_PORT, 0x3F8);
	assert_int_equal(TDXSIM_COM1_IRQ_VECTOR, 0x24);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_leaf_word),
		cmocka_unit_test(test_leaf_names),
		cmocka_unit_test(test_status_fields),
		cmocka_unit_test(test_sw_codes),
		cmocka_unit_test(test_field_id_decode),
		cmocka_unit_test(test_field_id_round_trip),
		cmocka_unit_test(test_io_qualification),
		cmocka_unit_test(test_ghci),
		cmocka_unit_test(test_td_helpers),
		cmocka_unit_test(test_structs),
		cmocka_unit_test(test_freestanding_agrees),
		cmocka_unit_test(test_boot_protocol),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
