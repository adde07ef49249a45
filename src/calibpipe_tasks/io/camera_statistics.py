"""Read and check the merged pixel statistics of pedestal and flat-field events.

The file is what ``ctapipe-process`` (image extraction of the calibration
events) -> ``ctapipe-calculate-pixel-statistics`` -> ``ctapipe-merge`` make:
per telescope, the tables

``/dl1/monitoring/telescope/calibration/camera/pixel_statistics/<name>/tel_NNN``

with ``<name>`` in ``sky_pedestal_image`` (or ``pedestal_image``),
``flatfield_image`` and ``flatfield_peak_time``, one row per chunk: ``time_start``,
``time_end``, ``n_events``, ``mean``, ``median``, ``std`` of shape
``(n_channels, n_pixels)``, ``outlier_mask``, ``is_valid``.

The extraction window of the charges is read from the table attributes
``EXTRACTOR``, ``WINDOW_WIDTH`` and ``WINDOW_SHIFT`` (the image-extraction tool
of the collection records them); pedestal and flat-field charges must have been
extracted with the same window, or the coefficients are wrong.
"""

import numpy as np

from ..errors import InputDataError
from .muon_tables import SUBARRAY_LAYOUT, open_checked

STATS_GROUP = "/dl1/monitoring/telescope/calibration/camera/pixel_statistics"
FLATFIELD = "flatfield_image"
PEAK_TIME = "flatfield_peak_time"
REQUIRED_COLUMNS = ("time_start", "time_end", "n_events", "mean", "std", "outlier_mask")
WINDOW_KEYS = ("EXTRACTOR", "WINDOW_WIDTH", "WINDOW_SHIFT")


def _tel_ids(h5, path, name):
    where = f"{STATS_GROUP}/{name}"
    if where not in h5:
        raise InputDataError(path, f"no {name} statistics ({where}/tel_NNN)")
    ids = []
    for child in h5.get_node(where)._v_children:
        if child.startswith("tel_") and child[4:].isdigit():
            ids.append(int(child[4:]))
    return set(ids)


def telescopes_with_statistics(path, pedestal_table):
    """Telescope ids that have all three statistics tables in ``path``.

    Raises :class:`InputDataError` if a table is missing for every telescope, or
    a telescope has some but not all of them.
    """
    names = (pedestal_table, FLATFIELD, PEAK_TIME)
    with open_checked(path) as h5:
        if SUBARRAY_LAYOUT not in h5:
            raise InputDataError(path, f"no subarray description ({SUBARRAY_LAYOUT})")
        if STATS_GROUP not in h5:
            raise InputDataError(path, f"no pixel statistics ({STATS_GROUP})")
        per_name = {name: _tel_ids(h5, path, name) for name in names}
        attrs = h5.root._v_attrs
        simulation = "simulation" in h5.root or (
            "CTA PRODUCT DATA CATEGORY" in attrs
            and str(attrs["CTA PRODUCT DATA CATEGORY"]) == "Sim"
        )
    every = set.union(*per_name.values())
    for tel_id in sorted(every):
        lacking = [n for n in names if tel_id not in per_name[n]]
        if lacking:
            raise InputDataError(path, f"tel_{tel_id:03d} has no {', '.join(lacking)} statistics")
    if not every:
        raise InputDataError(path, f"no telescope in {STATS_GROUP}")
    return sorted(every), simulation


def read_checked_table(path, where, required, empty="no rows"):
    """Table ``where`` of HDF5 file ``path`` (ctapipe's ``read_table``): readable, with the
    ``required`` columns and at least one row, else an InputDataError naming the file."""
    from ctapipe.io import read_table

    try:
        table = read_table(path, where)
    except Exception as err:  # noqa: BLE001 - any failure means an unreadable table
        raise InputDataError(path, f"{where}: unreadable table ({err})") from None
    missing = [c for c in required if c not in table.colnames]
    if missing:
        raise InputDataError(path, f"{where}: missing column(s) {', '.join(missing)}")
    if len(table) == 0:
        raise InputDataError(path, f"{where}: {empty}")
    return table


