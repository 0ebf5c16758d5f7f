"""Image encoder: a frozen torchvision ResNet to ``layer4``, then EMA, then 49 visual tokens."""

from __future__ import annotations

import hashlib
import threading
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

    Raises:
        MadpgError: the file is missing, unreadable, or the state dict of another network (the message
            names the first key that does not match, and which ResNet the file looks like).
    """
    import torchvision.models as tvm

    if kind not in CHANNELS:
        raise MadpgError(f"unknown image encoder {kind!r}; choose one of {', '.join(CHANNELS)} or none")
    net = getattr(tvm, kind)(weights=None)
    if weights:
        state = _matching_state(Path(weights), kind, net.state_dict())
        net.load_state_dict(state, strict=False)  # only the classifier (fc), dropped below, may be absent
    body = nn.Sequential(*list(net.children())[:-2], nn.AdaptiveAvgPool2d(GRID))
    body.eval()
    for p in body.parameters():
        p.requires_grad_(False)
    return body


def _matching_state(path: Path, kind: str, expected: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """The file's state dict, checked key by key against torchvision's ``kind`` before loading."""
    state = _read_state_dict(path)
    if state and all(k.startswith("module.") for k in state):  # saved from DataParallel / DDP
        state = {k[len("module."):]: v for k, v in state.items()}
    guess = _guess_resnet(state)
    # BatchNorm's step counter is not a weight; files saved before it existed (PyTorch < 0.4, as some
    # published ResNet files were) lack it.
    for k, v in expected.items():
        if k.endswith("num_batches_tracked") and k not in state:
            state[k] = torch.zeros_like(v)
    needed = [k for k in expected if not k.startswith("fc.")]
    missing = [k for k in needed if k not in state]
    looks = f" (the file looks like a {guess})" if guess and guess != kind else ""
    name = kind.replace("resnet", "ResNet-")
    if missing:
        more = f" and {len(missing) - 1} more keys" if len(missing) > 1 else ""
        # The deepest missing key says most: a smaller ResNet lacks the last blocks of layer3/layer4.
        convs = [k for k in missing if k.endswith("weight") and (".conv" in k or "downsample.0" in k)]
        raise MadpgError(f"{path}: the ResNet state dict lacks {(convs or missing)[-1]}{more} — is it a "
                         f"{name}?{looks}")
    unexpected = [k for k in state if k not in expected]
    if unexpected:
        raise MadpgError(f"{path}: the ResNet state dict has {unexpected[0]}, which a torchvision {name} has not"
                         f" ({len(unexpected)} such keys) — is it a {name}?{looks}")
    for k, v in state.items():
        if tuple(v.shape) != tuple(expected[k].shape):
            raise MadpgError(f"{path}: {k} has shape {tuple(v.shape)}, a torchvision {name} has "
                             f"{tuple(expected[k].shape)} — is it a {name}?{looks}")
    return state


def _guess_resnet(state: dict[str, torch.Tensor]) -> str | None:
    """Which torchvision ResNet a state dict's keys describe (blocks in layer3, bottleneck or not)."""
    blocks = {int(k.split(".")[1]) for k in state if k.startswith("layer3.")}
    if not blocks:
        return None
    n, bottleneck = max(blocks) + 1, "layer1.0.conv3.weight" in state
    return {(2, False): "resnet18", (6, False): "resnet34", (6, True): "resnet50", (23, True): "resnet101",
            (36, True): "resnet152"}.get((n, bottleneck))


def _read_state_dict(path: Path) -> dict[str, torch.Tensor]:
    if not path.is_file():
        raise MadpgError(f"image encoder weights not found: {path}")
    try:
        if path.suffix == ".safetensors":
            from safetensors.torch import load_file

            state = load_file(str(path))
        else:
            # weights_only: a pickled file can run code when loaded; a state dict needs none.
            state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:  # noqa: BLE001 - any reader failure is a bad file for the user
        if "weights only" in str(e).lower() or "weights_only" in str(e):
            raise MadpgError(f"cannot read image encoder weights {path}: it holds pickled objects, not only tensors "
                             "(refused: loading them could run code) — save the network's state dict, "
                             "torch.save(model.state_dict(), FILE)") from e
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise MadpgError(f"cannot read image encoder weights {path}: {first}") from e
    if isinstance(state, dict) and "state_dict" in state and isinstance(state["state_dict"], dict):
        state = state["state_dict"]  # a training checkpoint that wraps the weights
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise MadpgError(f"{path} is not a state dict (names → tensors); save model.state_dict() of a torchvision "
                         "ResNet")
    return state


