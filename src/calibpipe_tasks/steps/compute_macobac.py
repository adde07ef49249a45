"""Compute the 12-month average CO2 background concentration (12-MACOBAC, UC-120-1.2).

Reads the Scripps monthly Mauna Loa in-situ CO2 record and writes
``macobac.ecsv``: one row with the mean of the last 12 valid monthly values
(column 5, ppm), the first and last month used, the number of months, and the
estimation date. With ``--until`` only months that ended on or before that date
are used; the estimation date is then that date, otherwise the last day of the
last month used (never the wall-clock time, so that re-runs are identical).
"""

import datetime

from ..argtypes import iso_date_or_month

NAME = "compute-macobac"
HELP = "12-month average CO2 concentration (12-MACOBAC) from the Scripps Mauna Loa record"
OUTPUT = "macobac.ecsv"


def add_arguments(parser):
    parser.add_argument(
        "--co2-file",
        required=True,
        help="Scripps monthly in-situ CO2 CSV (monthly_in_situ_co2_mlo.csv)",
    )
    parser.add_argument(
        "--until",
        type=iso_date_or_month,
        default=None,
        help="use only months that ended on or before this date (YYYY-MM-DD)",
    )


def _last_day(year, month):
    first_next = datetime.date(year + month // 12, month % 12 + 1, 1)
    return first_next - datetime.timedelta(days=1)


def run(args, ctx):
    import numpy as np
    from astropy.table import Table

    from ..atmosphere.macobac import N_MONTHS, month_index, twelve_month_average
    from ..errors import InputDataError
    from ..io.scripps_co2 import read_scripps_monthly_co2
    from ..units import PPM

    path = ctx.add_input(args.co2_file, role="co2_record")
    record = read_scripps_monthly_co2(path)
    until_index = None
    if args.until is not None:
        # a month counts once it has ended: the month of `until` only if `until` is its last day
        until = args.until
        complete = until == _last_day(until.year, until.month)
        until_index = int(month_index(until.year, until.month)) - (0 if complete else 1)
    try:
        mean, used = twelve_month_average(
            record.year, record.month, record.co2_ppm, until_month_index=until_index
        )
    except ValueError as err:
        when = f" up to {args.until}" if args.until else ""
        message = f"fewer than {N_MONTHS} valid monthly CO2 values{when} ({err})"
        raise InputDataError(path, message) from None

    months = [
        f"{y:04d}-{m:02d}" for y, m in zip(record.year[used], record.month[used], strict=True)
    ]
    last_year, last_month = int(record.year[used[-1]]), int(record.month[used[-1]])
    estimation_date = args.until or _last_day(last_year, last_month)
    table = Table()
    table["co2_concentration"] = np.array([round(mean, 6)]) * PPM
    table["co2_concentration"].description = "mean of the last 12 valid monthly CO2 values"
    table["n_months"] = np.array([len(used)], dtype=np.int32)
    table["n_months"].description = "number of monthly values averaged"
    table["first_month"] = [months[0]]
    table["first_month"].description = "first month averaged (YYYY-MM)"
    table["last_month"] = [months[-1]]
    table["last_month"].description = "last month averaged (YYYY-MM)"
    table["estimation_date"] = [estimation_date.isoformat()]
    table["estimation_date"].description = "date the value applies to (YYYY-MM-DD)"
    table.meta.update(
        {
            "product": "12-MACOBAC",
            "use_case": "UC-120-1.2",
            "months_used": months,
            "source": "Scripps CO2 Program, Mauna Loa in-situ monthly record, column 5 (ppm)",
            "source_file": path.name,
            "citation": "C. D. Keeling et al., SIO Reference Series No. 01-06 (2001)",
        }
    )
    table.write(ctx.output(OUTPUT), format="ascii.ecsv", overwrite=True)
    ctx.extra_provenance["co2_concentration_ppm"] = float(table["co2_concentration"][0])
