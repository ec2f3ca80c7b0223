// SPDX-License-Identifier: MIT
/*
 * TD- and VP-scope metadata and attestation: TDH.MNG.RD/WR and TDH.VP.RD/WR through the
 * SEAMCALL dispatcher; TDG.VM.RD/WR, TDG.VP.RD/WR, TDG.MR.REPORT, TDG.MR.VERIFYREPORT and
 * TDG.MR.RTMR.EXTEND called directly with a register context of the TD's vCPU 0. Every field
 * the tables name and every error status, in tables; the report's hashes and MAC recomputed
 * here with OpenSSL from the layout of docs/TDX-ABI.md §9 and the choices in td_attest.c.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "td.h"
#include "td_harness.h"
#include "tdx/pi.h"

#define DATA_GPA 0x100000ULL /* a measured private page */

/* Field IDs (1.5.01 tables; Linux's where it passes its own) */
#define ID_FATAL	 0x8010000000000001ULL
#define ID_NUM_TDCX	 0x8010000200000002ULL
#define ID_LIFECYCLE	 0x8010000200000005ULL
#define ID_TDCX_PA	 0x8010000300000010ULL
#define ID_TD_UUID	 0x8010000300000020ULL
#define ID_HKID		 0x8110000100000001ULL
#define ID_NUM_VCPUS	 0x9010000200000001ULL
#define ID_OP_STATE	 0x9010000200000004ULL
#define ID_ATTRIBUTES	 0x1110000300000000ULL
#define ID_XFAM		 0x1110000300000001ULL
#define ID_MAX_VCPUS	 0x1110000200000002ULL
#define ID_GPAW		 0x1110000000000003ULL
#define ID_EPTP		 0x1110000300000004ULL
#define ID_TSC_FREQUENCY 0x111000010000000CULL
#define ID_NOTIFY	 0x9110000300000010ULL
#define ID_MRTD		 0x1310000300000000ULL
#define ID_MRCONFIGID	 0x1310000300000010ULL
#define ID_RTMR		 0x1310000300000040ULL
#define ID_SERVTD_NUM	 0x9910000100000006ULL
#define ID_RIP		 0x002400030000681EULL
#define ID_RFLAGS	 0x0024000300006820ULL
#define ID_CR0		 0x0024000300006800ULL
#define ID_GPR(r)	 (0x1020000300000000ULL + (r))
#define ID_VE_REASON	 0x0220000200000000ULL
#define ID_STATE_DETAILS 0x9120000300000100ULL
#define ID_VCPU_STATE	 0xA020000000000000ULL
#define ID_VCPU_INDEX	 0xA020000200000002ULL
#define ID_NUM_PAGES	 0xA020000000000003ULL
#define ID_ASSOC_LPID	 0xA020000200000004ULL
#define ID_CPUID_SVE	 0xA020000000000007ULL
#define ID_CPUID_UVE	 0xA020000000000008ULL
#define ID_VP_XFAM	 0x202000030000000CULL
#define ID_TDVPS_PA	 0xA020000300000010ULL

#define NOT_RD	     TDX_METADATA_FIELD_NOT_READABLE
#define NOT_WR	     TDX_METADATA_FIELD_NOT_WRITABLE
#define INCORRECT    TDX_METADATA_FIELD_ID_INCORRECT
#define NOT_VALID    TDX_METADATA_FIELD_VALUE_NOT_VALID
#define MRCONFIG_PAT 0xA5

static struct test_td td;
static unsigned int nr_builds; /* TDs built in this test: each gets its own HKID */

static int setup(void **state)
{
	nr_builds = 0;
	return td_machine_setup(state);
}

static int setup_1_5_01(void **state)
{
	(void)state;
	nr_builds = 0;
	return td_machine_boot(TDX_MODULE_1_5_01);
}

/* A runnable TD with one vCPU and one measured page at DATA_GPA. */
static void build(uint64_t attributes, uint64_t config_flags)
{
	static uint8_t page[4096];
	struct td_params p;

	td_params_default(&p);
	p.attributes = attributes;
	p.config_flags |= config_flags;
	memset(p.mrconfigid, MRCONFIG_PAT, sizeof(p.mrconfigid));
	p.mrowner[0] = 0x11;
	p.mrownerconfig[47] = 0x22;
	memset(page, 0x5A, sizeof(page));
	assert_int_equal(td_create(&td, (uint16_t)(TD_HKID + nr_builds++)), 0);
	assert_int_equal(td_init(&td, &p), 0);
	assert_int_equal(td_add_vcpu(&td), 0);
	assert_int_equal(td_sept_map(&td, DATA_GPA), 0);
	assert_int_equal(td_page_add(&td, DATA_GPA, page, true), 0);
	assert_int_equal(td_finalize(&td), 0);
}

static struct tdvps *vp0(void)
{
	return tdvps_of(td.tdvpr[0]);
}

static struct tdcs *tdcs0(void)
{
	return vp_tdcs(vp0());
}

static uint64_t q(const uint8_t *h, unsigned int i)
{
	uint64_t v;

	memcpy(&v, h + 8 * i, 8);
	return v;
}

static uint64_t mng_rd(uint64_t id, unsigned int version, uint64_t *value, uint64_t *next)
{
	struct tdx_module_args a = {.rcx = td.tdr, .rdx = id, .r8 = 0xdead};
	uint64_t s = td_call(TDH_MNG_RD | (uint64_t)version << 16, &a);

	*value = a.r8;
	if (next)
		*next = a.rdx;
	return s;
}

static uint64_t mng_wr(uint64_t id, uint64_t value, uint64_t mask, uint64_t *old)
{
	struct tdx_module_args a = {.rcx = td.tdr, .rdx = id, .r8 = value, .r9 = mask};
	uint64_t s = td_call(TDH_MNG_WR, &a);

	*old = a.r8;
	return s;
}

static uint64_t vp_rd_on(unsigned int lp, uint64_t id, unsigned int version, uint64_t *value,
			 uint64_t *next)
{
	struct tdx_module_args a = {.rcx = td.tdvpr[0], .rdx = id, .r8 = 0xdead};
	uint64_t s = td_call_on(lp, TDH_VP_RD | (uint64_t)version << 16, &a);

	*value = a.r8;
	if (next)
		*next = a.rdx;
	return s;
}

static uint64_t vp_wr(uint64_t id, uint64_t value, uint64_t mask, uint64_t *old)
{
	struct tdx_module_args a = {.rcx = td.tdvpr[0], .rdx = id, .r8 = value, .r9 = mask};
	uint64_t s = td_call(TDH_VP_WR, &a);

	*old = a.r8;
	return s;
}

/* A guest leaf on a fake register context: RCX, RDX, R8, R9 in; the context out. */
static uint64_t guest(tdcall_fn fn, unsigned int version, uint64_t rcx, uint64_t rdx, uint64_t r8,
		      uint64_t r9, struct cpu_regs *ctx)
{
	memset(ctx, 0, sizeof(*ctx));
	ctx->gpr[REG_RCX_] = rcx;
	ctx->gpr[REG_RDX_] = rdx;
	ctx->gpr[REG_R8_] = r8;
	ctx->gpr[REG_R9_] = r9;
	return fn(ctx, vp0(), tdcs0(), version);
}

