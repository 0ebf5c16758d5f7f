"""The project's Chinese dependency parser: word segmentation + a shipped spaCy pipeline.

The pipeline (tok2vec + tagger + parser, trained by ``madpg parser train`` on Universal
Dependencies treebanks) lives in ``resources/parser/zh_madpg_parser`` and loads offline.
Segmentation runs here: a character B/M/E/S tagger shipped in the ``segmenter/`` subfolder,
fed with jieba's segmentation as a feature (measured better than jieba alone on GSDSimp test),
or plain jieba as the fallback. jieba runs as a private ``jieba.Tokenizer`` so the process-wide
jieba state never changes. The words go to the pipeline as a pre-tokenised ``Doc``: the spaCy
tokenizer and its ``max_length`` are not involved, and any text parses.

Conventions of a :class:`~madpg_core.text.protocol.Parse` made here:

* whitespace (including ``\\r\\n``) and ``叒`` -- the corpora's stand-in for a space -- belong to
  no word; every other character belongs to exactly one word;
* texts are parsed sentence by sentence (split after 。！？；!?; and at line breaks, long runs
  cut every :data:`MAX_WORDS_PER_CHUNK` words); each sentence has its own root (head -1).
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import tempfile
import threading
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from madpg_core.errors import MadpgError
from madpg_core.paths import parser_model_dir
from madpg_core.text.protocol import DependencyParser, Parse, ParseCache

if TYPE_CHECKING:
    import spacy.language
    import spacy.tokens
    import spacy.vocab

log = logging.getLogger(__name__)

SPACE_STANDIN = "叒"
USER_DICT_NAME = "userdict.txt"
SEGMENTER_DIR = "segmenter"
MAX_WORDS_PER_CHUNK = 150
SENTENCE_END = frozenset("。！？；!?;")
_CHUNK_RE = re.compile(rf"[^\s{SPACE_STANDIN}]+")

Span = tuple[int, int]


class JiebaSegmenter:
    """Word segmentation with a private jieba tokenizer and an optional user dictionary.

    Args:
        user_dict: a jieba user dictionary (``word [freq [tag]]`` per line), or None.
        hmm: let jieba guess unknown words with its HMM.
    """

    def __init__(self, user_dict: Path | None = None, hmm: bool = True) -> None:
        import jieba

        jieba.setLogLevel(logging.WARNING)
        self._tok = jieba.Tokenizer()
        # jieba writes its prefix-dictionary cache here on first use; a user-writable temp dir
        # keeps that working with no network and read-only installs.
        self._tok.tmp_dir = tempfile.gettempdir()
        self._hmm = hmm
        self._lock = threading.Lock()
        self._user_dict = user_dict
        self.user_dict_hash = ""
        if user_dict is not None:
            data = Path(user_dict).read_bytes()
            self.user_dict_hash = hashlib.sha256(data).hexdigest()[:10]
        self.version = f"jieba{jieba.__version__}{'-hmm' if hmm else ''}" + (
            f"-ud{self.user_dict_hash}" if self.user_dict_hash else ""
        )
        self._ready = False

    def _initialise(self) -> None:
        if self._ready:
            return
        self._tok.initialize()
        if self._user_dict is not None:
            for line in Path(self._user_dict).read_text(encoding="utf-8").splitlines():
                parts = line.split()
                if not parts:
                    continue
                freq = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else None
                self._tok.add_word(parts[0], freq)
        self._ready = True

    def segment(self, text: str) -> list[Span]:
        """Character spans [start, end) of the words of ``text``, in order, never overlapping."""
        return [(m.start() + s, m.start() + e) for m in _CHUNK_RE.finditer(text) for s, e in self.cut(m.group())]

    def segment_many(self, texts: Sequence[str]) -> list[list[Span]]:
        return [self.segment(t) for t in texts]

    def cut(self, chunk: str) -> list[Span]:
        """Spans of jieba's words in a chunk with no whitespace (jieba partitions its input)."""
        with self._lock:
            self._initialise()
            spans: list[Span] = []
            pos = 0
            for piece in self._tok.cut(chunk, HMM=self._hmm):
                end = pos + len(piece)
                if piece.strip():
                    spans.append((pos, end))
                pos = end
            if pos != len(chunk):  # jieba always partitions its input; guard it anyway
                raise RuntimeError("jieba segmentation lost characters")
            return spans


