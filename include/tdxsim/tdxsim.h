/* SPDX-License-Identifier: MIT */
/*
 * tdxsim/tdxsim.h - libtdxsim, the embedder API (docs/API.md): boot a machine with TDX
 * brought up in one call, create TDs from full TD_PARAMS (tdxsim/vmm.h's struct
 * vmm_td_config), and run their vCPUs in a loop shaped like KVM's KVM_RUN: each call returns
 * on the next exit the embedder asked to see, described in the vCPU's struct tdxsim_exit,
 * which the embedder answers in place before it runs the vCPU again. Exits it did not ask
 * for get the VMM's own handling (docs/VMM.md), the behaviour of `tdxsim run`.
 *
 *   tdxsim_boot(&(struct tdxsim_boot){.machine = "laptop"}, err, sizeof(err));
 *   vmm_td_create(&cfg, "guest.elf", &td, err, sizeof(err));
 *   tdxsim_td_set_exits(td, TDXSIM_EXIT_BIT(TDXSIM_EXIT_IO));
 *   struct tdxsim_exit *ex = tdxsim_vcpu_exit(td, 0);
 *   while (!tdxsim_vcpu_run(td, 0) && ex->reason != TDXSIM_EXIT_STOPPED)
 *           if (ex->reason == TDXSIM_EXIT_IO && !ex->io.write) ex->io.data = 0x42;
 *   vmm_td_destroy(td);
 *   tdxsim_shutdown();
 *
 * Errors are negative errnos, with a message where a char *err is taken; SEAMCALL statuses
 * are returned as the TDX module returns them.
 */
#ifndef TDXSIM_TDXSIM_H
#define TDXSIM_TDXSIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tdx/args.h"	 /* struct tdx_module_args: SEAMCALL and TDVMCALL registers */
#include "tdx/structs.h" /* struct tdmr_info */
#include "tdxsim/vmm.h"	 /* struct vmm_td, vmm_td_create(), results, statistics */

/* ------------------------------------------------------------------------------------------
 * The machine
 */

/* What runs guest code. */
enum tdxsim_cpu {
	TDXSIM_CPU_NATIVE = 0, /* natively, at CPL3, traps completed by the machine */
	TDXSIM_CPU_SYSTEM = 1, /* at CPL0 under QEMU and the SEAM shim (docs/SYSTEM.md) */
};

/* How the host's SEAMCALLs reach the module. */
enum tdxsim_seamcall_path {
	TDXSIM_SEAMCALL_GATE = 0, /* the machine's gate (a call) */
	TDXSIM_SEAMCALL_INSN = 1, /* the trapping SEAMCALL opcode */
};

/* A line of the host's TDX log ("tdx: ..."), without its newline. */
typedef void (*tdxsim_log_fn)(const char *line, void *opaque);

struct tdxsim_boot {
	/* A preset ("laptop", tdxsim_machine_presets()), else a machine configuration file
	 * (docs/MACHINE.md). NULL: "laptop". */
	const char *machine;
	unsigned int online_lps; /* LPs online after boot; 0: the machine's own setting */
	enum tdxsim_seamcall_path seamcall;
	enum tdxsim_cpu cpu; /* $TDXSIM_CPU (native, system) overrides it, as for every run */
	const char *inject;  /* the module's fault-injection rules (docs/MACHINE.md), NULL: none */
	const char *module_version; /* the module's rules: "latest" (NULL) or "1.5.01" */
	bool no_tdx_enable;	    /* stop after tdx_init(): the module loaded, not configured */
	tdxsim_log_fn log;	    /* the bring-up log; NULL: stderr */
	void *log_opaque;
};

