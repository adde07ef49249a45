"""ingest-meteo on one-point extractions (CTAO's GDAS extraction for La Palma: 29 N 18 W).

``--grid-selection nearest`` accepts a site outside the file's grid within half a grid step
(GRIB increments / netCDF coordinates or attributes, else GDAS 1 deg, ERA5 0.25 deg) and says
the distance in the log and the table meta; beyond half a step, and for ``box``, exit 3.
"""

import re
import sys

import numpy as np
import pytest
from astropy.table import Table
from conftest import DATA, error_lines

from calibpipe_tasks.io.meteo_fields import select_grid_points
from calibpipe_tasks.sites import get_site

sys.path.insert(0, str(DATA))
import generate_meteo_samples as samples  # noqa: E402

STEP = "ingest-meteo"
NIGHT = ("--start", "2024-01-15T20:00", "--end", "2024-01-16T06:00")
#: the analyses of the night of 2024-01-15 and one after it (GRIB writing is slow: few times)
GDAS_TIMES = np.array(["2024-01-16T00", "2024-01-16T06", "2024-01-16T12"], dtype="datetime64[s]")
NORTH = get_site("North")


def haversine_km(lat1, lon1, lat2, lon2, radius=6371.0088):
    """Independent great-circle distance (haversine) on the GRS 80 mean sphere."""
    p1, p2, dl = np.radians(lat1), np.radians(lat2), np.radians(lon2 - lon1)
    h = np.sin((p2 - p1) / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return 2 * radius * np.arcsin(np.sqrt(h))


def ingest(run_cli, tmp_path, path, *args):
    out = tmp_path / "out"
    out.mkdir(exist_ok=True)
    return run_cli(STEP, "--meteo-files", path, *args, cwd=out), out / "meteo.ecsv"


def assert_refused(result, product, *fragments):
    assert result.code == 3, result.err
    (line,) = error_lines(result.err)
    assert line.startswith(f"calibpipe-tasks {STEP}: error:") and "Traceback" not in result.err
    for fragment in fragments:
        assert fragment in line, line
    assert not product.exists() and not list(product.parent.glob("*.provenance.json"))


def assert_distance_reported(result, table, lat, lon):
    expected = haversine_km(NORTH.latitude_deg, NORTH.longitude_deg, lat, lon)
    assert table.meta["grid_point_distance_km"] == pytest.approx(expected, abs=1e-3)
    logged = re.search(rf"grid point {lat:g} N {lon:g} E is ([0-9.]+) km from the site", result.err)
    assert logged, result.err
    assert float(logged[1]) == pytest.approx(expected, abs=0.005)


@pytest.fixture(scope="module")
def gdas_point(tmp_path_factory):
    """CTAO-like one-point GDAS GRIB2 (increments given) and the fields written."""
    path = tmp_path_factory.mktemp("gdas") / "gdas_lapalma.grib2"
    return path, samples.write_one_point_gdas(path, times=GDAS_TIMES)


@pytest.mark.parametrize("increments", [(1.0, 1.0), None], ids=["increments", "not-given"])
def test_one_point_gdas_nearest_takes_the_point(run_cli, tmp_path, gdas_point, increments):
    path, truth = gdas_point
    if increments is None:
        path = tmp_path / "gdas_lapalma.grib2"
        truth = samples.write_one_point_gdas(path, increments=None, times=GDAS_TIMES)
    result, product = ingest(run_cli, tmp_path, path, "--site", "North", *NIGHT)
    assert result.code == 0, result.err
    table = Table.read(product, format="ascii.ecsv")
    levels = samples.ONE_POINT_GDAS[2]
    assert len(levels) == 23 and len(table) == 2 * 23
    assert set(zip(table["latitude"], table["longitude"], strict=True)) == {(29.0, -18.0)}
    assert table.meta["grid_step_deg"] == [1.0, 1.0]  # the keys, or GDAS's nominal 1 degree
    assert_distance_reported(result, table, 29.0, -18.0)
    assert table.meta["grid_point_distance_km"] == pytest.approx(28.55, abs=0.05)
    # the values read are those written (one value per message: GRIB2 keeps it as float32)
    it = 0  # 2024-01-16T00, then 06
    for column, key, decimals in (
        ("temperature", "temperature", 3),
        ("relative_humidity", "relative_humidity", 3),
        ("geopotential_height", "geopotential_height", 2),
    ):
        written = truth[key][it : it + 2, :, 0, 0].ravel()  # (time, level) as the table's rows
        tolerance = 0.5 * 10.0**-decimals + 1e-6 * np.abs(written)
        np.testing.assert_array_less(np.abs(np.asarray(table[column]) - written), tolerance)


def test_one_point_gdas_farther_than_half_a_step_is_refused(run_cli, tmp_path, gdas_point):
    path = gdas_point[0]
    site = ("--latitude", "28.3", "--longitude", "-17.89", "--altitude", "2150")
    result, product = ingest(run_cli, tmp_path, path, *site, *NIGHT)
    assert_refused(
        result, product, str(path), "site latitude 28.3000 is outside the file's grid",
        "by 0.7000 deg, more than half the grid step of 1 deg",
    )  # fmt: skip


def test_one_point_gdas_box_is_refused(run_cli, tmp_path, gdas_point):
    path = gdas_point[0]
    result, product = ingest(run_cli, tmp_path, path, "--site", "North", *NIGHT,
                             "--grid-selection", "box")  # fmt: skip
    assert_refused(
        result, product, "site latitude 28.7618 is outside the file's grid (latitude 29 to 29)",
        "--grid-selection box needs grid points on both sides of the site",
    )  # fmt: skip


def test_one_point_era5_netcdf_within_a_quarter_degree_step(run_cli, tmp_path):
    path = tmp_path / "era5_point.nc"
    truth = samples.write_one_point_era5(path, 28.75, -18.0)
    result, product = ingest(run_cli, tmp_path, path, "--site", "North", *NIGHT)
    assert result.code == 0, result.err
    table = Table.read(product, format="ascii.ecsv")
    assert table.meta["grid_step_deg"] == [0.25, 0.25]  # no metadata: ERA5's nominal step
    assert_distance_reported(result, table, 28.75, -18.0)
    assert set(zip(table["latitude"], table["longitude"], strict=True)) == {(28.75, -18.0)}
    # the file holds float32: the table equals them to its decimals
    times = samples.ERA5_TIMES
    inside = (times >= np.datetime64("2024-01-15T20:00")) & (
        times <= np.datetime64("2024-01-16T06:00")
    )
    written = truth["temperature"][inside, :, 0, 0].astype(np.float32).astype(float).ravel()
    assert len(table) == written.size
    np.testing.assert_allclose(table["temperature"], np.round(written, 3), rtol=0, atol=1e-9)


def test_one_point_era5_netcdf_farther_than_half_a_step_is_refused(run_cli, tmp_path):
    path = tmp_path / "era5_point.nc"
    samples.write_one_point_era5(path, 29.0, -18.0)  # 0.238 deg from the site in latitude
    result, product = ingest(run_cli, tmp_path, path, "--site", "North", *NIGHT)
    assert_refused(
        result, product, "site latitude 28.7618 is outside the file's grid (latitude 29 to 29)",
        "by 0.2382 deg, more than half the grid step of 0.25 deg",
    )  # fmt: skip


def test_one_point_era5_netcdf_step_from_its_grib_attributes(run_cli, tmp_path):
    """A CDS request on a 1-degree grid: the GRIB_*DirectionIncrementInDegrees attributes."""
    path = tmp_path / "era5_point.nc"
    samples.write_one_point_era5(path, 29.0, -18.0, grib_increments=(1.0, 1.0))
    result, product = ingest(run_cli, tmp_path, path, "--site", "North", *NIGHT)
    assert result.code == 0, result.err
    table = Table.read(product, format="ascii.ecsv")
    assert table.meta["grid_step_deg"] == [1.0, 1.0]
    assert_distance_reported(result, table, 29.0, -18.0)


@pytest.mark.parametrize(
    ("lat", "lon", "steps", "expected"),
    [
        (28.7618, -17.8907, (1.0, 1.0), ([0], [0])),
        (28.5, -18.5, (1.0, 1.0), ([0], [0])),  # exactly half a step in both
        (28.7618, -17.8907, (None, None), None),  # one point and no step: refused
        (28.49, -17.8907, (1.0, 1.0), None),
        (28.7618, -18.51, (1.0, 1.0), None),
    ],
)
def test_one_point_axes(lat, lon, steps, expected):
    args = (np.array([29.0]), np.array([342.0]), lat, lon, "nearest", "f", steps)
    if expected is None:
        with pytest.raises(Exception, match="outside the file's grid"):
            select_grid_points(*args)
    else:
        assert [i.tolist() for i in select_grid_points(*args)] == list(expected)


def test_edge_of_a_larger_grid_uses_its_spacing():
    """0.25-degree axis 29.0 ... 28.5: a site 0.1 deg north of it is taken, 0.2 deg is not."""
    lats, lons = np.array([29.0, 28.75, 28.5]), np.array([-18.0, -17.75, -17.5])
    assert select_grid_points(lats, lons, 29.1, -17.8, "nearest", "f")[0].tolist() == [0]
    with pytest.raises(Exception, match="more than half the grid step of 0.25 deg"):
        select_grid_points(lats, lons, 29.2, -17.8, "nearest", "f")


@pytest.mark.parametrize(("lat", "accepted"), [(28.75, True), (29.0, False)])
def test_one_point_era5_grib1_without_increments_uses_the_nominal_step(tmp_path, lat, accepted):
    """GRIB 1 keeps stale increments when they are flagged as not given: ERA5's 0.25 deg."""
    from meteo_model import write_grib

    from calibpipe_tasks.errors import InputDataError
    from calibpipe_tasks.io.grib_meteo import read_grib_meteo

    path = tmp_path / "era5_point.grib"
    times, levels = samples.ERA5_TIMES[:2], samples.ERA5_LEVELS[::-1]
    lats, lons = np.array([lat]), np.array([342.0])
    fields = samples.era5_fields(times, lats, lons, levels)
    write_grib(path, fields, times, lats, lons, levels, "era5", edition=1, increments=None)
    window = (times[0], times[-1])
    if not accepted:
        with pytest.raises(InputDataError, match="more than half the grid step of 0.25 deg"):
            read_grib_meteo(path, NORTH.latitude_deg, NORTH.longitude_deg, "nearest", *window)
        return
    read = read_grib_meteo(path, NORTH.latitude_deg, NORTH.longitude_deg, "nearest", *window)
    assert read.grid_step == (0.25, 0.25) and read.source == "ERA5"
    assert (read.latitude.tolist(), read.longitude.tolist()) == ([28.75], [-18.0])
    # one value per message: GRIB 1 keeps it as its reference value (IBM float, ~1e-6 relative)
    np.testing.assert_allclose(
        read.temperature[:, :, 0], fields["temperature"][:, :, 0, 0], rtol=1e-5
    )
