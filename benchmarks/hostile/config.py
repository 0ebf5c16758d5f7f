"""The settings every module of the suite shares, in one place: the repository root, the checkout whose
madpg_core runs (``CODE``, from --code or $MADPG_BENCH_CODE, which the helper subprocesses inherit),
the python that runs the CLI (``PY``), the entry-point script the API helpers run as (``SCRIPT``), the
start time (``T0``), and the temporary folder (``WORK``) and subprocess environment (``ENV``) that
``reliability.py``'s main sets before any group runs. Modules read them as ``cfg.NAME`` at call time,
never ``from .config import NAME``, so all of them see the values set at start-up.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
SCRIPT = str(ROOT / "benchmarks" / "reliability.py")  # run with --_helper for the API steps
CODE = Path(os.environ.get("MADPG_BENCH_CODE", ROOT))  # the checkout whose madpg_core runs (--code)
PY = str(ROOT / ".venv" / "bin" / "python") if (ROOT / ".venv" / "bin" / "python").exists() else sys.executable
T0 = time.monotonic()
WORK: Path = Path()  # set by reliability.main
ENV: dict = {}  # set by reliability.main
