"""Re-train from a project: reviewed records → a new model version, activated only when it is better.

A run fine-tunes the active version (a warm start) by default, or trains a preset from scratch.
It trains on the reviewed records outside the project's check set (plus, optionally, a replay
corpus), for a time budget; then the new version and the active one are scored on the same check
records and the new one becomes active only when it is better by more than noise (see
``version_scores.decide``). The new checkpoint is written into a staging folder and registered only
after all of that; a cancelled or failed run removes it and leaves the active model as it was;
the training-run row says why.
"""

from __future__ import annotations

import os
import random
import shutil
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from madpg_core import check_set, registry
from madpg_core.domain import Record
from madpg_core.errors import Cancelled, MadpgError, check_stop
from madpg_core.prelabel import project_parser
from madpg_core.storage import repo
from madpg_core.storage.project import Project
from madpg_core.storage.repo import ModelVersion
from madpg_core.train.warm_recipe import WARM_RECIPE, pieces, warm_epochs

MIN_REVIEWED = 2  # training records, at the least
MIN_FOR_CHECK = 20  # fewer reviewed records: the check set (a fifth of them) cannot tell versions apart
DEFAULT_MINUTES = 5.0
ACTIVATE_CHOICES = ("if-better", "always", "never")
MODES = ("warm", "scratch")
SCRATCH_PRESET = "madpg-lite"
# Measured on a 2-core Xeon, one torch thread: CPU seconds per character per epoch of madpg-lite
# training (CMeEE 1.4e-4, cEHRNER 2.3e-4), per character parsed, and to load and score a version
# on the check set. A GPU is only about twice as fast for a warm start of 100-200 short records
# (an H200: 66 s against about 130 CPU-s, RESULTS.md §8): batches of 16 pieces are launch-bound.
GPU_SPEEDUP = 2.0
SECONDS_PER_CHAR_EPOCH = 2e-4
SECONDS_PER_PARSED_CHAR = 1.2e-4
SECONDS_PER_SCORING = 4.0
SECONDS_PER_CHECK_RECORD = 0.05  # predicting one check record, parse cached
REPLAY_MIN = 100  # a replay corpus adds this many records, or as many as the project trains on


@dataclass(frozen=True)
class ReplaySource:
    """A corpus file added to every re-training, so a small project does not forget what the base
    model knew (e.g. the bundled model's own training corpus)."""

    fmt: str
    path: str
    map_path: str | None = None


@dataclass(frozen=True)
class TrainRequest:
    preset: str | None = None  # None: warm keeps the active version's preset; scratch: madpg-lite
    mode: str = "warm"  # "warm": fine-tune the active version; "scratch": a new model of ``preset``
    minutes: float | None = DEFAULT_MINUTES  # wall-clock budget (None: the epochs alone decide)
    epochs: int | None = None  # None: the mode's default; training stops at epochs or budget, first reached
    device: str | None = None  # None: CUDA when available
    seed: int = 42
    pretrained_path: str | None = None
    image_weights: str | None = None
    replay: tuple[ReplaySource, ...] = ()
    activate: str = "if-better"  # "if-better" | "always" | "never"
    # ranks training together (`madpg train PROJECT --nproc N` runs this under torchrun, see
    # cli.loop_cmds.in_ranks): only the plan's estimate and the run's record use it here
    nproc: int = 1
    grad_accum_steps: int | None = None  # None: the preset's (or the active version's) own
    bf16: bool | None = None  # False: float32 on CUDA too; None: as configured (bf16 on CUDA)

    def overrides(self) -> dict[str, Any]:
        out: dict[str, Any] = {"seed": self.seed}
        if self.grad_accum_steps is not None:
            out["grad_accum_steps"] = self.grad_accum_steps
        if self.bf16 is not None:
            out["bf16"] = self.bf16
        if self.epochs is not None:
            out["epochs"] = self.epochs
        if self.pretrained_path:
            out["pretrained_path"] = self.pretrained_path
        if self.image_weights:
            out["image_weights"] = self.image_weights
        return out


