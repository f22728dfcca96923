#!/usr/bin/env python3
"""Generate the vision reference fixtures under Tests/Fixtures/vision/.

Python is only used here, never at zoo's run time. The script

  a. builds three tiny random-initialised DINOv2 models (models/dinov2-tiny,
     models/dinov2-swiglu, models/dinov2-registers) with every parameter
     randomised (layer-scale, LayerNorm, CLS / mask / register tokens too) and
     saves them with `save_pretrained` plus the `preprocessor_config.json`
     that facebook/dinov2-* uses;
  b. writes reference outputs for each model (reference/<model>.safetensors)
     for the inputs in reference/inputs.safetensors;
  c. derives a set of image files from real photos shipped by scikit-learn
     and scikit-image (images/), and writes the Hugging Face image
     processor's output and the intermediate PIL resize for each
     (reference/preprocess.safetensors);
  d. cross-checks everything it writes (an independent NumPy version of PIL's
     bicubic resize and of PyTorch's bicubic interpolation, reloading the
     saved models and processors) and writes Tests/Fixtures/vision/README.md.

Everything is seeded and runs single-threaded, so two runs give identical
bytes with the same package versions. Regenerate with (repository root):

    pip install -r scripts/requirements-vision-fixtures.txt
    python3 scripts/make_vision_fixtures.py
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import json
import os
import platform
import shutil
import struct
import sys
import zlib
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")

import numpy as np  # noqa: E402
import PIL  # noqa: E402
import safetensors  # noqa: E402
import torch  # noqa: E402
import transformers  # noqa: E402
from PIL import Image, ImageOps, features  # noqa: E402
from safetensors import safe_open  # noqa: E402
from transformers import (  # noqa: E402
    AutoImageProcessor,
    AutoModel,
    BitImageProcessorPil,
    Dinov2Config,
    Dinov2Model,
    Dinov2WithRegistersConfig,
    Dinov2WithRegistersModel,
)
from transformers.image_transforms import get_resize_output_image_size  # noqa: E402
from transformers.image_utils import ChannelDimension, PILImageResampling, load_image  # noqa: E402

torch.set_num_threads(1)
torch.use_deterministic_algorithms(True)

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUT = ROOT / "Tests" / "Fixtures" / "vision"
SEED = 20240917

# The preprocessing facebook/dinov2-* ships (BitImageProcessor).
IMAGE_MEAN = [0.485, 0.456, 0.406]
IMAGE_STD = [0.229, 0.224, 0.225]
SHORTEST_EDGE = 256
CROP = 224
PROCESSOR_KWARGS = dict(
    do_resize=True,
    size={"shortest_edge": SHORTEST_EDGE},
    resample=PILImageResampling.BICUBIC,
    do_center_crop=True,
    crop_size={"height": CROP, "width": CROP},
    do_rescale=True,
    rescale_factor=1 / 255,
    do_normalize=True,
    image_mean=IMAGE_MEAN,
    image_std=IMAGE_STD,
    do_convert_rgb=True,
)

# Tiny models. image_size 238 = 17 x 17 patches of 14: the stored position
# grid is 17 x 17, so the 224 x 224 input (16 x 16) and the 168 x 252 input
# (12 x 18: fewer rows, more columns) both interpolate, shrinking and
# stretching.
HIDDEN = 48
LAYERS = 2
HEADS = 3
MLP_RATIO = 2
PATCH = 14
IMAGE_SIZE = 238
LAYERSCALE = 0.3
REGISTERS = 4

MODELS = {
    "dinov2-tiny": dict(cls="Dinov2Model", swiglu=False, registers=0),
    "dinov2-swiglu": dict(cls="Dinov2Model", swiglu=True, registers=0),
    "dinov2-registers": dict(cls="Dinov2WithRegistersModel", swiglu=False, registers=REGISTERS),
}

# Model inputs: two real photos through the processor (224 x 224) and a
# non-square random-normal batch.
PIXELS_224_FROM = ["china.jpg", "coffee.webp"]
NONSQUARE = (168, 252)


# --------------------------------------------------------------------------
# deterministic safetensors writer
# --------------------------------------------------------------------------

_ST_DTYPES = {
    np.dtype("float32"): "F32",
    np.dtype("float64"): "F64",
    np.dtype("uint8"): "U8",
    np.dtype("int64"): "I64",
    np.dtype("int32"): "I32",
}


def write_safetensors(path: Path, tensors: dict[str, np.ndarray], metadata: dict[str, str]) -> None:
    """Write a safetensors file with tensors and metadata keys in sorted order.

    Little-endian, C-contiguous data; the JSON header is padded with spaces to a
    multiple of 8 bytes. Written here rather than with the safetensors package so
    that the header bytes never depend on hash-map order.
    """
    header: dict[str, object] = {"__metadata__": {k: metadata[k] for k in sorted(metadata)}}
    blobs = []
    offset = 0
    for name in sorted(tensors):
        arr = np.ascontiguousarray(tensors[name])
        dtype = _ST_DTYPES[arr.dtype]
        data = arr.astype(arr.dtype.newbyteorder("<"), copy=False).tobytes()
        header[name] = {"dtype": dtype, "shape": list(arr.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    hjson = json.dumps(header, separators=(",", ":"), ensure_ascii=True).encode("utf-8")
    hjson += b" " * ((-len(hjson)) % 8)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(hjson)))
        f.write(hjson)
        for b in blobs:
            f.write(b)


def read_safetensors(path: Path) -> dict[str, np.ndarray]:
    out = {}
    with safe_open(str(path), "np") as f:
        for k in f.keys():
            out[k] = f.get_tensor(k)
    return out


def jpeg_layout(path: Path) -> str:
    """Marker list and per-component sampling factors of a JPEG, e.g. 'APP0 ... SOF0 Y2x2 Cb1x1 Cr1x1'."""
    d = path.read_bytes()
    names = {0xC0: "SOF0", 0xC1: "SOF1", 0xC2: "SOF2", 0xC4: "DHT", 0xDB: "DQT", 0xDD: "DRI", 0xDA: "SOS",
             0xFE: "COM"}
    parts, i = [], 2
    while i + 4 <= len(d):
        m = d[i + 1]
        n = int.from_bytes(d[i + 2:i + 4], "big")
        name = names.get(m, f"APP{m - 0xE0}" if 0xE0 <= m <= 0xEF else hex(m))
        if m in (0xC0, 0xC1, 0xC2):
            nc = d[i + 9]
            comps = []
            for c in range(nc):
                cid, hv = d[i + 10 + 3 * c], d[i + 11 + 3 * c]
                label = chr(cid) if 32 < cid < 127 else str(cid)
                comps.append(f"{label}:{hv >> 4}x{hv & 15}")
            name += "(" + " ".join(comps) + ")"
        if not parts or parts[-1] != name:
            parts.append(name)
        if m == 0xDA:
            break
        i += 2 + n
    return " ".join(parts)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# --------------------------------------------------------------------------
# source photos
# --------------------------------------------------------------------------


def package_dir(name: str) -> Path:
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        sys.exit(f"package {name} is not installed (see scripts/requirements-vision-fixtures.txt)")
    return Path(list(spec.submodule_search_locations)[0])


def source_paths() -> dict[str, Path]:
    sk = package_dir("sklearn") / "datasets" / "images"
    ski = package_dir("skimage") / "data"
    paths = {
        "china.jpg": sk / "china.jpg",
        "flower.jpg": sk / "flower.jpg",
        "sklearn-README.txt": sk / "README.txt",
        "chelsea.png": ski / "chelsea.png",
        "camera.png": ski / "camera.png",
        "astronaut.png": ski / "astronaut.png",
        "coffee.png": ski / "coffee.png",
        "rocket.jpg": ski / "rocket.jpg",
    }
    for k, p in paths.items():
        if not p.is_file():
            sys.exit(f"missing source file {p} ({k})")
    return paths


def blur3(a: np.ndarray) -> np.ndarray:
    """Separable [1, 2, 1] / 4 blur in float64 with edge replication (per channel)."""
    a = a.astype(np.float64)
    p = np.pad(a, ((1, 1), (0, 0), (0, 0)), mode="edge")
    a = (p[:-2] + 2 * p[1:-1] + p[2:]) / 4
    p = np.pad(a, ((0, 0), (1, 1), (0, 0)), mode="edge")
    return (p[:, :-2] + 2 * p[:, 1:-1] + p[:, 2:]) / 4


def png_chunk(tag: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)


def write_png_rgb16(path: Path, a: np.ndarray) -> None:
    """16-bit RGB PNG (colour type 2, depth 16), filter 0 on every row; PIL cannot write this."""
    assert a.dtype == np.uint16 and a.ndim == 3 and a.shape[2] == 3
    h, w, _ = a.shape
    be = a.astype(">u2")
    raw = b"".join(b"\x00" + be[y].tobytes() for y in range(h))
    data = b"\x89PNG\r\n\x1a\n"
    data += png_chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 16, 2, 0, 0, 0))
    data += png_chunk(b"IDAT", zlib.compress(raw, 9))
    data += png_chunk(b"IEND", b"")
    path.write_bytes(data)


def make_images(img_dir: Path, src: dict[str, Path]) -> list[dict]:
    """Derive the test images from the real photos; returns one record per file."""
    img_dir.mkdir(parents=True, exist_ok=True)
    records = []

    # 1. Plain baseline JPEG (4:2:0, quality 90): crop of sklearn's china.jpg.
    im = Image.open(src["china.jpg"]).convert("RGB").crop((120, 60, 520, 360))  # 400 x 300
    p = img_dir / "china.jpg"
    im.save(p, "JPEG", quality=90)
    records.append(dict(file=p.name, source="scikit-learn china.jpg", derivation=(
        "crop (left 120, top 60, right 520, bottom 360) -> 400 x 300, saved by PIL as baseline JPEG, "
        "quality 90, 4:2:0 chroma subsampling, no ICC profile")))

    # 2. JPEG with EXIF Orientation = 6: pixels stored rotated 90 deg counter-clockwise, so a
    #    viewer (and ImageOps.exif_transpose) rotates them 90 deg clockwise back to upright.
    upright = Image.open(src["flower.jpg"]).convert("RGB").crop((200, 20, 470, 410))  # 270 x 390 portrait
    stored = upright.transpose(Image.Transpose.ROTATE_90)  # 390 x 270 landscape in the file
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: rotate 90 CW to display
    p = img_dir / "flower_exif6.jpg"
    stored.save(p, "JPEG", quality=90, exif=exif.tobytes())
    records.append(dict(file=p.name, source="scikit-learn flower.jpg", derivation=(
        "upright crop (200, 20, 470, 410) -> 270 wide x 390 tall; stored rotated 90 deg counter-clockwise "
        "(file pixels 390 x 270) with EXIF Orientation = 6, quality 90")))

    # 3. CMYK JPEG with a real black channel (grey-component replacement), so the K
    #    term of the CMYK -> RGB formula matters. PIL writes Adobe-inverted CMYK.
    rgb = np.asarray(Image.open(src["chelsea.png"]).convert("RGB")).astype(np.int32)  # 300 x 451
    cmy = 255 - rgb
    k = (cmy.min(axis=2) * 3) // 4
    cmyk = np.concatenate([cmy - k[..., None], k[..., None]], axis=2).astype(np.uint8)
    im = Image.frombytes("CMYK", (cmyk.shape[1], cmyk.shape[0]), cmyk.tobytes())
    p = img_dir / "chelsea_cmyk.jpg"
    im.save(p, "JPEG", quality=90)
    records.append(dict(file=p.name, source="scikit-image chelsea.png", derivation=(
        "full 451 x 300; C,M,Y = 255 - R,G,B, then K = floor(3/4 * min(C,M,Y)) removed from C, M, Y; "
        "saved by PIL as a 4-component CMYK JPEG, quality 90 (Adobe APP14 marker, inverted values)")))

    # 4. Greyscale 8-bit PNG, smaller than 256 on both sides (upscaling path).
    im = Image.open(src["camera.png"]).convert("L").crop((150, 60, 350, 300))  # 200 x 240
    p = img_dir / "camera_gray.png"
    im.save(p, "PNG")
    records.append(dict(file=p.name, source="scikit-image camera.png", derivation=(
        "crop (150, 60, 350, 300) -> 200 x 240, mode L (8-bit greyscale PNG)")))

    # 5. RGBA PNG with a varying alpha (radial fade plus a fully transparent band
    #    whose colour values are kept), upscaling path.
    rgb = np.asarray(Image.open(src["astronaut.png"]).convert("RGB").crop((150, 20, 370, 280)))  # 220 x 260
    h, w = rgb.shape[:2]
    yy, xx = np.mgrid[0:h, 0:w]
    r = np.hypot((yy - h / 2) / (h / 2), (xx - w / 2) / (w / 2))
    alpha = np.clip(np.round(255 * (1.25 - r)), 0, 255).astype(np.uint8)
    alpha[:, 20:40] = 0
    alpha[200:215, :] = 128
    rgba = np.concatenate([rgb, alpha[..., None]], axis=2)
    im = Image.frombytes("RGBA", (w, h), np.ascontiguousarray(rgba).tobytes())
    p = img_dir / "astronaut_rgba.png"
    im.save(p, "PNG")
    records.append(dict(file=p.name, source="scikit-image astronaut.png", derivation=(
        "crop (150, 20, 370, 280) -> 220 x 260 RGB plus an alpha channel: radial fade "
        "round(255 * (1.25 - r)) clipped, columns 20..39 alpha 0 (colour kept), rows 200..214 alpha 128")))

    # 6. Lossy WebP.
    im = Image.open(src["coffee.png"]).convert("RGB").crop((90, 50, 510, 350))  # 420 x 300
    p = img_dir / "coffee.webp"
    im.save(p, "WEBP", quality=90, method=6)
    records.append(dict(file=p.name, source="scikit-image coffee.png", derivation=(
        "crop (90, 50, 510, 350) -> 420 x 300, saved by PIL/libwebp as lossy WebP, quality 90, method 6")))

    # 7. 16-bit RGB PNG: the 8-bit photo, lightly blurred in float and scaled by 257, so the
    #    low byte carries real information (PIL keeps only the high byte).
    rgb = np.asarray(Image.open(src["rocket.jpg"]).convert("RGB").crop((200, 130, 440, 310)))  # 240 x 180
    v = np.clip(np.round(blur3(rgb) * 257.0), 0, 65535).astype(np.uint16)
    p = img_dir / "rocket_rgb16.png"
    write_png_rgb16(p, v)
    records.append(dict(file=p.name, source="scikit-image rocket.jpg", derivation=(
        "crop (200, 130, 440, 310) -> 240 x 180, [1 2 1]/4 separable blur in float64, "
        "round(x * 257) -> 16-bit RGB PNG (colour type 2, bit depth 16, written by this script)")))

    return records


# --------------------------------------------------------------------------
# independent NumPy models of the reference operations (cross-checks only)
# --------------------------------------------------------------------------


def _bicubic(x: np.ndarray, a: float) -> np.ndarray:
    x = np.abs(x)
    return np.where(
        x < 1.0,
        ((a + 2.0) * x - (a + 3.0)) * x * x + 1.0,
        np.where(x < 2.0, (((x - 5.0) * x + 8.0) * x - 4.0) * a, 0.0),
    )


def support_scaled_weights(in_size: int, out_size: int, a: float = -0.5) -> np.ndarray:
    """Dense [out, in] weight matrix of PIL's (and PyTorch's antialias) resampling.

    scale = in/out; filterscale = max(scale, 1); support = 2 * filterscale;
    for output i: center = (i + 0.5) * scale, taps j in
    [max(trunc(center - support + 0.5), 0), min(trunc(center + support + 0.5), in)),
    weight = cubic((j - center + 0.5) / filterscale), then divided by the sum.
    """
    scale = in_size / out_size
    fs = max(scale, 1.0)
    support = 2.0 * fs
    w = np.zeros((out_size, in_size), dtype=np.float64)
    for i in range(out_size):
        center = (i + 0.5) * scale
        lo = max(int(center - support + 0.5), 0)
        hi = min(int(center + support + 0.5), in_size)
        j = np.arange(lo, hi)
        k = _bicubic((j - center + 0.5) / fs, a)
        s = k.sum()
        w[i, lo:hi] = k / s if s != 0.0 else k
    return w


def pil_bicubic_resize_u8(img: np.ndarray, out_h: int, out_w: int) -> np.ndarray:
    """PIL's 8-bit BICUBIC resize (horizontal pass, round to uint8, vertical pass)."""
    prec = 22  # PRECISION_BITS = 32 - 8 - 2

    def fixed(w: np.ndarray) -> np.ndarray:
        s = w * (1 << prec)
        return np.where(s < 0, np.trunc(s - 0.5), np.trunc(s + 0.5)).astype(np.int64)

    def apply(x: np.ndarray, wq: np.ndarray, axis: int) -> np.ndarray:
        x = np.moveaxis(x.astype(np.int64), axis, -1)
        acc = x @ wq.T + (1 << (prec - 1))
        out = np.clip(acc >> prec, 0, 255).astype(np.uint8)
        return np.moveaxis(out, -1, axis)

    h, w = img.shape[:2]
    out = img
    if out_w != w:
        out = apply(out, fixed(support_scaled_weights(w, out_w)), 1)
    if out_h != h:
        out = apply(out, fixed(support_scaled_weights(h, out_h)), 0)
    return out


