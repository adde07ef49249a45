"""Shower-event (array) throughputs compared with muon-ring throughputs, per telescope.

The array inter-calibration gives each telescope's throughput relative to the
others of its type (Hofmann 2003, astro-ph/0302346: the mean ln amplitude ratio
of equidistant pairs); the cross-calibration relative to a reference type
(Mitchell et al. 2015, arXiv:1510.06526). Muon rings give an absolute optical
efficiency per telescope (Vacanti et al. 1994, Astropart. Phys. 2, 1; CTAO
UC-120-2.2). The two agree if their **ratios** agree, so both are put in the
same gauge before comparing them:

    ln x'_i = ln x_i - mean_{j in R_g(i)} ln x_j                         (1)

where ``R_g`` is the set of telescopes of the gauge group of ``i`` (its type for
the inter-calibration; for the cross-calibration the reference type, the whole
array being one group) that have a valid value in **both** products. Equation
(1) is a linear map ``G`` applied to both vectors, so the covariances follow as
``G C G^T`` (the array covariance as given, the muon one diagonal: rings of
different telescopes are independent). Per telescope

    ln r_i = ln a'_i - ln m'_i,   var(ln r_i) = [G (C_a + C_m) G^T]_ii,
    pull_i = ln r_i / sqrt(var(ln r_i))                                   (2)

and per group ``chi2 = r^T (G (C_a + C_m) G^T)^+ r`` with ``ndf`` = the rank of
that matrix (the number of telescopes of the group with both values, minus one
for the gauge).

Muon throughput chunks of one telescope within the period are pooled by their
ring counts: ``m = sum n_k m_k / sum n_k`` with
``var(m) = sum n_k^2 sem_k^2 / (sum n_k)^2`` (the mean of all rings of the period
when the chunks' ring spreads are alike; weights by ring count, not by 1/sem^2,
so that a chunk with a downward-fluctuating spread does not pull the mean).
"""

from dataclasses import dataclass

import numpy as np


def pool_chunks(tel_index, n_tel, mean, sem, n_used):
    """Pool the muon throughput chunks of each telescope, weighted by ring count.

    Parameters
    ----------
    tel_index : ndarray of int
        Telescope index (0 .. n_tel-1) of each chunk (only chunks of the period).
    n_tel : int
    mean, sem : ndarray of float
        Chunk throughput (mean ring efficiency) and its standard error.
    n_used : ndarray of int
        Rings of the chunk used in ``mean``.

    Returns
    -------
    throughput, throughput_err : ndarray of float, shape (n_tel,)
        NaN where a telescope has no usable chunk.
    n_rings, n_chunks : ndarray of int, shape (n_tel,)
    """
    tel_index = np.asarray(tel_index, dtype=np.intp)
    mean = np.asarray(mean, dtype=float)
    sem = np.asarray(sem, dtype=float)
    n = np.asarray(n_used, dtype=float)
    ok = np.isfinite(mean) & (mean > 0) & np.isfinite(sem) & (sem > 0) & (n > 0)
    idx = tel_index[ok]
    w = n[ok]
    sw = np.bincount(idx, w, minlength=n_tel)
    swm = np.bincount(idx, w * mean[ok], minlength=n_tel)
    swv = np.bincount(idx, (w * sem[ok]) ** 2, minlength=n_tel)
    with np.errstate(invalid="ignore", divide="ignore"):
        throughput = np.where(sw > 0, swm / sw, np.nan)
        err = np.where(sw > 0, np.sqrt(swv) / sw, np.nan)
    n_rings = sw.astype(np.int64)
    n_chunks = np.bincount(idx, minlength=n_tel).astype(np.int64)
    return throughput, err, n_rings, n_chunks


