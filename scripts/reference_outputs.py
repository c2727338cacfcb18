#!/usr/bin/env python3
"""Reference outputs of the ORIGINAL emotion models for tests/it/classify_reference.rs.

* fer: Keras (TensorFlow backend) loads ``../shared/weights/fer/emotion_model.hdf5`` itself
  (``keras.models.load_model``) and predicts.
* human: TensorFlow.js (``@tensorflow/tfjs``, CPU backend, node) loads ``emotion.json`` + ``emotion.bin`` as a
  graph model and executes it (``scripts/reference_human.mjs``).

Inputs: the first public-test image of each FER2013 class plus the first image of the split (8 images, or 7 if it
is already among them, topped up with the next image), each resized 48 -> 64 with the same pixel-centre bilinear
rule as ``emotrace::classify::preprocess::resize_bilinear`` and scaled ``x / 127.5 - 1``.  The JSON records,
per image, the split index, the label, a few statistics of the input (so the Rust test can check it built the
same input) and both models' probabilities.

Run (from the repository root)::

    python3 -m venv scripts/.venv
    scripts/.venv/bin/pip install h5py numpy safetensors tensorflow-cpu   # TF 2.21 / Keras 3.15 were used
    (cd scripts && npm install)                                            # @tensorflow/tfjs 4.22.0
    scripts/.venv/bin/python scripts/reference_outputs.py
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile

import numpy as np

N_IMAGES = 8


def resize_bilinear(src, dw, dh):
    """Pixel-centre bilinear resize, clamped at the borders (cv2 INTER_LINEAR / tf.image.resize bilinear)."""
    sh, sw = src.shape

    def taps(d, s):
        ratio = np.float32(s) / np.float32(d)
        f = np.maximum((np.arange(d, dtype=np.float32) + np.float32(0.5)) * ratio - np.float32(0.5), 0)
        i0 = np.minimum(np.floor(f).astype(np.int64), s - 1)
        i1 = np.minimum(i0 + 1, s - 1)
        t = np.where(i0 == s - 1, np.float32(0), f - i0.astype(np.float32)).astype(np.float32)
        return i0, i1, t

    x0, x1, tx = taps(dw, sw)
    y0, y1, ty = taps(dh, sh)
    src = src.astype(np.float32)
    top = src[y0][:, x0] + (src[y0][:, x1] - src[y0][:, x0]) * tx[None, :]
    bot = src[y1][:, x0] + (src[y1][:, x1] - src[y1][:, x0]) * tx[None, :]
    return (top + (bot - top) * ty[:, None]).astype(np.float32)


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    root = os.path.dirname(here)
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--shared", default=os.path.join(root, "..", "shared"))
    ap.add_argument("--out", default=os.path.join(root, "tests", "data", "reference_outputs.json"))
    args = ap.parse_args()

    data = os.path.join(args.shared, "datasets", "fer2013")
    images = np.fromfile(os.path.join(data, "public-test-images.u8"), dtype=np.uint8).reshape(-1, 48, 48)
    labels = np.fromfile(os.path.join(data, "public-test-labels.u8"), dtype=np.uint8)
    idx = [int(np.argmax(labels == c)) for c in range(7)]
    extra = 0
    while len(idx) < N_IMAGES:
        if extra not in idx:
            idx.append(extra)
        extra += 1
    idx = sorted(idx)

    x = np.stack([resize_bilinear(images[i], 64, 64) / np.float32(127.5) - np.float32(1) for i in idx])
    x = x.astype(np.float32)[..., None]  # NHWC

    # fer: Keras loading the original .hdf5.
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import keras  # noqa: E402
    import tensorflow as tf  # noqa: E402

    fer_model = keras.models.load_model(
        os.path.join(args.shared, "weights", "fer", "emotion_model.hdf5"), compile=False
    )
    fer_probs = fer_model.predict(x, verbose=0)

    # human: TFJS in node executing the original graph model.
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump({"shape": list(x.shape), "data": [float(v) for v in x.ravel()]}, f)
        inputs_path = f.name
    try:
        out = subprocess.run(
            ["node", os.path.join(here, "reference_human.mjs"),
             os.path.join(args.shared, "weights", "human-models"), inputs_path],
            check=True, capture_output=True, text=True, cwd=here,
        )
    finally:
        os.unlink(inputs_path)
    human = json.loads(out.stdout)
    human_probs = np.asarray(human["probs"], dtype=np.float32)

    records = []
    for k, i in enumerate(idx):
        inp = x[k, :, :, 0]
        records.append({
            "index": i,
            "label": int(labels[i]),
            "input_sum": float(inp.astype(np.float64).sum()),
            "input_samples": {str(p): float(inp.ravel()[p]) for p in (0, 777, 2080, 4095)},
            "fer": [float(v) for v in fer_probs[k]],
            "human": [float(v) for v in human_probs[k]],
        })
    result = {
        "description": "Probabilities of the original implementations on FER2013 public-test images, "
                       "48x48 resized bilinearly (pixel centres) to 64x64, x / 127.5 - 1.",
        "generated_by": "scripts/reference_outputs.py",
        "fer_runtime": f"keras {keras.__version__} (tensorflow {tf.__version__}) load_model(emotion_model.hdf5)",
        "human_runtime": f"@tensorflow/tfjs {human['tfjs_version']} backend {human['backend']} "
                         "loadGraphModel(emotion.json + emotion.bin)",
        "labels": ["angry", "disgust", "fear", "happy", "sad", "surprise", "neutral"],
        "images": records,
    }
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, "w") as f:
        json.dump(result, f, indent=1)
        f.write("\n")
    print(f"wrote {args.out}: images {idx}")


if __name__ == "__main__":
    sys.exit(main())
