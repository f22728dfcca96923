#!/usr/bin/env python3
"""Differential fuzz test of zoo's tokenizers against Hugging Face `tokenizers`.

Seeded random strings (many scripts, combining marks, controls, emoji sequences, odd
whitespace, byte-order marks, special-token look-alikes) are tokenized by `tokenizers` and by
`zoo tokenize` along every input path a text can take into zoo:

  * `--input FILE.jsonl` (JSON lines with "text"; escaped and raw characters mixed),
  * `--input FILE.txt` (one text a line; the file starts with a UTF-8 byte-order mark, which is
    the only thing zoo may strip, and the first text itself starts with U+FEFF),
  * `--text=STR` (many per process).

For each tokenizer kind (WordPiece: tiny-bert, tiny-mpnet, and all-MiniLM-L6-v2 with --minilm;
byte-level BPE: tiny-roberta; Unigram: tiny-xlmr; CLIP's BPE with </w> word ends: tiny-clip;
SentencePiece's own Unigram under SigLIP's canonical text: tiny-siglip, against transformers'
SiglipTokenizer) the ids must be equal on every string and every path. Prints
'N passed, M failed' and exits 1 on any difference. Bounded by --count and --seconds.

Usage (from the repository root, after `swift build`):

    python3 scripts/tokenizer_fuzz.py --zoo .build/debug/zoo --count 3000 --seed 7 \
        [--minilm "$(bash scripts/fetch_minilm.sh | tail -1)"]

Needs `tokenizers`, and for tiny-siglip `transformers`, `sentencepiece` and `protobuf` (the Makefile
installs the pinned versions).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tokenizers import Tokenizer

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "Tests" / "Fixtures" / "models"

# (weight, code point ranges) of the character classes drawn from.
CLASSES: list[tuple[int, list[tuple[int, int]]]] = [
    (30, [(0x20, 0x7E)]),  # ASCII printable
    (8, [(0x09, 0x09), (0x20, 0x20), (0xA0, 0xA0), (0x1680, 0x1680), (0x2000, 0x200B), (0x2028, 0x2029),
         (0x202F, 0x202F), (0x205F, 0x205F), (0x3000, 0x3000), (0xFEFF, 0xFEFF), (0xAD, 0xAD), (0x85, 0x85)]),
    (4, [(0x00, 0x1F), (0x7F, 0x9F)]),  # controls, NUL included
    (8, [(0xC0, 0x24F)]),  # Latin-1 and Latin Extended
    (6, [(0x300, 0x36F), (0x1AB0, 0x1AFF), (0x20D0, 0x20FF)]),  # combining marks
    (4, [(0x370, 0x4FF)]),  # Greek, Cyrillic
    (4, [(0x590, 0x6FF)]),  # Hebrew, Arabic
    (4, [(0x900, 0x97F), (0xE00, 0xE7F)]),  # Devanagari, Thai
    (6, [(0x4E00, 0x9FFF), (0x3040, 0x30FF), (0xAC00, 0xD7A3), (0x1100, 0x11FF)]),  # CJK, kana, Hangul
    (6, [(0x1F300, 0x1FAFF), (0x200D, 0x200D), (0xFE0F, 0xFE0F), (0x1F3FB, 0x1F3FF), (0x1F1E6, 0x1F1FF)]),
    (1, [(0xE000, 0xF8FF), (0xFFF9, 0xFFFD), (0x1D400, 0x1D7FF), (0x10000, 0x1007F), (0xE0001, 0xE007F)]),
]
LOOKALIKES = ["[CLS]", "[SEP]", "[UNK]", "[MASK]", "[PAD]", "<s>", "</s>", "<unk>", "<mask>", "<pad>",
              "[cls]", "[ CLS ]", "< s >", "<|endoftext|>", "[MASK", "MASK]", "<s", "##", "Ġ", "\u0120hello"]
WEIGHTS = [weight for weight, _ in CLASSES]


def random_text(rng: random.Random) -> str:
    pieces = []
    for _ in range(rng.randint(0, 24)):
        if rng.random() < 0.06:
            pieces.append(rng.choice(LOOKALIKES))
            continue
        ranges = rng.choices(CLASSES, weights=WEIGHTS)[0][1]
        low, high = rng.choice(ranges)
        pieces.append(chr(rng.randint(low, high)))
    text = "".join(pieces)
    # Byte-order marks and odd whitespace at the ends, where stripping would show.
    if rng.random() < 0.1:
        text = "\ufeff" + text
    if rng.random() < 0.1:
        text = text + rng.choice(["\ufeff", "\t\ufeff", " ", "\u3000", "\u200b"])
    return text


def reference(folder: Path, max_length: int) -> Tokenizer:
    tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
    tokenizer.no_padding()
    tokenizer.enable_truncation(max_length)
    return tokenizer


def zoo_ids(zoo: list[str], name: str, arguments: list[str]) -> list[list[int]]:
    result = subprocess.run(zoo + ["tokenize", name] + arguments, capture_output=True, check=False)
    if result.returncode != 0:
        raise SystemExit(f"zoo tokenize {name} failed ({result.returncode}): {result.stderr.decode(errors='replace')}")
    return [json.loads(line) for line in result.stdout.decode().splitlines()]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--zoo", default=str(ROOT / ".build" / "debug" / "zoo"))
    parser.add_argument("--count", type=int, default=3000, help="random strings per tokenizer")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--seconds", type=float, default=300, help="stop starting new tokenizers after this long")
    parser.add_argument("--minilm", help="all-MiniLM-L6-v2 folder (real WordPiece vocabulary)")
    parser.add_argument("--per-process", type=int, default=250, help="--text values per zoo process")
    args = parser.parse_args()

    encoders = [("tiny-bert", FIXTURES / "tiny-bert"), ("tiny-roberta", FIXTURES / "tiny-roberta"),
                ("tiny-mpnet", FIXTURES / "tiny-mpnet"), ("tiny-xlmr", FIXTURES / "tiny-xlmr"),
                ("tiny-clip", FIXTURES / "tiny-clip"), ("tiny-siglip", FIXTURES / "tiny-siglip")]
    if args.minilm:
        encoders.append(("minilm", Path(args.minilm)))
    started = time.monotonic()
    passed = failed = 0
    with tempfile.TemporaryDirectory(prefix="zoo-tokenizer-fuzz-") as home:
        env = dict(os.environ, ZOO_HOME=home, SWIFT_BACKTRACE="enable=no")
        os.environ.update(env)
        zoo = [args.zoo]
        subprocess.run(zoo + ["init"], check=True, capture_output=True)
        for index, (name, folder) in enumerate(encoders):
            if time.monotonic() - started > args.seconds:
                print(f"time limit reached before {name}")
                break
            # A CLIP or SigLIP checkpoint holds two towers: its text tower is registered.
            model_type = json.loads((folder / "config.json").read_text()).get("model_type")
            modality = ["--modality", "text"] if model_type in ("clip", "siglip") else []
            subprocess.run(zoo + ["encoder", "add", name, "--from", str(folder)] + modality, check=True, capture_output=True)
            st_config = folder / "sentence_bert_config.json"
            if st_config.exists():
                max_length = int(json.loads(st_config.read_text())["max_seq_length"])
            else:
                max_length = int(json.loads((folder / "tokenizer_config.json").read_text())["model_max_length"])
            rng = random.Random(args.seed * 1000 + index)
            texts = [random_text(rng) for _ in range(args.count)]
            if (folder / "tokenizer.json").exists():
                tokenizer = reference(folder, max_length)
                expected = [encoding.ids for encoding in tokenizer.encode_batch(texts)]
            else:
                # SigLIP ships spiece.model only: transformers' SiglipTokenizer is the reference.
                from transformers import SiglipTokenizer
                slow = SiglipTokenizer.from_pretrained(str(folder))
                expected = [slow(text, truncation=True, max_length=max_length)["input_ids"] for text in texts]

            paths: dict[str, tuple[list[int], list[list[int]]]] = {}
            # JSON lines: every text, escaped or raw at random.
            jsonl = Path(home) / f"{name}.jsonl"
            with jsonl.open("w", encoding="utf-8", newline="\n") as handle:
                for i, text in enumerate(texts):
                    handle.write(json.dumps({"id": i, "text": text}, ensure_ascii=rng.random() < 0.5) + "\n")
            paths["--input FILE.jsonl"] = (list(range(len(texts))), zoo_ids(zoo, name, ["--input", str(jsonl)]))
            # Plain lines: texts without line breaks that do not look like JSON; a file BOM first.
            plain_indices = [i for i, t in enumerate(texts) if "\n" not in t and "\r" not in t and not t.startswith("{")]
            first_bom = next((i for i in plain_indices if texts[i].startswith("\ufeff")), None)
            if first_bom is not None:
                plain_indices.remove(first_bom)
                plain_indices.insert(0, first_bom)
            plain = Path(home) / f"{name}.txt"
            plain.write_bytes(b"\xef\xbb\xbf" + "".join(texts[i] + "\n" for i in plain_indices).encode("utf-8"))
            paths["--input FILE.txt (with a file BOM)"] = (plain_indices, zoo_ids(zoo, name, ["--input", str(plain)]))
            # Command-line values: no NUL (argv cannot carry it).
            text_indices = [i for i, t in enumerate(texts) if "\x00" not in t]
            got: list[list[int]] = []
            for start in range(0, len(text_indices), args.per_process):
                chunk = text_indices[start:start + args.per_process]
                # A value that starts with '-' goes as --text=VALUE (else it reads as an option);
                # others as two words ('=' and a following combining mark make one character).
                arguments = [word for i in chunk
                             for word in ([f"--text={texts[i]}"] if texts[i].startswith("-") else ["--text", texts[i]])]
                got += zoo_ids(zoo, name, arguments)
            paths["--text"] = (text_indices, got)

            for path, (indices, ids) in paths.items():
                if len(ids) != len(indices):
                    print(f"FAIL {name} {path}: {len(ids)} lines of ids for {len(indices)} texts")
                    failed += len(indices)
                    continue
                wrong = [(i, got_ids) for i, got_ids in zip(indices, ids) if got_ids != expected[i]]
                passed += len(indices) - len(wrong)
                failed += len(wrong)
                for i, got_ids in wrong[:5]:
                    print(f"FAIL {name} {path} text {i} {texts[i]!r}: zoo {got_ids}, tokenizers {expected[i]}")
                print(f"{name:13} {path:36} {len(indices) - len(wrong)}/{len(indices)} equal")
    print(f"tokenizer fuzz (seed {args.seed}, {time.monotonic() - started:.1f} s): {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
