"""The committed GRIB samples hold the model atmosphere they were made from, to within
their packing precision, decoded by ecCodes directly and through ingest-meteo's reader.

GRIB simple packing (WMO Manual on Codes, FM 92 GRIB, regulation 92.9.4; GRIB 1 section
4) stores Y = (R + X 2^E) / 10^D with X an integer of ``bitsPerValue`` bits, R the
reference value, E the binary and D the decimal scale factor: rounding X to the nearest
integer leaves |Y - truth| <= 2^E 10^-D / 2, the tolerance of each message here.
"""

import sys

import numpy as np
import pytest
from conftest import DATA

from calibpipe_tasks.io.grib_meteo import read_grib_meteo
from calibpipe_tasks.sites import SITES

sys.path.insert(0, str(DATA))
import meteo_model  # noqa: E402

GRIB_FILES = sorted(p.name for p in DATA.glob("*.grib2")) + sorted(
    p.name for p in DATA.glob("*.grib")
)
#: GRIB shortName -> key of meteo_model.truth
TRUTH_KEY = {
    "gh": "geopotential_height",
    "z": "geopotential",
    "t": "temperature",
    "r": "relative_humidity",
}

#: paramId (ECMWF parameter database) -> shortName
SHORT_NAME = {156: "gh", 129: "z", 130: "t", 157: "r"}


def decode(path):
    """Every message of ``path`` with ecCodes alone: (shortName, level, time, lats, lons,
    values (Nj, Ni), packing step)."""
    import eccodes as ec

    messages, axes = [], None
    with open(path, "rb") as f:
        while (h := ec.codes_grib_new_from_file(f)) is not None:
            try:
                ni, nj = ec.codes_get(h, "Ni"), ec.codes_get(h, "Nj")
                date, hhmm = ec.codes_get(h, "dataDate"), ec.codes_get(h, "dataTime")
                stamp = f"{date:08d}{hhmm:04d}"
                time = np.datetime64(
                    f"{stamp[:4]}-{stamp[4:6]}-{stamp[6:8]}T{stamp[8:10]}:{stamp[10:12]}:00"
                )
                step = 2.0 ** ec.codes_get(h, "binaryScaleFactor") * 10.0 ** -ec.codes_get(
                    h, "decimalScaleFactor"
                )
                geometry = tuple(
                    ec.codes_get(h, k)
                    for k in ("Ni", "Nj", "latitudeOfFirstGridPoint", "longitudeOfFirstGridPoint")
                )
                if axes is None:  # the (regular) grid of the first message, decoded once
                    assert ec.codes_get(h, "packingType") == "grid_simple"
                    axes = (
                        geometry,
                        ec.codes_get_array(h, "latitudes").reshape(nj, ni)[:, 0],
                        ec.codes_get_array(h, "longitudes").reshape(nj, ni)[0],
                    )
                assert geometry == axes[0]
                messages.append(
                    {
                        "name": SHORT_NAME[ec.codes_get(h, "paramId")],
                        "level": float(ec.codes_get(h, "level")),
                        "time": time,
                        "bits": ec.codes_get(h, "bitsPerValue"),
                        "lats": axes[1],
                        "lons": axes[2],
                        "values": ec.codes_get_values(h).reshape(nj, ni),
                        "step": step,
                    }
                )
            finally:
                ec.codes_release(h)
    return messages


def as_cubes(messages):
    """Messages stacked per variable: values (nt, nl, nj, ni), step and bits (nt, nl)."""
    times = np.unique([m["time"] for m in messages])
    levels = np.unique([m["level"] for m in messages])[::-1]
    nj, ni = messages[0]["values"].shape
    cubes = {}
    for m in messages:
        if m["name"] not in cubes:
            shape = (times.size, levels.size)
            cubes[m["name"]] = {
                "values": np.full(shape + (nj, ni), np.nan),
                "step": np.full(shape, np.nan),
                "bits": np.full(shape, -1),
            }
        cube = cubes[m["name"]]
        it = np.searchsorted(times, m["time"])
        il = int(np.flatnonzero(levels == m["level"])[0])
        assert cube["bits"][it, il] == -1, "duplicate message"
        cube["values"][it, il] = m["values"]
        cube["step"][it, il] = m["step"]
        cube["bits"][it, il] = m["bits"]
    return times, levels, cubes


