"""EEG pages drawn the way a clinical reader expects them.

A page is a fixed time window of stacked traces at a fixed sensitivity (µV per mm of
paper), negative up as in clinical EEG, with one-second grid lines and a scale bar.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

#: Clinical sensitivity for infant EEG pages, µV per mm.  Adult EEG is read at 7 µV/mm;
#: infant and hypsarrhythmic EEG is usually read at 10-30 µV/mm (*unverified*).
DEFAULT_SENSITIVITY_UV_PER_MM = 20.0

#: Vertical distance between traces, in mm of paper.
TRACE_SPACING_MM = 10.0


def plot_page(
    data_uv: np.ndarray,
    ch_names: Sequence[str],
    sfreq: float,
    *,
    start_s: float = 0.0,
    sensitivity_uv_per_mm: float = DEFAULT_SENSITIVITY_UV_PER_MM,
    title: str | None = None,
    marks: Sequence[tuple[float, int]] = (),
    shaded: Sequence[tuple[float, float]] = (),
    out: str | Path | None = None,
    dpi: int = 100,
    ax=None,
):
    """Draw one page of EEG at a clinical sensitivity.

    Parameters
    ----------
    data_uv : ndarray, shape (n_channels, n_times)
        The page's samples in µV.
    ch_names : sequence of str
        Trace labels, top to bottom.
    sfreq : float
        Sampling rate in Hz.
    start_s : float
        Time of the first sample, in seconds from the recording's start.
    sensitivity_uv_per_mm : float
        µV per mm; traces are :data:`TRACE_SPACING_MM` mm apart.
    title : str or None
        Figure title.
    marks : sequence of (time_s, channel_index)
        Events to mark with a red triangle (e.g. detected spikes).
    shaded : sequence of (onset_s, duration_s)
        Time spans to shade (e.g. artifacts).
    out : str or Path or None
        Save the figure there (PNG) and close it; otherwise return it open.
    dpi : int
        Resolution of the saved PNG.
    ax : matplotlib.axes.Axes or None
        Draw into these axes (e.g. one of two pages side by side); a new figure by default.

    Returns
    -------
    fig : matplotlib.figure.Figure
        The new figure, or the one ``ax`` belongs to.
    """
    import matplotlib

    if out is not None:
        matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    n_ch, n = data_uv.shape
    spacing = sensitivity_uv_per_mm * TRACE_SPACING_MM
    t = start_s + np.arange(n) / sfreq
    own = ax is None
    if own:
        fig, ax = plt.subplots(figsize=(12, 0.42 * n_ch + 1.2))
    else:
        fig = ax.figure
    offsets = spacing * np.arange(n_ch)
    # negative up: plot -x, so a surface-negative spike points upwards
    centred = data_uv - np.median(data_uv, axis=1, keepdims=True)
    for i in range(n_ch):
        ax.plot(t, offsets[i] - centred[i], color="k", lw=0.5)
    for onset, dur in shaded:
        ax.axvspan(onset, onset + dur, color="orange", alpha=0.15, lw=0)
    for time_s, ch in marks:
        ax.plot(time_s, offsets[ch] - spacing * 0.45, "v", color="red", ms=5)
    ax.set_yticks(offsets, list(ch_names), fontsize=8)
    ax.set_ylim(offsets[-1] + spacing, -spacing)
    ax.set_xlim(t[0], t[0] + n / sfreq)
    for s in np.arange(np.ceil(t[0]), t[-1], 1.0):
        ax.axvline(s, color="0.85", lw=0.5, zorder=0)
    bar = 2 * spacing
    x0 = t[0] + 0.2
    y0 = offsets[-1] + 0.8 * spacing
    ax.plot([x0, x0], [y0, y0 - bar], color="tab:blue", lw=2)
    ax.plot([x0, x0 + 1.0], [y0, y0], color="tab:blue", lw=2)
    ax.text(x0 + 0.05, y0 - bar / 2, f"{bar:.0f} µV", color="tab:blue", fontsize=8)
    ax.text(x0 + 0.3, y0 + 0.15 * spacing, "1 s", color="tab:blue", fontsize=8, va="top")
    ax.set_xlabel(f"time (s)   ·   {sensitivity_uv_per_mm:g} µV/mm, negative up")
    for side in ("top", "right", "left"):
        ax.spines[side].set_visible(False)
    if title:
        ax.set_title(title, fontsize=10, loc="left")
    if own:
        fig.tight_layout()
    if out is not None:
        Path(out).parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(out, dpi=dpi)
        plt.close(fig)
    return fig
