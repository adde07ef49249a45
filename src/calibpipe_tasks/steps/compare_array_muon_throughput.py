"""Array (shower-event) throughputs vs muon-ring throughputs per telescope (UC-120-2.32/2.2).

Reads an ``array-inter-calibration`` (or ``array-cross-calibration``) table, optionally
its covariance of ``ln c``, and a ``muon-throughput`` table. The muon chunks of each
telescope that overlap the array calibration's validity window (``validity_start`` ..
``validity_end``, widened by ``--time-margin``) are pooled by ring count. Both
throughputs are then put in **one gauge**: each divided by its geometric mean over the
telescopes of the gauge group that have a valid value in both products (the group is the
telescope type for an inter-calibration; for a cross-calibration the whole array, with
the reference type's telescopes defining the gauge). Per telescope: both normalised
throughputs, their ratio (array / muon), ``ln`` ratio, its error and the pull; per group
``chi2``/``ndf`` with the full covariance of the gauge-fixed ratios
(:mod:`calibpipe_tasks.array.muon_comparison`).

Mismatches: a telescope in only one product, without muon chunks in the period, or
without a valid value gets a row with NaN values and a status saying why; products of
different arrays (a telescope id of different types), no muon chunk in the period at
all, or no telescope with both values are exit 3.

Writes new files only: ``array_muon_comparison.ecsv`` and, with ``--plot``,
``array_muon_comparison.png``.
"""

from ..argtypes import non_negative_float

NAME = "compare-array-muon-throughput"
HELP = "per telescope, array inter/cross-calibration throughput vs muon throughput: ratio, pull"
OUTPUT_ECSV = "array_muon_comparison.ecsv"
PLOT = "array_muon_comparison.png"


def add_arguments(parser):
    parser.add_argument(
        "--array-calibration",
        required=True,
        metavar="ARRAY.ecsv",
        help="array_inter_calibration.ecsv or array_cross_calibration.ecsv",
    )
    parser.add_argument(
        "--array-covariance",
        default=None,
        metavar="COV.ecsv",
        help="array_inter_calibration_covariance.ecsv (default: errors only, "
        "telescopes taken as independent)",
    )
    parser.add_argument(
        "--muon-throughput",
        required=True,
        metavar="MUON.ecsv",
        help="muon_throughput.ecsv of muon-throughput",
    )
    parser.add_argument(
        "--time-margin",
        type=non_negative_float,
        default=0.0,
        metavar="SECONDS",
        help="muon chunks up to this long before/after the array validity window count "
        "as the same period (default 0)",
    )
    parser.add_argument("--plot", action="store_true", help=f"also write {PLOT}")


def _kinds():
    from ..io.table_checks import Col, TableKind

    array = TableKind(
        name="array calibration table",
        columns={
            "tel_id": Col(None, finite=False),
            "telescope_type": Col(None, finite=False),
            "ln_coefficient": Col("", finite=False),
            "ln_coefficient_err": Col("", finite=False),
            "status": Col(None, finite=False),
        },
        meta=("use_case", "obs_ids"),
    )
    muon = TableKind(
        name="muon throughput table",
        columns={
            "tel_id": Col(None, finite=False),
            "telescope_type": Col(None, finite=False),
            "time_start": Col(None, finite=False, time=True),
            "time_end": Col(None, finite=False, time=True),
            "n_used": Col("", finite=False),
            "mean": Col("", finite=False),
            "sem": Col("", finite=False),
        },
        min_rows=1,
    )
    cov = TableKind(
        name="array covariance table",
        columns={
            "tel_id_1": Col(None, finite=False),
            "tel_id_2": Col(None, finite=False),
            "cov_ln_coefficient": Col(""),
        },
        meta=("obs_ids",),
        min_rows=0,
    )
    return array, muon, cov


def _validity(table, path):
    """(start, end) of the array calibration as MJD TAI."""
    import numpy as np
    from astropy.time import Time

    from ..errors import InputDataError

    meta = table.meta
    try:
        if "validity_start" in meta and "validity_end" in meta:
            t0 = Time(meta["validity_start"], scale="utc").tai.mjd
            t1 = Time(meta["validity_end"], scale="utc").tai.mjd
        else:
            t0 = float(np.min(Time(table["time_start"], scale="utc").tai.mjd))
            t1 = float(np.max(Time(table["time_end"], scale="utc").tai.mjd))
    except (KeyError, TypeError, ValueError):
        raise InputDataError(path, "no validity window (validity_start/validity_end)") from None
    return float(t0), float(t1)


