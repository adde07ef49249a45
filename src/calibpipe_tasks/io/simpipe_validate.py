"""Check a SimPipe exchange set: manifest, checksums, simtools contracts and physical sanity.

:func:`validate_exchange` stops at the first violation and raises
:class:`~calibpipe_tasks.errors.InputDataError` naming the file and the problem
(one line). The checks, in order:

1. the manifest is JSON and matches ``atmosphere-exchange-manifest.schema.json``;
2. every listed file is present, with the listed size and sha256;
3. each JSON parameter record matches ``simtools-model-parameter-record.schema.json``,
   is named ``<parameter>-<parameter_version>.json`` (simtools' rule), points at the
   asset listed in the manifest, and agrees with the manifest on site, instrument,
   version and product id;
4. each ECSV asset satisfies its column contract (``*.columns.schema.json``) the way
   simtools 0.38's ``read_ecsv_asset`` checks it: suffix ``.ecsv``; required columns
   present, no other column; every column with a description; units equal under
   astropy; float64; no NaN or infinity; meta ``parameter_name``,
   ``parameter_version``, ``instrument``, ``site`` equal to the record's; for the
   transmission a numeric ``observatory_level`` equal to the manifest's;
5. physical sanity: altitude increasing, the profile starting at or below the
   observation level; density and thickness decreasing with altitude and positive;
   n-1 > 0; the 5-layer fit's layers 1-5 in increasing height; optical depth >= 0,
   not decreasing with
   altitude, not increasing with wavelength, every emission altitude above the
   observation level;
6. the native files hold the same numbers as the assets (to their printed precision):
   ``atmprof`` has >= 5 levels (CORSIKA's minimum), ``atm_trans`` the same H2, H1,
   wavelengths and optical depths (``99999.00`` exactly where the asset has no value);
7. with a ``clear_night`` block (manifest 1.1.0): the assessment record it names is
   present with its size and sha256, is an assessment record of the manifest's site
   and agrees with the block on verdict, mean VAOD and its error. A verdict other than
   ``clear`` is not a violation: the set is valid, the report's ``clear_night`` says
   so and a warning line is logged.
"""

import json
import logging
from pathlib import Path

import numpy as np

from ..errors import InputDataError
from ..outputs import sha256_of
from . import simpipe_schemas as schemas
from .simpipe import PROFILE, ROLES, TRANSMISSION
from .simpipe_native import read_atm_trans, read_atmprof

log = logging.getLogger(__name__)

#: tolerances of the comparison native file <-> asset (the native formats print 8 digits)
_REL_TOL = 1e-6
_ALT_TOL_KM = 6e-4
_WL_TOL_NM = 6e-3

_ASSET_ROLE = {PROFILE: "atmospheric_profile_asset", TRANSMISSION: "atmospheric_transmission_asset"}
_RECORD_ROLE = {
    PROFILE: "atmospheric_profile_record",
    TRANSMISSION: "atmospheric_transmission_record",
}


def _schema_error(path, instance, schema_name):
    """Raise InputDataError for the first (best) violation of a JSON Schema, if any."""
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import best_match

    validator = Draft202012Validator(schemas.load_schema(schema_name))
    error = best_match(validator.iter_errors(instance))
    if error is not None:
        where = "/".join(str(p) for p in error.absolute_path) or "(top level)"
        message = error.message if len(error.message) <= 200 else error.message[:200] + "..."
        raise InputDataError(path, f"violates {schema_name} at {where}: {message}")


def _read_json(path):
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise InputDataError(path, f"not a readable JSON file ({err})") from None


def _locate(manifest_path, names, given):
    """Map each basename to a path: among the given files, else next to the manifest."""
    by_name = {}
    for path in given or ():
        by_name.setdefault(Path(path).name, Path(path))
    for name in sorted(set(by_name) - set(names) - {Path(manifest_path).name}):
        log.warning("%s: not listed in the manifest, not checked", by_name[name])
    located = {}
    for name in names:
        path = by_name.get(name, Path(manifest_path).parent / name)
        if not path.is_file():
            raise InputDataError(manifest_path, f"lists {name}, which is missing")
        located[name] = path
    return located


