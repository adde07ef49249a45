"""Diagnostic plot of the array vs muon throughput comparison (matplotlib Agg, PNG).

PNG files carry no time stamp, so re-runs give identical files.
"""

import numpy as np

_METADATA = {"Software": None}


def plot_array_muon_comparison(table, path):
    """Normalised array and muon throughputs per telescope (top) and the pulls (bottom).

    Parameters
    ----------
    table : astropy.table.Table
        The ``array_muon_comparison.ecsv`` table.
    path : path-like
        PNG to write.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ok = np.asarray(table["status"]) == "ok"
    x = np.arange(len(table))
    fig, (ax, ax_pull) = plt.subplots(
        2, 1, figsize=(max(6.0, 0.45 * len(table) + 2), 6), sharex=True
    )
    ax.errorbar(
        x[ok] - 0.12,
        np.asarray(table["array_relative"])[ok],
        yerr=np.asarray(table["array_relative_err"])[ok],
        fmt="o",
        ms=4,
        label="array (shower events)",
    )
    ax.errorbar(
        x[ok] + 0.12,
        np.asarray(table["muon_relative"])[ok],
        yerr=np.asarray(table["muon_relative_err"])[ok],
        fmt="s",
        ms=4,
        label="muon rings",
    )
    ax.axhline(1.0, color="0.6", lw=0.8)
    ax.set_ylabel("relative throughput\n(geometric mean of gauge = 1)")
    ax.legend(fontsize=8)
    pull = np.asarray(table["pull"], dtype=float)
    ax_pull.bar(x[ok], pull[ok], color="C2", zorder=2)
    for k in np.flatnonzero(~ok):
        ax_pull.text(x[k], 0, "n/a", ha="center", va="bottom", fontsize=7, rotation=90)
    ax_pull.axhspan(-1, 1, color="0.9", zorder=0)
    ax_pull.set_ylabel("pull ln(array/muon)")
    ax_pull.set_xticks(x)
    ax_pull.set_xticklabels(
        [
            f"{t}\n{str(s).split('_')[0]}"
            for t, s in zip(table["tel_id"], table["telescope_type"], strict=True)
        ],
        fontsize=7,
    )
    ax_pull.set_xlabel("telescope")
    fig.suptitle(f"array ({table.meta.get('array_product', '')}) vs muon throughput")
    fig.tight_layout()
    fig.savefig(path, format="png", dpi=90, metadata=_METADATA)
    plt.close(fig)
