"""Regenerate the sample FRAM FITS files of this directory (ACADA layout, synthetic nights).

    .venv/bin/python tests/data/fram/make_fram_samples.py

* ``fram_clear_north_20240115.fits``: a stable clear night (VAOD 0.02), scalar rows,
  ra/dec, at CTAO-North in the night starting on 2024-01-15;
* ``fram_calima_vector_north_20240115.fits``: a stable calima night (VAOD 0.1-0.3),
  vector-valued rows of 3 stars;
* ``fram_clouds_altaz_north_20240115.fits``: cloud passages, scalar rows, alt/az columns;
* ``fram_clear_north_20240115.ecsv``: the first file through ``ingest-fram --site North``
  (input of cwl/jobs/assess-clear-night.yml).
Each night has a few images before dusk and after dawn and 5 % at zenith angles of
72-85 deg (see tests/aerosol/fram_synthetic.py).
"""

import datetime
import sys
from pathlib import Path

from astropy.time import Time

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))

from aerosol.fram_synthetic import generate_nights, write_fram_fits  # noqa: E402

from calibpipe_tasks.atmosphere.night import astronomical_night  # noqa: E402
from calibpipe_tasks.sites import get_site  # noqa: E402

SAMPLES = (
    ("fram_clear_north_20240115.fits", "clear", 1, "icrs", 11),
    ("fram_calima_vector_north_20240115.fits", "calima", 3, "icrs", 12),
    ("fram_clouds_altaz_north_20240115.fits", "clouds", 1, "altaz", 13),
)


def main():
    site = get_site("North")
    start, end = astronomical_night(
        datetime.date(2024, 1, 15), site.latitude_deg, site.longitude_deg, site.altitude_m
    )
    t0 = Time(start, scale="utc")
    for name, kind, stars, frame, seed in SAMPLES:
        length = (end - start).total_seconds()
        night = generate_nights(kind, 1, seed=seed, stars=stars, length_s=length)
        write_fram_fits(HERE / name, night, 0, t0, site, stars=stars, frame=frame, seed=seed)
        print("wrote", HERE / name)
    import shutil
    import tempfile  # noqa: E401

    from calibpipe_tasks.cli import main as cli

    with tempfile.TemporaryDirectory() as tmp:
        cli(
            [
                "ingest-fram",
                "--fram-files",
                str(HERE / SAMPLES[0][0]),
                "--site",
                "North",
                "--output-dir",
                tmp,
                "--log-level",
                "WARNING",
            ]
        )
        shutil.copy(Path(tmp) / "fram.ecsv", HERE / "fram_clear_north_20240115.ecsv")
    print("wrote", HERE / "fram_clear_north_20240115.ecsv")


if __name__ == "__main__":
    main()
