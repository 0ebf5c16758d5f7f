"""The kill case groups (6.): ``kill_series`` times one clean run, then kills runs at a uniform time
within it (half SIGKILL, half SIGTERM) and checks the project after a read-only `madpg stats` and a
writable `madpg models`; ``g_kill_import``, ``g_kill_export``, ``g_kill_train`` and
``g_kill_prelabel`` build the targets and consistency checks for each command, and
``models_consistent`` checks model_versions against the model folders.
"""

from __future__ import annotations

import json
import random
import shutil
import signal
import subprocess
import time
import zlib
from collections import Counter
from pathlib import Path

from . import config as cfg
from .data import corpus, png
from .harness import Group, Res, cli, fresh_project, integrity, leftovers, popen_cli, query


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
    d = cfg.WORK / "kill-import"
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
    d = cfg.WORK / "kill-export"
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
    d = cfg.WORK / "kill-train"
    tpl = fresh_project("ktrain-tpl")
    cli("import", tpl, corpus(d / "60.jsonl", 60, 13, status="reviewed"), "--format", "jsonl")
    cli("import", tpl, corpus(d / "40.jsonl", 40, 14), "--format", "jsonl")
    cli("models", tpl)  # registers the bundled model, so the kill runs time the training only

    def make(i: int) -> dict:
        p = cfg.WORK / "projects" / f"ktrain-{i}"
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
    d = cfg.WORK / "kill-prelabel"
    tpl = fresh_project("kpre-tpl")
    cli("import", tpl, corpus(d / "200.jsonl", 200, 15, spans=False), "--format", "jsonl")  # the model adds spans
    cli("models", tpl)

    def make(i: int) -> dict:
        p = cfg.WORK / "projects" / f"kpre-{i}"
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
