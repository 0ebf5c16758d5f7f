"""File ▸ Open project from server…: the dialog says why a server cannot be opened and stays open;
with a PostgreSQL server (pg_url), an empty database becomes a project and the window shows it."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QMessageBox

from madpg_core.domain import Record
from madpg_core.storage import repo
from madpg_core.storage.project import Project
from madpg_core.storage.server_engine import parse_url
from madpg_gui.dialogs.server_project import ServerProjectDialog, build_url, recent_servers


def test_an_unreachable_server_is_said_in_the_dialog(qtbot) -> None:  # noqa: ANN001
    d = ServerProjectDialog()
    qtbot.addWidget(d)
    d.show()
    d.user.setText("li")
    d.host.setText("127.0.0.1")
    d.port.setValue(1)  # nothing listens there
    d.database.setText("corpus")
    d.try_open()
    assert d.project is None and d.isVisible()
    assert "cannot reach the PostgreSQL server" in d.message.text()
    assert recent_servers() == []  # only an address that opened is remembered


def test_the_address_is_built_from_its_parts() -> None:
    assert build_url("li", "db.ward", 5433, "corpus") == "postgresql://li@db.ward:5433/corpus"
    assert build_url("li", "db.ward", 5432, "corpus", "p@ss") == "postgresql://li:p%40ss@db.ward:5432/corpus"
    assert build_url("postgres", "/run/postgresql", 5432, "c") == "postgresql://postgres@/c?host=/run/postgresql&port=5432"


def test_an_empty_database_becomes_a_project_shown_in_the_window(qtbot, window, pg_url: str,  # noqa: ANN001
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    from madpg_gui.dialogs import server_project

    u = parse_url(pg_url)
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)

    def fill_and_open(self) -> int:  # noqa: ANN001 - what the user types, then Open
        self.user.setText(u.username)
        self.host.setText(u.host or u.query["host"])
        self.port.setValue(int(u.port or u.query.get("port") or 5432))
        self.database.setText(u.database)
        self.password.setText("never-kept")  # a trust server ignores it; it must not be remembered
        self.try_open()
        return self.result()

    monkeypatch.setattr(ServerProjectDialog, "exec", fill_and_open)
    assert server_project.open_server_project(window)
    assert window.project.is_server and window.project.url.endswith(u.database + f"?host={u.query['host']}"
                                                                    f"&port={u.query['port']}")
    assert recent_servers() and all("never-kept" not in r for r in recent_servers())
    from madpg_gui import settings

    assert settings.recent_projects()[0] == window.project.location  # File ▸ Open recent names the server
    assert "never-kept" not in window.project.location
    with Project.open(pg_url) as p, p.transaction() as s:  # another desk adds a record
        repo.add_record(s, Record("咳嗽两天", name="from-desk-2"))
    window.records.set_project(window.project)
    with window.project.reading() as s:
        assert [r.name for r in repo.list_records(s)] == ["from-desk-2"]
