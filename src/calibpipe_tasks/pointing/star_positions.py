"""Measured star positions in stacked sky-pedestal variance images.

A star raises the waveform variance of the pixels it shines on by an amount
proportional to its photon rate (the photo-electron shot noise; Foffano et al.,
ICRC2021, arXiv:2108.00699, §2; CTA-LST, PoS(ICRC2023)566). Per stack of
consecutive events, each star's image is fitted, in a window of the pixels nearest
its predicted position, with the model

    v_i = b + A · g_i(x0, y0),    g_i = ∫_pixel i PSF(x - x0, y - y0) dx dy,

a local baseline ``b`` (the night-sky variance, so the star is weighted by its
*excess* variance, not by the raw one), an amplitude ``A`` and a Gaussian PSF
integrated exactly over the hexagonal pixel. The fit is a weighted Gauss-Newton
least-squares fit (weights 1/σ_i², σ_i the standard error of the stacked pixel
value from the pixel's scatter over the chunk, plus the chunk's pixel-to-pixel
baseline spread in quadrature; optionally a relative PSF-template error
``model_error``, 0 by default), started from an iteratively re-centred,
baseline-subtracted centroid, vectorised over all (star, stack) pairs at once;
window pixels lit by a known fainter catalogue neighbour are left out. The
position covariance is the (x0, y0) block of the inverse Hessian (J^T W J)^-1,
scaled by χ²/ndf of the star's fit where that exceeds 1; the tests check it by
pulls against a known truth (tests/pointing/test_pointing_pure.py,
test_pointing_accuracy.py).

Flags (one code per measurement, the first that applies): outside the camera,
on a broken pixel, blended with a neighbour, too faint (amplitude below
``min_snr`` standard errors, or the fit ran away), fit failed.
"""

import numpy as np

FLAG_OK = 0
FLAG_OUTSIDE = 1
FLAG_BROKEN_PIXEL = 2
FLAG_BLENDED = 3
FLAG_TOO_FAINT = 4
FLAG_FIT_FAILED = 5
FLAG_REASONS = {
    FLAG_OK: "ok",
    FLAG_OUTSIDE: "outside the camera",
    FLAG_BROKEN_PIXEL: "on a broken pixel",
    FLAG_BLENDED: "blended with a neighbour star",
    FLAG_TOO_FAINT: "too faint",
    FLAG_FIT_FAILED: "fit failed",
}


def pixel_pitch(pix_x, pix_y):
    """Distance between neighbouring pixel centres (median nearest-neighbour distance)."""
    from scipy.spatial import cKDTree

    points = np.column_stack([pix_x, pix_y])
    dist, _ = cKDTree(points).query(points, k=2)
    return float(np.median(dist[:, 1]))


def pixel_subsamples(pix_x, pix_y, pitch, n_per_pitch=8):
    """Sub-sample offsets covering one pixel's Voronoi cell (its hexagon, oriented as the camera).

    Points of a square grid of step ``pitch / n_per_pitch`` around a central pixel
    are kept where that pixel is the nearest centre.

    Returns
    -------
    ndarray, shape (n_sub, 2)
        Offsets from the pixel centre.
    """
    from scipy.spatial import cKDTree

    points = np.column_stack([pix_x, pix_y])
    tree = cKDTree(points)
    centre = int(np.argmin(np.hypot(pix_x, pix_y)))
    step = pitch / n_per_pitch
    grid = (np.arange(-n_per_pitch, n_per_pitch + 1) + 0.5) * step
    gx, gy = np.meshgrid(grid, grid)
    offsets = np.column_stack([gx.ravel(), gy.ravel()])
    _, nearest = tree.query(points[centre] + offsets)
    return offsets[nearest == centre]


