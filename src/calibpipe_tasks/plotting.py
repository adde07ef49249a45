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
    plt.close(fig)
