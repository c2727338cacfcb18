"""The network: a timm architecture that candle-transformers also implements, with timm's tensor names, or
:class:`VggNet`, a small VGG-style network of our own for the CPU.

The Rust side (``src/classify/ours.rs``) builds the same network (``candle_transformers::models`` for the timm
ones, ``src/classify/ours_vgg.rs`` for ``vgg``) and loads the exported ``state_dict`` as it is. Both sides wrap it
the same way:

``[N, 1, 64, 64]`` f32 in ``[-1, 1]`` -> (bilinear resize to ``input_size`` if it is not 64) -> for timm: gray
repeated to 3 channels (candle-transformers' stems take 3) -> network -> ``[N, 7]`` logits.
"""

from __future__ import annotations

import timm
import torch
import torch.nn.functional as F
from torch import nn

from .data import CLASSES, INPUT_SIZE

#: Architectures whose timm tensor names candle-transformers 0.11 loads as they are
#: (``models::repvgg::Config::a0`` and ``models::resnet::resnet18``), checked by ``tests/it/classify_ours.rs``.
TIMM_ARCHS = ("repvgg_a0", "resnet18")
#: Our own network (:class:`VggNet`), built in Rust by ``src/classify/ours_vgg.rs``.
VGG_ARCH = "vgg"
#: Every architecture ``FerNet`` builds.
SUPPORTED_ARCHS = TIMM_ARCHS + (VGG_ARCH,)
#: :class:`VggNet`'s stage widths unless the recipe says otherwise.
DEFAULT_VGG_WIDTHS = (16, 32, 64, 128)


class VggNet(nn.Module):
    """A small VGG-style network on one gray channel: ``[N, 1, S, S]`` -> ``[N, 7]`` logits.

    Stage ``i`` (width ``widths[i]``) is two 3x3 convolutions (padding 1, no bias), each followed by BatchNorm
    and ReLU, then a 2x2 max pool (stride 2); after the last stage a global average pool, dropout (``drop_rate``,
    training only) and a linear layer to the 7 classes. At ``S = 48`` and widths 16-32-64-128 the feature maps are
    48, 24, 12 and 6 px (3 px after the last pool), about 30 M multiply-adds per face.

    Tensor names (``state_dict``): ``stages.I.J.conv.weight`` (``[out, in, 3, 3]``), ``stages.I.J.bn.{weight,
    bias, running_mean, running_var, num_batches_tracked}`` (J = 0, 1), ``head.fc.{weight, bias}`` (``[7, C]``).
    """

    def __init__(self, widths=DEFAULT_VGG_WIDTHS, drop_rate: float = 0.0):
        super().__init__()
        self.widths = tuple(int(w) for w in widths)
        if not self.widths or min(self.widths) < 1:
            raise ValueError(f"vgg widths must be positive integers, got {widths!r}")
        stages, cin = [], 1
        for w in self.widths:
            layers = []
            for _ in range(2):
                unit = nn.Module()
                unit.conv = nn.Conv2d(cin, w, 3, padding=1, bias=False)
                unit.bn = nn.BatchNorm2d(w)
                layers.append(unit)
                cin = w
            stages.append(nn.ModuleList(layers))
        self.stages = nn.ModuleList(stages)
        self.drop = nn.Dropout(drop_rate)
        self.head = nn.Module()
        self.head.fc = nn.Linear(cin, len(CLASSES))
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for stage in self.stages:
            for unit in stage:
                x = F.relu(unit.bn(unit.conv(x)))
            x = F.max_pool2d(x, 2)
        return self.head.fc(self.drop(x.mean(dim=(2, 3))))


class FerNet(nn.Module):
    """``[N, 1, 64, 64]`` f32 in ``[-1, 1]`` -> ``[N, 7]`` logits; ``self.net`` is the plain timm model or the
    :class:`VggNet`.

    ``arch``: one of :data:`SUPPORTED_ARCHS`; ``input_size``: side the 64x64 input is resized to (bilinear,
    pixel-centre) before the network; ``drop_rate`` / ``drop_path_rate``: dropout before the classifier and
    stochastic depth (timm only; training only; they add no tensors); ``widths``: :class:`VggNet`'s stage widths
    (``vgg`` only).
    """

    def __init__(self, arch: str, input_size: int = INPUT_SIZE, drop_rate: float = 0.0, drop_path_rate: float = 0.0,
                 widths=None):
        super().__init__()
        if arch not in SUPPORTED_ARCHS:
            raise ValueError(f"architecture {arch!r} is not supported (choose one of {', '.join(SUPPORTED_ARCHS)})")
        self.arch = arch
        self.input_size = int(input_size)
        if arch == VGG_ARCH:
            if drop_path_rate:
                raise ValueError("drop_path_rate applies to timm architectures only, not vgg")
            self.net = VggNet(widths or DEFAULT_VGG_WIDTHS, drop_rate)
            self.widths = self.net.widths
            return
        if widths:
            raise ValueError(f"widths apply to the vgg architecture only, not {arch}")
        kwargs = {"drop_rate": drop_rate}
        if drop_path_rate:
            kwargs["drop_path_rate"] = drop_path_rate
        self.widths = None
        self.net = timm.create_model(arch, pretrained=False, num_classes=len(CLASSES), in_chans=3, **kwargs)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.input_size != INPUT_SIZE:
            x = F.interpolate(x, size=(self.input_size, self.input_size), mode="bilinear", align_corners=False)
        if self.arch == VGG_ARCH:
            return self.net(x)
        return self.net(x.expand(-1, 3, -1, -1))


def predict_logits(model: nn.Module, x: torch.Tensor, tta_hflip: bool) -> torch.Tensor:
    """Logits ``[N, 7]`` of ``model`` for ``x`` ``[N, 1, 64, 64]``; with ``tta_hflip`` the mean of the logits of
    ``x`` and of ``x`` flipped left-right (what the Rust side does when the checkpoint says ``tta_hflip``)."""
    if not tta_hflip:
        return model(x)
    return (model(x) + model(torch.flip(x, dims=[3]))) * 0.5
