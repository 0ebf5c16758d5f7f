"""One simulated adoption of the tool, for benchmarks/loop.py (which runs one per corpus and order,
each in a child process): a real project, a simulated annotator who reviews pre-labelled records
batch by batch by replacing them with the gold spans, and a re-training after every batch through
the same code path as Model ▸ Train… (``retrain.train_from_project`` with its defaults).

Also the reference the loop is measured against: the same preset trained from scratch on the
corpus's whole training split under a CPU-time budget.
"""

from __future__ import annotations

import json
import os
import random
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from common import bootstrap_f1

from madpg_core.domain import Record, Span
from madpg_core.edits import Edits, count_edits
from madpg_core.paths import RESOURCES, SHARED_DATA, default_model_dir
from madpg_core.train.metrics import score_spans

NER = SHARED_DATA / "ner"
MAPS = RESOURCES / "maps"
ORDERS = ("uncertainty", "random")
DEV_HELD_OUT = 500  # CMeEE has no test labels: its dev file is the test part, a slice of train the dev


@dataclass(frozen=True)
class Corpus:
    name: str
    fmt: str
    train: Path  # the pool is sampled from it
    test: Path  # the test part is sampled from it
    dev: Path | None  # for the scratch reference; None: hold out part of train
    type_map: Path


CORPORA = {
    "cmeee": Corpus("cmeee", "cmeee", NER / "cmeee" / "CMeEE_train.json", NER / "cmeee" / "CMeEE_dev.json", None,
                    MAPS / "cmeee-to-paper.json"),
    "cmedqaner": Corpus("cmedqaner", "cmedqaner", NER / "cmedqaner" / "train.json", NER / "cmedqaner" / "test.json",
                        NER / "cmedqaner" / "dev.json", MAPS / "cmedqaner-to-paper.json"),
}


@dataclass(frozen=True)
class Settings:
    pool: int
    test: int
    batch: int
    max_reviewed: int
    minutes: float | None  # re-training budget; None: the core's default (retrain.DEFAULT_MINUTES)
    seed: int
    device: str | None


def read(corpus: Corpus, path: Path) -> list[Record]:
    from madpg_core.formats import load_type_map, read_records

    return read_records(path, corpus.fmt, load_type_map(corpus.type_map))[0]


def sample(corpus: Corpus, st: Settings) -> tuple[list[Record], list[Record]]:
    """The pool and the test part: seeded, the same for both orders (and for the reference)."""
    train, test = read(corpus, corpus.train), read(corpus, corpus.test)
    # Two generators: the test part must not change with --pool (the reference is cached by it).
    pool = [train[i] for i in sorted(random.Random(f"pool:{st.seed}").sample(range(len(train)),
                                                                             min(st.pool, len(train))))]
    part = [test[i] for i in sorted(random.Random(f"test:{st.seed}").sample(range(len(test)),
                                                                            min(st.test, len(test))))]
    return pool, part


class TimedParser:
    """The shipped parser with a stopwatch: behind the parse cache only misses reach it, so its
    seconds are exactly the time spent parsing (pre-parse, training, prediction alike)."""

    def __init__(self, inner) -> None:  # noqa: ANN001 - a DependencyParser
        self.inner, self.version = inner, inner.version
        self.seconds, self.texts = 0.0, 0

    def parse(self, text: str):  # noqa: ANN201
        return self.parse_many([text])[0]

    def parse_many(self, texts):  # noqa: ANN001, ANN201
        texts = list(texts)
        t = time.monotonic()
        many = getattr(self.inner, "parse_many", None)
        out = list(many(texts)) if many is not None else [self.inner.parse(x) for x in texts]
        self.seconds += time.monotonic() - t
        self.texts += len(texts)
        return out

    def __getattr__(self, name: str):  # noqa: ANN204 - anything else the parser offers
        return getattr(self.inner, name)


def install_timer() -> TimedParser:
    # Every path that parses (project_parser, resolve_parser) asks load_default_parser(), which
    # returns this module-level instance: replacing it times all of them without touching the core.
    import madpg_core.text.parser as tp

    tp.load_default_parser()
    if not isinstance(tp._default, TimedParser):
        tp._default = TimedParser(tp._default)
    return tp._default


def piece_texts(records: Sequence[Record], with_gold_cuts: bool) -> set[str]:
    """The texts the model parses: pieces of at most piece_chars, cut as featurize cuts them
    (prediction knows no spans; training avoids cutting inside a gold span)."""
    from madpg_core.inference.chunking import split_text

    cfg = json.loads((default_model_dir() / "config.json").read_text(encoding="utf-8"))["config"]
    size = int(cfg.get("piece_chars") or 128)
    out: set[str] = set()
    for r in records:
        cuts = [()] + ([{c for s in r.spans for c in range(s.start + 1, s.end)}] if with_gold_cuts else [])
        for forbidden in cuts:
            out.update(r.text[a:b] for a, b in split_text(r.text, size, forbidden) if b > a)
    return out


