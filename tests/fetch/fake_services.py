"""Local stand-ins for the Copernicus CDS, NCAR GDEX and the Scripps CO2 web site.

One threaded ``http.server`` on 127.0.0.1 serves three services under path prefixes:

``/cds/api``
    the CDS API that ``cdsapi`` >= 0.7 (through ``ecmwf-datastores-client``) speaks:
    ``GET catalogue/v1/messages``, ``GET retrieve/v1/processes/<dataset>``,
    ``POST retrieve/v1/processes/<dataset>/execution`` (``{"inputs": request}``,
    ``PRIVATE-TOKEN`` header) -> 201 with a ``monitor`` link,
    ``GET retrieve/v1/jobs/<id>`` -> status, ``GET retrieve/v1/jobs/<id>/results`` ->
    ``asset.value.href``/``file:size``, then the file (``HEAD`` and ``GET``);
``/gdex/api``
    GDEX: ``POST submit/?token=``, ``GET status/<id>``, ``GET get_req_files/<id>``,
    ``GET`` of the listed ``web_path``, ``DELETE purge/<id>``;
``/scripps/...monthly_in_situ_co2_mlo.csv``
    the CO2 record (``tests/data/scripps_monthly_in_situ_co2_mlo.csv``).

The files are made from the request, with ecCodes / netCDF4, from the US Standard
Atmosphere 1976: one GRIB message per (time, variable, level) on the requested grid
box, so a test can read the download back and compare it with what it asked for.
Job and request ids carry the request itself (compressed, base64url): the server
keeps no state that a second server process could not rebuild, so several of them
may listen on the same port (``SO_REUSEPORT``, used by the CWL engine test under
pytest-xdist).

Failure injection (tests): ``server.fail[route] = [503, 503]`` answers the next two
calls of ``route`` with HTTP 503 before serving normally; ``"drop"`` closes the
connection without an answer, ``"malformed"`` answers 200 with a body that is not
JSON, ``"garbage"`` serves a download that is not the expected format. Routes:
``cds.process cds.execute cds.job cds.results cds.download gdex.submit gdex.status
gdex.files gdex.download gdex.purge co2``. ``server.cds_states`` / ``server.gdex_states``
list job states to report before success (e.g. ``["running"]`` or ``["failed"]``);
``server.gdex_tar = True`` delivers the GDEX files in one tar archive.
"""

import base64
import datetime
import functools
import json
import math
import re
import socket
import tempfile
import threading
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import numpy as np

DATA = Path(__file__).resolve().parents[1] / "data"
CO2_FILE = DATA / "scripps_monthly_in_situ_co2_mlo.csv"
CO2_PATH = (
    "/scripps/assets/data/atmospheric/stations/in_situ_co2/monthly/monthly_in_situ_co2_mlo.csv"
)
CDS_KEY = "00000000-1111-2222-3333-444444444444"
GDEX_TOKEN = "fake0gdex0token0for0tests"
G0 = 9.80665

#: ERA5 (ECMWF parameter ids) and GDAS (GRIB2 short names) variables
ERA5_PARAMS = {"geopotential": "z", "temperature": "t", "relative_humidity": "r"}
GDAS_PARAMS = {"HGT": "gh", "TMP": "t", "R H": "r"}


def encode_id(payload):
    raw = zlib.compress(json.dumps(payload, sort_keys=True).encode(), 9)
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_id(text):
    raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    return json.loads(zlib.decompress(raw))


# --- content ------------------------------------------------------------------------------


def standard_atmosphere_at_pressure(pressure_hpa):
    """Geopotential [m2/s2] and temperature [K] of the US Standard Atmosphere 1976 at p."""
    from calibpipe_tasks.atmosphere.standard_atmosphere import (
        geopotential_altitude,
        us_standard_atmosphere,
    )

    z = np.linspace(-500.0, 80000.0, 20000)
    temperature, pressure, _ = us_standard_atmosphere(z)
    p = np.asarray(pressure_hpa, dtype=float) * 100.0
    # pressure decreases with altitude: interpolate in log p on the reversed arrays
    zp = np.interp(np.log(p), np.log(pressure[::-1]), z[::-1])
    t = np.interp(zp, z, temperature)
    return G0 * geopotential_altitude(zp), t


