"""The project store on a real PostgreSQL server (a server project). Each test gets a fresh database
from the ``pg_url`` fixture and skips, saying why, where no server is configured (see
tests/pg_cluster.py and .ci/run)."""

from __future__ import annotations

import multiprocessing as mp
import os
from pathlib import Path

import pytest
from sqlalchemy import inspect, select, text

from madpg_core.domain import LabelSchema, Record, RecordStatus, Span, SpanSource
from madpg_core.errors import MadpgError, OverlapError, StaleWriteError
from madpg_core.storage import db, repo
from madpg_core.storage.orm import ImageBlobRow
from madpg_core.storage.project import Project


@pytest.fixture
def server_project(pg_url: str) -> Project:
    with Project.create(pg_url) as p:
        yield p


def _columns(engine) -> dict[str, set[str]]:  # noqa: ANN001
    insp = inspect(engine)
    return {t: {c["name"] for c in insp.get_columns(t)} for t in insp.get_table_names()}


def test_migrations_give_postgresql_the_tables_of_sqlite(pg_url: str, tmp_path: Path) -> None:
    pg = db.make_engine(pg_url)
    lite = db.make_engine(tmp_path / "x.sqlite")
    try:
        db.upgrade(pg)
        db.upgrade(lite)
        assert db.current_revision(pg) == db.current_revision(lite) == db.HEAD_REVISION
        assert _columns(pg) == _columns(lite)
    finally:
        pg.dispose()
        lite.dispose()


def test_older_server_project_upgrades_keeping_its_data(pg_url: str) -> None:
    engine = db.make_engine(pg_url)
    db.upgrade(engine, "0007")
    with engine.begin() as c:
        c.execute(text("INSERT INTO project (id, name, created_at) VALUES (1, 'old', now())"))
        c.execute(text("INSERT INTO entity_types (id, name, color, key, position) VALUES (1, 'Disease', '#E69F00', '1', 0)"))
        c.execute(text("INSERT INTO records (id, name, text, status, created_at, updated_at) "
                       "VALUES (1, 'r1', '患者肺炎', 'reviewed', now(), now())"))
        c.execute(text('INSERT INTO spans (record_id, start, "end", type_id, source, created_at) '
                       "VALUES (1, 2, 4, 1, 'annotator', now())"))
    engine.dispose()
    with Project.open(pg_url) as p:
        assert db.current_revision(p.engine) == db.HEAD_REVISION
        with p.reading() as s:
            rec = repo.get_record(s, 1)
            who = s.execute(text("SELECT a.name FROM spans s JOIN annotators a ON a.id = s.annotator_id")).scalar()
    assert rec.text == "患者肺炎" and rec.status == RecordStatus.REVIEWED
    assert [(sp.start, sp.end, sp.label) for sp in rec.spans] == [(2, 4, "Disease")]
    assert who == "unknown"


def test_create_and_open_refuse_with_a_message(pg_url: str) -> None:
    Project.create(pg_url, LabelSchema.from_names(["Disease", "Symptom"]), name="ward").close()
    with pytest.raises(MadpgError, match="already holds a MADPG project"):
        Project.create(pg_url)
    with Project.open(pg_url) as p:
        assert p.is_server and p.name == "ward" and p.schema().names == ("Disease", "Symptom")
        assert p.db_path is None and p.url.startswith("postgresql://")
    with Project.open(pg_url, read_only=True) as p, pytest.raises(MadpgError, match="read-only"):
        with p.transaction():
            pass
    missing = pg_url.replace(pg_url.rsplit("/", 1)[1].split("?")[0], "madpg_no_such_db", 1)
    with pytest.raises(MadpgError, match="no database"):
        Project.open(missing)
    with pytest.raises(MadpgError, match="cannot reach the PostgreSQL server"):
        Project.open("postgresql://nobody@127.0.0.1:1/nothing")


def test_an_empty_database_is_not_a_project_and_another_apps_is_left_alone(pg_url: str) -> None:
    with pytest.raises(MadpgError, match="is empty, not a MADPG project"):
        Project.open(pg_url)
    engine = db.make_engine(pg_url)
    with engine.begin() as c:
        c.execute(text("CREATE TABLE invoices (id int)"))
    engine.dispose()
    with pytest.raises(MadpgError, match="not a MADPG project .*invoices"):
        Project.open(pg_url)
    with pytest.raises(MadpgError, match="not a MADPG project"):
        Project.create(pg_url)


