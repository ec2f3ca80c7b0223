// SPDX-License-Identifier: MIT
/*
 * Machine configuration: named presets, the configuration-file format (docs/MACHINE.md)
 * and the consistency rules a machine must satisfy before it can boot.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "internal.h"

#define KiB (1ULL << 10)
#define MiB (1ULL << 20)
#define GiB (1ULL << 30)
#define TiB (1ULL << 40)

#define CFG_MAX_LINE 1024
#define CFG_MAX_FILE (1024 * 1024)

/*
 * The PC memory map every preset starts with: the legacy hole [640K, 1M) (VGA, option ROMs,
 * BIOS) and the 32-bit MMIO hole [2G, 4G) below the 4G line.
 */
static void add_ram(struct machine_config *cfg, uint64_t base, uint64_t end, unsigned int node)
{
	cfg->ram[cfg->nr_ram++] = (struct phys_range){base, end - base, node};
}

static void add_low_ram(struct machine_config *cfg)
{
	add_ram(cfg, 0, 640 * KiB, 0);
	add_ram(cfg, 1 * MiB, 2 * GiB, 0);
}

static void preset_common(struct machine_config *cfg, const char *name)
{
	memset(cfg, 0, sizeof(*cfg));
	snprintf(cfg->name, sizeof(cfg->name), "%s", name);
	cfg->seamrr_enabled = true;
	cfg->module_present = true;
	cfg->gate = true;
	cfg->cpuid_mode = CPUID_TRAP_AUTO;
}

static void set_topology(struct machine_config *cfg, unsigned int packages, unsigned int cores,
			 unsigned int threads)
{
	cfg->packages = packages;
	cfg->cores_per_package = cores;
	cfg->threads_per_core = threads;
}

/*
 * KeyIDs: KeyID 0 is the TME key, MK-TME KeyIDs follow it and the TDX private KeyIDs take the
 * rest, so 1 + mktme + tdx must fit in keyid_bits.
 */
static void set_keyids(struct machine_config *cfg, unsigned int maxphyaddr, unsigned int bits,
		       uint32_t mktme, uint32_t tdx)
{
	cfg->maxphyaddr = maxphyaddr;
	cfg->keyid_bits = bits;
	cfg->mktme_keyids = mktme;
	cfg->tdx_keyids = tdx;
}

/* A client machine: 16 GiB with the usual holes. */
static void preset_laptop(struct machine_config *cfg)
{
	set_topology(cfg, 1, 4, 2);
	add_low_ram(cfg);
	add_ram(cfg, 4 * GiB, 18 * GiB, 0);
	set_keyids(cfg, 46, 6, 31, 32);
}

/* Two sockets of 112 cores without SMT, 1 TiB: half of it on each socket's node. */
static void preset_2s_224lp(struct machine_config *cfg)
{
	set_topology(cfg, 2, 112, 1);
	add_low_ram(cfg);
	add_ram(cfg, 4 * GiB, 514 * GiB, 0);
	add_ram(cfg, 516 * GiB, 1028 * GiB, 1);
	set_keyids(cfg, 52, 7, 63, 64);
}

/* The largest machine the platform supports, with little memory, for scaling tests. */
static void preset_1024lp(struct machine_config *cfg)
{
	unsigned int node;

	set_topology(cfg, 4, 128, 2);
	add_low_ram(cfg);
	for (node = 1; node < 4; node++)
		add_ram(cfg, (2 + 2 * node) * GiB, (4 + 2 * node) * GiB, node);
	set_keyids(cfg, 52, 7, 63, 64);
}

/* Small and fast to boot, for unit tests. */
static void preset_tiny(struct machine_config *cfg)
{
	set_topology(cfg, 1, 2, 1);
	add_ram(cfg, 0, 640 * KiB, 0);
	add_ram(cfg, 1 * MiB, 1 * GiB, 0);
	set_keyids(cfg, 46, 6, 31, 32);
}

struct preset {
	const char *name;
	void (*fill)(struct machine_config *cfg);
};

