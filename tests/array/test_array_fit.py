"""Pure inter- and cross-calibration on synthetic showers of known throughput (no files)."""

import numpy as np
import pytest
from array_support import pair_statistics
from dl2_synthetic import DL2Spec, default_throughputs, realistic_layout
from scipy import sparse

from calibpipe_tasks.array.fit import ChannelData, cross_calibrate, inter_calibrate
from calibpipe_tasks.array.pair_statistics import _pairs_within_events
from calibpipe_tasks.array.pairs import ENERGY, INTENSITY, find_channels

LAYOUT = realistic_layout(4, 9, 0)


def _truth_vector(truth, tel_ids, which, reference="LST"):
    values = truth.inter() if which == "inter" else truth.absolute(reference)
    return np.log([values[int(t)] for t in tel_ids])


def test_pairs_within_events_lists_every_pair_once():
    event_index = np.array([0, 0, 0, 2, 3, 3])
    first, second = _pairs_within_events(event_index)
    assert sorted(zip(first.tolist(), second.tolist(), strict=True)) == [
        (0, 1),
        (0, 2),
        (1, 2),
        (4, 5),
    ]


def test_noise_free_recovers_truth_to_1e6():
    spec = DL2Spec(n_showers=30000, seed=3, layout=LAYOUT, noise_free=True, ldf_plateau_m=1e9)
    ids, types, data, truth, *_ = pair_statistics(
        spec, same=(INTENSITY, ENERGY), energy_equidistance=0.1
    )
    for quantity in (INTENSITY, ENERGY):
        inter = inter_calibrate(data, ids, types, quantity)
        assert np.all(inter.status == "ok")
        np.testing.assert_allclose(inter.ln_c, _truth_vector(truth, ids, "inter"), atol=1e-6)
        cross = cross_calibrate(data, inter, "LST")
        np.testing.assert_allclose(cross.ln_c, _truth_vector(truth, ids, "abs"), atol=1e-6)
    # with a reference telescope as gauge: c_ref = 1 and the others relative to it
    inter = inter_calibrate(data, ids, types, INTENSITY, references={"MST": 7})
    c = truth.throughput
    mst = types == "MST"
    np.testing.assert_allclose(
        inter.ln_c[mst], np.log([c[int(t)] / c[7] for t in ids[mst]]), atol=1e-6
    )


@pytest.fixture(scope="module")
def seeds():
    """20 independent nights (throughputs and showers) with realistic fluctuations."""
    out = []
    for seed in range(20):
        spec = DL2Spec(
            n_showers=150000,
            seed=seed,
            layout=LAYOUT,
            throughput=default_throughputs(LAYOUT, spread=0.08, seed=1000 + seed),
        )
        ids, types, data, truth, *_ = pair_statistics(spec)
        inter = inter_calibrate(data, ids, types)
        cross = cross_calibrate(data, inter, "LST")
        out.append((ids, types, truth, inter, cross))
    return out


def test_inter_calibration_unbiased_with_unit_pulls(seeds):
    resid, pulls, truths = [], [], []
    for ids, _, truth, inter, _ in seeds:
        t = _truth_vector(truth, ids, "inter")
        resid.append(inter.ln_c - t)
        pulls.append((inter.ln_c - t) / inter.ln_err)
        truths.append(t)
    resid, pulls, truths = map(np.concatenate, (resid, pulls, truths))
    # no shrinkage of the true differences (the anchor: slope 0.83)
    slope = np.polyfit(truths, truths + resid, 1)[0]
    assert abs(slope - 1) < 0.025, slope
    assert 0.8 < np.std(pulls) < 1.25, np.std(pulls)
    assert abs(np.mean(pulls)) < 4 / np.sqrt(pulls.size)
    # per telescope, the mean error over the 20 nights: < 0.5 % where it is measured that well
    per_tel = np.array([s[3].ln_c - _truth_vector(s[2], s[0], "inter") for s in seeds])
    err = np.array([s[3].ln_err for s in seeds])
    precise = err.mean(axis=0) / np.sqrt(len(seeds)) < 0.00125
    assert precise.sum() >= 4
    assert np.all(np.abs(per_tel.mean(axis=0)[precise]) < 0.005)


def test_sandwich_errors_exceed_naive_errors_for_shared_events(seeds):
    ratios = np.concatenate([s[3].ln_err / s[3].ln_err_naive for s in seeds])
    assert np.median(ratios) > 1.0


