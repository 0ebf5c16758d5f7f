"""Does the re-training loop work? A hospital adopts the tool on a corpus written to a guideline the
bundled model was not trained on (CMeEE, cMedQANER; mapped to the paper's types), and a simulated
annotator reviews pre-labelled records in batches — least confident first, and separately in
random order — by replacing the pre-labels with the gold spans. After each batch the project
re-trains with the defaults (warm start, the default budget), and per batch the benchmark records
the active model's F1 on a held-out test part, the edits per record the next batch needed (beside
annotating from nothing), the re-training's wall and CPU time, and whether the active version
ever got worse on the check set. Then it checks the goals of issue 14.

    .venv/bin/python benchmarks/loop.py --quick                        # smoke run, a few minutes
    .venv/bin/python benchmarks/loop.py --jobs 2 --plot benchmarks/loop.png          # the full run
    .venv/bin/python benchmarks/loop.py --jobs 2 --scratch-reference 20 --plot benchmarks/loop.png
    .venv/bin/python benchmarks/loop.py --resume /tmp/madpg-bench/loop.json --plot benchmarks/loop.png

Each (corpus, order) runs in a child process with one torch thread, so --jobs 2 uses two cores.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from common import machine, markdown
from loop_sim import CORPORA, NER, ORDERS, Settings, scratch_reference, simulate

QUICK = {"pool": 60, "test": 30, "batch": 10, "max_reviewed": 20, "minutes": 0.3}
SHORT = {"uncertainty": "unc.", "random": "rand."}
# The goals of issue 14, measured at these numbers of reviewed records.
GAIN_AT, GAIN_POINTS = 50, 15.0
SCRATCH_AT, SCRATCH_POINTS = 200, 5.0
EDITS_AT, EDITS_SAVED = 100, 0.5
FEWER_RECORDS = 0.25
MAX_TRAIN_S = 300.0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pool", type=int, default=800, help="records imported unreviewed, per corpus")
    ap.add_argument("--test", type=int, default=300, help="held-out test records (at most the test file's)")
    ap.add_argument("--batch", type=int, default=25, help="records reviewed between re-trainings")
    ap.add_argument("--max-reviewed", type=int, default=200)
    ap.add_argument("--minutes", type=float, help="re-training budget (default: the tool's default)")
    ap.add_argument("--corpora", default=",".join(CORPORA))
    ap.add_argument("--orders", default=",".join(ORDERS))
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--device", help="cpu or cuda (default: as the tool chooses)")
    ap.add_argument("--jobs", type=int, default=1, help="child processes at once (one core each)")
    ap.add_argument("--scratch-reference", type=float, metavar="MINUTES",
                    help="also train madpg-lite from scratch on the whole training split with this CPU budget")
    ap.add_argument("--json", type=Path, help="results file (default: madpg-bench/loop.json in the temp folder)")
    ap.add_argument("--plot", type=Path, help="write the plot (PNG) here")
    ap.add_argument("--resume", type=Path, metavar="JSON", help="re-print tables and plot from saved results")
    ap.add_argument("--quick", action="store_true",
                    help="smoke run: " + ", ".join(f"{k} {v}" for k, v in QUICK.items()))
    ap.add_argument("--only", help=argparse.SUPPRESS)  # CORPUS:ORDER or CORPUS:reference, in a child
    args = ap.parse_args()
    if args.quick:  # its sizes, where not given explicitly
        for k, v in QUICK.items():
            if getattr(args, k) == ap.get_default(k):
                setattr(args, k, v)
    command = shlex.join(sys.orig_argv)
    if args.only:
        return child(args)
    print(f"$ {command}\n", flush=True)
    if args.resume:
        results = json.loads(args.resume.read_text(encoding="utf-8"))
        print(f"(results of: $ {results['command']})\n")
        return report(results, args.plot)
    if not NER.is_dir():
        sys.exit(f"benchmark data not found at {NER}: this benchmark needs ../shared/data (CMeEE, cMedQANER)")
    corpora, orders = _names(ap, args.corpora, CORPORA), _names(ap, args.orders, ORDERS)
    out = args.json or Path(tempfile.gettempdir()) / "madpg-bench" / ("loop-quick.json" if args.quick else "loop.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    parts = out.parent / f"{out.stem}.parts"
    parts.mkdir(exist_ok=True)
    settings = _settings(args)
    results = {"command": command, "machine": "", "settings": settings.__dict__, "runs": {}, "reference": {},
               "errors": {}}
    # A reference takes as long as its budget: keep one measured before for the same test part.
    old = json.loads(out.read_text(encoding="utf-8")).get("reference", {}) if out.is_file() else {}
    jobs = [f"{c}:{o}" for c in corpora for o in orders]
    for c in corpora:
        ref = old.get(c)
        if ref and args.scratch_reference is None:
            results["reference"][c] = ref
        elif args.scratch_reference is not None:
            if ref and (ref["minutes"], ref["seed"], ref.get("test_arg")) == (args.scratch_reference, args.seed,
                                                                               args.test):
                print(f"{c}: scratch reference from {out}", flush=True)
                results["reference"][c] = ref
            else:
                jobs.append(f"{c}:reference")

    def run(job: str) -> None:
        part = parts / f"{job.replace(':', '-')}.json"
        part.unlink(missing_ok=True)
        cmd = [sys.executable, __file__, *_forward(args), "--only", job, "--json", str(part)]
        env = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
        with subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env) as p:
            tail: list[str] = []
            for line in p.stdout:  # one line per batch; progress bars and warnings kept for a failure
                if line.startswith("["):
                    print(line, end="", flush=True)
                tail = (tail + [line])[-30:]
        if p.returncode != 0 or not part.is_file():
            results["errors"][job] = "".join(tail)
            print(f"{job} FAILED (exit {p.returncode}):\n{''.join(tail)}", flush=True)
            return
        doc = json.loads(part.read_text(encoding="utf-8"))
        if job.endswith(":reference"):
            results["reference"][job.split(":")[0]] = doc
        else:
            results["runs"][job] = doc

    with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        list(pool.map(run, jobs))
    import torch

    torch.set_num_threads(1)  # the machine line then names the children's thread count
    results["machine"] = machine()
    out.write_text(json.dumps(results, ensure_ascii=False, indent=1), encoding="utf-8")
    print()
    report(results, args.plot)
    print(f"\nresults: {out} (re-print: .venv/bin/python benchmarks/loop.py --resume {out})")
    if results["errors"]:
        sys.exit(f"failed: {', '.join(results['errors'])}")


def _names(ap: argparse.ArgumentParser, value: str, known) -> list[str]:  # noqa: ANN001
    names = [n.strip() for n in value.split(",") if n.strip()]
    if unknown := [n for n in names if n not in known]:
        ap.error(f"unknown {unknown}; choose from {', '.join(known)}")
    return names


def _settings(args: argparse.Namespace) -> Settings:
    return Settings(args.pool, args.test, args.batch, args.max_reviewed, args.minutes, args.seed, args.device)


def _forward(args: argparse.Namespace) -> list[str]:
    out = ["--pool", str(args.pool), "--test", str(args.test), "--batch", str(args.batch),
           "--max-reviewed", str(args.max_reviewed), "--seed", str(args.seed)]
    if args.minutes is not None:
        out += ["--minutes", str(args.minutes)]
    if args.device:
        out += ["--device", args.device]
    if args.scratch_reference is not None:
        out += ["--scratch-reference", str(args.scratch_reference)]
    return out


def child(args: argparse.Namespace) -> None:
    corpus, what = args.only.split(":")
    settings = _settings(args)

    def say(line: str) -> None:
        print(line, flush=True)

    if what == "reference":
        doc = scratch_reference(corpus, settings, args.scratch_reference, say)
    else:
        doc = simulate(corpus, what, settings, say)
    args.json.write_text(json.dumps(doc, ensure_ascii=False, indent=1), encoding="utf-8")


# ---------------------------------------------------------------- report


def report(results: dict, plot: Path | None) -> None:
    st = results["settings"]
    print(f"machine: {results['machine']}")
    print(f"pool {st['pool']} records, test up to {st['test']}, batches of {st['batch']}, up to {st['max_reviewed']} "
          f"reviewed, re-training budget {_minutes(results)}, seed {st['seed']}\n")
    for corpus in CORPORA:
        runs = {o: results["runs"][f"{corpus}:{o}"] for o in ORDERS if f"{corpus}:{o}" in results["runs"]}
        if runs:
            corpus_tables(corpus, runs, results["reference"].get(corpus))
    print("## Goals (issue 14)\n")
    print(markdown(goals(results), ["goal", "corpus", "measured", "met"]))
    if plot:
        draw(results, plot)
        print(f"\nplot: {plot}")


def _minutes(results: dict) -> str:
    ms = {r.get("minutes") for r in results["runs"].values()}
    return ", ".join("none" if m is None else f"{m:g} min" for m in sorted(ms, key=str)) or "?"


def corpus_tables(corpus: str, runs: dict[str, dict], ref: dict | None) -> None:
    any_run = next(iter(runs.values()))
    print(f"## {corpus}: pool {any_run['pool_n']} records ({any_run['pool_entities']} entities), "
          f"test part {any_run['test_n']} records ({any_run['test_entities']} entities)\n")
    by_reviewed: dict[int, dict] = {}
    for order, run in runs.items():
        o = SHORT[order]
        for r in run["rows"]:
            row = by_reviewed.setdefault(r["reviewed"], {"reviewed": r["reviewed"]})
            row[f"{o} F1 [95% CI]"] = f"{r['f1']:.1f} [{r['lo']:.1f}–{r['hi']:.1f}]"
            row[f"{o} edits/rec"] = f"{r['edits']:.2f} / {r['from_nothing']:.2f}"
            if "train_wall_s" in r:
                row[f"{o} re-train s"] = f"{r['train_wall_s']:.0f} / {r['train_cpu_s']:.0f}"
                row[f"{o} new version"] = f"v{r['new_version']} {'activated' if r['activated'] else 'kept'}"
                check = r.get("check", {})
                new, old = check.get(str(r["new_version"])), check.get(str(r["previous"]))
                row[f"{o} check"] = (f"{new['f1']:.1f} vs {old['f1']:.1f} (n={r['check_n']})" if new and old
                                     else f"n={r['check_n']}")
    cols = ["reviewed"] + [f"{SHORT[o]} {c}" for o in runs
                           for c in ("F1 [95% CI]", "edits/rec", "re-train s", "new version", "check")]
    print(markdown([by_reviewed[k] for k in sorted(by_reviewed)], cols))
    print("\nF1: strict micro F1 of the active model on the test part. edits/rec: on the next batch, pre-labelled "
          "by that model / annotating from nothing. re-train s: wall / CPU seconds. check: micro F1 of the new "
          "version vs the version active before it, on the check set as it is after the run (n records).")
    if ref:
        print(f"\nScratch reference (madpg-lite on all {ref['train_n']} training records, {ref['minutes']:g} CPU-min,"
              f" {ref['epochs']} epochs): F1 {ref['f1']:.1f} [{ref['lo']:.1f}–{ref['hi']:.1f}]")
    for order, run in runs.items():
        print(f"\n{order}: {run['wall_s'] / 60:.1f} min in all, of which parsing {run['parse_s']:.0f} s "
              f"({100 * run['parse_s'] / max(run['wall_s'], 1e-9):.1f} %, {run['parsed_texts']} texts; "
              f"pre-parse {run['preparse_s']:.0f} s), pre-labelling {sum(r['prelabel_s'] for r in run['rows']):.0f} s,"
              f" re-training {sum(r.get('train_wall_s', 0) for r in run['rows']):.0f} s")
    # Per type at the rows the goals look at.
    types = sorted({t for run in runs.values() for r in run["rows"] for t in r["per_type"]})
    rows = []
    for order, run in runs.items():
        for r in run["rows"]:
            if r["reviewed"] in (0, GAIN_AT, EDITS_AT, run["rows"][-1]["reviewed"]):
                rows.append({"order": order, "reviewed": r["reviewed"], "micro": r["f1"],
                             **{t: r["per_type"].get(t) for t in types}})
    print(f"\nPer type (strict F1 on the test part):\n\n{markdown(rows, ['order', 'reviewed', 'micro', *types])}\n")


def _at(run: dict, reviewed: int) -> dict | None:
    return next((r for r in run["rows"] if r["reviewed"] == reviewed), None)


def first_reach(run: dict, level: float) -> float | None:
    """Reviewed records at which the F1 curve first reaches ``level`` (linear between batches)."""
    pts = [(r["reviewed"], r["f1"]) for r in run["rows"]]
    if pts[0][1] >= level:
        return float(pts[0][0])
    for (x0, y0), (x1, y1) in zip(pts, pts[1:]):
        if y1 >= level:
            return x0 + (level - y0) / (y1 - y0) * (x1 - x0)
    return None


def _verdict(flags: list[bool | None], orders: list[str]) -> str:
    if any(f is None for f in flags):
        return "not measured" if all(f is None for f in flags) else "partly measured"
    if all(flags):
        return "yes"
    return "no" if not any(flags) else "only " + ", ".join(o for o, f in zip(orders, flags) if f)


def goals(results: dict) -> list[dict]:
    out: list[dict] = []
    for corpus in CORPORA:
        runs = {o: results["runs"][f"{corpus}:{o}"] for o in ORDERS if f"{corpus}:{o}" in results["runs"]}
        if not runs:
            continue
        orders, ref = list(runs), results["reference"].get(corpus)

        def add(goal: str, cells: list[str], flags: list[bool | None], met: str | None = None) -> None:
            out.append({"goal": goal, "corpus": corpus, "measured": "; ".join(cells),
                        "met": met or _verdict(flags, orders)})

        # 1. No activated version below the one it replaced, on the same check set.
        cells, flags = [], []
        for o, run in runs.items():
            acts = [r for r in run["rows"] if r.get("activated")]
            worse = [r for r in acts if r.get("worse")]
            cells.append(f"{o}: {len(worse)} of {len(acts)} activations below their predecessor")
            flags.append(not worse)
        add("no activated version below its predecessor on the check set", cells, flags)
        # 2. Gain over zero-shot after GAIN_AT records.
        cells, flags = [], []
        for o, run in runs.items():
            r0, r = run["rows"][0], _at(run, GAIN_AT)
            if r is None:
                cells.append(f"{o}: not measured (no row at {GAIN_AT})")
                flags.append(None)
                continue
            cells.append(f"{o}: {r['f1']:.1f} vs zero-shot {r0['f1']:.1f} ({r['f1'] - r0['f1']:+.1f})")
            flags.append(r["f1"] >= r0["f1"] + GAIN_POINTS)
        add(f"F1 after {GAIN_AT} ≥ zero-shot + {GAIN_POINTS:g}", cells, flags)
        # 3. Close to the scratch reference after SCRATCH_AT records.
        cells, flags = [], []
        for o, run in runs.items():
            r = _at(run, SCRATCH_AT)
            if ref is None or r is None:
                why = "no --scratch-reference" if ref is None else f"no row at {SCRATCH_AT}"
                cells.append(f"{o}: not measured ({why})")
                flags.append(None)
                continue
            cells.append(f"{o}: {r['f1']:.1f} vs scratch {ref['f1']:.1f} ({r['f1'] - ref['f1']:+.1f})")
            flags.append(r["f1"] >= ref["f1"] - SCRATCH_POINTS)
        add(f"F1 after {SCRATCH_AT} within {SCRATCH_POINTS:g} of scratch on the whole train split", cells, flags)
        # 4. Uncertainty reaches random's F1 levels with fewer records.
        if {"uncertainty", "random"} <= set(runs):
            cells, flags = level_savings(runs["uncertainty"], runs["random"])
            add(f"uncertainty reaches each F1 level with ≥ {100 * FEWER_RECORDS:.0f} % fewer records", cells,
                flags, met=("yes" if flags and all(flags) else "no") if flags else "not measured")
        # 5. Edits per record after EDITS_AT records.
        cells, flags = [], []
        for o, run in runs.items():
            r = _at(run, EDITS_AT)
            if r is None:
                cells.append(f"{o}: not measured (no row at {EDITS_AT})")
                flags.append(None)
                continue
            saved = 1 - r["edits"] / r["from_nothing"] if r["from_nothing"] else 0.0
            cells.append(f"{o}: {r['edits']:.2f} vs {r['from_nothing']:.2f} from nothing ({100 * saved:.0f} % fewer)")
            flags.append(saved >= EDITS_SAVED)
        add(f"edits/record after {EDITS_AT} ≥ {100 * EDITS_SAVED:.0f} % fewer than from nothing", cells, flags)
        # 6. Re-training time.
        cells, flags = [], []
        for o, run in runs.items():
            trains = [r for r in run["rows"] if "train_wall_s" in r]
            if not trains:
                cells.append(f"{o}: no re-training")
                flags.append(None)
                continue
            slow = max(trains, key=lambda r: r["train_wall_s"])
            cells.append(f"{o}: longest {slow['train_wall_s'] / 60:.1f} min wall ({slow['train_cpu_s'] / 60:.1f} "
                         f"CPU-min, at {slow['reviewed']} reviewed, load {slow['load_before']:.1f})")
            flags.append(slow["train_wall_s"] <= MAX_TRAIN_S)
        add(f"each re-training ≤ {MAX_TRAIN_S / 60:g} min (wall)", cells, flags)
    return out


def level_savings(unc: dict, rnd: dict) -> tuple[list[str], list[bool]]:
    """F1 levels: what random order reached at ½, ¾ and all of the records reviewed; for each, the
    records each order needed to first reach it (interpolated), and uncertainty's saving."""
    last = rnd["rows"][-1]["reviewed"]
    marks = sorted({min((r["reviewed"] for r in rnd["rows"][1:]), key=lambda n: abs(n - f * last), default=0)
                    for f in (0.5, 0.75, 1.0)})
    cells, flags = [], []
    for level in sorted({_at(rnd, mark)["f1"] for mark in marks}):
        n_rnd, n_unc = first_reach(rnd, level), first_reach(unc, level)
        if not n_rnd:
            cells.append(f"F1 {level:.1f}: zero-shot already there")
            continue
        if n_unc is None:
            cells.append(f"F1 {level:.1f}: random {n_rnd:.0f}, uncertainty never")
            flags.append(False)
            continue
        saved = 1 - n_unc / n_rnd
        diff = f"{100 * saved:.0f} % fewer" if saved >= 0 else f"{-100 * saved:.0f} % more"
        cells.append(f"F1 {level:.1f}: random {n_rnd:.0f}, uncertainty {n_unc:.0f} ({diff})")
        flags.append(saved >= FEWER_RECORDS)
    return cells, flags


