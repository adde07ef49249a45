"""Clear-night assessment (UC-120-1.12): was the night's atmosphere molecular only?

Reads ``fram.ecsv`` (from ``ingest-fram``; the site is the one recorded there)
and assesses the astronomical night (Sun below -18 deg) that starts in the
evening of ``--date`` at that site. Per measurement: inside the night ->
zenith-angle cut -> vertical AOD (Kasten & Young 1989 air mass) minus the
stratospheric background, referred to the reference wavelength (Angstrom law)
-> VAOD-error cut -> isolated-outlier rejection (sustained excursions are kept).
Per night: weighted mean VAOD and its error, chi-square of a constant, excess
rms (Paule-Mandel estimate, Q-profile limits), drift, and the verdict - clear,
aerosol, variable or insufficient-data - with its reason. Method and thresholds:
``calibpipe_tasks.aerosol`` and docs/clear-night.md.

Writes ``clear_night.ecsv`` (every measurement with its VAOD and status),
``clear_night.json`` (the night's record: site, night window, counts, mean VAOD,
stability statistics, verdict, reason, thresholds, model, data source) and with
``--plot`` ``clear_night.png`` (VAOD vs time with the verdict).

A night without usable measurements (all outside the night, all cut) gets the
verdict insufficient-data (exit 0). Exit codes: 2 bad usage (bad date or
threshold); 3 unusable input (not an ingest-fram table, unknown site in it).
"""

from ..argtypes import iso_date, non_negative_float, positive_float, positive_int

NAME = "assess-clear-night"
HELP = "clear-night verdict (clear/aerosol/variable/insufficient-data) from FRAM VAOD"
OUTPUT_ECSV = "clear_night.ecsv"
OUTPUT_JSON = "clear_night.json"
PLOT = "clear_night.png"
INT_KEYS = (
    "n_measurements",
    "n_in_night",
    "n_used",
    "n_times",
    "n_rejected",
    "n_outliers",
    "n_excursion",
    "dof",
    "verdict_code",
    "reason",
)
REQUIRED = ("time", "zenith_angle", "aod", "aod_err", "peak_wavelength")


def _fraction(text):
    value = positive_float(text)
    if not value < 1.0:
        import argparse

        raise argparse.ArgumentTypeError(f"must be below 1: {text!r}")
    return value


def add_arguments(parser):
    parser.add_argument("--fram", required=True, metavar="FILE", help="fram.ecsv of ingest-fram")
    parser.add_argument(
        "--date",
        type=iso_date,
        required=True,
        help="the astronomical night (Sun below -18 deg) starting in the evening of this date",
    )
    parser.add_argument("--plot", action="store_true", help=f"also write {PLOT}")
    cuts = parser.add_argument_group("cuts and thresholds (defaults: docs/clear-night.md)")
    cuts.add_argument(
        "--max-zenith", type=positive_float, default=70.0, help="zenith-angle cut [deg]"
    )
    cuts.add_argument("--max-vaod-error", type=positive_float, default=0.03, help="VAOD-error cut")
    cuts.add_argument(
        "--outlier-sigma", type=positive_float, default=5.0, help="outlier candidate [errors]"
    )
    cuts.add_argument(
        "--neighbour-sigma", type=positive_float, default=3.0, help="supporting neighbour [errors]"
    )
    cuts.add_argument(
        "--outlier-window", type=positive_float, default=600.0, help="neighbourhood half-width [s]"
    )
    cuts.add_argument(
        "--min-support", type=positive_int, default=2, help="supporting neighbours needed"
    )
    cuts.add_argument(
        "--support-fraction",
        type=non_negative_float,
        default=0.2,
        help="... or this fraction of the neighbours",
    )
    cuts.add_argument("--min-times", type=positive_int, default=20, help="fewest images used")
    cuts.add_argument(
        "--min-coverage", type=non_negative_float, default=0.5, help="fraction of the night"
    )
    cuts.add_argument(
        "--max-clear-vaod", type=positive_float, default=0.04, help="largest clear mean VAOD"
    )
    cuts.add_argument(
        "--max-excess-rms", type=positive_float, default=0.01, help="largest stable excess rms"
    )
    cuts.add_argument("--max-drift", type=positive_float, default=0.02, help="largest stable drift")
    cuts.add_argument(
        "--min-excursion-points", type=positive_int, default=1, help="excursion points: variable"
    )
    cuts.add_argument("--confidence", type=_fraction, default=0.95, help="CL of the upper limits")
    cuts.add_argument(
        "--variable-confidence", type=_fraction, default=0.999, help="CL of the lower limits"
    )
    model = parser.add_argument_group("aerosol model")
    model.add_argument(
        "--stratospheric-aod", type=non_negative_float, default=0.005, help="background VAOD"
    )
    model.add_argument(
        "--stratospheric-wavelength", type=positive_float, default=420.0, help="its wavelength [nm]"
    )
    model.add_argument(
        "--stratospheric-angstrom", type=float, default=2.0, help="its Angstrom exponent"
    )
    model.add_argument(
        "--reference-wavelength", type=positive_float, default=420.0, help="VAOD at [nm]"
    )
    model.add_argument("--angstrom", type=float, default=1.3, help="tropospheric aerosol")


