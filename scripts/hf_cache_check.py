#!/usr/bin/env python3
"""huggingface_hub's side of zoo's Hugging Face cache interoperability test (CLIHubTests).

    hf_cache_check.py read REPO REVISION CACHE      # what huggingface_hub finds offline in CACHE
    hf_cache_check.py download REPO REVISION CACHE  # huggingface_hub downloads from HF_ENDPOINT into CACHE

Prints one JSON object: the snapshot folder, each file's resolved blob, and what
huggingface_hub's cache scanner reports (repositories, revisions, warnings). Python is the
peer only; zoo never runs it.
"""
import json
import os
import sys

from huggingface_hub import hf_hub_download, scan_cache_dir, snapshot_download

PATTERNS = ["*.json", "*.safetensors", "*.txt", "*_Pooling/*"]  # no model card, as many users fetch


def main():
    mode, repo, revision, cache = sys.argv[1:5]
    if mode == "download":
        snapshot = snapshot_download(repo, revision=revision, cache_dir=cache, allow_patterns=PATTERNS)
    else:
        snapshot = snapshot_download(repo, revision=revision, cache_dir=cache, local_files_only=True)
        hf_hub_download(repo, "model.safetensors", revision=revision, cache_dir=cache, local_files_only=True)
    files = {}
    for root, _, names in os.walk(snapshot):
        for name in names:
            path = os.path.join(root, name)
            files[os.path.relpath(path, snapshot)] = os.path.relpath(os.path.realpath(path), cache)
    report = scan_cache_dir(cache)
    print(json.dumps({
        "snapshot": snapshot,
        "files": files,
        "repos": sorted(r.repo_id for r in report.repos),
        "revisions": sorted(rev.commit_hash for r in report.repos for rev in r.revisions),
        "refs": sorted(ref for r in report.repos for rev in r.revisions for ref in rev.refs),
        "warnings": [str(w) for w in report.warnings],
    }))


if __name__ == "__main__":
    main()
