"""Assertion statuses as the annotator reads them: a name, a short mark drawn beside the span, how
the text shows it, and a tooltip that says why the detector proposed a model span's status.

Marks read at a glance and need no colour: absent is struck through, possible is italic; every
status but present also carries a small tag above the span's end (in Chinese one character:
否 疑 假 史 家). Present is drawn as before: most spans are present, and they stay quiet.
"""

from __future__ import annotations

from madpg_core import assertion
from madpg_core.domain import AssertionStatus, Record, Span, SpanSource
from madpg_gui.i18n import tr

S = AssertionStatus
STRUCK = frozenset({S.ABSENT.value})  # drawn struck through: "denied" is the mark readers know
SLANTED = frozenset({S.POSSIBLE.value})  # drawn in italics: in doubt


def status_name(status: str) -> str:
    """The status as the user reads it ("absent" → "Absent")."""
    return {
        S.PRESENT.value: tr("Present"),
        S.ABSENT.value: tr("Absent"),
        S.POSSIBLE.value: tr("Possible"),
        S.HYPOTHETICAL.value: tr("Hypothetical"),
        S.HISTORICAL.value: tr("Historical"),
        S.FAMILY.value: tr("Family member"),
    }.get(status, status)


def status_mark(status: str) -> str:
    """The short tag drawn above a span's end ("" for present). In the Chinese catalogue one
    character each: 否, 疑, 假, 史, 家."""
    return {
        S.ABSENT.value: tr("no"),
        S.POSSIBLE.value: tr("?"),
        S.HYPOTHETICAL.value: tr("if"),
        S.HISTORICAL.value: tr("hx"),
        S.FAMILY.value: tr("fam"),
    }.get(status, "")


def status_help(status: str) -> str:
    """What the status means and how the text shows it (the legend: menus and tooltips)."""
    return {
        S.PRESENT.value: tr("The patient has it (the default); drawn as usual."),
        S.ABSENT.value: tr("Denied or ruled out (否认, 无, 未见); struck through."),
        S.POSSIBLE.value: tr("Suspected, not confirmed (疑似, 考虑, 可能); in italics."),
        S.HYPOTHETICAL.value: tr("Posed, not asserted: a condition, a risk, a plan (如果, 若, 预防)."),
        S.HISTORICAL.value: tr("In the patient's past history (既往, 曾, 病史)."),
        S.FAMILY.value: tr("A relative has it, not the patient (父亲, 母亲, 家族史)."),
    }.get(status, "")


def status_label(status: str) -> str:
    """A status with its mark, for menus and the entity table: "Absent [no]"."""
    mark = status_mark(status)
    return f"{status_name(status)} [{mark}]" if mark else status_name(status)


def legend() -> str:
    """Every status, its mark and its meaning, one per line."""
    return "\n".join(f"{status_label(s.value)}: {status_help(s.value)}" for s in S)


class Reasons:
    """Why the context detector proposes each span's status, for the shown record: computed once
    per record on the first tooltip (a rule pass over the text, no model), not on every hover."""

    def __init__(self) -> None:
        self._record: Record | None = None
        self._found: dict[tuple[int, int, int], assertion.Assertion] = {}

    def of(self, record: Record, span: Span) -> assertion.Assertion | None:
        if record is not self._record:
            self._record = record
            found = assertion.detect_spans(record.text, record.spans)
            self._found = {(sp.start, sp.end, sp.layer): a for sp, a in zip(record.spans, found)}
        return self._found.get((span.start, span.end, span.layer))


def reason_text(found: assertion.Assertion | None) -> str:
    """The detector's reason in the user's language: its cue, where it stands, and what it gave."""
    if found is None or found.cue is None:
        return tr("The detector found no cue: present.")
    side = {"before": tr("before the entity"), "after": tr("after the entity")}.get(found.side, "")
    return tr("The detector proposed {status}: «{cue}» at {offset}, {side}.").format(
        status=status_name(found.status.value), cue=found.cue.phrase, offset=found.cue.start, side=side)


def span_tooltip(record: Record, span: Span, type_label: str, reasons: Reasons) -> str:
    """A span's tooltip: its type, its status with the mark's meaning, its layer when nested, and
    for a model span the detector's reason (the annotator confirms or corrects it)."""
    lines = [f"{type_label} «{span.text_in(record.text)}»",
             tr("Assertion: {status}").format(status=status_label(span.assertion))
             + (" — " + status_help(span.assertion) if span.assertion != S.PRESENT.value else "")]
    if span.layer:
        lines.append(tr("Nested: layer {n}").format(n=span.layer))
    if span.source == SpanSource.MODEL:
        line = tr("Pre-label of model {version}").format(version=span.model_version or "")
        if span.confidence is not None:
            line += " · " + tr("model confidence {c}").format(c=f"{span.confidence:.2f}")
        lines += [line, reason_text(reasons.of(record, span))]
    return "\n".join(lines)
