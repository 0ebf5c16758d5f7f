"""Dependency parses cached in SQLite, keyed by (sha256 of the text, parser version).

``SqlParseCache`` works on a project's file or on a standalone cache file (for training from
corpus files outside a project, see :func:`madpg_core.paths.parse_cache_path`); both use the same
``parses`` table. Reads of a batch take one session (``get_many``: one connection, ``IN`` lists of
:data:`GET_CHUNK` hashes); writes of a batch take one write transaction (``put_many``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.dialects.sqlite import insert
from sqlalchemy.orm import Session, sessionmaker

from madpg_core.storage import db
from madpg_core.storage.orm import ParseRow
from madpg_core.text.protocol import Parse

GET_CHUNK = 500  # hashes per SELECT ... IN (...): well under SQLite's bound-variable limit
PUT_CHUNK = 500  # rows per INSERT statement (4 variables a row), all in one transaction


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def _parse(words: list, heads: list, parser_version: str) -> Parse:
    return Parse(tuple(tuple(w) for w in words), tuple(heads), parser_version)


class SqlParseCache:
    """Implements madpg_core.text.protocol.ParseCache (with ``get_many`` and ``put_many``).

    Args:
        sessions: sessions that read (a project's ``sessions``).
        writing: sessions whose transactions take the write lock when they begin (a project's
            ``writing``, see ``db.writer``); default ``sessions``.
    """

    def __init__(self, sessions: sessionmaker[Session], writing: sessionmaker[Session] | None = None) -> None:
        self.sessions = sessions
        self.writing = writing if writing is not None else sessions

    @classmethod
    def standalone(cls, path: Path | str) -> SqlParseCache:
        """A cache file of its own (created and migrated like a project file; a file already at
        the newest schema is not handed to alembic at all)."""
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = db.make_engine(path)
        if db.current_revision(engine) != db.HEAD_REVISION:
            db.upgrade(engine)
        return cls(db.make_session_factory(engine), db.make_session_factory(db.writer(engine)))

    def get(self, text: str, parser_version: str) -> Parse | None:
        return self.get_many([text], parser_version)[0]

    def get_many(self, texts: Sequence[str], parser_version: str) -> list[Parse | None]:
        """The cached parse of each text (None where there is none), in order, in one session."""
        hashes = [text_hash(t) for t in texts]
        if not hashes:
            return []
        unique = list(dict.fromkeys(hashes))
        found: dict[str, Parse] = {}
        with self.sessions() as s:
            for k in range(0, len(unique), GET_CHUNK):
                rows = s.execute(select(ParseRow.text_hash, ParseRow.words, ParseRow.heads).where(
                    ParseRow.parser_version == parser_version, ParseRow.text_hash.in_(unique[k : k + GET_CHUNK])))
                for h, words, heads in rows:
                    found[h] = _parse(words, heads, parser_version)
        return [found.get(h) for h in hashes]

    def put(self, text: str, parse: Parse) -> None:
        self.put_many([(text, parse)])

    def put_many(self, items: Sequence[tuple[str, Parse]]) -> None:
        """Store parses in one write transaction; a (text, version) already cached is kept."""
        if not items:
            return
        values = [{"text_hash": text_hash(t), "parser_version": p.parser_version,
                   "words": [list(w) for w in p.words], "heads": list(p.heads)} for t, p in items]
        with self.writing() as s, s.begin():
            for k in range(0, len(values), PUT_CHUNK):
                s.execute(insert(ParseRow).values(values[k : k + PUT_CHUNK]).on_conflict_do_nothing())
