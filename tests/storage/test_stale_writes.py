"""Stale writes (CONTEXT.md): two desks on one project (a file, or a PostgreSQL server project),
each with its own Project. An edit based on a span or record that the other desk changed since it
was read is refused with a message naming who changed it; edits of different spans of one record
both succeed."""

from __future__ import annotations

from pathlib import Path

import pytest

from madpg_core.domain import Record, RecordStatus, Span
from madpg_core.errors import MadpgError, StaleWriteError
from madpg_core.storage import repo
from madpg_core.storage.project import Project

TEXT = "患者反复胸闷气促三年，否认高血压。"


@pytest.fixture(params=["sqlite", "postgresql"])
def desks(request: pytest.FixtureRequest, tmp_path: Path):  # noqa: ANN201 - two open projects
    # a project folder, or a server project (skipped, saying why, where no PostgreSQL is configured)
    where = tmp_path / "p" if request.param == "sqlite" else request.getfixturevalue("pg_url")
    Project.create(where).close()
    a, b = Project.open(where, backup=False), Project.open(where, backup=False)
    a.annotator, b.annotator = "wang", "li"
    with a.transaction() as s:
        repo.add_record(s, Record(TEXT, (Span(4, 6, "Symptom"), Span(6, 8, "Symptom"))))
    yield a, b
    a.close()
    b.close()


def _read(p: Project) -> Record:
    with p.reading() as s:
        return repo.get_record(s, 1)


def test_the_second_change_of_one_span_at_an_old_revision_is_refused(desks) -> None:  # noqa: ANN001
    a, b = desks
    seen_a, seen_b = _read(a).spans[0], _read(b).spans[0]
    assert seen_a.revision == seen_b.revision == 1
    with a.transaction() as s:
        repo.change_span_label(s, seen_a.id, "Disease", expected_revision=seen_a.revision)
    with pytest.raises(StaleWriteError, match=r"another annotator \(wang\) changed this span at \d\d:\d\d; "
                                              "the record was reloaded"):
        with b.transaction() as s:
            repo.change_span_label(s, seen_b.id, "Organ", expected_revision=seen_b.revision)
    after = _read(b).spans[0]
    assert (after.label, after.revision) == ("Disease", 2)  # wang's change stands, not overwritten
    with b.transaction() as s:  # re-read, then the edit goes through
        repo.change_span_label(s, after.id, "Organ", expected_revision=after.revision)
    assert _read(a).spans[0].label == "Organ"


def test_different_spans_of_one_record_both_succeed(desks) -> None:  # noqa: ANN001
    a, b = desks
    first, second = _read(a).spans[0], _read(b).spans[1]
    with a.transaction() as s:
        repo.change_span_label(s, first.id, "Disease", expected_revision=first.revision)
    with b.transaction() as s:
        repo.set_span_assertion(s, second.id, "absent", expected_revision=second.revision)
    spans = _read(a).spans
    assert [(x.label, x.assertion) for x in spans] == [("Disease", "present"), ("Symptom", "absent")]


def test_deleting_a_span_another_desk_changed_or_deleted_is_refused(desks) -> None:  # noqa: ANN001
    a, b = desks
    seen = _read(b).spans[0]
    with a.transaction() as s:
        repo.set_span_assertion(s, seen.id, "absent", expected_revision=seen.revision)
    with pytest.raises(StaleWriteError, match="wang"), b.transaction() as s:
        repo.delete_span(s, seen.id, expected_revision=seen.revision)
    fresh = _read(a).spans[0]
    with a.transaction() as s:
        repo.delete_span(s, fresh.id, expected_revision=fresh.revision)
    with pytest.raises(StaleWriteError, match="deleted by someone else"), b.transaction() as s:
        repo.change_span_label(s, fresh.id, "Organ", expected_revision=fresh.revision)
    with pytest.raises(MadpgError, match="does not exist"), b.transaction() as s:  # no revision named: as before
        repo.change_span_label(s, fresh.id, "Organ")


def test_a_whole_record_write_on_an_old_revision_is_refused(desks) -> None:  # noqa: ANN001
    a, b = desks
    old = _read(b)
    with a.transaction() as s:
        repo.add_span(s, 1, Span(11, 13, "Disease"))
    with pytest.raises(StaleWriteError, match="wang"), b.transaction() as s:
        repo.replace_spans(s, 1, [], expected_record_revision=old.revision)
    with pytest.raises(StaleWriteError), b.transaction() as s:
        repo.set_status(s, 1, RecordStatus.REVIEWED, expected_record_revision=old.revision)
    assert len(_read(b).spans) == 3  # nothing lost
    fresh = _read(b)
    with b.transaction() as s:
        repo.replace_spans(s, 1, [], expected_record_revision=fresh.revision)
    assert _read(a).spans == ()


def test_the_same_annotator_in_two_windows_is_told_so(desks) -> None:  # noqa: ANN001
    a, b = desks
    b.annotator = "wang"
    seen = _read(b).spans[0]
    with a.transaction() as s:
        repo.change_span_label(s, seen.id, "Disease", expected_revision=seen.revision)
    with pytest.raises(StaleWriteError, match="by wang in another window"), b.transaction() as s:
        repo.change_span_label(s, seen.id, "Organ", expected_revision=seen.revision)
