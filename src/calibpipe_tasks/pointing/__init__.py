"""Pointing corrections from the stars seen in sky-pedestal variance images (pure code).

* :mod:`.telescope_frame` — AltAz -> TelescopeFrame as numpy (ctapipe's rotation), with the
  pointing correction (δalt, δaz) and a camera rotation; longitudes wrapped at 180°.
* :mod:`.refraction` — the site's pressure and temperature for astropy's refraction model.
* :mod:`.expected_stars` — catalogue stars expected in the field and their predicted tracks.
* :mod:`.star_positions` — measured star positions: PSF-template fit on stacked,
  baseline-subtracted variance images, with covariance and flags.
* :mod:`.correction_fit` — the weighted least-squares pointing correction per chunk.
"""
