"""Layers: nested and overlapping spans. Flat within a layer, free across layers; BIO, training and
scores read layer 0; assign_layers and layer_view; CMeEE imports every entity; BIO export writes one
layer and counts the rest; JSONL keeps every layer."""

from __future__ import annotations

import io
import json
import random
from pathlib import Path

import pytest

from madpg_core.domain import Record, Span, assign_layers, check_spans, layer_view, spans_to_bio
from madpg_core.errors import MadpgError, OverlapError
from madpg_core.formats import conll, jsonl, read_records
from madpg_core.train.metrics import score_spans

TEXT = "双下肢水肿伴左肺结节"


def key(spans: list[Span] | tuple[Span, ...]) -> list[tuple[int, int, str, int]]:
    return sorted((s.start, s.end, s.label, s.layer) for s in spans)


# ---------------------------------------------------------------- the invariant


def test_spans_of_different_layers_may_nest_and_overlap_but_not_within_one() -> None:
    outer, inner = Span(0, 5, "Symptom"), Span(0, 3, "Organ", layer=1)
    crossing = Span(3, 8, "Disease", layer=2)
    Record(TEXT, (outer, inner, crossing))  # no error: three layers, each flat
    with pytest.raises(OverlapError, match=r"in layer 1; spans of one layer are flat"):
        check_spans(TEXT, [outer, inner, Span(2, 4, "Organ", layer=1)])
    with pytest.raises(OverlapError, match=r"in layer 0; entities are flat \(BIO\)"):
        check_spans(TEXT, [outer, Span(4, 6, "Disease")])
    with pytest.raises(MadpgError, match="ends past the text"):
        check_spans(TEXT, [Span(8, 11, "Disease", layer=3)])


@pytest.mark.parametrize("bad", [-1, 1.0, True, "1"])
def test_a_layer_is_a_whole_number_from_zero(bad: object) -> None:
    with pytest.raises(MadpgError, match="invalid layer"):
        Span(0, 1, "X", layer=bad)  # type: ignore[arg-type]


def test_bio_reads_layer_0_unless_told() -> None:
    spans = [Span(0, 5, "Symptom"), Span(0, 3, "Organ", layer=1)]
    assert spans_to_bio(TEXT[:5], spans) == ["B-Symptom"] + ["I-Symptom"] * 4
    assert spans_to_bio(TEXT[:5], spans, layer=1) == ["B-Organ", "I-Organ", "I-Organ", "O", "O"]


def test_scores_count_the_main_layer_only() -> None:
    gold = [[Span(0, 5, "Symptom"), Span(0, 3, "Organ", layer=1)]]
    assert score_spans(gold, [[Span(0, 5, "Symptom")]]).micro.f1 == 1.0  # the model tags one layer


# ---------------------------------------------------------------- assign_layers


def test_assign_layers_puts_the_outermost_in_layer_0() -> None:
    spans = [Span(0, 2, "Organ"), Span(6, 8, "Organ"), Span(0, 5, "Symptom"), Span(0, 3, "Organ"),
             Span(6, 10, "Disease")]
    assert key(assign_layers(spans)) == [(0, 2, "Organ", 2), (0, 3, "Organ", 1), (0, 5, "Symptom", 0),
                                         (6, 8, "Organ", 1), (6, 10, "Disease", 0)]


def test_assign_layers_crossing_same_range_and_given_layers() -> None:
    # crossing: the longer one is outer; same range, two types: one per layer; given layers ignored
    spans = [Span(0, 4, "A", layer=5), Span(2, 7, "B", layer=5), Span(8, 10, "C"), Span(8, 10, "D")]
    assert key(assign_layers(spans)) == [(0, 4, "A", 1), (2, 7, "B", 0), (8, 10, "C", 0), (8, 10, "D", 1)]


def test_assign_layers_on_random_spans_is_flat_per_layer_and_as_low_as_possible() -> None:
    rng = random.Random(7)
    for _ in range(300):
        spans = {Span(a, a + rng.randint(1, 8), rng.choice("XYZ")) for a in (rng.randrange(30) for _ in range(12))}
        out = assign_layers(spans)
        assert len(out) == len(spans) and {(s.start, s.end, s.label) for s in out} == \
            {(s.start, s.end, s.label) for s in spans}
        check_spans("x" * 40, out)  # flat per layer
        for s in out:  # each span overlaps something in every layer below its own (else it would sit there)
            for lower in range(s.layer):
                assert any(o.layer == lower and o.overlaps(s) for o in out), (s, out)


# ---------------------------------------------------------------- layer_view


