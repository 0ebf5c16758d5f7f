from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from pathlib import Path

import pytest

from madpg_core import registry
from madpg_core.domain import Record, RecordStatus, Span, SpanSource
from madpg_core.errors import Cancelled, MadpgError
from madpg_core.prelabel import prelabel, unreviewed_ids
from madpg_core.storage import repo
from madpg_core.storage.project import Project


class KeywordPredictor:
    """Labels every 发热 as a Symptom, with a confidence that depends on the record."""

    def __init__(self, stop_after: int | None = None, stop: threading.Event | None = None) -> None:
        self.calls = 0
        self.stop_after, self.stop = stop_after, stop

    def predict(self, records: Sequence[Record]) -> list[list[Span]]:
        self.calls += 1
        if self.stop_after is not None and self.calls >= self.stop_after:
            self.stop.set()
        out = []
        for r in records:
            i = r.text.find("发热")
            out.append([Span(i, i + 2, "Symptom", confidence=0.5 + (r.id or 0) / 1000)] if i >= 0 else [])
        return out


@pytest.fixture
def project(tmp_path: Path) -> Project:
    with Project.create(tmp_path / "p") as p:
        with p.transaction() as s:
            repo.add_record(s, Record("发热三天", (Span(0, 2, "Disease"),)))  # human span wins
            repo.add_record(s, Record("患者发热", status=RecordStatus.REVIEWED))  # never touched
            for i in range(40):
                repo.add_record(s, Record(f"第{i}例发热"))
        yield p


def test_prelabel_marks_origin_and_respects_humans(project: Project) -> None:
    ids = unreviewed_ids(project)
    assert len(ids) == 41
    report = prelabel(project, ids, KeywordPredictor(), "v0")
    assert report.records == 41 and report.spans == 40
    with project.reading() as s:
        first, reviewed, other = (repo.get_record(s, i) for i in (1, 2, 3))
    assert [(sp.label, sp.source) for sp in first.spans] == [("Disease", SpanSource.ANNOTATOR)]
    assert reviewed.spans == () and reviewed.status == RecordStatus.REVIEWED
    assert other.status == RecordStatus.PRELABELLED
    assert other.spans[0].source == SpanSource.MODEL and other.spans[0].model_version == "v0"
    assert 0.5 < other.spans[0].confidence < 1


def test_prelabel_again_replaces_only_model_spans(project: Project) -> None:
    prelabel(project, [3], KeywordPredictor(), "v0")
    prelabel(project, [3], KeywordPredictor(), "v1")
    with project.reading() as s:
        assert [sp.model_version for sp in repo.get_record(s, 3).spans] == ["v1"]


def test_cancel_keeps_finished_batches(project: Project) -> None:
    stop = threading.Event()
    with pytest.raises(Cancelled):
        prelabel(project, unreviewed_ids(project), KeywordPredictor(stop_after=1, stop=stop), "v0", stop=stop)
    with project.reading() as s:
        st = repo.stats(s).records_by_status
    assert 0 < st["pre-labelled"] < 41


def _fake_checkpoint(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "config.json").write_text("{}", encoding="utf-8")
    return folder


def test_versions_register_activate_and_roll_back(project: Project, monkeypatch: pytest.MonkeyPatch,
                                                  tmp_path: Path) -> None:
    bundled = _fake_checkpoint(tmp_path / "bundled")
    (bundled / "config.json").write_text(json.dumps({"config": {"name": "madpg-lite"}, "meta": {
        "train_size": 914, "metrics": {"micro": {"f1": 0.8}}}}), encoding="utf-8")
    monkeypatch.setattr(registry, "default_model_dir", lambda: bundled)
    active, path = registry.active_model_dir(project)
    assert (active.version, active.preset, path) == (0, "madpg-lite", bundled)
    staged = _fake_checkpoint(registry.staging_dir(project))
    v1 = registry.register(project, staged, "madpg-lite", 12, {"micro": {"f1": 0.9}})
    assert v1.version == 1 and v1.active and (project.folder / "models" / "v1" / "config.json").is_file()
    assert not staged.exists()
    registry.activate(project, 0)
    assert [v.active for v in registry.versions(project)] == [True, False]
    with pytest.raises(MadpgError, match="does not exist"):
        registry.activate(project, 7)


def test_no_model_is_a_clear_error(project: Project, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(registry, "default_model_dir", lambda: tmp_path / "nothing")
    with pytest.raises(MadpgError, match="no active model"):
        registry.active_model_dir(project)
