"""select-reference-model (UC-120-1.3)."""

import json
import shutil

import numpy as np
import pytest
from astropy.table import Table
from conftest import DATA, error_lines

from calibpipe_tasks.io.reference_atmosphere import default_reference_dir

MDP = DATA / "mdp_north_sample.ecsv"


def scaled_mdp(tmp_path, target_15km):
    """The sample MDP scaled so that its density at 15 km equals ``target_15km``."""
    mdp = Table.read(MDP, format="ascii.ecsv")
    at_15 = mdp["number_density"][np.isclose(mdp["altitude"], 15.0)][0]
    mdp["number_density"] *= target_15km / at_15
    path = tmp_path / "mdp_scaled.ecsv"
    mdp.write(path, format="ascii.ecsv")
    return path


def reference_density(site, season):
    path = default_reference_dir() / f"ref_density_at_15km_{site}_{season}.ecsv"
    return Table.read(path, format="ascii.ecsv")["density"][0]


def test_picks_the_season_closest_at_15_km(run_cli, tmp_path):
    """Known truth: an MDP with the summer reference density (+0.1 %) selects summer."""
    target = reference_density("ctao-north", "summer") * 1.001
    result = run_cli("select-reference-model", "--mdp", scaled_mdp(tmp_path, target), cwd=tmp_path)
    assert result.code == 0, result.err
    record = json.loads((tmp_path / "reference_selection.json").read_text())
    assert record["season"] == "summer" and record["version"] == "v0"
    assert record["method"] == "density_at_15km"
    assert record["relative_distance"] == pytest.approx(0.001 / 1.001, rel=1e-6)
    chosen = default_reference_dir() / record["model_file"]
    assert chosen.name == "reference_atmo_model_v0_ctao-north_summer.ecsv"
    assert (tmp_path / "reference_model.ecsv").read_bytes() == chosen.read_bytes()
    table = Table.read(tmp_path / "reference_selection.ecsv", format="ascii.ecsv")
    assert set(table["season"]) == {"summer", "winter", "intermediate"}
    assert table["season"][np.argmin(table["distance"])] == "summer"
    assert list(table["chosen"]).count(True) == 1


def test_mdp_below_15_km_is_exit_3_without_fallback(run_cli, tmp_path):
    mdp = Table.read(MDP, format="ascii.ecsv")
    low = tmp_path / "mdp_low.ecsv"
    mdp[mdp["altitude"] < 14.0].write(low, format="ascii.ecsv")
    result = run_cli("select-reference-model", "--mdp", low, cwd=tmp_path)
    assert result.code == 3
    (line,) = error_lines(result.err)
    assert str(low) in line and "15 km" in line and "--calendar-fallback" in line
    assert not (tmp_path / "reference_selection.json").exists()


def test_calendar_fallback_only_when_asked(run_cli, tmp_path):
    mdp = Table.read(MDP, format="ascii.ecsv")
    low = tmp_path / "mdp_low.ecsv"
    mdp[mdp["altitude"] < 14.0].write(low, format="ascii.ecsv")
    result = run_cli("select-reference-model", "--mdp", low, "--calendar-fallback", cwd=tmp_path)
    assert result.code == 0, result.err
    record = json.loads((tmp_path / "reference_selection.json").read_text())
    # the sample night starts 2023-01-15: North winter (16 Nov - 30 Apr)
    assert record["season"] == "winter" and record["method"].startswith("calendar_season")


def test_reference_set_missing_the_site_is_exit_3(run_cli, tmp_path):
    north_only = tmp_path / "refs"
    north_only.mkdir()
    for path in default_reference_dir().glob("*ctao-north*"):
        shutil.copy(path, north_only)
    mdp = Table.read(MDP, format="ascii.ecsv")
    mdp.meta["site"] = "South"
    south = tmp_path / "mdp_south.ecsv"
    mdp.write(south, format="ascii.ecsv")
    result = run_cli(
        "select-reference-model", "--mdp", south, "--reference-dir", north_only, cwd=tmp_path
    )
    assert result.code == 3
    (line,) = error_lines(result.err)
    assert str(north_only) in line and "ctao-south" in line
