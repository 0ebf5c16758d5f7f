"""Annotators, assignment, sheets and adjudication over a project session (issue 17).

A record with no assignment is open to everyone; a record assigned to two or more annotators is
double-annotated: each of them edits their own sheet (``repo.add_span(…, sheet=name)``,
``repo.get_record(…, sheet=name)``), and a curator adjudicates the sheets into the gold spans.
Like repo.py, the functions take the session first and never commit; every write is logged in the
history.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from madpg_core.domain import AssertionStatus, RecordStatus, Span, SpanSource
from madpg_core.errors import MadpgError
from madpg_core.storage import history, repo
from madpg_core.storage.annotators import (  # noqa: F401 - re-exported: team.current_annotator etc.
    UNKNOWN,
    annotator_id,
    clean_name,
    current_annotator,
    current_annotator_id,
    ensure_annotator,
)
from madpg_core.storage.orm import AnnotatorRow, AssignmentRow, EntityTypeRow, HistoryRow, RecordRow, SpanRow

# ---------------------------------------------------------------- annotators


def list_annotators(s: Session) -> list[str]:
    """Every annotator the project knows, by name ("unknown" included once anything predates them)."""
    return list(s.scalars(select(AnnotatorRow.name).order_by(func.lower(AnnotatorRow.name), AnnotatorRow.name)))


def _ids(s: Session, names: Iterable[str]) -> dict[str, int]:
    wanted = list(dict.fromkeys(clean_name(n) for n in names))
    if not wanted:
        raise MadpgError("name at least one annotator")
    return {n: ensure_annotator(s, n) for n in wanted}


def _existing_records(s: Session, record_ids: Iterable[int]) -> list[int]:
    ids = sorted(set(record_ids))
    found = set(s.scalars(select(RecordRow.id).where(RecordRow.id.in_(ids)))) if ids else set()
    missing = [i for i in ids if i not in found]
    if missing:
        shown = ", ".join(map(str, missing[:5])) + (" …" if len(missing) > 5 else "")
        raise MadpgError(f"no record with id {shown}; nothing was assigned")
    return ids


# ---------------------------------------------------------------- assignment


def assign(s: Session, record_ids: Iterable[int], names: Iterable[str]) -> int:
    """Give the records to the named annotators (added to the project when new); assignments that
    exist stay. Returns the new assignments made."""
    ids = _existing_records(s, record_ids)
    who = _ids(s, names)
    have = set(s.execute(select(AssignmentRow.record_id, AssignmentRow.annotator_id)
                         .where(AssignmentRow.record_id.in_(ids))).all()) if ids else set()
    by_record: dict[int, list[str]] = {}
    for rid in ids:
        for name, aid in who.items():
            if (rid, aid) not in have:
                s.add(AssignmentRow(record_id=rid, annotator_id=aid))
                by_record.setdefault(rid, []).append(name)
    s.flush()
    history.log_many(s, "assign", [(rid, None, {"annotators": added}) for rid, added in by_record.items()])
    return sum(len(v) for v in by_record.values())


def unassign(s: Session, record_ids: Iterable[int], names: Iterable[str]) -> int:
    """Take the records back from the named annotators; their sheets stay (work is never thrown
    away by an assignment change). Returns the assignments removed."""
    ids = sorted(set(record_ids))
    wanted = [clean_name(n) for n in names]
    who = {n: aid for n in wanted if (aid := annotator_id(s, n)) is not None}
    if not ids or not who:
        return 0
    rows = s.execute(select(AssignmentRow.record_id, AssignmentRow.annotator_id)
                     .where(AssignmentRow.record_id.in_(ids), AssignmentRow.annotator_id.in_(who.values()))).all()
    names_of = {aid: n for n, aid in who.items()}
    by_record: dict[int, list[str]] = {}
    for rid, aid in rows:
        by_record.setdefault(rid, []).append(names_of[aid])
    s.execute(delete(AssignmentRow).where(AssignmentRow.record_id.in_(ids),
                                          AssignmentRow.annotator_id.in_(who.values())))
    history.log_many(s, "unassign", [(rid, {"annotators": gone}, None) for rid, gone in sorted(by_record.items())])
    return len(rows)


def sample_records(all_ids: Sequence[int], fraction: float, seed: int) -> list[int]:
    """A seeded random ``fraction`` of ``all_ids`` (at least one when there are any), sorted: the
    same records for the same ids, fraction and seed."""
    if not 0 < fraction <= 1:
        raise MadpgError(f"the fraction of records to double-annotate must be in (0, 1], not {fraction}")
    ids = sorted(all_ids)
    if not ids:
        return []
    k = max(1, round(fraction * len(ids)))
    return sorted(random.Random(seed).sample(ids, k))


def assign_double_sample(s: Session, names: Sequence[str], fraction: float, seed: int) -> list[int]:
    """Double annotation: give a seeded random ``fraction`` of all records to every one of ``names``
    (two or more) → the records chosen."""
    who = list(dict.fromkeys(clean_name(n) for n in names))
    if len(who) < 2:
        raise MadpgError(f"double annotation needs two or more annotators, got {', '.join(who) or 'none'}")
    chosen = sample_records(list(s.scalars(select(RecordRow.id))), fraction, seed)
    assign(s, chosen, who)
    return chosen


def assigned_to(s: Session, record_id: int) -> list[str]:
    """The annotators the record is assigned to, by name ([]: open to everyone)."""
    return list(s.scalars(select(AnnotatorRow.name).join(AssignmentRow, AssignmentRow.annotator_id == AnnotatorRow.id)
                          .where(AssignmentRow.record_id == record_id).order_by(AnnotatorRow.name)))


def records_assigned(s: Session, name: str) -> list[int]:
    """The ids of the records assigned to ``name``, in id order."""
    aid = annotator_id(s, name)
    if aid is None:
        return []
    return list(s.scalars(select(AssignmentRow.record_id).where(AssignmentRow.annotator_id == aid)
                          .order_by(AssignmentRow.record_id)))


def assignments(s: Session) -> dict[int, list[str]]:
    """Every assigned record → its annotators (one query: the record list marks them all)."""
    out: dict[int, list[str]] = {}
    rows = s.execute(select(AssignmentRow.record_id, AnnotatorRow.name)
                     .join(AnnotatorRow, AssignmentRow.annotator_id == AnnotatorRow.id)
                     .order_by(AssignmentRow.record_id, AnnotatorRow.name))
    for rid, name in rows:
        out.setdefault(rid, []).append(name)
    return out


def is_double(s: Session, record_id: int) -> bool:
    """Whether the record is double-annotated: assigned to two or more annotators."""
    n = s.scalar(select(func.count()).select_from(AssignmentRow).where(AssignmentRow.record_id == record_id))
    return (n or 0) >= 2


def double_records(s: Session) -> list[int]:
    """The ids of all double-annotated records."""
    q = (select(AssignmentRow.record_id).group_by(AssignmentRow.record_id)
         .having(func.count(AssignmentRow.annotator_id) >= 2).order_by(AssignmentRow.record_id))
    return list(s.scalars(q))


# ---------------------------------------------------------------- sheets


def _seeded(s: Session, record_id: int) -> set[str]:
    """The sheets of the record that were seeded (opened) already, by name."""
    docs = s.scalars(select(HistoryRow.after).where(HistoryRow.record_id == record_id,
                                                    HistoryRow.action == "seed_sheet"))
    return {d["sheet"] for d in docs if isinstance(d, dict) and "sheet" in d}


def sheet_names(s: Session, record_id: int) -> list[str]:
    """The annotators who have a sheet on the record: spans in it, or opened (seeded) it, even if
    they then found nothing — an empty sheet is an answer too."""
    with_rows = set(s.scalars(select(AnnotatorRow.name).join(SpanRow, SpanRow.sheet_of == AnnotatorRow.id)
                              .where(SpanRow.record_id == record_id).distinct()))
    return sorted(with_rows | _seeded(s, record_id))


def seed_sheet(s: Session, record_id: int, name: str) -> int:
    """On the first open of ``name``'s sheet: copy the record's model spans (the pre-labels, which
    stay model spans) into it, so each annotator corrects the model as a single annotator would,
    without seeing anyone's decisions. Later calls change nothing. Returns the spans copied."""
    name = clean_name(name)
    repo._record_row(s, record_id)  # a missing record is refused here
    repo.lock_record(s, record_id)  # two windows opening the sheet at once seed it once
    if name in _seeded(s, record_id) or repo.spans_of(s, record_id, sheet=name):
        return 0
    model = [replace(sp, id=None, revision=None) for sp in repo.spans_of(s, record_id)
             if sp.source == SpanSource.MODEL]
    sheet_of = ensure_annotator(s, name)
    ids, who = repo.type_ids(s), current_annotator_id(s)
    rows = [repo.span_row(sp, ids, annotator=who, sheet_of=sheet_of) for sp in model]
    for r in rows:
        r.record_id = record_id
    s.add_all(rows)
    s.flush()
    s.expire(repo._record_row(s, record_id), ["spans"])
    history.log(s, "seed_sheet", record_id, None, history.spans_doc([repo.to_span(r) for r in rows], name))
    return len(rows)


