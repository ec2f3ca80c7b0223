// SPDX-License-Identifier: MIT
/*
 * Differential test of the guest MMIO decoder against Zydis (64-bit mode), by the rules of
 * insn_oracle.c.
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

#include "insn_oracle.h"

#define st insn_oracle_st

/* Accepted encodings collected for the guard-page test. */
#define MAX_SAVED (1u << 22)
static uint8_t (*saved)[16];
static unsigned int nsaved;

/* Compare with Zydis (insn_oracle.c); fail with the bytes on a mismatch. */
static void compare(const uint8_t *buf, size_t n)
{
	struct insn_mmio in;
	enum insn_err err;
	const char *why = insn_oracle_compare(buf, n, &err, &in);
	char hex[64] = "";

	if (why) {
		for (size_t i = 0; i < n && i < 16; i++)
			snprintf(hex + strlen(hex), sizeof(hex) - strlen(hex), "%02x ", buf[i]);
		print_error("MISMATCH: %s\n  bytes (%zu): %s\n  ours: %s\n", why, n, hex,
			    insn_strerror(err));
		fail();
	}
	if (err == INSN_OK && saved && nsaved < MAX_SAVED) {
		memset(saved[nsaved], 0, 16);
		memcpy(saved[nsaved], buf, in.len);
		nsaved++;
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
	if (insn_oracle_init())
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
