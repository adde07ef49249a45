"""The numbers of a float product, and their comparison across machines within tolerances.

Floats computed by numpy, numba or BLAS differ in their last bits from one CPU to another
(AVX-512 vs AVX2 kernels, ARM; DESIGN.md §3a), so a product holding such floats is the same
product on two machines when its *numbers* agree within a tolerance, not its bytes.

:func:`fingerprint` reduces a product file to what is compared across machines:

- everything exact (column names, units, descriptions, dtypes, shapes, integers, strings,
  keys, the number of non-finite values) as it is, or as the sha256 of its values;
- every float array as its sum, sum of absolute values, minimum, maximum and
  :data:`N_SAMPLES` values at evenly spaced positions (first and last included).

:func:`compare` checks one fingerprint against another with the tolerance of each quantity
(:func:`tolerance_for`). What names the software stack (JSON ``software`` records, HDF5
attributes naming versions) and checksums or sizes of other float products (which differ
when those do) are left out: they are checked, where they are exact, on the same machine.

Supported: ECSV tables, HDF5 files (PyTables: tables, arrays, attributes), text tables
(``.dat``: numeric tokens compared as numbers), JSON, PNG (size and pixel format), GRIB
(ecCodes: keys and values) and netCDF. Other files are exact (:func:`is_exact`).
"""

import fnmatch
import hashlib
import json
import math
import re
import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

#: float values kept of each array, at evenly spaced positions
N_SAMPLES = 16

#: suffixes with a fingerprint
NUMERIC_SUFFIXES = (".ecsv", ".h5", ".hdf5", ".dat", ".json", ".png", ".grib", ".grib2", ".nc")

#: JSON keys left out across machines: the software stack, and checksums/sizes of other files
#: (those of float products differ when their bytes do; exact files carry their own checksum)
SKIPPED_JSON_KEYS = frozenset({"software", "sha256", "content_sha256", "size"})

#: HDF5 attributes naming the software stack (ctapipe's CTA metadata, PyTables versions) or
#: the run (ctapipe's own tools write a random activity id and the creation time)
SOFTWARE_ATTRIBUTE = re.compile(
    r"VERSION|SOFTWARE|PYTHON|ACTIVITY|CREATION TIME|PRODUCT ID", re.IGNORECASE
)


@dataclass(frozen=True)
class Tolerance:
    """Relative and absolute tolerance of a quantity, and why it is what it is."""

    rtol: float
    atol: float
    why: str
    #: integers and flags exact (else compared by their sums within the tolerance)
    exact_integers: bool = True
    #: False: only the structure (names, dtypes, shapes) is compared across CPUs
    numbers: bool = True


#: Default for floats computed by deterministic closed-form code (atmosphere: Ciddor, CIPM,
#: Tomasi, integrations, interpolations): last-bit differences (1e-16) grow to at most ~1e-13
#: through the chains measured here; 1e-9 leaves margin and is 7 orders of magnitude below the
#: physical precision of any product (>= 1e-3 relative).
DEFAULT = Tolerance(1e-9, 1e-300, "deterministic numerics: last-bit noise <= 1e-13 measured")

#: numbers printed with 8 significant digits (atmprof %14.7e, atm_trans): one last-bit change
#: can flip the last printed digit, i.e. up to 1e-7 relative
PRINTED = Tolerance(2e-7, 1e-300, "printed with 8 significant digits: one unit = 1e-7")

#: event and chunk times [s]: 1 microsecond (times come from the inputs or from chunking)
TIMES = Tolerance(0.0, 1e-6, "times to 1 microsecond")