def grid(area, step):
    north, west, south, east = (float(a) for a in area)
    lats = np.round(np.arange(north, south - step / 2, -step), 6)
    lons = np.round(np.arange(west, east + step / 2, step), 6)
    return lats, lons


def field(short_name, pressure_hpa, lats, lons):
    """A smooth, physical field on the grid (values depend a little on position)."""
    phi, temp = standard_atmosphere_at_pressure([pressure_hpa])
    lat2, lon2 = np.meshgrid(lats, lons, indexing="ij")
    ripple = 0.01 * np.cos(np.radians(lat2)) + 0.001 * np.sin(np.radians(lon2))
    if short_name == "z":
        return phi[0] * (1 + ripple)
    if short_name == "gh":
        return phi[0] / G0 * (1 + ripple)
    if short_name == "t":
        return temp[0] * (1 + ripple)
    return np.clip(60.0 - 0.05 * (1000.0 - pressure_hpa) + 100 * ripple, 1.0, 100.0)


def grib_bytes(times, variables, levels, area, step, edition):
    """GRIB messages (edition 1 like ERA5 pressure levels, 2 like GDAS) for a request."""
    import eccodes

    lats, lons = grid(area, step)
    out = bytearray()
    for t in times:
        for short_name in variables:
            for level in levels:
                gid = eccodes.codes_grib_new_from_samples(f"regular_ll_pl_grib{edition}")
                try:
                    if edition == 1:
                        eccodes.codes_set(gid, "centre", "ecmf")
                        eccodes.codes_set(gid, "table2Version", 128)
                    eccodes.codes_set(gid, "shortName", short_name)
                    eccodes.codes_set(gid, "typeOfLevel", "isobaricInhPa")
                    eccodes.codes_set(gid, "level", int(level))
                    eccodes.codes_set(gid, "dataDate", int(t.strftime("%Y%m%d")))
                    eccodes.codes_set(gid, "dataTime", int(t.strftime("%H%M")))
                    eccodes.codes_set(gid, "Ni", len(lons))
                    eccodes.codes_set(gid, "Nj", len(lats))
                    eccodes.codes_set(gid, "latitudeOfFirstGridPointInDegrees", float(lats[0]))
                    eccodes.codes_set(gid, "longitudeOfFirstGridPointInDegrees", float(lons[0]))
                    eccodes.codes_set(gid, "latitudeOfLastGridPointInDegrees", float(lats[-1]))
                    eccodes.codes_set(gid, "longitudeOfLastGridPointInDegrees", float(lons[-1]))
                    eccodes.codes_set(gid, "iDirectionIncrementInDegrees", step)
                    eccodes.codes_set(gid, "jDirectionIncrementInDegrees", step)
                    values = field(short_name, float(level), lats, lons)
                    eccodes.codes_set_values(gid, values.ravel())
                    out += eccodes.codes_get_message(gid)
                finally:
                    eccodes.codes_release(gid)
    return bytes(out)


def netcdf_bytes(times, levels, area, step):
    """An ERA5 netCDF4 file in the layout of the CDS since 2024 (valid_time, pressure_level)."""
    import netCDF4

    lats, lons = grid(area, step)
    epoch = datetime.datetime(1970, 1, 1)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "era5.nc"
        with netCDF4.Dataset(path, "w", format="NETCDF4") as ds:
            ds.Conventions = "CF-1.7"
            ds.createDimension("valid_time", len(times))
            ds.createDimension("pressure_level", len(levels))
            ds.createDimension("latitude", len(lats))
            ds.createDimension("longitude", len(lons))
            vt = ds.createVariable("valid_time", "i8", ("valid_time",))
            vt.units = "seconds since 1970-01-01"
            vt[:] = [int((t - epoch).total_seconds()) for t in times]
            pl = ds.createVariable("pressure_level", "f8", ("pressure_level",))
            pl.units = "hPa"
            pl[:] = levels
            la = ds.createVariable("latitude", "f8", ("latitude",))
            la.units = "degrees_north"
            la[:] = lats
            lo = ds.createVariable("longitude", "f8", ("longitude",))
            lo.units = "degrees_east"
            lo[:] = lons
            dims = ("valid_time", "pressure_level", "latitude", "longitude")
            for name, unit in (("z", "m**2 s**-2"), ("t", "K"), ("r", "%")):
                var = ds.createVariable(name, "f4", dims)
                var.units = unit
                one = np.stack([field(name, float(p), lats, lons) for p in levels])
                var[:] = np.broadcast_to(one, (len(times), *one.shape))
        return path.read_bytes()


