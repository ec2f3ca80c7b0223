/* SPDX-License-Identifier: MIT */
/*
 * vmm/bus.h - the VMM's device bus: port-I/O and MMIO ranges with handlers, in the manner
 * of kvmtool's ioport/mmio trees.
 *
 * An address space (struct bus) holds non-overlapping ranges [base, base + len), each with
 * a handler. A vmm_bus has two: port I/O (0..0xFFFF) and MMIO (GPAs of shared memory given
 * without the TD's shared bit). An access that no range claims behaves as on a PC: reads
 * return all-ones, writes are dropped.
 *
 * Accesses are serialised per address space by one lock (as QEMU's big lock does for
 * device models), so device code needs no locking of its own. A handler may register or
 * unregister ranges of the other address space (a PCI BAR write moving an MMIO range), and
 * of its own too: the lock is recursive.
 */
#ifndef VMM_BUS_H
#define VMM_BUS_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * A device's handler. @addr_offset is relative to the base the range was registered at;
 * @data holds @size bytes (1, 2, 4 or 8), little-endian, filled by the handler on a read
 * and by the caller on a write.
 */
typedef void (*bus_handler_t)(void *opaque, uint64_t addr_offset, void *data, unsigned size,
			      bool write);

struct bus_range {
	uint64_t base;
	uint64_t len;
	bus_handler_t handler;
	void *opaque;
	const char *name;
};

struct bus {
	const char *name;
	pthread_mutex_t lock;
	struct bus_range *ranges; /* sorted by base, never overlapping */
	size_t nr, cap;
	uint64_t limit;	    /* highest valid address + 1 (0 = the whole 64-bit space) */
	uint64_t unclaimed; /* accesses nobody claimed, for tests and diagnostics */
};

struct vmm_bus {
	struct bus pio;
	struct bus mmio;
};

int bus_init(struct bus *bus, const char *name, uint64_t limit);
void bus_destroy(struct bus *bus);

/*
 * Claim [base, base + len). -EINVAL for len 0, a range that wraps or passes the address
 * space's limit, or a NULL handler; -EEXIST if any byte is claimed already; -ENOMEM.
 */
int bus_register(struct bus *bus, uint64_t base, uint64_t len, bus_handler_t handler, void *opaque,
		 const char *name);
/* Release the range that starts exactly at @base; -ENOENT if there is none. */
int bus_unregister(struct bus *bus, uint64_t base);
/* The range containing @addr, or NULL. The pointer is valid until the next (un)register. */
const struct bus_range *bus_find(struct bus *bus, uint64_t addr);

/*
 * Perform one access of @size bytes at @addr. Returns true if a device claimed it. The
 * whole access must lie in one range to be claimed; otherwise (or with no range) a read
 * fills @data with 0xFF and a write is dropped.
 */
bool bus_access(struct bus *bus, uint64_t addr, void *data, unsigned size, bool write);

/* The public face for embedders: both address spaces, and the two registrations. */
int vmm_bus_init(struct vmm_bus *vb);
void vmm_bus_destroy(struct vmm_bus *vb);
int vmm_bus_register_pio(struct vmm_bus *vb, uint16_t port, uint32_t len, bus_handler_t handler,
			 void *opaque, const char *name);
int vmm_bus_register_mmio(struct vmm_bus *vb, uint64_t gpa, uint64_t len, bus_handler_t handler,
			  void *opaque, const char *name);
bool vmm_bus_pio(struct vmm_bus *vb, uint16_t port, void *data, unsigned size, bool write);
bool vmm_bus_mmio(struct vmm_bus *vb, uint64_t gpa, void *data, unsigned size, bool write);

/* Little-endian helpers for handlers: @data as an integer of @size bytes. */
uint64_t bus_data_get(const void *data, unsigned size);
void bus_data_set(void *data, unsigned size, uint64_t value);

#endif /* VMM_BUS_H */
