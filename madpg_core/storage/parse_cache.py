"""Dependency parses cached in SQLite, keyed by (sha256 of the text, parser version).

``SqlParseCache`` works on a project's file or on a standalone cache file (for training from
corpus files outside a project); both use the same ``parses`` table.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.dialects.sqlite import insert
from sqlalchemy.orm import Session, sessionmaker

from madpg_core.storage import db
from madpg_core.storage.orm import ParseRow
from madpg_core.text.protocol import Parse


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


class SqlParseCache:
    """Implements madpg_core.text.protocol.ParseCache."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.sessions = sessions

    @classmethod
    def standalone(cls, path: Path | str) -> SqlParseCache:
        """A cache file of its own (created and migrated like a project file)."""
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = db.make_engine(path)
        db.upgrade(engine)
        return cls(db.make_session_factory(engine))

    def get(self, text: str, parser_version: str) -> Parse | None:
        with self.sessions() as s:
            row = s.scalar(select(ParseRow).where(
                ParseRow.text_hash == text_hash(text), ParseRow.parser_version == parser_version))
            if row is None:
                return None
            return Parse(tuple(tuple(w) for w in row.words), tuple(row.heads), row.parser_version)

    def put(self, text: str, parse: Parse) -> None:
        self.put_many([(text, parse)])

    def put_many(self, items: list[tuple[str, Parse]]) -> None:
        if not items:
            return
        values = [{"text_hash": text_hash(t), "parser_version": p.parser_version,
                   "words": [list(w) for w in p.words], "heads": list(p.heads)} for t, p in items]
        with self.sessions() as s, s.begin():
            s.execute(insert(ParseRow).values(values).on_conflict_do_nothing())
