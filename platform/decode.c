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

/*
 * Instructions a TD exits on (or that the module turns into #VE / #UD), with the VMX exit
 * reason the CPU reports for them [SDM vol. 3C appendix C]; instructions without their own
 * exit reason (ENCLS, SEAMOPS, ...) report EXIT_REASON_NONE and the module raises #UD.
 */
#define EXIT_REASON_NONE 0xFFFFFFFFU
static const struct {
	ZydisMnemonic m;
	enum trap_kind kind;
	uint32_t reason;
} exit_insns[] = {
	{ZYDIS_MNEMONIC_HLT, TRAP_HLT, 12},
	{ZYDIS_MNEMONIC_RDMSR, TRAP_RDMSR, 31},
	{ZYDIS_MNEMONIC_WRMSR, TRAP_WRMSR, 32},
	{ZYDIS_MNEMONIC_CPUID, TRAP_CPUID, 10},
	{ZYDIS_MNEMONIC_TDCALL, TRAP_TDCALL, 77},
	{ZYDIS_MNEMONIC_SEAMCALL, TRAP_SEAMCALL, 76},
	{ZYDIS_MNEMONIC_INVD, TRAP_INSN, 13},
	{ZYDIS_MNEMONIC_WBINVD, TRAP_INSN, 54},
	{ZYDIS_MNEMONIC_MWAIT, TRAP_INSN, 36},
	{ZYDIS_MNEMONIC_MONITOR, TRAP_INSN, 39},
	{ZYDIS_MNEMONIC_VMCALL, TRAP_INSN, 18},
	{ZYDIS_MNEMONIC_PCONFIG, TRAP_INSN, 65},
	{ZYDIS_MNEMONIC_XSETBV, TRAP_INSN, 55},
	{ZYDIS_MNEMONIC_VMLAUNCH, TRAP_INSN, 20},
	{ZYDIS_MNEMONIC_VMRESUME, TRAP_INSN, 24},
	{ZYDIS_MNEMONIC_VMXON, TRAP_INSN, 27},
	{ZYDIS_MNEMONIC_VMXOFF, TRAP_INSN, 26},
	{ZYDIS_MNEMONIC_VMREAD, TRAP_INSN, 23},
	{ZYDIS_MNEMONIC_VMWRITE, TRAP_INSN, 25},
	{ZYDIS_MNEMONIC_VMPTRLD, TRAP_INSN, 21},
	{ZYDIS_MNEMONIC_VMPTRST, TRAP_INSN, 22},
	{ZYDIS_MNEMONIC_VMCLEAR, TRAP_INSN, 19},
	{ZYDIS_MNEMONIC_INVEPT, TRAP_INSN, 50},
	{ZYDIS_MNEMONIC_INVVPID, TRAP_INSN, 53},
	{ZYDIS_MNEMONIC_VMFUNC, TRAP_INSN, 59},
	{ZYDIS_MNEMONIC_GETSEC, TRAP_INSN, 11},
	{ZYDIS_MNEMONIC_RSM, TRAP_INSN, 17},
	{ZYDIS_MNEMONIC_ENCLS, TRAP_INSN, EXIT_REASON_NONE},
	{ZYDIS_MNEMONIC_ENCLU, TRAP_INSN, EXIT_REASON_NONE},
	{ZYDIS_MNEMONIC_ENCLV, TRAP_INSN, EXIT_REASON_NONE},
	{ZYDIS_MNEMONIC_SEAMOPS, TRAP_INSN, EXIT_REASON_NONE},
	{ZYDIS_MNEMONIC_SEAMRET, TRAP_INSN, EXIT_REASON_NONE},
};

static enum trap_kind exit_kind(ZydisMnemonic m, uint32_t *reason)
{
	for (unsigned int i = 0; i < sizeof(exit_insns) / sizeof(exit_insns[0]); i++) {
		if (exit_insns[i].m == m) {
			*reason = exit_insns[i].reason;
			return exit_insns[i].kind;
		}
	}
	return TRAP_NONE;
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
		ti->kind = exit_kind(in.mnemonic, &ti->exit_reason);
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
