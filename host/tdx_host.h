/* SPDX-License-Identifier: MIT */
/*
 * The host kernel's TDX support: what arch/x86/virt/vmx/tdx/ offers the rest of the kernel.
 *
 *  - seamcall(): one SEAMCALL with one register struct in and out [ABI §11.5], retried while
 *    the module has no entropy; seamcall_prerr() turns a failure into an errno and says why.
 *  - tdx_init() at boot: TDX KeyIDs from MSR 0x87, TDX's own CPU hotplug callbacks.
 *  - tdx_enable(): the whole module bring-up, every online CPU included [ABI §11.3]; callers
 *    never enable CPUs themselves, and CPUs that come online later are initialised by TDX's
 *    hotplug callback before any TDX user's callback runs on them.
 *  - tdx_disable(): LP.SHUTDOWN on each CPU and SYS.SHUTDOWN.
 *  - the global KeyID and an allocator of guest KeyIDs, for the VMM.
 *  - tdh.h: one SEAMCALL wrapper per leaf a VMM uses (tdh_mng_create(), ..., tdh_vp_enter()),
 *    and whether SEAMCALLs go through the machine's gate or the opcode.
 *
 * Host code reaches the module only by SEAMCALL, from an LP of the machine, as on TDX.
 * tdx_enable(), tdx_disable() and hotplug are called from any thread that is not an LP
 * (the "process context" of this simulation); they dispatch work to the LPs.
 */
#ifndef TDXSIM_HOST_TDX_HOST_H
#define TDXSIM_HOST_TDX_HOST_H

#include <stdbool.h>
#include <stdint.h>

#include <tdx/args.h>
#include <tdx/structs.h>

#include "tdh.h"

/* ------------------------------------------------------------------------------------------
 * Log. Every message is one line starting with "tdx: ", as the kernel's pr_fmt makes them.
 * By default lines go to stderr; a sink receives them instead (tests, tools). The sink is
 * called with an internal lock held, from any thread: it must not call back into TDX.
 */
