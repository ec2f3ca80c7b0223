/* SPDX-License-Identifier: MIT */
/*
 * vmm/devices.h - the device models: a 16550 UART, PCI configuration mechanism #1 with a
 * host bridge, a PCI test device, the power-off ports, an i8254 PIT and the CMOS RTC. Each is created on a vmm_bus and
 * destroyed with its own function; docs/VMM.md has the register maps.
 */
#ifndef VMM_DEVICES_H
#define VMM_DEVICES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tdxsim/boot.h"
#include "vmm/bus.h"

/* Packed BCD, up to four digits (the PIT's BCD counts, the CMOS clock's registers). */
static inline unsigned int bcd_to_bin(uint16_t v)
{
	return (v & 0xF) + 10 * ((v >> 4) & 0xF) + 100 * ((v >> 8) & 0xF) + 1000 * (v >> 12);
}

static inline uint16_t bin_to_bcd(unsigned int v)
{
	return (uint16_t)(v % 10 | (v / 10 % 10) << 4 | (v / 100 % 10) << 8 |
			  (v / 1000 % 10) << 12);
}

/* ---- 16550 UART (dev_uart16550.c) ---- */

#define UART16550_NR_PORTS 8

/* Register offsets; RBR/THR/DLL share 0, IER/DLM share 1, IIR/FCR share 2 [16550 datasheet]. */
#define UART_RBR 0 /* receive buffer (read, DLAB=0) */
#define UART_THR 0 /* transmit holding (write, DLAB=0) */
#define UART_DLL 0 /* divisor latch low (DLAB=1) */
#define UART_IER 1 /* interrupt enable (DLAB=0) */
#define UART_DLM 1 /* divisor latch high (DLAB=1) */
#define UART_IIR 2 /* interrupt identification (read) */
#define UART_FCR 2 /* FIFO control (write) */
#define UART_LCR 3 /* line control */
#define UART_MCR 4 /* modem control */
#define UART_LSR 5 /* line status */
#define UART_MSR 6 /* modem status */
#define UART_SCR 7 /* scratch */

#define UART_IER_RDI  0x01 /* received data available */
#define UART_IER_THRI 0x02 /* transmitter holding register empty */
#define UART_IER_RLSI 0x04 /* receiver line status */
#define UART_IER_MSI  0x08 /* modem status */

#define UART_IIR_NO_INT 0x01
#define UART_IIR_THRI	0x02
#define UART_IIR_RDI	0x04
#define UART_IIR_FIFO	0xC0 /* FIFOs enabled */

#define UART_FCR_ENABLE_FIFO 0x01
#define UART_FCR_CLEAR_RCVR  0x02
#define UART_FCR_CLEAR_XMIT  0x04

#define UART_LCR_DLAB 0x80

#define UART_MCR_DTR  0x01
#define UART_MCR_RTS  0x02
#define UART_MCR_OUT1 0x04
#define UART_MCR_OUT2 0x08
#define UART_MCR_LOOP 0x10

#define UART_LSR_DR   0x01 /* data ready */
#define UART_LSR_THRE 0x20 /* transmit holding register empty */
#define UART_LSR_TEMT 0x40 /* transmitter empty */

#define UART_MSR_CTS 0x10
#define UART_MSR_DSR 0x20
#define UART_MSR_RI  0x40
#define UART_MSR_DCD 0x80

#define UART16550_RX_QUEUE 4096
#define UART16550_LINE_MAX 256

/* Output: called with whole lines (the '\n' included), or a full line buffer, or on flush. */
typedef void (*uart_sink_t)(void *opaque, const char *buf, size_t len);
/* Interrupt line level changes (no interrupt controller yet; optional). */
typedef void (*uart_irq_t)(void *opaque, bool level);

struct uart16550;

/* @sink NULL: stdout. Registers ports [base, base + 8) on @bus. */
struct uart16550 *uart16550_create(struct vmm_bus *bus, uint16_t base, uart_sink_t sink,
				   void *sink_opaque);
