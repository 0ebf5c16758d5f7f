"""Several annotators writing one project at once, on SQLite and on PostgreSQL (issue 17, "Measured").

    .venv/bin/python benchmarks/team.py                              # 8 writers × 1,000 edits, both stores
    .venv/bin/python benchmarks/team.py --writers 8 --edits 300      # shorter, on a loaded machine
    .venv/bin/python benchmarks/team.py --backends postgresql --json /tmp/team.json

PostgreSQL: the server at $MADPG_TEST_PG_URL (a fresh database is created on it and dropped after),
else a throw-away cluster this script starts and stops (tests/pg_cluster.py, the helper .ci/run
uses; started durable — fsync on — so latencies are what a department's server gives).

Each writer is its own process with its own annotator name, and each edit is its own transaction
(``Project.transaction``), as in the GUI, back to back (no think time: the worst case of load). The edit mix per writer: 70 % add a span (at offsets only
that writer uses), 20 % change the type of one of its own spans naming the revision it read, 10 %
change the type of one of four "hot" spans every writer edits (each writer adds its spans starting
on a different record, as annotators do; the hot spans are where they meet), naming the revision it read; a
refused stale write (StaleWriteError) is counted with its message, the span re-read and the edit
tried again.

Lost updates, counted afterwards from the store:
  * own spans: every span a writer added must be there with the type it last gave it (a missing
    span or another type is one lost update);
  * hot spans: each successful write names the revision it was based on; two successes based on
    the same revision mean one overwrote the other unseen (one lost update each), and the final
    revision must be 1 + the successful writes.
Save latency: the wall time of each edit's transaction (open, write, commit), refused ones included.
Agreement: 500 records given to two annotators, each with their own sheet (synthetic texts of 200
characters, seeded perturbations as benchmarks/agreement.py), timed from reading the sheets out of
the project to the finished report.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import random
import re
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))
sys.path.insert(0, str(ROOT / "tests"))

HOT = 4  # spans every writer edits
SLOT = 40  # characters of each record a writer owns (room for 20 one-character spans)
TYPES = ("Disease", "Symptom", "Organ", "Attribute", "Treatment")


# ---------------------------------------------------------------- the project


def make_project(location: str | Path, writers: int, edits: int) -> tuple[list[int], int, list[int]]:
    """→ (record ids for the writers' own spans, the hot record's id, the hot spans' ids)."""
    from madpg_core.domain import LabelSchema, Record, Span
    from madpg_core.storage import repo
    from madpg_core.storage.project import Project

    n_records = max(1, -(-edits // (SLOT // 2)))  # enough slots for every edit being an addition
    with Project.create(location, LabelSchema.from_names(list(TYPES))) as p, p.transaction() as s:
        ids = [repo.add_record(s, Record("病" * (SLOT * writers), name=f"r{i}")) for i in range(n_records)]
        hot_record = repo.add_record(s, Record("热" * (2 * HOT), name="hot"))
        hot = [repo.add_span(s, hot_record, Span(2 * k, 2 * k + 1, "Symptom")) for k in range(HOT)]
    return ids, hot_record, hot


def writer(location: str, home: str, n: int, writers: int, edits: int, records: list[int], hot_record: int,
           hot: list[int], think_s: float, blind: bool, go: mp.Event, out: mp.Queue) -> None:
    os.environ["MADPG_HOME"] = home  # each desk its own local folder
    os.environ["MADPG_ANNOTATOR"] = f"writer{n}"
    from madpg_core.domain import Span
    from madpg_core.errors import StaleWriteError
    from madpg_core.storage import repo
    from madpg_core.storage.project import Project

    rng = random.Random(n)
    # each writer starts on another record, as annotators work through different records; the
    # hot spans are where they meet on purpose
    turn = n * len(records) // max(1, writers)
    order = records[turn:] + records[:turn]
    slots = [(rid, n * SLOT + 2 * k) for rid in order for k in range(SLOT // 2)]
    own: dict[int, tuple[int, int, str, int]] = {}  # span id → (record, start, type, revision)
    latencies, refused, messages, based_on, errors = [], 0, {}, [], []
    with Project.open(location, backup=False) as p:
        go.wait()
        for _ in range(edits):
            if think_s:
                time.sleep(rng.expovariate(1 / think_s))  # the annotator reads and decides
            u = rng.random()
            try:
                if u < 0.10:  # a hot span: contended
                    sid = rng.choice(hot)
                    label = rng.choice(TYPES)
                    while True:
                        with p.reading() as s:
                            rev = next(sp.revision for sp in repo.spans_of(s, hot_record) if sp.id == sid)
                        t0 = time.perf_counter()
                        try:
                            with p.transaction() as s:
                                repo.change_span_label(s, sid, label, expected_revision=None if blind else rev)
                        except StaleWriteError as e:
                            latencies.append(time.perf_counter() - t0)
                            refused += 1
                            # counted per message, the annotator's name and the time left out
                            kind = re.sub(r"\(writer\d+\)", "(NAME)", re.sub(r"\d\d:\d\d", "HH:MM", str(e)))
                            messages[kind] = messages.get(kind, 0) + 1
                            continue
                        latencies.append(time.perf_counter() - t0)
                        based_on.append((sid, rev))
                        break
                elif u < 0.30 and own:  # one of its own spans, naming the revision it read
                    sid = rng.choice(list(own))
                    rid, start, _old, rev = own[sid]
                    label = rng.choice(TYPES)
                    t0 = time.perf_counter()
                    with p.transaction() as s:
                        repo.change_span_label(s, sid, label, expected_revision=rev)
                    latencies.append(time.perf_counter() - t0)
                    own[sid] = (rid, start, label, rev + 1)
                else:
                    rid, start = slots[len(own)]
                    label = rng.choice(TYPES)
                    t0 = time.perf_counter()
                    with p.transaction() as s:
                        sid = repo.add_span(s, rid, Span(start, start + 1, label))
                    latencies.append(time.perf_counter() - t0)
                    own[sid] = (rid, start, label, 1)
            except Exception as e:  # noqa: BLE001 - counted and shown, the run goes on
                errors.append(f"{type(e).__name__}: {e}")
    out.put({"n": n, "latencies": latencies, "refused": refused, "messages": messages, "based_on": based_on,
             "own": {sid: v[:3] for sid, v in own.items()}, "errors": errors[:5], "n_errors": len(errors)})


def _merge(counts: list[dict[str, int]]) -> dict[str, int]:
    out: dict[str, int] = {}
    for c in counts:
        for k, v in c.items():
            out[k] = out.get(k, 0) + v
    return out


def run_writers(location: str, writers: int, edits: int, tmp: Path, think_s: float = 0.0, blind: bool = False) -> dict:
    from madpg_core.storage import repo
    from madpg_core.storage.project import Project

    records, hot_record, hot = make_project(location, writers, edits)
    ctx = mp.get_context("spawn")
    go, out = ctx.Event(), ctx.Queue()
    procs = [ctx.Process(target=writer, args=(location, str(tmp / f"desk{n}"), n, writers, edits, records, hot_record,
                                              hot, think_s, blind, go, out)) for n in range(writers)]
    for proc in procs:
        proc.start()
    time.sleep(1.0)
    t0 = time.perf_counter()
    go.set()
    results = [out.get(timeout=3600) for _ in procs]
    wall = time.perf_counter() - t0
    for proc in procs:
        proc.join(60)

    with Project.open(location, read_only=True) as p, p.reading() as s:
        spans = {sp.id: sp for rid in records for sp in repo.spans_of(s, rid)}
        hot_now = {sp.id: sp for sp in repo.spans_of(s, hot_record)}
    lost_own = sum(1 for r in results for sid, (rid, start, label) in r["own"].items()
                   if sid not in spans or spans[sid].label != label or spans[sid].start != start)
    based = [tuple(x) for r in results for x in r["based_on"]]
    lost_hot = len(based) - len(set(based))
    lost_hot += sum(abs(hot_now[sid].revision - 1 - sum(1 for h, _ in based if h == sid)) for sid in hot)
    lat = sorted(x for r in results for x in r["latencies"])
    return {"writers": writers, "edits_per_writer": edits, "think_ms": 1000 * think_s, "saves": len(lat), "wall_s": wall,
            "lost_updates": lost_own + lost_hot, "lost_own": lost_own, "lost_hot": lost_hot,
            "refused_stale": sum(r["refused"] for r in results),
            "refused_messages": _merge([r["messages"] for r in results]),
            "p50_ms": 1000 * statistics.median(lat) if lat else None,
            "p95_ms": 1000 * lat[int(0.95 * (len(lat) - 1))] if lat else None,
            "max_ms": 1000 * lat[-1] if lat else None,
            "errors": sum(r["n_errors"] for r in results), "error_samples": [e for r in results for e in r["errors"]][:3]}


# ---------------------------------------------------------------- agreement


def time_agreement(location: str, n_records: int, seed: int = 0) -> dict:
    from agreement import perturb, synthetic_pieces

    from madpg_core.agreement import compute_agreement
    from madpg_core.domain import Record
    from madpg_core.storage import repo, team
    from madpg_core.storage.project import Project

    rng = random.Random(seed)
    pieces = synthetic_pieces(n_records, rng)
    types = sorted({sp.label for _, spans in pieces for sp in spans})
    with Project.open(location, backup=False) as p:
        with p.transaction() as s:
            repo.set_schema(s, repo.get_schema(s).__class__.from_names(sorted(set(TYPES) | set(types))))
            ids = [repo.add_record(s, Record(text, name=f"double{i}")) for i, (text, _) in enumerate(pieces)]
            team.assign(s, ids, ["li", "wang"])
            for rid, (text, gold) in zip(ids, pieces, strict=True):
                repo.replace_spans(s, rid, gold, sheet="li")
                repo.replace_spans(s, rid, perturb(text, gold, types, rng), sheet="wang")
        t0 = time.perf_counter()
        with p.reading() as s:
            if hasattr(team, "double_annotated_sheets"):  # the project's own read, as `madpg agreement`
                layers = [(text, sheets) for _, text, sheets in team.double_annotated_sheets(s)]
                how = "team.double_annotated_sheets"
            else:
                layers = [(repo.get_record(s, rid).text, team.sheets(s, rid)) for rid in team.double_records(s)]
                how = "team.sheets per record"
        t1 = time.perf_counter()
        report = compute_agreement(layers, annotators=["li", "wang"])
        report.markdown()
        t2 = time.perf_counter()
    return {"records": len(layers), "read": how, "read_s": t1 - t0, "compute_s": t2 - t1, "total_s": t2 - t0}


# ---------------------------------------------------------------- the stores


def postgres_database(tmp: Path):  # noqa: ANN201 - (url, clean-up)
    """A fresh database on $MADPG_TEST_PG_URL's server, else on a cluster started here."""
    import psycopg
    from sqlalchemy.engine import make_url

    import pg_cluster

    base = os.environ.get("MADPG_TEST_PG_URL")
    started = None
    if not base:
        # its own folder under /tmp: the server runs as the postgres user, who cannot enter ``tmp``
        started = Path(tempfile.mkdtemp(prefix="madpg-bench-pg-"))
        base = pg_cluster.start(started, durable=True)
    url = make_url(base).set(drivername="postgresql")
    name = f"madpg_bench_{uuid.uuid4().hex[:8]}"
    admin = psycopg.connect(url.render_as_string(hide_password=False), autocommit=True)
    admin.execute(f'CREATE DATABASE "{name}"')

    def clean() -> None:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()
        if started is not None:
            pg_cluster.stop(started)

    where = "server at $MADPG_TEST_PG_URL" if started is None else "throw-away cluster (fsync on)"
    return url.set(database=name).render_as_string(hide_password=False), clean, where


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--writers", type=int, default=8)
    ap.add_argument("--edits", type=int, default=1000, help="span edits per writer")
    ap.add_argument("--backends", default="sqlite,postgresql")
    ap.add_argument("--think-ms", type=float, default=0.0,
                    help="mean pause before each edit (exponential), as an annotator reading; 0: back to back")
    ap.add_argument("--blind", action="store_true",
                    help="write the hot spans without naming the revision read (no stale-write check): shows that "
                         "the lost-update count finds what such writes lose")
    ap.add_argument("--agreement-records", type=int, default=500)
    ap.add_argument("--json", type=Path, help="also write the results here")
    args = ap.parse_args(argv)
    rows = []
    with tempfile.TemporaryDirectory(prefix="madpg-team-") as tmpdir:
        tmp = Path(tmpdir)
        os.environ["MADPG_HOME"] = str(tmp / "home")
        for backend in [b.strip() for b in args.backends.split(",") if b.strip()]:
            if backend == "sqlite":
                location, clean, where = str(tmp / "project"), (lambda: None), "project folder (synchronous=FULL)"
            elif backend == "postgresql":
                location, clean, where = postgres_database(tmp)
            else:
                return print(f"unknown backend {backend}", file=sys.stderr) or 2
            try:
                row = {"store": backend, "where": where, **run_writers(location, args.writers, args.edits, tmp, args.think_ms / 1000,
                                                                          args.blind)}
                row["agreement"] = time_agreement(location, args.agreement_records)
            finally:
                clean()
            rows.append(row)
            print(json.dumps(row, ensure_ascii=False), file=sys.stderr)
    print(f"| store | writers × edits (think ms) | saves | wall s | lost updates | refused stale writes | p50 ms | p95 ms "
          f"| max ms | errors | agreement on {args.agreement_records} double records (read + compute) s |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        a = r["agreement"]
        print(f"| {r['store']} | {r['writers']} × {r['edits_per_writer']} ({r['think_ms']:.0f}) | {r['saves']} | {r['wall_s']:.1f} "
              f"| {r['lost_updates']} | {r['refused_stale']} | {r['p50_ms']:.1f} | {r['p95_ms']:.1f} "
              f"| {r['max_ms']:.0f} | {r['errors']} | {a['total_s']:.2f} ({a['read_s']:.2f} + {a['compute_s']:.2f}) |")
    for r in rows:
        for m, n in r["refused_messages"].items():
            print(f"{r['store']}: refused {n}× with: {m}")
        for e in r["error_samples"]:
            print(f"{r['store']}: error: {e}")
    if args.json:
        args.json.write_text(json.dumps(rows, ensure_ascii=False, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
