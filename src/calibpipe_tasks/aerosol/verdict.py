"""The clear-night verdict, its thresholds and the decision rule.

Verdicts (:class:`Verdict`):

``clear``
    enough measurements over enough of the night, no sustained excursion, and
    stability *shown*: the upper limit on the excess rms is at most
    ``max_excess_rms`` and the upper limit on the drift over the night at most
    ``max_drift``; the mean VAOD is at most ``max_clear_vaod``;
``aerosol``
    not variable, mean VAOD above ``max_clear_vaod`` (calima dust, haze);
``variable``
    clouds or passing layers: at least ``min_excursion_points`` measurements in
    sustained excursions beyond ``outlier_sigma``, or the lower limit (at
    ``variable_confidence``) on the excess rms above ``max_excess_rms``, or that
    on the drift above ``max_drift``;
``insufficient-data``
    measurements used at fewer than ``min_times`` distinct times (images), or they cover less than
    ``min_coverage`` of the night, or the night is neither variable nor aerosol
    but its stability cannot be shown with the data at hand.

The rules are tried in the order: too few / too short -> variable -> aerosol ->
stability not shown -> clear. The default thresholds are justified by the
false-clear and missed-clear rates measured on synthetic nights (BENCHMARKS.md,
``bench/bench_clear_night.py``).

Reported errors that are wrong by a factor f act like an excess rms of
``sigma sqrt(f^2 - 1)`` (f > 1, errors understated) or hide an excess rms of
up to ``sigma sqrt(1 - f^2)`` (f < 1, errors overstated). ``max_excess_rms``
is an absolute tolerance on the VAOD (default 0.01), so errors understated by
20 % (an apparent excess rms of 0.66 sigma, at most 0.0066 for FRAM's
sigma <= 0.01) still give ``clear``, and errors overstated by 20 % blunt the
test for real variation by at most 0.6 sigma.
"""

import enum
from dataclasses import asdict, dataclass

import numpy as np


class Verdict(enum.Enum):
    """The state of the night's atmosphere."""

    CLEAR = "clear"
    AEROSOL = "aerosol"
    VARIABLE = "variable"
    INSUFFICIENT_DATA = "insufficient-data"


#: integer codes of the verdicts in vectorised results
VERDICT_CODES = {v: i for i, v in enumerate(Verdict)}
CODE_VERDICTS = dict(enumerate(Verdict))


class Reason(enum.IntEnum):
    """Why a night got its verdict (the first rule that decided)."""

    CLEAR = 0
    TOO_FEW = 1
    SHORT_COVERAGE = 2
    EXCURSIONS = 3
    EXCESS_RMS = 4
    DRIFT = 5
    HIGH_VAOD = 6
    RMS_NOT_SHOWN = 7
    DRIFT_NOT_SHOWN = 8


REASON_VERDICT = {
    Reason.CLEAR: Verdict.CLEAR,
    Reason.TOO_FEW: Verdict.INSUFFICIENT_DATA,
    Reason.SHORT_COVERAGE: Verdict.INSUFFICIENT_DATA,
    Reason.EXCURSIONS: Verdict.VARIABLE,
    Reason.EXCESS_RMS: Verdict.VARIABLE,
    Reason.DRIFT: Verdict.VARIABLE,
    Reason.HIGH_VAOD: Verdict.AEROSOL,
    Reason.RMS_NOT_SHOWN: Verdict.INSUFFICIENT_DATA,
    Reason.DRIFT_NOT_SHOWN: Verdict.INSUFFICIENT_DATA,
}


@dataclass(frozen=True)
class Thresholds:
    """Cuts and thresholds of the assessment (all reported in the product).

    Attributes
    ----------
    max_zenith_deg : float
        Measurements farther from the zenith are not used [deg].
    max_vaod_error : float
        Measurements with a larger VAOD error are not used.
    outlier_sigma, neighbour_sigma, outlier_window_s, min_support, support_fraction
        Isolated-outlier rule (:mod:`.outliers`).
    min_times : int
        Fewest distinct measurement times (FRAM images) for a verdict other than
        insufficient-data.
    min_coverage : float
        Smallest fraction of the night between the first and last measurement used.
    max_clear_vaod : float
        Largest mean tropospheric VAOD of a clear night (at the reference wavelength).
    max_excess_rms : float
        Largest excess rms of the VAOD over the night still called stable.
    max_drift : float
        Largest change of the VAOD over the night (straight line) still called stable.
    min_excursion_points : int
        Measurements in sustained excursions that make a night variable.
    confidence : float
        One-sided confidence of the upper limits that must show stability.
    variable_confidence : float
        One-sided confidence of the lower limits that show variability.
    """

    max_zenith_deg: float = 70.0
    max_vaod_error: float = 0.03
    outlier_sigma: float = 5.0
    neighbour_sigma: float = 3.0
    outlier_window_s: float = 600.0
    min_support: int = 2
    support_fraction: float = 0.2
    min_times: int = 20
    min_coverage: float = 0.5
    max_clear_vaod: float = 0.04
    max_excess_rms: float = 0.01
    max_drift: float = 0.02
    min_excursion_points: int = 1
    confidence: float = 0.95
    variable_confidence: float = 0.999

    def as_dict(self):
        """The thresholds as a plain dict (for the products)."""
        return asdict(self)