def _check_files(manifest_path, manifest, given):
    entries = manifest["files"]
    roles = [e["role"] for e in entries]
    for role in ROLES:
        if roles.count(role) != 1:
            raise InputDataError(
                manifest_path, f"must list exactly one file of role {role} ({roles.count(role)})"
            )
    names = [e["name"] for e in entries]
    if len(set(names)) != len(names):
        raise InputDataError(manifest_path, "lists a file name twice")
    for parameter, files in manifest["simtools"]["parameters"].items():
        for kind, role in (("record", _RECORD_ROLE[parameter]), ("asset", _ASSET_ROLE[parameter])):
            listed = next(e["name"] for e in entries if e["role"] == role)
            if files[kind] != listed:
                raise InputDataError(
                    manifest_path,
                    f"simtools.parameters.{parameter}.{kind} is {files[kind]} but the {role} "
                    f"file is {listed}",
                )
    located = _locate(manifest_path, names, given)
    for entry in entries:
        path = located[entry["name"]]
        size = path.stat().st_size
        if size != entry["size"]:
            raise InputDataError(
                path, f"size {size} bytes does not match the manifest ({entry['size']} bytes)"
            )
        digest = sha256_of(path)
        if digest != entry["sha256"]:
            raise InputDataError(
                path, f"sha256 {digest} does not match the manifest ({entry['sha256']})"
            )
    return {e["role"]: located[e["name"]] for e in entries}


def _check_record(path, parameter, manifest):
    record = _read_json(path)
    _schema_error(path, record, schemas.RECORD)
    expected_name = f"{record['parameter']}-{record['parameter_version']}.json"
    if path.name != expected_name:
        raise InputDataError(
            path, f"simtools needs the record to be named {expected_name} (parameter-version)"
        )
    expected = {
        "parameter": parameter,
        "site": manifest["site"]["name"],
        "instrument": manifest["site"]["instrument"],
        "parameter_version": manifest["simtools"]["parameter_version"],
        "unique_id": manifest["product_id"],
        "value": manifest["simtools"]["parameters"][parameter]["asset"],
    }
    for key, value in expected.items():
        if record[key] != value:
            raise InputDataError(path, f"{key} is {record[key]!r}, the manifest says {value!r}")
    return record


def _normalised_unit(unit_text, canonical):
    """The canonical unit string if ``unit_text`` equals it under astropy, else ``unit_text``."""
    import astropy.units as u

    text = "" if unit_text is None else str(unit_text)
    try:
        unit = u.Unit(text) if text else u.dimensionless_unscaled
        target = u.Unit(canonical) if canonical else u.dimensionless_unscaled
    except ValueError:
        return text
    if canonical == "":
        return "" if unit == target and unit.scale == 1 else text
    return canonical if unit == target else text


