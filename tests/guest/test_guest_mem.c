// SPDX-License-Identifier: MIT
/*
 * The SDK's memory and attestation helpers (guest/lib/mem.c, attest.c) and the VMM's MapGPA
 * (vmm/map_gpa.c) on the real module: mem_guest.c runs one scenario per TD (guest_mem.h) and
 * prints every status it got; the lines must equal the ones built here from the module's
 * and the GHCI's codes. Data crosses the private/shared boundary both ways (the test reads
 * and writes the TD's shared pages through the VMM's mapping), the VMM's page counts show
 * what was removed, and every TD's teardown must give all its pages back to the host.
 *
 * Argument: mem_guest.elf
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/sha.h>
#include <tdx/ghci.h>
#include <tdx/status.h>
#include <tdx/structs.h>
#include <tdx/td.h>
#include <tdx/vmx.h>
#include <tdxsim/vmm.h>

#include "host/page_alloc.h"
#include "platform/platform.h"
#include "tests/guest/guest_mem.h"
#include "tests/support/stop_message.h"
#include "tests/support/vmm_machine.h"
#include "tests/vmm_internal/quote_check.h"
#include "vmm/attest_pki.h"
#include "vmm/bus.h"
#include "vmm/quote.h"
#include "vmm/vmm_internal.h"

#define SHARED_BIT (1ULL << 47) /* GPAW 48: the VMM's default */

static const char *mem_elf;

struct run {
	struct vmm_td *td;
	struct serial_capture serial;
	uint64_t free_before;
	/* GTM_CONVERT, seen by the port handler while the guest waits */
	uint32_t wrong;
	unsigned int removed_then, shared_then, calls;
};

/* GTM_CONVERT: check the guest's bytes in its shared pages, answer with ours. */
static void convert_port(void *opaque, uint64_t off, void *data, unsigned size, bool write)
{
	struct run *r = opaque;
	struct vmm_td *td = r->td;

	(void)off;
	if (!write) {
		bus_data_set(data, size, r->wrong);
		return;
	}
	r->calls++;
	r->removed_then = td->removed_pages;
	r->shared_then = (unsigned int)td->nr_shared;
	for (uint64_t i = 0; i < bus_data_get(data, size); i++) {
		uint64_t gpa = GTM_CONVERT_GPA + i * 4096;
		uint8_t *p;

		if (!td_window_is_mapped(td->window, gpa, true)) {
			r->wrong += 4096;
			continue;
		}
		p = td_window_va(td->window, gpa, true);
		for (uint64_t o = 0; o < 4096; o++) {
			r->wrong += p[o] != gtm_guest_byte(i, o);
			p[o] = gtm_host_byte(i, o);
		}
	}
}

static void run_mem(struct run *r, unsigned int scenario, uint64_t attributes, unsigned int vcpus,
		    uint64_t memory)
{
	struct vmm_td_config cfg;
	char err[256] = "";

	platform_claim_signals();
	memset(r, 0, sizeof(*r));
	r->free_before = page_alloc_nr_free(NUMA_NO_NODE);
	vmm_td_config_default(&cfg);
	assert_int_equal(cfg.memory_size, GTM_MEMORY);
	cfg.memory_size = memory;
	cfg.boot_opts = (uint64_t)scenario << GTM_SHIFT;
	cfg.attributes = attributes;
	cfg.nr_vcpus = vcpus;
	cfg.serial = serial_capture_sink;
	cfg.serial_opaque = &r->serial;
	if (vmm_td_create(&cfg, mem_elf, &r->td, err, sizeof(err)))
		fail_msg("vmm_td_create: %s", err);
	assert_int_equal(vmm_bus_register_pio(&r->td->bus, GTM_PORT, 4, convert_port, r, "gtm"), 0);
	assert_int_equal(vmm_td_run(r->td), 0);
}

static void run_vcpus(struct run *r, unsigned int scenario, uint64_t attributes, unsigned int vcpus)
{
	run_mem(r, scenario, attributes, vcpus, GTM_MEMORY);
}

