// SPDX-License-Identifier: MIT
/*
 * The system backend's process layer: QEMU started with the machine's memfd as its RAM and
 * a 64 KiB reset ROM that jumps into the SEAM shim, supervised, and stopped; one socket per LP
 * carries the doorbell (shim -> host) and the wake-up (host -> shim) bytes of the LP's 16550.
 * docs/SYSTEM.md has the design and the measured costs.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/close_range.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <x86intrin.h>

#include "platform/platform.h"
#include "platform/system/legs.h"
#include "platform/system/system.h"

extern const unsigned char shim_image[];
extern const unsigned long shim_image_size;

#define LOG_MAX	 8192
#define ROM_SIZE 0x10000

/* Each LP's 16550: its I/O port and ISA IRQ (free on QEMU's pc machine with -nodefaults). */
static const uint16_t lp_uart_port[SHIM_MAX_LPS] = {0x6000, 0x6008, 0x6010, 0x6018,
						    0x6020, 0x6028, 0x6030, 0x6038};
static const uint8_t lp_uart_irq[SHIM_MAX_LPS] = {4, 3, 5, 7, 10, 11, 14, 15};
#define SHIM_LOG_PORT 0x402

/*
 * How long each side polls the mailbox before it blocks: the shim (in HLT) for the host's
 * next request, which usually comes within a few microseconds of an answer; the host (in
 * poll()) for the shim's answer, which takes at least QEMU's VMRUN and #VMEXIT (15-20 us).
 * On a loaded host a polling thread takes the core the QEMU vCPU thread needs, and its polls
 * time out: after each timeout the host skips polling for twice as many calls as the last
 * time (up to SPIN_BACKOFF_MAX), and a poll that is answered resets that. $TDXSIM_SYSTEM_SPIN_US ("shim" or "shim,host", microseconds) overrides them; 0
 * blocks at once (each request and answer a byte through QEMU's UART). docs/PERFORMANCE.md.
 */
#define SHIM_SPIN_NS_DEFAULT 20000ULL
#define HOST_SPIN_NS_DEFAULT 50000ULL
#define SPIN_BACKOFF_MAX     256U
#define SPIN_NS_MAX	     1000000ULL

struct system_vm {
	pid_t pid;
	/* the backend's own pages (VMCBs, nested tables): the memfd past the machine's RAM */
	uint8_t *pool;
	uint64_t pool_hpa, pool_used, pool_free;
	pthread_mutex_t pool_lock;
	unsigned int nr_lps;
	int sock[SHIM_MAX_LPS]; /* our end of each LP's UART */
	int logfd;		/* QEMU's stderr and the shim's log port */
	char log[LOG_MAX];
	uint64_t spin_ns, shim_spin_ns; /* system_set_spin(): the host's, the shim's */
	/* the host's polls that timed out lately: skip that many calls before the next */
	uint32_t spin_skip[SHIM_MAX_LPS], spin_backoff[SHIM_MAX_LPS];
	struct system_legs *legs; /* TDXSIM_SYSTEM_LEGS */
	struct system_vm *next;
};

static pthread_mutex_t vms_lock = PTHREAD_MUTEX_INITIALIZER;
static struct system_vm *vms;
static pthread_once_t atexit_once = PTHREAD_ONCE_INIT;

static void kill_all_at_exit(void)
{
	pthread_mutex_lock(&vms_lock);
	for (struct system_vm *vm = vms; vm; vm = vm->next) {
		if (vm->pid > 0) {
			kill(vm->pid, SIGKILL);
			waitpid(vm->pid, NULL, 0);
			vm->pid = 0;
		}
	}
	pthread_mutex_unlock(&vms_lock);
}

static void register_atexit(void)
{
	atexit(kill_all_at_exit);
}

static void seterr(char *err, size_t len, const char *fmt, ...)
{
	va_list ap;

	if (!err || !len)
		return;
	va_start(ap, fmt);
	vsnprintf(err, len, fmt, ap);
	va_end(ap);
}

const char *system_log(struct system_vm *vm)
{
	ssize_t n = pread(vm->logfd, vm->log, sizeof(vm->log) - 1, 0);

	vm->log[n > 0 ? n : 0] = 0;
	return vm->log;
}

