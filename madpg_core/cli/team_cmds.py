"""`madpg agreement FILE FILE [FILE …]`: agreement between annotators who each exported their own
copy of the same records (issue 17 item 3, before annotators live in one project).

Records are matched by name; a record whose text differs between the files is refused, since
offsets would not be comparable. Records only some annotators have are compared among those.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from madpg_core.errors import MadpgError


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("agreement", help="inter-annotator agreement between exports of the same records")
    p.add_argument("files", type=Path, nargs="+", help="one export per annotator (two or more)")
    p.add_argument("--format", "-f", default="jsonl", help="their format (default jsonl)")
    p.add_argument("--names", help="annotator names, comma-separated, in the order of the files "
                                   "(default: the file names without extension)")
    p.add_argument("--layer", type=int, default=0, help="the layer compared (default 0, the outer one)")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.set_defaults(func=cmd_agreement)


def cmd_agreement(args: argparse.Namespace) -> int:
    from madpg_core.agreement import compute_agreement
    from madpg_core.formats import read_records

    if len(args.files) < 2:
        raise MadpgError("agreement needs the exports of at least two annotators")
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
    if args.json:
        json.dump(report.as_dict(), sys.stdout, ensure_ascii=False, indent=1)
        print()
    else:
        print(f"{len(shared)} records annotated by two or more of {', '.join(names)}\n")
        print(report.markdown())
    return 0
