// SPDX-License-Identifier: MIT
/*
 * The rules by which the guest MMIO decoder and Zydis must agree (64-bit mode), shared by the
 * differential test (test_insn_zydis.c) and the fuzzer (fuzz/fuzz_insn_decode.c):
 *  - if we accept, Zydis must decode the same instruction: same length, mnemonic, memory
 *    operand (size, direction, base, index, scale, displacement, address size, FS/GS),
 *    register (number, high byte, size, direction) and immediate;
 *  - if we reject and Zydis decodes one of our opcodes with a memory operand, the reason must
 *    be one we chose on purpose: INSN_ERR_REP (F2, or F3 on a load: reserved encodings Zydis
 *    decodes and ignores) or INSN_ERR_STRING (MOVS);
 *  - TRUNCATED, TOO_LONG and LOCK must be rejections for Zydis too, and a register operand
 *    must have no memory operand for Zydis.
 */
#include "insn_oracle.h"

static ZydisDecoder zd;
static bool zd_ready;
struct insn_oracle_stats insn_oracle_st;
#define st insn_oracle_st

#define CHECK(cond, why)                                                                           \
	do {                                                                                       \
		if (!(cond))                                                                       \
			return why;                                                                \
	} while (0)

int insn_oracle_init(void)
{
	if (!zd_ready &&
	    ZYAN_SUCCESS(ZydisDecoderInit(&zd, ZYDIS_MACHINE_MODE_LONG_64, ZYDIS_STACK_WIDTH_64)))
		zd_ready = true;
	return zd_ready ? 0 : -1;
}

/* Our register number for a Zydis GPR, and whether it is AH..BH. */
static int zreg_num(ZydisRegister r, bool *high)
{
	*high = false;
	if (r >= ZYDIS_REGISTER_AH && r <= ZYDIS_REGISTER_BH) {
		*high = true;
		return r - ZYDIS_REGISTER_AH;
	}
	r = ZydisRegisterGetLargestEnclosing(ZYDIS_MACHINE_MODE_LONG_64, r);
	if (r < ZYDIS_REGISTER_RAX || r > ZYDIS_REGISTER_R15)
		return -2;
	return r - ZYDIS_REGISTER_RAX;
}

/* Is this Zydis decode one of the opcodes we accept, used with a memory operand? */
static bool zydis_is_our_form(const ZydisDecodedInstruction *zi, const ZydisDecodedOperand *zo)
{
	bool opcode_ours = false, has_mem = false;

	if (zi->opcode_map == ZYDIS_OPCODE_MAP_DEFAULT) {
		switch (zi->opcode) {
		case 0x88:
		case 0x89:
		case 0x8a:
		case 0x8b:
		case 0xc6:
		case 0xc7:
		case 0xa0:
		case 0xa1:
		case 0xa2:
		case 0xa3:
		case 0xa4:
		case 0xa5:
			opcode_ours = zi->encoding == ZYDIS_INSTRUCTION_ENCODING_LEGACY;
			break;
		}
	} else if (zi->opcode_map == ZYDIS_OPCODE_MAP_0F) {
		switch (zi->opcode) {
		case 0xb6:
		case 0xb7:
		case 0xbe:
		case 0xbf:
			opcode_ours = true;
			break;
		}
	}
	for (int i = 0; i < zi->operand_count_visible; i++)
		if (zo[i].type == ZYDIS_OPERAND_TYPE_MEMORY)
			has_mem = true;
	return opcode_ours && has_mem;
}

/*
 * The encodings Zydis 4.0 gets wrong (issue 592): 67h, REX.B, ModRM mod 00 rm 100, SIB base
 * 101. Found from the bytes: skip the prefixes, the opcode, and look at ModRM and SIB.
 */
static bool zydis_bug_592(const uint8_t *buf, const struct insn_mmio *in)
{
	size_t i = 0;
	uint8_t modrm, sib;

	if (in->mem.addr_size != 4 || !(in->rex & 0x01) || in->mem.moffs)
		return false;
	while (i < in->len && (buf[i] == 0x66 || buf[i] == 0x67 || buf[i] == 0xf0 ||
			       buf[i] == 0xf2 || buf[i] == 0xf3 || (buf[i] & 0xe7) == 0x26 ||
			       buf[i] == 0x64 || buf[i] == 0x65 || (buf[i] & 0xf0) == 0x40))
		i++;
	i += buf[i] == 0x0f ? 2 : 1;
	if (i + 1 >= in->len)
		return false;
	modrm = buf[i];
	sib = buf[i + 1];
	return (modrm & 0xc7) == 0x04 && (sib & 7) == 5;
}

