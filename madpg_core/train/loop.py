"""Training: ``fit(cfg, train, dev, on_progress=..., stop=...)``, cancellable between optimiser
steps, between batches of parses while preparing data, and between forward passes of the dev
scoring after each epoch.

Under torchrun (``madpg train … --nproc N``) the same ``fit`` trains with DDP: rank 0 prepares the
data and hands it on, the other ranks call :func:`follow` (``fit`` does so for them); the
collective steps are in ``train.distributed``. Effective batch = ``batch_size`` ×
``grad_accum_steps`` × ranks."""

from __future__ import annotations

import contextlib
import copy
import logging
import math
import random
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import torch

from madpg_core.domain import Record
from madpg_core.errors import Cancelled, MadpgError, check_stop
from madpg_core.inference.predictor import (
    default_batch_size, feature_lookup, predict_pieces, resolve_parser, stoppable,
)
from madpg_core.model.build import new_model
from madpg_core.model.config import ModelConfig
from madpg_core.model.madpg import MADPG, Batch
from madpg_core.text.protocol import DependencyParser
from madpg_core.train import distributed
from madpg_core.train.averaging import WeightAverage
from madpg_core.train.distributed import Trainer, World
from madpg_core.featurize import FeatureLookup, Piece, collate, length_batches, make_pieces
from madpg_core.train.metrics import Scores, score_spans

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Progress:
    epoch: int  # 1-based
    step: int  # batches done in total
    total_steps: int
    loss: float | None
    dev_f1: float | None
    message: str
    seconds_left: float | None = None  # an estimate: by the budget or by the steps still to go
    parsed: int = 0  # while preparing data: texts parsed so far, of ``to_parse`` (cache misses only)
    to_parse: int = 0


@dataclass
class TrainResult:
    model: MADPG  # the best epoch's weights, in eval mode
    best_dev_f1: float
    best_epoch: int
    dev_scores: Scores | None
    history: list[dict[str, float]] = field(default_factory=list)
    seconds: float = 0.0


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def _optimizer(model: MADPG, cfg: ModelConfig) -> torch.optim.Optimizer:
    """Adam; a pretrained text encoder learns at ``lr``, everything initialised here at ``head_lr``."""
    slow = {id(p) for p in model.text.parameters()} if model.text.pretrained else set()
    params = [p for p in model.parameters() if p.requires_grad]
    groups = [{"params": [p for p in params if id(p) in slow], "lr": cfg.lr},
              {"params": [p for p in params if id(p) not in slow], "lr": cfg.head_lr}]
    return torch.optim.Adam([g for g in groups if g["params"]])


def _schedule(opt: torch.optim.Optimizer, total: int, warmup_ratio: float,
              spent: Callable[[], float] | None = None) -> torch.optim.lr_scheduler.LambdaLR:
    """Linear warmup, then linear decay to 5 %. With ``spent`` (the fraction of a time budget used,
    0..1) the schedule runs on whichever is further along, steps or budget, so a budget-bound run
    still warms up and decays fully however many epochs were asked for."""
    warm = max(1, int(total * warmup_ratio)) if warmup_ratio > 0 else 0

    def by_budget(step: int) -> float:
        frac = max(step / max(1, total), min(1.0, spent()))  # type: ignore[misc]
        if warmup_ratio > 0 and frac < warmup_ratio:
            return max(frac / warmup_ratio, 1.0 / max(1, warm))
        return max(0.05, 1.0 - (frac - warmup_ratio) / max(1e-9, 1.0 - warmup_ratio))

    def factor(step: int) -> float:
        if spent is not None:
            return by_budget(step)
        if step < warm:
            return (step + 1) / warm
        return max(0.05, 1.0 - (step - warm) / max(1, total - warm))  # linear decay to 5 %

    return torch.optim.lr_scheduler.LambdaLR(opt, factor)


