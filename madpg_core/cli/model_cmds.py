"""`madpg` subcommands for the model area: presets, train, evaluate."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from madpg_core.cli.project_cmds import PROJECT_HELP, project_arg


def register(sub: argparse._SubParsersAction) -> None:
    """Add this area's subcommands to the `madpg` parser."""
    p = sub.add_parser("presets", help="list the model presets and their flags")
    p.set_defaults(func=_presets)

    p = sub.add_parser("train", help="train a model on a project's reviewed records, or on corpus files",
                       description="madpg train PROJECT [--preset P] ...  trains on the project's reviewed "
                                   "records and registers a new model version;  madpg train --preset P --train "
                                   "FILE --dev FILE --format F --out DIR  trains on corpus files.")
    p.add_argument("project", nargs="?", type=project_arg, help=PROJECT_HELP + " (omit to train on --train/--dev files)")
    p.add_argument("--preset", help="see `madpg presets` (default for a project: madpg-lite)")
    _data_args(p, "--train", "training corpus", required=False)
    p.add_argument("--dev", type=Path, help="development corpus (best epoch by its F1)")
    p.add_argument("--out", type=Path, help="folder for the trained model")
    p.add_argument("--from-scratch", action="store_true",
                   help="project: train a new model of --preset (default madpg-lite) instead of fine-tuning the "
                        "active version (a preset other than the active version's always means from scratch)")
    p.add_argument("--minutes", type=float, default=None,
                   help="project: time budget in minutes (default 5; 0: no budget, the epochs alone decide)")
    p.add_argument("--activate", choices=("if-better", "always", "never"), default="if-better",
                   help="project: make the new version active only if it beats the active one on the check set "
                        "(default), always, or never")
    p.add_argument("--no-activate", action="store_true", help="project: the same as --activate never")
    p.add_argument("--plan", action="store_true", help="project: say what the run would do and how long, then stop")
    p.add_argument("--progress-json", action="store_true",
                   help="project: print one JSON event per line (progress, finished, cancelled, failed)")
    p.add_argument("--pretrained", help="local BERT/RoBERTa folder for presets with a pretrained encoder")
    p.add_argument("--image-weights", help="local torchvision ResNet state-dict file")
    p.add_argument("--epochs", type=int, help="passes over the training data (the schedule is planned for them)")
    p.add_argument("--batch-size", type=int)
    p.add_argument("--lr", type=float, help="learning rate of a pretrained encoder")
    p.add_argument("--head-lr", type=float, help="learning rate of freshly initialised parts")
    p.add_argument("--seed", type=int)
    p.add_argument("--weight-averaging", type=float, metavar="DECAY",
                   help="Polyak averaging of the weights, this decay per step (0: off; default: the preset's)")
    p.add_argument("--max-minutes", type=float, help="stop after the epoch that passes this wall-clock budget")
    p.add_argument("--max-cpu-minutes", type=float, help="the same in CPU time of the training process")
    p.add_argument("--device", help="cpu or cuda (default: cuda when available)")
    p.add_argument("--grad-accum-steps", type=int, metavar="K",
                   help="average the gradients of K batches into one optimiser step (effective "
                        "batch = batch size x K x processes)")
    p.add_argument("--no-bf16", action="store_true",
                   help="train in float32 on CUDA too (default: bfloat16 autocast)")
    p.add_argument("--nproc", type=int, default=1, metavar="N",
                   help="train as N processes through torchrun (DDP: one GPU each, or gloo on the CPU)")
    p.add_argument("--torchrun-args", metavar="ARGS",
                   help="several machines: torchrun's rendezvous arguments, e.g. \"--nnodes 2 --node-rank 0 "
                        "--rdzv-endpoint HOST:29400\" (run the same command on every machine)")
    p.add_argument("--version", help="model version name (default: preset + timestamp)")
    p.add_argument("--add-train", action="append", nargs="+", metavar="FORMAT FILE [MAP]", default=[],
                   help="one more training corpus in its own format, with its own type map; repeatable, "
                        "e.g. --add-train cmedqaner train.json cmedqaner-to-paper.json (with a PROJECT: "
                        "a replay corpus, a sample of which joins every re-training)")
    p.set_defaults(func=_train)

    p = sub.add_parser("evaluate", help="strict entity P/R/F1 of a trained model on a corpus file")
    p.add_argument("--model", required=True, type=Path, help="trained model folder")
    _data_args(p, "--data", "corpus with gold entities")
    p.add_argument("--json", action="store_true", help="print JSON for machines")
    p.add_argument("--device", help="cpu or cuda")
    p.set_defaults(func=_evaluate)


def _data_args(p: argparse.ArgumentParser, flag: str, what: str, required: bool = True) -> None:
    p.add_argument(flag, required=required, type=Path, help=what)
    p.add_argument("--format", required=required, help="jsonl, bio, cehrner, cmedqaner, cmeee")
    p.add_argument("--map", type=Path, help="type map file (rename or drop entity types)")


