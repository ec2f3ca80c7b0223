// SPDX-License-Identifier: MIT
/*
 * The reset page on the system backend, without the module: a real SDK guest laid out as the
 * VMM lays it out (vmm_image_load: the ELF's pages, the reset tables, the reset page) is
 * placed at its GPAs in a space, and vCPUs start in the state TDX gives at TDH.VP.INIT
 * (32-bit protected mode at 0xFFFFFFF0). The reset page's 32-bit path must enter long mode and
 * reach the crt at TDXSIM_SYSTEM_WINDOW_BASE + the entry GPA with the boot registers as TDX
 * gave them: vCPU 0's first exit is the SDK's first TDCALL (TDG.VP.INFO) with its RIP in the
 * image, and the crt's saved tdx_boot_regs are checked in guest memory; vCPU 1's first exit is
 * the crt's AP park (TDG.VP.VMCALL<Instruction.HLT>). Skips (77) only when QEMU is not
 * installed. argv[1]: the guest ELF; argv[2]: cpl0_guest.elf (test_cpl0_guest, below).
 */
#include <elf.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <cmocka.h>

#include "tdx/ghci.h"
#include "tdx/leaves.h"
#include "tdx/vmx.h"

#include "platform/platform.h"
#include "platform/system/svm.h"
#include "platform/system/system.h"
#include "platform/system/vcpu.h"
#include "raw_td.h"
#include "vmm/vmm_internal.h"

/* Where the test puts the TD's pages: HPAs below 2 GiB (QEMU's address = the HPA). */
#define PAGES_HPA 0x2000000ULL
#define OPTS	  TDXSIM_BOOT_OPTS(0)
#define GPAW	  48
#define SHARED	  (1ULL << (GPAW - 1))
#define CPUID1	  0x806F8ULL

static const char *guest_path, *cpl0_path;
static struct system_vm *vm;
static struct system_space *sp;
static struct vmm_image img;
static uint64_t boot_regs_off; /* tdx_boot_regs, from the image's start */
static char err[2048];

/* A symbol's value in the ELF's .symtab (the guest is linked at 0: an image offset). */
static uint64_t elf_symbol(const char *path, const char *name)
{
	uint8_t *buf;
	size_t len;
	const Elf64_Ehdr *eh;
	const Elf64_Shdr *sh;
	uint64_t v = UINT64_MAX;

	assert_int_equal(vmm_read_file(path, &buf, &len), 0);
	eh = (const Elf64_Ehdr *)buf;
	sh = (const Elf64_Shdr *)(buf + eh->e_shoff);
	for (unsigned int i = 0; i < eh->e_shnum && v == UINT64_MAX; i++) {
		const Elf64_Sym *s = (const Elf64_Sym *)(buf + sh[i].sh_offset);
		const char *str = (const char *)buf + sh[sh[i].sh_link].sh_offset;

		if (sh[i].sh_type != SHT_SYMTAB)
			continue;
		for (uint64_t j = 0; j < sh[i].sh_size / sizeof(*s); j++)
			if (!strcmp(str + s[j].st_name, name))
				v = s[j].st_value;
	}
	free(buf);
	assert_true(v != UINT64_MAX);
	return v;
}

static void *host(uint64_t gpa)
{
	void *p = system_space_host(sp, gpa);

	assert_non_null(p);
	return p;
}

static uint64_t get64(uint64_t gpa)
{
	uint64_t v;

	memcpy(&v, host(gpa), 8);
	return v;
}