/*
 * Boot the machine, load the TDX module and bring TDX up as Linux does (tdx_init,
 * tdx_enable). One machine per process: -EBUSY when one is up. -ENOENT for a machine that
 * is neither a preset nor a readable file, -EINVAL for a bad configuration, online_lps
 * above the machine's LPs, an unknown module version or inject rules that do not parse, or
 * the errno of the step that failed (TDXSIM_CPU_SYSTEM: -ENOENT without QEMU); the
 * message in @err says which ("machine NAME: ...", "inject: ...", "tdx_init failed: ...",
 * "TDX bring-up failed: tdx_enable: ..."). Whatever failed, nothing stays up.
 */
int tdxsim_boot(const struct tdxsim_boot *opts, char *err, size_t errlen);
/* TDX, the module and the machine taken down (destroy the TDs first). No-op when not up. */
void tdxsim_shutdown(void);
bool tdxsim_booted(void);
/* The CPU backend of the machine that is up (the boot option or $TDXSIM_CPU); NATIVE without. */
enum tdxsim_cpu tdxsim_cpu_backend(void);
/*
 * The machine's handlers of SIGSEGV, SIGILL, SIGFPE and SIGBUS (its traps) installed again:
 * for harnesses that replace them, as cmocka does around every test, before a TD runs.
 */
void tdxsim_claim_signals(void);
/* The boot option seamcall changed for every later SEAMCALL of the host (TD builds, runs). */
void tdxsim_set_seamcall_path(enum tdxsim_seamcall_path path);
enum tdxsim_seamcall_path tdxsim_seamcall_path(void);
/*
 * The machine's counters since boot: traps taken (signals), gate calls, guest stops reported
 * to the module, exceptions delivered into guests (#VE mostly), asynchronous stops (timer,
 * kicks, IPIs). All zero without a machine.
 */
struct tdxsim_machine_stats {
	uint64_t traps, gate_calls, exits, deliveries, async_exits;
};
void tdxsim_machine_stats(struct tdxsim_machine_stats *st);
/* The preset names, NULL-terminated. */
const char *const *tdxsim_machine_presets(void);
unsigned int tdxsim_nr_lps(void);
unsigned int tdxsim_nr_online_lps(void);

/* A machine as tdxsim_boot() would boot it (no machine needed). */
#define TDXSIM_MAX_RAM_RANGES 64
struct tdxsim_machine_desc {
	char name[64];
	unsigned int packages, cores_per_package, threads_per_core;
	uint64_t ram_bytes;
	unsigned int nr_ram;
	struct {
		uint64_t base, size;
		unsigned int node;
	} ram[TDXSIM_MAX_RAM_RANGES];
};
/* 0, or tdxsim_boot()'s errno and message for @machine (NULL: "laptop"). */
int tdxsim_machine_describe(const char *machine, struct tdxsim_machine_desc *desc, char *err,
			    size_t errlen);

/* ------------------------------------------------------------------------------------------
 * For host developers: the module's TD capabilities and a raw SEAMCALL
 */

/*
 * What TDH.SYS.RD reported at tdx_enable() about TD_PARAMS (KVM_TDX_CAPABILITIES): the
 * ATTRIBUTES and XFAM bits that must be 0 (where fixed0 is 0) and 1 (fixed1), MAX_VCPUS,
 * and per CPUID_CONFIG leaf/subleaf (subleaf VMM_CPUID_NO_SUBLEAF for leaves without) the
 * bits the host may configure in struct vmm_td_config.cpuid (all-ones where it may).
 */
struct tdxsim_tdx_caps {
	uint64_t attributes_fixed0, attributes_fixed1;
	uint64_t xfam_fixed0, xfam_fixed1;
	unsigned int max_vcpus_per_td;
	unsigned int nr_cpuid_config;
	struct vmm_cpuid_config cpuid_config[VMM_MAX_CPUID_CONFIG];
};
/* 0, or -ENODEV without a machine whose TDX is enabled. */
int tdxsim_tdx_caps(struct tdxsim_tdx_caps *caps);

