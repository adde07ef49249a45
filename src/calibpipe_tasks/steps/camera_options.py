"""The ``--telescope`` option of the camera steps (compute-camera-coefficients, fit-spe,
validate-camera-coefficients) and the choice of telescopes it makes.

Module top level: standard library and :mod:`calibpipe_tasks.argtypes` only (imported when a
step's ``--help`` is built).
"""

from ..argtypes import positive_int


def add_telescope_argument(parser, purpose, default):
    """``--telescope TEL_ID ...``: ``purpose`` (e.g. "to fit"), ``default`` says what is taken
    without it."""
    parser.add_argument(
        "--telescope",
        type=positive_int,
        nargs="+",
        default=None,
        metavar="TEL_ID",
        help=f"telescopes {purpose} (default: {default})",
    )


def select_telescopes(requested, available, path, lacking):
    """The telescopes to process: ``requested`` (sorted, once each) or, if None, ``available``.

    Raises
    ------
    InputDataError
        Of ``path``, "no ``lacking`` tel_NNN, ..." if a requested telescope is not available.
    """
    from ..errors import InputDataError

    if requested is None:
        return available
    missing = sorted(set(requested) - set(available))
    if missing:
        raise InputDataError(path, f"no {lacking} {', '.join(f'tel_{t:03d}' for t in missing)}")
    return sorted(set(requested))
