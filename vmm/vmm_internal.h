/* SPDX-License-Identifier: MIT */
/*
 * vmm/vmm_internal.h - what the files of the VMM library share (the TD and its vCPUs).
 */
#ifndef VMM_VMM_INTERNAL_H
#define VMM_VMM_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>

#include <tdx/args.h>

#include <tdxsim/tdxsim.h>
#include <tdxsim/vmm.h>
#include "host/tdx_host.h"
#include "platform/platform.h"
#include "vmm/apic.h"
#include "vmm/bus.h"
#include "vmm/devices.h"
#include "vmm/msr_filter.h"
#include "vmm/quote.h"
#include "vmm/tdvmcall.h"

/* One page of the initial image, as PAGE.ADD and MR.EXTEND see it. */
struct vmm_image_page {
	uint64_t gpa;
	bool exec;
	bool no_mr_extend; /* PAGE.ADD alone: a TDVF section without MR.EXTEND (vmm/tdvf.h) */
	uint8_t data[4096];
};

struct vmm_image {
	unsigned int nr;
	struct vmm_image_page *pages; /* ascending GPA; the reset page last */
	uint64_t entry_gpa;
	uint64_t low_gpa, high_gpa; /* [low, high) of the ELF's pages */
};

/*
 * elf.c: a whole regular file into a malloc'ed buffer (*buf, *len). 0 or -errno: -EISDIR for
 * a directory, -EINVAL for anything else that is not a regular file, -EFBIG above 2 GiB.
 */
int vmm_read_file(const char *path, uint8_t **buf, size_t *len);
/*
 * Whether the ELF in buf is a tdxsim guest (vmm/elf.c: an x86-64 static PIE with relative
 * relocations only, every segment inside the file and the image's 1 GiB). 0, or -ENOEXEC with
 * "PATH: the reason" in @err.
 */
int vmm_elf_check(const char *path, const uint8_t *buf, size_t len, char *err, size_t errlen);
/* Read, check and lay out a guest ELF with the reset page. 0 or -errno with a message. */
int vmm_image_load(const char *path, struct vmm_image *img, char *err, size_t errlen);
void vmm_image_free(struct vmm_image *img);

/* symbols.c: the guest image's .symtab, to name RIPs. */
struct vmm_symbols;
/* Parse the ELF in buf. 0; -ENOENT without a symbol table; -ENOEXEC, -ENOMEM. */
int vmm_symbols_parse(const uint8_t *buf, size_t len, struct vmm_symbols **out);
/* The symbol holding image offset @addr and *off into it, or NULL. */
const char *vmm_symbols_lookup(const struct vmm_symbols *t, uint64_t addr, uint64_t *off);
void vmm_symbols_free(struct vmm_symbols *t);

/* A page the TD owns, for teardown. */
enum vmm_page_kind { PG_PRIVATE, PG_SEPT, PG_TDVPX, PG_TDVPR, PG_TDCX, PG_TDR };

struct vmm_page {
	uint64_t hpa;
	uint64_t gpa; /* PG_PRIVATE and PG_SEPT: GPA | level (PG_PRIVATE: 0 = 4K, 1 = 2M) */
	uint8_t kind;
};

#define VMM_GPA_LEVEL_MASK 0x7ULL

/* 4K pages in a private leaf of @level (0 = 4K, 1 = 2M). */
static inline uint64_t vmm_leaf_pages(uint64_t level)
{
	return 1ULL << (9 * level);
}

/*
 * The no-progress watch (vcpu.c): the EPT violation this vCPU exited on last and how often
 * in a row it came back unchanged.
 */
struct vmm_repeat {
	uint64_t gpa, qual, eeq, rip, mem_gen;
	unsigned int count;
};

/* The last TD exit, for the report of where a stopped vCPU was. */
struct vmm_last_exit {
	uint64_t status; /* VP.ENTER's; 0: no exit yet */
	uint64_t qual, gpa;
	enum vmm_tdvmcall_kind tdvmcall;
};

/* The last #VE the module delivered to a vCPU, as its trace hook told it (vmm/paths.c). */
struct vmm_ve_seen {
	bool valid; /* not yet matched with a TDVMCALL */
	bool read;  /* TDG.VP.VEINFO.GET read it */
	uint32_t reason;
	uint64_t qual, gpa, handler, handler_19;
	uint8_t insn[15];
	unsigned int insn_bytes;
};

