"""Inter- and cross-calibration: weighted linear least squares in ln c.

In ln space the calibration is linear (DESIGN.md §12): the expectation of the
mean log-ratio of channel ``p`` (telescopes ``t1 < t2``) is

    E[ybar_p] = ln c_t1 - ln c_t2,

so the log throughputs follow from the channel means by weighted linear least
squares (Hofmann 2003, astro-ph/0302346, eq. 2 in ln form; Mitchell et al. 2015,
arXiv:1510.06526, sect. 3 for energies across types), up to a gauge: one
reference telescope (``ln c_ref = 0``) or the type mean (``sum ln c = 0``, the
geometric mean of the type is 1).

**Errors.** An event with k telescopes contributes to up to k(k-1)/2 channels,
whose measurements share the telescopes' fluctuations (the three ratios of a
triangle of telescopes are even exactly dependent). Treating the channels as
independent underestimates the errors (by up to 4x, DESIGN.md §12). The fitted
values are a linear map of the channel means, ``theta = M ybar`` with
``M = G (A^T W A)^-1 A^T W`` (``W = diag(1 / var ybar_p)``, ``G`` the gauge), so
their covariance is the *sandwich* ``M Sigma M^T`` with ``Sigma`` the full
covariance of the channel means. Events are independent of each other, so
``Sigma`` is exactly the sum over events of the products of the centred
per-event contributions, which the cross moments of
:mod:`.pair_statistics` hold (:func:`mean_covariance`): a cluster-robust
("by event") covariance without a bootstrap and without keeping events. The
weights stay diagonal (a generalised least squares with the estimated
``Sigma`` would be optimal in principle but is unstable, because ``Sigma`` is
nearly singular for triangles of telescopes); the naive ``(A^T W A)^-1`` is
reported too, for comparison.

``chi2 = sum_p w_p (ybar_p - A theta)_p^2`` with ``ndf = n_channels - (n_tel - 1)``
measures the consistency of the pair ratios; because of the shared events it is
not exactly chi2-distributed, but it is ~ndf for consistent data.
"""

from dataclasses import dataclass

import numpy as np

#: smallest variance of a channel mean used for its weight (noise-free data have 0)
VARIANCE_FLOOR = 1e-16
#: channels need at least this many events (one event has no variance: the anchor's NaN chi2)
MIN_EVENTS_FLOOR = 2


@dataclass(frozen=True)
class ChannelData:
    """Gathered channel statistics.

    Attributes
    ----------
    tel_1, tel_2 : ndarray of int
        Telescope ids per channel, ``tel_1 < tel_2``.
    quantity : ndarray of str
    n, sum_y, sum_y2 : ndarray
    cross_n, cross_sum_p, cross_sum_pq : scipy.sparse arrays (n_channels x n_channels)
        See :class:`~calibpipe_tasks.array.pair_statistics.PairStatistics`.
    """

    tel_1: np.ndarray
    tel_2: np.ndarray
    quantity: np.ndarray
    n: np.ndarray
    sum_y: np.ndarray
    sum_y2: np.ndarray
    cross_n: object
    cross_sum_p: object
    cross_sum_pq: object

    @property
    def mean(self):
        with np.errstate(invalid="ignore", divide="ignore"):
            return self.sum_y / self.n


def mean_covariance(data, idx):
    """Covariance of the channel means ``ybar[idx]`` from the cross moments.

    ``Sigma_pq = sum_{e in p and q} (y_ep - ybar_p)(y_eq - ybar_q) / (n_p n_q)``,
    expanded in the stored sums:
    ``S_pq - ybar_q S_p|q - ybar_p S_q|p + n_pq ybar_p ybar_q``.

    Parameters
    ----------
    data : ChannelData
    idx : ndarray of int
        Channels to use.

    Returns
    -------
    ndarray, shape (len(idx), len(idx))
    """
    idx = np.asarray(idx)
    mu = data.mean[idx]
    n = data.n[idx].astype(float)
    s_pq = data.cross_sum_pq[idx][:, idx].toarray()
    s_p = data.cross_sum_p[idx][:, idx].toarray()  # [p, q]: sum of y_p over the shared events
    n_pq = data.cross_n[idx][:, idx].toarray()
    c = s_pq - s_p * mu[None, :] - s_p.T * mu[:, None] + n_pq * np.outer(mu, mu)
    c = 0.5 * (c + c.T)
    return c / np.outer(n, n)


