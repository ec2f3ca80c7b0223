/* SPDX-License-Identifier: MIT */
/*
 * Internal state of the software TDX module, shared by the files of module/ (and by the
 * white-box tests in tests/module/).
 *
 * Module code runs on the LP that executed SEAMCALL, inside a signal handler (trap) or on
 * the gate stack: it never blocks (try-locks only), never allocates, and keeps large
 * scratch data in this static state, guarded by the lock its leaf holds.
 */
#ifndef TDXSIM_MODULE_INTERNAL_H
#define TDXSIM_MODULE_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "platform/platform.h"
#include "tdx/leaves.h"
#include "tdx/metadata.h"
#include "tdx/status.h"
#include "tdx/structs.h"
#include "tdx/td.h"

#include "lock.h"
#include "tdx_module.h"

#define _4K (1ULL << 12)
#define _2M (1ULL << 21)
#define _1G (1ULL << 30)

/* Limits [TDX module 1.5.01 metadata_sys.c, tdx_api_defs.h; ABI §6]. */
#define MAX_TDMRS	    64
#define MAX_RESERVED_AREAS  MAX_RESERVED_PER_TDMR
#define MAX_CMRS	    32
#define PAMT_ENTRY_SIZE	    16
#define TDMR_INFO_ALIGNMENT 512 /* TDMR_INFO entries and the PA array [ABI §1.1] */
#define SYSINFO_STRUCT_SIZE 1024
#define NUM_CPUID_CONFIG    12 /* [M cpuid_configurations_defines.h MAX_NUM_CPUID_CONFIG] */
#define CPUID_SUBLEAF_NA    0xFFFFFFFFU
#define TD_CPUID_MAX_ROWS   80 /* rows of td_cpuid_rows[] (td_cpuid.c) */

/* Sizes of the TD control structures [M td_control_structures.h, tdx_tdvps.h]. */
#define TDR_BASE_SIZE  _4K
#define TDCS_BASE_SIZE (6 * _4K) /* MIN_NUM_TDCS_PAGES */
/*
 * TDVPS pages [M tdx_tdvps.h tdvps_pages_e]: a vCPU needs MIN_TDVPS_PAGES (the TDVPR and 5
 * TDCX: what TDVPS_BASE_SIZE advertises and VP.INIT, VP.FLUSH, VP.RD/WR and VP.ENTER
 * require) and TDH.VP.ADDCX takes up to MAX_TDVPS_PAGES (the 1.5 room for 3 pages per L2
 * VM, which tdxsim keeps but does not use).
 */
#define MIN_TDVPS_PAGES 6
#define MAX_TDVPS_PAGES 15
#define TDVPS_BASE_SIZE (MIN_TDVPS_PAGES * _4K)

/* PAMT levels, the "PAMT level" detail byte of SYS.CONFIG errors [M pamt_manager.h]. */
enum pamt_level {
	PT_4KB = 0,
	PT_2MB = 1,
	PT_1GB = 2,
};

/*
 * PAMT page types are PT_* of <tdx/td.h> [M pamt_manager.h page_type_t; ABI §7]. PT_NDA
 * (free) is 0, so an all-zero entry is free and discarding PAMT memory initialises it.
 */

/*
 * A PAMT entry, 16 bytes at every level [ABI §6; M pamt_entry_t]: a 2-byte shared/
 * exclusive lock, the page type, the 40-bit owner (PA >> 12 of the owning TDR) and BEPOCH.
 * It lives in the PAMT memory the host gave to TDH.SYS.CONFIG.
 */
struct pamt_entry {
	uint16_t lock;
	uint8_t pt;
	uint8_t owner[5];
	uint64_t bepoch;
};
_Static_assert(sizeof(struct pamt_entry) == PAMT_ENTRY_SIZE, "PAMT entry is 16 bytes");

/* TDMR_INFO as the host writes it: struct tdmr_info of <tdx/structs.h> [ABI §6]. */

/* System states are SYSINIT_PENDING .. SYS_SHUTDOWN of <tdx/td.h> [M tdx_global_data.h]. */

