"""create-atmospheric-model (UC-120-1.7): products and bad inputs."""

import numpy as np
import pytest
from astropy.table import Table
from conftest import DATA, error_lines

from calibpipe_tasks import units
from calibpipe_tasks.io.meteo_table import read_meteo_table
from calibpipe_tasks.io.reference_atmosphere import default_reference_dir

METEO = DATA / "meteo_north_era5like.ecsv"
MACOBAC = DATA / "macobac_sample.ecsv"
REFERENCE = default_reference_dir() / "reference_atmo_model_v0_ctao-north_winter.ecsv"
PRODUCTS = ("model_profile.ecsv", "model_extinction.ecsv", "model_layer_fit.ecsv")


def run_model(run_cli, cwd, meteo=METEO, macobac=MACOBAC, *extra):
    return run_cli(
        "create-atmospheric-model", "--meteo", meteo, "--macobac", macobac,
        "--reference-model", REFERENCE, *extra, cwd=cwd,
    )  # fmt: skip


def test_products(run_cli, tmp_path):
    result = run_model(run_cli, tmp_path, METEO, MACOBAC, "--plots")
    assert result.code == 0, result.err
    profile = Table.read(tmp_path / "model_profile.ecsv", format="ascii.ecsv")
    assert len(profile) == 55 and profile["altitude"][0] == 0 and profile["altitude"][-1] == 120
    units.enable()
    co2 = Table.read(MACOBAC, format="ascii.ecsv")["co2_concentration"][0]
    assert profile.meta["co2_ppm"] == pytest.approx(co2)
    assert profile.meta["refractive_index_wavelength_nm"] == 350.0
    extinction = Table.read(tmp_path / "model_extinction.ecsv", format="ascii.ecsv")
    assert len(extinction) == 801 * len(np.unique(extinction["altitude"]))
    assert len(np.unique(extinction["altitude"])) >= 50
    assert extinction.meta["observatory_level"] == pytest.approx(2.15)
    assert np.all(extinction["altitude"] > extinction.meta["observatory_level"])
    fit = Table.read(tmp_path / "model_layer_fit.ecsv", format="ascii.ecsv")
    assert list(fit["layer"]) == [1, 2, 3, 4, 5]
    assert 0 < fit.meta["max_relative_residual"] < 0.5
    for png in ("model_profile_vs_reference.png", "model_extinction.png"):
        assert (tmp_path / png).read_bytes()[:4] == b"\x89PNG"


def test_rerun_is_byte_identical(run_cli, tmp_path):
    for sub in ("a", "b"):
        (tmp_path / sub).mkdir()
        assert run_model(run_cli, tmp_path / sub).code == 0
    for name in PRODUCTS:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()


def test_meteo_not_reaching_15_km_is_exit_3(run_cli, tmp_path):
    meteo = read_meteo_table(METEO)
    low = tmp_path / "meteo_low.ecsv"
    meteo[meteo["pressure"].quantity.to_value("hPa") >= 200].write(low, format="ascii.ecsv")
    result = run_model(run_cli, tmp_path, low)
    assert result.code == 3
    (line,) = error_lines(result.err)
    assert str(low) in line and "15 km needed" in line
    assert not any((tmp_path / name).exists() for name in PRODUCTS)


# a 12-MACOBAC without exactly one row, bad emission altitudes or fit boundaries, and the
# other bad inputs of this step: tests/test_bad_inputs.py


def test_levels_below_ground_are_dropped_and_counted(run_cli, tmp_path):
    meteo = read_meteo_table(METEO)
    above = meteo[meteo["altitude"].quantity.to_value("m") >= meteo.meta["site_altitude"] + 500]
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    trimmed = tmp_path / "trimmed.ecsv"
    above.write(trimmed, format="ascii.ecsv")
    assert run_model(run_cli, tmp_path / "a").code == 0
    assert run_model(run_cli, tmp_path / "b", trimmed).code == 0
    full = Table.read(tmp_path / "a" / "model_profile.ecsv", format="ascii.ecsv")
    cut = Table.read(tmp_path / "b" / "model_profile.ecsv", format="ascii.ecsv")
    assert full.meta["levels_below_ground_dropped"] > 0
    # above the data's lowest level the two agree; the trimmed one extrapolates from higher up
    high = full["altitude"] >= cut.meta["data_bottom_altitude_km"]
    np.testing.assert_allclose(full["density"][high], cut["density"][high], rtol=2e-3)
    ground = np.isclose(full["altitude"], 2.0)
    np.testing.assert_allclose(full["density"][ground], cut["density"][ground], rtol=1e-2)


def test_exchange_set_is_written_and_valid(run_cli, tmp_path):
    """The SimPipe set comes with the model, validates, and holds the model's numbers."""
    import json

    from calibpipe_tasks.io.simpipe_native import read_atmprof
    from calibpipe_tasks.io.simpipe_validate import validate_exchange

    assert run_model(run_cli, tmp_path).code == 0
    (manifest,) = tmp_path.glob("atmosphere_exchange_*.json")
    assert manifest.name == "atmosphere_exchange_north-20230115T2100.json"
    record = json.loads(manifest.read_text())
    # the season and version come from the reference model's file name when no selection is given
    assert record["reference_model"]["season"] == "winter"
    validate_exchange(manifest)
    profile = Table.read(tmp_path / "model_profile.ecsv", format="ascii.ecsv")
    atmprof = read_atmprof(tmp_path / "atmprof_north-20230115T2100.dat")
    np.testing.assert_allclose(atmprof["thickness"], profile["thickness"], rtol=1e-7)
    result = run_model(run_cli, tmp_path, METEO, MACOBAC, "--product-id", "night 1")
    assert result.code == 2 and "product" in result.err.lower()
