#!/usr/bin/env python3
"""Check that safetensors files load with Python's `safetensors` package.

    python3 scripts/check_safetensors.py FILE [FILE ...] [--values N]

For each file: open it with safetensors (numpy framework), print the
__metadata__ and every tensor's name, dtype and shape, and read every tensor.
numpy has no bfloat16, so BF16 tensors are read through torch when it is
installed, or else widened to float32 from the raw bytes by hand after
safetensors has validated the header. Exit status 1 if any file fails.
"""

from __future__ import annotations

import argparse
import sys

import numpy as np
from safetensors import safe_open


def read_bf16(path: str, name: str) -> np.ndarray:
    try:
        import torch  # noqa: F401

        with safe_open(path, framework="pt") as f:
            return f.get_tensor(name).float().numpy()
    except ImportError:
        pass
    import json
    import struct

    with open(path, "rb") as fh:
        n = struct.unpack("<Q", fh.read(8))[0]
        header = json.loads(fh.read(n))
        info = header[name]
        start, end = info["data_offsets"]
        fh.seek(8 + n + start)
        raw = np.frombuffer(fh.read(end - start), dtype="<u2")
    return (raw.astype(np.uint32) << 16).view(np.float32).reshape(info["shape"])


def check(path: str, show: int) -> bool:
    try:
        with safe_open(path, framework="numpy") as f:
            meta = f.metadata()
            names = list(f.keys())
            print(f"{path}: {len(names)} tensor(s), metadata {meta if meta is not None else '-'}")
            for name in names:
                sl = f.get_slice(name)
                dtype, shape = sl.get_dtype(), list(sl.get_shape())
                if dtype == "BF16":
                    arr = read_bf16(path, name)
                else:
                    arr = f.get_tensor(name)
                if list(arr.shape) != shape:
                    raise ValueError(f"{name}: loaded shape {list(arr.shape)} != header shape {shape}")
                line = f"  {name}  {dtype}  {shape}"
                if show and arr.size:
                    flat = arr.reshape(-1)[:show].tolist()
                    line += f"  {flat}{' ...' if arr.size > show else ''}"
                print(line)
        return True
    except Exception as exc:  # noqa: BLE001 - report any failure to load
        print(f"{path}: FAILED: {type(exc).__name__}: {exc}", file=sys.stderr)
        return False


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("files", nargs="+", metavar="FILE")
    ap.add_argument("--values", type=int, default=0, metavar="N", help="also print the first N values")
    args = ap.parse_args()
    ok = [check(p, args.values) for p in args.files]
    failed = ok.count(False)
    if failed:
        print(f"{failed} of {len(ok)} file(s) failed to load", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
