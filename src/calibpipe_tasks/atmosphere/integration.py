"""Integration over altitude of quantities that fall off exponentially.

Between two nodes z_i < z_{i+1} a positive f is taken as exponential in z
(linear in ln f), whose integral is exact:
∫ f dz = (z_{i+1} - z_i) (f_i - f_{i+1}) / ln(f_i / f_{i+1})
(the usual scheme for hydrostatic columns, e.g. the US Standard Atmosphere
1976, eq. 33b, and CORSIKA's table interpolation in log density). Where the two
values are (nearly) equal or not positive, the trapezoid rule is used.
"""

import numpy as np


def segment_integrals(z, f):
    """Integrals of ``f`` over each interval [z_i, z_{i+1}] (last axis of ``f``)."""
    z = np.asarray(z, dtype=float)
    f = np.asarray(f, dtype=float)
    dz = np.diff(z)
    f0, f1 = f[..., :-1], f[..., 1:]
    trapezoid = 0.5 * (f0 + f1) * dz
    positive = (f0 > 0) & (f1 > 0)
    ratio = np.where(positive, f0 / np.where(positive, f1, 1.0), 1.0)
    log_ratio = np.log(ratio)
    use_exp = positive & (np.abs(log_ratio) > 1e-8)
    safe_log = np.where(use_exp, log_ratio, 1.0)
    return np.where(use_exp, dz * (f0 - f1) / safe_log, trapezoid)


def cumulative_exponential_integral(z, f):
    """∫_{z_0}^{z_k} f dz for every node k (0 at the first node), along the last axis."""
    seg = segment_integrals(z, f)
    zeros = np.zeros(seg.shape[:-1] + (1,))
    return np.concatenate([zeros, np.cumsum(seg, axis=-1)], axis=-1)


def integral_from_top(z, f, above_top=0.0):
    """∫_{z_k}^{∞} f dz for every node k, given the integral ``above_top`` above the last node."""
    seg = segment_integrals(z, f)
    tail = np.cumsum(seg[..., ::-1], axis=-1)[..., ::-1]
    zeros = np.zeros(seg.shape[:-1] + (1,))
    return np.concatenate([tail, zeros], axis=-1) + above_top
