"""How many CPU threads torch (and the OpenMP/BLAS libraries under it) may use, for every process
the app starts: the GUI (its pre-label worker), training and pre-label children, and the CLI.

The one setting is the environment variable ``MADPG_THREADS``: a whole number of threads, or
``auto`` (the default, also when unset or empty). The GUI's preference ``threads`` in gui.toml
(0 = auto) is exported as ``MADPG_THREADS`` when the variable is not set already, and
:func:`child_env` passes it, with the OpenMP/MKL variables, to the children the app starts.

The automatic policy (:func:`threads_for`), measured on a shared 2-core machine (issue 21):

* **pre-labelling, the GUI process, other CLI commands: 1 thread.** Inference runs many small
  kernels (the BiLSTM steps character by character); on a quiet machine 2 threads were only
  9–24 % faster than 1, but beside any other load (another process, the app's own training
  child) they were 5–18× *slower* per record: an OpenMP thread spins at every barrier waiting
  for a sibling the scheduler has preempted (~60 % of the samples were spinning inside the LSTM
  kernel). One thread cannot wait for itself, so it degrades gracefully, and it leaves the other
  cores to the window and to training.
* **training: up to min(4, cores − 1) threads, only while the machine is idle, else 1.** A
  training step (forward and backward over a batch) has larger matrices, so extra threads pay
  more than in inference, but only while no other work competes for the cores: the 1-minute
  load average is sampled when training starts, and cores busy on average by more than a
  quarter count as taken. One core is always left over because the app is made for training in
  the background while the user annotates and pre-labels in the window (one more busy thread
  the start-time sample cannot see yet); on a 2-core machine this means 1 thread. Beyond 4
  threads the small GEMMs of these models stop scaling. Where the load average is unknown
  (Windows), training takes 1 thread: the safe side of the measurement above.

Inter-op threads are set to 1 for every role: the models run no inter-op parallel work, so that
pool would only hold idle threads.

The OpenMP/MKL variables are read when torch (and numpy's BLAS) loads, so :func:`apply` sets them
before it imports torch, and :func:`child_env` puts them into a child's environment. ``apply``
imports torch only for the roles that use it at once ("prelabel", "train"); for "gui" and "cli"
it only sets the variables (and the thread count, when torch is already loaded), so that
``madpg stats`` or the window's start never pay for importing torch.
"""

from __future__ import annotations

import importlib
import logging
import math
import os
import sys
from collections.abc import Mapping

log = logging.getLogger(__name__)

ENV = "MADPG_THREADS"
ROLES = ("prelabel", "train", "gui", "cli")
TORCH_ROLES = frozenset({"prelabel", "train"})  # these import torch in apply(): they use it at once
LIBRARY_VARS = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")
TRAIN_MAX = 4  # more threads stop paying for these models' small matrices
BUSY_FRACTION = 0.25  # a core busier than this on average (load average) is not free
COMMAND_ROLES = {"train": "train", "prelabel": "prelabel"}  # `madpg COMMAND`; any other: "cli"

_interop_set = False


def cores() -> int:
    """The CPUs this process may run on (its affinity mask where the OS has one)."""
    count = getattr(os, "process_cpu_count", None)  # Python 3.13+
    if count is not None:
        return max(1, count() or 1)
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def load_average() -> float | None:
    """The 1-minute load average, or None where the OS has none (Windows)."""
    try:
        return os.getloadavg()[0]
    except (AttributeError, OSError):
        return None


def setting(environ: Mapping[str, str] | None = None) -> int | None:
    """The thread count ``MADPG_THREADS`` asks for, or None for the automatic policy ("auto",
    unset, empty, 0, or a value that is not a whole number — the latter with a warning)."""
    raw = (os.environ if environ is None else environ).get(ENV, "").strip().lower()
    if raw in ("", "auto", "0"):
        return None
    try:
        n = int(raw)
    except ValueError:
        n = -1
    if n < 1:
        log.warning("%s=%r is neither a positive whole number nor 'auto': using the automatic policy", ENV, raw)
        return None
    return n


