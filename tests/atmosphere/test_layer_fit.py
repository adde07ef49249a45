"""CORSIKA five-layer fit: recovers known parameters."""

import numpy as np
import pytest

from calibpipe_tasks.atmosphere.layer_fit import evaluate, fit_layers, golden_section_minimum

# CORSIKA's U.S. standard atmosphere parameterised by J. Linsley (CORSIKA user's guide,
# atmosphere model 1): boundaries [km], a, b [g/cm2], c [cm]
LINSLEY_BOUNDS = np.array([0.0, 4.0, 10.0, 40.0, 100.0])
LINSLEY_A = np.array([-186.555305, -94.919, 0.61289, 0.0, 0.01128292])
LINSLEY_B = np.array([1222.6562, 1144.9069, 1305.5948, 540.1778, 1.0])
LINSLEY_C_KM = np.array([994186.38, 878153.55, 636143.04, 772170.16, 1.0e9]) * 1e-5


def test_recovers_linsley_parameters():
    h = np.arange(0.0, 112.0, 0.25)
    thickness = evaluate(h, LINSLEY_BOUNDS, LINSLEY_A, LINSLEY_B, LINSLEY_C_KM)
    a, b, c, max_rel, max_abs = fit_layers(h, thickness, LINSLEY_BOUNDS)
    np.testing.assert_allclose(b[:4], LINSLEY_B[:4], rtol=1e-4)
    np.testing.assert_allclose(c[:4], LINSLEY_C_KM[:4], rtol=1e-4)
    np.testing.assert_allclose(a[:4], LINSLEY_A[:4], atol=2e-2)
    assert a[4] == pytest.approx(LINSLEY_A[4], rel=1e-6)
    assert b[4] == pytest.approx(1.0, rel=1e-6)
    assert max_rel < 1e-5 and max_abs < 1e-3


def test_bad_boundaries_are_refused():
    h = np.arange(0.0, 120.0, 1.0)
    with pytest.raises(ValueError):
        fit_layers(h, np.exp(-h / 8), [0.0, 10.0, 4.0, 40.0, 100.0])


def test_golden_section_finds_a_known_minimum():
    assert golden_section_minimum(lambda x: (x - 1.2345) ** 2 + 3, -10, 10) == pytest.approx(
        1.2345, abs=1e-6
    )
