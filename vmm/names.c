// SPDX-License-Identifier: MIT
/* Names for messages, the summary and the trace: exit reasons, TDVMCALL kinds, stop reasons. */
#include <tdx/vmx.h>

#include "vmm_internal.h"

const char *vmm_exit_reason_name(unsigned int reason)
{
	switch (reason) {
	case EXIT_REASON_EXCEPTION_NMI:
		return "EXCEPTION_NMI";
	case EXIT_REASON_EXTERNAL_INTERRUPT:
		return "EXTERNAL_INTERRUPT";
	case EXIT_REASON_TRIPLE_FAULT:
		return "TRIPLE_FAULT";
	case EXIT_REASON_EPT_VIOLATION:
		return "EPT_VIOLATION";
	case EXIT_REASON_TDCALL:
		return "TDCALL";
	/* #VE reasons (the --trace "ve" lines): what the module turns into a #VE. */
	case EXIT_REASON_CPUID:
		return "CPUID";
	case EXIT_REASON_HLT:
		return "HLT";
	case EXIT_REASON_INVD:
		return "INVD";
	case EXIT_REASON_VMCALL:
		return "VMCALL";
	case EXIT_REASON_IO_INSTRUCTION:
		return "IO_INSTRUCTION";
	case EXIT_REASON_MSR_READ:
		return "MSR_READ";
	case EXIT_REASON_MSR_WRITE:
		return "MSR_WRITE";
	case EXIT_REASON_MWAIT_INSTRUCTION:
		return "MWAIT_INSTRUCTION";
	case EXIT_REASON_MONITOR_INSTRUCTION:
		return "MONITOR_INSTRUCTION";
	case EXIT_REASON_WBINVD:
		return "WBINVD";
	case EXIT_REASON_PCONFIG:
		return "PCONFIG";
	default:
		return NULL;
	}
}

const char *vmm_tdvmcall_kind_name(enum vmm_tdvmcall_kind k)
{
	static const char *const names[VMM_TDVMCALL_KINDS] = {
		"CPUID",  "HLT",      "IO",
		"RDMSR",  "WRMSR",    "MMIO",
		"MapGPA", "GetQuote", "ReportFatalError",
		"other",
	};

	return k < VMM_TDVMCALL_KINDS ? names[k] : NULL;
}

const char *vmm_stop_reason_name(enum vmm_stop_reason r)
{
	static const char *const names[] = {
		"running",	 "poweroff",  "fatal error", "triple fault", "non-recoverable",
		"EPT violation", "VMM error", "no progress", "interrupted",  "stack overflow",
	};

	return r <= VMM_STOP_STACK_OVERFLOW ? names[r] : "?";
}
