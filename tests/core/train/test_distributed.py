"""Distributed training and pre-labelling on the CPU: real torchrun, real gloo, real processes.

The training tests run this file as torchrun's script (``--worker``, at the bottom): each rank
calls ``fit`` as ``madpg train --nproc 2`` does, and writes what it ended with for the test to
compare. Noise: on this tiny corpus one process and two reach the same dev F1 within 0.1 (two
ranks make half as many optimiser steps of twice the batch, so the numbers are not identical).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import torch

from madpg_core.domain import Record, Span
from madpg_core.model.testing import drug_records
from madpg_core.train import distributed

HERE = Path(__file__).resolve()
ROOT = HERE.parents[3]
F1_NOISE = 0.1


def _data(n: int = 24) -> list[Record]:
    return drug_records(n)


def _cfg(**over: object):  # noqa: ANN202
    from madpg_core.model.config import build_config, tiny

    values = dict(image_encoder="none", epochs=10, head_lr=1e-2, hidden_size=32, num_heads=2, lstm_hidden=16,
                  dropout=0.1, min_bigram_count=1, weight_averaging=0.0)
    values.update(over)
    return tiny(build_config("madpg-lite"), **values)


def _torchrun(out: Path, mode: str, nproc: int = 2, timeout: int = 120) -> subprocess.CompletedProcess:
    env = {**os.environ, "MADPG_THREADS": "1", "OMP_NUM_THREADS": "1", "PYTHONPATH": str(ROOT)}
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node", str(nproc),
           str(HERE), "--worker", mode, str(out)]
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout, cwd=ROOT)
    assert done.returncode == 0, done.stderr[-3000:]
    return done


def _weights(path: Path) -> dict[str, torch.Tensor]:
    from safetensors.torch import load_file

    return load_file(str(path))


def _dev_f1(model_dir: Path) -> float:
    from madpg_core.inference.predictor import Predictor
    from madpg_core.model.testing import ChainParser
    from madpg_core.train.metrics import score_spans

    dev = _data(30)[24:]
    pred = Predictor.load(model_dir, parser=ChainParser(), device="cpu").predict(dev)
    return score_spans([r.spans for r in dev], pred).micro.f1


def test_shard_batches_pads_so_every_rank_steps_alike() -> None:
    batches = [[0], [1], [2], [3], [4]]
    shards = [distributed.shard_batches(batches, r, 2) for r in range(2)]
    assert shards == [[[0], [2], [4]], [[1], [3], [0]]]  # padded with the first batch
    assert sorted(b[0] for s in shards for b in s) == [0, 0, 1, 2, 3, 4]
    assert distributed.shard_batches(batches, 0, 1) == batches
    assert distributed.shard_batches([], 1, 2) == []


def test_shards_hold_every_record_once() -> None:
    from madpg_core.prelabel_shards import shard_ids

    ids = list(range(100, 141))
    shards = shard_ids(ids, 3)
    assert sorted(i for s in shards for i in s) == ids and [len(s) for s in shards] == [14, 14, 13]
    assert shard_ids([7], 4) == [[7]]


def test_gradient_accumulation_averages_its_batches_into_one_optimiser_step() -> None:
    import copy

    from madpg_core.featurize import collate
    from madpg_core.model.testing import ChainParser
    from madpg_core.train import loop

    cfg = _cfg(dropout=0.0, encoder_dropout=0.0, grad_accum_steps=2)
    run = loop._prepare(cfg, _data(8), [], None, None, ChainParser(), "v", None, "cpu", None)
    a, b = run.model, copy.deepcopy(run.model)
    batches = [[0, 1, 2, 3], [4, 5, 6, 7]]
    opt_a = loop._optimizer(a, a.cfg)
    loop._train_epoch(distributed.Trainer(a, distributed.SINGLE), run.pieces, batches, None, opt_a,
                      loop._schedule(opt_a, 1, a.cfg.warmup_ratio), (1, 0, 2), lambda p: None, lambda: None, "cpu")
    opt_b = loop._optimizer(b, b.cfg)
    sched_b = loop._schedule(opt_b, 1, b.cfg.warmup_ratio)  # the same learning rate for the one step
    b.train()
    opt_b.zero_grad()
    for idx in batches:  # the mean of the two batches' losses, one step
        (b.loss(collate([run.pieces[i] for i in idx], None)) / 2).backward()
    torch.nn.utils.clip_grad_norm_([p for p in b.parameters() if p.requires_grad], b.cfg.grad_clip)
    opt_b.step()
    sched_b.step()
    for (name, pa), pb in zip(a.named_parameters(), b.parameters()):
        assert torch.allclose(pa, pb, atol=1e-6), name
    assert opt_a.state and all(s["step"] == 1 for s in opt_a.state.values())  # one step, not two


def test_bf16_autocast_is_for_cuda_only() -> None:
    from madpg_core.train.loop import train_autocast

    with train_autocast("cpu", True):
        assert not torch.is_autocast_enabled("cpu")
    assert train_autocast("cuda", False).fast_dtype == torch.bfloat16  # built, not entered: no GPU here
    assert not train_autocast("cuda", False)._enabled


def test_torchrun_command_uses_torchrun_and_its_rendezvous_arguments() -> None:
    cmd = distributed.torchrun_command(2, ["train", "--nproc", "2", "--seed", "1", "--nproc=2", "--torchrun-args",
                                           "--nnodes 1", "--out", "m"])
    assert cmd[1:6] == ["-m", "torch.distributed.run", "--standalone", "--nproc-per-node", "2"]
    # the launcher's own options are not the ranks' (and torchrun would take --nproc for its own)
    assert cmd[cmd.index("-m", 2):] == ["-m", "madpg_core.cli", "train", "--seed", "1", "--out", "m"]
    multi = distributed.torchrun_command(4, ["train"], "--nnodes 2 --node-rank 1 --rdzv-endpoint h:29400")
    assert "--standalone" not in multi and multi[3:9] == ["--nnodes", "2", "--node-rank", "1", "--rdzv-endpoint",
                                                          "h:29400"]


def test_two_ranks_match_one_and_the_checkpoint_is_rank_0s(tmp_path: Path) -> None:
    from madpg_core.model.testing import ChainParser
    from madpg_core.train.loop import fit

    _torchrun(tmp_path, "fit")
    ranks = [json.loads((tmp_path / f"rank{r}.json").read_text("utf-8")) for r in range(2)]
    assert [r["outcome"] for r in ranks] == ["finished", "finished"]
    saved = _weights(tmp_path / "model" / "model.safetensors")
    for r in range(2):  # without dev the last epoch is kept: every rank ends on the saved weights
        final = _weights(tmp_path / f"rank{r}.safetensors")
        assert final.keys() == saved.keys()
        assert all(torch.equal(final[k], saved[k]) for k in saved), f"rank {r} differs from the checkpoint"
    assert not (tmp_path / "model1").exists()  # rank 1 was given an out_dir and wrote nothing
    one = fit(_cfg(), _data(), [], parser=ChainParser(), out_dir=tmp_path / "single", version="single")
    f1_one, f1_two = _dev_f1(tmp_path / "single"), _dev_f1(tmp_path / "model")
    print(f"dev F1: 1 process {f1_one:.3f}, 2 processes {f1_two:.3f}")
    assert f1_one > 0.8 and abs(f1_one - f1_two) <= F1_NOISE, (f1_one, f1_two)
    assert len(ranks[0]["history"]) == len(one.history) == 10


def _corpus(folder: Path) -> Path:
    lines = []
    for i in range(16):
        text = f"患者头痛{i}天，服用布洛芬。"
        s = text.index("布洛芬")
        lines.append({"text": text, "spans": [{"start": 2, "end": 4, "label": "Symptom"},
                                              {"start": s, "end": s + 3, "label": "Drug"}]})
    path = folder / "d.jsonl"
    path.write_text("\n".join(json.dumps(x, ensure_ascii=False) for x in lines), "utf-8")
    return path


def test_madpg_train_nproc_2_runs_through_torchrun(tmp_path: Path) -> None:
    data = _corpus(tmp_path)
    env = {**os.environ, "MADPG_THREADS": "1", "PYTHONPATH": str(ROOT)}
    cmd = [sys.executable, "-m", "madpg_core.cli", "train", "--preset", "bilstm-crf", "--train", str(data), "--dev",
           str(data), "--format", "jsonl", "--out", str(tmp_path / "m"), "--epochs", "2", "--device", "cpu",
           "--nproc", "2", "--grad-accum-steps", "2"]
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=180, cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.count("saved ") == 1  # rank 0 alone reports
    assert done.stderr.count("epoch 2 step") == 1  # the dev score after each epoch: rank 0's, once
    info = json.loads((tmp_path / "m" / "config.json").read_text("utf-8"))
    assert info["config"]["grad_accum_steps"] == 2 and info["meta"]["complete"] is True


def test_two_machines_by_torchruns_rendezvous_arguments(tmp_path: Path) -> None:
    """Multi-node as the README shows it, with two "machines" on this one: the same command with
    --torchrun-args on each; the machine of node rank 0 trains, reports and saves, the other only
    trains along."""
    import socket

    data = _corpus(tmp_path)
    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
    env = {**os.environ, "MADPG_THREADS": "1", "PYTHONPATH": str(ROOT)}
    procs = []
    for node in range(2):
        cmd = [sys.executable, "-m", "madpg_core.cli", "train", "--preset", "bilstm-crf", "--train", str(data),
               "--dev", str(data), "--format", "jsonl", "--out", str(tmp_path / f"m{node}"), "--epochs", "2",
               "--device", "cpu", "--nproc", "1",
               "--torchrun-args", f"--nnodes 2 --node-rank {node} --rdzv-endpoint 127.0.0.1:{port}"]
        procs.append(subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                      cwd=tmp_path))
    outs = [p.communicate(timeout=180) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outs[0][1][-2000:] + outs[1][1][-2000:]
    assert "saved" in outs[0][0] and outs[1][0] == ""
    assert (tmp_path / "m0" / "model.safetensors").is_file() and not (tmp_path / "m1").exists()


def test_nproc_refuses_a_command_line_it_cannot_rerun(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from madpg_core.cli import main

    data = _corpus(tmp_path)
    rc = main(["train", "--preset", "bilstm-crf", "--train", str(data), "--dev", str(data), "--format", "jsonl",
               "--out", str(tmp_path / "m"), "--nproc", "2"])
    assert rc == 2 and "--nproc" in capsys.readouterr().err and not (tmp_path / "m").exists()


def test_a_cancel_on_one_rank_stops_both(tmp_path: Path) -> None:
    _torchrun(tmp_path, "cancel")
    ranks = [json.loads((tmp_path / f"rank{r}.json").read_text("utf-8")) for r in range(2)]
    assert [r["outcome"] for r in ranks] == ["cancelled", "cancelled"]
    info = json.loads((tmp_path / "model" / "config.json").read_text("utf-8"))
    assert info["meta"]["complete"] is False and info["meta"]["best_epoch"] == 1  # rank 0 kept epoch 1


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A text-only model without the GCN (no parser to load in the workers), trained in seconds."""
    from madpg_core.train.loop import fit

    out = tmp_path_factory.mktemp("model") / "m"
    fit(_cfg(use_gcn=False, epochs=6), _data(), [], out_dir=out, version="tiny-1")
    return out


