"""Ranks and the world of a distributed training run: torchrun starts the processes, this module
joins them (``torch.distributed``: NCCL on GPUs, gloo on CPU) and gives ``train.loop`` the few
collective steps it needs, so the loop itself stays readable.

How a run is shaped (see ``train.loop.fit``):

* Rank 0 prepares everything (the model, the featurised pieces) and :meth:`World.share` hands it
  to the other ranks, which never read the data themselves: they need no project folder, no
  parser and no corpus file, so a rank on another machine needs only the command.
* Every rank cuts the same seeded, length-bucketed batch order with :func:`shard_batches` (each
  takes every N-th batch; the order is padded so that all take as many).
* Before every optimiser step and after every epoch the ranks agree in one small all-reduce
  (:meth:`World.sync`) on whether anyone was cancelled, how much of the time budget is spent
  (so the learning-rate schedule is the same everywhere) and whether rank 0 ended the run.
* Rank 0 alone scores dev, reports progress and writes the checkpoint; the others wait at a
  barrier.

Launching (``madpg train … --nproc N``): the command re-runs itself through
``python -m torch.distributed.run`` (:func:`torchrun_command`, :func:`launch`). The launcher
watches the user's cancel and hands it on through a file in a control folder, so torchrun itself
is never signalled (it would print a failure report for a plain cancel); rank 0 writes its exit
code there for the launcher to return. Run torchrun by hand for several machines (README).
"""

from __future__ import annotations

import contextlib
import os
import shlex
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any, TypeVar

import torch
from torch import nn

from madpg_core.errors import Cancelled, MadpgError

T = TypeVar("T")

CONTROL_ENV = "MADPG_DIST_CONTROL"  # the launcher's control folder: "stop" appears on cancel, "result" is rank 0's code
LAUNCHER_ENV = "MADPG_DIST_LAUNCHER"  # the launcher's pid: the ranks stop when it is gone
# Rank 0 may prepare data (parse thousands of texts) or score dev while the others wait in a
# collective: the default timeouts (10 min on NCCL) would end a healthy run.
TIMEOUT = timedelta(hours=2)
STOP_POLL_S = 0.5
CANCEL_GRACE_S = 60.0  # after a cancel, how long the launcher waits for the ranks before ending them


@dataclass(frozen=True)
class World:
    """This process's place in the run: ``rank`` of ``size`` processes, ``local_rank`` on its machine."""

    rank: int = 0
    size: int = 1
    local_rank: int = 0

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @property
    def distributed(self) -> bool:
        return self.size > 1

    def device(self, asked: str | None) -> str:
        """This rank's device: its own GPU (``cuda:LOCAL_RANK``) when CUDA is asked or available."""
        if asked is None:
            asked = "cuda" if torch.cuda.is_available() else "cpu"
        if not self.distributed or torch.device(asked).type != "cuda":
            return asked
        return f"cuda:{self.local_rank}"

    def _collective_device(self) -> torch.device:
        import torch.distributed as dist

        on_gpu = dist.get_backend() == "nccl"
        return torch.device(f"cuda:{self.local_rank}") if on_gpu else torch.device("cpu")

    def share(self, obj: T) -> T:
        """Rank 0's ``obj`` on every rank (the others' argument is ignored)."""
        if not self.distributed:
            return obj
        import torch.distributed as dist

        box = [obj if self.is_main else None]
        dist.broadcast_object_list(box, src=0, device=self._collective_device())
        return box[0]  # type: ignore[return-value]

    def sync(self, cancel: bool, spent: float = 0.0, end: bool = False) -> tuple[bool, float, bool]:
        """One all-reduce (max) of (cancelled anywhere, budget fraction spent, run ended by rank 0)."""
        if not self.distributed:
            return cancel, spent, end
        import torch.distributed as dist

        flags = torch.tensor([float(cancel), float(spent), float(end)], dtype=torch.float64,
                             device=self._collective_device())
        dist.all_reduce(flags, op=dist.ReduceOp.MAX)
        got = flags.tolist()
        return got[0] > 0, got[1], got[2] > 0

    def barrier(self) -> None:
        if self.distributed:
            import torch.distributed as dist

            dist.barrier()


