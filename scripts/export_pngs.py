#!/usr/bin/env python3
"""Writes images of an IDX dataset (Fashion-MNIST, MNIST) as 8-bit grayscale PNG files.

Standard library only (gzip, zlib, struct), so it runs wherever python3 does. Used by the
README's `zoo classify` / `zoo search` walkthrough and by the tests of `zoo encode PAIR`.

  python3 scripts/export_pngs.py --idx /usr/share/datasets/fashion-mnist --split t10k \
      --count 8 --out /tmp/fm-png [--classnames data/fashion-mnist/classnames.txt] \
      [--layout flat|imagefolder] [--first N]

flat: OUT/NNNNN-CLASS.png (the class in the name, spaces as '-'); imagefolder: OUT/CLASS/NNNNN.png.
NNNNN is the item's index in the split.
"""
import argparse
import gzip
import os
import struct
import sys
import zlib


def read_idx(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    zero, dtype, dims = struct.unpack(">HBB", data[:4])
    if zero != 0 or dtype != 0x08:
        sys.exit(f"{path}: not an unsigned-byte IDX file")
    shape = struct.unpack(">" + "I" * dims, data[4:4 + 4 * dims])
    return shape, data[4 + 4 * dims:]


def png(width, height, pixels):
    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)
    rows = b"".join(b"\x00" + pixels[y * width:(y + 1) * width] for y in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows, 9)) + chunk(b"IEND", b"")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--idx", required=True, help="folder with SPLIT-images-idx3-ubyte[.gz] and SPLIT-labels-idx1-ubyte[.gz]")
    parser.add_argument("--split", default="t10k")
    parser.add_argument("--count", type=int, default=8)
    parser.add_argument("--first", type=int, default=0)
    parser.add_argument("--out", required=True)
    parser.add_argument("--classnames")
    parser.add_argument("--layout", choices=["flat", "imagefolder"], default="flat")
    args = parser.parse_args()

    def find(stem):
        for name in (stem, stem + ".gz"):
            path = os.path.join(args.idx, name)
            if os.path.exists(path):
                return path
        sys.exit(f"{args.idx}: {stem}[.gz] is missing")

    (count, height, width), images = read_idx(find(f"{args.split}-images-idx3-ubyte"))
    (_,), labels = read_idx(find(f"{args.split}-labels-idx1-ubyte"))
    names = None
    if args.classnames:
        with open(args.classnames, encoding="utf-8") as f:
            names = [line.strip() for line in f if line.strip()]
    end = min(count, args.first + args.count)
    for index in range(args.first, end):
        label = labels[index]
        cls = (names[label] if names else str(label)).replace(" ", "-")
        if args.layout == "flat":
            path = os.path.join(args.out, f"{index:05d}-{cls}.png")
        else:
            path = os.path.join(args.out, cls, f"{index:05d}.png")
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(png(width, height, images[index * width * height:(index + 1) * width * height]))
    print(f"wrote {end - args.first} PNG files to {args.out}")


if __name__ == "__main__":
    main()