def run(args, ctx):
    import logging

    import numpy as np
    from astropy.time import Time

    from ..array.muon_comparison import compare, pool_chunks
    from ..errors import InputDataError
    from ..io.table_checks import read_ecsv

    log = logging.getLogger(__name__)
    array_path = ctx.add_input(args.array_calibration, role="array_calibration")
    cov_path = (
        ctx.add_input(args.array_covariance, role="array_covariance")
        if args.array_covariance
        else None
    )
    muon_path = ctx.add_input(args.muon_throughput, role="muon_throughput")
    array_kind, muon_kind, cov_kind = _kinds()
    array = read_ecsv(array_path, array_kind)
    muon = read_ecsv(muon_path, muon_kind)

    use_case = array.meta["use_case"]
    if use_case == "UC-120-2.32":
        mode = "inter"
    elif use_case == "UC-120-2.33":
        mode = "cross"
        if "reference_type" not in array.meta:
            raise InputDataError(array_path, "cross-calibration table without reference_type")
    else:
        raise InputDataError(
            array_path, f"not an array inter- or cross-calibration table (use_case {use_case!r})"
        )

    a_ids = np.asarray(array["tel_id"], dtype=np.int64)
    if np.unique(a_ids).size != a_ids.size:
        raise InputDataError(array_path, "a telescope id appears twice")
    a_type = dict(
        zip(a_ids.tolist(), np.asarray(array["telescope_type"], str).tolist(), strict=True)
    )
    m_ids = np.asarray(muon["tel_id"], dtype=np.int64)
    m_type = dict(
        zip(m_ids.tolist(), np.asarray(muon["telescope_type"], str).tolist(), strict=True)
    )
    for t in sorted(set(a_type) & set(m_type)):
        if a_type[t] != m_type[t]:
            raise InputDataError(
                muon_path,
                f"telescope {t} is {m_type[t]} here but {a_type[t]} in {array_path.name}: "
                "not the same array",
            )

    tel_ids = np.array(sorted(set(a_type) | set(m_type)), dtype=np.int64)
    n = tel_ids.size
    types = np.array([a_type.get(t, m_type.get(t)) for t in tel_ids.tolist()], dtype=str)
    pos = np.searchsorted(tel_ids, a_ids)
    in_array = np.zeros(n, bool)
    in_array[pos] = True
    ln_a = np.full(n, np.nan)
    ln_a[pos] = np.asarray(array["ln_coefficient"], dtype=float)
    ln_a_err = np.full(n, np.nan)
    ln_a_err[pos] = np.asarray(array["ln_coefficient_err"], dtype=float)
    a_status = np.full(n, "", dtype=object)
    a_status[pos] = np.asarray(array["status"], str)
    array_ok = in_array & (a_status == "ok") & np.isfinite(ln_a) & np.isfinite(ln_a_err)

    cov = np.diag(np.where(array_ok, ln_a_err, 0.0) ** 2)
    covariance = "diagonal: ln_coefficient_err, telescopes taken as independent"
    if cov_path is not None:
        cov = _read_covariance(cov_path, cov_kind, array, array_path, tel_ids, array_ok)
        covariance = f"full: {cov_path.name}"

    v0, v1 = _validity(array, array_path)
    margin = args.time_margin / 86400.0
    m_start = muon["time_start"].tai.mjd
    m_end = muon["time_end"].tai.mjd
    in_period = (m_end >= v0 - margin) & (m_start <= v1 + margin)
    common = np.isin(m_ids, tel_ids[in_array])
    if not np.any(in_period & common):
        span = f"{Time(m_start.min(), format='mjd', scale='tai').utc.isot}.."
        span += f"{Time(m_end.max(), format='mjd', scale='tai').utc.isot}"
        window = f"{Time(v0, format='mjd', scale='tai').utc.isot}.."
        window += f"{Time(v1, format='mjd', scale='tai').utc.isot}"
        raise InputDataError(
            muon_path,
            f"no muon chunk of the array's telescopes in the period of {array_path.name} "
            f"({window} UTC, margin {args.time_margin:g} s); the muon chunks span {span} UTC",
        )
    sel = in_period
    m, m_err, n_rings, n_chunks = pool_chunks(
        np.searchsorted(tel_ids, m_ids[sel]),
        n,
        np.asarray(muon["mean"], dtype=float)[sel],
        np.asarray(muon["sem"], dtype=float)[sel],
        np.asarray(muon["n_used"], dtype=float)[sel],
    )
    in_muon = np.isin(tel_ids, m_ids)
    chunks_in_period = np.bincount(np.searchsorted(tel_ids, m_ids[sel]), minlength=n)
    muon_ok = np.isfinite(m) & (m > 0) & np.isfinite(m_err) & (m_err > 0)
    usable = array_ok & muon_ok

    if mode == "inter":
        group = types.copy()
        member = np.ones(n, bool)
        gauge_text = (
            "per telescope type: each throughput divided by its geometric mean over the "
            "telescopes of the type with both values"
        )
    else:
        ref = str(array.meta["reference_type"])
        group = np.full(n, "array", dtype=object).astype(str)
        member = types == ref
        gauge_text = (
            f"whole array: each throughput divided by its geometric mean over the {ref} "
            "telescopes with both values"
        )
    if not np.any(usable):
        raise InputDataError(
            muon_path,
            f"no telescope has a valid value in both this and {array_path.name}",
        )
    result = compare(ln_a, cov, m, m_err, group, member, usable)

    labels, inverse = np.unique(group, return_inverse=True)
    n_group = np.bincount(inverse[usable], minlength=labels.size)[inverse]
    status = np.full(n, "ok", dtype=object)
    reasons = (
        (~in_array, "not in the array calibration"),
        (in_array & ~array_ok, None),
        (~in_muon, "not in the muon throughput"),
        (in_muon & (chunks_in_period == 0), "no muon chunk in the period"),
        (in_muon & (chunks_in_period > 0) & ~muon_ok, "no muon rings in the period"),
        (usable & (n_group < 2), "only telescope of its gauge group with both values"),
        (usable & (result.n_gauge == 0), "no gauge telescope with both values in its group"),
        (usable & ~np.isfinite(result.pull), "defines the gauge alone: ratio 1 by construction"),
    )
    for mask, text in reasons:
        todo = mask & (status == "ok")
        if text is None:
            status[todo] = [f"array: {s or 'no value'}" for s in a_status[todo]]
        else:
            status[todo] = text
    for t, s in zip(tel_ids.tolist(), status.tolist(), strict=True):
        if s != "ok":
            log.warning("telescope %d: %s", t, s)
    ok = status == "ok"

    table = _table(tel_ids, types, group, ln_a, m, m_err, n_rings, n_chunks, result, ok, status)
    table.meta.update(
        {
            "product": "array vs muon optical throughput per telescope",
            "use_case": "UC-120-2.32 / UC-120-2.2",
            "array_product": mode,
            "gauge": gauge_text,
            "array_covariance": covariance,
            "period_start": Time(v0 - margin, format="mjd", scale="tai").utc.isot,
            "period_end": Time(v1 + margin, format="mjd", scale="tai").utc.isot,
            "time_margin_s": float(args.time_margin),
            "muon_pooling": "chunks overlapping the period, weighted by n_used",
            "obs_ids": list(array.meta["obs_ids"]),
            "groups": result.groups,
            "references": "Hofmann 2003 astro-ph/0302346; Mitchell et al. 2015 arXiv:1510.06526; "
            "Vacanti et al. 1994 Astropart. Phys. 2, 1",
            "input_files": [array_path.name, muon_path.name]
            + ([cov_path.name] if cov_path is not None else []),
        }
    )
    table.write(ctx.output(OUTPUT_ECSV), format="ascii.ecsv", overwrite=True)
    if args.plot:
        from ..io.array_plots import plot_array_muon_comparison

        plot_array_muon_comparison(table, ctx.output(PLOT))
    ctx.extra_provenance["groups"] = result.groups
    ctx.extra_provenance["n_compared"] = int(ok.sum())


