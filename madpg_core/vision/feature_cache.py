"""Backbone feature maps cached per image content: memory first, then safetensors files on disk.

The key is the image file's SHA-256 plus the backbone's fingerprint, so a re-trained or
different backbone never reads stale maps, and a renamed file is not recomputed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from pathlib import Path

import torch

from madpg_core.model.image_encoder import ImageEncoder, backbone_fingerprint, preprocess
from madpg_core.vision.images import load_image


def file_digest(path: str | Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()[:32]


class FeatureCache:
    """Feature maps (C, 7, 7) of one backbone, by image path.

    Args:
        encoder: the image encoder whose frozen backbone computes the maps.
        image_size: input side in pixels.
        cache_dir: where to keep ``.safetensors`` files; memory only when None.
        device: where the backbone runs.
    """

    def __init__(self, encoder: ImageEncoder, image_size: int, cache_dir: Path | None = None,
                 device: torch.device | str = "cpu") -> None:
        self.encoder = encoder
        self.image_size = image_size
        self.cache_dir = Path(cache_dir) if cache_dir else None
        self.device = device
        self.fingerprint = backbone_fingerprint(encoder.kind, encoder.backbone)
        self._memory: dict[str, torch.Tensor] = {}
        self._keys: dict[str, str] = {}

    def _key(self, path: str) -> str:
        if path not in self._keys:
            self._keys[path] = f"{file_digest(path)}-{self.fingerprint}"
        return self._keys[path]

    def _disk(self, key: str) -> Path | None:
        return self.cache_dir / f"{key}.safetensors" if self.cache_dir else None

    def warm(self, paths: Iterable[str], batch_size: int = 16) -> None:
        """Compute every missing map, ``batch_size`` images per backbone call."""
        from safetensors.torch import load_file, save_file

        todo: list[tuple[str, str]] = []
        for p in dict.fromkeys(paths):
            key = self._key(p)
            if key in self._memory:
                continue
            f = self._disk(key)
            if f is not None and f.is_file():
                self._memory[key] = load_file(str(f))["features"]
            else:
                todo.append((p, key))
        for i in range(0, len(todo), batch_size):
            chunk = todo[i : i + batch_size]
            x = torch.stack([preprocess(load_image(p), self.image_size) for p, _ in chunk]).to(self.device)
            maps = self.encoder.feature_maps(x).float().cpu()
            for (_, key), m in zip(chunk, maps):
                self._memory[key] = m.contiguous()
                f = self._disk(key)
                if f is not None:
                    f.parent.mkdir(parents=True, exist_ok=True)
                    save_file({"features": self._memory[key]}, str(f))

    def get(self, paths: Sequence[str]) -> torch.Tensor | None:
        """The mean map of a record's images (C, 7, 7), or None for a record without images."""
        if not paths:
            return None
        self.warm(paths)
        return torch.stack([self._memory[self._key(p)] for p in paths]).mean(dim=0)
