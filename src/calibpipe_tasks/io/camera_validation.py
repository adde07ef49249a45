"""Read what ``validate-camera-coefficients`` checks: coefficients, calibration images, windows.

* the coefficients of ``compute-camera-coefficients`` (or any product in ctapipe's
  layout ``/dl1/monitoring/telescope/calibration/camera/coefficients/tel_NNN``:
  ``time``, ``factor``, ``pedestal_offset``, ``time_shift``, ``outlier_mask``;
  optional ``time_end``, ``factor_err``, ``pedestal_offset_err``, ``n_pe``,
  ``n_pe_err``, ``outlier_reason``, the table attributes ``window_width``,
  ``window_shift``, ``peak_index``, ``f_squared``, ``light_source_jitter``);
* the DL1 images of the sky-pedestal and flat-field events (``ctapipe-process``:
  ``/dl1/event/telescope/images/tel_NNN`` joined with the trigger times of
  ``/dl1/event/telescope/trigger`` on ``obs_id, event_id, tel_id``);
* the extraction window of those images from ``ctapipe-process``'s provenance log
  (JSON): the ``FixedWindowSum`` options of its configuration or, where ctapipe does
  not record the extractor's configuration (0.32 records only the
  ``CameraCalibrator``'s own options), of its recorded command line.
"""

import json
import re

import numpy as np

from ..errors import InputDataError
from .camera_coefficients import COEFFICIENTS_GROUP
from .camera_statistics import read_checked_table
from .dl1_files import IMAGES_GROUP, check_dl1_images
from .muon_tables import TRIGGER_TABLE, open_checked

REQUIRED = ("time", "factor", "pedestal_offset", "time_shift", "outlier_mask")
OPTIONAL = (
    "factor_err",
    "pedestal_offset_err",
    "time_shift_err",
    "n_pe",
    "n_pe_err",
    "outlier_reason",
    "n_events",
)
#: outlier_reason bit of a channel absent from gain-selected statistics
MISSING_CHANNEL_BIT = 128
WINDOW_OPTIONS = ("window_width", "window_shift", "peak_index")


def _value(column):
    return np.asarray(getattr(column, "value", column))


def coefficient_telescopes(path):
    """Telescope ids with a coefficients table in ``path``."""
    with open_checked(path) as h5:
        if COEFFICIENTS_GROUP not in h5:
            raise InputDataError(path, f"no camera coefficients ({COEFFICIENTS_GROUP}/tel_NNN)")
        ids = [
            int(name[4:])
            for name in h5.get_node(COEFFICIENTS_GROUP)._v_children
            if name.startswith("tel_") and name[4:].isdigit()
        ]
    if not ids:
        raise InputDataError(path, f"no telescope in {COEFFICIENTS_GROUP}")
    return sorted(ids)


def read_coefficients(path, tel_id, n_pixels):
    """The coefficients of one telescope as arrays ``(n_rows, n_channels, n_pixels)``.

    Returns
    -------
    dict
        the columns present (floats; ``outlier_mask`` bool, ``outlier_reason`` int),
        ``start`` and ``end`` (TAI MJD per row; ``end`` the next row's start, the
        last row's own start where the table has no ``time_end``) and ``meta``.
    """
    where = f"{COEFFICIENTS_GROUP}/tel_{tel_id:03d}"
    table = read_checked_table(path, where, REQUIRED)
    out = {"meta": {str(k): str(v) for k, v in table.meta.items()}, "where": where}
    for name in REQUIRED[1:] + OPTIONAL:
        if name not in table.colnames:
            continue
        value = _value(table[name])
        if value.ndim == 1 and "factor" in out:  # one number per row (e.g. n_events)
            value = np.broadcast_to(value[:, None, None], out["factor"].shape)
        if value.ndim == 2:  # gain-selected, without the channel axis
            value = value[:, None, :]
        if value.ndim != 3 or value.shape[-1] != n_pixels:
            raise InputDataError(
                path,
                f"{where}: column {name} has shape {value.shape[1:]}, the camera {n_pixels} pixels",
            )
        kind = {"outlier_mask": bool, "outlier_reason": int}.get(name, float)
        out[name] = value.astype(kind)
    out["start"] = np.asarray(table["time"].tai.mjd, dtype=float)
    if np.any(np.diff(out["start"]) <= 0):
        raise InputDataError(path, f"{where}: validity starts (time) not increasing")
    if "time_end" in table.colnames:
        out["end"] = np.asarray(table["time_end"].tai.mjd, dtype=float)
    else:
        out["end"] = np.append(out["start"][1:], out["start"][-1])
    return out


