/* SPDX-License-Identifier: MIT */
/*
 * tdxsim/vmm.h - the VMM library: build a TD from a guest ELF and run it (the KVM + QEMU
 * role). Needs a booted machine whose host has run tdx_enable() (host/tdx_host.h); talks to
 * the TDX module only by SEAMCALL, from the machine's LPs.
 *
 *   struct vmm_td_config cfg;
 *   vmm_td_config_default(&cfg);
 *   vmm_td_create(&cfg, "guest.elf", &td, err, sizeof(err));   // build, measure, finalize
 *   vmm_td_run(td);                                             // until the guest stops
 *   vmm_td_result(td)->exit_status;
 *   vmm_td_destroy(td);                                         // reclaim every page
 *
 * Guest memory (docs/VMM.md "Running a TD"): the image's PT_LOAD segments at GPA
 * VMM_IMAGE_GPA + p_vaddr, a reset-vector page at VMM_RESET_PAGE_GPA and the three
 * page-table pages below it (TDXSIM_RESET_PML4_GPA, tdxsim/boot.h), all added with PAGE.ADD
 * and measured with 16 x MR.EXTEND per page; the rest of [0, memory_size) is added
 * lazily (PAGE.AUG) when the guest touches it.
 */
#ifndef TDXSIM_VMM_H
#define TDXSIM_VMM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tdxsim/boot.h" /* boot options (TDXSIM_BOOT_OPT_*), COM1's vector, exit ports */

#define VMM_IMAGE_GPA	   0x100000ULL	 /* where the image (linked at 0) is loaded */
#define VMM_RESET_PAGE_GPA 0xFFFFF000ULL /* holds the reset vector 0xFFFFFFF0 */
#define VMM_MAX_VCPUS	   64
#define VMM_DEFAULT_MEMORY (64ULL << 20)
/*
 * Private memory is one range from GPA 0 and ends below the 32-bit MMIO hole: [3 GiB, 4 GiB)
 * holds the devices' BARs (PCI_TESTDEV_BAR0 at 0xFEB00000) and the reset page, as on a PC.
 */
#define VMM_MAX_MEMORY (3ULL << 30)

/* TD ATTRIBUTES bits [ABI §10]. */
#define VMM_ATTR_DEBUG		 (1ULL << 0)
#define VMM_ATTR_SEPT_VE_DISABLE (1ULL << 28)

/*
 * One TD_PARAMS.CPUID_CONFIG value: what the guest's CPUID(leaf, subleaf) returns in the bits
 * the module lets the host configure (its CPUID_CONFIG_LEAVES and CPUID_CONFIG_VALUES
 * metadata, `tdxsim host-init` prints them). subleaf = VMM_CPUID_NO_SUBLEAF for leaves without
 * subleaves. A leaf the module does not list fails vmm_td_create with -EINVAL; a bit it does
 * not let the host set fails TDH.MNG.INIT (TDX_OPERAND_INVALID | CPUID_CONFIG).
 */
#define VMM_CPUID_NO_SUBLEAF 0xFFFFFFFFU
#define VMM_MAX_CPUID_CONFIG 32
struct vmm_cpuid_config {
	uint32_t leaf, subleaf;
	uint32_t eax, ebx, ecx, edx;
};

/* Serial output (COM1), whole lines or flushes. NULL: the VMM writes it to stdout. */
typedef void (*vmm_serial_fn)(void *opaque, const char *buf, size_t len);

