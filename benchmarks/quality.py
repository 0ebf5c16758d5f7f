"""Quality table: strict entity P/R/F1 on cehrner test (seven original types), every model trained
with the same CPU time budget and seed, with a bootstrap 95 % interval of micro F1.

    .venv/bin/python benchmarks/quality.py --minutes 3            # quick, a few minutes a model
    .venv/bin/python benchmarks/quality.py --minutes 20 --models bilstm-crf,madpg-lite

Published anchors (Yidu-S4K, original 379-document test split, so only indicative here):
LSTM-CRF 80.43, BERT-CRF 83.49 (see ../shared/data/README.md).
"""

from __future__ import annotations

import argparse
import logging
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from common import CEHRNER_TYPES, bootstrap_f1, load_cehrner, machine, markdown, need_data, per_type_row

from madpg_core.model.config import PRESETS, build_config
from madpg_core.paths import SHARED_DATA
from madpg_core.train.loop import fit
from madpg_core.train.metrics import score_spans

# The from-scratch BERT-CRF uses madpg-lite's encoder sizes, so the rows differ only in their parts.
LITE_SIZES = {k: PRESETS["madpg-lite"][k] for k in ("hidden_size", "num_layers", "num_heads", "intermediate_size",
                                                     "use_bigrams", "dropout", "head_lr", "batch_size",
                                                     "warmup_ratio", "encoder_dropout")}
MODELS = {
    "cnn-crf": lambda: build_config("cnn-crf"),
    "bilstm-crf": lambda: build_config("bilstm-crf"),
    "bert-crf (scratch)": lambda: build_config("bert-crf", text_encoder="bert-scratch", **LITE_SIZES),
    "madpg-lite": lambda: build_config("madpg-lite"),
    "madpg-lite w/o EMA": lambda: build_config("madpg-lite", use_ema=False),
    "madpg-lite w/o GCN": lambda: build_config("madpg-lite", use_gcn=False),
    "madpg-lite w/o gate": lambda: build_config("madpg-lite", use_gate=False),
    # What the pre-trained embeddings (now in the preset) and a CMeEE gazetteer bring:
    "madpg-lite with random embeddings": lambda: build_config(
        "madpg-lite", char_embeddings=None, freeze_bigrams=False),
    "madpg-lite + CMeEE gazetteer": lambda: build_config("madpg-lite", gazetteer=str(cmeee_gazetteer())),
    # Why the plain 1 x 256 BiLSTM-CRF wins at 60 CPU-min (RESULTS.md §1a): width, or the lexicon?
    "madpg-lite with BiLSTM 256": lambda: build_config("madpg-lite", lstm_hidden=256),
    "madpg-lite w/o lexicon": lambda: build_config("madpg-lite", use_lexicon=False),
    # Regularisation (now in the preset): the bigram table frozen at its pre-trained vectors, and
    # dropout 0.3 inside the transformer. The rows switch each back off.
    "madpg-lite with trainable bigrams + encoder dropout 0.1": lambda: build_config(
        "madpg-lite", freeze_bigrams=False, encoder_dropout=0.1, weight_averaging=0.0),  # the preset before 27 Nov
    "madpg-lite with encoder dropout 0.1": lambda: build_config("madpg-lite", encoder_dropout=0.1),
    # Polyak weight averaging (decay 0.999 per step, about four epochs of 16-piece batches; in
    # madpg-lite's preset since RESULTS.md §1a″), measured for both models so that a gain is not
    # credited to the architecture.
    "madpg-lite w/o weight averaging": lambda: build_config("madpg-lite", weight_averaging=0.0),
    # The Organ gap to the BiLSTM-CRF (RESULTS.md §1a′): the BiLSTM also reads the input embeddings
    # (in madpg-lite's preset since §1a‴); and with one transformer layer instead of two.
    "madpg-lite w/o embedding skip": lambda: build_config("madpg-lite", embedding_skip=False),
    "madpg-lite with 1 layer": lambda: build_config("madpg-lite", num_layers=1),
    "bilstm-crf with weight averaging": lambda: build_config("bilstm-crf", weight_averaging=0.999),
}
ANCHORS = [{"model": "LSTM-CRF (published, Yidu-S4K)", "F1": 80.43},
           {"model": "BERT-CRF (published, Yidu-S4K)", "F1": 83.49}]


