"""Train, evaluate and package the project's spaCy Chinese dependency parser.

The parser learns and is selected on gold words (``gold_preproc``): segmentation is a separate
step (jieba), scored separately, so a segmentation error never becomes a wrong training arc.

Data: Universal Dependencies treebanks in ``../shared/data/ud`` (CC BY-SA). The pipeline is
trained on GSDSimp dev + CFL + PUD (simplified); a fixed, seeded slice of those sentences is
held out for model selection; GSDSimp test is only ever used for the final evaluation.
"""

from __future__ import annotations

import json
import random
import shutil
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from madpg_core.errors import MadpgError
from madpg_core.text.conllu import Sentence, read_conllu

TRAIN_FILES = ("zh_gsdsimp-ud-dev.conllu", "zh_cfl-ud-test.conllu", "zh_pud-ud-test.simplified.conllu")
TEST_FILE = "zh_gsdsimp-ud-test.conllu"
PIPELINE_NAME = "madpg_parser"
PUNCT_UPOS = "PUNCT"

# Hyper-parameters per preset. "efficiency" is spaCy's CPU efficiency shape; "accuracy" is
# wider and deeper, with a bigger hash table (the training set is small: ~41k words); it stops
# after a fixed 2,200 steps (~14 min on a shared 2-core CPU) of a learning-rate decay laid out
# for 6,000: the shipped pipeline is exactly that run (held-out UAS had levelled off at ~71).
# "compact" (a third of the size) reached 64.7 UAS on GSDSimp test; pretraining the tok2vec on
# raw medical text (--pretrain-epochs) gave no held-out gain at equal steps.
PRESETS: dict[str, dict[str, object]] = {
    "efficiency": {"width": 96, "depth": 4, "window": 1, "rows": [5000, 2500, 2500, 500],
                   "hidden": 64, "pieces": 2, "dropout": 0.1, "patience": 1600, "max_steps": 20000,
                   "eval_frequency": 200},
    "compact": {"width": 128, "depth": 4, "window": 1, "rows": [4000, 2000, 2000, 200],
                "hidden": 128, "pieces": 2, "dropout": 0.2, "patience": 1600, "max_steps": 5000,
                "eval_frequency": 200},
    "accuracy": {"width": 192, "depth": 6, "window": 1, "rows": [10000, 5000, 5000, 500],
                 "hidden": 128, "pieces": 3, "dropout": 0.2, "patience": 2000, "max_steps": 2200,
                 "schedule_steps": 6000,
                 "eval_frequency": 200},
}

