// SPDX-License-Identifier: MIT
/*
 * The system backend's SVM -> VMX translation (platform/system/exit.c), without QEMU: each SVM
 * exit code with the guest's bytes at RIP gives the VMX exit reason, qualification and
 * instruction length the module expects; VMX events become EVENTINJ and EXITINTINFO becomes
 * IDT-vectoring information; guest memory reads walk the guest's own page tables.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "platform/system/exit.h"
#include "platform/system/svm.h"

#define RIP 0x401000ULL

static enum system_exit_action tr(uint64_t code, uint64_t info1, uint64_t info2, const char *bytes,
				  unsigned int n, struct vm_exit *e, uint64_t *inj)
{
	struct svm_exit s = {.code = code, .info1 = info1, .info2 = info2, .rip = RIP};

	memcpy(s.insn, bytes, n);
	s.insn_bytes = n;
	return system_exit_translate(&s, e, inj);
}

static void expect_insn(uint64_t code, const char *bytes, unsigned int n, uint32_t reason,
			uint32_t len)
{
	struct vm_exit e;
	uint64_t inj;

	assert_int_equal(tr(code, 0, 0, bytes, n, &e, &inj), SYSTEM_EXIT_MODULE);
	assert_int_equal(e.reason, reason);
	assert_int_equal(e.insn_len, len);
	assert_int_equal(e.qual, 0);
	assert_int_equal(inj, 0);
}

static void test_ud_instructions(void **state)
{
	struct vm_exit e;
	uint64_t inj;

	(void)state;
	expect_insn(SVM_EXIT_EXCP_BASE + 6, "\x66\x0F\x01\xCC", 4, EXIT_REASON_TDCALL, 4);
	expect_insn(SVM_EXIT_EXCP_BASE + 6, "\x66\x0F\x01\xCF", 4, EXIT_REASON_SEAMCALL, 4);
	expect_insn(SVM_EXIT_EXCP_BASE + 6, "\x0F\x01\xC1", 3, EXIT_REASON_VMCALL, 3);
	/* 0F 01 CC without 66 is not TDCALL; UD2 is the guest's own #UD: put back */
	assert_int_equal(tr(SVM_EXIT_EXCP_BASE + 6, 0, 0, "\x0F\x01\xCC", 3, &e, &inj),
			 SYSTEM_EXIT_REINJECT);
	assert_int_equal(inj, 0x80000306ULL);
	assert_int_equal(tr(SVM_EXIT_EXCP_BASE + 6, 0, 0, "\x0F\x0B", 2, &e, &inj),
			 SYSTEM_EXIT_REINJECT);
	assert_int_equal(inj, 0x80000306ULL);
	/* bytes that could not be read: not a TDCALL */
	assert_int_equal(tr(SVM_EXIT_EXCP_BASE + 6, 0, 0, "", 0, &e, &inj), SYSTEM_EXIT_REINJECT);
}

static void test_instruction_exits(void **state)
{
	(void)state;
	expect_insn(SVM_EXIT_CPUID, "\x0F\xA2", 2, EXIT_REASON_CPUID, 2);
	expect_insn(SVM_EXIT_CPUID, "\x48\x0F\xA2", 3, EXIT_REASON_CPUID, 3); /* REX */
	expect_insn(SVM_EXIT_CPUID, "\x2E\x0F\xA2", 3, EXIT_REASON_CPUID, 3);
	expect_insn(SVM_EXIT_HLT, "\xF4", 1, EXIT_REASON_HLT, 1);
	expect_insn(SVM_EXIT_PAUSE, "\xF3\x90", 2, EXIT_REASON_PAUSE_INSTRUCTION, 2);
	expect_insn(SVM_EXIT_INVD, "\x0F\x08", 2, EXIT_REASON_INVD, 2);
	expect_insn(SVM_EXIT_WBINVD, "\x0F\x09", 2, EXIT_REASON_WBINVD, 2);
	expect_insn(SVM_EXIT_RDPMC, "\x0F\x33", 2, EXIT_REASON_RDPMC, 2);
	expect_insn(SVM_EXIT_RDTSC, "\x0F\x31", 2, EXIT_REASON_RDTSC, 2);
	expect_insn(SVM_EXIT_RDTSCP, "\x0F\x01\xF9", 3, EXIT_REASON_RDTSCP, 3);
	expect_insn(SVM_EXIT_MONITOR, "\x0F\x01\xC8", 3, EXIT_REASON_MONITOR_INSTRUCTION, 3);
	expect_insn(SVM_EXIT_MWAIT, "\x0F\x01\xC9", 3, EXIT_REASON_MWAIT_INSTRUCTION, 3);
	expect_insn(SVM_EXIT_XSETBV, "\x0F\x01\xD1", 3, EXIT_REASON_XSETBV, 3);
	expect_insn(SVM_EXIT_VMMCALL, "\x0F\x01\xD9", 3, EXIT_REASON_VMCALL, 3);
	expect_insn(SVM_EXIT_MSR, "\x0F\x32", 2, EXIT_REASON_MSR_READ, 2);
	/* unreadable bytes: no length (the backend refuses to guess) */
	expect_insn(SVM_EXIT_CPUID, "", 0, EXIT_REASON_CPUID, 0);
}

