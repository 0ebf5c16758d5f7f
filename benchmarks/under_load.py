"""Pre-labelling quiet and beside a synthetic CPU load, with the app's thread policy and without it.

A clinician's workstation runs other programs. This runs every figure twice — quiet, and beside
one busy process per core that the benchmark starts and stops — and prints the ratio loaded /
quiet. "policy" is what the app does (``madpg_core.threads``: one torch thread for pre-labelling);
"all cores" is torch's default (one thread per core), what the app did before.

Figures, each measured in a fresh child process so that the thread settings take effect as they
do in the app:
  - model load: seconds to load the bundled model (torch already imported);
  - latency: median seconds to pre-label one record (128 characters), after a warm-up;
  - throughput: records per second over a batch of records;
  - cancel: median seconds from SIGTERM (sent 0.13, 0.29 and 0.41 s after the first progress
    event, so inside a batch) to the "cancelled" event of a running ``madpg prelabel
    --progress-json`` (the work has stopped; the interpreter's exit follows).

    .venv/bin/python benchmarks/under_load.py [--records 24] [--repeats 12]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PY = sys.executable
TEXT = ("患者3天前无明显诱因出现发热，最高体温39.2℃，伴咳嗽、咳黄痰，胸部CT示右肺下叶斑片影，"
        "血常规示白细胞升高，诊断为社区获得性肺炎，予头孢曲松抗感染及对症治疗后体温下降。")


def busy() -> None:  # one core's worth of load
    while True:
        pass


def child(args: argparse.Namespace) -> None:
    """Runs in a fresh process: apply the thread policy (or not), then measure."""
    if args.policy:
        from madpg_core import threads

        threads.apply("prelabel")
    import torch

    from madpg_core.domain import Record
    from madpg_core.inference.predictor import Predictor
    from madpg_core.paths import default_model_dir

    t = time.perf_counter()
    predictor = Predictor.load(default_model_dir(), device="cpu")
    load_s = time.perf_counter() - t
    texts = [(TEXT * 2)[i % 17 : i % 17 + 128] for i in range(args.records)]
    records = [Record(x) for x in texts]
    predictor.predict(records[:2])  # warm-up
    times = []
    for r in records[: args.repeats]:
        t = time.perf_counter()
        predictor.predict([r])
        times.append(time.perf_counter() - t)
    t = time.perf_counter()
    predictor.predict(records)
    batch_s = time.perf_counter() - t
    print(json.dumps({"threads": torch.get_num_threads(), "load_s": load_s, "latency_s": statistics.median(times),
                      "throughput": len(records) / batch_s}))


def measure(policy: bool, records: int, repeats: int) -> dict:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    if not policy:
        for k in ("MADPG_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
            env.pop(k, None)
    else:
        env.pop("MADPG_THREADS", None)
    cmd = [PY, __file__, "--child", "--records", str(records), "--repeats", str(repeats)]
    if policy:
        cmd.append("--policy")
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True, cwd=REPO).stdout
    return json.loads(out.strip().splitlines()[-1])


CANCEL_DELAYS = (0.13, 0.29, 0.41)  # after the first progress event: somewhere inside a batch


def cancel_latency(project: Path, policy: bool) -> float:
    """Median seconds from SIGTERM, sent at a few points inside a batch, to the stop."""
    return statistics.median(cancel_once(project, policy, d) for d in CANCEL_DELAYS)


def cancel_once(project: Path, policy: bool, delay: float) -> float:
    """SIGTERM a running `madpg prelabel` ``delay`` s after its first progress event (the model is
    loaded and working); seconds until it says it stopped."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    if not policy:
        env["MADPG_THREADS"] = str(os.cpu_count())
    proc = subprocess.Popen([PY, "-m", "madpg_core.cli", "prelabel", str(project), "--device", "cpu",
                             "--progress-json"], env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                            text=True, cwd=REPO)
    for line in proc.stdout:  # wait for the first progress event: the model is loaded and working
        if '"progress"' in line:
            break
    time.sleep(delay)
    t = time.perf_counter()
    proc.send_signal(signal.SIGTERM)
    for line in proc.stdout:  # the "cancelled" event: the work has stopped (exiting Python follows)
        if '"cancelled"' in line:
            break
    stopped = time.perf_counter() - t
    proc.communicate(timeout=600)
    return stopped


def make_project(folder: Path, n: int) -> Path:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    subprocess.run([PY, "-m", "madpg_core.cli", "init", str(folder)], env=env, check=True, capture_output=True)
    src = folder.parent / "records.jsonl"
    src.write_text("".join(json.dumps({"name": f"r{i}", "text": (TEXT * 4)[i % 23 : i % 23 + 400]},
                                      ensure_ascii=False) + "\n" for i in range(n)), encoding="utf-8")
    subprocess.run([PY, "-m", "madpg_core.cli", "import", str(folder), "-f", "jsonl", str(src)], env=env,
                   check=True, capture_output=True)
    return folder


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--records", type=int, default=24)
    ap.add_argument("--repeats", type=int, default=12)
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--policy", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    if args.child:
        child(args)
        return
    cores = os.cpu_count() or 1
    results: dict[str, dict] = {}
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["MADPG_HOME"] = str(Path(tmp) / "home")
        project = make_project(Path(tmp) / "p", 200)
        for load in ("quiet", "loaded"):
            workers = [mp.Process(target=busy, daemon=True) for _ in range(cores if load == "loaded" else 0)]
            for w in workers:
                w.start()
            try:
                for policy in (True, False):
                    name = f"{load}/{'policy' if policy else 'all cores'}"
                    print(f"measuring {name}…", file=sys.stderr)
                    r = measure(policy, args.records, args.repeats)
                    shutil.rmtree(project, ignore_errors=True)
                    make_project(project, 200)
                    r["cancel_s"] = cancel_latency(project, policy)
                    results[name] = r
            finally:
                for w in workers:
                    w.terminate()
    print(f"\n{cores} cores; load = {cores} busy processes. Ratios: loaded / quiet (lower is better; "
          "throughput: quiet / loaded).\n")
    print("| threads | figure | quiet | loaded | ratio |")
    print("|---|---|---|---|---|")
    for policy in ("policy", "all cores"):
        q, l_ = results[f"quiet/{policy}"], results[f"loaded/{policy}"]
        label = f"{policy} ({q['threads']})"
        for key, unit, inverse in (("load_s", "model load s", False), ("latency_s", "latency s/record", False),
                                   ("throughput", "throughput records/s", True), ("cancel_s", "cancel s", False)):
            ratio = q[key] / l_[key] if inverse else l_[key] / q[key]
            print(f"| {label} | {unit} | {q[key]:.3f} | {l_[key]:.3f} | {ratio:.2f}× |")
    if args.json:
        args.json.write_text(json.dumps(results, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
