#!/usr/bin/env python3
"""Converts the face descriptor of face-api.js into ``models/face_descriptor.safetensors`` (issue 21).

Source: ``../shared/weights/face-api/face_recognition_model.bin`` + ``face_recognition_model-weights_manifest.json``
from npm ``@vladmandic/face-api`` 1.7.15 (MIT), face-api.js's port of dlib's ``dlib_face_recognition_resnet_model_v1``
(Davis King, public domain): a ResNet-34 variant with 29 convolutions and half the filters, 150x150 RGB in, a
128-d descriptor out.

The weights are kept exactly as face-api ships them: 109 of the 117 tensors are 8-bit quantized per tensor
(``value = min + scale * q``), which TensorFlow.js expands to float32 when it loads them. The safetensors file holds
each quantized tensor as ``U8`` under its own name (``conv32_down/conv/filters``, layout as shipped: conv filters
HWIO, ``fc`` [256, 128]) with two F64 scalars beside it (the manifest's own doubles), ``NAME.q_scale`` and ``NAME.q_min``; the 8 float32 tensors
are ``F32``. ``src/face/descriptor.rs`` expands them as TensorFlow.js does (in double precision, rounded to f32),
so the weights the Rust network multiplies with are bit-identical to the reference's. The file stays the size of the
shipped one (6.4 MB) instead of 25 MB of float32.

The script checks the manifest against the layer list that ``descriptor.rs`` implements (names, shapes, in order),
writes the file byte-for-byte reproducibly and prints its sha256.

Run (from the repository root; numpy only)::

    tests/.venv/bin/python scripts/convert_descriptor.py                  # default paths
    tests/.venv/bin/python scripts/convert_descriptor.py --shared ../shared --out models
"""

import argparse
import hashlib
import json
import os
import shutil
import struct
import sys

import numpy as np

# The network as FaceRecognitionNet.forwardInput runs it: (block name, kind, input channels, output channels).
# kind: "stem" (conv 7x7 /2 valid + scale + ReLU, then max pool 3x3 /2), "res" (two 3x3 convs, identity shortcut),
# "down" (3x3 /2 valid then 3x3, shortcut 2x2 average pool, zero channels appended when the width doubles).
LAYERS = [
    ("conv32_down", "stem", 3, 32),
    ("conv32_1", "res", 32, 32),
    ("conv32_2", "res", 32, 32),
    ("conv32_3", "res", 32, 32),
    ("conv64_down", "down", 32, 64),
    ("conv64_1", "res", 64, 64),
    ("conv64_2", "res", 64, 64),
    ("conv64_3", "res", 64, 64),
    ("conv128_down", "down", 64, 128),
    ("conv128_1", "res", 128, 128),
    ("conv128_2", "res", 128, 128),
    ("conv256_down", "down", 128, 256),
    ("conv256_1", "res", 256, 256),
    ("conv256_2", "res", 256, 256),
    ("conv256_down_out", "down", 256, 256),
]


