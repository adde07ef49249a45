"""One database product per telescope from a table that covers several telescopes.

``muon-throughput`` writes one ECSV table for all telescopes (a row per telescope and
chunk) and ``muon-psf`` one row per telescope plus the binned points; the database keeps
these results per telescope (kinds ``muon-throughput``/``muon-psf``, target ``tel_NNN``),
so that "what was the throughput of telescope 3 at time t" is one indexed query.

Each ECSV file with a ``tel_id`` column is cut into the rows of one telescope (the same
file name; its meta gains ``tel_id`` and ``split_from: {name, sha256}`` naming the file it
came from, whose checksum the provenance record of the step holds); a file without that
column is part of every telescope's product unchanged. A telescope has a result if it has
a row with ``status == "ok"`` in the tables with a ``status`` column (any row where no
table has one); its product's validity is the time range of those rows
(``time_start``/``time_end``, UTC), rounded outward to whole seconds (at least one
second). A telescope without a result gets no product: it is reported as skipped with
the status of its rows.
"""

import hashlib
import io
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np

from ..errors import InputDataError
from .repository import FileBlob

TEL_ID_COLUMN = "tel_id"


@dataclass(frozen=True)
class TelescopePart:
    """The files of one telescope's product and the validity its rows give (or None)."""

    tel_id: int
    files: list
    valid_from: datetime | None
    valid_to: datetime | None


@dataclass(frozen=True)
class SkippedTelescope:
    """A telescope of the table without a result row, and why."""

    tel_id: int
    reason: str


def _read_table(path):
    from astropy.table import Table

    try:
        return Table.read(path, format="ascii.ecsv")
    except Exception as err:  # astropy raises many types for a bad ECSV
        first = str(err).splitlines()[0] if str(err) else type(err).__name__
        raise InputDataError(path, f"not a readable ECSV table ({first})") from None


def telescope_tables(paths):
    """The ECSV tables among ``paths`` that have a ``tel_id`` column, by path (read once)."""
    tables = {}
    for path in paths:
        if path.suffix == ".ecsv":
            table = _read_table(path)
            if TEL_ID_COLUMN in table.colnames:
                tables[path] = table
    return tables


def _ecsv_bytes(table):
    buffer = io.StringIO()
    table.write(buffer, format="ascii.ecsv")
    return buffer.getvalue().encode()


def _whole_seconds(start, end):
    """(floor(start), ceil(end)) to whole seconds, at least one second apart."""
    floor = start.replace(microsecond=0)
    ceil = end.replace(microsecond=0)
    if ceil < end:
        ceil += timedelta(seconds=1)
    return floor, max(ceil, floor + timedelta(seconds=1))


def _result_rows(table):
    """Mask of the rows that carry a result (status "ok" if there is a status column)."""
    if "status" in table.colnames:
        return np.asarray(table["status"]) == "ok"
    return np.ones(len(table), dtype=bool)


def _validity(tables):
    """(start, end) in UTC of the result rows of the tables with time columns, or None."""
    starts, ends = [], []
    for table in tables:
        if "time_start" not in table.colnames or "time_end" not in table.colnames:
            continue
        rows = table[_result_rows(table)]
        if len(rows) == 0:
            continue
        if not hasattr(rows["time_start"], "utc"):  # not an astropy Time column
            continue
        start, end = rows["time_start"].utc, rows["time_end"].utc
        ok = np.isfinite(start.mjd) & np.isfinite(end.mjd)
        if not ok.any():
            continue
        starts.append(start[ok].min().datetime)
        ends.append(end[ok].max().datetime)
    if not starts:
        return None
    return _whole_seconds(min(starts), max(ends))


def split_by_telescope(paths, tables=None, only_tel_id=None):
    """Cut the product files into one product per telescope.

    Parameters
    ----------
    paths : list of pathlib.Path
        The product's files; ECSV tables with a ``tel_id`` column are split.
    tables : dict, optional
        :func:`telescope_tables` of ``paths`` if already read.
    only_tel_id : int, optional
        Keep this telescope only (an error if the tables do not have it).

    Returns
    -------
    parts : list of TelescopePart
        Telescopes with result rows, by tel_id.
    skipped : list of SkippedTelescope
        Telescopes in the tables without a result row.
    """
    tables = telescope_tables(paths) if tables is None else tables
    whole = {path: path.read_bytes() for path in paths if path not in tables}
    tel_ids = sorted({int(t) for table in tables.values() for t in table[TEL_ID_COLUMN]})
    if only_tel_id is not None:
        if only_tel_id not in tel_ids:
            names = ", ".join(p.name for p in tables)
            raise InputDataError(
                next(iter(tables)), f"has no rows of telescope {only_tel_id} ({names})"
            )
        tel_ids = [only_tel_id]
    sources = {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in tables}
    parts, skipped = [], []
    for tel_id in tel_ids:
        rows = {p: t[np.asarray(t[TEL_ID_COLUMN]) == tel_id] for p, t in tables.items()}
        validity = _validity(rows.values())
        # tables with a status column decide whether the telescope has a result
        judged = [r for r in rows.values() if "status" in r.colnames] or list(rows.values())
        if not any(_result_rows(r).any() for r in judged):
            statuses = sorted(
                {str(s) for r in judged if "status" in r.colnames for s in r["status"]}
            )
            skipped.append(SkippedTelescope(tel_id, "; ".join(statuses) or "no rows"))
            continue
        files = []
        for path in paths:
            if path in whole:
                files.append(FileBlob(path.name, whole[path]))
                continue
            part = rows[path]
            part.meta = {**part.meta}
            part.meta["tel_id"] = tel_id
            part.meta["split_from"] = {"name": path.name, "sha256": sources[path]}
            files.append(FileBlob(path.name, _ecsv_bytes(part)))
        start, end = validity if validity is not None else (None, None)
        parts.append(TelescopePart(tel_id, files, start, end))
    return parts, skipped