/*
 * The host's side after a boot with no_tdx_enable: tdx_enable() (0, -EALREADY when done, or
 * its errno), the TDMR/PAMT layout printed through the log, the CMRs the module reported,
 * the TDMRs with their reserved areas and PAMTs (NULL past the last; *pamt_node the NUMA
 * node of its PAMT), the PAMTs' total size, the bytes of the machine's RAM touched so far,
 * and sizes as the layout prints them ("64 MiB", "1.5 GiB").
 */
int tdxsim_tdx_enable(void);
void tdxsim_tdx_print_layout(void);
unsigned int tdxsim_nr_cmrs(void);
int tdxsim_cmr(unsigned int i, uint64_t *base, uint64_t *size);
const struct tdmr_info *tdxsim_tdmr(unsigned int i, int *pamt_node);
uint64_t tdxsim_pamt_bytes(void);
uint64_t tdxsim_resident_bytes(void);
void tdxsim_fmt_size(char *buf, size_t len, uint64_t bytes);

/*
 * One SEAMCALL of leaf @fn (RAX; version bits included) with @args on LP @lp, put in VMX
 * operation first if it was not. The status (RAX) goes to *status exactly as the module or
 * the machine returned it (the host's SEAMCALL stub: TDX_SW_ERROR | trap number for #UD or
 * #GP, TDX_SEAMCALL_VMFAILINVALID without a module); @args holds the output registers.
 * Nothing is retried. 0; -ENODEV without a machine or for an offline LP, -EINVAL for an LP
 * that does not exist.
 */
int tdxsim_seamcall(unsigned int lp, uint64_t fn, struct tdx_module_args *args, uint64_t *status);

/*
 * Quotes (docs/VMM.md "Quotes"): the root certificate of the local PKI that signs every
 * GetQuote's quote and the collateral a DCAP verifier needs, written into @dir (created if
 * missing): root_ca.pem/.der, the CRLs, TCB info, QE identity, their issuer chains,
 * pck_chain.pem, collateral.json. The PKI follows from the seed in the environment variable
 * TDXSIM_ATTEST_SEED_ENV (unset: a fixed default). 0 or -errno. Needs no machine.
 */
#define TDXSIM_ATTEST_SEED_ENV "TDXSIM_ATTEST_SEED"
int tdxsim_attest_export(const char *dir);

/* The TD quote body [ABI §12.1]: the TDREPORT's fields, named as Intel names them. */
struct tdxsim_quote_body {
	uint8_t tee_tcb_svn[16];
	uint8_t mrseam[48];
	uint8_t mrsignerseam[48];
	uint8_t seamattributes[8];
	uint8_t tdattributes[8];
	uint8_t xfam[8];
	uint8_t mrtd[48];
	uint8_t mrconfigid[48];
	uint8_t mrowner[48];
	uint8_t mrownerconfig[48];
	uint8_t rtmr[4][48];
	uint8_t reportdata[64];
};

/* The part of a quote tdxsim_quote_verify() refused (docs/API.md "Quotes"). */
enum tdxsim_quote_part {
	TDXSIM_QUOTE_OK = 0,
	TDXSIM_QUOTE_LENGTH,		  /* -EINVAL: none, or its length or a length in it */
	TDXSIM_QUOTE_HEADER,		  /* -EINVAL: version, key type, TEE type, vendor */
	TDXSIM_QUOTE_CERT_TYPE,		  /* -EINVAL: a certification data type */
	TDXSIM_QUOTE_ATTESTATION_KEY,	  /* -EINVAL: not a P-256 point */
	TDXSIM_QUOTE_ROOT,		  /* -EINVAL: root_der is not a certificate */
	TDXSIM_QUOTE_PCK_CHAIN,		  /* -EINVAL: not exactly three PEM certificates */
	TDXSIM_QUOTE_SIGNATURE,		  /* -EBADMSG: of header and body */
	TDXSIM_QUOTE_QE_REPORT_DATA,	  /* -EBADMSG: does not bind key and auth data */
	TDXSIM_QUOTE_QE_REPORT_SIGNATURE, /* -EBADMSG: the PCK key's */
	TDXSIM_QUOTE_UNTRUSTED,		  /* -EKEYREJECTED: the chain, not to the root */
};

