"""`madpg prelabel | models`: the model in the loop of a project."""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("prelabel", help="pre-label a project's unreviewed records with a model")
    p.add_argument("project", type=Path)
    p.add_argument("--model", type=Path, help="checkpoint folder (default: the project's active model version)")
    p.add_argument("--records", help="comma-separated record ids (default: every record not reviewed)")
    p.add_argument("--device", default="auto", help="auto, cpu or cuda")
    p.add_argument("--progress-json", action="store_true",
                   help="print one JSON event per line (progress, finished, cancelled, failed) for the GUI")
    p.set_defaults(func=cmd_prelabel)

    p = sub.add_parser("models", help="list a project's model versions, or activate one (rollback)")
    p.add_argument("project", type=Path)
    p.add_argument("--activate", type=int, metavar="VERSION")
    p.set_defaults(func=cmd_models)


def cmd_prelabel(args: argparse.Namespace) -> int:
    with stop_on_signals() as stop:
        return _prelabel(args, stop)


def _prelabel(args: argparse.Namespace, stop: threading.Event) -> int:
    from madpg_core import registry
    from madpg_core.cli.project_cmds import progress_bar
    from madpg_core.prelabel import PrelabelReport, load_predictor, prelabel, unreviewed_ids
    from madpg_core.storage.project import Project

    emit = json_events(args.progress_json, stop)

    def work() -> tuple[PrelabelReport, str]:
        with Project.open(args.project) as project:
            if args.model:
                model_dir, label = args.model, f"file:{args.model.name}"
            else:
                version, model_dir = registry.active_model_dir(project)
                label = f"v{version.version}"
            predictor = load_predictor(project, model_dir, None if args.device == "auto" else args.device)
            ids = [int(x) for x in args.records.split(",")] if args.records else unreviewed_ids(project)
            with progress_bar("pre-labelling") as bar:
                def on_progress(done: int, total: int) -> None:
                    bar(done, total)
                    emit("progress", done=done, total=total)

                return prelabel(project, ids, predictor, label, on_progress=on_progress, stop=stop), label

    done, code = run_reporting(work, emit, args.progress_json)
    if done is None:
        return code
    report, label = done
    emit("finished", records=report.records, spans=report.spans, model_version=label)
    if args.progress_json:
        return 0
    print(f"pre-labelled {report.records} records with {label}: {report.spans} entities"
          + (f", {report.skipped_reviewed} reviewed records left as they were" if report.skipped_reviewed else ""))
    return 0


def cmd_models(args: argparse.Namespace) -> int:
    from madpg_core import registry
    from madpg_core.storage.project import Project

    with Project.open(args.project) as project:
        if args.activate is not None:
            registry.activate(project, args.activate)
            print(f"model version {args.activate} is now active")
        rows = registry.versions(project)
    if not rows:
        print("no model versions (and no bundled default model found)")
        return 0
    print(f"{'':2}{'version':>7}  {'preset':<16}{'train':>7}{'dev F1':>8}  created")
    for v in rows:
        f1 = ((v.metrics or {}).get("micro") or {}).get("f1")
        f1s = f"{100 * f1:.1f}" if isinstance(f1, (int, float)) else "-"
        print(f"{'*' if v.active else ' ':2}{v.version:>7}  {v.preset:<16}{v.train_size:>7}{f1s:>8}  {v.created_at}")
    return 0


@contextmanager
def stop_on_signals() -> Iterator[threading.Event]:
    """SIGTERM (the GUI's Cancel) and SIGINT (Ctrl+C) set the stop event: the work ends between two
    batches, cleanly. The previous handlers come back afterwards."""
    stop = threading.Event()
    previous = {sig: signal.signal(sig, lambda *_: stop.set()) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield stop
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def run_reporting(work: Callable[[], T], emit: Callable[..., None], quiet: bool) -> tuple[T | None, int]:
    """Run ``work``: a cancel becomes a "cancelled" event and exit code 3; a user-facing error a
    "failed" event, then the usual one-line error of the CLI."""
    from madpg_core.errors import Cancelled, MadpgError

    try:
        return work(), 0
    except Cancelled as e:
        emit("cancelled", message=str(e))
        if not quiet:
            print(f"madpg: {e}")
        return None, 3
    except MadpgError as e:
        emit("failed", message=str(e))
        raise


def json_events(enabled: bool, stop: threading.Event) -> Callable[..., None]:
    """The event printer of --progress-json, and the watchers that turn the GUI's going away into
    a stop: a dead pipe, a new parent (the GUI was killed), or a "cancel" line on stdin (which
    works where SIGTERM does not, on Windows)."""
    if not enabled:
        return lambda event, **fields: None
    parent = os.getppid()

    def watch_parent() -> None:
        while not stop.is_set():
            if os.getppid() != parent:
                stop.set()
            time.sleep(1.0)

    def watch_stdin() -> None:
        try:
            for line in sys.stdin:
                if line.strip() == "cancel":
                    stop.set()
                    return
        except (OSError, ValueError):  # no usable stdin: signals and the parent watch remain
            return

    threading.Thread(target=watch_parent, daemon=True).start()
    if sys.stdin is not None and not sys.stdin.isatty():
        threading.Thread(target=watch_stdin, daemon=True).start()

    def emit(event: str, **fields: object) -> None:
        try:
            print(json.dumps({"event": event, **fields}, ensure_ascii=False), flush=True)
        except (BrokenPipeError, OSError):  # nobody is listening any more: stop, do not fail
            stop.set()

    return emit


def cmd_train_project(args: argparse.Namespace) -> int:
    """`madpg train PROJECT`: train on a project's reviewed records (options in model_cmds).
    SIGTERM/SIGINT cancel cleanly; so does the death of the parent process when --progress-json
    (the GUI) started us."""
    with stop_on_signals() as stop:
        return _train_project(args, stop)


def _train_project(args: argparse.Namespace, stop: threading.Event) -> int:
    from madpg_core.retrain import TrainRequest, train_from_project
    from madpg_core.storage.project import Project
    from madpg_core.storage.repo import ModelVersion

    emit = json_events(args.progress_json, stop)

    last = [0.0]

    def on_progress(p) -> None:  # noqa: ANN001 - train.loop.Progress
        now = time.monotonic()
        if p.dev_f1 is None and now - last[0] < 0.2 and p.step != p.total_steps:
            return  # at most 5 progress lines a second; every epoch end is kept
        last[0] = now
        emit("progress", epoch=p.epoch, step=p.step, total_steps=p.total_steps, loss=p.loss, dev_f1=p.dev_f1,
             message=p.message)
        if not args.progress_json and p.dev_f1 is not None:
            print(p.message, flush=True)

    request = TrainRequest(preset=args.preset or "madpg-lite", epochs=args.epochs,
                           device=None if args.device in (None, "auto") else args.device,
                           dev_fraction=args.dev_fraction, seed=42 if args.seed is None else args.seed,
                           pretrained_path=args.pretrained, image_weights=args.image_weights,
                           activate=not args.no_activate)
    def work() -> ModelVersion:
        with Project.open(args.project) as project:
            return train_from_project(project, request, on_progress=on_progress, stop=stop)

    version, code = run_reporting(work, emit, args.progress_json)
    if version is None:
        return code
    emit("finished", version=version.version, metrics=version.metrics, active=version.active)
    f1 = ((version.metrics or {}).get("micro") or {}).get("f1")
    if not args.progress_json:
        print(f"model version {version.version} ({'active' if version.active else 'not active'})"
              + (f": dev F1 {100 * f1:.2f}" if f1 is not None else ""))
    return 0
