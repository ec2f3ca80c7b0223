// SPDX-License-Identifier: MIT
/*
 * Fault injection: the Nth call of a leaf returns a chosen status instead of running, so
 * that host error paths (RND_NO_ENTROPY retries, KEY_GENERATION_FAILED, BUSY statuses) can
 * be exercised on demand. Rules are set up before calls are made; the counters are
 * atomic, so rules can fire on any LP.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "module.h"

int tdx_module_inject(unsigned int leaf, unsigned int nth_call, uint64_t status)
{
	if (leaf > 255 || !status)
		return -EINVAL;
	for (unsigned int i = 0; i < TDX_INJECT_MAX_RULES; i++) {
		struct inject_rule *r = &tdxm.inject[i];

		if (r->used)
			continue;
		r->leaf = leaf;
		r->nth = nth_call;
		r->status = status;
		__atomic_store_n(&r->calls, 0, __ATOMIC_RELAXED);
		__atomic_store_n(&r->used, true, __ATOMIC_RELEASE);
		__atomic_store_n(&tdxm.inject_any, true, __ATOMIC_RELEASE);
		return 0;
	}
	return -ENOSPC;
}

void tdx_module_inject_clear(void)
{
	__atomic_store_n(&tdxm.inject_any, false, __ATOMIC_RELEASE);
	for (unsigned int i = 0; i < TDX_INJECT_MAX_RULES; i++)
		__atomic_store_n(&tdxm.inject[i].used, false, __ATOMIC_RELEASE);
}

unsigned int tdx_module_injected(unsigned int leaf)
{
	return leaf < 256 ? __atomic_load_n(&tdxm.injected[leaf], __ATOMIC_RELAXED) : 0;
}

uint64_t inject_check(unsigned int leaf)
{
	uint64_t status = 0;

	if (!__atomic_load_n(&tdxm.inject_any, __ATOMIC_ACQUIRE))
		return 0; /* no rule since the last clear: every SEAMCALL asks */
	for (unsigned int i = 0; i < TDX_INJECT_MAX_RULES; i++) {
		struct inject_rule *r = &tdxm.inject[i];
		unsigned int n;

		if (!__atomic_load_n(&r->used, __ATOMIC_ACQUIRE) || r->leaf != leaf)
			continue;
		/* Every rule for the leaf counts the call; the first that fires wins. */
		n = __atomic_add_fetch(&r->calls, 1, __ATOMIC_RELAXED);
		if (!status && (r->nth == TDX_INJECT_EVERY || r->nth == n))
			status = r->status;
	}
	if (status)
		__atomic_add_fetch(&tdxm.injected[leaf], 1, __ATOMIC_RELAXED);
	return status;
}

/* Statuses worth injecting, by name. */
static const struct {
	const char *name;
	uint64_t status;
} status_names[] = {
	{"RND_NO_ENTROPY", TDX_RND_NO_ENTROPY},
	{"KEY_GENERATION_FAILED", TDX_KEY_GENERATION_FAILED},
	{"SYS_BUSY", TDX_SYS_BUSY},
	{"OPERAND_BUSY", TDX_OPERAND_BUSY},
	{"OPERAND_INVALID", TDX_OPERAND_INVALID},
	{"SYS_NOT_READY", TDX_SYS_NOT_READY},
	{"SYS_SHUTDOWN", TDX_SYS_SHUTDOWN},
	{"INCORRECT_CPUID_VALUE", TDX_INCORRECT_CPUID_VALUE},
	{"INCONSISTENT_CPUID_FIELD", TDX_INCONSISTENT_CPUID_FIELD},
	{"INCONSISTENT_MSR", TDX_INCONSISTENT_MSR},
	{"INCORRECT_MSR_VALUE", TDX_INCORRECT_MSR_VALUE},
	{"SMRR_NOT_LOCKED", TDX_SMRR_NOT_LOCKED},
	{"INVALID_PKG_ID", TDX_INVALID_PKG_ID},
	{"TD_KEYS_NOT_CONFIGURED", TDX_TD_KEYS_NOT_CONFIGURED},
	{"WBCACHE_NOT_COMPLETE", TDX_WBCACHE_NOT_COMPLETE},
	{"INTERRUPTED_RESUMABLE", TDX_INTERRUPTED_RESUMABLE},
	{"INTERRUPTED_RESTARTABLE", TDX_INTERRUPTED_RESTARTABLE},
	{"PREVIOUS_TLB_EPOCH_BUSY", TDX_PREVIOUS_TLB_EPOCH_BUSY},
};

