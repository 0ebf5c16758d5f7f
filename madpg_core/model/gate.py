"""Relation gate (paper eq. 1–4): how much of the image should reach the text."""

from __future__ import annotations

import torch
from torch import nn

GRID = 7  # the visual mask is one weight per cell of the 7×7 feature grid


class RelationGate(nn.Module):
    """p(relevant) from the fusion encoder's [CLS], r = p², R = r·W + d, V' = V ⊙ R.

    W starts at ones and d at zeros, so an untrained gate passes V scaled by r.
    """

    def __init__(self, hidden: int) -> None:
        super().__init__()
        self.classify = nn.Linear(hidden, 2)
        self.weight = nn.Parameter(torch.ones(GRID, GRID))
        self.bias = nn.Parameter(torch.zeros(GRID, GRID))

    def forward(self, cls_hidden: torch.Tensor, visual: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Mask the visual tokens.

        Args:
            cls_hidden: (B, d) output of the first fusion pass at [CLS].
            visual: (B, 49, d) visual tokens V.

        Returns:
            (V' (B, 49, d), r (B,)).
        """
        p = torch.softmax(self.classify(cls_hidden), dim=-1)[:, 1]
        r = p * p
        mask = r[:, None] * self.weight.reshape(1, -1) + self.bias.reshape(1, -1)  # (B, 49)
        return visual * mask.unsqueeze(-1).to(visual.dtype), r
