"""The bad-input corpus: every step, every class of malformed input (issue 10, item 5).

Each case builds its malformed input in ``tmp_path`` from the bundled samples and runs the
step in-process with an empty output directory as the working directory. Every case asserts
the contract of DESIGN.md §3: the documented exit code (2 usage, 3 invalid input data),
exactly one non-log line on stderr, starting with the step's prefix, naming the file or option
and the problem, no traceback, and nothing written (no product, no temporary, no provenance).

The classes: a missing or unreadable input; a table lacking a column, in the wrong unit, with
no rows, with NaN/infinite/non-positive values, not monotonic where the physics needs it
(:mod:`calibpipe_tasks.io.table_checks`, shared by every step reading the table); a JSON
document that is not an object or lacks keys; a user expression that does not compile or uses
unknown names; a URL that is not an http(s) URL; a credentials path that is a directory;
multi-line library messages folded into one line.
"""

import shutil
from dataclasses import dataclass, field

import numpy as np
import pytest
from astropy.table import Table
from conftest import DATA, error_lines

from calibpipe_tasks import units
from calibpipe_tasks.io.reference_atmosphere import default_reference_dir
from calibpipe_tasks.steps import STEP_MODULES

METEO = DATA / "meteo_north_era5like.ecsv"
MDP = DATA / "mdp_north_sample.ecsv"
MACOBAC = DATA / "macobac_sample.ecsv"
CO2 = DATA / "scripps_monthly_in_situ_co2_mlo.csv"
GRIB = DATA / "era5_north_20240115.grib"
REFERENCE = default_reference_dir() / "reference_atmo_model_v0_ctao-north_winter.ecsv"
DL1 = DATA / "muon" / "run201.dl1.h5"
MUON = DATA / "muon" / "run201.muon.h5"
EXCHANGE = DATA / "exchange_sample"
MANIFEST = "atmosphere_exchange_sample-north-20230615.json"
DB_DATA = DATA.parent / "db" / "data"
SQLITE = DB_DATA / "calibration.sqlite"
DB_PROFILE = DB_DATA / "atmospheric_profile.ecsv"
NIGHT = ("--site", "North", "--date", "2024-01-15")


@dataclass
class Case:
    """One malformed input: ``build(d)`` writes files into ``d`` and returns the step's args."""

    id: str
    step: str
    build: object
    code: int
    named: object  # str, or callable(d) -> str: the file or option the line must name
    problem: tuple = field(default_factory=tuple)  # substrings saying what is wrong
    slow: bool = False  # runs ctapipe's image processing (numba compilation: ~20 s)


# ---------------------------------------------------------------- builders of bad inputs


def edited(source, name, change, d):
    """``source`` read as a table, changed by ``change(table)``, written to ``d / name``."""
    units.enable()
    table = Table.read(source, format="ascii.ecsv")
    result = change(table)
    table = result if isinstance(result, Table) else table
    path = d / name
    table.write(path, format="ascii.ecsv", overwrite=True)
    return path


def text_file(d, name, text):
    path = d / name
    path.write_text(text)
    return path


def binary_file(d, name):
    path = d / name
    path.write_bytes(bytes(range(256)) * 8)
    return path


def set_value(column, row, value):
    def change(table):
        table[column] = np.asarray(table[column], dtype=float)
        table[column][row] = value
        table[column].unit = Table.read(METEO, format="ascii.ecsv")[column].unit

    return change


def swap_pressure(table):
    """Two levels of the first profile exchange their pressures: not decreasing with altitude."""
    p = np.array(table["pressure"])
    p[[5, 6]] = p[[6, 5]]
    table["pressure"] = p * table["pressure"].unit


def meteo(change, name="meteo_bad.ecsv"):
    return lambda d: ["--meteo", edited(METEO, name, change, d)]


def mdp(change):
    return lambda d: ["--mdp", edited(MDP, "mdp_bad.ecsv", change, d)]


def times_are_words(table):
    table.replace_column("time", ["yesterday"] * len(table))


def nan_density_near(km):
    def change(table):
        table["number_density"][np.argmin(np.abs(table["altitude"] - km))] = np.nan

    return change


def model(d, meteo_path=METEO, macobac=MACOBAC, reference=REFERENCE, *extra):
    return ["--meteo", meteo_path, "--macobac", macobac, "--reference-model", reference, *extra]


def bad_reference(change):
    return lambda d: model(d, reference=edited(REFERENCE, REFERENCE.name, change, d))


def bad_macobac(change):
    return lambda d: model(d, macobac=edited(MACOBAC, "macobac_bad.ecsv", change, d))


def bad_selection(text):
    return lambda d: model(d) + ["--selection", text_file(d, "selection.json", text)]


def reference_nan_rows(table):
    for name in ("atmospheric_density", "atmospheric_thickness", "temperature"):
        table[name][10:13] = np.nan


def reference_dir_with(change, pattern="ref_density_at_15km_ctao-north_summer.ecsv"):
    """A copy of the reference set whose files matching ``pattern`` are changed."""

    def build(d):
        refs = d / "refs"
        shutil.copytree(default_reference_dir(), refs)
        for path in refs.glob(pattern):
            edited(path, path.name, change, refs)
        return ["--mdp", MDP, "--reference-dir", refs]

    return build


def muon_throughput(*extra, inputs=(MUON,)):
    return lambda d: ["--input", *inputs, *extra]


def muon_file_with(change):
    """A copy of the muon sample whose table of telescope 1 is changed by ``change``."""

    def build(d):
        from ctapipe.io import read_table, write_table

        path = d / "muon_bad.h5"
        shutil.copy(MUON, path)
        node = "/dl1/event/telescope/muon/tel_001"
        table = read_table(path, node)
        change(table)
        write_table(table, path, node, overwrite=True)
        return ["--input", path]

    return build


def impact_in_cm(table):
    table["muonefficiency_impact"] = table["muonefficiency_impact"].to("cm")


def exchange(change):
    def build(d):
        directory = d / "set"
        shutil.copytree(EXCHANGE, directory, ignore=shutil.ignore_patterns("*.py"))
        change(directory)
        return ["--manifest", directory / MANIFEST]

    return build


