"""The attention overlay: a child of the image item with the image's size, its colours, its legend;
in the real window, the map from the real pre-label child for the shown image, following the
image, off and on again; and the reason in words where the model has no map to give."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import QRectF
from PySide6.QtGui import QColor, QImage

from madpg_core import registry
from madpg_core.domain import LabelSchema, Record
from madpg_core.storage import repo
from madpg_core.storage.project import Project
from madpg_gui import settings
from madpg_gui.main_window import MainWindow
from madpg_gui.widgets.attention_overlay import (
    ALPHA_HIGH,
    ALPHA_LOW,
    TOP_RATIO,
    VIRIDIS,
    AttentionOverlay,
    colour_map,
)
from madpg_gui.widgets.zoom_view import ZoomView
from tests.attention_models import TEXT, TYPES, saved_tiny_image_model

WAIT_MS = 90_000  # the child imports torch and loads the model first


def _weights(hot: int) -> list[float]:
    w = np.full(49, 1.0)
    w[hot] = 10.0
    return (w / w.sum()).tolist()


def test_the_overlay_is_a_child_of_the_image_with_its_size(qtbot) -> None:  # noqa: ANN001
    view = ZoomView()
    qtbot.addWidget(view)
    img = QImage(300, 200, QImage.Format.Format_RGB32)
    img.fill(QColor("gray"))
    view.set_image(img)
    overlay = AttentionOverlay(view.item, view)
    overlay.show_map(_weights(8), ["Model attention (r = 0.63) — not a finding"])
    assert overlay.parentItem() is view.item and overlay.isVisible()
    assert overlay.image_rect() == QRectF(0, 0, 300, 200)
    heat = overlay.pixmap().toImage()
    assert (heat.width(), heat.height()) == (7, 7)
    assert heat.pixelColor(1, 1).alpha() == ALPHA_HIGH  # cell 8 (row 1, column 1): > TOP_RATIO × even
    # the others hold 1/58 each, a fixed scale: 49/58 of the even share over TOP_RATIO
    assert heat.pixelColor(0, 0).alpha() == round(ALPHA_LOW + (ALPHA_HIGH - ALPHA_LOW) * 49 / 58 / TOP_RATIO)
    assert overlay.legend.text() == "Model attention (r = 0.63) — not a finding"
    assert overlay.legend.parentWidget() is view and not overlay.legend.isHidden()  # in sight at every zoom
    # a flat map stays a dim, even tint: not painted as brightly as a sharp one
    overlay.show_map([1 / 49] * 49, ["flat"])
    flat = overlay.pixmap().toImage()
    assert {flat.pixelColor(x, y).alpha() for x in range(7) for y in range(7)} == \
        {round(ALPHA_LOW + (ALPHA_HIGH - ALPHA_LOW) / TOP_RATIO)}
    # another image, another size: the overlay follows
    view.set_image(QImage(64, 512, QImage.Format.Format_RGB32))
    overlay.fit()
    assert overlay.image_rect() == QRectF(0, 0, 64, 512)
    overlay.show_message(["Model attention: nothing to show", "This record has no images."])
    assert not overlay.has_map and "no images" in overlay.legend.text()
    with pytest.raises(ValueError):
        overlay.show_map([0.5, 0.5], ["x"])


def test_the_colours_are_matplotlibs_viridis() -> None:
    import matplotlib

    ref = matplotlib.colormaps["viridis"]
    for x in np.linspace(0, 1, 33):
        want = np.rint(np.array(ref(x)[:3]) * 255)
        assert np.abs(colour_map(np.array([x]))[0].astype(int) - want).max() <= 5, x  # 2 %: invisible
    assert (VIRIDIS[0] == (68, 1, 84)).all()


def _png(path: Path, seed: int, size: tuple[int, int]) -> Path:
    a = (np.random.default_rng(seed).random((size[1], size[0], 3)) * 255).astype(np.uint8)
    Image.fromarray(a).save(path)
    return path


@pytest.fixture
def image_project(tmp_path: Path) -> Path:
    sources = [_png(tmp_path / "pa.png", 1, (120, 90)), _png(tmp_path / "lat.png", 2, (80, 100))]
    folder = tmp_path / "p"
    with Project.create(folder, LabelSchema.from_names(TYPES)) as p, p.transaction() as s:
        repo.add_record(s, Record(TEXT, name="chest"), [p.store_image(src) for src in sources])
        repo.add_record(s, Record("门诊记录，无影像。", name="no image"))
    return folder


def _window(qtbot, folder: Path) -> MainWindow:  # noqa: ANN001
    w = MainWindow(settings.Preferences(language="en", device="cpu"))
    qtbot.addWidget(w)
    w.show()
    assert w.open_project(folder)
    w.show_record(w.records.ids()[0])
    qtbot.waitUntil(lambda: w.images.showing_image, timeout=10_000)
    return w


def test_the_window_draws_the_childs_map_over_the_shown_image(qtbot, image_project: Path, tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: ANN001
    with Project.open(image_project) as p, p.reading() as s:
        images = repo.get_record(s, 1, p.image_root).images
    model = saved_tiny_image_model(images, tmp_path / "model", train_steps=1)
    monkeypatch.setattr(registry, "default_model_dir", lambda: model)  # registered as v0 when the project opens
    w = _window(qtbot, image_project)
    view, att = w.images.view, w.attention
    assert att.button.parent() is not None and att.overlay is None  # off: nothing drawn, nothing asked
    att.action.trigger()
    qtbot.waitUntil(lambda: att.overlay is not None and att.overlay.has_map, timeout=WAIT_MS)
    found = att.found
    assert found is not None and found.available and len(found.images) == 2
    assert att.overlay.parentItem() is view.item
    assert att.overlay.image_rect() == QRectF(0, 0, 120, 90)  # the shown image, in its own pixels
    assert att.overlay.weights == found.images[0].weights
    legend = att.legend_text()
    assert legend.startswith(f"Model attention (r = {found.images[0].r:.2f}) — not a finding")
    assert "all 2 images together" in legend and "Model v0" in legend and "not a finding" in legend

    w.images.show_index(1)  # the other image: its own map, at its size
    qtbot.waitUntil(lambda: att.overlay.weights == found.images[1].weights
                    and att.overlay.image_rect() == QRectF(0, 0, 80, 100), timeout=10_000)

    att.action.trigger()  # off
    assert not att.overlay.isVisible() and not att.overlay.legend.isVisible() and att.legend_text() == ""
    att.action.trigger()  # on again: the answer is kept, nothing is asked again
    assert att.overlay.isVisible() and att.overlay.has_map and att._job is None

    w.show_record(w.records.ids()[1])  # a record without images: nothing drawn, nothing asked
    assert not att.overlay.isVisible() and att.overlay.legend.isHidden() and att._job is None
    assert w.images.note.text() == "No image for this record"
    w.show_record(w.records.ids()[0])  # back: asked again (a new record), drawn again
    qtbot.waitUntil(lambda: att.overlay.has_map and att.overlay.isVisible(), timeout=WAIT_MS)
    w.model_loop.shutdown()


def test_a_model_trained_without_images_is_said_in_words(qtbot, image_project: Path, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: ANN001
    from madpg_core.checkpoint import save
    from madpg_core.model.build import new_model
    from madpg_core.model.config import build_config, tiny
    from tests.attention_models import records_with

    cfg = tiny(build_config("madpg-lite"), image_encoder="none", use_gate=False, use_ema=False, use_gcn=False,
               use_lexicon=False, min_bigram_count=1, entity_types=TYPES)
    model = save(new_model(cfg, records_with(())), tmp_path / "text-only", version="text-only")
    monkeypatch.setattr(registry, "default_model_dir", lambda: model)
    w = _window(qtbot, image_project)
    att = w.attention
    att.action.trigger()
    qtbot.waitUntil(lambda: att.found is not None, timeout=WAIT_MS)
    assert not att.overlay.has_map and att.overlay.isVisible()
    assert att.legend_text().startswith("Model attention: nothing to show")
    assert "has no image path" in att.legend_text() and "trained on text alone" in att.legend_text()
    w.model_loop.shutdown()