static void run(struct run *r, unsigned int scenario, uint64_t attributes)
{
	run_vcpus(r, scenario, attributes, 1);
}

/* Teardown reclaims every page: the host's allocator is back where it was. */
static void destroy(struct run *r)
{
	vmm_td_destroy(r->td);
	assert_int_equal(page_alloc_nr_free(NUMA_NO_NODE), r->free_before);
}

static void expect_ok(const struct run *r, const char *want)
{
	const struct vmm_td_result *res = vmm_td_result(r->td);

	if (strcmp(r->serial.buf, want))
		fail_msg("serial:\n%s\nwant:\n%s", r->serial.buf, want);
	if (res->reason != VMM_STOP_POWEROFF || res->exit_status)
		fail_msg("stop %s, status %d: %s", vmm_stop_reason_name(res->reason),
			 res->exit_status, res->message);
}

/* Append one "what: status" line as the guest prints it (%lx). */
static void line(char *buf, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void line(char *buf, size_t cap, const char *fmt, ...)
{
	size_t n = strlen(buf);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf + n, cap - n, fmt, ap);
	va_end(ap);
}

static uint64_t vcpu_stat(const struct run *r, size_t off)
{
	struct vmm_vcpu_stats st;

	assert_int_equal(vmm_td_vcpu_stats(r->td, 0, &st), 0);
	return *(const uint64_t *)((const char *)&st + off);
}

static uint64_t map_gpa_calls(const struct run *r)
{
	struct vmm_vcpu_stats st;

	assert_int_equal(vmm_td_vcpu_stats(r->td, 0, &st), 0);
	return st.tdvmcalls[VMM_TDVMCALL_MAP_GPA];
}

/*
 * ACCEPT: 4K (0), again (PAGE_ALREADY_ACCEPTED + 0), 2M over the 4K page's table
 * (PAGE_SIZE_MISMATCH + 1), 2M over a fresh range the VMM adds as one 2M page (0), 1G and a
 * shared GPA (OPERAND_INVALID|RCX); tdx_accept_memory takes ALREADY_ACCEPTED as done, and a
 * 4K accept inside the 2M page is ALREADY_ACCEPTED at the 2M level. The VMM added exactly
 * the pages accepted: 1 + 3 of 4K and one of 2M.
 */
static void test_accept(void **state)
{
	static struct run r;
	char want[2048] = "mem: scenario 1\n";
	struct vmm_td_stats ts;

	(void)state;
	run(&r, GTM_ACCEPT, VMM_ATTR_SEPT_VE_DISABLE);
	line(want, sizeof(want), "accept 4k: 0\n");
	line(want, sizeof(want), "accept 4k again: %llx\n", TDX_PAGE_ALREADY_ACCEPTED + TDX_PS_4K);
	line(want, sizeof(want), "accept 2m over 4k: %llx\n", TDX_PAGE_SIZE_MISMATCH + TDX_PS_2M);
	line(want, sizeof(want), "accept 2m fresh: 0\n");
	line(want, sizeof(want), "accept 1g: %llx\n", TDX_OPERAND_INVALID + TDX_OPERAND_ID_RCX);
	line(want, sizeof(want), "accept shared: %llx\n", TDX_OPERAND_INVALID + TDX_OPERAND_ID_RCX);
	line(want, sizeof(want), "accept_memory 2m: 0\n");
	line(want, sizeof(want), "accept 4k in range: %llx\n",
	     TDX_PAGE_ALREADY_ACCEPTED + TDX_PS_2M);
	line(want, sizeof(want), "accept_memory again: 0\n");
	expect_ok(&r, want);
	assert_int_equal(vcpu_stat(&r, offsetof(struct vmm_vcpu_stats, aug_pages)), 1 + 1 + 3);
	assert_int_equal(vcpu_stat(&r, offsetof(struct vmm_vcpu_stats, aug_2m)), 1);
	vmm_td_stats(r.td, &ts);
	assert_int_equal(ts.private_pages, ts.image_pages + 1 + 512 + 3);
	assert_int_equal(ts.removed_pages, 0);
	destroy(&r);
}