#: (pattern on "<entry>/<file>:<quantity>", tolerance), first match wins. The quantity is the
#: path of a column, node or key in the fingerprint (e.g. "columns/mean", "five_layer_fit/a").
RULES = (
    # ctapipe's muon intensity fit (iminuit on a numba-compiled likelihood with several minima
    # and kinks, refined by muon/intensity_fit.py) is not stable to the last bits between CPUs
    # (issue 10 item 3, measured native vs baseline x86-64 on the 91 rings of the muon samples:
    # efficiency 2.2e-4 relative, impact 0.024 m, width 2.1e-4; the validity flags agree since
    # validity is a probe of the minimum instead of MIGRAD's EDM). Per-ring outputs are
    # compared at that measured level, flags exactly:
    (
        "*muon*:*muonefficiency_optical_efficiency*",
        Tolerance(1e-3, 1e-4, "intensity fit: efficiency stable to 2.2e-4 measured"),
    ),
    ("*muon*:*muonefficiency_is_valid*", DEFAULT),
    ("*muon*:*muonefficiency_parameters_at_limit*", DEFAULT),
    (
        "*muon*:*muonefficiency_*",
        Tolerance(0.25, 0.5, "intensity fit: impact to 0.024 m, width to 2.1e-4 measured"),
    ),
    # aggregates of freshly fitted rings (the muon-calibration workflow refits its runs): the
    # same rings, their efficiencies to 2.2e-4, their widths to 2.1e-4
    (
        "muon-calibration/muon_[tp][hs]*",
        Tolerance(2e-3, 1e-6, "aggregates of refitted rings: inputs stable to 2.2e-4"),
    ),
    # aggregation of given ring tables (muon-throughput, muon-psf on committed muon files):
    # deterministic numerics, sigma clipping and weighted fits
    ("*muon*", Tolerance(1e-9, 1e-12, "deterministic aggregation of given rings")),
    # CORSIKA 5-layer fit (least squares through BLAS): 5e-8 relative measured between CPU
    # kernels; its parameters are informational (CORSIKA re-fits the table), residuals 1e-2
    ("*layer_fit*", Tolerance(1e-6, 1e-9, "least-squares fit through BLAS: 5e-8 measured")),
    ("*:*five_layer_fit*", Tolerance(1e-6, 1e-9, "least-squares fit through BLAS: 5e-8 measured")),
    ("*.dat:*", PRINTED),
    # fit-spe's batched Levenberg-Marquardt fit stops at its convergence tolerance: measured
    # native vs baseline x86-64 kernels, values 1e-7 and errors 2.8e-7 relative apart (the
    # statistical errors are ~ 3 %)
    ("fit-spe/*", Tolerance(1e-5, 1e-12, "batched SPE fit: 2.8e-7 measured between CPUs")),
    # the camera-calibration workflow with its single-p.e. branch: the same fit, whose F^2 per
    # pixel feeds the coefficients (native vs baseline x86-64: 1.5e-8 relative measured in both)
    (
        "camera-calibration-spe/spe_fit.ecsv:*",
        Tolerance(1e-5, 1e-12, "batched SPE fit: 1.5e-8 measured between CPUs"),
    ),
    (
        "camera-calibration-spe/camera_coefficients.*",
        Tolerance(1e-5, 1e-12, "coefficients with the SPE fit's F^2: 1.5e-8 measured"),
    ),
    # validate-camera-coefficients on the events the coefficients were made from: closure
    # values (chi2/ndf 1e-8..1e-2, pulls 1e-5..0.1) are differences of nearly equal means, which
    # amplify last-bit noise; with the SPE fit's F^2 they follow its coefficients
    (
        "camera-calibration-spe/camera_validation.*",
        Tolerance(1e-5, 1e-9, "validation of coefficients with the SPE fit's F^2"),
    ),
    (
        "*/camera_validation.*",
        Tolerance(1e-6, 1e-9, "closure values: differences of nearly equal means"),
    ),
)


def tolerance_for(product, quantity):
    """The tolerance of ``quantity`` in ``product`` ("<entry>/<file>")."""
    for pattern, tolerance in RULES:
        if fnmatch.fnmatchcase(f"{product}:{quantity}", pattern):
            return tolerance
    return DEFAULT


def is_exact(path):
    """Whether a product's bytes are the same on every machine (a checksum holds).

    Files without a numeric fingerprint, and JSON documents without floats and without
    checksums of other files (e.g. simtools parameter records).
    """
    path = Path(path)
    if path.suffix not in NUMERIC_SUFFIXES:
        return True
    if path.suffix != ".json":
        return False
    return not _has_floats_or_checksums(json.loads(path.read_text()))