def read_calibration_images(path, tel_id):
    """``(times, charge)`` of one telescope's DL1 images: TAI MJD (n,), (n, channels, pixels)."""
    from astropy.table import join
    from ctapipe.io import read_table

    check_dl1_images(path)
    where = f"{IMAGES_GROUP}/tel_{tel_id:03d}"
    with open_checked(path) as h5:
        if where not in h5:
            raise InputDataError(path, f"no images of tel_{tel_id:03d} ({where})")
    try:
        images = read_table(path, where)
        trigger = read_table(path, TRIGGER_TABLE)
    except Exception as err:  # noqa: BLE001 - a corrupt table: one line
        raise InputDataError(path, f"unreadable images or triggers ({err})") from None
    if "image" not in images.colnames or len(images) == 0:
        raise InputDataError(path, f"{where}: no image column or no events")
    keys = ["obs_id", "event_id", "tel_id"]
    joined = join(images[keys + ["image"]], trigger[keys + ["time"]], keys=keys)
    if len(joined) != len(images):
        raise InputDataError(
            path, f"{where}: {len(images) - len(joined)} image(s) without a trigger time"
        )
    joined.sort("time")
    charge = np.asarray(joined["image"], dtype=float)
    if charge.ndim == 2:  # gain-selected images
        charge = charge[:, None, :]
    if not np.all(np.isfinite(charge)):
        raise InputDataError(path, f"{where}: non-finite image values")
    return np.asarray(joined["time"].tai.mjd, dtype=float), charge


_OPTION = re.compile(r"^--FixedWindowSum\.(peak_index|window_width|window_shift)=(-?\d+)$")
_EXTRACTOR = re.compile(r"^--CameraCalibrator\.image_extractor_type=(\w+)$")


def _telescope_parameter(value):
    """A ctapipe telescope parameter as recorded: an int or ``[["type", "*", value]]``."""
    if isinstance(value, list) and len(value) == 1 and isinstance(value[0], list):
        pattern = value[0]
        if len(pattern) == 3 and pattern[:2] == ["type", "*"]:
            return pattern[2]
        return None
    return value


def extraction_window(path):
    """``{"extractor", "window_width", "window_shift", "peak_index"}`` from a provenance log.

    The log is ctapipe's JSON provenance (a list of activities); the last
    ``ctapipe-process`` activity counts. Options not recorded are None.
    """
    try:
        record = json.loads(open(path, encoding="utf-8").read())
    except (OSError, UnicodeDecodeError, ValueError) as err:
        raise InputDataError(path, f"not a JSON provenance log ({err})") from None
    activities = record if isinstance(record, list) else [record]
    processes = [
        a
        for a in activities
        if isinstance(a, dict) and str(a.get("activity_name", "")).startswith("ctapipe-process")
    ]
    if not processes:
        raise InputDataError(path, "not a ctapipe-process provenance log (no such activity)")
    activity = processes[-1]
    config = activity.get("config") or {}
    calibrator = config.get("CameraCalibrator") or {}
    found = {"extractor": _telescope_parameter(calibrator.get("image_extractor_type"))}
    section = calibrator.get("FixedWindowSum") or config.get("FixedWindowSum") or {}
    for option in WINDOW_OPTIONS:
        found[option] = _telescope_parameter(section.get(option))
    arguments = (activity.get("system") or {}).get("arguments") or []
    for argument in arguments:
        match = _OPTION.match(str(argument))
        if match:
            found[match.group(1)] = int(match.group(2))
        match = _EXTRACTOR.match(str(argument))
        if match:
            found["extractor"] = match.group(1)
    if found["extractor"] not in (None, "FixedWindowSum"):
        raise InputDataError(
            path,
            f"images extracted with {found['extractor']}, not FixedWindowSum (no fixed window)",
        )
    if found["window_width"] is None:
        raise InputDataError(path, "no FixedWindowSum window_width recorded")
    return {
        k: (None if v is None else (v if k == "extractor" else int(v))) for k, v in found.items()
    }
