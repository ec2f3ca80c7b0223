// SPDX-License-Identifier: MIT
/*
 * Memory management and teardown leaves: TDH.MEM.PAGE.AUG, SEPT.RD, RANGE.BLOCK/UNBLOCK,
 * MEM.TRACK, PAGE.REMOVE, SEPT.REMOVE, PHYMEM.PAGE.RDMD/RECLAIM/WBINVD, PHYMEM.CACHE.WB,
 * VP.FLUSH, MNG.VPFLUSHDONE, MNG.KEY.FREEID/RECLAIMID and TDG.MEM.PAGE.ACCEPT.
 *
 * The main table is one scenario on a runnable TD: each row is a SEAMCALL with its exact
 * RAX and output registers, success and every error path in turn, ending in a teardown that
 * leaves a clean PAMT. A guest run checks AUG → ACCEPT (EPT-violation exit and re-execution,
 * 4K and 2M, ALREADY_ACCEPTED, SIZE_MISMATCH, OPERAND_INVALID) and BLOCK → TRACK → REMOVE of
 * a page the guest wrote.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "td.h"
#include "td_harness.h"
#include "tdx/leaves.h"

/* The leaf names for the guest code below (tdx/leaves.h): movl $TDG_VP_VEINFO_GET, %eax. */
asm(TDX_LEAVES_ASM_EQU);

#define G     0x40000000ULL /* GPA with SEPT tables down to a 4K table */
#define G2M   0x40200000ULL /* next 2M: a free level-1 entry in the same PD */
#define GNOT  0x80000000ULL /* another 1G: the walk stops at a free level-2 entry */
#define SVE   (1ULL << 63)
#define LEAFB 0xF0ULL /* MT WB | IPAT | PS */

/* Symbolic operands, resolved when the row runs: token id + small offset (+ bit 63). */
enum tok {
	T_TDR = 1,
	T_TDVPR,
	T_PG1,
	T_PG2,
	T_PG3,
	T_P2M,
	T_PT,
	T_P2M_4K,  /* P2M + 4K */
	T_P2M_20K, /* P2M + 20K */
	T_P2M_HK,  /* P2M with HKID 33 in the KeyID bits */
	T_PG3_HK,
	T_TDVPR_HK,
	NR_TOK
};
#define T(id, off)  (0xF00D000000000000ULL | (uint64_t)(id) << 8 | (off))
#define TS(id, off) (T(id, off) | 0x0000800000000000ULL) /* with bit 63 set */

static uint64_t env[NR_TOK];

static uint64_t val(uint64_t v)
{
	if ((v >> 48) != 0xF00D)
		return v;
	return (env[(v >> 8) & 0xFF] + (v & 0xFF)) | ((v & 0x0000800000000000ULL) ? SVE : 0);
}

struct row {
	unsigned int line;
	unsigned int lp;
	uint64_t leaf, rcx, rdx, r8;
	uint64_t status, o_rcx, o_rdx, o_r8, o_r9;
	bool c8, c9; /* check R8 / R9 */
};

#define ROW(...)                                                                                   \
	{                                                                                          \
		.line = __LINE__, __VA_ARGS__                                                      \
	}

