"""Model versions scored on the project's check set, and the rule that activates a new version.

Every version is scored on the same records (the check set as it is now); when the check set
grows or a check record's gold spans change, its key changes and older versions are scored again
on the new state. Reading stored scores does not import torch (the GUI lists them).
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from madpg_core import check_set, registry
from madpg_core.domain import Record, Span
from madpg_core.storage import check_repo, repo
from madpg_core.storage.project import Project
from madpg_core.train.metrics import bootstrap_interval, paired_bootstrap, record_counts, score_spans

# A new version replaces the active one only when it has the higher F1 on the check set and is
# better on this share of paired record resamples: a one-sided test at 80 %. At 90 % (the first
# run of benchmarks/loop.py, RESULTS.md §8) the loop stalled: on CMeEE the active model stayed the
# same for 125 of 200 reviewed records while versions trained on more data gained 1-5 points on
# 20-40 check records (better in 61-82 % of resamples) and, without any rule, each version trained
# on more data scored higher on the test part (31.3, 36.0, 38.8 at 40, 80, 160 records). A version
# trained on a superset of the data is better more often than not, which is why 80 % is enough.
CONFIDENCE = 0.8
MIN_CHECK_RECORDS = 4  # below this no comparison means anything (fewer than ~20 reviewed records)


@dataclass(frozen=True)
class CheckScore:
    version: int
    key: str
    n_records: int
    f1: float  # micro, 0..1
    lo: float  # bootstrap 95 % interval of f1
    hi: float
    per_type: dict[str, dict]  # type → precision, recall, f1, support
    counts: tuple[tuple[int, int, int], ...]  # (tp, predicted, gold) per check record, by record id

    @classmethod
    def from_stored(cls, version: int, key: str, n: int, d: dict) -> CheckScore:
        return cls(version, key, n, float(d["micro"]["f1"]), float(d["ci"][0]), float(d["ci"][1]),
                   dict(d.get("per_type") or {}), tuple(tuple(c) for c in d.get("counts") or ()))

    def as_dict(self) -> dict[str, Any]:
        """What the version's metrics keep under "check" (counts stay in the check_scores table)."""
        return {"key": self.key, "n_records": self.n_records, "micro": {"f1": self.f1}, "ci": [self.lo, self.hi],
                "per_type": self.per_type}


def score_predictions(version: int, key: str, check: Sequence[Record], pred: Sequence[Sequence[Span]]) -> CheckScore:
    gold = [r.spans for r in check]
    counts = record_counts(gold, pred)
    scores = score_spans(gold, pred)
    lo, hi = bootstrap_interval(counts)
    return CheckScore(version, key, len(check), scores.micro.f1, lo, hi,
                      {t: s.as_dict() for t, s in scores.per_type.items()}, tuple(counts))


def texts_of(records: Sequence[Record]) -> list[Record]:
    """The records without their gold spans: spans steer where long texts are cut into pieces, and
    a model must not be scored on cuts that know where the entities are."""
    return [r.with_spans(()) for r in records]


def save(project: Project, score: CheckScore) -> None:
    doc = {**score.as_dict(), "counts": [list(c) for c in score.counts]}
    with project.transaction() as s:
        check_repo.save_score(s, score.version, score.key, score.n_records, doc)


def _current(project: Project) -> tuple[list[Record], str]:
    check = check_set.assigned_check(project)
    return check, check_set.check_key(check)


def stored_scores(project: Project) -> dict[int, CheckScore]:
    """Versions already scored on the check set as it is now (torch-free)."""
    check, key = _current(project)
    if not check:
        return {}
    with project.reading() as s:
        stored = check_repo.scores_on(s, key)
    return {v: CheckScore.from_stored(v, key, n, d) for v, (n, d) in stored.items()}


def score_versions(project: Project, versions: Sequence[int] | None = None, *, device: str | None = None,
                   stop: threading.Event | None = None) -> dict[int, CheckScore]:
    """Score the given versions (default: all) on the current check set where not done yet, store
    the scores, and return every requested version's score. A version whose folder is gone is skipped."""
    from madpg_core.errors import Cancelled, MadpgError
    from madpg_core.prelabel import load_predictor

    check, key = _current(project)
    if not check:
        return {}
    have = stored_scores(project)
    wanted = [v.version for v in registry.versions(project)] if versions is None else list(versions)
    out = {v: have[v] for v in wanted if v in have}
    with project.reading() as s:
        by_number = {v.version: v for v in repo.list_model_versions(s)}
    for number in wanted:
        if number in out or number not in by_number:
            continue
        if stop is not None and stop.is_set():
            raise Cancelled("scoring cancelled")
        path = registry.resolve(project, by_number[number])
        try:
            predictor = load_predictor(project, path, device)
        except MadpgError:
            continue  # a missing or damaged folder: the versions panel says so on its own
        score = score_predictions(number, key, check, predictor.predict(texts_of(check), stop=stop))
        save(project, score)
        out[number] = score
    return out


@dataclass(frozen=True)
class Decision:
    activate: bool
    reason: str  # the sentence in English (CLI, logs, training runs)
    p_better: float | None = None
    # What kind of decision it was and its numbers, so an interface can say it in its own language:
    # kind is one of asked, asked-never, first, no-check, too-few, not-better, noise, better.
    kind: str = ""
    facts: dict = field(default_factory=dict)

    def as_metrics(self) -> dict:
        """The decision as a version's metrics keep it ("activation")."""
        return {"activated": self.activate, "reason": self.reason, "kind": self.kind, **self.facts}


def decide(new: CheckScore, old: CheckScore | None, new_name: str, old_name: str,
           policy: str = "if-better") -> Decision:
    """Whether ``new`` replaces the active version, and a sentence that says why."""
    names = {"new": new_name, "old": old_name}
    if policy == "always":
        return Decision(True, f"{new_name} activated (asked for; no comparison)", kind="asked", facts=names)
    if policy == "never":
        return Decision(False, f"{new_name} not activated (asked for); {old_name} stays active", kind="asked-never",
                        facts=names)
    if old is None:
        return Decision(True, f"{new_name} activated: there was no active model", kind="first", facts=names)
    n = new.n_records
    facts = {**names, "n": n, "new_f1": new.f1, "old_f1": old.f1}
    nums = f"{100 * new.f1:.1f} vs {100 * old.f1:.1f} for {old_name} on {n} check records"
    if n < MIN_CHECK_RECORDS:
        return Decision(False, f"{new_name} not activated: {n} check records are too few to compare it with "
                               f"{old_name} (review more records; you can activate it by hand)", kind="too-few",
                        facts=facts)
    p = paired_bootstrap(list(new.counts), list(old.counts))
    facts = {**facts, "p": p, "needed": CONFIDENCE}
    if new.f1 <= old.f1:
        return Decision(False, f"{new_name} kept inactive: {nums}", p, "not-better", facts)
    if p < CONFIDENCE:
        return Decision(False, f"{new_name} kept inactive: {nums} is within noise "
                               f"(better in {100 * p:.0f} % of resamples, {100 * CONFIDENCE:.0f} % needed)", p,
                        "noise", facts)
    return Decision(True, f"{new_name} activated: {nums} (better in {100 * p:.0f} % of resamples)", p, "better",
                    facts)


__all__ = ["CONFIDENCE", "CheckScore", "Decision", "decide", "score_versions", "stored_scores"]