struct vmm_td_config {
	uint64_t memory_size;	/* private memory [0, memory_size); <= VMM_MAX_MEMORY */
	unsigned int nr_vcpus;	/* 1..VMM_MAX_VCPUS, at most the online LPs */
	unsigned int max_vcpus; /* TD_PARAMS.MAX_VCPUS, nr_vcpus..65535; 0 = nr_vcpus */
	uint64_t attributes;	/* VMM_ATTR_* */
	uint64_t xfam;		/* 0 = x87 | SSE */
	bool gpaw52;		/* CONFIG_FLAGS.GPAW: 52-bit GPAs (else 48) */
	/* CONFIG_FLAGS.NO_RBP_MOD clear: TDG.VP.VMCALL may expose RBP, as EDK2's TDVF did
	 * before 2024 (Debian bookworm's OVMF; docs/LINUX-BOOT.md "TDVF boot"). */
	bool rbp_mod;
	uint16_t tsc_frequency; /* 25 MHz units; 0 = 2.5 GHz */
	uint8_t mrconfigid[48], mrowner[48], mrownerconfig[48];
	struct vmm_cpuid_config cpuid[VMM_MAX_CPUID_CONFIG]; /* TD_PARAMS.CPUID_CONFIG */
	unsigned int nr_cpuid;
	uint64_t boot_opts; /* VMM_BOOT_OPT_*; the magic is added by the VMM */
	vmm_serial_fn serial;
	void *serial_opaque;
	/*
	 * COM1's receiver reads this process's stdin (a reader thread, ended at EOF and joined
	 * at vmm_td_destroy); false: the guest never receives anything.
	 */
	bool serial_stdin;
	/*
	 * Nothing outside the TD posts interrupts to it (no vmm_td_post_interrupt() from the
	 * embedder; `tdxsim run`): then a TD whose every vCPU is halted can never wake, and
	 * the VMM stops it (VMM_STOP_NO_PROGRESS) instead of waiting for ever.
	 */
	bool no_outside_interrupts;
	/*
	 * --trace: one JSON line per SEAMCALL of the build and per TD exit; NULL = off. The
	 * VMM writes it in whole lines with write(2) on its descriptor (no half line even when
	 * the process is killed), the last ones when vmm_td_run() returns and at
	 * vmm_td_destroy(); vmm_td_trace_error() tells a failed write.
	 */
	void *trace_file; /* a FILE * */
	/*
	 * Count the TD's port I/O and MMIO by path (vmm_td_paths, docs/VMM.md "Paths"): installs
	 * the module's trace hooks (tdxsim's, not Intel's ABI) while it runs; with another TD's
	 * trace or count on, nothing is counted.
	 */
	bool io_paths;
};

void vmm_td_config_default(struct vmm_td_config *cfg);

enum vmm_stop_reason {
	VMM_STOP_NONE = 0,	  /* still running / never ran */
	VMM_STOP_POWEROFF,	  /* the guest wrote its exit status (port 0xF4) or powered off */
	VMM_STOP_FATAL_ERROR,	  /* TDVMCALL ReportFatalError */
	VMM_STOP_TRIPLE_FAULT,	  /* TD exit TRIPLE_FAULT (the vCPU is non-recoverable) */
	VMM_STOP_NON_RECOVERABLE, /* a non-recoverable TD exit, or a TD_FATAL entry */
	VMM_STOP_EPT_VIOLATION,	  /* an access the VMM cannot back (outside memory_size) */
	VMM_STOP_VMM_ERROR,	  /* a SEAMCALL the VMM needed failed */
	VMM_STOP_NO_PROGRESS,	  /* the same TD exit came back VMM_NO_PROGRESS_LIMIT times */
	VMM_STOP_INTERRUPTED,	  /* the embedder stopped it (tdxsim: --timeout, a signal) */
	VMM_STOP_STACK_OVERFLOW,  /* an access to a guard page below a stack (tdxguest.ld) */
};

/*
 * A vCPU that exits VMM_NO_PROGRESS_LIMIT times in a row on the same EPT violation - same
 * GPA, qualification, extended qualification and guest RIP - while nothing was added to the
 * TD in between (its handler's PAGE.AUG found the page already there, no other PAGE.AUG or
 * MapGPA happened) can never get past it: a private page it never accepted, with
 * SEPT_VE_DISABLE so that no #VE tells it. The TD stops with VMM_STOP_NO_PROGRESS. A
 * legitimate retry ends in one or two (another vCPU's PAGE.AUG won the race, a 2M ACCEPT
 * falls back to 4K), so the limit is far above it; at ~10 us an exit it stops within ~10 ms
 * (docs/VMM.md "Stops").
 */
#define VMM_NO_PROGRESS_LIMIT 1000

struct vmm_td_result {
	enum vmm_stop_reason reason;
	int exit_status;   /* the guest's status; 1 for every failure without one */
	unsigned int vcpu; /* the vCPU that stopped the TD */
	uint64_t code;	   /* ReportFatalError's R12, or the VP.ENTER status */
	uint64_t gpa;	   /* EPT violation: the GPA */
	char message[320]; /* what happened, one line */
};

#define VMM_EXIT_REASONS 80 /* VMX basic exit reasons counted individually */