struct rd_row {
	uint64_t id;
	uint64_t status;
	uint64_t value;
};

static void check_rows(const char *what, const struct rd_row *rows, size_t n,
		       uint64_t (*rd)(uint64_t id, uint64_t *value))
{
	for (size_t i = 0; i < n; i++) {
		uint64_t v, s = rd(rows[i].id, &v);

		if (s != rows[i].status || v != rows[i].value)
			print_error(
				"%s row %zu id 0x%016llx: status 0x%llx value 0x%llx, want 0x%llx "
				"0x%llx\n",
				what, i, (unsigned long long)rows[i].id, (unsigned long long)s,
				(unsigned long long)v, (unsigned long long)rows[i].status,
				(unsigned long long)rows[i].value);
		assert_int_equal(s, rows[i].status);
		assert_int_equal(v, rows[i].value);
	}
}

static uint64_t host_rd0(uint64_t id, uint64_t *value)
{
	return mng_rd(id, 0, value, NULL);
}

static uint64_t host_vp_rd0(uint64_t id, uint64_t *value)
{
	return vp_rd_on(0, id, 0, value, NULL);
}

static uint64_t guest_vm_rd0(uint64_t id, uint64_t *value)
{
	struct cpu_regs c;
	uint64_t s = guest(tdg_vm_rd, 0, 0, id, 0xdead, 0, &c);

	*value = c.gpr[REG_R8_];
	return s;
}

static uint64_t guest_vp_rd(uint64_t id, uint64_t *value)
{
	struct cpu_regs c;
	uint64_t s = guest(tdg_vp_rd, 0, 0, id, 0xdead, 0, &c);

	*value = c.gpr[REG_R8_];
	return s;
}

/* ------------------------------------------------------------------------------------------
 * TDH.MNG.RD / WR
 */

static void test_mng_rd_fields(void **state)
{
	struct tdcs *s;
	struct tdr *r;

	(void)state;
	build(TDX_TD_ATTR_SEPT_VE_DISABLE, 0);
	s = tdcs0();
	r = tdr_of(td.tdr);
	{
		const struct rd_row rows[] = {
			{ID_FATAL, 0, 0},
			{ID_NUM_TDCX, 0, 6},
			{ID_LIFECYCLE, 0, TD_KEYS_CONFIGURED},
			{ID_TDCX_PA, 0, td.tdcx[0]},
			{ID_TDCX_PA + 5, 0, td.tdcx[5]},
			{ID_TDCX_PA + 8, 0, 0},
			{ID_TDCX_PA + 9, INCORRECT, 0},
			{ID_TD_UUID + 0, 0, r->td_uuid[0]},
			{ID_TD_UUID + 3, 0, r->td_uuid[3]},
			{ID_HKID, 0, TD_HKID},
			{ID_NUM_VCPUS, 0, 1},
			{ID_OP_STATE, 0, OP_STATE_RUNNABLE},
			{ID_ATTRIBUTES, 0, TDX_TD_ATTR_SEPT_VE_DISABLE},
			/* element size and context ignored on input */
			{ID_ATTRIBUTES &
				 ~(MD_FIELD_ID_ELEMENT_SIZE_MASK | MD_FIELD_ID_CONTEXT_MASK),
			 0, TDX_TD_ATTR_SEPT_VE_DISABLE},
			{ID_XFAM, 0, TDX_XFAM_X87 | TDX_XFAM_SSE},
			{ID_MAX_VCPUS, 0, 8},
			{ID_GPAW, 0, 0},
			{ID_EPTP, 0,
			 td.tdcx[TDCS_SEPT_ROOT] | tdx_eptp_controls(TDX_EPTP_MT_WB, 4)},
			{0x111000030000000AULL, 0, 0},		/* TSC_OFFSET */
			{0x111000030000000BULL, 0, 1ULL << 48}, /* TSC_MULTIPLIER */
			{ID_TSC_FREQUENCY, 0, 100},
			{TDCS_CONFIG_FLAGS, 0, TDX_CONFIG_FLAGS_NO_RBP_MOD},
			{TDCS_TD_CTLS, NOT_RD, 0}, /* production: the host may not read it [M] */
			{ID_NOTIFY, NOT_RD, 0},
			{TDCS_NOTIFY_ENABLES, NOT_RD, 0},
			{TDCS_TOPOLOGY_ENUM_CONFIGURED, 0, 0},
			{0x9210000300000000ULL, 0, s->td_epoch},
			{ID_MRTD + 0, 0, q(s->mrtd, 0)},
			{ID_MRTD + 5, 0, q(s->mrtd, 5)},
			{ID_MRTD + 6, INCORRECT, 0},
			{ID_MRCONFIGID + 2, 0, 0xA5A5A5A5A5A5A5A5ULL},
			{0x1310000300000018ULL, 0, 0x11},		   /* MROWNER[0] */
			{0x1310000300000025ULL, 0, 0x2200000000000000ULL}, /* MROWNERCONFIG[5] */
			{ID_RTMR, NOT_RD, 0},
			{ID_SERVTD_NUM, 0, 0},
			/* errors of the ID itself */
			{0x3F10000300000000ULL, INCORRECT, 0},	      /* no class 0x3F */
			{ID_ATTRIBUTES | (1ULL << 24), INCORRECT, 0}, /* reserved */
			{ID_ATTRIBUTES | (1ULL << 62), INCORRECT, 0}, /* reserved */
			{md_field_id_set_last_element(ID_MRTD, 5), INCORRECT, 0},  /* a sequence */
			{md_field_id_set_last_field(ID_TDCX_PA, 1), INCORRECT, 0}, /* a sequence */
			{MD_FIELD_ID_NA, INCORRECT, 0}, /* null without version 1 */
		};
		check_rows("MNG.RD", rows, sizeof(rows) / sizeof(rows[0]), host_rd0);
	}
}

static void test_mng_rd_walk(void **state)
{
	uint64_t id, next, v, s;
	unsigned int n = 0;
	bool saw_rtmr = false;

	(void)state;
	build(0, 0);
	s = mng_rd(MD_FIELD_ID_NA, 1, &v, &id);
	assert_int_equal(s, TDX_METADATA_FIRST_FIELD_ID_IN_CONTEXT);
	assert_int_equal(v, 0);
	assert_int_equal(id, ID_FATAL);
	while (id != MD_FIELD_ID_NA && n < 500) {
		s = mng_rd(id, 1, &v, &next);
		assert_int_equal(s, 0);
		assert_int_equal(md_field_id_context(id), MD_CTX_TD);
		if (md_field_id_class(id) == md_field_id_class(ID_RTMR) &&
		    md_field_id_field_code(id) >= 0x40)
			saw_rtmr = true;
		id = next;
		n++;
	}
	/* 9 TDCX_PA + 4 UUID + 6 x 5 hashes + ... ; RTMR and TD_CTLS are not the host's */
	assert_int_equal(n, 67);
	assert_false(saw_rtmr);
	/* the last one: no next */
	s = mng_rd(ID_SERVTD_NUM, 1, &v, &next);
	assert_int_equal(s, 0);
	assert_int_equal(next, MD_FIELD_ID_NA);
	/* a failed read: R8 = 0, RDX = null */
	s = mng_rd(ID_RTMR, 1, &v, &next);
	assert_int_equal(s, NOT_RD);
	assert_int_equal(v, 0);
	assert_int_equal(next, MD_FIELD_ID_NA);
	/* version 2 is no version of MNG.RD */
	s = mng_rd(ID_ATTRIBUTES, 2, &v, &next);
	assert_int_equal(s, TDX_OPERAND_INVALID + TDX_OPERAND_ID_RAX);
}

