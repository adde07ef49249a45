"""Absolute gain and excess noise factor per pixel from single-photo-electron spectra.

Under faint, uniform illumination (a mean ``mu`` of about one photo-electron
per pixel and event), the charge spectrum of a pixel is the compound-Poisson
sum of the pedestal and the ``n``-photo-electron peaks (the model fitted by
NectarCAM's SPE fit, Caroff et al. 2019, hal-02432593, Eq. 1, here with a
Gaussian single-p.e. response and without its low-charge component):

    P(q) = sum_n Poisson(n; mu) N(q; ped + n g, sigma_ped^2 + n sigma_1^2 g^2)

with ``ped``/``sigma_ped`` the pedestal mean and noise, ``g`` the absolute gain
(charge per photo-electron) and ``sigma_1`` the relative width of the
single-p.e. response; the excess noise factor is ``F^2 = 1 + sigma_1^2``.

The fit is one batched Levenberg-Marquardt (Fisher scoring) minimisation of the
binned Poisson likelihood for **all pixels at once**: every array has the pixel
as its first axis, the 5 x 5 normal equations of all pixels are solved by one
``numpy.linalg.solve``, and each pixel accepts or rejects its own step. Bin
probabilities are differences of the Gaussian CDF at the bin edges (exact for
any bin width). Errors are the square roots of the diagonal of the inverse
Fisher information at the optimum. Pure numpy and scipy.special.
"""

import numpy as np

#: parameter order of the fit
PARAMETERS = ("pedestal", "pedestal_std", "gain", "spe_width", "mu")
#: a fit has converged when its estimated distance to the minimum is below this (log-likelihood)
EDM_TOLERANCE = 1e-3
#: highest number of photo-electrons in the model (Poisson tail below 1e-7 for mu <= 2)
N_MAX = 12


def charge_histograms(charges, edges):
    """Histograms of the charges of every pixel (vectorised, one ``bincount``).

    Parameters
    ----------
    charges : ndarray
        Shape ``(n_events, n_pixels)``; NaN entries are ignored.
    edges : ndarray
        Increasing bin edges, common to all pixels, shape ``(n_bins + 1,)``.

    Returns
    -------
    counts : ndarray of int64
        Shape ``(n_pixels, n_bins)``.
    n_events : ndarray of int64
        Finite charges per pixel (including those outside the edges), ``(n_pixels,)``.
    """
    charges = np.asarray(charges, dtype=float)
    edges = np.asarray(edges, dtype=float)
    n_bins = edges.size - 1
    n_pixels = charges.shape[1]
    finite = np.isfinite(charges)
    index = np.searchsorted(edges, charges, side="right") - 1
    inside = finite & (index >= 0) & (index < n_bins)
    pixel = np.broadcast_to(np.arange(n_pixels), charges.shape)
    flat = pixel[inside] * n_bins + index[inside]
    counts = np.bincount(flat, minlength=n_pixels * n_bins).reshape(n_pixels, n_bins)
    return counts.astype(np.int64), finite.sum(axis=0).astype(np.int64)


def spe_model(edges, theta, n_events, n_max=N_MAX):
    """Expected counts per bin, shape ``(n_pixels, n_bins)``.

    Parameters
    ----------
    edges : ndarray
        Bin edges ``(n_bins + 1,)``.
    theta : ndarray
        Parameters ``(n_pixels, 5)`` in the order of :data:`PARAMETERS`.
    n_events : ndarray
        Events per pixel (the normalisation).
    n_max : int
        Highest photo-electron number of the sum.
    """
    from scipy.special import gammaln, ndtr, xlogy

    ped, sigma_ped, gain, width, mu = (theta[:, k, None] for k in range(5))
    n = np.arange(n_max + 1)[None, :]
    mean = ped + n * gain  # (P, N)
    std = np.sqrt(sigma_ped**2 + n * (width * gain) ** 2)
    weight = np.exp(xlogy(n, mu) - mu - gammaln(n + 1.0))  # Poisson(n; mu)
    cdf = ndtr((edges[None, None, :] - mean[..., None]) / std[..., None])  # (P, N, B + 1)
    prob = np.einsum("pn,pnb->pb", weight, np.diff(cdf, axis=-1))
    return np.asarray(n_events, dtype=float)[:, None] * prob


def _nll(counts, model):
    from scipy.special import xlogy

    model = np.maximum(model, 1e-300)
    return np.sum(model - xlogy(counts, model), axis=-1)


def start_values(counts, edges, n_events):
    """Starting parameters from the histogram moments (pedestal = the highest bin).

    Needs the pedestal peak to be the highest one (``mu`` up to about 1.5).
    """
    centres = 0.5 * (edges[1:] + edges[:-1])
    counts = np.asarray(counts, dtype=float)
    total = np.maximum(counts.sum(axis=1), 1.0)
    ped = centres[np.argmax(counts, axis=1)]
    below = centres[None, :] < ped[:, None]
    n_below = np.maximum((counts * below).sum(axis=1), 1.0)
    sigma_ped = np.sqrt((counts * below * (centres - ped[:, None]) ** 2).sum(axis=1) / n_below)
    sigma_ped = np.maximum(sigma_ped, np.diff(edges).mean())
    fraction = n_below / np.asarray(n_events, dtype=float)
    mu = np.clip(-np.log(np.clip(2 * fraction, 1e-3, 0.999)), 0.05, 5.0)
    mean = (counts * centres).sum(axis=1) / total
    var = (counts * (centres - mean[:, None]) ** 2).sum(axis=1) / total
    gain = np.maximum((mean - ped) / mu, 2 * sigma_ped)
    width2 = (var - sigma_ped**2) / (mu * gain**2) - 1.0
    width = np.sqrt(np.clip(width2, 0.01, 1.0))
    return np.column_stack([ped, sigma_ped, gain, width, mu])