def torch_bicubic_weights(in_size: int, out_size: int, a: float = -0.75) -> np.ndarray:
    """Dense [out, in] weights of torch bicubic, align_corners=False, antialias=False, size given."""
    scale = in_size / out_size
    w = np.zeros((out_size, in_size), dtype=np.float64)
    for i in range(out_size):
        src = (i + 0.5) * scale - 0.5  # not clamped for cubic
        i0 = int(np.floor(src))
        t = src - i0
        taps = [_bicubic(np.array(t + 1.0), a), _bicubic(np.array(t), a), _bicubic(np.array(1.0 - t), a),
                _bicubic(np.array(2.0 - t), a)]
        for n, tw in enumerate(taps):
            j = min(max(i0 - 1 + n, 0), in_size - 1)  # border replicate
            w[i, j] += float(tw)
    return w


def interp_pos_numpy(grid: np.ndarray, out_h: int, out_w: int, antialias: bool) -> np.ndarray:
    """grid [S, S, D] float64 -> [out_h, out_w, D] the way transformers 5.24 interpolates."""
    if antialias:
        wh = support_scaled_weights(grid.shape[0], out_h, a=-0.5)
        ww = support_scaled_weights(grid.shape[1], out_w, a=-0.5)
    else:
        wh = torch_bicubic_weights(grid.shape[0], out_h)
        ww = torch_bicubic_weights(grid.shape[1], out_w)
    return np.einsum("ys,xt,std->yxd", wh, ww, grid)


