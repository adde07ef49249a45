"""Units used by the products that astropy does not enable by default.

``ppm`` (parts per million, 1e-6) is astropy's CDS unit; :func:`enable` makes
the string ``ppm`` in an ECSV header parse as that unit when a table is read.
"""

import astropy.units as u
from astropy.units import cds

PPM = cds.ppm


def enable():
    """Enable the units of this module for string parsing (idempotent)."""
    u.add_enabled_units([PPM])
