"""GUI tests drive the real widgets offscreen (MADPG_HEADED=1 shows them on a display).
The top-level conftest seals MADPG_HOME, so QSettings (an .ini under it) and preferences are per test."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

if not os.environ.get("MADPG_HEADED"):
    os.environ["QT_QPA_PLATFORM"] = "offscreen"

from madpg_core.domain import LabelSchema, Record, RecordStatus, Span  # noqa: E402
from madpg_core.storage import repo  # noqa: E402
from madpg_core.storage.project import Project  # noqa: E402

GUI_DIR = Path(__file__).parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if GUI_DIR in Path(item.fspath).parents:
            item.add_marker(pytest.mark.gui)


TEXTS = [
    "患者男，68岁，反复胸闷、气促3年。既往高血压病史。",
    "咳嗽、咳痰2周，伴低热。右下肺野见片状模糊影。",
    "外伤后右小腿肿痛。诊断：右胫骨骨折。",
]


@pytest.fixture
def project_dir(tmp_path: Path) -> Path:
    """A project with three small records; the first has one span (胸闷, Symptom)."""
    folder = tmp_path / "proj"
    p = Project.create(folder, LabelSchema.default())
    with p.transaction() as s:
        for i, t in enumerate(TEXTS):
            spans = (Span(t.index("胸闷"), t.index("胸闷") + 2, "Symptom"),) if i == 0 else ()
            repo.add_record(s, Record(t, spans, name=f"r{i + 1}"))
    p.close()
    return folder


@pytest.fixture
def window(qtbot, project_dir: Path) -> Iterator:  # noqa: ANN001
    from madpg_gui import settings
    from madpg_gui.main_window import MainWindow

    w = MainWindow(settings.Preferences(language="en"))
    qtbot.addWidget(w)
    w.show()
    assert w.open_project(project_dir)
    yield w
    if w.project is not None:
        w.close()


def db_state(folder: Path) -> list[tuple[str, RecordStatus, list[tuple[int, int, str]]]]:
    """What is on disk, read through a fresh connection."""
    with Project.open(folder) as p, p.reading() as s:
        out = []
        for r in repo.iter_records(s):
            out.append((r.name, r.status, [(sp.start, sp.end, sp.label) for sp in r.spans]))
        return out


@pytest.fixture
def read_db():  # noqa: ANN201 - test modules cannot import this conftest by name
    return db_state
