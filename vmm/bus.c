// SPDX-License-Identifier: MIT
/*
 * vmm/bus.c - port-I/O and MMIO address spaces: a sorted array of ranges, binary search on
 * each access. Devices are few (tens), registration is rare and accesses are many, so an
 * array beats a tree here.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/bus.h"

#define PIO_LIMIT 0x10000ULL /* 64 Ki ports */

int bus_init(struct bus *bus, const char *name, uint64_t limit)
{
	pthread_mutexattr_t attr;
	int ret;

	memset(bus, 0, sizeof(*bus));
	bus->name = name;
	bus->limit = limit;
	pthread_mutexattr_init(&attr);
	/* A handler may (un)register ranges: a BAR write moving its own MMIO window. */
	pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_RECURSIVE);
	ret = pthread_mutex_init(&bus->lock, &attr);
	pthread_mutexattr_destroy(&attr);
	return -ret;
}

void bus_destroy(struct bus *bus)
{
	free(bus->ranges);
	bus->ranges = NULL;
	bus->nr = bus->cap = 0;
	pthread_mutex_destroy(&bus->lock);
}

/* Index of the first range whose end is above @addr (the only candidate to contain it). */
static size_t bus_search(const struct bus *bus, uint64_t addr)
{
	size_t lo = 0, hi = bus->nr;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct bus_range *r = &bus->ranges[mid];

		if (r->base + (r->len - 1) < addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static bool bus_range_valid(const struct bus *bus, uint64_t base, uint64_t len)
{
	uint64_t last = base + (len - 1);

	if (len == 0 || last < base)
		return false;
	return bus->limit == 0 || last < bus->limit;
}

static int bus_grow(struct bus *bus)
{
	size_t cap = bus->cap ? bus->cap * 2 : 16;
	struct bus_range *r = realloc(bus->ranges, cap * sizeof(*r));

	if (!r)
		return -ENOMEM;
	bus->ranges = r;
	bus->cap = cap;
	return 0;
}

int bus_register(struct bus *bus, uint64_t base, uint64_t len, bus_handler_t handler, void *opaque,
		 const char *name)
{
	struct bus_range *r;
	size_t i;
	int ret = 0;

	if (!handler || !bus_range_valid(bus, base, len))
		return -EINVAL;

	pthread_mutex_lock(&bus->lock);
	i = bus_search(bus, base);
	/* The next range ends at or above base: it overlaps unless it starts past our end. */
	if (i < bus->nr && bus->ranges[i].base <= base + (len - 1)) {
		ret = -EEXIST;
		goto out;
	}
	if (bus->nr == bus->cap) {
		ret = bus_grow(bus);
		if (ret)
			goto out;
	}
	memmove(&bus->ranges[i + 1], &bus->ranges[i], (bus->nr - i) * sizeof(*r));
	r = &bus->ranges[i];
	r->base = base;
	r->len = len;
	r->handler = handler;
	r->opaque = opaque;
	r->name = name;
	bus->nr++;
out:
	pthread_mutex_unlock(&bus->lock);
	return ret;
}

int bus_unregister(struct bus *bus, uint64_t base)
{
	size_t i;
	int ret = -ENOENT;

	pthread_mutex_lock(&bus->lock);
	i = bus_search(bus, base);
	if (i < bus->nr && bus->ranges[i].base == base) {
		memmove(&bus->ranges[i], &bus->ranges[i + 1],
			(bus->nr - i - 1) * sizeof(bus->ranges[0]));
		bus->nr--;
		ret = 0;
	}
	pthread_mutex_unlock(&bus->lock);
	return ret;
}

static const struct bus_range *bus_find_locked(const struct bus *bus, uint64_t addr)
{
	size_t i = bus_search(bus, addr);

	if (i < bus->nr && bus->ranges[i].base <= addr)
		return &bus->ranges[i];
	return NULL;
}

const struct bus_range *bus_find(struct bus *bus, uint64_t addr)
{
	const struct bus_range *r;

	pthread_mutex_lock(&bus->lock);
	r = bus_find_locked(bus, addr);
	pthread_mutex_unlock(&bus->lock);
	return r;
}

bool bus_access(struct bus *bus, uint64_t addr, void *data, unsigned size, bool write)
{
	const struct bus_range *r;
	bus_handler_t handler;
	void *opaque;
	uint64_t off;
	bool claimed = false;

	pthread_mutex_lock(&bus->lock);
	r = bus_find_locked(bus, addr);
	/* The access's last byte must be in the same range (no split accesses). */
	if (r && size && addr + (size - 1) >= addr && addr + (size - 1) <= r->base + (r->len - 1)) {
		handler = r->handler;
		opaque = r->opaque;
		off = addr - r->base;
		/* r may move if the handler (un)registers: use the copies. */
		handler(opaque, off, data, size, write);
		claimed = true;
	} else {
		/* Nobody drives the bus: reads float high, as on a PC; writes vanish. */
		if (!write)
			memset(data, 0xFF, size);
		bus->unclaimed++;
	}
	pthread_mutex_unlock(&bus->lock);
	return claimed;
}

int vmm_bus_init(struct vmm_bus *vb)
{
	int ret = bus_init(&vb->pio, "pio", PIO_LIMIT);

	if (ret)
		return ret;
	ret = bus_init(&vb->mmio, "mmio", 0);
	if (ret)
		bus_destroy(&vb->pio);
	return ret;
}

void vmm_bus_destroy(struct vmm_bus *vb)
{
	bus_destroy(&vb->mmio);
	bus_destroy(&vb->pio);
}

int vmm_bus_register_pio(struct vmm_bus *vb, uint16_t port, uint32_t len, bus_handler_t handler,
			 void *opaque, const char *name)
{
	return bus_register(&vb->pio, port, len, handler, opaque, name);
}

int vmm_bus_register_mmio(struct vmm_bus *vb, uint64_t gpa, uint64_t len, bus_handler_t handler,
			  void *opaque, const char *name)
{
	return bus_register(&vb->mmio, gpa, len, handler, opaque, name);
}

bool vmm_bus_pio(struct vmm_bus *vb, uint16_t port, void *data, unsigned size, bool write)
{
	return bus_access(&vb->pio, port, data, size, write);
}

bool vmm_bus_mmio(struct vmm_bus *vb, uint64_t gpa, void *data, unsigned size, bool write)
{
	return bus_access(&vb->mmio, gpa, data, size, write);
}

uint64_t bus_data_get(const void *data, unsigned size)
{
	const uint8_t *p = data;
	uint64_t v = 0;

	for (unsigned i = 0; i < size && i < 8; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

void bus_data_set(void *data, unsigned size, uint64_t value)
{
	uint8_t *p = data;

	for (unsigned i = 0; i < size && i < 8; i++)
		p[i] = (uint8_t)(value >> (8 * i));
}