def test_layer_view_outer_and_inner() -> None:
    #            双下肢水肿 Symptom [0,5) ⊃ 双下肢 Organ [0,3) ⊃ 下肢 Organ [1,3)
    #            左肺结节 Disease [6,10) ⊃ 左肺 Organ [6,8) and 结节 Finding [8,10)
    #            伴 [5,6) Other, alone
    spans = assign_layers([Span(0, 5, "Symptom"), Span(0, 3, "Organ"), Span(1, 3, "Organ"), Span(6, 10, "Disease"),
                           Span(6, 8, "Organ"), Span(8, 10, "Finding"), Span(5, 6, "Other")])
    outer = layer_view(spans, "outer")
    assert key(outer.spans) == [(0, 5, "Symptom", 0), (5, 6, "Other", 0), (6, 10, "Disease", 0)]
    assert outer.left_out == 4
    inner = layer_view(spans, "inner")
    assert key(inner.spans) == [(1, 3, "Organ", 0), (5, 6, "Other", 0), (6, 8, "Organ", 0), (8, 10, "Finding", 0)]
    assert inner.left_out == 3  # Symptom, 双下肢 (between Symptom and 下肢), Disease
    with pytest.raises(MadpgError, match="outer or inner"):
        layer_view(spans, "middle")


def test_layer_view_takes_an_orphan_and_leaves_out_crossing_spans() -> None:
    # [0,3) in layer 1 whose outer span was deleted: now the outermost there. [6,9) crosses [4,8).
    spans = [Span(0, 3, "Organ", layer=1), Span(4, 8, "Disease"), Span(6, 9, "Organ", layer=1)]
    outer = layer_view(spans, "outer")
    assert key(outer.spans) == [(0, 3, "Organ", 0), (4, 8, "Disease", 0)] and outer.left_out == 1
    inner = layer_view(spans, "inner")  # nothing lies inside either: each stands for itself
    assert key(inner.spans) == key(outer.spans) and inner.left_out == 1


def test_inner_view_of_overlapping_innermost_spans_takes_the_first() -> None:
    spans = [Span(0, 10, "A"), Span(1, 5, "B", layer=1), Span(3, 8, "C", layer=2), Span(8, 10, "D", layer=1)]
    view = layer_view(spans, "inner")
    assert key(view.spans) == [(1, 5, "B", 0), (8, 10, "D", 0)] and view.left_out == 2


def test_layer_views_of_random_spans_are_flat_and_count_every_span() -> None:
    rng = random.Random(11)
    for _ in range(300):
        spans = assign_layers({Span(a, a + rng.randint(1, 8), rng.choice("XY")) for a in
                               (rng.randrange(30) for _ in range(10))})
        for which in ("outer", "inner"):
            view = layer_view(spans, which)
            check_spans("x" * 40, view.spans)
            assert all(s.layer == 0 for s in view.spans)
            assert len(view.spans) + view.left_out == len(spans)


# ---------------------------------------------------------------- formats


def nested_record(**kw: object) -> Record:
    return Record(TEXT, tuple(assign_layers([Span(0, 5, "Symptom", assertion="absent"), Span(0, 3, "Organ"),
                                             Span(6, 10, "Disease", assertion="possible"), Span(6, 8, "Organ")])),
                  name="r1", **kw)


def test_jsonl_keeps_every_layer_and_status_and_omits_the_defaults() -> None:
    rec = nested_record()
    line = jsonl.dumps(rec)
    spans = json.loads(line)["spans"]
    assert [(d.get("layer"), d.get("assertion")) for d in spans] == \
        [(None, "absent"), (None, "possible"), (1, None), (1, None)]


def test_jsonl_round_trip(tmp_path: Path) -> None:
    rec = nested_record()
    path = tmp_path / "x.jsonl"
    path.write_text(jsonl.dumps(rec) + "\n", encoding="utf-8")
    records, report = read_records(path, "jsonl")
    assert records[0].spans == rec.spans and report.warnings == []
    assert [(s.layer, s.assertion) for s in records[0].spans] == [(s.layer, s.assertion) for s in rec.spans]


@pytest.mark.parametrize("field, value, message", [("layer", 1.5, "invalid layer"), ("layer", -1, "invalid layer"),
                                                   ("assertion", "denied", '"assertion" must be one of')])
def test_jsonl_refuses_a_bad_layer_or_status(tmp_path: Path, field: str, value: object, message: str) -> None:
    d = {"text": "左肺", "spans": [{"start": 0, "end": 2, "label": "Organ", field: value}]}
    path = tmp_path / "x.jsonl"
    path.write_text(json.dumps(d) + "\n", encoding="utf-8")
    with pytest.raises(MadpgError, match=message):
        read_records(path, "jsonl")