@dataclass(frozen=True)
class Plan:
    """What a run would do, worked out before it starts (torch-free)."""

    mode: str
    preset: str
    base_version: int | None
    n_reviewed: int
    n_train: int
    n_check: int  # check records after this run's assignment
    n_replay: int
    epochs: int
    estimate_s: float
    budget_s: float | None
    check_meaningful: bool
    warnings: tuple[str, ...] = field(default_factory=tuple)

    def summary(self) -> str:
        start = (f"Fine-tune v{self.base_version} ({self.preset})" if self.mode == "warm"
                 else f"Train {self.preset} from scratch")
        data = f"on {self.n_train} reviewed records" + (f" + {self.n_replay} replay records" if self.n_replay else "")
        check = f"score on {self.n_check} check records (never trained on)"
        minutes = self.estimate_s / 60
        budget = f", budget {self.budget_s / 60:.0f} min" if self.budget_s else ""
        when = f"about {minutes:.0f} min" if minutes >= 1.5 else f"about {max(1, round(self.estimate_s)):.0f} s"
        return f"{start} {data}; {check}.\n{self.epochs} epochs at most, {when}{budget}."


def _mode_and_preset(project: Project, request: TrainRequest) -> tuple[str, str, ModelVersion | None]:
    if request.mode not in MODES:
        raise MadpgError(f"mode must be one of {', '.join(MODES)}, not {request.mode!r}")
    if request.activate not in ACTIVATE_CHOICES:
        raise MadpgError(f"activate must be one of {', '.join(ACTIVATE_CHOICES)}, not {request.activate!r}")
    registry.ensure_bundled(project)
    with project.reading() as s:
        active = repo.active_model_version(s)
    if request.mode == "scratch" or active is None:
        return "scratch", request.preset or SCRATCH_PRESET, active
    if request.preset and request.preset != active.preset:
        return "scratch", request.preset, active  # another architecture cannot start from these weights
    return "warm", active.preset, active


def plan(project: Project, request: TrainRequest) -> Plan:
    """The run ``request`` would make now: data, epochs, an estimate of its time. It assigns no
    check-set roles and trains nothing (it may register the bundled model, as listing versions does)."""
    from madpg_core.model.config import PRESETS, ModelConfig

    mode, preset, active = _mode_and_preset(project, request)
    if preset not in PRESETS:
        raise MadpgError(f"unknown preset {preset!r}; choose one of: {', '.join(PRESETS)}")
    parts = check_set.split(project, request.seed, assign=False)
    replay = replay_records(request, project.schema().names, len(parts.train))
    chars = sum(len(r.text) for r in parts.train + replay)
    preset_epochs = int(PRESETS[preset].get("epochs", ModelConfig.epochs))
    epochs = request.epochs or (warm_epochs(pieces(parts.train + replay)) if mode == "warm" else preset_epochs)
    with project.reading() as s:
        n_versions = len(repo.list_model_versions(s))
    # parses are counted as if none were cached: an over-estimate on a project's second run
    est = (chars * epochs * SECONDS_PER_CHAR_EPOCH / max(1, request.nproc)
           + (chars + sum(len(r.text) for r in parts.check)) * SECONDS_PER_PARSED_CHAR
           + (n_versions + 1) * SECONDS_PER_SCORING)
    if request.device == "cuda" or (request.device is None and _cuda()):
        est /= GPU_SPEEDUP
    budget = request.minutes * 60 if request.minutes else None
    warnings = []
    n_reviewed = len(parts.train) + len(parts.check)
    meaningful = n_reviewed >= MIN_FOR_CHECK
    if not meaningful:
        warnings.append(f"Only {n_reviewed} reviewed records: the check set ({len(parts.check)} records) is too "
                        f"small to tell whether a new version is better. Review at least {MIN_FOR_CHECK}; "
                        "until then, do not make the new version active without looking at it.")
    if request.mode == "warm" and mode == "scratch" and active is not None:
        warnings.append(f"Preset {preset} differs from the active version's ({active.preset}): "
                        "this run trains from scratch.")
    if len(parts.train) < MIN_REVIEWED:
        warnings.append(f"Training needs at least {MIN_REVIEWED} reviewed records outside the check set.")
    return Plan(mode, preset, active.version if (mode == "warm" and active) else None, n_reviewed,
                len(parts.train), len(parts.check), len(replay), epochs, min(est, budget) if budget else est,
                budget, meaningful, tuple(warnings))


