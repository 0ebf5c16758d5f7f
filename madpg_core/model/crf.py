"""CRF output layer: ``pytorch-crf`` for the likelihood, BIO-constrained Viterbi and marginals.

Every mask here is compact and left-aligned (position 0 always on), as ``torchcrf`` requires.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from torch import nn
from torchcrf import CRF

NEG = -1e4  # large enough to forbid a transition, small enough to stay finite in float32


def allowed_transitions(tags: Sequence[str]) -> tuple[torch.Tensor, torch.Tensor]:
    """(K, K) mask of allowed i→j transitions and (K,) allowed start tags under IOB2.

    Forbidden: O → I-X, B-X/I-X → I-Y (Y ≠ X), and starting with I-X.
    """
    k = len(tags)
    trans = torch.ones(k, k, dtype=torch.bool)
    start = torch.ones(k, dtype=torch.bool)
    for j, tj in enumerate(tags):
        if not tj.startswith("I-"):
            continue
        start[j] = False
        for i, ti in enumerate(tags):
            trans[i, j] = ti[2:] == tj[2:] and ti != "O"
    return trans, start


class TagCRF(nn.Module):
    """A linear-chain CRF over IOB2 tags."""

    def __init__(self, tags: Sequence[str]) -> None:
        super().__init__()
        self.crf = CRF(len(tags), batch_first=True)
        trans, start = allowed_transitions(tags)
        self.register_buffer("allowed", trans, persistent=False)
        self.register_buffer("allowed_start", start, persistent=False)

    def nll(self, emissions: torch.Tensor, tags: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """Mean negative log-likelihood per sequence. emissions (B, L, K); tags, mask (B, L)."""
        return -self.crf(emissions.float(), tags, mask=mask, reduction="mean")

    def _scores(self) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        c = self.crf
        trans = c.transitions.masked_fill(~self.allowed, NEG)
        start = c.start_transitions.masked_fill(~self.allowed_start, NEG)
        return start, trans, c.end_transitions

    def _numpy_scores(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        start, trans, end = self._scores()
        return (start.detach().double().cpu().numpy(), trans.detach().double().cpu().numpy(),
                end.detach().double().cpu().numpy())

    @torch.no_grad()
    def decode(self, emissions: torch.Tensor, mask: torch.Tensor) -> list[list[int]]:
        """Best valid tag sequence per item (Viterbi with forbidden transitions).

        Inference runs in NumPy: the loop is over positions with tiny arrays, where torch's
        per-call overhead would dominate the pre-labelling latency.
        """
        start, trans, end = self._numpy_scores()
        em = emissions.detach().double().cpu().numpy()
        lengths = mask.sum(dim=1).tolist()
        return [_viterbi(em[i, : int(n)], start, trans, end) for i, n in enumerate(lengths)]

    @torch.no_grad()
    def marginals(self, emissions: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """P(tag at position t) under the constrained CRF, (B, L, K); padding rows are 0."""
        start, trans, end = self._numpy_scores()
        em = emissions.detach().double().cpu().numpy()
        out = np.zeros_like(em)
        for i, n in enumerate(mask.sum(dim=1).tolist()):
            out[i, : int(n)] = _forward_backward(em[i, : int(n)], start, trans, end)
        return torch.from_numpy(out).to(emissions.device, torch.float32)


def _viterbi(em: np.ndarray, start: np.ndarray, trans: np.ndarray, end: np.ndarray) -> list[int]:
    score = start + em[0]
    back = np.zeros(em.shape, dtype=np.int64)
    for t in range(1, em.shape[0]):
        cand = score[:, None] + trans
        back[t] = cand.argmax(axis=0)
        score = cand.max(axis=0) + em[t]
    tag = int((score + end).argmax())
    path = [tag]
    for t in range(em.shape[0] - 1, 0, -1):
        tag = int(back[t, tag])
        path.append(tag)
    return path[::-1]


def _forward_backward(em: np.ndarray, start: np.ndarray, trans: np.ndarray, end: np.ndarray) -> np.ndarray:
    """Scaled forward-backward in probability space: (L, K) marginals of one sequence."""
    length = em.shape[0]
    et = np.exp(trans - trans.max())
    ee = np.exp(em - em.max(axis=1, keepdims=True))
    alpha = np.empty_like(em)
    a = np.exp(start - start.max()) * ee[0]
    alpha[0] = a / a.sum()
    for t in range(1, length):
        a = (alpha[t - 1] @ et) * ee[t]
        alpha[t] = a / a.sum()
    beta = np.empty_like(em)
    b = np.exp(end - end.max())
    beta[-1] = b / b.sum()
    for t in range(length - 2, -1, -1):
        b = et @ (ee[t + 1] * beta[t + 1])
        beta[t] = b / b.sum()
    m = alpha * beta
    return m / m.sum(axis=1, keepdims=True)
