/* SPDX-License-Identifier: MIT */
/*
 * Building TDs by hand with SEAMCALLs, for the tests of the module's TD leaves. Builds on
 * harness.h: machine "2s" brought up to S_TDMR, SEAMCALLs through call_on() on any LP/path.
 *
 * Pages come from a bump allocator over TDMR1 ([4G, 6G)), which the bring-up leaves free.
 */
#ifndef TDXSIM_TESTS_MODULE_TD_HARNESS_H
#define TDXSIM_TESTS_MODULE_TD_HARNESS_H

#include "harness.h"
#include "tdx/structs.h"
#include "tdx/td.h"

#define TD_HKID 33 /* first TDX private KeyID after the global one */

/* TDCX pages of a vCPU: VP.INIT needs 5 (TDVPS_BASE_SIZE / 4K - 1), VP.ADDCX takes 14. */
#define TD_VP_TDCX     5
#define TD_VP_MAX_TDCX 14

/* A fresh 4 KiB page (zeroed, host-visible), or a 2 MiB-aligned run of 512. */
uint64_t td_page_alloc(void);
uint64_t td_page_alloc_2m(void);
/* Start handing out pages from the beginning again (every page must be the host's). */
void td_page_alloc_reset(void);
/* Where the allocator is, to continue from there again (a module snapshot's companion). */
struct td_page_alloc_state {
	uint64_t next_4k, next_2m;
};
struct td_page_alloc_state td_page_alloc_save(void);
void td_page_alloc_load(struct td_page_alloc_state st);
/* Host scratch page for TD_PARAMS and PAGE.ADD sources (outside the PAMTs). */
#define TD_PARAMS_PA 0x1020000ULL
#define TD_SOURCE_PA 0x1021000ULL

/*
 * A guest code page for GPA 0xFFFFF000: [code, end) at its start, INT3 elsewhere, and at the
 * reset vector 0xFFFFFFF0 (offset 0xFF0) a jmp rel32 back to the start.
 */
void td_code_page(uint8_t page[4096], const uint8_t *code, const uint8_t *end);

/* Default TD_PARAMS: 4-level EPT, GPAW 48, max_vcpus 8, attributes 0, XFAM x87|SSE,
 * TSC 2.5 GHz, CPUID config all zeros. */
void td_params_default(struct td_params *p);

struct test_td {
	uint64_t tdr;
	uint64_t tdcx[6];
	unsigned int nr_vcpus;
	uint64_t tdvpr[8];
	uint64_t vp_tdcx[8][TD_VP_MAX_TDCX]; /* td_add_vcpu adds TD_VP_TDCX of them */
	uint16_t hkid;
	uint64_t last_page;	  /* HPA of the page the last td_page_add() added */
	struct td_window *window; /* the TD's, from td_init() (tdx_module_td_window) */
};

/* cmocka fixtures: boot machine "2s", bring the module up to S_TDMR, reset the allocator. */
int td_machine_setup(void **state);
/* The same with a chosen module version (td_machine_setup: TDX_MODULE_LATEST). */
int td_machine_boot(enum tdx_module_version version);
int td_machine_teardown(void **state);
/* The same machine in CPUID rewrite mode, whatever the host has and TDXSIM_CPUID says. */
int td_machine_setup_cpuid_rewrite(void **state);

/* Steps; each returns the SEAMCALL status of the first failure (0 = all done). */
uint64_t td_create(struct test_td *td, uint16_t hkid); /* MNG.CREATE + KEY.CONFIG all pkgs */
uint64_t td_init(struct test_td *td, const struct td_params *p); /* MNG.ADDCX x6 + MNG.INIT */
uint64_t td_add_vcpu(struct test_td *td);			 /* VP.CREATE, ADDCX x5, VP.INIT */
/* SEPT.ADD the tables (levels 3..1 as needed) so that a 4K leaf at gpa can be added. */
uint64_t td_sept_map(struct test_td *td, uint64_t gpa);
/* PAGE.ADD one page at gpa with `data` (4096 bytes) and 16 x MR.EXTEND when measure. */
uint64_t td_page_add(struct test_td *td, uint64_t gpa, const void *data, bool measure);
uint64_t td_finalize(struct test_td *td);
/* All of the above for a runnable TD with one vCPU (no memory). */
uint64_t td_build_basic(struct test_td *td);
/* The same with a chosen HKID. */
uint64_t td_build_runnable(struct test_td *td, uint16_t hkid);
/*
 * A finalized TD with one vCPU that runs guest code: `code` (4096 bytes, td_code_page) at
 * TD_CODE_GPA, the page of the reset vector, and, when `data` is not NULL, a data page at
 * TD_DATA_GPA just below it (its HPA in *data_hpa if that is not NULL); neither measured.
 * The code's CPUIDs are rewritten in the TD's window after finalization, as the VMM does
 * (a no-op on a machine with CPUID faulting); TDX_SW_ERROR when that fails.
 */
#define TD_CODE_GPA 0xFFFFF000ULL
#define TD_DATA_GPA 0xFFFFE000ULL
uint64_t td_build_guest(struct test_td *td, const void *code, const void *data, uint64_t *data_hpa);
/* The same with chosen TD_PARAMS and nr_vcpus (1..8) vCPUs, all running the same code. */
uint64_t td_build_guest_with(struct test_td *td, const struct td_params *p, unsigned int nr_vcpus,
			     const void *code, const void *data, uint64_t *data_hpa);

/* SEAMCALL on LP 0 through the DIRECT path unless a test chooses otherwise. */
extern enum call_path td_path;
uint64_t td_call(uint64_t leaf, struct tdx_module_args *a);
uint64_t td_call_on(unsigned int lp, uint64_t leaf, struct tdx_module_args *a);

/* Full teardown in the architectural order, reclaiming every page; 0 or the failing status. */
uint64_t td_teardown(struct test_td *td);

/*
 * Guest assembly shared by the hand-built TDs that have an IDT: `call set_gate` with RDI = the
 * IDT, ESI = the vector, RAX = the handler writes a 64-bit interrupt gate (P = 1, type 0xE,
 * selector 0x33: guest code runs with the host's ring-3 code segment). Clobbers RCX, RDX, RSI.
 */
#define TD_ASM_SET_GATE                                                                            \
	"set_gate:\n"                                                                              \
	"	shll $4, %esi\n"                                                                         \
	"	movq %rax, %rdx\n"                                                                       \
	"	andl $0xffff, %edx\n"                                                                    \
	"	movq %rax, %rcx\n"                                                                       \
	"	shrq $16, %rcx\n"                                                                        \
	"	andl $0xffff, %ecx\n"                                                                    \
	"	shlq $48, %rcx\n"                                                                        \
	"	orq %rcx, %rdx\n"                                                                        \
	"	movabsq $0x00008e0000330000, %rcx\n"                                                     \
	"	orq %rcx, %rdx\n"                                                                        \
	"	movq %rdx, (%rdi,%rsi)\n"                                                                \
	"	shrq $32, %rax\n"                                                                        \
	"	movq %rax, 8(%rdi,%rsi)\n"                                                               \
	"	ret\n"

#endif