typedef void (*tdx_log_fn)(const char *line, void *arg);
void tdx_log_set_sink(tdx_log_fn fn, void *arg);
void tdx_pr(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* ------------------------------------------------------------------------------------------
 * SEAMCALL wrappers (seamcall_wrap.c). All must run on an LP in VMX operation.
 */

/* How often a SEAMCALL is repeated while it returns exactly TDX_RND_NO_ENTROPY [Linux]. */
#define RDRAND_RETRY_LOOPS 10

/*
 * One SEAMCALL, repeated while it returns exactly TDX_RND_NO_ENTROPY (at most
 * RDRAND_RETRY_LOOPS times). Interrupts are off around each single call only. Returns the
 * status (RAX); args carries the inputs in and the outputs back.
 */
uint64_t seamcall(uint64_t fn, struct tdx_module_args *args);
/* The same, and the LP the last call ran on (for messages). */
uint64_t seamcall_cpu(uint64_t fn, struct tdx_module_args *args, int *cpu);
/*
 * seamcall(), and on failure an errno with a message:
 *   TDX_SUCCESS                 0
 *   TDX_SEAMCALL_VMFAILINVALID  -ENODEV     "tdx: module not loaded" (once)
 *   TDX_SEAMCALL_GP             -EOPNOTSUPP "tdx: SEAMCALL #GP: TDX not enabled by the BIOS" (once)
 *   TDX_SEAMCALL_UD             -EACCES     "tdx: SEAMCALL #UD: CPU N not in VMX operation" (once)
 *   anything else               -EIO        the leaf, status, CPU and output registers
 * Warnings (error bit clear, non-zero) are -EIO too: callers that expect one use seamcall().
 */
int seamcall_prerr(uint64_t fn, struct tdx_module_args *args);
/* The errno and message of seamcall_prerr() for a status already obtained. */
int seamcall_err(uint64_t fn, uint64_t status, const struct tdx_module_args *args, int cpu);
/* Intel name of a host SEAMCALL leaf ("TDH.SYS.CONFIG"), or NULL. */
const char *tdh_leaf_name(uint64_t fn);
/* Forget which one-time messages were printed (tdx_exit does it). */
void seamcall_reset_once(void);

/* ------------------------------------------------------------------------------------------
 * Module bring-up (tdx.c)
 */

enum tdx_module_status_t {
	TDX_MODULE_UNINITIALIZED,
	TDX_MODULE_INITIALIZED,
	TDX_MODULE_ERROR,
	TDX_MODULE_SHUTDOWN,
};

/*
 * Boot-time TDX support: read the KeyID split (MSR 0x87), set up the guest KeyID allocator
 * and register TDX's hotplug callbacks. Needs a booted machine and page_alloc_init().
 * 0, or -ENODEV when the BIOS gave TDX fewer than 2 KeyIDs.
 */
int tdx_init(void);
/* Undo tdx_init and forget everything (PAMTs and TDMRs freed). Before platform_shutdown. */
void tdx_exit(void);

/*
 * Bring the TDX module up: takes the hotplug read lock itself, does VMXON + SYS.INIT (once)
 * + LP.INIT on every online CPU, reads the metadata, builds TDMRs and PAMTs from the RAM
 * map, SYS.CONFIG, KEY.CONFIG on each package, TDMR.INIT. 0 once initialized.
 *
 * A failure leaves the status UNINITIALIZED when it was transient (module not loaded,
 * busy, no entropy, key generation failed, out of memory: a later call may succeed, and
 * resumes where the module is), and ERROR otherwise (every later call: -EINVAL).
 */
int tdx_enable(void);
/* LP.SHUTDOWN on every online CPU, then SYS.SHUTDOWN; the PAMTs are freed. */
int tdx_disable(void);
enum tdx_module_status_t tdx_module_status(void);

/* Hotplug order of TDX's own callback; TDX users (the VMM) register with a larger one. */
#define TDX_HOTPLUG_ORDER (-100)
/* The callbacks, exported for tests that call them directly. */
int tdx_online_cpu(unsigned int cpu);
int tdx_offline_cpu(unsigned int cpu);
/* This CPU has done TDH.SYS.LP.INIT. */
bool tdx_cpu_initialized(unsigned int cpu);

/* ------------------------------------------------------------------------------------------
 * Global metadata the bring-up reads with TDH.SYS.RD (tdx_sysinfo.c), as Linux's
 * struct tdx_sys_info. A field marked optional may be absent from a module.
 */
#define TDX_MAX_CPUID_CONFIG 32

struct tdx_sys_info_version {
	uint16_t major_version;
	uint16_t minor_version;
	uint16_t update_version;
	uint32_t build_date; /* optional */
	uint16_t build_num;  /* optional */
};

struct tdx_sys_info_features {
	uint64_t tdx_features0;
};

struct tdx_sys_info_tdmr {
	uint16_t max_tdmrs;
	uint16_t max_reserved_per_tdmr;
	uint16_t pamt_4k_entry_size;
	uint16_t pamt_2m_entry_size;
	uint16_t pamt_1g_entry_size;
};

struct tdx_sys_info_td_ctrl {
	uint16_t tdr_base_size;
	uint16_t tdcs_base_size;
	uint16_t tdvps_base_size;
};

struct tdx_sys_info_td_conf {
	uint64_t attributes_fixed0;
	uint64_t attributes_fixed1;
	uint64_t xfam_fixed0;
	uint64_t xfam_fixed1;
	uint16_t num_cpuid_config;
	uint16_t max_vcpus_per_td;
	uint64_t cpuid_config_leaves[TDX_MAX_CPUID_CONFIG];
	uint64_t cpuid_config_values[TDX_MAX_CPUID_CONFIG][2];
};

struct tdx_sys_info_cmr {
	uint16_t num_cmrs;
	uint64_t cmr_base[MAX_CMR];
	uint64_t cmr_size[MAX_CMR];
};

struct tdx_sys_info {
	struct tdx_sys_info_version version;
	struct tdx_sys_info_features features;
	struct tdx_sys_info_tdmr tdmr;
	struct tdx_sys_info_td_ctrl td_ctrl;
	struct tdx_sys_info_td_conf td_conf;
	struct tdx_sys_info_cmr cmr;
};

/*
 * Read every field with TDH.SYS.RD on the current LP (VMX on, LP.INIT done). 0; -EIO with
 * a message naming a missing required field; other errnos as seamcall_prerr.
 */
int get_tdx_sys_info(struct tdx_sys_info *sysinfo);
/* The metadata read by the last successful tdx_enable(), or NULL. */
const struct tdx_sys_info *tdx_get_sysinfo(void);

/* ------------------------------------------------------------------------------------------
 * KeyIDs (keyid.c)
 */

/* The global private KeyID (the first TDX KeyID), 0 before tdx_init. */
unsigned int tdx_get_global_keyid(void);
/* A free guest KeyID, or -ENOSPC / -ENODEV. */
int tdx_guest_keyid_alloc(void);
void tdx_guest_keyid_free(unsigned int keyid);

/* ------------------------------------------------------------------------------------------
 * Layout, for tools: the TDMRs of the last tdx_enable() (or of one in progress).
 */
/* Print the TDMR/PAMT layout through the log, one line per TDMR and per reserved area. */
void tdx_print_layout(void);
/* A size as the layout shows it: "1.5 GiB", "64.1 MiB", "512 KiB". */
void tdx_fmt_size(char *buf, size_t len, uint64_t bytes);
/*
 * TDMR @i as the module was given it (base, size, the PAMT of each page size, the reserved
 * areas: offset and size, the unused ones 0) and the node its PAMT is on; NULL past the last.
 */
const struct tdmr_info *tdx_layout_tdmr(unsigned int i, int *pamt_nid);
/* Total PAMT bytes. */
uint64_t tdx_pamt_bytes(void);

#endif
