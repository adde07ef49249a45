"""Write the array calibration products: ECSV tables and one HDF5 file of the same tables.

The HDF5 file (PyTables, no dataset time stamps) holds each table as a
structured array at ``/array/calibration/<product>/<name>``: strings as UTF-8
bytes, times as ISO UTC strings, units as the table attributes ``<column>_unit``,
the table metadata as the JSON attribute ``calibpipe_meta``.
"""

import json

import numpy as np

GROUP = "/array/calibration"


def _to_builtin(value):
    if isinstance(value, dict):
        return {str(k): _to_builtin(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_to_builtin(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    return value


def structured(table):
    """A numpy structured array of an astropy table (Time -> ISO UTC string); and the units."""
    from astropy.time import Time

    columns, dtypes, units = [], [], {}
    for name in table.colnames:
        col = table[name]
        if isinstance(col, Time):
            values = np.char.encode(np.asarray(col.utc.isot, dtype=str))
        else:
            values = np.asarray(col)
            if values.dtype.kind == "U" or values.dtype == object:
                values = np.char.encode(values.astype(str))
            if getattr(col, "unit", None) is not None:
                units[name] = str(col.unit)
        columns.append(values)
        dtypes.append((name, values.dtype, values.shape[1:]))
    out = np.zeros(len(table), dtype=dtypes)
    for (name, *_), values in zip(dtypes, columns, strict=True):
        out[name] = values
    return out, units


def write_hdf5(path, product, tables):
    """Write ``tables`` (name -> astropy Table) under ``/array/calibration/<product>``."""
    import tables as pt

    from .dl1_files import hdf5_without_timestamps

    with hdf5_without_timestamps(), pt.open_file(str(path), mode="w") as h5:
        group = h5.create_group(GROUP, product, createparents=True)
        for name, table in tables.items():
            data, units = structured(table)
            node = h5.create_table(group, name, obj=data)
            for col, unit in units.items():
                node.attrs[f"{col}_unit"] = unit
            node.attrs["calibpipe_meta"] = json.dumps(_to_builtin(dict(table.meta)), sort_keys=True)


def describe(table, descriptions):
    """Set the column descriptions of ``table``."""
    for name, text in descriptions.items():
        if name in table.colnames:
            table[name].description = text


def mjd_tai_to_time(values):
    """astropy Time (UTC, isot) of MJD TAI values (NaN stays masked as NaN time)."""
    from astropy.time import Time

    values = np.asarray(values, dtype=float)
    finite = np.where(np.isfinite(values), values, 0.0)
    t = Time(finite, format="mjd", scale="tai").utc
    t.format = "isot"
    return t
