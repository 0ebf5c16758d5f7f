"""A complete Chinese UI (issue 20 item 3): with the zh_CN catalogue installed, no visible string
of the window, its menus and its dialogs holds an English word, and entity types show their
Chinese display names while tags and files keep the identifiers.

The walk reads what a user can read: window and dock titles, labels, buttons, actions and menus,
group-box titles, tab texts, table and list headers, combo-box items, placeholders, spin-box
suffixes and tooltips. Text a user typed or imported (record texts, the project's name, paths) is
data, not interface, and is left out of the check.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QModelIndex, QObject, Qt, QTimer
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QDockWidget,
    QGroupBox,
    QLabel,
    QLineEdit,
    QMenu,
    QMessageBox,
    QPlainTextEdit,
    QTabBar,
    QTableView,
    QTabWidget,
    QTextEdit,
    QTreeView,
    QWidget,
)

from madpg_core import formats
from madpg_core.model.config import PRESETS
from madpg_core.storage import repo
from madpg_core.version_scores import CheckScore
from madpg_gui import i18n, settings

ENGLISH_WORD = re.compile(r"[A-Za-z]{3,}")
# Words that stay as they are in a Chinese UI, each for a reason:
ALLOWED_WORDS = {
    # proper names of models and corpora, as the paper and the corpora's own papers write them
    "BiLSTM", "RoBERTa", "RpBERT", "RpRoBERTa", "CMeEE", "cEHRNER", "cMedQANER",
    # the names printed on the keys (Chinese keyboards print them in English too)
    "Tab", "Shift", "Enter", "Backspace", "Ctrl", "Alt", "Esc", "PgUp", "PgDown",
    # format identifiers as the command line takes them (``madpg import --format cmeee``); "folder"
    # is a word, and is translated
    *(f for f in formats.FORMATS if f != "folder"),
}
# the product's name; each language named in itself (View ▸ Language), so that a user who cannot
# read the language shown still finds their own
ALLOWED_PHRASES = ("MADPG Annotator", *i18n.LANGUAGES.values())
# Identifiers a user types on the command line and sees in the versions panel ("madpg-lite").
PRESET_IDS = sorted(PRESETS, key=len, reverse=True)
DATA = (re.compile(r"\S*[/\\]\S*"),  # paths: the file system's names, not ours
        re.compile(r"#[0-9A-Fa-f]{6}\b"))  # colours, written as the colour picker shows them


def english_words(text: str, identifiers: tuple[str, ...] = (), data: tuple[str, ...] = ()) -> list[str]:
    """The English words of ``text`` a translation should have replaced. An all-capital word is an
    acronym (CPU, CUDA, BIO, JSONL, MADPG), read as such in Chinese technical writing; an entity
    type's identifier may stand in brackets after its display name (it is what BIO tags and exported
    files say); ``data`` are the project's own strings (its name, record names)."""
    for phrase in (*ALLOWED_PHRASES, *data):
        text = text.replace(phrase, " ")
    for pattern in DATA:
        text = pattern.sub(" ", text)
    for ident in identifiers:
        text = re.sub(r"\((?:[BI]-)?" + re.escape(ident) + r"\)", " ", text)
    for preset in PRESET_IDS:
        text = re.sub(r"(?<![\w-])" + re.escape(preset) + r"(?![\w-])", " ", text)
    return [w for w in ENGLISH_WORD.findall(text) if not w.isupper() and w not in ALLOWED_WORDS]


def _where(w: QObject) -> str:
    """The widget as a reader of the code finds it: the attribute that holds it (``ModelPanel.note``),
    else its class, under the nearest window or dock."""
    name = type(w).__name__
    parent = w.parent()
    while parent is not None:
        attr = next((k for k, v in vars(parent).items() if v is w), None) if hasattr(parent, "__dict__") else None
        if attr:
            name = f"{type(parent).__name__}.{attr} ({type(w).__name__})"
            break
        parent = parent.parent()
    top = w if isinstance(w, QWidget) and w.isWindow() else (w.window() if isinstance(w, QWidget) else None)
    return f"{type(top).__name__} › {name}" if top is not None and top is not w else name


