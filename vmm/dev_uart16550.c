// SPDX-License-Identifier: MIT
/*
 * vmm/dev_uart16550.c - a 16550 UART. Transmission is instantaneous, so THR is always empty
 * (LSR.THRE | LSR.TEMT); received bytes come from a queue the embedder fills. Register
 * semantics follow the National Semiconductor PC16550D datasheet; defaults where it leaves
 * things to the board (MSR with CTS, DSR and DCD asserted) follow QEMU's serial model.
 *
 * Input from a file descriptor (uart16550_attach_input; `tdxsim run` gives stdin): a reader
 * thread polls the descriptor and a wake-up pipe, reads only as much as the receive queue
 * has room for (so nothing is dropped: a pipe's writer waits), and ends at EOF or an error,
 * after which the guest simply finds no more data (LSR.DR clear). Detaching writes the pipe
 * and joins the thread, so a blocked read never holds up the TD's teardown.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vmm/devices.h"

struct uart16550 {
	struct vmm_bus *bus;
	uint16_t base;
	uint8_t ier, lcr, mcr, scr, fcr;
	uint16_t divisor;
	bool thri_pending; /* "THR empty" interrupt raised, not yet acknowledged */
	bool irq_level;
	uint8_t rx[UART16550_RX_QUEUE];
	size_t rx_head, rx_count;
	char line[UART16550_LINE_MAX];
	size_t line_len;
	uart_sink_t sink;
	void *sink_opaque;
	uart_irq_t irq;
	void *irq_opaque;
	/* Input from a descriptor (uart16550_attach_input). */
	pthread_t in_thread;
	bool in_attached;
	int in_fd, in_wake[2];
	bool in_stop;		  /* under bus->pio.lock */
	pthread_cond_t in_room;	  /* the queue has room, or in_stop; with bus->pio.lock */
	atomic_bool in_live;	  /* attached and not at EOF */
	atomic_bool rx_irq_armed; /* IER.RDI and MCR.OUT2: received data raises the line */
	void (*in_ended)(void *opaque);
	void *in_opaque;
};

static void uart_stdout_sink(void *opaque, const char *buf, size_t len)
{
	(void)opaque;
	fwrite(buf, 1, len, stdout);
	fflush(stdout);
}

void uart16550_flush(struct uart16550 *u)
{
	if (u->line_len) {
		u->sink(u->sink_opaque, u->line, u->line_len);
		u->line_len = 0;
	}
}

/* Line-buffered: a guest printing byte by byte does not cost a write(2) per byte. */
static void uart_output(struct uart16550 *u, uint8_t c)
{
	u->line[u->line_len++] = (char)c;
	if (c == '\n' || u->line_len == sizeof(u->line))
		uart16550_flush(u);
}

static void uart_rx_push(struct uart16550 *u, uint8_t c)
{
	if (u->rx_count == sizeof(u->rx))
		return; /* overrun: the byte is lost, as on the chip */
	u->rx[(u->rx_head + u->rx_count) % sizeof(u->rx)] = c;
	u->rx_count++;
}

static uint8_t uart_rx_pop(struct uart16550 *u)
{
	uint8_t c;

	if (!u->rx_count)
		return 0;
	c = u->rx[u->rx_head];
	u->rx_head = (u->rx_head + 1) % sizeof(u->rx);
	u->rx_count--;
	if (u->in_attached)
		pthread_cond_signal(&u->in_room);
	return c;
}

/* Highest-priority pending source that is enabled [datasheet table 4]: RX data, then THRE. */
static uint8_t uart_iir(const struct uart16550 *u)
{
	uint8_t fifo = (u->fcr & UART_FCR_ENABLE_FIFO) ? UART_IIR_FIFO : 0;

	if ((u->ier & UART_IER_RDI) && u->rx_count)
		return fifo | UART_IIR_RDI;
	if ((u->ier & UART_IER_THRI) && u->thri_pending)
		return fifo | UART_IIR_THRI;
	return fifo | UART_IIR_NO_INT;
}

static void uart_update_irq(struct uart16550 *u)
{
	/* OUT2 gates the interrupt line to the PIC on PC boards. */
	bool level = !(uart_iir(u) & UART_IIR_NO_INT) && (u->mcr & UART_MCR_OUT2);

	atomic_store(&u->rx_irq_armed, (u->ier & UART_IER_RDI) && (u->mcr & UART_MCR_OUT2));
	if (level != u->irq_level) {
		u->irq_level = level;
		if (u->irq)
			u->irq(u->irq_opaque, level);
	}
}

static uint8_t uart_read_rbr(struct uart16550 *u)
{
	if (u->lcr & UART_LCR_DLAB)
		return (uint8_t)u->divisor;
	return uart_rx_pop(u);
}