static void test_msr_write_and_io(void **state)
{
	struct vm_exit e;
	uint64_t inj;

	(void)state;
	assert_int_equal(tr(SVM_EXIT_MSR, 1, 0, "\x0F\x30", 2, &e, &inj), SYSTEM_EXIT_MODULE);
	assert_int_equal(e.reason, EXIT_REASON_MSR_WRITE);
	assert_int_equal(e.insn_len, 2);
	/* OUT DX, AL to 0x3F8: EXITINFO2 is the next RIP */
	assert_int_equal(
		tr(SVM_EXIT_IOIO, 0x3F8ULL << 16 | SVM_IOIO_SZ8, RIP + 1, "\xEE", 1, &e, &inj),
		SYSTEM_EXIT_MODULE);
	assert_int_equal(e.reason, EXIT_REASON_IO_INSTRUCTION);
	assert_int_equal(e.qual, tdx_io_qual_make(1, false, false, false, false, 0x3F8));
	assert_int_equal(e.qual, 0x03F80000ULL);
	assert_int_equal(e.insn_len, 1);
	/* IN AL, 0x60: immediate port */
	tr(SVM_EXIT_IOIO, 0x60ULL << 16 | SVM_IOIO_SZ8 | SVM_IOIO_TYPE_IN, RIP + 2, "\xE4\x60", 2,
	   &e, &inj);
	assert_int_equal(e.qual, 0x00600048ULL);
	assert_int_equal(e.insn_len, 2);
	/* REP OUTSW to 0x80 (66 F3 6F) */
	tr(SVM_EXIT_IOIO, 0x80ULL << 16 | SVM_IOIO_SZ16 | SVM_IOIO_STR | SVM_IOIO_REP, RIP + 3,
	   "\x66\xF3\x6F", 3, &e, &inj);
	assert_int_equal(e.qual, tdx_io_qual_make(2, false, true, true, false, 0x80));
	assert_int_equal(e.insn_len, 3);
	/* IN EAX, DX */
	tr(SVM_EXIT_IOIO, 0xCFCULL << 16 | SVM_IOIO_SZ32 | SVM_IOIO_TYPE_IN, RIP + 1, "\xED", 1, &e,
	   &inj);
	assert_int_equal(e.qual, 0x0CFC000BULL);
}

static void test_npf(void **state)
{
	struct vm_exit e;
	uint64_t inj;

	(void)state;
	/* a read of a GPA with no nested entry */
	tr(SVM_EXIT_NPF, SVM_NPF_FINAL_GPA | SVM_NPF_USER, 0x8000001F0000ULL, "", 0, &e, &inj);
	assert_int_equal(e.reason, EXIT_REASON_EPT_VIOLATION);
	assert_int_equal(e.gpa, 0x8000001F0000ULL);
	assert_int_equal(e.qual, EXIT_QUAL_EPT_READ);
	assert_int_equal(e.insn_len, 0);
	/* a write to a present, read-only entry */
	tr(SVM_EXIT_NPF, SVM_NPF_FINAL_GPA | SVM_NPF_USER | SVM_NPF_P | SVM_NPF_WRITE, 0x5000, "",
	   0, &e, &inj);
	assert_int_equal(e.qual,
			 EXIT_QUAL_EPT_WRITE | EXIT_QUAL_EPT_READABLE | EXIT_QUAL_EPT_EXECUTABLE);
	/* a fetch with no entry, during the guest's own page walk */
	tr(SVM_EXIT_NPF, SVM_NPF_GUEST_TABLES | SVM_NPF_USER | SVM_NPF_FETCH, 0x3000, "", 0, &e,
	   &inj);
	assert_int_equal(e.qual, EXIT_QUAL_EPT_FETCH);
	assert_int_equal(e.gpa, 0x3000);
}

