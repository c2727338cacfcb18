"""Export format, recipes, metrics, a tiny end-to-end run and the committed Rust reference."""

import glob
import json
import os

import numpy as np
import pytest
import timm
import torch
from safetensors.torch import load_file

from fertrain import export, reference
from fertrain.model import DEFAULT_VGG_WIDTHS, SUPPORTED_ARCHS, TIMM_ARCHS, FerNet
from fertrain.train import DEFAULTS, load_config, metrics, train

CONFIGS = sorted(glob.glob(os.path.join(os.path.dirname(os.path.dirname(__file__)), "configs", "*.json")))


@pytest.mark.parametrize("arch", TIMM_ARCHS)
def test_export_keeps_timm_names_and_writes_the_metadata(arch, tmp_path):
    torch.manual_seed(0)
    model = FerNet(arch).eval()
    card = {"architecture": arch, "public_test": {"accuracy": 0.5}}
    path = str(tmp_path / "model.safetensors")
    export.export(model, path, card, tta_hflip=True)
    tensors = load_file(path)
    want = timm.create_model(arch, num_classes=7, in_chans=3).state_dict()
    assert set(tensors) == set(want)
    for k, v in want.items():
        assert tuple(tensors[k].shape) == tuple(v.shape), k
        assert tensors[k].dtype == (torch.float32 if v.is_floating_point() else v.dtype), k
    meta = export.read_metadata(path)
    assert set(export.METADATA_KEYS) <= set(meta)
    assert meta["format"] == export.FORMAT and meta["arch"] == arch and meta["input_size"] == "64"
    assert meta["tta_hflip"] == "true" and meta["num_classes"] == "7" and meta["labels"].split(",")[0] == "angry"
    with open(export.card_path(path)) as f:
        assert json.load(f) == json.loads(meta["model_card"]) == card
    # A strict reload gives the same network.
    again, _ = export.load(path)
    x = torch.rand(2, 1, 64, 64) * 2 - 1
    with torch.no_grad():
        torch.testing.assert_close(again(x), model(x), atol=0, rtol=0)


def test_vgg_exports_its_widths_and_gray_input_and_reloads(tmp_path):
    torch.manual_seed(0)
    model = FerNet("vgg", 48, widths=(8, 16, 24)).eval()
    path = str(tmp_path / "model.safetensors")
    export.export(model, path, {"architecture": "vgg"}, tta_hflip=False)
    tensors = load_file(path)
    assert tuple(tensors["stages.0.0.conv.weight"].shape) == (8, 1, 3, 3)
    assert tuple(tensors["stages.2.1.bn.running_var"].shape) == (24,)
    assert tuple(tensors["head.fc.weight"].shape) == (7, 24) and len(tensors) == 3 * 2 * 6 + 2
    meta = export.read_metadata(path)
    assert (meta["arch"], meta["widths"], meta["in_chans"], meta["input_size"]) == ("vgg", "8,16,24", "1", "48")
    again, _ = export.load(path)
    x = torch.rand(2, 1, 64, 64) * 2 - 1
    with torch.no_grad():
        torch.testing.assert_close(again(x), model(x), atol=0, rtol=0)
    assert FerNet("vgg").widths == DEFAULT_VGG_WIDTHS


def test_widths_belong_to_vgg_only():
    with pytest.raises(ValueError, match="vgg"):
        FerNet("resnet18", widths=(8, 16))
    with pytest.raises(ValueError, match="positive"):
        FerNet("vgg", widths=(8, 0))


def test_unsupported_architecture_is_refused():
    with pytest.raises(ValueError, match="vit_tiny_patch16_224"):
        FerNet("vit_tiny_patch16_224")


def test_network_takes_the_product_input_at_any_network_size():
    for size in (64, 96):
        m = FerNet("resnet18", size).eval()
        with torch.no_grad():
            assert m(torch.zeros(3, 1, 64, 64)).shape == (3, 7)


@pytest.mark.parametrize("path", CONFIGS, ids=os.path.basename)
def test_every_recipe_parses(path):
    cfg = load_config(path)
    assert cfg["arch"] in SUPPORTED_ARCHS and cfg["epochs"] >= 1


def test_unknown_recipe_keys_are_refused(tmp_path):
    p = tmp_path / "r.json"
    p.write_text(json.dumps({"arch": "resnet18", "learning_rate": 0.1}))
    with pytest.raises(ValueError, match="learning_rate"):
        load_config(str(p))


