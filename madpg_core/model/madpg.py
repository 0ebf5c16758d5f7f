"""The MADPG model, one class for every preset: each disabled part is decided once in __init__.

Forward path (DESIGN.md §2): text embeddings → [optional GCN before fusion] → relation gate pass
over [CLS] T [SEP] V → fusion pass over T ⊕ V' → text positions → [GCN] → gather one vector per
character (beside its input embedding, with ``embedding_skip``) → dropout → [BiLSTM] → linear →
CRF (or softmax).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from madpg_core.errors import MadpgError
from madpg_core.model.config import ModelConfig
from madpg_core.model.crf import TagCRF, allowed_transitions
from madpg_core.model.gate import GRID, RelationGate
from madpg_core.model.gcn import DependencyGCN
from madpg_core.model.image_encoder import ImageEncoder
from madpg_core.model.lexicon import Lexicon
from madpg_core.model.text_encoders import TextEncoder, run_lstm

N_VISUAL = GRID * GRID


@dataclass
class Batch:
    """Tensors for one batch of text pieces.

    input_ids, attention_mask: (B, n) tokens; bigram_ids: (B, n) or None.
    char_index: (B, L) token position of each character (n = "no token": a zero vector);
    char_mask: (B, L) bool, left-aligned. tags: (B, L) or None.
    adjacency: (B, n, n) or None. image_feats: (B, C, 7, 7) or None; image_mask: (B,) bool.
    lexicon: (B, L, W) or None.
    """

    input_ids: torch.Tensor
    attention_mask: torch.Tensor
    char_index: torch.Tensor
    char_mask: torch.Tensor
    bigram_ids: torch.Tensor | None = None
    tags: torch.Tensor | None = None
    adjacency: torch.Tensor | None = None
    image_feats: torch.Tensor | None = None
    image_mask: torch.Tensor | None = None
    lexicon: torch.Tensor | None = None  # (B, L, W) lexicon features per character

    def to(self, device: torch.device | str) -> Batch:
        moved = {k: (v.to(device) if isinstance(v, torch.Tensor) else v) for k, v in self.__dict__.items()}
        return Batch(**moved)


class MADPG(nn.Module):
    """Multimodal NER tagger; see the module docstring for the path through it.

    Args:
        cfg: the frozen config (its ``entity_types`` fix the tag set).
        text: the text encoder (it also owns the tokenizer or vocabulary).
    """

    def __init__(self, cfg: ModelConfig, text: TextEncoder, *, lexicon: Lexicon | None = None,
                 read_image_weights: bool = True, lazy_image: bool = False) -> None:
        super().__init__()
        self.cfg = cfg
        self.version = f"{cfg.name}-unsaved"  # set by checkpoint.save / load
        self.tags = cfg.tags
        self.text = text
        if cfg.freeze_bigrams and text.bigram is not None:
            text.bigram.weight.requires_grad_(False)
        d = text.hidden_size
        self.image: ImageEncoder | None = None
        if cfg.uses_image:
            weights = cfg.image_weights if read_image_weights else None  # a checkpoint carries its own
            # lazy_image: the frozen backbone is built on the first image (weights from a checkpoint)
            self.image = ImageEncoder(cfg.image_encoder, d, cfg.use_ema, cfg.ema_factor, weights, lazy=lazy_image)
        self.gate = RelationGate(d) if (cfg.uses_image and cfg.use_gate) else None
        self.gcn = DependencyGCN(d, cfg.gcn_layers, cfg.gcn_residual) if cfg.use_gcn else None
        self.dropout = nn.Dropout(cfg.dropout)
        if cfg.use_lexicon and lexicon is None:
            raise MadpgError("use_lexicon is on but no lexicon was given")
        self.lexicon = lexicon if cfg.use_lexicon else None
        out = d + (self.lexicon.width if self.lexicon is not None else 0) + (d if cfg.embedding_skip else 0)
        self.bilstm: nn.LSTM | None = None
        if cfg.use_bilstm:
            self.bilstm = nn.LSTM(out, cfg.lstm_hidden, batch_first=True, bidirectional=True)
            out = 2 * cfg.lstm_hidden
        self.classifier = nn.Linear(out, len(self.tags))
        self.crf = TagCRF(self.tags) if cfg.use_crf else None
        if not cfg.use_crf:
            trans, start = allowed_transitions(self.tags)
            self.register_buffer("allowed", trans, persistent=False)
            self.register_buffer("allowed_start", start, persistent=False)
        self.last_relevance: torch.Tensor | None = None  # r of the last forward, for inspection

    # --- encoder ------------------------------------------------------------------------
    def _visual(self, batch: Batch) -> tuple[torch.Tensor, torch.Tensor] | None:
        if self.image is None or batch.image_feats is None:
            return None
        v = self.image.tokens(batch.image_feats)
        mask = batch.image_mask if batch.image_mask is not None else torch.ones(v.shape[0], dtype=torch.bool)
        return v, mask.to(v.device)

    def _fuse(self, t_emb: torch.Tensor, att: torch.Tensor, v: torch.Tensor, v_mask: torch.Tensor) -> torch.Tensor:
        """One pass of Concat(T, V) through the encoder; visual tokens are type 1, positions 0..48."""
        b, n, _ = t_emb.shape
        dev = t_emb.device
        emb = torch.cat([t_emb, v.to(t_emb.dtype)], dim=1)
        mask = torch.cat([att, v_mask[:, None].expand(b, N_VISUAL).to(att.dtype)], dim=1)
        types = torch.cat([torch.zeros(b, n, dtype=torch.long, device=dev),
                           torch.ones(b, N_VISUAL, dtype=torch.long, device=dev)], dim=1)
        pos = torch.cat([torch.arange(n, device=dev), torch.arange(N_VISUAL, device=dev)]).expand(b, -1)
        return self.text(emb, mask, token_type_ids=types, position_ids=pos)

    def encode(self, batch: Batch) -> tuple[torch.Tensor, torch.Tensor]:
        """Token states after fusion and GCN, (B, n, d), and the input embeddings they started from."""
        emb = self.text.embed(batch.input_ids, batch.bigram_ids)
        att = batch.attention_mask
        pre = self.gcn is not None and self.cfg.gcn_position == "before_fusion"
        if pre:
            # DPGCN-RpRoBERTa: the graph refines a text-only pass, whose states then enter fusion.
            emb = self.gcn(self.text(emb, att), batch.adjacency)
        visual = self._visual(batch)
        if visual is None:
            h = emb if pre else self.text(emb, att)
        else:
            v, v_mask = visual
            if self.gate is not None:
                first = self._fuse(emb, att, v, v_mask)
                v, self.last_relevance = self.gate(first[:, 0], v)
            h = self._fuse(emb, att, v, v_mask)[:, : emb.shape[1]]
        if self.gcn is not None and self.cfg.gcn_position == "after_fusion":
            h = self.gcn(h, batch.adjacency)
        return h, emb

    def emissions(self, batch: Batch) -> torch.Tensor:
        """Tag scores per character, (B, L, K)."""
        h, emb = self.encode(batch)
        if self.cfg.embedding_skip:
            h = torch.cat([h, emb.to(h.dtype)], dim=-1)
        # Characters without a token gather a zero row appended at position n.
        h = torch.cat([h, h.new_zeros(h.shape[0], 1, h.shape[2])], dim=1)
        idx = batch.char_index.unsqueeze(-1).expand(-1, -1, h.shape[2])
        x = self.dropout(torch.gather(h, 1, idx))
        if self.lexicon is not None:  # pieces made without a lexicon: no known mention anywhere
            lex = batch.lexicon if batch.lexicon is not None else x.new_zeros(*x.shape[:2], self.lexicon.width)
            x = torch.cat([x, lex.to(x.dtype)], dim=-1)
        if self.bilstm is not None:
            x = self.dropout(run_lstm(self.bilstm, x, batch.char_mask))
        return self.classifier(x).float()

    # --- heads --------------------------------------------------------------------------
    def loss(self, batch: Batch) -> torch.Tensor:
        em = self.emissions(batch)
        assert batch.tags is not None
        if self.crf is not None:
            return self.crf.nll(em, batch.tags, batch.char_mask)
        return nn.functional.cross_entropy(em[batch.char_mask], batch.tags[batch.char_mask])

    @torch.no_grad()
    def decode(self, batch: Batch) -> tuple[list[list[int]], list[list[float]]]:
        """Best tag ids per character and the probability of each chosen tag."""
        em = self.emissions(batch)
        mask = batch.char_mask
        if self.crf is not None:
            paths = self.crf.decode(em, mask)
            probs = self.crf.marginals(em, mask)
        else:
            paths = _greedy_valid(em, mask, self.allowed, self.allowed_start)
            probs = torch.softmax(em, dim=-1)
        pr = probs.float().cpu().numpy()
        conf = [pr[i, np.arange(len(p)), p].tolist() for i, p in enumerate(paths)]
        return paths, conf


def _greedy_valid(em: torch.Tensor, mask: torch.Tensor, allowed: torch.Tensor, start: torch.Tensor) -> list[list[int]]:
    """Left-to-right argmax that never emits an invalid IOB2 transition (no-CRF ablation)."""
    out = []
    for i, n in enumerate(mask.sum(dim=1).tolist()):
        path: list[int] = []
        for t in range(int(n)):
            ok = start if t == 0 else allowed[path[-1]]
            path.append(int(em[i, t].masked_fill(~ok, float("-inf")).argmax()))
        out.append(path)
    return out


def count_parameters(module: nn.Module, trainable_only: bool = False) -> int:
    return sum(p.numel() for p in module.parameters() if p.requires_grad or not trainable_only)
