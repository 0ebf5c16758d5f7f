"""Pre-labelling in the child process, through the window: the model's load shown, then a
determinate count of records; the outcome stays in the status bar; the model stays loaded between
runs; Cancel keeps the records finished; a killed child is reported and the next run starts
another; a warm-parse (after an import) fills the parse cache. The model is an untrained tiny one:
what it predicts does not matter here, the process around it does."""

from __future__ import annotations

import os
import re
import signal
from pathlib import Path

import pytest
from sqlalchemy import func, select

from madpg_core import registry
from madpg_core.domain import LabelSchema, Record, RecordStatus, Span
from madpg_core.prelabel import unreviewed_ids
from madpg_core.storage import repo
from madpg_core.storage.orm import ParseRow
from madpg_core.storage.project import Project
from madpg_gui import settings
from madpg_gui.main_window import MainWindow
from madpg_gui.prelabel_process import PrelabelProcess, progress_text, summary_text


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An untrained small MADPG with the dependency GCN (its parses go through the project's cache)."""
    from madpg_core.checkpoint import save
    from madpg_core.model.build import new_model
    from madpg_core.model.config import build_config, tiny

    text = "患者1天前出现胸闷、气促，既往高血压病史。"
    cfg = tiny(build_config("madpg-lite"), image_encoder="none", use_gcn=True, hidden_size=32, num_heads=2,
               lstm_hidden=16, min_bigram_count=1)
    records = [Record(text, (Span(8, 10, "Symptom"), Span(16, 19, "Disease")))]
    return save(new_model(cfg, records), tmp_path_factory.mktemp("bundled") / "default", version="v0")


@pytest.fixture
def bundled(tiny_model: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    # The window registers it as v0 when the project opens; the child then finds it registered.
    monkeypatch.setattr(registry, "default_model_dir", lambda: tiny_model)
    return tiny_model


def _window(qtbot, folder: Path) -> MainWindow:  # noqa: ANN001
    w = MainWindow(settings.Preferences(language="en", device="cpu"))
    qtbot.addWidget(w)
    w.show()
    assert w.open_project(folder)
    return w


def _records(folder: Path) -> list[Record]:
    with Project.open(folder) as p, p.reading() as s:
        return list(repo.iter_records(s))


def _wait_prelabel(qtbot, w: MainWindow) -> None:  # noqa: ANN001
    qtbot.waitUntil(lambda: not w.model_loop.is_prelabelling(), timeout=60_000)


def _outcome(w: MainWindow) -> str:
    """What the status bar says about the last pre-label: it stays until the next job."""
    bar = w.model_loop.prelabel_bar
    assert bar.isVisible() and not bar.bar.isVisible() and not bar.cancel.isVisible()
    return bar.label.text()


def test_the_lines_it_shows() -> None:
    assert progress_text(1234, 2400) == "1,234 / 2,400 records" and progress_text(0, 1) == "0 / 1 record"
    assert summary_text({"records": 240, "spans": 1532, "skipped_reviewed": 3}) == \
        "Pre-labelled 240 records: 1,532 model entities; 3 reviewed records left as they were"
    assert summary_text({"records": 1, "spans": 1, "skipped_reviewed": 0}) == "Pre-labelled 1 record: 1 model entity"


def test_a_child_that_cannot_start_or_open_the_project_is_reported(qtbot, tmp_path: Path) -> None:  # noqa: ANN001
    proc = PrelabelProcess()
    with qtbot.waitSignal(proc.died, timeout=30_000) as died:
        proc.ensure(tmp_path, None)  # a folder without a project: the child says why, then ends
    assert died.args[0].startswith("the pre-labelling process stopped unexpectedly (exit code 1): ")
    assert "is not a MADPG project" in died.args[0] and not proc.is_running()
    proc.program = str(tmp_path / "no-such-python")
    with qtbot.waitSignal(proc.died, timeout=10_000) as died:
        proc.ensure(tmp_path, None)
    assert "cannot start the pre-labelling process" in died.args[0] and not proc.is_running()


def _many(folder: Path, n: int) -> Path:
    """A project of ``n`` new records without spans, each text its own (no parse is shared)."""
    with Project.create(folder, LabelSchema.default()) as p, p.transaction() as s:
        for i in range(n):
            repo.add_record(s, Record(f"患者{i}天前出现胸闷、气促，既往高血压病史。", name=f"r{i}"))
    return folder


def _bar(loop: object) -> tuple[str, int, int]:
    bar = loop.prelabel_bar
    return bar.label.text(), bar.bar.maximum(), bar.bar.value()


def _statuses(folder: Path) -> list[RecordStatus]:
    return [r.status for r in _records(folder)]


def test_prelabel_shows_the_load_counts_records_and_keeps_its_outcome_and_its_model(
        qtbot, tmp_path: Path, bundled: Path) -> None:  # noqa: ANN001
    w = _window(qtbot, _many(tmp_path / "p", 40))
    loop = w.model_loop
    seen: list[tuple[str, int, int]] = []  # the indicator after the loop handled each event
    loads: list[dict] = []
    loop.service.loading.connect(lambda ev: (loads.append(ev), seen.append(_bar(loop))))
    loop.service.progress.connect(lambda ev: seen.append(_bar(loop)))
    loop.prelabel_unreviewed()  # before the window's own preload: this run waits for the model
    _wait_prelabel(qtbot, w)
    assert seen[0][:2] == ("Loading model v0…", 0)  # a busy bar while the model loads
    assert [s for s in seen[1:] if s[1]] == [("0 / 40 records", 40, 0), ("16 / 40 records", 40, 16),
                                             ("32 / 40 records", 40, 32), ("40 / 40 records", 40, 40)]
    outcome = _outcome(w)
    assert outcome.startswith("Pre-labelled 40 records: ") and "model entit" in outcome
    assert _statuses(w.project.folder).count(RecordStatus.PRELABELLED) == 40

    w.message("Saved")  # another message comes and goes: the outcome is still there after it
    w.statusBar().clearMessage()
    qtbot.wait(50)
    assert _outcome(w) == outcome

    pid = loop.service.proc.processId()
    loop.prelabel([w.records.ids()[0]])
    assert loop.prelabel_bar.bar.isVisible() and loop.prelabel_bar.label.text() != outcome  # a new job: new line
    _wait_prelabel(qtbot, w)
    assert _outcome(w).startswith("Pre-labelled 1 record: ")
    assert len(loads) == 1 and loop.service.proc.processId() == pid  # the same child, the model kept loaded
    w.close()


def test_cancel_prelabel_keeps_finished_records(qtbot, tmp_path: Path, bundled: Path) -> None:  # noqa: ANN001
    folder = _many(tmp_path / "many", 64)
    w = _window(qtbot, folder)
    loop = w.model_loop
    stopping: list[str] = []

    def cancel_after_the_first_batch(ev: dict) -> None:
        if ev["done"] >= 16 and not stopping:
            loop.prelabel_bar.cancel.click()
            stopping.append(loop.prelabel_bar.label.text())

    loop.service.progress.connect(cancel_after_the_first_batch)
    loop.prelabel_unreviewed()
    _wait_prelabel(qtbot, w)
    assert stopping == ["Stopping…"]
    outcome = _outcome(w)
    match = re.fullmatch(r"Pre-labelling cancelled after (\d+) of 64 records; those stay labelled\.", outcome)
    assert match, outcome
    # the child stops before its next forward pass: the records saved by then stay, and the count says so
    kept = int(match[1])
    assert 16 <= kept < 64 and _statuses(folder).count(RecordStatus.PRELABELLED) == kept
    w.close()


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
def test_a_killed_prelabel_process_is_reported_and_the_next_run_starts_another(
        qtbot, tmp_path: Path, bundled: Path) -> None:  # noqa: ANN001
    folder = _many(tmp_path / "k", 64)
    w = _window(qtbot, folder)
    loop = w.model_loop
    killed: list[int] = []

    def kill_after_the_first_batch(ev: dict) -> None:
        if ev["done"] >= 16 and not killed:
            killed.append(loop.service.proc.processId())
            os.kill(killed[0], signal.SIGKILL)

    loop.service.progress.connect(kill_after_the_first_batch)
    loop.prelabel_unreviewed()
    _wait_prelabel(qtbot, w)
    outcome = _outcome(w)
    assert outcome.startswith("Pre-labelling failed: the pre-labelling process stopped unexpectedly "
                              "(it was killed or crashed)"), outcome
    assert outcome.endswith("the next run starts the process again.") and loop.act_unreviewed.isEnabled()
    assert 16 <= _statuses(folder).count(RecordStatus.PRELABELLED) < 64  # the batches saved before stay

    loop.service.progress.disconnect(kill_after_the_first_batch)
    loop.prelabel_unreviewed()
    _wait_prelabel(qtbot, w)
    assert _outcome(w).startswith("Pre-labelled 64 records: ")
    assert loop.service.proc.processId() != killed[0]
    assert set(_statuses(folder)) == {RecordStatus.PRELABELLED}
    w.close()


def test_warm_parse_fills_the_parse_cache_so_a_prelabel_parses_nothing(
        qtbot, tmp_path: Path, bundled: Path) -> None:  # noqa: ANN001
    w = _window(qtbot, _many(tmp_path / "w", 5))
    loop = w.model_loop

    def cached() -> int:  # parses in the project's cache
        with w.project.reading() as s:
            return s.scalar(select(func.count()).select_from(ParseRow))

    before = cached()
    ends: list[dict] = []
    loop.service.done.connect(ends.append)
    loop.warm_parse(None)  # what the window calls after an import
    qtbot.waitUntil(lambda: any(ev["kind"] == "warm_parse" for ev in ends), timeout=60_000)
    warm = ends[-1]
    assert warm["records"] == len(unreviewed_ids(w.project)) == 5 and warm["parsed"] >= 5
    assert cached() == before + warm["parsed"]
    assert not loop.prelabel_bar.isVisible()  # a background job: the status bar says nothing
    loop.prelabel_unreviewed()
    _wait_prelabel(qtbot, w)
    assert ends[-1]["kind"] == "prelabel" and ends[-1]["records"] == 5
    assert ends[-1]["parsed"] == 0  # every parse came from the cache
    w.close()