SINGLE = World()


class Trainer:
    """The model's loss as the optimiser sees it: the model itself in one process, a DDP wrapper
    (gradients averaged over the ranks in the backward pass) in several."""

    def __init__(self, model: nn.Module, world: World) -> None:
        self.model = model
        self.ddp: torch.nn.parallel.DistributedDataParallel | None = None
        if world.distributed:
            # Parts of the graph can go unused for a batch (e.g. no image in it): DDP must not wait
            # for their gradients.
            self.ddp = torch.nn.parallel.DistributedDataParallel(LossOf(model), find_unused_parameters=True)

    def loss(self, batch: Any) -> torch.Tensor:
        return self.ddp(batch) if self.ddp is not None else self.model.loss(batch)

    def accumulating(self, last_of_group: bool) -> contextlib.AbstractContextManager:
        """No gradient all-reduce for the micro-batches before the last of an accumulation group."""
        if self.ddp is None or last_of_group:
            return contextlib.nullcontext()
        return self.ddp.no_sync()


class LossOf(torch.nn.Module):
    """DDP hooks ``forward``; the model's training entry point is ``loss``."""

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model

    def forward(self, batch: Any) -> torch.Tensor:
        return self.model.loss(batch)


def current() -> World:
    """The world of this process: one process unless ``torch.distributed`` has been initialised."""
    import torch.distributed as dist

    if not (dist.is_available() and dist.is_initialized()):
        return SINGLE
    return World(dist.get_rank(), dist.get_world_size(), int(os.environ.get("LOCAL_RANK", "0")))


def under_torchrun() -> bool:
    """True in a process that torchrun (or another launcher with its environment) started."""
    return "RANK" in os.environ and "WORLD_SIZE" in os.environ and "MASTER_ADDR" in os.environ


def init_from_env(device: str | None = None) -> World:
    """Join the run torchrun described in the environment: NCCL when this rank trains on CUDA,
    gloo on CPU. One process (and no change) outside torchrun or for a world of one."""
    import torch.distributed as dist

    if dist.is_available() and dist.is_initialized():
        return current()
    if not under_torchrun() or int(os.environ["WORLD_SIZE"]) < 2:
        return SINGLE
    local = int(os.environ.get("LOCAL_RANK", "0"))
    wants_cuda = device not in ("cpu",) and torch.cuda.is_available() and (
        device is None or torch.device(device).type == "cuda")
    if wants_cuda:
        torch.cuda.set_device(local)
    dist.init_process_group("nccl" if wants_cuda else "gloo", timeout=TIMEOUT)
    return current()


def shutdown() -> None:
    import torch.distributed as dist

    if dist.is_available() and dist.is_initialized():
        dist.destroy_process_group()


def shard_batches(batches: Sequence[T], rank: int, size: int) -> list[T]:
    """Every ``size``-th batch from ``rank`` on, of ``batches`` padded by repeating its start so that
    every rank takes as many (as ``DistributedSampler`` pads): ranks must step in lock-step."""
    if size <= 1:
        return list(batches)
    if not batches:
        return []
    padded = list(batches)
    while len(padded) % size:
        padded.append(batches[(len(padded) - len(batches)) % len(batches)])
    return padded[rank::size]


# --- the run's outcome, for the worker's exit ------------------------------------------------

class _Phase:
    """Where rank 0 is, so a failure ends the run without leaving the others stuck in a collective:
    before the data was shared the others can be told (:func:`release_followers`); after the
    last barrier they are gone; in between only a non-zero exit (torchrun then ends them) is safe."""

    shared = False
    finished = False


def begin() -> None:
    """A new run in this process (tests run several): nothing handed over yet."""
    _Phase.shared = _Phase.finished = False