/* A TDMR accepted by TDH.SYS.CONFIG. */
struct tdmr {
	uint64_t base, size;
	uint64_t pamt_base[3], pamt_size[3]; /* by enum pamt_level */
	unsigned int nr_rsvd;
	struct {
		uint64_t offset, size;
	} reserved_areas[MAX_RESERVED_AREAS];
	/* Next address to initialise; the 1G blocks below it are usable [M last_initialized]. */
	uint64_t next_init;
	struct try_mutex lock;
};

/*
 * The LP's "current VMCS": the vCPU TDH.VP.ENTER last entered here through its full checks,
 * with what those checks found, valid while tdxm.vmcs_gen is still `gen` (td.h
 * vmcs_current). A CPU keeps the VMCS it last loaded and does not fetch or check it again on
 * the next VMRESUME; TDH.VP.ENTER re-entering the same vCPU on the same LP with nothing
 * changed skips the same work: the TDVPR and TDR lookups in the PAMT, their types and
 * owners, the TD's lifecycle and OP_STATE.
 */
struct vmcs_cache {
	uint64_t tdvpr_pa; /* 0: none */
	uint64_t gen;	   /* tdxm.vmcs_gen when the full checks passed */
	struct pamt_entry *tdvpr_pamt, *tdr_pamt;
	struct tdvps *vp;
	struct tdr *td;
	struct tdcs *tdcs;
};

struct module_lp {
	bool init;	    /* TDH.SYS.LP.INIT done on this LP */
	bool busy;	    /* inside a SEAMCALL (for TDH.SYS.SHUTDOWN) */
	uint64_t cur_tdvpr; /* TDVPR of the vCPU running on this LP, 0 when none */
	/* The running vCPU's TDVPS, TDCS and locked TDVPR PAMT entry (valid with cur_tdvpr). */
	struct tdvps *cur_vp;
	struct tdcs *cur_tdcs;
	struct pamt_entry *cur_tdvpr_pamt;
	struct vmcs_cache vmcs;
	uint64_t vmcs_hits, vmcs_misses; /* VP.ENTERs that used vmcs (or filled it): tests */
};

struct cmr {
	uint64_t base, size;
};

struct inject_rule {
	unsigned int leaf;
	unsigned int nth;   /* 0 = every call */
	unsigned int calls; /* calls counted since the rule was added */
	uint64_t status;
	bool used;
};

/* Key ownership table states [M key_ownership_table.h]. */
enum kot_state {
	KOT_STATE_HKID_FREE = 0,
	KOT_STATE_HKID_ASSIGNED = 1,
	KOT_STATE_HKID_FLUSHED = 2,
	KOT_STATE_HKID_RESERVED = 3, /* the global private KeyID */
};

#define MAX_HKIDS 4096 /* HKIDs the key ownership table covers (presets use < 128) */

/* Key ownership table entry [M key_ownership_table.h kot_entry_t]. */
struct kot_entry {
	uint8_t state;		/* enum kot_state (td.h) */
	uint32_t wbinvd_bitmap; /* packages that still owe a PHYMEM.CACHE.WB */
	uint64_t tdr_pa;
};

struct tdx_module_state {
	bool loaded;
	struct tdx_module_params params;

	/* Platform facts, read at load [M sysinfo table, MSRs at SYS.INIT]. */
	unsigned int num_lps, num_pkgs;
	unsigned int max_pa;	 /* MAXPHYADDR, KeyID bits included */
	unsigned int hkid_start; /* first KeyID bit */
	uint64_t hkid_mask;
	uint32_t private_hkid_min, private_hkid_max;
	unsigned int nr_cmrs;
	struct cmr cmr[MAX_CMRS];
	uint64_t xfam_supported;		     /* XCR0 | IA32_XSS bits the CPU supports */
	uint32_t native_cpuid[NUM_CPUID_CONFIG][4];  /* the platform CPU's, per CPUID_CONFIG */
	uint32_t cpuid_native[TD_CPUID_MAX_ROWS][4]; /* the same per td_cpuid_rows[] row */
	uint32_t pkg_fms;			     /* CPUID(1).EAX */

