"""The history: the project's append-only audit trail (CONTEXT.md, "History").

Every write of repo/span_repo/team calls :func:`log` in the same transaction as the change, so an
entry exists exactly when the change does. Nothing here updates or deletes an entry: undo in the
GUI is a new write and therefore a new entry. Like repo.py, the functions take the session first
and never commit.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Sequence
from pathlib import Path

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from madpg_core.domain import HistoryEntry, Span, SpanSource
from madpg_core.errors import MadpgError
from madpg_core.storage.annotators import current_annotator
from madpg_core.storage.orm import HistoryRow, utcnow

# The actions written (a closed list, so a reader of an export knows what to expect).
ACTIONS = (
    "add_span", "delete_span", "change_span_label", "set_span_assertion", "replace_spans",
    "replace_model_spans", "seed_sheet", "set_sheet_status", "set_status", "update_text_note", "delete_record", "import",
    "assign", "unassign", "adjudicate", "schema",
    # regions on the images (storage/regions.py)
    "add_region", "move_region", "delete_region", "restore_region", "link_region", "unlink_region", "set_not_visible",
)

JsonDoc = dict | list | None


def span_doc(sp: Span, sheet: str | None = None) -> dict:
    """A span as a history entry keeps it: enough to read what changed and to redo it by hand."""
    doc = {"id": sp.id, "start": sp.start, "end": sp.end, "label": sp.label,
           "source": SpanSource(sp.source).value, "assertion": sp.assertion, "layer": sp.layer}
    if sp.confidence is not None:
        doc["confidence"] = sp.confidence
    if sheet is not None:
        doc["sheet"] = sheet
    return doc


def spans_doc(spans: Iterable[Span], sheet: str | None = None) -> dict:
    """A set of spans (a record's gold spans or one sheet) as one JSON object."""
    doc: dict = {"spans": [span_doc(sp) for sp in spans]}
    if sheet is not None:
        doc["sheet"] = sheet
    return doc


def _check(action: str) -> None:
    if action not in ACTIONS:  # a programming error, but one that would leave an unreadable entry
        raise MadpgError(f"unknown history action {action!r}")


def log(s: Session, action: str, record_id: int | None, before: JsonDoc, after: JsonDoc) -> None:
    """Append one entry, attributed to the session's annotator, in the caller's transaction."""
    _check(action)
    s.add(HistoryRow(at=utcnow(), annotator=current_annotator(s), record_id=record_id, action=action,
                     before=before, after=after))


def log_many(s: Session, action: str, items: Sequence[tuple[int | None, JsonDoc, JsonDoc]]) -> None:
    """Append one entry per (record_id, before, after) in one batched INSERT (assignment of a
    sample of hundreds of records)."""
    _check(action)
    if not items:
        return
    now, who = utcnow(), current_annotator(s)
    s.execute(insert(HistoryRow), [{"at": now, "annotator": who, "record_id": rid, "action": action,
                                    "before": before, "after": after} for rid, before, after in items])


def _entry(r: HistoryRow) -> HistoryEntry:
    return HistoryEntry(r.id, r.at, r.annotator, r.record_id, r.action, r.before, r.after)


def entries(s: Session, record_id: int | None = None, limit: int | None = None) -> list[HistoryEntry]:
    """Entries oldest first; with ``record_id`` only that record's; with ``limit`` only the newest
    ``limit`` of them (still oldest first)."""
    q = select(HistoryRow)
    if record_id is not None:
        q = q.where(HistoryRow.record_id == record_id)
    if limit is not None:
        if limit < 0:
            raise MadpgError(f"a history limit must be ≥ 0, not {limit}")
        rows = list(s.scalars(q.order_by(HistoryRow.id.desc()).limit(limit)))
        rows.reverse()
    else:
        rows = list(s.scalars(q.order_by(HistoryRow.id)))
    return [_entry(r) for r in rows]


def last_entry(s: Session, record_id: int) -> HistoryEntry | None:
    """The record's newest entry (who changed it last, and when): what a stale-write message names."""
    row = s.scalar(select(HistoryRow).where(HistoryRow.record_id == record_id)
                   .order_by(HistoryRow.id.desc()).limit(1))
    return _entry(row) if row is not None else None


def entry_doc(e: HistoryEntry) -> dict:
    return {"id": e.id, "at": e.at.isoformat(timespec="seconds") + "Z", "annotator": e.annotator,
            "record_id": e.record_id, "action": e.action, "before": e.before, "after": e.after}


CSV_COLUMNS = ("id", "at", "annotator", "record_id", "action", "before", "after")


def export_history(s: Session, path: Path | str, record_id: int | None = None) -> int:
    """Write the history (or one record's) to ``path``: JSON lines, or CSV when the name ends in
    .csv (before/after as JSON text in their cells). Returns the entries written."""
    path = Path(path)
    rows = entries(s, record_id)
    tmp = path.with_name(path.name + ".part")  # a half-written export never takes the name
    try:
        with tmp.open("w", encoding="utf-8", newline="") as f:
            if path.suffix.lower() == ".csv":
                w = csv.writer(f)
                w.writerow(CSV_COLUMNS)
                for e in rows:
                    d = entry_doc(e)
                    w.writerow([d["id"], d["at"], d["annotator"], "" if d["record_id"] is None else d["record_id"],
                                d["action"], json.dumps(d["before"], ensure_ascii=False),
                                json.dumps(d["after"], ensure_ascii=False)])
            else:
                for e in rows:
                    f.write(json.dumps(entry_doc(e), ensure_ascii=False) + "\n")
        tmp.replace(path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return len(rows)
