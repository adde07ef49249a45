"""The pointing correction of a chunk: weighted least squares through AltAz -> TelescopeFrame.

Model (see :mod:`.telescope_frame`): a star with apparent AltAz ``(alt_s, az_s)``
appears in the camera at ``T(alt_s, az_s; alt_p + δalt, az_p + δaz, ρ)`` where
``(alt_p, az_p)`` is the reported pointing of its stack and ``ρ`` an optional
camera rotation. An azimuth error rotates the field by ≈ δaz·sin(alt) about the
camera centre, so this is not a 2-D translation (which is wrong by 16-41″ at
1.5° from the centre at alt 74-83°; DESIGN.md §11). The parameters minimise

    χ² = Σ_j r_jᵀ C_j⁻¹ r_j,   r_j = measured_j − T_j(δalt, δaz, ρ),

with C_j the 2×2 covariance of each measured position (weights 1/σ², not σ),
by Gauss-Newton with a numerical Jacobian; their covariance is (Jᵀ W J)⁻¹ at the
minimum. Points with a χ² contribution above ``clip²`` are dropped and the fit
repeated (at most ``max_clip_rounds`` times).

Validity: never a crash, never valid without stars: zero stars, too few stars or
points, a singular fit, or χ²/ndf above ``max_reduced_chi2`` give
``is_valid = False`` and the reason.
"""

import numpy as np

from .telescope_frame import telescope_frame_offsets, wrap_longitude

ARCSEC = np.deg2rad(1 / 3600)


def _model(params, star_alt, star_az, pointing_alt, pointing_az, fit_rotation):
    rotation = params[2] if fit_rotation else 0.0
    return telescope_frame_offsets(
        star_alt, star_az, pointing_alt + params[0], pointing_az + params[1], rotation
    )


def _whitened_residuals(params, data, fit_rotation):
    lon, lat = _model(params, *data["model_args"], fit_rotation)
    dlon = wrap_longitude(data["lon"] - lon)
    dlat = data["lat"] - lat
    # whiten with the Cholesky factor of the inverse covariance: r_w = L^T r
    a, b, c = data["w_ll"], data["w_lb"], data["w_bb"]
    l11 = np.sqrt(a)
    l21 = b / l11
    l22 = np.sqrt(np.clip(c - l21**2, 0, None))
    return np.concatenate([l11 * dlon + l21 * dlat, l22 * dlat])