/* TDVMCALL sub-functions counted individually (others go to VMM_TDVMCALL_OTHER). */
enum vmm_tdvmcall_kind {
	VMM_TDVMCALL_CPUID,
	VMM_TDVMCALL_HLT,
	VMM_TDVMCALL_IO,
	VMM_TDVMCALL_RDMSR,
	VMM_TDVMCALL_WRMSR,
	VMM_TDVMCALL_MMIO,
	VMM_TDVMCALL_MAP_GPA,
	VMM_TDVMCALL_GET_QUOTE,
	VMM_TDVMCALL_REPORT_FATAL,
	VMM_TDVMCALL_OTHER,
	VMM_TDVMCALL_KINDS,
};

struct vmm_vcpu_stats {
	uint64_t entries;		  /* TDH.VP.ENTER calls */
	uint64_t exits[VMM_EXIT_REASONS]; /* by VMX exit reason (RAX bits 15:0) */
	uint64_t exits_other;		  /* reasons >= VMM_EXIT_REASONS */
	uint64_t tdvmcalls[VMM_TDVMCALL_KINDS];
	uint64_t aug_pages;   /* PAGE.AUG done for this vCPU's EPT violations */
	uint64_t aug_2m;      /* of those, 2M (an ACCEPT's requested level, vcpu.c) */
	uint64_t ns_in_guest; /* wall time inside TDH.VP.ENTER */
	uint64_t ns_in_vmm;   /* wall time handling exits */
	uint64_t lp;	      /* the LP it ran on */
	uint64_t halts;	      /* Instruction.HLTs that blocked the vCPU until an interrupt */
	uint64_t ns_halted;   /* wall time blocked in them */
	uint64_t ipis;	      /* IPIs it sent (x2APIC ICR writes), one per destination */
	uint64_t interrupts;  /* interrupts posted to it: IPIs, notifications, the embedder's */
};

struct vmm_td_stats {
	uint64_t ve_deliveries; /* exceptions the machine delivered into guests while the TD ran
				 * (#VE mostly; machine-wide counter, exact with one TD) */
	uint64_t build_ns;	/* vmm_td_create: TD build, measurement, finalize */
	uint64_t run_ns;	/* vmm_td_run */
	unsigned int image_pages, private_pages, shared_pages;
	unsigned int removed_pages; /* private pages MapGPA took away (to shared) */
	unsigned int tlb_kicks;	    /* vCPUs MapGPA kicked out of the guest so that the TLB
				     * epoch of its blocked pages could drain */
};

struct vmm_td;

/*
 * Build a TD from the guest ELF at @path: everything up to TDH.MR.FINALIZE. 0, or -errno
 * with a message in @err.
 */
int vmm_td_create(const struct vmm_td_config *cfg, const char *path, struct vmm_td **out, char *err,
		  size_t errlen);
/*
 * Run every vCPU (one thread each, on distinct LPs) until the TD stops; each vCPU enters at
 * least once. A TD that has stopped stays stopped: nothing is entered and 0 is returned
 * (tdxsim_td_resume, tdxsim/tdxsim.h, continues one). 0, -EBUSY while tdxsim_vcpu_run()
 * runs one of its vCPUs, or -errno.
 */
int vmm_td_run(struct vmm_td *td);
/*
 * Ask a running TD to stop (from any thread): vCPUs in guest code are kicked out, halted
 * ones woken; vmm_td_run then returns.
 */
void vmm_td_stop(struct vmm_td *td, enum vmm_stop_reason reason, int exit_status,
		 const char *message);
const struct vmm_td_result *vmm_td_result(const struct vmm_td *td);
/* The errno of the first failed write of the trace (it stops there), or 0. */
int vmm_td_trace_error(const struct vmm_td *td);
/*
 * Where vCPU @vcpu is, for a person, once vmm_td_run() returned: "RIP 0x7f0000100150 =
 * hello.elf+0x150 <main+0x2e>, last exit EPT_VIOLATION (GPA 0x2800000, read)". The RIP is
 * the host address the guest code runs at (tdxsim's view; a real VMM sees it only for a
 * DEBUG TD). 0, or -EINVAL for no such vCPU.
 */
int vmm_td_vcpu_where(const struct vmm_td *td, unsigned int vcpu, char *buf, size_t len);
/*
 * Inject external interrupt @vector into vCPU @vcpu (as a device or KVM_INTERRUPT would),
 * from any thread, before or while the TD runs: posted to the vCPU's posted-interrupt
 * descriptor; a halted vCPU wakes, a running one is kicked; the module delivers it when the
 * guest's interrupt flag allows. 0, or -EINVAL for a vector outside 16..255 or no such vCPU.
 */
