"""spaCy DocBin (``.spacy``): one ``Doc`` per record, lossless.

Tokens are characters (``Doc(words=list(text), spaces=[False] * len(text))``), not spaCy's ``zh``
tokenizer: with one token per character every span boundary is a token boundary, so no span is
refused or moved by ``char_span``, and ``doc.text`` is the record's text exactly (whitespace and
line breaks are tokens like any other). A pipeline that wants words can retokenize; offsets are
characters either way.

* ``doc.ents``: the main layer (``layer_view(spans, "outer")``), for spaCy's NER training.
* ``doc.spans["madpg"]``: every span of every layer, for spancat and for this reader.
* ``doc.user_data[("madpg", start, end, label)]``: a list (one per span of that range and type, in
  the group's order) of ``{"assertion", "layer", "source", "model_version", "confidence"}``.
  Keyed by range and type rather than a span extension: spaCy stores a span extension's value by
  range alone, so two types on one range would share it.
* ``doc.user_data["madpg"]``: ``{"name", "status", "images"}``; image paths relative to the file's
  folder (an export writes ``OUT_images/…``), resolved on import like JSONL's.

A ``.spacy`` file made elsewhere (no ``madpg`` group) is read from ``doc.ents`` and every span
group, nested spans put in layers (``assign_layers``), a span found in several kept once.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from pathlib import Path

from madpg_core.domain import (
    AssertionStatus,
    ImportReport,
    Record,
    RecordStatus,
    Span,
    SpanSource,
    assign_layers,
    count,
    layer_view,
)
from madpg_core.errors import FormatError, MadpgError
from madpg_core.formats.common import ImageRefs, Progress, check_unicode, confidence, describe, enum_value
from madpg_core.formats.common import WriteCounts

GROUP = "madpg"  # doc.spans key and doc.user_data key of this project's spans and record fields
FIELDS = ("assertion", "layer", "source", "model_version", "confidence")


def write(records: Iterable[Record], out) -> WriteCounts:  # out: a binary file, or a text file's buffer
    from spacy.tokens import Doc, DocBin
    from spacy.tokens import Span as SpacySpan
    from spacy.vocab import Vocab

    vocab = Vocab()
    docs = DocBin(store_user_data=True)
    written = 0
    for r in records:
        doc = Doc(vocab, words=list(r.text), spaces=[False] * len(r.text))
        doc.ents = [SpacySpan(doc, s.start, s.end, label=s.label) for s in layer_view(r.spans, "outer").spans]
        ordered = sorted(r.spans, key=lambda s: (s.start, s.end, s.label, s.layer))
        doc.spans[GROUP] = [SpacySpan(doc, s.start, s.end, label=s.label) for s in ordered]
        for s in ordered:
            doc.user_data.setdefault((GROUP, s.start, s.end, s.label), []).append(
                {"assertion": s.assertion, "layer": s.layer, "source": s.source.value,
                 "model_version": s.model_version, "confidence": s.confidence})
        doc.user_data[GROUP] = {"name": r.name, "status": r.status.value, "images": list(r.images)}
        docs.add(doc)
        written += 1
    binary(out).write(docs.to_bytes())
    return WriteCounts(written)


def binary(out):  # noqa: ANN001, ANN201 - a file object either way
    """The byte stream under ``out``: transfer hands every writer a text file (it renames it into
    place when complete); a binary format writes to its buffer, after what the text layer holds."""
    if isinstance(out, io.TextIOBase):
        out.flush()
        return out.buffer
    return out


def read(path: Path, report: ImportReport, encoding: str = "utf-8", on_progress: Progress | None = None, *,
         images: ImageRefs | None = None) -> list[Record]:  # encoding: a binary format has none
    from spacy.tokens import DocBin
    from spacy.vocab import Vocab

    refs = images or ImageRefs()
    try:
        data = path.read_bytes()
    except OSError as e:
        raise MadpgError(f"{path}: cannot read it: {e.strerror or e}") from None
    try:
        docs = list(DocBin().from_bytes(data).get_docs(Vocab()))
    except Exception as e:  # noqa: BLE001 - zlib, msgpack and spaCy each raise their own kinds
        raise FormatError(path, None, f"not a spaCy DocBin (.spacy) file: {type(e).__name__}: {e}") from None
    records, foreign = [], 0
    for n, doc in enumerate(docs, 1):
        try:
            records.append(_record(doc, n, path, refs))
        except (ValueError, TypeError, KeyError, MadpgError) as e:
            raise FormatError(path, None, f"doc {n}: {e}") from None
        foreign += GROUP not in doc.spans
        if on_progress:
            on_progress(n, len(docs))
    if foreign:
        report.warnings.append(f"{path}: {count(foreign, 'doc')} without a {GROUP!r} span group (not written by "
                               "MADPG): spans read from doc.ents and every span group, statuses present")
    return records


def _record(doc, n: int, path: Path, refs: ImageRefs) -> Record:  # noqa: ANN001 - a spacy Doc
    text = doc.text
    check_unicode(text, "text")
    meta = doc.user_data.get(GROUP, {})
    if not isinstance(meta, dict):
        raise TypeError(f'user_data["{GROUP}"] must be a map, not {describe(meta)}')
    name = meta.get("name", f"{path.stem}-{n}")
    if not isinstance(name, str):
        raise TypeError(f'"name" must be a string, not {describe(name)}')
    status = enum_value(meta, "status", RecordStatus, RecordStatus.NEW)
    found = tuple(_image(path, ref, refs) for ref in _strings(meta.get("images", ()), "images"))
    spans = _own_spans(doc) if GROUP in doc.spans else _foreign_spans(doc)
    return Record(text, tuple(spans), found, name, status)


def _strings(value: object, what: str) -> list[str]:
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
        raise TypeError(f'"{what}" must be a list of strings, not {describe(value)}')
    return list(value)


def _image(path: Path, ref: str, refs: ImageRefs) -> str:
    found = refs.resolve(ref, path, None, base=path.parent)
    if not found.is_file():
        raise ValueError(f"image {ref!r} not found (looked for {found})")
    return str(found)


def _own_spans(doc) -> list[Span]:  # noqa: ANN001
    """The ``madpg`` group with the fields stored for each span; a span without them (added in
    spaCy) is present, made by the annotator, and all layers are then read afresh."""
    taken: dict[tuple, int] = {}
    spans, complete = [], True
    for sp in doc.spans[GROUP]:
        key = (GROUP, sp.start_char, sp.end_char, sp.label_)
        stored = doc.user_data.get(key, ())
        k = taken.get(key, 0)
        taken[key] = k + 1
        if k >= len(stored):
            complete = False
            spans.append(Span(sp.start_char, sp.end_char, _label(sp)))
            continue
        d = stored[k]
        if not isinstance(d, dict):
            raise TypeError(f"span [{sp.start_char}, {sp.end_char}) {sp.label_}: fields must be a map, not {describe(d)}")
        spans.append(Span(sp.start_char, sp.end_char, _label(sp), enum_value(d, "source", SpanSource, SpanSource.ANNOTATOR),
                          _version(d.get("model_version")), confidence(d.get("confidence")),
                          assertion=enum_value(d, "assertion", AssertionStatus, AssertionStatus.PRESENT).value,
                          layer=d.get("layer", 0)))
    return spans if complete else assign_layers(spans)


def _foreign_spans(doc) -> list[Span]:  # noqa: ANN001
    found = [*doc.ents, *(sp for group in doc.spans.values() for sp in group)]
    unique = dict.fromkeys((sp.start_char, sp.end_char, _label(sp)) for sp in found)
    return assign_layers(Span(a, b, label) for a, b, label in unique)


def _label(sp) -> str:  # noqa: ANN001
    if not sp.label_:
        raise ValueError(f"span [{sp.start_char}, {sp.end_char}) has no label")
    check_unicode(sp.label_, "label")
    return sp.label_


def _version(value: object) -> str | None:
    if value is None or isinstance(value, str):
        return value
    raise TypeError(f'"model_version" must be a string or null, not {describe(value)}')