def _read(path: Path, fmt: str, map_file: Path | None) -> list:  # noqa: ANN401
    from madpg_core.formats import ImageRefs, load_type_map, read_records

    type_map = load_type_map(map_file) if map_file else None
    records, report = read_records(path, fmt, type_map, images=ImageRefs(allow_outside=True))
    print(f"{path.name}: {report.summary()}", file=sys.stderr)
    return records


def _presets(args: argparse.Namespace) -> int:
    from madpg_core.model.config import preset_table

    rows = preset_table()
    cols = list(rows[0])
    yes = lambda v: "yes" if v is True else ("-" if v is False else str(v))  # noqa: E731
    width = {c: max(len(c), *(len(yes(r[c])) for r in rows)) for c in cols}
    print("  ".join(c.ljust(width[c]) for c in cols))
    for r in rows:
        print("  ".join(yes(r[c]).ljust(width[c]) for c in cols))
    return 0


def _overrides(args: argparse.Namespace) -> dict:
    names = {"pretrained": "pretrained_path", "image_weights": "image_weights", "epochs": "epochs",
             "batch_size": "batch_size", "lr": "lr", "head_lr": "head_lr", "seed": "seed",
             "weight_averaging": "weight_averaging", "grad_accum_steps": "grad_accum_steps"}
    out = {field: getattr(args, a) for a, field in names.items() if getattr(args, a, None) is not None}
    if getattr(args, "no_bf16", False):
        out["bf16"] = False
    return out


def _train(args: argparse.Namespace) -> int:
    from madpg_core.cli.loop_cmds import in_ranks
    from madpg_core.errors import MadpgError

    if args.project is not None:
        from madpg_core.cli.loop_cmds import cmd_train_project

        return cmd_train_project(args)
    missing = [f for f in ("preset", "train", "dev", "format", "out") if getattr(args, f) is None]
    if missing:
        raise MadpgError("training on files needs " + ", ".join("--" + f for f in missing)
                         + " (or give a PROJECT folder)")
    code = in_ranks(args, lambda stop: _train_files(args, stop))  # --nproc N, or a rank under torchrun
    return _train_files(args) if code is None else code


def _train_files(args: argparse.Namespace, stop=None) -> int:  # noqa: ANN001 - threading.Event | None
    from madpg_core.errors import MadpgError
    from madpg_core.model.config import build_config
    from madpg_core.train.loop import Progress, fit

    cfg = build_config(args.preset, **_overrides(args))
    train = _read(args.train, args.format, args.map)
    for extra in args.add_train:
        if len(extra) not in (2, 3):
            raise MadpgError("--add-train takes FORMAT FILE [MAP]")
        train += _read(Path(extra[1]), extra[0], Path(extra[2]) if len(extra) == 3 else None)
    # the dev set picks the best epoch: its gold is read as strictly as `madpg evaluate` scores it
    from madpg_core.train.strict_gold import strict_gold

    dev, dropped = strict_gold(_read(args.dev, args.format, args.map), args.dev, args.format)
    if dropped:
        print(f"dev: {dropped} gold entities start with I-/E- and are not counted (strict IOB2)", file=sys.stderr)
    parser = _corpus_parser(cfg.use_gcn)
    started = time.monotonic()

    def show(p: Progress) -> None:
        if p.dev_f1 is not None or (p.step and p.step % 50 == 0):
            f1 = f" dev F1 {100 * p.dev_f1:.2f}" if p.dev_f1 is not None else ""
            loss = f" loss {p.loss:.3f}" if p.loss is not None else ""
            print(f"[{time.monotonic() - started:7.0f}s] epoch {p.epoch} step {p.step}/{p.total_steps}{loss}{f1}",
                  file=sys.stderr, flush=True)

    budget = args.max_minutes * 60 if args.max_minutes else None
    cpu_budget = args.max_cpu_minutes * 60 if args.max_cpu_minutes else None
    from madpg_core.paths import feature_cache_dir

    res = fit(cfg, train, dev, on_progress=show, parser=parser, out_dir=args.out, version=args.version,
              feature_cache_dir=feature_cache_dir(), device=args.device, time_budget_s=budget, cpu_budget_s=cpu_budget, stop=stop)
    if parser is not None and hasattr(parser, "hits"):
        print(f"dependency parses: {parser.hits} from the cache, {parser.misses} parsed", file=sys.stderr)
    print(f"saved {args.out} (best epoch {res.best_epoch}, dev F1 {100 * res.best_dev_f1:.2f}, "
          f"{res.seconds / 60:.1f} min)")
    if res.dev_scores:
        print(res.dev_scores.table())
    return 0


