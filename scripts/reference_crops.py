#!/usr/bin/env python3
"""Reference face crops for tests/it/classify_crop.rs: the cropping code of PyPI ``fer`` 25.10.3
(``FER.detect_emotions``: ``pad``, ``tosquare``, ``__apply_offsets``, the slice of the padded frame and
``cv2.resize`` to 64x64), copied here line for line and run with OpenCV on a synthetic gray frame that the Rust
test builds with the same formula (so JPEG decoders and RGB->gray weights play no part).

Run (from the repository root)::

    scripts/.venv/bin/pip install numpy opencv-python-headless
    scripts/.venv/bin/python scripts/reference_crops.py
"""

import json
import os
import sys

import cv2
import numpy as np

PADDING = 40  # fer.fer.PADDING
OFFSETS = (10, 10)  # FER(offsets=(10, 10)), the default
W, H = 320, 240
# (x, y, w, h) boxes as a detector gives them: inside, tall, wide, across the left/top edge, across the
# bottom/right edge, larger than the padded frame allows.
BOXES = [(100, 60, 80, 80), (30, 50, 61, 90), (150, 120, 120, 70), (-20, -15, 70, 70), (260, 190, 90, 80),
         (120, 100, 40, 40)]


def frame():
    """The synthetic frame: value (x * 7 + y * 13 + (x * y) % 31) % 256, row-major [H, W] u8."""
    y, x = np.mgrid[0:H, 0:W]
    return ((x * 7 + y * 13 + (x * y) % 31) % 256).astype(np.uint8)


# --- fer 25.10.3, fer/fer.py -----------------------------------------------------------------------------
def pad(image):
    row, col = image.shape[:2]
    bottom = image[row - 2: row, 0:col]
    mean = cv2.mean(bottom)[0]
    return cv2.copyMakeBorder(image, top=PADDING, bottom=PADDING, left=PADDING, right=PADDING,
                              borderType=cv2.BORDER_CONSTANT, value=[mean, mean, mean])


def tosquare(bbox):
    x, y, w, h = bbox
    if h > w:
        diff = h - w
        x -= diff // 2
        w += diff
    elif w > h:
        diff = w - h
        y -= diff // 2
        h += diff
    return (x, y, w, h)


def apply_offsets(face_coordinates):
    x, y, width, height = face_coordinates
    x_off, y_off = OFFSETS
    return x - x_off, x + width + x_off, y - y_off, y + height + y_off


def fer_crop(gray_img, face_coordinates):
    gray_img = pad(gray_img)
    face_coordinates = tosquare(face_coordinates)
    x1, x2, y1, y2 = apply_offsets(face_coordinates)
    x1 += PADDING
    y1 += PADDING
    x2 += PADDING
    y2 += PADDING
    x1 = max(0, x1)
    y1 = max(0, y1)
    gray_face = gray_img[y1:y2, x1:x2]
    return cv2.resize(gray_face, (64, 64))
# -----------------------------------------------------------------------------------------------------------


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    out = os.path.join(os.path.dirname(here), "tests", "data", "reference_crops.json")
    img = frame()
    crops = []
    for box in BOXES:
        c = fer_crop(img, box)
        assert c.shape == (64, 64) and c.dtype == np.uint8
        crops.append({"bbox": list(box), "crop_hex": c.tobytes().hex()})
    result = {
        "description": "64x64 u8 crops by PyPI fer 25.10.3's cropping code (cv2 INTER_LINEAR) of a synthetic "
                       f"{W}x{H} frame, value (x * 7 + y * 13 + (x * y) % 31) % 256",
        "generated_by": "scripts/reference_crops.py",
        "opencv": cv2.__version__,
        "width": W,
        "height": H,
        "crops": crops,
    }
    with open(out, "w") as f:
        json.dump(result, f, indent=1)
        f.write("\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    sys.exit(main())