CONFIG_TEMPLATE = """
[paths]
train = null
dev = null
raw_text = null
init_tok2vec = null

[system]
gpu_allocator = null
seed = {seed}

[nlp]
lang = "zh"
pipeline = ["tok2vec","tagger","parser"]
batch_size = 256

[nlp.tokenizer]
@tokenizers = "spacy.zh.ChineseTokenizer"
segmenter = "jieba"

[components]

[components.tok2vec]
factory = "tok2vec"

[components.tok2vec.model]
@architectures = "spacy.Tok2Vec.v2"

[components.tok2vec.model.embed]
@architectures = "spacy.MultiHashEmbed.v2"
width = {width}
attrs = ["NORM","PREFIX","SUFFIX","SHAPE"]
rows = {rows}
include_static_vectors = false

[components.tok2vec.model.encode]
@architectures = "spacy.MaxoutWindowEncoder.v2"
width = {width}
depth = {depth}
window_size = {window}
maxout_pieces = 3

[components.tagger]
factory = "tagger"

[components.tagger.model]
@architectures = "spacy.Tagger.v2"
nO = null

[components.tagger.model.tok2vec]
@architectures = "spacy.Tok2VecListener.v1"
width = {width}
upstream = "tok2vec"

[components.parser]
factory = "parser"
learn_tokens = false
min_action_freq = 10

[components.parser.model]
@architectures = "spacy.TransitionBasedParser.v2"
state_type = "parser"
extra_state_tokens = false
hidden_width = {hidden}
maxout_pieces = {pieces}
use_upper = true
nO = null

[components.parser.model.tok2vec]
@architectures = "spacy.Tok2VecListener.v1"
width = {width}
upstream = "tok2vec"

[corpora]

[corpora.train]
@readers = "spacy.Corpus.v1"
path = ${{paths.train}}
max_length = 0
gold_preproc = true

[corpora.pretrain]
@readers = "spacy.JsonlCorpus.v1"
path = ${{paths.raw_text}}
min_length = 2
max_length = 0
limit = 0

[corpora.dev]
@readers = "spacy.Corpus.v1"
path = ${{paths.dev}}
max_length = 0
gold_preproc = true

[training]
dev_corpus = "corpora.dev"
train_corpus = "corpora.train"
seed = ${{system.seed}}
gpu_allocator = ${{system.gpu_allocator}}
dropout = {dropout}
accumulate_gradient = 1
patience = {patience}
max_epochs = 0
max_steps = {max_steps}
eval_frequency = {eval_frequency}
frozen_components = []
annotating_components = []
before_to_disk = null

[training.batcher]
@batchers = "spacy.batch_by_words.v1"
discard_oversize = false
tolerance = 0.2
get_length = null

[training.batcher.size]
@schedules = "compounding.v1"
start = 100
stop = 1000
compound = 1.001
t = 0.0

[training.logger]
@loggers = "spacy.ConsoleLogger.v1"
progress_bar = false

[training.optimizer]
@optimizers = "Adam.v1"
beta1 = 0.9
beta2 = 0.999
L2_is_weight_decay = true
L2 = 0.01
grad_clip = 1.0
use_averages = true
eps = 0.00000001

[training.optimizer.learn_rate]
@schedules = "warmup_linear.v1"
warmup_steps = 250
total_steps = {schedule_steps}
initial_rate = 0.001

[training.score_weights]
dep_uas = 0.5
dep_las = 0.2
tag_acc = 0.1
dep_las_per_type = null
sents_p = null
sents_r = null
sents_f = 0.0

[pretraining]
max_epochs = {pretrain_epochs}
dropout = 0.2
n_save_every = null
n_save_epoch = null
component = "tok2vec"
layer = ""
corpus = "corpora.pretrain"

[pretraining.batcher]
@batchers = "spacy.batch_by_words.v1"
size = 3000
discard_oversize = false
tolerance = 0.2
get_length = null

[pretraining.objective]
@architectures = "spacy.PretrainCharacters.v1"
maxout_pieces = 3
hidden_size = 300
n_characters = 6

[pretraining.optimizer]
@optimizers = "Adam.v1"
beta1 = 0.9
beta2 = 0.999
L2_is_weight_decay = true
L2 = 0.01
grad_clip = 1.0
use_averages = true
eps = 0.00000001
learn_rate = 0.001

[initialize]
vectors = null
init_tok2vec = ${{paths.init_tok2vec}}
vocab_data = null
lookups = null
before_init = null
after_init = null

[initialize.components]

[initialize.tokenizer]
pkuseg_model = null
pkuseg_user_dict = "default"
"""


def write_config(path: Path, preset: str = "accuracy", seed: int = 0, pretrain_epochs: int = 0,
                 **overrides: object) -> Path:
    """Write a spaCy training config for ``preset`` (keys of :data:`PRESETS`), with overrides."""
    if preset not in PRESETS:
        raise MadpgError(f"unknown parser preset {preset!r}; choose one of {', '.join(PRESETS)}")
    params = {**PRESETS[preset], **overrides, "pretrain_epochs": pretrain_epochs}
    params.setdefault("schedule_steps", params["max_steps"])  # length of the learning-rate decay
    params["rows"] = json.dumps(params["rows"])
    path.write_text(CONFIG_TEMPLATE.format(seed=seed, **params).lstrip(), encoding="utf-8")
    from spacy.cli.init_config import fill_config

    fill_config(path, path, silent=True)  # every default spelled out (spacy pretrain needs them)
    return path


