// SPDX-License-Identifier: MIT
/*
 * vmm/dev_poweroff.c - the two ways a guest built with the SDK stops the TD
 * (docs/GUEST.md, "Exit status"):
 *
 *  - port 0xF4: a write of the exit status (the value itself, not QEMU isa-debug-exit's
 *    (value << 1) | 1);
 *  - port 0x604, ACPI PM1a control: SLP_EN (bit 13) with SLP_TYP (bits 12:10) 0, QEMU's
 *    power-off encoding; the status is the last one written to 0xF4, else 0.
 *
 * Both call the embedder's callback with the status; the run loop stops the TD there.
 */
#include <stdlib.h>

#include "vmm/devices.h"

struct poweroff_dev {
	struct vmm_bus *bus;
	poweroff_cb_t cb;
	void *opaque;
	uint32_t status;
	uint16_t pm1_cnt;
};

static void exit_port_io(void *opaque, uint64_t off, void *data, unsigned size, bool write)
{
	struct poweroff_dev *p = opaque;

	if (!write) {
		bus_data_set(data, size, UINT64_MAX); /* nothing to read */
		return;
	}
	/* Only a write that starts at 0xF4 is a status; the SDK writes 32 bits. */
	if (off != 0)
		return;
	p->status = (uint32_t)bus_data_get(data, size);
	p->cb(p->opaque, (int)p->status);
}

static void pm1_cnt_io(void *opaque, uint64_t off, void *data, unsigned size, bool write)
{
	struct poweroff_dev *p = opaque;
	uint8_t *b = data;
	uint16_t v = p->pm1_cnt;

	for (unsigned i = 0; i < size; i++) {
		unsigned shift = 8 * ((unsigned)off + i);

		if (write)
			v = (uint16_t)((v & ~(0xFFU << shift)) | ((unsigned)b[i] << shift));
		else
			b[i] = (uint8_t)(p->pm1_cnt >> shift);
	}
	if (!write)
		return;
	/* SLP_EN is write-only: it triggers the sleep and reads back as 0 [ACPI 6.5, 4.8.3.2.1]. */
	p->pm1_cnt = v & (uint16_t)~TDXSIM_PM1A_SLP_EN;
	if ((v & TDXSIM_PM1A_SLP_EN) && !(v & TDXSIM_PM1A_SLP_TYP_MASK))
		p->cb(p->opaque, (int)p->status);
}

struct poweroff_dev *poweroff_create(struct vmm_bus *bus, poweroff_cb_t cb, void *opaque)
{
	struct poweroff_dev *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	p->bus = bus;
	p->cb = cb;
	p->opaque = opaque;
	if (vmm_bus_register_pio(bus, TDXSIM_EXIT_PORT, 4, exit_port_io, p, "exit-status"))
		goto err;
	if (vmm_bus_register_pio(bus, TDXSIM_PM1A_CNT_PORT, 2, pm1_cnt_io, p, "pm1a-cnt")) {
		bus_unregister(&bus->pio, TDXSIM_EXIT_PORT);
		goto err;
	}
	return p;
err:
	free(p);
	return NULL;
}

void poweroff_destroy(struct poweroff_dev *p)
{
	if (!p)
		return;
	bus_unregister(&p->bus->pio, TDXSIM_PM1A_CNT_PORT);
	bus_unregister(&p->bus->pio, TDXSIM_EXIT_PORT);
	free(p);
}
