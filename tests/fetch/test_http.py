"""Retrying downloads: progress of long transfers, broken transfers, back-off, redaction."""

import logging
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from calibpipe_tasks.errors import InputDataError, TemporaryFailure
from calibpipe_tasks.fetch.http import RetryPolicy, check_grib, check_netcdf, download, redact

BIG = b"GRIB" + bytes(6 * (1 << 20)) + b"7777"


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    hits = []

    def log_message(self, *args):
        pass

    def do_GET(self):
        Handler.hits.append(self.path)
        if self.path == "/big":
            body = BIG
        elif self.path == "/short":  # announces 100 bytes, sends 50, closes
            self.send_response(200)
            self.send_header("Content-Length", "100")
            self.end_headers()
            self.wfile.write(b"GRIB" + bytes(46))
            self.close_connection = True
            return
        else:
            body = b"not found"
            self.send_response(404)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture(scope="module")
def server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def test_long_download_reports_progress_and_is_checked(server, tmp_path, caplog):
    target = tmp_path / "x.grib"
    with caplog.at_level(logging.INFO):
        size = download(
            requests.Session(), f"{server}/big", target, RetryPolicy(0, 0, 10), "test: big",
            check=lambda p: check_grib(p, "src"),
        )  # fmt: skip
    assert size == len(BIG) and target.read_bytes() == BIG
    assert any("test: big (MiB): 7/7" in r.getMessage() for r in caplog.records)


def test_broken_transfer_is_retried_then_temporary_failure(server, tmp_path):
    Handler.hits.clear()
    with pytest.raises(TemporaryFailure, match="after 3 attempts"):
        download(
            requests.Session(), f"{server}/short", tmp_path / "x", RetryPolicy(2, 0.001, 10), "t"
        )
    assert Handler.hits == ["/short"] * 3


def test_exponential_back_off_is_capped():
    policy = RetryPolicy(max_retries=12, retry_wait=10.0)
    assert [policy.wait(k) for k in range(4)] == [10.0, 20.0, 40.0, 80.0]
    assert policy.wait(11) == 600.0


def test_tokens_are_redacted():
    text = "Max retries exceeded with url: /api/submit/?token=SECRET123&x=1 (Caused by ...)"
    assert "SECRET123" not in redact(text) and "token=***" in redact(text)


@pytest.mark.parametrize(
    ("content", "checker", "problem"),
    [
        (b"", check_grib, "empty file"),
        (b"<html>maintenance</html>", check_grib, "not GRIB"),
        (b"GRIB\x00\x00\x00\x00truncated", check_grib, "truncated"),
        (b"PK\x03\x04zipzipzip", check_netcdf, "zip archive"),
        (b"GRIB....7777", check_netcdf, "not netCDF"),
    ],
)
def test_content_checks(tmp_path, content, checker, problem):
    path = tmp_path / "f"
    path.write_bytes(content)
    with pytest.raises(InputDataError, match=problem) as err:
        checker(path, "https://service.example/data")
    assert err.value.path == "https://service.example/data"


def test_content_checks_accept_netcdf3_and_4(tmp_path):
    for magic in (b"CDF\x01", b"CDF\x02", b"\x89HDF\r\n\x1a\n"):
        path = tmp_path / "f.nc"
        path.write_bytes(magic + bytes(32))
        check_netcdf(path, "src")
