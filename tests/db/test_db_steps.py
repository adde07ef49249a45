"""The db-* steps end to end: SQLite file mode (the CWL way) and live databases (--db-url)."""

import json
import shutil

import pytest
from conftest import DATA, error_lines
from dbfixtures import DB_DATA, db_url_fixture  # noqa: F401 - fixture

from calibpipe_tasks.db.engine import head_revision
from calibpipe_tasks.outputs import sha256_of

MANIFEST = DB_DATA / "atmosphere-manifest.json"
PROFILE = DB_DATA / "atmospheric_profile.ecsv"
TRANSMISSION = DB_DATA / "atmospheric_transmission.ecsv"
MACOBAC = DB_DATA / "macobac.ecsv"
MACOBAC_PROV = DB_DATA / "compute-macobac.provenance.json"
MUON = DB_DATA / "muon_throughput_tel_001.ecsv"
SAMPLE_DB = DB_DATA / "calibration.sqlite"
QUIET = ("--log-level", "WARNING")


def upload_manifest(run_cli, cwd, *db):
    return run_cli(
        "db-upload", "--kind", "atmospheric-model", "--manifest", MANIFEST,
        "--file", PROFILE, "--file", TRANSMISSION, *db, *QUIET, cwd=cwd,
    )  # fmt: skip


def test_init_upload_query_roundtrip_in_file_mode(run_cli, tmp_path):
    init, up, query = (tmp_path / d for d in ("init", "up", "query"))
    for d in (init, up, query):
        d.mkdir()
    result = run_cli("db-init", *QUIET, cwd=init)
    assert result.code == 0, result.err
    assert json.loads((init / "db-init.json").read_text())["schema_revision"] == head_revision()
    db = init / "calibration.sqlite"
    before = sha256_of(db)
    result = upload_manifest(run_cli, up, "--database", db)
    assert result.code == 0, result.err
    assert sha256_of(db) == before, "the input database must not be modified"
    receipt = json.loads((up / "upload-receipt.json").read_text())
    assert receipt["created"] and receipt["target"] == "North" and receipt["version"] == 1
    assert receipt["valid_from"] == "2024-03-01T18:00:00Z"  # from the manifest
    assert not list(up.glob("*-wal")) and not list(up.glob("*-shm"))

    result = run_cli(
        "db-query", "--database", up / "calibration.sqlite", "--kind", "atmospheric-model",
        "--target", "ctao-north", "--at", "2024-03-02T03:00:00Z", *QUIET, cwd=query,
    )  # fmt: skip
    assert result.code == 0, result.err
    out = query / "calibration-product"
    assert sorted(p.name for p in out.iterdir()) == sorted(
        [MANIFEST.name, PROFILE.name, TRANSMISSION.name]
    )
    for original in (MANIFEST, PROFILE, TRANSMISSION):
        assert (out / original.name).read_bytes() == original.read_bytes()
    described = json.loads((query / "query-result.json").read_text())
    assert described["id"] == receipt["id"] and described["status"] == "current"


def test_upload_without_database_creates_one_and_reupload_is_noop(run_cli, tmp_path):
    first, second = tmp_path / "a", tmp_path / "b"
    first.mkdir(), second.mkdir()
    args = (
        "db-upload", "--kind", "muon-throughput", "--file", MUON, *QUIET,
    )  # fmt: skip
    assert run_cli(*args, cwd=first).code == 0
    receipt = json.loads((first / "upload-receipt.json").read_text())
    assert receipt["target"] == "tel_001" and receipt["valid_to"] == "2024-03-02T08:00:00Z"
    result = run_cli(*args, "--database", first / "calibration.sqlite", cwd=second)
    assert result.code == 0, result.err
    again = json.loads((second / "upload-receipt.json").read_text())
    assert again["id"] == receipt["id"] and again["created"] is False
    assert again["recorded_at"] == receipt["recorded_at"]  # when it was stored, not now


def test_query_of_sample_database_and_as_of(run_cli, tmp_path):
    args = ("db-query", "--database", SAMPLE_DB, "--kind", "macobac", "--target", "global")
    result = run_cli(*args, "--at", "2024-03-01", *QUIET, cwd=tmp_path)
    assert result.code == 0, result.err
    assert (tmp_path / "calibration-product" / "macobac.ecsv").read_bytes() == MACOBAC.read_bytes()
    assert (tmp_path / "calibration-product.provenance.json").read_bytes() == (
        MACOBAC_PROV.read_bytes()
    )
    # recorded 2024-01-01: as of 2023-12-31 the database knew nothing
    result = run_cli(*args, "--at", "2024-03-01", "--as-of", "2023-12-31", *QUIET, cwd=tmp_path)
    assert result.code == 3
    assert error_lines(result.err) == [
        f"calibpipe-tasks db-query: error: {SAMPLE_DB}: no macobac product for global valid at "
        "2024-03-01T00:00:00Z as of 2023-12-31T00:00:00Z"
    ]