def fit_spe(counts, edges, n_events, theta0=None, iterations=60, n_max=N_MAX):
    """Fit :func:`spe_model` to the histograms of all pixels at once.

    Parameters
    ----------
    counts : ndarray
        Histograms ``(n_pixels, n_bins)`` (:func:`charge_histograms`).
    edges : ndarray
        Their common bin edges.
    n_events : ndarray
        Events per pixel.
    theta0 : ndarray, optional
        Starting parameters ``(n_pixels, 5)``; default :func:`start_values`.
    iterations : int
        Levenberg-Marquardt iterations.
    n_max : int
        Highest photo-electron number of the model.

    Returns
    -------
    dict of ndarray
        Per pixel: the :data:`PARAMETERS` and their ``*_err``, ``f_squared``
        and ``f_squared_err``, ``nll`` (negative log-likelihood), ``n_bins``
        used (non-empty or predicted), ``converged`` (last relative step below
        1e-6 and a positive-definite Fisher matrix).
    """
    counts = np.asarray(counts, dtype=float)
    edges = np.asarray(edges, dtype=float)
    n_events = np.asarray(n_events, dtype=float)
    theta = start_values(counts, edges, n_events) if theta0 is None else np.array(theta0, float)
    n_pix = theta.shape[0]
    lam = np.full(n_pix, 1e-3)
    lower = np.array([-np.inf, 1e-6, 1e-6, 1e-4, 1e-4])

    def jacobian(theta, model):
        scale = np.column_stack(
            [theta[:, 1], theta[:, 1], theta[:, 2], np.full(n_pix, 0.1), theta[:, 4]]
        )
        jac = np.empty(model.shape + (5,))
        for k in range(5):
            shifted = theta.copy()
            step = 1e-5 * scale[:, k]
            shifted[:, k] += step
            jac[..., k] = (spe_model(edges, shifted, n_events, n_max) - model) / step[:, None]
        return jac

    model = spe_model(edges, theta, n_events, n_max)
    nll = _nll(counts, model)
    rel_step = np.full(n_pix, np.inf)
    for _ in range(iterations):
        jac = jacobian(theta, model)
        weight = 1.0 / np.maximum(model, 1e-12)
        grad = np.einsum("pbk,pb->pk", jac, 1.0 - counts * weight)
        info = np.einsum("pbk,pb,pbl->pkl", jac, weight, jac)
        damped = info + lam[:, None, None] * (
            np.eye(5)[None] * np.diagonal(info, axis1=1, axis2=2)[:, :, None]
        )
        damped += 1e-12 * np.eye(5)[None]
        step = -np.linalg.solve(damped, grad[..., None])[..., 0]
        trial = np.maximum(theta + step, lower)
        trial_model = spe_model(edges, trial, n_events, n_max)
        trial_nll = _nll(counts, trial_model)
        better = np.isfinite(trial_nll) & (trial_nll <= nll)
        rel_step = np.where(
            better,
            np.max(np.abs(trial - theta) / np.maximum(np.abs(theta), 1e-9), axis=1),
            rel_step,
        )
        theta = np.where(better[:, None], trial, theta)
        model = np.where(better[:, None], trial_model, model)
        nll = np.where(better, trial_nll, nll)
        lam = np.where(better, np.maximum(lam / 3.0, 1e-9), np.minimum(lam * 5.0, 1e9))
        if np.all(rel_step < 1e-9):
            break

    jac = jacobian(theta, model)
    weight = 1.0 / np.maximum(model, 1e-12)
    info = np.einsum("pbk,pb,pbl->pkl", jac, weight, jac)
    grad = np.einsum("pbk,pb->pk", jac, 1.0 - counts * weight)
    errors = _fisher_errors(info)
    result = {name: theta[:, k] for k, name in enumerate(PARAMETERS)}
    result.update({f"{name}_err": errors[:, k] for k, name in enumerate(PARAMETERS)})
    result["f_squared"] = 1.0 + theta[:, 3] ** 2
    result["f_squared_err"] = 2.0 * theta[:, 3] * errors[:, 3]
    result["nll"] = nll
    # estimated distance to the minimum (as MINUIT's EDM), in units of the log-likelihood
    with np.errstate(invalid="ignore"):
        edm = 0.5 * np.einsum(
            "pk,pk->p", grad, np.linalg.solve(info + 1e-12 * np.eye(5), grad[..., None])[..., 0]
        )
    result["edm"] = edm
    result["converged"] = (edm < EDM_TOLERANCE) & np.all(np.isfinite(errors), axis=1)
    return result


def _fisher_errors(info):
    """Square roots of the diagonal of the inverse of each pixel's Fisher matrix.

    Batched over pixels by a symmetric eigen-decomposition, which never raises: a pixel
    whose matrix is singular or not positive definite (a dead pixel: one histogram bin)
    gets NaN errors, without spoiling those of the others (``numpy.linalg.inv`` of the
    whole stack fails as soon as one matrix is singular).
    """
    info = 0.5 * (info + np.swapaxes(info, 1, 2))
    finite = np.all(np.isfinite(info), axis=(1, 2))
    info = np.where(finite[:, None, None], info, np.eye(info.shape[1])[None])
    values, vectors = np.linalg.eigh(info)
    positive = finite & (values[:, 0] > 1e-12 * np.maximum(values[:, -1], 1e-300))
    with np.errstate(divide="ignore", invalid="ignore"):
        variance = np.einsum("pki,pi->pk", vectors**2, 1.0 / values)
        return np.where(positive[:, None], np.sqrt(variance), np.nan)