def thresholds_from_args(args):
    """The :class:`~calibpipe_tasks.aerosol.verdict.Thresholds` of the options."""
    from ..aerosol.verdict import Thresholds

    return Thresholds(
        max_zenith_deg=args.max_zenith,
        max_vaod_error=args.max_vaod_error,
        outlier_sigma=args.outlier_sigma,
        neighbour_sigma=args.neighbour_sigma,
        outlier_window_s=args.outlier_window,
        min_support=args.min_support,
        support_fraction=args.support_fraction,
        min_times=args.min_times,
        min_coverage=args.min_coverage,
        max_clear_vaod=args.max_clear_vaod,
        max_excess_rms=args.max_excess_rms,
        max_drift=args.max_drift,
        min_excursion_points=args.min_excursion_points,
        confidence=args.confidence,
        variable_confidence=args.variable_confidence,
    )


def model_from_args(args):
    """The :class:`~calibpipe_tasks.aerosol.optical_depth.AerosolModel` of the options."""
    from ..aerosol.optical_depth import AerosolModel

    return AerosolModel(
        stratospheric_aod=args.stratospheric_aod,
        stratospheric_wavelength_nm=args.stratospheric_wavelength,
        stratospheric_angstrom=args.stratospheric_angstrom,
        reference_wavelength_nm=args.reference_wavelength,
        tropospheric_angstrom=args.angstrom,
    )


def _read(path):
    from astropy.table import Table
    from astropy.time import Time

    from ..errors import InputDataError

    try:
        table = Table.read(path, format="ascii.ecsv")
    except Exception as err:  # astropy raises many types for a file that is not ECSV
        problem = str(err).splitlines()[0] if str(err) else type(err).__name__
        raise InputDataError(path, f"not an ECSV table ({problem})") from None
    missing = [c for c in REQUIRED if c not in table.colnames]
    if missing or table.meta.get("product") != "FRAM aerosol optical depth measurements":
        raise InputDataError(
            path, f"not an ingest-fram table (missing {', '.join(missing) or 'its product meta'})"
        )
    if not isinstance(table["time"], Time):
        raise InputDataError(path, "column time is not a time column")
    return table


def _site(table, path):
    from ..errors import InputDataError, UsageError
    from ..sites import get_site

    try:
        return get_site(table.meta.get("site"))
    except UsageError as err:
        raise InputDataError(path, str(err)) from None


