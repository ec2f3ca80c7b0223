// SPDX-License-Identifier: MIT
/*
 * Differential test of the guest MMIO decoder against Zydis (64-bit mode).
 *
 * For every byte string tried:
 *  - if we accept, Zydis must decode the same instruction: same length, mnemonic, memory
 *    operand (size, direction, base, index, scale, displacement, address size, FS/GS),
 *    register (number, high byte, size, direction) and immediate;
 *  - if we reject and Zydis decodes one of our opcodes with a memory operand, the reason must
 *    be one we chose on purpose: INSN_ERR_REP (F2, or F3 on a load: reserved encodings Zydis
 *    decodes and ignores) or INSN_ERR_STRING (MOVS);
 *  - TRUNCATED, TOO_LONG and LOCK must be rejections for Zydis too, and a register operand
 *    must have no memory operand for Zydis.
 *
 * Inputs: every prefix set of a list x every accepted opcode x all 256 ModRM x a set of SIB
 * bytes (all 256 for some prefix sets) x three displacement/immediate patterns, every one- and
 * two-byte opcode with a few ModRMs, and seeded random strings. Then every proper prefix of
 * each accepted encoding is decoded from a buffer that ends at a PROT_NONE page.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <cmocka.h>

#include <Zydis/Zydis.h>

#include <tdxguest/insn.h>

static ZydisDecoder zd;

static struct {
	unsigned long compared;	      /* byte strings given to both decoders */
	unsigned long agreed;	      /* we accept, Zydis agrees on every field */
	unsigned long both_reject;    /* neither decodes an MMIO form */
	unsigned long zydis_other;    /* Zydis decodes something that is not one of our forms */
	unsigned long ours_rep;	      /* Zydis decodes our form, we refuse on purpose: REP */
	unsigned long ours_string;    /* ... MOVS */
	unsigned long lock;	      /* LOCK: both reject */
	unsigned long regop;	      /* register operand: both see no memory operand */
	unsigned long truncated;      /* both need more bytes */
	unsigned long too_long;	      /* both refuse > 15 bytes */
	unsigned long guard_prefixes; /* truncated decodes next to a PROT_NONE page */
	unsigned long zydis_bug_592;  /* agreed except where Zydis 4.0 is wrong, see below */
} st;

/* Accepted encodings collected for the guard-page test. */
#define MAX_SAVED (1u << 22)
static uint8_t (*saved)[16];
static unsigned int nsaved;

static void dump_fail(const char *why, const uint8_t *buf, size_t n, enum insn_err err)
{
	char hex[64] = "";

	for (size_t i = 0; i < n && i < 16; i++)
		snprintf(hex + strlen(hex), sizeof(hex) - strlen(hex), "%02x ", buf[i]);
	print_error("MISMATCH: %s\n  bytes (%zu): %s\n  ours: %s\n", why, n, hex,
		    insn_strerror(err));
	fail();
}

#define CHECK(cond, why)                                                                           \
	do {                                                                                       \
		if (!(cond))                                                                       \
			dump_fail(why, buf, n, err);                                               \
	} while (0)

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

static void check_agree(const uint8_t *buf, size_t n, enum insn_err err, const struct insn_mmio *in,
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
		return;
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
}

/* Decode buf[0..n) with both; check the rules in the header comment. */
static void compare(const uint8_t *buf, size_t n)
{
	ZydisDecodedOperand zo[ZYDIS_MAX_OPERAND_COUNT];
	ZydisDecodedInstruction zi;
	struct insn_mmio in;
	enum insn_err err;
	ZyanStatus zs;
	bool zok, ours;

	st.compared++;
	err = insn_decode_mmio(buf, n, &in);
	zs = ZydisDecoderDecodeFull(&zd, buf, n, &zi, zo);
	zok = ZYAN_SUCCESS(zs);
	ours = zok && zydis_is_our_form(&zi, zo);

	switch (err) {
	case INSN_OK:
		CHECK(zok, "Zydis rejects what we accept");
		check_agree(buf, n, err, &in, &zi, zo);
		st.agreed++;
		if (saved && nsaved < MAX_SAVED) {
			memset(saved[nsaved], 0, 16);
			memcpy(saved[nsaved], buf, in.len);
			nsaved++;
		}
		return;
	case INSN_ERR_TRUNCATED:
		CHECK(!zok, "we need more bytes, Zydis does not");
		st.truncated++;
		return;
	case INSN_ERR_TOO_LONG:
		CHECK(!zok, "over 15 bytes for us, not for Zydis");
		st.too_long++;
		return;
	case INSN_ERR_LOCK:
		CHECK(!zok, "Zydis accepts LOCK MOV");
		st.lock++;
		return;
	case INSN_ERR_REG_OPERAND:
		CHECK(!ours, "Zydis sees a memory operand");
		st.regop++;
		return;
	case INSN_ERR_REP:
		CHECK(ours, "REP rejection of something that is not our form");
		st.ours_rep++;
		return;
	case INSN_ERR_STRING:
		CHECK(!zok || zi.mnemonic == ZYDIS_MNEMONIC_MOVSB ||
			      zi.mnemonic == ZYDIS_MNEMONIC_MOVSW ||
			      zi.mnemonic == ZYDIS_MNEMONIC_MOVSD ||
			      zi.mnemonic == ZYDIS_MNEMONIC_MOVSQ,
		      "MOVS rejection of something that is not MOVS");
		st.ours_string++;
		return;
	default:
		CHECK(!ours, "Zydis decodes an MMIO form we call unknown");
		if (zok)
			st.zydis_other++;
		else
			st.both_reject++;
		return;
	}
}

