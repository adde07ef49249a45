"""Validate camera calibration coefficients on the run's calibration events (UC-120-2.20).

Applies the coefficients (``camera_coefficients.h5``, ctapipe's layout) to the DL1
images of the sky-pedestal and flat-field events of the run, as ctapipe's
``CameraCalibrator`` does with a ``FixedWindowSum`` charge
(``(Q - W * pedestal_offset) * factor``, each event with the row valid at its
time), and checks, per telescope (:mod:`calibpipe_tasks.camera.validation`):

* ``pedestal_closure`` / ``pedestal_camera_mean``: sky-pedestal events calibrate to 0 p.e.;
* ``flatfield_flatness``: flat-field events calibrate to a flat camera;
* ``flatfield_scale``: the calibrated flat-field camera mean is the coefficients'
  median n_pe; ``photon_statistics``: the same scale from the F-factor relation;
* ``coefficients_finite``, ``factor_positive``, ``fill_values``;
* ``validity_start``: each row valid from its chunk's first event, every event covered;
* ``extraction_window``: the window recorded in the coefficients is that of the images.

Writes ``camera_validation.json`` and ``camera_validation.ecsv`` (every check, its
value, tolerance and result) and ``camera_coefficients.h5``, the validated file
itself (byte for byte), for the next step (database upload). A failed check: one
line naming the coefficients file and the failed checks, exit 3, nothing written.
"""

from ..argtypes import positive_float, positive_int
from .camera_options import add_telescope_argument, select_telescopes

NAME = "validate-camera-coefficients"
HELP = "check camera coefficients on the run's pedestal and flat-field images"
OUTPUT_JSON = "camera_validation.json"
OUTPUT_ECSV = "camera_validation.ecsv"
OUTPUT_COEFFICIENTS = "camera_coefficients.h5"

#: defaults of the tolerances (docs/camera-calibration.md, "Validation")
MAX_PEDESTAL_CHI2 = 2.0
MAX_FLATFIELD_CHI2 = 2.0
MAX_PULL = 5.0
MAX_START_OFFSET_S = 1e-4


def add_arguments(parser):
    parser.add_argument(
        "--coefficients", required=True, metavar="COEFF.h5", help="camera coefficients (HDF5)"
    )
    parser.add_argument(
        "--pedestal-images",
        required=True,
        metavar="PED.dl1.h5",
        help="DL1 images of the run's sky-pedestal events (ctapipe-process)",
    )
    parser.add_argument(
        "--flatfield-images",
        required=True,
        metavar="FF.dl1.h5",
        help="DL1 images of the run's flat-field events (ctapipe-process)",
    )
    parser.add_argument(
        "--extraction-provenance",
        nargs="+",
        default=None,
        metavar="PROV.json",
        help="ctapipe-process provenance logs of the image extractions: their "
        "FixedWindowSum window is compared with the coefficients'",
    )
    parser.add_argument(
        "--window-width",
        type=positive_int,
        default=None,
        metavar="SAMPLES",
        help="FixedWindowSum window_width of the images (if no provenance log is given)",
    )
    parser.add_argument(
        "--window-shift", type=int, default=None, metavar="SAMPLES", help="its window_shift"
    )
    parser.add_argument(
        "--peak-index", type=int, default=None, metavar="SAMPLE", help="its peak_index"
    )
    add_telescope_argument(parser, "to validate", "every telescope of the coefficients")
    parser.add_argument(
        "--max-pedestal-chi2",
        type=positive_float,
        default=MAX_PEDESTAL_CHI2,
        help=f"pedestal pixel means against 0: largest chi2/ndf (default {MAX_PEDESTAL_CHI2})",
    )
    parser.add_argument(
        "--max-flatfield-chi2",
        type=positive_float,
        default=MAX_FLATFIELD_CHI2,
        help=f"flat-field pixel means around the camera mean: largest chi2/ndf "
        f"(default {MAX_FLATFIELD_CHI2})",
    )
    parser.add_argument(
        "--max-pull",
        type=positive_float,
        default=MAX_PULL,
        help=f"camera pedestal mean, flat-field scale and photon statistics: largest "
        f"deviation in standard errors (default {MAX_PULL})",
    )
    parser.add_argument(
        "--max-start-offset",
        type=positive_float,
        default=MAX_START_OFFSET_S,
        metavar="SECONDS",
        help=f"validity start against its chunk's first event (default {MAX_START_OFFSET_S})",
    )


