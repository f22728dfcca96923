#!/usr/bin/env python3
"""Write Tests/Fixtures/score/: embeddings and the metrics CLIP_benchmark's definitions give for
them, computed here independently of zoo (numpy only), for `zoo score` tests.

classification.safetensors: image [N,D], classes [C,D], labels I64 [N]
retrieval.safetensors:      image [N,D], text [M,D], text_image I64 [M]
expected.json:              {"classification": {...}, "retrieval": {...}}

Definitions (rows L2-normalised, scores = cosine):
  acc1 / acc5:            share of images whose label is the top-1 / among the top-5 classes;
  mean_per_class_recall:  mean over classes present of (correct top-1 in the class / images in it);
  image_retrieval_recall@k: share of texts whose image is among their k best images;
  text_retrieval_recall@k:  share of images with at least one of their texts among their k best texts.

The embeddings are noisy copies of class / image centres, so the metrics are neither 0 nor 1.
Seeded: the same numpy gives the same bytes. Regenerate with

    python3 scripts/make_score_fixtures.py
"""
import json
from pathlib import Path

import numpy as np
from safetensors.numpy import save_file

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "Tests" / "Fixtures" / "score"


def normalize(x):
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def topk(scores, k):
    # Stable descending order: ties keep the lower index first (as zoo does).
    return np.argsort(-scores, axis=1, kind="stable")[:, :k]


def classification(rng):
    n, c, d = 700, 12, 24
    centres = rng.standard_normal((c, d))
    labels = rng.integers(0, c, size=n)
    images = centres[labels] + 1.6 * rng.standard_normal((n, d))
    classes = centres + 0.5 * rng.standard_normal((c, d))
    tensors = {"image": images.astype(np.float32), "classes": classes.astype(np.float32), "labels": labels.astype(np.int64)}
    # Metrics from the float32 values zoo reads.
    scores = normalize(tensors["image"].astype(np.float64)) @ normalize(tensors["classes"].astype(np.float64)).T
    top = topk(scores, 5)
    acc1 = float(np.mean(top[:, 0] == labels))
    acc5 = float(np.mean([labels[i] in top[i] for i in range(n)]))
    recalls = [np.mean(top[labels == k, 0] == k) for k in range(c) if np.any(labels == k)]
    return tensors, {"acc1": acc1, "acc5": acc5, "mean_per_class_recall": float(np.mean(recalls))}


def retrieval(rng):
    n, per, d = 300, 3, 20
    centres = rng.standard_normal((n, d))
    text_image = np.repeat(np.arange(n), per)
    texts = centres[text_image] + 1.1 * rng.standard_normal((n * per, d))
    images = centres + 1.1 * rng.standard_normal((n, d))
    tensors = {"image": images.astype(np.float32), "text": texts.astype(np.float32), "text_image": text_image.astype(np.int64)}
    img = normalize(tensors["image"].astype(np.float64))
    txt = normalize(tensors["text"].astype(np.float64))
    scores = txt @ img.T
    metrics = {}
    t2i = topk(scores, 10)
    i2t = topk(scores.T, 10)
    for k in (1, 5, 10):
        metrics[f"image_retrieval_recall@{k}"] = float(np.mean([text_image[j] in t2i[j, :k] for j in range(len(text_image))]))
        metrics[f"text_retrieval_recall@{k}"] = float(np.mean([np.any(text_image[i2t[i, :k]] == i) for i in range(n)]))
    return tensors, metrics


def main():
    rng = np.random.default_rng(20241)
    OUT.mkdir(parents=True, exist_ok=True)
    cls_tensors, cls_metrics = classification(rng)
    ret_tensors, ret_metrics = retrieval(rng)
    save_file(cls_tensors, str(OUT / "classification.safetensors"))
    save_file(ret_tensors, str(OUT / "retrieval.safetensors"))
    (OUT / "expected.json").write_text(json.dumps({"classification": cls_metrics, "retrieval": ret_metrics}, indent=2, sort_keys=True) + "\n")
    print(json.dumps({"classification": cls_metrics, "retrieval": ret_metrics}, indent=1, sort_keys=True))


if __name__ == "__main__":
    main()
