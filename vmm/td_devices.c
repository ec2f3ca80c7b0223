// SPDX-License-Identifier: MIT
/*
 * The devices of a TD (vmm/devices.h has the models): COM1 with its interrupt line to vCPU 0
 * and stdin, the PCI bus with the test device, the power-off ports, the PIT, the MSR filter
 * and the quote signer, and the TDVMCALL handler's view of them.
 */
#include <errno.h>
#include <stdio.h>
#include <unistd.h>

#include "vmm_internal.h"

static void poweroff_cb(void *opaque, int status)
{
	struct vmm_td *td = opaque;
	char msg[64];

	snprintf(msg, sizeof(msg), "the guest powered off with status %d", status);
	vmm_td_stop(td, VMM_STOP_POWEROFF, status, msg);
}

static void serial_stdout(void *opaque, const char *buf, size_t len)
{
	(void)opaque;
	fwrite(buf, 1, len, stdout);
	fflush(stdout);
}

/*
 * COM1's interrupt line: a rising edge posts TDXSIM_COM1_IRQ_VECTOR to vCPU 0 (there is no
 * interrupt controller: the vector of legacy IRQ 4 as a PC's PIC maps it). The line is
 * level-triggered: it stays up while received data waits, so a handler reads until LSR.DR
 * is clear, as Linux's serial8250 does.
 */
static void uart_irq(void *opaque, bool level)
{
	if (level)
		vmm_td_post_interrupt(opaque, 0, TDXSIM_COM1_IRQ_VECTOR);
}

int vmm_devices_create(struct vmm_td *td)
{
	if (vmm_bus_init(&td->bus))
		return -ENOMEM;
	td->uart = uart16550_create(&td->bus, TDXSIM_COM1_PORT,
				    td->cfg.serial ? td->cfg.serial : serial_stdout,
				    td->cfg.serial_opaque);
	td->pci = pci_bus_create(&td->bus);
	td->testdev = td->pci ? pci_testdev_create(&td->bus, td->pci) : NULL;
	td->poweroff = poweroff_create(&td->bus, poweroff_cb, td);
	td->pit = pit_create(&td->bus, NULL, NULL);
	td->cmos = cmos_create(&td->bus, td->cfg.memory_size);
	msr_filter_init(&td->msr_filter, MSR_FILTER_ALLOW);
	td->quoter = quote_signer_new();
	if (!td->uart || !td->pci || !td->testdev || !td->poweroff || !td->pit || !td->cmos)
		return -ENOMEM;
	uart16550_set_irq(td->uart, uart_irq, td);
	/*
	 * Not a terminal this process does not own: reading one from a background process
	 * group would stop the whole process (SIGTTIN) in the middle of the run.
	 */
	if (td->cfg.serial_stdin &&
	    (!isatty(STDIN_FILENO) || tcgetpgrp(STDIN_FILENO) == getpgrp())) {
		int ret = uart16550_attach_input(td->uart, STDIN_FILENO,
						 vmm_apic_serial_input_ended, td);
		if (ret)
			return ret;
	}
	td->tvtd = (struct tdvmcall_td){
		.gpaw = td->gpaw,
		.bus = &td->bus,
		.msr_filter = &td->msr_filter,
		.quoter = td->quoter,
	};
	return 0;
}

void vmm_devices_destroy(struct vmm_td *td)
{
	if (td->uart)
		uart16550_destroy(td->uart);
	if (td->poweroff)
		poweroff_destroy(td->poweroff);
	pit_destroy(td->pit);
	cmos_destroy(td->cmos);
	if (td->testdev)
		pci_testdev_destroy(td->testdev);
	if (td->pci)
		pci_bus_destroy(td->pci);
	quote_signer_free(td->quoter);
	vmm_bus_destroy(&td->bus);
}
