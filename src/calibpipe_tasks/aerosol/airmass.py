"""Relative optical air mass of a line of sight.

Kasten, F. & Young, A. T. (1989), "Revised optical air mass tables and
approximation formula", Applied Optics 28, 4735-4738, eq. (3):

    X(z) = 1 / (cos z + 0.50572 (96.07995 deg - z)^-1.6364)

with z the apparent (refracted) zenith angle in degrees: Kasten & Young's fit to
their rigorous air-mass tables of the ISO standard atmosphere. It is finite up
to the horizon (X(90 deg) = 37.92, where sec z diverges); X(0) = 0.9997, and up
to z = 60 deg it is within 0.3 % of sec z (at 70 deg 0.7 %, at 80 deg 3 %).
"""

import numpy as np

#: coefficients of Kasten & Young (1989), eq. (3)
KY_A = 0.50572
KY_B_DEG = 96.07995
KY_C = 1.6364


def kasten_young_airmass(zenith_deg):
    """Relative optical air mass at apparent zenith angle ``zenith_deg`` (Kasten & Young 1989).

    Parameters
    ----------
    zenith_deg : array_like
        Apparent zenith angle in degrees, in [0, 90].

    Returns
    -------
    ndarray
        Air mass (0.9997 at the zenith, 37.92 at the horizon).

    Raises
    ------
    ValueError
        If an angle is outside [0, 90] degrees or not finite.
    """
    z = np.asarray(zenith_deg, dtype=float)
    if not np.all(np.isfinite(z)) or np.any(z < 0.0) or np.any(z > 90.0):
        raise ValueError("zenith angle must be finite and in [0, 90] degrees")
    return 1.0 / (np.cos(np.radians(z)) + KY_A * (KY_B_DEG - z) ** (-KY_C))
