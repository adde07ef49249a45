"""Per-channel sufficient statistics in ln space, accumulated over chunks of events.

For every channel (a telescope pair and a quantity, :mod:`.pairs`) and every
event in which both telescopes have an image, the event is *selected* if

* both telescope measurements are valid (finite, positive; energy ``is_valid``);
* the impact distances are similar: ``|d1 - d2| / (d1 + d2) < equidistance_max``
  (Hofmann 2003, astro-ph/0302346, sect. 2: equal distance means equal expected
  amplitude);
* the **pair-symmetric** size cut ``sqrt(x1 * x2) > x_min`` holds (and
  ``< x_max``). A cut on each telescope's own amplitude selects its upward
  fluctuations near the threshold and shrinks the measured throughput
  differences (DESIGN.md §12); a cut on the geometric mean treats both
  telescopes alike. In ln space it is a cut on ``ln x1 + ln x2``, which for
  log-normal fluctuations of equal width is independent of ``y = ln x1 - ln x2``;
* the event passes the event-level cuts (stereo quality, gammaness).

Per channel the statistics are ``n``, ``sum y``, ``sum y^2``, a histogram of
``y`` (for a robust location), the time range and the observation ids. Events
are shared between channels (an event with k telescopes gives up to
k(k-1)/2 measurements, all correlated), so the *cross moments* over the events
common to two channels ``p, q`` are kept as well: ``n_pq``, ``sum y_p``,
``sum y_q`` and ``sum y_p y_q`` over the shared events (the sparse matrices
``I^T I``, ``Z^T I`` and ``Z^T Z`` of the event x channel matrices of
indicators ``I`` and values ``Z``). They are sums, so chunks and files add, and
they give the exact covariance of the channel means
(:func:`calibpipe_tasks.array.fit.mean_covariance`).
"""

from dataclasses import dataclass, field

import numpy as np

from .pairs import QUANTITIES


@dataclass(frozen=True)
class PairSelection:
    """The per-channel selection.

    Attributes
    ----------
    equidistance_max : float or ndarray (one per channel)
        Maximum of ``|d1 - d2| / (d1 + d2)``.
    ln_min, ln_max : ndarray of float, one per channel
        ``2 ln x_min`` and ``2 ln x_max`` of the cut on ``ln x1 + ln x2``
        (use :func:`channel_size_cuts`).
    max_impact_m : float or ndarray (one per channel)
        Both impact distances below this [m].
    """

    equidistance_max: float
    ln_min: np.ndarray
    ln_max: np.ndarray
    max_impact_m: float = np.inf


def channel_size_cuts(
    channels,
    tel_type_of,
    min_intensity,
    min_energy,
    max_intensity=np.inf,
    max_energy=np.inf,
    type_min_intensity=None,
):
    """``(2 ln x_min, 2 ln x_max)`` per channel for :class:`PairSelection`.

    Parameters
    ----------
    channels : Channels
    tel_type_of : dict int -> str
        Telescope type of each telescope id.
    min_intensity, max_intensity : float
        Range of ``sqrt(A1 A2)`` for intensity channels [p.e.].
    min_energy, max_energy : float
        Range of ``sqrt(E1 E2)`` for energy channels [TeV].
    type_min_intensity : dict str -> float, optional
        ``min_intensity`` per telescope type (overrides the common value).
    """
    type_min_intensity = type_min_intensity or {}
    is_int = channels.quantity == QUANTITIES[0]
    types = np.array([tel_type_of[int(t)] for t in channels.tel_1], dtype=str)
    low = np.where(is_int, min_intensity, min_energy).astype(float)
    for name, value in type_min_intensity.items():
        low[is_int & (types == name)] = value
    high = np.where(is_int, max_intensity, max_energy).astype(float)
    with np.errstate(divide="ignore"):
        return 2 * np.log(low), 2 * np.log(high)


