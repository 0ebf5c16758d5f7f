"""Regions on a record's images and their links to spans (issue 18 item 1), on a real SQLite project:
validation, annotator, undo of a deletion, links that outlive span rewrites but not the span."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import func, select

from madpg_core.domain import Record, Span
from madpg_core.errors import MadpgError
from madpg_core.regions import (
    GroundedRecord,
    PortableRegion,
    RecordGrounding,
    Region,
    RegionLink,
)
from madpg_core.storage import region_transfer, regions, repo
from madpg_core.storage.orm import (
    AnnotatorRow,
    InvisibleSpanRow,
    RegionLinkRow,
    RegionRow,
)
from madpg_core.storage.project import Project

TEXT = "心影增大，双肺纹理增多，未见胸腔积液。"
SPANS = (Span(0, 4, "Symptom"), Span(5, 11, "Symptom"), Span(14, 18, "Disease"), Span(0, 2, "Organ", layer=1))


def png(path: Path, color: tuple[int, int, int], size: tuple[int, int] = (16, 12)) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", size, color).save(path)
    return path


@pytest.fixture
def project(tmp_path: Path) -> Project:
    with Project.create(tmp_path / "p") as p:
        yield p


@pytest.fixture
def rid(project: Project, tmp_path: Path) -> int:
    """A record with two images and four spans (one in layer 1)."""
    a = project.store_image(png(tmp_path / "a.png", (200, 0, 0)))
    b = project.store_image(png(tmp_path / "b.png", (0, 200, 0)))
    with project.transaction() as s:
        return repo.add_record(s, Record(TEXT, SPANS, name="r1"), [a, b])


def box(rid: int, image: int = 0, frame: int = 0) -> Region:
    return Region(None, rid, image, frame, "box", ((10.0, 8.0), (2.0, 1.0)))


# ---------------------------------------------------------------- the domain object


def test_region_validation() -> None:
    r = Region(None, 1, 0, 0, "box", ((10, 8), (2, 1)))
    assert r.points == ((2.0, 1.0), (10.0, 8.0))  # corners ordered, floats
    assert r.box == (2.0, 1.0, 10.0, 8.0)
    poly = Region(None, 1, 0, 2, "polygon", ((0, 0), (5, 0), (3, 4.5)))
    assert poly.box == (0.0, 0.0, 5.0, 4.5)
    bad = [
        ("box", ((1, 1),)),  # one corner
        ("box", ((1, 1), (2, 2), (3, 3))),
        ("box", ((1, 1), (1, 5))),  # no width
        ("polygon", ((0, 0), (1, 1))),
        ("circle", ((0, 0), (1, 1))),
        ("box", ((-1, 0), (3, 3))),
        ("box", ((math.nan, 0), (3, 3))),
        ("box", ((math.inf, 0), (3, 3))),
        ("box", ((True, 0), (3, 3))),
        ("box", (("1", 0), (3, 3))),
        ("box", "ab"),
    ]
    for kind, points in bad:
        with pytest.raises(MadpgError):
            Region(None, 1, 0, 0, kind, points)
    for image_index, frame in ((-1, 0), (0, -1), (0, 1.5)):
        with pytest.raises(MadpgError):
            Region(None, 1, image_index, frame, "box", ((0, 0), (1, 1)))
    with pytest.raises(MadpgError):
        RegionLink(1, 5, 5)
    with pytest.raises(MadpgError):
        RegionLink(1, 0, 2, -1)


# ---------------------------------------------------------------- storage


def test_add_list_move_with_annotator(project: Project, rid: int) -> None:
    with project.transaction() as s:
        s.info["annotator"] = "李医生"
        r1 = regions.add_region(s, box(rid))
        r2 = regions.add_region(s, Region(None, rid, 1, 3, "polygon", ((1, 1), (9, 1), (5, 7))))
    with project.reading() as s:
        got = regions.list_regions(s, rid)
        assert s.scalar(select(func.count()).select_from(AnnotatorRow).where(AnnotatorRow.name == "李医生")) == 1
    assert [g.id for g in got] == [r1, r2]
    assert got[0] == Region(r1, rid, 0, 0, "box", ((2.0, 1.0), (10.0, 8.0)), "李医生")
    assert (got[1].image_index, got[1].frame, got[1].kind, got[1].annotator) == (1, 3, "polygon", "李医生")
    with project.transaction() as s:
        s.info["annotator"] = "王医生"
        regions.move_region(s, r1, [(3, 3), (6, 6)])
    with project.reading() as s:
        moved = regions.list_regions(s, rid)[0]
    assert moved.points == ((3.0, 3.0), (6.0, 6.0)) and moved.annotator == "王医生"
    with pytest.raises(MadpgError, match="at least 3"), project.transaction() as s:
        regions.move_region(s, r2, [(1, 1), (2, 2)])  # a polygon stays a polygon
    with pytest.raises(MadpgError, match="does not exist"), project.transaction() as s:
        regions.move_region(s, 999, [(1, 1), (2, 2)])


def test_no_annotator_is_none(project: Project, rid: int) -> None:
    with project.transaction() as s:
        s.info.pop("annotator", None)
        r = regions.add_region(s, box(rid))
    with project.reading() as s:
        assert regions.list_regions(s, rid)[0].annotator is None
        assert s.get(RegionRow, r).annotator_id is None


def test_region_needs_an_existing_image_and_record(project: Project, rid: int) -> None:
    with pytest.raises(MadpgError, match="2 image"), project.transaction() as s:
        regions.add_region(s, box(rid, image=2))
    with pytest.raises(MadpgError, match="does not exist"), project.transaction() as s:
        regions.add_region(s, box(rid + 100))
    with project.reading() as s:
        assert regions.list_regions(s, rid) == []


def test_links_both_ways(project: Project, rid: int) -> None:
    with project.transaction() as s:
        a, b = regions.add_region(s, box(rid)), regions.add_region(s, box(rid, image=1))
        regions.link(s, a, 0, 4)
        regions.link(s, a, 5, 11)
        regions.link(s, b, 0, 4)
        regions.link(s, b, 0, 4)  # twice is one link
        regions.link(s, b, 0, 2, layer=1)
    with project.reading() as s:
        assert regions.regions_of_span(s, rid, 0, 4) == [a, b]
        assert regions.regions_of_span(s, rid, 0, 2, 1) == [b]
        assert regions.regions_of_span(s, rid, 14, 18) == []
        assert regions.spans_of_region(s, a) == [(0, 4, 0), (5, 11, 0)]
        assert regions.spans_of_region(s, b) == [(0, 2, 1), (0, 4, 0)]
        assert regions.links(s, rid) == [RegionLink(a, 0, 4), RegionLink(a, 5, 11), RegionLink(b, 0, 2, 1),
                                         RegionLink(b, 0, 4)]
    with project.transaction() as s:
        regions.unlink(s, a, 5, 11)
        regions.unlink(s, a, 5, 11)  # already gone: nothing to do
    with project.reading() as s:
        assert regions.spans_of_region(s, a) == [(0, 4, 0)]


def test_link_refuses_what_the_record_does_not_have(project: Project, rid: int) -> None:
    with project.transaction() as s:
        a = regions.add_region(s, box(rid))
    for start, end, layer in ((0, 3, 0), (0, 4, 1), (0, 2, 0)):  # other offsets, other layer
        with pytest.raises(MadpgError, match="no span"), project.transaction() as s:
            regions.link(s, a, start, end, layer)
    with pytest.raises(MadpgError), project.transaction() as s:
        regions.link(s, a, 4, 2)
    with pytest.raises(MadpgError, match="does not exist"), project.transaction() as s:
        regions.link(s, 999, 0, 4)
    with project.reading() as s:
        assert s.scalar(select(func.count()).select_from(RegionLinkRow)) == 0


def test_link_to_another_annotators_sheet_is_refused(project: Project, rid: int) -> None:
    """Only gold spans can be linked: a span of a sheet (double annotation) is not the record's."""
    with project.transaction() as s:
        sheet_owner = regions._annotator_id(s, "张医生")
        sid = repo.add_span(s, rid, Span(12, 14, "Symptom", layer=2))
        repo_row = s.get(repo.SpanRow, sid)
        repo_row.sheet_of = sheet_owner
        a = regions.add_region(s, box(rid))
    with pytest.raises(MadpgError, match="no span"), project.transaction() as s:
        regions.link(s, a, 12, 14, 2)


