"""Model checkpoints: ``model.safetensors`` + ``config.json`` + vocabulary/tokenizer files. No pickles.

A checkpoint folder is self-contained: the pretrained folder or image weights file a model was
trained from are not needed to load it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import torch

from madpg_core.errors import MadpgError
from madpg_core.model.config import ModelConfig
from madpg_core.model.madpg import MADPG

FORMAT = "madpg-checkpoint"
FORMAT_VERSION = 1
CONFIG = "config.json"
WEIGHTS = "model.safetensors"
LEXICON = "lexicon.json"


def save(model: MADPG, folder: Path | str, *, version: str | None = None, meta: dict[str, Any] | None = None) -> Path:
    """Write ``model`` to ``folder`` (created); ``version`` names it in spans it predicts."""
    from safetensors.torch import save_file

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    if version:
        model.version = version
    state = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    # Frozen weights are most of the bytes (ResNet-18: 45 MB; a frozen bigram table 32 MB); they
    # never train, so they are stored in float16 and upcast on load.
    frozen = frozen_prefixes(model)
    for k, v in state.items():
        if v.dtype == torch.float32 and k.startswith(frozen):
            state[k] = v.half()
    save_file(state, str(folder / WEIGHTS), metadata={"format": FORMAT, "fp16": ",".join(frozen)})
    model.text.save_extra(folder)
    if model.lexicon is not None:
        model.lexicon.save(folder / LEXICON)
    doc = {"format": FORMAT, "format_version": FORMAT_VERSION, "model_version": model.version,
           "config": model.cfg.to_dict(), "meta": meta or {}}
    (folder / CONFIG).write_text(json.dumps(doc, ensure_ascii=False, indent=2), "utf-8")
    return folder


def frozen_prefixes(model: MADPG) -> tuple[str, ...]:
    """State-dict prefixes of the frozen parts of ``model``: image backbones, a frozen bigram table."""
    from madpg_core.model.image_encoder import ImageEncoder

    out = tuple(f"{name}.backbone." if name else "backbone." for name, m in model.named_modules()
                if isinstance(m, ImageEncoder))
    if model.text.bigram is not None and not model.text.bigram.weight.requires_grad:
        out += ("text.bigram.",)
    return out


def read_info(folder: Path | str) -> dict[str, Any]:
    """The checkpoint's config.json (format, model_version, config, meta)."""
    path = Path(folder) / CONFIG
    if not path.is_file():
        raise MadpgError(f"{folder} is not a model folder (no {CONFIG})")
    try:
        doc = json.loads(path.read_text("utf-8"))
    except json.JSONDecodeError as e:
        raise MadpgError(f"{path}: not valid JSON ({e})") from e
    if doc.get("format") != FORMAT:
        raise MadpgError(f"{path}: not a MADPG checkpoint")
    if int(doc.get("format_version", 0)) > FORMAT_VERSION:
        raise MadpgError(f"{path}: checkpoint format {doc['format_version']} is newer than this program")
    return doc


def load(folder: Path | str, device: str | torch.device = "cpu") -> MADPG:
    """Rebuild the model saved in ``folder``, in eval mode."""
    from safetensors.torch import load_file

    from madpg_core.model.text_encoders import load_text_encoder

    folder = Path(folder)
    doc = read_info(folder)
    cfg = ModelConfig.from_dict(doc["config"])
    from madpg_core.model.lexicon import Lexicon

    lexicon = Lexicon.load(folder / LEXICON) if cfg.use_lexicon else None
    model = MADPG(cfg, load_text_encoder(cfg, folder), lexicon=lexicon, read_image_weights=False)
    try:
        state = load_file(str(folder / WEIGHTS), device=str(device))
    except (OSError, Exception) as e:  # noqa: BLE001 - a truncated or foreign file
        raise MadpgError(f"cannot read {folder / WEIGHTS}: {e}") from e
    own = model.state_dict()
    state = {k: v.to(own[k].dtype) if k in own and v.dtype != own[k].dtype else v for k, v in state.items()}
    missing, unexpected = model.load_state_dict(state, strict=False)
    if missing or unexpected:
        raise MadpgError(f"{folder}: weights do not fit the config "
                         f"(missing {missing[:3]}, unexpected {unexpected[:3]})")
    model.version = str(doc.get("model_version") or f"{cfg.name}-unknown")
    return model.to(device).eval()
