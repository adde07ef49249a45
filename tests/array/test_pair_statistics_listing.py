"""``accumulate`` lists only the pairs that can pass the equidistance cut: it must give the
statistics of the plain definition (every pair of telescopes of an event, every cut),
computed here event by event with Python loops, to the last bit."""

import numpy as np
import pytest

from calibpipe_tasks.array.pair_statistics import (
    PairSelection,
    PairStatistics,
    _seen_together,
    accumulate,
    channel_size_cuts,
    default_hist_edges,
)
from calibpipe_tasks.array.pairs import ENERGY, INTENSITY, find_channels


def _chunk(rng, n_ev, n_tel, shuffle_within_event):
    """Random telescope events: NaN / zero / equal impact distances, tels in any order."""
    ev, tel = [], []
    for e in range(n_ev):
        k = rng.integers(0, n_tel + 1)
        tels = rng.choice(n_tel, size=k, replace=False)
        if not shuffle_within_event:
            tels = np.sort(tels)
        ev += [e] * k
        tel += tels.tolist()
    ev, tel = np.array(ev, dtype=np.int64), np.array(tel, dtype=np.int64)
    m = ev.size
    impact = rng.uniform(20, 400, m)
    # a shower at nearly equal distances from many telescopes, exact ties, bad values
    near = rng.random(m) < 0.3
    impact[near] = 150.0 * (1 + rng.uniform(-0.06, 0.06, near.sum()))
    impact[rng.random(m) < 0.05] = 150.0
    impact[rng.random(m) < 0.03] = np.nan
    impact[rng.random(m) < 0.02] = 0.0
    impact[rng.random(m) < 0.01] = -1.0
    ln_i = rng.normal(6.5, 1.0, m)
    ln_i[rng.random(m) < 0.05] = np.nan
    ln_e = rng.normal(0.3, 0.8, m)
    ln_e[rng.random(m) < 0.05] = np.nan
    times = 61000.0 + np.sort(rng.uniform(0, 0.3, n_ev))
    obs = np.where(np.arange(n_ev) < n_ev // 2, 7, 9)
    ok = rng.random(n_ev) > 0.1
    return ev, tel, ln_i, ln_e, impact, times, obs, ok


def _reference(stats, channels, sel, ev, tel, ln_i, ln_e, impact, times, obs, ok):
    """The definition, pair by pair: every two rows of an event, in row order."""
    p = stats.n_channels
    eq = np.broadcast_to(np.asarray(sel.equidistance_max, float), (p,))
    mx = np.broadcast_to(np.asarray(sel.max_impact_m, float), (p,))
    stats.n_events += len(times)
    stats.n_tel_events += ev.size
    found = {q: [] for q in range(2)}  # per quantity: (row_a, row_b, channel, y)
    seen = np.zeros(p, np.int64)
    rows_of = {}
    for r, e in enumerate(ev.tolist()):
        rows_of.setdefault(e, []).append(r)
    for rows in rows_of.values():
        for ia, a in enumerate(rows):
            for b in rows[ia + 1 :]:
                lo, hi = (a, b) if tel[a] < tel[b] else (b, a)
                for q, ln_x in enumerate((ln_i, ln_e)):
                    ch = channels.lookup[q, tel[lo], tel[hi]]
                    if ch < 0:
                        continue
                    seen[ch] += 1
                    d1, d2 = impact[lo], impact[hi]
                    s = ln_x[lo] + ln_x[hi]
                    with np.errstate(invalid="ignore", divide="ignore"):
                        asym = abs(d1 - d2) / (d1 + d2)
                        passed = (
                            ok[ev[lo]]
                            and d1 >= 0  # a negative distance is invalid (documented)
                            and d2 >= 0
                            and s > sel.ln_min[ch]
                            and s < sel.ln_max[ch]
                            and max(d1, d2) < mx[ch]
                            and asym < eq[ch]
                        )
                    if passed:
                        found[q].append((a, b, ch, ln_x[lo] - ln_x[hi], ev[lo]))
    stats.n_candidates += seen
    meas = found[0] + found[1]
    edges = stats.hist_edges
    nb = len(edges) - 1
    by_event = {}
    # the sums of this chunk, then added to the running ones (as accumulate does)
    sum_y, sum_y2 = np.zeros(p), np.zeros(p)
    sh_p, sh_pq = np.zeros((p, p)), np.zeros((p, p))
    for _, _, ch, y, e in meas:
        stats.n[ch] += 1
        sum_y[ch] += y
        sum_y2[ch] += y * y
        k = min(max(np.searchsorted(edges, y, side="right") - 1, 0), nb - 1)
        stats.hist[ch, k] += 1
        stats.time_min[ch] = min(stats.time_min[ch], times[e])
        stats.time_max[ch] = max(stats.time_max[ch], times[e])
        stats.obs_ids.setdefault(int(obs[e]), np.zeros(p, bool))[ch] = True
        by_event.setdefault(e, []).append((ch, y))
    for e in sorted(by_event):
        for cu, yu in by_event[e]:
            for cv, yv in by_event[e]:
                stats.shared_n[cu, cv] += 1
                sh_p[cu, cv] += yu
                sh_pq[cu, cv] += yu * yv
    stats.sum_y += sum_y
    stats.sum_y2 += sum_y2
    stats.shared_sum_p += sh_p
    stats.shared_sum_pq += sh_pq
    return {"candidates": int(seen.sum()), "selected": len(meas)}


def _setup(n_tel, equidistance, same):
    rng = np.random.default_rng(11)
    ids = np.arange(10, 10 + n_tel) * 3  # not 1..n: the index is what accumulate sees
    pos = rng.uniform(-300, 300, (n_tel, 2))
    types = np.where(np.arange(n_tel) % 3 == 0, "LST", "MST")
    channels = find_channels(ids, pos, types, 350.0, same_type_quantities=same)
    type_of = dict(zip(ids.tolist(), types.tolist(), strict=True))
    lo, hi = channel_size_cuts(channels, type_of, 300.0, 1.0, max_intensity=5e4)
    eq = np.where(channels.quantity == INTENSITY, equidistance, equidistance * 0.6)
    mx = np.where(channels.quantity == INTENSITY, np.inf, 250.0)
    return channels, PairSelection(eq, lo, hi, max_impact_m=mx)


FIELDS = ("n_candidates", "n", "sum_y", "sum_y2", "hist", "time_min", "time_max")
SHARED = ("shared_n", "shared_sum_p", "shared_sum_pq")


@pytest.mark.parametrize(
    ("equidistance", "same", "shuffle"),
    [
        (0.05, (INTENSITY,), False),
        (0.05, (INTENSITY, ENERGY), True),
        (0.3, (INTENSITY,), True),
        (1.5, (INTENSITY, ENERGY), False),  # every pair of positive distances passes
    ],
)
def test_accumulate_equals_the_pair_by_pair_definition(equidistance, same, shuffle):
    channels, sel = _setup(12, equidistance, same)
    rng = np.random.default_rng(int(equidistance * 100) + len(same))
    fast = PairStatistics(len(channels), default_hist_edges())
    slow = PairStatistics(len(channels), default_hist_edges())
    total = {"selected": 0}
    for n_ev in (400, 1, 0, 300):  # chunks, one of them without events
        chunk = _chunk(rng, n_ev, 12, shuffle)
        got = accumulate(fast, channels, sel, *chunk)
        want = _reference(slow, channels, sel, *chunk)
        assert got == want
        total["selected"] += got["selected"]
    assert total["selected"] > 200  # the test data select something
    for name in FIELDS + SHARED:
        np.testing.assert_array_equal(getattr(fast, name), getattr(slow, name), err_msg=name)
    assert fast.obs_ids.keys() == slow.obs_ids.keys()
    for key in fast.obs_ids:
        np.testing.assert_array_equal(fast.obs_ids[key], slow.obs_ids[key])
    assert (fast.n_events, fast.n_tel_events) == (slow.n_events, slow.n_tel_events)
    # the sparse views are the dense sums
    np.testing.assert_array_equal(fast.cross_sum_pq.toarray(), fast.shared_sum_pq)


def test_seen_together_counts_events_with_both_telescopes():
    rng = np.random.default_rng(5)
    n_ev, n_tel = 1000, 9  # 1000 events: not a multiple of 8 bits
    mask = rng.random((n_ev, n_tel)) < 0.4
    ev, tel = np.nonzero(mask)
    a, b = np.triu_indices(n_tel, k=1)
    got = _seen_together(ev, tel, n_ev, a, b)
    np.testing.assert_array_equal(got, (mask[:, a] & mask[:, b]).sum(axis=0))
