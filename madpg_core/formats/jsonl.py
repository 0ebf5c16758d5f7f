"""This project's own lossless format: one JSON object per line.

``{"name", "text", "status", "images": [paths], "spans": [{"start", "end", "label", "source",
"model_version", "confidence"}]}`` — offsets are Python str indices, end exclusive.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

from madpg_core.domain import ImportReport, Record, RecordStatus, Span, SpanSource
from madpg_core.formats.common import Progress, read_json_lines


def read(path: Path, report: ImportReport, encoding: str = "utf-8",
         on_progress: Progress | None = None) -> list[Record]:
    def convert(obj: dict, line: int, index: int) -> Record:
        images = tuple(_image_path(path, p) for p in obj.get("images", []))
        spans = tuple(_span(d) for d in obj.get("spans", []))
        return Record(obj["text"], spans, images, str(obj.get("name", "")), RecordStatus(obj.get("status", "new")))

    return read_json_lines(path, encoding, convert, on_progress)


def _span(d: dict) -> Span:
    return Span(int(d["start"]), int(d["end"]), str(d["label"]), SpanSource(d.get("source", "annotator")),
                d.get("model_version"), d.get("confidence"))


def _image_path(jsonl: Path, p: str) -> str:
    q = Path(p)
    return str(q if q.is_absolute() else (jsonl.parent / q))


def to_json(record: Record) -> dict:
    return {
        "name": record.name,
        "text": record.text,
        "status": record.status.value,
        "images": list(record.images),
        "spans": [{"start": s.start, "end": s.end, "label": s.label, "text": record.text[s.start:s.end],
                   "source": s.source.value, "model_version": s.model_version, "confidence": s.confidence}
                  for s in record.spans],
    }


def write(records: Iterable[Record], out) -> int:  # noqa: ANN001 - text file
    n = 0
    for r in records:
        out.write(json.dumps(to_json(r), ensure_ascii=False) + "\n")
        n += 1
    return n
