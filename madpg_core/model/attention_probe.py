"""What the model looked at: the relation gate's r and a 7×7 attention map per image of a record.

This is the model's attention, not a finding: it says where the fused encoder put its attention
while tagging this text, nothing about where a lesion is.

What the two numbers are (decided from madpg.py and gate.py, DESIGN.md §2 step 3–4):

- **r** (``RelationGate``): p(relevant)² from the first fusion pass's [CLS]; one scalar per
  *piece* of text (a long record is cut into pieces, each with its own r), not per token. The
  gate's visual mask R = r·W + d has one value per visual token; it is reported beside r
  (``gate_mask``) because it is what scales each token's value in the second pass, but it
  depends on the text only through r, so it is not drawn.
- **weights** (49 values, row-major 7×7, summing to 1): the attention probabilities of the
  *second* fusion pass (the one whose text states the tagger reads) from the text onto the 49
  visual tokens, averaged over every layer, every head and every token a character of the text
  reads (not [CLS]/[SEP]), over all pieces (each token counts once), then normalised over the 49
  cells. ``visual_share`` is the mean attention mass that went to the visual tokens at all
  (before normalising): a map with a share of 0.01 is what the text barely looked at.
  The probabilities are recomputed from each self-attention module's input with its own query
  and key layers (forward hooks on the encoder; SDPA does not hand them out), with the same key
  mask the model used; tests check that they reproduce the module's output.

The model's own prediction averages the feature maps of all a record's images into one 7×7 map
(``FeatureCache.get``), so one grid cell stands for that cell of every image. To draw a map over
one image, each image is run alone (``images[i]``: "this image alone"); ``combined_r`` is r with
all images averaged, as pre-labelling sees them (None for a single image).

No map is made (``reason`` says why, in words): a model without the image path; a record
without images; a model whose image path was never trained (the gate's W is still all ones and d
all zeros, or the EMA's GroupNorm is still at its start, exactly as ``__init__`` left them: no
training step with an image ever reached them; the bundled default model is one). A preset
without the gate still has attention but no r (``r`` None, said in ``note``).

This module imports torch only inside its functions, so the window can read an
``AttentionMap.from_dict`` answer without it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from madpg_core.errors import MadpgError

if TYPE_CHECKING:
    import torch

    from madpg_core.domain import Record
    from madpg_core.featurize import Piece
    from madpg_core.model.madpg import MADPG
    from madpg_core.text.protocol import DependencyParser

GRID = 7  # as gate.GRID (not imported: gate.py imports torch)
CELLS = GRID * GRID


@dataclass(frozen=True)
class ImageAttention:
    """One image of the record, run alone through the model."""

    index: int  # position in the record's images
    r: float | None = None  # mean over pieces; None without a gate
    r_pieces: tuple[float, ...] = ()
    weights: tuple[float, ...] = ()  # 49, row-major (row 0 = top of the image), sum 1
    visual_share: float = 0.0  # mean attention mass of a text token on the 49 visual tokens
    gate_mask: tuple[float, ...] = ()  # R = r·W + d, 49 values (mean over pieces); empty without a gate
    reason: str = ""  # why there is no map for this image (it could not be read, ...)

    @property
    def available(self) -> bool:
        return not self.reason and len(self.weights) == CELLS


@dataclass(frozen=True)
class AttentionMap:
    """The answer for one record: a map per image, or ``reason`` (no map at all)."""

    model_version: str = ""
    images: tuple[ImageAttention, ...] = ()
    combined_r: float | None = None
    reason: str = ""
    note: str = ""  # a remark that does not stop the drawing (no gate in this preset: no r)
    layers: int = 0
    heads: int = 0

    @property
    def available(self) -> bool:
        return not self.reason

    def image(self, index: int) -> ImageAttention | None:
        return next((im for im in self.images if im.index == index), None)

    def as_dict(self) -> dict[str, Any]:
        return {
            "model_version": self.model_version, "combined_r": self.combined_r, "reason": self.reason,
            "note": self.note, "layers": self.layers, "heads": self.heads, "grid": GRID,
            "images": [{"index": im.index, "r": im.r, "r_pieces": list(im.r_pieces), "weights": list(im.weights),
                        "visual_share": im.visual_share, "gate_mask": list(im.gate_mask), "reason": im.reason}
                       for im in self.images],
        }

    @classmethod
    def from_dict(cls, d: object) -> AttentionMap:
        """Read an ``as_dict`` answer (from the pre-label process); a malformed one is a MadpgError."""
        try:
            if not isinstance(d, dict):
                raise TypeError("not an object")
            images = []
            for im in d.get("images") or ():
                weights = tuple(float(w) for w in im.get("weights") or ())
                if weights and len(weights) != CELLS:
                    raise ValueError(f"{len(weights)} weights, not {CELLS}")
                r = im.get("r")
                images.append(ImageAttention(
                    int(im["index"]), None if r is None else float(r), tuple(float(x) for x in im.get("r_pieces") or ()),
                    weights, float(im.get("visual_share") or 0.0), tuple(float(x) for x in im.get("gate_mask") or ()),
                    str(im.get("reason") or "")))
            cr = d.get("combined_r")
            return cls(str(d.get("model_version") or ""), tuple(images), None if cr is None else float(cr),
                       str(d.get("reason") or ""), str(d.get("note") or ""), int(d.get("layers") or 0),
                       int(d.get("heads") or 0))
        except (TypeError, ValueError, KeyError, AttributeError) as e:
            raise MadpgError(f"malformed attention answer: {e}") from e


# ---------------------------------------------------------------- when there is nothing to show


def image_path_untrained(model: MADPG) -> bool | None:
    """Whether the image path is exactly as ``__init__`` built it (never trained on an image): True
    when the gate's W is all ones and d all zeros, or (without a gate) the EMA's GroupNorm has unit
    weights and zero biases; False when they moved; None when the model has neither (no way to tell).

    A training step with no image never gives these a gradient, so an optimizer leaves them as
    they were; one step with an image moves them."""
    import torch

    if model.gate is not None:
        return bool(torch.all(model.gate.weight == 1) and torch.all(model.gate.bias == 0))
    ema = getattr(getattr(model.image, "tokens", None), "ema", None)
    norm = getattr(ema, "norm", None)
    if norm is not None:
        return bool(torch.all(norm.weight == 1) and torch.all(norm.bias == 0))
    return None


def unavailable_reason(model: MADPG, record: Record) -> str:
    """Why this record gets no attention map from this model ("" when it gets one)."""
    name = model.cfg.name
    if model.image is None:
        return (f"The active model ({name}) has no image path: it was trained on text alone and never "
                "looks at images.")
    if not model.text.fusion:
        return f"The active model ({name}) does not fuse images into its text encoder: there is no attention to show."
    if not record.images:
        return "This record has no images."
    if image_path_untrained(model):
        return (f"The active model ({name}) was trained without images: its image path (relation gate, EMA) "
                "is exactly as it was built, so where it would 'look' means nothing. Train a version on "
                "records with images to see where its attention goes.")
    return ""


# ---------------------------------------------------------------- the probe


@dataclass
class _Capture:
    """Inputs of every self-attention module in call order: (module index, hidden states)."""

    modules: list[Any]
    calls: list[tuple[int, Any]] = field(default_factory=list)


def _attention_modules(model: MADPG) -> list[Any]:
    """The encoder's self-attention modules in layer order: SmallBert's ``_SelfAttention`` and
    transformers' ``BertSelfAttention`` both have ``query``/``key`` layers and a head count."""
    out = []
    for m in model.text.modules():
        if hasattr(m, "query") and hasattr(m, "key") and _heads(m):
            if getattr(m, "position_embedding_type", "absolute") != "absolute":
                raise MadpgError("attention with relative position embeddings is not supported by the probe")
            out.append(m)
    if not out:
        raise MadpgError(f"no self-attention layers found in the {model.cfg.text_encoder} encoder")
    return out


