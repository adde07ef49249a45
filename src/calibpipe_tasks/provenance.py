"""Provenance record written by every step run.

The record is JSON: step name, software versions, command line, all resolved
parameters, every input and output file with its size and sha256, start and end
time (UTC, ISO 8601) and the host. It is the only file of a step that carries
time stamps; the products themselves are byte-identical between re-runs.
"""

import getpass
import json
import os
import platform
import socket
import sys
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from . import __version__
from .outputs import sha256_of

#: distributions whose versions are recorded when the step has imported them
TRACKED_DISTRIBUTIONS = {
    "numpy": "numpy",
    "scipy": "scipy",
    "astropy": "astropy",
    "netCDF4": "netCDF4",
    "eccodes": "eccodes",
    "ctapipe": "ctapipe",
    "iminuit": "iminuit",
    "tables": "tables",
    "sqlalchemy": "SQLAlchemy",
    "alembic": "alembic",
    "psycopg": "psycopg",
    "matplotlib": "matplotlib",
    "jsonschema": "jsonschema",
    "requests": "requests",
    "cdsapi": "cdsapi",
}


def utc_now():
    """Current UTC time as an ISO 8601 string with a ``Z`` suffix."""
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def software_versions():
    """Versions of Python, calibpipe-tasks and every tracked library the process imported."""
    versions = {"python": platform.python_version()}
    versions["calibpipe-tasks"] = __version__
    for module, dist in TRACKED_DISTRIBUTIONS.items():
        if module in sys.modules:
            try:
                versions[dist] = version(dist)
            except PackageNotFoundError:  # pragma: no cover
                pass
    return versions


def file_record(path, role=None, sha256=None):
    """Describe one file: path, basename, size and sha256 (``sha256``: already computed)."""
    path = Path(path)
    record = {
        "path": str(path),
        "name": path.name,
        "size": path.stat().st_size,
        "sha256": sha256 or sha256_of(path),
    }
    if role:
        record["role"] = role
    return record


def _jsonable(value):
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


def _files_of(paths):
    """The files of ``paths``, a directory product standing for the files in it (sorted)."""
    files = []
    for path in map(Path, paths):
        files.extend(sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path])
    return files


def build_record(
    step, argv, parameters, inputs, outputs, start, end, status="success", input_digests=None
):
    """Assemble the provenance record of one step run (a JSON-serialisable dict).

    ``input_digests`` maps input paths to their sha256 where the step already computed it.
    """
    input_digests = input_digests or {}
    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # pragma: no cover - containers without passwd entry
        user = str(os.getuid())
    return {
        "provenance_version": "1.0",
        "step": step,
        "status": status,
        "command_line": list(argv),
        "parameters": _jsonable(parameters),
        "software": software_versions(),
        "inputs": [file_record(p, role, input_digests.get(Path(p))) for p, role in inputs],
        "outputs": [file_record(p) for p in _files_of(outputs)],
        "start_time_utc": start,
        "end_time_utc": end,
        "host": {
            "hostname": socket.gethostname(),
            "platform": platform.platform(),
            "user": user,
            "working_directory": os.getcwd(),
        },
    }


def dumps(record):
    """Serialise a provenance record as indented JSON bytes."""
    return (json.dumps(record, indent=2, sort_keys=False) + "\n").encode()
