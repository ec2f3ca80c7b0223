// SPDX-License-Identifier: MIT
/*
 * tdreport: a Linux TD's attestation evidence through the kernel's own TDX guest driver, the
 * program the TD Linux initramfs runs (scripts/td-initramfs.sh, docs/LINUX-BOOT.md). Built
 * static (gcc -static) so it needs nothing else in the initramfs.
 *
 * 1. The TDREPORT: the ioctl TDX_CMD_GET_REPORT0 on /dev/tdx_guest (Linux's tdx-guest
 *    driver, drivers/virt/coco/tdx-guest; its uapi header linux/tdx-guest.h is newer than
 *    bookworm's linux-libc-dev, so the request is declared here: 64 bytes of REPORTDATA in,
 *    the 1024-byte TDREPORT out, ioctl 'T' 1 read-write). The driver runs TDG.MR.REPORT.
 * 2. A quote, with --quote: configfs-tsm (drivers/virt/coco/tsm.c): a directory made under
 *    /sys/kernel/config/tsm/report, the same REPORTDATA written to its inblob, the quote read
 *    from its outblob; for TDX the driver gets it with TDVMCALL<GetQuote>.
 *
 * REPORTDATA is fixed, bytes 0x00, 0x01, ..., 0x3F, unless given as 128 hex digits. Prints,
 * one "tdreport: NAME HEX" line each: REPORTTYPE, REPORTDATA, ATTRIBUTES, XFAM, MRTD, RTMR0-3,
 * then for a quote its length and its body's MRTD and REPORTDATA. Exit status 0 when every
 * step worked and the report and quote carry the REPORTDATA given; 1 otherwise, with the
 * reason on stderr.
 *
 *   tdreport [--quote] [REPORTDATA]
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tdx/structs.h"
#include "vmm/quote.h"

#define TDX_GUEST_DEV "/dev/tdx_guest"
#define TSM_REPORTS   "/sys/kernel/config/tsm/report"

/* Linux's struct tdx_report_req and TDX_CMD_GET_REPORT0 (include/uapi/linux/tdx-guest.h). */
struct tdx_report_req {
	uint8_t reportdata[TDX_REPORTDATA_LEN];
	uint8_t tdreport[TDX_REPORT_LEN];
};
#define TDX_CMD_GET_REPORT0 _IOWR('T', 1, struct tdx_report_req)

static void print_hex(const char *name, const uint8_t *p, size_t n)
{
	printf("tdreport: %s ", name);
	for (size_t i = 0; i < n; i++)
		printf("%02x", p[i]);
	printf("\n");
}

static int parse_hex(const char *s, uint8_t *out, size_t n)
{
	if (strlen(s) != 2 * n)
		return -1;
	for (size_t i = 0; i < n; i++) {
		unsigned int v;

		if (sscanf(s + 2 * i, "%2x", &v) != 1)
			return -1;
		out[i] = (uint8_t)v;
	}
	return 0;
}

static int get_report(const uint8_t *reportdata, struct tdreport *report)
{
	static struct tdx_report_req req;
	int fd = open(TDX_GUEST_DEV, O_RDWR | O_CLOEXEC), err;

	if (fd < 0) {
		fprintf(stderr, "tdreport: %s: %s (is the tdx-guest module loaded, in a TD?)\n",
			TDX_GUEST_DEV, strerror(errno));
		return -1;
	}
	memcpy(req.reportdata, reportdata, sizeof(req.reportdata));
	err = ioctl(fd, TDX_CMD_GET_REPORT0, &req) ? errno : 0;
	close(fd);
	if (err) {
		fprintf(stderr, "tdreport: TDX_CMD_GET_REPORT0: %s\n", strerror(err));
		return -1;
	}
	memcpy(report, req.tdreport, sizeof(*report));
	return 0;
}

