"""The concurrent-writers case group (7.: 2 and 4 importers at once with a GUI-like edit loop, and two
first uses of `madpg models` at once that must register exactly one version 0) and the durability
group (8.: the app connection's PRAGMA synchronous and ms per edit at NORMAL and FULL).
"""

from __future__ import annotations

import json
import subprocess

from . import config as cfg
from .data import corpus
from .harness import Group, Res, fresh_project, helper, leftovers, log, popen_cli, query


# ============================================================== 7. concurrent writers


def g_concurrent(g: Group) -> None:
    d = cfg.WORK / "concurrent"
    for k in (2, 4):
        project = fresh_project(f"conc{k}")
        helper("add-records", project, json.dumps([{"text": "患" * 200}]))
        files = [corpus(d / f"{k}-{i}.jsonl", 1500, 100 * k + i) for i in range(k)]
        log(f"  {k} importers + a GUI edit loop")
        edit = subprocess.Popen([cfg.PY, cfg.SCRIPT, "--_helper", "edit-loop", str(project), "50"], cwd=cfg.CODE,
                                env=cfg.ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
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
