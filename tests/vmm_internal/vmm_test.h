/* SPDX-License-Identifier: MIT */
/* Port and MMIO accessors for the VMM tests, as a guest's IN/OUT/MOV would arrive. */
#ifndef TESTS_VMM_TEST_H
#define TESTS_VMM_TEST_H

#include "vmm/bus.h"

static inline uint64_t pio_in(struct vmm_bus *vb, uint16_t port, unsigned size)
{
	uint8_t d[8] = {0};

	vmm_bus_pio(vb, port, d, size, false);
	return bus_data_get(d, size);
}

static inline void pio_out(struct vmm_bus *vb, uint16_t port, unsigned size, uint64_t v)
{
	uint8_t d[8];

	bus_data_set(d, size, v);
	vmm_bus_pio(vb, port, d, size, true);
}

static inline uint64_t mmio_rd(struct vmm_bus *vb, uint64_t gpa, unsigned size)
{
	uint8_t d[8] = {0};

	vmm_bus_mmio(vb, gpa, d, size, false);
	return bus_data_get(d, size);
}

static inline void mmio_wr(struct vmm_bus *vb, uint64_t gpa, unsigned size, uint64_t v)
{
	uint8_t d[8];

	bus_data_set(d, size, v);
	vmm_bus_mmio(vb, gpa, d, size, true);
}

#endif /* TESTS_VMM_TEST_H */