def test_delete_and_restore_region(project: Project, rid: int) -> None:
    with project.transaction() as s:
        s.info["annotator"] = "李医生"
        a = regions.add_region(s, box(rid))
        keep = regions.add_region(s, box(rid, image=1))
        regions.link(s, a, 0, 4)
        regions.link(s, a, 14, 18)
        regions.link(s, keep, 0, 4)
    with project.transaction() as s:
        s.info["annotator"] = "王医生"
        removed, removed_links = regions.delete_region(s, a)
    assert removed.id == a and removed.annotator == "李医生"
    assert removed_links == [RegionLink(a, 0, 4), RegionLink(a, 14, 18)]
    with project.reading() as s:
        assert [r.id for r in regions.list_regions(s, rid)] == [keep]
        assert regions.regions_of_span(s, rid, 0, 4) == [keep]
        assert s.scalar(select(func.count()).select_from(RegionLinkRow)) == 1
    with pytest.raises(MadpgError), project.transaction() as s:
        regions.delete_region(s, a)
    with project.transaction() as s:  # undo
        s.info["annotator"] = "王医生"
        back = regions.restore_region(s, removed, removed_links)
    assert back == a  # its id was free: references to it stay valid
    with project.reading() as s:
        assert regions.list_regions(s, rid)[0] == removed  # same annotator, points, image, frame
        assert regions.spans_of_region(s, a) == [(0, 4, 0), (14, 18, 0)]


