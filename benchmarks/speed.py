"""Speed table: pre-label latency per record (p50/p95) for 128- and 512-character texts,
characters per second, int8 dynamic quantisation, the full-size MADPG shape (BERT-base-sized
encoder + ResNet-152, random weights) with and without the image-feature cache, and training
records per second. Ratios are against a plain char BiLSTM-CRF measured in the same run.

    .venv/bin/python benchmarks/speed.py                  # about 5 minutes on 2 CPU cores
    .venv/bin/python benchmarks/speed.py --repeats 50 --full-size-repeats 10
"""

from __future__ import annotations

import argparse
import copy
import statistics
import tempfile
import time
from pathlib import Path

import torch
from common import CEHRNER, load_cehrner, machine, markdown, need_data

from madpg_core.domain import Record
from madpg_core.inference.predictor import Predictor, feature_lookup
from madpg_core.model.config import build_config
from madpg_core.paths import SHARED_DATA, default_model_dir
from madpg_core.train.metrics import score_spans

XRAY = SHARED_DATA / "images" / "xray" / "00000001_000.png"


def texts_of(length: int, n: int, corpus: list[Record]) -> list[str]:
    joined = "".join(r.text for r in corpus)
    step = max(1, (len(joined) - length) // n)
    return [joined[i * step : i * step + length] for i in range(n)]


def latency(predictor: Predictor, records: list[Record], *, fresh_features: bool = False) -> dict:
    predictor.predict(records[:2])  # warm-up: lazy inits, first parse, allocator
    times = []
    for r in records:
        if fresh_features:
            predictor.features = feature_lookup(predictor.model, None, predictor.device)
        t = time.perf_counter()
        predictor.predict([r])
        times.append(1000 * (time.perf_counter() - t))
    times.sort()
    return {"p50 ms": statistics.median(times), "p95 ms": times[max(0, int(0.95 * len(times)) - 1)]}


def throughput(predictor: Predictor, texts: list[str]) -> float:
    t = time.perf_counter()
    predictor.predict(texts)
    return sum(len(x) for x in texts) / (time.perf_counter() - t)


def parse_cached(predictor: Predictor) -> Predictor:
    """The same model with its dependency parses cached, as in a project (second pre-label on)."""
    from madpg_core.text.parser import CachedParser, MemoryParseCache

    if predictor.parser is None:
        return predictor
    q = copy.copy(predictor)
    q.parser = CachedParser(predictor.parser, MemoryParseCache())
    return q


def quantised(predictor: Predictor) -> Predictor:
    model = torch.ao.quantization.quantize_dynamic(predictor.model, {torch.nn.Linear, torch.nn.LSTM},
                                                   dtype=torch.qint8)  # a quantised copy
    return Predictor(model, parser=predictor.parser, device="cpu")


def untrained(cfg, train: list[Record]) -> Predictor:  # noqa: ANN001
    from madpg_core.model.build import new_model

    return Predictor(new_model(cfg, train[:200]).eval(), device="cpu")


def test_f1(predictor: Predictor, test: list[Record]) -> float:
    pred = predictor.predict(test)
    return 100 * score_spans([list(r.spans) for r in test], pred).micro.f1


def mapped_test(predictor: Predictor, test: list[Record]) -> list[Record]:
    """The test split in the model's own types (the default model speaks the paper's five)."""
    from madpg_core.formats import load_type_map, read_records

    types = set(predictor.entity_types)
    if {s.label for r in test for s in r.spans} <= types:
        return test
    mapping = load_type_map(Path(__file__).resolve().parent.parent / "resources/maps/cehrner-to-paper.json")
    records, _ = read_records(CEHRNER / "test.json", "cehrner", mapping)
    return records


def full_size_folder(tmp: Path, train: list[Record]) -> Path:
    """A BERT-base-sized random BERT with a character vocabulary, saved as a pretrained folder."""
    from transformers import BertConfig, BertModel, BertTokenizerFast

    chars = sorted({c for r in train for c in r.text})
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *chars]
    (tmp / "vocab.txt").write_text("\n".join(vocab) + "\n", encoding="utf-8")
    BertTokenizerFast(vocab_file=str(tmp / "vocab.txt"), do_lower_case=False).save_pretrained(tmp)
    BertModel(BertConfig(vocab_size=len(vocab))).save_pretrained(tmp)
    return tmp


