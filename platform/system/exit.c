// SPDX-License-Identifier: MIT
/*
 * SVM exits as VMX exit information. The exit codes, EXITINFO layouts and EVENTINJ format are
 * AMD's (APM vol. 2 ch. 15 and appendix C); the exit reasons, qualifications and interruption
 * information are VMX's (Intel SDM vol. 3C ch. 28; include/tdx/vmx.h). QEMU 7.2's SVM keeps
 * no next RIP, so instruction lengths come from the bytes at RIP: legacy and REX prefixes,
 * then the opcodes the intercepted instructions have (none of them takes a ModRM operand
 * that could change its length, except MOV to CR, whose register form is fixed).
 */
#include <string.h>

#include "platform/system/exit.h"
#include "platform/system/svm.h"

static bool is_prefix(uint8_t b)
{
	switch (b) {
	case 0x26:
	case 0x2E:
	case 0x36:
	case 0x3E:
	case 0x64:
	case 0x65:
	case 0x66:
	case 0x67:
	case 0xF0:
	case 0xF2:
	case 0xF3:
		return true;
	default:
		return false;
	}
}

/* The prefixes' length; *rex the REX byte if one comes last (0 if none). */
static unsigned int prefixes(const struct svm_exit *s, uint8_t *rex)
{
	unsigned int n = 0;

	*rex = 0;
	while (n < s->insn_bytes && n < 14 && is_prefix(s->insn[n]))
		n++;
	if (n < s->insn_bytes && (s->insn[n] & 0xF0) == 0x40)
		*rex = s->insn[n++];
	return n;
}

/* The length of an instruction at RIP whose opcode (after prefixes) is op[0..oplen); 0: not it */
static unsigned int length_of(const struct svm_exit *s, const uint8_t *op, unsigned int oplen)
{
	uint8_t rex;
	unsigned int p = prefixes(s, &rex);

	if (p + oplen > s->insn_bytes || memcmp(s->insn + p, op, oplen))
		return 0;
	return p + oplen;
}

static bool has_66(const struct svm_exit *s)
{
	uint8_t rex;
	unsigned int p = prefixes(s, &rex) - (rex ? 1 : 0);

	return memchr(s->insn, 0x66, p) != NULL;
}

/*
 * A CR read or write intercept (SVM exits 0x00-0x1F) as VMX's CR_ACCESS qualification: CR in
 * bits 3:0, access type in 5:4 (0 MOV to CR, 1 MOV from CR, 2 CLTS, 3 LMSW), GPR in 11:8.
 * QEMU has no decode assists, so the instruction comes from its bytes: MOV to/from CRn
 * (0F 22 /r, 0F 20 /r, register form), and the other instructions the CR0 intercepts take
 * (APM vol. 2 ch. 15, "CR and DR Read and Write Intercepts"): CLTS (0F 06) and LMSW (0F 01 /6) as CR0 writes, SMSW (0F 01 /4) as a CR0
 * read, reported as MOV from CR0 (a 16-bit SMSW then writes the whole register). LMSW and
 * SMSW only in their register form (the GPR in 11:8, where VMX has LMSW's source data; the
 * backend reads it); a memory operand is not decoded and the exit is unknown.
 */
static enum system_exit_action cr_access(const struct svm_exit *s, struct vm_exit *out)
{
	bool write = s->code >= SVM_EXIT_WRITE_CR0;
	unsigned int cr = (unsigned int)(s->code & 0xF);
	uint8_t rex, op, modrm;
	unsigned int p = prefixes(s, &rex);