/* A quote's parts, as tdxsim_quote_verify() read them. */
struct tdxsim_quote {
	enum tdxsim_quote_part bad; /* what was refused; TDXSIM_QUOTE_OK */
	uint16_t version;	    /* 4 */
	uint16_t att_key_type;	    /* 2: ECDSA-256 with P-256 */
	uint32_t tee_type;	    /* 0x81: TDX */
	uint8_t qe_vendor_id[16];
	uint8_t user_data[20];
	struct tdxsim_quote_body body;
	uint8_t signature[64];		 /* r || s of header and body, by the attestation key */
	uint8_t attestation_key[64];	 /* X || Y */
	uint8_t qe_report[384];		 /* the quoting enclave's SGX REPORT body */
	uint8_t qe_report_signature[64]; /* r || s, by the PCK key */
	uint8_t qe_auth_data[32];
	const char *pck_chain; /* in the quote: PEM of the PCK certificate, its CA, the root */
	size_t pck_chain_len;
};

/*
 * Verify a DCAP quote (version 4, TDX) of @len bytes as tdxsim makes them (GetQuote): its
 * structure; the attestation key's signature of header and body; the QE report's data
 * binding that key and the QE authentication data; the PCK key's signature of the QE
 * report; the PCK chain to the trusted root @root_der (DER, @root_len bytes; NULL: tdxsim's
 * own root, tdxsim_attest_export's root_ca.der), whose copy in the quote must be that root.
 * 0 with every part in *@out (may be NULL); else the errno of the first part refused
 * (enum tdxsim_quote_part), out->bad, and a message naming it in @err. Needs no machine.
 */
int tdxsim_quote_verify(const void *quote, size_t len, const void *root_der, size_t root_len,
			struct tdxsim_quote *out, char *err, size_t errlen);

/* ------------------------------------------------------------------------------------------
 * Exits
 */

enum tdxsim_exit_reason {
	TDXSIM_EXIT_NONE = 0,
	TDXSIM_EXIT_IO,			 /* TDVMCALL<Instruction.IO> */
	TDXSIM_EXIT_MMIO,		 /* TDVMCALL<#VE.RequestMMIO> */
	TDXSIM_EXIT_RDMSR,		 /* TDVMCALL<Instruction.RDMSR> the filter allows */
	TDXSIM_EXIT_WRMSR,		 /* TDVMCALL<Instruction.WRMSR> the filter allows */
	TDXSIM_EXIT_CPUID,		 /* TDVMCALL<Instruction.CPUID> */
	TDXSIM_EXIT_HLT,		 /* TDVMCALL<Instruction.HLT> */
	TDXSIM_EXIT_MAP_GPA,		 /* TDVMCALL<MapGPA> */
	TDXSIM_EXIT_GET_QUOTE,		 /* TDVMCALL<GetQuote> */
	TDXSIM_EXIT_FATAL_ERROR,	 /* TDVMCALL<ReportFatalError> */
	TDXSIM_EXIT_SETUP_EVENT_NOTIFY,	 /* TDVMCALL<SetupEventNotifyInterrupt> */
	TDXSIM_EXIT_GET_TD_VM_CALL_INFO, /* TDVMCALL<GetTdVmCallInfo> */
	TDXSIM_EXIT_TDVMCALL_OTHER,	 /* an unknown sub-function, or R10 != 0 (vendor) */
	TDXSIM_EXIT_STOPPED,		 /* the TD stopped: vmm_td_result(); always reported */
	/* TD exits that are no TDVMCALL (TDH.VP.ENTER's exit reason, docs/API.md) */
	TDXSIM_EXIT_EPT_VIOLATION,	/* 48: a GPA with nothing the guest may use behind it */
	TDXSIM_EXIT_EXTERNAL_INTERRUPT, /* 1: the LP was interrupted (a kick, a posted IRQ) */
	TDXSIM_EXIT_TRIPLE_FAULT,	/* 2, non-recoverable: the vCPU is disabled */
	TDXSIM_EXIT_NON_RECOVERABLE,	/* another non-recoverable exit (a machine check) */
	TDXSIM_EXIT_REASONS,
};
#define TDXSIM_EXIT_BIT(r) (1U << (r))
/* Every TDVMCALL exit (stepping call by call). */
#define TDXSIM_EXITS_ALL (TDXSIM_EXIT_BIT(TDXSIM_EXIT_STOPPED) - 2U)
/* Every TD exit below the TDVMCALL level. */
#define TDXSIM_EXITS_TD                                                                            \
	(TDXSIM_EXIT_BIT(TDXSIM_EXIT_REASONS) - TDXSIM_EXIT_BIT(TDXSIM_EXIT_EPT_VIOLATION))

