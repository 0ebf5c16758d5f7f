"""Who edits: the annotator a session writes as, and their row in ``annotators``.

The lowest storage layer of the team work (issue 17): history.py, span_repo.py and team.py all
need it, so it imports none of them. Like repo.py, the functions take the session first and never
commit.
"""

from __future__ import annotations

from sqlalchemy import exc, select
from sqlalchemy.orm import Session

from madpg_core.errors import MadpgError
from madpg_core.storage.orm import AnnotatorRow

UNKNOWN = "unknown"  # the annotator of everything made before annotators existed (migration 0008)
MAX_NAME = 200  # annotators.name is VARCHAR(200)


def current_annotator(s: Session) -> str:
    """The annotator this session writes as (``Project.annotator``, put into ``session.info``);
    "unknown" for a session that was not opened through a Project."""
    name = s.info.get("annotator")
    return clean_name(name) if isinstance(name, str) and name.strip() else UNKNOWN


def clean_name(name: str) -> str:
    """An annotator's name as stored: trimmed, one line, at most 200 characters."""
    cleaned = " ".join(str(name).split())
    if not cleaned:
        raise MadpgError("an annotator needs a name")
    if len(cleaned) > MAX_NAME:
        raise MadpgError(f"annotator name too long ({len(cleaned)} characters, at most {MAX_NAME})")
    return cleaned


def annotator_id(s: Session, name: str) -> int | None:
    """The id of the annotator called ``name``, None when the project has none of that name."""
    return s.scalar(select(AnnotatorRow.id).where(AnnotatorRow.name == clean_name(name)))


def ensure_annotator(s: Session, name: str) -> int:
    """The id of the annotator called ``name``, added to the project when new."""
    name = clean_name(name)
    found = annotator_id(s, name)
    if found is not None:
        return found
    # Two desks of a server project may add the same new name at once: the second insert fails on
    # the unique name inside its own savepoint, and the row the first one made is used.
    try:
        with s.begin_nested():
            row = AnnotatorRow(name=name)
            s.add(row)
            s.flush()
            return row.id
    except exc.IntegrityError:
        found = annotator_id(s, name)
        if found is None:
            raise
        return found


def current_annotator_id(s: Session) -> int:
    """The id of the session's annotator (added when new): what every write is attributed to."""
    return ensure_annotator(s, current_annotator(s))


def names_by_id(s: Session) -> dict[int, str]:
    return dict(s.execute(select(AnnotatorRow.id, AnnotatorRow.name)).all())
