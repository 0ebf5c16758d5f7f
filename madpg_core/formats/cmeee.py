"""CMeEE (CHIP 2020): a JSON array of ``{"text", "entities": [{"start_idx", "end_idx", "type",
"entity"}]}`` with **inclusive** end_idx. Nested entities are flattened (longest kept), with a warning."""

from __future__ import annotations

import json
from pathlib import Path

from madpg_core.domain import ImportReport, Record, Span
from madpg_core.errors import FormatError, MadpgError
from madpg_core.formats.common import Progress, flatten, read_text_file


def read(path: Path, report: ImportReport, encoding: str = "utf-8",
         on_progress: Progress | None = None) -> list[Record]:
    raw = read_text_file(path, encoding)
    try:
        items = json.loads(raw)
    except json.JSONDecodeError as e:
        raise FormatError(path, e.lineno, f"invalid JSON: {e.msg} (column {e.colno})") from None
    if not isinstance(items, list):
        raise FormatError(path, 1, "expected a JSON array of {text, entities}")
    records = []
    for n, obj in enumerate(items, 1):
        where = f"{path}: item {n}"
        try:
            text = obj["text"]
            spans = []
            for e in obj.get("entities", []):
                start, end = int(e["start_idx"]), int(e["end_idx"]) + 1  # inclusive → exclusive
                if "entity" in e and text[start:end] != e["entity"]:
                    report.warnings.append(f"{where}: entity «{e['entity']}» does not match the text; dropped")
                    continue
                spans.append(Span(start, end, e["type"]))
            records.append(Record(text, tuple(flatten(spans, text, where, report)), (), f"{path.stem}-{n}"))
        except (KeyError, ValueError, TypeError, MadpgError) as e:
            raise FormatError(path, None, f"item {n}: {e}") from None
        if on_progress:
            on_progress(n, len(items))
    return records