/* clang-format off */
static const struct row scenario[] = {
	/* PAGE.AUG */
	ROW(.leaf = TDH_MEM_PAGE_AUG, .rcx = G, .rdx = T(T_TDR, 0), .r8 = T(T_PG1, 0)),
	ROW(.leaf = TDH_MEM_PAGE_AUG, .rcx = G, .rdx = T(T_TDR, 0), .r8 = T(T_PG2, 0),
	    .status = TDX_EPT_ENTRY_STATE_INCORRECT + 1, .o_rcx = TS(T_PG1, LEAFB), .o_rdx = 0x200),
	ROW(.leaf = TDH_MEM_PAGE_AUG, .rcx = G + 0x1000, .rdx = T(T_TDR, 0), .r8 = T(T_PG1, 0),
	    .status = TDX_PAGE_METADATA_INCORRECT + 8),
	ROW(.leaf = TDH_MEM_PAGE_AUG, .rcx = GNOT, .rdx = T(T_TDR, 0), .r8 = T(T_PG2, 0),
	    .status = TDX_EPT_WALK_FAILED + 1, .o_rcx = SVE, .o_rdx = 2),
	ROW(.leaf = TDH_MEM_PAGE_AUG, .rcx = G | 2, .rdx = T(T_TDR, 0), .r8 = T(T_PG2, 0),
	    .status = TDX_OPERAND_INVALID + 1),
	ROW(.leaf = TDH_MEM_PAGE_AUG, .rcx = (G + 0x1000) | 8, .rdx = T(T_TDR, 0),
	    .r8 = T(T_PG2, 0), .status = TDX_OPERAND_INVALID + 1),
	ROW(.leaf = TDH_MEM_PAGE_AUG, .rcx = (1ULL << 47) | G, .rdx = T(T_TDR, 0),
	    .r8 = T(T_PG2, 0), .status = TDX_OPERAND_INVALID + 1),
	ROW(.leaf = TDH_MEM_PAGE_AUG, .rcx = G + 0x2000, .rdx = T(T_PG3, 0), .r8 = T(T_PG2, 0),
	    .status = TDX_PAGE_METADATA_INCORRECT + 2),
	ROW(.leaf = TDH_MEM_PAGE_AUG, .rcx = G + 0x2000, .rdx = T(T_TDR, 0), .r8 = T(T_PG3, 1),
	    .status = TDX_OPERAND_INVALID + 8),
	ROW(.leaf = TDH_MEM_PAGE_AUG, .rcx = G2M | 1, .rdx = T(T_TDR, 0), .r8 = T(T_P2M_4K, 0),
	    .status = TDX_OPERAND_INVALID + 8),
	ROW(.leaf = TDH_MEM_PAGE_AUG, .rcx = G2M | 1, .rdx = T(T_TDR, 0), .r8 = T(T_P2M, 0)),
	/* PHYMEM.PAGE.RDMD: type, owner, size (R9 = BEPOCH for REG/SEPT) */
	ROW(.leaf = TDH_PHYMEM_PAGE_RDMD, .rcx = T(T_P2M, 0), .o_rcx = PT_REG,
	    .o_rdx = T(T_TDR, 0), .o_r8 = 1, .c8 = true, .c9 = true),
	ROW(.leaf = TDH_PHYMEM_PAGE_RDMD, .rcx = T(T_P2M_20K, 0), .o_rcx = PT_REG,
	    .o_rdx = T(T_TDR, 0), .o_r8 = 1, .c8 = true),
	ROW(.leaf = TDH_PHYMEM_PAGE_RDMD, .rcx = T(T_PG3, 0), .c8 = true, .c9 = true),
	ROW(.leaf = TDH_PHYMEM_PAGE_RDMD, .rcx = T(T_PT, 0), .o_rcx = PT_EPT,
	    .o_rdx = T(T_TDR, 0), .c8 = true, .c9 = true),
	ROW(.leaf = TDH_PHYMEM_PAGE_RDMD, .rcx = 1ULL << 46, .status = TDX_OPERAND_INVALID + 1),
	ROW(.leaf = TDH_PHYMEM_PAGE_RDMD, .rcx = 0x90000000, .status = TDX_OPERAND_ADDR_RANGE_ERROR + 1),
	ROW(.leaf = TDH_PHYMEM_PAGE_RDMD, .rcx = T(T_PG3_HK, 0),
	    .status = TDX_OPERAND_INVALID + 1),
	/* SEPT.RD: architectural entry and level | state << 8 */
	ROW(.leaf = TDH_MEM_SEPT_RD, .rcx = G, .rdx = T(T_TDR, 0), .o_rcx = TS(T_PG1, LEAFB),
	    .o_rdx = 0x200),
	ROW(.leaf = TDH_MEM_SEPT_RD, .rcx = G | 1, .rdx = T(T_TDR, 0), .o_rcx = 7, .o_rdx = 0x8401),
	ROW(.leaf = TDH_MEM_SEPT_RD, .rcx = G2M | 1, .rdx = T(T_TDR, 0), .o_rcx = TS(T_P2M, LEAFB),
	    .o_rdx = 0x201),
	ROW(.leaf = TDH_MEM_SEPT_RD, .rcx = G2M, .rdx = T(T_TDR, 0),
	    .status = TDX_EPT_WALK_FAILED + 1, .o_rcx = TS(T_P2M, LEAFB), .o_rdx = 0x201),
	ROW(.leaf = TDH_MEM_SEPT_RD, .rcx = GNOT, .rdx = T(T_TDR, 0),
	    .status = TDX_EPT_WALK_FAILED + 1, .o_rcx = SVE, .o_rdx = 2),
	ROW(.leaf = TDH_MEM_SEPT_RD, .rcx = G, .rdx = T(T_TDR, 1), .status = TDX_OPERAND_INVALID + 2),
	ROW(.leaf = TDH_MEM_SEPT_RD, .rcx = G | 4, .rdx = T(T_TDR, 0), .status = TDX_OPERAND_INVALID + 1),
	/* BLOCK → TRACK → REMOVE (a runnable TD needs both) */
	ROW(.leaf = TDH_MEM_PAGE_REMOVE, .rcx = G, .rdx = T(T_TDR, 0),
	    .status = TDX_GPA_RANGE_NOT_BLOCKED + 1, .o_rcx = TS(T_PG1, LEAFB), .o_rdx = 0x200),
	ROW(.leaf = TDH_MEM_RANGE_BLOCK, .rcx = G, .rdx = T(T_TDR, 0)),
	ROW(.leaf = TDH_MEM_RANGE_BLOCK, .rcx = G, .rdx = T(T_TDR, 0),
	    .status = TDX_GPA_RANGE_ALREADY_BLOCKED + 1, .o_rcx = TS(T_PG1, LEAFB), .o_rdx = 0x300),
	ROW(.leaf = TDH_PHYMEM_PAGE_RDMD, .rcx = T(T_PG1, 0), .o_rcx = PT_REG,
	    .o_rdx = T(T_TDR, 0), .o_r9 = 1, .c8 = true, .c9 = true),
	ROW(.leaf = TDH_MEM_PAGE_REMOVE, .rcx = G, .rdx = T(T_TDR, 0),
	    .status = TDX_TLB_TRACKING_NOT_DONE + 1),
	ROW(.leaf = TDH_MEM_RANGE_UNBLOCK, .rcx = G, .rdx = T(T_TDR, 0),
	    .status = TDX_TLB_TRACKING_NOT_DONE + TDX_OPERAND_ID_SEPT_TREE),
	ROW(.leaf = TDH_MEM_TRACK, .rcx = T(T_PG3, 0), .status = TDX_PAGE_METADATA_INCORRECT + 1,
	    .o_rcx = T(T_PG3, 0)),
	ROW(.leaf = TDH_MEM_TRACK, .rcx = T(T_TDR, 0), .o_rcx = T(T_TDR, 0)),
	ROW(.leaf = TDH_MEM_PAGE_REMOVE, .rcx = G | 1, .rdx = T(T_TDR, 0),
	    .status = TDX_EPT_ENTRY_STATE_INCORRECT + 1, .o_rcx = 7, .o_rdx = 0x8401),
	ROW(.leaf = TDH_MEM_PAGE_REMOVE, .rcx = G, .rdx = T(T_TDR, 0), .o_rcx = T(T_PG1, 0)),
	ROW(.leaf = TDH_PHYMEM_PAGE_RDMD, .rcx = T(T_PG1, 0), .c8 = true, .c9 = true),
	ROW(.leaf = TDH_MEM_PAGE_REMOVE, .rcx = G, .rdx = T(T_TDR, 0),
	    .status = TDX_EPT_ENTRY_STATE_INCORRECT + 1, .o_rcx = SVE, .o_rdx = 0),
	ROW(.leaf = TDH_MEM_RANGE_UNBLOCK, .rcx = G, .rdx = T(T_TDR, 0),
	    .status = TDX_EPT_ENTRY_STATE_INCORRECT + 1, .o_rcx = SVE, .o_rdx = 0),
	ROW(.leaf = TDH_MEM_RANGE_BLOCK, .rcx = G, .rdx = T(T_TDR, 0),
	    .status = TDX_EPT_ENTRY_STATE_INCORRECT + 1, .o_rcx = SVE, .o_rdx = 0),
	/* SEPT.REMOVE of the now empty 4K table */
	ROW(.leaf = TDH_MEM_SEPT_REMOVE, .rcx = G | 1, .rdx = T(T_TDR, 0),
	    .status = TDX_GPA_RANGE_NOT_BLOCKED + 1, .o_rcx = 7, .o_rdx = 0x8401),
	ROW(.leaf = TDH_MEM_SEPT_REMOVE, .rcx = G, .rdx = T(T_TDR, 0),
	    .status = TDX_OPERAND_INVALID + 1),
	ROW(.leaf = TDH_MEM_SEPT_REMOVE, .rcx = G2M | 1, .rdx = T(T_TDR, 0),
	    .status = TDX_EPT_ENTRY_STATE_INCORRECT + 1, .o_rcx = TS(T_P2M, LEAFB), .o_rdx = 0x201),
	ROW(.leaf = TDH_MEM_RANGE_BLOCK, .rcx = G | 1, .rdx = T(T_TDR, 0)),
	ROW(.leaf = TDH_MEM_SEPT_RD, .rcx = G | 1, .rdx = T(T_TDR, 0), .o_rcx = 0, .o_rdx = 0x8101),
	ROW(.leaf = TDH_MEM_SEPT_RD, .rcx = G, .rdx = T(T_TDR, 0),
	    .status = TDX_EPT_WALK_FAILED + 1, .o_rcx = 0, .o_rdx = 0x8101),
	ROW(.leaf = TDH_MEM_SEPT_REMOVE, .rcx = G | 1, .rdx = T(T_TDR, 0),
	    .status = TDX_TLB_TRACKING_NOT_DONE + 1),
	ROW(.leaf = TDH_MEM_TRACK, .rcx = T(T_TDR, 0), .o_rcx = T(T_TDR, 0)),
	ROW(.leaf = TDH_MEM_SEPT_REMOVE, .rcx = G | 1, .rdx = T(T_TDR, 0), .o_rcx = T(T_PT, 0)),
	ROW(.leaf = TDH_PHYMEM_PAGE_RDMD, .rcx = T(T_PT, 0), .c8 = true, .c9 = true),
	/* A table still in use: blocked, tracked, not free; unblocked again */
	ROW(.leaf = TDH_MEM_RANGE_BLOCK, .rcx = G | 2, .rdx = T(T_TDR, 0)),
	ROW(.leaf = TDH_MEM_TRACK, .rcx = T(T_TDR, 0), .o_rcx = T(T_TDR, 0)),
	ROW(.leaf = TDH_MEM_SEPT_REMOVE, .rcx = G | 2, .rdx = T(T_TDR, 0),
	    .status = TDX_EPT_PAGE_NOT_FREE + 1, .o_rcx = 0, .o_rdx = 0x8102),
	ROW(.leaf = TDH_MEM_RANGE_UNBLOCK, .rcx = G | 2, .rdx = T(T_TDR, 0)),
	ROW(.leaf = TDH_MEM_SEPT_RD, .rcx = G | 2, .rdx = T(T_TDR, 0), .o_rcx = 7, .o_rdx = 0x8402),
	/* Teardown, with the errors of each step before its time */
	ROW(.leaf = TDH_PHYMEM_PAGE_RECLAIM, .rcx = T(T_P2M, 0),
	    .status = TDX_LIFECYCLE_STATE_INCORRECT, .o_rcx = PT_REG, .o_rdx = T(T_TDR, 0),
	    .o_r8 = 1, .c8 = true),
	ROW(.leaf = TDH_MNG_KEY_FREEID, .rcx = T(T_TDR, 0), .status = TDX_LIFECYCLE_STATE_INCORRECT,
	    .o_rcx = T(T_TDR, 0)),
	ROW(.leaf = TDH_PHYMEM_CACHE_WB, .rcx = 0, .status = TDX_NO_HKID_READY_TO_WBCACHE),
	ROW(.leaf = TDH_PHYMEM_CACHE_WB, .rcx = 2, .status = TDX_OPERAND_INVALID + 1, .o_rcx = 2),
	ROW(.leaf = TDH_PHYMEM_CACHE_WB, .rcx = 1, .status = TDX_WBCACHE_RESUME_ERROR, .o_rcx = 1),
	/* VP.INIT associated the vCPU with this LP: the first flush ends it, the second finds
	 * nothing to flush */
	ROW(.leaf = TDH_VP_FLUSH, .rcx = T(T_TDVPR, 0), .o_rcx = T(T_TDVPR, 0)),
	ROW(.leaf = TDH_VP_FLUSH, .rcx = T(T_TDVPR, 0), .status = TDX_VCPU_NOT_ASSOCIATED,
	    .o_rcx = T(T_TDVPR, 0)),
	ROW(.leaf = TDH_VP_FLUSH, .rcx = T(T_TDR, 0), .status = TDX_PAGE_METADATA_INCORRECT + 1,
	    .o_rcx = T(T_TDR, 0)),
	ROW(.leaf = TDH_MNG_VPFLUSHDONE, .rcx = T(T_TDR, 0), .o_rcx = T(T_TDR, 0)),
	ROW(.leaf = TDH_MNG_VPFLUSHDONE, .rcx = T(T_TDR, 0), .status = TDX_LIFECYCLE_STATE_INCORRECT,
	    .o_rcx = T(T_TDR, 0)),
	ROW(.leaf = TDH_MEM_PAGE_AUG, .rcx = G, .rdx = T(T_TDR, 0), .r8 = T(T_PG2, 0),
	    .status = TDX_TD_KEYS_NOT_CONFIGURED),
	ROW(.leaf = TDH_MEM_TRACK, .rcx = T(T_TDR, 0), .status = TDX_TD_KEYS_NOT_CONFIGURED,
	    .o_rcx = T(T_TDR, 0)),
	ROW(.leaf = TDH_VP_FLUSH, .rcx = T(T_TDVPR, 0), .status = TDX_TD_KEYS_NOT_CONFIGURED,
	    .o_rcx = T(T_TDVPR, 0)),
	ROW(.leaf = TDH_MNG_KEY_FREEID, .rcx = T(T_TDR, 0), .status = TDX_WBCACHE_NOT_COMPLETE,
	    .o_rcx = T(T_TDR, 0)),
	ROW(.lp = 0, .leaf = TDH_PHYMEM_CACHE_WB, .rcx = 0),
	ROW(.leaf = TDH_MNG_KEY_FREEID, .rcx = T(T_TDR, 0), .status = TDX_WBCACHE_NOT_COMPLETE,
	    .o_rcx = T(T_TDR, 0)),
	ROW(.lp = 2, .leaf = TDH_PHYMEM_CACHE_WB, .rcx = 0),
	ROW(.leaf = TDH_PHYMEM_PAGE_RECLAIM, .rcx = T(T_TDR, 0),
	    .status = TDX_LIFECYCLE_STATE_INCORRECT, .o_rcx = PT_TDR, .o_rdx = T(T_TDR, 0),
	    .c8 = true),
	ROW(.leaf = TDH_MNG_KEY_FREEID, .rcx = T(T_TDR, 0), .o_rcx = T(T_TDR, 0)),
	ROW(.leaf = TDH_PHYMEM_CACHE_WB, .rcx = 0, .status = TDX_NO_HKID_READY_TO_WBCACHE),
	ROW(.leaf = TDH_MNG_KEY_RECLAIMID, .rcx = T(T_TDR, 0), .o_rcx = T(T_TDR, 0)),
	ROW(.leaf = TDH_PHYMEM_PAGE_RECLAIM, .rcx = T(T_TDR, 0),
	    .status = TDX_TD_ASSOCIATED_PAGES_EXIST, .o_rcx = PT_TDR, .o_rdx = T(T_TDR, 0),
	    .c8 = true),
	ROW(.leaf = TDH_PHYMEM_PAGE_RECLAIM, .rcx = T(T_P2M_4K, 0),
	    .status = TDX_OPERAND_INVALID + 1, .o_rcx = PT_REG, .o_rdx = T(T_TDR, 0), .o_r8 = 1,
	    .c8 = true),
	ROW(.leaf = TDH_PHYMEM_PAGE_RECLAIM, .rcx = T(T_P2M, 0), .o_rcx = PT_REG,
	    .o_rdx = T(T_TDR, 0), .o_r8 = 1, .c8 = true),
	ROW(.leaf = TDH_PHYMEM_PAGE_RECLAIM, .rcx = T(T_P2M, 0),
	    .status = TDX_PAGE_METADATA_INCORRECT + 1, .c8 = true),
	ROW(.leaf = TDH_PHYMEM_PAGE_RECLAIM, .rcx = 0x90000000,
	    .status = TDX_OPERAND_ADDR_RANGE_ERROR + 1, .c8 = true),
	ROW(.leaf = TDH_PHYMEM_PAGE_WBINVD, .rcx = T(T_P2M_HK, 0), .o_rcx = T(T_P2M_HK, 0)),
	ROW(.leaf = TDH_PHYMEM_PAGE_WBINVD, .rcx = T(T_TDVPR_HK, 0),
	    .status = TDX_PAGE_METADATA_INCORRECT + 1, .o_rcx = T(T_TDVPR_HK, 0)),
	ROW(.leaf = TDH_PHYMEM_PAGE_WBINVD, .rcx = T(T_TDVPR, 1),
	    .status = TDX_OPERAND_INVALID + 1, .o_rcx = T(T_TDVPR, 1)),
};
/* clang-format on */

