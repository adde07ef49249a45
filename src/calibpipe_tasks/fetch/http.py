"""HTTP calls with bounded retries, errors mapped to exit codes, checked downloads.

Failure classes (DESIGN.md section 3):

* connection errors, time-outs, broken transfers, HTTP 408, 429 and 5xx: retried up to
  ``max_retries`` times, waiting ``retry_wait * 2**k`` seconds before retry ``k``
  (capped at :data:`MAX_WAIT`), then :class:`~calibpipe_tasks.errors.TemporaryFailure`
  (exit 100);
* HTTP 401/403: the service refused the credentials -
  :class:`~calibpipe_tasks.errors.InputDataError` naming the credentials file (exit 3);
* other HTTP 4xx and replies that are not what the protocol says: the service refused
  the request or answered nonsense - :class:`~calibpipe_tasks.errors.InputDataError`
  (exit 3).

Messages never contain access tokens (GDEX takes its token as a query parameter).
"""

import logging
import os
import re
import time
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

from ..errors import InputDataError, TemporaryFailure

log = logging.getLogger(__name__)

#: HTTP status codes below 500 that are worth retrying (every 5xx is)
RETRIABLE_STATUS = frozenset({408, 429})


def is_retriable(status_code):
    """True for HTTP 408 (time-out), 429 (too many requests) and every 5xx (server side)."""
    return status_code in RETRIABLE_STATUS or 500 <= status_code < 600


#: longest wait between two attempts [s]
MAX_WAIT = 600.0
_CHUNK = 1 << 20
#: downloads of at most this many MiB are not worth a progress report
_QUIET_CHUNKS = 4


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently to retry.

    Attributes
    ----------
    max_retries : int
        Retries after the first attempt (0: a single attempt).
    retry_wait : float
        Wait before the first retry [s]; doubled before each further retry.
    timeout : float
        Connect/read time-out of each HTTP call [s].
    """

    max_retries: int = 5
    retry_wait: float = 10.0
    timeout: float = 60.0

    def wait(self, retry_index):
        """Seconds to wait before retry number ``retry_index`` (0-based)."""
        return min(self.retry_wait * 2.0**retry_index, MAX_WAIT)

    @property
    def attempts(self):
        return self.max_retries + 1


def redact(text):
    """``text`` on one line, without access tokens."""
    text = re.sub(r"(token=)[^&\s'\"]+", r"\1***", str(text))
    return " ".join(text.split())


def public_url(url):
    """``url`` without its query string (which may hold a token)."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))


def describe_network_error(err):
    """Short one-line description of a requests/urllib3 exception, without the URL."""
    text = redact(err)
    for pattern in (
        r"\[Errno -?\d+\] [^'\")]+",
        r"Connection refused",
        r"timed out",
        r"Connection aborted",
        r"Connection broken[^'\")]*",
        r"IncompleteRead\([^)]*\)",
    ):
        match = re.search(pattern, text)
        if match:
            return f"{type(err).__name__}: {match.group(0)}"
    return f"{type(err).__name__}: {text[:200]}"


def reply_message(response, limit=300):
    """The service's own explanation in an error reply (JSON fields or text), one line."""
    try:
        body = response.json()
    except ValueError:
        body = None
    parts = []
    if isinstance(body, dict):
        for key in ("title", "detail", "message", "messages", "error_messages", "error"):
            value = body.get(key)
            if value:
                parts.append(value if isinstance(value, str) else "; ".join(map(str, value)))
    elif response.text:
        parts.append(response.text)
    return redact(" - ".join(parts))[:limit]


def raise_for_refusal(response, service, credentials=None):
    """Raise the step error for a 4xx reply that is not worth retrying.

    HTTP 401/403 name the credentials file; other codes name the service URL.
    """
    code = response.status_code
    why = reply_message(response)
    status = f"HTTP {code} {response.reason or ''}".strip() + (f": {why}" if why else "")
    if code in (401, 403) and credentials is not None:
        raise InputDataError(
            credentials, f"{service} refused these credentials ({status}); check the file"
        )
    raise InputDataError(public_url(response.url or service), f"{service} refused ({status})")


