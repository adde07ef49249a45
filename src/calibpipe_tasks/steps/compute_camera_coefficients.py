"""Camera calibration coefficients from pedestal and flat-field pixel statistics (UC-120-2.20).

Reads the merged pixel statistics of one run (ctapipe-process ->
ctapipe-calculate-pixel-statistics -> ctapipe-merge: ``sky_pedestal_image``,
``flatfield_image`` and ``flatfield_peak_time`` per telescope under
``/dl1/monitoring/telescope/calibration/camera/pixel_statistics/``) and computes,
per telescope, chunk, gain channel and pixel, with the F-factor method on means
and variances (Bencheikh et al. 1992, with the light source's pulse-to-pulse
jitter B): gain, photo-electrons, ``factor``, ``pedestal_offset`` per sample,
``time_shift``, their uncertainties, the number of events, an outlier mask with a
reason per pixel, camera-median fill values for flagged pixels and ``is_valid``
per chunk. Each row is valid from its chunk's start.

Writes new files only (the input is never modified): ``camera_coefficients.h5``
(``/dl1/monitoring/telescope/calibration/camera/coefficients/tel_NNN``, read by
ctapipe's ``HDF5MonitoringSource`` and applied by its ``CameraCalibrator``) and
the summary ``camera_coefficients.ecsv`` (one row per telescope, chunk and
channel).
"""

from ..argtypes import non_negative_float, positive_float, positive_int
from .camera_options import add_telescope_argument, select_telescopes

NAME = "compute-camera-coefficients"
HELP = "camera coefficients (F-factor gain, pedestal, flat-field, time shift) per chunk"
OUTPUT_HDF5 = "camera_coefficients.h5"
OUTPUT_ECSV = "camera_coefficients.ecsv"
OUTPUT_PNG = "camera_coefficients.png"
CHANNELS = {"high": 0, "low": 1}


def _fraction(text):
    value = non_negative_float(text)
    if value > 1:
        import argparse

        raise argparse.ArgumentTypeError(f"must be between 0 and 1: {text!r}")
    return value


def add_arguments(parser):
    parser.add_argument(
        "--input", required=True, metavar="STATS.h5", help="merged pixel statistics (HDF5)"
    )
    add_telescope_argument(parser, "to calibrate", "every telescope in the input")
    parser.add_argument(
        "--pedestal-table",
        choices=["sky_pedestal_image", "pedestal_image"],
        default="sky_pedestal_image",
        help="which pedestal statistics to use (default sky_pedestal_image)",
    )
    parser.add_argument(
        "--window-width",
        type=positive_int,
        default=None,
        metavar="SAMPLES",
        help="extraction window; needed when the input does not record it, checked when it does",
    )
    parser.add_argument(
        "--peak-index",
        type=int,
        default=None,
        metavar="SAMPLE",
        help="FixedWindowSum peak_index of the extraction (with --window-shift): the "
        "flat-field peak times are then corrected for the pedestal charge in the window",
    )
    parser.add_argument(
        "--window-shift",
        type=int,
        default=None,
        metavar="SAMPLES",
        help="FixedWindowSum window_shift of the extraction (the window starts at "
        "peak_index - window_shift); checked against a recorded WINDOW_SHIFT",
    )
    parser.add_argument(
        "--f-squared",
        type=positive_float,
        default=1.222,
        help="excess noise factor F^2 of the camera's photo-detectors (default 1.222, LST PMTs)",
    )
    parser.add_argument(
        "--f-squared-table",
        default=None,
        metavar="F2.ecsv",
        help="F^2 per pixel: ECSV with columns pixel_id, f_squared (optionally tel_id and "
        "f_squared_err, propagated into the errors; fit-spe's spe_fit.ecsv is one)",
    )
    parser.add_argument(
        "--jitter",
        type=non_negative_float,
        default=None,
        metavar="B",
        help="relative pulse-to-pulse jitter of the flat-field light source "
        "(default: the input's LIGHT_SOURCE_JITTER attribute, else 0 with a warning)",
    )
    parser.add_argument(
        "--min-events",
        type=positive_int,
        default=100,
        help="refuse chunks with fewer events in a pixel (default 100)",
    )
    parser.add_argument(
        "--max-flagged-fraction",
        type=_fraction,
        default=0.1,
        help="a chunk with more flagged pixels is not valid (default 0.1)",
    )
    parser.add_argument(
        "--dead-fraction",
        type=_fraction,
        default=0.2,
        help="dead: flat-field signal below this fraction of the camera median (default 0.2)",
    )
    parser.add_argument(
        "--hot-n-sigma",
        type=positive_float,
        default=5.0,
        help="hot: pedestal std above the camera median by this many robust sigmas (default 5)",
    )
    parser.add_argument(
        "--gain-tolerance",
        type=positive_float,
        default=0.5,
        help="gain out of range: off the camera median by more than this fraction (default 0.5)",
    )
    parser.add_argument(
        "--n-pe-n-sigma",
        type=positive_float,
        default=5.0,
        help="n_pe off the camera median by more than this many expected spreads (default 5)",
    )
    parser.add_argument(
        "--max-time-shift",
        type=positive_float,
        default=5.0,
        metavar="NS",
        help="flag pixels whose flat-field peak time is off the camera median by more (default 5)",
    )
    parser.add_argument(
        "--plots",
        action="store_true",
        help=f"also write {OUTPUT_PNG}: camera maps of the first chunk (high gain)",
    )
    parser.add_argument(
        "--gain-selected-channel",
        choices=sorted(CHANNELS),
        default="high",
        help="the channel of gain-selected (single-channel) statistics (default high)",
    )


