"""Entity types' display names: the identifier stays what tags, exports and models use; the user
reads a name in the UI language (issue 20 item 3)."""

from __future__ import annotations

import pytest

from madpg_core.domain import (
    BUILTIN_DISPLAY_NAMES,
    EntityType,
    LabelSchema,
    Span,
    display_name,
    spans_to_bio,
)
from madpg_core.errors import MadpgError


def test_default_schema_shows_the_papers_chinese_terms_and_keeps_its_identifiers() -> None:
    schema = LabelSchema.default()
    assert schema.names == ("Disease", "Symptom", "Organ", "Attribute", "Treatment")
    assert [display_name(t, "zh_CN") for t in schema.types] == ["疾病", "症状", "器官", "属性", "治疗手段"]
    assert [display_name(t, "en") for t in schema.types] == list(schema.names)
    # the identifier, not the display name, goes into BIO tags
    assert spans_to_bio("肺炎", [Span(0, 2, "Disease")]) == ["B-Disease", "I-Disease"]


def test_a_type_without_its_own_name_falls_back_to_the_built_in_one_then_to_the_identifier() -> None:
    assert display_name(EntityType("disease", "#000000"), "zh_CN") == "疾病"  # case does not matter
    assert display_name("dis", "zh_CN") == "疾病"  # CMeEE's code
    assert display_name("Finding", "zh_CN") == "Finding"  # unknown: the identifier
    assert display_name("疾病和诊断", "zh_CN") == "疾病和诊断"  # already Chinese
    assert display_name("Disease", "fr") == "Disease"  # a language without built-in names


def test_an_own_display_name_wins_and_can_be_removed_again() -> None:
    t = EntityType("Disease", "#D55E00", "1").with_display_name("zh_CN", "  病名 ")
    assert display_name(t, "zh_CN") == "病名" and t.own_display_name("zh_CN") == "病名"
    assert display_name(t, "en") == "Disease"
    back = t.with_display_name("zh_CN", "")
    assert back.display_names == () and display_name(back, "zh_CN") == "疾病"
    assert back == EntityType("Disease", "#D55E00", "1")


def test_schema_display_name_covers_types_it_no_longer_has() -> None:
    schema = LabelSchema((EntityType("Symptom", "#56B4E9", "1", (("zh_CN", "临床症状"),)),))
    assert schema.display_name("Symptom", "zh_CN") == "临床症状"
    assert schema.display_name("Disease", "zh_CN") == "疾病"  # e.g. in an older model's scores


def test_two_types_cannot_share_a_display_name() -> None:
    with pytest.raises(MadpgError, match="share the display name"):
        LabelSchema((EntityType("A", "#000000", None, (("zh_CN", "同名"),)),
                     EntityType("B", "#111111", None, (("zh_CN", "同名"),))))


def test_built_in_names_are_chinese_and_keyed_in_lower_case() -> None:
    for name, text in BUILTIN_DISPLAY_NAMES["zh_CN"].items():
        assert name == name.lower()
        assert all("\u4e00" <= c <= "\u9fff" for c in text), text
