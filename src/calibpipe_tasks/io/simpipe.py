"""Writers of the SimPipe exchange set of a night's molecular atmosphere (UC-120-1.7).

One exchange set, all files in one directory (``<id>`` is the product id,
``<v>`` the simtools parameter version, default ``1.0.0``):

==================================  ===============================  =====================
file                                role (in the manifest)           read by
==================================  ===============================  =====================
``atmospheric_profile_<id>.ecsv``   ``atmospheric_profile_asset``    simtools >= 0.38
``atmospheric_profile-<v>.json``    ``atmospheric_profile_record``   simtools >= 0.38
``atmospheric_transmission_<id>.ecsv`` ``atmospheric_transmission_asset`` simtools >= 0.38
``atmospheric_transmission-<v>.json``  ``atmospheric_transmission_record`` simtools >= 0.38
``atmprof_<id>.dat``                ``corsika_atmprof``              CORSIKA IACT/ATMO
``atm_trans_<id>.dat``              ``simtel_atm_trans``             sim_telarray
``atmosphere_exchange_<id>.json``   (the manifest itself)            validate-exchange
==================================  ===============================  =====================

The simtools table assets follow the model-parameter schemas of simtools 0.38
(``model_parameter_schema_version`` 0.3.0; the column contracts are in
``schemas/*.columns.schema.json``); the JSON records are what simtools'
``ModelDataWriter`` writes, and simtools requires their file name to be
``<parameter>-<parameter_version>.json``.

In-memory form (what the atmosphere step hands over):

* ``profile``: astropy Table, columns ``altitude`` [km], ``density`` [g/cm3],
  ``thickness`` [g/cm2], ``refractive_index`` (n-1), ``temperature`` [K],
  ``pressure`` [hPa], ``water_vapor_partial_pressure`` (pw/p), sorted by altitude
  (the last three optional);
* ``extinction``: :class:`Extinction` (wavelength [nm], emission altitudes [km],
  optical depth (n_wavelength, n_altitude) cumulative from the observation
  level, observation level [km]);
* ``fit``: astropy Table with columns ``layer``, ``height_min`` [km], ``a``
  [g/cm2], ``b`` [g/cm2], ``c`` [km] and meta ``max_relative_residual``;
* ``info``: :class:`ExchangeInfo`.

The manifest may carry the night's clear-night assessment (``clear_night``: verdict,
reason, mean VAOD and error, the record's sha256; manifest version 1.1.0, see
:mod:`.clear_night_record`); without it the manifest is version 1.0.0, as before.

Determinism: no time stamps; ECSV floats are written by astropy with Python's
shortest round-trip repr (full float64 precision); JSON with ``sort_keys`` and
Python float repr; the native files with the fixed formats of
:mod:`.simpipe_native`. The same inputs give byte-identical files.
"""

import json
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..atmosphere.model_products import Extinction  # noqa: F401 - part of this module's API
from ..outputs import sha256_of
from .simpipe_native import write_atm_trans, write_atmprof
from .simpipe_schemas import column_contract

PROFILE = "atmospheric_profile"
TRANSMISSION = "atmospheric_transmission"
#: simtools model-parameter schema version whose parameter schemas declare the table columns
MODEL_PARAMETER_SCHEMA_VERSION = "0.3.0"
#: simtools model-parameter metaschema version (``schema_version`` of a record)
RECORD_SCHEMA_VERSION = "0.4.0"
MANIFEST_VERSION = "1.0.0"
#: manifest version of a set that carries a clear-night assessment (``clear_night`` block)
MANIFEST_VERSION_CLEAR_NIGHT = "1.1.0"
DEFAULT_PARAMETER_VERSION = "1.0.0"
FIVE_LAYER_PARAMETERISATION = (
    "CORSIKA: T(h) = a + b exp(-h/c) for layers 1-4, T(h) = a - b h/c for layer 5; "
    "T in g/cm2, h and c in km"
)

_PRODUCT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
_SEMVER = re.compile(r"^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)$")

