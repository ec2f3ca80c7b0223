/* SPDX-License-Identifier: MIT */
/*
 * vmm/acpi.h - the ACPI tables a TD Linux kernel boots with (docs/LINUX-BOOT.md "ACPI"):
 * RSDP (revision 2), XSDT, a hardware-reduced FADT, a MADT with one processor local x2APIC
 * structure per vCPU and the multiprocessor wake-up structure, and a DSDT with \_S5 and COM1.
 * Each table checksummed; laid out in one buffer that the VMM places at a GPA.
 */
#ifndef VMM_ACPI_H
#define VMM_ACPI_H

#include <stddef.h>
#include <stdint.h>

/* What the tables say about the platform. */
#define ACPI_OEM_ID	     "TDXSIM"	/* 6 bytes */
#define ACPI_OEM_TABLE_ID    "TDXSIMTD" /* 8 bytes */
#define ACPI_CREATOR_ID	     "TDXS"	/* 4 bytes */
#define ACPI_LAPIC_ADDRESS   0xFEE00000U
#define ACPI_FADT_REVISION   6 /* ACPI 6.x: 276 bytes */
#define ACPI_FADT_MINOR	     5
#define ACPI_FADT_LEN	     276
#define ACPI_MADT_REVISION   5
#define ACPI_DSDT_REVISION   2 /* 64-bit integers */
#define ACPI_XSDT_REVISION   1
#define ACPI_RSDP_REVISION   2
#define ACPI_RSDP_LEN	     36
#define ACPI_HDR_LEN	     36
#define ACPI_MADT_X2APIC     9		/* Processor Local x2APIC structure */
#define ACPI_MADT_MP_WAKEUP  0x10	/* Multiprocessor Wakeup structure */
#define ACPI_FADT_HW_REDUCED (1U << 20) /* FADT Flags: HW_REDUCED_ACPI */
/* IAPC_BOOT_ARCH: no VGA, no CMOS RTC (a TD has neither). */
#define ACPI_FADT_BOOT_ARCH 0x0024
/*
 * Hardware-reduced sleep registers: the power-off device's PM1a control port, high byte
 * (docs/VMM.md "Power-off ports"). Its bits 4:2 and 5 are the 16-bit register's SLP_TYP
 * (12:10) and SLP_EN (13), which is exactly the layout of the sleep control register, so the
 * kernel's S5 write (SLP_TYP 0 | SLP_EN) is the device's power-off. Status: an unclaimed port.
 */
#define ACPI_SLEEP_CONTROL_PORT 0x605
#define ACPI_SLEEP_STATUS_PORT	0x600

/* Where each table landed: GPAs, and the bytes used from the base. */
struct acpi_layout {
	uint64_t rsdp, xsdt, fadt, madt, dsdt;
	size_t len;
};

/*
 * Build the tables into buf (cap bytes, zeroed here) for placement at GPA base (16-byte
 * aligned): nr_vcpus x2APIC structures (x2APIC ID = ACPI processor UID = vCPU index, enabled)
 * and the wake-up mailbox at mailbox_gpa. 0, -EINVAL (no vCPU, a base not 16-byte aligned)
 * or -ENOSPC.
 */
int acpi_build(uint8_t *buf, size_t cap, uint64_t base, unsigned int nr_vcpus, uint64_t mailbox_gpa,
	       struct acpi_layout *out);

/* The sum of n bytes, mod 256: 0 for a table whose checksum is right. */
uint8_t acpi_sum(const uint8_t *p, size_t n);

#endif /* VMM_ACPI_H */
