"""Which spans the desk shows and edits for a record: the annotator's own sheet when the record is
double-annotated and assigned to them (blind double annotation), else the gold spans.

Kept apart from annotation.py so that the rule is one small function the tests and the banner read
too; the Annotation asks it once per record it opens.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from madpg_core.storage import team
from madpg_core.storage.project import Project


def sheet_for(s: Session, annotator: str, record_id: int) -> str | None:
    """``annotator`` when they edit their own sheet of ``record_id``; None for the gold spans."""
    if team.is_double(s, record_id) and annotator in team.assigned_to(s, record_id):
        return annotator
    return None


def open_sheet(project: Project, record_id: int) -> str | None:
    """The sheet the desk shows for ``record_id`` (None: the gold spans), seeding it with the
    record's pre-labels the first time its annotator opens it, so every annotator starts from the
    same model spans (still marked as the model's) and the sheets stay comparable."""
    with project.reading() as s:
        sheet = sheet_for(s, project.annotator, record_id)
        fresh = sheet is not None and sheet not in team.sheet_names(s, record_id)
    if fresh and not project.read_only:
        with project.transaction() as s:
            team.seed_sheet(s, record_id, sheet)
    return sheet
