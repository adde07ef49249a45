"""Read the telescope events of a ctapipe DL2 file once, in chunks of events.

The layout (``ctapipe-process`` / ``ctapipe-apply-models``): the subarray trigger
table ``/dl1/event/subarray/trigger`` (one row per event; ``tels_with_trigger``
is a mask over the subarray's telescopes in their layout order) and per telescope
``/dl1/event/telescope/parameters/tel_NNN`` (``hillas_intensity``),
``/dl2/event/telescope/energy/<Regressor>/tel_NNN`` (``<Regressor>_tel_energy``,
``_tel_is_valid``) and ``/dl2/event/telescope/impact/<Reco>/tel_NNN``
(``<Reco>_tel_impact_distance``), each with one row per triggered telescope
event in event order: the rows of telescope ``t`` for events ``[e0, e1)`` are
a contiguous range whose length is the sum of the mask column (the same
bookkeeping ctapipe's ``TableLoader`` uses). Every chunk is checked: the
``(obs_id, event_id)`` of the telescope rows must be those of the trigger
table, or the file is refused. Event-level quantities come from
``/dl2/event/subarray/geometry/<Reco>`` (``<Reco>_is_valid``) and, if asked for,
``/dl2/event/subarray/classification/<Classifier>`` (``<Classifier>_prediction``),
one row per event aligned with the trigger table.

The per-telescope tables are read with PyTables field reads (only the needed
columns), so memory stays that of one chunk.
"""

from dataclasses import dataclass

import numpy as np

from ..errors import InputDataError, UsageError
from .muon_tables import SUBARRAY_LAYOUT, open_checked

SUBARRAY_TRIGGER = "/dl1/event/subarray/trigger"
PARAMETERS_GROUP = "/dl1/event/telescope/parameters"
ENERGY_GROUP = "/dl2/event/telescope/energy"
IMPACT_GROUP = "/dl2/event/telescope/impact"
GEOMETRY_GROUP = "/dl2/event/subarray/geometry"
CLASSIFICATION_GROUP = "/dl2/event/subarray/classification"


@dataclass
class DL2Layout:
    """What a DL2 file holds: telescopes, algorithms, sizes."""

    tel_ids: np.ndarray
    tel_types: np.ndarray
    positions_m: np.ndarray
    regressor: str
    reconstructor: str
    classifier: str | None
    n_events: int


def _pick(h5, path, group, wanted, what, option):
    if group not in h5:
        raise InputDataError(path, f"no {what} tables ({group}/<algorithm>/tel_NNN)")
    names = sorted(h5.get_node(group)._v_children)
    if wanted is not None:
        if wanted not in names:
            raise InputDataError(path, f"no {what} {wanted!r} in {group} (has: {', '.join(names)})")
        return wanted
    if len(names) != 1:
        raise UsageError(
            f"{path}: several {what} algorithms ({', '.join(names)}): choose with {option}"
        )
    return names[0]


OPTICS_TABLE = "/configuration/instrument/telescope/optics"
#: layout table versions whose columns :func:`read_layout` knows (ctapipe 0.2x-0.32: "2.0")
LAYOUT_VERSIONS = {"2.0"}


def read_layout(h5, path):
    """Telescope ids, type names and positions from ``/configuration/instrument`` directly.

    The contract is ctapipe's: ``str(subarray.tel[t])`` is ``<size_type>_<optics_name>_
    <camera_name>`` (the optics table row ``optics_index`` of the layout row, the layout's
    ``camera_name``), positions are the layout's ``pos_x``, ``pos_y``, ``pos_z`` in their stored
    unit, telescopes in the layout's row order (ctapipe's telescope index order, the order
    of the ``tels_with_trigger`` mask), as ``SubarrayDescription.from_hdf`` gives them
    (tested against it). Reading two small tables with PyTables avoids importing
    ``ctapipe.io`` (~270 MiB and seconds of start-up).

    Returns
    -------
    tuple of (ndarray of int, ndarray of str, ndarray of float (n, 3)), or None
        None if the file's layout is of another version or lacks a column: the caller
        then uses ctapipe.
    """
    import astropy.units as u

    layout = h5.get_node(SUBARRAY_LAYOUT)
    attrs = layout.attrs
    version = str(attrs["TAB_VER"]) if "TAB_VER" in attrs._v_attrnamesuser else None
    needed = {"tel_id", "pos_x", "pos_y", "pos_z", "camera_name", "optics_index"}
    if version not in LAYOUT_VERSIONS or not needed <= set(layout.colnames):
        return None
    if OPTICS_TABLE not in h5:
        raise InputDataError(path, f"no optics table ({OPTICS_TABLE})")
    optics = h5.get_node(OPTICS_TABLE).read()
    rows = layout.read()
    if {"size_type", "optics_name"} - set(optics.dtype.names or ()):
        return None
    index = rows["optics_index"].astype(np.int64)
    if index.size and (index.min() < 0 or index.max() >= len(optics)):
        raise InputDataError(path, "subarray layout refers to a missing optics row")
    text = np.char.decode
    names = np.char.add(
        np.char.add(text(optics["size_type"][index]), "_"),
        np.char.add(
            np.char.add(text(optics["optics_name"][index]), "_"), text(rows["camera_name"])
        ),
    )
    positions = np.empty((len(rows), 3))
    for k, col in enumerate(("pos_x", "pos_y", "pos_z")):
        unit_key = f"CTAFIELD_{layout.colnames.index(col)}_UNIT"
        unit = str(attrs[unit_key]) if unit_key in attrs._v_attrnamesuser else "m"
        positions[:, k] = rows[col] * u.Unit(unit).to(u.m)
    tel_ids = rows["tel_id"].astype(np.int64)
    if np.unique(tel_ids).size != tel_ids.size:
        raise InputDataError(path, "a telescope id appears twice in the subarray layout")
    return tel_ids, names, positions