def test_restore_takes_a_new_id_when_the_old_one_is_taken(project: Project, rid: int) -> None:
    region = Region(7, rid, 0, 0, "box", ((1, 1), (4, 4)))
    with project.transaction() as s:
        taken = regions.add_region(s, box(rid))
        first = regions.restore_region(s, region, [RegionLink(7, 0, 4)])
        again = regions.restore_region(s, Region(taken, rid, 1, 0, "box", ((1, 1), (4, 4))), [])
    assert first == 7 and again not in (taken, 7)
    with project.reading() as s:
        assert regions.spans_of_region(s, 7) == [(0, 4, 0)]


def test_not_visible_marks(project: Project, rid: int) -> None:
    with project.transaction() as s:
        regions.set_not_visible(s, rid, 14, 18)
        regions.set_not_visible(s, rid, 14, 18, 0, True)  # twice: one mark
        regions.set_not_visible(s, rid, 0, 2, layer=1, value=True)
    with project.reading() as s:
        assert regions.not_visible(s, rid) == {(14, 18, 0), (0, 2, 1)}
        assert s.scalar(select(func.count()).select_from(InvisibleSpanRow)) == 2
    with project.transaction() as s:
        regions.set_not_visible(s, rid, 0, 2, 1, False)
        regions.set_not_visible(s, rid, 0, 2, 1, False)
    with project.reading() as s:
        assert regions.not_visible(s, rid) == {(14, 18, 0)}
    with pytest.raises(MadpgError, match="no span"), project.transaction() as s:
        regions.set_not_visible(s, rid, 1, 3)


def test_linked_and_not_visible_exclude_each_other(project: Project, rid: int) -> None:
    with project.transaction() as s:
        a = regions.add_region(s, box(rid))
        regions.link(s, a, 0, 4)
        regions.set_not_visible(s, rid, 14, 18)
    with pytest.raises(MadpgError, match="unlink"), project.transaction() as s:
        regions.set_not_visible(s, rid, 0, 4)
    with pytest.raises(MadpgError, match="not visible"), project.transaction() as s:
        regions.link(s, a, 14, 18)
    with project.transaction() as s:  # the other way round works once the mark is cleared
        regions.set_not_visible(s, rid, 14, 18, value=False)
        regions.link(s, a, 14, 18)
    with project.reading() as s:
        assert regions.spans_of_region(s, a) == [(0, 4, 0), (14, 18, 0)]


