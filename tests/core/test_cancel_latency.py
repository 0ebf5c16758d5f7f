"""A stop request is honoured within one small unit of work (issue 21): one forward pass of a few
pieces when predicting, one optimiser step, one batch of parses, not a batch of 16 records or an
epoch. Counted with wrappers, never timed: the test machines are shared."""

from __future__ import annotations

import threading
from collections import Counter
from pathlib import Path

import pytest
import torch

from madpg_core import registry
from madpg_core.domain import LabelSchema, Record, RecordStatus, Span
from madpg_core.errors import Cancelled
from madpg_core.inference import predictor as predictor_mod
from madpg_core.inference.predictor import CPU_BATCH, PARSE_BATCH, PredictionCancelled, Predictor
from madpg_core.model.build import new_model
from madpg_core.model.config import build_config, tiny
from madpg_core.model.testing import ChainParser
from madpg_core.prelabel import BATCH, prelabel, unreviewed_ids
from madpg_core.retrain import TrainRequest, train_from_project
from madpg_core.storage import repo
from madpg_core.storage.project import Project
from madpg_core.text.protocol import Parse
from madpg_core.train import loop
from madpg_core.train.loop import Progress, fit

torch.set_num_threads(1)  # tiny tensors: fastest so, and the machine is shared

TYPES = ("Symptom", "Drug")
PIECE_CHARS = 16


def _short(i: int) -> str:
    return f"患者发热{i:02d}天给予头孢"  # 11 characters: one piece


def _long(i: int) -> str:
    return ("患者发热咳嗽胸痛给予阿莫西林口服治疗" * 2)[:30] + f"{i:02d}"  # 32 characters: two full pieces


def _labelled(text: str) -> Record:
    spans = [Span(text.index("发热"), text.index("发热") + 2, "Symptom")]
    for drug in ("头孢", "阿莫西林"):
        if drug in text:
            spans.append(Span(text.index(drug), text.index(drug) + len(drug), "Drug"))
    return Record(text, tuple(spans))


def _data(n: int = 12) -> list[Record]:
    return [_labelled(_long(i) if i % 3 == 0 else _short(i)) for i in range(n)]


def _cfg(**over: object):  # noqa: ANN202
    values = dict(image_encoder="none", hidden_size=32, num_heads=2, lstm_hidden=16, min_bigram_count=1,
                  piece_chars=PIECE_CHARS, entity_types=TYPES)
    values.update(over)
    return tiny(build_config("madpg-lite"), **values)


class CountingParser(ChainParser):
    """ChainParser that counts the texts it parses and sets ``stop`` at the first one."""

    def __init__(self, stop: threading.Event) -> None:
        self.stop = stop
        self.texts = 0

    def parse(self, text: str) -> Parse:
        self.texts += 1
        self.stop.set()
        return super().parse(text)


@pytest.fixture
def project(tmp_path: Path) -> Project:
    with Project.create(tmp_path / "p", LabelSchema.from_names(TYPES)) as p:
        with p.transaction() as s:
            for i in range(40):
                repo.add_record(s, Record(_long(i) if i % 3 == 0 else _short(i)))
        yield p


def _statuses(project: Project, ids: list[int]) -> dict[int, RecordStatus]:
    with project.reading() as s:
        return {i: repo.get_record(s, i).status for i in ids}


def _counting_passes(monkeypatch: pytest.MonkeyPatch, stop: threading.Event) -> list[list[tuple[int, int]]]:
    """Wrap the predictor's collate (one call per forward pass): record (item, characters) of each
    piece, and set ``stop`` during the first pass, as a Cancel arriving mid-work."""
    passes: list[list[tuple[int, int]]] = []
    real = predictor_mod.collate

    def counting(chunk, features=None):  # noqa: ANN001, ANN202
        passes.append([(p.index, len(p.text)) for p in chunk])
        stop.set()
        return real(chunk, features)

    monkeypatch.setattr(predictor_mod, "collate", counting)
    return passes