/* qemu in PATH, or as given when it names a path. */
static int find_qemu(const char *name, char *out, size_t len)
{
	const char *path = getenv("PATH");

	if (strchr(name, '/')) {
		snprintf(out, len, "%s", name);
		return access(out, X_OK) ? -ENOENT : 0;
	}
	if (!path)
		path = "/usr/local/bin:/usr/bin:/bin";
	while (*path) {
		size_t n = strcspn(path, ":");

		snprintf(out, len, "%.*s/%s", (int)n, path, name);
		if (n && !access(out, X_OK))
			return 0;
		path += n + (path[n] == ':');
	}
	return -ENOENT;
}

/* The shim's image, its configuration and empty mailboxes, below 1 MiB. */
static int place_shim(unsigned int nr_lps)
{
	uint8_t *region = phys_seam_va(SHIM_LOAD_PA);
	struct shim_config *cfg;

	if (!region || !phys_is_ram(SHIM_LOAD_PA, SHIM_REGION_END - SHIM_LOAD_PA) ||
	    shim_image_size > SHIM_IMAGE_END - SHIM_LOAD_PA)
		return -ENOSPC;
	memset(region, 0, SHIM_REGION_END - SHIM_LOAD_PA);
	memcpy(region, shim_image, shim_image_size);
	cfg = phys_seam_va(SHIM_CONFIG_PA);
	cfg->magic = SHIM_CONFIG_MAGIC;
	cfg->nr_lps = nr_lps;
	cfg->log_port = SHIM_LOG_PORT;
	for (unsigned int i = 0; i < nr_lps; i++) {
		cfg->uart_port[i] = lp_uart_port[i];
		cfg->uart_irq[i] = lp_uart_irq[i];
	}
	return 0;
}

/* The reset ROM: at 0xFFFF0 (its last 16 bytes), a far jump to SHIM_LOAD_PA in real mode. */
static int make_rom(void)
{
	static const uint8_t jmp[] = {0xEA, 0x00, 0x00, SHIM_LOAD_PA >> 4 & 0xFF,
				      SHIM_LOAD_PA >> 12 & 0xFF};
	int fd = memfd_create("tdxsim-shim-rom", MFD_CLOEXEC);

	if (fd < 0)
		return -errno;
	if (ftruncate(fd, ROM_SIZE) || pwrite(fd, jmp, sizeof(jmp), ROM_SIZE - 16) != sizeof(jmp)) {
		close(fd);
		return -EIO;
	}
	return fd;
}

/* In the child, between fork and exec: async-signal-safe calls only. */
static void child(pid_t parent, int status_fd, int *fds, unsigned int nr_fds, char **argv)
{
	sigset_t none;
	int e;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(127);
	setpgid(0, 0);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	for (int s = 1; s < NSIG; s++)
		signal(s, SIG_DFL);
	/* fds[i] becomes i (0: stdin, 1/2: the log, 3: RAM, 4: ROM, 5...: the LPs' UARTs) */
	for (unsigned int i = 0; i < nr_fds; i++) {
		fds[i] = fcntl(fds[i], F_DUPFD, 256);
		if (fds[i] < 0)
			goto fail;
	}
	for (unsigned int i = 0; i < nr_fds; i++)
		if (dup2(fds[i], (int)i) < 0)
			goto fail;
	/* everything else closes at exec */
	close_range(nr_fds, ~0U, CLOSE_RANGE_CLOEXEC);
	execv(argv[0], argv);
fail:
	e = errno;
	(void)!write(status_fd, &e, sizeof(e));
	_exit(127);
}

static void reap(struct system_vm *vm)
{
	if (vm->pid > 0) {
		kill(vm->pid, SIGKILL);
		while (waitpid(vm->pid, NULL, 0) < 0 && errno == EINTR)
			;
		vm->pid = 0;
	}
}

/* QEMU went away: its status, and the end of what it said. */
static void describe_exit(struct system_vm *vm, char *err, size_t len, const char *when)
{
	int status = 0;
	char how[64];
	const char *log = system_log(vm);
	size_t n = strlen(log);

	if (vm->pid > 0 && waitpid(vm->pid, &status, 0) == vm->pid) {
		vm->pid = 0;
		if (WIFEXITED(status))
			snprintf(how, sizeof(how), "exited with status %d", WEXITSTATUS(status));
		else
			snprintf(how, sizeof(how), "was killed by signal %d", WTERMSIG(status));
	} else {
		snprintf(how, sizeof(how), "is gone");
	}
	if (n > 600)
		log += n - 600;
	seterr(err, len, "QEMU %s %s%s%s", how, when, *log ? ": " : "", log);
}