def test_links_survive_span_rewrites_not_span_deletion(project: Project, rid: int) -> None:
    with project.transaction() as s:
        a = regions.add_region(s, box(rid))
        regions.link(s, a, 0, 4)
        regions.link(s, a, 5, 11)
        regions.set_not_visible(s, rid, 14, 18)
    with project.transaction() as s:  # the BIO editor rewrites every span row: links stay
        repo.replace_spans(s, rid, SPANS)
    with project.reading() as s:
        assert regions.spans_of_region(s, a) == [(0, 4, 0), (5, 11, 0)]
    # the span 5-11 and the marked one are deleted: reads ignore their links and marks at once
    with project.transaction() as s:
        repo.replace_spans(s, rid, (SPANS[0], SPANS[3]))
    with project.reading() as s:
        assert regions.spans_of_region(s, a) == [(0, 4, 0)]
        assert regions.links(s, rid) == [RegionLink(a, 0, 4)]
        assert regions.regions_of_span(s, rid, 5, 11) == []
        assert regions.not_visible(s, rid) == set()
    # undo of that deletion (the same offsets again): the links come back, since not pruned
    with project.transaction() as s:
        repo.replace_spans(s, rid, SPANS)
    with project.reading() as s:
        assert regions.spans_of_region(s, a) == [(0, 4, 0), (5, 11, 0)]
        assert regions.not_visible(s, rid) == {(14, 18, 0)}
    # prune removes them for good
    with project.transaction() as s:
        repo.replace_spans(s, rid, (SPANS[0], SPANS[3]))
        assert regions.prune(s, rid) == 2
        assert regions.prune(s, rid) == 0
        repo.replace_spans(s, rid, SPANS)
    with project.reading() as s:
        assert regions.spans_of_region(s, a) == [(0, 4, 0)]
        assert regions.not_visible(s, rid) == set()
        assert s.scalar(select(func.count()).select_from(RegionLinkRow)) == 1


def test_deleting_the_record_or_image_removes_its_regions(project: Project, rid: int) -> None:
    with project.transaction() as s:
        a = regions.add_region(s, box(rid))
        regions.link(s, a, 0, 4)
        regions.set_not_visible(s, rid, 14, 18)
    with project.transaction() as s:
        repo.delete_record(s, rid)
    with project.reading() as s:
        for table in (RegionRow, RegionLinkRow, InvisibleSpanRow):
            assert s.scalar(select(func.count()).select_from(table)) == 0


def test_grounding_round_trip_between_projects(project: Project, rid: int, tmp_path: Path) -> None:
    with project.transaction() as s:
        s.info["annotator"] = "李医生"
        a = regions.add_region(s, Region(None, rid, 1, 2, "polygon", ((1, 1), (9, 1), (5, 7))))
        b = regions.add_region(s, box(rid))
        regions.link(s, a, 0, 4)
        regions.link(s, a, 0, 2, 1)
        regions.link(s, b, 5, 11)
        regions.set_not_visible(s, rid, 14, 18)
    with project.reading() as s:
        g = region_transfer.record_grounding(s, rid)
    assert g == RecordGrounding(
        (PortableRegion(1, 2, "polygon", ((1, 1), (9, 1), (5, 7)), "李医生", ((0, 2, 1), (0, 4, 0))),
         PortableRegion(0, 0, "box", ((2, 1), (10, 8)), "李医生", ((5, 11, 0),))),
        ((14, 18, 0),))
    with project.reading() as s:
        rec = repo.get_record(s, rid, project.image_root)
    GroundedRecord(rec.text, rec.spans, rec.images, rec.name, grounding=g)  # consistent with its record
    with Project.create(tmp_path / "q") as other:
        with other.transaction() as s:
            new = repo.add_record(s, Record(TEXT, SPANS), [other.store_image(Path(p)) for p in rec.images])
            s.info["annotator"] = "导入者"
            assert region_transfer.store_grounding(s, new, g) == 2
        with other.reading() as s:
            assert region_transfer.record_grounding(s, new) == g  # regions keep who drew them
            assert all(r.created_at is not None for r in s.scalars(select(RegionRow)))
            assert [r.annotator for r in regions.list_regions(s, new)] == ["李医生", "李医生"]
        with other.transaction() as s:  # replace: the record's own go first, nothing doubles
            region_transfer.store_grounding(s, new, g, replace=True)
        with other.reading() as s:
            assert region_transfer.record_grounding(s, new) == g
        bad = RecordGrounding((PortableRegion(0, 0, "box", ((0, 0), (1, 1)), None, ((3, 4, 0),)),))
        with pytest.raises(MadpgError, match="no span"), other.transaction() as s:
            region_transfer.store_grounding(s, new, bad, replace=True)
        with other.reading() as s:
            assert region_transfer.record_grounding(s, new) == g  # the refused import changed nothing


