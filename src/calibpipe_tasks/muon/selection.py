"""Quality selection of muon rings for the throughput and PSF products.

The cuts are ctapipe :class:`~ctapipe.core.QualityQuery` expressions evaluated
on the columns of the DL1 muon table (plain values in the stored units: deg,
m), one query per telescope type: cuts common to every telescope plus cuts for
the types matching a pattern (``fnmatch`` on the ctapipe type string, e.g.
``MST_MST_NectarCam``). Pure: the steps' options and the reading of the muon files are
in :mod:`calibpipe_tasks.steps.muon_options`. Module top level: standard library only (it is
imported when a step's ``--help`` is built).
"""

import logging
from fnmatch import fnmatch

log = logging.getLogger(__name__)

#: cuts on every telescope
DEFAULT_CUTS = [
    "muonefficiency_is_valid",
    "~muonefficiency_parameters_at_limit",
    "np.isfinite(muonefficiency_optical_efficiency)",
    "muonefficiency_optical_efficiency > 0",
    "(muonring_radius > 0.8) & (muonring_radius < 1.5)",
    "muonparameters_containment > 0.9",
]
#: extra cuts per telescope type pattern: impact parameter within about 90 % of
#: the equivalent mirror radius
DEFAULT_TYPE_CUTS = [
    "LST_*=muonefficiency_impact < 10.0",
    "MST_*=muonefficiency_impact < 5.2",
    "SST_*=muonefficiency_impact < 2.0",
]


def parse_type_cuts(items):
    """``["MST_*=expr", ...]`` -> list of (pattern, expr); UsageError if malformed."""
    from ..errors import UsageError

    out = []
    for item in items:
        pattern, sep, expr = item.partition("=")
        if not sep or not pattern.strip() or not expr.strip():
            raise UsageError(f"--type-cut must be PATTERN=EXPR: {item!r}")
        out.append((pattern.strip(), expr.strip()))
    return out


def selection_mask(rings, cuts, type_cuts):
    """Boolean mask of the rings passing the common and telescope-type cuts.

    Parameters
    ----------
    rings : calibpipe_tasks.io.muon_tables.MuonRings
    cuts : list of str
    type_cuts : list of (pattern, str)

    Returns
    -------
    mask : ndarray of bool
    counts : dict
        Per telescope type: rings, rings passing, the criteria applied.
    """
    import numpy as np
    from astropy.table import Table
    from ctapipe.core import QualityQuery

    from ..errors import UsageError

    columns = rings.columns
    tel_id = np.asarray(columns["tel_id"])
    mask = np.zeros(len(tel_id), dtype=bool)
    counts = {}
    if len(tel_id) == 0:
        return mask, counts
    table = Table({k: v for k, v in columns.items() if np.ndim(v) == 1}, copy=False)
    for tel_type in rings.subarray.telescope_types:
        type_name = str(tel_type)
        tels = rings.subarray.get_tel_ids_for_type(tel_type)
        criteria = [(c, c) for c in cuts]
        criteria += [(e, e) for p, e in type_cuts if fnmatch(type_name, p)]
        rows = np.isin(tel_id, tels)
        if not rows.any():
            continue
        query = QualityQuery(quality_criteria=criteria)
        try:
            passed = np.asarray(query.get_table_mask(table[rows]), dtype=bool)
        except Exception as err:  # noqa: BLE001 - a bad expression is a usage error
            raise UsageError(f"quality cut for {type_name} cannot be evaluated: {err}") from None
        mask[rows] = passed
        counts[type_name] = {
            "rings": int(rows.sum()),
            "passed": int(passed.sum()),
            "criteria": [c for c, _ in criteria],
        }
    return mask, counts