def broken_pixels(images, hot_factor=50.0):
    """Pixels unusable in a chunk: non-finite, zero variance, zero scatter, or hot.

    Parameters
    ----------
    images : ndarray, shape (n_events, n_pixels)
    hot_factor : float
        A pixel whose median exceeds ``hot_factor`` times the camera median is hot.
    """
    finite = np.all(np.isfinite(images), axis=0)
    safe = np.where(np.isfinite(images), images, 0.0)
    median = np.median(safe, axis=0)
    spread = np.std(safe, axis=0)
    camera = np.median(median[finite]) if np.any(finite) else 0.0
    return ~finite | (median <= 0) | (spread <= 0) | (median > hot_factor * camera)


def baseline_spread(images, usable):
    """Pixel-to-pixel spread of the night-sky variance that stays the same over the chunk.

    The lower-side standard deviation across the usable pixels of the chunk's mean
    image (median minus its 15.87 % quantile: one sigma of a normal distribution),
    less (in quadrature) the part due to the events' noise. Stars only add to the
    pixels they light, so they widen the upper side only: the symmetric 1.4826 × MAD
    came out 4-15 % too large on the synthetic fields of the tests (5 % spread), the
    lower side within 3 %. It is added to every pixel's error in the star fit: a fixed
    baseline pattern is not averaged away by stacking and would otherwise make the
    position errors too small.
    """
    mean = images.mean(axis=0)[usable]
    if mean.size < 3:
        return 0.0
    spread = float(np.median(mean) - np.quantile(mean, 0.158655))
    noise = np.median(np.std(images[:, usable], axis=0, ddof=1)) / np.sqrt(images.shape[0])
    return float(np.sqrt(max(spread**2 - noise**2, 0.0)))


def stack_images(images, stack_size):
    """Mean images of consecutive stacks of ``stack_size`` events and their standard errors.

    The standard error of each pixel is its standard deviation over all events of
    the chunk (which holds the chunk's sky, so the stacks share one noise model)
    divided by the square root of the stack's number of events; the last stack
    may be shorter.

    Returns
    -------
    mean : ndarray, shape (n_stacks, n_pixels)
    error : ndarray, shape (n_stacks, n_pixels)
    stack_of_event : ndarray of int, shape (n_events,)
    """
    n_events = images.shape[0]
    stack_size = n_events if stack_size is None else stack_size
    stack_of_event = np.arange(n_events) // stack_size
    n_stacks = stack_of_event[-1] + 1
    counts = np.bincount(stack_of_event, minlength=n_stacks).astype(float)
    sums = np.zeros((n_stacks, images.shape[1]))
    np.add.at(sums, stack_of_event, images)
    mean = sums / counts[:, None]
    std = np.std(images, axis=0, ddof=1) if n_events > 1 else np.full(images.shape[1], np.nan)
    return mean, std[None, :] / np.sqrt(counts)[:, None], stack_of_event


def hexagon_orientation(pix_x, pix_y, pitch):
    """Orientation of a hexagonal camera's pixels (their Voronoi cells).

    Parameters
    ----------
    pix_x, pix_y : ndarray, shape (n_pixels,)
        Pixel centres.
    pitch : float
        Distance between neighbouring centres (:func:`pixel_pitch`).

    Returns
    -------
    float or None
        The angle ``theta`` [rad] that rotates the canonical flat-topped hexagon
        (vertices at 0°, 60°, …, neighbours at 30°, 90°, …) onto the camera's
        pixels; None when the central pixel does not have six neighbours at one
        pitch (not a hexagonal grid).
    """
    d = np.column_stack([pix_x, pix_y])
    centre = int(np.argmin(np.hypot(pix_x, pix_y)))
    rel = d - d[centre]
    dist = np.hypot(rel[:, 0], rel[:, 1])
    near = (dist > 0.5 * pitch) & (dist < 1.05 * pitch)
    if np.count_nonzero(near) != 6:
        return None
    phi = np.arctan2(rel[near, 1], rel[near, 0])
    six = np.angle(np.mean(np.exp(6j * phi))) / 6.0  # neighbour direction modulo 60°
    return float((six - np.pi / 2) % (np.pi / 3))


