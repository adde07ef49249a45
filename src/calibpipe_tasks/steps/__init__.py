"""The steps of the collection: one module per ``calibpipe-tasks`` subcommand.

Each step module defines, at import cost of the standard library only:

``NAME``
    the subcommand (and CWL tool) name, e.g. ``"compute-macobac"``;
``HELP``
    one line for ``calibpipe-tasks --help``;
``add_arguments(parser)``
    adds the step's own options to an :class:`argparse.ArgumentParser`;
``run(args, ctx)``
    does the work; imports heavy libraries inside; registers inputs with
    ``ctx.add_input`` and writes products only through ``ctx.output``.

Heavy imports (numpy, astropy, ctapipe, ...) happen inside ``run`` so that
``calibpipe-tasks <step> --help`` stays fast.
"""

#: subcommand name -> module (relative to this package), in the order ``--help`` lists them
STEP_MODULES = {
    # inputs from the services
    "fetch-co2": "fetch_co2",
    "fetch-era5": "fetch_era5",
    "fetch-gdas": "fetch_gdas",
    # molecular atmosphere (UC-120-1.2, 1.3, 1.7)
    "ingest-meteo": "ingest_meteo",
    "compute-macobac": "compute_macobac",
    "create-mdp": "create_mdp",
    "select-reference-model": "select_reference_model",
    "create-atmospheric-model": "create_atmospheric_model",
    "validate-exchange": "validate_exchange",
    # a campaign of nights (scale-out: scattered over the nights)
    "plan-campaign": "plan_campaign",
    "index-campaign": "index_campaign",
    # clear-night assessment from FRAM aerosol optical depths (UC-120-1.12)
    "ingest-fram": "ingest_fram",
    "assess-clear-night": "assess_clear_night",
    # telescope optical throughput and PSF from muon rings (UC-120-2.2, 2.10)
    "process-muons": "process_muons",
    "muon-throughput": "muon_throughput",
    "muon-psf": "muon_psf",
    # pointing corrections from stars in sky-pedestal variance images (DESIGN.md §11)
    "track-stars": "track_stars",
    "fit-pointing": "fit_pointing",
    # camera calibration coefficients (UC-120-2.20)
    "compute-camera-coefficients": "compute_camera_coefficients",
    "fit-spe": "fit_spe",
    "validate-camera-coefficients": "validate_camera_coefficients",
    # array inter- and cross-calibration from shower events (UC-120-2.32, 2.33)
    "array-pair-stats": "array_pair_stats",
    "array-inter-calibration": "array_inter_calibration",
    "array-cross-calibration": "array_cross_calibration",
    "compare-array-muon-throughput": "compare_array_muon_throughput",
    # calibration database
    "db-init": "db_init",
    "db-upload": "db_upload",
    "db-query": "db_query",
    "db-export": "db_export",
}
