"""Write the meteorological sample files of tests/data from the model atmosphere.

Run from the repository root with the project's venv:

    .venv/bin/python tests/data/generate_meteo_samples.py [OUTPUT_DIR]

(default OUTPUT_DIR: tests/data). The files are deterministic up to the
libraries' own headers. What they hold is described in tests/data/README.md; the
model is in tests/data/meteo_model.py.
"""

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from meteo_model import (  # noqa: E402
    ERA5_LEVELS,
    GDAS_LEVELS,
    truth,
    write_era5_netcdf_classic,
    write_era5_netcdf_new,
    write_grib,
)

#: GDAS analysis times covering the nights of 2024-01-15 and 2024-01-16 at both sites
GDAS_TIMES = np.arange(
    np.datetime64("2024-01-15T18:00:00"),
    np.datetime64("2024-01-17T12:00:01"),
    np.timedelta64(6, "h"),
)
#: 1-degree subsets around the sites, latitudes north to south, longitudes 0..360 as in ds083.2
GDAS_GRIDS = {
    "north": (np.array([30.0, 29.0, 28.0, 27.0]), np.array([341.0, 342.0, 343.0, 344.0])),
    "south": (np.array([-23.0, -24.0, -25.0, -26.0]), np.array([288.0, 289.0, 290.0, 291.0])),
}
#: ERA5: hourly, the night of 2024-01-15 at the North site, 3 x 3 points at 0.25 degrees
ERA5_TIMES = np.arange(
    np.datetime64("2024-01-15T18:00:00"),
    np.datetime64("2024-01-16T08:00:01"),
    np.timedelta64(1, "h"),
)
ERA5_LATS = np.array([29.0, 28.75, 28.5])
ERA5_LONS = np.array([-18.0, -17.75, -17.5])


#: CTAO's GDAS extraction for La Palma: one grid point, 29 N 18 W (342 E), 23 levels
ONE_POINT_GDAS = (29.0, 342.0, GDAS_LEVELS[:23])


def write_one_point_gdas(path, increments=(1.0, 1.0), times=GDAS_TIMES):
    """A one-point GDAS GRIB2 file like CTAO's extraction (not committed: tests write it).

    ``increments=None`` marks the grid increments as not given. Returns the model fields.
    """
    lat, lon, levels = ONE_POINT_GDAS
    lats, lons = np.array([lat]), np.array([lon])
    fields = truth(times, lats, lons, levels)
    write_grib(path, fields, times, lats, lons, levels, "gdas", increments=increments)
    return fields


def write_one_point_era5(path, lat, lon, times=ERA5_TIMES, grib_increments=None):
    """A one-point ERA5 netCDF file (new CDS layout); ``grib_increments`` (lat, lon) [deg]
    become the ``GRIB_j/iDirectionIncrementInDegrees`` attributes of the variables."""
    import netCDF4

    levels = ERA5_LEVELS[::-1]
    lats, lons = np.array([lat]), np.array([lon])
    fields = era5_fields(times, lats, lons, levels)
    write_era5_netcdf_new(path, fields, times, lats, lons, levels)
    if grib_increments is not None:
        with netCDF4.Dataset(path, "a") as ds:
            for name in ("z", "t", "r"):
                ds[name].GRIB_jDirectionIncrementInDegrees = float(grib_increments[0])
                ds[name].GRIB_iDirectionIncrementInDegrees = float(grib_increments[1])
    return fields


def era5_fields(times, lats=ERA5_LATS, lons=ERA5_LONS, levels=ERA5_LEVELS):
    """Model fields on ERA5 levels (decreasing pressure) for the given times."""
    return truth(times, lats, lons, levels)


