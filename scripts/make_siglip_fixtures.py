#!/usr/bin/env python3
"""SigLIP fixtures for zoo's parity tests, next to those of scripts/make_fixtures.py (whose helpers,
sentences, seeds and conventions it reuses, and whose files it leaves alone).

Writes
  Tests/Fixtures/models/tiny-siglip          a random-initialised SiglipModel saved by transformers
                                             (text: hidden 32, 2 layers, 4 heads, 16 positions,
                                             head to 24; vision: 32×32 pixels, patch 8, hidden 32,
                                             2 layers, attention-pooling head; gelu_pytorch_tanh),
                                             a SentencePiece Unigram model (spiece.model, nmt_nfkc,
                                             trained here) read by SiglipTokenizer (no tokenizer.json,
                                             as Google's SigLIP repositories), and a
                                             SiglipImageProcessor config (32×32 bilinear, mean and
                                             deviation 0.5)
  Tests/Fixtures/reference/tiny-siglip       ids.json (SiglipTokenizer, unpadded and padded to the
                                             maximum length) and outputs.safetensors: text last
                                             hidden states and pooled features of the padded batch
                                             with its attention mask (as the zero-shot pipeline
                                             calls the model), vision last hidden states and pooled
                                             features for seeded pixels, and the
                                             SiglipImageProcessor output for every photo in
                                             Tests/Fixtures/vision/images at 64×64

    python3 scripts/make_siglip_fixtures.py

Seeded and single-threaded, as make_fixtures.py: two runs give the same bytes.
"""
from __future__ import annotations

import json
import random
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import make_fixtures as mf  # noqa: E402  (sets the single-thread, offline environment first)

import numpy as np  # noqa: E402
import sentencepiece as spm  # noqa: E402
from sentencepiece import sentencepiece_model_pb2 as sp_pb2  # noqa: E402
import torch  # noqa: E402
import transformers  # noqa: E402
from transformers import SiglipConfig, SiglipImageProcessorPil, SiglipModel, SiglipTokenizer  # noqa: E402

MAX_LENGTH = 16
EXTRA_TEXTS = [
    "A photo of a cat.",
    "a PHOTO   of\tthe\n\ndog's toy, isn't it?",
    "Naïve café — déjà vu №5 ½ ①",
    "emoji 🐱🐶 and ✨sparkles✨",
    "</s> inside </s> and <unk>",
    "Ǆ İstanbul ΣΊΣΥΦΟΣ ß ﬁ",
    "12345 3.14 1,000,000",
    "",
    "   ",
    "!!!",
    "▁already▁escaped",
]


def train_spiece(corpus: list[str], folder: Path) -> Path:
    with tempfile.TemporaryDirectory() as scratch:
        text = Path(scratch) / "corpus.txt"
        text.write_text("\n".join(corpus), encoding="utf-8")
        spm.SentencePieceTrainer.train(
            input=str(text), model_prefix=str(Path(scratch) / "spiece"), vocab_size=400, model_type="unigram",
            normalization_rule_name="nmt_nfkc", pad_id=0, eos_id=1, unk_id=2, bos_id=-1, character_coverage=1.0,
            byte_fallback=False, minloglevel=2, num_threads=1, seed_sentencepiece_size=100000,
            shuffle_input_sentence=False)
        # The trainer records the corpus path and model prefix (a temporary folder): cleared, so
        # that two runs write the same bytes.
        proto = sp_pb2.ModelProto()
        proto.ParseFromString((Path(scratch) / "spiece.model").read_bytes())
        del proto.trainer_spec.input[:]
        proto.trainer_spec.model_prefix = ""
        target = folder / "spiece.model"
        target.write_bytes(proto.SerializeToString())
    return target


