"""Shared fixtures. MADPG_HOME points every user path into a temporary folder, so tests never
touch the real configuration or data of the person running them."""

from __future__ import annotations

from pathlib import Path

import pytest

from madpg_core.paths import SHARED_DATA


@pytest.fixture(autouse=True)
def sealed_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path_factory.mktemp("madpg_home")
    monkeypatch.setenv("MADPG_HOME", str(home))
    return home


@pytest.fixture
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.skip(f"public data not found at {SHARED_DATA} (only developers' and CI machines have ../shared/data)")
    return SHARED_DATA
