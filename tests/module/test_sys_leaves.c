// SPDX-License-Identifier: MIT
/*
 * Table-driven tests of the TDH.SYS.* leaves: one row per (leaf, situation), each checking
 * the exact RAX and output registers, run once per call path (direct adapter, SEAMCALL
 * trap, gate). Statuses and detail bytes as docs/TDX-ABI.md §1.1, §4, §6, §7 give them.
 */
#include <stdio.h>
#include <string.h>

#include "harness.h"

#define V_LATEST TDX_MODULE_LATEST
#define V_1501	 TDX_MODULE_1_5_01

/* Output registers a row checks. */
enum {
	O_RCX = 1 << 0,
	O_RDX = 1 << 1,
	O_R8 = 1 << 2,
	O_R9 = 1 << 3,
	O_R10 = 1 << 4,
};

/* Things a row holds around its call (white-box: the module's own locks). */
enum {
	H_GLOBAL_EXCL = 1 << 0,
	H_GLOBAL_SHARED = 1 << 1,
	H_TDMR0 = 1 << 2,
	H_OTHER_LP_BUSY = 1 << 3,
};

struct row {
	const char *name;
	enum tdx_module_version ver;
	enum stage stage;
	unsigned int lp_mask; /* LPs that did LP.INIT during bring-up (0 = all) */
	unsigned int lp;      /* the calling LP */
	uint64_t rax;
	struct tdx_module_args in;
	bool config_args; /* RCX/RDX/R8 from the standard layout */
	void (*prep)(struct layout *L, struct tdx_module_args *a);
	unsigned int hold;
	const char *inject;
	uint64_t want;
	unsigned int out;
	struct tdx_module_args want_out;
	bool (*post)(const struct tdx_module_args *a); /* extra checks after the call */
};

#define GARBAGE                                                                                    \
	{                                                                                          \
		.rcx = 0x1111, .rdx = 0x2222, .r8 = 0x8888, .r9 = 0x9999, .r10 = 0xaaaa            \
	}
#define ALL_LPS_BUT_3		   0x7
#define RSVD_DETAIL(code, i, j)	   ((code) + (i) + ((uint64_t)(j) << 8))
#define PAMT_DETAIL(code, i, l, j) ((code) + (i) + ((uint64_t)(l) << 8) + ((uint64_t)(j) << 16))

/* ---- preparations of bad SYS.CONFIG inputs (mutations of the standard layout) ---- */

static void p_tdmr_base_unaligned(struct layout *L, struct tdx_module_args *a)
{
	(void)a;
	L->t[0].base = 2 * MiB;
}

static void p_tdmr_size_zero(struct layout *L, struct tdx_module_args *a)
{
	(void)a;
	L->t[1].size = 0;
}

static void p_tdmr_size_unaligned(struct layout *L, struct tdx_module_args *a)
{
	(void)a;
	L->t[1].size = GiB + 4 * KiB;
}

static void p_tdmr_above_max_pa(struct layout *L, struct tdx_module_args *a)
{
	(void)a;
	L->t[1].base = 1ULL << 46;
}

static void p_tdmr_hkid_bits(struct layout *L, struct tdx_module_args *a)
{
	(void)a;
	L->t[1].base |= 1ULL << HKID_SHIFT;
}

static void p_tdmr_end_hkid_bits(struct layout *L, struct tdx_module_args *a)
{
	(void)a;
	L->t[1].size = (1ULL << HKID_SHIFT); /* end crosses into KeyID bits */
}

static void p_tdmr_unsorted(struct layout *L, struct tdx_module_args *a)
{
	struct tdmr_info t = L->t[0];

	(void)a;
	L->t[0] = L->t[1];
	L->t[1] = t;
}

static void p_tdmr_overlap(struct layout *L, struct tdx_module_args *a)
{
	(void)a;
	L->t[1].base = 1 * GiB;
}

static void p_rsvd_offset_unaligned(struct layout *L, struct tdx_module_args *a)
{
	(void)a;
	L->t[0].reserved_areas[1].offset += 512;
}

static void p_rsvd_size_unaligned(struct layout *L, struct tdx_module_args *a)
{
	(void)a;
	L->t[0].reserved_areas[0].size = 100;
}

static void p_rsvd_outside(struct layout *L, struct tdx_module_args *a)
{
	(void)a;
	L->t[1].reserved_areas[0].offset = 2 * GiB - 4 * KiB;
	L->t[1].reserved_areas[0].size = 8 * KiB;
}

static void p_rsvd_overflow(struct layout *L, struct tdx_module_args *a)
{
	(void)a;
	L->t[1].reserved_areas[0].offset = ~0ULL - 4095;
	L->t[1].reserved_areas[0].size = 8 * KiB;
}

static void p_rsvd_unsorted(struct layout *L, struct tdx_module_args *a)
{
	(void)a;
	L->t[0].reserved_areas[2].offset = 4 * KiB;
	L->t[0].reserved_areas[2].size = 4 * KiB;
}

static void p_rsvd_overlap(struct layout *L, struct tdx_module_args *a)
{
	(void)a;
	L->t[0].reserved_areas[2].offset = GiB + 16 * MiB;
	L->t[0].reserved_areas[2].size = 64 * MiB;
}

static void p_rsvd_null_then_area(struct layout *L, struct tdx_module_args *a)
{
	(void)a;
	L->t[0].reserved_areas[3].offset = 1536 * MiB;
	L->t[0].reserved_areas[3].size = 4 * KiB;
}

static void p_pamt4k_small(struct layout *L, struct tdx_module_args *a)
{
	(void)a;
	L->t[1].pamt_4k_size = 8 * MiB - 4 * KiB;
}

static void p_pamt2m_small(struct layout *L, struct tdx_module_args *a)
{
	(void)a;
	L->t[0].pamt_2m_size = 12 * KiB;
}

static void p_pamt1g_zero(struct layout *L, struct tdx_module_args *a)
{
	(void)a;
	L->t[0].pamt_1g_size = 0;
}

static void p_pamt_base_unaligned(struct layout *L, struct tdx_module_args *a)
{
	(void)a;
	L->t[1].pamt_2m_base += 16;
}

static void p_pamt_hkid(struct layout *L, struct tdx_module_args *a)
{
	(void)a;
	L->t[1].pamt_1g_base |= 1ULL << HKID_SHIFT;
}

static void p_pamt_outside_cmr(struct layout *L, struct tdx_module_args *a)
{
	(void)a;
	/* In the [2G, 4G) hole: not RAM, not a CMR, and outside every TDMR. */
	L->t[1].pamt_4k_base = 3 * GiB;
}

static void p_pamt_overlap_own(struct layout *L, struct tdx_module_args *a)
{
	(void)a;
	L->t[0].pamt_2m_base = L->t[0].pamt_4k_base + 4 * MiB;
}

static void p_pamt_overlap_own_2m_1g(struct layout *L, struct tdx_module_args *a)
{
	(void)a;
	L->t[0].pamt_1g_base = L->t[0].pamt_2m_base + 4 * KiB;
}

static void p_pamt_overlap_other(struct layout *L, struct tdx_module_args *a)
{
	(void)a;
	L->t[1].pamt_1g_base = L->t[0].pamt_4k_base;
}

static void p_pamt_in_own_available(struct layout *L, struct tdx_module_args *a)
{
	(void)a;
	L->t[0].pamt_1g_base = 512 * MiB; /* TDMR0's available part */
}

static void p_pamt_in_prev_available(struct layout *L, struct tdx_module_args *a)
{
	(void)a;
	L->t[1].pamt_2m_base = 1536 * MiB; /* TDMR0's available part */
}

static void p_pamt_in_next_available(struct layout *L, struct tdx_module_args *a)
{
	(void)a;
	L->t[0].pamt_4k_base = 5 * GiB; /* TDMR1's available part */
}

static void p_tdmr_outside_cmr(struct layout *L, struct tdx_module_args *a)
{
	(void)a;
	L->t[0].reserved_areas[0].size =
		4 * KiB; /* the rest of the legacy hole becomes available */
}

