// SPDX-License-Identifier: MIT
/*
 * The 16550 UART at 0x3F8: every register, line-buffered output, input, loopback, IRQ, and
 * input from a file descriptor (the reader thread `tdxsim run` feeds from stdin).
 */
#include <errno.h>
#include <stdatomic.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "vmm/devices.h"
#include "vmm_test.h"

#define COM1 TDXSIM_COM1_PORT

struct sink {
	char buf[1024];
	size_t len;
	int calls;
};

static void sink_fn(void *opaque, const char *buf, size_t len)
{
	struct sink *s = opaque;

	memcpy(s->buf + s->len, buf, len);
	s->len += len;
	s->buf[s->len] = '\0';
	s->calls++;
}

struct fixture {
	struct vmm_bus vb;
	struct uart16550 *u;
	struct sink out;
	int irq_changes;
	bool irq_level;
};

static void irq_fn(void *opaque, bool level)
{
	struct fixture *f = opaque;

	f->irq_changes++;
	f->irq_level = level;
}

static int setup(void **state)
{
	static struct fixture f;

	memset(&f, 0, sizeof(f));
	assert_int_equal(vmm_bus_init(&f.vb), 0);
	f.u = uart16550_create(&f.vb, COM1, sink_fn, &f.out);
	assert_non_null(f.u);
	uart16550_set_irq(f.u, irq_fn, &f);
	*state = &f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	uart16550_destroy(f->u);
	vmm_bus_destroy(&f->vb);
	return 0;
}

static void test_reset_values(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(pio_in(&f->vb, COM1 + UART_IER, 1), 0);
	assert_int_equal(pio_in(&f->vb, COM1 + UART_IIR, 1), UART_IIR_NO_INT);
	assert_int_equal(pio_in(&f->vb, COM1 + UART_LCR, 1), 0);
	assert_int_equal(pio_in(&f->vb, COM1 + UART_MCR, 1), 0);
	assert_int_equal(pio_in(&f->vb, COM1 + UART_LSR, 1), UART_LSR_THRE | UART_LSR_TEMT);
	assert_int_equal(pio_in(&f->vb, COM1 + UART_MSR, 1),
			 UART_MSR_DCD | UART_MSR_DSR | UART_MSR_CTS);
	assert_int_equal(pio_in(&f->vb, COM1 + UART_SCR, 1), 0);
	assert_int_equal(pio_in(&f->vb, COM1 + UART_RBR, 1), 0); /* empty queue */
	/* the conflict with another device at COM1 */
	assert_null(uart16550_create(&f->vb, COM1 + 4, NULL, NULL));
}

static void test_thr_line_buffered(void **state)
{
	struct fixture *f = *state;
	const char *msg = "hello\nworld";

	for (const char *p = msg; *p; p++)
		pio_out(&f->vb, COM1 + UART_THR, 1, (uint8_t)*p);
	assert_int_equal(f->out.calls, 1);
	assert_string_equal(f->out.buf, "hello\n");
	uart16550_flush(f->u);
	assert_int_equal(f->out.calls, 2);
	assert_string_equal(f->out.buf, "hello\nworld");
	uart16550_flush(f->u); /* nothing pending: no call */
	assert_int_equal(f->out.calls, 2);
	/* a line longer than the buffer is handed over in full-buffer pieces */
	for (int i = 0; i < UART16550_LINE_MAX + 1; i++)
		pio_out(&f->vb, COM1 + UART_THR, 1, 'x');
	assert_int_equal(f->out.calls, 3);
	assert_int_equal(f->out.len, 11 + UART16550_LINE_MAX);
	/* THRE and TEMT stay set throughout */
	assert_int_equal(pio_in(&f->vb, COM1 + UART_LSR, 1), 0x60);
}