#: roles of the files of a set, in manifest order, with their format
ROLES = {
    "atmospheric_profile_asset": "ecsv",
    "atmospheric_profile_record": "json",
    "atmospheric_transmission_asset": "ecsv",
    "atmospheric_transmission_record": "json",
    "corsika_atmprof": "corsika-atmprof",
    "simtel_atm_trans": "simtel-atm-trans",
}

#: input unit of each profile column of the in-memory form -> unit written (simtools)
_PROFILE_INPUT_UNITS = {
    "altitude": ("km", "km"),
    "density": ("g / cm3", "g / cm3"),
    "thickness": ("g / cm2", "g / cm2"),
    "refractive_index": ("", ""),
    "temperature": ("K", "K"),
    "pressure": ("hPa", "mbar"),
    "water_vapor_partial_pressure": ("", ""),
}


@dataclass(frozen=True)
class ExchangeInfo:
    """What the exchange set is about, besides the physics.

    Attributes
    ----------
    product_id : str
        Identifier of the set, used in the file names (``[A-Za-z0-9._-]``, at most 100).
    site : calibpipe_tasks.sites.Site
        ``North`` or ``South`` (simtools knows only these two).
    validity_start, validity_end : str
        Validity window, ISO 8601 UTC (``Z`` or ``+00:00`` or naive = UTC).
    data_source : str
        Meteorological data source, e.g. ``ERA5`` or ``GDAS``.
    dataset : str
        Its dataset, e.g. ``reanalysis-era5-pressure-levels`` or ``ds083.2``.
    co2_ppm : float
        CO2 concentration used (12-MACOBAC) [ppm].
    reference_season, reference_version : str
        Reference model used above the meteorological data (e.g. ``winter``, ``v0``).
    parameter_version : str
        simtools parameter version of the two table parameters (semantic version).
    """

    product_id: str
    site: object
    validity_start: str
    validity_end: str
    data_source: str
    dataset: str
    co2_ppm: float
    reference_season: str
    reference_version: str
    parameter_version: str = DEFAULT_PARAMETER_VERSION


def exchange_basenames(product_id, parameter_version=DEFAULT_PARAMETER_VERSION):
    """File names of an exchange set: role -> basename, plus ``"manifest"``."""
    _check_product_id(product_id)
    _check_semver(parameter_version)
    return {
        "atmospheric_profile_asset": f"{PROFILE}_{product_id}.ecsv",
        "atmospheric_profile_record": f"{PROFILE}-{parameter_version}.json",
        "atmospheric_transmission_asset": f"{TRANSMISSION}_{product_id}.ecsv",
        "atmospheric_transmission_record": f"{TRANSMISSION}-{parameter_version}.json",
        "corsika_atmprof": f"atmprof_{product_id}.dat",
        "simtel_atm_trans": f"atm_trans_{product_id}.dat",
        "manifest": f"atmosphere_exchange_{product_id}.json",
    }


def _check_product_id(product_id):
    if not isinstance(product_id, str) or not _PRODUCT_ID.match(product_id):
        raise ValueError(
            f"product id {product_id!r} must be 1-100 characters of A-Z a-z 0-9 . _ - "
            "starting with a letter or digit"
        )


def _check_semver(version):
    if not isinstance(version, str) or not _SEMVER.match(version):
        raise ValueError(f"parameter version {version!r} is not a semantic version X.Y.Z")


def _check_site(site):
    if getattr(site, "name", None) not in ("North", "South"):
        raise ValueError(f"simtools knows the sites North and South only, not {site!r}")


def _column_values(table, name, unit):
    """Values of column ``name`` of ``table`` in ``unit`` ("" = dimensionless) as float64."""
    import astropy.units as u

    column = table[name]
    col_unit = getattr(column, "unit", None)
    if col_unit is None:
        if unit:
            raise ValueError(f"profile column {name!r} has no unit (expected {unit})")
        return np.asarray(column, dtype=float)
    return u.Quantity(column).to_value(u.Unit(unit) if unit else u.dimensionless_unscaled)