def test_bio_writes_one_layer_and_counts_the_rest() -> None:
    rec = nested_record()
    out = io.StringIO()
    counts = conll.write([rec], out)
    assert counts.written == 1 and counts.spans_left_out == 2
    assert [line.split()[1] for line in out.getvalue().splitlines()][:6] == \
        ["B-Symptom", "I-Symptom", "I-Symptom", "I-Symptom", "I-Symptom", "O"]
    out = io.StringIO()
    counts = conll.write([rec], out, layer="inner")
    assert counts.spans_left_out == 2
    assert [line.split()[1] for line in out.getvalue().splitlines()][:4] == ["B-Organ", "I-Organ", "I-Organ", "O"]


def test_bio_assertion_column_round_trip(tmp_path: Path) -> None:
    rec = nested_record()
    path = tmp_path / "x.bio"
    with open(path, "w", encoding="utf-8") as f:
        conll.write([rec], f, assertion_column=True)
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "双 B-Symptom absent" and lines[5] == "伴 O _" and lines[6] == "左 B-Disease possible"
    records, report = read_records(path, "bio")
    assert key(records[0].spans) == [(0, 5, "Symptom", 0), (6, 10, "Disease", 0)] and report.warnings == []
    assert [s.assertion for s in records[0].spans] == ["absent", "possible"]
    plain = tmp_path / "y.bio"
    plain.write_text("\n".join(line.rsplit(" ", 1)[0] for line in lines) + "\n", encoding="utf-8")
    assert [s.assertion for s in read_records(plain, "bio")[0][0].spans] == ["present", "present"]


def test_cmeee_nested_entities_are_all_imported(tmp_path: Path) -> None:
    src = tmp_path / "m.json"
    src.write_text(json.dumps([{"text": "双下肢水肿", "entities": [
        {"start_idx": 0, "end_idx": 4, "type": "sym", "entity": "双下肢水肿"},
        {"start_idx": 0, "end_idx": 2, "type": "bod", "entity": "双下肢"},
        {"start_idx": 1, "end_idx": 2, "type": "bod", "entity": "下肢"}]}], ensure_ascii=False), encoding="utf-8")
    records, report = read_records(src, "cmeee")
    assert key(records[0].spans) == [(0, 3, "bod", 1), (0, 5, "sym", 0), (1, 3, "bod", 2)]
    assert report.spans == 3 and report.warnings == []


@pytest.mark.parametrize("name", ["CMeEE_dev.json", "CMeEE_train.json"])
def test_cmeee_corpus_imports_every_entity(shared_data: Path, name: str) -> None:
    path = shared_data / "ner" / "cmeee" / name
    if not path.is_file():
        pytest.skip(f"{path} not found (the public CMeEE files are not on this machine)")
    items = json.loads(path.read_text(encoding="utf-8"))
    # distinct (start, end, type) per item: an entity listed twice counts once (none are, in these files)
    expected = sum(len({(e["start_idx"], e["end_idx"], e["type"]) for e in it["entities"]}) for it in items)
    records, report = read_records(path, "cmeee")
    assert report.spans == expected == sum(len(r.spans) for r in records)
    assert not [w for w in report.warnings if "overlaps" in w]
    assert any(s.layer > 0 for r in records for s in r.spans)  # the corpus is nested


# ---------------------------------------------------------------- training


def test_a_record_with_nested_spans_trains_on_its_outer_layer() -> None:
    from madpg_core.featurize import make_pieces
    from madpg_core.model.config import build_config, tiny
    from madpg_core.model.testing import ChainParser
    from madpg_core.train.loop import fit

    data = []
    for i in range(6):
        drug = ["阿莫西林", "头孢", "青霉素"][i % 3]
        text = f"患者发热{i}天，给予{drug}口服。"
        s = text.index(drug)
        data.append(Record(text, tuple(assign_layers([Span(2, 4, "Symptom"), Span(s, s + len(drug) + 2, "Treatment"),
                                                      Span(s, s + len(drug), "Drug")]))))
    cfg = tiny(build_config("madpg-lite"), image_encoder="none", epochs=1, hidden_size=32, num_heads=2,
               lstm_hidden=16, min_bigram_count=1)
    res = fit(cfg, data, data[:2], parser=ChainParser())
    model = res.model
    tag_index = {t: i for i, t in enumerate(model.tags)}
    piece = make_pieces(data[:1], model.text, cfg.max_len, tag_index=tag_index)[0]
    outer = spans_to_bio(data[0].text, data[0].spans)
    assert "B-Drug" not in outer and "B-Treatment" in outer  # layer 0 holds the longer Treatment
    assert [model.tags[t] for t in piece.tags] == outer
