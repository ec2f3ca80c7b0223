// SPDX-License-Identifier: MIT
/*
 * The SEAM shim: a small hypervisor that QEMU (TCG, -cpu max) runs as its firmware, one
 * instance of the loop below per LP. It owns nothing but the mechanism: the host (the tdxsim
 * process) builds the VMCBs and the nested page tables in the machine's physical memory,
 * sends "run this VMCB with these registers" through the LP's mailbox, and reads the exit
 * from the VMCB when the shim rings back. docs/SYSTEM.md has the design; the SVM facts are
 * AMD's APM vol. 2 ch. 15, the local APIC's and the I/O APIC's Intel's SDM vol. 3A ch. 11 and
 * the 82093AA datasheet, the 16550's its datasheet.
 *
 * Freestanding: no libc, no SSE (-mgeneral-regs-only), so the guest's x87/SSE/AVX state stays
 * in the CPU between its runs.
 */
#include <stdbool.h>
#include <stdint.h>

#include "shim_abi.h"

#define MSR_EFER	 0xC0000080U
#define EFER_SVME	 (1ULL << 12)
#define MSR_VM_HSAVE_PA	 0xC0010117U
#define MSR_APIC_BASE	 0x1BU
#define LAPIC_BASE	 0xFEE00000UL
#define IOAPIC_BASE	 0xFEC00000UL
#define LAPIC_ID	 0x20
#define LAPIC_EOI	 0xB0
#define LAPIC_SVR	 0xF0
#define LAPIC_ICR_LO	 0x300
#define LAPIC_ICR_HI	 0x310
#define LAPIC_LVT_TIMER	 0x320
#define LAPIC_TIMER_INIT 0x380
#define LAPIC_TIMER_DIV	 0x3E0
#define VMCB_EXITCODE	 0x70
#define VMCB_RAX	 (0x400 + 0x1F8)
#define VMCB_RIP	 (0x400 + 0x178)
#define SVM_EXIT_CPUID	 0x72

static uint8_t shim_hsave[SHIM_MAX_LPS][4096] __attribute__((aligned(4096)));
uint8_t shim_stacks[SHIM_MAX_LPS][0x4000] __attribute__((aligned(4096)));
uint64_t shim_pml4[512] __attribute__((aligned(4096)));
uint64_t shim_pdpt[512] __attribute__((aligned(4096)));

struct idt_gate {
	uint16_t off0, sel;
	uint8_t ist, type;
	uint16_t off1;
	uint32_t off2, zero;
};
static struct idt_gate shim_idt[256] __attribute__((aligned(16)));
extern const uint64_t shim_isr_table[];
extern void svm_run(uint64_t vmcb_pa, uint64_t *gpr);
void shim_main(uint32_t apic_id);
void shim_interrupt(uint64_t vector, uint64_t *frame);

static volatile struct shim_config *const cfg = (volatile struct shim_config *)SHIM_CONFIG_PA;
static volatile uint32_t bsp_done;
static volatile bool timer_fired[SHIM_MAX_LPS];
#define SVM_EXIT_INTR 0x60

static struct shim_mailbox *mailbox(uint32_t lp)
{
	return (struct shim_mailbox *)(uintptr_t)(SHIM_MAILBOX_PA + lp * 0x1000UL);
}

static inline void outb(uint16_t port, uint8_t v)
{
	__asm__ volatile("outb %0, %1" ::"a"(v), "Nd"(port));
}

static inline uint8_t inb(uint16_t port)
{
	uint8_t v;

	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline uint64_t rdmsr(uint32_t msr)
{
	uint32_t lo, hi;

	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return ((uint64_t)hi << 32) | lo;
}

static inline void wrmsr(uint32_t msr, uint64_t v)
{
	__asm__ volatile("wrmsr" ::"c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)));
}

static inline void cpuid(uint32_t leaf, uint32_t *a, uint32_t *b, uint32_t *c, uint32_t *d)
{
	__asm__ volatile("cpuid" : "=a"(*a), "=b"(*b), "=c"(*c), "=d"(*d) : "a"(leaf), "c"(0));
}

static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;

	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
}

static inline void xsetbv(uint64_t v)
{
	__asm__ volatile("xsetbv" ::"c"(0), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)));
}

static inline uint32_t lapic_read(uint32_t reg)
{
	return *(volatile uint32_t *)(LAPIC_BASE + reg);
}

