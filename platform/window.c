// SPDX-License-Identifier: MIT
/*
 * TD address windows: 2W of reserved host address space per TD, private GPA g at base + g,
 * shared GPA g at base + W + g. A page the Secure EPT maps is the memfd at its HPA; every
 * other page is PROT_NONE, so a TD access to it faults like an EPT violation.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "internal.h"

#define W	   TDXSIM_WINDOW_SIZE
#define WINDOW_MAX TD_WINDOW_MAX
#define RUN_ALIGN  (2ULL << 20) /* a deferred run ends with its 2 MiB of GPA */

/* A run of deferred maps (td_window_map_deferred): n pages from gpa at hpa, one half, one prot. */
struct window_run {
	uint64_t gpa, hpa, n;
	int prot;
	bool shared;
};

struct td_window {
	uintptr_t base;
	unsigned int gpaw;
	unsigned int slot;
	struct pagemap mapped[2];   /* private, shared */
	struct pagemap suppress_ve; /* shared GPAs whose EPT entry has suppress-#VE set */
	_Atomic uint64_t changes;   /* maps and unmaps so far */
	/*
	 * The pending run and the last one mapped (for a host fault that raced with its flush),
	 * under a spinlock: the SIGSEGV handler flushes for host code that touched a pending
	 * page, and no holder touches the window's memory, so it cannot interrupt a holder.
	 */
	atomic_flag run_lock;
	struct window_run run, last_run;
};

/*
 * The windows, for lookups from signal handlers: lock-free, the base published last on
 * create and cleared first on destroy. Only claiming a slot takes a lock.
 */
static struct {
	_Atomic uintptr_t base;
	_Atomic uint64_t shared_bit;
	struct td_window *_Atomic w;
} slots[WINDOW_MAX];
static pthread_mutex_t slots_lock = PTHREAD_MUTEX_INITIALIZER;

uint64_t native_space_shared_bit(const struct td_window *w)
{
	return w ? 1ULL << (w->gpaw - 1) : 0;
}

/*
 * Windows go at fixed addresses: the first free 2W-aligned slot from WINDOW_FIXED_BASE up, so
 * that a TD's addresses (the image base, RIPs in messages and traces) are the same in every
 * run of the same configuration. 32 TiB is above the sanitizers' shadow memory and far from
 * where the kernel puts the executable, the heap, libraries and stacks; WINDOW_MAX slots span
 * 16 TiB. When no slot can be had (something else is there, or a kernel older than 4.17 that
 * treats MAP_FIXED_NOREPLACE as a hint), the window goes where mmap puts it, with a message.
 */
#define WINDOW_FIXED_BASE 0x200000000000ULL

static uintptr_t reserve_fixed(int *err)
{
	for (unsigned int i = 0; i < WINDOW_MAX; i++) {
		uintptr_t want = WINDOW_FIXED_BASE + (uintptr_t)i * 2 * W;
		void *p = mmap((void *)want, 2 * W, PROT_NONE,
			       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED_NOREPLACE,
			       -1, 0);

		if (p == (void *)want)
			return want;
		if (p != MAP_FAILED) {
			munmap(p, 2 * W);
			*err = EEXIST;
			return 0;
		}
		*err = errno;
		if (errno != EEXIST)
			return 0;
	}
	return 0;
}

