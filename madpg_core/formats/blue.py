"""ChineseBLUE NER JSON lines (cEHRNER / cMedQANER): ``{"text", "mention_data": [{"mention",
"label" | "type", "offset"}]}``, offset = start character as a string, end = offset + len(mention).

Some cMedQANER offsets do not match their mention. The reader repairs those it can (the mention
found nearest to the stated offset) and drops the rest, with a warning for each. A mention without
text or type is skipped with a warning; a field of the wrong type is an error.

ChineseBLUE wrote every space of its source texts as ``叒`` (cEHRNER: 3,544 in its three files, none
of them a real 叒 — they stand between dosages, list items and paragraphs; cMedQANER has none and
keeps its real U+3000 spaces). The reader turns each back into a space, one character for one, so
no offset moves, and says how many in one warning per file.
"""

from __future__ import annotations

from pathlib import Path

from madpg_core.domain import ImportReport, Record, Span, count
from madpg_core.formats.common import (
    ImageRefs,
    Progress,
    check_unicode,
    describe,
    flatten,
    list_of,
    read_json_lines,
)


PLACEHOLDERS = {"叒": " "}  # the corpus's stand-in → the character it stands for (one for one)
_RESTORE = str.maketrans(PLACEHOLDERS)


def read(path: Path, report: ImportReport, encoding: str = "utf-8", on_progress: Progress | None = None, *,
         images: ImageRefs | None = None) -> list[Record]:  # images: none in this format
    restored = 0

    def convert(obj: dict, line: int, index: int) -> Record:
        nonlocal restored
        raw, where = obj["text"], f"{path}:{line}"
        mentions = list_of(obj, "mention_data", dict, "an object")
        # Mentions are found in the text as the file has it: they carry the placeholder too.
        spans = [s for m in mentions if (s := _span(m, raw, where, report))]
        text = raw.translate(_RESTORE)
        restored += sum(raw.count(p) for p in PLACEHOLDERS)
        return Record(text, tuple(flatten(spans, text, where, report)), (), f"{path.stem}-{index + 1}")

    records = read_json_lines(path, encoding, convert, on_progress)
    if restored:
        report.warnings.append(f"{path}: {count(restored, 'space')} written as «叒» (ChineseBLUE's placeholder) "
                               "turned back into spaces; no offset moved")
    return records


def _span(m: dict, text: str, where: str, report: ImportReport) -> Span | None:
    mention = _str_or_empty(m["mention"], "mention")
    label = _str_or_empty(m.get("label", m.get("type")), "label")
    if not mention or not label:
        report.warnings.append(f"{where}: mention without text or type skipped: {m!r}")
        return None
    start = _offset(m["offset"])
    if text[start : start + len(mention)] == mention:
        return Span(start, start + len(mention), label)
    found = _nearest(text, mention, start)
    if found is None:
        report.warnings.append(f"{where}: mention «{mention}» not in the text; dropped")
        return None
    report.warnings.append(f"{where}: mention «{mention}» at offset {start} found at {found}; repaired")
    return Span(found, found + len(mention), label)


def _str_or_empty(value: object, what: str) -> str:
    """A string; missing or empty ones are skipped with a warning by the caller, anything else
    (a number as a label…) is an error rather than a guess."""
    if value is None:
        return ""
    if not isinstance(value, str):
        raise TypeError(f'"{what}" must be a string, not {describe(value)}')
    check_unicode(value, what)
    return value


def _offset(value: object) -> int:
    """The corpus writes offsets as strings of digits; integers are fine too. int() alone would take
    " 3", "٣" (Arabic-Indic three), 1.9 and True."""
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    if isinstance(value, str) and value.isascii() and value.isdigit():
        return int(value)
    raise ValueError(f'"offset" must be a non-negative integer or a string of digits, not {describe(value)}')


def _nearest(text: str, mention: str, near: int) -> int | None:
    best = None
    pos = text.find(mention)
    while pos != -1:
        if best is None or abs(pos - near) < abs(best - near):
            best = pos
        pos = text.find(mention, pos + 1)
    return best
