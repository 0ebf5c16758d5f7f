"""Prediction: records or texts in, model spans (with confidences) out, any text length."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from pathlib import Path

import torch

from madpg_core.domain import Record, Span, SpanSource
from madpg_core.errors import Cancelled, MadpgError
from madpg_core.model.madpg import MADPG
from madpg_core.model.attention_probe import AttentionMap, probe
from madpg_core.text.protocol import DependencyParser, Parse
from madpg_core.featurize import FeatureLookup, Piece, collate, length_batches, make_pieces
from madpg_core.vision.feature_cache import FeatureCache

# Pieces per forward pass on CPU. A stop request is honoured between two passes, so one pass must
# take well under a second even on a busy machine: 8 pieces of the default model (madpg-lite, 128
# characters a piece) take ~0.05 s on one quiet 2-core Xeon thread, 32 pieces ~0.2 s, and pieces a
# second are the same within noise from 4 to 32 (issue 21). CUDA keeps larger batches: it is
# launch-bound, and a pass takes milliseconds.
CPU_BATCH = 8
CUDA_BATCH = 32
# Texts per parse while making pieces (the GCN's dependency parses, ~20 ms a piece on one CPU
# thread): the stop is checked between these batches too.
PARSE_BATCH = 16


def default_batch_size(device: torch.device | str) -> int:
    """Pieces per forward pass on ``device`` (see CPU_BATCH)."""
    return CUDA_BATCH if torch.device(device).type == "cuda" else CPU_BATCH


class StoppableParser:
    """A parser that checks ``stop`` before each batch of :data:`PARSE_BATCH` texts it hands on to
    ``parser`` (parsing a whole record set at once could take seconds), raising Cancelled, and
    tells ``on_progress(done, total)`` after each batch (training's "parsing 120 / 914 texts")."""

    def __init__(self, parser: DependencyParser, stop: threading.Event,
                 on_progress: Callable[[int, int], None] | None = None) -> None:
        self.parser = parser
        self.stop = stop
        self.on_progress = on_progress
        self.version = parser.version

    def _check(self) -> None:
        if self.stop.is_set():
            raise Cancelled("cancelled while parsing")

    def parse(self, text: str) -> Parse:
        self._check()
        return self.parser.parse(text)

    def parse_many(self, texts: Sequence[str]) -> list[Parse]:
        texts = list(texts)
        many = getattr(self.parser, "parse_many", None)
        out: list[Parse] = []
        for at in range(0, len(texts), PARSE_BATCH):
            self._check()
            part = texts[at : at + PARSE_BATCH]
            out += list(many(part)) if many is not None else [self.parser.parse(t) for t in part]
            if self.on_progress is not None:
                self.on_progress(len(out), len(texts))
        return out


def stoppable(parser: DependencyParser | None, stop: threading.Event | None,
              on_progress: Callable[[int, int], None] | None = None) -> DependencyParser | None:
    """``parser`` checking ``stop`` between batches of texts and reporting them to ``on_progress``
    (unchanged when there is neither a stop nor a progress callback)."""
    if parser is None or (stop is None and on_progress is None):
        return parser
    stop = stop or threading.Event()
    inner, cache = getattr(parser, "parser", None), getattr(parser, "cache", None)
    if inner is not None and cache is not None:
        # A cached parser: stop between batches of the parses it still has to make (the progress
        # counts those, not the hits), and keep its one cache read and one write per call (wrapped
        # outside, every 16 texts would be a call).
        wrapped = StoppableParser(inner, stop, on_progress)
        around = getattr(parser, "around", None)
        return around(wrapped) if around is not None else type(parser)(wrapped, cache)
    return StoppableParser(parser, stop, on_progress)


class PredictionCancelled(Cancelled):
    """Prediction stopped between two forward passes. ``done`` are the indices of the items whose
    every piece was predicted; ``spans`` and ``least`` hold their results (as ``decode_pieces``
    returns them), so a caller can keep the finished items."""

    def __init__(self, message: str, done: frozenset[int], spans: list[list[Span]], least: list[float]) -> None:
        super().__init__(message)
        self.done = done
        self.spans = spans
        self.least = least


def resolve_parser(model: MADPG, parser: DependencyParser | None) -> DependencyParser | None:
    """The parser the GCN needs: the given one, else the shipped default; None without a GCN."""
    if not model.cfg.use_gcn:
        return None
    if parser is not None:
        return parser
    try:
        from madpg_core.text.parser import load_default_parser

        return load_default_parser()
    except MadpgError:
        raise
    except Exception as e:  # noqa: BLE001 - missing module, spaCy model, ... : one clear line
        raise MadpgError(f"the dependency GCN needs a parser and the shipped one could not be loaded: {e}") from e


def feature_lookup(model: MADPG, cache_dir: Path | None = None,
                   device: torch.device | str = "cpu") -> FeatureLookup | None:
    """The per-image backbone feature lookup of ``model``, or None for a text-only model."""
    if model.image is None:
        return None
    return FeatureCache(model.image, model.cfg.image_size, cache_dir, device).get


def entity_spans(piece: Piece, tags: Sequence[str], conf: Sequence[float], version: str) -> list[Span]:
    """Spans of one piece's (valid IOB2) tags, in record offsets, confidence = mean tag probability."""
    out = []
    start = None
    for i, tag in enumerate([*tags, "O"]):
        if start is not None and tag != f"I-{tags[start][2:]}":
            c = sum(conf[start:i]) / (i - start)
            out.append(Span(piece.offset + start, piece.offset + i, tags[start][2:], SpanSource.MODEL,
                            version, round(min(max(c, 0.0), 1.0), 4)))
            start = None
        if tag.startswith("B-"):
            start = i
    return out


@torch.no_grad()
def predict_spans(
    model: MADPG, items: Sequence[Record | str], *, parser: DependencyParser | None = None,
    features: FeatureLookup | None = None, batch_size: int = 32, device: torch.device | str = "cpu",
    on_progress: Callable[[int, int], None] | None = None, stop: threading.Event | None = None,
) -> list[list[Span]]:
    """Spans per item. Long texts are split at sentence ends and stitched back in record offsets.

    ``stop`` is checked between batches of parses and between forward passes (raises Cancelled)."""
    if stop is not None and stop.is_set():
        raise Cancelled("prediction cancelled")
    pieces = make_pieces(items, model.text, model.cfg.max_len, piece_chars=model.cfg.piece_chars,
                         parser=stoppable(parser, stop), lexicon=model.lexicon)
    return predict_pieces(model, pieces, len(items), features=features, batch_size=batch_size, device=device,
                          on_progress=on_progress, stop=stop)


@torch.no_grad()
def predict_pieces(
    model: MADPG, pieces: Sequence[Piece], n_items: int, *, features: FeatureLookup | None = None,
    batch_size: int = 32, device: torch.device | str = "cpu",
    on_progress: Callable[[int, int], None] | None = None, stop: threading.Event | None = None,
) -> list[list[Span]]:
    """Spans per item from pieces already made (tokenized and parsed once, e.g. a dev set)."""
    return decode_pieces(model, pieces, n_items, features=features, batch_size=batch_size, device=device,
                         on_progress=on_progress, stop=stop)[0]


@torch.no_grad()
def decode_pieces(
    model: MADPG, pieces: Sequence[Piece], n_items: int, *, features: FeatureLookup | None = None,
    batch_size: int = 32, device: torch.device | str = "cpu",
    on_progress: Callable[[int, int], None] | None = None, stop: threading.Event | None = None,
) -> tuple[list[list[Span]], list[float]]:
    """Spans per item, and per item the probability of the least confident character's tag (1.0
    for an empty text): a record-level confidence that also sees entities the model did not mark,
    which a span's confidence cannot.

    ``stop`` is checked before every forward pass of ``batch_size`` pieces; when set, this raises
    :class:`PredictionCancelled` with the items finished so far. ``on_progress(k, n)`` follows
    each of the ``n`` passes."""
    was_training = model.training
    if was_training:  # toggling walks every submodule: skip it when there is nothing to change
        model.eval()
    out: list[list[Span]] = [[] for _ in range(n_items)]
    least = [1.0] * n_items
    batches = length_batches(pieces, batch_size, None)
    left = [0] * n_items  # pieces of each item still to predict
    for p in pieces:
        left[p.index] += 1
    try:
        for k, idx in enumerate(batches):
            if stop is not None and stop.is_set():
                done = frozenset(i for i in range(n_items) if left[i] == 0)
                raise PredictionCancelled(f"prediction cancelled after {len(done)} of {n_items} items", done,
                                          [sorted(s, key=lambda x: x.start) for s in out], least)
            chunk = [pieces[i] for i in idx]
            with _autocast(device):
                paths, conf = model.decode(collate(chunk, features).to(device))
            for piece, path, c in zip(chunk, paths, conf):
                out[piece.index].extend(entity_spans(piece, [model.tags[t] for t in path], c, model.version))
                if c:
                    least[piece.index] = min(least[piece.index], float(min(c)))
                left[piece.index] -= 1
            if on_progress is not None:
                on_progress(k + 1, len(batches))
    finally:
        if was_training:
            model.train()
    return [sorted(s, key=lambda x: x.start) for s in out], least


def _autocast(device: torch.device | str) -> torch.autocast:
    on_cuda = torch.device(device).type == "cuda"
    return torch.autocast("cuda" if on_cuda else "cpu", dtype=torch.bfloat16, enabled=on_cuda)


class Predictor:
    """A loaded model ready to pre-label.

    Args:
        model: a trained MADPG (see :func:`madpg_core.checkpoint.load`).
        parser: dependency parser for the GCN; the shipped one when None.
        feature_cache_dir: where image feature maps are kept between runs (memory only when None).
        device: "cuda" when available unless given.
        batch_size: pieces per forward pass; default :func:`default_batch_size` (small on CPU, so
            that a stop request is honoured within a fraction of a second).
    """

    def __init__(self, model: MADPG, *, parser: DependencyParser | None = None,
                 feature_cache_dir: Path | None = None, device: str | None = None,
                 batch_size: int | None = None) -> None:
        self.device = device or ("cuda" if torch.cuda.is_available() else "cpu")
        self.model = model.to(self.device).eval()
        self.parser = resolve_parser(model, parser)
        self.features = feature_lookup(model, feature_cache_dir, self.device)
        self.batch_size = batch_size or default_batch_size(self.device)

    @classmethod
    def load(cls, model_dir: Path | str, *, parser: DependencyParser | None = None,
             feature_cache_dir: Path | None = None, device: str | None = None) -> Predictor:
        from madpg_core.checkpoint import load

        return cls(load(Path(model_dir)), parser=parser, feature_cache_dir=feature_cache_dir, device=device)

    @property
    def version(self) -> str:
        return self.model.version

    @property
    def entity_types(self) -> tuple[str, ...]:
        return self.model.cfg.entity_types

    def predict_with_confidence(self, items: Sequence[Record | str], *,
                                on_progress: Callable[[int, int], None] | None = None,
                                stop: threading.Event | None = None) -> tuple[list[list[Span]], list[float]]:
        """Spans per item and each item's least confident character's tag probability.

        Raises:
            Cancelled: ``stop`` was set (checked between parse batches and forward passes); a
                :class:`PredictionCancelled` when some items were finished by then.
        """
        if stop is not None and stop.is_set():
            raise Cancelled("prediction cancelled")
        pieces = make_pieces(items, self.model.text, self.model.cfg.max_len, piece_chars=self.model.cfg.piece_chars,
                             parser=stoppable(self.parser, stop), lexicon=self.model.lexicon)
        return decode_pieces(self.model, pieces, len(items), features=self.features, batch_size=self.batch_size,
                             device=self.device, on_progress=on_progress, stop=stop)

    def parse_ahead(self, items: Sequence[Record | str], *, stop: threading.Event | None = None) -> int:
        """Parse the pieces ``predict`` would cut from ``items``, and nothing else, so that a cached
        parser holds them before a pre-label asks (the background parse after an import). The cache
        is keyed by piece text, not record text: a 512-character record is parsed as the pieces the
        model reads, so parsing whole records ahead would miss. Returns the number of pieces; 0
        when the model has no GCN (nothing to parse)."""
        if self.parser is None:
            return 0
        pieces = make_pieces(items, self.model.text, self.model.cfg.max_len, piece_chars=self.model.cfg.piece_chars)
        parser = stoppable(self.parser, stop)
        texts = [p.text for p in pieces]
        many = getattr(parser, "parse_many", None)
        if many is not None:
            many(texts)
        else:
            for t in texts:
                parser.parse(t)
        return len(texts)

    def attention(self, record: Record) -> AttentionMap:
        """What the model looked at in ``record``'s images: r and a 7×7 attention map per image, or
        the reason there is none (``AttentionMap.reason``: a text-only model, a model trained
        without images, a record without images). See ``madpg_core.model.attention_probe``."""
        features = self.features or (lambda _paths: None)
        return probe(self.model, record, features, parser=self.parser, device=self.device,
                     batch_size=self.batch_size)

    def predict(self, items: Sequence[Record | str], *, on_progress: Callable[[int, int], None] | None = None,
                stop: threading.Event | None = None) -> list[list[Span]]:
        """One list of model spans per record or text (source=MODEL, model_version, confidence).

        ``stop``: as in :meth:`predict_with_confidence`."""
        return predict_spans(self.model, items, parser=self.parser, features=self.features,
                             batch_size=self.batch_size, device=self.device, on_progress=on_progress, stop=stop)
