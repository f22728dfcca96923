#!/usr/bin/env python3
"""Write the pair-projector training reference, Tests/Fixtures/projector/pair_reference.safetensors.

Python is only used here, never at zoo's run time. The script builds, in PyTorch
(float64 throughout, stored as float32), the paper's full projector as
Sources/Runtime/Projectors/PairProjector.swift implements it, with dropout off:

  * vision: mean over patch tokens of a token projector P_local (tokens after the CLS
    token and one register token) plus a token projector P_cls on the CLS token, where
    P(x) = linear(LN(x)) + mlp(LN(x)), mlp = Linear -> GELU (erf) -> Linear, hidden
    width = output width;
  * text: a token projector on every token, the attention-masked mean over each
    sequence's real tokens (padding holds garbage and must be ignored), then the head
    h = projection(t); LN(h + fc(GELU(h)));
  * the symmetric InfoNCE loss over L2-normalised embeddings, logit scale log(1/0.07);
  * one AdamW step (lr 1e-3, weight decay 0.02 on tensors of two or more dimensions only)
    followed by the temperature clamp to [0.001, 0.5].

Parameter names are PairProjector's: vision.local.*, vision.cls.*, text.token.*,
text.head.*, plus logit_scale. The file holds

  input.vision [3, 6, 5]                      3 images of CLS + 1 register + 4 patches;
  input.text_tokens [8, 6], input.text_lengths [3] (I64)
                                              the packed text tokens (lengths 3, 1, 4);
  param.<name>                                the parameters before the step;
  output.vision [3, 7], output.text [3, 7]    the raw (unnormalised) embeddings;
  output.loss [1]                             the loss;
  grad.<name>                                 every parameter's gradient;
  step.<name>                                 the parameters after the AdamW step and clamp.

Everything is seeded, so two runs give the same bytes with the same versions.
Regenerate with (repository root):

    python3 scripts/make_pair_projector_fixtures.py
"""

import math
from pathlib import Path

import torch
from safetensors.torch import save_file

ROOT = Path(__file__).resolve().parent.parent
OUTPUT = ROOT / "Tests" / "Fixtures" / "projector" / "pair_reference.safetensors"

BATCH, VISION, TEXT, OUT = 3, 5, 6, 7
REGISTERS, PATCHES = 1, 4
LENGTHS = [3, 1, 4]
LEARNING_RATE, WEIGHT_DECAY = 1e-3, 0.02


class TokenProjector(torch.nn.Module):
    def __init__(self, width_in, width_out):
        super().__init__()
        self.norm = torch.nn.LayerNorm(width_in)
        self.linear = torch.nn.Linear(width_in, width_out)
        self.mlp = torch.nn.Sequential(
            torch.nn.Linear(width_in, width_out), torch.nn.GELU(), torch.nn.Linear(width_out, width_out))

    def forward(self, x):
        n = self.norm(x)
        return self.linear(n) + self.mlp(n)


class TextHead(torch.nn.Module):
    def __init__(self, width_in, width_out):
        super().__init__()
        self.projection = torch.nn.Linear(width_in, width_out)
        self.fc = torch.nn.Linear(width_out, width_out)
        self.norm = torch.nn.LayerNorm(width_out)

    def forward(self, t):
        h = self.projection(t)
        return self.norm(h + self.fc(torch.nn.functional.gelu(h)))


class PairProjector(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.vision = torch.nn.ModuleDict({
            "local": TokenProjector(VISION, OUT), "cls": TokenProjector(VISION, OUT)})
        self.text = torch.nn.ModuleDict({"token": TokenProjector(TEXT, OUT), "head": TextHead(OUT, OUT)})

    def forward_vision(self, tokens):
        local = self.vision["local"](tokens[:, 1 + REGISTERS:]).mean(dim=1)
        return local + self.vision["cls"](tokens[:, 0])

    def forward_text(self, padded, mask):
        projected = self.text["token"](padded)
        weights = mask.unsqueeze(-1)
        pooled = (projected * weights).sum(dim=1) / weights.sum(dim=1)
        return self.text["head"](pooled)


def symmetric_info_nce(image, text, logit_scale):
    image = torch.nn.functional.normalize(image, dim=-1)
    text = torch.nn.functional.normalize(text, dim=-1)
    logits = logit_scale.exp() * image @ text.t()
    labels = torch.arange(image.shape[0])
    return (torch.nn.functional.cross_entropy(logits, labels)
            + torch.nn.functional.cross_entropy(logits.t(), labels)) / 2


def main():
    torch.manual_seed(0)
    model = PairProjector().double()
    with torch.no_grad():
        for parameter in model.parameters():
            parameter.copy_(torch.rand_like(parameter) * 2 - 1)
    logit_scale = torch.nn.Parameter(torch.tensor(math.log(1 / 0.07), dtype=torch.float64))
    vision = torch.rand(BATCH, 1 + REGISTERS + PATCHES, VISION, dtype=torch.float64) * 4 - 2
    packed = torch.rand(sum(LENGTHS), TEXT, dtype=torch.float64) * 4 - 2

    # Padded text with garbage in the padding, and its attention mask.
    longest = max(LENGTHS)
    padded = torch.full((BATCH, longest, TEXT), 1e3, dtype=torch.float64)
    mask = torch.zeros(BATCH, longest, dtype=torch.float64)
    start = 0
    for row, length in enumerate(LENGTHS):
        padded[row, :length] = packed[start:start + length]
        mask[row, :length] = 1
        start += length

    named = dict(model.named_parameters())
    named["logit_scale"] = logit_scale
    tensors = {f"param.{name}": value.detach().clone() for name, value in named.items()}
    tensors["input.vision"] = vision.clone()
    tensors["input.text_tokens"] = packed.clone()

    image = model.forward_vision(vision)
    text = model.forward_text(padded, mask)
    loss = symmetric_info_nce(image, text, logit_scale)
    loss.backward()
    tensors["output.vision"] = image.detach().clone()
    tensors["output.text"] = text.detach().clone()
    tensors["output.loss"] = loss.detach().reshape(1)
    for name, value in named.items():
        tensors[f"grad.{name}"] = value.grad.detach().clone()

    decayed = [value for value in named.values() if value.ndim >= 2]
    others = [value for value in named.values() if value.ndim < 2]
    optimizer = torch.optim.AdamW(
        [{"params": decayed, "weight_decay": WEIGHT_DECAY}, {"params": others, "weight_decay": 0.0}],
        lr=LEARNING_RATE, betas=(0.9, 0.999), eps=1e-8)
    optimizer.step()
    with torch.no_grad():
        logit_scale.clamp_(math.log(1 / 0.5), math.log(1 / 0.001))
    for name, value in named.items():
        tensors[f"step.{name}"] = value.detach().clone()

    output = {name: value.float().contiguous() for name, value in sorted(tensors.items())}
    output["input.text_lengths"] = torch.tensor(LENGTHS, dtype=torch.int64)
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    save_file(dict(sorted(output.items())), str(OUTPUT),
              # One metadata key: safetensors writes several in hash order, so bytes would vary.
              metadata={"generator": f"scripts/make_pair_projector_fixtures.py, torch {torch.__version__}"})
    OUTPUT.chmod(0o644)
    print(f"wrote {OUTPUT.relative_to(ROOT)} ({len(output)} tensors), loss {loss.item():.6f}")


if __name__ == "__main__":
    main()
