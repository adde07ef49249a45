"""The pair-statistics file of ``array-pair-stats``: write, read, gather.

HDF5 (PyTables, no dataset time stamps) with

``/array/pair_statistics/channels``
    one row per channel: ``channel``, ``quantity``, ``tel_id_1``, ``tel_id_2``,
    ``type_1``, ``type_2``, ``separation`` [m], ``n_candidates``, ``n``, ``sum_y``,
    ``sum_y2``, ``mean``, ``std``, ``median`` (from the histogram), ``time_min``,
    ``time_max`` (MJD TAI), ``obs_ids`` (comma-separated);
``/array/pair_statistics/histogram``
    ``n_channels x n_bins`` counts of ``y = ln(x1/x2)``, attribute ``edges``;
``/array/pair_statistics/cross_moments``
    for channel pairs ``p <= q`` with shared events: ``channel_p``, ``channel_q``,
    ``n_shared``, ``sum_y_p``, ``sum_y_q``, ``sum_y_pq`` (over the shared events);
``/array/pair_statistics/telescopes``
    ``tel_id``, ``telescope_type``, ``x``, ``y``, ``z`` [m];

and the root attribute ``calibpipe_meta`` (JSON): format version, obs_ids,
selection, algorithms, input file and counts. ``array_pair_stats.ecsv`` holds the
channel table with units for reading by eye.
"""

import json

import numpy as np

from ..errors import InputDataError

GROUP = "/array/pair_statistics"
FORMAT = "calibpipe-tasks array pair statistics 1"
META_ATTR = "calibpipe_meta"


def channel_table(channels, stats, type_of):
    """The channel table (:class:`astropy.table.Table`) of ``stats``."""
    import astropy.units as u
    from astropy.table import Table

    from ..array.pair_statistics import histogram_median

    with np.errstate(invalid="ignore", divide="ignore"):
        mean = stats.sum_y / stats.n
        std = np.sqrt(np.maximum(stats.sum_y2 / stats.n - mean**2, 0.0))
    obs = [
        ",".join(str(o) for o in sorted(stats.obs_ids) if stats.obs_ids[o][c])
        for c in range(len(channels))
    ]
    table = Table()
    table["channel"] = np.arange(len(channels), dtype=np.int32)
    table["quantity"] = channels.quantity.astype(str)
    table["tel_id_1"] = channels.tel_1.astype(np.int16)
    table["tel_id_2"] = channels.tel_2.astype(np.int16)
    table["type_1"] = [type_of[int(t)] for t in channels.tel_1]
    table["type_2"] = [type_of[int(t)] for t in channels.tel_2]
    table["separation"] = channels.separation * u.m
    table["n_candidates"] = stats.n_candidates
    table["n"] = stats.n
    table["sum_y"] = stats.sum_y
    table["sum_y2"] = stats.sum_y2
    table["mean"] = mean
    table["std"] = std
    table["median"] = histogram_median(stats.hist, stats.hist_edges)
    table["time_min"] = np.where(stats.n > 0, stats.time_min, np.nan)
    table["time_max"] = np.where(stats.n > 0, stats.time_max, np.nan)
    table["obs_ids"] = np.asarray(obs, dtype=str)
    descriptions = {
        "channel": "channel number in this file",
        "quantity": "intensity (image amplitude, same type) or energy (per-telescope energy)",
        "tel_id_1": "first telescope (the lower id)",
        "tel_id_2": "second telescope",
        "type_1": "type of the first telescope",
        "type_2": "type of the second telescope",
        "separation": "ground distance of the two telescopes",
        "n_candidates": "events with an image in both telescopes",
        "n": "selected events",
        "sum_y": "sum of y = ln(x1 / x2) over the selected events",
        "sum_y2": "sum of y^2",
        "mean": "mean of y",
        "std": "standard deviation of y (ddof=0)",
        "median": "median of y from the histogram (robust location)",
        "time_min": "first selected event (MJD TAI)",
        "time_max": "last selected event (MJD TAI)",
        "obs_ids": "observation ids of the selected events (comma-separated)",
    }
    for name, text in descriptions.items():
        table[name].description = text
    return table


