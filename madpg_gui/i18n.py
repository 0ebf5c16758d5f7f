"""User-interface languages: Qt translations (.ts source, .qm compiled by ``pyside6-lrelease``).

Every visible string goes through :func:`tr`, one translation context ("madpg"), so one readable
``resources/i18n/madpg_zh_CN.ts`` holds the whole catalogue. ``python -m madpg_gui.i18n`` adds new
source strings to the .ts (marked unfinished) and compiles the .qm.
"""

from __future__ import annotations

import ast
import locale
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QLibraryInfo, QLocale, QTranslator

from madpg_core.domain import EntityType, LabelSchema, display_name
from madpg_core.paths import RESOURCES

CONTEXT = "madpg"
I18N_DIR = RESOURCES / "i18n"
LANGUAGES = {"zh_CN": "中文", "en": "English"}
_installed: list[QTranslator] = []
_language = "en"  # the language the installed catalogue speaks (English until one is installed)


def tr(text: str) -> str:
    return QCoreApplication.translate(CONTEXT, text)


def trn(one: str, many: str, n: int, **fields: object) -> str:
    """A count in words: ``trn("{n} record", "{n} records", n)``. English picks the form by ``n``;
    Chinese has one form, the translation of ``many`` (the catalogue holds only that one). Written
    here rather than with Qt's %n numerus forms, which need an English catalogue to say "1 record".
    ``fields`` fill the sentence's other placeholders."""
    text = tr(many)
    if text == many:  # untranslated (English): choose the English form
        text = one if n == 1 else many
    return text.format(n=n, **fields)


def language() -> str:
    """The UI language now shown: "zh_CN" once its catalogue is installed, else "en"."""
    return _language


def type_name(t: EntityType | str, schema: LabelSchema | None = None) -> str:
    """An entity type as the user reads it in the UI language; a bare name is looked up in
    ``schema`` (for the project's own display names) and falls back to the built-in names."""
    if isinstance(t, str) and schema is not None:
        return schema.display_name(t, _language)
    return display_name(t, _language)


def system_language() -> str:
    """Chinese when the system locale is Chinese, English otherwise."""
    name = QLocale.system().name() or (locale.getlocale()[0] or "")
    return "zh_CN" if name.lower().startswith("zh") else "en"


def install(language: str) -> bool:
    """Install the translator for ``language`` ("zh_CN" or "en"); True when a catalogue was loaded."""
    global _language
    app = QCoreApplication.instance()
    for t in _installed:
        app.removeTranslator(t)
    _installed.clear()
    _language = "en"  # entity type names follow the catalogue actually shown, also when one fails to load
    if language == "en":
        return True
    translator = QTranslator(app)
    if not translator.load(str(I18N_DIR / f"madpg_{language}.qm")):
        return False
    app.installTranslator(translator)
    _installed.append(translator)
    _language = language
    qt_own = QTranslator(app)  # Qt's own dialogs and buttons (OK/Cancel, file dialogs), when shipped
    if qt_own.load(f"qtbase_{language}", QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)):
        app.installTranslator(qt_own)
        _installed.append(qt_own)
    return True


# ---------------------------------------------------------------- catalogue maintenance


def source_strings(root: Path) -> list[str]:
    """The literal arguments of every ``tr("...")`` call (and ``trn``'s plural) under ``root``, in
    first-seen order."""
    found: dict[str, None] = {}
    for path in sorted(root.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)):
                continue
            arg = {"tr": 0, "trn": 1}.get(node.func.id)  # trn: only its plural form is translated
            if (arg is not None and len(node.args) > arg and isinstance(node.args[arg], ast.Constant)
                    and isinstance(node.args[arg].value, str)):
                found[node.args[arg].value] = None
    return list(found)


def read_ts(path: Path) -> dict[str, str]:
    if not path.exists():
        return {}
    out = {}
    for msg in ET.parse(path).getroot().iter("message"):
        src, tra = msg.findtext("source"), msg.find("translation")
        if src is not None and tra is not None and tra.get("type") != "unfinished" and tra.text:
            out[src] = tra.text
    return out


def write_ts(path: Path, language: str, strings: list[str], translations: dict[str, str]) -> None:
    ts = ET.Element("TS", version="2.1", language=language)
    ctx = ET.SubElement(ts, "context")
    ET.SubElement(ctx, "name").text = CONTEXT
    for s in strings:
        msg = ET.SubElement(ctx, "message")
        ET.SubElement(msg, "source").text = s
        t = ET.SubElement(msg, "translation")
        if s in translations:
            t.text = translations[s]
        else:
            t.set("type", "unfinished")
    ET.indent(ts)
    path.write_text('<?xml version="1.0" encoding="utf-8"?>\n<!DOCTYPE TS>\n'
                    + ET.tostring(ts, encoding="unicode") + "\n", encoding="utf-8")


def update(language: str = "zh_CN") -> list[str]:
    """Sync the .ts with the sources and compile the .qm; returns the strings still untranslated."""
    ts = I18N_DIR / f"madpg_{language}.ts"
    strings = source_strings(Path(__file__).resolve().parent)
    known = read_ts(ts)
    write_ts(ts, language, strings, known)
    lrelease = Path(sys.executable).parent / "pyside6-lrelease"
    subprocess.run([str(lrelease), "-silent", str(ts), "-qm", str(ts.with_suffix(".qm"))], check=True)
    return [s for s in strings if s not in known]


if __name__ == "__main__":
    missing = update()
    print(f"{len(missing)} untranslated", *missing, sep="\n  ")
