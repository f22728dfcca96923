#!/usr/bin/env python3
"""Reference outputs of the committed models/fashion-vit for Tests/RuntimeTests
(`Dinov2ParityTests`, "the committed fashion-vit matches transformers"): the first 8 Fashion-MNIST
test images, normalised as the model's preprocessor_config.json says (grey replicated to RGB),
and transformers' `Dinov2Model` outputs for them.

    python3 scripts/make_fashion_vit_fixture.py   # writes Tests/Fixtures/vision/reference/fashion-vit.safetensors

Needs torch (CPU), transformers, safetensors and the Debian package dataset-fashion-mnist.
"""
from pathlib import Path
import sys

import torch
from safetensors.torch import save_file
from transformers import Dinov2Model

sys.path.insert(0, str(Path(__file__).resolve().parent))
from fashion_vit_common import OUT, ROOT, load_split, normalise  # noqa: E402


def main():
    torch.manual_seed(0)
    images, _ = load_split("test")
    grey = torch.from_numpy(images[:8].copy()).float().div(255).unsqueeze(1)
    pixels = normalise(grey).contiguous()
    model = Dinov2Model.from_pretrained(OUT).eval()
    with torch.no_grad():
        out = model(pixel_values=pixels)
    target = ROOT / "Tests" / "Fixtures" / "vision" / "reference" / "fashion-vit.safetensors"
    save_file({"pixels": pixels, "tokens": out.last_hidden_state.contiguous(),
               "pooled": out.pooler_output.contiguous()}, str(target), metadata={"format": "pt"})
    print(f"wrote {target.relative_to(ROOT)}: pixels {tuple(pixels.shape)}, tokens {tuple(out.last_hidden_state.shape)}")


if __name__ == "__main__":
    main()