def era5_times(request):
    times = []
    for y in request["year"]:
        for m in request["month"]:
            for d in request["day"]:
                for hhmm in request["time"]:
                    try:
                        times.append(
                            datetime.datetime(int(y), int(m), int(d), int(hhmm[:2]), int(hhmm[3:5]))
                        )
                    except ValueError:
                        pass  # e.g. 31 February: the CDS skips impossible dates
    return sorted(times)


def era5_file(request):
    times = era5_times(request)
    levels = [int(p) for p in request["pressure_level"]]
    if request["data_format"] == "netcdf":
        return netcdf_bytes(times, levels, request["area"], 0.25)
    variables = [ERA5_PARAMS[v] for v in request["variable"]]
    return grib_bytes(times, variables, levels, request["area"], 0.25, edition=1)


def gdas_times(request):
    first, _, last = request["date"].partition("/to/")
    t = datetime.datetime.strptime(first, "%Y%m%d%H%M")
    end = datetime.datetime.strptime(last, "%Y%m%d%H%M")
    times = []
    while t <= end:
        times.append(t)
        t += datetime.timedelta(hours=6)
    return times


def gdas_file(request, time):
    levels = [int(p) for p in request["level"].removeprefix("ISBL:").split("/")]
    variables = [GDAS_PARAMS[p] for p in request["param"].split("/")]
    area = [request["nlat"], request["wlon"], request["slat"], request["elon"]]
    return grib_bytes([time], variables, levels, area, 1.0, edition=2)


def gdas_tar(request):
    """The request's per-time GRIB2 files in one tar archive (members in reverse time order)."""
    import io
    import tarfile

    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        for t in reversed(gdas_times(request)):
            data = gdas_file(request, t)
            info = tarfile.TarInfo(f"gdas1.fnl0p25.{t:%Y%m%d%H}.f00.grib2.subset")
            info.size, info.mtime = len(data), 0
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


