"""The SQLite store's own tests (test_store.py) that take nothing but a project, run again on a
server project: the same storage functions must behave the same on PostgreSQL."""

from __future__ import annotations

import pytest
import test_store  # tests/storage is on sys.path while pytest collects this folder

from madpg_core.storage.project import Project

SHARED = ("test_each_action_is_one_transaction", "test_span_edits_and_status",
          "test_prelabel_never_touches_human_spans_or_reviewed_records", "test_schema_refuses_to_drop_a_type_in_use")


@pytest.mark.parametrize("case", SHARED)
def test_the_sqlite_case_holds_on_postgresql(case: str, pg_url: str) -> None:
    with Project.create(pg_url) as project:
        getattr(test_store, case)(project)