def gauge_matrix(group, gauge_member, usable):
    """The linear map ``G`` of equation (1).

    Parameters
    ----------
    group : ndarray
        Gauge group label of each telescope.
    gauge_member : ndarray of bool
        Telescopes that may define their group's gauge (all for the
        inter-calibration; those of the reference type for the cross-calibration).
    usable : ndarray of bool
        Telescopes with a valid value in both products.

    Returns
    -------
    G : ndarray, shape (n, n)
        Row ``i`` is ``e_i - mean_{j in R_g(i)} e_j`` for a usable telescope whose
        group has a gauge set ``R_g``; other rows are NaN.
    n_gauge : ndarray of int
        Size of ``R_g(i)`` per telescope.
    """
    group = np.asarray(group)
    usable = np.asarray(usable, dtype=bool)
    member = np.asarray(gauge_member, dtype=bool) & usable
    n = group.size
    labels, inverse = np.unique(group, return_inverse=True)
    in_r = np.zeros((labels.size, n))
    in_r[inverse[member], np.flatnonzero(member)] = 1.0
    size = in_r.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        avg = in_r / size[:, None]
    g = np.eye(n) - avg[inverse]
    g[~usable | (size[inverse] == 0)] = np.nan
    return g, size[inverse].astype(np.int64)


@dataclass
class Comparison:
    """Result of :func:`compare` (arrays per telescope, dict per group)."""

    ln_array: np.ndarray  #: ln a' (array throughput in the common gauge)
    ln_array_err: np.ndarray
    ln_muon: np.ndarray  #: ln m' (muon throughput in the common gauge)
    ln_muon_err: np.ndarray
    ln_ratio: np.ndarray
    ln_ratio_err: np.ndarray
    pull: np.ndarray
    n_gauge: np.ndarray
    groups: dict  #: group -> chi2, ndf, n_telescopes, muon_scale (geometric mean of m)


def compare(ln_array, cov_array, muon, muon_err, group, gauge_member, usable):
    """Ratio and pull of array vs muon throughput in the common gauge, equations (1)-(2).

    Parameters
    ----------
    ln_array : ndarray, shape (n,)
        ln of the array (inter- or cross-calibration) coefficient.
    cov_array : ndarray, shape (n, n)
        Covariance of ``ln_array`` (diagonal if only errors are known).
    muon, muon_err : ndarray, shape (n,)
        Muon throughput and its standard error (absolute).
    group, gauge_member, usable : ndarray
        As in :func:`gauge_matrix`.

    Returns
    -------
    Comparison
    """
    usable = np.asarray(usable, dtype=bool)
    ln_a = np.where(usable, ln_array, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        ln_m = np.where(usable, np.log(muon), 0.0)
        var_m = np.where(usable, (np.asarray(muon_err) / np.asarray(muon)) ** 2, 0.0)
    cov_a = np.where(usable[:, None] & usable[None, :], cov_array, 0.0)
    g, n_gauge = gauge_matrix(group, gauge_member, usable)
    valid = np.all(np.isfinite(g), axis=1)
    gz = np.where(valid[:, None], g, 0.0)
    a = gz @ ln_a
    m = gz @ ln_m
    v_a = gz @ cov_a @ gz.T
    v_m = (gz * var_m) @ gz.T
    v = v_a + v_m
    r = a - m
    with np.errstate(invalid="ignore", divide="ignore"):
        err = np.sqrt(np.diag(v))
        pull = r / err
    nan = np.where(valid, 1.0, np.nan)
    groups = {}
    group = np.asarray(group)
    for label in np.unique(group[valid]):
        sel = valid & (group == label)
        vg = v[np.ix_(sel, sel)]
        scale = max(np.abs(vg).max(), np.finfo(float).tiny)
        rank = int(np.linalg.matrix_rank(vg, tol=1e-10 * scale))
        chi2 = float(r[sel] @ np.linalg.pinv(vg, rcond=1e-10, hermitian=True) @ r[sel])
        gm = usable & (group == label) & np.asarray(gauge_member, dtype=bool)
        groups[str(label)] = {
            "chi2": chi2,
            "ndf": rank,
            "n_telescopes": int(sel.sum()),
            "muon_scale": float(np.exp(np.mean(ln_m[gm]))),
        }
    return Comparison(
        ln_array=a * nan,
        ln_array_err=np.sqrt(np.diag(v_a)) * nan,
        ln_muon=m * nan,
        ln_muon_err=np.sqrt(np.diag(v_m)) * nan,
        ln_ratio=r * nan,
        ln_ratio_err=err * nan,
        pull=np.where(valid & (err > 0), pull, np.nan),
        n_gauge=n_gauge,
        groups=groups,
    )