/* ---- systematic enumeration ------------------------------------------------------------- */

struct pfx {
	uint8_t b[4];
	uint8_t n;
	bool all_sib; /* try all 256 SIB bytes */
};

static struct pfx pfx_list[128];
static unsigned int npfx;

static void add_pfx(bool all_sib, unsigned int n, ...)
{
	struct pfx *p = &pfx_list[npfx++];
	va_list ap;

	va_start(ap, n);
	for (unsigned int i = 0; i < n; i++)
		p->b[i] = (uint8_t)va_arg(ap, int);
	va_end(ap);
	p->n = (uint8_t)n;
	p->all_sib = all_sib;
}

static void build_prefixes(void)
{
	static const uint8_t seg[] = {0x26, 0x2e, 0x36, 0x3e, 0x64, 0x65};

	npfx = 0;
	add_pfx(true, 0);
	add_pfx(false, 1, 0x66);
	add_pfx(true, 1, 0x67);
	add_pfx(false, 2, 0x66, 0x67);
	for (int r = 0x40; r <= 0x4f; r++) {
		add_pfx(r == 0x41 || r == 0x42 || r == 0x43 || r == 0x4f, 1, r);
		add_pfx(false, 2, 0x66, r);
	}
	add_pfx(false, 2, 0x67, 0x4b);
	add_pfx(false, 3, 0x66, 0x67, 0x4f);
	for (unsigned int i = 0; i < sizeof(seg); i++)
		add_pfx(false, 1, seg[i]);
	add_pfx(false, 2, 0x64, 0x48);
	add_pfx(false, 3, 0x65, 0x67, 0x41);
	add_pfx(false, 2, 0x2e, 0x65);
	add_pfx(false, 2, 0x65, 0x2e);
	add_pfx(false, 1, 0xf0);
	add_pfx(false, 2, 0xf0, 0x48);
	add_pfx(false, 1, 0xf2);
	add_pfx(false, 1, 0xf3);
	add_pfx(false, 2, 0xf3, 0x48);
	add_pfx(false, 2, 0xf2, 0xf3);
	add_pfx(false, 2, 0xf3, 0x66);
	add_pfx(false, 2, 0x48, 0x66); /* REX then legacy: REX ignored */
	add_pfx(false, 2, 0x4c, 0x67);
	add_pfx(false, 2, 0x41, 0x40); /* two REX: the last counts */
	add_pfx(false, 2, 0x40, 0x4d);
	add_pfx(false, 3, 0x66, 0x66, 0x66);
}

/* Displacement/immediate bytes after ModRM/SIB: positive, negative, boundary values. */
static const uint8_t tails[][13] = {
	{0x78, 0x56, 0x34, 0x12, 0xef, 0xcd, 0xab, 0x09, 0x11, 0x22, 0x33, 0x44, 0x55},
	{0x80, 0xff, 0xff, 0xff, 0x80, 0x00, 0x00, 0x80, 0xfe, 0xff, 0xff, 0xff, 0xff},
	{0x7f, 0x00, 0x00, 0x80, 0xff, 0xff, 0xff, 0x7f, 0x00, 0x00, 0x00, 0x00, 0x01},
};

static const uint8_t sib_few[] = {0x00, 0x24, 0x25, 0x65, 0xa4, 0xe5, 0x4c,
				  0xff, 0x20, 0x5d, 0xed, 0x1c, 0x61, 0x2d};

