"""The attention overlay: the model's 7×7 attention over the shown image, with a legend that says
what it is (the model's attention, not a finding) — or, where there is no map, why, in words.

The overlay is a child of the image item (``ZoomView.item``), so zoom, pan and window/level move
it with the image and it never needs redrawing for them. The model squeezes every image to a
square before its backbone (``image_encoder.preprocess``), so its 7×7 grid covers the whole image
whatever its aspect: each cell is drawn as one flat block of width/7 × height/7 image pixels —
no smoothing, which would suggest a finer resolution than the model has.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from PySide6.QtCore import QEvent, QObject, QRectF, Qt
from PySide6.QtGui import (
    QBrush,
    QColor,
    QFontMetricsF,
    QImage,
    QLinearGradient,
    QPainter,
    QPen,
    QPixmap,
    QTransform,
)
from PySide6.QtWidgets import QGraphicsPixmapItem, QWidget

GRID = 7
CELLS = GRID * GRID

# viridis (matplotlib's default map, sampled at 17 even steps): perceptually uniform, so equal steps
# of weight look like equal steps of colour, and readable with the common colour-vision
# deficiencies; its ends are neither black nor white, so a cell never reads as a dark or bright
# patch of the grey radiograph under it. The numbers are here because matplotlib is only a test
# dependency (tests/gui/test_attention_overlay.py checks them against it).
VIRIDIS = np.array([
    (68, 1, 84), (72, 24, 106), (71, 45, 123), (66, 64, 134), (59, 82, 139), (51, 99, 141), (44, 114, 142),
    (38, 130, 142), (33, 145, 140), (31, 160, 136), (40, 174, 128), (63, 188, 115), (94, 201, 98),
    (132, 212, 75), (173, 220, 48), (216, 226, 25), (253, 231, 37),
], dtype=np.float64)
ALPHA_LOW, ALPHA_HIGH = 70, 185  # the least attended cell stays faint, the image readable under the most
# One fixed scale for every map, relative to the even share (1/49 per cell): colour 0 is no
# attention, the top colour a cell with TOP_RATIO times its even share or more. Scaling each map to
# its own maximum instead would paint a flat map (the model looks nowhere in particular) as
# brightly as a sharp one; with a fixed scale a flat map stays a flat, dim tint, and two images or
# two records can be compared by eye.
TOP_RATIO = 4.0


def colour_map(values: np.ndarray) -> np.ndarray:
    """Values in [0, 1] → RGB (…, 3) uint8 on VIRIDIS (linear between its samples)."""
    v = np.clip(np.asarray(values, dtype=np.float64), 0.0, 1.0) * (len(VIRIDIS) - 1)
    lo = np.floor(v).astype(int).clip(0, len(VIRIDIS) - 2)
    t = (v - lo)[..., None]
    return np.rint(VIRIDIS[lo] * (1 - t) + VIRIDIS[lo + 1] * t).astype(np.uint8)


def heat_image(weights: Sequence[float]) -> QImage:
    """A 7×7 RGBA image of the weights (row-major, row 0 at the top) on the fixed scale above."""
    w = np.asarray(weights, dtype=np.float64).reshape(GRID, GRID)
    v = np.clip(w * CELLS / TOP_RATIO, 0.0, 1.0)
    rgba = np.empty((GRID, GRID, 4), dtype=np.uint8)
    rgba[..., :3] = colour_map(v)
    rgba[..., 3] = np.rint(ALPHA_LOW + (ALPHA_HIGH - ALPHA_LOW) * v).astype(np.uint8)
    img = QImage(rgba.tobytes(), GRID, GRID, GRID * 4, QImage.Format.Format_RGBA8888)
    return img.copy()  # own the pixels: the bytes above are temporary


class AttentionLegend(QWidget):
    """What the overlay is, in words, over the view's top-left corner: lines of text (wrapped) on a
    dark box, and a colour bar when there is a map. A widget on the view, not an item in the scene,
    so that "not a finding" stays in sight at every zoom and pan; clicks pass through to the image."""

    PAD = 6.0
    BAR = (120.0, 10.0)
    MAX_WIDTH = 400.0  # it lies over the image: wrap rather than cover a whole row of cells
    MARGIN = 8

    def __init__(self, view: QWidget) -> None:
        super().__init__(view)
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.lines: list[str] = []
        self.bar = False
        self.low, self.high = "low", "high"
        f = self.font()
        f.setPointSizeF(max(f.pointSizeF(), 9.0))
        self.setFont(f)
        self._heights: list[float] = []
        view.installEventFilter(self)
        self.hide()

    def set_lines(self, lines: Sequence[str], bar: bool) -> None:
        self.lines, self.bar = list(lines), bar
        self._layout()
        self.show()
        self.raise_()
        self.update()

    def text(self) -> str:
        return "\n".join(self.lines)

    def _text_width(self) -> float:
        view = self.parentWidget()
        room = (view.width() - 2 * self.MARGIN - 2 * self.PAD) if view is not None else self.MAX_WIDTH
        return max(min(self.MAX_WIDTH, room), 120.0)

    def _layout(self) -> None:
        fm = QFontMetricsF(self.font())
        limit = self._text_width()
        flags = int(Qt.TextFlag.TextWordWrap)
        rects = [fm.boundingRect(QRectF(0, 0, limit, 10_000), flags, t) for t in self.lines]
        self._heights = [r.height() for r in rects]
        width = max([r.width() for r in rects] + [self.BAR[0] + 90 if self.bar else 0])
        height = sum(self._heights) + (self.BAR[1] + 8 if self.bar else 0)
        self.setGeometry(self.MARGIN, self.MARGIN, int(width + 2 * self.PAD) + 1, int(height + 2 * self.PAD) + 1)

    def eventFilter(self, obj: QObject, e: QEvent) -> bool:  # noqa: N802
        if e.type() == QEvent.Type.Resize and self.lines:
            self._layout()  # a narrower pane wraps the lines anew
        return False

    def paintEvent(self, e: object) -> None:  # noqa: N802
        if not self.lines:
            return
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(QColor(0, 0, 0, 190))
        box = QRectF(self.rect())
        p.drawRoundedRect(box, 4, 4)
        fm = QFontMetricsF(self.font())
        y, width = self.PAD, box.width() - 2 * self.PAD
        for i, (line, h) in enumerate(zip(self.lines, self._heights)):
            p.setPen(QColor("#ffd36b") if i == 0 else QColor("#e8e8e8"))  # the first line says what this is
            p.drawText(QRectF(self.PAD, y, width, h), int(Qt.TextFlag.TextWordWrap), line)
            y += h
        if self.bar:
            y += 4
            low_w = fm.horizontalAdvance(self.low) + 6
            bar = QRectF(self.PAD + low_w, y, *self.BAR)
            grad = QLinearGradient(bar.topLeft(), bar.topRight())
            for k, rgb in enumerate(VIRIDIS):
                grad.setColorAt(k / (len(VIRIDIS) - 1), QColor(*(int(c) for c in rgb)))
            p.setBrush(QBrush(grad))
            p.setPen(QPen(QColor("#888"), 0.5))
            p.drawRect(bar)
            p.setPen(QColor("#e8e8e8"))
            p.drawText(QRectF(self.PAD, y - 3, low_w, fm.height()), Qt.AlignmentFlag.AlignLeft, self.low)
            p.drawText(QRectF(bar.right() + 6, y - 3, box.width(), fm.height()), Qt.AlignmentFlag.AlignLeft,
                       self.high)
        p.end()


class AttentionOverlay(QGraphicsPixmapItem):
    """The heat map, a child of ``image_item`` scaled to its pixmap; ``legend`` is a widget on ``view``.

    ``show_map`` draws weights with legend lines; ``show_message`` draws no map, only the lines
    (why there is none). ``fit`` follows a new pixmap of the image item (another image, or the
    same one at another size)."""

    def __init__(self, image_item: QGraphicsPixmapItem, view: QWidget) -> None:
        super().__init__(image_item)
        self.setTransformationMode(Qt.TransformationMode.FastTransformation)  # flat cells, as the model sees them
        self.setShapeMode(QGraphicsPixmapItem.ShapeMode.BoundingRectShape)
        self.setAcceptedMouseButtons(Qt.MouseButton.NoButton)  # pan and window/level reach the image
        self.setZValue(1)
        self.legend = AttentionLegend(view)
        self.weights: tuple[float, ...] = ()

    def show_map(self, weights: Sequence[float], lines: Sequence[str], low: str = "0",
                 high: str = f"≥ {TOP_RATIO:g}× even") -> None:
        if len(weights) != CELLS:
            raise ValueError(f"{len(weights)} attention weights, not {CELLS}")
        self.weights = tuple(float(w) for w in weights)
        self.setPixmap(QPixmap.fromImage(heat_image(self.weights)))
        self.legend.low, self.legend.high = low, high
        self.legend.set_lines(lines, bar=True)
        self.fit()
        self.show()

    def hide_all(self) -> None:
        """Off: neither the map nor its legend."""
        self.hide()
        self.legend.hide()

    def show_message(self, lines: Sequence[str]) -> None:
        self.weights = ()
        self.setPixmap(QPixmap())
        self.legend.set_lines(lines, bar=False)
        self.fit()
        self.show()

    @property
    def has_map(self) -> bool:
        return not self.pixmap().isNull()

    def fit(self) -> None:
        """Scale the 7×7 pixmap onto the image item's pixmap (its size in image pixels)."""
        parent = self.parentItem()
        size = parent.pixmap().size() if isinstance(parent, QGraphicsPixmapItem) else None
        if self.has_map and size is not None and not size.isEmpty():
            self.setTransform(QTransform.fromScale(size.width() / GRID, size.height() / GRID))
        else:
            self.resetTransform()

    def image_rect(self) -> QRectF:
        """The map's rectangle in the image item's coordinates (the image's, when it is drawn)."""
        return self.mapRectToParent(self.boundingRect())


__all__ = ["TOP_RATIO", "VIRIDIS", "AttentionLegend", "AttentionOverlay", "colour_map", "heat_image"]