def test_live_database_on_both_backends(run_cli, tmp_path, db_url):
    live = ("--db-url", db_url)
    assert run_cli("db-init", *live, *QUIET, cwd=tmp_path).code == 0
    assert not (tmp_path / "calibration.sqlite").exists() or db_url.startswith("sqlite")
    result = run_cli(
        "db-upload", "--kind", "macobac", "--target", "global", "--file", MACOBAC,
        "--provenance", MACOBAC_PROV, "--valid-from", "2023-07-01", "--valid-to", "2024-07-01",
        *live, *QUIET, cwd=tmp_path,
    )  # fmt: skip
    assert result.code == 0, result.err
    assert upload_manifest(run_cli, tmp_path, *live).code == 0
    record = json.loads((tmp_path / "db-upload.provenance.json").read_text())
    # the recorded parameter hides the password (the command line is recorded as given:
    # pass passwords through ~/.pgpass or PGPASSWORD, not in the URL)
    assert ":calibpipe@" not in record["parameters"]["db_url"]
    result = run_cli(
        "db-query", "--kind", "atmospheric-model", "--target", "North", "--at", "2024-03-01T19:00",
        *live, *QUIET, cwd=tmp_path,
    )  # fmt: skip
    assert result.code == 0, result.err
    assert (tmp_path / "calibration-product" / PROFILE.name).read_bytes() == PROFILE.read_bytes()

    result = run_cli("db-export", *live, *QUIET, cwd=tmp_path)
    assert result.code == 0, result.err
    export = tmp_path / "calibration-export"
    index = json.loads((export / "index.json").read_text())
    assert [p["kind"] for p in index["products"]] == ["macobac", "atmospheric-model"]
    for entry in index["products"]:
        for item in entry["files"]:
            assert sha256_of(export / item["path"]) == item["sha256"]
    assert (export / "1" / "macobac.ecsv").read_bytes() == MACOBAC.read_bytes()
    assert (export / "1.provenance.json").read_bytes() == MACOBAC_PROV.read_bytes()


def test_export_selection(run_cli, tmp_path):
    result = run_cli(
        "db-export", "--database", SAMPLE_DB, "--kind", "muon-psf", *QUIET, cwd=tmp_path
    )
    assert result.code == 0, result.err
    index = json.loads((tmp_path / "calibration-export" / "index.json").read_text())
    assert index["products"] == [] and index["selection"]["kind"] == ["muon-psf"]


def test_checksum_mismatch_refused_on_upload(run_cli, tmp_path):
    tampered = tmp_path / "in"
    tampered.mkdir()
    shutil.copy(PROFILE, tampered / PROFILE.name)
    with open(tampered / PROFILE.name, "a") as f:
        f.write("# one more line\n")
    out = tmp_path / "out"
    out.mkdir()
    result = run_cli(
        "db-upload", "--kind", "atmospheric-model", "--manifest", MANIFEST,
        "--file", tampered / PROFILE.name, "--file", TRANSMISSION, *QUIET, cwd=out,
    )  # fmt: skip
    assert result.code == 3
    (line,) = error_lines(result.err)
    assert line.startswith(f"calibpipe-tasks db-upload: error: {tampered / PROFILE.name}: checksum")
    assert f"listed in {MANIFEST.name}" in line
    assert list(out.iterdir()) == []


def test_corrupt_stored_file_detected_by_query(run_cli, tmp_path):
    import sqlalchemy as sa

    from calibpipe_tasks.db.engine import make_engine
    from calibpipe_tasks.db.models import ProductFile

    db = tmp_path / "corrupt.sqlite"
    shutil.copy(SAMPLE_DB, db)
    engine = make_engine(f"sqlite:///{db}")
    with engine.begin() as conn:
        conn.execute(sa.update(ProductFile).values(data=sa.func.upper(ProductFile.data)))
    engine.dispose()
    out = tmp_path / "out"
    out.mkdir()
    result = run_cli(
        "db-query", "--database", db, "--kind", "macobac", "--target", "global",
        "--at", "2024-01-01", *QUIET, cwd=out,
    )  # fmt: skip
    assert result.code == 3
    assert error_lines(result.err) == [
        f"calibpipe-tasks db-query: error: {db}: stored file macobac.ecsv of product 1 is "
        "corrupt (sha256 mismatch)"
    ]
    assert list(out.iterdir()) == []