def score_test(predictor, test: Sequence[Record]) -> dict:  # noqa: ANN001 - a Predictor
    # Texts only: a record's gold spans would steer where a long text is cut into pieces.
    pred = predictor.predict([Record(text=r.text) for r in test])
    gold = [list(r.spans) for r in test]
    scores = score_spans(gold, pred)
    lo, hi = bootstrap_f1(gold, pred)
    types = sorted({s.label for g in gold for s in g})
    return {"f1": 100 * scores.micro.f1, "p": 100 * scores.micro.precision, "r": 100 * scores.micro.recall,
            "lo": 100 * lo, "hi": 100 * hi,
            "per_type": {t: 100 * scores.per_type[t].f1 if t in scores.per_type else 0.0 for t in types}}


def edits_on(project, ids: Sequence[int], gold: dict[int, list[Span]]) -> dict:  # noqa: ANN001
    from madpg_core.storage import repo

    with project.reading() as s:
        pre = {i: repo.get_record(s, i).spans for i in ids}
    total = sum((count_edits(pre[i], gold[i]) for i in ids), Edits())
    n = max(1, len(ids))
    return {"batch_n": len(ids), "edits": total.total / n, "from_nothing": sum(len(gold[i]) for i in ids) / n,
            "insertions": total.insertions / n, "deletions": total.deletions / n,
            "type_changes": total.type_changes / n, "boundary_changes": total.boundary_changes / n}


def simulate(corpus_name: str, order: str, st: Settings, say: Callable[[str], None] = print) -> dict:
    import torch

    from madpg_core import registry, retrain, version_scores
    from madpg_core.domain import LabelSchema, RecordStatus
    from madpg_core.prelabel import load_predictor, prelabel, project_parser, unreviewed_ids
    from madpg_core.storage import repo
    from madpg_core.storage.project import Project

    torch.set_num_threads(1)  # the budgets and CPU seconds are per core; --jobs uses the others
    started, cpu_started = time.monotonic(), time.process_time()
    timer = install_timer()
    corpus = CORPORA[corpus_name]
    pool, test = sample(corpus, st)
    request = retrain.TrainRequest(device=st.device) if st.minutes is None else \
        retrain.TrainRequest(minutes=st.minutes, device=st.device)
    out: dict = {"corpus": corpus_name, "order": order, "pool_n": len(pool), "test_n": len(test),
                 "pool_entities": sum(len(r.spans) for r in pool), "test_entities": sum(len(r.spans) for r in test),
                 "minutes": request.minutes, "mode": request.mode, "rows": []}
    with tempfile.TemporaryDirectory(prefix="madpg-loop-") as tmp:
        project = Project.create(Path(tmp) / "project", LabelSchema.default())
        try:
            gold: dict[int, list[Span]] = {}
            with project.transaction() as s:  # records as a hospital has them: text, no spans
                for i, r in enumerate(pool):
                    gold[repo.add_record(s, Record(text=r.text, name=r.name or f"{corpus_name}-{i}"))] = list(r.spans)
            # Parse every text once up front, so the re-training times below are not parse times.
            t = time.monotonic()
            project_parser(project, True).parse_many(
                sorted(piece_texts(pool + test, False) | piece_texts(pool, True)))
            out["preparse_s"] = time.monotonic() - t
            registry.ensure_bundled(project)
            active, path = registry.active_model_dir(project)
            random_order = sorted(gold)
            random.Random(st.seed + 1).shuffle(random_order)
            test_cache: dict[int, dict] = {}
            prelabelled_by: int | None = None
            row: dict = {"reviewed": 0, "active": active.version}
            reviewed = 0
            while True:
                t = time.monotonic()
                predictor = load_predictor(project, path, st.device)
                if active.version not in test_cache:
                    test_cache[active.version] = score_test(predictor, test)
                row.update(test_cache[active.version], test_s=time.monotonic() - t)
                # Pre-label with the active model; the order then picks the next batch.
                t = time.monotonic()
                if order == "uncertainty":
                    if prelabelled_by != active.version:  # the same model would write the same spans
                        prelabel(project, unreviewed_ids(project), predictor, f"v{active.version}")
                        prelabelled_by = active.version
                    with project.reading() as s:
                        ids = [x.id for x in repo.list_records(s, order="uncertainty")
                               if x.status != RecordStatus.REVIEWED][: st.batch]
                else:
                    ids = random_order[reviewed : reviewed + st.batch]
                    prelabel(project, ids, predictor, f"v{active.version}")
                row["prelabel_s"] = time.monotonic() - t
                row.update(edits_on(project, ids, gold))
                out["rows"].append(row)
                say(_line(corpus_name, order, row))
                if reviewed >= st.max_reviewed or not ids:
                    break
                with project.transaction() as s:  # the annotator's work: exactly the gold spans
                    for i in ids:
                        repo.replace_spans(s, i, gold[i])
                        repo.set_status(s, i, RecordStatus.REVIEWED)
                reviewed += len(ids)
                before = active.version
                t, c, p = time.monotonic(), time.process_time(), timer.seconds
                load = os.getloadavg()[0]
                version = retrain.train_from_project(project, request)
                row = {"reviewed": reviewed, "train_wall_s": time.monotonic() - t,
                       "train_cpu_s": time.process_time() - c, "train_parse_s": timer.seconds - p,
                       "load_before": load, "new_version": version.version}
                metrics = version.metrics or {}
                activation = metrics.get("activation") or {}
                row.update(activated=bool(activation.get("activated")), reason=activation.get("reason", ""),
                           train_mode=metrics.get("mode"), base_version=metrics.get("base_version"))
                active, path = registry.active_model_dir(project)
                # New, previous and now-active version on the same (current) check set.
                t = time.monotonic()
                scores = version_scores.score_versions(project, sorted({before, version.version, active.version}),
                                                       device=st.device)
                row["check_s"] = time.monotonic() - t
                row.update(active=active.version, previous=before,
                           check={str(v): {"f1": 100 * sc.f1, "lo": 100 * sc.lo, "hi": 100 * sc.hi, "n": sc.n_records}
                                  for v, sc in scores.items()})
                now, was = scores.get(active.version), scores.get(before)
                row["check_n"] = now.n_records if now else 0
                row["worse"] = bool(now and was and active.version != before and now.f1 < was.f1)
        finally:
            project.close()
    out.update(wall_s=time.monotonic() - started, cpu_s=time.process_time() - cpu_started,
               parse_s=timer.seconds, parsed_texts=timer.texts)
    return out


