"""Model versions of a project, on disk and in the project file.

Version 0 is the bundled default model (``resources/models/default``), registered when a project
first asks for a model. Trained versions live in ``PROJECT/models/vN/``; a version folder appears
under its final name only when it is complete, and a version becomes active only after it
finished and was evaluated. Earlier versions stay for rollback.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from madpg_core.errors import MadpgError
from madpg_core.paths import default_model_dir
from madpg_core.storage import repo
from madpg_core.storage.project import MODELS_DIR, Project
from madpg_core.storage.repo import ModelVersion

BUNDLED_VERSION = 0


def ensure_bundled(project: Project) -> None:
    """Register the bundled model as version 0 (active) in a project that has no model yet."""
    bundled = default_model_dir()
    with project.transaction() as s:
        versions = repo.list_model_versions(s)
        if versions or not (bundled / "config.json").is_file():
            return
        info = _card_metrics(bundled)
        repo.add_model_version(s, str(bundled), info.get("preset", "bundled"), info.get("train_size", 0),
                               info.get("metrics"), version=BUNDLED_VERSION)
        repo.activate_model_version(s, BUNDLED_VERSION)


def _card_metrics(model_dir: Path) -> dict:
    """preset, train_size and metrics from a checkpoint's config.json ("meta" written at training).
    Plain JSON on purpose: listing versions must not import torch."""
    import json

    try:
        doc = json.loads((model_dir / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    # A damaged card only costs the listing its details; loading the model reports the damage.
    meta = doc.get("meta") if isinstance(doc, dict) else None
    meta = meta if isinstance(meta, dict) else {}
    config = doc.get("config") if isinstance(doc, dict) and isinstance(doc.get("config"), dict) else {}
    size = meta.get("train_size")
    metrics = meta.get("metrics") or meta.get("dev")
    return {"preset": str(meta.get("preset") or config.get("name", "bundled")),
            "train_size": size if isinstance(size, int) and not isinstance(size, bool) else 0,
            "metrics": metrics if isinstance(metrics, dict) else None}


def resolve(project: Project, version: ModelVersion) -> Path:
    p = Path(version.path)
    return p if p.is_absolute() else project.folder / p


def active_model_dir(project: Project) -> tuple[ModelVersion, Path]:
    """The active version and its folder; a clear error when there is none or it is missing."""
    ensure_bundled(project)
    with project.reading() as s:
        active = repo.active_model_version(s)
    if active is None:
        raise MadpgError("this project has no active model: train one, or activate a version")
    path = resolve(project, active)
    if not (path / "config.json").is_file():
        raise MadpgError(f"model version {active.version} is missing its files at {path}")
    return active, path


def staging_dir(project: Project) -> Path:
    """A fresh folder to write a new checkpoint into before it is registered. Its name carries this
    process's id, so a later start can tell a dead run's leftovers from a live run's work."""
    base = project.models_root / MODELS_DIR  # a server project's: a folder every desk mounts, if set
    base.mkdir(parents=True, exist_ok=True)
    n = 1
    while (base / f".staging-{os.getpid()}-{n}").exists():
        n += 1
    path = base / f".staging-{os.getpid()}-{n}"
    path.mkdir()
    return path


def register(project: Project, staged: Path, preset: str, train_size: int, metrics: dict | None,
             *, activate: bool = True) -> ModelVersion:
    """Move a finished checkpoint to models/vN and record it (and make it active) in one step."""
    with project.transaction() as s:
        version = repo.add_model_version(s, "pending", preset, train_size, metrics)
        final = project.models_root / MODELS_DIR / f"v{version.version}"
        if final.exists():
            shutil.rmtree(final)
        staged.rename(final)
        # relative inside a project folder (it moves as a whole); absolute for a server project,
        # whose versions live in a shared folder the desks mount, not beside the database
        where = str(final.resolve()) if project.is_server else f"{MODELS_DIR}/v{version.version}"
        repo.set_model_version_path(s, version.id, where)
        if activate:
            repo.activate_model_version(s, version.version)
    with project.reading() as s:
        return next(v for v in repo.list_model_versions(s) if v.id == version.id)


def activate(project: Project, version: int) -> None:
    ensure_bundled(project)  # v0 can be activated (rolled back to) before anything listed versions
    with project.transaction() as s:
        repo.activate_model_version(s, version)


def versions(project: Project) -> list[ModelVersion]:
    ensure_bundled(project)
    with project.reading() as s:
        return repo.list_model_versions(s)
