"""Weighted mean, chi-square, excess variance (Paule-Mandel, Q-profile) and drift vs truth."""

import numpy as np
import pytest
from scipy import stats

from calibpipe_tasks.aerosol.outliers import isolated_outliers
from calibpipe_tasks.aerosol.stability import (
    chi2_constant,
    excess_variance,
    linear_drift,
    weighted_mean,
)

N_NIGHTS, N = 400, 100


def nights(sigma, excess, seed):
    rng = np.random.default_rng(seed)
    err = np.full((N_NIGHTS, N), sigma)
    x = 0.02 + rng.normal(0, np.sqrt(sigma**2 + excess**2), (N_NIGHTS, N))
    return x, err, np.ones_like(x, bool)


def test_weighted_mean_and_error():
    mean, err = weighted_mean([1.0, 2.0, 4.0], [1.0, 1.0, 2.0], [True, True, True])
    w = np.array([1, 1, 0.25])
    assert mean[0] == pytest.approx((1 + 2 + 1) / w.sum())
    assert err[0] == pytest.approx(1 / np.sqrt(w.sum()))


def test_chi2_of_a_stable_night_is_chi2_distributed():
    x, err, m = nights(0.008, 0.0, 1)
    chi2, dof, p = chi2_constant(x, err, m)
    assert np.all(dof == N - 1)
    # mean of chi2 over 400 nights: N-1 within 5 sigma of sqrt(2(N-1)/400)
    assert abs(chi2.mean() - (N - 1)) < 5 * np.sqrt(2 * (N - 1) / N_NIGHTS)
    assert stats.kstest(p, "uniform").pvalue > 1e-3


def test_stable_night_never_nan_where_the_anchor_is():
    """S^2 < <sigma^2> in about half of stable nights: the anchor's F_var is NaN there."""
    x, err, m = nights(0.008, 0.0, 2)
    s2 = np.var(x, axis=1, ddof=1)
    assert 0.35 < np.mean(s2 < np.mean(err**2, axis=1)) < 0.65
    estimate, lower, upper = excess_variance(x, err, m)
    for a in (estimate, lower, upper):
        assert np.all(np.isfinite(a)) and np.all(a >= 0)
    assert np.all(lower <= estimate) and np.all(estimate <= upper)
    # with no excess, the lower limit is 0 in >= 95 % of nights (a one-sided 95 % limit)
    assert np.mean(lower == 0) > 0.95 - 5 * np.sqrt(0.05 * 0.95 / N_NIGHTS)


@pytest.mark.parametrize("excess", [0.005, 0.01, 0.02])
def test_excess_rms_estimate_and_limit_coverage(excess):
    x, err, m = nights(0.008, excess, 3)
    estimate, lower, upper = excess_variance(x, err, m, cl=0.95)
    # Paule-Mandel s^2 is close to unbiased: its mean within 5 standard errors of the truth
    s2 = estimate**2
    assert abs(s2.mean() - excess**2) < 5 * s2.std() / np.sqrt(N_NIGHTS)
    # each one-sided limit covers the truth in 95 % of the nights (binomial, 4.5 sigma)
    tol = 4.5 * np.sqrt(0.05 * 0.95 / N_NIGHTS)
    assert np.mean(upper >= excess) == pytest.approx(0.95, abs=tol)
    assert np.mean(lower <= excess) == pytest.approx(0.95, abs=tol)


def test_excess_variance_of_unequal_errors_and_a_single_measurement():
    rng = np.random.default_rng(4)
    err = rng.uniform(0.004, 0.012, (N_NIGHTS, N))
    x = rng.normal(0.02, np.sqrt(err**2 + 0.01**2))
    _, _, upper = excess_variance(x, err, np.ones_like(x, bool))
    tol = 4.5 * np.sqrt(0.05 * 0.95 / N_NIGHTS)
    assert np.mean(upper >= 0.01) == pytest.approx(0.95, abs=tol)
    one = excess_variance([0.02, 0.5], [0.01, 0.01], [True, False])
    assert [float(v[0]) for v in one] == [0.0, 0.0, 0.0]


def test_drift_pulls():
    rng = np.random.default_rng(5)
    t = np.linspace(0.0, 36000.0, N)[None, :].repeat(N_NIGHTS, 0)
    true_drift = 0.03
    x = 0.02 + true_drift * t / 36000.0 + rng.normal(0, 0.008, t.shape)
    drift, err = linear_drift(t, x, np.full_like(x, 0.008), np.ones_like(x, bool))
    pull = (drift - true_drift) / err
    assert abs(pull.mean()) < 5 / np.sqrt(N_NIGHTS)
    assert pull.std() == pytest.approx(1.0, abs=5 / np.sqrt(2 * N_NIGHTS))


def test_isolated_glitch_rejected_sustained_excursion_kept():
    t = np.arange(60) * 300.0
    x = np.full(60, 0.02)
    x[10] += 0.2  # one glitch
    x[30:34] += 0.1  # a 20-minute cloud
    rejected, excursion = isolated_outliers(t, x, np.full(60, 0.005), np.ones(60, bool))
    assert np.flatnonzero(rejected[0]).tolist() == [10]
    assert np.flatnonzero(excursion[0]).tolist() == [30, 31, 32, 33]


def test_vector_rows_shifted_together_are_an_excursion():
    t = np.repeat(np.arange(40) * 300.0, 4)  # 4 stars per image
    x = np.full(160, 0.02)
    x[80:88] += 0.1  # two images, all their stars
    x[100] += 0.1  # one star
    x[140:144] += 0.1  # one image alone: cannot be told from a bad image, rejected
    rejected, excursion = isolated_outliers(t, x, np.full(160, 0.005), np.ones(160, bool))
    assert np.flatnonzero(excursion[0]).tolist() == list(range(80, 88))
    assert np.flatnonzero(rejected[0]).tolist() == [100, 140, 141, 142, 143]
