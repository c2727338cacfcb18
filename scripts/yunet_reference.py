#!/usr/bin/env python3
"""Reference detections of YuNet-n by onnxruntime, for `tests/it/detect_yunet.rs` (agreement with the candle port).

For each image, the network runs on the whole image at its own size (no resize, so both sides see the same
pixels), padded with zeros at the bottom and right to multiples of 32, as BGR float 0..255; the outputs are
decoded and suppressed as OpenCV's ``FaceDetectorYN`` does (score ``sqrt(cls * obj)``, NMS at IoU 0.3), with the
score threshold below.  Writes ``tests/data/yunet_reference.json``: per image, the decoded pixels' mean (to tell a
JPEG decoder difference from a network difference) and the faces (box x, y, w, h, score, five landmarks).

Run (from the repository root)::

    python3 -m venv scripts/.venv
    scripts/.venv/bin/pip install onnxruntime numpy pillow
    scripts/.venv/bin/python scripts/yunet_reference.py
"""

import json
import pathlib
import sys

import numpy as np
import onnxruntime as ort
from PIL import Image

IMAGES = ["solvay-1927-boxed.png", "multi_face.jpg", "single_face.jpg", "sample2.jpg", "0-f1-su-ph.jpg"]
SCORE = 0.6
NMS_IOU = 0.3


def iou(a, b):
    x0, y0 = max(a[0], b[0]), max(a[1], b[1])
    x1, y1 = min(a[0] + a[2], b[0] + b[2]), min(a[1] + a[3], b[1] + b[3])
    inter = max(0.0, x1 - x0) * max(0.0, y1 - y0)
    union = a[2] * a[3] + b[2] * b[3] - inter
    return inter / union if union > 0 else 0.0


def detect(sess, rgb):
    h, w, _ = rgb.shape
    ph, pw = (h + 31) // 32 * 32, (w + 31) // 32 * 32
    x = np.zeros((1, 3, ph, pw), np.float32)
    x[0, :, :h, :w] = rgb[:, :, ::-1].transpose(2, 0, 1)
    outs = dict(zip([o.name for o in sess.get_outputs()], sess.run(None, {"input": x})))
    faces = []
    for s in (8, 16, 32):
        cols = pw // s
        cls, obj = outs[f"cls_{s}"][0, :, 0], outs[f"obj_{s}"][0, :, 0]
        bbox, kps = outs[f"bbox_{s}"][0], outs[f"kps_{s}"][0]
        score = np.sqrt(np.clip(cls, 0, 1) * np.clip(obj, 0, 1))
        for i in np.nonzero(score >= SCORE)[0]:
            r, c = divmod(int(i), cols)
            cx, cy = (c + bbox[i, 0]) * s, (r + bbox[i, 1]) * s
            bw, bh = np.exp(bbox[i, 2]) * s, np.exp(bbox[i, 3]) * s
            lm = [[float((c + kps[i, 2 * k]) * s), float((r + kps[i, 2 * k + 1]) * s)] for k in range(5)]
            faces.append({"box": [float(cx - bw / 2), float(cy - bh / 2), float(bw), float(bh)],
                          "score": float(score[i]), "landmarks": lm})
    faces.sort(key=lambda f: -f["score"])
    kept = []
    for f in faces:
        if all(iou(f["box"], k["box"]) <= NMS_IOU for k in kept):
            kept.append(f)
    return kept


def main() -> int:
    root = pathlib.Path(__file__).resolve().parent.parent
    media = root.parent / "shared" / "media"
    sess = ort.InferenceSession(str(root.parent / "shared" / "weights" / "yunet" / "yunet_n_dynamic.onnx"),
                                providers=["CPUExecutionProvider"])
    out = {"onnxruntime": ort.__version__, "score_threshold": SCORE, "nms_iou": NMS_IOU, "images": {}}
    for name in IMAGES:
        rgb = np.asarray(Image.open(media / name).convert("RGB"))
        faces = detect(sess, rgb)
        out["images"][name] = {"mean": float(rgb.mean()), "faces": faces}
        print(name, len(faces), "faces")
    path = root / "tests" / "data" / "yunet_reference.json"
    path.write_text(json.dumps(out, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
