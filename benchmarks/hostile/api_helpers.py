"""The subprocess side of ``harness.helper``: Python-API steps that the CLI cannot do, run as
`reliability.py --_helper WHAT PROJECT ...` with the checkout under test first on sys.path, each
printing one JSON object: add-records (records the importers cannot make), edit-loop (a GUI's edits,
one transaction each, while others write) and durability (ms per edit at the app's PRAGMA synchronous,
NORMAL and FULL).
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from . import config as cfg


# ============================================================== API helpers (subprocess side)


def run_helper(argv: list[str]) -> None:
    sys.path.insert(0, str(cfg.CODE))
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
