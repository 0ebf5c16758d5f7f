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
    """The BERT trained from scratch: a SmallBert (no transformers import), or transformers' BertModel
    for a saved config with settings SmallBert does not implement."""
    if saved is None:
        return SmallBert(SmallBertConfig(
            vocab_size=len(vocab.chars), hidden_size=cfg.hidden_size, num_hidden_layers=cfg.num_layers,
            num_attention_heads=cfg.num_heads, intermediate_size=cfg.intermediate_size,
            max_position_embeddings=max(cfg.max_len, 64), type_vocab_size=2, pad_token_id=0,
            hidden_dropout_prob=cfg.encoder_dropout, attention_probs_dropout_prob=cfg.encoder_dropout,
            # BERT's 0.02 suits d = 768; a small d needs ~1/sqrt(d), or attention (and with it the
            # visual tokens) barely reaches the residual stream at the start of training.
            initializer_range=min(0.1, cfg.hidden_size**-0.5),
        ))
    if SmallBertConfig.supports(saved):
        return SmallBert(SmallBertConfig(**saved))
    return _transformers_bert(saved)


def _transformers_bert(saved: dict[str, Any]) -> nn.Module:
    from transformers import BertConfig, BertModel

    return BertModel(BertConfig(**{k: v for k, v in saved.items() if k != "model_type"}), add_pooling_layer=False)


def _from_pretrained_folder(cfg: ModelConfig) -> BertEncoder:
    from transformers import AutoModel, AutoTokenizer

    path = Path(cfg.pretrained_path or "")
    if not cfg.pretrained_path or not path.is_dir():
        raise MadpgError(f"{cfg.name}: no pretrained model folder at {path} (expected a Hugging Face folder: "
                         "config.json, vocab.txt, and model.safetensors or pytorch_model.bin)")
    check_pretrained_folder(path)
    try:
        tok = AutoTokenizer.from_pretrained(str(path), local_files_only=True)
        # weights_only: transformers reads a .bin with torch.load(weights_only=True), so a pickle
        # that would run code is refused, not executed; safetensors cannot carry code at all.
        # ignore_mismatched_sizes: a shape mismatch comes back in the loading info, named, and is
        # refused below (transformers would raise pointing at a report it printed).
        bert, info = AutoModel.from_pretrained(str(path), local_files_only=True, add_pooling_layer=False,
                                               output_loading_info=True, ignore_mismatched_sizes=True)
    except MadpgError:
        raise
    except Exception as e:  # noqa: BLE001 - a broken or foreign folder is the user's file, not a crash
        if "weights only" in str(e).lower() or "weights_only" in str(e):
            raise MadpgError(f"cannot load the pretrained model in {path}: pytorch_model.bin holds pickled objects, "
                             "not only tensors (refused: loading them could run code) — save the model again "
                             "with save_pretrained, which writes model.safetensors") from e
        raise MadpgError(f"cannot load the pretrained model in {path}: {e}") from e
    _check_loading_info(path, info)
    if not getattr(tok, "is_fast", False):
        raise MadpgError(f"{path}: a fast tokenizer (tokenizer.json or vocab.txt) is needed for character offsets")
    emb = getattr(bert, "embeddings", None)
    if emb is None or not hasattr(emb, "token_type_embeddings"):
        kind = getattr(bert.config, "model_type", "?")
        raise MadpgError(f"{path}: a {kind} model; MADPG fuses the image into a BERT-architecture encoder "
                         "(model_type bert or roberta, e.g. chinese-roberta-wwm-ext)")
    return BertEncoder(bert, tok, None, False)


WEIGHT_FILES = ("model.safetensors", "pytorch_model.bin", "model.safetensors.index.json",
                "pytorch_model.bin.index.json")
VOCAB_FILES = ("vocab.txt", "tokenizer.json")


