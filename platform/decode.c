// SPDX-License-Identifier: MIT
/*
 * Classification of the instruction a guest trapped on. The hardware of a real TD reports
 * the exit reason and qualification itself; here the instruction at RIP is decoded to
 * reconstruct the same facts (port, size, direction, string/REP, access size, length).
 */
#include <string.h>

#include <Zydis/Zydis.h>

#include "decode.h"
#include "internal.h"

static ZydisDecoder decoder;
static bool decoder_ready;

/* Called once at boot, before any LP runs: the decoder is read-only afterwards. */
void decode_init(void)
{
	if (decoder_ready)
		return;
	ZydisDecoderInit(&decoder, ZYDIS_MACHINE_MODE_LONG_64, ZYDIS_STACK_WIDTH_64);
	decoder_ready = true;
}

static void classify_io(const struct cpu_regs *ctx, const ZydisDecodedInstruction *in,
			const ZydisDecodedOperand *ops, struct trap_info *ti)
{
	ti->kind = TRAP_IO;
	switch (in->mnemonic) {
	case ZYDIS_MNEMONIC_IN:
	case ZYDIS_MNEMONIC_INSB:
	case ZYDIS_MNEMONIC_INSW:
	case ZYDIS_MNEMONIC_INSD:
		ti->io_in = true;
		break;
	default:
		ti->io_in = false;
	}
	ti->io_string = in->mnemonic != ZYDIS_MNEMONIC_IN && in->mnemonic != ZYDIS_MNEMONIC_OUT;
	ti->io_rep = (in->attributes & ZYDIS_ATTRIB_HAS_REP) != 0;
	/* The data size is that of the accumulator or string element, never the port's. */
	ti->io_size = (uint8_t)(in->operand_width / 8);
	ti->port = (uint16_t)ctx->gpr[REG_RDX_];
	if (in->mnemonic == ZYDIS_MNEMONIC_INSB || in->mnemonic == ZYDIS_MNEMONIC_OUTSB)
		ti->io_size = 1;
	for (unsigned int i = 0; i < in->operand_count_visible; i++) {
		if (ops[i].type == ZYDIS_OPERAND_TYPE_IMMEDIATE) {
			ti->io_imm_port = true;
			ti->port = (uint16_t)ops[i].imm.value.u;
		} else if (ops[i].type == ZYDIS_OPERAND_TYPE_REGISTER &&
			   ops[i].reg.value != ZYDIS_REGISTER_DX && ti->io_size == 0) {
			ti->io_size = (uint8_t)(ops[i].size / 8);
		}
	}
}

static void classify_mem_access(const ZydisDecodedInstruction *in, const ZydisDecodedOperand *ops,
				struct trap_info *ti)
{
	for (unsigned int i = 0; i < in->operand_count; i++) {
		const ZydisDecodedOperand *op = &ops[i];

		if (op->type != ZYDIS_OPERAND_TYPE_MEMORY || op->mem.type == ZYDIS_MEMOP_TYPE_AGEN)
			continue;
		ti->access_size = (uint8_t)(op->size / 8);
		break;
	}
}

