"""Diagnostic plots of the atmosphere steps (matplotlib, Agg backend, PNG).

Every function takes the product tables (or arrays) and a path; nothing else.
PNG files carry no time stamp, so re-runs give identical files.
"""

import numpy as np

_METADATA = {"Software": None}


def _figure(nrows=1, ncols=1, **kw):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt, *plt.subplots(nrows, ncols, **kw)


def plot_mdp(mdp, path):
    """The night's molecular density profile with its spread (±1 std)."""
    plt, fig, (ax, ax_rel) = _figure(1, 2, figsize=(9, 5), sharey=True)
    h = mdp["altitude"].quantity.to_value("km")
    n = mdp["number_density"].quantity.to_value("1 / cm3")
    s = mdp["number_density_std"].quantity.to_value("1 / cm3")
    ax.fill_betweenx(h, n - s, n + s, alpha=0.4, label="±1 std (times × grid points)")
    ax.plot(n, h, label="night mean")
    extra = np.asarray(mdp["extrapolated"], dtype=bool)
    if extra.any():
        ax.plot(n[extra], h[extra], "o", ms=3, label="extrapolated below data")
    ax.set_xscale("log")
    ax.set_xlabel("number density [cm$^{-3}$]")
    ax.set_ylabel("altitude a.s.l. [km]")
    ax.legend(fontsize=8)
    ax_rel.plot(100 * s / n, h)
    ax_rel.set_xlabel("relative spread [%]")
    fig.suptitle(f"MDP {mdp.meta.get('site', '')} {mdp.meta.get('window_start', '')}")
    fig.tight_layout()
    fig.savefig(path, format="png", dpi=100, metadata=_METADATA)
    plt.close(fig)


def plot_profile_vs_reference(profile, reference, path):
    """Relative difference per level of density, thickness and n-1 against the reference."""
    plt, fig, ax = _figure(figsize=(7, 6))
    h = profile["altitude"].quantity.to_value("km")
    h_ref = reference["altitude"].quantity.to_value("km")
    pairs = (
        ("density", "atmospheric_density"),
        ("thickness", "atmospheric_thickness"),
        ("refractive_index", "refractive_index_m_1"),
    )
    for ours, theirs in pairs:
        if theirs not in reference.colnames:
            continue
        ref = np.exp(np.interp(h, h_ref, np.log(np.asarray(reference[theirs], dtype=float))))
        ax.plot(100 * (np.asarray(profile[ours], dtype=float) / ref - 1), h, "o-", ms=3, label=ours)
    top = profile.meta.get("data_top_altitude_km")
    if top is not None:
        ax.axhline(top, color="grey", ls="--", lw=1, label="top of meteorological data")
    ax.axvline(0, color="k", lw=0.5)
    ax.set_xlabel("(model - reference) / reference [%]")
    ax.set_ylabel("altitude a.s.l. [km]")
    ax.legend(fontsize=8)
    ax.set_title("night's profile vs selected reference model")
    fig.tight_layout()
    fig.savefig(path, format="png", dpi=100, metadata=_METADATA)
    plt.close(fig)


def plot_extinction(extinction, path, altitudes_km=(3.0, 5.0, 10.0, 20.0, 100.0)):
    """Rayleigh optical depth versus wavelength at a few emission altitudes."""
    plt, fig, ax = _figure(figsize=(7, 5))
    alt = extinction.emission_altitude_km
    for target in altitudes_km:
        i = int(np.argmin(np.abs(alt - target)))
        ax.plot(extinction.wavelength_nm, extinction.optical_depth[:, i], label=f"{alt[i]:g} km")
    ax.set_yscale("log")
    ax.set_xlabel("wavelength [nm]")
    ax.set_ylabel("Rayleigh optical depth from the observation level")
    ax.set_title(f"observation level {extinction.observation_level_km:g} km")
    ax.legend(title="emission altitude", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, format="png", dpi=100, metadata=_METADATA)
    plt.close(fig)


