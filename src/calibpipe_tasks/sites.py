"""CTAO observatory sites and their seasons.

Coordinates and ground altitudes are those of CTAO's CalibPipe v0 observatory
configuration (``data/reference/observatory_configurations.json``, MIT licence,
see ``LICENSE-ctao-calibpipe``). Seasons are the ones CTAO uses for its reference
atmospheres: North summer 21 Jun-4 Oct, winter 16 Nov-30 Apr, and the rest
(spring 1 May-20 Jun, fall 5 Oct-15 Nov) "intermediate"; South summer
1 Nov-1 May, winter the rest.
"""

from dataclasses import dataclass

from .errors import UsageError


@dataclass(frozen=True)
class Site:
    """An observatory site.

    Attributes
    ----------
    name : str
        ``"North"`` or ``"South"`` (the simtools ``site`` name).
    instrument : str
        ``"OBS-North"`` / ``"OBS-South"`` (the simtools ``instrument`` name).
    ctao_name : str
        Name used by CTAO's reference files (``"ctao-north"``).
    latitude_deg, longitude_deg : float
        Geodetic coordinates in degrees (east positive).
    altitude_m : float
        Ground (observation level) altitude above sea level in metres.
    """

    name: str
    instrument: str
    ctao_name: str
    latitude_deg: float
    longitude_deg: float
    altitude_m: float


SITES = {
    "North": Site("North", "OBS-North", "ctao-north", 28.761795, -17.890701, 2150.0),
    "South": Site("South", "OBS-South", "ctao-south", -24.6272, -70.4039, 2200.0),
}

_ALIASES = {
    "north": "North",
    "ctao-north": "North",
    "lapalma": "North",
    "la-palma": "North",
    "orm": "North",
    "south": "South",
    "ctao-south": "South",
    "paranal": "South",
}


def get_site(name):
    """Return the :class:`Site` called ``name`` (case-insensitive; aliases such as ``Paranal``).

    Raises
    ------
    UsageError
        For an unknown site name.
    """
    key = _ALIASES.get(str(name).strip().lower())
    if key is None:
        known = ", ".join(sorted(set(_ALIASES) | set(SITES)))
        raise UsageError(f"unknown site {name!r} (known: {known})")
    return SITES[key]


def custom_site(latitude_deg, longitude_deg, altitude_m, name="custom"):
    """A site given by coordinates (for places that are not CTAO sites)."""
    if not -90.0 <= latitude_deg <= 90.0:
        raise UsageError(f"latitude {latitude_deg} outside [-90, 90] degrees")
    longitude_deg = (longitude_deg + 180.0) % 360.0 - 180.0
    return Site(name, name, name, float(latitude_deg), float(longitude_deg), float(altitude_m))


# (month, day) inclusive ranges; a season listed as (start, end) with start > end wraps the year
SEASONS = {
    "North": [
        ("summer", (6, 21), (10, 4)),
        ("winter", (11, 16), (4, 30)),
        ("intermediate", (5, 1), (6, 20)),
        ("intermediate", (10, 5), (11, 15)),
    ],
    "South": [
        ("summer", (11, 1), (5, 1)),
        ("winter", (5, 2), (10, 31)),
    ],
}


def calendar_season(site_name, month, day):
    """The CTAO season of a calendar date at a site (``summer``, ``winter``, ``intermediate``)."""
    key = (month, day)
    for season, start, end in SEASONS[site_name]:
        if start <= end:
            if start <= key <= end:
                return season
        elif key >= start or key <= end:
            return season
    raise ValueError(f"no season for {site_name} {month:02d}-{day:02d}")  # pragma: no cover
