"""Write per-telescope monitoring tables in ctapipe's HDF5 layout.

The optical throughput goes to
``/dl1/monitoring/telescope/calibration/optical_throughput/muon/tel_NNN`` (the
path CTAO's tools use, ``ctapipe.io.hdf5dataformat.DL1_TEL_MUON_THROUGHPUT_GROUP``),
the optical PSF to ``/dl1/monitoring/telescope/optical_psf/muon/tel_NNN``; both
written by :func:`ctapipe.io.write_table`, so :func:`ctapipe.io.read_table`
reads them back, next to the subarray description of the inputs.
"""

import numpy as np

THROUGHPUT_GROUP = "/dl1/monitoring/telescope/calibration/optical_throughput/muon"
PSF_GROUP = "/dl1/monitoring/telescope/optical_psf/muon"


def write_monitoring_hdf5(path, table, group, subarray=None):
    """Write ``table`` split by ``tel_id`` to ``{group}/tel_NNN`` in the new file ``path``.

    Parameters
    ----------
    path : path-like
        Output HDF5 file (created; must not be an input).
    table : astropy.table.Table
        With a ``tel_id`` column.
    group : str
        HDF5 group of the per-telescope tables.
    subarray : ctapipe.instrument.SubarrayDescription, optional
        Written too, so that the file describes its telescopes.
    """
    import tables
    from ctapipe.io import write_table

    with tables.open_file(str(path), mode="w") as h5:
        if subarray is not None:
            subarray.to_hdf(h5)
    for tel_id in np.unique(np.asarray(table["tel_id"])):
        rows = table[np.asarray(table["tel_id"]) == tel_id]
        # HDF5 attributes hold scalars: flatten the metadata to strings
        rows.meta = {k: v if isinstance(v, str) else repr(v) for k, v in table.meta.items()}
        write_table(rows, path, f"{group}/tel_{int(tel_id):03d}", append=False)
