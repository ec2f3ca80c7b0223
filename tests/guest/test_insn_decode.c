// SPDX-License-Identifier: MIT
/*
 * Unit tests of the guest MMIO instruction decoder (guest/lib/insn_decode.c), built for the
 * host. Every accepted form with its exact decode, the register-file semantics of loads and
 * stores, and every rejection with its code. Encodings were checked with objdump.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <tdxguest/insn.h>

#define NOREG INSN_NO_REG

struct good {
	const char *text; /* what the bytes mean, for failure messages */
	uint8_t bytes[16];
	uint8_t n;
	uint8_t kind, size, op_size, len;
	int8_t reg;
	bool high;
	uint64_t imm;
	int8_t base, index;
	uint8_t scale, addr_size;
	bool rip, moffs;
	uint8_t seg;
	int64_t disp;
	bool xrelease;
};

#define B(...) .bytes = {__VA_ARGS__}, .n = sizeof((uint8_t[]){__VA_ARGS__})

/* Defaults: addr_size 8, no base/index, unless a case says otherwise. */
#define W  INSN_MMIO_WRITE
#define WI INSN_MMIO_WRITE_IMM
#define R  INSN_MMIO_READ
#define RZ INSN_MMIO_READ_ZERO_EXTEND
#define RS INSN_MMIO_READ_SIGN_EXTEND

