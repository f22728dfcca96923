#!/usr/bin/env python3
"""CLIP fixtures for zoo's parity tests, next to those of scripts/make_fixtures.py (whose helpers,
sentences, seeds and conventions it reuses, and whose files it leaves alone).

Writes
  Tests/Fixtures/models/tiny-clip          a random-initialised CLIPModel saved by transformers
                                           (text: hidden 32, 2 layers, 4 heads, 77 positions,
                                           quick_gelu; vision: 32×32 pixels, patch 8, hidden 32,
                                           2 layers; projections to 24), CLIP's BPE tokenizer
                                           (`</w>` word ends, NFC + whitespace + lowercase
                                           normalizer, CLIP's split pattern, byte level) with a
                                           vocabulary trained here, and a CLIPImageProcessor
                                           config (shortest edge 32, crop 32)
  Tests/Fixtures/models/tiny-clip-legacy   the same weights with eos_token_id 2: transformers then
                                           pools each text at its largest token id
  Tests/Fixtures/reference/tiny-clip       ids.json (CLIPTokenizer, AutoTokenizer and
                                           tokenizers.Tokenizer cross-checked) and outputs.safetensors:
                                           text last hidden states of the padded batch, pooled and
                                           projected text features (both models), vision last hidden
                                           states, pooled and projected image features for seeded
                                           pixels, and the CLIPImageProcessor output for every
                                           photo in Tests/Fixtures/vision/images at 64×64

    python3 scripts/make_clip_fixtures.py

Seeded and single-threaded, as make_fixtures.py: two runs give the same bytes.
"""
from __future__ import annotations

import json
import random
import shutil
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import make_fixtures as mf  # noqa: E402  (sets the single-thread, offline environment first)

import numpy as np  # noqa: E402
import torch  # noqa: E402
import transformers  # noqa: E402
from tokenizers import Regex, Tokenizer, models, normalizers, pre_tokenizers, trainers  # noqa: E402
from transformers import AutoTokenizer, CLIPConfig, CLIPImageProcessorPil, CLIPModel, CLIPTokenizer  # noqa: E402

CLIP_SPECIALS = ["<|startoftext|>", "<|endoftext|>"]
CLIP_SPLIT = r"""<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+"""
EXTRA_TEXTS = [
    "A photo of a cat.",
    "a PHOTO   of\tthe\n\ndog's toy, isn't it?",
    "Naïve café — déjà vu №5 ½ ①",
    "emoji 🐱🐶 and ✨sparkles✨",
    "<|startoftext|> literal specials <|endoftext|> inside",
    "Ǆ İstanbul ΣΊΣΥΦΟΣ ß ﬁ",
    "12345 3.14 1,000,000",
    "",
    "   ",
    # Marks tokenizers' older Unicode data does not know (class 0 there: never reordered) and a
    # supplementary letter before a mark (swift-corelibs-foundation's NFC mangles it).
    "\U0001F1F4\u1ac7\u05c1[sep] \u03b0\u1ac2\u0347",
    "\U00010069\u0311 and \U00010041\u0301 and \U00011099\U000110BA",
]


def train_clip_vocab(corpus: list[str]) -> tuple[dict[str, int], list[tuple[str, str]]]:
    """A byte-level BPE vocabulary with CLIP's `</w>` word ends, trained on `corpus` through CLIP's
    own normalizer and pre-tokenizer."""
    tok = Tokenizer(models.BPE(end_of_word_suffix="</w>", continuing_subword_prefix=""))
    tok.normalizer = normalizers.Sequence([normalizers.NFC(), normalizers.Replace(Regex(r"\s+"), " "), normalizers.Lowercase()])
    tok.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(CLIP_SPLIT), behavior="removed", invert=True),
        pre_tokenizers.ByteLevel(add_prefix_space=False),
    ])
    alphabet = pre_tokenizers.ByteLevel.alphabet()
    trainer = trainers.BpeTrainer(
        vocab_size=900, min_frequency=2, special_tokens=CLIP_SPECIALS, initial_alphabet=alphabet,
        end_of_word_suffix="</w>", show_progress=False)
    tok.train_from_iterator(corpus, trainer=trainer)
    saved = json.loads(tok.to_str())
    vocab: dict[str, int] = saved["model"]["vocab"]
    merges = [tuple(m.split(" ")) if isinstance(m, str) else tuple(m) for m in saved["model"]["merges"]]
    # Every single byte as a word end too, as CLIP's vocabulary has them. The trainer numbers its
    # initial symbols in hash order, so ids are reassigned: the specials, then every symbol no
    # merge makes (sorted), then the merged tokens in merge order; the same bytes on every run.
    merged = [left + right for left, right in merges]
    made = set(merged)
    initial = sorted((set(vocab) | {ch + "</w>" for ch in alphabet}) - made - set(CLIP_SPECIALS))
    order = CLIP_SPECIALS + initial + list(dict.fromkeys(merged))
    return {token: index for index, token in enumerate(order)}, merges


