#!/usr/bin/env python3
"""Write the projector training reference, Tests/Fixtures/projector/reference.safetensors.

Python is only used here, never at zoo's run time. The script builds, in PyTorch
(float64 throughout, stored as float32), the same pieces as
Sources/Runtime/Projectors:

  * a TokenProjector, P(x) = LN(x) -> linear(n) + mlp(n) with
    mlp = Linear(in, hidden) -> GELU (erf) -> Linear(hidden, out), no dropout;
  * the symmetric InfoNCE loss over L2-normalised embeddings with the logit
    scale s = log(1/0.07);
  * one AdamW step (lr 1e-3, weight decay 0.02 on the matrices only) followed
    by the temperature clamp to [0.001, 0.5].

The image side is projector(image tokens), one token per sample; the text side is
a fixed raw embedding. The file holds

  input.image [4, 5], input.text [4, 6]        the inputs;
  param.<name>                                 the parameters before the step
                                               (projector keys plus logit_scale);
  output.projected [4, 6], output.loss [1]     the forward results;
  grad.<name>, grad.input.image, grad.input.text   the gradients;
  step.<name>                                  the parameters after one AdamW step
                                               and the clamp.

Everything is seeded, so two runs give the same bytes with the same versions.
Regenerate with (repository root):

    python3 scripts/make_projector_fixtures.py
"""

import math
from pathlib import Path

import torch
from safetensors.torch import save_file

ROOT = Path(__file__).resolve().parent.parent
OUTPUT = ROOT / "Tests" / "Fixtures" / "projector" / "reference.safetensors"

BATCH, IN, HIDDEN, OUT = 4, 5, 4, 6
LEARNING_RATE, WEIGHT_DECAY = 1e-3, 0.02


class TokenProjector(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.norm = torch.nn.LayerNorm(IN)
        self.linear = torch.nn.Linear(IN, OUT)
        self.mlp = torch.nn.Sequential(torch.nn.Linear(IN, HIDDEN), torch.nn.GELU(), torch.nn.Linear(HIDDEN, OUT))

    def forward(self, x):
        n = self.norm(x)
        return self.linear(n) + self.mlp(n)


def symmetric_info_nce(image, text, logit_scale):
    image = torch.nn.functional.normalize(image, dim=-1)
    text = torch.nn.functional.normalize(text, dim=-1)
    logits = logit_scale.exp() * image @ text.t()
    labels = torch.arange(image.shape[0])
    return (torch.nn.functional.cross_entropy(logits, labels)
            + torch.nn.functional.cross_entropy(logits.t(), labels)) / 2


def main():
    torch.manual_seed(0)
    projector = TokenProjector().double()
    with torch.no_grad():
        for parameter in projector.parameters():
            parameter.copy_(torch.rand_like(parameter) * 2 - 1)
    logit_scale = torch.nn.Parameter(torch.tensor([math.log(1 / 0.07)], dtype=torch.float64))
    image = (torch.rand(BATCH, IN, dtype=torch.float64) * 4 - 2).requires_grad_()
    text = (torch.rand(BATCH, OUT, dtype=torch.float64) * 2 - 1).requires_grad_()

    named = dict(projector.named_parameters())
    named["logit_scale"] = logit_scale
    tensors = {f"param.{name}": value.detach().clone() for name, value in named.items()}
    tensors["input.image"] = image.detach().clone()
    tensors["input.text"] = text.detach().clone()

    projected = projector(image)
    loss = symmetric_info_nce(projected, text, logit_scale)
    loss.backward()
    tensors["output.projected"] = projected.detach().clone()
    tensors["output.loss"] = loss.detach().reshape(1)
    for name, value in named.items():
        tensors[f"grad.{name}"] = value.grad.detach().clone()
    tensors["grad.input.image"] = image.grad.detach().clone()
    tensors["grad.input.text"] = text.grad.detach().clone()

    decayed = [value for name, value in named.items() if value.ndim >= 2]
    others = [value for name, value in named.items() if value.ndim < 2]
    optimizer = torch.optim.AdamW(
        [{"params": decayed, "weight_decay": WEIGHT_DECAY}, {"params": others, "weight_decay": 0.0}],
        lr=LEARNING_RATE, betas=(0.9, 0.999), eps=1e-8)
    optimizer.step()
    with torch.no_grad():
        logit_scale.clamp_(math.log(1 / 0.5), math.log(1 / 0.001))
    for name, value in named.items():
        tensors[f"step.{name}"] = value.detach().clone()

    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    save_file({name: value.float().contiguous() for name, value in sorted(tensors.items())}, str(OUTPUT),
              # One metadata key: safetensors writes several in hash order, so bytes would vary.
              metadata={"generator": f"scripts/make_projector_fixtures.py, torch {torch.__version__}"})
    OUTPUT.chmod(0o644)
    print(f"wrote {OUTPUT.relative_to(ROOT)} ({len(tensors)} tensors), loss {loss.item():.6f}")


if __name__ == "__main__":
    main()
