"""Array inter-calibration and cross-calibration of telescopes from shower events.

UC-120-2.32 and 2.33: telescopes that see the same shower at a similar impact
distance measure the same image amplitude (same type) or reconstructed energy
(any type); the mean log-ratio over many events gives their relative throughput
(Hofmann 2003, astro-ph/0302346; Mitchell et al. 2015, arXiv:1510.06526).

Pure code only (numpy/scipy in and out):

:mod:`.pairs`
    telescope pairs by separation and the channels (pair, quantity) they give;
:mod:`.pair_statistics`
    the per-channel sufficient statistics in ln space of a chunk of events, with
    the cross moments of channels sharing events;
:mod:`.fit`
    the weighted linear least-squares fits in ln c (inter-calibration with a
    gauge, cross-calibration per type) with sandwich covariances.
"""
