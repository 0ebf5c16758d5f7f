"""Start-up cost of the desktop app and of the default model (issue 21 item 3).

Each row is measured in a fresh subprocess, 3 times; the table shows the median (and the range).
The GUI runs on Qt's offscreen platform with a throw-away MADPG_HOME, on the demo project
(created once before timing).

    .venv/bin/python benchmarks/startup.py [--runs 3] [--loaded]

``--loaded`` measures beside one busy process per core (started and stopped here), as
benchmarks/under_load.py does for pre-labelling.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

IMPORT_GUI = """
import time; t = time.perf_counter()
import madpg_gui.app, madpg_gui.main_window
print(time.perf_counter() - t)
"""

# Time from the parent's spawn to the first event the window gets after show() (the event loop
# is running: the window is up). The preload worker then starts; quitting at once checks that a
# close while it loads is harmless.
FIRST_WINDOW = """
import sys, time
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication
qapp = QApplication(sys.argv[:1])
def shown():
    print(time.time(), flush=True)
    qapp.quit()
QTimer.singleShot(0, shown)
from madpg_gui import app
sys.exit(app.main(["--demo"]))
"""

MODEL_WARM = """
import time, torch
from madpg_core.inference.predictor import Predictor
from madpg_core.paths import default_model_dir
t = time.perf_counter()
Predictor.load(default_model_dir())
print(time.perf_counter() - t)
"""

MODEL_COLD = """
import time; t = time.perf_counter()
from madpg_core.inference.predictor import Predictor
from madpg_core.paths import default_model_dir
Predictor.load(default_model_dir())
print(time.perf_counter() - t)
"""

IMAGE_BUILT = """
import json
from torch import nn
from madpg_core.inference.predictor import Predictor
from madpg_core.paths import default_model_dir
p = Predictor.load(default_model_dir())
p.predict(["患者右肺上叶见结节，考虑肺癌。"])
image = p.model.image
built = image is not None and isinstance(image.backbone, nn.Sequential)
print(json.dumps(built))
"""


def child(code: str, env: dict[str, str]) -> tuple[float, str]:
    t0 = time.time()
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
                         timeout=300)
    if out.returncode != 0:
        raise SystemExit(f"child failed ({out.returncode}):\n{out.stderr[-3000:]}")
    return t0, out.stdout.strip().splitlines()[-1]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--loaded", action="store_true", help="beside one busy process per core")
    args = ap.parse_args()
    busy = []
    if args.loaded:
        import multiprocessing as mp

        from under_load import busy as spin

        busy = [mp.Process(target=spin, daemon=True) for _ in range(os.cpu_count() or 1)]
        for b in busy:
            b.start()
    try:
        measure(args)
    finally:
        for b in busy:
            b.terminate()


def measure(args: argparse.Namespace) -> None:
    home = tempfile.mkdtemp(prefix="madpg-startup-")
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", MADPG_HOME=home)
    child(FIRST_WINDOW, env)  # creates the demo project and the preferences: not timed

    rows: list[tuple[str, list[float]]] = []

    def timed(name: str, code: str, from_spawn: bool = False) -> None:
        values = []
        for _ in range(args.runs):
            t0, line = child(code, env)
            values.append(float(line) - t0 if from_spawn else float(line))
        rows.append((name, values))

    timed("import GUI modules (madpg_gui.app)", IMPORT_GUI)
    timed("process start -> first window shown", FIRST_WINDOW, from_spawn=True)
    timed("model load, torch already imported", MODEL_WARM)
    timed("model load, cold (incl. imports)", MODEL_COLD)
    _, built = child(IMAGE_BUILT, env)

    print(f"{'measure':<40} {'median s':>9} {'min s':>7} {'max s':>7}")
    for name, v in rows:
        print(f"{name:<40} {statistics.median(v):>9.2f} {min(v):>7.2f} {max(v):>7.2f}")
    print(f"{'image encoder built for a text-only predict':<40} {'yes' if json.loads(built) else 'no':>9}")


if __name__ == "__main__":
    main()
