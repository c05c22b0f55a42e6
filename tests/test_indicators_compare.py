"""compare(): side by side, per-seed differences, quantile bands."""

from __future__ import annotations

import pandas as pd
import pytest

from kochu.errors import KochuError
from kochu.indicators import compare, headline, side_by_side


def table(values: dict[int, float], year: int = 2030, name: str = "x") -> pd.DataFrame:
    return pd.DataFrame(
        {"seed": list(values), "year": year, "indicator": name, "value": list(values.values())}
    )


def test_single_replicate_difference() -> None:
    a = pd.DataFrame({"year": [2030], "indicator": ["x"], "value": [10.0]})
    b = pd.DataFrame({"year": [2030], "indicator": ["x"], "value": [13.0]})
    out = compare({"railway": b, "baseline": a}, baseline="baseline")
    assert out["scenario"].tolist() == ["baseline", "railway"]  # baseline first
    r = out.set_index("scenario").loc["railway"]
    assert (r["value"], r["baseline"], r["difference"]) == (13.0, 10.0, 3.0)
    assert (r["value_lo"], r["value_hi"], r["difference_lo"], r["difference_hi"]) == (13, 13, 3, 3)
    assert r["replicates"] == 1
    assert out.set_index("scenario").loc["baseline", "difference"] == 0.0


def test_paired_by_seed_bands() -> None:
    base = table({1: 10.0, 2: 20.0, 3: 30.0})
    # the policy adds exactly 1 to every seed: differences are all 1 despite the spread
    pol = table({1: 11.0, 2: 21.0, 3: 31.0})
    out = compare({"baseline": base, "policy": pol}, "baseline").set_index("scenario")
    r = out.loc["policy"]
    assert r["difference"] == 1.0 and r["difference_lo"] == 1.0 and r["difference_hi"] == 1.0
    assert r["value"] == 21.0
    assert r["value_lo"] == pytest.approx(11.0 + 0.05 * 2 * 10)  # linear quantile
    assert r["value_hi"] == pytest.approx(11.0 + 0.95 * 2 * 10)
    assert r["replicates"] == 3


def test_unmatched_seed_compared_with_baseline_mean() -> None:
    base = table({1: 10.0, 2: 20.0})
    pol = table({1: 12.0, 9: 18.0})
    r = compare({"baseline": base, "p": pol}, "baseline").set_index("scenario").loc["p"]
    # seed 1: 12 − 10 = 2; seed 9: 18 − mean(15) = 3
    assert r["difference"] == pytest.approx(2.5)


def test_missing_baseline_and_columns_rejected() -> None:
    with pytest.raises(KochuError, match="baseline 'baseline' is not among"):
        compare({"a": table({1: 1.0})}, "baseline")
    with pytest.raises(KochuError, match="missing columns"):
        compare({"baseline": pd.DataFrame({"year": [1]})}, "baseline")


def test_side_by_side_wide() -> None:
    base = table({1: 10.0})
    out = compare({"baseline": base, "p": table({1: 12.0})}, "baseline")
    wide = side_by_side(out)
    assert list(wide.columns) == ["baseline", "p"]
    assert wide.loc[(2030, "x")].tolist() == [10.0, 12.0]
    diff = side_by_side(out, "difference")
    assert diff.loc[(2030, "x"), "p"] == 2.0


def test_headline_one_year_no_per_place_rows() -> None:
    base = pd.concat([table({1: 10.0}), table({1: 5.0}, name="net_migration_rate.place.a"),
                      table({1: 1.0}, year=2029)])
    pol = pd.concat([table({1: 12.0}), table({1: 6.0}, name="net_migration_rate.place.a"),
                     table({1: 1.0}, year=2029)])
    top = headline(compare({"baseline": base, "p": pol}, "baseline"), 2030)
    assert list(top.index) == ["x"]
    assert list(top.columns) == ["baseline", "p", "p_diff", "p_diff_lo", "p_diff_hi"]
    assert top.loc["x"].tolist() == [10.0, 12.0, 2.0, 2.0, 2.0]
