"""Anticoagulation metrics and intervals against hand calculations."""

from __future__ import annotations

import numpy as np
import pytest

from pgxdl.rl.anticoagulation import (
    days_to_therapeutic,
    fraction_above,
    fraction_below,
    genotype_groups,
    mean_ci,
    pttr_daily,
    pttr_rosendaal,
)


def test_rosendaal_linear_interpolation_by_hand():
    # 1.5 -> 2.5 over 10 days: in range from INR 2 (day 5) to day 10, 5 of 10 days.
    assert pttr_rosendaal([0, 10], [1.5, 2.5]) == pytest.approx(0.5)
    # then 2.5 -> 3.5 over 4 days: in range until INR 3 (2 days); total (5 + 2) / 14.
    assert pttr_rosendaal([0, 10, 14], [1.5, 2.5, 3.5]) == pytest.approx(7 / 14)
    # crossing the whole range: 1 -> 4 over 6 days is in range for 2 of 6 days.
    assert pttr_rosendaal([0, 6], [1.0, 4.0]) == pytest.approx(2 / 6)
    assert pttr_rosendaal([3, 5], [2.2, 2.2]) == 1.0
    assert np.isnan(pttr_rosendaal([3], [2.5]))
    with pytest.raises(ValueError, match="strictly increasing"):
        pttr_rosendaal([0, 0], [1.0, 2.0])


def test_daily_metrics():
    inr = np.array([[1.0, 1.4, 2.0, 3.0, 4.2],
                    [1.0, 1.2, 1.3, 1.8, 1.9]])
    np.testing.assert_allclose(pttr_daily(inr), [0.4, 0.0])
    np.testing.assert_allclose(fraction_above(inr, 4.0), [0.2, 0.0])
    np.testing.assert_allclose(fraction_below(inr, 1.5), [0.4, 0.6])
    np.testing.assert_array_equal(days_to_therapeutic(inr), [3.0, 6.0])


def test_genotype_groups():
    groups = genotype_groups(np.array([0, 2, 4, 1]), np.array([2, 0, 1, 2]))
    np.testing.assert_array_equal(groups["CYP2C9 *3 carrier"], [False, True, True, False])
    np.testing.assert_array_equal(groups["CYP2C9 *2 carrier"], [False, False, True, True])
    np.testing.assert_array_equal(groups["VKORC1 A/A"], [True, False, False, True])
    assert groups["all"].all() and list(groups)[0] == "all"


def test_mean_ci_t_interval_by_hand():
    mean, low, high = mean_ci(np.array([1.0, 2.0, 3.0]))
    half = 4.302652729911275 * 1.0 / np.sqrt(3)  # t(0.975, df=2) * sd / sqrt(n)
    assert (mean, low, high) == pytest.approx((2.0, 2.0 - half, 2.0 + half))
    assert mean_ci(np.array([0.7])) == (0.7, 0.7, 0.7)
    assert np.isnan(mean_ci(np.array([np.nan]))[0])
