"""`madpg init | import | export | stats | settings`: projects, their data in and out."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from madpg_core.domain import LabelSchema, count
from madpg_core.errors import MadpgError

PROJECT_HELP = "project folder, or a server project's address postgresql://USER@HOST[:PORT]/DATABASE"


def project_arg(text: str) -> Path | str:
    """The ``type=`` of every PROJECT argument: a folder, or a server project's URL kept as text
    (``Path`` would fold its ``//``). Project.open and Project.create take either."""
    from madpg_core.storage.db import is_server_url

    return text.strip() if is_server_url(text.strip()) else Path(text)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("init", help="create a project folder, or a server project in an empty PostgreSQL database")
    p.add_argument("project", type=project_arg, help=PROJECT_HELP + " (the database must exist and be empty)")
    p.add_argument("--labels", help="comma-separated entity types (default: the paper's five)")
    p.add_argument("--name", help="display name (default: the folder name)")
    p.set_defaults(func=cmd_init)

    from madpg_core.formats import EXPORT_FORMATS, FORMATS

    p = sub.add_parser("import", help="import records into a project (all or nothing)")
    p.add_argument("project", type=project_arg, help=PROJECT_HELP)
    p.add_argument("path", type=Path, help="file, or folder for --format folder or brat (hf: either)")
    p.add_argument("--format", "-f", required=True, choices=FORMATS)
    p.add_argument("--map", type=Path, help="type map file (JSON or source<TAB>target lines)")
    p.add_argument("--encoding", default="utf-8", help="text encoding of the input (default utf-8)")
    p.add_argument("--show-warnings", action="store_true", help="print every warning, not only the count")
    p.add_argument("--images-root", type=Path, metavar="DIR",
                   help="where relative image references resolve (default: the imported file's folder)")
    p.add_argument("--allow-outside-images", action="store_true",
                   help="accept image references that leave that folder (.., absolute paths, symlinks)")
    p.add_argument("--on-duplicate", choices=("skip", "replace", "add"), default="skip",
                   help="a record already in the project (same name and text): skip it (default), replace its "
                        "spans, status and images by the file's (it keeps its id and note), or add it again")
    p.add_argument("--replace-reviewed", action="store_true",
                   help="with --on-duplicate replace: replace reviewed records too (kept as they are otherwise)")
    p.add_argument("--dicom-identity", choices=("strip", "keep"),
                   help="for this import: de-identify DICOM headers (strip) or keep them as they are "
                        "(default: the project's setting, see `madpg settings`)")
    p.set_defaults(func=cmd_import)

    p = sub.add_parser("settings", help="show or change the project's settings")
    p.add_argument("project", type=project_arg, help=PROJECT_HELP)
    p.add_argument("--dicom-identity", choices=("strip", "keep"),
                   help="what imports do with DICOM headers: de-identify them (strip, the default) or keep them")
    p.set_defaults(func=cmd_settings)

    p = sub.add_parser("export", help="export a project's records")
    p.add_argument("project", type=project_arg, help=PROJECT_HELP)
    p.add_argument("out", type=Path)
    p.add_argument("--format", "-f", required=True, choices=EXPORT_FORMATS)
    p.add_argument("--status", choices=("all", "reviewed"), default="all")
    p.add_argument("--layer", choices=("outer", "inner"), default="outer",
                   help="bio/conll/conll2003/hf hold one flat layer of nested entities: the outermost (default) "
                        "or the innermost; the others are counted, not written")
    p.add_argument("--assertion-column", action="store_true",
                   help="bio/conll: a third column with each entity's assertion status (present, absent, …)")
    from madpg_core.cli.phi_cmds import add_export_options

    add_export_options(p)  # --allow-phi, --mask-phi: the personal-information gate
    p.set_defaults(func=cmd_export)

    p = sub.add_parser("stats", help="records by status, entities by type")
    p.add_argument("project", type=project_arg, help=PROJECT_HELP)
    p.set_defaults(func=cmd_stats)

    p = sub.add_parser("records", help="list record ids, names and status (for prelabel --records)")
    p.add_argument("project", type=project_arg, help=PROJECT_HELP)
    p.add_argument("--status", choices=("new", "pre-labelled", "reviewed"), action="append",
                   help="only records of this status (repeatable)")
    p.set_defaults(func=cmd_records)

    p = sub.add_parser("backups", help="list the project file's daily backups")
    p.add_argument("project", type=project_arg, help="project folder (a server project's backup is the server's pg_dump)")
    p.set_defaults(func=cmd_backups)

    p = sub.add_parser("restore", help="replace the project file by one of its backups (the current one is kept)")
    p.add_argument("project", type=project_arg, help="project folder")
    p.add_argument("backup", help="a file name from `madpg backups`, or a path")
    p.set_defaults(func=cmd_restore)


PLAIN_PROGRESS_EVERY_S = 5.0  # when stderr is not a terminal: one line this often, not a redrawn bar


@contextmanager
def progress_bar(desc: str) -> Iterator[Callable[[int, int], None]]:
    """A tqdm bar on stderr, fed by the core's (done, total) callbacks. When stderr is not a terminal
    (a log file, a pipe, a job scheduler) a redrawn bar would be noise: a plain line every
    ``PLAIN_PROGRESS_EVERY_S`` seconds says how far a long job is, and short jobs print nothing."""
    import time

    from tqdm import tqdm

    tty = sys.stderr.isatty()
    bar = tqdm(desc=desc, unit="rec", file=sys.stderr, disable=not tty, leave=False)
    last = [time.monotonic()]

    def update(done: int, total: int) -> None:
        if tty:
            bar.total = total
            bar.n = done
            bar.refresh()
            return
        now = time.monotonic()
        if now - last[0] >= PLAIN_PROGRESS_EVERY_S and done < total:
            last[0] = now
            print(f"{desc}: {done:,} / {total:,} records ({100 * done / max(total, 1):.0f} %)",
                  file=sys.stderr, flush=True)

    try:
        yield update
    finally:
        bar.close()


def cmd_init(args: argparse.Namespace) -> int:
    from madpg_core.storage.project import Project

    schema = LabelSchema.from_names([x.strip() for x in args.labels.split(",") if x.strip()]) if args.labels \
        else LabelSchema.default()
    with Project.create(args.project, schema, args.name) as project:
        where = f"on the server {project.url}" if project.is_server else f"in {project.folder}"
        print(f"created project {project.name!r} {where} with types {', '.join(schema.names)}")
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    from madpg_core.cli.loop_cmds import stop_on_signals
    from madpg_core.formats import load_type_map
    from madpg_core.storage.project import Project
    from madpg_core.transfer import import_into

    type_map = load_type_map(args.map) if args.map else None
    with stop_on_signals() as stop, Project.open(args.project, on_wait=waiting_message) as project, \
            progress_bar("importing") as bar:
        report = import_into(project, args.path, args.format, type_map, encoding=args.encoding, on_progress=bar,
                             stop=stop, images_root=args.images_root, allow_outside_images=args.allow_outside_images,
                             on_duplicate=args.on_duplicate, replace_reviewed=args.replace_reviewed,
                             dicom_identity=args.dicom_identity)
    print(report.summary())
    if report.skipped:  # the summary's counts, and how to get the other outcome
        print(f"note: {count(report.skipped, 'record')} already in the project left unchanged "
              "(--on-duplicate replace or add to import them anyway)", file=sys.stderr)
    if report.kept_reviewed:
        print(f"note: {count(report.kept_reviewed, 'reviewed record')} not replaced "
              "(--replace-reviewed replaces reviewed records too)", file=sys.stderr)
    for w in report.warnings if args.show_warnings else report.warnings[:5]:
        print(f"warning: {w}", file=sys.stderr)
    if len(report.warnings) > 5 and not args.show_warnings:
        print(f"... {len(report.warnings) - 5} more warnings (--show-warnings)", file=sys.stderr)
    return 0


def cmd_settings(args: argparse.Namespace) -> int:
    from madpg_core.storage.project import Project

    with Project.open(args.project, on_wait=waiting_message, backup=False) as project:
        if args.dicom_identity:
            project.set_dicom_identity(args.dicom_identity)
        print(f"dicom-identity: {project.dicom_identity}")
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from madpg_core.cli.loop_cmds import stop_on_signals
    from madpg_core.cli.phi_cmds import export_source
    from madpg_core.storage.project import Project
    from madpg_core.transfer import export_project

    with stop_on_signals() as stop, Project.open(args.project, read_only=True) as project, \
            export_source(project, args) as source, progress_bar("exporting") as bar:
        counts = export_project(source, args.out, args.format, args.status, on_progress=bar, stop=stop,
                                layer=args.layer, assertion_column=args.assertion_column)
    print(f"exported {counts.written} records to {args.out}", file=sys.stderr if _is_stdout(args.out) else sys.stdout)
    if counts.images:
        print(f"copied {counts.images} images, under their original names, to {counts.images_folder}",
              file=sys.stderr if _is_stdout(args.out) else sys.stdout)
    for missing in counts.missing_images:
        print(f"warning: image missing from the project, not exported: {missing}", file=sys.stderr)
    if counts.skipped_empty:
        print(f"warning: {counts.skipped_empty} empty records were not written: {args.format} cannot hold a record "
              "without text (jsonl can)", file=sys.stderr)
    if counts.spans_left_out:
        other = "inner" if args.layer == "outer" else "outer"
        print(f"warning: {count(counts.spans_left_out, 'nested or overlapping entity', 'nested or overlapping entities')}"
              f" not written: {args.format} holds one layer (here the {args.layer} one; --layer {other} writes the "
              "other, jsonl keeps all)", file=sys.stderr)
    for lost in counts.losses():
        print(f"warning: not carried by {args.format}: {lost} (jsonl and spacy keep everything)", file=sys.stderr)
    return 0


def _is_stdout(path: Path) -> bool:
    return str(path) in ("/dev/stdout", "/dev/fd/1", "/proc/self/fd/1")


def waiting_message(seconds: float) -> None:
    """What a command says while another program holds the project's write lock."""
    print(f"waiting for another program writing this project ({seconds:.0f} s)…", file=sys.stderr)


def ljust(text: str, width: int) -> str:
    """Pad to a terminal width: CJK characters take two columns."""
    import unicodedata

    used = sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)
    return text + " " * max(0, width - used)


