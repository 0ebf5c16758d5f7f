"""Assertion-status detector (madpg_core.assertion) against a hand-labelled sample of public spans.

    .venv/bin/python benchmarks/assertion.py            # tables for the detector and the baseline
    .venv/bin/python benchmarks/assertion.py --errors   # also list every wrong span in context

The sample (benchmarks/assertion_sample.jsonl; its header says how it was drawn and labelled) keeps
identifiers and offsets, not texts: the texts are read from ../shared/data at run time, and the
script stops with a clear message where that is absent. Each record goes to the detector once with
all of the corpus's entity spans of that record (every type, nested ones too), as the app would
pass all spans of a record; only the sampled spans are scored.

Printed: precision / recall / F1 / support per status, accuracy and macro F1 over the statuses
present in the sample, a confusion matrix (rows = label, columns = detector), the same for the
trivial baseline "everything present", and accuracy per corpus.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from madpg_core.assertion import Assertion, AssertionStatus, ContextDetector  # noqa: E402
from madpg_core.paths import SHARED_DATA  # noqa: E402

SAMPLE = Path(__file__).resolve().parent / "assertion_sample.jsonl"
NER = SHARED_DATA / "ner"
ORDER = [s.value for s in AssertionStatus]
SHORT = {"present": "pres", "absent": "abs", "possible": "poss", "hypothetical": "hyp",
         "historical": "hist", "family": "fam"}


def load_sample(path: Path = SAMPLE) -> list[dict]:
    rows = []
    with path.open(encoding="utf-8") as f:
        for line in f:
            if line.strip():
                row = json.loads(line)
                if "_header" not in row:
                    rows.append(row)
    return rows


def _corpus_records(corpus: str, split: str) -> list[tuple[str, list[tuple[int, int]]]]:
    """(text, every entity span) per record, in file order, exactly as published."""
    if corpus == "cmeee":
        data = json.loads((NER / "cmeee" / f"CMeEE_{split}.json").read_text(encoding="utf-8"))
        # CMeEE's end_idx is inclusive
        return [(r["text"], [(e["start_idx"], e["end_idx"] + 1) for e in r["entities"]]) for r in data]
    out = []
    with (NER / corpus / f"{split}.json").open(encoding="utf-8") as f:
        for line in f:
            if not line.strip():
                continue
            r = json.loads(line)
            spans = []
            for m in r["mention_data"]:
                s = int(m["offset"])
                e = s + len(m["mention"])
                if r["text"][s:e] == m["mention"]:  # cmedqaner has ~90 offsets that do not match
                    spans.append((s, e))
            out.append((r["text"], spans))
    return out


def need_data() -> None:
    if not NER.is_dir():
        print(f"skipped: the public corpora are not at {NER}; this benchmark rebuilds the sample's "
              "texts from ../shared/data (cehrner, cmeee, cmedqaner) and cannot run without it")
        sys.exit(0)


def run_detector(rows: Sequence[dict], detector: ContextDetector) -> list[Assertion]:
    """The detector's assertion for every sample row, one detector call per record."""
    cache: dict[tuple[str, str], list[tuple[str, list[tuple[int, int]]]]] = {}
    by_record: dict[tuple[str, str, int], list[int]] = defaultdict(list)
    for i, r in enumerate(rows):
        by_record[(r["corpus"], r["split"], r["record"])].append(i)
    out: list[Assertion | None] = [None] * len(rows)
    for (corpus, split, rec), idx in by_record.items():
        if (corpus, split) not in cache:
            cache[(corpus, split)] = _corpus_records(corpus, split)
        text, spans = cache[(corpus, split)][rec]
        sha = hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]
        for i in idx:
            r = rows[i]
            if sha != r["text_sha256"] or text[r["start"]:r["end"]] != r["mention"]:
                sys.exit(f"{corpus}/{split} record {rec} is not the text the sample was labelled on "
                         f"(hash {sha}, expected {r['text_sha256']}): another version of the data?")
        wanted = [(rows[i]["start"], rows[i]["end"]) for i in idx]
        every = sorted(set(spans) | set(wanted))
        got = dict(zip(every, detector.detect_spans(text, every)))
        for i, w in zip(idx, wanted):
            out[i] = got[w]
    return [a for a in out if a is not None]


