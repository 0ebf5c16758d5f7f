"""CoNLL-2003 style: ``TOKEN POS CHUNK NER`` columns, ``-DOCSTART- -X- -X- O`` before each record.

One record is one document: the ``-DOCSTART-`` line, a blank line, one line per character (the
whole text as one sentence), a blank line. Chinese has no word spaces, so a token is a character;
whitespace and other invisible characters are written by name as in BIO (``<SP>``, ``<LF>``,
``<U+3000>``: :func:`madpg_core.formats.conll.escape`), so every offset comes back exactly. POS and
CHUNK are written as ``-`` and ``O`` and ignored on import. Tags are IOB2.

Import also takes files made elsewhere: two or more columns (token first, NER tag last), documents
without ``-DOCSTART-`` (each blank-line block is then a record), several sentences in a document
(joined by a line break), word tokens (a document whose tokens are not all single characters is
read as words joined by a space), and IOB1 tags (an ``I-`` may start an entity), converted to IOB2
with one note per file.

What the format cannot carry is counted on export (:class:`WriteCounts`), never dropped
silently: nested spans beyond the one layer written (``spans_left_out``), assertion statuses,
model origins, record statuses, record names and images. An empty record is carried (a document
with no tokens).

This module also holds what the exchange formats (brat, CoNLL-2003, spaCy, Hugging Face) share:
the counts of what a format did not carry, and tokens joined back into a text.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from madpg_core.domain import (
    AssertionStatus,
    ImportReport,
    Record,
    Span,
    SpanSource,
    bio_to_spans,
    count,
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
    read_text_file,
    split_lines,
)
from madpg_core.formats.conll import check_tag, escape, unescape

DOCSTART = "-DOCSTART-"
DOCSTART_LINE = "-DOCSTART- -X- -X- O"
POS, CHUNK = "-", "O"  # placeholders: a clinician's project has neither
_COLUMNS = re.compile(r"[ \t]+")  # not str.split(): U+3000 or \x1c would cut a column

# What a format could not carry, by kind; the keys are read in messages ("3 images not carried").
NAMES = "record names"
STATUSES = "record statuses"
IMAGES = "images"
ASSERTIONS = "assertion statuses"
ORIGINS = "model origins (source, version, confidence)"
LAYERS = "layer numbers"


def counted(lost: Counter) -> tuple[tuple[str, int], ...]:
    return tuple((what, n) for what, n in lost.items() if n)


def is_model_origin(s: Span) -> bool:
    """Whether a span says more about where it came from than "the annotator made it"."""
    return s.source != SpanSource.ANNOTATOR or s.model_version is not None or s.confidence is not None


def count_record_losses(r: Record, lost: Counter, *, name: bool = True, status: bool = True,
                        images: bool = True) -> None:
    """Count the record-level fields a format drops (True: dropped)."""
    lost[NAMES] += name and bool(r.name)
    lost[STATUSES] += status and r.status.value != "new"
    lost[IMAGES] += len(r.images) if images else 0


def flat_spans(r: Record, layer: str, lost: Counter) -> tuple[tuple[Span, ...], int]:
    """The spans a format of one flat layer writes (``layer_view``) and how many it leaves out; the
    assertion statuses and model origins of those written are counted as not carried."""
    view = layer_view(r.spans, layer)
    lost[ASSERTIONS] += sum(s.assertion != AssertionStatus.PRESENT.value for s in view.spans)
    lost[ORIGINS] += sum(map(is_model_origin, view.spans))
    return view.spans, view.left_out


def text_of_tokens(tokens: Sequence[str], sep: str | None = None) -> tuple[str, list[tuple[int, int]]]:
    """A text and each token's [start, end) in it. By default single characters are joined as they
    are (a character-tokenised text comes back exactly) and anything longer means word tokens, joined
    by a space (the usual reading of English CoNLL files)."""
    if sep is None:
        sep = "" if all(len(t) == 1 for t in tokens) else " "
    offsets, at = [], 0
    for i, t in enumerate(tokens):
        at += len(sep) if i else 0
        offsets.append((at, at + len(t)))
        at += len(t)
    return sep.join(tokens), offsets


def spans_of_tags(tags: Sequence[str], offsets: Sequence[tuple[int, int]], iob1: list[int]) -> list[Span]:
    """Token tags → character spans. An ``I-`` that starts an entity is IOB1's way (or an IOB2
    error): read as a start, and counted in ``iob1`` instead of one warning per tag."""
    found = bio_to_spans(tags, on_warning=lambda _m: iob1.append(1))
    return [Span(offsets[s.start][0], offsets[s.end - 1][1], s.label) for s in found]


# --- reading -----------------------------------------------------------------------------------------

@dataclass
class _Doc:
    sentences: list[list[tuple[str, str]]]  # (token, tag)
    started: bool  # by a -DOCSTART- line: kept even with no tokens (an empty record)


def read(path: Path, report: ImportReport, encoding: str = "utf-8", on_progress: Progress | None = None, *,
         images: ImageRefs | None = None) -> list[Record]:  # images: none in this format
    lines = split_lines(read_text_file(path, encoding))
    docs: list[_Doc] = []
    doc = _Doc([[]], False)
    for i, line in enumerate(lines, 1):
        cols = _COLUMNS.split(line.strip(" \t")) if line.strip(" \t") else []
        if not cols:
            if doc.sentences[-1]:
                doc.sentences.append([])
        elif cols[0] == DOCSTART:
            docs.append(doc)
            doc = _Doc([[]], True)
        else:
            doc.sentences[-1].append(_token(path, i, cols))
        if on_progress and i % 5000 == 0:
            on_progress(i, len(lines))
    docs.append(doc)
    if not any(d.started for d in docs):  # no -DOCSTART- at all: each sentence is a record
        docs = [_Doc([s], False) for d in docs for s in d.sentences if s]
    records, iob1, words = [], [], 0
    for d in docs:
        sentences = [s for s in d.sentences if s]
        if not sentences and not d.started:
            continue
        text, spans, is_words = _document(sentences, iob1)
        words += is_words
        records.append(Record(text, tuple(spans), (), f"{path.stem}-{len(records) + 1}"))
    report.warnings.extend(reading_warnings(path, len(iob1), words, "document"))
    return records


def reading_warnings(path: Path, iob1: int, words: int, unit: str) -> list[str]:
    """What a token-tagged file's reading assumed: ``iob1`` entities that start with I-, and
    ``words`` units (documents, rows) whose tokens are longer than one character."""
    out = []
    if iob1:
        out.append(f"{path}: {count(iob1, 'entity', 'entities')} start with I- (IOB1); "
                   "read as IOB2 (B- starts an entity)")
    if words:
        out.append(f"{path}: {count(words, unit)} with tokens longer than one character: "
                   "read as words joined by a space")
    return out


def _token(path: Path, number: int, cols: list[str]) -> tuple[str, str]:
    if len(cols) < 2:
        raise FormatError(path, number, f"expected 'TOKEN POS CHUNK NER' (at least TOKEN and NER), got {cols[0]!r}")
    token, tag = cols[0], cols[-1]
    try:
        check_unicode(token, "token")
        check_tag(tag)
    except ValueError as e:  # LoneSurrogate included
        raise FormatError(path, number, str(e)) from None
    return token, tag


def _document(sentences: list[list[tuple[str, str]]], iob1: list[int]) -> tuple[str, list[Span], bool]:
    """Sentences of (token, tag) → (text, spans, whether read as words). Sentences are joined by a
    line break; spans never cross one (each sentence's tags are read on their own)."""
    chars = _characters([t for s in sentences for t, _ in s])
    sep = " " if chars is None else ""
    pieces: list[str] = []
    spans: list[Span] = []
    at = k = 0
    for n, sentence in enumerate(sentences):
        if n:
            pieces.append("\n")
            at += 1
        tokens = [t for t, _ in sentence] if chars is None else chars[k : k + len(sentence)]
        k += len(sentence)
        text, offsets = text_of_tokens(tokens, sep)
        spans.extend(spans_of_tags([tag for _, tag in sentence], [(a + at, b + at) for a, b in offsets], iob1))
        pieces.append(text)
        at += len(text)
    return "".join(pieces), spans, chars is None


def _characters(tokens: list[str]) -> list[str] | None:
    """The characters the tokens stand for when every one is a character or a character's name
    (``<SP>``, ``<U+3000>``); None when some are words."""
    try:
        return [unescape(t) for t in tokens]
    except ValueError:
        return None


# --- writing -----------------------------------------------------------------------------------------

def write(records: Iterable[Record], out, layer: Literal["outer", "inner"] = "outer") -> WriteCounts:  # out: text
    written = left_out = 0
    lost: Counter = Counter()
    for r in records:
        spans, left = flat_spans(r, layer, lost)
        left_out += left
        count_record_losses(r, lost)
        out.write(f"{DOCSTART_LINE}\n\n")
        if r.text:
            for ch, tag in zip(r.text, spans_to_bio(r.text, spans)):
                out.write(f"{escape(ch)} {POS} {CHUNK} {_writable(r, tag)}\n")
            out.write("\n")
        written += 1
    return WriteCounts(written, spans_left_out=left_out, not_carried=counted(lost))


def _writable(r: Record, tag: str) -> str:
    if any(c.isspace() for c in tag):  # "B-Foo Bar" would read back as two columns
        raise MadpgError(f"record {r.name or r.id or '(unnamed)'}: type {tag[2:]!r} holds whitespace and cannot be "
                         "written as a CoNLL tag")
    try:
        check_unicode(tag, "tag")
    except LoneSurrogate as e:
        raise MadpgError(str(e)) from None
    return tag