# --- server -------------------------------------------------------------------------------


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):  # keep pytest output clean
        pass

    # helpers
    def _reply(self, code, body=b"", content_type="application/json", head=False, extra=None):
        if isinstance(body, dict | list):
            body = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if not head:
            self.wfile.write(body)

    def _record(self, route, body):
        parts = urlsplit(self.path)
        self.server.calls.append(
            {
                "route": route,
                "method": self.command,
                "path": parts.path,
                "query": {k: v[0] for k, v in parse_qs(parts.query).items()},
                "headers": dict(self.headers),
                "json": body,
            }
        )

    def _injected(self, route):
        """Serve an injected failure for ``route``; True if one was served."""
        plan = self.server.fail.get(route)
        if not plan:
            return False
        what = plan.pop(0)
        if what == "drop":
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return True
        if what == "malformed":
            self._reply(200, b"<html>this is not JSON</html>", "text/html")
            return True
        if what == "garbage":
            self._reply(200, b"<html>Service notice: maintenance</html>", "text/html")
            return True
        if isinstance(what, int):
            self._reply(what, {"title": f"injected HTTP {what}", "messages": ["injected"]})
            return True
        raise ValueError(what)

    def _read_json(self):
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            return json.loads(raw) if raw else None
        except ValueError:
            return raw.decode(errors="replace")

    def do_GET(self):
        self._dispatch(head=False)

    def do_HEAD(self):
        self._dispatch(head=True)

    def do_POST(self):
        self._dispatch(head=False)

    def do_DELETE(self):
        self._dispatch(head=False)

    def _dispatch(self, head):
        body = self._read_json() if self.command in ("POST", "DELETE") else None
        path = urlsplit(self.path).path
        for prefix, handler in (
            ("/cds/api/", self._cds),
            ("/cds/download/", self._cds_download),
            ("/gdex/api/", self._gdex),
            ("/gdex/dsrqst/", self._gdex_download),
        ):
            if path.startswith(prefix):
                return handler(path.removeprefix(prefix), body, head)
        if path == CO2_PATH:
            self._record("co2", None)
            if not self._injected("co2"):
                self._reply(200, CO2_FILE.read_bytes(), "text/csv", head=head)
            return None
        return self._reply(404, {"title": "not found"}, head=head)

    # --- CDS ---
    def _cds_base(self):
        host = self.headers.get("Host")
        return f"http://{host}/cds/api"

    def _cds_authorised(self):
        if self.headers.get("PRIVATE-TOKEN") == self.server.cds_key:
            return True
        self._reply(
            401,
            {
                "type": "authentication failed",
                "title": "Authentication failed",
                "detail": "The authentication token is invalid.",
            },
        )
        return False

    def _cds(self, rest, body, head):
        base = self._cds_base()
        if rest == "catalogue/v1/messages":
            return self._reply(200, {"messages": []}, head=head)
        m = re.fullmatch(r"retrieve/v1/processes/([^/]+)(/execution)?", rest)
        if m and not m.group(2):
            self._record("cds.process", None)
            if self._injected("cds.process"):
                return None
            if m.group(1) != "reanalysis-era5-pressure-levels":
                return self._reply(404, {"title": "Process not found", "detail": m.group(1)})
            return self._reply(200, {"id": m.group(1), "title": "ERA5 pressure levels"})
        if m and self.command == "POST":
            self._record("cds.execute", body)
            if self._injected("cds.execute") or not self._cds_authorised():
                return None
            if m.group(1) != "reanalysis-era5-pressure-levels":
                return self._reply(404, {"title": "Process not found", "detail": m.group(1)})
            request = (body or {}).get("inputs") if isinstance(body, dict) else None
            problem = check_era5_request(request)
            if problem:
                return self._reply(
                    400,
                    {
                        "type": "invalid request",
                        "title": "Invalid request",
                        "status": 400,
                        "detail": problem,
                    },
                )
            job = encode_id({"dataset": m.group(1), "request": request})
            return self._reply(
                201,
                {
                    "processID": m.group(1),
                    "jobID": job,
                    "status": "accepted",
                    "links": [{"rel": "monitor", "href": f"{base}/retrieve/v1/jobs/{job}"}],
                },
            )
        m = re.fullmatch(r"retrieve/v1/jobs/([^/]+)(/results)?", rest)
        if m:
            job = m.group(1)
            route = "cds.results" if m.group(2) else "cds.job"
            self._record(route, None)
            if self._injected(route) or not self._cds_authorised():
                return None
            payload = decode_id(job)
            if not m.group(2):
                state = self.server.cds_states[0] if self.server.cds_states else "successful"
                if self.server.cds_states and "log" in urlsplit(self.path).query:
                    self.server.cds_states.pop(0)
                return self._reply(
                    200,
                    {
                        "processID": payload["dataset"],
                        "jobID": job,
                        "status": state,
                        "metadata": {"log": []},
                        "links": [{"rel": "self", "href": f"{base}/retrieve/v1/jobs/{job}"}],
                    },
                )
            if self.server.cds_failed:
                return self._reply(
                    400,
                    {"title": "The job has failed.", "traceback": "MARS returned no data"},
                )
            data = self.server.content(("era5", job), lambda: era5_file(payload["request"]))
            fmt = payload["request"]["data_format"]
            suffix, mime = (
                ("grib", "application/x-grib") if fmt == "grib" else ("nc", "application/netcdf")
            )
            return self._reply(
                200,
                {
                    "asset": {
                        "value": {
                            "type": mime,
                            "href": f"/cds/download/{job}.{suffix}",
                            "file:size": len(data),
                        }
                    }
                },
            )
        return self._reply(404, {"title": "not found", "detail": rest}, head=head)

    def _cds_download(self, rest, body, head):
        if not head:
            self._record("cds.download", None)
            if self._injected("cds.download"):
                return None
        job = rest.rsplit(".", 1)[0]
        payload = decode_id(job)
        data = self.server.content(("era5", job), lambda: era5_file(payload["request"]))
        return self._reply(200, data, "application/octet-stream", head=head)

    # --- GDEX ---
    def _gdex_authorised(self):
        token = parse_qs(urlsplit(self.path).query).get("token", [None])[0]
        if token == self.server.gdex_token:
            return True
        self._reply(401, {"status": "error", "messages": ["Invalid or expired token"], "data": {}})
        return False

    def _gdex(self, rest, body, head):
        now = {"request_start": "2026-01-01T00:00:00", "request_end": "2026-01-01T00:00:01"}
        if rest == "submit/" and self.command == "POST":
            self._record("gdex.submit", body)
            if self._injected("gdex.submit") or not self._gdex_authorised():
                return None
            problem = check_gdex_request(body)
            if problem:
                return self._reply(
                    200,
                    {"status": "error", "http_response": 400, "error_messages": [problem], **now},
                )
            rid = encode_id(body)
            return self._reply(200, {"status": "ok", "data": {"request_id": rid}, **now})
        m = re.fullmatch(r"(status|get_req_files|purge)/([^/]+)", rest)
        if m:
            route = {"status": "gdex.status", "get_req_files": "gdex.files", "purge": "gdex.purge"}
            route = route[m.group(1)]
            self._record(route, body)
            if self._injected(route) or not self._gdex_authorised():
                return None
            rid = m.group(2)
            request = decode_id(rid)
            if route == "gdex.status":
                state = self.server.gdex_states.pop(0) if self.server.gdex_states else "Completed"
                return self._reply(
                    200,
                    {"status": "ok", "data": {"status": state, "request_index": rid}, **now},
                )
            if route == "gdex.purge":
                return self._reply(200, {"status": "ok", "data": {"purge_successful": "true"}})
            host = self.headers.get("Host")
            files = []
            if self.server.gdex_tar:  # one tar archive holding the per-time files
                name = "subset.tar"
                size = len(self.server.content(("gdas", rid, name), lambda: gdas_tar(request)))
                files.append(
                    {
                        "web_path": f"http://{host}/gdex/dsrqst/{rid}/{name}",
                        "wfile": name,
                        "size": size,
                    }
                )
            for t in [] if self.server.gdex_tar else gdas_times(request):
                name = f"gdas1.fnl0p25.{t:%Y%m%d%H}.f00.grib2.subset"
                size = len(
                    self.server.content(("gdas", rid, name), lambda t=t: gdas_file(request, t))
                )
                files.append(
                    {
                        "web_path": f"http://{host}/gdex/dsrqst/{rid}/{name}",
                        "wfile": name,
                        "size": size,
                    }
                )
            files.reverse()  # listing order is not time order: the client must sort
            return self._reply(
                200, {"status": "ok", "data": {"total_size": 0, "web_files": files}, **now}
            )
        return self._reply(404, {"status": "error", "messages": ["not found"]}, head=head)

    def _gdex_download(self, rest, body, head):
        rid, _, name = rest.partition("/")
        if not head:
            self._record("gdex.download", None)
            if self._injected("gdex.download"):
                return None
        if not self._gdex_authorised():
            return None
        request = decode_id(rid)
        if name == "subset.tar":
            data = self.server.content(("gdas", rid, name), lambda: gdas_tar(request))
            return self._reply(200, data, "application/x-tar", head=head)
        stamp = re.search(r"\.(\d{10})\.", name).group(1)
        t = datetime.datetime.strptime(stamp, "%Y%m%d%H")
        data = self.server.content(("gdas", rid, name), lambda: gdas_file(request, t))
        return self._reply(200, data, "application/octet-stream", head=head)


