# tdxsim — top-level entry points. `make demo` and `make check` are the whole set-up on a
# fresh Debian bookworm machine: they install what is missing (as root) and build with Meson.

BUILD      ?= build
BUILD_SAN  ?= build-san
MESON_OPTS ?= --buildtype=debugoptimized

# Debian packages the project needs. Kept in one place: scripts/deps.sh reads this list.
DEPS = gcc libc6-dev make pkg-config meson ninja-build libssl-dev libzydis-dev \
       libcmocka-dev clang libclang-rt-14-dev

.PHONY: all deps build build-san check demo bench clean format

all: build

deps:
	@scripts/deps.sh $(DEPS)

$(BUILD)/build.ninja: | deps
	meson setup $(BUILD) $(MESON_OPTS)

$(BUILD_SAN)/build.ninja: | deps
	meson setup $(BUILD_SAN) $(MESON_OPTS) -Db_sanitize=address,undefined -Db_lundef=false

build: deps $(BUILD)/build.ninja
	meson compile -C $(BUILD)

build-san: deps $(BUILD_SAN)/build.ninja
	meson compile -C $(BUILD_SAN)

# Unit and integration tests, then the same tests under ASan+UBSan.
check: build build-san
	@scripts/check.sh $(BUILD) $(BUILD_SAN)

demo: build
	@scripts/demo.sh $(BUILD)

bench: build
	@scripts/bench.sh $(BUILD)

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf $(BUILD) $(BUILD_SAN)