def _layout_from_ctapipe(path):
    from ctapipe.instrument import SubarrayDescription

    try:
        subarray = SubarrayDescription.from_hdf(path)
    except Exception as err:  # noqa: BLE001 - any failure: unusable description
        raise InputDataError(path, f"unreadable subarray description ({err})") from None
    tel_ids = np.array(subarray.tel_ids, dtype=np.int64)
    types = np.array([str(subarray.tel[int(t)]) for t in tel_ids])
    positions = np.array([subarray.positions[int(t)].to_value("m") for t in tel_ids])
    return tel_ids, types, positions


def inspect_dl2(path, regressor=None, reconstructor=None, classifier=None):
    """Check ``path`` and describe it (:class:`DL2Layout`); :class:`InputDataError` if unusable."""
    import tables

    with open_checked(path) as h5:
        for node, what in (
            (SUBARRAY_LAYOUT, "subarray description"),
            (SUBARRAY_TRIGGER, "subarray trigger table"),
            (PARAMETERS_GROUP, "image parameter tables"),
        ):
            if node not in h5:
                raise InputDataError(path, f"no {what} ({node})")
        regressor = _pick(
            h5, path, ENERGY_GROUP, regressor, "energy regressor", "--energy-regressor"
        )
        reconstructor = _pick(
            h5, path, IMPACT_GROUP, reconstructor, "impact reconstructor", "--impact-reconstructor"
        )
        if classifier is not None:
            if f"{CLASSIFICATION_GROUP}/{classifier}" not in h5:
                raise InputDataError(path, f"no classification {CLASSIFICATION_GROUP}/{classifier}")
        trig = h5.get_node(SUBARRAY_TRIGGER)
        n_events = trig.nrows
        mask_width = trig.coldescrs["tels_with_trigger"].shape[0]
        try:
            direct = read_layout(h5, path)
        except (KeyError, ValueError, TypeError, IndexError, tables.HDF5ExtError) as err:
            raise InputDataError(path, f"unreadable subarray description ({err})") from None
    tel_ids, types, positions = direct if direct is not None else _layout_from_ctapipe(path)
    if mask_width != len(tel_ids):
        raise InputDataError(
            path, f"tels_with_trigger has {mask_width} columns for {len(tel_ids)} telescopes"
        )
    return DL2Layout(tel_ids, types, positions, regressor, reconstructor, classifier, n_events)


def _unit_scale(table, column, unit):
    """Factor converting ``column`` of a ctapipe table to ``unit`` (from its CTAFIELD attrs)."""
    import astropy.units as u

    names = table.colnames
    pos = names.index(column)
    key = f"CTAFIELD_{pos}_UNIT"
    stored = str(table.attrs[key]) if key in table.attrs._v_attrnamesuser else None
    if stored is None:
        return 1.0
    return u.Unit(stored).to(unit)


def _time_converter(table, path):
    """Function turning the stored ``time`` column of ``table`` into MJD TAI."""
    pos = table.colnames.index("time")
    fmt_key = f"CTAFIELD_{pos}_TIME_FORMAT"
    fmt = str(table.attrs[fmt_key]) if fmt_key in table.attrs._v_attrnamesuser else "mjd"
    if fmt == "ctao_high_res":
        # ctapipe.time.ctao_high_res_to_time: TAI seconds since 1970 and quarter nanoseconds
        def to_mjd(raw):
            from astropy.time import Time

            return Time(raw[..., 0], raw[..., 1] * 0.25e-9, format="unix_tai").tai.mjd

        return to_mjd
    if fmt == "mjd":
        return lambda raw: np.asarray(raw, dtype=float)
    raise InputDataError(path, f"trigger time stored as {fmt!r}, not ctao_high_res or mjd")


