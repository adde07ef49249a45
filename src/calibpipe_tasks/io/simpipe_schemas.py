"""The JSON Schemas of the SimPipe exchange, shipped as package data.

The repository's ``schemas/`` directory is the published copy; the identical
files in ``calibpipe_tasks/data/schemas/`` are what an installed package (a
container, a wheel) reads, so that ``validate-exchange`` works without the
repository (a test keeps both copies identical).
"""

import json
from functools import cache
from importlib.resources import files

MANIFEST = "atmosphere-exchange-manifest.schema.json"
RECORD = "simtools-model-parameter-record.schema.json"
PROFILE_COLUMNS = "atmospheric_profile.columns.schema.json"
TRANSMISSION_COLUMNS = "atmospheric_transmission.columns.schema.json"
CAMPAIGN_INDEX = "molecular-atmosphere-campaign-index.schema.json"
ALL = (MANIFEST, RECORD, PROFILE_COLUMNS, TRANSMISSION_COLUMNS, CAMPAIGN_INDEX)

#: column contract per simtools parameter name
COLUMN_CONTRACTS = {
    "atmospheric_profile": PROFILE_COLUMNS,
    "atmospheric_transmission": TRANSMISSION_COLUMNS,
}


def schema_directory():
    """The directory (a :class:`importlib.resources` traversable) holding the schemas."""
    return files("calibpipe_tasks") / "data" / "schemas"


@cache
def _load(name):
    return json.loads((schema_directory() / name).read_text(encoding="utf-8"))


def load_schema(name):
    """The JSON Schema ``name`` (one of :data:`ALL`) as a new dict."""
    return json.loads(json.dumps(_load(name)))


def column_contract(parameter):
    """Required/optional columns, canonical units, descriptions and meta keys of an ECSV asset.

    Parameters
    ----------
    parameter : str
        ``"atmospheric_profile"`` or ``"atmospheric_transmission"``.

    Returns
    -------
    dict
        ``columns``: ordered dict name -> {"unit", "description", "required"};
        ``required_meta``: list of meta keys; ``sort_by``: list of column names;
        ``schema``: the full JSON Schema.
    """
    schema = _load(COLUMN_CONTRACTS[parameter])
    columns_schema = schema["properties"]["columns"]
    required = set(columns_schema["required"])
    columns = {
        name: {
            "unit": spec["properties"]["unit"]["const"],
            "description": spec["description"],
            "required": name in required,
        }
        for name, spec in columns_schema["properties"].items()
    }
    return {
        "columns": columns,
        "required_meta": list(schema["properties"]["meta"]["required"]),
        "sort_by": list(schema["x-sort-by"]),
        "schema": load_schema(COLUMN_CONTRACTS[parameter]),
    }