# Raw text for pretraining the tok2vec layer (spaCy's character objective): Apache-2.0 clinical
# and medical Q&A training texts, plus the raw sentences of the parser's own training split.
PRETRAIN_SOURCES = ("ner/cehrner/train.json", "ner/cmedqaner/train.json")


def write_raw_text(path: Path, shared_data: Path, sentences: Iterable[Sentence], max_chars: int = 400) -> int:
    """Write a JSONL of ``{"text"}`` lines for ``spacy pretrain``; long texts are cut at
    sentence ends into pieces of at most about ``max_chars``. Returns the number of lines."""
    import re

    texts = [_gold_spans(s)[0] for s in sentences]
    for rel in PRETRAIN_SOURCES:
        src = shared_data / rel
        if not src.is_file():
            raise MadpgError(f"pretraining text not found: {src}")
        with src.open(encoding="utf-8") as f:
            texts.extend(json.loads(line)["text"].replace("叒", " ") for line in f if line.strip())
    n = 0
    with path.open("w", encoding="utf-8") as out:
        for text in texts:
            piece = ""
            for sent in re.split(r"(?<=[。！？；])", text):
                if piece and len(piece) + len(sent) > max_chars:
                    out.write(json.dumps({"text": piece}, ensure_ascii=False) + "\n")
                    n, piece = n + 1, ""
                piece += sent
            if piece.strip():
                out.write(json.dumps({"text": piece}, ensure_ascii=False) + "\n")
                n += 1
    return n


def ud_files(ud_dir: Path, names: Sequence[str]) -> list[Path]:
    """The named treebank files in ``ud_dir``; a missing one is a user error."""
    paths = [Path(ud_dir) / n for n in names]
    missing = [str(p) for p in paths if not p.is_file()]
    if missing:
        raise MadpgError(f"treebank file(s) not found: {', '.join(missing)}")
    return paths


def sentences_to_docbin(sentences: Iterable[Sentence]):  # -> spacy.tokens.DocBin
    """Gold spaCy Docs for the treebank sentences (words, XPOS as tag, UPOS as pos, arcs)."""
    import spacy
    from spacy.tokens import Doc, DocBin

    vocab = spacy.blank("zh").vocab
    db = DocBin(store_user_data=False)
    for s in sentences:
        n = len(s.words)
        heads = [w.head - 1 if w.head else i for i, w in enumerate(s.words)]
        deps = ["ROOT" if w.head == 0 else w.deprel for w in s.words]
        doc = Doc(vocab, words=[w.form for w in s.words], spaces=[w.space_after for w in s.words],
                  tags=[w.xpos for w in s.words], pos=[w.upos for w in s.words], heads=heads, deps=deps,
                  sent_starts=[True] + [False] * (n - 1))
        db.add(doc)
    return db


def prepare_corpus(ud_dir: Path, work_dir: Path, heldout: float = 0.1,
                   seed: int = 0) -> tuple[Path, Path, list[Sentence], list[Sentence]]:
    """Write train.spacy and heldout.spacy (a seeded ``heldout`` fraction for model selection).

    Returns the two paths and the training and held-out sentences.
    """
    sentences = [s for p in ud_files(ud_dir, TRAIN_FILES) for s in read_conllu(p)]
    order = list(range(len(sentences)))
    random.Random(seed).shuffle(order)
    n_dev = max(1, int(len(order) * heldout))
    dev_idx = set(order[:n_dev])
    train = [s for i, s in enumerate(sentences) if i not in dev_idx]
    dev = [s for i, s in enumerate(sentences) if i in dev_idx]
    work_dir.mkdir(parents=True, exist_ok=True)
    train_path, dev_path = work_dir / "train.spacy", work_dir / "heldout.spacy"
    sentences_to_docbin(train).to_disk(train_path)
    sentences_to_docbin(dev).to_disk(dev_path)
    return train_path, dev_path, train, dev


