"""Checkpoint export: the timm model's ``state_dict`` as safetensors, plus a JSON model card.

The safetensors file holds every tensor of ``FerNet.net.state_dict()`` under timm's own names (or
:class:`fertrain.model.VggNet`'s) (f32; BatchNorm's
``num_batches_tracked`` stays i64), so ``timm.create_model(arch).load_state_dict(...)`` and candle-transformers
both load it as it is. Its string metadata (read by ``src/classify/ours.rs``):

* ``format``: :data:`FORMAT`
* ``arch``: architecture name (timm's ``repvgg_a0``, ``resnet18``, or our ``vgg``)
* ``widths``: ``vgg`` only: the stage widths, comma-separated (``16,32,64,128``)
* ``input_size``: side the 64x64 ``[-1, 1]`` face is resized to before the network (``64`` = as it is)
* ``in_chans``: ``3`` (gray repeated; ``1`` for ``vgg``, which takes the gray channel); ``num_classes``: ``7``; ``labels``: comma-separated class names
* ``tta_hflip``: ``true``/``false``: average the logits of the face and its mirror image
* ``model_card``: the model card as JSON (also written beside the checkpoint)
"""

from __future__ import annotations

import json
import os

import torch
from safetensors.torch import load_file, save_file

from .data import CLASSES, INPUT_SIZE

#: Value of the ``format`` metadata key; the Rust loader refuses other values.
FORMAT = "emotrace-fer-timm/1"
#: Keys every exported checkpoint's metadata has.
METADATA_KEYS = ("format", "arch", "input_size", "in_chans", "num_classes", "labels", "tta_hflip", "model_card")


def export(model, path: str, card: dict, tta_hflip: bool) -> None:
    """Writes ``model.net``'s state_dict to ``path`` (safetensors) and ``card`` to ``path`` with ``.json``.

    ``model``: a :class:`fertrain.model.FerNet`; ``card``: JSON-serialisable dict (the model card).
    """
    tensors = {k: v.detach().to("cpu").contiguous() for k, v in model.net.state_dict().items()}
    tensors = {k: (v.float() if v.is_floating_point() else v) for k, v in tensors.items()}
    meta = {
        "format": FORMAT,
        "arch": model.arch,
        "input_size": str(model.input_size),
        "in_chans": "1" if model.widths else "3",
        "num_classes": str(len(CLASSES)),
        "labels": ",".join(CLASSES),
        "tta_hflip": "true" if tta_hflip else "false",
        "model_card": json.dumps(card, sort_keys=True),
    }
    if model.widths:
        meta["widths"] = ",".join(str(w) for w in model.widths)
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    save_file(tensors, path, metadata=meta)
    with open(card_path(path), "w") as f:
        json.dump(card, f, indent=2, sort_keys=True)
        f.write("\n")


def card_path(path: str) -> str:
    """``runs/x/model.safetensors`` -> ``runs/x/model.json``."""
    return os.path.splitext(path)[0] + ".json"


def read_metadata(path: str) -> dict:
    """The string metadata of a safetensors file (``{}`` when it has none)."""
    with open(path, "rb") as f:
        n = int.from_bytes(f.read(8), "little")
        header = json.loads(f.read(n))
    return header.get("__metadata__", {})


def load(path: str, device: str = "cpu"):
    """Rebuilds the :class:`fertrain.model.FerNet` of an exported checkpoint (strict load) and its metadata."""
    from .model import FerNet

    meta = read_metadata(path)
    if meta.get("format") != FORMAT:
        raise ValueError(f"{path}: not an emotrace timm checkpoint (format {meta.get('format')!r}, want {FORMAT})")
    widths = [int(w) for w in meta["widths"].split(",")] if meta.get("widths") else None
    model = FerNet(meta["arch"], int(meta.get("input_size", INPUT_SIZE)), widths=widths)
    model.net.load_state_dict(load_file(path, device=device), strict=True)
    return model.eval(), meta