def check_pretrained_folder(path: Path) -> None:
    """Name the first file a Hugging Face BERT/RoBERTa folder lacks, before transformers reads it.

    transformers would otherwise say something about the hub (it is never asked: local_files_only),
    or, for a folder without vocab.txt, build a tokenizer with an empty vocabulary.
    """
    if not (path / "config.json").is_file():
        raise MadpgError(f"config.json missing in {path} (a Hugging Face model folder: config.json, vocab.txt, "
                         "model.safetensors or pytorch_model.bin)")
    try:
        json.loads((path / "config.json").read_text("utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as e:
        raise MadpgError(f"{path / 'config.json'} is not readable JSON: {e}") from e
    if not any((path / f).is_file() for f in WEIGHT_FILES):
        raise MadpgError(f"pytorch_model.bin or model.safetensors missing in {path}")
    if not any((path / f).is_file() for f in VOCAB_FILES):
        raise MadpgError(f"vocab.txt (or tokenizer.json) missing in {path}")


# Buffers a model builds itself; an older checkpoint may or may not carry them.
_OWN_BUFFERS = ("position_ids", "token_type_ids")


def _check_loading_info(path: Path, info: dict[str, Any]) -> None:
    """Refuse weights that left parts of the encoder random: transformers only warns, and a model
    that trains from half-random weights looks like a bad corpus, not like a wrong folder."""
    missing = sorted(k for k in info.get("missing_keys", ()) if not k.endswith(_OWN_BUFFERS))
    bad_shape = sorted(info.get("mismatched_keys", ()) or ())
    if not missing and not bad_shape:
        return
    unexpected = sorted(info.get("unexpected_keys", ()) or ())
    if bad_shape:
        first = bad_shape[0]
        name = first[0] if isinstance(first, tuple) else first
        raise MadpgError(f"{path}: the weights do not fit config.json: {name} has another shape "
                         f"({len(bad_shape)} such keys) — do config.json and the weights file belong together?")
    more = f" and {len(missing) - 1} more" if len(missing) > 1 else ""
    found = f"; the file has keys like {unexpected[0]}" if unexpected else ""
    raise MadpgError(f"{path}: the weights file lacks {missing[0]}{more}{found} — is it a BERT/RoBERTa "
                     "base model saved with save_pretrained?")


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


# A small BERT without ``transformers`` ----------------------------------------------------------
# Importing transformers costs ~2 s, most of the default model's load time, for a 2-layer, 128-wide
# encoder trained here. SmallBert is the same computation (transformers' BertModel without pooler,
# absolute positions, GELU, SDPA attention) under the same parameter names, so checkpoints of either
# load into the other; tests/core/model/test_lazy_start.py compares the two on the bundled model.

_BERT_DEFAULTS: dict[str, Any] = {
    "vocab_size": 30522, "hidden_size": 768, "num_hidden_layers": 12, "num_attention_heads": 12,
    "intermediate_size": 3072, "hidden_act": "gelu", "hidden_dropout_prob": 0.1,
    "attention_probs_dropout_prob": 0.1, "max_position_embeddings": 512, "type_vocab_size": 2,
    "initializer_range": 0.02, "layer_norm_eps": 1e-12, "pad_token_id": 0,
}
# Saved settings SmallBert cannot honour: such a folder is rebuilt with transformers.
_ONLY_DEFAULT = {"hidden_act": "gelu", "position_embedding_type": "absolute", "is_decoder": False,
                 "add_cross_attention": False, "chunk_size_feed_forward": 0, "embedding_size": None}


class SmallBertConfig:
    """The BertConfig fields SmallBert reads; written back as text_config.json in BertConfig's keys."""

    model_type = "bert"

    def __init__(self, **values: Any) -> None:
        values.pop("model_type", None)
        self.__dict__.update({**_BERT_DEFAULTS, **values})

    @staticmethod
    def supports(values: dict[str, Any]) -> bool:
        return all(values.get(k, v) == v for k, v in _ONLY_DEFAULT.items() if k in values)

    def to_dict(self) -> dict[str, Any]:
        return {**{k: v for k, v in self.__dict__.items() if not k.startswith("_")}, "model_type": "bert"}

    def to_json_string(self) -> str:
        return json.dumps(self.to_dict(), indent=2, sort_keys=True) + "\n"


class _Embeddings(nn.Module):
    def __init__(self, c: SmallBertConfig) -> None:
        super().__init__()
        self.word_embeddings = nn.Embedding(c.vocab_size, c.hidden_size, padding_idx=c.pad_token_id)
        self.position_embeddings = nn.Embedding(c.max_position_embeddings, c.hidden_size)
        self.token_type_embeddings = nn.Embedding(c.type_vocab_size, c.hidden_size)
        self.LayerNorm = nn.LayerNorm(c.hidden_size, eps=c.layer_norm_eps)
        self.dropout = nn.Dropout(c.hidden_dropout_prob)

    def forward(self, embeds: torch.Tensor, token_type_ids: torch.Tensor, position_ids: torch.Tensor) -> torch.Tensor:
        x = embeds + self.token_type_embeddings(token_type_ids) + self.position_embeddings(position_ids)
        return self.dropout(self.LayerNorm(x))


class _Dense(nn.Module):
    """dense → dropout → LayerNorm(· + residual): BertSelfOutput and BertOutput."""

    def __init__(self, c: SmallBertConfig, d_in: int) -> None:
        super().__init__()
        self.dense = nn.Linear(d_in, c.hidden_size)
        self.LayerNorm = nn.LayerNorm(c.hidden_size, eps=c.layer_norm_eps)
        self.dropout = nn.Dropout(c.hidden_dropout_prob)

    def forward(self, x: torch.Tensor, residual: torch.Tensor) -> torch.Tensor:
        return self.LayerNorm(self.dropout(self.dense(x)) + residual)


class _SelfAttention(nn.Module):
    def __init__(self, c: SmallBertConfig) -> None:
        super().__init__()
        if c.hidden_size % c.num_attention_heads:
            raise ValueError(f"the hidden size ({c.hidden_size}) is not a multiple of the number of attention "
                             f"heads ({c.num_attention_heads})")
        self.heads = c.num_attention_heads
        self.query = nn.Linear(c.hidden_size, c.hidden_size)
        self.key = nn.Linear(c.hidden_size, c.hidden_size)
        self.value = nn.Linear(c.hidden_size, c.hidden_size)
        self.p = c.attention_probs_dropout_prob

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
        shape = (*x.shape[:-1], self.heads, -1)
        q, k, v = (f(x).view(shape).transpose(1, 2) for f in (self.query, self.key, self.value))
        out = nn.functional.scaled_dot_product_attention(q, k, v, attn_mask=mask,
                                                         dropout_p=self.p if self.training else 0.0)
        return out.transpose(1, 2).reshape(*x.shape[:-1], -1)


class _Attention(nn.Module):
    def __init__(self, c: SmallBertConfig) -> None:
        super().__init__()
        self.self = _SelfAttention(c)
        self.output = _Dense(c, c.hidden_size)


class _Intermediate(nn.Module):
    def __init__(self, c: SmallBertConfig) -> None:
        super().__init__()
        self.dense = nn.Linear(c.hidden_size, c.intermediate_size)


class _Layer(nn.Module):
    def __init__(self, c: SmallBertConfig) -> None:
        super().__init__()
        self.attention = _Attention(c)
        self.intermediate = _Intermediate(c)
        self.output = _Dense(c, c.intermediate_size)

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
        a = self.attention.output(self.attention.self(x, mask), x)
        return self.output(nn.functional.gelu(self.intermediate.dense(a)), a)


class _Encoder(nn.Module):
    def __init__(self, c: SmallBertConfig) -> None:
        super().__init__()
        self.layer = nn.ModuleList(_Layer(c) for _ in range(c.num_hidden_layers))


@dataclass
class _Output:
    last_hidden_state: torch.Tensor


class SmallBert(nn.Module):
    """transformers' ``BertModel(config, add_pooling_layer=False)`` for the encoders trained here."""

    def __init__(self, config: SmallBertConfig) -> None:
        super().__init__()
        self.config = config
        self.embeddings = _Embeddings(config)
        self.encoder = _Encoder(config)
        self.apply(self._init_weights)

    def _init_weights(self, m: nn.Module) -> None:
        """BertPreTrainedModel's initialisation (a fresh model trains as before)."""
        std = self.config.initializer_range
        if isinstance(m, nn.Linear):
            nn.init.normal_(m.weight, 0.0, std)
            nn.init.zeros_(m.bias)
        elif isinstance(m, nn.Embedding):
            nn.init.normal_(m.weight, 0.0, std)
            if m.padding_idx is not None:
                with torch.no_grad():
                    m.weight[m.padding_idx].zero_()
        elif isinstance(m, nn.LayerNorm):
            nn.init.ones_(m.weight)
            nn.init.zeros_(m.bias)

    def get_input_embeddings(self) -> nn.Embedding:
        return self.embeddings.word_embeddings

    def set_input_embeddings(self, value: nn.Embedding) -> None:
        self.embeddings.word_embeddings = value

    def forward(self, inputs_embeds: torch.Tensor, attention_mask: torch.Tensor | None = None,
                token_type_ids: torch.Tensor | None = None, position_ids: torch.Tensor | None = None) -> _Output:
        b, n = inputs_embeds.shape[:2]
        dev = inputs_embeds.device
        if position_ids is None:
            position_ids = torch.arange(n, device=dev).expand(b, n)
        if token_type_ids is None:
            token_type_ids = torch.zeros(b, n, dtype=torch.long, device=dev)
        x = self.embeddings(inputs_embeds, token_type_ids, position_ids)
        mask = None
        if attention_mask is not None and not bool(attention_mask.all()):
            mask = attention_mask.bool()[:, None, None, :]  # keys only: (B, 1, 1, n)
        for layer in self.encoder.layer:
            x = layer(x, mask)
        return _Output(x)