def write_user_dict(sentences: Iterable[Sentence], path: Path, min_count: int = 1) -> int:
    """A jieba user dictionary of the multi-character, Han-only words of the treebanks.

    Words are written without a frequency, so jieba keeps each of them whole.
    Returns the number of words.
    """
    counts = Counter(
        f for s in sentences for f in s.token_forms
        if len(f) > 1 and all("\u4e00" <= c <= "\u9fff" for c in f)
    )
    words = sorted(w for w, c in counts.items() if c >= min_count)
    path.write_text("".join(w + "\n" for w in words), encoding="utf-8")
    return len(words)


SEGMENTER_CONFIG = """
[components]

[components.tok2vec]

[components.tagger]

[components.tok2vec.model]
@architectures = "spacy.Tok2Vec.v2"

[components.tok2vec.model.embed]
@architectures = "spacy.MultiHashEmbed.v2"
width = 64
attrs = ["ORTH","NORM","LEMMA","SHAPE"]
rows = [3000,3000,50,50]
include_static_vectors = false

[components.tok2vec.model.encode]
@architectures = "spacy.MaxoutWindowEncoder.v2"
width = 64
depth = 4
window_size = 1
maxout_pieces = 3

[components.tagger.model]
@architectures = "spacy.Tagger.v2"
nO = null

[components.tagger.model.tok2vec]
@architectures = "spacy.Tok2VecListener.v1"
width = 64
upstream = "tok2vec"
"""


def _segmentation_examples(nlp, sentences: Iterable[Sentence], jieba_seg) -> list:  # -> list[Example]
    from spacy.tokens import Doc
    from spacy.training import Example

    from madpg_core.text.parser import bmes_tags, char_doc

    examples = []
    for s in sentences:
        text, gold = _gold_spans(s)
        if any(c.isspace() for c in text):  # raw text is split at whitespace before tagging
            continue
        ref = Doc(nlp.vocab, words=list(text), spaces=[False] * len(text), tags=bmes_tags(sorted(gold), len(text)))
        examples.append(Example(char_doc(nlp.vocab, text, jieba_seg.cut(text)), ref))
    return examples


def segmentation_f1(segmenter, sentences: Sequence[Sentence]) -> tuple[float, float, float]:
    """Word precision, recall and F1 (percent) of ``segmenter`` on the raw sentences."""
    raw = [_gold_spans(s) for s in sentences]
    tp = n_pred = n_gold = 0
    for (_, gold), pred in zip(raw, segmenter.segment_many([t for t, _ in raw]), strict=True):
        pred = set(pred)
        tp, n_pred, n_gold = tp + len(pred & gold), n_pred + len(pred), n_gold + len(gold)
    p, r = 100 * tp / max(n_pred, 1), 100 * tp / max(n_gold, 1)
    return p, r, 2 * p * r / max(p + r, 1e-9)


