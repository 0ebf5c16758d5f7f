"""brat standoff: a folder of ``NAME.txt`` (the record's exact text) and ``NAME.ann`` beside it.

``T1<TAB>Disease 4 7<TAB>高血压`` is a span (offsets count characters, i.e. code points, as Python
and brat both do; the .txt is read as it is, a BOM included, since brat counts it too);
``A1<TAB>Assertion T1 absent`` its assertion status (none: present; a binary ``Negation T1`` reads
as absent). Overlapping T lines are fine: nested spans come back in layers (``assign_layers``).

Discontinuous spans (``T1<TAB>Disease 0 5;6 10``): fragments apart only by whitespace are one span
(brat's editor writes a span across a line break that way, and so does the export here); fragments
apart by other text are imported as separate spans of the same type and status, counted in a
warning. Refusing the whole folder for them would leave a user with nothing to work on, and one
span reaching over the text between would be wrong.

What MADPG does not model is counted in a warning, never dropped silently: relations (R), events
(E), normalisations (N), equivalences (*), notes (#: AnnotatorNotes; a record has no note) and
attributes other than the assertion. An export counts what brat cannot hold (``WriteCounts``):
record statuses, images, model origins, names that had to change to be file names, and layer
numbers where they differ from ``assign_layers``' reading (which the import applies). Export also
writes ``annotation.conf`` (the types, overlaps allowed, the Assertion attribute).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from madpg_core.domain import ASSERTION_STATUSES, AssertionStatus, ImportReport, Record, Span, assign_layers, count
from madpg_core.errors import FormatError, MadpgError
from madpg_core.formats.common import (
    ExportImageNames,
    ImageRefs,
    LoneSurrogate,
    Progress,
    WriteCounts,
    check_unicode,
    split_lines,
)
from madpg_core.formats.conll2003 import (
    IMAGES,
    LAYERS,
    NAMES,
    ORIGINS,
    STATUSES,
    counted,
    is_model_origin,
)

ASSERTION = "Assertion"  # the attribute's name in .ann and annotation.conf
NEGATION = frozenset({"negation", "negated"})  # binary attributes other tools write for "absent"
NOT_CARRIED = {"R": "relations (R)", "E": "events (E)", "N": "normalisations (N)", "*": "equivalences (*)",
               "#": "notes (#)"}
# Where a .ann line could be cut by a reader that splits like str.splitlines() (brat's does): the
# export never leaves one inside a span's text, and splits a span into fragments there.
LINE_BREAKS = frozenset("\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029")
_OFFSETS = re.compile(r"[0-9]+ [0-9]+(?:;[0-9]+ [0-9]+)*")  # ASCII digits only: int() takes "٣"


# --- reading -----------------------------------------------------------------------------------------

@dataclass
class _Seen:
    """What an import met that MADPG does not carry, over all files: kind → (count, first place)."""

    kinds: Counter = field(default_factory=Counter)
    first: dict[str, str] = field(default_factory=dict)

    def add(self, kind: str, where: str, n: int = 1) -> None:
        self.kinds[kind] += n
        self.first.setdefault(kind, where)


def read(path: Path, report: ImportReport, encoding: str = "utf-8", on_progress: Progress | None = None, *,
         images: ImageRefs | None = None) -> list[Record]:  # images: none in this format
    refs = images or ImageRefs()
    if not path.is_dir():
        raise MadpgError(f"{path} is not a folder (format 'brat' reads a folder of NAME.txt + NAME.ann)")
    try:
        entries = sorted(p for p in path.iterdir() if p.suffix in (".txt", ".ann") and p.is_file())
    except OSError as e:
        raise MadpgError(f"{path}: cannot read this folder: {e.strerror or e}") from None
    for e in entries:
        _check_entry(path, e, refs)
    texts = [p for p in entries if p.suffix == ".txt"]
    if not texts:
        raise MadpgError(f"{path}: no .txt files found (brat keeps each text in NAME.txt beside NAME.ann)")
    seen = _Seen()
    for ann in (p for p in entries if p.suffix == ".ann" and not p.with_suffix(".txt").is_file()):
        report.warnings.append(f"{ann}: no {ann.stem}.txt beside it; not imported")
    records = []
    for i, t in enumerate(texts, 1):
        text = _read_exact(t, encoding)
        ann = t.with_suffix(".ann")
        spans = _read_ann(ann, text, encoding, seen) if ann.is_file() else []
        records.append(Record(text, tuple(assign_layers(spans)), (), t.stem))
        if on_progress:
            on_progress(i, len(texts))
    for kind, n in seen.kinds.items():
        if kind == "split":
            report.warnings.append(f"{path}: {count(n, 'discontinuous entity', 'discontinuous entities')} (fragments "
                                   f"apart) read as separate spans, first at {seen.first[kind]}")
        else:
            report.warnings.append(f"{path}: {kind} not carried: {n} (MADPG keeps spans and their assertion status "
                                   f"only), first at {seen.first[kind]}")
    return records


def _check_entry(folder: Path, entry: Path, refs: ImageRefs) -> None:
    """A name that is not valid Unicode cannot be a record name; a symlink must stay inside the
    folder (or the allowed root), as for the images of other formats."""
    try:
        check_unicode(entry.name, "file name")
    except LoneSurrogate as e:
        raise FormatError(folder, None, f"{e}; rename the file") from None
    if entry.is_symlink():
        refs.check_inside(entry, entry.name, folder, None, base=folder, what="text file")


def _read_exact(path: Path, encoding: str) -> str:
    """The file's text with nothing dropped, a leading BOM included: brat's offsets count it."""
    try:
        data = path.read_bytes()
    except OSError as e:
        raise MadpgError(f"{path}: cannot read it: {e.strerror or e}") from None
    try:
        text = data.decode(encoding)
    except LookupError:
        raise MadpgError(f"unknown text encoding {encoding!r}; use e.g. utf-8 or gb18030") from None
    except UnicodeDecodeError as e:
        raise FormatError(path, data[: e.start].count(b"\n") + 1,
                          f"not valid {encoding} (byte 0x{data[e.start]:02x}); save it as UTF-8 or pass --encoding") from None
    try:
        check_unicode(text, "text")
    except LoneSurrogate as e:
        raise FormatError(path, text.count("\n", 0, e.index) + 1, str(e)) from None
    return text


def _read_ann(ann: Path, text: str, encoding: str, seen: _Seen) -> list[Span]:
    bounds: dict[str, tuple[int, str, list[tuple[int, int]]]] = {}  # T id → (line, type, fragments)
    status: dict[str, tuple[int, str]] = {}  # T id → (line, assertion status)
    attributes: list[tuple[int, str, str, str | None]] = []
    # A BOM is dropped here (no offsets count .ann characters), kept in the .txt (they count it there).
    for i, line in enumerate(split_lines(_read_exact(ann, encoding).removeprefix("\ufeff")), 1):
        if not line.strip():
            continue
        parts = line.split("\t", 2)
        ident = parts[0]
        if ident[:1] == "T":
            if ident in bounds:
                raise FormatError(ann, i, f"{ident} is defined twice")
            bounds[ident] = (i, *_textbound(ann, i, parts, text))
        elif ident[:1] in ("A", "M"):
            words = parts[1].split(" ") if len(parts) > 1 else []
            if len(words) not in (2, 3):
                raise FormatError(ann, i, "expected 'A1<TAB>Name T1' or 'A1<TAB>Name T1 value'")
            attributes.append((i, words[0], words[1], words[2] if len(words) == 3 else None))
        elif ident[:1] in NOT_CARRIED:
            seen.add(NOT_CARRIED[ident[:1]], f"{ann}:{i}")
        else:
            raise FormatError(ann, i, f"not a brat annotation line (T, A, M, R, E, N, * or #): {line[:40]!r}")
    for i, name, target, value in attributes:
        found = _assertion(ann, i, name, value)
        if found is None:
            seen.add(f"attributes ({name})", f"{ann}:{i}")
            continue
        if target not in bounds:
            raise FormatError(ann, i, f"attribute {name} of {target!r}, which is no T line of this file")
        if target in status and status[target][1] != found:
            raise FormatError(ann, i, f"{target} is {status[target][1]} (line {status[target][0]}) and {found} here")
        status[target] = (i, found)
    spans = []
    for ident, (i, label, fragments) in bounds.items():
        pieces = _merged(fragments, text)
        if len(pieces) > 1:
            seen.add("split", f"{ann}:{i}")
        assertion = status.get(ident, (0, AssertionStatus.PRESENT.value))[1]
        spans.extend(Span(s, e, label, assertion=assertion) for s, e in pieces)
    return spans


def _textbound(ann: Path, i: int, parts: list[str], text: str) -> tuple[str, list[tuple[int, int]]]:
    label, _, offsets = parts[1].partition(" ") if len(parts) > 1 else ("", "", "")
    if not label or not _OFFSETS.fullmatch(offsets):
        raise FormatError(ann, i, "expected 'T1<TAB>Type START END<TAB>text' (fragments: 'START END;START END')")
    fragments = [(int(a), int(b)) for a, b in (f.split(" ") for f in offsets.split(";"))]
    for a, b in fragments:
        if a >= b:
            raise FormatError(ann, i, f"fragment {a} {b} is empty or backwards")
        if b > len(text):
            raise FormatError(ann, i, f"offset {b} is past the end of the text ({len(text)} characters); brat "
                                      "offsets count characters (code points), not bytes or UTF-16 units")
    try:
        check_unicode(label, "type")
    except LoneSurrogate as e:
        raise FormatError(ann, i, str(e)) from None
    if len(parts) > 2 and _norm(parts[2]) != _norm(" ".join(text[a:b] for a, b in fragments)):
        # Offsets counted in bytes or UTF-16 units (an emoji before the span) land here, not shifted.
        shown = " ".join(text[a:b] for a, b in fragments)
        raise FormatError(ann, i, f"{parts[0]}'s text is {parts[2][:40]!r} but the .txt has {shown[:40]!r} there; "
                                  "offsets must count characters (code points)")
    return label, fragments


def _norm(s: str) -> str:
    return " ".join(s.split())


def _assertion(ann: Path, i: int, name: str, value: str | None) -> str | None:
    """The assertion status an attribute line sets, or None for an attribute MADPG does not carry."""
    if name.lower() == ASSERTION.lower():
        if value is None or value.lower() not in ASSERTION_STATUSES:
            raise FormatError(ann, i, f"Assertion value {value!r}; one of {', '.join(ASSERTION_STATUSES)}")
        return value.lower()
    if name.lower() in NEGATION and value is None:
        return AssertionStatus.ABSENT.value
    return None


def _merged(fragments: list[tuple[int, int]], text: str) -> list[tuple[int, int]]:
    """Fragments apart only by whitespace (or touching, or overlapping) become one piece."""
    pieces: list[list[int]] = []
    for a, b in sorted(fragments):
        if pieces and (a <= pieces[-1][1] or not text[pieces[-1][1] : a].strip()):
            pieces[-1][1] = max(pieces[-1][1], b)
        else:
            pieces.append([a, b])
    return [(a, b) for a, b in pieces]


# --- writing -----------------------------------------------------------------------------------------

def write_folder(records: Iterable[Record], folder: Path) -> WriteCounts:
    """Write each record as ``NAME.txt`` + ``NAME.ann`` into ``folder`` (new, or empty), and
    ``annotation.conf``. The caller makes it appear whole (transfer writes a temporary folder)."""
    folder = Path(folder)
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise MadpgError(f"{folder} exists and is not an empty folder; brat export writes a new folder")
    folder.mkdir(parents=True, exist_ok=True)
    names = ExportImageNames()  # safe, unique file names; the same rules as exported images
    lost: Counter = Counter()
    labels: set[str] = set()
    written = 0
    for r in records:
        stem = names.name(str(written), f"{r.name}.txt" if r.name else "", f"record-{written + 1}.txt")[0][:-4]
        lost[NAMES] += stem != r.name
        lost[STATUSES] += r.status.value != "new"
        lost[IMAGES] += len(r.images)
        lost[ORIGINS] += sum(map(is_model_origin, r.spans))
        lost[LAYERS] += _layers_changed(r.spans)
        labels.update(s.label for s in r.spans)
        with open(folder / f"{stem}.txt", "w", encoding="utf-8", newline="") as f:
            f.write(r.text)
        with open(folder / f"{stem}.ann", "w", encoding="utf-8", newline="\n") as f:
            f.write(ann_text(r))
        written += 1
    (folder / "annotation.conf").write_text(annotation_conf(labels), encoding="utf-8", newline="\n")
    return WriteCounts(written, not_carried=counted(lost))


def _layers_changed(spans: tuple[Span, ...]) -> int:
    """Spans whose layer an import (assign_layers) would read differently."""
    kept = {id(s) for s in spans}
    return sum(id(s) not in kept for s in assign_layers(spans))


def ann_text(r: Record) -> str:
    """The .ann lines of a record: T lines in text order, then A lines for statuses not present."""
    lines, attrs = [], []
    for n, s in enumerate(sorted(r.spans, key=lambda s: (s.start, -s.end, s.label, s.layer)), 1):
        if any(c.isspace() for c in s.label):
            raise MadpgError(f"record {r.name or '(unnamed)'}: type {s.label!r} holds whitespace; brat cannot hold it")
        fragments = _fragments(r.text, s)
        offsets = ";".join(f"{a} {b}" for a, b in fragments)
        shown = " ".join(r.text[a:b] for a, b in fragments)
        lines.append(f"T{n}\t{s.label} {offsets}\t{''.join(' ' if c in LINE_BREAKS else c for c in shown)}\n")
        if s.assertion != AssertionStatus.PRESENT.value:
            attrs.append(f"A{len(attrs) + 1}\t{ASSERTION} T{n} {s.assertion}\n")
    return "".join(lines + attrs)


def _fragments(text: str, s: Span) -> list[tuple[int, int]]:
    """A span cut at the line breaks inside it, as brat's editor cuts one: the runs of other
    characters, the first stretched back to the span's start and the last to its end (so a span
    beginning or ending with a line break keeps it). An import joins them again (whitespace gaps)."""
    runs, start = [], None
    for i in range(s.start, s.end):
        if text[i] in LINE_BREAKS:
            if start is not None:
                runs.append([start, i])
                start = None
        elif start is None:
            start = i
    if start is not None:
        runs.append([start, s.end])
    if not runs:
        return [(s.start, s.end)]
    runs[0][0], runs[-1][1] = s.start, s.end
    return [(a, b) for a, b in runs]


def annotation_conf(labels: Iterable[str]) -> str:
    """brat's configuration for an export: its types, overlapping entities allowed (nested spans),
    and the Assertion attribute with MADPG's statuses."""
    return "\n".join([
        "# Written by MADPG Annotator: the entity types of this export and each entity's assertion status.",
        "[entities]", *sorted(labels), "",
        "[relations]", "# nested and overlapping entities are allowed",
        "<OVERLAP>\tArg1:<ENTITY>, Arg2:<ENTITY>, <OVL-TYPE>:<ANY>", "",
        "[events]", "",
        "[attributes]", f"{ASSERTION}\tArg:<ENTITY>, Value:{'|'.join(ASSERTION_STATUSES)}", "",
    ])