def manifest_is(text):
    return exchange(lambda directory: (directory / MANIFEST).write_text(text))


def hdf5_without(d, name="nothing.h5"):
    import tables

    path = d / name
    with tables.open_file(path, "w") as h5:
        h5.create_group("/", "other")
    return path


def credentials_dir(d):
    (d / "creds").mkdir()
    return d / "creds"


def fetch(step, *extra):
    """Arguments of a fetch step that would reach the network but for ``extra``."""

    def build(d):
        if step == "fetch-co2":
            return list(extra)
        token = text_file(d, "token", "url: https://cds.example/api\nkey: 1234\n")
        return [*NIGHT, "--credentials", token, *extra]

    return build


# ---------------------------------------------------------------- the corpus

# ---------------------------------------------------------------- campaign inputs
GDAS = sorted(DATA.glob("gdas_north_2024011*.grib2"))
CAMPAIGN = DATA / "campaign"
PLAN = CAMPAIGN / "campaign_plan_sample.json"
REPORT = CAMPAIGN / "exchange_validation_sample.json"


def truncated(source, d):
    """The first 60 % of ``source``, under its name, in ``d``."""
    data = source.read_bytes()
    path = d / source.name
    path.write_bytes(data[: len(data) * 3 // 5])
    return path


def shifted_plan(d):
    """The sample plan with every night one day later: the sample set fits none."""
    import json

    plan = json.loads(PLAN.read_text())
    for night in plan["nights"]:
        for key in ("window_start_utc", "window_end_utc"):
            t = np.datetime64(night[key].rstrip("Z"), "s") + np.timedelta64(1, "D")
            night[key] = f"{t}Z"
    return text_file(d, "campaign_plan.json", json.dumps(plan))


def other_report(d):
    """The sample report, as if of another manifest."""
    import json

    report = json.loads(REPORT.read_text())
    report["manifest"]["sha256"] = "0" * 64
    return text_file(d, "exchange_validation.json", json.dumps(report))


def index_args(d, plan=PLAN, report=REPORT, extra_manifest=False, change_file=None):
    """index-campaign on the sample campaign (cwl/jobs/index-campaign.yml), one thing changed."""
    files = sorted(p for p in EXCHANGE.iterdir() if p.suffix in (".ecsv", ".dat", ".json"))
    files = [p for p in files if p.name != MANIFEST]
    manifests = [EXCHANGE / MANIFEST]
    if extra_manifest:
        (d / "copy").mkdir()
        manifests.append(shutil.copy(EXCHANGE / MANIFEST, d / "copy" / MANIFEST))
    if change_file is not None:
        files = [p for p in files if p.name != change_file]
        changed = d / change_file
        changed.write_bytes((EXCHANGE / change_file).read_bytes() + b"\n")
        files.append(changed)
    return [
        "--plan", plan, "--manifests", *manifests, "--reports", report,
        "--exchange-files", *files,
    ]  # fmt: skip


CASES = [
    # --- inputs that are not there or not files: every step with an input file (exit 2)
    *[
        Case(
            f"{step}-missing-file",
            step,
            build,
            2,
            lambda d: str(d / "nope.dat"),
            ("input file does not exist",),
        )
        for step, build in [
            ("compute-macobac", lambda d: ["--co2-file", d / "nope.dat"]),
            ("ingest-meteo", lambda d: ["--meteo-files", d / "nope.dat", *NIGHT]),
            ("create-mdp", lambda d: ["--meteo", d / "nope.dat"]),
            ("select-reference-model", lambda d: ["--mdp", d / "nope.dat"]),
            ("create-atmospheric-model", lambda d: model(d, macobac=d / "nope.dat")),
            ("validate-exchange", lambda d: ["--manifest", d / "nope.dat"]),
            ("process-muons", lambda d: ["--input", d / "nope.dat"]),
            ("muon-throughput", lambda d: ["--input", d / "nope.dat"]),
            ("muon-psf", lambda d: ["--input", MUON, d / "nope.dat"]),
            (
                "db-upload",
                lambda d: [
                    "--kind",
                    "atmospheric-model",
                    "--file",
                    d / "nope.dat",
                    "--database",
                    SQLITE,
                ],
            ),
        ]
    ],
    *[
        Case(
            f"{step}-directory-as-input", step, build, 2, lambda d: str(d), ("not a regular file",)
        )
        for step, build in [
            ("compute-macobac", lambda d: ["--co2-file", d]),
            ("create-mdp", lambda d: ["--meteo", d]),
            ("select-reference-model", lambda d: ["--mdp", d]),
            ("create-atmospheric-model", lambda d: model(d, reference=d)),
            ("process-muons", lambda d: ["--input", d]),
            ("muon-throughput", lambda d: ["--input", d]),
        ]
    ],
    # --- files that are not the format at all (exit 3)
    *[
        Case(f"{step}-{kind}-file", step, build(kind), 3, lambda d: str(d / "bad.dat"), problem)
        for step, build, problem in [
            ("compute-macobac", lambda k: lambda d: ["--co2-file", FILES[k](d)], ()),
            ("create-mdp", lambda k: lambda d: ["--meteo", FILES[k](d)], ("ECSV",)),
            ("select-reference-model", lambda k: lambda d: ["--mdp", FILES[k](d)], ("ECSV",)),
            (
                "create-atmospheric-model",
                lambda k: lambda d: model(d, reference=FILES[k](d)),
                ("ECSV",),
            ),
            ("ingest-meteo", lambda k: lambda d: ["--meteo-files", FILES[k](d), *NIGHT], ()),
            ("process-muons", lambda k: lambda d: ["--input", FILES[k](d)], ("HDF5",)),
            ("muon-throughput", lambda k: lambda d: ["--input", FILES[k](d)], ("HDF5",)),
            ("muon-psf", lambda k: lambda d: ["--input", FILES[k](d)], ("HDF5",)),
            ("validate-exchange", lambda k: lambda d: ["--manifest", FILES[k](d)], ("JSON",)),
        ]
        for kind in ("empty", "binary")
    ],
    # --- the meteorological table, as create-mdp and create-atmospheric-model read it
    *[
        Case(f"{step}-meteo-{cid}", step, build, 3, lambda d: str(d / "meteo_bad.ecsv"), problem)
        for step, wrap in [
            ("create-mdp", lambda b: b),
            ("create-atmospheric-model", lambda b: lambda d: model(d, meteo_path=b(d)[1])),
        ]
        for cid, build_, problem in [
            (
                "non-monotonic-pressure",
                meteo(swap_pressure),
                ("column pressure does not strictly decrease with altitude within a profile",),
            ),
            ("no-rows", meteo(lambda t: t[:0]), ("has no rows",)),
            (
                "nan-temperature",
                meteo(set_value("temperature", 7, np.nan)),
                ("column temperature is NaN at altitude",),
            ),
            (
                "infinite-humidity",
                meteo(set_value("relative_humidity", 3, np.inf)),
                ("column relative_humidity is infinite",),
            ),
            (
                "negative-pressure",
                meteo(set_value("pressure", 2, -5.0)),
                ("column pressure is not positive",),
            ),
            (
                "missing-column",
                meteo(lambda t: t.remove_column("temperature")),
                ("lacks column(s) temperature",),
            ),
            (
                "wrong-unit",
                meteo(lambda t: setattr(t["altitude"], "unit", "K")),
                ("column altitude has unit K, expected m",),
            ),
            (
                "missing-meta",
                meteo(lambda t: t.meta.pop("site_altitude")),
                ("lacks meta site_altitude",),
            ),
            (
                "time-not-a-time",
                meteo(times_are_words),
                ("column time is not a time (first value 'yesterday')",),
            ),
        ]
        for build in [wrap(build_)]
    ],
    # --- the MDP, as select-reference-model reads it
    Case(
        "select-mdp-zero-rows",
        "select-reference-model",
        mdp(lambda t: t[:0]),
        3,
        lambda d: str(d / "mdp_bad.ecsv"),
        ("molecular density profile has no rows",),
    ),
    Case(
        "select-mdp-nan-density-near-15km",
        "select-reference-model",
        mdp(nan_density_near(15.2)),
        3,
        lambda d: str(d / "mdp_bad.ecsv"),
        ("column number_density is NaN at altitude 15",),
    ),
    Case(
        "select-mdp-negative-density",
        "select-reference-model",
        mdp(lambda t: t["number_density"].__setitem__(4, -1.0)),
        3,
        lambda d: str(d / "mdp_bad.ecsv"),
        ("number_density is not positive",),
    ),
    Case(
        "select-mdp-altitude-not-increasing",
        "select-reference-model",
        mdp(lambda t: t.reverse()),
        3,
        lambda d: str(d / "mdp_bad.ecsv"),
        ("column altitude does not strictly increase",),
    ),
    Case(
        "select-mdp-wrong-unit",
        "select-reference-model",
        mdp(lambda t: setattr(t["number_density"], "unit", "g / cm3")),
        3,
        lambda d: str(d / "mdp_bad.ecsv"),
        ("number_density has unit g / cm3",),
    ),
    Case(
        "select-mdp-missing-column",
        "select-reference-model",
        mdp(lambda t: t.remove_column("altitude")),
        3,
        lambda d: str(d / "mdp_bad.ecsv"),
        ("lacks column(s) altitude",),
    ),
    Case(
        "select-mdp-string-density",
        "select-reference-model",
        mdp(lambda t: t.replace_column("number_density", [f"x{i}" for i in range(len(t))])),
        3,
        lambda d: str(d / "mdp_bad.ecsv"),
        ("number_density",),
    ),
    Case(
        "select-reference-density-nan",
        "select-reference-model",
        reference_dir_with(lambda t: t["density"].__setitem__(0, np.nan)),
        3,
        lambda d: "ref_density_at_15km_ctao-north_summer.ecsv",
        ("density is NaN",),
    ),
    Case(
        "select-reference-density-no-rows",
        "select-reference-model",
        reference_dir_with(lambda t: t[:0]),
        3,
        lambda d: "ref_density_at_15km_ctao-north_summer.ecsv",
        ("exactly one row, has 0",),
    ),
    Case(
        "select-reference-model-nan-rows",
        "select-reference-model",
        reference_dir_with(reference_nan_rows, "reference_atmo_model_*_ctao-north_*.ecsv"),
        3,
        lambda d: "reference_atmo_model_v0_ctao-north_",
        ("reference model: column atmospheric_density is NaN at altitude 10 km",),
    ),
    Case(
        "select-reference-dir-missing",
        "select-reference-model",
        lambda d: ["--mdp", MDP, "--reference-dir", d / "none"],
        3,
        lambda d: str(d / "none"),
        ("does not exist",),
    ),
    Case(
        "select-bad-date",
        "select-reference-model",
        lambda d: ["--mdp", MDP, "--calendar-fallback", "--date", "15/01/2024"],
        2,
        "--date",
        ("not a date",),
    ),
    Case(
        "select-unknown-site",
        "select-reference-model",
        lambda d: ["--mdp", MDP, "--site", "Atlantis"],
        2,
        "Atlantis",
        (),
    ),
    # --- the reference model, the 12-MACOBAC and the selection record of create-atmospheric-model
    Case(
        "model-reference-nan-rows",
        "create-atmospheric-model",
        bad_reference(reference_nan_rows),
        3,
        lambda d: str(d / REFERENCE.name),
        ("is NaN at altitude 10 km", "3 rows"),
    ),
    Case(
        "model-reference-duplicate-altitude",
        "create-atmospheric-model",
        bad_reference(lambda t: t["altitude"].__setitem__(5, t["altitude"][4])),
        3,
        lambda d: str(d / REFERENCE.name),
        ("does not strictly decrease with altitude",),
    ),
    Case(
        "model-reference-thickness-increasing",
        "create-atmospheric-model",
        bad_reference(lambda t: t["atmospheric_thickness"].__setitem__(20, 1e3)),
        3,
        lambda d: str(d / REFERENCE.name),
        ("atmospheric_thickness does not strictly decrease",),
    ),
    Case(
        "model-reference-missing-column",
        "create-atmospheric-model",
        bad_reference(lambda t: t.remove_column("temperature")),
        3,
        lambda d: str(d / REFERENCE.name),
        ("reference model lacks column(s) temperature",),
    ),
    Case(
        "model-reference-wrong-unit",
        "create-atmospheric-model",
        bad_reference(lambda t: setattr(t["altitude"], "unit", "s")),
        3,
        lambda d: str(d / REFERENCE.name),
        ("column altitude has unit s, expected km",),
    ),
    Case(
        "model-reference-negative-density",
        "create-atmospheric-model",
        bad_reference(lambda t: t["atmospheric_density"].__setitem__(30, -1e-5)),
        3,
        lambda d: str(d / REFERENCE.name),
        ("atmospheric_density is not positive",),
    ),
    Case(
        "model-reference-one-row",
        "create-atmospheric-model",
        bad_reference(lambda t: t[:1]),
        3,
        lambda d: str(d / REFERENCE.name),
        ("only 1 row(s)",),
    ),
    Case(
        "model-macobac-two-rows",
        "create-atmospheric-model",
        bad_macobac(lambda t: t.add_row(t[0])),
        3,
        lambda d: str(d / "macobac_bad.ecsv"),
        ("exactly one row, has 2",),
    ),
    Case(
        "model-macobac-no-rows",
        "create-atmospheric-model",
        bad_macobac(lambda t: t[:0]),
        3,
        lambda d: str(d / "macobac_bad.ecsv"),
        ("exactly one row, has 0",),
    ),
    Case(
        "model-fit-boundary-above-115-km",
        "create-atmospheric-model",
        lambda d: model(
            d, METEO, MACOBAC, REFERENCE, "--fit-boundaries", "0", "4", "10", "40", "119"
        ),
        2,
        "--fit-boundaries",
        ("[0, 115] km",),
    ),
    Case(
        "model-emission-below-observation-level",
        "create-atmospheric-model",
        lambda d: model(d, METEO, MACOBAC, REFERENCE, "--emission-altitudes", "1.0", "5.0"),
        2,
        "emission altitudes",
        ("observation level",),
    ),
    Case(
        "model-product-id-with-space",
        "create-atmospheric-model",
        lambda d: model(d, METEO, MACOBAC, REFERENCE, "--product-id", "night 1"),
        2,
        "night 1",
        (),
    ),
    Case(
        "model-macobac-wrong-unit",
        "create-atmospheric-model",
        bad_macobac(lambda t: setattr(t["co2_concentration"], "unit", "K")),
        3,
        lambda d: str(d / "macobac_bad.ecsv"),
        ("co2_concentration has unit K",),
    ),
    Case(
        "model-macobac-nan",
        "create-atmospheric-model",
        bad_macobac(lambda t: t["co2_concentration"].__setitem__(0, np.nan)),
        3,
        lambda d: str(d / "macobac_bad.ecsv"),
        ("co2_concentration is NaN",),
    ),
    Case(
        "model-macobac-implausible",
        "create-atmospheric-model",
        bad_macobac(lambda t: t["co2_concentration"].__setitem__(0, 5.0)),
        3,
        lambda d: str(d / "macobac_bad.ecsv"),
        ("implausible CO2",),
    ),
    Case(
        "model-macobac-missing-column",
        "create-atmospheric-model",
        bad_macobac(lambda t: t.rename_column("co2_concentration", "co2")),
        3,
        lambda d: str(d / "macobac_bad.ecsv"),
        ("lacks column(s) co2_concentration",),
    ),
    Case(
        "model-selection-array",
        "create-atmospheric-model",
        bad_selection("[1, 2]"),
        3,
        lambda d: str(d / "selection.json"),
        ("must be a JSON object, found an array",),
    ),
    Case(
        "model-selection-string",
        "create-atmospheric-model",
        bad_selection('"winter"'),
        3,
        lambda d: str(d / "selection.json"),
        ("must be a JSON object, found a string",),
    ),
    Case(
        "model-selection-not-json",
        "create-atmospheric-model",
        bad_selection("{season: x"),
        3,
        lambda d: str(d / "selection.json"),
        ("not a JSON selection record",),
    ),
    Case(
        "model-selection-lacks-keys",
        "create-atmospheric-model",
        bad_selection('{"season": "winter"}'),
        3,
        lambda d: str(d / "selection.json"),
        ("lacks key(s) version",),
    ),
    Case(
        "model-selection-season-not-string",
        "create-atmospheric-model",
        bad_selection('{"season": 3, "version": "v0"}'),
        3,
        lambda d: str(d / "selection.json"),
        ("season must be a string",),
    ),
    Case(
        "model-fit-boundaries",
        "create-atmospheric-model",
        lambda d: model(
            d, METEO, MACOBAC, REFERENCE, "--fit-boundaries", "0", "4", "3", "40", "100"
        ),
        2,
        "--fit-boundaries",
        ("increasing",),
    ),
    Case(
        "model-wavelength-order",
        "create-atmospheric-model",
        lambda d: model(
            d, METEO, MACOBAC, REFERENCE, "--wavelength-min", "800", "--wavelength-max", "300"
        ),
        2,
        "--wavelength-max",
        (),
    ),
    Case(
        "model-negative-wavelength",
        "create-atmospheric-model",
        lambda d: model(d, METEO, MACOBAC, REFERENCE, "--refractive-index-wavelength", "-350"),
        2,
        "--refractive-index-wavelength",
        ("must be positive",),
    ),
    # --- create-mdp options
    Case(
        "mdp-negative-grid-step",
        "create-mdp",
        lambda d: ["--meteo", METEO, "--grid-step", "-1"],
        2,
        "--grid-step",
        ("positive",),
    ),
    Case(
        "mdp-bad-humidity-phase",
        "create-mdp",
        lambda d: ["--meteo", METEO, "--humidity-phase", "plasma"],
        2,
        "--humidity-phase",
        (),
    ),
    # --- compute-macobac
    Case(
        "macobac-not-the-record",
        "compute-macobac",
        lambda d: ["--co2-file", text_file(d, "bad.csv", "a,b,c\n1,2,3\n")],
        3,
        lambda d: str(d / "bad.csv"),
        ("expected at least 5 columns",),
    ),
    Case(
        "macobac-too-few-months",
        "compute-macobac",
        lambda d: ["--co2-file", CO2, "--until", "1958-12-31"],
        3,
        str(CO2),
        ("fewer than 12 valid monthly CO2 values",),
    ),
    Case(
        "macobac-bad-until",
        "compute-macobac",
        lambda d: ["--co2-file", CO2, "--until", "soon"],
        2,
        "--until",
        ("not a date",),
    ),
    # --- ingest-meteo
    Case(
        "ingest-window-reversed",
        "ingest-meteo",
        lambda d: [
            "--meteo-files",
            GRIB,
            "--site",
            "North",
            "--start",
            "2024-01-16T03:00",
            "--end",
            "2024-01-15T21:00",
        ],
        2,
        "--end",
        ("not after --start",),
    ),
    Case(
        "ingest-unknown-site",
        "ingest-meteo",
        lambda d: ["--meteo-files", GRIB, "--site", "Atlantis", "--date", "2024-01-15"],
        2,
        "Atlantis",
        (),
    ),
    # --- user expressions: checked as usage (exit 2) before any work
    Case(
        "process-muons-cut-does-not-compile",
        "process-muons",
        lambda d: ["--input", DL1, "--image-cut", "LST_*=dl1_params.hillas.intensity >"],
        2,
        "--image-cut",
        ("does not compile",),
    ),
    Case(
        "process-muons-cut-unknown-name",
        "process-muons",
        lambda d: ["--input", DL1, "--image-cut", "LST_*=hillas_intensity > 3"],
        2,
        "--image-cut",
        ("unknown name(s) hillas_intensity", "dl1_params"),
    ),
    Case(
        "process-muons-ring-cut-does-not-compile",
        "process-muons",
        lambda d: ["--input", DL1, "--ring-cut", "*=parameters.containment >> > 0.5"],
        2,
        "--ring-cut",
        ("does not compile",),
    ),
    Case(
        "process-muons-ring-cut-unknown-name",
        "process-muons",
        lambda d: ["--input", DL1, "--ring-cut", "*=dl1_params.hillas.intensity > 3"],
        2,
        "--ring-cut",
        ("unknown name(s) dl1_params",),
    ),
    Case(
        "process-muons-cut-without-pattern",
        "process-muons",
        lambda d: ["--input", DL1, "--image-cut", "dl1_params.hillas.intensity > 3"],
        2,
        "--image-cut",
        ("PATTERN=VALUE",),
    ),
    Case(
        "process-muons-hole-radius-not-a-number",
        "process-muons",
        lambda d: ["--input", DL1, "--hole-radius", "LST_*=big"],
        2,
        "--hole-radius",
        ("not a number",),
    ),
    Case(
        "process-muons-cut-lambda",
        "process-muons",
        lambda d: ["--input", DL1, "--image-cut", "LST_*=lambda p: p > 3"],
        2,
        "--image-cut",
        ("lambda",),
    ),
    Case(
        "process-muons-wavelengths",
        "process-muons",
        lambda d: ["--input", DL1, "--min-wavelength", "600", "--max-wavelength", "300"],
        2,
        "--min-wavelength",
        (),
    ),
    Case(  # compiles and uses a known name: found when ctapipe evaluates it on the first image
        "process-muons-cut-unknown-attribute",
        "process-muons",
        lambda d: ["--input", DL1, "--image-cut", "*=dl1_params.nothing > 3"],
        2,
        "quality cut cannot be evaluated",
        ("has no attribute 'nothing'",),
        slow=True,
    ),
    Case(
        "process-muons-no-images",
        "process-muons",
        lambda d: ["--input", hdf5_without(d)],
        3,
        lambda d: str(d / "nothing.h5"),
        (),
    ),
    Case(
        "process-muons-bad-output-name",
        "process-muons",
        lambda d: ["--input", DL1, "--output-name", "sub/x.h5"],
        2,
        "--output-name",
        ("without directory",),
    ),
    *[
        Case(f"{step}-{cid}", step, build, code, named, problem)
        for step in ("muon-throughput", "muon-psf")
        for cid, build, code, named, problem in [
            (
                "cut-does-not-compile",
                muon_throughput("--cut", "muonring_radius >"),
                2,
                "--cut",
                ("does not compile",),
            ),
            (
                "type-cut-does-not-compile",
                muon_throughput("--type-cut", "MST_*=muonefficiency_impact < < 5"),
                2,
                "--type-cut",
                ("does not compile",),
            ),
            (
                "type-cut-without-pattern",
                muon_throughput("--type-cut", "impact"),
                2,
                "--type-cut",
                ("PATTERN=VALUE",),
            ),
            (
                "cut-unknown-column",
                muon_throughput("--cut", "no_such_column > 1"),
                2,
                "no_such_column",
                ("cannot be evaluated",),
            ),
            ("no-muon-tables", lambda d: ["--input", DL1], 3, str(DL1), ("no muon tables",)),
            (
                "hdf5-without-tables",
                lambda d: ["--input", hdf5_without(d)],
                3,
                lambda d: str(d / "nothing.h5"),
                (),
            ),
            ("same-file-twice", muon_throughput(inputs=(MUON, MUON)), 2, "twice", ()),
            ("negative-sigma", muon_throughput("--sigma", "-3"), 2, "--sigma", ("positive",)),
        ]
    ],
    Case(
        "muon-throughput-lacks-efficiency-column",
        "muon-throughput",
        muon_file_with(lambda t: t.remove_column("muonefficiency_optical_efficiency")),
        3,
        lambda d: str(d / "muon_bad.h5"),
        ("tel_001", "muon table lacks column(s) muonefficiency_optical_efficiency"),
    ),
    Case(
        "muon-psf-radius-in-metres",
        "muon-psf",
        muon_file_with(lambda t: setattr(t["muonring_radius"], "unit", "m")),
        3,
        lambda d: str(d / "muon_bad.h5"),
        ("column muonring_radius has unit m, expected deg",),
    ),
    Case(
        "muon-throughput-impact-in-cm",
        "muon-throughput",
        muon_file_with(impact_in_cm),
        3,
        lambda d: str(d / "muon_bad.h5"),
        ("column muonefficiency_impact has unit cm, expected m",),
    ),
    Case(
        "muon-throughput-bad-chunk-start",
        "muon-throughput",
        muon_throughput("--chunk-start", "yesterday"),
        2,
        "--chunk-start",
        ("not an ISO time",),
    ),
    Case(
        "muon-throughput-chunk-start-with-rings",
        "muon-throughput",
        muon_throughput("--chunk-rings", "10", "--chunk-start", "2024-01-01T00:00:00"),
        2,
        "--chunk-start",
        (),
    ),
    Case(
        "muon-psf-radius-range",
        "muon-psf",
        muon_throughput("--radius-range", "1.3", "0.9"),
        2,
        "--radius-range",
        (),
    ),
    # --- URLs and credentials of the fetch steps: usage (exit 2), before any network
    *[
        Case(
            f"{step}-url-{cid}",
            step,
            fetch(step, "--url", url),
            2,
            "--url",
            ("not an http(s) URL" if cid != "port" else "not a URL",),
        )
        for step in ("fetch-co2", "fetch-era5", "fetch-gdas")
        for cid, url in [
            ("no-scheme", "scrippsco2.ucsd.edu/data.csv"),
            ("ftp", "ftp://host/x"),
            ("no-host", "https:///path"),
            ("words", "not a url"),
        ]
    ],
    Case(
        "fetch-era5-url-port",
        "fetch-era5",
        fetch("fetch-era5", "--url", "http://host:x/"),
        2,
        "--url",
        ("not a URL",),
    ),
    *[
        Case(
            f"{step}-credentials-{cid}",
            step,
            lambda d, b=build: [*NIGHT, "--credentials", b(d)],
            2,
            named,
            (problem,),
        )
        for step in ("fetch-era5", "fetch-gdas")
        for cid, build, named, problem in [
            ("directory", credentials_dir, lambda d: str(d / "creds"), "is a directory"),
            ("missing", lambda d: d / "none", lambda d: str(d / "none"), "does not exist"),
        ]
    ],
    *[
        Case(f"{step}-{cid}", step, build, 2, named, problem)
        for step in ("fetch-era5", "fetch-gdas")
        for cid, build, named, problem in [
            (
                "window-reversed",
                lambda d: [
                    "--site",
                    "North",
                    "--start",
                    "2024-01-16T03:00",
                    "--end",
                    "2024-01-15T21:00",
                    "--credentials",
                    text_file(d, "t", "key: 1\n"),
                ],
                "--end",
                ("before --start",),
            ),
            (
                "bad-date",
                lambda d: [
                    "--site",
                    "North",
                    "--date",
                    "2024-13-01",
                    "--credentials",
                    text_file(d, "t", "key: 1\n"),
                ],
                "--date",
                ("not a date",),
            ),
            (
                "site-and-coordinates",
                lambda d: [
                    *NIGHT,
                    "--latitude",
                    "10",
                    "--longitude",
                    "20",
                    "--credentials",
                    text_file(d, "t", "key: 1\n"),
                ],
                "--site",
                (),
            ),
        ]
    ],
    Case(
        "fetch-era5-credentials-url-not-a-url",
        "fetch-era5",
        lambda d: [*NIGHT, "--credentials", text_file(d, "rc", "url: cds/api\nkey: 1234\n")],
        3,
        lambda d: str(d / "rc"),
        ("url: not an http(s) URL with a host: 'cds/api'",),
    ),
    # --- validate-exchange
    Case("exchange-manifest-array", "validate-exchange", manifest_is("[]"), 3, MANIFEST, ()),
    Case(
        "exchange-manifest-not-json", "validate-exchange", manifest_is("{"), 3, MANIFEST, ("JSON",)
    ),
    Case(
        "exchange-file-missing",
        "validate-exchange",
        exchange(lambda directory: next(directory.glob("atmprof_*.dat")).unlink()),
        3,
        "atmprof_",
        (),
    ),
    # --- db-*
    Case(
        "db-query-not-sqlite",
        "db-query",
        lambda d: [
            "--database",
            binary_file(d, "bad.dat"),
            "--kind",
            "atmospheric-model",
            "--target",
            "North",
            "--at",
            "2024-03-02T03:00:00Z",
        ],
        3,
        lambda d: str(d / "bad.dat"),
        ("database",),
    ),
    Case(
        "db-query-bad-time",
        "db-query",
        lambda d: [
            "--database",
            SQLITE,
            "--kind",
            "atmospheric-model",
            "--target",
            "North",
            "--at",
            "tonight",
        ],
        2,
        "--at",
        (),
    ),
    Case(
        "db-query-unknown-kind",
        "db-query",
        lambda d: [
            "--database",
            SQLITE,
            "--kind",
            "horoscope",
            "--target",
            "North",
            "--at",
            "2024-03-02T03:00:00Z",
        ],
        2,
        "--kind",
        (),
    ),
    Case(
        "db-upload-not-ecsv",
        "db-upload",
        lambda d: [
            "--kind",
            "atmospheric-model",
            "--file",
            binary_file(d, "bad.ecsv"),
            "--database",
            SQLITE,
            "--target",
            "North",
            "--valid-from",
            "2024-01-01T00:00:00Z",
            "--valid-to",
            "2024-01-02T00:00:00Z",
        ],
        3,
        lambda d: str(d / "bad.ecsv"),
        (),
    ),
    Case(
        "db-upload-bad-db-url",
        "db-upload",
        lambda d: [
            "--kind",
            "atmospheric-model",
            "--file",
            DB_PROFILE,
            "--db-url",
            "nonsense",
            "--target",
            "North",
            "--valid-from",
            "2024-01-01T00:00:00Z",
            "--valid-to",
            "2024-01-02T00:00:00Z",
        ],  # fmt: skip
        2,
        "nonsense",
        ("not a database URL",),
    ),
    Case(
        "db-export-window-reversed",
        "db-export",
        lambda d: [
            "--database",
            SQLITE,
            "--valid-from",
            "2024-02-01T00:00:00Z",
            "--valid-to",
            "2024-01-01T00:00:00Z",
        ],
        2,
        "--valid-from",
        (),
    ),
    Case(
        "db-init-bad-db-url",
        "db-init",
        lambda d: ["--db-url", "postgres//nohost"],
        2,
        "postgres//nohost",
        (),
    ),
    # --- configuration files (every step shares them)
    *[
        Case(f"{step}-config-{cid}", step, build, 2, lambda d: str(d / "c.yaml"), problem)
        for step in ("create-mdp", "muon-psf", "fetch-gdas")
        for cid, build, problem in [
            (
                "not-yaml",
                lambda d: ["--config", text_file(d, "c.yaml", "a: [1,\n b: {")],
                ("not a valid YAML configuration",),
            ),
            (
                "unknown-option",
                lambda d: ["--config", text_file(d, "c.yaml", "no-such: 1\n")],
                ("unknown option 'no-such'",),
            ),
        ]
    ],
    # --- a library's message over several lines is one line
    Case(
        "mdp-ecsv-header-broken",
        "create-mdp",
        lambda d: ["--meteo", text_file(d, "meteo_bad.ecsv", BROKEN_ECSV)],
        3,
        lambda d: str(d / "meteo_bad.ecsv"),
        ("not a readable ECSV",),
    ),
    Case(  # astropy: "Input values did not match the format class isot:\nValueError: Time ..."
        "mdp-ecsv-time-not-isot",
        "create-mdp",
        lambda d: [
            "--meteo",
            text_file(
                d,
                "meteo_bad.ecsv",
                METEO.read_text().replace("\n2023-01-15T21:00:00.000 ", "\n2023-01-15X21 ", 1),
            ),
        ],
        3,
        lambda d: str(d / "meteo_bad.ecsv"),
        ("did not match the format class isot", "does not match isot format"),
    ),
    # --- the steps of the new use cases (camera, pointing, array, clear night): their file
    # inputs missing (exit 2), empty or not of their format (exit 3)
    *[
        Case(f"{step}-{kind}-file", step, builder, code, lambda d, n=name: str(d / n), problem)
        for step, with_file in [
            ("ingest-fram", lambda f: lambda d: ["--fram-files", f(d), "--site", "North"]),
            ("assess-clear-night", lambda f: lambda d: ["--fram", f(d), "--date", "2024-01-15"]),
            ("track-stars", lambda f: lambda d: ["--input", f(d)]),
            ("fit-pointing", lambda f: lambda d: ["--input", f(d)]),
            ("compute-camera-coefficients", lambda f: lambda d: ["--input", f(d)]),
            ("fit-spe", lambda f: lambda d: ["--input", f(d)]),
            (
                "validate-camera-coefficients",
                lambda f: (
                    lambda d: [
                        "--coefficients",
                        f(d),
                        "--pedestal-images",
                        DATA / "camera" / "calibration_pedestal.dl1.h5",
                        "--flatfield-images",
                        DATA / "camera" / "calibration_flatfield.dl1.h5",
                        "--window-width",
                        "8",
                    ]
                ),
            ),
            ("array-pair-stats", lambda f: lambda d: ["--input", f(d)]),
            ("array-inter-calibration", lambda f: lambda d: ["--input", f(d)]),
            (
                "array-cross-calibration",
                lambda f: (
                    lambda d: [
                        "--input",
                        DATA / "array" / "obs101.pairs.h5",
                        "--inter-calibration",
                        f(d),
                        "--reference-type",
                        "LST",
                    ]
                ),
            ),
            (
                "compare-array-muon-throughput",
                lambda f: (
                    lambda d: [
                        "--array-calibration",
                        DATA / "array" / "obs101-102.inter.ecsv",
                        "--muon-throughput",
                        f(d),
                    ]
                ),
            ),
        ]
        for kind, name, code, problem in [
            ("missing", "nope.dat", 2, ("input file does not exist",)),
            ("empty", "bad.dat", 3, ("not",)),
            ("binary", "bad.dat", 3, ("not",)),
        ]
        for builder in [
            (lambda b, k: b(lambda d: d / "nope.dat" if k == "missing" else FILES[k](d)))(
                with_file, kind
            )
        ]
    ],
    # --- plan-campaign
    Case(
        "plan-campaign-date-twice",
        "plan-campaign",
        lambda d: [
            "--dates",
            "2024-01-15",
            "2024-01-15",
            "--meteo-files",
            *GDAS,
            "--site",
            "North",
        ],
        2,
        "2024-01-15",
        ("given twice",),
    ),
    Case(
        "plan-campaign-not-a-date",
        "plan-campaign",
        lambda d: ["--dates", "2024-13-01", "--meteo-files", *GDAS, "--site", "North"],
        2,
        "2024-13-01",
        ("not a date",),
    ),
    Case(
        "plan-campaign-no-night-covered",
        "plan-campaign",
        lambda d: [
            "--dates",
            "2024-03-01",
            "2024-03-02",
            "--meteo-files",
            *GDAS,
            "--site",
            "North",
        ],
        3,
        GDAS[0].name,
        ("no night of the campaign has data", "files cover 2024-01-15T18:00:00Z"),
    ),
    Case(
        "plan-campaign-truncated-grib",
        "plan-campaign",
        lambda d: [
            "--dates",
            "2024-01-15",
            "--meteo-files",
            truncated(GDAS[1], d),
            "--site",
            "North",
        ],
        3,
        GDAS[1].name,
        ("truncated or corrupt GRIB",),
    ),
    Case(
        "plan-campaign-binary-file",
        "plan-campaign",
        lambda d: [
            "--dates",
            "2024-01-15",
            "--meteo-files",
            binary_file(d, "x.grib"),
            "--site",
            "North",
        ],
        3,
        "x.grib",
        ("not a GRIB or netCDF file",),
    ),
    Case(
        "plan-campaign-missing-file",
        "plan-campaign",
        lambda d: ["--dates", "2024-01-15", "--meteo-files", d / "nope.grib", "--site", "North"],
        2,
        "nope.grib",
        ("input file does not exist",),
    ),
    # --- index-campaign
    Case(
        "index-campaign-plan-is-a-manifest",
        "index-campaign",
        lambda d: index_args(d, plan=EXCHANGE / MANIFEST),
        3,
        MANIFEST,
        ("not a campaign plan",),
    ),
    Case(
        "index-campaign-manifest-of-no-night",
        "index-campaign",
        lambda d: index_args(d, plan=shifted_plan(d)),
        3,
        MANIFEST,
        ("belongs to no scheduled night of the plan",),
    ),
    Case(
        "index-campaign-two-manifests-for-a-night",
        "index-campaign",
        lambda d: index_args(d, extra_manifest=True),
        3,
        MANIFEST,
        ("a second exchange manifest for the night of 2023-06-15",),
    ),
    Case(
        "index-campaign-exchange-file-changed",
        "index-campaign",
        lambda d: index_args(d, change_file="atmprof_sample-north-20230615.dat"),
        3,
        MANIFEST,
        ("exchange file atmprof_sample-north-20230615.dat", "not among the --exchange-files"),
    ),
    Case(
        "index-campaign-report-of-another-set",
        "index-campaign",
        lambda d: index_args(d, report=other_report(d)),
        3,
        "exchange_validation.json",
        ("validation report of none of the given manifests",),
    ),
    Case(
        "index-campaign-plan-not-json",
        "index-campaign",
        lambda d: index_args(d, plan=text_file(d, "campaign_plan.json", "{")),
        3,
        "campaign_plan.json",
        ("not a JSON campaign plan",),
    ),
]

FILES = {
    "empty": lambda d: text_file(d, "bad.dat", ""),
    "binary": lambda d: binary_file(d, "bad.dat"),
}

#: an ECSV file whose YAML header is broken: astropy's message spans several lines
BROKEN_ECSV = """# %ECSV 1.0
# ---
# datatype:
# - {name: altitude, unit: km, datatype: float64
#   - nonsense: [
# schema: astropy-2.0
altitude
1.0
"""


#: the inputs issue 10 found mishandled (tracebacks, exit 0, misleading lines), all in CASES
MISHANDLED = {
    "MDP with zero rows (traceback)": "select-mdp-zero-rows",
    "NaN rows in the reference model (LinAlgError)": "model-reference-nan-rows",
    "--selection not a JSON object (traceback)": "model-selection-array",
    "cut expression not compiling (ctapipe traceback)": "process-muons-cut-does-not-compile",
    "fetch-co2 --url not a URL (traceback)": "fetch-co2-url-no-scheme",
    "fetch-gdas --url not a URL (traceback)": "fetch-gdas-url-no-scheme",
    "fetch-era5 --url not a URL (exit 3)": "fetch-era5-url-no-scheme",
    "create-mdp accepts pressure not monotonic (exit 0)": "create-mdp-meteo-non-monotonic-pressure",
    "astropy message over several lines": "mdp-ecsv-time-not-isot",
    "NaN density near 15 km called 'reaches only 30 km'": "select-mdp-nan-density-near-15km",
    "credentials directory 'does not exist'": "fetch-era5-credentials-directory",
}


def test_corpus_holds_the_inputs_found_mishandled():
    ids = {c.id for c in CASES}
    assert set(MISHANDLED.values()) <= ids


def test_corpus_is_large_and_covers_every_step():
    assert len(CASES) >= 80
    assert len({c.id for c in CASES}) == len(CASES), "case ids must be unique"
    assert {c.step for c in CASES} == set(STEP_MODULES)


@pytest.mark.parametrize(
    "case",
    [pytest.param(c, id=c.id, marks=[pytest.mark.slow] if c.slow else []) for c in CASES],
)
def test_bad_input_gives_one_line_exit_code_and_no_output(run_cli, tmp_path, case):
    inputs, out = tmp_path / "in", tmp_path / "out"
    inputs.mkdir()
    out.mkdir()
    args = case.build(inputs)
    result = run_cli(case.step, *args, "--log-level", "WARNING", cwd=out)
    assert "Traceback" not in result.err, result.err
    lines = error_lines(result.err)
    assert len(lines) == 1, result.err
    (line,) = lines
    assert line.startswith(f"calibpipe-tasks {case.step}: error: "), line
    assert result.code == case.code, line
    named = case.named(inputs) if callable(case.named) else case.named
    assert str(named) in line, line
    for text in case.problem:
        assert text in line, line
    assert sorted(p.name for p in out.iterdir()) == [], "nothing may be written"


BY_ID = {c.id: c for c in CASES}


@pytest.mark.slow
@pytest.mark.parametrize(
    "case_id",
    [
        "create-mdp-meteo-non-monotonic-pressure",
        "muon-throughput-no-muon-tables",
        "process-muons-cut-unknown-attribute",
    ],
)
def test_a_real_process_prints_only_the_one_line(tmp_path, case_id):
    """As a command (what engines run): also nothing printed at interpreter exit."""
    import subprocess
    import sys

    case = BY_ID[case_id]
    inputs, out = tmp_path / "in", tmp_path / "out"
    inputs.mkdir()
    out.mkdir()
    args = [str(a) for a in case.build(inputs)]
    result = subprocess.run(
        [sys.executable, "-m", "calibpipe_tasks", case.step, *args, "--log-level", "ERROR"],
        cwd=out,
        capture_output=True,
        text=True,
    )
    assert result.returncode == case.code, result.stderr
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"calibpipe-tasks {case.step}: error: ")
    assert sorted(p.name for p in out.iterdir()) == []
