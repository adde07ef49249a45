"""The clear-night assessment record (``clear_night.json``) as other steps read it.

``assess-clear-night`` writes the record; ``create-atmospheric-model`` puts its
verdict into the SimPipe exchange manifest (:func:`manifest_block`) and
``validate-exchange`` checks the manifest against it. Only the keys used there
are checked here; every problem is an :class:`~calibpipe_tasks.errors.InputDataError`
naming the file.
"""

import json
import math
from pathlib import Path

from ..errors import InputDataError
from ..outputs import sha256_of

PRODUCT = "clear-night assessment"
#: the verdicts of :class:`calibpipe_tasks.aerosol.verdict.Verdict` (kept as strings: no import)
VERDICTS = ("clear", "aerosol", "variable", "insufficient-data")


def _number(path, record, key, minimum=None):
    value = record.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise InputDataError(path, f"{key} must be a finite number, not {value!r}")
    if minimum is not None and value < minimum:
        raise InputDataError(path, f"{key} must be >= {minimum:g}, not {value!r}")
    return float(value)


def read_clear_night_record(path):
    """Read and check a ``clear_night.json``; return it as a dict.

    Parameters
    ----------
    path : path-like
        The record written by ``assess-clear-night``.

    Returns
    -------
    dict
        The record, with at least ``verdict``, ``reason``, ``mean_vaod``,
        ``mean_vaod_err``, ``reference_wavelength_nm``, ``n_used``, ``site.name``
        and ``night.start``/``night.end`` checked.

    Raises
    ------
    InputDataError
        Not JSON, not an assessment record, or a checked key missing or invalid.
    """
    path = Path(path)
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise InputDataError(path, f"not a readable JSON file ({err})") from None
    if not isinstance(record, dict) or record.get("product") != PRODUCT:
        raise InputDataError(path, f"not a {PRODUCT} record (clear_night.json)")
    if record.get("verdict") not in VERDICTS:
        raise InputDataError(
            path, f"verdict {record.get('verdict')!r} is not one of {', '.join(VERDICTS)}"
        )
    if not isinstance(record.get("reason"), str) or not record["reason"]:
        raise InputDataError(path, "has no reason")
    _number(path, record, "mean_vaod")
    _number(path, record, "mean_vaod_err", minimum=0.0)
    _number(path, record, "reference_wavelength_nm", minimum=0.0)
    n_used = record.get("n_used")
    if isinstance(n_used, bool) or not isinstance(n_used, int) or n_used < 0:
        raise InputDataError(path, f"n_used must be a non-negative integer, not {n_used!r}")
    site, night = record.get("site"), record.get("night")
    if not isinstance(site, dict) or not isinstance(site.get("name"), str):
        raise InputDataError(path, "has no site name")
    if not isinstance(night, dict) or not all(
        isinstance(night.get(k), str) for k in ("start", "end")
    ):
        raise InputDataError(path, "has no night start/end")
    return record


def manifest_block(path, record, night_utc):
    """The ``clear_night`` block of the exchange manifest for a checked record.

    Parameters
    ----------
    path : path-like
        The record file (its basename, size and sha256 go into the block).
    record : dict
        As returned by :func:`read_clear_night_record`.
    night_utc : tuple of str
        The night's start and end as ``YYYY-MM-DDTHH:MM:SSZ``.

    Returns
    -------
    dict
        ``verdict``, ``clear`` (bool), ``reason``, ``mean_vaod``, ``mean_vaod_err``,
        ``reference_wavelength_nm``, ``n_used``, ``night`` (start_utc, end_utc),
        ``instrument`` (FRAM) and ``record`` (name, size, sha256).
    """
    path = Path(path)
    return {
        "verdict": record["verdict"],
        "clear": record["verdict"] == "clear",
        "reason": record["reason"],
        "mean_vaod": float(record["mean_vaod"]),
        "mean_vaod_err": float(record["mean_vaod_err"]),
        "reference_wavelength_nm": float(record["reference_wavelength_nm"]),
        "n_used": int(record["n_used"]),
        "night": {"start_utc": night_utc[0], "end_utc": night_utc[1]},
        "instrument": str((record.get("data_source") or {}).get("instrument", "FRAM")),
        "record": {"name": path.name, "size": path.stat().st_size, "sha256": sha256_of(path)},
    }