static void test_events_and_others(void **state)
{
	struct vm_exit e;
	uint64_t inj;

	(void)state;
	assert_int_equal(tr(SVM_EXIT_INTR, 0, 0, "", 0, &e, &inj), SYSTEM_EXIT_MODULE);
	assert_int_equal(e.reason, EXIT_REASON_EXTERNAL_INTERRUPT);
	assert_int_equal(e.intr_info, 0);
	tr(SVM_EXIT_NMI, 0, 0, "", 0, &e, &inj);
	assert_int_equal(e.reason, EXIT_REASON_EXCEPTION_NMI);
	assert_int_equal(e.intr_info, 0x80000202U);
	tr(SVM_EXIT_SHUTDOWN, 0, 0, "", 0, &e, &inj);
	assert_int_equal(e.reason, EXIT_REASON_TRIPLE_FAULT);
	tr(SVM_EXIT_INVALID, 0, 0, "", 0, &e, &inj);
	assert_int_equal(e.reason, 0x80000021U);
	assert_int_equal(tr(SVM_EXIT_SMI, 0, 0, "", 0, &e, &inj), SYSTEM_EXIT_RESUME);
	tr(SVM_EXIT_INIT, 0, 0, "", 0, &e, &inj);
	assert_int_equal(e.reason, EXIT_REASON_INIT_SIGNAL);
	tr(SVM_EXIT_VINTR, 0, 0, "", 0, &e, &inj);
	assert_int_equal(e.reason, EXIT_REASON_INTERRUPT_WINDOW);
	/* an intercepted #PF: error code and CR2 as VMX reports them */
	tr(SVM_EXIT_EXCP_BASE + 14, 6, 0xDEAD000, "", 0, &e, &inj);
	assert_int_equal(e.reason, EXIT_REASON_EXCEPTION_NMI);
	assert_int_equal(e.intr_info, 0x80000B0EU);
	assert_int_equal(e.intr_error, 6);
	assert_int_equal(e.qual, 0xDEAD000);
	tr(SVM_EXIT_EXCP_BASE + 18, 0, 0, "", 0, &e, &inj); /* #MC: no error code */
	assert_int_equal(e.intr_info, 0x80000312U);
	/* MOV RAX to CR0 (0F 22 C0), MOV R8 to CR4 (41 0F 22 E0) */
	tr(SVM_EXIT_WRITE_CR0, 0, 0, "\x0F\x22\xC0", 3, &e, &inj);
	assert_int_equal(e.reason, EXIT_REASON_CR_ACCESS);
	assert_int_equal(e.qual, 0);
	assert_int_equal(e.insn_len, 3);
	tr(SVM_EXIT_WRITE_CR0 + 4, 0, 0, "\x41\x0F\x22\xE0", 4, &e, &inj);
	assert_int_equal(e.qual, 0x804);
	assert_int_equal(e.insn_len, 4);
	/* MOV CR4 to RBX (0F 20 E3), MOV CR0 to R9 (41 0F 20 C1): access type 1 */
	tr(SVM_EXIT_READ_CR0 + 4, 0, 0, "\x0F\x20\xE3", 3, &e, &inj);
	assert_int_equal(e.reason, EXIT_REASON_CR_ACCESS);
	assert_int_equal(e.qual, 0x314);
	assert_int_equal(e.insn_len, 3);
	tr(SVM_EXIT_READ_CR0, 0, 0, "\x41\x0F\x20\xC1", 4, &e, &inj);
	assert_int_equal(e.qual, 0x910);
	assert_int_equal(e.insn_len, 4);
	/* CLTS (0F 06): type 2; LMSW DX (0F 01 F2): type 3, GPR 2; SMSW ECX (0F 01 E1): a read */
	tr(SVM_EXIT_WRITE_CR0, 0, 0, "\x0F\x06", 2, &e, &inj);
	assert_int_equal(e.reason, EXIT_REASON_CR_ACCESS);
	assert_int_equal(e.qual, 0x20);
	assert_int_equal(e.insn_len, 2);
	tr(SVM_EXIT_WRITE_CR0, 0, 0, "\x0F\x01\xF2", 3, &e, &inj);
	assert_int_equal(e.qual, 0x230);
	assert_int_equal(e.insn_len, 3);
	tr(SVM_EXIT_READ_CR0, 0, 0, "\x0F\x01\xE1", 3, &e, &inj);
	assert_int_equal(e.qual, 0x110);
	assert_int_equal(e.insn_len, 3);
	/* LMSW with a memory operand (0F 01 30: [RAX]) is not decoded */
	assert_int_equal(tr(SVM_EXIT_WRITE_CR0, 0, 0, "\x0F\x01\x30", 3, &e, &inj),
			 SYSTEM_EXIT_UNKNOWN);
	assert_int_equal(tr(0x7E, 0, 0, "", 0, &e, &inj), SYSTEM_EXIT_UNKNOWN);
}