static const struct preset presets[] = {
	{"laptop", preset_laptop},
	{"2s-224lp-1t", preset_2s_224lp},
	{"1024lp", preset_1024lp},
	{"tiny", preset_tiny},
};

#define NR_PRESETS (sizeof(presets) / sizeof(presets[0]))

static const char *const preset_names[NR_PRESETS + 1] = {
	"laptop", "2s-224lp-1t", "1024lp", "tiny", NULL,
};

const char *const *machine_preset_names(void)
{
	return preset_names;
}

int machine_preset(const char *name, struct machine_config *cfg)
{
	size_t i;

	if (!name || !cfg)
		return -EINVAL;
	for (i = 0; i < NR_PRESETS; i++) {
		if (strcmp(presets[i].name, name) == 0) {
			preset_common(cfg, name);
			presets[i].fill(cfg);
			return 0;
		}
	}
	return -ENOENT;
}

uint64_t machine_ram_bytes(const struct machine_config *cfg)
{
	uint64_t total = 0;
	unsigned int i;

	for (i = 0; i < cfg->nr_ram && i < PLATFORM_MAX_RANGES; i++)
		total += cfg->ram[i].size;
	return total;
}

void machine_default_cmrs(struct machine_config *cfg)
{
	unsigned int i;

	if (cfg->nr_cmrs || cfg->nr_ram > PLATFORM_MAX_CMRS)
		return;
	for (i = 0; i < cfg->nr_ram; i++)
		cfg->cmr[i] = (struct phys_range){cfg->ram[i].base, cfg->ram[i].size, 0};
	cfg->nr_cmrs = cfg->nr_ram;
}

/* ------------------------------------------------------------------------------------------
 * Validation
 */

static int fail(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

static uint64_t range_end(const struct phys_range *r)
{
	return r->base + r->size;
}

/* A list of ranges must be what the BIOS reports: page-granular, sorted, disjoint. */
static int validate_ranges(const struct phys_range *r, unsigned int n, const char *what,
			   uint64_t limit, char *err, size_t errlen)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		if (!r[i].size)
			return fail(err, errlen, "%s range %u is empty", what, i);
		if ((r[i].base | r[i].size) & ~PAGE_MASK)
			return fail(err, errlen,
				    "%s range %u [0x%llx, +0x%llx) is not page-aligned", what, i,
				    (unsigned long long)r[i].base, (unsigned long long)r[i].size);
		if (range_end(&r[i]) < r[i].base || range_end(&r[i]) > limit)
			return fail(err, errlen,
				    "%s range %u [0x%llx, +0x%llx) is above the physical address "
				    "limit 0x%llx",
				    what, i, (unsigned long long)r[i].base,
				    (unsigned long long)r[i].size, (unsigned long long)limit);
		if (i && r[i].base < range_end(&r[i - 1]))
			return fail(err, errlen, "%s range %u is not sorted or overlaps range %u",
				    what, i, i - 1);
	}
	return 0;
}

/* Is [base, end) covered by the sorted ranges r (adjacent ranges count as one)? */
bool ranges_cover(const struct phys_range *r, unsigned int n, uint64_t base, uint64_t end)
{
	unsigned int i;

	for (i = 0; i < n && base < end; i++) {
		if (r[i].base <= base && base - r[i].base < r[i].size)
			base = range_end(&r[i]);
	}
	return base >= end;
}

static int validate_topology(const struct machine_config *cfg, char *err, size_t errlen)
{
	uint64_t lps;

	if (cfg->packages < 1 || cfg->packages > PLATFORM_MAX_PACKAGES)
		return fail(err, errlen, "packages must be 1..%d, not %u", PLATFORM_MAX_PACKAGES,
			    cfg->packages);
	if (cfg->cores_per_package < 1)
		return fail(err, errlen, "cores_per_package must be at least 1");
	if (cfg->threads_per_core < 1)
		return fail(err, errlen, "threads_per_core must be at least 1");
	lps = (uint64_t)cfg->packages * cfg->cores_per_package * cfg->threads_per_core;
	if (lps > PLATFORM_MAX_LPS)
		return fail(err, errlen, "%llu LPs: at most %d are supported",
			    (unsigned long long)lps, PLATFORM_MAX_LPS);
	if (cfg->online_lps > lps)
		return fail(err, errlen, "online_lps %u exceeds the %llu LPs", cfg->online_lps,
			    (unsigned long long)lps);
	return 0;
}