def test_region_edits_enter_the_history(project: Project, rid: int) -> None:
    from madpg_core.storage import history

    assert set(regions.REGION_ACTIONS) <= set(history.ACTIONS)
    with project.reading() as s:
        logged = len(history.entries(s, rid))
    with project.transaction() as s:
        s.info["annotator"] = "李医生"
        a = regions.add_region(s, box(rid, image=1))
        regions.move_region(s, a, [(1, 1), (3, 3)])
        regions.link(s, a, 0, 4)
        regions.link(s, a, 0, 4)  # no change, no entry
        regions.unlink(s, a, 0, 4)
        regions.unlink(s, a, 0, 4)
        regions.link(s, a, 0, 4)
        regions.set_not_visible(s, rid, 14, 18)
        regions.set_not_visible(s, rid, 14, 18, value=False)
        gone, gone_links = regions.delete_region(s, a)
        regions.restore_region(s, gone, gone_links)
    with project.reading() as s:
        got = history.entries(s, rid)[logged:]
    assert [e.action for e in got] == ["add_region", "move_region", "link_region", "unlink_region", "link_region",
                                       "set_not_visible", "set_not_visible", "delete_region", "restore_region"]
    assert {e.annotator for e in got} == {"李医生"}
    assert got[0].after == {"id": a, "image_index": 1, "frame": 0, "kind": "box", "points": [[2.0, 1.0], [10.0, 8.0]],
                            "annotator": "李医生"}
    assert got[1].before["points"] == [[2.0, 1.0], [10.0, 8.0]] and got[1].after["points"] == [[1.0, 1.0], [3.0, 3.0]]
    assert got[7].before["links"] == [{"region_id": a, "start": 0, "end": 4, "layer": 0}]
    assert got[8].after["id"] == a and got[8].after["links"] == got[7].before["links"]


def test_a_move_based_on_an_old_read_is_a_stale_write(project: Project, rid: int) -> None:
    from madpg_core.errors import StaleWriteError

    with project.transaction() as s:
        s.info["annotator"] = "李医生"
        a = regions.add_region(s, box(rid))
        read = regions.get_region(s, a).points
    with project.transaction() as s:  # another desk moves it
        s.info["annotator"] = "王医生"
        regions.move_region(s, a, [(5, 5), (9, 9)], expected=read)
    with pytest.raises(StaleWriteError, match="王医生"), project.transaction() as s:
        regions.move_region(s, a, [(1, 1), (2, 2)], expected=read)
    with project.reading() as s:
        assert regions.get_region(s, a).points == ((5.0, 5.0), (9.0, 9.0))
    with project.transaction() as s:
        regions.delete_region(s, a)
    with pytest.raises(StaleWriteError, match="deleted"), project.transaction() as s:
        regions.move_region(s, a, [(1, 1), (2, 2)], expected=((5, 5), (9, 9)))


def test_regions_are_there_after_reopening(tmp_path: Path) -> None:
    """The issue's clinician: a box around 心影增大 on a chest image, linked, seen again after reopening."""
    folder = tmp_path / "p"
    with Project.create(folder) as p:
        img = p.store_image(png(tmp_path / "chest.png", (90, 90, 90), (64, 64)))
        with p.transaction() as s:
            s.info["annotator"] = "李医生"
            rid = repo.add_record(s, Record(TEXT, SPANS), [img])
            a = regions.add_region(s, Region(None, rid, 0, 0, "box", ((10, 12), (40, 44))))
            regions.link(s, a, 0, 4)
    with Project.open(folder, backup=False) as p, p.reading() as s:
        assert regions.list_regions(s, rid) == [Region(a, rid, 0, 0, "box", ((10, 12), (40, 44)), "李医生")]
        assert regions.regions_of_span(s, rid, 0, 4) == [a]
