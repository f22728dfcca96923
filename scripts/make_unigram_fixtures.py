#!/usr/bin/env python3
"""Unigram (SentencePiece) tokenizer fixtures for zoo's tokenizer tests.

Trains a small SentencePiece Unigram model here (sentencepiece, `nmt_nfkc` normalization, byte
fallback) on scripts/make_fixtures.py's corpus plus a multilingual one, and writes it as
Hugging Face `tokenizers` reads XLM-RoBERTa's: the model's `precompiled_charsmap` as a
`Precompiled` normalizer, `Metaspace` (prepend_scheme always, split), `Unigram` with
`unk_id` and `byte_fallback`, and `<s> $A </s>` around each text. Then writes the ids
`tokenizers` gives for every fixture sentence and for a multilingual case list.

  Tests/Fixtures/models/tiny-unigram          tokenizer.json, tokenizer_config.json, special_tokens_map.json
  Tests/Fixtures/reference/tiny-unigram/ids.json          the 42 sentences of sentences.txt
  Tests/Fixtures/reference/tiny-unigram/multilingual.json  many scripts, combining marks, width variants, emoji, whitespace
  Tests/Fixtures/models/tiny-unigram-unk      the same without byte fallback (<unk>, fused runs)
  Tests/Fixtures/reference/tiny-unigram/multilingual-unk.json  its ids for the multilingual cases
  Tests/Fixtures/models/tiny-xlmr             a random XLMRobertaModel with the tiny-unigram tokenizer
  Tests/Fixtures/reference/tiny-xlmr          its ids, token states and embeddings (as make_fixtures.py's)
  Tests/Fixtures/models/tiny-multilingual-bert  a random BertModel with the same tokenizer (multilingual MiniLM's layout)
  Tests/Fixtures/reference/tiny-multilingual-bert  the same references

    pip install sentencepiece==0.2.3 protobuf tokenizers==0.23.3
    python3 scripts/make_unigram_fixtures.py

(transformers 5's XLMRobertaTokenizerFast(vocab_file=…) conversion keeps only the special
pieces, so the tokenizer is assembled from the SentencePiece model proto directly.) Seeded and
single-threaded: two runs give the same bytes.
"""
from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import make_fixtures as mf  # noqa: E402

import sentencepiece as spm  # noqa: E402
from sentencepiece import sentencepiece_model_pb2 as model_pb2  # noqa: E402
from tokenizers import AddedToken, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors  # noqa: E402

MAX_LENGTH = 128
MULTILINGUAL = [
    "Der schnelle braune Fuchs springt über den faulen Hund.",
    "Le chat noir dort sur le canapé rouge, près de la fenêtre.",
    "El niño comió una manzana en la mañana.",
    "Быстрая коричневая лиса прыгает через ленивую собаку.",
    "東京は日本の首都です。大阪は二番目に大きい都市です。",
    "我喜欢在公园里散步，看小鸟飞翔。",
    "서울은 대한민국의 수도입니다.",
    "القطة تجلس على السجادة الحمراء",
    "החתול יושב על השטיח",
    "यह एक परीक्षण वाक्य है।",
    "Η γάτα κάθεται στο χαλί.",
    "แมวนั่งอยู่บนพรม",
    "Mèo đang ngồi trên thảm.",
    "Kedi halının üzerinde oturuyor.",
    "ﾃｽﾄ ｶﾀｶﾅ ＡＢＣ　全角 ①②③ ﬁ ﬀ ㍻ ℡",
    "naïve café résumé Ångström",
    "nai\u0308ve cafe\u0301 A\u030angstro\u0308m",
    "e\u0301\u0301\u0301 x\u0327\u0301 한\u1100\u1161",
    "emoji 👩‍👩‍👧 👍🏽 🇫🇷 ❤️ done",
    "  leading, double  spaces,\ttabs\tand trailing   ",
    "non\u00a0breaking\u2009thin\u200bzero\u00adsoft",
    "<s> typed specials </s> and <mask> inside",
    "unknown symbols ⨁ ⟁ 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 𓀀",
    "UPPER lower MiXeD 12345 3.14159 1,000,000",
    "",
    " ",
    "a" * 300,
    " ".join(["multilingual long text über 東京 и Москва"] * 20),
]


