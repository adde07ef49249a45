"""The ingest-meteo step: windows, sites, selection, multi-file input and every bad input."""

import shutil
import sys

import netCDF4
import numpy as np
import pytest
from astropy.table import Table
from conftest import DATA, error_lines

from calibpipe_tasks.io.meteo_table import read_meteo_table

sys.path.insert(0, str(DATA))
import generate_meteo_samples as samples  # noqa: E402
import meteo_model  # noqa: E402

STEP = "ingest-meteo"
GDAS_NORTH = sorted(DATA.glob("gdas_north_*.grib2"))
GDAS_SOUTH = sorted(DATA.glob("gdas_south_*.grib2"))
ERA5_NEW = DATA / "era5_north_20240115_new.nc"
ERA5_CLASSIC = DATA / "era5_north_20240115_classic.nc"
ERA5_GRIB = DATA / "era5_north_20240115.grib"
NIGHT_WINDOW = ("--start", "2024-01-15T20:00", "--end", "2024-01-16T06:00")


def read(path):
    return Table.read(path, format="ascii.ecsv")


def run_ok(run_cli, tmp_path, *args):
    result = run_cli(STEP, "--meteo-files", *args, cwd=tmp_path)
    assert result.code == 0, result.err
    return read(tmp_path / "meteo.ecsv")


def test_gdas_night_across_files(run_cli, tmp_path):
    table = run_ok(run_cli, tmp_path, *GDAS_NORTH, "--site", "North", "--date", "2024-01-15")
    # night of 15 Jan at La Palma: ~19:59 to ~06:43 UTC -> analyses 00 and 06 UTC of the 16th
    assert table.meta["window_start"].startswith("2024-01-15T19:5")
    assert table.meta["window_end"].startswith("2024-01-16T06:4")
    assert sorted(set(table["time"])) == ["2024-01-16T00:00:00", "2024-01-16T06:00:00"]
    assert set(zip(table["latitude"], table["longitude"], strict=True)) == {(29.0, -18.0)}
    assert len(table) == 2 * len(meteo_model.GDAS_LEVELS)
    assert table.meta["data_source"] == "GDAS" and table.meta["site"] == "North"
    assert table.meta["input_files"] == [p.name for p in GDAS_NORTH]
    for name in ("pressure", "temperature", "altitude", "relative_humidity"):
        assert table[name].description
    # the contract reader used by the atmosphere steps accepts it
    checked = read_meteo_table(tmp_path / "meteo.ecsv")
    assert checked["temperature"].unit == "K" and checked["time"][0].scale == "utc"
    # decreasing pressure within each profile, increasing altitude
    first = table[table["time"] == "2024-01-16T00:00:00"]
    assert np.all(np.diff(first["pressure"]) < 0) and np.all(np.diff(first["altitude"]) > 0)


def test_rows_sorted_by_time_lat_lon_decreasing_pressure(run_cli, tmp_path):
    table = run_ok(
        run_cli,
        tmp_path,
        *GDAS_SOUTH,
        "--site",
        "South",
        "--date",
        "2024-01-16",
        "--grid-selection",
        "box",
    )
    keys = list(
        zip(table["time"], table["latitude"], table["longitude"], -table["pressure"], strict=True)
    )
    assert keys == sorted(keys)
    assert set(table["latitude"]) == {-25.0, -24.0} and set(table["longitude"]) == {-71.0, -70.0}


def test_rerun_is_byte_identical(run_cli, tmp_path):
    first, second = tmp_path / "a", tmp_path / "b"
    first.mkdir(), second.mkdir()
    run_ok(run_cli, first, ERA5_GRIB, "--site", "North", "--date", "2024-01-15")
    run_ok(run_cli, second, ERA5_GRIB, "--site", "North", "--date", "2024-01-15")
    assert (first / "meteo.ecsv").read_bytes() == (second / "meteo.ecsv").read_bytes()