static const uint8_t modrm_ops[][2] = {
	{0x88, 0}, {0x89, 0},	 {0x8a, 0},    {0x8b, 0},    {0xc6, 0},
	{0xc7, 0}, {0x0f, 0xb6}, {0x0f, 0xb7}, {0x0f, 0xbe}, {0x0f, 0xbf},
};

/* Assemble prefix + opcode + rest + tail into buf (15 bytes are given to the decoders). */
static size_t assemble(uint8_t *buf, const struct pfx *p, const uint8_t *op, size_t opn,
		       const uint8_t *rest, size_t restn, const uint8_t *tail)
{
	size_t n = 0;

	memcpy(buf + n, p->b, p->n);
	n += p->n;
	memcpy(buf + n, op, opn);
	n += opn;
	memcpy(buf + n, rest, restn);
	n += restn;
	for (size_t i = 0; n < 16; i++)
		buf[n++] = tail[i % 13];
	return 15;
}

static void test_systematic(void **state)
{
	unsigned long before = st.compared;
	uint8_t buf[16];
	(void)state;

	build_prefixes();
	for (unsigned int pi = 0; pi < npfx; pi++) {
		const struct pfx *p = &pfx_list[pi];

		for (unsigned int t = 0; t < sizeof(tails) / sizeof(tails[0]); t++) {
			/* ModRM forms. */
			for (unsigned int o = 0; o < sizeof(modrm_ops) / sizeof(modrm_ops[0]);
			     o++) {
				size_t opn = modrm_ops[o][0] == 0x0f ? 2 : 1;

				for (unsigned int m = 0; m < 256; m++) {
					uint8_t rest[2] = {(uint8_t)m, 0};
					bool sib = (m & 7) == 4 && (m >> 6) != 3;
					unsigned int ns = !sib	       ? 1
							  : p->all_sib ? 256
								       : sizeof(sib_few);

					for (unsigned int s = 0; s < ns; s++) {
						rest[1] = p->all_sib ? (uint8_t)s : sib_few[s];
						compare(buf, assemble(buf, p, modrm_ops[o], opn,
								      rest, sib ? 2 : 1, tails[t]));
					}
				}
			}
			/* moffs forms and MOVS. */
			for (unsigned int o = 0xa0; o <= 0xa5; o++) {
				uint8_t op = (uint8_t)o;

				compare(buf, assemble(buf, p, &op, 1, &op, 0, tails[t]));
			}
			/* Every other opcode, to check nothing we call unknown is an MMIO MOV. */
			for (unsigned int o = 0; o < 256; o++) {
				uint8_t op2[2] = {0x0f, (uint8_t)o};
				uint8_t op1 = (uint8_t)o;
				static const uint8_t rms[] = {0x00, 0x05, 0x44, 0x84, 0xc0, 0x3f};

				for (unsigned int r = 0; r < sizeof(rms); r++) {
					uint8_t rest[2] = {rms[r], 0x24};

					compare(buf, assemble(buf, p, &op1, 1, rest, 2, tails[t]));
					compare(buf, assemble(buf, p, op2, 2, rest, 2, tails[t]));
				}
			}
		}
	}
	print_message("systematic: %lu encodings from %u prefix sets\n", st.compared - before,
		      npfx);
}

/* ---- random strings ------------------------------------------------------------------- */

static uint64_t rng = 0x9e3779b97f4a7c15ULL;