def build_tiny_clip(fixtures: Path, corpus: list[str]) -> tuple[Path, Path]:
    folder = fixtures / "models" / "tiny-clip"
    legacy = fixtures / "models" / "tiny-clip-legacy"
    mf.clean_dir(folder)
    vocab, merges = train_clip_vocab(corpus)
    hf_tok = CLIPTokenizer(vocab=vocab, merges=merges, model_max_length=77)
    hf_tok.save_pretrained(str(folder))
    bos = hf_tok.convert_tokens_to_ids("<|startoftext|>")
    eos = hf_tok.convert_tokens_to_ids("<|endoftext|>")
    config = CLIPConfig(
        text_config=dict(
            vocab_size=len(hf_tok), hidden_size=32, intermediate_size=37, num_hidden_layers=2, num_attention_heads=4,
            max_position_embeddings=77, hidden_act="quick_gelu", layer_norm_eps=1e-5, projection_dim=24,
            bos_token_id=bos, eos_token_id=eos, pad_token_id=eos),
        vision_config=dict(
            hidden_size=32, intermediate_size=37, num_hidden_layers=2, num_attention_heads=4, image_size=32,
            patch_size=8, num_channels=3, hidden_act="quick_gelu", layer_norm_eps=1e-5, projection_dim=24),
        projection_dim=24,
    )
    torch.manual_seed(mf.SEED + 30)
    model = CLIPModel(config).eval()
    mf.randomize_weights(model, mf.SEED + 31)
    g = torch.Generator().manual_seed(mf.SEED + 32)
    with torch.no_grad():
        emb = model.vision_model.embeddings
        emb.class_embedding.copy_(0.5 * torch.randn(emb.class_embedding.shape, generator=g))
    model.save_pretrained(str(folder), safe_serialization=True)
    processor = CLIPImageProcessorPil(
        size={"shortest_edge": 32}, crop_size={"height": 32, "width": 32}, do_center_crop=True, do_resize=True,
        resample=3, do_rescale=True, rescale_factor=1 / 255, do_normalize=True, do_convert_rgb=True,
        image_mean=[0.48145466, 0.4578275, 0.40821073], image_std=[0.26862954, 0.26130258, 0.27577711])
    processor.save_pretrained(str(folder))
    mf.clean_dir(legacy)
    for item in folder.iterdir():
        shutil.copy2(item, legacy / item.name)
    cfg = json.loads((legacy / "config.json").read_text())
    cfg["text_config"]["eos_token_id"] = 2
    mf.write_json(legacy / "config.json", cfg)
    return folder, legacy


