/* SPDX-License-Identifier: MIT */
/*
 * MMIO instruction decoder of the guest runtime.
 *
 * An access to an MMIO page (a shared GPA the VMM left unmapped) raises #VE with exit reason
 * EPT_VIOLATION. The #VE info gives the GPA but not the instruction length nor what the
 * instruction does (ve_instr_len is undefined for EPT violations), so the #VE handler decodes
 * the faulting instruction itself, as a TD guest kernel does, and turns it into a
 * TDVMCALL #VE.RequestMMIO.
 *
 * Only the forms compilers emit for MMIO accessors are accepted (the set of the Linux guest's
 * insn_decode_mmio() plus the moffs forms A0-A3 that EDK2's decoders know):
 *
 *   88 /r        MOV m8, r8               INSN_MMIO_WRITE
 *   89 /r        MOV m16/32/64, r         INSN_MMIO_WRITE
 *   8A /r        MOV r8, m8               INSN_MMIO_READ
 *   8B /r        MOV r, m16/32/64         INSN_MMIO_READ
 *   C6 /0 ib     MOV m8, imm8             INSN_MMIO_WRITE_IMM
 *   C7 /0 iw/id  MOV m16/32/64, imm       INSN_MMIO_WRITE_IMM (imm32 sign-extended for 64)
 *   A0/A1        MOV AL/rAX, moffs        INSN_MMIO_READ
 *   A2/A3        MOV moffs, AL/rAX        INSN_MMIO_WRITE
 *   0F B6/B7     MOVZX r, m8/m16          INSN_MMIO_READ_ZERO_EXTEND
 *   0F BE/BF     MOVSX r, m8/m16          INSN_MMIO_READ_SIGN_EXTEND
 *
 * Prefixes: 66, 67, REX (only when it immediately precedes the opcode, as on hardware),
 * segment overrides (recorded; in 64-bit mode only FS and GS have a base), F3 on the stores
 * 88/89/C6/C7 (XRELEASE, an architecturally valid hint the access ignores).
 *
 * Rejected, each with its own code (see enum insn_err): MOVS A4/A5, register operands
 * (ModRM.mod = 11), LOCK (MOV with LOCK is #UD, so it can never reach #VE), F2 anywhere and F3
 * on a load (reserved encodings), anything else, a buffer that ends before the instruction,
 * and instructions over 15 bytes.
 *
 * Where this differs from the Linux guest (arch/x86/lib/insn-eval.c insn_decode_mmio() and
 * the TDX handle_mmio(), as read):
 *  - A0-A3 are accepted here; Linux fails to decode them.
 *  - MOVZX/MOVSX into a 32-bit register zero the upper half, as the CPU does; Linux fills
 *    only opnd_bytes (4) and leaves bits 63:32 of the register as they were.
 *  - AH..BH are bits 15:8 of RAX..RBX here; Linux resolves ModRM.reg 4-7 to RSP..RDI
 *    whether or not there is a REX prefix (its register lookup has no byte-register case).
 *  - F2, F3 on loads, and LOCK are rejected; Linux ignores them. (LOCK MOV is #UD, so it
 *    can never fault on MMIO; F2/F3 on these forms are reserved except XRELEASE.)
 *
 * This file and insn_decode.c are plain C99 with only <stdint.h>, <stdbool.h> and <stddef.h>,
 * so the same source builds freestanding for the guest and hosted for the unit tests.
 */
#ifndef TDXGUEST_INSN_H
#define TDXGUEST_INSN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Architectural limit: a longer instruction is #GP on hardware. */
#define INSN_MAX_LEN 15

/* Register numbers in x86 encoding order: the index into a gpr[16] register file. */
enum insn_gpr {
	INSN_RAX = 0,
	INSN_RCX,
	INSN_RDX,
	INSN_RBX,
	INSN_RSP,
	INSN_RBP,
	INSN_RSI,
	INSN_RDI,
	INSN_R8,
	INSN_R9,
	INSN_R10,
	INSN_R11,
	INSN_R12,
	INSN_R13,
	INSN_R14,
	INSN_R15,
	INSN_NO_REG = -1,
};

enum insn_err {
	INSN_OK = 0,
	INSN_ERR_INVAL,		 /* NULL buffer or output */
	INSN_ERR_TRUNCATED,	 /* the buffer ends before the instruction does */
	INSN_ERR_TOO_LONG,	 /* more than 15 bytes (e.g. too many prefixes) */
	INSN_ERR_UNKNOWN_OPCODE, /* not one of the accepted MOV/MOVZX/MOVSX forms */
	INSN_ERR_STRING,	 /* MOVS A4/A5 */
	INSN_ERR_REG_OPERAND,	 /* ModRM.mod = 11: no memory operand */
	INSN_ERR_LOCK,		 /* F0 prefix */
	INSN_ERR_REP,		 /* F2, or F3 on a load */
	INSN_ERR_COUNT,
};

