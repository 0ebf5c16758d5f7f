"""Pre-labelling: the active model labels records that no human has reviewed yet.

Spans a human made or changed are never replaced and reviewed records are never touched (see
``repo.replace_model_spans``). Records are written in small batches, each its own transaction,
so the GUI sees progress as it happens. A stop request is passed down into the predictor, which
honours it between two forward passes of a few pieces (well under a second); the records of the
current batch that were finished by then are written before Cancelled is raised.
"""

from __future__ import annotations

import inspect
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Protocol

from madpg_core.assertion import detect
from madpg_core.domain import AssertionStatus, Record, RecordStatus, Span, SpanSource
from madpg_core.errors import Cancelled
from madpg_core.storage import repo
from madpg_core.storage.project import Project

BATCH = 16


class SpanPredictor(Protocol):
    def predict(self, records: Sequence[Record]) -> list[list[Span]]: ...


@dataclass
class PrelabelReport:
    records: int = 0
    spans: int = 0
    skipped_reviewed: int = 0
    cancelled: bool = False


def load_predictor(project: Project, model_dir: Path, device: str | None = None):  # noqa: ANN201 - Predictor
    """Load a checkpoint for pre-labelling this project; its dependency parses go through the
    project's parse cache, so a record is parsed once however often it is pre-labelled."""
    from madpg_core.checkpoint import read_info
    from madpg_core.inference.predictor import Predictor

    use_gcn = bool(read_info(model_dir)["config"].get("use_gcn"))
    return Predictor.load(model_dir, parser=project_parser(project, use_gcn), device=device)


def project_parser(project: Project, use_gcn: bool):  # noqa: ANN201 - DependencyParser | None
    """The shipped parser behind the project's parse cache: epochs and re-opening never re-parse."""
    if not use_gcn:
        return None
    from madpg_core.storage.parse_cache import SqlParseCache
    from madpg_core.text.parser import CachedParser, load_default_parser

    return CachedParser(load_default_parser(), SqlParseCache(project.sessions, project.writing))


def unreviewed_ids(project: Project) -> list[int]:
    with project.reading() as s:
        return repo.record_ids(s, status=[RecordStatus.NEW, RecordStatus.PRELABELLED])


def prelabel(project: Project, record_ids: Sequence[int], predictor: SpanPredictor, model_version: str, *,
             on_progress: Callable[[int, int], None] | None = None,
             stop: threading.Event | None = None, report: PrelabelReport | None = None) -> PrelabelReport:
    """Label ``record_ids`` with ``predictor``; on stop, save the records finished and raise Cancelled.

    ``report`` (a new one when None) is filled in as batches are saved and returned; pass one to
    know what was saved when Cancelled is raised.

    A predictor whose ``predict_with_confidence``/``predict`` takes ``stop`` gets it, and stops
    within a batch; one that raises ``PredictionCancelled`` (``inference.predictor``) has the
    records it finished saved too. Other predictors are stopped between batches of ``BATCH``.
    """
    report = report if report is not None else PrelabelReport()
    total = len(record_ids)

    def cancelled() -> Cancelled:
        report.cancelled = True
        return Cancelled(f"pre-labelling cancelled after {report.records} of {total} records")

    for at in range(0, total, BATCH):
        if stop is not None and stop.is_set():
            raise cancelled()
        with project.reading() as s:
            batch = [repo.get_record(s, i, project.image_root) for i in record_ids[at : at + BATCH]]
        todo = [r for r in batch if r.status != RecordStatus.REVIEWED]
        report.skipped_reviewed += len(batch) - len(todo)
        # Texts only: a record's own spans (a person's, or older pre-labels) must not steer where
        # long texts are cut, or the prediction would depend on what it is meant to propose.
        texts = [r.with_spans(()) for r in todo]
        try:
            predicted, confidence = _predict(predictor, texts, stop) if todo else ([], [])
        except Cancelled as e:
            done = getattr(e, "done", frozenset())
            spans, least = getattr(e, "spans", None), getattr(e, "least", None)
            if done and spans is not None and least is not None:
                keep = sorted(done)
                _save(project, [todo[i] for i in keep], [spans[i] for i in keep], [least[i] for i in keep],
                      model_version, report)
            raise cancelled() from e
        _save(project, todo, predicted, confidence, model_version, report)
        if on_progress:
            on_progress(min(at + BATCH, total), total)
    return report


def _predict(predictor: SpanPredictor, texts: list[Record],
             stop: threading.Event | None) -> tuple[list[list[Span]], list[float | None]]:
    """Spans and (when the predictor gives them) record confidences, passing ``stop`` down where
    the predictor takes it."""
    scored = getattr(predictor, "predict_with_confidence", None)
    if scored is not None:
        return scored(texts, **_stop_kw(scored, stop))
    return predictor.predict(texts, **_stop_kw(predictor.predict, stop)), [None] * len(texts)


def _stop_kw(method: Callable, stop: threading.Event | None) -> dict[str, threading.Event]:
    if stop is None:
        return {}
    try:
        params = inspect.signature(method).parameters
    except (TypeError, ValueError):
        return {}
    takes = "stop" in params or any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values())
    return {"stop": stop} if takes else {}


def _save(project: Project, records: Sequence[Record], predicted: Sequence[Sequence[Span]],
          confidence: Sequence[float | None], model_version: str, report: PrelabelReport) -> None:
    """Write the model spans of ``records`` in one transaction; count them into ``report``."""
    if not records:
        return
    with project.transaction() as s:
        offered = set(repo.get_assertion_statuses(s))
        for rec, spans, conf in zip(records, predicted, confidence):
            marked = [replace(sp, source=SpanSource.MODEL, model_version=model_version, id=None,
                              assertion=status)
                      for sp, status in zip(spans, _proposed_statuses(rec, spans, offered), strict=True)]
            report.spans += repo.replace_model_spans(s, rec.id, marked, confidence=conf)
            report.records += 1


def _proposed_statuses(rec: Record, spans: Sequence[Span], offered: set[str]) -> list[str]:
    """The context detector's status for each model span, "present" where the project does not offer
    the one detected. The human spans go in too (their statuses are not changed): a list of
    entities (否认高血压、糖尿病) carries a cue's scope across commas only when the detector sees
    every entity of the list."""
    if not spans:
        return []
    human = [sp for sp in rec.spans if sp.source == SpanSource.ANNOTATOR]
    statuses = detect(rec.text, [*spans, *human])[: len(spans)]
    return [st.value if st.value in offered else AssertionStatus.PRESENT.value for st in statuses]
