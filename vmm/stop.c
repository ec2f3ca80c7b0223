// SPDX-License-Identifier: MIT
/*
 * Why a TD stopped, in words a person reads without the SDM at hand: a guest RIP as image
 * offset and symbol, an EPT violation's access, a guest exception's vector by name with
 * its error code decoded and CR2, and where each vCPU was. Numbers: hex always with 0x;
 * vectors and exit reasons in decimal, with their names.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <tdx/vmx.h>

#include "vmm_internal.h"

void vmm_rip_describe(const struct vmm_td *td, uint64_t rip, char *buf, size_t len)
{
	uint64_t window = td->window ? td_window_base(td->window) : 0, off, symoff;
	const char *sym;
	int n;

	n = snprintf(buf, len, "0x%" PRIx64, rip);
	if (n < 0 || (size_t)n >= len || !window)
		return;
	off = rip - (window + VMM_IMAGE_GPA);
	if (off < td->image_size) {
		n += snprintf(buf + n, len - (size_t)n, " = %s+0x%" PRIx64, td->image_name, off);
		sym = vmm_symbols_lookup(td->syms, off, &symoff);
		if (sym && (size_t)n < len)
			snprintf(buf + n, len - (size_t)n, " <%s+0x%" PRIx64 ">", sym, symoff);
	} else if (rip - (window + VMM_RESET_PAGE_GPA) < 4096) {
		snprintf(buf + n, len - (size_t)n, " = reset page+0x%" PRIx64,
			 (uint64_t)(rip - (window + VMM_RESET_PAGE_GPA)));
	}
}

const char *vmm_ept_access(uint64_t qual)
{
	if (qual & EXIT_QUAL_EPT_FETCH)
		return "fetch";
	return qual & EXIT_QUAL_EPT_WRITE ? "write" : "read";
}

/* Append to buf at *n (a bounded snprintf chain). */
static void add(char *buf, size_t len, size_t *n, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void add(char *buf, size_t len, size_t *n, const char *fmt, ...)
{
	va_list ap;
	int r;

	if (*n >= len)
		return;
	va_start(ap, fmt);
	r = vsnprintf(buf + *n, len - *n, fmt, ap);
	va_end(ap);
	if (r > 0)
		*n += (size_t)r < len - *n ? (size_t)r : len - *n - 1;
}

/* "(not present, write, user mode)" for a #PF error code [SDM vol. 3 4.7]. */
static void pf_error_code(char *buf, size_t len, size_t *n, uint32_t err)
{
	add(buf, len, n, " (%s, %s, %s", err & X86_PF_PROT ? "protection violation" : "not present",
	    err & X86_PF_WRITE ? "write" : "read",
	    err & X86_PF_USER ? "user mode" : "supervisor mode");
	if (err & X86_PF_RSVD)
		add(buf, len, n, ", reserved bit set");
	if (err & X86_PF_INSTR)
		add(buf, len, n, ", instruction fetch");
	if (err & X86_PF_PK)
		add(buf, len, n, ", protection key");
	if (err & X86_PF_SHSTK)
		add(buf, len, n, ", shadow stack");
	if (err & X86_PF_SGX)
		add(buf, len, n, ", SGX");
	add(buf, len, n, ")");
}

/* "(selector 0x10: GDT index 2)" for the selector error codes [SDM vol. 3 6.13]. */
static void selector_error_code(char *buf, size_t len, size_t *n, uint32_t err)
{
	const char *table = err & X86_SEL_IDT  ? "IDT vector"
			    : err & X86_SEL_TI ? "LDT index"
					       : "GDT index";

	if (!err)
		return;
	add(buf, len, n, " (selector 0x%x: %s %u%s)", err & 0xFFFF, table, (err & 0xFFFF) >> 3,
	    err & X86_SEL_EXT ? ", external event" : "");
}

/* #CP error codes [SDM vol. 1 18.2]. */
static void cp_error_code(char *buf, size_t len, size_t *n, uint32_t err)
{
	static const char *const what[] = {NULL,	"near RET", "far RET or IRET",
					   "ENDBRANCH", "RSTORSSP", "SETSSBSY"};

	if (err < sizeof(what) / sizeof(what[0]) && what[err])
		add(buf, len, n, " (%s)", what[err]);
}

/* The vector a guest message starts with: "#PF ..." or "vector 15 ...". -1: none. */
static int message_vector(const char *msg, const char **rest)
{
	unsigned int v;
	int used = 0;

	if (sscanf(msg, "vector %u%n", &v, &used) == 1 && used && v < 32) {
		*rest = msg + used;
		return (int)v;
	}
	for (v = 0; v < 32; v++) {
		const char *m = x86_exception(v)->mnemonic;
		size_t l = m ? strlen(m) : 0;

		if (m && !strncmp(msg, m, l) && msg[l] == ' ') {
			*rest = msg + l;
			return (int)v;
		}
	}
	return -1;
}

/*
 * The SDK's exception report (guest/lib/ve.c exception_fatal): "#PF err 0x4 cr2 0x1000 rip
 * 0x7f000010014e", error code and CR2 where the vector has them. true when @msg is one.
 */
static bool exception_describe(const struct vmm_td *td, const char *msg, char *buf, size_t len)
{
	const struct x86_exception_desc *d;
	const char *p;
	unsigned long long err = 0, cr2 = 0, rip;
	int vector = message_vector(msg, &p), used = 0;
	char where[192];
	size_t n = 0;

	if (vector < 0)
		return false;
	d = x86_exception((unsigned int)vector);
	if (d->error_code) {
		if (sscanf(p, " err 0x%llx%n", &err, &used) != 1 || !used)
			return false;
		p += used;
		used = 0;
	}
	if (vector == X86_TRAP_PF) {
		if (sscanf(p, " cr2 0x%llx%n", &cr2, &used) != 1 || !used)
			return false;
		p += used;
		used = 0;
	}
	if (sscanf(p, " rip 0x%llx%n", &rip, &used) != 1 || !used || p[used])
		return false;
	vmm_rip_describe(td, rip, where, sizeof(where));
	if (d->mnemonic)
		add(buf, len, &n, "%s %s", d->mnemonic, d->name);
	else
		add(buf, len, &n, "exception vector %d (reserved)", vector);
	if (d->error_code) {
		add(buf, len, &n, ", error code 0x%llx", err);
		if (vector == X86_TRAP_PF)
			pf_error_code(buf, len, &n, (uint32_t)err);
		else if (vector == X86_TRAP_CP)
			cp_error_code(buf, len, &n, (uint32_t)err);
		else if (vector != X86_TRAP_AC)
			selector_error_code(buf, len, &n, (uint32_t)err);
	}
	if (vector == X86_TRAP_PF)
		add(buf, len, &n, ", CR2 0x%llx", cr2);
	add(buf, len, &n, ", RIP %s", where);
	return true;
}

/* "exit reason 54" in a guest message gets its name: "exit reason 54 (WBINVD)". */
static void name_exit_reason(const char *msg, char *buf, size_t len)
{
	const char *r = strstr(msg, "exit reason "), *name;
	unsigned int reason;
	int used = 0;

	if (!r || sscanf(r, "exit reason %u%n", &reason, &used) != 1 || !used ||
	    !(name = vmm_exit_reason_name(reason))) {
		snprintf(buf, len, "%s", msg);
		return;
	}
	snprintf(buf, len, "%.*s (%s)%s", (int)(r + used - msg), msg, name, r + used);
}

void vmm_fatal_describe(const struct vmm_td *td, const char *msg, char *buf, size_t len)
{
	char named[TDVMCALL_REPORT_FATAL_ERROR_MSG_SIZE + 32], where[192];
	unsigned long long rip;
	const char *r;
	int used = 0;

	if (exception_describe(td, msg, buf, len))
		return;
	/* Any other message: exit reasons named, the SDK's "rip 0x<RIP>" named in place. */
	name_exit_reason(msg, named, sizeof(named));
	r = strstr(named, "rip 0x");
	if (!r || sscanf(r, "rip 0x%llx%n", &rip, &used) != 1 || !used) {
		snprintf(buf, len, "%s", named);
		return;
	}
	vmm_rip_describe(td, rip, where, sizeof(where));
	snprintf(buf, len, "%.*sRIP %s%s", (int)(r - named), named, where, r + used);
}

int vmm_td_vcpu_where(const struct vmm_td *td, unsigned int vcpu, char *buf, size_t len)
{
	const struct vmm_vcpu *vc;
	const char *name;
	char where[192];
	uint64_t rip, reason;
	size_t n = 0;

	if (vcpu >= td->nr_vcpus || !len)
		return -EINVAL;
	vc = &td->vcpus[vcpu];
	if (vmm_vcpu_rip(vc, &rip))
		snprintf(where, sizeof(where), "unknown (the vCPU is busy)");
	else
		vmm_rip_describe(td, rip, where, sizeof(where));
	buf[0] = '\0';
	add(buf, len, &n, "RIP %s, ", where);
	if (!vc->last.status) {
		add(buf, len, &n, "no TD exit yet");
		return 0;
	}
	reason = vc->last.status & 0xFFFF;
	name = vmm_exit_reason_name((unsigned int)reason);
	if (name)
		add(buf, len, &n, "last exit %s", name);
	else
		add(buf, len, &n, "last exit reason %" PRIu64, reason);
	if (reason == EXIT_REASON_EPT_VIOLATION)
		add(buf, len, &n, " (GPA 0x%" PRIx64 ", %s)", vc->last.gpa,
		    vmm_ept_access(vc->last.qual));
	else if (reason == EXIT_REASON_TDCALL)
		add(buf, len, &n, " (TDVMCALL %s)", vmm_tdvmcall_kind_name(vc->last.tdvmcall));
	return 0;
}
