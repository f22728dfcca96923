#!/usr/bin/env python3
"""Peer benchmarks: zoo's native encoders against PyTorch CPU, same inputs, same thread count.

Text (default): all-MiniLM-L6-v2 in zoo against sentence-transformers, and against ONNX Runtime
when `onnxruntime` and `onnx` are installed (the model is exported with torch.onnx.export; batches
sorted by length and padded as sentence-transformers does). All encode the same generated
captions (zoo writes them with --write-sentences) with the same batch size and thread count.

    python3 scripts/peer_bench.py --zoo .build/release/zoo --model "$(bash scripts/fetch_minilm.sh | tail -1)"

With --pairs N the two run N times each, in pairs seconds apart (zoo first in odd pairs, PyTorch
first in even ones), and every pair's ratio is printed with their median: the machine's speed
drifts by several percent over minutes, and a pair sees the same drift on both sides. With
--baseline OTHER_ZOO each of the N rounds runs both builds and PyTorch twice, so two builds can be
compared against PyTorch in the same windows.

Vision (--vision): a randomly initialised DINOv2 of ViT-S/14 size (hidden 384, 12 layers,
6 heads, MLP 1536), saved once with transformers' save_pretrained so both sides load the same
weights, on the same preprocessed 224 px images (zoo's preprocessing equals the HF processor's).
zoo's figure is the model-only images/s of `zoo bench encode`; PyTorch runs Dinov2Model on
the pixel batch from the HF image processor.

    python3 scripts/peer_bench.py --vision --zoo .build/release/zoo --batch 16 --threads 2

Python is used here only as the peer; zoo itself runs no Python.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time


def run_zoo(args, home, sentences_file, binary=None):
    cmd = [binary or args.zoo, "bench", "encode", args.name, "--n", str(args.n), "--batch", str(args.batch),
           "--threads", str(args.threads), "--repeat", str(args.repeat),
           "--write-sentences", sentences_file, "--json", "--home", home]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True)
    return json.loads(out.stdout)


def load_torch(args, sentences):
    """sentence-transformers on PyTorch CPU with the benchmark's thread count, warmed up."""
    import torch
    torch.set_num_threads(args.threads)
    from sentence_transformers import SentenceTransformer
    model = SentenceTransformer(args.model, device="cpu")
    model.encode(sentences[: args.batch], batch_size=args.batch)  # warm-up
    return model


def run_torch(args, model, sentences):
    """Best of --repeat passes over all sentences, in sentences/s."""
    best = float("inf")
    for _ in range(args.repeat):
        start = time.perf_counter()
        model.encode(sentences, batch_size=args.batch, convert_to_numpy=True)
        best = min(best, time.perf_counter() - start)
    return len(sentences) / best