	if (p + 2 > s->insn_bytes || s->insn[p] != 0x0F)
		return SYSTEM_EXIT_UNKNOWN;
	op = s->insn[p + 1];
	out->reason = EXIT_REASON_CR_ACCESS;
	if (op == 0x06 && write && cr == 0) {
		out->qual = 2ULL << 4;
		out->insn_len = p + 2;
		return SYSTEM_EXIT_MODULE;
	}
	if (p + 3 > s->insn_bytes)
		return SYSTEM_EXIT_UNKNOWN;
	modrm = s->insn[p + 2];
	out->insn_len = p + 3;
	if ((op == 0x22 && write) || (op == 0x20 && !write)) { /* mod is ignored: a register */
		out->qual = cr | (write ? 0 : 1ULL << 4) |
			    (uint64_t)((modrm & 7) | (rex & 1 ? 8 : 0)) << 8;
		return SYSTEM_EXIT_MODULE;
	}
	if (op == 0x01 && cr == 0 && (modrm >> 6) == 3 && ((modrm >> 3) & 7) == (write ? 6 : 4)) {
		out->qual = (write ? 3ULL << 4 : 1ULL << 4) |
			    (uint64_t)((modrm & 7) | (rex & 1 ? 8 : 0)) << 8;
		return SYSTEM_EXIT_MODULE;
	}
	return SYSTEM_EXIT_UNKNOWN;
}

/*
 * A DR read or write intercept (SVM exits 0x20-0x3F) as VMX's DR_ACCESS qualification: DR in
 * bits 2:0, direction in bit 4 (0 MOV to DR, 1 MOV from DR), GPR in 11:8 [SDM vol. 3C
 * "Exit Qualification for MOV DR"]. The instruction is 0F 23 /r or 0F 21 /r; QEMU raises
 * #UD itself for DR8-15 before the intercept.
 */
static enum system_exit_action dr_access(const struct svm_exit *s, struct vm_exit *out)
{
	bool write = s->code >= SVM_EXIT_WRITE_DR0;
	uint8_t rex;
	unsigned int p = prefixes(s, &rex);

	if (p + 3 > s->insn_bytes || s->insn[p] != 0x0F || s->insn[p + 1] != (write ? 0x23 : 0x21))
		return SYSTEM_EXIT_UNKNOWN;
	out->reason = EXIT_REASON_DR_ACCESS;
	out->qual = (s->code & 7) | (write ? 0 : 1ULL << 4) |
		    (uint64_t)((s->insn[p + 2] & 7) | (rex & 1 ? 8 : 0)) << 8;
	out->insn_len = p + 3;
	return SYSTEM_EXIT_MODULE;
}

/* The #UD-shaped instructions TDX gives the module: TDCALL, VMCALL, SEAMCALL, the 0F 01 group. */
static bool ud_instruction(const struct svm_exit *s, struct vm_exit *out)
{
	static const uint8_t tdcall[] = {0x0F, 0x01, 0xCC}, seamcall[] = {0x0F, 0x01, 0xCF},
			     vmcall[] = {0x0F, 0x01, 0xC1};
	unsigned int n;

	if ((n = length_of(s, tdcall, 3)) && has_66(s)) {
		out->reason = EXIT_REASON_TDCALL;
	} else if ((n = length_of(s, seamcall, 3)) && has_66(s)) {
		out->reason = EXIT_REASON_SEAMCALL;
	} else if ((n = length_of(s, vmcall, 3))) {
		out->reason = EXIT_REASON_VMCALL;
	} else {
		return false;
	}
	out->insn_len = n;
	return true;
}

/* EXITINFO1 of an NPF as an EPT-violation qualification. */
static uint64_t npf_qual(uint64_t info1)
{
	uint64_t q = 0;

	if (info1 & SVM_NPF_FETCH)
		q |= EXIT_QUAL_EPT_FETCH;
	else if (info1 & SVM_NPF_WRITE)
		q |= EXIT_QUAL_EPT_WRITE;
	else
		q |= EXIT_QUAL_EPT_READ;
	/* a present entry that refused the access: our nested entries are readable, and
	   writable and executable unless that is what failed */
	if (info1 & SVM_NPF_P) {
		q |= EXIT_QUAL_EPT_READABLE;
		if (!(info1 & SVM_NPF_WRITE))
			q |= EXIT_QUAL_EPT_WRITABLE;
		if (!(info1 & SVM_NPF_FETCH))
			q |= EXIT_QUAL_EPT_EXECUTABLE;
	}
	return q;
}