class _BlockReader:
    """Sequential reads of a few columns of one PyTables table, in large aligned blocks.

    ``take(a, b)`` returns the columns of rows ``[a, b)``; rows are read from the file in
    blocks of at least ``block_rows`` rows ending on a multiple of the table's HDF5 chunk
    size, so that every compressed chunk is decompressed once and the number of PyTables
    calls stays small (one call per block, not per column and chunk of events), while only
    the needed columns of one block per table stay in memory. ``convert`` maps a column to
    a function applied to it once per block (e.g. times to MJD). A missing column is an
    :class:`InputDataError` of ``path`` at construction.
    """

    def __init__(self, path, table, columns, block_rows, convert=None):
        missing = [c for c in columns if c not in table.colnames]
        if missing:
            raise InputDataError(path, f"{table._v_pathname} lacks column {missing[0]}")
        self.table = table
        self.columns = columns
        self.convert = convert or {}
        self.block_rows = int(block_rows)
        self.chunk = int(table.chunkshape[0]) if table.chunkshape else 1
        self.nrows = int(table.nrows)
        self.start = self.end = 0
        self.data = {c: np.empty(0) for c in columns}

    def take(self, a, b):
        if a < self.start or b > self.end:
            stop = max(b, a + self.block_rows)
            stop = min(self.nrows, -(-stop // self.chunk) * self.chunk)
            rows = self.table.read(a, stop)
            self.data = {c: np.ascontiguousarray(rows[c]) for c in self.columns}
            for c, function in self.convert.items():
                self.data[c] = function(self.data[c])
            self.start, self.end = a, stop
        i, j = a - self.start, b - self.start
        return {c: v[i:j] for c, v in self.data.items()}


#: memory for the per-telescope read buffers of :func:`iter_chunks` (all tables together)
READ_BUFFER_BYTES = 24 * 2**20
#: rows per read of the event-level tables (trigger, geometry, classification; ~ 85 bytes a row)
EVENT_BLOCK_ROWS = 2**15


def iter_chunks(path, layout, chunk_events=20000):
    """Yield the telescope events of ``path`` chunk by chunk of events.

    The per-telescope tables are read in blocks (:class:`_BlockReader`, together at most
    about :data:`READ_BUFFER_BYTES` of needed columns), the event-level ones in blocks of
    :data:`EVENT_BLOCK_ROWS`, independently of ``chunk_events``.

    Yields
    ------
    dict
        ``event_time_mjd``, ``event_obs_id``, ``event_ok`` (geometry valid), ``gammaness``
        (or None), per event; ``event_index`` (chunk-local), ``tel_index`` (in
        ``layout.tel_ids``), ``intensity`` [p.e.], ``energy`` [TeV], ``energy_valid``,
        ``impact`` [m], per telescope event (event order, then telescope).
    """
    reg, reco, cls = layout.regressor, layout.reconstructor, layout.classifier
    import tables

    n_tel = len(layout.tel_ids)
    e_col, v_col, i_col = f"{reg}_tel_energy", f"{reg}_tel_is_valid", f"{reco}_tel_impact_distance"
    # the block reads do their own buffering: a small HDF5 chunk cache per table (the 16 MB
    # default per dataset would hold most of a night's file in memory)
    with tables.open_file(str(path), mode="r", chunk_cache_size=64 * 1024) as h5:
        trig = h5.get_node(SUBARRAY_TRIGGER)
        # bytes per row of the needed columns: p 16, e 25, i 16 (+ slack)
        block_rows = max(2048, READ_BUFFER_BYTES // (64 * max(n_tel, 1)))
        readers, scales = [], []
        for t in layout.tel_ids.tolist():
            name = f"tel_{t:03d}"
            nodes = (
                f"{PARAMETERS_GROUP}/{name}",
                f"{ENERGY_GROUP}/{reg}/{name}",
                f"{IMPACT_GROUP}/{reco}/{name}",
            )
            p_tab, e_tab, i_tab = (h5.get_node(n) if n in h5 else None for n in nodes)
            if p_tab is None or e_tab is None or i_tab is None:
                readers.append(None)
                scales.append((1.0, 1.0))
                continue
            readers.append(
                (
                    _BlockReader(path, p_tab, ("hillas_intensity", "event_id"), block_rows),
                    _BlockReader(path, e_tab, (e_col, v_col, "obs_id", "event_id"), block_rows),
                    _BlockReader(path, i_tab, (i_col, "event_id"), block_rows),
                )
            )
            scales.append((_unit_scale(e_tab, e_col, "TeV"), _unit_scale(i_tab, i_col, "m")))
        trig_reader = _BlockReader(
            path, trig, ("obs_id", "event_id", "time", "tels_with_trigger"), EVENT_BLOCK_ROWS
        )
        trig_reader.convert["time"] = _time_converter(trig, path)
        geom_path = f"{GEOMETRY_GROUP}/{reco}"
        geom = None
        if geom_path in h5:
            geom = _BlockReader(
                path, h5.get_node(geom_path), ("event_id", f"{reco}_is_valid"), EVENT_BLOCK_ROWS
            )
        clsf = None
        if cls:
            clsf = _BlockReader(
                path,
                h5.get_node(f"{CLASSIFICATION_GROUP}/{cls}"),
                ("event_id", f"{cls}_prediction"),
                EVENT_BLOCK_ROWS,
            )
        # telescope indices as uint16 (a radix sort below) while there are fewer than 2**16
        tel_dtype = np.uint16 if n_tel < 2**16 else np.int64
        cursor = np.zeros(n_tel, dtype=np.int64)
        for e0 in range(0, layout.n_events, chunk_events):
            e1 = min(e0 + chunk_events, layout.n_events)
            rows = trig_reader.take(e0, e1)
            mask = rows["tels_with_trigger"]
            obs = rows["obs_id"].astype(np.int64)
            evid = rows["event_id"].astype(np.int64)
            counts = mask.sum(axis=0)
            ev_idx, tel_idx = np.nonzero(mask)
            order = np.argsort(tel_idx.astype(tel_dtype), kind="stable")
            m = ev_idx.size
            intensity = np.empty(m)
            energy = np.empty(m)
            valid = np.empty(m, dtype=bool)
            impact = np.empty(m)
            got_obs = np.empty(m, dtype=np.int64)
            got_ev = np.empty((3, m), dtype=np.int64)
            start = 0
            for k in range(n_tel):
                cnt = int(counts[k])
                if cnt == 0:
                    continue
                seg = order[start : start + cnt]
                start += cnt
                a, b = int(cursor[k]), int(cursor[k] + cnt)
                name = f"tel_{int(layout.tel_ids[k]):03d}"
                if readers[k] is None or any(r.nrows < b for r in readers[k]):
                    raise InputDataError(
                        path,
                        f"{name}: fewer parameter/energy/impact rows than "
                        "triggered events in tels_with_trigger",
                    )
                p_rows, e_rows, i_rows = (r.take(a, b) for r in readers[k])
                intensity[seg] = p_rows["hillas_intensity"]
                energy[seg] = e_rows[e_col] * scales[k][0]
                valid[seg] = e_rows[v_col]
                impact[seg] = i_rows[i_col] * scales[k][1]
                got_obs[seg] = e_rows["obs_id"]
                got_ev[0, seg] = e_rows["event_id"]
                got_ev[1, seg] = p_rows["event_id"]
                got_ev[2, seg] = i_rows["event_id"]
                cursor[k] = b
            if m and (np.any(got_obs != obs[ev_idx]) or np.any(got_ev != evid[ev_idx][None, :])):
                raise InputDataError(
                    path,
                    "telescope table rows do not match the trigger table "
                    f"(events {e0}-{e1 - 1}): not ctapipe event order",
                )
            event_ok = np.ones(e1 - e0, dtype=bool)
            if geom is not None:
                g = geom.take(e0, e1)
                if len(g["event_id"]) != e1 - e0 or np.any(g["event_id"] != evid):
                    raise InputDataError(
                        path, f"{geom_path} rows are not aligned with the trigger table"
                    )
                event_ok &= g[f"{reco}_is_valid"]
            gammaness = None
            if clsf is not None:
                c = clsf.take(e0, e1)
                if len(c["event_id"]) != e1 - e0 or np.any(c["event_id"] != evid):
                    raise InputDataError(
                        path, f"classification {cls} rows are not aligned with the trigger table"
                    )
                gammaness = np.asarray(c[f"{cls}_prediction"], dtype=float)
            yield {
                "event_time_mjd": rows["time"],
                "event_obs_id": obs,
                "event_ok": event_ok,
                "gammaness": gammaness,
                "event_index": ev_idx,
                "tel_index": tel_idx,
                "intensity": intensity,
                "energy": energy,
                "energy_valid": valid,
                "impact": impact,
            }
        for k in range(n_tel):
            tab = readers[k][1] if readers[k] is not None else None
            if tab is not None and tab.nrows != cursor[k]:
                raise InputDataError(
                    path,
                    f"tel_{int(layout.tel_ids[k]):03d}: {tab.nrows} energy rows "
                    f"for {int(cursor[k])} triggered events",
                )