static void run_row(const struct row *r)
{
	struct tdx_module_args a = {.rcx = val(r->rcx), .rdx = val(r->rdx), .r8 = val(r->r8)};
	uint64_t s = td_call_on(r->lp, r->leaf, &a);
	char where[64];

	snprintf(where, sizeof(where), "row at line %u", r->line);
	if (s != r->status || a.rcx != val(r->o_rcx) || a.rdx != val(r->o_rdx) ||
	    (r->c8 && a.r8 != val(r->o_r8)) || (r->c9 && a.r9 != val(r->o_r9)))
		fail_msg(
			"%s (%s): RAX 0x%016llx want 0x%016llx, RCX 0x%llx want 0x%llx, RDX 0x%llx "
			"want 0x%llx, R8 0x%llx want 0x%llx, R9 0x%llx want 0x%llx",
			where, tdx_seamcall_leaf_name((unsigned int)r->leaf), (unsigned long long)s,
			(unsigned long long)r->status, (unsigned long long)a.rcx,
			(unsigned long long)val(r->o_rcx), (unsigned long long)a.rdx,
			(unsigned long long)val(r->o_rdx), (unsigned long long)a.r8,
			(unsigned long long)val(r->o_r8), (unsigned long long)a.r9,
			(unsigned long long)val(r->o_r9));
}

