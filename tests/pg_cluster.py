"""A throw-away PostgreSQL cluster for the tests and the team benchmark: one place that knows how
to find the server binaries, start a cluster in a folder and stop it again.

Used by ``.ci/run`` (as a script: ``python3 tests/pg_cluster.py start|stop FOLDER``) and by
``benchmarks/team.py`` (imported). Standard library only: CI calls it before ``.venv`` exists.

The cluster listens on a Unix socket inside FOLDER only (``listen_addresses=''``), so it needs no
free TCP port and nobody else on the machine can reach it; it trusts local connections (a test
cluster holds nothing worth a password). initdb and postgres refuse to run as root: as root, the
folder is given to the ``postgres`` OS user and the binaries run as that user.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

DB = "madpg_test"
SUPERUSER = "postgres"
RUN_AS = "postgres"  # the OS user the server runs as when we are root


def find_bindir() -> Path | None:
    """The newest installed server's bin folder (Debian keeps them in /usr/lib/postgresql/N/bin)."""
    found = []
    for d in glob.glob("/usr/lib/postgresql/*/bin"):
        try:
            found.append((int(Path(d).parent.name), Path(d)))
        except ValueError:
            continue
    for _, d in sorted(found, reverse=True):
        if (d / "initdb").is_file() and (d / "pg_ctl").is_file():
            return d
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def _free_port() -> int:
    # only names the socket file (.s.PGSQL.PORT); a free TCP port keeps it unambiguous in logs
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _as_server_user(cmd: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return cmd
    runuser = shutil.which("runuser")
    return [runuser, "-u", RUN_AS, "--", *cmd] if runuser else ["su", RUN_AS, "-s", "/bin/sh", "-c",
                                                                " ".join(map(_quote, cmd))]


def _quote(s: str) -> str:
    import shlex

    return shlex.quote(s)


def _run(cmd: list[str], **kw) -> subprocess.CompletedProcess:  # noqa: ANN003 - subprocess options
    return subprocess.run(_as_server_user(cmd), capture_output=True, text=True, **kw)


def start(folder: Path | str, *, durable: bool = False) -> str:
    """Create and start a cluster under ``folder`` (created if need be) → its URL, whose database
    ``madpg_test`` exists. ``durable=False`` (tests) turns fsync off: a throw-away cluster need not
    survive a power cut; the benchmark passes ``durable=True`` to measure what a department gets.
    Raises RuntimeError with the server's own words when it cannot start. As root, ``folder``'s
    parents must be open to the postgres user (a folder right under /tmp is)."""
    bindir = find_bindir()
    if bindir is None:
        raise RuntimeError("no PostgreSQL server binaries found (apt-get install postgresql)")
    folder = Path(folder).resolve()
    folder.mkdir(parents=True, exist_ok=True)
    data, sock = folder / "data", folder / "sock"
    sock.mkdir(exist_ok=True)
    if os.geteuid() == 0:
        shutil.chown(folder, RUN_AS)
        shutil.chown(sock, RUN_AS)
    r = _run([str(bindir / "initdb"), "-D", str(data), "-U", SUPERUSER, "--auth=trust", "-E", "UTF8",
              "--locale=C", "--no-sync"])
    if r.returncode != 0:
        raise RuntimeError(f"initdb failed: {(r.stderr or r.stdout).strip()[-800:]}")
    port = _free_port()
    settings = [f"-p {port}", "-c listen_addresses=''", f"-k {sock}", "-c max_connections=100",
                "-c shared_buffers=64MB"]
    if not durable:
        settings += ["-c fsync=off", "-c full_page_writes=off", "-c synchronous_commit=off"]
    r = _run([str(bindir / "pg_ctl"), "-D", str(data), "-l", str(folder / "server.log"), "-w", "-t", "60",
              "-o", " ".join(settings), "start"])
    if r.returncode != 0:
        log = (folder / "server.log").read_text(errors="replace")[-800:] if (folder / "server.log").exists() else ""
        raise RuntimeError(f"pg_ctl start failed: {(r.stderr or r.stdout).strip()[-400:]} {log}")
    (folder / "port").write_text(str(port))
    r = _run([str(bindir / "createdb"), "-h", str(sock), "-p", str(port), "-U", SUPERUSER, DB])
    if r.returncode != 0:
        stop(folder)
        raise RuntimeError(f"createdb failed: {r.stderr.strip()}")
    return url(folder)


def url(folder: Path | str) -> str:
    folder = Path(folder).resolve()
    port = (folder / "port").read_text().strip()
    return f"postgresql://{SUPERUSER}@/{DB}?host={folder / 'sock'}&port={port}"


def stop(folder: Path | str) -> None:
    """Stop the cluster under ``folder`` (fast: connections are cut) and remove the folder."""
    folder = Path(folder).resolve()
    bindir = find_bindir()
    if bindir is not None and (folder / "data" / "postmaster.pid").exists():
        _run([str(bindir / "pg_ctl"), "-D", str(folder / "data"), "-m", "fast", "-w", "-t", "30", "stop"])
    shutil.rmtree(folder, ignore_errors=True)


def main(argv: list[str]) -> int:
    if len(argv) == 1 and argv[0] == "find":
        bindir = find_bindir()
        print(bindir or "")
        return 0 if bindir else 1
    if len(argv) != 2 or argv[0] not in ("start", "stop"):
        print("usage: pg_cluster.py find | start FOLDER | stop FOLDER", file=sys.stderr)
        return 2
    if argv[0] == "stop":
        stop(argv[1])
        return 0
    try:
        started = time.monotonic()
        print(start(argv[1]))
        print(f"PostgreSQL started in {time.monotonic() - started:.1f} s", file=sys.stderr)
    except RuntimeError as e:
        print(f"PostgreSQL could not be started: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