def test_provenance_must_describe_the_product(run_cli, tmp_path):
    result = run_cli(
        "db-upload", "--kind", "macobac", "--target", "global", "--file", MUON,
        "--provenance", MACOBAC_PROV, "--valid-from", "2024-01-01", "--valid-to", "2024-02-01",
        *QUIET, cwd=tmp_path,
    )  # fmt: skip
    assert result.code == 0, result.err  # the provenance names no file of that name
    (tmp_path / "in").mkdir()
    renamed = tmp_path / "in" / "macobac.ecsv"
    shutil.copy(MUON, renamed)
    result = run_cli(
        "db-upload", "--kind", "macobac", "--target", "global", "--file", renamed,
        "--provenance", MACOBAC_PROV, "--valid-from", "2024-01-01", "--valid-to", "2024-02-01",
        *QUIET, cwd=tmp_path / "in",
    )  # fmt: skip
    assert result.code == 3
    (line,) = error_lines(result.err)
    assert f"{MACOBAC_PROV}: records macobac.ecsv with sha256" in line


@pytest.mark.parametrize(
    "args, code, fragment",
    [
        (("--kind", "weather"), 2, "argument --kind: invalid choice: 'weather'"),
        (("--kind", "macobac", "--valid-from", "2024-31-01"), 2, "not an ISO 8601 UTC time"),
        (("--kind", "macobac", "--target", "Mars"), 2, "not a target: 'Mars'"),
        (("--kind", "muon-psf", "--target", "North"), 2, "needs a target of type telescope"),
        (("--kind", "macobac", "--target", "global"), 2, "no validity: give --valid-from"),
        (
            (
                "--kind",
                "macobac",
                "--target",
                "global",
                "--valid-from",
                "2024-02-01",
                "--valid-to",
                "2024-01-01",
            ),
            2,
            "validity is empty",
        ),  # fmt: skip
    ],
)
def test_bad_arguments_one_line(run_cli, tmp_path, args, code, fragment):
    result = run_cli("db-upload", "--file", MACOBAC, *args, *QUIET, cwd=tmp_path)
    assert result.code == code
    (line,) = error_lines(result.err)
    assert fragment in line
    assert list(tmp_path.iterdir()) == []


def test_malformed_date_in_meta_exits_3(run_cli, tmp_path):
    bad = tmp_path / "in"
    bad.mkdir()
    manifest = json.loads(MANIFEST.read_text())
    manifest["valid_from"] = "the first of March"
    (bad / "m.json").write_text(json.dumps(manifest))
    out = tmp_path / "out"
    out.mkdir()
    result = run_cli(
        "db-upload", "--kind", "atmospheric-model", "--manifest", bad / "m.json",
        "--file", PROFILE, "--file", TRANSMISSION, *QUIET, cwd=out,
    )  # fmt: skip
    assert result.code == 3
    assert error_lines(result.err) == [
        f"calibpipe-tasks db-upload: error: {bad / 'm.json'}: meta valid_from: not an ISO 8601 "
        "UTC time (YYYY-MM-DD[THH:MM[:SS]][Z]): 'the first of March'"
    ]
    assert list(out.iterdir()) == []


@pytest.mark.parametrize("step", ["db-init", "db-upload", "db-query", "db-export"])
def test_unreachable_database_exits_100(run_cli, tmp_path, step):
    url = "postgresql+psycopg://nobody@127.0.0.1:9/nowhere"
    extra = {
        "db-upload": ("--kind", "macobac", "--target", "global", "--file", MACOBAC,
                      "--valid-from", "2024-01-01", "--valid-to", "2024-02-01"),
        "db-query": ("--kind", "macobac", "--target", "global", "--at", "2024-01-01"),
    }.get(step, ())  # fmt: skip
    result = run_cli(step, "--db-url", url, "--connect-timeout", "3", *extra, *QUIET, cwd=tmp_path)
    assert result.code == 100
    (line,) = error_lines(result.err)
    assert line.startswith(f"calibpipe-tasks {step}: error: database {url} unavailable:")
    assert list(tmp_path.iterdir()) == []


