"""Repository functions for the check set: record roles and model versions' scores on it.
Like repo.py, they take the session first and never commit."""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from madpg_core.storage.orm import CheckScoreRow, ModelVersionRow, RecordRoleRow

CHECK, TRAIN = "check", "train"


def roles(s: Session) -> dict[int, str]:
    """record id → "check" | "train", for every record that was ever given a role."""
    return dict(s.execute(select(RecordRoleRow.record_id, RecordRoleRow.role)).all())


def set_roles(s: Session, assigned: dict[int, str]) -> None:
    """Give records their role; a record that has one keeps it (roles are never moved)."""
    have = roles(s)
    for record_id, role in assigned.items():
        if role not in (CHECK, TRAIN):
            raise ValueError(f"unknown record role {role!r}")
        if record_id not in have:
            s.add(RecordRoleRow(record_id=record_id, role=role))
    s.flush()


def check_ids(s: Session) -> set[int]:
    return set(s.scalars(select(RecordRoleRow.record_id).where(RecordRoleRow.role == CHECK)))


def scores_on(s: Session, check_key: str) -> dict[int, tuple[int, dict]]:
    """model version number → (check records, stored scores) on this state of the check set."""
    q = (select(ModelVersionRow.version, CheckScoreRow.n_records, CheckScoreRow.scores)
         .join(ModelVersionRow, ModelVersionRow.id == CheckScoreRow.model_version_id)
         .where(CheckScoreRow.check_key == check_key))
    return {v: (n, sc) for v, n, sc in s.execute(q)}


def save_score(s: Session, version: int, check_key: str, n_records: int, scores: dict) -> None:
    row = s.scalar(select(ModelVersionRow).where(ModelVersionRow.version == version))
    if row is None:
        raise ValueError(f"model version {version} does not exist")
    s.execute(delete(CheckScoreRow).where(CheckScoreRow.model_version_id == row.id,
                                          CheckScoreRow.check_key == check_key))
    s.add(CheckScoreRow(model_version_id=row.id, check_key=check_key, n_records=n_records, scores=scores))
    s.flush()

