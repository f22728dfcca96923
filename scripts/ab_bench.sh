#!/usr/bin/env bash
# zoo against zoo: two release builds of zoo run `zoo bench encode` alternately, ROUNDS times
# each (A then B), on the same zoo home and encoder; prints both series, their medians and the
# median of the paired ratios B / A. The machine's speed drifts by several percent over
# minutes, so only builds compared side by side like this say which one is faster.
#
#   bash scripts/ab_bench.sh OLD_ZOO NEW_ZOO [ROUNDS=10] [HOME=.] [ENCODER=all-MiniLM-L6-v2]
#
# Each run: --n 2048 --batch 64 --threads 2 --repeat 2, with OPENBLAS_CORETYPE and
# OPENBLAS_L2_SIZE unset (zoo then picks OpenBLAS's kernels for this CPU itself).
set -euo pipefail
[ $# -ge 2 ] || { echo "usage: $0 OLD_ZOO NEW_ZOO [ROUNDS] [HOME] [ENCODER]" >&2; exit 64; }
a=$1; b=$2; rounds=${3:-10}; home=${4:-.}; encoder=${5:-all-MiniLM-L6-v2}
rate() {
  env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE "$1" bench encode "$encoder" --home "$home" --n 2048 --batch 64 \
    --threads 2 --repeat 2 --json | python3 -c 'import json, sys; print(json.load(sys.stdin)["sentences_per_second"])'
}
for _ in $(seq "$rounds"); do
  echo "$(rate "$a") $(rate "$b")"
done | python3 -c '
import statistics, sys
rows = [tuple(map(float, line.split())) for line in sys.stdin if line.strip()]
a, b = [r[0] for r in rows], [r[1] for r in rows]
ratios = [y / x for x, y in rows]
print("A", " ".join(f"{x:.1f}" for x in a))
print("B", " ".join(f"{x:.1f}" for x in b))
print(f"median A {statistics.median(a):.1f}, B {statistics.median(b):.1f}; B/A paired median {statistics.median(ratios):.4f}, "
      f"mean {statistics.mean(ratios):.4f}; B faster in {sum(r > 1 for r in ratios)} of {len(ratios)}")
'