/* Instructions a TD exits on (or that the module turns into #VE / #UD). */
static enum trap_kind exit_kind(ZydisMnemonic m)
{
	switch (m) {
	case ZYDIS_MNEMONIC_HLT:
		return TRAP_HLT;
	case ZYDIS_MNEMONIC_RDMSR:
		return TRAP_RDMSR;
	case ZYDIS_MNEMONIC_WRMSR:
		return TRAP_WRMSR;
	case ZYDIS_MNEMONIC_CPUID:
		return TRAP_CPUID;
	case ZYDIS_MNEMONIC_TDCALL:
		return TRAP_TDCALL;
	case ZYDIS_MNEMONIC_SEAMCALL:
		return TRAP_SEAMCALL;
	case ZYDIS_MNEMONIC_INVD:
	case ZYDIS_MNEMONIC_WBINVD:
	case ZYDIS_MNEMONIC_MWAIT:
	case ZYDIS_MNEMONIC_MONITOR:
	case ZYDIS_MNEMONIC_VMCALL:
	case ZYDIS_MNEMONIC_PCONFIG:
	case ZYDIS_MNEMONIC_VMLAUNCH:
	case ZYDIS_MNEMONIC_VMRESUME:
	case ZYDIS_MNEMONIC_VMXON:
	case ZYDIS_MNEMONIC_VMXOFF:
	case ZYDIS_MNEMONIC_VMREAD:
	case ZYDIS_MNEMONIC_VMWRITE:
	case ZYDIS_MNEMONIC_VMPTRLD:
	case ZYDIS_MNEMONIC_VMPTRST:
	case ZYDIS_MNEMONIC_VMCLEAR:
	case ZYDIS_MNEMONIC_INVEPT:
	case ZYDIS_MNEMONIC_INVVPID:
	case ZYDIS_MNEMONIC_VMFUNC:
	case ZYDIS_MNEMONIC_GETSEC:
	case ZYDIS_MNEMONIC_RSM:
	case ZYDIS_MNEMONIC_ENCLS:
	case ZYDIS_MNEMONIC_ENCLU:
	case ZYDIS_MNEMONIC_ENCLV:
	case ZYDIS_MNEMONIC_SEAMOPS:
	case ZYDIS_MNEMONIC_SEAMRET:
		return TRAP_INSN;
	default:
		return TRAP_NONE;
	}
}

/*
 * Decode the instruction at ctx->rip from `bytes` (avail readable bytes). Fills insn_len,
 * mnemonic and, for exit-worthy instructions, kind and its details; memory accesses get
 * access_size. Returns 0, or -1 when the bytes do not decode.
 */
int decode_guest_insn(const struct cpu_regs *ctx, struct trap_info *ti, const uint8_t *bytes,
		      size_t avail)
{
	ZydisDecodedInstruction in;
	ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];

	if (ZYAN_FAILED(ZydisDecoderDecodeFull(&decoder, bytes, avail, &in, ops)))
		return -1;
	ti->insn_len = in.length;
	ti->mnemonic = in.mnemonic;
	switch (in.mnemonic) {
	case ZYDIS_MNEMONIC_IN:
	case ZYDIS_MNEMONIC_OUT:
	case ZYDIS_MNEMONIC_INSB:
	case ZYDIS_MNEMONIC_INSW:
	case ZYDIS_MNEMONIC_INSD:
	case ZYDIS_MNEMONIC_OUTSB:
	case ZYDIS_MNEMONIC_OUTSW:
	case ZYDIS_MNEMONIC_OUTSD:
		classify_io(ctx, &in, ops, ti);
		return 0;
	default:
		break;
	}
	if (ti->kind == TRAP_NONE)
		ti->kind = exit_kind(in.mnemonic);
	classify_mem_access(&in, ops, ti);
	return 0;
}

/* For the virtual-CPU emulation: the operands of MOV CR / LIDT and friends. */
int decode_operands(const uint8_t *bytes, size_t avail, ZydisDecodedInstruction *in,
		    ZydisDecodedOperand *ops)
{
	if (ZYAN_FAILED(ZydisDecoderDecodeFull(&decoder, bytes, avail, in, ops)))
		return -1;
	return 0;
}

/* Zydis register → x86 GPR number (0..15), or -1. */
int zydis_gpr_number(int reg)
{
	ZydisRegister r = (ZydisRegister)reg;
	ZydisRegister l = ZydisRegisterGetLargestEnclosing(ZYDIS_MACHINE_MODE_LONG_64, r);

	if (l >= ZYDIS_REGISTER_RAX && l <= ZYDIS_REGISTER_R15)
		return (int)(l - ZYDIS_REGISTER_RAX);
	return -1;
}
