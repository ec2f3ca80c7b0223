/* SPDX-License-Identifier: MIT */
/*
 * tdx/pi.h - posted interrupts into a TD: the posted-interrupt descriptor (PID) a VMM keeps
 * per vCPU in its own memory, the TD VMCS fields that point the vCPU at it, and the VMM's
 * posting step.
 *
 * How a VMM uses it (as KVM does for a TD [L arch/x86/kvm/vmx/tdx.c tdx_vcpu_init]):
 *   1. per vCPU, a 64-byte-aligned struct pi_desc in host memory (not TD-private), zeroed;
 *   2. after TDH.VP.INIT, TDH.VP.WR of TDVPS_VMCS_POSTED_INTR_NV (the notification vector)
 *      and TDVPS_VMCS_POSTED_INTR_DESC_ADDR (the PID's host physical address);
 *   3. to inject vector V: pi_post(pid, V); when it returns true and the vCPU is inside
 *      TDH.VP.ENTER on LP n, lp_send_ipi(n, NV) (platform.h) makes it take the interrupt
 *      without a TD exit; when the vCPU is not running, its next TDH.VP.ENTER takes it.
 *
 * Layout [SDM vol. 3C 30.6 "Posted-Interrupt Processing", table "Format of Posted-Interrupt
 * Descriptor"; L arch/x86/include/asm/posted_intr.h struct pi_desc]: bits 255:0 PIR, one
 * bit per vector; bit 256 ON (outstanding notification); bit 257 SN (suppress
 * notification); bits 279:272 NV; bits 319:288 NDST; the rest reserved. NV is one byte
 * (byte 34); byte 35 is reserved.
 */
#ifndef TDX_PI_H
#define TDX_PI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PI_DESC_ALIGNMENT 64
#define PI_DESC_SIZE	  64

#define PI_CONTROL_ON (1U << 0) /* bit 256: outstanding notification */
#define PI_CONTROL_SN (1U << 1) /* bit 257: suppress notification */

struct pi_desc {
	uint64_t pir[4];  /* bits 255:0: one bit per vector */
	uint16_t control; /* bit 0 ON, bit 1 SN, bits 15:2 reserved */
	uint8_t nv;	  /* notification vector (for the VMM's own IPI logic) */
	uint8_t rsvd0;
	uint32_t ndst; /* notification destination (x2APIC ID of the LP) */
	uint32_t rsvd1[6];
} __attribute__((aligned(PI_DESC_ALIGNMENT)));
_Static_assert(sizeof(struct pi_desc) == PI_DESC_SIZE, "struct pi_desc size");
_Static_assert(offsetof(struct pi_desc, control) == 32, "pi_desc.control offset");
_Static_assert(offsetof(struct pi_desc, nv) == 34, "pi_desc.nv offset");
_Static_assert(offsetof(struct pi_desc, ndst) == 36, "pi_desc.ndst offset");

/*
 * The TD VMCS fields, as TDH.VP.RD/WR field IDs [M include/auto_gen/td_vmcs_fields_lookup.c
 * rows "Posted-interrupt notification vector" and "Posted-interrupt descriptor address"]:
 * class 0 (TD VMCS), the VMCS encoding as field code (0x0002, 0x2016 [SDM vol. 3D App. B]).
 * The module finds a field by class and code, so KVM's bare encodings name the same fields.
 *
 *   NV:        16 bits, host read/write; 0xFFFF (invalid) until written; a value above 255
 *              is METADATA_FIELD_VALUE_NOT_VALID [M metadata_vp.c md_vp_element_special_wr].
 *   DESC_ADDR: 64 bits, host read; host write mask bits 63:6, so an address that is not
 *              64-byte aligned changes forbidden bits: METADATA_FIELD_VALUE_NOT_VALID; the
 *              address must pass the module's shared-HPA check (below MAX_PA, outside
 *              SEAMRR, a shared HKID) or it is METADATA_FIELD_VALUE_NOT_VALID
 *              [M md_vp_handle_field_attribute_on_wr, shared_hpa_check]. -1 until written.
 */
#define TDVPS_VMCS_POSTED_INTR_NV	 0x0024000100000002ULL
#define TDVPS_VMCS_POSTED_INTR_DESC_ADDR 0x0024000300002016ULL
#define POSTED_INTR_NV_INIT		 0xFFFF	 /* [M POSTED_INTERRUPT_NOTFICATION_VECTOR_INIT] */
#define POSTED_INTR_DESC_ADDR_INIT	 (~0ULL) /* [M NULL_PA] */

/*
 * Post `vector`: set its PIR bit, then ON, each with a locked RMW, as KVM's
 * pi_test_and_set_pir()/pi_test_and_set_on() do. Returns true when the poster must send the
 * notification: ON was clear and SN is clear. When ON was already set, a notification is
 * already on its way (or the vCPU will look at the PIR on its next entry).
 */
static inline bool pi_post(struct pi_desc *pid, uint8_t vector)
{
	uint16_t old;

	__atomic_fetch_or(&pid->pir[vector / 64], 1ULL << (vector % 64), __ATOMIC_SEQ_CST);
	old = __atomic_fetch_or(&pid->control, (uint16_t)PI_CONTROL_ON, __ATOMIC_SEQ_CST);
	return !(old & (PI_CONTROL_ON | PI_CONTROL_SN));
}

/* Is anything posted and not yet taken by the vCPU? (KVM's pi_has_pending_interrupt.) */
static inline bool pi_pending(const struct pi_desc *pid)
{
	if (__atomic_load_n(&pid->control, __ATOMIC_ACQUIRE) & PI_CONTROL_ON)
		return true;
	for (unsigned int i = 0; i < 4; i++)
		if (__atomic_load_n(&pid->pir[i], __ATOMIC_ACQUIRE))
			return true;
	return false;
}

#endif
