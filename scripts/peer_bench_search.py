#!/usr/bin/env python3
"""Peer benchmark of exact search: `zoo bench search` against faiss-cpu IndexFlatIP, same vectors,
same queries, same thread count, same k, query batches of 1 and 64.

The script draws N unit vectors of width D and Q unit queries with numpy (seeded), writes them
as safetensors files (index tensor `embeddings`, queries tensor `queries`) that zoo reads
memory-mapped, then alternates: zoo, faiss, zoo, faiss, ... for --pairs rounds, each side
searching consecutive query batches for --seconds per batch size. It prints each side's median
milliseconds per batch, the ratio faiss / zoo per round (above 1: zoo is faster) and their
median, and checks that both found the same top-k rows for the first batch (rows whose scores
tie to float rounding may swap).

    python3 -m pip install faiss-cpu numpy
    python3 scripts/peer_bench_search.py --zoo .build/release/zoo --n 1000000 --dim 256 --threads 2

OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE are unset for zoo's runs (zoo then picks OpenBLAS's kernels
for this CPU itself); faiss's wheel brings its own BLAS. Python is the peer only; zoo runs none.
"""
import argparse
import json
import os
import statistics
import struct
import subprocess
import sys
import tempfile
import time

import numpy as np


def write_safetensors(path, name, array):
    array = np.ascontiguousarray(array, dtype=np.float32)
    header = {name: {"dtype": "F32", "shape": list(array.shape), "data_offsets": [0, array.nbytes]}}
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        f.write(array.tobytes())


def unit_rows(rng, count, dim):
    rows = rng.standard_normal((count, dim), dtype=np.float32)
    rows /= np.linalg.norm(rows, axis=1, keepdims=True)
    return rows


def run_zoo(args, index_path, queries_path):
    env = {k: v for k, v in os.environ.items() if k not in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")}
    env["SWIFT_BACKTRACE"] = "enable=no"
    out = subprocess.run(
        [args.zoo, "bench", "search", "--index", index_path, "--queries", queries_path, "--batch",
         ",".join(map(str, args.batches)), "--k", str(args.k), "--seconds", str(args.seconds),
         "--threads", str(args.threads), "--json"],
        check=True, capture_output=True, text=True, env=env).stdout
    result = json.loads(out)
    return {row["batch"]: row for row in result["batches"]}


def run_faiss(args, index, queries):
    import faiss
    results = {}
    for batch in args.batches:
        times = []
        first = None
        offset = 0
        started = time.perf_counter()
        while time.perf_counter() - started < args.seconds or len(times) < 3:
            if offset + batch > len(queries):
                offset = 0
            chunk = queries[offset:offset + batch]
            start = time.perf_counter()
            _, rows = index.search(chunk, args.k)
            times.append(time.perf_counter() - start)
            if first is None:
                first = rows.tolist()
            offset += batch
        median = sorted(times)[len(times) // 2]
        results[batch] = {"ms_per_batch": median * 1e3, "queries_per_second": batch / median, "first_hits": first,
                          "searches": len(times)}
    return results


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--zoo", default=".build/release/zoo")
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--dim", type=int, default=256)
    parser.add_argument("--queries", type=int, default=1024)
    parser.add_argument("--batches", type=int, nargs="+", default=[1, 64])
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--pairs", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--folder", help="where to write the vectors (default: a temporary folder)")
    args = parser.parse_args()

    import faiss
    faiss.omp_set_num_threads(args.threads)
    rng = np.random.default_rng(args.seed)
    vectors = unit_rows(rng, args.n, args.dim)
    queries = unit_rows(rng, args.queries, args.dim)
    folder = args.folder or tempfile.mkdtemp(prefix="zoo-search-bench-")
    os.makedirs(folder, exist_ok=True)
    index_path = os.path.join(folder, "index.safetensors")
    queries_path = os.path.join(folder, "queries.safetensors")
    write_safetensors(index_path, "embeddings", vectors)
    write_safetensors(queries_path, "queries", queries)
    index = faiss.IndexFlatIP(args.dim)
    index.add(vectors)
    print(f"{args.n} x {args.dim} F32 vectors, {args.queries} queries, k {args.k}, {args.threads} threads, "
          f"faiss {faiss.__version__}, numpy {np.__version__}")

    rounds = {batch: [] for batch in args.batches}
    zoo_ms = {batch: [] for batch in args.batches}
    faiss_ms = {batch: [] for batch in args.batches}
    agreement = None
    for round_index in range(args.pairs):
        zoo = run_zoo(args, index_path, queries_path)
        peer = run_faiss(args, index, queries)
        for batch in args.batches:
            zoo_ms[batch].append(zoo[batch]["ms_per_batch"])
            faiss_ms[batch].append(peer[batch]["ms_per_batch"])
            rounds[batch].append(peer[batch]["ms_per_batch"] / zoo[batch]["ms_per_batch"])
            if agreement is None or batch == args.batches[-1]:
                same = sum(len(set(a) & set(b)) for a, b in zip(zoo[batch]["first_hits"], peer[batch]["first_hits"]))
                total = sum(len(a) for a in peer[batch]["first_hits"])
                agreement = (same, total)
        print(f"round {round_index + 1}: " + ", ".join(
            f"batch {b}: zoo {zoo[b]['ms_per_batch']:.2f} ms, faiss {peer[b]['ms_per_batch']:.2f} ms" for b in args.batches))
    for batch in args.batches:
        print(f"batch {batch}: zoo median {statistics.median(zoo_ms[batch]):.2f} ms "
              f"({batch / statistics.median(zoo_ms[batch]) * 1e3:.1f} queries/s), faiss median "
              f"{statistics.median(faiss_ms[batch]):.2f} ms; faiss/zoo per round "
              f"{' '.join(f'{r:.3f}' for r in rounds[batch])}, median {statistics.median(rounds[batch]):.3f}")
    print(f"first-batch top-{args.k} rows in common: {agreement[0]} of {agreement[1]}")
    if args.folder is None:
        for path in (index_path, queries_path):
            os.remove(path)
        os.rmdir(folder)


if __name__ == "__main__":
    main()
