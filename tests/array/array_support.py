"""In-memory pair statistics of synthetic showers (no file): for the fast seed tests."""

import numpy as np
from dl2_synthetic import simulate

from calibpipe_tasks.array.fit import ChannelData
from calibpipe_tasks.array.pair_statistics import (
    PairSelection,
    PairStatistics,
    accumulate,
    channel_size_cuts,
    default_hist_edges,
)
from calibpipe_tasks.array.pairs import INTENSITY, find_channels


def pair_statistics(
    spec,
    equidistance=0.05,
    energy_equidistance=0.03,
    min_intensity=300.0,
    min_energy=1.0,
    max_energy_impact=200.0,
    same=(INTENSITY,),
    max_separation=350.0,
    chunk_events=None,
):
    """Simulate ``spec`` and accumulate its pair statistics like ``array-pair-stats`` does.

    Returns ``(tel_ids, tel_types, ChannelData, truth, PairStatistics, Channels)``.
    """
    events, tel, truth = simulate(spec)
    ids = np.array(sorted(spec.layout))
    pos = np.array([spec.layout[t][1:] for t in ids])
    types = np.array([spec.layout[t][0] for t in ids])
    channels = find_channels(ids, pos, types, max_separation, same_type_quantities=same)
    lo, hi = channel_size_cuts(
        channels, dict(zip(ids.tolist(), types.tolist(), strict=True)), min_intensity, min_energy
    )
    max_impact = np.where(channels.quantity == INTENSITY, np.inf, max_energy_impact)
    eq = np.where(channels.quantity == INTENSITY, equidistance, energy_equidistance)
    selection = PairSelection(eq, lo, hi, max_impact_m=max_impact)
    stats = PairStatistics(len(channels), default_hist_edges())
    tix = np.searchsorted(ids, tel["tel_id"])
    n_ev = len(events["time_mjd"])
    step = chunk_events or n_ev
    with np.errstate(divide="ignore", invalid="ignore"):
        ln_i, ln_e = np.log(tel["intensity"]), np.log(tel["energy"])
    for e0 in range(0, n_ev, step):
        e1 = min(e0 + step, n_ev)
        rows = (tel["event_index"] >= e0) & (tel["event_index"] < e1)
        accumulate(
            stats,
            channels,
            selection,
            tel["event_index"][rows] - e0,
            tix[rows],
            ln_i[rows],
            ln_e[rows],
            tel["impact"][rows],
            events["time_mjd"][e0:e1],
            np.full(e1 - e0, spec.obs_id),
            np.ones(e1 - e0, bool),
        )
    data = ChannelData(
        channels.tel_1,
        channels.tel_2,
        channels.quantity,
        stats.n,
        stats.sum_y,
        stats.sum_y2,
        stats.cross_n,
        stats.cross_sum_p,
        stats.cross_sum_pq,
    )
    return ids, types, data, truth, stats, channels