static const struct good good[] = {
	/* 88: MOV m8, r8 */
	{"mov [rdi],al", B(0x88, 0x07), W, 1, 1, 2, 0, false, 0, 7, NOREG, 0, 8},
	{"mov [rdi],ah", B(0x88, 0x27), W, 1, 1, 2, 0, true, 0, 7, NOREG, 0, 8},
	{"mov [rdi],bh", B(0x88, 0x3f), W, 1, 1, 2, 3, true, 0, 7, NOREG, 0, 8},
	{"mov [rdi],spl", B(0x40, 0x88, 0x27), W, 1, 1, 3, 4, false, 0, 7, NOREG, 0, 8},
	{"mov [rdi],dil", B(0x40, 0x88, 0x3f), W, 1, 1, 3, 7, false, 0, 7, NOREG, 0, 8},
	{"mov [rdi],r15b", B(0x44, 0x88, 0x3f), W, 1, 1, 3, 15, false, 0, 7, NOREG, 0, 8},
	{"mov [r9],cl", B(0x41, 0x88, 0x09), W, 1, 1, 3, 1, false, 0, 9, NOREG, 0, 8},
	{"66 mov [rdi],al (66 ignored)", B(0x66, 0x88, 0x07), W, 1, 1, 3, 0, false, 0, 7, NOREG, 0,
	 8},
	/* 89: MOV m, r */
	{"mov [rdi],eax", B(0x89, 0x07), W, 4, 4, 2, 0, false, 0, 7, NOREG, 0, 8},
	{"mov [rdi],ax", B(0x66, 0x89, 0x07), W, 2, 2, 3, 0, false, 0, 7, NOREG, 0, 8},
	{"mov [rdi],rax", B(0x48, 0x89, 0x07), W, 8, 8, 3, 0, false, 0, 7, NOREG, 0, 8},
	{"mov [rdi],esp (no high regs)", B(0x89, 0x27), W, 4, 4, 2, 4, false, 0, 7, NOREG, 0, 8},
	{"mov [rsp+8],r15", B(0x4c, 0x89, 0x7c, 0x24, 0x08), W, 8, 8, 5, 15, false, 0, 4, NOREG, 0,
	 8, .disp = 8},
	{"mov [rbp-1],edx", B(0x89, 0x55, 0xff), W, 4, 4, 3, 2, false, 0, 5, NOREG, 0, 8,
	 .disp = -1},
	{"mov [rbx+0x7fffffff],ecx", B(0x89, 0x8b, 0xff, 0xff, 0xff, 0x7f), W, 4, 4, 6, 1, false, 0,
	 3, NOREG, 0, 8, .disp = 0x7fffffff},
	{"mov [rbx-0x80000000],ecx", B(0x89, 0x8b, 0x00, 0x00, 0x00, 0x80), W, 4, 4, 6, 1, false, 0,
	 3, NOREG, 0, 8, .disp = -0x80000000LL},
	{"mov [rax+rcx*4+0x100],rax", B(0x48, 0x89, 0x84, 0x88, 0x00, 0x01, 0x00, 0x00), W, 8, 8, 8,
	 0, false, 0, 0, 1, 4, 8, .disp = 0x100},
	{"mov [r8+r12*8],eax", B(0x43, 0x89, 0x04, 0xe0), W, 4, 4, 4, 0, false, 0, 8, 12, 8, 8},
	{"mov [rsp],eax (SIB index none)", B(0x89, 0x04, 0x24), W, 4, 4, 3, 0, false, 0, 4, NOREG,
	 0, 8},
	{"mov [r12],eax (REX.X=0)", B(0x41, 0x89, 0x04, 0x24), W, 4, 4, 4, 0, false, 0, 12, NOREG,
	 0, 8},
	{"mov [0x1000],eax (SIB no base)", B(0x89, 0x04, 0x25, 0x00, 0x10, 0x00, 0x00), W, 4, 4, 7,
	 0, false, 0, NOREG, NOREG, 0, 8, .disp = 0x1000},
	{"mov [rbx*2+0x10],eax", B(0x89, 0x04, 0x5d, 0x10, 0x00, 0x00, 0x00), W, 4, 4, 7, 0, false,
	 0, NOREG, 3, 2, 8, .disp = 0x10},
	{"mov [rbp+rbx*2+0x10],eax", B(0x89, 0x44, 0x5d, 0x10), W, 4, 4, 4, 0, false, 0, 5, 3, 2, 8,
	 .disp = 0x10},
	{"mov [r13+r13],eax", B(0x47, 0x89, 0x44, 0x2d, 0x00), W, 4, 4, 5, 8, false, 0, 13, 13, 1,
	 8},
	{"mov [rip+0x10],eax", B(0x89, 0x05, 0x10, 0x00, 0x00, 0x00), W, 4, 4, 6, 0, false, 0,
	 NOREG, NOREG, 0, 8, .rip = true, .disp = 0x10},
	{"mov [rip-8],rax (REX.B still RIP)", B(0x49, 0x89, 0x05, 0xf8, 0xff, 0xff, 0xff), W, 8, 8,
	 7, 0, false, 0, NOREG, NOREG, 0, 8, .rip = true, .disp = -8},
	{"mov [r13+0],eax", B(0x41, 0x89, 0x45, 0x00), W, 4, 4, 4, 0, false, 0, 13, NOREG, 0, 8},
	{"mov [eax],eax", B(0x67, 0x89, 0x00), W, 4, 4, 3, 0, false, 0, 0, NOREG, 0, 4},
	{"mov [eip+4],eax", B(0x67, 0x89, 0x05, 0x04, 0x00, 0x00, 0x00), W, 4, 4, 7, 0, false, 0,
	 NOREG, NOREG, 0, 4, .rip = true, .disp = 4},
	{"mov fs:[0x28],rax", B(0x64, 0x48, 0x89, 0x04, 0x25, 0x28, 0x00, 0x00, 0x00), W, 8, 8, 9,
	 0, false, 0, NOREG, NOREG, 0, 8, .seg = INSN_SEG_FS, .disp = 0x28},
	{"mov gs:[rax],eax", B(0x65, 0x89, 0x00), W, 4, 4, 3, 0, false, 0, 0, NOREG, 0, 8,
	 .seg = INSN_SEG_GS},
	{"mov es:[rax],eax", B(0x26, 0x89, 0x00), W, 4, 4, 3, 0, false, 0, 0, NOREG, 0, 8,
	 .seg = INSN_SEG_ES},
	{"cs ss ds: last segment wins", B(0x2e, 0x36, 0x3e, 0x89, 0x00), W, 4, 4, 5, 0, false, 0, 0,
	 NOREG, 0, 8, .seg = INSN_SEG_DS},
	{"66 REX.W: REX.W wins", B(0x66, 0x48, 0x89, 0x07), W, 8, 8, 4, 0, false, 0, 7, NOREG, 0,
	 8},
	{"REX.W then 66: REX ignored", B(0x48, 0x66, 0x89, 0x07), W, 2, 2, 4, 0, false, 0, 7, NOREG,
	 0, 8},
	{"REX.B then REX: only the last counts", B(0x41, 0x40, 0x88, 0x07), W, 1, 1, 4, 0, false, 0,
	 7, NOREG, 0, 8},
	{"REX then 67 (REX dropped): AH again", B(0x40, 0x67, 0x88, 0x20), W, 1, 1, 4, 0, true, 0,
	 0, NOREG, 0, 4},
	{"xrelease mov [rdi],eax", B(0xf3, 0x89, 0x07), W, 4, 4, 3, 0, false, 0, 7, NOREG, 0, 8,
	 .xrelease = true},
	{"13 prefixes: 15 bytes",
	 B(0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x89,
	   0x07),
	 W, 2, 2, 15, 0, false, 0, 7, NOREG, 0, 8},
	/* 8A/8B: MOV r, m */
	{"mov al,[rsi]", B(0x8a, 0x06), R, 1, 1, 2, 0, false, 0, 6, NOREG, 0, 8},
	{"mov bh,[rsi]", B(0x8a, 0x3e), R, 1, 1, 2, 3, true, 0, 6, NOREG, 0, 8},
	{"mov ch,[rsi]", B(0x8a, 0x2e), R, 1, 1, 2, 1, true, 0, 6, NOREG, 0, 8},
	{"mov sil,[rsi]", B(0x40, 0x8a, 0x36), R, 1, 1, 3, 6, false, 0, 6, NOREG, 0, 8},
	{"mov r15b,[rdi]", B(0x44, 0x8a, 0x3f), R, 1, 1, 3, 15, false, 0, 7, NOREG, 0, 8},
	{"mov eax,[rip+0x12345678]", B(0x8b, 0x05, 0x78, 0x56, 0x34, 0x12), R, 4, 4, 6, 0, false, 0,
	 NOREG, NOREG, 0, 8, .rip = true, .disp = 0x12345678},
	{"mov r10w,[r11]", B(0x66, 0x45, 0x8b, 0x13), R, 2, 2, 4, 10, false, 0, 11, NOREG, 0, 8},
	{"mov r15,[r15+0x7f]", B(0x4d, 0x8b, 0x7f, 0x7f), R, 8, 8, 4, 15, false, 0, 15, NOREG, 0, 8,
	 .disp = 0x7f},
	/* C6/C7 /0: MOV m, imm */
	{"mov byte [rax],0xab", B(0xc6, 0x00, 0xab), WI, 1, 1, 3, NOREG, false, 0xab, 0, NOREG, 0,
	 8},
	{"mov byte [rax+1],0x80", B(0xc6, 0x40, 0x01, 0x80), WI, 1, 1, 4, NOREG, false, 0x80, 0,
	 NOREG, 0, 8, .disp = 1},
	{"mov word [rax],0x1234", B(0x66, 0xc7, 0x00, 0x34, 0x12), WI, 2, 2, 5, NOREG, false,
	 0x1234, 0, NOREG, 0, 8},
	{"mov dword [rax],0x12345678", B(0xc7, 0x00, 0x78, 0x56, 0x34, 0x12), WI, 4, 4, 6, NOREG,
	 false, 0x12345678, 0, NOREG, 0, 8},
	{"mov dword [rax],0x80000000", B(0xc7, 0x00, 0x00, 0x00, 0x00, 0x80), WI, 4, 4, 6, NOREG,
	 false, 0x80000000, 0, NOREG, 0, 8},
	{"mov qword [rax],-1", B(0x48, 0xc7, 0x00, 0xff, 0xff, 0xff, 0xff), WI, 8, 8, 7, NOREG,
	 false, 0xffffffffffffffffULL, 0, NOREG, 0, 8},
	{"mov qword [rax],-0x80000000", B(0x48, 0xc7, 0x00, 0x00, 0x00, 0x00, 0x80), WI, 8, 8, 7,
	 NOREG, false, 0xffffffff80000000ULL, 0, NOREG, 0, 8},
	{"mov qword [rip+0],0x7fffffff", B(0x48, 0xc7, 0x05, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0x7f),
	 WI, 8, 8, 11, NOREG, false, 0x7fffffff, NOREG, NOREG, 0, 8, .rip = true},
	{"xrelease mov byte [rax],1", B(0xf3, 0xc6, 0x00, 0x01), WI, 1, 1, 4, NOREG, false, 1, 0,
	 NOREG, 0, 8, .xrelease = true},
	/* A0-A3: MOV AL/rAX <-> moffs */
	{"mov al,[moffs64]", B(0xa0, 0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11), R, 1, 1, 9, 0,
	 false, 0, NOREG, NOREG, 0, 8, .moffs = true, .disp = 0x1122334455667788},
	{"mov eax,[moffs64]", B(0xa1, 0, 0x10, 0, 0, 0, 0, 0, 0x80), R, 4, 4, 9, 0, false, 0, NOREG,
	 NOREG, 0, 8, .moffs = true, .disp = (int64_t)0x8000000000001000ULL},
	{"mov rax,[moffs64] (REX.B ignored)", B(0x49, 0xa1, 1, 0, 0, 0, 0, 0, 0, 0), R, 8, 8, 10, 0,
	 false, 0, NOREG, NOREG, 0, 8, .moffs = true, .disp = 1},
	{"mov [moffs64],al", B(0xa2, 8, 0, 0, 0, 0, 0, 0, 0), W, 1, 1, 9, 0, false, 0, NOREG, NOREG,
	 0, 8, .moffs = true, .disp = 8},
	{"mov [moffs64],ax", B(0x66, 0xa3, 8, 0, 0, 0, 0, 0, 0, 0), W, 2, 2, 10, 0, false, 0, NOREG,
	 NOREG, 0, 8, .moffs = true, .disp = 8},
	{"mov [moffs32],eax", B(0x67, 0xa3, 0xf0, 0xff, 0xff, 0xff), W, 4, 4, 6, 0, false, 0, NOREG,
	 NOREG, 0, 4, .moffs = true, .disp = 0xfffffff0},
	{"mov gs:[moffs32],al", B(0x65, 0x67, 0xa2, 0x10, 0, 0, 0), W, 1, 1, 7, 0, false, 0, NOREG,
	 NOREG, 0, 4, .moffs = true, .seg = INSN_SEG_GS, .disp = 0x10},
	/* 0F B6/B7: MOVZX, 0F BE/BF: MOVSX */
	{"movzx eax,byte [rdi]", B(0x0f, 0xb6, 0x07), RZ, 1, 4, 3, 0, false, 0, 7, NOREG, 0, 8},
	{"movzx ax,byte [rdi]", B(0x66, 0x0f, 0xb6, 0x07), RZ, 1, 2, 4, 0, false, 0, 7, NOREG, 0,
	 8},
	{"movzx rsp,byte [rdi] (no AH)", B(0x48, 0x0f, 0xb6, 0x27), RZ, 1, 8, 4, 4, false, 0, 7,
	 NOREG, 0, 8},
	{"movzx esp,byte [rdi] (no AH)", B(0x0f, 0xb6, 0x27), RZ, 1, 4, 3, 4, false, 0, 7, NOREG, 0,
	 8},
	{"movzx eax,word [rdi]", B(0x0f, 0xb7, 0x07), RZ, 2, 4, 3, 0, false, 0, 7, NOREG, 0, 8},
	{"movzx ax,word [rdi]", B(0x66, 0x0f, 0xb7, 0x07), RZ, 2, 2, 4, 0, false, 0, 7, NOREG, 0,
	 8},
	{"movzx rax,word [rdi]", B(0x48, 0x0f, 0xb7, 0x07), RZ, 2, 8, 4, 0, false, 0, 7, NOREG, 0,
	 8},
	{"movsx r15,byte [rdi]", B(0x4c, 0x0f, 0xbe, 0x3f), RS, 1, 8, 4, 15, false, 0, 7, NOREG, 0,
	 8},
	{"movsx eax,byte [rdi]", B(0x0f, 0xbe, 0x07), RS, 1, 4, 3, 0, false, 0, 7, NOREG, 0, 8},
	{"movsx ax,byte [rdi]", B(0x66, 0x0f, 0xbe, 0x07), RS, 1, 2, 4, 0, false, 0, 7, NOREG, 0,
	 8},
	{"movsx eax,word [rdi]", B(0x0f, 0xbf, 0x07), RS, 2, 4, 3, 0, false, 0, 7, NOREG, 0, 8},
	{"movsx r9,word [r10+r11*2+4]", B(0x4f, 0x0f, 0xbf, 0x4c, 0x5a, 0x04), RS, 2, 8, 6, 9,
	 false, 0, 10, 11, 2, 8, .disp = 4},
};

