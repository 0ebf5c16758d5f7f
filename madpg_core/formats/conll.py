"""CoNLL/BIO: one ``char TAG`` per line, a blank line between records, optional ``IMGID:name``
lines at the start of a record (as the Twitter multimodal NER sets do).

Whitespace characters cannot stand alone on a line, so they are written as names (``<SP>``,
``<TAB>``, ``<CR>``, ``<LF>``, ``<U+3000>``…). Every other token is exactly one character, so a
name can never be mistaken for text. Tags may use ``B-``/``I-`` or ChineseBLUE's ``B_``/``I_``.
Lines are split on "\\n" only (a "\\r" before it dropped), so U+2028 or \\x1c inside a record (written
as names anyway) cannot cut it.

BIO holds one flat layer: the writer writes a ``domain.layer_view`` of each record's spans (outer
by default, or inner) and counts the spans it leaves out. An optional third column carries the
assertion status of the entity a character belongs to (``_`` outside entities); the reader takes
two or three columns, a span's status from its first character.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

from dataclasses import replace
from typing import Literal

from madpg_core.domain import (
    ASSERTION_STATUSES,
    ImportReport,
    Record,
    Span,
    bio_to_spans,
    layer_view,
    spans_to_bio,
)
from madpg_core.errors import FormatError, MadpgError
from madpg_core.formats.common import (
    ImageRefs,
    LoneSurrogate,
    Progress,
    WriteCounts,
    check_unicode,
    images_folder,
    read_text_file,
    split_lines,
)

NAMES = {" ": "<SP>", "\t": "<TAB>", "\r": "<CR>", "\n": "<LF>"}
FROM_NAME = {v: k for k, v in NAMES.items()}
_CODE_POINT = re.compile(r"<U\+([0-9A-Fa-f]{4,6})>")  # strict: int() would also take " 41", "4_1", "-5"
IMAGE_GUESSES = ("", ".png", ".jpg", ".jpeg", ".dcm")  # IMGID names often come without a suffix
NO_STATUS = "_"  # the third column of a character outside every entity
STATUS_COLUMN = frozenset({*ASSERTION_STATUSES, NO_STATUS})


def escape(ch: str) -> str:
    if ch in NAMES:
        return NAMES[ch]
    if ch.isspace() or not ch.isprintable():  # covers every line break str.splitlines() knows
        return f"<U+{ord(ch):04X}>"
    return ch


def unescape(token: str) -> str:
    if len(token) == 1:
        return token
    if token in FROM_NAME:
        return FROM_NAME[token]
    code = _CODE_POINT.fullmatch(token)
    if code and int(code[1], 16) <= 0x10FFFF:
        return chr(int(code[1], 16))
    raise ValueError(f"token {token!r} is not one character")


def check_tag(tag: str) -> None:
    """The tag's shape only. bio_to_spans([tag]) would also warn "I-X follows O" for every lone
    I- tag; the real sequence is checked (and repaired, with a warning) once per record."""
    if tag != "O" and (len(tag) < 3 or tag[0] not in "BIES" or tag[1] not in "-_"):
        raise ValueError(f"tag {tag!r} is not O, B-TYPE or I-TYPE")
    check_unicode(tag, "tag")


def read(path: Path, report: ImportReport, encoding: str = "utf-8", on_progress: Progress | None = None, *,
         images: ImageRefs | None = None) -> list[Record]:
    refs = images or ImageRefs()
    lines = split_lines(read_text_file(path, encoding))
    records: list[Record] = []
    chars: list[str] = []
    tags: list[str] = []
    statuses: list[str | None] = []  # the third column, None where a line has two
    found: list[str] = []
    first_line = 1

    def flush() -> None:
        if not chars and not found:
            return
        warnings: list[str] = []
        spans = bio_to_spans(tags, on_warning=lambda m: warnings.append(f"{path}:{first_line}: {m}"))
        report.warnings.extend(warnings)
        spans = _with_statuses(spans, statuses)
        records.append(Record("".join(chars), tuple(spans), tuple(found), f"{path.stem}-{len(records) + 1}"))
        chars.clear(), tags.clear(), statuses.clear(), found.clear()

    for i, line in enumerate(lines, 1):
        if not line.strip(" \t"):
            flush()
            first_line = i + 1
            continue
        if line.startswith("IMGID:") and not chars:
            image = _image(path, line[6:].strip(), i, report, refs)
            if image:
                found.append(image)
            continue
        ch, tag, status = _token(path, line, i, len(chars))
        chars.append(ch)
        tags.append(tag)
        statuses.append(status)
        if on_progress and i % 5000 == 0:
            on_progress(i, len(lines))
    flush()
    return records


def _token(path: Path, line: str, number: int, index: int) -> tuple[str, str, str | None]:
    """One ``CHAR TAG`` or ``CHAR TAG STATUS`` line → (character, tag, status or None); ``index``:
    the character's place in its record. A third column is told by its value (an assertion status
    or ``_``), which no tag can be; a character token never holds a space (written as a name)."""
    status = None
    cut = max(line.rfind(" "), line.rfind("\t"))
    if cut > 0 and line[cut + 1 :].strip() in STATUS_COLUMN:
        status, line = line[cut + 1 :].strip(), line[:cut].rstrip(" \t")
        cut = max(line.rfind(" "), line.rfind("\t"))
    tag = line[cut + 1 :].strip()
    if cut <= 0 or not tag:
        raise FormatError(path, number, f"expected 'CHAR TAG', got {line!r}")
    try:
        ch = unescape(line[:cut])
        check_unicode(ch, "text", index)
        check_tag(tag)
    except ValueError as e:  # LoneSurrogate included
        raise FormatError(path, number, str(e)) from None
    return ch, tag, status


def _with_statuses(spans: list[Span], statuses: list[str | None]) -> list[Span]:
    """Each span with the status of its first character's third column (none or ``_``: present)."""
    return [replace(sp, assertion=st) if (st := statuses[sp.start]) not in (None, NO_STATUS) else sp
            for sp in spans]