def _line(corpus: str, order: str, r: dict) -> str:
    s = (f"[{corpus}:{order}] reviewed {r['reviewed']}: v{r['active']} F1 {r['f1']:.1f} [{r['lo']:.1f}–{r['hi']:.1f}]"
         f", next batch {r['edits']:.2f} edits/record vs {r['from_nothing']:.2f} from nothing")
    if "train_wall_s" in r:
        s += f"; re-train {r['train_wall_s']:.0f} s wall, {r['train_cpu_s']:.0f} s CPU; {r['reason']}"
    return s


def scratch_reference(corpus_name: str, st: Settings, minutes: float, say: Callable[[str], None] = print) -> dict:
    """madpg-lite from scratch on the whole training split, ``minutes`` CPU minutes, scored on the
    loop's test part. Parses go through a cache file kept between runs and are done before the
    budget starts, so the budget is spent on training."""
    import torch

    from madpg_core.inference.predictor import Predictor
    from madpg_core.model.config import build_config
    from madpg_core.storage.parse_cache import SqlParseCache
    from madpg_core.text.parser import CachedParser
    from madpg_core.train.loop import fit

    torch.set_num_threads(1)
    timer = install_timer()
    corpus = CORPORA[corpus_name]
    _, test = sample(corpus, st)
    train = read(corpus, corpus.train)
    if corpus.dev is not None:
        dev = read(corpus, corpus.dev)
    else:
        order = list(range(len(train)))
        random.Random(st.seed).shuffle(order)
        held = set(order[:DEV_HELD_OUT])
        dev = [r for i, r in enumerate(train) if i in held]
        train = [r for i, r in enumerate(train) if i not in held]
    # One file per corpus: two references running side by side would race to create one file.
    cache = SqlParseCache.standalone(Path(tempfile.gettempdir()) / "madpg-bench" / f"parses-{corpus_name}.sqlite")
    parser = CachedParser(timer, cache)
    t = time.monotonic()
    parser.parse_many(sorted(piece_texts(train, True) | piece_texts(dev + test, False)))
    parse_s = time.monotonic() - t
    say(f"[{corpus_name}:reference] {len(train)} train, {len(dev)} dev records; parsing {parse_s:.0f} s")
    cfg = replace(build_config("madpg-lite"), seed=st.seed, epochs=1000)  # bound by the budget, as quality.py
    t, c = time.monotonic(), time.process_time()
    result = fit(cfg, train, dev, parser=parser, cpu_budget_s=60 * minutes, device=st.device)
    wall, cpu = time.monotonic() - t, time.process_time() - c
    out = score_test(Predictor(result.model, parser=parser, device=st.device), test)
    out.update(minutes=minutes, seed=st.seed, test_arg=st.test, test_n=len(test), train_n=len(train), dev_n=len(dev),
               dev_f1=100 * result.best_dev_f1, epochs=len(result.history), wall_s=wall, cpu_s=cpu, parse_s=parse_s)
    say(f"[{corpus_name}:reference] F1 {out['f1']:.1f} [{out['lo']:.1f}–{out['hi']:.1f}], {out['epochs']} epochs, "
        f"{wall / 60:.1f} min wall, {cpu / 60:.1f} CPU-min")
    return out
