"""The fast numeric ECSV writer reads back with astropy (units, descriptions, meta, values)."""

import numpy as np
from astropy.table import Table

from calibpipe_tasks.io.ecsv_numeric import write_numeric_ecsv


def test_round_trip(tmp_path):
    table = Table()
    table["wavelength"] = np.repeat([200.0, 201.0], 3)
    table["wavelength"].unit = "nm"
    table["wavelength"].description = "vacuum wavelength"
    table["tau"] = np.linspace(0.1, 1e-5, 6)
    table.meta["observatory_level"] = 2.15
    path = tmp_path / "t.ecsv"
    write_numeric_ecsv(table, path, ("%g", "%.17g"))
    back = Table.read(path, format="ascii.ecsv")
    assert back.meta == {"observatory_level": 2.15}
    assert back["wavelength"].unit == "nm" and back["wavelength"].description == "vacuum wavelength"
    np.testing.assert_array_equal(back["wavelength"], table["wavelength"])
    np.testing.assert_array_equal(back["tau"], table["tau"])  # %.17g round-trips doubles
