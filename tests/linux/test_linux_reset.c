// SPDX-License-Identifier: MIT
/*
 * The Linux reset page (vmm/linux_reset.S) executed on the system backend, without the module:
 * a Linux TD image (vmm/linux_boot.c) of a test bzImage whose "kernel" is CPUID at its 64-bit
 * entry is placed at its GPAs in a space, and vCPUs start in TDX's initial state (32-bit
 * protected mode at 0xFFFFFFF0, RSI = the index). The test plays the module for the
 * TDG.MEM.PAGE.ACCEPTs.
 *
 *  - vCPU 0 enters long mode, accepts [0, memory size) 2 MiB at a time and, where the test
 *    fails a 2 MiB accept, in 4 KiB pages, and reaches the kernel's entry (its CPUID exit)
 *    with RSI = boot_params, RSP = the boot stack, CS/SS = the boot protocol's 0x10/0x18,
 *    CR3 = the identity map, IA-32e mode active;
 *  - vCPU 1 spins on the wake-up mailbox (the preemption timer shows it there) until the test
 *    writes WAKEUP for APIC ID 1 with a vector, then clears the command and runs the vector.
 *
 * Skips (77) only when QEMU is not installed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <cmocka.h>

#include "tdx/leaves.h"

#include "platform/platform.h"
#include "platform/system/svm.h"
#include "platform/system/system.h"
#include "platform/system/vcpu.h"
#include "../system/raw_td.h"
#include "tdxsim/boot.h"
#include "vmm/linux_boot.h"

#define PAGES_HPA  0x2000000ULL
#define GPAW	   48
#define MEM	   (20ULL << 20) /* 10 chunks of 2 MiB */
#define INIT_SIZE  0x100000
#define FAIL_CHUNK 0x1000000ULL /* the kernel's 2 MiB: its 2 MiB accept fails */
#define AP_VECTOR  0x1000400ULL /* in the kernel's page: CPUID, as the AP's wake-up vector */

static struct system_vm *vm;
static struct system_space *sp;
static struct vmm_image img;
static struct linux_layout lay;
static uint8_t bz[2 * 512 + 4096];
static char err[2048];

static void w16(uint8_t *p, size_t off, uint16_t v)
{
	memcpy(p + off, &v, 2);
}

static void w32(uint8_t *p, size_t off, uint32_t v)
{
	memcpy(p + off, &v, 4);
}

static void w64(uint8_t *p, size_t off, uint64_t v)
{
	memcpy(p + off, &v, 8);
}

/* A bzImage of one page of "kernel": CPUID at the 64-bit entry (+0x200) and at +0x400. */
static void make_bzimage(void)
{
	uint8_t *k = bz + 2 * 512;

	bz[0x1F1] = 1;
	w16(bz, 0x1FE, 0xAA55);
	bz[0x200] = 0xEB;
	bz[0x201] = 0x6A;
	memcpy(bz + 0x202, "HdrS", 4);
	w16(bz, 0x206, 0x020F);
	bz[0x211] = 0x01;
	w32(bz, 0x22C, 0x7FFFFFFF);
	w32(bz, 0x230, 0x200000);
	bz[0x234] = 1;
	w16(bz, 0x236, 0x7F);
	w32(bz, 0x238, 2047);
	w64(bz, 0x258, 0x1000000);
	w32(bz, 0x260, INIT_SIZE);
	memset(k, 0xCC, 4096);
	k[0x200] = 0x0F; /* cpuid */
	k[0x201] = 0xA2;
	k[0x400] = 0x0F;
	k[0x401] = 0xA2;
}

static void *host(uint64_t gpa)
{
	void *p = system_space_host(sp, gpa);

	assert_non_null(p);
	return p;
}

static int setup(void **state)
{
	struct machine_config cfg;
	struct system_opts o = {.nr_lps = 2};

	(void)state;
	make_bzimage();
	if (linux_image_build("bz", bz, sizeof(bz), NULL, 0, "console=ttyS0", MEM, 2, &img, &lay,
			      err, sizeof(err))) {
		fprintf(stderr, "%s\n", err);
		return -1;
	}
	if (machine_preset("tiny", &cfg) || platform_boot(&cfg))
		return -1;
	if (system_start(&o, &vm, err, sizeof(err))) {
		fprintf(stderr, "system_start: %s\n", err);
		return -1;
	}
	/* The TD's pages as PAGE.ADD would have made them: private, the image's bytes */
	sp = raw_space_from_image(vm, GPAW, &img, PAGES_HPA);
	return sp ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	system_space_destroy(sp);
	system_stop(vm);
	platform_shutdown();
	vmm_image_free(&img);
	return 0;
}

static struct system_vcpu *reset_vcpu(struct cpu_regs *r, unsigned int index)
{
	return raw_reset_vcpu(vm, sp, r, index, GPAW, 0, 0);
}

