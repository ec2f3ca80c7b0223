// SPDX-License-Identifier: MIT
/*
 * The paths of a TD's port I/O and MMIO (vmm_td_paths, cfg.io_paths) on the system backend,
 * counted exactly. A hand-built bzImage booted as a Linux TD (tdxsim_linux_td_create: the
 * reset page, long mode, the kernel's 64-bit entry at CPL0) whose "kernel" does:
 *
 *   - N_DIRECT port writes by direct TDVMCALL<Instruction.IO> (as Linux's decompressor);
 *   - an IDT shaped as Linux's early one (vector 19's handler 9 bytes before vector 20's),
 *     then N_EARLY `inb $0x42` through #VE (VEINFO.GET, TDVMCALL, RIP past the instruction);
 *   - vector 20 pointed at another handler, then N_LATE `inw (%dx)` from port 0x61;
 *   - a shared GPA mapped in its page tables and N_MOV `movl (%rbx),%ecx`, N_MOVZX
 *     `movzbl 4(%rbx),%ecx` and N_STORE `movl $imm32,8(%rbx)` through #VE and
 *     TDVMCALL<#VE.RequestMMIO> (the EPT violation's VE info has no instruction length:
 *     Linux decodes the instruction; here the code passes it in RDI);
 *   - the power-off (byte 0x20 to port 0x605) by direct TDVMCALL.
 *
 * The counts are exactly those, by port, size, direction, path and handler, and the MMIO by
 * instruction; the #VEs by reason are exactly the #VE'd ones. Skips (77) without QEMU.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "bzimage.h"
#include "tdxsim/linux.h"
#include "tdxsim/tdxsim.h"

#define N_DIRECT 7
#define N_EARLY	 11
#define N_LATE	 5
#define N_MOV	 3
#define N_MOVZX	 2
#define N_STORE	 4

#define STR(x)	#x
#define XSTR(x) STR(x)

extern const uint8_t pg_start[], pg_end[], pg_ve_early[], pg_ve_late[];
/* clang-format off */
__asm__(".pushsection .rodata\n"
	".globl pg_start, pg_end, pg_ve_early, pg_ve_late\n"
	".code64\n"
	"pg_start:\n"
	/* direct TDVMCALL<Instruction.IO>: OUT of one byte to port 0x80 */
	"	movl $" XSTR(N_DIRECT) ", %ebp\n"
	"1:	movl $30, %r11d\n"
	"	movl $1, %r12d\n"
	"	movl $1, %r13d\n"
	"	movl $0x80, %r14d\n"
	"	movl %ebp, %r15d\n"
	"	xorl %r10d, %r10d\n"
	"	movl $0xFC00, %ecx\n"			/* R10-R15 */
	"	xorl %eax, %eax\n"
	"	.byte 0x66, 0x0f, 0x01, 0xcc\n"		/* TDCALL: TDG.VP.VMCALL */
	"	decl %ebp\n"
	"	jnz 1b\n"
	/* the IDT at 0x1100000: vector 19 at pg_ve_early - 9, 20 at pg_ve_early */
	"	movl $0x1100000, %edi\n"
	"	leaq pg_ve_early-9(%rip), %rax\n"
	"	movl $19, %esi\n"
	"	call set_gate\n"
	"	leaq pg_ve_early(%rip), %rax\n"
	"	movl $20, %esi\n"
	"	call set_gate\n"
	"	subq $16, %rsp\n"
	"	movw $0xfff, (%rsp)\n"
	"	movq %rdi, 2(%rsp)\n"
	"	lidt (%rsp)\n"
	"	addq $16, %rsp\n"
	"	movl $" XSTR(N_EARLY) ", %ebp\n"
	"2:	inb $0x42, %al\n"
	"	decl %ebp\n"
	"	jnz 2b\n"
	/* vector 20 to the other handler */
	"	leaq pg_ve_late(%rip), %rax\n"
	"	movl $20, %esi\n"
	"	call set_gate\n"
	"	movl $" XSTR(N_LATE) ", %ebp\n"
	"3:	movl $0x61, %edx\n"			/* the handler's VEINFO.GET sets RDX */
	"	inw %dx, %ax\n"
	"	decl %ebp\n"
	"	jnz 3b\n"
	/* linear 512 GiB -> shared GPA 1 << 47 | 0xD0000000 (2 MiB page) */
	"	movq %cr3, %rax\n"
	"	andq $~0xfff, %rax\n"
	"	movq $0x1101003, 8(%rax)\n"
	"	movq $0x1102003, 0x1101000\n"
	"	movabsq $0x8000D0000083, %rcx\n"
	"	movq %rcx, 0x1102000\n"
	"	movq %rax, %cr3\n"
	"	movabsq $0x8000000000, %rbx\n"
	"	movl $4, %esi\n"			/* the access size, for the handler */
	"	movl $" XSTR(N_MOV) ", %ebp\n"
	"	movl $(14f - 4f), %edi\n"		/* its length: no VE info has it */
	"4:	movl (%rbx), %ecx\n"
	"14:\n"
	"	decl %ebp\n"
	"	jnz 4b\n"
	"	movl $1, %esi\n"
	"	movl $" XSTR(N_MOVZX) ", %ebp\n"
	"	movl $(15f - 5f), %edi\n"
	"5:	movzbl 4(%rbx), %ecx\n"
	"15:\n"
	"	decl %ebp\n"
	"	jnz 5b\n"
	"	movl $4, %esi\n"
	"	movl $" XSTR(N_STORE) ", %ebp\n"
	"	movl $(16f - 6f), %edi\n"
	"6:	movl $0x12345678, 8(%rbx)\n"
	"16:\n"
	"	decl %ebp\n"
	"	jnz 6b\n"
	/* power off: OUT 0x20 to port 0x605 (SLP_EN, S5), direct */
	"	movl $30, %r11d\n"
	"	movl $1, %r12d\n"
	"	movl $1, %r13d\n"
	"	movl $0x605, %r14d\n"
	"	movl $0x20, %r15d\n"
	"	xorl %r10d, %r10d\n"
	"	movl $0xFC00, %ecx\n"
	"	xorl %eax, %eax\n"
	"	.byte 0x66, 0x0f, 0x01, 0xcc\n"
	"7:	pause\n"
	"	jmp 7b\n"
	/* RDI = IDT, ESI = vector, RAX = handler: a 64-bit interrupt gate with the current CS */
	"set_gate:\n"
	"	shll $4, %esi\n"
	"	addq %rdi, %rsi\n"
	"	movw %ax, (%rsi)\n"			/* offset 15:0 */
	"	movw %cs, 2(%rsi)\n"
	"	movw $0x8e00, 4(%rsi)\n"		/* present, DPL 0, interrupt gate, IST 0 */
	"	shrq $16, %rax\n"
	"	movw %ax, 6(%rsi)\n"			/* offset 31:16 */
	"	shrq $16, %rax\n"
	"	movq %rax, 8(%rsi)\n"			/* offset 63:32, reserved 0 */
	"	ret\n"
	/* #VE: VEINFO.GET, the TDVMCALL the VE info asks for, RIP past the instruction */
	"	.p2align 4\n"
	"	nop\n"
	"pg_ve_early:\n"
	"	jmp ve_body\n"
	"	.p2align 4\n"
	"pg_ve_late:\n"
	"ve_body:\n"
	"	movl $3, %eax\n"			/* TDG.VP.VEINFO.GET */
	"	.byte 0x66, 0x0f, 0x01, 0xcc\n"
	"	pushq %r10\n"				/* I/O: the instruction's length, bits 31:0 */
	"	cmpl $30, %ecx\n"
	"	jne 8f\n"
	"	movq %rdx, %r14\n"			/* I/O: the port, size, direction */
	"	shrq $16, %r14\n"
	"	andl $0xffff, %r14d\n"
	"	movq %rdx, %r12\n"
	"	andl $7, %r12d\n"
	"	incl %r12d\n"
	"	movq %rdx, %r13\n"
	"	shrq $3, %r13\n"
	"	andl $1, %r13d\n"
	"	xorl $1, %r13d\n"			/* IN (1) is a read (0) */
	"	movl $30, %r11d\n"
	"	jmp 9f\n"
	"8:	movq %r9, %r14\n"			/* MMIO: the GPA, the size, write (bit 1) */
	"	movq %rdi, (%rsp)\n"			/* the length, as Linux decodes it */
	"	movq %rsi, %r12\n"
	"	movq %rdx, %r13\n"
	"	shrq $1, %r13\n"
	"	andl $1, %r13d\n"
	"	movl $48, %r11d\n"
	"9:	xorl %r15d, %r15d\n"
	"	xorl %r10d, %r10d\n"
	"	movl $0xFC00, %ecx\n"
	"	xorl %eax, %eax\n"
	"	.byte 0x66, 0x0f, 0x01, 0xcc\n"
	"	popq %rax\n"
	"	movl %eax, %eax\n"
	"	addq %rax, (%rsp)\n"
	"	iretq\n"
	"pg_end:\n"
	".popsection\n");
