"""The revision comparison script: which metrics it compares and how it reports differences."""

from __future__ import annotations

from scripts.compare_revisions import compare, is_timing


def test_timing_metrics_are_not_compared():
    assert is_timing("wall_s") and is_timing("tasks_per_minute") and is_timing("gp_speedup_vs_gplearn")
    assert is_timing("minmax_256x16x8_ratio") and is_timing("nabla_literal_over_fast")
    assert is_timing("minmax_256x16x8_peak_bytes_per_system")
    assert not is_timing("accuracy") and not is_timing("raw_accuracy_stderr")
    assert not is_timing("scaling_heuristic_ratio_largest")  # a coverage ratio, not a speed


def test_differences_are_listed_per_metric_and_missing_cases_named():
    old = {"a": {"accuracy": 0.5, "wall_s": 1.0, "n": 3}, "b": {"x": 1.0}}
    new = {"a": {"accuracy": 0.75, "wall_s": 9.0, "n": 3, "extra": 1}, "c": {"x": 1.0}}
    diffs = compare(old, new, rtol=1e-9)
    assert "a.accuracy: 0.5 -> 0.75" in diffs
    assert "a.extra: only at the new revision" in diffs
    assert "b: ran only at the old revision" in diffs and "c: ran only at the new revision" in diffs
    assert not any("wall_s" in d for d in diffs)
    assert compare(old, old, rtol=1e-9) == []