def test_not_a_database_file_exits_3(run_cli, tmp_path):
    result = run_cli(
        "db-query", "--database", MACOBAC, "--kind", "macobac", "--target", "global",
        "--at", "2024-01-01", *QUIET, cwd=tmp_path,
    )  # fmt: skip
    assert result.code == 3
    (line,) = error_lines(result.err)
    assert line.startswith(f"calibpipe-tasks db-query: error: {MACOBAC}: unusable database:")


def test_uninitialised_live_database_exits_3(run_cli, tmp_path, db_url):
    result = run_cli(
        "db-query", "--db-url", db_url, "--kind", "macobac", "--target", "global",
        "--at", "2024-01-01", *QUIET, cwd=tmp_path,
    )  # fmt: skip
    assert result.code == 3
    (line,) = error_lines(result.err)
    assert line.endswith("not a calibration database (run db-init first)")


def test_wrong_password_is_a_usage_error(run_cli, tmp_path):
    from dbfixtures import PG_URL, postgresql_or_skip
    from sqlalchemy.engine import make_url

    postgresql_or_skip()
    url = make_url(PG_URL).set(password="not-the-password").render_as_string(hide_password=False)
    result = run_cli("db-init", "--db-url", url, *QUIET, cwd=tmp_path)
    assert result.code == 2
    (line,) = error_lines(result.err)
    assert "refused the connection: password authentication failed" in line
    assert "not-the-password" not in line


def test_real_exchange_manifest_uploads_whole_and_comes_back_identical(run_cli, tmp_path):
    """The SimPipe exchange set (manifest + every file it lists) is one product."""
    exchange = DATA / "exchange_sample"
    manifest = exchange / "atmosphere_exchange_sample-north-20230615.json"
    listed = [f["name"] for f in json.loads(manifest.read_text())["files"]]
    up, query = tmp_path / "up", tmp_path / "query"
    up.mkdir(), query.mkdir()
    result = run_cli(
        "db-upload", "--kind", "atmospheric-model", "--manifest", manifest,
        *[a for name in listed for a in ("--file", exchange / name)], *QUIET, cwd=up,
    )  # fmt: skip
    assert result.code == 0, result.err
    receipt = json.loads((up / "upload-receipt.json").read_text())
    assert receipt["target"] == "North"  # from site.name
    assert (receipt["valid_from"], receipt["valid_to"]) == (
        "2023-06-15T21:30:00Z",
        "2023-06-16T05:45:00Z",
    )  # from validity.start_utc / end_utc
    assert len(receipt["files"]) == len(listed) + 1
    result = run_cli(
        "db-query", "--database", up / "calibration.sqlite", "--kind", "atmospheric-model",
        "--target", "North", "--at", "2023-06-16T00:00:00Z", *QUIET, cwd=query,
    )  # fmt: skip
    assert result.code == 0, result.err
    for name in [manifest.name, *listed]:
        assert (query / "calibration-product" / name).read_bytes() == (exchange / name).read_bytes()


def test_clear_night_record_uploads_with_its_site_and_night(run_cli, tmp_path):
    """``--kind clear-night``: target and validity from the record (site name, night window);
    a query inside the night gives the record back, one outside it nothing (exit 3)."""
    fram = DATA / "fram" / "fram_clear_north_20240115.ecsv"
    result = run_cli("assess-clear-night", "--fram", fram, "--date", "2024-01-15", *QUIET,
                     cwd=tmp_path)  # fmt: skip
    assert result.code == 0, result.err
    record = json.loads((tmp_path / "clear_night.json").read_text())
    up = tmp_path / "up"
    up.mkdir()
    result = run_cli("db-upload", "--kind", "clear-night", "--file", tmp_path / "clear_night.json",
                     "--file", tmp_path / "clear_night.ecsv", *QUIET, cwd=up)  # fmt: skip
    assert result.code == 0, result.err
    receipt = json.loads((up / "upload-receipt.json").read_text())
    assert receipt["target"] == "North"
    assert record["night"]["start"].startswith(receipt["valid_from"][:16])  # YYYY-MM-DDTHH:MM
    assert record["night"]["end"].startswith(receipt["valid_to"][:16])
    database = up / "calibration.sqlite"
    for at, code in (("2024-01-16T02:00:00Z", 0), ("2024-01-16T12:00:00Z", 3)):
        out = tmp_path / f"query-{code}"
        out.mkdir()
        result = run_cli("db-query", "--database", database, "--kind", "clear-night", "--target",
                         "North", "--at", at, *QUIET, cwd=out)  # fmt: skip
        assert result.code == code, result.err
    returned = tmp_path / "query-0" / "calibration-product" / "clear_night.json"
    assert returned.read_bytes() == (tmp_path / "clear_night.json").read_bytes()
