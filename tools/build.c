// SPDX-License-Identifier: MIT
/*
 * tdxsim build: compile and link a guest ELF with the guest SDK in one command, from any
 * directory. The SDK is found from where this executable is (/proc/self/exe): in a meson
 * build directory (BUILD/tools/tdxsim: the libraries in BUILD/guest, the headers and the
 * linker script in the source tree that meson-info/meson-info.json names), else in an install
 * (PREFIX/BINDIR/tdxsim: LIBDIR/tdxsim and INCLUDEDIR, as tdxsim-guest.pc says).
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tools.h"

/* Where the SDK's parts are. */
struct sdk {
	char inc[2][PATH_MAX]; /* -I directories (one in an install) */
	int nr_inc;
	char ld[PATH_MAX];  /* tdxguest.ld */
	char crt[PATH_MAX]; /* libtdxguest_crt.a */
	char lib[PATH_MAX]; /* libtdxguest.a */
};

static bool is_file(const char *path)
{
	return access(path, R_OK) == 0;
}

/* The source directory a meson build directory was configured from, or false. */
static bool meson_source_dir(const char *build, char *out, size_t size)
{
	char path[PATH_MAX + 32], buf[8192];
	FILE *f;
	size_t n;
	const char *key = "\"source\": \"", *p, *end;

	snprintf(path, sizeof(path), "%s/meson-info/meson-info.json", build);
	f = fopen(path, "r");
	if (!f)
		return false;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	p = strstr(buf, key);
	if (!p)
		return false;
	p += strlen(key);
	end = strchr(p, '"');
	if (!end || memchr(p, '\\', end - p) || (size_t)(end - p) >= size)
		return false;
	memcpy(out, p, end - p);
	out[end - p] = 0;
	return true;
}

static int sdk_path(char *out, const char *a, const char *b)
{
	return snprintf(out, PATH_MAX, "%s/%s", a, b) >= PATH_MAX ? -1 : 0;
}

bool tool_install_prefix(char *out, size_t size)
{
	char exe[PATH_MAX], *slash;
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	size_t len, blen = strlen(TDXSIM_BINDIR);

	if (n <= 0)
		return false;
	exe[n] = 0;
	slash = strrchr(exe, '/');
	if (!slash)
		return false;
	*slash = 0;
	len = strlen(exe);
	if (TDXSIM_BINDIR[0] == '/' || len <= blen || exe[len - blen - 1] != '/' ||
	    strcmp(exe + len - blen, TDXSIM_BINDIR))
		return false;
	exe[len - blen - 1] = 0;
	return (size_t)snprintf(out, size, "%s", exe) < size;
}

/* Find the SDK from this executable's own path; 0, or -1 after a message. */
static int sdk_find(struct sdk *sdk)
{
	char exe[PATH_MAX], build[PATH_MAX], src[PATH_MAX], prefix[PATH_MAX], dir[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	char *slash;

	if (n <= 0) {
		fprintf(stderr, "tdxsim build: cannot read /proc/self/exe: %s\n", strerror(errno));
		return -1;
	}
	exe[n] = 0;
	slash = strrchr(exe, '/');
	*slash = 0; /* exe: the directory of the executable */

	/* A meson build directory: BUILD/tools/tdxsim. */
	snprintf(build, sizeof(build), "%s", exe);
	slash = strrchr(build, '/');
	if (slash && !strcmp(slash, "/tools")) {
		*slash = 0;
		if (meson_source_dir(build, src, sizeof(src))) {
			sdk->nr_inc = 2;
			if (sdk_path(sdk->inc[0], src, "guest/include") ||
			    sdk_path(sdk->inc[1], src, "include") ||
			    sdk_path(sdk->ld, src, "guest/tdxguest.ld") ||
			    sdk_path(sdk->crt, build, "guest/libtdxguest_crt.a") ||
			    sdk_path(sdk->lib, build, "guest/libtdxguest.a"))
				goto toolong;
			goto found;
		}
	}

	/* An install: PREFIX/BINDIR/tdxsim, else the configured prefix. */
	if (!tool_install_prefix(prefix, sizeof(prefix)))
		snprintf(prefix, sizeof(prefix), "%s", TDXSIM_PREFIX);
	sdk->nr_inc = 1;
	if (sdk_path(dir, prefix, TDXSIM_SDKDIR) ||
	    sdk_path(sdk->inc[0], prefix, TDXSIM_INCLUDEDIR) ||
	    sdk_path(sdk->ld, dir, "tdxguest.ld") || sdk_path(sdk->crt, dir, "libtdxguest_crt.a") ||
	    sdk_path(sdk->lib, dir, "libtdxguest.a"))
		goto toolong;
found:
	if (!is_file(sdk->ld) || !is_file(sdk->crt) || !is_file(sdk->lib)) {
		fprintf(stderr,
			"tdxsim build: the guest SDK is not beside this tdxsim (looked for %s, %s, "
			"%s)\n",
			sdk->ld, sdk->crt, sdk->lib);
		return -1;
	}
	return 0;
toolong:
	fprintf(stderr, "tdxsim build: the guest SDK's path is too long\n");
	return -1;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: tdxsim build -o GUEST.elf [CFLAGS...] FILE...\n"
		"Compile and link a TD guest with the guest SDK: FILEs are C (.c), assembly (.S, "
		".s),\nobjects and archives; options (-O0, -DX, -Ipath, -Wall, ...) go to the "
		"compiler, after\nthe SDK's flags and the default -O2 -g. The compiler is $CC, "
		"else cc.\n'tdxsim build --print-flags' prints the compiler line without "
		"FILEs.\nExit status: 0, or 125 when the build failed.\n");
}