def _has_floats_or_checksums(node):
    if isinstance(node, dict):
        return any(k in SKIPPED_JSON_KEYS or _has_floats_or_checksums(v) for k, v in node.items())
    if isinstance(node, list):
        return any(_has_floats_or_checksums(v) for v in node)
    return isinstance(node, float)


# --- fingerprints ------------------------------------------------------------------------


def _digest(data):
    return hashlib.sha256(data).hexdigest()


def _float(x):
    """A float as JSON can hold it (None for NaN, strings for infinities)."""
    x = float(x)
    if math.isnan(x):
        return None
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    return x


def array_fingerprint(values):
    """What is compared of an array: exact for integers/strings, numbers for floats."""
    a = np.asarray(values)
    fp = {"dtype": a.dtype.kind, "shape": list(a.shape)}
    if a.dtype.kind in "fc":
        a = np.asarray(a, dtype=np.complex128 if a.dtype.kind == "c" else np.float64).ravel()
        if a.dtype.kind == "c":
            a = np.concatenate([a.real, a.imag])
        finite = np.isfinite(a)
        fp["nonfinite"] = _digest(np.flatnonzero(~finite).astype("<i8").tobytes())
        good = a[finite]
        if good.size:
            fp.update(
                sum=_float(good.sum()),
                abs_sum=_float(np.abs(good).sum()),
                min=_float(good.min()),
                max=_float(good.max()),
            )
        if a.size:
            index = np.unique(np.linspace(0, a.size - 1, N_SAMPLES).round().astype(int))
            fp["samples"] = [_float(v) for v in a[index]]
    elif a.dtype.kind in "iub":
        fp["sha256"] = _digest(np.ascontiguousarray(a, dtype="<i8").tobytes())
        fp["sum"] = int(a.astype(np.int64).sum())
    else:  # strings, bytes, objects: their text
        text = "\x1f".join(v.decode() if isinstance(v, bytes) else str(v) for v in a.ravel())
        fp["sha256"] = _digest(text.encode())
    return fp


def _json_safe(node):
    """Table meta and attributes as JSON values (numpy scalars and arrays converted)."""
    if isinstance(node, dict):
        return {str(k): _json_safe(v) for k, v in node.items()}
    if isinstance(node, (list, tuple)):
        return [_json_safe(v) for v in node]
    if isinstance(node, np.ndarray):
        return _json_safe(node.tolist())
    if isinstance(node, np.generic):
        return _json_safe(node.item())
    if isinstance(node, bytes):
        return node.decode(errors="replace")
    if isinstance(node, float):
        return _float(node)
    if node is None or isinstance(node, (bool, int, str)):
        return node
    return str(node)


def _without_skipped(node):
    if isinstance(node, dict):
        return {k: _without_skipped(v) for k, v in node.items() if k not in SKIPPED_JSON_KEYS}
    if isinstance(node, list):
        return [_without_skipped(v) for v in node]
    return node


def _ecsv(path):
    from astropy.table import Table
    from astropy.time import Time

    table = Table.read(path, format="ascii.ecsv")
    columns = {}
    for name in table.colnames:
        col = table[name]
        if isinstance(col, Time):
            seconds = (col.tai - Time("2000-01-01T00:00:00", scale="tai")).to_value("s")
            columns[name] = {"time": True, **array_fingerprint(seconds)}
            continue
        columns[name] = {
            "unit": str(col.unit) if getattr(col, "unit", None) is not None else None,
            "description": getattr(col, "description", None),
            **array_fingerprint(np.asarray(col)),
        }
    return {"columns": columns, "order": table.colnames, "meta": _json_safe(table.meta)}