/*
 * One exit of one vCPU, as struct kvm_run is for KVM_RUN. tdxsim_vcpu_run() fills it; the
 * embedder writes its answer into it (the fields marked "answer") and runs the vCPU again,
 * which completes the guest's TDVMCALL with it. Malformed calls (a size the GHCI does not
 * allow, a private MMIO GPA, ...) never become exits: the VMM answers them as docs/VMM.md
 * says.
 */
struct tdxsim_exit {
	uint32_t reason; /* TDXSIM_EXIT_* */
	uint32_t vcpu;
	uint64_t vp_enter_status;    /* TDH.VP.ENTER's RAX (exit reason 77 for a TDVMCALL) */
	struct tdx_module_args regs; /* its registers; RCX the guest's mask, unexposed ones 0 */

	/* answer: R10 for the guest (TDVMCALL_STATUS_*), preset to SUCCESS (0), for
	 * TDVMCALL_OTHER to SUBFUNC_UNSUPPORTED */
	uint64_t ghci_status;
	/* answer: true = let the VMM handle this exit as if it had not been asked for (the
	 * other answer fields are then ignored) */
	bool use_default;

	union {
		struct { /* answer: data of a read, zero-extended (preset to all-ones) */
			uint16_t port;
			uint8_t size; /* 1, 2, 4 */
			bool write;
			uint32_t data;
		} io;
		struct {	      /* answer: data of a read (preset to all-ones) */
			uint64_t gpa; /* without the shared bit */
			uint8_t size; /* 1, 2, 4, 8 */
			bool write;
			uint64_t data;
		} mmio;
		struct { /* answer: data of RDMSR (preset to the vCPU's stored value, else 0) */
			uint32_t index;
			uint64_t data;
		} msr;
		struct { /* answer: the four registers (preset to the VMM's answer) */
			uint32_t leaf, subleaf;
			uint32_t eax, ebx, ecx, edx;
		} cpuid;
		struct { /* answer: nothing; the TDVMCALL returns at once (set the MP state
			  * HALTED to have the VMM wait for an interrupt) */
			bool irq_blocked; /* R12 */
		} hlt;
		struct { /* answer: with a status of RETRY, resume_gpa (R11). Only use_default
			  * converts pages: the VMM owns the Secure EPT */
			uint64_t gpa; /* with the shared bit as the guest gave it */
			uint64_t size;
			bool to_shared;
			uint64_t resume_gpa;
		} map_gpa;
		struct
		{ /* answer: write the buffer yourself (tdxsim_td_write_gpa), or use_default */
			uint64_t gpa; /* shared, with the shared bit */
			uint64_t size;
		} get_quote;
		struct { /* answer: nothing; resuming returns from the TDVMCALL */
			uint64_t sub_function; /* R11: TDVMCALL_REPORT_FATAL_ERROR */
			uint64_t error_code;   /* R12 */
			bool gpa_valid;	       /* R12 bit 63 */
			uint64_t gpa;	       /* R13 when gpa_valid, else 0 */
			uint32_t ndata;	       /* message registers the guest exposed */
			uint64_t data[8]; /* them, in GHCI order: R14 R15 RBX RDI RSI R8 R9 RDX */
			char message[65]; /* data as a NUL-terminated string */
		} fatal;
		struct { /* answer: nothing; the VMM remembers the vector only with use_default */
			uint8_t vector;
		} notify;
		struct {	       /* answer: R11..R14 (preset to the VMM's answer) */
			uint64_t leaf; /* R12 */
			uint64_t r11, r12, r13, r14;
		} info;
		struct { /* answer: edit regs; it goes back as it is, R10 = ghci_status */
			uint64_t r10, r11;
		} other;
		struct {
			enum vmm_stop_reason reason; /* vmm_td_result() has the rest */
		} stopped;
		/*
		 * The TD exits below the TDVMCALL level: answer nothing, or use_default.
		 * Without use_default the vCPU enters again as it was (an EPT violation: the
		 * guest repeats the access); use_default is the VMM's handling (docs/API.md).
		 * A TRIPLE_FAULT or NON_RECOVERABLE exit stops the TD whatever the answer.
		 */
		struct {		   /* EPT_VIOLATION */
			uint64_t gpa;	   /* R8, with the shared bit */
			uint64_t qual;	   /* RCX: the exit qualification (bit 0 read, 1 write,
					    * 2 fetch, 5:3 the entry's R/W/X, 7 the linear
					    * address valid, 8 the translated address) */
			uint64_t ext_qual; /* RDX: the extended exit qualification (bits 3:0
					    * the type, 1 TDG.MEM.PAGE.ACCEPT, whose level
					    * asked for is in bits 34:32; tdx/vmx.h) */
			bool shared;	   /* the GPA has the TD's shared bit */
		} ept;
		struct {		    /* TRIPLE_FAULT, NON_RECOVERABLE */
			uint64_t gpa;	    /* R8 */
			uint64_t intr_info; /* R9: interruption information (a machine check) */
		} fatal_exit;
	};
};