def fit(
    cfg: ModelConfig, train: Sequence[Record], dev: Sequence[Record], *,
    on_progress: Callable[[Progress], None] | None = None, stop: threading.Event | None = None,
    parser: DependencyParser | None = None, out_dir: Path | None = None, version: str | None = None,
    feature_cache_dir: Path | None = None, device: str | None = None, time_budget_s: float | None = None,
    cpu_budget_s: float | None = None, initial: MADPG | None = None, world: World | None = None,
) -> TrainResult:
    """Train a model of ``cfg`` on ``train``, choosing the epoch with the best dev F1.

    Args:
        cfg: the model config; ``entity_types`` are taken from ``train`` when empty.
        train, dev: records with gold spans (images are file paths).
        on_progress: called after every batch and after each dev evaluation.
        stop: when set, training stops before the next optimiser step (or the next batch of
            parses while preparing data, or the next forward pass of the dev scoring) and raises
            ``Cancelled``; with ``out_dir``, the best epoch so far is saved, marked incomplete.
        parser: dependency parser for the GCN (the shipped one when None and the GCN is on).
        out_dir: when given, the best model is saved there (also on cancel, marked incomplete).
        version: the model version written into the checkpoint and into predicted spans.
        feature_cache_dir: keep image feature maps on disk there.
        device: "cuda" when available unless given; CUDA trains in bfloat16 mixed precision
            (``cfg.bf16``); under torchrun each rank takes its own GPU (``cuda:LOCAL_RANK``).
        time_budget_s: stop after the epoch that passes this many wall-clock seconds (not an error).
        cpu_budget_s: the same in CPU seconds of this process (fair on a shared machine).
        initial: a model to continue training (a warm start, see ``warm_start``) instead of a new
            one built from ``cfg``, whose own config then applies. Without ``dev`` the last epoch
            is kept (nothing held out to choose by; the weight average smooths the end point).
        world: the ranks of a distributed run (default: ``distributed.current()``, one process
            unless torch.distributed is initialised). On ranks other than 0 the data arguments are
            ignored (rank 0's are used) and the result holds the last weights, not the best epoch's.

    Raises:
        Cancelled: ``stop`` was set.
        MadpgError: empty training data, no entities, missing parser or weights.
    """
    world = world or distributed.current()
    if not world.is_main:
        return follow(world, stop=stop, device=device)
    distributed.begin()
    try:
        run = _prepare(cfg, train, dev, on_progress, stop, parser, version, feature_cache_dir,
                       world.device(device), initial)
    except BaseException as e:
        distributed.release_followers(world, e)  # they wait for rank 0's data: tell them it is not coming
        raise
    budgeted = bool(time_budget_s or cpu_budget_s)
    if world.distributed:
        # The model travels on the CPU so each rank can move it to its own device.
        shared = world.share((run.model.to("cpu"), run.pieces, budgeted, feature_cache_dir))
        distributed.received(world, shared)
        run.model.to(run.device)
    clock = _Clock(world, run.started, run.cpu_started, time_budget_s, cpu_budget_s)
    return _epochs(run, world, clock, budgeted, train_size=len(train), out_dir=out_dir, version=run.model.version)


def follow(world: World, *, stop: threading.Event | None = None, device: str | None = None) -> TrainResult:
    """A rank other than 0 of a distributed ``fit``: take rank 0's model and data, train in step
    with it, score nothing, save nothing. Returns the last epoch's weights (in sync with rank 0's)."""
    distributed.begin()
    model, pieces, budgeted, feature_cache_dir = distributed.received(world, world.share(None))
    device = world.device(device)
    model = model.to(device)
    run = _Run(model=model, pieces=pieces, dev=[], dev_pieces=[], device=device, stop=stop,
               features=feature_lookup(model, feature_cache_dir, device), report=lambda p: None,
               started=time.monotonic(), cpu_started=time.process_time())
    clock = _Clock(world, run.started, run.cpu_started, None, None)  # rank 0's budget arrives in each sync
    return _epochs(run, world, clock, budgeted, train_size=0, out_dir=None, version=model.version)


@dataclass
class _Run:
    """What an epoch loop needs, prepared by rank 0 (or received from it)."""

    model: MADPG
    pieces: list[Piece]
    dev: Sequence[Record]
    dev_pieces: list[Piece]
    device: str
    stop: threading.Event | None
    features: FeatureLookup | None
    report: Callable[[Progress], None]
    started: float
    cpu_started: float