#: the 37 pressure levels of ERA5 as the CDS form of reanalysis-era5-pressure-levels
#: spells them (strings, hPa)
ERA5_LEVELS = ("1", "2", "3", "5", "7", "10", "20", "30", "50", "70", "100", "125", "150",
               "175", "200", "225", "250", "300", "350", "400", "450", "500", "550", "600",
               "650", "700", "750", "775", "800", "825", "850", "875", "900", "925", "950",
               "975", "1000")  # fmt: skip
#: product types of reanalysis-era5-pressure-levels
ERA5_PRODUCT_TYPES = ("reanalysis", "ensemble_members", "ensemble_mean", "ensemble_spread")
ERA5_KEYS = {"product_type", "variable", "pressure_level", "year", "month", "day", "time",
             "area", "data_format", "download_format", "grid"}  # fmt: skip
#: the 26 isobaric levels of the ds083.2 GRIB2 analyses [hPa]
GDAS_LEVELS = ("1000", "975", "950", "925", "900", "850", "800", "750", "700", "650", "600",
               "550", "500", "450", "400", "350", "300", "250", "200", "150", "100", "70",
               "50", "30", "20", "10")  # fmt: skip
#: keys of a GDEX subset control dictionary (NCAR rda-apps-clients / gdex_api_client,
#: templates/control_file_template): dataset, date, param required, the others optional
GDEX_REQUIRED = ("dataset", "date", "param")
GDEX_KEYS = {"dataset", "date", "datetype", "param", "level", "oformat", "nlat", "slat", "wlon",
             "elon", "product", "gridproj", "griddef", "groupindex", "compression",
             "targetdir"}  # fmt: skip


