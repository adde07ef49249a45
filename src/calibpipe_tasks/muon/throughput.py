"""Optical throughput of each telescope from the optical efficiency of its muon rings.

UC-120-2.2. A muon ring's optical efficiency is the factor between the
Cherenkov photons a muon of the fitted geometry sends to the mirror (300-600 nm)
and the photo-electrons the camera recorded (ctapipe ``MuonIntensityFitter``;
Chalme-Calvet et al. 2013, "Muon efficiency of the H.E.S.S. telescope",
arXiv:1403.4550; Gaug et al. 2019, ApJS 243, 11 for the method review). The
throughput of a telescope in a chunk of time (or of ring count) is the
sigma-clipped mean of the efficiencies of the rings that passed the quality
selection, with its median, standard deviation and standard error
``std / sqrt(n_used)``.
"""

import numpy as np

from .aggregation import chunk_by_count, chunk_by_time, grouped_sigma_clipped_stats

SECONDS_PER_DAY = 86400.0


def throughput_per_chunk(
    tel_id,
    time_mjd,
    efficiency,
    obs_id,
    all_tel_ids,
    chunk_duration_s=None,
    chunk_rings=None,
    origin_mjd=None,
    sigma=3.0,
    maxiters=5,
):
    """Aggregate ring efficiencies per telescope and chunk.

    Parameters
    ----------
    tel_id, time_mjd, efficiency, obs_id : ndarray
        One entry per ring that passed the selection (time as MJD).
    all_tel_ids : sequence of int
        Every telescope to report; one without rings gets a row with
        ``n_rings = 0`` and NaN statistics.
    chunk_duration_s : float, optional
        Chunk length in seconds; boundaries common to all telescopes, from the
        first ring's time.
    chunk_rings : int, optional
        Chunk by this many consecutive rings per telescope instead.
    origin_mjd : float, optional
        Start of the first time chunk (MJD, same scale as ``time_mjd``); default
        the first ring. Rings before it get negative chunk numbers.
    sigma, maxiters : float, int
        Sigma clipping (see :func:`.aggregation.grouped_sigma_clipped_stats`).

    Returns
    -------
    dict of ndarray
        Columns ``tel_id, chunk, n_rings, n_used, mean, median, std, sem,
        time_start_mjd, time_end_mjd, obs_ids`` (comma-separated string), sorted
        by telescope and chunk.
    """
    tel_id = np.asarray(tel_id, dtype=np.int64)
    time_mjd = np.asarray(time_mjd, dtype=float)
    efficiency = np.asarray(efficiency, dtype=float)
    obs_id = np.asarray(obs_id, dtype=np.int64)
    if (chunk_duration_s is None) == (chunk_rings is None):
        raise ValueError("give exactly one of chunk_duration_s and chunk_rings")
    if chunk_rings is not None:
        chunk = chunk_by_count(tel_id, time_mjd, int(chunk_rings))
    else:
        chunk = chunk_by_time(
            tel_id, time_mjd, chunk_duration_s / SECONDS_PER_DAY, origin=origin_mjd
        )

    stats = grouped_sigma_clipped_stats((tel_id, chunk), efficiency, sigma, maxiters)
    starts, index = stats["starts"], stats["index"]
    t_sorted = time_mjd[index]
    with np.errstate(invalid="ignore", divide="ignore"):
        sem = stats["std"] / np.sqrt(stats["n_used"])
    columns = {
        "tel_id": stats["keys"][0],
        "chunk": stats["keys"][1],
        "n_rings": stats["n"],
        "n_used": stats["n_used"],
        "mean": stats["mean"],
        "median": stats["median"],
        "std": stats["std"],
        "sem": sem,
        "time_start_mjd": np.minimum.reduceat(t_sorted, starts) if len(starts) else np.zeros(0),
        "time_end_mjd": np.maximum.reduceat(t_sorted, starts) if len(starts) else np.zeros(0),
        "obs_ids": _obs_ids_per_group(obs_id[index], starts),
    }

    missing = np.setdiff1d(np.asarray(sorted(all_tel_ids), dtype=np.int64), columns["tel_id"])
    if missing.size:
        span = (time_mjd.min(), time_mjd.max()) if time_mjd.size else (np.nan, np.nan)
        empty = {
            "tel_id": missing,
            "chunk": np.zeros(missing.size, dtype=np.int64),
            "n_rings": np.zeros(missing.size, dtype=np.int64),
            "n_used": np.zeros(missing.size, dtype=np.int64),
            "time_start_mjd": np.full(missing.size, span[0]),
            "time_end_mjd": np.full(missing.size, span[1]),
            "obs_ids": np.full(missing.size, "", dtype=object),
        }
        for name in ("mean", "median", "std", "sem"):
            empty[name] = np.full(missing.size, np.nan)
        columns = {name: np.concatenate([columns[name], empty[name]]) for name in columns}
        order = np.lexsort((columns["chunk"], columns["tel_id"]))
        columns = {name: col[order] for name, col in columns.items()}
    return columns


def _obs_ids_per_group(obs_sorted, starts):
    """Comma-separated distinct obs_ids of each group (few distinct values: no ring loop)."""
    if len(starts) == 0:
        return np.zeros(0, dtype=object)
    group = np.repeat(np.arange(len(starts)), np.diff(np.r_[starts, len(obs_sorted)]))
    low = obs_sorted.min()
    width = int(obs_sorted.max() - low) + 1
    if float(width) * len(starts) < 2.0**62:
        pair = np.unique(group * width + (obs_sorted - low))
        pairs = (pair // width, pair % width + low)
    else:
        pairs = np.unique(np.stack([group, obs_sorted]), axis=1)
    text = np.array([""] * len(starts), dtype=object)
    for g, o in zip(pairs[0], pairs[1], strict=True):  # one per (chunk, run) pair
        text[g] = f"{text[g]},{o}" if text[g] else str(o)
    return text
