"""Checks and metadata of ctapipe DL1 HDF5 files.

ctapipe writes CTAO reference metadata as attributes of the HDF5 root
(``CTA ACTIVITY ID``, ``CTA ACTIVITY START TIME``, ``CTA PRODUCT ID``, ...): an
activity UUID and wall-clock times that differ at every run. The products of a
step must be byte-identical between re-runs (the run's real times and host are
in the step's provenance record), so :func:`normalise_hdf5_metadata` replaces
those with values derived from the input: UUIDs from the input's sha256 and
times from the input product's creation time.
"""

import contextlib
import functools
import uuid
import warnings

from ..errors import InputDataError
from .muon_tables import SUBARRAY_LAYOUT, TRIGGER_TABLE, open_checked

IMAGES_GROUP = "/dl1/event/telescope/images"
_EPOCH = "1970-01-01 00:00:00.000"


def check_dl1_images(path):
    """Raise :class:`InputDataError` unless ``path`` is a ctapipe DL1 file with images."""
    with open_checked(path) as h5:
        if SUBARRAY_LAYOUT not in h5:
            raise InputDataError(path, f"no subarray description ({SUBARRAY_LAYOUT})")
        if IMAGES_GROUP not in h5 or not len(h5.get_node(IMAGES_GROUP)._v_children):
            raise InputDataError(path, f"no DL1 camera images ({IMAGES_GROUP}/tel_NNN)")
        if TRIGGER_TABLE not in h5:
            raise InputDataError(path, f"no trigger table ({TRIGGER_TABLE}) for the event times")


def normalise_hdf5_metadata(output, source):
    """Make the run-dependent CTAO metadata of ``output`` a function of ``source``.

    Parameters
    ----------
    output : path-like
        The HDF5 file just written (modified in place; it is still a temporary file).
    source : path-like
        The input it was made from.
    """
    import tables

    from ..outputs import sha256_of

    digest = sha256_of(source)
    with tables.open_file(str(source), mode="r") as h5:
        attrs = h5.root._v_attrs
        created = (
            str(attrs["CTA PRODUCT CREATION TIME"])
            if "CTA PRODUCT CREATION TIME" in attrs
            else _EPOCH
        )
    values = {
        "CTA ACTIVITY ID": str(uuid.uuid5(uuid.NAMESPACE_OID, f"activity:{digest}")),
        "CTA PRODUCT ID": str(uuid.uuid5(uuid.NAMESPACE_OID, f"product:{digest}")),
        "CTA ACTIVITY START TIME": created,
        "CTA ACTIVITY STOP TIME": created,
        "CTA PRODUCT CREATION TIME": created,
    }
    with warnings.catch_warnings(), tables.open_file(str(output), mode="r+") as h5:
        warnings.simplefilter("ignore", tables.NaturalNameWarning)
        attrs = h5.root._v_attrs
        for key, value in values.items():
            if key in attrs:
                attrs[key] = value


@contextlib.contextmanager
def hdf5_without_timestamps():
    """Within this context, PyTables datasets are created without modification times.

    HDF5 stores a creation/modification time in every dataset's header unless
    told not to (``track_times``); ctapipe's writers do not pass the option, so
    two identical runs would differ in those bytes. This sets its default to
    ``False`` for the ``tables.File.create_*`` dataset methods while active.
    """
    import tables

    names = ("create_table", "create_array", "create_carray", "create_earray", "create_vlarray")
    originals = {name: getattr(tables.File, name) for name in names}

    def untimed(original):
        @functools.wraps(original)
        def create(self, *args, **kwargs):
            kwargs.setdefault("track_times", False)
            return original(self, *args, **kwargs)

        return create

    try:
        for name, original in originals.items():
            setattr(tables.File, name, untimed(original))
        yield
    finally:
        for name, original in originals.items():
            setattr(tables.File, name, original)