@dataclass
class PairStatistics:
    """Running sums per channel (see the module docstring).

    Attributes
    ----------
    n_candidates : ndarray of int
        Events in which both telescopes of the channel have an image.
    n, sum_y, sum_y2 : ndarray
        Selected events, sum of ``y`` and of ``y^2``.
    hist : ndarray of int, shape (n_channels, n_bins)
        Histogram of ``y`` over ``hist_edges`` (values outside go to the edge bins).
    time_min, time_max : ndarray of float
        Range of the event times (MJD TAI) of the selected events.
    obs_ids : dict int -> ndarray of bool
        Per observation id, which channels have selected events from it.
    cross_n, cross_sum_p, cross_sum_pq : scipy.sparse matrices (n_channels x n_channels)
        ``I^T I``, ``Z^T I`` and ``Z^T Z``: shared events, sum of ``y_p`` over the
        events shared with ``q``, and sum of ``y_p y_q``.
    """

    n_channels: int
    hist_edges: np.ndarray
    n_candidates: np.ndarray = None
    n: np.ndarray = None
    sum_y: np.ndarray = None
    sum_y2: np.ndarray = None
    hist: np.ndarray = None
    time_min: np.ndarray = None
    time_max: np.ndarray = None
    obs_ids: dict = field(default_factory=dict)
    cross_n: object = None
    cross_sum_p: object = None
    cross_sum_pq: object = None
    n_events: int = 0
    n_tel_events: int = 0

    def __post_init__(self):
        from scipy import sparse

        p = self.n_channels
        nb = len(self.hist_edges) - 1
        if self.n is None:
            self.n_candidates = np.zeros(p, np.int64)
            self.n = np.zeros(p, np.int64)
            self.sum_y = np.zeros(p)
            self.sum_y2 = np.zeros(p)
            self.hist = np.zeros((p, nb), np.int64)
            self.time_min = np.full(p, np.inf)
            self.time_max = np.full(p, -np.inf)
            self.cross_n = sparse.csr_array((p, p), dtype=np.float64)
            self.cross_sum_p = sparse.csr_array((p, p), dtype=np.float64)
            self.cross_sum_pq = sparse.csr_array((p, p), dtype=np.float64)


def default_hist_edges(half_width=2.0, n_bins=200):
    """Histogram edges of ``y = ln r``: ``n_bins`` equal bins on ``[-half_width, half_width]``."""
    return np.linspace(-half_width, half_width, n_bins + 1)


def _pairs_within_events(event_index):
    """All index pairs ``(a, b)``, ``a < b``, of rows with the same event (rows sorted by event)."""
    m = event_index.size
    if m == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    boundary = np.flatnonzero(np.diff(event_index)) + 1
    starts = np.concatenate([[0], boundary])
    sizes = np.diff(np.concatenate([starts, [m]]))
    size_of_row = np.repeat(sizes, sizes)
    rank = np.arange(m) - np.repeat(starts, sizes)
    partners = size_of_row - 1 - rank
    total = int(partners.sum())
    first = np.repeat(np.arange(m), partners)
    run_start = np.repeat(np.cumsum(partners) - partners, partners)
    second = first + 1 + (np.arange(total) - run_start)
    return first, second


