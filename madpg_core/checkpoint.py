"""Model checkpoints: ``model.safetensors`` + ``config.json`` + vocabulary/tokenizer files. No pickles.

A checkpoint folder is self-contained: the pretrained folder or image weights file a model was
trained from are not needed to load it.
"""

from __future__ import annotations

import json
from pathlib import Path
from types import UnionType
from typing import Any, Literal, Union, get_args, get_origin, get_type_hints

import torch

from madpg_core.errors import MadpgError
from madpg_core.model.config import SCHEMA_VERSION, ModelConfig
from madpg_core.model.lexicon import Lexicon
from madpg_core.model.madpg import MADPG

FORMAT = "madpg-checkpoint"
FORMAT_VERSION = 1
CONFIG = "config.json"
WEIGHTS = "model.safetensors"
LEXICON = "lexicon.json"
VOCAB = "vocab.json"


def save(model: MADPG, folder: Path | str, *, version: str | None = None, meta: dict[str, Any] | None = None) -> Path:
    """Write ``model`` to ``folder`` (created); ``version`` names it in spans it predicts."""
    from safetensors.torch import save_file

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    if version:
        model.version = version
    state = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    # Frozen weights are most of the bytes (ResNet-18: 45 MB; a frozen bigram table 32 MB); they
    # never train, so they are stored in float16 and upcast on load.
    frozen = frozen_prefixes(model)
    for k, v in state.items():
        if v.dtype == torch.float32 and k.startswith(frozen):
            state[k] = v.half()
    save_file(state, str(folder / WEIGHTS), metadata={"format": FORMAT, "fp16": ",".join(frozen)})
    model.text.save_extra(folder)
    if model.lexicon is not None:
        model.lexicon.save(folder / LEXICON)
    doc = {"format": FORMAT, "format_version": FORMAT_VERSION, "model_version": model.version,
           "config": model.cfg.to_dict(), "meta": meta or {}}
    (folder / CONFIG).write_text(json.dumps(doc, ensure_ascii=False, indent=2), "utf-8")
    return folder


def frozen_prefixes(model: MADPG) -> tuple[str, ...]:
    """State-dict prefixes of the frozen parts of ``model``: image backbones, a frozen bigram table."""
    from madpg_core.model.image_encoder import ImageEncoder

    out = tuple(f"{name}.backbone." if name else "backbone." for name, m in model.named_modules()
                if isinstance(m, ImageEncoder))
    if model.text.bigram is not None and not model.text.bigram.weight.requires_grad:
        out += ("text.bigram.",)
    return out


