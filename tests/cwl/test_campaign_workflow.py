"""The campaign workflow delivers, per night, what the single-night chain delivers for it.

The suite's cwltool reference run of cwl/jobs/molecular-atmosphere-campaign.yml (three nights
of the bundled GDAS analyses: two with data, one without) against the steps run one by one for
the night of 2024-01-16 (with the CO2 months up to that date, as the campaign does).
"""

import json

import pytest
from campaign_chain import single_night_chain
from conftest import DATA

from calibpipe_tasks.campaign_runner import NIGHT_STEPS
from calibpipe_tasks.outputs import sha256_of

pytestmark = pytest.mark.engines

GDAS = sorted(DATA.glob("gdas_north_2024011*.grib2"))
STEPS = set(NIGHT_STEPS)


def test_campaign_night_is_the_single_night_chain(reference, tmp_path):
    outdir = reference.outdir("molecular-atmosphere-campaign")
    index = json.loads((outdir / "campaign_index.json").read_text())
    assert [n["status"] for n in index["nights"]] == ["delivered", "delivered", "failed"]
    assert index["nights"][2]["reason"].startswith("no meteorological data in the night's window")
    night = index["nights"][1]
    assert night["date"] == "2024-01-16" and night["steps"] == sorted(STEPS)

    manifest = single_night_chain(tmp_path, GDAS, "2024-01-16")
    delivered = outdir / night["directory"]
    assert (delivered / manifest.name).read_bytes() == manifest.read_bytes()
    for item in json.loads(manifest.read_text())["files"]:
        assert sha256_of(delivered / item["name"]) == item["sha256"], item["name"]
    assert (delivered / "exchange_validation.json").read_bytes() == (
        tmp_path / "exchange_validation.json"
    ).read_bytes()

    # the night's provenance records are its own chain: its date, its meteorological table
    records = {
        p.name.removesuffix(".provenance.json"): json.loads(p.read_text())
        for p in delivered.glob("*.provenance.json")
    }
    assert set(records) == STEPS
    assert records["ingest-meteo"]["parameters"]["date"] == "2024-01-16"
    assert records["compute-macobac"]["parameters"]["until"] == "2024-01-16"
    meteo_sha = {o["sha256"] for o in records["ingest-meteo"]["outputs"]}
    assert meteo_sha == {sha256_of(tmp_path / "meteo.ecsv")}
    assert meteo_sha <= {i["sha256"] for i in records["create-atmospheric-model"]["inputs"]}