struct vmm_vcpu {
	struct vmm_td *td;
	unsigned int index;
	unsigned int lp;
	struct tdx_vp vp; /* the host's handle: TDVPR */
	struct tdvmcall_vcpu tv;
	struct vmm_vcpu_stats st;
	struct lp_work work;
	struct vmm_apic apic; /* posted interrupts, HLT (apic.c) */
	struct vmm_repeat repeat;
	struct vmm_last_exit last;
	struct vmm_ve_seen ve_seen; /* the last #VE delivered (vmm/paths.c) */
	_Atomic bool in_guest;
	_Atomic bool done;
	/* The embedder's view (tdxsim/tdxsim.h, api.c) */
	struct tdx_module_args args; /* the registers for the next TDH.VP.ENTER */
	struct tdxsim_exit exit;     /* the last exit handed to the embedder */
	bool exit_pending;	     /* ... not completed yet */
	bool stepping;		     /* in tdxsim_vcpu_run() (td->lock) */
	_Atomic bool mp_halted;	     /* MP state set HALTED: wait before the next entry */
	_Atomic bool mp_wake;	     /* MP state set RUNNABLE: end the halt in progress */
};

struct vmm_td {
	struct vmm_td_config cfg;
	struct tdx_td htd; /* the host's handle: TDR, trace hook */
	int hkid;
	unsigned int gpaw;
	uint64_t shared_bit;
	struct td_window *window;
	uint64_t scratch; /* host page for TD_PARAMS and PAGE.ADD sources */

	/* Pages the TD owns (pages_lock: vCPUs AUG concurrently). */
	pthread_mutex_t pages_lock;
	struct vmm_page *pages;
	size_t nr_pages, cap_pages;
	size_t reserved_pages;		     /* entries promised by vmm_page_get() */
	unsigned int image_pages, aug_pages; /* aug_pages in 4K pages (a 2M AUG adds 512) */
	unsigned int removed_pages;	     /* private pages MapGPA removed (to shared) */
	unsigned int tlb_kicks;		     /* vCPUs MapGPA kicked out of the guest */
	_Atomic uint64_t mem_gen;	     /* + 1 for each PAGE.AUG and MapGPA done */
	/* Shared pages the VMM mapped in the window's shared half (MapGPA); HPA 0: the
	 * embedder's (backing). */
	uint64_t *shared_gpa, *shared_hpa;
	size_t nr_shared, cap_shared;
	/* Shared memory the embedder supplies (tdxsim_td_set_shared_backing): for each range,
	 * the VMM's own MAP_SHARED mapping of it, which MapGPA maps page by page. */
	struct vmm_backing {
		uint64_t gpa, size; /* without the shared bit */
		uint8_t *hold;
	} * backing;
	unsigned int nr_backing;

	unsigned int nr_vcpus;
	struct vmm_vcpu vcpus[VMM_MAX_VCPUS];

	/* Devices and TDVMCALL state */
	struct vmm_bus bus;
	struct uart16550 *uart;
	struct pci_bus *pci;
	struct pci_testdev *testdev;
	struct poweroff_dev *poweroff;
	struct pit *pit;
	struct cmos_dev *cmos;
	struct msr_filter msr_filter;
	struct quote_signer *quoter;
	struct tdvmcall_td tvtd;

	/* The image, to name RIPs (symbols.c): file name, symbol table (NULL: none) */
	char image_name[64];
	uint64_t image_size; /* bytes from the image's address 0 to its last page's end */
	struct vmm_symbols *syms;
	uint64_t *holes; /* GPAs of the image's pages no segment loads (stack guard pages) */
	unsigned int nr_holes;

	/* Run state */
	pthread_mutex_t lock;
	pthread_cond_t wake;
	_Atomic bool stop;
	bool running;		/* in vmm_td_run() (lock) */
	unsigned int started;	/* vCPU threads at the start barrier (lock) */
	tdxsim_exit_fn exit_fn; /* vmm_td_run()'s exits for the embedder */
	void *exit_opaque;
	struct vmm_td_result result;
	uint64_t ve_before, ve_after;
	uint64_t build_ns, run_ns;
	pthread_mutex_t paths_lock; /* paths (vmm/paths.c) */
	struct vmm_paths paths;
	bool paths_on; /* the module's hooks count for this run */
	pthread_mutex_t trace_lock;
	char trace_buf[64 * 1024]; /* whole lines not yet written (vmm_trace) */
	size_t trace_len;
	int trace_errno; /* the first write error, 0 */
	uint64_t t0;
	/* For debuggers (vmm/debug.h): the image's absolute path and executable pages. */
	char *debug_path;
	uint64_t text_lo, text_hi;
};