def expected_tensors():
    """(name, shape) of every tensor in manifest order."""
    out = []

    def conv(prefix, k, cin, cout):
        out.extend([
            (f"{prefix}/conv/filters", [k, k, cin, cout]),
            (f"{prefix}/conv/bias", [cout]),
            (f"{prefix}/scale/weights", [cout]),
            (f"{prefix}/scale/biases", [cout]),
        ])

    for name, kind, cin, cout in LAYERS:
        if kind == "stem":
            conv(name, 7, cin, cout)
        else:
            conv(f"{name}/conv1", 3, cin, cout)
            conv(f"{name}/conv2", 3, cout, cout)
    out.append(("fc", [256, 128]))
    return out


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def save_file(tensors, path, metadata):
    """A safetensors file written byte-for-byte reproducibly: tensors in name order, sorted header keys, the header
    padded with spaces to 8 bytes. ``tensors`` maps a name to a numpy array of dtype uint8 or float32."""
    header = {"__metadata__": dict(sorted(metadata.items()))}
    offset = 0
    blobs = []
    for name in sorted(tensors):
        t = tensors[name]
        if t.dtype == np.uint8:
            dtype = "U8"
        elif t.dtype == np.float64:
            dtype = "F64"
        else:
            t = t.astype("<f4")
            dtype = "F32"
        data = np.ascontiguousarray(t).tobytes()
        header[name] = {"dtype": dtype, "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
        blobs.append(data)
    text = json.dumps(header, sort_keys=True, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for b in blobs:
            f.write(b)


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--shared", default=os.path.join(here, "..", "..", "shared"))
    ap.add_argument("--out", default=os.path.join(here, "..", "models"))
    args = ap.parse_args()
    src_dir = os.path.join(args.shared, "weights", "face-api")
    manifest_path = os.path.join(src_dir, "face_recognition_model-weights_manifest.json")
    bin_path = os.path.join(src_dir, "face_recognition_model.bin")
    manifest = json.load(open(manifest_path))
    specs = [w for group in manifest for w in group["weights"]]
    want = expected_tensors()
    got = [(w["name"], w["shape"]) for w in specs]
    if got != want:
        for a, b in zip(got, want):
            if a != b:
                sys.exit(f"manifest differs from the layer list: {a} where {b} was expected")
        sys.exit(f"manifest has {len(got)} tensors, the layer list {len(want)}")
    data = open(bin_path, "rb").read()
    tensors = {}
    offset = 0
    quantized = 0
    for w in specs:
        n = int(np.prod(w["shape"]))
        q = w.get("quantization")
        if q is not None:
            if q["dtype"] != "uint8" or w["dtype"] != "float32":
                sys.exit(f"{w['name']}: unsupported quantization {q}")
            arr = np.frombuffer(data, dtype=np.uint8, count=n, offset=offset).reshape(w["shape"])
            tensors[w["name"]] = arr.copy()
            tensors[w["name"] + ".q_scale"] = np.array(q["scale"], dtype="<f8")
            tensors[w["name"] + ".q_min"] = np.array(q["min"], dtype="<f8")
            offset += n
            quantized += 1
        else:
            arr = np.frombuffer(data, dtype="<f4", count=n, offset=offset).reshape(w["shape"])
            tensors[w["name"]] = arr.copy()
            offset += 4 * n
    if offset != len(data):
        sys.exit(f"{bin_path}: {len(data)} bytes, the manifest describes {offset}")
    metadata = {
        "format": "face-api FaceRecognitionNet weights as shipped: U8 tensors with F64 scalars NAME.q_scale and "
        "NAME.q_min (value = min + scale * q, computed in f64 and rounded to f32 as TensorFlow.js does), F32 "
        "tensors as is; conv filters HWIO, fc [256, 128]",
        "source": "npm @vladmandic/face-api 1.7.15 (MIT), model/face_recognition_model.bin + "
        "face_recognition_model-weights_manifest.json: face-api.js's port of dlib_face_recognition_resnet_model_v1 "
        "(Davis King, public domain)",
        "source_sha256": f"face_recognition_model.bin {sha256(bin_path)}; manifest {sha256(manifest_path)}",
        "input": "[N, 150, 150, 3] RGB 0..255, minus the mean (122.782, 117.001, 104.298), divided by 255",
        "output": "[N, 128] descriptor; dlib: Euclidean distance < 0.6 means the same person",
        "converted_by": "scripts/convert_descriptor.py",
    }
    os.makedirs(args.out, exist_ok=True)
    dst = os.path.join(args.out, "face_descriptor.safetensors")
    save_file(tensors, dst, metadata)
    shutil.copyfile(os.path.join(src_dir, "LICENSE"), os.path.join(args.out, "LICENSE-face-api"))
    print(f"{dst}: {len(specs)} tensors ({quantized} quantized), sha256 {sha256(dst)}")
    print(f"  source: face_recognition_model.bin {sha256(bin_path)}")


if __name__ == "__main__":
    main()