# --------------------------------------------------------------------------
# models
# --------------------------------------------------------------------------


def build_model(name: str, spec: dict, seed: int):
    common = dict(
        hidden_size=HIDDEN,
        num_hidden_layers=LAYERS,
        num_attention_heads=HEADS,
        mlp_ratio=MLP_RATIO,
        patch_size=PATCH,
        image_size=IMAGE_SIZE,
        num_channels=3,
        layerscale_value=LAYERSCALE,
        use_swiglu_ffn=spec["swiglu"],
        hidden_act="gelu",
        layer_norm_eps=1e-6,
        qkv_bias=True,
        hidden_dropout_prob=0.0,
        attention_probs_dropout_prob=0.0,
        drop_path_rate=0.0,
    )
    torch.manual_seed(seed)
    if spec["cls"] == "Dinov2WithRegistersModel":
        cfg = Dinov2WithRegistersConfig(num_register_tokens=spec["registers"], **common)
        model = Dinov2WithRegistersModel(cfg)
    else:
        cfg = Dinov2Config(**common)
        model = Dinov2Model(cfg)
    model.set_attn_implementation("eager")

    # Randomise every parameter so that no default (ones, zeros, a constant
    # layer-scale) can hide a bug.
    g = torch.Generator().manual_seed(seed + 1)
    with torch.no_grad():
        for pname, p in sorted(model.named_parameters()):
            shape = p.shape
            if pname.endswith("lambda1"):
                val = LAYERSCALE * (1.0 + 0.6 * (torch.rand(shape, generator=g) * 2 - 1))
            elif ".norm" in pname or pname.startswith("layernorm"):
                val = 1.0 + 0.3 * torch.randn(shape, generator=g) if pname.endswith("weight") \
                    else 0.2 * torch.randn(shape, generator=g)
            elif pname.endswith("cls_token") or pname.endswith("mask_token") or pname.endswith("register_tokens"):
                val = torch.randn(shape, generator=g)
            elif pname.endswith("position_embeddings"):
                val = 0.8 * torch.randn(shape, generator=g)
            elif pname.endswith("weight"):  # Linear and the patch Conv2d
                fan_in = int(np.prod(shape[1:]))
                val = torch.randn(shape, generator=g) * (1.3 / fan_in ** 0.5)
            elif pname.endswith("bias"):
                val = 0.1 * torch.randn(shape, generator=g)
            else:
                raise RuntimeError(f"unhandled parameter {pname}")
            p.copy_(val.to(p.dtype))
    model.eval()
    return model


def run_model(model, pixels: np.ndarray) -> dict[str, np.ndarray]:
    with torch.no_grad():
        out = model(pixel_values=torch.from_numpy(pixels))
    return dict(
        tokens=out.last_hidden_state.numpy().copy(),
        pooled=out.pooler_output.numpy().copy(),
    )