def preprocess(image: Image.Image, size: int) -> torch.Tensor:
    """RGB PIL image → (3, size, size) float tensor, ImageNet-normalised."""
    img = image.convert("RGB").resize((size, size), Image.Resampling.BILINEAR)
    t = torch.frombuffer(bytearray(img.tobytes()), dtype=torch.uint8).reshape(size, size, 3)
    t = t.permute(2, 0, 1).float() / 255.0
    mean = torch.tensor(_MEAN).reshape(3, 1, 1)
    std = torch.tensor(_STD).reshape(3, 1, 1)
    return (t - mean) / std


def backbone_fingerprint(kind: str, backbone: nn.Module) -> str:
    """Identifies the exact backbone weights, so cached feature maps never outlive them.

    A :class:`LazyBackbone` is fingerprinted from the weights it keeps, without being built. The
    first tensors go in byte by byte, every tensor by its name, shape and float64 sum: a backbone
    that differs anywhere (another file, a fine-tuned layer4) gets another fingerprint, for one
    cheap pass over the weights instead of hashing ~240 MB."""
    h = hashlib.sha256(kind.encode())
    for i, (name, t) in enumerate(backbone.state_dict().items()):
        h.update(name.encode())
        h.update(str(tuple(t.shape)).encode())
        if t.device.type == "meta":  # a lazy backbone without weights: names and shapes only
            continue
        if i < 4:
            h.update(t.detach().float().cpu().contiguous().numpy().tobytes())
        h.update(repr(float(t.detach().double().sum())).encode())
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


# Lazy backbones -------------------------------------------------------------------------------
# Building a ResNet imports torchvision (~1 s) and fills ~11M weights; a model loaded from a
# checkpoint only needs it for a record with images. Until then its weights wait in a LazyBackbone,
# which saves and loads them under the backbone's own state-dict names and shapes.

_BLOCKS = {"resnet18": (False, (2, 2, 2, 2)), "resnet50": (True, (3, 4, 6, 3)), "resnet152": (True, (3, 8, 36, 3))}


def backbone_shapes(kind: str) -> dict[str, tuple[int, ...]]:
    """State-dict names and shapes of ``build_backbone(kind)``, in its order, without torchvision."""
    if kind not in _BLOCKS:
        raise MadpgError(f"unknown image encoder {kind!r}; choose one of {', '.join(CHANNELS)} or none")
    bottleneck, counts = _BLOCKS[kind]
    out: dict[str, tuple[int, ...]] = {}

    def conv(name: str, c_out: int, c_in: int, k: int) -> None:
        out[f"{name}.weight"] = (c_out, c_in, k, k)

    def bn(name: str, c: int) -> None:
        for stat in ("weight", "bias", "running_mean", "running_var"):
            out[f"{name}.{stat}"] = (c,)
        out[f"{name}.num_batches_tracked"] = ()

    conv("0", 64, 3, 7)
    bn("1", 64)
    expansion = 4 if bottleneck else 1
    inplanes = 64
    for i, (planes, n) in enumerate(zip((64, 128, 256, 512), counts)):
        for b in range(n):
            p = f"{4 + i}.{b}"
            if bottleneck:
                convs = [(planes, inplanes, 1), (planes, planes, 3), (planes * 4, planes, 1)]
            else:
                convs = [(planes, inplanes, 3), (planes, planes, 3)]
            for j, (c_out, c_in, k) in enumerate(convs, start=1):
                conv(f"{p}.conv{j}", c_out, c_in, k)
                bn(f"{p}.bn{j}", c_out)
            if b == 0 and (i > 0 or inplanes != planes * expansion):
                conv(f"{p}.downsample.0", planes * expansion, inplanes, 1)
                bn(f"{p}.downsample.1", planes * expansion)
            inplanes = planes * expansion
    return out