#: Gauss-Legendre nodes and weights on [0, 1] for the integration across a hexagon's slabs
_GL_NODES, _GL_WEIGHTS = np.polynomial.legendre.leggauss(12)
_GL_NODES = 0.5 * (_GL_NODES + 1.0)
_GL_WEIGHTS = 0.5 * _GL_WEIGHTS


def hexagon_psf_fraction(window_xy, centre, sigma, pitch, theta):
    """Fraction of a Gaussian PSF falling on hexagonal pixels, and its gradient (exact).

    The integral of the normalised 2-D Gaussian over the hexagon (inradius
    ``pitch / 2``) is done along the hexagon's axis ``u`` in three slabs in which
    the hexagon's upper and lower edges are straight lines; across the slab (``v``)
    the integral is analytic (normal CDF), along ``u`` a 12-point Gauss-Legendre
    quadrature per slab of an analytic integrand: relative accuracy better than
    1e-7 for ``sigma`` >= 0.2 pitch (tests/pointing/test_pointing_pure.py checks it
    against an independent polar-coordinate integration), where a sub-sampled
    pixel (a staircase of its outline) is wrong by up to ~1 % of a bright star's
    pixel value and biases its χ².

    Parameters
    ----------
    window_xy : ndarray, shape (n, k, 2)
        Pixel centres.
    centre : ndarray, shape (n, 2)
        PSF centres.
    sigma : float
        Gaussian standard deviation (same unit as the positions).
    pitch : float
        Distance between neighbouring pixel centres.
    theta : float
        :func:`hexagon_orientation`.

    Returns
    -------
    fraction : ndarray, shape (n, k)
    gradient : ndarray, shape (n, k, 2)
        d fraction / d centre.
    """
    from scipy.special import ndtr

    c, s = np.cos(theta), np.sin(theta)
    rel = centre[:, None, :] - window_xy  # star relative to the pixel centre
    su = c * rel[..., 0] + s * rel[..., 1]  # in the hexagon's own axes
    sv = -s * rel[..., 0] + c * rel[..., 1]
    a = 0.5 * pitch
    r = pitch / np.sqrt(3.0)
    # slabs along u: [-R, -R/2], [-R/2, R/2], [R/2, R]; half height h(u)
    lo = np.array([-r, -0.5 * r, 0.5 * r])
    width = np.array([0.5 * r, r, 0.5 * r])
    u = (lo[:, None] + width[:, None] * _GL_NODES[None, :]).ravel()  # (36,)
    w = (width[:, None] * _GL_WEIGHTS[None, :]).ravel()
    h = np.minimum(a, np.sqrt(3.0) * (r - np.abs(u)))
    du = (u - su[..., None]) / sigma  # (n, k, 36)
    gauss_u = np.exp(-0.5 * du * du) / (np.sqrt(2 * np.pi) * sigma)
    top = (h - sv[..., None]) / sigma
    bottom = (-h - sv[..., None]) / sigma
    band = ndtr(top) - ndtr(bottom)
    fraction = np.einsum("nkq,q->nk", gauss_u * band, w)
    d_su = np.einsum("nkq,q->nk", gauss_u * band * du / sigma, w)
    phi_top = np.exp(-0.5 * top * top)
    phi_bottom = np.exp(-0.5 * bottom * bottom)
    d_sv = np.einsum("nkq,q->nk", gauss_u * (phi_bottom - phi_top), w) / (
        np.sqrt(2 * np.pi) * sigma
    )
    # d/d centre = R(theta) (d/du, d/dv)
    gradient = np.stack([c * d_su - s * d_sv, s * d_su + c * d_sv], axis=-1)
    return fraction, gradient


def _psf_fraction(window_xy, offsets, centre, sigma, area):
    """Fraction of a Gaussian PSF in each pixel by sub-sampling (non-hexagonal cameras)."""
    d = window_xy[:, :, None, :] + offsets[None, None, :, :] - centre[:, None, None, :]
    e = np.exp(-0.5 * np.sum(d * d, axis=-1) / sigma**2) / (2 * np.pi * sigma**2)
    g = e.mean(axis=2) * area
    grad = (e[..., None] * d).mean(axis=2) * area / sigma**2
    return g, grad