def test_metrics_on_a_known_confusion():
    labels = np.array([0, 0, 1, 1, 2, 3, 4, 5, 6, 6])
    preds = np.array([0, 1, 1, 1, 2, 3, 4, 5, 6, 0])
    m = metrics(labels, preds)
    assert m["accuracy"] == pytest.approx(0.8)
    assert m["confusion"][0] == [1, 1, 0, 0, 0, 0, 0] and m["confusion"][6][0] == 1
    # class 0: P 1/2 R 1/2; class 1: P 2/3 R 1; class 6: P 1 R 1/2; others 1.
    f1 = [0.5, 0.8, 1, 1, 1, 1, 2 / 3]
    assert m["macro_f1"] == pytest.approx(np.mean(f1))


def test_a_tiny_run_trains_evaluates_and_exports(data_dir, tmp_path):
    cfg = {**DEFAULTS, "name": "tiny", "arch": "resnet18", "epochs": 2, "steps_per_epoch": 3, "batch_size": 8,
           "optimizer": "adamw", "lr": 1e-3, "eval_subset": 64, "log_every": 0, "threads": 2}
    card = train(cfg, data_dir, str(tmp_path), "cpu", log=lambda *_: None)
    assert [h["epoch"] for h in card["history"]] == [1, 2] and card["steps"] == 6
    assert card["public_test"]["n"] == 64 and len(card["public_test"]["confusion"]) == 7
    assert set(card["data"]["sha256"]) == {"train-images.u8", "train-labels.u8", "public-test-images.u8",
                                           "public-test-labels.u8"}
    for key in ("architecture", "recipe", "seed", "epochs", "git_commit", "framework"):
        assert key in card
    model, meta = export.load(str(tmp_path / "model.safetensors"))
    assert meta["arch"] == "resnet18" and json.loads(meta["model_card"])["steps"] == 6


def test_an_interrupted_run_resumes_where_it_stopped(data_dir, tmp_path):
    cfg = {**DEFAULTS, "name": "resume", "arch": "vgg", "widths": [4, 8], "input_size": 32, "epochs": 2,
           "steps_per_epoch": 2, "batch_size": 8, "eval_subset": 32, "log_every": 1, "threads": 2}
    whole = train(dict(cfg), data_dir, str(tmp_path / "whole"), "cpu", log=lambda *_: None)

    class Interrupted(Exception):
        pass

    def stop_in_epoch_2(line):
        if line.startswith("  step 3 "):  # epoch 1's checkpoint is written, epoch 2 has begun
            raise Interrupted

    with pytest.raises(Interrupted):
        train(dict(cfg), data_dir, str(tmp_path / "cut"), "cpu", log=stop_in_epoch_2)
    logs = []
    resumed = train(dict(cfg), data_dir, str(tmp_path / "cut"), "cpu", log=logs.append)
    assert any(line.startswith("resumed from") and "after epoch 1 (step 2)" in line for line in logs), logs

    def no_time(history):
        return [{k: v for k, v in h.items() if k != "seconds"} for h in history]

    assert no_time(resumed["history"]) == no_time(whole["history"]) and resumed["steps"] == 4
    a, b = load_file(str(tmp_path / "whole" / "model.safetensors")), load_file(str(tmp_path / "cut" / "model.safetensors"))
    for k in a:
        torch.testing.assert_close(b[k], a[k], atol=0, rtol=0, msg=k)
    # A checkpoint of another recipe is refused, not silently continued.
    with pytest.raises(ValueError, match="another recipe"):
        train({**cfg, "lr": 0.01}, data_dir, str(tmp_path / "cut"), "cpu", log=lambda *_: None)


def test_committed_rust_reference_matches_timm(data_dir):
    # Replayed, not rebuilt: rebuilding recalibrates the BatchNorm ranges on this CPU's activations, and a CPU
    # with other SIMD kernels (AVX2 against AVX-512) rounds some range to a neighbouring f32 (CI, 2026-12-06).
    with open(reference.OUT) as f:
        committed = json.load(f)
    replayed = reference.replay(committed, data_dir)
    assert np.allclose(replayed["input_sums"], committed["input_sums"], rtol=1e-5, atol=1e-3)
    # The Rust test's tolerance (tests/it/classify_ours.rs): f32 convolutions on another CPU round differently
    # (9.5e-6 on an AVX2 EPYC against the AVX-512 machine that wrote the file).
    assert reference.compare(committed, replayed) <= 1e-4


def test_the_reference_replay_refuses_a_tensor_list_for_another_network(data_dir):
    with open(reference.OUT) as f:
        committed = json.load(f)
    committed["models"][0]["tensors"] = committed["models"][0]["tensors"][1:]
    with pytest.raises(ValueError):
        reference.replay(committed, data_dir)
