#!/usr/bin/env python3
"""Tests scripts/convert_freeze_align.py on fake freeze-align checkpoints.

Builds, with torch, modules laid out like the paper's model (models/clip_adjustable_combined_vis_cls.py
in mayug/freeze-align: LayerNorm/Dropout/Patch_Projection token projectors, the ProjectionHead text
head, a `temp` scalar) at small random widths, next to stand-in frozen encoders, saves them as
freeze-align does, runs the converter and checks its output: every zoo tensor equals its source,
shapes, sorted names, the architecture metadata and config.json, that no encoder tensor is left,
the folder digest, the archive and its manifest, that the converted weights compute what the
source modules compute, and that bad inputs fail with a clear message.

Run: python3 scripts/test_convert_freeze_align.py   (needs torch and safetensors)
"""

import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import traceback
from pathlib import Path

import torch
import torch.nn.functional as F
from safetensors import safe_open
from torch import nn

SCRIPT = Path(__file__).resolve().parent / "convert_freeze_align.py"
VISION, TEXT, EMBED = 16, 20, 24
EXPECTED_CONFIG = (
    '{"dropout":0.1,"input":"tokens","outputWidth":24,"textHead":true,"textToken":"token",'
    '"textWidth":20,"visionCLS":"token","visionLocal":"token","visionRegisters":0,"visionWidth":16}')


# --- Stand-ins with the paper code's module layout (so state_dict() gives its key names) -------

class PatchProjection(nn.Module):
    def __init__(self, width_in, width_out):
        super().__init__()
        self.linear_projection = nn.Sequential(nn.Linear(width_in, width_out))
        self.non_linear_projection = nn.Sequential(
            nn.Linear(width_in, width_out), nn.GELU(), nn.Linear(width_out, width_out))

    def forward(self, x):
        return self.linear_projection(x) + self.non_linear_projection(x)


def token_projector(width_in, width_out):
    return nn.Sequential(nn.LayerNorm(width_in), nn.Dropout(0.1), PatchProjection(width_in, width_out))


class Head(nn.Module):
    def __init__(self, width_in, width_out):
        super().__init__()
        self.projection = nn.Linear(width_in, width_out)
        self.gelu = nn.GELU()
        self.fc = nn.Linear(width_out, width_out)
        self.dropout = nn.Dropout(0.1)
        self.layer_norm = nn.LayerNorm(width_out)

    def forward(self, x):
        projected = self.projection(x)
        return self.layer_norm(projected + self.dropout(self.fc(self.gelu(projected))))


class FakeVisionEncoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.embeddings = nn.Module()
        self.embeddings.cls_token = nn.Parameter(torch.randn(1, 1, VISION))
        self.embeddings.patch_embeddings = nn.Conv2d(3, VISION, 4, 4)
        self.layernorm = nn.LayerNorm(VISION)


class FakeTextEncoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.embeddings = nn.Module()
        self.embeddings.word_embeddings = nn.Embedding(50, TEXT)
        self.embeddings.register_buffer("position_ids", torch.arange(12).unsqueeze(0))
        self.encoder = nn.Module()
        self.encoder.layer = nn.ModuleList([nn.Linear(TEXT, TEXT)])


class FakeCLIP(nn.Module):
    def __init__(self):
        super().__init__()
        self.visual_encoder = FakeVisionEncoder()
        self.text_encoder = FakeTextEncoder()
        self.vision_proj = nn.Identity()
        self.local_vision_proj = token_projector(VISION, EMBED)
        self.cls_vision_proj = token_projector(VISION, EMBED)
        self.local_text_proj = token_projector(TEXT, EMBED)
        self.text_proj = Head(EMBED, EMBED)
        self.temp = nn.Parameter(torch.ones([]) * 0.0431)


def make_model(seed=0):
    torch.manual_seed(seed)
    model = FakeCLIP()
    with torch.no_grad():  # no LayerNorm left at 1/0, so a swapped weight and bias would show
        for name, parameter in model.named_parameters():
            if name != "temp":
                parameter.copy_(torch.randn_like(parameter))
    return model.eval()


