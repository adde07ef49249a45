"""Air mass (Kasten & Young 1989), stratospheric background and the reference wavelength."""

import numpy as np
import pytest

from calibpipe_tasks.aerosol.airmass import kasten_young_airmass
from calibpipe_tasks.aerosol.optical_depth import (
    AerosolModel,
    stratospheric_aod,
    tropospheric_vaod,
)


def test_kasten_young_published_values():
    # Kasten & Young (1989): X = 37.92 at the horizon, 1 at the zenith (formula: 0.9997)
    assert kasten_young_airmass(90.0) == pytest.approx(37.92, abs=0.01)
    assert kasten_young_airmass(0.0) == pytest.approx(1.0, abs=3.5e-4)
    # their table: 60 deg -> 1.9947 (rigorous 1.9943), 80 deg -> 5.5841 (formula 5.586)
    assert kasten_young_airmass(60.0) == pytest.approx(1.994, abs=0.002)
    assert kasten_young_airmass(80.0) == pytest.approx(5.58, abs=0.01)


def test_kasten_young_is_sec_z_near_zenith_and_finite_at_horizon():
    z = np.linspace(0.0, 60.0, 61)
    x = kasten_young_airmass(z)
    assert np.all(np.abs(x * np.cos(np.radians(z)) - 1) < 3.1e-3)
    full = kasten_young_airmass(np.linspace(0.0, 90.0, 901))
    assert np.all(np.isfinite(full)) and np.all(np.diff(full) > 0)


@pytest.mark.parametrize("bad", [-1.0, 90.5, np.nan])
def test_kasten_young_refuses_angles_outside_the_sky(bad):
    with pytest.raises(ValueError, match="zenith angle"):
        kasten_young_airmass([10.0, bad])


def test_stratospheric_background_follows_angstrom_law():
    model = AerosolModel()
    assert stratospheric_aod(420.0, model) == pytest.approx(0.005)
    assert stratospheric_aod(840.0, model) == pytest.approx(0.005 / 4)


def test_vaod_recovers_the_injected_truth():
    model = AerosolModel(reference_wavelength_nm=400.0, tropospheric_angstrom=1.0)
    truth = 0.03  # tropospheric VAOD at 400 nm
    z = np.array([0.0, 30.0, 60.0, 75.0])
    wl = np.array([400.0, 550.0, 550.0, 800.0])
    x = kasten_young_airmass(z)
    slant = x * (truth * (wl / 400.0) ** -1.0 + stratospheric_aod(wl, model))
    vaod, err, airmass = tropospheric_vaod(slant, 0.01 * x, z, wl, model)
    assert vaod == pytest.approx(np.full(4, truth), rel=1e-12)
    assert err == pytest.approx(0.01 * (wl / 400.0), rel=1e-12)
    assert airmass == pytest.approx(x)


def test_identity_at_the_reference_wavelength_whatever_the_exponent():
    a = tropospheric_vaod([0.05], [0.01], [0.0], [420.0], AerosolModel(tropospheric_angstrom=0))
    b = tropospheric_vaod([0.05], [0.01], [0.0], [420.0], AerosolModel(tropospheric_angstrom=3))
    assert a[0] == pytest.approx(b[0]) and a[1] == pytest.approx(b[1])
