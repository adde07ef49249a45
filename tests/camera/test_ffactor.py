"""The F-factor formulas against exact compound-Poisson moments and Monte Carlo pulls."""

import numpy as np
import pytest

from calibpipe_tasks.camera.chunks import match_chunks, validity_start
from calibpipe_tasks.camera.ffactor import ffactor_gain, unbiased_variance

from .synthetic_camera import make_truth, simulate_events


def exact_moments(gain, mu, f2, jitter, ped_mean, ped_var):
    """Mean and variance of Q = pedestal + g * Gamma(n/(F^2-1)), n ~ Poisson(mu (1 + B eps))."""
    var_n = mu + jitter**2 * mu**2  # Poisson of a jittered mean
    var_sum = mu * (f2 - 1) + var_n  # E[Var(G|n)] + Var(E[G|n])
    return ped_mean + gain * mu, ped_var + gain**2 * var_sum


@pytest.mark.parametrize("jitter", [0.0, 0.02, 0.05])
def test_exact_moments_give_the_true_gain(jitter):
    gain, mu, f2 = 8.0, np.array([20.0, 80.0, 300.0]), 1.222
    ff_mean, ff_var = exact_moments(gain, mu, f2, jitter, 3200.0, 40.0**2)
    out = ffactor_gain(3200.0, 40.0**2, 1e4, ff_mean, ff_var, 1e4, f2, jitter)
    np.testing.assert_allclose(out["gain"], gain, rtol=1e-12)
    np.testing.assert_allclose(out["n_pe"], mu, rtol=1e-12)


def test_ignoring_the_jitter_biases_n_pe_by_b2_mu_over_f2():
    gain, mu, f2, jitter = 8.0, np.array([20.0, 80.0, 300.0]), 1.222, 0.02
    ff_mean, ff_var = exact_moments(gain, mu, f2, jitter, 3200.0, 40.0**2)
    out = ffactor_gain(3200.0, 40.0**2, 1e4, ff_mean, ff_var, 1e4, f2, 0.0)
    expected = 1 / (1 + jitter**2 * mu / f2) - 1  # -2.6 % at 80 p.e.
    np.testing.assert_allclose(out["n_pe"] / mu - 1, expected, rtol=1e-12)
    assert expected[1] == pytest.approx(-0.0255, abs=5e-4)


def test_uncertainties_match_the_scatter_over_seeds():
    """Pulls of gain, n_pe and signal from many independent samples have unit width."""
    truth = make_truth(200, seed=3, n_dead=0, n_hot=0, jitter=0.02)
    rng = np.random.default_rng(11)
    n = 800
    pulls = {"gain": [], "n_pe": [], "signal": []}
    for _ in range(6):
        ped, _ = simulate_events(truth, n, "pedestal", rng)
        ff, _ = simulate_events(truth, n, "flatfield", rng)
        ped, ff = ped[:, 0].astype(float), ff[:, 0].astype(float)
        out = ffactor_gain(
            ped.mean(0),
            ped.var(0, ddof=1),
            n,
            ff.mean(0),
            ff.var(0, ddof=1),
            n,
            truth.f_squared,
            truth.jitter,
        )
        mu = truth.mean_pe()
        true = {"gain": truth.gain[0], "n_pe": mu, "signal": truth.gain[0] * mu}
        for key in pulls:
            pulls[key].append((out[key] - true[key]) / out[f"{key}_err"])
    for key, values in pulls.items():
        values = np.concatenate(values)  # 1200 pulls
        assert abs(values.mean()) < 0.15, key
        assert 0.85 < values.std() < 1.15, key


def test_unbiased_variance():
    np.testing.assert_allclose(unbiased_variance(2.0, 5), 4.0 * 5 / 4)


def test_chunks_match_by_overlap_then_by_distance():
    ff_start, ff_end = np.array([0.0, 10.0, 20.0]), np.array([9.0, 19.0, 29.0])
    ped_start, ped_end = np.array([0.5, 10.5]), np.array([9.5, 19.5])
    np.testing.assert_array_equal(match_chunks(ff_start, ff_end, ped_start, ped_end), [0, 1, 1])
    np.testing.assert_array_equal(validity_start(ff_start, ped_start[[0, 1, 1]]), [0, 10, 20])
