"""Multi-telescope muon tables become one database product per telescope.

The synthetic table has the columns of ``muon_throughput.ecsv`` with times in TAI
chosen so that their UTC values are known (TAI - UTC = 37 s since 2017).
"""

import json
from datetime import datetime
from io import BytesIO

import numpy as np
import pytest
from astropy.table import Table
from astropy.time import Time
from conftest import error_lines

from calibpipe_tasks.db.telescope_split import split_by_telescope
from calibpipe_tasks.errors import InputDataError
from calibpipe_tasks.outputs import sha256_of

QUIET = ("--log-level", "WARNING")


def throughput_table():
    """tel 1: two chunks; tel 2: one ring; tel 3: no ring passing the cuts.

    As muon-throughput writes it: a telescope without rings has one row spanning all rings.
    """
    table = Table()
    table["tel_id"] = np.array([1, 1, 2, 3], dtype=np.int16)
    table["chunk"] = np.array([0, 1, 0, 0], dtype=np.int32)
    start = ["21:00:37.5", "21:30:37.0", "22:00:37", "21:00:37.5"]
    end = ["21:29:00.0", "21:50:37.2", "22:00:37", "22:00:37"]
    for name, values in (("time_start", start), ("time_end", end)):
        table[name] = Time([f"2026-01-15T{v}" for v in values], scale="tai")
        table[name].format = "isot"
    table["n_rings"] = np.array([12, 7, 1, 0])
    table["mean"] = [0.181, 0.176, 0.150, np.nan]
    table["status"] = ["ok", "ok", "ok", "no rings passing cuts"]
    table.meta["product"] = "optical throughput from muon rings"
    return table


@pytest.fixture
def throughput_file(tmp_path):
    path = tmp_path / "muon_throughput.ecsv"
    throughput_table().write(path, format="ascii.ecsv")
    return path


def test_split_gives_each_telescope_its_rows_and_validity(throughput_file, tmp_path):
    notes = tmp_path / "notes.json"
    notes.write_text('{"comment": "a file without tel_id goes whole into every product"}\n')
    parts, skipped = split_by_telescope([throughput_file, notes])
    assert [p.tel_id for p in parts] == [1, 2]
    assert [(s.tel_id, s.reason) for s in skipped] == [(3, "no rings passing cuts")]
    one, two = parts
    # UTC = TAI - 37 s, rounded outward to whole seconds
    assert (one.valid_from, one.valid_to) == (
        datetime(2026, 1, 15, 21, 0, 0),
        datetime(2026, 1, 15, 21, 50, 1),
    )
    # a single ring: at least one second of validity
    assert (two.valid_from, two.valid_to) == (
        datetime(2026, 1, 15, 22, 0, 0),
        datetime(2026, 1, 15, 22, 0, 1),
    )
    for part, n_rows in ((one, 2), (two, 1)):
        names = [f.name for f in part.files]
        assert names == ["muon_throughput.ecsv", "notes.json"]
        rows = Table.read(BytesIO(part.files[0].data), format="ascii.ecsv")
        assert len(rows) == n_rows and set(rows["tel_id"]) == {part.tel_id}
        assert rows.meta["tel_id"] == part.tel_id
        assert rows.meta["split_from"] == {
            "name": "muon_throughput.ecsv",
            "sha256": sha256_of(throughput_file),
        }
        assert rows.meta["product"] == "optical throughput from muon rings"
        assert part.files[1].data == notes.read_bytes()
    rows = Table.read(BytesIO(one.files[0].data), format="ascii.ecsv")
    assert list(rows["mean"]) == [0.181, 0.176]
    assert rows["time_start"].scale == "tai"


def test_split_of_one_telescope(throughput_file):
    parts, skipped = split_by_telescope([throughput_file], only_tel_id=2)
    assert [p.tel_id for p in parts] == [2] and skipped == []
    with pytest.raises(InputDataError, match="no rows of telescope 9"):
        split_by_telescope([throughput_file], only_tel_id=9)