def bmes_tags(spans: Sequence[Span], n: int) -> list[str]:
    """Per-character B/M/E/S tags of a segmentation of ``n`` characters (uncovered chars: S)."""
    tags = ["S"] * n
    for s, e in spans:
        if e - s > 1:
            tags[s] = "B"
            tags[s + 1 : e - 1] = ["M"] * (e - s - 2)
            tags[e - 1] = "E"
    return tags


def spans_from_tags(tags: Sequence[str]) -> list[Span]:
    """Words from per-character tags: a word starts at B or S (any other tag continues one)."""
    spans: list[Span] = []
    start = 0
    for i, tag in enumerate(tags):
        if i > start and tag in ("B", "S"):
            spans.append((start, i))
            start = i
    if len(tags) > start:
        spans.append((start, len(tags)))
    return spans


def char_doc(vocab: spacy.vocab.Vocab, chunk: str, jieba_spans: Sequence[Span]) -> spacy.tokens.Doc:
    """One token per character; jieba's B/M/E/S tag as ``lemma_`` and char+tag as ``norm_``:
    the features of the character segmenter (dictionary knowledge from jieba, corrected
    towards the UD word standard by the model)."""
    from spacy.tokens import Doc

    doc = Doc(vocab, words=list(chunk), spaces=[False] * len(chunk))
    for tok, tag in zip(doc, bmes_tags(jieba_spans, len(chunk)), strict=True):
        tok.lemma_ = tag
        tok.norm_ = tok.text + tag
    return doc


class CharSegmenter:
    """Word segmentation by a character B/M/E/S tagger (a small spaCy pipeline trained on the
    UD treebanks by ``madpg parser train``), fed with jieba's segmentation as a feature.

    Args:
        nlp: the segmenter pipeline (tok2vec + tagger over characters).
        jieba_segmenter: gives the feature segmentation.
    """

    def __init__(self, nlp: spacy.language.Language, jieba_segmenter: JiebaSegmenter) -> None:
        self.nlp = nlp
        self.jieba = jieba_segmenter
        meta = nlp.meta
        self.version = f"charseg{meta.get('version', '0')}+{jieba_segmenter.version}"

    def segment(self, text: str) -> list[Span]:
        return self.segment_many([text])[0]

    def segment_many(self, texts: Sequence[str]) -> list[list[Span]]:
        """Segment many texts with one ``nlp.pipe`` over all their chunks."""
        chunks = [(ti, m.start(), m.group()) for ti, t in enumerate(texts) for m in _CHUNK_RE.finditer(t)]
        docs = (char_doc(self.nlp.vocab, c, self.jieba.cut(c)) for _, _, c in chunks)
        out: list[list[Span]] = [[] for _ in texts]
        for (ti, base, _), doc in zip(chunks, self.nlp.pipe(docs, batch_size=64), strict=True):
            out[ti].extend((base + s, base + e) for s, e in spans_from_tags([t.tag_ for t in doc]))
        return out


def split_sentences(text: str, words: Sequence[Span], max_words: int = MAX_WORDS_PER_CHUNK) -> list[range]:
    """Group word indices into sentences: after sentence-final punctuation, at line breaks,
    and every ``max_words`` words at the latest."""
    groups: list[range] = []
    start = 0
    for i, (s, e) in enumerate(words):
        if i > start:
            gap = text[words[i - 1][1] : s]
            if "\n" in gap or "\r" in gap or i - start >= max_words:
                groups.append(range(start, i))
                start = i
        if text[e - 1] in SENTENCE_END:
            groups.append(range(start, i + 1))
            start = i + 1
    if start < len(words):
        groups.append(range(start, len(words)))
    return groups


def _weights_digest(model_dir: Path) -> str:
    """A short hash of every weight file, so that a retrained pipeline never reuses old cached
    parses even when its meta version was not bumped."""
    h = hashlib.sha256()
    for path in sorted(model_dir.rglob("model")):
        if path.is_file():
            h.update(path.relative_to(model_dir).as_posix().encode())
            h.update(path.read_bytes())
    return h.hexdigest()[:8]