def write_pair_stats(path_h5, path_ecsv, channels, stats, type_of, positions, meta):
    """Write the pair statistics (HDF5 and ECSV); ``meta`` is a JSON-able dict."""
    import tables

    from .dl1_files import hdf5_without_timestamps

    table = channel_table(channels, stats, type_of)
    table.meta.update(meta)
    table.write(path_ecsv, format="ascii.ecsv", overwrite=True)

    chan = np.zeros(
        len(table),
        dtype=[
            ("channel", "<i4"),
            ("quantity", "S9"),
            ("tel_id_1", "<i2"),
            ("tel_id_2", "<i2"),
            ("type_1", "S64"),
            ("type_2", "S64"),
            ("separation", "<f8"),
            ("n_candidates", "<i8"),
            ("n", "<i8"),
            ("sum_y", "<f8"),
            ("sum_y2", "<f8"),
            ("mean", "<f8"),
            ("std", "<f8"),
            ("median", "<f8"),
            ("time_min", "<f8"),
            ("time_max", "<f8"),
            ("obs_ids", "S256"),
        ],
    )
    for name in chan.dtype.names:
        col = np.asarray(table[name])
        chan[name] = np.char.encode(col.astype(str)) if chan.dtype[name].kind == "S" else col
    p, q = np.nonzero(np.triu(stats.shared_n) > 0)  # row by row: sorted by (p, q)
    cross = np.zeros(
        p.size,
        dtype=[
            ("channel_p", "<i4"),
            ("channel_q", "<i4"),
            ("n_shared", "<i8"),
            ("sum_y_p", "<f8"),
            ("sum_y_q", "<f8"),
            ("sum_y_pq", "<f8"),
        ],
    )
    cross["channel_p"] = p
    cross["channel_q"] = q
    cross["n_shared"] = stats.shared_n[p, q]
    cross["sum_y_p"] = stats.shared_sum_p[p, q]
    cross["sum_y_q"] = stats.shared_sum_p[q, p]
    cross["sum_y_pq"] = stats.shared_sum_pq[p, q]
    tels = np.zeros(
        len(positions),
        dtype=[
            ("tel_id", "<i2"),
            ("telescope_type", "S64"),
            ("x", "<f8"),
            ("y", "<f8"),
            ("z", "<f8"),
        ],
    )
    ids = sorted(type_of)
    tels["tel_id"] = ids
    tels["telescope_type"] = [type_of[t].encode() for t in ids]
    pos = np.asarray([positions[t] for t in ids], dtype=float)
    tels["x"], tels["y"], tels["z"] = pos[:, 0], pos[:, 1], pos[:, 2]

    with hdf5_without_timestamps(), tables.open_file(str(path_h5), mode="w") as h5:
        group = h5.create_group("/array", "pair_statistics", createparents=True)
        h5.create_table(group, "channels", obj=chan)
        hist = h5.create_array(group, "histogram", obj=stats.hist)
        hist.attrs["edges"] = stats.hist_edges
        h5.create_table(group, "cross_moments", obj=cross)
        h5.create_table(group, "telescopes", obj=tels)
        h5.root._v_attrs[META_ATTR] = json.dumps(meta, sort_keys=True)


def read_pair_stats(path):
    """Read a pair-statistics file: dict with ``meta``, ``channels``, ``cross``, ``telescopes``,
    ``hist``, ``edges`` (numpy structured arrays); :class:`InputDataError` if it is not one."""
    from .muon_tables import open_checked

    with open_checked(path) as h5:
        if GROUP not in h5 or META_ATTR not in h5.root._v_attrs:
            raise InputDataError(
                path, f"not a pair-statistics file of array-pair-stats (no {GROUP})"
            )
        meta = json.loads(str(h5.root._v_attrs[META_ATTR]))
        if meta.get("format") != FORMAT:
            raise InputDataError(path, f"unknown pair-statistics format {meta.get('format')!r}")
        g = h5.get_node(GROUP)
        out = {
            "meta": meta,
            "channels": g.channels.read(),
            "cross": g.cross_moments.read(),
            "telescopes": g.telescopes.read(),
            "hist": g.histogram.read(),
            "edges": np.asarray(g.histogram.attrs["edges"]),
        }
    return out