/* clang-format on */

static char dir[] = "/tmp/tdxsim-linux-paths-XXXXXX";
static char kernel[128], err[1024];
static bool have_qemu;

/* The guest address of a label of the code above. */
static uint64_t guest_addr(const uint8_t *label)
{
	return BZ_ENTRY_GPA + (uint64_t)(label - pg_start);
}

static void quiet(const char *line, void *opaque)
{
	(void)line;
	(void)opaque;
}

static int setup(void **state)
{
	static uint8_t bz[2 * 512 + 2 * 4096];
	const char *q = getenv("TDXSIM_QEMU");
	char cmd[512];
	FILE *f;

	(void)state;
	snprintf(cmd, sizeof(cmd), "command -v '%s' >/dev/null 2>&1",
		 q && *q ? q : "qemu-system-x86_64");
	have_qemu = system(cmd) == 0;
	if (!have_qemu)
		return 0;
	if (!mkdtemp(dir))
		return -1;
	bz_header(bz);
	if ((size_t)(pg_end - pg_start) > sizeof(bz) - BZ_KERNEL_OFFSET - 0x200)
		return -1;
	memcpy(bz + BZ_KERNEL_OFFSET + 0x200, pg_start, (size_t)(pg_end - pg_start));
	snprintf(kernel, sizeof(kernel), "%s/bzImage", dir);
	f = fopen(kernel, "wb");
	if (!f || fwrite(bz, 1, sizeof(bz), f) != sizeof(bz) || fclose(f))
		return -1;
	if (tdxsim_boot(&(struct tdxsim_boot){.cpu = TDXSIM_CPU_SYSTEM, .log = quiet}, err,
			sizeof(err))) {
		fprintf(stderr, "tdxsim_boot: %s\n", err);
		return -1;
	}
	return 0;
}