def _action_texts(action: QAction, where: str, seen: set[int]) -> Iterator[tuple[str, str]]:
    if id(action) in seen:  # the same action in a menu bar, its menu and a tool button: once
        return
    seen.add(id(action))
    yield f"{where} › action", action.text()
    if action.toolTip() != action.text().replace("&", ""):
        yield f"{where} › action tooltip", action.toolTip()
    if action.menu() is not None:
        yield f"{where} › menu", action.menu().title()
        for sub in action.menu().actions():
            yield from _action_texts(sub, f"{where} › {action.text()}", seen)


def _header_texts(view: QTableView | QTreeView) -> Iterator[str]:
    model = view.model()
    if model is None:
        return
    for c in range(model.columnCount(QModelIndex())):
        yield str(model.headerData(c, Qt.Orientation.Horizontal, Qt.ItemDataRole.DisplayRole) or "")
        yield str(model.headerData(c, Qt.Orientation.Horizontal, Qt.ItemDataRole.ToolTipRole) or "")


def visible_strings(root: QWidget) -> list[tuple[str, str]]:
    """(where, text) for every string a user can read in ``root`` and its children, hidden ones
    included: a hidden button (Close after an import) shows later."""
    out: list[tuple[str, str]] = []
    seen: set[int] = set()
    for w in [root, *root.findChildren(QWidget)]:
        where = _where(w)
        texts: list[str] = [w.toolTip()]
        if w.isWindow() or isinstance(w, QDockWidget):
            texts.append(w.windowTitle())
        if isinstance(w, QLabel):
            texts.append(re.sub(r"<[^>]+>", " ", w.text()))  # rich text: the words, not the tags
        if isinstance(w, QAbstractButton):
            texts.append(w.text())
        if isinstance(w, QGroupBox):
            texts.append(w.title())
        if isinstance(w, QTabWidget):
            texts += [w.tabText(i) for i in range(w.count())]
        if isinstance(w, QTabBar):
            texts += [w.tabText(i) for i in range(w.count())]
        if isinstance(w, (QTableView, QTreeView)):  # list views have no header
            texts += list(_header_texts(w))
        if isinstance(w, QComboBox):
            texts += [w.itemText(i) for i in range(w.count())]
        if isinstance(w, (QLineEdit, QTextEdit, QPlainTextEdit)):
            texts.append(w.placeholderText())
        if isinstance(w, QAbstractSpinBox):
            texts += [getattr(w, "prefix", lambda: "")(), getattr(w, "suffix", lambda: "")(), w.specialValueText()]
        if isinstance(w, QMenu):
            texts.append(w.title())
        out += [(where, t) for t in texts if t and t.strip()]
        for a in w.actions():
            out += [(x, t) for x, t in _action_texts(a, where, seen) if t and t.strip()]
    return out


def untranslated(root: QWidget, identifiers: tuple[str, ...], data: tuple[str, ...]) -> list[str]:
    found = {f"{where}: {text!r}" for where, text in visible_strings(root) if english_words(text, identifiers, data)}
    return sorted(found)


# ---------------------------------------------------------------- fixtures


@pytest.fixture
def chinese(qapp) -> Iterator[None]:  # noqa: ANN001
    assert i18n.install("zh_CN")
    try:
        yield
    finally:
        i18n.install("en")


@pytest.fixture
def zh_window(qtbot, project_dir: Path, chinese: None) -> Iterator:  # noqa: ANN001
    from madpg_gui.main_window import MainWindow

    w = MainWindow(settings.Preferences(language="zh_CN"))
    qtbot.addWidget(w)
    w.show()
    assert w.open_project(project_dir)
    w.show_record(w.records.ids()[0])  # the record with a span: entity table, BIO view, palette
    yield w
    if w.project is not None:
        w.close()


def _context(w) -> tuple[tuple[str, ...], tuple[str, ...]]:  # noqa: ANN001
    identifiers = w.ann.schema.names
    with w.project.reading() as s:
        names = tuple(r.name for r in repo.list_records(s))
    return identifiers, (w.project.name, w.project.annotator, *names)  # the annotator's name is theirs


def _check(root: QWidget, w) -> None:  # noqa: ANN001
    identifiers, data = _context(w)
    bad = untranslated(root, identifiers, data)
    assert not bad, "English in the Chinese UI (add tr() and a translation):\n" + "\n".join(bad)


# ---------------------------------------------------------------- the walk itself


