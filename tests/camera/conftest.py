"""Shared synthetic camera statistics (made once per test session)."""

import copy
from dataclasses import dataclass

import numpy as np
import pytest

from .synthetic_camera import (
    StatisticsSpec,
    make_subarray,
    make_truth,
    statistics_tables,
    write_statistics_file,
)

N_RINGS = 10  # 331 pixels


@dataclass
class CameraSample:
    subarray: object
    truths: dict
    spec: StatisticsSpec
    tables: dict
    path: object

    def good(self, tel_id=1):
        truth = self.truths[tel_id]
        good = np.ones(truth.n_pixels, bool)
        good[truth.dead] = False
        good[truth.hot] = False
        return good

    def variant(self, path, spec=None, edit=None):
        """Write a modified copy of the statistics to ``path``; ``edit(tables)`` changes it."""
        tables = copy.deepcopy(self.tables)
        if edit is not None:
            edit(tables)
        write_statistics_file(path, self.subarray, self.truths, spec or self.spec, tables=tables)
        return path


@pytest.fixture(scope="session")
def camera_sample(tmp_path_factory):
    """Two telescopes, two chunks of 2500 pedestal and 2500 flat-field events each."""
    subarray = make_subarray(N_RINGS, tel_ids=(1, 2))
    n_pixels = subarray.tel[1].camera.geometry.n_pixels
    truths = {1: make_truth(n_pixels, seed=1), 2: make_truth(n_pixels, seed=2)}
    spec = StatisticsSpec(n_chunks=2, chunk_size=2500)
    tables = statistics_tables(subarray, truths, spec)
    path = tmp_path_factory.mktemp("camera") / "pixel_statistics.h5"
    write_statistics_file(path, subarray, truths, spec, tables=tables)
    return CameraSample(subarray, truths, spec, tables, path)
