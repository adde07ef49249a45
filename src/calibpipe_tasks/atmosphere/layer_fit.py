"""CORSIKA's five-layer parameterisation of the atmospheric thickness.

CORSIKA (Heck et al. 1998, FZKA 6019, section 3.2; after Linsley) describes the
thickness (mass overburden) X(h) in five layers:

* layers 1-4: X(h) = a_i + b_i exp(-h / c_i);
* layer 5:    X(h) = a_5 - b_5 h / c_5  (with c_5 = 10⁹ cm = 10⁴ km by convention).

Boundaries default to those of CORSIKA's US standard atmosphere (0, 4, 10, 40,
100 km). Each layer is fitted to the tabulated thickness by least squares in
relative residuals, from the ground up, and joins the layer below without a jump
(as CORSIKA's published parameterisations do): layer 1 has a, b free, each higher
layer passes through the lower layer's X at its lower boundary, leaving b (and c)
free. For a fixed c the best a, b are linear, and c is found by a bounded
one-dimensional golden-section search in ln c (variable projection; a dozen lines
here instead of ``scipy.optimize``, whose import alone costs more than the whole
model). CORSIKA refits the table
at run time, so these parameters are informational (DESIGN.md §8).
"""

import numpy as np

#: CORSIKA US standard atmosphere layer boundaries [km]
DEFAULT_BOUNDARIES_KM = (0.0, 4.0, 10.0, 40.0, 100.0)
#: c_5 of the linear top layer [km] (10⁹ cm)
C5_KM = 1.0e4


def _linear_ab(h, x, c):
    """Best a, b of a + b exp(-h/c) in relative residuals, and the sum of squares."""
    design = np.stack([1 / x, np.exp(-h / c) / x], axis=1)
    coef, *_ = np.linalg.lstsq(design, np.ones_like(x), rcond=None)
    residual = design @ coef - 1
    return coef, float(residual @ residual)


def _linear_b_through(h, x, shape, x_join, shape_join):
    """Best b of X = x_join + b (shape - shape_join) in relative residuals, and the sum of
    squares (the layer passes through ``x_join`` where its shape function is ``shape_join``)."""
    u = (shape - shape_join) / x
    r0 = x_join / x - 1
    b = -float(u @ r0) / float(u @ u)
    residual = r0 + b * u
    return b, float(residual @ residual)


def golden_section_minimum(func, lower, upper, tolerance=1e-10):
    """Abscissa of the minimum of a unimodal ``func`` on [lower, upper] (golden-section search)."""
    ratio = (np.sqrt(5.0) - 1.0) / 2.0
    a, b = lower, upper
    c, d = b - ratio * (b - a), a + ratio * (b - a)
    fc, fd = func(c), func(d)
    while b - a > tolerance:
        if fc < fd:
            b, d, fd = d, c, fc
            c = b - ratio * (b - a)
            fc = func(c)
        else:
            a, c, fc = c, d, fd
            d = a + ratio * (b - a)
            fd = func(d)
    return 0.5 * (a + b)


def fit_layers(altitude_km, thickness, boundaries_km=DEFAULT_BOUNDARIES_KM):
    """Fit CORSIKA's five-layer thickness model.

    Parameters
    ----------
    altitude_km : ndarray
        Increasing altitudes [km].
    thickness : ndarray
        Thickness [g/cm²] at those altitudes.
    boundaries_km : sequence of 5 floats
        Lower boundary of each layer [km].

    Returns
    -------
    a, b, c : ndarray, shape (5,)
        Parameters ([g/cm²], [g/cm²], [km]).
    max_relative_residual : float
        max |model / X - 1| over the levels below the fifth boundary.
    max_absolute_residual : float
        max |model - X| [g/cm²] over all levels.
    """
    h = np.asarray(altitude_km, dtype=float)
    x = np.asarray(thickness, dtype=float)
    bounds = np.asarray(boundaries_km, dtype=float)
    if bounds.size != 5 or np.any(np.diff(bounds) <= 0):
        raise ValueError("five increasing layer boundaries are needed")
    a, b, c = np.zeros(5), np.zeros(5), np.zeros(5)
    for i in range(4):
        sel = (h >= bounds[i] - 1e-9) & (h <= bounds[i + 1] + 1e-9)
        if sel.sum() < 3:
            raise ValueError(f"layer {i + 1} has fewer than 3 levels")
        hs, xs = h[sel], x[sel]
        if i == 0:

            def sum_of_squares(log_c, hs=hs, xs=xs):
                return _linear_ab(hs, xs, np.exp(log_c))[1]
        else:
            # continuous at the lower boundary: X_i(h_i) = X_{i-1}(h_i)
            x_join = a[i - 1] + b[i - 1] * np.exp(-bounds[i] / c[i - 1])

            def sum_of_squares(log_c, hs=hs, xs=xs, x_join=x_join, h_join=bounds[i]):
                cc = np.exp(log_c)
                return _linear_b_through(hs, xs, np.exp(-hs / cc), x_join, np.exp(-h_join / cc))[1]

        c[i] = np.exp(golden_section_minimum(sum_of_squares, np.log(0.3), np.log(100.0)))
        if i == 0:
            (a[i], b[i]), _ = _linear_ab(hs, xs, c[i])
        else:
            b[i], _ = _linear_b_through(
                hs, xs, np.exp(-hs / c[i]), x_join, np.exp(-bounds[i] / c[i])
            )
            a[i] = x_join - b[i] * np.exp(-bounds[i] / c[i])
    # layer 5, linear, through layer 4's X at its lower boundary
    x_join = a[3] + b[3] * np.exp(-bounds[4] / c[3])
    top = h > bounds[4] + 1e-9
    if top.any():
        b[4], _ = _linear_b_through(h[top], x[top], -h[top] / C5_KM, x_join, -bounds[4] / C5_KM)
    a[4] = x_join + b[4] * bounds[4] / C5_KM
    c[4] = C5_KM
    model = evaluate(h, bounds, a, b, c)
    lower = h < bounds[4]
    max_rel = float(np.max(np.abs(model[lower] / x[lower] - 1)))
    max_abs = float(np.max(np.abs(model - x)))
    return a, b, c, max_rel, max_abs


def evaluate(altitude_km, boundaries_km, a, b, c):
    """X(h) of the five-layer model [g/cm²]."""
    h = np.asarray(altitude_km, dtype=float)
    layer = np.clip(np.searchsorted(boundaries_km, h, side="right") - 1, 0, 4)
    exp_part = a[layer] + b[layer] * np.exp(-h / c[layer])
    return np.where(layer == 4, a[4] - b[4] * h / c[4], exp_part)
