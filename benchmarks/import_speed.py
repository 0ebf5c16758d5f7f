"""Import speed and how long an import holds the project's write lock.

Writes a JSONL of N synthetic records (3 spans each), imports it into a fresh project with
``madpg_core.transfer.import_into`` and prints wall and CPU seconds of the whole import and of the
write transaction alone (the time another writer — the GUI — may have to wait).

    .venv/bin/python benchmarks/import_speed.py [--records 10000]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

from madpg_core import transfer
from madpg_core.storage import repo
from madpg_core.storage.project import Project


def corpus(path: Path, n: int) -> None:
    with open(path, "w", encoding="utf-8") as f:
        for i in range(n):
            text = f"患者{i}天前出现胸痛伴咳嗽，左肺下叶可闻及湿啰音，予头孢曲松抗感染治疗。"
            spans = [{"start": text.index(w), "end": text.index(w) + len(w), "label": t}
                     for w, t in (("胸痛", "Symptom"), ("左肺下叶", "Organ"), ("头孢曲松", "Treatment"))]
            f.write(json.dumps({"name": f"r{i}", "text": text, "status": "reviewed", "spans": spans},
                               ensure_ascii=False) + "\n")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--records", type=int, default=10_000)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "in.jsonl"
        corpus(src, args.records)
        held: list[float] = []
        original = Project.transaction

        @contextmanager
        def timed(self):  # noqa: ANN001, ANN202
            with original(self) as s:
                t = time.perf_counter()
                yield s
            held.append(time.perf_counter() - t)  # from the first statement to after the commit

        with Project.create(Path(tmp) / "p") as p:
            Project.transaction = timed
            try:
                wall, cpu = time.perf_counter(), time.process_time()
                report = transfer.import_into(p, src, "jsonl")
                wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
            finally:
                Project.transaction = original
            with p.reading() as s:
                assert repo.stats(s).records == args.records
    print(f"{'records':>8}{'spans':>8}{'wall s':>9}{'CPU s':>8}{'write txn s':>13}{'records/s':>11}")
    print(f"{report.records:>8}{report.spans:>8}{wall:>9.2f}{cpu:>8.2f}{max(held):>13.2f}"
          f"{report.records / wall:>11.0f}")


if __name__ == "__main__":
    main()
