"""The input case groups: 1. path escapes (image paths, symlinks and IMGIDs that point outside the
import folder, with controls that must succeed), 2. corrupt images, 3. malformed input (bad JSON,
bad types and offsets, non-UTF-8 bytes, unknown encodings, empty and very long records in every
import format) and 4. JSONL line separators (U+2028/U+2029/U+0085 round trips, an empty record in a
BIO export); plus ``import_case``, which imports into a fresh project and classifies the result, and
the stored-records checks these groups use.
"""

from __future__ import annotations

import json
import random
import shutil
import tempfile
from pathlib import Path

from . import config as cfg
from .data import dicom_without_pixels, png, write_jsonl
from .harness import Group, Res, cli, diff, fresh_project, helper, leftovers, query, snapshot


def import_case(g: Group, case: str, path: Path, fmt: str, expect: str, *args: str, check=None,
                project: Path | None = None) -> tuple[str, Path, Res]:
    """Import into a fresh project and classify; ``check(project, res)`` → problem with a success."""
    project = project or fresh_project(g.name)
    before = snapshot(project)
    res = cli("import", project, path, "--format", fmt, *args, timeout=300)
    if "unrecognized arguments" in res.err and res.rc == 2:
        g.add(case, "n/a", note="unknown flag (rc 2): not applicable today", rc=2)
        return "n/a", project, res
    after = snapshot(project)
    wrong = None
    if res.kind() != "succeeded":
        d = diff(before, after)
        wrong = f"refused import changed the project: {d}" if d else None
    elif check is not None:
        wrong = check(project, res)
    g.cli_case(case, res, expect, wrong=wrong, leftovers=leftovers(project), fmt=fmt)
    return res.kind(), project, res


# ============================================================== 1. path escapes


def g_path_escape(g: Group) -> None:
    d = cfg.WORK / "escape"
    outside = d / "outside"
    secret = png(outside / "secret.png", 1)
    inp = d / "in"
    png(inp / "ok.png", 2)
    (inp / "link.png").symlink_to(secret)
    taken = 0

    def jl(name: str, images: list[str]) -> Path:
        return write_jsonl(inp / f"{name}.jsonl", [{"text": "胸片示肺炎", "images": images}])

    bio_dir = d / "bio" / "in"
    bio_dir.mkdir(parents=True)
    png(d / "bio" / "outside.png", 3)
    (bio_dir / "a.bio").write_text("IMGID:../outside\n胸 B-Organ\n部 I-Organ\n", encoding="utf-8")
    f1 = d / "folder1"
    f1.mkdir()
    (f1 / "case1.txt").write_text("胸片示肺炎", encoding="utf-8")
    (f1 / "case1.png").symlink_to(secret)
    f2 = d / "folder2"
    f2.mkdir()
    (f2 / "case1.txt").write_text("胸片示肺炎", encoding="utf-8")
    (f2 / "case1").symlink_to(outside, target_is_directory=True)
    escapes = [("jsonl ../../../../etc/passwd", jl("passwd", ["../../../../etc/passwd"]), "jsonl", []),
               ("jsonl absolute /etc/hostname", jl("hostname", ["/etc/hostname"]), "jsonl", []),
               ("jsonl absolute PNG in another folder", jl("abs", [str(secret)]), "jsonl", []),
               ("jsonl symlink inside → file outside", jl("link", ["link.png"]), "jsonl", []),
               ("bio IMGID:../outside", bio_dir / "a.bio", "bio", []),
               ("folder: symlinked image", f1, "folder", []),
               ("folder: symlinked subfolder", f2, "folder", []),
               ("--images-root IN, image ../../../../etc/passwd", jl("root2", ["../../../../etc/passwd"]), "jsonl",
                ["--images-root", str(inp)])]
    def took(project: Path, res: Res) -> str | None:
        n = len(snapshot(project)["files"])
        return f"took {n} file(s) from outside" if n else None

    for case, path, fmt, args in escapes:  # "either": a success that took nothing is not wrong
        _, project, _ = import_case(g, case, path, fmt, "either", *args, check=took)
        n = len(snapshot(project)["files"])
        taken += n
        g.cases[-1]["files_taken"] = n
    g.extra["files_taken_from_outside"] = taken
    g.extra["escapes_accepted"] = sum(c["outcome"] == "succeeded" for c in g.cases)
    tried = sum(c["outcome"] != "n/a" for c in g.cases)

    def one_image(p: Path, r: Res) -> str | None:
        n = len(snapshot(p)["files"])
        return None if n == 1 else f"{n} image files stored, expected 1"

    import_case(g, "control: image inside the import folder", jl("ok", ["ok.png"]), "jsonl", "succeed",
                check=one_image)
    import_case(g, "control: --images-root OUTSIDE, absolute path in it", jl("root", [str(secret)]), "jsonl",
                "succeed", "--images-root", str(outside), check=one_image)
    import_case(g, "control: --allow-outside-images, absolute path", jl("allow", [str(secret)]), "jsonl", "succeed",
                "--allow-outside-images", check=one_image)
    g.notes.insert(0, f"escapes accepted {g.extra['escapes_accepted']}/{tried}, FILES TAKEN FROM OUTSIDE: {taken}")


