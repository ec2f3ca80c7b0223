// SPDX-License-Identifier: MIT
/*
 * tdxsim boot's end-of-run summary of the kernel's port I/O and MMIO by path (vmm_td_paths,
 * docs/LINUX-BOOT.md "Reading the summary"): direct TDVMCALLs (Linux's decompressor), #VEs
 * taken by the early handler, #VEs taken by the runtime one; MMIO by instruction; #VEs by
 * reason; TD exits per second.
 *
 * A #VE'd access comes with the targets of the guest's IDT gates for vectors 20 and 19 when
 * the #VE was delivered. Linux's early IDT (idt_setup_early_handler, until setup_arch's
 * idt_setup_early_traps) points every exception vector into early_idt_handler_array,
 * EARLY_IDT_HANDLER_SIZE bytes per vector (9, or 13 with CONFIG_X86_KERNEL_IBT's 4-byte
 * ENDBR64 in front, as Debian builds it), so there vector 20's handler is vector 19's plus 9
 * or 13; afterwards vector 20 is asm_exc_virtualization_exception, 16-byte aligned in the
 * kernel's text at or above __START_KERNEL_map [L arch/x86/kernel/idt.c, head_64.S,
 * segment.h, page_64_types.h].
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tdxsim/tdxsim.h"
#include "tools.h"

#define EARLY_IDT_HANDLER_SIZE	   9
#define EARLY_IDT_HANDLER_SIZE_IBT 13
#define START_KERNEL_MAP	   0xFFFFFFFF80000000ULL

enum path { PATH_DIRECT, PATH_EARLY, PATH_RUNTIME, PATH_OTHER };

static enum path path_of(bool ve, uint64_t handler, uint64_t handler_19)
{
	if (!ve)
		return PATH_DIRECT;
	if (handler_19 && (handler == handler_19 + EARLY_IDT_HANDLER_SIZE ||
			   handler == handler_19 + EARLY_IDT_HANDLER_SIZE_IBT))
		return PATH_EARLY;
	if (handler >= START_KERNEL_MAP)
		return PATH_RUNTIME;
	return PATH_OTHER;
}

/* A path's name: "direct TDVMCALL", "early #VE", "runtime #VE" or "#VE via 0x...". */
static const char *path_name(bool ve, uint64_t handler, uint64_t handler_19, char *buf, size_t len)
{
	static const char *const names[] = {"direct TDVMCALL", "early #VE", "runtime #VE"};
	enum path p = path_of(ve, handler, handler_19);

	if (p != PATH_OTHER)
		return names[p];
	snprintf(buf, len, "#VE via 0x%" PRIx64, handler);
	return buf;
}

static void print_io(FILE *f, const struct vmm_paths *p, const char *direct)
{
	uint64_t n[4] = {0};
	char buf[64], name[64];

	n[PATH_OTHER] = p->io_other;
	for (unsigned int i = 0; i < p->nr_io; i++)
		n[path_of(p->io[i].ve, p->io[i].handler, p->io[i].handler_19)] += p->io[i].count;
	fprintf(f,
		"tdxsim boot: port I/O by path: %" PRIu64 " by direct TDVMCALL (%s), "
		"%" PRIu64 " by early #VE, %" PRIu64 " by runtime #VE, %" PRIu64 " other\n",
		n[PATH_DIRECT], direct, n[PATH_EARLY], n[PATH_RUNTIME], n[PATH_OTHER]);
	for (unsigned int i = 0; i < p->nr_io; i++) {
		const struct vmm_io_path *io = &p->io[i];
		const char *nm = path_name(io->ve, io->handler, io->handler_19, name, sizeof(name));
		uint64_t count = 0;
		bool seen = false;

		/* One line per port access and named path (rows differ in vector 19 too). */
		for (unsigned int j = 0; j < p->nr_io && !seen; j++) {
			const struct vmm_io_path *o = &p->io[j];

			if (o->port != io->port || o->size != io->size || o->write != io->write ||
			    strcmp(path_name(o->ve, o->handler, o->handler_19, buf, sizeof(buf)),
				   nm))
				continue;
			if (j < i)
				seen = true;
			else
				count += o->count;
		}
		if (!seen)
			fprintf(f, "tdxsim boot:   port 0x%x %s%u: %" PRIu64 " by %s\n", io->port,
				io->write ? "out" : "in", io->size * 8, count, nm);
	}
}

static void print_mmio(FILE *f, const struct vmm_paths *p)
{
	uint64_t total = p->mmio_other;
	char buf[64];

	for (unsigned int i = 0; i < p->nr_mmio; i++)
		total += p->mmio[i].count;
	fprintf(f, "tdxsim boot: MMIO: %" PRIu64 " accesses\n", total);
	for (unsigned int i = 0; i < p->nr_mmio; i++) {
		const struct vmm_mmio_path *m = &p->mmio[i];

		fprintf(f, "tdxsim boot:   %s (%s %u bytes): %" PRIu64 " by %s\n",
			m->ve ? m->insn : "no instruction", m->write ? "write" : "read", m->size,
			m->count, path_name(m->ve, m->handler, m->handler_19, buf, sizeof(buf)));
	}
}

static void print_ves(FILE *f, const struct vmm_paths *p)
{
	size_t n = 0;
	char line[1024] = "";

	for (unsigned int r = 0; r < VMM_EXIT_REASONS && n < sizeof(line); r++) {
		const char *name = vmm_exit_reason_name(r);

		if (p->ves[r])
			n += (size_t)snprintf(line + n, sizeof(line) - n, "%s %s %" PRIu64,
					      n ? "," : "", name ? name : "other", p->ves[r]);
	}
	if (p->ves_other && n < sizeof(line))
		snprintf(line + n, sizeof(line) - n, "%s other %" PRIu64, n ? "," : "",
			 p->ves_other);
	fprintf(f, "tdxsim boot: #VEs by reason:%s\n", *line ? line : " none");
}

void boot_paths_print(FILE *f, const struct vmm_td *td, uint64_t run_ns, const char *direct)
{
	struct vmm_paths *p = malloc(sizeof(*p));
	uint64_t exits = 0;

	if (!p)
		return;
	vmm_td_paths(td, p);
	print_io(f, p, direct);
	print_mmio(f, p);
	print_ves(f, p);
	for (unsigned int v = 0; v < vmm_td_nr_vcpus(td); v++) {
		struct vmm_vcpu_stats vs;

		if (!vmm_td_vcpu_stats(td, v, &vs))
			exits += vs.entries;
	}
	fprintf(f, "tdxsim boot: %" PRIu64 " TD exits, %.0f per second\n", exits,
		run_ns ? (double)exits * 1e9 / (double)run_ns : 0.0);
	free(p);
}