def _read_covariance(path, kind, array, array_path, tel_ids, array_ok):
    import numpy as np

    from ..errors import InputDataError
    from ..io.table_checks import read_ecsv

    table = read_ecsv(path, kind)
    if sorted(table.meta["obs_ids"]) != sorted(array.meta["obs_ids"]):
        raise InputDataError(
            path,
            f"covariance of observation blocks {table.meta['obs_ids']}, "
            f"{array_path.name} of {array.meta['obs_ids']}: not the same calibration",
        )
    i = np.searchsorted(tel_ids, np.asarray(table["tel_id_1"], dtype=np.int64))
    j = np.searchsorted(tel_ids, np.asarray(table["tel_id_2"], dtype=np.int64))
    i = np.clip(i, 0, tel_ids.size - 1)
    j = np.clip(j, 0, tel_ids.size - 1)
    known = (tel_ids[i] == np.asarray(table["tel_id_1"])) & (
        tel_ids[j] == np.asarray(table["tel_id_2"])
    )
    if not np.all(known):
        bad = int(np.asarray(table["tel_id_1"])[~known][0])
        raise InputDataError(path, f"telescope {bad} is not in {array_path.name}")
    cov = np.zeros((tel_ids.size, tel_ids.size))
    cov[i, j] = np.asarray(table["cov_ln_coefficient"], dtype=float)
    have = np.zeros(tel_ids.size, bool)
    have[i[i == j]] = True
    missing = array_ok & ~have
    if np.any(missing):
        t = int(tel_ids[np.flatnonzero(missing)[0]])
        raise InputDataError(path, f"no variance of telescope {t}, which has a value")
    diag = np.sqrt(np.diag(cov))
    err = np.full(tel_ids.size, np.nan)
    pos = np.searchsorted(tel_ids, np.asarray(array["tel_id"], dtype=np.int64))
    err[pos] = np.asarray(array["ln_coefficient_err"], dtype=float)
    off = array_ok & ~np.isclose(diag, err, rtol=1e-6, atol=0.0)
    if np.any(off):
        t = int(tel_ids[np.flatnonzero(off)[0]])
        raise InputDataError(
            path, f"variance of telescope {t} does not match {array_path.name}'s error"
        )
    return cov


