// SPDX-License-Identifier: MIT
/*
 * Classification of the instruction a guest trapped on. The hardware of a real TD reports
 * the exit reason and qualification itself; here the instruction at RIP is decoded to
 * reconstruct the same facts (the exit reason, the I/O qualification, the length). Only
 * instruction exits decode: an EPT violation reports what the fault says.
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

/* IN/OUT/INS/OUTS: the I/O exit qualification [SDM vol. 3C table 28-5]. */
static uint64_t io_qualification(const struct cpu_regs *ctx, const ZydisDecodedInstruction *in,
				 const ZydisDecodedOperand *ops)
{
	bool is_in = in->mnemonic == ZYDIS_MNEMONIC_IN || in->mnemonic == ZYDIS_MNEMONIC_INSB ||
		     in->mnemonic == ZYDIS_MNEMONIC_INSW || in->mnemonic == ZYDIS_MNEMONIC_INSD;
	bool string = in->mnemonic != ZYDIS_MNEMONIC_IN && in->mnemonic != ZYDIS_MNEMONIC_OUT;
	bool rep = (in->attributes & ZYDIS_ATTRIB_HAS_REP) != 0;
	/* The data size is that of the accumulator or string element, never the port's. */
	unsigned int size = in->operand_width / 8;
	uint16_t port = (uint16_t)ctx->gpr[REG_RDX_];
	bool imm = false;

	if (in->mnemonic == ZYDIS_MNEMONIC_INSB || in->mnemonic == ZYDIS_MNEMONIC_OUTSB)
		size = 1;
	for (unsigned int i = 0; i < in->operand_count_visible; i++) {
		if (ops[i].type == ZYDIS_OPERAND_TYPE_IMMEDIATE) {
			imm = true;
			port = (uint16_t)ops[i].imm.value.u;
		} else if (ops[i].type == ZYDIS_OPERAND_TYPE_REGISTER &&
			   ops[i].reg.value != ZYDIS_REGISTER_DX && size == 0) {
			size = ops[i].size / 8;
		}
	}
	return tdx_io_qual_make(size, is_in, string, rep, imm, port);
}

/*
 * Instructions that cause a VM exit in a TD, by the exit reason the CPU reports for them
 * [SDM vol. 3C 26.1.2, 26.1.3], I/O aside.
 */
static const struct {
	ZydisMnemonic m;
	uint32_t reason;
} exit_insns[] = {
	{ZYDIS_MNEMONIC_HLT, EXIT_REASON_HLT},
	{ZYDIS_MNEMONIC_RDMSR, EXIT_REASON_MSR_READ},
	{ZYDIS_MNEMONIC_WRMSR, EXIT_REASON_MSR_WRITE},
	{ZYDIS_MNEMONIC_CPUID, EXIT_REASON_CPUID},
	{ZYDIS_MNEMONIC_TDCALL, EXIT_REASON_TDCALL},
	{ZYDIS_MNEMONIC_SEAMCALL, EXIT_REASON_SEAMCALL},
	{ZYDIS_MNEMONIC_INVD, EXIT_REASON_INVD},
	{ZYDIS_MNEMONIC_WBINVD, EXIT_REASON_WBINVD},
	{ZYDIS_MNEMONIC_MWAIT, EXIT_REASON_MWAIT_INSTRUCTION},
	{ZYDIS_MNEMONIC_MONITOR, EXIT_REASON_MONITOR_INSTRUCTION},
	{ZYDIS_MNEMONIC_VMCALL, EXIT_REASON_VMCALL},
	{ZYDIS_MNEMONIC_PCONFIG, EXIT_REASON_PCONFIG},
	{ZYDIS_MNEMONIC_XSETBV, EXIT_REASON_XSETBV},
	{ZYDIS_MNEMONIC_VMLAUNCH, EXIT_REASON_VMLAUNCH},
	{ZYDIS_MNEMONIC_VMRESUME, EXIT_REASON_VMRESUME},
	{ZYDIS_MNEMONIC_VMXON, EXIT_REASON_VMON},
	{ZYDIS_MNEMONIC_VMXOFF, EXIT_REASON_VMOFF},
	{ZYDIS_MNEMONIC_VMREAD, EXIT_REASON_VMREAD},
	{ZYDIS_MNEMONIC_VMWRITE, EXIT_REASON_VMWRITE},
	{ZYDIS_MNEMONIC_VMPTRLD, EXIT_REASON_VMPTRLD},
	{ZYDIS_MNEMONIC_VMPTRST, EXIT_REASON_VMPTRST},
	{ZYDIS_MNEMONIC_VMCLEAR, EXIT_REASON_VMCLEAR},
	{ZYDIS_MNEMONIC_INVEPT, EXIT_REASON_INVEPT},
	{ZYDIS_MNEMONIC_INVVPID, EXIT_REASON_INVVPID},
	{ZYDIS_MNEMONIC_VMFUNC, EXIT_REASON_VMFUNC},
	{ZYDIS_MNEMONIC_GETSEC, EXIT_REASON_GETSEC},
	{ZYDIS_MNEMONIC_RSM, EXIT_REASON_RSM},
	{ZYDIS_MNEMONIC_ENCLS, EXIT_REASON_ENCLS},
	{ZYDIS_MNEMONIC_ENCLV, EXIT_REASON_ENCLV},
};

/*
 * Decode the instruction at ctx->rip from `bytes` (avail readable bytes). An instruction a TD
 * exits on fills exit (reason, insn_len, the I/O qualification) and gives DECODE_EXIT; one
 * that raises #UD in a TD without an exit (ENCLU, SEAMOPS, SEAMRET) DECODE_UD; anything
 * else DECODE_OTHER; bytes that do not decode -1.
 */
int decode_guest_insn(const struct cpu_regs *ctx, struct vm_exit *exit, const uint8_t *bytes,
		      size_t avail)
{
	ZydisDecodedInstruction in;
	ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];

	if (ZYAN_FAILED(ZydisDecoderDecodeFull(&decoder, bytes, avail, &in, ops)))
		return -1;
	switch (in.mnemonic) {
	case ZYDIS_MNEMONIC_IN:
	case ZYDIS_MNEMONIC_OUT:
	case ZYDIS_MNEMONIC_INSB:
	case ZYDIS_MNEMONIC_INSW:
	case ZYDIS_MNEMONIC_INSD:
	case ZYDIS_MNEMONIC_OUTSB:
	case ZYDIS_MNEMONIC_OUTSW:
	case ZYDIS_MNEMONIC_OUTSD:
		exit->reason = EXIT_REASON_IO_INSTRUCTION;
		exit->qual = io_qualification(ctx, &in, ops);
		exit->insn_len = in.length;
		return DECODE_EXIT;
	case ZYDIS_MNEMONIC_ENCLU:
	case ZYDIS_MNEMONIC_SEAMOPS:
	case ZYDIS_MNEMONIC_SEAMRET:
		return DECODE_UD;
	default:
		break;
	}
	for (unsigned int i = 0; i < sizeof(exit_insns) / sizeof(exit_insns[0]); i++) {
		if (exit_insns[i].m == in.mnemonic) {
			exit->reason = exit_insns[i].reason;
			exit->insn_len = in.length;
			return DECODE_EXIT;
		}
	}
	return DECODE_OTHER;
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
