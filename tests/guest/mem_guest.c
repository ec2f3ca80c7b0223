// SPDX-License-Identifier: MIT
/*
 * The SDK's memory and attestation helpers on the real module, the scenario in boot option
 * bits 15:8 (guest_mem.h). Each prints what it got, status by status, and test_guest_mem.c
 * compares the lines byte for byte with what the module and the VMM must answer; checks only
 * the guest can make end with a non-zero exit status (the step's number).
 */
#include "tdxguest/tdxguest.h"

#include "guest_mem.h"

static void show(const char *what, u64 status)
{
	tdx_printf("%s: %lx\n", what, (unsigned long)status);
}

static bool page_is(u64 gpa, u8 (*byte)(u64, u64), u64 page)
{
	const volatile u8 *p = __va(gpa);

	for (u64 off = 0; off < TDX_PAGE_SIZE; off++) {
		if (p[off] != (byte ? byte(page, off) : 0))
			return false;
	}
	return true;
}

static int scenario_accept(void)
{
	u64 a = GTM_ACCEPT_GPA, b = GTM_ACCEPT_GPA + tdx_ps_bytes(TDX_PS_2M);
	volatile u64 *p;

	show("accept 4k", tdx_accept_page(a, TDX_PS_4K));
	show("accept 4k again", tdx_accept_page(a, TDX_PS_4K));
	/* The VMM added that page as 4K: its 2M range holds a page table, not a leaf. */
	show("accept 2m over 4k", tdx_accept_page(a, TDX_PS_2M));
	/* A fresh 2M range: the VMM adds it as one 2M page (the ACCEPT's requested level). */
	show("accept 2m fresh", tdx_accept_page(b, TDX_PS_2M));
	show("accept 1g", tdx_accept_page(b, TDX_PS_1G));
	show("accept shared", tdx_accept_page(b | tdx_shared_mask(), TDX_PS_4K));
	/* The loop: 2M where possible (here already accepted, which counts as done). */
	show("accept_memory 2m", tdx_accept_memory(b, b + tdx_ps_bytes(TDX_PS_2M)));
	show("accept 4k in range", tdx_accept_page(b + 5 * TDX_PAGE_SIZE, TDX_PS_4K));
	show("accept_memory again", tdx_accept_memory(a, a + 4 * TDX_PAGE_SIZE));
	p = __va(b + tdx_ps_bytes(TDX_PS_2M) - 8);
	if (*p != 0 || !page_is(b, NULL, 0))
		return 10; /* accepted pages read as zeros */
	*p = 0x1234;
	return *p == 0x1234 ? 0 : 11;
}

/* Every byte of [gpa, gpa + len) is zero; then each page takes a pattern and keeps it. */
static int zeros_then_writable(u64 gpa, u64 len, int code)
{
	for (u64 off = 0; off < len; off += TDX_PAGE_SIZE) {
		if (!page_is(gpa + off, NULL, 0))
			return code;
	}
	for (u64 off = 0; off < len; off += TDX_PAGE_SIZE) {
		volatile u64 *p = __va(gpa + off);

		p[0] = off | 1;
		p[TDX_PAGE_SIZE / 8 - 1] = ~off;
	}
	for (u64 off = 0; off < len; off += TDX_PAGE_SIZE) {
		volatile u64 *p = __va(gpa + off);

		if (p[0] != (off | 1) || p[TDX_PAGE_SIZE / 8 - 1] != ~off)
			return code + 1;
	}
	return 0;
}

/*
 * 2M accepts: a fresh aligned range is one 2M page (zeros, writable throughout); a 2M
 * ACCEPT of the last range, half outside the TD's memory, gets a 4K page from the VMM and
 * so PAGE_SIZE_MISMATCH, and the loop does it in 4K. @convert: MapGPA of the upper half of
 * the 2M page converts that half (the VMM demotes the page) and the lower half keeps its
 * data; then all of it to shared and back to private.
 */