def _read_asset(path, parameter, record, manifest):
    """Read an ECSV asset and check it against its column contract and the record."""
    from astropy.table import Table

    if path.suffix.lower() != ".ecsv":
        raise InputDataError(path, "simtools table assets must have the suffix .ecsv")
    try:
        table = Table.read(path, format="ascii.ecsv")
    except Exception as err:  # astropy raises many types for malformed files
        raise InputDataError(
            path, f"not a readable ECSV table ({type(err).__name__}: {err})"
        ) from None
    contract = schemas.column_contract(parameter)
    columns = contract["columns"]
    for name, spec in columns.items():
        if spec["required"] and name not in table.colnames:
            raise InputDataError(path, f"missing required column {name!r}")
    for name in table.colnames:
        if name not in columns:
            raise InputDataError(
                path, f"unexpected column {name!r} (allowed: {', '.join(columns)})"
            )
    header = {"columns": {}, "meta": {}}
    for name in table.colnames:
        column = table[name]
        if not column.description:
            raise InputDataError(path, f"column {name!r} has no description")
        unit_text = None if column.unit is None else column.unit.to_string()
        unit = _normalised_unit(unit_text, columns[name]["unit"])
        if unit != columns[name]["unit"]:
            expected = columns[name]["unit"] or "dimensionless"
            raise InputDataError(
                path, f"column {name!r} has unit {unit_text or 'none'!r}, expected {expected!r}"
            )
        if column.dtype != np.float64:
            raise InputDataError(path, f"column {name!r} is {column.dtype}, expected float64")
        if not np.all(np.isfinite(np.asarray(column))):
            raise InputDataError(path, f"column {name!r} holds NaN or infinite values")
        header["columns"][name] = {
            "unit": unit,
            "datatype": str(column.dtype),
            "description": column.description,
        }
    for key in contract["required_meta"]:
        if key not in table.meta:
            raise InputDataError(path, f"missing table meta {key!r}")
    for meta_key, record_key in (
        ("parameter_name", "parameter"),
        ("parameter_version", "parameter_version"),
        ("instrument", "instrument"),
        ("site", "site"),
    ):
        if table.meta[meta_key] != record[record_key]:
            raise InputDataError(
                path,
                f"meta {meta_key} is {table.meta[meta_key]!r}, the JSON record says "
                f"{record[record_key]!r}",
            )
    header["meta"] = {k: table.meta[k] for k in contract["required_meta"]}
    if parameter == TRANSMISSION:
        level = table.meta["observatory_level"]
        if isinstance(level, bool) or not isinstance(level, int | float):
            raise InputDataError(path, f"meta observatory_level must be a number in km: {level!r}")
        if abs(level - manifest["observation_level_km"]) > 1e-9:
            raise InputDataError(
                path,
                f"meta observatory_level {level} km differs from the manifest's observation "
                f"level {manifest['observation_level_km']} km",
            )
    _schema_error(path, header, schemas.COLUMN_CONTRACTS[parameter])
    return table


def _first(mask):
    return int(np.flatnonzero(mask)[0])


def _check_profile_physics(path, columns):
    """Sanity of a profile given as dict of arrays (altitude km, density, thickness, n-1)."""
    h = columns["altitude"]
    if len(h) < 2:
        raise InputDataError(path, f"only {len(h)} altitude level(s)")
    bad = np.diff(h) <= 0
    if bad.any():
        i = _first(bad)
        raise InputDataError(path, f"altitude not increasing: {h[i + 1]:g} km follows {h[i]:g} km")
    for name, label in (("density", "density"), ("thickness", "thickness")):
        v = columns[name]
        if np.any(v <= 0):
            raise InputDataError(path, f"{label} not positive at {h[_first(v <= 0)]:g} km")
        bad = np.diff(v) >= 0
        if bad.any():
            i = _first(bad)
            raise InputDataError(
                path,
                f"{label} does not decrease with altitude: {v[i + 1]:.6g} at {h[i + 1]:g} km "
                f">= {v[i]:.6g} at {h[i]:g} km",
            )
    n1 = columns["refractive_index"]
    if np.any(n1 <= 0):
        i = _first(n1 <= 0)
        raise InputDataError(path, f"refractive index n-1 = {n1[i]:.6g} <= 0 at {h[i]:g} km")
    for name in ("temperature", "pressure"):
        if name in columns and np.any(columns[name] <= 0):
            raise InputDataError(
                path, f"{name} not positive at {h[_first(columns[name] <= 0)]:g} km"
            )