static int parse_status(const char *s, size_t len, uint64_t *out)
{
	char buf[64], *end;

	if (!len || len >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s, len);
	buf[len] = 0;
	if (buf[0] >= '0' && buf[0] <= '9') {
		*out = strtoull(buf, &end, 0);
		return *end || !*out ? -EINVAL : 0;
	}
	s = buf;
	if (!strncmp(s, "TDX_", 4))
		s += 4;
	for (size_t i = 0; i < sizeof(status_names) / sizeof(status_names[0]); i++) {
		if (!strcmp(s, status_names[i].name)) {
			*out = status_names[i].status;
			return 0;
		}
	}
	return -EINVAL;
}

static int parse_leaf(const char *s, size_t len)
{
	char buf[64], *end;
	unsigned long v;

	if (!len || len >= sizeof(buf))
		return -1;
	memcpy(buf, s, len);
	buf[len] = 0;
	if (buf[0] >= '0' && buf[0] <= '9') {
		v = strtoul(buf, &end, 0);
		return *end || v > 255 ? -1 : (int)v;
	}
	return tdx_seamcall_leaf_by_name(buf);
}

static int parse_rule(const char *s, size_t len, char *err, size_t errlen)
{
	const char *colon = memchr(s, ':', len);
	const char *eq = colon ? memchr(colon, '=', len - (size_t)(colon - s)) : NULL;
	unsigned long nth;
	uint64_t status;
	char nbuf[16], *end;
	size_t nlen;
	int leaf;

	if (!colon || !eq) {
		snprintf(err, errlen, "'%.*s': expected LEAF:N=STATUS", (int)len, s);
		return -EINVAL;
	}
	leaf = parse_leaf(s, (size_t)(colon - s));
	if (leaf < 0) {
		snprintf(err, errlen, "'%.*s': unknown leaf", (int)(colon - s), s);
		return -EINVAL;
	}
	nlen = (size_t)(eq - colon - 1);
	if (nlen == 1 && colon[1] == '*') {
		nth = TDX_INJECT_EVERY;
	} else {
		if (!nlen || nlen >= sizeof(nbuf)) {
			snprintf(err, errlen, "'%.*s': bad call number", (int)len, s);
			return -EINVAL;
		}
		memcpy(nbuf, colon + 1, nlen);
		nbuf[nlen] = 0;
		nth = strtoul(nbuf, &end, 10);
		if (*end || nth == 0 || nth > 0xFFFFFFFFUL) {
			snprintf(err, errlen, "'%s': bad call number (1, 2, ... or *)", nbuf);
			return -EINVAL;
		}
	}
	if (parse_status(eq + 1, len - (size_t)(eq + 1 - s), &status) < 0) {
		snprintf(err, errlen, "'%.*s': bad status", (int)(len - (size_t)(eq + 1 - s)),
			 eq + 1);
		return -EINVAL;
	}
	if (tdx_module_inject((unsigned int)leaf, (unsigned int)nth, status) < 0) {
		snprintf(err, errlen, "too many injection rules (max %d)", TDX_INJECT_MAX_RULES);
		return -EINVAL;
	}
	return 0;
}

int tdx_module_inject_parse(const char *spec, char *err, size_t errlen)
{
	char dummy[1];

	if (!err || !errlen) {
		err = dummy;
		errlen = sizeof(dummy);
	}
	err[0] = 0;
	if (!spec || !*spec) {
		snprintf(err, errlen, "empty injection spec");
		return -EINVAL;
	}
	while (*spec) {
		const char *comma = strchr(spec, ',');
		size_t len = comma ? (size_t)(comma - spec) : strlen(spec);

		if (parse_rule(spec, len, err, errlen) < 0)
			return -EINVAL;
		spec += len;
		if (*spec == ',' && !*++spec) {
			snprintf(err, errlen, "empty rule after ','");
			return -EINVAL;
		}
	}
	return 0;
}
