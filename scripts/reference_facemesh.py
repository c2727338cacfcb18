#!/usr/bin/env python3
"""Reference outputs of the ORIGINAL Face Mesh graph model for tests/it/face_mesh.rs.

Faces: the detector boxes and five landmarks that onnxruntime's YuNet gave on the shared photos
(``tests/data/yunet_reference.json``, written by ``scripts/yunet_reference.py``): every face of
``multi_face.jpg``, ``single_face.jpg``, ``sample2.jpg`` (one of them in profile), ``0-f1-su-ph.jpg`` and the
first four of ``solvay-1927-boxed.png`` (a PNG: its decoded pixels are the same in every decoder, so its crops are
bit-identical on both sides).  Each crop is the region ``emotrace::face::mesh::CropFrame::around`` makes (a square
of 1.5 times the box's longer side around its centre, turned so that the eyes are level), cut the same way
(bilinear at the crop pixels' centres, black outside the frame, RGB / 255) from the photo as PIL decodes it.

TensorFlow.js (``@tensorflow/tfjs`` 4.22.0, CPU backend, node) executes ``facemesh.json`` + ``facemesh.bin`` on
those crops (``scripts/reference_facemesh.mjs``).  The JSON records, per face, the photo, the crop (centre, side,
angle), the mean of each channel of the crop (so that the Rust test knows whether it rebuilt the same input:
JPEG decoders may differ by a level here and there), the face flag and the 468 x (x, y, z) landmarks as
base64 little-endian float32.

Run (from the repository root)::

    (cd scripts && npm install)                          # @tensorflow/tfjs 4.22.0
    tests/.venv/bin/python scripts/reference_facemesh.py # numpy + pillow
"""

import argparse
import base64
import json
import math
import os
import subprocess
import sys
import tempfile

import numpy as np
from PIL import Image

SIZE = 192
CROP_SCALE = 1.5
PHOTOS = {"multi_face.jpg": None, "single_face.jpg": None, "sample2.jpg": None, "0-f1-su-ph.jpg": None,
          "solvay-1927-boxed.png": 4}


def crop_frame(box, landmarks):
    x, y, w, h = box
    cx, cy = x + w / 2, y + h / 2
    (rx, ry), (lx, ly) = landmarks[0], landmarks[1]
    angle = math.atan2(ly - ry, lx - rx) if math.hypot(lx - rx, ly - ry) > 1e-3 else 0.0
    return np.float32(cx), np.float32(cy), np.float32(max(CROP_SCALE * max(w, h), 1.0)), np.float32(angle)


def cut(rgb, cx, cy, side, angle):
    """Mirror of CropFrame::cut, in float32: [192, 192, 3] (NHWC)."""
    h, w, _ = rgb.shape
    s = np.float32(side / np.float32(SIZE))
    sin, cos = np.float32(math.sin(angle)), np.float32(math.cos(angle))
    half = np.float32(SIZE / 2)
    idx = np.arange(SIZE, dtype=np.float32) + np.float32(0.5) - half
    dv, du = np.meshgrid(idx * s, idx * s, indexing="ij")
    fx = cx + du * cos - dv * sin - np.float32(0.5)
    fy = cy + du * sin + dv * cos - np.float32(0.5)
    x0, y0 = np.floor(fx), np.floor(fy)
    tx, ty = fx - x0, fy - y0
    x0, y0 = x0.astype(np.int64), y0.astype(np.int64)
    acc = np.zeros((SIZE, SIZE, 3), np.float32)
    img = rgb.astype(np.float32)
    for dy, wy in ((0, 1 - ty), (1, ty)):
        for dx, wx in ((0, 1 - tx), (1, tx)):
            xx, yy = x0 + dx, y0 + dy
            ok = (xx >= 0) & (yy >= 0) & (xx < w) & (yy < h)
            px = img[np.clip(yy, 0, h - 1), np.clip(xx, 0, w - 1)]
            acc += np.where(ok[..., None], (wx * wy)[..., None] * px, 0).astype(np.float32)
    return (acc / np.float32(255)).astype(np.float32)


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    root = os.path.dirname(here)
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--shared", default=os.path.join(root, "..", "shared"))
    ap.add_argument("--out", default=os.path.join(root, "tests", "data", "facemesh_reference.json"))
    args = ap.parse_args()
    yunet = json.load(open(os.path.join(root, "tests", "data", "yunet_reference.json")))
    faces, crops = [], []
    for name, limit in PHOTOS.items():
        rgb = np.asarray(Image.open(os.path.join(args.shared, "media", name)).convert("RGB"))
        for f in yunet["images"][name]["faces"][:limit]:
            cx, cy, side, angle = crop_frame(f["box"], f["landmarks"])
            crop = cut(rgb, cx, cy, side, angle)
            crops.append(crop)
            faces.append({"image": name, "box": f["box"], "landmarks": f["landmarks"][:2],
                          "crop": {"center": [float(cx), float(cy)], "side": float(side), "angle": float(angle)},
                          "channel_means": [float(m) for m in crop.reshape(-1, 3).astype(np.float64).mean(0)]})
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "crops.f32")
        np.stack(crops).astype("<f4").tofile(path)
        model_dir = os.path.join(args.shared, "weights", "human-models")
        out = subprocess.run(["node", os.path.join(here, "reference_facemesh.mjs"), model_dir, path, str(len(crops))],
                             check=True, capture_output=True, text=True).stdout
    ref = json.loads(out)
    for f, mesh, flag in zip(faces, ref["mesh"], ref["faceflag"]):
        f["faceflag"] = flag[0]
        f["mesh_f32le"] = base64.b64encode(np.asarray(mesh, dtype="<f4").tobytes()).decode()
    doc = {"tfjs": ref["tfjs_version"], "backend": ref["backend"], "faces": faces}
    with open(args.out, "w") as fh:
        json.dump(doc, fh, indent=1)
        fh.write("\n")
    print(f"{args.out}: {len(faces)} faces; face flags {[round(f['faceflag'], 3) for f in faces]}")


if __name__ == "__main__":
    sys.exit(main())
