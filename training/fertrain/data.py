"""FER2013 in the raw layout of ``../shared/datasets/fer2013`` and the network input built from it.

A split ``NAME`` is two files: ``NAME-images.u8`` (``[n, 48, 48]`` u8 gray, row-major, no header) and
``NAME-labels.u8`` (``[n]`` u8 class ids 0..6: angry, disgust, fear, happy, sad, surprise, neutral), the layout
that ``emotrace::classify::fer2013`` reads.

The network input is the one the Rust product feeds (``emotrace::classify::preprocess::from_gray``): the 48x48
image resized to 64x64 with pixel-centre bilinear interpolation (no antialiasing; ``F.interpolate(...,
mode="bilinear", align_corners=False)`` computes the same rule), then ``x / 127.5 - 1``, giving ``[N, 1, 64, 64]``
f32 in ``[-1, 1]``. Augmentation works on that tensor, batched, on whatever device the batch lives on, so a GPU
run needs no data-loader processes.
"""

from __future__ import annotations

import hashlib
import math
import os
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

#: Side of a FER2013 image, pixels.
FER_SIZE = 48
#: Side of the network input (``emotrace::classify::INPUT_SIZE``), pixels.
INPUT_SIZE = 64
#: Class names in label order.
CLASSES = ("angry", "disgust", "fear", "happy", "sad", "surprise", "neutral")


class DataError(Exception):
    """A split is missing or malformed; the message names the file."""


@dataclass
class Split:
    """One split in memory: ``images`` ``[n, 48, 48]`` u8, ``labels`` ``[n]`` int64, file checksums."""

    name: str
    images: np.ndarray
    labels: np.ndarray
    sha256: dict

    def __len__(self) -> int:
        return len(self.labels)


def split_paths(data_dir: str, name: str) -> tuple[str, str]:
    """``(DIR/NAME-images.u8, DIR/NAME-labels.u8)``."""
    return os.path.join(data_dir, f"{name}-images.u8"), os.path.join(data_dir, f"{name}-labels.u8")


def _read(path: str) -> bytes:
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError as e:
        raise DataError(f"cannot read FER2013 file {path}: {e.strerror}") from None


def load_split(data_dir: str, name: str) -> Split:
    """Reads split ``name`` from ``data_dir``.

    Raises :class:`DataError` (naming the file) when a file is missing, the image file is not a whole number of
    48x48 images, the counts differ, a label is not 0..6, or the split is empty.
    """
    ip, lp = split_paths(data_dir, name)
    ib, lb = _read(ip), _read(lp)
    per = FER_SIZE * FER_SIZE
    if len(ib) % per:
        raise DataError(f"{ip}: {len(ib)} bytes is not a whole number of 48x48 images")
    if len(ib) // per != len(lb):
        raise DataError(f"{ip} holds {len(ib) // per} images but {lp} holds {len(lb)} labels")
    if not lb:
        raise DataError(f"{lp}: the split is empty")
    labels = np.frombuffer(lb, dtype=np.uint8)
    bad = np.flatnonzero(labels >= len(CLASSES))
    if bad.size:
        raise DataError(f"{lp}: label {labels[bad[0]]} at index {bad[0]} is not a FER2013 class id (0..6)")
    images = np.frombuffer(ib, dtype=np.uint8).reshape(-1, FER_SIZE, FER_SIZE)
    sha = {os.path.basename(ip): hashlib.sha256(ib).hexdigest(), os.path.basename(lp): hashlib.sha256(lb).hexdigest()}
    return Split(name=name, images=images, labels=labels.astype(np.int64), sha256=sha)


def to_input(images_u8: torch.Tensor) -> torch.Tensor:
    """``[N, 48, 48]`` u8 (any device) -> ``[N, 1, 64, 64]`` f32 in ``[-1, 1]``, as the Rust ``from_gray``."""
    x = images_u8.unsqueeze(1).float()
    x = F.interpolate(x, size=(INPUT_SIZE, INPUT_SIZE), mode="bilinear", align_corners=False, antialias=False)
    return x / 127.5 - 1.0


@dataclass
class AugmentConfig:
    """Random augmentation of ``[N, 1, 64, 64]`` inputs (all on the batch's device).

    ``shift_px``: translation up to this many pixels each way (random crop with zero padding; 0 is mid-gray);
    ``rotate_deg``: rotation up to this many degrees each way; ``scale``: ``[lo, hi]`` zoom factor; ``hflip``:
    probability of a horizontal flip; ``erase_prob``: probability of timm's ``RandomErasing`` (random-noise patch).
    """

    shift_px: float = 6.0
    rotate_deg: float = 10.0
    scale: tuple = (0.9, 1.1)
    hflip: float = 0.5
    erase_prob: float = 0.25


def augment(x: torch.Tensor, cfg: AugmentConfig, gen: torch.Generator, eraser=None) -> torch.Tensor:
    """One random affine warp (shift, rotation, scale, flip) per image, then optional random erasing.

    ``x``: ``[N, 1, 64, 64]`` f32 in ``[-1, 1]``; ``gen``: a generator on ``x``'s device; ``eraser``: a
    ``timm.data.RandomErasing`` or ``None``. Returns a new tensor of the same shape; values outside the image
    are 0 (mid-gray).
    """
    n, dev = x.shape[0], x.device

    def u(lo, hi):
        return torch.rand(n, device=dev, generator=gen) * (hi - lo) + lo

    ang = u(-cfg.rotate_deg, cfg.rotate_deg) * (math.pi / 180.0)
    s = u(cfg.scale[0], cfg.scale[1])
    flip = torch.where(torch.rand(n, device=dev, generator=gen) < cfg.hflip, -1.0, 1.0)
    # affine_grid maps output coordinates in [-1, 1] to input coordinates: zoom s means sampling 1/s of the area.
    t = 2.0 * cfg.shift_px / INPUT_SIZE
    tx, ty = u(-t, t), u(-t, t)
    cos, sin = torch.cos(ang) / s, torch.sin(ang) / s
    theta = torch.stack(
        [torch.stack([cos * flip, -sin, tx], dim=1), torch.stack([sin * flip, cos, ty], dim=1)], dim=1
    )
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)
    out = F.grid_sample(x, grid, mode="bilinear", padding_mode="zeros", align_corners=False)
    if eraser is not None:
        out = eraser(out)
    return out.clamp_(-1.0, 1.0)