def _cuda() -> bool:
    """CUDA, as far as a torch-free caller can tell: planning must not import torch (1-2 s) just for
    an estimate, so without torch loaded already the estimate is the CPU's, an over-estimate."""
    import sys

    torch = sys.modules.get("torch")
    return bool(torch is not None and torch.cuda.is_available())


def replay_records(request: TrainRequest, types: Sequence[str], n_train: int) -> list[Record]:
    """A seeded sample of the replay corpora (as many records as the project trains on, at least
    ``REPLAY_MIN``), with spans of types the project does not have dropped. The same seed draws
    the same sample every run, so its parses come from the project's cache."""
    if not request.replay:
        return []
    # Reading a corpus for training copies no image into a project: the images-root rule guards imports.
    from madpg_core.formats import ImageRefs, load_type_map, read_records

    pool: list[Record] = []
    for src in request.replay:
        type_map = load_type_map(src.map_path) if src.map_path else None
        records, _ = read_records(src.path, src.fmt, type_map, images=ImageRefs(allow_outside=True))
        pool += records
    keep = set(types)
    pool = [r.with_spans([s for s in r.spans if s.label in keep]) for r in pool]
    random.Random(request.seed).shuffle(pool)
    return pool[: max(REPLAY_MIN, n_train)]


def train_from_project(project: Project, request: TrainRequest, *,
                       on_progress: Callable[[Any], None] | None = None,
                       stop: threading.Event | None = None) -> ModelVersion:
    """Train on the project's reviewed records (check set excluded), register the result, and
    activate it when ``request.activate`` and the check set say so.

    The returned version's metrics hold "check" (its score on the check set), "activation"
    ({"activated", "reason"}), "mode" and "base_version".

    Raises:
        Cancelled: ``stop`` was set; nothing registered, active model unchanged.
        MadpgError: too few reviewed records, bad preset, or training failed (message says why).
    """
    from madpg_core.model.config import build_config
    from madpg_core.train.loop import fit
    from madpg_core.train.warm_start import warm_model

    started = time.monotonic()
    deadline = started + request.minutes * 60 if request.minutes else None
    mode, preset, active = _mode_and_preset(project, request)
    n_train = len(check_set.split(project, request.seed, assign=False).train)
    if n_train < MIN_REVIEWED:  # checked before any role is stored: a refused run changes nothing
        raise MadpgError(f"training needs at least {MIN_REVIEWED} reviewed records outside the check set; "
                         f"this project has {n_train}")
    parts = check_set.split(project, request.seed, assign=True)
    train = parts.train + replay_records(request, project.schema().names, len(parts.train))
    with project.transaction() as s:
        params = {**request.__dict__, "replay": [src.__dict__ for src in request.replay], "mode": mode,
                  "preset": preset, "train": len(parts.train), "check": len(parts.check),
                  "replay_records": len(train) - len(parts.train), "pid": os.getpid()}
        run_id = repo.start_training_run(s, preset, params)
        next_version = max((v.version for v in repo.list_model_versions(s)), default=0) + 1
    staged = registry.staging_dir(project)
    try:
        check_stop(stop)
        overrides = request.overrides()
        if mode == "warm":
            assert active is not None
            if request.epochs is None:
                overrides["epochs"] = warm_epochs(pieces(train))
            for k in ("pretrained_path", "image_weights"):
                overrides.pop(k, None)  # the checkpoint carries its own weights
            initial, _ = warm_model(registry.resolve(project, active), project.schema().names, train,
                                    **WARM_RECIPE, **overrides)
            cfg = initial.cfg
        else:
            initial = None
            cfg = build_config(preset, entity_types=project.schema().names, **overrides)
        parser = project_parser(project, cfg.use_gcn)
        check_stop(stop)
        result = fit(cfg, train, [], on_progress=on_progress, stop=stop, parser=parser, out_dir=staged,
                     version=f"v{next_version}", device=request.device, initial=initial,
                     feature_cache_dir=project.folder / "cache" / "features",
                     time_budget_s=_training_budget(deadline, len(parts.check)))
        check_stop(stop)
        try:
            decision, new_score = _judge(project, result.model, parts.check, active, next_version, request, parser,
                                         stop)
        except Cancelled as e:  # say what was cancelled: the user stopped a training run, not a prediction
            raise Cancelled("training cancelled while scoring the check set") from e
        check_stop(stop)  # the last point where a cancel leaves the versions as they were
        metrics = {"check": new_score.as_dict() if new_score else None,
                   "activation": decision.as_metrics(),
                   "mode": mode, "base_version": active.version if (mode == "warm" and active) else None,
                   "epochs": len(result.history), "seconds": round(result.seconds, 1)}
        version = registry.register(project, staged, preset, len(train), metrics, activate=decision.activate)
    except Cancelled:
        _close_run(project, run_id, "cancelled", "cancelled by the user; the active model is unchanged")
        raise
    except MadpgError as e:
        _close_run(project, run_id, "failed", str(e))
        raise
    except Exception as e:  # an unexpected failure still leaves a readable record and the old model
        _close_run(project, run_id, "failed", f"{type(e).__name__}: {e}")
        raise MadpgError(f"training failed: {type(e).__name__}: {e}") from e
    finally:
        shutil.rmtree(staged, ignore_errors=True)
    from madpg_core import version_scores

    if new_score is not None:
        version_scores.save(project, replace(new_score, version=version.version))
    with project.transaction() as s:
        repo.finish_training_run(s, run_id, "finished", decision.reason, version.id)
    _score_the_rest(project, request.device, stop, deadline)
    return version


