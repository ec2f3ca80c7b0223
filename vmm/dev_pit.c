// SPDX-License-Identifier: MIT
/*
 * vmm/dev_pit.c - an Intel 8254 programmable interval timer at ports 0x40-0x43 and the PC's
 * port 0x61 (system control port B) with channel 2's gate and output, as a VMM gives a TD
 * on KVM. docs/VMM.md "PIT" has the register map; the facts are the 8254 data sheet's
 * [8254]. Each channel counts from a monotonic clock at PIT_HZ, computed at each access
 * (no thread, no timer). No interrupt leaves the device: a hardware-reduced TD has neither
 * 8259 nor I/O APIC, so channel 0's output goes nowhere.
 */
#include <stdlib.h>
#include <time.h>

#include "vmm/devices.h"

struct pit_channel {
	uint8_t rw, mode;
	bool bcd;
	uint16_t cr;	   /* the count register: the count last written (0 = the maximum) */
	bool loaded;	   /* a count was written since the control word */
	bool triggered;	   /* counting: modes 1 and 5 wait for the gate's rising edge */
	bool null_count;   /* the count register holds a count not yet in the counter */
	bool gate;	   /* the gate input: high on 0 and 1, port 0x61 bit 0 on 2 */
	uint64_t start;	   /* tick at which the counter was loaded (or triggered) */
	uint64_t held;	   /* ticks counted before counting was suspended (gate low) */
	bool suspended;	   /* modes 0 and 4 with the gate low: the count holds */
	uint16_t frozen;   /* the counter while no count is loaded after a control word */
	bool write_msb;	   /* RW 3: the next write is the MSB */
	uint8_t write_lsb; /* RW 3: the LSB written first */
	bool read_msb;	   /* RW 3: the next read of the live counter gives the MSB */
	uint8_t latched;   /* bytes of the latched count still to be read (0 = none) */
	uint16_t latch;	   /* the latched count */
	bool status_latched;
	uint8_t status;
};

struct pit {
	struct vmm_bus *bus;
	pit_clock_t clock;
	void *clock_opaque;
	uint64_t t0;	/* the clock at creation: ticks count from there */
	uint8_t port61; /* bits 3:0 as written */
	struct pit_channel ch[3];
};

