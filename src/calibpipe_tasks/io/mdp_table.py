"""Reading the molecular density profile (``mdp.ecsv``, written by ``create-mdp``).

Columns ``altitude`` [km] (strictly increasing), ``number_density`` [1/cm3]
(finite, positive), ``number_density_std`` [1/cm3], ``extrapolated``; meta
``site``, ``window_start``, ... (see ``calibpipe_tasks.steps.create_mdp``).
"""

from .table_checks import Col, Monotonic, TableKind, read_ecsv

#: the checks of every step reading an MDP (:mod:`.table_checks`)
KIND = TableKind(
    name="molecular density profile",
    columns={
        "altitude": Col("km"),
        "number_density": Col("1 / cm3", positive=True),
    },
    monotonic=(Monotonic("altitude", "increasing"),),
    locate_by="altitude",
)


def read_mdp(path):
    """Read and check an MDP; returns an astropy Table.

    Raises
    ------
    InputDataError
        Not ECSV, a column missing or in other units, no rows, a NaN, infinite or
        non-positive density (named with its altitude), altitudes not increasing.
    """
    return read_ecsv(path, KIND)
