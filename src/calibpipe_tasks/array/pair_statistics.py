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
    shared_n, shared_sum_p, shared_sum_pq : ndarray, shape (n_channels, n_channels)
        ``I^T I``, ``Z^T I`` and ``Z^T Z`` of the event x channel matrices of
        indicators ``I`` and values ``Z``: shared events (int), sum of ``y_p`` over
        the events shared with ``q`` (``[p, q]``), and sum of ``y_p y_q``. Dense:
        ``3 * 8 * n_channels**2`` bytes (4.4 MB for the 428 channels of 64 telescopes).
    cross_n, cross_sum_p, cross_sum_pq : scipy.sparse arrays
        The same three as sparse float arrays (read-only views made on access).
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
    shared_n: np.ndarray = None
    shared_sum_p: np.ndarray = None
    shared_sum_pq: np.ndarray = None
    n_events: int = 0
    n_tel_events: int = 0

    def __post_init__(self):
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
            self.shared_n = np.zeros((p, p), np.int64)
            self.shared_sum_p = np.zeros((p, p))
            self.shared_sum_pq = np.zeros((p, p))

    @property
    def cross_n(self):
        from scipy import sparse

        return sparse.csr_array(self.shared_n.astype(np.float64))

    @property
    def cross_sum_p(self):
        from scipy import sparse

        return sparse.csr_array(self.shared_sum_p)

    @property
    def cross_sum_pq(self):
        from scipy import sparse

        return sparse.csr_array(self.shared_sum_pq)


def default_hist_edges(half_width=2.0, n_bins=200):
    """Histogram edges of ``y = ln r``: ``n_bins`` equal bins on ``[-half_width, half_width]``."""
    return np.linspace(-half_width, half_width, n_bins + 1)


def _pairs_within_events(event_index, ordered=False):
    """All index pairs ``(a, b)``, ``a < b``, of rows with the same event (rows sorted by event).

    With ``ordered=True``: all ordered pairs ``(a, b)`` of rows of one event, ``a = b``
    included (``k**2`` for an event of ``k`` rows), ``a`` ascending, then ``b``.
    """
    m = event_index.size
    if m == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    boundary = np.flatnonzero(np.diff(event_index)) + 1
    starts = np.concatenate([[0], boundary])
    sizes = np.diff(np.concatenate([starts, [m]]))
    size_of_row = np.repeat(sizes, sizes)
    start_of_row = np.repeat(starts, sizes)
    rank = np.arange(m) - start_of_row
    partners = size_of_row if ordered else size_of_row - 1 - rank
    offset = start_of_row if ordered else np.arange(m) + 1
    total = int(partners.sum())
    first = np.repeat(np.arange(m), partners)
    run_start = np.repeat(np.cumsum(partners) - partners, partners)
    second = np.repeat(offset, partners) + (np.arange(total) - run_start)
    return first, second


def _window_pairs(key, width):
    """All position pairs ``(a, b)``, ``a < b``, of an ascending ``key`` within ``width``.

    ``key[b] - key[a] <= width``; listed by ``a``, then ``b``.
    """
    m = key.size
    end = np.searchsorted(key, key + width, side="right")
    count = end - np.arange(1, m + 1)
    total = int(count.sum())
    first = np.repeat(np.arange(m), count)
    second = first + 1 + (np.arange(total) - np.repeat(np.cumsum(count) - count, count))
    return first, second


#: number of set bits of every byte value (numpy < 2 has no ``bitwise_count``)
_POPCOUNT8 = np.array([bin(v).count("1") for v in range(256)], dtype=np.uint8)


def _seen_together(event_index, tel_index, n_events, tel_a, tel_b):
    """Number of events seen by both telescopes ``tel_a[k]`` and ``tel_b[k]`` (indices), per ``k``.

    The telescope x event trigger matrix is packed into bits (``np.packbits``), so each
    count is a bitwise AND and a population count of ``n_events / 8`` bytes.
    """
    n_tel = int(max(tel_a.max(initial=-1), tel_b.max(initial=-1), tel_index.max(initial=-1))) + 1
    trig = np.zeros((n_tel, n_events), bool)
    trig[tel_index, event_index] = True
    bits = np.packbits(trig, axis=1)
    del trig
    both = bits[tel_a] & bits[tel_b]
    popcount = getattr(np, "bitwise_count", None)
    counts = popcount(both) if popcount is not None else _POPCOUNT8[both]
    return counts.sum(axis=1, dtype=np.int64)


