"""`madpg parser ...`: train and evaluate the Chinese dependency parser."""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from madpg_core.paths import SHARED_DATA, parser_model_dir


def register(sub: argparse._SubParsersAction) -> None:
    """Add this area's subcommands to the `madpg` parser."""
    p = sub.add_parser("parser", help="train or evaluate the Chinese dependency parser")
    psub = p.add_subparsers(dest="parser_command", required=True, metavar="ACTION")

    t = psub.add_parser("train", help="train the spaCy pipeline on the UD treebanks and package it")
    t.add_argument("--ud-dir", type=Path, default=SHARED_DATA / "ud", help="folder of the UD .conllu files")
    t.add_argument("--output", type=Path, default=parser_model_dir(), help="where the pipeline goes")
    t.add_argument("--work-dir", type=Path, default=None, help="keep corpora, config and checkpoints here")
    t.add_argument("--preset", default="accuracy", help="efficiency or accuracy")
    t.add_argument("--seed", type=int, default=0)
    t.add_argument("--max-steps", type=int, default=None, help="override the preset's step limit")
    t.add_argument("--patience", type=int, default=None, help="override the preset's patience")
    t.add_argument("--segmenter-epochs", type=int, default=8, help="epochs of the character segmenter")
    t.add_argument("--pretrain-epochs", type=int, default=0,
                   help="first pretrain tok2vec on raw medical text from the shared data (0: no)")
    t.set_defaults(func=_train)

    e = psub.add_parser("evaluate", help="UAS/LAS (gold tokens) and segmentation F1 on a CoNLL-U file")
    e.add_argument("conllu", type=Path)
    e.add_argument("--model", type=Path, default=None, help="pipeline folder (default: the shipped one)")
    e.add_argument("--segmenter", choices=("auto", "char", "jieba"), default="auto",
                   help="auto: the pipeline's character segmenter when shipped, else jieba")
    e.add_argument("--no-user-dict", action="store_true", help="with jieba: no user dictionary")
    e.set_defaults(func=_evaluate)


def _train(args: argparse.Namespace) -> int:
    from madpg_core.text.parser_training import train

    overrides = {k: v for k, v in (("max_steps", args.max_steps), ("patience", args.patience)) if v is not None}
    common = {"preset": args.preset, "seed": args.seed, "segmenter_epochs": args.segmenter_epochs,
              "pretrain_epochs": args.pretrain_epochs, **overrides}
    if args.work_dir is not None:
        train(args.ud_dir, args.output, args.work_dir, **common)
    else:
        with tempfile.TemporaryDirectory(prefix="madpg-parser-") as tmp:
            train(args.ud_dir, args.output, Path(tmp), **common)
    return 0


def _evaluate(args: argparse.Namespace) -> int:
    from madpg_core.text.conllu import read_conllu
    from madpg_core.text.parser import load_parser
    from madpg_core.text.parser_training import evaluate

    if not args.conllu.is_file():
        from madpg_core.errors import MadpgError

        raise MadpgError(f"no such CoNLL-U file: {args.conllu}")
    parser = load_parser(args.model, user_dict=not args.no_user_dict, segmenter=args.segmenter)
    result = evaluate(parser, list(read_conllu(args.conllu)))
    print(f"{args.conllu.name}: parser {parser.version}")
    for line in result.lines():
        print(line)
    return 0