/*
 * The exits (TDXSIM_EXIT_BIT()s) the embedder wants to see from every vCPU of @td; the
 * others the VMM handles. TDXSIM_EXIT_STOPPED is always reported. Takes effect at the next
 * exit. 0, or -EINVAL for a bit that names no exit.
 */
int tdxsim_td_set_exits(struct vmm_td *td, uint32_t mask);
/* The exit struct of vCPU @vcpu (valid until vmm_td_destroy), NULL for no such vCPU. */
struct tdxsim_exit *tdxsim_vcpu_exit(struct vmm_td *td, unsigned int vcpu);

/*
 * Complete the vCPU's last exit with the answer in its struct tdxsim_exit, then run it
 * until the next exit the embedder asked for, or until the TD stops (TDXSIM_EXIT_STOPPED,
 * also returned by every later call). Runs on the vCPU's LP; the calling thread waits, as a
 * thread in KVM_RUN does. Each vCPU needs its own calling thread; every vCPU of an SMP
 * guest must be run (the APs start in the guest's own code). 0 with the exit in
 * tdxsim_vcpu_exit(); -EINVAL for no such vCPU, -EBUSY while vmm_td_run() runs the TD or
 * another thread runs this vCPU.
 */
int tdxsim_vcpu_run(struct vmm_td *td, unsigned int vcpu);

/*
 * vmm_td_run() with exits: @fn is called on the vCPU's own thread for each exit the
 * embedder asked for (tdxsim_td_set_exits), answers it in place and returns; the vCPU then
 * goes on. NULL: none (the asked-for exits get the default handling).
 */
