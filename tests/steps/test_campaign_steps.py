"""plan-campaign and index-campaign: the nights the files cover, and what the index says of them."""

import json
import shutil
import sys

import numpy as np
import pytest
from astropy.table import Table
from conftest import DATA
from jsonschema import Draft202012Validator

from calibpipe_tasks.io import simpipe_schemas
from calibpipe_tasks.io.meteo_times import meteo_file_times
from calibpipe_tasks.outputs import sha256_of

sys.path.insert(0, str(DATA))
import generate_meteo_samples  # noqa: E402

GDAS = sorted(DATA.glob("gdas_north_2024011*.grib2"))
EXCHANGE = DATA / "exchange_sample"
CAMPAIGN = DATA / "campaign"
MANIFEST = EXCHANGE / "atmosphere_exchange_sample-north-20230615.json"


@pytest.mark.parametrize(
    "names",
    [
        ["era5_north_20240115_classic.nc", "era5_north_20240116_classic.nc"],
        ["era5_north_20240115_new.nc"],
        ["era5_north_20240115.grib"],
    ],
)
def test_time_axes_are_the_generators_times(names):
    """ERA5 netCDF (both layouts) and GRIB: the times the sample generator wrote."""
    times = np.unique(np.concatenate([meteo_file_times(DATA / n)[1] for n in names]))
    truth = generate_meteo_samples.ERA5_TIMES.astype("datetime64[s]")
    assert np.array_equal(times, truth)


def test_gdas_time_axes_are_one_analysis_each():
    stamps = [meteo_file_times(p) for p in GDAS]
    assert {fmt for fmt, _ in stamps} == {"grib"}
    times = np.concatenate([t for _, t in stamps])
    assert np.array_equal(times, generate_meteo_samples.GDAS_TIMES.astype("datetime64[s]"))


def test_plan_schedules_exactly_the_nights_ingest_meteo_reads(run_cli, tmp_path):
    """Same window and same times as ingest-meteo --date, and no data where it finds none."""
    dates = ["2024-01-15", "2024-01-16", "2024-01-17"]
    plan_dir = tmp_path / "plan"
    plan_dir.mkdir()
    result = run_cli(
        "plan-campaign", "--dates", *dates, "--meteo-files", *GDAS, "--site", "North",
        cwd=plan_dir,
    )  # fmt: skip
    assert result.code == 0, result.err
    plan = json.loads((plan_dir / "campaign_plan.json").read_text())
    assert json.loads((plan_dir / "scheduled_nights.json").read_text()) == dates[:2]
    assert [f["name"] for f in plan["files"]] == [p.name for p in GDAS]
    assert [f["sha256"] for f in plan["files"]] == [sha256_of(p) for p in GDAS]
    for night in plan["nights"]:
        out = tmp_path / night["date"]
        out.mkdir()
        ingest = run_cli(
            "ingest-meteo", "--meteo-files", *GDAS, "--site", "North", "--date", night["date"],
            cwd=out,
        )  # fmt: skip
        if night["status"] == "no-data":
            assert ingest.code == 3
            assert "no data between" in ingest.err
            assert night["n_times"] == 0
            continue
        assert ingest.code == 0, ingest.err
        table = Table.read(out / "meteo.ecsv", format="ascii.ecsv")
        start, end = (np.datetime64(table.meta[k], "s") for k in ("window_start", "window_end"))
        assert f"{start}Z" == night["window_start_utc"]
        assert f"{end}Z" == night["window_end_utc"]
        assert len(np.unique(np.asarray(table["time"].isot))) == night["n_times"]
        assert set(night["files"]) <= {p.name for p in GDAS}
        assert len(night["files"]) == night["n_times"]  # one GDAS analysis per file


def test_index_of_the_sample_campaign(run_cli, tmp_path):
    """cwl/jobs/index-campaign.yml: one night delivered, byte for byte; one failed, with why."""
    plan = CAMPAIGN / "campaign_plan_sample.json"
    report = CAMPAIGN / "exchange_validation_sample.json"
    files = [p for p in EXCHANGE.iterdir() if p.suffix != ".py" and p != MANIFEST]
    result = run_cli(
        "index-campaign", "--plan", plan, "--manifests", MANIFEST, "--reports", report,
        "--exchange-files", *files, cwd=tmp_path,
    )  # fmt: skip
    assert result.code == 0, result.err
    index = json.loads((tmp_path / "campaign_index.json").read_text())
    Draft202012Validator(simpipe_schemas.load_schema(simpipe_schemas.CAMPAIGN_INDEX)).validate(
        index
    )
    assert (index["n_nights"], index["n_delivered"], index["n_failed"]) == (2, 1, 1)
    assert index["campaign_id"] == "north-2023-06-15-2023-06-16"
    delivered, failed = index["nights"]
    assert delivered["status"] == "delivered" and delivered["product_id"] == "sample-north-20230615"
    assert failed["status"] == "failed"
    assert failed["reason"] == json.loads(plan.read_text())["nights"][1]["reason"]
    night = tmp_path / delivered["directory"]
    expected = sorted([MANIFEST.name, report.name, *(p.name for p in files)])
    assert sorted(p.name for p in night.iterdir()) == expected
    for path in files + [MANIFEST]:
        assert sha256_of(night / path.name) == sha256_of(path), path.name
    assert delivered["manifest"]["sha256"] == sha256_of(MANIFEST)
    assert {f["name"]: f["sha256"] for f in delivered["files"]} == {
        p.name: sha256_of(p) for p in files if p != MANIFEST
    }
    table = Table.read(tmp_path / "campaign_index.ecsv", format="ascii.ecsv")
    assert list(table["status"]) == ["delivered", "failed"]
    assert table["reason"][1] == failed["reason"]
    # the night's validate-exchange accepts the delivered directory as it is
    check = tmp_path / "check"
    check.mkdir()
    assert run_cli("validate-exchange", "--manifest", night / MANIFEST.name, cwd=check).code == 0


def test_index_rerun_replaces_the_night_directory(run_cli, tmp_path):
    """A re-run into the same directory gives the same products (the old directory replaced)."""
    plan = CAMPAIGN / "campaign_plan_sample.json"
    report = CAMPAIGN / "exchange_validation_sample.json"
    files = [p for p in EXCHANGE.iterdir() if p.suffix != ".py" and p != MANIFEST]
    args = [
        "index-campaign", "--plan", plan, "--manifests", MANIFEST, "--reports", report,
        "--exchange-files", *files,
    ]  # fmt: skip
    assert run_cli(*args, cwd=tmp_path).code == 0
    first = {p.relative_to(tmp_path): sha256_of(p) for p in tmp_path.rglob("*") if p.is_file()}
    (tmp_path / "night_2023-06-15" / "stale.txt").write_text("from an earlier run")
    assert run_cli(*args, cwd=tmp_path).code == 0
    second = {p.relative_to(tmp_path): sha256_of(p) for p in tmp_path.rglob("*") if p.is_file()}
    first.pop(next(k for k in first if k.name == "index-campaign.provenance.json"))
    second.pop(next(k for k in second if k.name == "index-campaign.provenance.json"))
    assert first == second
    assert not any(p.name.startswith(".") for p in tmp_path.iterdir())


def test_committed_campaign_sample_is_reproduced_by_its_script(tmp_path):
    sys.path.insert(0, str(CAMPAIGN))
    import make_sample

    for path in make_sample.make(tmp_path):
        assert path.read_bytes() == (CAMPAIGN / path.name).read_bytes(), path.name
    shutil.rmtree(tmp_path)