def text_references(folder: Path, legacy: Path, fixtures: Path, tensors: dict) -> dict:
    texts = list(mf.SENTENCES) + EXTRA_TEXTS
    hf_tok = CLIPTokenizer.from_pretrained(str(folder))
    auto_tok = AutoTokenizer.from_pretrained(str(folder))
    raw = Tokenizer.from_file(str(folder / "tokenizer.json"))
    raw.no_truncation()
    raw.no_padding()
    entries = []
    for i, text in enumerate(texts):
        enc = hf_tok(text, truncation=True, max_length=77)
        full = hf_tok(text, truncation=False, verbose=False)["input_ids"]
        if auto_tok(text, truncation=True, max_length=77)["input_ids"] != enc["input_ids"]:
            raise SystemExit(f"tiny-clip[{i}]: AutoTokenizer differs")
        if raw.encode(text).ids != full:
            raise SystemExit(f"tiny-clip[{i}]: tokenizers.Tokenizer(tokenizer.json) differs")
        entries.append({"index": i, "text": text, "input_ids": enc["input_ids"], "attention_mask": enc["attention_mask"], "tokens": hf_tok.convert_ids_to_tokens(enc["input_ids"]),
                        "truncated": len(full) > len(enc["input_ids"]), "input_ids_untruncated": full})
    header = {"model": "tiny-clip", "max_seq_length": 77, "vocab_size": len(hf_tok), "count": len(entries)}
    head = json.dumps(header, ensure_ascii=False, indent=2)
    text = head[:-2] + ',\n  "sentences": ' + mf.json_block(entries, "    ").replace("\n]", "\n  ]") + "\n}\n"
    json.loads(text)
    mf.write_bytes(fixtures / "reference" / "tiny-clip" / "ids.json", text.encode("utf-8"))

    batch = hf_tok(texts, padding=True, truncation=True, max_length=77, return_tensors="pt")
    for name, path in (("", folder), ("legacy_", legacy)):
        model = CLIPModel.from_pretrained(str(path)).eval()
        with torch.no_grad():
            out = model.text_model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"])
            features = model.text_projection(out.pooler_output)
        tensors[name + "text_pooled"] = out.pooler_output.float().contiguous()
        tensors[name + "text_features"] = features.float().contiguous()
        if not name:
            tensors["text_token_states"] = out.last_hidden_state.float().contiguous()
            tensors["text_input_ids"] = batch["input_ids"].to(torch.int64).contiguous()
            tensors["text_mask"] = batch["attention_mask"].to(torch.uint8).contiguous()
    return {"texts": len(texts), "truncated": [e["index"] for e in entries if e["truncated"]]}


def vision_references(folder: Path, tensors: dict) -> dict:
    model = CLIPModel.from_pretrained(str(folder)).eval()
    g = torch.Generator().manual_seed(mf.SEED + 33)
    pixels = torch.randn((3, 3, 32, 32), generator=g)
    with torch.no_grad():
        out = model.vision_model(pixel_values=pixels)
        features = model.visual_projection(out.pooler_output)
    tensors["vision_pixels"] = pixels.contiguous()
    tensors["vision_token_states"] = out.last_hidden_state.float().contiguous()
    tensors["vision_pooled"] = out.pooler_output.float().contiguous()
    tensors["vision_features"] = features.float().contiguous()
    # CLIP's preprocessing on the real photos, at 64 (resize shortest edge, bicubic, crop, CLIP mean/std).
    processor = CLIPImageProcessorPil(
        size={"shortest_edge": 64}, crop_size={"height": 64, "width": 64}, resample=3,
        image_mean=[0.48145466, 0.4578275, 0.40821073], image_std=[0.26862954, 0.26130258, 0.27577711])
    images = sorted((mf.REPO / "Tests" / "Fixtures" / "vision" / "images").iterdir())
    for path in images:
        # A path, as the DINOv2 fixtures: transformers' load_image applies the EXIF orientation
        # and converts to RGB (alpha dropped), as zoo's decoder does.
        pixel_values = processor(images=str(path), return_tensors="pt")["pixel_values"]
        tensors["preprocess/" + path.name] = pixel_values[0].float().contiguous()
    return {"images": [p.name for p in images]}


def main() -> int:
    torch.manual_seed(mf.SEED)
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    random.seed(mf.SEED)
    np.random.seed(mf.SEED)
    transformers.logging.set_verbosity_error()
    fixtures = mf.REPO / "Tests" / "Fixtures"
    folder, legacy = build_tiny_clip(fixtures, mf.training_corpus() + EXTRA_TEXTS)
    mf.clean_dir(fixtures / "reference" / "tiny-clip")
    tensors: dict = {}
    text = text_references(folder, legacy, fixtures, tensors)
    vision = vision_references(folder, tensors)
    info = {"model": "tiny-clip", "transformers": transformers.__version__, "torch": torch.__version__, **text, **vision}
    mf.save_safetensors(tensors, fixtures / "reference" / "tiny-clip" / "outputs.safetensors",
                        metadata={"format": "pt", "zoo": json.dumps(info, separators=(",", ":"))})
    print(json.dumps(info))
    return 0


if __name__ == "__main__":
    sys.exit(main())