static void test_mng_rd_states(void **state)
{
	struct tdx_module_args a;
	struct td_params p;
	uint64_t v, page;

	(void)state;
	/* keys configured, no TDCS yet */
	assert_int_equal(td_create(&td, TD_HKID), 0);
	assert_int_equal(mng_rd(ID_ATTRIBUTES, 0, &v, NULL), TDX_TDCS_NOT_ALLOCATED);
	assert_int_equal(v, 0);
	/* TDCS pages, but before MNG.INIT */
	for (unsigned int i = 0; i < 6; i++) {
		td.tdcx[i] = td_page_alloc();
		a = (struct tdx_module_args){.rcx = td.tdcx[i], .rdx = td.tdr};
		assert_int_equal(td_call(TDH_MNG_ADDCX, &a), 0);
	}
	assert_int_equal(mng_rd(ID_ATTRIBUTES, 0, &v, NULL), TDX_OP_STATE_INCORRECT);
	assert_int_equal(mng_wr(ID_NOTIFY, 0, 1, &v), TDX_OP_STATE_INCORRECT);
	td_params_default(&p);
	memcpy(hva(TD_PARAMS_PA), &p, sizeof(p));
	a = (struct tdx_module_args){.rcx = td.tdr, .rdx = TD_PARAMS_PA};
	assert_int_equal(td_call(TDH_MNG_INIT, &a), 0);
	/* INITIALIZED: readable; the build measurement is not final, MRTD reads 0 */
	assert_int_equal(mng_rd(ID_OP_STATE, 0, &v, NULL), 0);
	assert_int_equal(v, OP_STATE_INITIALIZED);
	assert_int_equal(mng_rd(ID_MRTD, 0, &v, NULL), 0);
	assert_int_equal(v, 0);

	/* the TDR operand */
	a = (struct tdx_module_args){.rcx = td.tdr + 8, .rdx = ID_ATTRIBUTES, .r8 = 1};
	assert_int_equal(td_call(TDH_MNG_RD, &a), TDX_OPERAND_INVALID + TDX_OPERAND_ID_RCX);
	assert_int_equal(a.r8, 0);
	page = td_page_alloc();
	a = (struct tdx_module_args){.rcx = page, .rdx = ID_ATTRIBUTES};
	assert_int_equal(td_call(TDH_MNG_RD, &a), TDX_PAGE_METADATA_INCORRECT + TDX_OPERAND_ID_RCX);
	/* a TDCX page is no TDR; version 1 outputs: R8 = 0, RDX = null */
	a = (struct tdx_module_args){.rcx = td.tdcx[0], .rdx = ID_ATTRIBUTES, .r8 = 5};
	assert_int_equal(td_call(TDH_MNG_RD | 1ULL << 16, &a),
			 TDX_PAGE_METADATA_INCORRECT + TDX_OPERAND_ID_RCX);
	assert_int_equal(a.r8, 0);
	assert_int_equal(a.rdx, MD_FIELD_ID_NA);
}

static void test_mng_wr(void **state)
{
	uint64_t old, v;

	(void)state;
	/* production TD: nothing the host may write */
	build(0, 0);
	{
		const uint64_t ids[] = {
			ID_NOTIFY, TDCS_NOTIFY_ENABLES, ID_ATTRIBUTES, TDCS_TD_CTLS, ID_MRTD,
			ID_HKID,   ID_OP_STATE};
		for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
			assert_int_equal(mng_wr(ids[i], 1, ~0ULL, &old), NOT_WR);
			assert_int_equal(old, 0);
		}
	}
	assert_int_equal(mng_wr(0x3F10000300000000ULL, 1, 1, &old), INCORRECT);
	assert_int_equal(mng_wr(ID_NOTIFY | (1ULL << 24), 1, 1, &old), INCORRECT);
	/* a write has no version 1 */
	{
		struct tdx_module_args a = {.rcx = td.tdr, .rdx = ID_NOTIFY, .r8 = 1, .r9 = 1};

		assert_int_equal(td_call(TDH_MNG_WR | 1ULL << 16, &a),
				 TDX_OPERAND_INVALID + TDX_OPERAND_ID_RAX);
	}

	/* DEBUG TD: NOTIFY_ENABLES bit 0 is the host's; TD_CTLS and RTMRs readable */
	build(TDX_TD_ATTR_DEBUG, 0);
	assert_int_equal(mng_wr(ID_NOTIFY, 1, 1, &old), 0);
	assert_int_equal(old, 0);
	assert_int_equal(tdcs0()->notify_enables, 1);
	assert_int_equal(mng_rd(TDCS_NOTIFY_ENABLES, 0, &v, NULL), 0);
	assert_int_equal(v, 1);
	/* bits outside the field's mask: not asked -> NOT_WRITABLE; asked, changed -> INVALID */
	assert_int_equal(mng_wr(ID_NOTIFY, 2, 2, &old), NOT_WR);
	assert_int_equal(mng_wr(ID_NOTIFY, 3, 3, &old), NOT_VALID);
	assert_int_equal(mng_wr(ID_NOTIFY, 0, 0, &old), NOT_WR);
	/* asked but unchanged: fine */
	assert_int_equal(mng_wr(ID_NOTIFY, 0, ~0ULL, &old), 0);
	assert_int_equal(old, 1);
	assert_int_equal(tdcs0()->notify_enables, 0);
	assert_int_equal(mng_rd(TDCS_TD_CTLS, 0, &v, NULL), 0);
	assert_int_equal(mng_rd(ID_RTMR + 23, 0, &v, NULL), 0);
	assert_int_equal(mng_wr(TDCS_TD_CTLS, 1, 1, &old), NOT_WR);
}

/* ------------------------------------------------------------------------------------------
 * TDH.VP.RD / WR
 */