static long ms_since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - t0->tv_sec) * 1000 + (t.tv_nsec - t0->tv_nsec) / 1000000;
}

static uint64_t spin_of_us(unsigned long long us)
{
	return us > SPIN_NS_MAX / 1000 ? SPIN_NS_MAX : us * 1000;
}

/* $TDXSIM_SYSTEM_SPIN_US: "shim" or "shim,host"; anything else, the defaults. */
static void spin_from_env(uint64_t *shim, uint64_t *host)
{
	const char *env = getenv("TDXSIM_SYSTEM_SPIN_US");
	unsigned long long s, h;
	char *end;

	*shim = SHIM_SPIN_NS_DEFAULT;
	*host = HOST_SPIN_NS_DEFAULT;
	if (!env || !*env)
		return;
	s = strtoull(env, &end, 10);
	h = *end == ',' ? strtoull(end + 1, &end, 10) : HOST_SPIN_NS_DEFAULT / 1000;
	if (*end)
		return;
	*shim = spin_of_us(s);
	*host = spin_of_us(h);
}

void system_set_spin(struct system_vm *vm, uint64_t shim_ns, uint64_t host_ns)
{
	volatile struct shim_config *cfg = phys_seam_va(SHIM_CONFIG_PA);

	vm->spin_ns = host_ns < SPIN_NS_MAX ? host_ns : SPIN_NS_MAX;
	memset(vm->spin_skip, 0, sizeof(vm->spin_skip));
	memset(vm->spin_backoff, 0, sizeof(vm->spin_backoff));
	vm->shim_spin_ns = shim_ns < SPIN_NS_MAX ? shim_ns : SPIN_NS_MAX;
	cfg->spin_tsc = (uint64_t)((double)vm->shim_spin_ns * system_tsc_per_ns());
}

void system_spin(const struct system_vm *vm, uint64_t *shim_ns, uint64_t *host_ns)
{
	*shim_ns = vm->shim_spin_ns;
	*host_ns = vm->spin_ns;
}

/* Wait for one byte from the LP's doorbell: 1, 0 when QEMU closed it, -ETIMEDOUT, -errno. */
static int doorbell_wait(struct system_vm *vm, unsigned int lp, int timeout_ms)
{
	for (;;) {
		struct pollfd p = {.fd = vm->sock[lp], .events = POLLIN};
		char b;
		ssize_t n;
		int r = poll(&p, 1, timeout_ms);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (!r)
			return -ETIMEDOUT;
		n = read(vm->sock[lp], &b, 1);
		if (n == 1)
			return 1;
		if (!n)
			return 0;
		if (errno != EINTR && errno != EAGAIN)
			return -errno;
	}
}

static int boot_wait(struct system_vm *vm, unsigned int timeout_ms, char *err, size_t len)
{
	struct timespec t0;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (unsigned int lp = 0; lp < vm->nr_lps; lp++) {
		long left = (long)timeout_ms - ms_since(&t0);
		int r = doorbell_wait(vm, lp, left > 0 ? (int)left : 0);
		struct shim_mailbox *mb = system_mailbox(vm, lp);

		if (r == 0) {
			describe_exit(vm, err, len, "before the shim came up");
			return -ECHILD;
		}
		if (r == -ETIMEDOUT) {
			seterr(err, len, "the shim did not come up on LP %u within %u ms%s%s", lp,
			       timeout_ms, *system_log(vm) ? ": " : "", vm->log);
			return -ETIMEDOUT;
		}
		if (r < 0) {
			seterr(err, len, "LP %u's doorbell: %s", lp, strerror(-r));
			return r;
		}
		if (__atomic_load_n(&mb->state, __ATOMIC_ACQUIRE) != SHIM_STATE_READY) {
			seterr(err, len, "the shim faulted on LP %u: vector %llu at RIP 0x%llx", lp,
			       (unsigned long long)mb->fault_vector,
			       (unsigned long long)mb->fault_rip);
			return -EIO;
		}
	}
	return 0;
}

