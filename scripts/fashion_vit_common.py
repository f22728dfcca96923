"""Shared pieces of scripts/train_fashion_vit.py and scripts/probe_fashion_vit.py: reading the
Fashion-MNIST IDX files, the normalisation zoo's preprocessor applies, the model configuration
and the frozen-feature extraction the linear probe uses."""
from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

DATA = Path("/usr/share/datasets/fashion-mnist")  # Debian package dataset-fashion-mnist
ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "models" / "fashion-vit"

# Fashion-MNIST training-set pixel mean and standard deviation (scale 0..1), replicated to the three
# channels zoo feeds (it replicates the grey channel). Written into preprocessor_config.json.
MEAN = 0.2860
STD = 0.3530


def read_idx(path: Path) -> np.ndarray:
    """An IDX file (optionally gzip-compressed) as a numpy array of its stored shape."""
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as f:
        raw = f.read()
    zero, dtype_code, dims = raw[0] << 8 | raw[1], raw[2], raw[3]
    if zero != 0 or dtype_code != 0x08:
        raise ValueError(f"{path}: not an unsigned-byte IDX file")
    shape = tuple(int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(dims))
    data = np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * dims)
    if data.size != int(np.prod(shape)):
        raise ValueError(f"{path}: {data.size} bytes of data for shape {shape}")
    return data.reshape(shape)


def load_split(split: str, with_labels: bool = True):
    """uint8 images [N, 28, 28] (and labels [N]) of `train` or `test`."""
    prefix = "train" if split == "train" else "t10k"
    images = read_idx(DATA / f"{prefix}-images-idx3-ubyte.gz")
    if not with_labels:
        return images
    labels = read_idx(DATA / f"{prefix}-labels-idx1-ubyte.gz")
    return images, labels


def normalise(grey: torch.Tensor) -> torch.Tensor:
    """[B, 1, H, W] grey pixels in 0..1 → [B, 3, H, W] model input, exactly what zoo's
    BitImageProcessor-style preprocessing makes of a 28×28 grey image replicated to RGB."""
    return ((grey - MEAN) / STD).expand(-1, 3, -1, -1)


def preprocessor_config() -> dict:
    return {
        "crop_size": {"height": 28, "width": 28}, "do_center_crop": True, "do_convert_rgb": True,
        "do_normalize": True, "do_rescale": True, "do_resize": True,
        "image_mean": [MEAN] * 3, "image_std": [STD] * 3,
        "image_processor_type": "BitImageProcessor", "resample": 3, "rescale_factor": 1 / 255,
        "size": {"shortest_edge": 28},
    }


@torch.no_grad()
def extract_features(model, images: np.ndarray, batch_size: int = 1000):
    """Frozen features of uint8 images [N, 28, 28]: (CLS after the final LayerNorm, i.e.
    `pooler_output`; mean of all tokens of `last_hidden_state`), both float32 numpy [N, D]."""
    was_training = model.training
    model.eval()
    cls, mean = [], []
    for start in range(0, len(images), batch_size):
        x = torch.from_numpy(images[start:start + batch_size].copy()).float().div_(255).unsqueeze(1)
        out = model(pixel_values=normalise(x))
        cls.append(out.pooler_output.float())
        mean.append(out.last_hidden_state.float().mean(dim=1))
    model.train(was_training)
    return torch.cat(cls).numpy(), torch.cat(mean).numpy()


WEIGHT_DECAYS = (0.0, 1e-6, 1e-5, 1e-4, 1e-3)


def fit_logistic(train_x, train_y, weight_decay: float, max_iter: int = 500):
    """A multinomial logistic regression on features standardised with the training statistics,
    fitted by full-batch L-BFGS (float64, deterministic) on mean cross entropy plus
    `weight_decay`·|W|² (not on the bias). Returns a function mapping features to predictions."""
    train_x = torch.as_tensor(train_x, dtype=torch.float64)
    train_y = torch.as_tensor(np.asarray(train_y), dtype=torch.long)
    mean, std = train_x.mean(0), train_x.std(0).clamp_min(1e-8)
    train_x = (train_x - mean) / std
    classes = int(train_y.max()) + 1
    weight = torch.zeros(train_x.shape[1], classes, dtype=torch.float64, requires_grad=True)
    bias = torch.zeros(classes, dtype=torch.float64, requires_grad=True)
    optimizer = torch.optim.LBFGS([weight, bias], lr=1, max_iter=max_iter, tolerance_grad=1e-9,
                                  tolerance_change=1e-12, history_size=20, line_search_fn="strong_wolfe")

    def closure():
        optimizer.zero_grad()
        loss = F.cross_entropy(train_x @ weight + bias, train_y) + weight_decay * weight.pow(2).sum()
        loss.backward()
        return loss

    optimizer.step(closure)
    weight, bias = weight.detach(), bias.detach()

    def predict(x):
        x = (torch.as_tensor(x, dtype=torch.float64) - mean) / std
        return (x @ weight + bias).argmax(1).numpy()

    return predict


def linear_probe(train_x, train_y, test_x, test_y, validation: int = 10_000, seed: int = 0) -> dict:
    """Linear-probe test accuracy. The L2 strength is chosen from WEIGHT_DECAYS by accuracy on
    `validation` training images held out at random (seeded); the probe is then refitted on all
    training features with that strength and scored once on the test features."""
    train_y, test_y = np.asarray(train_y), np.asarray(test_y)
    order = np.random.default_rng(seed).permutation(len(train_x))
    held, kept = order[:validation], order[validation:]
    scores = {}
    for wd in WEIGHT_DECAYS:
        predict = fit_logistic(train_x[kept], train_y[kept], wd)
        scores[wd] = float((predict(train_x[held]) == train_y[held]).mean())
    best = max(WEIGHT_DECAYS, key=lambda wd: (scores[wd], wd))  # ties: the stronger penalty
    predict = fit_logistic(train_x, train_y, best)
    return {"accuracy": float((predict(test_x) == test_y).mean()), "weight_decay": best,
            "validation_accuracy": scores[best]}