static void p_tdmr_in_hole(struct layout *L, struct tdx_module_args *a)
{
	(void)a;
	L->t[1].base = 2 * GiB; /* [2G, 4G) is no CMR */
}

static void p_entry_unaligned(struct layout *L, struct tdx_module_args *a)
{
	(void)a;
	L->array[1] = INFO_PA(1) + 64;
}

static void p_entry_not_ram(struct layout *L, struct tdx_module_args *a)
{
	(void)a;
	L->array[1] = 3 * GiB;
}

static void p_array_not_ram(struct layout *L, struct tdx_module_args *a)
{
	(void)L;
	a->rcx = 3 * GiB;
}

/* ---- post-conditions ---- */

static bool post_state_sysinit_done(const struct tdx_module_args *a)
{
	(void)a;
	return sys_state_get() == SYSINIT_DONE;
}

static bool post_state_config_done(const struct tdx_module_args *a)
{
	(void)a;
	return sys_state_get() == SYSCONFIG_DONE && tdxm.nr_tdmrs == 2 && tdxm.hkid == GLOBAL_HKID;
}

static bool post_state_ready(const struct tdx_module_args *a)
{
	(void)a;
	return sys_state_get() == SYS_READY;
}

static bool post_state_shutdown(const struct tdx_module_args *a)
{
	(void)a;
	return sys_state_get() == SYS_SHUTDOWN;
}

static bool post_not_configured(const struct tdx_module_args *a)
{
	(void)a;
	return sys_state_get() == SYSINIT_DONE && tdxm.nr_tdmrs == 0;
}

static bool post_pkg0_unconfigured(const struct tdx_module_args *a)
{
	(void)a;
	return sys_state_get() == SYSCONFIG_DONE && !(tdxm.pkg_config_bitmap & 1);
}

static bool post_pamt_ok(const struct tdx_module_args *a)
{
	char buf[512];
	int n = tdx_pamt_check(buf, sizeof(buf));

	(void)a;
	if (n)
		printf("%s", buf);
	return n == 0;
}

static bool post_sysinfo(const struct tdx_module_args *a)
{
	const uint8_t *si = hva(SYSINFO_PA);
	const uint64_t *cmr = hva(CMRINFO_PA);
	uint32_t vendor, ncpuid;
	uint16_t max_tdmrs;

	(void)a;
	memcpy(&vendor, si + 4, 4);
	memcpy(&max_tdmrs, si + 32, 2);
	memcpy(&ncpuid, si + 128, 4);
	return vendor == 0x8086 && si[18] == 1 && max_tdmrs == 64 && ncpuid == 12 && cmr[0] == 0 &&
	       cmr[1] == 640 * KiB && cmr[2] == MiB && cmr[4] == 4 * GiB && cmr[6] == 0 &&
	       cmr[7] == 0;
}

static bool post_rdall_complete(const struct tdx_module_args *a)
{
	const uint8_t *list = hva(LIST_PA);
	uint16_t used, nseq;
	uint64_t first;

	(void)a;
	memcpy(&used, list, 2);
	memcpy(&nseq, list + 2, 2);
	memcpy(&first, list + 8, 8);
	/* First sequence: NUM_PKGS alone (PKG_FMS has 8 fields after it, same class). */
	return used > 8 && used <= 4096 && nseq > 10 && md_field_id_field_code(first) == 0 &&
	       md_field_id_class(first) == 0;
}