@dataclass(frozen=True)
class LinearFit:
    """Result of :func:`fit_differences`.

    Attributes
    ----------
    params : ndarray
        Parameter labels (telescope ids or type names), in order.
    value : ndarray
        Fitted values (ln c) in the gauge.
    cov : ndarray
        Sandwich covariance ``M Sigma M^T``.
    cov_naive : ndarray
        ``G (A^T W A)^-1 G^T`` (channels treated as independent).
    matrix : ndarray, shape (n_params, n_channels)
        ``M``: ``value = M @ ybar``.
    chi2 : float
    ndf : int
    """

    params: np.ndarray
    value: np.ndarray
    cov: np.ndarray
    cov_naive: np.ndarray
    matrix: np.ndarray
    chi2: float
    ndf: int


def design_matrix(label_1, label_2, params):
    """``A[p, k] = +1`` if ``label_1[p] == params[k]``, ``-1`` if ``label_2[p] == params[k]``."""
    params = np.asarray(params)
    pos = {v: k for k, v in enumerate(params.tolist())}
    a = np.zeros((len(label_1), len(params)))
    rows = np.arange(len(label_1))
    a[rows, [pos[v] for v in np.asarray(label_1).tolist()]] += 1.0
    a[rows, [pos[v] for v in np.asarray(label_2).tolist()]] -= 1.0
    return a


def fit_differences(label_1, label_2, ybar, sigma, params, reference=None):
    """Weighted least squares of ``ybar_p = theta[label_1] - theta[label_2]``.

    Parameters
    ----------
    label_1, label_2 : ndarray
        Parameter label of the first and second member of each channel.
    ybar : ndarray
        Channel means.
    sigma : ndarray, shape (n_channels, n_channels)
        Covariance of the channel means (:func:`mean_covariance`); its diagonal
        gives the weights, the whole of it the sandwich covariance.
    params : ndarray
        The parameters (all must be connected by the channels).
    reference : label, optional
        Gauge ``theta[reference] = 0``; default the mean gauge ``sum theta = 0``.

    Returns
    -------
    LinearFit
    """
    params = np.asarray(params)
    k = len(params)
    a = design_matrix(label_1, label_2, params)
    var = np.diag(sigma)
    if not np.all(np.isfinite(var)):
        raise ValueError("every channel needs a finite variance of its mean")
    # noise-free channels (all ratios equal) get the largest weight, not an infinite one
    w = 1.0 / np.maximum(var, VARIANCE_FLOOR)
    ref = 0 if reference is None else int(np.flatnonzero(params == reference)[0])
    keep = np.arange(k) != ref
    ar = a[:, keep]
    normal = ar.T @ (w[:, None] * ar)
    inv = np.linalg.inv(normal)
    lr = inv @ (ar.T * w[None, :])
    embed = np.zeros((k, k - 1))
    embed[keep] = np.eye(k - 1)
    gauge = np.eye(k) - (1.0 / k if reference is None else 0.0)
    m = gauge @ embed @ lr
    value = m @ ybar
    cov = m @ sigma @ m.T
    ge = gauge @ embed
    cov_naive = ge @ inv @ ge.T
    resid = ybar - a @ value
    chi2 = float(np.sum(w * resid**2))
    return LinearFit(params, value, cov, cov_naive, m, chi2, len(ybar) - (k - 1))


def connected_to(label_1, label_2, params, start):
    """The parameters connected to ``start`` by the channels (graph search)."""
    from scipy.sparse import coo_array
    from scipy.sparse.csgraph import connected_components

    params = np.asarray(params)
    pos = {v: i for i, v in enumerate(params.tolist())}
    i = np.array([pos[v] for v in np.asarray(label_1).tolist()], dtype=int)
    j = np.array([pos[v] for v in np.asarray(label_2).tolist()], dtype=int)
    graph = coo_array((np.ones(len(i)), (i, j)), shape=(len(params), len(params)))
    _, comp = connected_components(graph, directed=False)
    return params[comp == comp[pos[start]]]


@dataclass(frozen=True)
class InterCalibration:
    """Per-telescope relative throughputs, per type (type gauge).

    Attributes
    ----------
    tel_ids : ndarray of int
        All telescopes of the subarray, ascending.
    tel_type : ndarray of str
    ln_c, ln_err, ln_err_naive : ndarray
        NaN for telescopes without a result.
    status : ndarray of str
        ``ok`` or why there is no value.
    n_channels, n_measurements : ndarray of int
        Channels used in the fit with this telescope, and their events summed.
    cov : ndarray (n_tel x n_tel)
        Full covariance of ``ln_c`` (zero between types, NaN rows without result).
    type_summary : dict type -> dict
        ``reference`` (telescope id or ``"mean"``), ``chi2``, ``ndf``, ``n_channels``,
        ``n_measurements``.
    used : ndarray of int
        Indices of the channels used.
    matrix : ndarray (n_tel x len(used))
        ``ln_c = matrix @ ybar[used]`` (zero rows without result).
    dropped : list of (int, str)
        Channels left out and why.
    """

    tel_ids: np.ndarray
    tel_type: np.ndarray
    ln_c: np.ndarray
    ln_err: np.ndarray
    ln_err_naive: np.ndarray
    status: np.ndarray
    n_channels: np.ndarray
    n_measurements: np.ndarray
    cov: np.ndarray
    type_summary: dict
    used: np.ndarray
    matrix: np.ndarray
    dropped: list