def train_segmenter(train: Sequence[Sentence], heldout: Sequence[Sentence], output: Path, epochs: int = 8,
                    seed: int = 0, log: Callable[[str], None] = print) -> float:
    """Train the character B/M/E/S segmenter; keep the epoch best on ``heldout``. Returns its F1."""
    import spacy
    from spacy.util import fix_random_seed, minibatch
    from thinc.api import Config

    from madpg_core.text.parser import CharSegmenter, JiebaSegmenter

    fix_random_seed(seed)
    jieba_seg = JiebaSegmenter()
    cfg = Config().from_str(SEGMENTER_CONFIG)
    nlp = spacy.blank("zh")
    nlp.meta.update({"name": "madpg_segmenter", "version": "1.0.0", "license": "CC BY-SA 4.0"})
    for name in ("tok2vec", "tagger"):
        nlp.add_pipe(name, config={"model": cfg["components"][name]["model"]})
    examples = _segmentation_examples(nlp, train, jieba_seg)
    optimizer = nlp.initialize(lambda: examples)
    rng = random.Random(seed)
    best = -1.0
    for epoch in range(epochs):
        rng.shuffle(examples)
        losses: dict[str, float] = {}
        for batch in minibatch(examples, size=16):
            nlp.update(batch, drop=0.3, sgd=optimizer, losses=losses)
        with nlp.use_params(optimizer.averages):
            f1 = segmentation_f1(CharSegmenter(nlp, jieba_seg), heldout)[2]
            log(f"segmenter epoch {epoch}: loss {losses.get('tagger', 0):.0f}, held-out F1 {f1:.2f}")
            if f1 > best:
                best = f1
                nlp.to_disk(output)
    return best


@dataclass(frozen=True)
class EvalResult:
    """Parser scores on one treebank (gold words) plus segmentation F1 on its raw sentences."""

    sentences: int
    words: int
    uas: float
    las: float
    uas_no_punct: float
    las_no_punct: float
    seg_precision: float
    seg_recall: float
    seg_f1: float
    words_per_second: float

    def lines(self) -> list[str]:
        return [
            f"sentences {self.sentences}, words {self.words} (gold tokens)",
            f"UAS {self.uas:.2f}  LAS {self.las:.2f}  (all words, CoNLL 2018 style)",
            f"UAS {self.uas_no_punct:.2f}  LAS {self.las_no_punct:.2f}  (punctuation excluded)",
            f"segmentation P {self.seg_precision:.2f}  R {self.seg_recall:.2f}  F1 {self.seg_f1:.2f}",
            f"speed {self.words_per_second:,.0f} words/s (tagger + parser, gold tokens)",
        ]


def _gold_spans(s: Sentence) -> tuple[str, set[tuple[int, int]]]:
    """The raw sentence (token forms joined with their spaces) and its token spans."""
    text, spans, pos = "", set(), 0
    for form, (_, last) in zip(s.token_forms, s.tokens, strict=True):
        spans.add((pos, pos + len(form)))
        sep = " " if s.words[last].space_after else ""
        text += form + sep
        pos += len(form) + len(sep)
    return text, spans


def _label(dep: str) -> str:
    return "root" if dep.lower() == "root" else dep


def evaluate(parser, sentences: Sequence[Sentence]) -> EvalResult:  # parser: SpacyParser
    """Score ``parser`` on gold-segmented sentences (UAS/LAS) and on raw text (segmentation)."""
    from spacy.tokens import Doc

    docs = [Doc(parser.nlp.vocab, words=[w.form for w in s.words], spaces=[False] * len(s.words))
            for s in sentences]
    t0 = time.perf_counter()
    docs = list(parser.nlp.pipe(docs, batch_size=parser.batch_size))
    elapsed = time.perf_counter() - t0
    n = u = lab = n_np = u_np = lab_np = 0
    for s, doc in zip(sentences, docs, strict=True):
        for w, tok in zip(s.words, doc, strict=True):
            gold_head = w.head - 1 if w.head else tok.i
            ok_u = tok.head.i == gold_head
            ok_l = ok_u and _label(tok.dep_) == _label(w.deprel)
            n, u, lab = n + 1, u + ok_u, lab + ok_l
            if w.upos != PUNCT_UPOS:
                n_np, u_np, lab_np = n_np + 1, u_np + ok_u, lab_np + ok_l
    p, r, f1 = segmentation_f1(parser.segmenter, sentences)
    return EvalResult(len(sentences), n, 100 * u / n, 100 * lab / n, 100 * u_np / max(n_np, 1),
                      100 * lab_np / max(n_np, 1), p, r, f1, n / max(elapsed, 1e-9))