def read_statistics(path, tel_id, pedestal_table):
    """The three tables of one telescope, ``{"pedestal", "flatfield", "peak_time"}``."""
    tables = {}
    for role, name in (
        ("pedestal", pedestal_table),
        ("flatfield", FLATFIELD),
        ("peak_time", PEAK_TIME),
    ):
        where = f"{STATS_GROUP}/{name}/tel_{tel_id:03d}"
        table = read_checked_table(path, where, REQUIRED_COLUMNS, empty="no chunk")
        table.meta["where"] = where
        tables[role] = table
    return tables


def extraction_window(table):
    """``(extractor, width, shift)`` from a table's attributes, or None if not recorded."""
    meta = {str(k).upper(): v for k, v in table.meta.items()}
    if not any(key in meta for key in WINDOW_KEYS):
        return None
    return tuple(str(meta.get(key)) for key in WINDOW_KEYS)


def check_windows(path, tables, window_width=None):
    """The common window width [samples]; :class:`InputDataError` if the charges disagree.

    Parameters
    ----------
    tables : dict of astropy.table.Table
        From :func:`read_statistics`.
    window_width : int, optional
        Given by the user; required when the tables do not record their window,
        and must agree with them when they do.
    """
    ped, ff = tables["pedestal"], tables["flatfield"]
    w_ped, w_ff = extraction_window(ped), extraction_window(ff)
    if w_ped is None and w_ff is None:
        if window_width is None:
            raise InputDataError(
                path,
                f"{ped.meta['where']}: no extraction window recorded "
                "(EXTRACTOR/WINDOW_WIDTH/WINDOW_SHIFT); give --window-width",
            )
        return int(window_width)
    if w_ped != w_ff:
        raise InputDataError(
            path,
            "pedestal and flat-field charges were extracted differently: "
            f"{_describe(w_ped)} vs {_describe(w_ff)}",
        )
    try:
        width = int(w_ped[1])
    except ValueError:
        raise InputDataError(
            path, f"{ped.meta['where']}: WINDOW_WIDTH {w_ped[1]!r} is not an integer"
        ) from None
    if window_width is not None and int(window_width) != width:
        raise InputDataError(
            path,
            f"the charges were extracted with a {width}-sample window, "
            f"not --window-width {window_width}",
        )
    if width < 1:
        raise InputDataError(path, f"WINDOW_WIDTH must be positive, not {width}")
    return width


def _describe(window):
    if window is None:
        return "no recorded window"
    return f"{window[0]} width {window[1]} shift {window[2]}"


def statistics_arrays(path, table, n_pixels, min_events, n_channels=None):
    """``mean, std, n_events, outlier_mask`` of a table as arrays (n_chunks, n_channels, n_pixels).

    Raises :class:`InputDataError` for a wrong pixel count, NaN statistics of a
    pixel that is not an outlier of the input, or a chunk with fewer than
    ``min_events`` events in a pixel.
    """
    where = table.meta["where"]
    arrays = {}
    for name in ("mean", "std", "n_events", "outlier_mask"):
        value = np.asarray(table[name])
        if name == "n_events" and value.ndim == 1:
            value = np.broadcast_to(value[:, None, None], arrays["mean"].shape)
        if value.ndim == 2:  # gain-selected, written without the channel axis
            value = value[:, None, :]
        if value.ndim != 3 or value.shape[-1] != n_pixels:
            raise InputDataError(
                path,
                f"{where}: column {name} has shape {value.shape[1:]}, the camera {n_pixels} pixels",
            )
        arrays[name] = value
    if n_channels is not None and arrays["mean"].shape[1] != n_channels:
        raise InputDataError(
            path, f"{where}: {arrays['mean'].shape[1]} gain channels, the other tables {n_channels}"
        )
    mask = arrays["outlier_mask"].astype(bool)
    bad = ~(np.isfinite(arrays["mean"]) & np.isfinite(arrays["std"])) & ~mask
    if np.any(bad):
        chunk = int(np.argwhere(bad)[0][0])
        raise InputDataError(
            path,
            f"{where}: NaN or infinite statistics in {int(bad.sum())} pixel(s) "
            f"(first in chunk {chunk})",
        )
    n_events = np.where(mask, np.iinfo(np.int64).max, arrays["n_events"])
    low = n_events.reshape(len(n_events), -1).min(axis=1)
    if np.any(low < min_events):
        chunk = int(np.flatnonzero(low < min_events)[0])
        raise InputDataError(
            path,
            f"{where}: chunk {chunk} has only {int(low[chunk])} events in a pixel "
            f"(< --min-events {min_events})",
        )
    return arrays