def _profile_columns(profile):
    """Profile values in the written units (pressure in mbar), checked."""
    import astropy.units as u

    missing = [
        n
        for n in ("altitude", "density", "thickness", "refractive_index")
        if n not in profile.colnames
    ]
    if missing:
        raise ValueError(f"profile lacks the column(s) {', '.join(missing)}")
    values = {}
    for name, (unit_in, unit_out) in _PROFILE_INPUT_UNITS.items():
        if name not in profile.colnames:
            continue
        v = _column_values(profile, name, unit_in)
        if unit_in != unit_out:
            v = (v * u.Unit(unit_in)).to_value(u.Unit(unit_out))
        if not np.all(np.isfinite(v)):
            raise ValueError(f"profile column {name!r} holds NaN or infinite values")
        values[name] = v
    if len(values["altitude"]) < 2 or np.any(np.diff(values["altitude"]) <= 0):
        raise ValueError("profile altitudes must be strictly increasing (at least 2 levels)")
    return values


def profile_asset_table(profile, site, parameter_version, product_id):
    """The simtools ``atmospheric_profile`` ECSV asset as an astropy Table.

    Parameters
    ----------
    profile : astropy.table.Table
        The profile in the in-memory form (pressure in hPa).
    site : calibpipe_tasks.sites.Site
    parameter_version : str
        Semantic version, also in the JSON record.
    product_id : str

    Returns
    -------
    astropy.table.Table
        Columns with the units and descriptions of the column contract (pressure in mbar),
        meta ``parameter_name, parameter_version, instrument, site, product_id``.
    """
    import astropy.units as u
    from astropy.table import Table

    _check_site(site)
    _check_semver(parameter_version)
    values = _profile_columns(profile)
    contract = column_contract(PROFILE)["columns"]
    table = Table()
    for name, spec in contract.items():
        if name not in values:
            continue
        unit = u.Unit(spec["unit"]) if spec["unit"] else u.dimensionless_unscaled
        table[name] = values[name].astype(np.float64) * unit
        table[name].description = spec["description"]
    table.meta.update(_identity_meta(PROFILE, site, parameter_version, product_id))
    return table


def _identity_meta(parameter, site, parameter_version, product_id):
    return {
        "parameter_name": parameter,
        "parameter_version": parameter_version,
        "instrument": site.instrument,
        "site": site.name,
        "product_id": product_id,
    }


def _check_extinction(extinction):
    wavelength = np.asarray(extinction.wavelength_nm, dtype=float)
    altitude = np.asarray(extinction.emission_altitude_km, dtype=float)
    tau = np.asarray(extinction.optical_depth, dtype=float)
    level = float(extinction.observation_level_km)
    if wavelength.ndim != 1 or altitude.ndim != 1 or tau.shape != (wavelength.size, altitude.size):
        raise ValueError(
            f"optical depth has shape {tau.shape}, expected (n_wavelength, n_altitude) = "
            f"({wavelength.size}, {altitude.size})"
        )
    if np.any(np.diff(wavelength) <= 0) or np.any(np.diff(altitude) <= 0):
        raise ValueError("wavelengths and emission altitudes must be strictly increasing")
    if not np.isfinite(level) or altitude[0] <= level:
        raise ValueError(f"emission altitudes must lie above the observation level {level} km")
    if np.any(np.isinf(tau)):
        raise ValueError("optical depth holds infinite values (use NaN for missing)")
    return wavelength, altitude, tau, level


def transmission_asset_table(extinction, site, parameter_version, product_id):
    """The simtools ``atmospheric_transmission`` ECSV asset (long table) as an astropy Table.

    One row per (wavelength, altitude) with a finite optical depth, sorted by
    wavelength then altitude; missing (NaN) cells are left out, which simtools
    writes as its missing value 99999 in the sim_telarray table. Meta
    ``observatory_level`` is the observation level in km as a plain number.
    """
    import astropy.units as u
    from astropy.table import Table

    _check_site(site)
    _check_semver(parameter_version)
    wavelength, altitude, tau, level = _check_extinction(extinction)
    wl_grid, alt_grid = np.meshgrid(wavelength, altitude, indexing="ij")
    keep = np.isfinite(tau).ravel()
    contract = column_contract(TRANSMISSION)["columns"]
    table = Table()
    for name, data, unit in (
        ("wavelength", wl_grid.ravel()[keep], u.nm),
        ("altitude", alt_grid.ravel()[keep], u.km),
        ("extinction", tau.ravel()[keep], u.dimensionless_unscaled),
    ):
        table[name] = data.astype(np.float64) * unit
        table[name].description = contract[name]["description"]
    table.meta.update(_identity_meta(TRANSMISSION, site, parameter_version, product_id))
    table.meta["observatory_level"] = level
    return table


