#!/usr/bin/env bash
# Fuzzes the safetensors reader (and the writer, via a round trip) with libFuzzer + AddressSanitizer.
#
# Usage: scripts/fuzz_safetensors.sh [SECONDS]   (default 60)
#
# Builds .build-fuzz/safetensors-fuzz from Fuzz/SafeTensorsFuzz.swift and the sources of the
# ZooCore and ZooSafeTensors targets as one module (their LayerImports.swift left out), seeds
# .build-fuzz/corpus with valid files, then runs for SECONDS. Exits non-zero if the build fails or libFuzzer finds a crash (the crashing input is
# saved as .build-fuzz/crash-*).
set -euo pipefail

seconds="${1:-60}"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="$root/.build-fuzz"
corpus="$out/corpus"
export SWIFT_BACKTRACE=enable=no

mkdir -p "$out" "$corpus"
cd "$root"

# Prefer lld: ld.gold prints hundreds of harmless warnings about ASan's local symbols.
linker=()
if command -v ld.lld >/dev/null 2>&1 || [ -x "$(dirname "$(command -v swiftc)")/ld.lld" ]; then
    linker=(-use-ld=lld)
fi
echo "building $out/safetensors-fuzz"
swiftc -sanitize=fuzzer,address -parse-as-library -O -module-name SafeTensorsFuzz "${linker[@]}" \
    Fuzz/SafeTensorsFuzz.swift Sources/Runtime/Core/*.swift \
    $(ls Sources/Runtime/SafeTensors/*.swift | grep -v '/LayerImports.swift$') \
    -o "$out/safetensors-fuzz"

# --- seed corpus -------------------------------------------------------------------------------

# seed NAME HEADER_JSON DATA_HEX: writes u64-LE header length + header + data bytes.
seed() {
    local name="$1" header="$2" data="$3" length i
    length=${#header}
    {
        for ((i = 0; i < 8; i++)); do
            printf "\\x$(printf '%02x' $(((length >> (8 * i)) & 255)))"
        done
        printf '%s' "$header"
        local hex
        for ((i = 0; i < ${#data}; i += 2)); do
            hex="${data:i:2}"
            printf "\\x$hex"
        done
    } >"$corpus/$name"
}

seed empty.safetensors '{}' ''
seed f32.safetensors '{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}' '0000803f000000c0'
seed mixed.safetensors \
    '{"__metadata__":{"format":"pt"},"a":{"dtype":"U8","shape":[3],"data_offsets":[0,3]},"b":{"dtype":"F16","shape":[1,2],"data_offsets":[3,7]},"c":{"dtype":"I64","shape":[],"data_offsets":[7,15]}}' \
    '0102ff003c00fe2a00000000000000'
seed kinds.safetensors \
    '{"d":{"dtype":"F64","shape":[1],"data_offsets":[0,8]},"e":{"dtype":"BF16","shape":[1],"data_offsets":[8,10]},"f":{"dtype":"BOOL","shape":[2],"data_offsets":[10,12]},"g":{"dtype":"I32","shape":[1],"data_offsets":[12,16]},"h":{"dtype":"I16","shape":[1],"data_offsets":[16,18]},"i":{"dtype":"I8","shape":[1],"data_offsets":[18,19]},"j":{"dtype":"U64","shape":[1],"data_offsets":[19,27]},"k":{"dtype":"F8_E4M3","shape":[0],"data_offsets":[27,27]}}' \
    '000000000000f03f803f0100ffffffff0080fe0100000000000000'

shopt -s nullglob
for fixture in "$root"/Tests/Fixtures/safetensors/*.safetensors; do
    if [ "$(stat -c %s "$fixture" 2>/dev/null || stat -f %z "$fixture")" -le 65536 ]; then
        cp "$fixture" "$corpus/fixture-$(basename "$fixture")"
    fi
done

if python3 -c 'import safetensors.numpy, numpy' >/dev/null 2>&1; then
    python3 - "$corpus" <<'PY'
import sys
import numpy as np
from safetensors.numpy import save_file

folder = sys.argv[1]
save_file({"weight": np.arange(6, dtype=np.float32).reshape(2, 3),
           "bias": np.array([1, -2], dtype=np.int64),
           "half": np.array([1.5, -0.0, np.inf], dtype=np.float16),
           "mask": np.array([True, False]),
           "empty": np.zeros((0, 4), dtype=np.int32)},
          f"{folder}/python-mixed.safetensors", metadata={"format": "np", "note": "é\n\"q\""})
save_file({"x": np.array(2.5, dtype=np.float64)}, f"{folder}/python-scalar.safetensors")
PY
fi

# Tokens that help libFuzzer reach the header validation paths.
cat >"$out/safetensors.dict" <<'DICT'
"{"
"}"
"["
"]"
":"
","
"\"dtype\""
"\"shape\""
"\"data_offsets\""
"\"__metadata__\""
"\"F64\""
"\"F32\""
"\"F16\""
"\"BF16\""
"\"I64\""
"\"I32\""
"\"I16\""
"\"I8\""
"\"U64\""
"\"U32\""
"\"U16\""
"\"U8\""
"\"BOOL\""
"\"F8_E4M3\""
"\"F8_E5M2\""
"18446744073709551615"
"9223372036854775807"
"-1"
"\\u0000"
"\\ud800"
DICT

# --- fuzz --------------------------------------------------------------------------------------

echo "fuzzing for ${seconds}s"
status=0
"$out/safetensors-fuzz" "$corpus" \
    -dict="$out/safetensors.dict" \
    -max_total_time="$seconds" \
    -max_len=8192 \
    -timeout=10 \
    -print_final_stats=1 \
    -artifact_prefix="$out/" || status=$?

if [ "$status" -ne 0 ]; then
    echo "libFuzzer found a problem (exit $status); see $out/crash-* or leak-*/timeout-*" >&2
    exit "$status"
fi
echo "no crashes found"
