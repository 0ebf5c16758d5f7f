"""Screenshots of "what the model looked at" (issue 18, item 2):

- docs/attention-overlay-text-only.png: the demo project with the bundled default model. Its image
  path was never trained on images (MODEL_CARD.md), so the pane says so in words and draws nothing.
- docs/attention-overlay.png: the same chest radiograph with a toy model (madpg-lite at test size,
  ``TOY_STEPS`` Adam steps on the demo records with their images, registered and activated as v1):
  the 7×7 heat map, r and the legend. The toy fits five records; its gate learns that the images do
  not help it tag them (r ≈ 0) while its attention still settles on a few cells — the picture shows
  the overlay, not a finding, as its legend says.

Both come from the real main window offscreen and the real pre-label child. Re-run after a change:

    QT_QPA_PLATFORM=offscreen .venv/bin/python docs/shots/attention_overlay.py [OUT_DIR]
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from shot import ROOT, close, open_window, run, save, wait  # noqa: E402

OUT_DIR = ROOT / "docs"
TOY_STEPS = 60
CHEST = "胸片 · 心脏扩大"  # the demo record with the chest radiograph


def demo_project(folder: Path) -> Path:
    from madpg_gui.demo import create_demo_project

    create_demo_project(folder).close()
    return folder


def add_toy_model(folder: Path) -> None:
    """Train the toy model on the demo records that have images and register it as the active v1."""
    import torch

    from madpg_core import registry
    from madpg_core.checkpoint import save as save_model
    from madpg_core.featurize import collate, make_pieces
    from madpg_core.model.build import new_model
    from madpg_core.model.config import build_config, tiny
    from madpg_core.storage import repo
    from madpg_core.storage.project import Project
    from madpg_core.vision.feature_cache import FeatureCache

    with Project.open(folder) as project:
        registry.ensure_bundled(project)  # v0 stays listed: the toy is a version beside it
        with project.reading() as s:
            records = [r for r in repo.iter_records(s, image_root=project.image_root) if r.images]
        # no BiLSTM: its sequential loop is most of a step's time on a CPU, and the toy needs none
        cfg = tiny(build_config("madpg-lite"), use_gcn=False, use_lexicon=False, use_bilstm=False,
                   embedding_skip=False, min_bigram_count=1, image_size=64)
        torch.manual_seed(0)
        model = new_model(cfg, records)
        feats = FeatureCache(model.image, cfg.image_size).get
        pieces = make_pieces(records, model.text, cfg.max_len, piece_chars=cfg.piece_chars,
                             tag_index={t: i for i, t in enumerate(model.tags)})
        opt = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=1e-2)
        model.train()
        for _ in range(TOY_STEPS):
            opt.zero_grad()
            model.loss(collate(pieces, feats)).backward()
            opt.step()
        model.eval()
        staged = registry.staging_dir(project)
        save_model(model, staged, version="toy")
        v = registry.register(project, staged, "madpg-tiny (toy, demo images)", len(records), None)
        print(f"toy model v{v.version}: {TOY_STEPS} steps on {len(records)} demo records with images")


def shoot(folder: Path, out: Path) -> None:
    from madpg_core.storage import repo

    app, w = open_window(folder, device="cpu")
    with w.project.reading() as s:
        chest = next(r.id for r in repo.iter_records(s) if r.name == CHEST)
    w.show_record(chest)
    wait(app, lambda: w.images.showing_image)
    w.attention.action.trigger()
    wait(app, lambda: w.attention.found is not None, 120)
    wait(app, lambda: False, 0.5)  # let the last paints land
    save(w, out)
    print(w.attention.legend_text().replace("\n", " | "))
    close(w)


def main(out_dir: Path) -> None:
    home = Path(os.environ["MADPG_HOME"])
    folder = demo_project(home / "demo")
    shoot(folder, out_dir / "attention-overlay-text-only.png")
    add_toy_model(folder)
    shoot(folder, out_dir / "attention-overlay.png")


if __name__ == "__main__":
    run(main, OUT_DIR)
