// SPDX-License-Identifier: MIT
/*
 * tdxsim run --trace-json FILE: the --trace lines as Chrome/Perfetto trace events, for
 * ui.perfetto.dev and chrome://tracing (docs/VMM.md "Trace pictures").
 *
 * The VMM writes its JSON lines (docs/VMM.md "--trace") into a pipe; a thread reads them as
 * they come, copies them whole to --trace's file when there is one, and writes trace events
 * in the object format: {"displayTimeUnit":"ns","otherData":{...},"traceEvents":[...]}.
 * One process (pid 1), one thread per vCPU (tid N + 1, named "vCPU N") and one for the host
 * (tid TJ_HOST_TID): the SEAMCALLs of the build and the teardown, notes and the TD's stop.
 * On a vCPU's track: a slice "guest" for each stay in the guest (from the entry, the exit
 * line's time less its guest_ns, to the exit), a slice for the VMM's handling of each exit
 * (from the exit to the next entry) named by its reason and TDVMCALL sub-function with the
 * registers as args, a slice "halted" inside a TDVMCALL<Instruction.HLT>'s, and instants for
 * the TDCALLs the module serves inside the TD, the #VEs, IPIs and MapGPA. Timestamps are
 * the trace's t_ns (CLOCK_MONOTONIC since the TD's creation) in microseconds.
 *
 * Every path out of tdxsim run ends the file the same way (trace_json_finish, or
 * trace_json_abandon when a second signal leaves at once): slices still open end at the
 * trace's end and the array and object are closed, so the file is always one JSON value.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tdx/apic.h"
#include "tdx/ghci.h"

#include "trace_json.h"

#define TJ_PID	     1
#define TJ_HOST_TID  10000 /* after every vCPU's tid (N + 1) */
#define TJ_MAX_VCPUS 1024  /* tracks kept; a vCPU above gets its events on no track */
#define TJ_FIELDS    48
#define TJ_FLOWS     16 /* IPI arrows waiting for their target's next entry */

/* One key and its raw JSON value (a string with its quotes, an object, a number, true). */
struct field {
	const char *key, *val;
	size_t klen, vlen;
};

struct line {
	struct field f[TJ_FIELDS];
	int n;
};

struct vcpu_track {
	bool pending; /* an exit whose handling slice waits for the next entry */
	bool halt;    /* that exit is a TDVMCALL<Instruction.HLT> */
	uint64_t exit_ns, entries;
	char name[96];
	char args[1536]; /* the exit's args, a JSON object */
	/* IPIs sent to this vCPU whose arrow ends at its next entry (TJ_FLOWS at most) */
	struct {
		uint64_t id, ns;
	} flows[TJ_FLOWS];
	unsigned int nr_flows;
};

struct trace_json {
	FILE *out, *vmm_w;
	int in_fd, tee_fd;
	pthread_t thread;
	pthread_mutex_t lock; /* out, the tracks, closed */
	bool closed, first;
	int out_errno, tee_errno;
	unsigned int nr_vcpus, shared_bit;
	struct vcpu_track *v;
	uint64_t last_ns, stop_ns, flow_id;
	bool stopped;
	char *buf; /* read from the pipe, not yet a whole line */
	size_t len, cap;
};

/* ---- reading a line ------------------------------------------------------------------- */

static size_t skip_string(const char *s, size_t i, size_t n)
{
	for (i++; i < n; i++) {
		if (s[i] == '\\')
			i++;
		else if (s[i] == '"')
			return i + 1;
	}
	return SIZE_MAX;
}

/* The end of the value at s[i]; SIZE_MAX when it is not whole. */
static size_t skip_value(const char *s, size_t i, size_t n)
{
	int depth = 0;

	if (i >= n)
		return SIZE_MAX;
	if (s[i] == '"')
		return skip_string(s, i, n);
	if (s[i] == '{' || s[i] == '[') {
		while (i < n) {
			if (s[i] == '"') {
				i = skip_string(s, i, n);
				if (i == SIZE_MAX)
					return SIZE_MAX;
				continue;
			}
			if (s[i] == '{' || s[i] == '[')
				depth++;
			else if ((s[i] == '}' || s[i] == ']') && --depth == 0)
				return i + 1;
			i++;
		}
		return SIZE_MAX;
	}
	while (i < n && s[i] != ',' && s[i] != '}' && s[i] != ']')
		i++;
	return i;
}

