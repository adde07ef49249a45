"""Reading CTAO reference atmospheres and their densities at 15 km.

A reference set is a directory (default: the CTAO CalibPipe v0 set shipped as
package data in ``calibpipe_tasks/data/reference``, MIT licence) holding, per
site and season,

* ``ref_density_at_15km_<site>_<season>.ecsv``: one row ``season``, ``density`` [1/cm3];
* ``reference_atmo_model_<version>_<site>_<season>.ecsv``: the model, columns
  ``altitude`` [km], ``atmospheric_density`` [g/cm3], ``atmospheric_thickness``
  [g/cm2], ``refractive_index_m_1``, ``temperature`` [K], ``pressure`` [hPa],
  ``partial_water_pressure`` (p_w/p).
"""

import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from ..errors import InputDataError

DENSITY_PATTERN = re.compile(r"^ref_density_at_15km_(?P<site>.+)_(?P<season>[a-z]+)\.ecsv$")
MODEL_PATTERN = re.compile(
    r"^reference_atmo_model_(?P<version>[^_]+)_(?P<site>.+)_(?P<season>[a-z]+)\.ecsv$"
)
MODEL_COLUMNS = {
    "altitude": "km",
    "atmospheric_density": "g / cm3",
    "atmospheric_thickness": "g / cm2",
    "temperature": "K",
    "partial_water_pressure": "",
}


def default_reference_dir():
    """The CTAO v0 reference set shipped with the package."""
    return Path(str(resources.files("calibpipe_tasks") / "data" / "reference"))


@dataclass
class Candidate:
    """One season's reference of a site."""

    season: str
    version: str
    density_file: Path
    model_file: Path
    density_15km_cm3: float


def find_candidates(reference_dir, ctao_site_name):
    """The seasons available for a site in ``reference_dir``, sorted by season name.

    Raises
    ------
    InputDataError
        If the directory holds no reference for the site, or a density file has
        no matching model file or is malformed.
    """
    from astropy.table import Table

    reference_dir = Path(reference_dir)
    if not reference_dir.is_dir():
        raise InputDataError(reference_dir, "reference set directory does not exist")
    models = {}
    for path in sorted(reference_dir.iterdir()):
        m = MODEL_PATTERN.match(path.name)
        if m and m["site"] == ctao_site_name:
            models[m["season"]] = (m["version"], path)
    candidates = []
    for path in sorted(reference_dir.iterdir()):
        m = DENSITY_PATTERN.match(path.name)
        if not m or m["site"] != ctao_site_name:
            continue
        season = m["season"]
        if season not in models:
            raise InputDataError(path, f"no reference_atmo_model_*_{ctao_site_name}_{season}.ecsv")
        try:
            table = Table.read(path, format="ascii.ecsv")
            density = table["density"].quantity.to_value("1 / cm3")[0]
        except Exception as err:
            raise InputDataError(path, f"not a reference density table ({err})") from None
        version, model_file = models[season]
        candidates.append(Candidate(season, version, path, model_file, float(density)))
    if not candidates:
        raise InputDataError(
            reference_dir, f"reference set has no model for site {ctao_site_name!r}"
        )
    return candidates


def read_reference_model(path):
    """Read a reference atmosphere model; returns an astropy Table (checked columns/units)."""
    import astropy.units as u
    from astropy.table import Table

    try:
        table = Table.read(path, format="ascii.ecsv")
    except Exception as err:
        raise InputDataError(path, f"not a readable ECSV table ({type(err).__name__})") from None
    for name, unit in MODEL_COLUMNS.items():
        if name not in table.colnames:
            raise InputDataError(path, f"reference model lacks column {name}")
        col_unit = table[name].unit or u.dimensionless_unscaled
        if not u.Unit(col_unit).is_equivalent(u.Unit(unit or "")):
            raise InputDataError(path, f"reference model column {name} has unit {col_unit}")
    table.sort("altitude")
    return table
