// SPDX-License-Identifier: MIT
/*
 * Checks and helpers shared by the TD leaves: page operands and their PAMT entries, the
 * TDR and TDVPR operands, the GPA|level operand, the measurement. One place, so that every
 * leaf reports the same status for the same kind of bad operand [M helpers.c,
 * pamt_manager.c "check_and_lock_*"].
 */
#include <stdlib.h>
#include <string.h>

#include "td.h"

/* ------------------------------------------------------------------------------------------
 * PAMT entry locks: bit 0 = exclusive, bits 15:1 = shared holders [M pamt_entry_t.lock].
 */

bool pamt_lock(struct pamt_entry *e, bool exclusive)
{
	uint16_t old = __atomic_load_n(&e->lock, __ATOMIC_RELAXED);

	if (exclusive) {
		old = 0;
		return __atomic_compare_exchange_n(&e->lock, &old, 1, false, __ATOMIC_ACQUIRE,
						   __ATOMIC_RELAXED);
	}
	do {
		if (old & 1)
			return false;
	} while (!__atomic_compare_exchange_n(&e->lock, &old, (uint16_t)(old + 2), true,
					      __ATOMIC_ACQUIRE, __ATOMIC_RELAXED));
	return true;
}

void pamt_unlock(struct pamt_entry *e, bool exclusive)
{
	if (exclusive)
		__atomic_store_n(&e->lock, 0, __ATOMIC_RELEASE);
	else
		__atomic_fetch_sub(&e->lock, 2, __ATOMIC_RELEASE);
}

/*
 * A 4K page is covered by a 2M or 1G leaf when one of its parents' entries has a type: then
 * its own 4K entry means nothing and the page is not what a 4K operand may name.
 */
static bool covered_by_large_leaf(uint64_t pa)
{
	const struct pamt_entry *e1 = pamt_entry_get(pa & ~(_1G - 1), PT_1GB);
	const struct pamt_entry *e2 = pamt_entry_get(pa & ~(_2M - 1), PT_2MB);

	/* Atomic: a 2M leaf's type changes under its own entry's lock, not this page's. */
	return (e1 && __atomic_load_n(&e1->pt, __ATOMIC_ACQUIRE) != PT_NDA) ||
	       (e2 && __atomic_load_n(&e2->pt, __ATOMIC_ACQUIRE) != PT_NDA);
}

uint64_t page_get(uint64_t pa, unsigned int pt, uint64_t owner, bool exclusive,
		  unsigned int operand, struct page_ref *ref)
{
	struct pamt_entry *e;

	memset(ref, 0, sizeof(*ref));
	if (!is_aligned(pa, _4K) || !pa_below_max_pa(pa) || pa_hkid(pa))
		return TDX_OPERAND_INVALID + operand;
	e = pamt_entry_get(pa, PT_4KB);
	if (!e)
		return TDX_OPERAND_INVALID + operand;
	if (!pamt_lock(e, exclusive))
		return TDX_OPERAND_BUSY + operand;
	if (e->pt != pt || (owner && pamt_owner(e) != owner) || covered_by_large_leaf(pa)) {
		pamt_unlock(e, exclusive);
		return TDX_PAGE_METADATA_INCORRECT + operand;
	}
	*ref = (struct page_ref){.pa = pa, .pamt = e, .exclusive = exclusive};
	return TDX_SUCCESS;
}

void page_put(struct page_ref *ref)
{
	if (!ref->pamt)
		return;
	pamt_unlock(ref->pamt, ref->exclusive);
	ref->pamt = NULL;
}

/*
 * The page now belongs to a TD (or is the TDR itself): the host loses sight of it. The module
 * initialises TD pages with the TD's key (MOVDIR64B on hardware), so no host content leaks
 * in: control structures start zeroed; PAGE.ADD's page starts as its source's copy instead.
 */
void page_assign(struct page_ref *ref, unsigned int pt, uint64_t owner)
{
	page_assign_copy(ref, pt, owner, NULL);
}

/* The same with the page's first contents from src (PAGE.ADD): the page is written once. */
void page_assign_copy(struct page_ref *ref, unsigned int pt, uint64_t owner, const void *src)
{
	ref->pamt->pt = (uint8_t)pt;
	pamt_set_owner(ref->pamt, owner);
	ref->pamt->bepoch = 0;
	phys_hide(ref->pa);
	if (src)
		memcpy(phys_seam_va(ref->pa), src, _4K);
	else
		memset(phys_seam_va(ref->pa), 0, _4K);
}

/* ------------------------------------------------------------------------------------------
 * TDR and TDVPR operands
 */

