"""EMA (efficient multi-scale attention, Ouyang et al. 2023; DESIGN.md §2.2) against fixed numbers.

The reference below is a second, deliberately plain reading of the formula: Python floats and
loops over group, channel and pixel, no tensor reshapes, nothing shared with the module. Its
outputs on a fixed input were computed once and written down in ``EXPECTED``; the module must
give them, and so must the reference (so the numbers cannot drift from the formula either).
Inputs and parameters come from closed-form expressions, not a random generator, so the numbers
do not depend on torch's RNG.
"""

from __future__ import annotations

import math

import torch

from madpg_core.model.ema import EMA

B, C, H, W, G = 2, 8, 3, 4, 2  # two groups of four channels on a 3×4 grid
CG = C // G


def _input() -> list[list[list[list[float]]]]:
    return [[[[math.sin(0.7 * b + 1.3 * c + 0.5 * i - 0.3 * j) + 0.1 * c for j in range(W)] for i in range(H)]
             for c in range(C)] for b in range(B)]


def _params() -> dict[str, list]:
    return {
        "w1": [[0.3 * math.sin(o * CG + k + 1) for k in range(CG)] for o in range(CG)],  # 1×1 conv
        "b1": [0.05 * math.cos(o) for o in range(CG)],
        "w3": [[[[0.2 * math.cos(o + 2 * k + 0.5 * u - 0.7 * v) for v in range(3)] for u in range(3)]
                for k in range(CG)] for o in range(CG)],  # 3×3 conv
        "b3": [0.03 * (o - 1.5) for o in range(CG)],
        "gn_w": [1.0 + 0.1 * o for o in range(CG)],
        "gn_b": [0.02 * o for o in range(CG)],
    }


def _sigmoid(v: float) -> float:
    return 1.0 / (1.0 + math.exp(-v))


def _softmax(v: list[float]) -> list[float]:
    m = max(v)
    e = [math.exp(x - m) for x in v]
    return [x / sum(e) for x in e]


def reference_ema(x: list, p: dict[str, list], eps: float = 1e-5) -> list:
    """Per group: directional poolings → shared 1×1 conv → sigmoid gates along H and W → GroupNorm
    (one group per channel) = x1; 3×3 conv (zero padding) = x2; weights = softmax(GAP(x1))·x2 +
    softmax(GAP(x2))·x1 per pixel; output = input · sigmoid(weights). No residual."""
    out = [[[[0.0] * W for _ in range(H)] for _ in range(C)] for _ in range(B)]
    for b in range(B):
        for g in range(G):
            xs = [x[b][g * CG + k] for k in range(CG)]  # this group's channels, each H×W
            row = [[sum(xs[k][i]) / W for i in range(H)] for k in range(CG)]  # mean over W: length H
            col = [[sum(xs[k][i][j] for i in range(H)) / H for j in range(W)] for k in range(CG)]  # over H
            seq = [row[k] + col[k] for k in range(CG)]  # concatenated along the spatial axis: H + W
            mixed = [[p["b1"][o] + sum(p["w1"][o][k] * seq[k][t] for k in range(CG)) for t in range(H + W)]
                     for o in range(CG)]
            gated = [[[xs[k][i][j] * _sigmoid(mixed[k][i]) * _sigmoid(mixed[k][H + j]) for j in range(W)]
                      for i in range(H)] for k in range(CG)]
            x1 = []
            for k in range(CG):
                vals = [v for r in gated[k] for v in r]
                mean = sum(vals) / len(vals)
                var = sum((v - mean) ** 2 for v in vals) / len(vals)
                x1.append([[(gated[k][i][j] - mean) / math.sqrt(var + eps) * p["gn_w"][k] + p["gn_b"][k]
                            for j in range(W)] for i in range(H)])
            x2 = []
            for o in range(CG):
                plane = []
                for i in range(H):
                    line = []
                    for j in range(W):
                        s = p["b3"][o]
                        for k in range(CG):
                            for u in range(3):
                                for v in range(3):
                                    ii, jj = i + u - 1, j + v - 1
                                    if 0 <= ii < H and 0 <= jj < W:
                                        s += p["w3"][o][k][u][v] * xs[k][ii][jj]
                        line.append(s)
                    plane.append(line)
                x2.append(plane)
            a1 = _softmax([sum(v for r in x1[k] for v in r) / (H * W) for k in range(CG)])
            a2 = _softmax([sum(v for r in x2[k] for v in r) / (H * W) for k in range(CG)])
            for i in range(H):
                for j in range(W):
                    weight = sum(a1[k] * x2[k][i][j] for k in range(CG)) + sum(a2[k] * x1[k][i][j] for k in range(CG))
                    for k in range(CG):
                        out[b][g * CG + k][i][j] = xs[k][i][j] * _sigmoid(weight)
    return out


# reference_ema(_input(), _params()) at these positions, computed once (b, c, i, j) → value
EXPECTED = {
    (0, 0, 1, 1): 0.04650423092825338,
    (0, 1, 1, 2): 0.42658729615484897,
    (0, 3, 2, 3): -0.18495647351693065,
    (0, 4, 0, 1): -0.4280185426083872,
    (0, 7, 2, 0): 0.01132370082012196,
    (1, 2, 1, 1): -0.03185912361575349,
    (1, 5, 2, 2): 0.4386480661209637,
    (1, 6, 0, 3): 1.272335152730567,
}
EXPECTED_SUM = 47.38178040178607  # of all B·C·H·W outputs


def _module() -> EMA:
    p = _params()
    ema = EMA(C, factor=G).double()  # float64 first: parameters copied into float32 would be rounded
    with torch.no_grad():
        ema.conv1x1.weight.copy_(torch.tensor(p["w1"], dtype=torch.float64).reshape(CG, CG, 1, 1))
        ema.conv1x1.bias.copy_(torch.tensor(p["b1"], dtype=torch.float64))
        ema.conv3x3.weight.copy_(torch.tensor(p["w3"], dtype=torch.float64))
        ema.conv3x3.bias.copy_(torch.tensor(p["b3"], dtype=torch.float64))
        ema.norm.weight.copy_(torch.tensor(p["gn_w"], dtype=torch.float64))
        ema.norm.bias.copy_(torch.tensor(p["gn_b"], dtype=torch.float64))
    return ema


def test_module_gives_the_written_down_numbers() -> None:
    with torch.no_grad():
        out = _module()(torch.tensor(_input(), dtype=torch.float64))
    assert out.shape == (B, C, H, W)
    for (b, c, i, j), want in EXPECTED.items():
        assert abs(float(out[b, c, i, j]) - want) < 1e-9, (b, c, i, j)
    assert abs(float(out.sum()) - EXPECTED_SUM) < 1e-8


def test_reference_gives_the_written_down_numbers() -> None:
    ref = reference_ema(_input(), _params())
    for (b, c, i, j), want in EXPECTED.items():
        assert abs(ref[b][c][i][j] - want) < 1e-12, (b, c, i, j)
    assert abs(sum(v for pb in ref for pc in pb for r in pc for v in r) - EXPECTED_SUM) < 1e-10


def test_module_matches_the_reference_everywhere_in_float32() -> None:
    """The whole output, at the precision the model runs in."""
    with torch.no_grad():
        out = _module().float()(torch.tensor(_input(), dtype=torch.float32))
    ref = torch.tensor(reference_ema(_input(), _params()), dtype=torch.float32)
    assert torch.allclose(out, ref, atol=1e-5, rtol=1e-5)
