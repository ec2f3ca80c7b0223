// SPDX-License-Identifier: MIT
/*
 * TDVMCALL<MapGPA>: converting guest memory between private and shared (GHCI 0x10001). The
 * argument checks that need no TD state are in tdvmcall.c; this is the VMM's side.
 */
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <tdx/ghci.h>
#include <tdx/leaves.h>
#include <tdx/status.h>
#include <tdx/td.h>

#include "host/page_alloc.h"
#include "vmm_internal.h"

#define MAP_GPA_CHUNK	  64  /* pages per MapGPA call; then RETRY with the resume GPA */
#define SEPT_PAGE_ENTRIES 512 /* 4K pages of a demoted 2M page */

static int shared_add(struct vmm_td *td, uint64_t gpa, uint64_t hpa)
{
	if (td->nr_shared == td->cap_shared) {
		size_t cap = td->cap_shared ? 2 * td->cap_shared : 64;
		uint64_t *g = realloc(td->shared_gpa, cap * sizeof(*g));

		if (!g)
			return -ENOMEM;
		td->shared_gpa = g;
		g = realloc(td->shared_hpa, cap * sizeof(*g));
		if (!g)
			return -ENOMEM;
		td->shared_hpa = g;
		td->cap_shared = cap;
	}
	td->shared_gpa[td->nr_shared] = gpa;
	td->shared_hpa[td->nr_shared++] = hpa;
	return 0;
}

/* Shared page i out of the window; a VMM page freed, the embedder's (HPA 0) kept as it is. */
static void shared_drop(struct vmm_td *td, size_t i)
{
	td_window_unmap(td->window, td->shared_gpa[i], true);
	if (td->shared_hpa[i])
		free_page(td->shared_hpa[i]);
}

static void shared_remove(struct vmm_td *td, uint64_t gpa)
{
	for (size_t i = 0; i < td->nr_shared; i++) {
		if (td->shared_gpa[i] != gpa)
			continue;
		shared_drop(td, i);
		td->nr_shared--;
		td->shared_gpa[i] = td->shared_gpa[td->nr_shared];
		td->shared_hpa[i] = td->shared_hpa[td->nr_shared];
		return;
	}
}

/*
 * The shared EPT's suppress-#VE, as KVM keeps it [ABI §5]: its not-present entries have it set,
 * so a guest access to shared memory the VMM has not mapped (RAM, GPAs below memory_size) is
 * an EPT-violation TD exit to the VMM (vcpu.c); its MMIO entries have it clear, so an access
 * to MMIO (everything above RAM: the 32-bit hole with the device BARs) is a #VE in the guest.
 */
int vmm_shared_ept_init(struct vmm_td *td)
{
	return td_window_set_suppress_ve(td->window, 0, td->cfg.memory_size, true);
}

/* A SEAMCALL of the conversion failed: the TD cannot go on (KVM marks the VM bugged). */
static uint64_t convert_failed(struct vmm_vcpu *vc, const char *leaf, uint64_t gpa, uint64_t status)
{
	char where[192];

	vmm_vcpu_rip_words(vc, where, sizeof(where));
	vmm_vcpu_stopf(vc, VMM_STOP_VMM_ERROR, status, gpa,
		       "vCPU %u: MapGPA: %s of GPA 0x%llx failed: status 0x%016llx, RIP %s",
		       vc->index, leaf, (unsigned long long)gpa, (unsigned long long)status, where);
	return TDVMCALL_STATUS_INVALID_OPERAND;
}

/*
 * Make every other vCPU that is in the guest leave it (KVM's KVM_REQ_OUTSIDE_GUEST_MODE
 * request after TDH.MEM.TRACK): it enters again in the new TLB epoch, so the epoch it was
 * counted in drains and the blocked pages count as tracked. pages_lock held (the count).
 */
static void kick_vcpus(struct vmm_vcpu *vc)
{
	struct vmm_td *td = vc->td;

	for (unsigned int v = 0; v < td->nr_vcpus; v++) {
		if (v != vc->index && atomic_load(&td->vcpus[v].in_guest)) {
			lp_kick(td->vcpus[v].lp);
			td->tlb_kicks++;
		}
	}
	sched_yield();
}

/* A bound on kick-and-retry rounds, for a VMM bug rather than a slow vCPU. */
#define CONVERT_MAX_ROUNDS 1000000