def _window_of_images(args, ctx):
    """The images' extraction window, from the provenance logs (all agreeing) or the flags."""
    from ..errors import InputDataError, UsageError
    from ..io.camera_validation import extraction_window

    flags = {"window_width": args.window_width, "window_shift": args.window_shift}
    flags["peak_index"] = args.peak_index
    if args.extraction_provenance:
        windows = []
        for name in args.extraction_provenance:
            path = ctx.add_input(name, role="extraction_provenance")
            windows.append((path, extraction_window(path)))
        first_path, first = windows[0]
        for path, window in windows[1:]:
            if window != first:
                raise InputDataError(
                    path,
                    f"images extracted with another window than those of {first_path.name}: "
                    f"{_describe(window)} vs {_describe(first)}",
                )
        for key, value in flags.items():
            if value is not None and first[key] is not None and first[key] != value:
                raise InputDataError(
                    first_path, f"records {key} {first[key]}, not --{key.replace('_', '-')} {value}"
                )
        return {k: first[k] if first[k] is not None else flags[k] for k in flags}
    if args.window_width is None:
        raise UsageError(
            "give --extraction-provenance (ctapipe-process logs) or --window-width: "
            "the images' extraction window is needed"
        )
    return flags


def _describe(window):
    return ", ".join(f"{k} {window.get(k)}" for k in ("window_width", "window_shift", "peak_index"))


def _jsonable(value):
    import numpy as np

    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, np.ndarray):
        return [_jsonable(v) for v in value.tolist()]
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    if isinstance(value, (float, np.floating)):
        return None if not np.isfinite(value) else float(value)
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.bool_,)):
        return bool(value)
    return value


def _largest(values):
    """The largest value, NaN if any is not finite (a check that cannot be evaluated fails)."""
    import numpy as np

    return float(np.max(values)) if np.all(np.isfinite(values)) else np.nan