def _transmission_matrix(path, table):
    """(wavelengths, altitudes, matrix with NaN for absent cells) of the long table."""
    wl = np.asarray(table["wavelength"], dtype=float)
    alt = np.asarray(table["altitude"], dtype=float)
    tau = np.asarray(table["extinction"], dtype=float)
    order = np.lexsort((alt, wl))
    if np.any(order != np.arange(len(order))):
        raise InputDataError(path, "rows are not sorted by wavelength, then altitude")
    same = (np.diff(wl) == 0) & (np.diff(alt) == 0)
    if same.any():
        i = _first(same)
        raise InputDataError(
            path, f"duplicate row for wavelength {wl[i]:g} nm, altitude {alt[i]:g} km"
        )
    wavelengths, wi = np.unique(wl, return_inverse=True)
    altitudes, ai = np.unique(alt, return_inverse=True)
    matrix = np.full((wavelengths.size, altitudes.size), np.nan)
    matrix[wi, ai] = tau
    return wavelengths, altitudes, matrix


def _monotonic_violation(matrix, axis, sign):
    """First index pair where consecutive finite values along ``axis`` break monotonicity.

    ``sign`` +1: values must not decrease; -1: must not increase. Returns
    (index of the row/column, index of the later element) or None.
    """
    m = matrix if axis == 1 else matrix.T
    if np.all(np.isfinite(m)):
        bad = sign * np.diff(m, axis=1) < 0
        if not bad.any():
            return None
        row, col = np.argwhere(bad)[0]
        return int(row), int(col) + 1
    for row in range(m.shape[0]):  # only with missing cells (rare): compare finite neighbours
        idx = np.flatnonzero(np.isfinite(m[row]))
        bad = sign * np.diff(m[row, idx]) < 0
        if bad.any():
            return row, int(idx[_first(bad) + 1])
    return None


def _check_transmission_physics(path, wavelengths, altitudes, tau, level):
    if np.any(altitudes <= level):
        raise InputDataError(
            path,
            f"emission altitude {altitudes.min():g} km is not above the observation "
            f"level {level:g} km",
        )
    if np.nanmin(tau) < 0:
        raise InputDataError(path, f"negative optical depth {np.nanmin(tau):.6g}")
    found = _monotonic_violation(tau, axis=1, sign=+1)
    if found is not None:
        w, a = found
        raise InputDataError(
            path,
            f"optical depth decreases with altitude at {wavelengths[w]:g} nm: "
            f"{tau[w, a]:.6g} at {altitudes[a]:g} km",
        )
    found = _monotonic_violation(tau, axis=0, sign=-1)
    if found is not None:
        a, w = found
        raise InputDataError(
            path,
            f"optical depth increases with wavelength at {altitudes[a]:g} km: "
            f"{tau[w, a]:.6g} at {wavelengths[w]:g} nm",
        )


def _close(a, b, rel=_REL_TOL, abs_tol=0.0):
    return np.abs(a - b) <= np.maximum(rel * np.abs(b), abs_tol)


def _check_atmprof(path, profile_table):
    try:
        columns = read_atmprof(path)
    except (OSError, ValueError) as err:
        raise InputDataError(path, f"not a CORSIKA atmospheric profile table ({err})") from None
    if len(columns["altitude"]) < 5:
        raise InputDataError(path, f"{len(columns['altitude'])} levels, CORSIKA needs at least 5")
    _check_profile_physics(path, columns)
    if len(columns["altitude"]) != len(profile_table):
        raise InputDataError(
            path, f"{len(columns['altitude'])} levels, the ECSV asset has {len(profile_table)}"
        )
    for name in columns:
        if name not in profile_table.colnames:
            raise InputDataError(path, f"has a {name} column the ECSV asset does not have")
        asset = np.asarray(profile_table[name], dtype=float)
        abs_tol = _ALT_TOL_KM if name == "altitude" else 1e-30
        bad = ~_close(columns[name], asset, abs_tol=abs_tol)
        if bad.any():
            i = _first(bad)
            raise InputDataError(
                path,
                f"{name} at level {i + 1} is {columns[name][i]:.8g}, the ECSV asset has "
                f"{asset[i]:.8g}",
            )