static uint64_t mask(unsigned int bytes)
{
	return bytes >= 8 ? ~0ULL : (1ULL << (8 * bytes)) - 1;
}

static const char *check_agree(const uint8_t *buf, const struct insn_mmio *in,
			       const ZydisDecodedInstruction *zi, const ZydisDecodedOperand *zo)
{
	const ZydisDecodedOperand *mem = NULL, *reg = NULL, *imm = NULL;
	bool store = in->kind == INSN_MMIO_WRITE || in->kind == INSN_MMIO_WRITE_IMM;
	ZydisMnemonic want = ZYDIS_MNEMONIC_MOV;
	bool high;

	if (in->kind == INSN_MMIO_READ_ZERO_EXTEND)
		want = ZYDIS_MNEMONIC_MOVZX;
	if (in->kind == INSN_MMIO_READ_SIGN_EXTEND)
		want = ZYDIS_MNEMONIC_MOVSX;

	CHECK(zi->length == in->len, "length");
	CHECK(zi->mnemonic == want, "mnemonic");
	CHECK(zi->address_width == in->mem.addr_size * 8, "address size");
	CHECK(!(zi->attributes & ZYDIS_ATTRIB_HAS_LOCK), "lock");

	for (int i = 0; i < zi->operand_count_visible; i++) {
		switch (zo[i].type) {
		case ZYDIS_OPERAND_TYPE_MEMORY:
			CHECK(!mem, "two memory operands");
			mem = &zo[i];
			break;
		case ZYDIS_OPERAND_TYPE_REGISTER:
			CHECK(!reg, "two register operands");
			reg = &zo[i];
			break;
		case ZYDIS_OPERAND_TYPE_IMMEDIATE:
			imm = &zo[i];
			break;
		default:
			CHECK(false, "unexpected operand type");
		}
	}

	/* Memory operand: size, direction, addressing. */
	CHECK(mem, "no memory operand");
	CHECK(mem->size == in->size * 8, "access size");
	if (store)
		CHECK(mem->actions == ZYDIS_OPERAND_ACTION_WRITE, "direction (store)");
	else
		CHECK(mem->actions == ZYDIS_OPERAND_ACTION_READ, "direction (load)");
	if (in->mem.rip_relative) {
		CHECK(mem->mem.base ==
			      (in->mem.addr_size == 4 ? ZYDIS_REGISTER_EIP : ZYDIS_REGISTER_RIP),
		      "rip-relative base");
	} else if (in->mem.base == INSN_NO_REG && !zydis_bug_592(buf, in)) {
		CHECK(mem->mem.base == ZYDIS_REGISTER_NONE, "no base");
	} else if (!zydis_bug_592(buf, in)) {
		CHECK(zreg_num(mem->mem.base, &high) == in->mem.base, "base");
		CHECK(ZydisRegisterGetWidth(ZYDIS_MACHINE_MODE_LONG_64, mem->mem.base) ==
			      in->mem.addr_size * 8,
		      "base width");
	}
	if (in->mem.index == INSN_NO_REG) {
		CHECK(mem->mem.index == ZYDIS_REGISTER_NONE, "no index");
	} else {
		CHECK(zreg_num(mem->mem.index, &high) == in->mem.index, "index");
		CHECK(mem->mem.scale == in->mem.scale, "scale");
	}
	if (zydis_bug_592(buf, in)) {
		/*
		 * Zydis 4.0 (zyantific/zydis#592, fixed after 4.0 by #593): with 67h and REX.B,
		 * SIB base 101 and mod 00 is decoded as [r13d] and the disp32 dropped; the CPU
		 * ignores REX.B there and uses [disp32]. Check that we take the SDM form.
		 */
		CHECK(mem->mem.base == ZYDIS_REGISTER_R13D, "Zydis bug 592 expected");
		CHECK(in->mem.base == INSN_NO_REG, "SIB base 101, mod 00: no base");
		st.zydis_bug_592++;
		return NULL;
	}
	CHECK((uint64_t)mem->mem.disp.value == (uint64_t)in->mem.disp ||
		      (in->mem.moffs && in->mem.addr_size == 4 &&
		       ((uint64_t)mem->mem.disp.value & 0xffffffff) == (uint64_t)in->mem.disp),
	      "displacement");
	/* In 64-bit mode only FS and GS matter; the others may be reported as DS/SS. */
	CHECK((mem->mem.segment == ZYDIS_REGISTER_FS) == (in->mem.seg == INSN_SEG_FS), "FS");
	CHECK((mem->mem.segment == ZYDIS_REGISTER_GS) == (in->mem.seg == INSN_SEG_GS), "GS");

	/* Register operand. */
	if (in->kind == INSN_MMIO_WRITE_IMM) {
		CHECK(!reg, "register in MOV m,imm");
		CHECK(imm, "no immediate");
		CHECK((imm->imm.value.u & mask(in->size)) == in->imm, "immediate");
	} else {
		CHECK(reg && !imm, "register operand");
		CHECK(zreg_num(reg->reg.value, &high) == in->reg, "register number");
		CHECK(high == in->reg_high, "high-byte register");
		CHECK(ZydisRegisterGetWidth(ZYDIS_MACHINE_MODE_LONG_64, reg->reg.value) ==
			      in->op_size * 8,
		      "register size");
		CHECK(reg->actions ==
			      (store ? ZYDIS_OPERAND_ACTION_READ : ZYDIS_OPERAND_ACTION_WRITE),
		      "register direction");
	}
	if (in->xrelease)
		CHECK(zi->attributes & (ZYDIS_ATTRIB_HAS_XRELEASE | ZYDIS_ATTRIB_HAS_REP),
		      "xrelease");
	return NULL;
}