static void test_accepted_forms(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		const struct good *g = &good[i];
		struct insn_mmio in;
		enum insn_err err;

		/* Zero the padding too, so whole structs can be compared. */
		memset(&in, 0, sizeof(in));
		print_message("%s\n", g->text);
		err = insn_decode_mmio(g->bytes, g->n, &in);
		assert_int_equal(err, INSN_OK);
		assert_int_equal(in.kind, g->kind);
		assert_int_equal(in.size, g->size);
		assert_int_equal(in.op_size, g->op_size);
		assert_int_equal(in.len, g->len);
		assert_int_equal(in.len, g->n);
		assert_int_equal(in.reg, g->reg);
		assert_int_equal(in.reg_high, g->high);
		assert_int_equal(in.imm, g->imm);
		assert_int_equal(in.mem.base, g->base);
		assert_int_equal(in.mem.index, g->index);
		assert_int_equal(in.mem.scale, g->scale);
		assert_int_equal(in.mem.addr_size, g->addr_size);
		assert_int_equal(in.mem.rip_relative, g->rip);
		assert_int_equal(in.mem.moffs, g->moffs);
		assert_int_equal(in.mem.seg, g->seg);
		assert_int_equal(in.mem.disp, g->disp);
		assert_int_equal(in.xrelease, g->xrelease);

		/* Extra bytes after the instruction change nothing. */
		uint8_t longer[32];
		struct insn_mmio in2;

		memset(&in2, 0, sizeof(in2));
		memset(longer, 0xcc, sizeof(longer));
		memcpy(longer, g->bytes, g->n);
		assert_int_equal(insn_decode_mmio(longer, sizeof(longer), &in2), INSN_OK);
		assert_memory_equal(&in, &in2, sizeof(in));
	}
}

