"""Read ctapipe DL1 muon tables with their event times, from one or many files.

ctapipe (``ctapipe-process --write-muon-parameters``, or ``process-muons``)
writes one table per telescope at ``/dl1/event/telescope/muon/tel_NNN`` (index
``obs_id, event_id, tel_id``; columns ``muonring_*``, ``muonparameters_*``,
``muonefficiency_*``); event times are in ``/dl1/event/telescope/trigger``, one
row per telescope and event, so the join is on ``obs_id, event_id`` **and**
``tel_id`` (joining on the event alone duplicates rings when several telescopes
triggered). Every file must hold the same subarray.
"""

from dataclasses import dataclass

import numpy as np

from ..errors import InputDataError
from .table_checks import Col, TableKind, check_table

MUON_GROUP = "/dl1/event/telescope/muon"
TRIGGER_TABLE = "/dl1/event/telescope/trigger"
SUBARRAY_LAYOUT = "/configuration/instrument/subarray/layout"
#: the columns of a muon table the throughput and PSF steps use, in the units ctapipe
#: writes (exactly: the cuts and products use the stored values); NaN is allowed (a
#: failed fit), the quality cuts remove it
MUON_KIND = TableKind(
    name="muon table",
    columns={
        "obs_id": Col(None, finite=False),
        "event_id": Col(None, finite=False),
        "tel_id": Col(None, finite=False),
        "muonring_radius": Col("deg", finite=False, exact=True),
        "muonefficiency_width": Col("deg", finite=False, exact=True),
        "muonefficiency_impact": Col("m", finite=False, exact=True),
        "muonefficiency_optical_efficiency": Col("", finite=False),
    },
    min_rows=0,
)


@dataclass
class MuonRings:
    """Muon rings of all input files.

    Attributes
    ----------
    subarray : ctapipe.instrument.SubarrayDescription
        The (common) subarray of the inputs.
    columns : dict of str -> ndarray
        One entry per ring: ``obs_id``, ``event_id``, ``tel_id``, ``time_mjd``
        (TAI MJD of the telescope trigger) and every muon table column as a
        plain array, in the units stored in the file (deg, m).
    units : dict of str -> str
        Unit of each column that has one.
    """

    subarray: object
    columns: dict
    units: dict

    def __len__(self):
        return len(self.columns["tel_id"])


def open_checked(path):
    """Open ``path`` read-only with PyTables; :class:`InputDataError` if it is not usable HDF5."""
    import tables

    try:
        return tables.open_file(str(path), mode="r")
    except Exception:  # noqa: BLE001 - HDF5ExtError, OSError, ...: all mean "unusable"
        raise InputDataError(
            path, "cannot be opened as HDF5 (not HDF5, truncated or corrupt)"
        ) from None


def read_subarray(path):
    """The :class:`~ctapipe.instrument.SubarrayDescription` stored in ``path``."""
    from ctapipe.instrument import SubarrayDescription

    with open_checked(path) as h5:
        if SUBARRAY_LAYOUT not in h5:
            raise InputDataError(path, f"no subarray description ({SUBARRAY_LAYOUT})")
    try:
        return SubarrayDescription.from_hdf(path)
    except Exception as err:  # noqa: BLE001 - any failure means an unusable description
        raise InputDataError(path, f"unreadable subarray description ({err})") from None


def _tel_tables(path):
    with open_checked(path) as h5:
        if MUON_GROUP not in h5:
            raise InputDataError(path, f"no muon tables ({MUON_GROUP}/tel_NNN)")
        if TRIGGER_TABLE not in h5:
            raise InputDataError(path, f"no trigger table ({TRIGGER_TABLE}) for the event times")
        return sorted(node._v_name for node in h5.get_node(MUON_GROUP)._f_iter_nodes("Table"))


