"""The project-files case group (5.): a zero-byte project.sqlite, another application's SQLite file, an
alembic revision newer than the code, a damaged database file, a read-only project folder and a
tampered model folder (a dimension in config.json the weights do not have); each must be refused with
a message, or succeed where reading is all that is asked, without changing the project.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import sqlite3
import subprocess
from pathlib import Path

from . import config  # not `as cfg`: g_project_files has a local `cfg` (a model config.json)
from .data import corpus
from .harness import Group, cli, diff, fresh_project, leftovers, query, ro, snapshot


# ============================================================== 5. project files


def g_project_files(g: Group) -> None:
    d = config.WORK / "pfiles"

    def tables(db: Path) -> set[str]:
        try:
            return {r[0] for r in ro(db).execute("SELECT name FROM sqlite_master WHERE type='table'")}
        except sqlite3.Error as e:
            return {f"<unreadable: {e}>"}

    p = d / "zero"
    (p / "images").mkdir(parents=True)
    (p / "project.sqlite").write_bytes(b"")
    res = cli("stats", p)
    size = (p / "project.sqlite").stat().st_size
    g.cli_case("zero-byte project.sqlite", res, "refuse",
               wrong=f"file changed: now {size} bytes, tables {sorted(tables(p / 'project.sqlite'))}" if size else None)

    p = d / "foreign"
    p.mkdir()
    con = sqlite3.connect(p / "project.sqlite")
    con.execute("CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT)")
    con.executemany("INSERT INTO customers (name) VALUES (?)", [("Alice",), ("Bob",)])
    con.commit()
    con.close()
    res = cli("stats", p)
    got = tables(p / "project.sqlite")
    g.cli_case("another application's SQLite file", res, "refuse",
               wrong=f"gained tables: {sorted(got - {'customers'})}" if got != {"customers"} else None)

    p = fresh_project("newer")
    cli("import", p, corpus(d / "ten.jsonl", 10, 5), "--format", "jsonl")
    con = sqlite3.connect(p / "project.sqlite")
    con.execute("UPDATE alembic_version SET version_num = 'ffff9999'")
    con.commit()
    con.close()
    before = snapshot(p)
    res = cli("stats", p)
    rev = query(p, "SELECT version_num FROM alembic_version")
    change = diff(before, snapshot(p))
    wrong = f"revision now {rev}" if rev != [("ffff9999",)] else (f"data changed: {change}" if change else None)
    kind = g.cli_case("alembic_version = newer 'ffff9999'", res, "refuse", wrong=wrong)
    if kind == "refused" and "newer" not in res.err.lower():
        g.notes.append("newer-revision message does not say 'newer'")

    p = fresh_project("damaged")
    cli("import", p, corpus(d / "300.jsonl", 300, 6), "--format", "jsonl")
    con = sqlite3.connect(p / "project.sqlite")
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.close()
    db = p / "project.sqlite"
    size = db.stat().st_size
    with open(db, "r+b") as f:
        f.seek(4096)
        f.write(random.Random(7).randbytes(min(64 * 1024, size // 2)))
    g.extra["damaged_file"] = f"{size} bytes, {min(64 * 1024, size // 2)} overwritten from 4096"
    g.cli_case("damaged file: stats", cli("stats", p), "refuse")
    out = d / "damaged-out" / "x.jsonl"
    res = cli("export", p, out, "--format", "jsonl")
    g.cli_case("damaged file: export", res, "refuse", leftovers=leftovers(out.parent))

    if os.geteuid() == 0:
        g.add("read-only project folder", "n/a", note="not applicable (root: chmod does not stop writes)")
        g.notes.append("read-only folder: n/a (root)")
    else:
        p = fresh_project("readonly")
        cli("import", p, corpus(d / "ro.jsonl", 20, 8), "--format", "jsonl")
        subprocess.run(["chmod", "-R", "a-w", str(p)], check=True)
        try:
            g.cli_case("read-only folder: stats", cli("stats", p), "succeed")
            out = d / "ro-out" / "x.jsonl"
            res = cli("export", p, out, "--format", "jsonl")
            g.cli_case("read-only folder: export", res, "succeed", leftovers=leftovers(out.parent))
        finally:
            subprocess.run(["chmod", "-R", "u+w", str(p)], check=True)

    # a tampered model folder: one dimension changed in config.json
    model = d / "tampered-model"
    shutil.copytree(config.CODE / "resources" / "models" / "default", model)
    cfg = json.loads((model / "config.json").read_text(encoding="utf-8"))
    cfg["config"]["lstm_hidden"] += 32  # a dimension the weights file does not have
    g.extra["tampered"] = f"config.json lstm_hidden → {cfg['config']['lstm_hidden']}"
    (model / "config.json").write_text(json.dumps(cfg, ensure_ascii=False, indent=2), encoding="utf-8")
    p = fresh_project("tampered")
    data = corpus(d / "five.jsonl", 5, 9)
    cli("import", p, data, "--format", "jsonl")
    before = snapshot(p)
    res = cli("prelabel", p, "--model", model, "--device", "cpu", timeout=300)
    change = diff(before, snapshot(p))
    g.cli_case("tampered model: prelabel --model", res, "refuse",
               wrong=f"project changed: {change}" if change else None, leftovers=leftovers(p))
    g.cli_case("tampered model: evaluate --model", cli("evaluate", "--model", model, "--data", data, "--format",
                                                       "jsonl", "--device", "cpu", timeout=300), "refuse")