def write_ecsv(path, table):
    """Write a table of float64 columns as ECSV, byte-identical to astropy's writer but faster.

    Deterministic: no time stamps (see :func:`.ecsv_numeric.write_numeric_ecsv`).
    """
    from .ecsv_numeric import write_numeric_ecsv

    for name in table.colnames:
        if table[name].dtype != np.float64:
            raise ValueError(
                f"write_ecsv writes float64 columns only ({name}: {table[name].dtype})"
            )
    write_numeric_ecsv(table, path)


def parameter_record(parameter, site, parameter_version, asset_name, unique_id):
    """The simtools JSON parameter record of a table asset.

    Parameters
    ----------
    parameter : str
        ``"atmospheric_profile"`` or ``"atmospheric_transmission"``.
    site : calibpipe_tasks.sites.Site
    parameter_version : str
        Semantic version; the record file must be named ``<parameter>-<version>.json``.
    asset_name : str
        File name of the ECSV asset, next to the record.
    unique_id : str
        The exchange product id.

    Returns
    -------
    dict
    """
    _check_site(site)
    _check_semver(parameter_version)
    return {
        "schema_version": RECORD_SCHEMA_VERSION,
        "parameter": parameter,
        "instrument": site.instrument,
        "site": site.name,
        "parameter_version": parameter_version,
        "unique_id": unique_id,
        "value": asset_name,
        "unit": None,
        "type": "file",
        "file": True,
        "model_parameter_schema_version": MODEL_PARAMETER_SCHEMA_VERSION,
    }


def dumps_json(data):
    """Deterministic JSON text: sorted keys, 2-space indent, trailing newline."""
    return json.dumps(data, indent=2, sort_keys=True, allow_nan=False) + "\n"


def write_json(path, data):
    """Write ``data`` as deterministic JSON (see :func:`dumps_json`)."""
    Path(path).write_text(dumps_json(data), encoding="utf-8")


def _header(info, what):
    lines = [what]
    if info is not None:
        lines += [
            f"product id: {info.product_id}",
            f"site: {info.site.name} ({info.site.instrument}), lat {info.site.latitude_deg} deg, "
            f"lon {info.site.longitude_deg} deg, ground {info.site.altitude_m} m a.s.l.",
            f"valid from {_utc(info.validity_start)} to {_utc(info.validity_end)}",
            f"meteorological data: {info.data_source} ({info.dataset}); CO2 {info.co2_ppm} ppm",
            f"above the data: reference model {info.reference_version} {info.reference_season}",
        ]
    return lines


def write_corsika_atmprof(path, profile, info=None, fit=None):
    """Write the CORSIKA table ``atmprof_<id>.dat`` of a profile.

    Parameters
    ----------
    path : path-like
    profile : astropy.table.Table
        In-memory form (pressure in hPa, written in mbar: the same number).
    info : ExchangeInfo, optional
        Written into the ``#`` header.
    fit : astropy.table.Table, optional
        The 5-layer fit, written into the header as comments (CORSIKA refits at run time).
    """
    values = _profile_columns(profile)
    header = _header(info, "Atmospheric profile for CORSIKA IACT/ATMO (calibpipe-tasks)")
    if fit is not None:
        layers = five_layer_fit_record(fit)
        header.append(
            "5-layer fit (informational; "
            f"max relative residual {layers['max_relative_residual']:.3e}):"
        )
        header.append(
            f"{'layer':>5} {'h_min[km]':>10} {'a[g/cm2]':>14} {'b[g/cm2]':>14} {'c[km]':>14}"
        )
        for layer in layers["layers"]:
            header.append(
                f"{layer['layer']:>5d} {layer['height_min_km']:10.3f} {layer['a_g_cm2']:14.7e} "
                f"{layer['b_g_cm2']:14.7e} {layer['c_km']:14.7e}"
            )
    write_atmprof(path, values, header)


