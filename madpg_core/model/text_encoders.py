"""Text encoders: a pretrained BERT/RoBERTa folder, a small BERT trained from scratch, and the
character BiLSTM / CNN of the classic baselines.

Each encoder turns a text into token ids plus ``char_to_token`` (token position of every
character, -1 for a character no token covers), so that the model can predict one tag per
character whatever the tokenizer merges.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from madpg_core.errors import MadpgError
from madpg_core.model.config import ModelConfig
from madpg_core.model.vocab import CLS, SEP, Vocab

TEXT_CONFIG = "text_config.json"
TOKENIZER_DIR = "tokenizer"


@dataclass(frozen=True)
class Encoded:
    """Token ids of one text piece and where each character landed."""

    input_ids: list[int]
    bigram_ids: list[int] | None
    char_to_token: list[int]


class TextEncoder(nn.Module):
    """Common interface: tokenize → embed → forward (contextual states, (B, n, d))."""

    hidden_size: int
    vocab: Vocab | None  # encoders trained here: the corpus vocabulary (a pretrained folder: None)
    bigram: nn.Embedding | None  # the bigram table, when bigrams are on
    fusion: bool = False  # a transformer that can take visual tokens as extra inputs
    pretrained: bool = False  # its parameters train with the small learning rate

    def tokenize(self, text: str) -> Encoded:
        raise NotImplementedError

    def embed(self, input_ids: torch.Tensor, bigram_ids: torch.Tensor | None) -> torch.Tensor:
        raise NotImplementedError

    def save_extra(self, folder: Path) -> None:
        """Write what loading needs besides the weights (vocabulary, tokenizer, architecture)."""


class BertEncoder(TextEncoder):
    """A BERT-architecture encoder, used for text alone or for [CLS] T [SEP] V fusion."""

    fusion = True

    def __init__(self, bert: nn.Module, tokenizer: Any | None, vocab: Vocab | None, use_bigrams: bool) -> None:
        super().__init__()
        self.bert = bert
        self.tokenizer = tokenizer
        self.vocab = vocab
        self.pretrained = tokenizer is not None
        self.hidden_size = bert.config.hidden_size
        self.bigram = nn.Embedding(len(vocab.bigrams), self.hidden_size) if (vocab and use_bigrams) else None
        # RoBERTa numbers positions from padding_idx + 1.
        self.position_offset = bert.config.pad_token_id + 1 if bert.config.model_type == "roberta" else 0
        if bert.config.type_vocab_size < 2:
            _widen_token_types(bert)

    def tokenize(self, text: str) -> Encoded:
        if self.tokenizer is None:
            assert self.vocab is not None
            ids = [self.vocab.special(CLS)] + self.vocab.char_ids(text) + [self.vocab.special(SEP)]
            bis = None
            if self.bigram is not None:
                bis = [self.vocab.special(CLS)] + self.vocab.bigram_ids(text) + [self.vocab.special(SEP)]
            return Encoded(ids, bis, list(range(1, len(text) + 1)))
        enc = self.tokenizer(text, add_special_tokens=True, return_offsets_mapping=True)
        c2t = [-1] * len(text)
        for pos, (s, e) in enumerate(enc["offset_mapping"]):
            for ch in range(s, e):
                if c2t[ch] == -1:
                    c2t[ch] = pos
        return Encoded(list(enc["input_ids"]), None, c2t)

    def embed(self, input_ids: torch.Tensor, bigram_ids: torch.Tensor | None) -> torch.Tensor:
        x = self.bert.get_input_embeddings()(input_ids)
        if self.bigram is not None and bigram_ids is not None:
            x = x + self.bigram(bigram_ids)
        return x

    def forward(
        self, embeds: torch.Tensor, attention_mask: torch.Tensor,
        token_type_ids: torch.Tensor | None = None, position_ids: torch.Tensor | None = None,
    ) -> torch.Tensor:
        if position_ids is None:
            position_ids = torch.arange(embeds.shape[1], device=embeds.device).expand(embeds.shape[:2])
        out = self.bert(
            inputs_embeds=embeds, attention_mask=attention_mask, token_type_ids=token_type_ids,
            position_ids=position_ids + self.position_offset,
        )
        return out.last_hidden_state

    def save_extra(self, folder: Path) -> None:
        (folder / TEXT_CONFIG).write_text(self.bert.config.to_json_string(), "utf-8")
        if self.vocab is not None:
            self.vocab.save(folder / "vocab.json")
        if self.tokenizer is not None:
            self.tokenizer.save_pretrained(str(folder / TOKENIZER_DIR))


def _widen_token_types(bert: nn.Module) -> None:
    """Give a one-type model (RoBERTa) a second token type for visual tokens, copied from type 0."""
    old = bert.embeddings.token_type_embeddings
    new = nn.Embedding(2, old.embedding_dim)
    with torch.no_grad():
        new.weight.copy_(old.weight[0:1].expand(2, -1))
    bert.embeddings.token_type_embeddings = new
    bert.config.type_vocab_size = 2


class CharEncoder(TextEncoder):
    """Character (+ bigram) embeddings, then a BiLSTM or a CNN: the classic baselines."""

    def __init__(self, cfg: ModelConfig, vocab: Vocab) -> None:
        super().__init__()
        self.vocab = vocab
        self.kind = cfg.text_encoder
        self.hidden_size = cfg.hidden_size
        self.char = nn.Embedding(len(vocab.chars), cfg.embedding_size, padding_idx=0)
        self.bigram = nn.Embedding(len(vocab.bigrams), cfg.embedding_size, padding_idx=0) if cfg.use_bigrams else None
        self.dropout = nn.Dropout(cfg.dropout)
        if self.kind == "char-bilstm":
            self.rnn = nn.LSTM(cfg.embedding_size, cfg.hidden_size // 2, num_layers=max(1, cfg.num_layers),
                               batch_first=True, bidirectional=True)
            self.hidden_size = (cfg.hidden_size // 2) * 2
        else:
            sizes = [cfg.embedding_size] + [cfg.hidden_size] * max(1, cfg.num_layers)
            self.convs = nn.ModuleList(
                nn.Conv1d(a, b, cfg.cnn_kernel, padding=cfg.cnn_kernel // 2) for a, b in zip(sizes, sizes[1:])
            )

    def tokenize(self, text: str) -> Encoded:
        bis = self.vocab.bigram_ids(text) if self.bigram is not None else None
        return Encoded(self.vocab.char_ids(text), bis, list(range(len(text))))

    def embed(self, input_ids: torch.Tensor, bigram_ids: torch.Tensor | None) -> torch.Tensor:
        x = self.char(input_ids)
        if self.bigram is not None and bigram_ids is not None:
            x = x + self.bigram(bigram_ids)
        return x

    def forward(self, embeds: torch.Tensor, attention_mask: torch.Tensor, **_: Any) -> torch.Tensor:
        x = self.dropout(embeds)
        if self.kind == "char-bilstm":
            return run_lstm(self.rnn, x, attention_mask)
        keep = attention_mask.unsqueeze(1).to(x.dtype)
        h = x.transpose(1, 2)
        for conv in self.convs:
            h = torch.relu(conv(h * keep))  # zero the padding so it cannot leak into real positions
        return (h * keep).transpose(1, 2)

    def save_extra(self, folder: Path) -> None:
        self.vocab.save(folder / "vocab.json")


def run_lstm(rnn: nn.LSTM, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """A BiLSTM over left-aligned sequences; packing keeps padding out of the backward direction."""
    lengths = mask.sum(dim=1).clamp(min=1).cpu()
    packed = pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
    out, _ = rnn(packed)
    out, _ = pad_packed_sequence(out, batch_first=True, total_length=x.shape[1])
    return out


def build_text_encoder(cfg: ModelConfig, vocab: Vocab | None) -> TextEncoder:
    """A fresh encoder for ``cfg`` (pretrained weights read from ``cfg.pretrained_path``)."""
    if cfg.text_encoder == "pretrained":
        return _from_pretrained_folder(cfg)
    if vocab is None:
        raise MadpgError(f"text encoder {cfg.text_encoder} needs a vocabulary built from the corpus")
    if cfg.text_encoder == "bert-scratch":
        return BertEncoder(_scratch_bert(cfg, vocab), None, vocab, cfg.use_bigrams)
    return CharEncoder(cfg, vocab)


def _scratch_bert(cfg: ModelConfig, vocab: Vocab, saved: dict[str, Any] | None = None) -> nn.Module:
    from transformers import BertConfig, BertModel

    if saved is not None:
        bc = BertConfig(**saved)
    else:
        bc = BertConfig(
            vocab_size=len(vocab.chars), hidden_size=cfg.hidden_size, num_hidden_layers=cfg.num_layers,
            num_attention_heads=cfg.num_heads, intermediate_size=cfg.intermediate_size,
            max_position_embeddings=max(cfg.max_len, 64), type_vocab_size=2, pad_token_id=0,
            hidden_dropout_prob=cfg.encoder_dropout, attention_probs_dropout_prob=cfg.encoder_dropout,
            # BERT's 0.02 suits d = 768; a small d needs ~1/sqrt(d), or attention (and with it the
            # visual tokens) barely reaches the residual stream at the start of training.
            initializer_range=min(0.1, cfg.hidden_size**-0.5),
        )
    return BertModel(bc, add_pooling_layer=False)


def _from_pretrained_folder(cfg: ModelConfig) -> BertEncoder:
    from transformers import AutoModel, AutoTokenizer

    path = Path(cfg.pretrained_path or "")
    if not cfg.pretrained_path or not (path / "config.json").is_file():
        raise MadpgError(f"{cfg.name}: no pretrained model folder at {path} (expected config.json and weights)")
    try:
        tok = AutoTokenizer.from_pretrained(str(path), local_files_only=True)
        bert = AutoModel.from_pretrained(str(path), local_files_only=True, add_pooling_layer=False)
    except (OSError, ValueError) as e:
        raise MadpgError(f"cannot load the pretrained model in {path}: {e}") from e
    if not getattr(tok, "is_fast", False):
        raise MadpgError(f"{path}: a fast tokenizer (tokenizer.json or vocab.txt) is needed for character offsets")
    return BertEncoder(bert, tok, None, False)


def load_text_encoder(cfg: ModelConfig, folder: Path) -> TextEncoder:
    """Rebuild a saved encoder's architecture (weights are loaded by the caller)."""
    vocab = Vocab.load(folder / "vocab.json") if (folder / "vocab.json").is_file() else None
    if cfg.text_encoder in ("char-bilstm", "char-cnn"):
        return CharEncoder(cfg, _need(vocab, folder))
    saved = json.loads((folder / TEXT_CONFIG).read_text("utf-8"))
    if cfg.text_encoder == "bert-scratch":
        return BertEncoder(_scratch_bert(cfg, _need(vocab, folder), saved), None, vocab, cfg.use_bigrams)
    from transformers import AutoConfig, AutoModel, AutoTokenizer

    mtype = saved.pop("model_type", "bert")
    bert = AutoModel.from_config(AutoConfig.for_model(mtype, **saved), add_pooling_layer=False)
    tok = AutoTokenizer.from_pretrained(str(folder / TOKENIZER_DIR), local_files_only=True)
    return BertEncoder(bert, tok, None, False)


def _need(vocab: Vocab | None, folder: Path) -> Vocab:
    if vocab is None:
        raise MadpgError(f"{folder}: vocab.json is missing")
    return vocab