def export_onnx(model_folder, target):
    """Exports the folder's transformer (token states) to ONNX with dynamic batch and length."""
    import torch
    from transformers import AutoModel
    class TokenStates(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.model = AutoModel.from_pretrained(model_folder).eval()

        def forward(self, input_ids, attention_mask):
            return self.model(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state

    ids = torch.ones(2, 8, dtype=torch.long)
    mask = torch.ones(2, 8, dtype=torch.long)
    with torch.no_grad():
        torch.onnx.export(TokenStates().eval(), (ids, mask), target, input_names=["input_ids", "attention_mask"],
                          output_names=["last_hidden_state"], opset_version=17, dynamo=False,
                          dynamic_axes={"input_ids": {0: "batch", 1: "length"},
                                        "attention_mask": {0: "batch", 1: "length"},
                                        "last_hidden_state": {0: "batch", 1: "length"}})


def run_onnx(args, sentences):
    """ONNX Runtime on the same sentences, the way sentence-transformers batches them: sorted by
    length, padded per batch, mean pooling and L2 normalisation in numpy. Two graphs: the plain
    export, and the export after ONNX Runtime's BERT fusions (attention, skip-LayerNorm,
    bias-GELU; `onnxruntime.transformers.optimizer`). Returns, per graph, its label, sentences/s
    and the smallest cosine to sentence-transformers' embeddings over a sample; None when
    onnxruntime (or onnx, which the export needs) is not installed."""
    try:
        import numpy as np
        import onnx  # noqa: F401
        import onnxruntime as ort
        from onnxruntime.transformers import optimizer
    except ImportError:
        return None
    from sentence_transformers import SentenceTransformer
    from transformers import AutoTokenizer
    tokenizer = AutoTokenizer.from_pretrained(args.model)
    with open(os.path.join(args.model, "config.json"), encoding="utf-8") as handle:
        config = json.load(handle)
    order = sorted(range(len(sentences)), key=lambda i: -len(sentences[i]))
    sample = order[:: max(1, len(sentences) // 64)]
    reference = SentenceTransformer(args.model, device="cpu").encode(
        [sentences[i] for i in sample], batch_size=args.batch, normalize_embeddings=True)

    def encode_all(session):
        out = [None] * len(sentences)
        for start in range(0, len(order), args.batch):
            chunk = order[start:start + args.batch]
            tokens = tokenizer([sentences[i] for i in chunk], padding=True, truncation=True, max_length=256,
                               return_tensors="np")
            mask = tokens["attention_mask"].astype(np.int64)
            states = session.run(None, {"input_ids": tokens["input_ids"].astype(np.int64),
                                        "attention_mask": mask})[0]
            weights = mask[:, :, None].astype(np.float32)
            pooled = (states * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)
            pooled /= np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)
            for row, index in enumerate(chunk):
                out[index] = pooled[row]
        return np.stack(out)

    results = []
    with tempfile.TemporaryDirectory() as folder:
        plain = os.path.join(folder, "model.onnx")
        export_onnx(args.model, plain)
        fused = os.path.join(folder, "model-fused.onnx")
        optimizer.optimize_model(plain, model_type="bert", num_heads=config["num_attention_heads"],
                                 hidden_size=config["hidden_size"]).save_model_to_file(fused)
        for label, path in (("ONNX Runtime", plain), ("ONNX Runtime, BERT fusions", fused)):
            options = ort.SessionOptions()
            options.intra_op_num_threads = args.threads
            options.inter_op_num_threads = 1
            options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
            session = ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])
            # The export must give sentence-transformers' embeddings, padded batches included.
            worst = float((encode_all(session)[sample] * reference).sum(axis=1).min())  # also the warm-up
            if worst < 0.9999:
                raise SystemExit(f"{label} disagrees with sentence-transformers: min cosine {worst:.6f}")
            best = float("inf")
            for _ in range(args.repeat):
                start = time.perf_counter()
                encode_all(session)
                best = min(best, time.perf_counter() - start)
            results.append((label, len(sentences) / best, worst))
    return results


def make_vit_small(folder):
    import torch
    from transformers import AutoImageProcessor, Dinov2Config, Dinov2Model
    torch.manual_seed(0)
    config = Dinov2Config(hidden_size=384, num_hidden_layers=12, num_attention_heads=6, mlp_ratio=4,
                          patch_size=14, image_size=518, layerscale_value=1e-5)
    model = Dinov2Model(config).eval()
    model.save_pretrained(folder, safe_serialization=True)
    fixture = os.path.join(os.path.dirname(__file__), "..", "Tests", "Fixtures", "vision", "models", "dinov2-tiny",
                           "preprocessor_config.json")
    with open(fixture, encoding="utf-8") as source, open(os.path.join(folder, "preprocessor_config.json"), "w",
                                                         encoding="utf-8") as target:
        target.write(source.read())
    return model


def run_vision(args):
    import torch
    from transformers import AutoImageProcessor
    from PIL import Image
    torch.set_num_threads(args.threads)
    images_dir = os.path.join(os.path.dirname(__file__), "..", "Tests", "Fixtures", "vision", "images")
    files = sorted(os.path.join(images_dir, f) for f in os.listdir(images_dir))
    with tempfile.TemporaryDirectory() as home:
        folder = os.path.join(home, "vit-s14")
        model = make_vit_small(folder)
        subprocess.run([args.zoo, "encoder", "add", "vit-s14", "--from", folder, "--home", home],
                       check=True, capture_output=True)
        cmd = [args.zoo, "bench", "encode", "vit-s14", "--images", *files, "--n", str(args.n), "--batch",
               str(args.batch), "--threads", str(args.threads), "--repeat", str(args.repeat), "--json", "--home", home]
        zoo = json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout)
        processor = AutoImageProcessor.from_pretrained(folder)
        batch_files = [files[i % len(files)] for i in range(args.batch)]
        pixels = processor(images=[Image.open(f).convert("RGB") for f in batch_files], return_tensors="pt")["pixel_values"]
        batches = max(1, args.n // args.batch)
        with torch.inference_mode():
            model(pixel_values=pixels)
            best = float("inf")
            for _ in range(args.repeat):
                start = time.perf_counter()
                for _ in range(batches):
                    model(pixel_values=pixels)
                best = min(best, time.perf_counter() - start)
    torch_rate = batches * args.batch / best
    env = {k: os.environ.get(k, "(unset)") for k in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "ZOO_VECTOR_LANES", "ATEN_CPU_CAPABILITY")}
    print(f"DINOv2 ViT-S/14 (random weights), 224 px, batch {args.batch}, {args.threads} threads, "
          f"{batches * args.batch} images, best of {args.repeat}")
    print(f"environment {env}")
    print(f"zoo model only                   {zoo['images_per_second_model_only']:10.1f} images/s")
    if "images_per_second_with_preprocessing" in zoo:
        print(f"zoo with decoding+preprocessing  {zoo['images_per_second_with_preprocessing']:10.1f} images/s")
    print(f"zoo GEMM share {100 * zoo['gemm_share']:.0f}% of thread time, "
          f"{zoo['gemm_gflops_per_thread']:.1f} GFLOP/s per calling thread")
    print(f"transformers Dinov2Model         {torch_rate:10.1f} images/s")
    print(f"ratio zoo / PyTorch              {zoo['images_per_second_model_only'] / torch_rate:10.2f}x")
    return 0


