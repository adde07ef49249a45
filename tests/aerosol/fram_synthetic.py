"""Synthetic FRAM nights with a known truth (test-data generator; not part of the package).

A night: astronomical night of ``length_s`` seconds, one FRAM image every
``cadence_s`` (3-6 min), each image with ``stars`` measurements (1: scalar rows,
more: vector rows), apparent zenith angles mostly 0-65 deg with 5 % at 72-85 deg
(removed by the default zenith cut), a few images before dusk and after dawn.
The true tropospheric VAOD at the reference wavelength follows the kind of the
night; the measured slant AOD is ``X(z) (tau_trop(lambda) + tau_strat(lambda))``
plus Gaussian noise of ``error_factor`` times the reported error (1: errors
right; 0.8 / 1.2: reported errors 25 % too large / 20 % too small... i.e. the
true scatter is ``error_factor`` times what is reported).

Kinds (``KINDS``):

``clear``     stable, VAOD 0.02, reported VAOD error 0.004-0.01 per night; 1 % of the
              measurements are isolated glitches (+8..+30 sigma);
``calima``    stable, VAOD 0.1-0.3;
``drift``     VAOD changing linearly over the night by 0.03-0.10 from 0.01-0.03;
``clouds``    clear with 1-3 passages of 20-60 min adding VAOD 0.05-0.5 (at least 3
              images: the detection limit of the outlier rule, see aerosol/outliers.py);
``few``       clear but only 3-15 images.
"""

import numpy as np

from calibpipe_tasks.aerosol.airmass import kasten_young_airmass
from calibpipe_tasks.aerosol.optical_depth import AerosolModel, stratospheric_aod

KINDS = ("clear", "calima", "drift", "clouds", "few")
#: the kinds whose truth is "not clear" (a clear verdict on them is a false clear)
NOT_CLEAR = ("calima", "drift", "clouds")
EXPECTED = {
    "clear": "clear",
    "calima": "aerosol",
    "drift": "variable",
    "clouds": "variable",
    "few": "insufficient-data",
}


