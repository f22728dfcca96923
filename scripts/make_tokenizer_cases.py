#!/usr/bin/env python3
"""Reference data for zoo's Swift tokenizers, made with Hugging Face `tokenizers`.

Python is used only here, never at zoo's run time. Two outputs:

  * (default) Tests/Fixtures/reference/extra_tokenizer_cases.json: tricky
    strings (and seeded random strings) with the ids `tokenizers` gives them,
    for tiny-bert, tiny-roberta, variants of both whose tokenizer.json is
    patched (cased BERT, RoBERTa with add_prefix_space, an extra added token),
    and all-MiniLM-L6-v2 when --minilm DIR is given;
  * --tables: Sources/Runtime/Tokenizers/UnicodeTables.swift, the character
    classes that `tokenizers` uses (found by probing every code point through
    its normalizers and pre-tokenizers), so that the Swift code classifies
    characters as the pinned `tokenizers` does whatever Unicode version the
    Swift standard library has.

Usage (from the repository root):

    python3 scripts/make_tokenizer_cases.py --minilm "$(bash scripts/fetch_minilm.sh)"
    python3 scripts/make_tokenizer_cases.py --tables

Needs only `tokenizers` (see scripts/requirements-fixtures.txt for the version).
"""

from __future__ import annotations

import argparse
import copy
import json
import random
import sys
import unicodedata
from pathlib import Path

import tokenizers
from tokenizers import Tokenizer, normalizers, pre_tokenizers

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "Tests" / "Fixtures"
CASES_OUT = FIXTURES / "reference" / "extra_tokenizer_cases.json"
TABLES_OUT = ROOT / "Sources" / "Runtime" / "Tokenizers" / "UnicodeTables.swift"

# Truncation length used for the extra cases (short, so that many cases truncate).
MAX_LENGTH = 16

FIXED_CASES = [
    "",
    " ",
    "   ",
    "\t",
    "\n\n x \n",
    "hello",
    "Hello, World!",
    "hello  world",
    "hello ",
    " hello",
    "  hello  ",
    "a\u00a0b\u2003c\u3000d",
    "x \t y",
    "I'M here, it'S you're we've they'll I'd she's",
    "'s ''s ' s rock 'n' roll",
    "can't've y'all",
    "1234567 12,345.67 x\u00b2 \u0663\u0664 \u216b \u00bd",
    "\u0130stanbul \u03a3\u0391\u03a3 stra\u00dfe \u01c5 \ufb03 DZ\u01c4",
    "\u00c5 A\u030a \u1e17 e\u0301\u0301\u0301",
    "\ud55c\uad6d\uc5b4 \u1100\u1161",
    "\uff76\uff80\uff76\uff85 \uff21\uff22",
    "\U0001d518\U0001d52b\U0001d526\U0001d520\U0001d52c\U0001d521\U0001d522",
    "\u0890x\u0891 \u08e2 \U00013430",
    "a\u1734b a\u0f39b a\u302eb",
    "\U0002b820\U0002b81f\U0002b920 \U00020000 \u4e00\u9fff \u3400 \uf900",
    "\U0001fae0 \U0001f44d\U0001f3ff \U0001f3f3\ufe0f\u200d\U0001f308",
    "\u2e45 \u166d \U000111c9 \u2e52",
    "\u088f \U00011de0 \U00010940 \u0c5c",
    "\x00\x01\x1b\x7f\x85\ufffd\ue000\U000f0000 end",
    "a\u200db\u200bc\u00add\ufeffe",
    "\x1c\x1d\x1e\x1f separators",
    "\u2028line\u2029para\x0b\x0c",
    "e" * 100,
    "e" * 101,
    "\u00e9" * 100,
    "\u00e9" * 101,
    "e\u0301" * 60,
    "\u4e2d" * 120,
    "[CLS][SEP]",
    "[CLS]",
    "[MASK]]",
    "[[MASK]",
    "<s>",
    "<s></s>",
    "<pad><unk>",
    "<mask>",
    "  <mask>  ",
    "x<mask>y",
    "<mask><mask>",
    "hello<mask>world",
    "<s>hello",
    "<mask>x",
    "<s <mask >",
    "[PAD] [UNK] [cls]",
    "Hello world, HELLO world, xhello y, hello_ y, hello. there, h\u00e9llo",
    "Wait... what?!?! No way -- really??? (yes) [no] {maybe} <ok> *** ~~~ ###",
    "https://example.com/a_b?c=d&e=f#g",
    "\u00bfD\u00f3nde est\u00e1? \u00a1Est\u00e1 cerca!",
    "\u0627\u0644\u0639\u0631\u0628\u064a\u0629 \u0939\u093f\u0928\u094d\u0926\u0940 \u0e44\u0e17\u0e22",
    "A man rides a brown horse along the beach at sunset while two children "
    "are kicking a red ball across the wet grass in the park.",
]

