"""Why a version was (not) activated, in the user's language (issue 20 item 3): the core keeps a
kind and the numbers; the GUI says the sentence, in Chinese without the core's English."""

from __future__ import annotations

import re

import pytest

from madpg_core.version_scores import CheckScore, decide
from madpg_gui import i18n
from madpg_gui.activation import activation_text


def _score(f1: float, n: int, counts: list[tuple[int, int, int]]) -> CheckScore:
    return CheckScore(version=1, key="k", n_records=n, f1=f1, lo=f1, hi=f1, per_type={}, counts=tuple(counts))


CASES = {
    "asked": lambda: decide(_score(0.5, 30, [(1, 1, 1)] * 30), None, "v2", "v1", "always"),
    "asked-never": lambda: decide(_score(0.5, 30, [(1, 1, 1)] * 30), None, "v2", "v1", "never"),
    "first": lambda: decide(_score(0.5, 30, [(1, 1, 1)] * 30), None, "v2", "v1"),
    "too-few": lambda: decide(_score(0.9, 3, [(3, 0, 0)] * 3), _score(0.5, 3, [(1, 1, 1)] * 3), "v2", "v1"),
    "not-better": lambda: decide(_score(0.4, 30, [(1, 2, 2)] * 30), _score(0.5, 30, [(1, 1, 1)] * 30), "v2", "v1"),
    "better": lambda: decide(_score(0.9, 30, [(3, 3, 3)] * 30), _score(0.5, 30, [(0, 1, 1)] * 30), "v2", "v1"),
}


@pytest.mark.parametrize("kind", sorted(CASES))
def test_each_decision_is_said_in_english_and_in_chinese(qapp, kind: str) -> None:  # noqa: ANN001
    d = CASES[kind]()
    assert d.kind == kind
    metrics = d.as_metrics()
    english = activation_text(metrics)
    assert english.startswith("v2") and english == english.strip()
    if kind in ("not-better", "better"):
        assert "check records" in english and re.search(r"\d+\.\d", english)
    try:
        assert i18n.install("zh_CN")
        chinese = activation_text(metrics)
    finally:
        i18n.install("en")
    assert chinese.startswith("v2") and chinese != english
    assert not re.search(r"[A-Za-z]{3,}", chinese), chinese  # no English words left


def test_a_version_from_before_the_kinds_shows_its_sentence() -> None:
    assert activation_text({"activated": True, "reason": "v3 activated: 80.0 vs 70.0"}) == "v3 activated: 80.0 vs 70.0"
    assert activation_text({"kind": "better", "new": "v3", "reason": "kept"}) == "kept"  # numbers missing
    assert activation_text(None) == ""
