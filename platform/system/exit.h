/* SPDX-License-Identifier: MIT */
/*
 * The system backend's translation between AMD SVM and the VMX shape of the CPU-backend
 * interface (platform/cpu_backend.h): an SVM exit becomes a struct vm_exit, a VMX event
 * (VM-entry interruption information) becomes an EVENTINJ, and the guest's bytes at RIP are
 * read through its own page tables. docs/SYSTEM.md "Exits" has the table.
 */
#ifndef TDXSIM_PLATFORM_SYSTEM_EXIT_H
#define TDXSIM_PLATFORM_SYSTEM_EXIT_H

#include <stdbool.h>
#include <stdint.h>

#include "platform/cpu_backend.h"

/* An SVM exit as the VMCB reports it, with the guest's instruction bytes at RIP. */
struct svm_exit {
	uint64_t code;	  /* EXITCODE */
	uint64_t info1;	  /* EXITINFO1 */
	uint64_t info2;	  /* EXITINFO2 */
	uint64_t intinfo; /* EXITINTINFO: an event whose delivery the exit interrupted */
	uint64_t rip;
	uint8_t insn[15];
	unsigned int insn_bytes; /* how many of insn[] were readable */
};

enum system_exit_action {
	SYSTEM_EXIT_MODULE,   /* *out is the exit for the module's vm_exit hook */
	SYSTEM_EXIT_REINJECT, /* the guest's own exception: *eventinj puts it back */
	SYSTEM_EXIT_RESUME,   /* nothing for anyone (an SMI): enter again */
	SYSTEM_EXIT_UNKNOWN,  /* an exit code the backend does not expect */
};

/*
 * Translate an SVM exit. Instruction exits carry the instruction's length, decoded from
 * insn[] (QEMU's SVM saves no next RIP); TDCALL, VMCALL and SEAMCALL arrive as #UD and are
 * recognised by their bytes.
 */
enum system_exit_action system_exit_translate(const struct svm_exit *s, struct vm_exit *out,
					      uint64_t *eventinj);
/* EVENTINJ for VM-entry interruption information (INTR_INFO_* layout) and its error code. */
uint64_t system_eventinj(uint32_t intr_info, uint32_t error_code);
/* EXITINTINFO as VMX's IDT-vectoring information; its error code in *error. */
uint32_t system_idt_vectoring(uint64_t exitintinfo, uint32_t *error);

/*
 * Read len bytes at the guest's linear address gla through its page tables (CR3; 4-level
 * paging when CR0.PG and EFER.LMA, else physical), each guest-physical address translated by
 * gpa_to_host (NULL: not mapped). Returns how many bytes could be read.
 */
unsigned int system_guest_read(uint64_t cr0, uint64_t cr3, uint64_t efer, uint64_t gla, void *buf,
			       unsigned int len, void *(*gpa_to_host)(void *arg, uint64_t gpa),
			       void *arg);

#endif