struct bad {
	const char *text;
	uint8_t bytes[20];
	uint8_t n;
	enum insn_err err;
};

static const struct bad bad[] = {
	{"movsb", B(0xa4), INSN_ERR_STRING},
	{"movsd", B(0xa5), INSN_ERR_STRING},
	{"rep movsq", B(0xf3, 0x48, 0xa5), INSN_ERR_STRING},
	{"mov eax,eax", B(0x89, 0xc0), INSN_ERR_REG_OPERAND},
	{"mov r15,rax", B(0x49, 0x8b, 0xc7), INSN_ERR_REG_OPERAND},
	{"mov cl,ah", B(0x8a, 0xcc), INSN_ERR_REG_OPERAND},
	{"mov eax,0x1 (C7 /0 reg)", B(0xc7, 0xc0, 1, 0, 0, 0), INSN_ERR_REG_OPERAND},
	{"movzx eax,al", B(0x0f, 0xb6, 0xc0), INSN_ERR_REG_OPERAND},
	{"movsx eax,ax", B(0x0f, 0xbf, 0xc0), INSN_ERR_REG_OPERAND},
	{"lock mov [rdi],eax", B(0xf0, 0x89, 0x07), INSN_ERR_LOCK},
	{"lock mov eax,[rdi]", B(0xf0, 0x8b, 0x07), INSN_ERR_LOCK},
	{"lock movzx", B(0xf0, 0x0f, 0xb6, 0x07), INSN_ERR_LOCK},
	{"lock mov byte [rax],1", B(0xf0, 0xc6, 0x00, 0x01), INSN_ERR_LOCK},
	{"lock mov al,[moffs]", B(0xf0, 0xa0, 0, 0, 0, 0, 0, 0, 0, 0), INSN_ERR_LOCK},
	{"repne mov [rdi],eax", B(0xf2, 0x89, 0x07), INSN_ERR_REP},
	{"rep mov eax,[rdi]", B(0xf3, 0x8b, 0x07), INSN_ERR_REP},
	{"rep movzx", B(0xf3, 0x0f, 0xb6, 0x07), INSN_ERR_REP},
	{"repne movsx", B(0xf2, 0x0f, 0xbe, 0x07), INSN_ERR_REP},
	{"rep mov [moffs],al", B(0xf3, 0xa2, 0, 0, 0, 0, 0, 0, 0, 0), INSN_ERR_REP},
	{"rep mov al,[moffs]", B(0xf3, 0xa0, 0, 0, 0, 0, 0, 0, 0, 0), INSN_ERR_REP},
	{"nop", B(0x90), INSN_ERR_UNKNOWN_OPCODE},
	{"syscall", B(0x0f, 0x05), INSN_ERR_UNKNOWN_OPCODE},
	{"movsxd rax,[rdi]", B(0x48, 0x63, 0x07), INSN_ERR_UNKNOWN_OPCODE},
	{"mov [rax],es", B(0x8c, 0x00), INSN_ERR_UNKNOWN_OPCODE},
	{"mov ds,[rax]", B(0x8e, 0x18), INSN_ERR_UNKNOWN_OPCODE},
	{"C6 /1", B(0xc6, 0x08, 0x12), INSN_ERR_UNKNOWN_OPCODE},
	{"C7 /7 xbegin", B(0xc7, 0xf8, 0, 0, 0, 0), INSN_ERR_UNKNOWN_OPCODE},
	{"C6 /7 xabort", B(0xc6, 0xf8, 0x01), INSN_ERR_UNKNOWN_OPCODE},
	{"add [rax],al", B(0x00, 0x00), INSN_ERR_UNKNOWN_OPCODE},
	{"vmovdqu (VEX)", B(0xc5, 0xfe, 0x6f, 0x07), INSN_ERR_UNKNOWN_OPCODE},
	{"movnti", B(0x0f, 0xc3, 0x07), INSN_ERR_UNKNOWN_OPCODE},
	{"0F 0F (3DNow)", B(0x0f, 0x0f, 0x07, 0x0c), INSN_ERR_UNKNOWN_OPCODE},
	{"empty", .n = 0, .err = INSN_ERR_TRUNCATED},
	{"only a prefix", B(0x66), INSN_ERR_TRUNCATED},
	{"only REX", B(0x48), INSN_ERR_TRUNCATED},
	{"only 0F", B(0x0f), INSN_ERR_TRUNCATED},
	{"no ModRM", B(0x8b), INSN_ERR_TRUNCATED},
	{"no SIB", B(0x8b, 0x04), INSN_ERR_TRUNCATED},
	{"half a disp32", B(0x8b, 0x05, 0x00, 0x00), INSN_ERR_TRUNCATED},
	{"no disp8", B(0x8b, 0x44, 0x24), INSN_ERR_TRUNCATED},
	{"half an imm32", B(0x48, 0xc7, 0x00, 0xff, 0xff), INSN_ERR_TRUNCATED},
	{"no imm8", B(0xc6, 0x00), INSN_ERR_TRUNCATED},
	{"half a moffs64", B(0xa1, 1, 2, 3, 4), INSN_ERR_TRUNCATED},
	{"half a moffs32", B(0x67, 0xa1, 1, 2, 3), INSN_ERR_TRUNCATED},
	{"14 prefixes + mov: 16 bytes",
	 B(0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x89,
	   0x07),
	 INSN_ERR_TOO_LONG},
	{"15 prefixes",
	 B(0x2e, 0x2e, 0x2e, 0x2e, 0x2e, 0x2e, 0x2e, 0x2e, 0x2e, 0x2e, 0x2e, 0x2e, 0x2e, 0x2e, 0x2e,
	   0x8b, 0x00),
	 INSN_ERR_TOO_LONG},
	{"disp32 crosses byte 15",
	 B(0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x89, 0x05, 1, 2, 3, 4),
	 INSN_ERR_TOO_LONG},
};

