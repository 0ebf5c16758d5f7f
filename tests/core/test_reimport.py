"""Re-importing records the project already has (same name, same text): skip, replace or add, with
counts; reviewed work is not replaced unless asked; one transaction, whatever the choice."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PIL import Image

from madpg_core import transfer
from madpg_core.domain import RecordStatus
from madpg_core.errors import MadpgError
from madpg_core.formats import load_type_map
from madpg_core.paths import RESOURCES
from madpg_core.storage import check_repo, image_store, repo
from madpg_core.storage.orm import RecordRow
from madpg_core.storage.project import Project


@pytest.fixture
def project(tmp_path: Path) -> Project:
    with Project.create(tmp_path / "p") as p:
        yield p


def jsonl(path: Path, *objs: dict) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(o, ensure_ascii=False) + "\n" for o in objs), encoding="utf-8")
    return path


def rec(name: str, text: str = "发热咳嗽三天", label: str = "Symptom", status: str = "new", **more: object) -> dict:
    return {"name": name, "text": text, "status": status, "spans": [{"start": 0, "end": 2, "label": label}], **more}


def contents(project: Project) -> list[tuple]:
    with project.reading() as s:
        return [(r.id, r.name, r.text, r.status, [(sp.start, sp.end, sp.label) for sp in r.spans], len(r.images))
                for r in repo.iter_records(s)]


def test_re_importing_a_file_skips_its_records_by_default(project: Project, tmp_path: Path) -> None:
    src = jsonl(tmp_path / "a.jsonl", rec("a"), rec("b", "胸痛"), rec("c", "头痛"))
    first = transfer.import_into(project, src, "jsonl")
    assert (first.records, first.added, first.skipped) == (3, 3, 0)
    before = contents(project)
    again = transfer.import_into(project, src, "jsonl")
    assert contents(project) == before
    assert (again.records, again.spans, again.added, again.skipped, again.replaced) == (0, 0, 0, 3, 0)
    assert again.summary() == ("imported 0 records, 0 entities, 0 images; "
                               "already in the project (same name and text): 3 skipped")


def test_same_name_or_same_text_alone_is_not_a_duplicate(project: Project, tmp_path: Path) -> None:
    transfer.import_into(project, jsonl(tmp_path / "a.jsonl", rec("a", "发热")), "jsonl")
    report = transfer.import_into(project, jsonl(tmp_path / "b.jsonl", rec("a", "咳嗽"), rec("z", "发热")), "jsonl")
    assert (report.added, report.skipped) == (2, 0)
    assert len(contents(project)) == 3


def test_replace_takes_the_file_spans_and_status_and_keeps_id_note_and_role(project: Project, tmp_path: Path) -> None:
    transfer.import_into(project, jsonl(tmp_path / "a.jsonl", rec("a", status="pre-labelled"), rec("b", "胸痛")),
                         "jsonl")
    with project.transaction() as s:
        ids = repo.record_ids(s)
        repo.update_text_note(s, ids[0], "ask the radiologist")
        check_repo.set_roles(s, {ids[0]: check_repo.CHECK})
    newer = rec("a", label="Disease", status="new")
    newer["spans"].append({"start": 2, "end": 4, "label": "Symptom"})
    report = transfer.import_into(project, jsonl(tmp_path / "a2.jsonl", newer), "jsonl", on_duplicate="replace")
    assert (report.records, report.replaced, report.added, report.spans) == (1, 1, 0, 2)
    with project.reading() as s:
        r = repo.get_record(s, ids[0])
        assert r.status == RecordStatus.NEW
        assert [(sp.start, sp.end, sp.label) for sp in r.spans] == [(0, 2, "Disease"), (2, 4, "Symptom")]
        assert s.get(RecordRow, ids[0]).note == "ask the radiologist"  # no format carries a note
        assert check_repo.roles(s) == {ids[0]: check_repo.CHECK}
        assert repo.record_ids(s) == ids  # no temporary record left behind
        assert [r.name for r in repo.iter_records(s)] == ["a", "b"]


def test_replace_keeps_reviewed_records_unless_told(project: Project, tmp_path: Path) -> None:
    transfer.import_into(project, jsonl(tmp_path / "a.jsonl", rec("a", status="reviewed"), rec("b", "胸痛")), "jsonl")
    src = jsonl(tmp_path / "a2.jsonl", rec("a", label="Disease"), rec("b", "胸痛", label="Organ"))
    before = contents(project)
    kept = transfer.import_into(project, src, "jsonl", on_duplicate="replace")
    assert (kept.replaced, kept.kept_reviewed, kept.replaced_reviewed) == (1, 1, 0)
    after = contents(project)
    assert after[0] == before[0] and after[1][4] == [(0, 2, "Organ")]
    assert "1 replaced, 1 kept (reviewed)" in kept.summary()
    forced = transfer.import_into(project, src, "jsonl", on_duplicate="replace", replace_reviewed=True)
    assert (forced.replaced, forced.replaced_reviewed, forced.kept_reviewed) == (2, 1, 0)
    assert contents(project)[0][3:5] == (RecordStatus.NEW, [(0, 2, "Disease")])
    assert "2 replaced (1 of them reviewed)" in forced.summary()


def test_replace_swaps_the_images(project: Project, tmp_path: Path) -> None:
    Image.new("RGB", (8, 6), (200, 30, 30)).save(tmp_path / "old.png")
    Image.new("RGB", (8, 6), (30, 200, 30)).save(tmp_path / "new.png")
    transfer.import_into(project, jsonl(tmp_path / "a.jsonl", rec("a", images=["old.png"])), "jsonl")
    transfer.import_into(project, jsonl(tmp_path / "b.jsonl", rec("a", images=["new.png", "old.png"])), "jsonl",
                         on_duplicate="replace")
    with project.reading() as s:
        (r,) = list(repo.iter_records(s))
    assert r.image_names == ("new.png", "old.png")


def test_add_adds_them_again_and_says_so(project: Project, tmp_path: Path) -> None:
    src = jsonl(tmp_path / "a.jsonl", rec("a"), rec("b", "胸痛"))
    transfer.import_into(project, src, "jsonl")
    report = transfer.import_into(project, src, "jsonl", on_duplicate="add")
    assert (report.records, report.added, report.added_again) == (2, 2, 2)
    assert len(contents(project)) == 4
    assert "2 added again" in report.summary()


@pytest.mark.parametrize("policy, stored, added", [("skip", 2, 2), ("replace", 2, 2), ("add", 3, 3)])
def test_repeats_within_the_file_are_reported(project: Project, tmp_path: Path, policy: str, stored: int,
                                              added: int) -> None:
    src = jsonl(tmp_path / "a.jsonl", rec("a"), rec("b", "胸痛"), rec("a", label="Disease"))
    report = transfer.import_into(project, src, "jsonl", on_duplicate=policy)
    assert (report.repeated, report.added, report.records) == (1, added, stored)
    rows = contents(project)
    assert len(rows) == stored and rows[0][4] == [(0, 2, "Symptom")]  # the first copy is the record
    assert any("repeat an earlier record of the file" in w and ": a;" in w for w in report.warnings)


def test_skipped_records_images_are_not_even_read(project: Project, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    Image.new("RGB", (8, 6)).save(tmp_path / "x.png")
    src = jsonl(tmp_path / "a.jsonl", *(rec(f"r{i}", images=["x.png"]) for i in range(4)))
    transfer.import_into(project, src, "jsonl")
    seen: list[Path] = []
    monkeypatch.setattr(transfer, "_validate_image", seen.append)
    jsonl(tmp_path / "a.jsonl", *(rec(f"r{i}", images=["x.png"]) for i in range(5)))
    report = transfer.import_into(project, src, "jsonl")
    assert (report.added, report.skipped, len(seen)) == (1, 4, 1)


def test_a_failed_replace_changes_nothing(project: Project, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    transfer.import_into(project, jsonl(tmp_path / "a.jsonl", rec("a"), rec("b", "胸痛")), "jsonl")
    before = contents(project)

    def fail(self: image_store.ImageStaging) -> None:
        raise OSError("disk full while moving images")

    monkeypatch.setattr(image_store.ImageStaging, "publish", fail)
    src = jsonl(tmp_path / "b.jsonl", rec("a", label="Disease"), rec("new", "头晕"))
    with pytest.raises(OSError):
        transfer.import_into(project, src, "jsonl", on_duplicate="replace")
    assert contents(project) == before


def test_a_project_changed_during_the_import_refuses_it(project: Project, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """Between the look-up (before the images) and the write, another program imports the same
    record: the plan is stale, so nothing is written rather than a double."""
    Image.new("RGB", (8, 6)).save(tmp_path / "x.png")
    src = jsonl(tmp_path / "a.jsonl", rec("a", images=["x.png"]))

    def meanwhile(path: Path) -> None:
        with Project.open(project.folder) as other:
            transfer.import_into(other, jsonl(tmp_path / "other.jsonl", rec("a")), "jsonl")

    monkeypatch.setattr(transfer, "_validate_image", meanwhile)
    with pytest.raises(MadpgError, match="while the file was read; nothing was imported"):
        transfer.import_into(project, src, "jsonl")
    assert [r[1] for r in contents(project)] == ["a"]  # the other program's record only


def test_an_unknown_choice_is_refused(project: Project, tmp_path: Path) -> None:
    with pytest.raises(MadpgError, match="on_duplicate must be one of skip, replace, add"):
        transfer.import_into(project, jsonl(tmp_path / "a.jsonl", rec("a")), "jsonl", on_duplicate="merge")


def test_re_importing_cehrner_dev_keeps_44_records(project: Project, shared_data: Path) -> None:
    """The issue's case: 44 records became 88."""
    src = shared_data / "ner" / "cehrner" / "dev.json"
    mapping = load_type_map(RESOURCES / "maps" / "cehrner-to-paper.json")
    assert transfer.import_into(project, src, "cehrner", mapping).added == 44
    again = transfer.import_into(project, src, "cehrner", mapping)
    assert (again.added, again.skipped) == (0, 44)
    with project.reading() as s:
        assert repo.stats(s).records == 44