/* The TD's private pages of @level (0 = 4K, 1 = 2M) in [gpa, gpa + len), by the VMM's list. */
static unsigned int private_leaves(const struct run *r, uint64_t gpa, uint64_t len,
				   unsigned int level)
{
	unsigned int n = 0;

	for (size_t i = 0; i < r->td->nr_pages; i++) {
		const struct vmm_page *pg = &r->td->pages[i];
		uint64_t g = pg->gpa & ~VMM_GPA_LEVEL_MASK;

		n += pg->kind == PG_PRIVATE && (pg->gpa & VMM_GPA_LEVEL_MASK) == level &&
		     g >= gpa && g < gpa + len;
	}
	return n;
}

/* Secure EPT pages the VMM keeps for the table at gpa_level (GPA | level of its entry). */
static size_t sept_pages(const struct run *r, uint64_t gpa_level)
{
	size_t n = 0;

	for (size_t i = 0; i < r->td->nr_pages; i++)
		n += r->td->pages[i].kind == PG_SEPT && r->td->pages[i].gpa == gpa_level;
	return n;
}

/*
 * A 2M ACCEPT end to end: the module's EPT-violation exit carries the requested level, the
 * VMM AUGs one 2M page and the guest's re-executed ACCEPT succeeds: zeros, writable across
 * the 2M. The last 2M range is half outside the TD's 63 MiB: the VMM adds 4K, the guest
 * gets PAGE_SIZE_MISMATCH and accepts 256 x 4K. MapGPA of the upper half of the 2M page
 * makes the VMM demote it (TDH.MEM.PAGE.DEMOTE: a new SEPT page at GPA | 1, 512 4K pages)
 * and convert 256 of them in 4 calls, the lower half keeping its data (the guest checks);
 * all of it to shared then removes the other 256 (8 calls over the 2M); back to private the
 * guest's 2M accept meets the SEPT table (PAGE_SIZE_MISMATCH) and takes 512 x 4K. Teardown
 * reclaims every page (destroy's free-page count).
 */
static void test_accept_2m(void **state)
{
	static struct run r;
	char want[1024] = "mem: scenario 8\n";
	struct vmm_td_stats ts;

	(void)state;
	run_mem(&r, GTM_ACCEPT_2M, VMM_ATTR_SEPT_VE_DISABLE, 1, GTM_2M_MEMORY);
	line(want, sizeof(want), "accept_memory 2m: 0\n");
	line(want, sizeof(want), "accept 4k in 2m: %llx\n", TDX_PAGE_ALREADY_ACCEPTED + TDX_PS_2M);
	line(want, sizeof(want), "accept 2m at the end: %llx\n",
	     TDX_PAGE_SIZE_MISMATCH + TDX_PS_2M);
	line(want, sizeof(want), "accept_memory end: 0\n");
	line(want, sizeof(want), "to shared half: 0\nto shared 2m: 0\nto private 2m: 0\n");
	expect_ok(&r, want);
	/* 2M, the end's 4K fallback + 255 x 4K, 512 x 4K under the demoted table */
	assert_int_equal(vcpu_stat(&r, offsetof(struct vmm_vcpu_stats, aug_pages)), 1 + 256 + 512);
	assert_int_equal(vcpu_stat(&r, offsetof(struct vmm_vcpu_stats, aug_2m)), 1);
	/* the half in chunks, the whole 2M in chunks to shared and back to private */
	assert_int_equal(map_gpa_calls(&r), (256 + 512 + 512) / GTM_MAP_GPA_CHUNK);
	assert_int_equal(private_leaves(&r, GTM_2M_GPA, 2ULL << 20, TDX_PS_2M), 0);
	assert_int_equal(private_leaves(&r, GTM_2M_GPA, 2ULL << 20, TDX_PS_4K), 512);
	assert_int_equal(sept_pages(&r, GTM_2M_GPA | TDX_PS_2M), 1); /* DEMOTE's new page */
	assert_int_equal(private_leaves(&r, GTM_2M_END_GPA, 1ULL << 20, TDX_PS_4K), 256);
	vmm_td_stats(r.td, &ts);
	assert_int_equal(ts.removed_pages, 512);
	assert_int_equal(ts.shared_pages, 0);
	assert_int_equal(ts.private_pages, ts.image_pages + 512 + 256);
	destroy(&r);
}

