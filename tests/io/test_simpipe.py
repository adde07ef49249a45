"""SimPipe exchange writers: round trips, simtools' rules (DESIGN.md 8), ctapipe read-back."""

import filecmp
import json

import astropy.units as u
import numpy as np
import product_numbers
import pytest
from astropy.table import Table
from conftest import DATA, ROOT
from exchange_fixtures import (
    corsika_us_standard_fit,
    rayleigh_like_extinction,
    sample_inputs,
    standard_profile,
)
from jsonschema import Draft202012Validator

from calibpipe_tasks.atmosphere.standard_atmosphere import us_standard_atmosphere
from calibpipe_tasks.io import simpipe, simpipe_schemas
from calibpipe_tasks.io.simpipe_native import (
    MISSING_OPTICAL_DEPTH,
    read_atm_trans,
    read_atmprof,
)

SAMPLE = DATA / "exchange_sample"


@pytest.fixture(scope="module")
def exchange(tmp_path_factory):
    """A full-size set: 801 wavelengths (200-1000 nm) x 20 emission altitudes."""
    directory = tmp_path_factory.mktemp("exchange")
    profile, extinction, fit, info = sample_inputs(wavelengths_nm=np.arange(200.0, 1001.0))
    names = simpipe.write_exchange_set(directory, profile, extinction, fit, info)
    return directory, names, profile, extinction, fit, info


def read_ecsv(path):
    return Table.read(path, format="ascii.ecsv")


# --- round trips ---------------------------------------------------------------------------


def test_profile_asset_round_trip(exchange):
    directory, names, profile, *_ = exchange
    table = read_ecsv(directory / names["atmospheric_profile_asset"])
    for name in ("altitude", "density", "thickness", "temperature"):
        assert np.array_equal(table[name].quantity, profile[name].quantity)
    # pressure in hPa in memory, mbar in the asset: the same numbers
    assert table["pressure"].unit == u.mbar
    assert np.array_equal(np.asarray(table["pressure"]), np.asarray(profile["pressure"]))
    assert np.array_equal(table["refractive_index"], profile["refractive_index"])


def test_transmission_asset_is_the_long_form_of_the_matrix(exchange):
    directory, names, _, extinction, *_ = exchange
    table = read_ecsv(directory / names["atmospheric_transmission_asset"])
    n_wl, n_alt = extinction.optical_depth.shape
    assert len(table) == n_wl * n_alt == 801 * 20
    matrix = np.asarray(table["extinction"]).reshape(n_wl, n_alt)
    assert np.array_equal(matrix, extinction.optical_depth)
    assert np.array_equal(np.asarray(table["wavelength"][::n_alt]), extinction.wavelength_nm)
    assert np.array_equal(np.asarray(table["altitude"][:n_alt]), extinction.emission_altitude_km)
    assert table.meta["observatory_level"] == pytest.approx(2.15)


def test_missing_optical_depth_left_out_of_asset_and_99999_in_atm_trans(tmp_path):
    ext = rayleigh_like_extinction([300.0, 400.0, 500.0], [2.2, 5.0, 10.0], 2.15)
    tau = ext.optical_depth.copy()
    tau[0, 2] = np.nan
    ext = simpipe.Extinction(ext.wavelength_nm, ext.emission_altitude_km, tau, 2.15)
    site = sample_inputs()[3].site
    table = simpipe.transmission_asset_table(ext, site, "1.0.0", "x")
    assert len(table) == 8
    assert not ((table["wavelength"] == 300.0) & (table["altitude"] == 10.0)).any()
    simpipe.write_simtel_atm_trans(tmp_path / "t.dat", ext)
    last = (tmp_path / "t.dat").read_text().splitlines()[-3]
    assert last.split()[0] == "300.00" and last.split()[-1] == "99999.00"
    wl, alt, back, level = read_atm_trans(tmp_path / "t.dat")
    assert np.isnan(back[0, 2]) and np.allclose(back[~np.isnan(back)], tau[~np.isnan(tau)])
    assert MISSING_OPTICAL_DEPTH == 99999.0