def set_sheet_status(s: Session, record_id: int, name: str, status: RecordStatus) -> None:
    """An annotator's own status of their sheet ("reviewed": done with it). Not the record's status:
    that one says whether the gold spans are final, which on a double-annotated record only
    adjudication decides — marking the record reviewed from a sheet would send the unadjudicated
    gold spans (the pre-labels) to training and export. Kept as history entries, the newest wins."""
    name, new = clean_name(name), RecordStatus(status).value
    repo._record_row(s, record_id)
    old = sheet_statuses(s, record_id).get(name, RecordStatus.NEW).value
    history.log(s, "set_sheet_status", record_id, {"sheet": name, "status": old}, {"sheet": name, "status": new})
    s.flush()


def sheets_done(s: Session, name: str) -> set[int]:
    """The records whose sheet ``name`` marked reviewed (its newest sheet status): one query, for
    the record list."""
    name = clean_name(name)
    latest: dict[int, str] = {}
    for record_id, doc in s.execute(select(HistoryRow.record_id, HistoryRow.after)
                                    .where(HistoryRow.action == "set_sheet_status").order_by(HistoryRow.id)):
        if isinstance(doc, dict) and doc.get("sheet") == name:
            latest[record_id] = doc.get("status")
    return {rid for rid, status in latest.items() if status == RecordStatus.REVIEWED.value}