def _as_list(value):
    return value if isinstance(value, list) else [value]


def _number(value):
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def check_era5_request(request):
    """What the CDS would refuse in an ERA5 pressure-level request (None if acceptable).

    The constraints of the CDS form of ``reanalysis-era5-pressure-levels``: product type,
    variable names, the 37 level values as the form spells them, 4-digit years from
    1940, 2-digit months and days, hourly times ``HH:00``, the area ``[N, W, S, E]`` with
    -90 <= S <= N <= 90 and longitudes in -180..180, data format grib or netcdf.
    """
    if not isinstance(request, dict):
        return "no inputs"
    unknown_keys = set(request) - ERA5_KEYS
    if unknown_keys:
        return f"unknown request keys {sorted(unknown_keys)}"
    needed = ("product_type", "variable", "pressure_level", "year", "month", "day", "time")
    missing = [k for k in needed if not request.get(k)]
    if missing:
        return f"missing {', '.join(missing)}"
    bad = [v for v in _as_list(request["product_type"]) if v not in ERA5_PRODUCT_TYPES]
    if bad:
        return f"invalid product_type {bad}: one of {list(ERA5_PRODUCT_TYPES)}"
    unknown = {str(v) for v in _as_list(request["variable"])} - set(ERA5_PARAMS)
    if unknown:
        return f"unknown variable {sorted(unknown)}"
    levels = [str(v) for v in _as_list(request["pressure_level"])]
    bad = [v for v in levels if v not in ERA5_LEVELS]
    if bad:
        return f"invalid pressure_level {bad}: ERA5 has {', '.join(ERA5_LEVELS)} hPa"
    checks = (
        ("year", r"(19[4-9]\d|20\d\d)"),
        ("month", r"(0[1-9]|1[0-2])"),
        ("day", r"(0[1-9]|[12]\d|3[01])"),
        ("time", r"([01]\d|2[0-3]):00"),
    )
    for key, pattern in checks:
        bad = [v for v in _as_list(request[key]) if not re.fullmatch(pattern, str(v))]
        if bad:
            return f"invalid {key} {bad}"
    if request.get("data_format") not in ("grib", "netcdf"):
        return "data_format must be grib or netcdf"
    if request.get("download_format", "unarchived") not in ("unarchived", "zip"):
        return "download_format must be unarchived or zip"
    area = request.get("area")
    if not (isinstance(area, list) and len(area) == 4 and all(_number(a) for a in area)):
        return "area must be [north, west, south, east] in degrees"
    north, west, south, east = area
    if not -90 <= south <= north <= 90:
        return f"area {area}: latitudes must satisfy -90 <= south <= north <= 90"
    if not (-180 <= west <= 180 and -180 <= east <= 180):
        return f"area {area}: longitudes must lie in -180..180"
    return None