def _prepare(cfg: ModelConfig, train: Sequence[Record], dev: Sequence[Record],
             on_progress: Callable[[Progress], None] | None, stop: threading.Event | None,
             parser: DependencyParser | None, version: str | None, feature_cache_dir: Path | None, device: str,
             initial: MADPG | None) -> _Run:
    """The model on its device and the featurised pieces of ``train`` and ``dev``."""
    if not train:
        raise MadpgError("no training records")
    seed_everything(cfg.seed)
    report = on_progress or (lambda p: None)
    started, cpu_started = time.monotonic(), time.process_time()
    version = version or f"{cfg.name}-{time.strftime('%Y%m%d-%H%M%S')}"
    model = (initial if initial is not None else new_model(cfg, train)).to(device)
    model.version = version
    cfg = model.cfg
    parser = resolve_parser(model, parser)
    features = feature_lookup(model, feature_cache_dir, device)
    tag_index = {t: i for i, t in enumerate(model.tags)}
    report(Progress(0, 0, 0, None, None, "preparing data"))
    check_stop(stop)
    def parse_progress(done: int, of: int) -> None:
        report(Progress(0, 0, 0, None, None, f"parsing {done} / {of} texts", parsed=done, to_parse=of))

    # parses a whole data set: seconds to minutes the first time, so it says how far it is
    parsing = stoppable(parser, stop, parse_progress)
    try:
        pieces = make_pieces(train, model.text, cfg.max_len, piece_chars=cfg.piece_chars, tag_index=tag_index,
                             parser=parsing, lexicon=model.lexicon, leave_one_out=True)
        # parsed once, scored every epoch
        dev_pieces = make_pieces(dev, model.text, cfg.max_len, piece_chars=cfg.piece_chars, parser=parsing,
                                 lexicon=model.lexicon)
    except Cancelled as e:
        raise Cancelled("training cancelled while preparing data") from e
    return _Run(model, pieces, dev, dev_pieces, device, stop, features, report, started, cpu_started)


class _Clock:
    """The time budget spent (0..1) and the stop check before each optimiser step. On several ranks
    both are agreed in one all-reduce, so every rank's schedule runs on rank 0's clock and a
    cancel on any rank stops them all at the same step."""

    def __init__(self, world: World, started: float, cpu_started: float, time_budget_s: float | None,
                 cpu_budget_s: float | None) -> None:
        self.world, self.started, self.cpu_started = world, started, cpu_started
        self.time_budget_s, self.cpu_budget_s = time_budget_s, cpu_budget_s
        self.shared = 0.0

    def local(self) -> float:
        fracs = [0.0]
        if self.time_budget_s:
            fracs.append((time.monotonic() - self.started) / self.time_budget_s)
        if self.cpu_budget_s:
            fracs.append((time.process_time() - self.cpu_started) / self.cpu_budget_s)
        return max(fracs)

    def spent(self) -> float:
        return self.shared if self.world.distributed else self.local()

    def over(self) -> bool:
        return (_over(time.monotonic() - self.started, self.time_budget_s)
                or _over(time.process_time() - self.cpu_started, self.cpu_budget_s))

    def tick(self, stop: threading.Event | None) -> None:
        if not self.world.distributed:
            check_stop(stop)
            return
        cancel, self.shared, _ = self.world.sync(stop is not None and stop.is_set(), self.local())
        if cancel:
            raise Cancelled("training cancelled")