def read_info(folder: Path | str) -> dict[str, Any]:
    """The checkpoint's config.json (format, model_version, config, meta).

    Raises:
        MadpgError: the folder or its config.json is missing or damaged, or a newer program wrote it;
            the one-line message names the folder.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise MadpgError(f"model folder {folder} does not exist")
    if not (folder / CONFIG).is_file():
        raise MadpgError(f"model folder {folder} is not a MADPG model folder (it has no {CONFIG})")
    doc = _read_json(folder, CONFIG)
    if not isinstance(doc, dict):
        raise _damaged(folder, f"{CONFIG} is not a JSON object")
    if doc.get("format") != FORMAT:
        raise MadpgError(f"model folder {folder} is not a MADPG model folder "
                         f"({CONFIG} has format {doc.get('format')!r}, not {FORMAT!r})")
    version = doc.get("format_version", 0)  # checkpoints older than the field have none
    if not _is_int(version):
        raise _damaged(folder, f"{CONFIG} has format_version {version!r}, not a whole number")
    if version > FORMAT_VERSION:
        raise _newer(folder, "checkpoint format", version, FORMAT_VERSION)
    if not isinstance(doc.get("config"), dict):
        what = "no" if "config" not in doc else "a malformed"
        raise _damaged(folder, f'{CONFIG} has {what} "config" object')
    return doc


def load(folder: Path | str, device: str | torch.device = "cpu") -> MADPG:
    """Rebuild the model saved in ``folder``, in eval mode.

    Only plain tensors are read (safetensors): nothing in the folder is unpickled or executed.

    Raises:
        MadpgError: a file is missing, malformed or does not fit the others (the one-line message
            names the folder and the problem), or a newer program wrote the folder.
    """
    from madpg_core.model.text_encoders import load_text_encoder

    folder = Path(folder)
    doc = read_info(folder)
    cfg = _config(folder, doc["config"])
    _check_text_files(folder, cfg)
    lexicon = _lexicon(folder) if cfg.use_lexicon else None
    try:
        # The image backbone is built on the first record with images (text-only work never pays for it).
        model = MADPG(cfg, load_text_encoder(cfg, folder), lexicon=lexicon, read_image_weights=False,
                      lazy_image=True)
    except MadpgError as e:
        raise _damaged(folder, str(e)) from e
    except Exception as e:  # any library's complaint about an edited file, as one line
        raise _damaged(folder, f"cannot rebuild the model from its files ({type(e).__name__}: {e})") from e
    _check_vocab_fits(folder, model)
    state = _weights(folder)
    _check_state(folder, model, state)
    own = model.state_dict()
    state = {k: v.to(own[k].dtype) if v.dtype != own[k].dtype else v for k, v in state.items()}
    try:
        model.load_state_dict(state, strict=True)
    except RuntimeError as e:  # checked above; kept so that nothing slips out as a traceback
        raise _damaged(folder, f"{WEIGHTS} does not fit the config ({e})") from e
    model.version = str(doc.get("model_version") or f"{cfg.name}-unknown")
    return model.to(device).eval()


# Checks of a model folder's files -----------------------------------------------------------

# Config fields every checkpoint has written since the first format: without them the model
# would be rebuilt from paper-sized defaults and silently differ from the one saved.
REQUIRED_FIELDS = ("text_encoder", "image_encoder", "entity_types")


def _one_line(text: str, limit: int = 300) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _damaged(folder: Path, problem: str) -> MadpgError:
    return MadpgError(f"model folder {folder} is damaged: {_one_line(problem)}; "
                      "retrain or roll back to another version")


def _newer(folder: Path, what: str, found: int, known: int) -> MadpgError:
    return MadpgError(f"model folder {folder} was written by a newer MADPG Annotator ({what} {found}, this one "
                      f"reads up to {known}): update the program or roll back to another version")


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _read_json(folder: Path, name: str) -> Any:
    path = folder / name
    if not path.is_file():
        raise _damaged(folder, f"{name} is missing")
    try:
        return json.loads(path.read_text("utf-8"))
    except UnicodeDecodeError as e:
        raise _damaged(folder, f"{name} is not UTF-8 text") from e
    except json.JSONDecodeError as e:
        raise _damaged(folder, f"{name} is not valid JSON ({e})") from e
    except OSError as e:
        raise _damaged(folder, f"cannot read {name} ({e.strerror or e})") from e


def _type_ok(value: Any, hint: Any) -> bool:
    """Whether a JSON value fits a ModelConfig annotation (int, float, bool, str, None, Literal, unions, tuples)."""
    origin, args = get_origin(hint), get_args(hint)
    if origin is Literal:
        return any(value == a and type(value) is type(a) for a in args)
    if origin in (Union, UnionType):
        return any(_type_ok(value, a) for a in args)
    if origin is tuple:
        return isinstance(value, (list, tuple)) and all(_type_ok(v, args[0]) for v in value)
    if hint is type(None):
        return value is None
    if hint is bool:
        return isinstance(value, bool)
    if hint is int:
        return _is_int(value)
    if hint is float:
        return _is_int(value) or isinstance(value, float)
    if isinstance(hint, type):
        return isinstance(value, hint)
    return True


def _config(folder: Path, raw: dict[str, Any]) -> ModelConfig:
    """The ModelConfig saved in config.json, every field checked for its type."""
    d = dict(raw)
    schema = d.get("schema_version", SCHEMA_VERSION)
    if not _is_int(schema):
        raise _damaged(folder, f"{CONFIG} has schema_version {schema!r}, not a whole number")
    if schema > SCHEMA_VERSION:
        raise _newer(folder, "model config schema", schema, SCHEMA_VERSION)
    hints = get_type_hints(ModelConfig)
    unknown = sorted(k for k in d if k != "schema_version" and k not in hints)
    if unknown:
        raise _damaged(folder, f"{CONFIG} has config fields this program does not know: {', '.join(unknown)}")
    missing = [k for k in REQUIRED_FIELDS if k not in d]
    if missing:
        raise _damaged(folder, f"{CONFIG} lacks the config fields {', '.join(missing)}")
    for k, v in d.items():
        if k in hints and not _type_ok(v, hints[k]):
            raise _damaged(folder, f"{CONFIG} has config field {k} = {_one_line(json.dumps(v), 60)}, "
                                   f"which is not {_type_name(hints[k])}")
    if not d["entity_types"]:
        raise _damaged(folder, f"{CONFIG} has no entity types")
    try:
        return ModelConfig.from_dict(d)
    except MadpgError as e:
        raise _damaged(folder, f"{CONFIG}: {e}") from e


def _type_name(hint: Any) -> str:
    origin, args = get_origin(hint), get_args(hint)
    if origin is Literal:
        return "one of " + ", ".join(repr(a) for a in args)
    if origin in (Union, UnionType):
        return " or ".join(_type_name(a) for a in args)
    if origin is tuple:
        return f"a list of {_type_name(args[0]).removeprefix('a ')}s"
    if hint is type(None):
        return "null"
    return {bool: "true or false", int: "a whole number", float: "a number", str: "a string"}.get(hint, str(hint))


def _strings(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


def _check_text_files(folder: Path, cfg: ModelConfig) -> None:
    """The vocabulary, text encoder and tokenizer files the text encoder is rebuilt from."""
    from madpg_core.model.text_encoders import TEXT_CONFIG, TOKENIZER_DIR
    from madpg_core.model.vocab import SPECIALS

    if cfg.text_encoder != "pretrained":
        vocab = _read_json(folder, VOCAB)
        if not (isinstance(vocab, dict) and _strings(vocab.get("chars")) and _strings(vocab.get("bigrams"))):
            raise _damaged(folder, f'{VOCAB} is not an object with "chars" and "bigrams" lists of strings')
        for table in ("chars", "bigrams"):
            if vocab[table][: len(SPECIALS)] != list(SPECIALS):
                raise _damaged(folder, f"{VOCAB}: the {table} table does not start with {', '.join(SPECIALS)}")
    if cfg.bert_like and not isinstance(_read_json(folder, TEXT_CONFIG), dict):
        raise _damaged(folder, f"{TEXT_CONFIG} is not a JSON object")
    if cfg.text_encoder == "pretrained" and not (folder / TOKENIZER_DIR).is_dir():
        raise _damaged(folder, f"the {TOKENIZER_DIR} folder is missing")


def _lexicon(folder: Path) -> Lexicon:
    doc = _read_json(folder, LEXICON)
    if not (isinstance(doc, dict) and _strings(doc.get("types")) and isinstance(doc.get("counts"), dict)):
        raise _damaged(folder, f'{LEXICON} is not an object with a "types" list and a "counts" object')
    for mention, hit in doc["counts"].items():
        if not (isinstance(hit, dict) and all(isinstance(t, str) and _is_int(n) for t, n in hit.items())):
            raise _damaged(folder, f"{LEXICON}: mention {mention!r} has counts {_one_line(json.dumps(hit), 60)}, "
                                   "not an object of whole numbers per type")
    return Lexicon(doc["types"], doc["counts"])


def _check_vocab_fits(folder: Path, model: MADPG) -> None:
    """The vocabulary and the character table it indexes are the same size (a BERT's comes from text_config)."""
    vocab = model.text.vocab
    if vocab is None:
        return
    table = getattr(model.text, "char", None)
    if table is None:
        table = model.text.bert.get_input_embeddings()
    if table.num_embeddings != len(vocab.chars):
        raise _damaged(folder, f"{VOCAB} has {len(vocab.chars)} characters, the model's character table "
                               f"has {table.num_embeddings} rows")


def _weights(folder: Path) -> dict[str, torch.Tensor]:
    """The tensors of model.safetensors, on the CPU (the model moves to its device once filled)."""
    from safetensors.torch import load_file

    path = folder / WEIGHTS
    if not path.is_file():
        raise _damaged(folder, f"{WEIGHTS} is missing")
    try:
        return load_file(str(path), device="cpu")
    except Exception as e:  # safetensors' own error type: a truncated or foreign file
        raise _damaged(folder, f"cannot read {WEIGHTS} ({e})") from e


def _names(keys: list[str]) -> str:
    shown = ", ".join(f"'{k}'" for k in keys[:3])
    return shown + (f" and {len(keys) - 3} more" if len(keys) > 3 else "")


def _check_state(folder: Path, model: MADPG, state: dict[str, torch.Tensor]) -> None:
    """Every weight the config asks for is there, in its shape, and nothing else."""
    own = model.state_dict()
    missing = [k for k in own if k not in state]
    if missing:
        raise _damaged(folder, f"{WEIGHTS} lacks the weights {_names(missing)} that the config expects")
    unexpected = [k for k in state if k not in own]
    if unexpected:
        raise _damaged(folder, f"{WEIGHTS} has weights {_names(unexpected)} that the config does not expect")
    wrong = [k for k in own if tuple(state[k].shape) != tuple(own[k].shape)]
    if wrong:
        k = wrong[0]
        more = f" (and {len(wrong) - 1} more weights)" if len(wrong) > 1 else ""
        raise _damaged(folder, f"weight '{k}' has shape {list(state[k].shape)}, the config expects "
                               f"{list(own[k].shape)}{more}")