def _usable(data, candidates, min_events):
    if min_events < MIN_EVENTS_FLOOR:
        raise ValueError(f"min_events must be at least {MIN_EVENTS_FLOOR}")
    keep, dropped = [], []
    for c in candidates.tolist():
        if data.n[c] < min_events:
            dropped.append((c, f"{data.n[c]} events < {min_events}"))
        else:
            keep.append(c)
    return np.array(keep, dtype=int), dropped


def inter_calibrate(data, tel_ids, tel_types, quantity="intensity", references=None, min_events=10):
    """Relative throughputs within each telescope type.

    Parameters
    ----------
    data : ChannelData
    tel_ids, tel_types : array
        The telescopes and their types (any order).
    quantity : str
        Which same-type channels to use (``intensity`` or ``energy``).
    references : dict type -> tel_id, optional
        Reference telescope of a type (gauge ``c_ref = 1``); types without one
        use the type mean (geometric mean of the type's ``c`` = 1).
    min_events : int
        Channels with fewer selected events are left out (listed in ``dropped``).

    Returns
    -------
    InterCalibration

    Raises
    ------
    ValueError
        A reference telescope has no usable channel.
    """
    references = dict(references or {})
    order = np.argsort(np.asarray(tel_ids))
    tel_ids = np.asarray(tel_ids)[order]
    tel_types = np.asarray(tel_types, dtype=str)[order]
    type_of = dict(zip(tel_ids.tolist(), tel_types.tolist(), strict=True))
    n_tel = len(tel_ids)
    pos = {t: i for i, t in enumerate(tel_ids.tolist())}
    t1 = np.asarray(data.tel_1)
    t2 = np.asarray(data.tel_2)
    same = np.array(
        [type_of.get(a) == type_of.get(b) for a, b in zip(t1.tolist(), t2.tolist(), strict=True)],
        dtype=bool,
    )
    cand = np.flatnonzero((np.asarray(data.quantity) == quantity) & same)
    used, dropped = _usable(data, cand, min_events)

    ln_c = np.full(n_tel, np.nan)
    ln_err = np.full(n_tel, np.nan)
    ln_naive = np.full(n_tel, np.nan)
    status = np.full(n_tel, "no channel with enough events", dtype=object)
    n_ch = np.zeros(n_tel, np.int64)
    n_meas = np.zeros(n_tel, np.int64)
    cov = np.full((n_tel, n_tel), np.nan)
    matrix = np.zeros((n_tel, len(used)))
    summary = {}
    for name in sorted(set(tel_types.tolist())):
        in_type = np.flatnonzero(
            np.array([type_of[a] == name for a in t1[used].tolist()], dtype=bool)
        )
        ref = references.get(name)
        members = tel_ids[tel_types == name]
        if ref is not None and ref not in t1[used][in_type] and ref not in t2[used][in_type]:
            raise ValueError(
                f"reference telescope {ref} ({name}) has no channel with "
                f">= {min_events} selected events"
            )
        if in_type.size == 0:
            continue
        involved = np.unique(np.concatenate([t1[used][in_type], t2[used][in_type]]))
        if ref is None:
            # the component with the most telescopes (ties: the lowest id)
            best = None
            for start in involved.tolist():
                comp = connected_to(t1[used][in_type], t2[used][in_type], involved, start)
                if best is None or len(comp) > len(best):
                    best = comp
            group = best
        else:
            group = connected_to(t1[used][in_type], t2[used][in_type], involved, ref)
        for t in np.setdiff1d(involved, group).tolist():
            status[pos[t]] = "not connected to the rest of its type"
        sub = in_type[np.isin(t1[used][in_type], group)]
        ch = used[sub]
        sigma = mean_covariance(data, ch)
        fit = fit_differences(t1[ch], t2[ch], data.mean[ch], sigma, group, reference=ref)
        idx = np.array([pos[t] for t in group.tolist()])
        ln_c[idx] = fit.value
        ln_err[idx] = np.sqrt(np.clip(np.diag(fit.cov), 0, None))
        ln_naive[idx] = np.sqrt(np.clip(np.diag(fit.cov_naive), 0, None))
        status[idx] = "ok"
        cov[np.ix_(idx, idx)] = fit.cov
        matrix[np.ix_(idx, sub)] = fit.matrix
        for t in group.tolist():
            mine = (t1[ch] == t) | (t2[ch] == t)
            n_ch[pos[t]] = int(mine.sum())
            n_meas[pos[t]] = int(data.n[ch][mine].sum())
        summary[name] = {
            "reference": "mean" if ref is None else int(ref),
            "chi2": fit.chi2,
            "ndf": int(fit.ndf),
            "n_channels": int(ch.size),
            "n_measurements": int(data.n[ch].sum()),
            "n_telescopes": int(len(group)),
        }
        del members
    ok = status == "ok"
    cov[np.ix_(ok, ok)] = np.where(np.isnan(cov[np.ix_(ok, ok)]), 0.0, cov[np.ix_(ok, ok)])
    return InterCalibration(
        tel_ids,
        tel_types,
        ln_c,
        ln_err,
        ln_naive,
        status.astype(str),
        n_ch,
        n_meas,
        cov,
        summary,
        used,
        matrix,
        dropped,
    )