def fit_star_images(
    stack_mean,
    stack_error,
    usable,
    pix_x,
    pix_y,
    predicted_x,
    predicted_y,
    psf_sigma,
    pitch,
    offsets,
    hexagon_theta=None,
    window_pixels=19,
    n_iterations=12,
    min_snr=5.0,
    max_shift_pitch=1.5,
    model_error=0.0,
    scale_by_chi2=True,
    magnitude=None,
    neighbours=None,
    neighbour_sigma=0.5,
    expected_flux=True,
    flux_reference=None,
):
    """Fit star images in stacked variance images (vectorised over all stars and stacks).

    Parameters
    ----------
    stack_mean, stack_error : ndarray, shape (n_stacks, n_pixels)
        Stacked variance images and the standard errors of their pixels.
    usable : ndarray of bool, shape (n_pixels,)
        False for broken pixels (weight 0).
    pix_x, pix_y : ndarray, shape (n_pixels,)
        Pixel centres in the TelescopeFrame (fov_lon, fov_lat) [rad].
    predicted_x, predicted_y : ndarray, shape (n_stars, n_stacks)
        Predicted star positions [rad] (start of the fit, centre of the window).
    psf_sigma : float
        Gaussian PSF standard deviation [rad].
    pitch : float
        Pixel pitch [rad].
    offsets : ndarray, shape (n_sub, 2)
        :func:`pixel_subsamples` (used only for cameras that are not hexagonal).
    hexagon_theta : float or None
        :func:`hexagon_orientation`: the pixels are hexagons and the PSF is
        integrated over them exactly (:func:`hexagon_psf_fraction`); None: by
        sub-sampling with ``offsets``.
    window_pixels : int
        Pixels fitted per star (the nearest to its predicted position).
    n_iterations : int
        Gauss-Newton iterations.
    min_snr : float
        A fitted amplitude below ``min_snr`` standard errors is "too faint".
    max_shift_pitch : float
        A fitted position further than this many pitches from the prediction is
        "too faint" (the fit ran off to noise or a neighbour).
    model_error : float
        Relative precision of the PSF template: ``(model_error · A · g_i)²`` is added
        to each pixel's variance (default 0: a template that does not describe the
        star shows in its χ²/ndf, which ``scale_by_chi2`` turns into larger errors; a
        fixed term on top makes the errors of bright stars too large where the
        template is right).
    scale_by_chi2 : bool
        Multiply each star's covariance by its χ²/ndf where that exceeds 1.
    magnitude : ndarray, shape (n_stars,), optional
        Catalogue magnitude of each fitted star (with ``neighbours``).
    neighbours : tuple (lon, lat, magnitude, self_index), optional
        Predicted positions (n_neighbours, n_stacks) [rad] and magnitudes of the other
        catalogue stars near the field, and for each fitted star its own row in them
        (-1: none). A window pixel where a neighbour's expected excess, scaled from the
        star's start amplitude by ``10^(-0.4 Δm)`` and shifted as the star's start
        centroid is from its prediction, exceeds ``neighbour_sigma`` times the pixel's
        error is left out of the fit (a fainter neighbour that is not "blended" would
        otherwise bias the baseline and amplitude and inflate χ²); when that removes
        the pixel nearest the star's centroid the star is flagged "blended".
    neighbour_sigma : float
        Threshold of the neighbour mask, in pixel errors.
    expected_flux : bool
        With ``magnitude``: a star whose fitted amplitude exceeds the one its magnitude
        and the chunk's flux scale predict (:func:`_expected_amplitude`) has its position
        errors computed at the predicted amplitude (they only grow; returned as
        ``expected_amplitude``).
    flux_reference : ndarray of bool, shape (n_stars, n_stacks), optional
        Fits allowed into the flux scale (default all; the tracker leaves out stars
        flagged outside the camera, on a broken pixel or blended).

    Returns
    -------
    dict of ndarray, each shape (n_stars, n_stacks)
        ``x``, ``y`` [rad], ``cov_xx``, ``cov_xy``, ``cov_yy`` [rad²], ``amplitude``,
        ``amplitude_error``, ``baseline``, ``chi2``, ``ndf``, ``n_masked`` (window
        pixels left out for neighbours), ``flag`` (``FLAG_OK``, ``FLAG_BLENDED``,
        ``FLAG_TOO_FAINT`` or ``FLAG_FIT_FAILED``).
    """
    n_stars, n_stacks = predicted_x.shape
    shape = (n_stars, n_stacks)
    px = np.asarray(predicted_x, float).ravel()
    py = np.asarray(predicted_y, float).ravel()
    stack = np.tile(np.arange(n_stacks), n_stars)
    n_fits = px.size
    empty = {
        k: np.full(shape, np.nan)
        for k in (
            "x",
            "y",
            "cov_xx",
            "cov_xy",
            "cov_yy",
            "amplitude",
            "amplitude_error",
            "baseline",
            "chi2",
        )
    }
    empty["ndf"] = np.zeros(shape, dtype=np.int64)
    empty["n_masked"] = np.zeros(shape, dtype=np.int64)
    empty["expected_amplitude"] = np.full(shape, np.nan)
    empty["flag"] = np.full(shape, FLAG_FIT_FAILED, dtype=np.int16)
    if n_fits == 0:
        return empty
    k = min(window_pixels, pix_x.size)
    dist2 = (pix_x[None, :] - px[:, None]) ** 2 + (pix_y[None, :] - py[:, None]) ** 2
    window = np.argpartition(dist2, k - 1, axis=1)[:, :k]
    wxy = np.stack([pix_x[window], pix_y[window]], axis=-1)
    values = stack_mean[stack[:, None], window]
    errors = stack_error[stack[:, None], window]
    ok_pix = usable[window] & np.isfinite(values) & np.isfinite(errors) & (errors > 0)
    area = np.sqrt(3) / 2 * pitch**2
    variance = np.where(ok_pix, errors, 1.0) ** 2

    def weights(amplitude, fraction):
        total = variance + (model_error * amplitude[:, None] * fraction) ** 2
        return np.where(ok_pix, 1.0 / total, 0.0)

    weight = np.where(ok_pix, 1.0 / variance, 0.0)
    values = np.where(ok_pix, values, 0.0)

    def template(centre):
        if hexagon_theta is None:
            return _psf_fraction(wxy, offsets, centre, psf_sigma, area)
        return hexagon_psf_fraction(wxy, centre, psf_sigma, pitch, hexagon_theta)

    # start: baseline = median of the usable window pixels, re-centred centroid of the excess
    masked = np.where(ok_pix, values, np.nan)
    with np.errstate(all="ignore"):
        base = np.nanmedian(masked, axis=1)
    base = np.where(np.isfinite(base), base, 0.0)
    centre = np.column_stack([px, py])
    for _ in range(3):
        near = np.sum((wxy - centre[:, None, :]) ** 2, axis=-1) < (1.5 * pitch) ** 2
        excess = np.where(ok_pix & near, np.clip(values - base[:, None], 0, None), 0.0)
        total = excess.sum(axis=1)
        has = total > 0
        new = np.einsum("fk,fkc->fc", excess, wxy) / np.where(has, total, 1.0)[:, None]
        centre = np.where(has[:, None], new, centre)
    amp = np.clip(np.where(ok_pix, values - base[:, None], 0).sum(axis=1), 1e-12, None)
    masked_pix = np.zeros_like(ok_pix)
    core_masked = np.zeros(n_fits, dtype=bool)
    if neighbours is not None and magnitude is not None:
        masked_pix = _neighbour_mask(
            wxy,
            centre - np.column_stack([px, py]),
            stack,
            amp,
            errors,
            magnitude,
            n_stacks,
            neighbours,
            psf_sigma,
            area,
            neighbour_sigma,
        )
        masked_pix &= ok_pix
        nearest = np.argmin(np.sum((wxy - centre[:, None, :]) ** 2, axis=-1), axis=1)
        core_masked = masked_pix[np.arange(n_fits), nearest]
        ok_pix = ok_pix & ~masked_pix
        variance = np.where(ok_pix, errors, 1.0) ** 2
        amp = np.clip(np.where(ok_pix, values - base[:, None], 0).sum(axis=1), 1e-12, None)
    params = np.column_stack([centre, amp, base])

    max_step = 0.5 * pitch

    def chi2_at(p, g):
        return np.einsum("fk,fk->f", weights(p[:, 2], g), (values - p[:, 3:4] - p[:, 2:3] * g) ** 2)

    # Levenberg-Marquardt: the damping is relative to each parameter's own curvature
    # (scale-free: positions are in rad, amplitude and baseline in variance units; a damping
    # from the trace, which the position terms dominate by ~1e12, froze the amplitude and
    # baseline at their start), a step is taken only where it lowers χ² (else the damping
    # grows tenfold), so a fit cannot run away on a star that is not there
    g, grad = template(params[:, :2])
    chi2_now = chi2_at(params, g)
    lam = np.full(n_fits, 1e-3)
    for _ in range(n_iterations):
        weight = weights(params[:, 2], g)
        resid = values - (params[:, 3:4] + params[:, 2:3] * g)
        jac = np.concatenate(
            [params[:, 2, None, None] * grad, g[..., None], np.ones_like(g)[..., None]], axis=-1
        )
        hess = np.einsum("fk,fki,fkj->fij", weight, jac, jac)
        rhs = np.einsum("fk,fki,fk->fi", weight, jac, resid)
        hess_d = hess + lam[:, None, None] * hess * np.eye(4)
        try:
            step = np.linalg.solve(hess_d, rhs[..., None])[..., 0]
        except np.linalg.LinAlgError:
            step = np.zeros_like(params)
            for i in range(n_fits):  # rare: singular systems one by one
                try:
                    step[i] = np.linalg.solve(hess_d[i], rhs[i])
                except np.linalg.LinAlgError:
                    step[i] = 0.0
        shift = np.hypot(step[:, 0], step[:, 1])
        scale = np.where(shift > max_step, max_step / np.where(shift > 0, shift, 1.0), 1.0)
        step[:, :2] *= scale[:, None]
        trial = params + step
        g_trial, grad_trial = template(trial[:, :2])
        chi2_trial = chi2_at(trial, g_trial)
        # near the minimum χ² changes in its last bits: accept those steps (a decision on
        # last-bit noise would make the result depend on the CPU's floating-point kernels)
        better = np.isfinite(chi2_trial) & (chi2_trial <= chi2_now * (1 + 1e-7) + 1e-12)
        params = np.where(better[:, None], trial, params)
        g = np.where(better[:, None], g_trial, g)
        grad = np.where(better[:, None, None], grad_trial, grad)
        chi2_now = np.where(better, chi2_trial, chi2_now)
        lam = np.where(better, np.maximum(lam * 0.1, 1e-9), lam * 10.0)

    weight = weights(params[:, 2], g)
    resid = values - (params[:, 3:4] + params[:, 2:3] * g)
    jac = np.concatenate(
        [params[:, 2, None, None] * grad, g[..., None], np.ones_like(g)[..., None]], axis=-1
    )
    hess = np.einsum("fk,fki,fkj->fij", weight, jac, jac)
    chi2 = np.einsum("fk,fk->f", weight, resid**2)
    ndf = ok_pix.sum(axis=1) - 4
    with np.errstate(all="ignore"):
        det_ok = np.isfinite(hess).all(axis=(1, 2)) & (np.abs(np.linalg.det(hess)) > 0)
        cov = np.full((n_fits, 4, 4), np.nan)
        cov[det_ok] = np.linalg.inv(hess[det_ok])
        amp_err = np.sqrt(cov[:, 2, 2])
        snr = params[:, 2] / amp_err
        moved = np.hypot(params[:, 0] - px, params[:, 1] - py)
    # a model that does not describe the star fully (chi2/ndf > 1) widens the errors
    inflate = np.clip(chi2 / np.where(ndf > 0, ndf, 1), 1.0, None)
    if not scale_by_chi2:
        inflate = np.ones_like(inflate)
    cov = cov * inflate[:, None, None]
    amp_err = np.sqrt(cov[:, 2, 2])
    snr = params[:, 2] / amp_err
    good = det_ok & np.all(np.isfinite(params), axis=1) & (ndf > 0)
    good &= np.isfinite(cov[:, 0, 0]) & (cov[:, 0, 0] > 0) & (cov[:, 1, 1] > 0)
    faint = good & ((snr < min_snr) | (moved > max_shift_pitch * pitch))
    flag = np.where(good, np.where(faint, FLAG_TOO_FAINT, FLAG_OK), FLAG_FIT_FAILED)
    flag = np.where(core_masked, FLAG_BLENDED, flag)
    expected = np.full(n_fits, np.nan)
    if magnitude is not None and expected_flux:
        star = np.repeat(np.arange(n_stars), n_stacks)
        usable_flag = (
            flag
            if flux_reference is None
            else np.where(np.ravel(flux_reference), flag, FLAG_FIT_FAILED)
        )
        expected = _expected_amplitude(
            params[:, 2], amp_err, usable_flag, np.asarray(magnitude, float)[star]
        )
        with np.errstate(invalid="ignore"):
            widen = np.where(
                (expected > 0) & (expected < params[:, 2]), params[:, 2] / expected, 1.0
            )
        factor = np.array([1.0, 1.0, 0.0, 0.0])[None, :] * (widen[:, None] - 1.0) + 1.0
        cov = cov * factor[:, :, None] * factor[:, None, :]
    out = {
        "x": params[:, 0],
        "y": params[:, 1],
        "cov_xx": cov[:, 0, 0],
        "cov_xy": cov[:, 0, 1],
        "cov_yy": cov[:, 1, 1],
        "amplitude": params[:, 2],
        "amplitude_error": amp_err,
        "baseline": params[:, 3],
        "chi2": chi2,
        "ndf": ndf.astype(np.int64),
        "n_masked": masked_pix.sum(axis=1).astype(np.int64),
        "expected_amplitude": expected,
        "flag": flag.astype(np.int16),
    }
    return {name: value.reshape(shape) for name, value in out.items()}