def _project(folder: Path, n: int = 40) -> Path:
    from madpg_core.domain import LabelSchema, RecordStatus
    from madpg_core.storage import repo
    from madpg_core.storage.project import Project

    with Project.create(folder, LabelSchema.from_names(["Symptom", "Drug"])) as p, p.transaction() as s:
        repo.add_record(s, Record("患者发热三天，给予头孢。", (Span(2, 4, "Symptom"),)))  # a person's span stays
        repo.add_record(s, Record("患者发热，给予青霉素。", status=RecordStatus.REVIEWED))  # never touched
        for i in range(n):
            drug = ["阿莫西林", "头孢", "青霉素"][i % 3]
            repo.add_record(s, Record(f"第{i}例患者发热{i % 7}天，给予{drug}静滴。"))
    return folder


def _spans(folder: Path) -> dict[int, list[tuple]]:
    from madpg_core.storage import repo
    from madpg_core.storage.project import Project

    with Project.open(folder, backup=False) as p, p.reading() as s:
        out = {}
        for i in repo.record_ids(s):
            r = repo.get_record(s, i)
            out[i] = [(sp.start, sp.end, sp.label, sp.source.value, sp.model_version, sp.confidence)
                      for sp in r.spans] + [r.status.value]
        return out


def test_prelabel_in_two_workers_labels_each_record_once_as_one_process_does(
        tmp_path: Path, tiny_model: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import shutil

    from madpg_core.cli import main

    one, two = _project(tmp_path / "one"), tmp_path / "two"
    shutil.copytree(one, two)
    assert main(["prelabel", str(one), "--model", str(tiny_model), "--device", "cpu"]) == 0
    assert main(["prelabel", str(two), "--model", str(tiny_model), "--device", "cpu", "--nproc", "2"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == out[1] == "pre-labelled 41 records with file:m: " + out[0].split(": ", 1)[1]
    a, b = _spans(one), _spans(two)
    assert a == b  # the same spans and statuses as one process; the counts above: each record once
    assert sum(1 for v in b.values() if v[-1] == "pre-labelled") == 41  # every unreviewed record, none missed
    assert b[2] == ["reviewed"] and ("Symptom", "annotator") == b[1][0][2:4]
    assert sum(sp[3] == "model" for v in b.values() for sp in v[:-1]) > 41  # the model found entities


def test_a_cancel_stops_every_prelabel_worker_and_keeps_what_they_saved(tmp_path: Path, tiny_model: Path) -> None:
    from madpg_core.errors import Cancelled
    from madpg_core.prelabel import unreviewed_ids
    from madpg_core.prelabel_shards import prelabel_sharded
    from madpg_core.storage.project import Project

    folder = _project(tmp_path / "p", n=3000)
    with Project.open(folder, backup=False) as p:
        ids = unreviewed_ids(p)
    stop = threading.Event()
    seen: list[int] = []

    def on_progress(done: int, total: int) -> None:
        seen.append(done)
        if done > 0:
            stop.set()  # as Ctrl+C would, once the workers are labelling

    with pytest.raises(Cancelled):
        prelabel_sharded(folder, ids, tiny_model, "v-test", 2, device="cpu", on_progress=on_progress, stop=stop)
    labelled = sum(1 for v in _spans(folder).values() if v[-1] == "pre-labelled")
    assert 0 < labelled < len(ids), labelled


def test_a_refusal_on_rank_0_before_training_releases_the_other_rank(tmp_path: Path) -> None:
    """Rank 1 waits for rank 0's data; when rank 0 refuses the run first, rank 1 must hear of it
    (not wait for the collective timeout) and the command ends with rank 0's message and code."""
    from madpg_core.domain import LabelSchema, RecordStatus
    from madpg_core.storage import repo
    from madpg_core.storage.project import Project

    with Project.create(tmp_path / "p", LabelSchema.from_names(["Symptom", "Drug"])) as p, p.transaction() as s:
        r = _data(1)[0]
        repo.add_record(s, Record(r.text, r.spans, status=RecordStatus.REVIEWED))
    env = {**os.environ, "MADPG_THREADS": "1", "PYTHONPATH": str(ROOT), "MADPG_HOME": str(tmp_path / "home")}
    cmd = [sys.executable, "-m", "madpg_core.cli", "train", str(tmp_path / "p"), "--preset", "madpg-tiny",
           "--from-scratch", "--device", "cpu", "--nproc", "2"]
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert done.returncode == 2, done.stderr[-3000:]
    assert done.stderr.count("madpg: error: training needs at least 2 reviewed") == 1  # rank 0 says it, once


def test_project_training_on_two_ranks_cancels_from_the_gui_and_keeps_the_active_model(tmp_path: Path) -> None:
    """`madpg train PROJECT --nproc 2 --progress-json` as the GUI runs it: rank 0's events come
    through the launcher, and a "cancel" line on stdin stops both ranks (exit 3, nothing registered)."""
    from madpg_core.domain import LabelSchema, RecordStatus
    from madpg_core.storage import repo
    from madpg_core.storage.project import Project

    with Project.create(tmp_path / "p", LabelSchema.from_names(["Symptom", "Drug"])) as p, p.transaction() as s:
        for r in _data(30):
            repo.add_record(s, Record(r.text, r.spans, status=RecordStatus.REVIEWED))
    env = {**os.environ, "MADPG_THREADS": "1", "PYTHONPATH": str(ROOT), "MADPG_HOME": str(tmp_path / "home")}
    cmd = [sys.executable, "-m", "madpg_core.cli", "train", str(tmp_path / "p"), "--preset", "madpg-tiny",
           "--from-scratch", "--epochs", "500", "--minutes", "0", "--device", "cpu", "--nproc", "2",
           "--progress-json"]
    proc = subprocess.Popen(cmd, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, cwd=tmp_path)
    events = []
    try:
        for line in proc.stdout:
            events.append(json.loads(line))
            if events[-1]["event"] == "progress" and events[-1]["epoch"] >= 2:
                proc.stdin.write("cancel\n")
                proc.stdin.flush()
                break
        rest = proc.communicate(timeout=120)[0]
    finally:
        if proc.poll() is None:
            proc.kill()
    events += [json.loads(x) for x in rest.splitlines() if x.strip()]
    assert proc.returncode == 3
    assert events[0]["event"] == "plan" and events[-1]["event"] == "cancelled"
    assert sum(e["event"] == "plan" for e in events) == 1  # one rank speaks
    with Project.open(tmp_path / "p", backup=False) as p, p.reading() as s:
        assert repo.list_training_runs(s)[-1]["status"] == "cancelled"
        assert not [v for v in repo.list_model_versions(s) if v.version > 0]
    assert not list((tmp_path / "p" / "models").glob(".staging-*"))


class _StopAfter(threading.Event):
    """The user's cancel on one rank only: set from the ``n``-th look on (one look per step)."""

    def __init__(self, n: int) -> None:
        super().__init__()
        self.n = n

    def is_set(self) -> bool:
        self.n -= 1
        return self.n < 0 or super().is_set()


def _worker(mode: str, out: Path) -> None:
    from safetensors.torch import save_file

    from madpg_core.errors import Cancelled
    from madpg_core.model.testing import ChainParser
    from madpg_core.train.loop import fit

    torch.set_num_threads(1)
    world = distributed.init_from_env("cpu")
    stop = _StopAfter(3) if (mode == "cancel" and world.rank == 1) else None  # epoch 2's first step
    cfg = _cfg(epochs=3) if mode == "cancel" else _cfg()
    outcome, history = "finished", []
    try:
        res = fit(cfg, _data(), [], parser=ChainParser(), out_dir=out / ("model" if world.is_main else "model1"),
                  version="dist", stop=stop)
        history = res.history
        save_file({k: v.contiguous() for k, v in res.model.state_dict().items()}, str(out / f"rank{world.rank}.safetensors"))
    except Cancelled:
        outcome = "cancelled"
    (out / f"rank{world.rank}.json").write_text(json.dumps({"outcome": outcome, "history": history}), "utf-8")
    distributed.shutdown()


if __name__ == "__main__" and len(sys.argv) == 4 and sys.argv[1] == "--worker":
    _worker(sys.argv[2], Path(sys.argv[3]))
