"""The default entity colours stay apart for the common colour-vision deficiencies.

Simulation: Machado, Oliveira & Fernandes (2009), "A physiologically-based model for simulation of
color vision deficiency", IEEE TVCG 15(6) — their matrices for severity 1.0, applied to linear
sRGB. Distance: CIE 1976 ΔE*ab. Written here (a few lines of numpy) rather than adding a colour
library to the project for one test.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from madpg_core.domain import LabelSchema

SIMULATIONS = {
    "normal vision": np.eye(3),
    "protanopia": np.array([[0.152286, 1.052583, -0.204868], [0.114503, 0.786281, 0.099216],
                            [-0.003882, -0.048116, 1.051998]]),
    "deuteranopia": np.array([[0.367322, 0.860646, -0.227968], [0.280085, 0.672501, 0.047413],
                              [-0.011820, 0.042940, 0.968881]]),
}
MIN_DELTA_E = 15.0  # clearly different side by side (a just-noticeable difference is about 2.3)
MIN_HUE_GAP = 40.0  # degrees of CIELAB hue between any two default types in normal vision


def linear(hex_color: str) -> np.ndarray:
    c = np.array([int(hex_color[i : i + 2], 16) for i in (1, 3, 5)]) / 255
    return np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)


def lab(rgb_linear: np.ndarray) -> np.ndarray:
    xyz = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]]) @ np.clip(
        rgb_linear, 0, 1)
    xyz = xyz / np.array([0.95047, 1.0, 1.08883])  # D65 white
    f = np.where(xyz > 0.008856, np.cbrt(xyz), 7.787 * xyz + 16 / 116)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


DEFAULT = LabelSchema.default().types


@pytest.mark.parametrize("vision", SIMULATIONS)
def test_every_pair_of_default_types_stays_apart(vision: str) -> None:
    seen = {t.name: lab(SIMULATIONS[vision] @ linear(t.color)) for t in DEFAULT}
    close = [(a, b, round(float(np.linalg.norm(seen[a] - seen[b])), 1))
             for a, b in itertools.combinations(seen, 2) if np.linalg.norm(seen[a] - seen[b]) < MIN_DELTA_E]
    assert not close, f"too close under {vision}: {close}"


def test_default_types_have_different_hues() -> None:
    hues = {t.name: np.degrees(np.arctan2(*lab(linear(t.color))[[2, 1]])) % 360 for t in DEFAULT}
    gaps = {(a, b): min(abs(hues[a] - hues[b]), 360 - abs(hues[a] - hues[b])) for a, b in itertools.combinations(hues, 2)}
    assert min(gaps.values()) >= MIN_HUE_GAP, {k: round(v) for k, v in gaps.items() if v < MIN_HUE_GAP}