def test_atmprof_round_trip_and_column_order(exchange):
    directory, names, profile, *_ = exchange
    text = (directory / names["corsika_atmprof"]).read_text()
    data_lines = [line for line in text.splitlines() if not line.startswith("#")]
    assert len(data_lines) == len(profile)
    first = [float(v) for v in data_lines[0].split()]
    # alt[km] rho[g/cm3] thick[g/cm2] n-1 T[K] p[mbar] pw/p at sea level (US standard 1976)
    assert first[0] == 0.0
    assert first[1] == pytest.approx(1.225e-3, rel=1e-4)
    assert first[2] == pytest.approx(101325 / 9.80665 / 10, rel=1e-6)
    assert first[3] == pytest.approx(2.83e-4, rel=1e-6)
    assert first[4] == pytest.approx(288.15) and first[5] == pytest.approx(1013.25)
    back = read_atmprof(directory / names["corsika_atmprof"])
    for name in back:
        expected = np.asarray(profile[name], dtype=float)
        assert np.allclose(back[name], expected, rtol=6e-8, atol=5e-4 if name == "altitude" else 0)


def test_atm_trans_header_and_rows(exchange):
    directory, names, _, extinction, *_ = exchange
    lines = (directory / names["simtel_atm_trans"]).read_text().splitlines()
    h_line = next(line for line in lines if line.startswith("# H2="))
    tokens = h_line.split()
    # what sim_telarray-table readers do: level = token 2 without its comma, altitudes after H1=
    assert tokens[:2] == ["#", "H2="] and tokens[3] == "H1="
    assert float(tokens[2].rstrip(",")) == pytest.approx(2.15)
    assert np.allclose([float(t) for t in tokens[4:]], extinction.emission_altitude_km)
    rows = [line for line in lines if not line.startswith("#")]
    assert len(rows) == 801
    wl, alt, tau, level = read_atm_trans(directory / names["simtel_atm_trans"])
    assert np.array_equal(wl, extinction.wavelength_nm)
    assert np.allclose(tau, extinction.optical_depth, rtol=6e-8)


def test_records(exchange):
    directory, names, *_ = exchange
    for parameter in ("atmospheric_profile", "atmospheric_transmission"):
        record = json.loads((directory / names[f"{parameter}_record"]).read_text())
        assert record == {
            "schema_version": "0.4.0",
            "parameter": parameter,
            "instrument": "OBS-North",
            "site": "North",
            "parameter_version": "1.0.0",
            "unique_id": "sample-north-20230615",
            "value": names[f"{parameter}_asset"],
            "unit": None,
            "type": "file",
            "file": True,
            "model_parameter_schema_version": "0.3.0",
        }


def test_manifest_lists_every_file_with_checksum_and_fit(exchange):
    from calibpipe_tasks.outputs import sha256_of

    directory, names, _, _, fit, info = exchange
    manifest = json.loads((directory / names["manifest"]).read_text())
    Draft202012Validator(simpipe_schemas.load_schema(simpipe_schemas.MANIFEST)).validate(manifest)
    listed = {e["name"]: e for e in manifest["files"]}
    assert set(listed) == {n for role, n in names.items() if role != "manifest"}
    for name, entry in listed.items():
        assert entry["sha256"] == sha256_of(directory / name)
        assert entry["size"] == (directory / name).stat().st_size
    assert manifest["observation_level_km"] == 2.15
    assert manifest["validity"] == {
        "start_utc": "2023-06-15T21:30:00Z",
        "end_utc": "2023-06-16T05:45:00Z",
    }
    assert manifest["co2_ppm"] == 420.83
    assert manifest["reference_model"] == {"season": "summer", "version": "v0"}
    layers = manifest["five_layer_fit"]["layers"]
    assert [layer["c_km"] for layer in layers] == pytest.approx(list(fit["c"]))
    assert manifest["five_layer_fit"]["max_relative_residual"] == fit.meta["max_relative_residual"]


def test_rerun_is_byte_identical(exchange, tmp_path):
    directory, names, profile, extinction, fit, info = exchange
    simpipe.write_exchange_set(tmp_path, profile, extinction, fit, info)
    for name in names.values():
        assert filecmp.cmp(directory / name, tmp_path / name, shallow=False), name