def _expected_amplitude(amplitude, amplitude_error, flag, magnitude):
    """Amplitude of each fit predicted from its catalogue magnitude and the chunk's flux scale.

    Near the detection cut, the stars that pass are those whose amplitude noise came out
    high (on the LST-like fields of the tests the median fitted amplitude of the V > 7
    stars that pass is 1.18 times the true one, of V < 6 stars 1.01): the curvature
    error of the position, ∝ 1 / amplitude, is then too small by that factor (per-star
    pulls 1.3-1.45). The flux scale ``A · 10^(0.4 m)`` is the weighted median (weights
    (10^(-0.4 m) / σ_A)²: the precise stars count most) over the stars fitted whether
    or not they pass the significance cut (flags ok and too faint), so the cut does not
    bias it. NaN where fewer than two such fits exist.
    """
    with np.errstate(all="ignore"):
        ref = (flag == FLAG_OK) | (flag == FLAG_TOO_FAINT)
        ref &= np.isfinite(amplitude) & np.isfinite(amplitude_error) & (amplitude_error > 0)
        ref &= np.isfinite(magnitude)
    if np.count_nonzero(ref) < 2:
        return np.full(amplitude.shape, np.nan)
    flux = 10 ** (-0.4 * magnitude[ref])
    ratio = amplitude[ref] / flux
    weight = (flux / amplitude_error[ref]) ** 2
    order = np.argsort(ratio, kind="stable")
    cumulative = np.cumsum(weight[order])
    scale = ratio[order][np.searchsorted(cumulative, 0.5 * cumulative[-1])]
    return scale * 10 ** (-0.4 * magnitude)


