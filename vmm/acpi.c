// SPDX-License-Identifier: MIT
/*
 * The ACPI tables of a TD Linux boot (vmm/acpi.h, docs/LINUX-BOOT.md "ACPI"). Layouts from
 * the ACPI specification 6.5: the RSDP (5.2.5.3), the common header (5.2.6), XSDT (5.2.8),
 * FADT (5.2.9), MADT (5.2.12) with the processor local x2APIC (5.2.12.12) and multiprocessor
 * wake-up (5.2.12.19) structures, the generic address structure (5.2.3.2) and AML (ch. 20).
 */
#include <errno.h>
#include <string.h>

#include "vmm/acpi.h"

static void put8(uint8_t *p, size_t off, uint8_t v)
{
	p[off] = v;
}

static void put16(uint8_t *p, size_t off, uint16_t v)
{
	memcpy(p + off, &v, 2);
}

static void put32(uint8_t *p, size_t off, uint32_t v)
{
	memcpy(p + off, &v, 4);
}

static void put64(uint8_t *p, size_t off, uint64_t v)
{
	memcpy(p + off, &v, 8);
}

uint8_t acpi_sum(const uint8_t *p, size_t n)
{
	uint8_t s = 0;

	while (n--)
		s = (uint8_t)(s + *p++);
	return s;
}

/* The 36-byte header of every table but the RSDP; the checksum is set by finish(). */
static void header(uint8_t *t, const char *sig, uint32_t len, uint8_t rev)
{
	memcpy(t, sig, 4);
	put32(t, 4, len);
	put8(t, 8, rev);
	memcpy(t + 10, ACPI_OEM_ID, 6);
	memcpy(t + 16, ACPI_OEM_TABLE_ID, 8);
	put32(t, 24, 1); /* OEM revision */
	memcpy(t + 28, ACPI_CREATOR_ID, 4);
	put32(t, 32, 1); /* creator revision */
}

static void finish(uint8_t *t)
{
	uint32_t len;

	memcpy(&len, t + 4, 4);
	t[9] = 0;
	t[9] = (uint8_t)-acpi_sum(t, len);
}

/* A generic address structure: system I/O, 8 bits wide, byte access. */
static void gas_io8(uint8_t *p, size_t off, uint16_t port)
{
	put8(p, off, 1);     /* address space: system I/O */
	put8(p, off + 1, 8); /* register bit width */
	put8(p, off + 2, 0); /* bit offset */
	put8(p, off + 3, 1); /* access size: byte */
	put64(p, off + 4, port);
}

/*
 * The DSDT's AML, hand-assembled:
 *   Name (_S5, Package (4) { 0, 0, 0, 0 })      S5's SLP_TYP is 0 (the power-off)
 *   Scope (\_SB) {
 *     Device (COM1) {
 *       Name (_HID, EisaId ("PNP0501"))          a 16550-compatible UART
 *       Name (_UID, One)
 *       Name (_CRS, ResourceTemplate () { IO (Decode16, 0x3F8, 0x3F8, 1, 8) })
 *     }
 *   }
 * COM1 has no interrupt in _CRS: a hardware-reduced TD has no legacy PIC or I/O APIC to
 * route IRQ 4, so Linux's 8250 driver polls the port (docs/LINUX-BOOT.md "The console").
 */
static const uint8_t dsdt_aml[] = {
	/* Name (_S5, Package (4) { Zero, Zero, Zero, Zero }) */
	0x08, '_', 'S', '5', '_', 0x12, 0x06, 0x04, 0x00, 0x00, 0x00, 0x00,
	/* Scope (\_SB): PkgLength 0x30 (48 bytes from here) */
	0x10, 0x30, '\\', '_', 'S', 'B', '_',
	/* Device (COM1): ExtOpPrefix, DeviceOp, PkgLength 0x28 */
	0x5B, 0x82, 0x28, 'C', 'O', 'M', '1',
	/* Name (_HID, EisaId ("PNP0501")): DWordConst 0x0105D041 */
	0x08, '_', 'H', 'I', 'D', 0x0C, 0x41, 0xD0, 0x05, 0x01,
	/* Name (_UID, One) */
	0x08, '_', 'U', 'I', 'D', 0x01,
	/* Name (_CRS, Buffer (10) { IO descriptor, end tag }) */
	0x08, '_', 'C', 'R', 'S', 0x11, 0x0D, 0x0A, 0x0A, 0x47, 0x01, 0xF8, 0x03, 0xF8, 0x03, 0x01,
	0x08,	    /* IO: decode16, 0x3F8-0x3F8, align 1, 8 */
	0x79, 0x00, /* end tag, checksum 0 (none) */
};

