"""Muon ring parameters from DL1 images with ctapipe, with cuts per telescope type.

Reads a ctapipe DL1 file with camera images, cleans them and computes image
parameters (ctapipe ``ImageProcessor``), fits muon rings and their intensity
(ctapipe ``MuonProcessor``: ``MuonRingFitter`` + ``MuonIntensityFitter``) with
quality cuts chosen per telescope type (ctapipe's defaults reject most MST
rings), and writes a new ctapipe DL1 file with the subarray description,
observation blocks, trigger tables and ``/dl1/event/telescope/muon/tel_NNN``
(ctapipe ``DataWriter``, the layout of ``ctapipe-process --write-muon-parameters``).

Cut options take ``PATTERN=EXPR`` (ctapipe ``QualityQuery`` expressions;
PATTERN matches the telescope type, e.g. ``MST_*``); giving one replaces the
defaults of that pattern. Every expression is compiled, and its names checked
against what ctapipe provides (``dl1_params``; ``parameters``, ``ring``,
``mask``; ``np``, ``u``), before any work: a bad one is a usage error. The
intensity fits run in ``--workers`` processes.
"""

from ..argtypes import expression_with, file_basename, pattern_and, positive_float, positive_int

NAME = "process-muons"
HELP = "DL1 images -> muon ring parameters and optical efficiency (ctapipe MuonProcessor)"
DEFAULT_OUTPUT = "muons.dl1.h5"


#: names ctapipe's MuonProcessor gives its ImageParameterQuery and RingQuery
IMAGE_CUT_NAMES = ("dl1_params",)
RING_CUT_NAMES = ("parameters", "ring", "mask")


def add_arguments(parser):
    parser.add_argument(
        "--input", required=True, metavar="DL1.h5", help="ctapipe DL1 file with camera images"
    )
    parser.add_argument(
        "--output-name",
        type=file_basename,
        default=DEFAULT_OUTPUT,
        metavar="NAME",
        help=f"basename of the muon DL1 file written (default {DEFAULT_OUTPUT})",
    )
    parser.add_argument(
        "--image-cut",
        type=pattern_and(expression_with(IMAGE_CUT_NAMES)),
        action="append",
        default=None,
        metavar="PATTERN=EXPR",
        help="cut on image parameters before the ring fit (repeat; defaults: LST_* "
        "n_pixels > 100, intensity > 500; MST_* n_pixels > 30, intensity > 300; "
        "SST_* n_pixels > 15, intensity > 100)",
    )
    parser.add_argument(
        "--ring-cut",
        type=pattern_and(expression_with(RING_CUT_NAMES)),
        action="append",
        default=None,
        metavar="PATTERN=EXPR",
        help="cut on the fitted ring before the intensity fit (repeat; default ctapipe's: "
        "finite radius, > 50 ring pixels, containment > 0.5)",
    )
    parser.add_argument(
        "--hole-radius",
        type=pattern_and(positive_float),
        action="append",
        default=None,
        metavar="PATTERN=METRES",
        help="radius of the mirror's central hole (repeat; default ctapipe's: LST_*=0.74, "
        "MST_*=0.59, SST_1M_*=0.38)",
    )
    parser.add_argument(
        "--min-wavelength",
        type=positive_float,
        default=300.0,
        metavar="NM",
        help="lower end of the Cherenkov band of the efficiency (default 300 nm)",
    )
    parser.add_argument(
        "--max-wavelength",
        type=positive_float,
        default=600.0,
        metavar="NM",
        help="upper end of the Cherenkov band of the efficiency (default 600 nm)",
    )
    parser.add_argument(
        "--pedestal",
        type=positive_float,
        default=1.1,
        metavar="PE",
        help="pedestal noise rms per pixel in the intensity likelihood (default 1.1 p.e.); "
        "with --pedestal-from-image the value where an image gives no estimate",
    )
    parser.add_argument(
        "--camera-coefficients",
        default=None,
        metavar="COEFFS.h5",
        help="take each pixel's pedestal noise (pedestal_noise_pe, p.e.) from this camera "
        "calibration product of compute-camera-coefficients, the chunk valid at each event",
    )
    parser.add_argument(
        "--coefficients-channel",
        choices=["high", "low"],
        default="high",
        help="gain channel of --camera-coefficients to take (default high)",
    )
    parser.add_argument(
        "--pedestal-from-image",
        action="store_true",
        help="estimate the pedestal noise of each image from its pixels far from the ring",
    )
    parser.add_argument(
        "--workers",
        type=positive_int,
        default=1,
        metavar="N",
        help="processes for the intensity fits (default 1 = no pool; each extra worker costs "
        "a few seconds of start-up, so 2 pays only for long runs; see BENCHMARKS.md)",
    )


def _grouped(pairs, cast=str):
    groups = {}
    for pattern, value in pairs:
        groups.setdefault(pattern, []).append(cast(value))
    return groups


