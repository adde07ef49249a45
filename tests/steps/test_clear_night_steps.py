"""The ingest-fram and assess-clear-night steps: samples, ACADA's reader and writer, bad inputs."""

import json
import shutil

import astropy.units as u
import numpy as np
import pytest
from astropy.io import fits
from astropy.table import Table
from conftest import DATA, error_lines

FRAM = DATA / "fram"
CLEAR = FRAM / "fram_clear_north_20240115.fits"
CALIMA = FRAM / "fram_calima_vector_north_20240115.fits"
CLOUDS = FRAM / "fram_clouds_altaz_north_20240115.fits"
DATE = "2024-01-15"
QUIET = ("--log-level", "WARNING")


def ingest(run_cli, tmp_path, *files, site="North"):
    result = run_cli("ingest-fram", "--fram-files", *files, "--site", site, *QUIET, cwd=tmp_path)
    assert result.code == 0, result.err
    return Table.read(tmp_path / "fram.ecsv", format="ascii.ecsv")


def assess(run_cli, tmp_path, *extra):
    result = run_cli(
        "assess-clear-night", "--fram", "fram.ecsv", "--date", DATE, *extra, *QUIET, cwd=tmp_path
    )
    assert result.code == 0, result.err
    return json.loads((tmp_path / "clear_night.json").read_text())


def no_nan(path):
    table = Table.read(path, format="ascii.ecsv")
    for name in table.colnames:
        if getattr(table[name], "dtype", None) is not None and table[name].dtype.kind == "f":
            assert np.all(np.isfinite(table[name])), name


@pytest.mark.parametrize(
    "sample, verdict", [(CLEAR, "clear"), (CALIMA, "aerosol"), (CLOUDS, "variable")]
)
def test_sample_nights_get_their_verdict(run_cli, tmp_path, sample, verdict):
    table = ingest(run_cli, tmp_path, sample)
    assert table["zenith_angle"].unit == u.deg and table["peak_wavelength"].unit == u.nm
    record = assess(run_cli, tmp_path, "--plot")
    assert record["verdict"] == verdict, record["reason"]
    assert record["site"]["name"] == "North"
    assert record["night"]["start"].startswith("2024-01-15T19:5")
    assert record["n_used"] + record["n_rejected"] == record["n_in_night"]
    assert record["n_in_night"] < record["n_measurements"]  # images before dusk / after dawn
    assert record["rejected_by"]["zenith angle above the cut"] > 0
    assert set(record["thresholds"]) >= {"max_clear_vaod", "max_excess_rms", "max_drift"}
    assert record["data_source"]["input_files"] == [sample.name]
    assert (tmp_path / "clear_night.png").stat().st_size > 10_000
    no_nan(tmp_path / "fram.ecsv")
    no_nan(tmp_path / "clear_night.ecsv")
    text = (tmp_path / "clear_night.json").read_text()
    assert "NaN" not in text and "Infinity" not in text


def test_vector_rows_are_flattened(run_cli, tmp_path):
    table = ingest(run_cli, tmp_path, CALIMA)
    with fits.open(CALIMA) as hdul:
        data = hdul[1].data
        assert data["aod"].shape[1] == 3
        assert len(table) == data["aod"].size
        assert table.meta["vector_rows"] is True
        order = np.lexsort((table["element"], table["row"]))
        assert np.array_equal(np.asarray(table["aod"])[order], data["aod"].ravel())
        assert np.allclose(np.asarray(table["ra"])[order], data["ra"].ravel())


def test_zenith_angle_round_trip_against_the_generator(run_cli, tmp_path):
    """ra/dec written from known apparent zenith angles come back to the same angles."""
    import sys

    sys.path.insert(0, str(DATA.parent))
    from aerosol.fram_synthetic import generate_nights, write_fram_fits
    from astropy.time import Time

    from calibpipe_tasks.sites import get_site

    night = generate_nights("clear", 1, seed=3, length_s=36000.0)
    path = tmp_path / "f.fits"
    write_fram_fits(path, night, 0, Time("2024-01-15T20:00:00", scale="utc"), get_site("North"))
    table = ingest(run_cli, tmp_path, path)
    order = np.argsort(np.asarray(table["row"]))
    truth = night["zenith_deg"][0][night["present"][0]]
    assert np.allclose(np.asarray(table["zenith_angle"])[order], truth, atol=1e-6)


def test_acada_reader_reads_our_samples_alike(tmp_path):
    """ctapipe_mon_acada's own reader accepts the samples and reads the same numbers."""
    from ctapipe_mon_acada import FITSMonitoringSource

    from calibpipe_tasks.io.fram_fits import read_fram_fits

    for sample in (CLEAR, CALIMA):
        theirs = FITSMonitoringSource(input_files=[sample]).get_table("FRAMDL0Monitoring")
        ours = read_fram_fits(sample)
        assert np.array_equal(np.ravel(theirs["aod"]), ours["aod"])
        dt = (theirs["timestamp"][ours["row"]] - ours["time"]).to_value(u.s)
        assert np.max(np.abs(dt)) < 1e-3


