"""The thread policy (issue 21): one place decides torch's threads for every process the app starts;
children started the way the app starts them run with the count it decided."""

from __future__ import annotations

import logging
import subprocess
import sys
from pathlib import Path

import pytest

from madpg_core import threads

REPO = Path(__file__).resolve().parents[2]
PRINT_THREADS = "import madpg_core.threads as t; t.apply('{role}'); import torch; print(torch.get_num_threads())"


def _run(code: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True,
                          timeout=120, check=False)


@pytest.fixture
def no_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(threads.ENV, raising=False)
    for name in threads.LIBRARY_VARS:  # apply() in this process exports them; start each test clean
        monkeypatch.delenv(name, raising=False)


# ---------------------------------------------------------------- the policy


@pytest.mark.parametrize("role", ["prelabel", "gui", "cli"])
def test_prediction_and_everything_else_take_one_thread_whatever_the_machine(role: str) -> None:
    for load in (None, 0.0, 7.5):
        assert threads.threads_for(role, n_cores=16, load=load) == 1


@pytest.mark.parametrize(("cores", "load", "expected"), [
    (16, 0.0, 4),  # idle, many cores: capped at 4
    (8, 0.1, 4),
    (4, 0.2, 3),  # one core is left for the window and its pre-labelling
    (2, 0.0, 1),  # a 2-core machine: 1, however quiet
    (8, 1.0, 4),  # one busy core, six free: still 4
    (4, 1.0, 2),
    (4, 2.6, 1),  # busy: 1
    (8, 9.0, 1),
    (8, None, 1),  # no load average (Windows): the safe side
])
def test_training_takes_more_threads_only_on_an_idle_machine(cores: int, load: float | None, expected: int) -> None:
    assert threads.threads_for("train", n_cores=cores, load=load) == expected


def test_an_explicit_count_is_obeyed_for_every_role() -> None:
    for role in threads.ROLES:
        assert threads.threads_for(role, requested=3, n_cores=2, load=5.0) == 3


@pytest.mark.parametrize(("value", "expected"), [("", None), ("auto", None), ("AUTO", None), ("0", None),
                                                 ("1", 1), (" 2 ", 2), ("12", 12)])
def test_the_setting_reads_a_count_or_auto(value: str, expected: int | None) -> None:
    assert threads.setting({threads.ENV: value}) == expected


@pytest.mark.parametrize("value", ["two", "-1", "1.5"])
def test_a_bad_setting_falls_back_to_the_policy_with_a_warning(value: str, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="madpg_core.threads"):
        assert threads.setting({threads.ENV: value}) is None
    assert threads.ENV in caplog.text


def test_unknown_roles_are_refused() -> None:
    with pytest.raises(ValueError):
        threads.threads_for("server")


def test_cli_commands_map_to_roles() -> None:
    assert threads.command_role("train") == "train"
    assert threads.command_role("prelabel") == "prelabel"
    assert threads.command_role("stats") == threads.command_role(None) == "cli"


def test_child_env_carries_the_setting_and_the_library_variables(no_setting: None,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    env = threads.child_env("prelabel", base={"PATH": "/bin"})
    assert env["PATH"] == "/bin" and env[threads.ENV] == "auto"
    assert env["OMP_NUM_THREADS"] == env["MKL_NUM_THREADS"] == "1"
    monkeypatch.setenv(threads.ENV, "3")
    assert threads.child_vars("train") == {threads.ENV: "3", **threads.library_vars(3)}


# ---------------------------------------------------------------- children, started as the app starts them


def test_a_prelabel_child_runs_on_one_thread_by_default(no_setting: None) -> None:
    out = _run(PRINT_THREADS.format(role="prelabel"), threads.child_env("prelabel"))
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "1"


def test_madpg_threads_2_gives_a_child_2_threads(no_setting: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(threads.ENV, "2")
    out = _run(PRINT_THREADS.format(role="prelabel"), threads.child_env("prelabel"))
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "2"
    # a child that never calls apply() still gets the count, through OMP_NUM_THREADS/MKL_NUM_THREADS
    out = _run("import torch; print(torch.get_num_threads())", threads.child_env("prelabel"))
    assert out.stdout.strip() == "2", out.stderr


def test_the_gui_and_cli_roles_do_not_import_torch(no_setting: None) -> None:
    code = ("import sys, madpg_core.threads as t; t.apply('cli'); t.apply('gui'); "
            "print('torch' in sys.modules, __import__('os').environ['OMP_NUM_THREADS'])")
    out = _run(code, threads.child_env("cli"))
    assert out.stdout.split() == ["False", "1"], out.stderr


def test_apply_sets_torch_in_this_process_and_survives_a_second_call(no_setting: None) -> None:
    import torch

    before = torch.get_num_threads()
    try:
        assert threads.apply("prelabel") == torch.get_num_threads() == 1
        assert threads.apply("prelabel") == 1  # inter-op threads can be set once only: no error the second time
    finally:
        torch.set_num_threads(before)


@pytest.mark.parametrize(("command", "role"), [("prelabel", "prelabel"), ("train", "train")])
def test_the_real_cli_logs_the_threads_it_runs_with(command: str, role: str, tmp_path: Path, no_setting: None,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """`madpg -v COMMAND` in a child: the policy is applied before the command runs (which then
    fails on a missing project: nothing else is needed to see the count torch was given)."""

    def run_cli() -> str:
        env = {**threads.child_env(role), "MADPG_HOME": str(tmp_path / "home")}
        out = subprocess.run([sys.executable, "-m", "madpg_core.cli", "-v", command, str(tmp_path / "missing")],
                             cwd=REPO, env=env, capture_output=True, text=True, timeout=120, check=False)
        return out.stderr

    monkeypatch.setenv(threads.ENV, "2")
    err = run_cli()
    assert f"torch threads: 2 ({role})" in err, err
    monkeypatch.setenv(threads.ENV, "auto")
    err = run_cli()
    if role == "prelabel":
        assert f"torch threads: 1 ({role})" in err, err
    else:  # the load average may change before the child looks: any count the policy can give
        assert any(f"torch threads: {n} ({role})" in err for n in range(1, threads.TRAIN_MAX + 1)), err
