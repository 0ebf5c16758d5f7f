"""`madpg export-grounding PROJECT OUT.jsonl`: the project's region links as a grounding file (one
line per link; see formats/grounding.py). It carries span text, so the personal-information gate of
`madpg export` applies to it as well: refused while the scan finds something, unless --allow-phi or
--mask-phi."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from madpg_core.cli.project_cmds import PROJECT_HELP, project_arg


def register(sub: argparse._SubParsersAction) -> None:
    from madpg_core.cli.phi_cmds import add_export_options

    p = sub.add_parser("export-grounding",
                       help="export region links (span text, offsets, type, image, frame, box/polygon) as JSON lines")
    p.add_argument("project", type=project_arg, help=PROJECT_HELP)
    p.add_argument("out", type=Path)
    p.add_argument("--status", choices=("all", "reviewed"), default="all", help="records to export")
    add_export_options(p)  # --allow-phi, --mask-phi: the personal-information gate
    p.set_defaults(func=cmd_export_grounding)


def cmd_export_grounding(args: argparse.Namespace) -> int:
    from madpg_core.cli.loop_cmds import stop_on_signals
    from madpg_core.cli.phi_cmds import export_source
    from madpg_core.domain import count
    from madpg_core.formats.grounding import export_grounding
    from madpg_core.storage.project import Project

    with stop_on_signals() as stop, Project.open(args.project, read_only=True) as project, \
            export_source(project, args) as source:
        counts = export_grounding(source, args.out, args.status, stop=stop)
    print(f"wrote {count(counts.links, 'region link')} and {count(counts.not_visible, 'span')} marked not visible, "
          f"from {count(counts.records, 'record')}, to {args.out}")
    if not counts.lines:
        print("warning: no region links in the project yet (draw a region on an image and link it to a span)",
              file=sys.stderr)
    return 0