def _judge(project: Project, model: Any, check: list[Record], active: ModelVersion | None, number: int,
           request: TrainRequest, parser: Any, stop: threading.Event | None) -> tuple[Any, Any]:
    """Score the new model and the active version on the check set; decide on activation."""
    from madpg_core import version_scores
    from madpg_core.inference.predictor import Predictor

    name = f"v{number}"
    if not check:
        if request.activate == "always":
            return version_scores.Decision(True, f"{name} activated (asked for; no check records to compare on)",
                                           kind="asked", facts={"new": name}), None
        if active is None and request.activate != "never":  # nothing to lose: a model beats none
            return version_scores.Decision(True, f"{name} activated: there was no active model", kind="first",
                                           facts={"new": name}), None
        return version_scores.Decision(False, f"{name} not activated: no check records yet (review more "
                                              "records); you can activate it by hand", kind="no-check",
                                       facts={"new": name}), None
    key = check_set.check_key(check)
    predictor = Predictor(model, parser=parser, device=request.device,
                          feature_cache_dir=project.folder / "cache" / "features")
    new = version_scores.score_predictions(number, key, check, predictor.predict(version_scores.texts_of(check),
                                                                                 stop=stop))
    old = None
    if active is not None:
        old = version_scores.score_versions(project, [active.version], device=request.device, stop=stop).get(
            active.version)
    old_name = f"v{active.version}" if active is not None else ""
    return version_scores.decide(new, old, name, old_name, request.activate), new


def _training_budget(deadline: float | None, n_check: int) -> float | None:
    """Seconds left for training when the new and the active version must still be scored on the
    check set before the deadline: the budget the user gave is for the whole run."""
    if deadline is None:
        return None
    reserve = 2 * (SECONDS_PER_SCORING + n_check * SECONDS_PER_CHECK_RECORD)
    return max(1.0, deadline - time.monotonic() - reserve)


def _score_the_rest(project: Project, device: str | None, stop: threading.Event | None,
                    deadline: float | None) -> None:
    """Score older versions on the (possibly grown) check set, so the versions panel compares like
    with like, one by one while the budget lasts (Model ▸ Score versions does the rest). Best
    effort: the run itself is finished and registered."""
    from madpg_core import registry, version_scores

    try:
        for v in registry.versions(project):
            if deadline is not None and time.monotonic() + SECONDS_PER_SCORING > deadline:
                return
            version_scores.score_versions(project, [v.version], device=device, stop=stop)
    except (Cancelled, MadpgError):
        pass


def _close_run(project: Project, run_id: int, status: str, message: str) -> None:
    with project.transaction() as s:
        repo.finish_training_run(s, run_id, status, message)
