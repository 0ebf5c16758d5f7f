"""`madpg phi` and the export gate: personal information in the records, listed on demand, and
checked before `madpg export` writes anything (refused, allowed with --allow-phi, or masked)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from contextlib import contextmanager

from madpg_core.cli.project_cmds import PROJECT_HELP, project_arg
from madpg_core.errors import MadpgError

SHOWN = 10  # findings listed when an export is refused: enough to see what kind of problem it is


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("phi", help="list personal information (ID and phone numbers, names, addresses …) in records")
    p.add_argument("project", type=project_arg, help=PROJECT_HELP)
    p.add_argument("--status", choices=("all", "reviewed"), default="all", help="records to scan (as export)")
    p.add_argument("--limit", type=int, default=0, help="list at most this many findings (default: all)")
    p.set_defaults(func=cmd_phi)


def add_export_options(p: argparse.ArgumentParser) -> None:
    """The gate's options of `madpg export`."""
    g = p.add_mutually_exclusive_group()
    g.add_argument("--allow-phi", action="store_true",
                   help="export even where the scan finds personal information (ID, phone, names …)")
    g.add_argument("--mask-phi", action="store_true",
                   help="write what the scan finds masked with ＊ (same length; the project is unchanged)")


def _listing(project, status: str, limit: int) -> tuple[list, list[str]]:  # noqa: ANN001
    from madpg_core.phi import mask
    from madpg_core.phi_gate import context, scan_project

    lines: list[str] = []

    def show(_rid: int, name: str, text: str, found: list) -> None:
        text = mask(text, found)
        for f in found:
            if not limit or len(lines) < limit:
                lines.append(f"  {name}  {f.kind:<13} {f.start}-{f.end}  {context(text, f)}")

    return scan_project(project, status, on_record=show), lines


def cmd_phi(args: argparse.Namespace) -> int:
    from madpg_core.domain import count
    from madpg_core.storage.project import Project

    with Project.open(args.project, read_only=True) as project:
        findings, lines = _listing(project, args.status, args.limit)
    print("\n".join(lines) if lines else "no personal information found")
    if findings:
        records = len({f.record_id for f in findings})
        print(f"{count(len(findings), 'finding')} in {count(records, 'record')}", file=sys.stderr)
    return 0


@contextmanager
def export_source(project, args: argparse.Namespace) -> Iterator[object]:  # noqa: ANN001
    """What `madpg export` exports from: the project, or a masked copy of it with --mask-phi. While
    the scan finds something and neither option is given, the export is refused (exit 2) before a
    file is written, and the first findings are listed (masked) on stderr."""
    from madpg_core.domain import count
    from madpg_core.phi_gate import masked_copy

    if args.allow_phi:
        yield project
        return
    findings, lines = _listing(project, args.status, SHOWN)
    if not findings:
        yield project
    elif args.mask_phi:
        with masked_copy(project, findings) as copy:
            print(f"masking {count(len(findings), 'finding')} of personal information in the export",
                  file=sys.stderr)
            yield copy
    else:
        print("\n".join(lines), file=sys.stderr)
        if len(findings) > SHOWN:
            print(f"  … {len(findings) - SHOWN} more (`madpg phi {args.project}` lists them all)", file=sys.stderr)
        raise MadpgError(f"export refused: {count(len(findings), 'finding')} of personal information in "
                         f"{count(len({f.record_id for f in findings}), 'record')}; --mask-phi writes them masked, "
                         "--allow-phi exports them as they are")
