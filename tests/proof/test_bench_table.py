"""The benchmark table names its machine and puts a ratio beside every row it can."""

from __future__ import annotations

from benchmarks.__main__ import machine, with_baseline


def _row(value: str, target: str, ratio: float | None = None) -> dict[str, object]:
    return {"value": value, "target": target, "ratio": ratio, "baseline": "-", "baseline_name": "-"}


def test_the_machine_is_described_in_full() -> None:
    details = machine()
    assert {"cpu", "cores", "memory", "python", "os"} <= set(details)
    assert all(details[k] for k in ("cpu", "cores", "memory", "python", "os"))


def test_a_row_with_a_measured_baseline_is_left_as_it_is() -> None:
    row = _row("10 s", ">= 1 s", ratio=2.0)
    assert with_baseline(row) == row


def test_a_row_without_one_is_compared_with_its_target_and_says_so() -> None:
    row = with_baseline(_row("5.1 M pairs/s", ">= 100 M pairs/s per core"))
    assert row["baseline_name"] == "target (no measured baseline)"
    assert abs(row["ratio"] - 0.051) < 1e-9  # type: ignore[operator]
    assert with_baseline(_row("12,000/s", ">= 10,000/s"))["ratio"] == 1.2


def test_a_target_that_states_no_figure_gives_no_ratio() -> None:
    assert with_baseline(_row("0.1 s", "completes on the 2-core machine"))["ratio"] is None
    assert with_baseline(_row("0.1 s", "-"))["ratio"] is None