def test_cross_calibration_unbiased_with_unit_pulls(seeds):
    scale_resid, scale_pulls, tel_pulls, tel_resid = [], [], [], []
    for ids, types, truth, _, cross in seeds:
        ab = truth.absolute("LST")
        mst = [t for t in ids if truth.kind[int(t)] == "MST"]
        true_scale = np.exp(np.mean(np.log([ab[int(t)] for t in mst])))
        i = cross.types.tolist().index("MST")
        scale_resid.append(cross.ln_scale[i] - np.log(true_scale))
        scale_pulls.append(scale_resid[-1] / cross.ln_scale_err[i])
        t = _truth_vector(truth, ids, "abs")
        tel_resid.append(cross.ln_c - t)
        tel_pulls.append(((cross.ln_c - t) / cross.ln_err)[types == "MST"])
    scale_resid = np.array(scale_resid)
    # the anchor: +10.7 to +12.8 %
    assert abs(scale_resid.mean()) < 0.005, scale_resid.mean()
    assert 0.6 < np.std(scale_pulls) < 1.5, np.std(scale_pulls)
    tel_pulls = np.concatenate(tel_pulls)
    assert 0.8 < np.std(tel_pulls) < 1.25, np.std(tel_pulls)
    assert abs(np.mean(np.concatenate(tel_resid))) < 0.005


def test_telescope_order_does_not_matter():
    ids = np.array([5, 1, 3, 2])
    pos = np.array([[0, 0], [100, 0], [0, 100], [100, 100]], dtype=float)
    types = np.array(["A", "A", "B", "A"])
    a = find_channels(ids, pos, types, 500.0, same_type_quantities=(INTENSITY,))
    perm = np.array([2, 0, 3, 1])
    b = find_channels(ids[perm], pos[perm], types[perm], 500.0, same_type_quantities=(INTENSITY,))
    for name in ("tel_1", "tel_2", "quantity", "separation"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))
    assert np.all(a.tel_1 < a.tel_2)


def _with_one_event_channel(data):
    """``data`` plus an intensity channel 1-2 duplicate... a new channel of one event."""
    p = len(data.n)
    extra_n = np.append(data.n, 1)

    def grow(m, value):
        m = sparse.csr_array(m)
        m = sparse.block_diag([m, sparse.csr_array([[value]])], format="csr")
        return m

    y = 0.9
    return ChannelData(
        np.append(data.tel_1, 1),
        np.append(data.tel_2, 3),
        np.append(data.quantity, INTENSITY),
        extra_n,
        np.append(data.sum_y, y),
        np.append(data.sum_y2, y * y),
        grow(data.cross_n, 1.0),
        grow(data.cross_sum_p, y),
        grow(data.cross_sum_pq, y * y),
    ), p


def test_a_pair_with_one_event_is_dropped_not_poisoning():
    spec = DL2Spec(n_showers=60000, seed=5, layout=LAYOUT)
    ids, types, data, *_ = pair_statistics(spec)
    reference = inter_calibrate(data, ids, types)
    more, index = _with_one_event_channel(data)
    result = inter_calibrate(more, ids, types)
    assert (index, "1 events < 10") in result.dropped
    np.testing.assert_allclose(result.ln_c, reference.ln_c, rtol=0, atol=1e-12)
    assert np.all(np.isfinite(result.ln_c)) and np.all(np.isfinite(result.ln_err))
    for summary in result.type_summary.values():
        assert np.isfinite(summary["chi2"])
    with pytest.raises(ValueError, match="at least 2"):
        inter_calibrate(more, ids, types, min_events=1)


def test_missing_reference_telescope_is_an_error():
    spec = DL2Spec(n_showers=20000, seed=6, layout=LAYOUT)
    ids, types, data, *_ = pair_statistics(spec)
    with pytest.raises(ValueError, match="reference telescope 13"):
        inter_calibrate(data, ids, types, references={"MST": 13}, min_events=10**6)
    inter = inter_calibrate(data, ids, types)
    with pytest.raises(ValueError, match="reference type SST"):
        cross_calibrate(data, inter, "SST")


def test_chunking_gives_the_same_statistics():
    spec = DL2Spec(n_showers=20000, seed=7, layout=LAYOUT)
    *_, whole, _ = pair_statistics(spec)
    *_, chunked, _ = pair_statistics(spec, chunk_events=997)
    np.testing.assert_array_equal(whole.n, chunked.n)
    np.testing.assert_allclose(whole.sum_y, chunked.sum_y, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(
        whole.cross_sum_pq.toarray(), chunked.cross_sum_pq.toarray(), rtol=1e-12, atol=1e-12
    )
