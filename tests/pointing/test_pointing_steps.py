"""track-stars and fit-pointing on ctapipe-layout files: closure, read-back, bad inputs."""

import numpy as np
import pytest
from astropy.table import Table
from conftest import error_lines
from star_field import FieldSpec, write_star_field

from calibpipe_tasks.io.star_tracking import STAR_TRACKING_GROUP

OFFSETS = {1: (60.0, -120.0), 2: (-90.0, 45.0)}


def _write(path, **kw):
    spec = FieldSpec(
        telescopes={1: "LST", 2: "MST"},
        offsets=OFFSETS,
        altitude=65.0,
        n_events=120,
        broken_pixels={1: [5, 6]},
        **kw,
    )
    write_star_field(path, spec, write_pointing=kw.pop("write_pointing", True))
    return path


@pytest.fixture(scope="module")
def products(tmp_path_factory):
    from calibpipe_tasks.cli import main

    tmp = tmp_path_factory.mktemp("pointing")
    dl1 = _write(tmp / "field.dl1.h5")
    out = tmp / "out"
    out.mkdir()
    assert (
        main(
            [
                "track-stars",
                "--input",
                str(dl1),
                "--output-dir",
                str(out),
                "--chunk-duration",
                "6",
                "--log-level",
                "WARNING",
            ]
        )
        == 0
    )
    assert (
        main(
            [
                "fit-pointing",
                "--plot",
                "--input",
                str(out / "star_positions.h5"),
                "--output-dir",
                str(out),
                "--log-level",
                "WARNING",
            ]
        )
        == 0
    )
    return out


def test_corrections_recover_the_true_mispointing(products):
    table = Table.read(products / "pointing_corrections.ecsv")
    assert set(table["tel_id"]) == {1, 2}
    assert len(table) == 4  # 120 events at 10 Hz in 6 s chunks, two telescopes
    for row in table:
        assert row["is_valid"], row["status"]
        true_alt, true_az = OFFSETS[row["tel_id"]]
        assert abs(row["delta_alt"] - true_alt) < 4 * row["delta_alt_error"] + 5
        assert abs(row["delta_az"] - true_az) < 4 * row["delta_az_error"] + 5
        assert row["n_stars"] >= 3 and row["n_points"] >= row["n_stars"]
        assert row["ndf"] == 2 * row["n_points"] - 2
    assert str(table["delta_alt"].unit) == "arcsec"


