"""Reader of the Scripps CO2 Program monthly Mauna Loa in-situ record.

The file (``monthly_in_situ_co2_mlo.csv``) has a quoted text header, three
column-title lines, then one comma-separated row per month: year, month, Excel
date, decimal date, CO2 [ppm] (column 5), seasonally adjusted, fit, ... with
``-99.99`` for missing values. Source: R. F. Keeling et al., Scripps CO2 Program,
https://scrippsco2.ucsd.edu.
"""

from dataclasses import dataclass

import numpy as np

from ..errors import InputDataError

MISSING = -99.99


@dataclass
class MonthlyCO2:
    """Monthly CO2 record: ``year``, ``month`` (int arrays), ``co2_ppm`` (NaN where missing)."""

    year: np.ndarray
    month: np.ndarray
    co2_ppm: np.ndarray


def read_scripps_monthly_co2(path):
    """Read a Scripps monthly CO2 CSV file.

    Parameters
    ----------
    path : path-like
        The CSV file.

    Returns
    -------
    MonthlyCO2
        One entry per data row, in file order; missing values (``-99.99``) are NaN.

    Raises
    ------
    InputDataError
        If the file is empty, not text, or has no data rows in the expected layout.
    """
    try:
        with open(path, encoding="utf-8", errors="strict") as f:
            lines = f.read().splitlines()
    except UnicodeDecodeError:
        raise InputDataError(
            path, "not a text file (expected the Scripps monthly CO2 CSV)"
        ) from None
    if not lines:
        raise InputDataError(path, "file is empty")
    rows = []
    for number, line in enumerate(lines, start=1):
        fields = [f.strip() for f in line.split(",")]
        if not fields[0].isdigit():
            continue  # quoted header or column titles
        if len(fields) < 5:
            raise InputDataError(
                path, f"line {number}: expected at least 5 columns, got {len(fields)}"
            )
        try:
            rows.append((int(fields[0]), int(fields[1]), float(fields[4])))
        except ValueError:
            raise InputDataError(
                path, f"line {number}: not a number in columns 1, 2 or 5"
            ) from None
    if not rows:
        raise InputDataError(
            path, "no monthly data rows found (is this the Scripps monthly CO2 CSV?)"
        )
    data = np.array(rows, dtype=float)
    year = data[:, 0].astype(int)
    month = data[:, 1].astype(int)
    if np.any((month < 1) | (month > 12)):
        bad = int(np.flatnonzero((month < 1) | (month > 12))[0])
        raise InputDataError(path, f"invalid month {month[bad]} in data row {bad + 1}")
    co2 = data[:, 2]
    co2 = np.where(np.isclose(co2, MISSING) | (co2 <= 0), np.nan, co2)
    return MonthlyCO2(year=year, month=month, co2_ppm=co2)