def write_simtel_atm_trans(path, extinction, info=None):
    """Write the sim_telarray table ``atm_trans_<id>.dat`` of an :class:`Extinction`."""
    wavelength, altitude, tau, level = _check_extinction(extinction)
    header = _header(info, "Molecular (Rayleigh) optical depth for sim_telarray (calibpipe-tasks)")
    header.append("H2: observation level [km a.s.l.]; H1: emission altitudes [km a.s.l.]")
    header.append(
        "rows: wavelength [nm], vertical optical depth from H2 to each H1; 99999.00 = missing"
    )
    write_atm_trans(path, wavelength, altitude, tau, level, header)


def five_layer_fit_record(fit):
    """The 5-layer fit table as the manifest's ``five_layer_fit`` object."""
    columns = {"height_min": "km", "a": "g / cm2", "b": "g / cm2", "c": "km"}
    missing = [n for n in ("layer", *columns) if n not in fit.colnames]
    if missing:
        raise ValueError(f"5-layer fit table lacks the column(s) {', '.join(missing)}")
    if len(fit) != 5:
        raise ValueError(f"5-layer fit table has {len(fit)} rows, expected 5")
    values = {name: _column_values(fit, name, unit) for name, unit in columns.items()}
    residual = fit.meta.get("max_relative_residual")
    if residual is None:
        raise ValueError("5-layer fit table lacks meta max_relative_residual")
    layers = [
        {
            "layer": int(fit["layer"][i]),
            "height_min_km": float(values["height_min"][i]),
            "a_g_cm2": float(values["a"][i]),
            "b_g_cm2": float(values["b"][i]),
            "c_km": float(values["c"][i]),
        }
        for i in range(5)
    ]
    return {
        "parameterisation": FIVE_LAYER_PARAMETERISATION,
        "max_relative_residual": float(residual),
        "layers": layers,
    }


def _utc(text):
    """ISO 8601 time -> ``YYYY-MM-DDTHH:MM:SSZ`` (UTC; a naive time is taken as UTC)."""
    from datetime import UTC, datetime

    value = str(text).strip()
    if value.endswith("Z"):
        value = value[:-1] + "+00:00"
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(f"not an ISO 8601 time: {text!r}") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def software_versions():
    """Versions of Python and of the packages that make the files (fixed list)."""
    import platform
    from importlib.metadata import PackageNotFoundError, version

    versions = {"python": platform.python_version()}
    for dist in ("calibpipe-tasks", "numpy", "scipy", "astropy"):
        try:
            versions[dist] = version(dist)
        except PackageNotFoundError:  # pragma: no cover
            versions[dist] = "unknown"
    return versions