def sheet_statuses(s: Session, record_id: int) -> dict[str, RecordStatus]:
    """Each sheet's status as its annotator set it (sheets never set are left out: new)."""
    out: dict[str, RecordStatus] = {}
    for doc in s.scalars(select(HistoryRow.after).where(HistoryRow.record_id == record_id,
                                                        HistoryRow.action == "set_sheet_status")
                         .order_by(HistoryRow.id)):
        if isinstance(doc, dict) and doc.get("sheet") and doc.get("status") in {x.value for x in RecordStatus}:
            out[doc["sheet"]] = RecordStatus(doc["status"])
    return out


def sheets(s: Session, record_id: int, names: Sequence[str] | None = None) -> dict[str, list[Span]]:
    """The record's sheets by annotator (those of ``names`` only, when given)."""
    have = sheet_names(s, record_id)
    chosen = have if names is None else [n for n in (clean_name(x) for x in names) if n in have]
    return {n: repo.spans_of(s, record_id, sheet=n) for n in chosen}


# ---------------------------------------------------------------- adjudication


def adjudicate(s: Session, record_id: int, gold_spans: Sequence[Span],
               expected_record_revision: int | None = None) -> list[int]:
    """Write the curator's decision as the record's gold spans (each the curator's: source
    annotator, attributed to the session's annotator) and mark the record reviewed. The sheets
    stay as they were. Returns the new span ids."""
    gold = [replace(sp, source=SpanSource.ANNOTATOR, model_version=None, confidence=None, id=None, revision=None)
            for sp in gold_spans]
    before = repo.spans_of(s, record_id)
    ids = repo.replace_spans(s, record_id, gold, expected_record_revision=expected_record_revision)
    repo.set_status(s, record_id, RecordStatus.REVIEWED)
    history.log(s, "adjudicate", record_id, history.spans_doc(before),
                {**history.spans_doc(repo.spans_of(s, record_id)), "sheets": sheet_names(s, record_id)})
    return ids


# ---------------------------------------------------------------- agreement input