	/* Global state */
	struct sharex_lock global_lock;
	int sys_state; /* enum sys_state, accessed atomically */
	uint64_t sys_attributes;
	unsigned int num_init_lps;
	uint32_t pkg_config_bitmap;
	unsigned int num_init_pkgs;
	uint16_t hkid; /* the global private KeyID of SYS.CONFIG */
	unsigned int nr_tdmrs;
	struct tdmr tdmr[MAX_TDMRS];
	struct tdmr_info tdmr_info_copy[MAX_TDMRS]; /* SYS.CONFIG scratch, under global lock */

	struct module_lp lp[PLATFORM_MAX_LPS];
	/*
	 * Every SEAMCALL leaf that may change what TDH.VP.ENTER checks (all but VP.ENTER and the
	 * leaves that only read) counts itself in vmcs_gen before it runs and in vmcs_done after.
	 * An LP's vmcs_cache is filled only when every leaf counted in vmcs_gen before its checks
	 * had finished after them, and is valid while vmcs_gen keeps that value. Changes outside
	 * SEAMCALLs (a TD exit making the TD fatal or the vCPU disabled, a host write poisoning a
	 * control page) VP.ENTER checks itself.
	 */
	uint64_t vmcs_gen, vmcs_done;

	/* Keys and TDs */
	struct try_mutex kot_lock;
	struct kot_entry kot[MAX_HKIDS];
	uint8_t report_key[48]; /* HMAC-SHA-384 key of TDREPORT MACs, per module load */
	uint64_t rng_state;

	/* Fault injection */
	struct inject_rule inject[TDX_INJECT_MAX_RULES];
	bool inject_any; /* a rule was added since the last clear */
	unsigned int injected[256];
};

extern struct tdx_module_state tdxm;

/* ------------------------------------------------------------------------------------------
 * Leaves. Each handler reads its inputs from regs (x86 order, as cpu_regs.gpr), writes its
 * outputs there and returns the completion status for RAX. `lp` is the calling LP.
 * A SEAMCALL leaf's handler is its name with _leaf (tdh_mng_create_leaf, in
 * seamcall/tdh_mng_create.c): the plain name is the host's wrapper (host/tdh.h), as in
 * Linux, and both are linked into one process here.
 */
typedef uint64_t (*leaf_fn)(uint64_t *regs, unsigned int version, unsigned int lp);

uint64_t tdh_sys_init_leaf(uint64_t *regs, unsigned int version, unsigned int lp);
uint64_t tdh_sys_lp_init_leaf(uint64_t *regs, unsigned int version, unsigned int lp);
uint64_t tdh_sys_rd_leaf(uint64_t *regs, unsigned int version, unsigned int lp);
uint64_t tdh_sys_rdall_leaf(uint64_t *regs, unsigned int version, unsigned int lp);
uint64_t tdh_sys_info_leaf(uint64_t *regs, unsigned int version, unsigned int lp);
uint64_t tdh_sys_config_leaf(uint64_t *regs, unsigned int version, unsigned int lp);
uint64_t tdh_sys_key_config_leaf(uint64_t *regs, unsigned int version, unsigned int lp);
uint64_t tdh_sys_tdmr_init_leaf(uint64_t *regs, unsigned int version, unsigned int lp);
uint64_t tdh_sys_lp_shutdown_leaf(uint64_t *regs, unsigned int version, unsigned int lp);
uint64_t tdh_sys_shutdown_leaf(uint64_t *regs, unsigned int version, unsigned int lp);

/* Default outputs of the SYS leaves (written first, and on an injected failure). */
void tdh_sys_init_defaults(uint64_t *regs);
void tdh_sys_lp_init_defaults(uint64_t *regs);
void tdh_sys_rd_defaults(uint64_t *regs);
void tdh_sys_rdall_defaults(uint64_t *regs);
void tdh_sys_info_defaults(uint64_t *regs);
void tdh_sys_tdmr_init_defaults(uint64_t *regs);

/* The SEAMCALL hook (seamcall.c). */
void tdx_seamcall_entry(struct cpu_regs *ctx, unsigned int insn_len);

/* Fault injection (inject.c): the status to return instead of running, or 0. */
uint64_t inject_check(unsigned int leaf);

/* ------------------------------------------------------------------------------------------
 * Shared checks (checks.c)
 */