def test_write_through_step_output_callable(tmp_path):
    """The manifest hashes the files where they are written (e.g. StepContext temp paths)."""
    from calibpipe_tasks.outputs import OutputSet

    outputs = OutputSet(tmp_path)
    profile, extinction, fit, info = sample_inputs()
    names = simpipe.write_exchange_set(outputs.path, profile, extinction, fit, info)
    outputs.commit()
    from calibpipe_tasks.io.simpipe_validate import validate_exchange

    report = validate_exchange(tmp_path / names["manifest"])
    assert report["valid"] and report["summary"]["wavelengths"] == 81


def test_committed_sample_is_reproduced_by_its_script(tmp_path):
    import importlib.util

    spec = importlib.util.spec_from_file_location("make_sample", SAMPLE / "make_sample.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    names = module.make(tmp_path)
    for name in names.values():
        committed, made = SAMPLE / name, tmp_path / name
        if product_numbers.is_exact(committed):
            assert filecmp.cmp(committed, made, shallow=False), name
        else:  # float products: the same numbers within tolerance on any CPU (DESIGN.md §3a)
            expected = product_numbers.fingerprint(committed)
            problems = product_numbers.compare(expected, product_numbers.fingerprint(made), name)
            assert not problems, problems


def test_package_schemas_identical_to_published_schemas():
    published = sorted((ROOT / "schemas").glob("*.json"))
    assert {p.name for p in published} == set(simpipe_schemas.ALL)
    for path in published:
        packaged = simpipe_schemas.schema_directory() / path.name
        assert packaged.read_bytes() == path.read_bytes(), path.name
        Draft202012Validator.check_schema(json.loads(path.read_text()))


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda p: p.remove_column("density"), "density"),
        (lambda p: p["thickness"].__setitem__(3, np.nan), "NaN"),
        (lambda p: p.reverse(), "increasing"),
    ],
)
def test_writer_refuses_bad_profile(change, message, tmp_path):
    profile = standard_profile()
    change(profile)
    with pytest.raises(ValueError, match=message):
        simpipe.write_corsika_atmprof(tmp_path / "a.dat", profile)


def test_writer_refuses_bad_names():
    with pytest.raises(ValueError, match="product id"):
        simpipe.exchange_basenames("../evil")
    with pytest.raises(ValueError, match="semantic version"):
        simpipe.exchange_basenames("ok", "1.0")


# --- simtools 0.38's rules (DESIGN.md 8) on what we write ------------------------------------

SIMTOOLS_COLUMNS = {  # from simtools 0.38 model_parameters/*.schema.yml, schema_version 0.3.0
    "atmospheric_profile": {
        "altitude": ("km", True),
        "density": ("g/cm3", True),
        "thickness": ("g/cm2", True),
        "refractive_index": ("dimensionless", True),
        "temperature": ("K", False),
        "pressure": ("mbar", False),
        "water_vapor_partial_pressure": ("dimensionless", False),
    },
    "atmospheric_transmission": {
        "wavelength": ("nm", True),
        "altitude": ("km", True),
        "extinction": ("dimensionless", True),
    },
}


@pytest.mark.parametrize("parameter", sorted(SIMTOOLS_COLUMNS))
def test_simtools_rules_on_assets(exchange, parameter):
    directory, names, *_ = exchange
    record_path = directory / names[f"{parameter}_record"]
    record = json.loads(record_path.read_text())
    asset = directory / record["value"]
    assert asset.suffix == ".ecsv" and asset.is_file()
    table = read_ecsv(asset)
    spec = SIMTOOLS_COLUMNS[parameter]
    assert {n for n, (_, req) in spec.items() if req} <= set(table.colnames) <= set(spec)
    for name in table.colnames:
        assert table[name].description, f"{name} has no description"
        unit = spec[name][0]
        if unit == "dimensionless":
            assert table[name].unit in (None, u.dimensionless_unscaled)
        else:
            assert u.Unit(table[name].unit) == u.Unit(unit)
        assert np.can_cast(table[name].dtype, np.float64, casting="safe")
        assert np.all(np.isfinite(np.asarray(table[name])))
    for meta_key, record_key in (
        ("parameter_name", "parameter"),
        ("parameter_version", "parameter_version"),
        ("instrument", "instrument"),
        ("site", "site"),
    ):
        assert table.meta[meta_key] == record[record_key]
    assert record_path.stem.startswith(parameter)
    assert record_path.stem.endswith(record["parameter_version"])
    if parameter == "atmospheric_profile":
        assert np.all(np.diff(np.asarray(table["altitude"])) > 0)
    else:
        level = table.meta["observatory_level"]
        assert isinstance(level, float) and not isinstance(level, bool)
        order = np.lexsort((np.asarray(table["altitude"]), np.asarray(table["wavelength"])))
        assert np.array_equal(order, np.arange(len(table)))


