# Entry points for people and CI. `make check` is the one test command.
BUILD ?= build
MESON_TEST_ARGS ?=

.PHONY: all setup build check unit clean bench

all: build

# Install Debian packages the project needs and reserve hugepages (root).
setup:
	./scripts/setup.sh

build: setup
	@[ -f $(BUILD)/build.ninja ] || meson setup $(BUILD)
	ninja -C $(BUILD)

# The test command: setup, build, run every test suite, print a summary line.
check: build
	./scripts/run-tests.sh $(BUILD) $(MESON_TEST_ARGS)

# Unit tests only (no root, no hugepages needed).
unit:
	@[ -f $(BUILD)/build.ninja ] || meson setup $(BUILD)
	ninja -C $(BUILD)
	meson test -C $(BUILD) --suite unit --print-errorlogs

bench: build
	./tests/bench/bench-switch.sh

clean:
	rm -rf $(BUILD)
