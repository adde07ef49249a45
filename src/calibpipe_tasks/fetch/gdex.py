"""GDAS analyses (NCAR dataset ds083.2, ``d083002``) from NCAR's GDEX (formerly RDA).

GDEX's REST API (https://gdex.ucar.edu/api/, documented with NCAR's
``gdex-api-client``/``rda-apps-clients``) takes the user's token as the query
parameter ``token`` and answers JSON envelopes ``{"status", "messages",
"data"|"result": ...}``:

* ``POST submit/`` with the control dictionary (:func:`gdex_request`) as JSON body
  -> ``{"request_id": ...}``;
* ``GET status/<id>`` -> ``{"status": "Completed" | "Queued for processing" | ... |
  "Error"}``;
* ``GET get_req_files/<id>`` -> ``{"web_files": [{"web_path", "wfile", "size"}]}``;
* the files are then fetched from their ``web_path``; ``DELETE purge/<id>`` frees
  the request slot (a user may hold only a few open requests).

The subset of a 6-hourly GRIB2 analysis per time comes back as GRIB2 files (possibly
in a tar archive); they are concatenated, in time order, into one GRIB2 file.
"""

import logging
import tarfile
import time
from pathlib import Path

from ..errors import InputDataError, TemporaryFailure, UsageError

log = logging.getLogger(__name__)

DATASET = "d083002"
DEFAULT_URL = "https://gdex.ucar.edu/api"
#: GDEX parameter names of geopotential height, temperature and relative humidity
PARAMETERS = ("HGT", "TMP", "R H")
#: isobaric levels of the ds083.2 GRIB2 analyses [hPa] (1000 ... 10)
PRESSURE_LEVELS_HPA = (
    1000, 975, 950, 925, 900, 850, 800, 750, 700, 650, 600, 550, 500, 450, 400, 350, 300,
    250, 200, 150, 100, 70, 50, 30, 20, 10,
)  # fmt: skip
GRID_DEG = 1.0
STEP_HOURS = 6
OUTPUT = "gdas.grib2"
#: longest wait between two status polls [s]
POLL_MAX = 600.0


def gdex_request(times, area):
    """The GDEX subset request (control dictionary) for ds083.2 HGT/TMP/RH at ``times``.

    Parameters
    ----------
    times : sequence of datetime.datetime
        6-hourly UTC analysis times (the request covers the first to the last).
    area : list of float
        ``[north, west, south, east]`` in degrees.

    Returns
    -------
    dict
        Keys as in GDEX's control-file template for d083002: ``dataset``, ``date``
        (``YYYYMMDDHHMM/to/YYYYMMDDHHMM``), ``param``, ``level`` (``ISBL:...``),
        ``nlat``, ``slat``, ``wlon``, ``elon``. No ``oformat``: the native GRIB2.
    """
    if not times:
        raise UsageError("no times to request")
    bad = [t for t in times if t.hour % STEP_HOURS or t.minute or t.second]
    if bad:
        raise UsageError(f"GDAS analyses are 6-hourly; {bad[0]:%Y-%m-%d %H:%M} is not")
    north, west, south, east = area
    first, last = min(times), max(times)
    return {
        "dataset": DATASET,
        "date": f"{first:%Y%m%d%H%M}/to/{last:%Y%m%d%H%M}",
        "param": "/".join(PARAMETERS),
        "level": "ISBL:" + "/".join(str(p) for p in PRESSURE_LEVELS_HPA),
        "nlat": north,
        "slat": south,
        "wlon": west,
        "elon": east,
    }


def read_token(path):
    """The GDEX API token: the first non-empty line of ``path``.

    Raises
    ------
    InputDataError
        If the file cannot be read or holds no token.
    """
    try:
        with open(path, encoding="utf-8") as f:
            lines = [line.strip() for line in f.read().splitlines() if line.strip()]
    except (OSError, UnicodeDecodeError) as err:
        raise InputDataError(path, f"cannot read the GDEX token ({err})") from None
    if not lines:
        raise InputDataError(path, "the GDEX token file is empty")
    token = lines[0]
    if any(c.isspace() for c in token) or len(token) < 8:
        raise InputDataError(path, "does not look like a GDEX API token (one word expected)")
    return token


def _payload(body, where, what):
    """The ``data`` (or, in older replies, ``result``) member of a GDEX reply envelope."""
    problems = body.get("error_messages") or (
        body.get("messages") if str(body.get("status", "")).lower() == "error" else None
    )
    if problems:
        text = problems if isinstance(problems, str) else "; ".join(map(str, problems))
        raise InputDataError(where, f"GDEX refused the {what}: {' '.join(text.split())[:300]}")
    payload = body.get("data", body.get("result"))
    if not isinstance(payload, dict | list):
        raise InputDataError(where, f"malformed GDEX reply to the {what} (no data)")
    return payload