static void assert_pamt_clean(void)
{
	char buf[2048];
	int n = tdx_pamt_check(buf, sizeof(buf));

	if (n)
		fail_msg("PAMT check: %d violations\n%s", n, buf);
}

static bool all_zero(const void *p, size_t n)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < n; i++)
		if (b[i])
			return false;
	return true;
}

static void scenario_on(enum call_path path)
{
	struct test_td td;
	const struct tdr *tdr;
	struct sept_walk w;

	if (!path_available(path))
		skip();
	platform_claim_signals();
	assert_int_equal(td_build_basic(&td), 0);
	assert_int_equal(td_sept_map(&td, G), 0);
	td_path = path;
	env[T_TDR] = td.tdr;
	env[T_TDVPR] = td.tdvpr[0];
	env[T_PG1] = td_page_alloc();
	env[T_PG2] = td_page_alloc();
	env[T_PG3] = td_page_alloc();
	env[T_P2M] = td_page_alloc_2m();
	env[T_P2M_4K] = env[T_P2M] + 0x1000;
	env[T_P2M_20K] = env[T_P2M] + 0x5000;
	env[T_P2M_HK] = env[T_P2M] | (uint64_t)TD_HKID << HKID_SHIFT;
	env[T_PG3_HK] = env[T_PG3] | (uint64_t)TD_HKID << HKID_SHIFT;
	env[T_TDVPR_HK] = env[T_TDVPR] | (uint64_t)TD_HKID << HKID_SHIFT;
	tdr = tdr_of(td.tdr);
	sept_walk(tdr, G, 1, &w);
	env[T_PT] = sept_hpa(w.value);
	/* The host's data in a page it gives to a TD is gone: it reads zeros from then on. */
	memset(hva(env[T_PG1]), 0xAB, 4096);
	for (size_t i = 0; i < sizeof(scenario) / sizeof(scenario[0]); i++) {
		run_row(&scenario[i]);
		if (i == 0)
			assert_true(all_zero(hva(env[T_PG1]), 4096));
	}
	td_path = PATH_DIRECT;
	assert_int_equal(td_teardown(&td), 0);
	assert_pamt_clean();
}