/* configfs-tsm: mkdir ENTRY, write inblob, read outblob (the quote), rmdir ENTRY. */
static long get_quote(const uint8_t *reportdata, uint8_t *quote, size_t cap)
{
	const char *entry = TSM_REPORTS "/tdreport";
	char path[128];
	long len = -1, n = 0;
	int fd;

	if (mkdir(entry, 0700) && errno != EEXIST) {
		fprintf(stderr, "tdreport: mkdir %s: %s (is configfs mounted, tsm loaded?)\n",
			entry, strerror(errno));
		return -1;
	}
	snprintf(path, sizeof(path), "%s/inblob", entry);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write(fd, reportdata, TDX_REPORTDATA_LEN) != TDX_REPORTDATA_LEN) {
		fprintf(stderr, "tdreport: %s: %s\n", path, strerror(errno));
		goto out;
	}
	close(fd);
	snprintf(path, sizeof(path), "%s/outblob", entry);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "tdreport: %s: %s\n", path, strerror(errno));
		goto out;
	}
	len = 0;
	while ((size_t)len < cap && (n = read(fd, quote + len, cap - (size_t)len)) > 0)
		len += n;
	if (n < 0) {
		fprintf(stderr, "tdreport: reading %s: %s\n", path, strerror(errno));
		len = -1;
	}
out:
	if (fd >= 0)
		close(fd);
	rmdir(entry);
	return len;
}

int main(int argc, char **argv)
{
	static struct tdreport report;
	static uint8_t quote[64 * 1024];
	uint8_t reportdata[TDX_REPORTDATA_LEN];
	bool want_quote = false;
	const char *hex = NULL;
	long qlen;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--quote"))
			want_quote = true;
		else if (!hex && argv[i][0] != '-')
			hex = argv[i];
		else {
			fprintf(stderr,
				"usage: tdreport [--quote] [REPORTDATA as 128 hex digits]\n");
			return 2;
		}
	}
	for (unsigned int i = 0; i < sizeof(reportdata); i++)
		reportdata[i] = (uint8_t)i;
	if (hex && parse_hex(hex, reportdata, sizeof(reportdata))) {
		fprintf(stderr, "tdreport: REPORTDATA must be 128 hex digits\n");
		return 2;
	}

	if (get_report(reportdata, &report))
		return 1;
	print_hex("REPORTTYPE", (const uint8_t *)&report.reportmac.reporttype,
		  sizeof(report.reportmac.reporttype));
	print_hex("REPORTDATA", report.reportmac.reportdata, TDX_REPORTDATA_LEN);
	print_hex("ATTRIBUTES", (const uint8_t *)&report.tdinfo.attributes, 8);
	print_hex("XFAM", (const uint8_t *)&report.tdinfo.xfam, 8);
	print_hex("MRTD", report.tdinfo.mrtd, sizeof(report.tdinfo.mrtd));
	for (unsigned int i = 0; i < 4; i++) {
		char name[8];

		snprintf(name, sizeof(name), "RTMR%u", i);
		print_hex(name, report.tdinfo.rtmr[i], sizeof(report.tdinfo.rtmr[i]));
	}
	if (memcmp(report.reportmac.reportdata, reportdata, sizeof(reportdata))) {
		fprintf(stderr, "tdreport: the TDREPORT's REPORTDATA is not the one asked for\n");
		return 1;
	}
	if (!want_quote) {
		fflush(stdout);
		return 0;
	}

	qlen = get_quote(reportdata, quote, sizeof(quote));
	if (qlen < 0)
		return 1;
	printf("tdreport: QUOTE %ld bytes\n", qlen);
	if (qlen < QUOTE_BODY_OFF + QUOTE_BODY_LEN) {
		fprintf(stderr, "tdreport: the quote is shorter than its header and body\n");
		return 1;
	}
	print_hex("QUOTE.MRTD", quote + QUOTE_BODY_OFF + QUOTE_BODY_MRTD, 48);
	print_hex("QUOTE.REPORTDATA", quote + QUOTE_BODY_OFF + QUOTE_BODY_REPORTDATA,
		  TDX_REPORTDATA_LEN);
	if (memcmp(quote + QUOTE_BODY_OFF + QUOTE_BODY_MRTD, report.tdinfo.mrtd, 48) ||
	    memcmp(quote + QUOTE_BODY_OFF + QUOTE_BODY_REPORTDATA, reportdata,
		   TDX_REPORTDATA_LEN)) {
		fprintf(stderr, "tdreport: the quote's MRTD or REPORTDATA is not the report's\n");
		return 1;
	}
	fflush(stdout);
	return 0;
}
