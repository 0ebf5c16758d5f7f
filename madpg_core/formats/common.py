"""Helpers shared by the readers and writers: decoding, strict field checks, the image reference
policy, type mapping, flattening of nested entities."""

from __future__ import annotations

import json
import os
import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from enum import Enum
from pathlib import Path
from typing import Any, TypeVar

from madpg_core.domain import ImportReport, Record, Span
from madpg_core.errors import FormatError, MadpgError

Progress = Callable[[int, int], None]  # (done, total)
E = TypeVar("E", bound=Enum)

# What json.dumps(ensure_ascii=False) leaves raw although str.splitlines() breaks a line there;
# written as \uXXXX so that no tool that splits on them can cut a record in two.
LINE_BREAKS_JSON_KEEPS = {0x85: "\\u0085", 0x2028: "\\u2028", 0x2029: "\\u2029"}
_SURROGATE = re.compile("[\ud800-\udfff]")


@dataclass(frozen=True)
class WriteCounts:
    """What a writer did: records written, and empty records it had to leave out (BIO cannot hold them).
    An export (transfer.export_project) adds what it did with the images."""

    written: int
    skipped_empty: int = 0
    # Spans a format of one flat layer could not hold (nested or overlapping ones outside the layer
    # view it writes: domain.layer_view); 0 for lossless formats.
    spans_left_out: int = 0
    images: int = 0  # image files copied into images_folder
    images_folder: Path | None = None  # beside the export file; None when no image was copied
    missing_images: tuple[str, ...] = ()  # "record: image" the project has lost; left out of the export
    # What else the format could not carry, as (kind, count): (("assertion statuses", 3),)
    not_carried: tuple[tuple[str, int], ...] = ()

    def losses(self) -> list[str]:
        """One phrase per kind of loss, for a warning: "assertion statuses (3)"."""
        return [f"{what} ({n})" for what, n in self.not_carried]


@dataclass(frozen=True)
class ImageRefs:
    """Where image references in an imported file may point.

    Relative references resolve against ``root`` when given, else against the imported file's folder
    (the folder itself for the folder format). Unless ``allow_outside``, the real path (symlinks and
    ``..`` followed) must lie inside that root: a corpus file must not make the import copy
    /etc/passwd or a colleague's files into a project."""

    root: Path | None = None
    allow_outside: bool = False

    def resolve(self, ref: str, file: Path, line: int | None, *, base: Path) -> Path:
        """The path a reference found in ``file`` at ``line`` stands for; ``base`` is the folder it is
        relative to when no root is set. Raises FormatError when it leads outside."""
        if not ref.strip() or "\0" in ref:
            raise FormatError(file, line, f"image reference {ref!r} is not a file name")
        path = self._root(base) / ref  # an absolute ref replaces the root
        self.check_inside(path, ref, file, line, base=base)
        return path

    def check_inside(self, path: Path, ref: object, file: Path, line: int | None, *, base: Path,
                     what: str = "image") -> None:
        """Raise FormatError unless ``path`` (after symlinks and ``..``) lies inside the root."""
        if self.allow_outside:
            return
        root = Path(os.path.realpath(self._root(base)))
        real = Path(os.path.realpath(path))
        if not real.is_relative_to(root):
            place = "the images root" if self.root is not None else f"the imported {_base_kind(file, base)}"
            raise FormatError(file, line, f"{what} {str(ref)!r} resolves to {real}, outside {root}; {what}s must "
                                          f"lie in {place} (pass --images-root DIR or --allow-outside-images)")

    def _root(self, base: Path) -> Path:
        return Path(self.root) if self.root is not None else Path(base)


def _base_kind(file: Path, base: Path) -> str:
    return "folder" if Path(file) == Path(base) else "file's folder"


# --- image names in exports -------------------------------------------------------------------------

IMAGES_FOLDER_SUFFIX = "_images"


def images_folder(out: Path | str) -> Path:
    """Where an export to ``out`` puts its images, and where the BIO reader looks first for an
    ``IMGID:`` name: ``out.jsonl_images/`` beside it. The whole file name, so that exports to
    ``a.jsonl`` and ``a.txt`` in one folder never share (and replace) one folder."""
    out = Path(out)
    return out.with_name(out.name + IMAGES_FOLDER_SUFFIX)


# Characters no file name may hold on some system (Windows' set, controls, lone surrogates): each is
# replaced by "_", so an export made on Linux can be copied to any machine and read back there.
_UNSAFE_IN_NAME = re.compile(r'[\x00-\x1f\x7f/\\:*?"<>|\ud800-\udfff]')
_MAX_NAME_BYTES = 200  # below every file system's 255, leaving room for a "-12" suffix