def mark_finished() -> None:
    _Phase.finished = True


def release_followers(world: World, error: BaseException) -> None:
    """Rank 0 failed or was cancelled before handing the run to the others: tell them to go (they
    raise the same kind of error, Cancelled or MadpgError, with rank 0's message)."""
    if world.distributed and world.is_main and not _Phase.shared:
        _Phase.shared = True
        world.share(("abort", isinstance(error, Cancelled), str(error) or type(error).__name__))


def received(world: World, payload: Any) -> Any:
    """What a follower got from :meth:`World.share`: rank 0's data, or the error it stopped with."""
    if isinstance(payload, tuple) and payload and payload[0] == "abort":
        _, cancelled, message = payload
        raise (Cancelled if cancelled else MadpgError)(f"rank 0 stopped: {message}")
    _Phase.shared = True
    return payload


def followers_safe() -> bool:
    return not _Phase.shared or _Phase.finished


def run_worker(world: World, work: Callable[[], int], stop: threading.Event) -> int:
    """Run one rank's part of a command started by torchrun; return this process's exit code.

    Rank 0's own result (0, 2 for a refused run, 3 for a cancel) goes to the launcher's control
    folder and the rank exits 0, so torchrun reports no failure for a plain cancel; without a
    launcher (torchrun run by hand) the rank exits with it. Errors while the ranks are inside a
    collective are raised on: the process fails, and torchrun ends the others.
    """
    control = os.environ.get(CONTROL_ENV)
    if control:
        watch_launcher(stop, Path(control), int(os.environ.get(LAUNCHER_ENV, "0")))
    try:
        code = work()
        release_followers(world, MadpgError(f"rank 0 ended (exit code {code}) before training"))
    except MadpgError as e:
        if not followers_safe():
            raise
        release_followers(world, e)
        if world.is_main:
            print(f"madpg: {'' if isinstance(e, Cancelled) else 'error: '}{' '.join(str(e).split())}",
                  file=sys.stderr)
        code = 3 if isinstance(e, Cancelled) else 2
    except BaseException as e:
        release_followers(world, e)  # before the hand-over the others would wait for ever
        raise
    if world.is_main and control:
        (Path(control) / "result").write_text(str(code), "utf-8")
    shutdown()
    return 0 if control else code


def watch_launcher(stop: threading.Event, control: Path, launcher_pid: int) -> None:
    """Set ``stop`` when the launcher asks (a "stop" file) or is gone (killed, its window closed)."""
    def watch() -> None:
        while not stop.is_set():
            if (control / "stop").exists() or (launcher_pid and not _alive(launcher_pid)):
                stop.set()
                return
            time.sleep(STOP_POLL_S)

    threading.Thread(target=watch, daemon=True, name="madpg-dist-stop").start()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


# --- launching -------------------------------------------------------------------------------

def torchrun_command(nproc: int, cli_args: Sequence[str], torchrun_args: str | None = None) -> list[str]:
    """``python -m torch.distributed.run … -m madpg_core.cli ARGS``: N processes on this machine
    (``--standalone``), or torchrun's own rendezvous arguments (``--nnodes 2 --node-rank 0
    --rdzv-endpoint HOST:PORT``) when ``torchrun_args`` gives them."""
    if nproc < 1:
        raise MadpgError(f"--nproc must be at least 1, not {nproc}")
    extra = shlex.split(torchrun_args) if torchrun_args else []
    if any(a.startswith("--nproc") for a in extra):
        raise MadpgError("give the number of processes per machine with --nproc, not inside --torchrun-args")
    rendezvous = extra or ["--standalone"]
    return [sys.executable, "-m", "torch.distributed.run", *rendezvous, "--nproc-per-node", str(nproc),
            "-m", "madpg_core.cli", *without_launch_options(cli_args)]


LAUNCH_OPTIONS = ("--nproc", "--torchrun-args")  # the launcher's own; each takes one value


