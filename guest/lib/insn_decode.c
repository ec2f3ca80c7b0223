// SPDX-License-Identifier: MIT
/*
 * MMIO instruction decoder: see tdxguest/insn.h for the accepted forms and why.
 *
 * Written from the Intel SDM Vol. 2 encoding rules (64-bit mode only, since a TD runs its
 * kernel in long mode). Plain C99 with no library calls: the same file builds freestanding
 * for the guest and hosted for the tests.
 */
#include <tdxguest/insn.h>

/* How an opcode names its operands. */
enum op_form {
	FORM_NONE = 0, /* not an MMIO opcode */
	FORM_MODRM,    /* ModRM memory operand, register in ModRM.reg */
	FORM_MODRM_G0, /* ModRM memory operand, ModRM.reg must be 0 (group 11: C6/C7) */
	FORM_MOFFS,    /* absolute moffs, register is AL/rAX */
	FORM_STRING,   /* MOVS: recognised only to be rejected with its own code */
};

/* Size of the memory access. */
enum op_size {
	SZ_BYTE = 1, /* 8-bit, whatever the prefixes */
	SZ_WORD = 2, /* 16-bit (MOVZX/MOVSX m16) */
	SZ_OSZ = 0,  /* operand size: 16 with 66h, 64 with REX.W, else 32 */
};

/* Immediate following the memory operand. */
enum op_imm {
	IMM_NONE = 0,
	IMM_8, /* ib */
	IMM_Z, /* iw with 16-bit operand size, else id (sign-extended to 64 with REX.W) */
};

struct opcode {
	uint8_t form;	  /* enum op_form */
	uint8_t kind;	  /* enum insn_mmio_kind */
	uint8_t msize;	  /* enum op_size: memory access */
	uint8_t rsize;	  /* enum op_size: register operand */
	uint8_t imm;	  /* enum op_imm */
	bool xrelease_ok; /* F3 is XRELEASE here (SDM: only MOV 88/89/C6/C7 to memory) */
};

#define OP(f, k, ms, rs, i, x)                                                                     \
	{                                                                                          \
		.form = (f), .kind = (k), .msize = (ms), .rsize = (rs), .imm = (i),                \
		.xrelease_ok = (x)                                                                 \
	}

/* clang-format off */
/* One-byte opcodes. */
static const struct opcode op1[256] = {
	/*            form           kind                 mem      reg      imm       XRELEASE */
	[0x88] = OP(FORM_MODRM,    INSN_MMIO_WRITE,     SZ_BYTE, SZ_BYTE, IMM_NONE, true),
	[0x89] = OP(FORM_MODRM,    INSN_MMIO_WRITE,     SZ_OSZ,  SZ_OSZ,  IMM_NONE, true),
	[0x8a] = OP(FORM_MODRM,    INSN_MMIO_READ,      SZ_BYTE, SZ_BYTE, IMM_NONE, false),
	[0x8b] = OP(FORM_MODRM,    INSN_MMIO_READ,      SZ_OSZ,  SZ_OSZ,  IMM_NONE, false),
	[0xa0] = OP(FORM_MOFFS,    INSN_MMIO_READ,      SZ_BYTE, SZ_BYTE, IMM_NONE, false),
	[0xa1] = OP(FORM_MOFFS,    INSN_MMIO_READ,      SZ_OSZ,  SZ_OSZ,  IMM_NONE, false),
	[0xa2] = OP(FORM_MOFFS,    INSN_MMIO_WRITE,     SZ_BYTE, SZ_BYTE, IMM_NONE, false),
	[0xa3] = OP(FORM_MOFFS,    INSN_MMIO_WRITE,     SZ_OSZ,  SZ_OSZ,  IMM_NONE, false),
	[0xa4] = OP(FORM_STRING,   INSN_MMIO_NONE,      SZ_BYTE, SZ_BYTE, IMM_NONE, false),
	[0xa5] = OP(FORM_STRING,   INSN_MMIO_NONE,      SZ_OSZ,  SZ_OSZ,  IMM_NONE, false),
	[0xc6] = OP(FORM_MODRM_G0, INSN_MMIO_WRITE_IMM, SZ_BYTE, SZ_BYTE, IMM_8,    true),
	[0xc7] = OP(FORM_MODRM_G0, INSN_MMIO_WRITE_IMM, SZ_OSZ,  SZ_OSZ,  IMM_Z,    true),
};