def _neighbour_mask(
    wxy, shift, stack, amp, errors, magnitude, n_stacks, neighbours, sigma, area, threshold
):
    """Window pixels where a known neighbour star's expected excess exceeds ``threshold`` errors.

    The neighbour's peak density is approximated by the Gaussian at the pixel centre
    times the pixel area (enough to decide which pixels it lights); its amplitude is
    the star's start amplitude times the catalogue flux ratio.
    """
    n_lon, n_lat, n_mag, self_index = (np.asarray(v) for v in neighbours)
    n_fits = wxy.shape[0]
    mask = np.zeros(wxy.shape[:2], dtype=bool)
    if n_lon.size == 0:
        return mask
    star = np.repeat(np.arange(np.asarray(magnitude).size), n_stacks)
    nx = n_lon[:, stack].T + shift[:, :1]  # (n_fits, n_neighbours)
    ny = n_lat[:, stack].T + shift[:, 1:]
    ratio = 10 ** (-0.4 * (n_mag[None, :] - np.asarray(magnitude, float)[star, None]))
    own = self_index[star]
    ratio[np.arange(n_fits)[own >= 0], own[own >= 0]] = 0.0
    # only neighbours that can reach the window (6 sigma beyond its farthest pixel)
    reach = np.sqrt(np.max(np.sum((wxy - wxy.mean(axis=1, keepdims=True)) ** 2, -1), 1))
    centre = wxy.mean(axis=1)
    near = np.hypot(nx - centre[:, :1], ny - centre[:, 1:]) < (reach + 6 * sigma)[:, None]
    fits, neigh = np.nonzero(near & (ratio > 0))
    if fits.size == 0:
        return mask
    d2 = (wxy[fits, :, 0] - nx[fits, neigh, None]) ** 2 + (
        wxy[fits, :, 1] - ny[fits, neigh, None]
    ) ** 2
    excess = (amp[fits] * ratio[fits, neigh] * area / (2 * np.pi * sigma**2))[:, None] * np.exp(
        -0.5 * d2 / sigma**2
    )
    total = np.zeros(wxy.shape[:2])
    np.add.at(total, fits, excess)
    with np.errstate(invalid="ignore"):
        return total > threshold * errors


