"""What a server project (a PostgreSQL database shared by a department) needs beyond its engine.

A server project has no project folder. Each desk keeps a **local working folder** for it, under
the user's cache folder (``…/madpg/server/<host>-<database>-<user>/``): the image cache, import
staging, the place where the user left off. Nothing in it is project data — deleting it loses
nothing but cached copies.

Images live in the ``image_blobs`` table (every desk sees them), keyed by content hash. An image
row keeps the same ``images/ab/<sha>.<suffix>`` rel_path a folder project uses, resolved inside
the local working folder, so every reader that wants a file path (the image pane, training,
export) keeps working:

* reading: when a session of a server project loads an image row whose file is not cached yet,
  the bytes are fetched from ``image_blobs`` (on the session's own connection, so an image inserted
  earlier in the same transaction is found) and written there (to a temporary name, then renamed:
  a reader never sees half a file);
* writing: the image rows a transaction adds (ORM objects or bulk inserts) are noted, and just
  before it commits, the bytes of those whose hash is not in ``image_blobs`` yet are inserted from
  the local files the import published — in the same transaction, so a record never refers to an
  image other desks cannot get.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterable
from pathlib import Path

import platformdirs
from sqlalchemy import event, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm import Session

from madpg_core.errors import MadpgError
from madpg_core.storage.orm import ImageBlobRow, ImageRow

log = logging.getLogger(__name__)

BLOB_CACHE = "blob_cache"  # session.info key: the local working folder of a server project's session
ADDED = "images_added"  # session.info key: {rel_path: sha256} added in this transaction


def cache_root() -> Path:
    h = os.environ.get("MADPG_HOME")
    return Path(h) / "cache" if h else Path(platformdirs.user_cache_dir("madpg"))


def local_folder(url) -> Path:  # noqa: ANN001 - sqlalchemy URL
    """The desk's working folder of the server project at ``url`` (created if need be)."""
    host = url.host or url.query.get("host") or "local"  # a socket folder comes as ?host=/run/…
    port = url.port or url.query.get("port") or 5432
    parts = [str(host), str(port), url.database or "", url.username or ""]
    slug = re.sub(r"[^A-Za-z0-9_.-]+", "_", "-".join(parts)).strip("._") or "server"
    folder = cache_root() / "server" / slug[:120]
    folder.mkdir(parents=True, exist_ok=True)
    return folder


MARKER = "server.url"  # in a local working folder: the address (no password) it stands for


def mark_folder(folder: Path, url: str) -> None:
    marker = folder / MARKER
    try:
        if not marker.is_file() or marker.read_text(encoding="utf-8").strip() != url:
            marker.write_text(url + "\n", encoding="utf-8")
    except OSError as e:  # only reopening by folder is lost
        log.warning("cannot write %s: %s", marker, e)


def marked_url(folder: Path) -> str | None:
    """The server project a local working folder stands for, or None for any other folder."""
    try:
        text = (Path(folder) / MARKER).read_text(encoding="utf-8").strip()
    except OSError:
        return None
    return text or None


def suffix_of(rel_path: str) -> str:
    return Path(rel_path).suffix.lower() or ".bin"


# ---------------------------------------------------------------- reading: blobs → cached files


@event.listens_for(ImageRow, "load")
def _image_loaded(row: ImageRow, context) -> None:  # noqa: ANN001 - sqlalchemy QueryContext
    session = context.session
    folder = session.info.get(BLOB_CACHE) if session is not None else None
    if folder is None:  # a folder project: its images are files already
        return
    target = Path(folder) / row.rel_path
    if target.is_file():
        return
    data = session.connection().execute(
        select(ImageBlobRow.__table__.c.data).where(ImageBlobRow.__table__.c.sha256 == row.sha256)).scalar()
    if data is None:
        # shown as a missing image, as on a folder project whose file went away
        log.warning("image %s is not in the server project's image_blobs", row.sha256)
        return
    write_cached(target, bytes(data))


def write_cached(target: Path, data: bytes) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    part = target.with_name(f".{target.name}.{os.getpid()}.part")
    part.write_bytes(data)
    os.replace(part, target)  # atomic: a reader sees no file or the whole file


# ---------------------------------------------------------------- writing: new image rows → blobs


def watch_session(session: Session, folder: Path) -> None:
    """Make ``session`` (of a server project) read and write image bytes through ``image_blobs``."""
    session.info[BLOB_CACHE] = str(folder)
    session.info[ADDED] = {}


@event.listens_for(Session, "do_orm_execute")
def _bulk_insert(state) -> None:  # noqa: ANN001 - sqlalchemy ORMExecuteState
    added = state.session.info.get(ADDED)
    if added is None or not state.is_insert:
        return
    if state.bind_mapper is None or state.bind_mapper.class_ is not ImageRow:
        return
    params = state.parameters
    for p in params if isinstance(params, list) else [params] if params else []:
        if p.get("rel_path") and p.get("sha256"):
            added[p["rel_path"]] = p["sha256"]


@event.listens_for(Session, "after_flush")
def _flushed(session: Session, _context) -> None:  # noqa: ANN001
    added = session.info.get(ADDED)
    if added is None:
        return
    for obj in session.new:
        if isinstance(obj, ImageRow):
            added[obj.rel_path] = obj.sha256


@event.listens_for(Session, "before_commit")
def _upload(session: Session) -> None:
    added = session.info.get(ADDED)
    if not added:
        return
    session.flush()  # rows still pending are noted by after_flush
    upload(session, Path(session.info[BLOB_CACHE]), added.items())
    added.clear()


def upload(session: Session, folder: Path, images: Iterable[tuple[str, str]]) -> int:
    """Insert the bytes of ``images`` ((rel_path, sha256) under ``folder``) missing from
    ``image_blobs`` → how many were inserted. Two desks importing the same image at once: the
    second insert does nothing (ON CONFLICT), both records see one blob."""
    wanted = dict((sha, rel) for rel, sha in images)
    if not wanted:
        return 0
    have = set(session.execute(select(ImageBlobRow.sha256).where(ImageBlobRow.sha256.in_(list(wanted)))).scalars())
    inserted = 0
    for sha, rel in wanted.items():
        if sha in have:
            continue
        path = folder / rel
        if not path.is_file():
            raise MadpgError(f"image {rel} was not found in the local working folder {folder}; "
                             "nothing was saved — import it again")
        stmt = pg_insert(ImageBlobRow.__table__).values(sha256=sha, suffix=suffix_of(rel), data=path.read_bytes())
        session.execute(stmt.on_conflict_do_nothing(index_elements=["sha256"]))
        inserted += 1
    return inserted
