"""Per-group sigma clipping and chunking against astropy, on data with outliers."""

import numpy as np
import pytest
from astropy.stats import sigma_clipped_stats

from calibpipe_tasks.muon.aggregation import (
    chunk_by_count,
    chunk_by_time,
    grouped_sigma_clipped_stats,
)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_grouped_stats_equal_astropy_sigma_clipped_stats_per_group(seed):
    rng = np.random.default_rng(seed)
    n = 20_000
    tel = rng.integers(1, 5, n)
    chunk = rng.integers(-2, 12, n)
    values = rng.normal(0.2, 0.01, n)
    outliers = rng.uniform(size=n) < 0.05
    values[outliers] += rng.normal(0, 0.1, outliers.sum())
    stats = grouped_sigma_clipped_stats((tel, chunk), values, sigma=3.0, maxiters=5)
    assert stats["n"].sum() == n
    for g in range(len(stats["n"])):
        sel = (tel == stats["keys"][0][g]) & (chunk == stats["keys"][1][g])
        mean, median, std = sigma_clipped_stats(values[sel], sigma=3.0, maxiters=5)
        assert stats["n"][g] == sel.sum()
        np.testing.assert_allclose(
            [stats["mean"][g], stats["median"][g], stats["std"][g]],
            [mean, median, std],
            rtol=1e-10,
        )
    # groups come out sorted by (tel, chunk)
    keys = list(zip(*stats["keys"], strict=True))
    assert keys == sorted(keys)


def test_group_of_one_and_identical_values():
    stats = grouped_sigma_clipped_stats(
        (np.array([1, 2, 2, 2]), np.array([0, 0, 0, 0])), np.array([5.0, 1.0, 1.0, 1.0])
    )
    assert list(stats["n"]) == [1, 3]
    assert list(stats["mean"]) == [5.0, 1.0] and list(stats["std"]) == [0.0, 0.0]


def test_keys_too_wide_for_one_integer_fall_back_to_ranks():
    keys = (np.array([0, 2**40, 0, 2**40]), np.array([0, 0, 2**30, 2**30]))
    stats = grouped_sigma_clipped_stats(keys, np.array([1.0, 2.0, 3.0, 4.0]))
    assert list(stats["mean"]) == [1.0, 3.0, 2.0, 4.0]


def test_chunk_by_count_runs_of_n_in_time_per_group():
    tel = np.array([1, 2, 1, 1, 2, 1, 1])
    time = np.array([5.0, 1.0, 1.0, 3.0, 0.0, 2.0, 4.0])
    chunk = chunk_by_count(tel, time, 2)
    # tel 1 in time order: t=1,2 -> 0; t=3,4 -> 1; t=5 -> 2; tel 2: t=0,1 -> 0
    assert list(chunk) == [2, 0, 0, 1, 0, 0, 1]


def test_chunk_by_time_from_origin():
    time = np.array([10.0, 10.4, 11.0, 12.9])
    assert list(chunk_by_time(np.zeros(4), time, 1.0)) == [0, 0, 1, 2]
    assert list(chunk_by_time(np.zeros(4), time, 1.0, origin=10.5)) == [-1, -1, 0, 2]
