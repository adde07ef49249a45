"""Synthetic single-photo-electron charge spectra with a known truth per pixel.

Per pixel: pedestal (mean and Gaussian noise), absolute gain ``g``, relative
single-p.e. width ``sigma_1`` (F^2 = 1 + sigma_1^2) and mean illumination mu.
Photo-electrons are Poisson; the summed single-p.e. charge of ``n``
photo-electrons is Gaussian (mean ``n g``, variance ``n (sigma_1 g)^2``) or
Gamma-distributed (shape ``n / sigma_1^2``, the same two moments).
"""

from dataclasses import dataclass

import numpy as np


@dataclass
class SpeTruth:
    pedestal: np.ndarray
    pedestal_std: np.ndarray
    gain: np.ndarray
    spe_width: np.ndarray
    mu: np.ndarray

    @property
    def f_squared(self):
        return 1.0 + self.spe_width**2


def make_spe_truth(n_pixels, seed=1, gain=10.0, spe_width=0.45, pedestal_std=2.5):
    rng = np.random.default_rng(seed)
    return SpeTruth(
        pedestal=400.0 + rng.standard_normal(n_pixels),
        pedestal_std=pedestal_std * (1 + 0.05 * rng.standard_normal(n_pixels)),
        gain=gain * (1 + 0.05 * rng.standard_normal(n_pixels)),
        spe_width=spe_width * (1 + 0.05 * rng.standard_normal(n_pixels)),
        mu=rng.uniform(0.6, 1.2, n_pixels),
    )


def simulate_spe(truth, n_events, seed=2, response="gaussian"):
    """Charges ``(n_events, n_pixels)`` (float32) of faint flat-field events."""
    rng = np.random.default_rng(seed)
    n_pixels = truth.gain.size
    n = rng.poisson(truth.mu, (n_events, n_pixels))
    if response == "gaussian":
        signal = n * truth.gain + np.sqrt(n) * truth.spe_width * truth.gain * rng.standard_normal(
            n.shape
        )
    elif response == "gamma":
        shape = n / truth.spe_width**2
        scale = truth.gain * truth.spe_width**2
        signal = np.where(n > 0, rng.gamma(np.maximum(shape, 1e-9), scale * np.ones_like(shape)), 0)
    else:
        raise ValueError(response)
    noise = truth.pedestal_std * rng.standard_normal(n.shape)
    return (truth.pedestal + signal + noise).astype(np.float32)
