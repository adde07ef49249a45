"""Contemporary molecular atmosphere model of a night (UC-120-1.7).

Inputs: the normalised meteorological table (``meteo.ecsv``), the 12-MACOBAC
(``macobac.ecsv``, one row), the selected reference model
(``reference_model.ecsv`` from ``select-reference-model``) and optionally the
selection record (``reference_selection.json``). The night's mean isobaric
levels above the site's ground give p, T and humidity up to the top of the
data; below them (down to 0 km a.s.l., where CORSIKA tables start) the column
is extrapolated hydrostatically with the standard lapse rate (6.5 K/km); above
them the reference model continues, joined without a jump
(``calibpipe_tasks.atmosphere.atmospheric_model``). Products:

* ``model_profile.ecsv`` - the atmospheric profile on CTAO's 55-level grid
  (0-30 km step 1, 32-50 km step 2, 55-120 km step 5): altitude [km],
  density [g/cm3] (CIPM-2007 real gas with humidity and CO2), thickness [g/cm2]
  (density integrated from the top), refractive_index (n-1, Ciddor 1996 at
  ``--refractive-index-wavelength``, default 350 nm as CTAO's molecularprofiles),
  temperature [K], pressure [hPa], water_vapor_partial_pressure (p_w/p);
* ``model_extinction.ecsv`` - Rayleigh optical depth from the observation level
  up to each emission altitude, for 200-1000 nm in 1 nm steps (Tomasi 2005 with
  Ciddor n, King factors of N2, O2, Ar, CO2, H2O, real-gas number density; the
  night's CO2 and humidity up to the data top);
* ``model_layer_fit.ecsv`` - CORSIKA's 5-layer fit of the thickness
  (meta ``max_relative_residual``);
* with ``--plots``: ``model_profile_vs_reference.png``, ``model_extinction.png``;
* the SimPipe exchange set (:mod:`calibpipe_tasks.io.simpipe`) for the CTAO sites:
  ``atmospheric_profile_<id>.ecsv``, ``atmospheric_transmission_<id>.ecsv`` and
  their simtools JSON records, ``atmprof_<id>.dat`` (CORSIKA),
  ``atm_trans_<id>.dat`` (sim_telarray) and the manifest
  ``atmosphere_exchange_<id>.json``; ``<id>`` is ``--product-id`` or
  ``<site>-<window start>`` (e.g. ``north-20240115T2044``).

With ``--clear-night clear_night.json`` (the record of ``assess-clear-night`` for
the same site and night) the manifest records the night's verdict, reason, mean
VAOD with its error and the record's size and sha256 (block ``clear_night``,
manifest version 1.1.0). A night that is not clear is still delivered, marked by
its verdict. Without it the products are exactly as before. A record for another
site, or for a night that does not overlap the meteorological window, exits 3.
"""

from ..argtypes import positive_float

NAME = "create-atmospheric-model"
HELP = "night's atmospheric profile, Rayleigh extinction and 5-layer fit (UC-120-1.7)"
PROFILE = "model_profile.ecsv"
EXTINCTION = "model_extinction.ecsv"
LAYER_FIT = "model_layer_fit.ecsv"
PLOT_PROFILE = "model_profile_vs_reference.png"
PLOT_EXTINCTION = "model_extinction.png"
#: the meteorological data must reach this altitude [km] (reference selection at 15 km)
MIN_DATA_TOP_KM = 15.0