/*
 * Take every free 2M-aligned run from the host's allocator and give back all of each but
 * its first page: 4K pages stay plentiful, no 2M-aligned run is free. Returns the count.
 */
static size_t fragment_host(uint64_t **kept)
{
	size_t n = 0, cap = 0;
	uint64_t pa;

	*kept = NULL;
	while ((pa = alloc_contig_pages(512, 2ULL << 20, NUMA_NO_NODE))) {
		if (n == cap) {
			cap = cap ? 2 * cap : 1024;
			*kept = realloc(*kept, cap * sizeof(**kept));
			assert_non_null(*kept);
		}
		(*kept)[n++] = pa;
		assert_int_equal(free_contig_pages(pa + 4096, 511), 0);
	}
	return n;
}

/*
 * The same 2M ACCEPT on a host without a free 2M-aligned run: the VMM adds a 4K page, the
 * guest gets PAGE_SIZE_MISMATCH and its loop accepts 512 x 4K; the data checks hold.
 */
static void test_accept_2m_no_host_2m(void **state)
{
	static struct run r;
	uint64_t free0 = page_alloc_nr_free(NUMA_NO_NODE), *kept;
	size_t n = fragment_host(&kept);
	struct vmm_td_stats ts;
	char want[256];

	(void)state;
	assert_true(n > 0);
	run_mem(&r, GTM_ACCEPT_2M_4K, VMM_ATTR_SEPT_VE_DISABLE, 1, GTM_2M_MEMORY);
	snprintf(want, sizeof(want),
		 "mem: scenario 9\naccept_memory 2m: 0\naccept 4k in 2m: %llx\n",
		 TDX_PAGE_ALREADY_ACCEPTED + TDX_PS_4K);
	expect_ok(&r, want);
	assert_int_equal(vcpu_stat(&r, offsetof(struct vmm_vcpu_stats, aug_pages)), 512);
	assert_int_equal(vcpu_stat(&r, offsetof(struct vmm_vcpu_stats, aug_2m)), 0);
	assert_int_equal(private_leaves(&r, GTM_2M_GPA, 2ULL << 20, TDX_PS_4K), 512);
	vmm_td_stats(r.td, &ts);
	assert_int_equal(ts.private_pages, ts.image_pages + 512);
	destroy(&r);
	for (size_t i = 0; i < n; i++)
		free_page(kept[i]);
	free(kept);
	assert_int_equal(page_alloc_nr_free(NUMA_NO_NODE), free0);
}

/* A pending page touched in a TD without SEPT_VE_DISABLE: #VE, accepted, re-executed. */
static void test_ve_accept(void **state)
{
	static struct run r;

	(void)state;
	run(&r, GTM_VE_ACCEPT, 0);
	expect_ok(&r, "mem: scenario 2\ntouched: 0 abcdef, #VE accepts 1\n");
	assert_int_equal(vcpu_stat(&r, offsetof(struct vmm_vcpu_stats, aug_pages)), 1);
	destroy(&r);
}