static uint8_t uart_read_ier(struct uart16550 *u)
{
	if (u->lcr & UART_LCR_DLAB)
		return (uint8_t)(u->divisor >> 8);
	return u->ier;
}

static uint8_t uart_read_iir(struct uart16550 *u)
{
	uint8_t iir = uart_iir(u);

	/* Reading IIR while it reports THRE acknowledges that interrupt [datasheet]. */
	if ((iir & 0x0F) == UART_IIR_THRI)
		u->thri_pending = false;
	return iir;
}

static uint8_t uart_read_lsr(struct uart16550 *u)
{
	return UART_LSR_THRE | UART_LSR_TEMT | (u->rx_count ? UART_LSR_DR : 0);
}

static uint8_t uart_read_msr(struct uart16550 *u)
{
	/* Loopback wires DTR->DSR, RTS->CTS, OUT1->RI, OUT2->DCD [datasheet 8.6.5]. */
	if (u->mcr & UART_MCR_LOOP)
		return (uint8_t)(((u->mcr & UART_MCR_DTR) ? UART_MSR_DSR : 0) |
				 ((u->mcr & UART_MCR_RTS) ? UART_MSR_CTS : 0) |
				 ((u->mcr & UART_MCR_OUT1) ? UART_MSR_RI : 0) |
				 ((u->mcr & UART_MCR_OUT2) ? UART_MSR_DCD : 0));
	return UART_MSR_DCD | UART_MSR_DSR | UART_MSR_CTS;
}

static void uart_write_thr(struct uart16550 *u, uint8_t v)
{
	if (u->lcr & UART_LCR_DLAB) {
		u->divisor = (uint16_t)((u->divisor & 0xFF00) | v);
		return;
	}
	if (u->mcr & UART_MCR_LOOP)
		uart_rx_push(u, v);
	else
		uart_output(u, v);
	/* Sent at once: THR is empty again, which raises THRE. */
	u->thri_pending = true;
}

static void uart_write_ier(struct uart16550 *u, uint8_t v)
{
	if (u->lcr & UART_LCR_DLAB) {
		u->divisor = (uint16_t)((u->divisor & 0x00FF) | (v << 8));
		return;
	}
	/* Enabling ETBEI while THR is empty raises THRE straight away. */
	if ((v & UART_IER_THRI) && !(u->ier & UART_IER_THRI))
		u->thri_pending = true;
	u->ier = v & 0x0F;
}

static void uart_write_fcr(struct uart16550 *u, uint8_t v)
{
	if (v & UART_FCR_CLEAR_RCVR) {
		u->rx_head = u->rx_count = 0;
		if (u->in_attached)
			pthread_cond_signal(&u->in_room);
	}
	/* CLEAR_XMIT: nothing is ever waiting to be sent. Bits 1-2 self-clear. */
	u->fcr = v & 0xC9;
}

static uint8_t uart_read(struct uart16550 *u, unsigned reg)
{
	switch (reg) {
	case UART_RBR:
		return uart_read_rbr(u);
	case UART_IER:
		return uart_read_ier(u);
	case UART_IIR:
		return uart_read_iir(u);
	case UART_LCR:
		return u->lcr;
	case UART_MCR:
		return u->mcr;
	case UART_LSR:
		return uart_read_lsr(u);
	case UART_MSR:
		return uart_read_msr(u);
	default:
		return u->scr;
	}
}

static void uart_write(struct uart16550 *u, unsigned reg, uint8_t v)
{
	switch (reg) {
	case UART_THR:
		uart_write_thr(u, v);
		break;
	case UART_IER:
		uart_write_ier(u, v);
		break;
	case UART_FCR:
		uart_write_fcr(u, v);
		break;
	case UART_LCR:
		u->lcr = v;
		break;
	case UART_MCR:
		u->mcr = v & 0x1F;
		break;
	case UART_LSR:
	case UART_MSR:
		break; /* read-only (factory test writes are not modelled) */
	default:
		u->scr = v;
		break;
	}
}

/*
 * The 16550 is an 8-bit device: a wider access is taken byte by byte at consecutive
 * registers, as the ISA bus splits it.
 */
static void uart_io(void *opaque, uint64_t off, void *data, unsigned size, bool write)
{
	struct uart16550 *u = opaque;
	uint8_t *p = data;

	for (unsigned i = 0; i < size; i++) {
		if (write)
			uart_write(u, (unsigned)off + i, p[i]);
		else
			p[i] = uart_read(u, (unsigned)off + i);
	}
	uart_update_irq(u);
}

