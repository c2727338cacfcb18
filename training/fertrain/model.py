"""The network: a timm architecture that candle-transformers also implements, with timm's tensor names.

The Rust side (``src/classify/ours.rs``) builds the same network with ``candle_transformers::models`` and loads
the exported ``state_dict`` of the timm model as it is. Both sides wrap it the same way:

``[N, 1, 64, 64]`` f32 in ``[-1, 1]`` -> (bilinear resize to ``input_size`` if it is not 64) -> gray repeated to 3
channels (candle-transformers' stems take 3) -> timm network -> ``[N, 7]`` logits.
"""

from __future__ import annotations

import timm
import torch
import torch.nn.functional as F
from torch import nn

from .data import CLASSES, INPUT_SIZE

#: Architectures whose timm tensor names candle-transformers 0.11 loads as they are
#: (``models::repvgg::Config::a0`` and ``models::resnet::resnet18``), checked by ``tests/it/classify_ours.rs``.
SUPPORTED_ARCHS = ("repvgg_a0", "resnet18")


class FerNet(nn.Module):
    """``[N, 1, 64, 64]`` f32 in ``[-1, 1]`` -> ``[N, 7]`` logits; ``self.net`` is the plain timm model.

    ``arch``: one of :data:`SUPPORTED_ARCHS`; ``input_size``: side the 64x64 input is resized to (bilinear,
    pixel-centre) before the network; ``drop_rate`` / ``drop_path_rate``: timm's dropout before the classifier and
    stochastic depth (training only; they add no tensors).
    """

    def __init__(self, arch: str, input_size: int = INPUT_SIZE, drop_rate: float = 0.0, drop_path_rate: float = 0.0):
        super().__init__()
        if arch not in SUPPORTED_ARCHS:
            raise ValueError(f"architecture {arch!r} is not supported (choose one of {', '.join(SUPPORTED_ARCHS)})")
        kwargs = {"drop_rate": drop_rate}
        if drop_path_rate:
            kwargs["drop_path_rate"] = drop_path_rate
        self.arch = arch
        self.input_size = int(input_size)
        self.net = timm.create_model(arch, pretrained=False, num_classes=len(CLASSES), in_chans=3, **kwargs)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.input_size != INPUT_SIZE:
            x = F.interpolate(x, size=(self.input_size, self.input_size), mode="bilinear", align_corners=False)
        return self.net(x.expand(-1, 3, -1, -1))


def predict_logits(model: nn.Module, x: torch.Tensor, tta_hflip: bool) -> torch.Tensor:
    """Logits ``[N, 7]`` of ``model`` for ``x`` ``[N, 1, 64, 64]``; with ``tta_hflip`` the mean of the logits of
    ``x`` and of ``x`` flipped left-right (what the Rust side does when the checkpoint says ``tta_hflip``)."""
    if not tta_hflip:
        return model(x)
    return (model(x) + model(torch.flip(x, dims=[3]))) * 0.5
