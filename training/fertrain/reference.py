"""Reference logits for the Rust agreement test ``tests/it/classify_ours.rs`` (``tests/data/ours_reference.json``).

No checkpoint is committed: every tensor of each reference network is filled from a counter-based generator that
the Rust test reproduces bit for bit (:func:`splitmix_uniform`), so the JSON only lists tensor names, shapes,
value ranges and seeds (the BatchNorm statistics' ranges calibrated on the images, see :func:`fill`), plus the
logits PyTorch + timm compute for 16 public-test images. The Rust test rebuilds
the same safetensors checkpoint, loads it through candle-transformers and compares.

Run from ``training/``: ``python -m fertrain.reference`` (``--check`` replays the committed file's networks in timm,
:func:`replay`, and compares their logits with the committed ones instead).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys

import numpy as np
import torch

from .data import CLASSES, load_split, to_input
from .export import FORMAT
from .model import FerNet, predict_logits
from .train import DEFAULT_DATA, ROOT

#: Where the reference JSON lives (repository-relative).
OUT = os.path.join(ROOT, "tests", "data", "ours_reference.json")
#: Images per class in the reference set (2 x 7 = 14, topped up to :data:`N_IMAGES` with the split's first).
PER_CLASS = 2
N_IMAGES = 16
#: Reference networks: (arch, network input size). 96, 32 and 48 exercise the resize before the network (up and
#: down); ``vgg`` is built with :data:`fertrain.model.DEFAULT_VGG_WIDTHS` (its entry records them as ``widths``).
MODELS = (("repvgg_a0", 64), ("resnet18", 64), ("repvgg_a0", 96), ("resnet18", 32), ("vgg", 48))

GOLDEN = np.uint64(0x9E3779B97F4A7C15)


def splitmix_uniform(seed: int, n: int) -> np.ndarray:
    """``n`` f32 values in ``[0, 1)``: element ``i`` is the SplitMix64 output for state ``seed + (i + 1) *
    0x9E3779B97F4A7C15`` (mod 2^64), top 24 bits / 2^24 (exact in f32)."""
    with np.errstate(over="ignore"):
        z = np.uint64(seed) + (np.arange(1, n + 1, dtype=np.uint64) * GOLDEN)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        z = z ^ (z >> np.uint64(31))
    return (z >> np.uint64(40)).astype(np.float32) / np.float32(1 << 24)


def value_range(name: str, shape: tuple) -> tuple[float, float]:
    """``(lo, span)`` of the uniform values for a tensor (He-scaled weights, BatchNorm gamma around 1, small
    biases; the BatchNorm statistics are replaced by :func:`fill`'s calibration). Both rounded to f32 so that both
    languages use the same numbers."""
    leaf = name.rsplit(".", 1)[-1]
    if leaf == "weight" and len(shape) >= 2:
        fan_in = int(np.prod(shape[1:]))
        a = math.sqrt(6.0 / fan_in)  # He: variance 2 / fan_in
        lo, span = -a, 2 * a
    elif leaf == "weight":  # BatchNorm gamma
        lo, span = 0.8, 0.4
    elif leaf == "running_var":
        lo, span = 0.8, 0.4
    else:  # biases, BatchNorm beta and running_mean
        lo, span = -0.02, 0.04
    return float(np.float32(lo)), float(np.float32(span))


def generate(shape: tuple, lo: float, span: float, seed: int) -> np.ndarray:
    """The values of one tensor: ``lo + span * u`` in f32, ``u`` from :func:`splitmix_uniform`."""
    n = int(np.prod(shape))
    return (np.float32(lo) + np.float32(span) * splitmix_uniform(seed, n)).reshape(shape)


def fill(model: FerNet, seed0: int, x: torch.Tensor) -> list:
    """Overwrites every float tensor of ``model.net`` with :func:`generate`d values; returns the JSON tensor list
    ``[[name, shape, lo, span, seed], ...]`` (state_dict order).

    BatchNorm statistics are then calibrated on ``x`` (the reference images), layer by layer in forward order:
    each BatchNorm's ``running_mean`` is drawn around the mean of what it receives and its ``running_var`` within
    +-20% of that variance (one scalar range per tensor, so the JSON stays small). Activations then stay near unit
    scale through the depth, as in a trained network, instead of growing or vanishing, which would make f32
    rounding (PyTorch's as much as candle's) larger than the tolerance."""
    sd = model.net.state_dict()
    spec, by_name = [], {}
    for k, (name, t) in enumerate(sd.items()):
        if not t.is_floating_point():
            continue
        lo, span = value_range(name, tuple(t.shape))
        seed = seed0 + k
        t.copy_(torch.from_numpy(generate(tuple(t.shape), lo, span, seed)))
        by_name[name] = len(spec)
        spec.append([name, list(t.shape), lo, span, seed])

    def calibrate(prefix):
        def hook(module, args):
            a = args[0].detach().double()
            mean, var = float(a.mean()), float(a.var())
            for leaf, lo, span in (("running_mean", mean - 0.05 * var**0.5, 0.1 * var**0.5),
                                   ("running_var", 0.8 * var, 0.4 * var)):
                entry = spec[by_name[f"{prefix}.{leaf}"]]
                entry[2], entry[3] = float(np.float32(lo)), float(np.float32(span))
                getattr(module, leaf).copy_(torch.from_numpy(generate(tuple(entry[1]), entry[2], entry[3], entry[4])))
        return hook

    hooks = [m.register_forward_pre_hook(calibrate(n)) for n, m in model.net.named_modules()
             if isinstance(m, torch.nn.modules.batchnorm._BatchNorm)]
    with torch.no_grad():
        model.eval()(x)
    for h in hooks:
        h.remove()
    return spec


def pick_images(labels: np.ndarray) -> list:
    """The first :data:`PER_CLASS` public-test images of each class, topped up with the first others."""
    picked = []
    for c in range(len(CLASSES)):
        picked += [int(i) for i in np.flatnonzero(labels == c)[:PER_CLASS]]
    for i in range(len(labels)):
        if len(picked) >= N_IMAGES:
            break
        if i not in picked:
            picked.append(i)
    return sorted(picked)


def f32(x) -> list:
    """Float32 values as the shortest decimal that reads back to the same f32."""
    return [float(np.format_float_positional(np.float32(v), unique=True)) for v in np.ravel(x)]


@torch.no_grad()
def build(data_dir: str) -> dict:
    """The reference document (see the module docstring)."""
    import timm

    torch.set_num_threads(max(1, min(2, os.cpu_count() or 1)))
    split = load_split(data_dir, "public-test")
    idx = pick_images(split.labels)
    x = to_input(torch.from_numpy(split.images[idx].copy()))
    doc = {
        "about": "tests/it/classify_ours.rs: generated weights (fertrain.reference.splitmix_uniform), timm logits",
        "generator": "value = lo + span * u, u = (splitmix64(seed + (i + 1) * 0x9E3779B97F4A7C15) >> 40) / 2^24, f32",
        "format": FORMAT,
        "timm": timm.__version__,
        "torch": torch.__version__,
        "split": "public-test",
        "images": idx,
        "labels": [int(split.labels[i]) for i in idx],
        "input_sums": f32(x.sum(dim=(1, 2, 3)).numpy()),
        "models": [],
    }
    for m, (arch, size) in enumerate(MODELS):
        doc["models"].append(build_model(m, arch, size, x))
    return doc


def build_model(m: int, arch: str, size: int, x: torch.Tensor) -> dict:
    """The document entry of reference network number ``m`` (seeds from ``1000 * (m + 1)``) for images ``x``."""
    model = FerNet(arch, size).eval()
    spec = fill(model, 1000 * (m + 1), x)
    entry = {"arch": arch, "input_size": size}
    if model.widths:
        entry["widths"] = list(model.widths)
    return {**entry, "tensors": spec, "logits": [f32(r) for r in predict_logits(model, x, False).numpy()],
            "logits_tta_hflip": [f32(r) for r in predict_logits(model, x, True).numpy()]}


def load_spec(model: FerNet, spec: list) -> None:
    """Fills ``model.net`` from a committed tensor list ``[[name, shape, lo, span, seed], ...]`` (:func:`fill`'s
    output) with :func:`generate`, without recalibrating anything: the same weights the Rust test builds.

    Raises ``ValueError`` when the list does not name exactly the network's float tensors with their shapes."""
    sd = model.net.state_dict()
    floats = {n: t for n, t in sd.items() if t.is_floating_point()}
    if [e[0] for e in spec] != list(floats) or any(list(floats[e[0]].shape) != e[1] for e in spec):
        raise ValueError("the committed tensor list does not match the network's tensors")
    with torch.no_grad():
        for name, shape, lo, span, seed in spec:
            floats[name].copy_(torch.from_numpy(generate(tuple(shape), lo, span, seed)))


@torch.no_grad()
def replay(doc: dict, data_dir: str) -> dict:
    """The logits PyTorch + timm compute today for a committed document's images and tensor lists: ``doc`` with
    ``logits``, ``logits_tta_hflip`` and ``input_sums`` recomputed. Unlike :func:`build` nothing is calibrated, so
    the result does not depend on how this CPU rounds the calibration's activations (the committed ranges are
    kept as they are; :func:`build` on a CPU with other SIMD kernels can round a range to a neighbouring f32)."""
    torch.set_num_threads(max(1, min(2, os.cpu_count() or 1)))
    split = load_split(data_dir, "public-test")
    x = to_input(torch.from_numpy(split.images[doc["images"]].copy()))
    out = {**doc, "input_sums": f32(x.sum(dim=(1, 2, 3)).numpy()), "models": []}
    for m in doc["models"]:
        model = FerNet(m["arch"], m["input_size"], widths=m.get("widths")).eval()
        load_spec(model, m["tensors"])
        out["models"].append({**m, "logits": [f32(r) for r in predict_logits(model, x, False).numpy()],
                              "logits_tta_hflip": [f32(r) for r in predict_logits(model, x, True).numpy()]})
    return out


def compare(a: dict, b: dict) -> float:
    """Largest absolute difference between two documents' logits (``inf`` if their set-ups differ)."""
    if a["images"] != b["images"] or len(a["models"]) != len(b["models"]):
        return math.inf
    worst = 0.0
    for ma, mb in zip(a["models"], b["models"]):
        if ma["tensors"] != mb["tensors"]:
            return math.inf
        for key in ("logits", "logits_tta_hflip"):
            worst = max(worst, float(np.abs(np.array(ma[key]) - np.array(mb[key])).max()))
    return worst


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m fertrain.reference", description=__doc__.splitlines()[0])
    p.add_argument("--data", default=DEFAULT_DATA)
    p.add_argument("--out", default=OUT)
    p.add_argument("--check", action="store_true",
                   help="replay --out's networks in timm and compare their logits instead of writing it")
    a = p.parse_args(argv)
    if a.check:
        with open(a.out) as f:
            committed = json.load(f)
        diff = compare(committed, replay(committed, a.data))
        print(f"max abs logit difference to {a.out}: {diff:.3g}")
        return 0 if diff <= 1e-4 else 1
    doc = build(a.data)
    with open(a.out, "w") as f:
        json.dump(doc, f, separators=(",", ":"))
        f.write("\n")
    for m in doc["models"]:
        lg = np.array(m["logits"])
        print(f"{m['arch']}@{m['input_size']}: logits std {lg.std():.3f}, max |x| {np.abs(lg).max():.3f}, "
              f"argmax {lg.argmax(1).tolist()}")
    print(f"wrote {a.out} ({os.path.getsize(a.out)} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
