"""Server project addresses, without a server: parsing, what is shown, the CLI's PROJECT argument."""

from __future__ import annotations

from pathlib import Path

import pytest

from madpg_core.cli.project_cmds import project_arg
from madpg_core.errors import MadpgError
from madpg_core.storage import db, server
from madpg_core.storage.server_engine import display_url, parse_url


def test_a_url_is_a_server_project_and_a_folder_is_not() -> None:
    assert db.is_server_url("postgresql://li@db.ward/corpus")
    assert db.is_server_url("postgres://li@db.ward/corpus")
    assert not db.is_server_url("/home/li/project") and not db.is_server_url(Path("postgresql:/x"))


def test_the_cli_keeps_a_url_whole_and_a_folder_a_path() -> None:
    url = "postgresql://postgres@/madpg?host=/run/postgresql&port=5433"
    assert project_arg(url) == url  # Path() would fold the // and break it
    assert project_arg("some/folder") == Path("some/folder")


def test_the_password_is_never_shown() -> None:
    assert display_url("postgresql://li:s3cret@db.ward:5433/corpus") == "postgresql://li@db.ward:5433/corpus"
    assert display_url("postgresql://postgres@/madpg?host=/run/postgresql") == \
        "postgresql://postgres@/madpg?host=/run/postgresql"


def test_a_bad_address_is_refused_with_the_form_to_use() -> None:
    with pytest.raises(MadpgError, match="DATABASE"):
        parse_url("postgresql://li@db.ward")  # no database
    with pytest.raises(MadpgError, match="not a PostgreSQL address"):
        parse_url("mysql://li@db.ward/corpus")


def test_each_server_project_has_its_own_local_working_folder(tmp_path: Path) -> None:
    a = server.local_folder(parse_url("postgresql://li@db.ward/corpus"))
    b = server.local_folder(parse_url("postgresql://li@db.ward/other"))
    c = server.local_folder(parse_url("postgresql://li@/corpus?host=/run/postgresql"))
    assert len({a, b, c}) == 3 and all(f.is_dir() for f in (a, b, c))
    server.mark_folder(a, "postgresql://li@db.ward/corpus")
    assert server.marked_url(a) == "postgresql://li@db.ward/corpus" and server.marked_url(tmp_path) is None


def test_backups_of_a_server_project_point_to_pg_dump(capsys: pytest.CaptureFixture) -> None:
    from madpg_core.cli import main

    assert main(["backups", "postgresql://li@db.ward/corpus"]) == 2
    assert "pg_dump" in capsys.readouterr().err