def _image(path: Path, name: str, line: int, report: ImportReport, refs: ImageRefs) -> str | None:
    """IMGID:name → an image file in the folder an export of this file wrote (``FILE_images/``),
    beside the BIO file or in its images/ folder, with or without a suffix. The export's folder
    comes first: an unrelated ``scan.png`` beside the file must not stand in for the exported one.
    Every candidate goes through the reference policy: one leading outside is an error."""
    if not name:
        raise FormatError(path, line, "IMGID: without an image name")
    try:
        check_unicode(name, "image name")
    except LoneSurrogate as e:
        raise FormatError(path, line, str(e)) from None
    for ref in (f"{images_folder(path).name}/{name}", name, f"images/{name}"):
        for suffix in IMAGE_GUESSES:
            cand = refs.resolve(ref + suffix, path, line, base=path.parent)
            if cand.is_file():
                return str(cand)
    report.warnings.append(f"{path}:{line}: image {name!r} not found beside the file; record kept without it")
    return None


def write(records: Iterable[Record], out, *, layer: Literal["outer", "inner"] = "outer",  # out: a text file
          assertion_column: bool = False) -> WriteCounts:
    """Write ``layer_view(spans, layer)`` of each record as BIO; with ``assertion_column``, a third
    column with each entity character's assertion status. Counts the spans the view left out."""
    written = skipped = left_out = 0
    for r in records:
        if not r.text:
            skipped += 1  # an empty record has no line to stand on in this format
            continue
        view = layer_view(r.spans, layer)
        left_out += view.left_out
        if written:
            out.write("\n")
        for img in r.images:
            out.write(f"IMGID:{_image_name(r, img)}\n")
        status = _status_per_char(len(r.text), view.spans) if assertion_column else None
        for i, (ch, tag) in enumerate(zip(r.text, spans_to_bio(r.text, view.spans))):
            third = f" {status[i]}" if status is not None else ""
            out.write(f"{escape(ch)} {_writable_tag(r, tag)}{third}\n")
        written += 1
    return WriteCounts(written, skipped, spans_left_out=left_out)


def _status_per_char(n: int, spans: Iterable[Span]) -> list[str]:
    out = [NO_STATUS] * n
    for sp in spans:
        out[sp.start : sp.end] = [sp.assertion] * (sp.end - sp.start)
    return out


def _image_name(record: Record, image: str) -> str:
    name = Path(image).name
    if name != name.strip() or "\n" in name or "\r" in name:  # the reader would cut or strip it
        raise MadpgError(f"{_which(record)}: image name {name!r} cannot be written on an IMGID line")
    return name


def _writable_tag(record: Record, tag: str) -> str:
    if any(c.isspace() for c in tag):  # "B-Foo Bar" would read back as character "x B-Foo", tag "Bar"
        raise MadpgError(f"{_which(record)}: type {tag[2:]!r} holds whitespace and cannot be written as a BIO tag")
    return tag


def _which(record: Record) -> str:
    return f"record {record.name!r}" if record.name else f"record #{record.id}" if record.id else "a record"
