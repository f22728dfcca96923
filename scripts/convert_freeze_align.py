#!/usr/bin/env python3
"""Convert a checkpoint of the paper's code (mayug/freeze-align) into a zoo projector.

    python3 scripts/convert_freeze_align.py CHECKPOINT.pth OUT.zoo   [options]
    python3 scripts/convert_freeze_align.py CHECKPOINT.pth OUT_DIR --folder [options]

A freeze-align checkpoint (`train/PretrainHydra.py`) is `torch.save` of
`{"model": state_dict, "optimizer": ..., "lr_scheduler": ..., "config": <OmegaConf>, "epoch": N}`,
where `state_dict` is the whole `CLIP` module of `train/models/clip_adjustable_combined_vis_cls.py`
(the model the paper's config `train/configs-v2/dinov2-arl-wds-combined.yaml` builds), frozen
encoders included. Only the projectors are kept; everything else is dropped.

Layout read from mayug/freeze-align, `train/models/clip_adjustable_combined_vis_cls.py`:

  * `local_vision_proj`, `cls_vision_proj`, `local_text_proj`, with the config's `'patch'` choice,
    are `nn.Sequential(nn.LayerNorm(width), nn.Dropout(0.1), Patch_Projection(width, embed_dim))`,
    and `Patch_Projection` holds `linear_projection = Sequential(Linear)` and
    `non_linear_projection = Sequential(Linear, GELU, Linear)`, summed.
  * `text_proj`, with `text_projection: 'mlp'`, is `ProjectionHead(embed_dim, embed_dim)`:
    `projection` (Linear), `gelu`, `fc` (Linear), `dropout`, `layer_norm`;
    forward: `p = projection(x); layer_norm(p + dropout(fc(gelu(p))))`.
  * `vision_proj` is `nn.Identity()` (no keys); `temp` is the learnable temperature (a scalar).
  * `visual_encoder.*` (DINOv2) and `text_encoder.*` (all-roberta-large-v1) are the frozen encoders.

Key mapping implemented (source key -> zoo safetensors key; shapes [out, in] as in PyTorch):

  local_vision_proj.0.{weight,bias}                              -> vision.local.norm.{weight,bias}    [Dv]
  local_vision_proj.2.linear_projection.0.{weight,bias}          -> vision.local.linear.{weight,bias}  [E, Dv], [E]
  local_vision_proj.2.non_linear_projection.0.{weight,bias}      -> vision.local.mlp.0.{weight,bias}   [E, Dv], [E]
  local_vision_proj.2.non_linear_projection.2.{weight,bias}      -> vision.local.mlp.2.{weight,bias}   [E, E], [E]
  cls_vision_proj.<same four modules>                            -> vision.cls.<same>                  (Dv in)
  local_text_proj.<same four modules>                            -> text.token.<same>                  (Dt in)
  text_proj.projection.{weight,bias}                             -> text.head.projection.{weight,bias} [E, E], [E]
  text_proj.fc.{weight,bias}                                     -> text.head.fc.{weight,bias}         [E, E], [E]
  text_proj.layer_norm.{weight,bias}                             -> text.head.norm.{weight,bias}       [E]
  temp                                                           -> not a weight: manifest training.temperature_final
  visual_encoder.*, text_encoder.*                               -> dropped (frozen encoders)

Dv, Dt and E (embed_dim) are read from the tensors. The architecture is zoo's "paper" one:
token input, token branches on patches, CLS and text tokens, the text head, no register
tokens, dropout 0.1. A `module.` prefix (a DistributedDataParallel state dict) is stripped.
Any other key (a different projection choice, adapters inside the encoders, ...) is an error,
as is a missing key or a wrong shape. Trained encoder weights (BitFit, unlocked LayerNorms)
cannot be told apart from frozen ones and are dropped too: such runs do not fit zoo.

Output:
  * `--folder`: OUT_DIR/config.json (the architecture JSON, sorted keys, no spaces, no newline,
    as ProjectorArchitecture.jsonString) and OUT_DIR/projector.safetensors (F32 tensors sorted
    by name, one metadata entry `architecture`, header laid out like zoo's SafeTensorsWriter, so
    the bytes are what `zoo` itself would write for these weights).
  * otherwise: OUT.zoo, a tar compressed with zstd holding manifest.json first, then config.json
    and projector.safetensors. The manifest schema is provisional (see `build_manifest`, the one
    place to align with docs/ARCHIVES.md). The tar is written with Python's tarfile and
    compressed with the `zstandard` module when it is importable, else with the `zstd` program.

The checkpoint digest is zoo's (Sources/Registry/CheckpointDigest.swift): the SHA-256 of the
`sha256sum` lines `<hex>  <path>\\n` of the folder's files sorted by path.

The checkpoint is only ever read with `torch.load(..., weights_only=True)`. A full training
checkpoint also pickles the OmegaConf config, which that refuses; re-save just the weights where
you trust the file: `torch.save(torch.load(P, weights_only=False)["model"], "weights.pth")`.
"""