MAPPING = {}
for source, target in (("local_vision_proj", "vision.local"), ("cls_vision_proj", "vision.cls"),
                       ("local_text_proj", "text.token")):
    for part, zoo in (("0", "norm"), ("2.linear_projection.0", "linear"),
                      ("2.non_linear_projection.0", "mlp.0"), ("2.non_linear_projection.2", "mlp.2")):
        for leaf in ("weight", "bias"):
            MAPPING[f"{target}.{zoo}.{leaf}"] = f"{source}.{part}.{leaf}"
for part, zoo in (("projection", "projection"), ("fc", "fc"), ("layer_norm", "norm")):
    for leaf in ("weight", "bias"):
        MAPPING[f"text.head.{zoo}.{leaf}"] = f"text_proj.{part}.{leaf}"


# --- helpers -------------------------------------------------------------------------------------

def run(*args):
    return subprocess.run([sys.executable, str(SCRIPT), *map(str, args)], capture_output=True, text=True)


def folder_digest(folder):
    lines = ""
    for path in sorted(p.name for p in Path(folder).iterdir() if p.is_file() and not p.name.startswith(".")):
        lines += hashlib.sha256((Path(folder) / path).read_bytes()).hexdigest() + "  " + path + "\n"
    return hashlib.sha256(lines.encode()).hexdigest()


def decompress(path):
    try:
        import zstandard
        return zstandard.ZstdDecompressor().decompressobj().decompress(Path(path).read_bytes())
    except ImportError:
        return subprocess.run(["zstd", "-d", "-c", str(path)], capture_output=True, check=True).stdout


def zoo_vision(tensors, tokens):
    """zoo's formulas from the converted tensors: mean over patches of P_local + P_cls(CLS)."""
    def branch(prefix, x):
        x = F.layer_norm(x, (x.shape[-1],), tensors[prefix + ".norm.weight"], tensors[prefix + ".norm.bias"])
        linear = F.linear(x, tensors[prefix + ".linear.weight"], tensors[prefix + ".linear.bias"])
        hidden = F.gelu(F.linear(x, tensors[prefix + ".mlp.0.weight"], tensors[prefix + ".mlp.0.bias"]))
        return linear + F.linear(hidden, tensors[prefix + ".mlp.2.weight"], tensors[prefix + ".mlp.2.bias"])
    return branch("vision.local", tokens[:, 1:]).mean(1) + branch("vision.cls", tokens[:, 0]), branch


def zoo_text(tensors, tokens, mask, branch):
    t = branch("text.token", tokens)
    t = (t * mask.unsqueeze(-1)).sum(1) / mask.sum(1, keepdim=True)
    h = F.linear(t, tensors["text.head.projection.weight"], tensors["text.head.projection.bias"])
    y = h + F.linear(F.gelu(h), tensors["text.head.fc.weight"], tensors["text.head.fc.bias"])
    return F.layer_norm(y, (y.shape[-1],), tensors["text.head.norm.weight"], tensors["text.head.norm.bias"])


# --- tests ---------------------------------------------------------------------------------------

