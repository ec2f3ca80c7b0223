// SPDX-License-Identifier: MIT
/* Serial console on COM1, input: polled, or waiting for the receive interrupt on vCPU 0. */
#include "tdxguest/console.h"
#include "tdxguest/io.h"
#include "tdxguest/smp.h"

/* COM1's registers (PC16550D) the receiver needs. */
#define UART_IER      (TDXSIM_COM1_PORT + 1)
#define UART_MCR      (TDXSIM_COM1_PORT + 4)
#define UART_LSR      (TDXSIM_COM1_PORT + 5)
#define UART_IER_RDI  0x01
#define UART_MCR_LINE 0x0B /* DTR, RTS, OUT2 (OUT2 gates the interrupt line) */
#define UART_LSR_DR   0x01

int tdx_getc_nonblock(void)
{
	if (!(inb(UART_LSR) & UART_LSR_DR))
		return -1;
	return inb(TDXSIM_COM1_PORT);
}

/* The receive interrupt only ends the halt: tdx_getc reads the data itself. */
static void console_rx_irq(unsigned int vector, struct pt_regs *regs)
{
	(void)vector;
	(void)regs;
	tdx_apic_eoi();
}

static bool rx_irq_on;

int tdx_getc(void)
{
	u64 rflags;
	int c;

	for (;;) {
		c = tdx_getc_nonblock();
		if (c >= 0)
			return c;
		if (tdx_cpu_id() != 0) { /* the interrupt goes to vCPU 0 only: poll */
			__asm__ volatile("pause");
			continue;
		}
		if (!rx_irq_on) {
			tdx_irq_register(TDXSIM_COM1_IRQ_VECTOR, console_rx_irq);
			outb(UART_MCR_LINE, UART_MCR);
			outb(UART_IER_RDI, UART_IER);
			rx_irq_on = true;
		}
		__asm__ volatile("pushfq; popq %0" : "=r"(rflags));
		tdx_local_irq_disable();
		/* Looked again with interrupts off: data now pending has raised the line. */
		c = tdx_getc_nonblock();
		if (c < 0)
			tdx_safe_halt();
		if (!(rflags & 0x200))
			tdx_local_irq_disable();
		if (c >= 0)
			return c;
	}
}