# ============================================================== 2. corrupt images


def g_corrupt_images(g: Group) -> None:
    d = cfg.WORK / "corrupt"
    good = png(d / "good.png", 4).read_bytes()
    files = {"truncated.png": good[: len(good) // 2], "random.png": random.Random(1).randbytes(4000),
             "random.jpg": random.Random(2).randbytes(4000), "text.dcm": "这不是DICOM文件\n".encode() * 40,
             "empty.png": b""}
    for name, data in files.items():
        (d / name).write_bytes(data)
    dicom_without_pixels(d / "nopixels.dcm")
    for name in [*files, "nopixels.dcm"]:
        path = write_jsonl(d / f"{name}.jsonl", [{"text": "胸片示肺炎", "images": [name]}])
        import_case(g, f"jsonl: {name}", path, "jsonl", "refuse")
    for name in ("truncated.png", "random.jpg", "empty.png"):
        f = d / f"folder-{name}"
        f.mkdir()
        (f / "case1.txt").write_text("胸片示肺炎", encoding="utf-8")
        shutil.copyfile(d / name, f / ("case1" + Path(name).suffix))
        import_case(g, f"folder: {name}", f, "folder", "refuse")
    (d / "good.png").write_bytes(good)
    import_case(g, "control: valid PNG", write_jsonl(d / "good.jsonl", [{"text": "胸片示肺炎", "images": ["good.png"]}]),
                "jsonl", "succeed", check=lambda p, r: None if len(snapshot(p)["files"]) == 1 else "image not stored")


# ============================================================== 3. malformed input


def stored(project: Path) -> list[tuple]:
    return query(project, "SELECT r.text, r.status, (SELECT group_concat(s.start || '-' || s.\"end\") FROM spans s "
                          "WHERE s.record_id = r.id) FROM records r ORDER BY r.id")


def expect_texts(*texts: str):
    def check(project: Path, res: Res) -> str | None:
        got = [t for t, _, _ in stored(project)]
        return None if got == list(texts) else f"stored {len(got)} records {[t[:20] for t in got]!r}, " \
                                               f"expected {[t[:20] for t in texts]!r}"
    return check


def no_span_at(start: int):
    def check(project: Path, res: Res) -> str | None:
        n = query(project, f"SELECT count(*) FROM spans WHERE start = {start}")[0][0]
        return f"accepted, and stored a span starting at {start}" if n else "accepted bad input"
    return check


def g_malformed(g: Group) -> None:
    d = cfg.WORK / "malformed"
    d.mkdir()
    long_text = ("患者反复咳嗽咳痰，胸部CT示肺炎。" * 1300)[:20000]
    nested = '{"text": "胸痛", "x": ' + "[" * 100000 + "]" * 100000 + "}"
    sp = '{"start": %s, "end": %s, "label": %s%s}'
    base = '{"text": "胸痛三天发热", "spans": [%s]}'
    jsonl_cases = [
        ("invalid JSON", '{"text": "胸痛"', "refuse", None),
        ("lone surrogate \\ud800", '{"text": "胸\\ud800痛"}', "refuse", None),
        ("100000 nested [", nested, "refuse", None),
        ("null text", '{"text": null}', "refuse", None),
        ("list text", '{"text": ["胸痛"]}', "refuse", None),
        ("string confidence", base % (sp % (0, 2, '"Symptom"', ', "confidence": "high"')), "refuse", None),
        ("NaN confidence", base % (sp % (0, 2, '"Symptom"', ', "confidence": NaN')), "refuse", None),
        ("dict model_version", base % (sp % (0, 2, '"Symptom"', ', "model_version": {"a": 1}')), "refuse", None),
        ("float start 1.9", base % (sp % ("1.9", 3, '"Symptom"', "")), "refuse", no_span_at(1)),
        ("boolean start true", base % (sp % ("true", 3, '"Symptom"', "")), "refuse", no_span_at(1)),
        ("numeric label 5", base % (sp % (0, 2, "5", "")), "refuse", None),
        ("unknown status", '{"text": "胸痛", "status": "done"}', "refuse", None),
        ("overlapping spans", base % (sp % (0, 2, '"Symptom"', "") + ", " + sp % (1, 3, '"Symptom"', "")),
         "refuse", None),
        ("offsets past the end", base % (sp % (4, 99, '"Symptom"', "")), "refuse", None),
        ("empty-text record", '{"text": ""}', "either", expect_texts("")),
        ("20000-character record", json.dumps({"text": long_text}, ensure_ascii=False), "succeed",
         expect_texts(long_text)),
    ]
    for case, line, expect, check in jsonl_cases:
        path = d / f"jsonl-{len(g.cases)}.jsonl"
        path.write_text(line + "\n", encoding="utf-8")
        import_case(g, f"jsonl: {case}", path, "jsonl", expect, check=check)

    bio_long = "".join(f"{c} O\n" for c in long_text)
    blue_line = '{"text": "胸痛三天", "mention_data": [{"mention": "痛三", "label": %s, "offset": %s}]}'
    cmeee_item = '[{"text": "胸痛三天", "entities": [{"start_idx": %s, "end_idx": %s, "type": %s}]}]'
    other = [
        ("bio", "lone surrogate <U+D800>", "胸 O\n<U+D800> O\n", "refuse", None),
        ("bio", "line without a tag", "胸痛\n", "refuse", None),
        ("bio", "unknown tag X-Foo", "胸 X-Foo\n", "refuse", None),
        ("bio", "numeric label B-5", "胸 B-5\n痛 I-5\n", "refuse", None),
        ("bio", "20000-character record", bio_long, "succeed", expect_texts(long_text)),
        ("cehrner", "invalid JSON", '{"text": "胸痛"', "refuse", None),
        ("cehrner", "lone surrogate", '{"text": "胸\\ud800痛", "mention_data": []}', "refuse", None),
        ("cehrner", "100000 nested [", nested, "refuse", None),
        ("cehrner", "null text", '{"text": null, "mention_data": []}', "refuse", None),
        ("cehrner", "float offset 1.9", blue_line % ('"Symptom"', "1.9"), "refuse", no_span_at(1)),
        ("cehrner", "boolean offset true", blue_line % ('"Symptom"', "true"), "refuse", no_span_at(1)),
        ("cehrner", "numeric label 5", blue_line % ("5", '"1"'), "refuse", None),
        ("cehrner", "empty-text record", '{"text": "", "mention_data": []}', "either", expect_texts("")),
        ("cehrner", "20000-character record", json.dumps({"text": long_text, "mention_data": []}, ensure_ascii=False),
         "succeed", expect_texts(long_text)),
        ("cmeee", "invalid JSON", '[{"text": "胸痛"', "refuse", None),
        ("cmeee", "lone surrogate", '[{"text": "胸\\ud800痛", "entities": []}]', "refuse", None),
        ("cmeee", "100000 nested [", "[" * 100000 + "]" * 100000, "refuse", None),
        ("cmeee", "null text", '[{"text": null, "entities": []}]', "refuse", None),
        ("cmeee", "list text", '[{"text": ["胸痛"], "entities": []}]', "refuse", None),
        ("cmeee", "float start 1.9", cmeee_item % ("1.9", 2, '"Symptom"'), "refuse", no_span_at(1)),
        ("cmeee", "boolean start true", cmeee_item % ("true", 2, '"Symptom"'), "refuse", no_span_at(1)),
        ("cmeee", "numeric label 5", cmeee_item % (0, 1, "5"), "refuse", None),
        ("cmeee", "overlapping spans", ('[{"text": "胸痛三天", "entities": [{"start_idx": 0, "end_idx": 1, "type": '
                                        '"Symptom"}, {"start_idx": 1, "end_idx": 2, "type": "Symptom"}]}]'),
         "either", None),  # documented: nested/overlapping entities are flattened with a warning
        ("cmeee", "offsets past the end", cmeee_item % (2, 50, '"Symptom"'), "refuse", None),
        ("cmeee", "empty-text record", '[{"text": "", "entities": []}]', "either", expect_texts("")),
        ("cmeee", "20000-character record", json.dumps([{"text": long_text, "entities": []}], ensure_ascii=False),
         "succeed", expect_texts(long_text)),
    ]
    for fmt, case, content, expect, check in other:
        path = d / f"{fmt}-{len(g.cases)}.txt"
        path.write_text(content, encoding="utf-8")
        import_case(g, f"{fmt}: {case}", path, fmt, expect, check=check)

    def folder(texts: dict[str, bytes]) -> Path:
        f = Path(tempfile.mkdtemp(prefix="folder-", dir=d))
        for name, data in texts.items():
            (f / name).write_bytes(data)
        return f

    import_case(g, "folder: no .txt files", folder({}), "folder", "refuse")
    import_case(g, "folder: empty .txt", folder({"a.txt": b""}), "folder", "either", check=expect_texts(""))
    import_case(g, "folder: 20000-character text", folder({"a.txt": long_text.encode()}), "folder", "succeed",
                check=expect_texts(long_text))
    bad = "胸痛".encode() + b"\xff\xfe\xed\xa0\x80" + "发热".encode()
    for fmt in ("jsonl", "bio", "cehrner", "cmeee", "folder"):
        if fmt == "folder":
            nonutf, ok = folder({"a.txt": bad}), folder({"a.txt": "胸痛".encode()})
            empty = None
        else:
            nonutf = d / f"{fmt}-nonutf8"
            nonutf.write_bytes(bad)
            ok = d / f"{fmt}-ok"
            ok.write_text({"jsonl": '{"text": "胸痛"}\n', "bio": "胸 O\n痛 O\n",
                           "cehrner": '{"text": "胸痛", "mention_data": []}\n',
                           "cmeee": '[{"text": "胸痛", "entities": []}]'}[fmt], encoding="utf-8")
            empty = d / f"{fmt}-empty"
            empty.write_bytes(b"")
        import_case(g, f"{fmt}: non-UTF-8 bytes", nonutf, fmt, "refuse")
        import_case(g, f"{fmt}: --encoding xyz", ok, fmt, "refuse", "--encoding", "xyz")
        if empty is not None:
            import_case(g, f"{fmt}: empty file", empty, fmt, "either", check=expect_texts())
    g.notes.append("folder: lone surrogate not expressible in a UTF-8 file (covered by non-UTF-8 bytes)")


# ============================================================== 4. JSONL line separators


def g_separators(g: Group) -> None:
    d = cfg.WORK / "separators"
    text = "患者咳嗽\u2028三天\u2029发热\u0085胸痛"
    rec = {"name": "sep", "text": text, "status": "reviewed",
           "spans": [{"start": 0, "end": 2, "label": "Organ"}, {"start": 10, "end": 12, "label": "Symptom"}]}
    src = write_jsonl(d / "sep.jsonl", [rec, {"text": "普通记录"}])

    def round_trip(case: str, project: Path) -> None:
        out = d / f"{case[:8]}-export.jsonl"
        res = cli("export", project, out, "--format", "jsonl")
        if res.kind() != "succeeded":
            g.cli_case(f"{case}: export", res, "succeed", leftovers=leftovers(project, out.parent))
            return
        p2 = fresh_project("sep2")
        res2 = cli("import", p2, out, "--format", "jsonl")
        wrong = None
        if res2.kind() == "succeeded":
            a, b = stored(project), stored(p2)
            wrong = None if a == b else f"round trip changed the records: {len(a)} vs {len(b)} records" + \
                (f", first text {b[0][0]!r}" if b else "")
        g.cli_case(f"{case}: export → re-import", res2, "succeed", wrong=wrong,
                   leftovers=leftovers(project, p2, out.parent))

    p = fresh_project("sep")
    if import_case(g, "import raw U+2028/U+2029/U+0085 text", src, "jsonl", "succeed",
                   check=expect_texts(text, "普通记录"), project=p)[0] == "succeeded":
        round_trip("from import", p)
    p = fresh_project("sep-api")
    r = helper("add-records", p, json.dumps([rec, {"text": "普通记录"}], ensure_ascii=False))
    if r.get("ok"):
        round_trip("API-made record", p)
    else:
        g.add("API-made record", "n/a", note=f"API insert failed: {r.get('error')}")

    p = fresh_project("sep-empty")
    r = helper("add-records", p, json.dumps([{"text": ""}, {"text": "胸痛"}], ensure_ascii=False))
    if not r.get("ok"):
        g.add("bio export with an empty record", "n/a", note=f"API insert failed: {r.get('error')}")
        return
    out = d / "records.bio"
    res = cli("export", p, out, "--format", "bio")
    wrong = None
    if res.kind() == "succeeded":
        blocks = [b for b in out.read_text(encoding="utf-8").split("\n\n") if b.strip()] if out.exists() else []
        said = any(w in (res.out + res.err).lower() for w in ("skip", "empty record", "without text"))
        if len(blocks) < 2 and not said:
            wrong = f"empty record silently dropped ({len(blocks)} record(s) written, output: {res.out.strip()!r})"
    g.cli_case("bio export with an empty record", res, "succeed", wrong=wrong, leftovers=leftovers(p, d))