static void test_dlab_divisor(void **state)
{
	struct fixture *f = *state;

	pio_out(&f->vb, COM1 + UART_IER, 1, 0x05);
	pio_out(&f->vb, COM1 + UART_LCR, 1, UART_LCR_DLAB | 0x03);
	assert_int_equal(pio_in(&f->vb, COM1 + UART_DLL, 1), 12); /* 9600 baud at reset */
	assert_int_equal(pio_in(&f->vb, COM1 + UART_DLM, 1), 0);
	pio_out(&f->vb, COM1 + UART_DLL, 1, 0x01); /* 115200 */
	pio_out(&f->vb, COM1 + UART_DLM, 1, 0x02);
	assert_int_equal(pio_in(&f->vb, COM1 + UART_DLL, 1), 0x01);
	assert_int_equal(pio_in(&f->vb, COM1 + UART_DLM, 1), 0x02);
	assert_int_equal(f->out.calls, 0); /* a DLL write is not output */
	pio_out(&f->vb, COM1 + UART_LCR, 1, 0x03);
	assert_int_equal(pio_in(&f->vb, COM1 + UART_LCR, 1), 0x03);
	assert_int_equal(pio_in(&f->vb, COM1 + UART_IER, 1), 0x05); /* IER was kept */
	pio_out(&f->vb, COM1 + UART_IER, 1, 0xFF);
	assert_int_equal(pio_in(&f->vb, COM1 + UART_IER, 1), 0x0F); /* four bits exist */
	/* a 16-bit access is two byte registers: DLL and DLM at once */
	pio_out(&f->vb, COM1 + UART_LCR, 1, UART_LCR_DLAB);
	pio_out(&f->vb, COM1 + UART_DLL, 2, 0x0304);
	assert_int_equal(pio_in(&f->vb, COM1 + UART_DLL, 2), 0x0304);
}

static void test_mcr_msr_scr(void **state)
{
	struct fixture *f = *state;

	pio_out(&f->vb, COM1 + UART_MCR, 1, 0xFF);
	assert_int_equal(pio_in(&f->vb, COM1 + UART_MCR, 1), 0x1F);
	/* loopback: DTR->DSR, RTS->CTS, OUT1->RI, OUT2->DCD */
	assert_int_equal(pio_in(&f->vb, COM1 + UART_MSR, 1), 0xF0);
	pio_out(&f->vb, COM1 + UART_MCR, 1, UART_MCR_LOOP | UART_MCR_DTR);
	assert_int_equal(pio_in(&f->vb, COM1 + UART_MSR, 1), UART_MSR_DSR);
	pio_out(&f->vb, COM1 + UART_MCR, 1, UART_MCR_LOOP | UART_MCR_RTS);
	assert_int_equal(pio_in(&f->vb, COM1 + UART_MSR, 1), UART_MSR_CTS);
	pio_out(&f->vb, COM1 + UART_MCR, 1, UART_MCR_LOOP | UART_MCR_OUT1);
	assert_int_equal(pio_in(&f->vb, COM1 + UART_MSR, 1), UART_MSR_RI);
	pio_out(&f->vb, COM1 + UART_MCR, 1, UART_MCR_LOOP | UART_MCR_OUT2);
	assert_int_equal(pio_in(&f->vb, COM1 + UART_MSR, 1), UART_MSR_DCD);
	/* loopback sends THR to RBR, not to the sink */
	pio_out(&f->vb, COM1 + UART_THR, 1, 'Q');
	assert_int_equal(f->out.calls, 0);
	assert_int_equal(pio_in(&f->vb, COM1 + UART_LSR, 1), 0x61);
	assert_int_equal(pio_in(&f->vb, COM1 + UART_RBR, 1), 'Q');
	assert_int_equal(pio_in(&f->vb, COM1 + UART_LSR, 1), 0x60);
	/* LSR and MSR ignore writes; SCR keeps anything */
	pio_out(&f->vb, COM1 + UART_MCR, 1, 0);
	pio_out(&f->vb, COM1 + UART_LSR, 1, 0);
	pio_out(&f->vb, COM1 + UART_MSR, 1, 0);
	assert_int_equal(pio_in(&f->vb, COM1 + UART_LSR, 1), 0x60);
	assert_int_equal(pio_in(&f->vb, COM1 + UART_MSR, 1), 0xB0);
	pio_out(&f->vb, COM1 + UART_SCR, 1, 0xA5);
	assert_int_equal(pio_in(&f->vb, COM1 + UART_SCR, 1), 0xA5);
}

