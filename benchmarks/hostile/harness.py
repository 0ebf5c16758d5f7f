"""What every case group runs on: ``log``; ``Res`` (one CLI run and how it is classified: succeeded,
refused with one clean `madpg: error:` line, traceback or unclear); ``cli``/``popen_cli`` (the real
`madpg` CLI in a subprocess) and ``helper`` (an API step of this suite in a subprocess); ``Group`` (a
group's counts, cases and notes, and its table row); project inspection (``snapshot``/``diff`` of the
records/spans/images rows and image files, ``query``, ``integrity``, the ``leftovers`` check for
*.part/*.tmp/.staging*/unreferenced images); and ``fresh_project``, a copy of one initialised project.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from . import config as cfg

OK_RC = {0, 1, 2, 130, 143, -9, -15}
KILLED_RC = OK_RC | {3}  # 3: a cancelled prelabel/train (SIGTERM handled)
COLUMNS = ("tried", "refused", "succeeded", "traceback", "data_wrong", "leftovers")
HEAD = ("tried", "refused with a message", "succeeded", "traceback", "data lost or wrong", "leftover files")


def log(msg: str) -> None:
    print(f"[{time.monotonic() - cfg.T0:7.1f}s] {msg}", file=sys.stderr, flush=True)


# ============================================================== running the CLI, classifying


class Res:
    def __init__(self, rc: int, out: str, err: str, secs: float) -> None:
        self.rc, self.out, self.err, self.secs = rc, out, err, secs

    def kind(self, killed: bool = False) -> str:
        """succeeded | refused | traceback | unclear (non-zero rc without one clean error line)."""
        if "Traceback" in self.err or self.rc not in (KILLED_RC if killed else OK_RC):
            return "traceback"
        if self.rc == 0:
            return "succeeded"
        if sum(line.startswith("madpg: error:") for line in self.err.splitlines()) == 1:
            return "refused"
        return "unclear"

    def brief(self) -> str:
        lines = [x for x in self.err.strip().splitlines() if x.strip()]
        return (self.out.strip()[-200:] if self.rc == 0 or not lines else lines[-1])[:240]


def cli(*args: object, timeout: float = 900) -> Res:
    t = time.monotonic()
    try:
        p = subprocess.run([cfg.PY, "-m", "madpg_core.cli", *map(str, args)], cwd=cfg.CODE, env=cfg.ENV,
                           capture_output=True, check=False, text=True, errors="replace", timeout=timeout)
        return Res(p.returncode, p.stdout, p.stderr, time.monotonic() - t)
    except subprocess.TimeoutExpired as e:
        return Res(-999, str(e.stdout or ""), f"TIMEOUT after {timeout}s", time.monotonic() - t)


def popen_cli(*args: object) -> subprocess.Popen:
    return subprocess.Popen([cfg.PY, "-m", "madpg_core.cli", *map(str, args)], cwd=cfg.CODE, env=cfg.ENV, text=True,
                            errors="replace", stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def helper(*args: object, timeout: float = 600) -> dict:
    """Run an API step of this script in a subprocess; it prints one JSON object."""
    p = subprocess.run([cfg.PY, cfg.SCRIPT, "--_helper", *map(str, args)], cwd=cfg.CODE, env=cfg.ENV,
                       capture_output=True, check=False, text=True, timeout=timeout)
    try:
        return json.loads(p.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        return {"error": (p.stderr.strip().splitlines() or ["no output"])[-1][:300]}


class Group:
    def __init__(self, name: str) -> None:
        self.name = name
        self.counts: Counter = Counter({c: 0 for c in COLUMNS})
        self.notes: list[str] = []
        self.cases: list[dict] = []
        self.extra: dict = {}
        self.refusal_rc: Counter = Counter()

    def add(self, case: str, outcome: str, *, wrong: str | None = None, leftovers: list[str] = (),
            note: str | None = None, **info: object) -> None:
        if outcome == "n/a":
            self.cases.append({"case": case, "outcome": "n/a", "note": note, **info})
            return
        self.counts["tried"] += 1
        if outcome in ("refused", "succeeded", "traceback"):
            self.counts[outcome] += 1
        self.counts["data_wrong"] += bool(wrong)
        self.counts["leftovers"] += bool(leftovers)
        self.cases.append({"case": case, "outcome": outcome, "wrong": wrong, "leftovers": list(leftovers)[:10],
                           "note": note, **info})
        flag = " WRONG: " + wrong if wrong else ""
        log(f"  {self.name}: {case}: {outcome}{flag}{' LEFTOVERS' if leftovers else ''}")

    def cli_case(self, case: str, res: Res, expect: str, *, wrong: str | None = None,
                 leftovers: list[str] = (), note: str | None = None, **info: object) -> str:
        """expect: refuse | succeed | either. Accepting what should be refused counts as wrong."""
        kind = res.kind()
        if kind == "refused":
            self.refusal_rc[res.rc] += 1
        if expect == "refuse" and kind == "succeeded" and not wrong:
            wrong = "accepted bad input"
        if expect == "succeed" and kind != "succeeded":
            self.extra["should_succeed_but_failed"] = self.extra.get("should_succeed_but_failed", 0) + 1
            note = f"valid input failed; {note or ''}".rstrip("; ")
        if kind == "unclear":
            self.extra["unclear_failures"] = self.extra.get("unclear_failures", 0) + 1
        self.add(case, kind, wrong=wrong, leftovers=leftovers, note=note, rc=res.rc, expect=expect,
                 message=res.brief(), **info)
        return kind

    def row(self) -> dict:
        notes = list(self.notes)
        if self.refusal_rc:
            notes.insert(0, "refusal rc " + ", ".join(f"{rc}×{n}" for rc, n in sorted(self.refusal_rc.items()))
                         + " (goal 2)")
        for k, v in self.extra.items():
            if isinstance(v, (int, str)) and k not in ("seconds", "clean_run_s", "escapes_accepted",
                                                       "files_taken_from_outside"):
                notes.append(f"{k.replace('_', ' ')}: {v}")
        return {"group": self.name, **self.counts, "notes": "; ".join(notes), "extra": self.extra,
                "cases": self.cases}


# ============================================================== project inspection


def ro(db: Path) -> sqlite3.Connection:
    return sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30)


def snapshot(project: Path) -> dict:
    """records, spans, images rows and the files under images/ (name → size)."""
    snap: dict = {"rows": {}, "error": None}
    try:
        con = ro(project / "project.sqlite")
        for t in ("records", "spans", "images"):
            snap["rows"][t] = con.execute(f"SELECT * FROM {t} ORDER BY id").fetchall()
        con.close()
    except sqlite3.Error as e:
        snap["error"] = str(e)
    img = project / "images"
    snap["files"] = {str(p.relative_to(img)): p.stat().st_size for p in img.rglob("*") if p.is_file()} \
        if img.is_dir() else {}
    return snap


def diff(before: dict, after: dict) -> str | None:
    out = [f"{t}: {len(before['rows'].get(t, []))}→{len(after['rows'].get(t, []))} rows"
           for t in ("records", "spans", "images") if before["rows"].get(t) != after["rows"].get(t)]
    new = set(after["files"]) - set(before["files"])
    gone = set(before["files"]) - set(after["files"])
    if new or gone:
        out.append(f"images/: +{len(new)} -{len(gone)} files")
    if before["error"] != after["error"]:
        out.append(f"read error {after['error']}")
    return "; ".join(out) or None


def query(project: Path, sql: str) -> list:
    con = ro(project / "project.sqlite")
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def leftovers(*folders: Path) -> list[str]:
    """*.part, *.tmp, .staging* anywhere under the folders; image files no images row references."""
    found = []
    for folder in folders:
        if not folder.is_dir():
            continue
        for p in folder.rglob("*"):
            if p.name.endswith((".part", ".tmp")) or p.name.startswith(".staging"):
                found.append(str(p.relative_to(folder)))
        if (folder / "project.sqlite").is_file() and (folder / "images").is_dir():
            try:
                referenced = {r for (r,) in query(folder, "SELECT rel_path FROM images")}
            except sqlite3.Error:
                continue
            for p in (folder / "images").rglob("*"):
                rel = p.relative_to(folder).as_posix()
                if p.is_file() and rel not in referenced and not rel.endswith(".part"):
                    found.append(f"orphan {rel}")
    return found


def integrity(project: Path) -> str:
    try:
        return ";".join(r[0] for r in query(project, "PRAGMA integrity_check"))[:200]
    except sqlite3.Error as e:
        return f"cannot check: {e}"



_templates: dict[str, Path] = {}
_made = Counter()


def fresh_project(tag: str, labels: str | None = None) -> Path:
    """A new initialised project (a copy of one `madpg init` per label set)."""
    key = labels or "default"
    if key not in _templates:
        tpl = cfg.WORK / "templates" / key
        res = cli("init", tpl, *(["--labels", labels] if labels else []))
        if res.rc != 0:
            raise SystemExit(f"`madpg init` failed: {res.err}")
        _templates[key] = tpl
    _made[tag] += 1
    target = cfg.WORK / "projects" / f"{tag}-{_made[tag]}"
    shutil.copytree(_templates[key], target)
    return target
