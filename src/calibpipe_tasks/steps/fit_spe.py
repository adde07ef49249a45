"""Absolute gain and F^2 per pixel from single-photo-electron charge spectra (UC-120-2.20).

Reads the camera images of faint flat-field events (a ctapipe DL1 file,
``/dl1/event/telescope/images/tel_NNN``, e.g. from ``ctapipe-process`` with an
event-type filter, charges *not* yet converted to photo-electrons; images with both gain
channels are fitted in ``--gain-channel``, default high), makes one
charge histogram per pixel (numpy, common bins) and fits the compound-Poisson
single-p.e. model of :mod:`calibpipe_tasks.camera.spe` to all pixels at once.
Writes ``spe_fit.ecsv``: per telescope and pixel the pedestal, its noise, the
absolute gain, the excess noise factor F^2, the mean illumination mu, their
errors, the number of events and ``is_valid``; pixels whose fit failed carry
the camera median (flagged), never NaN. The table is what
``compute-camera-coefficients --f-squared-table`` reads (columns ``tel_id``,
``pixel_id``, ``f_squared``).
"""

from ..argtypes import positive_float, positive_int
from .camera_options import add_telescope_argument

NAME = "fit-spe"
HELP = "absolute gain and F^2 per pixel from single-p.e. charge spectra (batched fit)"
OUTPUT = "spe_fit.ecsv"
IMAGES_GROUP = "/dl1/event/telescope/images"
#: a single-p.e. spectrum: camera median mu at most this
MAX_MEDIAN_MU = 3.0


def add_arguments(parser):
    parser.add_argument(
        "--input", required=True, metavar="DL1.h5", help="ctapipe DL1 file with the images"
    )
    add_telescope_argument(parser, "to fit", "every telescope with images")
    parser.add_argument(
        "--bins", type=positive_int, default=200, help="histogram bins (default 200)"
    )
    parser.add_argument(
        "--range",
        type=float,
        nargs=2,
        default=None,
        metavar=("LOW", "HIGH"),
        help="histogram range in charge units (default: the 0.02 and 99.98 percentiles)",
    )
    parser.add_argument(
        "--min-events",
        type=positive_int,
        default=1000,
        help="refuse telescopes with fewer events (default 1000)",
    )
    parser.add_argument(
        "--iterations",
        type=positive_int,
        default=60,
        help="Levenberg-Marquardt iterations (default 60)",
    )
    parser.add_argument(
        "--gain-channel",
        choices=("high", "low"),
        default="high",
        help="channel to fit when the images have both (default high; gain-selected images "
        "have one)",
    )
    parser.add_argument(
        "--max-f-squared",
        type=positive_float,
        default=2.0,
        help="a fitted F^2 above this is not valid (default 2)",
    )


def _read_images(path, tel_ids, channel=0):
    import numpy as np

    from ..errors import InputDataError
    from ..io.muon_tables import open_checked

    out = {}
    with open_checked(path) as h5:
        if IMAGES_GROUP not in h5:
            raise InputDataError(path, f"no DL1 camera images ({IMAGES_GROUP}/tel_NNN)")
        names = sorted(n._v_name for n in h5.get_node(IMAGES_GROUP)._f_iter_nodes("Table"))
        present = {int(n.split("_")[1]): n for n in names if n.startswith("tel_")}
        wanted = sorted(present) if tel_ids is None else sorted(set(tel_ids))
        missing = [t for t in wanted if t not in present]
        if missing or not wanted:
            text = ", ".join(f"tel_{t:03d}" for t in missing) or "any telescope"
            raise InputDataError(path, f"no images of {text} in {IMAGES_GROUP}")
        for tel_id in wanted:
            table = h5.get_node(f"{IMAGES_GROUP}/{present[tel_id]}")
            if "image" not in table.colnames:
                raise InputDataError(path, f"{IMAGES_GROUP}/{present[tel_id]} has no image column")
            images = table.col("image")
            if images.ndim == 3:  # (events, channels, pixels): not gain selected
                if images.shape[1] <= channel:
                    raise InputDataError(
                        path, f"tel_{tel_id:03d}: images of {images.shape[1]} channel(s)"
                    )
                images = images[:, channel, :]
            if images.ndim != 2:
                raise InputDataError(path, f"tel_{tel_id:03d}: images of shape {images.shape}")
            out[tel_id] = np.asarray(images, dtype=float)
    return out


