#!/usr/bin/env bash
# Runs the whole test suite again with each narrower copy of zoo's C kernels that this CPU can
# run forced through ZOO_VECTOR_LANES: 8 (AVX2+FMA) where the CPU has AVX2 and FMA, and 4
# (portable C) always, so an AVX-512 machine also runs what an AVX2-only or older CPU runs.
# `make test` (native path) must have built the tests first.
set -euo pipefail
cd "$(dirname "$0")/.."
export SWIFT_BACKTRACE=enable=no
flags=$(grep -m1 -E '^(flags|Features)' /proc/cpuinfo 2>/dev/null || true)
has() { [[ " $flags " == *" $1 "* ]]; }
widest=4
if has avx512f && has avx512dq; then widest=16; elif has avx2 && has fma; then widest=8; fi
paths=()
if (( widest > 8 )) && has avx2 && has fma; then paths+=(8); fi
if (( widest > 4 )); then paths+=(4); fi
echo "native kernels: ${widest} lanes; forcing: ${paths[*]:-none}"
for lanes in "${paths[@]}"; do
    echo "== swift test with ZOO_VECTOR_LANES=${lanes}"
    ZOO_VECTOR_LANES=${lanes} swift test --skip-build
done