/* The same with the switch off (the default): the runtime's fatal report, as Linux panics. */
static void test_ve_no_accept(void **state)
{
	static struct run r;
	const struct vmm_td_result *res;
	char msg[96];

	(void)state;
	run(&r, GTM_VE_NO_ACCEPT, 0);
	res = vmm_td_result(r.td);
	assert_string_equal(r.serial.buf, "mem: scenario 3\n");
	assert_int_equal(res->reason, VMM_STOP_FATAL_ERROR);
	snprintf(msg, sizeof(msg),
		 "vCPU 0: guest fatal error: #VE EPT violation on private GPA 0x%llx RIP ",
		 (unsigned long long)GTM_TOUCH_GPA + 0x18);
	expect_rip_msg(res->message, vmm_td_image_base(r.td), msg, "mem_guest.elf",
		       "scenario_ve_accept", -1, "");
	destroy(&r);
}

/*
 * Private -> shared -> private: the guest's bytes in the shared pages reach the VMM's
 * mapping and the test's answer reaches the guest; the 4 private pages were removed by
 * then (and the 4 shared ones mapped); back to private the pages are accepted again, zeros,
 * and the shared ones are gone.
 */
#define CONVERT_LINES                                                                              \
	"accept: 0\nto shared: 0\nhost saw 0 wrong bytes\nto private: 0\nprivate again: zeros\n"

/* What GTM_CONVERT leaves, whoever else runs: the data, the calls and the page counts. */
static void convert_checks(const struct run *r)
{
	struct vmm_td_stats ts;

	assert_int_equal(r->calls, 1);
	assert_int_equal(r->wrong, 0);
	assert_int_equal(r->removed_then, GTM_CONVERT_PAGES);
	assert_int_equal(r->shared_then, GTM_CONVERT_PAGES);
	assert_int_equal(map_gpa_calls(r), 2);
	vmm_td_stats(r->td, &ts);
	assert_int_equal(ts.removed_pages, GTM_CONVERT_PAGES);
	assert_int_equal(ts.shared_pages, 0);
	assert_int_equal(vcpu_stat(r, offsetof(struct vmm_vcpu_stats, aug_pages)),
			 2 * GTM_CONVERT_PAGES);
	assert_int_equal(ts.private_pages, ts.image_pages + GTM_CONVERT_PAGES);
	for (uint64_t i = 0; i < GTM_CONVERT_PAGES; i++)
		assert_false(td_window_is_mapped(r->td->window, GTM_CONVERT_GPA + i * 4096, true));
}

static void convert(unsigned int vcpus)
{
	static struct run r;
	struct vmm_td_stats ts;

	run_vcpus(&r, GTM_CONVERT, VMM_ATTR_SEPT_VE_DISABLE, vcpus);
	expect_ok(&r, "mem: scenario 4\n" CONVERT_LINES);
	convert_checks(&r);
	vmm_td_stats(r.td, &ts);
	if (vcpus == 1)
		assert_int_equal(ts.tlb_kicks, 0); /* nobody else to kick */
	destroy(&r);
}

static void test_convert(void **state)
{
	(void)state;
	convert(1);
}

/*
 * The same with 3 more vCPUs, which enter and leave the guest meanwhile: the removal must
 * wait (kicking them) until none is left in the TLB epoch of the blocks.
 */
static void test_convert_4vcpus(void **state)
{
	(void)state;
	convert(4);
}

/*
 * The same while vCPU 1 spins in guest code and never exits by itself: TDH.MEM.TRACK opens
 * a new epoch, but vCPU 1 still runs in the old one, so the removal can only succeed once
 * the VMM has kicked it out of the guest (an EXTERNAL_INTERRUPT exit); the guest's vCPU 0
 * then waits for vCPU 1 to see the end of the conversion, so it entered again.
 * The conversion's data and counts are those of one vCPU; teardown returns every page.
 */
