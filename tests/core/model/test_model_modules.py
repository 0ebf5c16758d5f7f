"""Each module alone: shapes, parameter counts, the behaviour DESIGN.md §2 asks for."""

from __future__ import annotations

import itertools

import pytest
import torch

from madpg_core.model.crf import TagCRF, allowed_transitions
from madpg_core.model.ema import EMA
from madpg_core.model.gate import RelationGate
from madpg_core.model.gcn import DependencyGCN
from madpg_core.model.image_encoder import ImageEncoder, VisualTokens, build_backbone
from madpg_core.model.madpg import count_parameters


def test_ema_shape_and_parameter_count() -> None:
    ema = EMA(2048, factor=32)
    assert count_parameters(ema) == 41_216
    x = torch.randn(2, 2048, 7, 7)
    assert ema(x).shape == x.shape


def test_ema_is_not_identity_and_has_no_residual() -> None:
    torch.manual_seed(0)
    ema = EMA(64, factor=32)
    x = torch.randn(1, 64, 7, 7)
    y = ema(x)
    assert not torch.allclose(y, x, atol=1e-3)
    # output = input · sigmoid(weights): elementwise, so the sign is kept and |y| < |x|
    assert torch.all(y.abs() <= x.abs() + 1e-6)


def test_ema_refuses_channels_that_do_not_split() -> None:
    from madpg_core.errors import MadpgError

    with pytest.raises(MadpgError):
        EMA(100, factor=32)


def test_visual_tokens_are_49_by_d() -> None:
    vt = VisualTokens(64, hidden=16, use_ema=True, factor=32)
    assert vt(torch.randn(3, 64, 7, 7)).shape == (3, 49, 16)


@pytest.mark.parametrize("kind,channels", [("resnet18", 512)])
def test_backbone_to_layer4_gives_7x7(kind: str, channels: int) -> None:
    net = build_backbone(kind)
    out = net(torch.randn(1, 3, 64, 64))  # small input: the adaptive pool still gives 7×7
    assert out.shape == (1, channels, 7, 7)
    assert not any(p.requires_grad for p in net.parameters())


def test_backbone_reads_local_weights(tmp_path) -> None:  # noqa: ANN001
    import torchvision.models as tvm
    from safetensors.torch import save_file

    net = tvm.resnet18(weights=None)
    sd = {k: v.contiguous() for k, v in net.state_dict().items()}
    save_file(sd, str(tmp_path / "r18.safetensors"))
    torch.save(net.state_dict(), tmp_path / "r18.pth")
    for f in ("r18.safetensors", "r18.pth"):
        enc = ImageEncoder("resnet18", 16, use_ema=False, weights=str(tmp_path / f))
        assert torch.equal(enc.backbone[0].weight, net.conv1.weight)


def test_gate_masks_visual_tokens_with_r_squared() -> None:
    gate = RelationGate(8)
    with torch.no_grad():
        gate.classify.weight.zero_()
        gate.classify.bias.copy_(torch.tensor([0.0, 0.0]))  # p = 0.5 → r = 0.25
        gate.weight.fill_(2.0)
        gate.bias.fill_(0.1)
    v = torch.ones(2, 49, 8)
    out, r = gate(torch.randn(2, 8), v)
    assert torch.allclose(r, torch.full((2,), 0.25))
    assert torch.allclose(out, torch.full_like(v, 0.25 * 2.0 + 0.1))
    assert gate.weight.shape == (7, 7) and gate.bias.shape == (7, 7)


def test_gcn_degree_normalised_mean_of_neighbours() -> None:
    gcn = DependencyGCN(4, layers=1)
    with torch.no_grad():
        gcn.layers[0].weight.copy_(torch.eye(4))
        gcn.layers[0].bias.zero_()
    h = torch.tensor([[[1.0, 0, 0, 0], [0, 3.0, 0, 0], [0, 0, 5.0, 0]]])
    adj = torch.tensor([[[1.0, 1, 0], [1, 1, 0], [0, 0, 1]]])
    out = gcn(h, adj)
    assert torch.allclose(out[0, 0], torch.tensor([0.5, 1.5, 0, 0]))
    assert torch.allclose(out[0, 2], h[0, 2])


def test_gcn_layers_are_configurable() -> None:
    assert len(DependencyGCN(8, layers=3).layers) == 3


TAGS = ("O", "B-A", "I-A", "B-B", "I-B")


def test_allowed_transitions_forbid_invalid_bio() -> None:
    trans, start = allowed_transitions(TAGS)
    assert not trans[0, 2] and not trans[1, 4] and not trans[2, 4]
    assert trans[1, 2] and trans[2, 2] and trans[0, 1] and trans[2, 3]
    assert not start[2] and start[1]


def _brute_force(crf: TagCRF, em: torch.Tensor) -> tuple[list[int], torch.Tensor]:
    start, trans, end = crf._scores()
    best, best_s, scores = None, -1e30, {}
    for seq in itertools.product(range(len(TAGS)), repeat=em.shape[0]):
        s = start[seq[0]] + em[0, seq[0]] + end[seq[-1]]
        s = s + sum(trans[a, b] + em[t + 1, b] for t, (a, b) in enumerate(zip(seq, seq[1:])))
        scores[seq] = s
        if s > best_s:
            best, best_s = list(seq), s
    logz = torch.logsumexp(torch.stack(list(scores.values())), 0)
    marg = torch.zeros(em.shape)
    for seq, s in scores.items():
        for t, tag in enumerate(seq):
            marg[t, tag] += torch.exp(s - logz)
    return best, marg


def test_crf_decode_and_marginals_match_brute_force_with_padding() -> None:
    torch.manual_seed(3)
    crf = TagCRF(TAGS)
    em = torch.randn(2, 4, len(TAGS)) * 3
    mask = torch.tensor([[1, 1, 1, 1], [1, 1, 1, 0]], dtype=torch.bool)
    paths = crf.decode(em, mask)
    marg = crf.marginals(em, mask)
    for i, n in enumerate([4, 3]):
        best, bm = _brute_force(crf, em[i, :n])
        assert paths[i] == best
        assert torch.allclose(marg[i, :n], bm, atol=1e-4)
    assert torch.all(marg[1, 3] == 0)


def test_crf_never_decodes_invalid_bio() -> None:
    crf = TagCRF(TAGS)
    em = torch.full((1, 3, len(TAGS)), -5.0)
    em[0, :, 4] = 5.0  # I-B everywhere would be invalid
    path = crf.decode(em, torch.ones(1, 3, dtype=torch.bool))[0]
    assert path[0] != 4
    nll = crf.nll(em, torch.tensor([[3, 4, 4]]), torch.ones(1, 3, dtype=torch.bool))
    assert torch.isfinite(nll)