#define ALIGN16(x) (((x) + 15) & ~(size_t)15)

int acpi_build(uint8_t *buf, size_t cap, uint64_t base, unsigned int nr_vcpus, uint64_t mailbox_gpa,
	       struct acpi_layout *out)
{
	size_t rsdp = 0, xsdt, fadt, madt, dsdt, end;
	size_t xsdt_len = ACPI_HDR_LEN + 2 * 8;
	size_t madt_len = ACPI_HDR_LEN + 8 + (size_t)nr_vcpus * 16 + 16;
	size_t dsdt_len = ACPI_HDR_LEN + sizeof(dsdt_aml);
	uint8_t *t;

	if (!nr_vcpus || base % 16 || nr_vcpus > 0xFFFFFF)
		return -EINVAL;
	xsdt = ALIGN16(rsdp + ACPI_RSDP_LEN);
	fadt = ALIGN16(xsdt + xsdt_len);
	madt = ALIGN16(fadt + ACPI_FADT_LEN);
	dsdt = ALIGN16(madt + madt_len);
	end = dsdt + dsdt_len;
	if (end > cap)
		return -ENOSPC;
	memset(buf, 0, cap);

	/* RSDP, revision 2: the first 20 bytes have their checksum, all 36 the extended one. */
	t = buf + rsdp;
	memcpy(t, "RSD PTR ", 8);
	memcpy(t + 9, ACPI_OEM_ID, 6);
	put8(t, 15, ACPI_RSDP_REVISION);
	put32(t, 16, 0); /* RsdtAddress: none, the XSDT is the table */
	put32(t, 20, ACPI_RSDP_LEN);
	put64(t, 24, base + xsdt);
	t[8] = (uint8_t)-acpi_sum(t, 20);
	t[32] = (uint8_t)-acpi_sum(t, ACPI_RSDP_LEN);

	/* XSDT: the FADT and the MADT (the DSDT is reached through the FADT). */
	t = buf + xsdt;
	header(t, "XSDT", (uint32_t)xsdt_len, ACPI_XSDT_REVISION);
	put64(t, ACPI_HDR_LEN, base + fadt);
	put64(t, ACPI_HDR_LEN + 8, base + madt);
	finish(t);

	/* FADT: hardware-reduced; only the DSDT and the sleep registers are filled in. */
	t = buf + fadt;
	header(t, "FACP", ACPI_FADT_LEN, ACPI_FADT_REVISION);
	put32(t, 40, (uint32_t)(base + dsdt)); /* DSDT */
	put16(t, 109, ACPI_FADT_BOOT_ARCH);    /* IAPC_BOOT_ARCH */
	put32(t, 112, ACPI_FADT_HW_REDUCED);   /* Flags */
	put8(t, 131, ACPI_FADT_MINOR);	       /* FADT minor version */
	put64(t, 140, base + dsdt);	       /* X_DSDT */
	gas_io8(t, 244, ACPI_SLEEP_CONTROL_PORT);
	gas_io8(t, 256, ACPI_SLEEP_STATUS_PORT);
	memcpy(t + 268, "TDXSIM\0\0", 8); /* hypervisor vendor identity */
	finish(t);

	/* MADT: no PC-AT 8259s (flags 0), an x2APIC structure per vCPU, the wake-up mailbox. */
	t = buf + madt;
	header(t, "APIC", (uint32_t)madt_len, ACPI_MADT_REVISION);
	put32(t, 36, ACPI_LAPIC_ADDRESS);
	put32(t, 40, 0);
	for (unsigned int i = 0; i < nr_vcpus; i++) {
		size_t e = ACPI_HDR_LEN + 8 + (size_t)i * 16;

		put8(t, e, ACPI_MADT_X2APIC);
		put8(t, e + 1, 16);
		put32(t, e + 4, i);  /* x2APIC ID */
		put32(t, e + 8, 1);  /* flags: enabled */
		put32(t, e + 12, i); /* ACPI processor UID */
	}
	put8(t, madt_len - 16, ACPI_MADT_MP_WAKEUP);
	put8(t, madt_len - 15, 16);
	put16(t, madt_len - 14, 0); /* mailbox version */
	put64(t, madt_len - 8, mailbox_gpa);
	finish(t);

	/* DSDT */
	t = buf + dsdt;
	header(t, "DSDT", (uint32_t)dsdt_len, ACPI_DSDT_REVISION);
	memcpy(t + ACPI_HDR_LEN, dsdt_aml, sizeof(dsdt_aml));
	finish(t);

	out->rsdp = base + rsdp;
	out->xsdt = base + xsdt;
	out->fadt = base + fadt;
	out->madt = base + madt;
	out->dsdt = base + dsdt;
	out->len = end;
	return 0;
}
