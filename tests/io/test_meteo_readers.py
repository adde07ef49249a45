"""GRIB and netCDF readers recover the model atmosphere the sample files were made from."""

import sys

import netCDF4
import numpy as np
import pytest
from conftest import DATA

from calibpipe_tasks.atmosphere.gravity import geometric_from_geopotential_height
from calibpipe_tasks.errors import InputDataError
from calibpipe_tasks.io.era5_netcdf import read_era5_netcdf
from calibpipe_tasks.io.grib_meteo import read_grib_meteo
from calibpipe_tasks.io.meteo_fields import detect_format, select_grid_points
from calibpipe_tasks.io.meteo_table import (
    build_meteo_table,
    combine_fields,
    read_meteo_table,
    write_meteo_table,
)
from calibpipe_tasks.sites import SITES

sys.path.insert(0, str(DATA))
import generate_meteo_samples as samples  # noqa: E402
import meteo_model  # noqa: E402

NORTH, SOUTH = SITES["North"], SITES["South"]
NIGHT = (np.datetime64("2024-01-15T19:00:00"), np.datetime64("2024-01-16T07:00:00"))
ERA5_FILES = {
    "classic": [DATA / "era5_north_20240115_classic.nc", DATA / "era5_north_20240116_classic.nc"],
    "new": [DATA / "era5_north_20240115_new.nc"],
    "grib": [DATA / "era5_north_20240115.grib"],
}
# quantisation of 16-bit packing: < range / 2**16 of each variable
TOL = {"geopotential_height": 1.0, "temperature": 0.01, "relative_humidity": 0.01}


def read_all(paths, site, mode, window=NIGHT):
    parts = []
    for path in paths:
        reader = read_grib_meteo if detect_format(path) == "grib" else read_era5_netcdf
        fields = reader(path, site.latitude_deg, site.longitude_deg, mode, *window)
        if fields is not None:
            parts.append(fields)
    return combine_fields(parts)


def truth_at(fields, levels):
    """The model at the fields' times and points (points as a 1-D list)."""
    lats = np.unique(fields.latitude)[::-1]
    lons = np.unique(fields.longitude)
    cube = meteo_model.truth(fields.times, lats, lons, levels)
    iy = np.searchsorted(-lats, -fields.latitude)
    ix = np.searchsorted(lons, fields.longitude)
    return {k: v[:, :, iy, ix] for k, v in cube.items()}


@pytest.mark.parametrize("site_name", ["North", "South"])
def test_gdas_grib2_recovers_model_truth(site_name):
    site = SITES[site_name]
    paths = sorted(DATA.glob(f"gdas_{site_name.lower()}_*.grib2"))
    fields = read_all(paths, site, "box", window=(samples.GDAS_TIMES[0], samples.GDAS_TIMES[-1]))
    assert fields.source == "GDAS"
    np.testing.assert_array_equal(fields.times, samples.GDAS_TIMES)
    np.testing.assert_array_equal(fields.pressure, meteo_model.GDAS_LEVELS)  # decreasing
    assert fields.longitude.max() < 0  # 0..360 grid longitudes come out in [-180, 180)
    truth = truth_at(fields, meteo_model.GDAS_LEVELS)
    for name, tol in TOL.items():
        np.testing.assert_allclose(getattr(fields, name), truth[name], atol=tol, rtol=0)
    table = build_meteo_table(fields, {"site": site.name})
    # geometric altitude from geopotential height with WGS84 latitude-dependent gravity
    alt = table["altitude"].reshape(fields.times.size, 4, -1)  # (time, point, level)
    expected = np.moveaxis(truth["altitude"], 2, 1)
    order = np.lexsort((fields.longitude, fields.latitude))
    np.testing.assert_allclose(alt, expected[:, order], atol=1.0, rtol=0)


def test_altitude_uses_latitude_dependent_gravity():
    """Same geopotential at different latitudes gives different geometric altitudes."""
    z = np.array([15000.0])
    h_equator = geometric_from_geopotential_height(z, 0.0)[0]
    h_pole = geometric_from_geopotential_height(z, 90.0)[0]
    assert h_equator - h_pole > 70.0  # gravity 0.5 % stronger at the pole


@pytest.mark.parametrize("layout", ["classic", "new", "grib"])
def test_era5_recovers_model_truth(layout):
    fields = read_all(ERA5_FILES[layout], NORTH, "box")
    assert fields.source == "ERA5"
    expected_times = samples.ERA5_TIMES[
        (samples.ERA5_TIMES >= NIGHT[0]) & (samples.ERA5_TIMES <= NIGHT[1])
    ]
    np.testing.assert_array_equal(fields.times, expected_times)
    np.testing.assert_array_equal(fields.pressure, meteo_model.ERA5_LEVELS[::-1])
    truth = truth_at(fields, fields.pressure)
    # classic packs each variable over its whole range into shorts: geopotential range / 65534
    tol = dict(TOL, geopotential_height=1.0 if layout != "new" else 0.05)
    for name, atol in tol.items():
        np.testing.assert_allclose(getattr(fields, name), truth[name], atol=atol, rtol=0)


def test_era5_layouts_and_grib_give_the_same_table():
    tables = {
        k: build_meteo_table(read_all(v, NORTH, "box"), {"site": "North"})
        for k, v in ERA5_FILES.items()
    }
    reference = tables["new"]
    for layout in ("classic", "grib"):
        table = tables[layout]
        assert table.meta == reference.meta
        assert list(table["time"].isot) == list(reference["time"].isot)
        for name in ("latitude", "longitude", "pressure"):
            np.testing.assert_array_equal(table[name], reference[name])
        for name, tol in TOL.items():
            np.testing.assert_allclose(table[name], reference[name], atol=tol, rtol=0)