static void test_scenario_direct(void **state)
{
	(void)state;
	scenario_on(PATH_DIRECT);
}

static void test_scenario_trap(void **state)
{
	(void)state;
	scenario_on(PATH_TRAP);
}

static void test_scenario_gate(void **state)
{
	(void)state;
	scenario_on(PATH_GATE);
}

/* ------------------------------------------------------------------------------------------
 * A TD being built (INITIALIZED): no TLB tracking needed, so no BLOCK before REMOVE.
 */
static void test_initialized_td(void **state)
{
	struct td_params p;
	struct test_td td;
	struct tdx_module_args a;
	uint64_t pg = 0, pt;
	struct sept_walk w;

	(void)state;
	td_params_default(&p);
	assert_int_equal(td_create(&td, TD_HKID), 0);
	/* Before MNG.INIT: TDCS pages missing, then the op_state */
	a = (struct tdx_module_args){.rcx = G, .rdx = td.tdr, .r8 = td_page_alloc()};
	assert_int_equal(td_call(TDH_MEM_PAGE_AUG, &a), TDX_TDCS_NOT_ALLOCATED);
	assert_int_equal(td_init(&td, &p), 0);
	assert_int_equal(td_sept_map(&td, G), 0);
	sept_walk(tdr_of(td.tdr), G, 1, &w);
	pt = sept_hpa(w.value);
	pg = td_page_alloc();
	a = (struct tdx_module_args){.rcx = G, .rdx = td.tdr, .r8 = pg};
	assert_int_equal(td_call(TDH_MEM_PAGE_AUG, &a), 0);
	a = (struct tdx_module_args){.rcx = G, .rdx = td.tdr};
	assert_int_equal(td_call(TDH_MEM_PAGE_REMOVE, &a), 0);
	assert_int_equal(a.rcx, pg);
	a = (struct tdx_module_args){.rcx = G | 1, .rdx = td.tdr};
	assert_int_equal(td_call(TDH_MEM_SEPT_REMOVE, &a), 0);
	assert_int_equal(a.rcx, pt);
	/* Version 1 of SEPT.REMOVE: no L2 tables, R9..R11 = NULL_PA */
	a = (struct tdx_module_args){.rcx = G | 2, .rdx = td.tdr};
	assert_int_equal(td_call(TDH_MEM_SEPT_REMOVE | (1ULL << 16), &a), 0);
	assert_int_equal(a.r9, ~0ULL);
	assert_int_equal(a.r11, ~0ULL);
	/* A PENDING leaf can be blocked and unblocked without tracking here */
	assert_int_equal(td_sept_map(&td, G), 0);
	a = (struct tdx_module_args){.rcx = G, .rdx = td.tdr, .r8 = td_page_alloc()};
	assert_int_equal(td_call(TDH_MEM_PAGE_AUG, &a), 0);
	a = (struct tdx_module_args){.rcx = G, .rdx = td.tdr};
	assert_int_equal(td_call(TDH_MEM_RANGE_BLOCK, &a), 0);
	a = (struct tdx_module_args){.rcx = G, .rdx = td.tdr};
	assert_int_equal(td_call(TDH_MEM_RANGE_UNBLOCK, &a), 0);
	a = (struct tdx_module_args){.rcx = G, .rdx = td.tdr};
	assert_int_equal(td_call(TDH_MEM_SEPT_RD, &a), 0);
	assert_int_equal(a.rdx, 0x200);
	assert_int_equal(td_teardown(&td), 0);
	assert_pamt_clean();
}

