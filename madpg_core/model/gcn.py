"""Dependency GCN (paper eq. 7–8) over a token adjacency built from a dependency parse."""

from __future__ import annotations

import torch
from torch import nn


class DependencyGCN(nn.Module):
    """H(k+1)_i = ReLU(Σ_j A_ij / deg(i) · (W(k) H(k)_j + b(k))), ``layers`` times.

    Args:
        hidden: d, kept through every layer.
        layers: number of graph convolutions (paper: 2).
        residual: add H(k) to each layer's output (off in the paper).
        dropout: between layers.
    """

    def __init__(self, hidden: int, layers: int = 2, residual: bool = False, dropout: float = 0.1) -> None:
        super().__init__()
        self.layers = nn.ModuleList(nn.Linear(hidden, hidden) for _ in range(layers))
        self.residual = residual
        self.dropout = nn.Dropout(dropout)

    def forward(self, h: torch.Tensor, adjacency: torch.Tensor) -> torch.Tensor:
        """Args: h (B, n, d); adjacency (B, n, n), 0/1 with self-loops (padding rows may be 0)."""
        adj = adjacency.to(h.dtype)
        norm = adj / adj.sum(dim=-1, keepdim=True).clamp(min=1.0)  # c_i = 1/deg(i)
        for i, layer in enumerate(self.layers):
            out = torch.relu(norm @ layer(h))
            h = h + out if self.residual else out
            if i < len(self.layers) - 1:
                h = self.dropout(h)
        return h