static void test_convert_spinning_vcpu(void **state)
{
	static struct run r;
	struct vmm_vcpu_stats spinner;
	struct vmm_td_stats ts;

	(void)state;
	run_vcpus(&r, GTM_CONVERT_SPIN, VMM_ATTR_SEPT_VE_DISABLE, 2);
	expect_ok(&r, "mem: scenario 10\nstart vcpu 1: 0\n" CONVERT_LINES);
	convert_checks(&r);
	vmm_td_stats(r.td, &ts);
	assert_true(ts.tlb_kicks >= 1);
	assert_int_equal(vmm_td_vcpu_stats(r.td, 1, &spinner), 0);
	assert_true(spinner.exits[EXIT_REASON_EXTERNAL_INTERRUPT] >= 1);
	assert_true(spinner.entries >= 2);
	destroy(&r);
}

/*
 * 200 pages: one MapGPA by hand converts the first 64 and answers RETRY with R11 = the next
 * GPA (shared bit kept); the SDK's loop then needs 4 calls each way.
 */
static void test_retry(void **state)
{
	static struct run r;
	char want[512] = "mem: scenario 5\naccept: 0\n";
	struct vmm_td_stats ts;
	unsigned int chunks = (GTM_RETRY_PAGES + GTM_MAP_GPA_CHUNK - 1) / GTM_MAP_GPA_CHUNK;

	(void)state;
	run(&r, GTM_RETRY, VMM_ATTR_SEPT_VE_DISABLE);
	line(want, sizeof(want), "map_gpa once: r10 %llx r11 %llx\n", TDVMCALL_STATUS_RETRY,
	     (GTM_RETRY_GPA + GTM_MAP_GPA_CHUNK * 4096) | SHARED_BIT);
	line(want, sizeof(want), "to shared: 0\nto private: 0\n");
	expect_ok(&r, want);
	assert_int_equal(map_gpa_calls(&r), 1 + 2 * chunks);
	vmm_td_stats(r.td, &ts);
	assert_int_equal(ts.removed_pages, GTM_RETRY_PAGES);
	assert_int_equal(ts.shared_pages, 0);
	assert_int_equal(vcpu_stat(&r, offsetof(struct vmm_vcpu_stats, aug_pages)),
			 2 * GTM_RETRY_PAGES);
	destroy(&r);
}

/* Bad MapGPA arguments: GHCI R10 codes, R11 = the start GPA (nothing converted). */
static void test_bad_map_gpa(void **state)
{
	static struct run r;
	char want[2048] = "mem: scenario 6\n";
	const unsigned long long inv = TDVMCALL_STATUS_INVALID_OPERAND,
				 align = TDVMCALL_STATUS_ALIGN_ERROR;
	struct vmm_td_stats ts;

	(void)state;
	run(&r, GTM_BAD_MAP_GPA, VMM_ATTR_SEPT_VE_DISABLE);
	line(want, sizeof(want), "unaligned gpa: r10 %llx r11 %llx\n", align,
	     (GTM_CONVERT_GPA + 0x800) | SHARED_BIT);
	line(want, sizeof(want), "unaligned size: r10 %llx r11 %llx\n", align,
	     GTM_CONVERT_GPA | SHARED_BIT);
	line(want, sizeof(want), "size 0: r10 %llx r11 %llx\n", inv, GTM_CONVERT_GPA | SHARED_BIT);
	line(want, sizeof(want), "beyond memory: r10 %llx r11 %llx\n", inv,
	     GTM_MEMORY | SHARED_BIT);
	line(want, sizeof(want), "across the end: r10 %llx r11 %llx\n", inv,
	     (GTM_MEMORY - 4096) | SHARED_BIT);
	line(want, sizeof(want), "beyond gpaw: r10 %llx r11 %llx\n", inv, 1ULL << 48);
	line(want, sizeof(want), "across the shared bit: r10 %llx r11 %llx\n", inv,
	     SHARED_BIT - 4096);
	line(want, sizeof(want), "wraps: r10 %llx r11 %llx\n", inv, ~0ULL << 12);
	expect_ok(&r, want);
	assert_int_equal(map_gpa_calls(&r), 8);
	vmm_td_stats(r.td, &ts);
	assert_int_equal(ts.removed_pages, 0);
	assert_int_equal(ts.shared_pages, 0);
	destroy(&r);
}

