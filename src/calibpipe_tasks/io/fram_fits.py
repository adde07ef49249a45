"""Reader of FRAM aerosol optical depth measurements as ACADA delivers them (FITS).

The layout is the one of the ``ctapipe_mon_acada`` package (0.1.0,
``FRAMReconstructedImages``/``FRAMDL0Monitoring``): a binary-table HDU whose CTAO
data-model header has ``DATATYPE = 'FRAM'`` (``DATALEVL = 'DL0'``, ``DATADIV =
'Monitoring'``), one row per FRAM image, columns

=================  ======  ====================================================
``timestamp``      time    elapsed seconds from ``MJDREF`` (``TIMEUNIT``, ``TIMESYS``),
                           or an astropy-native time column
``ra``, ``dec``    deg     line of sight (ICRS); or ``alt``/``az`` (also
                           ``altitude``/``azimuth``): observed horizontal coordinates
``aod``            --      aerosol optical depth along the line of sight
``aod_err``        --      its 1-sigma error
``peak_wavelength`` nm     peak wavelength of the filter
=================  ======  ====================================================

(plus ``zero_point``, ``img_id``, ``observation_id``, read when present). A
column is *scalar* (one value per image) or *vector-valued* (several stars or
fields per image, fixed or variable length); scalar columns are repeated over
the vector ones. Angle and wavelength columns must carry their unit, as
ACADA's reader requires.

This module reads with ``astropy.io.fits`` against that schema rather than with
``ctapipe_mon_acada.FITSMonitoringSource`` (which the tests use to check that
both read the same numbers): the latter imports ctapipe and ``ctao_datamodel``
(seconds of start-up for a step that needs neither), only logs and skips an HDU
with a missing column, and accepts no alt/az files.

Every problem raises :class:`~calibpipe_tasks.errors.InputDataError` naming the file.
"""

import numpy as np

from ..errors import InputDataError

REQUIRED = ("timestamp", "aod", "aod_err", "peak_wavelength")
EQUATORIAL = ("ra", "dec")
HORIZONTAL = (("alt", "az"), ("altitude", "azimuth"))
OPTIONAL = ("zero_point", "img_id", "observation_id")


def _find_hdu(hdul, path):
    tables = [h for h in hdul if h.header.get("XTENSION") == "BINTABLE"]
    if not tables:
        raise InputDataError(path, "no binary table in the FITS file")
    fram = [h for h in tables if str(h.header.get("DATATYPE", "")).strip().upper() == "FRAM"]
    if fram:
        return fram[0]
    typed = [h for h in tables if "DATATYPE" in h.header]
    if typed:
        kinds = sorted({str(h.header["DATATYPE"]).strip() for h in typed})
        raise InputDataError(path, f"no FRAM table (DATATYPE is {', '.join(kinds)})")
    return tables[0]


def _times(hdu, column, path):
    import astropy.units as u
    from astropy.time import Time

    header = hdu.header
    names = [c.name for c in hdu.columns]
    index = names.index(column) + 1
    raw = np.asarray(hdu.data[column])
    if raw.dtype.kind in "US":
        try:
            return Time(np.char.strip(raw.astype(str)), scale="utc")
        except ValueError:
            raise InputDataError(path, f"column {column}: not ISO times") from None
    values = np.asarray(raw, dtype=float)
    if values.ndim != 1:
        raise InputDataError(path, f"column {column} must be one time per row")
    if not np.all(np.isfinite(values)):
        raise InputDataError(path, f"column {column}: {np.sum(~np.isfinite(values))} times NaN")
    if "MJDREF" in header:
        mjdref = float(header["MJDREF"])
    elif "MJDREFI" in header:
        mjdref = float(header["MJDREFI"]) + float(header.get("MJDREFF", 0.0))
    else:
        raise InputDataError(path, f"column {column} is numeric but the header has no MJDREF")
    unit = str(header.get(f"TCUNI{index}", header.get(f"TUNIT{index}", header.get("TIMEUNIT", ""))))
    seconds = {"s": 1.0, "d": 86400.0, "min": 60.0, "h": 3600.0}.get(unit.strip())
    if seconds is None:
        raise InputDataError(path, f"column {column}: unknown time unit {unit!r}")
    scale = str(header.get(f"TCTYP{index}", header.get("TIMESYS", "UTC"))).strip().lower()
    if scale not in ("utc", "tai", "tt"):
        raise InputDataError(path, f"column {column}: unsupported time scale {scale!r}")
    epoch = Time(mjdref, format="mjd", scale=scale)
    return (epoch + values * seconds * u.s).utc


def _unit(hdu, column):
    names = [c.name for c in hdu.columns]
    return hdu.columns[names.index(column)].unit


