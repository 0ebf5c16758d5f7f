"""The pre-label child's protocol, without Qt: JSON commands in, JSON events out, the model loaded
once, a warm-parse that fills the parse cache and yields to a pre-label, cancel and errors as
events. Most tests run the service loop in a thread on in-memory lines (the same loop the child
runs); one starts the real child process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import torch
from sqlalchemy import func, select

from madpg_core import registry
from madpg_core.checkpoint import save
from madpg_core.domain import LabelSchema, Record, RecordStatus, Span
from madpg_core.inference.predictor import Predictor
from madpg_core.model.build import new_model
from madpg_core.model.config import build_config, tiny
from madpg_core.prelabel import BATCH
from madpg_core.storage import repo
from madpg_core.storage.orm import ParseRow
from madpg_core.storage.project import Project
from tests.service_wire import TIMEOUT, Wire, end_of, serving

torch.set_num_threads(1)  # tiny tensors: fastest so, and the machine is shared

REPO = Path(__file__).resolve().parents[2]
TYPES = ("Symptom", "Disease")


def _text(i: int) -> str:
    return f"患者{i}天前出现胸闷、气促，既往高血压病史。"


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An untrained tiny model with the dependency GCN (its parses go through the project's cache):
    what it predicts does not matter here, what it costs and writes does."""
    records = [Record(_text(i), (Span(8, 10, "Symptom"), Span(16, 19, "Disease"))) for i in range(4)]
    cfg = tiny(build_config("madpg-lite"), image_encoder="none", use_gcn=True, hidden_size=32, num_heads=2,
               lstm_hidden=16, min_bigram_count=1, entity_types=TYPES)
    return save(new_model(cfg, records), tmp_path_factory.mktemp("model") / "v0", version="v0")


@pytest.fixture
def project(tmp_path: Path, model_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Project]:
    monkeypatch.setattr(registry, "default_model_dir", lambda: model_dir)  # the stand-in for the bundled model
    with Project.create(tmp_path / "p", LabelSchema.from_names(TYPES)) as p:
        with p.transaction() as s:
            for i in range(40):
                repo.add_record(s, Record(_text(i), name=f"r{i}"))
            repo.add_record(s, Record("患者发热", name="done", status=RecordStatus.REVIEWED))
        yield p


@pytest.fixture
def wire(project: Project) -> Iterator[Wire]:
    with serving(project) as w:
        yield w


def _wait(condition: Callable[[], bool]) -> None:
    deadline = time.monotonic() + TIMEOUT
    while not condition():
        assert time.monotonic() < deadline
        time.sleep(0.01)


def _statuses(project: Project) -> list[RecordStatus]:
    with project.reading() as s:
        return [r.status for r in repo.iter_records(s)]


def _parse_rows(project: Project) -> int:
    with project.reading() as s:
        return s.scalar(select(func.count()).select_from(ParseRow))


def test_the_model_loads_once_and_serves_every_job(project: Project, wire: Wire) -> None:
    wire.send("load")
    wire.send("prelabel", job=1, ids=None)
    done = wire.wait_for(end_of(1))
    assert done["event"] == "done" and done["records"] == 40 and done["model_version"] == "v0"
    assert done["skipped_reviewed"] == 0  # None means the records not reviewed
    progress = [ev for ev in wire.seen if ev["event"] == "progress"]
    assert [ev["done"] for ev in progress] == [0, 16, 32, 40] and {ev["total"] for ev in progress} == {40}
    assert sorted(i for ev in progress for i in ev["ids"]) == list(range(1, 41))  # each record once, as it is saved
    assert _statuses(project).count(RecordStatus.PRELABELLED) == 40

    reviewed = 41
    wire.send("prelabel", job=2, ids=[3, reviewed])
    again = wire.wait_for(end_of(2))
    assert again["event"] == "done" and again["records"] == 1 and again["skipped_reviewed"] == 1
    assert again["parsed"] == 0  # record 3's parses were cached by the first run
    loads = [ev for ev in wire.seen if ev["event"] in ("loading", "loaded")]
    assert [(ev["event"], ev["version"]) for ev in loads] == [("loading", 0), ("loaded", 0)]  # kept loaded


