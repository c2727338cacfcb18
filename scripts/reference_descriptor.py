#!/usr/bin/env python3
"""Reference face descriptors for tests/it/face_descriptor.rs (issue 21).

For a few faces of the shared photos (their eye landmarks from tests/data/yunet_reference.json, i.e. YuNet as
onnxruntime runs it), cuts the 150x150 face chip aligned by its five landmarks with the same geometry as
``emotrace::face::descriptor::face_chip`` (numpy, bilinear, black outside), saves each chip as a PNG in
``tests/data/descriptor/`` (lossless, so the Rust test reads exactly these pixels), runs face-api's own
``computeFaceDescriptor`` on them under node (``scripts/reference_descriptor.cjs``) and writes
``tests/data/descriptor_reference.json``: per chip, its source (photo, face), the PNG, and the 128 numbers.

Run (from the repository root)::

    (cd scripts && npm ci)                                        # @vladmandic/face-api 1.7.15, @tensorflow/tfjs 4.22.0
    tests/.venv/bin/python scripts/reference_descriptor.py        # numpy and Pillow
"""

import json
import os
import subprocess
import sys
import tempfile

import numpy as np
from PIL import Image

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
SHARED = os.path.join(ROOT, "..", "shared")
OUT_DIR = os.path.join(ROOT, "tests", "data", "descriptor")
OUT_JSON = os.path.join(ROOT, "tests", "data", "descriptor_reference.json")

SIZE = 150
# CHIP_TEMPLATE of src/face/descriptor.rs: where dlib's face chips put YuNet's five points (fractions of the side).
TEMPLATE = np.array([[0.3169, 0.3107], [0.6697, 0.3107], [0.4934, 0.5104], [0.3361, 0.6868], [0.6507, 0.6868]],
                    dtype=np.float32)
# (photo, index of the face in yunet_reference.json's list for it).
FACES = [
    ("solvay-1927-boxed.png", 0),
    ("solvay-1927-boxed.png", 1),
    ("solvay-1927-boxed.png", 2),
    ("multi_face.jpg", 0),
    ("multi_face.jpg", 1),
    ("single_face.jpg", 0),
    ("sample2.jpg", 1),
    ("0-f1-su-ph.jpg", 0),
]


def similarity(frm, to):
    """similarity() of src/face/descriptor.rs: the least-squares similarity transform taking `frm` to `to`."""
    f = np.float32
    fx, fy = sum(p[0] for p in frm) / f(5), sum(p[1] for p in frm) / f(5)
    tx, ty = sum(p[0] for p in to) / f(5), sum(p[1] for p in to) / f(5)
    num_a = num_b = den = f(0)
    for p, q in zip(frm, to):
        dx, dy, sx, sy = p[0] - fx, p[1] - fy, q[0] - tx, q[1] - ty
        num_a += dx * sx + dy * sy
        num_b += dx * sy - dy * sx
        den += dx * dx + dy * dy
    a, b = num_a / den, num_b / den
    return a, b, tx - (a * fx - b * fy), ty - (b * fx + a * fy)


def face_chip(rgb, landmarks):
    """The chip of face_chip() in src/face/descriptor.rs, in float32 like the Rust code."""
    h, w, _ = rgb.shape
    f = np.float32
    template = [(x * f(SIZE), y * f(SIZE)) for x, y in TEMPLATE]
    lm = [(f(x), f(y)) for x, y in landmarks]
    a, b, tx, ty = similarity(template, lm)
    src = rgb.astype(np.float32)
    out = np.zeros((SIZE, SIZE, 3), dtype=np.uint8)

    def at(xi, yi):
        if xi < 0 or yi < 0 or xi >= w or yi >= h:
            return np.zeros(3, dtype=np.float32)
        return src[yi, xi]

    for v in range(SIZE):
        cy = f(v) + f(0.5)
        for u in range(SIZE):
            cx = f(u) + f(0.5)
            sx = a * cx - b * cy + tx - f(0.5)
            sy = b * cx + a * cy + ty - f(0.5)
            x0, y0 = np.floor(sx), np.floor(sy)
            fx, fy = sx - x0, sy - y0
            xi, yi = int(x0), int(y0)
            top = at(xi, yi) + (at(xi + 1, yi) - at(xi, yi)) * fx
            bot = at(xi, yi + 1) + (at(xi + 1, yi + 1) - at(xi, yi + 1)) * fx
            out[v, u] = np.clip(np.round(top + (bot - top) * fy), 0, 255).astype(np.uint8)
    return out


def main():
    yunet = json.load(open(os.path.join(ROOT, "tests", "data", "yunet_reference.json")))["images"]
    os.makedirs(OUT_DIR, exist_ok=True)
    chips, cases = [], []
    for photo, face in FACES:
        rgb = np.asarray(Image.open(os.path.join(SHARED, "media", photo)).convert("RGB"))
        lm = yunet[photo]["faces"][face]["landmarks"]
        chip = face_chip(rgb, lm)
        name = f"{os.path.splitext(photo)[0]}-{face}.png"
        Image.fromarray(chip).save(os.path.join(OUT_DIR, name), optimize=True)
        chips.append(chip.reshape(-1).tolist())
        cases.append({"photo": photo, "face": face, "landmarks": lm, "chip": f"descriptor/{name}"})
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as tmp:
        json.dump({"chips": chips}, tmp)
    try:
        out = subprocess.run(
            ["node", os.path.join(ROOT, "scripts", "reference_descriptor.cjs"),
             os.path.join(SHARED, "weights", "face-api"), tmp.name],
            check=True, capture_output=True, text=True, cwd=os.path.join(ROOT, "scripts"),
        )
    finally:
        os.unlink(tmp.name)
    ref = json.loads(out.stdout)
    for case, d in zip(cases, ref["descriptors"]):
        case["descriptor"] = [float(np.float32(v)) for v in d]
    doc = {
        "description": "face-api's own computeFaceDescriptor (FaceRecognitionNet) on 150x150 face chips aligned by "
        "their five landmarks (YuNet landmarks from yunet_reference.json), cut by scripts/reference_descriptor.py",
        "generated_by": "scripts/reference_descriptor.py + scripts/reference_descriptor.cjs",
        "face_api": ref["face_api_version"],
        "tfjs": ref["tfjs_version"],
        "backend": ref["backend"],
        "cases": cases,
    }
    with open(OUT_JSON, "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")
    print(f"{OUT_JSON}: {len(cases)} descriptors (face-api {ref['face_api_version']}, tfjs {ref['tfjs_version']})")


if __name__ == "__main__":
    sys.exit(main())
