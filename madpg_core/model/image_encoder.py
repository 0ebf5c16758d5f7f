"""Image encoder: a frozen torchvision ResNet to ``layer4``, then EMA, then 49 visual tokens."""

from __future__ import annotations

import hashlib
from pathlib import Path

import torch
from PIL import Image
from torch import nn

from madpg_core.errors import MadpgError
from madpg_core.model.ema import EMA
from madpg_core.model.gate import GRID

CHANNELS = {"resnet152": 2048, "resnet50": 2048, "resnet18": 512}
_MEAN = (0.485, 0.456, 0.406)
_STD = (0.229, 0.224, 0.225)


def build_backbone(kind: str, weights: str | None = None) -> nn.Module:
    """ResNet ``kind`` up to ``layer4`` plus a 7×7 adaptive pool, in eval mode, frozen.

    Args:
        kind: resnet152 / resnet50 / resnet18.
        weights: a local torchvision state-dict file (``.pth`` or ``.safetensors``); random when None.
    """
    import torchvision.models as tvm

    if kind not in CHANNELS:
        raise MadpgError(f"unknown image encoder {kind!r}; choose one of {', '.join(CHANNELS)} or none")
    net = getattr(tvm, kind)(weights=None)
    if weights:
        net.load_state_dict(_read_state_dict(Path(weights)))
    body = nn.Sequential(*list(net.children())[:-2], nn.AdaptiveAvgPool2d(GRID))
    body.eval()
    for p in body.parameters():
        p.requires_grad_(False)
    return body


def _read_state_dict(path: Path) -> dict[str, torch.Tensor]:
    if not path.is_file():
        raise MadpgError(f"image encoder weights not found: {path}")
    try:
        if path.suffix == ".safetensors":
            from safetensors.torch import load_file

            return load_file(str(path))
        return torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:  # noqa: BLE001 - any reader failure is a bad file for the user
        raise MadpgError(f"cannot read image encoder weights {path}: {e}") from e


def preprocess(image: Image.Image, size: int) -> torch.Tensor:
    """RGB PIL image → (3, size, size) float tensor, ImageNet-normalised."""
    img = image.convert("RGB").resize((size, size), Image.Resampling.BILINEAR)
    t = torch.frombuffer(bytearray(img.tobytes()), dtype=torch.uint8).reshape(size, size, 3)
    t = t.permute(2, 0, 1).float() / 255.0
    mean = torch.tensor(_MEAN).reshape(3, 1, 1)
    std = torch.tensor(_STD).reshape(3, 1, 1)
    return (t - mean) / std


def backbone_fingerprint(kind: str, backbone: nn.Module) -> str:
    """Identifies the exact backbone weights, so cached feature maps never outlive them."""
    h = hashlib.sha256(kind.encode())
    for name, t in list(backbone.state_dict().items())[:4]:
        h.update(name.encode())
        h.update(t.detach().float().cpu().contiguous().numpy().tobytes())
    return h.hexdigest()[:16]


class VisualTokens(nn.Module):
    """Feature map (B, C, 7, 7) → EMA (or pass-through) → (B, 49, d)."""

    def __init__(self, channels: int, hidden: int, use_ema: bool, factor: int = 32) -> None:
        super().__init__()
        self.ema: nn.Module = EMA(channels, factor) if use_ema else nn.Identity()
        self.proj = nn.Linear(channels, hidden)

    def forward(self, feature_map: torch.Tensor) -> torch.Tensor:
        x = self.ema(feature_map)
        return self.proj(x.flatten(2).transpose(1, 2))


class ImageEncoder(nn.Module):
    """Backbone (frozen, cached by the caller per image) + trainable visual-token head."""

    def __init__(self, kind: str, hidden: int, use_ema: bool, factor: int = 32, weights: str | None = None) -> None:
        super().__init__()
        self.kind = kind
        self.backbone = build_backbone(kind, weights)
        self.tokens = VisualTokens(CHANNELS[kind], hidden, use_ema, factor)

    def train(self, mode: bool = True) -> ImageEncoder:
        super().train(mode)
        self.backbone.eval()  # frozen: BatchNorm statistics must not move
        return self

    @torch.no_grad()
    def feature_maps(self, images: torch.Tensor) -> torch.Tensor:
        """(B, 3, S, S) normalised images → (B, C, 7, 7)."""
        return self.backbone(images)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        """(B, 3, S, S) → (B, 49, d)."""
        return self.tokens(self.feature_maps(images))