/* Rows. Outputs not listed in `out` are not checked. */
/* clang-format off */
static const struct row rows[] = {
	/* ---------------- dispatcher ---------------- */
	{ "dispatch: reserved RAX bit 24", V_LATEST, S_LOADED, .rax = TDH_SYS_INIT | (1ULL << 24),
	  .want = TDX_OPERAND_INVALID + TDX_OPERAND_ID_RAX },
	{ "dispatch: reserved RAX bit 63", V_LATEST, S_READY, .rax = TDH_SYS_RD | (1ULL << 63),
	  .want = TDX_OPERAND_INVALID + TDX_OPERAND_ID_RAX },
	{ "dispatch: version 1 of SYS.INIT", V_LATEST, S_LOADED, .rax = TDH_SYS_INIT | (1 << 16),
	  .want = TDX_OPERAND_INVALID + TDX_OPERAND_ID_RAX },
	{ "dispatch: unknown leaf before ready", V_LATEST, S_SYSINIT, .rax = 99,
	  .want = TDX_SYS_NOT_READY },
	{ "dispatch: unknown leaf when ready", V_LATEST, S_READY, .rax = 99,
	  .want = TDX_OPERAND_INVALID + TDX_OPERAND_ID_RAX },
	{ "dispatch: TD leaf before ready", V_LATEST, S_CONFIG, .rax = TDH_MNG_CREATE,
	  .want = TDX_SYS_NOT_READY },
	{ "dispatch: SYS.RD after shutdown", V_LATEST, S_SHUTDOWN, .rax = TDH_SYS_RD,
	  .in = { .rdx = MD_FIELD_ID_MAX_TDMRS }, .want = TDX_SYS_SHUTDOWN },
	{ "dispatch: LP.INIT after shutdown", V_LATEST, S_SHUTDOWN, .lp_mask = ALL_LPS_BUT_3,
	  .lp = 3, .rax = TDH_SYS_LP_INIT, .want = TDX_SYS_SHUTDOWN },

	/* ---------------- TDH.SYS.INIT ---------------- */
	{ "SYS.INIT: success", V_LATEST, S_LOADED, .rax = TDH_SYS_INIT, .in = { .rdx = 5, .r8 = 6,
	  .r9 = 7, .r10 = 8 }, .want = TDX_SUCCESS, .out = O_RCX | O_RDX | O_R8 | O_R9 | O_R10,
	  .post = post_state_sysinit_done },
	{ "SYS.INIT: attributes not 0", V_LATEST, S_LOADED, .rax = TDH_SYS_INIT, .in = GARBAGE,
	  .want = TDX_OPERAND_INVALID + TDX_OPERAND_ID_RCX,
	  .out = O_RCX | O_RDX | O_R8 | O_R9 | O_R10 },
	{ "SYS.INIT: twice", V_LATEST, S_SYSINIT, .lp = 1, .rax = TDH_SYS_INIT,
	  .want = TDX_SYS_INIT_NOT_PENDING, .out = O_RCX },
	{ "SYS.INIT: after ready", V_1501, S_READY, .rax = TDH_SYS_INIT,
	  .want = TDX_SYS_INIT_NOT_PENDING },
	{ "SYS.INIT: global lock busy", V_LATEST, S_LOADED, .rax = TDH_SYS_INIT,
	  .hold = H_GLOBAL_SHARED, .want = TDX_SYS_BUSY },
	{ "SYS.INIT: RND_NO_ENTROPY injected", V_LATEST, S_LOADED, .rax = TDH_SYS_INIT,
	  .in = GARBAGE, .inject = "TDH.SYS.INIT:1=RND_NO_ENTROPY", .want = TDX_RND_NO_ENTROPY,
	  .out = O_RCX | O_RDX | O_R8 | O_R9 | O_R10 },

	/* ---------------- TDH.SYS.LP.INIT ---------------- */
	{ "LP.INIT: before SYS.INIT", V_LATEST, S_LOADED, .rax = TDH_SYS_LP_INIT, .in = GARBAGE,
	  .want = TDX_SYS_LP_INIT_NOT_PENDING, .out = O_RCX | O_RDX | O_R8,
	  .want_out = { .rcx = 0, .rdx = 0, .r8 = 0 } },
	{ "LP.INIT: success", V_LATEST, S_SYSINIT, .lp = 2, .rax = TDH_SYS_LP_INIT, .in = GARBAGE,
	  .want = TDX_SUCCESS, .out = O_RCX | O_RDX | O_R8 },
	{ "LP.INIT: again on the same LP", V_LATEST, S_LPINIT, .lp = 1, .rax = TDH_SYS_LP_INIT,
	  .want = TDX_SYS_LP_INIT_DONE },
	{ "LP.INIT: global lock held exclusively", V_LATEST, S_SYSINIT, .rax = TDH_SYS_LP_INIT,
	  .hold = H_GLOBAL_EXCL, .want = TDX_SYS_BUSY },
	{ "LP.INIT: shared with another LP.INIT", V_LATEST, S_SYSINIT, .rax = TDH_SYS_LP_INIT,
	  .hold = H_GLOBAL_SHARED, .want = TDX_SUCCESS },
	{ "LP.INIT: RND_NO_ENTROPY injected", V_LATEST, S_SYSINIT, .rax = TDH_SYS_LP_INIT,
	  .in = GARBAGE, .inject = "35:1=0x8000020300000000", .want = TDX_RND_NO_ENTROPY,
	  .out = O_RCX | O_RDX | O_R8 },
	{ "LP.INIT: after SYS.CONFIG, latest", V_LATEST, S_CONFIG, .lp_mask = ALL_LPS_BUT_3,
	  .lp = 3, .rax = TDH_SYS_LP_INIT, .want = TDX_SUCCESS },
	{ "LP.INIT: after SYS.CONFIG, 1.5.01", V_1501, S_CONFIG, .lp = 3,
	  .rax = TDH_SYS_LP_INIT, .want = TDX_SYS_LP_INIT_NOT_PENDING },
	{ "LP.INIT: after ready (hotplug), latest", V_LATEST, S_READY, .lp_mask = ALL_LPS_BUT_3,
	  .lp = 3, .rax = TDH_SYS_LP_INIT, .want = TDX_SUCCESS, .out = O_RCX | O_RDX | O_R8 },
	{ "LP.INIT: after ready, done LP, latest", V_LATEST, S_READY, .lp = 0,
	  .rax = TDH_SYS_LP_INIT, .want = TDX_SYS_LP_INIT_DONE },
	{ "LP.INIT: after ready, 1.5.01", V_1501, S_READY, .lp = 3, .rax = TDH_SYS_LP_INIT,
	  .want = TDX_SYS_LP_INIT_NOT_PENDING, .out = O_RCX | O_RDX | O_R8 },
	{ "LP.INIT: after TDMR.INIT (hotplug), latest", V_LATEST, S_TDMR,
	  .lp_mask = ALL_LPS_BUT_3, .lp = 3, .rax = TDH_SYS_LP_INIT, .want = TDX_SUCCESS },

	/* ---------------- TDH.SYS.RD ---------------- */
	{ "SYS.RD: before LP.INIT on this LP", V_LATEST, S_LPINIT, .lp_mask = 0x1, .lp = 1,
	  .rax = TDH_SYS_RD, .in = { .rdx = MD_FIELD_ID_MAX_TDMRS, .r8 = 5 },
	  .want = TDX_SYS_LP_INIT_NOT_DONE, .out = O_RDX | O_R8,
	  .want_out = { .rdx = MD_FIELD_ID_NA, .r8 = 0 } },
	{ "SYS.RD: before SYS.INIT", V_LATEST, S_LOADED, .rax = TDH_SYS_RD,
	  .in = { .rdx = MD_FIELD_ID_MAX_TDMRS }, .want = TDX_SYS_LP_INIT_NOT_DONE },
	{ "SYS.RD: null ID gives the first ID", V_LATEST, S_LPINIT, .rax = TDH_SYS_RD,
	  .in = { .rdx = MD_FIELD_ID_NA, .r8 = 5 }, .want = TDX_METADATA_FIRST_FIELD_ID_IN_CONTEXT,
	  .out = O_RDX | O_R8, .want_out = { .rdx = MD_FIELD_ID_NUM_PKGS, .r8 = 0 } },
	{ "SYS.RD: null ID with context bits", V_LATEST, S_LPINIT, .rax = TDH_SYS_RD,
	  .in = { .rdx = ~MD_FIELD_ID_CONTEXT_MASK },
	  .want = TDX_METADATA_FIRST_FIELD_ID_IN_CONTEXT, .out = O_RDX,
	  .want_out = { .rdx = MD_FIELD_ID_NUM_PKGS } },
	{ "SYS.RD: MAX_TDMRS", V_LATEST, S_LPINIT, .rax = TDH_SYS_RD,
	  .in = { .rdx = MD_FIELD_ID_MAX_TDMRS }, .want = TDX_SUCCESS, .out = O_RDX | O_R8,
	  .want_out = { .rdx = MD_FIELD_ID_MAX_RESERVED_PER_TDMR, .r8 = 64 } },
	{ "SYS.RD: MAX_RESERVED_PER_TDMR", V_1501, S_READY, .rax = TDH_SYS_RD,
	  .in = { .rdx = MD_FIELD_ID_MAX_RESERVED_PER_TDMR }, .want = TDX_SUCCESS, .out = O_R8,
	  .want_out = { .r8 = 16 } },
	{ "SYS.RD: PAMT_1G_ENTRY_SIZE", V_LATEST, S_LPINIT, .rax = TDH_SYS_RD,
	  .in = { .rdx = MD_FIELD_ID_PAMT_1G_ENTRY_SIZE }, .want = TDX_SUCCESS,
	  .out = O_RDX | O_R8, .want_out = { .rdx = MD_FIELD_ID_TDR_BASE_SIZE, .r8 = 16 } },
	{ "SYS.RD: TDX_FEATURES0 has NO_RBP_MOD and REDUCE_VE", V_LATEST, S_LPINIT,
	  .rax = TDH_SYS_RD, .in = { .rdx = MD_FIELD_ID_TDX_FEATURES0 }, .want = TDX_SUCCESS,
	  .out = O_R8, .want_out = { .r8 = TDX_FEATURES0_NO_RBP_MOD | TDX_FEATURES0_REDUCE_VE } },
	{ "SYS.RD: TDX_FEATURES0 of 1.5.01: NO_RBP_MOD only", V_1501, S_READY, .rax = TDH_SYS_RD,
	  .in = { .rdx = MD_FIELD_ID_TDX_FEATURES0 }, .want = TDX_SUCCESS, .out = O_R8,
	  .want_out = { .r8 = TDX_FEATURES0_NO_RBP_MOD } },
	{ "SYS.RD: MAX_VCPUS_PER_TD, latest", V_LATEST, S_LPINIT, .rax = TDH_SYS_RD,
	  .in = { .rdx = MD_FIELD_ID_MAX_VCPUS_PER_TD }, .want = TDX_SUCCESS, .out = O_RDX | O_R8,
	  .want_out = { .rdx = MD_FIELD_ID_CPUID_CONFIG_LEAVES, .r8 = 1024 } },
	{ "SYS.RD: MAX_VCPUS_PER_TD, 1.5.01", V_1501, S_LPINIT, .rax = TDH_SYS_RD,
	  .in = { .rdx = MD_FIELD_ID_MAX_VCPUS_PER_TD }, .want = TDX_METADATA_FIELD_ID_INCORRECT,
	  .out = O_RDX | O_R8, .want_out = { .rdx = MD_FIELD_ID_NA, .r8 = 0 } },
	{ "SYS.RD: CONFIG_FLAGS_FIXED1 next, 1.5.01", V_1501, S_LPINIT, .rax = TDH_SYS_RD,
	  .in = { .rdx = MD_FIELD_ID_CONFIG_FLAGS_FIXED1 }, .want = TDX_SUCCESS, .out = O_RDX,
	  .want_out = { .rdx = MD_FIELD_ID_CPUID_CONFIG_LEAVES } },
	{ "SYS.RD: NUM_CMRS", V_LATEST, S_LPINIT, .rax = TDH_SYS_RD,
	  .in = { .rdx = MD_FIELD_ID_NUM_CMRS }, .want = TDX_SUCCESS, .out = O_RDX | O_R8,
	  .want_out = { .rdx = MD_FIELD_ID_CMR_BASE, .r8 = 32 } },
	{ "SYS.RD: CMR_BASE[2]", V_LATEST, S_LPINIT, .rax = TDH_SYS_RD,
	  .in = { .rdx = MD_FIELD_ID_CMR_BASE + 2 }, .want = TDX_SUCCESS, .out = O_RDX | O_R8,
	  .want_out = { .rdx = MD_FIELD_ID_CMR_BASE + 3, .r8 = 4 * GiB } },
	{ "SYS.RD: CMR_SIZE[1]", V_LATEST, S_LPINIT, .rax = TDH_SYS_RD,
	  .in = { .rdx = MD_FIELD_ID_CMR_SIZE + 1 }, .want = TDX_SUCCESS, .out = O_R8,
	  .want_out = { .r8 = 2 * GiB - MiB } },
	{ "SYS.RD: CMR_BASE[31] next is CMR_SIZE[0]", V_LATEST, S_LPINIT, .rax = TDH_SYS_RD,
	  .in = { .rdx = MD_FIELD_ID_CMR_BASE + 31 }, .want = TDX_SUCCESS, .out = O_RDX | O_R8,
	  .want_out = { .rdx = MD_FIELD_ID_CMR_SIZE, .r8 = 0 } },
	{ "SYS.RD: CPUID_CONFIG_LEAVES[0]", V_LATEST, S_LPINIT, .rax = TDH_SYS_RD,
	  .in = { .rdx = MD_FIELD_ID_CPUID_CONFIG_LEAVES }, .want = TDX_SUCCESS, .out = O_R8,
	  .want_out = { .r8 = 0xFFFFFFFF00000001ULL } },
	{ "SYS.RD: CPUID_CONFIG_LEAVES[20] past NUM", V_LATEST, S_LPINIT, .rax = TDH_SYS_RD,
	  .in = { .rdx = MD_FIELD_ID_CPUID_CONFIG_LEAVES + 20 }, .want = TDX_SUCCESS,
	  .out = O_R8, .want_out = { .r8 = ~0ULL } },
	{ "SYS.RD: CPUID_CONFIG_VALUES[0][0]", V_LATEST, S_LPINIT, .rax = TDH_SYS_RD,
	  .in = { .rdx = MD_FIELD_ID_CPUID_CONFIG_VALUES }, .want = TDX_SUCCESS,
	  .out = O_RDX | O_R8, .want_out = { .rdx = MD_FIELD_ID_CPUID_CONFIG_VALUES + 1,
	  .r8 = 0x00ff00000fff3fffULL } },
	{ "SYS.RD: CPUID_CONFIG_VALUES[1][1]", V_LATEST, S_LPINIT, .rax = TDH_SYS_RD,
	  .in = { .rdx = MD_FIELD_ID_CPUID_CONFIG_VALUES + 3 }, .want = TDX_SUCCESS, .out = O_R8,
	  .want_out = { .r8 = 0xfffffffbffffffffULL } },
	{ "SYS.RD: last field, next is null", V_LATEST, S_LPINIT, .rax = TDH_SYS_RD,
	  .in = { .rdx = MD_FIELD_ID_IA32_ARCH_CAPABILITIES_CONFIG_MASK }, .want = TDX_SUCCESS,
	  .out = O_RDX | O_R8, .want_out = { .rdx = MD_FIELD_ID_NA, .r8 = 0x1180010 } },
	{ "SYS.RD: context bits ignored", V_LATEST, S_LPINIT, .rax = TDH_SYS_RD,
	  .in = { .rdx = MD_FIELD_ID_MAX_TDMRS | (2ULL << 52) }, .want = TDX_SUCCESS, .out = O_R8,
	  .want_out = { .r8 = 64 } },
	{ "SYS.RD: element size ignored", V_LATEST, S_LPINIT, .rax = TDH_SYS_RD,
	  .in = { .rdx = MD_FIELD_ID_MAX_TDMRS | (3ULL << 32) }, .want = TDX_SUCCESS, .out = O_R8,
	  .want_out = { .r8 = 64 } },
	{ "SYS.RD: reserved bit 24", V_LATEST, S_LPINIT, .rax = TDH_SYS_RD,
	  .in = { .rdx = MD_FIELD_ID_MAX_TDMRS | (1ULL << 24) },
	  .want = TDX_METADATA_FIELD_ID_INCORRECT, .out = O_RDX | O_R8,
	  .want_out = { .rdx = MD_FIELD_ID_NA, .r8 = 0 } },
	{ "SYS.RD: reserved bit 62", V_LATEST, S_LPINIT, .rax = TDH_SYS_RD,
	  .in = { .rdx = MD_FIELD_ID_MAX_TDMRS | (1ULL << 62) },
	  .want = TDX_METADATA_FIELD_ID_INCORRECT },
	{ "SYS.RD: last element in field set", V_LATEST, S_LPINIT, .rax = TDH_SYS_RD,
	  .in = { .rdx = MD_FIELD_ID_CPUID_CONFIG_VALUES | (1ULL << 34) },
	  .want = TDX_METADATA_FIELD_ID_INCORRECT },
	{ "SYS.RD: last field in sequence set", V_LATEST, S_LPINIT, .rax = TDH_SYS_RD,
	  .in = { .rdx = MD_FIELD_ID_CMR_BASE | (1ULL << 38) },
	  .want = TDX_METADATA_FIELD_ID_INCORRECT },
	{ "SYS.RD: unknown field", V_LATEST, S_LPINIT, .rax = TDH_SYS_RD,
	  .in = { .rdx = 0x9100000100000013ULL }, .want = TDX_METADATA_FIELD_ID_INCORRECT,
	  .out = O_RDX | O_R8, .want_out = { .rdx = MD_FIELD_ID_NA, .r8 = 0 } },
	{ "SYS.RD: CMR_BASE[32] out of the array", V_LATEST, S_LPINIT, .rax = TDH_SYS_RD,
	  .in = { .rdx = MD_FIELD_ID_CMR_BASE + 32 }, .want = TDX_METADATA_FIELD_ID_INCORRECT },

	/* ---------------- TDH.SYS.RDALL ---------------- */
	{ "SYS.RDALL: before LP.INIT", V_LATEST, S_SYSINIT, .rax = TDH_SYS_RDALL,
	  .in = { .rdx = LIST_PA, .r8 = MD_FIELD_ID_NA }, .want = TDX_SYS_LP_INIT_NOT_DONE,
	  .out = O_R8, .want_out = { .r8 = MD_FIELD_ID_NA } },
	{ "SYS.RDALL: whole context", V_LATEST, S_LPINIT, .rax = TDH_SYS_RDALL,
	  .in = { .rdx = LIST_PA, .r8 = MD_FIELD_ID_NA }, .want = TDX_SUCCESS, .out = O_R8,
	  .want_out = { .r8 = MD_FIELD_ID_NA }, .post = post_rdall_complete },
	{ "SYS.RDALL: from MAX_TDMRS", V_1501, S_READY, .rax = TDH_SYS_RDALL,
	  .in = { .rdx = LIST_PA, .r8 = MD_FIELD_ID_MAX_TDMRS }, .want = TDX_SUCCESS,
	  .out = O_R8, .want_out = { .r8 = MD_FIELD_ID_NA } },
	{ "SYS.RDALL: list not 4K aligned", V_LATEST, S_LPINIT, .rax = TDH_SYS_RDALL,
	  .in = { .rdx = LIST_PA + 8, .r8 = MD_FIELD_ID_NA },
	  .want = TDX_OPERAND_INVALID + TDX_OPERAND_ID_RDX, .out = O_R8,
	  .want_out = { .r8 = MD_FIELD_ID_NA } },
	{ "SYS.RDALL: list not RAM", V_LATEST, S_LPINIT, .rax = TDH_SYS_RDALL,
	  .in = { .rdx = 3 * GiB, .r8 = MD_FIELD_ID_NA },
	  .want = TDX_OPERAND_INVALID + TDX_OPERAND_ID_RDX },
	{ "SYS.RDALL: list with a private KeyID", V_LATEST, S_LPINIT, .rax = TDH_SYS_RDALL,
	  .in = { .rdx = LIST_PA | (40ULL << HKID_SHIFT), .r8 = MD_FIELD_ID_NA },
	  .want = TDX_OPERAND_INVALID + TDX_OPERAND_ID_RDX },
	{ "SYS.RDALL: list with a shared KeyID", V_LATEST, S_LPINIT, .rax = TDH_SYS_RDALL,
	  .in = { .rdx = LIST_PA | (3ULL << HKID_SHIFT), .r8 = MD_FIELD_ID_NA },
	  .want = TDX_SUCCESS },
	{ "SYS.RDALL: start inside a field", V_LATEST, S_LPINIT, .rax = TDH_SYS_RDALL,
	  .in = { .rdx = LIST_PA, .r8 = MD_FIELD_ID_CPUID_CONFIG_VALUES + 1 },
	  .want = TDX_METADATA_FIELD_ID_INCORRECT, .out = O_R8,
	  .want_out = { .r8 = MD_FIELD_ID_NA } },
	{ "SYS.RDALL: wrong element size", V_LATEST, S_LPINIT, .rax = TDH_SYS_RDALL,
	  .in = { .rdx = LIST_PA, .r8 = MD_FIELD_ID_MAX_TDMRS | (3ULL << 32) },
	  .want = TDX_METADATA_FIELD_ID_INCORRECT },

	/* ---------------- TDH.SYS.INFO ---------------- */
	{ "SYS.INFO: before LP.INIT", V_LATEST, S_SYSINIT, .rax = TDH_SYS_INFO,
	  .in = { .rcx = SYSINFO_PA, .rdx = 1024, .r8 = CMRINFO_PA, .r9 = 32 },
	  .want = TDX_SYS_LP_INIT_NOT_DONE, .out = O_RDX | O_R9 },
	{ "SYS.INFO: success", V_LATEST, S_LPINIT, .rax = TDH_SYS_INFO,
	  .in = { .rcx = SYSINFO_PA, .rdx = 4096, .r8 = CMRINFO_PA, .r9 = 40 },
	  .want = TDX_SUCCESS, .out = O_RCX | O_RDX | O_R8 | O_R9,
	  .want_out = { .rcx = SYSINFO_PA, .rdx = 1024, .r8 = CMRINFO_PA, .r9 = 32 },
	  .post = post_sysinfo },
	{ "SYS.INFO: TDSYSINFO not 1K aligned", V_LATEST, S_LPINIT, .rax = TDH_SYS_INFO,
	  .in = { .rcx = SYSINFO_PA + 512, .rdx = 1024, .r8 = CMRINFO_PA, .r9 = 32 },
	  .want = TDX_OPERAND_INVALID + TDX_OPERAND_ID_RCX, .out = O_RDX | O_R9 },
	{ "SYS.INFO: TDSYSINFO too small", V_LATEST, S_LPINIT, .rax = TDH_SYS_INFO,
	  .in = { .rcx = SYSINFO_PA, .rdx = 1023, .r8 = CMRINFO_PA, .r9 = 32 },
	  .want = TDX_OPERAND_INVALID + TDX_OPERAND_ID_RDX, .out = O_RDX | O_R9 },
	{ "SYS.INFO: CMR array misaligned", V_LATEST, S_LPINIT, .rax = TDH_SYS_INFO,
	  .in = { .rcx = SYSINFO_PA, .rdx = 1024, .r8 = CMRINFO_PA + 16, .r9 = 32 },
	  .want = TDX_OPERAND_INVALID + TDX_OPERAND_ID_R8, .out = O_RDX | O_R9 },
	{ "SYS.INFO: CMR array too small", V_LATEST, S_LPINIT, .rax = TDH_SYS_INFO,
	  .in = { .rcx = SYSINFO_PA, .rdx = 1024, .r8 = CMRINFO_PA, .r9 = 31 },
	  .want = TDX_OPERAND_INVALID + TDX_OPERAND_ID_R9, .out = O_RDX | O_R9 },
	{ "SYS.INFO: TDSYSINFO not RAM", V_LATEST, S_LPINIT, .rax = TDH_SYS_INFO,
	  .in = { .rcx = 3 * GiB, .rdx = 1024, .r8 = CMRINFO_PA, .r9 = 32 },
	  .want = TDX_OPERAND_INVALID + TDX_OPERAND_ID_RCX },

	/* ---------------- TDH.SYS.CONFIG: state ---------------- */
	{ "SYS.CONFIG: before SYS.INIT", V_LATEST, S_LOADED, .rax = TDH_SYS_CONFIG,
	  .config_args = true, .want = TDX_SYS_CONFIG_NOT_PENDING },
	{ "SYS.CONFIG: not every LP initialised, 1.5.01", V_1501, S_LPINIT,
	  .lp_mask = ALL_LPS_BUT_3, .rax = TDH_SYS_CONFIG, .config_args = true,
	  .want = TDX_SYS_CONFIG_NOT_PENDING, .post = post_not_configured },
	{ "SYS.CONFIG: every LP initialised, 1.5.01", V_1501, S_LPINIT, .lp = 2,
	  .rax = TDH_SYS_CONFIG, .config_args = true, .want = TDX_SUCCESS,
	  .post = post_state_config_done },
	{ "SYS.CONFIG: calling LP initialised, latest", V_LATEST, S_LPINIT, .lp_mask = 0x1,
	  .rax = TDH_SYS_CONFIG, .config_args = true, .want = TDX_SUCCESS,
	  .post = post_state_config_done },
	{ "SYS.CONFIG: calling LP not initialised, latest", V_LATEST, S_LPINIT, .lp_mask = 0x1,
	  .lp = 1, .rax = TDH_SYS_CONFIG, .config_args = true,
	  .want = TDX_SYS_CONFIG_NOT_PENDING },
	{ "SYS.CONFIG: twice", V_LATEST, S_CONFIG, .rax = TDH_SYS_CONFIG, .config_args = true,
	  .want = TDX_SYS_CONFIG_NOT_PENDING },
	{ "SYS.CONFIG: global lock busy", V_LATEST, S_LPINIT, .rax = TDH_SYS_CONFIG,
	  .config_args = true, .hold = H_GLOBAL_SHARED, .want = TDX_SYS_BUSY },

	/* ---------------- TDH.SYS.CONFIG: operands ---------------- */
	{ "SYS.CONFIG: array not 512-aligned", V_LATEST, S_LPINIT, .rax = TDH_SYS_CONFIG,
	  .in = { .rcx = ARRAY_PA + 256, .rdx = 2, .r8 = GLOBAL_HKID },
	  .want = TDX_OPERAND_INVALID + TDX_OPERAND_ID_RCX },
	{ "SYS.CONFIG: array with a private KeyID", V_LATEST, S_LPINIT, .rax = TDH_SYS_CONFIG,
	  .in = { .rcx = ARRAY_PA | (33ULL << HKID_SHIFT), .rdx = 2, .r8 = GLOBAL_HKID },
	  .want = TDX_OPERAND_INVALID + TDX_OPERAND_ID_RCX },
	{ "SYS.CONFIG: array above MAX_PA", V_LATEST, S_LPINIT, .rax = TDH_SYS_CONFIG,
	  .in = { .rcx = 1ULL << 46, .rdx = 2, .r8 = GLOBAL_HKID },
	  .want = TDX_OPERAND_INVALID + TDX_OPERAND_ID_RCX },
	{ "SYS.CONFIG: array not RAM", V_LATEST, S_LPINIT, .rax = TDH_SYS_CONFIG,
	  .config_args = true, .prep = p_array_not_ram,
	  .want = TDX_OPERAND_INVALID + TDX_OPERAND_ID_RCX },
	{ "SYS.CONFIG: 0 TDMRs", V_LATEST, S_LPINIT, .rax = TDH_SYS_CONFIG,
	  .in = { .rcx = ARRAY_PA, .rdx = 0, .r8 = GLOBAL_HKID },
	  .want = TDX_OPERAND_INVALID + TDX_OPERAND_ID_RDX },
	{ "SYS.CONFIG: 65 TDMRs", V_LATEST, S_LPINIT, .rax = TDH_SYS_CONFIG,
	  .in = { .rcx = ARRAY_PA, .rdx = 65, .r8 = GLOBAL_HKID },
	  .want = TDX_OPERAND_INVALID + TDX_OPERAND_ID_RDX },
	{ "SYS.CONFIG: KeyID bits 63:16", V_LATEST, S_LPINIT, .rax = TDH_SYS_CONFIG,
	  .in = { .rcx = ARRAY_PA, .rdx = 2, .r8 = GLOBAL_HKID | (1ULL << 16) },
	  .want = TDX_OPERAND_INVALID + TDX_OPERAND_ID_R8 },
	{ "SYS.CONFIG: MK-TME KeyID", V_LATEST, S_LPINIT, .rax = TDH_SYS_CONFIG,
	  .in = { .rcx = ARRAY_PA, .rdx = 2, .r8 = 31 },
	  .want = TDX_OPERAND_INVALID + TDX_OPERAND_ID_R8 },
	{ "SYS.CONFIG: KeyID past the TDX range", V_LATEST, S_LPINIT, .rax = TDH_SYS_CONFIG,
	  .in = { .rcx = ARRAY_PA, .rdx = 2, .r8 = 64 },
	  .want = TDX_OPERAND_INVALID + TDX_OPERAND_ID_R8 },
	{ "SYS.CONFIG: last TDX KeyID", V_LATEST, S_LPINIT, .rax = TDH_SYS_CONFIG,
	  .in = { .rcx = ARRAY_PA, .rdx = 2, .r8 = 63 }, .want = TDX_SUCCESS },
	{ "SYS.CONFIG: TDMR_INFO not 512-aligned", V_LATEST, S_LPINIT, .rax = TDH_SYS_CONFIG,
	  .config_args = true, .prep = p_entry_unaligned,
	  .want = TDX_OPERAND_INVALID + TDX_OPERAND_ID_RCX, .post = post_not_configured },
	{ "SYS.CONFIG: TDMR_INFO not RAM", V_LATEST, S_LPINIT, .rax = TDH_SYS_CONFIG,
	  .config_args = true, .prep = p_entry_not_ram,
	  .want = TDX_OPERAND_INVALID + TDX_OPERAND_ID_RCX },

	/* ---------------- TDH.SYS.CONFIG: TDMRs ---------------- */
	{ "SYS.CONFIG: TDMR base misaligned", V_LATEST, S_LPINIT, .rax = TDH_SYS_CONFIG,
	  .config_args = true, .prep = p_tdmr_base_unaligned, .want = TDX_INVALID_TDMR + 0 },
	{ "SYS.CONFIG: TDMR size 0", V_LATEST, S_LPINIT, .rax = TDH_SYS_CONFIG,
	  .config_args = true, .prep = p_tdmr_size_zero, .want = TDX_INVALID_TDMR + 1 },
	{ "SYS.CONFIG: TDMR size misaligned", V_LATEST, S_LPINIT, .rax = TDH_SYS_CONFIG,
	  .config_args = true, .prep = p_tdmr_size_unaligned, .want = TDX_INVALID_TDMR + 1 },
	{ "SYS.CONFIG: TDMR above MAX_PA", V_LATEST, S_LPINIT, .rax = TDH_SYS_CONFIG,
	  .config_args = true, .prep = p_tdmr_above_max_pa, .want = TDX_INVALID_TDMR + 1 },
	{ "SYS.CONFIG: TDMR base with KeyID bits", V_LATEST, S_LPINIT, .rax = TDH_SYS_CONFIG,
	  .config_args = true, .prep = p_tdmr_hkid_bits, .want = TDX_INVALID_TDMR + 1 },
	{ "SYS.CONFIG: TDMR end with KeyID bits", V_LATEST, S_LPINIT, .rax = TDH_SYS_CONFIG,
	  .config_args = true, .prep = p_tdmr_end_hkid_bits, .want = TDX_INVALID_TDMR + 1 },
	{ "SYS.CONFIG: TDMRs unsorted", V_LATEST, S_LPINIT, .rax = TDH_SYS_CONFIG,
	  .config_args = true, .prep = p_tdmr_unsorted, .want = TDX_NON_ORDERED_TDMR + 1 },
	{ "SYS.CONFIG: TDMRs overlapping", V_LATEST, S_LPINIT, .rax = TDH_SYS_CONFIG,
	  .config_args = true, .prep = p_tdmr_overlap, .want = TDX_NON_ORDERED_TDMR + 1 },
	{ "SYS.CONFIG: TDMR over a hole not reserved", V_LATEST, S_LPINIT,
	  .rax = TDH_SYS_CONFIG, .config_args = true, .prep = p_tdmr_outside_cmr,
	  .want = TDX_TDMR_OUTSIDE_CMRS + 0 },
	{ "SYS.CONFIG: TDMR in the 32-bit hole", V_LATEST, S_LPINIT, .rax = TDH_SYS_CONFIG,
	  .config_args = true, .prep = p_tdmr_in_hole, .want = TDX_TDMR_OUTSIDE_CMRS + 1 },

	/* ---------------- TDH.SYS.CONFIG: reserved areas ---------------- */
	{ "SYS.CONFIG: reserved offset misaligned", V_LATEST, S_LPINIT, .rax = TDH_SYS_CONFIG,
	  .config_args = true, .prep = p_rsvd_offset_unaligned,
	  .want = RSVD_DETAIL(TDX_INVALID_RESERVED_IN_TDMR, 0, 1) },
	{ "SYS.CONFIG: reserved size misaligned", V_LATEST, S_LPINIT, .rax = TDH_SYS_CONFIG,
	  .config_args = true, .prep = p_rsvd_size_unaligned,
	  .want = RSVD_DETAIL(TDX_INVALID_RESERVED_IN_TDMR, 0, 0) },
	{ "SYS.CONFIG: reserved area past the TDMR", V_LATEST, S_LPINIT, .rax = TDH_SYS_CONFIG,
	  .config_args = true, .prep = p_rsvd_outside,
	  .want = RSVD_DETAIL(TDX_INVALID_RESERVED_IN_TDMR, 1, 0) },
	{ "SYS.CONFIG: reserved area wraps", V_LATEST, S_LPINIT, .rax = TDH_SYS_CONFIG,
	  .config_args = true, .prep = p_rsvd_overflow,
	  .want = RSVD_DETAIL(TDX_INVALID_RESERVED_IN_TDMR, 1, 0) },
	{ "SYS.CONFIG: reserved areas unsorted", V_LATEST, S_LPINIT, .rax = TDH_SYS_CONFIG,
	  .config_args = true, .prep = p_rsvd_unsorted,
	  .want = RSVD_DETAIL(TDX_NON_ORDERED_RESERVED_IN_TDMR, 0, 2) },
	{ "SYS.CONFIG: reserved areas overlapping", V_LATEST, S_LPINIT, .rax = TDH_SYS_CONFIG,
	  .config_args = true, .prep = p_rsvd_overlap,
	  .want = RSVD_DETAIL(TDX_NON_ORDERED_RESERVED_IN_TDMR, 0, 2) },
	{ "SYS.CONFIG: area after a null area", V_LATEST, S_LPINIT, .rax = TDH_SYS_CONFIG,
	  .config_args = true, .prep = p_rsvd_null_then_area,
	  .want = RSVD_DETAIL(TDX_NON_ORDERED_RESERVED_IN_TDMR, 0, 2) },

	/* ---------------- TDH.SYS.CONFIG: PAMTs ---------------- */
	{ "SYS.CONFIG: PAMT 4K too small", V_LATEST, S_LPINIT, .rax = TDH_SYS_CONFIG,
	  .config_args = true, .prep = p_pamt4k_small,
	  .want = PAMT_DETAIL(TDX_INVALID_PAMT, 1, PT_4KB, 0) },
	{ "SYS.CONFIG: PAMT 2M too small", V_LATEST, S_LPINIT, .rax = TDH_SYS_CONFIG,
	  .config_args = true, .prep = p_pamt2m_small,
	  .want = PAMT_DETAIL(TDX_INVALID_PAMT, 0, PT_2MB, 0) },
	{ "SYS.CONFIG: PAMT 1G size 0", V_LATEST, S_LPINIT, .rax = TDH_SYS_CONFIG,
	  .config_args = true, .prep = p_pamt1g_zero,
	  .want = PAMT_DETAIL(TDX_INVALID_PAMT, 0, PT_1GB, 0) },
	{ "SYS.CONFIG: PAMT base misaligned", V_LATEST, S_LPINIT, .rax = TDH_SYS_CONFIG,
	  .config_args = true, .prep = p_pamt_base_unaligned,
	  .want = PAMT_DETAIL(TDX_INVALID_PAMT, 1, PT_2MB, 0) },
	{ "SYS.CONFIG: PAMT with KeyID bits", V_LATEST, S_LPINIT, .rax = TDH_SYS_CONFIG,
	  .config_args = true, .prep = p_pamt_hkid,
	  .want = PAMT_DETAIL(TDX_INVALID_PAMT, 1, PT_1GB, 0) },
	{ "SYS.CONFIG: PAMT outside CMRs", V_LATEST, S_LPINIT, .rax = TDH_SYS_CONFIG,
	  .config_args = true, .prep = p_pamt_outside_cmr,
	  .want = PAMT_DETAIL(TDX_PAMT_OUTSIDE_CMRS, 1, PT_4KB, 0) },
	{ "SYS.CONFIG: PAMT 4K overlaps own 2M", V_LATEST, S_LPINIT, .rax = TDH_SYS_CONFIG,
	  .config_args = true, .prep = p_pamt_overlap_own,
	  .want = PAMT_DETAIL(TDX_PAMT_OVERLAP, 0, PT_4KB, 0) },
	{ "SYS.CONFIG: PAMT 2M overlaps own 1G", V_LATEST, S_LPINIT, .rax = TDH_SYS_CONFIG,
	  .config_args = true, .prep = p_pamt_overlap_own_2m_1g,
	  .want = PAMT_DETAIL(TDX_PAMT_OVERLAP, 0, PT_2MB, 0) },
	{ "SYS.CONFIG: PAMT overlaps another TDMR's", V_LATEST, S_LPINIT, .rax = TDH_SYS_CONFIG,
	  .config_args = true, .prep = p_pamt_overlap_other,
	  .want = PAMT_DETAIL(TDX_PAMT_OVERLAP, 1, PT_1GB, 0) },
	{ "SYS.CONFIG: PAMT in own available area", V_LATEST, S_LPINIT, .rax = TDH_SYS_CONFIG,
	  .config_args = true, .prep = p_pamt_in_own_available,
	  .want = PAMT_DETAIL(TDX_PAMT_OVERLAP, 0, PT_1GB, 0) },
	{ "SYS.CONFIG: PAMT in an earlier TDMR", V_LATEST, S_LPINIT, .rax = TDH_SYS_CONFIG,
	  .config_args = true, .prep = p_pamt_in_prev_available,
	  .want = PAMT_DETAIL(TDX_PAMT_OVERLAP, 1, PT_2MB, 0) },
	{ "SYS.CONFIG: PAMT in a later TDMR", V_LATEST, S_LPINIT, .rax = TDH_SYS_CONFIG,
	  .config_args = true, .prep = p_pamt_in_next_available,
	  .want = PAMT_DETAIL(TDX_PAMT_OVERLAP, 0, PT_4KB, 1) },

	/* ---------------- TDH.SYS.KEY.CONFIG ---------------- */
	{ "KEY.CONFIG: before SYS.CONFIG", V_LATEST, S_LPINIT, .rax = TDH_SYS_KEY_CONFIG,
	  .want = TDX_SYS_KEY_CONFIG_NOT_PENDING },
	{ "KEY.CONFIG: first package", V_LATEST, S_CONFIG, .lp = 1, .rax = TDH_SYS_KEY_CONFIG,
	  .want = TDX_SUCCESS, .post = post_state_config_done },
	{ "KEY.CONFIG: package again", V_LATEST, S_KEY0, .lp = 1, .rax = TDH_SYS_KEY_CONFIG,
	  .want = TDX_KEY_CONFIGURED },
	{ "KEY.CONFIG: last package", V_LATEST, S_KEY0, .lp = 3, .rax = TDH_SYS_KEY_CONFIG,
	  .want = TDX_SUCCESS, .post = post_state_ready },
	{ "KEY.CONFIG: last package, 1.5.01", V_1501, S_KEY0, .lp = 2,
	  .rax = TDH_SYS_KEY_CONFIG, .want = TDX_SUCCESS, .post = post_state_ready },
	{ "KEY.CONFIG: after ready", V_LATEST, S_READY, .rax = TDH_SYS_KEY_CONFIG,
	  .want = TDX_SYS_KEY_CONFIG_NOT_PENDING },
	{ "KEY.CONFIG: LP without LP.INIT, latest", V_LATEST, S_CONFIG,
	  .lp_mask = ALL_LPS_BUT_3, .lp = 3, .rax = TDH_SYS_KEY_CONFIG,
	  .want = TDX_SYS_LP_INIT_NOT_DONE },
	{ "KEY.CONFIG: global lock busy", V_LATEST, S_CONFIG, .rax = TDH_SYS_KEY_CONFIG,
	  .hold = H_GLOBAL_SHARED, .want = TDX_SYS_BUSY },
	{ "KEY.CONFIG: KEY_GENERATION_FAILED injected", V_LATEST, S_CONFIG,
	  .rax = TDH_SYS_KEY_CONFIG, .inject = "TDH.SYS.KEY.CONFIG:1=KEY_GENERATION_FAILED",
	  .want = TDX_KEY_GENERATION_FAILED, .post = post_pkg0_unconfigured },
	{ "KEY.CONFIG: OPERAND_BUSY|KET injected", V_LATEST, S_CONFIG,
	  .rax = TDH_SYS_KEY_CONFIG, .inject = "TDH.SYS.KEY.CONFIG:1=0x80000200000000BB",
	  .want = TDX_OPERAND_BUSY + TDX_OPERAND_ID_KET, .post = post_pkg0_unconfigured },

	/* ---------------- TDH.SYS.TDMR.INIT ---------------- */
	{ "TDMR.INIT: before KEY.CONFIG", V_LATEST, S_CONFIG, .rax = TDH_SYS_TDMR_INIT,
	  .in = { .rcx = 0 }, .want = TDX_SYS_NOT_READY },
	{ "TDMR.INIT: one package left", V_LATEST, S_KEY0, .rax = TDH_SYS_TDMR_INIT,
	  .in = { .rcx = 0 }, .want = TDX_SYS_NOT_READY },
	/* one 4 MiB chunk: RDX rounded down to 1 GiB stays at the block's base */
	{ "TDMR.INIT: first chunk", V_LATEST, S_READY, .rax = TDH_SYS_TDMR_INIT,
	  .in = { .rcx = 4 * GiB, .rdx = 77 }, .want = TDX_SUCCESS, .out = O_RDX,
	  .want_out = { .rdx = 4 * GiB }, .post = post_pamt_ok },
	{ "TDMR.INIT: base misaligned", V_LATEST, S_READY, .rax = TDH_SYS_TDMR_INIT,
	  .in = { .rcx = 4 * GiB + 2 * MiB, .rdx = 77 },
	  .want = TDX_OPERAND_INVALID + TDX_OPERAND_ID_RCX, .out = O_RDX },
	{ "TDMR.INIT: not a TDMR base", V_LATEST, S_READY, .rax = TDH_SYS_TDMR_INIT,
	  .in = { .rcx = 1 * GiB }, .want = TDX_OPERAND_INVALID + TDX_OPERAND_ID_RCX },
	{ "TDMR.INIT: base with KeyID bits", V_LATEST, S_READY, .rax = TDH_SYS_TDMR_INIT,
	  .in = { .rcx = 4 * GiB | (1ULL << HKID_SHIFT) },
	  .want = TDX_OPERAND_INVALID + TDX_OPERAND_ID_RCX },
	{ "TDMR.INIT: above MAX_PA", V_LATEST, S_READY, .rax = TDH_SYS_TDMR_INIT,
	  .in = { .rcx = 1ULL << 46 }, .want = TDX_OPERAND_INVALID + TDX_OPERAND_ID_RCX },
	{ "TDMR.INIT: TDMR locked", V_LATEST, S_READY, .rax = TDH_SYS_TDMR_INIT,
	  .in = { .rcx = 0 }, .hold = H_TDMR0, .want = TDX_OPERAND_BUSY + TDX_OPERAND_ID_RCX,
	  .out = O_RDX },
	{ "TDMR.INIT: other TDMR while one is locked", V_LATEST, S_READY,
	  .rax = TDH_SYS_TDMR_INIT, .in = { .rcx = 4 * GiB }, .hold = H_TDMR0,
	  .want = TDX_SUCCESS, .out = O_RDX, .want_out = { .rdx = 4 * GiB } },
	{ "TDMR.INIT: already initialised", V_LATEST, S_TDMR, .rax = TDH_SYS_TDMR_INIT,
	  .in = { .rcx = 0, .rdx = 77 }, .want = TDX_TDMR_ALREADY_INITIALIZED, .out = O_RDX,
	  .post = post_pamt_ok },
	{ "TDMR.INIT: on an LP without LP.INIT, latest", V_LATEST, S_READY,
	  .lp_mask = ALL_LPS_BUT_3, .lp = 3, .rax = TDH_SYS_TDMR_INIT, .in = { .rcx = 0 },
	  .want = TDX_SUCCESS, .out = O_RDX, .want_out = { .rdx = 0 } },

	/* ---------------- TDH.SYS.LP.SHUTDOWN / TDH.SYS.SHUTDOWN ---------------- */
	{ "LP.SHUTDOWN: before SYS.INIT", V_LATEST, S_LOADED, .rax = TDH_SYS_LP_SHUTDOWN,
	  .want = TDX_SUCCESS },
	{ "LP.SHUTDOWN: after SYS.SHUTDOWN", V_LATEST, S_SHUTDOWN, .rax = TDH_SYS_LP_SHUTDOWN,
	  .want = TDX_SUCCESS },
	{ "SHUTDOWN: before ready", V_LATEST, S_CONFIG, .rax = TDH_SYS_SHUTDOWN,
	  .want = TDX_SYS_NOT_READY },
	{ "SHUTDOWN: handoff version 1", V_LATEST, S_READY, .rax = TDH_SYS_SHUTDOWN,
	  .in = { .rcx = 1 }, .want = TDX_OPERAND_INVALID + TDX_OPERAND_ID_RCX },
	{ "SHUTDOWN: another LP in SEAM", V_LATEST, S_READY, .rax = TDH_SYS_SHUTDOWN,
	  .hold = H_OTHER_LP_BUSY, .want = TDX_SYS_BUSY, .post = post_state_ready },
	{ "SHUTDOWN: global lock busy", V_LATEST, S_READY, .rax = TDH_SYS_SHUTDOWN,
	  .hold = H_GLOBAL_SHARED, .want = TDX_SYS_BUSY },
	{ "SHUTDOWN: success", V_LATEST, S_TDMR, .rax = TDH_SYS_SHUTDOWN, .want = TDX_SUCCESS,
	  .post = post_state_shutdown },
	{ "SHUTDOWN: twice", V_LATEST, S_SHUTDOWN, .rax = TDH_SYS_SHUTDOWN,
	  .want = TDX_SYS_SHUTDOWN },
};
/* clang-format on */