def _check_atm_trans(path, wavelengths, altitudes, tau, level):
    try:
        f_wl, f_alt, f_tau, f_level = read_atm_trans(path)
    except (OSError, ValueError) as err:
        raise InputDataError(path, f"not a sim_telarray transmission table ({err})") from None
    if abs(f_level - level) > _ALT_TOL_KM:
        raise InputDataError(path, f"H2 = {f_level:g} km, the observation level is {level:g} km")
    if f_alt.shape != altitudes.shape or not np.all(np.abs(f_alt - altitudes) <= _ALT_TOL_KM):
        raise InputDataError(path, "H1 altitudes differ from those of the ECSV asset")
    if f_wl.shape != wavelengths.shape or not np.all(np.abs(f_wl - wavelengths) <= _WL_TOL_NM):
        raise InputDataError(path, "wavelengths differ from those of the ECSV asset")
    missing_file, missing_asset = np.isnan(f_tau), np.isnan(tau)
    if np.any(missing_file != missing_asset):
        w, a = np.argwhere(missing_file != missing_asset)[0]
        raise InputDataError(
            path,
            f"missing value (99999.00) mismatch with the ECSV asset at {wavelengths[w]:g} nm, "
            f"{altitudes[a]:g} km",
        )
    both = ~missing_asset
    bad = np.zeros_like(both)
    bad[both] = ~_close(f_tau[both], tau[both], abs_tol=1e-30)
    if bad.any():
        w, a = np.argwhere(bad)[0]
        raise InputDataError(
            path,
            f"optical depth at {wavelengths[w]:g} nm, {altitudes[a]:g} km is {f_tau[w, a]:.8g}, "
            f"the ECSV asset has {tau[w, a]:.8g}",
        )
    _check_transmission_physics(path, f_wl, f_alt, f_tau, f_level)


def _check_clear_night(manifest_path, manifest, given):
    """Check the clear-night block against its record; return the report's field."""
    from .clear_night_record import read_clear_night_record

    block = manifest["clear_night"]
    name = block["record"]["name"]
    path = _locate(manifest_path, [name], given)[name]
    size = path.stat().st_size
    if size != block["record"]["size"]:
        raise InputDataError(
            path, f"size {size} bytes does not match the manifest ({block['record']['size']} bytes)"
        )
    digest = sha256_of(path)
    if digest != block["record"]["sha256"]:
        raise InputDataError(
            path, f"sha256 {digest} does not match the manifest ({block['record']['sha256']})"
        )
    record = read_clear_night_record(path)
    if record["site"]["name"] != manifest["site"]["name"]:
        raise InputDataError(
            path,
            f"is for site {record['site']['name']}, the manifest for {manifest['site']['name']}",
        )
    for key in ("verdict", "mean_vaod", "mean_vaod_err"):
        if record[key] != block[key]:
            raise InputDataError(
                path, f"{key} is {record[key]!r}, the manifest says {block[key]!r}"
            )
    if not block["clear"]:
        log.warning(
            "%s: the night is not clear (verdict %s: %s); the set is delivered marked as such, "
            "its molecular atmosphere is not the whole atmosphere of the night",
            manifest_path,
            block["verdict"],
            block["reason"],
        )
    return {
        "verdict": block["verdict"],
        "clear": block["clear"],
        "reason": block["reason"],
        "mean_vaod": block["mean_vaod"],
        "mean_vaod_err": block["mean_vaod_err"],
        "reference_wavelength_nm": block["reference_wavelength_nm"],
        "record": {"name": name, "sha256": digest},
    }