def fit_pointing_correction(
    star_alt,
    star_az,
    pointing_alt,
    pointing_az,
    lon,
    lat,
    cov_ll,
    cov_lb,
    cov_bb,
    star_id,
    fit_rotation=False,
    min_stars=3,
    min_points=None,
    max_reduced_chi2=5.0,
    clip=5.0,
    max_clip_rounds=3,
    n_iterations=8,
):
    """Fit the pointing correction of one chunk.

    Parameters
    ----------
    star_alt, star_az : ndarray, shape (n,)
        Apparent AltAz of each measured star at its stack's time [rad].
    pointing_alt, pointing_az : ndarray, shape (n,)
        Reported pointing at that time [rad].
    lon, lat : ndarray, shape (n,)
        Measured TelescopeFrame positions [rad].
    cov_ll, cov_lb, cov_bb : ndarray, shape (n,)
        Their covariance [rad²].
    star_id : ndarray, shape (n,)
        Catalogue id of each point's star (to count stars).
    fit_rotation : bool
        Also fit a camera rotation.
    min_stars : int
        Fewer distinct stars: not valid.
    min_points : int, optional
        Fewer points: not valid (default: number of parameters + 1).
    max_reduced_chi2 : float
        Larger χ²/ndf: not valid ("bad chi2").
    clip : float
        Points whose χ² contribution exceeds ``clip**2`` are dropped.

    Returns
    -------
    dict
        ``delta_alt``, ``delta_az``, ``rotation`` [rad] (NaN when not fitted or
        failed), ``covariance`` (n_par × n_par, rad²), ``chi2``, ``ndf``,
        ``n_stars``, ``n_points``, ``used`` (bool mask of the points),
        ``is_valid``, ``reason``.
    """
    n_par = 3 if fit_rotation else 2
    min_points = n_par + 1 if min_points is None else min_points
    arrays = [
        np.asarray(v, float)
        for v in (star_alt, star_az, pointing_alt, pointing_az, lon, lat, cov_ll, cov_lb, cov_bb)
    ]
    star_id = np.asarray(star_id)
    n = arrays[0].size
    result = {
        "delta_alt": np.nan,
        "delta_az": np.nan,
        "rotation": np.nan,
        "covariance": np.full((n_par, n_par), np.nan),
        "chi2": np.nan,
        "ndf": 0,
        "n_stars": 0,
        "n_points": 0,
        "used": np.zeros(n, dtype=bool),
        "is_valid": False,
        "reason": "",
    }
    finite = np.all([np.isfinite(v) for v in arrays], axis=0) if n else np.zeros(0, bool)
    det = arrays[6] * arrays[8] - arrays[7] ** 2
    used = finite & (arrays[6] > 0) & (det > 0) if n else finite

    def counts(mask):
        return int(np.unique(star_id[mask]).size), int(np.count_nonzero(mask))

    params = np.zeros(n_par)
    for _ in range(max_clip_rounds + 1):
        n_stars, n_points = counts(used)
        result.update(n_stars=n_stars, n_points=n_points, used=used.copy())
        if n_stars == 0:
            result["reason"] = "no stars measured"
            return result
        if n_stars < min_stars:
            result["reason"] = f"too few stars ({n_stars} < {min_stars})"
            return result
        if n_points < min_points:
            result["reason"] = f"too few points ({n_points} < {min_points})"
            return result
        sel = [v[used] for v in arrays]
        det_u = sel[6] * sel[8] - sel[7] ** 2
        data = {
            "model_args": sel[:4],
            "lon": sel[4],
            "lat": sel[5],
            "w_ll": sel[8] / det_u,
            "w_lb": -sel[7] / det_u,
            "w_bb": sel[6] / det_u,
        }
        params, cov, ok = _gauss_newton(params, data, fit_rotation, n_iterations)
        if not ok:
            result["reason"] = "singular fit (the stars do not constrain the correction)"
            return result
        r = _whitened_residuals(params, data, fit_rotation)
        m = used.sum()
        point_chi2 = r[:m] ** 2 + r[m:] ** 2
        bad = point_chi2 > clip**2
        if not np.any(bad):
            break
        idx = np.flatnonzero(used)
        used = used.copy()
        used[idx[bad]] = False
    chi2 = float(np.sum(r**2))
    ndf = 2 * int(used.sum()) - n_par
    n_stars, n_points = counts(used)
    result.update(
        delta_alt=float(params[0]),
        delta_az=float(params[1]),
        rotation=float(params[2]) if fit_rotation else np.nan,
        covariance=cov,
        chi2=chi2,
        ndf=ndf,
        n_stars=n_stars,
        n_points=n_points,
        used=used,
    )
    if n_stars < min_stars or n_points < min_points or ndf <= 0:
        result["reason"] = f"too few stars or points after clipping ({n_stars}, {n_points})"
    elif chi2 / ndf > max_reduced_chi2:
        result["reason"] = f"bad chi2 (chi2/ndf = {chi2 / ndf:.2f} > {max_reduced_chi2:g})"
    else:
        result["is_valid"] = True
        result["reason"] = "ok"
    return result


def _gauss_newton(params, data, fit_rotation, n_iterations, step=ARCSEC):
    """Minimise the whitened residuals; return parameters, covariance and success."""
    params = np.array(params, float)
    cov = np.full((params.size, params.size), np.nan)
    for _ in range(n_iterations):
        r0 = _whitened_residuals(params, data, fit_rotation)
        jac = np.empty((r0.size, params.size))
        for i in range(params.size):  # loop over 2-3 parameters, not over data
            dp = np.zeros_like(params)
            dp[i] = step
            jac[:, i] = (
                _whitened_residuals(params + dp, data, fit_rotation)
                - _whitened_residuals(params - dp, data, fit_rotation)
            ) / (2 * step)
        hess = jac.T @ jac
        if not np.all(np.isfinite(hess)) or np.linalg.cond(hess) > 1e14:
            return params, cov, False
        delta = -np.linalg.solve(hess, jac.T @ r0)
        params = params + delta
        if np.all(np.abs(delta) < 1e-4 * ARCSEC):
            break
    cov = np.linalg.inv(hess)
    return params, cov, bool(np.all(np.isfinite(params)))
