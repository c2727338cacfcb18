"""One training run: ``python -m fertrain.train --config configs/NAME.json [--data DIR] [--out DIR]``.

Trains on FER2013 ``train``, evaluates on ``public-test`` after every epoch (accuracy, macro-F1, confusion
matrix; PrivateTest is not ours to see), checkpoints after every epoch (``OUT/checkpoint.pt``; the same command
resumes from it after an interruption), and writes ``OUT/model.safetensors`` plus the model card
``OUT/model.json`` (see :mod:`fertrain.export`). The whole data set lives on the training device as u8 and is
augmented there in batches, so a GPU run needs no data-loader processes. Runs on a CPU as well (slowly).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import subprocess
import sys
import time

import numpy as np
import torch
from torch import nn

from . import export
from .data import CLASSES, AugmentConfig, DataError, augment, load_split, to_input
from .model import FerNet, predict_logits

#: Repository root (``training/..``), or the unpacked bundle (``emotrace-train/``, see ``bundle.sh``).
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
#: The data by default: ``ROOT/fer2013`` in a bundle, else ``ROOT/../shared/datasets/fer2013``.
DEFAULT_DATA = (
    os.path.join(ROOT, "fer2013")
    if os.path.isdir(os.path.join(ROOT, "fer2013"))
    else os.path.normpath(os.path.join(ROOT, "..", "shared", "datasets", "fer2013"))
)

#: Recipe keys and their defaults; a config file may set any of them and nothing else.
DEFAULTS = {
    "name": "unnamed",
    "arch": "repvgg_a0",
    "widths": None,
    "input_size": 64,
    "seed": 0,
    "epochs": 1,
    "steps_per_epoch": None,
    "batch_size": 64,
    "optimizer": "sgd",
    "lr": 0.05,
    "momentum": 0.9,
    "weight_decay": 5e-4,
    "warmup_steps": 0,
    "min_lr": 1e-5,
    "label_smoothing": 0.1,
    "drop_rate": 0.0,
    "drop_path_rate": 0.0,
    "ema_decay": 0.0,
    "amp": True,
    "tta_hflip": True,
    "threads": 0,
    "eval_batch_size": 256,
    "eval_subset": 0,
    "log_every": 50,
    "augment": {},
}


def load_config(path: str) -> dict:
    """The recipe in ``path`` (JSON) over :data:`DEFAULTS`. Raises ``ValueError`` naming the file on an unknown key."""
    with open(path) as f:
        cfg = json.load(f)
    unknown = sorted(set(cfg) - set(DEFAULTS))
    if unknown:
        raise ValueError(f"{path}: unknown key(s) {', '.join(unknown)} (known: {', '.join(sorted(DEFAULTS))})")
    aug_unknown = sorted(set(cfg.get("augment", {})) - set(AugmentConfig.__dataclass_fields__))
    if aug_unknown:
        raise ValueError(f"{path}: unknown augment key(s) {', '.join(aug_unknown)}")
    return {**DEFAULTS, **cfg}


def metrics(labels: np.ndarray, preds: np.ndarray) -> dict:
    """Accuracy, macro-F1, per-class F1 and the confusion matrix (rows = true class) over the 7 classes."""
    k = len(CLASSES)
    cm = np.bincount(labels * k + preds, minlength=k * k).reshape(k, k)
    tp = np.diag(cm).astype(float)
    prec = np.divide(tp, cm.sum(0), out=np.zeros(k), where=cm.sum(0) > 0)
    rec = np.divide(tp, cm.sum(1), out=np.zeros(k), where=cm.sum(1) > 0)
    f1 = np.divide(2 * prec * rec, prec + rec, out=np.zeros(k), where=(prec + rec) > 0)
    return {
        "n": int(len(labels)),
        "accuracy": float(tp.sum() / max(1, len(labels))),
        "macro_f1": float(f1.mean()),
        "per_class_f1": [round(float(v), 4) for v in f1],
        "confusion": cm.tolist(),
    }


@torch.no_grad()
def evaluate(model: nn.Module, images: torch.Tensor, labels: np.ndarray, batch: int, tta_hflip: bool, amp) -> dict:
    """:func:`metrics` of ``model`` on ``images`` (``[n, 48, 48]`` u8 on the model's device)."""
    model.eval()
    preds = []
    for i in range(0, len(images), batch):
        with amp():
            logits = predict_logits(model, to_input(images[i : i + batch]), tta_hflip)
        preds.append(logits.float().argmax(1).cpu())
    return metrics(labels, torch.cat(preds).numpy())


def git_commit() -> str:
    """``$EMOTRACE_GIT_COMMIT``, else ``git rev-parse HEAD`` (``+dirty`` if training/ has changes), else the
    ``GIT_COMMIT`` file that ``bundle.sh`` puts beside ``training/``, else ``unknown``."""
    if os.environ.get("EMOTRACE_GIT_COMMIT"):
        return os.environ["EMOTRACE_GIT_COMMIT"]
    bundled = os.path.join(ROOT, "GIT_COMMIT")
    try:
        head = subprocess.run(["git", "-C", ROOT, "rev-parse", "HEAD"], capture_output=True, text=True, check=True)
        dirty = subprocess.run(["git", "-C", ROOT, "status", "--porcelain", "--", "training"], capture_output=True,
                               text=True, check=True)
        return head.stdout.strip() + ("+dirty" if dirty.stdout.strip() else "")
    except (OSError, subprocess.CalledProcessError):
        if os.path.isfile(bundled):
            with open(bundled) as f:
                return f.read().strip() + " (bundle)"
        return "unknown"


def checkpoint_path(out_dir: str) -> str:
    """``OUT/checkpoint.pt``: the state after the last finished epoch (model, optimizer, EMA, history, data order,
    every random generator), written after every epoch; :func:`train` resumes from it when it exists."""
    return os.path.join(out_dir, "checkpoint.pt")


def make_optimizer(cfg: dict, model: nn.Module):
    """SGD (Nesterov) or AdamW through timm (no weight decay on biases and norms), and timm's per-step cosine
    schedule with linear warm-up."""
    from timm.optim import create_optimizer_v2
    from timm.scheduler import CosineLRScheduler

    name = {"sgd": "sgd", "adamw": "adamw"}.get(cfg["optimizer"])
    if name is None:
        raise ValueError(f"optimizer {cfg['optimizer']!r} is not supported (sgd, adamw)")
    extra = {"momentum": cfg["momentum"]} if name == "sgd" else {}
    opt = create_optimizer_v2(model, opt=name, lr=cfg["lr"], weight_decay=cfg["weight_decay"], **extra)
    total = cfg["epochs"] * cfg["steps_per_epoch_resolved"]
    sched = CosineLRScheduler(opt, t_initial=max(1, total - cfg["warmup_steps"]), lr_min=cfg["min_lr"],
                              warmup_t=cfg["warmup_steps"], warmup_lr_init=cfg["lr"] * 0.01, warmup_prefix=True,
                              t_in_epochs=False)
    return opt, sched


def train(cfg: dict, data_dir: str, out_dir: str, device: str, log=print) -> dict:
    """Runs the recipe ``cfg`` (see :data:`DEFAULTS`) and returns the model card (also written to ``out_dir``)."""
    t0 = time.time()
    if cfg["threads"]:
        torch.set_num_threads(int(cfg["threads"]))
    seed = int(cfg["seed"])
    random.seed(seed)  # timm's RandomErasing draws from `random`
    np.random.seed(seed)
    torch.manual_seed(seed)
    train_split, test_split = load_split(data_dir, "train"), load_split(data_dir, "public-test")
    dev = torch.device(device)
    tr_images = torch.from_numpy(train_split.images.copy()).to(dev)
    tr_labels = torch.from_numpy(train_split.labels).to(dev)
    te_n = int(cfg["eval_subset"]) or len(test_split)  # a prefix of public-test, for quick tests only
    te_images = torch.from_numpy(test_split.images[:te_n].copy()).to(dev)
    te_labels = test_split.labels[:te_n]
    n = len(train_split)
    bs = int(cfg["batch_size"])
    cfg["steps_per_epoch_resolved"] = int(cfg["steps_per_epoch"] or n // bs)

    model = FerNet(cfg["arch"], cfg["input_size"], cfg["drop_rate"], cfg["drop_path_rate"], cfg["widths"]).to(dev)
    if dev.type == "cuda":
        model = model.to(memory_format=torch.channels_last)
    ema = None
    if cfg["ema_decay"]:
        from timm.utils import ModelEmaV3

        ema = ModelEmaV3(model, decay=cfg["ema_decay"])
    opt, sched = make_optimizer(cfg, model)
    loss_fn = nn.CrossEntropyLoss(label_smoothing=cfg["label_smoothing"])
    aug_cfg = AugmentConfig(**cfg["augment"])
    eraser = None
    if aug_cfg.erase_prob > 0:
        from timm.data.random_erasing import RandomErasing

        eraser = RandomErasing(probability=aug_cfg.erase_prob, mode="pixel", device=str(dev))
    gen = torch.Generator(device=dev)
    gen.manual_seed(seed)
    use_amp = bool(cfg["amp"]) and dev.type == "cuda"

    def amp():
        return torch.autocast(device_type=dev.type, dtype=torch.bfloat16, enabled=use_amp)

    log(f"[{cfg['name']}] {cfg['arch']} input {cfg['input_size']} on {dev}; {n} train images, "
        f"{cfg['epochs']} epoch(s) x {cfg['steps_per_epoch_resolved']} steps of {bs}")
    history, step, first_losses = [], 0, []
    order = torch.randperm(n, device=dev, generator=gen)
    pos = 0
    recipe = {k: v for k, v in cfg.items() if k != "steps_per_epoch_resolved"}
    ckpt = checkpoint_path(out_dir)
    seconds_before = 0.0  # wall time of the runs this one resumes
    if os.path.isfile(ckpt):
        state = torch.load(ckpt, map_location=dev, weights_only=False)
        if state["recipe"] != recipe:
            raise ValueError(f"{ckpt} was written by another recipe: remove it (or choose another --out) to start over")
        model.load_state_dict(state["model"])
        opt.load_state_dict(state["optimizer"])
        if ema is not None:
            ema.load_state_dict(state["ema"])
        history, step, first_losses = state["history"], state["step"], state["first_losses"]
        order, pos, seconds_before = state["order"].to(dev), state["pos"], state["seconds"]
        gen.set_state(state["generator"])
        random.setstate(state["python_rng"])
        np.random.set_state(state["numpy_rng"])
        torch.set_rng_state(state["torch_rng"])
        sched.step_update(step)
        log(f"resumed from {ckpt} after epoch {len(history)} (step {step})")
    m = None
    for epoch in range(len(history) + 1, cfg["epochs"] + 1):
        model.train()
        te = time.time()
        losses = []
        for _ in range(cfg["steps_per_epoch_resolved"]):
            if pos + bs > n:
                order, pos = torch.randperm(n, device=dev, generator=gen), 0
            idx = order[pos : pos + bs]
            pos += bs
            x = augment(to_input(tr_images[idx]), aug_cfg, gen, eraser)
            if dev.type == "cuda":
                x = x.contiguous(memory_format=torch.channels_last)
            with amp():
                loss = loss_fn(model(x).float(), tr_labels[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            step += 1
            sched.step_update(step)
            if ema is not None:
                ema.update(model, step=step)
            losses.append(loss.item())
            if len(first_losses) < 20:
                first_losses.append(losses[-1])
            if cfg["log_every"] and step % cfg["log_every"] == 0:
                log(f"  step {step} loss {np.mean(losses[-cfg['log_every']:]):.4f} "
                    f"lr {opt.param_groups[0]['lr']:.2e} ({time.time() - te:.0f} s)")
        eval_model = ema.module if ema is not None else model
        m = evaluate(eval_model, te_images, te_labels, cfg["eval_batch_size"], cfg["tta_hflip"], amp)
        history.append({"epoch": epoch, "step": step, "train_loss": round(float(np.mean(losses)), 5),
                        "public_test_accuracy": round(m["accuracy"], 5), "public_test_macro_f1": round(m["macro_f1"], 5),
                        "seconds": round(time.time() - te, 1)})
        log(f"epoch {epoch}: train loss {np.mean(losses):.4f}, public-test accuracy {m['accuracy']:.4f} "
            f"macro-F1 {m['macro_f1']:.4f} ({time.time() - te:.0f} s)")
        state = {"recipe": recipe, "model": model.state_dict(), "optimizer": opt.state_dict(),
                 "ema": ema.state_dict() if ema is not None else None, "history": history, "step": step,
                 "first_losses": first_losses, "order": order.cpu(), "pos": pos,
                 "seconds": seconds_before + time.time() - t0, "generator": gen.get_state(),
                 "python_rng": random.getstate(), "numpy_rng": np.random.get_state(),
                 "torch_rng": torch.get_rng_state()}
        os.makedirs(out_dir, exist_ok=True)
        torch.save(state, ckpt + ".tmp")
        os.replace(ckpt + ".tmp", ckpt)

    final = ema.module if ema is not None else model
    if m is None:  # every epoch was done before this run: evaluate the checkpoint again
        m = evaluate(final, te_images, te_labels, cfg["eval_batch_size"], cfg["tta_hflip"], amp)
    import timm
    card = {
        "architecture": cfg["arch"],
        "framework": {"timm": timm.__version__, "torch": torch.__version__, "python": platform.python_version()},
        "input": {"size": 64, "network_size": int(cfg["input_size"]), "channels": "gray repeated to 3",
                  "scaling": "x / 127.5 - 1", "resize": "48 -> 64 bilinear, pixel centres, no antialias"},
        "labels": list(CLASSES),
        "recipe": recipe,
        "seed": seed,
        "epochs": cfg["epochs"],
        "steps": step,
        "parameters": sum(p.numel() for p in final.net.parameters()),
        "data": {"dir": os.path.abspath(data_dir), "sha256": {**train_split.sha256, **test_split.sha256}},
        "git_commit": git_commit(),
        "device": torch.cuda.get_device_name(dev) if dev.type == "cuda" else f"cpu ({platform.machine()})",
        "train_loss_first_20_steps": round(float(np.mean(first_losses)), 5),
        "train_loss_last_epoch": history[-1]["train_loss"],
        "public_test": {**m, "tta_hflip": bool(cfg["tta_hflip"])},
        "history": history,
        "seconds": round(seconds_before + time.time() - t0, 1),
    }
    path = os.path.join(out_dir, "model.safetensors")
    export.export(final, path, card, bool(cfg["tta_hflip"]))
    log(f"wrote {path} and {export.card_path(path)} ({card['seconds']:.0f} s)")
    return card


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m fertrain.train", description=__doc__.splitlines()[0])
    p.add_argument("--config", required=True, help="recipe (JSON), e.g. configs/smoke.json")
    p.add_argument("--data", default=DEFAULT_DATA, help=f"FER2013 raw folder [default: {DEFAULT_DATA}]")
    p.add_argument("--out", help="output folder [default: runs/NAME]")
    p.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu", help="cpu or cuda")
    a = p.parse_args(argv)
    try:
        cfg = load_config(a.config)
        out = a.out or os.path.join("runs", cfg["name"])
        train(cfg, a.data, out, a.device)
    except (DataError, ValueError, OSError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
