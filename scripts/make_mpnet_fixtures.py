#!/usr/bin/env python3
"""MPNet fixtures for zoo's parity tests, next to those of scripts/make_fixtures.py (whose helpers,
sentences, seeds and conventions it reuses, and whose files it leaves alone).

Writes
  Tests/Fixtures/models/tiny-mpnet            a random-initialised MPNetModel saved by transformers
                                              (hidden 32, 2 layers, 4 heads, 32 relative-position
                                              buckets) with a WordPiece tokenizer trained here and
                                              MPNet's <s> … </s> post-processor, mean pooling
  Tests/Fixtures/reference/tiny-mpnet         its token ids (tokenizers, AutoTokenizer and
                                              sentence-transformers cross-checked), last hidden
                                              states of the padded batch and encode() embeddings
  Tests/Fixtures/reference/all-mpnet-base-v2  the same for the real model (--mpnet DIR, from
                                              scripts/fetch_mpnet.sh), token states of the first
                                              12 sentences only

    python3 scripts/make_mpnet_fixtures.py --mpnet "$(bash scripts/fetch_mpnet.sh | tail -1)"

Seeded and single-threaded, as make_fixtures.py: two runs give the same bytes.
"""
from __future__ import annotations

import argparse
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import make_fixtures as mf  # noqa: E402  (sets the single-thread, offline environment first)

import numpy as np  # noqa: E402
import torch  # noqa: E402
import transformers  # noqa: E402
from tokenizers import AddedToken, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors  # noqa: E402
from transformers import MPNetConfig, MPNetModel, MPNetTokenizerFast  # noqa: E402

MPNET_SPECIALS = ["<s>", "<pad>", "</s>", "<unk>"]


def train_mpnet_wordpiece(corpus: list[str]) -> Tokenizer:
    """WordPiece as BERT's, with MPNet's specials (<s>=0 <pad>=1 </s>=2 <unk>=3, [UNK] the model's
    unknown token, <mask> last) and its RobertaProcessing post-processor, as all-mpnet-base-v2."""
    normalizer = normalizers.BertNormalizer(clean_text=True, handle_chinese_chars=True, strip_accents=None, lowercase=True)
    pre = pre_tokenizers.BertPreTokenizer()
    words: dict[str, int] = {}
    for line in corpus:
        for w, _ in pre.pre_tokenize_str(normalizer.normalize_str(line)):
            words[w] = words.get(w, 0) + 1
    learned = [t for t in mf.learn_wordpiece_vocab(words, vocab_size=1000) if t not in mf.BERT_SPECIALS]
    vocab = MPNET_SPECIALS + ["[UNK]"] + learned
    tok = Tokenizer(models.WordPiece({t: i for i, t in enumerate(vocab)}, unk_token="[UNK]", max_input_chars_per_word=100))
    tok.normalizer = normalizer
    tok.pre_tokenizer = pre
    tok.add_special_tokens([AddedToken(t, normalized=False, special=True) for t in MPNET_SPECIALS + ["[UNK]"]])
    tok.add_special_tokens([AddedToken("<mask>", lstrip=True, rstrip=False, normalized=False, special=True)])
    tok.post_processor = processors.RobertaProcessing(("</s>", 2), ("<s>", 0), trim_offsets=True, add_prefix_space=False)
    tok.decoder = decoders.WordPiece(prefix="##")
    return tok


def build_tiny_mpnet(fixtures: Path, corpus: list[str]) -> Path:
    folder = fixtures / "models" / "tiny-mpnet"
    mf.clean_dir(folder)
    tok = train_mpnet_wordpiece(corpus)
    config = MPNetConfig(
        vocab_size=tok.get_vocab_size(),
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=4,
        intermediate_size=37,
        hidden_act="gelu",
        max_position_embeddings=512 + 2,  # positions start at pad_token_id + 1, as RoBERTa's
        relative_attention_num_buckets=32,
        layer_norm_eps=1e-5,
        pad_token_id=1,
        bos_token_id=0,
        eos_token_id=2,
        hidden_dropout_prob=0.1,
        attention_probs_dropout_prob=0.1,
        initializer_range=0.02,
    )
    torch.manual_seed(mf.SEED + 20)
    model = MPNetModel(config, add_pooling_layer=False).eval()
    mf.randomize_weights(model, mf.SEED + 21)
    # The relative-position table gets the embeddings' scale: large enough to move the scores.
    g = torch.Generator().manual_seed(mf.SEED + 22)
    with torch.no_grad():
        model.encoder.relative_attention_bias.weight.copy_(torch.randn(model.encoder.relative_attention_bias.weight.shape, generator=g))
    model.save_pretrained(str(folder), safe_serialization=True)
    hf_tok = MPNetTokenizerFast(
        tokenizer_object=tok, do_lower_case=True, bos_token="<s>", eos_token="</s>", sep_token="</s>", cls_token="<s>",
        unk_token="[UNK]", pad_token="<pad>",
        mask_token=AddedToken("<mask>", lstrip=True, rstrip=False, normalized=False, special=True), model_max_length=512)
    hf_tok.save_pretrained(str(folder))
    mf.finish_tokenizer_files(
        folder, tok, {"model_max_length": 512, "do_lower_case": True},
        {"bos_token": "<s>", "eos_token": "</s>", "unk_token": "[UNK]", "sep_token": "</s>", "pad_token": "<pad>",
         "cls_token": "<s>", "mask_token": "<mask>"})
    mf.write_st_layout(folder, 32, pooling="mean", normalize=True, max_seq=mf.MAX_SEQ_TINY)
    return folder


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--mpnet", type=Path, help="all-mpnet-base-v2 folder (from scripts/fetch_mpnet.sh)")
    ap.add_argument("--out", type=Path, default=mf.REPO / "Tests" / "Fixtures", help="fixtures folder")
    args = ap.parse_args()
    torch.manual_seed(mf.SEED)
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    random.seed(mf.SEED)
    np.random.seed(mf.SEED)
    transformers.logging.set_verbosity_error()
    fixtures: Path = args.out
    folder = build_tiny_mpnet(fixtures, mf.training_corpus())
    summaries = [mf.reference_outputs("tiny-mpnet", folder, fixtures)]
    if args.mpnet is not None:
        summaries.append(mf.reference_outputs("all-mpnet-base-v2", args.mpnet.resolve(), fixtures, 12))
    for s in summaries:
        print(f"{s['name']}: max_seq {s['max_seq']}, token_states {s['rows']}x{s['lmax']}x{s['dim']}, pooling {s['pooling']}"
              f"{' + normalize' if s['normalize'] else ''}, pool check {s['pool_check']:.2e}, truncated {s['truncated']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