static inline int sys_state_get(void)
{
	return __atomic_load_n(&tdxm.sys_state, __ATOMIC_ACQUIRE);
}

static inline void sys_state_set(int s)
{
	__atomic_store_n(&tdxm.sys_state, s, __ATOMIC_RELEASE);
}

static inline bool lp_is_init(unsigned int lp)
{
	return __atomic_load_n(&tdxm.lp[lp].init, __ATOMIC_ACQUIRE);
}

static inline bool is_aligned(uint64_t v, uint64_t align)
{
	return (v & (align - 1)) == 0;
}

/* [base1, base1+size1) and [base2, base2+size2) intersect (sizes > 0). */
static inline bool ranges_overlap(uint64_t base1, uint64_t size1, uint64_t base2, uint64_t size2)
{
	return base1 < base2 + size2 && base2 < base1 + size1;
}

/* base + size does not wrap. */
static inline bool range_valid(uint64_t base, uint64_t size)
{
	return base + size >= base;
}

bool pa_below_max_pa(uint64_t pa);
unsigned int pa_hkid(uint64_t pa);
bool hkid_is_private(uint64_t hkid);
/* A shared HPA: below MAX_PA, a shared (non-private) KeyID [M shared_hpa_check]. */
bool shared_hpa_ok(uint64_t pa, uint64_t align);
/* [base, end) lies inside one run of contiguous CMRs [M is_area_in_cmr]. */
bool area_in_cmrs(uint64_t base, uint64_t end);
/* Memory the module can reach through the SEAM view (NULL when not RAM). */
void *seam_map(uint64_t pa, uint64_t size);

/* "code" for TDMR i, detail byte 1 and 2, as the module reports SYS.CONFIG failures. */
static inline uint64_t status_with_info(uint64_t code, uint8_t b0, uint8_t b1, uint8_t b2)
{
	return code + (uint64_t)b0 + ((uint64_t)b1 << 8) + ((uint64_t)b2 << 16);
}

/* ------------------------------------------------------------------------------------------
 * PAMT (pamt.c)
 */

/*
 * TDH.SYS.TDMR.INIT's chunk: the PAMT entries of 1024 4K pages (4 MiB of the TDMR) per call,
 * as 1.5.01 [M tdh_sys_tdmr_init.c TDMR_4K_PAMT_INIT_COUNT]; a 1 GiB block is usable once
 * all its chunks are done.
 */
#define TDMR_INIT_CHUNK (1024 * _4K)
/* Initialise the PAMT of one chunk of a TDMR (chunk = its base, chunk-aligned). */
void pamt_init_chunk(const struct tdmr *t, uint64_t chunk);
/* The PAMT entry of hpa at a level, when hpa is in an initialised block; else NULL. */
struct pamt_entry *pamt_entry_get(uint64_t hpa, enum pamt_level level);

/*
 * Is a PAMT page backed (written since its discard)? One that is not reads as all NDA. The
 * answer comes from the memfd's runs of backed pages and holes (phys_resident_run), the last
 * run kept in `res` (zero it first): the checkers skip the never-written parts of a PAMT
 * with one lookup per run.
 */
struct pamt_residency {
	uintptr_t start, end; /* seam-view addresses of the run */
	bool valid, resident;
};
bool pamt_page_resident(struct pamt_residency *res, const void *va);
/* After pamt_page_resident(res, va): entries of the same run from va on (at least 1). */
static inline uint64_t pamt_run_entries(const struct pamt_residency *res, const void *va)
{
	uintptr_t p = (uintptr_t)va;

	return res->valid && res->end > p ? (res->end - p + PAMT_ENTRY_SIZE - 1) / PAMT_ENTRY_SIZE
					  : 1;
}
/*
 * The PAMT page at page (4K-aligned) holds one entry repeated: all free (PT_NDA) or all
 * reserved (PT_RSVD with no owner, no lock, no BEPOCH). The checkers skip such pages in one
 * comparison instead of entry by entry.
 */
bool pamt_page_uniform(const struct pamt_entry *page, unsigned int pt);

