"""Each ablation (Table 4) and each RpBERT-family preset (Table 3) removes exactly its parts: they are
absent from the module graph, nothing else is, and the forward pass runs only the parts present, in
the paper's order (EMA → gate → fusion → GCN → BiLSTM; DPGCN-RpRoBERTa: GCN before the fusion)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
import torch
from PIL import Image
from torch import nn

from madpg_core.domain import Record, Span
from madpg_core.featurize import collate, make_pieces
from madpg_core.model.build import new_model
from madpg_core.model.config import ABLATIONS, build_config, tiny
from madpg_core.model.crf import TagCRF
from madpg_core.model.ema import EMA
from madpg_core.model.gate import RelationGate
from madpg_core.model.gcn import DependencyGCN
from madpg_core.model.madpg import MADPG
from madpg_core.model.testing import ChainParser
from madpg_core.vision.feature_cache import FeatureCache

PARTS = {"ema": EMA, "gate": RelationGate, "gcn": DependencyGCN}
PREFIX = {"ema": "image.tokens.ema.", "gate": "gate.", "gcn": "gcn."}


# Table 4's ablations (the parts each removes, spelled out here, not read from the presets), and
# Table 3's multimodal rows read as parts of MADPG
CASES = {("madpg-" + k.replace("_", "-") if k != "full" else "madpg"): {p for p in ("ema", "gcn", "gate") if p in k}
         for k in ABLATIONS}
CASES.update({"rpbert": {"ema", "gcn"}, "ema-rproberta": {"gcn"}, "rproberta-dpgcn": {"ema"},
              "dpgcn-rproberta": {"ema"}})


@pytest.fixture(scope="module")
def imaged(tmp_path_factory: pytest.TempPathFactory) -> list[Record]:
    folder = tmp_path_factory.mktemp("imgs")
    paths = []
    for i, colour in enumerate(["red", "teal"]):
        p = folder / f"i{i}.png"
        Image.new("RGB", (30, 24), colour).save(p)
        paths.append(str(p))
    return [Record("患者因发热咳嗽入院。", (Span(3, 5, "Symptom"),), (paths[0],)),
            Record("肺部感染，给予阿莫西林口服治疗。", (Span(0, 4, "Disease"),), tuple(paths))]


def _model(name: str, bert_folder: Path, records: list[Record]) -> MADPG:
    torch.manual_seed(0)
    return new_model(tiny(build_config(name, pretrained_path=str(bert_folder))), records)


def _run(model: MADPG, records: list[Record]) -> list[str]:
    """One training forward pass; the names of the parts it ran, in order."""
    fired: list[str] = []
    for part, kind in PARTS.items():
        for m in model.modules():
            if isinstance(m, kind):
                m.register_forward_hook(lambda *_a, part=part: fired.append(part))
    if model.bilstm is not None:
        model.bilstm.register_forward_hook(lambda *_a: fired.append("bilstm"))
    tags = {t: i for i, t in enumerate(model.tags)}
    parser = ChainParser() if model.cfg.use_gcn else None
    pieces = make_pieces(records, model.text, model.cfg.max_len, tag_index=tags, parser=parser)
    batch = collate(pieces, FeatureCache(model.image, model.cfg.image_size).get)
    model.train()
    model.loss(batch).backward()
    return fired


@pytest.mark.parametrize("name", list(CASES))
def test_the_preset_removes_exactly_its_parts(name: str, bert_folder: Path, imaged: list[Record]) -> None:
    removed = CASES[name]
    full = _model("madpg", bert_folder, imaged)
    model = _model(name, bert_folder, imaged)
    kinds = {type(m) for m in model.modules()}
    for part, kind in PARTS.items():
        assert (kind in kinds) == (part not in removed), part
    assert isinstance(model.bilstm, nn.LSTM) and any(isinstance(m, TagCRF) for m in model.modules())
    # the module graph: the full model's parameters less the removed parts', names and shapes alike
    want = {k: v.shape for k, v in full.state_dict().items() if not k.startswith(tuple(PREFIX[p] for p in removed))}
    assert {k: v.shape for k, v in model.state_dict().items()} == want

    fired = _run(model, imaged)
    kept = [p for p in ("ema", "gate", "gcn", "bilstm") if p not in removed]
    if model.cfg.gcn_position == "before_fusion":  # DPGCN-RpRoBERTa: the graph refines the text first
        kept = ["gcn"] + [p for p in kept if p != "gcn"]
    assert fired == kept
    assert (model.last_relevance is None) == ("gate" in removed)


def test_table3_rows_equal_to_table4_rows_are_the_same_model() -> None:
    """EMA-RpRoBERTa's P/R/F1 (94.88/93.29/94.08) are "w/o DPGCN"'s, RpRoBERTa-DPGCN's (95.87/92.38/94.10)
    "w/o EMA"'s: one run each, reported twice. The presets must therefore be one config each."""
    def same(a: str, b: str) -> bool:
        ca, cb = (build_config(n, pretrained_path="x") for n in (a, b))
        return replace(ca, name="") == replace(cb, name="")

    assert same("ema-rproberta", "madpg-no-gcn")
    assert same("rproberta-dpgcn", "madpg-no-ema")
    assert not same("dpgcn-rproberta", "madpg-no-ema")  # the GCN before the fusion: its own row (92.98)
