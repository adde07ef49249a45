"""Vectorised per-group sigma-clipped statistics and chunking of ring series.

The optical throughput of a telescope (UC-120-2.2) is the sigma-clipped mean of
the optical efficiencies of its muon rings in a chunk of time or of ring count.
Everything here works on whole arrays at once (one sort, then ``reduceat``), with
no Python loop over rings, chunks or telescopes, so that millions of rings are
aggregated in about a second.

The clipping is that of :func:`astropy.stats.sigma_clipped_stats` with its
defaults (centre = median, spread = standard deviation with ``ddof=0``, reject
``|x - median| > sigma * std``, repeat until nothing changes or ``maxiters``),
applied to every group independently; the tests compare both.
"""

import numpy as np


def chunk_by_time(group, time, duration, origin=None):
    """Chunk number of each element: ``floor((time - origin) / duration)``.

    Parameters
    ----------
    group : ndarray of int
        Group (telescope) of each element; unused except for its length, the
        chunk boundaries are common to all groups so that telescopes compare.
    time : ndarray of float
        Times, any unit (same as ``duration``).
    duration : float
        Chunk length.
    origin : float, optional
        Start of the first chunk; default the earliest time.

    Returns
    -------
    ndarray of int64
    """
    time = np.asarray(time, dtype=float)
    if len(group) != len(time):
        raise ValueError("group and time differ in length")
    if time.size == 0:
        return np.zeros(0, dtype=np.int64)
    origin = np.min(time) if origin is None else origin
    return np.floor((time - origin) / duration).astype(np.int64)


def chunk_by_count(group, time, n_per_chunk):
    """Chunk number of each element: consecutive runs of ``n_per_chunk`` in time per group.

    The last chunk of a group holds the remainder (fewer elements).

    Returns
    -------
    ndarray of int64
    """
    group = np.asarray(group)
    if group.size == 0:
        return np.zeros(0, dtype=np.int64)
    # time order, then a stable sort by group (radix sort when the groups fit 16 bits)
    order = np.argsort(np.asarray(time, dtype=float), kind="stable")
    shifted = group.astype(np.int64) - group.min()
    key = shifted.astype(np.uint16) if shifted.max() < 2**16 else shifted
    order = order[np.argsort(key[order], kind="stable")]
    sorted_group = group[order]
    starts = np.flatnonzero(np.r_[True, sorted_group[1:] != sorted_group[:-1]])
    first = np.repeat(starts, np.diff(np.r_[starts, sorted_group.size]))
    rank = np.arange(sorted_group.size) - first
    chunk = np.empty(group.size, dtype=np.int64)
    chunk[order] = rank // n_per_chunk
    return chunk


def _composite_key(keys):
    """One int64 per element ordering like the tuple of ``keys`` (first key slowest)."""
    gid = np.zeros(len(keys[0]), dtype=np.int64)
    span = 1
    for k in reversed(keys):
        k = np.asarray(k, dtype=np.int64)
        low = k.min()
        width = int(k.max() - low) + 1
        if span * width >= 2**62:
            # fall back to dense ranks of the key tuples
            _, inverse = np.unique(np.stack(keys), axis=1, return_inverse=True)
            return inverse.ravel().astype(np.int64)
        gid += (k - low) * span
        span *= width
    return gid


def grouped_sigma_clipped_stats(keys, values, sigma=3.0, maxiters=5):
    """Sigma-clipped mean, median and standard deviation of ``values`` per group.

    Parameters
    ----------
    keys : sequence of ndarray of int
        Arrays of equal length whose value combination defines a group
        (e.g. ``(tel_id, chunk)``); groups come out sorted by them, the last
        key varying fastest as in :func:`numpy.lexsort` reversed.
    values : ndarray of float
        The values; NaN values must have been removed.
    sigma : float
        Clipping threshold in standard deviations.
    maxiters : int
        Maximum number of clipping iterations.

    Returns
    -------
    dict of ndarray
        ``keys`` (tuple of the group key arrays), ``index`` (for every element
        of a group, its index into the input; with ``starts`` it slices the
        groups), ``starts``, ``n`` (elements per group), ``n_used`` (kept after
        clipping), ``mean``, ``median``, ``std`` (``ddof=0``, of the kept values).
    """
    values = np.asarray(values, dtype=float)
    keys = [np.asarray(k) for k in keys]
    if values.size == 0:
        empty = np.zeros(0)
        return dict(
            keys=tuple(k[:0] for k in keys),
            index=np.zeros(0, dtype=np.int64),
            starts=np.zeros(0, dtype=np.int64),
            n=np.zeros(0, dtype=np.int64),
            n_used=np.zeros(0, dtype=np.int64),
            mean=empty,
            median=empty,
            std=empty,
        )
    # sort by group, then by value, so that a group's kept values stay contiguous:
    # a value sort followed by a stable sort on one composite integer group id
    gid = _composite_key(keys)
    order = np.argsort(values)
    # numpy's stable sort is a radix sort for 16-bit integers: use it when the ids fit
    sort_key = gid.astype(np.uint16) if gid.max() < 2**16 else gid
    order = order[np.argsort(sort_key[order], kind="stable")]
    v = values[order]
    sorted_gid = gid[order]
    starts = np.flatnonzero(np.r_[True, sorted_gid[1:] != sorted_gid[:-1]])
    sorted_keys = [k[order[starts]] for k in keys]
    n = np.diff(np.r_[starts, v.size])
    group_of = np.repeat(np.arange(starts.size), n)
    position = np.arange(v.size)

    kept = np.ones(v.size, dtype=bool)
    for iteration in range(maxiters + 1):
        n_used = np.add.reduceat(kept, starts)
        # first kept element of each group (kept values are a contiguous run)
        first = np.minimum.reduceat(np.where(kept, position, v.size), starts)
        safe_first = np.minimum(first, v.size - 1)
        lo = np.minimum(safe_first + (n_used - 1) // 2, v.size - 1)
        hi = np.minimum(safe_first + n_used // 2, v.size - 1)
        median = np.where(n_used > 0, 0.5 * (v[lo] + v[hi]), np.nan)
        vk = np.where(kept, v, 0.0)
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = np.add.reduceat(vk, starts) / n_used
            dev = np.where(kept, v - mean[group_of], 0.0)
            std = np.sqrt(np.add.reduceat(dev * dev, starts) / n_used)
        if iteration == maxiters:
            break
        new_kept = kept & (np.abs(v - median[group_of]) <= sigma * std[group_of])
        if np.array_equal(new_kept, kept):
            break
        kept = new_kept
    return dict(
        keys=tuple(sorted_keys),
        index=order,
        starts=starts,
        n=n,
        n_used=n_used,
        mean=mean,
        median=median,
        std=std,
    )