/* Two-byte opcodes (0F xx). MOVZX/MOVSX: the register is op_size, memory is 8 or 16 bits. */
static const struct opcode op2[256] = {
	/*            form           kind                        mem      reg     imm       XRELEASE */
	[0xb6] = OP(FORM_MODRM,    INSN_MMIO_READ_ZERO_EXTEND, SZ_BYTE, SZ_OSZ, IMM_NONE, false),
	[0xb7] = OP(FORM_MODRM,    INSN_MMIO_READ_ZERO_EXTEND, SZ_WORD, SZ_OSZ, IMM_NONE, false),
	[0xbe] = OP(FORM_MODRM,    INSN_MMIO_READ_SIGN_EXTEND, SZ_BYTE, SZ_OSZ, IMM_NONE, false),
	[0xbf] = OP(FORM_MODRM,    INSN_MMIO_READ_SIGN_EXTEND, SZ_WORD, SZ_OSZ, IMM_NONE, false),
};
/* clang-format on */

/* Legacy prefixes (groups 1-4). REX is handled separately: it must come last. */
enum pfx_class {
	PFX_NONE = 0,
	PFX_OPSIZE,
	PFX_ADSIZE,
	PFX_SEG,
	PFX_LOCK,
	PFX_REPNE,
	PFX_REP,
};

/* clang-format off */
static const uint8_t prefix_class[256] = {
	[0x66] = PFX_OPSIZE,
	[0x67] = PFX_ADSIZE,
	[0x26] = PFX_SEG, [0x2e] = PFX_SEG, [0x36] = PFX_SEG,
	[0x3e] = PFX_SEG, [0x64] = PFX_SEG, [0x65] = PFX_SEG,
	[0xf0] = PFX_LOCK,
	[0xf2] = PFX_REPNE,
	[0xf3] = PFX_REP,
};

static const uint8_t prefix_seg[256] = {
	[0x26] = INSN_SEG_ES, [0x2e] = INSN_SEG_CS, [0x36] = INSN_SEG_SS,
	[0x3e] = INSN_SEG_DS, [0x64] = INSN_SEG_FS, [0x65] = INSN_SEG_GS,
};
/* clang-format on */

#define REX_W 0x08
#define REX_R 0x04
#define REX_X 0x02
#define REX_B 0x01

/*
 * A switch rather than a table of pointers: string addresses taken with RIP-relative LEA need
 * no load-time relocation, which a freestanding PIE guest may not perform.
 */
const char *insn_strerror(enum insn_err err)
{
	switch (err) {
	case INSN_OK:
		return "success";
	case INSN_ERR_INVAL:
		return "invalid argument (NULL buffer or output)";
	case INSN_ERR_TRUNCATED:
		return "truncated: the buffer ends before the instruction does";
	case INSN_ERR_TOO_LONG:
		return "instruction longer than 15 bytes (too many prefixes)";
	case INSN_ERR_UNKNOWN_OPCODE:
		return "not an MMIO instruction: only MOV, MOVZX and MOVSX are decoded";
	case INSN_ERR_STRING:
		return "string MMIO not supported (MOVS)";
	case INSN_ERR_REG_OPERAND:
		return "register operand (ModRM.mod = 11): no memory access to emulate";
	case INSN_ERR_LOCK:
		return "LOCK prefix on MOV (#UD on hardware)";
	case INSN_ERR_REP:
		return "REP/REPNE prefix reserved on this instruction (only XRELEASE on a store)";
	default:
		return "unknown insn_decode error";
	}
}