/* The top-level keys of one object as the VMM writes it (no spaces); false if it is not. */
static bool parse_line(const char *s, size_t n, struct line *l)
{
	size_t i = 1;

	l->n = 0;
	if (n < 2 || s[0] != '{')
		return false;
	if (n == 2)
		return s[1] == '}';
	for (;;) {
		size_t k, v;

		if (s[i] != '"')
			return false;
		k = skip_string(s, i, n);
		if (k == SIZE_MAX || k >= n || s[k] != ':')
			return false;
		v = skip_value(s, k + 1, n);
		if (v == SIZE_MAX || v == k + 1 || v >= n)
			return false;
		if (l->n < TJ_FIELDS)
			l->f[l->n++] = (struct field){.key = s + i + 1,
						      .klen = k - i - 2,
						      .val = s + k + 1,
						      .vlen = v - k - 1};
		i = v;
		if (s[i] == '}')
			return i + 1 == n;
		if (s[i] != ',' || ++i >= n)
			return false;
	}
}

static const struct field *get(const struct line *l, const char *key)
{
	size_t n = strlen(key);

	for (int i = 0; i < l->n; i++)
		if (l->f[i].klen == n && !memcmp(l->f[i].key, key, n))
			return &l->f[i];
	return NULL;
}

/* A number, or a string holding one ("0x4d"); 0 when absent. */
static uint64_t num(const struct line *l, const char *key)
{
	const struct field *f = get(l, key);
	char tmp[32];
	size_t n;

	if (!f)
		return 0;
	n = f->vlen < sizeof(tmp) ? f->vlen : sizeof(tmp) - 1;
	memcpy(tmp, f->val, n);
	tmp[n] = 0;
	return strtoull(tmp[0] == '"' ? tmp + 1 : tmp, NULL, 0);
}

/* A string's content without its quotes (escapes kept as they are: still valid in JSON). */
static bool str(const struct line *l, const char *key, const char **s, int *len)
{
	const struct field *f = get(l, key);

	if (!f || f->vlen < 2 || f->val[0] != '"')
		return false;
	*s = f->val + 1;
	*len = (int)f->vlen - 2;
	return true;
}

static bool str_is(const struct line *l, const char *key, const char *want)
{
	const char *s;
	int n;

	return str(l, key, &s, &n) && (size_t)n == strlen(want) && !memcmp(s, want, (size_t)n);
}

/* ---- writing events ------------------------------------------------------------------- */

static void put_json_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

/* The start of an event up to its ts: {"ph":..,"cat":..,"pid":1,"tid":..,"ts":.. */
static void ev(struct trace_json *tj, const char *ph, const char *cat, unsigned int tid,
	       uint64_t ns)
{
	fprintf(tj->out,
		"%s{\"ph\":\"%s\",\"cat\":\"%s\",\"pid\":%d,\"tid\":%u,\"ts\":%" PRIu64 ".%03u",
		tj->first ? "\n" : ",\n", ph, cat, TJ_PID, tid, ns / 1000,
		(unsigned int)(ns % 1000));
	tj->first = false;
}

static void put_dur(struct trace_json *tj, uint64_t ns)
{
	fprintf(tj->out, ",\"dur\":%" PRIu64 ".%03u", ns / 1000, (unsigned int)(ns % 1000));
}

/* "args":{...}: every field of @l but t_ns and those in @skip (NULL-terminated). */
static void put_args(struct trace_json *tj, const struct line *l, const char *const *skip)
{
	bool first = true;

	fputs(",\"args\":{", tj->out);
	for (int i = 0; i < l->n; i++) {
		const struct field *f = &l->f[i];
		bool skipped = f->klen == 4 && !memcmp(f->key, "t_ns", 4);

		for (const char *const *k = skip; k && *k && !skipped; k++)
			skipped = strlen(*k) == f->klen && !memcmp(f->key, *k, f->klen);
		if (skipped)
			continue;
		fprintf(tj->out, "%s\"%.*s\":%.*s", first ? "" : ",", (int)f->klen, f->key,
			(int)f->vlen, f->val);
		first = false;
	}
	fputc('}', tj->out);
}