typedef void (*tdxsim_exit_fn)(void *opaque, struct vmm_td *td, struct tdxsim_exit *exit);
void tdxsim_td_set_exit_handler(struct vmm_td *td, tdxsim_exit_fn fn, void *opaque);

/*
 * Continue a TD that stopped with VMM_STOP_FATAL_ERROR (ReportFatalError handled by
 * default) or VMM_STOP_INTERRUPTED (vmm_td_stop): the result is cleared and the next
 * vmm_td_run() or tdxsim_vcpu_run() enters every vCPU where it left off; the vCPU that
 * reported the fatal error returns from its TDVMCALL with R10 = SUCCESS. 0; -EINVAL for a
 * TD that has not stopped or stopped for another reason (a triple fault, a power-off, ...:
 * it cannot go on), -EBUSY while a run is in progress. Without it, vmm_td_run() on a
 * stopped TD enters nothing and returns 0, and tdxsim_vcpu_run() reports STOPPED again.
 */
int tdxsim_td_resume(struct vmm_td *td);

/* ------------------------------------------------------------------------------------------
 * vCPU state
 */

/* A vCPU's MP state (KVM_MP_STATE_RUNNABLE / _HALTED). */
enum tdxsim_mp_state {
	TDXSIM_MP_RUNNABLE = 0,
	TDXSIM_MP_HALTED = 3, /* KVM's value */
};
/*
 * HALTED: blocked in TDVMCALL<Instruction.HLT> now, or set so. Setting HALTED on a vCPU
 * makes its next run wait, before entering, until an interrupt is posted to it
 * (vmm_td_post_interrupt) or the TD stops; setting RUNNABLE ends such a wait, or a halt in
 * progress, without an interrupt. 0, or -EINVAL for no such vCPU or state.
 */
int tdxsim_vcpu_get_mp_state(struct vmm_td *td, unsigned int vcpu, enum tdxsim_mp_state *state);
int tdxsim_vcpu_set_mp_state(struct vmm_td *td, unsigned int vcpu, enum tdxsim_mp_state state);

/*
 * The MSRs the VMM answers TDVMCALL<RDMSR/WRMSR> with (those the module leaves to it,
 * docs/TD-CPU.md): the value of MSR @msr of vCPU @vcpu, read or preset (a set adds the MSR
 * when it is new, so the guest may then read and write it). The x2APIC ICR (0x830) holds
 * the last ICR the guest wrote successfully, BUSY (bit 12) clear. Call them while the vCPU
 * is not running (before a run, at an exit). 0; -EINVAL for no such vCPU, -ENOENT (get)
 * for an MSR the vCPU does not have, -ENOSPC (set) when its 64 MSRs are taken.
 */
int tdxsim_vcpu_get_msr(struct vmm_td *td, unsigned int vcpu, uint32_t msr, uint64_t *value);
int tdxsim_vcpu_set_msr(struct vmm_td *td, unsigned int vcpu, uint32_t msr, uint64_t value);

/*
 * The MSR filter (KVM_X86_SET_MSR_FILTER's model): a default action and up to 64 rules over
 * MSR ranges, the first matching rule deciding; it applies to every TDVMCALL<RDMSR> and
 * <WRMSR> alike, the x2APIC range 0x800-0x8FF included. A denied access gives the guest
 * INVALID_OPERAND (#GP), without an exit. reset: -EINVAL for an action that is not one;
 * add: -EINVAL for count 0, a range that wraps, flags not in READ|WRITE or none, -ENOSPC
 * with 64 rules.
 */
#define TDXSIM_MSR_FILTER_READ	0x1
#define TDXSIM_MSR_FILTER_WRITE 0x2
enum tdxsim_msr_action { TDXSIM_MSR_ALLOW = 0, TDXSIM_MSR_DENY = 1 };
int tdxsim_td_msr_filter_reset(struct vmm_td *td, enum tdxsim_msr_action default_action);
int tdxsim_td_msr_filter_add(struct vmm_td *td, uint32_t first, uint32_t count, unsigned int flags,
			     enum tdxsim_msr_action action);