int system_start(const struct system_opts *o, struct system_vm **out, char *err, size_t len)
{
	char qemu[4096], ram_obj[256], mem[64], smp[64], *argv[96], strs[SHIM_MAX_LPS][2][96];
	int fds[5 + SHIM_MAX_LPS], peer[SHIM_MAX_LPS], status[2] = {-1, -1}, ret, e = 0;
	const char *name = o->qemu ? o->qemu : getenv("TDXSIM_QEMU");
	unsigned int argc = 0, timeout = o->boot_timeout_ms ? o->boot_timeout_ms : 30000;
	uint64_t top = phys_top(), shim_spin, host_spin;
	struct system_vm *vm;
	pid_t parent = getpid();
	ssize_t n;

	*out = NULL;
	if (!name || !*name)
		name = "qemu-system-x86_64";
	if (!o->nr_lps || o->nr_lps > SYSTEM_MAX_LPS) {
		seterr(err, len, "the system backend runs 1 to %u LPs, not %u", SYSTEM_MAX_LPS,
		       o->nr_lps);
		return -EINVAL;
	}
	if (!top || phys_memfd() < 0) {
		seterr(err, len, "the machine is not booted");
		return -ENODEV;
	}
	if (ftruncate(phys_memfd(), (off_t)(top + SYSTEM_POOL_SIZE))) {
		seterr(err, len, "cannot grow the machine's memory by the backend's pool: %s",
		       strerror(errno));
		return -errno;
	}
	if (top % (1 << 20)) {
		seterr(err, len, "the top of RAM (0x%llx) must be a multiple of 1 MiB for QEMU",
		       (unsigned long long)top);
		return -EINVAL;
	}
	if (find_qemu(name, qemu, sizeof(qemu))) {
		seterr(err, len,
		       "cannot find QEMU '%s' (the system backend needs qemu-system-x86_64: "
		       "Debian's qemu-system-x86 package; `make deps` installs it)",
		       name);
		return -ENOENT;
	}
	ret = place_shim(o->nr_lps);
	if (ret) {
		seterr(err, len, "no room for the shim below 1 MiB in this machine's RAM");
		return ret;
	}
	vm = calloc(1, sizeof(*vm));
	if (!vm)
		return -ENOMEM;
	vm->nr_lps = o->nr_lps;
	vm->logfd = -1;
	vm->pool_hpa = top;
	pthread_mutex_init(&vm->pool_lock, NULL);
	for (unsigned int i = 0; i < SHIM_MAX_LPS; i++)
		vm->sock[i] = peer[i] = -1;
	for (unsigned int i = 0; i < 5 + SHIM_MAX_LPS; i++)
		fds[i] = -1;
	vm->pool = mmap(NULL, SYSTEM_POOL_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, phys_memfd(),
			(off_t)top);
	if (vm->pool == MAP_FAILED) {
		ret = -errno;
		vm->pool = NULL;
		goto fail;
	}
	ret = -errno;
	vm->logfd = memfd_create("tdxsim-qemu-log", MFD_CLOEXEC);
	if (vm->logfd < 0 || fcntl(vm->logfd, F_SETFL, O_APPEND))
		goto fail;
	fds[0] = open("/dev/null", O_RDONLY | O_CLOEXEC);
	fds[1] = fds[2] = vm->logfd;
	fds[3] = phys_memfd();
	fds[4] = make_rom();
	if (fds[0] < 0 || fds[4] < 0)
		goto fail;
	for (unsigned int i = 0; i < o->nr_lps; i++) {
		int sv[2];

		if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv))
			goto fail;
		vm->sock[i] = sv[0];
		peer[i] = fds[5 + i] = sv[1];
	}
	if (pipe2(status, O_CLOEXEC))
		goto fail;

	/* the command line (docs/SYSTEM.md "QEMU's command line") */
	top += SYSTEM_POOL_SIZE; /* QEMU's RAM: the machine's and the pool */
	snprintf(mem, sizeof(mem), "%lluM", (unsigned long long)(top >> 20));
	snprintf(smp, sizeof(smp), "%u,sockets=1,cores=%u,threads=1", o->nr_lps, o->nr_lps);
	snprintf(ram_obj, sizeof(ram_obj),
		 "memory-backend-file,id=ram,mem-path=/proc/self/fd/3,share=on,size=%lluM",
		 (unsigned long long)(top >> 20));
	argv[argc++] = qemu;
	argv[argc++] = "-nodefaults";
	argv[argc++] = "-no-user-config";
	argv[argc++] = "-display";
	argv[argc++] = "none";
	argv[argc++] = "-no-reboot";
	argv[argc++] = "-accel";
	argv[argc++] = "tcg,thread=multi";
	argv[argc++] = "-cpu";
	argv[argc++] = "max,vendor=GenuineIntel,phys-bits=48,cx16=off,pku=off";
	argv[argc++] = "-smp";
	argv[argc++] = smp;
	argv[argc++] = "-m";
	argv[argc++] = mem;
	argv[argc++] = "-machine";
	argv[argc++] = "pc,max-ram-below-4g=2G,memory-backend=ram";
	argv[argc++] = "-object";
	argv[argc++] = ram_obj;
	argv[argc++] = "-bios";
	argv[argc++] = "/proc/self/fd/4";
	argv[argc++] = "-chardev";
	argv[argc++] = "file,id=shimlog,path=/proc/self/fd/2,append=on";
	argv[argc++] = "-device";
	argv[argc++] = "isa-debugcon,iobase=0x402,chardev=shimlog";
	for (unsigned int i = 0; i < o->nr_lps; i++) {
		snprintf(strs[i][0], sizeof(strs[i][0]), "socket,id=lp%u,fd=%u", i, 5 + i);
		snprintf(strs[i][1], sizeof(strs[i][1]),
			 "isa-serial,chardev=lp%u,iobase=0x%x,irq=%u", i, lp_uart_port[i],
			 lp_uart_irq[i]);
		argv[argc++] = "-chardev";
		argv[argc++] = strs[i][0];
		argv[argc++] = "-device";
		argv[argc++] = strs[i][1];
	}
	argv[argc] = NULL;

	pthread_once(&atexit_once, register_atexit);
	pthread_mutex_lock(&vms_lock);
	vm->pid = fork();
	if (vm->pid == 0)
		child(parent, status[1], fds, 5 + o->nr_lps, argv);
	if (vm->pid < 0) {
		ret = -errno;
		pthread_mutex_unlock(&vms_lock);
		goto fail;
	}
	vm->next = vms;
	vms = vm;
	pthread_mutex_unlock(&vms_lock);
	close(status[1]);
	status[1] = -1;
	n = read(status[0], &e, sizeof(e));
	if (n == sizeof(e)) {
		seterr(err, len, "cannot run QEMU '%s': %s", qemu, strerror(e));
		ret = -e;
		goto fail_started;
	}
	for (unsigned int i = 0; i < o->nr_lps; i++) {
		close(peer[i]);
		peer[i] = -1;
	}
	ret = boot_wait(vm, timeout, err, len);
	if (ret)
		goto fail_started;
	spin_from_env(&shim_spin, &host_spin);
	system_set_spin(vm, shim_spin, host_spin);
	vm->legs = system_legs_start(vm);
	close(status[0]);
	close(fds[0]);
	close(fds[4]);
	*out = vm;
	return 0;

