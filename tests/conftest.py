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


@pytest.fixture
def pg_url() -> str:
    """A fresh, empty PostgreSQL database for one test (dropped after it) → its URL. Skips, saying
    why, where MADPG_TEST_PG_URL is unset or its server cannot be reached (`.ci/run` starts a
    throw-away cluster and sets it; see tests/pg_cluster.py)."""
    import os
    import uuid

    base = os.environ.get("MADPG_TEST_PG_URL")
    if not base:
        pytest.skip("PostgreSQL tests need MADPG_TEST_PG_URL (set by .ci/run, which starts a throw-away cluster)")
    try:
        import psycopg
        from sqlalchemy.engine import make_url
    except ImportError as e:
        pytest.skip(f"PostgreSQL tests need psycopg: {e}")
    url = make_url(base)
    admin_url = url.set(drivername="postgresql").render_as_string(hide_password=False)
    try:
        admin = psycopg.connect(admin_url, autocommit=True, connect_timeout=5)
    except psycopg.Error as e:
        pytest.skip(f"PostgreSQL at MADPG_TEST_PG_URL cannot be reached: {str(e).strip().splitlines()[0]}")
    name = f"madpg_t_{uuid.uuid4().hex[:12]}"
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
        try:
            yield url.set(drivername="postgresql", database=name).render_as_string(hide_password=False)
        finally:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