def threads_for(role: str, *, requested: int | None = None, n_cores: int | None = None,
                load: float | None = None) -> int:
    """Intra-op threads for ``role`` (see the module docstring for why).

    Args:
        role: "prelabel", "train", "gui" or "cli".
        requested: an explicit count (``MADPG_THREADS``), used as given for every role.
        n_cores: CPUs available (default: :func:`cores`).
        load: the 1-minute load average (only "train" looks at it); None where unknown.
    """
    if role not in ROLES:
        raise ValueError(f"unknown thread role {role!r}; one of {', '.join(ROLES)}")
    if requested is not None:
        return max(1, int(requested))
    if role != "train" or load is None:
        return 1
    n = n_cores if n_cores is not None else cores()
    busy = max(0, math.ceil(load - BUSY_FRACTION))  # cores taken by other work, on average
    return max(1, min(TRAIN_MAX, n - 1 - busy))


def decide(role: str, environ: Mapping[str, str] | None = None) -> int:
    """The thread count ``role`` gets in this process now: ``MADPG_THREADS``, else the policy."""
    requested = setting(environ)
    if requested is not None:
        return threads_for(role, requested=requested)
    return threads_for(role, load=load_average() if role == "train" else None)


def library_vars(n: int) -> dict[str, str]:
    """The OpenMP/BLAS variables that hold those libraries to ``n`` threads."""
    return {name: str(n) for name in LIBRARY_VARS}


def child_vars(role: str) -> dict[str, str]:
    """The variables a child process of ``role`` needs: ``MADPG_THREADS`` as set here ("auto"
    when unset: the child decides by its own policy, e.g. training by the load when it starts)
    and the OpenMP/MKL variables for the count decided here, which hold even for a child that
    never calls :func:`apply` (the child's ``apply`` overrides them before torch loads)."""
    requested = setting()
    return {ENV: str(requested) if requested is not None else "auto", **library_vars(decide(role))}


def child_env(role: str, base: Mapping[str, str] | None = None) -> dict[str, str]:
    """A whole environment for a child process of ``role``: ``base`` (default this process's
    environment) with :func:`child_vars` on top; pass it as ``env=`` to ``subprocess``."""
    return {**(os.environ if base is None else base), **child_vars(role)}


def command_role(command: str | None) -> str:
    """The role of ``madpg COMMAND``: train → "train", prelabel → "prelabel", any other → "cli"."""
    return COMMAND_ROLES.get(command or "", "cli")


def apply(role: str) -> int:
    """Apply the policy for ``role`` to this process; return the intra-op thread count.

    Sets the OpenMP/MKL variables (for torch and BLAS libraries not loaded yet, and for children
    that inherit this environment), then, when torch is loaded (or ``role`` uses it at once, so it
    is imported here), ``torch.set_num_threads`` and, once per process and only before any
    parallel work, ``torch.set_num_interop_threads(1)``. Safe to call again (e.g. by each
    pre-label run of the GUI's worker thread). Logs "torch threads: N (role)" at INFO.
    """
    n = decide(role)
    os.environ.update(library_vars(n))
    torch = sys.modules.get("torch")
    if torch is None and role in TORCH_ROLES:
        torch = importlib.import_module("torch")
    if torch is None:
        log.info("torch threads: %d (%s)", n, role)
        log.debug("torch is not loaded yet: it takes the count from %s", "/".join(LIBRARY_VARS))
        return n
    torch.set_num_threads(n)
    _set_interop(torch)
    actual = torch.get_num_threads()
    log.info("torch threads: %d (%s)", actual, role)
    log.debug("torch inter-op threads: %d", torch.get_num_interop_threads())
    return actual


def _set_interop(torch: object) -> None:
    """``set_num_interop_threads`` works once per process and only before inter-op parallel work
    started: try it once; when torch refuses (someone else did first), leave it as it is."""
    global _interop_set
    if _interop_set:
        return
    _interop_set = True
    try:
        torch.set_num_interop_threads(1)  # type: ignore[attr-defined]
    except RuntimeError as e:
        log.debug("inter-op threads left at %s: %s", torch.get_num_interop_threads(), e)  # type: ignore[attr-defined]
