"""Aerosol calibration: clear-night assessment from FRAM aerosol optical depths (UC-120-1.12).

Pure computation (numpy in, numpy out; no files, no network):

* :mod:`.airmass` - relative optical air mass valid up to the horizon (Kasten & Young 1989);
* :mod:`.optical_depth` - slant to vertical AOD, stratospheric background, reference wavelength;
* :mod:`.outliers` - isolated-outlier rejection that keeps sustained excursions (clouds);
* :mod:`.stability` - weighted mean, chi-square of a constant, excess variance (Paule-Mandel
  estimate and Q-profile limits), linear drift;
* :mod:`.verdict` - the verdict enum, the thresholds and the decision;
* :mod:`.assessment` - the whole chain, vectorised over nights (rows of 2-D arrays).
"""
