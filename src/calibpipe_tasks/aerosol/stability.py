"""Statistics of a night's VAOD measurements, vectorised over nights.

Every function takes arrays of shape ``(n_nights, n_max)`` (or ``(n_max,)`` for
one night) with a boolean mask of the measurements used, and returns one value
per night; none of them returns NaN (a night without enough measurements gets
zeros, and the verdict says "insufficient data" before any of these is read).

* weighted mean ``mu = sum(w x) / sum(w)``, ``w = 1/sigma^2``, error ``1/sqrt(sum w)``;
* ``chi2 = sum(w (x - mu)^2)`` of the constant ``mu``, ``n - 1`` degrees of freedom,
  and its p-value;
* the *excess variance* ``s^2``: the model ``x_i ~ N(mu, sigma_i^2 + s^2)``.
  Its estimate is the Paule & Mandel (1982, J. Res. NBS 87, 377) solution of
  ``Q(s^2) = n - 1`` and its confidence limits the Q-profile method
  (Viechtbauer 2007, Stat. Med. 26, 37): the generalised statistic
  ``Q(s^2) = sum(w_i(s) (x_i - mu(s))^2)``, ``w_i(s) = 1/(sigma_i^2 + s^2)``, is
  chi-square with ``n - 1`` degrees of freedom at the true ``s^2`` and decreases
  monotonically with ``s^2``; the upper limit at confidence ``cl`` solves
  ``Q(s^2) = chi2_{n-1}^{-1}(1 - cl)`` and the lower limit
  ``Q(s^2) = chi2_{n-1}^{-1}(cl)``; a limit is 0 where ``Q(0)`` is already below
  its quantile (the scatter is smaller than the errors say). Unlike the
  fractional excess variance ``sqrt(S^2 - <sigma^2>) / mean``, none of these is
  ever NaN or undefined;
* a weighted straight line ``x = a + b t`` and the change ``b T`` over the span
  ``T`` of the measurements; its error is scaled by the Birge ratio
  ``sqrt(max(1, chi2_line / (n - 2)))`` (the PDG scale factor) so that a scatter
  beyond the errors does not make a drift look significant.
"""

import numpy as np
from scipy import stats

#: bisection steps of the Q-profile solution (relative precision 2**-32 of the bracket)
_BISECTION_STEPS = 32


def _prepare(values, errors, mask):
    x = np.atleast_2d(np.asarray(values, dtype=float))
    m = np.atleast_2d(np.asarray(mask, dtype=bool))
    s = np.atleast_2d(np.asarray(errors, dtype=float))
    s = np.where(m, s, 1.0)
    x = np.where(m, x, 0.0)
    return x, s, m


def weighted_mean(values, errors, mask):
    """Weighted mean and its error per night (0, 0 for a night without measurements)."""
    x, s, m = _prepare(values, errors, mask)
    w = np.where(m, 1.0 / s**2, 0.0)
    sw = w.sum(axis=-1)
    ok = sw > 0
    safe = np.where(ok, sw, 1.0)
    mean = np.where(ok, (w * x).sum(axis=-1) / safe, 0.0)
    err = np.where(ok, 1.0 / np.sqrt(safe), 0.0)
    return mean, err


def q_statistic(values, errors, mask, excess_variance):
    """Generalised Q(s^2) per night (``excess_variance`` one value per night)."""
    x, s, m = _prepare(values, errors, mask)
    tau2 = np.asarray(excess_variance, dtype=float).reshape(-1, 1)
    w = np.where(m, 1.0 / (s**2 + tau2), 0.0)
    sw = np.maximum(w.sum(axis=-1), np.finfo(float).tiny)
    mu = (w * x).sum(axis=-1) / sw
    return (w * (x - mu[:, None]) ** 2).sum(axis=-1)


def chi2_constant(values, errors, mask):
    """Chi-square of the weighted mean, its degrees of freedom and p-value per night.

    A night with fewer than 2 measurements gets chi2 = 0, dof = 0, p = 1.
    """
    x, s, m = _prepare(values, errors, mask)
    n = m.sum(axis=-1)
    chi2 = q_statistic(x, s, m, np.zeros(x.shape[0]))
    dof = np.maximum(n - 1, 0)
    p = np.where(dof > 0, stats.chi2.sf(chi2, np.maximum(dof, 1)), 1.0)
    return chi2, dof, p


