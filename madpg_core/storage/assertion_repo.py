"""The assertion statuses a project offers (like its entity types): which of
domain.ASSERTION_STATUSES its annotators may give a span. Like repo.py, the functions take the
session first and never commit; repo re-exports them."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from madpg_core.domain import ASSERTION_STATUSES, AssertionStatus, Span
from madpg_core.errors import MadpgError
from madpg_core.storage.orm import ProjectRow, SpanRow


def _project_row(s: Session) -> ProjectRow:
    row = s.get(ProjectRow, 1)
    if row is None:
        raise MadpgError("this file is not an initialised MADPG project")
    return row


def get_assertion_statuses(s: Session) -> tuple[str, ...]:
    """The assertion statuses the project offers, in the order the UI lists them; "present" is
    always one of them."""
    stored = _project_row(s).assertion_statuses
    if not stored:  # NULL: never chosen (or a project from before revision 0006)
        return ASSERTION_STATUSES
    return tuple(x for x in stored if x in ASSERTION_STATUSES)


def set_assertion_statuses(s: Session, statuses: Sequence[str], *, reset_spans_of_removed: bool = False) -> None:
    """Choose the statuses the project offers (a subset of ASSERTION_STATUSES, in the UI's order).

    "present" cannot be left out: it is what every span is until someone says otherwise. A status
    that spans still carry is refused unless ``reset_spans_of_removed``, which makes them present
    (the GUI asks the user first, as for a removed entity type).
    """
    chosen = [x.value if isinstance(x, AssertionStatus) else x for x in statuses]
    unknown = [x for x in chosen if x not in ASSERTION_STATUSES]
    if unknown:
        raise MadpgError(f"unknown assertion status {unknown[0]!r}; one of {', '.join(ASSERTION_STATUSES)}")
    if len(set(chosen)) != len(chosen):
        raise MadpgError(f"an assertion status is listed twice: {', '.join(chosen)}")
    if AssertionStatus.PRESENT.value not in chosen:
        raise MadpgError("the status 'present' cannot be removed: every span starts as present")
    removed = [x for x in ASSERTION_STATUSES if x not in chosen]
    in_use = dict(s.execute(select(SpanRow.assertion, func.count(SpanRow.id))
                            .where(SpanRow.assertion.in_(removed)).group_by(SpanRow.assertion)).all())
    if in_use and not reset_spans_of_removed:
        used = ", ".join(f"{k} ({n} spans)" for k, n in sorted(in_use.items()))
        raise MadpgError(f"assertion statuses still in use: {used}; confirm to make those spans present")
    if in_use:
        s.execute(update(SpanRow).where(SpanRow.assertion.in_(removed))
                  .values(assertion=AssertionStatus.PRESENT.value))
    _project_row(s).assertion_statuses = list(chosen)
    s.flush()


def check_statuses(s: Session, spans: Iterable[Span]) -> None:
    """Refuse spans whose assertion status the project does not offer (as unknown types are)."""
    used = {sp.assertion for sp in spans} - {AssertionStatus.PRESENT.value}
    if not used:  # the common case, and no query: "present" is always offered
        return
    missing = sorted(used - set(get_assertion_statuses(s)))
    if missing:
        raise MadpgError(f"assertion statuses the project does not offer: {', '.join(missing)}")
