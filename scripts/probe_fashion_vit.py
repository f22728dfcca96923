#!/usr/bin/env python3
"""Linear probe of a Fashion-MNIST ViT folder (default models/fashion-vit) on frozen features.

Loads the folder with transformers (`Dinov2Model.from_pretrained`), prints its output shapes,
extracts two features per image — the CLS token after the final LayerNorm (`pooler_output`) and
the mean of all 50 tokens of `last_hidden_state` — for the 60,000 training and 10,000 test
images, and fits a multinomial logistic regression on the training features (L2 strength chosen
on 10,000 held-out training images, then refitted on all 60,000), scored once on the test split.
Labels are used only here. With --random-baseline it does the same for a randomly initialised
model of the same configuration (seeded); with --pixels it probes the raw 784 pixels too.

    python3 scripts/probe_fashion_vit.py [FOLDER] [--random-baseline] [--pixels] [--json FILE]
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import torch
from transformers import Dinov2Config, Dinov2Model

sys.path.insert(0, str(Path(__file__).resolve().parent))
from fashion_vit_common import OUT, extract_features, linear_probe, load_split, normalise  # noqa: E402


def probe_model(model, train, test, seed: int, label: str) -> dict:
    start = time.time()
    (train_images, train_labels), (test_images, test_labels) = train, test
    train_cls, train_mean = extract_features(model, train_images)
    test_cls, test_mean = extract_features(model, test_images)
    features_s = time.time() - start
    cls = linear_probe(train_cls, train_labels, test_cls, test_labels, seed=seed)
    mean = linear_probe(train_mean, train_labels, test_mean, test_labels, seed=seed)
    print(f"{label}: linear-probe test accuracy CLS (pooler_output) {cls['accuracy']:.4f} "
          f"(L2 {cls['weight_decay']:g}), mean token {mean['accuracy']:.4f} (L2 {mean['weight_decay']:g}) "
          f"[features {features_s:.0f} s, total {time.time() - start:.0f} s]", flush=True)
    return {"cls": cls, "mean_token": mean}


def probe_folder(folder: Path, threads: int = 2, seed: int = 0, random_baseline: bool = False,
                 pixels: bool = False) -> dict:
    torch.set_num_threads(threads)
    train, test = load_split("train"), load_split("test")
    model = Dinov2Model.from_pretrained(folder).eval()
    with torch.no_grad():
        x = normalise(torch.from_numpy(test[0][:2].copy()).float().div(255).unsqueeze(1))
        out = model(pixel_values=x)
    print(f"loaded {folder} with transformers: {sum(p.numel() for p in model.parameters()):,} parameters; "
          f"input {tuple(x.shape)} → last_hidden_state {tuple(out.last_hidden_state.shape)}, "
          f"pooler_output {tuple(out.pooler_output.shape)}", flush=True)
    results = {"trained": probe_model(model, train, test, seed, "trained")}
    if random_baseline:
        torch.manual_seed(seed)
        config = Dinov2Config.from_pretrained(folder)
        results["random_init"] = probe_model(Dinov2Model(config).eval(), train, test, seed, f"random init (seed {seed})")
    if pixels:
        flat = lambda images: images.reshape(len(images), -1) / 255.0  # noqa: E731
        results["raw_pixels"] = linear_probe(flat(train[0]), train[1], flat(test[0]), test[1], seed=seed)
        print(f"raw pixels: linear-probe test accuracy {results['raw_pixels']['accuracy']:.4f} "
              f"(L2 {results['raw_pixels']['weight_decay']:g})", flush=True)
    print(json.dumps(results))
    return results


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folder", nargs="?", type=Path, default=OUT)
    parser.add_argument("--random-baseline", action="store_true")
    parser.add_argument("--pixels", action="store_true", help="also probe raw pixels")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--json", type=Path, help="write the results here")
    args = parser.parse_args()
    results = probe_folder(args.folder, threads=args.threads, seed=args.seed,
                           random_baseline=args.random_baseline, pixels=args.pixels)
    if args.json:
        args.json.write_text(json.dumps(results, indent=1) + "\n")


if __name__ == "__main__":
    main()