def draw(results: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")  # no display
    import matplotlib.pyplot as plt

    corpora = [c for c in CORPORA if any(k.startswith(c + ":") for k in results["runs"])]
    fig, axes = plt.subplots(2, len(corpora), figsize=(6 * len(corpora), 8), squeeze=False)
    colours = {"uncertainty": "#0072B2", "random": "#E69F00"}
    for col, corpus in enumerate(corpora):
        f1_ax, ed_ax = axes[0][col], axes[1][col]
        for order in ORDERS:
            run = results["runs"].get(f"{corpus}:{order}")
            if not run:
                continue
            xs = [r["reviewed"] for r in run["rows"]]
            c = colours[order]
            f1_ax.plot(xs, [r["f1"] for r in run["rows"]], "o-", color=c, label=order)
            f1_ax.fill_between(xs, [r["lo"] for r in run["rows"]], [r["hi"] for r in run["rows"]], color=c, alpha=0.15)
            ed_ax.plot(xs, [r["edits"] for r in run["rows"]], "o-", color=c, label=f"{order}, with pre-labels")
            ed_ax.plot(xs, [r["from_nothing"] for r in run["rows"]], "--", color=c, alpha=0.6,
                       label=f"{order}, from nothing")
        ref = results["reference"].get(corpus)
        if ref:
            f1_ax.axhline(ref["f1"], color="grey", ls=":",
                          label=f"scratch, whole train split ({ref['minutes']:g} CPU-min)")
        f1_ax.set(title=f"{corpus}: test F1 of the active model", xlabel="reviewed records", ylabel="strict micro F1")
        ed_ax.set(title=f"{corpus}: edits per record on the next batch", xlabel="reviewed records",
                  ylabel="edits per record")
        ed_ax.set_ylim(bottom=0)  # a saving reads as large as it is
        for ax in (f1_ax, ed_ax):
            ax.grid(alpha=0.3)
            ax.legend(fontsize=8)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)


if __name__ == "__main__":
    main()
