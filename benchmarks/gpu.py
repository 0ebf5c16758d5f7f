"""GPU table, one short run: pre-label latency (p50/p95, batch of 1) for 128- and 512-character
records, pre-label throughput (characters and records per second for a batch of records), training
records per second and peak GPU memory, for the full-size MADPG (a BERT-base-sized random BERT
folder and a ResNet-152 state-dict file, both read from disk as ``--pretrained`` /
``--image-weights`` read them) in fp32 with and without the image-feature cache and in bf16
autocast, for the bundled default model (pre-labelling), and for madpg-lite (random weights).

Without a GPU it runs a reduced variant on the CPU (2 records timed one by one, batches of 4, 16
training records x 1 epoch, unless given) and says so in the table's header: the same rows and code
paths, numbers of that CPU only.

Self-contained on purpose: no ../shared/data (texts are windows of resources/demo/records.json,
images are synthetic PNGs), no spaCy (a chain parse stands in, see ChainParse), and nothing from
madpg_core that imports spacy/sqlalchemy/alembic/pydicom/jieba/PySide6.

    python benchmarks/gpu.py          # CUDA when present: 88 s on an H200 (RESULTS.md §3b); else the CPU variant
    .venv/bin/python benchmarks/gpu.py --device cpu   # the reduced CPU variant

The table is printed and, when $OUT is set, also written to $OUT/gpu.md (after every row, so a
run cut short still leaves the rows it finished).
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import os
import platform
import random
import statistics
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

import torch
from common import ROOT, machine, markdown

import madpg_core.inference.predictor as predictor_module
from madpg_core.domain import Record, Span
from madpg_core.inference.predictor import Predictor, feature_lookup
from madpg_core.model.config import build_config
from madpg_core.paths import default_model_dir
from madpg_core.text.protocol import Parse

DEMO = ROOT / "resources" / "demo" / "records.json"
EMBEDDINGS = ROOT / "resources" / "embeddings" / "medical-char-128"
TYPES = ("疾病和诊断", "症状", "药物")
BERT_BASE_CHINESE_VOCAB = 21128  # the vocabulary size of bert-base-chinese / chinese-roberta-wwm-ext
# Used only when resources/demo is missing: common characters of Chinese clinical notes.
FALLBACK_CHARS = ("患者男女岁因反复胸闷气促年加重伴双下肢水肿周入院既往高血压病史规律口服查体心界向左扩大肺底可闻及"
                  "少量湿啰音部正位片示影明显增心比约纹理粗未见实变诊断慢性力衰竭予利尿血管治疗症状好转头痛发热咳嗽"
                  "腹泻恶呕吐糖尿肝肾功能异常术后复查")

COLUMNS = ("model", "precision", "image features", "chars", "p50 ms", "p95 ms", "chars/s", "prelabel rec/s",
           "train rec/s", "peak GPU MiB", "error")


class ChainParse:
    """Stands in for the spaCy parser (not on the GPU machine): every character is a word headed by
    its left neighbour. The GCN's cost does not depend on which arcs are present (dense adjacency,
    one bmm per layer), so timings hold for any parse. The parse itself is excluded from the timing,
    as a project caches parses (speed.py's "parse cached" rows)."""

    version = "bench-chain-1"

    def parse(self, text: str) -> Parse:
        return Parse(tuple((i, i + 1) for i in range(len(text))), tuple(range(-1, len(text) - 1)), self.version)


# data ----------------------------------------------------------------------------------------

def corpus_text() -> str:
    try:
        return "".join(r["text"] for r in json.loads(DEMO.read_text("utf-8")))
    except (OSError, ValueError, KeyError, TypeError):
        return FALLBACK_CHARS * 4


def texts_of(corpus: str, length: int, n: int, seed: int = 0) -> list[str]:
    """``n`` windows of ``length`` characters at spread-out offsets of the (repeated) corpus."""
    joined = corpus * (length // len(corpus) + 2)
    rng = random.Random(seed)
    return [joined[(o := rng.randrange(len(corpus))) : o + length] for _ in range(n)]


def with_random_spans(text: str, rng: random.Random) -> tuple[Span, ...]:
    """Three to eight non-overlapping spans of 2-5 characters of the TYPES."""
    spans: list[Span] = []
    taken: set[int] = set()
    for _ in range(rng.randint(3, 8)):
        n = rng.randint(2, 5)
        s = rng.randrange(0, max(1, len(text) - n))
        if any(c in taken for c in range(s - 1, s + n + 1)):
            continue
        taken.update(range(s, s + n))
        spans.append(Span(s, s + n, rng.choice(TYPES)))
    return tuple(sorted(spans, key=lambda x: x.start))


def synthetic_images(folder: Path, n: int) -> list[str]:
    """``n`` distinct 224x224 RGB PNGs (noise over a gradient), so each is hashed and encoded on its own."""
    import numpy as np
    from PIL import Image

    rng = np.random.default_rng(0)
    grad = np.linspace(0, 255, 224, dtype=np.float32)[None, :, None]
    out = []
    for i in range(n):
        px = np.clip(grad * 0.5 + rng.normal(100, 40, (224, 224, 3)), 0, 255).astype("uint8")
        p = folder / f"img{i:03d}.png"
        Image.fromarray(px, "RGB").save(p)
        out.append(str(p))
    return out


def records(texts: list[str], images: list[str], *, spans: bool = False, seed: int = 0) -> list[Record]:
    rng = random.Random(seed)
    return [Record(t, with_random_spans(t, rng) if spans else (), images=(images[i % len(images)],))
            for i, t in enumerate(texts)]


def full_size_folder(folder: Path, chars: str) -> Path:
    """A BERT-base-sized random BERT (vocabulary padded to bert-base-chinese's 21128) saved as a
    local pretrained folder, as speed.py's full-size shape."""
    from transformers import BertConfig, BertModel, BertTokenizerFast

    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *sorted(set(chars))]
    vocab += [f"[unused{i}]" for i in range(BERT_BASE_CHINESE_VOCAB - len(vocab))]
    (folder / "vocab.txt").write_text("\n".join(vocab) + "\n", encoding="utf-8")
    BertTokenizerFast(vocab_file=str(folder / "vocab.txt"), do_lower_case=False).save_pretrained(str(folder))
    BertModel(BertConfig(vocab_size=len(vocab)), add_pooling_layer=False).save_pretrained(str(folder))
    return folder


def resnet152_file(path: Path) -> Path:
    """A torchvision ResNet-152 state dict (random weights, ~240 MB) saved as a user's would be."""
    import torchvision.models as tvm

    torch.save(tvm.resnet152(weights=None).state_dict(), path)
    return path


# measuring -----------------------------------------------------------------------------------

class Bench:
    def __init__(self, device: str) -> None:
        self.device = device
        self.cuda = torch.device(device).type == "cuda"

    def sync(self) -> None:
        if self.cuda:
            torch.cuda.synchronize()

    def now(self) -> float:
        self.sync()
        return time.perf_counter()

    def reset_peak(self) -> None:
        gc.collect()
        if self.cuda:
            torch.cuda.empty_cache()
            torch.cuda.reset_peak_memory_stats()

    def peak(self) -> float | None:
        return torch.cuda.max_memory_allocated() / 2**20 if self.cuda else None


@contextmanager
def precision(mode: str) -> Iterator[None]:
    """The Predictor autocasts to bf16 on CUDA unconditionally (predictor._autocast); replace that
    function here only, so "fp32" rows really run fp32 and "bf16" rows autocast on either device."""
    original = predictor_module._autocast

    def autocast(device: torch.device | str) -> torch.autocast:
        kind = torch.device(device).type
        return torch.autocast("cuda" if kind == "cuda" else "cpu", dtype=torch.bfloat16, enabled=mode == "bf16")

    predictor_module._autocast = autocast
    try:
        yield
    finally:
        predictor_module._autocast = original


def nearest_rank(sorted_values: list[float], q: float) -> float:
    return sorted_values[max(0, math.ceil(q * len(sorted_values)) - 1)]


def latency(b: Bench, p: Predictor, recs: list[Record], *, fresh_features: bool) -> dict:
    if fresh_features:
        p.predict(recs[:1])  # warm-up: lazy inits, allocator, kernels
    else:
        p.predict(recs)  # first pass fills the image-feature cache; the timed pass hits it
    times = []
    for r in recs:
        if fresh_features:  # a new, empty lookup: the image is read, hashed and encoded every time
            p.features = feature_lookup(p.model, None, p.device)
        t = b.now()
        p.predict([r])
        times.append(1000 * (b.now() - t))
    times.sort()
    return {"p50 ms": statistics.median(times), "p95 ms": nearest_rank(times, 0.95)}


def throughput(b: Bench, p: Predictor, recs: list[Record], *, fresh_features: bool, warm: bool) -> dict:
    if warm:
        p.predict(recs)  # new batch shapes; also fills the feature cache
    if fresh_features:
        p.features = feature_lookup(p.model, None, p.device)
    t = b.now()
    p.predict(recs)
    seconds = b.now() - t
    return {"chars/s": sum(len(r.text) for r in recs) / seconds, "prelabel rec/s": len(recs) / seconds}


def train_rate(b: Bench, cfg, train: list[Record], epochs: int) -> dict:  # noqa: ANN001
    """Records per second of fit()'s last epoch, from its per-batch progress reports: model build,
    tokenising, parsing and (from epoch 2) image encoding are outside the timed span."""
    from madpg_core.train.loop import fit

    marks: list[tuple[float, object]] = []

    def on_progress(pr) -> None:  # noqa: ANN001
        marks.append((b.now(), pr))

    b.reset_peak()
    res = fit(replace(cfg, epochs=epochs, entity_types=TYPES), train, [], parser=ChainParse(),
              device=b.device, on_progress=on_progress)
    last = [i for i, (_, pr) in enumerate(marks) if pr.epoch == epochs and pr.dev_f1 is None and pr.step > 0]
    start = marks[last[0] - 1][0]  # the report just before the epoch's first batch
    seconds = marks[last[-1]][0] - start
    del res
    return {"train rec/s": len(train) / seconds, "peak GPU MiB": b.peak(),
            "chars": f"{len(train[0].text)} (train, batch {cfg.batch_size}, epoch {epochs})"}


# main ----------------------------------------------------------------------------------------

def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--device", default="auto", help="cuda, cpu, or auto (cuda when available)")
    ap.add_argument("--quick", action="store_true", help="tiny repeats: a dry run of every row")
    ap.add_argument("--repeats", type=int, help="records timed one by one per row (default 50, quick 2)")
    ap.add_argument("--batch", type=int, help="records per throughput call (default 64, quick 4)")
    ap.add_argument("--train-records", type=int, help="default 256, quick 16")
    ap.add_argument("--train-epochs", type=int, help="epochs per fit; the last is timed (default 2, quick 1)")
    ap.add_argument("--budget-s", type=float,
                    help="rows that would start after this are skipped (default 420 on CUDA, 3600 for the CPU variant)")
    ap.add_argument("--threads", type=int, help="torch CPU threads")
    args = ap.parse_args()
    if args.device == "auto":
        args.device = "cuda" if torch.cuda.is_available() else "cpu"
    if torch.device(args.device).type == "cuda" and not torch.cuda.is_available():
        sys.exit("CUDA is not available here: use --device cpu")
    # The full-size shape trains at seconds per record on a CPU: there the sizes shrink, the rows stay.
    reduced = args.quick or torch.device(args.device).type != "cuda"
    repeats = args.repeats or (2 if reduced else 50)
    batch = args.batch or (4 if reduced else 64)
    n_train = args.train_records or (16 if reduced else 256)
    epochs = args.train_epochs or (1 if reduced else 2)
    if args.budget_s is None:
        args.budget_s = 420.0 if torch.device(args.device).type == "cuda" else 3600.0
    if args.threads:
        torch.set_num_threads(args.threads)
    began = time.perf_counter()
    b = Bench(args.device)
    out_dir = Path(os.environ["OUT"]) if os.environ.get("OUT") else None
    header = [f"machine: {machine()}",
              f"device: {args.device}" + (f" ({torch.cuda.get_device_name(0)}, CUDA {torch.version.cuda}, "
                                          f"cuDNN {torch.backends.cudnn.version()})" if b.cuda else ""),
              f"python {platform.python_version()}, torch {torch.__version__}, "
              f"transformers {__import__('transformers').__version__}",
              f"settings: repeats {repeats}, throughput batch {batch}, train {n_train} records x {epochs} epochs"
              + (" (--quick)" if args.quick else "")]
    if reduced and not b.cuda:
        header.append("REDUCED CPU VARIANT: no GPU here, so the sizes above are shrunk; the full-size rows are "
                      "this CPU's numbers, not a GPU's")
    print("\n".join(header), flush=True)
    rows: list[dict] = []
    notes: list[str] = []

    def write() -> None:
        if out_dir is not None:
            out_dir.mkdir(parents=True, exist_ok=True)
            (out_dir / "gpu.md").write_text("\n".join(header) + "\n\n" + markdown(rows, COLUMNS) + "\n\n"
                                            + "\n".join(f"- {n}" for n in notes) + "\n", encoding="utf-8")

    def row(base: dict, measure: Callable[[], dict]) -> None:
        t = time.perf_counter()
        r = dict(base)
        if t - began > args.budget_s:
            r["error"] = f"skipped: past the {args.budget_s:.0f} s budget"
        else:
            try:
                b.reset_peak()
                r.update(measure())
                r.setdefault("peak GPU MiB", b.peak())
            except Exception as e:  # noqa: BLE001 - one failing row must not cost the others
                traceback.print_exc()
                r["error"] = f"{type(e).__name__}: {str(e).splitlines()[0][:160] if str(e) else ''}"
        rows.append(r)
        print(f"[{time.perf_counter() - began:6.1f} s] {r['model']} {r.get('chars', '')}: "
              f"{ {k: v for k, v in r.items() if k not in base} } ({time.perf_counter() - t:.1f} s)",
              file=sys.stderr, flush=True)
        write()

    corpus = corpus_text()
    tmp_ctx = tempfile.TemporaryDirectory(prefix="madpg-gpu-bench-")
    tmp = Path(tmp_ctx.name)
    (tmp / "img").mkdir()
    (tmp / "bert").mkdir()
    images = synthetic_images(tmp / "img", max(batch, repeats))
    lengths = (128, 512)
    lat = {n: records(texts_of(corpus, n, repeats, seed=n), images) for n in lengths}
    thr = {n: records(texts_of(corpus, n, batch, seed=n + 1), images) for n in lengths}
    train = records(texts_of(corpus, 128, n_train, seed=7), images, spans=True, seed=7)
    build_corpus = train + [r for n in lengths for r in lat[n] + thr[n]]
    parser = ChainParse()

    def predictor_rows(name: str, model, variants: list[tuple[str, str, bool]]) -> None:  # noqa: ANN001
        p = Predictor(model, parser=parser, device=args.device, batch_size=batch)
        for prec, feats, fresh in variants:
            for n in lengths:
                def measure(prec: str = prec, fresh: bool = fresh, n: int = n) -> dict:
                    with precision(prec):
                        p.features = feature_lookup(p.model, None, p.device)
                        out = latency(b, p, lat[n], fresh_features=fresh)
                        out.update(throughput(b, p, thr[n], fresh_features=fresh, warm=not args.quick))
                    return out
                row({"model": name, "precision": prec, "image features": feats, "chars": n}, measure)

    # full-size MADPG shape ------------------------------------------------------------------
    full_cfg = None
    t = time.perf_counter()
    try:
        from madpg_core.model.build import new_model

        # Both read from disk through the checks `madpg train --pretrained DIR --image-weights FILE` runs.
        full_cfg = build_config("madpg", pretrained_path=str(full_size_folder(tmp / "bert", corpus)),
                                image_encoder="resnet152", image_weights=str(resnet152_file(tmp / "resnet152.pth")),
                                entity_types=TYPES)
        full = new_model(full_cfg, build_corpus).eval()
        notes.append(f"full-size shape built in {time.perf_counter() - t:.1f} s "
                     f"({sum(p.numel() for p in full.parameters()) / 1e6:.0f} M parameters; not in any timing)")
        predictor_rows("full-size MADPG (BERT-base + ResNet-152)", full,
                       [("fp32", "cached", False), ("fp32", "none (encoded per record)", True),
                        ("bf16", "cached", False)])
        del full
    except Exception as e:  # noqa: BLE001
        traceback.print_exc()
        rows.append({"model": "full-size MADPG (build)", "error": f"{type(e).__name__}: {e}"[:200]})
    b.reset_peak()
    if full_cfg is not None:
        row({"model": "full-size MADPG training", "precision": "bf16 autocast" if b.cuda else "fp32",
             "image features": "cached (epoch ≥ 2)" if epochs > 1 else "encoded in epoch"},
            lambda: train_rate(b, full_cfg, train, epochs))

    # the bundled default model: what a project pre-labels with out of the box ----------------------
    b.reset_peak()
    try:
        from madpg_core.checkpoint import load

        default = load(default_model_dir()).eval()
        predictor_rows(f"bundled default model ({default.cfg.name})", default,
                       [("fp32", "cached", False), ("bf16", "cached", False)])
        del default
    except Exception as e:  # noqa: BLE001
        traceback.print_exc()
        rows.append({"model": "bundled default model (load)", "error": f"{type(e).__name__}: {e}"[:200]})

    # madpg-lite -------------------------------------------------------------------------------
    lite_over: dict = {}
    if not (EMBEDDINGS / "vectors.safetensors").is_file():
        lite_over = {"char_embeddings": None, "freeze_bigrams": False}
        notes.append(f"{EMBEDDINGS.relative_to(ROOT)} missing: madpg-lite built with char_embeddings=None, "
                     "freeze_bigrams=False (trainable bigrams: more optimiser work than the real preset)")
    lite_cfg = build_config("madpg-lite", entity_types=TYPES, **lite_over)
    b.reset_peak()
    try:
        from madpg_core.model.build import new_model

        lite = new_model(lite_cfg, build_corpus).eval()
        predictor_rows("madpg-lite (random weights)", lite, [("fp32", "cached", False), ("bf16", "cached", False)])
        del lite
    except Exception as e:  # noqa: BLE001
        traceback.print_exc()
        rows.append({"model": "madpg-lite (build)", "error": f"{type(e).__name__}: {e}"[:200]})
    b.reset_peak()
    row({"model": "madpg-lite training", "precision": "bf16 autocast" if b.cuda else "fp32",
         "image features": "cached (epoch ≥ 2)" if epochs > 1 else "encoded in epoch"},
        lambda: train_rate(b, lite_cfg, train, epochs))

    notes += [
        "parse excluded: a chain parse stands in (each character headed by its left neighbour; spaCy is "
        "not on this machine); a project caches parses, and the GCN's cost does not depend on the arcs",
        "texts: windows of resources/demo/records.json; images: synthetic 224x224 PNGs, one per record",
        "p50/p95: one record per predict() call; chars/s and prelabel rec/s: one predict() call on the batch "
        f"(Predictor batch_size {batch}); 512-char records are split into pieces (max_len 256 / piece_chars)",
        "image features 'cached': the per-record feature lookup was filled by a first pass; 'none': a fresh "
        "lookup per record (file read, SHA-256, resize, backbone forward every time)",
        "precision: the Predictor autocasts to bf16 on CUDA by itself (predictor._autocast); fp32 rows are "
        "forced by replacing that function in this script; torch defaults otherwise (float32 matmul precision "
        f"{torch.get_float32_matmul_precision()!r}, cudnn.allow_tf32 {torch.backends.cudnn.allow_tf32}, "
        f"cudnn.benchmark {torch.backends.cudnn.benchmark})",
        f"training: fit() on {n_train} synthetic records (128 chars, random spans of {len(TYPES)} types, no dev "
        f"set), {epochs} epoch(s); rate = records / wall time of the last epoch's batches (model build, "
        "tokenising, parsing and the best-weights copy excluded); CUDA trains in bf16 autocast as fit() does",
        "weights are random: speed and memory only, no accuracy",
        f"total wall time {time.perf_counter() - began:.0f} s",
    ]
    if not b.cuda:
        notes.append("peak GPU MiB: not measured on CPU")
    print()
    print(markdown(rows, COLUMNS))
    print()
    print("\n".join(f"- {n}" for n in notes))
    write()
    tmp_ctx.cleanup()


if __name__ == "__main__":
    main()