def decide(
    n_times,
    coverage,
    n_excursion,
    mean_vaod,
    excess_rms_upper,
    excess_rms_lower_variable,
    drift,
    drift_err,
    thresholds,
):
    """Verdict and reason codes per night (vectorised; see the module docstring).

    Parameters
    ----------
    n_times : array_like of int
        Distinct times (images) of the measurements used per night.
    coverage : array_like
        Fraction of the night between the first and last measurement used.
    n_excursion : array_like of int
        Used measurements in sustained excursions (:func:`.outliers.isolated_outliers`).
    mean_vaod : array_like
        Weighted mean VAOD.
    excess_rms_upper : array_like
        Upper limit on the excess rms at ``thresholds.confidence``.
    excess_rms_lower_variable : array_like
        Lower limit on the excess rms at ``thresholds.variable_confidence``.
    drift, drift_err : array_like
        Change over the night of the straight line and its error.
    thresholds : Thresholds

    Returns
    -------
    verdict_code, reason : ndarray of int
        Index into :data:`CODE_VERDICTS` and :class:`Reason` value per night.
    """
    from scipy import stats

    th = thresholds
    z_up = stats.norm.ppf(th.confidence)
    z_var = stats.norm.ppf(th.variable_confidence)
    abs_drift = np.abs(np.asarray(drift, dtype=float))
    drift_err = np.asarray(drift_err, dtype=float)
    conditions = [
        (np.asarray(n_times) < th.min_times, Reason.TOO_FEW),
        (np.asarray(coverage) < th.min_coverage, Reason.SHORT_COVERAGE),
        (np.asarray(n_excursion) >= th.min_excursion_points, Reason.EXCURSIONS),
        (np.asarray(excess_rms_lower_variable) > th.max_excess_rms, Reason.EXCESS_RMS),
        (abs_drift - z_var * drift_err > th.max_drift, Reason.DRIFT),
        (np.asarray(mean_vaod) > th.max_clear_vaod, Reason.HIGH_VAOD),
        (np.asarray(excess_rms_upper) > th.max_excess_rms, Reason.RMS_NOT_SHOWN),
        (abs_drift + z_up * drift_err > th.max_drift, Reason.DRIFT_NOT_SHOWN),
    ]
    reason = np.select([c for c, _ in conditions], [int(r) for _, r in conditions], 0)
    lookup = np.array([VERDICT_CODES[REASON_VERDICT[Reason(i)]] for i in range(len(Reason))])
    return lookup[reason], reason


def verdict_of(code):
    """The :class:`Verdict` of a verdict code."""
    return CODE_VERDICTS[int(code)]


def describe_reason(reason, stats_of_night, thresholds):
    """One sentence saying why a night got its verdict.

    Parameters
    ----------
    reason : int
        A :class:`Reason` value.
    stats_of_night : dict
        The night's ``n_used``, ``n_times``, ``coverage``, ``n_excursion``, ``mean_vaod``,
        ``mean_vaod_err``, ``excess_rms_upper``, ``excess_rms_lower_variable``,
        ``drift``, ``drift_err``.
    thresholds : Thresholds
    """
    s, th = stats_of_night, thresholds
    reason = Reason(int(reason))
    mean = f"mean VAOD {s['mean_vaod']:.4f} +- {s['mean_vaod_err']:.4f}"
    rms_up = f"excess rms upper limit {s['excess_rms_upper']:.4f}"
    drift = f"drift {s['drift']:+.4f} +- {s['drift_err']:.4f}"
    texts = {
        Reason.CLEAR: (
            f"{mean} <= {th.max_clear_vaod}, {rms_up} <= {th.max_excess_rms} "
            f"({th.confidence:g} CL), {drift} within {th.max_drift}, no sustained excursion"
        ),
        Reason.TOO_FEW: (
            f"{s['n_used']} measurements used at {s['n_times']} distinct times, "
            f"fewer than {th.min_times}"
        ),
        Reason.SHORT_COVERAGE: (
            f"the measurements used cover {s['coverage']:.0%} of the night, "
            f"less than {th.min_coverage:.0%}"
        ),
        Reason.EXCURSIONS: (
            f"{s['n_excursion']} measurements in sustained excursions beyond "
            f"{th.outlier_sigma:g} sigma (clouds or passing layers)"
        ),
        Reason.EXCESS_RMS: (
            f"excess rms lower limit {s['excess_rms_lower_variable']:.4f} "
            f"({th.variable_confidence:g} CL) above {th.max_excess_rms}"
        ),
        Reason.DRIFT: (
            f"{drift} over the night, beyond {th.max_drift} at {th.variable_confidence:g} CL"
        ),
        Reason.HIGH_VAOD: f"stable but {mean} above {th.max_clear_vaod} (haze, dust)",
        Reason.RMS_NOT_SHOWN: (
            f"stability not shown: {rms_up} ({th.confidence:g} CL) above {th.max_excess_rms}"
        ),
        Reason.DRIFT_NOT_SHOWN: (
            f"stability not shown: {drift} not within {th.max_drift} at {th.confidence:g} CL"
        ),
    }
    return texts[reason]
