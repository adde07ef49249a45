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


#: gain channel index by name (ctapipe: 0 high, 1 low)
CHANNELS = {"high": 0, "low": 1}
#: outlier_reason bit of a channel that gain-selected statistics do not have
_MISSING_CHANNEL_BIT = 128


def read_pedestal_noise(path, tel_ids, n_pixels, channel="high"):
    """Per-pixel sky-pedestal noise [p.e.] by chunk from a camera coefficients file.

    The coefficients of ``compute-camera-coefficients``
    (:data:`COEFFICIENTS_GROUP`/``tel_NNN``): column ``pedestal_noise_pe``
    (sky-pedestal charge std x ``factor``; flagged pixels hold the camera
    median) and the validity start ``time`` of each row.

    Parameters
    ----------
    path : path-like
        The coefficients HDF5 file.
    tel_ids : iterable of int
        Telescopes needed.
    n_pixels : dict
        ``tel_id -> number of pixels`` of the camera the noise is for.
    channel : {"high", "low"}
        Gain channel to take.

    Returns
    -------
    dict
        ``tel_id -> (starts, noise)``: validity starts (TAI MJD, increasing)
        and the noise of shape ``(n_rows, n_pixels)``.

    Raises
    ------
    InputDataError
        Not HDF5, a telescope or the column missing, a pixel count different
        from the camera's, the channel absent (gain-selected statistics),
        non-finite or non-positive noise, or validity starts not increasing.
    """
    import numpy as np
    from ctapipe.io import read_table

    from ..errors import InputDataError
    from .muon_tables import open_checked

    with open_checked(path) as h5:
        present = {
            int(tel_id) for tel_id in tel_ids if f"{COEFFICIENTS_GROUP}/tel_{tel_id:03d}" in h5
        }
    missing = sorted(set(int(t) for t in tel_ids) - present)
    if missing:
        names = ", ".join(f"tel_{t:03d}" for t in missing)
        raise InputDataError(path, f"no camera coefficients for {names} ({COEFFICIENTS_GROUP})")
    out = {}
    for tel_id in sorted(present):
        where = f"{COEFFICIENTS_GROUP}/tel_{tel_id:03d}"
        try:
            table = read_table(path, where)
        except Exception as err:  # noqa: BLE001 - a corrupt table: one line
            raise InputDataError(path, f"unreadable table {where} ({err})") from None
        for column in ("time", "pedestal_noise_pe"):
            if column not in table.colnames:
                raise InputDataError(
                    path, f"{where} has no column {column} (not a compute-camera-coefficients file)"
                )
        if len(table) == 0:
            raise InputDataError(path, f"{where} has no rows")
        noise = np.asarray(getattr(table["pedestal_noise_pe"], "value", table["pedestal_noise_pe"]))
        reason = np.asarray(table["outlier_reason"]) if "outlier_reason" in table.colnames else None
        if noise.ndim == 3:
            index = CHANNELS[channel]
            if index >= noise.shape[1]:
                raise InputDataError(path, f"{where} has no {channel}-gain channel")
            if reason is not None and np.all(reason[:, index] & _MISSING_CHANNEL_BIT):
                raise InputDataError(
                    path, f"{where}: the {channel}-gain channel is missing (gain-selected data)"
                )
            noise = noise[:, index]
        elif noise.ndim != 2:
            raise InputDataError(path, f"{where}: pedestal_noise_pe has shape {noise.shape}")
        if noise.shape[1] != n_pixels[tel_id]:
            raise InputDataError(
                path,
                f"{where}: {noise.shape[1]} pixels, the camera of tel_{tel_id:03d} has "
                f"{n_pixels[tel_id]}",
            )
        bad = ~(np.isfinite(noise) & (noise > 0))
        if np.any(bad):
            row, pixel = np.argwhere(bad)[0]
            raise InputDataError(
                path,
                f"{where}: pedestal_noise_pe not finite and positive (row {row}, pixel {pixel})",
            )
        starts = np.asarray(table["time"].tai.mjd, dtype=float)
        if np.any(np.diff(starts) <= 0):
            raise InputDataError(path, f"{where}: validity starts (time) not increasing")
        out[tel_id] = (starts, noise.astype(float))
    return out
