"""Native CORSIKA and sim_telarray atmosphere files: ``atmprof_<id>.dat``, ``atm_trans_<id>.dat``.

CORSIKA table (read by the IACT/ATMO package, ``IACT ATMOFILE``)
    Whitespace-separated text, ``#`` comment lines, one row per altitude level in
    increasing altitude::

        alt[km]  rho[g/cm3]  thick[g/cm2]  n-1  T[K]  p[mbar]  pw/p

    Columns 1-4 are required (column 4 holds n-1), 5-7 optional. IACT/ATMO
    interpolates log(rho), log(thick) and log(n-1) linearly in altitude.

sim_telarray transmission table (``atmospheric_transmission``)
    ``#`` comment header, then one line ``# H2= <obs level km>, H1= <alt1> <alt2> ...``
    (emission altitudes above sea level, all above H2), then one row per
    wavelength [nm]: the wavelength, then the optical depth from H2 up to each
    H1 (cumulative, vertical). ``99999.00`` marks a missing value. This is the
    layout simtools 0.38 itself writes from an ``atmospheric_transmission`` ECSV
    asset (``simtools.simtel.table_serializers.AtmosphericTransmissionWriter``)
    and that readers of sim_telarray tables parse (the token after ``H2=`` with
    its trailing comma stripped, then every token after ``H1=``).

Float formatting (fixed, so that re-runs are byte-identical):

* atmprof: altitude ``%10.3f`` (1 m), every other column ``%14.7e`` (8 significant digits);
* atm_trans: header altitudes ``%.3f``, wavelength ``%8.2f``, optical depth ``%14.7e``,
  a missing value ``%14.2f`` of 99999 (``99999.00``).
"""

import numpy as np

#: sim_telarray's marker of a missing optical depth
MISSING_OPTICAL_DEPTH = 99999.0

ATMPROF_COLUMNS = (
    "altitude",
    "density",
    "thickness",
    "refractive_index",
    "temperature",
    "pressure",
    "water_vapor_partial_pressure",
)
ATMPROF_LABELS = ("alt[km]", "rho[g/cm3]", "thick[g/cm2]", "n-1", "T[K]", "p[mbar]", "pw/p")


def _comment_lines(lines):
    out = []
    for line in lines:
        for part in str(line).splitlines() or [""]:
            out.append(f"# {part}".rstrip() + "\n")
    return out


def format_atmprof(columns, header_lines=()):
    """Text of a CORSIKA atmospheric profile table.

    Parameters
    ----------
    columns : dict of str -> ndarray
        Values in the units of the table: ``altitude`` [km], ``density`` [g/cm3],
        ``thickness`` [g/cm2], ``refractive_index`` (n-1), and optionally
        ``temperature`` [K], ``pressure`` [mbar], ``water_vapor_partial_pressure``
        (pw/p). The optional columns are written only if all three are present.
    header_lines : sequence of str
        Comment lines written first (each prefixed with ``# ``).

    Returns
    -------
    str
    """
    names = list(ATMPROF_COLUMNS[:4])
    if all(name in columns for name in ATMPROF_COLUMNS[4:]):
        names += list(ATMPROF_COLUMNS[4:])
    data = np.column_stack([np.asarray(columns[name], dtype=float) for name in names])
    text = _comment_lines(header_lines)
    labels = ATMPROF_LABELS[: len(names)]
    text.append("# " + " ".join(f"{lab:>14}" for lab in labels).lstrip() + "\n")
    row_format = "{:10.3f}" + " {:14.7e}" * (len(names) - 1) + "\n"
    text.extend(row_format.format(*row) for row in data)
    return "".join(text)


def write_atmprof(path, columns, header_lines=()):
    """Write a CORSIKA atmospheric profile table (see :func:`format_atmprof`)."""
    with open(path, "w", encoding="ascii", newline="\n") as f:
        f.write(format_atmprof(columns, header_lines))


def read_atmprof(path):
    """Read a CORSIKA atmospheric profile table as IACT/ATMO does.

    Comment lines (``#``) and blank lines are skipped; every other line holds
    4 to 7 numbers.

    Returns
    -------
    dict of str -> ndarray
        ``altitude`` [km], ``density`` [g/cm3], ``thickness`` [g/cm2],
        ``refractive_index`` (n-1) and, where present, ``temperature`` [K],
        ``pressure`` [mbar], ``water_vapor_partial_pressure``.

    Raises
    ------
    ValueError
        If a data line does not hold 4-7 numbers or the number of columns varies.
    """
    rows = []
    with open(path, encoding="ascii", errors="replace") as f:
        for number, line in enumerate(f, start=1):
            text = line.strip()
            if not text or text.startswith("#"):
                continue
            try:
                values = [float(v) for v in text.split()]
            except ValueError:
                raise ValueError(f"line {number}: not a row of numbers: {text[:60]!r}") from None
            if not 4 <= len(values) <= 7:
                raise ValueError(f"line {number}: {len(values)} columns (expected 4 to 7)")
            if rows and len(values) != len(rows[0]):
                raise ValueError(
                    f"line {number}: {len(values)} columns, earlier rows have {len(rows[0])}"
                )
            rows.append(values)
    if not rows:
        raise ValueError("no data rows")
    data = np.array(rows)
    return {name: data[:, i] for i, name in enumerate(ATMPROF_COLUMNS[: data.shape[1]])}


