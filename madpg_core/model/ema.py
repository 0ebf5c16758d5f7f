"""EMA: efficient multi-scale attention with cross-spatial learning (Ouyang et al., ICASSP 2023).

Written from the description in DESIGN.md §2.2: channels are split into G groups; one branch
gates each group along H and W (1×1 conv over the two directional poolings, then GroupNorm),
the other runs a 3×3 conv; each branch's global descriptor attends over the other's pixels,
and the sum gates the input. There is no residual connection.
"""

from __future__ import annotations

import torch
from torch import nn

from madpg_core.errors import MadpgError


class EMA(nn.Module):
    """Multi-scale attention over a feature map; output has the input's shape.

    Args:
        channels: C of the input (B, C, H, W); must be divisible by ``factor``.
        factor: number of groups G (32 in the paper's setting).
    """

    def __init__(self, channels: int, factor: int = 32) -> None:
        super().__init__()
        if channels % factor:
            raise MadpgError(f"EMA: {channels} channels do not split into {factor} groups")
        self.groups = factor
        cg = channels // factor
        self.conv1x1 = nn.Conv2d(cg, cg, kernel_size=1)
        self.conv3x3 = nn.Conv2d(cg, cg, kernel_size=3, padding=1)
        self.norm = nn.GroupNorm(cg, cg)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, c, h, w = x.shape
        g = x.reshape(b * self.groups, c // self.groups, h, w)
        # Directional poolings share one 1×1 conv: (bG, cg, h+w, 1).
        pooled_h = g.mean(dim=3, keepdim=True)
        pooled_w = g.mean(dim=2, keepdim=True).transpose(2, 3)
        mixed = self.conv1x1(torch.cat([pooled_h, pooled_w], dim=2))
        gate_h, gate_w = torch.split(mixed, [h, w], dim=2)
        x1 = self.norm(g * gate_h.sigmoid() * gate_w.transpose(2, 3).sigmoid())
        x2 = self.conv3x3(g)
        weights = _cross_spatial(x1, x2) + _cross_spatial(x2, x1)  # (bG, 1, h·w)
        out = g * weights.reshape(b * self.groups, 1, h, w).sigmoid()
        return out.reshape(b, c, h, w)


def _cross_spatial(query: torch.Tensor, value: torch.Tensor) -> torch.Tensor:
    """softmax(GAP(query)) · flatten(value): (bG, 1, cg) @ (bG, cg, hw) → (bG, 1, hw)."""
    n, cg = query.shape[:2]
    descriptor = torch.softmax(query.mean(dim=(2, 3)).reshape(n, 1, cg), dim=-1)
    return descriptor @ value.reshape(n, cg, -1)