/*
 * MAXPHYADDR counts the KeyID bits: the KeyID takes the top keyid_bits of a physical address,
 * so memory must lie below 2^(maxphyaddr - keyid_bits).
 */
static int validate_keyids(const struct machine_config *cfg, char *err, size_t errlen)
{
	uint64_t nr_keyids;

	if (cfg->maxphyaddr < 36 || cfg->maxphyaddr > 52)
		return fail(err, errlen, "maxphyaddr must be 36..52, not %u", cfg->maxphyaddr);
	/* IA32_TME_CAPABILITY.MK_TME_MAX_KEYID_BITS is a 4-bit field */
	if (cfg->keyid_bits > 15)
		return fail(err, errlen, "keyid_bits must be at most 15, not %u", cfg->keyid_bits);
	nr_keyids = 1ULL + cfg->mktme_keyids + cfg->tdx_keyids;
	if (nr_keyids > 1ULL << cfg->keyid_bits)
		return fail(err, errlen,
			    "1 + mktme_keyids %u + tdx_keyids %u exceeds the %llu KeyIDs of "
			    "keyid_bits %u",
			    cfg->mktme_keyids, cfg->tdx_keyids,
			    (unsigned long long)(1ULL << cfg->keyid_bits), cfg->keyid_bits);
	/* The TDX module needs one KeyID for its own metadata and one for each TD. */
	if (cfg->tdx_keyids == 1)
		return fail(err, errlen, "tdx_keyids must be 0 or at least 2, not 1");
	return 0;
}

static int validate_memory(const struct machine_config *cfg, char *err, size_t errlen)
{
	uint64_t limit = 1ULL << (cfg->maxphyaddr - cfg->keyid_bits);
	unsigned int i;
	int ret;

	if (cfg->nr_ram < 1 || cfg->nr_ram > PLATFORM_MAX_RANGES)
		return fail(err, errlen, "nr_ram must be 1..%d, not %u", PLATFORM_MAX_RANGES,
			    cfg->nr_ram);
	ret = validate_ranges(cfg->ram, cfg->nr_ram, "ram", limit, err, errlen);
	if (ret)
		return ret;
	for (i = 0; i < cfg->nr_ram; i++) {
		if (cfg->ram[i].node >= cfg->packages)
			return fail(err, errlen,
				    "ram range %u is on node %u, but there are %u packages", i,
				    cfg->ram[i].node, cfg->packages);
	}
	if (cfg->nr_cmrs > PLATFORM_MAX_CMRS)
		return fail(err, errlen, "nr_cmrs must be at most %d, not %u", PLATFORM_MAX_CMRS,
			    cfg->nr_cmrs);
	if (!cfg->nr_cmrs && cfg->nr_ram > PLATFORM_MAX_CMRS)
		return fail(err, errlen, "%u ram ranges need explicit CMRs (at most %d)",
			    cfg->nr_ram, PLATFORM_MAX_CMRS);
	ret = validate_ranges(cfg->cmr, cfg->nr_cmrs, "cmr", limit, err, errlen);
	if (ret)
		return ret;
	/* The module converts CMR pages; a CMR over a hole would hand it memory that isn't. */
	for (i = 0; i < cfg->nr_cmrs; i++) {
		if (!ranges_cover(cfg->ram, cfg->nr_ram, cfg->cmr[i].base, range_end(&cfg->cmr[i])))
			return fail(err, errlen, "cmr range %u [0x%llx, 0x%llx) is not all RAM", i,
				    (unsigned long long)cfg->cmr[i].base,
				    (unsigned long long)range_end(&cfg->cmr[i]));
	}
	return 0;
}

/* A tick much faster than this would leave guest code no time between microsecond traps. */
#define MAX_TIMER_HZ 100000

