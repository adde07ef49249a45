"""ctapipe's muon intensity fit, made to converge to the best minimum it can find.

ctapipe's :class:`~ctapipe.image.muon.MuonIntensityFitter` (model of
Chalme-Calvet et al. 2013, arXiv:1403.4550) runs one MIGRAD from a fixed start
(impact half the mirror radius, ``phi = 0``). In the impact point (distance,
azimuth) its likelihood has several local minima (e.g. the mirror images
``phi`` and ``pi - phi`` of the light distribution along the ring) and kinks
(the chord of the mirror and of its central hole is a ``sqrt`` that vanishes
where a line of the integration becomes tangent to either circle; the
integration samples azimuths discretely). Which minimum MIGRAD stops in then
depends on the last bits of the first steps: on two CPUs (numpy's AVX-512
kernels on or off, numba compiling for the host or a generic CPU) the fitted
efficiency of the same ring differed by up to 4 % (likelihood 45 units apart).

:class:`ConvergingMuonIntensityFitter` keeps ctapipe's likelihood and its fit,
and adds a global stage: the likelihood is evaluated on a polar grid of impact
points (width and efficiency at ctapipe's optimum), MIGRAD is run in Cartesian
impact coordinates (no boundary at ``impact = 0`` or ``phi = +-pi``) from the
best grid points and from ctapipe's optimum, and the lowest likelihood wins.
Measured cross-CPU agreement and cost: README "Muon calibration", BENCHMARKS.md.
"""

import numpy as np

#: impact distances of the grid, in mirror radii
GRID_RADII = (0.0, 0.25, 0.5, 0.75, 1.0, 1.5)
#: azimuths of the grid (per non-zero distance)
GRID_AZIMUTHS = 12
#: MIGRAD runs from the best grid points
N_STARTS = 3
#: MIGRAD tolerance of the refinement (EDM < 0.002 * tol * errordef; ctapipe's fit: 0.1)
REFINE_TOLERANCE = 1e-3
#: validity of the fit: no step of :data:`PROBE_STEPS` from the minimum lowers the negative
#: log-likelihood by more than this (0.01: the efficiency is within sqrt(2 * 0.01) = 0.14
#: sigma of the best value along each parameter). MIGRAD's own flag (its estimated distance to
#: the minimum, EDM, below 0.002 * tol * errordef) is not used: the EDM assumes a quadratic
#: likelihood, and at the kinks of this one it takes any value between 1e-10 and 1e3 for the
#: same minimum (same likelihood to 1e-4, efficiency to 2e-4): which side of the limit it
#: lands on followed last-bit noise (10 of the 91 rings of the muon samples flipped between
#: native and baseline-only CPU kernels).
MAX_DESCENT = 0.01
#: steps of the probes: impact x, y [m]; ring width and efficiency (relative)
PROBE_STEPS = {
    "impact_x": 0.02,
    "impact_y": 0.02,
    "ring_width": 0.01,
    "optical_efficiency_muon": 0.002,
}
#: MIGRAD restarts from a lower probe point
MAX_POLISH = 3


def grid_impacts(mirror_radius):
    """Impact points ``(x, y)`` [m] of the start grid: the centre and rings of azimuths."""
    azimuths = np.arange(GRID_AZIMUTHS) * (2 * np.pi / GRID_AZIMUTHS)
    radii = np.asarray([r for r in GRID_RADII if r > 0]) * mirror_radius
    x = np.concatenate([[0.0], np.outer(radii, np.cos(azimuths)).ravel()])
    y = np.concatenate([[0.0], np.outer(radii, np.sin(azimuths)).ravel()])
    return x, y


def _cartesian(nll, center_x, center_y, radius):
    """ctapipe's likelihood as a function of the impact point ``(impact_x, impact_y)``."""
    from iminuit import Minuit

    def negative_log_likelihood(impact_x, impact_y, ring_width, optical_efficiency_muon):
        return nll(
            np.hypot(impact_x, impact_y),
            np.arctan2(impact_y, impact_x),
            center_x,
            center_y,
            radius,
            ring_width,
            optical_efficiency_muon,
        )

    negative_log_likelihood.errordef = Minuit.LIKELIHOOD
    return negative_log_likelihood


