"""Personal-information scan (madpg_core.phi): recall and precision per kind on synthetic records,
and hits on the public corpora (de-identified already, so every hit there is a false positive).

    .venv/bin/python benchmarks/phi.py                 # tables
    .venv/bin/python benchmarks/phi.py --sample 30     # and up to 30 corpus hits in context
    .venv/bin/python benchmarks/phi.py --misses        # and every synthetic miss / false hit

Synthetic: tests/phi_synthetic.records(n, seed), every kind planted in varied contexts beside
distractors. A hit counts when its (start, end, kind) equals a planted one; "overlap" recall also
counts a hit of the right kind that overlaps the planted one (what masking needs). The corpora are
read from ../shared/data; the script says so and skips them where that is absent.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from madpg_core.paths import SHARED_DATA  # noqa: E402
from madpg_core.phi import KINDS, scan  # noqa: E402
from phi_synthetic import records  # noqa: E402

NER = SHARED_DATA / "ner"
CORPORA = {
    "cEHRNER": [NER / "cehrner" / f"{s}.json" for s in ("train", "dev", "test")],
    "cMedQANER": [NER / "cmedqaner" / f"{s}.json" for s in ("train", "dev", "test")],
    "CMeEE": [NER / "cmeee" / f"CMeEE_{s}.json" for s in ("train", "dev")],
}


def corpus_texts(files: list[Path]) -> list[str]:
    texts = []
    for f in files:
        raw = f.read_text(encoding="utf-8")
        items = json.loads(raw) if raw.lstrip().startswith("[") else [json.loads(x) for x in raw.splitlines() if x]
        # ChineseBLUE replaced spaces by 叒 (one character for one): put them back, offsets unchanged
        texts += [it["text"].replace("叒", " ") for it in items]
    return texts


def synthetic(n: int, seed: int, show_misses: bool) -> None:
    gold_n, hit_n, tp, overlap = Counter(), Counter(), Counter(), Counter()
    for i, rec in enumerate(records(n, seed)):
        found = scan(rec.text)
        gold = {(s, e, k) for s, e, k, _ in rec.planted}
        hits = {(f.start, f.end, f.kind) for f in found}
        for s, e, k in gold:
            gold_n[k] += 1
            tp[k] += (s, e, k) in hits
            overlap[k] += any(k == hk and hs < e and s < he for hs, he, hk in hits)
        for s, e, k in hits:
            hit_n[k] += 1
        if show_misses:
            for s, e, k in sorted(gold - hits):
                print(f"miss  #{i} {k:<13} {rec.text[max(0, s - 8):s]}[{rec.text[s:e]}]{rec.text[e:e + 8]}")
            for s, e, k in sorted(hits - gold):
                print(f"extra #{i} {k:<13} {rec.text[max(0, s - 8):s]}[{rec.text[s:e]}]{rec.text[e:e + 8]}")
    print(f"\nSynthetic: {n} records (seed {seed}), exact (start, end, kind) match\n")
    print("| kind | planted | found | recall | overlap recall | precision |")
    print("|---|---|---|---|---|---|")
    for k in KINDS:
        rec_ = tp[k] / gold_n[k] if gold_n[k] else float("nan")
        prec = tp[k] / hit_n[k] if hit_n[k] else float("nan")
        print(f"| {k} | {gold_n[k]} | {hit_n[k]} | {rec_:.3f} | {overlap[k] / max(gold_n[k], 1):.3f} | {prec:.3f} |")
    g, h, t = sum(gold_n.values()), sum(hit_n.values()), sum(tp.values())
    print(f"| all | {g} | {h} | {t / g:.3f} | {sum(overlap.values()) / g:.3f} | {t / max(h, 1):.3f} |")


def corpora(sample: int) -> None:
    missing = [name for name, files in CORPORA.items() if not all(f.is_file() for f in files)]
    if missing:
        print(f"\npublic corpora not found under {NER} ({', '.join(missing)}): skipped (they need ../shared/data)")
    print("\nPublic corpora (published as de-identified: a hit is a false positive, or an identifier left in)\n")
    print("| corpus | records | characters | " + " | ".join(KINDS) + " | records with a hit | scan s |")
    print("|---|---|---|" + "---|" * len(KINDS) + "---|---|")
    shown: list[str] = []
    for name, files in CORPORA.items():
        if name in missing:
            continue
        texts = corpus_texts(files)
        hits, flagged = Counter(), 0
        t0 = time.perf_counter()
        for j, text in enumerate(texts):
            found = scan(text)
            flagged += bool(found)
            for f in found:
                hits[f.kind] += 1
                if len(shown) < sample or (sum(hits.values()) <= 3 and len(shown) < sample + 3):
                    shown.append(f"{name} #{j} {f.kind:<13} {text[max(0, f.start - 12):f.start]}[{f.text}]"
                                 f"{text[f.end:f.end + 12]}")
        took = time.perf_counter() - t0
        chars = sum(map(len, texts))
        print(f"| {name} | {len(texts):,} | {chars:,} | " + " | ".join(str(hits[k]) for k in KINDS)
              + f" | {flagged} ({100 * flagged / len(texts):.2f} %) | {took:.1f} |")
    if shown:
        print("\nSample of corpus hits (text[hit]text):\n")
        print("\n".join(f"    {s}" for s in shown))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-n", type=int, default=240, help="synthetic records (default 240)")
    ap.add_argument("--seed", type=int, default=18)
    ap.add_argument("--sample", type=int, default=20, help="corpus hits to show in context")
    ap.add_argument("--misses", action="store_true", help="list every synthetic miss and extra hit")
    args = ap.parse_args()
    synthetic(args.n, args.seed, args.misses)
    corpora(args.sample)


if __name__ == "__main__":
    main()
