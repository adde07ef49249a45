"""A campaign of nights: which nights the meteorological files cover, and the index of what
was delivered.

A campaign recomputes the molecular atmosphere of many nights at once
(``cwl/workflows/molecular-atmosphere-campaign.cwl``). Before any night is processed,
:func:`plan_nights` decides from the files' validity times alone which nights have
data: a night is scheduled when at least ``min_times`` analysis times fall inside its
astronomical night window (the window ``ingest-meteo`` reads; with ``min_times = 1``
exactly ``ingest-meteo``'s own condition), otherwise it fails alone with its reason.
After the scattered nights have run, :func:`index_entry` describes each night for the
campaign index: delivered (with its exchange set) or failed (with the reason).

Pure functions over numpy arrays and plain records; the files are read in
``steps/plan_campaign.py`` and ``steps/index_campaign.py``.
"""

import numpy as np

STATUS_SCHEDULED = "scheduled"
STATUS_NO_DATA = "no-data"
STATUS_DELIVERED = "delivered"
STATUS_FAILED = "failed"


def iso_utc(t):
    """``YYYY-MM-DDTHH:MM:SSZ`` of a datetime64 or naive UTC datetime."""
    return np.datetime_as_string(np.datetime64(t, "s"), unit="s") + "Z"


def plan_nights(dates, windows, file_times, min_times=1):
    """Which nights of a campaign the meteorological files cover.

    Parameters
    ----------
    dates : sequence of str
        The nights (``YYYY-MM-DD`` of the evening), in campaign order.
    windows : sequence of (numpy.datetime64, numpy.datetime64)
        Each night's astronomical night window, UTC (inclusive, as ``ingest-meteo``).
    file_times : dict
        File name -> sorted ``datetime64[s]`` validity times it holds.
    min_times : int
        Analysis times a night needs inside its window to be scheduled.

    Returns
    -------
    list of dict
        Per night: ``date``, ``window_start_utc``, ``window_end_utc``, ``n_times`` (distinct
        times in the window over all files), ``files`` (the names of the files with a time
        in the window), ``status`` (``scheduled`` or ``no-data``) and ``reason`` (``None``
        when scheduled).
    """
    names = list(file_times)
    every = [np.asarray(file_times[n], dtype="datetime64[s]") for n in names]
    all_times = np.unique(np.concatenate(every)) if every else np.array([], "datetime64[s]")
    covered = (
        f"the files cover {iso_utc(all_times[0])} to {iso_utc(all_times[-1])}"
        if all_times.size
        else "the files hold no pressure-level field"
    )
    nights = []
    for date, (start, end) in zip(dates, windows, strict=True):
        start, end = np.datetime64(start, "s"), np.datetime64(end, "s")
        inside = all_times[(all_times >= start) & (all_times <= end)]
        files = [n for n, t in zip(names, every, strict=True) if ((t >= start) & (t <= end)).any()]
        window = f"{iso_utc(start)} to {iso_utc(end)}"
        if inside.size == 0:
            reason = f"no meteorological data in the night's window {window} ({covered})"
        elif inside.size < min_times:
            reason = (
                f"only {inside.size} meteorological time(s) in the night's window {window} "
                f"({min_times} required)"
            )
        else:
            reason = None
        nights.append(
            {
                "date": str(date),
                "window_start_utc": iso_utc(start),
                "window_end_utc": iso_utc(end),
                "n_times": int(inside.size),
                "files": files,
                "status": STATUS_SCHEDULED if reason is None else STATUS_NO_DATA,
                "reason": reason,
            }
        )
    return nights


def step_times(records):
    """CPU-side duration and wall-clock span of a night's step runs.

    Parameters
    ----------
    records : list of dict
        Provenance records (``start_time_utc``, ``end_time_utc``: ISO 8601 with ``Z``).

    Returns
    -------
    step_seconds : float
        Sum of the steps' run times [s] (what the night costs a batch system).
    span_seconds : float
        From the first step's start to the last step's end [s] (includes queueing).
    """
    if not records:
        return 0.0, 0.0
    start = np.array([r["start_time_utc"].rstrip("Z") for r in records], dtype="datetime64[ms]")
    end = np.array([r["end_time_utc"].rstrip("Z") for r in records], dtype="datetime64[ms]")
    step = float(np.sum((end - start).astype(np.int64))) / 1000.0
    span = float((end.max() - start.min()).astype(np.int64)) / 1000.0
    return round(step, 3), round(span, 3)


def index_entry(night, manifest=None, report=None, directory=None, steps=()):
    """The campaign index's record of one night.

    Parameters
    ----------
    night : dict
        The night's record of :func:`plan_nights`.
    manifest : dict, optional
        The night's exchange manifest (``None``: no exchange set was delivered).
    report : dict, optional
        The night's validation report of that manifest.
    directory : str, optional
        Where the night's set is, relative to the index.
    steps : sequence of str
        The steps whose provenance records link the night's products.

    Returns
    -------
    dict
        ``date``, ``status`` (``delivered`` or ``failed``), ``reason`` and the planning
        figures; when delivered also ``product_id``, ``validity``, ``directory``, ``files``
        (name, role, sha256, size of each exchange file), ``validation``,
        ``clear_night`` and ``steps``. No run times: the index is a product, identical
        between re-runs; the times are in the provenance records.
    """
    entry = {
        "date": night["date"],
        "status": STATUS_FAILED,
        "reason": night["reason"],
        "window_start_utc": night["window_start_utc"],
        "window_end_utc": night["window_end_utc"],
        "n_times": night["n_times"],
        "meteo_files": list(night["files"]),
    }
    if night["status"] != STATUS_SCHEDULED:
        return entry
    if manifest is None:
        entry["reason"] = "scheduled, but no exchange set was delivered for it (see the run's log)"
        return entry
    if report is None:
        entry["reason"] = "its exchange set has no validate-exchange report"
        return entry
    if not report.get("valid", False):
        entry["reason"] = "its exchange set did not pass validate-exchange"
        return entry
    entry.update(
        status=STATUS_DELIVERED,
        reason=None,
        product_id=manifest["product_id"],
        validity=dict(manifest["validity"]),
        directory=directory,
        files=[{k: f[k] for k in ("name", "role", "sha256", "size")} for f in manifest["files"]],
        validation={"valid": True, "checks": len(report.get("checks", []))},
        clear_night=manifest.get("clear_night"),
        steps=sorted(steps),
    )
    return entry
