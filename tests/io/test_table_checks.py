"""The shared input checks: every bundled sample passes its kind; each check finds its fault."""

import argparse

import numpy as np
import pytest
from astropy.table import Table
from conftest import DATA

from calibpipe_tasks import units
from calibpipe_tasks.argtypes import check_expression, http_url
from calibpipe_tasks.errors import InputDataError, one_line
from calibpipe_tasks.io import macobac_table, mdp_table, meteo_table, reference_atmosphere
from calibpipe_tasks.io.table_checks import Col, Monotonic, TableKind, check_table, read_ecsv


@pytest.mark.parametrize(
    "path, kind",
    [
        *[(p, meteo_table.KIND) for p in sorted(DATA.glob("meteo_*.ecsv"))],
        (DATA / "mdp_north_sample.ecsv", mdp_table.KIND),
        (DATA / "macobac_sample.ecsv", macobac_table.KIND),
        *[
            (p, reference_atmosphere.MODEL_KIND)
            for p in sorted(reference_atmosphere.default_reference_dir().glob("reference_*.ecsv"))
        ],
        *[
            (p, reference_atmosphere.DENSITY_KIND)
            for p in sorted(reference_atmosphere.default_reference_dir().glob("ref_density_*"))
        ],
    ],
    ids=lambda v: getattr(v, "name", None) if not isinstance(v, TableKind) else v.name,
)
def test_every_bundled_table_passes_its_kind(path, kind):
    units.enable()
    assert len(read_ecsv(path, kind)) >= kind.min_rows


PROFILES = TableKind(
    name="profiles",
    columns={"id": Col(None, finite=False), "altitude": Col("m"), "pressure": Col("hPa")},
    monotonic=(Monotonic("pressure", "decreasing", along="altitude", group_by=("id",)),),
    locate_by="altitude",
)


def profiles(pressure):
    """Two profiles interleaved row by row, altitudes 0, 1000, 2000 m each."""
    table = Table()
    table["id"] = ["a", "b"] * 3
    table["altitude"] = np.repeat([0.0, 1000.0, 2000.0], 2)
    table["altitude"].unit = "m"
    table["pressure"] = pressure
    table["pressure"].unit = "hPa"
    return table


def test_monotonic_is_checked_within_each_profile_in_any_row_order():
    # profile b decreases, profile a decreases: fine although the rows alternate a/b
    check_table(profiles([1000.0, 990.0, 900.0, 880.0, 800.0, 790.0]), PROFILES)
    table = profiles([1000.0, 990.0, 900.0, 995.0, 800.0, 790.0])  # b rises at 1000 m
    with pytest.raises(InputDataError, match="within a profile at altitude 1000 m, row 4$"):
        check_table(table, PROFILES, "x.ecsv")
    # reversing the rows changes nothing: the order is along altitude, not the file
    check_table(profiles([1000.0, 990.0, 900.0, 880.0, 800.0, 790.0])[::-1], PROFILES)


def test_a_repeated_level_is_not_monotonic():
    table = profiles([1000.0, 990.0, 900.0, 880.0, 800.0, 790.0])
    table["altitude"][4] = 1000.0  # profile a has 1000 m twice
    with pytest.raises(InputDataError, match="does not strictly decrease"):
        check_table(table, PROFILES)


def test_finite_check_names_the_altitude_and_counts_the_rows():
    table = profiles([1000.0, np.nan, 900.0, np.nan, 800.0, 790.0])
    with pytest.raises(InputDataError) as err:
        check_table(table, PROFILES, "x.ecsv")
    assert str(err.value) == (
        "x.ecsv: profiles: column pressure is NaN at altitude 0 m, row 2 (2 rows)"
    )


def test_units_are_compared_by_equivalence():
    table = profiles([1000.0, 990.0, 900.0, 880.0, 800.0, 790.0])
    table["altitude"].unit = "km"  # equivalent to m: accepted
    check_table(table, PROFILES)
    table["altitude"].unit = "s"
    with pytest.raises(InputDataError, match="column altitude has unit s, expected m"):
        check_table(table, PROFILES)


def test_one_line_joins_lines_and_cuts_long_text():
    assert one_line("first\n  second  line\n\nthird") == "first; second line; third"
    assert len(one_line("x" * 1000)) == 300 and one_line("x" * 1000).endswith("...")
    assert one_line("x" * 1000, limit=None) == "x" * 1000


@pytest.mark.parametrize("url", ["https://cds.climate.copernicus.eu/api", "http://127.0.0.1:8080"])
def test_http_urls_pass(url):
    assert http_url(url) == url


@pytest.mark.parametrize(
    "url", ["cds.example/api", "ftp://host/x", "https://", "file:///etc/passwd", "http://a b/"]
)
def test_other_urls_are_refused(url):
    with pytest.raises(argparse.ArgumentTypeError):
        http_url(url)


def test_expressions_compile_as_ctapipe_compiles_them():
    """What check_expression accepts, ctapipe's QualityQuery evaluates; what it refuses, fails."""
    from ctapipe.core import QualityQuery

    good = "np.isfinite(x) & (sqrt(x) > 1) & (abs(x) < 10)"
    assert check_expression(good, names=["x"]) == good
    table = Table({"x": [4.0, 0.5]})
    mask = QualityQuery(quality_criteria=[("c", good)]).get_table_mask(table)
    assert list(mask) == [True, False]
    for bad in ("x >", "x = 3", "x >> > 1"):
        with pytest.raises(argparse.ArgumentTypeError, match="does not compile"):
            check_expression(bad)
        with pytest.raises(Exception, match="compil"):
            QualityQuery(quality_criteria=[("c", bad)])
    with pytest.raises(argparse.ArgumentTypeError, match="unknown name"):
        check_expression("y > 1", names=["x"])
    # names bound inside the expression (comprehensions) are not free names
    assert check_expression("all(v > 0 for v in x)", names=["x"])


def test_dimensionless_and_exact_units_are_compared_exactly():
    kind = TableKind(
        name="t", columns={"ratio": Col(""), "radius": Col("deg", exact=True)}, min_rows=1
    )
    table = Table({"ratio": [0.5], "radius": [1.0]})
    table["radius"].unit = "deg"
    check_table(table, kind)
    table["ratio"].unit = "%"  # equivalent to dimensionless, but 100 times the value
    with pytest.raises(InputDataError, match="column ratio has unit %, expected dimensionless"):
        check_table(table, kind)
    table["ratio"].unit = None
    table["radius"].unit = "rad"
    with pytest.raises(InputDataError, match="column radius has unit rad, expected deg"):
        check_table(table, kind)
