"""Scores of a trained model on cehrner test in the paper's schema (the default model's card).

    .venv/bin/python benchmarks/default_model.py                       # the bundled default model
    .venv/bin/python benchmarks/default_model.py --model DIR --split dev

Strict entity P/R/F1, micro and per type, with a bootstrap 95 % interval of micro F1 (documents
resampled). cehrner's 影像检查/实验室检验 have no paper type and are dropped by the map.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from common import CEHRNER, ROOT, bootstrap_f1, machine, markdown, need_data

from madpg_core.formats import load_type_map, read_records
from madpg_core.inference.predictor import Predictor
from madpg_core.paths import default_model_dir
from madpg_core.train.metrics import score_spans

PAPER_MAP = ROOT / "resources" / "maps" / "cehrner-to-paper.json"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", type=Path, default=default_model_dir())
    ap.add_argument("--split", default="test", choices=("train", "dev", "test"))
    args = ap.parse_args()
    need_data()
    records, _ = read_records(CEHRNER / f"{args.split}.json", "cehrner", load_type_map(PAPER_MAP))
    predictor = Predictor.load(args.model, device="cpu")
    t = time.perf_counter()
    pred = predictor.predict(records)
    seconds = time.perf_counter() - t
    gold = [list(r.spans) for r in records]
    scores = score_spans(gold, pred)
    lo, hi = bootstrap_f1(gold, pred)
    rows = []
    for name, s in [("micro", scores.micro), *sorted(scores.per_type.items())]:
        rows.append({"type": name, "P": 100 * s.precision, "R": 100 * s.recall, "F1": 100 * s.f1,
                     "gold": s.support})
    print(f"model {predictor.version} on cehrner {args.split} mapped to the paper's types "
          f"({len(records)} documents, {sum(map(len, gold))} entities), {seconds:.1f} s")
    print(f"machine: {machine()}\n")
    print(markdown(rows, ["type", "P", "R", "F1", "gold"]))
    print(f"\nmicro F1 {100 * scores.micro.f1:.2f}, bootstrap 95% interval {100 * lo:.1f}–{100 * hi:.1f}")


if __name__ == "__main__":
    main()
