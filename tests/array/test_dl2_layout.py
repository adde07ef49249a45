"""The subarray read without ctapipe (``io.dl2_events.read_layout``) is ctapipe's.

``array-pair-stats`` reads telescope ids, type names and positions from
``/configuration/instrument`` with PyTables; ctapipe's ``SubarrayDescription.from_hdf``
stays the contract: same ids, same ``str(subarray.tel[t])``, same positions, and the same
order (ctapipe's telescope index order, that of the ``tels_with_trigger`` mask: the
layout's rows, not sorted ids).
"""

import numpy as np
import pytest
import tables
from conftest import DATA
from dl2_synthetic import build_subarray

from calibpipe_tasks.io.dl2_events import _layout_from_ctapipe, read_layout


def _direct(path):
    with tables.open_file(str(path)) as h5:
        return read_layout(h5, path)


@pytest.mark.parametrize(
    "path",
    [DATA / "array" / "obs101.dl2.h5", DATA / "muon" / "run201.dl1.h5"],
    ids=["array-sample", "muon-sample"],
)
def test_direct_layout_equals_ctapipe_on_samples(path):
    ids, names, pos = _direct(path)
    ref_ids, ref_names, ref_pos = _layout_from_ctapipe(path)
    assert ids.tolist() == ref_ids.tolist()
    assert names.tolist() == ref_names.tolist()
    assert np.array_equal(pos, ref_pos)


def test_direct_layout_equals_ctapipe_three_types_ids_out_of_order(tmp_path):
    # ids given out of order, three types: positions, types and the telescope index order
    # (not sorted: the trigger mask follows it) must come out as ctapipe gives them
    layout = {
        17: ("SST", 455.5, -12.25),
        3: ("MST", 160.0, 0.0),
        40: ("LST", -70.0, 70.0),
        8: ("MST", -160.0, 33.0),
        1: ("SST", 900.0, 900.0),
    }
    path = tmp_path / "subarray.h5"
    build_subarray(layout, name="unordered").to_hdf(path)
    ids, names, pos = _direct(path)
    ref_ids, ref_names, ref_pos = _layout_from_ctapipe(path)
    assert ids.tolist() == ref_ids.tolist() == [17, 3, 40, 8, 1]
    assert names.tolist() == ref_names.tolist()
    assert len(set(names.tolist())) == 3
    assert np.array_equal(pos, ref_pos)
    assert pos[ids.tolist().index(17)].tolist() == [455.5, -12.25, 0.0]