def _pedestal_noise(args, ctx, path):
    """The pedestal source (``None``: the fixed ``--pedestal``) and its metadata."""
    import tables

    from ..io.camera_coefficients import read_pedestal_noise
    from ..io.dl1_files import IMAGES_GROUP
    from ..io.muon_tables import read_subarray
    from ..muon.pedestal import FAR_FRACTION, PedestalNoise

    if args.pedestal_from_image:
        meta = {
            "PEDESTAL_SOURCE": "image",
            "PEDESTAL_METHOD": f"std of the pixels farther than {FAR_FRACTION} radius from "
            f"the ring (8 robust sigma clipped); else {args.pedestal!r} p.e.",
        }
        return PedestalNoise("image", fixed=args.pedestal), meta
    if args.camera_coefficients is None:
        return None, None
    coefficients = ctx.add_input(args.camera_coefficients, role="camera_coefficients")
    subarray = read_subarray(path)
    with tables.open_file(str(path), mode="r") as h5:
        names = [node._v_name for node in h5.get_node(IMAGES_GROUP)._f_iter_nodes("Table")]
    tel_ids = sorted(int(name.split("_")[1]) for name in names if name.startswith("tel_"))
    n_pixels = {t: subarray.tel[t].camera.geometry.n_pixels for t in tel_ids}
    noise = read_pedestal_noise(coefficients, tel_ids, n_pixels, args.coefficients_channel)
    meta = {
        "PEDESTAL_SOURCE": "camera_coefficients",
        "PEDESTAL_METHOD": "per pixel: pedestal_noise_pe of the chunk valid at the event, "
        f"{args.coefficients_channel}-gain channel",
        "PEDESTAL_FILE": coefficients.name,
    }
    return PedestalNoise("camera_coefficients", fixed=args.pedestal, tables=noise), meta


def _write_pedestal_metadata(output, meta, per_tel):
    """Say which pedestal noise the fits used: attributes of each muon table."""
    import tables

    with tables.open_file(str(output), mode="r+") as h5:
        for node in h5.get_node("/dl1/event/telescope/muon")._f_iter_nodes("Table"):
            attrs = node._v_attrs
            for key, value in meta.items():
                attrs[key] = value
            stats = per_tel.get(int(node._v_name.split("_")[1]))
            if stats is not None:
                attrs["PEDESTAL_MEDIAN_PE"] = stats["median_pe"]
                attrs["PEDESTAL_RINGS_FROM_SOURCE"] = stats["from_source"]


def run(args, ctx):
    import logging
    import os

    from ctapipe.core.expression_engine import ExpressionError

    from ..errors import InputDataError, UsageError
    from ..io.dl1_files import check_dl1_images, hdf5_without_timestamps, normalise_hdf5_metadata
    from ..muon.processing import (
        DEFAULT_HOLE_RADIUS,
        DEFAULT_IMAGE_CUTS,
        DEFAULT_RING_CUTS,
        process_file,
    )
    from ..progress import progress

    log = logging.getLogger(__name__)
    if args.min_wavelength >= args.max_wavelength:
        raise UsageError("--min-wavelength must be below --max-wavelength")
    path = ctx.add_input(args.input, role="dl1_images")
    if args.camera_coefficients is not None and args.pedestal_from_image:
        raise UsageError("give --camera-coefficients or --pedestal-from-image, not both")
    check_dl1_images(path)
    pedestal_noise, pedestal_meta = _pedestal_noise(args, ctx, path)

    # patterns given on the command line come first (the first matching pattern wins)
    image_cuts = {**_grouped(args.image_cut or []), **DEFAULT_IMAGE_CUTS}
    image_cuts.update(_grouped(args.image_cut or []))
    ring_cuts = {**_grouped(args.ring_cut or []), **DEFAULT_RING_CUTS}
    ring_cuts.update(_grouped(args.ring_cut or []))
    hole_radius = dict(DEFAULT_HOLE_RADIUS)
    if args.hole_radius:
        try:
            hole_radius.update({p: float(v) for p, v in args.hole_radius})
        except ValueError as err:
            raise UsageError(f"--hole-radius: {err}") from None
    settings = dict(
        image_cuts=image_cuts,
        ring_cuts=ring_cuts,
        hole_radius=hole_radius,
        min_wavelength_nm=args.min_wavelength,
        max_wavelength_nm=args.max_wavelength,
        pedestal=args.pedestal,
    )
    workers = min(args.workers, os.cpu_count() or 1)
    output = ctx.output(args.output_name)
    try:
        with hdf5_without_timestamps():
            counts = process_file(
                path,
                output,
                settings,
                workers=workers,
                progress=progress,
                pedestal_noise=pedestal_noise,
            )
    except InputDataError:
        raise
    except ExpressionError as err:  # compiles, but fails on the data (e.g. a missing attribute)
        raise UsageError(f"quality cut cannot be evaluated: {err}") from None
    except (KeyError, ValueError, OSError) as err:
        raise InputDataError(path, f"cannot process DL1 images ({err})") from None
    normalise_hdf5_metadata(output, path)
    if pedestal_meta is not None:
        _write_pedestal_metadata(output, pedestal_meta, counts.get("pedestal", {}))
    log.info(
        "%d events, %d telescope images, %d rings fitted (%d valid)",
        counts.get("events", 0),
        counts.get("images", 0),
        counts.get("rings_fitted", 0),
        counts.get("rings_valid", 0),
    )
    ctx.extra_provenance["counts"] = counts
    ctx.extra_provenance["settings"] = {
        "image_cuts": image_cuts,
        "ring_cuts": ring_cuts,
        "hole_radius_m": hole_radius,
        "workers": workers,
        "pedestal_source": pedestal_meta or {"PEDESTAL_SOURCE": "fixed"},
    }