def _hdf5(path):
    import tables

    nodes = {}
    with tables.open_file(path, mode="r") as h5:
        for node in h5.walk_nodes("/"):
            attrs = {
                name: _json_safe(node._v_attrs[name])
                for name in node._v_attrs._f_list("user")
                if not SOFTWARE_ATTRIBUTE.search(name)
            }
            entry = {"attrs": attrs}
            if isinstance(node, tables.Table):
                data = node.read()
                entry["columns"] = {
                    name: array_fingerprint(data[name]) for name in data.dtype.names
                }
            elif isinstance(node, tables.Leaf):
                entry["array"] = array_fingerprint(node.read())
            nodes[node._v_pathname] = entry
    return {"nodes": nodes}


_NUMBER = re.compile(r"^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$")


def _text_table(path):
    tokens = path.read_text().split()
    numeric = [t for t in tokens if _NUMBER.match(t)]
    words = [t if not _NUMBER.match(t) else "#" for t in tokens]
    return {
        "words": _digest("\x1f".join(words).encode()),
        "numbers": array_fingerprint(np.array([float(t) for t in numeric])),
    }


def _json(path):
    return {"json": _without_skipped(_json_safe(json.loads(path.read_text())))}


def _png(path):
    header = path.read_bytes()[:33]
    if header[:8] != b"\x89PNG\r\n\x1a\n" or header[12:16] != b"IHDR":
        return {"png": "not a PNG"}
    width, height, depth, colour = struct.unpack(">IIBB", header[16:26])
    return {"png": {"width": width, "height": height, "depth": depth, "colour": colour}}


GRIB_KEYS = ("shortName", "typeOfLevel", "level", "dataDate", "dataTime", "Ni", "Nj")
GRIB_KEYS += ("latitudeOfFirstGridPointInDegrees", "longitudeOfFirstGridPointInDegrees")


def _grib(path):
    """GRIB messages: keys exact, the values of each variable (all its messages) as numbers."""
    import eccodes

    keys, values = [], {}
    with path.open("rb") as f:
        while (gid := eccodes.codes_grib_new_from_file(f)) is not None:
            try:
                keys.append({k: _json_safe(eccodes.codes_get(gid, k)) for k in GRIB_KEYS})
                values.setdefault(keys[-1]["shortName"], []).append(eccodes.codes_get_values(gid))
            finally:
                eccodes.codes_release(gid)
    return {
        "messages": len(keys),
        "keys": _digest(json.dumps(keys, sort_keys=True).encode()),
        "values": {name: array_fingerprint(np.concatenate(v)) for name, v in values.items()},
    }


def _netcdf(path):
    import netCDF4

    with netCDF4.Dataset(path) as ds:
        ds.set_auto_mask(False)
        variables = {
            name: {
                "dimensions": list(v.dimensions),
                "attrs": _json_safe({a: v.getncattr(a) for a in v.ncattrs()}),
                **array_fingerprint(v[...]),
            }
            for name, v in ds.variables.items()
        }
        attrs = _json_safe({a: ds.getncattr(a) for a in ds.ncattrs()})
    return {"variables": variables, "attrs": attrs}


_READERS = {
    ".ecsv": _ecsv,
    ".h5": _hdf5,
    ".hdf5": _hdf5,
    ".dat": _text_table,
    ".json": _json,
    ".png": _png,
    ".grib": _grib,
    ".grib2": _grib,
    ".nc": _netcdf,
}


def fingerprint(path):
    """The numbers of a product file (see the module's docstring)."""
    path = Path(path)
    return {"format": path.suffix.lstrip("."), **_READERS[path.suffix](path)}


# --- comparison --------------------------------------------------------------------------


def _close(expected, actual, tol, scale=None):
    if expected is None or actual is None or isinstance(expected, str):
        return expected == actual
    if isinstance(actual, str):
        return False
    bound = tol.atol + tol.rtol * (abs(expected) if scale is None else scale)
    return abs(actual - expected) <= bound


