"""Molecular density profile (MDP) of a night from the normalised meteorological table.

Reads ``meteo.ecsv`` (see ``calibpipe_tasks.io.meteo_table``), computes the
number density of moist air N = p / (Z k T) (CIPM-2007 real gas, humidity from
the relative humidity) for every row, interpolates each profile (one time and
grid point) linearly in ln N onto a fixed altitude grid that starts at the
site's ground level, and writes the mean and standard deviation per level to
``mdp.ecsv``. Levels below the ground are dropped; below a profile's lowest
level the profile is extrapolated from its two lowest levels (column
``extrapolated``). The grid stops at the lowest top of all profiles (meta
``data_top_altitude``): the MDP holds no NaN and no value beyond the data.
With ``--plot`` also ``mdp.png`` (profile with its spread).
"""

NAME = "create-mdp"
HELP = "molecular number density profile of the night from the meteorological table"
OUTPUT = "mdp.ecsv"
PLOT = "mdp.png"


def add_arguments(parser):
    parser.add_argument("--meteo", required=True, help="normalised meteorological table (ECSV)")
    parser.add_argument(
        "--grid-step",
        type=float,
        default=0.5,
        metavar="KM",
        help="altitude step of the grid [km] (0.5)",
    )
    parser.add_argument(
        "--top",
        type=float,
        default=30.0,
        metavar="KM",
        help="highest grid altitude [km] if data reach it (30)",
    )
    parser.add_argument(
        "--humidity-phase",
        choices=["mixed", "water", "ice"],
        default="mixed",
        help="saturation the relative humidity refers to (mixed: ECMWF/NCEP water-ice blend)",
    )
    parser.add_argument("--plot", action="store_true", help=f"also write {PLOT}")


def run(args, ctx):
    import numpy as np
    from astropy.table import Table

    from ..atmosphere.air_density import number_density
    from ..atmosphere.mdp import mdp_grid, molecular_density_profile
    from ..atmosphere.profiles import pack_profiles
    from ..atmosphere.water_vapour import water_vapour_mole_fraction
    from ..errors import InputDataError, UsageError
    from ..io.meteo_table import read_meteo_table

    if args.grid_step <= 0 or args.top <= 0:
        raise UsageError("--grid-step and --top must be positive")
    path = ctx.add_input(args.meteo, role="meteo")
    meteo = read_meteo_table(path)
    ground = float(meteo.meta["site_altitude"])
    pressure = np.asarray(meteo["pressure"].quantity.to_value("Pa"))
    temperature = np.asarray(meteo["temperature"].quantity.to_value("K"))
    xw = water_vapour_mole_fraction(
        pressure, temperature, meteo["relative_humidity"].quantity.to_value("%"),
        args.humidity_phase,
    )  # fmt: skip
    density = number_density(pressure, temperature, xw) * 1e-6  # 1/cm3
    altitude, packed, n_dropped, counts = pack_profiles(
        meteo["time"].mjd,
        meteo["latitude"].quantity.to_value("deg"),
        meteo["longitude"].quantity.to_value("deg"),
        meteo["altitude"].quantity.to_value("m"),
        {"density": density},
        ground,
    )
    if counts.min() < 2:
        raise InputDataError(path, "a profile has fewer than 2 levels above the site's ground")
    data_top = float(np.nanmax(altitude, axis=1).min())
    data_bottom = float(np.nanmin(altitude, axis=1).max())
    top = min(args.top * 1e3, data_top)
    grid = mdp_grid(ground, top, args.grid_step * 1e3)
    mean, std, extrapolated = molecular_density_profile(altitude, packed["density"], grid)

    table = Table()
    table["altitude"] = np.round(grid / 1e3, 6)
    table["altitude"].unit = "km"
    table["altitude"].description = "geometric altitude above sea level"
    table["number_density"] = mean
    table["number_density"].unit = "1 / cm3"
    table["number_density"].description = "night mean molecular number density (moist air)"
    table["number_density_std"] = std
    table["number_density_std"].unit = "1 / cm3"
    table["number_density_std"].description = "standard deviation over times and grid points"
    table["extrapolated"] = extrapolated
    table["extrapolated"].description = "below the lowest meteorological level of some profile"
    n_times = len(np.unique(meteo["time"].mjd))
    table.meta.update(
        {
            "product": "molecular density profile",
            "site": meteo.meta["site"],
            "site_latitude": float(meteo.meta["site_latitude"]),
            "site_longitude": float(meteo.meta["site_longitude"]),
            "site_altitude": ground,
            "data_source": meteo.meta["data_source"],
            "window_start": meteo.meta.get("window_start", ""),
            "window_end": meteo.meta.get("window_end", ""),
            "data_top_altitude_km": round(data_top / 1e3, 6),
            "data_bottom_altitude_km": round(data_bottom / 1e3, 6),
            "n_profiles": int(altitude.shape[0]),
            "n_times": int(n_times),
            "n_grid_points": int(altitude.shape[0] // max(n_times, 1)),
            "levels_below_ground_dropped": n_dropped,
            "humidity_phase": args.humidity_phase,
            "method": "N = p/(Z k T) per level, linear in ln N vs altitude, mean/std over profiles",
        }
    )
    table.write(ctx.output(OUTPUT), format="ascii.ecsv", overwrite=True)
    ctx.extra_provenance["data_top_altitude_km"] = table.meta["data_top_altitude_km"]
    if args.plot:
        from ..plotting import plot_mdp

        plot_mdp(table, ctx.output(PLOT))
