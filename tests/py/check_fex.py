"""Loads emotrace fex exports with py-feat's own reader and runs the Fex methods a py-feat user runs.

Usage: check_fex.py A.csv B.csv  (two sessions of two different inputs). Prints one JSON object of findings;
exits non-zero (an AssertionError or py-feat's own exception) when a step fails.
"""

import json
import sys
import warnings

import numpy as np
import pandas as pd
from feat.utils.io import read_feat

warnings.simplefilter("ignore")
a, b = (read_feat(p) for p in sys.argv[1:3])
out = {"rows": [len(a), len(b)]}

out["frame_rate_from_times"] = [
    1000 * (fx.frame.nunique() - 1) / (fx.timestamp_ms.max() - fx.timestamp_ms.min()) for fx in (a, b)
]
for fx in (a, b):
    # The sampling rate as the README documents it: the file's `sampling_freq` column (the source's frame rate).
    assert fx["sampling_freq"].nunique() == 1, fx["sampling_freq"].unique()
    fx.sampling_freq = float(fx["sampling_freq"].iloc[0])
out["sampling_freq"] = [a.sampling_freq, b.sampling_freq]

# emotions / facebox / inputs: py-feat's column groups.
emo = a.emotions
assert list(emo.columns) == ["anger", "disgust", "fear", "happiness", "sadness", "surprise", "neutral"], emo.columns
assert ((emo.sum(axis=1) - 1).abs() < 1e-3).all(), "probabilities sum to 1"
box = a.facebox
assert list(box.columns) == ["FaceRectX", "FaceRectY", "FaceRectWidth", "FaceRectHeight", "FaceScore"], box.columns
assert box.FaceScore.between(0, 1).all(), box.FaceScore.describe()
out["face_score_min"] = float(min(a.FaceScore.min(), b.FaceScore.min()))
# How FaceScore relates to the detector's own score: as is (YuNet), or the README's logistic (SeetaFace).
logistic = lambda s: 1 / (1 + np.exp(-(s - 5) / 1.5))
out["face_score_is"] = [
    "score" if np.allclose(fx.FaceScore, fx.detector_score, atol=1e-6)
    else "logistic" if np.allclose(fx.FaceScore, logistic(fx.detector_score), atol=1e-6)
    else "other"
    for fx in (a, b)
]
out["kept_by_face_score_0_9"] = [int((fx.FaceScore > 0.9).sum()) for fx in (a, b)]
out["track_names"] = sorted({*a.track_name.unique(), *b.track_name.unique()})
out["inputs"] = sorted({*a.inputs.unique(), *b.inputs.unique()})

# downsample to 1 Hz (one face per session here, so rows are frames).
ds = a.emotions.downsample(target=1, target_type="hz")
assert ds.sampling_freq == 1
out["downsampled_rows"] = len(ds)

# isc across the two inputs, over the frames they share.
both = pd.concat([a, b])
both = a.__class__(both, emotion_columns=a.emotion_columns, facebox_columns=a.facebox_columns)
isc = both.isc(col="happiness")
assert list(isc.columns) == out["inputs"], isc.columns
out["isc"] = isc.round(6).values.tolist()
print(json.dumps(out))
