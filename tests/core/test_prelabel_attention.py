"""The pre-label child's ``attention`` command: r and 49 weights per image of one record, from the
project's active model, as one JSON ``done`` event; the reason in words where there is no map.
The service loop runs in a thread on in-memory lines (the loop the child runs); one test starts
the real child process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from madpg_core import registry
from madpg_core.domain import LabelSchema, Record
from madpg_core.model.attention_probe import CELLS, AttentionMap
from madpg_core.storage import repo
from madpg_core.storage.project import Project
from tests.attention_models import TEXT, TYPES, saved_tiny_image_model
from tests.service_wire import TIMEOUT, Wire, end_of, serving

torch.set_num_threads(1)

REPO = Path(__file__).resolve().parents[2]


def _png(path: Path, seed: int) -> Path:
    a = (np.random.default_rng(seed).random((40, 56, 3)) * 255).astype(np.uint8)
    Image.fromarray(a).save(path)
    return path


@pytest.fixture(scope="module")
def sources(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    d = tmp_path_factory.mktemp("src")
    return [_png(d / "chest-pa.png", 1), _png(d / "chest-lat.png", 2)]


@pytest.fixture(scope="module")
def model_dir(sources: list[Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    return saved_tiny_image_model([str(p) for p in sources], tmp_path_factory.mktemp("m") / "v0")


@pytest.fixture
def project(tmp_path: Path, model_dir: Path, sources: list[Path], monkeypatch: pytest.MonkeyPatch) -> Iterator[Project]:
    monkeypatch.setattr(registry, "default_model_dir", lambda: model_dir)  # stands in for the bundled model
    with Project.create(tmp_path / "p", LabelSchema.from_names(TYPES)) as p:
        with p.transaction() as s:
            repo.add_record(s, Record(TEXT, name="two images"), [p.store_image(src) for src in sources])
            repo.add_record(s, Record(TEXT, name="no image"))
        yield p


@pytest.fixture
def wire(project: Project) -> Iterator[Wire]:
    with serving(project) as w:
        yield w


def test_attention_answers_r_and_49_weights_per_image(wire: Wire) -> None:
    wire.send("attention", job=1, ids=[1])
    ev = wire.wait_for(end_of(1))
    assert ev["event"] == "done" and ev["kind"] == "attention" and ev["record_id"] == 1
    assert ev["model_version"] == "v0" and ev["model_name"] == "v0" and ev["reason"] == ""
    assert [im["index"] for im in ev["images"]] == [0, 1]
    for im in ev["images"]:
        assert 0.0 <= im["r"] <= 1.0
        assert len(im["weights"]) == CELLS and sum(im["weights"]) == pytest.approx(1.0, abs=1e-4)
    assert 0.0 <= ev["combined_r"] <= 1.0
    assert AttentionMap.from_dict(ev).available  # what the window reads


def test_without_images_the_answer_is_a_reason_not_an_error(wire: Wire) -> None:
    wire.send("attention", job=2, ids=[2])
    ev = wire.wait_for(end_of(2))
    assert ev["event"] == "done" and ev["images"] == [] and ev["reason"] == "This record has no images."


def test_a_bad_request_is_an_error_event(wire: Wire) -> None:
    wire.send("attention", job=3, ids=[1, 2])
    ev = wire.wait_for(end_of(3))
    assert ev["event"] == "error" and "exactly one record" in ev["message"]
    wire.send("attention", job=4, ids=[99])
    ev = wire.wait_for(end_of(4))
    assert ev["event"] == "error" and "record 99 does not exist" in ev["message"]


def test_the_real_child_answers(project: Project) -> None:
    """The child process as the window starts it: one JSON line in, the answer out."""
    env = {**os.environ, "PYTHONIOENCODING": "utf-8", "MADPG_THREADS": "1"}
    folder = project.folder
    project.close()
    # the child finds its model as the registry does: the stand-in must be registered in the project
    with Project.open(folder) as p:
        registry.active_model_dir(p)
    child = subprocess.Popen([sys.executable, "-m", "madpg_core.prelabel_service", str(folder), "--device", "cpu"],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             encoding="utf-8", cwd=REPO, env=env)
    try:
        child.stdin.write('{"cmd": "attention", "job": 7, "ids": [1]}\n')
        child.stdin.flush()  # kept open: the end of input would mean quit
        ev: dict = {}
        for line in child.stdout:
            ev = json.loads(line)
            if ev.get("job") == 7 and ev["event"] in ("done", "error"):
                break
        child.stdin.close()
        assert child.wait(TIMEOUT) == 0
    finally:
        if child.poll() is None:
            child.kill()
    assert ev.get("event") == "done", (ev, child.stderr.read())
    assert len(ev["images"]) == 2 and all(len(im["weights"]) == CELLS for im in ev["images"])
