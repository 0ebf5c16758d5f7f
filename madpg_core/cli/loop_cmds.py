"""`madpg prelabel | models`: the model in the loop of a project."""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

from madpg_core.cli.project_cmds import PROJECT_HELP, project_arg
from madpg_core.orphan import stop_when_orphaned

T = TypeVar("T")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("prelabel", help="pre-label a project's unreviewed records with a model")
    p.add_argument("project", type=project_arg, help=PROJECT_HELP)
    p.add_argument("--model", type=Path, help="checkpoint folder (default: the project's active model version)")
    p.add_argument("--records", help="comma-separated record ids (default: every record not reviewed)")
    p.add_argument("--device", default="auto", help="auto, cpu or cuda")
    p.add_argument("--progress-json", action="store_true",
                   help="print one JSON event per line (progress, finished, cancelled, failed) for the GUI")
    p.add_argument("--nproc", type=int, default=1, metavar="N",
                   help="pre-label in N worker processes (one GPU each when there are GPUs), one progress bar")
    p.set_defaults(func=cmd_prelabel)

    p = sub.add_parser("models", help="list a project's model versions, or activate one (rollback)")
    p.add_argument("project", type=project_arg, help=PROJECT_HELP)
    p.add_argument("--activate", type=version_number, metavar="VERSION", help="e.g. 3 or v3")
    p.add_argument("--score", action="store_true", help="score every version on the current check set first")
    p.set_defaults(func=cmd_models)


def version_number(text: str) -> int:
    """A model version as the listing prints it ("v3") or as a number ("3")."""
    digits = text[1:] if text[:1] in ("v", "V") else text
    if not digits.isdigit():
        raise argparse.ArgumentTypeError(f"not a model version: {text!r} (e.g. 3 or v3)")
    return int(digits)


def cmd_prelabel(args: argparse.Namespace) -> int:
    with stop_on_signals() as stop:
        return _prelabel(args, stop)


def _prelabel(args: argparse.Namespace, stop: threading.Event) -> int:
    from madpg_core import registry
    from madpg_core.cli.project_cmds import progress_bar
    from madpg_core.errors import MadpgError
    from madpg_core.prelabel import (
        PrelabelReport,
        load_predictor,
        prelabel,
        unreviewed_ids,
    )
    from madpg_core.storage.project import Project

    emit = json_events(args.progress_json, stop)
    nproc = getattr(args, "nproc", 1) or 1
    if nproc < 1:
        raise MadpgError(f"--nproc must be at least 1, not {nproc}")

    def work() -> tuple[PrelabelReport, str]:
        with Project.open(args.project) as project:
            if args.model:
                model_dir, label = args.model, f"file:{args.model.name}"
            else:
                version, model_dir = registry.active_model_dir(project)
                label = f"v{version.version}"
            device = None if args.device == "auto" else args.device
            ids = [int(x) for x in args.records.split(",")] if args.records else unreviewed_ids(project)
            with progress_bar("pre-labelling") as bar:
                def on_progress(done: int, total: int) -> None:
                    bar(done, total)
                    emit("progress", done=done, total=total)

                if nproc > 1:  # the workers load the model; this process only counts
                    from madpg_core.prelabel_shards import prelabel_sharded

                    return prelabel_sharded(args.project, ids, Path(model_dir), label, nproc, device=device,
                                            on_progress=on_progress, stop=stop), label
                predictor = load_predictor(project, model_dir, device)
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
    from madpg_core import registry, version_scores
    from madpg_core.storage.project import Project

    with Project.open(args.project) as project:
        if args.activate is not None:
            registry.activate(project, args.activate)
            print(f"model version {args.activate} is now active")
        rows = registry.versions(project)
        if args.score:
            version_scores.score_versions(project)
        scores = version_scores.stored_scores(project)
    if not rows:
        print("no model versions (and no bundled default model found)")
        return 0
    n_check = next(iter(scores.values())).n_records if scores else 0
    print(f"check set: {n_check} records" if scores else
          "no version is scored on the current check set (train once, or run with --score)")
    print(f"{'':2}{'version':>7}  {'preset':<14}{'start':<9}{'train':>6}  {'check F1 (95% interval)':<24} created")
    for v in rows:
        sc = scores.get(v.version)
        f1 = f"{100 * sc.f1:5.1f} ({100 * sc.lo:.1f}-{100 * sc.hi:.1f})" if sc else "not scored"
        metrics = v.metrics or {}
        start = metrics.get("mode") or ("bundled" if v.version == registry.BUNDLED_VERSION else "-")
        if metrics.get("base_version") is not None:
            start = f"from v{metrics['base_version']}"
        print(f"{'*' if v.active else ' ':2}{v.version:>7}  {v.preset:<14}{start:<9}{v.train_size:>6}  {f1:<24} "
              f"{v.created_at}")
        reason = (metrics.get("activation") or {}).get("reason")
        if reason:
            print(f"{'':11}{reason}")
    return 0