struct uart16550 *uart16550_create(struct vmm_bus *bus, uint16_t base, uart_sink_t sink,
				   void *sink_opaque)
{
	struct uart16550 *u = calloc(1, sizeof(*u));

	if (!u)
		return NULL;
	u->bus = bus;
	u->base = base;
	u->sink = sink ? sink : uart_stdout_sink;
	u->sink_opaque = sink_opaque;
	u->divisor = 12; /* 9600 baud from the 1.8432 MHz clock: the BIOS default */
	if (vmm_bus_register_pio(bus, base, UART16550_NR_PORTS, uart_io, u, "uart16550")) {
		free(u);
		return NULL;
	}
	return u;
}

void uart16550_set_irq(struct uart16550 *u, uart_irq_t irq, void *opaque)
{
	u->irq = irq;
	u->irq_opaque = opaque;
}

size_t uart16550_push_input(struct uart16550 *u, const void *buf, size_t len)
{
	const uint8_t *p = buf;
	size_t n;

	pthread_mutex_lock(&u->bus->pio.lock);
	for (n = 0; n < len && u->rx_count < sizeof(u->rx); n++)
		uart_rx_push(u, p[n]);
	uart_update_irq(u);
	pthread_mutex_unlock(&u->bus->pio.lock);
	return n;
}

/* Push all of buf, waiting for room; false when asked to stop first. */
static bool uart_input_push_all(struct uart16550 *u, const uint8_t *buf, size_t len)
{
	pthread_mutex_lock(&u->bus->pio.lock);
	while (len && !u->in_stop) {
		size_t n = 0;

		while (n < len && u->rx_count < sizeof(u->rx))
			uart_rx_push(u, buf[n++]);
		if (n)
			uart_update_irq(u);
		buf += n;
		len -= n;
		if (len)
			pthread_cond_wait(&u->in_room, &u->bus->pio.lock);
	}
	len = u->in_stop;
	pthread_mutex_unlock(&u->bus->pio.lock);
	return !len;
}

static void *uart_input_thread(void *arg)
{
	struct uart16550 *u = arg;
	uint8_t buf[512];

	for (;;) {
		struct pollfd p[2] = {{.fd = u->in_fd, .events = POLLIN},
				      {.fd = u->in_wake[0], .events = POLLIN}};
		ssize_t n;

		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (p[1].revents)
			return NULL; /* detached: not the end of the input */
		if (!p[0].revents)
			continue;
		n = read(u->in_fd, buf, sizeof(buf));
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0)
			break; /* EOF, or an error: no more input either way */
		if (!uart_input_push_all(u, buf, (size_t)n))
			return NULL;
	}
	atomic_store(&u->in_live, false);
	if (u->in_ended)
		u->in_ended(u->in_opaque);
	return NULL;
}

int uart16550_attach_input(struct uart16550 *u, int fd, void (*ended)(void *opaque), void *opaque)
{
	int ret;

	if (u->in_attached)
		return -EBUSY;
	if (pipe2(u->in_wake, O_CLOEXEC))
		return -errno;
	u->in_fd = fd;
	u->in_stop = false;
	u->in_ended = ended;
	u->in_opaque = opaque;
	pthread_cond_init(&u->in_room, NULL);
	atomic_store(&u->in_live, true);
	u->in_attached = true;
	ret = pthread_create(&u->in_thread, NULL, uart_input_thread, u);
	if (ret) {
		u->in_attached = false;
		atomic_store(&u->in_live, false);
		pthread_cond_destroy(&u->in_room);
		close(u->in_wake[0]);
		close(u->in_wake[1]);
		return -ret;
	}
	return 0;
}

void uart16550_detach_input(struct uart16550 *u)
{
	if (!u->in_attached)
		return;
	pthread_mutex_lock(&u->bus->pio.lock);
	u->in_stop = true;
	pthread_cond_broadcast(&u->in_room);
	pthread_mutex_unlock(&u->bus->pio.lock);
	while (write(u->in_wake[1], "x", 1) < 0 && errno == EINTR)
		;
	pthread_join(u->in_thread, NULL);
	close(u->in_wake[0]);
	close(u->in_wake[1]);
	pthread_cond_destroy(&u->in_room);
	atomic_store(&u->in_live, false);
	u->in_attached = false;
}

bool uart16550_input_can_interrupt(struct uart16550 *u)
{
	return atomic_load(&u->in_live) && atomic_load(&u->rx_irq_armed);
}

void uart16550_destroy(struct uart16550 *u)
{
	if (!u)
		return;
	uart16550_detach_input(u);
	uart16550_flush(u);
	bus_unregister(&u->bus->pio, u->base);
	free(u);
}