/*
 * TDH.MEM.TRACK: a new epoch. Refused while a vCPU still runs in the epoch before the current
 * one (PREVIOUS_TLB_EPOCH_BUSY) or while another TRACK races (OPERAND_BUSY): kick, retry.
 */
static uint64_t track(struct vmm_vcpu *vc)
{
	uint64_t s = TDX_SW_ERROR;

	for (int i = 0; i < CONVERT_MAX_ROUNDS; i++) {
		s = tdh_mem_track(&vc->td->htd);
		if (tdx_status_code(s) != TDX_PREVIOUS_TLB_EPOCH_BUSY &&
		    tdx_status_code(s) != TDX_OPERAND_BUSY)
			break;
		kick_vcpus(vc);
	}
	return s;
}

/* TDH.MEM.PAGE.REMOVE of (GPA | level), kicking vCPUs until the block's epoch has drained. */
static uint64_t page_remove(struct vmm_vcpu *vc, uint64_t gpa_level, uint64_t *hpa)
{
	uint64_t s = TDX_SW_ERROR;

	for (int i = 0; i < CONVERT_MAX_ROUNDS; i++) {
		s = tdh_mem_page_remove(&vc->td->htd, gpa_level & ~VMM_GPA_LEVEL_MASK,
					(int)(gpa_level & VMM_GPA_LEVEL_MASK), hpa, NULL);
		if (tdx_status_code(s) != TDX_TLB_TRACKING_NOT_DONE)
			break;
		kick_vcpus(vc);
	}
	return s;
}

static uint64_t private_start(const struct vmm_page *pg)
{
	return pg->gpa & ~VMM_GPA_LEVEL_MASK;
}

static uint64_t private_end(const struct vmm_page *pg)
{
	return private_start(pg) + vmm_leaf_pages(pg->gpa & VMM_GPA_LEVEL_MASK) * PAGE_SIZE;
}

/* A private leaf of the TD inside [start, end). */
static bool private_in(const struct vmm_page *pg, uint64_t start, uint64_t end)
{
	return pg->kind == PG_PRIVATE && private_start(pg) >= start && private_end(pg) <= end;
}

/*
 * Split the 2M private page td->pages[i] into 512 4K pages, as KVM splits a huge page
 * before a conversion that covers part of it (tdx_sept_split_private_spte): RANGE.BLOCK at
 * level 1, TRACK, kick, then TDH.MEM.PAGE.DEMOTE with a new Secure EPT page, retried while
 * vCPUs still run in the blocked epoch. The module unblocks the small pages (MAPPED or
 * PENDING as the large one was), so the part the conversion leaves keeps its data. The list
 * entry becomes the new SEPT page (GPA | 1, the table level-1 entry points to) followed by
 * the 512 pages, leaves after their table as teardown wants them. pages_lock held.
 */
static uint64_t demote_2m(struct vmm_vcpu *vc, size_t i)
{
	struct vmm_td *td = vc->td;
	struct vmm_page pg = td->pages[i];
	uint64_t base = private_start(&pg), sept, s;
	int level = (int)(pg.gpa & VMM_GPA_LEVEL_MASK);

	if (td->nr_pages + SEPT_PAGE_ENTRIES > td->cap_pages) {
		size_t cap = td->cap_pages + SEPT_PAGE_ENTRIES + 64;
		struct vmm_page *p = realloc(td->pages, cap * sizeof(*p));

		if (!p)
			return convert_failed(vc, "TDH.MEM.PAGE.DEMOTE", base, TDX_SW_ERROR);
		td->pages = p;
		td->cap_pages = cap;
	}
	s = tdh_mem_range_block(&td->htd, base, level, NULL, NULL);
	if (s && tdx_status_code(s) != TDX_GPA_RANGE_ALREADY_BLOCKED)
		return convert_failed(vc, "TDH.MEM.RANGE.BLOCK", base, s);
	s = track(vc);
	if (s)
		return convert_failed(vc, "TDH.MEM.TRACK", base, s);
	kick_vcpus(vc);
	sept = alloc_page(NUMA_NO_NODE);
	if (!sept)
		return convert_failed(vc, "TDH.MEM.PAGE.DEMOTE", base, TDX_SW_ERROR);
	for (int r = 0; r < CONVERT_MAX_ROUNDS; r++) {
		s = tdh_mem_page_demote(&td->htd, base, level, sept, NULL, NULL);
		if (tdx_status_code(s) != TDX_TLB_TRACKING_NOT_DONE)
			break;
		kick_vcpus(vc);
	}
	if (s) {
		free_page(sept);
		return convert_failed(vc, "TDH.MEM.PAGE.DEMOTE", base, s);
	}
	memmove(&td->pages[i + 1 + SEPT_PAGE_ENTRIES], &td->pages[i + 1],
		(td->nr_pages - i - 1) * sizeof(td->pages[0]));
	td->pages[i] = (struct vmm_page){.hpa = sept, .gpa = base | TDX_PS_2M, .kind = PG_SEPT};
	for (unsigned int j = 0; j < SEPT_PAGE_ENTRIES; j++)
		td->pages[i + 1 + j] = (struct vmm_page){.hpa = pg.hpa + j * PAGE_SIZE,
							 .gpa = base + j * PAGE_SIZE,
							 .kind = PG_PRIVATE};
	td->nr_pages += SEPT_PAGE_ENTRIES;
	return TDVMCALL_STATUS_SUCCESS;
}