static inline void lapic_write(uint32_t reg, uint32_t v)
{
	*(volatile uint32_t *)(LAPIC_BASE + reg) = v;
}

static void ioapic_write(uint32_t reg, uint32_t v)
{
	*(volatile uint32_t *)IOAPIC_BASE = reg;
	*(volatile uint32_t *)(IOAPIC_BASE + 0x10) = v;
}

static void log_str(const char *s)
{
	if (!cfg->log_port)
		return;
	while (*s)
		outb(cfg->log_port, (uint8_t)*s++);
}

static void log_hex(uint64_t v)
{
	char buf[19] = "0x";

	for (int i = 0; i < 16; i++)
		buf[2 + i] = "0123456789abcdef"[(v >> (60 - 4 * i)) & 0xF];
	buf[18] = 0;
	log_str(buf);
}

static uint32_t this_lp(void)
{
	return lapic_read(LAPIC_ID) >> 24;
}

static void doorbell(uint32_t lp)
{
	outb(cfg->uart_port[lp], 1);
}

/* A 16550 at port: no FIFO, 8N1, the receive interrupt on (OUT2 routes it on a PC). */
static void uart_init(uint16_t port)
{
	outb(port + 1, 0x00); /* IER off while configuring */
	outb(port + 3, 0x80); /* DLAB */
	outb(port + 0, 0x01); /* divisor 1 */
	outb(port + 1, 0x00);
	outb(port + 3, 0x03); /* 8N1 */
	outb(port + 2, 0x00); /* no FIFO: one interrupt per byte */
	outb(port + 4, 0x0B); /* DTR, RTS, OUT2 */
	while (inb(port + 5) & 1)
		(void)inb(port);
	outb(port + 1, 0x01); /* received data available */
}

void shim_interrupt(uint64_t vector, uint64_t *frame)
{
	uint32_t lp = this_lp();

	if (vector == SHIM_VEC_WAKE) {
		uint16_t port = cfg->uart_port[lp];

		while (inb(port + 5) & 1)
			(void)inb(port);
		mailbox(lp)->nr_wakes++;
		lapic_write(LAPIC_EOI, 0);
		return;
	}
	if (vector == SHIM_VEC_TIMER) {
		timer_fired[lp] = true;
		lapic_write(LAPIC_EOI, 0);
		return;
	}
	if (vector == 0xFF) /* spurious: no EOI */
		return;
	/* an exception in the shim itself: report it, and stop this LP */
	log_str("shim: exception ");
	log_hex(vector);
	log_str(" at RIP ");
	log_hex(frame[1]);
	log_str(" error ");
	log_hex(frame[0]);
	log_str("\n");
	if (lp < cfg->nr_lps) {
		struct shim_mailbox *mb = mailbox(lp);

		mb->fault_vector = vector;
		mb->fault_rip = frame[1];
		mb->fault_error = frame[0];
		mb->status = SHIM_ERR_FAULT;
		mb->resp_seq = mb->req_seq;
		doorbell(lp);
	}
	for (;;)
		__asm__ volatile("cli; hlt");
}

static void idt_build(void)
{
	for (const uint64_t *p = shim_isr_table; p[0] != (uint64_t)-1; p += 2) {
		struct idt_gate *g = &shim_idt[p[0]];

		g->off0 = (uint16_t)p[1];
		g->sel = 0x18;
		g->ist = 0;
		g->type = 0x8E; /* present, DPL 0, 64-bit interrupt gate */
		g->off1 = (uint16_t)(p[1] >> 16);
		g->off2 = (uint32_t)(p[1] >> 32);
		g->zero = 0;
	}
}

static void idt_load(void)
{
	struct __attribute__((packed)) {
		uint16_t limit;
		uint64_t base;
	} d = {sizeof(shim_idt) - 1, (uint64_t)(uintptr_t)shim_idt};

	__asm__ volatile("lidt %0" ::"m"(d));
}

/* The extended state: OSFXSR, OSXMMEXCPT, OSXSAVE when the CPU has XSAVE. */
static bool xsave_init(void)
{
	uint32_t a, b, c, d;
	uint64_t cr4;

	cpuid(1, &a, &b, &c, &d);
	__asm__ volatile("mov %%cr4, %0" : "=r"(cr4));
	cr4 |= (1U << 9) | (1U << 10);
	if (c & (1U << 26))
		cr4 |= 1U << 18;
	__asm__ volatile("mov %0, %%cr4" ::"r"(cr4));
	if (!(c & (1U << 26)))
		return false;
	xsetbv(3);
	return true;
}

