#!/usr/bin/env python3
"""Write Tests/Fixtures/vision/models/dinov2-mnist: a randomly initialised, tiny DINOv2 for
28x28 inputs (patch 7, so 16 patch tokens + CLS), saved with transformers' save_pretrained, with a
preprocessor_config.json that keeps 28 px (resize shortest edge 28, center crop 28).

The training tests (tests of `zoo embed` / `zoo train` on Fashion-MNIST) use it as the vision
side: its features are random but fixed, which is enough for projectors to learn from and for
loss to fall. Python runs only here, never at zoo's run time. Regenerate with

    python3 scripts/make_mnist_vit_fixture.py
"""
import json
from pathlib import Path

import torch
from transformers import Dinov2Config, Dinov2Model

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "Tests" / "Fixtures" / "vision" / "models" / "dinov2-mnist"


def main():
    torch.manual_seed(7)
    config = Dinov2Config(
        hidden_size=32, num_hidden_layers=2, num_attention_heads=2, mlp_ratio=2, image_size=28, patch_size=7,
        layerscale_value=1.0)
    model = Dinov2Model(config).eval()
    OUT.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(OUT, safe_serialization=True)
    preprocessor = {
        "crop_size": {"height": 28, "width": 28}, "do_center_crop": True, "do_convert_rgb": True,
        "do_normalize": True, "do_rescale": True, "do_resize": True,
        "image_mean": [0.5, 0.5, 0.5], "image_std": [0.5, 0.5, 0.5],
        "image_processor_type": "BitImageProcessor", "resample": 3, "rescale_factor": 1 / 255,
        "size": {"shortest_edge": 28},
    }
    (OUT / "preprocessor_config.json").write_text(json.dumps(preprocessor, indent=2, sort_keys=True) + "\n")
    print(f"wrote {OUT.relative_to(ROOT)}: {sum(p.numel() for p in model.parameters())} parameters")


if __name__ == "__main__":
    main()
