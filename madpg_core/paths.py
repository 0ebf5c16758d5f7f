"""Where things live. ``MADPG_HOME`` overrides every user path, so tests stay sealed."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP = "madpg"
REPO_ROOT = Path(__file__).resolve().parent.parent
RESOURCES = REPO_ROOT / "resources"
SHARED_DATA = REPO_ROOT.parent / "shared" / "data"


def _home() -> Path | None:
    h = os.environ.get("MADPG_HOME")
    return Path(h) if h else None


def config_dir() -> Path:
    h = _home()
    return h / "config" if h else Path(platformdirs.user_config_dir(APP))


def data_dir() -> Path:
    h = _home()
    return h / "data" if h else Path(platformdirs.user_data_dir(APP))


def default_model_dir() -> Path:
    return RESOURCES / "models" / "default"


def parser_model_dir() -> Path:
    return RESOURCES / "parser" / "zh_madpg_parser"


def parse_cache_dir() -> Path:
    """The user's dependency-parse cache outside any project (training from corpus files)."""
    return data_dir() / "parse-cache"


def parse_cache_path() -> Path:
    """The standalone parse cache file (``SqlParseCache.standalone``), reused across runs."""
    return parse_cache_dir() / "parses.sqlite"


def feature_cache_dir() -> Path:
    """Image feature maps of corpus files' images, keyed by image hash and backbone fingerprint
    (vision/feature_cache.py): every rank of a distributed run, and the next run, reads them."""
    return data_dir() / "feature-cache"