static int scenario_accept_2m(bool convert)
{
	u64 g = GTM_2M_GPA, len = tdx_ps_bytes(TDX_PS_2M), end = GTM_2M_END_GPA;
	u64 half = GTM_2M_MEMORY - GTM_2M_END_GPA;
	int ret;

	show("accept_memory 2m", tdx_accept_memory(g, g + len));
	ret = zeros_then_writable(g, len, 40);
	if (ret)
		return ret;
	show("accept 4k in 2m", tdx_accept_page(g + 7 * TDX_PAGE_SIZE, TDX_PS_4K));
	if (!convert)
		return 0;
	show("accept 2m at the end", tdx_accept_page(end, TDX_PS_2M));
	show("accept_memory end", tdx_accept_memory(end, end + half));
	ret = zeros_then_writable(end, half, 42);
	if (ret)
		return ret;

	/* the upper half: the VMM demotes the 2M page and converts its upper 256 pages */
	show("to shared half", tdx_set_memory_shared(g + len / 2, len / 2 / TDX_PAGE_SIZE));
	if (!page_is((g + len / 2) | tdx_shared_mask(), NULL, 0) ||
	    !page_is((g + len - TDX_PAGE_SIZE) | tdx_shared_mask(), NULL, 0))
		return 43; /* the VMM's new shared pages */
	for (u64 off = 0; off < len / 2; off += TDX_PAGE_SIZE) {
		volatile u64 *p = __va(g + off);

		if (p[0] != (off | 1) || p[TDX_PAGE_SIZE / 8 - 1] != ~off)
			return 44; /* the private half, now 4K pages, kept its data */
	}
	show("to shared 2m", tdx_set_memory_shared(g, len / TDX_PAGE_SIZE));
	if (!page_is(g | tdx_shared_mask(), NULL, 0) ||
	    !page_is((g + len - TDX_PAGE_SIZE) | tdx_shared_mask(), NULL, 0))
		return 45; /* the VMM's new shared pages */
	show("to private 2m", tdx_set_memory_private(g, len / TDX_PAGE_SIZE));
	return zeros_then_writable(g, len, 46);
}

static int scenario_ve_accept(bool on)
{
	volatile u64 *p = __va(GTM_TOUCH_GPA + 0x18);
	u64 v;

	tdx_accept_on_ve = on;
	v = *p; /* pending page: #VE; accepted and re-executed, or fatal */
	*p = 0xABCDEF;
	tdx_printf("touched: %lx %lx, #VE accepts %lu\n", (unsigned long)v, (unsigned long)*p,
		   (unsigned long)tdx_ve_accept_count);
	return 0;
}

static int scenario_convert(void)
{
	u64 g = GTM_CONVERT_GPA, sh = g | tdx_shared_mask();
	u32 wrong;

	show("accept", tdx_accept_memory(g, g + GTM_CONVERT_PAGES * TDX_PAGE_SIZE));
	for (u64 i = 0; i < GTM_CONVERT_PAGES; i++)
		memset(__va(g + i * TDX_PAGE_SIZE), 0xEE, TDX_PAGE_SIZE); /* private data */
	show("to shared", tdx_set_memory_shared(g, GTM_CONVERT_PAGES));
	for (u64 i = 0; i < GTM_CONVERT_PAGES; i++) {
		volatile u8 *p = __va(sh + i * TDX_PAGE_SIZE);

		if (p[0] || p[TDX_PAGE_SIZE - 1])
			return 20; /* the VMM's new shared page: zeros, not the private data */
		for (u64 off = 0; off < TDX_PAGE_SIZE; off++)
			p[off] = gtm_guest_byte(i, off);
	}
	outl(GTM_CONVERT_PAGES, GTM_PORT); /* the test checks our bytes, writes its own */
	wrong = inl(GTM_PORT);
	tdx_printf("host saw %u wrong bytes\n", wrong);
	for (u64 i = 0; i < GTM_CONVERT_PAGES; i++) {
		if (!page_is(sh + i * TDX_PAGE_SIZE, gtm_host_byte, i))
			return 21;
	}
	show("to private", tdx_set_memory_private(g, GTM_CONVERT_PAGES));
	for (u64 i = 0; i < GTM_CONVERT_PAGES; i++) {
		if (!page_is(g + i * TDX_PAGE_SIZE, NULL, 0))
			return 22; /* accepted again: zeros */
	}
	tdx_printf("private again: zeros\n");
	return 0;
}