static void sha384_extend(uint8_t rtmr[48], unsigned int index)
{
	uint8_t cat[96];

	memcpy(cat, rtmr, 48);
	for (unsigned int i = 0; i < 48; i++)
		cat[48 + i] = gtm_rtmr_data(index, i);
	SHA384(cat, sizeof(cat), rtmr);
}

/*
 * Attestation: TDG.VP.INFO outputs; the TDREPORT echoes REPORTDATA and carries the module's
 * MRTD; RTMR 2/3 extended through the SDK (0/1 refused by it with TDX_SW_ERROR, taken by the
 * module when asked directly) show up in the next report as SHA-384 chains; bad REPORT and
 * RTMR operands get the module's statuses; GetQuote returns a DCAP quote of the TDREPORT,
 * every field checked against it, verified by vmm/quote.c and by the openssl command line
 * against the exported root and collateral; GetTdVmCallInfo leaves 0, 1 and 2.
 */
static void test_attest(void **state)
{
	static struct run r;
	char want[4096] = "mem: scenario 7\n";
	const unsigned long long inv = TDX_OPERAND_INVALID;
	uint8_t mrtd[48], rtmr[4][48] = {{0}}, body[QUOTE_BODY_LEN];
	char exp[] = "/tmp/tdxsim-gm-collateral-XXXXXX", work[] = "/tmp/tdxsim-gm-quote-XXXXXX";
	char out[256];
	size_t qlen;
	const struct tdreport *rep, *rep2;
	static uint8_t mbuf[GTM_MAILBOX_PAGES * 4096];
	const uint8_t *mb;

	(void)state;
	run(&r, GTM_ATTEST, VMM_ATTR_SEPT_VE_DISABLE);
	line(want, sizeof(want),
	     "vp.info: 0 gpaw 48 attributes %llx vcpus 1/1 index 0 sys_rd 1 r11 0\n",
	     VMM_ATTR_SEPT_VE_DISABLE);
	line(want, sizeof(want), "report: 0\n");
	line(want, sizeof(want), "extend rtmr 0: %llx\nextend rtmr 1: %llx\n", TDX_SW_ERROR,
	     TDX_SW_ERROR);
	line(want, sizeof(want), "extend rtmr 2: 0\nextend rtmr 3: 0\n");
	line(want, sizeof(want), "raw extend rtmr 0: 0\n");
	line(want, sizeof(want), "raw extend rtmr 4: %llx\n", inv + TDX_OPERAND_ID_RDX);
	line(want, sizeof(want), "raw extend unaligned: %llx\n", inv + TDX_OPERAND_ID_RCX);
	line(want, sizeof(want), "report2: 0\n");
	line(want, sizeof(want), "raw report unaligned: %llx\n", inv + TDX_OPERAND_ID_RCX);
	line(want, sizeof(want), "raw reportdata unaligned: %llx\n", inv + TDX_OPERAND_ID_RDX);
	line(want, sizeof(want), "raw report subtype 1: %llx\n", inv + TDX_OPERAND_ID_R8);
	qlen = quote_signer_quote_len(r.td->quoter);
	assert_true(qlen <= GTM_QUOTE_MAX);
	line(want, sizeof(want), "quote: r10 0 status 0 len %zu version 4\n", qlen);
	line(want, sizeof(want), "quote unaligned: %llx\n", TDVMCALL_STATUS_ALIGN_ERROR);
	line(want, sizeof(want), "quote private: %llx\n", TDVMCALL_STATUS_INVALID_OPERAND);
	line(want, sizeof(want), "vmcall info 0: r10 0 r11 0 r12 0 r13 0 r14 0\n");
	line(want, sizeof(want), "vmcall info 1: r10 0 r11 %llx r12 0 r13 0 r14 0\n",
	     TDVMCALLINFO_SETUP_EVENT_NOTIFY_INTERRUPT);
	/* An error leaves the registers as the guest sent them (R11 = sub-function, R12 leaf). */
	line(want, sizeof(want), "vmcall info 2: r10 %llx r11 %x r12 2 r13 0 r14 0\n",
	     TDVMCALL_STATUS_INVALID_OPERAND, TDVMCALL_GET_TD_VM_CALL_INFO);
	line(want, sizeof(want), "mailbox: 0\n");
	expect_ok(&r, want);

	/* Page by page: the window's pages need not be contiguous in the host (the system
	 * backend's are wherever their host pages are). */
	for (unsigned int i = 0; i < GTM_MAILBOX_PAGES; i++) {
		uint64_t gpa = GTM_MAILBOX_GPA + i * 4096ULL;

		assert_true(td_window_is_mapped(r.td->window, gpa, true));
		memcpy(mbuf + i * 4096, td_window_va(r.td->window, gpa, true), 4096);
	}
	mb = mbuf;
	rep = (const struct tdreport *)(mb + GTM_MAILBOX_REPORT);
	rep2 = (const struct tdreport *)(mb + GTM_MAILBOX_REPORT2);
	assert_int_equal(rep->reportmac.reporttype.type, TDX_REPORT_TYPE);
	for (unsigned int i = 0; i < TDX_REPORTDATA_LEN; i++)
		assert_int_equal(rep->reportmac.reportdata[i], gtm_reportdata(i));
	assert_int_equal(vmm_td_mrtd(r.td, mrtd), 0);
	assert_memory_equal(rep->tdinfo.mrtd, mrtd, 48);
	assert_memory_equal(rep2->tdinfo.mrtd, mrtd, 48);
	assert_int_equal(rep->tdinfo.attributes, VMM_ATTR_SEPT_VE_DISABLE);
	assert_memory_equal(rep->tdinfo.rtmr, rtmr, sizeof(rtmr)); /* none extended yet */
	sha384_extend(rtmr[2], 2);
	sha384_extend(rtmr[3], 3);
	sha384_extend(rtmr[0], 0);
	assert_memory_equal(rep2->tdinfo.rtmr, rtmr, sizeof(rtmr));

	assert_int_equal(quote_verify(mb + GTM_MAILBOX_QUOTE, qlen, NULL, 0, body), 0);
	quote_check_fields(mb + GTM_MAILBOX_QUOTE, qlen, (const uint8_t *)rep);
	assert_non_null(mkdtemp(exp));
	assert_non_null(mkdtemp(work));
	assert_int_equal(attest_pki_export(exp), 0);
	quote_check_openssl(mb + GTM_MAILBOX_QUOTE, qlen, exp, work);
	assert_int_equal(qc_sh(work, out, sizeof(out), "rm -rf '%s' '%s'", exp, work), 0);
	destroy(&r);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_accept),	       cmocka_unit_test(test_ve_accept),
		cmocka_unit_test(test_ve_no_accept),   cmocka_unit_test(test_convert),
		cmocka_unit_test(test_convert_4vcpus), cmocka_unit_test(test_retry),
		cmocka_unit_test(test_bad_map_gpa),    cmocka_unit_test(test_attest),
		cmocka_unit_test(test_accept_2m),      cmocka_unit_test(test_accept_2m_no_host_2m),
	};
	const struct CMUnitTest concurrency[] = {
		cmocka_unit_test(test_convert_spinning_vcpu),
	};

	if (argc < 2 || argc > 3 || (argc == 3 && strcmp(argv[2], "concurrency"))) {
		fprintf(stderr, "usage: %s mem_guest.elf [concurrency]\n", argv[0]);
		return 2;
	}
	mem_elf = argv[1];
	/* "concurrency": only the test that needs a vCPU running beside the converting one */
	if (argc == 3)
		return cmocka_run_group_tests(concurrency, vmm_machine_setup, vmm_machine_teardown);
	return cmocka_run_group_tests(tests, vmm_machine_setup, vmm_machine_teardown);
}
