from __future__ import annotations

import threading
from pathlib import Path

import pytest

from madpg_core import registry
from madpg_core.domain import LabelSchema, Record, RecordStatus, Span
from madpg_core.errors import Cancelled, MadpgError
from madpg_core.retrain import TrainRequest, split, train_from_project
from madpg_core.storage import repo
from madpg_core.storage.project import Project

TINY = TrainRequest(preset="madpg-tiny", epochs=1, device="cpu")


@pytest.fixture
def project(tmp_path: Path) -> Project:
    with Project.create(tmp_path / "p", LabelSchema.from_names(["Symptom", "Organ"])) as p:
        with p.transaction() as s:
            for i in range(8):
                text = f"患者{i}天前出现胸痛，左肺可闻及啰音。"
                a = text.index("胸痛")
                b = text.index("左肺")
                repo.add_record(s, Record(text, (Span(a, a + 2, "Symptom"), Span(b, b + 2, "Organ")),
                                          status=RecordStatus.REVIEWED))
            repo.add_record(s, Record("未审核的记录"))
        yield p


def _runs(project: Project) -> list[dict]:
    with project.reading() as s:
        return repo.list_training_runs(s)


def test_split_is_seeded_and_never_empty() -> None:
    recs = [Record(str(i)) for i in range(10)]
    train, dev = split(recs, 0.2, 1)
    assert (len(train), len(dev)) == (8, 2)
    assert split(recs, 0.2, 1) == (train, dev)
    assert [len(x) for x in split(recs[:2], 0.9, 1)] == [1, 1]


def test_a_finished_run_becomes_the_active_version(project: Project, monkeypatch: pytest.MonkeyPatch,
                                                    tmp_path: Path) -> None:
    monkeypatch.setattr(registry, "default_model_dir", lambda: tmp_path / "none")
    events = []
    version = train_from_project(project, TINY, on_progress=events.append)
    assert version.version == 1 and version.active and version.train_size == 7
    assert set(version.metrics["micro"]) >= {"precision", "recall", "f1"} and version.metrics["dev_size"] == 1
    assert (registry.resolve(project, version) / "config.json").is_file()
    assert events and _runs(project)[-1]["status"] == "finished"
    assert not list((project.folder / "models").glob(".staging-*"))


def test_cancel_and_failure_leave_the_active_model(project: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    stop = threading.Event()
    stop.set()
    with pytest.raises(Cancelled):
        train_from_project(project, TINY, stop=stop)
    assert _runs(project)[-1]["status"] == "cancelled"

    def broken(*a: object, **k: object) -> None:
        raise RuntimeError("out of memory")

    monkeypatch.setattr("madpg_core.train.loop.fit", broken)
    with pytest.raises(MadpgError, match="training failed: RuntimeError: out of memory"):
        train_from_project(project, TINY)
    assert _runs(project)[-1]["status"] == "failed" and "out of memory" in _runs(project)[-1]["message"]
    with project.reading() as s:
        assert repo.list_model_versions(s) == []
    assert not list((project.folder / "models").glob(".staging-*"))


def test_too_few_reviewed_records(tmp_path: Path) -> None:
    with Project.create(tmp_path / "q") as p, pytest.raises(MadpgError, match="at least 2 reviewed"):
        train_from_project(p, TINY)
