"""Peak resident memory of the GUI with the default model loaded (and one record pre-labelled).

    .venv/bin/python benchmarks/memory.py

Runs the real window offscreen in a child process and reads its VmHWM (peak RSS) from /proc.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

CHILD = textwrap.dedent("""
    import os, sys, tempfile
    from pathlib import Path

    def peak_mb():
        for line in open("/proc/self/status"):
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024

    os.environ["QT_QPA_PLATFORM"] = "offscreen"
    os.environ["MADPG_HOME"] = tempfile.mkdtemp()
    from PySide6.QtWidgets import QApplication
    app = QApplication([])
    from madpg_gui import settings
    from madpg_gui.demo import ensure_demo_project
    from madpg_gui.main_window import MainWindow
    folder = ensure_demo_project()
    window = MainWindow(settings.load_prefs())
    window.open_project(folder)
    window.show(); app.processEvents()
    print("window", peak_mb(), flush=True)
    from madpg_core import registry
    from madpg_core.inference.predictor import Predictor
    from madpg_core.storage.project import Project
    with Project.open(folder) as project:
        version, path = registry.active_model_dir(project)
        predictor = Predictor.load(path, device="cpu")
        with project.reading() as s:
            from madpg_core.storage import repo
            rec = repo.get_record(s, repo.record_ids(s)[0], project.image_root)
        predictor.predict([rec])
    print("model", peak_mb(), flush=True)
""")


def main() -> None:
    r = subprocess.run([sys.executable, "-c", CHILD], cwd=ROOT, capture_output=True, text=True,
                       env={**os.environ, "PYTHONPATH": str(ROOT)})
    if r.returncode:
        sys.exit(f"child failed:\n{r.stderr[-2000:]}")
    values = dict(line.split() for line in r.stdout.splitlines() if line.split()[0] in ("window", "model"))
    print("| state | peak RSS (MB) |\n|---|---|")
    print(f"| GUI window open on the demo project | {float(values['window']):.0f} |")
    print(f"| + default model loaded, one record pre-labelled | {float(values['model']):.0f} |")


if __name__ == "__main__":
    main()
