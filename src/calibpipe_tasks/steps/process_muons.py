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
        help="pedestal noise rms per pixel in the intensity likelihood (default 1.1 p.e.)",
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
    check_dl1_images(path)

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
            counts = process_file(path, output, settings, workers=workers, progress=progress)
    except InputDataError:
        raise
    except ExpressionError as err:  # compiles, but fails on the data (e.g. a missing attribute)
        raise UsageError(f"quality cut cannot be evaluated: {err}") from None
    except (KeyError, ValueError, OSError) as err:
        raise InputDataError(path, f"cannot process DL1 images ({err})") from None
    normalise_hdf5_metadata(output, path)
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
    }
