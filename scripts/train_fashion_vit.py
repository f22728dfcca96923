#!/usr/bin/env python3
"""Train models/fashion-vit: a small DINOv2-architecture ViT learnt self-supervised (no labels) on
the 60,000 Fashion-MNIST training images, saved as a Hugging Face `Dinov2Model` folder that zoo's
native DINOv2 backend loads.

Objective: SimCLR (NT-Xent) on the CLS output (`pooler_output`, after the final LayerNorm) of
two augmented views per image, through a projection head that is discarded afterwards. Views are
random resized crops (scale 0.3–1) with flips, small rotations / shears, brightness / contrast
jitter and random erasing, all done batched with `affine_grid` / `grid_sample` on 28×28 grey
images. Labels are read only by the linear probe at the end (scripts/probe_fashion_vit.py).

Runs on CPU (2 threads): on this project's 2-vCPU machine 24.8 minutes of training and 27.7 in
all with the probe (PyTorch 2.13, torch.compile). Reproduce (repository root):

    python3 scripts/train_fashion_vit.py --log models/fashion-vit/training_log.json

Two runs on one machine wrote byte-identical weights. The model card is models/fashion-vit/README.md.

Python is only used here, never at zoo's run time.
"""
from __future__ import annotations

import argparse
import json
import math
import platform
import random
import sys
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from transformers import Dinov2Config, Dinov2Model

sys.path.insert(0, str(Path(__file__).resolve().parent))
from fashion_vit_common import OUT, ROOT, load_split, normalise, preprocessor_config  # noqa: E402


def model_config(args) -> Dinov2Config:
    return Dinov2Config(
        hidden_size=args.hidden, num_hidden_layers=args.layers, num_attention_heads=args.heads,
        mlp_ratio=4, image_size=28, patch_size=4, num_channels=3, layerscale_value=1.0,
        drop_path_rate=0.0, hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0,
        qkv_bias=True, use_swiglu_ffn=False, layer_norm_eps=1e-6, attn_implementation="sdpa")


def seed_everything(seed: int):
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def augment(images: torch.Tensor, size: int, generator: torch.Generator, scale=(0.3, 1.0)) -> torch.Tensor:
    """One random view of each uint8 image [B, 28, 28] → grey float [B, 1, size, size] in 0..1.

    Random resized crop (area `scale` of the image, default 0.3–1; aspect 3/4–4/3) with horizontal flip (p 0.5),
    rotation ±10° and shear ±0.1 in one affine resampling (bilinear, black outside the image),
    then brightness ±0.2 / contrast 0.6–1.4 jitter (p 0.8) and random erasing (p 0.25,
    2–12% of the view)."""
    b = images.shape[0]
    x = images.float().div_(255).unsqueeze(1)

    def uniform(lo, hi, n=b):
        return torch.rand(n, generator=generator) * (hi - lo) + lo

    area = uniform(*scale)
    log_ratio = uniform(math.log(3 / 4), math.log(4 / 3))
    ratio = log_ratio.exp()
    w = (area * ratio).sqrt().clamp(max=1.0)  # crop width / height as fractions of the image
    h = (area / ratio).sqrt().clamp(max=1.0)
    cx = uniform(-1, 1) * (1 - w)  # crop centre in affine_grid's [-1, 1] coordinates
    cy = uniform(-1, 1) * (1 - h)
    flip = torch.where(torch.rand(b, generator=generator) < 0.5, -1.0, 1.0)
    angle = uniform(-10, 10) * math.pi / 180
    shear = uniform(-0.1, 0.1)
    cos, sin = angle.cos(), angle.sin()
    theta = torch.stack([
        torch.stack([w * cos * flip, -h * sin + shear * h, cx], dim=1),
        torch.stack([w * sin * flip, h * cos, cy], dim=1),
    ], dim=1)
    grid = F.affine_grid(theta, [b, 1, size, size], align_corners=False)
    x = F.grid_sample(x, grid, mode="bilinear", padding_mode="zeros", align_corners=False)

    jitter = (torch.rand(b, generator=generator) < 0.8).float()
    contrast = 1 + jitter * uniform(-0.4, 0.4)
    brightness = jitter * uniform(-0.2, 0.2)
    x = (x * contrast.view(b, 1, 1, 1) + brightness.view(b, 1, 1, 1)).clamp_(0, 1)

    erase = torch.rand(b, generator=generator) < 0.25
    e_area = uniform(0.02, 0.12)
    e_ratio = uniform(math.log(0.3), math.log(3.3)).exp()
    eh = ((e_area * e_ratio).sqrt() * size).clamp(1, size)
    ew = ((e_area / e_ratio).sqrt() * size).clamp(1, size)
    ey = torch.rand(b, generator=generator) * (size - eh)
    ex = torch.rand(b, generator=generator) * (size - ew)
    coords = torch.arange(size).float()
    rows = (coords.view(1, -1) >= ey.view(-1, 1)) & (coords.view(1, -1) < (ey + eh).view(-1, 1))
    cols = (coords.view(1, -1) >= ex.view(-1, 1)) & (coords.view(1, -1) < (ex + ew).view(-1, 1))
    mask = rows.unsqueeze(2) & cols.unsqueeze(1) & erase.view(b, 1, 1)
    fill = torch.rand(b, 1, 1, generator=generator)
    x = torch.where(mask.unsqueeze(1), fill.unsqueeze(1).expand(b, 1, size, size), x)
    return x


