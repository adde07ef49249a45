"""Reading calibration products from disk for upload: files, manifests, metadata, validity.

A product is one or more files. An exchange manifest (kind ``atmospheric-model``) is
a JSON object with a ``files`` list of ``{"name": ..., "sha256": ...}``; the product
is then the manifest plus every file it lists, each checked against its sha256.
ECSV files are read with astropy (their table ``meta`` gives target and validity
when the flags do not), JSON files with :mod:`json`.
"""

import hashlib
import json
from pathlib import Path

from ..errors import InputDataError
from .kinds import parse_utc
from .repository import FileBlob

#: meta keys giving the start / end of validity, in order of preference
VALID_FROM_KEYS = ("valid_from", "validity_start", "validity_start_utc", "valid_from_utc")
VALID_TO_KEYS = ("valid_to", "validity_end", "validity_end_utc", "valid_to_utc")
#: meta keys giving the target
TARGET_KEYS = ("target", "site", "tel_id", "telescope", "telescope_id")


def parse_manifest(path):
    """Read an exchange manifest; return (the JSON object, [(name, sha256), ...]).

    Any JSON object with a ``files`` list of ``{"name": str, "sha256": str}`` is
    accepted; names must be plain file names, unique, and sha256 64 hex digits.
    Raises :class:`InputDataError` naming the manifest otherwise.
    """
    path = Path(path)
    try:
        manifest = json.loads(path.read_bytes())
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise InputDataError(path, f"manifest is not valid JSON ({err})") from None
    entries = manifest.get("files") if isinstance(manifest, dict) else None
    if not isinstance(entries, list) or not entries:
        raise InputDataError(path, "manifest has no 'files' list")
    listed = []
    for i, entry in enumerate(entries):
        if not isinstance(entry, dict):
            raise InputDataError(path, f"files[{i}] is not an object with name and sha256")
        name, digest = entry.get("name"), entry.get("sha256")
        if not isinstance(name, str) or not name or Path(name).name != name:
            raise InputDataError(path, f"files[{i}]: 'name' must be a plain file name")
        if not isinstance(digest, str) or len(digest) != 64 or not _is_hex(digest):
            raise InputDataError(path, f"files[{i}] ({name}): 'sha256' must be 64 hex digits")
        listed.append((name, digest.lower()))
    names = [n for n, _ in listed]
    if len(set(names)) != len(names):
        raise InputDataError(path, "manifest lists a file name twice")
    return manifest, listed


def _is_hex(text):
    try:
        int(text, 16)
    except ValueError:
        return False
    return True


def read_blob(path, expected_sha256=None, listed_in=None):
    """Read a file as a :class:`FileBlob`; check its sha256 if one is expected."""
    path = Path(path)
    data = path.read_bytes()
    if expected_sha256 is not None:
        actual = hashlib.sha256(data).hexdigest()
        if actual != expected_sha256:
            where = f" listed in {Path(listed_in).name}" if listed_in else ""
            raise InputDataError(
                path, f"checksum mismatch: sha256 {actual}, expected {expected_sha256}{where}"
            )
    return FileBlob(path.name, data)


def read_meta(path):
    """The metadata of a product file: ECSV table meta, a JSON object's top level, or {}."""
    path = Path(path)
    if path.suffix == ".ecsv":
        from astropy.table import Table

        try:
            table = Table.read(path, format="ascii.ecsv")
        except Exception as err:  # astropy raises many types for a bad ECSV
            first = str(err).splitlines()[0] if str(err) else type(err).__name__
            raise InputDataError(path, f"not a readable ECSV table ({first})") from None
        return _plain(dict(table.meta))
    if path.suffix == ".json":
        try:
            data = json.loads(path.read_bytes())
        except (UnicodeDecodeError, json.JSONDecodeError) as err:
            raise InputDataError(path, f"not valid JSON ({err})") from None
        return (
            _plain({k: v for k, v in data.items() if k != "files"})
            if isinstance(data, dict)
            else {}
        )
    return {}


def _plain(value):
    """Meta as plain JSON types (astropy may give OrderedDicts, numpy scalars, ...)."""
    return json.loads(json.dumps(value, default=str))


def _first(meta, keys):
    for key in keys:
        if meta.get(key) not in (None, ""):
            return key, meta[key]
    validity = meta.get("validity")
    if isinstance(validity, dict):  # the exchange manifest: validity {start_utc, end_utc}
        short = {"valid_from": "start", "valid_to": "end"}[keys[0]]
        for key in (short, f"{short}_utc"):
            if validity.get(key) not in (None, ""):
                return f"validity.{key}", validity[key]
    night = meta.get("night")
    if isinstance(night, dict):  # the clear-night record: night {start, end} (UTC)
        key = {"valid_from": "start", "valid_to": "end"}[keys[0]]
        if night.get(key) not in (None, ""):
            return f"night.{key}", night[key]
    return None, None


def validity_from_meta(meta, path):
    """(valid_from, valid_to) from a product's meta, or None where absent.

    Raises :class:`InputDataError` naming ``path`` if a value is not a time.
    """
    values = []
    for keys in (VALID_FROM_KEYS, VALID_TO_KEYS):
        key, value = _first(meta, keys)
        if key is None:
            values.append(None)
            continue
        try:
            values.append(parse_utc(value))
        except ValueError as err:
            raise InputDataError(path, f"meta {key}: {err}") from None
    return tuple(values)


def target_from_meta(meta):
    """The raw target named in a product's meta (site, tel_id, ...), or None.

    A site given as an object (the exchange manifest's ``site: {name, instrument, ...}``)
    is named by its ``name``.
    """
    for key in TARGET_KEYS:
        value = meta.get(key)
        if isinstance(value, dict):
            value = value.get("name") or value.get("instrument")
        if value not in (None, ""):
            return str(value)
    return None


def load_provenance(path):
    """The provenance record as text (checked to be a JSON object)."""
    path = Path(path)
    text = path.read_bytes()
    try:
        record = json.loads(text)
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise InputDataError(path, f"provenance record is not valid JSON ({err})") from None
    if not isinstance(record, dict):
        raise InputDataError(path, "provenance record is not a JSON object")
    return text.decode(), record


def check_provenance_outputs(record, blobs, path):
    """If the provenance lists an output with the name of a product file, the sha256 must match."""
    outputs = {
        o.get("name"): o.get("sha256") for o in record.get("outputs", []) if isinstance(o, dict)
    }
    for blob in blobs:
        recorded = outputs.get(blob.name)
        if recorded is not None and recorded != blob.sha256:
            raise InputDataError(
                path, f"records {blob.name} with sha256 {recorded}, the file has {blob.sha256}"
            )