#define NR_ROWS (sizeof(rows) / sizeof(rows[0]))

static void hold(unsigned int what)
{
	if (what & H_GLOBAL_EXCL)
		sharex_try_exclusive(&tdxm.global_lock);
	if (what & H_GLOBAL_SHARED)
		sharex_try_shared(&tdxm.global_lock);
	if (what & H_TDMR0)
		mutex_try(&tdxm.tdmr[0].lock);
	if (what & H_OTHER_LP_BUSY)
		tdxm.lp[1].busy = true;
}

static void unhold(unsigned int what)
{
	if (what & H_GLOBAL_EXCL)
		sharex_release_exclusive(&tdxm.global_lock);
	if (what & H_GLOBAL_SHARED)
		sharex_release_shared(&tdxm.global_lock);
	if (what & H_TDMR0)
		mutex_release(&tdxm.tdmr[0].lock);
	if (what & H_OTHER_LP_BUSY)
		tdxm.lp[1].busy = false;
}

static void check_reg(const struct row *r, enum call_path p, const char *reg, uint64_t got,
		      uint64_t want)
{
	CHECK(got == want, "[%s] %s: %s = 0x%016llx, want 0x%016llx", path_name[p], r->name, reg,
	      (unsigned long long)got, (unsigned long long)want);
}

