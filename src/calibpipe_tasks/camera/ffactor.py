"""The F-factor (excess noise factor) method of gain calibration.

Bencheikh et al. 1992, NIM A 315, 349 ("An improved method for the calibration
of photomultipliers"), as used for LST (lstchain) and MAGIC. A pixel seeing a
light pulse of on average ``mu`` photo-electrons records a charge ``Q_FF``
whose mean above the pedestal is ``S = <Q_FF> - <Q_ped> = g mu`` and whose
excess variance is

    sigma_FF^2 - sigma_ped^2 = g^2 (F^2 mu + B^2 mu^2) = F^2 g S + B^2 S^2,

with ``F^2 = 1 + Var(SPE)/<SPE>^2`` the excess noise factor of the photo-detector
and ``B`` the relative pulse-to-pulse jitter of the light source's intensity
(Poisson photo-electrons, compound with the single-p.e. charge distribution;
the jitter adds ``B^2 mu^2`` to the photo-electron variance). Hence

    g = (sigma_FF^2 - sigma_ped^2) / (F^2 S) - B^2 S / F^2,      n_pe = S / g.

The relation holds for **means and variances**, not medians. Ignoring a known
jitter biases ``n_pe`` by ``-B^2 mu / F^2`` (2 % jitter at 80 p.e. and
``F^2 = 1.222``: -2.6 %).

Uncertainties are propagated to first order from the statistical errors of the
inputs: ``Var(<Q>) = sigma^2 / N`` and, for the sample variance,
``Var(s^2) = 2 sigma^4 / (N - 1)`` (Gaussian approximation; the compound
Poisson charges at tens of p.e. are close to it). ``F^2`` and ``B`` are taken as
exact (their uncertainty is a systematic common to the camera).
"""

import numpy as np


def unbiased_variance(std, n_events):
    """Sample variance with ``N - 1`` from a standard deviation computed with ``N``.

    ctapipe's aggregators give ``std`` with ``ddof=0``; ``n_events`` is the
    number of events kept per pixel.
    """
    std = np.asarray(std, dtype=float)
    n = np.asarray(n_events, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return std**2 * n / (n - 1.0)


def ffactor_gain(ped_mean, ped_var, n_ped, ff_mean, ff_var, n_ff, f_squared, jitter=0.0):
    """Gain and number of photo-electrons per pixel with their uncertainties.

    Bencheikh et al. 1992, Eq. (3) (with the light-source jitter term).

    Parameters
    ----------
    ped_mean, ped_var, n_ped : array_like
        Mean and (unbiased) variance of the pedestal charge, and the number of
        pedestal events they are made of (any common shape).
    ff_mean, ff_var, n_ff : array_like
        The same for the flat-field charge.
    f_squared : float or array_like
        Excess noise factor ``F^2`` per pixel or for the camera.
    jitter : float
        Relative pulse-to-pulse jitter ``B`` of the flat-field light source.

    Returns
    -------
    dict of ndarray
        ``signal`` (S) and ``signal_err``; ``excess_var`` and ``excess_var_err``;
        ``gain`` (charge per p.e.) and ``gain_err``; ``n_pe`` and ``n_pe_err``.
    """
    ped_mean, ped_var, n_ped, ff_mean, ff_var, n_ff = (
        np.asarray(a, dtype=float) for a in (ped_mean, ped_var, n_ped, ff_mean, ff_var, n_ff)
    )
    f2 = np.asarray(f_squared, dtype=float)
    b2 = float(jitter) ** 2
    with np.errstate(divide="ignore", invalid="ignore"):
        signal = ff_mean - ped_mean
        var_signal = ff_var / n_ff + ped_var / n_ped
        excess = ff_var - ped_var
        var_excess = 2.0 * ff_var**2 / (n_ff - 1.0) + 2.0 * ped_var**2 / (n_ped - 1.0)
        gain = excess / (f2 * signal) - b2 * signal / f2
        dg_dexcess = 1.0 / (f2 * signal)
        dg_dsignal = -excess / (f2 * signal**2) - b2 / f2
        var_gain = dg_dexcess**2 * var_excess + dg_dsignal**2 * var_signal
        n_pe = signal / gain
        dn_dsignal = 1.0 / gain - signal / gain**2 * dg_dsignal
        dn_dexcess = -signal / gain**2 * dg_dexcess
        var_npe = dn_dsignal**2 * var_signal + dn_dexcess**2 * var_excess
    return {
        "signal": signal,
        "signal_err": np.sqrt(var_signal),
        "excess_var": excess,
        "excess_var_err": np.sqrt(var_excess),
        "gain": gain,
        "gain_err": np.sqrt(var_gain),
        "n_pe": n_pe,
        "n_pe_err": np.sqrt(var_npe),
    }