def validate_exchange(manifest_path, files=None):
    """Validate an exchange set; raise InputDataError at the first violation.

    Parameters
    ----------
    manifest_path : path-like
        The manifest JSON.
    files : sequence of path-like, optional
        The files of the set; a file the manifest lists that is not among them
        is looked for next to the manifest.

    Returns
    -------
    dict
        The validation report (deterministic: names and checksums, no paths or times).
    """
    manifest_path = Path(manifest_path)
    manifest = _read_json(manifest_path)
    _schema_error(manifest_path, manifest, schemas.MANIFEST)
    validity = manifest["validity"]
    if validity["end_utc"] <= validity["start_utc"]:
        raise InputDataError(manifest_path, "validity window ends before it starts")
    site = manifest["site"]
    from ..sites import get_site

    known = get_site(site["name"])
    if site["instrument"] != known.instrument:
        raise InputDataError(
            manifest_path,
            f"site {site['name']} has instrument {known.instrument}, not {site['instrument']}",
        )
    layers = manifest["five_layer_fit"]["layers"]
    heights = [layer["height_min_km"] for layer in layers]
    if [layer["layer"] for layer in layers] != [1, 2, 3, 4, 5] or any(
        b <= a for a, b in zip(heights, heights[1:], strict=False)
    ):
        raise InputDataError(
            manifest_path, "five_layer_fit layers must be 1-5 with increasing height_min_km"
        )
    clear_night_name = manifest.get("clear_night", {}).get("record", {}).get("name")
    set_files = [f for f in files or () if Path(f).name != clear_night_name]
    paths = _check_files(manifest_path, manifest, set_files)

    tables = {}
    for parameter in (PROFILE, TRANSMISSION):
        record = _check_record(paths[_RECORD_ROLE[parameter]], parameter, manifest)
        tables[parameter] = _read_asset(paths[_ASSET_ROLE[parameter]], parameter, record, manifest)

    profile = tables[PROFILE]
    profile_path = paths["atmospheric_profile_asset"]
    _check_profile_physics(
        profile_path, {n: np.asarray(profile[n], dtype=float) for n in profile.colnames}
    )
    level = float(manifest["observation_level_km"])
    if profile["altitude"][0] > level:
        raise InputDataError(
            profile_path,
            f"profile starts at {profile['altitude'][0]:g} km, above the observation level "
            f"{level:g} km",
        )
    transmission_path = paths["atmospheric_transmission_asset"]
    wavelengths, altitudes, tau = _transmission_matrix(transmission_path, tables[TRANSMISSION])
    _check_transmission_physics(transmission_path, wavelengths, altitudes, tau, level)

    _check_atmprof(paths["corsika_atmprof"], profile)
    _check_atm_trans(paths["simtel_atm_trans"], wavelengths, altitudes, tau, level)

    report = {
        "report_version": "1.0.0",
        "valid": True,
        "manifest": {"name": manifest_path.name, "sha256": sha256_of(manifest_path)},
        "product_id": manifest["product_id"],
        "site": site["name"],
        "validity": validity,
        "files": [
            {"name": e["name"], "role": e["role"], "sha256": e["sha256"]} for e in manifest["files"]
        ],
        "summary": {
            "profile_levels": len(profile),
            "profile_altitude_range_km": [
                float(profile["altitude"][0]),
                float(profile["altitude"][-1]),
            ],
            "wavelengths": int(wavelengths.size),
            "wavelength_range_nm": [float(wavelengths[0]), float(wavelengths[-1])],
            "emission_altitudes": int(altitudes.size),
            "missing_optical_depths": int(np.isnan(tau).sum()),
            "observation_level_km": level,
        },
        "checks": [
            "manifest schema " + schemas.MANIFEST,
            "file sizes and sha256",
            "parameter records: schema " + schemas.RECORD + ", file names, identity",
            "ECSV assets: column contracts (columns, units, descriptions, float64, finite, meta)",
            "profile: altitude increasing, density and thickness decreasing, n-1 > 0",
            "transmission: optical depth >= 0, non-decreasing with altitude, "
            "non-increasing with wavelength",
            "native atmprof and atm_trans agree with the assets",
        ],
    }
    if "clear_night" in manifest:  # only then: a set without it gives the report as before
        report["clear_night"] = _check_clear_night(manifest_path, manifest, files)
        report["checks"].append(
            "clear-night record: size and sha256, site, verdict and mean VAOD as in the manifest"
        )
    return report