def test_folder(work):
    model = make_model()
    state = model.state_dict()
    checkpoint = work / "checkpoint_14.pth"
    torch.save({"model": state, "optimizer": {"state": {}, "param_groups": [{"lr": 1e-5}]},
                "lr_scheduler": {"t_initial": 15}, "epoch": 14}, checkpoint)
    out = work / "folder"
    result = run(checkpoint, out, "--folder")
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in out.iterdir()) == ["config.json", "projector.safetensors"], list(out.iterdir())

    config = (out / "config.json").read_text()
    assert config == EXPECTED_CONFIG, config

    weights = out / "projector.safetensors"
    with safe_open(str(weights), framework="pt") as handle:
        assert handle.metadata() == {"architecture": EXPECTED_CONFIG}, handle.metadata()
        keys = list(handle.keys())
        assert sorted(keys) == sorted(MAPPING), sorted(set(keys) ^ set(MAPPING))
        tensors = {key: handle.get_tensor(key) for key in keys}
    for key, source in MAPPING.items():
        assert tensors[key].dtype == torch.float32, (key, tensors[key].dtype)
        assert list(tensors[key].shape) == list(state[source].shape), (key, tensors[key].shape)
        assert torch.equal(tensors[key], state[source].float()), key
    assert list(tensors["vision.local.linear.weight"].shape) == [EMBED, VISION]
    assert list(tensors["text.token.mlp.0.weight"].shape) == [EMBED, TEXT]
    assert list(tensors["text.head.fc.weight"].shape) == [EMBED, EMBED]
    assert list(tensors["vision.cls.norm.bias"].shape) == [VISION]

    # Raw layout: zoo's SafeTensorsWriter order and padding, and nothing else in the file.
    raw = weights.read_bytes()
    length = int.from_bytes(raw[:8], "little")
    assert length % 8 == 0, length
    header_text = raw[8:8 + length].decode()
    assert header_text.startswith('{"__metadata__":{"architecture":'), header_text[:60]
    header = json.loads(header_text)
    names = [name for name in header if name != "__metadata__"]
    assert names == sorted(names, key=str.encode), names
    offset = 0
    for name in names:
        assert header[name]["dtype"] == "F32"
        assert header[name]["data_offsets"][0] == offset, name
        offset = header[name]["data_offsets"][1]
    assert len(raw) == 8 + length + offset
    assert offset == 4 * sum(state[source].numel() for source in MAPPING.values())
    for marker in (b"visual_encoder", b"text_encoder", b"position_ids", b"temp"):
        assert marker not in raw[:8 + length], marker

    # Same bytes as the safetensors library would have read back and the same digest as
    # `(cd DIR && sha256sum * ) | sha256sum`.
    digest = folder_digest(out)
    if shutil.which("sha256sum"):
        listing = subprocess.run("sha256sum config.json projector.safetensors", shell=True, cwd=out,
                                 capture_output=True, text=True, check=True).stdout
        assert hashlib.sha256(listing.encode()).hexdigest() == digest
    assert digest in result.stderr, result.stderr

    # The converted weights compute what the source modules compute.
    torch.manual_seed(1)
    image_tokens = torch.randn(3, 1 + 9, VISION)
    text_tokens = torch.randn(3, 7, TEXT)
    mask = torch.tensor([[1] * 7, [1] * 4 + [0] * 3, [1] * 2 + [0] * 5], dtype=torch.float32)
    with torch.no_grad():
        source_image = model.local_vision_proj(image_tokens)[:, 1:].mean(1) + model.cls_vision_proj(image_tokens[:, 0])
        projected = model.local_text_proj(text_tokens)
        source_text = model.text_proj((projected * mask.unsqueeze(-1)).sum(1) / mask.sum(1).unsqueeze(-1))
        zoo_image, branch = zoo_vision(tensors, image_tokens)
        zoo_text_embedding = zoo_text(tensors, text_tokens, mask, branch)
    assert torch.allclose(source_image, zoo_image, atol=1e-5), (source_image - zoo_image).abs().max()
    assert torch.allclose(source_text, zoo_text_embedding, atol=1e-5), (source_text - zoo_text_embedding).abs().max()
    return checkpoint, out, digest


VISION_DIGEST = "a" * 64
TEXT_DIGEST = "b" * 64
DIGESTS = ("--vision-digest", VISION_DIGEST, "--text-digest", TEXT_DIGEST)


