#!/usr/bin/env python3
"""Write Tests/Fixtures/cka/: two feature sets of the same samples and the CKA values the
Gram-matrix definition gives for them, computed here independently of zoo (numpy only), for
the `zoo cka` tests.

x.safetensors:  features F32 [N, 24]
y.safetensors:  features F32 [N, 16]
expected.json:  {"samples", "linear": {"cka"}, "rbf": {"cka", "bandwidth_x", "bandwidth_y"}}

Definitions (straight from the n x n matrices, float64):
  H = I - 11^T/n;  HSIC(K, L) = trace(K H L H) / (n - 1)^2;
  CKA = HSIC(K, L) / sqrt(HSIC(K, K) HSIC(L, L)).
  linear: K = X X^T.
  rbf:    K_ij = exp(-||x_i - x_j||^2 / (2 sigma^2)), sigma = numpy.median of the non-zero
          pairwise Euclidean distances ||x_i - x_j|| over pairs i < j (of that feature set).

Both sets are noisy functions of a shared latent, so CKA is neither 0 nor 1. X has an offset
(so centring matters) and row 5 repeats row 4 (a zero distance, left out of the median; X then
has an odd number of non-zero distances, Y an even one). Seeded: the same numpy gives the
same bytes. Regenerate with

    python3 scripts/make_cka_fixtures.py
"""
import json
from pathlib import Path

import numpy as np
from safetensors.numpy import save_file

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "Tests" / "Fixtures" / "cka"


def hsic(k, l):
    n = k.shape[0]
    h = np.eye(n) - np.ones((n, n)) / n
    return np.trace(k @ h @ l @ h) / (n - 1) ** 2


def cka(k, l):
    return hsic(k, l) / np.sqrt(hsic(k, k) * hsic(l, l))


def distances(x):
    return np.sqrt(((x[:, None, :] - x[None, :, :]) ** 2).sum(axis=-1))


def rbf(x):
    d = distances(x)
    upper = d[np.triu_indices(x.shape[0], 1)]
    sigma = float(np.median(upper[upper > 0]))
    return np.exp(-(d ** 2) / (2 * sigma ** 2)), sigma


def main():
    rng = np.random.default_rng(20240926)
    n = 96
    latent = rng.standard_normal((n, 6))
    x = latent @ rng.standard_normal((6, 24)) + 0.4 * rng.standard_normal((n, 24)) + 3.0
    y = np.tanh(latent[:, :4] @ rng.standard_normal((4, 16))) + 0.5 * rng.standard_normal((n, 16))
    x[5] = x[4]
    x = x.astype(np.float32)
    y = y.astype(np.float32)

    x64 = x.astype(np.float64)
    y64 = y.astype(np.float64)
    linear = cka(x64 @ x64.T, y64 @ y64.T)
    kx, sigma_x = rbf(x64)
    ky, sigma_y = rbf(y64)
    expected = {
        "samples": n,
        "linear": {"cka": float(linear)},
        "rbf": {"cka": float(cka(kx, ky)), "bandwidth_x": sigma_x, "bandwidth_y": sigma_y},
    }
    OUT.mkdir(parents=True, exist_ok=True)
    save_file({"features": x}, str(OUT / "x.safetensors"))
    save_file({"features": y}, str(OUT / "y.safetensors"))
    (OUT / "expected.json").write_text(json.dumps(expected, indent=2, sort_keys=True) + "\n")
    print(json.dumps(expected, indent=2, sort_keys=True))


if __name__ == "__main__":
    main()
