/* SPDX-License-Identifier: MIT */
/*
 * Test harness for the software TDX module: a machine, a standard TDMR layout, a bring-up
 * to any system state, and SEAMCALLs made on a chosen LP through each call path.
 */
#ifndef TDXSIM_TESTS_MODULE_HARNESS_H
#define TDXSIM_TESTS_MODULE_HARNESS_H

#include <stdbool.h>
#include <stdint.h>

#include "platform/platform.h"
#include "tdx/args.h"
#include "tdx/leaves.h"
#include "tdx/metadata.h"
#include "tdx/status.h"

#include "module.h"
#include "tdx_module.h"

#define KiB (1ULL << 10)
#define MiB (1ULL << 20)
#define GiB (1ULL << 30)

/* ------------------------------------------------------------------------------------------
 * Call paths. Every row runs once per available path.
 */
enum call_path {
	PATH_DIRECT, /* the dispatcher called with a built cpu_regs (local adapter) */
	PATH_TRAP,   /* the SEAMCALL opcode, trapped by the platform */
	PATH_GATE,   /* the gate: same semantics through a function pointer */
	NR_PATHS,
};

extern const char *const path_name[NR_PATHS];
/* Is this path usable in this build (host/seamcall present, machine has the gate)? */
bool path_available(enum call_path p);

/* SEAMCALL `rax` with args on `lp` through `path`; args are updated with the outputs. */
uint64_t call_on(enum call_path path, unsigned int lp, uint64_t rax, struct tdx_module_args *args);

/* ------------------------------------------------------------------------------------------
 * Machine "2s": 2 packages x 2 cores, 4 LPs; RAM [0, 640K) [1M, 2G) [4G, 6G); MAXPHYADDR 46
 * with 6 KeyID bits (KeyIDs from bit 40), 31 MK-TME KeyIDs, 32 TDX KeyIDs (32..63).
 */
void machine_2s(struct machine_config *cfg);
int harness_boot(const struct machine_config *cfg);
void harness_shutdown(void);

#define NR_LPS	    4
#define GLOBAL_HKID 32
#define HKID_SHIFT  40

/* Host scratch memory for the calls' buffers (all in RAM, outside every PAMT). */
#define ARRAY_PA   0x1000000ULL /* TDMR_INFO PA array */
#define INFO_PA(i) (0x1001000ULL + 0x200ULL * (i))
#define LIST_PA	   0x1010000ULL /* SYS.RDALL page */
#define SYSINFO_PA 0x1011000ULL /* SYS.INFO buffer */
#define CMRINFO_PA 0x1011400ULL /* SYS.INFO CMR array */

/* The standard layout: TDMR0 [0, 2G), TDMR1 [4G, 6G), PAMTs in TDMR0's reserved area. */
struct layout {
	unsigned int n;
	struct tdmr_info t[4];
	uint64_t array[4]; /* PAs of the TDMR_INFOs */
};
void layout_std(struct layout *L);
/* Write the layout into machine memory at ARRAY_PA / INFO_PA(i). */
void layout_write(const struct layout *L);

/* Bring-up targets, in order. */
enum stage {
	S_LOADED,
	S_SYSINIT,
	S_LPINIT, /* LP.INIT on the LPs of lp_mask */
	S_CONFIG,
	S_KEY0,	 /* KEY.CONFIG on package 0 */
	S_READY, /* and on package 1 */
	S_TDMR,	 /* every TDMR initialised */
	S_SHUTDOWN,
};

/* Load the module with `version` and bring it to `stage` on the DIRECT path. lp_mask: LPs
 * that do LP.INIT (0 = all). 0, or -1 with a message. */
/* The module's view of the host CPUID for the next bring_up (NULL: the CPU's own). */
extern void (*harness_host_cpuid)(uint32_t leaf, uint32_t subleaf, uint32_t out[4]);
int bring_up(enum tdx_module_version version, enum stage stage, unsigned int lp_mask);

/* Host view of physical memory. */
void *hva(uint64_t pa);

/* Count failures and print them. */
extern int failures;
#define CHECK(cond, ...)                                                                           \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			failures++;                                                                \
			printf("FAIL %s:%d: ", __FILE__, __LINE__);                                \
			printf(__VA_ARGS__);                                                       \
			printf("\n");                                                              \
		}                                                                                  \
	} while (0)

#endif