def _candidate_pairs(event_index, impact_m, usable, equidistance_max):
    """Row pairs ``(r1, r2)``, ``r1 < r2``, of one event that can pass the equidistance cut.

    ``|d1 - d2| / (d1 + d2) < e`` holds for positive distances only if
    ``|ln d1 - ln d2| < ln((1 + e) / (1 - e))``, so after sorting the rows with a positive
    distance (among ``usable``: finite distance >= 0, event cuts passed) by event and
    ``ln d`` the partners of a row are the rows that follow it within that window in the
    same event: a superset of the pairs passing the cut (the window is widened by 1e-9
    against rounding; the exact cut is applied afterwards), found without listing every
    pair of an event. With ``e >= 1`` all pairs of usable rows are listed.
    """
    if not equidistance_max < 1.0:
        rows = np.flatnonzero(usable)
        first, second = _pairs_within_events(event_index[rows])
        return rows[first], rows[second]
    # a distance 0 passes with no partner (|d1 - d2| / (d1 + d2) is 1 or NaN)
    rows = np.flatnonzero(usable & (impact_m > 0))
    if rows.size < 2:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    ev = event_index[rows]
    ln_d = np.log(impact_m[rows])
    low = float(ln_d.min())
    width = float(np.log1p(equidistance_max) - np.log1p(-equidistance_max)) + 1e-9
    span = float(ln_d.max()) - low + 2 * width + 1.0
    key = ev * span + (ln_d - low)
    order = np.argsort(key, kind="stable")
    a, b = _window_pairs(key[order], width)
    ra, rb = rows[order[a]], rows[order[b]]
    same = ev[order[a]] == ev[order[b]]
    ra, rb = ra[same], rb[same]
    return np.minimum(ra, rb), np.maximum(ra, rb)


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
        Reconstructed impact distance of the telescope [m]; NaN or negative if invalid
        (such rows are never selected).
    event_time_mjd, event_obs_id, event_ok : ndarray, one per chunk event
        Event time (MJD TAI), observation id, and the event-level cuts.

    Returns
    -------
    dict
        Counts of this chunk: ``candidates`` (telescope pairs seen together in a
        channel) and ``selected``.

    Notes
    -----
    Only the pairs that can pass the equidistance cut are listed
    (:func:`_candidate_pairs`); the pairs seen together (``n_candidates``) are counted
    from the bit-packed trigger matrix (:func:`_seen_together`). The selected measurements are
    put in the order of a listing of all pairs (event, then telescope rows), so the sums
    are those of that listing to the last bit.
    """
    event_index = np.asarray(event_index)
    tel_index = np.asarray(tel_index)
    n_ev = len(event_time_mjd)
    p = stats.n_channels
    stats.n_events += n_ev
    stats.n_tel_events += event_index.size

    # events in which both telescopes of a channel have an image
    ci = np.searchsorted(channels.tel_ids, channels.tel_1)
    cj = np.searchsorted(channels.tel_ids, channels.tel_2)
    seen = _seen_together(event_index, tel_index, n_ev, ci, cj)
    stats.n_candidates += seen
    n_candidates = int(seen.sum())

    with np.errstate(invalid="ignore"):
        usable = (impact_m >= 0) & np.isfinite(impact_m) & np.asarray(event_ok)[event_index]
    equidistance = np.broadcast_to(np.asarray(selection.equidistance_max, dtype=float), (p,))
    r1, r2 = _candidate_pairs(event_index, impact_m, usable, float(equidistance.max()))
    swap = tel_index[r1] > tel_index[r2]
    lo = np.where(swap, r2, r1)
    hi = np.where(swap, r1, r2)
    ti, tj = tel_index[lo], tel_index[hi]
    m = event_index.size
    listing = r1 * m + r2  # position of the pair in a listing of all pairs of rows
    del swap, r1, r2

    d1, d2 = impact_m[lo], impact_m[hi]
    with np.errstate(invalid="ignore"):
        asym = np.abs(d1 - d2) / (d1 + d2)
    geometry_ok = np.asarray(event_ok)[event_index[lo]]
    d_max = np.maximum(d1, d2)
    max_impact = np.broadcast_to(np.asarray(selection.max_impact_m, dtype=float), (p,))

    all_ch, all_y, all_ev = [], [], []
    for q, ln_x in enumerate((ln_intensity, ln_energy)):
        ch = channels.lookup[q, ti, tj]
        has = ch >= 0
        if not has.any():
            continue
        a, b, ch, where = lo[has], hi[has], ch[has], listing[has]
        x1, x2 = ln_x[a], ln_x[b]
        s = x1 + x2
        with np.errstate(invalid="ignore"):
            ok = geometry_ok[has] & (s > selection.ln_min[ch]) & (s < selection.ln_max[ch])
            ok &= (d_max[has] < max_impact[ch]) & (asym[has] < equidistance[ch])
        keep = np.flatnonzero(ok)
        keep = keep[np.argsort(where[keep], kind="stable")]
        all_ch.append(ch[keep])
        all_y.append((x1 - x2)[keep])
        all_ev.append(event_index[a[keep]])
    if not all_ch:
        return {"candidates": n_candidates, "selected": 0}
    ch = np.concatenate(all_ch)
    y = np.concatenate(all_y)
    ev = np.concatenate(all_ev)

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

    # cross moments: every ordered pair (u, v) of measurements of one event, u = v included,
    # in event order (the order in which the products I^T I, Z^T I, Z^T Z sum them)
    order = np.argsort(ev, kind="stable")
    u, v = _pairs_within_events(ev[order], ordered=True)
    u, v = order[u], order[v]
    cell = ch[u] * p + ch[v]
    stats.shared_n += np.bincount(cell, minlength=p * p).reshape(p, p)
    stats.shared_sum_p += np.bincount(cell, weights=y[u], minlength=p * p).reshape(p, p)
    stats.shared_sum_pq += np.bincount(cell, weights=y[u] * y[v], minlength=p * p).reshape(p, p)
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
