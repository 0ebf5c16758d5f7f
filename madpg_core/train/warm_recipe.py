"""How long a warm start trains, and with what: torch-free, so that planning a run (the Train
dialog, `madpg train --plan`) does not import torch."""

from __future__ import annotations

import math
from collections.abc import Sequence

from madpg_core.domain import Record

# A warm start plans about this many optimiser steps (the epochs follow from the data, 3 to 150).
# On CMeEE, 100 reviewed records (benchmarks/RESULTS.md §8): 60 epochs 31.1 test F1, 150 epochs 33.1,
# at 2 CPU-min; 200 records still fit well inside the 5-minute default budget.
WARM_STEPS = 1000
WARM_EPOCHS = (3, 150)
# The preset's own learning rate (2e-3 tried against 1e-3: 28.4 vs 25.4 at 21 epochs), with a tenth
# of the steps as warmup so the first updates (new tags, new rows) do not tear what the model knew.
WARM_RECIPE = {"warmup_ratio": 0.1}


def pieces(records: Sequence[Record], piece_chars: int = 128) -> int:
    """Training pieces ``records`` make, about (texts are cut at sentence ends, at most this long)."""
    return sum(max(1, math.ceil(len(r.text) / piece_chars)) for r in records)


def warm_epochs(n_pieces: int, batch_size: int = 16) -> int:
    steps = max(1, math.ceil(n_pieces / batch_size))
    lo, hi = WARM_EPOCHS
    return max(lo, min(hi, math.ceil(WARM_STEPS / steps)))