def without_launch_options(cli_args: Sequence[str]) -> list[str]:
    """``cli_args`` less the launcher's options: the ranks need neither, and torchrun's parser would
    read ``--nproc`` as an ambiguous abbreviation of its ``--nproc-per-node`` and refuse the line."""
    out, skip = [], False
    for a in cli_args:
        if skip:
            skip = False
            continue
        name = a.split("=", 1)[0]
        if len(name) > 3 and any(opt.startswith(name) for opt in LAUNCH_OPTIONS):  # argparse takes prefixes
            skip = "=" not in a
            continue
        out.append(a)
    return out


def worker_env(nproc: int, role: str = "train") -> dict[str, str]:
    """The ranks' environment: the CPU threads of this machine split between them
    (``madpg_core.threads``; torchrun would otherwise set one thread each)."""
    from madpg_core import threads

    each = max(1, threads.decide(role) // nproc)
    env = {**os.environ, threads.ENV: str(each), **threads.library_vars(each)}
    return env


def check_gpus(nproc: int, device: str | None) -> None:
    """NCCL runs one rank per GPU: refuse more ranks than this machine has GPUs, saying what to do."""
    if device == "cpu" or not torch.cuda.is_available() or torch.device(device or "cuda").type != "cuda":
        return
    gpus = torch.cuda.device_count()
    if nproc > gpus:
        raise MadpgError(f"--nproc {nproc} trains one process per GPU, and this machine has {gpus}: use "
                         f"--nproc {gpus}, or --device cpu to train {nproc} processes on the CPU")


def launch(nproc: int, cli_args: Sequence[str], stop: threading.Event, torchrun_args: str | None = None) -> int:
    """Run ``madpg CLI_ARGS`` as ``nproc`` ranks through torchrun and return rank 0's exit code.

    ``stop`` (the user's cancel) is handed to the ranks through the control folder; they stop at
    their next step together and rank 0 saves what it has. torchrun runs in its own session so a
    Ctrl+C in the terminal reaches this launcher only, which passes it on the same way.
    """
    command = torchrun_command(nproc, cli_args, torchrun_args)
    with tempfile.TemporaryDirectory(prefix="madpg-dist-") as control:
        env = {**worker_env(nproc), CONTROL_ENV: control, LAUNCHER_ENV: str(os.getpid())}
        proc = subprocess.Popen(command, env=env, stdin=subprocess.DEVNULL, start_new_session=os.name == "posix")
        asked_at = None
        try:
            while proc.poll() is None:
                if stop.is_set() and asked_at is None:
                    (Path(control) / "stop").write_text("stop", "utf-8")
                    asked_at = time.monotonic()
                if asked_at is not None and time.monotonic() - asked_at > CANCEL_GRACE_S:
                    _end(proc)
                time.sleep(0.2)
        finally:
            if proc.poll() is None:  # this launcher is failing: take the ranks with it
                _end(proc)
        result = Path(control) / "result"
        if result.is_file():
            return int(result.read_text("utf-8").strip() or 1)
        if proc.returncode == 0:  # a machine without rank 0 (several machines): its ranks did their part
            return 0
        if stop.is_set():
            raise Cancelled("distributed run cancelled")
        raise MadpgError(f"the distributed run failed (torchrun exit code {proc.returncode}); "
                         "its messages are above")


def _end(proc: subprocess.Popen) -> None:
    try:
        if os.name == "posix":
            os.killpg(proc.pid, signal.SIGTERM)
        else:
            proc.terminate()
        proc.wait(timeout=30)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        proc.kill()


def same_command(args: Any, argv: Sequence[str]) -> bool:
    """Whether ``argv`` parses to ``args`` (the launcher re-runs the command line it was given,
    so it must be sure that line is the one being run, e.g. not a test's ``main([...])``)."""
    from madpg_core.cli import build_parser

    try:
        again = build_parser().parse_args(list(argv))
    except SystemExit:
        return False
    return vars(again) == vars(args)
