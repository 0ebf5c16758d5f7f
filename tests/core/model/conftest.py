"""Fixtures for model tests: a tiny random BERT folder, a fake parser, short records."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from madpg_core.domain import Record, Span
from madpg_core.model.testing import ChainParser, make_tiny_bert_folder

# Tiny tensors run fastest on one thread, and the test machines are shared.
torch.set_num_threads(1)

CHARS = "患者因发热咳嗽入院肺部感染治疗头痛胸片示阴影给予阿莫西林口服胃癌术后复查。，,abc0123"


@pytest.fixture(scope="session")
def bert_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_tiny_bert_folder(tmp_path_factory.mktemp("tiny_bert"), CHARS)


@pytest.fixture
def parser() -> ChainParser:
    return ChainParser()


@pytest.fixture
def records() -> list[Record]:
    return [
        Record("患者因发热咳嗽入院。", (Span(3, 5, "Symptom"), Span(5, 7, "Symptom"))),
        Record("肺部感染，给予阿莫西林口服治疗。", (Span(0, 4, "Disease"), Span(7, 11, "Drug"))),
        Record("胃癌术后复查，胸片示阴影abc 123。", (Span(0, 2, "Disease"),)),
    ]