/*
 * A vCPU that never got all its TDCX pages answers TDH.VP.FLUSH with TDCX_NUM_INCORRECT; it
 * never ran, so td_teardown() skips its flush, as KVM flushes only vCPUs that were loaded
 * (found by fuzz_seamcall_seq). The TD still goes away whole: every page back to the host.
 */
static void test_teardown_half_built_vcpu(void **state)
{
	struct td_params p;
	struct test_td td;
	struct tdx_module_args a;
	uint64_t pages[2 + 6 + 5 + 2 + 1];
	unsigned int n = 0, v;
	char buf[2048];

	(void)state;
	td_params_default(&p);
	assert_int_equal(td_create(&td, TD_HKID), 0);
	assert_int_equal(td_init(&td, &p), 0);
	assert_int_equal(td_add_vcpu(&td), 0);
	/* vCPU 1: VP.CREATE and two of its five TDCX pages, no VP.INIT */
	v = td.nr_vcpus;
	td.tdvpr[v] = td_page_alloc();
	a = (struct tdx_module_args){.rcx = td.tdvpr[v], .rdx = td.tdr};
	assert_int_equal(td_call(TDH_VP_CREATE, &a), 0);
	td.nr_vcpus++;
	for (unsigned int i = 0; i < 2; i++) {
		td.vp_tdcx[v][i] = td_page_alloc();
		a = (struct tdx_module_args){.rcx = td.vp_tdcx[v][i], .rdx = td.tdvpr[v]};
		assert_int_equal(td_call(TDH_VP_ADDCX, &a), 0);
	}
	a = (struct tdx_module_args){.rcx = td.tdvpr[v]};
	assert_int_equal(td_call(TDH_VP_FLUSH, &a), TDX_TDCX_NUM_INCORRECT);

	pages[n++] = td.tdr;
	for (unsigned int i = 0; i < 6; i++)
		pages[n++] = td.tdcx[i];
	pages[n++] = td.tdvpr[0];
	for (unsigned int i = 0; i < 5; i++)
		pages[n++] = td.vp_tdcx[0][i];
	pages[n++] = td.tdvpr[1];
	pages[n++] = td.vp_tdcx[1][0];
	pages[n++] = td.vp_tdcx[1][1];
	for (unsigned int i = 0; i < n; i++)
		assert_int_not_equal(pamt_entry_get(pages[i], PT_4KB)->pt, PT_NDA);

	assert_int_equal(td_teardown(&td), 0);
	for (unsigned int i = 0; i < n; i++)
		assert_int_equal(pamt_entry_get(pages[i], PT_4KB)->pt, PT_NDA);
	assert_int_equal(tdxm.kot[TD_HKID].state, KOT_STATE_HKID_FREE);
	assert_int_equal(tdx_sept_check(buf, sizeof(buf)), 0);
	assert_pamt_clean();
}

/* TRACK refused while a vCPU still runs in the previous epoch; CACHE.WB interrupted. */
static void test_tdh_mem_track_epoch_tdh_phymem_cache_wb(void **state)
{
	struct test_td td;
	struct tdx_module_args a;
	struct tdcs *tdcs;

	(void)state;
	assert_int_equal(td_build_basic(&td), 0);
	tdcs = tdcs_of(tdr_of(td.tdr));
	if (!tdcs)
		abort();
	/* A vCPU entered in epoch 1 and still runs (white-box: its reference). */
	__atomic_add_fetch(&tdcs->refcount[1], 1, __ATOMIC_RELAXED);
	a = (struct tdx_module_args){.rcx = td.tdr};
	assert_int_equal(td_call(TDH_MEM_TRACK, &a), 0); /* 1 → 2: epoch 1 is the previous */
	assert_int_equal(td_call(TDH_MEM_TRACK, &a), TDX_PREVIOUS_TLB_EPOCH_BUSY);
	__atomic_sub_fetch(&tdcs->refcount[1], 1, __ATOMIC_RELAXED);
	assert_int_equal(td_call(TDH_MEM_TRACK, &a), 0);
	assert_int_equal(tdcs->td_epoch, 3);

	a = (struct tdx_module_args){.rcx = td.tdvpr[0]};
	assert_int_equal(td_call(TDH_VP_FLUSH, &a), 0); /* VP.INIT associated it with LP 0 */
	a = (struct tdx_module_args){.rcx = td.tdr};
	assert_int_equal(td_call(TDH_MNG_VPFLUSHDONE, &a), 0);
	cache_wb_test_interrupts = 2;
	a = (struct tdx_module_args){.rcx = 0};
	assert_int_equal(td_call_on(0, TDH_PHYMEM_CACHE_WB, &a), TDX_INTERRUPTED_RESUMABLE);
	a = (struct tdx_module_args){.rcx = td.tdr};
	assert_int_equal(td_call(TDH_MNG_KEY_FREEID, &a), TDX_WBCACHE_NOT_COMPLETE);
	a = (struct tdx_module_args){.rcx = 1};
	assert_int_equal(td_call_on(0, TDH_PHYMEM_CACHE_WB, &a), TDX_INTERRUPTED_RESUMABLE);
	a = (struct tdx_module_args){.rcx = 1};
	assert_int_equal(td_call_on(0, TDH_PHYMEM_CACHE_WB, &a), 0);
	a = (struct tdx_module_args){.rcx = 1};
	assert_int_equal(td_call_on(0, TDH_PHYMEM_CACHE_WB, &a), TDX_WBCACHE_RESUME_ERROR);
	assert_int_equal(td_teardown(&td), 0);
	assert_pamt_clean();
}