def write_era5_campaign(out, first, n_nights, missing=(), fmt="netcdf"):
    """ERA5 files of a campaign at CTAO-North, one file per night (18 UTC to 08 UTC, hourly).

    Not committed: the Slurm stage, ``make campaign`` and bench/bench_campaign.py write them.

    Parameters
    ----------
    out : path-like
        Directory to write into.
    first : str
        The first night, ``YYYY-MM-DD``.
    n_nights : int
        Consecutive nights from ``first``.
    missing : sequence of str
        Nights whose file is not written (the campaign's nights without data).
    fmt : {"netcdf", "grib"}
        New CDS netCDF layout, or GRIB edition 1 as the CDS delivers it.

    Returns
    -------
    dates : list of str
        All ``n_nights`` dates (also the missing ones).
    files : list of pathlib.Path
        The files written, in date order.
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    levels = ERA5_LEVELS[::-1]
    day = np.timedelta64(1, "D")
    dates, files = [], []
    for k in range(n_nights):
        date = np.datetime64(first, "D") + k * day
        dates.append(str(date))
        if str(date) in missing:
            continue
        start = date.astype("datetime64[h]") + np.timedelta64(18, "h")
        times = np.arange(start, start + np.timedelta64(15, "h"), np.timedelta64(1, "h"))
        times = times.astype("datetime64[s]")
        fields = era5_fields(times, levels=levels)
        stamp = str(date).replace("-", "")
        if fmt == "grib":
            path = out / f"era5_north_{stamp}.grib"
            write_grib(path, fields, times, ERA5_LATS, ERA5_LONS, levels, "era5", edition=1)
        else:
            path = out / f"era5_north_{stamp}.nc"
            write_era5_netcdf_new(path, fields, times, ERA5_LATS, ERA5_LONS, levels)
        files.append(path)
    return dates, files


def write_samples(out):
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for site, (lats, lons) in GDAS_GRIDS.items():
        fields = truth(GDAS_TIMES, lats, lons, GDAS_LEVELS)
        for it, t in enumerate(GDAS_TIMES):
            stamp = str(t)
            name = f"gdas_{site}_{stamp[:10].replace('-', '')}_{stamp[11:13]}.grib2"
            one = {k: v[it : it + 1] for k, v in fields.items()}
            write_grib(out / name, one, GDAS_TIMES[it : it + 1], lats, lons, GDAS_LEVELS, "gdas")
            written.append(name)
    levels = ERA5_LEVELS[::-1]  # 1000 ... 1 hPa
    fields = era5_fields(ERA5_TIMES, levels=levels)
    day1 = ERA5_TIMES < np.datetime64("2024-01-16")
    for name, sel in (
        ("era5_north_20240115_classic.nc", day1),
        ("era5_north_20240116_classic.nc", ~day1),
    ):
        part = {k: v[sel] for k, v in fields.items()}
        write_era5_netcdf_classic(out / name, part, ERA5_TIMES[sel], ERA5_LATS, ERA5_LONS, levels)
        written.append(name)
    write_era5_netcdf_new(
        out / "era5_north_20240115_new.nc", fields, ERA5_TIMES, ERA5_LATS, ERA5_LONS, levels
    )
    written.append("era5_north_20240115_new.nc")
    write_grib(
        out / "era5_north_20240115.grib",
        fields,
        ERA5_TIMES,
        ERA5_LATS,
        ERA5_LONS,
        levels,
        "era5",
        edition=1,
    )
    written.append("era5_north_20240115.grib")
    return written


def write_campaign_job(out, first="2024-01-10", n_nights=8, missing=("2024-01-13",), fmt="netcdf"):
    """ERA5 files of a campaign (:func:`write_era5_campaign`) and its job file ``campaign.yml``."""
    import json

    out = Path(out).resolve()
    dates, files = write_era5_campaign(out / "meteo", first, n_nights, missing, fmt)
    co2 = Path(__file__).resolve().parent / "scripps_monthly_in_situ_co2_mlo.csv"
    job = {
        "dates": dates,
        "meteo_files": [{"class": "File", "path": str(p)} for p in files],
        "site": "North",
        "co2_file": {"class": "File", "path": str(co2)},
    }
    path = out / "campaign.yml"
    path.write_text(json.dumps(job, indent=2) + "\n")  # JSON is YAML
    return path


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("output_dir", nargs="?", default=Path(__file__).resolve().parent)
    parser.add_argument(
        "--campaign",
        action="store_true",
        help="write a campaign's ERA5 files and job file instead of the committed samples",
    )
    parser.add_argument("--first", default="2024-01-10", help="first night of the campaign")
    parser.add_argument("--nights", type=int, default=8, help="nights of the campaign")
    parser.add_argument("--missing", nargs="*", default=["2024-01-13"], help="nights left out")
    parser.add_argument("--format", choices=["netcdf", "grib"], default="netcdf")
    args = parser.parse_args()
    if args.campaign:
        print(
            write_campaign_job(args.output_dir, args.first, args.nights, args.missing, args.format)
        )
    else:
        for name in write_samples(args.output_dir):
            print(name)
