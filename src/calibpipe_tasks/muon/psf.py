"""Optical PSF from the width of muon rings versus their radius (UC-120-2.10).

The fitted Gaussian width of a muon ring grows with its radius (the Cherenkov
angle spread of the muon's light) on top of a part set by the optical point
spread function of the telescope (Vacanti et al. 1994, Astropart. Phys. 2, 1;
Gaug et al. 2019, ApJS 243, 11, section 6). Per telescope the rings are binned
in radius; each bin gives the sigma-clipped mean width and its standard error;
a straight line ``width = intercept + slope * radius`` is fitted by weighted
least squares with weights ``1 / sigma_i**2`` (Bevington & Robinson, *Data
Reduction and Error Analysis*, 3rd ed., eqs. 6.12 and 6.21-6.22), its parameter
errors from the covariance matrix and the reduced chi-square from the residuals.
"""

import numpy as np

from .aggregation import grouped_sigma_clipped_stats


def weighted_line_fit(x, y, sigma):
    """Weighted least-squares straight line ``y = a + b x`` with known errors.

    Parameters
    ----------
    x, y, sigma : ndarray
        Points and the standard deviations of ``y`` (weights ``1 / sigma**2``).

    Returns
    -------
    dict
        ``intercept``, ``slope``, ``cov`` (2x2, order intercept, slope; the
        inverse of the normal matrix, i.e. the errors are those given, not
        rescaled by the chi-square), ``intercept_err``, ``slope_err``,
        ``chi2``, ``ndf`` and ``chi2_reduced`` (NaN when ``ndf == 0``).
    """
    x, y, sigma = (np.asarray(v, dtype=float) for v in (x, y, sigma))
    if x.size < 2:
        raise ValueError("a straight line needs at least two points")
    w = 1.0 / sigma**2
    s, sx, sy = w.sum(), (w * x).sum(), (w * y).sum()
    sxx, sxy = (w * x * x).sum(), (w * x * y).sum()
    delta = s * sxx - sx * sx
    intercept = (sxx * sy - sx * sxy) / delta
    slope = (s * sxy - sx * sy) / delta
    cov = np.array([[sxx, -sx], [-sx, s]]) / delta
    chi2 = float((w * (y - intercept - slope * x) ** 2).sum())
    ndf = x.size - 2
    return dict(
        intercept=float(intercept),
        slope=float(slope),
        cov=cov,
        intercept_err=float(np.sqrt(cov[0, 0])),
        slope_err=float(np.sqrt(cov[1, 1])),
        chi2=chi2,
        ndf=int(ndf),
        chi2_reduced=chi2 / ndf if ndf > 0 else float("nan"),
    )


def binned_width(tel_id, radius, width, edges, sigma=3.0, maxiters=5):
    """Sigma-clipped mean ring width per telescope and radius bin.

    Parameters
    ----------
    tel_id, radius, width : ndarray
        One entry per ring (radius and width in the same angular unit).
    edges : ndarray
        Radius bin edges; rings outside are ignored.

    Returns
    -------
    dict of ndarray
        ``tel_id``, ``bin``, ``radius_mean`` (mean radius of the bin's rings),
        ``n``, ``n_used``, ``width_mean``, ``width_std``, ``width_sem``.
    """
    tel_id = np.asarray(tel_id, dtype=np.int64)
    radius = np.asarray(radius, dtype=float)
    width = np.asarray(width, dtype=float)
    bins = np.digitize(radius, edges) - 1
    inside = (bins >= 0) & (bins < len(edges) - 1)
    tel_id, radius, width, bins = tel_id[inside], radius[inside], width[inside], bins[inside]
    stats = grouped_sigma_clipped_stats((tel_id, bins), width, sigma, maxiters)
    starts = stats["starts"]
    radius_sorted = radius[stats["index"]]
    n = stats["n"]
    radius_mean = np.add.reduceat(radius_sorted, starts) / n if len(starts) else np.zeros(0)
    with np.errstate(invalid="ignore", divide="ignore"):
        sem = stats["std"] / np.sqrt(stats["n_used"])
    return dict(
        tel_id=stats["keys"][0],
        bin=stats["keys"][1],
        radius_mean=radius_mean,
        n=n,
        n_used=stats["n_used"],
        width_mean=stats["mean"],
        width_std=stats["std"],
        width_sem=sem,
    )