static void test_rejected_forms(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const struct bad *b = &bad[i];
		struct insn_mmio in;

		print_message("%s\n", b->text);
		assert_int_equal(insn_decode_mmio(b->bytes, b->n, &in), b->err);
		assert_int_equal(in.kind, INSN_MMIO_NONE);
		assert_true(in.len <= b->n);
	}
}

static void test_rejection_precedence(void **state)
{
	struct insn_mmio in;
	(void)state;

	/* Length is known even when rejected, for diagnostics. */
	assert_int_equal(insn_decode_mmio((const uint8_t[]){0xc7, 0xc0, 1, 2, 3, 4}, 6, &in),
			 INSN_ERR_REG_OPERAND);
	assert_int_equal(in.len, 6);
	assert_int_equal(insn_decode_mmio((const uint8_t[]){0xf0, 0x89, 0x07}, 3, &in),
			 INSN_ERR_LOCK);
	assert_int_equal(in.len, 3);
	/* A register operand is not an MMIO access whatever its prefixes. */
	assert_int_equal(insn_decode_mmio((const uint8_t[]){0xf0, 0x89, 0xc0}, 3, &in),
			 INSN_ERR_REG_OPERAND);
	/* A truncated instruction is truncated, even when it would be rejected anyway. */
	assert_int_equal(insn_decode_mmio((const uint8_t[]){0xf0, 0x89, 0x05, 0}, 4, &in),
			 INSN_ERR_TRUNCATED);
	/* An unknown opcode wins over LOCK. */
	assert_int_equal(insn_decode_mmio((const uint8_t[]){0xf0, 0x01, 0x07}, 3, &in),
			 INSN_ERR_UNKNOWN_OPCODE);
	/* NULL arguments. */
	assert_int_equal(insn_decode_mmio(NULL, 4, &in), INSN_ERR_INVAL);
	assert_int_equal(insn_decode_mmio((const uint8_t[]){0x89, 0x07}, 2, NULL), INSN_ERR_INVAL);
}