@contextmanager
def stop_on_signals() -> Iterator[threading.Event]:
    """SIGTERM (the GUI's Cancel) and SIGINT (Ctrl+C) set the stop event: the work ends cleanly at
    its next check, within a second (training checks before every optimiser step, prediction
    before every forward pass of a few pieces, both between batches of parses). The previous
    handlers come back afterwards."""
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

    def watch_stdin() -> None:
        try:
            for line in sys.stdin:
                if line.strip() == "cancel":
                    stop.set()
                    return
        except (OSError, ValueError):  # no usable stdin: signals and the parent watch remain
            return

    stop_when_orphaned(stop)
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
    (the GUI) started us. ``--nproc N`` trains as N ranks (``in_ranks``); ``--plan`` never does."""
    if not args.plan:
        code = in_ranks(args, lambda stop: _train_project(args, stop))
        if code is not None:
            return code
    with stop_on_signals() as stop:
        return _train_project(args, stop)


def in_ranks(args: argparse.Namespace, rank0: Callable[[threading.Event], int]) -> int | None:
    """Run a training command distributed, or return None for the usual single process.

    Under torchrun this process is one rank: rank 0 runs ``rank0(stop)`` (which reads the data
    and reports), the others follow it (``train.loop.follow``). With ``--nproc N`` (N > 1) or
    ``--torchrun-args`` outside torchrun, the same command line is re-run as N ranks per machine
    through torchrun and rank 0's exit code returned; its output (``--progress-json`` events
    included) comes from rank 0 directly.
    """
    from madpg_core.errors import MadpgError
    from madpg_core.train import distributed

    nproc = getattr(args, "nproc", 1) or 1
    device = None if args.device in (None, "auto") else args.device
    if distributed.under_torchrun():
        from madpg_core.train.loop import follow

        with stop_on_signals() as stop:
            world = distributed.init_from_env(device)
            if world.is_main:
                return distributed.run_worker(world, lambda: rank0(stop), stop)
            return distributed.run_worker(world, lambda: (follow(world, stop=stop, device=device), 0)[1], stop)
    torchrun_args = getattr(args, "torchrun_args", None)
    if nproc <= 1 and not torchrun_args:  # several machines with one process each still need torchrun
        return None
    distributed.check_gpus(nproc, device)
    argv = sys.argv[1:]
    if not distributed.same_command(args, argv):
        raise MadpgError("--nproc re-runs this command line through torchrun, but this process was not started "
                         "with it (call `madpg ...` as a command)")
    quiet = getattr(args, "progress_json", False)  # rank 0 prints the events; this process only listens
    with stop_on_signals() as stop:
        emit = json_events(quiet, stop)  # the GUI's "cancel" line and its death reach the ranks through `stop`
        code, cancelled = run_reporting(
            lambda: distributed.launch(nproc, argv, stop, torchrun_args), emit, quiet)
        return cancelled if code is None else code


def _train_project(args: argparse.Namespace, stop: threading.Event) -> int:
    from madpg_core.errors import MadpgError
    from madpg_core.retrain import (
        DEFAULT_MINUTES,
        ReplaySource,
        TrainRequest,
        plan,
        train_from_project,
    )
    from madpg_core.storage.project import Project
    from madpg_core.storage.repo import ModelVersion

    emit = json_events(args.progress_json, stop)
    replay = []
    for extra in args.add_train:
        if len(extra) not in (2, 3):
            raise MadpgError("--add-train takes FORMAT FILE [MAP]")
        replay.append(ReplaySource(extra[0], extra[1], extra[2] if len(extra) == 3 else None))
    minutes = DEFAULT_MINUTES if args.minutes is None else (args.minutes or None)
    request = TrainRequest(preset=args.preset, mode="scratch" if args.from_scratch else "warm", minutes=minutes,
                           epochs=args.epochs, device=None if args.device in (None, "auto") else args.device,
                           seed=42 if args.seed is None else args.seed, pretrained_path=args.pretrained,
                           image_weights=args.image_weights, replay=tuple(replay),
                           activate="never" if args.no_activate else args.activate,
                           nproc=max(1, getattr(args, "nproc", 1) or 1),
                           grad_accum_steps=getattr(args, "grad_accum_steps", None),
                           bf16=False if getattr(args, "no_bf16", False) else None)
    with Project.open(args.project) as project:
        the_plan = plan(project, request)
    emit("plan", summary=the_plan.summary(), warnings=list(the_plan.warnings), estimate_s=the_plan.estimate_s,
         mode=the_plan.mode, base_version=the_plan.base_version, n_train=the_plan.n_train,
         n_check=the_plan.n_check)
    if not args.progress_json:
        print(the_plan.summary(), file=sys.stderr)
        for w in the_plan.warnings:
            print(f"warning: {w}", file=sys.stderr)
    if args.plan:
        return 0
    with epoch_bar(the_plan.epochs, enabled=not args.progress_json) as show:
        last = [0.0]

        def on_progress(p) -> None:  # noqa: ANN001 - train.loop.Progress
            now = time.monotonic()
            epoch_end = p.message.startswith("epoch") and ":" in p.message
            show(p, epoch_end)
            if not epoch_end and now - last[0] < 0.2 and p.step != p.total_steps:
                return  # at most 5 progress lines a second; every epoch end is kept
            last[0] = now
            emit("progress", epoch=p.epoch, step=p.step, total_steps=p.total_steps, loss=p.loss, dev_f1=p.dev_f1,
                 seconds_left=p.seconds_left, message=p.message, parsed=p.parsed, to_parse=p.to_parse)

        def work() -> ModelVersion:
            with Project.open(args.project) as project:
                return train_from_project(project, request, on_progress=on_progress, stop=stop)

        version, code = run_reporting(work, emit, args.progress_json)
    if version is None:
        return code
    metrics = version.metrics or {}
    reason = (metrics.get("activation") or {}).get("reason", "")
    emit("finished", version=version.version, metrics=metrics, active=version.active, reason=reason)
    if not args.progress_json:
        check = metrics.get("check") or {}
        f1 = (check.get("micro") or {}).get("f1")
        print(f"model version {version.version} ({'active' if version.active else 'not active'})"
              + (f": check-set F1 {100 * f1:.1f} on {check.get('n_records')} records" if f1 is not None else ""))
        print(reason)
    return 0


@contextmanager
def epoch_bar(epochs: int, enabled: bool) -> Iterator[Callable[..., None]]:
    """A tqdm bar over epochs on stderr: loss and time left; a plain line per epoch when stderr is
    not a terminal (a log file gets one line per epoch, not thousands of carriage returns)."""
    from tqdm import tqdm

    tty = sys.stderr.isatty()
    bar = tqdm(total=epochs, desc="training", unit="epoch", file=sys.stderr, disable=not (enabled and tty),
               bar_format="{desc}: {n_fmt}/{total_fmt} epochs |{bar}| {postfix}")

    def show(p, epoch_end: bool) -> None:  # noqa: ANN001 - train.loop.Progress
        if not enabled:
            return
        left = f"{p.seconds_left / 60:.1f} min left" if p.seconds_left is not None else ""
        if epoch_end:
            bar.n = p.epoch
            loss = f"loss {p.loss:.3f}" if p.loss is not None else ""
            bar.set_postfix_str(", ".join(x for x in (loss, left) if x))
            if not tty:
                print(f"{p.message} ({left})" if left else p.message, file=sys.stderr, flush=True)
        elif p.message == "time budget reached":
            bar.set_postfix_str("time budget reached")
            if not tty:
                print("time budget reached", file=sys.stderr, flush=True)

    try:
        yield show
    finally:
        bar.close()