/*
 * The chunk [start, *chunk_end) of a to-shared conversion of [start, end) grows to the end
 * of a 2M private page it ends inside of when the whole range holds that page, so that the
 * page is removed whole. A 2M page that the range holds only in part is split first
 * (demote_2m); its 4K pages inside the chunk then go like any other. Called with
 * pages_lock held.
 */
static uint64_t chunk_2m(struct vmm_vcpu *vc, uint64_t start, uint64_t end, uint64_t *chunk_end)
{
	struct vmm_td *td = vc->td;

	for (size_t i = 0; i < td->nr_pages; i++) {
		const struct vmm_page *pg = &td->pages[i];
		uint64_t s;

		if (pg->kind != PG_PRIVATE || !(pg->gpa & VMM_GPA_LEVEL_MASK) ||
		    private_end(pg) <= start || private_start(pg) >= *chunk_end)
			continue;
		if (private_start(pg) < start || private_end(pg) > end) {
			s = demote_2m(vc, i);
			if (s)
				return s;
			i += SEPT_PAGE_ENTRIES; /* its 4K pages: nothing more to do here */
			continue;
		}
		if (private_end(pg) > *chunk_end)
			*chunk_end = private_end(pg);
	}
	return TDVMCALL_STATUS_SUCCESS;
}

/*
 * To shared, the private half: every private page the TD has in [start, end) is blocked
 * (TDH.MEM.RANGE.BLOCK), one TDH.MEM.TRACK covers them all, and once no vCPU can still hold
 * a translation from before the block (the kicks), TDH.MEM.PAGE.REMOVE takes each one away;
 * the module hands it back zeroed and it returns to the host's allocator. A 2M page goes
 * the same way at level 1, its 512 pages at once (chunk_2m made sure the range holds it
 * whole). KVM does the same steps page by page (tdx_sept_remove_private_spte); one TRACK
 * for a whole chunk is what the epoch rules allow and saves a round of kicks per page.
 * Called with pages_lock held.
 */
static uint64_t remove_private(struct vmm_vcpu *vc, uint64_t start, uint64_t end)
{
	struct vmm_td *td = vc->td;
	uint64_t s, hpa;
	size_t i, kept = 0, blocked = 0;

	for (i = 0; i < td->nr_pages; i++) {
		const struct vmm_page *pg = &td->pages[i];

		if (!private_in(pg, start, end))
			continue;
		s = tdh_mem_range_block(&td->htd, private_start(pg),
					(int)(pg->gpa & VMM_GPA_LEVEL_MASK), NULL, NULL);
		if (s && tdx_status_code(s) != TDX_GPA_RANGE_ALREADY_BLOCKED)
			return convert_failed(vc, "TDH.MEM.RANGE.BLOCK", private_start(pg), s);
		blocked++;
	}
	if (!blocked)
		return TDVMCALL_STATUS_SUCCESS;
	s = track(vc);
	if (s)
		return convert_failed(vc, "TDH.MEM.TRACK", start, s);
	kick_vcpus(vc);
	/* Remove, and drop the pages from the list keeping its order (teardown reclaims newest
	 * first). */
	for (i = 0; i < td->nr_pages; i++) {
		struct vmm_page pg = td->pages[i];
		uint64_t n = vmm_leaf_pages(pg.gpa & VMM_GPA_LEVEL_MASK);

		if (private_in(&pg, start, end)) {
			s = page_remove(vc, pg.gpa, &hpa);
			if (s) {
				td->pages[kept++] = pg; /* still the TD's: reclaimed at teardown */
				convert_failed(vc, "TDH.MEM.PAGE.REMOVE", private_start(&pg), s);
				continue;
			}
			free_contig_pages(hpa, n);
			td->removed_pages += (unsigned int)n;
			continue;
		}
		td->pages[kept++] = pg;
	}
	td->nr_pages = kept;
	return atomic_load(&td->stop) ? TDVMCALL_STATUS_INVALID_OPERAND : TDVMCALL_STATUS_SUCCESS;
}