class ProjectionHead(nn.Module):
    """SimCLR's MLP head (discarded after training): Linear → BatchNorm → GELU → Linear."""

    def __init__(self, dim: int, hidden: int, out: int):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(dim, hidden), nn.BatchNorm1d(hidden), nn.GELU(), nn.Linear(hidden, out))

    def forward(self, x):
        return self.net(x)


def nt_xent(z1: torch.Tensor, z2: torch.Tensor, temperature: float) -> torch.Tensor:
    """SimCLR's normalised-temperature cross entropy over 2B views (each view's positive is the
    other view of its image; the other 2B − 2 views are negatives)."""
    z = F.normalize(torch.cat([z1, z2]), dim=1)
    n = z1.shape[0]
    logits = z @ z.t() / temperature
    logits.fill_diagonal_(float("-inf"))
    targets = torch.cat([torch.arange(n, 2 * n), torch.arange(0, n)])
    return F.cross_entropy(logits, targets)


def info_nce(a: torch.Tensor, b: torch.Tensor, temperature: float) -> torch.Tensor:
    """Symmetric cross-view InfoNCE between two batches of embeddings of the same images."""
    logits = F.normalize(a, dim=1) @ F.normalize(b, dim=1).t() / temperature
    targets = torch.arange(a.shape[0])
    return 0.5 * (F.cross_entropy(logits, targets) + F.cross_entropy(logits.t(), targets))