def test_coordinates_instead_of_site_name(run_cli, tmp_path):
    (tmp_path / "a").mkdir(), (tmp_path / "b").mkdir()
    by_name = run_ok(run_cli, tmp_path / "a", ERA5_NEW, "--site", "LaPalma", *NIGHT_WINDOW)
    by_coords = run_ok(
        run_cli,
        tmp_path / "b",
        ERA5_NEW,
        "--latitude",
        "28.761795",
        "--longitude",
        "-17.890701",
        "--altitude",
        "2150",
        *NIGHT_WINDOW,
    )
    assert by_coords.meta["site"] == "custom"
    for name in ("latitude", "longitude", "pressure", "temperature", "altitude"):
        np.testing.assert_array_equal(by_name[name], by_coords[name])


def test_box_holds_the_nearest_profile(run_cli, tmp_path):
    (tmp_path / "a").mkdir(), (tmp_path / "b").mkdir()
    box = run_ok(
        run_cli,
        tmp_path / "a",
        ERA5_NEW,
        "--site",
        "North",
        *NIGHT_WINDOW,
        "--grid-selection",
        "box",
    )
    nearest = run_ok(run_cli, tmp_path / "b", ERA5_NEW, "--site", "North", *NIGHT_WINDOW)
    assert len(box) == 4 * len(nearest)
    sub = box[(box["latitude"] == 28.75) & (box["longitude"] == -18.0)]
    np.testing.assert_array_equal(sub["temperature"], nearest["temperature"])
    assert box.meta["grid_selection"] == "box"


def test_format_is_detected_from_content_not_suffix(run_cli, tmp_path):
    disguised = tmp_path / "era5.nc"
    shutil.copy(ERA5_GRIB, disguised)
    (tmp_path / "a").mkdir(), (tmp_path / "b").mkdir()
    a = run_ok(run_cli, tmp_path / "a", disguised, "--site", "North", *NIGHT_WINDOW)
    b = run_ok(run_cli, tmp_path / "b", ERA5_GRIB, "--site", "North", *NIGHT_WINDOW)
    np.testing.assert_array_equal(a["temperature"], b["temperature"])


def test_config_file(run_cli, tmp_path):
    config = tmp_path / "c.yaml"
    config.write_text(
        f"meteo-files: [{ERA5_GRIB}]\nsite: North\ndate: '2024-01-15'\ngrid-selection: box\n"
    )
    result = run_cli(STEP, "--config", config, cwd=tmp_path)
    assert result.code == 0, result.err
    assert read(tmp_path / "meteo.ecsv").meta["grid_selection"] == "box"


# --------------------------------------------------------------------------- bad inputs


def assert_fails(result, tmp_path, code, *fragments):
    assert result.code == code, result.err
    lines = error_lines(result.err)
    assert len(lines) == 1, result.err
    assert lines[0].startswith(f"calibpipe-tasks {STEP}: error:"), lines[0]
    for fragment in fragments:
        assert str(fragment) in lines[0], lines[0]
    assert not (tmp_path / "meteo.ecsv").exists()
    assert not list(tmp_path.glob("*.provenance.json"))
    assert "Traceback" not in result.err


def run_bad(run_cli, tmp_path, path, *extra):
    args = extra or ("--site", "North", *NIGHT_WINDOW)
    return run_cli(STEP, "--meteo-files", path, *args, cwd=tmp_path)


@pytest.mark.parametrize("source", [ERA5_GRIB, GDAS_NORTH[1], ERA5_CLASSIC, ERA5_NEW])
@pytest.mark.parametrize("keep", [0.5, -12])
def test_truncated_file(run_cli, tmp_path, source, keep):
    data = source.read_bytes()
    bad = tmp_path / f"truncated{source.suffix}"
    bad.write_bytes(data[: int(len(data) * keep)] if keep > 0 else data[:keep])
    result = run_bad(run_cli, tmp_path, bad)
    assert_fails(result, tmp_path, 3, bad, "truncated")


