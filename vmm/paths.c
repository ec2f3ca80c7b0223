// SPDX-License-Identifier: MIT
/*
 * The paths of a TD's port I/O and MMIO (cfg.io_paths, tdxsim/vmm.h vmm_td_paths): which
 * TDVMCALLs follow a #VE the module delivered for the same access, with the #VE handler the
 * guest had then and the instruction at the #VE's RIP. The facts come from the module's
 * trace hooks (vcpu.c): each #VE with where it happened, each TDG.VP.VEINFO.GET, and the
 * TDVMCALL's own TD exit. All three happen on the vCPU's LP, in that order, so a vCPU's
 * ve_seen needs no lock; the counts are shared by the vCPUs (paths_lock).
 */
#include <Zydis/Zydis.h>
#include <stdio.h>
#include <string.h>

#include "module/tdx_module.h"
#include "tdx/ghci.h"
#include "vmm_internal.h"

/* I/O exit qualification [SDM vol. 3C 28.2.1, Table 28-5]: size - 1, IN, string, port. */
#define IO_QUAL_SIZE(q) ((unsigned int)((q)&7) + 1)
#define IO_QUAL_IN	(1ULL << 3)
#define IO_QUAL_PORT(q) ((uint16_t)((q) >> 16))
#define IO_QUAL_STRING	(1ULL << 4)

void vmm_paths_ve(struct vmm_vcpu *vc, uint32_t reason, uint64_t qual, uint64_t gpa,
		  const struct tdx_trace_ve_where *where)
{
	struct vmm_td *td = vc->td;

	vc->ve_seen = (struct vmm_ve_seen){.valid = true,
					   .reason = reason,
					   .qual = qual,
					   .gpa = gpa & ~td->shared_bit,
					   .handler = where->handler,
					   .handler_19 = where->handler_19,
					   .insn_bytes = where->insn_bytes};
	memcpy(vc->ve_seen.insn, where->insn, where->insn_bytes);
	pthread_mutex_lock(&td->paths_lock);
	if (reason < VMM_EXIT_REASONS)
		td->paths.ves[reason]++;
	else
		td->paths.ves_other++;
	pthread_mutex_unlock(&td->paths_lock);
}

void vmm_paths_veinfo_get(struct vmm_vcpu *vc)
{
	vc->ve_seen.read = true;
}

/*
 * An instruction in operand form: the mnemonic, then each explicit operand as r8..r64 (a
 * general register; other registers by name), [m8]..[m64] or imm8..imm64: "mov r32,[m32]",
 * "movzx r32,[m8]", "mov [m32],imm32". "?" when the bytes decode to nothing.
 */
void vmm_insn_form(const uint8_t *bytes, unsigned int n, char *buf, size_t len)
{
	ZydisDecoder dec;
	ZydisDecodedInstruction in;
	ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];
	size_t off;

	snprintf(buf, len, "?");
	if (ZYAN_FAILED(ZydisDecoderInit(&dec, ZYDIS_MACHINE_MODE_LONG_64, ZYDIS_STACK_WIDTH_64)) ||
	    ZYAN_FAILED(ZydisDecoderDecodeFull(&dec, bytes, n, &in, ops)))
		return;
	off = (size_t)snprintf(buf, len, "%s", ZydisMnemonicGetString(in.mnemonic));
	for (unsigned int i = 0; i < in.operand_count_visible && off < len; i++) {
		const ZydisDecodedOperand *o = &ops[i];
		const char *sep = i ? "," : " ";
		ZydisRegisterClass rc;

		switch (o->type) {
		case ZYDIS_OPERAND_TYPE_REGISTER:
			rc = ZydisRegisterGetClass(o->reg.value);
			if (rc == ZYDIS_REGCLASS_GPR8 || rc == ZYDIS_REGCLASS_GPR16 ||
			    rc == ZYDIS_REGCLASS_GPR32 || rc == ZYDIS_REGCLASS_GPR64)
				off += (size_t)snprintf(buf + off, len - off, "%sr%u", sep,
							o->size);
			else
				off += (size_t)snprintf(buf + off, len - off, "%s%s", sep,
							ZydisRegisterGetString(o->reg.value));
			break;
		case ZYDIS_OPERAND_TYPE_MEMORY:
			off += (size_t)snprintf(buf + off, len - off, "%s[m%u]", sep, o->size);
			break;
		case ZYDIS_OPERAND_TYPE_IMMEDIATE:
			off += (size_t)snprintf(buf + off, len - off, "%simm%u", sep, o->size);
			break;
		default:
			off += (size_t)snprintf(buf + off, len - off, "%s?", sep);
			break;
		}
	}
}

/* The #VE seen before this TDVMCALL, when it was for this port access and was read. */
static bool io_was_ved(const struct vmm_ve_seen *s, uint16_t port, unsigned int size, bool write)
{
	return s->valid && s->read && s->reason == EXIT_REASON_IO_INSTRUCTION &&
	       !(s->qual & IO_QUAL_STRING) && IO_QUAL_PORT(s->qual) == port &&
	       IO_QUAL_SIZE(s->qual) == size && !(s->qual & IO_QUAL_IN) == write;
}

static void count_io(struct vmm_td *td, const struct vmm_io_path *p)
{
	struct vmm_paths *ps = &td->paths;
	unsigned int i;

	for (i = 0; i < ps->nr_io; i++) {
		const struct vmm_io_path *q = &ps->io[i];

		if (q->port == p->port && q->size == p->size && q->write == p->write &&
		    q->ve == p->ve && q->handler == p->handler && q->handler_19 == p->handler_19)
			break;
	}
	if (i == ps->nr_io && ps->nr_io == VMM_MAX_IO_PATHS) {
		ps->io_other++;
		return;
	}
	if (i == ps->nr_io)
		ps->io[ps->nr_io++] = *p;
	ps->io[i].count++;
}