uint64_t vmm_now_ns(void);

/*
 * api.c: tdxsim_boot() on a machine configuration made in code (tests, benchmarks: a preset
 * changed), @opts->machine ignored.
 */
int tdxsim_boot_config(const struct machine_config *mc, const struct tdxsim_boot *opts, char *err,
		       size_t errlen);

/* td.c: the configuration's checks (with the image when @img). 0 or -EINVAL and why. */
int vmm_config_check(const struct vmm_td_config *cfg, const struct vmm_image *img, char *err,
		     size_t errlen);
/* td.c: vmm_td_create's checks before any image: the module, the LPs, VMX on every LP. */
int vmm_td_precheck(const struct vmm_td_config *cfg, char *err, size_t errlen);
/*
 * td.c: vmm_td_create from an image already laid out (consumed: freed here); t0 the creation's
 * start. elf: an SDK guest's ELF at path (its holes, symbols and debugger notice); false for
 * a Linux image (vmm/linux_boot.c), named path in messages.
 */
int vmm_td_create_image(const struct vmm_td_config *cfg, const char *path, struct vmm_image *img,
			bool elf, uint64_t t0, struct vmm_td **out, char *err, size_t errlen);
/* build.c: the TD's SEAMCALLs from MNG.CREATE to MR.FINALIZE. 0 or -errno and why. */
int vmm_build(struct vmm_td *td, const struct vmm_image *img, char *err, size_t errlen);
/* td_devices.c: the TD's devices and the TDVMCALL handler's view of them. 0 or -errno. */
int vmm_devices_create(struct vmm_td *td);
void vmm_devices_destroy(struct vmm_td *td);
/* td_image.c: the image's name and symbols; its holes; a debugger told where it is. */
void vmm_image_load_symbols(struct vmm_td *td, const char *path);
int vmm_image_record_holes(struct vmm_td *td, const struct vmm_image *img, char *err,
			   size_t errlen);
void vmm_image_debug_loaded(struct vmm_td *td, const char *path, const struct vmm_image *img);

/*
 * An EPT violation at @gpa on a page of the image that no segment loads: VMM_STOP_NONE when
 * it is not one; else @what says what it is ("stack overflow: GPA 0x... is the guard page
 * below the boot stack" / "... the AP stack of vCPU N", from the image's symbols) and the
 * reason is VMM_STOP_STACK_OVERFLOW, or VMM_STOP_EPT_VIOLATION for another hole.
 */
enum vmm_stop_reason vmm_image_hole(const struct vmm_td *td, uint64_t gpa, const char *access,
				    char *what, size_t len);

/* pages.c: a zeroed host page, 0 when there is none. */
uint64_t vmm_zeroed_page(void);
/*
 * A page for the TD (vmm_page_get: a zeroed 4K page, or a 2M-aligned run for @level 1, with
 * its list entry reserved; 0 when there is none) and what became of it once the SEAMCALL
 * that gives it to the TD returned @status (vmm_page_put: tracked as @gpa, @kind when 0,
 * freed otherwise; returns 0 when tracked, -1 when not, also for @pa 0).
 */
uint64_t vmm_page_get(struct vmm_td *td, unsigned int level);
int vmm_page_put(struct vmm_td *td, uint64_t pa, unsigned int level, uint64_t status, uint64_t gpa,
		 enum vmm_page_kind kind);
/* Up to @n contiguous unzeroed pages for PAGE.ADD (*@got of them), each put on its own. */
uint64_t vmm_page_run_get(struct vmm_td *td, unsigned int n, unsigned int *got);
/* SEPT.ADD the tables so that a leaf of @leaf_level (0 = 4K, 1 = 2M) at gpa can be added. */
uint64_t vmm_sept_map(struct vmm_td *td, uint64_t gpa, unsigned int leaf_level);
/*
 * PAGE.AUG a fresh 4K page (@level 0) or 2M-aligned 2M range (@level 1) at private GPA @gpa
 * from a vCPU thread. 0, the failing status, or TDX_SW_ERROR when the host has no memory
 * for it (for 2M: no free 2M-aligned run).
 */
uint64_t vmm_aug_page(struct vmm_td *td, uint64_t gpa, unsigned int level);

/* A trace line for one SEAMCALL of the host for this TD: leaf, status, inputs. */
void vmm_trace_seamcall(struct vmm_td *td, uint64_t leaf, uint64_t status, uint64_t rcx,
			uint64_t rdx, uint64_t r8);