/* The embedder's page behind shared GPA @g (tdxsim_td_set_shared_backing), or NULL. */
static uint8_t *backing_page(const struct vmm_td *td, uint64_t g)
{
	for (unsigned int i = 0; i < td->nr_backing; i++)
		if (g >= td->backing[i].gpa && g - td->backing[i].gpa < td->backing[i].size)
			return td->backing[i].hold + (g - td->backing[i].gpa);
	return NULL;
}

/* Shared GPA @g backed by the embedder's page @own, which keeps what it held. */
static int map_backing(struct vmm_td *td, uint64_t g, uint8_t *own)
{
	int ret = td_window_map_alias(td->window, g, true, own);

	if (!ret && (ret = shared_add(td, g, 0)))
		td_window_unmap(td->window, g, true);
	return ret;
}

/*
 * To shared, the shared half: behind each shared GPA not yet backed, the embedder's page
 * where it supplied one, else a zeroed VMM page.
 */
static uint64_t map_shared(struct vmm_td *td, uint64_t start, uint64_t end)
{
	uint64_t status = TDVMCALL_STATUS_SUCCESS;

	pthread_mutex_lock(&td->lock);
	for (uint64_t g = start; g < end; g += PAGE_SIZE) {
		uint8_t *own = backing_page(td, g);
		uint64_t hpa;

		if (td_window_is_mapped(td->window, g, true))
			continue;
		if (own) {
			if (map_backing(td, g, own)) {
				status = TDVMCALL_STATUS_INVALID_OPERAND;
				break;
			}
			continue;
		}
		hpa = alloc_page(NUMA_NO_NODE);
		if (!hpa) {
			status = TDVMCALL_STATUS_INVALID_OPERAND;
			break;
		}
		memset(phys_host_va(hpa), 0, PAGE_SIZE);
		if (td_window_map(td->window, g, true, hpa, PROT_READ | PROT_WRITE) ||
		    shared_add(td, g, hpa)) {
			td_window_unmap(td->window, g, true);
			free_page(hpa);
			status = TDVMCALL_STATUS_INVALID_OPERAND;
			break;
		}
	}
	pthread_mutex_unlock(&td->lock);
	return status;
}

/* To private: the VMM's shared pages go; the private ones come back lazily (PAGE.AUG). */
static void unmap_shared(struct vmm_td *td, uint64_t start, uint64_t end)
{
	pthread_mutex_lock(&td->lock);
	for (uint64_t g = start; g < end; g += PAGE_SIZE)
		shared_remove(td, g);
	pthread_mutex_unlock(&td->lock);
}

/*
 * MapGPA [GHCI 0x10001], as KVM + QEMU convert memory (QEMU kvm_convert_memory, KVM's
 * memory-attribute change zapping the private mappings):
 *
 *  to shared   the TD's private pages in the range are blocked, tracked and removed
 *              (remove_private), then the VMM backs each shared GPA with a page of its own
 *              in the window's shared half, where shared_va finds it. The private contents
 *              are gone, as on TDX.
 *  to private  the shared pages are unmapped and freed. No private page is added now: the
 *              guest must accept each page anyway, and its TDG.MEM.PAGE.ACCEPT (or first
 *              access) is an EPT-violation exit that PAGE.AUGs it (vcpu.c), as with KVM,
 *              which AUGs only from that fault. Adding them eagerly would cost memory for
 *              pages the guest may never accept, and save only those exits.
 *
 * A 2M private page (vcpu.c adds them for a 2M ACCEPT) is converted whole when the range
 * holds all of it; one it holds in part is demoted to 4K pages first (chunk_2m).
 *
 * At most MAP_GPA_CHUNK pages a call (more when a 2M page must go whole), then RETRY with R11 = the GPA to resume from (KVM
 * returns to the guest between chunks too, so pending interrupts are not held up). tdvmcall.c
 * checked the arguments that need no TD (size 0, wrap, beyond GPAW, straddling the shared bit:
 * INVALID_OPERAND; then ALIGN_ERROR); here a range beyond the TD's memory is INVALID_OPERAND
 * (QEMU fails a conversion outside guest RAM, KVM turns that into INVALID_OPERAND), with R11 =
 * the start: nothing was converted.
 */
