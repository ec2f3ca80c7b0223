// SPDX-License-Identifier: MIT
/*
 * Physical memory: one sparse memfd as large as the top of RAM, mapped twice: the host's
 * direct map and the SEAM view. A TD-private page is hidden from the direct map by an
 * anonymous read-only zero page over it (host reads see zeros, as TDX returns for a private
 * line read with KeyID 0). A host write to it lands in a private anonymous page instead, so
 * the host reads back its own writes, and the page is poisoned: on TDX such a write clears
 * the line's TD bit and the TD's next read of it fails the integrity check.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

#define NR_PAGE_LOCKS 64

#ifndef MFD_EXEC
#define MFD_EXEC 0x0010U /* Linux 6.3 */
#endif

static struct {
	bool ready;
	unsigned int nr_ram;
	struct phys_range ram[PLATFORM_MAX_RANGES];
	struct pagemap hidden, poisoned;
	/*
	 * A page's state and its direct-map mapping change together under its lock. They are
	 * spinlocks because the SIGSEGV handler takes them; the code they protect never touches
	 * the direct map, so the handler cannot interrupt a holder on its own thread.
	 */
	atomic_flag locks[NR_PAGE_LOCKS];
	void (*_Atomic poison_notifier)(uint64_t hpa);
} pm;

static void page_lock(uint64_t hpa)
{
	while (atomic_flag_test_and_set_explicit(&pm.locks[(hpa >> PAGE_SHIFT) % NR_PAGE_LOCKS],
						 memory_order_acquire))
		;
}

static void page_unlock(uint64_t hpa)
{
	atomic_flag_clear_explicit(&pm.locks[(hpa >> PAGE_SHIFT) % NR_PAGE_LOCKS],
				   memory_order_release);
}

/* ------------------------------------------------------------------------------------------
 * Page bitmaps: 1 TiB of 4 KiB pages would need 32 MiB of bits per map; most of it is
 * never used, so the bits come in 32 KiB chunks (one GiB of pages), allocated when first set.
 */

#define CHUNK_SHIFT 30
#define CHUNK_WORDS ((1UL << (CHUNK_SHIFT - PAGE_SHIFT)) / 64)

int pagemap_init(struct pagemap *m, uint64_t size)
{
	m->nr_chunks = (size + (1ULL << CHUNK_SHIFT) - 1) >> CHUNK_SHIFT;
	m->chunks = calloc(m->nr_chunks, sizeof(*m->chunks));
	return m->chunks ? 0 : -ENOMEM;
}

void pagemap_fini(struct pagemap *m)
{
	size_t i;

	for (i = 0; m->chunks && i < m->nr_chunks; i++)
		free(atomic_load(&m->chunks[i]));
	free(m->chunks);
	m->chunks = NULL;
	m->nr_chunks = 0;
}

static _Atomic uint64_t *pagemap_word(const struct pagemap *m, uint64_t addr, bool alloc)
{
	_Atomic uint64_t *_Atomic *slot = &m->chunks[addr >> CHUNK_SHIFT];
	_Atomic uint64_t *c = atomic_load(slot), *fresh;

	if (!c && alloc) {
		fresh = calloc(CHUNK_WORDS, sizeof(*fresh));
		if (!fresh)
			return NULL;
		if (atomic_compare_exchange_strong(slot, &c, fresh))
			c = fresh;
		else
			free(fresh);
	}
	return c ? &c[(addr & ((1ULL << CHUNK_SHIFT) - 1)) >> (PAGE_SHIFT + 6)] : NULL;
}

static uint64_t pagemap_bit(uint64_t addr)
{
	return 1ULL << ((addr >> PAGE_SHIFT) % 64);
}

bool pagemap_test(const struct pagemap *m, uint64_t addr)
{
	_Atomic uint64_t *word;

	if ((addr >> CHUNK_SHIFT) >= m->nr_chunks)
		return false;
	word = pagemap_word(m, addr, false);
	return word && (atomic_load(word) & pagemap_bit(addr));
}

int pagemap_reserve(struct pagemap *m, uint64_t addr)
{
	if ((addr >> CHUNK_SHIFT) >= m->nr_chunks)
		return -EINVAL;
	return pagemap_word(m, addr, true) ? 0 : -ENOMEM;
}

int pagemap_set(struct pagemap *m, uint64_t addr, bool on)
{
	_Atomic uint64_t *word;
	uint64_t old;

	if ((addr >> CHUNK_SHIFT) >= m->nr_chunks)
		return -EINVAL;
	word = pagemap_word(m, addr, on);
	if (!word)
		return on ? -ENOMEM : 0;
	if (on)
		old = atomic_fetch_or(word, pagemap_bit(addr));
	else
		old = atomic_fetch_and(word, ~pagemap_bit(addr));
	return !!(old & pagemap_bit(addr));
}

/* ------------------------------------------------------------------------------------------
 * Set-up
 */

static uint8_t *map_view(int fd, uint64_t top, const struct machine_config *cfg)
{
	uint64_t hole = 0;
	unsigned int i;
	uint8_t *va;

	va = mmap(NULL, top, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_NORESERVE, fd, 0);
	if (va == MAP_FAILED)
		return NULL;
	/* holes fault, as an access to an address no device decodes would machine-check */
	for (i = 0; i < cfg->nr_ram; i++) {
		if (cfg->ram[i].base > hole &&
		    mprotect(va + hole, cfg->ram[i].base - hole, PROT_NONE)) {
			munmap(va, top);
			return NULL;
		}
		hole = cfg->ram[i].base + cfg->ram[i].size;
	}
	return va;
}