void uart16550_set_irq(struct uart16550 *u, uart_irq_t irq, void *opaque);
/* Queue input bytes for the guest; returns how many fitted. */
size_t uart16550_push_input(struct uart16550 *u, const void *buf, size_t len);
/*
 * Feed the receiver from @fd (a reader thread; the descriptor stays the caller's): bytes
 * are queued as the queue has room, none dropped. At EOF or a read error the reader ends
 * and calls @ended(@opaque) (may be NULL) from its thread; the guest then finds no data.
 * 0, -EBUSY (attached already) or -errno.
 */
int uart16550_attach_input(struct uart16550 *u, int fd, void (*ended)(void *opaque), void *opaque);
/* Stop and join the reader (a blocked read included); nothing when not attached. */
void uart16550_detach_input(struct uart16550 *u);
/*
 * Whether input can still raise the interrupt line: the reader is attached and not at EOF,
 * and the guest enabled the receive interrupt (IER.RDI) and the line (MCR.OUT2).
 */
bool uart16550_input_can_interrupt(struct uart16550 *u);
/* Hand a partial line to the sink now. */
void uart16550_flush(struct uart16550 *u);
/* Detaches the input, flushes, unregisters and frees. */
void uart16550_destroy(struct uart16550 *u);

/* ---- PCI (dev_pci.c) ---- */

#define PCI_CONFIG_ADDRESS 0xCF8
#define PCI_CONFIG_DATA	   0xCFC
#define PCI_CONFIG_ENABLE  0x80000000U

/* Configuration header offsets and bits [PCI Local Bus 3.0, 6.1]. */
#define PCI_VENDOR_ID	      0x00
#define PCI_DEVICE_ID	      0x02
#define PCI_COMMAND	      0x04
#define PCI_STATUS	      0x06
#define PCI_REVISION_ID	      0x08
#define PCI_CLASS_PROG	      0x09
#define PCI_CLASS_DEVICE      0x0A
#define PCI_HEADER_TYPE	      0x0E
#define PCI_BASE_ADDRESS_0    0x10
#define PCI_SUBSYSTEM_VENDOR  0x2C
#define PCI_SUBSYSTEM_ID      0x2E
#define PCI_INTERRUPT_LINE    0x3C
#define PCI_INTERRUPT_PIN     0x3D
#define PCI_COMMAND_IO	      0x0001
#define PCI_COMMAND_MEMORY    0x0002
#define PCI_COMMAND_MASTER    0x0004
#define PCI_COMMAND_INTX_DIS  0x0400
#define PCI_BAR_SPACE_IO      0x01
#define PCI_BAR_MEM_TYPE_64   0x04
#define PCI_BAR_MEM_PREFETCH  0x08
#define PCI_NUM_BARS	      6
#define PCI_CONFIG_SPACE_SIZE 256

#define PCI_DEVFN(dev, fn) ((uint8_t)(((dev) << 3) | (fn)))

struct pci_device;

/*
 * Optional per-device hooks, run after the generic config-space handling (so they see the
 * new value) - e.g. to move an MMIO window when a BAR or the command register changes.
 */
struct pci_device_ops {
	void (*config_write)(struct pci_device *d, unsigned offset, unsigned size);
};

struct pci_device {
	uint8_t devfn;
	uint8_t config[PCI_CONFIG_SPACE_SIZE];
	uint8_t wmask[PCI_CONFIG_SPACE_SIZE]; /* writable bits */
	uint32_t bar_size[PCI_NUM_BARS];      /* 0 = BAR not implemented */
	const struct pci_device_ops *ops;
	void *opaque;
};

struct pci_bus;

/* Registers 0xCF8 (4 ports) and 0xCFC (4 ports), and a host bridge at 00:00.0. */
struct pci_bus *pci_bus_create(struct vmm_bus *bus);
void pci_bus_destroy(struct pci_bus *pb);
/* Fill the identity fields of @d (zeroing the rest of its config space). */
void pci_device_init(struct pci_device *d, uint8_t devfn, uint16_t vendor, uint16_t device,
		     uint32_t class_code, uint8_t revision);