/* ------------------------------------------------------------------------------------------
 * A guest accepts what the host adds.
 */
#define CODE_GPA TD_CODE_GPA

extern const uint8_t accept_code[], accept_code_end[];
__asm__(".pushsection .rodata\n"
	".globl accept_code, accept_code_end\n"
	"accept_code:\n"
	/* RBX = the window base: this page's address minus its GPA */
	"	leaq accept_code(%rip), %rbx\n"
	"	movabsq $0xFFFFF000, %rax\n"
	"	subq %rax, %rbx\n"
	/* 1. ACCEPT G (4K): an EPT-violation exit until the host AUGs it, then success */
	"	movl $TDG_MEM_PAGE_ACCEPT, %eax\n"
	"	movabsq $0x40000000, %rcx\n"
	"	.byte 0x66, 0x0f, 0x01, 0xcc\n"
	"	movq %rax, %r12\n"
	"	movabsq $0x40000000, %rax\n"
	"	movq (%rbx,%rax), %r13\n"
	"	movabsq $0x1122334455667788, %rdx\n"
	"	movq %rdx, (%rbx,%rax)\n"
	/* 2. again: PAGE_ALREADY_ACCEPTED */
	"	movl $TDG_MEM_PAGE_ACCEPT, %eax\n"
	"	movabsq $0x40000000, %rcx\n"
	"	.byte 0x66, 0x0f, 0x01, 0xcc\n"
	"	movq %rax, %r14\n"
	/* 3. level 2: OPERAND_INVALID|RCX */
	"	movl $TDG_MEM_PAGE_ACCEPT, %eax\n"
	"	movabsq $0x40000002, %rcx\n"
	"	.byte 0x66, 0x0f, 0x01, 0xcc\n"
	"	movq %rax, %r15\n"
	"	xorl %r10d, %r10d\n"
	"	movl $0x100, %r11d\n"
	"	movl $0xfc00, %ecx\n"
	"	movl $TDG_VP_VMCALL, %eax\n"
	"	.byte 0x66, 0x0f, 0x01, 0xcc\n"
	/* 4. ACCEPT G2M (2M) and read its last 4K page */
	"	movl $TDG_MEM_PAGE_ACCEPT, %eax\n"
	"	movabsq $0x40200001, %rcx\n"
	"	.byte 0x66, 0x0f, 0x01, 0xcc\n"
	"	movq %rax, %r12\n"
	"	movabsq $0x403FF000, %rax\n"
	"	movq (%rbx,%rax), %r15\n"
	/* 5. 2M where a 4K table is: PAGE_SIZE_MISMATCH + 1 */
	"	movl $TDG_MEM_PAGE_ACCEPT, %eax\n"
	"	movabsq $0x40000001, %rcx\n"
	"	.byte 0x66, 0x0f, 0x01, 0xcc\n"
	"	movq %rax, %r13\n"
	/* 6. 4K inside the accepted 2M page: PAGE_ALREADY_ACCEPTED + 1 */
	"	movl $TDG_MEM_PAGE_ACCEPT, %eax\n"
	"	movabsq $0x40201000, %rcx\n"
	"	.byte 0x66, 0x0f, 0x01, 0xcc\n"
	"	movq %rax, %r14\n"
	"	xorl %r10d, %r10d\n"
	"	movl $0x101, %r11d\n"
	"	movl $0xfc00, %ecx\n"
	"	movl $TDG_VP_VMCALL, %eax\n"
	"	.byte 0x66, 0x0f, 0x01, 0xcc\n"
	"	ud2\n"
	"accept_code_end:\n"
	".popsection\n");

