"""Hugging Face datasets: Parquet with ``id``, ``tokens`` (characters) and ``ner_tags`` (integers).

The tag names ("O", "B-Disease", "I-Disease", …) are stored in the file's schema metadata under
``huggingface``, in the form the ``datasets`` library writes and reads there, so
``Dataset.from_parquet(FILE)`` gives ``ner_tags`` as a ``Sequence(ClassLabel(names=…))`` with no
file beside it (one file, written whole, as every export here). ``id`` is the record's name (its
place in the file when it has none). Tokens are characters, whitespace included, so every offset
comes back exactly; tags are IOB2.

Import reads such a file, a folder of them (the Hub's ``data/train-00000-of-00001.parquet``
layout), or a ``Dataset.save_to_disk`` folder (``state.json`` + Arrow files, or a DatasetDict's
``dataset_dict.json`` + one folder per split, each record named ``SPLIT-ID``). Tag names come from
the schema metadata, else a ``dataset_info.json`` beside the data, else the tags are strings.
Word tokens (not all single characters) are joined by a space, with a warning.

Only one layer fits in ``ner_tags`` (``layer_view``, outer by default): the other spans are counted
(``spans_left_out``), and so are what the columns do not hold: assertion statuses, model origins,
record statuses and images (``WriteCounts``). Needs ``pyarrow``.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Literal

from madpg_core.domain import ImportReport, Record, spans_to_bio
from madpg_core.errors import FormatError, MadpgError
from madpg_core.formats.common import (
    ImageRefs,
    Progress,
    WriteCounts,
    check_unicode,
    describe,
    parse_json,
    read_text_file,
)
from madpg_core.formats.conll import check_tag
from madpg_core.formats.conll2003 import (
    IMAGES,
    STATUSES,
    counted,
    flat_spans,
    reading_warnings,
    spans_of_tags,
    text_of_tokens,
)
from madpg_core.formats.docbin import binary

META_KEY = b"huggingface"  # the schema metadata key datasets reads its Features from


def _pyarrow():  # noqa: ANN202 - the module
    try:
        import pyarrow
        import pyarrow.parquet  # noqa: F401 - loads the submodule onto pyarrow
    except ImportError:
        raise MadpgError("the hf format needs pyarrow: pip install pyarrow") from None
    return pyarrow


def features(names: list[str]) -> dict:
    """The ``datasets`` Features of an export, as ``Features.to_dict()`` writes them. ``Sequence``
    with ``length`` -1 reads in every datasets version (newer ones call it ``List``)."""
    return {
        "id": {"dtype": "string", "_type": "Value"},
        "tokens": {"feature": {"dtype": "string", "_type": "Value"}, "length": -1, "_type": "Sequence"},
        "ner_tags": {"feature": {"names": names, "_type": "ClassLabel"}, "length": -1, "_type": "Sequence"},
    }


# --- writing -----------------------------------------------------------------------------------------

def write(records: Iterable[Record], out, layer: Literal["outer", "inner"] = "outer") -> WriteCounts:  # noqa: ANN001
    pa = _pyarrow()
    ids, tokens, tags = [], [], []
    labels: set[str] = set()  # of every span, so the names are the same whichever layer is written
    lost: Counter = Counter()
    left_out = 0
    for r in records:
        spans, left = flat_spans(r, layer, lost)
        left_out += left
        lost[STATUSES] += r.status.value != "new"
        lost[IMAGES] += len(r.images)
        ids.append(r.name or str(len(ids)))
        tokens.append(list(r.text))
        tags.append(spans_to_bio(r.text, spans))
        labels.update(s.label for s in r.spans)
    names = ["O", *(f"{p}-{label}" for label in sorted(labels) for p in "BI")]
    index = {name: i for i, name in enumerate(names)}
    table = pa.table({
        "id": pa.array(ids, pa.string()),
        "tokens": pa.array(tokens, pa.list_(pa.string())),
        "ner_tags": pa.array([[index[t] for t in row] for row in tags], pa.list_(pa.int64())),
    })
    table = table.replace_schema_metadata({META_KEY: json.dumps({"info": {"features": features(names)}},
                                                                ensure_ascii=False)})
    pa.parquet.write_table(table, binary(out))
    return WriteCounts(len(ids), spans_left_out=left_out, not_carried=counted(lost))


# --- reading -----------------------------------------------------------------------------------------

def read(path: Path, report: ImportReport, encoding: str = "utf-8", on_progress: Progress | None = None, *,
         images: ImageRefs | None = None) -> list[Record]:  # encoding, images: none in this format
    pa = _pyarrow()
    records: list[Record] = []
    words: list[int] = []
    iob1: list[int] = []
    for prefix, file, info in _tables(path):
        table = _load(pa, file)
        names = _tag_names(table.schema.metadata, info)
        records.extend(_records(table, names, file, prefix, len(records), words, iob1))
        if on_progress:
            on_progress(len(records), len(records))
    report.warnings.extend(reading_warnings(path, len(iob1), len(words), "row"))
    return records


def _tables(path: Path) -> list[tuple[str, Path, Path | None]]:
    """(record name prefix, data file, its dataset_info.json if any) for a file or a folder."""
    if path.is_file():
        return [("", path, _beside(path.parent))]
    if (path / "dataset_dict.json").is_file():
        splits = parse_json(read_text_file(path / "dataset_dict.json"), path / "dataset_dict.json")
        if not isinstance(splits, dict) or not _is_strings(splits.get("splits")):
            raise FormatError(path / "dataset_dict.json", None, 'expected {"splits": ["train", …]}')
        return [(f"{s}-", f, info) for s in splits["splits"] for _, f, info in _saved(path / s)]
    if (path / "state.json").is_file():
        return _saved(path)
    files = sorted(path.rglob("*.parquet"))
    if not files:
        raise MadpgError(f"{path}: no .parquet files, state.json or dataset_dict.json found (format 'hf')")
    return [("", f, _beside(f.parent) or _beside(path)) for f in files]


def _saved(folder: Path) -> list[tuple[str, Path, Path | None]]:
    """The Arrow files of a ``Dataset.save_to_disk`` folder, in the order its state.json lists them."""
    state_file = folder / "state.json"
    state = parse_json(read_text_file(state_file), state_file) if state_file.is_file() else None
    files = state.get("_data_files") if isinstance(state, dict) else None
    if not isinstance(files, list) or not all(isinstance(f, dict) and isinstance(f.get("filename"), str) for f in files):
        raise FormatError(state_file, None, 'expected a save_to_disk state with "_data_files": [{"filename": …}]')
    return [("", folder / f["filename"], _beside(folder)) for f in files]


def _beside(folder: Path) -> Path | None:
    info = folder / "dataset_info.json"
    return info if info.is_file() else None


def _is_strings(value: object) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


def _load(pa, file: Path):  # noqa: ANN001, ANN202 - pyarrow module → Table
    try:
        if file.suffix == ".arrow":  # save_to_disk writes the IPC stream format
            with pa.memory_map(str(file)) as source:
                try:
                    return pa.ipc.open_stream(source).read_all()
                except pa.ArrowInvalid:
                    return pa.ipc.open_file(source).read_all()
        return pa.parquet.read_table(file)
    except (pa.ArrowException, OSError) as e:
        raise FormatError(file, None, f"cannot be read as {'Arrow' if file.suffix == '.arrow' else 'Parquet'}: {e}") from None


def _tag_names(metadata: dict | None, info: Path | None) -> list[str] | None:
    """The ClassLabel names of ``ner_tags``: from the schema metadata datasets writes, else from
    dataset_info.json; None when neither names them (the tags must then be strings)."""
    sources: list[tuple[object, Any]] = []
    if metadata and META_KEY in metadata:
        sources.append(("schema metadata", _json(metadata[META_KEY].decode("utf-8"), "schema metadata")))
    if info is not None:
        sources.append((info, parse_json(read_text_file(info), info)))
    for where, data in sources:
        if isinstance(data, dict) and "info" in data:
            data = data["info"]
        feature = data.get("features", {}).get("ner_tags") if isinstance(data, dict) else None
        while isinstance(feature, dict) and "feature" in feature:  # Sequence / List of ClassLabel
            feature = feature["feature"]
        if isinstance(feature, dict) and feature.get("_type") == "ClassLabel":
            if not _is_strings(feature.get("names")):
                raise FormatError(where, None, f"ner_tags ClassLabel names must be a list of strings, not "
                                               f"{describe(feature.get('names'))}")
            return feature["names"]
    return None


def _json(text: str, where: str) -> Any:  # any JSON value
    try:
        return json.loads(text)
    except ValueError as e:
        raise MadpgError(f"{where}: invalid JSON: {e}") from None


def _records(table, names: list[str] | None, file: Path, prefix: str, before: int,  # noqa: ANN001 - a Table
             words: list[int], iob1: list[int]) -> list[Record]:
    missing = [c for c in ("tokens", "ner_tags") if c not in table.column_names]
    if missing:
        raise FormatError(file, None, f"no {' or '.join(missing)} column (columns: {', '.join(table.column_names)})")
    ids = table.column("id").to_pylist() if "id" in table.column_names else [None] * table.num_rows
    out = []
    for n, (ident, tokens, tags) in enumerate(zip(ids, table.column("tokens").to_pylist(),
                                                 table.column("ner_tags").to_pylist()), 1):
        try:
            out.append(_record(ident, tokens, tags, names, words, iob1, prefix, f"{file.stem}-{before + n}"))
        except (ValueError, TypeError, MadpgError) as e:
            raise FormatError(file, None, f"row {n}: {e}") from None
    return out


def _record(ident: object, tokens: object, tags: object, names: list[str] | None, words: list[int],
            iob1: list[int], prefix: str, default: str) -> Record:
    if not isinstance(tokens, list) or not all(isinstance(t, str) and t for t in tokens):
        raise TypeError(f"tokens must be a list of non-empty strings, not {describe(tokens)}")
    if not isinstance(tags, list):
        raise TypeError(f"ner_tags must be a list, not {describe(tags)}")
    if len(tags) != len(tokens):
        raise ValueError(f"{len(tokens)} tokens but {len(tags)} ner_tags")
    tag_names = [_tag(t, names) for t in tags]
    text, offsets = text_of_tokens(tokens)
    check_unicode(text, "tokens")
    if tokens and any(len(t) > 1 for t in tokens):
        words.append(1)
    name = default if ident is None else str(ident)
    return Record(text, tuple(spans_of_tags(tag_names, offsets, iob1)), (), prefix + name)


def _tag(tag: object, names: list[str] | None) -> str:
    if isinstance(tag, str):
        name = tag
    elif isinstance(tag, int) and not isinstance(tag, bool):
        if names is None:
            raise ValueError("ner_tags are numbers, but neither the file's metadata nor a dataset_info.json "
                             "beside it names them (a ClassLabel's names)")
        if not 0 <= tag < len(names):
            raise ValueError(f"tag {tag} is not one of the {len(names)} ClassLabel names")
        name = names[tag]
    else:
        raise TypeError(f"a tag must be a number or a string, not {describe(tag)}")
    check_tag(name)
    return name