int machine_config_validate(const struct machine_config *cfg, char *err, size_t errlen)
{
	int ret;

	if (!cfg)
		return fail(err, errlen, "no configuration");
	if (!memchr(cfg->name, '\0', sizeof(cfg->name)))
		return fail(err, errlen, "name is not terminated");
	ret = validate_topology(cfg, err, errlen);
	if (!ret)
		ret = validate_keyids(cfg, err, errlen);
	if (!ret)
		ret = validate_memory(cfg, err, errlen);
	if (ret)
		return ret;
	if (cfg->cpuid_mode > CPUID_TRAP_REWRITE)
		return fail(err, errlen, "cpuid_mode %u is not a mode", cfg->cpuid_mode);
	if (cfg->timer_hz > MAX_TIMER_HZ)
		return fail(err, errlen, "timer_hz must be at most %d, not %u", MAX_TIMER_HZ,
			    cfg->timer_hz);
	/* CPUID(1).EAX: bits 31:28 and 15:14 are reserved [SDM vol. 2A CPUID] */
	if (cfg->cpu_fms & 0xf000c000U)
		return fail(err, errlen, "cpu_fms 0x%x sets reserved bits (31:28, 15:14)",
			    cfg->cpu_fms);
	return 0;
}

/* ------------------------------------------------------------------------------------------
 * Configuration files
 */

struct parser {
	const char *origin;
	unsigned int line;
	char *err;
	size_t errlen;
	struct machine_config cfg;
	bool seen_key; /* a key other than `preset` was set */
	bool ram_set;  /* the file's first `ram` line replaced the preset's map */
	bool cmr_set;
};

static int perr(struct parser *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int perr(struct parser *p, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return fail(p->err, p->errlen, "%s:%u: %s", p->origin, p->line, msg);
}

static char *skip_space(char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	return s;
}

static void trim_end(char *s)
{
	size_t n = strlen(s);

	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
		s[--n] = '\0';
}

static int suffix_shift(char c)
{
	switch (c) {
	case 'K':
	case 'k':
		return 10;
	case 'M':
	case 'm':
		return 20;
	case 'G':
	case 'g':
		return 30;
	case 'T':
	case 't':
		return 40;
	}
	return -1;
}

/* Decimal or 0x-hex, with a binary K/M/G/T multiplier where sizes are allowed. */
static bool parse_u64(const char *tok, bool sized, uint64_t *out)
{
	const char *s = tok;
	unsigned int base = 10, digit;
	uint64_t v = 0;
	int shift;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	}
	if (!*s)
		return false;
	for (; *s; s++) {
		if (*s >= '0' && *s <= '9')
			digit = *s - '0';
		else if (base == 16 && *s >= 'a' && *s <= 'f')
			digit = *s - 'a' + 10;
		else if (base == 16 && *s >= 'A' && *s <= 'F')
			digit = *s - 'A' + 10;
		else
			break;
		if (__builtin_mul_overflow(v, base, &v) || __builtin_add_overflow(v, digit, &v))
			return false;
	}
	if (s == tok || (base == 16 && s == tok + 2))
		return false;
	if (*s) {
		shift = sized ? suffix_shift(*s) : -1;
		if (shift < 0 || s[1] || (v << shift) >> shift != v)
			return false;
		v <<= shift;
	}
	*out = v;
	return true;
}

static int parse_uint(struct parser *p, const char *val, unsigned int *out)
{
	uint64_t v;

	if (!parse_u64(val, false, &v))
		return perr(p, "bad number '%s'", val);
	if (v > UINT32_MAX)
		return perr(p, "number out of range '%s'", val);
	*out = (unsigned int)v;
	return 0;
}

struct range_syntax {
	uint64_t base, end;
	unsigned int node;
	bool has_node;
};

static void trim(char **s)
{
	*s = skip_space(*s);
	trim_end(*s);
}

/* "BASE-END [node=N]" or "BASE +SIZE [node=N]" */
static int parse_range_syntax(struct parser *p, const char *what, const char *val,
			      struct range_syntax *rs)
{
	char buf[CFG_MAX_LINE], *first = buf, *second, *rest, *op, opc;
	uint64_t n;

