"""One declarative validation per kind of input table or JSON record.

Every step that reads a table of a kind (the meteorological table, the MDP, the
12-MACOBAC, a reference model, ...) reads it with :func:`read_ecsv` and checks it
with :func:`check_table` against the kind's :class:`TableKind`: required columns,
units (equivalent under astropy), the number of rows, finite (and, where the
physics needs it, positive) values, and monotonic columns (e.g. pressure
decreasing with altitude within each profile). JSON records are read with
:func:`read_json_object` (a JSON object with the required keys). Every problem is
an :class:`~calibpipe_tasks.errors.InputDataError` naming the file, the column
and, where a row is at fault, the row (1-based) and its altitude or index value:
one line, exit code 3.

The kinds themselves are declared next to their readers (``io/meteo_table.py``,
``io/reference_atmosphere.py``, ...) and collected in :data:`KINDS` for the tests.
"""

from dataclasses import dataclass, field

import numpy as np

from ..errors import InputDataError, one_line


@dataclass(frozen=True)
class Col:
    """A required column.

    Attributes
    ----------
    unit : str or None
        Unit the column must be equivalent to (``""``: dimensionless; a column
        without a unit counts as dimensionless); None: not numeric, no check.
    finite : bool
        Every value must be finite (no NaN, no inf).
    positive : bool
        Every value must be > 0 (densities, pressures, ...).
    exact : bool
        The unit must be equal, not only equivalent (for readers that use the stored
        values as they are); a dimensionless column is always compared exactly, so
        that ``%`` is not taken for a ratio.
    time : bool
        The column holds times: an astropy ``Time``, or strings that parse as UTC
        times (the column is then replaced by the ``Time``).
    description : str
        What the column holds (for documentation).
    """

    unit: str | None = ""
    finite: bool = True
    positive: bool = False
    exact: bool = False
    time: bool = False
    description: str = ""


@dataclass(frozen=True)
class Monotonic:
    """``column`` must strictly increase or decrease along ``along`` (or the row order).

    Attributes
    ----------
    column : str
    direction : {"increasing", "decreasing"}
    along : str or None
        The column giving the order (e.g. ``altitude``); None: the row order.
    group_by : tuple of str
        Columns whose equal values make one profile (e.g. time, latitude,
        longitude); the order is checked within each profile.
    """

    column: str
    direction: str
    along: str | None = None
    group_by: tuple = ()


@dataclass(frozen=True)
class TableKind:
    """What a table of one kind must hold.

    Attributes
    ----------
    name : str
        What the table is, in messages ("molecular density profile").
    columns : dict of str -> Col
    min_rows, max_rows : int, int or None
    meta : tuple of str
        Required table meta keys.
    monotonic : tuple of Monotonic
    locate_by : str or None
        Column named with the row in messages (e.g. ``altitude``).
    """

    name: str
    columns: dict
    min_rows: int = 1
    max_rows: int | None = None
    meta: tuple = ()
    monotonic: tuple = field(default_factory=tuple)
    locate_by: str | None = None


def read_ecsv(path, kind):
    """Read ``path`` as an ECSV table of ``kind`` (a :class:`TableKind`) and check it.

    Returns
    -------
    astropy.table.Table

    Raises
    ------
    InputDataError
        If the file is not readable ECSV or the table does not follow ``kind``.
    """
    from astropy.table import Table

    try:
        table = Table.read(path, format="ascii.ecsv")
    except Exception as err:  # noqa: BLE001 - astropy raises many types for malformed files
        raise InputDataError(
            path, f"not a readable ECSV {kind.name} ({type(err).__name__}: {one_line(err)})"
        ) from None
    check_table(table, kind, path)
    return table


def _where(table, kind, row):
    """`` at altitude 15 km (row 31)`` for the 0-based ``row``."""
    text = f"row {row + 1}"
    if kind.locate_by and kind.locate_by in table.colnames:
        col = table[kind.locate_by]
        value = col[row]
        unit = f" {col.unit}" if getattr(col, "unit", None) is not None else ""
        text = f"{kind.locate_by} {value:g}{unit}, {text}" if _is_number(value) else text
    return f" at {text}"


def _is_number(value):
    return isinstance(value, int | float | np.integer | np.floating)


def _values(table, name, path, kind):
    col = table[name]
    try:
        return np.asarray(getattr(col, "value", col), dtype=float)
    except (TypeError, ValueError):
        raise InputDataError(path, f"{kind.name}: column {name} is not numeric") from None