/* A 32-bit memory BAR of @size (a power of two >= 16) at @addr. */
void pci_device_set_bar_mem32(struct pci_device *d, unsigned bar, uint32_t size, uint32_t addr);
uint32_t pci_device_bar_addr(const struct pci_device *d, unsigned bar);
/* -EEXIST if the slot is taken, -EINVAL for a bad devfn. */
int pci_bus_add_device(struct pci_bus *pb, struct pci_device *d);
void pci_bus_remove_device(struct pci_bus *pb, struct pci_device *d);
/* Bus-level configuration access (bus 0 only), as the data port does it. */
uint32_t pci_bus_config_read(struct pci_bus *pb, uint8_t bus, uint8_t devfn, unsigned offset,
			     unsigned size);
void pci_bus_config_write(struct pci_bus *pb, uint8_t bus, uint8_t devfn, unsigned offset,
			  unsigned size, uint32_t value);

#define PCI_HOST_BRIDGE_VENDOR 0x8086
#define PCI_HOST_BRIDGE_DEVICE 0x29C0 /* Q35 MCH host bridge, as QEMU's q35 shows it */
#define PCI_CLASS_BRIDGE_HOST  0x060000

/* ---- PCI test device (dev_pci_testdev.c) ---- */

/* 1234 is the vendor ID QEMU uses for its own devices (e.g. 1234:1111 stdvga); unofficial. */
#define PCI_TESTDEV_VENDOR  0x1234
#define PCI_TESTDEV_DEVICE  0x7D55
#define PCI_TESTDEV_CLASS   0xFF0000 /* unassigned class: "device does not fit" */
#define PCI_TESTDEV_DEVFN   PCI_DEVFN(1, 0)
#define PCI_TESTDEV_BAR0    0xFEB00000U /* shared GPA (without the shared bit) */
#define PCI_TESTDEV_BAR0_SZ 0x1000U

/* BAR0 register map (docs/VMM.md). */
#define TESTDEV_MAGIC	     0x000 /* RO, 8 bytes: ASCII "TDXSIMTD" */
#define TESTDEV_VERSION	     0x008 /* RO, 4 bytes: 1 */
#define TESTDEV_READS	     0x010 /* RO, 8 bytes: reads before this access */
#define TESTDEV_WRITES	     0x018 /* RO, 8 bytes: writes before this access */
#define TESTDEV_LAST_OFFSET  0x020 /* RO, 8 bytes: offset of the previous access */
#define TESTDEV_LAST_SIZE    0x028 /* RO, 8 bytes: size of the previous access */
#define TESTDEV_LAST_WDATA   0x030 /* RO, 8 bytes: value of the last write */
#define TESTDEV_RESET	     0x038 /* WO: any write clears the counters and LAST_* */
#define TESTDEV_SCRATCH	     0x100 /* RW, 256 bytes: plain memory */
#define TESTDEV_SCRATCH_SIZE 0x100
#define TESTDEV_MAGIC_VALUE  0x44544d4953584454ULL /* "TDXSIMTD" little-endian */
#define TESTDEV_VERSION_VAL  1

struct pci_testdev;

/* Adds 00:01.0 to @pb and maps BAR0 on @bus's MMIO space at PCI_TESTDEV_BAR0. */
struct pci_testdev *pci_testdev_create(struct vmm_bus *bus, struct pci_bus *pb);
void pci_testdev_destroy(struct pci_testdev *t);

/* ---- power-off ports (dev_poweroff.c) ---- */

/* The ports are the boot protocol's: TDXSIM_EXIT_PORT, TDXSIM_PM1A_CNT_PORT (tdxsim/boot.h). */

/* Called once per stop request with the exit status (0 for a plain ACPI power-off). */
typedef void (*poweroff_cb_t)(void *opaque, int status);

struct poweroff_dev;

struct poweroff_dev *poweroff_create(struct vmm_bus *bus, poweroff_cb_t cb, void *opaque);
void poweroff_destroy(struct poweroff_dev *p);

/* ---- i8254 PIT and port 0x61 (dev_pit.c) ---- */

#define PIT_PORT_COUNTER0 0x40	  /* counters 0, 1, 2 at 0x40-0x42 */
#define PIT_PORT_CONTROL  0x43	  /* the control word (write only) */
#define PIT_PORT_61	  0x61	  /* system control port B: channel 2's gate and output */
#define PIT_HZ		  1193182 /* the counters' input clock */

