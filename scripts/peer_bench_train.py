#!/usr/bin/env python3
"""Peer benchmark for projector training: zoo against PyTorch CPU, same shapes, same threads.

Both sides train on random inputs of fixed sizes (what the embedding cache would hand over):
vision token states [B, T, Dv] (or pooled [B, Dv]), text token states [B, L, Dt] with every
caption L tokens long (or pooled [B, Dt]). One step = projector forward on both sides, the
symmetric InfoNCE loss with a learnable temperature, backward, one AdamW update and the
temperature clamp. zoo's figure comes from `zoo bench train --json`; PyTorch runs the same
architecture as zoo's `ProjectorArchitecture.paper` (token) or `.pooled` (pooled):

  token projector P(x) = LayerNorm -> Dropout -> Linear(x) + Linear(GELU(Linear(x)))
  vision  = mean over patch tokens of P_local + P_cls(CLS token)
  text    = masked mean over tokens of P_tok, then h = Linear(t); LN(h + Dropout(Linear(GELU(h))))
  pooled  = MLP (Linear -> GELU -> Linear) or Linear on each pooled embedding

    python3 scripts/peer_bench_train.py --zoo .build/release/zoo --projector token --threads 2
    python3 scripts/peer_bench_train.py --zoo .build/release/zoo --projector pooled --threads 2

Prints both pairs/s and the ratio zoo / PyTorch. Python is only the peer here.
"""
import argparse
import json
import os
import math
import subprocess
import tempfile
import time


def torch_pairs_per_second(args):
    import torch
    import torch.nn as nn
    import torch.nn.functional as F

    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    out = args.dim

    class Token(nn.Module):
        def __init__(self, width):
            super().__init__()
            self.norm = nn.LayerNorm(width)
            self.drop = nn.Dropout(args.dropout)
            self.linear = nn.Linear(width, out)
            self.mlp = nn.Sequential(nn.Linear(width, out), nn.GELU(), nn.Linear(out, out))

        def forward(self, x):
            n = self.drop(self.norm(x))
            return self.linear(n) + self.mlp(n)

    class Head(nn.Module):
        def __init__(self):
            super().__init__()
            self.projection = nn.Linear(out, out)
            self.fc = nn.Linear(out, out)
            self.drop = nn.Dropout(args.dropout)
            self.norm = nn.LayerNorm(out)

        def forward(self, t):
            h = self.projection(t)
            return self.norm(h + self.drop(self.fc(F.gelu(h))))

    class PairToken(nn.Module):
        def __init__(self):
            super().__init__()
            self.local = Token(args.vision_width)
            self.cls = Token(args.vision_width)
            self.text_token = Token(args.text_width)
            self.head = Head()

        def forward(self, vision, text, mask):
            image = self.local(vision[:, 1:, :]).mean(dim=1) + self.cls(vision[:, 0, :])
            tokens = self.text_token(text)
            pooled = (tokens * mask.unsqueeze(-1)).sum(dim=1) / mask.sum(dim=1, keepdim=True)
            return image, self.head(pooled)

    def mlp(width):
        if args.pooled_kind == "linear":
            return nn.Linear(width, out)
        return nn.Sequential(nn.Linear(width, out), nn.GELU(), nn.Linear(out, out))

    class PairPooled(nn.Module):
        def __init__(self):
            super().__init__()
            self.vision = mlp(args.vision_width)
            self.text = mlp(args.text_width)

        def forward(self, vision, text, mask):
            return self.vision(vision), self.text(text)

    model = PairToken() if args.projector == "token" else PairPooled()
    model.train()
    logit_scale = nn.Parameter(torch.tensor(math.log(1 / 0.07)))
    decay = [p for p in model.parameters() if p.ndim >= 2]
    other = [p for p in model.parameters() if p.ndim < 2] + [logit_scale]
    optimizer = torch.optim.AdamW([{"params": decay, "weight_decay": 0.02}, {"params": other, "weight_decay": 0.0}], lr=1e-4)
    B = args.batch
    if args.projector == "token":
        vision = torch.randn(B, args.vision_tokens, args.vision_width)
        text = torch.randn(B, args.text_length, args.text_width)
    else:
        vision = torch.randn(B, args.vision_width)
        text = torch.randn(B, args.text_width)
    mask = torch.ones(B, args.text_length)
    labels = torch.arange(B)

    def step():
        optimizer.zero_grad(set_to_none=True)
        image, caption = model(vision, text, mask)
        image = F.normalize(image, dim=-1)
        caption = F.normalize(caption, dim=-1)
        logits = logit_scale.exp() * image @ caption.t()
        loss = (F.cross_entropy(logits, labels) + F.cross_entropy(logits.t(), labels)) / 2
        loss.backward()
        optimizer.step()
        with torch.no_grad():
            logit_scale.clamp_(math.log(2), math.log(1000))
        return loss.item()

    for _ in range(args.warmup):
        step()
    best = float("inf")
    for _ in range(args.repeat):
        start = time.perf_counter()
        for _ in range(args.steps):
            step()
        best = min(best, time.perf_counter() - start)
    return args.steps * B / best