def refine(nll, center_x, center_y, radius, start, mirror_radius, width_error):
    """The lowest minimum of ``nll`` from ``start`` and from the best grid points.

    Parameters
    ----------
    nll : callable
        ctapipe's ``negative_log_likelihood(impact_parameter, phi, center_x,
        center_y, radius, ring_width, optical_efficiency_muon)`` (SI units, rad).
    center_x, center_y, radius : float
        Ring geometry [rad], fixed as in ctapipe's fit.
    start : dict
        ctapipe's optimum: ``impact_parameter``, ``phi``, ``ring_width``,
        ``optical_efficiency_muon``.
    mirror_radius : float
        Radius of the mirror [m] (sets the grid).
    width_error : float
        Initial step of the ring width [rad] (ctapipe's: 0.001 radius).

    Returns
    -------
    fit : iminuit.Minuit
        The fit in Cartesian impact coordinates with the lowest likelihood;
        ties keep the earlier start (ctapipe's optimum first), so the result is
        deterministic. Where a probe step (:func:`lowest_probe`) finds a lower
        likelihood, MIGRAD is restarted there (up to :data:`MAX_POLISH` times).
    fcn : callable
        The likelihood in the fit's parameters.
    """
    from iminuit import Minuit

    fcn = _cartesian(nll, center_x, center_y, radius)
    width = start["ring_width"]
    efficiency = start["optical_efficiency_muon"]
    gx, gy = grid_impacts(mirror_radius)
    values = np.array([fcn(x, y, width, efficiency) for x, y in zip(gx, gy, strict=True)])
    order = np.argsort(values, kind="stable")[:N_STARTS]
    rho, phi = start["impact_parameter"], start["phi"]
    starts = [(rho * np.cos(phi), rho * np.sin(phi))] + [(gx[i], gy[i]) for i in order]
    best = None
    for impact_x, impact_y in starts:
        minuit = Minuit(
            fcn,
            impact_x=impact_x,
            impact_y=impact_y,
            ring_width=width,
            optical_efficiency_muon=efficiency,
        )
        minuit.print_level = 0
        minuit.errors["impact_x"] = minuit.errors["impact_y"] = 0.5
        minuit.errors["ring_width"] = width_error
        minuit.errors["optical_efficiency_muon"] = 0.05
        minuit.limits["ring_width"] = (0.0, None)
        minuit.limits["optical_efficiency_muon"] = (0.0, None)
        minuit.tol = REFINE_TOLERANCE
        minuit.migrad()
        if best is None or minuit.fval < best.fval:
            best = minuit
    for _ in range(MAX_POLISH):
        lower = lowest_probe(fcn, best.values.to_dict(), best.fval)
        if lower is None:
            break
        # MIGRAD stopped on a kink short of the minimum: restart from the lower point
        minuit = Minuit(fcn, **lower)
        minuit.print_level = 0
        for name in lower:
            minuit.errors[name] = best.errors[name]
        minuit.limits["ring_width"] = (0.0, None)
        minuit.limits["optical_efficiency_muon"] = (0.0, None)
        minuit.tol = REFINE_TOLERANCE
        minuit.migrad()
        best = minuit if minuit.fval < best.fval else best
    return best, fcn


def probe_points(values):
    """The points one :data:`PROBE_STEPS` step from ``values`` along each parameter.

    Parameters
    ----------
    values : dict
        ``impact_x``, ``impact_y`` [m], ``ring_width`` [rad], ``optical_efficiency_muon``.

    Returns
    -------
    list of dict
        Eight points (minus and plus along each parameter).
    """
    points = []
    for name, step in PROBE_STEPS.items():
        is_impact = name.startswith("impact")
        delta = step if is_impact else step * abs(values[name])
        for sign in (-1.0, 1.0):
            value = values[name] + sign * delta
            # ring width and efficiency are bounded below by 0, as in the fit
            points.append({**values, name: value if is_impact else max(value, 0.0)})
    return points


def lowest_probe(fcn, values, fval):
    """The probe point whose likelihood is lowest, if lower than ``fval - MAX_DESCENT``, else None.

    A fit is a valid minimum (:data:`MAX_DESCENT`) when this is None.
    """
    points = probe_points(values)
    probed = np.array([fcn(**p) for p in points])
    i = int(np.argmin(probed))
    return points[i] if probed[i] < fval - MAX_DESCENT else None