static void test_strerror(void **state)
{
	(void)state;
	for (int i = 0; i < INSN_ERR_COUNT; i++) {
		const char *m = insn_strerror(i);

		assert_non_null(m);
		assert_true(strlen(m) > 5);
		for (int j = 0; j < i; j++)
			assert_string_not_equal(m, insn_strerror(j));
	}
	assert_string_equal(insn_strerror(INSN_ERR_STRING), "string MMIO not supported (MOVS)");
	assert_non_null(insn_strerror(INSN_ERR_COUNT));
	assert_non_null(insn_strerror((enum insn_err) - 1));
}

/* A register file with every byte distinct, so a stray write shows. */
static void init_gpr(uint64_t gpr[16])
{
	for (int i = 0; i < 16; i++)
		gpr[i] = 0xa7a6a5a4a3a2a1a0ULL + 0x1010101010101010ULL * (uint64_t)(i & 3) + i;
}

/* A load leaves (old & keep) | set in its destination register, and every other one alone. */
struct load_case {
	const char *text;
	uint8_t bytes[16];
	uint8_t n;
	uint64_t val;
	int reg;
	uint64_t keep, set;
};

#define KEEP_ALL_BUT(m) (~(uint64_t)(m))

static const struct load_case loads[] = {
	{"mov ah,[rdi]", B(0x8a, 0x27), 0x5a, INSN_RAX, KEEP_ALL_BUT(0xff00), 0x5a00},
	{"mov bh,[rdi] (value masked to 8 bits)", B(0x8a, 0x3f), 0x12ff, INSN_RBX,
	 KEEP_ALL_BUT(0xff00), 0xff00},
	{"mov r15b,[rdi]", B(0x44, 0x8a, 0x3f), 0x1234, INSN_R15, KEEP_ALL_BUT(0xff), 0x34},
	{"mov spl,[rdi]", B(0x40, 0x8a, 0x27), 0x34, INSN_RSP, KEEP_ALL_BUT(0xff), 0x34},
	{"mov al,[moffs]", B(0xa0, 0, 0, 0, 0, 0, 0, 0, 0), 0x34, INSN_RAX, KEEP_ALL_BUT(0xff),
	 0x34},
	{"mov cx,[rdi]", B(0x66, 0x8b, 0x0f), 0xbeef, INSN_RCX, KEEP_ALL_BUT(0xffff), 0xbeef},
	{"mov edx,[rdi] zero-extends", B(0x8b, 0x17), 0xdeadbeef, INSN_RDX, 0, 0xdeadbeef},
	{"mov eax,[moffs32] zero-extends", B(0x67, 0xa1, 0, 0, 0, 0), 0xdeadbeef, INSN_RAX, 0,
	 0xdeadbeef},
	{"mov r15,[rdi]", B(0x4c, 0x8b, 0x3f), 0x8123456789abcdefULL, INSN_R15, 0,
	 0x8123456789abcdefULL},
	{"movzx eax,byte", B(0x0f, 0xb6, 0x07), 0x80, INSN_RAX, 0, 0x80},
	{"movzx ax,byte", B(0x66, 0x0f, 0xb6, 0x07), 0x80, INSN_RAX, KEEP_ALL_BUT(0xffff), 0x0080},
	{"movzx r15,word", B(0x4c, 0x0f, 0xb7, 0x3f), 0xffff, INSN_R15, 0, 0xffff},
	{"movzx esp,byte (RSP, not AH)", B(0x0f, 0xb6, 0x27), 0x80, INSN_RSP, 0, 0x80},
	{"movsx rax,byte", B(0x48, 0x0f, 0xbe, 0x07), 0x80, INSN_RAX, 0, 0xffffffffffffff80ULL},
	{"movsx eax,byte upper half zeroed", B(0x0f, 0xbe, 0x07), 0x80, INSN_RAX, 0, 0xffffff80},
	{"movsx ax,byte", B(0x66, 0x0f, 0xbe, 0x07), 0x80, INSN_RAX, KEEP_ALL_BUT(0xffff), 0xff80},
	{"movsx eax,word", B(0x0f, 0xbf, 0x07), 0x8000, INSN_RAX, 0, 0xffff8000},
	{"movsx r15,word", B(0x4c, 0x0f, 0xbf, 0x3f), 0x7fff, INSN_R15, 0, 0x7fff},
	{"movsx r15,word negative", B(0x4c, 0x0f, 0xbf, 0x3f), 0x8001, INSN_R15, 0,
	 0xffffffffffff8001ULL},
};

