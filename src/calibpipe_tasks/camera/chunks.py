"""Matching the chunks of pedestal and flat-field statistics in time.

ctapipe's aggregators chunk each event type on its own (by event count or
time), so the pedestal and flat-field chunks of a run need not coincide. Each
flat-field chunk takes the chunk of the other statistics that overlaps it most in
time; a chunk with no overlapping one takes the one whose middle is nearest. The
validity of the coefficients starts at the **start** of the flat-field chunk (an
event looks up the last row starting before it: a row stamped at its chunk's
end would be used one chunk late); the first row starts at the earliest start of
its matched chunks, so that every calibration event of the run is covered.
"""

import numpy as np


def match_chunks(start, end, other_start, other_end):
    """Index into the ``other`` chunks for each chunk ``[start, end]``.

    Parameters
    ----------
    start, end : ndarray
        Chunk start and end times (any common numeric time, e.g. MJD), shape (n,).
    other_start, other_end : ndarray
        Those of the chunks to match, shape (m,).

    Returns
    -------
    ndarray of int, shape (n,)
    """
    start, end = np.asarray(start, float)[:, None], np.asarray(end, float)[:, None]
    o_start, o_end = np.asarray(other_start, float)[None], np.asarray(other_end, float)[None]
    overlap = np.minimum(end, o_end) - np.maximum(start, o_start)
    distance = np.abs((start + end) / 2 - (o_start + o_end) / 2)
    best_overlap = np.argmax(overlap, axis=1)
    has_overlap = np.take_along_axis(overlap, best_overlap[:, None], axis=1)[:, 0] > 0
    return np.where(has_overlap, best_overlap, np.argmin(distance, axis=1))


def validity_start(start, *matched_starts):
    """Start of validity of each row: its chunk's start; the first row the earliest start.

    Parameters
    ----------
    start : ndarray
        Starts of the chunks that define the rows (flat-field), increasing.
    *matched_starts : ndarray
        Starts of the chunks matched to each row (pedestal, ...).
    """
    out = np.array(start, dtype=float)
    if out.size:
        out[0] = min([out[0]] + [float(np.asarray(s, float)[0]) for s in matched_starts])
    return out