def _heads(m: Any) -> int:
    return int(getattr(m, "heads", 0) or getattr(m, "num_attention_heads", 0) or 0)


def _probabilities(m: Any, x: torch.Tensor, key_mask: torch.Tensor) -> torch.Tensor:
    """softmax(QKᵀ/√d_h) of module ``m`` on input ``x`` (B, n, d), keys masked by ``key_mask`` (B, n)
    bool: (B, H, n, n), as the module computed it (no dropout: eval)."""
    import torch

    h = _heads(m)
    b, n, _ = x.shape
    q = m.query(x).view(b, n, h, -1).transpose(1, 2).float()
    k = m.key(x).view(b, n, h, -1).transpose(1, 2).float()
    scores = q @ k.transpose(-1, -2) / (q.shape[-1] ** 0.5)
    scores = scores.masked_fill(~key_mask[:, None, None, :], float("-inf"))
    return torch.softmax(scores, dim=-1)


def _run(model: MADPG, pieces: Sequence[Piece], feats: torch.Tensor, mods: list[Any],
         device: str) -> tuple[list[float], torch.Tensor, torch.Tensor, torch.Tensor | None]:
    """One forward (encode only) of ``pieces`` with the feature map ``feats`` (C, 7, 7).

    Returns r per piece (empty without a gate), the attention summed over the text tokens
    (49,), the number of (layer, head, token) terms in that sum, and R summed over pieces."""
    import torch

    from madpg_core.featurize import collate

    batch = collate(pieces, lambda _paths: feats).to(device)
    index = {id(m): i for i, m in enumerate(mods)}
    calls: list[tuple[int, torch.Tensor]] = []

    def hook(module: Any, args: tuple, kwargs: dict) -> None:
        x = args[0] if args else kwargs.get("hidden_states")
        calls.append((index[id(module)], x.detach()))

    handles = [m.register_forward_pre_hook(hook, with_kwargs=True) for m in mods]
    model.last_relevance = None
    try:
        model.encode(batch)
    finally:
        for hd in handles:
            hd.remove()
    n = batch.input_ids.shape[1]
    fused = [(i, x) for i, x in calls if x.shape[1] == n + CELLS]
    # The last len(mods) calls over text + visual tokens are the second fusion pass (with the gate
    # the first pass precedes it; DPGCN-RpRoBERTa's text-only pass is shorter and left out).
    last = fused[-len(mods):]
    if len(last) != len(mods) or [i for i, _ in last] != list(range(len(mods))):
        raise MadpgError("the probe did not see a whole fusion pass through the encoder")
    v_mask = batch.image_mask if batch.image_mask is not None else torch.ones(len(pieces), dtype=torch.bool)
    key_mask = torch.cat([batch.attention_mask.bool(), v_mask.to(batch.attention_mask.device)[:, None]
                          .expand(-1, CELLS)], dim=1)
    # The queries: the tokens the characters read (char_index; n marks a character without a token).
    query = torch.zeros(len(pieces), n, dtype=torch.bool, device=key_mask.device)
    for b in range(len(pieces)):
        idx = batch.char_index[b][batch.char_mask[b]]
        query[b, idx[idx < n]] = True
    total = torch.zeros(CELLS, dtype=torch.float64)
    terms = torch.zeros((), dtype=torch.float64)
    for i, x in last:
        p = _probabilities(mods[i], x, key_mask)  # (B, H, n+49, n+49)
        to_visual = p[:, :, :n, n:]  # text queries → visual keys: (B, H, n, 49)
        sel = query[:, None, :, None].expand_as(to_visual)
        total += (to_visual * sel).sum(dim=(0, 1, 2)).double().cpu()
        terms += sel[..., 0].sum().double().cpu()
    r = model.last_relevance
    rs = [float(v) for v in r.float().cpu()] if r is not None else []
    gate_sum = None
    if r is not None and model.gate is not None:
        mask = r.float()[:, None] * model.gate.weight.reshape(1, -1).float() + model.gate.bias.reshape(1, -1).float()
        gate_sum = mask.sum(dim=0).double().cpu()
    return rs, total, terms, gate_sum


