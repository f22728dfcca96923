#!/usr/bin/env python3
"""Write Tests/Fixtures/curation/cases.json: caption embeddings, concept prototypes and the
selection the paper's concept-coverage curation makes of them, computed here the plain
non-streaming way (numpy only), for the streaming `ConceptSelector` + `ConceptAssignment` test.

Definitions (as docs/CLI.md, `zoo curate`):
  score(item, concept) = max over the item's caption rows of row . prototype (the first caption
      on ties); rows and prototypes are used as given (the "random" case stores unit rows).
  candidates(concept)  = the best M items by (score descending, item index ascending).
  visit order          = concepts with fewer than M candidates first (fewer candidates first, then
      lower worst score), then by increasing M-th best score; remaining ties in concept order.
  assignment           = each concept in visit order takes up to K of its candidates, best first,
      that no earlier concept took.

Cases:
  ties:   small integer vectors, so every dot product is exact in float32 and float64 and many
          scores tie exactly (tests the tie rules);
  random: unit float32 vectors; the seed is chosen so that every comparison the result depends
          on has a margin of at least 1e-5 (float32 GEMM rounding cannot flip it);
  small:  fewer items than M, so no concept has M candidates.

Seeded: the same numpy gives the same file. Regenerate with

    python3 scripts/make_curation_fixtures.py
"""
import json
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "Tests" / "Fixtures" / "curation"
MARGIN = 1e-5


def item_scores(rows, row_item, prototypes, n_items):
    scores = rows.astype(np.float64) @ prototypes.astype(np.float64).T  # [R, C]
    c = prototypes.shape[0]
    best = np.full((n_items, c), -np.inf)
    caption = np.full((n_items, c), -1, dtype=np.int64)
    second = np.full((n_items, c), -np.inf)
    position = np.zeros(n_items, dtype=np.int64)
    for r, item in enumerate(row_item):
        k = position[item]
        position[item] += 1
        for j in range(c):
            s = scores[r, j]
            if s > best[item, j]:
                second[item, j] = best[item, j]
                best[item, j] = s
                caption[item, j] = k
            elif s > second[item, j]:
                second[item, j] = s
    return best, caption, second


def curate(rows, row_item, prototypes, n_items, keep, per_concept):
    best, caption, second = item_scores(rows, row_item, prototypes, n_items)
    c = prototypes.shape[0]
    candidates = []
    for j in range(c):
        ranked = sorted(range(n_items), key=lambda i: (-best[i, j], i))[:keep]
        candidates.append(ranked)

    def key(j):
        kept = candidates[j]
        full = len(kept) >= keep
        worst = best[kept[keep - 1], j] if full else (best[kept[-1], j] if kept else -np.inf)
        return (1 if full else 0, keep if full else len(kept), worst, j)

    order = sorted(range(c), key=key)
    taken = set()
    counts = [0] * c
    selections = []
    for j in order:
        for i in candidates[j]:
            if counts[j] >= per_concept:
                break
            if i in taken:
                continue
            taken.add(i)
            counts[j] += 1
            selections.append({"concept": j, "index": i, "caption": int(caption[i, j]), "score": float(best[i, j])})
    summaries = [{
        "candidates": len(candidates[j]),
        "threshold": float(best[candidates[j][keep - 1], j]) if len(candidates[j]) >= keep else None,
        "taken": counts[j],
    } for j in range(c)]
    return {"order": order, "concepts": summaries, "selections": selections}, (best, second, candidates, order, key)


def margins_ok(rows, row_item, prototypes, n_items, keep):
    best, _, second = item_scores(rows, row_item, prototypes, n_items)
    c = prototypes.shape[0]
    # The best caption of every item beats its second by the margin.
    finite = np.isfinite(second)
    if np.any((best - second)[finite] < MARGIN):
        return False
    thresholds = []
    for j in range(c):
        ranked = np.sort(best[:, j])[::-1][:keep + 1]
        if np.any(np.diff(-ranked) < MARGIN):
            return False
        thresholds.append(ranked[min(keep, n_items) - 1])
    thresholds = np.sort(np.array(thresholds))
    return not np.any(np.diff(thresholds) < MARGIN)


def make_case(name, rows, row_item, prototypes, keep, per_concept):
    n_items = int(row_item.max()) + 1
    expected, _ = curate(rows, row_item, prototypes, n_items, keep, per_concept)
    return {
        "name": name, "keep": keep, "per_concept": per_concept, "width": int(prototypes.shape[1]),
        "prototypes": compact(prototypes),
        "rows": compact(rows),
        "row_item": row_item.tolist(),
        "item_ids": [f"item-{i:04d}" for i in range(n_items)],
        "expected": expected,
    }


def compact(matrix):
    # 9 significant digits identify a float32; shorter JSON than float64 reprs.
    return [[float(f"{v:.9g}") for v in row] for row in matrix.astype(np.float32).tolist()]


def captions_per_item(rng, n_items, most):
    counts = rng.integers(1, most + 1, size=n_items)
    return np.repeat(np.arange(n_items), counts)


def unit(x):
    x = x.astype(np.float32)
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


def main():
    cases = []
    rng = np.random.default_rng(6)
    # ties: integers in -2..2, width 6; duplicated rows make exact ties between items.
    row_item = captions_per_item(rng, 150, 3)
    rows = rng.integers(-2, 3, size=(len(row_item), 6)).astype(np.float32)
    rows[10:20] = rows[0:10]
    prototypes = rng.integers(-2, 3, size=(7, 6)).astype(np.float32)
    prototypes[5] = prototypes[2]  # two identical concepts: the same threshold
    cases.append(make_case("ties", rows, row_item, prototypes, keep=10, per_concept=7))

    # random: unit vectors, width 24, 9 concepts, 420 items, M 30, K 25 (concepts compete).
    for seed in range(100, 200):
        rng = np.random.default_rng(seed)
        row_item = captions_per_item(rng, 420, 3)
        rows = unit(rng.standard_normal((len(row_item), 24)))
        prototypes = unit(rng.standard_normal((9, 24)))
        if margins_ok(rows, row_item, prototypes, 420, 30):
            cases.append(make_case("random", rows, row_item, prototypes, keep=30, per_concept=25))
            break
    else:
        raise SystemExit("no seed with enough margin")

    # small: 30 items, M 50 (no concept full), K 4.
    for seed in range(300, 400):
        rng = np.random.default_rng(seed)
        row_item = captions_per_item(rng, 30, 2)
        rows = unit(rng.standard_normal((len(row_item), 12)))
        prototypes = unit(rng.standard_normal((5, 12)))
        if margins_ok(rows, row_item, prototypes, 30, 50):
            cases.append(make_case("small", rows, row_item, prototypes, keep=50, per_concept=4))
            break
    else:
        raise SystemExit("no seed with enough margin")

    OUT.mkdir(parents=True, exist_ok=True)
    with open(OUT / "cases.json", "w") as f:
        json.dump({"cases": cases}, f, separators=(",", ":"))
        f.write("\n")
    for case in cases:
        e = case["expected"]
        print(case["name"], "order", e["order"], "selected", len(e["selections"]),
              "taken", [c["taken"] for c in e["concepts"]])


if __name__ == "__main__":
    main()