/* The bytes still to be read; every read goes through next(). */
struct cursor {
	const uint8_t *buf;
	size_t len;
	size_t pos;
};

/*
 * The 15-byte limit is checked first: hardware faults on byte 16 whatever follows, and a
 * buffer shorter than 15 bytes can only ever be truncated, never too long.
 */
static enum insn_err next(struct cursor *c, uint8_t *b)
{
	if (c->pos >= INSN_MAX_LEN)
		return INSN_ERR_TOO_LONG;
	if (c->pos >= c->len)
		return INSN_ERR_TRUNCATED;
	*b = c->buf[c->pos++];
	return INSN_OK;
}

/* Little-endian n-byte field, zero-extended. */
static enum insn_err next_le(struct cursor *c, unsigned int n, uint64_t *val)
{
	uint64_t v = 0;
	enum insn_err err;
	unsigned int i;
	uint8_t b;

	for (i = 0; i < n; i++) {
		err = next(c, &b);
		if (err)
			return err;
		v |= (uint64_t)b << (8 * i);
	}
	*val = v;
	return INSN_OK;
}

/* Sign-extend the low `bytes` bytes of v to 64 bits. */
static uint64_t sext(uint64_t v, unsigned int bytes)
{
	unsigned int shift = 64 - 8 * bytes;

	if (bytes >= 8)
		return v;
	v <<= shift;
	return (v & (1ULL << 63)) ? (v >> shift) | ~(~0ULL >> shift) : v >> shift;
}

static uint64_t mask(unsigned int bytes)
{
	return bytes >= 8 ? ~0ULL : (1ULL << (8 * bytes)) - 1;
}

/*
 * ModRM/SIB/displacement in 64-bit mode. 67h only narrows the registers to 32 bits; the
 * encodings are the same (16-bit addressing does not exist in long mode).
 */
static enum insn_err decode_modrm_mem(struct cursor *c, uint8_t modrm, uint8_t rex,
				      struct insn_mem *m)
{
	unsigned int mod = modrm >> 6, rm = modrm & 7;
	unsigned int disp_bytes = mod == 1 ? 1 : mod == 2 ? 4 : 0;
	enum insn_err err;
	uint64_t disp;
	uint8_t sib;

	if (rm == 4) {
		/* SIB follows. Index 100 without REX.X means none; with REX.X it is R12. */
		unsigned int idx;

		err = next(c, &sib);
		if (err)
			return err;
		idx = ((sib >> 3) & 7) | (rex & REX_X ? 8 : 0);
		if (idx != INSN_RSP) {
			m->index = (int8_t)idx;
			m->scale = (uint8_t)(1u << (sib >> 6));
		}
		/* Base 101 with mod 00 means no base and a disp32, whatever REX.B says. */
		if ((sib & 7) == 5 && mod == 0)
			disp_bytes = 4;
		else
			m->base = (int8_t)((sib & 7) | (rex & REX_B ? 8 : 0));
	} else if (rm == 5 && mod == 0) {
		/* RIP-relative in 64-bit mode (also with REX.B: the special case ignores it). */
		m->rip_relative = true;
		disp_bytes = 4;
	} else {
		m->base = (int8_t)(rm | (rex & REX_B ? 8 : 0));
	}

	err = next_le(c, disp_bytes, &disp);
	if (err)
		return err;
	m->disp = (int64_t)sext(disp, disp_bytes ? disp_bytes : 8);
	return INSN_OK;
}

enum insn_err insn_decode_mmio(const uint8_t *buf, size_t len, struct insn_mmio *out)
{
	struct cursor c = {.buf = buf, .len = len, .pos = 0};
	bool opsize = false, adsize = false, lock = false, repne = false, rep = false;
	const struct opcode *op;
	uint8_t b, rex = 0, modrm = 0, seg = INSN_SEG_NONE;
	unsigned int osz;
	enum insn_err err;
	uint64_t v;

