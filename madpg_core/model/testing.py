"""Small, fast stand-ins for tests and smoke runs (used by this project's tests and the GUI's).

Nothing here is downloaded: the tiny BERT folder is random weights written by ``transformers``.
"""

from __future__ import annotations

from pathlib import Path

from madpg_core.domain import Record, Span
from madpg_core.text.protocol import Parse


class ChainParser:
    """A deterministic fake parser: words of two characters, each headed by the previous word."""

    version = "chain-test-1"

    def parse(self, text: str) -> Parse:
        words = tuple((i, min(i + 2, len(text))) for i in range(0, len(text), 2))
        heads = tuple(i - 1 for i in range(len(words)))
        return Parse(words, heads, self.version)


def make_tiny_bert_folder(folder: Path, chars: str, hidden: int = 16, model_type: str = "bert") -> Path:
    """Write a random 1-layer BERT (or RoBERTa-architecture) model and a char vocab.txt to ``folder``."""
    from transformers import (
        BertConfig,
        BertModel,
        BertTokenizerFast,
        RobertaConfig,
        RobertaModel,
    )

    folder.mkdir(parents=True, exist_ok=True)
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"] + sorted(set(chars)) + ["##0", "12"]
    (folder / "vocab.txt").write_text("\n".join(vocab) + "\n", "utf-8")
    common = dict(vocab_size=len(vocab), hidden_size=hidden, num_hidden_layers=1, num_attention_heads=2,
                  intermediate_size=2 * hidden, max_position_embeddings=300)
    if model_type == "roberta":
        model = RobertaModel(RobertaConfig(**common, type_vocab_size=1, pad_token_id=0), add_pooling_layer=False)
    else:
        model = BertModel(BertConfig(**common), add_pooling_layer=False)
    model.save_pretrained(str(folder))
    BertTokenizerFast(vocab_file=str(folder / "vocab.txt"), tokenize_chinese_chars=True).save_pretrained(str(folder))
    return folder


def drug_records(n: int) -> list[Record]:
    """``n`` tiny records a model learns in a few epochs: 发热 (Symptom) and one of three drugs (Drug)."""
    out = []
    for i in range(n):
        drug = ["阿莫西林", "头孢", "青霉素"][i % 3]
        text = f"患者发热{i}天，给予{drug}口服。"
        s = text.index(drug)
        out.append(Record(text, (Span(2, 4, "Symptom"), Span(s, s + len(drug), "Drug"))))
    return out