static void test_vp_rd_production(void **state)
{
	uint64_t v, next, s;

	(void)state;
	build(0, 0);
	{
		const struct rd_row rows[] = {
			{ID_VCPU_INDEX, 0, 0},
			{ID_NUM_PAGES, 0, 6},
			{ID_ASSOC_LPID, 0, 0}, /* the read itself associated it with LP 0 */
			{ID_TDVPS_PA, 0, td.tdvpr[0]},
			{ID_TDVPS_PA + 1, 0, td.vp_tdcx[0][0]},
			{ID_TDVPS_PA + 5, 0, td.vp_tdcx[0][4]},
			{ID_TDVPS_PA + 14, 0, 0},
			{ID_TDVPS_PA + 15, INCORRECT, 0},
			{ID_STATE_DETAILS, 0, 0},
			{ID_VP_XFAM, 0, TDX_XFAM_X87 | TDX_XFAM_SSE},
			{ID_CPUID_SVE, 0, 0},
			{ID_CPUID_UVE, 0, 0},
			{0xA020000300000006ULL, 0, vp0()->epoch}, /* VCPU_EPOCH */
			/* the guest's state is not the host's to see */
			{ID_RIP, NOT_RD, 0},
			{ID_RFLAGS, NOT_RD, 0},
			{ID_CR0, NOT_RD, 0},
			{ID_GPR(REG_RAX_), NOT_RD, 0},
			{ID_GPR(REG_R15_), NOT_RD, 0},
			{ID_VE_REASON, NOT_RD, 0},
			{ID_VCPU_STATE, NOT_RD, 0},
			{ID_RIP + 1, INCORRECT, 0}, /* between two VMCS encodings */
			{ID_GPR(16), INCORRECT, 0},
			{0x3F20000300000000ULL, INCORRECT, 0},
			{ID_VCPU_INDEX | (1ULL << 55), INCORRECT, 0},
		};
		check_rows("VP.RD", rows, sizeof(rows) / sizeof(rows[0]), host_vp_rd0);
	}
	/* version 1: the walk starts at the first field the production host can read, the
	 * posted-interrupt notification vector, and goes on to the PID address */
	s = vp_rd_on(0, MD_FIELD_ID_NA, 1, &v, &next);
	assert_int_equal(s, TDX_METADATA_FIRST_FIELD_ID_IN_CONTEXT);
	assert_int_equal(next, TDVPS_VMCS_POSTED_INTR_NV);
	s = vp_rd_on(0, TDVPS_VMCS_POSTED_INTR_DESC_ADDR, 1, &v, &next);
	assert_int_equal(s, 0);
	assert_int_equal(next, ID_STATE_DETAILS);
	s = vp_rd_on(0, ID_VCPU_INDEX, 1, &v, &next);
	assert_int_equal(s, 0);
	assert_int_equal(next, ID_NUM_PAGES);
	s = vp_rd_on(0, ID_TDVPS_PA + 14, 1, &v, &next);
	assert_int_equal(next, MD_FIELD_ID_NA);
	/* associated with LP 0: another LP is refused */
	s = vp_rd_on(1, ID_VCPU_INDEX, 1, &v, &next);
	assert_int_equal(s, TDX_VCPU_ASSOCIATED);
	assert_int_equal(v, 0);
	assert_int_equal(next, MD_FIELD_ID_NA);
	/* writes */
	{
		uint64_t old;

		assert_int_equal(vp_wr(ID_GPR(REG_RAX_), 1, ~0ULL, &old), NOT_WR);
		assert_int_equal(vp_wr(ID_VCPU_INDEX, 1, ~0ULL, &old), NOT_WR);
		assert_int_equal(vp_wr(ID_CPUID_SVE, 1, 1, &old), NOT_WR);
	}
	/* not a TDVPR */
	{
		struct tdx_module_args a = {.rcx = td.tdr, .rdx = ID_VCPU_INDEX};

		assert_int_equal(td_call(TDH_VP_RD, &a),
				 TDX_PAGE_METADATA_INCORRECT + TDX_OPERAND_ID_RCX);
	}
}

static void test_vp_rdwr_debug(void **state)
{
	struct tdvps *vp;
	uint64_t v, old, next;

	(void)state;
	build(TDX_TD_ATTR_DEBUG, 0);
	vp = vp0();
	{
		const struct rd_row rows[] = {
			{ID_RIP, 0, vp->cpu.regs.rip},
			{ID_RFLAGS, 0, 0x2},
			{ID_GPR(REG_RBX_), 0, 48}, /* VP.INIT: RBX = GPAW */
			{ID_GPR(REG_RCX_), 0, 0x1234},
			{ID_GPR(REG_R8_), 0, 0x1234},
			{ID_GPR(REG_RSI_), 0, 0},
			{ID_GPR(REG_RSP_), NOT_RD, 0}, /* RSP is in the VMCS */
			{0x002400030000681CULL, 0, vp->cpu.regs.gpr[REG_RSP_]},
			{ID_VE_REASON, 0, 0},
			{ID_VCPU_STATE, 0, VCPU_READY},
		};
		check_rows("VP.RD debug", rows, sizeof(rows) / sizeof(rows[0]), host_vp_rd0);
	}
	/* the walk starts in the TD VMCS; the guest-state fields follow the PID address */
	assert_int_equal(vp_rd_on(0, MD_FIELD_ID_NA, 1, &v, &next),
			 TDX_METADATA_FIRST_FIELD_ID_IN_CONTEXT);
	assert_int_equal(next, TDVPS_VMCS_POSTED_INTR_NV);
	assert_int_equal(vp_rd_on(0, TDVPS_VMCS_POSTED_INTR_DESC_ADDR, 1, &v, &next), 0);
	assert_int_equal(next, ID_CR0);
	assert_int_equal(vp_rd_on(0, ID_GPR(REG_RBX_), 1, &v, &next), 0);
	assert_int_equal(next, ID_GPR(REG_RBP_)); /* the RSP placeholder is skipped */
	/* writes */
	assert_int_equal(vp_wr(ID_GPR(REG_R12_), 0x55, ~0ULL, &old), 0);
	assert_int_equal(old, 0);
	assert_int_equal(vp->cpu.regs.gpr[REG_R12_], 0x55);
	assert_int_equal(vp_wr(ID_GPR(REG_R12_), 0xFF00, 0xFF00, &old), 0);
	assert_int_equal(old, 0x55);
	assert_int_equal(vp->cpu.regs.gpr[REG_R12_], 0xFF55);
	assert_int_equal(vp_wr(ID_RIP, vp->cpu.regs.rip + 2, ~0ULL, &old), 0);
	assert_int_equal(vp_wr(ID_RIP, old, ~0ULL, &old), 0);
	assert_int_equal(vp_wr(ID_VE_REASON, 1, 1, &old), NOT_WR);
	assert_int_equal(vp_wr(ID_VCPU_STATE, 1, 1, &old), NOT_WR);
}

/* ------------------------------------------------------------------------------------------
 * TDG.VM.RD / WR, TDG.VP.RD / WR
 */