uint64_t vmm_map_gpa(void *opaque, uint64_t gpa, uint64_t size, uint64_t *resume_gpa)
{
	struct vmm_vcpu *vc = opaque;
	struct vmm_td *td = vc->td;
	bool to_shared = gpa & td->shared_bit;
	uint64_t g = gpa & ~td->shared_bit, end = g + size, chunk_end;
	uint64_t status;

	if ((g | size) & ~PAGE_MASK)
		return TDVMCALL_STATUS_ALIGN_ERROR;
	if (!size || end < g || end > td->cfg.memory_size)
		return TDVMCALL_STATUS_INVALID_OPERAND;
	chunk_end = end - g > MAP_GPA_CHUNK * PAGE_SIZE ? g + MAP_GPA_CHUNK * PAGE_SIZE : end;
	if (to_shared) {
		pthread_mutex_lock(&td->pages_lock);
		status = chunk_2m(vc, g, end, &chunk_end);
		if (!status)
			status = remove_private(vc, g, chunk_end);
		pthread_mutex_unlock(&td->pages_lock);
		if (!status)
			status = map_shared(td, g, chunk_end);
	} else {
		unmap_shared(td, g, chunk_end);
		status = TDVMCALL_STATUS_SUCCESS;
	}
	atomic_fetch_add(&td->mem_gen, 1); /* the no-progress watch: the TD changed */
	if (!status && chunk_end < end) {
		*resume_gpa = chunk_end | (gpa & td->shared_bit);
		status = TDVMCALL_STATUS_RETRY;
	}
	return status;
}

/* ------------------------------------------------------------------------------------------
 * The VMM's view of shared memory
 */

int vmm_shared_backing_add(struct vmm_td *td, uint64_t gpa, uint64_t size, uint8_t *hold)
{
	struct vmm_backing *b;

	for (unsigned int i = 0; i < td->nr_backing; i++)
		if (gpa < td->backing[i].gpa + td->backing[i].size &&
		    td->backing[i].gpa < gpa + size)
			return -EEXIST;
	b = realloc(td->backing, (td->nr_backing + 1) * sizeof(*b));
	if (!b)
		return -ENOMEM;
	td->backing = b;
	b[td->nr_backing++] = (struct vmm_backing){.gpa = gpa, .size = size, .hold = hold};
	return 0;
}

void vmm_shared_release(struct vmm_td *td)
{
	for (size_t i = 0; i < td->nr_shared; i++)
		shared_drop(td, i);
	td->nr_shared = 0;
	for (unsigned int i = 0; i < td->nr_backing; i++)
		munmap(td->backing[i].hold, td->backing[i].size);
	free(td->backing);
	td->backing = NULL;
	td->nr_backing = 0;
}

void *vmm_shared_span(struct vmm_td *td, uint64_t g, uint64_t len)
{
	uint8_t *first;

	if (!len || g + len < g)
		return NULL;
	first = td_window_va(td->window, g & PAGE_MASK, true);
	for (uint64_t p = g & PAGE_MASK; p < g + len; p += PAGE_SIZE) {
		if (!td_window_is_mapped(td->window, p, true) ||
		    td_window_va(td->window, p, true) != first + (p - (g & PAGE_MASK)))
			return NULL;
	}
	return first + (g & ~PAGE_MASK);
}

int vmm_shared_rw(struct vmm_td *td, uint64_t g, void *buf, uint64_t len, bool write)
{
	uint8_t *b = buf;

	if (g + len < g)
		return -EFAULT;
	for (uint64_t p = g & PAGE_MASK; p < g + len; p += PAGE_SIZE)
		if (!td_window_is_mapped(td->window, p, true))
			return -EFAULT;
	while (len) {
		uint64_t n = PAGE_SIZE - (g & ~PAGE_MASK);
		uint8_t *va = td_window_va(td->window, g, true);

		if (n > len)
			n = len;
		if (write)
			memcpy(va, b, n);
		else
			memcpy(b, va, n);
		g += n;
		b += n;
		len -= n;
	}
	return 0;
}