def test_records_spans_and_status(server_project: Project) -> None:
    p = server_project
    with p.transaction() as s:
        rid = repo.add_record(s, Record("发热咳嗽三天"))
        sid = repo.add_span(s, rid, Span(0, 2, "Symptom", SpanSource.MODEL, "v1", 0.4))
    with p.transaction() as s:
        repo.change_span_label(s, sid, "Disease")
        repo.set_status(s, rid, RecordStatus.REVIEWED)
    with pytest.raises(OverlapError), p.transaction() as s:
        repo.add_span(s, rid, Span(4, 6, "Disease"))  # fine on its own …
        repo.add_span(s, rid, Span(1, 3, "Disease"))  # … this overlaps: the whole action rolls back
    with p.reading() as s:
        rec = repo.get_record(s, rid)
        summary = repo.list_records(s, status=RecordStatus.REVIEWED)
        st = repo.stats(s)
    assert [(sp.label, sp.source) for sp in rec.spans] == [("Disease", SpanSource.ANNOTATOR)]
    assert [x.id for x in summary] == [rid] and st.records == 1


def test_schema_and_model_versions(server_project: Project) -> None:
    p = server_project
    with p.transaction() as s:
        repo.add_record(s, Record("肺炎", (Span(0, 2, "Disease"),)))
    with pytest.raises(MadpgError, match="used by 1 spans"), p.transaction() as s:
        repo.set_schema(s, LabelSchema.from_names(["Symptom"]))
    with p.transaction() as s:
        repo.set_schema(s, LabelSchema.from_names(["疾病", "Symptom"]), renames={"Disease": "疾病"})
        v0 = repo.add_model_version(s, "/shared/models/bundled", "madpg-lite", 0, {"f1": 0.8}, version=0)
        repo.activate_model_version(s, 0)
        v1 = repo.add_model_version(s, "/shared/models/v1", "madpg-lite", 10, {"f1": 0.9})
    with p.reading() as s:
        assert repo.get_record(s, 1).spans[0].label == "疾病"
        assert repo.active_model_version(s).version == 0
        # a server project's model versions are kept by the path given (a shared folder)
        assert [v.path for v in repo.list_model_versions(s)] == [v0.path, v1.path] == \
            ["/shared/models/bundled", "/shared/models/v1"]