def call(session, method, url, policy, what, credentials=None, **kwargs):
    """One HTTP call with retries; returns the :class:`requests.Response` of a 2xx/3xx reply.

    Parameters
    ----------
    session : requests.Session
    method, url : str
    policy : RetryPolicy
    what : str
        What the call does, for messages (e.g. ``"GDEX: submit request"``).
    credentials : path-like, optional
        File the credentials came from, named when they are refused.
    **kwargs
        Passed to :meth:`requests.Session.request`.

    Raises
    ------
    TemporaryFailure
        When every attempt failed with a retriable error.
    InputDataError
        On a 4xx refusal.
    """
    import requests

    last = None
    for attempt in range(policy.attempts):
        if attempt:
            wait = policy.wait(attempt - 1)
            log.warning(
                "%s: %s; retry %d/%d in %g s", what, last, attempt, policy.max_retries, wait
            )
            time.sleep(wait)
        try:
            response = session.request(method, url, timeout=policy.timeout, **kwargs)
        except (
            requests.ConnectionError,
            requests.Timeout,
            requests.exceptions.ChunkedEncodingError,
        ) as err:
            last = describe_network_error(err)
            continue
        if is_retriable(response.status_code):
            last = f"HTTP {response.status_code} {response.reason or ''}".strip()
            continue
        if 400 <= response.status_code < 500:
            raise_for_refusal(response, what.split(":")[0], credentials)
        return response
    raise TemporaryFailure(f"{what}: {last} (gave up after {policy.attempts} attempts)")


def json_reply(response, what):
    """Decoded JSON object of a reply; :class:`InputDataError` if it is not a JSON object."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise InputDataError(
            public_url(response.url), f"{what}: reply is not a JSON object (malformed reply)"
        )
    return body


def download(session, url, target, policy, what, credentials=None, params=None, check=None):
    """Stream ``url`` into ``target`` with retries, progress, size and content checks.

    A transfer that breaks off, or delivers fewer bytes than its ``Content-Length``,
    is retried from the start. ``check(target)`` (if given) raises
    :class:`InputDataError` when the content is not what was asked for.

    Returns
    -------
    int
        Number of bytes written.
    """
    import requests

    from ..progress import progress

    last = None
    for attempt in range(policy.attempts):
        if attempt:
            wait = policy.wait(attempt - 1)
            log.warning(
                "%s: %s; retry %d/%d in %g s", what, last, attempt, policy.max_retries, wait
            )
            time.sleep(wait)
        try:
            with session.get(url, params=params, stream=True, timeout=policy.timeout) as response:
                if is_retriable(response.status_code):
                    last = f"HTTP {response.status_code} {response.reason or ''}".strip()
                    continue
                if response.status_code >= 400:
                    raise_for_refusal(response, what.split(":")[0], credentials)
                expected = response.headers.get("Content-Length")
                expected = int(expected) if expected and expected.isdigit() else None
                chunks = response.iter_content(chunk_size=_CHUNK)
                total = -(-expected // _CHUNK) if expected else None
                if total is None or total > _QUIET_CHUNKS:  # report progress of long downloads
                    chunks = progress(chunks, desc=f"{what} (MiB)", total=total)
                written = 0
                with open(target, "wb") as f:
                    for chunk in chunks:
                        f.write(chunk)
                        written += len(chunk)
        except (
            requests.ConnectionError,
            requests.Timeout,
            requests.exceptions.ChunkedEncodingError,
        ) as err:
            last = describe_network_error(err)
            continue
        if expected is not None and written != expected:
            last = f"transfer incomplete ({written} of {expected} bytes)"
            continue
        if check is not None:
            check(target)
        return written
    raise TemporaryFailure(f"{what}: {last} (gave up after {policy.attempts} attempts)")


# --- content checks -------------------------------------------------------------------------

GRIB_MAGIC = b"GRIB"
GRIB_END = b"7777"
NETCDF_MAGICS = (b"CDF\x01", b"CDF\x02", b"CDF\x05", b"\x89HDF\r\n\x1a\n")


def _head_tail(path, n=8):
    size = os.path.getsize(path)
    with open(path, "rb") as f:
        head = f.read(n)
        f.seek(max(0, size - n))
        tail = f.read(n)
    return size, head, tail


def check_grib(path, source):
    """Raise :class:`InputDataError` (naming ``source``) unless ``path`` holds GRIB messages.

    Checks that the file starts with ``GRIB`` and ends with ``7777`` (the first and
    last four octets of every GRIB edition 1 and 2 message).
    """
    size, head, tail = _head_tail(path)
    if size == 0:
        raise InputDataError(source, "the service delivered an empty file (expected GRIB)")
    if not head.startswith(GRIB_MAGIC):
        raise InputDataError(source, f"delivered content is not GRIB (starts with {head[:8]!r})")
    if not tail.endswith(GRIB_END):
        raise InputDataError(source, "delivered GRIB is truncated (does not end with '7777')")


def check_netcdf(path, source):
    """Raise :class:`InputDataError` (naming ``source``) unless ``path`` is netCDF (3 or 4)."""
    size, head, _ = _head_tail(path)
    if size == 0:
        raise InputDataError(source, "the service delivered an empty file (expected netCDF)")
    if not head.startswith(NETCDF_MAGICS):
        what = "a zip archive" if head.startswith(b"PK\x03\x04") else f"{head[:8]!r}"
        raise InputDataError(source, f"delivered content is not netCDF (got {what})")
