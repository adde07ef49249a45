"""Saturation vapour pressure and the water vapour mole fraction of moist air.

* Over liquid water: the saturation-pressure equation of IAPWS-IF97 (Wagner &
  Pruss 1993; IAPWS, "Revised Release on the IAPWS Industrial Formulation 1997",
  2007, eq. 30), as used by NIST's refractive index calculator (Stone &
  Zimmerman, NIST Engineering Metrology Toolbox, Appendix A-I).
* Over ice: the two-term sublimation-pressure equation of Wagner, Saul & Pruss
  (1994), J. Phys. Chem. Ref. Data 23, 515, as used by the same NIST appendix
  (within 1e-4 of the IAPWS 2011 equation, Wagner et al. 2011, down to 230 K).
* Also the CIPM-2007 formula (Picard et al. 2008, Metrologia 45, 149, eq. A1.2,
  identical to Davis 1992, Metrologia 29, 67) for comparison.
* Enhancement factor of moist air (Picard et al. 2008, eq. A1.3; Ciddor 1996).
* Mixed phase (``"mixed"``): the convention of ECMWF's IFS, in which ERA5's
  relative humidity is expressed: saturation over water above 0 °C, over ice
  below -23 °C, and in between e_sat = α e_w + (1 - α) e_i with
  α = ((T - 250.16 K) / (273.16 K - 250.16 K))² (IFS Cy41r2 documentation,
  Part IV, eq. 7.92-7.93). NCEP's GDAS uses the same kind of blend.
"""

import numpy as np

#: IAPWS-IF97 saturation-pressure coefficients n1..n10 (eq. 30)
_IF97 = (
    1.16705214528e3,
    -7.24213167032e5,
    -1.70738469401e1,
    1.20208247025e4,
    -3.23255503223e6,
    1.49151086135e1,
    -4.82326573616e3,
    4.05113405421e5,
    -2.38555575678e-1,
    6.50175348448e2,
)
#: triple point [K] and pressure [Pa]
T_TRIPLE = 273.16
P_TRIPLE = 611.657
#: IFS mixed-phase range [K]
T_ICE_IFS = 250.16


def saturation_vapour_pressure_water(temperature_k):
    """Saturation vapour pressure over liquid water [Pa] (IAPWS-IF97 eq. 30).

    Parameters
    ----------
    temperature_k : array_like
        Temperature [K] (the formula is valid from 273.15 K to 647 K and is used
        below 273.15 K for supercooled water).
    """
    n = _IF97
    t = np.asarray(temperature_k, dtype=float)
    omega = t + n[8] / (t - n[9])
    a = omega**2 + n[0] * omega + n[1]
    b = n[2] * omega**2 + n[3] * omega + n[4]
    c = n[5] * omega**2 + n[6] * omega + n[7]
    x = -b + np.sqrt(b**2 - 4 * a * c)
    return 1e6 * (2 * c / x) ** 4


def saturation_vapour_pressure_ice(temperature_k):
    """Saturation vapour pressure over ice [Pa] (Wagner, Saul & Pruss 1994; NIST A-I).

    ln(p / p_t) = a1 (1 - θ^-1.5) + a2 (1 - θ^-1.25), θ = T / 273.16 K.
    """
    theta = np.asarray(temperature_k, dtype=float) / T_TRIPLE
    return P_TRIPLE * np.exp(-13.928169 * (1 - theta**-1.5) + 34.7078238 * (1 - theta**-1.25))


def saturation_vapour_pressure_cipm2007(temperature_k):
    """Saturation vapour pressure over water [Pa], CIPM-2007 (Picard 2008 eq. A1.2; Davis 1992).

    p_sv = exp(A T² + B T + C + D / T) Pa.
    """
    t = np.asarray(temperature_k, dtype=float)
    return np.exp(1.2378847e-5 * t**2 - 1.9121316e-2 * t + 33.93711047 - 6.3431645e3 / t)


def saturation_vapour_pressure(temperature_k, phase="mixed"):
    """Saturation vapour pressure [Pa] over ``"water"``, ``"ice"`` or ``"mixed"``.

    ``"nist"`` is water at T >= 273.15 K and ice below (NIST calculator);
    ``"mixed"`` is the IFS blend described in the module docstring.
    """
    t = np.asarray(temperature_k, dtype=float)
    water = saturation_vapour_pressure_water(np.maximum(t, 200.0))
    if phase == "water":
        return water
    ice = saturation_vapour_pressure_ice(np.minimum(t, T_TRIPLE))
    if phase == "ice":
        return ice
    if phase == "nist":
        return np.where(t >= 273.15, water, ice)
    if phase == "mixed":
        alpha = np.clip((t - T_ICE_IFS) / (T_TRIPLE - T_ICE_IFS), 0.0, 1.0) ** 2
        return alpha * water + (1 - alpha) * ice
    raise ValueError(f"unknown phase {phase!r}")


def enhancement_factor(pressure_pa, temperature_k):
    """Enhancement factor f of water vapour in air (Picard 2008 eq. A1.3; Ciddor 1996).

    f = α + β p + γ t², α = 1.00062, β = 3.14e-8 Pa⁻¹, γ = 5.6e-7 K⁻², t in °C.
    """
    t_c = np.asarray(temperature_k, dtype=float) - 273.15
    return 1.00062 + 3.14e-8 * np.asarray(pressure_pa, dtype=float) + 5.6e-7 * t_c**2


def water_vapour_mole_fraction(
    pressure_pa, temperature_k, relative_humidity_percent, phase="mixed"
):
    """Mole fraction of water vapour x_w = h f(p, T) p_sv(T) / p (Picard 2008 eq. A1.1).

    Parameters
    ----------
    pressure_pa, temperature_k : array_like
        Total pressure [Pa] and temperature [K].
    relative_humidity_percent : array_like
        Relative humidity [%] with respect to the saturation of ``phase``.
    phase : str
        See :func:`saturation_vapour_pressure`.

    Returns
    -------
    ndarray
        x_w (dimensionless), clipped to [0, 1).
    """
    p = np.asarray(pressure_pa, dtype=float)
    h = np.clip(np.asarray(relative_humidity_percent, dtype=float), 0.0, None) / 100.0
    psv = saturation_vapour_pressure(temperature_k, phase)
    return np.clip(h * enhancement_factor(p, temperature_k) * psv / p, 0.0, 0.999)