def check_gdex_request(request):
    """What GDEX would refuse in a ds083.2 subset request (None if acceptable).

    The keys of GDEX's control-file template (dataset, date, param required; level,
    nlat/slat in -90..90, wlon/elon in -180..180 optional), ds083.2's parameters and
    its 26 isobaric levels.
    """
    if not isinstance(request, dict):
        return "request body is not a JSON control dictionary"
    for key in GDEX_REQUIRED:
        if key not in request:
            return f"missing {key}"
    unknown_keys = set(request) - GDEX_KEYS
    if unknown_keys:
        return f"unknown control keys {sorted(unknown_keys)}"
    if request["dataset"] not in ("d083002", "ds083.2"):
        return f"dataset {request['dataset']} has no subsetting here"
    m = re.fullmatch(r"(\d{12})/to/(\d{12})", str(request["date"]))
    if not m:
        return "date must be YYYYMMDDHHMM/to/YYYYMMDDHHMM"
    try:
        start, end = (datetime.datetime.strptime(g, "%Y%m%d%H%M") for g in m.groups())
    except ValueError:
        return f"date {request['date']} is not a valid date range"
    if start > end:
        return f"date {request['date']}: start after end"
    if set(str(request["param"]).split("/")) - set(GDAS_PARAMS):
        return f"unknown param in {request['param']}"
    if "level" in request:
        kind, _, values = str(request["level"]).partition(":")
        if kind != "ISBL" or not values:
            return f"level {request['level']}: ds083.2 levels are ISBL:<hPa>/<hPa>/..."
        bad = [v for v in values.split("/") if v not in GDAS_LEVELS]
        if bad:
            return f"level {bad} not among the isobaric levels of ds083.2"
    box = [request.get(k) for k in ("nlat", "slat", "wlon", "elon")]
    if any(v is not None for v in box):
        if not all(_number(v) for v in box):
            return "nlat, slat, wlon, elon must all be given, as numbers"
        nlat, slat, wlon, elon = box
        if not -90 <= slat <= nlat <= 90:
            return "nlat and slat must satisfy -90 <= slat <= nlat <= 90"
        if not (-180 <= wlon <= 180 and -180 <= elon <= 180):
            return "wlon and elon must lie in -180..180"
    return None


class FakeServices(ThreadingHTTPServer):
    """The three fake services on one port; see the module docstring."""

    daemon_threads = True

    def __init__(self, port=0, reuse_port=False):
        self.allow_reuse_port = reuse_port
        self.fail = {}
        self.calls = []
        self.cds_states = []
        self.cds_failed = False
        self.gdex_states = []
        self.gdex_tar = False
        self.cds_key = CDS_KEY
        self.gdex_token = GDEX_TOKEN
        self._content = {}
        self._lock = threading.Lock()
        self.server_errors = []
        super().__init__(("127.0.0.1", port), Handler)
        self.thread = None

    def server_bind(self):
        if self.allow_reuse_port:
            self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        super().server_bind()

    def handle_error(self, request, client_address):
        """Stay quiet when a client drops a connection (the retry tests do so on purpose):
        socketserver's default prints a traceback to stderr, which the tests read."""
        self.server_errors.append(client_address)

    def content(self, key, make):
        with self._lock:
            if key not in self._content:
                self._content[key] = make()
            return self._content[key]

    @property
    def url(self):
        return f"http://127.0.0.1:{self.server_address[1]}"

    def start(self):
        self.thread = threading.Thread(target=self.serve_forever, daemon=True)
        self.thread.start()
        return self

    def stop(self):
        self.shutdown()
        self.server_close()

    def calls_to(self, route):
        return [c for c in self.calls if c["route"] == route]


@functools.cache
def free_port():
    """A port on 127.0.0.1 nobody listens on (for 'connection refused')."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