def test_the_check_finds_english_and_lets_acronyms_identifiers_and_data_pass() -> None:
    assert english_words("Open project") == ["Open", "project"]
    assert english_words("导出为 JSONL、BIO（CPU）") == []
    assert english_words("疾病 (Disease)", identifiers=("Disease",)) == []
    assert english_words("Disease", identifiers=("Disease",)) == ["Disease"]  # bare: not a display name
    assert english_words("proj — MADPG Annotator", data=("proj",)) == []
    assert english_words("madpg-lite  (MADPG (CPU-sized))") == ["sized"]
    assert english_words("保存为 backups/replaced-….sqlite；格式 cmeee") == []


def test_the_walk_reads_what_the_english_window_shows(window) -> None:  # noqa: ANN001
    """The same walk over the English window finds the English it must: docks, menus, headers,
    placeholders, tooltips (so a Chinese window passing it means something)."""
    identifiers, data = _context(window)
    found = "\n".join(untranslated(window, identifiers, data))
    for text in ("'Records'", "'Open project…'", "'Confidence'", "'Search text or name'", "'1 Disease'",
                 "'Disease: apply to the selection (key 1)'"):
        assert text in found, text


# ---------------------------------------------------------------- the window and its dialogs


def test_main_window_and_menus_are_chinese(zh_window) -> None:  # noqa: ANN001
    _check(zh_window, zh_window)


def _popup_of(call: Callable[[], None]) -> QMenu:
    """The menu that ``call`` pops up with ``exec()``, closed as soon as it shows (a timer runs inside
    exec's own event loop; patching QMenu.exec does not reach PySide's C++ call)."""
    shown: list[QMenu] = []

    def grab() -> None:
        menu = QApplication.activePopupWidget()
        if not isinstance(menu, QMenu):
            QTimer.singleShot(10, grab)
            return
        shown.append(menu)
        menu.close()

    QTimer.singleShot(0, grab)
    call()
    assert shown, "no menu popped up"
    return shown[0]


def test_context_menus_show_chinese_type_names(zh_window) -> None:  # noqa: ANN001
    w = zh_window
    at = w.text.mapToGlobal(w.text.rect().center())
    on_span = _popup_of(lambda: w.editor.context_menu(w.ann.record.spans[0], at))
    w.text.select_range(0, 2)
    on_selection = _popup_of(lambda: w.editor.context_menu(None, at))
    for menu in (on_span, on_selection):
        _check(menu, w)
    for menu in (on_span, on_selection):
        types = [a.text() for a in menu.actions()[0].menu().actions()]
        assert types == ["疾病", "症状", "器官", "属性", "治疗手段"]


def test_import_and_export_dialogs_are_chinese(qtbot, zh_window) -> None:  # noqa: ANN001
    from madpg_gui.dialogs.transfer import ExportDialog, ImportDialog

    for cls in (ImportDialog, ExportDialog):
        dlg = cls(zh_window.project, zh_window)
        qtbot.addWidget(dlg)
        _check(dlg, zh_window)


def test_schema_editor_is_chinese(qtbot, zh_window) -> None:  # noqa: ANN001
    from madpg_gui.dialogs.schema_editor import SchemaEditor

    with zh_window.project.reading() as s:
        usage = repo.type_usage(s)
    dlg = SchemaEditor(zh_window.ann.schema, usage, zh_window)
    qtbot.addWidget(dlg)
    _check(dlg, zh_window)


def test_train_dialog_is_chinese(zh_window) -> None:  # noqa: ANN001
    dlg = zh_window.model_loop.open_train_dialog()
    try:
        _check(dlg, zh_window)
        dlg.pretrained.setText(str(zh_window.project.folder))  # every preset, the paper's ablations too
        dlg._pretrained_edited()
        _check(dlg, zh_window)
    finally:
        dlg.hide()


def test_backups_dialog_is_chinese(qtbot, zh_window) -> None:  # noqa: ANN001
    from madpg_gui.dialogs.backups import BackupsDialog

    dlg = BackupsDialog(zh_window, zh_window.project.folder)
    qtbot.addWidget(dlg)
    assert dlg.backups  # opening for writing took the day's backup: its row is checked too
    _check(dlg, zh_window)