def is_minimum(fit, fcn):
    """Whether a fit is a valid minimum of the ring's likelihood ``fcn``.

    Valid: finite values, MIGRAD neither reached its call limit nor failed to compute the
    Hesse matrix, and no probe step lowers the likelihood by more than :data:`MAX_DESCENT`
    (:func:`lowest_probe`).
    """
    values = fit.values.to_dict()
    return bool(
        np.all(np.isfinite(list(values.values())))
        and np.isfinite(fit.fval)
        and not fit.fmin.has_reached_call_limit
        and not fit.fmin.hesse_failed
        and lowest_probe(fcn, values, fit.fval) is None
    )


def converging_fitter_class():
    """``ConvergingMuonIntensityFitter``, a subclass of ctapipe's ``MuonIntensityFitter``.

    Built on first use so that importing this module does not import ctapipe.
    """
    global _FITTER_CLASS
    if _FITTER_CLASS is not None:
        return _FITTER_CLASS
    import astropy.units as u
    from ctapipe.containers import MuonEfficiencyContainer
    from ctapipe.image.muon.intensity_fitter import (
        MuonIntensityFitter,
        build_negative_log_likelihood,
    )

    class ConvergingMuonIntensityFitter(MuonIntensityFitter):
        """ctapipe's fit, then :func:`refine` on ctapipe's own likelihood."""

        #: where the pixels' pedestal noise comes from (:class:`.pedestal.PedestalNoise`);
        #: None: the ``pedestal`` argument (ctapipe's ``MuonProcessor.pedestal``)
        pedestal_noise = None
        #: per-pixel noise of the event being fitted, per telescope (camera coefficients)
        event_pedestal = None

        def __call__(self, tel_id, center_x, center_y, radius, image, pedestal, mask=None):
            pedestal = self._pedestal(tel_id, center_x, center_y, radius, image, pedestal)
            first = super().__call__(tel_id, center_x, center_y, radius, image, pedestal, mask)
            telescope = self.subarray.tel[tel_id]
            nll = build_negative_log_likelihood(
                image=image,
                optics=telescope.optics,
                geometry_tel_frame=self._geometries_tel_frame[tel_id],
                mask=mask,
                oversampling=self.oversampling.tel[tel_id],
                min_lambda=self.min_lambda_m.tel[tel_id] * u.m,
                max_lambda=self.max_lambda_m.tel[tel_id] * u.m,
                spe_width=self.spe_width.tel[tel_id],
                pedestal=pedestal,
                hole_radius=self.hole_radius_m.tel[tel_id] * u.m,
                pix_type=telescope.camera.geometry.pix_type,
            )
            radius_rad = radius.to_value(u.rad)
            start = {
                "impact_parameter": first.impact.to_value(u.m),
                "phi": np.arctan2(first.impact_y.to_value(u.m), first.impact_x.to_value(u.m)),
                "ring_width": first.width.to_value(u.rad),
                "optical_efficiency_muon": first.optical_efficiency,
            }
            mirror_radius = np.sqrt(telescope.optics.mirror_area.to_value(u.m**2) / np.pi)
            fit, fcn = refine(
                nll,
                center_x.to_value(u.rad),
                center_y.to_value(u.rad),
                radius_rad,
                start,
                mirror_radius,
                width_error=0.001 * radius_rad,
            )
            v = fit.values
            impact_x, impact_y = v["impact_x"], v["impact_y"]
            return MuonEfficiencyContainer(
                impact=np.hypot(impact_x, impact_y) * u.m,
                impact_x=impact_x * u.m,
                impact_y=impact_y * u.m,
                width=u.Quantity(np.rad2deg(v["ring_width"]), u.deg),
                optical_efficiency=v["optical_efficiency_muon"],
                is_valid=is_minimum(fit, fcn),
                parameters_at_limit=fit.fmin.has_parameters_at_limit,
                likelihood_value=fit.fval,
            )

        def _pedestal(self, tel_id, center_x, center_y, radius, image, pedestal):
            source = self.pedestal_noise
            if source is None or source.source == "fixed":
                return pedestal
            if source.source == "image":
                geometry = self._geometries_tel_frame[tel_id]
                noise, _ = source.for_ring(
                    image,
                    geometry.pix_x.to_value(u.rad),
                    geometry.pix_y.to_value(u.rad),
                    center_x.to_value(u.rad),
                    center_y.to_value(u.rad),
                    radius.to_value(u.rad),
                )
                return noise
            return self.event_pedestal[tel_id]

    _FITTER_CLASS = ConvergingMuonIntensityFitter
    return _FITTER_CLASS


_FITTER_CLASS = None