def probe(model: MADPG, record: Record, features: Callable[[Sequence[str]], Any], *,
          parser: DependencyParser | None = None, device: str = "cpu", batch_size: int = 8,
          model_version: str | None = None) -> AttentionMap:
    """r and the 7×7 attention of ``model`` on each image of ``record`` (see the module docstring).

    Args:
        features: the model's feature lookup (paths → mean map (C, 7, 7)), e.g. ``Predictor.features``.
        parser: the dependency parser the GCN reads (the fusion's input depends on it before fusion).
    """
    import torch

    from madpg_core.featurize import length_batches, make_pieces

    version = model_version or model.version
    why = unavailable_reason(model, record)
    if why:
        return AttentionMap(version, reason=why)
    mods = _attention_modules(model)
    pieces = make_pieces([record.with_spans(())], model.text, model.cfg.max_len, piece_chars=model.cfg.piece_chars,
                         parser=parser, lexicon=model.lexicon)
    if not pieces:
        return AttentionMap(version, reason="This record has no text: nothing attends to the images.")
    batches = length_batches(pieces, batch_size, None)
    was_training = model.training
    model.eval()
    images: list[ImageAttention] = []
    try:
        with torch.no_grad():
            for k, path in enumerate(record.images):
                try:
                    feats = features([path])
                except (OSError, ValueError, MadpgError) as e:
                    images.append(ImageAttention(k, reason=f"This image could not be read: {e}"))
                    continue
                rs: list[float] = []
                total = torch.zeros(CELLS, dtype=torch.float64)
                terms = torch.zeros((), dtype=torch.float64)
                gate = torch.zeros(CELLS, dtype=torch.float64)
                for idx in batches:
                    r, t, c, g = _run(model, [pieces[i] for i in idx], feats, mods, device)
                    rs += r
                    total += t
                    terms += c
                    if g is not None:
                        gate += g
                mean = total / terms.clamp(min=1)
                share = float(mean.sum())
                weights = (mean / mean.sum()).tolist() if share > 0 else [1.0 / CELLS] * CELLS
                images.append(ImageAttention(
                    k, (sum(rs) / len(rs)) if rs else None, tuple(round(v, 6) for v in rs),
                    tuple(round(w, 6) for w in weights), round(share, 6),
                    tuple(round(float(v) / len(rs), 6) for v in gate) if rs else ()))
            combined = None
            if len(record.images) > 1 and model.gate is not None and all(im.available for im in images):
                feats = features(list(record.images))
                rs = []
                for idx in batches:
                    rs += _run(model, [pieces[i] for i in idx], feats, mods, device)[0]
                combined = round(sum(rs) / len(rs), 6) if rs else None
    finally:
        if was_training:
            model.train()
    note = ""
    if model.gate is None:
        note = f"This preset ({model.cfg.name}) has no relation gate, so there is no r; the attention is shown."
    first = mods[0]
    return AttentionMap(version, tuple(images), combined, "", note, len(mods), _heads(first))


__all__ = ["CELLS", "GRID", "AttentionMap", "ImageAttention", "image_path_untrained", "probe", "unavailable_reason"]