static uint64_t io_qual(const struct svm_exit *s)
{
	unsigned int size = s->info1 & SVM_IOIO_SZ32 ? 4 : s->info1 & SVM_IOIO_SZ16 ? 2 : 1;
	uint8_t rex;
	unsigned int p = prefixes(s, &rex);
	bool imm = p < s->insn_bytes && (s->insn[p] & 0xFC) == 0xE4; /* E4-E7: IN/OUT imm8 */

	return tdx_io_qual_make(size, s->info1 & SVM_IOIO_TYPE_IN, s->info1 & SVM_IOIO_STR,
				s->info1 & SVM_IOIO_REP, imm, (uint16_t)(s->info1 >> 16));
}

static bool vector_has_error(unsigned int v)
{
	return v == 8 || (v >= 10 && v <= 14) || v == 17 || v == 21 || v == 29 || v == 30;
}

enum system_exit_action system_exit_translate(const struct svm_exit *s, struct vm_exit *out,
					      uint64_t *eventinj)
{
	static const uint8_t op_cpuid[] = {0x0F, 0xA2}, op_hlt[] = {0xF4}, op_invd[] = {0x0F, 0x08},
			     op_wbinvd[] = {0x0F, 0x09}, op_rdpmc[] = {0x0F, 0x33},
			     op_rdtsc[] = {0x0F, 0x31}, op_rdtscp[] = {0x0F, 0x01, 0xF9},
			     op_monitor[] = {0x0F, 0x01, 0xC8}, op_mwait[] = {0x0F, 0x01, 0xC9},
			     op_xsetbv[] = {0x0F, 0x01, 0xD1}, op_pause[] = {0x90},
			     op_rdmsr[] = {0x0F, 0x32}, op_wrmsr[] = {0x0F, 0x30},
			     op_vmmcall[] = {0x0F, 0x01, 0xD9};
	uint64_t c = s->code;

	memset(out, 0, sizeof(*out));
	*eventinj = 0;
	switch (c) {
	case SVM_EXIT_INTR:
		out->reason = EXIT_REASON_EXTERNAL_INTERRUPT;
		return SYSTEM_EXIT_MODULE;
	case SVM_EXIT_NMI:
		out->reason = EXIT_REASON_EXCEPTION_NMI;
		out->intr_info = X86_TRAP_NMI | INTR_TYPE_NMI | INTR_INFO_VALID;
		return SYSTEM_EXIT_MODULE;
	case SVM_EXIT_SMI:
		return SYSTEM_EXIT_RESUME;
	case SVM_EXIT_INIT:
		out->reason = EXIT_REASON_INIT_SIGNAL;
		return SYSTEM_EXIT_MODULE;
	case SVM_EXIT_VINTR:
		out->reason = EXIT_REASON_INTERRUPT_WINDOW;
		return SYSTEM_EXIT_MODULE;
	case SVM_EXIT_SHUTDOWN:
		out->reason = EXIT_REASON_TRIPLE_FAULT;
		return SYSTEM_EXIT_MODULE;
	case SVM_EXIT_TASK_SWITCH:
		out->reason = EXIT_REASON_TASK_SWITCH;
		return SYSTEM_EXIT_MODULE;
	case SVM_EXIT_NPF:
		out->reason = EXIT_REASON_EPT_VIOLATION;
		out->gpa = s->info2;
		out->qual = npf_qual(s->info1);
		return SYSTEM_EXIT_MODULE;
	case SVM_EXIT_IOIO:
		out->reason = EXIT_REASON_IO_INSTRUCTION;
		out->qual = io_qual(s);
		out->insn_len = (uint32_t)(s->info2 - s->rip); /* QEMU: EXITINFO2 = next RIP */
		return SYSTEM_EXIT_MODULE;
	case SVM_EXIT_MSR:
		out->reason = s->info1 ? EXIT_REASON_MSR_WRITE : EXIT_REASON_MSR_READ;
		out->insn_len = length_of(s, s->info1 ? op_wrmsr : op_rdmsr, 2);
		return SYSTEM_EXIT_MODULE;
	case SVM_EXIT_INVALID:
		out->reason = EXIT_REASON_INVALID_STATE | EXIT_REASON_FAILED_VMENTRY;
		return SYSTEM_EXIT_MODULE;
	case SVM_EXIT_EXCP_BASE + X86_TRAP_UD:
		if (ud_instruction(s, out))
			return SYSTEM_EXIT_MODULE;
		*eventinj = system_eventinj(
			X86_TRAP_UD | INTR_TYPE_HARD_EXCEPTION | INTR_INFO_VALID, 0);
		return SYSTEM_EXIT_REINJECT;
	default:
		break;
	}
	if (c >= SVM_EXIT_EXCP_BASE && c < SVM_EXIT_EXCP_BASE + 32) {
		unsigned int v = (unsigned int)(c - SVM_EXIT_EXCP_BASE);

		out->reason = EXIT_REASON_EXCEPTION_NMI;
		out->intr_info = v | INTR_TYPE_HARD_EXCEPTION | INTR_INFO_VALID;
		if (vector_has_error(v)) {
			out->intr_info |= INTR_INFO_ERROR_VALID;
			out->intr_error = (uint32_t)s->info1;
		}
		if (v == X86_TRAP_PF)
			out->qual = s->info2; /* CR2, as VMX reports it */
		return SYSTEM_EXIT_MODULE;
	}
	if (c < SVM_EXIT_WRITE_CR0 + 16)
		return cr_access(s, out);
	if (c >= SVM_EXIT_READ_DR0 && c < SVM_EXIT_WRITE_DR0 + 8)
		return dr_access(s, out);

	struct {
		uint64_t code;
		uint32_t reason;
		const uint8_t *op;
		unsigned int len;
	} insns[] = {
		{SVM_EXIT_CPUID, EXIT_REASON_CPUID, op_cpuid, 2},
		{SVM_EXIT_HLT, EXIT_REASON_HLT, op_hlt, 1},
		{SVM_EXIT_INVD, EXIT_REASON_INVD, op_invd, 2},
		{SVM_EXIT_WBINVD, EXIT_REASON_WBINVD, op_wbinvd, 2},
		{SVM_EXIT_RDPMC, EXIT_REASON_RDPMC, op_rdpmc, 2},
		{SVM_EXIT_RDTSC, EXIT_REASON_RDTSC, op_rdtsc, 2},
		{SVM_EXIT_RDTSCP, EXIT_REASON_RDTSCP, op_rdtscp, 3},
		{SVM_EXIT_MONITOR, EXIT_REASON_MONITOR_INSTRUCTION, op_monitor, 3},
		{SVM_EXIT_MWAIT, EXIT_REASON_MWAIT_INSTRUCTION, op_mwait, 3},
		{SVM_EXIT_MWAIT_COND, EXIT_REASON_MWAIT_INSTRUCTION, op_mwait, 3},
		{SVM_EXIT_XSETBV, EXIT_REASON_XSETBV, op_xsetbv, 3},
		{SVM_EXIT_PAUSE, EXIT_REASON_PAUSE_INSTRUCTION, op_pause, 1}, /* F3 is a prefix */
		{SVM_EXIT_VMMCALL, EXIT_REASON_VMCALL, op_vmmcall, 3},
	};
	for (unsigned int i = 0; i < sizeof(insns) / sizeof(insns[0]); i++) {
		if (insns[i].code == c) {
			out->reason = insns[i].reason;
			out->insn_len = length_of(s, insns[i].op, insns[i].len);
			return SYSTEM_EXIT_MODULE;
		}
	}
	return SYSTEM_EXIT_UNKNOWN;
}