def test_images_go_through_image_blobs_to_every_desk(server_project: Project, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    p = server_project
    src = tmp_path / "scan.png"
    src.write_bytes(b"\x89PNG fake bytes of one desk")
    sha, rel, name = p.store_image(src)
    with p.transaction() as s:  # an import's way: the file is staged and published, the row added
        rid = repo.add_record(s, Record("胸片"), [(sha, rel, name)])
    with p.reading() as s:
        assert s.scalar(select(ImageBlobRow.data).where(ImageBlobRow.sha256 == sha)) == src.read_bytes()
    url = p._url
    # another desk: its own local working folder, where the image is not yet
    monkeypatch.setenv("MADPG_HOME", str(tmp_path / "desk2"))
    with Project.open(url) as other:
        assert other.folder != p.folder and not (other.folder / rel).exists()
        with other.reading() as s:
            rec = repo.get_record(s, rid, other.image_root)
        assert Path(rec.images[0]).read_bytes() == src.read_bytes()


def test_an_image_added_in_a_transaction_is_uploaded_when_it_commits(server_project: Project,
                                                                    tmp_path: Path) -> None:
    from madpg_core.storage.image_store import staged_images

    p = server_project
    src = tmp_path / "ct.dcm"
    src.write_bytes(b"DICM not really")
    with p.transaction() as s, staged_images(p.folder, p.image_referenced) as stage:
        sha, rel, name = stage.add(src)
        repo.add_records(s, [Record("CT 报告")], [[(sha, rel, name)]])
        stage.publish()
    with p.reading() as s:
        assert s.scalar(select(ImageBlobRow.suffix).where(ImageBlobRow.sha256 == sha)) == ".dcm"
    # a failed import uploads nothing
    other = tmp_path / "other.png"
    other.write_bytes(b"never committed")
    with pytest.raises(RuntimeError), p.transaction() as s, staged_images(p.folder, p.image_referenced) as stage:
        sha2, rel2, name2 = stage.add(other)
        repo.add_record(s, Record("x"), [(sha2, rel2, name2)])
        stage.publish()
        raise RuntimeError("the import failed")
    with p.reading() as s:
        assert s.scalar(select(ImageBlobRow.sha256).where(ImageBlobRow.sha256 == sha2)) is None


def test_a_stale_write_is_refused(server_project: Project) -> None:
    p = server_project
    with p.transaction() as s:
        rid = repo.add_record(s, Record("发热咳嗽三天"))
        sid = repo.add_span(s, rid, Span(0, 2, "Symptom"))
    with p.reading() as s:
        read = repo.get_record(s, rid).spans[0].revision
    with Project.open(p._url) as desk2, desk2.transaction() as s:
        repo.change_span_label(s, sid, "Disease", expected_revision=read)
    with pytest.raises(StaleWriteError), p.transaction() as s:
        repo.change_span_label(s, sid, "Organ", expected_revision=read)
    with p.reading() as s:
        assert repo.get_record(s, rid).spans[0].label == "Disease"


def test_the_cli_creates_and_reads_a_server_project(pg_url: str, capsys: pytest.CaptureFixture) -> None:
    from madpg_core.cli import main

    assert main(["init", pg_url, "--labels", "Disease,Symptom"]) == 0
    assert "on the server postgresql://" in capsys.readouterr().out
    assert main(["stats", pg_url]) == 0
    assert "0 records" in capsys.readouterr().out


# ---------------------------------------------------------------- two processes at once


def _writer(url: str, home: str, who: str, record_id: int, hot_span: int, offsets: list[int], rounds: int,
            out: mp.Queue) -> None:
    os.environ["MADPG_HOME"] = home
    os.environ["MADPG_ANNOTATOR"] = who
    based_on, refused = [], 0
    with Project.open(url) as p:
        for i in range(rounds):
            with p.transaction() as s:  # own spans: unique offsets, never in conflict
                repo.add_span(s, record_id, Span(offsets[i], offsets[i] + 1, "Symptom"))
            while True:  # the shared span: read its revision, write based on it, re-read when refused
                with p.reading() as s:
                    rev = next(sp.revision for sp in repo.get_record(s, record_id).spans if sp.id == hot_span)
                try:
                    with p.transaction() as s:
                        repo.change_span_label(s, hot_span, "Disease" if i % 2 else "Organ", expected_revision=rev)
                    based_on.append(rev)
                    break
                except StaleWriteError:
                    refused += 1
    out.put((who, based_on, refused))


def test_two_processes_writing_at_once_lose_no_update(server_project: Project, tmp_path: Path) -> None:
    p = server_project
    rounds = 25
    with p.transaction() as s:
        rid = repo.add_record(s, Record("热" * 120))
        hot = repo.add_span(s, rid, Span(0, 1, "Symptom"))
    ctx = mp.get_context("spawn")
    out = ctx.Queue()
    procs = [ctx.Process(target=_writer, args=(p._url, str(tmp_path / who), who, rid, hot,
                                               list(range(1 + 50 * n, 1 + 50 * n + rounds)), rounds, out))
             for n, who in enumerate(("li", "wang"))]
    for proc in procs:
        proc.start()
    results = [out.get(timeout=120) for _ in procs]
    for proc in procs:
        proc.join(30)
        assert proc.exitcode == 0
    with p.reading() as s:
        spans = repo.get_record(s, rid).spans
    # every span either writer added is there …
    assert len(spans) == 1 + 2 * rounds
    # … and no write to the shared span was based on a state another successful write also read
    based_on = [rev for _, revs, _ in results for rev in revs]
    assert len(based_on) == 2 * rounds and len(set(based_on)) == len(based_on)
    final = next(sp for sp in spans if sp.id == hot)
    assert final.revision == 1 + 2 * rounds


def _hold_span_lock(url: str, span_id: int, holding, release) -> None:  # noqa: ANN001 - Events
    """Another desk changes the span and keeps its transaction open until ``release`` (30 s at most)."""
    with Project.open(url) as other, other.transaction() as s:
        repo.change_span_label(s, span_id, "Disease")
        holding.set()
        release.wait(30)


def test_a_writer_behind_another_hears_on_wait_and_then_writes(server_project: Project) -> None:
    import threading

    p = server_project
    with p.transaction() as s:
        rid = repo.add_record(s, Record("发热"))
        sid = repo.add_span(s, rid, Span(0, 2, "Symptom"))
    waited: list[float] = []
    holding, release = threading.Event(), threading.Event()

    def on_wait(seconds: float) -> None:
        waited.append(seconds)
        release.set()  # heard: the other desk may commit now, and this write goes through

    holder = threading.Thread(target=_hold_span_lock, args=(p._url, sid, holding, release))
    holder.start()
    assert holding.wait(30)  # the other desk holds the row now
    try:
        with Project.open(p._url, on_wait=on_wait) as desk, desk.transaction() as s:
            repo.change_span_label(s, sid, "Organ")
    finally:
        release.set()
        holder.join()
    assert waited and waited[0] >= db.BUSY_SLICE_MS / 1000
    with p.reading() as s:
        assert repo.get_record(s, rid).spans[0].label == "Organ"


def test_a_writer_gives_up_with_a_message_after_the_wait_limit(server_project: Project,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    import threading

    p = server_project
    with p.transaction() as s:
        rid = repo.add_record(s, Record("发热"))
        sid = repo.add_span(s, rid, Span(0, 2, "Symptom"))
    holding, release = threading.Event(), threading.Event()
    holder = threading.Thread(target=_hold_span_lock, args=(p._url, sid, holding, release))
    holder.start()
    assert holding.wait(30)
    monkeypatch.setattr(db, "WRITE_WAIT_S", 1.0)
    try:
        with Project.open(p._url) as desk, pytest.raises(MadpgError, match="nothing was changed"):
            with desk.transaction() as s:
                repo.change_span_label(s, sid, "Organ")
    finally:
        release.set()
        holder.join()
    with p.reading() as s:
        assert repo.get_record(s, rid).spans[0].label == "Disease"


def test_the_local_working_folder_reopens_its_server_project(server_project: Project) -> None:
    # the window remembers project.folder (recent projects, the last project): for a server
    # project that is its local working folder, which must lead back to the server
    folder = server_project.folder
    assert (folder / "server.url").read_text().strip() == server_project.url
    assert ":" not in server_project.url.split("@")[0].removeprefix("postgresql://")  # no password
    with Project.open(folder) as again:
        assert again.is_server and again.url == server_project.url


def _add_and_hold(url: str, record_id: int, span: Span, seconds: float, started) -> None:  # noqa: ANN001
    import time

    with Project.open(url) as p, p.transaction() as s:
        repo.add_span(s, record_id, span)
        started.set()
        time.sleep(seconds)  # not committed yet: another desk's overlap check cannot see this span


def test_two_desks_cannot_add_overlapping_spans_at_once(server_project: Project) -> None:
    # READ COMMITTED: the second desk's overlap check must wait for the first desk's commit (the
    # record row's lock, taken first), or both inserts pass and one layer holds overlapping spans
    import threading

    p = server_project
    with p.transaction() as s:
        rid = repo.add_record(s, Record("发热咳嗽三天"))
    started = threading.Event()
    first = threading.Thread(target=_add_and_hold, args=(p._url, rid, Span(0, 4, "Symptom"), 1.5, started))
    first.start()
    started.wait(10)
    try:
        with p.transaction() as s:
            repo.add_span(s, rid, Span(2, 6, "Disease"))  # overlaps the first desk's span
    except OverlapError:
        pass  # refused: what must happen once the first desk committed
    finally:
        first.join()
    with p.reading() as s:
        layer0 = [(sp.start, sp.end) for sp in repo.get_record(s, rid).spans if sp.layer == 0]
    assert layer0 == [(0, 4)]


def test_an_import_with_images_reaches_another_desk_and_exports_there(server_project: Project, tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    import json

    from PIL import Image

    from madpg_core import transfer

    src = tmp_path / "in"
    src.mkdir()
    Image.new("RGB", (8, 8), (200, 10, 10)).save(src / "a.png")
    (src / "a.jsonl").write_text("\n".join(json.dumps({"text": f"胸片{i}", "images": ["a.png"]}, ensure_ascii=False)
                                           for i in range(3)), encoding="utf-8")
    report = transfer.import_into(server_project, src / "a.jsonl", "jsonl")
    assert report.images == 3
    with server_project.reading() as s:
        assert s.scalar(select(text("count(*)")).select_from(ImageBlobRow)) == 1  # one image, stored once
    monkeypatch.setenv("MADPG_HOME", str(tmp_path / "desk2"))
    with Project.open(server_project._url, read_only=True) as other:
        counts = transfer.export_project(other, tmp_path / "out.jsonl", "jsonl", "all")
    assert counts.written == 3 and counts.images == 1 and not counts.missing_images


def test_a_user_who_may_not_create_tables_is_told_so(pg_url: str) -> None:
    import uuid

    from sqlalchemy.engine import make_url

    role = f"madpg_reader_{uuid.uuid4().hex[:8]}"
    admin = db.make_engine(pg_url)
    with admin.begin() as c:
        c.execute(text(f'CREATE ROLE "{role}" LOGIN'))  # PostgreSQL 15: no CREATE on schema public
    try:
        url = make_url(pg_url).set(username=role).render_as_string(hide_password=False)
        with pytest.raises(MadpgError, match="permission denied"):
            Project.create(url)
    finally:
        with admin.begin() as c:
            c.execute(text(f'DROP OWNED BY "{role}"'))
            c.execute(text(f'DROP ROLE "{role}"'))
        admin.dispose()