static void count_mmio(struct vmm_td *td, const struct vmm_mmio_path *p)
{
	struct vmm_paths *ps = &td->paths;
	unsigned int i;

	for (i = 0; i < ps->nr_mmio; i++) {
		const struct vmm_mmio_path *q = &ps->mmio[i];

		if (!strcmp(q->insn, p->insn) && q->size == p->size && q->write == p->write &&
		    q->ve == p->ve && q->handler == p->handler && q->handler_19 == p->handler_19)
			break;
	}
	if (i == ps->nr_mmio && ps->nr_mmio == VMM_MAX_MMIO_INSN) {
		ps->mmio_other++;
		return;
	}
	if (i == ps->nr_mmio)
		ps->mmio[ps->nr_mmio++] = *p;
	ps->mmio[i].count++;
}

static void tdvmcall_io(struct vmm_vcpu *vc, const struct tdx_module_args *a)
{
	struct vmm_io_path p = {.port = (uint16_t)a->r14,
				.size = (uint8_t)a->r12,
				.write = a->r13 == TDVMCALL_IO_WRITE};

	if (a->r14 > 0xFFFF || a->r12 > 8)
		return; /* refused by tdvmcall.c; not an access */
	p.ve = io_was_ved(&vc->ve_seen, p.port, p.size, p.write);
	if (p.ve) {
		p.handler = vc->ve_seen.handler;
		p.handler_19 = vc->ve_seen.handler_19;
		vc->ve_seen.valid = false;
	}
	pthread_mutex_lock(&vc->td->paths_lock);
	count_io(vc->td, &p);
	pthread_mutex_unlock(&vc->td->paths_lock);
}

static void tdvmcall_mmio(struct vmm_vcpu *vc, const struct tdx_module_args *a)
{
	const struct vmm_ve_seen *s = &vc->ve_seen;
	struct vmm_mmio_path p = {.size = (uint8_t)a->r12, .write = a->r13 == TDVMCALL_IO_WRITE};

	if (a->r12 > 8)
		return;
	p.ve = s->valid && s->read && s->reason == EXIT_REASON_EPT_VIOLATION &&
	       s->gpa == (a->r14 & ~vc->td->shared_bit);
	if (p.ve) {
		p.handler = s->handler;
		p.handler_19 = s->handler_19;
		vmm_insn_form(s->insn, s->insn_bytes, p.insn, sizeof(p.insn));
		vc->ve_seen.valid = false;
	}
	pthread_mutex_lock(&vc->td->paths_lock);
	count_mmio(vc->td, &p);
	pthread_mutex_unlock(&vc->td->paths_lock);
}

void vmm_paths_tdvmcall(struct vmm_vcpu *vc, const struct tdx_module_args *a)
{
	if (a->r10)
		return; /* a vendor-specific TDVMCALL */
	if (a->r11 == TDVMCALL_INSTRUCTION_IO)
		tdvmcall_io(vc, a);
	else if (a->r11 == TDVMCALL_VE_REQUEST_MMIO)
		tdvmcall_mmio(vc, a);
}

void vmm_td_paths(const struct vmm_td *td, struct vmm_paths *out)
{
	struct vmm_td *t = (struct vmm_td *)td; /* the lock only */

	pthread_mutex_lock(&t->paths_lock);
	*out = td->paths;
	pthread_mutex_unlock(&t->paths_lock);
}

/* --trace: the counts as JSON lines at the end of a run (docs/VMM.md "--trace"). */
void vmm_paths_trace(struct vmm_td *td)
{
	struct vmm_paths *ps = &td->paths;

	pthread_mutex_lock(&td->paths_lock);
	for (unsigned int i = 0; i < ps->nr_io; i++)
		vmm_trace(td,
			  "\"io_path\":\"%s\",\"handler\":\"0x%llx\",\"handler_19\":\"0x%llx\","
			  "\"port\":\"0x%x\",\"size\":%u,"
			  "\"dir\":\"%s\",\"count\":%llu",
			  ps->io[i].ve ? "ve" : "tdvmcall", (unsigned long long)ps->io[i].handler,
			  (unsigned long long)ps->io[i].handler_19, ps->io[i].port, ps->io[i].size,
			  ps->io[i].write ? "out" : "in", (unsigned long long)ps->io[i].count);
	for (unsigned int i = 0; i < ps->nr_mmio; i++)
		vmm_trace(td,
			  "\"mmio_path\":\"%s\",\"handler\":\"0x%llx\",\"handler_19\":\"0x%llx\","
			  "\"insn\":\"%s\",\"size\":%u,"
			  "\"dir\":\"%s\",\"count\":%llu",
			  ps->mmio[i].ve ? "ve" : "tdvmcall",
			  (unsigned long long)ps->mmio[i].handler,
			  (unsigned long long)ps->mmio[i].handler_19, ps->mmio[i].insn,
			  ps->mmio[i].size, ps->mmio[i].write ? "write" : "read",
			  (unsigned long long)ps->mmio[i].count);
	for (unsigned int r = 0; r < VMM_EXIT_REASONS; r++) {
		const char *name = vmm_exit_reason_name(r);

		if (ps->ves[r])
			vmm_trace(td, "\"ves_by_reason\":\"%s\",\"reason\":%u,\"count\":%llu",
				  name ? name : "other", r, (unsigned long long)ps->ves[r]);
	}
	pthread_mutex_unlock(&td->paths_lock);
}