@pytest.mark.parametrize("suffix", [".grib", ".nc"])
def test_empty_file(run_cli, tmp_path, suffix):
    bad = tmp_path / f"empty{suffix}"
    bad.write_bytes(b"")
    assert_fails(run_bad(run_cli, tmp_path, bad), tmp_path, 3, bad, "empty file")


def test_not_a_meteo_file(run_cli, tmp_path):
    bad = tmp_path / "notes.grib"
    bad.write_text("hello\n")
    assert_fails(run_bad(run_cli, tmp_path, bad), tmp_path, 3, bad, "not a GRIB or netCDF file")


def _copy(tmp_path, source, name):
    path = tmp_path / name
    shutil.copy(source, path)
    return path


def test_netcdf_without_needed_variable(run_cli, tmp_path):
    bad = tmp_path / "no_r.nc"
    with netCDF4.Dataset(ERA5_NEW) as src, netCDF4.Dataset(bad, "w") as dst:
        for name, dim in src.dimensions.items():
            dst.createDimension(name, len(dim))
        for name in ("valid_time", "pressure_level", "latitude", "longitude", "z", "t"):
            var = src[name]
            out = dst.createVariable(name, var.dtype, var.dimensions)
            out.setncatts({k: var.getncattr(k) for k in var.ncattrs() if k != "_FillValue"})
            out[:] = var[:]
    assert_fails(run_bad(run_cli, tmp_path, bad), tmp_path, 3, bad, "lacks variable(s) r")


def test_netcdf_nan_values(run_cli, tmp_path):
    bad = _copy(tmp_path, ERA5_NEW, "nan.nc")
    with netCDF4.Dataset(bad, "a") as ds:
        ds["t"][3, 5, :, :] = np.nan
    assert_fails(
        run_bad(run_cli, tmp_path, bad),
        tmp_path,
        3,
        bad,
        "temperature is missing",
        "21:00:00 UTC, 875 hPa",
    )


def test_netcdf_missing_level_all_fill(run_cli, tmp_path):
    bad = _copy(tmp_path, ERA5_CLASSIC, "fill.nc")
    with netCDF4.Dataset(bad, "a") as ds:
        ds["z"].set_auto_scale(False)
        ds["z"][:, 20, :, :] = -32767  # the level's values are all the fill value
    assert_fails(
        run_bad(run_cli, tmp_path, bad), tmp_path, 3, bad, "geopotential_height is missing"
    )


def test_grib_missing_level(run_cli, tmp_path):
    import eccodes

    bad = tmp_path / "missing_level.grib"
    with open(ERA5_GRIB, "rb") as src, open(bad, "wb") as dst:
        while (h := eccodes.codes_grib_new_from_file(src)) is not None:
            drop = eccodes.codes_get(h, "shortName") == "t" and eccodes.codes_get(h, "level") == 500
            drop = drop and eccodes.codes_get(h, "validityTime") == 2200
            if not drop:
                dst.write(eccodes.codes_get_message(h))
            eccodes.codes_release(h)
    assert_fails(
        run_bad(run_cli, tmp_path, bad), tmp_path, 3, bad, "missing level 500 hPa of t", "22:00"
    )


def test_non_monotonic_pressure_levels(run_cli, tmp_path):
    bad = _copy(tmp_path, ERA5_CLASSIC, "levels.nc")
    with netCDF4.Dataset(bad, "a") as ds:
        levels = ds["level"][:]
        levels[[10, 11]] = levels[[11, 10]]
        ds["level"][:] = levels
    assert_fails(run_bad(run_cli, tmp_path, bad), tmp_path, 3, bad, "not strictly monotonic")