def format_atm_trans(
    wavelength_nm, altitude_km, optical_depth, observation_level_km, header_lines=()
):
    """Text of a sim_telarray atmospheric transmission table.

    Parameters
    ----------
    wavelength_nm : array_like, shape (n_wavelength,)
        Wavelengths [nm], increasing.
    altitude_km : array_like, shape (n_altitude,)
        Emission altitudes above sea level [km], increasing, all above the observation level.
    optical_depth : array_like, shape (n_wavelength, n_altitude)
        Vertical optical depth from the observation level up to each altitude; NaN
        is written as ``99999.00`` (missing).
    observation_level_km : float
        Observation level H2 above sea level [km].
    header_lines : sequence of str
        Comment lines written first (each prefixed with ``# ``).

    Returns
    -------
    str
    """
    wavelength = np.asarray(wavelength_nm, dtype=float)
    altitude = np.asarray(altitude_km, dtype=float)
    tau = np.asarray(optical_depth, dtype=float)
    text = _comment_lines(header_lines)
    h1 = " ".join(f"{h:.3f}" for h in altitude)
    text.append(f"# H2= {float(observation_level_km):.3f}, H1= {h1}\n")
    row_format = "{:8.2f} " + " ".join(["{:14.7e}"] * altitude.size) + "\n"
    rows = "".join(row_format.format(wl, *row) for wl, row in zip(wavelength, tau, strict=True))
    # NaN prints as "nan" right-aligned in 14 characters: make it sim_telarray's missing marker
    text.append(rows.replace(f"{'nan':>14}", f"{MISSING_OPTICAL_DEPTH:14.2f}"))
    return "".join(text)


def write_atm_trans(
    path, wavelength_nm, altitude_km, optical_depth, observation_level_km, header_lines=()
):
    """Write a sim_telarray atmospheric transmission table (see :func:`format_atm_trans`)."""
    text = format_atm_trans(
        wavelength_nm, altitude_km, optical_depth, observation_level_km, header_lines
    )
    with open(path, "w", encoding="ascii", newline="\n") as f:
        f.write(text)


def read_atm_trans(path):
    """Read a sim_telarray atmospheric transmission table.

    Returns
    -------
    wavelength_nm : ndarray, shape (n_wavelength,)
    altitude_km : ndarray, shape (n_altitude,)
        The H1 emission altitudes.
    optical_depth : ndarray, shape (n_wavelength, n_altitude)
        With NaN where the file holds the missing marker (>= 99999).
    observation_level_km : float
        H2.

    Raises
    ------
    ValueError
        If the ``# H2= ..., H1= ...`` line is missing or a row has the wrong length.
    """
    level = None
    altitudes = None
    rows = []
    with open(path, encoding="ascii", errors="replace") as f:
        for number, line in enumerate(f, start=1):
            text = line.strip()
            if not text:
                continue
            if text.startswith("#"):
                tokens = text.lstrip("#").split()
                if tokens[:1] == ["H2="] and "H1=" in tokens:
                    if altitudes is not None:
                        raise ValueError(f"line {number}: second 'H2= ..., H1= ...' line")
                    try:
                        level = float(tokens[1].rstrip(","))
                        altitudes = np.array([float(v) for v in tokens[tokens.index("H1=") + 1 :]])
                    except (ValueError, IndexError):
                        raise ValueError(f"line {number}: malformed H2/H1 line") from None
                continue
            if altitudes is None:
                raise ValueError(f"line {number}: data before the '# H2= ..., H1= ...' line")
            try:
                values = [float(v) for v in text.split()]
            except ValueError:
                raise ValueError(f"line {number}: not a row of numbers: {text[:60]!r}") from None
            if len(values) != len(altitudes) + 1:
                raise ValueError(
                    f"line {number}: {len(values) - 1} optical depths for "
                    f"{len(altitudes)} altitudes"
                )
            rows.append(values)
    if altitudes is None:
        raise ValueError("no '# H2= <level>, H1= <altitudes>' line")
    if not rows:
        raise ValueError("no wavelength rows")
    data = np.array(rows)
    tau = data[:, 1:]
    tau = np.where(tau >= MISSING_OPTICAL_DEPTH, np.nan, tau)
    return data[:, 0], altitudes, tau, level