static void test_vm_rd(void **state)
{
	struct cpu_regs c;
	uint64_t s;

	(void)state;
	build(0, TDX_CONFIG_FLAGS_FLEXIBLE_PENDING_VE);
	{
		struct tdr *r = tdr_of(td.tdr);
		const struct rd_row rows[] = {
			{ID_TD_UUID + 1, 0, r->td_uuid[1]},
			{ID_NUM_VCPUS, 0, 1},
			{ID_ATTRIBUTES, 0, 0},
			{ID_XFAM, 0, TDX_XFAM_X87 | TDX_XFAM_SSE},
			{ID_MAX_VCPUS, 0, 8},
			{ID_GPAW, 0, 0},
			{ID_TSC_FREQUENCY, 0, 100},
			{TDCS_CONFIG_FLAGS, 0,
			 TDX_CONFIG_FLAGS_NO_RBP_MOD | TDX_CONFIG_FLAGS_FLEXIBLE_PENDING_VE},
			{TDCS_TD_CTLS, 0, 0},
			{TDCS_NOTIFY_ENABLES, 0, 0},
			{TDCS_TOPOLOGY_ENUM_CONFIGURED, 0, 0},
			{ID_MRTD + 1, 0, q(tdcs0()->mrtd, 1)},
			{ID_MRCONFIGID, 0, 0xA5A5A5A5A5A5A5A5ULL},
			{ID_RTMR + 6, 0, 0},
			{ID_SERVTD_NUM, 0, 0},
			{ID_HKID, NOT_RD, 0},
			{ID_OP_STATE, NOT_RD, 0},
			{ID_EPTP, NOT_RD, 0},
			{ID_TDCX_PA, NOT_RD, 0},
			{ID_FATAL, NOT_RD, 0},
			{0x3F10000300000000ULL, INCORRECT, 0},
			{MD_FIELD_ID_NA, INCORRECT, 0},
		};
		check_rows("VM.RD", rows, sizeof(rows) / sizeof(rows[0]), guest_vm_rd0);
	}
	/* RCX is the VM index: only 0 */
	s = guest(tdg_vm_rd, 1, 1, ID_ATTRIBUTES, 0xdead, 0, &c);
	assert_int_equal(s, TDX_OPERAND_INVALID + TDX_OPERAND_ID_RCX);
	assert_int_equal(c.gpr[REG_R8_], 0);
	assert_int_equal(c.gpr[REG_RDX_], MD_FIELD_ID_NA);
	/* version 1: first, next, last */
	s = guest(tdg_vm_rd, 1, 0, MD_FIELD_ID_NA, 0, 0, &c);
	assert_int_equal(s, TDX_METADATA_FIRST_FIELD_ID_IN_CONTEXT);
	assert_int_equal(c.gpr[REG_RDX_], ID_TD_UUID);
	s = guest(tdg_vm_rd, 1, 0, ID_TD_UUID + 3, 0, 0, &c);
	assert_int_equal(s, 0);
	assert_int_equal(c.gpr[REG_RDX_], ID_NUM_VCPUS);
	s = guest(tdg_vm_rd, 1, 0, ID_NUM_VCPUS, 0, 0, &c);
	assert_int_equal(c.gpr[REG_RDX_], 0x9010000100000005ULL); /* NUM_L2_VMS */
	s = guest(tdg_vm_rd, 1, 0, ID_SERVTD_NUM, 0, 0, &c);
	assert_int_equal(s, 0);
	assert_int_equal(c.gpr[REG_RDX_], MD_FIELD_ID_NA);
	/* version 0 leaves RDX alone */
	s = guest(tdg_vm_rd, 0, 0, ID_NUM_VCPUS, 0, 0, &c);
	assert_int_equal(c.gpr[REG_RDX_], ID_NUM_VCPUS);
	/* a walk reads every guest-readable element */
	{
		uint64_t id = ID_TD_UUID;
		unsigned int n = 0;

		while (id != MD_FIELD_ID_NA && n < 200) {
			assert_int_equal(guest(tdg_vm_rd, 1, 0, id, 0, 0, &c), 0);
			id = c.gpr[REG_RDX_];
			n++;
		}
		/* UUID 4, NUM_VCPUS, NUM_L2_VMS, ATTR, XFAM, MAX_VCPUS, GPAW, TSC_FREQ, NOTIFY,
		 * CONFIG_FLAGS, TD_CTLS, TOPOLOGY, 4 x 6 measurement, 4 x 6 RTMR, 6 SERVTD_HASH,
		 * SERVTD_NUM */
		assert_int_equal(n, 4 + 11 + 24 + 24 + 6 + 1);
	}
}

static void test_vm_wr(void **state)
{
	struct cpu_regs c;
	uint64_t s;

	(void)state;
	build(0, 0);
	/* Linux: tdg_vm_wr(TDCS_NOTIFY_ENABLES, 0, -1) */
	s = guest(tdg_vm_wr, 0, 0, TDCS_NOTIFY_ENABLES, 0, ~0ULL, &c);
	assert_int_equal(s, 0);
	assert_int_equal(c.gpr[REG_R8_], 0);
	s = guest(tdg_vm_wr, 0, 0, TDCS_NOTIFY_ENABLES, 1, 1, &c);
	assert_int_equal(s, 0);
	assert_int_equal(tdcs0()->notify_enables, 1);
	s = guest(tdg_vm_wr, 0, 0, TDCS_NOTIFY_ENABLES, 0, 1, &c);
	assert_int_equal(s, 0);
	assert_int_equal(c.gpr[REG_R8_], 1);
	s = guest(tdg_vm_wr, 0, 0, TDCS_NOTIFY_ENABLES, 2, ~0ULL, &c);
	assert_int_equal(s, NOT_VALID);
	/* PENDING_VE_DISABLE needs CONFIG_FLAGS.FLEXIBLE_PENDING_VE */
	s = guest(tdg_vm_wr, 0, 0, TDCS_TD_CTLS, TD_CTLS_PENDING_VE_DISABLE,
		  TD_CTLS_PENDING_VE_DISABLE, &c);
	assert_int_equal(s, NOT_VALID);
	assert_int_equal(tdcs0()->td_ctls, 0);
	/* writing the same value is no change */
	s = guest(tdg_vm_wr, 0, 0, TDCS_TD_CTLS, 0, TD_CTLS_PENDING_VE_DISABLE, &c);
	assert_int_equal(s, 0);
	{
		const struct {
			uint64_t id, value, mask, status;
		} rows[] = {
			{TDCS_TD_CTLS, TD_CTLS_ENUM_TOPOLOGY, TD_CTLS_ENUM_TOPOLOGY, NOT_WR},
			{TDCS_TD_CTLS, TD_CTLS_ENUM_TOPOLOGY, ~0ULL, NOT_VALID},
			{TDCS_TD_CTLS, TD_CTLS_LOCK, TD_CTLS_LOCK, NOT_WR},
			{ID_ATTRIBUTES, 1, 1, NOT_WR},
			{ID_NUM_VCPUS, 1, 1, NOT_WR},
			{ID_RTMR, 1, 1, NOT_WR},
			{ID_HKID, 1, 1, NOT_WR},
			{TDCS_CONFIG_FLAGS, 0, 0, NOT_WR},
			{0x3F10000300000000ULL, 1, 1, INCORRECT},
			{md_field_id_set_last_element(TDCS_TD_CTLS, 1), 0, 1, INCORRECT},
		};
		for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
			s = guest(tdg_vm_wr, 0, 0, rows[i].id, rows[i].value, rows[i].mask, &c);
			assert_int_equal(s, rows[i].status);
			assert_int_equal(c.gpr[REG_R8_], 0);
		}
	}
	s = guest(tdg_vm_wr, 0, 1, TDCS_NOTIFY_ENABLES, 1, 1, &c);
	assert_int_equal(s, TDX_OPERAND_INVALID + TDX_OPERAND_ID_RCX);

	/* with FLEXIBLE_PENDING_VE the guest owns PENDING_VE_DISABLE */
	build(0, TDX_CONFIG_FLAGS_FLEXIBLE_PENDING_VE);
	s = guest(tdg_vm_wr, 0, 0, TDCS_TD_CTLS, TD_CTLS_PENDING_VE_DISABLE,
		  TD_CTLS_PENDING_VE_DISABLE, &c);
	assert_int_equal(s, 0);
	assert_int_equal(c.gpr[REG_R8_], 0);
	assert_int_equal(tdcs0()->td_ctls, TD_CTLS_PENDING_VE_DISABLE);
	assert_int_equal(guest_vm_rd0(TDCS_TD_CTLS, &s), 0);
	assert_int_equal(s, TD_CTLS_PENDING_VE_DISABLE);
}

