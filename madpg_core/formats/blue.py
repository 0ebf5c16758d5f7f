"""ChineseBLUE NER JSON lines (cEHRNER / cMedQANER): ``{"text", "mention_data": [{"mention",
"label" | "type", "offset"}]}``, offset = start character as a string, end = offset + len(mention).

Some cMedQANER offsets do not match their mention. The reader repairs those it can (the mention
found nearest to the stated offset) and drops the rest, with a warning for each.
"""

from __future__ import annotations

from pathlib import Path

from madpg_core.domain import ImportReport, Record, Span
from madpg_core.formats.common import Progress, flatten, read_json_lines


def read(path: Path, report: ImportReport, encoding: str = "utf-8",
         on_progress: Progress | None = None) -> list[Record]:
    def convert(obj: dict, line: int, index: int) -> Record:
        text, where = obj["text"], f"{path}:{line}"
        spans = [s for m in obj.get("mention_data", []) if (s := _span(m, text, where, report))]
        return Record(text, tuple(flatten(spans, text, where, report)), (), f"{path.stem}-{index + 1}")

    return read_json_lines(path, encoding, convert, on_progress)


def _span(m: dict, text: str, where: str, report: ImportReport) -> Span | None:
    mention = m["mention"]
    label = m.get("label", m.get("type"))
    if not mention or not label:
        report.warnings.append(f"{where}: mention without text or type skipped: {m!r}")
        return None
    start = int(m["offset"])
    if text[start : start + len(mention)] == mention:
        return Span(start, start + len(mention), label)
    found = _nearest(text, mention, start)
    if found is None:
        report.warnings.append(f"{where}: mention «{mention}» not in the text; dropped")
        return None
    report.warnings.append(f"{where}: mention «{mention}» at offset {start} found at {found}; repaired")
    return Span(found, found + len(mention), label)


def _nearest(text: str, mention: str, near: int) -> int | None:
    best = None
    pos = text.find(mention)
    while pos != -1:
        if best is None or abs(pos - near) < abs(best - near):
            best = pos
        pos = text.find(mention, pos + 1)
    return best