def lr_at(step: int, total: int, warmup: int, peak: float) -> float:
    if step < warmup:
        return peak * (step + 1) / warmup
    progress = (step - warmup) / max(1, total - warmup)
    return peak * 0.5 * (1 + math.cos(math.pi * progress))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--hidden", type=int, default=128)
    parser.add_argument("--layers", type=int, default=4)
    parser.add_argument("--heads", type=int, default=4)
    parser.add_argument("--epochs", type=float, default=7.0)
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--lr", type=float, default=1e-3, help="peak AdamW learning rate")
    parser.add_argument("--weight-decay", type=float, default=0.05)
    parser.add_argument("--warmup", type=float, default=0.05, help="fraction of steps with linear warm-up")
    parser.add_argument("--temperature", type=float, default=0.2)
    parser.add_argument("--scale-min", type=float, default=0.3, help="smallest crop area of the two 28×28 views")
    parser.add_argument("--local-crops", type=int, default=0, help="extra small views per image (multi-crop)")
    parser.add_argument("--local-size", type=int, default=16)
    parser.add_argument("--local-scale", type=float, nargs=2, default=(0.1, 0.4))
    parser.add_argument("--head-hidden", type=int, default=512)
    parser.add_argument("--head-out", type=int, default=128)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--no-compile", action="store_true", help="skip torch.compile (about 3x slower)")
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--no-probe", action="store_true", help="skip the linear probe after training")
    parser.add_argument("--random-baseline", action="store_true",
                        help="also probe a randomly initialised model of the same configuration")
    parser.add_argument("--log", type=Path, default=None, help="write the loss curve and timings here (JSON)")
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    seed_everything(args.seed)
    generator = torch.Generator().manual_seed(args.seed)

    images = torch.from_numpy(load_split("train", with_labels=False).copy())  # labels never read here
    n = images.shape[0]
    steps_per_epoch = n // args.batch_size
    total = int(round(args.epochs * steps_per_epoch))
    warmup = max(1, int(args.warmup * total))

    model = Dinov2Model(model_config(args)).train()
    head = ProjectionHead(args.hidden, args.head_hidden, args.head_out).train()
    parameters = sum(p.numel() for p in model.parameters())
    print(f"model: hidden {args.hidden}, {args.layers} layers, {args.heads} heads, patch 4 → "
          f"{parameters:,} parameters; {total} steps of {args.batch_size} ({args.epochs} epochs)", flush=True)

    decay, no_decay = [], []
    for module in (model, head):
        for name, p in module.named_parameters():
            (no_decay if p.ndim < 2 or "token" in name or "position" in name else decay).append(p)
    optimizer = torch.optim.AdamW(
        [{"params": decay, "weight_decay": args.weight_decay}, {"params": no_decay, "weight_decay": 0.0}],
        lr=args.lr, betas=(0.9, 0.95))

    def loss_of(v1, v2, *local_views):
        z1 = head(model(pixel_values=v1).pooler_output)
        z2 = head(model(pixel_values=v2).pooler_output)
        loss = nt_xent(z1, z2, args.temperature)
        if local_views:
            zl = head(model(pixel_values=torch.cat(local_views)).pooler_output).chunk(len(local_views))
            extra = sum(info_nce(z, z1, args.temperature) + info_nce(z, z2, args.temperature) for z in zl)
            loss = (loss + extra) / (1 + 2 * len(local_views))
        return loss

    step_fn = loss_of if args.no_compile else torch.compile(loss_of)

    def shown(value):  # paths relative to the repository, so the log does not name this machine
        if isinstance(value, Path) and value.is_absolute() and value.is_relative_to(ROOT):
            return str(value.relative_to(ROOT))
        return str(value)

    log = {"loss": [], "args": {k: shown(v) for k, v in vars(args).items()}}
    start = time.time()
    step = 0
    window, window_start = [], time.time()
    while step < total:
        order = torch.randperm(n, generator=generator)
        for i in range(steps_per_epoch):
            if step >= total:
                break
            batch = images[order[i * args.batch_size:(i + 1) * args.batch_size]]
            scale = (args.scale_min, 1.0)
            v1 = normalise(augment(batch, 28, generator, scale))
            v2 = normalise(augment(batch, 28, generator, scale))
            local_views = [normalise(augment(batch, args.local_size, generator, tuple(args.local_scale)))
                           for _ in range(args.local_crops)]
            for group in optimizer.param_groups:
                group["lr"] = lr_at(step, total, warmup, args.lr)
            loss = step_fn(v1, v2, *local_views)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(list(model.parameters()) + list(head.parameters()), 3.0)
            optimizer.step()
            window.append(loss.item())
            step += 1
            if step % 50 == 0 or step == total:
                rate = len(window) * args.batch_size / (time.time() - window_start)
                mean_loss = sum(window) / len(window)
                log["loss"].append([step, round(mean_loss, 4)])
                elapsed = time.time() - start
                eta = elapsed / step * (total - step)
                print(f"step {step}/{total} epoch {step / steps_per_epoch:.2f} loss {mean_loss:.4f} "
                      f"lr {optimizer.param_groups[0]['lr']:.2e} {rate:.0f} img/s "
                      f"elapsed {elapsed / 60:.1f} min eta {eta / 60:.1f} min", flush=True)
                window, window_start = [], time.time()
    train_seconds = time.time() - start
    print(f"training took {train_seconds / 60:.1f} min ({train_seconds:.0f} s)", flush=True)

    model.eval()
    args.out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(args.out, safe_serialization=True)
    (args.out / "preprocessor_config.json").write_text(json.dumps(preprocessor_config(), indent=2, sort_keys=True) + "\n")
    size = (args.out / "model.safetensors").stat().st_size
    print(f"saved {args.out}: model.safetensors {size / 1e6:.2f} MB", flush=True)

    log.update(train_seconds=round(train_seconds, 1), steps=total, parameters=parameters,
               machine=f"{platform.processor() or platform.machine()}, {args.threads} threads, torch {torch.__version__}")
    if args.log:
        args.log.write_text(json.dumps(log, indent=1) + "\n")

    if not args.no_probe:
        from probe_fashion_vit import probe_folder
        log["probe"] = probe_folder(args.out, threads=args.threads, seed=args.seed,
                                    random_baseline=args.random_baseline)
        if args.log:
            args.log.write_text(json.dumps(log, indent=1) + "\n")


if __name__ == "__main__":
    main()