_BUILD_LOCK = threading.Lock()  # module-level: a model must stay deep-copyable


class LazyBackbone(nn.Module):
    """Stands in for a frozen backbone not built yet: keeps its loaded weights, builds nothing.

    Its state dict has the backbone's names and shapes (meta tensors until weights are loaded),
    so strict loading and the checkpoint checks see the same model as with the real one.
    """

    def __init__(self, kind: str) -> None:
        super().__init__()
        self.kind = kind
        self.shapes = backbone_shapes(kind)
        self.weights: dict[str, torch.Tensor] | None = None  # once loaded, in the backbone's order

    def _template(self) -> dict[str, torch.Tensor]:
        return {k: torch.empty(s, dtype=torch.long if k.endswith("num_batches_tracked") else torch.float32,
                               device="meta") for k, s in self.shapes.items()}

    def _save_to_state_dict(self, destination: dict, prefix: str, keep_vars: bool) -> None:
        for k, v in (self.weights if self.weights is not None else self._template()).items():
            destination[prefix + k] = v

    def _load_from_state_dict(self, state_dict: dict, prefix: str, local_metadata: dict, strict: bool,
                              missing_keys: list, unexpected_keys: list, error_msgs: list) -> None:
        got: dict[str, torch.Tensor] = {}
        for k, shape in self.shapes.items():
            v = state_dict.get(prefix + k)
            if v is None:
                missing_keys.append(prefix + k)
            elif tuple(v.shape) != shape:
                error_msgs.append(f"size mismatch for {prefix + k}: copying a param with shape {tuple(v.shape)}, "
                                  f"the backbone expects {shape}")
            else:
                got[k] = v.detach()
        unexpected_keys.extend(k for k in state_dict if k.startswith(prefix) and k[len(prefix):] not in self.shapes)
        if len(got) == len(self.shapes):
            self.weights = got

    def build(self) -> nn.Module:
        """The real backbone with the kept weights (random ones when none were loaded)."""
        body = build_backbone(self.kind)
        if self.weights is not None:
            body.load_state_dict(self.weights, strict=True)
        return body

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        raise RuntimeError("a lazy backbone runs through ImageEncoder.feature_maps, which builds it")


class ImageEncoder(nn.Module):
    """Backbone (frozen, cached by the caller per image) + trainable visual-token head.

    ``lazy``: the backbone is a :class:`LazyBackbone` until the first image goes through it (a model
    loaded from a checkpoint: its weights come from the checkpoint, and text-only work never builds it).
    """

    def __init__(self, kind: str, hidden: int, use_ema: bool, factor: int = 32, weights: str | None = None,
                 *, lazy: bool = False) -> None:
        super().__init__()
        self.kind = kind
        self.backbone: nn.Module = LazyBackbone(kind) if lazy else build_backbone(kind, weights)
        self.tokens = VisualTokens(CHANNELS[kind], hidden, use_ema, factor)

    @property
    def built(self) -> bool:
        """Whether the real backbone exists (always, unless built lazily and no image came yet)."""
        return not isinstance(self.backbone, LazyBackbone)

    def build_backbone(self) -> nn.Module:
        """The real backbone, built from the kept weights on the head's device on first call."""
        with _BUILD_LOCK:
            if isinstance(self.backbone, LazyBackbone):
                ref = self.tokens.proj.weight
                body = self.backbone.build().to(ref.device)
                if ref.dtype != torch.float32:
                    body = body.to(ref.dtype)
                self.backbone = body
            return self.backbone

    def train(self, mode: bool = True) -> ImageEncoder:
        super().train(mode)
        self.backbone.eval()  # frozen: BatchNorm statistics must not move
        return self

    @torch.no_grad()
    def feature_maps(self, images: torch.Tensor) -> torch.Tensor:
        """(B, 3, S, S) normalised images → (B, C, 7, 7)."""
        return self.build_backbone()(images)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        """(B, 3, S, S) → (B, 49, d)."""
        return self.tokens(self.feature_maps(images))