@pytest.fixture(scope="module", params=GRIB_FILES)
def grib_sample(request):
    path = DATA / request.param
    messages = decode(path)
    times, levels, cubes = as_cubes(messages)
    lats, lons = messages[0]["lats"], messages[0]["lons"]
    truth = meteo_model.truth(times, lats, lons, levels)
    return path, (lats, lons), times, levels, cubes, truth


def test_samples_are_there():
    assert len(GRIB_FILES) == 17  # 16 GDAS GRIB2 + 1 ERA5 GRIB1


def _bound(cube, expected):
    """Half the packing step per message; for constant fields (bitsPerValue 0: the
    model's stratospheric humidity floor, stored as R alone, an IEEE single) half a
    float32 ulp."""
    ulp = 2.0**-23 * np.abs(expected).max(axis=(2, 3))
    step = np.where(cube["bits"] == 0, ulp, cube["step"])
    return 0.5 * step * (1 + 1e-6)


def test_every_value_is_the_model_within_the_packing_step(grib_sample):
    path, _, times, levels, cubes, truth = grib_sample
    assert set(cubes) in ({"gh", "t", "r"}, {"z", "t", "r"})
    for name, cube in cubes.items():
        # every (time, level) is there, 16-bit packed or constant (humidity only)
        assert np.all(cube["bits"] == 16) or (name == "r" and np.all(cube["bits"] % 16 == 0))
        expected = truth[TRUTH_KEY[name]]
        error = np.abs(cube["values"] - expected)
        assert np.all(error.max(axis=(2, 3)) <= _bound(cube, expected)), (path.name, name)
        constant = cube["bits"] == 0
        assert np.all(np.ptp(expected[constant], axis=(1, 2)) == 0)
        # rounding to the nearest step spreads errors uniformly over [0, 1/2] step (mean
        # 1/4): the bound is the one that matters, not a loose one
        packed = ~constant
        in_steps = error[packed] / cube["step"][packed][:, None, None]
        assert 0.15 < in_steps.mean() < 0.35, (path.name, name)


SITE_OF = {"gdas_north": "North", "gdas_south": "South", "era5_north": "North"}
READER_NAME = {"gh": "geopotential_height", "z": "geopotential_height"}
#: the reader gives geopotential height: ERA5's geopotential over standard gravity
FACTOR = {"z": 1 / 9.80665}


def test_reader_returns_the_decoded_values(grib_sample):
    """ingest-meteo's reader (box of grid points around the site) gives what ecCodes
    decodes, in its units, and so the model within the same packing steps."""
    path, (lats, lons), times, levels, cubes, truth = grib_sample
    site = SITES[SITE_OF[path.name[:10]]]
    fields = read_grib_meteo(
        path, site.latitude_deg, site.longitude_deg, "box", times[0], times[-1]
    )
    np.testing.assert_array_equal(fields.times, times)
    np.testing.assert_array_equal(fields.pressure, levels)
    iy = np.array([int(np.flatnonzero(lats == v)[0]) for v in fields.latitude])
    lon_file = np.where(lons >= 180.0, lons - 360.0, lons)
    ix = np.array([int(np.flatnonzero(np.isclose(lon_file, v))[0]) for v in fields.longitude])
    assert len(fields.latitude) == 4
    for name, cube in cubes.items():
        got = getattr(fields, READER_NAME.get(name, TRUTH_KEY[name]))
        factor = FACTOR.get(name, 1.0)
        np.testing.assert_allclose(got, cube["values"][:, :, iy, ix] * factor, rtol=1e-12)
        expected = truth[TRUTH_KEY[name]]
        bound = _bound(cube, expected)[:, :, None] * factor
        assert np.all(np.abs(got - expected[:, :, iy, ix] * factor) <= bound), (path.name, name)