def build(out: Path) -> Path:
    folder = out / "models" / "tiny-unigram"
    mf.clean_dir(folder)
    with tempfile.TemporaryDirectory() as work:
        corpus = Path(work) / "corpus.txt"
        lines = mf.training_corpus() + MULTILINGUAL[:18] * 10
        corpus.write_text("\n".join(line for line in lines if line.strip()), encoding="utf-8")
        prefix = Path(work) / "tiny"
        spm.SentencePieceTrainer.train(
            input=str(corpus), model_prefix=str(prefix), vocab_size=700, model_type="unigram",
            normalization_rule_name="nmt_nfkc", byte_fallback=True, character_coverage=0.995,
            bos_id=0, pad_id=1, eos_id=2, unk_id=3, num_threads=1, seed_sentencepiece_size=100000,
            shuffle_input_sentence=False, minloglevel=2)
        proto = model_pb2.ModelProto()
        proto.ParseFromString((Path(work) / "tiny.model").read_bytes())
    pieces = [(p.piece, float(p.score)) for p in proto.pieces] + [("<mask>", 0.0)]
    tok = Tokenizer(models.Unigram(pieces, unk_id=3, byte_fallback=True))
    tok.normalizer = normalizers.Precompiled(proto.normalizer_spec.precompiled_charsmap)
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="\u2581", prepend_scheme="always", split=True)
    tok.decoder = decoders.Metaspace(replacement="\u2581", prepend_scheme="always", split=True)
    tok.add_special_tokens([AddedToken(t, normalized=False, special=True) for t in ["<s>", "<pad>", "</s>", "<unk>"]])
    tok.add_special_tokens([AddedToken("<mask>", lstrip=True, rstrip=False, normalized=False, special=True)])
    tok.post_processor = processors.TemplateProcessing(
        single="<s> $A </s>", pair="<s> $A </s> </s> $B </s>", special_tokens=[("<s>", 0), ("</s>", 2)])
    tok.save(str(folder / "tokenizer.json"))
    mf.write_json(folder / "tokenizer_config.json", {
        "bos_token": "<s>", "cls_token": "<s>", "eos_token": "</s>", "mask_token": "<mask>", "model_max_length": MAX_LENGTH,
        "pad_token": "<pad>", "sep_token": "</s>", "tokenizer_class": "XLMRobertaTokenizer", "unk_token": "<unk>"})
    mf.write_json(folder / "special_tokens_map.json", {
        "bos_token": "<s>", "cls_token": "<s>", "eos_token": "</s>", "mask_token": "<mask>", "pad_token": "<pad>",
        "sep_token": "</s>", "unk_token": "<unk>"})
    return folder


def encode_all(folder: Path, texts: list[str]) -> list[dict]:
    full = Tokenizer.from_file(str(folder / "tokenizer.json"))
    full.no_truncation()
    full.no_padding()
    short = Tokenizer.from_file(str(folder / "tokenizer.json"))
    short.no_padding()
    short.enable_truncation(MAX_LENGTH)
    entries = []
    for index, text in enumerate(texts):
        ids = short.encode(text).ids
        untruncated = full.encode(text).ids
        entries.append({"index": index, "text": text, "input_ids": ids, "attention_mask": [1] * len(ids),
                        "tokens": short.encode(text).tokens, "truncated": len(untruncated) > len(ids),
                        "input_ids_untruncated": untruncated})
    return entries


def without_byte_fallback(out: Path, folder: Path) -> Path:
    """The same tokenizer with byte_fallback off: what no piece covers becomes <unk>, runs fused."""
    other = out / "models" / "tiny-unigram-unk"
    mf.clean_dir(other)
    tokenizer = json.loads((folder / "tokenizer.json").read_text(encoding="utf-8"))
    tokenizer["model"]["byte_fallback"] = False
    mf.write_bytes(other / "tokenizer.json", json.dumps(tokenizer, ensure_ascii=False).encode("utf-8"))
    for name in ("tokenizer_config.json", "special_tokens_map.json"):
        mf.write_bytes(other / name, (folder / name).read_bytes())
    return other


