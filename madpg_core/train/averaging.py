"""Polyak (exponential moving) averaging of a model's trainable weights during training."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import torch
from torch import nn


class WeightAverage:
    """Keeps ``avg ← d·avg + (1 − d)·w`` for every trainable weight after each optimiser step.

    Frozen weights (the image backbone, a frozen bigram table) are neither copied nor touched.
    The decay warms up as ``min(d, (1 + t) / (10 + t))`` so that the random initial weights are
    forgotten within the first hundred steps instead of weighing on the first epochs.
    """

    def __init__(self, model: nn.Module, decay: float) -> None:
        if not 0.0 < decay < 1.0:
            raise ValueError(f"decay must be in (0, 1), not {decay}")
        self.decay = decay
        self.updates = 0
        self._params = {n: p for n, p in model.named_parameters() if p.requires_grad}
        self._avg = {n: p.detach().clone() for n, p in self._params.items()}

    @torch.no_grad()
    def update(self) -> None:
        self.updates += 1
        d = min(self.decay, (1 + self.updates) / (10 + self.updates))
        for name, p in self._params.items():
            self._avg[name].lerp_(p.detach(), 1.0 - d)

    @contextmanager
    def applied(self) -> Iterator[None]:
        """The averaged weights stand in the model inside the block; the trained ones return after."""
        trained = {n: p.detach().clone() for n, p in self._params.items()}
        _copy_into(self._params, self._avg)
        try:
            yield
        finally:
            _copy_into(self._params, trained)


@torch.no_grad()
def _copy_into(params: dict[str, nn.Parameter], values: dict[str, torch.Tensor]) -> None:
    for name, p in params.items():
        p.copy_(values[name])