static void test_input_and_fcr(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(uart16550_push_input(f->u, "ab", 2), 2);
	assert_int_equal(pio_in(&f->vb, COM1 + UART_LSR, 1), 0x61);
	assert_int_equal(pio_in(&f->vb, COM1 + UART_RBR, 1), 'a');
	assert_int_equal(pio_in(&f->vb, COM1 + UART_RBR, 1), 'b');
	assert_int_equal(pio_in(&f->vb, COM1 + UART_LSR, 1), 0x60);
	/* FIFO enable shows in IIR bits 7:6; clearing the receiver drops queued input */
	pio_out(&f->vb, COM1 + UART_FCR, 1, UART_FCR_ENABLE_FIFO);
	assert_int_equal(pio_in(&f->vb, COM1 + UART_IIR, 1), 0xC1);
	uart16550_push_input(f->u, "xyz", 3);
	pio_out(&f->vb, COM1 + UART_FCR, 1, UART_FCR_ENABLE_FIFO | UART_FCR_CLEAR_RCVR);
	assert_int_equal(pio_in(&f->vb, COM1 + UART_LSR, 1), 0x60);
	pio_out(&f->vb, COM1 + UART_FCR, 1, 0);
	assert_int_equal(pio_in(&f->vb, COM1 + UART_IIR, 1), UART_IIR_NO_INT);
	/* the queue has a bound */
	static char big[UART16550_RX_QUEUE + 10];
	assert_int_equal(uart16550_push_input(f->u, big, sizeof(big)), UART16550_RX_QUEUE);
}

static void test_iir_and_irq(void **state)
{
	struct fixture *f = *state;

	pio_out(&f->vb, COM1 + UART_MCR, 1, UART_MCR_OUT2);
	/* enabling THRE interrupts with THR empty raises one at once */
	pio_out(&f->vb, COM1 + UART_IER, 1, UART_IER_THRI);
	assert_true(f->irq_level);
	assert_int_equal(pio_in(&f->vb, COM1 + UART_IIR, 1), UART_IIR_THRI);
	/* reading IIR acknowledged it */
	assert_false(f->irq_level);
	assert_int_equal(pio_in(&f->vb, COM1 + UART_IIR, 1), UART_IIR_NO_INT);
	/* each byte sent empties THR again */
	pio_out(&f->vb, COM1 + UART_THR, 1, 'a');
	assert_true(f->irq_level);
	/* received data outranks THRE */
	pio_out(&f->vb, COM1 + UART_IER, 1, UART_IER_THRI | UART_IER_RDI);
	uart16550_push_input(f->u, "k", 1);
	assert_int_equal(pio_in(&f->vb, COM1 + UART_IIR, 1), UART_IIR_RDI);
	assert_int_equal(pio_in(&f->vb, COM1 + UART_RBR, 1), 'k');
	assert_int_equal(pio_in(&f->vb, COM1 + UART_IIR, 1), UART_IIR_THRI);
	assert_int_equal(pio_in(&f->vb, COM1 + UART_IIR, 1), UART_IIR_NO_INT);
	assert_false(f->irq_level);
	/* without OUT2 the line stays low */
	pio_out(&f->vb, COM1 + UART_MCR, 1, 0);
	uart16550_push_input(f->u, "k", 1);
	assert_false(f->irq_level);
	assert_int_equal(pio_in(&f->vb, COM1 + UART_IIR, 1), UART_IIR_RDI);
	assert_int_equal(f->irq_changes, 4);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static atomic_int ended_calls;

static void ended_fn(void *opaque)
{
	assert_ptr_equal(opaque, &ended_calls);
	atomic_fetch_add(&ended_calls, 1);
}

/*
 * More than the receive queue holds, from a pipe: every byte arrives in order (the reader
 * waits for room instead of dropping), then EOF ends the reader once, after which the
 * receiver is empty and stays so. Loops are bounded (30 s) so a broken reader fails.
 */
static void test_input_fd(void **state)
{
	struct fixture *f = *state;
	static uint8_t data[UART16550_RX_QUEUE + 2000], got[sizeof(data)];
	size_t n = 0;
	double limit = now_s() + 30;
	int p[2];

	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 7 + 3);
	assert_int_equal(pipe(p), 0);
	atomic_store(&ended_calls, 0);
	assert_int_equal(uart16550_attach_input(f->u, p[0], ended_fn, &ended_calls), 0);
	assert_int_equal(uart16550_attach_input(f->u, p[0], ended_fn, &ended_calls), -EBUSY);
	assert_int_equal(write(p[1], data, sizeof(data)), (ssize_t)sizeof(data));
	while (n < sizeof(data) && now_s() < limit) {
		if (pio_in(&f->vb, COM1 + UART_LSR, 1) & UART_LSR_DR)
			got[n++] = (uint8_t)pio_in(&f->vb, COM1 + UART_RBR, 1);
	}
	assert_int_equal(n, sizeof(data));
	assert_memory_equal(got, data, sizeof(data));
	assert_int_equal(atomic_load(&ended_calls), 0);
	close(p[1]);
	while (!atomic_load(&ended_calls) && now_s() < limit)
		usleep(1000);
	assert_int_equal(atomic_load(&ended_calls), 1);
	assert_int_equal(pio_in(&f->vb, COM1 + UART_LSR, 1), 0x60);
	assert_int_equal(pio_in(&f->vb, COM1 + UART_RBR, 1), 0);
	assert_false(uart16550_input_can_interrupt(f->u));
	uart16550_detach_input(f->u);
	assert_int_equal(atomic_load(&ended_calls), 1);
	close(p[0]);
}

