# zoo — the two set-up commands of the README, and helpers.
SHELL := /bin/bash
export SWIFT_BACKTRACE ?= enable=no
ZOO := .build/release/zoo

.PHONY: demo test build setup clean-home

## demo: install what is missing, build in release mode, and run the main job on the embedded default.
demo: setup
	swift build -c release
	bash scripts/demo.sh $(ZOO)

## test: install what is missing and run every test (unit, CLI end to end, concurrency, crash safety).
test: setup
	swift build --build-tests
	swift test

setup:
	bash scripts/setup.sh

build:
	swift build -c release

## clean-home: delete the default zoo home at the repository root.
clean-home:
	rm -rf zoo.sqlite zoo.sqlite-wal zoo.sqlite-shm checkpoints
