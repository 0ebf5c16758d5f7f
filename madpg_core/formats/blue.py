"""ChineseBLUE NER JSON lines (cEHRNER / cMedQANER): ``{"text", "mention_data": [{"mention",
"label" | "type", "offset"}]}``, offset = start character as a string, end = offset + len(mention).

Some cMedQANER offsets do not match their mention. The reader repairs those it can (the mention
found nearest to the stated offset) and drops the rest, with a warning for each.
"""

from __future__ import annotations

import json
from pathlib import Path

from madpg_core.domain import ImportReport, Record, Span
from madpg_core.errors import FormatError, MadpgError
from madpg_core.formats.common import Progress, flatten, read_text_file


def read(path: Path, report: ImportReport, encoding: str = "utf-8",
         on_progress: Progress | None = None) -> list[Record]:
    lines = read_text_file(path, encoding).splitlines()
    records = []
    for i, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
            text = obj["text"]
            if not isinstance(text, str):
                raise ValueError('"text" is not a string')
            spans = [s for m in obj.get("mention_data", []) if (s := _span(m, text, f"{path}:{i}", report))]
            spans = flatten(spans, text, f"{path}:{i}", report)
            records.append(Record(text, tuple(spans), (), f"{path.stem}-{len(records) + 1}"))
        except json.JSONDecodeError as e:
            raise FormatError(path, i, f"invalid JSON: {e.msg} (column {e.colno})") from None
        except (KeyError, ValueError, TypeError, MadpgError) as e:
            raise FormatError(path, i, f"{type(e).__name__ if isinstance(e, KeyError) else ''} {e}".strip()) from None
        if on_progress:
            on_progress(i, len(lines))
    return records


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