def plot_clear_night(table, record, path):
    """The night's VAOD vs time: used measurements, rejected ones, mean and verdict."""
    plt, fig, ax = _figure(figsize=(9, 5))
    t = (table["time"].utc.unix - table["time"].utc.unix.min()) / 3600.0 if len(table) else []
    status = np.asarray(table["status"], dtype=str)
    vaod = np.asarray(table["vaod"], dtype=float)
    err = np.asarray(table["vaod_err"], dtype=float)
    used = status == "used"
    if np.any(used):
        ax.errorbar(t[used], vaod[used], err[used], fmt="o", ms=3, lw=0.8, label="used")
    for name, marker in (("isolated outlier", "x"), ("zenith angle above the cut", "v")):
        sel = status == name
        if np.any(sel):
            ax.plot(t[sel], vaod[sel], marker, ms=4, label=name)
    exc = np.asarray(table["excursion"], dtype=bool)
    if np.any(exc):
        ax.plot(t[exc], vaod[exc], "s", mfc="none", ms=6, label="sustained excursion")
    mean = record["mean_vaod"]
    ax.axhline(mean, color="k", lw=1, label=f"mean {mean:.4f} ± {record['mean_vaod_err']:.4f}")
    ax.axhline(
        record["thresholds"]["max_clear_vaod"], color="grey", ls="--", lw=1, label="max clear VAOD"
    )
    ax.set_xlabel(f"hours since {table['time'].utc.min().isot[:16] if len(table) else ''} UTC")
    ax.set_ylabel(f"tropospheric VAOD at {record['reference_wavelength_nm']:g} nm")
    ax.set_title(
        f"{record['site']['name']} night of {record['night']['date']}: "
        f"{record['verdict']}\n{record['reason'][:110]}",
        fontsize=9,
    )
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, format="png", dpi=100, metadata=_METADATA)


def plot_pointing_corrections(corrections, stars, path):
    """Pointing from stars: per telescope, the camera with the expected and measured star
    positions of its first valid chunk (residual arrows ×20), and the correction vs time.

    Parameters
    ----------
    corrections : astropy.table.Table
        ``pointing_corrections.ecsv`` of fit-pointing.
    stars : dict
        tel_id -> star positions table of track-stars (flag-0 rows are drawn).
    path : path-like
        PNG to write.
    """
    tel_ids = sorted({int(t) for t in corrections["tel_id"]})
    plt, fig, axes = _figure(len(tel_ids), 2, figsize=(11, 4.5 * len(tel_ids)), squeeze=False)
    for (ax_cam, ax_t), tel_id in zip(axes, tel_ids, strict=True):
        rows = corrections[np.asarray(corrections["tel_id"]) == tel_id]
        valid = np.asarray(rows["is_valid"], dtype=bool)
        table = stars.get(tel_id)
        if table is not None and len(table):
            chunk = int(rows["chunk"][valid][0]) if valid.any() else int(rows["chunk"][0])
            sel = (np.asarray(table["chunk"]) == chunk) & (np.asarray(table["flag"]) == 0)
            ex = np.asarray(table["expected_lon"])[sel]
            ey = np.asarray(table["expected_lat"])[sel]
            mx = np.asarray(table["measured_lon"])[sel]
            my = np.asarray(table["measured_lat"])[sel]
            ax_cam.plot(ex, ey, "o", mfc="none", label="expected (reported pointing)")
            ax_cam.plot(mx, my, ".", label="measured")
            ax_cam.quiver(
                ex,
                ey,
                20 * (mx - ex),
                20 * (my - ey),
                angles="xy",
                scale_units="xy",
                scale=1,
                width=0.003,
                label="residual ×20",
            )
            ax_cam.set_title(f"tel {tel_id}, chunk {chunk}")
        ax_cam.set_xlabel("fov_lon [deg]")
        ax_cam.set_ylabel("fov_lat [deg]")
        ax_cam.set_aspect("equal")
        ax_cam.legend(fontsize=7)
        t = rows["time"].tai.mjd
        t = (t - t.min()) * 86400.0
        for name, marker in (("delta_alt", "o"), ("delta_az_sky", "s")):
            ax_t.errorbar(
                t[valid],
                np.asarray(rows[name])[valid],
                np.asarray(rows[f"{name}_error"])[valid],
                fmt=marker,
                label=name,
            )
        ax_t.set_xlabel("time from first chunk [s]")
        ax_t.set_ylabel("correction [arcsec]")
        ax_t.set_title(f"tel {tel_id}: {int(valid.sum())} of {len(rows)} chunks valid")
        ax_t.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, format="png", dpi=90, metadata=_METADATA)
    plt.close(fig)