def _validate_telescope(args, tel_id, coeff, ped, ff, window, n_pixels):
    """The checks of one telescope: a list of dicts (check, value, tolerance, passed, detail)."""
    import numpy as np

    from ..camera import validation as v
    from ..io.camera_validation import MISSING_CHANNEL_BIT

    checks = []

    def add(check, value, tolerance, detail, per_row=None, numbers=None, passed=None):
        """One check's entry; it passes if ``value`` is finite and at most ``tolerance``
        (``passed``: another verdict)."""
        if passed is None:
            passed = np.isfinite(value) and value <= tolerance
        entry = {
            "tel_id": tel_id,
            "check": check,
            "value": value,
            "tolerance": tolerance,
            "passed": bool(passed),
            "detail": detail,
        }
        if per_row is not None:
            entry["per_row"] = per_row
        if numbers:
            entry["numbers"] = numbers
        checks.append(entry)

    n_rows, n_channels = coeff["factor"].shape[:2]
    good = ~coeff["outlier_mask"]
    reason = coeff.get("outlier_reason")
    missing = np.zeros(n_channels, bool)
    if reason is not None:
        missing = np.all(reason & MISSING_CHANNEL_BIT, axis=(0, 2)).astype(bool)
    present = [c for c in range(n_channels) if not missing[c]]
    width = window["window_width"]

    # (e) extraction window
    recorded = {k: coeff["meta"].get(k) for k in ("window_width", "window_shift", "peak_index")}
    mismatches = []
    for key, value in recorded.items():
        if value is None or window.get(key) is None:
            continue
        if str(value) != str(window[key]):
            mismatches.append(f"{key} {value} in the coefficients, {window[key]} in the images")
    if recorded["window_width"] is None:
        mismatches.append("no window_width recorded in the coefficients")
    add(
        "extraction_window",
        len(mismatches),
        0,
        "; ".join(mismatches)
        or "coefficients "
        + _describe({k: recorded[k] for k in recorded})
        + "; images "
        + _describe(window),
    )

    # (c) finite, positive, fill values
    columns = {
        name: coeff[name]
        for name in ("factor", "pedestal_offset", "time_shift", "factor_err", "pedestal_offset_err")
        if name in coeff
    }
    sanity = v.coefficient_sanity(columns, good, present)
    add(
        "coefficients_finite",
        sanity["non_finite"],
        0,
        sanity["first"]["non_finite"] or "every value finite",
    )
    add(
        "factor_positive",
        sanity["non_positive_factor"],
        0,
        sanity["first"]["non_positive_factor"] or "every factor positive",
    )
    add(
        "fill_values",
        sanity["wrong_fill"],
        0,
        sanity["first"]["wrong_fill"] or "flagged pixels hold the camera median",
    )

    # (d) validity starts
    day = 86400.0
    offsets, uncovered = v.validity_start_offsets(
        coeff["start"],
        coeff["end"],
        np.concatenate([ped[0], ff[0]]),
        ff[0],
        tolerance=args.max_start_offset / day,
    )
    offsets_s = offsets * day
    worst = float(np.nanmax(np.abs(offsets_s))) if np.any(np.isfinite(offsets_s)) else np.nan
    no_event_rows = [int(k) for k in np.flatnonzero(~np.isfinite(offsets_s))]
    ok = (
        np.isfinite(worst)
        and worst <= args.max_start_offset
        and uncovered == 0
        and not no_event_rows
    )
    detail = "largest |validity start - first event of its chunk| [s]"
    if uncovered:
        detail += f"; {uncovered} event(s) before the first row's validity start"
    if no_event_rows:
        detail += f"; no flat-field event for row(s) {no_event_rows}"
    add("validity_start", worst, args.max_start_offset, detail, per_row=offsets_s, passed=ok)

    # apply the coefficients, event by event with its row
    for images in (ped, ff):
        if images[1].shape[1:] != (n_channels, n_pixels):
            from ..errors import InputDataError

            raise InputDataError(
                images[2],
                f"tel_{tel_id:03d}: images of shape {images[1].shape[1:]}, the coefficients "
                f"({n_channels}, {n_pixels})",
            )
    calibrated = {}
    rows = {}
    safe = {
        k: np.nan_to_num(coeff[k], nan=0.0, posinf=0.0, neginf=0.0)
        for k in ("factor", "pedestal_offset")
    }
    for name, (times, charge, _) in (("pedestal", ped), ("flatfield", ff)):
        r = v.row_index(times, coeff["start"])
        # ctapipe's HDF5MonitoringSource: an event just before the first row within its
        # timestamp tolerance takes the first row
        r[(r < 0) & (times >= coeff["start"][0] - args.max_start_offset / day)] = 0
        rows[name] = r
        rr = np.clip(r, 0, n_rows - 1)
        calibrated[name] = v.apply_coefficients(
            charge, safe["pedestal_offset"][rr], safe["factor"][rr], width
        )
    test = good & np.isfinite(coeff["factor"]) & np.isfinite(coeff["pedestal_offset"])
    test[:, missing] = False
    ch_ok = [c for c in present]

    # (a) pedestal closure
    offset_err = coeff.get("pedestal_offset_err", np.zeros_like(coeff["factor"]))
    offset_err_pe = width * np.abs(np.nan_to_num(offset_err) * safe["factor"])
    closure = v.pedestal_closure(
        calibrated["pedestal"], rows["pedestal"], n_rows, test, offset_err_pe
    )
    chi2 = closure["chi2_ndf"][:, ch_ok]
    worst = _largest(chi2)
    add(
        "pedestal_closure",
        worst,
        args.max_pedestal_chi2,
        f"largest chi2/ndf of the pixels' mean calibrated pedestal against 0 "
        f"(events per row {closure['n_events'].tolist()})",
        per_row=closure["chi2_ndf"],
    )
    pull = closure["camera_pull"][:, ch_ok]
    worst = _largest(np.abs(pull))
    add(
        "pedestal_camera_mean",
        worst,
        args.max_pull,
        "largest |camera mean calibrated pedestal| in standard errors",
        per_row=closure["camera_pull"],
        numbers={"camera_mean_pe": closure["camera_mean"]},
    )

    # (b) flat-field flatness and scale
    flat = v.flatfield_flatness(
        calibrated["flatfield"],
        rows["flatfield"],
        n_rows,
        test,
        coeff.get("n_events"),
        np.nan_to_num(closure["pixel_var"]),
    )
    chi2 = flat["chi2_ndf"][:, ch_ok]
    worst = _largest(chi2)
    add(
        "flatfield_flatness",
        worst,
        args.max_flatfield_chi2,
        "largest chi2/ndf of the pixels' mean calibrated flat-field around the camera mean",
        per_row=flat["chi2_ndf"],
        numbers={"max_abs_pull": flat["max_abs_pull"], "camera_mean_pe": flat["camera_mean"]},
    )
    if "n_pe" in coeff:
        ratio, err = v.flatfield_scale(
            flat["camera_mean"],
            flat["camera_mean_err"],
            coeff["n_pe"],
            coeff.get("n_pe_err", np.zeros_like(coeff["n_pe"])),
            test,
        )
        pulls = np.abs(ratio - 1) / err
        worst = _largest(pulls[:, ch_ok])
        add(
            "flatfield_scale",
            worst,
            args.max_pull,
            "largest |calibrated flat-field camera mean / median n_pe - 1| in standard errors",
            per_row=pulls,
            numbers={"ratio": ratio, "ratio_err": err},
        )
    f2 = coeff["meta"].get("f_squared")
    try:
        f2 = float(f2)
    except (TypeError, ValueError):
        f2 = None
    if f2 is not None:
        jitter = float(coeff["meta"].get("light_source_jitter", 0.0))
        ratio, err = v.photon_statistics_ratio(
            calibrated["flatfield"],
            rows["flatfield"],
            calibrated["pedestal"],
            rows["pedestal"],
            n_rows,
            test,
            f2,
            jitter,
        )
        pulls = np.abs(ratio - 1) / err
        worst = _largest(pulls[:, ch_ok])
        add(
            "photon_statistics",
            worst,
            args.max_pull,
            f"largest |(Var_ff - Var_ped - B^2 mu^2) / (F^2 mu) - 1| in standard errors "
            f"(F^2 {coeff['meta'].get('f_squared')}, "
            f"B {coeff['meta'].get('light_source_jitter', 0)})",
            per_row=pulls,
            numbers={"ratio": ratio, "ratio_err": err},
        )
    return checks


