#!/usr/bin/env bash
# zoo's C kernels on aarch64, run under qemu-user, against the x86-64 copies, byte for byte.
#
# Builds scripts/kernel_digest.c with Sources/CVectorKernels twice: natively (x86-64: every copy
# this CPU runs) and for aarch64-linux-gnu (static, Debian's cross libc), runs the aarch64 build
# under qemu-aarch64-static, and compares each kernel's output digest on 346 seeded cases:
#   - the aarch64 copy (4 lanes, NEON, fused multiply-adds) must equal the widest fused x86-64
#     copy (AVX-512, else AVX2+FMA);
#   - AVX-512 and AVX2 must equal each other where both run.
# The x86-64 baseline copy (SSE2, products rounded separately) is not compared: its values differ
# in the last bits by design (docs/RESULTS.md, "Reproducibility").
#
# Usage: bash scripts/aarch64_kernel_check.sh   (root, or sudo, to install missing packages)
set -euo pipefail
cd "$(dirname "$0")/.."
say() { echo "aarch64-check: $*"; }

[ "$(uname -m)" = x86_64 ] || { say "runs on x86-64 (it cross-builds for aarch64)"; exit 77; }
source scripts/apt_packages.sh
install_missing aarch64-check --no-install-recommends qemu-user-static libc6-dev-arm64-cross libgcc-12-dev-arm64-cross

kernels=Sources/CVectorKernels
sysroot=/usr/aarch64-linux-gnu
gcc_dir=$(ls -d /usr/lib/gcc-cross/aarch64-linux-gnu/* | sort -V | tail -1)
work=$(mktemp -d /tmp/zoo-aarch64-check.XXXXXX)
trap 'rm -rf "$work"' EXIT

clang -O2 -Wall -Werror -I"$kernels/include" -I"$kernels" scripts/kernel_digest.c "$kernels"/*.c \
  -o "$work/digest-x86_64" -lm
clang --target=aarch64-linux-gnu -O2 -Wall -Werror -static -fuse-ld=lld --sysroot="$sysroot" \
  -isystem "$sysroot/include" --gcc-install-dir="$gcc_dir" -B"$gcc_dir" -L"$gcc_dir" -L"$sysroot/lib" \
  -I"$kernels/include" -I"$kernels" scripts/kernel_digest.c "$kernels"/*.c -o "$work/digest-aarch64" -lm

# One file per copy: the digest lines after each "# lanes N fused F" header.
split_copies() {
  awk -v dir="$1" -v tag="$2" '/^# lanes/ { file = dir "/" tag "-" $3 ".txt"; next } { print > file }' "$3"
}
"$work/digest-x86_64" > "$work/x86_64.txt"
qemu-aarch64-static "$work/digest-aarch64" > "$work/aarch64.txt"
split_copies "$work" x86_64 "$work/x86_64.txt"
split_copies "$work" aarch64 "$work/aarch64.txt"
grep -q "^# lanes 4 fused 1" "$work/aarch64.txt" || { say "the aarch64 copy does not report fused multiply-adds"; exit 1; }

status=0
compare() {
  local name_a=$1 a=$2 name_b=$3 b=$4
  local cases differing
  cases=$(wc -l < "$a")
  if [ "$cases" -lt 300 ] || [ "$cases" -ne "$(wc -l < "$b")" ]; then
    say "FAIL: $name_a has $cases cases, $name_b $(wc -l < "$b")"; status=1; return
  fi
  differing=$(diff "$a" "$b" | grep -c '^<' || true)
  if [ "$differing" -eq 0 ]; then
    say "$name_a = $name_b on all $cases kernel cases"
  else
    say "FAIL: $name_a and $name_b differ on $differing of $cases kernel cases:"
    diff "$a" "$b" | head -20
    status=1
  fi
}
widest=""
[ -f "$work/x86_64-16.txt" ] && widest=16
[ -z "$widest" ] && [ -f "$work/x86_64-8.txt" ] && widest=8
[ -n "$widest" ] || { say "this CPU runs neither the AVX-512 nor the AVX2 copy: nothing fused to compare"; exit 77; }
compare "aarch64 (NEON, qemu)" "$work/aarch64-4.txt" "x86-64 $widest lanes" "$work/x86_64-$widest.txt"
if [ -f "$work/x86_64-16.txt" ] && [ -f "$work/x86_64-8.txt" ]; then
  compare "x86-64 AVX-512" "$work/x86_64-16.txt" "x86-64 AVX2" "$work/x86_64-8.txt"
fi
exit $status