static int teardown(void **state)
{
	char cmd[256];

	(void)state;
	if (!have_qemu)
		return 0;
	tdxsim_shutdown();
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd);
}

static void expect_io(const struct vmm_io_path *p, uint16_t port, uint8_t size, bool write, bool ve,
		      uint64_t handler, uint64_t handler_19, uint64_t count)
{
	assert_int_equal(p->port, port);
	assert_int_equal(p->size, size);
	assert_int_equal(p->write, write);
	assert_int_equal(p->ve, ve);
	assert_int_equal(p->handler, handler);
	assert_int_equal(p->handler_19, handler_19);
	assert_int_equal(p->count, count);
}

static void expect_mmio(const struct vmm_mmio_path *p, const char *insn, uint8_t size, bool write,
			uint64_t handler, uint64_t count)
{
	assert_string_equal(p->insn, insn);
	assert_int_equal(p->size, size);
	assert_int_equal(p->write, write);
	assert_true(p->ve);
	assert_int_equal(p->handler, handler);
	assert_int_equal(p->handler_19, guest_addr(pg_ve_early) - 9);
	assert_int_equal(p->count, count);
}

/* The TD of the bzImage run to its power-off (status 0), its counts into *p. */
static void run_td(bool io_paths, struct vmm_paths *p)
{
	const struct vmm_td_result *res;
	struct vmm_td_config cfg;
	struct vmm_td *td;

	vmm_td_config_default(&cfg);
	cfg.memory_size = 64ULL << 20;
	cfg.attributes = VMM_ATTR_SEPT_VE_DISABLE;
	cfg.io_paths = io_paths;
	if (tdxsim_linux_td_create(&cfg, kernel, NULL, "", &td, err, sizeof(err)))
		fail_msg("tdxsim_linux_td_create: %s", err);
	assert_int_equal(vmm_td_run(td), 0);
	res = vmm_td_result(td);
	if (res->reason != VMM_STOP_POWEROFF)
		fail_msg("stopped: %s: %s", vmm_stop_reason_name(res->reason), res->message);
	assert_int_equal(res->exit_status, 0);
	vmm_td_paths(td, p);
	vmm_td_destroy(td);
}

