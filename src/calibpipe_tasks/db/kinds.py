"""Product kinds, targets and UTC times of the calibration database (standard library only).

This module is imported by the steps' ``add_arguments`` and must stay light.
"""

import argparse
import re
from datetime import UTC, datetime

#: product kind -> (what it is, which targets it may have: "site", "telescope", "global")
KINDS = {
    "atmospheric-profile": ("molecular atmospheric profile (ECSV)", ("site",)),
    "atmospheric-extinction": ("molecular extinction / transmission table (ECSV)", ("site",)),
    "atmospheric-model": ("exchange manifest (JSON) with all the files it lists", ("site",)),
    "macobac": ("12-month average CO2 concentration (macobac.ecsv)", ("global", "site")),
    "reference-selection": ("selected reference atmospheric model", ("site",)),
    "clear-night": ("clear-night assessment record (JSON) and its table (ECSV)", ("site",)),
    "muon-throughput": ("optical throughput from muon rings (ECSV)", ("telescope",)),
    "muon-psf": ("optical PSF from muon rings (ECSV)", ("telescope",)),
    "pointing-correction": ("pointing corrections from star tracking (ECSV)", ("telescope",)),
    "camera-coefficients": (
        "camera calibration coefficients: summary (ECSV) and coefficients (HDF5)",
        ("telescope",),
    ),
    "array-inter-calibration": (
        "relative throughput within the telescope type from shower events (ECSV)",
        ("telescope",),
    ),
    "array-cross-calibration": (
        "throughput relative to the reference telescope type from shower events (ECSV)",
        ("telescope",),
    ),
}

STATUS_CURRENT = "current"
STATUS_SUPERSEDED = "superseded"
STATUSES = (STATUS_CURRENT, STATUS_SUPERSEDED)

#: site names (simtools' ``site``) and their aliases, lower case -> name
SITE_ALIASES = {
    "north": "North",
    "ctao-north": "North",
    "obs-north": "North",
    "lapalma": "North",
    "la-palma": "North",
    "orm": "North",
    "south": "South",
    "ctao-south": "South",
    "obs-south": "South",
    "paranal": "South",
}
GLOBAL_TARGET = "global"
_TELESCOPE = re.compile(r"^(?:tel_?)?0*(\d{1,5})$", re.IGNORECASE)


def target_type(target):
    """``"site"``, ``"telescope"`` or ``"global"`` for a normalised target name."""
    if target == GLOBAL_TARGET:
        return "global"
    if target in ("North", "South"):
        return "site"
    return "telescope"


def normalise_target(text):
    """Normalise a target: a site (``North``/``South``, aliases such as ``Paranal``),
    a telescope (``tel_001``, ``tel_1`` or ``1`` -> ``tel_001``) or ``global``.

    Raises :class:`ValueError` for anything else.
    """
    text = str(text).strip()
    if text.lower() == GLOBAL_TARGET:
        return GLOBAL_TARGET
    if text.lower() in SITE_ALIASES:
        return SITE_ALIASES[text.lower()]
    match = _TELESCOPE.match(text)
    if match and int(match.group(1)) > 0:
        return f"tel_{int(match.group(1)):03d}"
    raise ValueError(
        f"not a target: {text!r} (a site North/South, a telescope tel_NNN, or 'global')"
    )


def check_target_for_kind(kind, target):
    """Raise :class:`ValueError` if ``target`` is not a valid target type for ``kind``."""
    allowed = KINDS[kind][1]
    if target_type(target) not in allowed:
        raise ValueError(
            f"kind {kind} needs a target of type {' or '.join(allowed)}, not {target!r}"
        )


def parse_utc(text):
    """Parse an ISO 8601 time (or date) as UTC; return a naive :class:`datetime` in UTC.

    ``2024-03-01``, ``2024-03-01T20:00``, ``2024-03-01T20:00:00Z`` and
    ``2024-03-01T21:00:00+01:00`` are accepted; a time without offset is UTC.
    Raises :class:`ValueError` otherwise.
    """
    text = str(text).strip()
    if not re.match(r"^\d{4}-\d{2}-\d{2}", text):
        raise ValueError(f"not an ISO 8601 UTC time (YYYY-MM-DD[THH:MM[:SS]][Z]): {text!r}")
    try:
        value = datetime.fromisoformat(text.replace("z", "Z"))
    except ValueError:
        raise ValueError(
            f"not an ISO 8601 UTC time (YYYY-MM-DD[THH:MM[:SS]][Z]): {text!r}"
        ) from None
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value


def format_utc(value):
    """Format a naive UTC datetime as ``YYYY-MM-DDTHH:MM:SS[.ffffff]Z``."""
    return value.isoformat() + "Z"


def utc_time(text):
    """argparse type for :func:`parse_utc`."""
    try:
        return parse_utc(text)
    except ValueError as err:
        raise argparse.ArgumentTypeError(str(err)) from None


def target_arg(text):
    """argparse type for :func:`normalise_target`."""
    try:
        return normalise_target(text)
    except ValueError as err:
        raise argparse.ArgumentTypeError(str(err)) from None
