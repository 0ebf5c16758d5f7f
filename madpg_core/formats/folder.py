"""A folder of pairs: ``NAME.txt`` with its images ``NAME.png|jpg|dcm``, and further images of the
same record as ``NAME_2.png``, ``NAME-3.dcm``… or inside a subfolder ``NAME/``. Texts are taken as
they are (no spans); the records start as new.

Symbolic links are followed only where the image reference policy allows (by default: inside the
folder); a link leading outside is an error, not silently skipped or silently followed."""

from __future__ import annotations

import os
from pathlib import Path

from madpg_core.domain import ImportReport, Record
from madpg_core.errors import FormatError, MadpgError
from madpg_core.formats.common import ImageRefs, LoneSurrogate, Progress, check_unicode, read_text_file
from madpg_core.storage.project import IMAGE_SUFFIXES


def read(path: Path, report: ImportReport, encoding: str = "utf-8", on_progress: Progress | None = None, *,
         images: ImageRefs | None = None) -> list[Record]:
    refs = images or ImageRefs()
    if not path.is_dir():
        raise MadpgError(f"{path} is not a folder (format 'folder' reads NAME.txt + NAME.png pairs)")
    texts = sorted(p for p in _entries(path) if p.suffix.lower() == ".txt" and p.is_file())
    if not texts:
        raise MadpgError(f"{path}: no .txt files found")
    for t in texts:
        _check_entry(path, t, refs, "text file")
    found = _image_files(path, refs, report)
    owner = _assign_images(path, [t.stem for t in texts], found)
    records = []
    for i, t in enumerate(texts, 1):
        records.append(Record(_text(t, encoding), (), tuple(str(p) for p in owner.get(t.stem, [])), t.stem))
        if on_progress:
            on_progress(i, len(texts))
    for img in found:
        if not any(img in v for v in owner.values()):
            report.warnings.append(f"{img}: no text file of the same name; image not imported")
    return records


def _text(file: Path, encoding: str) -> str:
    text = read_text_file(file, encoding)
    try:
        check_unicode(text, "text")
    except LoneSurrogate as e:  # only an odd --encoding (unicode_escape…) can produce one
        raise FormatError(file, text.count("\n", 0, e.index) + 1, str(e)) from None
    return text


def _check_entry(folder: Path, entry: Path, refs: ImageRefs, what: str) -> None:
    """A name that is not valid Unicode (a Latin-1 file name on Linux arrives with lone surrogates)
    cannot be stored; a symlink must stay inside the allowed root."""
    rel = entry.relative_to(folder)
    try:
        check_unicode(str(rel), f"{what} name")
    except LoneSurrogate as e:
        raise FormatError(folder, None, f"{e}; rename the file") from None
    if entry.is_symlink():
        refs.check_inside(entry, rel, folder, None, base=folder, what=what)


def _entries(d: Path) -> list[Path]:
    try:
        return sorted(d.iterdir())
    except OSError as e:  # an unreadable subfolder: say which, rather than a traceback
        raise MadpgError(f"{d}: cannot read this folder: {e.strerror or e}") from None


def _image_files(folder: Path, refs: ImageRefs, report: ImportReport) -> list[Path]:
    """Every image under ``folder``, sorted. Path.rglob does not enter linked folders (Python 3.11,
    3.12), which would drop their images silently; this walk enters those the policy allows and
    refuses the others."""
    found: list[Path] = []

    def walk(d: Path, above: frozenset[str]) -> None:
        for entry in _entries(d):
            if entry.is_dir():
                if entry.is_symlink():
                    _check_entry(folder, entry, refs, "folder")
                real = os.path.realpath(entry)
                if real in above:  # a link back to a folder we are inside of: a loop
                    report.warnings.append(f"{entry}: link to a folder above it; not followed")
                else:
                    walk(entry, above | {real})
            elif entry.suffix.lower() in IMAGE_SUFFIXES:
                _check_entry(folder, entry, refs, "image")
                if entry.is_file():
                    found.append(entry)
                else:
                    report.warnings.append(f"{entry}: broken link or not a file; image not imported")

    walk(folder, frozenset({os.path.realpath(folder)}))
    return sorted(found)


def _assign_images(root: Path, stems: list[str], images: list[Path]) -> dict[str, list[Path]]:
    """Each image goes to the longest text stem that names it, so case1_2.png belongs to case1_2.txt
    when that exists and to case1.txt otherwise."""
    by_len = sorted(stems, key=len, reverse=True)
    owner: dict[str, list[Path]] = {}
    for img in images:
        rel = img.relative_to(root)
        key = rel.parts[0] if len(rel.parts) > 1 else img.stem
        for stem in by_len:
            if key == stem or (len(rel.parts) == 1 and key.startswith(stem) and key[len(stem)] in "_-. "):
                owner.setdefault(stem, []).append(img)
                break
    return owner
