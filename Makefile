# clausewatch: every target installs what is missing first (scripts/install-deps),
# then builds with Meson + Ninja.
#
#   make          build build/clausewatch
#   make run      build, create the store, load declarations, fetch or import, monitor
#   make test     build and run every test (unit, integration, fuzz replay),
#                 node and jsdom installed first for the filter tests
#   make asan     the unit tests again under ASan + UBSan
#   make bench    benchmarks side by side with peer tools, printing ratios
#   make fuzz     every libFuzzer harness for FUZZ_SECONDS each (default 60)
#   make format   format every C file with the project's .clang-format
#   make format-check   fail if any C file is not formatted (CI runs it)

BUILD ?= build
MESON_FLAGS ?=
FUZZ_SECONDS ?= 60
DB ?= var/clausewatch.db

.PHONY: all deps build run test asan bench fuzz format format-check clean

all: build

deps:
	@scripts/install-deps

$(BUILD)/build.ninja: | deps
	meson setup $(BUILD) $(MESON_FLAGS)

build: deps $(BUILD)/build.ninja
	@ninja -C $(BUILD)

run: build
	@scripts/run "$(DB)"

# the JavaScript filter tests need node and jsdom (they skip without)
test: build
	@scripts/install-deps --filters
	meson test -C $(BUILD) --print-errorlogs --num-processes 2

asan: deps
	@[ -f build-asan/build.ninja ] || meson setup build-asan \
		-Db_sanitize=address,undefined -Db_lundef=false \
		-Dc_args=-fno-sanitize-recover=all
	ninja -C build-asan
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		meson test -C build-asan --print-errorlogs --num-processes 2 \
		--suite unit --suite fuzz-replay

bench: deps
	@scripts/install-deps --bench --filters
	@[ -f build-release/build.ninja ] || meson setup build-release --buildtype=release
	@ninja -C build-release
	@bench/run

fuzz: deps
	@[ -f build-fuzz/build.ninja ] || CC=clang meson setup build-fuzz -Dfuzz=true
	@ninja -C build-fuzz
	@scripts/fuzz $(FUZZ_SECONDS)

# Every C source and header git tracks (tests, fuzz and bench included).
C_FILES = $(shell git ls-files '*.c' '*.h')

format: deps
	@clang-format -i $(C_FILES)

format-check: deps
	@clang-format --dry-run --Werror $(C_FILES) && \
		echo "format-check: $(words $(C_FILES)) files formatted"

clean:
	rm -rf $(BUILD) build-asan build-release build-fuzz
