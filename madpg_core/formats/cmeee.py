"""CMeEE (CHIP 2020): a JSON array of ``{"text", "entities": [{"start_idx", "end_idx", "type",
"entity"}]}`` with **inclusive** end_idx. Nested and overlapping entities are all kept, in layers
(``domain.assign_layers``: layer 0 holds the outermost); an entity listed twice (same start, end and
type) is kept once, with a warning.

The corpus is one long line, so problems are named by item number (1-based) rather than by line."""

from __future__ import annotations

from pathlib import Path

from madpg_core.domain import ImportReport, Record, Span, assign_layers, count
from madpg_core.errors import FormatError, MadpgError
from madpg_core.formats.common import (
    ImageRefs,
    Progress,
    check_unicode,
    describe,
    list_of,
    non_empty_str,
    offset,
    parse_json,
    read_text_file,
)


def read(path: Path, report: ImportReport, encoding: str = "utf-8", on_progress: Progress | None = None, *,
         images: ImageRefs | None = None) -> list[Record]:  # images: none in this format
    items = parse_json(read_text_file(path, encoding), path)
    if not isinstance(items, list):
        raise FormatError(path, 1, f"expected a JSON array of {{text, entities}}, not {describe(items)}")
    records = []
    for n, obj in enumerate(items, 1):
        try:
            records.append(_record(obj, f"{path}: item {n}", f"{path.stem}-{n}", report))
        except KeyError as e:
            raise FormatError(path, None, f"item {n}: missing field {e}") from None
        except (ValueError, TypeError, MadpgError) as e:
            raise FormatError(path, None, f"item {n}: {e}") from None
        if on_progress:
            on_progress(n, len(items))
    return records


def _record(obj: object, where: str, name: str, report: ImportReport) -> Record:
    if not isinstance(obj, dict):
        raise TypeError(f"expected an object {{text, entities}}, not {describe(obj)}")
    text = obj["text"]
    if not isinstance(text, str):
        raise TypeError(f'"text" must be a string, not {describe(text)}')
    check_unicode(text, "text")
    spans = []
    for e in list_of(obj, "entities", dict, "an object"):
        start, end = offset(e["start_idx"], "start_idx"), offset(e["end_idx"], "end_idx") + 1  # inclusive
        label = non_empty_str(e["type"], "type")
        if "entity" in e:
            if not isinstance(e["entity"], str):
                raise TypeError(f'"entity" must be a string, not {describe(e["entity"])}')
            check_unicode(e["entity"], "entity")
            if text[start:end] != e["entity"]:
                report.warnings.append(f"{where}: entity «{e['entity']}» does not match the text; dropped")
                continue
        spans.append(Span(start, end, label))
    unique = list(dict.fromkeys(spans))  # Span equality: start, end, type (and the default origin)
    if len(unique) < len(spans):
        report.warnings.append(f"{where}: {count(len(spans) - len(unique), 'entity', 'entities')} listed twice; kept once")
    return Record(text, tuple(assign_layers(unique)), (), name)
