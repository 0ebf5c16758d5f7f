"""Backbone feature maps cached per image content: memory first, then safetensors files on disk.

The key is the image file's SHA-256 plus the encoder's id (the backbone's fingerprint and the input
size), so a re-trained or different backbone never reads stale maps, and a renamed or copied file
is not recomputed. The frozen backbone's map depends on nothing else, so it is computed once per
image for a whole training run (every epoch reads it from memory) and, with a cache folder, once
for every process that shares the folder: the ranks of a distributed run, a later re-training, the
pre-label process. A file appears under its final name only when complete (written beside it, then
renamed), so a process never reads another's half-written map; an unreadable file is recomputed.
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from pathlib import Path

import torch

from madpg_core.model.image_encoder import ImageEncoder, backbone_fingerprint, preprocess
from madpg_core.vision.images import load_image

log = logging.getLogger(__name__)

# Maps kept in memory, in bytes: all of a training set's (5,000 ResNet-152 maps are ~2 GB), while a
# bulk pre-label of 100,000 images does not grow without end. The least recently used go first.
DEFAULT_MEMORY_BYTES = 4 << 30


def file_digest(path: str | Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()[:32]


def encoder_id(encoder: ImageEncoder, image_size: int) -> str:
    """What a cached map depends on besides the image: the backbone's weights and the input size."""
    return f"{backbone_fingerprint(encoder.kind, encoder.backbone)}-{image_size}"


class FeatureCache:
    """Feature maps (C, 7, 7) of one backbone, by image path.

    Args:
        encoder: the image encoder whose frozen backbone computes the maps.
        image_size: input side in pixels.
        cache_dir: where to keep ``.safetensors`` files (may be shared by processes); memory only when None.
        device: where the backbone runs.
        memory_bytes: at most this much of the maps is kept in memory (least recently used dropped).
    """

    def __init__(self, encoder: ImageEncoder, image_size: int, cache_dir: Path | None = None,
                 device: torch.device | str = "cpu", memory_bytes: int = DEFAULT_MEMORY_BYTES) -> None:
        self.encoder = encoder
        self.image_size = image_size
        self.cache_dir = Path(cache_dir) if cache_dir else None
        self.device = device
        self.fingerprint = encoder_id(encoder, image_size)
        self.memory_bytes = memory_bytes
        self._memory: OrderedDict[str, torch.Tensor] = OrderedDict()
        self._held = 0  # bytes in _memory
        self._keys: dict[str, str] = {}
        self.computed = 0  # maps this cache ran the backbone for
        self.read = 0  # maps read from files

    def _key(self, path: str) -> str:
        if path not in self._keys:
            self._keys[path] = f"{file_digest(path)}-{self.fingerprint}"
        return self._keys[path]

    def _disk(self, key: str) -> Path | None:
        return self.cache_dir / f"{key}.safetensors" if self.cache_dir else None

    def _keep(self, key: str, m: torch.Tensor) -> None:
        if key in self._memory:
            self._memory.move_to_end(key)
            return
        self._memory[key] = m
        self._held += m.numel() * m.element_size()
        while self._held > self.memory_bytes and len(self._memory) > 1:
            _, old = self._memory.popitem(last=False)
            self._held -= old.numel() * old.element_size()

    def _read_file(self, f: Path) -> torch.Tensor | None:
        from safetensors.torch import load_file

        try:
            return load_file(str(f))["features"]
        except Exception as e:  # noqa: BLE001 - a damaged cache file only costs its recomputation
            log.warning("feature cache file %s unreadable (%s); computing it again", f, e)
            return None

    def _write_file(self, f: Path, m: torch.Tensor) -> None:
        from safetensors.torch import save_file

        try:
            f.parent.mkdir(parents=True, exist_ok=True)
            part = f.with_name(f"{f.name}.{os.getpid()}-{threading.get_ident()}.part")  # one per writer
            save_file({"features": m}, str(part))
            os.replace(part, f)  # atomic: readers see no file or the whole file
        except OSError as e:  # a full or read-only disk only costs the next process a recomputation
            log.warning("feature cache file %s not written (%s)", f, e)

    def warm(self, paths: Iterable[str], batch_size: int = 16) -> None:
        """Compute every missing map, ``batch_size`` images per backbone call."""
        todo: list[tuple[str, str]] = []
        for p in dict.fromkeys(paths):
            key = self._key(p)
            if key in self._memory:
                self._memory.move_to_end(key)
                continue
            f = self._disk(key)
            m = self._read_file(f) if f is not None and f.is_file() else None
            if m is not None:
                self.read += 1
                self._keep(key, m)
            else:
                todo.append((p, key))
        for i in range(0, len(todo), batch_size):
            chunk = todo[i : i + batch_size]
            x = torch.stack([preprocess(load_image(p), self.image_size) for p, _ in chunk]).to(self.device)
            maps = self.encoder.feature_maps(x).float().cpu()
            self.computed += len(chunk)
            for (_, key), m in zip(chunk, maps):
                m = m.contiguous()
                self._keep(key, m)
                f = self._disk(key)
                if f is not None:
                    self._write_file(f, m)

    def get(self, paths: Sequence[str]) -> torch.Tensor | None:
        """The mean map of a record's images (C, 7, 7), or None for a record without images."""
        if not paths:
            return None
        self.warm(paths)
        maps = []
        for p in paths:
            key = self._key(p)
            m = self._memory.get(key)
            if m is None:  # dropped from memory while warming a batch larger than the budget
                self.warm([p])
                m = self._memory[key]
            maps.append(m)
        return torch.stack(maps).mean(dim=0)