class ExportImageNames:
    """File names for an export's images: each image's original name, made safe as a file name and
    unique in its folder. Two different images both called ``scan.png`` become ``scan.png`` and
    ``scan-2.png`` in the order they are first met; the same image met again keeps its name.
    Names differing only in case or Unicode normalisation count as equal (macOS and Windows
    folders do). Deterministic: the same images in the same order give the same names."""

    def __init__(self) -> None:
        self._by_key: dict[str, str] = {}
        self._taken: set[str] = set()

    def name(self, key: str, original: str, fallback: str) -> tuple[str, bool]:
        """(the name for the image identified by ``key``, whether it is met for the first time).
        ``fallback`` serves when nothing of ``original`` is usable as a file name."""
        if key in self._by_key:
            return self._by_key[key], False
        base = safe_file_name(original) or safe_file_name(fallback) or "image"
        stem, dot, suffix = base.rpartition(".")
        stem, suffix = (stem, dot + suffix) if stem else (base, "")
        candidate, n = base, 1
        while _fold(candidate) in self._taken:
            n += 1
            candidate = f"{stem}-{n}{suffix}"
        self._taken.add(_fold(candidate))
        self._by_key[key] = candidate
        return candidate, True


def safe_file_name(name: str) -> str:
    """``name`` as a portable file name: unsafe characters replaced, no surrounding spaces, no leading
    or trailing dots (hidden files; Windows drops trailing ones), at most 200 UTF-8 bytes; "" when
    nothing is left."""
    cleaned = _UNSAFE_IN_NAME.sub("_", unicodedata.normalize("NFC", name)).strip().strip(".").strip()
    while len(cleaned.encode("utf-8")) > _MAX_NAME_BYTES:
        stem, _, suffix = cleaned.rpartition(".")
        cleaned = f"{stem[:-1]}.{suffix}" if stem and len(suffix) < 16 else cleaned[:-1]
    return cleaned


def _fold(name: str) -> str:
    return unicodedata.normalize("NFC", name).casefold()


# --- strict field checks: a wrong type is an error, never silently converted -------------------------

def describe(value: object) -> str:
    """A JSON value as the user wrote it, short: for error messages."""
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "an array"
    shown = json.dumps(value, ensure_ascii=False)
    return shown if len(shown) <= 40 else shown[:37] + "..."


def offset(value: object, what: str) -> int:
    """A character offset: a JSON integer ≥ 0. Not a bool (True is 1 in Python), not 1.9 (would
    silently become 1)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f'"{what}" must be an integer offset, not {describe(value)}')
    if value < 0:
        raise ValueError(f'"{what}" must not be negative, got {value}')
    return value


def non_empty_str(value: object, what: str) -> str:
    if not isinstance(value, str) or not value:
        raise ValueError(f'"{what}" must be a non-empty string, not {describe(value)}')
    check_unicode(value, what)
    return value


def optional_str(obj: dict, key: str, default: str = "") -> str:
    value = obj.get(key, default)
    if not isinstance(value, str):
        raise TypeError(f'"{key}" must be a string, not {describe(value)}')
    check_unicode(value, key)
    return value


def enum_value(obj: dict, key: str, kind: type[E], default: E) -> E:
    value = obj.get(key, default.value)
    valid = [m.value for m in kind]
    if not isinstance(value, str) or value not in valid:
        raise ValueError(f'"{key}" must be one of {", ".join(valid)}; got {describe(value)}')
    return kind(value)


def confidence(value: object) -> float | None:
    """null or a number in [0, 1]. json.loads accepts NaN and Infinity: the range test refuses both
    (every comparison with NaN is false)."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
        raise ValueError(f'"confidence" must be null or a number from 0 to 1, not {describe(value)}')
    return float(value)


def list_of(obj: dict, key: str, kind: type, kind_name: str) -> list:
    """``obj[key]`` (missing: empty) when it is a list whose items are all ``kind``."""
    value = obj.get(key, [])
    if not isinstance(value, list):
        raise TypeError(f'"{key}" must be an array of {kind_name}s, not {describe(value)}')
    for n, item in enumerate(value, 1):
        if not isinstance(item, kind) or isinstance(item, bool):
            raise TypeError(f'"{key}" item {n} must be {kind_name}, not {describe(item)}')
    return value


class LoneSurrogate(ValueError):
    """A str holds half of a UTF-16 pair: it cannot be stored, written as UTF-8, or shown."""

    def __init__(self, what: str, char: str, index: int) -> None:
        super().__init__(f"{what} contains a lone surrogate U+{ord(char):04X} at character {index} "
                         "(not valid Unicode)")
        self.index = index


def check_unicode(value: str, what: str, start: int = 0) -> None:
    """Raise LoneSurrogate when ``value`` holds U+D800..U+DFFF (from a JSON "\\ud800", a BIO token
    <U+D800>, or a surrogateescape file name); ``start`` is added to the reported position."""
    found = _SURROGATE.search(value)
    if found:
        raise LoneSurrogate(what, found.group(), start + found.start())


# --- reading ----------------------------------------------------------------------------------------

def split_lines(text: str) -> list[str]:
    """Lines as every line-based format here counts them: split on "\\n" only, one "\\r" before it
    dropped. Not str.splitlines(): it also breaks at U+2028, U+0085, \\x1c… which may stand
    inside a record."""
    return [line.removesuffix("\r") for line in text.split("\n")]


