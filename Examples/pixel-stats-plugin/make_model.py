#!/usr/bin/env python3
"""Writes model/model.safetensors: the pixel_stats projection [32, 18], float32, drawn from a
fixed-seed SplitMix64 generator (standard normal via Box-Muller, scaled by 1/sqrt(18)) so the
file is reproducible byte for byte. Standard library only."""
import json
import math
import os
import struct

ROWS, FEATURES = 32, 18
MASK = (1 << 64) - 1


def splitmix(seed):
    state = seed
    while True:
        state = (state + 0x9E3779B97F4A7C15) & MASK
        z = state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
        yield z ^ (z >> 31)


def normals(seed):
    bits = splitmix(seed)
    while True:
        u1 = ((next(bits) >> 11) + 1) / float(1 << 53)
        u2 = (next(bits) >> 11) / float(1 << 53)
        radius = math.sqrt(-2.0 * math.log(u1))
        yield radius * math.cos(2 * math.pi * u2)
        yield radius * math.sin(2 * math.pi * u2)


def main():
    draw = normals(2024)
    values = [next(draw) / math.sqrt(FEATURES) for _ in range(ROWS * FEATURES)]
    data = struct.pack("<%df" % len(values), *values)
    header = {
        "__metadata__": {"format": "pt", "generator": "make_model.py, seed 2024"},
        "projection": {"dtype": "F32", "shape": [ROWS, FEATURES], "data_offsets": [0, len(data)]},
    }
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "model", "model.safetensors")
    with open(out, "wb") as file:
        file.write(struct.pack("<Q", len(text)) + text + data)
    print("wrote", out, len(data), "bytes of weights")


if __name__ == "__main__":
    main()
