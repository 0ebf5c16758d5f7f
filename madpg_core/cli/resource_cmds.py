"""`madpg embeddings` and `madpg gazetteer`: build the resources a model starts from.

    madpg embeddings OUT --input cehrner train.json --input cmeee CMeEE_train.json [--dim 128]
    madpg gazetteer OUT.json --input cmeee CMeEE_train.json --prefix cmeee:

Both read corpora in any import format. Embeddings use only the text; a gazetteer uses the gold
mentions, with the corpus's own types under a prefix (they become extra lexicon channels).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("embeddings", help="pre-train char and bigram vectors on corpus text (needs gensim)")
    p.add_argument("out", type=Path, help="folder to write (vectors.safetensors, tokens.json)")
    _inputs(p)
    p.add_argument("--dim", type=int, default=128, help="vector width: the model's embedding width")
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--window", type=int, default=5)
    p.add_argument("--min-bigram-count", type=int, default=3)
    p.add_argument("--seed", type=int, default=42)
    p.set_defaults(func=_embeddings)

    p = sub.add_parser("gazetteer", help="a lexicon of the gold mentions of other corpora, for use_lexicon models")
    p.add_argument("out", type=Path, help="JSON file to write")
    _inputs(p)
    p.add_argument("--prefix", required=True, help="put before each type, e.g. cmeee: (keeps channels apart)")
    p.set_defaults(func=_gazetteer)


def _inputs(p: argparse.ArgumentParser) -> None:
    p.add_argument("--input", action="append", nargs=2, metavar=("FORMAT", "FILE"), required=True,
                   help="a corpus file in an import format; repeatable")


def _read_all(inputs: list[list[str]]) -> tuple[list, list[str]]:  # noqa: ANN401
    from madpg_core.formats import ImageRefs, read_records

    records, names = [], []
    for fmt, path in inputs:
        recs, report = read_records(Path(path), fmt, images=ImageRefs(allow_outside=True))
        print(f"{Path(path).name}: {report.summary()}", file=sys.stderr)
        records += recs
        names.append(f"{fmt}:{Path(path).name}")
    return records, names


def _embeddings(args: argparse.Namespace) -> int:
    from madpg_core.model.embeddings import train_embeddings

    records, names = _read_all(args.input)
    emb = train_embeddings((r.text for r in records), dim=args.dim, window=args.window, epochs=args.epochs,
                           min_bigram_count=args.min_bigram_count, seed=args.seed, sources=names)
    emb.save(args.out)
    print(f"{args.out}: {len(emb.chars)} characters, {len(emb.bigrams)} bigrams, {emb.dim} dimensions")
    return 0


def _gazetteer(args: argparse.Namespace) -> int:
    from madpg_core.model.lexicon import Lexicon

    records, _ = _read_all(args.input)
    types = sorted({s.label for r in records for s in r.spans})
    lex = Lexicon.build(records, types, prefix=args.prefix)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    lex.save(args.out)
    print(f"{args.out}: {len(lex.counts)} mentions, types {', '.join(lex.types)}")
    return 0
