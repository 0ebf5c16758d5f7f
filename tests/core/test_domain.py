from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from madpg_core.domain import (
    LabelSchema,
    Record,
    Span,
    bio_to_spans,
    check_spans,
    spans_to_bio,
)
from madpg_core.errors import MadpgError, OverlapError

# Characters that break naive offset code: CJK, full-width punctuation, digits/Latin, emoji
# (outside the BMP: 2 UTF-16 units, 1 Python char), \r\n, combining marks, zero-width joiner.
TRICKY = "患者胸痛三天，（）：；。ＡＢ１２abc123 \r\n\t😀👩‍⚕️é\u0301\u3000叒"
LABELS = ["Disease", "Symptom", "Organ"]


@st.composite
def text_and_spans(draw: st.DrawFn) -> tuple[str, list[Span]]:
    text = draw(st.text(alphabet=st.sampled_from(TRICKY) | st.characters(), min_size=0, max_size=60))
    spans, pos = [], 0
    while pos < len(text):
        gap = draw(st.integers(0, 5))
        length = draw(st.integers(1, 6))
        start = pos + gap
        end = min(start + length, len(text))
        if start >= end:
            break
        spans.append(Span(start, end, draw(st.sampled_from(LABELS))))
        pos = end + draw(st.integers(0, 1))  # adjacent entities (B-X B-X) included
    return text, spans


@settings(max_examples=300, deadline=None)
@given(text_and_spans())
def test_text_spans_bio_round_trip(case: tuple[str, list[Span]]) -> None:
    text, spans = case
    tags = spans_to_bio(text, spans)
    assert len(tags) == len(text)
    back = bio_to_spans(tags)
    assert back == spans
    assert [text[s.start:s.end] for s in back] == [text[s.start:s.end] for s in spans]


def test_offsets_are_python_indices_on_emoji_and_crlf() -> None:
    text = "😀患者\r\n胸痛"
    span = Span(text.index("胸"), text.index("痛") + 1, "Symptom")
    assert span.text_in(text) == "胸痛"
    assert spans_to_bio(text, [span])[5:] == ["B-Symptom", "I-Symptom"]


def test_invalid_bio_is_repaired_with_a_warning() -> None:
    warnings: list[str] = []
    spans = bio_to_spans(["O", "I-Disease", "I-Disease", "B-Organ", "I-Symptom"], on_warning=warnings.append)
    assert [(s.start, s.end, s.label) for s in spans] == [(1, 3, "Disease"), (3, 4, "Organ"), (4, 5, "Symptom")]
    assert len(warnings) == 2
    assert "position 1" in warnings[0]


def test_underscore_prefixes_are_read() -> None:
    spans = bio_to_spans(["B_症状", "I_症状", "O"])
    assert [(s.start, s.end, s.label) for s in spans] == [(0, 2, "症状")]


def test_malformed_tag_is_an_error() -> None:
    with pytest.raises(MadpgError, match="position 1"):
        bio_to_spans(["O", "X-Disease"])


def test_overlapping_spans_are_refused_with_the_texts() -> None:
    text = "左肺下叶肺炎"
    with pytest.raises(OverlapError, match="肺炎"):
        check_spans(text, [Span(0, 4, "Organ"), Span(3, 6, "Disease")])
    with pytest.raises(OverlapError):
        Record(text, (Span(0, 4, "Organ"), Span(2, 3, "Organ")))


def test_span_bounds() -> None:
    with pytest.raises(MadpgError):
        Span(3, 3, "Organ")
    with pytest.raises(MadpgError, match="past the text"):
        check_spans("abc", [Span(1, 4, "Organ")])


def test_default_schema_is_the_papers_five_with_digit_keys() -> None:
    schema = LabelSchema.default()
    assert schema.names == ("Disease", "Symptom", "Organ", "Attribute", "Treatment")
    assert [t.key for t in schema.types] == ["1", "2", "3", "4", "5"]
    assert len({t.color for t in schema.types}) == 5
    with pytest.raises(MadpgError):
        LabelSchema.from_names(["A", "A"])