uint64_t system_eventinj(uint32_t intr_info, uint32_t error_code)
{
	uint64_t type;

	if (!(intr_info & INTR_INFO_VALID))
		return 0;
	switch (intr_info & INTR_INFO_TYPE_MASK) {
	case INTR_TYPE_EXT_INTR:
		type = SVM_EVTINJ_TYPE_INTR;
		break;
	case INTR_TYPE_NMI:
		type = SVM_EVTINJ_TYPE_NMI;
		break;
	case INTR_TYPE_SOFT_INTR:
		type = SVM_EVTINJ_TYPE_SOFT;
		break;
	default: /* hardware, privileged-software (INT1) and software (INT3, INTO) exceptions */
		type = SVM_EVTINJ_TYPE_EXEPT;
		break;
	}
	return (intr_info & INTR_INFO_VECTOR_MASK) | type | SVM_EVTINJ_VALID |
	       (intr_info & INTR_INFO_ERROR_VALID
			? SVM_EVTINJ_VALID_ERR | (uint64_t)error_code << 32
			: 0);
}

uint32_t system_idt_vectoring(uint64_t exitintinfo, uint32_t *error)
{
	uint32_t info, type = (uint32_t)(exitintinfo >> 8) & 7;

	*error = 0;
	if (!(exitintinfo & SVM_EVTINJ_VALID))
		return 0;
	info = (uint32_t)(exitintinfo & 0xFF) | INTR_INFO_VALID;
	switch (type) {
	case 0:
		info |= INTR_TYPE_EXT_INTR;
		break;
	case 2:
		info |= INTR_TYPE_NMI;
		break;
	case 4:
		info |= INTR_TYPE_SOFT_INTR;
		break;
	default:
		info |= INTR_TYPE_HARD_EXCEPTION;
		break;
	}
	if (exitintinfo & SVM_EVTINJ_VALID_ERR) {
		info |= INTR_INFO_ERROR_VALID;
		*error = (uint32_t)(exitintinfo >> 32);
	}
	return info;
}