def build(fixtures: Path) -> Path:
    folder = fixtures / "models" / "tiny-siglip"
    mf.clean_dir(folder)
    train_spiece(mf.training_corpus() + EXTRA_TEXTS, folder)
    tok = SiglipTokenizer(vocab_file=str(folder / "spiece.model"), model_max_length=MAX_LENGTH)
    tok.save_pretrained(str(folder))
    config = SiglipConfig(
        text_config=dict(
            vocab_size=tok.vocab_size, hidden_size=32, intermediate_size=37, num_hidden_layers=2, num_attention_heads=4,
            max_position_embeddings=MAX_LENGTH, hidden_act="gelu_pytorch_tanh", layer_norm_eps=1e-6,
            projection_size=24, pad_token_id=1, bos_token_id=49406, eos_token_id=1),
        vision_config=dict(
            hidden_size=32, intermediate_size=37, num_hidden_layers=2, num_attention_heads=4, image_size=32,
            patch_size=8, num_channels=3, hidden_act="gelu_pytorch_tanh", layer_norm_eps=1e-6),
    )
    torch.manual_seed(mf.SEED + 40)
    model = SiglipModel(config).eval()
    mf.randomize_weights(model, mf.SEED + 41)
    g = torch.Generator().manual_seed(mf.SEED + 42)
    with torch.no_grad():
        head = model.vision_model.head
        head.probe.copy_(0.5 * torch.randn(head.probe.shape, generator=g))
        head.attention.in_proj_weight.copy_(torch.randn(head.attention.in_proj_weight.shape, generator=g) / 32 ** 0.5)
        head.attention.in_proj_bias.copy_(0.1 * torch.randn(head.attention.in_proj_bias.shape, generator=g))
    model.save_pretrained(str(folder), safe_serialization=True)
    processor = SiglipImageProcessorPil(
        size={"height": 32, "width": 32}, resample=2, do_rescale=True, rescale_factor=1 / 255, do_normalize=True,
        image_mean=[0.5, 0.5, 0.5], image_std=[0.5, 0.5, 0.5])
    processor.save_pretrained(str(folder))
    return folder


def references(folder: Path, fixtures: Path) -> dict:
    out = fixtures / "reference" / "tiny-siglip"
    mf.clean_dir(out)
    texts = list(mf.SENTENCES) + EXTRA_TEXTS
    tok = SiglipTokenizer.from_pretrained(str(folder))
    entries = []
    for i, text in enumerate(texts):
        plain = tok(text, truncation=True, max_length=MAX_LENGTH)["input_ids"]
        full = tok(text, truncation=False)["input_ids"]
        mask = [1] * len(plain)
        entries.append({"index": i, "text": text, "input_ids": plain, "attention_mask": mask, "tokens": tok.convert_ids_to_tokens(plain),
                        "truncated": len(full) > len(plain), "input_ids_untruncated": full})
    header = {"model": "tiny-siglip", "max_seq_length": MAX_LENGTH, "vocab_size": tok.vocab_size, "count": len(entries)}
    head = json.dumps(header, ensure_ascii=False, indent=2)
    text = head[:-2] + ',\n  "sentences": ' + mf.json_block(entries, "    ").replace("\n]", "\n  ]") + "\n}\n"
    json.loads(text)
    mf.write_bytes(out / "ids.json", text.encode("utf-8"))

    model = SiglipModel.from_pretrained(str(folder)).eval()
    batch = tok(texts, padding="max_length", truncation=True, max_length=MAX_LENGTH, return_tensors="pt")
    tensors = {}
    with torch.no_grad():
        text_out = model.text_model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"])
        g = torch.Generator().manual_seed(mf.SEED + 43)
        pixels = torch.randn((3, 3, 32, 32), generator=g)
        vision_out = model.vision_model(pixel_values=pixels)
    tensors["text_input_ids"] = batch["input_ids"].to(torch.int64).contiguous()
    tensors["text_mask"] = batch["attention_mask"].to(torch.uint8).contiguous()
    tensors["text_token_states"] = text_out.last_hidden_state.float().contiguous()
    tensors["text_features"] = text_out.pooler_output.float().contiguous()
    tensors["vision_pixels"] = pixels.contiguous()
    tensors["vision_token_states"] = vision_out.last_hidden_state.float().contiguous()
    tensors["vision_features"] = vision_out.pooler_output.float().contiguous()
    processor = SiglipImageProcessorPil(
        size={"height": 64, "width": 64}, resample=2, image_mean=[0.5, 0.5, 0.5], image_std=[0.5, 0.5, 0.5])
    images = sorted((fixtures / "vision" / "images").iterdir())
    for path in images:
        # A path: transformers' load_image applies the EXIF orientation and converts to RGB.
        tensors["preprocess/" + path.name] = processor(images=str(path), return_tensors="pt")["pixel_values"][0].float().contiguous()
    info = {"model": "tiny-siglip", "transformers": transformers.__version__, "torch": torch.__version__,
            "sentencepiece": spm.__version__, "texts": len(texts), "max_length": MAX_LENGTH,
            "truncated": [e["index"] for e in entries if e["truncated"]], "images": [p.name for p in images]}
    mf.save_safetensors(tensors, out / "outputs.safetensors", metadata={"format": "pt", "zoo": json.dumps(info, separators=(",", ":"))})
    return info


def main() -> int:
    torch.manual_seed(mf.SEED)
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    random.seed(mf.SEED)
    np.random.seed(mf.SEED)
    transformers.logging.set_verbosity_error()
    fixtures = mf.REPO / "Tests" / "Fixtures"
    folder = build(fixtures)
    print(json.dumps(references(folder, fixtures)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