def add_arguments(parser):
    parser.add_argument("--meteo", required=True, help="normalised meteorological table (ECSV)")
    parser.add_argument("--macobac", required=True, help="12-MACOBAC table (macobac.ecsv)")
    parser.add_argument(
        "--reference-model", required=True, help="selected reference model (reference_model.ecsv)"
    )
    parser.add_argument(
        "--selection", default=None, help="selection record (reference_selection.json), optional"
    )
    parser.add_argument(
        "--product-id",
        default=None,
        help="identifier of the SimPipe exchange set, used in its file names "
        "(default: <site>-<window start>, e.g. north-20240115T2044)",
    )
    parser.add_argument(
        "--refractive-index-wavelength",
        type=positive_float,
        metavar="NM",
        default=350.0,
        help="vacuum wavelength [nm] of the profile's n-1 (350, as CTAO's molecularprofiles)",
    )
    parser.add_argument(
        "--wavelength-min", type=positive_float, metavar="NM", default=200.0, help="[nm] (200)"
    )
    parser.add_argument(
        "--wavelength-max", type=positive_float, metavar="NM", default=1000.0, help="[nm] (1000)"
    )
    parser.add_argument(
        "--wavelength-step", type=positive_float, metavar="NM", default=1.0, help="[nm] (1)"
    )
    parser.add_argument(
        "--emission-altitudes",
        type=positive_float,
        nargs="+",
        default=None,
        metavar="KM",
        help="emission altitudes [km a.s.l.] (default: 53 levels from 50 m above ground to 100 km)",
    )
    parser.add_argument(
        "--fit-boundaries",
        type=float,
        nargs=5,
        default=[0.0, 4.0, 10.0, 40.0, 100.0],
        metavar="KM",
        help="lower boundaries of the 5 CORSIKA layers [km] (0 4 10 40 100)",
    )
    parser.add_argument(
        "--blend-scale",
        type=positive_float,
        metavar="KM",
        default=5.0,
        help="e-folding length [km] of the join to the reference model (5)",
    )
    parser.add_argument(
        "--humidity-phase",
        choices=["mixed", "water", "ice"],
        default="mixed",
        help="saturation the relative humidity refers to (mixed: ECMWF/NCEP water-ice blend)",
    )
    parser.add_argument("--plots", action="store_true", help="also write the diagnostic PNGs")
    parser.add_argument(
        "--clear-night",
        default=None,
        metavar="FILE",
        help="clear-night assessment record (clear_night.json of assess-clear-night) of the "
        "night: its verdict goes into the exchange manifest",
    )


def run(args, ctx):
    import numpy as np

    from ..atmosphere.model_products import compute_model
    from ..errors import UsageError
    from ..io.macobac_table import read_macobac
    from ..io.meteo_table import read_meteo_table
    from ..io.reference_atmosphere import read_reference_model, read_selection_record

    if args.wavelength_max < args.wavelength_min:
        raise UsageError("--wavelength-max must not be below --wavelength-min")
    bounds = np.asarray(args.fit_boundaries, dtype=float)
    if bounds.size != 5 or np.any(np.diff(bounds) < 1.0) or bounds[0] < 0 or bounds[4] > 115:
        raise UsageError(
            "--fit-boundaries needs 5 boundaries in [0, 115] km, increasing by at least 1 km"
        )
    meteo_path = ctx.add_input(args.meteo, role="meteo")
    macobac_path = ctx.add_input(args.macobac, role="macobac")
    reference_path = ctx.add_input(args.reference_model, role="reference_model")
    selection = {}
    if args.selection:
        selection_path = ctx.add_input(args.selection, role="reference_selection")
        selection = read_selection_record(selection_path)
    meteo = read_meteo_table(meteo_path)
    clear_night = None
    if args.clear_night:
        clear_night = _clear_night_block(
            ctx.add_input(args.clear_night, role="clear_night_record"), meteo.meta
        )
    co2_ppm = read_macobac(macobac_path)
    reference = read_reference_model(reference_path)
    wavelengths = np.arange(
        args.wavelength_min, args.wavelength_max + 0.5 * args.wavelength_step, args.wavelength_step
    )
    products = compute_model(
        meteo,
        reference,
        co2_ppm,
        wavelengths_nm=wavelengths,
        emission_altitudes_km=args.emission_altitudes,
        refractive_index_wavelength_nm=args.refractive_index_wavelength,
        fit_boundaries_km=args.fit_boundaries,
        blend_scale_km=args.blend_scale,
        humidity_phase=args.humidity_phase,
        min_data_top_km=MIN_DATA_TOP_KM,
        meteo_path=meteo_path,
        reference_path=reference_path,
    )
    products.profile.meta["reference_model_file"] = reference_path.name
    for key in ("season", "version", "method"):
        if key in selection:
            products.profile.meta[f"reference_{key}"] = selection[key]
    write_products(ctx, products)
    write_exchange(
        ctx,
        products,
        meteo.meta,
        _reference_identity(selection, reference_path),
        args.product_id,
        clear_night,
    )
    if args.plots:
        from ..plotting import plot_extinction, plot_profile_vs_reference

        plot_profile_vs_reference(products.profile, reference, ctx.output(PLOT_PROFILE))
        plot_extinction(products.extinction, ctx.output(PLOT_EXTINCTION))
    ctx.extra_provenance["co2_ppm"] = co2_ppm
    ctx.extra_provenance["max_relative_residual"] = products.layer_fit.meta["max_relative_residual"]


