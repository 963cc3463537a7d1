# Entry points for people and CI. `make check` is the one test command.
BUILD ?= build
MESON_TEST_ARGS ?=
SAN_BUILD ?= build-san
FUZZ_SECONDS ?= 3600

.PHONY: all setup build check unit fuzz clean bench bench-ports demo demo-down

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

# A long fuzzing session: each libFuzzer harness in the sanitizer build, then
# the live client of a real switch, FUZZ_SECONDS each (tests/fuzz/README.md).
fuzz: build
	./tests/fuzz/san-build.sh $(SAN_BUILD)
	FUZZ_SECONDS=$(FUZZ_SECONDS) meson test -C $(SAN_BUILD) --suite fuzz-run -t 0 -v --num-processes 1
	FUZZ_SECONDS=$(FUZZ_SECONDS) meson test -C $(BUILD) --suite fuzz-run -t 0 -v --num-processes 1

# The main job: bring up topologies/demo.yaml, check it with pingall.
demo: build
	$(BUILD)/control/vlab up topologies/demo.yaml
	$(BUILD)/control/vlab pingall demo
	@echo
	@echo "The demo lab runs. Try:"
	@echo "  $(BUILD)/control/vlab status                  # nodes, addresses, switch links"
	@echo "  $(BUILD)/control/vlab exec a1 -- ping -c 3 10.100.0.2"
	@echo "  $(BUILD)/control/vlab console a1              # Ctrl-] detaches"
	@echo "  $(BUILD)/control/vlab switch stats            # counters, drops, cycles per packet"
	@echo "  $(BUILD)/control/vlab graph --format mermaid"
	@echo "  $(BUILD)/control/vlab down                    # remove everything"

demo-down:
	$(BUILD)/control/vlab down demo

bench: build
	./tests/bench/bench-switch.sh

# Time to add 1,000 ports and what they cost the switch (memory, idle CPU).
bench-ports: build
	./tests/bench/bench-ports.py

clean:
	rm -rf $(BUILD) $(SAN_BUILD)