def _keys(left, right):
    """Comparable keys of the (obs_id, event_id, tel_id) rows of two tables.

    One int64 per row when the value ranges allow it (fast sort and search),
    otherwise a structured array ordering the same way.
    """
    left = [np.asarray(c, dtype=np.int64) for c in left]
    right = [np.asarray(c, dtype=np.int64) for c in right]
    both = [np.concatenate([a, b]) for a, b in zip(left, right, strict=True)]
    if all(b.size for b in both):
        lows = [b.min() for b in both]
        widths = [int(b.max() - low) + 1 for b, low in zip(both, lows, strict=True)]
        if np.prod([float(w) for w in widths]) < 2.0**62:

            def combine(cols):
                key = np.zeros(cols[0].size, dtype=np.int64)
                for col, low, width in zip(cols, lows, widths, strict=True):
                    key = key * width + (col - low)
                return key

            return combine(left), combine(right)
    dtype = [("obs_id", "<i8"), ("event_id", "<i8"), ("tel_id", "<i8")]

    def structured(cols):
        key = np.empty(cols[0].size, dtype=dtype)
        for (name, _), col in zip(dtype, cols, strict=True):
            key[name] = col
        return key

    return structured(left), structured(right)


def _read_file(path):
    from astropy.table import vstack
    from ctapipe.io import read_table

    names = _tel_tables(path)
    try:
        trigger = read_table(path, TRIGGER_TABLE)
        parts = [read_table(path, f"{MUON_GROUP}/{name}") for name in names]
    except Exception as err:  # noqa: BLE001 - corrupt tables: one line, not a traceback
        raise InputDataError(path, f"unreadable table ({err})") from None
    for name, part in zip(names, parts, strict=True):
        check_table(part, MUON_KIND, f"{path} ({MUON_GROUP}/{name})")
    parts = [p for p in parts if len(p)]
    if not parts:
        return None, {}
    muon = vstack(parts, join_type="exact") if len(parts) > 1 else parts[0]

    index = ("obs_id", "event_id", "tel_id")
    trig_key, mu_key = _keys([trigger[c] for c in index], [muon[c] for c in index])
    order = np.argsort(trig_key)
    trig_key = trig_key[order]
    pos = np.minimum(np.searchsorted(trig_key, mu_key), max(len(trig_key) - 1, 0))
    found = (len(trig_key) > 0) & (trig_key[pos] == mu_key)
    if not np.all(found):
        missing = int(np.count_nonzero(~found))
        raise InputDataError(
            path, f"{missing} muon rows have no (obs_id, event_id, tel_id) in {TRIGGER_TABLE}"
        )
    time_mjd = trigger["time"].tai.mjd[order][pos]

    columns, units = {}, {}
    for name in muon.colnames:
        col = muon[name]
        unit = getattr(col, "unit", None)
        if unit is not None:
            units[name] = str(unit)
        columns[name] = np.asarray(getattr(col, "value", col))
    columns["time_mjd"] = np.asarray(time_mjd, dtype=float)
    return columns, units


def read_muon_rings(paths):
    """Read and join the muon tables and trigger times of ``paths``.

    Raises
    ------
    InputDataError
        A file is not HDF5, has no muon tables, no trigger table, rows without
        a trigger time, or a subarray different from the first file's.
    """
    first_subarray, first_path = None, None
    pieces, units = [], {}
    for path in paths:
        subarray = read_subarray(path)
        if first_subarray is None:
            first_subarray, first_path = subarray, path
        elif subarray != first_subarray:
            raise InputDataError(
                path, f"subarray differs from that of {first_path}; process them separately"
            )
        columns, file_units = _read_file(path)
        units.update(file_units)
        if columns is not None:
            pieces.append(columns)
    if pieces:
        common = [name for name in pieces[0] if all(name in p for p in pieces[1:])]
        columns = {name: np.concatenate([p[name] for p in pieces]) for name in common}
    else:
        columns = {
            "obs_id": np.zeros(0, np.int64),
            "event_id": np.zeros(0, np.int64),
            "tel_id": np.zeros(0, np.int16),
            "time_mjd": np.zeros(0),
        }
    return MuonRings(subarray=first_subarray, columns=columns, units=units)