def geometric_flags(predicted_x, predicted_y, pix_x, pix_y, usable, pitch):
    """Flags that follow from where a star is predicted: outside the camera, on a broken pixel.

    A star is outside when its prediction is further than one pitch from every
    pixel or less than one pitch inside the camera's outermost pixels; it is on a
    broken pixel when a broken pixel's centre lies within one pitch of it.

    Returns
    -------
    ndarray of int16, shape of ``predicted_x``
    """
    from scipy.spatial import cKDTree

    points = np.column_stack([pix_x, pix_y])
    tree = cKDTree(points)
    xy = np.column_stack([np.ravel(predicted_x), np.ravel(predicted_y)])
    nearest_dist, _ = tree.query(xy)
    radius = np.hypot(pix_x, pix_y).max()
    outside = (nearest_dist > pitch) | (np.hypot(xy[:, 0], xy[:, 1]) > radius - pitch)
    flags = np.where(outside, FLAG_OUTSIDE, FLAG_OK)
    if np.any(~usable):
        broken_tree = cKDTree(points[~usable])
        dist, _ = broken_tree.query(xy)
        flags = np.where((flags == FLAG_OK) & (dist < pitch), FLAG_BROKEN_PIXEL, flags)
    return flags.reshape(np.shape(predicted_x)).astype(np.int16)
