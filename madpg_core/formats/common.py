"""Helpers shared by the readers: decoding, type mapping, flattening of nested entities."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from madpg_core.domain import ImportReport, Record, Span
from madpg_core.errors import FormatError, MadpgError

Progress = Callable[[int, int], None]  # (done, total)


def read_json_lines(path: Path, encoding: str, convert: Callable[[dict, int, int], Record],
                    on_progress: Progress | None = None) -> list[Record]:
    """One JSON object with a "text" string per line → ``convert(obj, line_number, index)``.
    Any problem becomes a FormatError naming the file and the line."""
    lines = read_text_file(path, encoding).splitlines()
    records: list[Record] = []
    for i, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
            if not isinstance(obj, dict) or not isinstance(obj.get("text"), str):
                raise ValueError('expected an object with a "text" string')
            records.append(convert(obj, i, len(records)))
        except json.JSONDecodeError as e:
            raise FormatError(path, i, f"invalid JSON: {e.msg} (column {e.colno})") from None
        except KeyError as e:
            raise FormatError(path, i, f"missing field {e}") from None
        except (ValueError, TypeError, MadpgError) as e:
            raise FormatError(path, i, str(e)) from None
        if on_progress:
            on_progress(i, len(lines))
    return records


def read_text_file(path: Path, encoding: str = "utf-8") -> str:
    """The file's exact text. A BOM is dropped; line ends are kept as they are (offsets count them)."""
    data = Path(path).read_bytes()
    enc = "utf-8-sig" if encoding.lower().replace("_", "-") in ("utf-8", "utf8") else encoding
    try:
        return data.decode(enc)
    except UnicodeDecodeError as e:
        line = data[: e.start].count(b"\n") + 1
        raise FormatError(path, line, f"not valid {encoding} (byte 0x{data[e.start]:02x} at offset {e.start}); "
                                      "save it as UTF-8 or pass --encoding (e.g. gb18030)") from None


def load_type_map(path: Path | str) -> dict[str, str]:
    """A type mapping file: JSON object {"source type": "target type"} or lines ``source<TAB>target``
    (also ``source=target``). An empty target drops the type."""
    path = Path(path)
    text = read_text_file(path)
    if path.suffix.lower() == ".json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as e:
            raise FormatError(path, e.lineno, f"invalid JSON: {e.msg}") from None
        if not isinstance(data, dict) or not all(isinstance(k, str) and isinstance(v, (str, type(None)))
                                                 for k, v in data.items()):
            raise FormatError(path, None, 'expected a JSON object {"source type": "target type"}')
        return {k: v or "" for k, v in data.items()}
    mapping: dict[str, str] = {}
    for i, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        sep = "\t" if "\t" in line else "="
        if sep not in line:
            raise FormatError(path, i, "expected 'source<TAB>target' or 'source=target'")
        src, dst = (x.strip() for x in line.split(sep, 1))
        mapping[src] = dst
    return mapping


def map_spans(spans: Iterable[Span], type_map: dict[str, str] | None, report: ImportReport) -> list[Span]:
    """Rename types through ``type_map``; types it does not name (or maps to "") are dropped and counted."""
    if type_map is None:
        return list(spans)
    out = []
    for sp in spans:
        target = type_map.get(sp.label, "")
        if target:
            out.append(Span(sp.start, sp.end, target, sp.source, sp.model_version, sp.confidence))
        else:
            report.dropped_by_type[sp.label] = report.dropped_by_type.get(sp.label, 0) + 1
    return out


def flatten(spans: Sequence[Span], text: str, where: str, report: ImportReport) -> list[Span]:
    """Make nested or overlapping entities flat for BIO: keep the longest, then the earliest;
    drop the others with a warning (the corpus stays untouched; the project holds a flat reading)."""
    chosen: list[Span] = []
    for sp in sorted(spans, key=lambda s: (-(s.end - s.start), s.start)):
        clash = next((c for c in chosen if c.overlaps(sp)), None)
        if clash is None:
            chosen.append(sp)
        elif (sp.start, sp.end, sp.label) != (clash.start, clash.end, clash.label):
            report.warnings.append(f"{where}: dropped {sp.label} «{text[sp.start:sp.end]}» [{sp.start}, {sp.end}), "
                                   f"it overlaps {clash.label} «{text[clash.start:clash.end]}» (BIO is flat)")
    return sorted(chosen, key=lambda s: s.start)


def check_known_types(labels: Iterable[str], schema_names: Sequence[str], source: object) -> None:
    unknown = sorted(set(labels) - set(schema_names))
    if unknown:
        raise MadpgError(f"{source}: entity types not in the project's schema: {', '.join(unknown)}; "
                         f"pass --map FILE to map them, or add them to the schema")