static void assert_boot_long_mode(struct system_vcpu *v)
{
	void *vmcb = system_vcpu_vmcb(v);

	assert_int_equal(vmcb_get(vmcb, VMCB_CS) & 0xFFFF, LINUX_BOOT_CS);
	assert_int_equal(vmcb_get(vmcb, VMCB_SS) & 0xFFFF, LINUX_BOOT_DS);
	assert_int_equal(vmcb_get(vmcb, VMCB_DS) & 0xFFFF, LINUX_BOOT_DS);
	assert_int_equal(vmcb_get(vmcb, VMCB_CR3), LINUX_PML4_GPA);
	assert_int_equal(vmcb_get(vmcb, VMCB_CR0) & 0x80000001, 0x80000001); /* PG PE */
	assert_int_equal(vmcb_get(vmcb, VMCB_CR4) & 0x20, 0x20);	     /* PAE */
	assert_int_equal(vmcb_get(vmcb, VMCB_EFER) & 0x500, 0x500);	     /* LMA LME */
	/* the reset page's GDT */
	assert_int_equal(vmcb_get(vmcb, VMCB_GDTR + 8) & ~0xFFFULL, TDXSIM_RESET_PAGE_GPA);
}

static void test_bsp(void **state)
{
	struct system_vcpu *v;
	struct cpu_regs r;
	struct vm_exit e;
	unsigned int accepts_2m = 0, accepts_4k = 0;
	uint64_t next = 0; /* the GPA the stub must accept next */

	(void)state;
	v = reset_vcpu(&r, 0);
	for (;;) {
		assert_int_equal(system_vcpu_run(v, 0, &r, 0, 0, 0, &e, err, sizeof(err)), 0);
		if (e.reason != EXIT_REASON_TDCALL)
			break;
		assert_int_equal(r.gpr[REG_RAX_], TDG_MEM_PAGE_ACCEPT);
		assert_int_equal(r.gpr[REG_RCX_] & ~1ULL, next);
		if (r.gpr[REG_RCX_] & 1) { /* 2 MiB */
			accepts_2m++;
			if (next == FAIL_CHUNK) {
				r.gpr[REG_RAX_] = 0xC0000B0B00000001ULL; /* any error */
			} else {
				r.gpr[REG_RAX_] = 0;
				next += 0x200000;
			}
		} else {
			accepts_4k++;
			r.gpr[REG_RAX_] = 0;
			next += 0x1000;
		}
		r.rip += 4;
		assert_true(accepts_2m + accepts_4k < 2000);
	}
	/* The kernel's entry: CPUID at pref_address + 0x200, as the boot protocol says. */
	if (e.reason != EXIT_REASON_CPUID)
		fail_msg("exit %u at RIP 0x%llx, not CPUID", e.reason, (unsigned long long)r.rip);
	assert_int_equal(r.rip, 0x1000200);
	assert_int_equal(next, MEM);
	assert_int_equal(accepts_2m, 10); /* every chunk once, the failed one included */
	assert_int_equal(accepts_4k, 512);
	assert_int_equal(r.gpr[REG_RSI_], LINUX_BOOT_PARAMS_GPA);
	assert_int_equal(r.gpr[REG_RSP_], LINUX_STACK_GPA + 4096);
	assert_int_equal(r.gpr[REG_RBP_], 0);
	assert_boot_long_mode(v);
	system_vcpu_destroy(v);
}

static void test_ap(void **state)
{
	struct system_vcpu *v;
	struct cpu_regs r;
	struct vm_exit e;
	uint8_t *mb = host(LINUX_MAILBOX_GPA);

	(void)state;
	memset(mb, 0, 16);
	v = reset_vcpu(&r, 1);
	/* It waits: the preemption timer finds it in the reset page, again and again. */
	for (int i = 0; i < 3; i++) {
		assert_int_equal(system_vcpu_run(v, 1, &r, 0, 0, 2000000, &e, err, sizeof(err)), 0);
		assert_int_equal(e.reason, EXIT_REASON_EXTERNAL_INTERRUPT);
		assert_true(r.rip >= TDXSIM_RESET_PAGE_GPA &&
			    r.rip < TDXSIM_RESET_PAGE_GPA + 0xF00);
	}
	/* WAKEUP for APIC ID 2 is not for it. */
	w32(mb, LINUX_MAILBOX_APIC_ID, 2);
	w64(mb, LINUX_MAILBOX_VECTOR, AP_VECTOR);
	w16(mb, LINUX_MAILBOX_COMMAND, LINUX_MAILBOX_WAKEUP);
	assert_int_equal(system_vcpu_run(v, 1, &r, 0, 0, 2000000, &e, err, sizeof(err)), 0);
	assert_int_equal(e.reason, EXIT_REASON_EXTERNAL_INTERRUPT);
	assert_int_equal(mb[0], LINUX_MAILBOX_WAKEUP);
	/* For APIC ID 1: it clears the command and runs the vector in 64-bit mode. */
	w32(mb, LINUX_MAILBOX_APIC_ID, 1);
	assert_int_equal(system_vcpu_run(v, 1, &r, 0, 0, 0, &e, err, sizeof(err)), 0);
	assert_int_equal(e.reason, EXIT_REASON_CPUID);
	assert_int_equal(r.rip, AP_VECTOR);
	assert_int_equal(mb[0] | mb[1] << 8, 0);
	assert_int_equal(r.gpr[REG_RSI_], 1);
	assert_boot_long_mode(v);
	system_vcpu_destroy(v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bsp),
		cmocka_unit_test(test_ap),
	};

	if (!raw_have_qemu()) {
		printf("SKIP: qemu-system-x86_64 is not installed (Debian's qemu-system-x86)\n");
		return 77;
	}
	return cmocka_run_group_tests(tests, setup, teardown);
}