	/* tokens are cut in place, and messages quote the whole value */
	snprintf(buf, sizeof(buf), "%s", val);
	memset(rs, 0, sizeof(*rs));
	op = strpbrk(buf, "+-");
	if (!op)
		goto syntax;
	opc = *op;
	*op = '\0';
	trim(&first);
	second = skip_space(op + 1);
	rest = second + strcspn(second, " \t");
	if (*rest)
		*rest++ = '\0';
	trim(&rest);
	if (!*first || !*second)
		goto syntax;
	if (!parse_u64(first, true, &rs->base))
		return perr(p, "bad number '%s'", first);
	if (!parse_u64(second, true, &n))
		return perr(p, "bad number '%s'", second);
	rs->end = n;
	if (opc == '+' && __builtin_add_overflow(rs->base, n, &rs->end))
		return perr(p, "%s range '%s' overflows", what, val);
	if (*rest) {
		if (strncmp(rest, "node=", 5) != 0 || strpbrk(rest, " \t"))
			goto syntax;
		if (parse_uint(p, rest + 5, &rs->node))
			return -EINVAL;
		rs->has_node = true;
	}
	if (rs->end <= rs->base)
		return perr(p, "empty %s range '%s'", what, val);
	if ((rs->base | rs->end) & ~PAGE_MASK)
		return perr(p, "%s range '%s' is not page-aligned", what, val);
	return 0;
syntax:
	return perr(p, "bad %s range '%s' (expected BASE-END or BASE +SIZE%s)", what, val,
		    strcmp(what, "ram") == 0 ? " [node=N]" : "");
}

/* Insert keeping the list sorted, so a file may list ranges in any order. */
static int insert_range(struct parser *p, const char *what, struct phys_range *list,
			unsigned int *n, unsigned int max, const struct range_syntax *rs)
{
	unsigned int i, pos = 0;

	for (i = 0; i < *n; i++) {
		if (rs->base < range_end(&list[i]) && list[i].base < rs->end)
			return perr(p, "%s range [0x%llx, 0x%llx) overlaps [0x%llx, 0x%llx)", what,
				    (unsigned long long)rs->base, (unsigned long long)rs->end,
				    (unsigned long long)list[i].base,
				    (unsigned long long)range_end(&list[i]));
		if (list[i].base < rs->base)
			pos = i + 1;
	}
	if (*n >= max)
		return perr(p, "too many %s ranges (max %u)", what, max);
	memmove(&list[pos + 1], &list[pos], (*n - pos) * sizeof(list[0]));
	list[pos] = (struct phys_range){rs->base, rs->end - rs->base, rs->node};
	(*n)++;
	return 0;
}

static int key_ram(struct parser *p, const char *val)
{
	struct range_syntax rs;

	if (parse_range_syntax(p, "ram", val, &rs))
		return -EINVAL;
	if (!p->ram_set) {
		p->cfg.nr_ram = 0;
		p->ram_set = true;
	}
	return insert_range(p, "ram", p->cfg.ram, &p->cfg.nr_ram, PLATFORM_MAX_RANGES, &rs);
}

static int key_cmr(struct parser *p, const char *val)
{
	struct range_syntax rs;

	if (parse_range_syntax(p, "cmr", val, &rs))
		return -EINVAL;
	if (rs.has_node)
		return perr(p, "bad cmr range '%s' (expected BASE-END or BASE +SIZE)", val);
	if (!p->cmr_set) {
		p->cfg.nr_cmrs = 0;
		p->cmr_set = true;
	}
	return insert_range(p, "cmr", p->cfg.cmr, &p->cfg.nr_cmrs, PLATFORM_MAX_CMRS, &rs);
}

static int key_preset(struct parser *p, const char *val)
{
	if (p->seen_key)
		return perr(p, "'preset' must come before other keys");
	if (machine_preset(val, &p->cfg))
		return perr(p, "unknown preset '%s'", val);
	return 0;
}