/* Reserve 2W at a 2W-aligned address: over-reserve and trim the ends. */
static uintptr_t reserve_anywhere(void)
{
	uint8_t *p =
		mmap(NULL, 4 * W, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	uintptr_t start, base;

	if (p == MAP_FAILED)
		return 0;
	start = (uintptr_t)p;
	base = (start + 2 * W - 1) & ~(2 * W - 1);
	if (base > start)
		munmap(p, base - start);
	munmap((void *)(base + 2 * W), start + 4 * W - (base + 2 * W));
	return base;
}

static uintptr_t reserve(void)
{
	static atomic_flag told = ATOMIC_FLAG_INIT;
	int err = 0;
	uintptr_t base;

#ifdef __SANITIZE_THREAD__
	/*
	 * ThreadSanitizer keeps application memory in fixed ranges and kills the process for a
	 * fixed mapping outside them, as the fixed slots are: its runs take any address.
	 */
	return reserve_anywhere();
#endif
	base = reserve_fixed(&err);
	if (base)
		return base;
	base = reserve_anywhere();
	if (base && !atomic_flag_test_and_set(&told))
		fprintf(stderr,
			"tdxsim: no TD window at its fixed address from 0x%llx (%s); this one is "
			"at "
			"0x%llx, so addresses will differ between runs\n",
			(unsigned long long)WINDOW_FIXED_BASE, strerror(err),
			(unsigned long long)base);
	return base;
}

static int slot_claim(struct td_window *w)
{
	unsigned int i;

	pthread_mutex_lock(&slots_lock);
	for (i = 0; i < WINDOW_MAX; i++) {
		if (!atomic_load(&slots[i].w)) {
			w->slot = i;
			atomic_store(&slots[i].w, w);
			atomic_store(&slots[i].shared_bit, native_space_shared_bit(w));
			atomic_store(&slots[i].base, w->base);
			break;
		}
	}
	pthread_mutex_unlock(&slots_lock);
	return i < WINDOW_MAX ? 0 : -ENOSPC;
}

bool native_space_any(void)
{
	for (unsigned int i = 0; i < WINDOW_MAX; i++)
		if (atomic_load(&slots[i].w))
			return true;
	return false;
}

static void slot_release(struct td_window *w)
{
	pthread_mutex_lock(&slots_lock);
	atomic_store(&slots[w->slot].base, 0);
	atomic_store(&slots[w->slot].w, NULL);
	pthread_mutex_unlock(&slots_lock);
}

/* TD_PARAMS.CONFIG_FLAGS.GPAW selects 48 or 52 bits; nothing else exists. */
struct td_window *native_space_create(unsigned int gpaw)
{
	struct td_window *w;
	int ret;

	if (gpaw != 48 && gpaw != 52) {
		errno = EINVAL;
		return NULL;
	}
	w = calloc(1, sizeof(*w));
	if (!w)
		return NULL;
	w->gpaw = gpaw;
	ret = pagemap_init(&w->mapped[0], W);
	if (ret)
		goto err_free;
	ret = pagemap_init(&w->mapped[1], W);
	if (ret)
		goto err_private;
	ret = pagemap_init(&w->suppress_ve, W);
	if (ret)
		goto err_shared_map;
	ret = -ENOMEM;
	w->base = reserve();
	if (!w->base)
		goto err_shared;
	ret = slot_claim(w);
	if (ret)
		goto err_unmap;
	return w;

err_unmap:
	munmap((void *)w->base, 2 * W);
err_shared:
	pagemap_fini(&w->suppress_ve);
err_shared_map:
	pagemap_fini(&w->mapped[1]);
err_private:
	pagemap_fini(&w->mapped[0]);
err_free:
	free(w);
	errno = -ret;
	return NULL;
}

void native_space_destroy(struct td_window *w)
{
	if (!w)
		return;
	slot_release(w);
	/* Its code is gone: a later window at the same addresses must not inherit rewrites. */
	cpuid_forget_code((void *)w->base, 2 * W);
	munmap((void *)w->base, 2 * W);
	pagemap_fini(&w->suppress_ve);
	pagemap_fini(&w->mapped[1]);
	pagemap_fini(&w->mapped[0]);
	free(w);
}

uintptr_t native_space_base(const struct td_window *w)
{
	return w ? w->base : 0;
}

/* ------------------------------------------------------------------------------------------
 * Mapping
 */

static bool gpa_valid(const struct td_window *w, uint64_t gpa)
{
	return w && !(gpa & ~PAGE_MASK) && gpa < W;
}

void *native_space_va(const struct td_window *w, uint64_t gpa, bool shared)
{
	if (!w || gpa >= W)
		return NULL;
	return (void *)(w->base + (shared ? W : 0) + gpa);
}

static int map_check(const struct td_window *w, uint64_t gpa, uint64_t hpa, int prot)
{
	if (!gpa_valid(w, gpa) || !prot || (prot & ~(PROT_READ | PROT_WRITE | PROT_EXEC)))
		return -EINVAL;
	if (!plat.direct)
		return -ENODEV;
	if ((hpa & ~PAGE_MASK) || !phys_is_ram(hpa, PAGE_SIZE))
		return -EINVAL;
	return 0;
}

static void run_lock(struct td_window *w)
{
	while (atomic_flag_test_and_set_explicit(&w->run_lock, memory_order_acquire))
		;
}

static void run_unlock(struct td_window *w)
{
	atomic_flag_clear_explicit(&w->run_lock, memory_order_release);
}

static bool run_holds(const struct window_run *r, uint64_t gpa, bool shared)
{
	return r->n && r->shared == shared && gpa >= r->gpa && gpa - r->gpa < r->n * PAGE_SIZE;
}

/*
 * The pending run's one mmap. Its pages' bits are already set; if the mmap fails they are
 * cleared, as a failed td_window_map() leaves its page unmapped. Run lock held.
 */
static int run_flush_locked(struct td_window *w)
{
	struct window_run *r = &w->run;
	void *va;

	if (!r->n)
		return 0;
	va = mmap(native_space_va(w, r->gpa, r->shared), r->n * PAGE_SIZE, r->prot,
		  MAP_SHARED | MAP_FIXED, plat.memfd, (off_t)r->hpa);
	if (va == MAP_FAILED) {
		int err = errno;

		for (uint64_t i = 0; i < r->n; i++)
			pagemap_set(&w->mapped[r->shared], r->gpa + i * PAGE_SIZE, false);
		r->n = 0;
		return -err;
	}
	w->last_run = *r;
	r->n = 0;
	return 0;
}

int native_space_flush(struct td_window *w)
{
	int ret;

	if (!w)
		return -EINVAL;
	run_lock(w);
	ret = run_flush_locked(w);
	run_unlock(w);
	return ret;
}

/*
 * One page at @gpa: the memfd at @hpa, or (@src) another mapping of the shared page at @src,
 * made by mremap() with old size 0 (mremap(2)), which keeps the page's own protection.
 */
static int map_one(struct td_window *w, uint64_t gpa, bool shared, uint64_t hpa, int prot,
		   void *src)
{
	void *va, *at = native_space_va(w, gpa, shared);
	int ret;

	/* A pending run first, so that what was asked last is what stays. */
	ret = native_space_flush(w);
	if (ret)
		return ret;
	ret = pagemap_reserve(&w->mapped[shared], gpa);
	if (ret)
		return ret;
	va = src ? mremap(src, 0, PAGE_SIZE, MREMAP_MAYMOVE | MREMAP_FIXED, at)
		 : mmap(at, PAGE_SIZE, prot, MAP_SHARED | MAP_FIXED, plat.memfd, (off_t)hpa);
	if (va == MAP_FAILED)
		return -errno;
	pagemap_set(&w->mapped[shared], gpa, true);
	atomic_fetch_add(&w->changes, 1);
	return 0;
}

int native_space_map(struct td_window *w, uint64_t gpa, bool shared, uint64_t hpa, int prot)
{
	int ret;

	ret = map_check(w, gpa, hpa, prot);
	return ret ? ret : map_one(w, gpa, shared, hpa, prot, NULL);
}

/* The bit goes first, so that a reader never trusts a page that is being taken away. */
int native_space_unmap(struct td_window *w, uint64_t gpa, bool shared)
{
	void *va;

	if (!gpa_valid(w, gpa))
		return -EINVAL;
	native_space_flush(w);
	if (pagemap_set(&w->mapped[shared], gpa, false) != 1)
		return -ENOENT;
	atomic_fetch_add(&w->changes, 1);
	va = mmap(native_space_va(w, gpa, shared), PAGE_SIZE, PROT_NONE,
		  MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_NORESERVE, -1, 0);
	return va == MAP_FAILED ? -errno : 0;
}

int native_space_map_alias(struct td_window *w, uint64_t gpa, bool shared, void *src)
{
	if (!gpa_valid(w, gpa) || !src || ((uintptr_t)src & ~PAGE_MASK))
		return -EINVAL;
	return map_one(w, gpa, shared, 0, PROT_READ | PROT_WRITE, src);
}

/*
 * A page joins the pending run when it continues it (next GPA, next HPA, same half and
 * prot), else the run is mapped and a new one starts with it; a run is mapped once it
 * reaches the end of its 2 MiB of GPA, so a 2 MiB region of contiguous PAGE.ADDs is one
 * mmap. The page's bit is set at once: it is mapped for every caller from here on.
 */
int native_space_map_deferred(struct td_window *w, uint64_t gpa, bool shared, uint64_t hpa,
			      int prot)
{
	struct window_run *r;
	int ret;

	ret = map_check(w, gpa, hpa, prot);
	if (!ret)
		ret = pagemap_reserve(&w->mapped[shared], gpa);
	if (ret)
		return ret;
	if (pagemap_test(&w->mapped[shared], gpa))
		return native_space_map(w, gpa, shared, hpa, prot); /* a replacement: at once */
	run_lock(w);
	r = &w->run;
	if (r->n && (r->shared != shared || r->prot != prot || gpa != r->gpa + r->n * PAGE_SIZE ||
		     hpa != r->hpa + r->n * PAGE_SIZE))
		ret = run_flush_locked(w);
	if (!r->n)
		*r = (struct window_run){.gpa = gpa, .hpa = hpa, .prot = prot, .shared = shared};
	r->n++;
	pagemap_set(&w->mapped[shared], gpa, true);
	atomic_fetch_add(&w->changes, 1);
	if (!((gpa + PAGE_SIZE) & (RUN_ALIGN - 1))) {
		int err = run_flush_locked(w);

		ret = ret ? ret : err;
	}
	run_unlock(w);
	return ret;
}

/*
 * SIGSEGV handler, host code: an access to a page of the pending run maps the run, and the
 * access is retried; so is one to the run mapped last, whose flush raced with the fault.
 */
bool window_host_fault(uintptr_t addr)
{
	struct td_window *w = td_window_lookup(addr, NULL);
	uint64_t off, gpa;
	bool shared, ours;

	if (!w)
		return false;
	off = (addr & ~(uintptr_t)(PAGE_SIZE - 1)) - w->base;
	shared = off >= W;
	gpa = shared ? off - W : off;
	run_lock(w);
	ours = run_holds(&w->run, gpa, shared);
	if (ours)
		ours = !run_flush_locked(w);
	else
		ours = run_holds(&w->last_run, gpa, shared);
	run_unlock(w);
	return ours;
}

/*
 * Suppress-#VE of the shared half, one bit per page (a sparse map: the VMM sets it over its
 * RAM, a few chunks). The module reads it from signal handlers without a lock.
 */
int native_space_set_suppress_ve(struct td_window *w, uint64_t gpa, uint64_t size, bool suppress)
{
	uint64_t end;
	int ret;

	if (!w)
		return -EINVAL;
	gpa &= ~native_space_shared_bit(w);
	end = gpa + size;
	if ((gpa | size) & ~PAGE_MASK || end < gpa || end > W)
		return -EINVAL;
	for (uint64_t g = gpa; g < end; g += PAGE_SIZE) {
		if (suppress && (ret = pagemap_reserve(&w->suppress_ve, g)))
			return ret;
		if (suppress || pagemap_test(&w->suppress_ve, g))
			pagemap_set(&w->suppress_ve, g, suppress);
	}
	return 0;
}

bool native_space_suppress_ve(const struct td_window *w, uint64_t gpa)
{
	if (!w)
		return false;
	gpa &= ~native_space_shared_bit(w);
	return gpa < W && pagemap_test(&w->suppress_ve, gpa);
}

/* The backend's operations on a TD's address space, for every caller (module and VMM). */
struct td_window *td_window_create(unsigned int gpaw)
{
	return cpu_backend()->space_create(gpaw);
}

void td_window_destroy(struct td_window *w)
{
	cpu_backend()->space_destroy(w);
}

int td_window_map(struct td_window *w, uint64_t gpa, bool shared, uint64_t hpa, int prot)
{
	/* The guest writes it from now on without a phys_*_va() call (touch logs). */
	if (prot & PROT_WRITE)
		phys_touch(hpa, PAGE_SIZE);
	return cpu_backend()->map(w, gpa, shared, hpa, prot);
}

int td_window_unmap(struct td_window *w, uint64_t gpa, bool shared)
{
	return cpu_backend()->unmap(w, gpa, shared);
}

int td_window_map_alias(struct td_window *w, uint64_t gpa, bool shared, void *src)
{
	const struct cpu_backend_ops *ops = cpu_backend();

	return ops->map_alias ? ops->map_alias(w, gpa, shared, src) : -EOPNOTSUPP;
}

int td_window_map_deferred(struct td_window *w, uint64_t gpa, bool shared, uint64_t hpa, int prot)
{
	const struct cpu_backend_ops *ops = cpu_backend();

	return ops->map_deferred ? ops->map_deferred(w, gpa, shared, hpa, prot)
				 : ops->map(w, gpa, shared, hpa, prot);
}

int td_window_flush(struct td_window *w)
{
	const struct cpu_backend_ops *ops = cpu_backend();

	return ops->flush ? ops->flush(w) : 0;
}

int td_window_set_suppress_ve(struct td_window *w, uint64_t gpa, uint64_t size, bool suppress)
{
	return cpu_backend()->set_suppress_ve(w, gpa, size, suppress);
}

bool td_window_suppress_ve(const struct td_window *w, uint64_t gpa)
{
	return cpu_backend()->suppress_ve(w, gpa);
}

uintptr_t td_window_base(const struct td_window *w)
{
	return w ? cpu_backend()->space_base(w) : 0;
}

uint64_t td_window_shared_bit(const struct td_window *w)
{
	return cpu_backend()->shared_bit(w);
}

void *td_window_va(const struct td_window *w, uint64_t gpa, bool shared)
{
	return w ? cpu_backend()->space_va(w, gpa, shared) : NULL;
}

bool td_window_is_mapped(const struct td_window *w, uint64_t gpa, bool shared)
{
	return w && cpu_backend()->is_mapped(w, gpa, shared);
}

bool native_space_is_mapped(const struct td_window *w, uint64_t gpa, bool shared)
{
	return w && pagemap_test(&w->mapped[shared], gpa);
}

/* Lock-free: signal handlers call this for every fault in guest code. */
struct td_window *td_window_lookup(uintptr_t addr, uint64_t *gpa)
{
	struct td_window *w;
	uintptr_t base, off;
	unsigned int i;

	for (i = 0; i < WINDOW_MAX; i++) {
		base = atomic_load(&slots[i].base);
		if (!base || addr < base || addr - base >= 2 * W)
			continue;
		w = atomic_load(&slots[i].w);
		if (!w)
			return NULL;
		off = addr - base;
		if (gpa)
			*gpa = off < W ? off : (off - W) | atomic_load(&slots[i].shared_bit);
		return w;
	}
	return NULL;
}

bool window_addr_readable(uintptr_t addr)
{
	uint64_t gpa;
	struct td_window *w = td_window_lookup(addr, &gpa);
	bool shared;

	if (!w)
		return true;
	shared = gpa & native_space_shared_bit(w);
	return native_space_is_mapped(w, gpa & ~native_space_shared_bit(w), shared);
}

/* ------------------------------------------------------------------------------------------
 * Snapshots
 */

/* Snapshots cover the native backend's windows only (the system backend's are -EOPNOTSUPP). */
static bool native(void)
{
	return cpu_backend() == &cpu_backend_native;
}

uint64_t td_window_changes(const struct td_window *w)
{
	return w && native() ? atomic_load(&w->changes) : 0;
}

int td_window_mappings(const struct td_window *w, struct td_window_page **out, size_t *nr)
{
	struct td_window_page *v = NULL;
	size_t n = 0, cap = 0;
	char line[512];
	FILE *f;

	if (!w)
		return -EINVAL;
	if (!native())
		return -EOPNOTSUPP;
	/* What /proc/self/maps shows is what was mapped: the pending run first. */
	td_window_flush((struct td_window *)w);
	f = fopen("/proc/self/maps", "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		unsigned long start, end;
		unsigned long long off;
		char perms[8];
		int pos = 0;

		if (sscanf(line, "%lx-%lx %7s %llx %*s %*s %n", &start, &end, perms, &off, &pos) <
			    4 ||
		    !pos || !strstr(line + pos, "memfd:tdxsim-phys"))
			continue;
		if (start < w->base || end > w->base + 2 * W)
			continue;
		for (uintptr_t a = start; a < end; a += PAGE_SIZE) {
			bool shared = a >= w->base + W;
			uint64_t gpa = a - w->base - (shared ? W : 0);

			if (!pagemap_test(&w->mapped[shared], gpa))
				continue; /* the bit goes first in an unmap */
			if (n == cap) {
				struct td_window_page *p;

				cap = cap ? 2 * cap : 64;
				p = realloc(v, cap * sizeof(*v));
				if (!p) {
					free(v);
					fclose(f);
					return -ENOMEM;
				}
				v = p;
			}
			v[n++] = (struct td_window_page){
				.gpa = gpa,
				.hpa = off + (a - start),
				.shared = shared,
				.prot = (perms[0] == 'r' ? PROT_READ : 0) |
					(perms[1] == 'w' ? PROT_WRITE : 0) |
					(perms[2] == 'x' ? PROT_EXEC : 0),
			};
		}
	}
	fclose(f);
	*out = v;
	*nr = n;
	return 0;
}

int td_window_mappings_set(struct td_window *w, const struct td_window_page *pages, size_t nr)
{
	int ret = native() ? 0 : -EOPNOTSUPP;

	for (int shared = 0; !ret && shared < 2; shared++) {
		uint64_t *gpas;
		size_t n;

		ret = pagemap_list(&w->mapped[shared], &gpas, &n);
		if (ret)
			break;
		for (size_t i = 0; !ret && i < n; i++)
			ret = td_window_unmap(w, gpas[i], shared);
		free(gpas);
	}
	for (size_t i = 0; !ret && i < nr; i++)
		ret = td_window_map(w, pages[i].gpa, pages[i].shared, pages[i].hpa, pages[i].prot);
	return ret;
}
