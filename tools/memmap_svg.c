// SPDX-License-Identifier: MIT
/*
 * tdxsim host-init --svg FILE: the physical memory map after tdx_enable() as an SVG picture
 * (docs/HOST.md "The memory map as a picture"): the machine's RAM ranges and the holes
 * between them, the CMRs the module reports, the TDMRs, their reserved areas, and each
 * TDMR's PAMT (4K, 2M and 1G parts) where it lies, one row each, with a legend.
 *
 * Sizes differ by orders of magnitude (a 4 KiB PAMT beside a 510 GiB TDMR), so the address
 * axis is not linear: every address where something starts or ends is a tick, and each
 * stretch between two ticks is drawn MIN_W px wide plus PX_PER_DOUBLING px for each doubling
 * of its size above 4 KiB (a logarithmic width per stretch). Addresses only grow to the
 * right; the ticks carry the exact addresses and every box its size.
 *
 * Each region is a <g class="region KIND"> with data-start/data-end (hex), a <title> with
 * its range and size, a <rect> and its <text> lines, which are only those that fit in the
 * box (the tests check that in a browser).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <tdxsim/tdxsim.h>

#include "tools.h"

#define MIN_W		80.0 /* px of a stretch of 4 KiB or less */
#define PX_PER_DOUBLING 10.0
#define LEFT		110.0 /* the row names */
#define RIGHT		120.0 /* room for the last tick's slanted label */
#define ROW_H		52.0
#define ROW_GAP		10.0
#define CHAR_W		6.7 /* monospace at FONT px, for what fits in a box */
#define FONT		11
#define MAX_REGIONS	(2 * TDXSIM_MAX_RAM_RANGES + MAX_CMR + MAX_TDMRS * (4 + MAX_RESERVED_PER_TDMR))
#define MAX_BOUNDARIES	(2 * MAX_REGIONS)

enum kind { K_RAM, K_HOLE, K_CMR, K_TDMR, K_RESERVED, K_PAMT, K_KINDS };

static const struct {
	const char *cls, *legend, *fill;
	unsigned int row;
} kinds[K_KINDS] = {
	[K_RAM] = {"ram", "RAM range (the machine's)", "#9ecae1", 0},
	[K_HOLE] = {"hole", "no RAM (hole)", "url(#hatch-hole)", 0},
	[K_CMR] = {"cmr", "CMR (convertible memory, as the module reports it)", "#a1d99b", 1},
	[K_TDMR] = {"tdmr", "TDMR (memory TDX covers)", "#fdae6b", 2},
	[K_RESERVED] = {"reserved", "TDMR reserved area", "url(#hatch-reserved)", 3},
	[K_PAMT] = {"pamt", "PAMT (4K, 2M, 1G parts) of a TDMR, where it lies", "#bcbddc", 4},
};

static const char *const row_names[] = {"RAM", "CMRs", "TDMRs", "reserved", "PAMTs"};
#define ROWS 5

struct region {
	enum kind kind;
	uint64_t start, end;
	char name[24], sub[24], title[128];
};

struct map {
	struct region r[MAX_REGIONS];
	unsigned int nr;
	uint64_t b[MAX_BOUNDARIES];
	double x[MAX_BOUNDARIES];
	unsigned int nb;
};