def test_files_written_by_acada_writer_are_read(run_cli, tmp_path):
    """A file written by ctapipe_mon_acada.testing.write_monitoring_fits (ACADA's layout)."""
    import ctao_datamodel.models.dataproducts as dp
    from astropy.time import Time
    from ctapipe_mon_acada.testing import make_monitoring_product, write_monitoring_fits

    t = Time("2024-01-15T22:00:00", scale="utc") + np.arange(30) * 300 * u.s
    table = Table(
        {
            "timestamp": t,
            "ra": np.full((30, 2), 83.6) * u.deg,
            "dec": np.full((30, 2), 22.0) * u.deg,
            "aod": np.full((30, 2), 0.03),
            "aod_err": np.full((30, 2), 0.005),
            "zero_point": np.full(30, 15.0),
            "img_id": np.arange(30),
            "observation_id": np.ones(30, dtype=int),
            "peak_wavelength": np.full(30, 420.0) * u.nm,
        }
    )
    product = make_monitoring_product(dp.DataType.FRAM, "FRAM", tstart=t[0], tstop=t[-1])
    write_monitoring_fits(tmp_path / "acada.fits", table, product)
    ours = ingest(run_cli, tmp_path, tmp_path / "acada.fits")
    assert len(ours) == 60
    assert np.max(np.abs((ours["time"][::2] - t).to_value(u.s))) < 1e-3


def test_reruns_are_byte_identical(run_cli, tmp_path):
    for name in ("a", "b"):
        d = tmp_path / name
        d.mkdir()
        ingest(run_cli, d, CLEAR)
        assess(run_cli, d)
    for product in ("fram.ecsv", "clear_night.ecsv", "clear_night.json"):
        assert (tmp_path / "a" / product).read_bytes() == (tmp_path / "b" / product).read_bytes()


def test_invalid_measurements_are_dropped_and_counted(run_cli, tmp_path):
    path = tmp_path / "bad.fits"
    shutil.copy(CLEAR, path)
    with fits.open(path, mode="update") as hdul:
        aod, err = hdul[1].data["aod"], hdul[1].data["aod_err"]
        aod[0], aod[1], err[2] = np.nan, -1.0, 0.0
        aod[3] = -0.5 * err[3]  # negative within the noise: a valid measurement
    table = ingest(run_cli, tmp_path, path)
    assert table.meta["n_invalid"] == {"aod_err_not_positive": 1, "aod_nan": 1, "aod_negative": 1}
    assert len(table) == table.meta["n_rows"] - 3
    assert np.any(np.asarray(table["aod"]) < 0)


def test_all_rows_outside_the_night_is_insufficient_data(run_cli, tmp_path):
    ingest(run_cli, tmp_path, CLEAR)
    result = run_cli(
        "assess-clear-night", "--fram", "fram.ecsv", "--date", "2024-02-20", *QUIET, cwd=tmp_path
    )
    assert result.code == 0, result.err
    record = json.loads((tmp_path / "clear_night.json").read_text())
    assert record["verdict"] == "insufficient-data" and record["n_used"] == 0
    assert "none of the" in record["reason"] and "inside the night" in record["reason"]


def _without(column, tmp_path):
    with fits.open(CLEAR) as hdul:
        cols = [c for c in hdul[1].columns if c.name != column]
        hdu = fits.BinTableHDU.from_columns(cols, header=hdul[1].header)
    path = tmp_path / f"no_{column}.fits"
    fits.HDUList([fits.PrimaryHDU(), hdu]).writeto(path)
    return path


def _edit(tmp_path, name, edit):
    path = tmp_path / name
    shutil.copy(CLEAR, path)
    with fits.open(path, mode="update") as hdul:
        edit(hdul)
    return path


def _text(path):
    path.write_text("not FITS at all")
    return path


def _all_nan(hdul):
    hdul[1].data["aod"][:] = np.nan


def _no_unit(hdul):
    index = hdul[1].columns.names.index("ra") + 1
    del hdul[1].header[f"TUNIT{index}"]


def _weather(hdul):
    hdul[1].header["DATATYPE"] = "Weather"


def _nan_time(hdul):
    hdul[1].data["timestamp"][5] = np.nan


