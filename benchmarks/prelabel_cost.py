"""CPU cost of pre-labelling one record, the dependency parse included (issue 20 item 8: goal ≤ 2×
a plain BiLSTM-CRF of the project's baseline shape, in CPU time, parse included).

Pre-labelling predicts in batches of 8 (``Predictor.CPU_BATCH``); the parse the GCN needs is made
either one text at a time, in one ``nlp.pipe`` batch over all the records (as the background parse
after an import and ``CachedParser.parse_many`` do), or not at all because the cache holds it. CPU
time (``time.process_time``) on one torch thread, so other jobs on the machine matter less.

    .venv/bin/python benchmarks/prelabel_cost.py                 # about 2 minutes on 2 cores
    .venv/bin/python benchmarks/prelabel_cost.py --records 64 --runs 3
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch
from common import load_cehrner, machine, markdown, need_data
from speed import texts_of, untrained

from madpg_core.domain import Record
from madpg_core.inference.predictor import Predictor
from madpg_core.model.config import build_config
from madpg_core.paths import default_model_dir
from madpg_core.text.parser import CachedParser, MemoryParseCache

BATCH = 8


def cpu_ms(fn, n: int) -> float:  # noqa: ANN001
    t = time.process_time()
    fn()
    return 1000 * (time.process_time() - t) / n


def predict_in_batches(p: Predictor, recs: list[Record]) -> None:
    for i in range(0, len(recs), BATCH):
        p.predict(recs[i:i + BATCH])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--records", type=int, default=64)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--lengths", default="128,512")
    args = ap.parse_args()
    torch.set_num_threads(1)
    need_data()
    train, test = load_cehrner("train"), load_cehrner("test")
    baseline = untrained(build_config("bilstm-crf", entity_types=("疾病和诊断", "症状")), train)
    default = Predictor.load(default_model_dir(), device="cpu")
    raw_parser = default.parser
    rows = []
    for length in (int(x) for x in args.lengths.split(",")):
        recs = [Record(t) for t in texts_of(length, args.records, test)]
        predict_in_batches(baseline, recs[:BATCH])  # warm-up
        predict_in_batches(default, recs[:BATCH])
        runs: dict[str, list[float]] = {k: [] for k in ("base", "single", "batched_parse", "batched_total", "cached")}
        for _ in range(args.runs):
            runs["base"].append(cpu_ms(lambda: predict_in_batches(baseline, recs), len(recs)))
            default.parser = raw_parser  # parse inside predict, batch by batch (no cache)
            runs["single"].append(cpu_ms(lambda: predict_in_batches(default, recs), len(recs)))
            default.parser = CachedParser(raw_parser, MemoryParseCache())
            # the background parse: the pieces the model will read, in one nlp.pipe call
            runs["batched_parse"].append(cpu_ms(lambda: default.parse_ahead(recs), len(recs)))
            # the parses are in the cache now: the model alone
            runs["cached"].append(cpu_ms(lambda: predict_in_batches(default, recs), len(recs)))
            runs["batched_total"].append(runs["batched_parse"][-1] + runs["cached"][-1])
        med = {k: statistics.median(v) for k, v in runs.items()}
        for key, name in (("base", "BiLSTM-CRF baseline (1 × 256)"),
                          ("single", "default model, parse per batch of 8 (no cache)"),
                          ("batched_total", "default model, parse in one nlp.pipe batch + predict"),
                          ("cached", "default model, parse cached (after the background parse)")):
            rows.append({"chars": length, "path": name, "CPU ms / record": med[key],
                         "× baseline": med[key] / med["base"],
                         "runs": ", ".join(f"{x:.1f}" for x in runs[key])})
        rows.append({"chars": length, "path": "  of which the batched parse", "CPU ms / record": med["batched_parse"],
                     "× baseline": med["batched_parse"] / med["base"],
                     "runs": ", ".join(f"{x:.1f}" for x in runs["batched_parse"])})
    print(f"machine: {machine()}; {args.records} records per row, {args.runs} runs (median), 1 torch thread\n")
    print(markdown(rows, ["chars", "path", "CPU ms / record", "× baseline", "runs"]))


if __name__ == "__main__":
    main()