def _epochs(run: _Run, world: World, clock: _Clock, budgeted: bool, *, train_size: int,
            out_dir: Path | None, version: str) -> TrainResult:
    """The epochs of ``run``: train, on rank 0 score dev and keep the best; save; return."""
    model, cfg, device, stop = run.model, run.model.cfg, run.device, run.stop
    rng = random.Random(cfg.seed)
    steps_per_epoch = math.ceil(math.ceil(len(run.pieces) / cfg.batch_size) / world.size)
    total = steps_per_epoch * cfg.epochs
    opt = _optimizer(model, cfg)
    updates = math.ceil(steps_per_epoch / cfg.grad_accum_steps) * cfg.epochs
    sched = _schedule(opt, updates, cfg.warmup_ratio, clock.spent if budgeted else None)
    started, outer = run.started, run.report

    def report(p: Progress) -> None:  # the caller's callback, with the time left filled in
        done = max(p.step / max(1, total), clock.spent())
        elapsed = time.monotonic() - started
        left = elapsed * (1 - done) / done if done > 0.02 else None
        outer(replace(p, seconds_left=None if left is None else max(0.0, left)))

    trainer = Trainer(model, world)
    if world.distributed:
        torch.manual_seed(cfg.seed + 1000 * world.rank)  # dropout masks differ between ranks
    state = _Best(train_size=train_size)
    average = WeightAverage(model, cfg.weight_averaging) if cfg.weight_averaging > 0 else None
    step = 0
    try:
        for epoch in range(1, cfg.epochs + 1):
            batches = distributed.shard_batches(length_batches(run.pieces, cfg.batch_size, rng), world.rank,
                                                world.size)
            loss, step = _train_epoch(trainer, run.pieces, batches, run.features, opt, sched, (epoch, step, total),
                                      report, lambda: clock.tick(stop), device, average)
            ended = False
            cancelled: Cancelled | None = None
            if world.is_main:
                try:
                    ended = _end_of_epoch(run, state, average, epoch, loss, step, total, report, clock, out_dir,
                                          version)
                except Cancelled as e:
                    if not world.distributed:
                        raise
                    cancelled = e  # the others wait in the sync below: they must hear of it there
            if world.distributed:
                cancel, _, ended = world.sync(cancelled is not None or (stop is not None and stop.is_set()),
                                              clock.local(), ended)
                if cancel:
                    raise cancelled or Cancelled("training cancelled")
            if ended:
                break
    except Cancelled:
        if world.is_main and out_dir is not None and state.weights is not None:
            _finish(model, state, out_dir, version, started, complete=False)
        world.barrier()  # the others wait for rank 0's checkpoint
        distributed.mark_finished()
        raise
    if not world.is_main:
        world.barrier()
        distributed.mark_finished()
        model.eval()
        return TrainResult(model, 0.0, 0, None, [], time.monotonic() - started)
    result = _finish(model, state, out_dir, version, started, complete=True)
    world.barrier()
    distributed.mark_finished()
    return result


def _end_of_epoch(run: _Run, state: _Best, average: WeightAverage | None, epoch: int, loss: float, step: int,
                  total: int, report: Callable[[Progress], None], clock: _Clock, out_dir: Path | None,
                  version: str) -> bool:
    """Rank 0 after an epoch: score dev, keep the best weights, report; True when the budget is spent."""
    model, cfg = run.model, run.model.cfg
    # With averaging on, the averaged weights are the ones scored and kept.
    with average.applied() if average is not None else contextlib.nullcontext():
        scores = _evaluate(model, run.dev, run.dev_pieces, run.features, cfg, run.device, run.stop) if run.dev \
            else None
        f1 = scores.micro.f1 if scores else float(epoch)  # no dev: the latest epoch wins
        if state.offer(model, epoch, f1, scores) and out_dir is not None:
            # Keep the best model on disk as it improves, marked incomplete until fit ends.
            _save(model, state, out_dir, version, run.started, complete=False)
    state.history.append({"epoch": epoch, "loss": loss, "dev_f1": f1 if scores else None,
                          "seconds": time.monotonic() - run.started,
                          "cpu_seconds": time.process_time() - run.cpu_started})
    log.info("epoch %d loss %.4f dev F1 %.4f", epoch, loss, f1)
    if scores is not None:
        report(Progress(epoch, step, total, loss, f1, f"epoch {epoch}: dev F1 {100 * f1:.2f}"))
    else:
        report(Progress(epoch, step, total, loss, None, f"epoch {epoch}: loss {loss:.3f}"))
    if clock.over():
        report(Progress(epoch, step, total, None, f1, "time budget reached"))
        return True
    return False


def _over(spent: float, budget: float | None) -> bool:
    return budget is not None and spent > budget


def _train_epoch(
    trainer: Trainer, pieces: Sequence[Piece], batches: list[list[int]], features: FeatureLookup | None,
    opt: torch.optim.Optimizer, sched: torch.optim.lr_scheduler.LRScheduler, where: tuple[int, int, int],
    report: Callable[[Progress], None], tick: Callable[[], None], device: str,
    average: WeightAverage | None = None,
) -> tuple[float, int]:
    """One pass over ``batches``; returns the mean loss and the global step count after it.
    ``tick`` raises Cancelled before a batch when the run is to stop. With ``grad_accum_steps`` k,
    the optimiser (and the schedule, and the weight average) steps once every k batches."""
    epoch, step, total = where
    model = trainer.model
    cfg = model.cfg
    accum = max(1, cfg.grad_accum_steps)
    model.train()
    losses = []
    for k, idx in enumerate(batches):
        tick()  # one optimiser step: well under a second on CPU for the presets' batch sizes
        first = k - k % accum
        group = min(accum, len(batches) - first)  # the last group of an epoch may be short
        last_of_group = k == first + group - 1
        if k == first:
            opt.zero_grad(set_to_none=True)
        with trainer.accumulating(last_of_group):
            losses.append(_backward(trainer, collate([pieces[i] for i in idx], features), device, group, cfg))
        if last_of_group:
            torch.nn.utils.clip_grad_norm_([p for p in model.parameters() if p.requires_grad], cfg.grad_clip)
            opt.step()
            sched.step()
            if average is not None:
                average.update()
        step += 1
        report(Progress(epoch, step, total, losses[-1], None, f"epoch {epoch}/{cfg.epochs}"))
    return float(np.mean(losses)) if losses else 0.0, step