def _concatenate_grib(part, target, source):
    """Append the GRIB content of ``part`` (GRIB, or a tar of GRIB files) to ``target``."""
    from .http import check_grib

    if tarfile.is_tarfile(part):
        with tarfile.open(part) as tar:
            members = sorted((m for m in tar.getmembers() if m.isfile()), key=lambda m: m.name)
            if not members:
                raise InputDataError(source, "the delivered tar archive is empty")
            for member in members:
                data = tar.extractfile(member).read()
                if not (data.startswith(b"GRIB") and data.endswith(b"7777")):
                    raise InputDataError(source, f"{member.name} in the archive is not GRIB")
                with open(target, "ab") as out:
                    out.write(data)
        return
    check_grib(part, source)
    with open(part, "rb") as src, open(target, "ab") as out:
        while chunk := src.read(1 << 20):
            out.write(chunk)


def retrieve(
    request,
    target,
    url,
    token,
    policy,
    credentials,
    poll_interval,
    max_wait,
    purge=True,
    request_id=None,
):
    """Submit ``request`` to GDEX, wait for it, download and concatenate its GRIB2 files.

    Parameters
    ----------
    request : dict
        From :func:`gdex_request`.
    target : path-like
        Output file (created or overwritten).
    url : str
        API base URL (``https://gdex.ucar.edu/api``).
    token : str
    policy : .http.RetryPolicy
    credentials : path-like
        The token file, named when GDEX refuses the token.
    poll_interval : float
        First wait between status polls [s] (grows by 1.5 up to :data:`POLL_MAX`).
    max_wait : float
        Give up (exit 100) when the request is not ready after this many seconds.
    purge : bool
        Purge the request at GDEX after the download.
    request_id : str, optional
        Resume this earlier GDEX request instead of submitting ``request`` again.

    Returns
    -------
    dict
        ``request_id`` and the downloaded ``files`` (names), for provenance.
    """
    import requests

    from .http import RetryPolicy, call, download, json_reply, public_url

    base = url.rstrip("/") + "/"
    auth = {"token": token}
    session = requests.Session()
    session.headers["User-Agent"] = "calibpipe-tasks"

    def get_json(method, path, what, **kwargs):
        response = call(
            session,
            method,
            base + path,
            policy,
            f"GDEX: {what}",
            credentials,
            params=auth,
            **kwargs,
        )
        return _payload(json_reply(response, f"GDEX {what}"), public_url(base + path), what)

    if request_id is None:
        submitted = get_json("POST", "submit/", "subset request", json=request)
        request_id = submitted.get("request_id", submitted.get("request_index"))
        if request_id in (None, ""):
            raise InputDataError(
                public_url(base + "submit/"), "malformed GDEX reply (no request_id)"
            )
        log.info("GDEX request %s submitted", request_id)
    else:
        log.info("GDEX request %s resumed", request_id)
    request_id = str(request_id)

    waited, wait = 0.0, max(poll_interval, 0.0)
    while True:
        status = get_json("GET", f"status/{request_id}", "status query")
        state = str(status.get("status", "")) if isinstance(status, dict) else ""
        if not state:
            raise InputDataError(public_url(base + "status/"), "malformed GDEX reply (no status)")
        if state.lower() == "completed":
            break
        if "error" in state.lower() or "fail" in state.lower():
            raise InputDataError(
                public_url(base + f"status/{request_id}"),
                f"GDEX request {request_id} ended with status {state!r}",
            )
        if waited >= max_wait:
            raise TemporaryFailure(
                f"GDEX request {request_id} still {state!r} after {waited:.0f} s; "
                f"run again later with --request-id {request_id} (the request stays at GDEX)"
            )
        log.info("GDEX request %s: %s; next check in %g s", request_id, state, wait)
        time.sleep(wait)
        waited += wait
        wait = min(max(wait * 1.5, 1e-3), POLL_MAX)

    listing = get_json("GET", f"get_req_files/{request_id}", "file list")
    files = listing.get("web_files") if isinstance(listing, dict) else None
    if not isinstance(files, list) or not files:
        raise InputDataError(
            public_url(base + "get_req_files/"), f"GDEX request {request_id} lists no files"
        )
    try:
        entries = sorted({(f["wfile"], f["web_path"]) for f in files})
    except (KeyError, TypeError):
        raise InputDataError(
            public_url(base + "get_req_files/"), "malformed GDEX file list (wfile/web_path)"
        ) from None

    target = Path(target)
    target.write_bytes(b"")
    part = target.with_name(target.name + ".piece")
    api_host = requests.utils.urlparse(base).netloc
    try:
        for name, web_path in entries:
            same_host = requests.utils.urlparse(web_path).netloc == api_host
            download(
                session,
                web_path,
                part,
                policy,
                f"GDEX: download {name}",
                credentials,
                params=auth if same_host else None,
            )
            _concatenate_grib(part, target, public_url(web_path))
    finally:
        part.unlink(missing_ok=True)

    if purge:
        try:
            once = RetryPolicy(0, 0.0, policy.timeout)  # purging is a courtesy: one attempt
            call(session, "DELETE", base + f"purge/{request_id}", once, "GDEX: purge", params=auth)
        except (TemporaryFailure, InputDataError) as err:
            log.warning("could not purge GDEX request %s: %s", request_id, err)
    return {"request_id": request_id, "files": [name for name, _ in entries]}