static void test_eventinj(void **state)
{
	uint32_t err;

	(void)state;
	assert_int_equal(system_eventinj(20 | INTR_TYPE_HARD_EXCEPTION | INTR_INFO_VALID, 0),
			 0x80000314ULL);
	assert_int_equal(system_eventinj(14 | INTR_TYPE_HARD_EXCEPTION | INTR_INFO_ERROR_VALID |
						 INTR_INFO_VALID,
					 6),
			 0x0000000680000B0EULL);
	assert_int_equal(system_eventinj(0x30 | INTR_TYPE_EXT_INTR | INTR_INFO_VALID, 0),
			 0x80000030ULL);
	assert_int_equal(system_eventinj(2 | INTR_TYPE_NMI | INTR_INFO_VALID, 0), 0x80000202ULL);
	assert_int_equal(system_eventinj(0x80 | INTR_TYPE_SOFT_INTR | INTR_INFO_VALID, 0),
			 0x80000480ULL);
	assert_int_equal(system_eventinj(3 | INTR_TYPE_SOFT_EXCEPTION | INTR_INFO_VALID, 0),
			 0x80000303ULL);
	assert_int_equal(system_eventinj(20 | INTR_TYPE_HARD_EXCEPTION, 0), 0);
	/* and back: EXITINTINFO as IDT-vectoring information */
	assert_int_equal(system_idt_vectoring(0x0000000680000B0EULL, &err), 0x80000B0EU);
	assert_int_equal(err, 6);
	assert_int_equal(system_idt_vectoring(0x80000030ULL, &err), 0x80000030U);
	assert_int_equal(err, 0);
	assert_int_equal(system_idt_vectoring(0x30ULL, &err), 0);
}

/* Guest memory: 64 KiB at GPA 0; page tables at 0x1000 (PML4), 0x2000, 0x3000, 0x4000. */
static uint8_t *mem;

static void *g2h(void *arg, uint64_t gpa)
{
	(void)arg;
	return gpa < 0x10000 ? mem + gpa : NULL;
}

static void set64(uint64_t gpa, uint64_t v)
{
	memcpy(mem + gpa, &v, 8);
}

static void test_guest_read(void **state)
{
	uint8_t buf[32];
	const uint64_t cr0 = 0x80000011, efer = 0x500, gla = 0xFFFF800000001FF0ULL;

	(void)state;
	mem = calloc(1, 0x10000);
	assert_non_null(mem);
	/* gla 0xFFFF800000001000 -> GPA 0x8000 (4 KiB); the next page is not present */
	set64(0x1000 + 256 * 8, 0x2000 | 3);
	set64(0x2000, 0x3000 | 3);
	set64(0x3000, 0x4000 | 3);
	set64(0x4000 + 1 * 8, 0x8000 | 3);
	for (int i = 0; i < 16; i++)
		mem[0x8FF0 + i] = (uint8_t)(0xA0 + i);
	assert_int_equal(system_guest_read(cr0, 0x1000, efer, gla, buf, 16, g2h, NULL), 16);
	assert_int_equal(buf[0], 0xA0);
	assert_int_equal(buf[15], 0xAF);
	assert_int_equal(system_guest_read(cr0, 0x1000, efer, gla, buf, 32, g2h, NULL), 16);
	/* a 2 MiB page: gla 0x200123 -> GPA 0x123 through PD entry 1 with PS */
	set64(0x1000, 0x5000 | 3);
	set64(0x5000, 0x6000 | 3);
	set64(0x6000 + 8, 0x0 | 0x83);
	mem[0x123] = 0x5A;
	assert_int_equal(system_guest_read(cr0, 0x1000, efer, 0x200123, buf, 1, g2h, NULL), 1);
	assert_int_equal(buf[0], 0x5A);
	/* paging off: the address is physical */
	assert_int_equal(system_guest_read(0x11, 0, 0, 0x123, buf, 1, g2h, NULL), 1);
	assert_int_equal(buf[0], 0x5A);
	free(mem);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ud_instructions),	  cmocka_unit_test(test_instruction_exits),
		cmocka_unit_test(test_msr_write_and_io),  cmocka_unit_test(test_npf),
		cmocka_unit_test(test_events_and_others), cmocka_unit_test(test_eventinj),
		cmocka_unit_test(test_guest_read),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