def training_rate(cfg, train: list[Record], seconds: float = 30) -> float:  # noqa: ANN001
    from madpg_core.train.loop import fit

    subset = train[:64]
    t = time.perf_counter()
    from dataclasses import replace

    fit(replace(cfg, epochs=1, entity_types=()), subset, [], device="cpu")  # types from the subset
    return len(subset) / (time.perf_counter() - t)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", type=Path, default=default_model_dir(), help="default: the bundled model")
    ap.add_argument("--repeats", type=int, default=30, help="records timed per row")
    ap.add_argument("--full-size-repeats", type=int, default=5)
    ap.add_argument("--skip-full-size", action="store_true")
    ap.add_argument("--threads", type=int, help="torch CPU threads (default: torch's choice)")
    args = ap.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    need_data()
    train, test = load_cehrner("train"), load_cehrner("test")
    rows = []
    baseline = untrained(build_config("bilstm-crf", entity_types=("疾病和诊断", "症状")), train)
    default = Predictor.load(args.model, device="cpu")
    q = quantised(default)
    for length in (128, 512):
        recs = [Record(t) for t in texts_of(length, args.repeats, test)]
        cached = parse_cached(default)
        cached.predict(recs)  # fill the parse cache: the rows below time the model, not spaCy
        qc = parse_cached(q)
        qc.parser = cached.parser
        for name, p in (("BiLSTM-CRF baseline", baseline), ("default model fp32, parse on", default),
                        ("default model fp32, parse cached", cached), ("default model int8, parse cached", qc)):
            rows.append({"model": name, "chars": length, **latency(p, recs),
                         "chars/s": throughput(p, [r.text for r in recs])})
    gold = mapped_test(default, test)
    f1_fp32, f1_int8 = test_f1(default, gold), test_f1(q, gold)
    if not args.skip_full_size and XRAY.is_file():
        with tempfile.TemporaryDirectory() as tmp:
            cfg = build_config("madpg", pretrained_path=str(full_size_folder(Path(tmp), train)),
                               entity_types=("疾病和诊断", "症状", "解剖部位", "手术", "药物"))
            full = untrained(cfg, train)
            recs = [Record(t, images=(str(XRAY),)) for t in texts_of(128, args.full_size_repeats, test)]
            rows.append({"model": "full-size MADPG fp32, cached image features", "chars": 128, **latency(full, recs)})
            rows.append({"model": "full-size MADPG fp32, no feature cache", "chars": 128,
                         **latency(full, recs, fresh_features=True)})
            fq = quantised(full)
            rows.append({"model": "full-size MADPG int8, cached image features", "chars": 128, **latency(fq, recs)})
    base50 = {r["chars"]: r["p50 ms"] for r in rows if r["model"] == "BiLSTM-CRF baseline"}
    for r in rows:
        r["× baseline p50"] = r["p50 ms"] / base50[r["chars"]] if r["chars"] in base50 else None
    default_cfg = default.model.cfg
    print(f"machine: {machine()}\n")
    print(markdown(rows, ["model", "chars", "p50 ms", "p95 ms", "× baseline p50", "chars/s"]))
    print(f"\ndefault model ({default_cfg.name}) test F1: fp32 {f1_fp32:.2f}, int8 dynamic {f1_int8:.2f} "
          f"(Δ {f1_int8 - f1_fp32:+.2f}; int8 is worth using only within 0.5)")
    print(f"training: {training_rate(default_cfg, train):.1f} records/s ({default_cfg.name}, CPU, batch "
          f"{default_cfg.batch_size})")


if __name__ == "__main__":
    main()
