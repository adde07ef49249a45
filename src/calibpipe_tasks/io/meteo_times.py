"""The validity times a meteorological file holds, read from its time axis or headers only.

A campaign is planned from these times before any night's data is read: which nights
the files cover, and with how many analysis times (``plan-campaign``). netCDF files
give their time coordinate (classic and new CDS layouts, as :mod:`.era5_netcdf`
reads them); GRIB files are scanned message by message with ecCodes, reading the
validity date and time of the isobaric z/gh, t, r messages from their headers
without decoding any values (as :mod:`.grib_meteo` skips the messages it does not
need).
"""

import numpy as np

from ..errors import InputDataError
from .meteo_fields import detect_format


def _netcdf_times(path):
    from .era5_netcdf import read_dataset, time_coordinate

    return read_dataset(path, lambda ds: time_coordinate(ds, path))


def _grib_times(path):
    import eccodes
    from eccodes import codes_get_long, codes_grib_new_from_file, codes_release

    from .grib_meteo import ISOBARIC, PARAM_IDS

    stamps = set()
    try:
        with open(path, "rb") as f:
            while (h := codes_grib_new_from_file(f)) is not None:
                try:
                    if codes_get_long(h, "paramId") not in PARAM_IDS:
                        continue
                    level_key = (
                        "indicatorOfTypeOfLevel"
                        if codes_get_long(h, "edition") == 1
                        else "typeOfFirstFixedSurface"
                    )
                    if codes_get_long(h, level_key) != ISOBARIC:
                        continue
                    stamps.add(
                        (codes_get_long(h, "validityDate"), codes_get_long(h, "validityTime"))
                    )
                finally:
                    codes_release(h)
    except eccodes.CodesInternalError as err:
        raise InputDataError(
            path, f"truncated or corrupt GRIB file ({type(err).__name__}: {err})"
        ) from None
    text = [
        f"{d // 10000:04d}-{d // 100 % 100:02d}-{d % 100:02d}T{t // 100:02d}:{t % 100:02d}"
        for d, t in stamps
    ]
    return np.array(text, dtype="datetime64[s]")


def meteo_file_times(path):
    """The distinct validity times of the pressure-level fields in a GRIB or netCDF file.

    Parameters
    ----------
    path : pathlib.Path
        GDAS or ERA5 file, GRIB (edition 1 or 2) or netCDF (classic or new CDS layout);
        the format is detected from the content.

    Returns
    -------
    format : str
        ``"grib"``, ``"netcdf3"`` or ``"netcdf4"``.
    times : numpy.ndarray
        Sorted distinct UTC times, ``datetime64[s]`` (empty if the file holds no
        isobaric z/gh, t or r field).

    Raises
    ------
    InputDataError
        An empty, truncated or unreadable file, or a time axis of unknown unit.
    """
    fmt = detect_format(path)
    times = _grib_times(path) if fmt == "grib" else _netcdf_times(path)
    return fmt, np.unique(times.astype("datetime64[s]"))