static int key_name(struct parser *p, const char *val)
{
	if (strlen(val) >= sizeof(p->cfg.name))
		return perr(p, "name too long (max %zu characters)", sizeof(p->cfg.name) - 1);
	strcpy(p->cfg.name, val);
	return 0;
}

/* A keyword value: index of val in words[], or an error naming the choices. */
/* Which of words (NULL-terminated) val is: 0 and its index, or -EINVAL and "a|b|c" in choices. */
static int find_choice(const char *val, const char *const *words, unsigned int *out,
		       char choices[64])
{
	choices[0] = 0;
	for (unsigned int i = 0; words[i]; i++) {
		if (strcmp(words[i], val) == 0) {
			*out = i;
			return 0;
		}
		snprintf(choices + strlen(choices), 64 - strlen(choices), "%s%s", i ? "|" : "",
			 words[i]);
	}
	return -EINVAL;
}

static int parse_choice(struct parser *p, const char *key, const char *val,
			const char *const *words, unsigned int *out)
{
	char choices[64];

	if (!find_choice(val, words, out, choices))
		return 0;
	return perr(p, "bad value '%s' for %s (expected %s)", val, key, choices);
}

static int key_bool(struct parser *p, const char *key, const char *val, const char *yes,
		    const char *no, bool *out)
{
	const char *words[] = {yes, no, NULL};
	unsigned int i;

	if (parse_choice(p, key, val, words, &i))
		return -EINVAL;
	*out = i == 0;
	return 0;
}

/* The words of the `cpuid` key and of TDXSIM_CPUID, in enum cpuid_trap_mode order. */
static const char *const cpuid_words[] = {"auto", "faulting", "rewrite", NULL};

static int key_cpuid(struct parser *p, const char *val)
{
	unsigned int i;

	if (parse_choice(p, "cpuid", val, cpuid_words, &i))
		return -EINVAL;
	p->cfg.cpuid_mode = (enum cpuid_trap_mode)i;
	return 0;
}

int machine_config_apply_env(struct machine_config *cfg, char *err, size_t errlen)
{
	const char *val = getenv("TDXSIM_CPUID");
	char choices[64];
	unsigned int i;

	if (!val || !*val)
		return 0;
	if (find_choice(val, cpuid_words, &i, choices))
		return fail(err, errlen, "bad value '%s' for TDXSIM_CPUID (expected %s)", val,
			    choices);
	cfg->cpuid_mode = (enum cpuid_trap_mode)i;
	return 0;
}

struct uint_key {
	const char *key;
	size_t offset;
};

/* clang-format off */
#define UINT_KEY(k, field) { k, offsetof(struct machine_config, field) }
/* clang-format on */

static const struct uint_key uint_keys[] = {
	UINT_KEY("packages", packages),
	UINT_KEY("cores_per_package", cores_per_package),
	UINT_KEY("threads_per_core", threads_per_core),
	UINT_KEY("online_lps", online_lps),
	UINT_KEY("maxphyaddr", maxphyaddr),
	UINT_KEY("keyid_bits", keyid_bits),
	UINT_KEY("mktme_keyids", mktme_keyids),
	UINT_KEY("tdx_keyids", tdx_keyids),
	UINT_KEY("timer_hz", timer_hz),
	UINT_KEY("cpu_fms", cpu_fms),
};

_Static_assert(sizeof(unsigned int) == sizeof(uint32_t), "uint keys are stored as 32 bits");

static int set_key(struct parser *p, const char *key, const char *val)
{
	size_t i;

	if (strcmp(key, "preset") == 0)
		return key_preset(p, val);
	p->seen_key = true;
	for (i = 0; i < sizeof(uint_keys) / sizeof(uint_keys[0]); i++) {
		if (strcmp(key, uint_keys[i].key) == 0)
			return parse_uint(p, val,
					  (unsigned int *)((char *)&p->cfg + uint_keys[i].offset));
	}
	if (strcmp(key, "name") == 0)
		return key_name(p, val);
	if (strcmp(key, "ram") == 0)
		return key_ram(p, val);
	if (strcmp(key, "cmr") == 0)
		return key_cmr(p, val);
	if (strcmp(key, "seamrr") == 0)
		return key_bool(p, key, val, "on", "off", &p->cfg.seamrr_enabled);
	if (strcmp(key, "module") == 0)
		return key_bool(p, key, val, "present", "absent", &p->cfg.module_present);
	if (strcmp(key, "gate") == 0)
		return key_bool(p, key, val, "on", "off", &p->cfg.gate);
	if (strcmp(key, "cpuid") == 0)
		return key_cpuid(p, val);
	return perr(p, "unknown key '%s'", key);
}