def test_cli_on_duplicate(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from madpg_core.cli import main

    folder = tmp_path / "cli"
    src = jsonl(tmp_path / "a.jsonl", rec("a", status="reviewed"), rec("b", "胸痛"))
    assert main(["init", str(folder)]) == 0
    assert main(["import", str(folder), str(src), "-f", "jsonl"]) == 0
    capsys.readouterr()
    assert main(["import", str(folder), str(src), "-f", "jsonl"]) == 0
    out, err = capsys.readouterr()
    assert "imported 0 records" in out and "2 skipped" in out and "--on-duplicate replace or add" in err
    assert main(["import", str(folder), str(src), "-f", "jsonl", "--on-duplicate", "replace"]) == 0
    out, err = capsys.readouterr()
    assert "1 replaced, 1 kept (reviewed)" in out and "--replace-reviewed" in err
    assert main(["import", str(folder), str(src), "-f", "jsonl", "--on-duplicate", "replace",
                 "--replace-reviewed"]) == 0
    assert "2 replaced (1 of them reviewed)" in capsys.readouterr().out
    assert main(["import", str(folder), str(src), "-f", "jsonl", "--on-duplicate", "add"]) == 0
    assert "2 added again" in capsys.readouterr().out
    with Project.open(folder, read_only=True) as p, p.reading() as s:
        assert repo.stats(s).records == 4