def test_archive(work, checkpoint, folder, digest):
    archive = work / "paper.zoo"
    missing = run(checkpoint, work / "nodigest.zoo", "--vision-name", "dinov2-large")
    assert missing.returncode != 0 and "--vision-digest is required" in missing.stderr, missing.stderr
    result = run(checkpoint, archive, "--tag", "paper-fake", "--vision-name", "dinov2-large",
                 "--text-name", "all-roberta-large-v1", "--text-source", "local:/models/arl", *DIGESTS)
    assert result.returncode == 0, result.stderr
    assert archive.read_bytes()[:4] == b"\x28\xb5\x2f\xfd", "not zstd"
    with tarfile.open(fileobj=io.BytesIO(decompress(archive))) as tar:
        members = tar.getmembers()
        assert [m.name for m in members] == ["manifest.json", "MODEL_CARD.md", "config.json", "projector.safetensors"], members
        contents = {m.name: tar.extractfile(m).read() for m in members}
    for name in ("config.json", "projector.safetensors"):
        assert contents[name] == (folder / name).read_bytes(), name
    manifest = json.loads(contents["manifest.json"])
    assert manifest["format"] == "zoo-projector" and manifest["format_version"] == 1
    assert manifest["zoo_version"] == "convert_freeze_align.py"
    assert manifest["projector"]["tag"] == "paper-fake"
    assert manifest["projector"]["checkpoint_digest"] == digest
    assert manifest["projector"]["architecture"] == json.loads(EXPECTED_CONFIG)
    assert manifest["projector"]["final_loss"] is None and manifest["projector"]["history"] == []
    common = {"aliases": [], "license": None, "pooled_width": None, "token_width": None}
    assert manifest["encoders"]["vision"] == {"name": "dinov2-large", "source": "facebook/dinov2-large", "checkpoint_digest": VISION_DIGEST,
                                              "modality": "vision", "backend": "dinov2", **common}
    assert manifest["encoders"]["text"] == {"name": "all-roberta-large-v1", "source": "local:/models/arl", "checkpoint_digest": TEXT_DIGEST,
                                            "modality": "text", "backend": "roberta", **common}
    training = manifest["training"]
    assert training["source"] == "freeze-align" and training["epoch"] == 14
    assert abs(training["temperature_final"] - 0.0431) < 1e-6, training
    assert training["source_sha256"] == hashlib.sha256(checkpoint.read_bytes()).hexdigest()
    assert training["dropped_encoder_tensors"] == 9, training
    assert manifest["data"] == {} and manifest["evaluations"] == []
    for name in ("config.json", "projector.safetensors"):
        entry = manifest["files"][name]
        assert entry == {"bytes": len(contents[name]), "sha256": hashlib.sha256(contents[name]).hexdigest()}, entry
    assert sorted(manifest["files"]) == ["MODEL_CARD.md", "config.json", "projector.safetensors"]

    # Deterministic: converting again gives the same archive bytes.
    again = work / "again" / "paper.zoo"
    assert run(checkpoint, again, "--tag", "paper-fake", "--vision-name", "dinov2-large",
               "--text-name", "all-roberta-large-v1", "--text-source", "local:/models/arl", *DIGESTS).returncode == 0
    assert again.read_bytes() == archive.read_bytes()


def test_plain_and_ddp_state_dicts(work, digest):
    state = make_model().state_dict()
    plain = work / "plain.pth"
    torch.save(state, plain)
    ddp = work / "ddp.pth"
    torch.save({"model": {"module." + key: value for key, value in state.items()}}, ddp)
    for checkpoint in (plain, ddp):
        out = work / (checkpoint.stem + "-out")
        result = run(checkpoint, out, "--folder")
        assert result.returncode == 0, result.stderr
        assert folder_digest(out) == digest, checkpoint


def expect_failure(work, name, state_or_object, *needles):
    path = work / f"{name}.pth"
    torch.save(state_or_object, path)
    result = run(path, work / f"{name}-out", "--folder")
    assert result.returncode == 1, (name, result.returncode, result.stderr)
    assert "Traceback" not in result.stderr, result.stderr
    for needle in needles:
        assert needle in result.stderr, (name, needle, result.stderr)
    assert not (work / f"{name}-out").exists(), name


class NotATensor:  # pickled by reference, so weights_only loading must refuse it
    pass


