"""Write camera calibration coefficients in ctapipe's monitoring layout.

One table per telescope at
``/dl1/monitoring/telescope/calibration/camera/coefficients/tel_NNN``
(``ctapipe.io.hdf5dataformat.DL1_CAMERA_COEFFICIENTS_GROUP``), written with
:func:`ctapipe.io.write_table` next to the subarray description, so that
``ctapipe.io.HDF5MonitoringSource`` reads it and ``CameraCalibrator`` applies it.
A simulation input makes a simulation product (root attribute
``CTA PRODUCT DATA CATEGORY = Sim``), which ``HDF5MonitoringSource`` needs to
serve simulated events.
"""

COEFFICIENTS_GROUP = "/dl1/monitoring/telescope/calibration/camera/coefficients"


def write_coefficients_hdf5(path, tables, subarray, simulation=False):
    """Write ``{tel_id: astropy Table}`` into the new file ``path``."""
    import tables as pytables
    from ctapipe.io import write_table

    with pytables.open_file(str(path), mode="w") as h5:
        subarray.to_hdf(h5)
        if simulation:
            h5.root._v_attrs["CTA PRODUCT DATA CATEGORY"] = "Sim"
    for tel_id, table in sorted(tables.items()):
        table = table.copy(copy_data=False)
        table.meta = {k: v if isinstance(v, str) else repr(v) for k, v in table.meta.items()}
        write_table(table, path, f"{COEFFICIENTS_GROUP}/tel_{int(tel_id):03d}", append=False)