# --- what ctapipe reads back ------------------------------------------------------------------


def test_ctapipe_reads_the_profile_as_a_table_atmosphere(exchange):
    """Our atmprof, in ctapipe's table form, reproduces the U.S. Standard Atmosphere between
    the levels (ctapipe interpolates log density and log thickness)."""
    from ctapipe.atmosphere import TableAtmosphereDensityProfile

    directory, names, *_ = exchange
    columns = read_atmprof(directory / names["corsika_atmprof"])
    table = Table(
        {
            "height": columns["altitude"] * u.km,
            "density": columns["density"] * u.g / u.cm**3,
            "column_density": columns["thickness"] * u.g / u.cm**2,
        }
    )
    atmosphere = TableAtmosphereDensityProfile(table)
    heights = np.array([2.5, 7.3, 15.5, 27.0, 45.0])
    _, pressure, density = us_standard_atmosphere(heights * 1000.0)
    assert np.allclose(
        atmosphere(heights * u.km).to_value(u.g / u.cm**3), density * 1e-3, rtol=5e-3
    )
    assert np.allclose(
        atmosphere.integral(heights * u.km).to_value(u.g / u.cm**2),
        pressure / 9.80665 / 10,
        rtol=5e-3,
    )


def test_ctapipe_five_layer_profile_from_manifest_fit(exchange):
    """The manifest's fit in ctapipe's FiveLayerAtmosphereDensityProfile: units right (c in km)
    means the thickness matches the standard atmosphere to the fit's quality."""
    from ctapipe.atmosphere import FiveLayerAtmosphereDensityProfile

    directory, names, *_ = exchange
    manifest = json.loads((directory / names["manifest"]).read_text())
    layers = manifest["five_layer_fit"]["layers"]
    table = Table(
        {
            "height": [layer["height_min_km"] for layer in layers] * u.km,
            "a": [layer["a_g_cm2"] for layer in layers] * u.g / u.cm**2,
            "b": [layer["b_g_cm2"] for layer in layers] * u.g / u.cm**2,
            "c": [layer["c_km"] for layer in layers] * u.km,
        }
    )
    atmosphere = FiveLayerAtmosphereDensityProfile(table)
    heights = np.array([2.15, 5.0, 10.0, 20.0, 30.0])
    _, pressure, _ = us_standard_atmosphere(heights * 1000.0)
    thickness = atmosphere.integral(heights * u.km).to_value(u.g / u.cm**2)
    residual = manifest["five_layer_fit"]["max_relative_residual"]
    assert np.all(np.abs(thickness / (pressure / 9.80665 / 10) - 1) <= residual + 1e-6)
    assert residual < 0.05


def test_fit_fixture_is_corsika_model_one():
    fit = corsika_us_standard_fit()
    assert list(fit["c"]) == pytest.approx([9.9418638, 8.7815355, 6.3614304, 7.7217016, 1e4])


def test_fast_ecsv_writer_equals_astropy(exchange, tmp_path):
    """write_ecsv prints the rows itself (speed); astropy's writer gives the same bytes."""
    directory, names, *_ = exchange
    for role in ("atmospheric_profile_asset", "atmospheric_transmission_asset"):
        table = read_ecsv(directory / names[role])
        table.write(tmp_path / "astropy.ecsv", format="ascii.ecsv", overwrite=True)
        assert (tmp_path / "astropy.ecsv").read_bytes() == (directory / names[role]).read_bytes()
