"""Team commands (issue 17): `madpg agreement`, `annotators`, `assign`, `history`.

`madpg agreement PROJECT`: agreement between the sheets of a project's double-annotated records.
`madpg agreement FILE FILE [FILE …]`: agreement between annotators who each exported their own
copy of the same records. Records are matched by name; a record whose text differs between the
files is refused, since offsets would not be comparable. Records only some annotators have are
compared among those.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from madpg_core.errors import MadpgError


def register(sub: argparse._SubParsersAction) -> None:
    from madpg_core.cli.project_cmds import PROJECT_HELP, project_arg

    p = sub.add_parser("agreement", help="inter-annotator agreement: a project's double-annotated records, "
                                         "or exports of the same records")
    p.add_argument("files", type=project_arg, nargs="+", metavar="PROJECT|FILE",
                   help="a project (its double-annotated records' sheets), or one export per annotator (two or more)")
    p.add_argument("--annotators", help="with a project: compare only these annotators, comma-separated")
    p.add_argument("--format", "-f", default="jsonl", help="the exports' format (default jsonl)")
    p.add_argument("--names", help="annotator names, comma-separated, in the order of the files "
                                   "(default: the file names without extension)")
    p.add_argument("--layer", type=int, default=0, help="the layer compared (default 0, the outer one)")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.set_defaults(func=cmd_agreement)

    p = sub.add_parser("annotators", help="the project's annotators, their assigned records and sheets")
    p.add_argument("project", type=project_arg, help=PROJECT_HELP)
    p.set_defaults(func=cmd_annotators)

    p = sub.add_parser("assign", help="assign records to annotators (double annotation: a seeded random sample)")
    p.add_argument("project", type=project_arg, help=PROJECT_HELP)
    p.add_argument("--annotators", required=True, help="annotator names, comma-separated")
    which = p.add_mutually_exclusive_group(required=True)
    which.add_argument("--fraction", type=float, help="give this share of all records (0–1], chosen at random, "
                                                      "to every one of the annotators (two or more)")
    which.add_argument("--records", help="give these record ids (comma-separated, ranges as 3-7) to the annotators")
    p.add_argument("--seed", type=int, default=1, help="with --fraction: the random seed (default 1)")
    p.add_argument("--remove", action="store_true", help="with --records: take the records back instead")
    p.set_defaults(func=cmd_assign)

    p = sub.add_parser("history", help="who changed what, when: the project's history, or one record's")
    p.add_argument("project", type=project_arg, help=PROJECT_HELP)
    p.add_argument("--record", type=int, help="only this record's entries")
    p.add_argument("--limit", type=int, help="only the newest N entries (printing)")
    p.add_argument("--out", type=Path, help="write the entries to this file (JSON lines; CSV if it ends in .csv)")
    p.set_defaults(func=cmd_history)


def _names(text: str | None) -> list[str] | None:
    if text is None:
        return None
    names = [n.strip() for n in text.split(",") if n.strip()]
    if not names:
        raise MadpgError("name at least one annotator (comma-separated)")
    return names


def _is_project(target: Path | str) -> bool:
    from madpg_core.storage.project import DB_NAME

    return isinstance(target, str) or (Path(target).is_dir() and (Path(target) / DB_NAME).exists()) \
        or Path(target).name == DB_NAME


def cmd_agreement(args: argparse.Namespace) -> int:
    if len(args.files) == 1 and _is_project(args.files[0]):
        return _project_agreement(args)
    if any(_is_project(f) for f in args.files):
        raise MadpgError("give either one project or two or more exports, not both")
    return _files_agreement(args)


def _print_report(report, header: str, as_json: bool) -> None:  # noqa: ANN001 - an AgreementReport
    if as_json:
        json.dump(report.as_dict(), sys.stdout, ensure_ascii=False, indent=1)
        print()
    else:
        print(header + "\n")
        print(report.markdown())


def _project_agreement(args: argparse.Namespace) -> int:
    from madpg_core.agreement import compute_agreement
    from madpg_core.storage import team
    from madpg_core.storage.project import Project

    wanted = _names(args.annotators)
    if wanted is not None and len(set(wanted)) < 2:
        raise MadpgError(f"--annotators needs two or more different names, got {', '.join(wanted)}")
    with Project.open(args.files[0], read_only=True) as project, project.reading() as s:
        shared = team.double_annotated_sheets(s, wanted)
    if not shared:
        who = f" by two or more of {', '.join(wanted)}" if wanted else ""
        raise MadpgError(f"no double-annotated record has sheets{who} yet (assign records with `madpg assign "
                         "--fraction`, and let the annotators open them)")
    names = wanted or sorted({n for _, _, sheets in shared for n in sheets})
    report = compute_agreement([(text, sheets) for _, text, sheets in shared], annotators=names, layer=args.layer)
    _print_report(report, f"{len(shared)} double-annotated records with sheets of {', '.join(names)}", args.json)
    return 0


def _files_agreement(args: argparse.Namespace) -> int:
    from madpg_core.agreement import compute_agreement
    from madpg_core.formats import read_records

    if len(args.files) < 2:
        raise MadpgError("agreement needs a project, or the exports of at least two annotators")
    if args.annotators:
        raise MadpgError("--annotators is for a project; name the exports' annotators with --names")
    names = [n.strip() for n in args.names.split(",")] if args.names else [f.stem for f in args.files]
    if len(names) != len(args.files) or len(set(names)) != len(names):
        raise MadpgError(f"--names needs {len(args.files)} different names, one per file: got {names}")
    by_name: dict[str, tuple[str, dict]] = {}
    for who, path in zip(names, args.files, strict=True):
        records, _ = read_records(path, args.format)
        for r in records:
            key = r.name or r.text  # a record without a name is matched by its text
            text, layers = by_name.setdefault(key, (r.text, {}))
            if text != r.text:
                raise MadpgError(f"{path}: record {key!r} has another text than in {args.files[0]}; "
                                 "agreement compares annotations of the same text")
            if who in layers:
                raise MadpgError(f"{path}: record {key!r} appears twice")
            layers[who] = list(r.spans)
    shared = [(text, layers) for text, layers in by_name.values() if len(layers) >= 2]
    if not shared:
        raise MadpgError("no record is in two or more of the files (records are matched by name)")
    report = compute_agreement(shared, annotators=names, layer=args.layer)
    _print_report(report, f"{len(shared)} records annotated by two or more of {', '.join(names)}", args.json)
    return 0


def cmd_annotators(args: argparse.Namespace) -> int:
    from madpg_core.cli.project_cmds import ljust
    from madpg_core.storage import team
    from madpg_core.storage.project import Project

    with Project.open(args.project, read_only=True) as project, project.reading() as s:
        rows = team.annotator_summary(s)
    print(f"{ljust('annotator', 24)}{'assigned':>9}{'double':>8}{'sheets':>8}{'gold spans':>12}")
    for r in rows:
        print(f"{ljust(r.name, 24)}{r.assigned:>9}{r.double:>8}{r.sheets:>8}{r.gold_spans:>12}")
    return 0


def _record_ids(text: str) -> list[int]:
    ids: list[int] = []
    for part in (x.strip() for x in text.split(",")):
        if not part:
            continue
        lo, _, hi = part.partition("-")
        try:
            a, b = int(lo), int(hi or lo)
        except ValueError:
            raise MadpgError(f"--records: {part!r} is not a record id or a range like 3-7") from None
        if b < a:
            raise MadpgError(f"--records: the range {part!r} runs backwards")
        ids.extend(range(a, b + 1))
    if not ids:
        raise MadpgError("--records names no record")
    return ids


def cmd_assign(args: argparse.Namespace) -> int:
    from madpg_core.storage import team
    from madpg_core.storage.project import Project

    names = _names(args.annotators)
    with Project.open(args.project) as project, project.transaction() as s:
        if args.fraction is not None:
            if args.remove:
                raise MadpgError("--remove takes --records, not --fraction")
            chosen = team.assign_double_sample(s, names, args.fraction, args.seed)
            print(f"{len(chosen)} records (seed {args.seed}) double-annotated by {', '.join(names)}: "
                  f"{_ranges(chosen)}")
        elif args.remove:
            n = team.unassign(s, _record_ids(args.records), names)
            print(f"{n} assignments removed (the sheets stay)")
        else:
            n = team.assign(s, _record_ids(args.records), names)
            print(f"{n} new assignments to {', '.join(names)}")
    return 0


def _ranges(ids: list[int]) -> str:
    """1-3, 7, 9-10: sorted record ids as a short line."""
    runs: list[list[int]] = []
    for i in ids:
        if runs and runs[-1][1] == i - 1:
            runs[-1][1] = i
        else:
            runs.append([i, i])
    return ", ".join(str(a) if a == b else f"{a}-{b}" for a, b in runs)


def cmd_history(args: argparse.Namespace) -> int:
    from madpg_core.storage import history
    from madpg_core.storage.project import Project

    with Project.open(args.project, read_only=True) as project, project.reading() as s:
        if args.out is not None:
            n = history.export_history(s, args.out, args.record)
            print(f"{n} history entries written to {args.out}")
            return 0
        entries = history.entries(s, args.record, args.limit)
    from madpg_core.cli.project_cmds import ljust

    for e in entries:
        where = f"record {e.record_id}" if e.record_id is not None else "project"
        print(f"{e.at.isoformat(sep=' ', timespec='seconds')}Z  {ljust(e.annotator, 16)} {where:<12} {e.action:<20} "
              f"{_brief(e.before)} → {_brief(e.after)}")
    if not entries:
        print("no history entries" + (f" for record {args.record}" if args.record is not None else ""))
    return 0


def _brief(doc: object, width: int = 60) -> str:
    if doc is None:
        return "–"
    text = json.dumps(doc, ensure_ascii=False, separators=(",", ":"))
    return text if len(text) <= width else text[: width - 1] + "…"
