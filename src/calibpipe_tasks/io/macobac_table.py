"""Reading the 12-MACOBAC table (``macobac.ecsv``, written by ``compute-macobac``).

One row; column ``co2_concentration`` [ppm] (see ``calibpipe_tasks.steps.compute_macobac``).
"""

from ..errors import InputDataError
from .table_checks import Col, TableKind, read_ecsv

#: plausible CO2 mole fractions [ppm] (today's air: about 420)
PLAUSIBLE_PPM = (100.0, 2000.0)
#: the checks of every step reading a 12-MACOBAC (:mod:`.table_checks`)
KIND = TableKind(
    name="12-MACOBAC table",
    columns={"co2_concentration": Col("ppm", positive=True)},
    min_rows=1,
    max_rows=1,
)


def read_macobac(path):
    """The CO2 concentration [ppm] of a 12-MACOBAC table, checked.

    Raises
    ------
    InputDataError
        Not ECSV, not exactly one row, the column missing, not in ppm-equivalent
        units, not finite, or outside :data:`PLAUSIBLE_PPM`.
    """
    from .. import units

    units.enable()
    table = read_ecsv(path, KIND)
    co2 = float(table["co2_concentration"].quantity.to_value(units.PPM)[0])
    low, high = PLAUSIBLE_PPM
    if not low < co2 < high:
        raise InputDataError(path, f"implausible CO2 concentration {co2} ppm")
    return co2