/* Control word bits 5:4 (RW) and the read-back command's active-low bits [8254]. */
#define PIT_READBACK_NO_COUNT  0x20
#define PIT_READBACK_NO_STATUS 0x10
#define PIT_STATUS_OUT	       0x80
#define PIT_STATUS_NULL_COUNT  0x40

#define PIT_61_GATE2	0x01 /* channel 2's gate (read/write) */
#define PIT_61_SPEAKER	0x02 /* speaker data enable (read/write, no speaker here) */
#define PIT_61_WRITABLE 0x0F /* bits 3:2, the parity and I/O check enables, are kept too */
#define PIT_61_REFRESH	0x10 /* refresh request toggle (read only) */
#define PIT_61_OUT2	0x20 /* channel 2's output (read only) */

/* The time the counters count from, in nanoseconds (monotonic); NULL: CLOCK_MONOTONIC. */
typedef uint64_t (*pit_clock_t)(void *opaque);

struct pit;

struct pit *pit_create(struct vmm_bus *bus, pit_clock_t clock, void *opaque);
void pit_destroy(struct pit *p);
/* ---- CMOS RTC (dev_cmos.c) ---- */

#define CMOS_PORT	      0x70 /* index; 0x71 data */
#define CMOS_SIZE	      128
#define CMOS_SECONDS	      0x00
#define CMOS_SECONDS_ALARM    0x01
#define CMOS_MINUTES	      0x02
#define CMOS_MINUTES_ALARM    0x03
#define CMOS_HOURS	      0x04
#define CMOS_HOURS_ALARM      0x05
#define CMOS_DAY_OF_WEEK      0x06
#define CMOS_DAY_OF_MONTH     0x07
#define CMOS_MONTH	      0x08
#define CMOS_YEAR	      0x09
#define CMOS_STATUS_A	      0x0A
#define CMOS_STATUS_B	      0x0B
#define CMOS_STATUS_C	      0x0C
#define CMOS_STATUS_D	      0x0D
#define CMOS_BASE_MEM_LO      0x15 /* KiB below 1 MiB */
#define CMOS_BASE_MEM_HI      0x16
#define CMOS_EXT_MEM_LO	      0x17 /* KiB above 1 MiB */
#define CMOS_EXT_MEM_HI	      0x18
#define CMOS_EXT_MEM2_LO      0x30 /* the same again */
#define CMOS_EXT_MEM2_HI      0x31
#define CMOS_CENTURY	      0x32
#define CMOS_MEM_ABOVE_16M_LO 0x34 /* 64 KiB units, below 4 GiB */
#define CMOS_MEM_ABOVE_16M_HI 0x35
#define CMOS_STATUS_A_DEFAULT 0x26 /* 32.768 kHz time base, 1024 Hz periodic rate */
#define CMOS_STATUS_A_UIP     0x80 /* update in progress (read only) */
#define CMOS_STATUS_B_SET     0x80 /* updates stopped: the time can be set */
#define CMOS_STATUS_B_UIE     0x10 /* update-ended interrupt enable */
#define CMOS_STATUS_B_DM      0x04 /* data mode: 1 binary, 0 BCD */
#define CMOS_STATUS_B_24H     0x02 /* 1 24-hour, 0 12-hour; the reset value: 24-hour, BCD */
#define CMOS_HOURS_PM	      0x80 /* 12-hour mode: the hours register's PM bit */
#define CMOS_STATUS_C_IRQF    0x80
#define CMOS_STATUS_C_UF      0x10 /* update ended */
#define CMOS_STATUS_D_VRT     0x80 /* valid RAM and time */

struct cmos_dev;

/* Registers ports 0x70-0x71 on @bus with the memory size bytes of a guest of @memory_size. */
struct cmos_dev *cmos_create(struct vmm_bus *bus, uint64_t memory_size);
void cmos_destroy(struct cmos_dev *c);
/* The wall clock, nanoseconds since the Unix epoch (UTC); NULL: CLOCK_REALTIME (the default). */
typedef uint64_t (*cmos_clock_t)(void *opaque);
void cmos_set_clock(struct cmos_dev *c, cmos_clock_t clock, void *opaque);

#endif /* VMM_DEVICES_H */