/* Decode buf[0..n) with both; check the rules in the header comment. */
const char *insn_oracle_compare(const uint8_t *buf, size_t n, enum insn_err *errp,
				struct insn_mmio *inp)
{
	ZydisDecodedOperand zo[ZYDIS_MAX_OPERAND_COUNT];
	ZydisDecodedInstruction zi;
	struct insn_mmio in = {0};
	const char *why;
	enum insn_err err;
	ZyanStatus zs;
	bool zok, ours;

	st.compared++;
	err = insn_decode_mmio(buf, n, &in);
	zs = ZydisDecoderDecodeFull(&zd, buf, n, &zi, zo);
	zok = ZYAN_SUCCESS(zs);
	ours = zok && zydis_is_our_form(&zi, zo);
	if (errp)
		*errp = err;
	if (inp)
		*inp = in;

	switch (err) {
	case INSN_OK:
		CHECK(zok, "Zydis rejects what we accept");
		why = check_agree(buf, &in, &zi, zo);
		if (!why)
			st.agreed++;
		return why;
	case INSN_ERR_TRUNCATED:
		CHECK(!zok, "we need more bytes, Zydis does not");
		st.truncated++;
		return NULL;
	case INSN_ERR_TOO_LONG:
		CHECK(!zok, "over 15 bytes for us, not for Zydis");
		st.too_long++;
		return NULL;
	case INSN_ERR_LOCK:
		CHECK(!zok, "Zydis accepts LOCK MOV");
		st.lock++;
		return NULL;
	case INSN_ERR_REG_OPERAND:
		CHECK(!ours, "Zydis sees a memory operand");
		st.regop++;
		return NULL;
	case INSN_ERR_REP:
		CHECK(ours, "REP rejection of something that is not our form");
		st.ours_rep++;
		return NULL;
	case INSN_ERR_STRING:
		CHECK(!zok || zi.mnemonic == ZYDIS_MNEMONIC_MOVSB ||
			      zi.mnemonic == ZYDIS_MNEMONIC_MOVSW ||
			      zi.mnemonic == ZYDIS_MNEMONIC_MOVSD ||
			      zi.mnemonic == ZYDIS_MNEMONIC_MOVSQ,
		      "MOVS rejection of something that is not MOVS");
		st.ours_string++;
		return NULL;
	default:
		CHECK(!ours, "Zydis decodes an MMIO form we call unknown");
		if (zok)
			st.zydis_other++;
		else
			st.both_reject++;
		return NULL;
	}
}