def test_unknown_units(run_cli, tmp_path):
    bad = _copy(tmp_path, ERA5_NEW, "units.nc")
    with netCDF4.Dataset(bad, "a") as ds:
        ds["t"].units = "degF"
    assert_fails(
        run_bad(run_cli, tmp_path, bad), tmp_path, 3, bad, "unknown unit 'degF'", "variable t"
    )


def test_site_outside_grid(run_cli, tmp_path):
    result = run_bad(run_cli, tmp_path, GDAS_NORTH[1], "--site", "South", "--date", "2024-01-15")
    assert_fails(result, tmp_path, 3, GDAS_NORTH[1], "outside the file's grid")


def test_window_without_data(run_cli, tmp_path):
    result = run_bad(run_cli, tmp_path, ERA5_NEW, "--site", "North", "--date", "2024-03-01")
    assert_fails(result, tmp_path, 3, ERA5_NEW, "no data between 2024-03-01T")


def test_daytime_window(run_cli, tmp_path):
    window = ("--start", "2024-01-15T10:00", "--end", "2024-01-15T17:00")
    result = run_bad(run_cli, tmp_path, ERA5_NEW, "--site", "North", *window)
    assert_fails(result, tmp_path, 2, "entirely in daytime")
    result = run_bad(run_cli, tmp_path, ERA5_NEW, "--site", "North", *window, "--allow-daytime")
    assert result.code == 3 and "no data" in result.err  # accepted, but the file starts at 18 UTC


def test_unknown_site_name(run_cli, tmp_path):
    result = run_bad(run_cli, tmp_path, ERA5_NEW, "--site", "Mars", "--date", "2024-01-15")
    assert_fails(result, tmp_path, 2, "unknown site 'Mars'")


@pytest.mark.parametrize(
    "args",
    [
        ("--site", "North", "--latitude", "28", "--date", "2024-01-15"),
        ("--latitude", "28", "--date", "2024-01-15"),
        ("--site", "North"),
        ("--site", "North", "--date", "2024-01-15", "--start", "2024-01-15T20:00"),
        ("--site", "North", "--start", "2024-01-16T06:00", "--end", "2024-01-15T20:00"),
        ("--site", "North", "--date", "2024-02-30"),
        ("--site", "North", "--date", "2024-01-15", "--grid-selection", "bilinear"),
    ],
)
def test_usage_errors(run_cli, tmp_path, args):
    result = run_cli(STEP, "--meteo-files", ERA5_NEW, *args, cwd=tmp_path)
    assert result.code == 2
    assert len(error_lines(result.err)) == 1
    assert not (tmp_path / "meteo.ecsv").exists()


def test_mixed_sources(run_cli, tmp_path):
    result = run_cli(
        STEP,
        "--meteo-files",
        ERA5_NEW,
        GDAS_NORTH[1],
        "--site",
        "North",
        *NIGHT_WINDOW,
        cwd=tmp_path,
    )
    assert_fails(result, tmp_path, 3, GDAS_NORTH[1], "cannot be mixed")


def test_duplicate_times_across_files(run_cli, tmp_path):
    result = run_cli(
        STEP,
        "--meteo-files",
        ERA5_NEW,
        ERA5_CLASSIC,
        "--site",
        "North",
        *NIGHT_WINDOW,
        cwd=tmp_path,
    )
    assert_fails(result, tmp_path, 3, "is also in")


def test_samples_are_what_the_generator_writes(tmp_path):
    """The committed samples hold the model: regenerated files read back to the same values."""
    written = samples.write_samples(tmp_path)
    assert sorted(written) == sorted(
        p.name for p in DATA.glob("*") if p.suffix in (".grib2", ".grib", ".nc")
    )
    for name in ("era5_north_20240115_new.nc", "era5_north_20240115_classic.nc"):
        with netCDF4.Dataset(tmp_path / name) as new, netCDF4.Dataset(DATA / name) as old:
            for var in ("z", "t", "r"):
                np.testing.assert_allclose(new[var][:], old[var][:], rtol=1e-6)