int vmm_td_post_interrupt(struct vmm_td *td, unsigned int vcpu, unsigned int vector);
/*
 * Tear down in the architectural order, reclaim and free every page. Returns the errno of the
 * first failed write of the trace (vmm_td_trace_error(), the teardown's last lines included),
 * or 0.
 */
int vmm_td_destroy(struct vmm_td *td);

/* MRTD as the module computed it (TDH.MNG.RD). 0 or -errno. */
int vmm_td_mrtd(struct vmm_td *td, uint8_t mrtd[48]);
/*
 * Host address of the guest image's first byte (the ELF's address 0): guest code runs there
 * natively, so a debugger loads the ELF's symbols with this offset.
 */
uintptr_t vmm_td_image_base(struct vmm_td *td);
unsigned int vmm_td_nr_vcpus(const struct vmm_td *td);
int vmm_td_vcpu_stats(const struct vmm_td *td, unsigned int vcpu, struct vmm_vcpu_stats *st);
void vmm_td_stats(const struct vmm_td *td, struct vmm_td_stats *st);

/*
 * The paths of the TD's port I/O and MMIO (cfg.io_paths). Each TDVMCALL<Instruction.IO> and
 * <#VE.RequestMMIO> is "#VE'd" when the last #VE the module delivered to that vCPU was for
 * the same access (an I/O instruction with the same port, size and direction; an EPT
 * violation at the same GPA) and the guest read its VE info with TDG.VP.VEINFO.GET before
 * the call; else it is a direct TDVMCALL. A #VE'd access is counted with the #VE handler the
 * guest had when it was delivered: the targets of its IDT's gates for vectors 20 and 19
 * (Linux: its early stubs, then exc_virtualization_exception's; docs/LINUX-BOOT.md),
 * and an MMIO one with the instruction at the #VE's RIP in operand form ("mov r32,[m32]").
 */
#define VMM_MAX_IO_PATHS  256 /* (port, size, direction, path) rows; more go to io_other */
#define VMM_MAX_MMIO_INSN 64  /* (instruction, size, direction, path) rows; more: mmio_other */
struct vmm_io_path {
	uint16_t port;
	uint8_t size;
	bool write;
	bool ve;	     /* #VE'd; false: a direct TDVMCALL */
	uint64_t handler;    /* #VE'd: the guest's vector-20 handler (0: its IDT was unreadable) */
	uint64_t handler_19; /* ... and its vector-19 one, which tells Linux's early IDT */
	uint64_t count;
};
struct vmm_mmio_path {
	char insn[32]; /* #VE'd: the instruction in operand form ("?" undecodable); else "" */
	uint8_t size;
	bool write;
	bool ve;
	uint64_t handler, handler_19;
	uint64_t count;
};
struct vmm_paths {
	struct vmm_io_path io[VMM_MAX_IO_PATHS]; /* in order of first occurrence */
	unsigned int nr_io;
	uint64_t io_other;
	struct vmm_mmio_path mmio[VMM_MAX_MMIO_INSN];
	unsigned int nr_mmio;
	uint64_t mmio_other;
	uint64_t ves[VMM_EXIT_REASONS]; /* #VEs the module delivered, by exit reason */
	uint64_t ves_other;
};
/* A copy of the counts so far (all 0 without cfg.io_paths). */
void vmm_td_paths(const struct vmm_td *td, struct vmm_paths *out);

/*
 * What vmm_td_create() would refuse of the image at @path and @cfg that needs no machine: the
 * file and its ELF (docs/VMM.md "The guest image"), and the configuration. 0, or -errno with
 * a message in @err.
 */
int vmm_td_check(const struct vmm_td_config *cfg, const char *path, char *err, size_t errlen);
/*
 * MRTD of an image and configuration without a machine: the same pages hashed as PAGE.ADD
 * and MR.EXTEND do [ABI §9]. 0, or -errno with a message.
 */
int vmm_td_measure(const struct vmm_td_config *cfg, const char *path, uint8_t mrtd[48], char *err,
		   size_t errlen);

/* Names for reports: "TDCALL", "EPT_VIOLATION", ... (NULL when unnamed). */
const char *vmm_exit_reason_name(unsigned int reason);
const char *vmm_tdvmcall_kind_name(enum vmm_tdvmcall_kind k);
const char *vmm_stop_reason_name(enum vmm_stop_reason r);

#endif /* TDXSIM_VMM_H */