/*
 * Guest code runs from TD windows, which map this memfd: it must be executable even where
 * vm.memfd_noexec = 1 would seal new memfds non-executable. Kernels before 6.3 know no
 * MFD_EXEC and make every memfd executable.
 */
static int memfd_open(void)
{
	int fd = memfd_create("tdxsim-phys", MFD_CLOEXEC | MFD_EXEC);

	if (fd < 0 && errno == EINVAL)
		fd = memfd_create("tdxsim-phys", MFD_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

int physmem_init(const struct machine_config *cfg)
{
	uint64_t top;
	int ret;

	if (pm.ready || !cfg->nr_ram || cfg->nr_ram > PLATFORM_MAX_RANGES)
		return -EINVAL;
	top = cfg->ram[cfg->nr_ram - 1].base + cfg->ram[cfg->nr_ram - 1].size;
	pm.nr_ram = cfg->nr_ram;
	memcpy(pm.ram, cfg->ram, sizeof(pm.ram[0]) * cfg->nr_ram);
	ret = pagemap_init(&pm.hidden, top);
	if (ret)
		return ret;
	ret = pagemap_init(&pm.poisoned, top);
	if (ret)
		goto err_hidden;
	ret = memfd_open();
	if (ret < 0)
		goto err_poisoned;
	plat.memfd = ret;
	if (ftruncate(plat.memfd, (off_t)top)) {
		ret = -errno;
		goto err_fd;
	}
	ret = -ENOMEM;
	plat.direct = map_view(plat.memfd, top, cfg);
	if (!plat.direct)
		goto err_fd;
	plat.seam = map_view(plat.memfd, top, cfg);
	if (!plat.seam)
		goto err_direct;
	plat.top = top;
	pm.ready = true;
	return 0;

err_direct:
	munmap(plat.direct, top);
	plat.direct = NULL;
err_fd:
	close(plat.memfd);
	plat.memfd = -1;
err_poisoned:
	pagemap_fini(&pm.poisoned);
err_hidden:
	pagemap_fini(&pm.hidden);
	return ret;
}

void physmem_fini(void)
{
	if (!pm.ready)
		return;
	pm.ready = false;
	munmap(plat.seam, plat.top);
	munmap(plat.direct, plat.top);
	close(plat.memfd);
	plat.seam = plat.direct = NULL;
	plat.memfd = -1;
	plat.top = 0;
	pagemap_fini(&pm.poisoned);
	pagemap_fini(&pm.hidden);
	pm.nr_ram = 0;
	atomic_store(&pm.poison_notifier, NULL);
}

/* ------------------------------------------------------------------------------------------
 * Touch logs (platform.h): a bitmap, so that a page goes in once, and the list of pages in
 * the order of their first touch. The bitmap's chunks are allocated when the log opens, so
 * adding never allocates (signal handlers add too).
 */

#define MAX_TOUCH_LOGS 8
#define TOUCH_LOG_CAP  (1U << 16) /* pages; beyond, the log has overflowed */

struct phys_touch_log {
	struct pagemap seen;
	_Atomic size_t nr;
	_Atomic bool overflowed, paused;
	uint64_t pages[TOUCH_LOG_CAP];
};

static struct phys_touch_log *_Atomic touch_logs[MAX_TOUCH_LOGS];
static _Atomic unsigned int nr_touch_logs;

static void log_add(struct phys_touch_log *l, uint64_t page)
{
	size_t i;
	int old;

	if (atomic_load_explicit(&l->paused, memory_order_relaxed))
		return;
	old = pagemap_set(&l->seen, page, true);
	if (old > 0)
		return;
	if (old < 0) {
		atomic_store(&l->overflowed, true);
		return;
	}
	i = atomic_fetch_add(&l->nr, 1);
	if (i < TOUCH_LOG_CAP)
		l->pages[i] = page;
	else
		atomic_store(&l->overflowed, true);
}

static void touch_page(uint64_t hpa)
{
	for (unsigned int i = 0; i < MAX_TOUCH_LOGS; i++) {
		struct phys_touch_log *l =
			atomic_load_explicit(&touch_logs[i], memory_order_acquire);

		if (l)
			log_add(l, hpa & PAGE_MASK);
	}
}

/* Every page may have changed: each open log has overflowed. */
static void touch_everything(void)
{
	for (unsigned int i = 0; i < MAX_TOUCH_LOGS; i++) {
		struct phys_touch_log *l =
			atomic_load_explicit(&touch_logs[i], memory_order_acquire);

		if (l && !atomic_load(&l->paused))
			atomic_store(&l->overflowed, true);
	}
}

void phys_touch(uint64_t hpa, uint64_t size)
{
	uint64_t end;

	if (!atomic_load_explicit(&nr_touch_logs, memory_order_relaxed) || !size ||
	    __builtin_add_overflow(hpa, size, &end))
		return;
	for (uint64_t p = hpa & PAGE_MASK; p < end && p < plat.top; p += PAGE_SIZE)
		touch_page(p);
}

struct phys_touch_log *phys_touch_log_open(void)
{
	struct phys_touch_log *l;

	if (!pm.ready)
		return NULL;
	l = calloc(1, sizeof(*l));
	if (!l)
		return NULL;
	if (pagemap_init(&l->seen, plat.top))
		goto err;
	for (unsigned int r = 0; r < pm.nr_ram; r++)
		for (uint64_t a = pm.ram[r].base & ~((1ULL << CHUNK_SHIFT) - 1);
		     a < pm.ram[r].base + pm.ram[r].size; a += 1ULL << CHUNK_SHIFT)
			if (pagemap_reserve(&l->seen, a))
				goto err_map;
	for (unsigned int i = 0; i < MAX_TOUCH_LOGS; i++) {
		struct phys_touch_log *none = NULL;

		if (atomic_compare_exchange_strong(&touch_logs[i], &none, l)) {
			atomic_fetch_add(&nr_touch_logs, 1);
			return l;
		}
	}
err_map:
	pagemap_fini(&l->seen);
err:
	free(l);
	return NULL;
}

void phys_touch_log_close(struct phys_touch_log *l)
{
	if (!l)
		return;
	for (unsigned int i = 0; i < MAX_TOUCH_LOGS; i++) {
		struct phys_touch_log *me = l;

		if (atomic_compare_exchange_strong(&touch_logs[i], &me, NULL))
			atomic_fetch_sub(&nr_touch_logs, 1);
	}
	pagemap_fini(&l->seen);
	free(l);
}

size_t phys_touch_log_pages(const struct phys_touch_log *l, const uint64_t **pages,
			    bool *overflowed)
{
	size_t n = atomic_load(&l->nr);

	*pages = l->pages;
	*overflowed = atomic_load(&l->overflowed) || n > TOUCH_LOG_CAP;
	return n > TOUCH_LOG_CAP ? TOUCH_LOG_CAP : n;
}

void phys_touch_log_reset(struct phys_touch_log *l)
{
	size_t n = atomic_load(&l->nr);

	if (atomic_load(&l->overflowed) || n > TOUCH_LOG_CAP) {
		for (size_t c = 0; c < l->seen.nr_chunks; c++) {
			_Atomic uint64_t *words = atomic_load(&l->seen.chunks[c]);

			for (size_t w = 0; words && w < CHUNK_WORDS; w++)
				atomic_store(&words[w], 0);
		}
	} else {
		for (size_t i = 0; i < n; i++)
			pagemap_set(&l->seen, l->pages[i], false);
	}
	atomic_store(&l->nr, 0);
	atomic_store(&l->overflowed, false);
}

void phys_touch_log_pause(struct phys_touch_log *l, bool paused)
{
	if (l)
		atomic_store(&l->paused, paused);
}

/* ------------------------------------------------------------------------------------------
 * Address map
 */

uint64_t phys_top(void)
{
	return pm.ready ? plat.top : 0;
}

int phys_memfd(void)
{
	return pm.ready ? plat.memfd : -1;
}

bool phys_is_ram(uint64_t hpa, uint64_t size)
{
	uint64_t end;

	if (!pm.ready || !size || __builtin_add_overflow(hpa, size, &end))
		return false;
	return ranges_cover(pm.ram, pm.nr_ram, hpa, end);
}

int phys_node(uint64_t hpa)
{
	unsigned int i;

	for (i = 0; pm.ready && i < pm.nr_ram; i++) {
		if (hpa >= pm.ram[i].base && hpa - pm.ram[i].base < pm.ram[i].size)
			return (int)pm.ram[i].node;
	}
	return -1;
}

/*
 * phys_is_ram(hpa, 1) for the translations below, which the module makes several times per
 * SEAMCALL and TD exit: one address is RAM when one range holds it.
 */
static inline bool addr_is_ram(uint64_t hpa)
{
	if (!pm.ready)
		return false;
	for (unsigned int i = 0; i < pm.nr_ram; i++)
		if (hpa - pm.ram[i].base < pm.ram[i].size)
			return true;
	return false;
}

void *phys_host_va(uint64_t hpa)
{
	if (!addr_is_ram(hpa))
		return NULL;
	if (atomic_load_explicit(&nr_touch_logs, memory_order_relaxed))
		touch_page(hpa);
	return plat.direct + hpa;
}

void *phys_seam_va(uint64_t hpa)
{
	if (!addr_is_ram(hpa))
		return NULL;
	if (atomic_load_explicit(&nr_touch_logs, memory_order_relaxed))
		touch_page(hpa);
	return plat.seam + hpa;
}

/* ------------------------------------------------------------------------------------------
 * Hiding and poisoning
 */

static int check_page(uint64_t hpa)
{
	if (!pm.ready)
		return -ENODEV;
	if ((hpa & ~PAGE_MASK) || !phys_is_ram(hpa, PAGE_SIZE))
		return -EINVAL;
	return 0;
}

static int map_zero_page(uint64_t hpa)
{
	void *va = mmap(plat.direct + hpa, PAGE_SIZE, PROT_READ,
			MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_NORESERVE, -1, 0);

	return va == MAP_FAILED ? -errno : 0;
}

static int map_shared_page(uint64_t hpa)
{
	void *va = mmap(plat.direct + hpa, PAGE_SIZE, PROT_READ | PROT_WRITE,
			MAP_SHARED | MAP_FIXED | MAP_NORESERVE, plat.memfd, (off_t)hpa);

	return va == MAP_FAILED ? -errno : 0;
}

int phys_hide(uint64_t hpa)
{
	int ret = check_page(hpa);

	if (ret)
		return ret;
	phys_touch(hpa, PAGE_SIZE);
	/* the fault handler may poison the page and cannot allocate then */
	ret = pagemap_reserve(&pm.poisoned, hpa);
	if (ret)
		return ret;
	page_lock(hpa);
	ret = pagemap_set(&pm.hidden, hpa, true);
	if (ret > 0) {
		ret = -EBUSY;
	} else if (!ret) {
		ret = map_zero_page(hpa);
		if (ret)
			pagemap_set(&pm.hidden, hpa, false);
	}
	page_unlock(hpa);
	return ret;
}

/* The memfd's copy is what the TD had: free it, so the page comes back as zeros. */
static int punch(uint64_t hpa, uint64_t size)
{
	if (fallocate(plat.memfd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)hpa,
		      (off_t)size))
		return -errno;
	return 0;
}

int phys_unhide(uint64_t hpa)
{
	int ret = check_page(hpa);

	if (ret)
		return ret;
	phys_touch(hpa, PAGE_SIZE);
	page_lock(hpa);
	if (!pagemap_test(&pm.hidden, hpa))
		ret = -EINVAL;
	if (!ret)
		ret = punch(hpa, PAGE_SIZE);
	if (!ret)
		ret = map_shared_page(hpa);
	if (!ret) {
		pagemap_set(&pm.poisoned, hpa, false);
		pagemap_set(&pm.hidden, hpa, false);
	}
	page_unlock(hpa);
	return ret;
}

/*
 * The page locks of [hpa, hpa + n pages), each taken once, in index order (no deadlock with
 * another range or a single page).
 */
static uint64_t range_lock(uint64_t hpa, uint64_t n)
{
	uint64_t mask = 0;

	for (uint64_t k = 0; k < n && ~mask; k++)
		mask |= 1ULL << (((hpa >> PAGE_SHIFT) + k) % NR_PAGE_LOCKS);
	for (unsigned int i = 0; i < NR_PAGE_LOCKS; i++)
		if (mask & (1ULL << i))
			page_lock((uint64_t)i << PAGE_SHIFT);
	return mask;
}

static void range_unlock(uint64_t mask)
{
	for (unsigned int i = 0; i < NR_PAGE_LOCKS; i++)
		if (mask & (1ULL << i))
			page_unlock((uint64_t)i << PAGE_SHIFT);
}

/* [hpa, hpa + size): page-aligned RAM. */
static int check_range(uint64_t hpa, uint64_t size)
{
	if (!pm.ready)
		return -ENODEV;
	if (((hpa | size) & ~PAGE_MASK) || !size || !phys_is_ram(hpa, size))
		return -EINVAL;
	return 0;
}

/*
 * phys_hide() of every page of the range that is not hidden, with one mapping change per run
 * of such pages (a 2 MiB page at once).
 */
int phys_hide_range(uint64_t hpa, uint64_t size)
{
	int ret = check_range(hpa, size);

	if (ret)
		return ret;
	phys_touch(hpa, size);
	for (uint64_t p = hpa; p < hpa + size; p += PAGE_SIZE) {
		ret = pagemap_reserve(&pm.poisoned, p);
		if (ret)
			return ret;
	}
	for (uint64_t p = hpa, end = hpa + size; !ret && p < end;) {
		uint64_t n = 0, mask;

		while (p + n * PAGE_SIZE < end && !pagemap_test(&pm.hidden, p + n * PAGE_SIZE))
			n++;
		if (!n) {
			p += PAGE_SIZE;
			continue;
		}
		mask = range_lock(p, n);
		if (mmap(plat.direct + p, n * PAGE_SIZE, PROT_READ,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_NORESERVE, -1,
			 0) == MAP_FAILED)
			ret = -errno;
		for (uint64_t k = 0; !ret && k < n; k++)
			pagemap_set(&pm.hidden, p + k * PAGE_SIZE, true);
		range_unlock(mask);
		p += n * PAGE_SIZE;
	}
	return ret;
}

/* phys_unhide() of every hidden page of the range, one punch and one mapping per run. */
int phys_unhide_range(uint64_t hpa, uint64_t size)
{
	int ret = check_range(hpa, size);

	if (ret)
		return ret;
	phys_touch(hpa, size);
	for (uint64_t p = hpa, end = hpa + size; !ret && p < end;) {
		uint64_t n = 0, mask;

		while (p + n * PAGE_SIZE < end && pagemap_test(&pm.hidden, p + n * PAGE_SIZE))
			n++;
		if (!n) {
			p += PAGE_SIZE;
			continue;
		}
		mask = range_lock(p, n);
		ret = punch(p, n * PAGE_SIZE);
		if (!ret && mmap(plat.direct + p, n * PAGE_SIZE, PROT_READ | PROT_WRITE,
				 MAP_SHARED | MAP_FIXED | MAP_NORESERVE, plat.memfd,
				 (off_t)p) == MAP_FAILED)
			ret = -errno;
		for (uint64_t k = 0; !ret && k < n; k++) {
			pagemap_set(&pm.poisoned, p + k * PAGE_SIZE, false);
			pagemap_set(&pm.hidden, p + k * PAGE_SIZE, false);
		}
		range_unlock(mask);
		p += n * PAGE_SIZE;
	}
	return ret;
}

bool phys_is_hidden(uint64_t hpa)
{
	return pm.ready && pagemap_test(&pm.hidden, hpa);
}

bool phys_is_poisoned(uint64_t hpa)
{
	return pm.ready && pagemap_test(&pm.poisoned, hpa);
}

/*
 * The page's integrity is re-established (the module re-initialized it): a hidden page
 * goes back to reading zeros in the direct map, which drops what the host wrote.
 */
void phys_clear_poison(uint64_t hpa)
{
	hpa &= PAGE_MASK;
	if (check_page(hpa))
		return;
	phys_touch(hpa, PAGE_SIZE);
	page_lock(hpa);
	if (pagemap_test(&pm.poisoned, hpa) &&
	    (!pagemap_test(&pm.hidden, hpa) || !map_zero_page(hpa)))
		pagemap_set(&pm.poisoned, hpa, false);
	page_unlock(hpa);
}

void phys_set_poison_notifier(void (*fn)(uint64_t hpa))
{
	atomic_store(&pm.poison_notifier, fn);
}

/*
 * Runs in the SIGSEGV handler. A write to RAM in the direct map faults only on a hidden
 * page; a page found not hidden under its lock was unhidden while the fault was on its way,
 * and the write can simply be retried.
 */
bool physmem_host_write_fault(uintptr_t addr)
{
	void (*notify)(uint64_t hpa) = NULL;
	bool handled = true;
	uint64_t hpa;

	if (!pm.ready || addr < (uintptr_t)plat.direct || addr - (uintptr_t)plat.direct >= plat.top)
		return false;
	hpa = (addr - (uintptr_t)plat.direct) & PAGE_MASK;
	if (!phys_is_ram(hpa, PAGE_SIZE))
		return false;
	page_lock(hpa);
	if (pagemap_test(&pm.hidden, hpa) && !pagemap_test(&pm.poisoned, hpa)) {
		/* anonymous private memory: the host's writes land in a copy of the zero page */
		handled = !mprotect(plat.direct + hpa, PAGE_SIZE, PROT_READ | PROT_WRITE) &&
			  pagemap_set(&pm.poisoned, hpa, true) >= 0;
		phys_touch(hpa, PAGE_SIZE);
		if (handled)
			notify = atomic_load(&pm.poison_notifier);
	}
	page_unlock(hpa);
	if (notify)
		notify(hpa);
	return handled;
}

int phys_discard(uint64_t hpa, uint64_t size)
{
	if (!pm.ready)
		return -ENODEV;
	if (((hpa | size) & ~PAGE_MASK) || !phys_is_ram(hpa, size))
		return -EINVAL;
	phys_touch(hpa, size);
	return punch(hpa, size);
}

/*
 * The run of pages from seam-view address va that are all allocated (*resident) or all
 * holes, up to its end (at most the top of RAM): SEEK_DATA/SEEK_HOLE cost one lookup per
 * run, not one per page as mincore() does. Outside the seam view: va itself, not resident.
 */
const void *phys_seam_resident_run(const void *va, bool *resident)
{
	uint64_t hpa = (uint64_t)((const uint8_t *)va - plat.seam) & PAGE_MASK;
	off_t data, hole;

	*resident = false;
	if (!pm.ready || (const uint8_t *)va < plat.seam || hpa >= plat.top)
		return va;
	data = lseek(plat.memfd, (off_t)hpa, SEEK_DATA);
	if (data < 0)
		return plat.seam + plat.top; /* ENXIO: no data from here on */
	if ((uint64_t)data > hpa)
		return plat.seam + data;
	*resident = true;
	hole = lseek(plat.memfd, data, SEEK_HOLE);
	return plat.seam + (hole < 0 || (uint64_t)hole > plat.top ? plat.top : (uint64_t)hole);
}

/*
 * The memfd's allocated blocks: what the machine's RAM really costs the host. Reads count
 * too: shmem has no shared zero page, so reading a never-written page allocates it.
 */
uint64_t phys_resident_bytes(void)
{
	struct stat st;

	if (!pm.ready || fstat(plat.memfd, &st))
		return 0;
	return (uint64_t)st.st_blocks * 512;
}

/* ------------------------------------------------------------------------------------------
 * Snapshots (fuzzers: every input starts from the same machine). The memfd's allocated
 * extents are found with SEEK_DATA/SEEK_HOLE, so a snapshot costs what is resident, not the
 * size of RAM; a restore punches what was allocated since, writes back what differs, and
 * hides/unhides pages until the hidden set is the snapshot's.
 */

struct phys_extent {
	uint64_t start, end;
	uint8_t *data; /* end - start bytes (snapshot extents only) */
};

struct phys_snapshot {
	struct phys_extent *ext;
	size_t nr_ext;
	uint64_t *hidden; /* sorted */
	size_t nr_hidden;
	struct phys_touch_log *log; /* pages touched since the take or the last restore */
	uint64_t *watch;	    /* pages a restore always looks at (phys_snapshot_watch) */
	size_t nr_watch, cap_watch;
	uint64_t *work; /* a restore's page list */
	size_t cap_work;
};

/* Room for element n of *v (cap elements of size each); on failure *v is freed. */
static int grow(void **v, size_t *cap, size_t n, size_t size)
{
	void *p;

	if (n < *cap)
		return 0;
	*cap = *cap ? 2 * *cap : 64;
	p = realloc(*v, *cap * size);
	if (!p) {
		free(*v);
		*v = NULL;
		return -ENOMEM;
	}
	*v = p;
	return 0;
}

/* The memfd's allocated extents, sorted; *out is malloc'ed (NULL when none). */
static int extents_list(struct phys_extent **out, size_t *nr)
{
	struct phys_extent *v = NULL;
	size_t n = 0, cap = 0;
	off_t pos = 0, data, hole;

	for (;;) {
		data = lseek(plat.memfd, pos, SEEK_DATA);
		if (data < 0 || (uint64_t)data >= plat.top)
			break;
		hole = lseek(plat.memfd, data, SEEK_HOLE);
		if (hole < 0 || (uint64_t)hole > plat.top)
			hole = (off_t)plat.top;
		if (grow((void **)&v, &cap, n, sizeof(*v)))
			return -ENOMEM;
		v[n++] = (struct phys_extent){(uint64_t)data, (uint64_t)hole, NULL};
		pos = hole;
	}
	if (data < 0 && errno != ENXIO) {
		free(v);
		return -errno;
	}
	*out = v;
	*nr = n;
	return 0;
}

/* The pages of a pagemap that are set, sorted; *out is malloc'ed. */
int pagemap_list(const struct pagemap *m, uint64_t **out, size_t *nr)
{
	uint64_t *v = NULL;
	size_t n = 0, cap = 0;

	for (size_t c = 0; c < m->nr_chunks; c++) {
		_Atomic uint64_t *words = atomic_load(&m->chunks[c]);

		for (size_t w = 0; words && w < CHUNK_WORDS; w++) {
			uint64_t bits = atomic_load(&words[w]);

			while (bits) {
				unsigned int b = (unsigned int)__builtin_ctzll(bits);

				bits &= bits - 1;
				if (grow((void **)&v, &cap, n, sizeof(*v)))
					return -ENOMEM;
				v[n++] = ((uint64_t)c << CHUNK_SHIFT) +
					 (((uint64_t)w * 64 + b) << PAGE_SHIFT);
			}
		}
	}
	*out = v;
	*nr = n;
	return 0;
}

void phys_snapshot_free(struct phys_snapshot *s)
{
	if (!s)
		return;
	phys_touch_log_close(s->log);
	for (size_t i = 0; i < s->nr_ext; i++)
		free(s->ext[i].data);
	free(s->ext);
	free(s->hidden);
	free(s->watch);
	free(s->work);
	free(s);
}

int phys_snapshot_watch(struct phys_snapshot *s, uint64_t hpa)
{
	if (!s || check_page(hpa & PAGE_MASK))
		return -EINVAL;
	if (grow((void **)&s->watch, &s->cap_watch, s->nr_watch, sizeof(*s->watch)))
		return -ENOMEM;
	s->watch[s->nr_watch++] = hpa & PAGE_MASK;
	return 0;
}

int phys_snapshot_take(struct phys_snapshot **out)
{
	struct phys_snapshot *s;
	uint64_t *poisoned;
	size_t nr_poisoned;
	int ret;

	if (!pm.ready)
		return -ENODEV;
	ret = pagemap_list(&pm.poisoned, &poisoned, &nr_poisoned);
	if (ret)
		return ret;
	free(poisoned);
	/* A poisoned page's host copy is private anonymous memory the memfd does not hold. */
	if (nr_poisoned)
		return -EBUSY;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	/* Opened first: what changes from here on is what a restore looks at. */
	s->log = phys_touch_log_open(); /* NULL: every restore compares everything */
	ret = extents_list(&s->ext, &s->nr_ext);
	if (!ret)
		ret = pagemap_list(&pm.hidden, &s->hidden, &s->nr_hidden);
	for (size_t i = 0; !ret && i < s->nr_ext; i++) {
		struct phys_extent *e = &s->ext[i];

		e->data = malloc(e->end - e->start);
		if (!e->data)
			ret = -ENOMEM;
		else
			memcpy(e->data, plat.seam + e->start, e->end - e->start);
	}
	if (ret) {
		phys_snapshot_free(s);
		return ret;
	}
	*out = s;
	return 0;
}

/* Bytes of RAM the snapshot holds. */
uint64_t phys_snapshot_bytes(const struct phys_snapshot *s)
{
	uint64_t n = 0;

	for (size_t i = 0; s && i < s->nr_ext; i++)
		n += s->ext[i].end - s->ext[i].start;
	return n;
}

/* The hidden set back to the snapshot's; a poisoned page that stays hidden reads zeros again. */
/* Runs of pages [v[i], v[i] + n pages) that are contiguous: how many from i. */
static size_t run_length(const uint64_t *v, size_t nr, size_t i)
{
	size_t n = 1;

	while (i + n < nr && v[i + n] == v[i] + n * PAGE_SIZE)
		n++;
	return n;
}

/* Hide or unhide a run of pages with one mapping change (phys_hide/phys_unhide, batched). */
static int run_set_hidden(uint64_t hpa, size_t n, bool hide)
{
	uint64_t size = n * PAGE_SIZE;
	void *va;
	int ret;

	phys_touch(hpa, size);
	for (size_t k = 0; k < n; k++) {
		ret = pagemap_reserve(&pm.poisoned, hpa + k * PAGE_SIZE);
		if (ret)
			return ret;
	}
	if (hide) {
		va = mmap(plat.direct + hpa, size, PROT_READ,
			  MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_NORESERVE, -1, 0);
	} else {
		ret = punch(hpa, size);
		if (ret)
			return ret;
		va = mmap(plat.direct + hpa, size, PROT_READ | PROT_WRITE,
			  MAP_SHARED | MAP_FIXED | MAP_NORESERVE, plat.memfd, (off_t)hpa);
	}
	if (va == MAP_FAILED)
		return -errno;
	for (size_t k = 0; k < n; k++) {
		uint64_t p = hpa + k * PAGE_SIZE;

		page_lock(p);
		pagemap_set(&pm.hidden, p, hide);
		pagemap_set(&pm.poisoned, p, false);
		page_unlock(p);
	}
	return 0;
}

/* Pages in a but not in b (both ascending), into out (room for na). */
static size_t list_minus(const uint64_t *a, size_t na, const uint64_t *b, size_t nb, uint64_t *out)
{
	size_t n = 0, j = 0;

	for (size_t i = 0; i < na; i++) {
		while (j < nb && b[j] < a[i])
			j++;
		if (j == nb || b[j] != a[i])
			out[n++] = a[i];
	}
	return n;
}

/*
 * The hidden set back to the snapshot's, contiguous runs at once; a poisoned page that stays
 * hidden reads zeros again.
 */
static int hidden_restore(const struct phys_snapshot *s)
{
	uint64_t *now, *diff = NULL;
	size_t nr_now, n;
	int ret = pagemap_list(&pm.hidden, &now, &nr_now);

	if (ret)
		return ret;
	diff = malloc((nr_now > s->nr_hidden ? nr_now : s->nr_hidden) * sizeof(*diff) + 1);
	if (!diff)
		ret = -ENOMEM;
	/* Unhidden: hidden now, not at the snapshot. */
	n = ret ? 0 : list_minus(now, nr_now, s->hidden, s->nr_hidden, diff);
	for (size_t i = 0, len; !ret && i < n; i += len) {
		len = run_length(diff, n, i);
		ret = run_set_hidden(diff[i], len, false);
	}
	/* Hidden again: hidden at the snapshot, not now. */
	n = ret ? 0 : list_minus(s->hidden, s->nr_hidden, now, nr_now, diff);
	for (size_t i = 0, len; !ret && i < n; i += len) {
		len = run_length(diff, n, i);
		ret = run_set_hidden(diff[i], len, true);
	}
	/* Hidden in both and poisoned since: the host's copy goes. */
	for (size_t i = 0; !ret && i < s->nr_hidden; i++) {
		uint64_t hpa = s->hidden[i];

		page_lock(hpa);
		if (pagemap_test(&pm.poisoned, hpa)) {
			ret = map_zero_page(hpa);
			if (!ret)
				pagemap_set(&pm.poisoned, hpa, false);
		}
		page_unlock(hpa);
	}
	free(diff);
	free(now);
	return ret;
}

/* Every page compared (no touch log, or it overflowed). */
static int restore_all(const struct phys_snapshot *s)
{
	struct phys_extent *now;
	size_t nr_now, j = 0;
	int ret;

	ret = hidden_restore(s);
	if (!ret)
		ret = extents_list(&now, &nr_now);
	if (ret)
		return ret;
	/* What is allocated now outside the snapshot's extents goes back to a hole. */
	for (size_t i = 0; !ret && i < nr_now; i++) {
		uint64_t pos = now[i].start;

		while (!ret && pos < now[i].end) {
			uint64_t end = now[i].end;

			while (j < s->nr_ext && s->ext[j].end <= pos)
				j++;
			if (j < s->nr_ext && s->ext[j].start <= pos) {
				pos = s->ext[j].end; /* written back below */
				continue;
			}
			if (j < s->nr_ext && s->ext[j].start < end)
				end = s->ext[j].start;
			ret = punch(pos, end - pos);
			pos = end;
		}
	}
	free(now);
	/* The snapshot's pages: those that differ are written back (a hole reads as zeros and
	 * is allocated by the comparison, as it was at the snapshot). */
	for (size_t i = 0; !ret && i < s->nr_ext; i++) {
		const struct phys_extent *e = &s->ext[i];

		for (uint64_t off = 0; off < e->end - e->start; off += PAGE_SIZE) {
			uint8_t *va = plat.seam + e->start + off;

			if (memcmp(va, e->data + off, PAGE_SIZE))
				memcpy(va, e->data + off, PAGE_SIZE);
		}
	}
	return ret;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static bool sorted_has(const uint64_t *v, size_t n, uint64_t x)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (v[mid] == x)
			return true;
		if (v[mid] < x)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

/* The snapshot's copy of page hpa, or NULL when it was a hole. */
static const uint8_t *snapshot_page(const struct phys_snapshot *s, uint64_t hpa)
{
	size_t lo = 0, hi = s->nr_ext;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct phys_extent *e = &s->ext[mid];

		if (hpa < e->start)
			hi = mid;
		else if (hpa >= e->end)
			lo = mid + 1;
		else
			return e->data + (hpa - e->start);
	}
	return NULL;
}

/* Page hpa must be hidden again (hide) or shown again (!hide) to be the snapshot's. */
static bool hidden_since(const struct phys_snapshot *s, uint64_t hpa, bool hide)
{
	bool now = pagemap_test(&pm.hidden, hpa);

	return now != hide && sorted_has(s->hidden, s->nr_hidden, hpa) == hide;
}

/*
 * Only the pages touched since the take or the last restore, and the watched ones: the
 * hidden set, what is allocated and the contents of each, as restore_all() does for all.
 * list is sorted and has no duplicates.
 */
static int restore_pages(const struct phys_snapshot *s, const uint64_t *list, size_t n)
{
	int ret = 0;

	/* Unhidden since, then hidden since, in contiguous runs (restore_all's order). */
	for (int hide = 0; hide < 2; hide++) {
		for (size_t i = 0; !ret && i < n;) {
			size_t len = 0;

			while (i + len < n &&
			       (!len || list[i + len] == list[i] + len * PAGE_SIZE) &&
			       hidden_since(s, list[i + len], hide))
				len++;
			if (len)
				ret = run_set_hidden(list[i], len, hide);
			i += len ? len : 1;
		}
	}
	/* Hidden in both and poisoned since: the host's copy goes. */
	for (size_t i = 0; !ret && i < n; i++) {
		page_lock(list[i]);
		if (pagemap_test(&pm.poisoned, list[i])) {
			ret = map_zero_page(list[i]);
			if (!ret)
				pagemap_set(&pm.poisoned, list[i], false);
		}
		page_unlock(list[i]);
	}
	/* Pages the snapshot has come back; the others are holes again (in runs). */
	for (size_t i = 0; !ret && i < n;) {
		const uint8_t *data = snapshot_page(s, list[i]);
		size_t len = 1;

		if (data) {
			uint8_t *va = plat.seam + list[i];

			if (memcmp(va, data, PAGE_SIZE))
				memcpy(va, data, PAGE_SIZE);
			i++;
			continue;
		}
		while (i + len < n && list[i + len] == list[i] + len * PAGE_SIZE &&
		       !snapshot_page(s, list[i + len]))
			len++;
		ret = punch(list[i], len * PAGE_SIZE);
		i += len;
	}
	return ret;
}

int phys_snapshot_restore(struct phys_snapshot *s)
{
	const uint64_t *touched;
	bool overflowed = true;
	size_t n = 0, m = 0;
	int ret;

	if (!pm.ready)
		return -ENODEV;
	if (s->log)
		n = phys_touch_log_pages(s->log, &touched, &overflowed);
	if (!overflowed && s->cap_work < n + s->nr_watch) {
		free(s->work);
		s->cap_work = 2 * (n + s->nr_watch) + 1;
		s->work = malloc(s->cap_work * sizeof(*s->work));
		if (!s->work)
			s->cap_work = 0;
	}
	if (!overflowed && s->work) {
		if (n)
			memcpy(s->work, touched, n * sizeof(*touched));
		if (s->nr_watch)
			memcpy(s->work + n, s->watch, s->nr_watch * sizeof(*s->watch));
		qsort(s->work, n + s->nr_watch, sizeof(*s->work), cmp_u64);
		for (size_t i = 0; i < n + s->nr_watch; i++)
			if (!m || s->work[m - 1] != s->work[i])
				s->work[m++] = s->work[i];
		/* Other logs (snapshots, checkers) learn what the restore changes. */
		for (size_t i = 0; i < m; i++)
			phys_touch(s->work[i], PAGE_SIZE);
		ret = restore_pages(s, s->work, m);
	} else {
		touch_everything();
		ret = restore_all(s);
	}
	if (s->log)
		phys_touch_log_reset(s->log);
	return ret;
}

/* Describe a difference into buf (the first few). */
static void diff_note(char *buf, size_t len, uint64_t *count, const char *what, uint64_t hpa)
{
	size_t used = buf ? strlen(buf) : 0;

	if (buf && len > used + 1 && *count < 16)
		snprintf(buf + used, len - used, "page 0x%llx: %s\n", (unsigned long long)hpa,
			 what);
	(*count)++;
}

uint64_t phys_snapshot_differences(const struct phys_snapshot *s, char *buf, size_t len)
{
	struct phys_extent *now = NULL;
	uint64_t *hidden = NULL, *poisoned = NULL, count = 0;
	size_t nr_now = 0, nr_hidden = 0, nr_poisoned = 0;

	if (buf && len)
		buf[0] = 0;
	if (!pm.ready || extents_list(&now, &nr_now) ||
	    pagemap_list(&pm.hidden, &hidden, &nr_hidden) ||
	    pagemap_list(&pm.poisoned, &poisoned, &nr_poisoned)) {
		free(now);
		free(hidden);
		return ~0ULL;
	}
	/* Residency and contents, page by page over both extent lists. */
	for (size_t i = 0; i < nr_now; i++)
		for (uint64_t p = now[i].start; p < now[i].end; p += PAGE_SIZE) {
			const uint8_t *data = snapshot_page(s, p);

			if (!data)
				diff_note(buf, len, &count, "allocated, a hole in the snapshot", p);
			else if (memcmp(plat.seam + p, data, PAGE_SIZE))
				diff_note(buf, len, &count, "contents differ", p);
		}
	for (size_t i = 0; i < s->nr_ext; i++)
		for (uint64_t p = s->ext[i].start; p < s->ext[i].end; p += PAGE_SIZE) {
			bool resident = false;

			for (size_t j = 0; j < nr_now && !resident; j++)
				resident = p >= now[j].start && p < now[j].end;
			if (!resident)
				diff_note(buf, len, &count, "a hole, allocated in the snapshot", p);
		}
	for (size_t i = 0; i < nr_hidden; i++)
		if (!sorted_has(s->hidden, s->nr_hidden, hidden[i]))
			diff_note(buf, len, &count, "hidden, not in the snapshot", hidden[i]);
	for (size_t i = 0; i < s->nr_hidden; i++)
		if (!sorted_has(hidden, nr_hidden, s->hidden[i]))
			diff_note(buf, len, &count, "not hidden, hidden in the snapshot",
				  s->hidden[i]);
	for (size_t i = 0; i < nr_poisoned; i++)
		diff_note(buf, len, &count, "poisoned", poisoned[i]);
	free(now);
	free(hidden);
	free(poisoned);
	return count;
}
