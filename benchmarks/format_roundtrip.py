"""Round trips of the public corpora through the exchange formats: corpus → export → import.

For each corpus (cEHRNER, cMedQANER, CMeEE; every split) and each format (brat, CoNLL-2003, spaCy
DocBin, Hugging Face Parquet) it writes the records, reads them back and compares the span sets
(start, end, type) record by record. It prints one row per pair: records, spans in, spans out, spans
the writer counted as not carried (nested ones outside the one layer a flat format holds), whether
the spans that came back are exactly the ones expected (all of them, or the layer written), and
what else the writer counted as not carried. It stops with an error if a count does not add up.

    .venv/bin/python benchmarks/format_roundtrip.py [--limit N]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections import Counter
from pathlib import Path

from common import SHARED_DATA

from madpg_core.domain import ImportReport, Record, layer_view
from madpg_core.formats import brat, conll2003, docbin, hf, read_records

CORPORA = {
    "cehrner": ["ner/cehrner/train.json", "ner/cehrner/dev.json", "ner/cehrner/test.json"],
    "cmedqaner": ["ner/cmedqaner/train.json", "ner/cmedqaner/dev.json", "ner/cmedqaner/test.json"],
    "cmeee": ["ner/cmeee/CMeEE_train.json", "ner/cmeee/CMeEE_dev.json"],
}
FILES = {"conll2003": (conll2003, "x.conll"), "spacy": (docbin, "x.spacy"), "hf": (hf, "x.parquet")}
FLAT = ("conll2003", "hf")  # one layer only


def spans_of(records: list[Record], flat: bool) -> Counter:
    return Counter((r.text, s.start, s.end, s.label) for r in records
                   for s in (layer_view(r.spans).spans if flat else r.spans))


def trip(fmt: str, records: list[Record], where: Path) -> tuple[list[Record], object]:
    if fmt == "brat":
        counts = brat.write_folder(records, where / "brat")
        return brat.read(where / "brat", ImportReport()), counts
    module, name = FILES[fmt]
    with open(where / name, "w", encoding="utf-8", newline="\n") as f:
        counts = module.write(records, f)
    return module.read(where / name, ImportReport()), counts


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--limit", type=int, default=0, help="at most N records per corpus (0: all)")
    args = ap.parse_args()
    print("| corpus | format | records | spans in | spans out | not carried (spans) | same spans | "
          "other fields not carried | s |")
    print("|---|---|---:|---:|---:|---:|---|---|---:|")
    for corpus, files in CORPORA.items():
        paths = [SHARED_DATA / f for f in files if (SHARED_DATA / f).is_file()]
        if not paths:
            print(f"| {corpus} | (data not found under {SHARED_DATA}: skipped) |||||||")
            continue
        records = [r for p in paths for r in read_records(p, corpus)[0]]
        records = records[: args.limit] if args.limit else records
        spans_in = sum(len(r.spans) for r in records)
        for fmt in ("brat", "conll2003", "spacy", "hf"):
            start = time.perf_counter()
            with tempfile.TemporaryDirectory() as tmp:
                back, counts = trip(fmt, records, Path(tmp))
            seconds = time.perf_counter() - start
            spans_out = sum(len(r.spans) for r in back)
            flat = fmt in FLAT
            same = spans_of(back, False) == spans_of(records, flat) and len(back) == len(records)
            if spans_out + counts.spans_left_out != spans_in or not same:
                raise SystemExit(f"{corpus} through {fmt}: {spans_in} in, {spans_out} out, "
                                 f"{counts.spans_left_out} counted as not carried, same spans: {same}")
            other = ", ".join(counts.losses()) or "–"
            print(f"| {corpus} | {fmt} | {len(records):,} | {spans_in:,} | {spans_out:,} | {counts.spans_left_out:,} "
                  f"| {'yes' if same else 'NO'} | {other} | {seconds:.1f} |")


if __name__ == "__main__":
    main()