def test_split_is_deterministic(throughput_file):
    first, _ = split_by_telescope([throughput_file])
    again, _ = split_by_telescope([throughput_file])
    assert [f.data for p in first for f in p.files] == [f.data for p in again for f in p.files]


def upload(run_cli, cwd, *args):
    return run_cli("db-upload", "--kind", "muon-throughput", *args, *QUIET, cwd=cwd)


def test_db_upload_stores_one_product_per_telescope(run_cli, throughput_file, tmp_path):
    up, again, query = (tmp_path / d for d in ("up", "again", "query"))
    for d in (up, again, query):
        d.mkdir()
    result = upload(run_cli, up, "--file", throughput_file, "--recorded-at", "2026-01-16")
    assert result.code == 0, result.err
    assert "telescope 3 has no result row (no rings passing cuts)" in result.err
    receipt = json.loads((up / "upload-receipt.json").read_text())
    assert [(p["target"], p["version"], p["created"]) for p in receipt["products"]] == [
        ("tel_001", 1, True),
        ("tel_002", 1, True),
    ]
    assert receipt["products"][0]["valid_from"] == "2026-01-15T21:00:00Z"
    assert receipt["products"][0]["valid_to"] == "2026-01-15T21:50:01Z"
    assert receipt["skipped"] == [{"tel_id": 3, "reason": "no rings passing cuts"}]

    # re-uploading the same table is a no-op for every telescope
    db = up / "calibration.sqlite"
    result = upload(run_cli, again, "--file", throughput_file, "--database", db)
    assert result.code == 0, result.err
    receipt_again = json.loads((again / "upload-receipt.json").read_text())
    assert [p["id"] for p in receipt_again["products"]] == [p["id"] for p in receipt["products"]]
    assert not any(p["created"] for p in receipt_again["products"])

    # "what was the throughput of telescope 1 at 21:40 UTC": its rows, nothing else
    result = run_cli(
        "db-query", "--database", db, "--kind", "muon-throughput", "--target", "tel_1",
        "--at", "2026-01-15T21:40:00Z", *QUIET, cwd=query,
    )  # fmt: skip
    assert result.code == 0, result.err
    rows = Table.read(query / "calibration-product" / "muon_throughput.ecsv")
    assert list(rows["tel_id"]) == [1, 1] and list(rows["chunk"]) == [0, 1]
    described = json.loads((query / "query-result.json").read_text())
    assert described["id"] == receipt["products"][0]["id"]


def test_db_upload_of_one_telescope(run_cli, throughput_file, tmp_path):
    result = upload(run_cli, tmp_path, "--file", throughput_file, "--target", "tel_002")
    assert result.code == 0, result.err
    receipt = json.loads((tmp_path / "upload-receipt.json").read_text())
    assert [p["target"] for p in receipt["products"]] == ["tel_002"]


@pytest.mark.parametrize(
    ("target", "fragment"),
    [
        ("tel_003", "telescope 3 has no result row (no rings passing cuts): nothing to upload"),
        ("tel_009", "has no rows of telescope 9"),
    ],
)
def test_db_upload_of_a_telescope_without_result_exits_3(
    run_cli, throughput_file, tmp_path, target, fragment
):
    out = tmp_path / "out"
    out.mkdir()
    result = upload(run_cli, out, "--file", throughput_file, "--target", target)
    assert result.code == 3, result.err
    lines = error_lines(result.err)
    assert len(lines) == 1 and fragment in lines[0] and "muon_throughput.ecsv" in lines[0]
    assert list(out.iterdir()) == []


def test_receipt_name(run_cli, throughput_file, tmp_path):
    result = upload(run_cli, tmp_path, "--file", throughput_file, "--receipt", "tp.json")
    assert result.code == 0, result.err
    assert (tmp_path / "tp.json").exists() and not (tmp_path / "upload-receipt.json").exists()
    result = upload(run_cli, tmp_path, "--file", throughput_file, "--receipt", "../x.json")
    assert result.code == 2 and "must be a file name without directory" in result.err
