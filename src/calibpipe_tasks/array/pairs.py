"""Telescope pairs by separation, and the measurement channels they give.

A *channel* is one pair of telescopes ``(tel_1, tel_2)`` with ``tel_1 < tel_2``
and one measured quantity: the image amplitude (``intensity``, same-type pairs
only: amplitudes of different types are not comparable) or the per-telescope
reconstructed energy (``energy``, any pair). The measurement of a channel in an
event is ``y = ln x(tel_1) - ln x(tel_2)``, whose expectation is
``ln c(tel_1) - ln c(tel_2)`` (the log throughput ratio). Ordering by telescope
id fixes the sign whatever order the inputs list the telescopes in.
"""

from dataclasses import dataclass

import numpy as np

INTENSITY = "intensity"
ENERGY = "energy"
QUANTITIES = (INTENSITY, ENERGY)


@dataclass(frozen=True)
class Channels:
    """The channels of a subarray.

    Attributes
    ----------
    tel_ids : ndarray of int
        Telescope ids of the subarray, ascending; ``index`` refers to this order.
    tel_1, tel_2 : ndarray of int
        Telescope ids of each channel, ``tel_1 < tel_2``.
    quantity : ndarray of str
        ``"intensity"`` or ``"energy"`` per channel.
    separation : ndarray of float
        Ground distance of the two telescopes [m].
    lookup : ndarray of int, shape (2, n_tel, n_tel)
        ``lookup[q, i, j]`` is the channel of quantity ``q`` (index in
        :data:`QUANTITIES`) for telescope indices ``i < j``, or -1.
    """

    tel_ids: np.ndarray
    tel_1: np.ndarray
    tel_2: np.ndarray
    quantity: np.ndarray
    separation: np.ndarray
    lookup: np.ndarray

    def __len__(self):
        return len(self.tel_1)


def find_channels(
    tel_ids,
    positions_m,
    tel_types,
    max_separation_m,
    min_separation_m=0.0,
    same_type_quantities=(INTENSITY,),
    cross_type=True,
):
    """The channels of all telescope pairs with ``min <= separation <= max``.

    Parameters
    ----------
    tel_ids : array of int
        Telescope ids (any order).
    positions_m : array, shape (n_tel, 2 or 3)
        Ground positions [m], same order as ``tel_ids``.
    tel_types : array of str
        Telescope type per telescope, same order.
    max_separation_m, min_separation_m : float
        Range of the ground separation of the two telescopes [m].
    same_type_quantities : sequence of str
        Quantities measured by same-type pairs (``intensity`` and/or ``energy``).
    cross_type : bool
        Whether pairs of different types get an ``energy`` channel.

    Returns
    -------
    Channels
    """
    tel_ids = np.asarray(tel_ids, dtype=np.int64)
    order = np.argsort(tel_ids)
    tel_ids = tel_ids[order]
    if np.any(np.diff(tel_ids) == 0):
        raise ValueError("telescope ids must be unique")
    pos = np.asarray(positions_m, dtype=float)[order][:, :2]
    types = np.asarray(tel_types, dtype=str)[order]
    n = len(tel_ids)
    i, j = np.triu_indices(n, k=1)
    sep = np.hypot(*(pos[i] - pos[j]).T)
    near = (sep >= min_separation_m) & (sep <= max_separation_m)
    same = types[i] == types[j]
    lookup = np.full((len(QUANTITIES), n, n), -1, dtype=np.int64)
    parts = []
    for q, name in enumerate(QUANTITIES):
        use = near & same if name in same_type_quantities else np.zeros_like(near)
        if name == ENERGY and cross_type:
            use = use | (near & ~same)
        parts.append((q, np.flatnonzero(use)))
    tel_1, tel_2, quantity, separation = [], [], [], []
    start = 0
    for q, sel in parts:
        lookup[q, i[sel], j[sel]] = start + np.arange(sel.size)
        start += sel.size
        tel_1.append(tel_ids[i[sel]])
        tel_2.append(tel_ids[j[sel]])
        quantity.append(np.full(sel.size, QUANTITIES[q]))
        separation.append(sep[sel])
    return Channels(
        tel_ids=tel_ids,
        tel_1=np.concatenate(tel_1),
        tel_2=np.concatenate(tel_2),
        quantity=np.concatenate(quantity).astype(str),
        separation=np.concatenate(separation),
        lookup=lookup,
    )