def cmeee_gazetteer() -> Path:
    """The gold mentions of CMeEE train+dev as a lexicon (types prefixed ``cmeee:``), built once into
    a temporary folder: CMeEE states no licence, so no list of its mentions is kept in the repository."""
    out = Path(tempfile.gettempdir()) / "madpg-bench" / "cmeee-gazetteer.json"
    if not out.is_file():
        from madpg_core.formats import read_records
        from madpg_core.model.lexicon import Lexicon

        records = []
        for split in ("train", "dev"):
            records += read_records(SHARED_DATA / "ner" / "cmeee" / f"CMeEE_{split}.json", "cmeee")[0]
        out.parent.mkdir(parents=True, exist_ok=True)
        Lexicon.build(records, sorted({s.label for r in records for s in r.spans}), prefix="cmeee:").save(out)
    return out


def run(name: str, minutes: float, seed: int, train: list, dev: list, test: list, device: str | None) -> dict:
    from madpg_core.inference.predictor import Predictor

    # Many epochs, bound by the CPU budget; the LR schedule follows the budget (train/loop.py).
    cfg = replace(MODELS[name](), seed=seed, epochs=1000, entity_types=CEHRNER_TYPES)
    started = time.monotonic()
    result = fit(cfg, train, dev, cpu_budget_s=60 * minutes, device=device)
    seconds = time.monotonic() - started
    pred = Predictor(result.model).predict(test)
    gold = [list(r.spans) for r in test]
    scores = score_spans(gold, pred)
    lo, hi = bootstrap_f1(gold, pred)
    row = per_type_row(name, scores, CEHRNER_TYPES)
    row.update({"95% CI": f"{100 * lo:.1f}–{100 * hi:.1f}", "dev F1": 100 * result.best_dev_f1,
                "epochs": len(result.history), "train s": round(seconds)})
    return row


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--minutes", type=float, default=3.0, help="training budget per model (CPU minutes)")
    ap.add_argument("--models", default=",".join(MODELS), help=f"comma-separated, from: {', '.join(MODELS)}")
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--threads", type=int, default=1, help="torch CPU threads (the budget is CPU time)")
    ap.add_argument("--device", help="cpu or cuda (default: cuda when available)")
    args = ap.parse_args()
    import torch

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")  # one line per epoch
    torch.set_num_threads(args.threads)
    need_data()
    train, dev, test = (load_cehrner(s) for s in ("train", "dev", "test"))
    names = [m.strip() for m in args.models.split(",") if m.strip()]
    unknown = [n for n in names if n not in MODELS]
    if unknown:  # before hours of training, not after
        ap.error(f"unknown model(s) {unknown}; choose from: {', '.join(MODELS)}")
    rows = []
    for name in names:
        rows.append(run(name, args.minutes, args.seed, train, dev, test, args.device))
        r = rows[-1]
        print(f"done: {name} F1 {r['F1']:.2f} [{r['95% CI']}] dev {r['dev F1']:.2f} epochs {r['epochs']}"
              f" {r['train s']} s", flush=True)
    cols = ["model", "P", "R", "F1", "95% CI", "dev F1", *CEHRNER_TYPES, "epochs", "train s"]
    print(f"\ncehrner test (41 documents, 632 entities), budget {args.minutes} min/model, seed {args.seed}")
    print(f"machine: {machine()}\n")
    print(markdown(rows + ANCHORS, cols))


if __name__ == "__main__":
    main()