	if (!buf || !out)
		return INSN_ERR_INVAL;

	/*
	 * Field by field: a struct initializer may become a memset() call, which a freestanding
	 * guest need not have.
	 */
	out->kind = INSN_MMIO_NONE;
	out->size = 0;
	out->op_size = 0;
	out->len = 0;
	out->reg = INSN_NO_REG;
	out->reg_high = false;
	out->rex = 0;
	out->opsize_66 = false;
	out->xrelease = false;
	out->imm = 0;
	out->mem.base = INSN_NO_REG;
	out->mem.index = INSN_NO_REG;
	out->mem.scale = 0;
	out->mem.addr_size = 8;
	out->mem.rip_relative = false;
	out->mem.moffs = false;
	out->mem.seg = INSN_SEG_NONE;
	out->mem.disp = 0;

	/*
	 * Prefixes in any order and any number (up to the 15-byte limit). A REX byte counts only
	 * if it is the last byte before the opcode: one followed by a legacy prefix or by
	 * another REX is ignored by the CPU, so forget it.
	 */
	for (;;) {
		err = next(&c, &b);
		if (err)
			goto fail;
		if ((b & 0xf0) == 0x40) {
			rex = b;
			continue;
		}
		switch (prefix_class[b]) {
		case PFX_OPSIZE:
			opsize = true;
			break;
		case PFX_ADSIZE:
			adsize = true;
			break;
		case PFX_SEG:
			/*
			 * In 64-bit mode ES/CS/SS/DS overrides are null prefixes: they do not
			 * cancel an earlier FS/GS override (Zydis models the CPU the same way).
			 */
			if (prefix_seg[b] >= INSN_SEG_FS || seg < INSN_SEG_FS)
				seg = prefix_seg[b];
			break;
		case PFX_LOCK:
			lock = true;
			break;
		case PFX_REPNE:
			repne = true;
			break;
		case PFX_REP:
			rep = true;
			break;
		default:
			goto opcode;
		}
		rex = 0;
	}

opcode:
	op = &op1[b];
	if (b == 0x0f) {
		err = next(&c, &b);
		if (err)
			goto fail;
		op = &op2[b];
	}
	if (op->form == FORM_NONE) {
		err = INSN_ERR_UNKNOWN_OPCODE;
		goto fail;
	}
	if (op->form == FORM_STRING) {
		err = INSN_ERR_STRING;
		goto fail;
	}

	/* Operand size: REX.W beats 66h. */
	osz = rex & REX_W ? 8 : opsize ? 2 : 4;
	out->kind = op->kind;
	out->size = op->msize == SZ_OSZ ? (uint8_t)osz : op->msize;
	out->op_size = op->rsize == SZ_OSZ ? (uint8_t)osz : op->rsize;
	out->rex = rex;
	out->opsize_66 = opsize;
	out->mem.seg = seg;
	out->mem.addr_size = adsize ? 4 : 8;

	if (op->form == FORM_MOFFS) {
		/* moffs is 8 bytes in 64-bit mode, 4 (zero-extended) with 67h. REX.B is ignored. */
		err = next_le(&c, adsize ? 4 : 8, &v);
		if (err)
			goto fail;
		out->mem.moffs = true;
		out->mem.disp = (int64_t)v;
		out->reg = INSN_RAX;
	} else {
		unsigned int reg;

		err = next(&c, &modrm);
		if (err)
			goto fail;
		reg = (modrm >> 3) & 7;
		if (op->form == FORM_MODRM_G0 && reg != 0) {
			/* C6/C7 /1../7 are not MOV (XABORT/XBEGIN or undefined). */
			err = INSN_ERR_UNKNOWN_OPCODE;
			goto fail;
		}
		if (op->form == FORM_MODRM) {
			reg |= rex & REX_R ? 8 : 0;
			/*
			 * Byte registers 4-7 are AH, CH, DH, BH without REX, and SPL, BPL, SIL,
			 * DIL with any REX (even a bare 40h).
			 */
			if (out->op_size == 1 && !rex && reg >= 4) {
				out->reg_high = true;
				reg -= 4;
			}
			out->reg = (int8_t)reg;
		}
		if ((modrm >> 6) != 3) {
			err = decode_modrm_mem(&c, modrm, rex, &out->mem);
			if (err)
				goto fail;
		}
	}