static void run_row(const struct row *r, enum call_path p)
{
	struct tdx_module_args a = r->in;
	struct layout L;
	char err[128];
	uint64_t st;

	if (bring_up(r->ver, r->stage, r->lp_mask) < 0) {
		failures++;
		printf("FAIL [%s] %s: bring-up\n", path_name[p], r->name);
		return;
	}
	layout_std(&L);
	if (r->config_args) {
		a.rcx = ARRAY_PA;
		a.rdx = L.n;
		a.r8 = GLOBAL_HKID;
	}
	if (r->prep)
		r->prep(&L, &a);
	layout_write(&L);
	if (r->inject && tdx_module_inject_parse(r->inject, err, sizeof(err)) < 0) {
		failures++;
		printf("FAIL [%s] %s: inject: %s\n", path_name[p], r->name, err);
		return;
	}

	hold(r->hold);
	st = call_on(p, r->lp, r->rax, &a);
	unhold(r->hold);

	CHECK(st == r->want, "[%s] %s: RAX = 0x%016llx, want 0x%016llx", path_name[p], r->name,
	      (unsigned long long)st, (unsigned long long)r->want);
	if (r->out & O_RCX)
		check_reg(r, p, "RCX", a.rcx, r->want_out.rcx);
	if (r->out & O_RDX)
		check_reg(r, p, "RDX", a.rdx, r->want_out.rdx);
	if (r->out & O_R8)
		check_reg(r, p, "R8", a.r8, r->want_out.r8);
	if (r->out & O_R9)
		check_reg(r, p, "R9", a.r9, r->want_out.r9);
	if (r->out & O_R10)
		check_reg(r, p, "R10", a.r10, r->want_out.r10);
	if (r->post)
		CHECK(r->post(&a), "[%s] %s: post-condition", path_name[p], r->name);
}

int main(void)
{
	struct machine_config cfg;
	unsigned int runs = 0, paths = 0;

	machine_2s(&cfg);
	if (harness_boot(&cfg) < 0)
		return 1;
	for (enum call_path p = 0; p < NR_PATHS; p++) {
		struct platform_stats before, after;

		if (!path_available(p))
			continue;
		paths++;
		platform_get_stats(&before);
		for (unsigned int i = 0; i < NR_ROWS; i++, runs++)
			run_row(&rows[i], p);
		platform_get_stats(&after);
		/* The rows really went through the opcode trap or the gate. */
		if (p == PATH_TRAP)
			CHECK(after.traps - before.traps >= NR_ROWS, "trap path: %llu traps",
			      (unsigned long long)(after.traps - before.traps));
		if (p == PATH_GATE)
			CHECK(after.gate_calls - before.gate_calls >= NR_ROWS,
			      "gate path: %llu calls",
			      (unsigned long long)(after.gate_calls - before.gate_calls));
	}
	harness_shutdown();
	printf("%u rows x %u paths = %u runs, %d failures\n", (unsigned int)NR_ROWS, paths, runs,
	       failures);
	return failures ? 1 : 0;
}