def pos_embed_for(model, h: int, w: int) -> np.ndarray:
    emb = model.embeddings
    n = (h // PATCH) * (w // PATCH)
    dummy = torch.zeros(1, 1 + n, HIDDEN)
    with torch.no_grad():
        return emb.interpolate_pos_encoding(dummy, h, w).numpy().copy()


# --------------------------------------------------------------------------
# main
# --------------------------------------------------------------------------


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output folder (default Tests/Fixtures/vision)")
    args = ap.parse_args()
    out: Path = args.out

    if out.exists():
        shutil.rmtree(out)
    (out / "reference").mkdir(parents=True)
    src = source_paths()

    # ---- c. images + preprocessing references --------------------------------
    records = make_images(out / "images", src)
    proc = BitImageProcessorPil(**PROCESSOR_KWARGS)
    mean32 = np.array(IMAGE_MEAN, dtype=np.float32)
    std32 = np.array(IMAGE_STD, dtype=np.float32)
    pre: dict[str, np.ndarray] = {}
    pre_meta = []
    for rec in records:
        path = out / "images" / rec["file"]
        raw = Image.open(path)
        rec["file_mode"] = raw.mode
        rec["file_size_wh"] = list(raw.size)
        rec["exif_orientation"] = int(raw.getexif().get(0x0112, 1))
        rec["sha256"] = sha256(path)
        rec["bytes"] = path.stat().st_size
        if path.suffix == ".jpg":
            rec["adobe_app14_transform"] = raw.info.get("adobe_transform")
            rec["jpeg"] = jpeg_layout(path)

        # Reference route: the path goes to the processor, which loads it with
        # transformers.image_utils.load_image (exif_transpose, then convert("RGB")).
        pv = proc(str(path), return_tensors="np")["pixel_values"]
        assert pv.shape == (1, 3, CROP, CROP) and pv.dtype == np.float32, pv.shape

        # Rebuild the same numbers step by step and check they are bit-identical.
        img = load_image(str(path))
        ref_img = ImageOps.exif_transpose(Image.open(path)).convert("RGB")
        decoded = np.asarray(img)
        assert np.array_equal(decoded, np.asarray(ref_img))
        h, w = decoded.shape[:2]
        nh, nw = get_resize_output_image_size(decoded, SHORTEST_EDGE, default_to_square=False,
                                              input_data_format=ChannelDimension.LAST)
        short, long_ = (w, h) if w <= h else (h, w)
        want_long = int(SHORTEST_EDGE * long_ / short)
        assert (nh, nw) == ((want_long, SHORTEST_EDGE) if w <= h else (SHORTEST_EDGE, want_long))
        resized = np.asarray(img.resize((nw, nh), resample=Image.Resampling.BICUBIC))
        mine = pil_bicubic_resize_u8(decoded, nh, nw)
        assert np.array_equal(resized, mine), f"NumPy PIL-resize model differs for {path.name}"
        top, left = (nh - CROP) // 2, (nw - CROP) // 2
        crop = resized[top:top + CROP, left:left + CROP]
        x = (crop.astype(np.float64) * (1 / 255)).astype(np.float32)
        x = ((x - mean32) / std32).transpose(2, 0, 1)[None]
        assert np.array_equal(x, pv), f"step-by-step pixel_values differ for {path.name}"

        # The other route: an opened PIL image handed to the processor
        # (no EXIF rotation; alpha / transparency composited onto white).
        pv_open = proc(Image.open(path), return_tensors="np")["pixel_values"]
        raw = Image.open(path)
        same = pv_open.shape == pv.shape and np.array_equal(pv_open, pv)
        rec["pil_open_route_identical"] = bool(same)
        if raw.mode == "RGBA":
            # Check the documented alternative: alpha composited onto white.
            bg = Image.new("RGBA", raw.size, (255, 255, 255, 255))
            comp = Image.alpha_composite(bg, raw.convert("RGBA")).convert("RGB")
            comp_resized = np.asarray(comp.resize((nw, nh), resample=Image.Resampling.BICUBIC))
            ccrop = comp_resized[top:top + CROP, left:left + CROP]
            cx = (ccrop.astype(np.float64) * (1 / 255)).astype(np.float32)
            cx = ((cx - mean32) / std32).transpose(2, 0, 1)[None]
            assert np.array_equal(cx, pv_open)
            rec["pil_open_route_max_abs_diff"] = float(np.abs(pv_open - pv).max())

        pre[rec["file"]] = pv
        pre[rec["file"] + ":resized"] = resized
        rec.update(decoded_hw=[h, w], resized_hw=[int(nh), int(nw)], crop_top_left=[int(top), int(left)],
                   resized_mean=float(resized.mean()))
        pre_meta.append(rec)

    preprocess_meta = {
        "transformers": transformers.__version__,
        "pillow": PIL.__version__,
        "processor": "BitImageProcessorPil (PIL backend), config as in models/*/preprocessor_config.json",
        "route": "processor(str(path)) -> transformers.image_utils.load_image: "
                 "ImageOps.exif_transpose, then Image.convert('RGB')",
        "keys": "<file>: pixel_values F32 [1,3,224,224]; <file>:resized: U8 [H,W,3] after the PIL "
                "bicubic resize, before crop/rescale/normalise",
        "images": pre_meta,
    }
    write_safetensors(out / "reference" / "preprocess.safetensors", pre,
                      {"format": "pt", "zoo": json.dumps(preprocess_meta, sort_keys=True)})

    # ---- inputs ---------------------------------------------------------------
    pixels_224 = np.concatenate([pre[f] for f in PIXELS_224_FROM], axis=0)
    rng = np.random.default_rng(SEED)
    pixels_ns = rng.standard_normal((1, 3) + NONSQUARE, dtype=np.float32)
    # pixels_224 is not stored again (size budget): it is preprocess.safetensors'
    # pixel_values of PIXELS_224_FROM concatenated along the batch axis.
    inputs = {"pixels_nonsquare": pixels_ns}
    write_safetensors(out / "reference" / "inputs.safetensors", inputs, {"format": "pt", "zoo": json.dumps({
        "pixels_224": f"not stored here: concatenate preprocess.safetensors [{PIXELS_224_FROM[0]}] "
                      f"and [{PIXELS_224_FROM[1]}] (each [1,3,224,224]) along axis 0",
        "pixels_nonsquare": f"numpy default_rng({SEED}).standard_normal((1,3,168,252), dtype=float32)",
    }, sort_keys=True)})

    # ---- a/b. models + reference outputs -----------------------------------------
    model_facts = {}
    for i, (name, spec) in enumerate(MODELS.items()):
        mdir = out / "models" / name
        model = build_model(name, spec, SEED + 100 * (i + 1))
        model.save_pretrained(mdir, safe_serialization=True)
        BitImageProcessorPil(**PROCESSOR_KWARGS).save_pretrained(mdir)

        r224 = run_model(model, pixels_224)
        rns = run_model(model, pixels_ns)
        nreg = spec["registers"]
        assert r224["tokens"].shape == (2, 1 + nreg + 256, HIDDEN)
        assert rns["tokens"].shape == (1, 1 + nreg + 12 * 18, HIDDEN)
        assert np.array_equal(r224["pooled"], r224["tokens"][:, 0])

        # float64 run of the same weights: tells how far float32 is from exact.
        m64 = build_model(name, spec, SEED + 100 * (i + 1)).double()
        with torch.no_grad():
            t64 = m64(pixel_values=torch.from_numpy(pixels_224).double()).last_hidden_state.numpy()
            n64 = m64(pixel_values=torch.from_numpy(pixels_ns).double()).last_hidden_state.numpy()
        d224 = float(np.abs(t64 - r224["tokens"]).max())
        dns = float(np.abs(n64 - rns["tokens"]).max())

        # Position embeddings as interpolated, and the NumPy model of the interpolation.
        pe224 = pos_embed_for(model, 224, 224)
        pens = pos_embed_for(model, *NONSQUARE)
        antialias = spec["cls"] == "Dinov2WithRegistersModel"
        stored = model.embeddings.position_embeddings.detach().numpy()[0]
        s = IMAGE_SIZE // PATCH
        grid = stored[1:].reshape(s, s, HIDDEN).astype(np.float64)
        pe_err = 0.0
        for pe, (gh, gw) in ((pe224, (16, 16)), (pens, (12, 18))):
            assert np.array_equal(pe[0, 0], stored[0])
            mine = interp_pos_numpy(grid, gh, gw, antialias).reshape(gh * gw, HIDDEN)
            pe_err = max(pe_err, float(np.abs(mine - pe[0, 1:]).max()))
        assert pe_err < 1e-5, (name, pe_err)
        # the opposite antialias setting must be clearly different (the test is meaningful)
        other = interp_pos_numpy(grid, 16, 16, not antialias).reshape(256, HIDDEN)
        assert float(np.abs(other - pe224[0, 1:]).max()) > 1e-2

        facts = {
            "model": name,
            "class": spec["cls"],
            "transformers": transformers.__version__,
            "torch": torch.__version__,
            "dtype": "float32",
            "attn_implementation": "eager",
            "registers": nreg,
            "stored_position_grid": [s, s],
            "grid_224": [16, 16],
            "grid_nonsquare": [12, 18],
            "pos_interpolation": (
                "torch.nn.functional.interpolate(mode='bicubic', align_corners=False, "
                f"antialias={antialias}, size=(H//14, W//14)) in float32"),
            "max_abs_diff_float32_vs_float64": {"tokens_224": d224, "tokens_nonsquare": dns},
            "numpy_pos_interp_max_abs_err": pe_err,
            "inputs": {"pixels_224": f"preprocess.safetensors [{PIXELS_224_FROM[0]}] ++ [{PIXELS_224_FROM[1]}]",
                       "pixels_nonsquare": "inputs.safetensors [pixels_nonsquare]"},
            "seed": SEED + 100 * (i + 1),
        }
        tensors = {
            "tokens_224": r224["tokens"],
            "pooled_224": r224["pooled"],
            "tokens_nonsquare": rns["tokens"],
            "pooled_nonsquare": rns["pooled"],
            "pos_embed_224": pe224,
            "pos_embed_nonsquare": pens,
        }
        write_safetensors(out / "reference" / f"{name}.safetensors", tensors,
                          {"format": "pt", "zoo": json.dumps(facts, sort_keys=True)})
        model_facts[name] = facts | {"parameters": int(sum(p.numel() for p in model.parameters()))}

    # ---- d. reload everything and check it reproduces ------------------------------
    pre_back = read_safetensors(out / "reference" / "preprocess.safetensors")
    inputs_back = read_safetensors(out / "reference" / "inputs.safetensors")
    inputs_back["pixels_224"] = np.concatenate([pre_back[f] for f in PIXELS_224_FROM], axis=0)
    assert np.array_equal(inputs_back["pixels_224"], pixels_224)
    reload_report = {}
    for name, spec in MODELS.items():
        mdir = out / "models" / name
        ref = read_safetensors(out / "reference" / f"{name}.safetensors")
        diffs = {}
        for impl in ("eager", "sdpa"):
            m = AutoModel.from_pretrained(mdir, attn_implementation=impl).eval()
            assert type(m).__name__ == spec["cls"], type(m)
            with torch.no_grad():
                a = m(pixel_values=torch.from_numpy(inputs_back["pixels_224"]))
                b = m(pixel_values=torch.from_numpy(inputs_back["pixels_nonsquare"]))
            diffs[impl] = max(float(np.abs(a.last_hidden_state.numpy() - ref["tokens_224"]).max()),
                              float(np.abs(a.pooler_output.numpy() - ref["pooled_224"]).max()),
                              float(np.abs(b.last_hidden_state.numpy() - ref["tokens_nonsquare"]).max()),
                              float(np.abs(b.pooler_output.numpy() - ref["pooled_nonsquare"]).max()))
        assert diffs["eager"] == 0.0, (name, diffs)
        assert diffs["sdpa"] < 1e-4, (name, diffs)
        # saved weights use the hub layout (what facebook/dinov2-* checkpoints hold)
        with safe_open(str(mdir / "model.safetensors"), "np") as f:
            keys = set(f.keys())
            assert "encoder.layer.0.attention.attention.query.weight" in keys
            assert all(f.get_tensor(k).dtype == np.float32 for k in keys)
            lam = f.get_tensor("encoder.layer.0.layer_scale1.lambda1")
            assert np.unique(lam).size == HIDDEN
        p = AutoImageProcessor.from_pretrained(mdir)
        assert p.backend == "pil", p
        for f_ in PIXELS_224_FROM:
            assert np.array_equal(p(str(out / "images" / f_), return_tensors="np")["pixel_values"], pre_back[f_])
        reload_report[name] = diffs
        model_facts[name]["reload_max_abs_diff"] = diffs
        model_facts[name]["weight_keys"] = sorted(keys)

    # ---- side checks on PIL conversions documented in the README ---------------------
    behaviour = conversion_facts()

    write_readme(out, src, pre_meta, model_facts, behaviour)
    print(json.dumps({"reload": reload_report, "files": {
        str(p.relative_to(out)): p.stat().st_size for p in sorted(out.rglob("*")) if p.is_file()}}, indent=1))
    total = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    print(f"total {total} bytes")


def conversion_facts() -> dict:
    """Small synthetic probes of PIL conversions, recorded in the README."""
    import io

    facts = {}
    a16 = np.array([[0, 200, 255, 256, 1000, 65535]], dtype=np.uint16)
    b = io.BytesIO()
    Image.fromarray(a16).save(b, "PNG")
    g16 = Image.open(io.BytesIO(b.getvalue()))
    facts["gray16_mode"] = g16.mode
    facts["gray16_in"] = a16[0].tolist()
    facts["gray16_to_rgb"] = np.asarray(g16.convert("RGB"))[0, :, 0].tolist()
    # CMYK -> RGB: R = (255-K) - round((255-K) * C / 255) via MULDIV255
    c = np.array([[[0, 0, 0, 0], [255, 0, 0, 0], [100, 50, 25, 0], [100, 50, 25, 128], [0, 0, 0, 255], [37, 200, 90, 64]]],
                 dtype=np.uint8)
    got = np.asarray(Image.frombytes("CMYK", (c.shape[1], 1), c.tobytes()).convert("RGB")).astype(np.int64)
    nk = 255 - c[..., 3:4].astype(np.int64)
    t = c[..., :3].astype(np.int64) * nk + 128
    want = np.clip(nk - (((t >> 8) + t) >> 8), 0, 255)
    assert np.array_equal(got, want)
    facts["cmyk_formula_checked"] = True
    # palette with a transparent index
    p = Image.new("P", (2, 1))
    p.putpalette([200, 10, 10, 10, 10, 200] + [0] * 762)
    p.putpixel((1, 0), 1)
    b = io.BytesIO()
    p.save(b, "PNG", transparency=1)
    pp = Image.open(io.BytesIO(b.getvalue()))
    facts["palette_convert_rgb"] = np.asarray(pp.convert("RGB"))[0].tolist()
    # 16-bit RGB PNG -> high byte
    v = np.array([[[0x1234, 0xFF80, 0x00FF], [0x8000, 0x7FFF, 0xFFFF]]], dtype=np.uint16)
    d = Path(os.environ.get("TMPDIR", "/tmp")) / f"zoo-vision-probe-{os.getpid()}.png"
    write_png_rgb16(d, v)
    im = Image.open(d)
    facts["rgb16_mode"] = im.mode
    facts["rgb16_in"] = v[0].tolist()
    facts["rgb16_out"] = np.asarray(im.convert("RGB"))[0].tolist()
    d.unlink()
    return facts


def write_readme(out: Path, src: dict[str, Path], images: list[dict], models: dict, beh: dict) -> None:
    files = sorted(p for p in out.rglob("*") if p.is_file())
    listing = "\n".join(f"| `{p.relative_to(out)}` | {p.stat().st_size} |" for p in files)
    total = sum(p.stat().st_size for p in files)
    img_rows = "\n".join(
        f"| `{r['file']}` | {r['file_mode']} {r['file_size_wh'][0]}x{r['file_size_wh'][1]}"
        f"{' (EXIF ' + str(r['exif_orientation']) + ')' if r['exif_orientation'] != 1 else ''} | "
        f"{r['decoded_hw'][0]}x{r['decoded_hw'][1]} | {r['resized_hw'][0]}x{r['resized_hw'][1]} | "
        f"{r['crop_top_left'][0]}, {r['crop_top_left'][1]} | "
        f"{'same' if r['pil_open_route_identical'] else 'differs'} | {r['source']} |"
        for r in images)
    derivations = "\n".join(f"* `{r['file']}`: {r['derivation']}." for r in images)
    jpeg_rows = "\n".join(f"* `{r['file']}`: {r['jpeg']}" for r in images if r.get("jpeg"))
    src_hashes = "\n".join(f"| {k} | `{sha256(p)}` |" for k, p in sorted(src.items()))
    model_rows = "\n".join(
        f"| {n} | {m['class']} | {m['registers']} | {m['parameters']} | "
        f"{m['max_abs_diff_float32_vs_float64']['tokens_224']:.2e} | "
        f"{m['max_abs_diff_float32_vs_float64']['tokens_nonsquare']:.2e} | "
        f"{m['reload_max_abs_diff']['sdpa']:.1e} |"
        for n, m in models.items())
    swiglu_hidden = (int(int(HIDDEN * MLP_RATIO) * 2 / 3) + 7) // 8 * 8
    text = README_TEMPLATE.format(
        python=platform.python_version(),
        torch=torch.__version__,
        transformers=transformers.__version__,
        numpy=np.__version__,
        safetensors=safetensors.__version__,
        pillow=PIL.__version__,
        jpeg=features.version("jpg"),
        webp=features.version("webp"),
        zlib=features.version("zlib"),
        sklearn=pkg_version("scikit-learn"),
        skimage=pkg_version("scikit-image"),
        seed=SEED,
        hidden=HIDDEN, layers=LAYERS, heads=HEADS, mlp=MLP_RATIO, patch=PATCH, image_size=IMAGE_SIZE,
        grid=IMAGE_SIZE // PATCH, layerscale=LAYERSCALE, mlp_hidden=HIDDEN * MLP_RATIO, swiglu_hidden=swiglu_hidden,
        registers=REGISTERS,
        swiglu2=2 * swiglu_hidden, swiglu_last=swiglu_hidden - 1,
        model_rows=model_rows,
        img_rows=img_rows,
        derivations=derivations,
        jpeg_rows=jpeg_rows,
        src_hashes=src_hashes,
        listing=listing,
        total=total,
        gray16_in=beh["gray16_in"], gray16_out=beh["gray16_to_rgb"], gray16_mode=beh["gray16_mode"],
        rgb16=", ".join(f"{a:#06x} -> {b}" for a, b in zip(np.array(beh["rgb16_in"]).ravel().tolist(),
                                                            np.array(beh["rgb16_out"]).ravel().tolist())),
        pal=beh["palette_convert_rgb"],
        cmyk_transform=next(r["adobe_app14_transform"] for r in images if r["file_mode"] == "CMYK"),
        rgba_diff=next(r["pil_open_route_max_abs_diff"] for r in images if "pil_open_route_max_abs_diff" in r),
    )
    (out / "README.md").write_text(text)


def pkg_version(dist: str) -> str:
    from importlib.metadata import version

    return version(dist)


README_TEMPLATE = """\
# Vision test fixtures

Generated by `scripts/make_vision_fixtures.py`; do not edit by hand. Python is
used only to make these files, never at zoo's run time.

Regenerate (from the repository root; CPU torch first, see
`scripts/requirements-fixtures.txt`):

```sh
pip install -r scripts/requirements-vision-fixtures.txt
python3 scripts/make_vision_fixtures.py
```

The script removes and rewrites this folder. It is seeded (base seed {seed}),
runs torch single-threaded with deterministic algorithms and writes the
safetensors headers itself in sorted order, so two runs with the same package
versions give byte-identical files. Before writing the README it checks its
own work: every `pixel_values` is rebuilt step by step and compared bit for
bit, PIL's resize is compared with an independent NumPy model of it, the
position-embedding interpolation with a NumPy model of PyTorch's, and every
saved model and processor is loaded back and rerun (eager: identical; sdpa:
within the last column below).

## Versions used

| package | version |
| --- | --- |
| python | {python} |
| torch | {torch} |
| transformers | {transformers} |
| numpy | {numpy} |
| safetensors | {safetensors} |
| Pillow | {pillow} (libjpeg-turbo {jpeg}, libwebp {webp}, zlib {zlib}) |
| scikit-learn | {sklearn} (source photos only) |
| scikit-image | {skimage} (source photos only) |

## Files

| file | bytes |
| --- | --- |
{listing}

Total {total} bytes without this README.

## models/

Three random-initialised models, saved with `save_pretrained` (one
`model.safetensors`, float32, `__metadata__` `format` = `pt`) plus
`config.json` and `preprocessor_config.json`:

| model | class | registers | parameters | max abs diff float32 vs float64 (224) | (nonsquare) | sdpa vs eager |
| --- | --- | --- | --- | --- | --- | --- |
{model_rows}

Common: hidden {hidden}, {layers} layers, {heads} heads (head dim 16),
patch {patch}, `image_size` {image_size} (stored position grid {grid} x {grid},
so both test inputs interpolate: 16 x 16 shrinks, 12 x 18 shrinks rows and
stretches columns), `mlp_ratio` {mlp}, `layer_norm_eps` 1e-6, qkv bias,
`layerscale_value` {layerscale}, `hidden_act` `gelu` (exact erf GELU).

* dinov2-tiny: plain MLP `fc1` ({hidden} -> {mlp_hidden}) GELU `fc2`.
* dinov2-swiglu: `use_swiglu_ffn`: hidden features
  `(int(int(hidden * mlp_ratio) * 2 / 3) + 7) // 8 * 8` = {swiglu_hidden};
  the file holds the fused `mlp.weights_in` [{swiglu2}, {hidden}] whose first
  half (rows 0..{swiglu_last}) is the gate (SiLU applied) and second half the
  up projection: `weights_out(silu(x W1ᵀ + b1) * (x W2ᵀ + b2))`, then
  `mlp.weights_out` [{hidden}, {swiglu_hidden}].
* dinov2-registers: `Dinov2WithRegistersModel`, {registers} register tokens
  (`embeddings.register_tokens` [1, {registers}, {hidden}]).

Every parameter is random, none is left at its default: Linear / conv
weights N(0, (1.3/sqrt(fan_in))²), biases N(0, 0.1²), LayerNorm weights
1 + N(0, 0.3²) and biases N(0, 0.2²), every layer-scale `lambda1` uniform in
{layerscale} x [0.4, 1.6] (all distinct), CLS / mask / register tokens N(0, 1),
position embeddings N(0, 0.8²).

The weights are stored in the Hugging Face hub layout that facebook/dinov2-*
checkpoints use (transformers 5 renames them in memory, and `save_pretrained`
writes them back): `embeddings.{{cls_token, mask_token, position_embeddings,
register_tokens, patch_embeddings.projection.{{weight,bias}}}}`,
`encoder.layer.N.{{norm1, norm2}}.{{weight,bias}}`,
`encoder.layer.N.attention.attention.{{query,key,value}}.{{weight,bias}}`,
`encoder.layer.N.attention.output.dense.{{weight,bias}}`,
`encoder.layer.N.layer_scale{{1,2}}.lambda1`,
`encoder.layer.N.mlp.{{fc1,fc2}}` or `encoder.layer.N.mlp.{{weights_in,weights_out}}`,
`layernorm.{{weight,bias}}`. `mask_token` is not used at inference.

Forward pass (all models): patch conv (stride 14; rows/columns beyond a
multiple of 14 are dropped) -> flatten row-major to tokens -> prepend CLS ->
add position embeddings (interpolated, below) -> registers model only:
insert the register tokens after CLS (they get no position embedding) ->
per layer `x = x + ls1 * attn(norm1(x))`, `x = x + ls2 * mlp(norm2(x))` ->
final `layernorm`. `pooler_output` is token 0 of the normed output.

## reference/

* Model inputs. `pixels_224` F32 [2,3,224,224] is **not stored separately**
  (size budget): it is `preprocess.safetensors` `china.jpg` and
  `coffee.webp` (each [1,3,224,224]) concatenated along axis 0 in that
  order, so file -> embedding is covered end to end. `inputs.safetensors`
  holds `pixels_nonsquare` F32 [1,3,168,252] = NumPy
  `default_rng({seed}).standard_normal((1, 3, 168, 252), dtype=float32)`.
* `<model>.safetensors`, computed in float32 on CPU with eager attention,
  model in eval mode:
  * `tokens_224` [2, 1+R+256, 48], `pooled_224` [2, 48]: `last_hidden_state`
    (after the final LayerNorm; token order CLS, R registers, patches
    row-major) and `pooler_output` (= token 0);
  * `tokens_nonsquare` [1, 1+R+216, 48], `pooled_nonsquare` [1, 48];
  * `pos_embed_224` [1, 257, 48], `pos_embed_nonsquare` [1, 217, 48]: what
    `interpolate_pos_encoding` returns (CLS position first, then the grid
    row-major), to test the interpolation on its own.
  `__metadata__` `zoo` is a JSON string with the versions, seeds, grids, the
  interpolation call and the float32-vs-float64 difference. Expect
  differences of about 1e-5 from another BLAS / summation order.
* `preprocess.safetensors`: for every file in `images/`, key `<file>` =
  `pixel_values` F32 [1,3,224,224] and `<file>:resized` = U8 [H,W,3], the
  PIL bicubic resize output before crop / rescale / normalise.
  `__metadata__` `zoo` lists per image the decoded and resized sizes, crop
  offsets and file hashes.

## Position-embedding interpolation (transformers {transformers})

`interpolate_pos_encoding(embeddings, H, W)`:

* Skipped (the stored table is used as is) only when the number of patches
  equals the stored number of positions **and** H == W.
* Otherwise the CLS position is kept, the patch positions are reshaped to
  [1, D, S, S] (S = sqrt(num_positions) = {grid} here, 37 for the hub models)
  and resized with `torch.nn.functional.interpolate(..., size=(H // 14,
  W // 14), mode="bicubic", align_corners=False)` in float32. It passes the
  target **size**, not a scale factor, so the source coordinate uses
  scale = S / out exactly. (Older transformers versions and Meta's original
  DINOv2 code passed `scale_factor = (out + 0.1) / S` instead, which maps
  coordinates with S / (out + 0.1) and gives slightly different numbers;
  match this version, not those.)
* `Dinov2Model`: `antialias=False`. PyTorch's plain bicubic: for output i,
  `src = (i + 0.5) * S / out - 0.5` (not clamped), `i0 = floor(src)`,
  `t = src - i0`, taps `i0-1 .. i0+2` clamped to `[0, S-1]` (edge
  replicate), cubic convolution with **A = -0.75**:
  weights `c2(t+1), c1(t), c1(1-t), c2(2-t)` with
  `c1(x) = ((A+2)x - (A+3))x² + 1`, `c2(x) = ((Ax - 5A)x + 8A)x - 4A`.
  No antialiasing even when shrinking. Separable: rows and columns
  independently.
* `Dinov2WithRegistersModel`: `antialias=True`. PyTorch's antialiased
  bicubic is PIL's scheme in floating point: scale = S / out,
  `support = 2 * max(scale, 1)`, `center = (i + 0.5) * scale`, taps
  `j` from `max(int(center - support + 0.5), 0)` to
  `min(int(center + support + 0.5), S)` (exclusive), weight
  `cubic((j - center + 0.5) / max(scale, 1))` with **a = -0.5**, normalised
  to sum 1 (so the border renormalises instead of replicating).
  When stretching (scale < 1) it is still a = -0.5 with renormalised
  borders, so it differs from the plain mode in both directions.

The script checks both descriptions: a float64 NumPy version of each agrees
with PyTorch's float32 result within 1e-5 (the embeddings are O(1)), and
swapping the two modes would be caught (differences > 1e-2).

## Image preprocessing (facebook/dinov2-* `BitImageProcessor`)

`preprocessor_config.json`: `do_resize`, `size` `{{"shortest_edge": 256}}`,
`resample` 3 (bicubic), `do_center_crop`, `crop_size` 224 x 224,
`do_rescale` with `rescale_factor` 1/255, `do_normalize` with ImageNet
`image_mean` [0.485, 0.456, 0.406] / `image_std` [0.229, 0.224, 0.225],
`do_convert_rgb`. In transformers 5 `BitImageProcessor` is the torchvision
backend; the references use the PIL backend `BitImageProcessorPil`, which is
what these numbers describe (and what `AutoImageProcessor` picks without
torchvision).

Steps, each checked bit for bit by the script:

1. **Load**: the reference passes the file path, so transformers'
   `load_image` runs: `PIL.Image.open`, `ImageOps.exif_transpose` (EXIF
   orientation applied), then `Image.convert("RGB")`. Conversions below.
2. **Resize size** (`get_resize_output_image_size`, `default_to_square=False`):
   `short, long = min(h, w), max(h, w)`; new short = 256,
   new long = `int(256 * long / short)` computed in floating point and
   **truncated** (not rounded): 451 x 300 -> 384 (384.85), 400 x 300 ->
   341 (341.33). The short side is the width when `w <= h`. No max_size.
3. **Resize** with PIL `Image.resize((new_w, new_h), BICUBIC)` on the 8-bit
   RGB image (no `reducing_gap`): separable, horizontal pass first (only if
   the width changes), its result rounded and clipped to uint8, then the
   vertical pass (only if the height changes). Per axis: `scale = in / out`,
   `filterscale = max(scale, 1)` (antialiasing when shrinking, plain
   interpolation when enlarging), `support = 2 * filterscale`,
   `center = (i + 0.5) * scale`, taps `xmin = max(int(center - support + 0.5), 0)`
   to `min(int(center + support + 0.5), in)` exclusive (int = truncation),
   weights `k(x) = cubic((x - center + 0.5) / filterscale)` with **a = -0.5**
   (`|x| < 1: ((a+2)|x| - (a+3))x² + 1`, `1 <= |x| < 2:
   ((|x| - 5)|x| + 8)|x| - 4) * a`), divided by their sum (edge taps simply
   drop out and the rest renormalise), then converted to fixed point with 22
   fractional bits, rounding half away from zero
   (`(int)(k * 2^22 ± 0.5)`). Each output = `(2^21 + Σ pixel * kq) >> 22`
   (arithmetic shift), clipped to [0, 255].
4. **Center crop** 224 x 224: `top = (new_h - 224) // 2`,
   `left = (new_w - 224) // 2` (floor; an odd remainder leaves the extra
   row / column at the bottom / right).
5. **Rescale**: `uint8 -> float64 * (1/255) -> float32`.
6. **Normalise** in float32: `(x - float32(mean)) / float32(std)` (a
   division, not a multiplication by 1/std), then HWC -> CHW.

## images/

Derived by the script from real photos (crops, format conversions):

| file | mode, W x H in the file | decoded H x W | resized H x W | crop top, left | `Image.open` route | source |
| --- | --- | --- | --- | --- | --- | --- |
{img_rows}

{derivations}

JPEG segments in file order (component id: horizontal x vertical sampling;
all three are baseline sequential with Huffman coding):

{jpeg_rows}

"`Image.open` route" tells whether handing the processor an opened PIL image
(`processor(Image.open(path))`) instead of the path gives the same
`pixel_values`: it does not apply EXIF orientation, and it composites alpha
(and palette transparency) onto white.

### Decoding behaviours (PIL {pillow}) the references contain

* **EXIF orientation**: applied (the path route goes through `load_image`,
  which calls `ImageOps.exif_transpose`). Orientation 6 = rotate 90 deg
  clockwise for display (PIL `ROTATE_270`); 3 = 180; 8 = 90 counter-clockwise;
  2/4/5/7 are the mirrored variants. A plain `Image.open` does not apply it.
* **JPEG**: libjpeg-turbo {jpeg} with its defaults (islow IDCT, fancy
  upsampling of 4:2:0 chroma). Other decoders may differ by a few levels;
  compare JPEG / WebP-derived data with a tolerance, PNG-derived data exactly.
  Embedded ICC profiles are ignored (no colour management).
* **CMYK JPEG**: PIL writes and reads 4-component JPEGs with the Adobe
  convention: the APP14 `Adobe` marker is present (transform {cmyk_transform}, i.e.
  no colour transform) and the stored values are inverted (`255 - C`, ...),
  so a decoder must un-invert them (PIL reads rawmode `CMYK;I` whenever the
  JPEG has 4 components). `convert("RGB")` is PIL's naive formula, no ICC:
  `nk = 255 - K`, `R = nk - MULDIV255(C, nk)` (same for G/M, B/Y) with
  `MULDIV255(a, b) = (((a*b + 128) >> 8) + a*b + 128) >> 8`, which equals
  `round(a * b / 255)` for bytes.
* **Greyscale** (`L`): `convert("RGB")` copies the value into R, G and B.
* **16-bit RGB PNG**: PIL decodes it to 8-bit `RGB` by keeping the **high
  byte** (truncation `v >> 8`, not `round(v / 257)`): {rgb16}.
* **16-bit greyscale PNG** (not among the images, probed by the script):
  opens as `{gray16_mode}`, and `convert("RGB")` **clips** instead of scaling:
  {gray16_in} -> {gray16_out}. A reimplementation that wants to match PIL
  must clip (a 16-bit grey photo becomes almost white).
* **Alpha (RGBA, LA) and palette transparency**: on the path route
  `convert("RGB")` drops alpha **without compositing** (colour values under
  alpha 0 appear as they are stored). The processor's own `convert_to_rgb`
  would composite onto white (`alpha_composite` over (255,255,255,255)),
  but it only sees images that are still RGBA, i.e. the `Image.open` route
  (for `astronaut_rgba.png` that route differs by up to
  {rgba_diff:.2f} in `pixel_values`; not stored).
* **Palette (`P`)**: `convert("RGB")` looks the indices up in the palette
  and ignores a `tRNS` transparent index (probe: a red and a transparent
  blue pixel -> {pal}).
* PNG gamma / sRGB / iCCP chunks are ignored.

## Sources and licences of the photos

* `china.jpg`, `flower.jpg`: from scikit-learn (`sklearn/datasets/images/`).
  Its README.txt: "Released under a creative commons license" (CC BY 2.0,
  https://creativecommons.org/licenses/by/2.0/), "Some rights reserved by
  danielbuechele", retrieved from Flickr on 21 August 2011 by Robert Layton
  (china.jpg: Flickr user danielbuechele, photo 6061409035; flower.jpg: the
  README repeats the danielbuechele credit but links Flickr user vultilion,
  photo 6056698931). The crops here are derivatives under CC BY 2.0 with that
  attribution.
* `chelsea.png` (Chelsea the cat): scikit-image data, "No copyright
  restrictions. CC0 by the photographer (Stefan van der Walt)."
* `camera.png`: scikit-image data, "No copyright restrictions. CC0 by the
  photographer (Lav Varshney)."
* `coffee.png`: scikit-image data, "No copyright restrictions. CC0 by the
  photographer (Rachel Michetti)."
* `astronaut.png` (Eileen Collins): scikit-image data, NASA, "No known
  copyright restrictions, released into the public domain."
* `rocket.jpg` (DSCOVR launch on Falcon 9): scikit-image data, SpaceX,
  released into the public domain.

(The scikit-image notes are those of the `skimage.data` function docstrings;
all of these files ship inside the scikit-image wheel, none is downloaded.)

SHA-256 of the source files used:

| source | sha256 |
| --- | --- |
{src_hashes}
"""


if __name__ == "__main__":
    main()