enum insn_mmio_kind {
	INSN_MMIO_NONE = 0,
	INSN_MMIO_WRITE,	    /* store a register */
	INSN_MMIO_WRITE_IMM,	    /* store an immediate */
	INSN_MMIO_READ,		    /* load into a register of the access size */
	INSN_MMIO_READ_ZERO_EXTEND, /* MOVZX */
	INSN_MMIO_READ_SIGN_EXTEND, /* MOVSX */
};

/* Segment override prefix, last one wins. */
enum insn_seg {
	INSN_SEG_NONE = 0,
	INSN_SEG_ES,
	INSN_SEG_CS,
	INSN_SEG_SS,
	INSN_SEG_DS,
	INSN_SEG_FS,
	INSN_SEG_GS,
};

/*
 * The memory operand, enough to compute the effective address (insn_mmio_addr()):
 *   offset = disp + (rip_relative ? next RIP : 0) + gpr[base] + gpr[index] * scale,
 * truncated to 32 bits if addr_size is 4; plus the FS/GS base if seg says so.
 */
struct insn_mem {
	int8_t base;	   /* INSN_RAX..INSN_R15 or INSN_NO_REG */
	int8_t index;	   /* INSN_RAX..INSN_R15 or INSN_NO_REG (never RSP) */
	uint8_t scale;	   /* 1, 2, 4, 8; 0 when there is no index */
	uint8_t addr_size; /* 8, or 4 with the 67h prefix */
	bool rip_relative; /* ModRM mod=00 rm=101: disp is relative to the next instruction */
	bool moffs;	   /* A0-A3: disp is the absolute offset, no base or index */
	uint8_t seg;	   /* enum insn_seg */
	int64_t disp;	   /* disp8/disp32 sign-extended, or the moffs (zero-extended) */
};

struct insn_mmio {
	uint8_t kind;	 /* enum insn_mmio_kind */
	uint8_t size;	 /* bytes of MMIO accessed: 1, 2, 4, 8 */
	uint8_t op_size; /* register operand size: == size, or 2/4/8 for MOVZX/MOVSX */
	uint8_t len;	 /* instruction length, to advance RIP */
	int8_t reg;	 /* register operand, INSN_NO_REG for WRITE_IMM */
	bool reg_high;	 /* reg is AH/CH/DH/BH: bits 15:8 of RAX/RCX/RDX/RBX */
	uint8_t rex;	 /* the effective REX byte, 0 if none */
	bool opsize_66;	 /* 66h seen */
	bool xrelease;	 /* F3 on a store (ignored by the access) */
	uint64_t imm;	 /* WRITE_IMM: the value stored, already extended to size */
	struct insn_mem mem;
};

/*
 * Decode the instruction at buf, reading at most len bytes (never beyond, never beyond 15).
 * Returns INSN_OK and fills *out, or an error; on error out->len holds the bytes examined.
 */
enum insn_err insn_decode_mmio(const uint8_t *buf, size_t len, struct insn_mmio *out);

/* A clear message for an error code; never NULL. */
const char *insn_strerror(enum insn_err err);

/* The value a WRITE/WRITE_IMM stores, from the register file, masked to the access size. */
uint64_t insn_mmio_store_value(const struct insn_mmio *insn, const uint64_t gpr[16]);

/*
 * Complete a READ* with the value val read from MMIO, with x86 semantics: an 8- or 16-bit
 * destination merges into the low bits (AH..BH into bits 15:8), a 32-bit destination
 * zero-extends to 64 bits, MOVZX/MOVSX extend to op_size first.
 */
void insn_mmio_load(const struct insn_mmio *insn, uint64_t gpr[16], uint64_t val);

/*
 * Effective address of the memory operand, without segment base, for the instruction at rip.
 * In 64-bit mode only FS and GS have a base: add it when insn->mem.seg is FS or GS.
 */
uint64_t insn_mmio_addr(const struct insn_mmio *insn, const uint64_t gpr[16], uint64_t rip);

/* Whether a size-byte access at gva touches two 4 KiB pages (the #VE handler rejects it). */
bool insn_mmio_crosses_page(uint64_t gva, unsigned int size);

#endif /* TDXGUEST_INSN_H */