def test_errors(work):
    state = make_model().state_dict()

    missing = dict(state)
    del missing["cls_vision_proj.2.non_linear_projection.2.weight"]
    expect_failure(work, "missing", {"model": missing}, "missing", "cls_vision_proj.2.non_linear_projection.2.weight")

    unexpected = dict(state)
    unexpected["local_vision_proj.weight"] = torch.zeros(EMBED, VISION)
    expect_failure(work, "unexpected", {"model": unexpected}, "unexpected", "local_vision_proj.weight")

    wrong = dict(state)
    wrong["text_proj.fc.weight"] = torch.zeros(EMBED, EMBED + 1)
    expect_failure(work, "shape", {"model": wrong}, "text_proj.fc.weight", "text.head.fc.weight", str([EMBED, EMBED]))

    adapter = dict(state)
    adapter["visual_encoder.encoder.layer.0.adapter.down.weight"] = torch.zeros(4, VISION)
    expect_failure(work, "adapter", {"model": adapter}, "adapter")

    expect_failure(work, "pickled", {"model": state, "config": NotATensor()}, "weights_only", "weights.pth")
    expect_failure(work, "empty", {}, "no state dict")

    missing_file = run(work / "nope.pth", work / "nope-out", "--folder")
    assert missing_file.returncode == 1 and "no such file" in missing_file.stderr, missing_file.stderr


def test_zoo_import(work, checkpoint, digest):
    """zoo imports the converted archive (needs a built zoo: $ZOO_BIN or .build/debug/zoo)."""
    root = Path(__file__).resolve().parent.parent
    zoo = os.environ.get("ZOO_BIN") or str(root / ".build" / "debug" / "zoo")
    if not os.path.exists(zoo):
        print("skipped zoo import: no zoo binary (build it, or set ZOO_BIN)")
        return
    home = work / "home"
    env = dict(os.environ, SWIFT_BACKTRACE="enable=no")

    def zoo_run(*args):
        return subprocess.run([zoo, *args, "--home", str(home)], capture_output=True, text=True, env=env)

    fixtures = root / "Tests" / "Fixtures"
    digests = {}
    for name, folder in (("vit", fixtures / "vision" / "models" / "dinov2-mnist"), ("arl", fixtures / "models" / "tiny-roberta")):
        added = zoo_run("encoder", "add", name, "--from", str(folder), "--json")
        assert added.returncode == 0, added.stderr
        digests[name] = json.loads(added.stdout)["checkpoint"]["digest"]
    archive = work / "for-zoo.zoo"
    result = run(checkpoint, archive, "--tag", "paper", "--vision-name", "vit", "--text-name", "arl",
                 "--vision-digest", digests["vit"], "--text-digest", digests["arl"])
    assert result.returncode == 0, result.stderr
    imported = zoo_run("import", str(archive), "--json")
    assert imported.returncode == 0, imported.stderr
    shown = json.loads(zoo_run("projector", "show", "vit+arl@paper", "--json").stdout)
    assert shown["checkpoint_digest"] == digest, (shown["checkpoint_digest"], digest)


def main():
    passed = failed = 0
    work = Path(tempfile.mkdtemp(prefix="convert-freeze-align-"))
    try:
        state = {}

        def folder():
            state["checkpoint"], state["folder"], state["digest"] = test_folder(work)

        tests = [
            ("folder: tensors, names, metadata, layout, digest, forward", folder),
            ("archive: members, manifest, determinism",
             lambda: test_archive(work, state["checkpoint"], state["folder"], state["digest"])),
            ("plain and DistributedDataParallel state dicts", lambda: test_plain_and_ddp_state_dicts(work, state["digest"])),
            ("bad inputs fail with clear messages", lambda: test_errors(work)),
            ("zoo import of a converted archive", lambda: test_zoo_import(work, state["checkpoint"], state["digest"])),
        ]
        for name, test in tests:
            try:
                test()
                passed += 1
                print(f"ok      {name}")
            except Exception:  # noqa: BLE001 - report and go on
                failed += 1
                print(f"FAILED  {name}")
                traceback.print_exc()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