def build_tiny_xlmr(out: Path, tokenizer_folder: Path) -> Path:
    """A randomly initialised XLMRobertaModel (RoBERTa's layers) with the tiny-unigram tokenizer
    without byte fallback (as XLM-R's, which transformers 5 forces too), mean pooling: XLM-RoBERTa
    end to end."""
    import torch
    from transformers import XLMRobertaConfig, XLMRobertaModel

    folder = out / "models" / "tiny-xlmr"
    mf.clean_dir(folder)
    vocab_size = Tokenizer.from_file(str(tokenizer_folder / "tokenizer.json")).get_vocab_size(with_added_tokens=True)
    config = XLMRobertaConfig(
        vocab_size=vocab_size, hidden_size=32, num_hidden_layers=2, num_attention_heads=4, intermediate_size=37,
        hidden_act="gelu", max_position_embeddings=MAX_LENGTH + 2, type_vocab_size=1, layer_norm_eps=1e-5,
        pad_token_id=1, bos_token_id=0, eos_token_id=2)
    torch.manual_seed(mf.SEED + 30)
    model = XLMRobertaModel(config, add_pooling_layer=False).eval()
    mf.randomize_weights(model, mf.SEED + 31)
    model.save_pretrained(str(folder), safe_serialization=True)
    # transformers 5 builds XLM-R's pre-tokenizer as WhitespaceSplit then Metaspace whatever
    # tokenizer.json says; the file says the same, so tokenizers and sentence-transformers agree.
    tokenizer = json.loads((tokenizer_folder / "tokenizer.json").read_text(encoding="utf-8"))
    tokenizer["pre_tokenizer"] = {"type": "Sequence", "pretokenizers": [
        {"type": "WhitespaceSplit"}, {"type": "Metaspace", "replacement": "\u2581", "prepend_scheme": "always", "split": True}]}
    mf.write_bytes(folder / "tokenizer.json", json.dumps(tokenizer, ensure_ascii=False).encode("utf-8"))
    for name in ("tokenizer_config.json", "special_tokens_map.json"):
        mf.write_bytes(folder / name, (tokenizer_folder / name).read_bytes())
    mf.write_st_layout(folder, 32, pooling="mean", normalize=True, max_seq=MAX_LENGTH)
    return folder


def build_tiny_multilingual_bert(out: Path, xlmr_folder: Path) -> Path:
    """A randomly initialised BertModel with tiny-xlmr's tokenizer: the multilingual MiniLM layout
    (paraphrase-multilingual-MiniLM-L12-v2 is BERT layers with XLM-R's tokenizer)."""
    import torch
    from transformers import BertConfig, BertModel

    folder = out / "models" / "tiny-multilingual-bert"
    mf.clean_dir(folder)
    vocab_size = Tokenizer.from_file(str(xlmr_folder / "tokenizer.json")).get_vocab_size(with_added_tokens=True)
    config = BertConfig(
        vocab_size=vocab_size, hidden_size=32, num_hidden_layers=2, num_attention_heads=4, intermediate_size=37,
        hidden_act="gelu", max_position_embeddings=512, type_vocab_size=2, layer_norm_eps=1e-12, pad_token_id=1)
    torch.manual_seed(mf.SEED + 40)
    model = BertModel(config, add_pooling_layer=False).eval()
    mf.randomize_weights(model, mf.SEED + 41)
    model.save_pretrained(str(folder), safe_serialization=True)
    for name in ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json"):
        mf.write_bytes(folder / name, (xlmr_folder / name).read_bytes())
    mf.write_st_layout(folder, 32, pooling="mean", normalize=True, max_seq=MAX_LENGTH)
    return folder


def main() -> int:
    out = mf.REPO / "Tests" / "Fixtures"
    folder = build(out)
    unknown_folder = without_byte_fallback(out, folder)
    vocab_size = Tokenizer.from_file(str(folder / "tokenizer.json")).get_vocab_size(with_added_tokens=True)
    ref = out / "reference" / "tiny-unigram"
    mf.clean_dir(ref)
    for name, source, texts in (("ids.json", folder, mf.SENTENCES), ("multilingual.json", folder, MULTILINGUAL),
                                ("multilingual-unk.json", unknown_folder, MULTILINGUAL)):
        entries = encode_all(source, texts)
        doc = {"model": "tiny-unigram", "max_seq_length": MAX_LENGTH, "vocab_size": vocab_size, "count": len(entries),
               "sentences": entries}
        mf.write_bytes(ref / name, (json.dumps(doc, ensure_ascii=False, indent=1) + "\n").encode("utf-8"))
        fallback = sum(any(t.startswith("<0x") for t in e["tokens"]) for e in entries)
        unknown = sum(3 in e["input_ids"] for e in entries)
        print(f"{name}: {len(entries)} texts, {fallback} with byte-fallback pieces, {unknown} with <unk>")
    import numpy as np
    import torch
    torch.manual_seed(mf.SEED)
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    np.random.seed(mf.SEED)
    xlmr = build_tiny_xlmr(out, unknown_folder)
    summary = mf.reference_outputs("tiny-xlmr", xlmr, out)
    print(f"tiny-xlmr: token_states {summary['rows']}x{summary['lmax']}x{summary['dim']}, pool check {summary['pool_check']:.2e}, "
          f"truncated {summary['truncated']}")
    bert = build_tiny_multilingual_bert(out, xlmr)
    summary = mf.reference_outputs("tiny-multilingual-bert", bert, out)
    print(f"tiny-multilingual-bert: token_states {summary['rows']}x{summary['lmax']}x{summary['dim']}, pool check {summary['pool_check']:.2e}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