static int scenario_retry(void)
{
	u64 g = GTM_RETRY_GPA, size = GTM_RETRY_PAGES * TDX_PAGE_SIZE;
	struct tdx_module_args args = {
		.r10 = TDX_HYPERCALL_STANDARD,
		.r11 = TDVMCALL_MAP_GPA,
		.r12 = g | tdx_shared_mask(),
		.r13 = size,
	};
	u64 ret;

	show("accept", tdx_accept_memory(g, g + size));
	/* One call by hand: the first chunk is done, R11 says where to go on. */
	ret = __tdx_hypercall(&args);
	tdx_printf("map_gpa once: r10 %lx r11 %lx\n", (unsigned long)ret, (unsigned long)args.r11);
	show("to shared", tdx_set_memory_shared(g, GTM_RETRY_PAGES));
	show("to private", tdx_set_memory_private(g, GTM_RETRY_PAGES));
	return page_is(g + size - TDX_PAGE_SIZE, NULL, 0) ? 0 : 30;
}

static void bad_map_gpa(const char *what, u64 gpa, u64 size)
{
	struct tdx_module_args args = {
		.r10 = TDX_HYPERCALL_STANDARD,
		.r11 = TDVMCALL_MAP_GPA,
		.r12 = gpa,
		.r13 = size,
	};
	u64 ret = __tdx_hypercall(&args);

	tdx_printf("%s: r10 %lx r11 %lx\n", what, (unsigned long)ret, (unsigned long)args.r11);
}

static int scenario_bad_map_gpa(void)
{
	u64 s = tdx_shared_mask();

	bad_map_gpa("unaligned gpa", (GTM_CONVERT_GPA + 0x800) | s, TDX_PAGE_SIZE);
	bad_map_gpa("unaligned size", GTM_CONVERT_GPA | s, TDX_PAGE_SIZE + 1);
	bad_map_gpa("size 0", GTM_CONVERT_GPA | s, 0);
	bad_map_gpa("beyond memory", GTM_MEMORY | s, TDX_PAGE_SIZE);
	bad_map_gpa("across the end", (GTM_MEMORY - TDX_PAGE_SIZE) | s, 2 * TDX_PAGE_SIZE);
	bad_map_gpa("beyond gpaw", 1ULL << tdx_gpaw(), TDX_PAGE_SIZE);
	bad_map_gpa("across the shared bit", s - TDX_PAGE_SIZE, 2 * TDX_PAGE_SIZE);
	bad_map_gpa("wraps", ~0ULL << 12, 2 * TDX_PAGE_SIZE);
	return 0;
}

static u8 rtmr_data[48] __attribute__((aligned(64)));

static u64 raw_rtmr_extend(u64 gpa, u64 index)
{
	struct tdx_module_args args = {.rcx = gpa, .rdx = index};

	return __tdcall(TDG_MR_RTMR_EXTEND, &args);
}

