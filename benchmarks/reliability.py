"""Hostile reliability suite: replays bad inputs, damaged project files, kills and concurrent
writers through the real `madpg` CLI (subprocesses) against throw-away projects, and counts per
case group: tried | refused with a message | succeeded | traceback | data lost or wrong | leftover files.

    .venv/bin/python benchmarks/reliability.py --quick      # 5 kills per kill group, ~3.5 min; full ~7.5 min
    .venv/bin/python benchmarks/reliability.py --quick --code /tmp/madpg-head   # another checkout (git archive)
    .venv/bin/python benchmarks/reliability.py --only path-escape,malformed-input --json /tmp/r.json

Conventions measured against (see the issue): a refused input exits 2 with exactly one stderr line
`madpg: error: ...` (rc 1 is counted as refused too, its rc noted); a refused import leaves the
records/spans/images rows and the files under images/ exactly as they were; nothing named *.part,
*.tmp or .staging* and no unreferenced image is left behind. A case that succeeds where it should
have been refused counts as "data lost or wrong" (bad data accepted). Python-API steps (a GUI edit
loop, records the importers cannot make, durability timings) run in subprocesses of this script.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
import zlib
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CODE = Path(os.environ.get("MADPG_BENCH_CODE", ROOT))  # the checkout whose madpg_core runs (--code)
PY = str(ROOT / ".venv" / "bin" / "python") if (ROOT / ".venv" / "bin" / "python").exists() else sys.executable
OK_RC = {0, 1, 2, 130, 143, -9, -15}
KILLED_RC = OK_RC | {3}  # 3: a cancelled prelabel/train (SIGTERM handled)
COLUMNS = ("tried", "refused", "succeeded", "traceback", "data_wrong", "leftovers")
HEAD = ("tried", "refused with a message", "succeeded", "traceback", "data lost or wrong", "leftover files")
T0 = time.monotonic()
WORK: Path = Path()
ENV: dict = {}


def log(msg: str) -> None:
    print(f"[{time.monotonic() - T0:7.1f}s] {msg}", file=sys.stderr, flush=True)


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
        p = subprocess.run([PY, "-m", "madpg_core.cli", *map(str, args)], cwd=CODE, env=ENV, capture_output=True,
                           check=False, text=True, errors="replace", timeout=timeout)
        return Res(p.returncode, p.stdout, p.stderr, time.monotonic() - t)
    except subprocess.TimeoutExpired as e:
        return Res(-999, str(e.stdout or ""), f"TIMEOUT after {timeout}s", time.monotonic() - t)


def popen_cli(*args: object) -> subprocess.Popen:
    return subprocess.Popen([PY, "-m", "madpg_core.cli", *map(str, args)], cwd=CODE, env=ENV, text=True,
                            errors="replace", stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def helper(*args: object, timeout: float = 600) -> dict:
    """Run an API step of this script in a subprocess; it prints one JSON object."""
    p = subprocess.run([PY, __file__, "--_helper", *map(str, args)], cwd=CODE, env=ENV, capture_output=True,
                       check=False, text=True, timeout=timeout)
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


# ============================================================== data makers

ORGANS = ["胸部", "左肺上叶", "右肺下叶", "心脏", "肝脏", "腹部", "头部", "胃", "肾脏", "支气管"]
SYMPTOMS = ["咳嗽", "发热", "胸痛", "头痛", "呼吸困难", "乏力", "恶心", "呕吐", "腹痛", "咳痰"]
DISEASES = ["肺炎", "肺结核", "冠心病", "高血压", "糖尿病", "胃炎", "肺癌", "支气管炎"]
TREATMENTS = ["抗感染治疗", "手术", "化疗", "吸氧", "静脉滴注头孢", "放疗"]
ATTRS = ["三天", "两周", "轻度", "重度", "反复"]


def make_record(rng: random.Random, name: str, status: str = "new", images: list[str] = ()) -> dict:
    parts: list[tuple[str, str | None]] = []
    for _ in range(rng.randint(1, 3)):
        parts += [("患者", None), (rng.choice(ATTRS), "Attribute"), (rng.choice(SYMPTOMS), "Symptom"), ("，", None),
                  (rng.choice(ORGANS), "Organ"), ("CT示", None), (rng.choice(DISEASES), "Disease"), ("，给予", None),
                  (rng.choice(TREATMENTS), "Treatment"), ("。", None)]
    text, spans = "", []
    for piece, label in parts:
        if label:
            spans.append({"start": len(text), "end": len(text) + len(piece), "label": label})
        text += piece
    return {"name": name, "text": text, "status": status, "images": list(images), "spans": spans}


def write_jsonl(path: Path, records: list[dict]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    return path


def corpus(path: Path, n: int, seed: int, status: str = "new", images: list[str] = (), spans: bool = True) -> Path:
    """n generated records; every 500th gets one of ``images``; ``spans=False``: texts only."""
    rng = random.Random(seed)
    recs = [make_record(rng, f"r{seed}-{i}", status, [images[i % len(images)]] if images and i % 500 == 0 else [])
            for i in range(n)]
    return write_jsonl(path, [r if spans else {**r, "spans": []} for r in recs])


def png(path: Path, seed: int = 0) -> Path:
    from PIL import Image

    path.parent.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    Image.new("RGB", (48, 48), (rng.randrange(256), rng.randrange(256), rng.randrange(256))).save(path)
    return path


def dicom_without_pixels(path: Path) -> Path:
    from pydicom.dataset import Dataset, FileMetaDataset
    from pydicom.uid import ExplicitVRLittleEndian, generate_uid

    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.1"
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = Dataset()
    ds.file_meta = meta
    ds.SOPClassUID, ds.SOPInstanceUID = meta.MediaStorageSOPClassUID, meta.MediaStorageSOPInstanceUID
    ds.PatientName, ds.Modality, ds.Rows, ds.Columns = "Test^Patient", "CR", 64, 64
    ds.save_as(path, enforce_file_format=True)
    return path


_templates: dict[str, Path] = {}
_made = Counter()


def fresh_project(tag: str, labels: str | None = None) -> Path:
    """A new initialised project (a copy of one `madpg init` per label set)."""
    key = labels or "default"
    if key not in _templates:
        tpl = WORK / "templates" / key
        res = cli("init", tpl, *(["--labels", labels] if labels else []))
        if res.rc != 0:
            raise SystemExit(f"`madpg init` failed: {res.err}")
        _templates[key] = tpl
    _made[tag] += 1
    target = WORK / "projects" / f"{tag}-{_made[tag]}"
    shutil.copytree(_templates[key], target)
    return target


def import_case(g: Group, case: str, path: Path, fmt: str, expect: str, *args: str, check=None,
                project: Path | None = None) -> tuple[str, Path, Res]:
    """Import into a fresh project and classify; ``check(project, res)`` → problem with a success."""
    project = project or fresh_project(g.name)
    before = snapshot(project)
    res = cli("import", project, path, "--format", fmt, *args, timeout=300)
    if "unrecognized arguments" in res.err and res.rc == 2:
        g.add(case, "n/a", note="unknown flag (rc 2): not applicable today", rc=2)
        return "n/a", project, res
    after = snapshot(project)
    wrong = None
    if res.kind() != "succeeded":
        d = diff(before, after)
        wrong = f"refused import changed the project: {d}" if d else None
    elif check is not None:
        wrong = check(project, res)
    g.cli_case(case, res, expect, wrong=wrong, leftovers=leftovers(project), fmt=fmt)
    return res.kind(), project, res


# ============================================================== 1. path escapes


def g_path_escape(g: Group) -> None:
    d = WORK / "escape"
    outside = d / "outside"
    secret = png(outside / "secret.png", 1)
    inp = d / "in"
    png(inp / "ok.png", 2)
    (inp / "link.png").symlink_to(secret)
    taken = 0

    def jl(name: str, images: list[str]) -> Path:
        return write_jsonl(inp / f"{name}.jsonl", [{"text": "胸片示肺炎", "images": images}])

    bio_dir = d / "bio" / "in"
    bio_dir.mkdir(parents=True)
    png(d / "bio" / "outside.png", 3)
    (bio_dir / "a.bio").write_text("IMGID:../outside\n胸 B-Organ\n部 I-Organ\n", encoding="utf-8")
    f1 = d / "folder1"
    f1.mkdir()
    (f1 / "case1.txt").write_text("胸片示肺炎", encoding="utf-8")
    (f1 / "case1.png").symlink_to(secret)
    f2 = d / "folder2"
    f2.mkdir()
    (f2 / "case1.txt").write_text("胸片示肺炎", encoding="utf-8")
    (f2 / "case1").symlink_to(outside, target_is_directory=True)
    escapes = [("jsonl ../../../../etc/passwd", jl("passwd", ["../../../../etc/passwd"]), "jsonl", []),
               ("jsonl absolute /etc/hostname", jl("hostname", ["/etc/hostname"]), "jsonl", []),
               ("jsonl absolute PNG in another folder", jl("abs", [str(secret)]), "jsonl", []),
               ("jsonl symlink inside → file outside", jl("link", ["link.png"]), "jsonl", []),
               ("bio IMGID:../outside", bio_dir / "a.bio", "bio", []),
               ("folder: symlinked image", f1, "folder", []),
               ("folder: symlinked subfolder", f2, "folder", []),
               ("--images-root IN, image ../../../../etc/passwd", jl("root2", ["../../../../etc/passwd"]), "jsonl",
                ["--images-root", str(inp)])]
    def took(project: Path, res: Res) -> str | None:
        n = len(snapshot(project)["files"])
        return f"took {n} file(s) from outside" if n else None

    for case, path, fmt, args in escapes:  # "either": a success that took nothing is not wrong
        _, project, _ = import_case(g, case, path, fmt, "either", *args, check=took)
        n = len(snapshot(project)["files"])
        taken += n
        g.cases[-1]["files_taken"] = n
    g.extra["files_taken_from_outside"] = taken
    g.extra["escapes_accepted"] = sum(c["outcome"] == "succeeded" for c in g.cases)
    tried = sum(c["outcome"] != "n/a" for c in g.cases)

    def one_image(p: Path, r: Res) -> str | None:
        n = len(snapshot(p)["files"])
        return None if n == 1 else f"{n} image files stored, expected 1"

    import_case(g, "control: image inside the import folder", jl("ok", ["ok.png"]), "jsonl", "succeed",
                check=one_image)
    import_case(g, "control: --images-root OUTSIDE, absolute path in it", jl("root", [str(secret)]), "jsonl",
                "succeed", "--images-root", str(outside), check=one_image)
    import_case(g, "control: --allow-outside-images, absolute path", jl("allow", [str(secret)]), "jsonl", "succeed",
                "--allow-outside-images", check=one_image)
    g.notes.insert(0, f"escapes accepted {g.extra['escapes_accepted']}/{tried}, FILES TAKEN FROM OUTSIDE: {taken}")


# ============================================================== 2. corrupt images


def g_corrupt_images(g: Group) -> None:
    d = WORK / "corrupt"
    good = png(d / "good.png", 4).read_bytes()
    files = {"truncated.png": good[: len(good) // 2], "random.png": random.Random(1).randbytes(4000),
             "random.jpg": random.Random(2).randbytes(4000), "text.dcm": "这不是DICOM文件\n".encode() * 40,
             "empty.png": b""}
    for name, data in files.items():
        (d / name).write_bytes(data)
    dicom_without_pixels(d / "nopixels.dcm")
    for name in [*files, "nopixels.dcm"]:
        path = write_jsonl(d / f"{name}.jsonl", [{"text": "胸片示肺炎", "images": [name]}])
        import_case(g, f"jsonl: {name}", path, "jsonl", "refuse")
    for name in ("truncated.png", "random.jpg", "empty.png"):
        f = d / f"folder-{name}"
        f.mkdir()
        (f / "case1.txt").write_text("胸片示肺炎", encoding="utf-8")
        shutil.copyfile(d / name, f / ("case1" + Path(name).suffix))
        import_case(g, f"folder: {name}", f, "folder", "refuse")
    (d / "good.png").write_bytes(good)
    import_case(g, "control: valid PNG", write_jsonl(d / "good.jsonl", [{"text": "胸片示肺炎", "images": ["good.png"]}]),
                "jsonl", "succeed", check=lambda p, r: None if len(snapshot(p)["files"]) == 1 else "image not stored")


# ============================================================== 3. malformed input


def stored(project: Path) -> list[tuple]:
    return query(project, "SELECT r.text, r.status, (SELECT group_concat(s.start || '-' || s.\"end\") FROM spans s "
                          "WHERE s.record_id = r.id) FROM records r ORDER BY r.id")


def expect_texts(*texts: str):
    def check(project: Path, res: Res) -> str | None:
        got = [t for t, _, _ in stored(project)]
        return None if got == list(texts) else f"stored {len(got)} records {[t[:20] for t in got]!r}, " \
                                               f"expected {[t[:20] for t in texts]!r}"
    return check


def no_span_at(start: int):
    def check(project: Path, res: Res) -> str | None:
        n = query(project, f"SELECT count(*) FROM spans WHERE start = {start}")[0][0]
        return f"accepted, and stored a span starting at {start}" if n else "accepted bad input"
    return check


def g_malformed(g: Group) -> None:
    d = WORK / "malformed"
    d.mkdir()
    long_text = ("患者反复咳嗽咳痰，胸部CT示肺炎。" * 1300)[:20000]
    nested = '{"text": "胸痛", "x": ' + "[" * 100000 + "]" * 100000 + "}"
    sp = '{"start": %s, "end": %s, "label": %s%s}'
    base = '{"text": "胸痛三天发热", "spans": [%s]}'
    jsonl_cases = [
        ("invalid JSON", '{"text": "胸痛"', "refuse", None),
        ("lone surrogate \\ud800", '{"text": "胸\\ud800痛"}', "refuse", None),
        ("100000 nested [", nested, "refuse", None),
        ("null text", '{"text": null}', "refuse", None),
        ("list text", '{"text": ["胸痛"]}', "refuse", None),
        ("string confidence", base % (sp % (0, 2, '"Symptom"', ', "confidence": "high"')), "refuse", None),
        ("NaN confidence", base % (sp % (0, 2, '"Symptom"', ', "confidence": NaN')), "refuse", None),
        ("dict model_version", base % (sp % (0, 2, '"Symptom"', ', "model_version": {"a": 1}')), "refuse", None),
        ("float start 1.9", base % (sp % ("1.9", 3, '"Symptom"', "")), "refuse", no_span_at(1)),
        ("boolean start true", base % (sp % ("true", 3, '"Symptom"', "")), "refuse", no_span_at(1)),
        ("numeric label 5", base % (sp % (0, 2, "5", "")), "refuse", None),
        ("unknown status", '{"text": "胸痛", "status": "done"}', "refuse", None),
        ("overlapping spans", base % (sp % (0, 2, '"Symptom"', "") + ", " + sp % (1, 3, '"Symptom"', "")),
         "refuse", None),
        ("offsets past the end", base % (sp % (4, 99, '"Symptom"', "")), "refuse", None),
        ("empty-text record", '{"text": ""}', "either", expect_texts("")),
        ("20000-character record", json.dumps({"text": long_text}, ensure_ascii=False), "succeed",
         expect_texts(long_text)),
    ]
    for case, line, expect, check in jsonl_cases:
        path = d / f"jsonl-{len(g.cases)}.jsonl"
        path.write_text(line + "\n", encoding="utf-8")
        import_case(g, f"jsonl: {case}", path, "jsonl", expect, check=check)

    bio_long = "".join(f"{c} O\n" for c in long_text)
    blue_line = '{"text": "胸痛三天", "mention_data": [{"mention": "痛三", "label": %s, "offset": %s}]}'
    cmeee_item = '[{"text": "胸痛三天", "entities": [{"start_idx": %s, "end_idx": %s, "type": %s}]}]'
    other = [
        ("bio", "lone surrogate <U+D800>", "胸 O\n<U+D800> O\n", "refuse", None),
        ("bio", "line without a tag", "胸痛\n", "refuse", None),
        ("bio", "unknown tag X-Foo", "胸 X-Foo\n", "refuse", None),
        ("bio", "numeric label B-5", "胸 B-5\n痛 I-5\n", "refuse", None),
        ("bio", "20000-character record", bio_long, "succeed", expect_texts(long_text)),
        ("cehrner", "invalid JSON", '{"text": "胸痛"', "refuse", None),
        ("cehrner", "lone surrogate", '{"text": "胸\\ud800痛", "mention_data": []}', "refuse", None),
        ("cehrner", "100000 nested [", nested, "refuse", None),
        ("cehrner", "null text", '{"text": null, "mention_data": []}', "refuse", None),
        ("cehrner", "float offset 1.9", blue_line % ('"Symptom"', "1.9"), "refuse", no_span_at(1)),
        ("cehrner", "boolean offset true", blue_line % ('"Symptom"', "true"), "refuse", no_span_at(1)),
        ("cehrner", "numeric label 5", blue_line % ("5", '"1"'), "refuse", None),
        ("cehrner", "empty-text record", '{"text": "", "mention_data": []}', "either", expect_texts("")),
        ("cehrner", "20000-character record", json.dumps({"text": long_text, "mention_data": []}, ensure_ascii=False),
         "succeed", expect_texts(long_text)),
        ("cmeee", "invalid JSON", '[{"text": "胸痛"', "refuse", None),
        ("cmeee", "lone surrogate", '[{"text": "胸\\ud800痛", "entities": []}]', "refuse", None),
        ("cmeee", "100000 nested [", "[" * 100000 + "]" * 100000, "refuse", None),
        ("cmeee", "null text", '[{"text": null, "entities": []}]', "refuse", None),
        ("cmeee", "list text", '[{"text": ["胸痛"], "entities": []}]', "refuse", None),
        ("cmeee", "float start 1.9", cmeee_item % ("1.9", 2, '"Symptom"'), "refuse", no_span_at(1)),
        ("cmeee", "boolean start true", cmeee_item % ("true", 2, '"Symptom"'), "refuse", no_span_at(1)),
        ("cmeee", "numeric label 5", cmeee_item % (0, 1, "5"), "refuse", None),
        ("cmeee", "overlapping spans", ('[{"text": "胸痛三天", "entities": [{"start_idx": 0, "end_idx": 1, "type": '
                                        '"Symptom"}, {"start_idx": 1, "end_idx": 2, "type": "Symptom"}]}]'),
         "either", None),  # documented: nested/overlapping entities are flattened with a warning
        ("cmeee", "offsets past the end", cmeee_item % (2, 50, '"Symptom"'), "refuse", None),
        ("cmeee", "empty-text record", '[{"text": "", "entities": []}]', "either", expect_texts("")),
        ("cmeee", "20000-character record", json.dumps([{"text": long_text, "entities": []}], ensure_ascii=False),
         "succeed", expect_texts(long_text)),
    ]
    for fmt, case, content, expect, check in other:
        path = d / f"{fmt}-{len(g.cases)}.txt"
        path.write_text(content, encoding="utf-8")
        import_case(g, f"{fmt}: {case}", path, fmt, expect, check=check)

    def folder(texts: dict[str, bytes]) -> Path:
        f = Path(tempfile.mkdtemp(prefix="folder-", dir=d))
        for name, data in texts.items():
            (f / name).write_bytes(data)
        return f

    import_case(g, "folder: no .txt files", folder({}), "folder", "refuse")
    import_case(g, "folder: empty .txt", folder({"a.txt": b""}), "folder", "either", check=expect_texts(""))
    import_case(g, "folder: 20000-character text", folder({"a.txt": long_text.encode()}), "folder", "succeed",
                check=expect_texts(long_text))
    bad = "胸痛".encode() + b"\xff\xfe\xed\xa0\x80" + "发热".encode()
    for fmt in ("jsonl", "bio", "cehrner", "cmeee", "folder"):
        if fmt == "folder":
            nonutf, ok = folder({"a.txt": bad}), folder({"a.txt": "胸痛".encode()})
            empty = None
        else:
            nonutf = d / f"{fmt}-nonutf8"
            nonutf.write_bytes(bad)
            ok = d / f"{fmt}-ok"
            ok.write_text({"jsonl": '{"text": "胸痛"}\n', "bio": "胸 O\n痛 O\n",
                           "cehrner": '{"text": "胸痛", "mention_data": []}\n',
                           "cmeee": '[{"text": "胸痛", "entities": []}]'}[fmt], encoding="utf-8")
            empty = d / f"{fmt}-empty"
            empty.write_bytes(b"")
        import_case(g, f"{fmt}: non-UTF-8 bytes", nonutf, fmt, "refuse")
        import_case(g, f"{fmt}: --encoding xyz", ok, fmt, "refuse", "--encoding", "xyz")
        if empty is not None:
            import_case(g, f"{fmt}: empty file", empty, fmt, "either", check=expect_texts())
    g.notes.append("folder: lone surrogate not expressible in a UTF-8 file (covered by non-UTF-8 bytes)")


# ============================================================== 4. JSONL line separators


def g_separators(g: Group) -> None:
    d = WORK / "separators"
    text = "患者咳嗽\u2028三天\u2029发热\u0085胸痛"
    rec = {"name": "sep", "text": text, "status": "reviewed",
           "spans": [{"start": 0, "end": 2, "label": "Organ"}, {"start": 10, "end": 12, "label": "Symptom"}]}
    src = write_jsonl(d / "sep.jsonl", [rec, {"text": "普通记录"}])

    def round_trip(case: str, project: Path) -> None:
        out = d / f"{case[:8]}-export.jsonl"
        res = cli("export", project, out, "--format", "jsonl")
        if res.kind() != "succeeded":
            g.cli_case(f"{case}: export", res, "succeed", leftovers=leftovers(project, out.parent))
            return
        p2 = fresh_project("sep2")
        res2 = cli("import", p2, out, "--format", "jsonl")
        wrong = None
        if res2.kind() == "succeeded":
            a, b = stored(project), stored(p2)
            wrong = None if a == b else f"round trip changed the records: {len(a)} vs {len(b)} records" + \
                (f", first text {b[0][0]!r}" if b else "")
        g.cli_case(f"{case}: export → re-import", res2, "succeed", wrong=wrong,
                   leftovers=leftovers(project, p2, out.parent))

    p = fresh_project("sep")
    if import_case(g, "import raw U+2028/U+2029/U+0085 text", src, "jsonl", "succeed",
                   check=expect_texts(text, "普通记录"), project=p)[0] == "succeeded":
        round_trip("from import", p)
    p = fresh_project("sep-api")
    r = helper("add-records", p, json.dumps([rec, {"text": "普通记录"}], ensure_ascii=False))
    if r.get("ok"):
        round_trip("API-made record", p)
    else:
        g.add("API-made record", "n/a", note=f"API insert failed: {r.get('error')}")

    p = fresh_project("sep-empty")
    r = helper("add-records", p, json.dumps([{"text": ""}, {"text": "胸痛"}], ensure_ascii=False))
    if not r.get("ok"):
        g.add("bio export with an empty record", "n/a", note=f"API insert failed: {r.get('error')}")
        return
    out = d / "records.bio"
    res = cli("export", p, out, "--format", "bio")
    wrong = None
    if res.kind() == "succeeded":
        blocks = [b for b in out.read_text(encoding="utf-8").split("\n\n") if b.strip()] if out.exists() else []
        said = any(w in (res.out + res.err).lower() for w in ("skip", "empty record", "without text"))
        if len(blocks) < 2 and not said:
            wrong = f"empty record silently dropped ({len(blocks)} record(s) written, output: {res.out.strip()!r})"
    g.cli_case("bio export with an empty record", res, "succeed", wrong=wrong, leftovers=leftovers(p, d))


# ============================================================== 5. project files


def g_project_files(g: Group) -> None:
    d = WORK / "pfiles"

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
    shutil.copytree(CODE / "resources" / "models" / "default", model)
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


# ============================================================== 6. kills


def kill_series(g: Group, runs: int, make_target, command, check) -> None:
    """Measure one clean run, then ``runs`` runs killed at a uniform time within it, half SIGKILL and
    half SIGTERM. ``make_target(i)`` → context; ``command(ctx)`` → CLI args; ``check(ctx)`` →
    (wrong, leftovers, note) after `madpg stats` and a writable open (`madpg models`)."""
    rng = random.Random(zlib.crc32(g.name.encode()))
    ctx = make_target(-1)
    t = time.monotonic()
    res = cli(*command(ctx), timeout=900)
    clean = time.monotonic() - t
    g.extra["clean_run_s"] = round(clean, 1)
    if res.rc != 0:
        g.notes.append(f"clean run failed (rc {res.rc}): {res.brief()}")
        return
    wrong, left, note = check(ctx, clean_run=True)
    if wrong:
        g.notes.append(f"clean run already inconsistent: {wrong}")
    rcs: Counter = Counter()
    first = 0
    for i in range(runs):
        ctx = make_target(i)
        sig = signal.SIGKILL if i % 2 == 0 else signal.SIGTERM
        at = rng.uniform(0, clean)
        proc = popen_cli(*command(ctx))
        try:
            proc.wait(timeout=at)
            finished = True
        except subprocess.TimeoutExpired:
            finished = False
            proc.send_signal(sig)
        try:
            out, err = proc.communicate(timeout=300)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, err = proc.communicate()
            err += "\n(did not stop within 300 s of the signal)"
        rcs[proc.returncode] += 1
        first += finished
        killed = Res(proc.returncode, out, err, 0)
        # `stats` opens read-only and so changes nothing; the next writable open (the GUI opening
        # the project, any editing command; here `models`) is where leftovers of dead processes go.
        follow = cli("stats", ctx["project"], timeout=300)
        if follow.rc == 0:
            follow = cli("models", ctx["project"], timeout=300)
        wrong, left, note = check(ctx)
        if follow.rc != 0:
            wrong = f"`madpg stats`/`models` after the kill failed (rc {follow.rc}): {follow.brief()}"
        outcome = "traceback" if "traceback" in (killed.kind(killed=True), follow.kind()) else "succeeded"
        if outcome == "succeeded" and (wrong or left):
            outcome = "inconsistent"
        g.add(f"{sig.name} at {at:.1f}s" + (" (finished first)" if finished else ""), outcome, wrong=wrong,
              leftovers=left, note=note, rc=proc.returncode, signal=sig.name, at_s=round(at, 2),
              killed_stderr=killed.err.strip()[-2500:] if killed.kind(killed=True) == "traceback" else killed.brief(), follow_stderr=follow.err.strip()[-1500:] if follow.kind() != "succeeded" else "")
        if ctx.get("cleanup"):
            shutil.rmtree(ctx["project"], ignore_errors=True)
    g.notes.append("rc of killed runs " + ", ".join(f"{k}×{v}" for k, v in sorted(rcs.items())))
    g.notes.append(f"clean run {clean:.1f}s, {first} run(s) finished before the signal; "
                   "succeeded = consistent after the kill + `stats` + `models`")


def models_consistent(project: Path) -> str | None:
    problems = []
    for version, path in query(project, "SELECT version, path FROM model_versions"):
        folder = Path(path) if Path(path).is_absolute() else project / path
        if not (folder / "config.json").is_file():
            problems.append(f"v{version} → {path} has no config.json")
    registered = {Path(p).name for (p,) in query(project, "SELECT path FROM model_versions")}
    for f in (project / "models").glob("v*"):
        if f.name not in registered:
            problems.append(f"unregistered folder models/{f.name}")
    return "; ".join(problems) or None


def g_kill_import(g: Group, runs: int) -> None:
    d = WORK / "kill-import"
    imgs = [f"img/{i}.png" for i in range(5)]
    for i, rel in enumerate(imgs):
        png(d / rel, 10 + i)
    data = corpus(d / "3000.jsonl", 3000, 11, images=imgs)
    n_spans = sum(len(json.loads(x)["spans"]) for x in data.read_text(encoding="utf-8").splitlines())
    n_imgs = sum(len(json.loads(x)["images"]) for x in data.read_text(encoding="utf-8").splitlines())

    def check(ctx: dict, clean_run: bool = False) -> tuple:
        p = ctx["project"]
        ok = integrity(p)
        if ok != "ok":
            return f"integrity_check: {ok}", leftovers(p), None
        n, s, im = query(p, "SELECT (SELECT count(*) FROM records), (SELECT count(*) FROM spans), "
                            "(SELECT count(*) FROM images)")[0]
        wrong = None
        if (n, s, im) not in ((0, 0, 0), (3000, n_spans, n_imgs)):
            wrong = f"partial import: {n} records, {s} spans, {im} images"
        return wrong, leftovers(p), f"{n} records"

    kill_series(g, runs, lambda i: {"project": fresh_project("kimp"), "cleanup": True},
                lambda c: ("import", c["project"], data, "--format", "jsonl"), check)


def g_kill_export(g: Group, runs: int) -> None:
    d = WORK / "kill-export"
    project = fresh_project("kexp")
    res = cli("import", project, corpus(d / "3000.jsonl", 3000, 12), "--format", "jsonl")
    if res.rc != 0:
        g.notes.append(f"setup import failed: {res.brief()}")
        return

    def check(ctx: dict, clean_run: bool = False) -> tuple:
        out: Path = ctx["out"]
        wrong = None
        if out.exists():
            try:
                lines = out.read_text(encoding="utf-8").splitlines()
                if len(lines) != 3000 or not all(isinstance(json.loads(x).get("text"), str) for x in lines):
                    wrong = f"export target incomplete: {len(lines)} lines"
            except (ValueError, UnicodeDecodeError) as e:
                wrong = f"export target invalid: {e}"
        beside = [p.name for p in out.parent.glob("*") if p != out]
        if beside and not clean_run:
            g.extra["part_right_after_kill"] = g.extra.get("part_right_after_kill", 0) + 1
        note = f"target {'complete' if out.exists() and not wrong else 'absent' if not out.exists() else 'bad'}" \
               f", right after: {beside}"
        if not clean_run:  # the next normal export must clean up after the killed one
            nxt = cli("export", project, out, "--format", "jsonl")
            if nxt.rc != 0:
                wrong = wrong or f"next export failed: {nxt.brief()}"
        ok = integrity(project)
        return wrong or (None if ok == "ok" else f"integrity_check: {ok}"), leftovers(out.parent, project), note

    kill_series(g, runs, lambda i: {"project": project, "out": d / f"out{i}" / "records.jsonl"},
                lambda c: ("export", c["project"], c["out"], "--format", "jsonl"), check)


def g_kill_train(g: Group, runs: int) -> None:
    d = WORK / "kill-train"
    tpl = fresh_project("ktrain-tpl")
    cli("import", tpl, corpus(d / "60.jsonl", 60, 13, status="reviewed"), "--format", "jsonl")
    cli("import", tpl, corpus(d / "40.jsonl", 40, 14), "--format", "jsonl")
    cli("models", tpl)  # registers the bundled model, so the kill runs time the training only

    def make(i: int) -> dict:
        p = WORK / "projects" / f"ktrain-{i}"
        shutil.copytree(tpl, p)
        return {"project": p, "cleanup": True}

    def check(ctx: dict, clean_run: bool = False) -> tuple:
        p = ctx["project"]
        ok = integrity(p)
        if ok != "ok":
            return f"integrity_check: {ok}", leftovers(p), None
        wrong = models_consistent(p)
        n = query(p, "SELECT count(*) FROM records")[0][0]
        if n != 100:
            wrong = f"{n} records, expected 100"
        running = query(p, "SELECT count(*) FROM training_runs WHERE status = 'running'")[0][0]
        versions = [v for (v,) in query(p, "SELECT version FROM model_versions ORDER BY version")]
        return wrong, leftovers(p), f"versions {versions}, runs still 'running': {running}"

    kill_series(g, runs, make, lambda c: ("train", c["project"], "--preset", "madpg-tiny", "--from-scratch",
                                          "--epochs", "2", "--minutes", "1", "--device", "cpu"), check)


def g_kill_prelabel(g: Group, runs: int) -> None:
    d = WORK / "kill-prelabel"
    tpl = fresh_project("kpre-tpl")
    cli("import", tpl, corpus(d / "200.jsonl", 200, 15, spans=False), "--format", "jsonl")  # the model adds spans
    cli("models", tpl)

    def make(i: int) -> dict:
        p = WORK / "projects" / f"kpre-{i}"
        shutil.copytree(tpl, p)
        return {"project": p, "cleanup": True}

    def check(ctx: dict, clean_run: bool = False) -> tuple:
        p = ctx["project"]
        ok = integrity(p)
        if ok != "ok":
            return f"integrity_check: {ok}", leftovers(p), None
        n = query(p, "SELECT count(*) FROM records")[0][0]
        bad = query(p, "SELECT count(*) FROM records r WHERE r.status = 'new' AND EXISTS (SELECT 1 FROM spans s "
                       "WHERE s.record_id = r.id AND s.source = 'model')")[0][0]
        done = query(p, "SELECT count(*) FROM records WHERE status = 'pre-labelled'")[0][0]
        spans = query(p, "SELECT count(*) FROM spans")[0][0]
        wrong = f"{n} records, expected 200" if n != 200 else (f"{bad} new records with model spans" if bad else None)
        return wrong or models_consistent(p), leftovers(p), f"{done} pre-labelled, {spans} spans"

    kill_series(g, runs, make, lambda c: ("prelabel", c["project"], "--device", "cpu"), check)


# ============================================================== 7. concurrent writers


def g_concurrent(g: Group) -> None:
    d = WORK / "concurrent"
    for k in (2, 4):
        project = fresh_project(f"conc{k}")
        helper("add-records", project, json.dumps([{"text": "患" * 200}]))
        files = [corpus(d / f"{k}-{i}.jsonl", 1500, 100 * k + i) for i in range(k)]
        log(f"  {k} importers + a GUI edit loop")
        edit = subprocess.Popen([PY, __file__, "--_helper", "edit-loop", str(project), "50"], cwd=CODE, env=ENV,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        procs = [popen_cli("import", project, f, "--format", "jsonl") for f in files]
        ok = 0
        for i, p in enumerate(procs):
            out, err = p.communicate(timeout=900)
            res = Res(p.returncode, out, err, 0)
            ok += res.rc == 0
            g.cli_case(f"{k} writers: importer {i + 1}", res, "succeed")  # leftovers: once all are done
        out, err = edit.communicate(timeout=900)
        try:
            e = json.loads(out.strip().splitlines()[-1])
        except (ValueError, IndexError):
            e = {"error": (err.strip().splitlines() or ["no output"])[-1]}
        failed = e.get("failed", 50) if "error" not in e else 50
        g.add(f"{k} writers: GUI edit loop", "succeeded" if not failed and "error" not in e else "refused",
              note=f"{failed}/50 edits failed, slowest {e.get('max_ms', '?')} ms; {e.get('first_error') or e.get('error') or ''}")
        n = query(project, "SELECT count(*) FROM records")[0][0]
        n_edit = query(project, "SELECT count(*) FROM spans WHERE record_id = 1")[0][0]
        want = 1 + 1500 * ok
        g.add(f"{k} writers: final count", "succeeded" if n == 1 + 1500 * k else "inconsistent",
              leftovers=leftovers(project),
              wrong=None if n == want and n_edit == 50 - failed else
              f"{n} records (expected {want} from {ok} successful imports), {n_edit} edit spans",
              note=f"{n} records, goal {1 + 1500 * k}")
        g.extra[f"{k}_writers"] = f"{ok}/{k} imports ok, {failed}/50 edits failed (slowest edit " \
                                  f"{e.get('max_ms', '?')} ms), {n} records"
    ones = 0
    for i in range(5):
        project = fresh_project("firstuse")
        a, b = popen_cli("models", project), popen_cli("models", project)
        ra = Res(a.wait(120), a.stdout.read(), a.stderr.read(), 0)
        rb = Res(b.wait(120), b.stdout.read(), b.stderr.read(), 0)
        v0 = query(project, "SELECT count(*) FROM model_versions WHERE version = 0")[0][0]
        total = query(project, "SELECT count(*) FROM model_versions")[0][0]
        ones += v0 == 1 and total == 1
        for tag, r in (("a", ra), ("b", rb)):
            g.cli_case(f"first use #{i + 1}{tag}: `models` twice at once", r, "succeed",
                       wrong=None if (v0, total) == (1, 1) else f"{total} model versions, {v0} version 0")
    g.extra["first_use_exactly_one_v0"] = f"{ones}/5"


# ============================================================== 8. durability


def g_durability(g: Group) -> None:
    project = fresh_project("durable")
    helper("add-records", project, json.dumps([{"text": "胸痛三天发热"}]))
    r = helper("durability", project, 200)
    if "error" in r:
        g.add("synchronous + ms/edit", "traceback", note=r["error"])
        return
    g.extra["durability"] = r
    sync = r.get("app_synchronous")
    names = {0: "OFF", 1: "NORMAL", 2: "FULL", 3: "EXTRA"}
    g.add(f"PRAGMA synchronous on the app's connection = {sync} ({names.get(sync, '?')})",
          "succeeded" if sync in (2, 3) else "inconsistent",
          wrong=None if sync in (2, 3) else "synchronous below FULL: committed edits can be lost on power loss")
    g.notes.append(f"app synchronous={sync}; ms/edit app {r['ms_app']:.2f}, NORMAL {r['ms_normal']:.2f}, "
                   f"FULL {r['ms_full']:.2f}")


# ============================================================== API helpers (subprocess side)


def run_helper(argv: list[str]) -> None:
    sys.path.insert(0, str(CODE))
    from madpg_core.domain import Record, RecordStatus, Span
    from madpg_core.storage import repo
    from madpg_core.storage.project import Project

    what, project = argv[0], Path(argv[1])
    if what == "add-records":
        with Project.open(project) as p, p.transaction() as s:
            for r in json.loads(argv[2]):
                spans = tuple(Span(x["start"], x["end"], x["label"]) for x in r.get("spans", []))
                repo.add_record(s, Record(r["text"], spans, (), r.get("name", ""),
                                          RecordStatus(r.get("status", "new"))))
        print(json.dumps({"ok": True}))
    elif what == "edit-loop":  # a GUI's edits while others write: one transaction per edit
        n, failed, first, worst = int(argv[2]), 0, None, 0.0
        with Project.open(project) as p:
            for i in range(n):
                t = time.monotonic()
                try:
                    with p.transaction() as s:
                        repo.add_span(s, 1, Span(2 * i, 2 * i + 1, "Symptom"))
                except Exception as e:  # noqa: BLE001 - counted, that is the point
                    failed += 1
                    first = first or f"{type(e).__name__}: {str(e)[:150]}"
                worst = max(worst, time.monotonic() - t)
                time.sleep(0.05)
        print(json.dumps({"failed": failed, "first_error": first, "max_ms": round(1000 * worst)}))
    elif what == "durability":
        from sqlalchemy import event

        n = int(argv[2])

        def timed(setting: str | None) -> tuple[float, int]:
            with Project.open(project) as p:
                if setting:
                    event.listen(p.engine, "connect", lambda c, _r: c.execute(f"PRAGMA synchronous={setting}"))
                    p.engine.dispose()
                with p.engine.connect() as c:
                    sync = c.exec_driver_sql("PRAGMA synchronous").scalar()
                rid = 1
                t = time.perf_counter()
                sid = None
                for i in range(n):
                    with p.transaction() as s:
                        if sid is None:
                            sid = repo.add_span(s, rid, Span(0, 2, "Symptom"))
                        else:
                            repo.delete_span(s, sid)
                            sid = None
                return 1000 * (time.perf_counter() - t) / n, sync

        times: dict[str, list[float]] = {"app": [], "normal": [], "full": []}
        syncs = {}
        for _ in range(3):  # interleaved rounds, median: the disk and the other core are shared
            for key, setting in (("app", None), ("normal", "NORMAL"), ("full", "FULL")):
                ms, syncs[key] = timed(setting)
                times[key].append(ms)
        med = {f"ms_{k}": sorted(v)[1] for k, v in times.items()}
        print(json.dumps({"app_synchronous": syncs["app"], "normal_check": syncs["normal"], "full_check": syncs["full"],
                          **med, "edits_per_round": n, "rounds": times}))


# ============================================================== main

GROUPS = {"path-escape": g_path_escape, "corrupt-images": g_corrupt_images, "malformed-input": g_malformed,
          "jsonl-separators": g_separators, "project-files": g_project_files, "kill-import": g_kill_import,
          "kill-export": g_kill_export, "kill-train": g_kill_train, "kill-prelabel": g_kill_prelabel,
          "concurrent-writers": g_concurrent, "durability": g_durability}


LEGEND = ("In kill-* rows, succeeded = the project was consistent after the kill, one read-only `madpg stats` and "
          "one writable open (`madpg models`, which clears what dead processes left); in every "
          "row, tried − refused − succeeded − traceback = runs left inconsistent or failed without a clear message.")


def table(rows: list[dict]) -> str:
    lines = ["| group | " + " | ".join(HEAD) + " | notes |", "|---" * (len(HEAD) + 2) + "|"]
    for r in rows:
        lines.append(f"| {r['group']} | " + " | ".join(str(r[c]) for c in COLUMNS) + f" | {r['notes']} |")
    return "\n".join(lines) + "\n\n" + LEGEND


def main() -> int:
    global WORK, ENV, CODE
    if len(sys.argv) > 1 and sys.argv[1] == "--_helper":
        run_helper(sys.argv[2:])
        return 0
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="5 runs per kill group instead of 20")
    ap.add_argument("--only", help="comma-separated groups: " + ", ".join(GROUPS))
    ap.add_argument("--json", type=Path, default=ROOT / "benchmarks" / "reliability-results.json")
    ap.add_argument("--keep", action="store_true", help="keep the temporary folder")
    ap.add_argument("--code", type=Path, help="run the madpg_core of this checkout (default: this one), e.g. "
                                              "an unpacked `git archive HEAD` to measure the last commit")
    args = ap.parse_args()
    chosen = [x.strip() for x in args.only.split(",")] if args.only else list(GROUPS)
    unknown = [x for x in chosen if x not in GROUPS]
    if unknown:
        ap.error(f"unknown group(s): {', '.join(unknown)}")
    runs = 5 if args.quick else 20
    CODE = (args.code or CODE).resolve()
    WORK = Path(tempfile.mkdtemp(prefix="madpg-reliability-"))
    ENV = {**os.environ, "MADPG_HOME": str(WORK / "home"), "PYTHONPATH": str(CODE), "MADPG_BENCH_CODE": str(CODE)}
    log(f"madpg_core from {CODE}, temporary folder {WORK}")
    rows = []
    try:
        for name in chosen:
            g = Group(name)
            t = time.monotonic()
            log(f"group {name}")
            try:
                fn = GROUPS[name]
                fn(g, runs) if name.startswith("kill-") else fn(g)
            except Exception as e:  # noqa: BLE001 - a broken group is reported, the others still run
                g.notes.append(f"GROUP ABORTED: {type(e).__name__}: {e}")
                log(f"  group {name} aborted: {type(e).__name__}: {e}")
            g.extra["seconds"] = round(time.monotonic() - t, 1)
            rows.append(g.row())
    finally:
        if not args.keep:
            subprocess.run(["chmod", "-R", "u+w", str(WORK)], check=False)
            shutil.rmtree(WORK, ignore_errors=True)
    print(table(rows))
    git = subprocess.run(["git", "-C", str(CODE), "describe", "--always", "--dirty"], capture_output=True, text=True, check=False)
    args.json.write_text(json.dumps({"mode": "quick" if args.quick else "full", "kill_runs": runs, "code": str(CODE),
                                     "git": git.stdout.strip() or "not a git checkout",
                                     "tmp_fs": subprocess.run(["stat", "-f", "-c", "%T", tempfile.gettempdir()],
                                                              capture_output=True, text=True, check=False).stdout.strip(),
                                     "seconds": round(time.monotonic() - T0, 1), "python": PY,
                                     "groups": rows}, ensure_ascii=False, indent=1, default=str), encoding="utf-8")
    log(f"wrote {args.json} ({time.monotonic() - T0:.0f}s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