def parse_json(text: str, path: Path, line: int | None = None) -> Any:  # any JSON value
    """json.loads, with every way it can fail as one FormatError (``line``: where ``text`` starts)."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as e:
        at = e.lineno if line is None else line
        raise FormatError(path, at, f"invalid JSON: {e.msg} (column {e.colno})") from None
    except RecursionError:
        raise FormatError(path, line, "invalid JSON: nested too deeply") from None
    except ValueError as e:  # e.g. an integer of more than 4300 digits
        raise FormatError(path, line, f"invalid JSON: {e}") from None


def read_json_lines(path: Path, encoding: str, convert: Callable[[dict, int, int], Record],
                    on_progress: Progress | None = None) -> list[Record]:
    """One JSON object with a "text" string per line → ``convert(obj, line_number, index)``.
    Any problem becomes a FormatError naming the file and the line."""
    lines = split_lines(read_text_file(path, encoding))
    records: list[Record] = []
    for i, line in enumerate(lines, 1):
        if not line.strip():
            continue
        obj = parse_json(line, path, i)
        try:
            _check_record_object(obj)
            records.append(convert(obj, i, len(records)))
        except FormatError:
            raise
        except KeyError as e:
            raise FormatError(path, i, f"missing field {e}") from None
        except (ValueError, TypeError, MadpgError) as e:
            raise FormatError(path, i, str(e)) from None
        if on_progress:
            on_progress(i, len(lines))
    return records


def _check_record_object(obj: object) -> None:
    if not isinstance(obj, dict):
        raise TypeError(f'expected an object with a "text" string, not {describe(obj)}')
    if "text" not in obj:
        raise ValueError('missing field "text"')
    if not isinstance(obj["text"], str):
        raise TypeError(f'"text" must be a string, not {describe(obj["text"])}')
    check_unicode(obj["text"], "text")


def read_text_file(path: Path, encoding: str = "utf-8") -> str:
    """The file's exact text. A BOM is dropped; line ends are kept as they are (offsets count them)."""
    try:
        data = Path(path).read_bytes()
    except OSError as e:
        raise MadpgError(f"{path}: cannot read it: {e.strerror or e}") from None
    enc = "utf-8-sig" if encoding.lower().replace("_", "-") in ("utf-8", "utf8") else encoding
    try:
        return data.decode(enc)
    except LookupError:  # also "base64", "rot13": codecs that are not text encodings
        raise MadpgError(f"unknown text encoding {encoding!r}; use e.g. utf-8 or gb18030") from None
    except UnicodeDecodeError as e:
        line = data[: e.start].count(b"\n") + 1
        raise FormatError(path, line, f"not valid {encoding} (byte 0x{data[e.start]:02x} at offset {e.start}); "
                                      "save it as UTF-8 or pass --encoding (e.g. gb18030)") from None
    except UnicodeError as e:  # codecs such as idna raise the base class, without a position
        raise FormatError(path, None, f"cannot be decoded as {encoding}: {e}") from None


def load_type_map(path: Path | str) -> dict[str, str]:
    """A type mapping file: JSON object {"source type": "target type"} or lines ``source<TAB>target``
    (also ``source=target``). An empty target drops the type."""
    path = Path(path)
    text = read_text_file(path)
    if path.suffix.lower() == ".json":
        data = parse_json(text, path)
        if not isinstance(data, dict) or not all(isinstance(k, str) and isinstance(v, (str, type(None)))
                                                 for k, v in data.items()):
            raise FormatError(path, None, 'expected a JSON object {"source type": "target type"}')
        mapping = {k: v or "" for k, v in data.items()}
        _check_map_unicode(path, None, mapping.items())
        return mapping
    mapping: dict[str, str] = {}
    for i, line in enumerate(split_lines(text), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        sep = "\t" if "\t" in line else "="
        if sep not in line:
            raise FormatError(path, i, "expected 'source<TAB>target' or 'source=target'")
        src, dst = (x.strip() for x in line.split(sep, 1))
        _check_map_unicode(path, i, [(src, dst)])
        mapping[src] = dst
    return mapping


def _check_map_unicode(path: Path, line: int | None, pairs: Iterable[tuple[str, str]]) -> None:
    try:
        for src, dst in pairs:
            check_unicode(src, "source type")
            check_unicode(dst, "target type")
    except LoneSurrogate as e:
        raise FormatError(path, line, str(e)) from None


def map_spans(spans: Iterable[Span], type_map: dict[str, str] | None, report: ImportReport) -> list[Span]:
    """Rename types through ``type_map``; types it does not name (or maps to "") are dropped and counted."""
    if type_map is None:
        return list(spans)
    out = []
    for sp in spans:
        target = type_map.get(sp.label, "")
        if target:
            out.append(replace(sp, label=target))  # keeps everything else: origin, assertion, layer
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
