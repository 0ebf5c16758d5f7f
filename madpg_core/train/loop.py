"""Training: ``fit(cfg, train, dev, on_progress=..., stop=...)``, cancellable between optimiser
steps, between batches of parses while preparing data, and between forward passes of the dev
scoring after each epoch."""

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
    _autocast, default_batch_size, feature_lookup, predict_pieces, resolve_parser, stoppable,
)
from madpg_core.model.build import new_model
from madpg_core.model.config import ModelConfig
from madpg_core.model.madpg import MADPG, Batch
from madpg_core.text.protocol import DependencyParser
from madpg_core.train.averaging import WeightAverage
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
    cpu_budget_s: float | None = None, initial: MADPG | None = None,
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
        device: "cuda" when available unless given; CUDA trains in bfloat16 mixed precision.
        time_budget_s: stop after the epoch that passes this many wall-clock seconds (not an error).
        cpu_budget_s: the same in CPU seconds of this process (fair on a shared machine).
        initial: a model to continue training (a warm start, see ``warm_start``) instead of a new
            one built from ``cfg``, whose own config then applies. Without ``dev`` the last epoch
            is kept (nothing held out to choose by; the weight average smooths the end point).

    Raises:
        Cancelled: ``stop`` was set.
        MadpgError: empty training data, no entities, missing parser or weights.
    """
    if not train:
        raise MadpgError("no training records")
    seed_everything(cfg.seed)
    report = on_progress or (lambda p: None)
    device = device or ("cuda" if torch.cuda.is_available() else "cpu")
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
    rng = random.Random(cfg.seed)
    steps_per_epoch = math.ceil(len(pieces) / cfg.batch_size)
    total = steps_per_epoch * cfg.epochs
    opt = _optimizer(model, cfg)
    def budget_spent() -> float:
        fracs = [0.0]
        if time_budget_s:
            fracs.append((time.monotonic() - started) / time_budget_s)
        if cpu_budget_s:
            fracs.append((time.process_time() - cpu_started) / cpu_budget_s)
        return max(fracs)

    sched = _schedule(opt, total, cfg.warmup_ratio,
                      budget_spent if (time_budget_s or cpu_budget_s) else None)
    outer = report

    def report(p: Progress) -> None:  # noqa: F811 - the caller's callback, with the time left filled in
        done = max(p.step / max(1, total), budget_spent())
        elapsed = time.monotonic() - started
        left = elapsed * (1 - done) / done if done > 0.02 else None
        outer(replace(p, seconds_left=None if left is None else max(0.0, left)))

    state = _Best(train_size=len(train))
    average = WeightAverage(model, cfg.weight_averaging) if cfg.weight_averaging > 0 else None
    step = 0
    try:
        for epoch in range(1, cfg.epochs + 1):
            loss, step = _train_epoch(model, pieces, length_batches(pieces, cfg.batch_size, rng), features,
                                      opt, sched, (epoch, step, total), report, stop, device, average)
            # With averaging on, the averaged weights are the ones scored and kept.
            with average.applied() if average is not None else contextlib.nullcontext():
                scores = _evaluate(model, dev, dev_pieces, features, cfg, device, stop) if dev else None
                f1 = scores.micro.f1 if scores else float(epoch)  # no dev: the latest epoch wins
                if state.offer(model, epoch, f1, scores) and out_dir is not None:
                    # Keep the best model on disk as it improves, marked incomplete until fit ends.
                    _save(model, state, out_dir, version, started, complete=False)
            state.history.append({"epoch": epoch, "loss": loss, "dev_f1": f1 if scores else None,
                                  "seconds": time.monotonic() - started,
                                  "cpu_seconds": time.process_time() - cpu_started})
            log.info("epoch %d loss %.4f dev F1 %.4f", epoch, loss, f1)
            if scores is not None:
                report(Progress(epoch, step, total, loss, f1, f"epoch {epoch}: dev F1 {100 * f1:.2f}"))
            else:
                report(Progress(epoch, step, total, loss, None, f"epoch {epoch}: loss {loss:.3f}"))
            if _over(time.monotonic() - started, time_budget_s) or _over(time.process_time() - cpu_started,
                                                                          cpu_budget_s):
                report(Progress(epoch, step, total, None, f1, "time budget reached"))
                break
    except Cancelled:
        if out_dir is not None and state.weights is not None:
            _finish(model, state, out_dir, version, started, complete=False)
        raise
    return _finish(model, state, out_dir, version, started, complete=True)


def _over(spent: float, budget: float | None) -> bool:
    return budget is not None and spent > budget


def _train_epoch(
    model: MADPG, pieces: Sequence[Piece], batches: list[list[int]], features: FeatureLookup | None,
    opt: torch.optim.Optimizer, sched: torch.optim.lr_scheduler.LRScheduler, where: tuple[int, int, int],
    report: Callable[[Progress], None], stop: threading.Event | None, device: str,
    average: WeightAverage | None = None,
) -> tuple[float, int]:
    """One pass over ``batches``; returns the mean loss and the global step count after it."""
    epoch, step, total = where
    model.train()
    losses = []
    for idx in batches:
        check_stop(stop)  # one optimiser step: well under a second on CPU for the presets' batch sizes
        losses.append(_step(model, collate([pieces[i] for i in idx], features), opt, model.cfg, device))
        sched.step()
        if average is not None:
            average.update()
        step += 1
        report(Progress(epoch, step, total, losses[-1], None, f"epoch {epoch}/{model.cfg.epochs}"))
    return float(np.mean(losses)) if losses else 0.0, step


def _step(model: MADPG, batch: Batch, opt: torch.optim.Optimizer, cfg: ModelConfig, device: str) -> float:
    opt.zero_grad(set_to_none=True)
    with _autocast(device):
        loss = model.loss(batch.to(device))
    loss.backward()
    torch.nn.utils.clip_grad_norm_([p for p in model.parameters() if p.requires_grad], cfg.grad_clip)
    opt.step()
    return float(loss.detach())


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