def generate_nights(
    kind, n_nights, seed=0, error_factor=1.0, stars=1, model=None, max_images=None, length_s=None
):
    """Nights of one kind as padded arrays (see the module docstring).

    ``length_s`` fixes the length of every night (default: 8-11 h at random).

    Returns
    -------
    dict
        ``times_s``, ``zenith_deg``, ``slant_aod``, ``slant_aod_err``, ``wavelength_nm``,
        ``true_vaod``, ``present`` (shape (n_nights, n_max)), ``image`` (image index of
        each measurement), ``night_length_s``, ``sigma`` (reported VAOD error per night).
    """
    if kind not in KINDS:
        raise ValueError(f"unknown kind {kind!r}")
    model = AerosolModel() if model is None else model
    rng = np.random.default_rng(seed)
    length = rng.uniform(8.0, 11.0, n_nights) * 3600.0
    if length_s is not None:  # a given night length (sample files of a real date)
        length = np.full(n_nights, float(length_s))
    cadence = rng.uniform(180.0, 360.0, n_nights)
    if kind == "few":
        n_images = rng.integers(3, 16, n_nights)
        cadence = length / n_images
    else:
        n_images = np.floor(length / cadence).astype(int)
    n_extra = 4  # images before dusk and after dawn
    n_img_max = int(n_images.max()) + n_extra if max_images is None else max_images
    k = np.arange(n_img_max)[None, :]
    # image times: n_images inside the night, then 2 before dusk, 2 after dawn
    t_img = (k + 0.5) * cadence[:, None]
    before = (k >= n_images[:, None]) & (k < n_images[:, None] + 2)
    after = (k >= n_images[:, None] + 2) & (k < n_images[:, None] + n_extra)
    t_img = np.where(before, -600.0 * (k - n_images[:, None] + 1), t_img)
    t_img = np.where(after, length[:, None] + 600.0 * (k - n_images[:, None] - 1), t_img)
    present_img = k < n_images[:, None] + n_extra

    shape = (n_nights, n_img_max, stars)
    times = np.broadcast_to(t_img[:, :, None], shape) + np.zeros(shape)
    high = rng.random(shape) < 0.05
    zen = np.where(high, rng.uniform(72.0, 85.0, shape), rng.uniform(0.0, 65.0, shape))
    wl = np.broadcast_to(rng.choice([420.0, 550.0], n_nights)[:, None, None], shape) + 0.0
    sigma = rng.uniform(0.004, 0.01, n_nights)
    frac = times / length[:, None, None]

    if kind in ("clear", "few", "clouds"):
        truth = np.full(shape, 0.02)
    elif kind == "calima":
        truth = np.broadcast_to(rng.uniform(0.1, 0.3, n_nights)[:, None, None], shape) + 0.0
    else:  # drift
        start = rng.uniform(0.01, 0.03, n_nights)[:, None, None]
        delta = rng.uniform(0.03, 0.10, n_nights)[:, None, None]
        rising = rng.random(n_nights)[:, None, None] < 0.5
        f = np.clip(frac, 0.0, 1.0)
        truth = start + delta * np.where(rising, f, 1.0 - f)
    if kind == "clouds":
        n_pass = rng.integers(1, 4, n_nights)
        for j in range(3):  # at most 3 passages: a loop over passages, not over data
            on = (j < n_pass)[:, None, None]
            centre = rng.uniform(0.05, 0.95, n_nights)[:, None, None] * length[:, None, None]
            half = 0.5 * rng.uniform(1200.0, 3600.0, n_nights)[:, None, None]
            amp = rng.uniform(0.05, 0.5, n_nights)[:, None, None]
            inside = np.abs(times - centre) <= half
            truth = truth + np.where(on & inside, amp, 0.0)

    airmass = kasten_young_airmass(np.clip(zen, 0.0, 90.0))
    ref = model.reference_wavelength_nm
    to_wl = (wl / ref) ** (-model.tropospheric_angstrom)
    slant_true = airmass * (truth * to_wl + stratospheric_aod(wl, model))
    reported = sigma[:, None, None] * airmass * to_wl
    slant = slant_true + error_factor * reported * rng.standard_normal(shape)
    if kind == "clear":
        glitch = rng.random(shape) < 0.01
        slant = slant + np.where(glitch, rng.uniform(8.0, 30.0, shape) * reported, 0.0)

    present = np.broadcast_to(present_img[:, :, None], shape)
    image = np.broadcast_to(k[:, :, None], shape)
    flat = (n_nights, n_img_max * stars)
    return {
        "times_s": times.reshape(flat),
        "zenith_deg": zen.reshape(flat),
        "slant_aod": slant.reshape(flat),
        "slant_aod_err": reported.reshape(flat),
        "wavelength_nm": wl.reshape(flat),
        "true_vaod": truth.reshape(flat),
        "present": present.reshape(flat).copy(),
        "image": image.reshape(flat).copy(),
        "night_length_s": length,
        "sigma": sigma,
    }


#: CTAO data-model header of an ACADA FRAM table (the keywords ctapipe_mon_acada 0.1.0 writes)
ACADA_HEADER = {
    "CTAOMETA": "2.1.0",
    "TITLE": "FRAM aerosol optical depths (synthetic, calibpipe-tasks tests)",
    "DATALEVL": "DL0",
    "DATADIV": "Monitoring",
    "DATAASSO": "Telescope",
    "DATATYPE": "FRAM",
    "DATAID": "00000000-0000-4000-8000-000000000000",
    "TELESCOP": "CTAO",
    "ASSEMBLY": "FRAM",
    "LICENSE": "CC-BY-4.0",
    "LICENURL": "https://creativecommons.org/licenses/by/4.0/",
    "MODEL": "CTAO-DL0",
    "MODELVER": "1.0.0",
    "MODELURL": "https://ctao.org/",
    "CREATED": "2024-01-01T00:00:00.000000000",
    "AUTHOR": "calibpipe-tasks tests",
    "ORIGIN": "CTAO",
    "EMAIL": "calibpipe@ctao.org",
}