static inline uint64_t xgetbv0(void)
{
	uint32_t a, d;

	__asm__ volatile("xgetbv" : "=a"(a), "=d"(d) : "c"(0));
	return a | (uint64_t)d << 32;
}

/*
 * XCR0 is left as the last guest had it (the shim itself uses no extended state), so the
 * outgoing vCPU's area is saved with its own XCR0; the incoming one is loaded with its own.
 */
static void xstate_switch(struct shim_mailbox *mb, uint64_t to, uint64_t xcr0)
{
	uint64_t from = mb->cur_xsave;

	if (from == to)
		return;
	if (from)
		__asm__ volatile("xsave64 (%0)" ::"r"(from), "a"(0xFFFFFFFFU), "d"(0xFFFFFFFFU)
				 : "memory");
	if (to) {
		xsetbv(xcr0 ? xcr0 : 3);
		__asm__ volatile("xrstor64 (%0)" ::"r"(to), "a"(0xFFFFFFFFU), "d"(0xFFFFFFFFU)
				 : "memory");
	}
	mb->cur_xsave = to;
}

/* Every quadword of the listed pages written once, its value kept (struct shim_touch_list). */
static void touch_pages(uint64_t list)
{
	for (; list; list = ((struct shim_touch_list *)(uintptr_t)list)->next) {
		const struct shim_touch_list *l = (const struct shim_touch_list *)(uintptr_t)list;

		for (uint64_t i = 0; i < l->n && i < SHIM_TOUCH_MAX; i++)
			for (uint64_t off = 0; off < 4096; off += 8)
				__asm__ volatile("lock orq $0, (%0)" ::"r"(l->pa[i] + off)
						 : "memory");
	}
}

/*
 * Run the guest until an exit the host must see. An INTR exit is the host's when the timer
 * fired or the host kicked since the run began; a wake-up byte that arrived late (the shim
 * had seen the request before its interrupt came) only costs a re-entry. The shim answers
 * `bounce` CPUIDs itself (a measurement of the exit alone).
 */
static void run(uint32_t lp, struct shim_mailbox *mb)
{
	volatile uint8_t *vmcb = (volatile uint8_t *)(uintptr_t)mb->vmcb_pa;
	uint64_t bounce = mb->bounce, code;
	uint32_t kicks = mb->kick_base;

	xstate_switch(mb, mb->xsave_pa, mb->xcr0);
	if (mb->xcr0)
		xsetbv(mb->xcr0);
	mb->tsc_vmrun = rdtsc();
	for (;;) {
		if (mb->timer_ns)
			lapic_write(LAPIC_TIMER_INIT,
				    (uint32_t)(mb->timer_ns > 0xFFFFFFFFU ? 0xFFFFFFFFU
									  : mb->timer_ns));
		timer_fired[lp] = false;
		svm_run(mb->vmcb_pa, mb->gpr);
		mb->tsc_exit = rdtsc();
		lapic_write(LAPIC_TIMER_INIT, 0);
		mb->nr_runs++;
		code = *(volatile uint64_t *)(vmcb + VMCB_EXITCODE);
		if (code == SVM_EXIT_INTR && !timer_fired[lp] && mb->kicks == kicks)
			continue;
		if (!bounce || code != SVM_EXIT_CPUID)
			break;
		bounce--;
		*(volatile uint64_t *)(vmcb + VMCB_RAX) = 0;
		mb->gpr[1] = mb->gpr[2] = mb->gpr[3] = 0;
		*(volatile uint64_t *)(vmcb + VMCB_RIP) += 2;
	}
	mb->guest_xcr0 = xgetbv0();
}

/*
 * Poll the mailbox for a request other than seen for the configured time: the host's next
 * request usually comes within microseconds, and a halted LP costs a wake-up byte through
 * QEMU's main loop and the wake-up of its vCPU thread. Bounded, so an idle LP still halts.
 */