def test_prelabel_stops_after_one_forward_pass_and_keeps_the_records_it_finished(
        project: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    predictor = Predictor(new_model(_cfg(), _data()), parser=ChainParser(), device="cpu")
    assert predictor.batch_size == CPU_BATCH
    stop = threading.Event()
    passes = _counting_passes(monkeypatch, stop)
    ids = unreviewed_ids(project)
    with pytest.raises(Cancelled) as raised:
        prelabel(project, ids, predictor, "v0", stop=stop)

    assert len(passes) == 1 and len(passes[0]) <= CPU_BATCH  # not the 22 pieces of the first 16 records
    first = ids[:BATCH]
    with project.reading() as s:
        lengths = {k: len(repo.get_record(s, i).text) for k, i in enumerate(first)}
    chars = Counter()
    for k, n in passes[0]:
        chars[k] += n
    finished = {first[k] for k, n in chars.items() if n == lengths[k]}
    assert finished  # the short records' single pieces come first in length order
    labelled = {i for i, st in _statuses(project, ids).items() if st == RecordStatus.PRELABELLED}
    assert labelled == finished  # saved: exactly the records whose every piece was predicted
    assert f"after {len(finished)} of {len(ids)} records" in str(raised.value)


def test_predictor_reports_the_items_finished_when_stopped(monkeypatch: pytest.MonkeyPatch) -> None:
    predictor = Predictor(new_model(_cfg(), _data()), parser=ChainParser(), device="cpu")
    stop = threading.Event()
    passes = _counting_passes(monkeypatch, stop)
    texts = [_long(i) if i % 2 else _short(i) for i in range(20)]
    with pytest.raises(PredictionCancelled) as raised:
        predictor.predict_with_confidence(texts, stop=stop)
    assert len(passes) == 1
    e = raised.value
    assert e.done and len(e.done) <= CPU_BATCH and all(len(texts[i]) <= PIECE_CHARS for i in e.done)


def test_prediction_stops_between_batches_of_parses(project: Project) -> None:
    stop = threading.Event()
    parser = CountingParser(stop)
    predictor = Predictor(new_model(_cfg(), _data()), parser=parser, device="cpu")
    ids = unreviewed_ids(project)
    with pytest.raises(Cancelled):
        prelabel(project, ids, predictor, "v0", stop=stop)
    assert 1 <= parser.texts <= PARSE_BATCH  # of the 22 pieces of the first 16 records
    assert RecordStatus.PRELABELLED not in _statuses(project, ids).values()


def test_training_stops_after_the_optimiser_step_it_is_on(monkeypatch: pytest.MonkeyPatch) -> None:
    steps: list[int] = []
    real = loop._backward  # one batch's forward and backward: one optimiser step at grad_accum_steps 1

    def counting(*args):  # noqa: ANN002, ANN202
        steps.append(1)
        return real(*args)

    monkeypatch.setattr(loop, "_backward", counting)
    stop = threading.Event()
    seen: list[Progress] = []

    def on_progress(p: Progress) -> None:
        seen.append(p)
        if p.step == 1:
            stop.set()

    with pytest.raises(Cancelled):
        fit(_cfg(batch_size=2, epochs=3), _data(), _data()[:4], on_progress=on_progress, stop=stop,
            parser=ChainParser())
    per_epoch = seen[-1].total_steps // 3
    assert per_epoch > 4 and len(steps) == 1


def test_training_does_not_score_the_dev_set_once_stopped(monkeypatch: pytest.MonkeyPatch) -> None:
    stop = threading.Event()
    passes = _counting_passes(monkeypatch, threading.Event())  # counts the dev scoring's forward passes

    def on_progress(p: Progress) -> None:
        if p.total_steps and p.step == p.total_steps // 2:  # the last step of epoch 1 of 2
            stop.set()

    with pytest.raises(Cancelled, match="dev"):
        fit(_cfg(batch_size=2, epochs=2), _data(), _data(), on_progress=on_progress, stop=stop,
            parser=ChainParser())
    assert passes == []


def test_training_stops_between_batches_of_parses_while_preparing_data() -> None:
    stop = threading.Event()
    parser = CountingParser(stop)
    with pytest.raises(Cancelled, match="preparing data"):
        fit(_cfg(), _data(40), _data(), stop=stop, parser=parser)
    assert 1 <= parser.texts <= PARSE_BATCH  # of the 54 pieces of the training records


def test_retraining_stops_while_scoring_the_check_set(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(registry, "default_model_dir", lambda: tmp_path / "no-bundled-model")
    with Project.create(tmp_path / "p", LabelSchema.from_names(TYPES)) as project:
        with project.transaction() as s:
            for rec in _data(45):  # a fifth held out: 9 check records, more than one forward pass
                repo.add_record(s, Record(rec.text, rec.spans, status=RecordStatus.REVIEWED))
        stop = threading.Event()
        passes = _counting_passes(monkeypatch, stop)  # fit's training steps use loop.collate, not this one
        request = TrainRequest(preset="madpg-tiny", epochs=1, device="cpu", minutes=None)
        with pytest.raises(Cancelled, match="check set"):
            train_from_project(project, request, stop=stop)
        assert len(passes) == 1
        with project.reading() as s:
            assert repo.list_model_versions(s) == []
            assert repo.list_training_runs(s)[-1]["status"] == "cancelled"