def test_plot_is_a_png(products):
    assert (products / "pointing_corrections.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_ctapipe_reads_the_corrections_with_units(products):
    import astropy.units as u
    from ctapipe.io import read_table

    for tel_id in (1, 2):
        table = read_table(
            products / "pointing_corrections.h5", f"{STAR_TRACKING_GROUP}/tel_{tel_id:03d}"
        )
        assert table["delta_alt"].unit == u.arcsec
        assert table["time"].scale == "tai" or hasattr(table["time"], "mjd")
        assert np.all(table["is_valid"])


def test_every_column_has_a_unit_or_is_a_count_flag_or_text(products):
    for name in ("star_positions.ecsv", "star_chunks.ecsv", "pointing_corrections.ecsv"):
        table = Table.read(products / name)
        for col in table.itercols():
            if hasattr(col, "mjd"):
                continue
            kind = col.dtype.kind
            assert col.description, (name, col.name)
            if kind == "f":
                assert col.unit is not None, (name, col.name)


def test_star_flags_include_broken_pixels_and_outside(products):
    stars = Table.read(products / "star_positions.ecsv")
    assert {0, 1}.issubset(set(stars["flag"]))  # measured, and stars partly outside
    chunks = Table.read(products / "star_chunks.ecsv")
    assert np.all(chunks["n_broken_pixels"][chunks["tel_id"] == 1] >= 2)
    assert set(chunks["refraction_source"]) == {"US Standard Atmosphere 1976 at the site altitude"}


def test_byte_identical_rerun(products, tmp_path, run_cli):
    dl1 = next(products.parent.glob("field.dl1.h5"))
    result = run_cli("track-stars", "--input", dl1, "--chunk-duration", "6", cwd=tmp_path)
    assert result.code == 0, result.err
    for name in ("star_positions.ecsv", "star_positions.h5"):
        assert (tmp_path / name).read_bytes() == (products / name).read_bytes()


def test_meteo_table_sets_the_refraction(products, tmp_path, run_cli):
    from conftest import DATA

    dl1 = next(products.parent.glob("field.dl1.h5"))
    meteo = DATA / "meteo_north_era5like.ecsv"
    result = run_cli(
        "track-stars", "--input", dl1, "--meteo", meteo, "--chunk-duration", "6", cwd=tmp_path
    )
    assert result.code == 0, result.err
    chunks = Table.read(tmp_path / "star_chunks.ecsv")
    assert all(s.startswith("meteo table") for s in chunks["refraction_source"])
    assert np.all((chunks["pressure"] > 600) & (chunks["pressure"] < 900))


@pytest.mark.parametrize(
    "kw, message",
    [
        (dict(write_pointing=False), "no pointing table /dl0/monitoring/telescope/pointing"),
        (dict(pointing_before_s=-5.0), "does not cover the events"),
        (dict(event_type=32), "no sky-pedestal events"),
    ],
)
def test_bad_input_one_line_exit_3_nothing_written(tmp_path, run_cli, kw, message):
    dl1 = tmp_path / "bad.h5"
    spec = FieldSpec(
        telescopes={1: "LST"},
        offsets={1: (0, 0)},
        n_events=20,
        **{k: v for k, v in kw.items() if k != "write_pointing"},
    )
    write_star_field(dl1, spec, write_pointing=kw.get("write_pointing", True))
    out = tmp_path / "out"
    out.mkdir()
    result = run_cli("track-stars", "--input", dl1, "--output-dir", out, cwd=tmp_path)
    assert result.code == 3, result.err
    lines = error_lines(result.err)
    assert len(lines) == 1 and message in lines[0] and str(dl1) in lines[0], lines
    assert list(out.iterdir()) == []


def test_telescope_without_images_is_reported_and_skipped(tmp_path, run_cli):
    dl1 = tmp_path / "one.h5"
    spec = FieldSpec(
        telescopes={1: "LST", 2: "MST"},
        offsets={1: (0, 0), 2: (0, 0)},
        n_events=30,
        image_telescopes=[1],
    )
    write_star_field(dl1, spec)
    result = run_cli("track-stars", "--input", dl1, cwd=tmp_path)
    assert result.code == 0, result.err
    assert "telescope 2 has no sky-pedestal images" in result.err
    assert set(Table.read(tmp_path / "star_chunks.ecsv")["tel_id"]) == {1}


@pytest.mark.parametrize(
    "spec_kw, args, status",
    [
        (dict(stars=False), (), "no stars measured"),
        (dict(), ("--magnitude-limit", "LST=-3"), "no stars measured"),
    ],
)
def test_no_stars_gives_invalid_rows_with_reason(tmp_path, run_cli, spec_kw, args, status):
    dl1 = tmp_path / "empty.h5"
    write_star_field(dl1, FieldSpec(n_events=30, **spec_kw))
    assert run_cli("track-stars", "--input", dl1, *args, cwd=tmp_path).code == 0
    result = run_cli("fit-pointing", "--input", tmp_path / "star_positions.h5", cwd=tmp_path)
    assert result.code == 0, result.err
    table = Table.read(tmp_path / "pointing_corrections.ecsv")
    assert len(table) == 1 and not table["is_valid"][0]
    assert table["status"][0] == status and table["n_stars"][0] == 0


def test_fit_pointing_refuses_a_file_without_star_tables(tmp_path, run_cli, products):
    result = run_cli("fit-pointing", "--input", products / "pointing_corrections.h5", cwd=tmp_path)
    assert result.code == 3
    lines = error_lines(result.err)
    assert len(lines) == 1 and "no star-tracking chunks" in lines[0]


def test_db_kind_per_telescope():
    from calibpipe_tasks.db.kinds import KINDS, check_target_for_kind

    assert KINDS["pointing-correction"][1] == ("telescope",)
    check_target_for_kind("pointing-correction", "tel_001")
    with pytest.raises(ValueError):
        check_target_for_kind("pointing-correction", "North")


@pytest.mark.slow
def test_ctapipe_process_variance_images_feed_track_stars(tmp_path, run_cli):
    """The real reading path: ctapipe-process with VarianceExtractor on R1 sky pedestals."""
    import subprocess
    import sys
    from pathlib import Path

    from conftest import DATA

    r1 = DATA / "pointing" / "star_field.r1.h5"
    config = tmp_path / "variance.yaml"
    config.write_text(
        "CameraCalibrator:\n  image_extractor_type: VarianceExtractor\n"
        "EventTypeFilter:\n  allowed_types: [SKY_PEDESTAL]\n"
        "DataWriter:\n  write_dl1_images: true\n  write_dl1_parameters: false\n"
    )
    dl1 = tmp_path / "variance.dl1.h5"
    process = Path(sys.executable).parent / "ctapipe-process"
    subprocess.run(
        [
            str(process),
            f"--input={r1}",
            f"--output={dl1}",
            f"--config={config}",
            f"--provenance-log={tmp_path / 'p.log'}",
            "--log-level=WARN",
        ],
        check=True,
        cwd=tmp_path,
    )
    no_pointing = run_cli("track-stars", "--input", dl1, cwd=tmp_path)
    assert no_pointing.code == 3 and "no pointing table" in error_lines(no_pointing.err)[0]
    assert run_cli("track-stars", "--input", dl1, "--pointing", r1, cwd=tmp_path).code == 0
    assert (
        run_cli("fit-pointing", "--input", tmp_path / "star_positions.h5", cwd=tmp_path).code == 0
    )
    row = Table.read(tmp_path / "pointing_corrections.ecsv")[0]
    assert row["is_valid"], row["status"]
    assert abs(row["delta_alt"] - 60.0) < 4 * row["delta_alt_error"]
    assert abs(row["delta_az"] + 120.0) < 4 * row["delta_az_error"]


def test_db_upload_stores_one_product_per_telescope(products, tmp_path, run_cli):
    import json

    from conftest import ROOT

    result = run_cli(
        "db-upload",
        "--kind",
        "pointing-correction",
        "--file",
        products / "pointing_corrections.ecsv",
        "--provenance",
        products / "fit-pointing.provenance.json",
        "--database",
        ROOT / "tests" / "db" / "data" / "calibration.sqlite",
        "--recorded-at",
        "2026-01-16T09:00:00Z",
        cwd=tmp_path,
    )
    assert result.code == 0, result.err
    receipt = json.loads((tmp_path / "upload-receipt.json").read_text())
    stored = {p["target"]: p for p in receipt["products"]}
    assert set(stored) == {"tel_001", "tel_002"}
    assert all(p["kind"] == "pointing-correction" for p in stored.values())
    assert stored["tel_001"]["valid_from"].startswith("2026-01-15T23:00:00")
