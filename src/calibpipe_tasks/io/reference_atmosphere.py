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
from .table_checks import Col, Monotonic, TableKind, read_ecsv

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
#: checks of a reference model (:mod:`.table_checks`): the columns above, finite, positive
#: density, thickness and temperature, thickness strictly decreasing with altitude (which
#: also refuses a repeated altitude)
MODEL_KIND = TableKind(
    name="reference model",
    columns={
        name: Col(unit, positive=name not in ("altitude", "partial_water_pressure"))
        for name, unit in MODEL_COLUMNS.items()
    },
    min_rows=2,
    monotonic=(Monotonic("atmospheric_thickness", "decreasing", along="altitude"),),
    locate_by="altitude",
)
#: checks of a reference density at 15 km: one row, a finite positive density
DENSITY_KIND = TableKind(
    name="reference density table",
    columns={"season": Col(None, finite=False), "density": Col("1 / cm3", positive=True)},
    min_rows=1,
    max_rows=1,
)


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
        table = read_ecsv(path, DENSITY_KIND)
        density = table["density"].quantity.to_value("1 / cm3")[0]
        version, model_file = models[season]
        candidates.append(Candidate(season, version, path, model_file, float(density)))
    if not candidates:
        raise InputDataError(
            reference_dir, f"reference set has no model for site {ctao_site_name!r}"
        )
    return candidates


def read_reference_model(path):
    """Read a reference atmosphere model, checked (:data:`MODEL_KIND`); sorted by altitude."""
    table = read_ecsv(path, MODEL_KIND)
    table.sort("altitude")
    return table


#: keys of the selection record (``reference_selection.json``) the model step uses
SELECTION_KEYS = ("season", "version")


def read_selection_record(path):
    """Read a selection record (``reference_selection.json`` of ``select-reference-model``).

    Raises
    ------
    InputDataError
        Not JSON, not a JSON object, ``season`` or ``version`` missing or not strings.
    """
    from .table_checks import read_json_object

    return read_json_object(
        path,
        "selection record",
        required=SELECTION_KEYS,
        strings=(*SELECTION_KEYS, "method"),
    )
