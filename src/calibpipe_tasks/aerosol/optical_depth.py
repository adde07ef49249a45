"""From a measured slant aerosol optical depth to the tropospheric vertical one at a reference
wavelength.

For a measurement of the aerosol optical depth ``tau_slant`` along a line of
sight at apparent zenith angle z and wavelength lambda:

1. vertical AOD ``tau = tau_slant / X(z)`` with the air mass of Kasten & Young
   (1989) (:func:`.airmass.kasten_young_airmass`);
2. the stratospheric background removed: ``tau_trop = tau - tau_strat(lambda)``
   with the Angstrom (1929) power law
   ``tau_strat(lambda) = tau_strat_ref (lambda / lambda_strat_ref)^-alpha_strat``.
   Defaults: 0.005 at 420 nm with alpha_strat = 2, the volcanically quiescent
   background sulfate layer (the values of CTAO's CalibPipe 0.8.0); a volcanic
   period needs the measured value instead;
3. referred to one wavelength ``lambda_ref`` with the Angstrom law of the
   tropospheric aerosol: ``tau_ref = tau_trop (lambda / lambda_ref)^alpha``,
   default alpha = 1.3 (Angstrom's continental mean, Angstrom 1929, Geografiska
   Annaler 11, 156). Where every row is at ``lambda_ref`` this step is the
   identity whatever alpha is.

The error is propagated as ``sigma_ref = sigma_slant / X(z) * (lambda/lambda_ref)^alpha``
(the background and the air mass are taken as exact).
"""

from dataclasses import dataclass

import numpy as np

from .airmass import kasten_young_airmass


@dataclass(frozen=True)
class AerosolModel:
    """The stated model of the conversion (see the module docstring).

    Attributes
    ----------
    stratospheric_aod : float
        Vertical stratospheric AOD at ``stratospheric_wavelength_nm``.
    stratospheric_wavelength_nm : float
        Wavelength at which ``stratospheric_aod`` is given [nm].
    stratospheric_angstrom : float
        Angstrom exponent of the stratospheric aerosol.
    reference_wavelength_nm : float
        Wavelength every VAOD is referred to [nm].
    tropospheric_angstrom : float
        Angstrom exponent used to refer the tropospheric VAOD to the reference wavelength.
    """

    stratospheric_aod: float = 0.005
    stratospheric_wavelength_nm: float = 420.0
    stratospheric_angstrom: float = 2.0
    reference_wavelength_nm: float = 420.0
    tropospheric_angstrom: float = 1.3


def stratospheric_aod(wavelength_nm, model):
    """Stratospheric background VAOD at ``wavelength_nm`` (Angstrom power law)."""
    wl = np.asarray(wavelength_nm, dtype=float)
    ratio = wl / model.stratospheric_wavelength_nm
    return model.stratospheric_aod * ratio ** (-model.stratospheric_angstrom)


def tropospheric_vaod(slant_aod, slant_aod_err, zenith_deg, wavelength_nm, model):
    """Tropospheric vertical AOD at the reference wavelength, with its error.

    Parameters
    ----------
    slant_aod, slant_aod_err : array_like
        Measured AOD along the line of sight and its 1-sigma error.
    zenith_deg : array_like
        Apparent zenith angle of the line of sight [deg], in [0, 90].
    wavelength_nm : array_like
        Wavelength of the measurement (the filter's peak) [nm], > 0.
    model : AerosolModel
        The stated conversion model.

    Returns
    -------
    vaod, vaod_err, airmass : ndarray
        Tropospheric VAOD at ``model.reference_wavelength_nm``, its error, and the air mass.
    """
    airmass = kasten_young_airmass(zenith_deg)
    wl = np.asarray(wavelength_nm, dtype=float)
    scale = (wl / model.reference_wavelength_nm) ** model.tropospheric_angstrom
    vertical = np.asarray(slant_aod, dtype=float) / airmass
    vaod = (vertical - stratospheric_aod(wl, model)) * scale
    vaod_err = np.asarray(slant_aod_err, dtype=float) / airmass * scale
    return vaod, vaod_err, airmass
