"""Re-training from a project: check set, warm start, activation only on a real gain, cancel/failure."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest

from madpg_core import check_set, registry
from madpg_core.domain import LabelSchema, Record, RecordStatus, Span
from madpg_core.errors import Cancelled, MadpgError
from madpg_core.retrain import ReplaySource, TrainRequest, plan, replay_records, train_from_project
from madpg_core.storage import check_repo, repo
from madpg_core.storage.project import Project

TINY = TrainRequest(preset="madpg-tiny", epochs=1, device="cpu", minutes=None)
WARM = TrainRequest(epochs=1, device="cpu", minutes=None)


def _add(p: Project, n: int, status: RecordStatus = RecordStatus.REVIEWED, start: int = 0) -> None:
    with p.transaction() as s:
        for i in range(start, start + n):
            text = f"患者{i}天前出现胸痛，左肺可闻及啰音。"
            a, b = text.index("胸痛"), text.index("左肺")
            repo.add_record(s, Record(text, (Span(a, a + 2, "Symptom"), Span(b, b + 2, "Organ")), status=status))


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Project:
    monkeypatch.setattr(registry, "default_model_dir", lambda: tmp_path / "no-bundled-model")
    with Project.create(tmp_path / "p", LabelSchema.from_names(["Symptom", "Organ"])) as p:
        _add(p, 10)
        with p.transaction() as s:
            repo.add_record(s, Record("未审核的记录"))
        yield p


def _runs(project: Project) -> list[dict]:
    with project.reading() as s:
        return repo.list_training_runs(s)


def _active(project: Project) -> int | None:
    with project.reading() as s:
        v = repo.active_model_version(s)
    return v.version if v else None


def test_a_first_run_without_any_model_trains_from_scratch_and_activates(project: Project) -> None:
    events = []
    version = train_from_project(project, TINY, on_progress=events.append)
    assert version.version == 1 and version.active and version.metrics["mode"] == "scratch"
    assert version.train_size == 8 and version.metrics["check"]["n_records"] == 2  # a fifth of 10 held out
    assert "no active model" in version.metrics["activation"]["reason"]
    assert (registry.resolve(project, version) / "config.json").is_file()
    assert events and _runs(project)[-1]["status"] == "finished"
    assert not list((project.folder / "models").glob(".staging-*"))


def test_the_check_set_is_stable_grows_by_batch_and_is_never_trained_on(project: Project,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    import madpg_core.train.loop as loop

    seen: list[list[str]] = []
    real_fit = loop.fit

    def spy(cfg, train, dev, **kw):  # noqa: ANN001, ANN202
        seen.append([r.text for r in train])
        return real_fit(cfg, train, dev, **kw)

    monkeypatch.setattr(loop, "fit", spy)
    train_from_project(project, TINY)
    first = check_set.check_ids(project)
    assert len(first) == 2 and check_set.split(project, assign=False).new_check == 0  # assigned and stored
    _add(project, 15, start=100)
    train_from_project(project, WARM)
    second = check_set.check_ids(project)
    assert first < second and len(second) == 5  # a fifth of 25, the first two kept
    with project.reading() as s:
        check_texts = {repo.get_record(s, i).text for i in second}
        roles = check_repo.roles(s)
    assert len(roles) == 25 and all(not (set(run) & check_texts) for run in seen)
    assert check_set.choose(sorted(roles), {}, 42) == check_set.choose(sorted(roles), {}, 42)  # seeded


def test_a_warm_start_fine_tunes_the_active_version_and_says_why_it_is_or_is_not_activated(
        project: Project) -> None:
    train_from_project(project, TINY)
    _add(project, 15, start=100)  # 25 reviewed: 5 check records, enough to compare
    v2 = train_from_project(project, WARM)
    assert v2.metrics["mode"] == "warm" and v2.metrics["base_version"] == 1
    reason = v2.metrics["activation"]["reason"]
    assert reason.startswith("v2 ") and "for v1 on 5 check records" in reason
    assert _active(project) == (2 if v2.metrics["activation"]["activated"] else 1)
    assert _runs(project)[-1]["message"] == reason


def test_activation_policies_and_too_few_check_records(project: Project) -> None:
    train_from_project(project, TINY)
    never = train_from_project(project, TrainRequest(epochs=1, device="cpu", minutes=None, activate="never"))
    assert not never.active and _active(project) == 1
    few = train_from_project(project, WARM)  # 2 check records: no comparison means anything
    assert not few.active and "too few" in few.metrics["activation"]["reason"]
    always = train_from_project(project, TrainRequest(epochs=1, device="cpu", minutes=None, activate="always"))
    assert always.active and _active(project) == always.version


def test_cancel_and_failure_keep_the_active_model(project: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    train_from_project(project, TINY)
    stop = threading.Event()
    stop.set()
    with pytest.raises(Cancelled):
        train_from_project(project, WARM, stop=stop)
    assert _runs(project)[-1]["status"] == "cancelled" and _active(project) == 1

    def broken(*a: object, **k: object) -> None:
        raise RuntimeError("out of memory")

    monkeypatch.setattr("madpg_core.train.loop.fit", broken)
    with pytest.raises(MadpgError, match="training failed: RuntimeError: out of memory"):
        train_from_project(project, WARM)
    assert _runs(project)[-1]["status"] == "failed" and "out of memory" in _runs(project)[-1]["message"]
    with project.reading() as s:
        assert [v.version for v in repo.list_model_versions(s)] == [1] and _active(project) == 1
    assert not list((project.folder / "models").glob(".staging-*"))


def test_without_any_model_even_a_first_run_without_check_records_becomes_active(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(registry, "default_model_dir", lambda: tmp_path / "no-bundled-model")
    with Project.create(tmp_path / "q", LabelSchema.from_names(["Symptom", "Organ"])) as p:
        _add(p, 2)  # a fifth of 2 rounds to no check record
        version = train_from_project(p, TINY)
        assert version.active and version.metrics["check"] is None
        assert version.metrics["activation"]["reason"] == "v1 activated: there was no active model"


def test_too_few_reviewed_records_change_nothing(tmp_path: Path) -> None:
    with Project.create(tmp_path / "q") as p:
        _add(p, 1)
        with pytest.raises(MadpgError, match="at least 2 reviewed"):
            train_from_project(p, TINY)
        with p.reading() as s:
            assert check_repo.roles(s) == {}


def test_the_plan_says_what_a_run_would_do_and_writes_nothing(project: Project) -> None:
    first = plan(project, TINY)
    assert first.mode == "scratch" and first.n_train == 8 and first.n_check == 2 and not first.check_meaningful
    assert any("too" in w and "small" in w for w in first.warnings) and "from scratch" in first.summary()
    with project.reading() as s:
        assert check_repo.roles(s) == {}  # a plan assigns no roles
    train_from_project(project, TINY)
    warm = plan(project, WARM)
    assert warm.mode == "warm" and warm.base_version == 1 and "Fine-tune v1" in warm.summary()
    other = plan(project, TrainRequest(preset="bilstm-crf"))
    assert other.mode == "scratch" and any("from scratch" in w for w in other.warnings)
    assert plan(project, TrainRequest(minutes=0.5)).estimate_s <= 30


def test_a_replay_corpus_joins_every_run_without_foreign_types(project: Project, tmp_path: Path) -> None:
    lines = [json.dumps({"text": f"第{i}次头痛", "spans": [{"start": 3, "end": 5, "label": "Symptom"},
                                                          {"start": 0, "end": 1, "label": "Other"}]},
                        ensure_ascii=False) for i in range(30)]
    (tmp_path / "replay.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    request = TrainRequest(preset="madpg-tiny", epochs=1, device="cpu", minutes=None,
                           replay=(ReplaySource("jsonl", str(tmp_path / "replay.jsonl")),))
    assert plan(project, request).n_replay == 30
    version = train_from_project(project, request)
    assert _runs(project)[-1]["status"] == "finished" and version.train_size == 8 + 30
    sample = replay_records(request, ["Symptom", "Organ"], 8)
    assert len(sample) == 30 and all(s.label == "Symptom" for r in sample for s in r.spans)


def test_the_time_budget_covers_the_whole_run(project: Project) -> None:
    # 3 seconds for everything: training stops early to leave time to score on the check set
    version = train_from_project(project, TrainRequest(preset="madpg-tiny", epochs=1000, device="cpu", minutes=0.05))
    assert 1 <= version.metrics["epochs"] < 1000 and version.metrics["check"]["n_records"] == 2


def test_a_fresh_project_trained_first_keeps_the_bundled_model_as_version_0(tmp_path: Path) -> None:
    """Audit: a project trained before anything listed its versions had no v0 to roll back to."""
    if not (registry.default_model_dir() / "config.json").is_file():
        pytest.skip("no bundled model in resources/models/default")
    with Project.create(tmp_path / "p", LabelSchema.from_names(["Symptom", "Organ"])) as p:
        _add(p, 10)
        v1 = train_from_project(p, TINY)
        assert [v.version for v in registry.versions(p)] == [0, 1]
        registry.activate(p, 0)  # the rollback the audit could not do
        assert _active(p) == 0 and v1.version == 1


def test_gradient_accumulation_and_precision_reach_a_project_run(project: Project) -> None:
    # `madpg train PROJECT --grad-accum-steps 2 --no-bf16`: the version is trained, and says so, with them
    version = train_from_project(project, TrainRequest(preset="madpg-tiny", epochs=1, device="cpu", minutes=None,
                                                       grad_accum_steps=2, bf16=False))
    config = json.loads((registry.resolve(project, version) / "config.json").read_text(encoding="utf-8"))["config"]
    assert config["grad_accum_steps"] == 2 and config["bf16"] is False
