#!/usr/bin/env python3
"""Peer benchmark: zoo's native text encoder against sentence-transformers on PyTorch CPU.

Both sides encode the same generated captions (zoo writes them with --write-sentences), with the
same batch size and the same number of threads, and the script prints sentences/s and the ratio.

    python3 scripts/peer_bench.py --zoo .build/release/zoo --model "$(bash scripts/fetch_minilm.sh | tail -1)"

Python is used here only as the peer; zoo itself runs no Python.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time


def run_zoo(args, home, sentences_file):
    cmd = [args.zoo, "bench", "encode", args.name, "--n", str(args.n), "--batch", str(args.batch),
           "--threads", str(args.threads), "--repeat", str(args.repeat),
           "--write-sentences", sentences_file, "--json", "--home", home]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True)
    return json.loads(out.stdout)


def run_torch(args, sentences):
    import torch
    torch.set_num_threads(args.threads)
    from sentence_transformers import SentenceTransformer
    model = SentenceTransformer(args.model, device="cpu")
    model.encode(sentences[: args.batch], batch_size=args.batch)  # warm-up
    best = float("inf")
    for _ in range(args.repeat):
        start = time.perf_counter()
        model.encode(sentences, batch_size=args.batch, convert_to_numpy=True)
        best = min(best, time.perf_counter() - start)
    return len(sentences) / best


def run_onnx(args, sentences):
    try:
        import onnxruntime  # noqa: F401
    except ImportError:
        return None
    return None  # ONNX export needs optimum; reported as absent when not set up


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--zoo", default=".build/release/zoo")
    parser.add_argument("--model", required=True, help="sentence-transformers folder (all-MiniLM-L6-v2)")
    parser.add_argument("--name", default="all-MiniLM-L6-v2")
    parser.add_argument("--n", type=int, default=2048)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as home:
        subprocess.run([args.zoo, "encoder", "add", args.name, "--from", args.model, "--home", home, "--link"],
                       check=True, capture_output=True)
        sentences_file = os.path.join(home, "sentences.txt")
        zoo = run_zoo(args, home, sentences_file)
        with open(sentences_file, encoding="utf-8") as handle:
            sentences = handle.read().split("\n")[: args.n]
    torch_rate = run_torch(args, sentences)
    onnx_rate = run_onnx(args, sentences)
    env = {k: os.environ.get(k, "(unset)") for k in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")}
    print(f"model {args.name}, {len(sentences)} captions of 6-20 words, batch {args.batch}, {args.threads} threads, best of {args.repeat}")
    print(f"environment {env}")
    print(f"zoo (Swift, OpenBLAS)            {zoo['sentences_per_second']:10.1f} sentences/s")
    print(f"sentence-transformers (PyTorch)  {torch_rate:10.1f} sentences/s")
    if onnx_rate:
        print(f"ONNX Runtime                     {onnx_rate:10.1f} sentences/s")
    print(f"ratio zoo / PyTorch              {zoo['sentences_per_second'] / torch_rate:10.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