static uint64_t xorshift(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static void test_random(void **state)
{
	static const uint8_t pfx_pool[] = {0x66, 0x67, 0x26, 0x2e, 0x36, 0x3e, 0x64, 0x65, 0xf0,
					   0xf2, 0xf3, 0x40, 0x41, 0x44, 0x48, 0x4c, 0x4f, 0x66};
	static const uint8_t op_pool[][2] = {
		{0x88, 0},    {0x89, 0}, {0x8a, 0},    {0x8b, 0},    {0xc6, 0},
		{0xc7, 0},    {0xa0, 0}, {0xa1, 0},    {0xa2, 0},    {0xa3, 0},
		{0xa4, 0},    {0xa5, 0}, {0x0f, 0xb6}, {0x0f, 0xb7}, {0x0f, 0xbe},
		{0x0f, 0xbf}, {0x63, 0}, {0x8c, 0},    {0x8e, 0},    {0x0f, 0xb8},
	};
	unsigned long before = st.compared;
	uint8_t buf[16];
	(void)state;

	rng = 0x9e3779b97f4a7c15ULL;
	/* Plain random bytes, random length. */
	for (int i = 0; i < 400000; i++) {
		for (int j = 0; j < 16; j++)
			buf[j] = (uint8_t)xorshift();
		compare(buf, i & 1 ? 15 : xorshift() % 16);
	}
	/* Random prefixes (0..5, some repeated) + an opcode near ours + random bytes. */
	for (int i = 0; i < 600000; i++) {
		uint64_t r = xorshift();
		unsigned int np = r % 6, n = 0;
		const uint8_t *op = op_pool[(r >> 8) % (sizeof(op_pool) / sizeof(op_pool[0]))];

		for (unsigned int k = 0; k < np; k++)
			buf[n++] = pfx_pool[xorshift() % sizeof(pfx_pool)];
		buf[n++] = op[0];
		if (op[0] == 0x0f)
			buf[n++] = op[1];
		while (n < 16)
			buf[n++] = (uint8_t)xorshift();
		compare(buf, (r >> 16) % 4 ? 15 : (r >> 20) % 16);
	}
	print_message("random: %lu strings\n", st.compared - before);
}

/* ---- never read past the buffer ----------------------------------------------------------- */

static void test_guard_page(void **state)
{
	long pg = sysconf(_SC_PAGESIZE);
	uint8_t *map, *end;
	(void)state;

	map = mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(map != MAP_FAILED);
	assert_int_equal(mprotect(map + pg, pg, PROT_NONE), 0);
	end = map + pg;

	assert_true(nsaved > 1000);
	for (unsigned int i = 0; i < nsaved; i++) {
		struct insn_mmio ref, in;
		size_t len;

		memset(&ref, 0, sizeof(ref));
		memset(&in, 0, sizeof(in));
		assert_int_equal(insn_decode_mmio(saved[i], 16, &ref), INSN_OK);
		len = ref.len;
		/* Exactly at the end of the page: decodes the same. */
		memcpy(end - len, saved[i], len);
		assert_int_equal(insn_decode_mmio(end - len, len, &in), INSN_OK);
		assert_memory_equal(&in, &ref, sizeof(in));
		/* Every proper prefix: truncated, and no fault. */
		for (size_t k = 0; k < len; k++) {
			memcpy(end - k, saved[i], k);
			if (insn_decode_mmio(end - k, k, &in) != INSN_ERR_TRUNCATED) {
				print_error("prefix %zu of accepted encoding %u not TRUNCATED\n", k,
					    i);
				fail();
			}
			st.guard_prefixes++;
		}
	}
	munmap(map, 2 * pg);
	print_message("guard page: %u accepted encodings, %lu truncated prefixes, no fault\n",
		      nsaved, st.guard_prefixes);
}

static void test_report(void **state)
{
	(void)state;
	print_message("compared %lu: agreed %lu (we accept, Zydis agrees on every field)\n",
		      st.compared, st.agreed);
	print_message(
		"  of which Zydis 4.0 bug #592 (67h+REX.B SIB no-base decoded as [r13d]): %lu\n",
		st.zydis_bug_592);
	print_message("  Zydis decodes our form, we refuse on purpose: REP %lu, MOVS %lu\n",
		      st.ours_rep, st.ours_string);
	print_message("  both refuse: LOCK %lu, truncated %lu, >15 bytes %lu, register operand "
		      "%lu, other %lu\n",
		      st.lock, st.truncated, st.too_long, st.regop, st.both_reject);
	print_message("  Zydis decodes a non-MMIO instruction we call unknown: %lu\n",
		      st.zydis_other);
	assert_true(st.agreed > 100000);
	assert_int_equal(st.compared, st.agreed + st.ours_rep + st.ours_string + st.lock +
					      st.truncated + st.too_long + st.regop +
					      st.both_reject + st.zydis_other);
}

static int setup(void **state)
{
	(void)state;
	if (!ZYAN_SUCCESS(ZydisDecoderInit(&zd, ZYDIS_MACHINE_MODE_LONG_64, ZYDIS_STACK_WIDTH_64)))
		return -1;
	saved = mmap(NULL, MAX_SAVED * sizeof(*saved), PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	return saved == MAP_FAILED ? -1 : 0;
}

static int teardown(void **state)
{
	(void)state;
	munmap(saved, MAX_SAVED * sizeof(*saved));
	return 0;
}

int main(void)
{
	/* Order matters: the guard-page test replays what the first two accepted. */
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_systematic),
		cmocka_unit_test(test_random),
		cmocka_unit_test(test_guard_page),
		cmocka_unit_test(test_report),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