def _solve_q(x, s, m, target):
    """The s^2 >= 0 with Q(s^2) = target per night (0 where Q(0) <= target)."""
    n_nights = x.shape[0]
    q0 = q_statistic(x, s, m, np.zeros(n_nights))
    n = np.maximum(m.sum(axis=-1), 1)
    xbar = np.where(m, x, 0).sum(axis=-1) / n
    ss = np.where(m, (x - xbar[:, None]) ** 2, 0.0).sum(axis=-1)
    # Q(s^2) <= SS / s^2, so Q(SS / target) <= target brackets the root
    safe_target = np.maximum(target, np.finfo(float).tiny)
    lo = np.zeros(n_nights)
    hi = np.maximum(ss / safe_target, np.finfo(float).tiny) * 1.0000001
    for _ in range(_BISECTION_STEPS):
        mid = 0.5 * (lo + hi)
        above = q_statistic(x, s, m, mid) > target
        lo = np.where(above, mid, lo)
        hi = np.where(above, hi, mid)
    return np.where((q0 > target) & (target > 0), 0.5 * (lo + hi), 0.0)


def excess_variance(values, errors, mask, cl=0.95, lower_cls=()):
    """Excess rms beyond the reported errors: estimate and Q-profile limits per night.

    Parameters
    ----------
    values, errors : ndarray
        VAOD and its error, shape ``(n_nights, n_max)`` or ``(n_max,)``.
    mask : ndarray of bool
        Measurements used.
    cl : float
        One-sided confidence level of the lower and upper limit.
    lower_cls : sequence of float
        Further confidence levels for lower limits only (solved in the same pass).

    Returns
    -------
    estimate, lower, upper, *more_lower : ndarray
        Excess rms ``s`` (same units as ``values``): the Paule-Mandel estimate,
        the one-sided lower and upper limits at ``cl``, then one lower limit per
        ``lower_cls``; all 0 for a night with fewer than 2 measurements.
    """
    x, s, m = _prepare(values, errors, mask)
    dof = np.maximum(m.sum(axis=-1) - 1, 0)
    safe_dof = np.maximum(dof, 1)
    has = dof > 0
    targets = [np.where(has, dof.astype(float), 0.0), stats.chi2.ppf(cl, safe_dof)]
    targets.append(stats.chi2.ppf(1.0 - cl, safe_dof))
    targets += [stats.chi2.ppf(c, safe_dof) for c in lower_cls]
    k, n_nights = len(targets), x.shape[0]
    target = np.where(np.tile(has, k), np.concatenate(targets), 0.0)
    solved = _solve_q(np.tile(x, (k, 1)), np.tile(s, (k, 1)), np.tile(m, (k, 1)), target)
    solved = np.sqrt(solved).reshape(k, n_nights)
    estimate, lower, upper = solved[0], solved[1], solved[2]
    return (estimate, lower, upper, *solved[3:])


def linear_drift(times_s, values, errors, mask):
    """Change of a weighted straight line over the span of the measurements, per night.

    Returns
    -------
    drift, drift_err : ndarray
        ``b * (t_last - t_first)`` and its error, scaled by the Birge ratio;
        0, 0 for a night with fewer than 3 measurements or all at one time.
    """
    x, s, m = _prepare(values, errors, mask)
    t = np.atleast_2d(np.asarray(times_s, dtype=float))
    t = np.where(m, t, 0.0)
    n = m.sum(axis=-1)
    w = np.where(m, 1.0 / s**2, 0.0)
    sw = np.maximum(w.sum(axis=-1), np.finfo(float).tiny)
    t0 = (w * t).sum(axis=-1) / sw
    tc = np.where(m, t - t0[:, None], 0.0)
    stt = (w * tc**2).sum(axis=-1)
    ok = (n >= 3) & (stt > 0)
    safe_stt = np.where(ok, stt, 1.0)
    slope = (w * tc * x).sum(axis=-1) / safe_stt
    intercept = (w * x).sum(axis=-1) / sw
    resid = np.where(m, x - intercept[:, None] - slope[:, None] * tc, 0.0)
    chi2 = (w * resid**2).sum(axis=-1)
    birge = np.sqrt(np.maximum(1.0, chi2 / np.maximum(n - 2, 1)))
    span = np.where(m, t, -np.inf).max(axis=-1) - np.where(m, t, np.inf).min(axis=-1)
    span = np.where(ok, span, 0.0)
    drift = np.where(ok, slope * span, 0.0)
    drift_err = np.where(ok, birge * span / np.sqrt(safe_stt), 0.0)
    return drift, drift_err