def _f_squared_per_pixel(path, tel_id, n_pixels, default, with_errors=False):
    import numpy as np
    from astropy.table import Table

    from ..errors import InputDataError

    try:
        table = Table.read(path, format="ascii.ecsv")
    except Exception as err:  # noqa: BLE001 - any failure means an unreadable table
        raise InputDataError(path, f"not a readable ECSV table ({err})") from None
    for column in ("pixel_id", "f_squared"):
        if column not in table.colnames:
            raise InputDataError(path, f"no column {column}")
    if "tel_id" in table.colnames:
        table = table[np.asarray(table["tel_id"]) == tel_id]
    f2 = np.full(n_pixels, float(default))
    f2_err = np.zeros(n_pixels)
    ids = np.asarray(table["pixel_id"], dtype=int)
    values = np.asarray(table["f_squared"], dtype=float)
    if np.any((ids < 0) | (ids >= n_pixels)) or not np.all(values > 1):
        raise InputDataError(path, f"pixel ids outside 0..{n_pixels - 1} or F^2 not above 1")
    f2[ids] = values
    if "f_squared_err" in table.colnames:
        errors = np.asarray(table["f_squared_err"], dtype=float)
        if not np.all(np.isfinite(errors) & (errors >= 0)):
            raise InputDataError(path, "f_squared_err not finite and non-negative")
        f2_err[ids] = errors
    return (f2, f2_err) if with_errors else f2


