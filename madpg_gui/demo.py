"""The demo project: a few hand-written records with the sample images (resources/demo/README.md)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from madpg_core.domain import LabelSchema, Record, RecordStatus, Span
from madpg_core.errors import MadpgError
from madpg_core.paths import RESOURCES, data_dir
from madpg_core.storage import repo
from madpg_core.storage.project import DB_NAME, Project

DEMO_DATA = RESOURCES / "demo"


def demo_records(source: Path = DEMO_DATA) -> list[tuple[Record, list[Path]]]:
    """The demo records with the image files they show; every span is checked against its text."""
    items = json.loads((source / "records.json").read_text(encoding="utf-8"))
    out = []
    for it in items:
        spans = []
        for sp in it["spans"]:
            if it["text"][sp["start"]:sp["end"]] != sp["text"]:
                raise MadpgError(f"demo record {it['name']}: span {sp} does not match its text")
            spans.append(Span(sp["start"], sp["end"], sp["label"]))
        rec = Record(it["text"], tuple(spans), name=it["name"], status=RecordStatus(it["status"]))
        out.append((rec, [source / "images" / name for name in it["images"]]))
    return out


def create_demo_project(folder: Path, source: Path = DEMO_DATA) -> Project:
    tmp = folder.with_name(folder.name + ".creating")
    shutil.rmtree(tmp, ignore_errors=True)
    project = Project.create(tmp, LabelSchema.default(), name="MADPG demo")
    with project.transaction() as s:
        for rec, images in demo_records(source):
            repo.add_record(s, rec, [project.store_image(p) for p in images])
    project.close()
    tmp.rename(folder)  # a half-built demo never sits under the final name
    return Project.open(folder)


def ensure_demo_project() -> Path:
    """The demo project folder, created on first use."""
    folder = data_dir() / "demo"
    if not (folder / DB_NAME).exists():
        folder.parent.mkdir(parents=True, exist_ok=True)
        create_demo_project(folder).close()
    return folder