def train(ud_dir: Path, output: Path, work_dir: Path, preset: str = "accuracy", seed: int = 0,
          log: Callable[[str], None] = print, segmenter_epochs: int = 8, pretrain_epochs: int = 0,
          **overrides: object) -> EvalResult:
    """Train the pipeline, evaluate it on GSDSimp test, and package it into ``output``.

    ``output`` is replaced only after training finished. Returns the test scores.
    """
    from spacy.cli.train import train as spacy_train

    test_path = ud_files(ud_dir, [TEST_FILE])[0]
    work_dir.mkdir(parents=True, exist_ok=True)
    train_path, dev_path, train_sents, dev_sents = prepare_corpus(ud_dir, work_dir, seed=seed)
    n_dict = write_user_dict(train_sents, work_dir / "userdict.txt")
    log(f"corpus: {len(train_sents)} + {len(dev_sents)} held-out sentences; user dictionary: {n_dict} words")
    t0 = time.perf_counter()
    seg_f1 = train_segmenter(train_sents, dev_sents, work_dir / "segmenter", segmenter_epochs, seed, log)
    seg_minutes = (time.perf_counter() - t0) / 60
    log(f"segmenter: held-out F1 {seg_f1:.2f}, {seg_minutes:.1f} min")
    config = write_config(work_dir / "config.cfg", preset, seed=seed, pretrain_epochs=pretrain_epochs, **overrides)
    t0 = time.perf_counter()
    paths = {"paths.train": str(train_path), "paths.dev": str(dev_path)}
    if pretrain_epochs > 0:
        from spacy.training.pretrain import pretrain
        from spacy.util import load_config

        raw = work_dir / "raw_text.jsonl"
        n_raw = write_raw_text(raw, Path(ud_dir).parent, train_sents)
        log(f"pretraining tok2vec for {pretrain_epochs} epochs on {n_raw} raw texts")
        cfg = load_config(config, overrides={**paths, "paths.raw_text": str(raw)}, interpolate=False)
        (work_dir / "pretrain").mkdir(exist_ok=True)
        pretrain(cfg.interpolate(), work_dir / "pretrain", use_gpu=-1, silent=False)
        paths["paths.init_tok2vec"] = str(work_dir / "pretrain" / "model-last.bin")
        log(f"pretraining took {(time.perf_counter() - t0) / 60:.1f} min")
    spacy_train(config, work_dir / "out", overrides=paths, use_gpu=-1)
    minutes = (time.perf_counter() - t0) / 60 + seg_minutes
    log(f"training took {minutes:.1f} min (segmenter and parser)")
    best = work_dir / "out" / "model-best"
    staged = work_dir / "package"
    result = package(best, staged, work_dir / "userdict.txt", work_dir / "segmenter", test_path, preset, minutes, log)
    if output.exists():
        shutil.rmtree(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    shutil.copytree(staged, output)
    log(f"pipeline written to {output}")
    return result


def _dir_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def package(best: Path, target: Path, user_dict: Path, segmenter: Path | None, test_path: Path, preset: str,
            minutes: float, log: Callable[[str], None] = print) -> EvalResult:
    """Copy the best model to ``target`` with its meta, segmenter, jieba user dictionary
    (for the jieba fallback) and MODEL_CARD.md."""
    from madpg_core.text.parser import SEGMENTER_DIR, USER_DICT_NAME, load_parser

    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(best, target)
    shutil.copy(user_dict, target / USER_DICT_NAME)
    if segmenter is not None:
        shutil.copytree(segmenter, target / SEGMENTER_DIR)
    meta_path = target / "meta.json"
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    meta.update({
        "name": PIPELINE_NAME, "version": "1.0.0",
        "description": "Chinese tagger + dependency parser for the MADPG dependency GCN",
        "license": "CC BY-SA 4.0",
        "sources": [{"name": f"UD_Chinese {n}", "license": "CC BY-SA"} for n in TRAIN_FILES],
    })
    meta_path.write_text(json.dumps(meta, ensure_ascii=False, indent=2), encoding="utf-8")
    parser = load_parser(target)
    test = list(read_conllu(test_path))
    result = evaluate(parser, test)
    for line in result.lines():
        log(line)
    jieba_f1 = segmentation_f1(load_parser(target, segmenter="jieba").segmenter, test)[2]
    log(f"segmentation F1 with jieba + user dictionary alone: {jieba_f1:.2f}")
    card = model_card(result, jieba_f1, preset, minutes, _dir_size(target), _dir_size(target / SEGMENTER_DIR))
    (target / "MODEL_CARD.md").write_text(card, encoding="utf-8")
    return result


def model_card(r: EvalResult, jieba_f1: float, preset: str, minutes: float, size: int, seg_size: int) -> str:
    """The model card text shipped beside the pipeline."""
    return f"""# zh_madpg_parser — Chinese word segmenter, tagger and dependency parser for MADPG

spaCy {_spacy_version()} pipeline `tok2vec → tagger (CTB-style XPOS) → parser (UD relations)`,
trained by `madpg parser train --preset {preset}` on the CPU, plus a character segmenter in
`segmenter/` (its own spaCy pipeline `tok2vec → tagger` over characters, tags B/M/E/S, with
jieba {_jieba_version()}'s segmentation as an input feature). It builds the word-level dependency
graph of the MADPG dependency GCN; use it through `madpg_core.text.parser.load_default_parser()`.
`spacy.load()` on this folder also works and tokenises with spaCy's jieba segmenter.
`userdict.txt` (the multi-character Han words of the training treebanks) serves the jieba-only
fallback (`madpg parser evaluate --segmenter jieba`).

## Data
Trained on Universal Dependencies: UD_Chinese-GSDSimp **dev** (500 sentences), UD_Chinese-CFL
(451) and UD_Chinese-PUD converted to simplified characters (1,000); 10% of those, seeded, held
out for model selection. Evaluated on UD_Chinese-GSDSimp **test** (500 sentences, never used
in training or selection). The GSDSimp train file was not available. The parser learns on gold
words; raw text reaches it through the segmenter.

## Licence
A derived work of CC BY-SA data (UD_Chinese-GSDSimp and UD_Chinese-CFL: CC BY-SA 4.0;
UD_Chinese-PUD: CC BY-SA 3.0). This folder (pipeline, segmenter, `userdict.txt`) is distributed
under **CC BY-SA 4.0**; attribute the UD treebanks above. (The rest of MADPG Annotator is
Apache-2.0.)

## Scores on GSDSimp test ({r.sentences} sentences, {r.words} words)
| metric | value |
|---|---|
| UAS, gold tokens, all words | {r.uas:.2f} |
| LAS, gold tokens, all words | {r.las:.2f} |
| UAS / LAS, punctuation excluded | {r.uas_no_punct:.2f} / {r.las_no_punct:.2f} |
| segmentation P / R / F1, character segmenter | {r.seg_precision:.2f} / {r.seg_recall:.2f} / {r.seg_f1:.2f} |
| segmentation F1, jieba + user dictionary alone | {jieba_f1:.2f} |

Reproduce: `madpg parser evaluate ../shared/data/ud/zh_gsdsimp-ud-test.conllu`.
Labels rarer than 10 transitions in training are merged into `dep` by spaCy, which costs some LAS.
Clinical text is out of domain for both the segmenter and the parser (no Chinese clinical
treebank is public): expect lower accuracy there.

## Size and speed
{size / 1e6:.1f} MB on disk (segmenter {seg_size / 1e6:.1f} MB); about {r.words_per_second:,.0f} words/s
for tagger + parser on one CPU core (gold tokens); training took {minutes:.0f} min on a
shared 2-core CPU.
"""


def _jieba_version() -> str:
    import jieba

    return jieba.__version__


def _spacy_version() -> str:
    import spacy

    return spacy.__version__
