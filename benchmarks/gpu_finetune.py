"""GPU check of a warm start: how long the default re-training of 100 and 200 reviewed records
takes on a GPU, beside the same run on one CPU thread (the estimate in retrain.plan divides by 10).

Self-contained like gpu.py: the lent machine has neither spaCy, SQLAlchemy nor ../shared/data, so
the records come from a small JSON file made here (`--make-sample`, CMeEE train mapped to the
paper's types) and a chain parse stands in for spaCy's (the timing is the model's, not the parser's).

    .venv/bin/python benchmarks/gpu_finetune.py --make-sample scratch/cmeee-200.json   # here, once
    python3 benchmarks/gpu_finetune.py --sample scratch/cmeee-200.json                 # on the GPU
    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/gpu_finetune.py --sample scratch/cmeee-200.json --device cpu
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TYPES = ("Disease", "Symptom", "Organ", "Attribute", "Treatment")


def make_sample(out: Path, n: int = 200) -> None:
    import sys

    sys.path.insert(0, str(ROOT))
    from madpg_core.formats import load_type_map, read_records

    records, _ = read_records(ROOT.parent / "shared/data/ner/cmeee/CMeEE_train.json", "cmeee",
                              load_type_map(ROOT / "resources/maps/cmeee-to-paper.json"))
    doc = [{"text": r.text, "spans": [[s.start, s.end, s.label] for s in r.spans]} for r in records[:n]]
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    print(f"wrote {len(doc)} records to {out}")


def run(sample: Path, device: str, sizes: list[int]) -> list[str]:
    import sys

    sys.path.insert(0, str(ROOT))
    import torch

    from madpg_core.domain import Record, Span
    from madpg_core.model.testing import ChainParser
    from madpg_core.train.loop import fit
    from madpg_core.train.warm_recipe import WARM_RECIPE, pieces, warm_epochs
    from madpg_core.train.warm_start import warm_model

    base = ROOT / "resources/models/default"
    data = json.loads(sample.read_text(encoding="utf-8"))
    records = [Record(d["text"], tuple(Span(a, b, t) for a, b, t in d["spans"])) for d in data]
    gpu = torch.cuda.get_device_name(0) if device == "cuda" else f"CPU, {torch.get_num_threads()} thread(s)"
    rows = [f"device: {gpu}; torch {torch.__version__}", "",
            "| records | epochs | wall s | CPU s | s per epoch | peak GPU MiB |", "|---|---|---|---|---|---|"]
    for n in sizes:
        train = records[:n]
        epochs = warm_epochs(pieces(train))
        model, _ = warm_model(base, TYPES, train, epochs=epochs, **WARM_RECIPE)
        if device == "cuda":
            torch.cuda.reset_peak_memory_stats()
            torch.cuda.synchronize()
        t, c = time.monotonic(), time.process_time()
        fit(model.cfg, train, [], parser=ChainParser(), initial=model, device=device)
        if device == "cuda":
            torch.cuda.synchronize()
        wall, cpu = time.monotonic() - t, time.process_time() - c
        peak = f"{torch.cuda.max_memory_allocated() / 2**20:.0f}" if device == "cuda" else "-"
        rows.append(f"| {n} | {epochs} | {wall:.1f} | {cpu:.1f} | {wall / epochs:.2f} | {peak} |")
        print(rows[-1], flush=True)
        _save(rows)
    return rows


def _save(rows: list[str]) -> None:
    if os.environ.get("OUT"):
        Path(os.environ["OUT"], "gpu_finetune.md").write_text("\n".join(rows) + "\n", encoding="utf-8")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--make-sample", type=Path, metavar="OUT")
    ap.add_argument("--sample", type=Path)
    ap.add_argument("--device", default="cuda")
    ap.add_argument("--sizes", default="100,200")
    args = ap.parse_args()
    if args.make_sample:
        return make_sample(args.make_sample)
    if not args.sample:
        ap.error("--sample FILE (make it with --make-sample)")
    print("\n".join(run(args.sample, args.device, [int(x) for x in args.sizes.split(",")])))


if __name__ == "__main__":
    main()