static void metadata(struct trace_json *tj, unsigned int tid, const char *what, const char *key,
		     const char *name, int value)
{
	fprintf(tj->out,
		"%s{\"ph\":\"M\",\"cat\":\"__metadata\",\"pid\":%d,\"tid\":%u,\"ts\":0,"
		"\"name\":\"%s\",\"args\":{\"%s\":",
		tj->first ? "\n" : ",\n", TJ_PID, tid, what, key);
	if (name)
		put_json_string(tj->out, name);
	else
		fprintf(tj->out, "%d", value);
	fputs("}}", tj->out);
	tj->first = false;
}

/* ---- TD exits ------------------------------------------------------------------------- */

static const char *tdvmcall_name(uint64_t r11)
{
	switch (r11) {
	case TDVMCALL_INSTRUCTION_CPUID:
		return "Instruction.CPUID";
	case TDVMCALL_INSTRUCTION_HLT:
		return "Instruction.HLT";
	case TDVMCALL_INSTRUCTION_IO:
		return "Instruction.IO";
	case TDVMCALL_INSTRUCTION_RDMSR:
		return "Instruction.RDMSR";
	case TDVMCALL_INSTRUCTION_WRMSR:
		return "Instruction.WRMSR";
	case TDVMCALL_VE_REQUEST_MMIO:
		return "#VE.RequestMMIO";
	case TDVMCALL_INSTRUCTION_WBINVD:
		return "Instruction.WBINVD";
	case TDVMCALL_GET_TD_VM_CALL_INFO:
		return "GetTdVmCallInfo";
	case TDVMCALL_MAP_GPA:
		return "MapGPA";
	case TDVMCALL_GET_QUOTE:
		return "GetQuote";
	case TDVMCALL_REPORT_FATAL_ERROR:
		return "ReportFatalError";
	case TDVMCALL_SETUP_EVENT_NOTIFY_INTERRUPT:
		return "SetupEventNotifyInterrupt";
	default:
		return NULL;
	}
}

static const char *const exit_regs[] = {"rcx", "rdx", "r8",  "r9",  "r10",
					"r11", "r12", "r13", "r14", "r15"};

