"""Gold entities of a BIO file read strictly, for scoring.

An import repairs an ``I-X`` that does not continue a ``B-X``/``I-X`` into the start of an entity (a
warning names it): the annotator's text is kept, nothing is lost. Scoring must not do that. Entity
P/R/F1 here is seqeval's ``mode="strict", scheme=IOB2``, where such a chunk is no entity at all;
reading gold through the import's repair would be seqeval's default (lenient, CoNLL-eval) mode on
the gold side and strict on the predicted side. So ``madpg evaluate`` re-reads the tags of a
``bio`` file and drops, from the imported gold, each span that began with such an ``I-``/``E-``.

The ``conll2003`` format is left as read: its reader decides per file whether the file is IOB1,
where an ``I-`` that starts an entity is the scheme, not an error.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from madpg_core.domain import Record
from madpg_core.errors import MadpgError

STRICT_FORMATS = ("bio",)


def lenient_starts(tags: Sequence[str]) -> set[int]:
    """Positions where an import's lenient reading starts an entity at an ``I-``/``E-`` tag that does
    not continue the open entity (what strict IOB2 does not count)."""
    out: set[int] = set()
    label: str | None = None
    for i, raw in enumerate(tags):
        tag = raw.strip()
        if tag in ("O", ""):
            label = None
            continue
        prefix, typ = tag[0], tag[2:]
        if prefix in ("I", "E") and label != typ:
            out.add(i)
        label = None if prefix in ("E", "S") else typ
    return out


def bio_file_tags(path: Path, encoding: str = "utf-8") -> list[list[str]]:
    """The tag column of each record of a ``bio`` file that has characters (a record of IMGID: lines
    alone has no tags, and no entities to score), split at blank lines as its reader splits them."""
    from madpg_core.formats.common import read_text_file, split_lines
    from madpg_core.formats.conll import _token

    records: list[list[str]] = []
    tags: list[str] = []
    for i, line in enumerate(split_lines(read_text_file(path, encoding)), 1):
        if not line.strip(" \t"):
            if tags:
                records.append(tags)
            tags = []
            continue
        if line.startswith("IMGID:") and not tags:
            continue
        tags.append(_token(path, line, i, len(tags))[1])
    if tags:
        records.append(tags)
    return records


def strict_gold(records: Sequence[Record], path: Path, fmt: str, encoding: str = "utf-8") -> tuple[list[Record], int]:
    """``records`` (as imported from ``path``) without the gold spans a strict IOB2 reading has not,
    and how many were dropped. Formats other than ``bio`` carry offsets or their own scheme: unchanged."""
    if fmt not in STRICT_FORMATS or path.is_dir():
        return list(records), 0
    per_record = iter(bio_file_tags(path, encoding))
    out, dropped = [], 0
    for r in records:
        if not r.text:
            out.append(r)
            continue
        tags = next(per_record, None)
        if tags is None or len(tags) != len(r.text):
            raise MadpgError(f"{path}: the tags could not be matched to the imported records for strict scoring")
        starts = lenient_starts(tags)
        keep = tuple(s for s in r.spans if s.start not in starts)
        dropped += len(r.spans) - len(keep)
        out.append(r if len(keep) == len(r.spans) else replace(r, spans=keep))
    if next(per_record, None) is not None:
        raise MadpgError(f"{path}: the tags could not be matched to the imported records for strict scoring")
    return out, dropped
