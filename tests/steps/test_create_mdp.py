"""create-mdp: the night's molecular density profile."""

import numpy as np
import pytest
from astropy.table import Table
from conftest import DATA, error_lines

from calibpipe_tasks.atmosphere.air_density import number_density
from calibpipe_tasks.atmosphere.water_vapour import water_vapour_mole_fraction
from calibpipe_tasks.io.meteo_table import read_meteo_table

METEO = DATA / "meteo_north_era5like.ecsv"


def run_mdp(run_cli, meteo, cwd, *extra):
    result = run_cli("create-mdp", "--meteo", meteo, *extra, cwd=cwd)
    return result, (cwd / "mdp.ecsv")


def test_grid_starts_at_ground_without_nan_and_matches_levels(run_cli, tmp_path):
    result, path = run_mdp(run_cli, METEO, tmp_path, "--plot")
    assert result.code == 0, result.err
    mdp = Table.read(path, format="ascii.ecsv")
    meteo = read_meteo_table(METEO)
    assert mdp["altitude"][0] == pytest.approx(meteo.meta["site_altitude"] / 1e3)
    assert np.all(np.isfinite(mdp["number_density"])) and np.all(mdp["number_density"] > 0)
    assert mdp["altitude"][-1] <= mdp.meta["data_top_altitude_km"]
    assert mdp.meta["levels_below_ground_dropped"] > 0
    # known truth: at a grid level that coincides with no level, the mean lies between the
    # mean densities of the bracketing levels; at 15 km it is the mean of the profiles
    p = meteo["pressure"].quantity.to_value("Pa")
    t = meteo["temperature"].quantity.to_value("K")
    xw = water_vapour_mole_fraction(p, t, meteo["relative_humidity"].quantity.to_value("%"))
    n = number_density(p, t, xw) * 1e-6
    z = meteo["altitude"].quantity.to_value("km")
    profiles = []
    for key in np.unique(np.asarray(meteo["time"].mjd) * 1e3 + meteo["latitude"]):
        sel = np.asarray(meteo["time"].mjd) * 1e3 + meteo["latitude"] == key
        order = np.argsort(z[sel])
        profiles.append(np.exp(np.interp(15.0, z[sel][order], np.log(n[sel][order]))))
    at_15 = mdp["number_density"][np.isclose(mdp["altitude"], 15.0)][0]
    assert at_15 == pytest.approx(np.mean(profiles), rel=1e-9)
    assert mdp["number_density_std"][np.isclose(mdp["altitude"], 15.0)][0] == pytest.approx(
        np.std(profiles), rel=1e-6
    )
    assert (tmp_path / "mdp.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_levels_below_ground_do_not_change_the_mdp(run_cli, tmp_path):
    """Reanalysis levels below the site's ground are dropped: removing them changes nothing."""
    meteo = read_meteo_table(METEO)
    above = meteo[meteo["altitude"].quantity.to_value("m") >= meteo.meta["site_altitude"]]
    trimmed = tmp_path / "trimmed.ecsv"
    above.write(trimmed, format="ascii.ecsv")
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    assert run_mdp(run_cli, METEO, tmp_path / "a")[0].code == 0
    assert run_mdp(run_cli, trimmed, tmp_path / "b")[0].code == 0
    full = Table.read(tmp_path / "a" / "mdp.ecsv", format="ascii.ecsv")
    cut = Table.read(tmp_path / "b" / "mdp.ecsv", format="ascii.ecsv")
    for name in full.colnames:
        np.testing.assert_array_equal(full[name], cut[name])
    assert cut.meta["levels_below_ground_dropped"] == 0


def test_profile_entirely_below_ground_is_exit_3(run_cli, tmp_path):
    meteo = read_meteo_table(METEO)
    meteo.meta["site_altitude"] = 60000.0
    bad = tmp_path / "meteo.ecsv"
    meteo.write(bad, format="ascii.ecsv")
    result, path = run_mdp(run_cli, bad, tmp_path)
    assert result.code == 3
    (line,) = error_lines(result.err)
    assert str(bad) in line and "above the site's ground" in line
    assert not path.exists()


def test_rerun_is_byte_identical(run_cli, tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    run_mdp(run_cli, METEO, tmp_path / "a")
    run_mdp(run_cli, METEO, tmp_path / "b")
    assert (tmp_path / "a" / "mdp.ecsv").read_bytes() == (tmp_path / "b" / "mdp.ecsv").read_bytes()