/* Append to a fixed buffer, cut at its end. */
static void add(char *buf, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void add(char *buf, size_t len, const char *fmt, ...)
{
	size_t n = strlen(buf);
	va_list ap;

	if (n + 1 >= len)
		return;
	va_start(ap, fmt);
	vsnprintf(buf + n, len - n, fmt, ap);
	va_end(ap);
}

/* The handling slice of @t's exit, [exit, @end), and "halted" inside it for a halt. */
static void end_exit(struct trace_json *tj, unsigned int v, struct vcpu_track *t, uint64_t end)
{
	uint64_t dur = end > t->exit_ns ? end - t->exit_ns : 0;

	ev(tj, "X", "exit", v + 1, t->exit_ns);
	put_dur(tj, dur);
	fprintf(tj->out, ",\"name\":\"%s\",\"args\":%s}", t->name, t->args);
	if (t->halt) {
		ev(tj, "X", "halt", v + 1, t->exit_ns);
		put_dur(tj, dur);
		fputs(",\"name\":\"halted\",\"args\":{}}", tj->out);
	}
	t->pending = false;
}

/* The IPI that a WRMSR of the x2APIC ICR sends: an instant on the sender's track. */
static void ipi(struct trace_json *tj, unsigned int v, uint64_t ns, uint64_t icr)
{
	unsigned int sh =
		(unsigned int)((icr & APIC_ICR_SHORTHAND_MASK) >> APIC_ICR_SHORTHAND_SHIFT);
	uint32_t dest = (uint32_t)(icr >> APIC_ICR_DEST_SHIFT);
	static const char *const shorthand[] = {"", "self", "all", "all others"};
	char to[32];

	if (sh)
		snprintf(to, sizeof(to), "%s", shorthand[sh]);
	else
		snprintf(to, sizeof(to), "vCPU %u", dest);
	ev(tj, "i", "ipi", v + 1, ns);
	fprintf(tj->out,
		",\"s\":\"t\",\"name\":\"IPI to %s\",\"args\":{\"from\":\"vCPU %u\",\"to\":\"%s\","
		"\"vector\":%u,\"icr\":\"0x%" PRIx64 "\"}}",
		to, v, to, (unsigned int)(icr & APIC_ICR_VECTOR_MASK), icr);
	/* An arrow (flow) from here to each target's next entry into the guest. */
	for (unsigned int t = 0; t < tj->nr_vcpus && t < TJ_MAX_VCPUS; t++) {
		struct vcpu_track *tt = &tj->v[t];

		if (sh == 0 ? t != dest : sh == 1 ? t != v : sh == 3 && t == v)
			continue;
		if (tt->nr_flows == TJ_FLOWS)
			continue;
		tt->flows[tt->nr_flows].id = ++tj->flow_id;
		tt->flows[tt->nr_flows++].ns = ns;
		ev(tj, "s", "ipi", v + 1, ns);
		fprintf(tj->out, ",\"name\":\"IPI\",\"id\":%" PRIu64 "}", tj->flow_id);
	}
}

/* The arrows of the IPIs sent to @v before @ns (its entry) end here, or all at the end. */
static void end_flows(struct trace_json *tj, unsigned int v, uint64_t ns, bool all)
{
	struct vcpu_track *t = &tj->v[v];
	unsigned int kept = 0;

	for (unsigned int i = 0; i < t->nr_flows; i++) {
		if (!all && t->flows[i].ns > ns) {
			t->flows[kept++] = t->flows[i];
			continue;
		}
		ev(tj, "f", "ipi", v + 1, ns);
		fprintf(tj->out, ",\"bp\":\"e\",\"name\":\"IPI\",\"id\":%" PRIu64 "}",
			t->flows[i].id);
	}
	t->nr_flows = kept;
}

static void map_gpa(struct trace_json *tj, unsigned int v, uint64_t ns, uint64_t gpa, uint64_t size)
{
	uint64_t shared = 1ULL << tj->shared_bit, start = gpa & ~shared;
	const char *dir = gpa & shared ? "to shared" : "to private";

	ev(tj, "i", "map_gpa", v + 1, ns);
	fprintf(tj->out,
		",\"s\":\"t\",\"name\":\"MapGPA "
		"%s\",\"args\":{\"direction\":\"%s\",\"start\":\"0x%" PRIx64
		"\",\"end\":\"0x%" PRIx64 "\",\"size\":\"0x%" PRIx64 "\",\"gpa\":\"0x%" PRIx64
		"\"}}",
		dir, dir, start, start + size, size, gpa);
}

static void exit_line(struct trace_json *tj, const struct line *l)
{
	uint64_t ns = num(l, "t_ns"), guest = num(l, "guest_ns");
	uint64_t entry = ns >= guest ? ns - guest : 0, r10 = num(l, "r10"), r11 = num(l, "r11");
	uint64_t r12 = num(l, "r12"), r13 = num(l, "r13"), r14 = num(l, "r14"), r15 = num(l, "r15");
	unsigned int v = (unsigned int)num(l, "vcpu");
	bool tdvmcall = str_is(l, "exit", "TDCALL") && !r10;
	const char *reason, *sub = tdvmcall ? tdvmcall_name(r11) : NULL;
	struct vcpu_track *t;
	int rlen;

	if (v >= TJ_MAX_VCPUS || !str(l, "exit", &reason, &rlen))
		return;
	t = &tj->v[v];
	if (t->pending)
		end_exit(tj, v, t, entry);
	ev(tj, "X", "guest", v + 1, entry);
	put_dur(tj, ns - entry);
	fprintf(tj->out, ",\"name\":\"guest\",\"args\":{\"entry\":%" PRIu64 "}}", ++t->entries);
	end_flows(tj, v, entry, false);

	t->pending = true;
	t->exit_ns = ns;
	t->halt = tdvmcall && r11 == TDVMCALL_INSTRUCTION_HLT;
	if (tdvmcall && sub)
		snprintf(t->name, sizeof(t->name), "%.*s %s", rlen, reason, sub);
	else if (tdvmcall)
		snprintf(t->name, sizeof(t->name), "%.*s 0x%" PRIx64, rlen, reason, r11);
	else
		snprintf(t->name, sizeof(t->name), "%.*s", rlen, reason);
	snprintf(t->args, sizeof(t->args), "{\"reason\":\"%.*s\"", rlen, reason);
	add(t->args, sizeof(t->args), ",\"status\":\"0x%" PRIx64 "\"", num(l, "status"));
	if (tdvmcall)
		add(t->args, sizeof(t->args), ",\"tdvmcall\":\"%s\"", sub ? sub : "?");
	if (tdvmcall && (r11 == TDVMCALL_INSTRUCTION_IO || r11 == TDVMCALL_VE_REQUEST_MMIO)) {
		bool io = r11 == TDVMCALL_INSTRUCTION_IO;

		add(t->args, sizeof(t->args), ",\"%s\":\"0x%" PRIx64 "\",\"size\":%" PRIu64,
		    io ? "port" : "gpa", r14, r12);
		add(t->args, sizeof(t->args), ",\"direction\":\"%s\"", r13 ? "write" : "read");
		if (r13)
			add(t->args, sizeof(t->args), ",\"value\":\"0x%" PRIx64 "\"", r15);
	} else if (tdvmcall &&
		   (r11 == TDVMCALL_INSTRUCTION_RDMSR || r11 == TDVMCALL_INSTRUCTION_WRMSR)) {
		add(t->args, sizeof(t->args), ",\"msr\":\"0x%" PRIx64 "\"", r12);
		if (r11 == TDVMCALL_INSTRUCTION_WRMSR)
			add(t->args, sizeof(t->args), ",\"value\":\"0x%" PRIx64 "\"", r13);
	} else if (tdvmcall && r11 == TDVMCALL_INSTRUCTION_HLT) {
		add(t->args, sizeof(t->args), ",\"interrupts_blocked\":%" PRIu64, r12);
	} else if (tdvmcall && r11 == TDVMCALL_INSTRUCTION_CPUID) {
		add(t->args, sizeof(t->args),
		    ",\"leaf\":\"0x%" PRIx64 "\",\"subleaf\":\"0x%" PRIx64 "\"", r12, r13);
	} else if (tdvmcall && r11 == TDVMCALL_MAP_GPA) {
		uint64_t shared = 1ULL << tj->shared_bit;

		add(t->args, sizeof(t->args),
		    ",\"direction\":\"%s\",\"start\":\"0x%" PRIx64 "\",\"size\":\"0x%" PRIx64 "\"",
		    r12 & shared ? "to shared" : "to private", r12 & ~shared, r13);
	} else if (str_is(l, "exit", "EPT_VIOLATION")) {
		add(t->args, sizeof(t->args),
		    ",\"gpa\":\"0x%" PRIx64 "\",\"qualification\":\"0x%" PRIx64 "\"", num(l, "r8"),
		    num(l, "rcx"));
	}
	for (size_t i = 0; i < sizeof(exit_regs) / sizeof(exit_regs[0]); i++) {
		const struct field *f = get(l, exit_regs[i]);

		if (f)
			add(t->args, sizeof(t->args), ",\"%s\":%.*s", exit_regs[i], (int)f->vlen,
			    f->val);
	}
	add(t->args, sizeof(t->args), "}");

	if (tdvmcall && r11 == TDVMCALL_INSTRUCTION_WRMSR && r12 == X2APIC_MSR_ICR)
		ipi(tj, v, ns, r13);
	if (tdvmcall && r11 == TDVMCALL_MAP_GPA)
		map_gpa(tj, v, ns, r12, r13);
}

/* ---- one line ------------------------------------------------------------------------- */

static void convert(struct trace_json *tj, const char *s, size_t n)
{
	static const char *const tdcall_skip[] = {"lp", "vcpu", "tdcall", NULL};
	static const char *const ve_skip[] = {"lp", "vcpu", "ve", NULL};
	static const char *const seamcall_skip[] = {"seamcall", NULL};
	static const char *const stop_skip[] = {"stop", NULL};
	struct line l;
	const char *name;
	int len;
	uint64_t ns;

	if (!parse_line(s, n, &l) || !get(&l, "t_ns"))
		return;
	ns = num(&l, "t_ns");
	if (ns > tj->last_ns)
		tj->last_ns = ns;
	if (get(&l, "exit")) {
		exit_line(tj, &l);
	} else if (str(&l, "tdcall", &name, &len)) {
		unsigned int v = (unsigned int)num(&l, "vcpu");

		/* A TDG.VP.VMCALL that left the TD: its exit slice has the registers. */
		if (get(&l, "exited") || v >= TJ_MAX_VCPUS)
			return;
		ev(tj, "i", "tdcall", v + 1, ns);
		fprintf(tj->out, ",\"s\":\"t\",\"name\":\"%.*s\"", len, name);
		put_args(tj, &l, tdcall_skip);
		fputc('}', tj->out);
	} else if (str(&l, "ve", &name, &len)) {
		unsigned int v = (unsigned int)num(&l, "vcpu");

		if (v >= TJ_MAX_VCPUS)
			return;
		ev(tj, "i", "ve", v + 1, ns);
		fprintf(tj->out, ",\"s\":\"t\",\"name\":\"#VE %.*s\"", len, name);
		put_args(tj, &l, ve_skip);
		fputc('}', tj->out);
	} else if (str(&l, "seamcall", &name, &len)) {
		ev(tj, "i", "seamcall", TJ_HOST_TID, ns);
		fprintf(tj->out, ",\"s\":\"t\",\"name\":\"%.*s\"", len, name);
		put_args(tj, &l, seamcall_skip);
		fputc('}', tj->out);
	} else if (str(&l, "stop", &name, &len)) {
		tj->stopped = true;
		tj->stop_ns = ns;
		ev(tj, "i", "stop", TJ_HOST_TID, ns);
		fprintf(tj->out, ",\"s\":\"g\",\"name\":\"TD stopped: %.*s\"", len, name);
		put_args(tj, &l, stop_skip);
		fputc('}', tj->out);
	} else { /* "trace", "teardown" and any other note */
		ev(tj, "i", "note", TJ_HOST_TID, ns);
		fputs(",\"s\":\"t\",\"name\":", tj->out);
		if (l.n > 1)
			fprintf(tj->out, "\"%.*s\"", (int)l.f[1].klen, l.f[1].key);
		else
			fputs("\"note\"", tj->out);
		put_args(tj, &l, NULL);
		fputc('}', tj->out);
	}
}

/* The open slices ended, the array and the object closed. lock held. */
static void close_events(struct trace_json *tj)
{
	uint64_t end = tj->stopped ? tj->stop_ns : tj->last_ns; /* the teardown's is later */

	if (tj->closed)
		return;
	for (unsigned int v = 0; v < TJ_MAX_VCPUS; v++) {
		struct vcpu_track *t = &tj->v[v];

		/* A halt lasts until the end; any other last exit is shown without length. */
		if (t->pending)
			end_exit(tj, v, t, t->halt ? end : t->exit_ns);
		if (t->nr_flows) /* IPIs to a vCPU that never entered again */
			end_flows(tj, v, end, true);
	}
	fputs("\n]}\n", tj->out);
	if (fflush(tj->out) && !tj->out_errno)
		tj->out_errno = errno ? errno : EIO;
	tj->closed = true;
}

static int write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return w < 0 ? errno : EIO;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static void *converter(void *arg)
{
	struct trace_json *tj = arg;
	char chunk[65536];

	for (;;) {
		ssize_t n = read(tj->in_fd, chunk, sizeof(chunk));
		size_t whole = 0, start = 0;

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (tj->len + (size_t)n > tj->cap) {
			size_t cap = (tj->cap ? tj->cap * 2 : 131072) + (size_t)n;
			char *b = realloc(tj->buf, cap);

			if (!b) { /* the rest cannot be kept: the trace ends here */
				tj->len = 0;
				continue;
			}
			tj->buf = b;
			tj->cap = cap;
		}
		memcpy(tj->buf + tj->len, chunk, (size_t)n);
		tj->len += (size_t)n;
		for (size_t i = tj->len; i > 0; i--)
			if (tj->buf[i - 1] == '\n') {
				whole = i;
				break;
			}
		if (!whole)
			continue;
		/* The VMM writes whole lines: the copy gets them whole too. */
		if (tj->tee_fd >= 0 && !tj->tee_errno)
			tj->tee_errno = write_all(tj->tee_fd, tj->buf, whole);
		pthread_mutex_lock(&tj->lock);
		for (size_t i = 0; i < whole && !tj->closed; i++)
			if (tj->buf[i] == '\n') {
				convert(tj, tj->buf + start, i - start);
				start = i + 1;
			}
		/* The file follows the VMM's writes (a viewer may look before the end). */
		if (!tj->closed && fflush(tj->out) && !tj->out_errno)
			tj->out_errno = errno ? errno : EIO;
		pthread_mutex_unlock(&tj->lock);
		memmove(tj->buf, tj->buf + whole, tj->len - whole);
		tj->len -= whole;
	}
	return NULL;
}

struct trace_json *trace_json_start(FILE *out, FILE *tee, const struct trace_json_opts *o,
				    FILE **vmm_file)
{
	struct trace_json *tj = calloc(1, sizeof(*tj));
	const char *base = strrchr(o->guest, '/');
	char pname[320];
	int p[2];

	if (!tj)
		return NULL;
	tj->v = calloc(TJ_MAX_VCPUS, sizeof(*tj->v));
	if (!tj->v || pipe2(p, O_CLOEXEC)) {
		free(tj->v);
		free(tj);
		return NULL;
	}
	tj->vmm_w = fdopen(p[1], "w");
	if (!tj->vmm_w) {
		close(p[0]);
		close(p[1]);
		free(tj->v);
		free(tj);
		return NULL;
	}
	tj->in_fd = p[0];
	tj->tee_fd = tee ? fileno(tee) : -1;
	tj->out = out;
	tj->first = true;
	tj->nr_vcpus = o->nr_vcpus;
	tj->shared_bit = o->shared_bit;
	pthread_mutex_init(&tj->lock, NULL);

	fputs("{\"displayTimeUnit\":\"ns\",\"otherData\":{\"tool\":\"tdxsim run\",\"guest\":", out);
	put_json_string(out, o->guest);
	fprintf(out,
		",\"vcpus\":%u,\"clock\":\"CLOCK_MONOTONIC, from the TD's creation\"},"
		"\"traceEvents\":[",
		o->nr_vcpus);
	snprintf(pname, sizeof(pname), "tdxsim run %s", base ? base + 1 : o->guest);
	metadata(tj, TJ_HOST_TID, "process_name", "name", pname, 0);
	metadata(tj, TJ_HOST_TID, "thread_name", "name", "host: SEAMCALLs, the TD's stop", 0);
	metadata(tj, TJ_HOST_TID, "thread_sort_index", "sort_index", NULL, 0);
	for (unsigned int v = 0; v < o->nr_vcpus && v < TJ_MAX_VCPUS; v++) {
		char name[32];

		snprintf(name, sizeof(name), "vCPU %u", v);
		metadata(tj, v + 1, "thread_name", "name", name, 0);
		metadata(tj, v + 1, "thread_sort_index", "sort_index", NULL, (int)v + 1);
	}
	if (fflush(out))
		tj->out_errno = errno ? errno : EIO;
	if (pthread_create(&tj->thread, NULL, converter, tj)) {
		pthread_mutex_destroy(&tj->lock);
		fclose(tj->vmm_w);
		close(tj->in_fd);
		free(tj->v);
		free(tj);
		errno = EAGAIN;
		return NULL;
	}
	*vmm_file = tj->vmm_w;
	return tj;
}

int trace_json_finish(struct trace_json *tj, int *tee_errno)
{
	int ret;

	fclose(tj->vmm_w); /* the converter reads to the end */
	pthread_join(tj->thread, NULL);
	close(tj->in_fd);
	pthread_mutex_lock(&tj->lock);
	close_events(tj);
	pthread_mutex_unlock(&tj->lock);
	if (fclose(tj->out) && !tj->out_errno)
		tj->out_errno = errno ? errno : EIO;
	ret = tj->out_errno;
	*tee_errno = tj->tee_errno;
	pthread_mutex_destroy(&tj->lock);
	free(tj->buf);
	free(tj->v);
	free(tj);
	return ret;
}

void trace_json_abandon(struct trace_json *tj)
{
	pthread_mutex_lock(&tj->lock);
	close_events(tj);
	pthread_mutex_unlock(&tj->lock);
}