@dataclass(frozen=True)
class CrossCalibration:
    """Per-type scale factors relative to a reference type, and per-telescope totals.

    Attributes
    ----------
    types : ndarray of str
    ln_scale, ln_scale_err : ndarray
        ``ln`` of the type factor (reference type 0); NaN if not connected.
    type_status : ndarray of str
    tel_ids, tel_type : ndarray
    ln_c, ln_err : ndarray
        Per telescope ``ln c_inter + ln scale_type``: throughput relative to the
        geometric mean of the reference type (the inter-calibration gauge of the
        reference type), with the full error (inter and cross, shared events).
    status : ndarray of str
    cov : ndarray (n_tel x n_tel)
    scale_cov : ndarray (n_types x n_types)
    chi2, ndf : float, int
    n_channels, n_measurements : int
    n_channels_type, n_measurements_type : ndarray of int
    dropped : list of (int, str)
    """

    types: np.ndarray
    ln_scale: np.ndarray
    ln_scale_err: np.ndarray
    type_status: np.ndarray
    tel_ids: np.ndarray
    tel_type: np.ndarray
    ln_c: np.ndarray
    ln_err: np.ndarray
    status: np.ndarray
    cov: np.ndarray
    scale_cov: np.ndarray
    chi2: float
    ndf: int
    n_channels: int
    n_measurements: int
    n_channels_type: np.ndarray
    n_measurements_type: np.ndarray
    dropped: list