def scores(gold: Sequence[str], pred: Sequence[str]) -> dict[str, tuple[float, float, float, int]]:
    """Per status: precision, recall, F1, support (labelled count)."""
    out = {}
    for s in ORDER:
        tp = sum(g == s and p == s for g, p in zip(gold, pred))
        n_pred = sum(p == s for p in pred)
        n_gold = sum(g == s for g in gold)
        prec = tp / n_pred if n_pred else 0.0
        rec = tp / n_gold if n_gold else 0.0
        f1 = 2 * prec * rec / (prec + rec) if prec + rec else 0.0
        out[s] = (prec, rec, f1, n_gold)
    return out


def report(name: str, gold: Sequence[str], pred: Sequence[str]) -> None:
    table = scores(gold, pred)
    acc = sum(g == p for g, p in zip(gold, pred)) / len(gold)
    present = [s for s in ORDER if table[s][3]]
    macro = sum(table[s][2] for s in present) / len(present)
    print(f"\n## {name}\n")
    print("| status | precision | recall | F1 | support |\n|---|---:|---:|---:|---:|")
    for s in ORDER:
        p, r, f, n = table[s]
        print(f"| {s} | {p:.3f} | {r:.3f} | {f:.3f} | {n} |")
    print(f"\naccuracy {acc:.3f} ({sum(g == p for g, p in zip(gold, pred))}/{len(gold)}), "
          f"macro F1 {macro:.3f} over {len(present)} statuses\n")
    cells = Counter(zip(gold, pred))
    print("| label \\ detector | " + " | ".join(SHORT[s] for s in ORDER) + " |")
    print("|---|" + "---:|" * len(ORDER))
    for g in ORDER:
        print(f"| {g} | " + " | ".join(str(cells[(g, p)]) for p in ORDER) + " |")


def per_corpus(rows: Sequence[dict], pred: Sequence[str]) -> None:
    print("\n## accuracy per corpus (detector / all-present)\n")
    print("| corpus | spans | detector | all present |\n|---|---:|---:|---:|")
    for corpus in sorted({r["corpus"] for r in rows}):
        idx = [i for i, r in enumerate(rows) if r["corpus"] == corpus]
        det = sum(rows[i]["status"] == pred[i] for i in idx) / len(idx)
        base = sum(rows[i]["status"] == "present" for i in idx) / len(idx)
        print(f"| {corpus} | {len(idx)} | {det:.3f} | {base:.3f} |")


def print_errors(rows: Sequence[dict], got: Sequence[Assertion], context: Callable[[dict], str]) -> None:
    print("\n## errors (label -> detector: context; why)\n")
    for r, a in sorted(zip(rows, got), key=lambda x: (x[0]["status"], x[1].status.value)):
        if r["status"] != a.status.value:
            print(f"- {r['status']} -> {a.status.value}: {context(r)}  [{a.explain()}]")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--errors", action="store_true", help="list every span the detector gets wrong")
    args = ap.parse_args()
    need_data()
    rows = load_sample()
    got = run_detector(rows, ContextDetector())
    gold = [r["status"] for r in rows]
    pred = [a.status.value for a in got]
    print(f"# assertion status on {len(rows)} hand-labelled spans ({SAMPLE.name})")
    print("corpora: " + ", ".join(f"{k} {v}" for k, v in sorted(Counter(r["corpus"] for r in rows).items())))
    report("ContextDetector", gold, pred)
    report("baseline: everything present", gold, ["present"] * len(gold))
    per_corpus(rows, pred)
    if args.errors:
        texts: dict[tuple[str, str], list[tuple[str, list[tuple[int, int]]]]] = {}

        def context(r: dict) -> str:
            key = (r["corpus"], r["split"])
            if key not in texts:
                texts[key] = _corpus_records(*key)
            t = texts[key][r["record"]][0]
            return f"{t[max(0, r['start'] - 20):r['start']]}[{t[r['start']:r['end']]}]{t[r['end']:r['end'] + 12]}"

        print_errors(rows, got, context)


if __name__ == "__main__":
    main()