fail_started:
	system_stop(vm);
	vm = NULL;
fail:
	if (ret == 0)
		ret = -EIO;
	for (unsigned int i = 0; i < SHIM_MAX_LPS; i++)
		if (peer[i] >= 0)
			close(peer[i]);
	if (status[0] >= 0)
		close(status[0]);
	if (status[1] >= 0)
		close(status[1]);
	if (fds[0] >= 0)
		close(fds[0]);
	if (fds[4] >= 0)
		close(fds[4]);
	if (vm) {
		for (unsigned int i = 0; i < SHIM_MAX_LPS; i++)
			if (vm->sock[i] >= 0)
				close(vm->sock[i]);
		if (vm->logfd >= 0)
			close(vm->logfd);
		if (vm->pool)
			munmap(vm->pool, SYSTEM_POOL_SIZE);
		free(vm);
	}
	if (err && len && !*err)
		seterr(err, len, "starting QEMU: %s", strerror(-ret));
	return ret;
}

void system_stop(struct system_vm *vm)
{
	if (!vm)
		return;
	system_legs_finish(vm->legs, stderr);
	pthread_mutex_lock(&vms_lock);
	for (struct system_vm **p = &vms; *p; p = &(*p)->next) {
		if (*p == vm) {
			*p = vm->next;
			break;
		}
	}
	reap(vm);
	pthread_mutex_unlock(&vms_lock);
	for (unsigned int i = 0; i < SHIM_MAX_LPS; i++)
		if (vm->sock[i] >= 0)
			close(vm->sock[i]);
	if (vm->logfd >= 0)
		close(vm->logfd);
	if (vm->pool) {
		munmap(vm->pool, SYSTEM_POOL_SIZE);
		/* the pool's pages back to nothing: the next QEMU starts from zeros */
		fallocate(phys_memfd(), FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
			  (off_t)vm->pool_hpa, SYSTEM_POOL_SIZE);
	}
	pthread_mutex_destroy(&vm->pool_lock);
	free(vm);
}