# Characters the random strings are drawn from.
POOL = (
    list("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
    + list(" " * 12)
    + list("\t\n\r.,;:!?'\"()[]{}<>-_/\\@#$%^&*+=~`|")
    + list("\u00e9\u00c9\u00fc\u00df\u00f1\u00e7\u00e5\u0301\u0308\u0327")
    + list("\u4e2d\u6587\u65e5\u672c\ud55c\uad6d\u3042\u30ab")
    + list("\u03b1\u03a3\u0416\u0434\u0627\u0939\u093f\u0e44")
    + list("\U0001f600\U0001f44d\U0001f3ff\u200d\u2764\ufe0f")
    + list("\u00a0\u2003\u3000\u200b\u00ad\ufeff\x00\x07\x85\ufffd")
    + list("\u00b2\u00bd\u0663\u2160\uff21\ufb01\u2126\u212b")
    + ["<mask>", "<s>", "</s>", "[CLS]", "[SEP]", "[MASK]", "'s", "'ll", " '"]
)


def random_cases(count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    cases = []
    for _ in range(count):
        length = rng.randint(1, 40)
        cases.append("".join(rng.choice(POOL) for _ in range(length)))
    return cases


def set_path(obj: dict, dotted: str, value) -> None:
    keys = dotted.split(".")
    for key in keys[:-1]:
        obj = obj[key]
    obj[keys[-1]] = value


def patched(tokenizer_json: dict, patch: list) -> dict:
    out = copy.deepcopy(tokenizer_json)
    for dotted, value in patch:
        if dotted == "added_tokens+":
            out["added_tokens"].append(value)
        else:
            set_path(out, dotted, value)
    return out


def reference(tokenizer_json: dict, texts: list[str]) -> tuple[list, list]:
    plain = Tokenizer.from_str(json.dumps(tokenizer_json))
    plain.no_truncation()
    plain.no_padding()
    short = Tokenizer.from_str(json.dumps(tokenizer_json))
    short.no_padding()
    short.enable_truncation(MAX_LENGTH)
    return [short.encode(t).ids for t in texts], [plain.encode(t).ids for t in texts]


def write_cases(texts: list[str], sets: list[dict]) -> None:
    """Compact JSON with one text or one id list a line, so diffs stay readable."""
    dump = lambda value: json.dumps(value, ensure_ascii=True, separators=(",", ":"))
    lines = ["{"]
    lines.append(f' "generator":{dump("scripts/make_tokenizer_cases.py")},')
    lines.append(f' "tokenizers_version":{dump(tokenizers.__version__)},')
    lines.append(f' "max_length":{MAX_LENGTH},')
    lines.append(f' "note":{dump(NOTE)},')
    lines.append(' "texts":[')
    lines.append(",\n".join("  " + dump(t) for t in texts))
    lines.append(" ],")
    lines.append(' "sets":[')
    blocks = []
    for entry in sets:
        block = ["  {"]
        block.append(f'   "name":{dump(entry["name"])},')
        block.append(f'   "folder":{dump(entry["folder"])},')
        block.append(f'   "patch":{dump(entry["patch"])},')
        for key in ("ids", "ids_untruncated"):
            block.append(f'   "{key}":[')
            block.append(",\n".join("    " + dump(ids) for ids in entry[key]))
            block.append("   ]" + ("," if key == "ids" else ""))
        block.append("  }")
        blocks.append("\n".join(block))
    lines.append(",\n".join(blocks))
    lines.append(" ]")
    lines.append("}")
    CASES_OUT.write_text("\n".join(lines) + "\n")


NOTE = (
    "ids[i]: texts[i] encoded by tokenizers.Tokenizer from the set's tokenizer.json with "
    "truncation to max_length, no padding; ids_untruncated[i]: no truncation. patch: [dotted key, "
    "value] set in tokenizer.json before loading ('added_tokens+' appends an added token). "
    "folder null: the all-MiniLM-L6-v2 folder of scripts/fetch_minilm.sh."
)


def make_cases(minilm: Path | None) -> None:
    texts = FIXED_CASES + random_cases(150, seed=20240611)
    sets = []
    hello = {
        "id": 1000,
        "content": "Hello",
        "single_word": True,
        "lstrip": False,
        "rstrip": True,
        "normalized": True,
        "special": False,
    }
    hello_raw = dict(hello, single_word=False, lstrip=True, normalized=False)
    variants = [
        ("tiny-bert", "tiny-bert", []),
        (
            "tiny-bert-cased",
            "tiny-bert",
            [["normalizer.lowercase", False], ["normalizer.strip_accents", None]],
        ),
        (
            "tiny-bert-no-clean",
            "tiny-bert",
            [
                ["normalizer.clean_text", False],
                ["normalizer.handle_chinese_chars", False],
                ["normalizer.strip_accents", False],
            ],
        ),
        ("tiny-bert-added-word", "tiny-bert", [["added_tokens+", hello]]),
        (
            "tiny-bert-nfkc-lowercase",
            "tiny-bert",
            [["normalizer", {"type": "Sequence", "normalizers": [{"type": "NFKC"}, {"type": "Lowercase"}]}]],
        ),
        (
            "tiny-bert-nfkd-nfc",
            "tiny-bert",
            [["normalizer", {"type": "Sequence", "normalizers": [{"type": "NFKD"}, {"type": "NFC"}]}]],
        ),
        ("tiny-bert-nfd", "tiny-bert", [["normalizer", {"type": "NFD"}]]),
        ("tiny-roberta", "tiny-roberta", []),
        (
            "tiny-roberta-prefix-space",
            "tiny-roberta",
            [["pre_tokenizer.add_prefix_space", True]],
        ),
        ("tiny-roberta-no-regex", "tiny-roberta", [["pre_tokenizer.use_regex", False]]),
        ("tiny-roberta-added-word", "tiny-roberta", [["added_tokens+", hello_raw]]),
    ]
    for name, folder, patch in variants:
        base = json.loads((FIXTURES / "models" / folder / "tokenizer.json").read_text())
        ids, untruncated = reference(patched(base, patch), texts)
        sets.append(
            {"name": name, "folder": f"models/{folder}", "patch": patch, "ids": ids, "ids_untruncated": untruncated}
        )
    if minilm is not None:
        base = json.loads((minilm / "tokenizer.json").read_text())
        ids, untruncated = reference(base, texts)
        sets.append({"name": "all-MiniLM-L6-v2", "folder": None, "patch": [], "ids": ids, "ids_untruncated": untruncated})
    write_cases(texts, sets)
    print(f"wrote {CASES_OUT.relative_to(ROOT)}: {len(sets)} sets x {len(texts)} texts")


# ---------------------------------------------------------------------------
# Tables


def code_points():
    for cp in range(0x110000):
        if 0xD800 <= cp <= 0xDFFF:
            continue
        yield cp


def ranges(points: list[int]) -> list[tuple[int, int]]:
    out: list[list[int]] = []
    for cp in points:
        if out and out[-1][1] == cp - 1:
            out[-1][1] = cp
        else:
            out.append([cp, cp])
    return [(a, b) for a, b in out]


def probe_tables() -> dict[str, list[tuple[int, int]]]:
    clean = normalizers.BertNormalizer(
        clean_text=True, handle_chinese_chars=False, strip_accents=False, lowercase=False
    )
    chinese = normalizers.BertNormalizer(
        clean_text=False, handle_chinese_chars=True, strip_accents=False, lowercase=False
    )
    strip = normalizers.BertNormalizer(
        clean_text=False, handle_chinese_chars=False, strip_accents=True, lowercase=False
    )
    nfd = normalizers.NFD()
    bert_pre = pre_tokenizers.BertPreTokenizer()
    byte_level = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)

    def bert_split(text):
        return [piece for piece, _ in bert_pre.pre_tokenize_str(text)]

    def byte_split(text):
        return [piece for piece, _ in byte_level.pre_tokenize_str(text)]

    removed, clean_space, cjk, marks, punct, white, letters, numbers = ([] for _ in range(8))
    for cp in code_points():
        c = chr(cp)
        out = clean.normalize_str("a" + c + "b")
        if out == "ab":
            removed.append(cp)
        elif out == "a b" and c != " ":
            clean_space.append(cp)
        if chinese.normalize_str(c) == " " + c + " ":
            cjk.append(cp)
        if nfd.normalize_str(c) == c and strip.normalize_str(c) == "":
            marks.append(cp)
        pieces = bert_split("a" + c + "b")
        if pieces == ["a", c, "b"]:
            punct.append(cp)
        elif pieces == ["a", "b"]:
            white.append(cp)
        if cp != 0x27:
            if len(byte_split("a" + c)) == 1:
                letters.append(cp)
            elif len(byte_split("1" + c)) == 1:
                numbers.append(cp)
    # The GPT-2 split's \s must be the same set as the BERT pre-tokenizer's whitespace.
    word_like = set(letters) | set(numbers)
    gpt2_white = [cp for cp in code_points() if len(byte_split("!" + chr(cp))) == 2
                  and cp not in word_like]
    if gpt2_white != white:
        sys.exit("unexpected: ByteLevel whitespace differs from BertPreTokenizer whitespace")
    # Canonical combining classes as tokenizers' (older) Unicode data has them: a mark it knows
    # is reordered against U+0334 (class 1) or U+0301 (class 230); one it does not is a starter.
    combining = []
    for cp in code_points():
        c = chr(cp)
        k = unicodedata.combining(c)
        if k == 0:
            continue
        if nfd.normalize_str(c) != c:
            # A mark that decomposes (U+0341 to U+0301, say) is old and normalized as Swift does.
            combining.append(cp)
            continue
        if k > 1:
            out = nfd.normalize_str("a" + c + "\u0334")
            known = out.index("\u0334") < out.index(c)
        else:
            out = nfd.normalize_str("a\u0301" + c)
            known = out.index(c) < out.index("\u0301")
        if known:
            combining.append(cp)
    return {
        "cleanTextRemoved": ranges(removed),
        "cleanTextWhitespace": ranges(clean_space),
        "chineseCharacters": ranges(cjk),
        "nonspacingMarks": ranges(marks),
        "bertPunctuation": ranges(punct),
        "whitespace": ranges(white),
        "letters": ranges(letters),
        "numbers": ranges(numbers),
        "combiningMarks": ranges(combining),
    }


TABLE_DOCS = {
    "cleanTextRemoved": "Dropped by BertNormalizer clean_text (NUL, U+FFFD and the control, format, private-use classes of its tables).",
    "cleanTextWhitespace": "Mapped to a space by BertNormalizer clean_text.",
    "chineseCharacters": "Surrounded by spaces by BertNormalizer handle_chinese_chars.",
    "nonspacingMarks": "Dropped after NFD by strip_accents (the Mn class of its tables).",
    "bertPunctuation": "Split off as one-character words by BertPreTokenizer.",
    "whitespace": "Whitespace for BertPreTokenizer and for `\\s` in the ByteLevel split.",
    "letters": "`\\p{L}` in the ByteLevel (GPT-2) split.",
    "numbers": "`\\p{N}` in the ByteLevel (GPT-2) split.",
    "combiningMarks": "Scalars with a nonzero canonical combining class in the NFC/NFD data (older than Swift's):\n    /// marks added since are starters there, never reordered (marks that decompose are listed too).",
}


def make_tables() -> None:
    tables = probe_tables()
    lines = [
        "// Generated by scripts/make_tokenizer_cases.py --tables with tokenizers "
        + tokenizers.__version__
        + "; do not edit.",
        "// Each table lists inclusive code point ranges as flat start, end pairs.",
        "",
        "/// Character classes exactly as Hugging Face `tokenizers` "
        + tokenizers.__version__
        + " applies them, found by probing",
        "/// every code point; they can differ from the Unicode version of the Swift standard library.",
        "enum UnicodeTables {",
    ]
    for name, rs in tables.items():
        doc = TABLE_DOCS[name]
        lines.append(f"    /// {doc}")
        lines.append(f"    static let {name} = ScalarRanges([")
        flat = [f"0x{v:X}" for r in rs for v in r]
        for i in range(0, len(flat), 10):
            lines.append("        " + ", ".join(flat[i:i + 10]) + ",")
        lines.append("    ])")
    lines.append("}")
    TABLES_OUT.write_text("\n".join(lines) + "\n")
    summary = ", ".join(f"{k} {len(v)}" for k, v in tables.items())
    print(f"wrote {TABLES_OUT.relative_to(ROOT)} (ranges: {summary})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--minilm", type=Path, help="all-MiniLM-L6-v2 folder")
    parser.add_argument("--tables", action="store_true", help="write UnicodeTables.swift instead")
    args = parser.parse_args()
    if args.tables:
        make_tables()
    else:
        make_cases(args.minilm)


if __name__ == "__main__":
    main()