def accumulate(
    stats,
    channels,
    selection,
    event_index,
    tel_index,
    ln_intensity,
    ln_energy,
    impact_m,
    event_time_mjd,
    event_obs_id,
    event_ok,
):
    """Add one chunk of telescope events to ``stats`` (in place).

    Parameters
    ----------
    stats : PairStatistics
    channels : Channels
    selection : PairSelection
    event_index : ndarray of int, one per telescope event
        Chunk-local event number (0 .. n_events - 1), non-decreasing.
    tel_index : ndarray of int
        Index of the telescope in ``channels.tel_ids``.
    ln_intensity, ln_energy : ndarray of float
        ``ln`` of the image amplitude [p.e.] and of the reconstructed energy [TeV];
        NaN where invalid (such rows are never selected).
    impact_m : ndarray of float
        Reconstructed impact distance of the telescope [m] (NaN if invalid).
    event_time_mjd, event_obs_id, event_ok : ndarray, one per chunk event
        Event time (MJD TAI), observation id, and the event-level cuts.

    Returns
    -------
    dict
        Counts of this chunk: ``candidates`` (telescope pairs seen together in a
        channel) and ``selected``.
    """
    from scipy import sparse

    n_ev = len(event_time_mjd)
    stats.n_events += n_ev
    stats.n_tel_events += event_index.size
    first, second = _pairs_within_events(np.asarray(event_index))
    ti, tj = tel_index[first], tel_index[second]
    swap = ti > tj
    lo = np.where(swap, second, first)
    hi = np.where(swap, first, second)
    ti, tj = tel_index[lo], tel_index[hi]
    del first, second, swap
    # keep only telescope pairs that are a channel (within the separation range) at all
    paired = (channels.lookup[:, ti, tj] >= 0).any(axis=0)
    lo, hi, ti, tj = lo[paired], hi[paired], ti[paired], tj[paired]
    del paired

    d1, d2 = impact_m[lo], impact_m[hi]
    with np.errstate(invalid="ignore"):
        asym = np.abs(d1 - d2) / (d1 + d2)
    geometry_ok = event_ok[event_index[lo]].copy()
    equidistance = np.broadcast_to(
        np.asarray(selection.equidistance_max, dtype=float), (stats.n_channels,)
    )
    d_max = np.maximum(d1, d2)
    max_impact = np.broadcast_to(
        np.asarray(selection.max_impact_m, dtype=float), (stats.n_channels,)
    )

    all_ch, all_y, all_ev = [], [], []
    n_candidates = 0
    for q, ln_x in enumerate((ln_intensity, ln_energy)):
        ch = channels.lookup[q, ti, tj]
        has = ch >= 0
        if not has.any():
            continue
        n_candidates += int(has.sum())
        stats.n_candidates += np.bincount(ch[has], minlength=stats.n_channels)
        a, b, ch = lo[has], hi[has], ch[has]
        x1, x2 = ln_x[a], ln_x[b]
        s = x1 + x2
        with np.errstate(invalid="ignore"):
            ok = geometry_ok[has] & (s > selection.ln_min[ch]) & (s < selection.ln_max[ch])
            ok &= (d_max[has] < max_impact[ch]) & (asym[has] < equidistance[ch])
        all_ch.append(ch[ok])
        all_y.append((x1 - x2)[ok])
        all_ev.append(event_index[a[ok]])
    if not all_ch:
        return {"candidates": 0, "selected": 0}
    ch = np.concatenate(all_ch)
    y = np.concatenate(all_y)
    ev = np.concatenate(all_ev)
    p = stats.n_channels

    stats.n += np.bincount(ch, minlength=p)
    stats.sum_y += np.bincount(ch, weights=y, minlength=p)
    stats.sum_y2 += np.bincount(ch, weights=y * y, minlength=p)
    edges = stats.hist_edges
    nb = len(edges) - 1
    b = np.clip(np.searchsorted(edges, y, side="right") - 1, 0, nb - 1)
    stats.hist += np.bincount(ch * nb + b, minlength=p * nb).reshape(p, nb)
    t = event_time_mjd[ev]
    np.minimum.at(stats.time_min, ch, t)
    np.maximum.at(stats.time_max, ch, t)
    obs = np.asarray(event_obs_id)[ev]
    for obs_id in np.unique(obs):
        present = stats.obs_ids.setdefault(int(obs_id), np.zeros(p, bool))
        present[np.unique(ch[obs == obs_id])] = True

    z = sparse.csr_array((y, (ev, ch)), shape=(n_ev, p))
    ind = sparse.csr_array((np.ones_like(y), (ev, ch)), shape=(n_ev, p))
    zt, it = z.T.tocsr(), ind.T.tocsr()
    stats.cross_n = stats.cross_n + it @ ind
    stats.cross_sum_p = stats.cross_sum_p + zt @ ind
    stats.cross_sum_pq = stats.cross_sum_pq + zt @ z
    return {"candidates": n_candidates, "selected": int(ch.size)}


def histogram_median(hist, edges):
    """Median of each row of ``hist`` by linear interpolation in the bin (NaN if empty)."""
    hist = np.atleast_2d(hist)
    total = hist.sum(axis=1)
    cum = np.cumsum(hist, axis=1)
    half = total / 2.0
    k = np.argmax(cum >= half[:, None], axis=1)
    below = np.where(k > 0, cum[np.arange(len(k)), k - 1], 0)
    inside = hist[np.arange(len(k)), k]
    width = np.diff(edges)[k]
    with np.errstate(invalid="ignore", divide="ignore"):
        frac = np.where(inside > 0, (half - below) / inside, 0.5)
    out = edges[k] + frac * width
    return np.where(total > 0, out, np.nan)