def compare_builds(args, home, sentences_file, model, sentences):
    """--baseline: each of --pairs rounds runs the baseline build, PyTorch, this build and PyTorch
    again (the two builds swap places every round), so both builds meet PyTorch in the same
    window; prints each round and both builds' median ratios."""
    env = {k: os.environ.get(k, "(unset)") for k in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "ZOO_VECTOR_LANES", "ATEN_CPU_CAPABILITY")}
    print(f"model {args.name}, {args.n} captions, batch {args.batch}, {args.threads} threads, best of {args.repeat}; "
          f"baseline {args.baseline}, zoo {args.zoo}; environment {env}")
    rows = []
    for index in range(args.pairs):
        first, second = (args.baseline, args.zoo) if index % 2 == 0 else (args.zoo, args.baseline)
        rates = {}
        rates[first] = run_zoo(args, home, sentences_file, first)["sentences_per_second"]
        torch_first = run_torch(args, model, sentences)
        rates[second] = run_zoo(args, home, sentences_file, second)["sentences_per_second"]
        torch_rate = (torch_first + run_torch(args, model, sentences)) / 2
        old, new = rates[args.baseline], rates[args.zoo]
        rows.append((old, new, torch_rate))
        print(f"round {index + 1:2}: baseline {old:7.1f}  zoo {new:7.1f}  PyTorch {torch_rate:7.1f}  "
              f"ratios {old / torch_rate:5.3f}x / {new / torch_rate:5.3f}x", flush=True)
    for label, column in (("baseline", 0), ("zoo", 1)):
        ratios = [row[column] / row[2] for row in rows]
        print(f"{label:<8} ratio median {statistics.median(ratios):.3f}x, range {min(ratios):.3f}-{max(ratios):.3f}x, "
              f"{sum(r >= args.target for r in ratios)} of {len(ratios)} at {args.target}x or more")
    print(f"zoo / baseline, paired median {statistics.median(new / old for old, new, _ in rows):.4f}")
    return 0


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--zoo", default=".build/release/zoo")
    parser.add_argument("--model", help="sentence-transformers folder (all-MiniLM-L6-v2); text mode")
    parser.add_argument("--vision", action="store_true", help="benchmark DINOv2 ViT-S/14 instead of MiniLM")
    parser.add_argument("--name", default="all-MiniLM-L6-v2")
    parser.add_argument("--n", type=int, default=2048)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--pairs", type=int, default=1,
                        help="text mode: run zoo and PyTorch in this many pairs and report each pair's ratio")
    parser.add_argument("--target", type=float, default=1.5, help="ratio counted in the --pairs summary")
    parser.add_argument("--no-onnx", action="store_true", help="skip ONNX Runtime")
    parser.add_argument("--isa", choices=["native", "avx2"], default="native",
                        help="avx2: hold both sides to AVX2+FMA on any x86 CPU: zoo with ZOO_VECTOR_LANES=8 and "
                             "OPENBLAS_CORETYPE=Haswell, PyTorch with ATEN_CPU_CAPABILITY=avx2, ONEDNN_MAX_CPU_ISA=AVX2 "
                             "and MKL_ENABLE_INSTRUCTIONS=AVX2 (set before torch is imported)")
    parser.add_argument("--baseline", help="text mode: a second zoo binary run against PyTorch in the same rounds")
    args = parser.parse_args()
    if args.isa == "avx2":
        # Inherited by the zoo processes and read by torch, oneDNN and MKL when torch loads.
        os.environ.update({"ZOO_VECTOR_LANES": "8", "OPENBLAS_CORETYPE": "Haswell", "ATEN_CPU_CAPABILITY": "avx2",
                           "ONEDNN_MAX_CPU_ISA": "AVX2", "MKL_ENABLE_INSTRUCTIONS": "AVX2"})
    if args.vision:
        return run_vision(args)
    if not args.model:
        parser.error("--model is required in text mode")

    with tempfile.TemporaryDirectory() as home:
        subprocess.run([args.zoo, "encoder", "add", args.name, "--from", args.model, "--home", home, "--link"],
                       check=True, capture_output=True)
        sentences_file = os.path.join(home, "sentences.txt")
        zoo = run_zoo(args, home, sentences_file)
        with open(sentences_file, encoding="utf-8") as handle:
            sentences = handle.read().split("\n")[: args.n]
        model = load_torch(args, sentences)
        if args.baseline:
            # The first zoo run above only wrote the sentences; every round runs both builds.
            return compare_builds(args, home, sentences_file, model, sentences)
        # Further pairs alternate the two programs seconds apart, so a change in the machine's
        # speed reaches both figures of a pair; which one goes first alternates too, so neither
        # always runs on a machine the other has just warmed.
        pairs = [(zoo["sentences_per_second"], run_torch(args, model, sentences))]
        for index in range(1, args.pairs):
            if index % 2:
                torch_rate = run_torch(args, model, sentences)
                zoo_rate = run_zoo(args, home, sentences_file)["sentences_per_second"]
            else:
                zoo_rate = run_zoo(args, home, sentences_file)["sentences_per_second"]
                torch_rate = run_torch(args, model, sentences)
            pairs.append((zoo_rate, torch_rate))
    onnx = None if args.no_onnx else run_onnx(args, sentences)
    env = {k: os.environ.get(k, "(unset)") for k in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "ZOO_VECTOR_LANES", "ATEN_CPU_CAPABILITY")}
    zoo_rate = statistics.median(z for z, _ in pairs)
    torch_rate = statistics.median(t for _, t in pairs)
    print(f"model {args.name}, {len(sentences)} captions of 6-20 words, batch {args.batch}, {args.threads} threads, best of {args.repeat}")
    print(f"environment {env}")
    if len(pairs) > 1:
        ratios = sorted(z / t for z, t in pairs)
        for index, (z, t) in enumerate(pairs, 1):
            print(f"pair {index:2}: zoo {z:7.1f}  PyTorch {t:7.1f}  ratio {z / t:5.3f}x")
        print(f"{len(pairs)} pairs: ratio median {statistics.median(ratios):.3f}x, range {ratios[0]:.3f}-{ratios[-1]:.3f}x, "
              f"{sum(r >= args.target for r in ratios)} of {len(ratios)} at {args.target}x or more; medians of each side below")
    print(f"zoo (Swift, OpenBLAS)            {zoo_rate:10.1f} sentences/s")
    print(f"sentence-transformers (PyTorch)  {torch_rate:10.1f} sentences/s")
    for label, rate, worst in onnx or []:
        print(f"{label:<32} {rate:10.1f} sentences/s (min cosine to sentence-transformers {worst:.7f})")
    if onnx is None and not args.no_onnx:
        print("ONNX Runtime                     not installed (pip install onnxruntime onnx)")
    print(f"ratio zoo / PyTorch              {zoo_rate / torch_rate:10.2f}x")
    for label, rate, _ in onnx or []:
        print(f"ratio zoo / {label:<26} {zoo_rate / rate:4.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
