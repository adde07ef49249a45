"""Select the reference atmosphere model of the night (UC-120-1.3).

Compares the night's molecular number density at 15 km (from ``mdp.ecsv``,
interpolated in ln N) with the reference density at 15 km of every season of
the site in the reference set, and picks the closest. The reference set is a
directory (``--reference-dir``; default: the CTAO CalibPipe v0 set shipped with
the package). Writes ``reference_selection.ecsv`` (one row per season: reference
density, distance, chosen), ``reference_selection.json`` (season, version,
densities, distance, model file, method) and ``reference_model.ecsv`` (a byte
copy of the chosen model, for the next step). If the MDP does not reach 15 km
the step fails (exit 3), unless ``--calendar-fallback`` is given: the season is
then the calendar season of ``--date`` (default: the MDP's window start).
"""

from ..argtypes import iso_date

NAME = "select-reference-model"
HELP = "pick the reference atmosphere whose density at 15 km is closest to the night's (UC-120-1.3)"
OUTPUT_TABLE = "reference_selection.ecsv"
OUTPUT_JSON = "reference_selection.json"
OUTPUT_MODEL = "reference_model.ecsv"


def add_arguments(parser):
    parser.add_argument("--mdp", required=True, help="molecular density profile (mdp.ecsv)")
    parser.add_argument(
        "--reference-dir",
        default=None,
        help="directory of the reference set (default: the CTAO v0 set in the package)",
    )
    parser.add_argument("--site", default=None, help="site name (default: the MDP's site)")
    parser.add_argument(
        "--calendar-fallback",
        action="store_true",
        help="use the calendar season when the MDP does not reach 15 km",
    )
    parser.add_argument(
        "--date", type=iso_date, default=None, help="date for the calendar season (YYYY-MM-DD)"
    )


def run(args, ctx):
    import json
    import shutil

    import numpy as np
    from astropy.table import Table

    from ..atmosphere.reference_selection import SELECTION_ALTITUDE_KM, closest, density_at
    from ..errors import InputDataError, UsageError
    from ..io.mdp_table import read_mdp
    from ..io.reference_atmosphere import (
        default_reference_dir,
        find_candidates,
        read_reference_model,
    )
    from ..sites import calendar_season, get_site

    path = ctx.add_input(args.mdp, role="mdp")
    mdp = read_mdp(path)
    altitude = mdp["altitude"].quantity.to_value("km")
    density = mdp["number_density"].quantity.to_value("1 / cm3")
    site = get_site(args.site or mdp.meta.get("site", ""))
    reference_dir = args.reference_dir or default_reference_dir()
    candidates = find_candidates(reference_dir, site.ctao_name)
    for c in candidates:
        ctx.add_input(c.density_file, role="reference_density")

    night = density_at(altitude, density)
    if np.isfinite(night):
        method = "density_at_15km"
        index, distance = closest(night, [c.density_15km_cm3 for c in candidates])
    elif args.calendar_fallback:
        date = args.date or (
            iso_date(str(mdp.meta["window_start"])[:10]) if mdp.meta.get("window_start") else None
        )
        if date is None:
            raise UsageError("--calendar-fallback needs --date (the MDP has no window_start)")
        season = calendar_season(site.name, date.month, date.day)
        seasons = [c.season for c in candidates]
        if season not in seasons:
            raise InputDataError(reference_dir, f"no {season} reference for {site.ctao_name}")
        method = f"calendar_season({date.isoformat()})"
        index, distance = seasons.index(season), np.full(len(candidates), np.nan)
    else:
        raise InputDataError(
            path,
            f"MDP reaches only {altitude[-1]:.2f} km, {SELECTION_ALTITUDE_KM:g} km are needed "
            "to select the reference model (or use --calendar-fallback)",
        )
    chosen = candidates[index]
    ctx.add_input(chosen.model_file, role="reference_model")
    read_reference_model(chosen.model_file)  # the checks the next step applies, failing here

    table = Table()
    table["season"] = [c.season for c in candidates]
    table["version"] = [c.version for c in candidates]
    table["reference_density"] = [c.density_15km_cm3 for c in candidates]
    table["reference_density"].unit = "1 / cm3"
    table["reference_density"].description = "reference number density at 15 km"
    table["distance"] = distance
    table["distance"].unit = "1 / cm3"
    table["distance"].description = "|night density - reference density| at 15 km"
    table["chosen"] = np.arange(len(candidates)) == index
    table["model_file"] = [c.model_file.name for c in candidates]
    table.meta.update(
        {
            "site": site.name,
            "method": method,
            "night_density_15km": night if np.isfinite(night) else None,
            "mdp_file": path.name,
        }
    )
    table.write(ctx.output(OUTPUT_TABLE), format="ascii.ecsv", overwrite=True)
    record = {
        "use_case": "UC-120-1.3",
        "site": site.name,
        "season": chosen.season,
        "version": chosen.version,
        "method": method,
        "selection_altitude_km": SELECTION_ALTITUDE_KM,
        "night_density_15km_cm3": night if np.isfinite(night) else None,
        "reference_density_15km_cm3": chosen.density_15km_cm3,
        "density_distance_cm3": None if np.isnan(distance[index]) else float(distance[index]),
        "relative_distance": None if np.isnan(distance[index]) else float(distance[index] / night),
        "model_file": chosen.model_file.name,
        "reference_density_file": chosen.density_file.name,
    }
    ctx.output(OUTPUT_JSON).write_text(json.dumps(record, indent=2) + "\n")
    shutil.copyfile(chosen.model_file, ctx.output(OUTPUT_MODEL))
    ctx.extra_provenance["selected_season"] = chosen.season