def _corpus_parser(use_gcn: bool):  # noqa: ANN202 - DependencyParser | None
    """The shipped parser behind the user's standalone parse cache (``paths.parse_cache_path``),
    keyed like a project's: a second run on the same corpus parses nothing. None without a GCN."""
    if not use_gcn:
        return None
    from madpg_core.errors import MadpgError
    from madpg_core.paths import parse_cache_path
    from madpg_core.storage.parse_cache import SqlParseCache
    from madpg_core.text import parser as parser_mod

    try:
        parser = parser_mod.load_default_parser()
    except MadpgError:
        raise
    except Exception as e:  # noqa: BLE001 - missing module, spaCy model, ... : one clear line
        raise MadpgError(f"the dependency GCN needs a parser and the shipped one could not be loaded: {e}") from e
    path = parse_cache_path()
    try:
        cache = SqlParseCache.standalone(path)
    except Exception as e:  # noqa: BLE001 - the cache only saves time: never fail training for it
        print(f"warning: parse cache {path} not usable ({e}); parsing without it", file=sys.stderr)
        return parser
    return parser_mod.CachedParser(parser, cache)


def _evaluate(args: argparse.Namespace) -> int:
    from madpg_core.checkpoint import read_info
    from madpg_core.inference.predictor import Predictor
    from madpg_core.train.metrics import score_spans
    from madpg_core.train.strict_gold import strict_gold

    info = read_info(args.model)  # config.json only: a corpus that cannot be scored stops before the model loads
    model_types = tuple(info["config"].get("entity_types") or ())
    records = _read(args.data, args.format, args.map)
    # Scores are strict IOB2 (seqeval mode="strict") on both sides: the import's repair of an I- without
    # its B- into an entity is undone for the gold, as predictions never get it (predictor.entity_spans).
    records, lenient = strict_gold(records, args.data, args.format)
    if lenient:
        print(f"strict IOB2 scoring: {lenient} gold chunk(s) beginning with I- (no B- before) are not entities "
              "(seqeval mode='strict'); the import had read them as entities", file=sys.stderr)
    if model_types:
        records = _known_types_only(records, model_types, info.get("model_version") or args.model.name, args)
    predictor = Predictor.load(args.model, device=args.device)
    pred = predictor.predict(records)
    scores = score_spans([r.spans for r in records], pred)
    if args.json:
        print(json.dumps(scores.as_dict(), ensure_ascii=False, indent=2))
    else:
        print(f"model {predictor.version} on {args.data} ({len(records)} records)")
        print(scores.table())
    return 0


def _known_types_only(records: list, model_types: tuple[str, ...], model: str, args: argparse.Namespace) -> list:
    """The records with gold spans of the model's types only. A type the model does not know can
    only be missed: every corpus type unknown means scores of 0.00 after a minute of predicting, so
    that stops here (exit 2) naming both sides' types and the shipped maps that fit; some unknown
    ones are left out of the scores, with a warning."""
    from collections import Counter
    from dataclasses import replace

    from madpg_core.errors import MadpgError

    gold = Counter(s.label for r in records for s in r.spans)
    unknown = {t: n for t, n in sorted(gold.items()) if t not in model_types}
    if not unknown:
        return records
    corpus = f"{args.data.name}" + (f" (after --map {args.map})" if args.map else "")
    listed = ", ".join(f"{t} ({n})" for t, n in unknown.items())
    if len(unknown) == len(gold):
        maps = "" if args.map else _fitting_maps(set(gold), set(model_types))
        raise MadpgError(
            f"none of the corpus's entity types is known to the model, so every score would be 0.00: model "
            f"{model} knows {', '.join(model_types)}; {corpus} has {listed}. "
            + (f"Rename the corpus's types with --map: {maps}" if maps else
               "Give --map a file that renames the corpus's types to the model's (source<TAB>target lines or JSON)"))
    print(f"warning: the model does not know {len(unknown)} of the corpus's {len(gold)} entity types, left out "
          f"of the scores: {listed}" + ("" if args.map else " (--map renames types)"), file=sys.stderr)
    return [replace(r, spans=tuple(s for s in r.spans if s.label in model_types)) for r in records]


def _fitting_maps(corpus_types: set[str], model_types: set[str]) -> str:
    """The type maps in resources/maps/ that turn some of the corpus's types into the model's, best
    first, each with what it maps: "resources/maps/cehrner-to-paper.json (疾病和诊断→Disease, …)"."""
    from madpg_core.formats import load_type_map
    from madpg_core.paths import RESOURCES

    found = []
    for path in sorted((RESOURCES / "maps").glob("*")):
        if path.suffix.lower() not in (".json", ".tsv", ".txt"):
            continue
        try:
            mapping = load_type_map(path)
        except Exception:  # noqa: BLE001 - a damaged map only goes unsuggested
            continue
        fits = {k: v for k, v in mapping.items() if k in corpus_types and v in model_types}
        if fits:
            found.append((len(fits), _shown(path), ", ".join(f"{k}→{v}" for k, v in fits.items())))
    found.sort(key=lambda f: -f[0])
    return "; ".join(f"{p} ({pairs})" for _, p, pairs in found)


def _shown(path: Path) -> str:
    """A path as the user can type it: relative to the working folder when inside it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)