def build_manifest(info, observation_level_km, fit, files, software=None, clear_night=None):
    """The exchange manifest (a JSON-serialisable dict).

    Parameters
    ----------
    info : ExchangeInfo
    observation_level_km : float
    fit : astropy.table.Table
        The 5-layer fit.
    files : sequence of (role, basename, path)
        Every file of the set except the manifest; ``path`` is where it is now
        (its size and sha256 are taken from there), ``basename`` its name in the set.
    software : dict, optional
        Software versions; default :func:`software_versions`.
    clear_night : dict, optional
        The night's clear-night assessment
        (:func:`calibpipe_tasks.io.clear_night_record.manifest_block`); when given the
        manifest carries it as ``clear_night`` and has version
        :data:`MANIFEST_VERSION_CLEAR_NIGHT`, else the manifest is exactly as without it.
    """
    _check_site(info.site)
    start, end = _utc(info.validity_start), _utc(info.validity_end)
    if end <= start:
        raise ValueError(f"validity window ends ({end}) before it starts ({start})")
    names = exchange_basenames(info.product_id, info.parameter_version)
    entries = []
    for role, basename, path in files:
        if role not in ROLES:
            raise ValueError(f"unknown file role {role!r}")
        entries.append(
            {
                "name": basename,
                "role": role,
                "format": ROLES[role],
                "size": Path(path).stat().st_size,
                "sha256": sha256_of(path),
            }
        )
    order = list(ROLES)
    entries.sort(key=lambda e: order.index(e["role"]))
    manifest = {
        "manifest_version": MANIFEST_VERSION
        if clear_night is None
        else MANIFEST_VERSION_CLEAR_NIGHT,
        "product": "molecular-atmosphere-exchange",
        "product_id": info.product_id,
        "use_case": "UC-120-1.7",
        "site": {
            "name": info.site.name,
            "instrument": info.site.instrument,
            "latitude_deg": float(info.site.latitude_deg),
            "longitude_deg": float(info.site.longitude_deg),
            "altitude_m": float(info.site.altitude_m),
        },
        "observation_level_km": float(observation_level_km),
        "validity": {"start_utc": start, "end_utc": end},
        "data_source": {"name": info.data_source, "dataset": info.dataset},
        "co2_ppm": float(info.co2_ppm),
        "reference_model": {"season": info.reference_season, "version": info.reference_version},
        "simtools": {
            "parameter_version": info.parameter_version,
            "model_parameter_schema_version": MODEL_PARAMETER_SCHEMA_VERSION,
            "parameters": {
                PROFILE: {
                    "record": names["atmospheric_profile_record"],
                    "asset": names["atmospheric_profile_asset"],
                },
                TRANSMISSION: {
                    "record": names["atmospheric_transmission_record"],
                    "asset": names["atmospheric_transmission_asset"],
                },
            },
        },
        "software": dict(software if software is not None else software_versions()),
        "files": entries,
        "five_layer_fit": five_layer_fit_record(fit),
    }
    if clear_night is not None:
        manifest["clear_night"] = dict(clear_night)
    return manifest


def write_exchange_set(output, profile, extinction, fit, info, software=None, clear_night=None):
    """Write the whole exchange set; the manifest last, over the other files.

    Parameters
    ----------
    output : path-like or callable
        A directory (created if needed), or a function basename -> path to write that file to (e.g.
        ``StepContext.output``, which gives temporary paths committed atomically).
    profile : astropy.table.Table
    extinction : Extinction
    fit : astropy.table.Table
    info : ExchangeInfo
    software : dict, optional
        Software versions for the manifest; default :func:`software_versions`.
    clear_night : dict, optional
        The ``clear_night`` block of the manifest (see :func:`build_manifest`).

    Returns
    -------
    dict
        role -> basename of every file written (``"manifest"`` included).
    """
    if not callable(output):
        directory = Path(output)
        directory.mkdir(parents=True, exist_ok=True)

        def output(name):
            return directory / name

    names = exchange_basenames(info.product_id, info.parameter_version)
    site, version, pid = info.site, info.parameter_version, info.product_id
    paths = {role: output(names[role]) for role in ROLES}

    write_ecsv(paths["atmospheric_profile_asset"], profile_asset_table(profile, site, version, pid))
    write_json(
        paths["atmospheric_profile_record"],
        parameter_record(PROFILE, site, version, names["atmospheric_profile_asset"], pid),
    )
    write_ecsv(
        paths["atmospheric_transmission_asset"],
        transmission_asset_table(extinction, site, version, pid),
    )
    write_json(
        paths["atmospheric_transmission_record"],
        parameter_record(TRANSMISSION, site, version, names["atmospheric_transmission_asset"], pid),
    )
    write_corsika_atmprof(paths["corsika_atmprof"], profile, info, fit)
    write_simtel_atm_trans(paths["simtel_atm_trans"], extinction, info)

    files = [(role, names[role], paths[role]) for role in ROLES]
    manifest = build_manifest(
        info, extinction.observation_level_km, fit, files, software, clear_night
    )
    write_json(output(names["manifest"]), manifest)
    return names
