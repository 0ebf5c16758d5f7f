"""Polyak weight averaging: the arithmetic, the swap in and out, and what fit keeps."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from madpg_core.errors import MadpgError
from madpg_core.model.config import build_config, tiny
from madpg_core.model.testing import ChainParser
from madpg_core.train.averaging import WeightAverage
from madpg_core.train.loop import fit
from tests.core.train.test_fit import _cfg, _data


def _two_layers() -> nn.Sequential:
    net = nn.Sequential(nn.Linear(2, 2), nn.Linear(2, 1))
    net[0].weight.requires_grad_(False)  # like the frozen image backbone or bigram table
    return net


def test_average_follows_the_warmed_up_decay_and_skips_frozen_weights() -> None:
    net = _two_layers()
    frozen = net[0].weight.detach().clone()
    start = net[1].weight.detach().clone()
    avg = WeightAverage(net, decay=0.99)
    with torch.no_grad():
        net[1].weight.add_(1.0)
    avg.update()  # first update: d = min(0.99, 2/11)
    d = 2 / 11
    expected = d * start + (1 - d) * (start + 1.0)
    with avg.applied():
        assert torch.allclose(net[1].weight, expected)
        assert torch.equal(net[0].weight, frozen)
    assert torch.allclose(net[1].weight, start + 1.0)  # the trained weights come back
    assert "0.weight" not in avg._avg  # frozen weights are not even copied


def test_trained_weights_come_back_even_when_the_block_raises() -> None:
    net = _two_layers()
    avg = WeightAverage(net, decay=0.5)
    with torch.no_grad():
        net[1].bias.fill_(3.0)
    with pytest.raises(RuntimeError), avg.applied():
        raise RuntimeError("evaluation failed")
    assert torch.all(net[1].bias == 3.0)


def test_fit_scores_and_keeps_the_averaged_weights_without_changing_training() -> None:
    data, dev = _data(), _data()[:4]
    plain = fit(_cfg(epochs=10, weight_averaging=0.0), data, dev, parser=ChainParser())
    averaged = fit(_cfg(epochs=10, weight_averaging=0.8), data, dev, parser=ChainParser())
    # Averaging only reads the weights: the training losses are the same step for step ...
    assert [h["loss"] for h in plain.history] == pytest.approx([h["loss"] for h in averaged.history])
    # ... but the model fit returns is the average, not the last or best raw weights.
    w_plain = plain.model.classifier.weight
    w_avg = averaged.model.classifier.weight
    assert not torch.allclose(w_plain, w_avg)
    assert averaged.best_dev_f1 > 0.8  # and it still learns


def test_decay_out_of_range_is_refused() -> None:
    with pytest.raises(MadpgError, match="weight_averaging"):
        tiny(build_config("madpg-lite", weight_averaging=1.0))