def write_products(ctx, products):
    """Write the model's products: the one place to wire the SimPipe exchange writer in.

    ``products.profile`` (astropy Table), ``products.extinction``
    (:class:`calibpipe_tasks.atmosphere.model_products.Extinction`) and
    ``products.layer_fit`` (astropy Table) are the agreed in-memory forms.
    """
    from ..atmosphere.model_products import extinction_table
    from ..io.ecsv_numeric import write_numeric_ecsv

    products.profile.write(ctx.output(PROFILE), format="ascii.ecsv", overwrite=True)
    write_numeric_ecsv(
        extinction_table(products.extinction), ctx.output(EXTINCTION), ("%g", "%.6f", "%.10e")
    )
    products.layer_fit.write(ctx.output(LAYER_FIT), format="ascii.ecsv", overwrite=True)


def _reference_identity(selection, reference_path):
    """Season and version of the reference model: from the selection record, else its file name."""
    from ..errors import UsageError
    from ..io.reference_atmosphere import MODEL_PATTERN

    if "season" in selection and "version" in selection:
        return {"season": str(selection["season"]), "version": str(selection["version"])}
    match = MODEL_PATTERN.match(reference_path.name)
    if match:
        return {"season": match["season"], "version": match["version"]}
    raise UsageError(
        f"{reference_path}: season and version of the reference model unknown; give --selection "
        "(reference_selection.json) or a reference_atmo_model_<version>_<site>_<season>.ecsv file"
    )


def default_product_id(site_name, window_start):
    """``<site>-<YYYYMMDDTHHMM>`` from the site name and the ISO start of the validity window."""
    import datetime

    start = datetime.datetime.fromisoformat(str(window_start).replace("Z", "+00:00"))
    return f"{site_name.lower()}-{start:%Y%m%dT%H%M}"


def _clear_night_block(path, meteo_meta):
    """The manifest's ``clear_night`` block from a record of the model's site and night."""
    from ..errors import InputDataError
    from ..io.clear_night_record import manifest_block, read_clear_night_record
    from ..io.simpipe import _utc

    record = read_clear_night_record(path)
    site = record["site"]["name"]
    if site != str(meteo_meta.get("site")):
        raise InputDataError(
            path, f"is for site {site}, the meteorological table for {meteo_meta.get('site')}"
        )
    try:
        night = (_utc(record["night"]["start"]), _utc(record["night"]["end"]))
    except ValueError as err:
        raise InputDataError(path, f"night: {err}") from None
    start, end = meteo_meta.get("window_start"), meteo_meta.get("window_end")
    if start is not None and end is not None:
        window = (_utc(start), _utc(end))
        if night[1] <= window[0] or night[0] >= window[1]:
            raise InputDataError(
                path,
                f"is for the night {night[0]} to {night[1]}, which does not overlap the "
                f"meteorological window {window[0]} to {window[1]}",
            )
    return manifest_block(path, record, night)


def write_exchange(ctx, products, meteo_meta, reference, product_id=None, clear_night=None):
    """Write the SimPipe exchange set of the model (CTAO sites only: simtools knows no other).

    ``reference`` holds the ``season`` and ``version`` of the reference model used above the data;
    ``clear_night`` the manifest's optional clear-night block (:func:`_clear_night_block`).
    """
    from ..errors import UsageError
    from ..io.simpipe import ExchangeInfo, write_exchange_set
    from ..sites import SITES

    site = SITES.get(str(meteo_meta.get("site")))
    if site is None:
        raise UsageError(
            f"site {meteo_meta.get('site')!r}: the SimPipe exchange needs a CTAO site (North/South)"
        )
    meta = products.profile.meta
    start, end = meteo_meta.get("window_start"), meteo_meta.get("window_end")
    if start is None or end is None:
        raise UsageError(
            "the meteorological table has no window_start/window_end meta (the exchange's "
            "validity); write it with ingest-meteo"
        )
    info = ExchangeInfo(
        product_id=product_id or default_product_id(site.name, start),
        site=site,
        validity_start=start,
        validity_end=end,
        data_source=str(meteo_meta["data_source"]),
        dataset=str(meteo_meta.get("dataset", meteo_meta["data_source"])),
        co2_ppm=float(meta["co2_ppm"]),
        reference_season=reference["season"],
        reference_version=reference["version"],
    )
    try:
        names = write_exchange_set(
            ctx.output,
            products.profile,
            products.extinction,
            products.layer_fit,
            info,
            clear_night=clear_night,
        )
    except ValueError as err:
        raise UsageError(f"SimPipe exchange: {err}") from None
    ctx.extra_provenance["exchange_manifest"] = names["manifest"]
    if clear_night is not None:
        ctx.extra_provenance["clear_night_verdict"] = clear_night["verdict"]