uint64_t system_page_alloc(struct system_vm *vm)
{
	uint64_t hpa = 0;

	pthread_mutex_lock(&vm->pool_lock);
	if (vm->pool_free) {
		hpa = vm->pool_free;
		memcpy(&vm->pool_free, system_page_va(vm, hpa), 8);
	} else if (vm->pool_used < SYSTEM_POOL_SIZE) {
		hpa = vm->pool_hpa + vm->pool_used;
		vm->pool_used += 4096;
	}
	pthread_mutex_unlock(&vm->pool_lock);
	if (hpa)
		memset(system_page_va(vm, hpa), 0, 4096);
	return hpa;
}

uint64_t system_pages_alloc_contig(struct system_vm *vm, unsigned int n)
{
	uint64_t hpa = 0;

	pthread_mutex_lock(&vm->pool_lock);
	if (vm->pool_used + n * 4096ULL <= SYSTEM_POOL_SIZE) {
		hpa = vm->pool_hpa + vm->pool_used;
		vm->pool_used += n * 4096ULL;
	}
	pthread_mutex_unlock(&vm->pool_lock);
	if (hpa)
		memset(system_page_va(vm, hpa), 0, n * 4096ULL);
	return hpa;
}

void system_page_free(struct system_vm *vm, uint64_t hpa)
{
	if (!hpa)
		return;
	pthread_mutex_lock(&vm->pool_lock);
	memcpy(system_page_va(vm, hpa), &vm->pool_free, 8);
	vm->pool_free = hpa;
	pthread_mutex_unlock(&vm->pool_lock);
}

void *system_page_va(struct system_vm *vm, uint64_t hpa)
{
	if (hpa >= vm->pool_hpa && hpa < vm->pool_hpa + SYSTEM_POOL_SIZE)
		return vm->pool + (hpa - vm->pool_hpa);
	return phys_seam_va(hpa);
}

pid_t system_qemu_pid(const struct system_vm *vm)
{
	return vm->pid;
}

unsigned int system_nr_lps(const struct system_vm *vm)
{
	return vm->nr_lps;
}

struct shim_mailbox *system_mailbox(struct system_vm *vm, unsigned int lp)
{
	if (lp >= vm->nr_lps)
		return NULL;
	return phys_seam_va(SHIM_MAILBOX_PA + lp * 0x1000ULL);
}

/*
 * A byte on the LP's UART: its receive interrupt ends the shim's HLT or the guest's run.
 * MSG_NOSIGNAL: when QEMU has died, the caller gets -EPIPE and reports it, instead of the
 * whole process dying of SIGPIPE.
 */
static int wake(struct system_vm *vm, unsigned int lp)
{
	char b = 1;

	while (send(vm->sock[lp], &b, 1, MSG_NOSIGNAL) < 0)
		if (errno != EINTR)
			return -errno;
	return 0;
}

int system_kick(struct system_vm *vm, unsigned int lp)
{
	struct shim_mailbox *mb = system_mailbox(vm, lp);

	if (!mb)
		return -EINVAL;
	__atomic_fetch_add(&mb->kicks, 1, __ATOMIC_SEQ_CST);
	return wake(vm, lp);
}