static uint64_t monotonic_ns(void *opaque)
{
	struct timespec ts;

	(void)opaque;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static uint64_t pit_ns(struct pit *p)
{
	return p->clock(p->clock_opaque) - p->t0;
}

static uint64_t pit_ticks(struct pit *p)
{
	return (uint64_t)((unsigned __int128)pit_ns(p) * PIT_HZ / 1000000000ULL);
}

/* The count register as a number of ticks: 0 is 2^16 in binary, 10^4 in BCD [8254]. */
static uint64_t ch_period(const struct pit_channel *c)
{
	unsigned int n = c->bcd ? bcd_to_bin(c->cr) : c->cr;

	return n ? n : (c->bcd ? 10000 : 0x10000);
}

/* Ticks the counter has counted since it was loaded or triggered. */
static uint64_t ch_elapsed(struct pit *p, const struct pit_channel *c)
{
	if (!c->loaded || !c->triggered)
		return 0;
	if (c->suspended)
		return c->held;
	return c->held + pit_ticks(p) - c->start;
}

/* The counter's value now, in the channel's format (binary or BCD). */
static uint16_t ch_count(struct pit *p, const struct pit_channel *c)
{
	uint64_t n = ch_period(c), d = ch_elapsed(p, c), wrap = c->bcd ? 10000 : 0x10000, v;

	if (!c->loaded)
		return c->frozen;
	switch (c->mode) {
	case 2: /* rate generator: N down to 1, reloaded */
		v = n - d % n;
		break;
	case 3: /* square wave: N down by 2, reloaded each half period */
		v = n - (2 * d) % n;
		break;
	default: /* 0, 1, 4, 5: down from N, wrapping past 0 */
		v = (n + wrap - d % wrap) % wrap;
		break;
	}
	v %= wrap;
	return c->bcd ? bin_to_bcd((unsigned int)v) : (uint16_t)v;
}

/* The OUT pin [8254, the modes' waveforms]. */
static bool ch_out(struct pit *p, const struct pit_channel *c)
{
	uint64_t n = ch_period(c), d = ch_elapsed(p, c);

	if (!c->loaded)
		return c->mode != 0; /* a control word sets OUT low in mode 0, high in the others */
	switch (c->mode) {
	case 0: /* interrupt on terminal count: low until the count reaches 0 */
		return d >= n;
	case 1: /* one-shot: low from the trigger until the count reaches 0 */
		return !c->triggered || d >= n;
	case 2: /* rate generator: low for the tick at count 1 */
		return !c->gate || d % n != n - 1;
	case 3: /* square wave: high for the first half of each period (N odd: (N + 1) / 2) */
		return !c->gate || d % n < (n + 1) / 2;
	default: /* 4, 5: strobes, low for the tick at count 0 */
		return !c->triggered || d != n;
	}
}

static void ch_load(struct pit *p, struct pit_channel *c, uint16_t count)
{
	c->cr = count;
	c->loaded = true;
	c->null_count = false;
	c->held = 0;
	c->suspended = false;
	c->start = pit_ticks(p);
	/* Modes 1 and 5 count from the gate's rising edge; the others from the load. */
	c->triggered = !(c->mode == 1 || c->mode == 5);
	/* A low gate holds 0 and 4 until it rises, and 2 and 3 until its rising edge */
	if (c->triggered && !c->gate)
		c->suspended = true;
}

/* Gate input changes: modes 0 and 4 suspend and resume; a rising edge restarts 1, 2, 3, 5. */
static void ch_set_gate(struct pit *p, struct pit_channel *c, bool gate)
{
	bool rising = gate && !c->gate;

	if (gate == c->gate)
		return;
	if (c->loaded && (c->mode == 0 || c->mode == 4)) {
		if (!gate) {
			c->held = ch_elapsed(p, c);
			c->suspended = true;
		} else {
			c->start = pit_ticks(p);
			c->suspended = false;
		}
	} else if (c->loaded && (c->mode == 2 || c->mode == 3) && !gate) {
		/* 2 and 3 stop counting while the gate is low (OUT high); 1 and 5 go on */
		c->held = ch_elapsed(p, c);
		c->suspended = true;
	}
	c->gate = gate;
	if (rising && c->loaded && c->mode != 0 && c->mode != 4) {
		c->held = 0;
		c->suspended = false;
		c->start = pit_ticks(p);
		c->triggered = true;
	}
}

static void ch_latch_count(struct pit *p, struct pit_channel *c)
{
	if (c->latched)
		return; /* a second latch before the first is read is ignored */
	c->latch = ch_count(p, c);
	c->latched = c->rw == 3 ? 2 : 1;
}

static void ch_latch_status(struct pit *p, struct pit_channel *c)
{
	if (c->status_latched)
		return;
	c->status = (uint8_t)((ch_out(p, c) ? PIT_STATUS_OUT : 0) |
			      (c->null_count ? PIT_STATUS_NULL_COUNT : 0) | c->rw << 4 |
			      c->mode << 1 | (c->bcd ? 1 : 0));
	c->status_latched = true;
}

static void control_word(struct pit *p, uint8_t v)
{
	unsigned int sc = v >> 6, rw = (v >> 4) & 3, mode = (v >> 1) & 7;
	struct pit_channel *c;

	if (sc == 3) { /* read-back: bits 3:1 select 2..0; COUNT (5) and STATUS (4) active low */
		for (unsigned int i = 0; i < 3; i++) {
			if (!(v & (2U << i)))
				continue;
			if (!(v & PIT_READBACK_NO_STATUS))
				ch_latch_status(p, &p->ch[i]);
			if (!(v & PIT_READBACK_NO_COUNT))
				ch_latch_count(p, &p->ch[i]);
		}
		return;
	}
	c = &p->ch[sc];
	if (rw == 0) { /* counter latch command */
		ch_latch_count(p, c);
		return;
	}
	c->frozen = ch_count(p, c);
	c->rw = (uint8_t)rw;
	c->mode = (uint8_t)(mode > 5 ? mode - 4 : mode); /* 6 and 7 are 2 and 3 */
	c->bcd = v & 1;
	c->loaded = false;
	c->triggered = false;
	c->null_count = true;
	c->write_msb = false;
	c->read_msb = false;
	c->latched = 0;
	c->status_latched = false;
}

static uint8_t ch_read(struct pit *p, struct pit_channel *c)
{
	uint16_t v;
	bool msb;

	if (c->status_latched) {
		c->status_latched = false;
		return c->status;
	}
	if (c->latched) {
		msb = c->rw == 2 || (c->rw == 3 && c->latched == 1);
		c->latched--;
		return (uint8_t)(msb ? c->latch >> 8 : c->latch);
	}
	v = ch_count(p, c);
	msb = c->rw == 2 || (c->rw == 3 && c->read_msb);
	if (c->rw == 3)
		c->read_msb = !c->read_msb;
	return (uint8_t)(msb ? v >> 8 : v);
}

static void ch_write(struct pit *p, struct pit_channel *c, uint8_t v)
{
	switch (c->rw) {
	case 1:
		ch_load(p, c, v);
		break;
	case 2:
		ch_load(p, c, (uint16_t)(v << 8));
		break;
	case 3:
		if (!c->write_msb) {
			c->write_lsb = v;
			c->write_msb = true;
			c->null_count = true;
			return;
		}
		c->write_msb = false;
		ch_load(p, c, (uint16_t)(c->write_lsb | v << 8));
		break;
	default: /* no control word yet: the count is not taken */
		break;
	}
}

static uint8_t port61_read(struct pit *p)
{
	/* The refresh request toggle flips every 15.085 us on a PC [IBM AT]; bits 7:6 are 0. */
	bool refresh = (pit_ns(p) / 15085) & 1;

	return (uint8_t)(p->port61 | (refresh ? PIT_61_REFRESH : 0) |
			 (ch_out(p, &p->ch[2]) ? PIT_61_OUT2 : 0));
}

static void pit_io(void *opaque, uint64_t off, void *data, unsigned size, bool write)
{
	struct pit *p = opaque;
	uint8_t *b = data;

	for (unsigned int i = 0; i < size; i++) {
		unsigned int port = (unsigned int)off + i;

		if (port == 3) {
			if (write)
				control_word(p, b[i]);
			else
				b[i] = 0xFF; /* the control word register cannot be read [8254] */
		} else if (write) {
			ch_write(p, &p->ch[port], b[i]);
		} else {
			b[i] = ch_read(p, &p->ch[port]);
		}
	}
}

static void port61_io(void *opaque, uint64_t off, void *data, unsigned size, bool write)
{
	struct pit *p = opaque;
	uint8_t *b = data;

	(void)off; /* one port */
	(void)size;
	if (!write) {
		b[0] = port61_read(p);
		return;
	}
	p->port61 = b[0] & PIT_61_WRITABLE;
	ch_set_gate(p, &p->ch[2], b[0] & PIT_61_GATE2);
}

struct pit *pit_create(struct vmm_bus *bus, pit_clock_t clock, void *opaque)
{
	struct pit *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	p->bus = bus;
	p->clock = clock ? clock : monotonic_ns;
	p->clock_opaque = opaque;
	p->t0 = p->clock(p->clock_opaque);
	p->ch[0].gate = p->ch[1].gate = true; /* tied high on a PC; 2's is port 0x61 bit 0 */
	if (vmm_bus_register_pio(bus, PIT_PORT_COUNTER0, 4, pit_io, p, "i8254"))
		goto err;
	if (vmm_bus_register_pio(bus, PIT_PORT_61, 1, port61_io, p, "port-61")) {
		bus_unregister(&bus->pio, PIT_PORT_COUNTER0);
		goto err;
	}
	return p;
err:
	free(p);
	return NULL;
}

void pit_destroy(struct pit *p)
{
	if (!p)
		return;
	bus_unregister(&p->bus->pio, PIT_PORT_61);
	bus_unregister(&p->bus->pio, PIT_PORT_COUNTER0);
	free(p);
}