def _model_meta(model_dir: Path) -> dict:
    try:
        return json.loads((model_dir / "meta.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


class SpacyParser:
    """A :class:`DependencyParser` over a spaCy pipeline with a tagger and a parser.

    Args:
        nlp: the loaded pipeline; its tokenizer is not used.
        segmenter: turns raw text into word spans.
        version: the cache key of this parser; see :func:`load_parser`.
        batch_size: sentences per ``nlp.pipe`` batch.
    """

    def __init__(self, nlp: spacy.language.Language, segmenter: JiebaSegmenter | CharSegmenter, version: str,
                 batch_size: int = 256) -> None:
        self.nlp = nlp
        self.segmenter = segmenter
        self.version = version
        self.batch_size = batch_size

    def parse_words(self, word_lists: Sequence[Sequence[str]]) -> list[list[int]]:
        """Parse pre-segmented sentences; returns 0-based in-sentence heads (root = itself)."""
        from spacy.tokens import Doc

        docs = (Doc(self.nlp.vocab, words=list(ws), spaces=[False] * len(ws)) for ws in word_lists)
        return [[t.head.i for t in doc] for doc in self.nlp.pipe(docs, batch_size=self.batch_size)]

    def parse(self, text: str) -> Parse:
        """Segment and parse one text."""
        return self.parse_many([text])[0]

    def parse_many(self, texts: Iterable[str]) -> list[Parse]:
        """Segment and parse many texts at once (one ``nlp.pipe`` over all their sentences)."""
        texts = list(texts)
        spans = self.segmenter.segment_many(texts)
        jobs: list[tuple[int, range]] = []
        for ti, (text, ws) in enumerate(zip(texts, spans, strict=True)):
            jobs.extend((ti, g) for g in split_sentences(text, ws))
        heads: list[list[int]] = [[-1] * len(ws) for ws in spans]
        sentences = [[texts[ti][s:e] for s, e in (spans[ti][i] for i in g)] for ti, g in jobs]
        for (ti, g), sent_heads in zip(jobs, self.parse_words(sentences), strict=True):
            for k, h in enumerate(sent_heads):
                heads[ti][g.start + k] = -1 if h == k else g.start + h
        return [Parse(tuple(ws), tuple(hs), self.version) for ws, hs in zip(spans, heads, strict=True)]


def load_parser(model_dir: Path | None = None, user_dict: Path | None | bool = True,
                segmenter: str = "auto") -> SpacyParser:
    """Load a trained pipeline folder as a :class:`SpacyParser`, offline.

    Args:
        model_dir: the pipeline folder; default :func:`madpg_core.paths.parser_model_dir`.
        user_dict: for the plain jieba segmenter: True to use the folder's ``userdict.txt``
            when present, False for none, or an explicit jieba dictionary file.
        segmenter: "auto" (the folder's character segmenter when it has one, else jieba),
            "char" or "jieba".

    Raises:
        MadpgError: the folder is missing or not a spaCy pipeline.
    """
    import spacy

    model_dir = Path(model_dir) if model_dir is not None else parser_model_dir()
    if not (model_dir / "config.cfg").is_file():
        raise MadpgError(
            f"dependency parser model not found at {model_dir}; "
            "train it with `madpg parser train` or restore resources/parser from the repository"
        )
    import jieba

    jieba.setLogLevel(logging.WARNING)  # spacy.load starts the pipeline's own jieba tokenizer
    try:
        nlp = spacy.load(model_dir, exclude=["senter"])
    except (OSError, ValueError, KeyError) as e:
        raise MadpgError(f"cannot load the dependency parser at {model_dir}: {e}") from e
    seg_dir = model_dir / SEGMENTER_DIR
    if segmenter not in ("auto", "char", "jieba"):
        raise MadpgError(f"unknown segmenter {segmenter!r}; choose auto, char or jieba")
    if segmenter == "char" and not (seg_dir / "config.cfg").is_file():
        raise MadpgError(f"no character segmenter in {model_dir}")
    seg: JiebaSegmenter | CharSegmenter
    if segmenter != "jieba" and (seg_dir / "config.cfg").is_file():
        seg = CharSegmenter(spacy.load(seg_dir), JiebaSegmenter())
    else:
        if user_dict is True:
            candidate = model_dir / USER_DICT_NAME
            user_dict = candidate if candidate.is_file() else None
        elif user_dict is False:
            user_dict = None
        seg = JiebaSegmenter(user_dict)
    meta = _model_meta(model_dir)
    version = (f"{meta.get('lang', 'xx')}_{meta.get('name', model_dir.name)}-{meta.get('version', '0')}"
               f"-{_weights_digest(model_dir)}+{seg.version}")
    return SpacyParser(nlp, seg, version)


_default: SpacyParser | None = None
_default_lock = threading.Lock()


def load_default_parser() -> DependencyParser:
    """The shipped parser (loaded once per process).

    Raises:
        MadpgError: the shipped pipeline is missing or broken.
    """
    global _default
    with _default_lock:
        if _default is None:
            _default = load_parser()
        return _default


class CachedParser:
    """A :class:`DependencyParser` that asks a :class:`ParseCache` before parsing.

    ``parse_many`` reads the whole batch from the cache at once when the cache has a ``get_many``
    (``SqlParseCache``: one session, whatever the batch size; else ``get`` per text), parses only
    the misses, in one batch when the wrapped parser has a ``parse_many`` of its own, and stores
    them with the cache's ``put_many`` when it has one (``SqlParseCache``: one transaction).
    ``hits`` and ``misses`` count texts over the parser's life.
    """

    def __init__(self, parser: DependencyParser, cache: ParseCache) -> None:
        self.parser = parser
        self.cache = cache
        self.version = parser.version
        self.hits = 0
        self.misses = 0
        self._tally = self  # whose hits and misses this one counts (see ``around``)

    def around(self, parser: DependencyParser) -> CachedParser:
        """The same cache in front of ``parser`` (a stoppable or progress-reporting wrapper of this
        one's parser), counting its hits and misses into this one's, where the caller reads them."""
        other = CachedParser(parser, self.cache)
        other._tally = self._tally
        return other

    def parse(self, text: str) -> Parse:
        return self.parse_many([text])[0]

    def parse_many(self, texts: Iterable[str]) -> list[Parse]:
        texts = list(texts)
        get_many = getattr(self.cache, "get_many", None)
        out: list[Parse | None] = (list(get_many(texts, self.version)) if get_many is not None
                                   else [self.cache.get(t, self.version) for t in texts])
        todo = [i for i, p in enumerate(out) if p is None]
        self._tally.hits += len(texts) - len(todo)
        self._tally.misses += len(todo)
        if todo:
            missing = [texts[i] for i in todo]
            many = getattr(self.parser, "parse_many", None)
            parsed = list(many(missing)) if many is not None else [self.parser.parse(t) for t in missing]
            for i, p in zip(todo, parsed, strict=True):
                out[i] = p
            put_many = getattr(self.cache, "put_many", None)  # one transaction, where offered
            if put_many is not None:
                put_many([(texts[i], out[i]) for i in todo])
            else:
                for i in todo:
                    self.cache.put(texts[i], out[i])
        return [p for p in out if p is not None]


class MemoryParseCache:
    """A :class:`ParseCache` in a dict, keyed by (text hash, parser version); for tests and
    one-off runs."""

    def __init__(self) -> None:
        self._store: dict[tuple[str, str], Parse] = {}

    @staticmethod
    def key(text: str, parser_version: str) -> tuple[str, str]:
        return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest(), parser_version

    def get(self, text: str, parser_version: str) -> Parse | None:
        return self._store.get(self.key(text, parser_version))

    def get_many(self, texts: Sequence[str], parser_version: str) -> list[Parse | None]:
        return [self._store.get(self.key(t, parser_version)) for t in texts]

    def put(self, text: str, parse: Parse) -> None:
        self._store[self.key(text, parse.parser_version)] = parse

    def put_many(self, items: Sequence[tuple[str, Parse]]) -> None:
        for text, parse in items:
            self.put(text, parse)

    def __len__(self) -> int:
        return len(self._store)
