"""A tiny MADPG whose image path has seen images (a few real Adam steps on records with images),
for the attention probe's tests, the service's, the window's and the screenshot script: a fresh
model's gate is still at its start, which the probe rightly calls "trained without images"."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from madpg_core.domain import Record, Span

TEXT = "患者胸片示右肺阴影，考虑肺部感染。心影增大。"
TYPES = ("Organ", "Disease")


def records_with(images: Sequence[str]) -> list[Record]:
    images = tuple(images)
    return [Record(TEXT, (Span(5, 7, "Organ"), Span(11, 15, "Disease")), images),
            Record("心影增大，双肺纹理增多。", (Span(0, 4, "Disease"), Span(5, 7, "Organ")), images)]


def tiny_image_model(images: Sequence[str], *, train_steps: int = 2, **over: object):  # noqa: ANN201 - MADPG
    """madpg-lite at toy size (SmallBert fusion, relation gate, EMA; no GCN, no lexicon), trained
    ``train_steps`` steps on two records that carry ``images``."""
    import torch

    from madpg_core.featurize import collate, make_pieces
    from madpg_core.model.build import new_model
    from madpg_core.model.config import build_config, tiny

    cfg = tiny(build_config("madpg-lite"), use_gcn=False, use_lexicon=False, min_bigram_count=1, image_size=32,
               entity_types=TYPES, **over)
    torch.manual_seed(0)
    records = records_with(images)
    model = new_model(cfg, records)
    if train_steps and model.image is not None:
        from madpg_core.vision.feature_cache import FeatureCache

        feats = FeatureCache(model.image, cfg.image_size).get
        pieces = make_pieces(records, model.text, cfg.max_len, tag_index={t: i for i, t in enumerate(model.tags)})
        opt = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=1e-2)
        model.train()
        for _ in range(train_steps):
            opt.zero_grad()
            model.loss(collate(pieces, feats)).backward()
            opt.step()
    return model.eval()


def saved_tiny_image_model(images: Sequence[str], folder: Path, **over: object) -> Path:
    """``tiny_image_model`` written as a checkpoint folder (what a project registers as a version)."""
    from madpg_core.checkpoint import save

    return save(tiny_image_model(images, **over), folder, version=folder.name)
