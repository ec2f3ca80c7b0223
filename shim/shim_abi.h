/* SPDX-License-Identifier: MIT */
/*
 * The SEAM shim's contract with the tdxsim process (docs/SYSTEM.md): where the shim lives in
 * the machine's physical memory, the configuration the host writes before QEMU starts, and
 * the per-LP mailbox through which every exit goes. Included by the freestanding shim and by
 * the host side (platform/system/); nothing here may need a C library.
 *
 * Physical addresses are QEMU's guest-physical addresses, which equal the machine's HPAs below
 * SYSTEM_LOWMEM (docs/SYSTEM.md "Physical memory"); everything the shim owns is below 1 MiB,
 * where the host's page allocator never allocates.
 */
#ifndef TDXSIM_SHIM_ABI_H
#define TDXSIM_SHIM_ABI_H

#include <stdint.h>

#define SHIM_LOAD_PA	 0x10000U /* the image; its first byte is the real-mode entry */
#define SHIM_IMAGE_END	 0x60000U /* image, data and bss end below this */
#define SHIM_CONFIG_PA	 0x60000U /* struct shim_config, one page */
#define SHIM_MAILBOX_PA	 0x61000U /* SHIM_MAX_LPS mailboxes, one page each */
#define SHIM_MAX_LPS	 8U
#define SHIM_REGION_END	 (SHIM_MAILBOX_PA + SHIM_MAX_LPS * 0x1000U)
#define SHIM_SIPI_VECTOR (SHIM_LOAD_PA >> 12) /* APs start at SHIM_LOAD_PA in real mode */

#define SHIM_CONFIG_MAGIC 0x31474643534d4853ULL /* "SHMSCFG1" */

/* Vectors of the shim's own interrupts. */
#define SHIM_VEC_WAKE  0x40 /* a byte from the host arrived on the LP's UART */
#define SHIM_VEC_TIMER 0x41 /* the local APIC timer: preemption of the guest */

struct shim_config {
	uint64_t magic;
	uint32_t nr_lps;
	uint16_t log_port; /* isa-debugcon port for the shim's messages; 0: none */
	uint16_t pad;
	uint16_t uart_port[SHIM_MAX_LPS]; /* each LP's 16550: its doorbell and wake-up */
	uint8_t uart_irq[SHIM_MAX_LPS];	  /* its ISA IRQ (= IOAPIC pin) */
	/*
	 * How long an LP polls its mailbox for the next request before it halts, in TSC ticks
	 * (QEMU's TSC under TCG runs at the host's rate); 0: it halts at once.
	 */
	uint64_t spin_tsc;
};

enum shim_cmd {
	SHIM_CMD_NONE = 0,
	SHIM_CMD_RUN = 1,   /* VMRUN the VMCB at vmcb_pa with gpr[], until an exit */
	SHIM_CMD_PING = 2,  /* answer at once: the cost of the mailbox alone */
	SHIM_CMD_TOUCH = 3, /* write each page of touch_pa's lists once (struct shim_touch_list) */
};

enum shim_status {
	SHIM_OK = 0,
	SHIM_ERR_CMD = 1,   /* unknown command */
	SHIM_ERR_FAULT = 2, /* the shim itself took an exception: fault_* say where */
};

enum shim_state {
	SHIM_STATE_DOWN = 0,
	SHIM_STATE_READY = 1, /* the LP is in long mode with SVM on, waiting for requests */
};

/*
 * Pages the host wrote unseen by QEMU (its RAM is the machine's memory, which the tdxsim
 * process writes directly): QEMU's TCG keeps the code it translated by physical address and
 * drops it only when QEMU itself sees a write to the page, so a page that held another TD's
 * code would run that code again. The shim writes every quadword of each page once (an
 * atomic OR of 0, which leaves its contents as they are) at SHIM_CMD_TOUCH.
 */
#define SHIM_TOUCH_MAX 510U
struct shim_touch_list {
	uint64_t next; /* the next list, 0: the last */
	uint64_t n;
	uint64_t pa[SHIM_TOUCH_MAX];
};

/*
 * One LP's mailbox. The host fills the request, increments req_seq and, when the shim says it
 * is waiting (it polled for spin_tsc and halted), writes a byte to the LP's UART (the
 * wake-up); the shim runs it, fills the response, sets resp_seq = req_seq and, when the host
 * says it is waiting (it polled for a while and blocked), writes a byte to the same UART (the
 * doorbell). gpr[] goes both ways:
 * the guest's general registers in x86 encoding order (RAX, RCX, RDX, RBX, RSP, RBP, RSI,
 * RDI, R8-R15) as they are loaded and as the exit left them; RAX and RSP are the VMCB's and
 * their slots are ignored.
 */
struct shim_mailbox {
	/* host -> shim */
	volatile uint32_t req_seq;
	uint32_t cmd;	   /* enum shim_cmd */
	uint64_t vmcb_pa;  /* RUN: the VMCB (the exit information is in it afterwards) */
	uint64_t xsave_pa; /* RUN: the guest's XSAVE area (64-byte aligned); 0: none */
	uint64_t xcr0;	   /* RUN: XCR0 the guest runs with; 0: as the LP has it */
	uint64_t timer_ns; /* RUN: preempt the guest after this long (an INTR exit); 0: never */
	uint64_t bounce;   /* RUN: CPUID exits the shim answers itself first (measurement) */
	volatile uint32_t kicks; /* system_kick(): a running guest must exit (INTR) */
	uint32_t kick_base;	 /* RUN: kicks as the host last looked; more is a kick to report */
	volatile uint32_t host_waiting; /* the host blocks until a byte comes: ring the doorbell */
	uint32_t pad3;
	uint64_t gpr[16];
	uint64_t touch_pa; /* TOUCH: the first struct shim_touch_list */
	uint8_t pad0[256 - 64 - 16 * 8 - 8];
	/* shim -> host */
	volatile uint32_t resp_seq;
	uint32_t status;	   /* enum shim_status */
	volatile uint32_t state;   /* enum shim_state */
	volatile uint32_t waiting; /* the LP halts until a byte comes: the host must send one */
	uint32_t apic_id;
	uint32_t pad2;
	uint64_t fault_vector, fault_rip, fault_error;
	uint64_t nr_runs, nr_halts, nr_wakes;
	/*
	 * Whose extended state the LP's registers hold (an XSAVE area's address, 0: nobody's);
	 * the host clears it between requests when that area goes away.
	 */
	uint64_t cur_xsave;
	uint64_t
		guest_xcr0; /* RUN: XCR0 as the guest left it (QEMU 7.2 runs XSETBV unintercepted) */
	/*
	 * The shim's TSC when it began to wait for the request (after the last answer's
	 * doorbell), when it saw it, at its first VMRUN, after its last #VMEXIT (those two 0 for a
	 * request that ran no guest) and when it answered: where a round trip spends its time
	 * (platform/system/legs.h).
	 */
	uint64_t tsc_idle, tsc_seen, tsc_vmrun, tsc_exit, tsc_done;
	uint8_t pad1[4096 - 256 - 24 - 13 * 8];
};

_Static_assert(sizeof(struct shim_mailbox) == 4096, "one page per LP");
_Static_assert(sizeof(struct shim_config) <= 4096, "one page");

#endif