def gather(paths):
    """Add the pair statistics of several files (different observation blocks).

    Returns
    -------
    data : ChannelData
        With global channels keyed by ``(quantity, tel_id_1, tel_id_2)``.
    info : dict
        ``tel_ids``, ``tel_types`` (arrays), ``obs_ids`` (sorted list), ``time_min``,
        ``time_max`` (MJD TAI, per channel and overall), ``selection``, ``meta`` (of
        the first file), ``hist`` and ``edges``, ``n_events``, ``n_tel_events``,
        ``channel_obs_ids`` (per channel), ``inputs`` (the DL2 files).

    Raises
    ------
    InputDataError
        A file is not a pair-statistics file, files differ in telescopes or in the
        selection, or two files share an observation id (events counted twice).
    """
    from scipy import sparse

    from ..array.fit import ChannelData

    parts = [(p, read_pair_stats(p)) for p in paths]
    first_path, first = parts[0]
    seen_obs = {}
    for path, part in parts:
        if not np.array_equal(part["telescopes"], first["telescopes"]):
            raise InputDataError(path, f"telescopes differ from those of {first_path}")
        if part["meta"]["selection"] != first["meta"]["selection"]:
            raise InputDataError(path, f"pair selection differs from that of {first_path}")
        if not np.array_equal(part["edges"], first["edges"]):
            raise InputDataError(path, f"histogram binning differs from that of {first_path}")
        for obs in part["meta"]["obs_ids"]:
            if obs in seen_obs:
                raise InputDataError(
                    path,
                    f"observation {obs} is also in {seen_obs[obs]}: events would be counted twice",
                )
            seen_obs[obs] = path
    keys = sorted(
        {
            (c["quantity"].decode(), int(c["tel_id_1"]), int(c["tel_id_2"]))
            for _, part in parts
            for c in part["channels"]
        }
    )
    index = {k: i for i, k in enumerate(keys)}
    p = len(keys)
    n = np.zeros(p, np.int64)
    sy = np.zeros(p)
    sy2 = np.zeros(p)
    tmin = np.full(p, np.inf)
    tmax = np.full(p, -np.inf)
    hist = np.zeros((p, first["hist"].shape[1]), np.int64)
    obs_per_channel = [set() for _ in range(p)]
    rows, cols, vn, vp, vpq = [], [], [], [], []
    n_events = n_tel_events = 0
    for _, part in parts:
        ch = part["channels"]
        gidx = np.array(
            [index[(c["quantity"].decode(), int(c["tel_id_1"]), int(c["tel_id_2"]))] for c in ch],
            dtype=np.int64,
        )
        n[gidx] += ch["n"]
        sy[gidx] += ch["sum_y"]
        sy2[gidx] += ch["sum_y2"]
        has = ch["n"] > 0
        tmin[gidx[has]] = np.minimum(tmin[gidx[has]], ch["time_min"][has])
        tmax[gidx[has]] = np.maximum(tmax[gidx[has]], ch["time_max"][has])
        hist[gidx] += part["hist"]
        for g, text in zip(gidx.tolist(), ch["obs_ids"].tolist(), strict=True):
            obs_per_channel[g].update(int(o) for o in text.decode().split(",") if o)
        cr = part["cross"]
        gp, gq = gidx[cr["channel_p"]], gidx[cr["channel_q"]]
        # both orders (sum_y_p/sum_y_q swap), the diagonal once
        off = gp != gq
        rows += [gp, gq[off]]
        cols += [gq, gp[off]]
        vn += [cr["n_shared"].astype(float), cr["n_shared"][off].astype(float)]
        vp += [cr["sum_y_p"], cr["sum_y_q"][off]]
        vpq += [cr["sum_y_pq"], cr["sum_y_pq"][off]]
        n_events += int(part["meta"].get("n_events", 0))
        n_tel_events += int(part["meta"].get("n_tel_events", 0))
    r, c = np.concatenate(rows), np.concatenate(cols)

    def build(values):
        return sparse.csr_array((np.concatenate(values), (r, c)), shape=(p, p))

    data = ChannelData(
        tel_1=np.array([k[1] for k in keys], dtype=np.int64),
        tel_2=np.array([k[2] for k in keys], dtype=np.int64),
        quantity=np.array([k[0] for k in keys], dtype=str),
        n=n,
        sum_y=sy,
        sum_y2=sy2,
        cross_n=build(vn),
        cross_sum_p=build(vp),
        cross_sum_pq=build(vpq),
    )
    tels = first["telescopes"]
    info = {
        "tel_ids": tels["tel_id"].astype(np.int64),
        "tel_types": np.char.decode(tels["telescope_type"]).astype(str),
        "obs_ids": sorted(seen_obs),
        "time_min": tmin,
        "time_max": tmax,
        "selection": first["meta"]["selection"],
        "meta": first["meta"],
        "hist": hist,
        "edges": first["edges"],
        "n_events": n_events,
        "n_tel_events": n_tel_events,
        "channel_obs_ids": [sorted(s) for s in obs_per_channel],
        "inputs": [part["meta"].get("input") for _, part in parts],
    }
    return data, info
