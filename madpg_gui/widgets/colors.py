"""Colours and small icons shared by the widgets."""

from __future__ import annotations

from functools import lru_cache

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QIcon, QPainter, QPixmap

from madpg_core.domain import RecordStatus

STATUS_COLORS = {RecordStatus.NEW: "#B0B0B0", RecordStatus.PRELABELLED: "#E69F00", RecordStatus.REVIEWED: "#009E73"}
STATUS_MARKS = {RecordStatus.NEW: "○", RecordStatus.PRELABELLED: "◐", RecordStatus.REVIEWED: "●"}


def tint(color: str, alpha: int) -> QColor:
    """``color`` blended over white: readable text on a light highlight, no transparency stacking."""
    c = QColor(color)
    a = alpha / 255
    return QColor(round(255 - (255 - c.red()) * a), round(255 - (255 - c.green()) * a), round(255 - (255 - c.blue()) * a))


@lru_cache(maxsize=64)
def swatch(color: str, size: int = 12, round_: bool = False) -> QIcon:
    pm = QPixmap(size, size)
    pm.fill(Qt.GlobalColor.transparent)
    p = QPainter(pm)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    p.setBrush(QColor(color))
    p.setPen(QColor(color).darker(130))
    if round_:
        p.drawEllipse(1, 1, size - 2, size - 2)
    else:
        p.drawRoundedRect(1, 1, size - 2, size - 2, 2, 2)
    p.end()
    return QIcon(pm)