/* The checkers' report (tdx_pamt_check, tdx_sept_check): messages, one a line, and a count. */
struct pamt_report {
	char *buf;
	size_t len, used;
	int count;
	struct pamt_residency res;
};
void __attribute__((format(printf, 2, 3)))
pamt_violation(struct pamt_report *r, const char *fmt, ...);
/* The PAMT pages holding entries other than free and 4K RSVD, ascending (incremental checks;
 * false when they are not running, or when the set could not grow and is incomplete until the
 * next check rebuilds it: the caller then walks the whole PAMT). */
bool pamt_active_pages(const uint64_t **pages, size_t *nr);
/* The incremental checks' log records nothing while a checker reads memory. */
void pamt_check_log_pause(bool paused);
/* The TDMR, level and first covered page of PAMT page ppa; NULL when no PAMT holds it. */
const struct tdmr *pamt_page_covers(uint64_t ppa, enum pamt_level *level, uint64_t *pa);

static inline uint64_t pamt_owner(const struct pamt_entry *e)
{
	uint64_t v = 0;

	for (int i = 4; i >= 0; i--)
		v = (v << 8) | e->owner[i];
	return v << 12;
}

static inline void pamt_set_owner(struct pamt_entry *e, uint64_t pa)
{
	uint64_t v = pa >> 12;

	for (int i = 0; i < 5; i++, v >>= 8)
		e->owner[i] = (uint8_t)v;
}

/* ------------------------------------------------------------------------------------------
 * Global metadata (metadata.c)
 */

/*
 * Who reads: the host (TDH.SYS.RD/RDALL/INFO) reads every field; a TD (TDG.SYS.RD/RDALL)
 * only those whose guest read mask is set [M global_sys_fields_lookup.c, md_get_rd_wr_mask]:
 * any other answers METADATA_FIELD_NOT_READABLE and the walks skip it.
 */
enum md_reader {
	MD_READER_HOST,
	MD_READER_GUEST,
};
/* Read one element: TDX_SUCCESS, METADATA_FIELD_ID_INCORRECT or ..._NOT_READABLE. */
uint64_t md_sys_read(uint64_t field_id, enum md_reader r, uint64_t *value);
/* TDH.SYS.RD / TDG.SYS.RD on their registers (x86 order): RDX = field ID -> R8, next ID. */
uint64_t md_sys_rd_regs(uint64_t *regs, enum md_reader r);
/* The first element ID of the SYS context the reader may read (MD_FIELD_ID_NA: none). */
uint64_t md_sys_first(enum md_reader r);
/* The next readable element ID after a valid one, or MD_FIELD_ID_NA at the end. */
uint64_t md_sys_next_element(uint64_t field_id, enum md_reader r);
/*
 * Dump the fields the reader may read as a metadata list into a 4 KiB buffer, from
 * field_id (a field start, or null for the first). Returns the status and the next field
 * ID to read.
 */
uint64_t md_sys_dump_list(uint64_t field_id, enum md_reader r, uint8_t *buf, uint64_t *next);

/* Values shared by SYS.RD and SYS.INFO */
uint64_t md_major_version(void);
uint64_t md_minor_version(void);
uint64_t md_update_version(void);
uint64_t md_build_date(void);
uint64_t md_build_num(void);
uint64_t md_attributes_fixed0(void);
uint64_t md_attributes_fixed1(void);
uint64_t md_xfam_fixed0(void);
uint64_t md_xfam_fixed1(void);
/* CPUID_CONFIG entry i: leaf | subleaf << 32, and the configurable bits. */
uint64_t md_cpuid_config_leaf(unsigned int i);
void md_cpuid_config_values(unsigned int i, bool with_native, uint32_t out[4]);
/* td_cpuid.c: CPUID_CONFIG entry i's config_direct and allow_direct masks. */
void td_cpuid_config_masks(unsigned int i, uint32_t direct[4], uint32_t allowed[4]);
/* The platform CPU's family/model/stepping (tdx_module_params.cpu_fms or 0x806F8). */
uint32_t td_cpu_fms(void);
/* CPUID on the host as the module sees it (tdx_module_params.host_cpuid or the CPU). */
void module_host_cpuid(uint32_t leaf, uint32_t sub, uint32_t out[4]);
/* At load: sample the platform CPU's value of every td_cpuid_rows[] row into tdxm. */
void td_cpuid_sample(void);

#endif