def check_table(table, kind, path=None):
    """Raise :class:`InputDataError` (one line) unless ``table`` follows ``kind``."""
    import astropy.units as u

    missing = [c for c in kind.columns if c not in table.colnames]
    if missing:
        raise InputDataError(path, f"{kind.name} lacks column(s) {', '.join(missing)}")
    if kind.min_rows == kind.max_rows and len(table) != kind.min_rows:
        rows = "one row" if kind.min_rows == 1 else f"{kind.min_rows} rows"
        raise InputDataError(path, f"{kind.name} must have exactly {rows}, has {len(table)}")
    if len(table) < kind.min_rows:
        rows = "no rows" if len(table) == 0 else f"only {len(table)} row(s)"
        raise InputDataError(path, f"{kind.name} has {rows}, at least {kind.min_rows} needed")
    if kind.max_rows is not None and len(table) > kind.max_rows:
        raise InputDataError(
            path, f"{kind.name} must have at most {kind.max_rows} row(s), has {len(table)}"
        )
    missing_meta = [k for k in kind.meta if k not in table.meta]
    if missing_meta:
        raise InputDataError(path, f"{kind.name} lacks meta {', '.join(missing_meta)}")
    values = {}
    for name, spec in kind.columns.items():
        if spec.time:
            _check_time(table, name, kind, path)
        if spec.unit is None:
            continue
        col_unit = getattr(table[name], "unit", None)
        expected = u.Unit(spec.unit)
        actual = u.Unit(col_unit or "")
        if spec.exact or expected == u.dimensionless_unscaled:
            same = actual.is_equivalent(expected) and actual.to(expected) == 1.0
        else:
            same = actual.is_equivalent(expected)
        if not same:
            raise InputDataError(
                path,
                f"{kind.name}: column {name} has unit {col_unit or 'none'}, "
                f"expected {str(expected) or 'dimensionless'}",
            )
        data = values[name] = _values(table, name, path, kind)
        if data.ndim != 1:
            raise InputDataError(path, f"{kind.name}: column {name} is not one value per row")
        if spec.finite:
            bad = np.flatnonzero(~np.isfinite(data))
            if bad.size:
                what = "NaN" if np.isnan(data[bad[0]]) else "infinite"
                raise InputDataError(
                    path,
                    f"{kind.name}: column {name} is {what}{_where(table, kind, bad[0])}"
                    + (f" ({bad.size} rows)" if bad.size > 1 else ""),
                )
        if spec.positive:
            bad = np.flatnonzero(data <= 0)
            if bad.size:
                raise InputDataError(
                    path,
                    f"{kind.name}: column {name} is not positive{_where(table, kind, bad[0])}",
                )
    for rule in kind.monotonic:
        _check_monotonic(table, kind, rule, values, path)


def _check_time(table, name, kind, path):
    from astropy.time import Time

    if isinstance(table[name], Time):
        return
    try:
        table[name] = Time(table[name], scale="utc")
    except (TypeError, ValueError):
        first = str(table[name][0])
        raise InputDataError(
            path, f"{kind.name}: column {name} is not a time (first value {first!r})"
        ) from None


def _check_monotonic(table, kind, rule, values, path):
    data = values.get(rule.column)
    if data is None:
        data = _values(table, rule.column, path, kind)
    n = len(data)
    if rule.along is None:
        keys = [np.arange(n)]
    else:
        keys = [
            values[rule.along] if rule.along in values else _values(table, rule.along, path, kind)
        ]
    group_keys = []
    for name in rule.group_by:  # times and strings: compare as their sorted codes
        col = table[name]
        g = np.asarray(col.mjd if hasattr(col, "mjd") else col)
        _, codes = np.unique(g, return_inverse=True)
        group_keys.append(codes.ravel())
    order = np.lexsort([*keys[::-1], *group_keys[::-1]])
    same_group = np.ones(n - 1, dtype=bool)
    for codes in group_keys:
        same_group &= codes[order][1:] == codes[order][:-1]
    step = np.diff(data[order])
    wrong = (step <= 0) if rule.direction == "increasing" else (step >= 0)
    if rule.along is not None and rule.along != rule.column:
        # equal positions along the axis are a duplicate level, also an error
        wrong |= np.diff(keys[0][order]) == 0
    bad = np.flatnonzero(wrong & same_group)
    if bad.size:
        row = int(order[bad[0] + 1])
        verb = "increase" if rule.direction == "increasing" else "decrease"
        along = f" with {rule.along}" if rule.along and rule.along != rule.column else ""
        within = " within a profile" if rule.group_by else ""
        raise InputDataError(
            path,
            f"{kind.name}: column {rule.column} does not strictly {verb}{along}{within}"
            f"{_where(table, kind, row)}",
        )


def read_json_object(path, what, required=(), strings=()):
    """Read ``path`` as a JSON object (a mapping) with the keys ``required``.

    Parameters
    ----------
    path : path-like
    what : str
        What the document is, in messages ("selection record").
    required : sequence of str
        Keys that must be present.
    strings : sequence of str
        Keys whose values, where present, must be strings.

    Raises
    ------
    InputDataError
        Not UTF-8 JSON, not an object, a key missing or of the wrong type.
    """
    import json
    from pathlib import Path

    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as err:
        raise InputDataError(path, f"not a JSON {what} ({one_line(err)})") from None
    if not isinstance(data, dict):
        raise InputDataError(path, f"{what} must be a JSON object, found {_json_type(data)}")
    missing = [k for k in required if k not in data]
    if missing:
        raise InputDataError(path, f"{what} lacks key(s) {', '.join(missing)}")
    for key in strings:
        if key in data and not isinstance(data[key], str):
            raise InputDataError(path, f"{what}: {key} must be a string, found {data[key]!r}")
    return data


def _json_type(data):
    return {
        list: "an array",
        str: "a string",
        int: "a number",
        float: "a number",
        bool: "a boolean",
        type(None): "null",
    }.get(type(data), type(data).__name__)