	if (op->imm != IMM_NONE) {
		unsigned int n = op->imm == IMM_8 ? 1 : osz == 2 ? 2 : 4;

		err = next_le(&c, n, &v);
		if (err)
			goto fail;
		/* imm32 is sign-extended to a 64-bit operand. */
		out->imm = sext(v, n) & mask(out->size);
	}
	out->len = (uint8_t)c.pos;

	/* The whole instruction is known; now refuse what is not an MMIO access we emulate. */
	err = INSN_OK;
	if (op->form != FORM_MOFFS && (modrm >> 6) == 3)
		err = INSN_ERR_REG_OPERAND;
	else if (lock)
		err = INSN_ERR_LOCK;
	else if (repne || (rep && !op->xrelease_ok))
		err = INSN_ERR_REP;
	if (err)
		goto fail;
	out->xrelease = rep;
	return INSN_OK;

fail:
	out->len = (uint8_t)c.pos;
	out->kind = INSN_MMIO_NONE;
	return err;
}

uint64_t insn_mmio_store_value(const struct insn_mmio *insn, const uint64_t gpr[16])
{
	uint64_t v;

	switch (insn->kind) {
	case INSN_MMIO_WRITE:
		v = gpr[insn->reg & 15];
		if (insn->reg_high)
			v >>= 8;
		return v & mask(insn->size);
	case INSN_MMIO_WRITE_IMM:
		return insn->imm & mask(insn->size);
	default:
		return 0;
	}
}

/* Write v to a register as an op_size-byte destination. */
static void write_gpr(uint64_t *r, uint64_t v, unsigned int bytes)
{
	switch (bytes) {
	case 1:
	case 2:
		/* 8/16-bit destinations leave the rest of the register alone. */
		*r = (*r & ~mask(bytes)) | (v & mask(bytes));
		break;
	case 4:
		/* 32-bit destinations zero the upper half, as every 32-bit GPR write does. */
		*r = (uint32_t)v;
		break;
	default:
		*r = v;
		break;
	}
}

void insn_mmio_load(const struct insn_mmio *insn, uint64_t gpr[16], uint64_t val)
{
	uint64_t *r = &gpr[insn->reg & 15];

	val &= mask(insn->size);
	switch (insn->kind) {
	case INSN_MMIO_READ:
		if (insn->reg_high) {
			*r = (*r & ~0xff00ULL) | (val << 8);
			return;
		}
		write_gpr(r, val, insn->size);
		break;
	case INSN_MMIO_READ_ZERO_EXTEND:
		write_gpr(r, val, insn->op_size);
		break;
	case INSN_MMIO_READ_SIGN_EXTEND:
		write_gpr(r, sext(val, insn->size), insn->op_size);
		break;
	default:
		break;
	}
}

uint64_t insn_mmio_addr(const struct insn_mmio *insn, const uint64_t gpr[16], uint64_t rip)
{
	const struct insn_mem *m = &insn->mem;
	uint64_t ea = (uint64_t)m->disp;

	if (m->rip_relative)
		ea += rip + insn->len;
	if (m->base != INSN_NO_REG)
		ea += gpr[m->base & 15];
	if (m->index != INSN_NO_REG)
		ea += gpr[m->index & 15] * m->scale;
	if (m->addr_size == 4)
		ea = (uint32_t)ea;
	return ea;
}

bool insn_mmio_crosses_page(uint64_t gva, unsigned int size)
{
	return size && (gva & 0xfff) + size > 0x1000;
}
