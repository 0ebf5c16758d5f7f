"""The activation rule: a new version replaces the active one only when it is better by more than noise."""

from __future__ import annotations

from madpg_core.train.metrics import bootstrap_interval, f1_of, paired_bootstrap
from madpg_core.version_scores import CheckScore, decide


def _score(version: int, counts: list[tuple[int, int, int]]) -> CheckScore:
    lo, hi = bootstrap_interval(counts)
    return CheckScore(version, "k", len(counts), f1_of(counts), lo, hi, {}, tuple(counts))


def test_a_clear_gain_activates_and_says_by_how_much() -> None:
    old = _score(1, [(1, 4, 4)] * 30)  # F1 25
    new = _score(2, [(3, 4, 4)] * 30)  # F1 75
    d = decide(new, old, "v2", "v1")
    assert d.activate and d.reason.startswith("v2 activated: 75.0 vs 25.0 for v1 on 30 check records")


def test_a_worse_version_is_kept_inactive() -> None:
    d = decide(_score(3, [(2, 4, 4)] * 40), _score(2, [(3, 4, 4)] * 40), "v3", "v2")
    assert not d.activate and d.reason == "v3 kept inactive: 50.0 vs 75.0 for v2 on 40 check records"


def test_a_gain_within_noise_is_not_enough() -> None:
    # two entities more on one record, one fewer on another: a net gain that one resample in three loses
    old = [(2, 4, 4)] * 20
    new = [(4, 4, 4), (1, 4, 4)] + [(2, 4, 4)] * 18
    d = decide(_score(2, new), _score(1, old), "v2", "v1")
    assert not d.activate and "within noise" in d.reason and d.p_better is not None and d.p_better < 0.8


def test_too_few_check_records_and_the_policies() -> None:
    few_new, few_old = _score(2, [(4, 4, 4)] * 3), _score(1, [(0, 4, 4)] * 3)
    assert not decide(few_new, few_old, "v2", "v1").activate
    assert decide(few_new, few_old, "v2", "v1", "always").activate
    assert not decide(_score(2, [(4, 4, 4)] * 30), _score(1, [(0, 4, 4)] * 30), "v2", "v1", "never").activate
    assert decide(few_new, None, "v2", "").activate  # nothing active: anything is better than nothing


def test_bootstrap_helpers() -> None:
    counts = [(1, 2, 2), (0, 1, 2), (2, 2, 2)]
    assert f1_of(counts) == 2 * 3 / (5 + 6)
    lo, hi = bootstrap_interval(counts)
    assert 0 <= lo <= f1_of(counts) <= hi <= 1
    assert paired_bootstrap(counts, counts) == 0.5  # every resample a tie
    assert paired_bootstrap([(2, 2, 2)] * 5, [(0, 2, 2)] * 5) == 1.0
