"""Download the Scripps CO2 Program monthly Mauna Loa in-situ record.

An HTTPS GET of ``monthly_in_situ_co2_mlo.csv`` from scrippsco2.ucsd.edu (public,
no credentials); the content is parsed with the same reader ``compute-macobac``
uses before it is accepted, then written as ``monthly_in_situ_co2_mlo.csv``.
Network errors, time-outs and HTTP 408/429/5xx are retried with exponential
back-off, then the step exits 100; other refusals and content that is not the
record exit 3.
"""

from ..fetch import options

NAME = "fetch-co2"
HELP = "download the Scripps monthly Mauna Loa CO2 record (input of compute-macobac)"
DEFAULT_URL = (
    "https://scrippsco2.ucsd.edu/assets/data/atmospheric/stations/in_situ_co2/monthly/"
    "monthly_in_situ_co2_mlo.csv"
)
OUTPUT = "monthly_in_situ_co2_mlo.csv"


def add_arguments(parser):
    options.add_service_arguments(parser, DEFAULT_URL, credentials_help=None)


def run(args, ctx):
    import logging

    import requests

    from ..errors import InputDataError
    from ..fetch.http import download, public_url
    from ..io.scripps_co2 import read_scripps_monthly_co2

    url = args.url or DEFAULT_URL
    source = public_url(url)

    def check(path):
        try:
            record = read_scripps_monthly_co2(path)
        except InputDataError as err:
            raise InputDataError(
                source, f"not the Scripps monthly CO2 record ({err.message})"
            ) from None
        last = f"{record.year[-1]:04d}-{record.month[-1]:02d}"
        logging.getLogger("calibpipe_tasks.fetch.co2").info(
            "CO2 record: %d months, last %s", len(record.year), last
        )
        ctx.extra_provenance["last_month"] = last

    session = requests.Session()
    session.headers["User-Agent"] = "calibpipe-tasks"
    target = ctx.output(OUTPUT)
    download(session, url, target, options.retry_policy(args), "Scripps CO2: download", check=check)
    ctx.extra_provenance["service_url"] = url
