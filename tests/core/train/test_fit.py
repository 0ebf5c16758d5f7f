"""fit: learns, reports progress, cancels between batches, is deterministic; checkpoints round-trip."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from madpg_core.checkpoint import load, read_info, save
from madpg_core.domain import Record, Span, SpanSource
from madpg_core.errors import Cancelled, MadpgError
from madpg_core.inference.predictor import Predictor
from madpg_core.model.config import build_config, tiny
from madpg_core.model.testing import ChainParser, drug_records
from madpg_core.train.loop import Progress, TrainResult, fit


def _data() -> list[Record]:
    return drug_records(12)


def _cfg(**over: object):  # noqa: ANN202
    values = dict(image_encoder="none", epochs=12, head_lr=1e-2, hidden_size=32, num_heads=2, lstm_hidden=16,
                  dropout=0.1, min_bigram_count=1)
    values.update(over)
    return tiny(build_config("madpg-lite"), **values)


@pytest.fixture(scope="module")
def trained() -> tuple[TrainResult, list[Progress]]:
    seen: list[Progress] = []
    res = fit(_cfg(epochs=10), _data(), _data()[:4], on_progress=seen.append, parser=ChainParser())
    return res, seen


def test_fit_learns_and_reports_progress(trained: tuple[TrainResult, list[Progress]]) -> None:
    res, seen = trained
    assert res.best_dev_f1 > 0.9
    assert any(p.dev_f1 is not None for p in seen) and seen[-1].step == seen[-1].total_steps
    assert len(res.history) == 10


def test_fit_cancels_between_batches() -> None:
    stop = threading.Event()

    def on_progress(p: Progress) -> None:
        if p.step == 2:
            stop.set()

    with pytest.raises(Cancelled):
        fit(_cfg(), _data(), _data(), on_progress=on_progress, stop=stop, parser=ChainParser())


def test_fit_is_deterministic_with_a_seed() -> None:
    a = fit(_cfg(epochs=2), _data(), _data()[:3], parser=ChainParser())
    b = fit(_cfg(epochs=2), _data(), _data()[:3], parser=ChainParser())
    assert [h["loss"] for h in a.history] == [h["loss"] for h in b.history]


def test_save_load_gives_identical_predictions(trained: tuple[TrainResult, list[Progress]], tmp_path: Path) -> None:
    res = trained[0]
    save(res.model, tmp_path / "m", version="test-1")
    assert not list((tmp_path / "m").glob("*.bin")) and not list((tmp_path / "m").glob("*.pt"))
    texts = ["患者发热3天，给予头孢口服。" * 30, "给予阿莫西林。"]  # the first is split into pieces
    before = Predictor(res.model, parser=ChainParser(), device="cpu").predict(texts)
    pred = Predictor.load(tmp_path / "m", parser=ChainParser(), device="cpu")
    after = pred.predict(texts)
    assert before == after and pred.version == "test-1"
    assert read_info(tmp_path / "m")["config"]["entity_types"] == list(res.model.cfg.entity_types)
    spans = after[0]
    assert spans and all(s.source is SpanSource.MODEL and s.model_version == "test-1" for s in spans)
    assert all(0 < s.confidence <= 1 for s in spans)
    assert max(s.end for s in spans) > 256  # offsets past the first piece are stitched back
    assert [texts[0][s.start : s.end] for s in spans[:2]] == ["发热", "头孢"]
    assert all(texts[0][s.start] in "发热头孢" for s in spans)  # stitched offsets land on entity text


def test_gcn_without_parser_uses_default_or_fails_clearly(monkeypatch: pytest.MonkeyPatch) -> None:
    import madpg_core.text.parser as parser_mod

    def broken() -> None:
        raise RuntimeError("no spaCy model")

    monkeypatch.setattr(parser_mod, "load_default_parser", broken)
    with pytest.raises(MadpgError, match="parser"):
        fit(_cfg(epochs=1), _data(), _data())


def test_load_refuses_a_folder_without_checkpoint(tmp_path: Path) -> None:
    with pytest.raises(MadpgError):
        load(tmp_path)


def test_predict_handles_empty_and_whitespace_texts(trained: tuple[TrainResult, list[Progress]]) -> None:
    out = Predictor(trained[0].model, parser=ChainParser(), device="cpu").predict(["", "  ", "给予头孢。"])
    assert out[0] == [] and out[1] == [] and len(out) == 3


def test_lexicon_features_leave_one_out_and_round_trip(tmp_path: Path) -> None:
    from madpg_core.model.lexicon import Lexicon, own_mentions

    data = _data()
    lex = Lexicon.build(data, ("Symptom", "Drug"))
    text = "给予头孢。"
    f = lex.features(text)
    assert f.shape == (5, 8) and f[2, 4] == 1 and f[3, 6] == 1  # Drug: B at 头, E at 孢
    alone = [Record("服用新药。", (Span(2, 4, "Drug"),))]
    lone = Lexicon.build(alone, ("Drug",))
    assert lone.features(alone[0].text, own_mentions(alone[0])).sum() == 0  # its own mention is hidden
    res = fit(_cfg(epochs=2, use_lexicon=True), data, data[:3], parser=ChainParser())
    save(res.model, tmp_path / "m")
    before = Predictor(res.model, parser=ChainParser(), device="cpu").predict([text])
    assert Predictor.load(tmp_path / "m", parser=ChainParser(), device="cpu").predict([text]) == before


def test_frozen_image_backbone_is_stored_in_fp16_and_loads_as_fp32(tmp_path: Path) -> None:
    import torch
    from safetensors import safe_open

    model = fit(_cfg(epochs=1, image_encoder="resnet18", image_size=64), _data(), [], parser=ChainParser()).model
    save(model, tmp_path / "m", version="v")
    with safe_open(str(tmp_path / "m" / "model.safetensors"), "pt") as f:
        kinds = {k: f.get_tensor(k).dtype for k in f.keys()}
    assert {d for k, d in kinds.items() if k.startswith("image.backbone.") and d.is_floating_point} == {torch.float16}
    assert {d for k, d in kinds.items() if not k.startswith("image.backbone.") and d.is_floating_point} == {
        torch.float32}
    back = load(tmp_path / "m")
    for (k, a), b in zip(model.state_dict().items(), back.state_dict().values(), strict=True):
        assert a.dtype == b.dtype, k
        if a.is_floating_point():
            assert torch.allclose(a, b, rtol=1e-2, atol=1e-3), k


def test_budget_bound_schedule_warms_up_and_decays_by_the_budget() -> None:
    import torch

    from madpg_core.train.loop import _schedule

    used = [0.0]
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1.0)
    sched = _schedule(opt, total=10_000, warmup_ratio=0.1, spent=lambda: used[0])
    factor = sched.lr_lambdas[0]
    assert 0 < factor(0) < 0.01
    used[0] = 0.1
    assert factor(1) == pytest.approx(1.0)
    used[0] = 0.55
    assert factor(2) == pytest.approx(0.5)
    used[0] = 1.5
    assert factor(3) == pytest.approx(0.05)
