"""The clear-night assessment chain, vectorised over nights.

Inputs are arrays of shape ``(n_nights, n_max)`` (one night: ``(1, n)``) with a
mask ``present`` of real entries (padding is ignored). For each measurement:
inside the night? -> zenith-angle cut -> VAOD (:mod:`.optical_depth`) ->
VAOD-error cut -> isolated-outlier rejection (:mod:`.outliers`). For each night:
weighted mean VAOD and error, chi-square of a constant, excess rms (estimate,
limits), drift, coverage, verdict and reason (:mod:`.verdict`).
"""

import enum

import numpy as np

from .optical_depth import AerosolModel, tropospheric_vaod
from .outliers import isolated_outliers
from .stability import chi2_constant, excess_variance, linear_drift, weighted_mean
from .verdict import Thresholds, decide


class Status(enum.IntEnum):
    """What happened to one measurement (the first cut that removed it)."""

    USED = 0
    OUTSIDE_NIGHT = 1
    ZENITH_ANGLE = 2
    VAOD_ERROR = 3
    OUTLIER = 4


STATUS_NAMES = {
    Status.USED: "used",
    Status.OUTSIDE_NIGHT: "outside the night",
    Status.ZENITH_ANGLE: "zenith angle above the cut",
    Status.VAOD_ERROR: "VAOD error above the cut",
    Status.OUTLIER: "isolated outlier",
}


def assess_nights(
    times_s,
    night_length_s,
    zenith_deg,
    slant_aod,
    slant_aod_err,
    wavelength_nm,
    present=None,
    model=None,
    thresholds=None,
):
    """Assess nights of FRAM measurements.

    Parameters
    ----------
    times_s : ndarray, shape (n_nights, n_max)
        Time of each measurement from the start of its night [s] (negative or
        beyond ``night_length_s``: outside the night).
    night_length_s : array_like, shape (n_nights,)
        Length of each astronomical night [s].
    zenith_deg, slant_aod, slant_aod_err, wavelength_nm : ndarray, shape (n_nights, n_max)
        Apparent zenith angle [deg] (may exceed 90: below the horizon), slant AOD,
        its error (> 0), filter peak wavelength [nm] (> 0).
    present : ndarray of bool, optional
        Real entries (default: all).
    model : AerosolModel, optional
        Default: ``AerosolModel()``.
    thresholds : Thresholds, optional
        Default: ``Thresholds()``.

    Returns
    -------
    dict
        Per measurement (n_nights, n_max): ``vaod``, ``vaod_err``, ``airmass``,
        ``status`` (:class:`Status`; padding gets OUTSIDE_NIGHT), ``excursion``.
        Per night: ``n_measurements``, ``n_in_night``, ``n_used``, ``n_times``
        (distinct times used), ``n_rejected`` (in the night but not used),
        ``n_outliers``, ``n_excursion``, ``coverage``,
        ``mean_vaod``, ``mean_vaod_err``, ``chi2``, ``dof``, ``chi2_pvalue``,
        ``excess_rms``, ``excess_rms_lower``, ``excess_rms_upper``,
        ``excess_rms_lower_variable``, ``drift``, ``drift_err``, ``verdict_code``,
        ``reason``. No value is NaN.
    """
    model = AerosolModel() if model is None else model
    th = Thresholds() if thresholds is None else thresholds
    times = np.atleast_2d(np.asarray(times_s, dtype=float))
    shape = times.shape
    present = np.ones(shape, bool) if present is None else np.atleast_2d(present)
    length = np.broadcast_to(np.asarray(night_length_s, dtype=float), (shape[0],))
    zen = np.atleast_2d(np.asarray(zenith_deg, dtype=float))
    aod = np.atleast_2d(np.asarray(slant_aod, dtype=float))
    err = np.atleast_2d(np.asarray(slant_aod_err, dtype=float))
    wl = np.atleast_2d(np.asarray(wavelength_nm, dtype=float))

    in_night = present & (times >= 0.0) & (times <= length[:, None])
    zen_ok = in_night & (zen <= th.max_zenith_deg)
    above_horizon = present & (zen >= 0.0) & (zen <= 90.0)
    safe_zen = np.where(above_horizon, zen, 0.0)
    safe_wl = np.where(present, wl, model.reference_wavelength_nm)
    vaod, vaod_err, airmass = tropospheric_vaod(
        np.where(present, aod, 0.0), np.where(present, err, 1.0), safe_zen, safe_wl, model
    )
    err_ok = zen_ok & (vaod_err <= th.max_vaod_error)
    rejected, excursion = isolated_outliers(
        times,
        vaod,
        vaod_err,
        err_ok,
        th.outlier_sigma,
        th.neighbour_sigma,
        th.outlier_window_s,
        th.min_support,
        th.support_fraction,
    )
    used = err_ok & ~rejected

    status = np.full(shape, int(Status.OUTSIDE_NIGHT))
    status[in_night] = int(Status.ZENITH_ANGLE)
    status[zen_ok] = int(Status.VAOD_ERROR)
    status[err_ok] = int(Status.OUTLIER)
    status[used] = int(Status.USED)

    n_used = used.sum(axis=-1)
    big = np.finfo(float).max
    sorted_times = np.sort(np.where(used, times, big), axis=-1)
    new_time = sorted_times < big
    new_time[:, 1:] &= np.diff(sorted_times, axis=-1) > 0
    n_times = new_time.sum(axis=-1)
    first = np.where(used, times, np.inf).min(axis=-1)
    last = np.where(used, times, -np.inf).max(axis=-1)
    safe_length = np.where(length > 0, length, 1.0)
    coverage = np.where(n_used > 0, (last - first) / safe_length, 0.0)

    mean, mean_err = weighted_mean(vaod, vaod_err, used)
    chi2, dof, p = chi2_constant(vaod, vaod_err, used)
    rms, rms_lo, rms_up, rms_lo_var = excess_variance(
        vaod, vaod_err, used, th.confidence, lower_cls=(th.variable_confidence,)
    )
    drift, drift_err = linear_drift(times, vaod, vaod_err, used)
    n_exc = (excursion & used).sum(axis=-1)
    verdict_code, reason = decide(
        n_times, coverage, n_exc, mean, rms_up, rms_lo_var, drift, drift_err, th
    )
    return {
        "vaod": np.where(present, vaod, 0.0),
        "vaod_err": np.where(present, vaod_err, 0.0),
        "airmass": np.where(above_horizon, airmass, 0.0),
        "status": status,
        "excursion": excursion & used,
        "n_measurements": present.sum(axis=-1),
        "n_in_night": in_night.sum(axis=-1),
        "n_used": n_used,
        "n_times": n_times,
        "n_rejected": in_night.sum(axis=-1) - n_used,
        "n_outliers": rejected.sum(axis=-1),
        "n_excursion": n_exc,
        "coverage": coverage,
        "mean_vaod": mean,
        "mean_vaod_err": mean_err,
        "chi2": chi2,
        "dof": dof,
        "chi2_pvalue": p,
        "excess_rms": rms,
        "excess_rms_lower": rms_lo,
        "excess_rms_upper": rms_up,
        "excess_rms_lower_variable": rms_lo_var,
        "drift": drift,
        "drift_err": drift_err,
        "verdict_code": verdict_code,
        "reason": reason,
    }
