"""Settings in two layers (USERS.md): QSettings for window geometry, dock layout and recent projects;
user preferences in a readable TOML file under the platformdirs config folder."""

from __future__ import annotations

import os
import shutil
import tomllib
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

import tomli_w
from PySide6.QtCore import QSettings

from madpg_core.paths import config_dir

PREFS_FILE = "gui.toml"
STATE_FILE = "window-state.ini"
LAYOUT_VERSION = 2  # bump when the docks change, so an old saved layout is not restored
MAX_RECENT = 8


@dataclass
class Preferences:
    language: str = ""  # "" = follow the system locale (Chinese when the system is Chinese)
    text_font_size: int = 14
    last_project: str = ""
    device: str = "auto"  # pre-labelling: auto (CUDA when present), cpu or cuda
    # CPU threads for torch in this app and the processes it starts (0 = automatic: 1 for
    # pre-labelling, more for training only on an idle machine; see madpg_core.threads). An
    # MADPG_THREADS variable in the environment the app was started with overrides it.
    threads: int = 0
    pretrained_path: str = ""  # local BERT/RoBERTa folder: enables the full MADPG presets in Model ▸ Train…
    # Model ▸ Train…'s replay corpus per project folder: {"on": bool, "format": str, "path": str, "map": str};
    # per project because the corpus that keeps a model's knowledge depends on what the project labels
    replay: dict[str, dict] = field(default_factory=dict)


def export_threads(prefs: Preferences) -> None:
    """Make ``prefs.threads`` this process's ``MADPG_THREADS`` (read by ``madpg_core.threads`` here
    and passed on to the children the app starts), unless the environment sets it already."""
    from madpg_core.threads import ENV

    if prefs.threads > 0 and not os.environ.get(ENV, "").strip():
        os.environ[ENV] = str(int(prefs.threads))


def prefs_path() -> Path:
    return config_dir() / PREFS_FILE


def load_prefs() -> Preferences:
    path = prefs_path()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError):
        return Preferences()
    names = {f.name: f.type for f in fields(Preferences)}
    kept = {k: v for k, v in data.items() if k in names and isinstance(v, type(getattr(Preferences(), k)))}
    return Preferences(**kept)


def save_prefs(prefs: Preferences) -> None:
    path = prefs_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text("# MADPG Annotator preferences (edit freely; delete to restore defaults)\n"
                   + tomli_w.dumps(asdict(prefs)), encoding="utf-8")
    tmp.replace(path)


def project_key(folder: str | Path) -> str:
    """One key per project folder, however it was reached (relative path, symlink)."""
    return str(Path(folder).resolve())


def replay_choice(prefs: Preferences, folder: str | Path) -> dict:
    """The replay corpus last chosen for the project at ``folder`` ({} when none)."""
    entry = prefs.replay.get(project_key(folder))
    return dict(entry) if isinstance(entry, dict) else {}


def set_replay_choice(prefs: Preferences, folder: str | Path, entry: dict) -> None:
    """Remember ``entry`` for the project (an empty one forgets it); the caller saves the prefs."""
    key = project_key(folder)
    if entry:
        prefs.replay[key] = {k: v for k, v in entry.items() if v is not None}  # TOML has no null
    else:
        prefs.replay.pop(key, None)


def qsettings() -> QSettings:
    """Window state lives in an .ini beside the preferences, so MADPG_HOME seals it in tests."""
    return QSettings(str(config_dir() / STATE_FILE), QSettings.Format.IniFormat)


def recent_projects() -> list[str]:
    value = qsettings().value("recent", [])
    if isinstance(value, str):
        value = [value]
    from madpg_core.storage.db import is_server_url

    # a folder that is gone is dropped; a server project's address stays (the server may be down now)
    return [p for p in (value or []) if is_server_url(p) or Path(p).exists()]


def add_recent(folder: str) -> None:
    items = [folder] + [p for p in recent_projects() if p != folder]
    qsettings().setValue("recent", items[:MAX_RECENT])


def reset_config() -> None:
    """``--reset-config``: forget preferences, window layout and recent projects."""
    folder = config_dir()
    for name in (PREFS_FILE, STATE_FILE):
        (folder / name).unlink(missing_ok=True)
    shutil.rmtree(folder / "tmp", ignore_errors=True)


def _annotator_key(folder: str | Path) -> str:
    # hashed: a folder path's slashes would become nested groups in the .ini
    import hashlib

    return "annotator/" + hashlib.sha1(project_key(folder).encode("utf-8")).hexdigest()[:16]


def remembered_annotator(folder: str | Path) -> str:
    """The annotator name this desk last edited the project at ``folder`` as ("" when never)."""
    value = qsettings().value(_annotator_key(folder), "")
    return value.strip() if isinstance(value, str) else ""


def remember_annotator(folder: str | Path, name: str) -> None:
    qsettings().setValue(_annotator_key(folder), name)