static int scenario_attest(void)
{
	static struct tdreport report __attribute__((aligned(TDX_REPORT_ALIGNMENT)));
	static struct tdreport report2;
	static u8 quote[GTM_QUOTE_MAX];
	struct tdx_vp_info vi;
	u8 reportdata[TDX_REPORTDATA_LEN], data[48];
	u8 *mb = __va(GTM_MAILBOX_GPA | tdx_shared_mask());
	u64 info[4], qstatus, ret;
	u32 qlen;

	ret = tdx_vp_info(&vi);
	tdx_printf("vp.info: %lx gpaw %u attributes %lx vcpus %u/%u index %u sys_rd %d r11 %lx\n",
		   (unsigned long)ret, vi.gpaw, (unsigned long)vi.attributes, vi.num_vcpus,
		   vi.max_vcpus, vi.vcpu_index, vi.sys_rd, (unsigned long)vi.r11);
	for (unsigned int i = 0; i < TDX_REPORTDATA_LEN; i++)
		reportdata[i] = gtm_reportdata(i);
	show("report", tdx_get_report(reportdata, &report));

	/* RTMR 2 and 3 through the SDK; 0 and 1 the SDK refuses, the module takes them. */
	for (unsigned int r = 0; r < 4; r++) {
		char what[32];

		for (unsigned int i = 0; i < 48; i++)
			data[i] = gtm_rtmr_data(r, i);
		tdx_snprintf(what, sizeof(what), "extend rtmr %u", r);
		show(what, tdx_extend_rtmr(r, data));
	}
	for (unsigned int i = 0; i < 48; i++)
		rtmr_data[i] = gtm_rtmr_data(0, i);
	show("raw extend rtmr 0", raw_rtmr_extend(__pa(rtmr_data), 0));
	show("raw extend rtmr 4", raw_rtmr_extend(__pa(rtmr_data), 4));
	show("raw extend unaligned", raw_rtmr_extend(__pa(rtmr_data) + 8, 2));
	show("report2", tdx_get_report(reportdata, &report2));
	show("raw report unaligned", tdx_mr_report(__pa(&report) + 64, __pa(reportdata), 0));
	show("raw reportdata unaligned", tdx_mr_report(__pa(&report), __pa(rtmr_data) + 8, 0));
	show("raw report subtype 1", tdx_mr_report(__pa(&report), __pa(rtmr_data), 1));

	ret = tdx_get_quote(&report, quote, sizeof(quote), &qlen, &qstatus);
	tdx_printf("quote: r10 %lx status %lx len %u version %u\n", (unsigned long)ret,
		   (unsigned long)qstatus, qlen, quote[0] | quote[1] << 8);
	show("quote unaligned",
	     tdx_get_quote_hypercall(GTM_MAILBOX_GPA | tdx_shared_mask() | 8, TDX_PAGE_SIZE));
	show("quote private", tdx_get_quote_hypercall(GTM_MAILBOX_GPA, TDX_PAGE_SIZE));

	for (u64 leaf = 0; leaf < 3; leaf++) {
		ret = tdx_get_td_vm_call_info(leaf, info);
		tdx_printf("vmcall info %lu: r10 %lx r11 %lx r12 %lx r13 %lx r14 %lx\n",
			   (unsigned long)leaf, (unsigned long)ret, (unsigned long)info[0],
			   (unsigned long)info[1], (unsigned long)info[2], (unsigned long)info[3]);
	}

	/* The mailbox: what the test checks against the module and the verifier. */
	show("mailbox", tdx_set_memory_shared(GTM_MAILBOX_GPA, GTM_MAILBOX_PAGES));
	memcpy(mb + GTM_MAILBOX_REPORT, &report, sizeof(report));
	memcpy(mb + GTM_MAILBOX_REPORT2, &report2, sizeof(report2));
	memcpy(mb + GTM_MAILBOX_QUOTE, quote, qlen < sizeof(quote) ? qlen : sizeof(quote));
	return 0;
}

/*
 * GTM_CONVERT with vCPU 1 in a busy loop: once it runs, nothing makes it exit but the VMM's
 * kick, so the removal of the converted pages must wait for that kick and its re-entry in
 * the new TLB epoch.
 */
static volatile bool spinning, spin_stop, spin_done;

static void spin(void *arg)
{
	(void)arg;
	spinning = true;
	while (!spin_stop)
		__builtin_ia32_pause();
	spin_done = true;
}

static int scenario_convert_spin(void)
{
	int ret;

	show("start vcpu 1", (u64)(long)tdx_smp_start(1, spin, NULL));
	while (!spinning)
		__builtin_ia32_pause();
	ret = scenario_convert();
	/*
	 * The removal needed vCPU 1 out of the old TLB epoch, which a TD exit alone gives: wait
	 * until it has run again, so the test sees its second entry whatever the host's timing.
	 */
	spin_stop = true;
	while (!spin_done)
		__builtin_ia32_pause();
	return ret;
}

int main(void)
{
	unsigned int scenario = (tdx_boot_regs[1] >> GTM_SHIFT) & 0xFF;

	tdx_printf("mem: scenario %u\n", scenario);
	switch (scenario) {
	case GTM_ACCEPT:
		return scenario_accept();
	case GTM_VE_ACCEPT:
		return scenario_ve_accept(true);
	case GTM_VE_NO_ACCEPT:
		return scenario_ve_accept(false);
	case GTM_CONVERT:
		return scenario_convert();
	case GTM_RETRY:
		return scenario_retry();
	case GTM_BAD_MAP_GPA:
		return scenario_bad_map_gpa();
	case GTM_ATTEST:
		return scenario_attest();
	case GTM_ACCEPT_2M:
		return scenario_accept_2m(true);
	case GTM_ACCEPT_2M_4K:
		return scenario_accept_2m(false);
	case GTM_CONVERT_SPIN:
		return scenario_convert_spin();
	}
	return 99;
}
