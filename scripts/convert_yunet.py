#!/usr/bin/env python3
"""Convert YuNet-n (ONNX, as libfacedetection.train ships it) into the safetensors file emotrace loads.

Source: ``../shared/weights/yunet/yunet_n_dynamic.onnx`` from GitHub ``ShiqiYu/libfacedetection.train`` at commit
0047ac24afb1a50a0c6105001c89d1b5b805dbf1, file ``onnx/yunet_n_dynamic.onnx`` (sha256
104ee26c71d5c270ce79a6b3dced91c91013260d29a6bf18f9296c5b8c4c2b12), Apache-2.0 (the repository's LICENSE file,
copied to ``models/LICENSE-yunet``).  Output: ``models/yunet_n.safetensors``.

The ONNX export already folded every BatchNorm into its convolution, so each conv is a weight (OIHW, float32) and
a bias.  Tensors whose names the exporter kept (``backbone.model1.conv1.conv1.weight`` ...) are written under that
name; the folded ones it left numbered (``459``, ``462`` ...) are named after their place in the network:

* the stem conv (3x3, stride 2, 3 -> 16) is ``backbone.model0.conv1.weight``/``.bias``;
* a depthwise 3x3 conv that follows the pointwise conv ``P.conv1`` of a "DP unit" ``P`` is ``P.conv2``.

The script checks that the graph has exactly the topology ``src/detect/yunet.rs`` implements (op sequence, kernel
sizes, strides, groups, padding, the resize mode) and fails loudly otherwise.  Output is deterministic.

Run (from the repository root)::

    python3 -m venv scripts/.venv
    scripts/.venv/bin/pip install onnx numpy safetensors
    scripts/.venv/bin/python scripts/convert_yunet.py            # default paths
"""

import argparse
import hashlib
import json
import pathlib
import shutil
import sys

import numpy as np
import onnx
from onnx import numpy_helper
from safetensors.numpy import save_file

SOURCE_SHA256 = "104ee26c71d5c270ce79a6b3dced91c91013260d29a6bf18f9296c5b8c4c2b12"
SOURCE_COMMIT = "0047ac24afb1a50a0c6105001c89d1b5b805dbf1"


def main() -> int:
    here = pathlib.Path(__file__).resolve().parent.parent
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shared", type=pathlib.Path, default=here.parent / "shared")
    ap.add_argument("--out", type=pathlib.Path, default=here / "models")
    args = ap.parse_args()

    src = args.shared / "weights" / "yunet" / "yunet_n_dynamic.onnx"
    raw = src.read_bytes()
    digest = hashlib.sha256(raw).hexdigest()
    if digest != SOURCE_SHA256:
        sys.exit(f"{src}: sha256 {digest} is not the expected {SOURCE_SHA256}")
    model = onnx.load_from_string(raw)
    graph = model.graph
    inits = {i.name: numpy_helper.to_array(i) for i in graph.initializer}

    produced_by = {}  # tensor name -> conv name that produced it (through a ReLU too)
    tensors = {}
    names_in_order = []
    ops = []
    for node in graph.node:
        attrs = {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}
        if node.op_type == "Conv":
            x, w_name, b_name = node.input
            w, b = inits[w_name], inits[b_name]
            if "." in w_name:
                name = w_name[: -len(".weight")]
            elif x == "input":
                name = "backbone.model0.conv1"
            else:
                prev = produced_by.get(x)
                if prev is None or not prev.endswith(".conv1"):
                    sys.exit(f"{node.name}: cannot name the conv after {x}")
                name = prev[: -len(".conv1")] + ".conv2"
            if name in tensors:
                sys.exit(f"{node.name}: name {name} used twice")
            tensors[name + ".weight"] = np.ascontiguousarray(w.astype(np.float32))
            tensors[name + ".bias"] = np.ascontiguousarray(b.astype(np.float32))
            names_in_order.append(name)
            produced_by[node.output[0]] = name
            k = tuple(attrs["kernel_shape"])
            ops.append(("Conv", name, tuple(w.shape), attrs["group"], tuple(attrs["strides"]), tuple(attrs["pads"]), k))
        elif node.op_type == "Relu":
            produced_by[node.output[0]] = produced_by.get(node.input[0])
            ops.append(("Relu",))
        elif node.op_type == "MaxPool":
            assert attrs["kernel_shape"] == [2, 2] and attrs["strides"] == [2, 2] and attrs.get("ceil_mode", 0) == 0
            ops.append(("MaxPool",))
        elif node.op_type == "Resize":
            assert attrs["mode"] == b"nearest" and attrs["coordinate_transformation_mode"] == b"asymmetric"
            scales = inits[node.input[2]]
            assert list(scales) == [1, 1, 2, 2], scales
            ops.append(("Resize",))
        elif node.op_type in ("Add", "Sigmoid", "Transpose", "Shape", "Gather", "Unsqueeze", "Concat", "Reshape"):
            ops.append((node.op_type,))
        else:
            sys.exit(f"{node.name}: op {node.op_type} is not implemented in src/detect/yunet.rs")

    # Topology checks: what yunet.rs hard-codes.
    convs = [o for o in ops if o[0] == "Conv"]
    for _, name, shape, group, strides, pads, k in convs:
        if name == "backbone.model0.conv1":
            assert shape == (16, 3, 3, 3) and strides == (2, 2) and pads == (1, 1, 1, 1), name
        elif k == (1, 1):
            assert group == 1 and strides == (1, 1) and pads == (0, 0, 0, 0), name
        else:
            assert k == (3, 3) and strides == (1, 1) and pads == (1, 1, 1, 1), name
            assert group == shape[0] and shape[1] == 1, (name, group, shape)
    assert sum(1 for o in ops if o[0] == "MaxPool") == 4
    assert sum(1 for o in ops if o[0] == "Resize") == 2
    assert len(convs) == 59, len(convs)

    args.out.mkdir(parents=True, exist_ok=True)
    out = args.out / "yunet_n.safetensors"
    meta = {
        "source": "ShiqiYu/libfacedetection.train onnx/yunet_n_dynamic.onnx",
        "source_commit": SOURCE_COMMIT,
        "source_sha256": SOURCE_SHA256,
        "license": "Apache-2.0 (models/LICENSE-yunet)",
        "convs": json.dumps(names_in_order),
    }
    save_file(dict(sorted(tensors.items())), str(out), metadata=meta)
    shutil.copyfile(src.parent / "LICENSE", args.out / "LICENSE-yunet")
    print(f"{out}: {len(tensors)} tensors, {sum(t.size for t in tensors.values())} parameters, "
          f"sha256 {hashlib.sha256(out.read_bytes()).hexdigest()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
