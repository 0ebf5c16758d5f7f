"""Records already in the project, for a re-import: find them by name and text, and replace one's
contents while it keeps its id. Like repo.py, the functions take the session first and never commit."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence

from sqlalchemy import bindparam, delete, select, update
from sqlalchemy.orm import Session

from madpg_core.domain import Record, RecordStatus
from madpg_core.storage import repo
from madpg_core.storage.orm import ImageRow, RecordRow, SpanRow, utcnow

Key = tuple[str, str]  # (record name, record text)
CHUNK = 900  # ids per IN (...): far below SQLite's limit on bound variables, on every version


def find(s: Session, keys: set[Key]) -> dict[Key, list[tuple[int, RecordStatus]]]:
    """The project's records whose (name, text) is one of ``keys``: key → [(id, status)], oldest first.

    One SELECT of ids, names and statuses (no texts); texts are then read only for the records whose
    name is wanted, by primary key. Importing a file into a project of other records reads no text at
    all; re-importing it reads each of its records' texts once. Texts are compared whole, not by a
    hash: the same key, without a collision to think about."""
    if not keys:
        return {}
    names = {name for name, _ in keys}
    named = [(i, n, st) for i, n, st in s.execute(select(RecordRow.id, RecordRow.name, RecordRow.status)
                                                 .order_by(RecordRow.id)) if n in names]
    texts: dict[int, str] = {}
    ids = [i for i, _, _ in named]
    for lo in range(0, len(ids), CHUNK):
        texts.update(s.execute(select(RecordRow.id, RecordRow.text).where(RecordRow.id.in_(ids[lo : lo + CHUNK]))).all())
    found: dict[Key, list[tuple[int, RecordStatus]]] = {}
    for i, name, status in named:
        if (name, texts[i]) in keys:
            found.setdefault((name, texts[i]), []).append((i, RecordStatus(status)))
    return found


def replace_contents(s: Session, targets: Sequence[tuple[int, Record]],
                     images: Sequence[Sequence[tuple[str, str, str]]], *, stop: threading.Event | None = None,
                     on_progress: Callable[[int, int], None] | None = None) -> None:
    """Give each record ``id`` the spans, status and images of its ``Record`` (same name and text);
    its id, note and creation time stay, and so does its check-set role (``record_roles`` is keyed
    by id). The record-level model confidence is cleared: it described the old spans.

    The new contents are written by :func:`repo.add_records` as rows of temporary records, whose
    spans and images then move to the kept ids: spans and images are written by that one fast,
    batched function, whatever columns it writes, and the temporary rows go before the caller commits."""
    if not targets:
        return
    temp = repo.add_records(s, [r for _, r in targets], images, stop=stop, on_progress=on_progress)
    old = [i for i, _ in targets]
    for lo in range(0, len(old), CHUNK):
        chunk = old[lo : lo + CHUNK]
        # gold spans only: annotators' sheets (double annotation) are their work, not the file's
        s.execute(delete(SpanRow.__table__).where(SpanRow.record_id.in_(chunk), SpanRow.sheet_of.is_(None)))
        s.execute(delete(ImageRow.__table__).where(ImageRow.record_id.in_(chunk)))
    moves = [{"temp": t, "kept": k} for t, k in zip(temp, old)]
    # Core tables, not the mapped classes: an ORM bulk UPDATE would match rows by primary key only.
    for table in (SpanRow.__table__, ImageRow.__table__):
        s.execute(update(table).where(table.c.record_id == bindparam("temp")).values(record_id=bindparam("kept")),
                  moves)
    now = utcnow()
    records = RecordRow.__table__
    s.execute(update(records).where(records.c.id == bindparam("kept"))
              .values(status=bindparam("new_status"), confidence=None, updated_at=now,
                      revision=records.c.revision + 1),  # new gold spans: an older read is stale
              [{"kept": k, "new_status": RecordStatus(r.status).value} for k, r in targets])
    for lo in range(0, len(temp), CHUNK):
        s.execute(delete(records).where(records.c.id.in_(temp[lo : lo + CHUNK])))