import argparse
import ctypes
import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

CONFIG_FILE = "config.json"
WEIGHTS_FILE = "projector.safetensors"
MANIFEST_FILE = "manifest.json"
ARCHITECTURE_KEY = "architecture"
DEFAULT_DROPOUT = 0.1

# freeze-align module -> zoo component, for the three per-token projectors.
TOKEN_BRANCHES = [
    ("local_vision_proj", "vision.local", "vision"),
    ("cls_vision_proj", "vision.cls", "vision"),
    ("local_text_proj", "text.token", "text"),
]
# Inside one token projector: source sub-key -> zoo sub-key.
TOKEN_PARTS = [
    ("0", "norm"),
    ("2.linear_projection.0", "linear"),
    ("2.non_linear_projection.0", "mlp.0"),
    ("2.non_linear_projection.2", "mlp.2"),
]
HEAD_SOURCE = "text_proj"
HEAD_PARTS = [("projection", "projection"), ("fc", "fc"), ("layer_norm", "norm")]
TEMPERATURE_KEY = "temp"
ENCODER_PREFIXES = ("visual_encoder.", "text_encoder.")


class ConversionError(Exception):
    """A problem with the input, reported as one line without a traceback."""


# ---------------------------------------------------------------------------------------------
# Key mapping


def key_mapping():
    """Every (source key, zoo key) pair of the paper configuration, in zoo name order."""
    pairs = []
    for source, target, _ in TOKEN_BRANCHES:
        for part, zoo_part in TOKEN_PARTS:
            for leaf in ("weight", "bias"):
                pairs.append((f"{source}.{part}.{leaf}", f"{target}.{zoo_part}.{leaf}"))
    for part, zoo_part in HEAD_PARTS:
        for leaf in ("weight", "bias"):
            pairs.append((f"{HEAD_SOURCE}.{part}.{leaf}", f"text.head.{zoo_part}.{leaf}"))
    return sorted(pairs, key=lambda pair: pair[1].encode())


def expected_shapes(vision_width, text_width, output_width):
    """zoo key -> shape for the paper architecture at these widths."""
    shapes = {}
    for _, target, side in TOKEN_BRANCHES:
        width_in = vision_width if side == "vision" else text_width
        shapes[f"{target}.norm.weight"] = [width_in]
        shapes[f"{target}.norm.bias"] = [width_in]
        shapes[f"{target}.linear.weight"] = [output_width, width_in]
        shapes[f"{target}.linear.bias"] = [output_width]
        shapes[f"{target}.mlp.0.weight"] = [output_width, width_in]
        shapes[f"{target}.mlp.0.bias"] = [output_width]
        shapes[f"{target}.mlp.2.weight"] = [output_width, output_width]
        shapes[f"{target}.mlp.2.bias"] = [output_width]
    for name in ("projection", "fc"):
        shapes[f"text.head.{name}.weight"] = [output_width, output_width]
        shapes[f"text.head.{name}.bias"] = [output_width]
    shapes["text.head.norm.weight"] = [output_width]
    shapes["text.head.norm.bias"] = [output_width]
    return shapes


def architecture_dict(vision_width, text_width, output_width, dropout=DEFAULT_DROPOUT):
    return {
        "dropout": dropout,
        "input": "tokens",
        "outputWidth": output_width,
        "textHead": True,
        "textToken": "token",
        "textWidth": text_width,
        "visionCLS": "token",
        "visionLocal": "token",
        "visionRegisters": 0,
        "visionWidth": vision_width,
    }