/*
 * #VE reduction: TDG.VM.WR of TD_CTLS as Linux's reduce_unnecessary_ve() does it. 1.5.01 has
 * none (the bits are not the guest's: NOT_WRITABLE); the LATEST module lets the guest set and
 * clear VIRT_CPUID2 and REDUCE_VE, not ENUM_TOPOLOGY (tdxsim enumerates no topology) or LOCK.
 */
static void vm_wr_reduce_ve(bool latest)
{
	struct cpu_regs c;
	uint64_t s, v;

	build(0, 0);
	s = guest(tdg_vm_wr, 0, 0, TDCS_TD_CTLS, TD_CTLS_REDUCE_VE, TD_CTLS_REDUCE_VE, &c);
	assert_int_equal(s, latest ? TDX_SUCCESS : NOT_WR);
	assert_int_equal(c.gpr[REG_R8_], 0);
	assert_int_equal(tdcs0()->td_ctls, latest ? TD_CTLS_REDUCE_VE : 0);
	assert_int_equal(guest_vm_rd0(TDCS_TD_CTLS, &v), 0);
	assert_int_equal(v, latest ? TD_CTLS_REDUCE_VE : 0);
	/* the same with LOCK and ENUM_TOPOLOGY in the mask at their current value 0 */
	s = guest(tdg_vm_wr, 0, 0, TDCS_TD_CTLS, TD_CTLS_REDUCE_VE, 0x800000000000000EULL, &c);
	assert_int_equal(s, latest ? TDX_SUCCESS : NOT_WR);
	assert_int_equal(c.gpr[REG_R8_], latest ? TD_CTLS_REDUCE_VE : 0);
	/* ENUM_TOPOLOGY asked to change: the bit is not the guest's */
	s = guest(tdg_vm_wr, 0, 0, TDCS_TD_CTLS, TD_CTLS_ENUM_TOPOLOGY | TD_CTLS_REDUCE_VE,
		  TD_CTLS_ENUM_TOPOLOGY | TD_CTLS_REDUCE_VE, &c);
	assert_int_equal(s, latest ? NOT_VALID : NOT_WR);
	assert_int_equal(c.gpr[REG_R8_], 0);
	s = guest(tdg_vm_wr, 0, 0, TDCS_TD_CTLS, TD_CTLS_ENUM_TOPOLOGY, TD_CTLS_ENUM_TOPOLOGY, &c);
	assert_int_equal(s, NOT_WR);
	/* cleared again; then VIRT_CPUID2 alone */
	s = guest(tdg_vm_wr, 0, 0, TDCS_TD_CTLS, 0, TD_CTLS_REDUCE_VE, &c);
	assert_int_equal(s, latest ? TDX_SUCCESS : NOT_WR);
	assert_int_equal(c.gpr[REG_R8_], latest ? TD_CTLS_REDUCE_VE : 0);
	assert_int_equal(tdcs0()->td_ctls, 0);
	s = guest(tdg_vm_wr, 0, 0, TDCS_TD_CTLS, TD_CTLS_VIRT_CPUID2, TD_CTLS_VIRT_CPUID2, &c);
	assert_int_equal(s, latest ? TDX_SUCCESS : NOT_WR);
	assert_int_equal(tdcs0()->td_ctls, latest ? TD_CTLS_VIRT_CPUID2 : 0);
	s = guest(tdg_vm_wr, 0, 0, TDCS_TD_CTLS, TD_CTLS_LOCK, TD_CTLS_LOCK, &c);
	assert_int_equal(s, NOT_WR);
}

static void test_tdg_vm_wr_reduce_ve(void **state)
{
	(void)state;
	vm_wr_reduce_ve(true);
}

static void test_tdg_vm_wr_reduce_ve_1_5_01(void **state)
{
	(void)state;
	vm_wr_reduce_ve(false);
}

static void test_vp_guest(void **state)
{
	struct cpu_regs c;
	uint64_t s;

	(void)state;
	build(TDX_TD_ATTR_DEBUG, 0);
	{
		const struct rd_row rows[] = {
			{ID_VCPU_INDEX, 0, 0},
			{ID_CPUID_SVE, 0, 0},
			{ID_CPUID_UVE, 0, 0},
			{ID_GPR(REG_RAX_), NOT_RD, 0}, /* not even in a DEBUG TD */
			{ID_RIP, NOT_RD, 0},
			{ID_NUM_PAGES, NOT_RD, 0},
			{ID_STATE_DETAILS, NOT_RD, 0},
			{0x3F20000300000000ULL, INCORRECT, 0},
		};
		check_rows("VP.RD guest", rows, sizeof(rows) / sizeof(rows[0]), guest_vp_rd);
	}
	/* TDG.VP.RD returns the next element in every version */
	s = guest(tdg_vp_rd, 0, 0, MD_FIELD_ID_NA, 0, 0, &c);
	assert_int_equal(s, TDX_METADATA_FIRST_FIELD_ID_IN_CONTEXT);
	assert_int_equal(c.gpr[REG_RDX_], ID_VCPU_INDEX);
	s = guest(tdg_vp_rd, 0, 0, ID_VCPU_INDEX, 0, 0, &c);
	assert_int_equal(c.gpr[REG_RDX_], ID_CPUID_SVE);
	s = guest(tdg_vp_rd, 0, 0, ID_CPUID_UVE, 0, 0, &c);
	assert_int_equal(c.gpr[REG_RDX_], MD_FIELD_ID_NA);
	s = guest(tdg_vp_rd, 0, 3, ID_VCPU_INDEX, 0, 0, &c);
	assert_int_equal(s, TDX_OPERAND_INVALID + TDX_OPERAND_ID_RCX);
	assert_int_equal(c.gpr[REG_RDX_], MD_FIELD_ID_NA);
	/* CPUID #VE controls, as TDG.VP.CPUIDVE.SET */
	s = guest(tdg_vp_wr, 0, 0, ID_CPUID_SVE, 1, 1, &c);
	assert_int_equal(s, 0);
	assert_int_equal(vp0()->cpuidve, TDG_CPUIDVE_SUPERVISOR);
	s = guest(tdg_vp_wr, 0, 0, ID_CPUID_UVE, 1, 0xFF, &c);
	assert_int_equal(s, 0);
	assert_int_equal(vp0()->cpuidve, TDG_CPUIDVE_SUPERVISOR | TDG_CPUIDVE_USER);
	s = guest(tdg_vp_wr, 0, 0, ID_CPUID_SVE, 0, 1, &c);
	assert_int_equal(c.gpr[REG_R8_], 1);
	assert_int_equal(vp0()->cpuidve, TDG_CPUIDVE_USER);
	s = guest(tdg_vp_wr, 0, 0, ID_CPUID_SVE, 0x100, ~0ULL, &c); /* beyond the 1-byte field */
	assert_int_equal(s, NOT_VALID);
	assert_int_equal(guest(tdg_vp_wr, 0, 0, ID_VCPU_INDEX, 1, 1, &c), NOT_WR);
	assert_int_equal(guest(tdg_vp_wr, 0, 0, ID_GPR(REG_RAX_), 1, 1, &c), NOT_WR);
	assert_int_equal(guest(tdg_vp_wr, 0, 1, ID_CPUID_SVE, 1, 1, &c),
			 TDX_OPERAND_INVALID + TDX_OPERAND_ID_RCX);
}

