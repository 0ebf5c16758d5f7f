"""Pre-labelling: the active model labels records that no human has reviewed yet.

Spans a human made or changed are never replaced and reviewed records are never touched (see
``repo.replace_model_spans``). Records are written in small batches, each its own transaction,
so a cancelled run keeps what it finished and the GUI sees progress as it happens.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Protocol

from madpg_core.domain import Record, RecordStatus, Span, SpanSource
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

    return CachedParser(load_default_parser(), SqlParseCache(project.sessions))


def unreviewed_ids(project: Project) -> list[int]:
    with project.reading() as s:
        return repo.record_ids(s, status=[RecordStatus.NEW, RecordStatus.PRELABELLED])


def prelabel(project: Project, record_ids: Sequence[int], predictor: SpanPredictor, model_version: str, *,
             on_progress: Callable[[int, int], None] | None = None,
             stop: threading.Event | None = None) -> PrelabelReport:
    """Label ``record_ids`` with ``predictor``; raise Cancelled (after saving finished batches) on stop."""
    report = PrelabelReport()
    total = len(record_ids)
    for at in range(0, total, BATCH):
        if stop is not None and stop.is_set():
            report.cancelled = True
            raise Cancelled(f"pre-labelling cancelled after {report.records} of {total} records")
        with project.reading() as s:
            batch = [repo.get_record(s, i, project.image_root) for i in record_ids[at : at + BATCH]]
        todo = [r for r in batch if r.status != RecordStatus.REVIEWED]
        report.skipped_reviewed += len(batch) - len(todo)
        # Texts only: a record's own spans (a person's, or older pre-labels) must not steer where
        # long texts are cut, or the prediction would depend on what it is meant to propose.
        texts = [r.with_spans(()) for r in todo]
        scored = getattr(predictor, "predict_with_confidence", None)
        if scored is not None and todo:
            predicted, confidence = scored(texts)
        else:
            predicted, confidence = (predictor.predict(texts) if todo else []), [None] * len(todo)
        with project.transaction() as s:
            for rec, spans, conf in zip(todo, predicted, confidence):
                marked = [replace(sp, source=SpanSource.MODEL, model_version=model_version, id=None) for sp in spans]
                report.spans += repo.replace_model_spans(s, rec.id, marked, confidence=conf)
                report.records += 1
        if on_progress:
            on_progress(min(at + BATCH, total), total)
    return report
