"""The ``madpg`` command line. Each area registers its subcommands from its own module."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence

from madpg_core.errors import Cancelled, MadpgError


def build_parser() -> argparse.ArgumentParser:
    # Imported here so that `madpg --help` names every command, while each module stays small.
    from madpg_core.cli import (loop_cmds, model_cmds, parser_cmds, phi_cmds, project_cmds, region_cmds, resource_cmds,
                                team_cmds)

    parser = argparse.ArgumentParser(prog="madpg", description="MADPG Annotator command line")
    parser.add_argument("-v", "--verbose", action="store_true", help="log details and show tracebacks")
    parser.add_argument("--annotator", metavar="NAME",
                        help="whom this command's changes are attributed to (default: $MADPG_ANNOTATOR, "
                             "else the OS user name)")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in (project_cmds, phi_cmds, team_cmds, region_cmds, model_cmds, loop_cmds, parser_cmds, resource_cmds):
        module.register(sub)
    return parser


BAD_INPUT = 2  # as argparse: the command was refused, the project is unchanged
CANCELLED = 3  # stopped on request (SIGTERM, Ctrl+C), cleanly; as `train` and `prelabel`


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, format="%(levelname)s %(message)s")
    _log_to_file()
    # Before any command imports torch: its OpenMP threads are fixed when it loads (madpg_core.threads).
    from madpg_core import threads

    threads.apply(threads.command_role(args.command))
    # Every Project the command opens takes its annotator from MADPG_ANNOTATOR (project.default_annotator):
    # one place for all commands; put back afterwards, as main() also runs inside tests.
    annotator_before = os.environ.get("MADPG_ANNOTATOR")
    if args.annotator is not None:
        os.environ["MADPG_ANNOTATOR"] = args.annotator
    # SIGTERM keeps its default (the process ends at once; SQLite's journal keeps the project
    # whole). Long commands — import, export, train, pre-label — turn it into a stop request that
    # their work checks between units (cli.loop_cmds.stop_on_signals): an exception raised from a
    # signal handler could land inside SQLAlchemy's clean-up and print tracebacks.
    try:
        return int(args.func(args) or 0)
    except Cancelled as e:
        print(f"madpg: {e}", file=sys.stderr)
        return CANCELLED
    except MadpgError as e:
        if args.verbose:
            raise
        logging.getLogger(REFUSED).warning("%s: %s", args.command, _one_line(e))
        print(f"madpg: error: {_one_line(e)}", file=sys.stderr)
        return BAD_INPUT
    except KeyboardInterrupt:
        print("madpg: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # `madpg stats | head`: the reader left; that is not an error of ours. Point stdout at
        # devnull so the interpreter's final flush does not complain again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except OSError as e:  # missing files, permissions: one readable line, no traceback
        if args.verbose:
            raise
        print(f"madpg: error: {e.strerror or e}: {e.filename or ''}".rstrip(": "), file=sys.stderr)
        return BAD_INPUT
    finally:
        if annotator_before is None:
            os.environ.pop("MADPG_ANNOTATOR", None)
        else:
            os.environ["MADPG_ANNOTATOR"] = annotator_before


LOG_BYTES, LOG_KEPT = 1_000_000, 3
REFUSED = "madpg.refused"


def _log_to_file() -> None:
    """Warnings and errors also go to MADPG's data folder (logs/madpg.log, rotated at 1 MB, 3
    kept), where the README says logs are; a folder that cannot be written only loses the file."""
    from logging.handlers import RotatingFileHandler

    from madpg_core.paths import data_dir

    try:
        folder = data_dir() / "logs"
        folder.mkdir(parents=True, exist_ok=True)
        handler = RotatingFileHandler(folder / "madpg.log", maxBytes=LOG_BYTES, backupCount=LOG_KEPT,
                                      encoding="utf-8")
    except OSError:
        return
    handler.setLevel(logging.WARNING)
    handler.setFormatter(logging.Formatter("%(asctime)s %(process)d %(name)s %(levelname)s %(message)s"))
    logging.getLogger().addHandler(handler)
    refused = logging.getLogger(REFUSED)  # the file only: stderr already has the one-line message
    refused.propagate = False
    refused.addHandler(handler)


def _one_line(e: Exception) -> str:
    return " ".join(str(e).split("\n"))


if __name__ == "__main__":
    sys.exit(main())