def test_warm_parse_fills_the_parse_cache_and_yields_to_a_prelabel(project: Project, wire: Wire,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    real = Predictor.parse_ahead
    calls: list[int] = []

    def held(self: Predictor, items: list[str], *, stop: threading.Event | None = None) -> int:
        calls.append(len(items))
        if len(calls) == 1:  # the first batch waits until a pre-label stops it (no race with the clock)
            assert stop is not None and stop.wait(TIMEOUT)
        return real(self, items, stop=stop)

    monkeypatch.setattr(Predictor, "parse_ahead", held)
    assert _parse_rows(project) == 0
    wire.send("warm_parse", job=1, ids=None)
    _wait(lambda: bool(calls))
    wire.send("prelabel", job=2, ids=[40])  # goes first; the warm-parse resumes after it
    ends = [wire.wait_for(lambda ev: ev["event"] in ("done", "cancelled", "error")) for _ in range(2)]
    assert [(ev["job"], ev["event"]) for ev in ends] == [(2, "done"), (1, "done")]
    warm = ends[1]
    assert warm["records"] == 40 and warm["parsed"] == 39 and warm["cached"] == 1  # record 40: the pre-label's
    assert _parse_rows(project) == 40  # one piece a record, every one cached
    warm_ids = [i for ev in wire.seen if ev.get("job") == 1 and ev["event"] == "progress" for i in ev["ids"]]
    assert sorted(warm_ids) == list(range(1, 41))  # the stopped batch again, then the rest, each once
    wire.send("prelabel", job=3, ids=None)
    assert wire.wait_for(end_of(3))["parsed"] == 0  # nothing left to parse


def test_cancel_stops_the_running_job_keeps_its_records_and_drops_a_queued_one(
        project: Project, wire: Wire, monkeypatch: pytest.MonkeyPatch) -> None:
    real = Predictor.predict_with_confidence
    calls: list[int] = []

    def held(self: Predictor, items: list, **kw: object) -> object:
        calls.append(len(items))
        if len(calls) == 2:  # the second batch of records waits for the cancel
            assert kw["stop"].wait(TIMEOUT)
        return real(self, items, **kw)

    monkeypatch.setattr(Predictor, "predict_with_confidence", held)
    wire.send("prelabel", job=1, ids=None)
    wire.send("prelabel", job=2, ids=[1])
    wire.wait_for(lambda ev: ev.get("job") == 1 and ev["event"] == "progress" and ev["done"] == BATCH)
    wire.send("cancel", job=2)
    wire.send("cancel", job=1)
    ends = [wire.wait_for(lambda ev: ev["event"] in ("done", "cancelled", "error")) for _ in range(2)]
    by_job = {ev["job"]: ev for ev in ends}
    assert by_job[2] == {"event": "cancelled", "job": 2, "kind": "prelabel", "done": 0, "total": 1}
    assert by_job[1] == {"event": "cancelled", "job": 1, "kind": "prelabel", "done": BATCH, "total": 40}
    assert _statuses(project).count(RecordStatus.PRELABELLED) == BATCH  # what it says is what it saved


def test_errors_are_events_and_the_service_serves_on(project: Project, wire: Wire, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    wire.send("prelabel", job=1, ids=[9999])
    assert wire.wait_for(end_of(1)) == {"event": "error", "job": 1, "kind": "prelabel",
                                      "message": "record 9999 does not exist"}
    wire.commands.put("this is not json\n")
    assert "not a JSON command" in wire.wait_for(lambda ev: ev["event"] == "error")["message"]
    wire.send("train", job=2)
    assert "unknown or malformed command" in wire.wait_for(end_of(2))["message"]
    with project.transaction() as s:  # the model folder went missing
        repo.add_model_version(s, str(tmp_path / "gone"), "madpg-lite", 0, None)
        repo.activate_model_version(s, 1)
    wire.send("prelabel", job=3, ids=None)
    assert "missing its files" in wire.wait_for(end_of(3))["message"]
    with project.transaction() as s:
        repo.activate_model_version(s, 0)
    wire.send("prelabel", job=4, ids=[1])
    assert wire.wait_for(end_of(4))["event"] == "done"


def test_the_child_process_quits_at_the_end_of_its_input(project: Project) -> None:
    registry.versions(project)  # registers the stand-in model as v0: the child has no monkeypatch
    env = dict(os.environ, MADPG_THREADS="1", PYTHONIOENCODING="utf-8")
    child = subprocess.Popen([sys.executable, "-m", "madpg_core.prelabel_service", str(project.folder),
                              "--device", "cpu"], cwd=REPO, env=env, stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, text=True, encoding="utf-8")
    try:
        child.stdin.write(json.dumps({"cmd": "prelabel", "job": 7, "ids": [1, 2]}) + "\n")
        child.stdin.flush()
        events = []
        for line in child.stdout:
            events.append(json.loads(line))
            if events[-1]["event"] in ("done", "error"):
                break
        assert [ev["event"] for ev in events][:3] == ["ready", "loading", "loaded"]
        assert events[-1]["event"] == "done" and events[-1]["records"] == 2, events
        child.stdin.close()  # the window went away
        assert child.wait(TIMEOUT) == 0
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    assert _statuses(project)[:3] == [RecordStatus.PRELABELLED, RecordStatus.PRELABELLED, RecordStatus.NEW]