uint32_t system_kicks(struct system_vm *vm, unsigned int lp)
{
	struct shim_mailbox *mb = system_mailbox(vm, lp);

	return mb ? __atomic_load_n(&mb->kicks, __ATOMIC_SEQ_CST) : 0;
}

static bool answered(struct shim_mailbox *mb, uint32_t seq)
{
	return __atomic_load_n(&mb->resp_seq, __ATOMIC_ACQUIRE) == seq;
}

/* Poll for the answer for the configured time: true when it came. */
static bool poll_answer(struct system_vm *vm, struct shim_mailbox *mb, uint32_t seq)
{
	struct timespec t0, t;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		for (int i = 0; i < 64; i++) {
			if (answered(mb, seq))
				return true;
			_mm_pause();
		}
		clock_gettime(CLOCK_MONOTONIC, &t);
		if ((uint64_t)((t.tv_sec - t0.tv_sec) * 1000000000LL + t.tv_nsec - t0.tv_nsec) >=
		    vm->spin_ns)
			return false;
	}
}

/* Poll unless recent polls timed out (the backoff above): true when the answer came. */
static bool poll_answer_adaptive(struct system_vm *vm, unsigned int lp, struct shim_mailbox *mb,
				 uint32_t seq)
{
	uint32_t *backoff = &vm->spin_backoff[lp];

	if (!vm->spin_ns)
		return false;
	if (vm->spin_skip[lp]) {
		vm->spin_skip[lp]--;
		return false;
	}
	if (poll_answer(vm, mb, seq)) {
		*backoff = 0;
		return true;
	}
	*backoff = *backoff ? *backoff * 2 : 1;
	if (*backoff > SPIN_BACKOFF_MAX)
		*backoff = SPIN_BACKOFF_MAX;
	vm->spin_skip[lp] = *backoff;
	return false;
}

/*
 * Block for the doorbell; host_waiting, set before resp_seq is looked at again, makes the
 * shim ring (the Dekker pairing of the wake-up, the other way). A byte rung for an answer
 * already seen stays in the socket and is read, and passed over, by a later wait.
 */
static int block_answer(struct system_vm *vm, unsigned int lp, struct shim_mailbox *mb,
			uint32_t seq)
{
	int r = 1;

	__atomic_store_n(&mb->host_waiting, 1, __ATOMIC_SEQ_CST);
	while (!answered(mb, seq)) {
		r = doorbell_wait(vm, lp, -1);
		if (r <= 0)
			break;
	}
	__atomic_store_n(&mb->host_waiting, 0, __ATOMIC_RELAXED);
	return r;
}

int system_call(struct system_vm *vm, unsigned int lp, char *err, size_t len)
{
	struct shim_mailbox *mb = system_mailbox(vm, lp);
	unsigned int how = 0;
	uint64_t posted;
	uint32_t seq;
	int r;

	if (!mb)
		return -EINVAL;
	seq = mb->req_seq + 1;
	posted = vm->legs ? __rdtsc() : 0;
	__atomic_store_n(&mb->req_seq, seq, __ATOMIC_SEQ_CST);
	/* a byte only when the shim halts (or is about to): it re-checks req_seq after saying so */
	if (__atomic_load_n(&mb->waiting, __ATOMIC_SEQ_CST)) {
		how |= SYSTEM_LEG_WOKE;
		if (wake(vm, lp)) {
			describe_exit(vm, err, len, "before a request could be sent");
			return -EPIPE;
		}
	}
	if (!poll_answer_adaptive(vm, lp, mb, seq)) {
		how |= SYSTEM_LEG_BLOCKED;
		r = block_answer(vm, lp, mb, seq);
		if (r <= 0) {
			describe_exit(vm, err, len, "while the shim ran a request");
			return -EPIPE;
		}
	}
	if (vm->legs)
		system_legs_record(vm->legs, lp, posted, __rdtsc(), mb, how);
	if (mb->status == SHIM_ERR_FAULT) {
		seterr(err, len,
		       "the shim faulted on LP %u: vector %llu at RIP 0x%llx, error 0x%llx", lp,
		       (unsigned long long)mb->fault_vector, (unsigned long long)mb->fault_rip,
		       (unsigned long long)mb->fault_error);
		return -EIO;
	}
	return mb->status == SHIM_OK ? 0 : -EINVAL;
}