def cross_calibrate(data, inter, reference_type, min_events=10):
    """Type scale factors from the cross-type energy channels, using ``inter`` once.

    Each cross-type channel mean is corrected by the inter-calibration of its two
    telescopes, ``ybar'_p = ybar_p - (ln c_t1 - ln c_t2)``, and
    ``ybar'_p = ln s_T1 - ln s_T2`` is fitted with ``ln s_ref = 0``. The per-telescope
    result is ``ln c_t + ln s_T``: each energy is divided by its coefficients once
    (no renormalisation to a mean coefficient, which biased the anchor by +11-13 %).
    The covariance propagates both stages through the channel means of both
    (intensity and energy channels, with their shared events).

    Parameters
    ----------
    data : ChannelData
    inter : InterCalibration
        From the same ``data``.
    reference_type : str
    min_events : int

    Returns
    -------
    CrossCalibration

    Raises
    ------
    ValueError
        The reference type has no telescope with an inter-calibration, or no
        cross-type channel reaches it.
    """
    tel_ids, tel_types = inter.tel_ids, inter.tel_type
    pos = {t: i for i, t in enumerate(tel_ids.tolist())}
    type_of = dict(zip(tel_ids.tolist(), tel_types.tolist(), strict=True))
    types = np.array(sorted(set(tel_types.tolist())))
    if reference_type not in types.tolist():
        raise ValueError(f"reference type {reference_type} has no telescope")
    ok_tel = inter.status == "ok"
    if not np.any(ok_tel & (tel_types == reference_type)):
        raise ValueError(f"reference type {reference_type} has no inter-calibrated telescope")
    t1, t2 = np.asarray(data.tel_1), np.asarray(data.tel_2)
    cross = np.array(
        [
            q == "energy"
            and a in pos
            and b in pos
            and type_of[a] != type_of[b]
            and ok_tel[pos[a]]
            and ok_tel[pos[b]]
            for q, a, b in zip(
                np.asarray(data.quantity).tolist(), t1.tolist(), t2.tolist(), strict=True
            )
        ],
        dtype=bool,
    )
    used, dropped = _usable(data, np.flatnonzero(cross), min_events)
    if used.size == 0:
        raise ValueError(f"no cross-type channel with >= {min_events} selected events")
    lab1 = np.array([type_of[a] for a in t1[used].tolist()])
    lab2 = np.array([type_of[b] for b in t2[used].tolist()])
    involved = np.unique(np.concatenate([lab1, lab2]))
    if reference_type not in involved.tolist():
        raise ValueError(f"no cross-type channel reaches the reference type {reference_type}")
    group = connected_to(lab1, lab2, involved, reference_type)
    sel = np.isin(lab1, group) & np.isin(lab2, group)
    used, lab1, lab2 = used[sel], lab1[sel], lab2[sel]

    # all channel means the result depends on: inter channels first, then cross channels
    all_ch = np.concatenate([inter.used, used])
    sigma_all = mean_covariance(data, all_ch)
    ni = len(inter.used)
    d = np.array(
        [[pos[a], pos[b]] for a, b in zip(t1[used].tolist(), t2[used].tolist(), strict=True)]
    )
    inter_diff = inter.ln_c[d[:, 0]] - inter.ln_c[d[:, 1]]
    ycorr = data.mean[used] - inter_diff
    # covariance of the corrected means: J_c Sigma_all J_c^T with ycorr = [-D M_I, 1] u
    dm = inter.matrix[d[:, 0]] - inter.matrix[d[:, 1]]
    jc = np.concatenate([-dm, np.eye(len(used))], axis=1)
    sigma_c = jc @ sigma_all @ jc.T
    # weights from the cross channels alone (diagonal), sandwich with the full covariance
    sigma_x = sigma_all[ni:, ni:]
    fit = fit_differences(lab1, lab2, ycorr, sigma_x, group, reference=reference_type)
    scale_cov_fit = fit.matrix @ sigma_c @ fit.matrix.T

    k = {name: i for i, name in enumerate(group.tolist())}
    ln_scale = np.full(len(types), np.nan)
    ln_scale_err = np.full(len(types), np.nan)
    type_status = np.full(len(types), "no cross-type channel to the reference type", dtype=object)
    scale_cov = np.full((len(types), len(types)), np.nan)
    tpos = {name: i for i, name in enumerate(types.tolist())}
    gi = np.array([tpos[name] for name in group.tolist()])
    ln_scale[gi] = fit.value
    ln_scale_err[gi] = np.sqrt(np.clip(np.diag(scale_cov_fit), 0, None))
    type_status[gi] = "ok"
    scale_cov[np.ix_(gi, gi)] = scale_cov_fit

    # per telescope: ln c + ln s_T = (M_I + E Mx (-D M_I)) u_I + E Mx u_X
    e = np.zeros((len(tel_ids), len(group)))
    for t in tel_ids.tolist():
        if ok_tel[pos[t]] and type_of[t] in k:
            e[pos[t], k[type_of[t]]] = 1.0
    mx = fit.matrix @ jc  # ln s = mx @ u (over all_ch)
    m_inter = np.concatenate([inter.matrix, np.zeros((len(tel_ids), len(used)))], axis=1)
    j = m_inter + e @ mx
    cov = j @ sigma_all @ j.T
    good = ok_tel & (e.sum(axis=1) > 0)
    ln_c = np.where(good, inter.ln_c + e @ np.nan_to_num(fit.value), np.nan)
    ln_err = np.where(good, np.sqrt(np.clip(np.diag(cov), 0, None)), np.nan)
    status = np.where(good, "ok", np.where(ok_tel, "type not cross-calibrated", inter.status))
    cov = np.where(np.outer(good, good), cov, np.nan)
    n_ch_type = np.zeros(len(types), np.int64)
    n_meas_type = np.zeros(len(types), np.int64)
    for name, i in tpos.items():
        mine = (lab1 == name) | (lab2 == name)
        n_ch_type[i] = int(mine.sum())
        n_meas_type[i] = int(data.n[used][mine].sum())
    return CrossCalibration(
        types,
        ln_scale,
        ln_scale_err,
        type_status.astype(str),
        tel_ids,
        tel_types,
        ln_c,
        ln_err,
        status.astype(str),
        cov,
        scale_cov,
        fit.chi2,
        int(fit.ndf),
        int(used.size),
        int(data.n[used].sum()),
        n_ch_type,
        n_meas_type,
        dropped,
    )