static int parse_line(struct parser *p, char *line)
{
	char *eq, *key, *val;

	line[strcspn(line, "#")] = '\0';
	trim_end(line);
	key = skip_space(line);
	if (!*key)
		return 0;
	eq = strchr(key, '=');
	if (!eq || eq == key)
		return perr(p, "expected 'key = value'");
	*eq = '\0';
	trim_end(key);
	val = skip_space(eq + 1);
	if (!*val)
		return perr(p, "missing value for '%s'", key);
	return set_key(p, key, val);
}

static int parse_lines(struct parser *p, const char *text)
{
	char line[CFG_MAX_LINE];
	const char *s = text;
	size_t len;
	int ret;

	while (*s) {
		p->line++;
		len = strcspn(s, "\n");
		if (len >= sizeof(line))
			return perr(p, "line too long (max %zu characters)", sizeof(line) - 1);
		memcpy(line, s, len);
		line[len] = '\0';
		ret = parse_line(p, line);
		if (ret)
			return ret;
		s += len;
		if (*s)
			s++;
	}
	return 0;
}

int machine_config_parse(const char *text, const char *origin, struct machine_config *cfg,
			 char *err, size_t errlen)
{
	struct parser *p;
	char msg[256];
	int ret;

	if (!text || !cfg)
		return fail(err, errlen, "%s: no text or configuration", origin ? origin : "?");
	/* struct machine_config is a few KiB: keep it off small LP stacks */
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->origin = origin ? origin : "<config>";
	p->err = err;
	p->errlen = errlen;
	machine_preset("laptop", &p->cfg);
	ret = parse_lines(p, text);
	if (!ret && machine_config_validate(&p->cfg, msg, sizeof(msg)))
		ret = fail(err, errlen, "%s: %s", p->origin, msg);
	if (!ret)
		*cfg = p->cfg;
	free(p);
	return ret;
}

static int read_file(const char *path, char **out, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	struct stat st;
	char *buf;
	size_t n;
	int ret;

	if (!f) {
		ret = -errno;
		fail(err, errlen, "%s: %s", path, strerror(errno));
		return ret;
	}
	ret = -EFBIG;
	if (fstat(fileno(f), &st) || st.st_size > CFG_MAX_FILE) {
		fail(err, errlen, "%s: larger than %d bytes", path, CFG_MAX_FILE);
		goto out_close;
	}
	ret = -ENOMEM;
	buf = malloc(CFG_MAX_FILE + 1);
	if (!buf)
		goto out_close;
	n = fread(buf, 1, CFG_MAX_FILE + 1, f);
	ret = ferror(f) ? -EIO : n > CFG_MAX_FILE ? -EFBIG : 0;
	if (ret) {
		fail(err, errlen, "%s: %s", path, strerror(-ret));
		free(buf);
		goto out_close;
	}
	buf[n] = '\0';
	if (strlen(buf) != n) {
		fail(err, errlen, "%s: contains a NUL byte", path);
		free(buf);
		ret = -EINVAL;
		goto out_close;
	}
	*out = buf;
out_close:
	fclose(f);
	return ret;
}

int machine_config_load(const char *path, struct machine_config *cfg, char *err, size_t errlen)
{
	char *text = NULL;
	int ret;

	if (!path || !cfg)
		return fail(err, errlen, "no path or configuration");
	ret = read_file(path, &text, err, errlen);
	if (ret)
		return ret;
	ret = machine_config_parse(text, path, cfg, err, errlen);
	free(text);
	return ret;
}