def run(args, ctx):
    import logging

    import astropy.units as u
    import numpy as np
    from astropy.table import Table
    from astropy.time import Time

    from ..camera.chunks import match_chunks, validity_start
    from ..camera.coefficients import AllPixelsFlagged, compute_coefficients, window_centre
    from ..camera.outliers import REASONS
    from ..errors import InputDataError, UsageError
    from ..io.camera_coefficients import write_coefficients_hdf5
    from ..io.camera_statistics import (
        check_windows,
        read_statistics,
        statistics_arrays,
        telescopes_with_statistics,
    )
    from ..io.dl1_files import hdf5_without_timestamps
    from ..io.muon_tables import read_subarray

    log = logging.getLogger(__name__)
    if (args.peak_index is None) != (args.window_shift is None):
        raise UsageError("--peak-index and --window-shift go together (the window's position)")
    path = ctx.add_input(args.input, role="pixel_statistics")
    if args.f_squared_table is not None:
        ctx.add_input(args.f_squared_table, role="f_squared")
    tel_ids, simulation = telescopes_with_statistics(path, args.pedestal_table)
    tel_ids = select_telescopes(args.telescope, tel_ids, path, "statistics for telescope(s)")
    subarray = read_subarray(path)
    thresholds = dict(
        dead_fraction=args.dead_fraction,
        hot_n_sigma=args.hot_n_sigma,
        gain_tolerance=args.gain_tolerance,
        n_pe_n_sigma=args.n_pe_n_sigma,
        max_time_shift=args.max_time_shift,
    )

    products, summaries, used = {}, [], {}
    for tel_id in tel_ids:
        if tel_id not in subarray.tel:
            raise InputDataError(path, f"tel_{tel_id:03d} is not in the subarray description")
        camera = subarray.tel[tel_id].camera
        n_pixels, n_channels = camera.geometry.n_pixels, camera.readout.n_channels
        tables = read_statistics(path, tel_id, args.pedestal_table)
        width = check_windows(path, tables, args.window_width)
        centre = None
        if args.peak_index is not None:
            recorded = {str(k).upper(): v for k, v in tables["flatfield"].meta.items()}
            shift = recorded.get("WINDOW_SHIFT")
            if shift is not None and str(shift) != str(args.window_shift):
                raise InputDataError(
                    path,
                    f"the charges were extracted with window shift {shift}, "
                    f"not --window-shift {args.window_shift}",
                )
            readout = subarray.tel[tel_id].camera.readout
            centre = window_centre(
                args.peak_index - args.window_shift,
                width,
                readout.n_samples,
                readout.sampling_rate.to_value(u.GHz),
            )
        arrays = {}
        for role, table in tables.items():
            first = arrays.get("pedestal")
            arrays[role] = statistics_arrays(
                path,
                table,
                n_pixels,
                args.min_events,
                n_channels=None if first is None else first["mean"].shape[1],
            )
        jitter = args.jitter
        meta_jitter = {str(k).upper(): v for k, v in tables["flatfield"].meta.items()}.get(
            "LIGHT_SOURCE_JITTER"
        )
        if jitter is None:
            if meta_jitter is not None:
                jitter = float(meta_jitter)
            else:
                jitter = 0.0
                log.warning(
                    "tel_%03d: light-source jitter B unknown (no --jitter, no "
                    "LIGHT_SOURCE_JITTER attribute): B = 0 biases n_pe by -B^2 mu / F^2",
                    tel_id,
                )
        elif meta_jitter is not None and float(meta_jitter) != jitter:
            log.warning(
                "tel_%03d: --jitter %g overrides the input's LIGHT_SOURCE_JITTER %s",
                tel_id,
                jitter,
                meta_jitter,
            )

        # chunks: the flat-field defines them; pedestal and peak time matched in time
        times = {
            role: (
                Time(t["time_start"]).tai.mjd,
                Time(t["time_end"]).tai.mjd,
            )
            for role, t in tables.items()
        }
        ff_start, ff_end = times["flatfield"]
        index = {
            role: match_chunks(ff_start, ff_end, *times[role]) for role in ("pedestal", "peak_time")
        }
        matched = {
            role: {k: v[index[role]] for k, v in arrays[role].items()}
            for role in ("pedestal", "peak_time")
        }
        matched["flatfield"] = arrays["flatfield"]
        start = validity_start(ff_start, times["pedestal"][0][index["pedestal"]])
        end = np.maximum(ff_end, times["pedestal"][1][index["pedestal"]])
        order = np.argsort(start, kind="stable")
        if np.any(np.diff(start[order]) <= 0):
            raise InputDataError(
                path, f"tel_{tel_id:03d}: two flat-field chunks start at the same time"
            )

        n_in = matched["flatfield"]["mean"].shape[1]
        if n_in == n_channels:
            missing_channels = ()
        elif n_in == 1 and n_channels == 2:
            present = CHANNELS[args.gain_selected_channel]
            missing_channels = (1 - present,)
            for role in matched:
                for key, value in matched[role].items():
                    full = np.zeros((value.shape[0], 2, n_pixels), dtype=value.dtype)
                    full[:, present] = value[:, 0]
                    if key == "n_events":
                        full[:, 1 - present] = args.min_events
                    if key in ("mean", "std"):
                        full[:, 1 - present] = 1.0
                    matched[role][key] = full
            log.info(
                "tel_%03d: gain-selected statistics taken as the %s-gain channel; "
                "the other channel is marked missing",
                tel_id,
                args.gain_selected_channel,
            )
        else:
            raise InputDataError(
                path,
                f"tel_{tel_id:03d}: {n_in} gain channels in the statistics, "
                f"the camera has {n_channels}",
            )

        ped_signal = matched["flatfield"]["mean"] - matched["pedestal"]["mean"]
        present_ch = [c for c in range(n_channels) if c not in missing_channels]
        median_signal = np.median(ped_signal[:, present_ch], axis=-1)
        if np.any(~(median_signal > 0)):
            chunk = int(np.argwhere(~(median_signal > 0))[0][0])
            raise InputDataError(
                path,
                f"tel_{tel_id:03d}: the flat-field is not brighter than the pedestal "
                f"(camera median signal {median_signal.ravel()[chunk]:.3g} in chunk {chunk})",
            )
        f2, f2_err = args.f_squared, 0.0
        if args.f_squared_table is not None:
            f2, f2_err = _f_squared_per_pixel(
                args.f_squared_table, tel_id, n_pixels, args.f_squared, with_errors=True
            )
        try:
            result = compute_coefficients(
                matched["pedestal"],
                matched["flatfield"],
                matched["peak_time"],
                window_width=width,
                f_squared=f2,
                jitter=jitter,
                max_flagged_fraction=args.max_flagged_fraction,
                missing_channels=missing_channels,
                f_squared_err=f2_err,
                window_centre=centre,
                **thresholds,
            )
        except AllPixelsFlagged as err:
            raise InputDataError(path, f"tel_{tel_id:03d}: {err}") from None

        unit = tables["flatfield"]["mean"].unit or u.adu
        table = Table()
        table["time"] = Time(start[order], format="mjd", scale="tai")
        table["time_end"] = Time(end[order], format="mjd", scale="tai")
        columns = {
            "factor": ("factor", 1 / unit, "p.e. per unit of extracted charge (flat-fielded)"),
            "factor_err": ("factor_err", 1 / unit, "uncertainty of factor"),
            "pedestal_offset": ("pedestal_offset", unit, "mean sky-pedestal charge per sample"),
            "pedestal_offset_err": ("pedestal_offset_err", unit, "uncertainty of pedestal_offset"),
            "time_shift": (
                "time_shift",
                u.ns,
                "flat-field peak time minus the camera median"
                + (" (pedestal in the window corrected)" if centre is not None else ""),
            ),
            "time_shift_err": ("time_shift_err", u.ns, "uncertainty of time_shift"),
            "gain": ("gain", unit, "F-factor gain: charge per photo-electron"),
            "gain_err": ("gain_err", unit, "uncertainty of gain"),
            "n_pe": ("n_pe", None, "photo-electrons of the flat-field pulse (F-factor)"),
            "n_pe_err": ("n_pe_err", None, "uncertainty of n_pe"),
            "pedestal_noise_pe": (
                "pedestal_noise_pe",
                None,
                "sky-pedestal charge std of the window in p.e. (std x factor)",
            ),
            "pedestal_noise_pe_err": ("pedestal_noise_pe_err", None, "uncertainty of it"),
        }
        for name, (key, col_unit, text) in columns.items():
            table[name] = result[key][order] if col_unit is None else result[key][order] * col_unit
            table[name].description = text
        table["n_events"] = result["n_events"][order]
        table["outlier_mask"] = result["outlier_mask"][order]
        table["outlier_reason"] = result["outlier_reason"][order]
        table["flagged_fraction"] = result["flagged_fraction"][order]
        table["is_valid"] = result["is_valid"][order]
        table["time"].description = "start of validity: start of the chunk (TAI)"
        table["n_events"].description = "flat-field events per pixel (after sigma clipping)"
        table["outlier_reason"].description = "sum of reason bits " + ", ".join(
            f"{b}={n}" for n, b in REASONS.items()
        )
        table.meta.update(
            {
                "method": "F-factor (Bencheikh et al. 1992) on means and variances",
                "f_squared": "per pixel" if args.f_squared_table else repr(float(f2)),
                "light_source_jitter": repr(jitter),
                "window_width": repr(width),
                "pedestal_table": args.pedestal_table,
            }
        )
        if centre is not None:
            table.meta.update(
                {
                    "peak_index": repr(int(args.peak_index)),
                    "window_shift": repr(int(args.window_shift)),
                    "time_shift_pedestal_corrected": "True",
                }
            )
        products[tel_id] = table
        used[f"tel_{tel_id:03d}"] = {"jitter": jitter, "window_width": width}

        for row, k in enumerate(order):
            for channel in range(n_channels):
                is_missing = channel in missing_channels
                reason = result["outlier_reason"][k, channel]
                entry = {
                    "tel_id": tel_id,
                    "chunk": row,
                    "channel": channel,
                    "time_start": start[k],
                    "time_end": end[k],
                    "n_events": int(np.median(result["n_events"][k, channel])),
                    "n_flagged": int(np.count_nonzero(reason)),
                }
                for name, bit in REASONS.items():
                    entry[f"n_{name}"] = int(np.count_nonzero(reason & bit))
                entry["median_factor"] = float(np.median(result["factor"][k, channel]))
                entry["median_gain"] = float(result["median_gain"][k, channel])
                entry["median_n_pe"] = float(result["median_n_pe"][k, channel])
                entry["median_pedestal_offset"] = float(
                    np.median(result["pedestal_offset"][k, channel])
                )
                entry["flagged_fraction"] = float(result["flagged_fraction"][k])
                entry["is_valid"] = bool(result["is_valid"][k]) and not is_missing
                entry["status"] = (
                    "channel not in gain-selected input"
                    if is_missing
                    else ("ok" if result["is_valid"][k] else "too many flagged pixels")
                )
                summaries.append(entry)

    summary = Table(rows=summaries)
    for col in ("time_start", "time_end"):
        summary[col] = Time(summary[col], format="mjd", scale="tai")
        summary[col].format = "isot"
    summary.meta.update(
        {
            "product": "camera calibration coefficients (summary)",
            "use_case": "UC-120-2.20",
            "method": "F-factor (Bencheikh et al. 1992) on sigma-clipped means and variances",
            "input_file": path.name,
            "reason_bits": dict(REASONS),
        }
    )
    summary.write(ctx.output(OUTPUT_ECSV), format="ascii.ecsv", overwrite=True)
    with hdf5_without_timestamps():
        write_coefficients_hdf5(ctx.output(OUTPUT_HDF5), products, subarray, simulation)
    if args.plots:
        from ..io.camera_plots import plot_camera_coefficients

        plot_camera_coefficients(products, subarray, ctx.output(OUTPUT_PNG), REASONS)
    ctx.extra_provenance["telescopes"] = used
