"""Shared helpers of the benchmark scripts: data, bootstrap intervals, markdown tables, machine facts."""

from __future__ import annotations

import os
import platform
import random
import sys
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from madpg_core.domain import Record, Span  # noqa: E402
from madpg_core.paths import SHARED_DATA  # noqa: E402
from madpg_core.train.metrics import Scores, score_spans  # noqa: E402

CEHRNER = SHARED_DATA / "ner" / "cehrner"
CEHRNER_TYPES = ("疾病和诊断", "症状", "解剖部位", "手术", "药物", "影像检查", "实验室检验")


def need_data() -> None:
    if not CEHRNER.is_dir():
        sys.exit(f"benchmark data not found at {CEHRNER}: the benchmarks need ../shared/data")


def load_cehrner(split: str) -> list[Record]:
    from madpg_core.formats import read_records

    records, _ = read_records(CEHRNER / f"{split}.json", "cehrner")
    return records


def bootstrap_f1(gold: Sequence[Sequence[Span]], pred: Sequence[Sequence[Span]], *, n: int = 1000,
                 seed: int = 0) -> tuple[float, float]:
    """95 % interval of micro F1 from resampling whole documents with replacement."""
    rng = random.Random(seed)
    idx = range(len(gold))
    values = []
    for _ in range(n):
        pick = [rng.choice(idx) for _ in idx]
        values.append(score_spans([gold[i] for i in pick], [pred[i] for i in pick]).micro.f1)
    values.sort()
    return values[int(0.025 * n)], values[int(0.975 * n) - 1]


def markdown(rows: list[dict], columns: Sequence[str]) -> str:
    def cell(v: object) -> str:
        if isinstance(v, float):
            return f"{v:.2f}"
        return "" if v is None else str(v)

    lines = ["| " + " | ".join(columns) + " |", "|" + "|".join("---" for _ in columns) + "|"]
    lines += ["| " + " | ".join(cell(r.get(c)) for c in columns) + " |" for r in rows]
    return "\n".join(lines)


def machine() -> str:
    import torch

    cpu = platform.processor() or platform.machine()
    try:
        for line in open("/proc/cpuinfo", encoding="utf-8"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    gpu = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "no GPU"
    return f"{cpu}, {os.cpu_count()} cores, {gpu}, torch {torch.__version__}, {torch.get_num_threads()} threads"


def per_type_row(name: str, scores: Scores, types: Sequence[str]) -> dict:
    row: dict = {"model": name, "P": 100 * scores.micro.precision, "R": 100 * scores.micro.recall,
                 "F1": 100 * scores.micro.f1}
    for t in types:
        s = scores.per_type.get(t)
        row[t] = 100 * s.f1 if s else 0.0
    return row
