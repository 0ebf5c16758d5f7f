"""Distributed training on the CPU: the same `madpg train` on cEHRNER, as 1 and as N processes.

    python benchmarks/distributed.py [--train-records 400] [--dev-records 150] [--epochs 3]
                                     [--preset bilstm-crf] [--runs 1x16,2x16,2x8]
                                     [--prelabel-records 600] [--prelabel-nprocs 1,2]

Each run is the real command (`madpg train … --nproc N`, torchrun and gloo for N > 1) on the first
records of cEHRNER's train and dev files; the table gives the wall time of the whole command
(start-up included), training throughput (records × epochs per second of training, from the
checkpoint's own clock, dev scoring included) and the best dev F1. A run "NxB" is N processes
with batches of B: each optimiser step sees N batches (effective batch N × B), so 2x16 makes half
as many steps per epoch as 1x16, and 2x8 as many steps, of the same effective batch, as 1x16.

Then `madpg prelabel PROJECT --model M --nproc N` with the first run's model on a new project of
cEHRNER train records it was not trained on (the same records for every N, each in a fresh copy):
wall time of the whole command (start-up and model loading included) and records/s.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import CEHRNER, CEHRNER_TYPES, ROOT, load_cehrner, machine, markdown, need_data


def _write(records: list, path: Path) -> Path:
    lines = [json.dumps({"text": r.text, "spans": [{"start": s.start, "end": s.end, "label": s.label}
                                                   for s in r.spans]}, ensure_ascii=False) for r in records]
    path.write_text("\n".join(lines), "utf-8")
    return path


def run(nproc: int, batch: int, train: Path, dev: Path, out: Path, args: argparse.Namespace) -> dict:
    cmd = [sys.executable, "-m", "madpg_core.cli", "train", "--preset", args.preset, "--train", str(train),
           "--dev", str(dev), "--format", "jsonl", "--out", str(out), "--epochs", str(args.epochs),
           "--device", "cpu", "--nproc", str(nproc), "--seed", "42", "--batch-size", str(batch)]
    started = time.monotonic()
    done = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    wall = time.monotonic() - started
    if done.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed:\n{done.stderr[-3000:]}")
    meta = json.loads((out / "config.json").read_text("utf-8"))["meta"]
    train_s = meta["history"][-1]["seconds"] if meta["history"] else meta["seconds"]
    return {"processes": nproc, "batch": batch, "effective batch": nproc * batch, "wall s": wall, "train s": train_s,
            "records/s": args.train_records * len(meta["history"]) / max(train_s, 1e-9),
            "dev F1": 100 * meta["dev"]["micro"]["f1"], "best epoch": meta["best_epoch"]}


def prelabel_rows(model: Path, folder: Path, args: argparse.Namespace) -> list[dict]:
    import shutil

    from madpg_core.domain import LabelSchema, Record
    from madpg_core.storage import repo
    from madpg_core.storage.project import Project

    source = folder / "source"
    # train records the model did not see (cEHRNER's dev and test hold 44 and 41 records only)
    records = load_cehrner("train")[args.train_records: args.train_records + args.prelabel_records]
    with Project.create(source, LabelSchema.from_names(list(CEHRNER_TYPES))) as p, p.transaction() as s:
        for r in records:
            repo.add_record(s, Record(r.text))
    rows = []
    for n in (int(x) for x in args.prelabel_nprocs.split(",")):
        project = folder / f"p{n}"
        shutil.copytree(source, project)
        cmd = [sys.executable, "-m", "madpg_core.cli", "prelabel", str(project), "--model", str(model), "--device",
               "cpu", "--nproc", str(n)]
        started = time.monotonic()
        done = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
        wall = time.monotonic() - started
        if done.returncode != 0:
            sys.exit(f"{' '.join(cmd)} failed:\n{done.stderr[-3000:]}")
        rows.append({"workers": n, "records": len(records), "wall s": wall, "records/s": len(records) / wall,
                     "said": done.stdout.strip().splitlines()[-1]})
        print(rows[-1], file=sys.stderr, flush=True)
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--train-records", type=int, default=400)
    ap.add_argument("--dev-records", type=int, default=150, help="cEHRNER's dev file has 44")
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--preset", default="bilstm-crf")
    ap.add_argument("--runs", default="1x16,2x16,2x8", help="PROCESSESxBATCH, comma-separated")
    ap.add_argument("--prelabel-records", type=int, default=600, help="0: no pre-labelling rows")
    ap.add_argument("--prelabel-nprocs", default="1,2")
    args = ap.parse_args()
    need_data()
    rows, labelled = [], []
    with tempfile.TemporaryDirectory(prefix="madpg-dist-bench-") as tmp:
        train = _write(load_cehrner("train")[: args.train_records], Path(tmp) / "train.jsonl")
        dev_records = load_cehrner("dev")[: args.dev_records]
        n_dev = len(dev_records)
        dev = _write(dev_records, Path(tmp) / "dev.jsonl")
        load = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
        for spec in args.runs.split(","):
            n, batch = (int(x) for x in spec.lower().split("x"))
            rows.append(run(n, batch, train, dev, Path(tmp) / f"model-{spec}", args))
            print(rows[-1], file=sys.stderr, flush=True)
        if args.prelabel_records:
            first = args.runs.split(",")[0]
            labelled = prelabel_rows(Path(tmp) / f"model-{first}", Path(tmp), args)
    print(f"{args.preset}, {args.train_records} cEHRNER train records ({CEHRNER}), {n_dev} dev, "
          f"{args.epochs} epochs, CPU (gloo); {machine()}; 1-min load average at start: "
          f"{'n/a' if load is None else f'{load:.1f}'}\n")
    print(markdown(rows, ["processes", "batch", "effective batch", "wall s", "train s", "records/s", "dev F1",
                          "best epoch"]))
    if labelled:
        print(f"\nmadpg prelabel --nproc N, model of run {args.runs.split(',')[0]}, unseen cEHRNER train records:\n")
        print(markdown(labelled, ["workers", "records", "wall s", "records/s", "said"]))


if __name__ == "__main__":
    main()
