"""Data loading and the network input, on the real FER2013 arrays."""

import numpy as np
import pytest
import torch

from fertrain.data import AugmentConfig, DataError, augment, load_split, to_input

# Class counts from ../shared/datasets/fer2013/README.md.
PUBLIC_TEST_COUNTS = [467, 56, 496, 895, 653, 415, 607]
TRAIN_COUNTS = [3995, 436, 4097, 7215, 4830, 3171, 4965]


def rust_resize(src: np.ndarray, d: int) -> np.ndarray:
    """emotrace::classify::preprocess::resize_bilinear, written out (f32, pixel centres, clamped)."""
    s = src.shape[0]
    ratio = np.float32(s) / np.float32(d)
    taps = []
    for i in range(d):
        f = max((np.float32(i) + np.float32(0.5)) * ratio - np.float32(0.5), np.float32(0))
        i0 = min(int(np.floor(f)), s - 1)
        i1 = min(i0 + 1, s - 1)
        t = np.float32(0) if i0 == s - 1 else np.float32(f - i0)
        taps.append((i0, i1, t))
    src = src.astype(np.float32)
    out = np.empty((d, d), np.float32)
    for y, (y0, y1, ty) in enumerate(taps):
        for x, (x0, x1, tx) in enumerate(taps):
            top = src[y0, x0] + (src[y0, x1] - src[y0, x0]) * tx
            bot = src[y1, x0] + (src[y1, x1] - src[y1, x0]) * tx
            out[y, x] = top + (bot - top) * ty
    return out


def test_splits_load_with_the_documented_counts(data_dir):
    test = load_split(data_dir, "public-test")
    assert test.images.shape == (3589, 48, 48) and test.images.dtype == np.uint8
    assert np.bincount(test.labels, minlength=7).tolist() == PUBLIC_TEST_COUNTS
    train = load_split(data_dir, "train")
    assert train.images.shape == (28709, 48, 48)
    assert np.bincount(train.labels, minlength=7).tolist() == TRAIN_COUNTS
    assert set(train.sha256) == {"train-images.u8", "train-labels.u8"}
    assert all(len(h) == 64 for h in train.sha256.values())


def test_malformed_splits_are_rejected_naming_the_file(tmp_path):
    with pytest.raises(DataError, match="nope-images.u8"):
        load_split(str(tmp_path), "nope")
    (tmp_path / "bad-images.u8").write_bytes(bytes(48 * 48 * 2 + 1))
    (tmp_path / "bad-labels.u8").write_bytes(bytes(2))
    with pytest.raises(DataError, match="whole number"):
        load_split(str(tmp_path), "bad")
    (tmp_path / "bad-images.u8").write_bytes(bytes(48 * 48 * 2))
    (tmp_path / "bad-labels.u8").write_bytes(bytes([0, 9]))
    with pytest.raises(DataError, match="label 9 at index 1"):
        load_split(str(tmp_path), "bad")
    (tmp_path / "bad-labels.u8").write_bytes(bytes(3))
    with pytest.raises(DataError, match="3 labels"):
        load_split(str(tmp_path), "bad")


def test_network_input_is_the_rust_preprocessing(data_dir):
    test = load_split(data_dir, "public-test")
    idx = [0, 1, 7, 100, 3588]
    x = to_input(torch.from_numpy(test.images[idx].copy()))
    assert x.shape == (5, 1, 64, 64) and x.dtype == torch.float32
    assert x.min() >= -1.0 and x.max() <= 1.0
    for k, i in enumerate(idx):
        want = rust_resize(test.images[i], 64) / np.float32(127.5) - np.float32(1)
        np.testing.assert_allclose(x[k, 0].numpy(), want, atol=2e-6)


def test_augmentation_shapes_range_and_determinism(data_dir):
    test = load_split(data_dir, "public-test")
    x = to_input(torch.from_numpy(test.images[:32].copy()))
    cfg = AugmentConfig(erase_prob=0.0)
    a = augment(x, cfg, torch.Generator().manual_seed(1))
    b = augment(x, cfg, torch.Generator().manual_seed(1))
    c = augment(x, cfg, torch.Generator().manual_seed(2))
    assert a.shape == x.shape and torch.equal(a, b) and not torch.equal(a, c)
    assert a.min() >= -1.0 and a.max() <= 1.0
    assert (a - x).abs().mean() > 0.05  # it changes the images


def test_identity_and_flip_warps_are_exact(data_dir):
    test = load_split(data_dir, "public-test")
    x = to_input(torch.from_numpy(test.images[:8].copy()))
    none = AugmentConfig(shift_px=0, rotate_deg=0, scale=(1.0, 1.0), hflip=0.0, erase_prob=0.0)
    torch.testing.assert_close(augment(x, none, torch.Generator().manual_seed(0)), x, atol=1e-5, rtol=0)
    flip = AugmentConfig(shift_px=0, rotate_deg=0, scale=(1.0, 1.0), hflip=1.0, erase_prob=0.0)
    torch.testing.assert_close(augment(x, flip, torch.Generator().manual_seed(0)), torch.flip(x, [3]), atol=1e-5, rtol=0)
