#!/usr/bin/env python3
"""Load test of an embeddings server with wrk: fixed time at 1, 8 and 64 connections.

Starts `zoo serve` (or, with --peer, a peer server serving the same MiniLM on CPU PyTorch) on a
free loopback port, drives POST /v1/embeddings with wrk for --seconds at each connection count,
and prints requests/s, sentences/s, p50 and p99 latency and the non-2xx and socket error counts
per level, then stops the server with SIGTERM and checks it exited 0.

    python3 scripts/serve_load.py --zoo .build/release/zoo --home . --model all-MiniLM-L6-v2
    python3 scripts/serve_load.py --zoo .build/release/zoo --home . --model fashion-vit+all-MiniLM-L6-v2@token --images build/demo/photos
    python3 scripts/serve_load.py --peer --minilm "$(bash scripts/fetch_minilm.sh | tail -1)"
    python3 scripts/serve_load.py --peer --infinity /tmp/infvenv/bin/infinity_emb --minilm "$(bash scripts/fetch_minilm.sh | tail -1)"

Each request carries --per-request sentences (default 1, as a chat client embeds one message) or
images; with --sentences FILE the requests cycle through its lines (for instance the captions that
`zoo bench encode --write-sentences FILE` encodes, so both measure the same sentences). The peer (--peer) is sentence-transformers behind a small asyncio HTTP server with the
same dynamic batching as zoo (requests waiting together are encoded as one batch up to
--max-batch), run with the same thread count. Python is the peer and the driver only.
"""
import argparse
import base64
import glob
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

LUA = r"""
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local bodies = {}
for line in io.lines(os.getenv("ZOO_LOAD_BODY")) do bodies[#bodies + 1] = line end
local next_body = 0
request = function()
  next_body = next_body % #bodies + 1
  return wrk.format(nil, nil, nil, bodies[next_body])
end
done = function(summary, latency, requests)
  local non2xx = summary.errors.status
  io.write(string.format('{"requests": %d, "seconds": %.3f, "p50_ms": %.3f, "p99_ms": %.3f, "non2xx": %d, "socket_errors": %d}\n',
    summary.requests, summary.duration / 1e6, latency:percentile(50) / 1e3, latency:percentile(99) / 1e3,
    non2xx, summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
"""


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_ready(url, process, seconds=120):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if process.poll() is not None:
            sys.exit(f"server exited with {process.returncode}")
        try:
            with urllib.request.urlopen(url + "/health", timeout=2) as response:
                if response.status == 200:
                    return
        except Exception:
            time.sleep(0.2)
    sys.exit("server did not become ready")


def bodies_for(args):
    """Request bodies, cycled through by wrk: images, the sentences of --sentences (one per line,
    e.g. what `zoo bench encode --write-sentences` wrote), or one fixed sentence."""
    if args.images:
        files = sorted(glob.glob(os.path.join(args.images, "*.png")))[: args.per_request] or sys.exit("no PNG files in --images")
        inputs = [base64.b64encode(open(f, "rb").read()).decode() for f in files]
        return [{"model": args.model, "modality": "image", "input": inputs}]
    if args.sentences:
        lines = [l.rstrip("\n") for l in open(args.sentences, encoding="utf-8") if l.strip()]
        groups = [lines[i:i + args.per_request] for i in range(0, len(lines) - args.per_request + 1, args.per_request)]
        return [{"model": args.model, "input": g if args.per_request > 1 else g[0]} for g in groups]
    sentences = [f"a photo of a dog running on the beach number {i}" for i in range(args.per_request)]
    return [{"model": args.model, "input": sentences if args.per_request > 1 else sentences[0]}]


def run_wrk(url, connections, seconds, body_file, threads):
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(LUA)
    env = dict(os.environ, ZOO_LOAD_BODY=body_file)
    out = subprocess.run(
        ["wrk", "-t", str(min(threads, connections)), "-c", str(connections), "-d", f"{seconds}s", "--latency",
         "-s", script.name, url + "/v1/embeddings"], capture_output=True, text=True, env=env, check=True).stdout
    os.unlink(script.name)
    return json.loads(out.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--zoo", default=".build/release/zoo")
    parser.add_argument("--home", default=".")
    parser.add_argument("--model", default="all-MiniLM-L6-v2")
    parser.add_argument("--images", help="a folder of PNG files to send instead of sentences (modality image)")
    parser.add_argument("--sentences", help="a file of sentences, one per line, sent in turn (default: one fixed sentence)")
    parser.add_argument("--per-request", type=int, default=1)
    parser.add_argument("--connections", type=int, nargs="+", default=[1, 8, 64])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--max-batch", type=int, default=32,
                        help="largest batch (zoo serve's --max-batch, whose default is 32; the peers' batch size)")
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--serve-args", default="", help="more `zoo serve` options, e.g. \"--batch-workers 2\"")
    parser.add_argument("--peer", action="store_true", help="serve with sentence-transformers instead of zoo")
    parser.add_argument("--minilm", help="the all-MiniLM-L6-v2 folder, for --peer")
    parser.add_argument("--infinity", help="with --peer: serve with this infinity_emb executable (infinity-emb from PyPI) instead")
    args = parser.parse_args()

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if k not in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")}
    env["SWIFT_BACKTRACE"] = "enable=no"
    health = url
    if args.peer and args.infinity:
        cmd = [args.infinity, "v2", "--model-id", args.minilm, "--served-model-name", args.model, "--engine", "torch",
               "--device", "cpu", "--port", str(port), "--host", "127.0.0.1", "--batch-size", str(args.max_batch),
               "--url-prefix", "/v1", "--no-model-warmup"]
        for key in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
            env[key] = str(args.threads)
        env["HF_HUB_OFFLINE"] = "1"
        env["INFINITY_ANONYMOUS_USAGE_STATS"] = "0"
        name = "peer (infinity-emb, torch)"
    elif args.peer:
        cmd = [sys.executable, os.path.join(os.path.dirname(__file__), "peer_embedding_server.py"), "--port", str(port),
               "--model", args.minilm, "--max-batch", str(args.max_batch), "--threads", str(args.threads)]
        name = "peer (sentence-transformers)"
    else:
        cmd = [args.zoo, "serve", "--home", args.home, "--port", str(port), "--max-batch", str(args.max_batch),
               "--preload", args.model] + args.serve_args.split()
        env["OPENBLAS_NUM_THREADS"] = str(args.threads)
        name = "zoo serve"
    server = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL if args.infinity else None)
    try:
        wait_ready(health, server)
        with tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False) as body:
            for item in bodies_for(args):
                body.write(json.dumps(item) + "\n")
        # Warm-up.
        run_wrk(url, 1, 2, body.name, 1)
        print(f"{name}: model {args.model}, {args.per_request} {'image' if args.images else 'sentence'}(s) per request, "
              f"{args.seconds} s per level, {args.threads} threads")
        for connections in args.connections:
            r = run_wrk(url, connections, args.seconds, body.name, 2)
            rate = r["requests"] / r["seconds"]
            print(json.dumps({"connections": connections, "requests_per_second": round(rate, 1),
                              "inputs_per_second": round(rate * args.per_request, 1), "p50_ms": r["p50_ms"],
                              "p99_ms": r["p99_ms"], "non2xx": r["non2xx"], "socket_errors": r["socket_errors"]}))
        os.unlink(body.name)
    finally:
        server.send_signal(signal.SIGTERM)
        code = server.wait(timeout=60)
    print(f"server exit status {code}")
    if code != 0 and not args.peer:
        sys.exit(1)


if __name__ == "__main__":
    main()