static void aug_accept_on(enum call_path path)
{
	static uint8_t code[4096];
	struct test_td td;
	struct tdx_module_args a;
	uint64_t pg, p2m;

	if (!path_available(path))
		skip();
	platform_claim_signals();
	td_code_page(code, accept_code, accept_code_end);
	assert_int_equal(td_build_guest(&td, code, NULL, NULL), 0);
	assert_int_equal(td_sept_map(&td, G), 0);
	td_path = path; /* VP.ENTER needs a real SEAMCALL (trap or gate) */

	/*
	 * ACCEPT of a page never added: EPT violation, RCX = a data write on an entry without
	 * R/W/X, RDX = type ACCEPT (1) with requested level 0 and the walk's stop at level 0 on
	 * a FREE non-leaf entry (info 0), R8 = the GPA [M tdaccept_vmx_eeq_info_t].
	 */
	a = (struct tdx_module_args){.rcx = td.tdvpr[0]};
	assert_int_equal(td_call(TDH_VP_ENTER, &a), EXIT_REASON_EPT_VIOLATION);
	assert_int_equal(a.rcx, 2);
	assert_int_equal(a.rdx, 1);
	assert_int_equal(tdx_eeq_accept_level(a.rdx), 0);
	assert_int_equal(a.r8, G);
	assert_int_equal(a.r9, 0);

	pg = td_page_alloc();
	a = (struct tdx_module_args){.rcx = G, .rdx = td.tdr, .r8 = pg};
	assert_int_equal(td_call(TDH_MEM_PAGE_AUG, &a), 0);
	/* The TDCALL runs again and succeeds */
	a = (struct tdx_module_args){.rcx = td.tdvpr[0]};
	assert_int_equal(td_call(TDH_VP_ENTER, &a), EXIT_REASON_TDCALL);
	assert_int_equal(a.r11, 0x100);
	assert_int_equal(a.r12, 0);
	assert_int_equal(a.r13, 0); /* an accepted page reads zeros */
	assert_int_equal(a.r14, TDX_PAGE_ALREADY_ACCEPTED);
	assert_int_equal(a.r15, TDX_OPERAND_INVALID + 1);
	a = (struct tdx_module_args){.rcx = G, .rdx = td.tdr};
	assert_int_equal(td_call(TDH_MEM_SEPT_RD, &a), 0);
	assert_int_equal(a.rcx, pg | SVE | LEAFB | 7);
	assert_int_equal(a.rdx, 0x400);
	assert_true(all_zero(hva(pg), 4096)); /* the host does not see the guest's data */

	/*
	 * ACCEPT of a 2M range never added: the same exit, the extended qualification with the
	 * requested level (bits 34:32 = 1) and the walk's stop at level 1 (bits 37:35 = 1) on a
	 * FREE non-leaf entry: type 1 | 0x9 << 32. This is what a VMM AUGs at 2M from.
	 */
	a = (struct tdx_module_args){.rcx = td.tdvpr[0]};
	assert_int_equal(td_call(TDH_VP_ENTER, &a), EXIT_REASON_EPT_VIOLATION);
	assert_int_equal(a.rcx, 2);
	assert_int_equal(a.rdx, 0x0000000900000001ULL);
	assert_int_equal(tdx_eeq_accept_level(a.rdx), 1);
	assert_int_equal(a.r8, G2M);
	assert_int_equal(a.r9, 0);

	p2m = td_page_alloc_2m();
	a = (struct tdx_module_args){.rcx = G2M | 1, .rdx = td.tdr, .r8 = p2m};
	assert_int_equal(td_call(TDH_MEM_PAGE_AUG, &a), 0);
	a = (struct tdx_module_args){.rcx = td.tdvpr[0]};
	assert_int_equal(td_call(TDH_VP_ENTER, &a), EXIT_REASON_TDCALL);
	assert_int_equal(a.r11, 0x101);
	assert_int_equal(a.r12, 0);
	assert_int_equal(a.r15, 0);
	assert_int_equal(a.r13, TDX_PAGE_SIZE_MISMATCH + 1);
	assert_int_equal(a.r14, TDX_PAGE_ALREADY_ACCEPTED + 1);

	/* BLOCK → TRACK → REMOVE the page the guest wrote; it comes back zeroed */
	a = (struct tdx_module_args){.rcx = G, .rdx = td.tdr};
	assert_int_equal(td_call(TDH_MEM_RANGE_BLOCK, &a), 0);
	a = (struct tdx_module_args){.rcx = td.tdr};
	assert_int_equal(td_call(TDH_MEM_TRACK, &a), 0);
	a = (struct tdx_module_args){.rcx = G, .rdx = td.tdr};
	assert_int_equal(td_call(TDH_MEM_PAGE_REMOVE, &a), 0);
	assert_int_equal(a.rcx, pg);
	assert_true(all_zero(hva(pg), 4096));

	/* The vCPU is associated with LP 0: VP.FLUSH elsewhere is refused */
	a = (struct tdx_module_args){.rcx = td.tdvpr[0]};
	assert_int_equal(td_call_on(1, TDH_VP_FLUSH, &a), TDX_VCPU_NOT_ASSOCIATED);
	a = (struct tdx_module_args){.rcx = td.tdr};
	assert_int_equal(td_call(TDH_MNG_VPFLUSHDONE, &a), TDX_FLUSHVP_NOT_DONE);
	assert_int_equal(td_teardown(&td), 0);
	td_path = PATH_DIRECT;
	assert_pamt_clean();
}

static void test_tdh_mem_page_aug_tdg_mem_page_accept_trap(void **state)
{
	(void)state;
	aug_accept_on(PATH_TRAP);
}

static void test_tdh_mem_page_aug_tdg_mem_page_accept_gate(void **state)
{
	(void)state;
	aug_accept_on(PATH_GATE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_scenario_direct, td_machine_setup,
						td_machine_teardown),
		cmocka_unit_test_setup_teardown(test_scenario_trap, td_machine_setup,
						td_machine_teardown),
		cmocka_unit_test_setup_teardown(test_scenario_gate, td_machine_setup,
						td_machine_teardown),
		cmocka_unit_test_setup_teardown(test_initialized_td, td_machine_setup,
						td_machine_teardown),
		cmocka_unit_test_setup_teardown(test_teardown_half_built_vcpu, td_machine_setup,
						td_machine_teardown),
		cmocka_unit_test_setup_teardown(test_tdh_mem_track_epoch_tdh_phymem_cache_wb,
						td_machine_setup, td_machine_teardown),
		cmocka_unit_test_setup_teardown(test_tdh_mem_page_aug_tdg_mem_page_accept_trap,
						td_machine_setup, td_machine_teardown),
		cmocka_unit_test_setup_teardown(test_tdh_mem_page_aug_tdg_mem_page_accept_gate,
						td_machine_setup, td_machine_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