/* trace.c: the host's SEAMCALLs for this TD traced from now on, when it has a trace file. */
void vmm_trace_seamcalls(struct vmm_td *td);
/* Trace a JSON line (no-op without a trace file); written out in whole lines. */
void vmm_trace(struct vmm_td *td, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Write out the trace lines still buffered. */
void vmm_trace_flush(struct vmm_td *td);

/* paths.c (cfg.io_paths): the module's #VE and VEINFO.GET, the TDVMCALL exit, --trace's lines. */
struct tdx_trace_ve_where;
void vmm_paths_ve(struct vmm_vcpu *vc, uint32_t reason, uint64_t qual, uint64_t gpa,
		  const struct tdx_trace_ve_where *where);
void vmm_paths_veinfo_get(struct vmm_vcpu *vc);
void vmm_paths_tdvmcall(struct vmm_vcpu *vc, const struct tdx_module_args *a);
void vmm_paths_trace(struct vmm_td *td);
/* paths.c: an instruction in operand form, "mov r32,[m32]" ("?" when undecodable). */
void vmm_insn_form(const uint8_t *bytes, unsigned int n, char *buf, size_t len);

/* map_gpa.c: suppress-#VE set over the TD's RAM in its shared EPT, MMIO left for #VE. */
int vmm_shared_ept_init(struct vmm_td *td);
/*
 * map_gpa.c: where shared memory [g, g + len) (g without the shared bit) is in this process,
 * or NULL unless every page is mapped shared and the pages follow each other in this
 * process too. The native backend's window keeps them contiguous; the system backend's
 * host view of a page is the page's own place in physical memory, so a span of several
 * pages usually is not, and a caller that needs one must copy page by page (vmm_shared_rw).
 */
void *vmm_shared_span(struct vmm_td *td, uint64_t g, uint64_t len);
/* map_gpa.c: copy [g, g + len) of shared memory to or from buf page by page; 0 or -EFAULT. */
int vmm_shared_rw(struct vmm_td *td, uint64_t g, void *buf, uint64_t len, bool write);
/*
 * map_gpa.c: [gpa, gpa + size) of shared memory backed from now on by @hold (size bytes,
 * MAP_SHARED, the TD's from here: unmapped at teardown). 0, -EEXIST when it overlaps a
 * range backed before, -ENOMEM.
 */
int vmm_shared_backing_add(struct vmm_td *td, uint64_t gpa, uint64_t size, uint8_t *hold);
/* map_gpa.c: every shared page out of the window, the VMM's freed, the backing unmapped. */
void vmm_shared_release(struct vmm_td *td);
/* map_gpa.c: the tdvmcall_ops map_gpa callback (opaque = the struct vmm_vcpu). */
uint64_t vmm_map_gpa(void *opaque, uint64_t gpa, uint64_t size, uint64_t *resume_gpa);

/* vcpu.c */
int vmm_vcpus_init(struct vmm_td *td);
/* The guest RIP of a vCPU that is outside the TD (tdx_module_vp_rip). 0 or -errno. */
int vmm_vcpu_rip(const struct vmm_vcpu *vc, uint64_t *rip);
/* The same in words (vmm_rip_describe), "unknown" when it cannot be read. */
void vmm_vcpu_rip_words(struct vmm_vcpu *vc, char *buf, size_t len);
/*
 * Stop the TD from vCPU @vc's thread: the first stop is recorded whole (reason, status 1,
 * the formatted message, this vCPU, @code, @gpa), later ones only ask again.
 */
void vmm_vcpu_stopf(struct vmm_vcpu *vc, enum vmm_stop_reason reason, uint64_t code, uint64_t gpa,
		    const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/*
 * stop.c: what a stop message says. "0x7f0000100150 = hello.elf+0x150 <main+0x2e>" for a
 * guest RIP; an EPT violation's qualification as "read", "write", "fetch"; the last exit.
 */
void vmm_rip_describe(const struct vmm_td *td, uint64_t rip, char *buf, size_t len);
const char *vmm_ept_access(uint64_t qual);
/* A guest's ReportFatalError message made readable (exception, error code, CR2, RIP). */
void vmm_fatal_describe(const struct vmm_td *td, const char *guest_msg, char *buf, size_t len);
long vmm_vcpu_loop(void *arg);

#endif /* VMM_VMM_INTERNAL_H */