static void test_paths_counted(void **state)
{
	uint64_t early = guest_addr(pg_ve_early), late = guest_addr(pg_ve_late);
	struct vmm_paths *p = malloc(sizeof(*p));

	(void)state;
	if (!have_qemu)
		skip();
	assert_non_null(p);
	run_td(true, p);

	/* Port I/O in order of first occurrence, each path and handler on its own row. */
	assert_int_equal(p->nr_io, 4);
	expect_io(&p->io[0], 0x80, 1, true, false, 0, 0, N_DIRECT);
	expect_io(&p->io[1], 0x42, 1, false, true, early, early - 9, N_EARLY);
	expect_io(&p->io[2], 0x61, 2, false, true, late, early - 9, N_LATE);
	expect_io(&p->io[3], 0x605, 1, true, false, 0, 0, 1);
	assert_int_equal(p->io_other, 0);

	/* MMIO by instruction, in operand form. */
	assert_int_equal(p->nr_mmio, 3);
	expect_mmio(&p->mmio[0], "mov r32,[m32]", 4, false, late, N_MOV);
	expect_mmio(&p->mmio[1], "movzx r32,[m8]", 1, false, late, N_MOVZX);
	expect_mmio(&p->mmio[2], "mov [m32],imm32", 4, true, late, N_STORE);
	assert_int_equal(p->mmio_other, 0);

	/* #VEs by reason: exactly the #VE'd accesses. */
	for (unsigned int r = 0; r < VMM_EXIT_REASONS; r++)
		assert_int_equal(p->ves[r], r == 30   ? N_EARLY + N_LATE
					    : r == 48 ? N_MOV + N_MOVZX + N_STORE
						      : 0);
	assert_int_equal(p->ves_other, 0);
	free(p);
}

/* Without cfg.io_paths nothing is counted (the module's hooks stay off). */
static void test_paths_off(void **state)
{
	struct vmm_paths *p = malloc(sizeof(*p));

	(void)state;
	if (!have_qemu)
		skip();
	assert_non_null(p);
	run_td(false, p);
	assert_int_equal(p->nr_io, 0);
	assert_int_equal(p->nr_mmio, 0);
	for (unsigned int r = 0; r < VMM_EXIT_REASONS; r++)
		assert_int_equal(p->ves[r], 0);
	free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_paths_counted),
		cmocka_unit_test(test_paths_off),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