/* ------------------------------------------------------------------------------------------
 * Attestation
 */

#define REPORTDATA_GPA (DATA_GPA + 0x40)
#define REPORT_GPA     (DATA_GPA + 0x400)
#define MACSTRUCT_GPA  (DATA_GPA + 0x100)
#define RTMR_DATA_GPA  (DATA_GPA + 0x800)

static uint8_t *gva(uint64_t gpa)
{
	uint8_t *p = td_gpa_va(tdcs0(), tdr_of(td.tdr), gpa, 1, false);

	assert_non_null(p);
	return p;
}

static void sha384(const void *d, size_t n, uint8_t out[48])
{
	unsigned int len = 0;

	assert_int_equal(EVP_Digest(d, n, out, &len, EVP_sha384(), NULL), 1);
	assert_int_equal(len, 48);
}

static void test_report(void **state)
{
	uint8_t h[48], mac[64], reportdata[64];
	unsigned int maclen = 0;
	struct tdreport r;
	struct cpu_regs c;
	struct tdcs *s;
	uint64_t st;

	(void)state;
	build(TDX_TD_ATTR_SEPT_VE_DISABLE, 0);
	s = tdcs0();
	for (int i = 0; i < 64; i++)
		reportdata[i] = (uint8_t)(i * 7 + 1);
	memcpy(gva(REPORTDATA_GPA), reportdata, 64);
	memset(s->rtmr[1], 0x3C, 48);

	st = guest(tdg_mr_report, 0, REPORT_GPA, REPORTDATA_GPA, 0, 0, &c);
	assert_int_equal(st, 0);
	memcpy(&r, gva(REPORT_GPA), sizeof(r));

	assert_int_equal(r.reportmac.reporttype.type, 0x81);
	assert_int_equal(r.reportmac.reporttype.subtype, 0);
	assert_int_equal(r.reportmac.reporttype.version, 0);
	assert_memory_equal(r.reportmac.reportdata, reportdata, 64);
	/* TDINFO */
	assert_int_equal(r.tdinfo.attributes, TDX_TD_ATTR_SEPT_VE_DISABLE);
	assert_int_equal(r.tdinfo.xfam, TDX_XFAM_X87 | TDX_XFAM_SSE);
	assert_memory_equal(r.tdinfo.mrtd, s->mrtd, 48);
	assert_memory_equal(r.tdinfo.mrconfigid, s->mrconfigid, 48);
	assert_int_equal(r.tdinfo.mrconfigid[47], MRCONFIG_PAT);
	assert_int_equal(r.tdinfo.mrowner[0], 0x11);
	assert_int_equal(r.tdinfo.mrownerconfig[47], 0x22);
	assert_memory_equal(r.tdinfo.rtmr[1], s->rtmr[1], 48);
	for (int i = 0; i < 48; i++)
		assert_int_equal(r.tdinfo.servtd_hash[i] | r.tdinfo.rtmr[0][i], 0);
	/* TEE_TCB_INFO: MRSEAM of the module identity, as td_attest.c documents */
	{
		const char *id = "tdxsim software TDX module 1.5.99";

		sha384(id, strlen(id), h);
		assert_memory_equal(r.tee_tcb_info.mrseam, h, 48);
		assert_int_equal(r.tee_tcb_info.valid, 0xFFFF);
		assert_int_equal(r.tee_tcb_info.tee_tcb_svn[0], 5);
		assert_int_equal(r.tee_tcb_info.tee_tcb_svn[1], 1);
	}
	/* hashes, recomputed */
	sha384(&r.tdinfo, sizeof(r.tdinfo), h);
	assert_memory_equal(r.reportmac.tee_info_hash, h, 48);
	sha384(&r.tee_tcb_info, sizeof(r.tee_tcb_info), h);
	assert_memory_equal(r.reportmac.tee_tcb_info_hash, h, 48);
	/* the MAC: HMAC-SHA-384 over REPORTMACSTRUCT[0..224), first 32 bytes */
	assert_non_null(HMAC(EVP_sha384(), tdxm.report_key, sizeof(tdxm.report_key),
			     (const uint8_t *)&r.reportmac, offsetof(struct reportmac, mac), mac,
			     &maclen));
	assert_int_equal(maclen, 48);
	assert_memory_equal(r.reportmac.mac, mac, 32);

	/* errors, in the module's order */
	{
		const struct {
			uint64_t rcx, rdx, r8, status;
		} rows[] = {
			{REPORT_GPA + 0x200, REPORTDATA_GPA, 0,
			 TDX_OPERAND_INVALID + TDX_OPERAND_ID_RCX},
			{REPORT_GPA, REPORTDATA_GPA + 8, 0,
			 TDX_OPERAND_INVALID + TDX_OPERAND_ID_RDX},
			{REPORT_GPA + 1, REPORTDATA_GPA + 1, 1,
			 TDX_OPERAND_INVALID + TDX_OPERAND_ID_RCX},
			{REPORT_GPA, REPORTDATA_GPA, 1, TDX_OPERAND_INVALID + TDX_OPERAND_ID_R8},
			{REPORT_GPA, 1ULL << 48, 0, TDX_OPERAND_INVALID + TDX_OPERAND_ID_RDX},
			{1ULL << 50, REPORTDATA_GPA, 0, TDX_OPERAND_INVALID + TDX_OPERAND_ID_RCX},
		};
		for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
			st = guest(tdg_mr_report, 0, rows[i].rcx, rows[i].rdx, rows[i].r8, 0, &c);
			assert_int_equal(st, rows[i].status);
		}
	}
	/* an RTMR extend in progress */
	assert_true(sharex_try_exclusive(&s->rtmr_lock));
	st = guest(tdg_mr_report, 0, REPORT_GPA, REPORTDATA_GPA, 0, 0, &c);
	assert_int_equal(st, TDX_OPERAND_BUSY + TDX_OPERAND_ID_RTMR);
	sharex_release_exclusive(&s->rtmr_lock);
}