def _compare_arrays(expected, actual, product, quantity, problems):
    tol = tolerance_for(product, quantity)
    if not tol.numbers:
        for key in ("dtype", "shape"):
            if expected.get(key) != actual.get(key):
                problems.append(f"{quantity}: {key} {actual.get(key)!r} != {expected.get(key)!r}")
        return
    if expected["dtype"] in "iub" and not tol.exact_integers:
        n = math.prod(expected["shape"]) or 1
        if expected["shape"] != actual.get("shape") or not _close(
            expected.get("sum", 0), actual.get("sum", 0), Tolerance(tol.rtol, 0, ""), n
        ):
            problems.append(f"{quantity}: sum {actual.get('sum')} != {expected.get('sum')}")
        return
    keys = ("dtype", "shape", "nonfinite", "sha256", "time")
    if not tol.exact_integers:
        keys = ("dtype", "shape", "time")
    for key in keys:
        if expected.get(key) != actual.get(key):
            problems.append(f"{quantity}: {key} {actual.get(key)!r} != {expected.get(key)!r}")
            return
    if expected["dtype"] not in "fc":
        return
    n = math.prod(expected["shape"]) or 1
    scale = expected.get("abs_sum")
    checks = [
        (k, expected.get(k), actual.get(k), scale if k in ("sum", "abs_sum") else None)
        for k in ("sum", "abs_sum", "min", "max")
    ]
    for k, e, a, s in checks:
        if (e is None) != (a is None):
            problems.append(f"{quantity}: {k} {a!r} != {e!r}")
            return
        if e is not None and not _close(e, a, Tolerance(tol.rtol, tol.atol * n, tol.why), s):
            problems.append(f"{quantity}: {k} {a!r} != {e!r} (rtol {tol.rtol:g}: {tol.why})")
            return
    samples = zip(expected.get("samples", []), actual.get("samples", []), strict=True)
    for i, (e, a) in enumerate(samples):
        if not _close(e, a, tol):
            problems.append(f"{quantity}: sample {i} {a!r} != {e!r} (rtol {tol.rtol:g}: {tol.why})")
            return


def _compare_values(expected, actual, product, path, problems):
    """JSON-like values: keys and strings exact, numbers within the tolerance of their path."""
    if isinstance(expected, dict) and isinstance(actual, dict):
        if sorted(expected) != sorted(actual):
            missing = sorted(set(expected) - set(actual))
            extra = sorted(set(actual) - set(expected))
            problems.append(f"{path or '/'}: keys missing {missing}, unexpected {extra}")
            return
        if expected.get("dtype") is not None and "shape" in expected:  # an array fingerprint
            _compare_arrays(expected, actual, product, path, problems)
            return
        for key in expected:
            _compare_values(
                expected[key], actual[key], product, f"{path}/{key}".lstrip("/"), problems
            )
        return
    if isinstance(expected, list) and isinstance(actual, list):
        if len(expected) != len(actual):
            problems.append(f"{path}: {len(actual)} items != {len(expected)}")
            return
        for i, (e, a) in enumerate(zip(expected, actual, strict=True)):
            _compare_values(e, a, product, f"{path}/{i}", problems)
        return
    both_numbers = all(
        isinstance(v, (int, float)) and not isinstance(v, bool) for v in (expected, actual)
    )
    if both_numbers and (isinstance(expected, float) or isinstance(actual, float)):
        tol = tolerance_for(product, path)
        if not _close(expected, actual, tol):
            problems.append(f"{path}: {actual!r} != {expected!r} (rtol {tol.rtol:g}: {tol.why})")
        return
    if isinstance(expected, str) and isinstance(actual, str) and expected != actual:
        document_e, document_a = _json_document(expected), _json_document(actual)
        if document_e is not None and document_a is not None:
            # a JSON document kept in a string (e.g. an HDF5 attribute of step metadata):
            # its numbers are compared as numbers
            _compare_values(document_e, document_a, product, path, problems)
            return
    if expected != actual:
        problems.append(f"{path}: {actual!r} != {expected!r}")


def _json_document(text):
    """``text`` parsed when it is a JSON object or array, else None."""
    if not text.lstrip().startswith(("{", "[")):
        return None
    try:
        return _json_safe(json.loads(text))
    except ValueError:
        return None


def compare(expected, actual, product):
    """The differences (one line each) between two fingerprints of ``product``.

    ``product`` is "<entry>/<file>", which selects the tolerances (:data:`RULES`).
    """
    problems = []
    _compare_values(expected, actual, product, "", problems)
    return problems
