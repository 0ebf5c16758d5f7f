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
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# run as a script, sys.path[0] is benchmarks/, so the case groups import as the package `hostile`
from hostile import config as cfg
from hostile.api_helpers import run_helper
from hostile.concurrency import g_concurrent, g_durability
from hostile.harness import COLUMNS, HEAD, Group, log
from hostile.inputs import g_corrupt_images, g_malformed, g_path_escape, g_separators
from hostile.kills import g_kill_export, g_kill_import, g_kill_prelabel, g_kill_train
from hostile.project_files import g_project_files

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
    if len(sys.argv) > 1 and sys.argv[1] == "--_helper":
        run_helper(sys.argv[2:])
        return 0
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="5 runs per kill group instead of 20")
    ap.add_argument("--only", help="comma-separated groups: " + ", ".join(GROUPS))
    ap.add_argument("--json", type=Path, default=cfg.ROOT / "benchmarks" / "reliability-results.json")
    ap.add_argument("--keep", action="store_true", help="keep the temporary folder")
    ap.add_argument("--code", type=Path, help="run the madpg_core of this checkout (default: this one), e.g. "
                                              "an unpacked `git archive HEAD` to measure the last commit")
    args = ap.parse_args()
    chosen = [x.strip() for x in args.only.split(",")] if args.only else list(GROUPS)
    unknown = [x for x in chosen if x not in GROUPS]
    if unknown:
        ap.error(f"unknown group(s): {', '.join(unknown)}")
    runs = 5 if args.quick else 20
    # the start-up settings, in one place (hostile/config.py) that every module reads at call time
    cfg.CODE = (args.code or cfg.CODE).resolve()
    cfg.WORK = Path(tempfile.mkdtemp(prefix="madpg-reliability-"))
    cfg.ENV = {**os.environ, "MADPG_HOME": str(cfg.WORK / "home"), "PYTHONPATH": str(cfg.CODE),
               "MADPG_BENCH_CODE": str(cfg.CODE)}
    log(f"madpg_core from {cfg.CODE}, temporary folder {cfg.WORK}")
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
            subprocess.run(["chmod", "-R", "u+w", str(cfg.WORK)], check=False)
            shutil.rmtree(cfg.WORK, ignore_errors=True)
    print(table(rows))
    git = subprocess.run(["git", "-C", str(cfg.CODE), "describe", "--always", "--dirty"], capture_output=True, text=True,
                         check=False)
    args.json.write_text(json.dumps({"mode": "quick" if args.quick else "full", "kill_runs": runs,
                                     "code": str(cfg.CODE),
                                     "git": git.stdout.strip() or "not a git checkout",
                                     "tmp_fs": subprocess.run(["stat", "-f", "-c", "%T", tempfile.gettempdir()],
                                                              capture_output=True, text=True, check=False).stdout.strip(),
                                     "seconds": round(time.monotonic() - cfg.T0, 1), "python": cfg.PY,
                                     "groups": rows}, ensure_ascii=False, indent=1, default=str), encoding="utf-8")
    log(f"wrote {args.json} ({time.monotonic() - cfg.T0:.0f}s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