static bool poll_request(struct shim_mailbox *mb, uint32_t seen)
{
	uint64_t spin = cfg->spin_tsc, t0 = rdtsc();

	while (spin) {
		for (int i = 0; i < 64; i++)
			if (mb->req_seq != seen)
				return true;
		if (rdtsc() - t0 >= spin)
			break;
	}
	return false;
}

/* Wait for a request; the UART's interrupt ends the HLT. */
static void wait_request(struct shim_mailbox *mb, uint32_t seen)
{
	__asm__ volatile("cli");
	if (poll_request(mb, seen))
		return;
	for (;;) {
		mb->waiting = 1;
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		if (mb->req_seq != seen)
			break;
		mb->nr_halts++;
		__asm__ volatile("sti; hlt; cli" ::: "memory");
	}
	mb->waiting = 0;
}

/*
 * The answer is in the mailbox: a doorbell byte only when the host blocks (or is about to:
 * it re-checks resp_seq after saying so), as the wake-up the other way.
 */
static void answer(uint32_t lp, struct shim_mailbox *mb, uint32_t seen)
{
	mb->tsc_done = rdtsc();
	__atomic_thread_fence(__ATOMIC_RELEASE);
	mb->resp_seq = seen;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (mb->host_waiting)
		doorbell(lp);
}

static void lp_loop(uint32_t lp)
{
	struct shim_mailbox *mb = mailbox(lp);
	uint32_t seen = mb->req_seq;
	uint64_t idle;

	mb->state = SHIM_STATE_READY;
	doorbell(lp);
	for (;;) {
		idle = rdtsc();
		wait_request(mb, seen);
		mb->tsc_seen = rdtsc();
		mb->tsc_idle = idle;
		seen = mb->req_seq;
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		mb->tsc_vmrun = mb->tsc_exit = 0;
		switch (mb->cmd) {
		case SHIM_CMD_RUN:
			run(lp, mb);
			mb->status = SHIM_OK;
			break;
		case SHIM_CMD_PING:
			mb->status = SHIM_OK;
			break;
		case SHIM_CMD_TOUCH:
			touch_pages(mb->touch_pa);
			mb->status = SHIM_OK;
			break;
		default:
			mb->status = SHIM_ERR_CMD;
			break;
		}
		answer(lp, mb, seen);
	}
}

void shim_main(uint32_t apic_id)
{
	uint32_t lp = apic_id;

	if (cfg->magic != SHIM_CONFIG_MAGIC || lp >= cfg->nr_lps || lp >= SHIM_MAX_LPS)
		return;
	if (lp == 0) {
		idt_build();
		/* the 8259s masked; each LP's UART to its own local APIC */
		outb(0x21, 0xFF);
		outb(0xA1, 0xFF);
		for (uint32_t i = 0; i < cfg->nr_lps; i++) {
			ioapic_write(0x10 + 2 * cfg->uart_irq[i] + 1, i << 24);
			ioapic_write(0x10 + 2 * cfg->uart_irq[i], SHIM_VEC_WAKE);
		}
		log_str("shim: up\n");
	}
	idt_load();
	wrmsr(MSR_APIC_BASE, rdmsr(MSR_APIC_BASE) | (1U << 11));
	lapic_write(LAPIC_SVR, 0x1FF);
	lapic_write(LAPIC_TIMER_DIV, 0xB); /* divide by 1 */
	lapic_write(LAPIC_LVT_TIMER, SHIM_VEC_TIMER);
	lapic_write(LAPIC_TIMER_INIT, 0);
	xsave_init();
	wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_SVME);
	wrmsr(MSR_VM_HSAVE_PA, (uint64_t)(uintptr_t)shim_hsave[lp]);
	uart_init(cfg->uart_port[lp]);
	mailbox(lp)->apic_id = apic_id;
	if (lp == 0 && cfg->nr_lps > 1) {
		/* INIT, then SIPI twice, to all but self: the APs start at SHIM_LOAD_PA */
		lapic_write(LAPIC_ICR_HI, 0);
		lapic_write(LAPIC_ICR_LO, 0xC4500);
		lapic_write(LAPIC_ICR_HI, 0);
		lapic_write(LAPIC_ICR_LO, 0xC4600 | SHIM_SIPI_VECTOR);
		lapic_write(LAPIC_ICR_HI, 0);
		lapic_write(LAPIC_ICR_LO, 0xC4600 | SHIM_SIPI_VECTOR);
	}
	bsp_done = 1;
	lp_loop(lp);
}