def run(args, ctx):
    import json

    import astropy.units as u
    import numpy as np
    from astropy.table import Table

    from ..aerosol.assessment import STATUS_NAMES, Status, assess_nights
    from ..aerosol.verdict import describe_reason, verdict_of
    from ..atmosphere.night import astronomical_night
    from ..errors import UsageError

    path = ctx.add_input(args.fram, role="fram_table")
    thresholds = thresholds_from_args(args)
    model = model_from_args(args)
    table = _read(path)
    site = _site(table, path)
    try:
        start, end = astronomical_night(
            args.date, site.latitude_deg, site.longitude_deg, site.altitude_m
        )
    except ValueError as err:
        raise UsageError(f"no astronomical night at site {site.name}: {err}") from None
    t0 = _unix(start)
    length = _unix(end) - t0
    times = table["time"].utc.unix - t0
    result = assess_nights(
        times[None, :],
        np.array([length]),
        np.asarray(table["zenith_angle"].quantity.to_value(u.deg))[None, :],
        np.asarray(table["aod"], dtype=float)[None, :],
        np.asarray(table["aod_err"], dtype=float)[None, :],
        np.asarray(table["peak_wavelength"].quantity.to_value(u.nm))[None, :],
        model=model,
        thresholds=thresholds,
    )
    night = {
        k: (int(v[0]) if k in INT_KEYS else float(v[0]))
        for k, v in result.items()
        if np.ndim(v) == 1
    }
    verdict = verdict_of(night["verdict_code"])
    if night["n_in_night"] == 0:
        reason = (
            f"none of the {night['n_measurements']} measurements is inside the night "
            f"{start.isoformat()} to {end.isoformat()} UTC"
        )
    else:
        reason = describe_reason(night["reason"], night, thresholds)
    status = result["status"][0]

    out = Table()
    out["time"] = table["time"]
    out["time"].format = "isot"
    out["time"].precision = 3
    out["zenith_angle"] = table["zenith_angle"]
    out["airmass"] = result["airmass"][0]
    for name in ("aod", "aod_err", "peak_wavelength"):
        out[name] = table[name]
    out["vaod"] = result["vaod"][0]
    out["vaod_err"] = result["vaod_err"][0]
    out["status"] = [STATUS_NAMES[Status(s)] for s in status]
    out["excursion"] = result["excursion"][0]
    descriptions = {
        "time": "measurement time (UTC)",
        "zenith_angle": "apparent zenith angle",
        "airmass": "relative optical air mass, Kasten & Young (1989); 0 below the horizon",
        "aod": "slant aerosol optical depth (FRAM)",
        "aod_err": "1-sigma error of aod",
        "peak_wavelength": "peak wavelength of the FRAM filter",
        "vaod": (
            f"tropospheric vertical AOD at {model.reference_wavelength_nm:g} nm "
            "(stratospheric background removed)"
        ),
        "vaod_err": "1-sigma error of vaod",
        "status": "used, or the first cut that removed the measurement",
        "excursion": "beyond outlier_sigma and supported by its neighbours (kept; variable)",
    }
    for name, text in descriptions.items():
        out[name].description = text
    record = {
        "product": "clear-night assessment",
        "use_case": "UC-120-1.12",
        "site": {
            "name": site.name,
            "instrument": site.instrument,
            "latitude_deg": site.latitude_deg,
            "longitude_deg": site.longitude_deg,
            "altitude_m": site.altitude_m,
        },
        "night": {
            "date": args.date.isoformat(),
            "start": start.isoformat() + "Z",
            "end": end.isoformat() + "Z",
            "definition": "astronomical night, Sun below -18 deg",
        },
        "data_source": {
            "instrument": "FRAM",
            "delivered_by": "ACADA (FITS)",
            "table": path.name,
            "input_files": list(table.meta.get("input_files", [])),
            "n_invalid_at_ingest": dict(table.meta.get("n_invalid", {})),
        },
        "n_measurements": night["n_measurements"],
        "n_in_night": night["n_in_night"],
        "n_used": night["n_used"],
        "n_times_used": night["n_times"],
        "n_rejected": night["n_rejected"],
        "rejected_by": {
            STATUS_NAMES[s]: int(np.sum((status == int(s)) & (times >= 0) & (times <= length)))
            for s in (Status.ZENITH_ANGLE, Status.VAOD_ERROR, Status.OUTLIER)
        },
        "coverage": night["coverage"],
        "reference_wavelength_nm": model.reference_wavelength_nm,
        "mean_vaod": night["mean_vaod"],
        "mean_vaod_err": night["mean_vaod_err"],
        "stability": {
            "chi2": night["chi2"],
            "dof": night["dof"],
            "chi2_pvalue": night["chi2_pvalue"],
            "excess_rms": night["excess_rms"],
            "excess_rms_lower": night["excess_rms_lower"],
            "excess_rms_upper": night["excess_rms_upper"],
            "excess_rms_lower_variable": night["excess_rms_lower_variable"],
            "drift": night["drift"],
            "drift_err": night["drift_err"],
            "n_excursion": night["n_excursion"],
            "method": (
                "chi2 of the weighted mean; excess rms: Paule-Mandel estimate and "
                "Q-profile limits (Viechtbauer 2007); drift: weighted straight line, "
                "error scaled by the Birge ratio"
            ),
        },
        "verdict": verdict.value,
        "reason": reason,
        "thresholds": thresholds.as_dict(),
        "model": {
            "airmass": "Kasten & Young 1989, Appl. Opt. 28, 4735",
            "stratospheric_aod": model.stratospheric_aod,
            "stratospheric_wavelength_nm": model.stratospheric_wavelength_nm,
            "stratospheric_angstrom": model.stratospheric_angstrom,
            "tropospheric_angstrom": model.tropospheric_angstrom,
        },
    }
    out.meta.update(
        {
            "product": "clear-night assessment measurements",
            "use_case": "UC-120-1.12",
            "site": site.name,
            "night_start": record["night"]["start"],
            "night_end": record["night"]["end"],
            "verdict": verdict.value,
            "reason": reason,
        }
    )
    out.write(ctx.output(OUTPUT_ECSV), format="ascii.ecsv", overwrite=True)
    with open(ctx.output(OUTPUT_JSON), "w", encoding="utf-8") as f:
        f.write(json.dumps(record, indent=2, sort_keys=True) + "\n")
    if args.plot:
        from ..plotting import plot_clear_night

        plot_clear_night(out, record, ctx.output(PLOT))
    ctx.extra_provenance.update(verdict=verdict.value, reason=reason)


def _unix(dt):
    import datetime

    return dt.replace(tzinfo=datetime.UTC).timestamp()