static void test_verifyreport(void **state)
{
	struct reportmac rm;
	struct cpu_regs c;
	uint8_t *p;

	(void)state;
	build(0, 0);
	memset(gva(REPORTDATA_GPA), 0x77, 64);
	assert_int_equal(guest(tdg_mr_report, 0, REPORT_GPA, REPORTDATA_GPA, 0, 0, &c), 0);
	memcpy(&rm, gva(REPORT_GPA), sizeof(rm));
	p = gva(MACSTRUCT_GPA);
	memcpy(p, &rm, sizeof(rm));
	assert_int_equal(guest(tdg_mr_verifyreport, 0, MACSTRUCT_GPA, 0, 0, 0, &c), 0);
	/* the report in place, at its 1024-aligned GPA, verifies too */
	assert_int_equal(guest(tdg_mr_verifyreport, 0, REPORT_GPA, 0, 0, 0, &c), 0);
	/* any flipped byte before the MAC, or in it, is refused */
	{
		const size_t offs[] = {0, 1, 40, 80, 127, 128, 191, 192, 223, 224, 255};

		for (size_t i = 0; i < sizeof(offs) / sizeof(offs[0]); i++) {
			uint64_t want = offs[i] >= 16 && offs[i] < 32 ? TDX_INVALID_CPUSVN
								      : TDX_INVALID_REPORTMACSTRUCT;

			/* bytes 224..255 are the MAC; 16..31 CPUSVN */
			memcpy(p, &rm, sizeof(rm));
			p[offs[i]] ^= 0x01;
			assert_int_equal(guest(tdg_mr_verifyreport, 0, MACSTRUCT_GPA, 0, 0, 0, &c),
					 want);
		}
		memcpy(p, &rm, sizeof(rm));
		p[20] = 1; /* a newer CPUSVN */
		assert_int_equal(guest(tdg_mr_verifyreport, 0, MACSTRUCT_GPA, 0, 0, 0, &c),
				 TDX_INVALID_CPUSVN);
	}
	/* operands */
	assert_int_equal(guest(tdg_mr_verifyreport, 0, MACSTRUCT_GPA + 0x80, 0, 0, 0, &c),
			 TDX_OPERAND_INVALID + TDX_OPERAND_ID_RCX);
	assert_int_equal(
		guest(tdg_mr_verifyreport, 0, MACSTRUCT_GPA | tdcs0()->shared_bit, 0, 0, 0, &c),
		TDX_OPERAND_INVALID + TDX_OPERAND_ID_RCX);
	assert_int_equal(guest(tdg_mr_verifyreport, 0, 1ULL << 48, 0, 0, 0, &c),
			 TDX_OPERAND_INVALID + TDX_OPERAND_ID_RCX);
	/* a report of another module load (other key) is refused */
	memcpy(p, &rm, sizeof(rm));
	tdxm.report_key[0] ^= 1;
	assert_int_equal(guest(tdg_mr_verifyreport, 0, MACSTRUCT_GPA, 0, 0, 0, &c),
			 TDX_INVALID_REPORTMACSTRUCT);
	tdxm.report_key[0] ^= 1;
}

static void test_rtmr_extend(void **state)
{
	uint8_t data[48], cat[96], want[48];
	struct cpu_regs c;
	struct tdcs *s;
	uint64_t v;

	(void)state;
	build(0, 0);
	s = tdcs0();
	for (int i = 0; i < 48; i++)
		data[i] = (uint8_t)(0xC0 + i);
	memcpy(gva(RTMR_DATA_GPA), data, 48);
	/* twice into RTMR 2: SHA-384(SHA-384(0^48 || d) || d) */
	memset(cat, 0, 48);
	memcpy(cat + 48, data, 48);
	sha384(cat, 96, want);
	assert_int_equal(guest(tdg_mr_rtmr_extend, 0, RTMR_DATA_GPA, 2, 0, 0, &c), 0);
	assert_memory_equal(s->rtmr[2], want, 48);
	memcpy(cat, want, 48);
	sha384(cat, 96, want);
	assert_int_equal(guest(tdg_mr_rtmr_extend, 0, RTMR_DATA_GPA, 2, 0, 0, &c), 0);
	assert_memory_equal(s->rtmr[2], want, 48);
	/* the other RTMRs are untouched; the guest reads the new value back */
	for (int i = 0; i < 48; i++)
		assert_int_equal(s->rtmr[0][i] | s->rtmr[1][i] | s->rtmr[3][i], 0);
	assert_int_equal(guest_vm_rd0(ID_RTMR + 2 * 6 + 5, &v), 0);
	assert_int_equal(v, q(want, 5));
	/* errors */
	{
		const struct {
			uint64_t rcx, rdx, status;
		} rows[] = {
			{RTMR_DATA_GPA + 8, 0, TDX_OPERAND_INVALID + TDX_OPERAND_ID_RCX},
			{RTMR_DATA_GPA + 8, 9, TDX_OPERAND_INVALID + TDX_OPERAND_ID_RCX},
			{RTMR_DATA_GPA, 4, TDX_OPERAND_INVALID + TDX_OPERAND_ID_RDX},
			{RTMR_DATA_GPA, ~0ULL, TDX_OPERAND_INVALID + TDX_OPERAND_ID_RDX},
			{RTMR_DATA_GPA | (1ULL << 47), 0, TDX_OPERAND_INVALID + TDX_OPERAND_ID_RCX},
			{1ULL << 48, 0, TDX_OPERAND_INVALID + TDX_OPERAND_ID_RCX},
		};
		for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
			assert_int_equal(
				guest(tdg_mr_rtmr_extend, 0, rows[i].rcx, rows[i].rdx, 0, 0, &c),
				rows[i].status);
	}
	assert_true(sharex_try_shared(&s->rtmr_lock));
	assert_int_equal(guest(tdg_mr_rtmr_extend, 0, RTMR_DATA_GPA, 0, 0, 0, &c),
			 TDX_OPERAND_BUSY + TDX_OPERAND_ID_RTMR);
	sharex_release_shared(&s->rtmr_lock);
	assert_memory_equal(s->rtmr[2], want, 48);
}

/* The TDCALL dispatcher knows the new leaves and their versions. */
static void test_names(void **state)
{
	(void)state;
	assert_string_equal(tdx_tdcall_leaf_name(TDG_VM_RD), "TDG.VM.RD");
	assert_string_equal(tdx_tdcall_leaf_name(TDG_MR_REPORT), "TDG.MR.REPORT");
	assert_string_equal(tdx_tdcall_leaf_name(TDG_MR_VERIFYREPORT), "TDG.MR.VERIFYREPORT");
	assert_string_equal(tdx_seamcall_leaf_name(TDH_VP_WR), "TDH.VP.WR");
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, td_machine_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_mng_rd_fields),
		T(test_mng_rd_walk),
		T(test_mng_rd_states),
		T(test_mng_wr),
		T(test_vp_rd_production),
		T(test_vp_rdwr_debug),
		T(test_vm_rd),
		T(test_vm_wr),
		T(test_tdg_vm_wr_reduce_ve),
		cmocka_unit_test_setup_teardown(test_tdg_vm_wr_reduce_ve_1_5_01, setup_1_5_01,
						td_machine_teardown),
		T(test_vp_guest),
		T(test_report),
		T(test_verifyreport),
		T(test_rtmr_extend),
		cmocka_unit_test(test_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