/* ------------------------------------------------------------------------------------------
 * Guest memory
 */

/*
 * Read or write @len bytes at @gpa. A GPA with the TD's shared bit (tdxsim_td_shared_bit)
 * is shared memory, accessed directly (every page must be mapped shared: -EFAULT
 * otherwise). A private GPA goes through TDH.MEM.RD/WR, 8 bytes at a time, which the module
 * allows only for a DEBUG TD (-EPERM otherwise: TDX_TD_NON_DEBUG) and only for pages
 * mapped in its Secure EPT (-EFAULT). Runs SEAMCALLs on the calling LP when called from a
 * vCPU's thread (an exit handler), else on LP 0, which must not be running a vCPU. 0;
 * -EINVAL for a range that wraps or leaves the GPA width.
 */
int tdxsim_td_read_gpa(struct vmm_td *td, uint64_t gpa, void *buf, size_t len);
int tdxsim_td_write_gpa(struct vmm_td *td, uint64_t gpa, const void *buf, size_t len);
/*
 * Where the shared memory [gpa, gpa + len) is in this process (@gpa with the shared bit;
 * every page mapped shared), or NULL. Also NULL when the pages are not one contiguous span
 * of this process: natively they always are; on the system backend a span of more than one
 * page usually is not (each page is seen where it lies in physical memory), so read and
 * write such spans with tdxsim_td_read_gpa/tdxsim_td_write_gpa, which copy page by page.
 */
void *tdxsim_td_shared_va(struct vmm_td *td, uint64_t gpa, size_t len);
uint64_t tdxsim_td_shared_bit(const struct vmm_td *td);

/*
 * Shared memory the embedder supplies, as KVM's userspace supplies guest memory: once the
 * guest converts a page of [gpa, gpa + size) to shared (MapGPA), the GPA is backed by the
 * embedder's memory, so that what the guest writes there appears at the embedder's address
 * and the reverse. Either @fd (a memfd or a regular file opened read-write, from @offset) or,
 * with fd -1, @addr (a MAP_SHARED mapping of this process: a shared anonymous mapping, a
 * file's, a memfd's). tdxsim keeps its own mapping of the memory (the embedder may close the
 * fd or unmap @addr afterwards) until vmm_td_destroy(). Converting a page back to private
 * unmaps it from the TD and leaves the embedder's contents as they are; pages of the TD
 * outside every range the embedder supplied get the VMM's own zeroed pages. Any number of
 * ranges, each set before the TD first runs.
 */
struct tdxsim_shared_backing {
	uint64_t gpa;	 /* the first GPA, with or without the shared bit; page-aligned */
	uint64_t size;	 /* bytes, a multiple of 4096, inside the TD's memory_size */
	int fd;		 /* -1: addr */
	uint64_t offset; /* into fd, page-aligned */
	void *addr;	 /* fd -1: page-aligned */
};
/*
 * 0, or with a message in @err: -EINVAL for no TD or backing, both or neither of fd and
 * addr, a gpa, size, offset or addr not page-aligned, size 0, an addr that is not a
 * MAP_SHARED mapping, an fd that is not a regular file or memfd; -ERANGE for a range beyond
 * the TD's memory_size (above it shared GPAs are MMIO); -EBADF for an fd that is not open;
 * -ENXIO for a file shorter than offset + size; -EFAULT for an addr range not mapped whole;
 * -EACCES for an fd not open for writing; -EEXIST for a range that overlaps one set before;
 * -EBUSY once the TD has run; -EOPNOTSUPP on the system CPU backend, whose guest memory is
 * the machine's physical memory that QEMU was given at its start (docs/API.md).
 */
int tdxsim_td_set_shared_backing(struct vmm_td *td, const struct tdxsim_shared_backing *b,
				 char *err, size_t errlen);

#endif /* TDXSIM_TDXSIM_H */
