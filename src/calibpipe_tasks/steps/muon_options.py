"""Options and input of the steps that aggregate muon rings (muon-throughput, muon-psf).

The ``--input``, ``--cut``/``--type-cut`` and sigma-clipping options they share, and the
read -> select -> log of the rings (the cuts themselves: :mod:`calibpipe_tasks.muon.selection`).
Module top level: standard library only (imported when a step's ``--help`` is built).
"""

import logging

from ..argtypes import expression, pattern_expression, positive_float, positive_int
from ..muon.selection import DEFAULT_CUTS, DEFAULT_TYPE_CUTS, parse_type_cuts

log = logging.getLogger(__name__)


def add_muon_input_argument(parser):
    """The ``--input MUON.h5 ...`` option of the steps that aggregate muon rings."""
    parser.add_argument(
        "--input",
        nargs="+",
        required=True,
        metavar="MUON.h5",
        help="ctapipe DL1 files with muon tables (one or many runs, same subarray)",
    )


def add_clipping_arguments(parser):
    """The ``--sigma`` and ``--max-iters`` options of sigma clipping."""
    parser.add_argument(
        "--sigma", type=positive_float, default=3.0, help="sigma-clipping threshold (default 3)"
    )
    parser.add_argument(
        "--max-iters", type=positive_int, default=5, help="sigma-clipping iterations (default 5)"
    )


def add_selection_arguments(parser):
    """The ``--cut`` and ``--type-cut`` options."""
    parser.add_argument(
        "--cut",
        action="append",
        type=expression,
        default=None,
        metavar="EXPR",
        help="quality cut for every telescope (repeat; replaces the defaults: "
        + "; ".join(DEFAULT_CUTS)
        + ")",
    )
    parser.add_argument(
        "--type-cut",
        action="append",
        type=pattern_expression,
        default=None,
        metavar="PATTERN=EXPR",
        help="extra cut for telescope types matching PATTERN (repeat; replaces the defaults: "
        + "; ".join(DEFAULT_TYPE_CUTS)
        + ")",
    )


def selection_from_args(args):
    """(common cuts, type cuts) from parsed ``--cut``/``--type-cut`` options."""
    cuts = DEFAULT_CUTS if args.cut is None else args.cut
    type_cuts = parse_type_cuts(DEFAULT_TYPE_CUTS if args.type_cut is None else args.type_cut)
    return list(cuts), type_cuts


def read_selected_rings(paths, cuts, type_cuts):
    """Read the rings of the muon files and apply the cuts; log how many pass per type.

    Returns
    -------
    rings : calibpipe_tasks.io.muon_tables.MuonRings
    selected : ndarray of bool
        Rings passing the cuts.
    counts : dict
        As :func:`selection_mask`.
    """
    from ..io.muon_tables import read_muon_rings
    from ..muon.selection import selection_mask

    rings = read_muon_rings(paths)
    log.info("read %d muon rings from %d file(s)", len(rings), len(paths))
    selected, counts = selection_mask(rings, cuts, type_cuts)
    for type_name, n in counts.items():
        log.info("%s: %d of %d rings pass the cuts", type_name, n["passed"], n["rings"])
    return rings, selected, counts
