"""CoNLL/BIO: one ``char TAG`` per line, a blank line between records, optional ``IMGID:name``
lines at the start of a record (as the Twitter multimodal NER sets do).

Whitespace characters cannot stand alone on a line, so they are written as names (``<SP>``,
``<TAB>``, ``<CR>``, ``<LF>``, ``<U+3000>``…). Every other token is exactly one character, so a
name can never be mistaken for text. Tags may use ``B-``/``I-`` or ChineseBLUE's ``B_``/``I_``.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from madpg_core.domain import ImportReport, Record, bio_to_spans, spans_to_bio
from madpg_core.errors import FormatError, MadpgError
from madpg_core.formats.common import Progress, read_text_file

NAMES = {" ": "<SP>", "\t": "<TAB>", "\r": "<CR>", "\n": "<LF>"}
FROM_NAME = {v: k for k, v in NAMES.items()}


def escape(ch: str) -> str:
    if ch in NAMES:
        return NAMES[ch]
    if ch.isspace() or not ch.isprintable():
        return f"<U+{ord(ch):04X}>"
    return ch


def unescape(token: str) -> str:
    if len(token) == 1:
        return token
    if token in FROM_NAME:
        return FROM_NAME[token]
    if token.startswith("<U+") and token.endswith(">"):
        try:
            return chr(int(token[3:-1], 16))
        except ValueError:
            pass
    raise ValueError(f"token {token!r} is not one character")


def read(path: Path, report: ImportReport, encoding: str = "utf-8",
         on_progress: Progress | None = None) -> list[Record]:
    lines = read_text_file(path, encoding).split("\n")
    records: list[Record] = []
    chars: list[str] = []
    tags: list[str] = []
    images: list[str] = []
    first_line = 1

    def flush() -> None:
        if not chars and not images:
            return
        warnings: list[str] = []
        spans = bio_to_spans(tags, on_warning=lambda m: warnings.append(f"{path}:{first_line}: {m}"))
        report.warnings.extend(warnings)
        records.append(Record("".join(chars), tuple(spans), tuple(images), f"{path.stem}-{len(records) + 1}"))
        chars.clear(), tags.clear(), images.clear()

    for i, raw in enumerate(lines, 1):
        line = raw[:-1] if raw.endswith("\r") else raw
        if not line.strip(" \t"):
            flush()
            first_line = i + 1
            continue
        if line.startswith("IMGID:") and not chars:
            found = _image(path, line[6:].strip(), i, report)
            if found:
                images.append(found)
            continue
        cut = max(line.rfind(" "), line.rfind("\t"))
        if cut <= 0:
            raise FormatError(path, i, f"expected 'CHAR TAG', got {line!r}")
        try:
            ch = unescape(line[:cut])
            tag = line[cut + 1 :].strip()
            bio_to_spans([tag])  # validates the tag's shape
        except (ValueError, MadpgError) as e:
            raise FormatError(path, i, str(e)) from None
        chars.append(ch)
        tags.append(tag)
        if on_progress and i % 5000 == 0:
            on_progress(i, len(lines))
    flush()
    return records


def _image(path: Path, name: str, line: int, report: ImportReport) -> str | None:
    for cand in (path.parent / name, path.parent / "images" / name):
        if cand.is_file():
            return str(cand)
        for suffix in (".png", ".jpg", ".jpeg", ".dcm"):
            if cand.with_name(cand.name + suffix).is_file():
                return str(cand.with_name(cand.name + suffix))
    report.warnings.append(f"{path}:{line}: image {name!r} not found beside the file; record kept without it")
    return None


def write(records: Iterable[Record], out) -> int:  # noqa: ANN001 - text file
    n = 0
    for r in records:
        if not r.text:
            continue  # an empty record has no line to stand on in this format
        if n:
            out.write("\n")
        for img in r.images:
            out.write(f"IMGID:{Path(img).name}\n")
        for ch, tag in zip(r.text, spans_to_bio(r.text, r.spans)):
            out.write(f"{escape(ch)} {tag}\n")
        n += 1
    return n