static int setup(void **state)
{
	struct machine_config cfg;
	struct system_opts o = {.nr_lps = 2};

	(void)state;
	if (vmm_image_load(guest_path, &img, err, sizeof(err))) {
		fprintf(stderr, "%s\n", err);
		return -1;
	}
	boot_regs_off = elf_symbol(guest_path, "tdx_boot_regs");
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

/* A vCPU in TDX's initial state with TDH.VP.INIT's registers: RSI = index, R9 = 0. */
static struct system_vcpu *reset_vcpu(struct cpu_regs *r, unsigned int index)
{
	return raw_reset_vcpu(vm, sp, r, index, GPAW, OPTS, CPUID1);
}

/* The CPU state the 32-bit path leaves: 64-bit CPL0 on the reset tables. */
static void assert_long_mode(struct system_vcpu *v)
{
	void *vmcb = system_vcpu_vmcb(v);

	assert_int_equal(vmcb_get(vmcb, VMCB_CS) & 0xFFFF, TDXSIM_SYSTEM_CODE_SEL);
	assert_int_equal(vmcb_get(vmcb, VMCB_SS) & 0xFFFF, TDXSIM_SYSTEM_DATA_SEL);
	assert_int_equal(vmcb_get(vmcb, VMCB_CR3), TDXSIM_RESET_PML4_GPA);
	assert_int_equal(vmcb_get(vmcb, VMCB_CR0) & 0x80010023, 0x80010023); /* PG WP NE MP PE */
	assert_int_equal(vmcb_get(vmcb, VMCB_CR4) & 0x660, 0x660);  /* OSXMMEXCPT OSFXSR MCE PAE */
	assert_int_equal(vmcb_get(vmcb, VMCB_EFER) & 0xD01, 0xD01); /* NXE LMA LME SCE */
}

/* Run v on LP 0 until its next exit, which must be @reason. */
static void run_to(struct system_vcpu *v, struct cpu_regs *r, struct vm_exit *e, uint32_t reason)
{
	assert_int_equal(system_vcpu_run(v, 0, r, 0, 0, 0, e, err, sizeof(err)), 0);
	if (e->reason != reason)
		fail_msg("exit %u (GPA 0x%llx, qualification 0x%llx) at RIP 0x%llx, not %u",
			 e->reason, (unsigned long long)e->gpa, (unsigned long long)e->qual,
			 (unsigned long long)r->rip, reason);
}

/* CPUID's answer as the module gives it: the four registers, RIP past the instruction. */
static void cpuid_answer(struct cpu_regs *r, const struct vm_exit *e, uint32_t a, uint32_t b,
			 uint32_t c, uint32_t d)
{
	r->gpr[REG_RAX_] = a;
	r->gpr[REG_RBX_] = b;
	r->gpr[REG_RCX_] = c;
	r->gpr[REG_RDX_] = d;
	r->rip += e->insn_len;
}

static void test_bsp(void **state)
{
	const uint64_t base = TDXSIM_SYSTEM_WINDOW_BASE;
	struct system_vcpu *v;
	struct cpu_regs r;
	struct vm_exit e;
	uint64_t saved[16], pdpt = TDXSIM_RESET_PDPT_GPA, gdt;

	(void)state;
	v = reset_vcpu(&r, 0);
	assert_int_equal(system_vcpu_run(v, 0, &r, 0, 0, 0, &e, err, sizeof(err)), 0);
	/* The SDK's first TDCALL: TDG.VP.INFO from tdx_gpaw(), in the image at the window */
	assert_int_equal(e.reason, EXIT_REASON_TDCALL);
	assert_int_equal(r.gpr[REG_RAX_], TDG_VP_INFO);
	assert_true(r.rip >= base + img.low_gpa && r.rip < base + img.high_gpa);
	assert_long_mode(v);

	/* The crt's tdx_boot_regs: what TDX gave, RAX = the entry (the stub's), R11 = 0 */
	memcpy(saved, host(VMM_IMAGE_GPA + boot_regs_off), sizeof(saved));
	assert_int_equal(saved[REG_RAX_], base + img.entry_gpa);
	assert_int_equal(saved[REG_RCX_], OPTS);
	assert_int_equal(saved[REG_RDX_], CPUID1);
	assert_int_equal(saved[REG_RBX_], GPAW);
	assert_int_equal(saved[REG_RBP_], 0);
	assert_int_equal(saved[REG_RSI_], 0);
	assert_int_equal(saved[REG_RDI_], 0);
	assert_int_equal(saved[REG_R8_], OPTS);
	assert_int_equal(saved[REG_R9_], 0);
	for (unsigned int i = REG_R10_; i <= REG_R15_; i++)
		assert_int_equal(saved[i], 0);

	/* The tables: the window's PML4 entry, the 1:1 gigabyte, private and shared halves */
	assert_int_equal(get64(TDXSIM_RESET_PML4_GPA), TDXSIM_RESET_IDMAP_GPA | 0x23);
	assert_int_equal(get64(TDXSIM_RESET_PML4_GPA + 8 * (base >> 39)), pdpt | 0x23);
	assert_int_equal(get64(TDXSIM_RESET_PML4_GPA + 8), 0);
	assert_int_equal(get64(TDXSIM_RESET_IDMAP_GPA + 8 * 3), 0xC00000E3);
	assert_int_equal(get64(TDXSIM_RESET_IDMAP_GPA), 0);
	for (uint64_t i = 0; i < 64; i++) {
		assert_int_equal(get64(pdpt + 8 * i), i << 30 | 0xE3);
		assert_int_equal(get64(pdpt + 8 * (64 + i)), SHARED | i << 30 | 0xE3);
	}
	assert_int_equal(get64(pdpt + 8 * 128), 0);

	/* TDG.VP.INFO answered: GPAW 48, one vCPU; then the SDK's CPL0 set-up (tdx_cpu_init): CPUIDs */
	r.gpr[REG_RAX_] = 0;
	r.gpr[REG_RCX_] = GPAW;
	r.gpr[REG_R8_] = 1ULL << 32 | 1;
	r.gpr[REG_R9_] = r.gpr[REG_R10_] = r.gpr[REG_R11_] = 0;
	r.rip += e.insn_len;
	run_to(v, &r, &e, EXIT_REASON_CPUID);
	assert_int_equal(r.gpr[REG_RAX_], 7);
	assert_int_equal(r.gpr[REG_RCX_], 0);
	cpuid_answer(&r, &e, 0, 1, 0, 0); /* FSGSBASE */
	run_to(v, &r, &e, EXIT_REASON_CPUID);
	assert_int_equal(r.gpr[REG_RAX_], 1);
	cpuid_answer(&r, &e, CPUID1, 0, 1U << 26, 0); /* XSAVE */
	run_to(v, &r, &e, EXIT_REASON_CPUID);
	assert_int_equal(r.gpr[REG_RAX_], 0xD);
	assert_int_equal(r.gpr[REG_RCX_], 0);
	cpuid_answer(&r, &e, 0x207, 0, 0, 0); /* x87, SSE, AVX; PKRU is not the SDK's */
	/*
	 * XSETBV(0, 7) comes next, and the VMCB intercepts it, but QEMU 7.2's SVM does not
	 * (docs/SYSTEM.md): the guest's XCR0 is written without an exit, and the next exit is
	 * hello's main, its MMIO read of the PCI test device (an EPT violation on the shared GPA)
	 */
	run_to(v, &r, &e, EXIT_REASON_EPT_VIOLATION);
	assert_int_equal(e.gpa, SHARED | 0xFEB00000);
	assert_int_equal(vmcb_get(system_vcpu_vmcb(v), VMCB_CR4) & 0x50000, 0x50000);
	/* the SDK's own GDT, in the image at the window, CS and SS reloaded from it */
	gdt = vmcb_get(system_vcpu_vmcb(v), VMCB_GDTR + 8);
	assert_true(gdt >= base + img.low_gpa && gdt < base + img.high_gpa);
	assert_int_equal(vmcb_get(system_vcpu_vmcb(v), VMCB_GDTR + 4) & 0xFFFF, 23);
	assert_long_mode(v);
	system_vcpu_destroy(v);
}

/* An AP takes the same path (no INIT/SIPI) and parks in the crt: TDVMCALL<HLT>, blocked. */
static void test_ap(void **state)
{
	const uint64_t base = TDXSIM_SYSTEM_WINDOW_BASE;
	struct system_vcpu *v;
	struct cpu_regs r;
	struct vm_exit e;

	(void)state;
	v = reset_vcpu(&r, 1);
	assert_int_equal(system_vcpu_run(v, 1, &r, 0, 0, 0, &e, err, sizeof(err)), 0);
	assert_int_equal(e.reason, EXIT_REASON_TDCALL);
	assert_int_equal(r.gpr[REG_RAX_], TDG_VP_VMCALL);
	assert_int_equal(r.gpr[REG_RCX_], 0x1C00);
	assert_int_equal(r.gpr[REG_R10_], 0);
	assert_int_equal(r.gpr[REG_R11_], 12); /* Instruction.HLT */
	assert_int_equal(r.gpr[REG_R12_], 1);
	assert_int_equal(r.gpr[REG_RSI_], 1); /* kept for the mailbox's ApicId */
	assert_true(r.rip >= base + img.entry_gpa && r.rip < base + img.entry_gpa + 4096);
	assert_long_mode(v);
	system_vcpu_destroy(v);
}

/*
 * Two vCPUs through the 32-bit path at once, on two LPs, from zeroed tables: both write the
 * same entries (no vCPU waits for another), and each reaches the crt's AP park.
 */
struct par {
	struct system_vcpu *v;
	struct cpu_regs r;
	struct vm_exit e;
	unsigned int lp;
	int ret;
	char err[256];
};

static void *par_run(void *arg)
{
	struct par *p = arg;

	p->ret = system_vcpu_run(p->v, p->lp, &p->r, 0, 0, 0, &p->e, p->err, sizeof(p->err));
	return NULL;
}

static void test_aps_in_parallel(void **state)
{
	const uint64_t base = TDXSIM_SYSTEM_WINDOW_BASE;
	struct par p[2];
	pthread_t t[2];

	(void)state;
	for (unsigned int k = 0; k < TDXSIM_RESET_TABLES; k++)
		memset(host(TDXSIM_RESET_PML4_GPA + 4096ULL * k), 0, 4096);
	for (unsigned int i = 0; i < 2; i++) {
		p[i].v = reset_vcpu(&p[i].r, 2 + i);
		p[i].lp = i;
	}
	for (unsigned int i = 0; i < 2; i++)
		assert_int_equal(pthread_create(&t[i], NULL, par_run, &p[i]), 0);
	for (unsigned int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	for (unsigned int i = 0; i < 2; i++) {
		assert_int_equal(p[i].ret, 0);
		assert_int_equal(p[i].e.reason, EXIT_REASON_TDCALL);
		assert_int_equal(p[i].r.gpr[REG_RAX_], TDG_VP_VMCALL);
		assert_int_equal(p[i].r.gpr[REG_R11_], 12);
		assert_int_equal(p[i].r.gpr[REG_RSI_], 2 + i);
		assert_true(p[i].r.rip >= base + img.entry_gpa &&
			    p[i].r.rip < base + img.entry_gpa + 4096);
		assert_long_mode(p[i].v);
		system_vcpu_destroy(p[i].v);
	}
	assert_int_equal(get64(TDXSIM_RESET_PML4_GPA + 8 * (base >> 39)),
			 TDXSIM_RESET_PDPT_GPA | 0x23);
	for (uint64_t i = 0; i < 64; i++)
		assert_int_equal(get64(TDXSIM_RESET_PDPT_GPA + 8 * (64 + i)),
				 SHARED | i << 30 | 0xE3);
}

/*
 * tests/system/cpl0_guest.c with this file playing the module for what it needs: TDG.VP.INFO,
 * TDG.VP.VEINFO.GET, TDVMCALL<Instruction.IO> (COM1 and the exit ports), CPUID (answered, or
 * a #VE for the hypervisor leaves, as TDX), port I/O (a #VE). Its MOV CR part is left out
 * (boot option bit 8): the answers there are the module's. The guest checks every value
 * itself; its output must be its lines only, and its exit status 0.
 */
#define CPL0_HPA       0x2800000ULL
#define CPL0_NO_MODULE (1U << 8)
#define VE_INTR_INFO   0x80000314U /* valid, hardware exception, vector 20 */
#define CPL0_MAX_EXITS 100000

struct mini_module {
	struct tdx_ve_info {
		uint64_t reason, qual, gla, gpa, len;
		bool valid;
	} ve;
	char out[4096];
	size_t n;
	int status;
	bool off;
};

static void mini_tdvmcall(struct mini_module *m, struct cpu_regs *r)
{
	uint64_t *g = r->gpr;

	g[REG_R10_] = 0;
	switch (g[REG_R11_]) {
	case TDVMCALL_INSTRUCTION_IO:
		if (g[REG_R13_] && g[REG_R14_] == TDXSIM_COM1_PORT && m->n < sizeof(m->out) - 1)
			m->out[m->n++] = (char)g[REG_R15_];
		else if (g[REG_R13_] && g[REG_R14_] == TDXSIM_EXIT_PORT)
			m->status = (int)g[REG_R15_];
		else if (g[REG_R13_] && g[REG_R14_] == TDXSIM_PM1A_CNT_PORT)
			m->off = true;
		else if (!g[REG_R13_])
			g[REG_R11_] = 0;
		break;
	case TDVMCALL_REPORT_FATAL_ERROR: {
		char msg[65] = "";
		const unsigned int regs[8] = {REG_R14_, REG_R15_, REG_RBX_, REG_RDI_,
					      REG_RSI_, REG_R8_,  REG_R9_,  REG_RDX_};

		for (unsigned int i = 0; i < 8; i++)
			memcpy(msg + 8 * i, &g[regs[i]], 8);
		m->out[m->n] = 0;
		fail_msg("guest fatal error %llu: %s\noutput so far:\n%s",
			 (unsigned long long)g[REG_R12_], msg, m->out);
		break;
	}
	default:
		fail_msg("TDVMCALL 0x%llx", (unsigned long long)g[REG_R11_]);
	}
}

/* One exit as the module would answer it; the event to inject at the next entry. */
static uint32_t mini_exit(struct mini_module *m, struct cpu_regs *r, const struct vm_exit *e)
{
	uint64_t *g = r->gpr;

	switch (e->reason) {
	case EXIT_REASON_TDCALL:
		switch (g[REG_RAX_]) {
		case TDG_VP_INFO:
			g[REG_RCX_] = GPAW;
			g[REG_RDX_] = 0;
			g[REG_R8_] = 1ULL << 32 | 1;
			g[REG_R9_] = g[REG_R10_] = g[REG_R11_] = 0;
			break;
		case TDG_VP_VEINFO_GET:
			assert_true(m->ve.valid);
			g[REG_RCX_] = m->ve.reason;
			g[REG_RDX_] = m->ve.qual;
			g[REG_R8_] = m->ve.gla;
			g[REG_R9_] = m->ve.gpa;
			g[REG_R10_] = m->ve.len;
			m->ve.valid = false;
			break;
		case TDG_VP_VMCALL:
			mini_tdvmcall(m, r);
			break;
		default:
			fail_msg("TDCALL leaf %llu", (unsigned long long)g[REG_RAX_]);
		}
		g[REG_RAX_] = 0;
		r->rip += e->insn_len;
		return 0;
	case EXIT_REASON_CPUID: {
		uint32_t leaf = (uint32_t)g[REG_RAX_];

		if (leaf >= 0x40000000 && leaf < 0x50000000) {
			m->ve = (struct tdx_ve_info){EXIT_REASON_CPUID, 0, 0, 0, e->insn_len, true};
			return VE_INTR_INFO;
		}
		g[REG_RAX_] = leaf == 0xD ? 3 : 0; /* XCR0: x87 and SSE, as tdxsim run's XFAM */
		g[REG_RBX_] = g[REG_RDX_] = 0;
		g[REG_RCX_] = leaf == 1 ? 1U << 26 : 0; /* XSAVE */
		r->rip += e->insn_len;
		return 0;
	}
	case EXIT_REASON_IO_INSTRUCTION:
		m->ve = (struct tdx_ve_info){
			EXIT_REASON_IO_INSTRUCTION, e->qual, 0, 0, e->insn_len, true};
		return VE_INTR_INFO;
	default:
		m->out[m->n] = 0;
		fail_msg("exit %u (qualification 0x%llx, GPA 0x%llx) at RIP 0x%llx; output:\n%s",
			 e->reason, (unsigned long long)e->qual, (unsigned long long)e->gpa,
			 (unsigned long long)r->rip, m->out);
	}
	return 0;
}

static void test_cpl0_guest(void **state)
{
	struct system_space *s = system_space_create(vm, GPAW);
	struct mini_module m = {.status = -1};
	struct vmm_image ci;
	struct system_vcpu *v;
	struct cpu_regs r;
	struct vm_exit e;
	uint32_t inject = 0;
	unsigned int exits = 0;
	char want[512];

	(void)state;
	assert_int_equal(vmm_image_load(cpl0_path, &ci, err, sizeof(err)), 0);
	for (unsigned int i = 0; i < ci.nr; i++) {
		uint64_t hpa = CPL0_HPA + 4096ULL * i;

		memcpy(phys_seam_va(hpa), ci.pages[i].data, 4096);
		assert_int_equal(system_space_map(s, ci.pages[i].gpa, false, hpa,
						  PROT_READ | PROT_WRITE | PROT_EXEC),
				 0);
	}
	assert_int_equal(system_vcpu_create(vm, s, &v), 0);
	system_vcpu_set_reset_state(v);
	r = (struct cpu_regs){.rip = 0xFFFFFFF0, .rflags = 0x2};
	r.gpr[REG_RBX_] = GPAW;
	r.gpr[REG_RCX_] = r.gpr[REG_R8_] = TDXSIM_BOOT_OPTS(CPL0_NO_MODULE);
	r.gpr[REG_RDX_] = CPUID1;
	while (!m.off && exits++ < CPL0_MAX_EXITS) {
		assert_int_equal(system_vcpu_run(v, 0, &r, inject, 0, 0, &e, err, sizeof(err)), 0);
		inject = mini_exit(&m, &r, &e);
	}
	m.out[m.n] = 0;
	assert_true(m.off);
	snprintf(want, sizeof(want),
		 "trap: UD2 taken by the program's handler\n"
		 "cpl0: CS 0x8, window at 0x%llx\n"
		 "pf: own tables, #PF with CR2 and error codes 0x0 0x2 0x3 0x11\n"
		 "sse: XMM0-15 and MXCSR kept across 200 x 2 exits\n"
		 "avx: XCR0 0x3, VXORPS is #UD\n"
		 "dt: LGDT/SGDT, LIDT/SIDT, INT3 through each IDT\n"
		 "cr: left out (no module)\n"
		 "ve: CPUID 0x40000000 at CPL0, frame CS 0x8 SS 0x10, exit reason 10\n"
		 "cpl0: 0 mismatches\n",
		 (unsigned long long)TDXSIM_SYSTEM_WINDOW_BASE);
	assert_string_equal(m.out, want);
	assert_int_equal(m.status, 0);
	system_vcpu_destroy(v);
	system_space_destroy(s);
	vmm_image_free(&ci);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bsp),
		cmocka_unit_test(test_ap),
		cmocka_unit_test(test_aps_in_parallel),
		cmocka_unit_test(test_cpl0_guest),
	};

	if (argc < 3) {
		fprintf(stderr, "usage: %s GUEST.elf CPL0_GUEST.elf\n", argv[0]);
		return 2;
	}
	guest_path = argv[1];
	cpl0_path = argv[2];
	if (!raw_have_qemu()) {
		printf("SKIP: qemu-system-x86_64 is not installed (Debian's qemu-system-x86)\n");
		return 77;
	}
	return cmocka_run_group_tests(tests, setup, teardown);
}
