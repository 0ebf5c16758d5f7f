"""Speed of the agreement report (madpg_core.agreement) on 500 double-annotated records of ~200 characters.

    .venv/bin/python benchmarks/agreement.py                   # 2 annotators, cEHRNER pieces if present
    .venv/bin/python benchmarks/agreement.py --annotators 3    # adds Krippendorff's α
    .venv/bin/python benchmarks/agreement.py --synthetic       # no ../shared/data needed

Annotator "gold" is a public corpus's spans (cEHRNER train, cut into pieces of about 200 characters
at places no span crosses); each other annotator is gold with seeded perturbations: dropped spans,
shifted boundaries, changed types and added spans. Without ../shared/data (or with --synthetic) the
texts and gold spans are random, also seeded. Prints the report and the wall time of computing it
(the issue's goal: ≤ 2 s for 500 double-annotated records).
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from madpg_core.agreement import compute_agreement  # noqa: E402
from madpg_core.domain import Span  # noqa: E402
from madpg_core.paths import SHARED_DATA  # noqa: E402

CEHRNER_TRAIN = SHARED_DATA / "ner" / "cehrner" / "train.json"
PIECE = 200
SYNTHETIC_TYPES = ("Disease", "Symptom", "Organ", "Attribute", "Treatment")
# Per gold span, the chance of each perturbation; ADD is the expected number of added spans per record.
DROP, SHIFT, RETYPE, ADD = 0.07, 0.10, 0.05, 0.3


def cehrner_pieces() -> list[tuple[str, list[Span]]]:
    """cEHRNER documents cut into pieces of ≥ PIECE characters, each cut where no span crosses it."""
    from madpg_core.formats import read_records

    records, _ = read_records(CEHRNER_TRAIN, "cehrner")
    pieces = []
    for r in records:
        spans = sorted((s for s in r.spans if s.layer == 0), key=lambda s: s.start)
        start = 0
        while start < len(r.text):
            end = min(start + PIECE, len(r.text))
            while end < len(r.text) and any(s.start < end < s.end for s in spans):
                end += 1
            inside = [Span(s.start - start, s.end - start, s.label) for s in spans if start <= s.start and s.end <= end]
            pieces.append((r.text[start:end], inside))
            start = end
    return [p for p in pieces if len(p[0]) >= PIECE // 2]


def synthetic_pieces(n: int, rng: random.Random) -> list[tuple[str, list[Span]]]:
    pieces = []
    for _ in range(n):
        text = "".join(chr(0x4E00 + rng.randrange(3000)) for _ in range(PIECE))
        spans, at = [], rng.randrange(8)
        while at < PIECE - 8:
            length = rng.randint(2, 6)
            spans.append(Span(at, at + length, rng.choice(SYNTHETIC_TYPES)))
            at += length + rng.randint(3, 30)
        pieces.append((text, spans))
    return pieces


def perturb(text: str, gold: list[Span], types: list[str], rng: random.Random) -> list[Span]:
    """A second annotator: gold with some spans dropped, shifted, retyped, and some added."""
    out = []
    for s in gold:
        u = rng.random()
        if u < DROP:
            continue
        if u < DROP + SHIFT:
            start = max(0, s.start + rng.choice((-2, -1, 0, 1)))
            end = min(len(text), s.end + rng.choice((-1, 0, 1, 2)))
            s = replace(s, start=start, end=max(end, start + 1))
        elif u < DROP + SHIFT + RETYPE:
            s = replace(s, label=rng.choice([t for t in types if t != s.label] or types))
        out.append(s)
    n_add = sum(rng.random() < ADD / 3 for _ in range(3))
    for _ in range(n_add):
        start = rng.randrange(max(1, len(text) - 6))
        out.append(Span(start, min(len(text), start + rng.randint(2, 6)), rng.choice(types)))
    # A layer is flat: of overlapping spans, the earlier one stays (shifts and additions can collide).
    flat: list[Span] = []
    for s in sorted(out, key=lambda s: (s.start, s.end)):
        if not flat or flat[-1].end <= s.start:
            flat.append(s)
    return flat


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--records", type=int, default=500)
    ap.add_argument("--annotators", type=int, default=2, help="gold plus N-1 simulated annotators")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--synthetic", action="store_true", help="random texts even when cEHRNER is present")
    ap.add_argument("--quiet", action="store_true", help="print the timing only")
    args = ap.parse_args(argv)
    rng = random.Random(args.seed)
    if not args.synthetic and CEHRNER_TRAIN.is_file():
        source = f"cEHRNER train pieces ({CEHRNER_TRAIN})"
        every = cehrner_pieces()
        if args.records > len(every):
            sys.exit(f"--records {args.records}: cEHRNER train has only {len(every)} pieces of ~{PIECE} characters")
        pieces = rng.sample(every, args.records)
    else:
        why = "--synthetic" if args.synthetic else f"{CEHRNER_TRAIN} not found"
        source = f"synthetic ({why})"
        pieces = synthetic_pieces(args.records, rng)
    types = sorted({s.label for _, spans in pieces for s in spans}) or list(SYNTHETIC_TYPES)
    names = ["gold", *(f"sim{i}" for i in range(1, args.annotators))]
    records = [(text, {"gold": gold, **{n: perturb(text, gold, types, rng) for n in names[1:]}})
               for text, gold in pieces]
    chars = sum(len(t) for t, _ in records)

    t0 = time.perf_counter()
    report = compute_agreement(records, annotators=names)
    t1 = time.perf_counter()
    text = report.markdown()
    t2 = time.perf_counter()
    if not args.quiet:
        print(text)
    print(f"data: {source}; {len(records)} records, {chars} characters, {len(names)} annotators, seed {args.seed}")
    print(f"compute_agreement: {t1 - t0:.3f} s; markdown: {t2 - t1:.3f} s")


if __name__ == "__main__":
    main()
