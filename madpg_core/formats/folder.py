"""A folder of pairs: ``NAME.txt`` with its images ``NAME.png|jpg|dcm``, and further images of the
same record as ``NAME_2.png``, ``NAME-3.dcm``… or inside a subfolder ``NAME/``. Texts are taken as
they are (no spans); the records start as new."""

from __future__ import annotations

from pathlib import Path

from madpg_core.domain import ImportReport, Record
from madpg_core.errors import MadpgError
from madpg_core.formats.common import Progress, read_text_file
from madpg_core.storage.project import IMAGE_SUFFIXES


def read(path: Path, report: ImportReport, encoding: str = "utf-8",
         on_progress: Progress | None = None) -> list[Record]:
    if not path.is_dir():
        raise MadpgError(f"{path} is not a folder (format 'folder' reads NAME.txt + NAME.png pairs)")
    texts = sorted(p for p in path.iterdir() if p.suffix.lower() == ".txt" and p.is_file())
    if not texts:
        raise MadpgError(f"{path}: no .txt files found")
    images = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)
    owner = _assign_images(path, [t.stem for t in texts], images)
    records = []
    for i, t in enumerate(texts, 1):
        text = read_text_file(t, encoding)
        records.append(Record(text, (), tuple(str(p) for p in owner.get(t.stem, [])), t.stem))
        if on_progress:
            on_progress(i, len(texts))
    for img in images:
        if not any(img in v for v in owner.values()):
            report.warnings.append(f"{img}: no text file of the same name; image not imported")
    return records


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