def run(args, ctx):
    import logging

    import numpy as np
    from astropy.table import Table, vstack

    from ..camera.spe import charge_histograms, fit_spe
    from ..errors import InputDataError, UsageError

    log = logging.getLogger(__name__)
    if args.range is not None and not args.range[0] < args.range[1]:
        raise UsageError("--range LOW HIGH needs LOW < HIGH")
    path = ctx.add_input(args.input, role="spe_images")
    channel = 0 if args.gain_channel == "high" else 1
    images = _read_images(path, args.telescope, channel)
    tables, used = [], {}
    for tel_id, charges in images.items():
        n_events, n_pixels = charges.shape
        if n_events < args.min_events:
            raise InputDataError(
                path,
                f"tel_{tel_id:03d}: {n_events} events, fewer than --min-events {args.min_events}",
            )
        finite = np.isfinite(charges)
        if not finite.any():
            raise InputDataError(path, f"tel_{tel_id:03d}: no finite charge")
        if args.range is None:
            low, high = np.percentile(charges[finite], [0.02, 99.98])
        else:
            low, high = args.range
        edges = np.linspace(low, high, args.bins + 1)
        counts, n_per_pixel = charge_histograms(charges, edges)
        result = fit_spe(counts, edges, n_per_pixel, iterations=args.iterations)
        valid = (
            result["converged"]
            & (result["mu"] > 0.05)
            & (result["mu"] < MAX_MEDIAN_MU)
            & (result["f_squared"] < args.max_f_squared)
            & (result["gain"] > result["pedestal_std"])
            & (n_per_pixel >= args.min_events)
        )
        if not valid.any():
            raise InputDataError(
                path, f"tel_{tel_id:03d}: the single-p.e. fit failed in every pixel"
            )
        median_mu = float(np.median(result["mu"][valid]))
        if median_mu > MAX_MEDIAN_MU:
            raise InputDataError(
                path, f"tel_{tel_id:03d}: not a single-p.e. spectrum (median mu {median_mu:.3g})"
            )
        table = Table()
        table["tel_id"] = np.full(n_pixels, tel_id, dtype=np.int16)
        table["pixel_id"] = np.arange(n_pixels, dtype=np.int32)
        texts = {
            "pedestal": "mean pedestal charge",
            "pedestal_std": "pedestal charge std (noise)",
            "gain": "absolute gain: charge per photo-electron",
            "f_squared": "excess noise factor 1 + (sigma_1 / gain)^2",
            "mu": "mean photo-electrons per event",
            "spe_width": "relative width sigma_1 / gain of the single-p.e. response",
        }
        for name, text in texts.items():
            value, error = result[name], result[f"{name}_err"]
            spread = 1.4826 * np.median(np.abs(value[valid] - np.median(value[valid])))
            table[name] = np.where(valid, value, np.median(value[valid]))
            table[name].description = text + " (camera median where not valid)"
            table[f"{name}_err"] = np.where(valid & np.isfinite(error), error, spread)
            table[f"{name}_err"].description = f"uncertainty of {name}"
        table["n_events"] = n_per_pixel
        table["n_events"].description = "finite charges of the pixel"
        table["is_valid"] = valid
        table["is_valid"].description = "fit converged with mu, F^2 and gain in range"
        tables.append(table)
        used[f"tel_{tel_id:03d}"] = {
            "range": [float(low), float(high)],
            "bins": args.bins,
            "n_valid": int(valid.sum()),
            "n_pixels": int(n_pixels),
        }
        log.info(
            "tel_%03d: %d of %d pixels fitted; median gain %.4g, F^2 %.4g, mu %.3g",
            tel_id,
            valid.sum(),
            n_pixels,
            np.median(result["gain"][valid]),
            np.median(result["f_squared"][valid]),
            median_mu,
        )
    out = vstack(tables) if len(tables) > 1 else tables[0]
    out.meta.update(
        {
            "product": "single-photo-electron fit per pixel",
            "use_case": "UC-120-2.20",
            "method": "binned Poisson likelihood of the compound-Poisson SPE model "
            "(Gaussian single-p.e. response; Caroff et al. 2019, hal-02432593), all pixels "
            "at once (batched Levenberg-Marquardt)",
            "input_file": path.name,
            "charge_unit": "that of the input images",
        }
    )
    out.write(ctx.output(OUTPUT), format="ascii.ecsv", overwrite=True)
    ctx.extra_provenance["telescopes"] = used