uint64_t tdr_get(uint64_t tdr_pa, unsigned int operand, bool exclusive, struct page_ref *ref,
		 struct tdr **tdr)
{
	uint64_t status = page_get(tdr_pa, PT_TDR, 0, exclusive, operand, ref);

	if (status)
		return status;
	*tdr = tdr_of(tdr_pa);
	return TDX_SUCCESS;
}

uint64_t tdvpr_get(uint64_t tdvpr_pa, unsigned int operand, struct vp_ref *ref)
{
	struct pamt_entry *e;
	uint64_t status;

	memset(ref, 0, sizeof(*ref));
	/* The TDVPR names its TD through the PAMT owner [M check_and_lock_explicit_tdvpr]. */
	status = page_get(tdvpr_pa, PT_TDVPR, 0, true, operand, &ref->tdvpr);
	if (status)
		return status;
	e = ref->tdvpr.pamt;
	status = tdr_get(pamt_owner(e), TDX_OPERAND_ID_TDR, false, &ref->tdr, &ref->td);
	if (status) {
		page_put(&ref->tdvpr);
		return status;
	}
	ref->vp = tdvps_of(tdvpr_pa);
	ref->tdcs = tdcs_of(ref->td);
	return TDX_SUCCESS;
}

void tdvpr_put(struct vp_ref *ref)
{
	page_put(&ref->tdr);
	page_put(&ref->tdvpr);
}

/* ------------------------------------------------------------------------------------------
 * GPA|level [ABI §10; M page_info_api_input_t]: bits 2:0 level, bits 11:3 and 63:52 zero,
 * the GPA aligned to the level's size and inside the TD's GPA width.
 */
uint64_t gpa_level_check(const struct tdcs *tdcs, uint64_t word, unsigned int max_level,
			 unsigned int operand, uint64_t *gpa, unsigned int *level)
{
	unsigned int l = tdx_gpa_level_level(word);
	uint64_t g = tdx_gpa_level_gpa(word);

	if (tdx_gpa_level_reserved_set(word) || l > max_level)
		return TDX_OPERAND_INVALID + operand;
	if (!is_aligned(g, _4K << (9 * l)))
		return TDX_OPERAND_INVALID + operand;
	if (tdcs && (g >> tdcs->gpaw))
		return TDX_OPERAND_INVALID + operand;
	*gpa = g;
	*level = l;
	return TDX_SUCCESS;
}

/* ------------------------------------------------------------------------------------------
 * Measurement [ABI §9]: 128-byte blocks of tag and GPA, then the data. One function hashes
 * them for the leaves (the TD's context in its TDCS) and for tdx_mrtd_*() (a VMM predicting
 * the MRTD of an image without building it), so the two cannot differ.
 */
static void mrtd_hash_block(SHA512_CTX *c, const char *tag, uint64_t gpa, const void *data,
			    size_t len)
{
	uint8_t block[TDX_MR_BLOCK_SIZE] = {0};

	memcpy(block, tag, strlen(tag));
	memcpy(block + TDX_MR_GPA_OFFSET, &gpa, sizeof(gpa));
	SHA384_Update(c, block, sizeof(block));
	if (len)
		SHA384_Update(c, data, len);
}

void mrtd_extend_block(struct tdcs *tdcs, const char *tag, uint64_t gpa, const void *data,
		       size_t len)
{
	mrtd_hash_block(&tdcs->mrtd_ctx, tag, gpa, data, len);
}

struct tdx_mrtd {
	SHA512_CTX c;
};

struct tdx_mrtd *tdx_mrtd_start(void)
{
	struct tdx_mrtd *m = malloc(sizeof(*m));

	if (m)
		SHA384_Init(&m->c);
	return m;
}

void tdx_mrtd_page_add(struct tdx_mrtd *m, uint64_t gpa)
{
	mrtd_hash_block(&m->c, TDX_MR_TAG_MEM_PAGE_ADD, gpa, NULL, 0);
}

void tdx_mrtd_extend(struct tdx_mrtd *m, uint64_t gpa, const uint8_t chunk[TDX_EXTENDMR_CHUNKSIZE])
{
	mrtd_hash_block(&m->c, TDX_MR_TAG_MR_EXTEND, gpa, chunk, TDX_EXTENDMR_CHUNKSIZE);
}

void tdx_mrtd_finalize(struct tdx_mrtd *m, uint8_t mrtd[48])
{
	SHA384_Final(mrtd, &m->c);
	free(m);
}

/* splitmix64 over an atomic counter seeded at load [Steele et al., "Fast splittable PRNGs"]. */
uint64_t module_random64(void)
{
	uint64_t z = __atomic_add_fetch(&tdxm.rng_state, 0x9E3779B97F4A7C15ULL, __ATOMIC_RELAXED);

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	return z ^ (z >> 31);
}