def _per_row(data, column, n_rows, path):
    """The column's values (flat) and how many each row holds."""
    raw = data[column]
    try:
        arr = np.asarray(raw, dtype=float)
    except (TypeError, ValueError):
        # variable-length array column: an object array of per-row arrays
        try:
            rows = [np.atleast_1d(np.asarray(v, dtype=float)) for v in raw]
        except (TypeError, ValueError):
            raise InputDataError(path, f"column {column} is not numeric") from None
        lengths = np.fromiter((len(v) for v in rows), dtype=np.int64, count=n_rows)
        return (np.concatenate(rows) if rows else np.zeros(0)), lengths
    arr = arr.reshape(n_rows, -1)
    return arr.ravel(), np.full(n_rows, arr.shape[1], dtype=np.int64)


def read_fram_fits(path):
    """Read one ACADA FRAM FITS file into flat per-measurement arrays.

    Parameters
    ----------
    path : path-like

    Returns
    -------
    dict
        ``time`` (:class:`astropy.time.Time`, UTC), ``row`` and ``element`` (image row
        and position in the row), ``aod``, ``aod_err``, ``peak_wavelength_nm``, and
        either ``ra_deg``/``dec_deg`` or ``alt_deg``/``az_deg``; ``frame``
        (``"icrs"`` or ``"altaz"``), ``n_rows``, ``vector`` (True if a row holds
        several measurements), ``header`` (DATATYPE, ASSEMBLY, TSTART, TSTOP when
        present).
    """
    import astropy.units as u
    from astropy.io import fits

    try:
        hdul = fits.open(path, memmap=False)
    except OSError as err:
        raise InputDataError(path, f"not a readable FITS file ({err})") from None
    with hdul:
        try:
            hdu = _find_hdu(hdul, path)
            data = hdu.data
            names = [c.name for c in hdu.columns]
        except (OSError, ValueError, TypeError) as err:
            raise InputDataError(path, f"not a readable FITS table ({err})") from None
        missing = [c for c in REQUIRED if c not in names]
        if all(c in names for c in EQUATORIAL):
            frame, coords = "icrs", EQUATORIAL
        else:
            pairs = [p for p in HORIZONTAL if all(c in names for c in p)]
            frame, coords = ("altaz", pairs[0]) if pairs else (None, ())
        if frame is None:
            missing.append("ra/dec (or alt/az)")
        if missing:
            raise InputDataError(
                path,
                f"not an ACADA FRAM table: missing column(s) {', '.join(missing)} "
                f"(found: {', '.join(names)})",
            )
        n_rows = 0 if data is None else len(data)
        if n_rows == 0:
            raise InputDataError(path, "the FRAM table has no rows")
        for column, unit in ((coords[0], u.deg), (coords[1], u.deg), ("peak_wavelength", u.nm)):
            given = _unit(hdu, column)
            if not given:
                raise InputDataError(path, f"column {column} has no unit ({unit} expected)")
            try:
                u.Unit(given).to(unit)
            except (ValueError, u.UnitConversionError):
                raise InputDataError(
                    path, f"column {column}: unit {given!r} is not a {unit}"
                ) from None
        time = _times(hdu, "timestamp", path)
        per_row = {
            c: _per_row(data, c, n_rows, path)
            for c in ("aod", "aod_err", "peak_wavelength", *coords)
        }
        lengths = per_row["aod"][1]
        out = {}
        for column, (values, row_len) in per_row.items():
            if np.all(row_len == 1):
                flat = np.repeat(values, lengths)
            elif np.array_equal(row_len, lengths):
                flat = values
            else:
                raise InputDataError(
                    path, f"column {column}: row lengths differ from those of column aod"
                )
            out[column] = flat
        scale = {
            coords[0]: u.Unit(_unit(hdu, coords[0])).to(u.deg),
            coords[1]: u.Unit(_unit(hdu, coords[1])).to(u.deg),
            "peak_wavelength": u.Unit(_unit(hdu, "peak_wavelength")).to(u.nm),
        }
        header = {
            k: str(hdu.header[k]).strip()
            for k in ("DATATYPE", "DATALEVL", "DATADIV", "ASSEMBLY", "TSTART", "TSTOP")
            if k in hdu.header
        }
    row = np.repeat(np.arange(n_rows), lengths)
    element = np.arange(lengths.sum()) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    result = {
        "time": time[row],
        "row": row,
        "element": element,
        "aod": out["aod"],
        "aod_err": out["aod_err"],
        "peak_wavelength_nm": out["peak_wavelength"] * scale["peak_wavelength"],
        "frame": frame,
        "n_rows": n_rows,
        "vector": bool(np.any(lengths != 1)),
        "header": header,
    }
    a, b = ("ra_deg", "dec_deg") if frame == "icrs" else ("alt_deg", "az_deg")
    result[a] = out[coords[0]] * scale[coords[0]]
    result[b] = out[coords[1]] * scale[coords[1]]
    for key in (a, b):
        if not np.all(np.isfinite(result[key])):
            raise InputDataError(path, f"{np.sum(~np.isfinite(result[key]))} NaN coordinates")
    return result
