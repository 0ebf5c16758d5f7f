"""The project's check set: reviewed records held out of every re-training, on which every model
version (the bundled v0 included) is scored, so versions are compared on the same exam.

The first time a project is trained, a seeded share of its reviewed records joins the check set;
later, each newly reviewed batch contributes its share, so the check set stays about
``CHECK_SHARE`` of the reviewed records. A record's role is given once and never changes: a
record trained on never enters the check set, and a check record is never trained on. Torch-free.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from madpg_core.domain import Record, RecordStatus
from madpg_core.storage import check_repo, repo
from madpg_core.storage.project import Project

CHECK_SHARE = 0.2


@dataclass(frozen=True)
class Split:
    """What a re-training uses: reviewed records with their role, and the roles it would add."""

    check: list[Record]
    train: list[Record]
    new_check: int  # records this assignment adds to the check set
    new_train: int


def _rank(seed: int, record_id: int) -> str:
    # A hash, not random.shuffle: a record's place does not depend on which others exist, so the
    # choice is the same whichever order records were reviewed or re-opened in.
    return hashlib.sha256(f"{seed}:{record_id}".encode()).hexdigest()


def choose(reviewed: list[int], have: dict[int, str], seed: int) -> dict[int, str]:
    """Roles for the reviewed records that have none yet: enough of them join the check set to keep
    it at ``CHECK_SHARE`` of all records with a role (rounded), the rest train."""
    new = sorted((i for i in reviewed if i not in have), key=lambda i: _rank(seed, i))
    n_check = sum(1 for r in have.values() if r == check_repo.CHECK)
    target = round((len(have) + len(new)) * CHECK_SHARE)
    k = max(0, min(len(new), target - n_check))
    return {i: (check_repo.CHECK if n < k else check_repo.TRAIN) for n, i in enumerate(new)}


def split(project: Project, seed: int = 42, *, assign: bool = True) -> Split:
    """The reviewed records by role. With ``assign`` the new roles are stored (a training run);
    without, nothing is written (a preview for the dialog)."""
    with project.transaction() if assign else project.reading() as s:
        reviewed = repo.record_ids(s, status=[RecordStatus.REVIEWED])
        have = check_repo.roles(s)
        added = choose(reviewed, have, seed)
        if assign and added:
            check_repo.set_roles(s, added)
        roles = {**have, **added}
        records = list(repo.iter_records(s, status=[RecordStatus.REVIEWED], image_root=project.image_root))
    check = [r for r in records if roles.get(r.id) == check_repo.CHECK]
    train = [r for r in records if roles.get(r.id) != check_repo.CHECK]
    n_new_check = sum(1 for r in added.values() if r == check_repo.CHECK)
    return Split(check, train, n_new_check, len(added) - n_new_check)


def assigned_check(project: Project) -> list[Record]:
    """The reviewed records that already are in the check set (nothing assigned, nothing written)."""
    with project.reading() as s:  # by id: the versions panel asks on every refresh, the project may be large
        records = [repo.get_record(s, i, project.image_root) for i in sorted(check_repo.check_ids(s))]
    return [r for r in records if r.status == RecordStatus.REVIEWED]


def check_ids(project: Project) -> set[int]:
    """Record ids in the check set (reviewed or not any more: a role is never taken back)."""
    with project.reading() as s:
        return check_repo.check_ids(s)


def check_key(records: list[Record]) -> str:
    """Names one state of the check set: its records, their texts and gold spans. A score is only
    ever compared with scores on the same key."""
    h = hashlib.sha256()
    for r in sorted(records, key=lambda r: r.id or 0):
        h.update(f"{r.id}\x00{r.text}\x00".encode())
        for s in sorted((s.start, s.end, s.label) for s in r.spans):
            h.update(f"{s}\x01".encode())
        h.update(b"\x02")
    return h.hexdigest()[:32]