def double_annotated_sheets(s: Session, names: Sequence[str] | None = None,
                            ) -> list[tuple[int, str, dict[str, list[Span]]]]:
    """(record id, text, annotator → sheet) for every double-annotated record, with the sheets of
    its assigned annotators (of ``names`` only, when given) who have one: what agreement compares.
    An assigned annotator without a sheet (never opened the record) is left out of that record; an
    opened sheet with no span is an empty list (they found nothing). Four queries in all, whatever
    the number of records."""
    wanted = None if names is None else {clean_name(n) for n in names}
    ids = double_records(s)
    if not ids:
        return []
    by_id = {aid: n for aid, n in s.execute(select(AnnotatorRow.id, AnnotatorRow.name))}
    assigned: dict[int, list[str]] = {}
    for rid, aid in s.execute(select(AssignmentRow.record_id, AssignmentRow.annotator_id)
                              .where(AssignmentRow.record_id.in_(ids))):
        if wanted is None or by_id[aid] in wanted:
            assigned.setdefault(rid, []).append(by_id[aid])
    sheets: dict[int, dict[str, list[Span]]] = {rid: {} for rid in ids}
    # Plain columns, not ORM rows: 10,000 spans load in a tenth of the time.
    rows = s.execute(select(SpanRow.record_id, SpanRow.sheet_of, SpanRow.start, SpanRow.end, EntityTypeRow.name,
                            SpanRow.source, SpanRow.model_version, SpanRow.confidence, SpanRow.id,
                            SpanRow.assertion, SpanRow.layer, SpanRow.revision)
                     .join(EntityTypeRow, EntityTypeRow.id == SpanRow.type_id)
                     .where(SpanRow.record_id.in_(ids), SpanRow.sheet_of.is_not(None))
                     .order_by(SpanRow.record_id, SpanRow.start, SpanRow.id))
    for rid, sheet_of, start, end, label, source, version, conf, sid, assertion, layer, revision in rows:
        sheets[rid].setdefault(by_id[sheet_of], []).append(Span(
            start, end, label, SpanSource(source), version, conf, id=sid,
            assertion=assertion or AssertionStatus.PRESENT.value, layer=layer or 0, revision=revision))
    for rid, doc in s.execute(select(HistoryRow.record_id, HistoryRow.after)
                              .where(HistoryRow.record_id.in_(ids), HistoryRow.action == "seed_sheet")):
        if isinstance(doc, dict) and doc.get("sheet"):
            sheets[rid].setdefault(doc["sheet"], [])
    texts = dict(s.execute(select(RecordRow.id, RecordRow.text).where(RecordRow.id.in_(ids))).all())
    out = []
    for rid in ids:
        have = {n: sheets[rid][n] for n in sorted(assigned.get(rid, ())) if n in sheets[rid]}
        if len(have) >= 2:
            out.append((rid, texts[rid], have))
    return out


@dataclass(frozen=True)
class AnnotatorSummary:
    name: str
    assigned: int  # records assigned to them
    double: int  # of those, double-annotated
    sheets: int  # records where they have a sheet with spans
    gold_spans: int  # gold spans they made or last changed


def annotator_summary(s: Session) -> list[AnnotatorSummary]:
    """One line per annotator for `madpg annotators`."""
    doubles = set(double_records(s))
    assigned: dict[int, list[int]] = {}
    for rid, aid in s.execute(select(AssignmentRow.record_id, AssignmentRow.annotator_id)):
        assigned.setdefault(aid, []).append(rid)
    sheets = dict(s.execute(select(SpanRow.sheet_of, func.count(func.distinct(SpanRow.record_id)))
                            .where(SpanRow.sheet_of.is_not(None)).group_by(SpanRow.sheet_of)).all())
    gold = dict(s.execute(select(SpanRow.annotator_id, func.count(SpanRow.id))
                          .where(SpanRow.sheet_of.is_(None)).group_by(SpanRow.annotator_id)).all())
    rows = s.execute(select(AnnotatorRow.id, AnnotatorRow.name).order_by(func.lower(AnnotatorRow.name)))
    return [AnnotatorSummary(name, len(assigned.get(aid, ())), sum(r in doubles for r in assigned.get(aid, ())),
                             sheets.get(aid, 0), gold.get(aid, 0)) for aid, name in rows]
