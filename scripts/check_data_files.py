#!/usr/bin/env python3
"""Checks the class-name and prompt-template files under data/.

For every dataset folder listed in EXPECTED:
  * classnames.txt has exactly the expected number of lines, none empty, none
    duplicated, none with leading/trailing spaces, underscores or a `{c}`;
  * templates.txt has 8-20 lines (10-16 for fashion-mnist), none empty or duplicated,
    each containing `{c}` exactly once and no other braces;
  * every file is UTF-8 and ends with a newline.
For fashion-mnist, no evaluation template may equal a training caption template
(data/fashion-mnist/caption_templates.txt).

Usage: python3 scripts/check_data_files.py [DATA_DIR]   (default: data/ next to scripts/)
Exits 0 when everything holds, 1 otherwise, listing every problem found.
"""

import sys
from pathlib import Path

# dataset folder -> number of classes
EXPECTED = {
    "imagenet1k": 1000,
    "cifar10": 10,
    "cifar100": 100,
    "caltech101": 101,
    "oxford_pets": 37,
    "stanford_cars": 196,
    "flowers102": 102,
    "food101": 101,
    "fgvc_aircraft": 100,
    "sun397": 397,
    "dtd": 47,
    "eurosat": 10,
    "fashion-mnist": 10,
}

TEMPLATE_RANGE = {"fashion-mnist": (10, 16)}
DEFAULT_TEMPLATE_RANGE = (8, 20)


def read_lines(path: Path, problems: list) -> list:
    """The file's lines without their newlines; records problems with the file as a whole."""
    if not path.is_file():
        problems.append(f"{path}: missing")
        return []
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        problems.append(f"{path}: not UTF-8 ({error})")
        return []
    if text and not text.endswith("\n"):
        problems.append(f"{path}: does not end with a newline")
    if "\r" in text:
        problems.append(f"{path}: has carriage returns")
    return text.split("\n")[:-1] if text.endswith("\n") else text.split("\n")


def check_common(path: Path, lines: list, problems: list) -> None:
    """No empty lines, no surrounding whitespace, no duplicates."""
    seen = {}
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            problems.append(f"{path}:{number}: empty line")
            continue
        if line != line.strip():
            problems.append(f"{path}:{number}: leading or trailing whitespace")
        if line in seen:
            problems.append(f"{path}:{number}: duplicate of line {seen[line]}: {line!r}")
        else:
            seen[line] = number


def check_dataset(root: Path, name: str, classes: int, problems: list) -> tuple:
    folder = root / name
    names_path = folder / "classnames.txt"
    names = read_lines(names_path, problems)
    if names and len(names) != classes:
        problems.append(f"{names_path}: {len(names)} lines, expected {classes}")
    check_common(names_path, names, problems)
    for number, line in enumerate(names, start=1):
        if "_" in line:
            problems.append(f"{names_path}:{number}: underscore in class name {line!r}")
        if "{" in line or "}" in line:
            problems.append(f"{names_path}:{number}: brace in class name {line!r}")

    templates_path = folder / "templates.txt"
    templates = read_lines(templates_path, problems)
    low, high = TEMPLATE_RANGE.get(name, DEFAULT_TEMPLATE_RANGE)
    if templates and not low <= len(templates) <= high:
        problems.append(f"{templates_path}: {len(templates)} templates, expected {low}-{high}")
    check_common(templates_path, templates, problems)
    for number, line in enumerate(templates, start=1):
        count = line.count("{c}")
        if count != 1:
            problems.append(f"{templates_path}:{number}: {{c}} appears {count} times: {line!r}")
        elif line.replace("{c}", "").count("{") or line.replace("{c}", "").count("}"):
            problems.append(f"{templates_path}:{number}: stray brace: {line!r}")
    return len(names), len(templates)


def check_fashion_disjoint(root: Path, problems: list) -> None:
    captions_path = root / "fashion-mnist" / "caption_templates.txt"
    captions = set(read_lines(captions_path, problems))
    templates_path = root / "fashion-mnist" / "templates.txt"
    for number, line in enumerate(read_lines(templates_path, []), start=1):
        if line in captions:
            problems.append(f"{templates_path}:{number}: also a training caption template: {line!r}")


def main(argv: list) -> int:
    root = Path(argv[1]) if len(argv) > 1 else Path(__file__).resolve().parent.parent / "data"
    problems = []
    results = []
    for name, classes in EXPECTED.items():
        before = len(problems)
        class_count, template_count = check_dataset(root, name, classes, problems)
        ok = len(problems) == before
        results.append(ok)
        print(f"{name:14} {class_count:5} classes {template_count:3} templates  {'ok' if ok else 'FAILED'}")
    before = len(problems)
    check_fashion_disjoint(root, problems)
    ok = len(problems) == before
    results.append(ok)
    print(f"{'fashion-mnist':14} eval templates disjoint from caption templates  {'ok' if ok else 'FAILED'}")
    for problem in problems:
        print("problem:", problem, file=sys.stderr)
    print(f"{results.count(True)} passed, {results.count(False)} failed")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
