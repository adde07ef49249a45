"""Regenerate the campaign sample of this directory (the inputs of cwl/jobs/index-campaign.yml).

    .venv/bin/python tests/data/campaign/make_sample.py

``campaign_plan_sample.json``: the plan of a two-night campaign at CTAO-North whose first
night is the bundled exchange sample's (tests/data/exchange_sample, valid 2023-06-15T21:30Z
to 2023-06-16T05:45Z: the window is the sample's, not an astronomical night) and whose
second night has no meteorological data; ``exchange_validation_sample.json``: the
validate-exchange report of the sample set. A test checks that this script reproduces the
committed files byte for byte.
"""

import json
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
SAMPLE = HERE.parent / "exchange_sample"
MANIFEST = SAMPLE / "atmosphere_exchange_sample-north-20230615.json"
PLAN = HERE / "campaign_plan_sample.json"
REPORT = HERE / "exchange_validation_sample.json"
#: a meteorological file standing for the campaign's input (times only; not committed)
METEO_FILE = "era5_north_202306.nc"


def plan():
    from calibpipe_tasks.atmosphere.campaign import iso_utc, plan_nights
    from calibpipe_tasks.sites import get_site
    from calibpipe_tasks.steps.plan_campaign import plan_document

    validity = json.loads(MANIFEST.read_text())["validity"]
    start = np.datetime64(validity["start_utc"].rstrip("Z"), "s")
    end = np.datetime64(validity["end_utc"].rstrip("Z"), "s")
    day = np.timedelta64(1, "D")
    times = np.arange(
        start - np.timedelta64(90, "m"), end + np.timedelta64(1, "h"), np.timedelta64(3600, "s")
    )
    times = times.astype("datetime64[s]")
    nights = plan_nights(
        ["2023-06-15", "2023-06-16"], [(start, end), (start + day, end + day)], {METEO_FILE: times}
    )
    files = [
        {
            "name": METEO_FILE,
            "format": "netcdf4",
            "sha256": "0" * 64,
            "n_times": int(times.size),
            "first_utc": iso_utc(times[0]),
            "last_utc": iso_utc(times[-1]),
        }
    ]
    return plan_document(get_site("North"), 1, files, nights)


def make(directory=HERE):
    from calibpipe_tasks.io.simpipe import write_json
    from calibpipe_tasks.io.simpipe_validate import validate_exchange

    directory = Path(directory)
    (directory / PLAN.name).write_text(json.dumps(plan(), indent=2) + "\n")
    write_json(directory / REPORT.name, validate_exchange(MANIFEST))
    return directory / PLAN.name, directory / REPORT.name


if __name__ == "__main__":
    for path in make():
        print(path)