@pytest.mark.parametrize(
    "make, code, message",
    [
        (lambda p: _text(p / "x.fits"), 3, "FITS"),
        (lambda p: _without("aod_err", p), 3, "missing column(s) aod_err"),
        (lambda p: _without("dec", p), 3, "ra/dec (or alt/az)"),
        (lambda p: _edit(p, "nan.fits", _all_nan), 3, "no valid AOD measurement"),
        (lambda p: _edit(p, "unit.fits", _no_unit), 3, "column ra has no unit"),
        (lambda p: _edit(p, "weather.fits", _weather), 3, "no FRAM table"),
        (lambda p: _edit(p, "time.fits", _nan_time), 3, "times NaN"),
    ],
)
def test_ingest_bad_input(run_cli, tmp_path, make, code, message):
    path = make(tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    result = run_cli(
        "ingest-fram", "--fram-files", path, "--site", "North", "--output-dir", out, cwd=tmp_path
    )
    lines = error_lines(result.err)
    assert result.code == code and len(lines) == 1, result.err
    assert message in lines[0] and str(path) in lines[0]
    assert list(out.iterdir()) == []


def test_unknown_site_is_usage_error(run_cli, tmp_path):
    result = run_cli("ingest-fram", "--fram-files", CLEAR, "--site", "Mars", cwd=tmp_path)
    assert result.code == 2 and "unknown site 'Mars'" in error_lines(result.err)[0]
    assert not (tmp_path / "fram.ecsv").exists()


def test_assess_bad_input(run_cli, tmp_path):
    ingest(run_cli, tmp_path, CLEAR)
    table = Table.read(tmp_path / "fram.ecsv", format="ascii.ecsv")
    table.meta["site"] = "Atlantis"
    table.write(tmp_path / "atlantis.ecsv", format="ascii.ecsv")
    (tmp_path / "junk.ecsv").write_text("this is not a table\n")
    for name, message in (
        ("atlantis.ecsv", "unknown site 'Atlantis'"),
        ("junk.ecsv", "not an"),
    ):
        out = tmp_path / f"out_{name}"
        out.mkdir()
        result = run_cli(
            "assess-clear-night",
            "--fram",
            name,
            "--date",
            DATE,
            "--output-dir",
            out,
            cwd=tmp_path,
        )
        lines = error_lines(result.err)
        assert result.code == 3 and len(lines) == 1 and message in lines[0], result.err
        assert list(out.iterdir()) == []
    result = run_cli(
        "assess-clear-night",
        "--fram",
        "fram.ecsv",
        "--date",
        DATE,
        "--confidence",
        "1.5",
        cwd=tmp_path,
    )
    assert result.code == 2


def _fram_table(path, aod_format, aod, ra_format="D", ra=None, n=25):
    t = np.arange(n) * 600.0 + (60324.875 - 40587.0) * 86400.0  # from 2024-01-15T21:00 UTC
    ra = np.full(n, 83.6) if ra is None else ra
    cols = [
        fits.Column("timestamp", "D", unit="s", array=t),
        fits.Column("ra", ra_format, unit="deg", array=ra),
        fits.Column("dec", ra_format, unit="deg", array=ra * 0 + 22.0),
        fits.Column("aod", aod_format, array=aod),
        fits.Column("aod_err", aod_format, array=aod),
        fits.Column("peak_wavelength", "D", unit="nm", array=np.full(n, 420.0)),
    ]
    hdu = fits.BinTableHDU.from_columns(cols)
    hdu.header.update({"DATATYPE": "FRAM", "MJDREF": 40587.0, "TIMESYS": "UTC", "TIMEUNIT": "s"})
    fits.HDUList([fits.PrimaryHDU(), hdu]).writeto(path)
    return path


def test_variable_length_vector_rows(run_cli, tmp_path):
    rows = np.empty(25, dtype=object)
    for i in range(25):
        rows[i] = np.full(1 + i % 3, 0.03)
    path = _fram_table(tmp_path / "vla.fits", "PD()", rows)
    table = ingest(run_cli, tmp_path, path)
    assert len(table) == sum(1 + i % 3 for i in range(25))
    assert np.max(table["element"]) == 2


def test_rows_of_different_lengths_are_refused(run_cli, tmp_path):
    path = _fram_table(
        tmp_path / "mismatch.fits", "3D", np.full((25, 3), 0.03), "2D", np.full((25, 2), 83.6)
    )
    result = run_cli("ingest-fram", "--fram-files", path, "--site", "North", cwd=tmp_path)
    lines = error_lines(result.err)
    assert result.code == 3 and len(lines) == 1 and "row lengths differ" in lines[0]
    assert not (tmp_path / "fram.ecsv").exists()


def test_option_defaults_are_the_pure_defaults():
    from calibpipe_tasks.aerosol.optical_depth import AerosolModel
    from calibpipe_tasks.aerosol.verdict import Thresholds
    from calibpipe_tasks.cli import build_parser
    from calibpipe_tasks.steps.assess_clear_night import model_from_args, thresholds_from_args

    _, parser = build_parser("assess-clear-night")
    args = parser.parse_args(["--fram", "x.ecsv", "--date", DATE])
    assert thresholds_from_args(args) == Thresholds()
    assert model_from_args(args) == AerosolModel()


def test_the_steps_do_not_import_ctapipe(tmp_path):
    """Neither step needs ctapipe (nor ACADA's data model): a run does not import them."""
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from calibpipe_tasks.cli import main\n"
        f"main(['ingest-fram', '--fram-files', {str(CLEAR)!r}, '--site', 'North',"
        f" '--output-dir', {str(tmp_path)!r}, '--log-level', 'WARNING'])\n"
        f"main(['assess-clear-night', '--fram', {str(tmp_path / 'fram.ecsv')!r},"
        f" '--date', '2024-01-15', '--output-dir', {str(tmp_path)!r}, '--log-level', 'WARNING'])\n"
        "print([m for m in ('ctapipe', 'ctao_datamodel') if m in sys.modules])\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