/* A compiler option whose value is the next argument. */
static bool takes_value(const char *arg)
{
	static const char *const opts[] = {"-I", "-D", "-U", "-include", "-isystem", "-iquote",
					   "-x", "-L", "-l", "-MF",	 "-MT"};

	for (size_t i = 0; i < sizeof(opts) / sizeof(opts[0]); i++) {
		if (!strcmp(arg, opts[i]))
			return true;
	}
	return false;
}

/* Append @s to @v (room for every argument is allocated up front). */
static void push(char **v, int *n, const char *s)
{
	v[(*n)++] = (char *)s;
}

/* Append the words of @s, split at spaces (the flag lists of guest/meson.build). */
static void push_words(char **v, int *n, char *s)
{
	for (char *w = strtok(s, " "); w; w = strtok(NULL, " "))
		push(v, n, w);
}

int cmd_build(int argc, char **argv)
{
	static char cflags[] = TDXSIM_GUEST_CFLAGS, ldflags[] = TDXSIM_GUEST_LDFLAGS;
	static char incs[2][PATH_MAX + 2], ld[PATH_MAX + 8];
	struct sdk sdk;
	const char *out = NULL;
	char *cc_env = getenv("CC"), *cc;
	char **v;
	int n = 0, nr_files = 0, status;
	bool print = false;
	pid_t pid;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			usage(stdout);
			return 0;
		}
		if (!strcmp(argv[i], "--print-flags")) {
			print = true;
		} else if (!strcmp(argv[i], "-o")) {
			if (i + 1 == argc) {
				fprintf(stderr, "tdxsim build: -o needs a file name\n");
				return TDXSIM_EXIT_TOOL;
			}
			out = argv[++i];
		} else if (takes_value(argv[i])) {
			i++;
		} else if (argv[i][0] != '-') {
			if (!is_file(argv[i])) {
				fprintf(stderr, "tdxsim build: %s: %s\n", argv[i], strerror(errno));
				return TDXSIM_EXIT_TOOL;
			}
			nr_files++;
		}
	}
	if (!print && !nr_files) {
		fprintf(stderr, "tdxsim build: no source files\n");
		usage(stderr);
		return TDXSIM_EXIT_TOOL;
	}
	if (!print && !out) {
		fprintf(stderr, "tdxsim build: no output file (-o GUEST.elf)\n");
		usage(stderr);
		return TDXSIM_EXIT_TOOL;
	}
	if (sdk_find(&sdk))
		return TDXSIM_EXIT_TOOL;

	/* $CC's words, the SDK's, the user's, the link's: fewer than argc + 64 in all. */
	cc = strdup(cc_env && *cc_env ? cc_env : "cc");
	v = calloc(argc + 64 + strlen(cc), sizeof(*v));
	if (!cc || !v) {
		fprintf(stderr, "tdxsim build: out of memory\n");
		return TDXSIM_EXIT_TOOL;
	}
	push_words(v, &n, cc);
	push_words(v, &n, cflags);
	for (int i = 0; i < sdk.nr_inc; i++) {
		snprintf(incs[i], sizeof(incs[i]), "-I%s", sdk.inc[i]);
		push(v, &n, incs[i]);
	}
	if (print) {
		for (int i = 0; i < n; i++)
			printf("%s%s", i ? " " : "", v[i]);
		printf("\n");
		return 0;
	}
	push(v, &n, "-O2");
	push(v, &n, "-g");
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-o") || !strcmp(argv[i], "--print-flags")) {
			i += argv[i][1] == 'o';
			continue;
		}
		push(v, &n, argv[i]);
	}
	push(v, &n, "-o");
	push(v, &n, out);
	push_words(v, &n, ldflags);
	snprintf(ld, sizeof(ld), "-Wl,-T,%s", sdk.ld);
	push(v, &n, ld);
	push(v, &n, "-Wl,--whole-archive");
	push(v, &n, sdk.crt);
	push(v, &n, "-Wl,--no-whole-archive");
	push(v, &n, sdk.lib);
	v[n] = NULL;

	fflush(stdout);
	pid = fork();
	if (pid < 0) {
		fprintf(stderr, "tdxsim build: fork: %s\n", strerror(errno));
		return TDXSIM_EXIT_TOOL;
	}
	if (pid == 0) {
		execvp(v[0], v);
		fprintf(stderr, "tdxsim build: cannot run the compiler %s: %s\n", v[0],
			strerror(errno));
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			fprintf(stderr, "tdxsim build: waitpid: %s\n", strerror(errno));
			return TDXSIM_EXIT_TOOL;
		}
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
		return TDXSIM_EXIT_TOOL; /* the child said why */
	if (WIFEXITED(status))
		fprintf(stderr, "tdxsim build: the compiler (%s) failed with status %d; no %s\n",
			v[0], WEXITSTATUS(status), out);
	else
		fprintf(stderr, "tdxsim build: the compiler (%s) was killed by signal %d\n", v[0],
			WTERMSIG(status));
	return TDXSIM_EXIT_TOOL;
}