def zoo_pairs_per_second(args):
    with tempfile.TemporaryDirectory() as home:
        cmd = [args.zoo, "bench", "train", "--projector", args.projector, "--pooled-kind", args.pooled_kind,
               "--batch", str(args.batch), "--dim", str(args.dim), "--vision-width", str(args.vision_width),
               "--vision-tokens", str(args.vision_tokens), "--text-width", str(args.text_width),
               "--text-length", str(args.text_length), "--steps", str(args.steps), "--repeat", str(args.repeat),
               "--warmup", str(args.warmup), "--threads", str(args.threads), "--dropout", str(args.dropout),
               "--json", "--home", home]
        out = subprocess.run(cmd, check=True, capture_output=True, text=True)
        return json.loads(out.stdout)["pairs_per_second"]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--zoo", default=".build/release/zoo")
    parser.add_argument("--projector", choices=["token", "pooled"], default="token")
    parser.add_argument("--pooled-kind", choices=["linear", "mlp"], default="mlp")
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--dim", type=int, default=512)
    parser.add_argument("--vision-width", type=int, default=384)
    parser.add_argument("--vision-tokens", type=int, default=50, help="1 CLS + patches")
    parser.add_argument("--text-width", type=int, default=384)
    parser.add_argument("--text-length", type=int, default=16)
    parser.add_argument("--isa", choices=["native", "avx2"], default="native",
                        help="avx2: zoo with ZOO_VECTOR_LANES=8 and OPENBLAS_CORETYPE=Haswell, PyTorch with "
                             "ATEN_CPU_CAPABILITY=avx2, ONEDNN_MAX_CPU_ISA=AVX2, MKL_ENABLE_INSTRUCTIONS=AVX2")
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--dropout", type=float, default=0.1)
    parser.add_argument("--skip-zoo", action="store_true")
    args = parser.parse_args()
    if args.isa == "avx2":
        os.environ.update({"ZOO_VECTOR_LANES": "8", "OPENBLAS_CORETYPE": "Haswell", "ATEN_CPU_CAPABILITY": "avx2",
                           "ONEDNN_MAX_CPU_ISA": "AVX2", "MKL_ENABLE_INSTRUCTIONS": "AVX2"})
    torch_rate = torch_pairs_per_second(args)
    print(f"pytorch: {torch_rate:.1f} pairs/s")
    if args.skip_zoo:
        return
    zoo_rate = zoo_pairs_per_second(args)
    print(f"zoo:     {zoo_rate:.1f} pairs/s")
    print(f"ratio zoo/pytorch: {zoo_rate / torch_rate:.2f}x ({args.projector}, batch {args.batch}, dim {args.dim}, threads {args.threads})")


if __name__ == "__main__":
    main()
