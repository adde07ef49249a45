"""Selection of the reference atmosphere of a night (CTAO UC-120-1.3).

The season whose reference molecular number density at 15 km a.s.l. is closest
to the night's (from the MDP) is chosen, as CTAO's CalibPipe does
(``reference_atmospheric_model_selector``): at 15 km the densities of the
seasons differ by several per cent while the day-to-day spread is smaller.
"""

import numpy as np

SELECTION_ALTITUDE_KM = 15.0


def density_at(altitude_km, number_density, at_km=SELECTION_ALTITUDE_KM):
    """Number density at ``at_km`` by linear interpolation in ln N; NaN outside the profile."""
    altitude_km = np.asarray(altitude_km, dtype=float)
    if not altitude_km[0] <= at_km <= altitude_km[-1]:
        return float("nan")
    return float(np.exp(np.interp(at_km, altitude_km, np.log(number_density))))


def closest(night_density, reference_densities):
    """Index of the reference density closest to the night's, and all absolute distances."""
    distance = np.abs(np.asarray(reference_densities, dtype=float) - night_density)
    return int(np.argmin(distance)), distance
