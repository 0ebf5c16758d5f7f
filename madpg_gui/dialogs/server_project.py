"""File ▸ Open project from server…: a server project (a department's PostgreSQL database).

The address is asked in its parts (user, host, port, database) plus a password. The password is
used for this open only and never stored: the recent addresses kept here (QSettings) carry none,
and a server that wants one gets it again from this dialog, PGPASSWORD or ~/.pgpass. The dialog
opens the project itself, so a server that cannot be reached or a database that is not a MADPG
project is said in the dialog, which stays open for a correction; an empty database is offered
to be made a project.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import quote

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from madpg_core.domain import LabelSchema
from madpg_core.errors import MadpgError
from madpg_core.storage.project import EmptyServerDatabase, Project
from madpg_core.storage.server_engine import display_url, parse_url
from madpg_gui import settings
from madpg_gui.i18n import tr

if TYPE_CHECKING:
    from madpg_gui.main_window import MainWindow

RECENT_KEY = "recent_servers"
MAX_RECENT = 8
DEFAULT_PORT = 5432


def recent_servers() -> list[str]:
    value = settings.qsettings().value(RECENT_KEY, [])
    return [value] if isinstance(value, str) else list(value or [])


def remember_server(url: str) -> None:
    """Keep ``url`` first among the recent addresses, without its password."""
    shown = display_url(url)
    settings.qsettings().setValue(RECENT_KEY, ([shown] + [u for u in recent_servers() if u != shown])[:MAX_RECENT])


def build_url(user: str, host: str, port: int, database: str, password: str = "") -> str:
    """postgresql://USER[:PASSWORD]@HOST[:PORT]/DATABASE; a host starting with / is a socket folder."""
    who = quote(user.strip(), safe="")
    if password:
        who += ":" + quote(password, safe="")
    host = host.strip()
    db = quote(database.strip(), safe="")
    if host.startswith("/"):
        return f"postgresql://{who}@/{db}?host={host}&port={port}"
    return f"postgresql://{who}@{host or 'localhost'}:{port}/{db}"


class ServerProjectDialog(QDialog):
    def __init__(self, parent: QWidget | None = None, *, on_wait=None) -> None:  # noqa: ANN001 - a callback
        super().__init__(parent)
        self.setWindowTitle(tr("Open project from server"))
        self.on_wait = on_wait
        self.project: Project | None = None
        self.recent = QComboBox()
        self.recent.addItem(tr("(new address)"))
        self.recent.addItems(recent_servers())
        self.recent.currentIndexChanged.connect(self._fill_from_recent)
        self.user = QLineEdit(placeholderText=tr("user name on the server"))
        self.host = QLineEdit(placeholderText=tr("server name or address, e.g. db.hospital.local"))
        self.port = QSpinBox(minimum=1, maximum=65535, value=DEFAULT_PORT)
        self.database = QLineEdit(placeholderText=tr("database holding the project"))
        self.password = QLineEdit(echoMode=QLineEdit.EchoMode.Password,
                                  placeholderText=tr("only if the server asks for one; never saved"))
        self.message = QLabel(wordWrap=True, textInteractionFlags=Qt.TextInteractionFlag.TextSelectableByMouse)
        self.message.setStyleSheet("color: #b00020")
        form = QFormLayout()
        form.addRow(tr("Recent"), self.recent)
        form.addRow(tr("User"), self.user)
        form.addRow(tr("Host"), self.host)
        form.addRow(tr("Port"), self.port)
        form.addRow(tr("Database"), self.database)
        form.addRow(tr("Password"), self.password)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Open | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.try_open)
        buttons.rejected.connect(self.reject)
        lay = QVBoxLayout(self)
        lay.addLayout(form)
        lay.addWidget(self.message)
        lay.addWidget(buttons)
        if self.recent.count() > 1:
            self.recent.setCurrentIndex(1)

    def _fill_from_recent(self, index: int) -> None:
        if index <= 0:
            return
        try:
            u = parse_url(self.recent.currentText())
        except MadpgError:
            return
        self.user.setText(u.username or "")
        self.host.setText(u.host or str(u.query.get("host") or ""))
        port = u.port or u.query.get("port")
        self.port.setValue(int(port) if port and str(port).isdigit() else DEFAULT_PORT)
        self.database.setText(u.database or "")

    def url(self) -> str:
        return build_url(self.user.text(), self.host.text(), self.port.value(), self.database.text(),
                         self.password.text())

    def try_open(self) -> None:
        """Open the project; on failure say why here and stay open."""
        if not self.user.text().strip() or not self.database.text().strip():
            self.message.setText(tr("Give at least the user name and the database."))
            return
        url = self.url()
        self.message.setText(tr("Connecting…"))
        QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            self.project = Project.open(url, on_wait=self.on_wait)
        except EmptyServerDatabase:
            self.project = self._offer_create(url)
        except MadpgError as e:
            self.message.setText(str(e))
            return
        finally:
            QApplication.restoreOverrideCursor()
        if self.project is None:
            self.message.setText("")
            return
        remember_server(url)
        self.accept()

    def _offer_create(self, url: str) -> Project | None:
        answer = QMessageBox.question(
            self, tr("Open project from server"),
            tr("The database {where} is empty. Make it a new MADPG project with the default entity types?")
            .format(where=display_url(url)))
        if answer != QMessageBox.StandardButton.Yes:
            return None
        try:
            return Project.create(url, LabelSchema.default())
        except MadpgError as e:
            self.message.setText(str(e))
            return None


def open_server_project(window: MainWindow) -> bool:
    """The File menu's action: ask, open, and show the project in ``window``."""
    dialog = ServerProjectDialog(window, on_wait=window.write_wait.report)
    if dialog.exec() != QDialog.DialogCode.Accepted or dialog.project is None:
        return False
    window._set_project(dialog.project)  # as open_project does once Project.open succeeded
    return True