def cmd_stats(args: argparse.Namespace) -> int:
    from madpg_core.storage import repo
    from madpg_core.storage.project import Project

    with Project.open(args.project, read_only=True) as project, project.reading() as s:
        st = repo.stats(s)
        name = project.name
    print(f"project {name}: {st.records} records, {st.images} images")
    print(f"{'status':<14}{'records':>8}")
    for k, v in st.records_by_status.items():
        print(f"{k:<14}{v:>8}")
    print(f"\n{'entity type':<14}{'spans':>8}")
    for k, v in st.entities_by_type.items():
        print(f"{ljust(k, 14)}{v:>8}")
    print(f"{'total':<14}{sum(st.entities_by_type.values()):>8}")
    return 0


def _no_server_backups(project: Path | str) -> None:
    if isinstance(project, str):  # project_arg keeps only server addresses as text
        raise MadpgError("a server project has no MADPG backups: the department's pg_dump of the database is "
                         "its backup (backups and restore are for project folders)")


def cmd_backups(args: argparse.Namespace) -> int:
    from madpg_core.storage import backups

    _no_server_backups(args.project)

    found = backups.list_backups(args.project)
    if not found:
        print(f"no backups in {backups.backup_dir(args.project)} yet (one is taken per day when the project opens)")
        return 0
    print(f"{'backup':<34}{'size':>10}  check")
    for b in found:
        print(f"{b.name:<34}{b.stat().st_size / 1e6:>8.1f}MB  {backups.quick_check(b)}")
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    from madpg_core.storage import backups

    _no_server_backups(args.project)

    aside = backups.restore(args.project, args.backup)
    print(f"restored {args.backup}; the file it replaced is kept as {aside}")
    return 0


def cmd_records(args: argparse.Namespace) -> int:
    from madpg_core.domain import RecordStatus
    from madpg_core.storage import repo
    from madpg_core.storage.project import Project

    wanted = {RecordStatus(x) for x in args.status or ()}
    with Project.open(args.project, read_only=True) as project, project.reading() as s:
        rows = [r for r in repo.list_records(s, preview_chars=40) if not wanted or r.status in wanted]
    print(f"{'id':>6}  {'status':<13}{'spans':>6}  {ljust('name', 24)}text")
    for r in rows:
        preview = " ".join(r.preview.split())
        print(f"{r.id:>6}  {r.status.value:<13}{r.n_spans:>6}  {ljust(r.name[:22], 24)}{preview}")
    print(f"{len(rows)} records", file=sys.stderr)
    return 0