static void test_loads(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(loads) / sizeof(loads[0]); i++) {
		const struct load_case *l = &loads[i];
		uint64_t gpr[16], before[16];
		struct insn_mmio in;

		print_message("%s\n", l->text);
		assert_int_equal(insn_decode_mmio(l->bytes, l->n, &in), INSN_OK);
		init_gpr(gpr);
		init_gpr(before);
		insn_mmio_load(&in, gpr, l->val);
		for (int r = 0; r < 16; r++) {
			if (r == l->reg)
				assert_int_equal(gpr[r], (before[r] & l->keep) | l->set);
			else
				assert_int_equal(gpr[r], before[r]);
		}
	}
}

static void test_stores(void **state)
{
	uint64_t gpr[16], before[16];
	struct insn_mmio in;
	(void)state;

	init_gpr(gpr);
	init_gpr(before);

#define STORE(expect, ...)                                                                         \
	do {                                                                                       \
		const uint8_t b_[] = {__VA_ARGS__};                                                \
		assert_int_equal(insn_decode_mmio(b_, sizeof(b_), &in), INSN_OK);                  \
		assert_int_equal(insn_mmio_store_value(&in, gpr), (expect));                       \
	} while (0)

	STORE(gpr[0] & 0xff, 0x88, 0x07);		       /* mov [rdi],al */
	STORE((gpr[0] >> 8) & 0xff, 0x88, 0x27);	       /* mov [rdi],ah */
	STORE((gpr[3] >> 8) & 0xff, 0x88, 0x3f);	       /* mov [rdi],bh */
	STORE(gpr[4] & 0xff, 0x40, 0x88, 0x27);		       /* mov [rdi],spl */
	STORE(gpr[15] & 0xff, 0x44, 0x88, 0x3f);	       /* mov [rdi],r15b */
	STORE(gpr[1] & 0xffff, 0x66, 0x89, 0x0f);	       /* mov [rdi],cx */
	STORE(gpr[2] & 0xffffffff, 0x89, 0x17);		       /* mov [rdi],edx */
	STORE(gpr[15], 0x4c, 0x89, 0x3f);		       /* mov [rdi],r15 */
	STORE(gpr[0], 0x48, 0xa3, 0, 0, 0, 0, 0, 0, 0, 0);     /* mov [moffs],rax */
	STORE(gpr[0] & 0xff, 0xa2, 0, 0, 0, 0, 0, 0, 0, 0);    /* mov [moffs],al */
	STORE(0xab, 0xc6, 0x00, 0xab);			       /* mov byte [rax],0xab */
	STORE(0xfffe, 0x66, 0xc7, 0x00, 0xfe, 0xff);	       /* mov word [rax],-2 */
	STORE(0xfffffffe, 0xc7, 0x00, 0xfe, 0xff, 0xff, 0xff); /* mov dword [rax],-2 */
	STORE(0xfffffffffffffffeULL, 0x48, 0xc7, 0x00, 0xfe, 0xff, 0xff, 0xff);
	/* Loads store nothing, and stores load nothing. */
	STORE(0, 0x8b, 0x07);
	assert_int_equal(insn_decode_mmio((const uint8_t[]){0x89, 0x07}, 2, &in), INSN_OK);
	insn_mmio_load(&in, gpr, 0x1234);
	assert_memory_equal(gpr, before, sizeof(gpr));
#undef STORE
}