/* The guest-physical address of gla, or ~0 when a level is not present. */
static uint64_t walk(uint64_t cr3, uint64_t gla, void *(*gpa_to_host)(void *, uint64_t), void *arg)
{
	uint64_t table = cr3 & NPT_ADDR, e;
	int shift = 39;

	for (int level = 4; level >= 1; level--, shift -= 9) {
		const uint8_t *p = gpa_to_host(arg, table + ((gla >> shift) & 511) * 8);

		if (!p)
			return ~0ULL;
		memcpy(&e, p, 8);
		if (!(e & NPT_P))
			return ~0ULL;
		if (level == 1 || ((level == 2 || level == 3) && (e & NPT_PS))) {
			uint64_t size = 1ULL << shift;

			return ((e & NPT_ADDR) & ~(size - 1)) | (gla & (size - 1));
		}
		table = e & NPT_ADDR;
	}
	return ~0ULL;
}

unsigned int system_guest_read(uint64_t cr0, uint64_t cr3, uint64_t efer, uint64_t gla, void *buf,
			       unsigned int len, void *(*gpa_to_host)(void *arg, uint64_t gpa),
			       void *arg)
{
	bool paging = (cr0 & (1ULL << 31)) && (efer & (1ULL << 10));
	unsigned int done = 0;

	while (done < len) {
		uint64_t a = gla + done, gpa = paging ? walk(cr3, a, gpa_to_host, arg) : a;
		unsigned int n = 4096 - (unsigned int)(a & 4095);
		const uint8_t *p;

		if (gpa == ~0ULL)
			break;
		p = gpa_to_host(arg, gpa);
		if (!p)
			break;
		if (n > len - done)
			n = len - done;
		memcpy((uint8_t *)buf + done, p, n);
		done += n;
	}
	return done;
}
