"""Validity of a muon intensity fit: a probe of the minimum, not MIGRAD's EDM."""

import numpy as np
from iminuit import Minuit

from calibpipe_tasks.muon.intensity_fit import MAX_DESCENT, is_minimum, lowest_probe

TRUTH = {"impact_x": 1.0, "impact_y": -0.5, "ring_width": 0.01, "optical_efficiency_muon": 0.2}
#: statistical error of the efficiency in the toy likelihood
SIGMA_EFFICIENCY = 0.004


def kinked_likelihood(impact_x, impact_y, ring_width, optical_efficiency_muon):
    """A negative log-likelihood with a kink in the impact point, as ctapipe's has (chords)."""
    return (
        0.5 * ((optical_efficiency_muon - TRUTH["optical_efficiency_muon"]) / SIGMA_EFFICIENCY) ** 2
        + 0.5 * ((ring_width - TRUTH["ring_width"]) / 1e-4) ** 2
        + 40.0 * abs(impact_x - TRUTH["impact_x"])
        + 2.0 * (impact_y - TRUTH["impact_y"]) ** 2
    )


def test_the_minimum_passes_the_probe_and_a_point_beside_it_does_not():
    fval = kinked_likelihood(**TRUTH)
    assert lowest_probe(kinked_likelihood, TRUTH, fval) is None
    # 2 sigma off in efficiency: a probe step towards the truth lowers the likelihood by
    # 0.5 * (2^2 - 1.9^2) = 0.195 > MAX_DESCENT
    off = {**TRUTH, "optical_efficiency_muon": 0.2 + 2 * SIGMA_EFFICIENCY}
    lower = lowest_probe(kinked_likelihood, off, kinked_likelihood(**off))
    assert lower is not None and lower["optical_efficiency_muon"] < off["optical_efficiency_muon"]
    # 0.05 sigma off is within the stated precision of a valid fit (0.14 sigma)
    near = {**TRUTH, "optical_efficiency_muon": 0.2 + 0.05 * SIGMA_EFFICIENCY}
    assert lowest_probe(kinked_likelihood, near, kinked_likelihood(**near)) is None
    assert MAX_DESCENT == 0.01


def test_a_migrad_fit_stopping_on_the_kink_is_valid():
    kinked_likelihood.errordef = Minuit.LIKELIHOOD
    start = {**TRUTH, "impact_x": 1.7, "impact_y": 0.3, "optical_efficiency_muon": 0.15}
    fit = Minuit(kinked_likelihood, **start)
    fit.limits["ring_width"] = (0.0, None)
    fit.limits["optical_efficiency_muon"] = (0.0, None)
    fit.tol = 1e-3
    fit.migrad()
    assert np.isclose(fit.values["optical_efficiency_muon"], 0.2, atol=0.1 * SIGMA_EFFICIENCY)
    assert is_minimum(fit, kinked_likelihood)


def test_a_fit_stopped_early_is_not_valid():
    kinked_likelihood.errordef = Minuit.LIKELIHOOD
    start = {**TRUTH, "optical_efficiency_muon": 0.15}
    fit = Minuit(kinked_likelihood, **start)
    fit.migrad(ncall=3)  # stopped before it got anywhere
    assert not is_minimum(fit, kinked_likelihood)