def test_about_box_is_chinese(zh_window, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: ANN001
    said: list[tuple[str, str]] = []
    monkeypatch.setattr(QMessageBox, "about", lambda _parent, title, text: said.append((title, text)))
    zh_window.about()
    assert said
    identifiers, data = _context(zh_window)
    bad = [t for t in said[0] if english_words(t, identifiers, data)]
    assert not bad, f"English in the About box: {bad}"


# ---------------------------------------------------------------- entity types by their display names


def test_types_show_display_names_and_keep_identifiers_in_tags(zh_window) -> None:  # noqa: ANN001
    w = zh_window
    assert [b.text() for b in w.palette_.buttons.values()] == ["1 疾病", "2 症状", "3 器官", "4 属性", "5 治疗手段"]
    assert "(Symptom)" in w.palette_.buttons["Symptom"].toolTip()  # what the tags say
    em = w.entities.model_
    assert em.data(em.index(0, 0)) == "症状"
    assert em.data(em.index(0, 0), Qt.ItemDataRole.ToolTipRole) == "Symptom"
    tags = [w.bio.model_.data(w.bio.model_.index(r, 2)) for r in range(w.bio.model_.rowCount())]
    assert "B-Symptom" in tags  # BIO tags keep the identifier, as the exported files do


def test_versions_panel_names_types_in_chinese(zh_window) -> None:  # noqa: ANN001
    panel = zh_window.model_loop.panel
    panel.set_schema(zh_window.ann.schema)
    versions = [v for v in panel.versions]
    assert versions, "the bundled model is listed"
    number = versions[0].version
    per_type = {t: {"precision": 0.5, "recall": 0.5, "f1": 0.5, "support": 3} for t in ("Symptom", "Disease", "dis")}
    scores = {number: CheckScore(number, "k", 10, 0.5, 0.4, 0.6, per_type, ())}
    panel.set_versions(versions, select=number, scores=scores, check_size=10)
    rows = [panel.compare.item(r, 0).text() for r in range(panel.compare.rowCount())]
    assert rows == ["全部（微平均）", "疾病", "症状", "疾病"]  # schema order; CMeEE's "dis" by its built-in name
    _check(panel, zh_window)


def test_import_summary_counts_in_chinese(qtbot, zh_window, tmp_path: Path) -> None:  # noqa: ANN001
    import json

    from madpg_gui.dialogs.transfer import ImportDialog

    src = tmp_path / "in.jsonl"
    rows = [{"name": f"imp{i}", "text": "发热、咳嗽。", "spans": [{"start": 0, "end": 2, "label": "Symptom"}]}
            for i in range(2)]
    src.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")
    dlg = ImportDialog(zh_window.project, zh_window)
    qtbot.addWidget(dlg)
    dlg.path.setText(str(src))
    dlg.fmt.setCurrentIndex(dlg.fmt.findData("jsonl"))
    with qtbot.waitSignal(dlg.done, timeout=10000):
        dlg.go.click()
    assert dlg.info.text() == "已导入 2 条记录、2 个实体和 0 张影像。"


def test_schema_editor_edits_the_chinese_name_and_the_window_follows(qtbot, zh_window) -> None:  # noqa: ANN001
    from madpg_gui.dialogs.schema_editor import COL_ZH, SchemaEditor

    w = zh_window
    with w.project.reading() as s:
        usage = repo.type_usage(s)
    dlg = SchemaEditor(w.ann.schema, usage, w)
    qtbot.addWidget(dlg)
    row = w.ann.schema.names.index("Symptom")
    zh = dlg.table.cellWidget(row, COL_ZH)
    assert zh.text() == "症状"
    zh.setText("疾病")  # the same as Disease's: two palette buttons would read alike
    dlg.accept()
    assert dlg.result_schema is None and "疾病" in dlg.error.text()
    zh.setText("")  # empty: the built-in name shows, as the placeholder says
    assert zh.placeholderText() == "症状"
    zh.setText("临床症状")
    dlg.accept()
    assert dlg.result_schema is not None and dlg.renames == {} and dlg.removed == {}
    w.ann.set_schema(lambda s: repo.set_schema(s, dlg.result_schema, renames=dlg.renames))
    assert w.palette_.buttons["Symptom"].text() == "2 临床症状"
    assert w.entities.model_.data(w.entities.model_.index(0, 0)) == "临床症状"
    assert [sp.label for sp in w.ann.record.spans] == ["Symptom"]  # the spans keep the identifier
