"""Re-train from a project: reviewed records → a new model version, or nothing at all.

The new checkpoint is written into a staging folder; it is registered (and made active) only
after training finished and the dev split was scored. A cancelled or failed run removes its
staging folder and leaves the active model as it was; the training-run row says why.
"""

from __future__ import annotations

import os
import random
import shutil
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from madpg_core import registry
from madpg_core.domain import Record, RecordStatus
from madpg_core.errors import Cancelled, MadpgError
from madpg_core.storage import repo
from madpg_core.storage.project import Project
from madpg_core.prelabel import project_parser
from madpg_core.storage.repo import ModelVersion

MIN_REVIEWED = 2


@dataclass(frozen=True)
class TrainRequest:
    preset: str = "madpg-lite"
    epochs: int | None = None  # None: the preset's
    device: str | None = None  # None: CUDA when available
    dev_fraction: float = 0.15
    seed: int = 42
    pretrained_path: str | None = None
    image_weights: str | None = None
    activate: bool = True

    def overrides(self) -> dict[str, Any]:
        out: dict[str, Any] = {"seed": self.seed}
        if self.epochs is not None:
            out["epochs"] = self.epochs
        if self.pretrained_path:
            out["pretrained_path"] = self.pretrained_path
        if self.image_weights:
            out["image_weights"] = self.image_weights
        return out


def split(records: Sequence[Record], dev_fraction: float, seed: int) -> tuple[list[Record], list[Record]]:
    """A seeded shuffle; the dev part holds at least one record and leaves at least one to train on."""
    if not 0 < dev_fraction < 1:
        raise MadpgError(f"the dev fraction must be between 0 and 1, not {dev_fraction}")
    order = list(records)
    random.Random(seed).shuffle(order)
    n_dev = min(len(order) - 1, max(1, round(len(order) * dev_fraction)))
    return order[n_dev:], order[:n_dev]


def reviewed_records(project: Project) -> list[Record]:
    with project.reading() as s:
        return list(repo.iter_records(s, status=[RecordStatus.REVIEWED], image_root=project.image_root))


def train_from_project(project: Project, request: TrainRequest, *,
                       on_progress: Callable[[Any], None] | None = None,
                       stop: threading.Event | None = None) -> ModelVersion:
    """Train ``request.preset`` on the project's reviewed records and register the result.

    Raises:
        Cancelled: ``stop`` was set; nothing registered, active model unchanged.
        MadpgError: too few reviewed records, bad preset, or training failed (message says why).
    """
    from madpg_core.model.config import build_config
    from madpg_core.train.loop import fit

    records = reviewed_records(project)
    if len(records) < MIN_REVIEWED:
        raise MadpgError(f"training needs at least {MIN_REVIEWED} reviewed records; this project has {len(records)}")
    train, dev = split(records, request.dev_fraction, request.seed)
    cfg = build_config(request.preset, entity_types=project.schema().names, **request.overrides())
    with project.transaction() as s:
        run_id = repo.start_training_run(s, request.preset, {**request.__dict__, "train": len(train), "dev": len(dev),
                                                             "pid": os.getpid()})
        next_version = max((v.version for v in repo.list_model_versions(s)), default=0) + 1
    staged = registry.staging_dir(project)
    try:
        result = fit(cfg, train, dev, on_progress=on_progress, stop=stop, parser=project_parser(project, cfg.use_gcn),
                     out_dir=staged, version=f"v{next_version}", device=request.device,
                     feature_cache_dir=project.folder / "cache" / "features")
        metrics = dict(result.dev_scores.as_dict() if result.dev_scores else {}, dev_size=len(dev),
                       best_epoch=result.best_epoch, seconds=round(result.seconds, 1))
        version = registry.register(project, staged, request.preset, len(train), metrics, activate=request.activate)
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
    with project.transaction() as s:
        repo.finish_training_run(s, run_id, "finished", f"model version {version.version}", version.id)
    return version


def _close_run(project: Project, run_id: int, status: str, message: str) -> None:
    with project.transaction() as s:
        repo.finish_training_run(s, run_id, status, message)