def write_fram_fits(path, night, index, start, site, stars=1, frame="icrs", seed=0):
    """Write night ``index`` of :func:`generate_nights` as an ACADA FRAM FITS file.

    ``start`` is the night's start (:class:`astropy.time.Time`); ``stars`` must be
    the value the nights were generated with (1: scalar rows, more: vector rows
    of that length). ``frame`` ``"icrs"`` writes ``ra``/``dec`` (converted from the
    generated apparent zenith angle and a random azimuth at the site), ``"altaz"``
    writes ``alt``/``az``. Timestamps are elapsed seconds from MJDREF 40587 (UTC),
    as ACADA writes them.
    """
    import astropy.units as u
    from astropy.coordinates import SkyCoord
    from astropy.io import fits
    from astropy.time import Time

    from calibpipe_tasks.steps.ingest_fram import altaz_frame

    rng = np.random.default_rng(seed)
    keep = night["present"][index]
    n = int(keep.sum()) // stars
    shape = (n, stars)

    def take(key):
        return night[key][index][keep].reshape(shape)

    times = start + take("times_s")[:, 0] * u.s
    zen = take("zenith_deg")
    az = rng.uniform(0.0, 360.0, shape)
    columns = []
    elapsed = (times.utc - Time(40587.0, format="mjd", scale="utc")).to_value(u.s)
    columns.append(fits.Column("timestamp", "D", unit="s", array=elapsed))
    vec = f"{stars}D" if stars > 1 else "D"

    def flat(a):
        return a if stars > 1 else a[:, 0]

    if frame == "icrs":
        frames = altaz_frame(
            Time(
                np.repeat(times.jd1, stars), np.repeat(times.jd2, stars), format="jd", scale="utc"
            ),
            site,
        )
        sky = SkyCoord(alt=(90.0 - zen.ravel()) * u.deg, az=az.ravel() * u.deg, frame=frames)
        icrs = sky.transform_to("icrs")
        columns.append(fits.Column("ra", vec, unit="deg", array=flat(icrs.ra.deg.reshape(shape))))
        columns.append(fits.Column("dec", vec, unit="deg", array=flat(icrs.dec.deg.reshape(shape))))
    else:
        columns.append(fits.Column("alt", vec, unit="deg", array=flat(90.0 - zen)))
        columns.append(fits.Column("az", vec, unit="deg", array=flat(az)))
    columns.append(fits.Column("aod", vec, array=flat(take("slant_aod"))))
    columns.append(fits.Column("aod_err", vec, array=flat(take("slant_aod_err"))))
    columns.append(fits.Column("zero_point", "D", array=np.full(n, 15.0)))
    columns.append(fits.Column("img_id", "K", array=np.arange(n)))
    columns.append(fits.Column("observation_id", "K", array=np.ones(n, dtype=np.int64)))
    columns.append(
        fits.Column("peak_wavelength", "D", unit="nm", array=take("wavelength_nm")[:, 0])
    )
    hdu = fits.BinTableHDU.from_columns(columns, name="MONITOR")
    hdu.header["TCTYP1"] = "UTC"
    hdu.header["TCUNI1"] = "s"
    hdu.header["TIMESYS"] = "UTC"
    hdu.header["MJDREF"] = 40587.0
    hdu.header["TIMEUNIT"] = "s"
    for key, value in ACADA_HEADER.items():
        hdu.header[key] = value
    order = np.argsort(elapsed)
    hdu.header["TSTART"] = times[order[0]].utc.isot + "000000"
    hdu.header["TSTOP"] = times[order[-1]].utc.isot + "000000"
    fits.HDUList([fits.PrimaryHDU(), hdu]).writeto(path, overwrite=True)
