# tdxsim — top-level entry points. `make demo` and `make check` are the whole set-up on a
# fresh Debian bookworm machine: they install what is missing (as root) and build with Meson.

BUILD      ?= build
BUILD_SAN  ?= build-san
BUILD_TSAN ?= build-tsan
BUILD_FUZZ ?= build-fuzz
# Seconds each fuzzer runs in `make fuzz` and in `make fuzz-smoke` (part of `make check`).
FUZZ_TIME  ?= 300
FUZZ_SMOKE_TIME ?= 20
MESON_OPTS ?= --buildtype=debugoptimized

# Debian packages the project needs. Kept in one place: scripts/deps.sh reads this list.
# chromium: the picture tests (suite 'pictures') load the trace and the memory map in it.
# busybox-static, cpio: the TD Linux initramfs; xz-utils, zstd: Debian's kernel modules come
# compressed with one of them; acpica-tools: iasl checks the TD's ACPI tables; ovmf: its TDVF
# metadata (docs/LINUX-BOOT.md).
DEPS = gcc libc6-dev make pkg-config meson ninja-build libssl-dev libzydis-dev \
       libcmocka-dev clang libclang-rt-14-dev gdb clang-format qemu-system-x86 chromium \
       openssl busybox-static cpio xz-utils zstd acpica-tools ovmf

.PHONY: all deps build build-san build-tsan build-fuzz check demo bench clean format fuzz fuzz-smoke \
	td-linux

all: build

deps:
	@scripts/deps.sh $(DEPS)

$(BUILD)/build.ninja: | deps
	meson setup $(BUILD) $(MESON_OPTS)

$(BUILD_SAN)/build.ninja: | deps
	meson setup $(BUILD_SAN) $(MESON_OPTS) -Db_sanitize=address,undefined -Db_lundef=false

# ThreadSanitizer (gcc's libtsan2, from libgcc-12-dev): the 'concurrency' test suite.
$(BUILD_TSAN)/build.ninja: | deps
	meson setup $(BUILD_TSAN) $(MESON_OPTS) -Db_sanitize=thread -Db_lundef=false

# libFuzzer needs clang: fuzz/ is built only when the compiler is clang.
$(BUILD_FUZZ)/build.ninja: | deps
	CC=clang meson setup $(BUILD_FUZZ) $(MESON_OPTS)

build: deps $(BUILD)/build.ninja
	meson compile -C $(BUILD)

build-san: deps $(BUILD_SAN)/build.ninja
	meson compile -C $(BUILD_SAN)

build-tsan: deps $(BUILD_TSAN)/build.ninja
	meson compile -C $(BUILD_TSAN)

build-fuzz: deps $(BUILD_FUZZ)/build.ninja
	meson compile -C $(BUILD_FUZZ)

# Unit and integration tests, the same under ASan+UBSan, both again with CPUID rewriting
# forced (the cpuid_rewrite test setup: TDXSIM_CPUID=rewrite, the mode of hosts without
# CPUID faulting), the plain build once more as on a host without CPUID faulting (the
# no_cpuid_faulting test setup), the concurrency suite under TSan, then each fuzzer for FUZZ_SMOKE_TIME
# seconds; one closing line counts them all.
check: build build-san build-tsan build-fuzz
	@FUZZ_SMOKE_TIME=$(FUZZ_SMOKE_TIME) scripts/check.sh $(BUILD) $(BUILD)@cpuid_rewrite \
		$(BUILD)@no_cpuid_faulting \
		$(BUILD_SAN) $(BUILD_SAN)@cpuid_rewrite $(BUILD_TSAN):concurrency --fuzz $(BUILD_FUZZ)

# docs/FUZZING.md: every fuzzer for a bounded time (smoke) or FUZZ_TIME seconds each.
fuzz-smoke: build-fuzz
	@scripts/fuzz.sh $(BUILD_FUZZ) $(FUZZ_SMOKE_TIME)

fuzz: build-fuzz
	@scripts/fuzz.sh $(BUILD_FUZZ) $(FUZZ_TIME)

demo: build
	@scripts/demo.sh $(BUILD)

bench: build
	@scripts/bench.sh $(BUILD)

# Debian's TDX guest kernel (bookworm-backports, from this machine's Debian mirror) and a
# busybox initramfs for it, in ~/.cache/tdxsim/linux ($$TDXSIM_CACHE_DIR/linux): docs/LINUX-BOOT.md.
td-linux: build
	@scripts/td-linux-fetch.sh
	@scripts/td-initramfs.sh $(BUILD)/examples/tdreport

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf $(BUILD) $(BUILD_SAN) $(BUILD_TSAN) $(BUILD_FUZZ)