def test_era5_grib_edition_2_reads_like_edition_1(tmp_path):
    levels = meteo_model.ERA5_LEVELS[::-1]
    times = samples.ERA5_TIMES[:3]
    fields = samples.era5_fields(times, levels=levels)
    path = tmp_path / "era5_ed2.grib2"
    meteo_model.write_grib(
        path, fields, times, samples.ERA5_LATS, samples.ERA5_LONS, levels, "era5", edition=2
    )
    window = (times[0], times[-1])
    ed2 = read_all([path], NORTH, "nearest", window)
    ed1 = read_all(ERA5_FILES["grib"], NORTH, "nearest", window)
    for name, tol in TOL.items():
        np.testing.assert_allclose(getattr(ed2, name), getattr(ed1, name), atol=tol, rtol=0)


def test_nearest_is_one_of_the_box_points():
    box = read_all(ERA5_FILES["new"], NORTH, "box")
    nearest = read_all(ERA5_FILES["new"], NORTH, "nearest")
    assert box.latitude.size == 4 and nearest.latitude.size == 1
    assert set(box.latitude) == {28.75, 29.0} and set(box.longitude) == {-18.0, -17.75}
    # site 28.7618 N, -17.8907 E: nearest node 28.75 N, -18.0 E (0.109 deg vs 0.141 deg in lon)
    assert (nearest.latitude[0], nearest.longitude[0]) == (28.75, -18.0)
    k = np.nonzero((box.latitude == 28.75) & (box.longitude == -18.0))[0][0]
    np.testing.assert_array_equal(box.temperature[:, :, k], nearest.temperature[:, :, 0])


@pytest.mark.parametrize(
    ("axis", "value", "mode", "expected"),
    [
        ([30.0, 29.0, 28.0], 28.76, "nearest", [1]),
        ([30.0, 29.0, 28.0], 28.76, "box", [1, 2]),
        ([28.0, 29.0, 30.0], 29.0, "box", [1, 2]),  # on a grid line: it and its neighbour
    ],
)
def test_grid_point_selection(axis, value, mode, expected):
    lat_i, _ = select_grid_points(np.array(axis), np.array([0.0, 1.0]), value, 0.5, mode, "f")
    assert lat_i.tolist() == expected


def test_selection_on_0_360_longitudes():
    _, lon_i = select_grid_points(
        np.array([29.0, 28.0]), np.arange(341.0, 345.0), 28.5, -17.89, "box", "f"
    )
    assert lon_i.tolist() == [1, 2]  # 342 = -18, 343 = -17


def test_site_outside_grid_is_input_error():
    with pytest.raises(InputDataError, match="outside the file's grid"):
        select_grid_points(
            np.array([29.0, 28.0]), np.array([-18.0, -17.0]), -24.6, -70.4, "box", "f"
        )


def test_classic_layout_with_expver_dimension(tmp_path):
    """ERA5 + ERA5T: each time has values in one of two expver slices, fill in the other."""
    source = ERA5_FILES["classic"][1]
    mixed = tmp_path / "era5_expver.nc"
    with (
        netCDF4.Dataset(source) as src,
        netCDF4.Dataset(mixed, "w", format="NETCDF3_64BIT_OFFSET") as dst,
    ):
        for name, dim in src.dimensions.items():
            dst.createDimension(name, None if dim.isunlimited() else len(dim))
        dst.createDimension("expver", 2)
        ev = dst.createVariable("expver", "i4", ("expver",))
        ev[:] = [1, 5]
        for name, var in src.variables.items():
            var.set_auto_maskandscale(False)
            dims = var.dimensions
            if name in ("z", "t", "r"):
                dims = (dims[0], "expver", *dims[1:])
            out = dst.createVariable(
                name, var.dtype, dims, fill_value=getattr(var, "_FillValue", None)
            )
            out.setncatts({k: var.getncattr(k) for k in var.ncattrs() if k != "_FillValue"})
            out.set_auto_maskandscale(False)
            if name in ("z", "t", "r"):
                data = np.full((var.shape[0], 2, *var.shape[1:]), -32767, dtype=np.int16)
                data[:5, 0] = var[:5]  # ERA5 (final) for the first times
                data[5:, 1] = var[5:]  # ERA5T (preliminary) for the last ones
                out[:] = data
            else:
                out[:] = var[:]
    window = (np.datetime64("2024-01-16T00:00:00"), np.datetime64("2024-01-16T08:00:00"))
    plain = read_all([source], NORTH, "box", window)
    merged = read_all([mixed], NORTH, "box", window)
    for name in TOL:
        np.testing.assert_array_equal(getattr(merged, name), getattr(plain, name))


def test_fast_ecsv_writer_is_byte_identical_to_astropy(tmp_path):
    fields = read_all(ERA5_FILES["new"], NORTH, "box")
    meta = {"site": "North", "site_latitude": 28.761795, "site_longitude": -17.890701}
    meta.update(site_altitude=2150.0, input_files=["a.nc", "b.nc"])
    table = build_meteo_table(fields, meta)
    write_meteo_table(table, tmp_path / "fast.ecsv")
    table.write(tmp_path / "astropy.ecsv", format="ascii.ecsv")
    assert (tmp_path / "fast.ecsv").read_bytes() == (tmp_path / "astropy.ecsv").read_bytes()
    back = read_meteo_table(tmp_path / "fast.ecsv")
    np.testing.assert_array_equal(back["temperature"], table["temperature"])
    assert (back["time"] == table["time"]).all()
