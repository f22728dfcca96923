#!/usr/bin/env bash
# schemathesis against a live `zoo serve` and docs/openapi.yaml, for a bounded time: every
# response must be documented (status, content type, schema) and none may be a 5xx; the server
# must still answer /health afterwards and exit 0 on SIGTERM.
#
#   bash scripts/api_fuzz.sh [ZOO_BINARY] [SECONDS]
#
# The home it serves (a temporary folder) holds the tiny BERT and DINOv2 fixtures, a pair
# trained on 128 Fashion-MNIST images and an index of 24 test images, so requests that name
# 'dino+tb' or 'tb' reach the models and the index 'pngs' exists.
set -euo pipefail
cd "$(dirname "$0")/.."
zoo=${1:-.build/debug/zoo}
seconds=${2:-60}
export SWIFT_BACKTRACE=enable=no
python3 -m pip install -q --disable-pip-version-check "schemathesis==4.32.5"
work=$(mktemp -d)
server=""
cleanup() {
  [ -n "$server" ] && kill "$server" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
home="$work/home"
python3 - "$work" <<'PY'
import gzip, os, sys
work = sys.argv[1]
src = "/usr/share/datasets/fashion-mnist"
os.makedirs(f"{work}/train")
images = gzip.open(f"{src}/train-images-idx3-ubyte.gz").read()
labels = gzip.open(f"{src}/train-labels-idx1-ubyte.gz").read()
count = (128).to_bytes(4, "big")
open(f"{work}/train/train-images-idx3-ubyte", "wb").write(images[:4] + count + images[8:16] + images[16:16 + 128 * 784])
open(f"{work}/train/train-labels-idx1-ubyte", "wb").write(labels[:4] + count + labels[8:8 + 128])
PY
python3 scripts/export_pngs.py --idx /usr/share/datasets/fashion-mnist --count 24 --out "$work/pngs" >/dev/null
"$zoo" encoder add dino --from Tests/Fixtures/vision/models/dinov2-mnist --home "$home" >/dev/null
"$zoo" encoder add tb --from Tests/Fixtures/models/tiny-bert --home "$home" >/dev/null
"$zoo" dataset add fm --path "$work/train" --format idx --classnames data/fashion-mnist/classnames.txt \
  --captions-from-labels data/fashion-mnist/caption_templates.txt --home "$home" >/dev/null
"$zoo" train dino+tb --data fm --epochs 1 --batch 32 --dim 16 --home "$home" >/dev/null
"$zoo" index build dino+tb --images "$work/pngs" --name pngs --home "$home" >/dev/null
"$zoo" serve --port 0 --home "$home" --max-body 1048576 > "$work/serve.out" 2> "$work/serve.err" &
server=$!
for _ in $(seq 300); do grep -q "listening on" "$work/serve.out" && break; sleep 0.1; done
url=$(sed -n 's/^listening on //p' "$work/serve.out")
[ -n "$url" ] || { echo "api-fuzz: zoo serve did not start" >&2; cat "$work/serve.err" >&2; exit 1; }
echo "api-fuzz: schemathesis against $url for ${seconds} s"
schemathesis run docs/openapi.yaml --url "$url" --max-time "$seconds" --workers 2 \
  --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance \
  --generation-deterministic --suppress-health-check all
python3 -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1] + "/health", timeout=10)' "$url" \
  || { echo "api-fuzz: the server stopped answering" >&2; exit 1; }
kill -TERM "$server"
status=0
wait "$server" || status=$?
server=""
[ "$status" -eq 0 ] || { echo "api-fuzz: zoo serve exited $status after SIGTERM" >&2; cat "$work/serve.err" >&2; exit 1; }
echo "api-fuzz: no server errors, every response documented; zoo serve exited 0"