def architecture_json(architecture):
    """As ProjectorArchitecture.jsonString: sorted keys, no whitespace, slashes unescaped."""
    return json.dumps(architecture, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


# ---------------------------------------------------------------------------------------------
# Loading


def load_checkpoint(path):
    """The checkpoint's state dict (str -> tensor) and the other top-level entries it had."""
    import pickle

    import torch

    if not os.path.isfile(path):
        raise ConversionError(f"{path}: no such file")
    try:
        try:
            loaded = torch.load(path, map_location="cpu", weights_only=True, mmap=True)
        except RuntimeError as error:
            if "mmap" not in str(error):
                raise
            loaded = torch.load(path, map_location="cpu", weights_only=True)  # legacy format
    except pickle.UnpicklingError as error:
        blocked = ""
        try:
            names = torch.serialization.get_unsafe_globals_in_checkpoint(path)
            if names:
                blocked = " (it pickles " + ", ".join(names) + ")"
        except Exception:  # noqa: BLE001 - only for the message
            pass
        raise ConversionError(
            f"{path}: holds objects that torch.load(weights_only=True) will not unpickle{blocked}. "
            "Where you trust the file, save only the weights and convert that: "
            f"python3 -c \"import torch; torch.save(torch.load('{path}', weights_only=False)['model'], 'weights.pth')\""
        ) from error
    except Exception as error:  # noqa: BLE001 - any unreadable file
        raise ConversionError(f"{path}: cannot read as a PyTorch checkpoint: {error}") from error

    extras = {}
    state = loaded
    if isinstance(loaded, dict):
        for container in ("model", "state_dict", "module"):
            if isinstance(loaded.get(container), dict):
                state = loaded[container]
                extras = {key: value for key, value in loaded.items() if key != container}
                break
    if not isinstance(state, dict) or not state:
        raise ConversionError(f"{path}: no state dict found (expected a dict of tensors, or one under 'model')")
    non_tensors = [key for key, value in state.items() if not isinstance(value, torch.Tensor)]
    if non_tensors:
        raise ConversionError(f"{path}: state dict entries that are not tensors: {', '.join(map(str, non_tensors[:5]))}")
    keys = list(state)
    if all(isinstance(key, str) and key.startswith("module.") for key in keys):
        state = {key[len("module."):]: value for key, value in state.items()}
    return state, extras


def map_state_dict(state, dropout=DEFAULT_DROPOUT):
    """(architecture dict, {zoo key: float32 tensor}, report) from a freeze-align state dict."""
    import torch

    mapping = key_mapping()
    expected_sources = {source for source, _ in mapping}

    unexpected = []
    adapters = []
    dropped = 0
    for key in state:
        if key.startswith(ENCODER_PREFIXES):
            dropped += 1
            if "adapter" in key:
                adapters.append(key)
        elif key not in expected_sources and key != TEMPERATURE_KEY:
            unexpected.append(key)
    if adapters:
        raise ConversionError(
            f"the encoders hold trained adapter weights ({adapters[0]}, {len(adapters)} in all); "
            "zoo runs the encoders unchanged, so this checkpoint cannot be converted")
    if unexpected:
        raise ConversionError(
            f"{len(unexpected)} unexpected key(s), e.g. {', '.join(sorted(unexpected)[:4])}; this converter takes the "
            "paper's configuration (local_vision_projection=patch, cls_vision_projection=patch, "
            "local_text_projection=patch, text_projection=mlp) of models/clip_adjustable_combined_vis_cls.py")
    missing = [source for source, _ in mapping if source not in state]
    if missing:
        raise ConversionError(
            f"{len(missing)} projector key(s) missing, e.g. {', '.join(missing[:4])}; "
            "is this a freeze-align checkpoint of the paper's configuration?")

    def dims(key, rank):
        shape = list(state[key].shape)
        if len(shape) != rank:
            raise ConversionError(f"{key}: expected a {rank}-D tensor, got shape {shape}")
        return shape

    vision_width = dims("local_vision_proj.0.weight", 1)[0]
    text_width = dims("local_text_proj.0.weight", 1)[0]
    output_width = dims("local_vision_proj.2.linear_projection.0.weight", 2)[0]
    shapes = expected_shapes(vision_width, text_width, output_width)

    tensors = {}
    for source, target in mapping:
        tensor = state[source]
        if not tensor.is_floating_point():
            raise ConversionError(f"{source}: dtype {tensor.dtype} is not floating point")
        if list(tensor.shape) != shapes[target]:
            raise ConversionError(
                f"{source} (zoo {target}): shape {list(tensor.shape)}, expected {shapes[target]} "
                f"for vision width {vision_width}, text width {text_width}, embed dim {output_width}")
        converted = tensor.detach().to(device="cpu", dtype=torch.float32).contiguous()
        if not bool(torch.isfinite(converted).all()):
            raise ConversionError(f"{source}: holds NaN or infinite values")
        tensors[target] = converted

    temperature = None
    if TEMPERATURE_KEY in state:
        value = state[TEMPERATURE_KEY]
        if value.numel() != 1:
            raise ConversionError(f"{TEMPERATURE_KEY}: expected a scalar, got shape {list(value.shape)}")
        temperature = float(value.reshape(()).item())

    report = {"dropped_encoder_tensors": dropped, "temperature": temperature}
    return architecture_dict(vision_width, text_width, output_width, dropout), tensors, report


# ---------------------------------------------------------------------------------------------
# Writing


def _json_string(text):
    """A JSON string literal escaped exactly as zoo's SafeTensorsWriter escapes it."""
    out = ['"']
    for char in text:
        if char == '"':
            out.append('\\"')
        elif char == "\\":
            out.append("\\\\")
        elif char == "\n":
            out.append("\\n")
        elif char == "\r":
            out.append("\\r")
        elif char == "\t":
            out.append("\\t")
        elif ord(char) < 0x20:
            out.append("\\u%04x" % ord(char))
        else:
            out.append(char)
    out.append('"')
    return "".join(out)


def _tensor_bytes(tensor):
    """Little-endian raw bytes of a contiguous CPU float32 tensor."""
    if sys.byteorder != "little":
        raise ConversionError("big-endian hosts are not supported")
    count = tensor.numel() * tensor.element_size()
    if count == 0:
        return b""
    return bytes((ctypes.c_ubyte * count).from_address(tensor.data_ptr()))


def safetensors_bytes(tensors, metadata):
    """A safetensors file: `__metadata__` first, tensors sorted by name (UTF-8 bytes), header
    padded with spaces to a multiple of 8, data in the same order without gaps."""
    names = sorted(tensors, key=lambda name: name.encode())
    members = []
    if metadata:
        pairs = ",".join(
            _json_string(key) + ":" + _json_string(metadata[key]) for key in sorted(metadata, key=lambda k: k.encode()))
        members.append(_json_string("__metadata__") + ":{" + pairs + "}")
    blobs = []
    offset = 0
    for name in names:
        blob = _tensor_bytes(tensors[name])
        shape = ",".join(str(dim) for dim in tensors[name].shape)
        members.append(
            _json_string(name) + ':{"dtype":"F32","shape":[' + shape + '],"data_offsets":['
            + str(offset) + "," + str(offset + len(blob)) + "]}")
        offset += len(blob)
        blobs.append(blob)
    header = ("{" + ",".join(members) + "}").encode("utf-8")
    header += b" " * (-len(header) % 8)
    return len(header).to_bytes(8, "little") + header + b"".join(blobs)


def folder_files(architecture, tensors):
    """{relative path: bytes} of a zoo projector folder."""
    text = architecture_json(architecture)
    return {
        CONFIG_FILE: text.encode("utf-8"),
        WEIGHTS_FILE: safetensors_bytes(tensors, {ARCHITECTURE_KEY: text}),
    }


def checkpoint_digest(files):
    """zoo's checkpoint digest of {path: bytes}: SHA-256 of the sorted `sha256sum` lines."""
    lines = "".join(
        f"{hashlib.sha256(files[path]).hexdigest()}  {path}\n" for path in sorted(files, key=lambda p: p.encode()))
    return hashlib.sha256(lines.encode("utf-8")).hexdigest()


def build_manifest(architecture, files, digest, *, tag, vision, text, training):
    """The archive's manifest.json content, in the schema zoo's importer reads (docs/ARCHIVES.md,
    format zoo-projector version 1); scripts/test_convert_freeze_align.py imports one into zoo."""
    return {
        "format": "zoo-projector",
        "format_version": 1,
        "encoders": {"vision": vision, "text": text},
        "projector": {
            "tag": tag,
            "architecture": architecture,
            "checkpoint_digest": digest,
            "final_loss": None,
            "history": [],
        },
        "training": training,
        "data": {},
        "evaluations": [],
        "files": {
            path: {"bytes": len(files[path]), "sha256": hashlib.sha256(files[path]).hexdigest()}
            for path in sorted(files, key=lambda p: p.encode())
        },
        "zoo_version": "convert_freeze_align.py",
    }


def manifest_bytes(manifest):
    return (json.dumps(manifest, sort_keys=True, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def tar_bytes(entries):
    """An uncompressed tar of [(name, bytes)] in order, with fixed owners, modes and times."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.USTAR_FORMAT) as archive:
        for name, data in entries:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mode = 0o644
            info.mtime = 0
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def zstd_compress(data):
    """(compressed bytes, how): the zstandard module when importable, else the zstd program."""
    try:
        import zstandard
    except ImportError:
        zstandard = None
    if zstandard is not None:
        return zstandard.ZstdCompressor(level=10).compress(data), "python zstandard module"
    program = shutil.which("zstd")
    if program is None:
        raise ConversionError("cannot compress: neither the Python 'zstandard' module nor the 'zstd' program is available")
    result = subprocess.run([program, "-q", "-10", "-c", "-"], input=data, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if result.returncode != 0:
        raise ConversionError(f"zstd failed: {result.stderr.decode(errors='replace').strip()}")
    return result.stdout, "zstd program"


def write_atomically(path, data):
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=path.parent, prefix="." + path.name + ".", delete=False) as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
        temporary = handle.name
    os.chmod(temporary, 0o644)
    os.replace(temporary, path)


def write_folder(folder, files):
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise ConversionError(f"{folder}: exists and is not a folder")
    folder.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        write_atomically(folder / name, data)


def file_sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


# ---------------------------------------------------------------------------------------------


def encoder_entry(name, source, digest, modality, backend, role):
    """One encoder of the manifest, as zoo's importer reads it (docs/ARCHIVES.md). zoo matches
    encoders by checkpoint digest, so the digest of the encoder registered in the target zoo is
    required: `zoo encoder show NAME --json` prints it as checkpoint.digest."""
    if not digest or len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
        raise ConversionError(
            f"--{role}-digest is required for an archive: the 64-hex checkpoint digest of the {role} encoder "
            f"in your zoo ('zoo encoder show NAME --json' shows it as checkpoint.digest); or use --folder")
    return {"name": name or f"{role}-encoder", "aliases": [], "modality": modality, "backend": backend,
            "source": source, "license": None, "checkpoint_digest": digest,
            "pooled_width": None, "token_width": None}


def model_card(architecture, digest, training, vision_name, vision_source, text_name, text_source):
    """A short MODEL_CARD.md for a converted projector (zoo's importer requires one)."""
    lines = [
        "# Projector converted from mayug/freeze-align",
        "",
        f"- Vision encoder: {vision_name or 'unnamed'} ({vision_source})",
        f"- Text encoder: {text_name or 'unnamed'} ({text_source})",
        f"- Projector checkpoint digest: `{digest}`",
        f"- Architecture: `{json.dumps(architecture, sort_keys=True)}`",
        f"- Source file: {training['source_file']} (sha256 `{training['source_sha256']}`)",
        f"- Final temperature: {training['temperature_final']}",
        "",
        "Only the projector weights were kept; the frozen encoders' weights were dropped.",
        "Converted by scripts/convert_freeze_align.py.",
        "",
    ]
    return "\n".join(lines)


def convert(checkpoint, output, *, folder=False, tag=None, vision_name=None, vision_source=None,
            text_name=None, text_source=None, dropout=DEFAULT_DROPOUT, log=print,
            vision_digest=None, text_digest=None, vision_backend="dinov2", text_backend="roberta"):
    state, extras = load_checkpoint(checkpoint)
    architecture, tensors, report = map_state_dict(state, dropout=dropout)
    files = folder_files(architecture, tensors)
    digest = checkpoint_digest(files)
    log(f"vision width {architecture['visionWidth']}, text width {architecture['textWidth']}, "
        f"output width {architecture['outputWidth']}; {len(tensors)} projector tensors kept, "
        f"{report['dropped_encoder_tensors']} encoder tensors dropped")
    if folder:
        write_folder(output, files)
        log(f"wrote {output}/{CONFIG_FILE} and {output}/{WEIGHTS_FILE} (checkpoint digest {digest})")
        return {"digest": digest, "architecture": architecture, "files": files}

    training = {
        "source": "freeze-align",
        "source_file": os.path.basename(checkpoint),
        "source_sha256": file_sha256(checkpoint),
        "temperature_final": report["temperature"],
        "dropped_encoder_tensors": report["dropped_encoder_tensors"],
    }
    epoch = extras.get("epoch")
    if isinstance(epoch, int):
        training["epoch"] = epoch
    archived = dict(files)
    archived["MODEL_CARD.md"] = model_card(architecture, digest, training, vision_name, vision_source, text_name, text_source).encode()
    manifest = build_manifest(
        architecture, archived, digest,
        tag=tag or Path(output).name.removesuffix(".zoo"),
        vision=encoder_entry(vision_name, vision_source, vision_digest, "vision", vision_backend, "vision"),
        text=encoder_entry(text_name, text_source, text_digest, "text", text_backend, "text"),
        training=training)
    entries = [(MANIFEST_FILE, manifest_bytes(manifest))] + [(name, archived[name]) for name in sorted(archived, key=lambda p: p.encode())]
    compressed, how = zstd_compress(tar_bytes(entries))
    write_atomically(output, compressed)
    log(f"wrote {output} ({len(compressed)} bytes, tar compressed with the {how}; checkpoint digest {digest})")
    return {"digest": digest, "architecture": architecture, "files": files, "manifest": manifest}


def main(argv=None):
    parser = argparse.ArgumentParser(
        description="Convert a mayug/freeze-align checkpoint into a zoo projector (archive or folder).")
    parser.add_argument("checkpoint", help="the .pth file written by freeze-align (or its 'model' state dict)")
    parser.add_argument("output", help="the .zoo archive to write, or the folder with --folder")
    parser.add_argument("--folder", action="store_true",
                        help="write OUTPUT/config.json and OUTPUT/projector.safetensors instead of an archive")
    parser.add_argument("--tag", help="the projector's tag in the manifest (default: the archive's file name)")
    parser.add_argument("--vision-name", help="the vision encoder's name in zoo, e.g. dinov2-large")
    parser.add_argument("--vision-source", default="facebook/dinov2-large",
                        help="where the vision encoder comes from (default: %(default)s, the paper's)")
    parser.add_argument("--text-name", help="the text encoder's name in zoo, e.g. all-roberta-large-v1")
    parser.add_argument("--text-source", default="sentence-transformers/all-roberta-large-v1",
                        help="where the text encoder comes from (default: %(default)s, the paper's)")
    parser.add_argument("--vision-digest", help="checkpoint digest of the vision encoder in the target zoo (archives)")
    parser.add_argument("--text-digest", help="checkpoint digest of the text encoder in the target zoo (archives)")
    parser.add_argument("--vision-backend", default="dinov2", help="zoo backend of the vision encoder (default: %(default)s)")
    parser.add_argument("--text-backend", default="roberta", help="zoo backend of the text encoder (default: %(default)s)")
    parser.add_argument("--dropout", type=float, default=DEFAULT_DROPOUT,
                        help="dropout recorded in the architecture (default: %(default)s, the paper's)")
    args = parser.parse_args(argv)
    if not 0 <= args.dropout < 1:
        parser.error("--dropout must be in [0, 1)")
    try:
        convert(args.checkpoint, args.output, folder=args.folder, tag=args.tag,
                vision_name=args.vision_name, vision_source=args.vision_source,
                text_name=args.text_name, text_source=args.text_source, dropout=args.dropout,
                vision_digest=args.vision_digest, text_digest=args.text_digest,
                vision_backend=args.vision_backend, text_backend=args.text_backend,
                log=lambda message: print(message, file=sys.stderr))
    except ConversionError as error:
        print(f"convert_freeze_align: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