def _table(tel_ids, types, group, ln_a, m, m_err, n_rings, n_chunks, result, ok, status):
    import numpy as np
    from astropy.table import Table

    from ..io.array_products import describe

    def only(values):
        return np.where(ok, values, np.nan)

    table = Table()
    table["tel_id"] = tel_ids.astype(np.int16)
    table["telescope_type"] = types.astype(str)
    table["gauge_group"] = np.asarray(group, dtype=str)
    table["array_coefficient"] = np.exp(ln_a)
    table["muon_throughput"] = m
    table["muon_throughput_err"] = m_err
    table["muon_n_rings"] = n_rings.astype(np.int64)
    table["muon_n_chunks"] = n_chunks.astype(np.int64)
    table["array_relative"] = only(np.exp(result.ln_array))
    table["array_relative_err"] = only(np.exp(result.ln_array) * result.ln_array_err)
    table["muon_relative"] = only(np.exp(result.ln_muon))
    table["muon_relative_err"] = only(np.exp(result.ln_muon) * result.ln_muon_err)
    table["ratio"] = only(np.exp(result.ln_ratio))
    table["ratio_err"] = only(np.exp(result.ln_ratio) * result.ln_ratio_err)
    table["ln_ratio"] = only(result.ln_ratio)
    table["ln_ratio_err"] = only(result.ln_ratio_err)
    table["pull"] = only(result.pull)
    table["status"] = np.asarray(status, dtype=str)
    describe(
        table,
        {
            "tel_id": "telescope id",
            "telescope_type": "telescope type (ctapipe)",
            "gauge_group": "group in which both throughputs are normalised (type, or array)",
            "array_coefficient": "coefficient of the array calibration as given",
            "muon_throughput": "muon optical throughput pooled over the chunks of the period",
            "muon_throughput_err": "standard error of muon_throughput",
            "muon_n_rings": "rings of the pooled chunks",
            "muon_n_chunks": "muon chunks in the period",
            "array_relative": "array throughput in the common gauge (geometric mean of the "
            "gauge telescopes = 1)",
            "array_relative_err": "standard error of array_relative (gauge-fixed covariance)",
            "muon_relative": "muon throughput in the common gauge",
            "muon_relative_err": "standard error of muon_relative (gauge-fixed)",
            "ratio": "array_relative / muon_relative",
            "ratio_err": "standard error of ratio (ratio * ln_ratio_err)",
            "ln_ratio": "ln ratio",
            "ln_ratio_err": "standard error of ln ratio (both products, gauge-fixed)",
            "pull": "ln_ratio / ln_ratio_err",
            "status": "ok, or why the telescope is not compared",
        },
    )
    return table
