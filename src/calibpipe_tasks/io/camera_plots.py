"""Diagnostic camera maps of the coefficients (ctapipe ``CameraDisplay``, Agg backend, PNG).

One row per telescope, for its first chunk and the high-gain channel: F-factor gain,
factor, pedestal offset per sample, time shift, and the outlier reasons (the
lowest reason bit of each flagged pixel). PNG files carry no time stamp.
"""

import numpy as np

_METADATA = {"Software": None}
PANELS = (
    ("gain", "gain [charge / p.e.]"),
    ("factor", "factor [p.e. / charge]"),
    ("pedestal_offset", "pedestal offset [charge / sample]"),
    ("time_shift", "time shift [ns]"),
    ("outlier_reason", "outlier reason (lowest bit)"),
)


def plot_camera_coefficients(tables, subarray, path, reasons):
    """Write the camera maps of ``{tel_id: coefficients table}`` to the PNG ``path``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from ctapipe.visualization import CameraDisplay

    tel_ids = sorted(tables)
    fig, axes = plt.subplots(
        len(tel_ids), len(PANELS), figsize=(4 * len(PANELS), 3.6 * len(tel_ids)), squeeze=False
    )
    names = {bit: name for name, bit in reasons.items()}
    for row, tel_id in enumerate(tel_ids):
        table = tables[tel_id]
        geometry = subarray.tel[tel_id].camera.geometry
        for col, (name, label) in enumerate(PANELS):
            ax = axes[row, col]
            values = np.asarray(table[name][0, 0], dtype=float)
            if name == "outlier_reason":
                bits = np.asarray(table[name][0, 0]).astype(np.int64)
                lowest = bits & -bits
                values = np.where(bits > 0, np.log2(np.maximum(lowest, 1)) + 1, 0)
            display = CameraDisplay(geometry, image=values, ax=ax, title="", cmap="viridis")
            display.add_colorbar(ax=ax)
            if name == "outlier_reason":
                flagged = [int(b) for b in np.unique(lowest[lowest > 0])]
                label += ": " + ", ".join(f"{int(np.log2(b)) + 1}={names[b]}" for b in flagged)
            ax.set_title(f"tel_{tel_id:03d} {label}", fontsize=8)
            ax.set_axis_off()
    fig.tight_layout()
    fig.savefig(path, format="png", dpi=80, metadata=_METADATA)
    plt.close(fig)