static void test_addr(void **state)
{
	uint64_t gpr[16] = {0};
	struct insn_mmio in;
	(void)state;

	gpr[INSN_RAX] = 0x1000;
	gpr[INSN_RCX] = 0x10;
	gpr[INSN_R8] = 0xffffffff00000000ULL;
	gpr[INSN_R12] = 0x3;

	/* mov [rax+rcx*4+0x100],rax */
	assert_int_equal(
		insn_decode_mmio((const uint8_t[]){0x48, 0x89, 0x84, 0x88, 0, 1, 0, 0}, 8, &in),
		INSN_OK);
	assert_int_equal(insn_mmio_addr(&in, gpr, 0), 0x1000 + 0x40 + 0x100);
	/* mov [r8+r12*8],eax */
	assert_int_equal(insn_decode_mmio((const uint8_t[]){0x43, 0x89, 0x04, 0xe0}, 4, &in),
			 INSN_OK);
	assert_int_equal(insn_mmio_addr(&in, gpr, 0), 0xffffffff00000018ULL);
	/* mov eax,[rip-8]: relative to the next instruction */
	assert_int_equal(
		insn_decode_mmio((const uint8_t[]){0x8b, 0x05, 0xf8, 0xff, 0xff, 0xff}, 6, &in),
		INSN_OK);
	assert_int_equal(insn_mmio_addr(&in, gpr, 0x400000), 0x400000 + 6 - 8);
	/* mov eax,[eax-0x10] with 67h wraps at 4 GiB */
	gpr[INSN_RAX] = 0x8;
	assert_int_equal(insn_decode_mmio((const uint8_t[]){0x67, 0x8b, 0x40, 0xf0}, 4, &in),
			 INSN_OK);
	assert_int_equal(insn_mmio_addr(&in, gpr, 0), 0xfffffff8ULL);
	/* mov eax,[moffs64] */
	assert_int_equal(
		insn_decode_mmio((const uint8_t[]){0xa1, 0x00, 0x10, 0xfe, 0xfe, 0, 0, 0, 0x80}, 9,
				 &in),
		INSN_OK);
	assert_int_equal(insn_mmio_addr(&in, gpr, 0x1234), 0x80000000fefe1000ULL);
	/* mov [0x1000],eax (SIB without base or index) */
	assert_int_equal(
		insn_decode_mmio((const uint8_t[]){0x89, 0x04, 0x25, 0, 0x10, 0, 0}, 7, &in),
		INSN_OK);
	assert_int_equal(insn_mmio_addr(&in, gpr, 0x1234), 0x1000);
}

static void test_crosses_page(void **state)
{
	(void)state;
	assert_false(insn_mmio_crosses_page(0x1000, 8));
	assert_false(insn_mmio_crosses_page(0x1ff8, 8));
	assert_true(insn_mmio_crosses_page(0x1ff9, 8));
	assert_false(insn_mmio_crosses_page(0x1fff, 1));
	assert_true(insn_mmio_crosses_page(0x1fff, 2));
	assert_false(insn_mmio_crosses_page(0x1ffe, 2));
	assert_true(insn_mmio_crosses_page(0x1ffd, 4));
	assert_false(insn_mmio_crosses_page(0xfffffffffffffffcULL, 4));
	assert_true(insn_mmio_crosses_page(0xfffffffffffffffdULL, 4));
	assert_false(insn_mmio_crosses_page(0x1fff, 0));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_accepted_forms),
		cmocka_unit_test(test_rejected_forms),
		cmocka_unit_test(test_rejection_precedence),
		cmocka_unit_test(test_strerror),
		cmocka_unit_test(test_loads),
		cmocka_unit_test(test_stores),
		cmocka_unit_test(test_addr),
		cmocka_unit_test(test_crosses_page),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