static void add_region(struct map *m, enum kind k, uint64_t start, uint64_t end, const char *name,
		       const char *sub, const char *what)
{
	struct region *r;
	char sz[32];

	if (m->nr >= MAX_REGIONS || end <= start)
		return;
	r = &m->r[m->nr++];
	r->kind = k;
	r->start = start;
	r->end = end;
	snprintf(r->name, sizeof(r->name), "%s", name);
	snprintf(r->sub, sizeof(r->sub), "%s", sub);
	tdxsim_fmt_size(sz, sizeof(sz), end - start);
	snprintf(r->title, sizeof(r->title), "%s: [0x%" PRIx64 ", 0x%" PRIx64 ") %s", what, start,
		 end, sz);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* MIN_W + PX_PER_DOUBLING * log2(size / 4 KiB), log2 linear between powers of two. */
static double stretch_width(uint64_t size)
{
	uint64_t pages = size / 4096;
	int k;

	if (pages <= 1)
		return MIN_W;
	k = 63 - __builtin_clzll(pages);
	return MIN_W + PX_PER_DOUBLING * (k + (double)size / (4096.0 * (double)(1ULL << k)) - 1.0);
}

static double x_of(const struct map *m, uint64_t a)
{
	unsigned int lo = 0, hi = m->nb;

	while (lo < hi) {
		unsigned int mid = (lo + hi) / 2;

		if (m->b[mid] < a)
			lo = mid + 1;
		else
			hi = mid;
	}
	return m->x[lo < m->nb ? lo : m->nb - 1];
}

/* The ticks, and each stretch's x; holes where no RAM range covers a stretch. */
static void axis(struct map *m)
{
	unsigned int n = 0, nr = m->nr;

	for (unsigned int i = 0; i < nr; i++) {
		m->b[n++] = m->r[i].start;
		m->b[n++] = m->r[i].end;
	}
	qsort(m->b, n, sizeof(m->b[0]), cmp_u64);
	m->nb = 0;
	for (unsigned int i = 0; i < n; i++)
		if (!m->nb || m->b[m->nb - 1] != m->b[i])
			m->b[m->nb++] = m->b[i];
	for (unsigned int i = 0; i + 1 < m->nb; i++) {
		bool ram = false;

		for (unsigned int j = 0; j < nr && !ram; j++)
			ram = m->r[j].kind == K_RAM && m->r[j].start <= m->b[i] &&
			      m->b[i + 1] <= m->r[j].end;
		if (ram)
			continue;
		/* one hole for a run of stretches without RAM */
		if (m->nr > nr && m->r[m->nr - 1].end == m->b[i]) {
			struct region *h = &m->r[m->nr - 1];
			char sz[32];

			h->end = m->b[i + 1];
			tdxsim_fmt_size(sz, sizeof(sz), h->end - h->start);
			snprintf(h->title, sizeof(h->title),
				 "no RAM: [0x%" PRIx64 ", 0x%" PRIx64 ") %s", h->start, h->end, sz);
		} else {
			add_region(m, K_HOLE, m->b[i], m->b[i + 1], "no RAM", "", "no RAM");
		}
	}
	m->x[0] = LEFT;
	for (unsigned int i = 1; i < m->nb; i++)
		m->x[i] = m->x[i - 1] + stretch_width(m->b[i] - m->b[i - 1]);
}

static void put_escaped(FILE *f, const char *s)
{
	for (; *s; s++) {
		if (*s == '&')
			fputs("&amp;", f);
		else if (*s == '<')
			fputs("&lt;", f);
		else if (*s == '>')
			fputs("&gt;", f);
		else if (*s == '"')
			fputs("&quot;", f);
		else
			fputc(*s, f);
	}
}

static bool fits(const char *s, double w)
{
	return strlen(s) * CHAR_W + 8 <= w;
}

static void region(FILE *f, const struct map *m, const struct region *r, double y0)
{
	double x0 = x_of(m, r->start), x1 = x_of(m, r->end),
	       y = y0 + kinds[r->kind].row * (ROW_H + ROW_GAP);
	const char *lines[3];
	char sz[32];
	unsigned int n = 0;

	tdxsim_fmt_size(sz, sizeof(sz), r->end - r->start);
	fprintf(f,
		"<g class=\"region %s\" data-start=\"0x%" PRIx64 "\" data-end=\"0x%" PRIx64
		"\" data-size=\"%s\">\n<title>",
		kinds[r->kind].cls, r->start, r->end, sz);
	put_escaped(f, r->title);
	fprintf(f,
		"</title>\n<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\" "
		"stroke=\"#333\" stroke-width=\"1\"/>\n",
		x0, y, x1 - x0, ROW_H, kinds[r->kind].fill);
	if (fits(r->name, x1 - x0))
		lines[n++] = r->name;
	if (r->sub[0] && fits(r->sub, x1 - x0))
		lines[n++] = r->sub;
	if (fits(sz, x1 - x0))
		lines[n++] = sz;
	for (unsigned int i = 0; i < n; i++) {
		fprintf(f,
			"<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" stroke=\"white\" "
			"stroke-width=\"3\" paint-order=\"stroke\">",
			(x0 + x1) / 2, y + ROW_H / 2 + (i - (n - 1) / 2.0) * 14 + 4);
		put_escaped(f, lines[i]);
		fputs("</text>\n", f);
	}
	fputs("</g>\n", f);
}

int memmap_svg_write(FILE *f, const struct tdxsim_machine_desc *mc, bool enabled, const char *note)
{
	struct map *m = calloc(1, sizeof(*m));
	const struct tdmr_info *t;
	double width, height, y0, axis_y, legend_y;
	char name[32], sub[32], what[64], ram[32], pamt[32];
	unsigned int nt = 0;
	int ret = 0, nid;

	if (!m)
		return ENOMEM;
	for (unsigned int i = 0; i < mc->nr_ram; i++) {
		snprintf(sub, sizeof(sub), "node %u", mc->ram[i].node);
		snprintf(what, sizeof(what), "RAM range %u (node %u)", i, mc->ram[i].node);
		add_region(m, K_RAM, mc->ram[i].base, mc->ram[i].base + mc->ram[i].size, "RAM", sub,
			   what);
	}
	for (unsigned int i = 0; enabled && i < tdxsim_nr_cmrs(); i++) {
		uint64_t cb = 0, cs = 0;

		tdxsim_cmr(i, &cb, &cs);
		snprintf(name, sizeof(name), "CMR %u", i);
		add_region(m, K_CMR, cb, cb + cs, name, "", name);
	}
	for (; enabled && (t = tdxsim_tdmr(nt, &nid)); nt++) {
		static const char *const lv[] = {"PAMT 4K", "PAMT 2M", "PAMT 1G"};
		const uint64_t base[] = {t->pamt_4k_base, t->pamt_2m_base, t->pamt_1g_base};
		const uint64_t size[] = {t->pamt_4k_size, t->pamt_2m_size, t->pamt_1g_size};

		snprintf(name, sizeof(name), "TDMR %u", nt);
		add_region(m, K_TDMR, t->base, t->base + t->size, name, "", name);
		for (unsigned int j = 0; j < MAX_RESERVED_PER_TDMR && t->reserved_areas[j].size;
		     j++) {
			uint64_t s = t->base + t->reserved_areas[j].offset;

			snprintf(sub, sizeof(sub), "of TDMR %u", nt);
			snprintf(what, sizeof(what), "TDMR %u reserved area %u", nt, j);
			add_region(m, K_RESERVED, s, s + t->reserved_areas[j].size, "reserved", sub,
				   what);
		}
		for (unsigned int l = 0; l < 3; l++) {
			snprintf(sub, sizeof(sub), "of TDMR %u", nt);
			snprintf(what, sizeof(what), "%s of TDMR %u (node %d)", lv[l], nt, nid);
			add_region(m, K_PAMT, base[l], base[l] + size[l], lv[l], sub, what);
		}
	}
	axis(m);
	if (!m->nb) { /* nothing at all: one tick at 0 */
		m->nb = 1;
		m->x[0] = LEFT;
	}

	/* Title and legend above the rows, the axis below. */
	width = m->x[m->nb - 1] + RIGHT;
	if (width < 760)
		width = 760;
	legend_y = 50;
	y0 = legend_y + 20 * (K_KINDS + 2) + 10;
	axis_y = y0 + ROWS * (ROW_H + ROW_GAP);
	height = axis_y + 110;
	tdxsim_fmt_size(ram, sizeof(ram), mc->ram_bytes);
	tdxsim_fmt_size(pamt, sizeof(pamt), enabled ? tdxsim_pamt_bytes() : 0);

	fprintf(f,
		"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" "
		"viewBox=\"0 0 %.0f %.0f\" font-family=\"monospace\" font-size=\"%d\">\n"
		"<defs>\n"
		"<pattern id=\"hatch-reserved\" width=\"8\" height=\"8\" "
		"patternUnits=\"userSpaceOnUse\" patternTransform=\"rotate(45)\">"
		"<rect width=\"8\" height=\"8\" fill=\"#fcbba1\"/>"
		"<line x1=\"0\" y1=\"0\" x2=\"0\" y2=\"8\" stroke=\"#cb181d\" stroke-width=\"3\"/>"
		"</pattern>\n"
		"<pattern id=\"hatch-hole\" width=\"8\" height=\"8\" "
		"patternUnits=\"userSpaceOnUse\" "
		"patternTransform=\"rotate(-45)\">"
		"<rect width=\"8\" height=\"8\" fill=\"#f0f0f0\"/>"
		"<line x1=\"0\" y1=\"0\" x2=\"0\" y2=\"8\" stroke=\"#bdbdbd\" stroke-width=\"2\"/>"
		"</pattern>\n"
		"</defs>\n"
		"<rect class=\"background\" width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n",
		width, height, width, height, FONT);
	fprintf(f, "<text class=\"title\" x=\"10\" y=\"22\" font-size=\"15\" font-weight=\"bold\">"
		   "Physical memory map: machine ");
	put_escaped(f, mc->name);
	fprintf(f,
		", %s RAM in %u range%s; %u TDMR%s, PAMT %s</text>\n"
		"<text class=\"note\" x=\"10\" y=\"40\">",
		ram, mc->nr_ram, mc->nr_ram == 1 ? "" : "s", nt, nt == 1 ? "" : "s", pamt);
	put_escaped(f, note);
	fputs("</text>\n<g class=\"legend\">\n", f);
	for (unsigned int k = 0; k < K_KINDS; k++) {
		double y = legend_y + 20 * k;

		fprintf(f,
			"<g class=\"legend-item %s\"><rect x=\"10\" y=\"%.0f\" width=\"28\" "
			"height=\"14\" fill=\"%s\" stroke=\"#333\"/><text x=\"46\" "
			"y=\"%.0f\">%s</text>"
			"</g>\n",
			kinds[k].cls, y, kinds[k].fill, y + 11, kinds[k].legend);
	}
	fprintf(f,
		"<text class=\"scale\" x=\"10\" y=\"%.0f\">Scale: not linear. Each stretch between "
		"two ticks is %.0f px wide plus %.0f px per doubling of its size above 4 KiB "
		"(logarithmic),</text>\n"
		"<text class=\"scale\" x=\"10\" y=\"%.0f\">so that a 4 KiB PAMT and a 512 GiB TDMR "
		"both show; the ticks give the exact addresses, each box its size.</text>\n</g>\n",
		legend_y + 20 * K_KINDS + 11, MIN_W, PX_PER_DOUBLING, legend_y + 20 * K_KINDS + 27);

	for (unsigned int r = 0; r < ROWS; r++)
		fprintf(f,
			"<text class=\"row-name\" x=\"10\" y=\"%.1f\" "
			"font-weight=\"bold\">%s</text>\n",
			y0 + r * (ROW_H + ROW_GAP) + ROW_H / 2 + 4, row_names[r]);
	/* The ticks' guides first, under the boxes; then the boxes, then the axis. */
	fputs("<g class=\"guides\">\n", f);
	for (unsigned int i = 0; i < m->nb; i++)
		fprintf(f,
			"<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#ccc\" "
			"stroke-dasharray=\"2,3\"/>\n",
			m->x[i], y0, m->x[i], axis_y);
	fputs("</g>\n", f);
	for (unsigned int i = 0; i < m->nr; i++)
		region(f, m, &m->r[i], y0);
	fprintf(f,
		"<g class=\"axis\">\n<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
		"stroke=\"#333\"/>\n",
		m->x[0], axis_y, m->x[m->nb - 1], axis_y);
	for (unsigned int i = 0; i < m->nb; i++)
		fprintf(f,
			"<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#333\"/>"
			"<text class=\"tick\" x=\"%.1f\" y=\"%.1f\" transform=\"rotate(45 %.1f "
			"%.1f)\">"
			"0x%" PRIx64 "</text>\n",
			m->x[i], axis_y, m->x[i], axis_y + 6, m->x[i], axis_y + 14, m->x[i],
			axis_y + 14, m->b[i]);
	fputs("</g>\n</svg>\n", f);
	if (fflush(f) || ferror(f))
		ret = errno ? errno : EIO;
	free(m);
	return ret;
}