def _backward(trainer: Trainer, batch: Batch, device: str, group: int, cfg: ModelConfig) -> float:
    """Forward and backward of one batch; the gradient of a group of ``group`` batches is their mean."""
    with train_autocast(device, cfg.bf16):
        loss = trainer.loss(batch.to(device))
    (loss / group if group > 1 else loss).backward()
    return float(loss.detach())


def train_autocast(device: str, bf16: bool = True) -> torch.autocast:
    """bfloat16 mixed precision on CUDA when ``bf16``; on the CPU never (its path stays float32)."""
    on_cuda = torch.device(device).type == "cuda"
    return torch.autocast("cuda" if on_cuda else "cpu", dtype=torch.bfloat16, enabled=on_cuda and bf16)


def _evaluate(model: MADPG, dev: Sequence[Record], pieces: Sequence[Piece], features: FeatureLookup | None,
              cfg: ModelConfig, device: str, stop: threading.Event | None = None) -> Scores:
    """Dev scores; ``stop`` is checked between forward passes (small ones on CPU, see
    ``inference.predictor.CPU_BATCH``)."""
    on_cuda = torch.device(device).type == "cuda"
    batch = max(cfg.batch_size, default_batch_size(device)) if on_cuda else default_batch_size(device)
    try:
        pred = predict_pieces(model, pieces, len(dev), features=features, batch_size=batch, device=device,
                              stop=stop)
    except Cancelled as e:
        raise Cancelled("training cancelled while scoring the dev set") from e
    return score_spans([r.spans for r in dev], pred)


@dataclass
class _Best:
    weights: dict[str, torch.Tensor] | None = None
    epoch: int = 0
    f1: float = -float("inf")
    scores: Scores | None = None
    history: list[dict[str, float]] = field(default_factory=list)
    train_size: int = 0  # records trained on, written into the checkpoint's meta

    def offer(self, model: MADPG, epoch: int, f1: float, scores: Scores | None) -> bool:
        """Keep these weights when they are the best so far; True when they were kept."""
        if f1 <= self.f1:
            return False
        self.weights = copy.deepcopy({k: v.detach().cpu() for k, v in model.state_dict().items()})
        self.epoch, self.f1, self.scores = epoch, f1, scores
        return True


def _finish(model: MADPG, best: _Best, out_dir: Path | None, version: str,
            started: float, complete: bool) -> TrainResult:
    if best.weights is not None:
        model.load_state_dict(best.weights)
    model.eval()
    seconds = time.monotonic() - started
    if out_dir is not None:
        _save(model, best, out_dir, version, started, complete)
    best_f1 = max(best.f1, 0.0) if best.scores else 0.0  # without dev, best.f1 is an epoch number
    return TrainResult(model, best_f1, best.epoch, best.scores, best.history, seconds)


def _save(model: MADPG, best: _Best, out_dir: Path, version: str, started: float, complete: bool) -> None:
    """Write the best weights (not necessarily the model's current ones) to ``out_dir``."""
    from madpg_core.checkpoint import save

    current = None
    if best.weights is not None and not complete:
        current = {k: v.detach().clone() for k, v in model.state_dict().items()}
        model.load_state_dict(best.weights)
    meta = {"complete": complete, "best_epoch": best.epoch, "seconds": round(time.monotonic() - started, 1),
            "dev": best.scores.as_dict() if best.scores else None, "history": best.history,
            "train_size": best.train_size}
    save(model, out_dir, version=version, meta=meta)
    if current is not None:
        model.load_state_dict(current)