def run(args, ctx):
    import json
    import logging
    import shutil

    import numpy as np
    from astropy.table import Table

    from ..errors import InputDataError
    from ..io.camera_validation import (
        coefficient_telescopes,
        read_calibration_images,
        read_coefficients,
    )
    from ..io.muon_tables import read_subarray

    log = logging.getLogger(__name__)
    coeff_path = ctx.add_input(args.coefficients, role="camera_coefficients")
    if (ctx.output_dir / OUTPUT_COEFFICIENTS).resolve() == coeff_path.resolve():
        from ..errors import UsageError

        raise UsageError(
            f"{coeff_path}: the validated copy {OUTPUT_COEFFICIENTS} would replace its input: "
            "run in another directory (--output-dir)"
        )
    ped_path = ctx.add_input(args.pedestal_images, role="pedestal_images")
    ff_path = ctx.add_input(args.flatfield_images, role="flatfield_images")
    window = _window_of_images(args, ctx)
    tel_ids = coefficient_telescopes(coeff_path)
    tel_ids = select_telescopes(args.telescope, tel_ids, coeff_path, "coefficients for")
    subarray = read_subarray(coeff_path)

    checks, failed = [], []
    for tel_id in tel_ids:
        if tel_id not in subarray.tel:
            raise InputDataError(coeff_path, f"tel_{tel_id:03d} is not in the subarray description")
        n_pixels = subarray.tel[tel_id].camera.geometry.n_pixels
        coeff = read_coefficients(coeff_path, tel_id, n_pixels)
        ped = (*read_calibration_images(ped_path, tel_id), ped_path)
        ff = (*read_calibration_images(ff_path, tel_id), ff_path)
        tel_checks = _validate_telescope(args, tel_id, coeff, ped, ff, window, n_pixels)
        checks.extend(tel_checks)
        for c in tel_checks:
            log.info(
                "tel_%03d %s: %s (tolerance %s) %s",
                tel_id,
                c["check"],
                c["value"],
                c["tolerance"],
                "pass" if c["passed"] else "FAIL",
            )
            if not c["passed"]:
                value = c["value"]
                shown = f"{value:.4g}" if isinstance(value, float) else str(value)
                extra = "".join(
                    f"; {k} {np.round(np.asarray(x, dtype=float), 4).tolist()}"
                    for k, x in c.get("numbers", {}).items()
                )
                failed.append(
                    f"tel_{tel_id:03d} {c['check']} failed ({shown}, tolerance {c['tolerance']}: "
                    f"{c['detail']}{extra})"
                )
    if failed:
        raise InputDataError(coeff_path, "validation failed: " + "; ".join(failed))

    report = {
        "product": "camera calibration coefficients validation",
        "use_case": "UC-120-2.20",
        "coefficients": coeff_path.name,
        "pedestal_images": ped_path.name,
        "flatfield_images": ff_path.name,
        "extraction_window": window,
        "passed": True,
        "checks": [_jsonable(c) for c in checks],
    }
    with open(ctx.output(OUTPUT_JSON), "w", encoding="utf-8") as out:
        json.dump(report, out, indent=1, sort_keys=True)
        out.write("\n")
    table = Table(
        rows=[
            (
                c["tel_id"],
                c["check"],
                float(c["value"]),
                float(c["tolerance"]),
                c["passed"],
                c["detail"],
            )
            for c in checks
        ],
        names=("tel_id", "check", "value", "tolerance", "passed", "detail"),
    )
    table.meta.update(
        {
            "product": "camera calibration coefficients validation",
            "coefficients": coeff_path.name,
            "pedestal_images": ped_path.name,
            "flatfield_images": ff_path.name,
        }
    )
    table.write(ctx.output(OUTPUT_ECSV), format="ascii.ecsv", overwrite=True)
    shutil.copyfile(coeff_path, ctx.output(OUTPUT_COEFFICIENTS))
    ctx.extra_provenance["validation"] = {
        f"tel_{c['tel_id']:03d}:{c['check']}": _jsonable(c["value"]) for c in checks
    }