/*
 * The receive interrupt from the reader's bytes (IER.RDI with OUT2), whether input can
 * still interrupt, and a detach while the reader is blocked with no data and no EOF: it
 * returns, without calling the end-of-input callback.
 */
static void test_input_fd_irq_detach(void **state)
{
	struct fixture *f = *state;
	double limit = now_s() + 30;
	int p[2];

	assert_int_equal(pipe(p), 0);
	atomic_store(&ended_calls, 0);
	assert_int_equal(uart16550_attach_input(f->u, p[0], ended_fn, &ended_calls), 0);
	assert_false(uart16550_input_can_interrupt(f->u)); /* the guest has not armed it */
	pio_out(&f->vb, COM1 + UART_MCR, 1, UART_MCR_OUT2);
	pio_out(&f->vb, COM1 + UART_IER, 1, UART_IER_RDI);
	assert_true(uart16550_input_can_interrupt(f->u));
	assert_false(f->irq_level);
	assert_int_equal(write(p[1], "z", 1), 1);
	while (!(pio_in(&f->vb, COM1 + UART_LSR, 1) & UART_LSR_DR) && now_s() < limit)
		usleep(1000);
	assert_true(f->irq_level);
	assert_int_equal(pio_in(&f->vb, COM1 + UART_IIR, 1), UART_IIR_RDI);
	assert_int_equal(pio_in(&f->vb, COM1 + UART_RBR, 1), 'z');
	assert_false(f->irq_level);
	uart16550_detach_input(f->u); /* the reader is in poll() */
	assert_false(uart16550_input_can_interrupt(f->u));
	assert_int_equal(atomic_load(&ended_calls), 0);
	/* detached: a later write is not read */
	assert_int_equal(write(p[1], "y", 1), 1);
	usleep(10000);
	assert_int_equal(pio_in(&f->vb, COM1 + UART_LSR, 1), 0x60);
	/* attached again, it reads on */
	assert_int_equal(uart16550_attach_input(f->u, p[0], ended_fn, &ended_calls), 0);
	while (!(pio_in(&f->vb, COM1 + UART_LSR, 1) & UART_LSR_DR) && now_s() < limit)
		usleep(1000);
	assert_int_equal(pio_in(&f->vb, COM1 + UART_RBR, 1), 'y');
	uart16550_detach_input(f->u);
	close(p[1]);
	close(p[0]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_reset_values, setup, teardown),
		cmocka_unit_test_setup_teardown(test_thr_line_buffered, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dlab_divisor, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mcr_msr_scr, setup, teardown),
		cmocka_unit_test_setup_teardown(test_input_and_fcr, setup, teardown),
		cmocka_unit_test_setup_teardown(test_iir_and_irq, setup, teardown),
		cmocka_unit_test_setup_teardown(test_input_fd, setup, teardown),
		cmocka_unit_test_setup_teardown(test_input_fd_irq_detach, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
