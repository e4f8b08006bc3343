"""A self-contained HTML report a clinician reads: one recording, or one infant's series.

Built with :class:`mne.Report` (figures embedded as PNG, its scripts and styles inlined,
so the file opens without a network connection).  For each recording: the verdict and
BASED-like grade with the measures and rules behind them, signal quality, the most
abnormal EEG pages with the detected spikes marked, spectra, and amplitude and spike-rate
scalp maps.  For a series, first: the overall status and the rule behind it, the
normalization index and every feature family over time with confidence intervals against
the age-matched normal and the hypsarrhythmia references, per-step changes, the
baseline's and the last follow-up's most abnormal pages side by side, spectra overlaid,
and scalp maps on a shared colour scale.

Patient identifiers (name, birth date, hospital codes, recording dates) appear only with
``show_identifiers=True`` (``--show-identifiers``).
"""

from __future__ import annotations

import html
import io
from dataclasses import dataclass
from os import PathLike
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import signal

from eegpipe.compare import (
    CI_LEVEL,
    NORMALIZED_INDEX,
    RULE,
    SERIES_RULE,
    Comparison,
    Series,
    Timepoint,
    _when,
    measure,
    series,
)
from eegpipe.io import Recording, load_recording
from eegpipe.pipeline import EpochTable, analyse
from eegpipe.reference import FAMILIES, FAMILY_LABELS, FEATURES, NORMAL_RANGE_QUANTILE, Reference

#: Cap of the report's images (mne-bids-pipeline #682: reports of 64 MB per subject):
#: pixels of width and dots per inch.  A series report stays around 3-5 MB.
IMG_MAX_WIDTH_PX, IMG_MAX_DPI = 1500, 100
#: At most this many clean epochs (evenly spread) enter the spectra and scalp maps.
MAX_MAP_EPOCHS = 60
#: Pixels across a scalp map (MNE's default 64 is slower and no more readable at this size).
TOPOMAP_RES = 40
#: Most abnormal pages drawn per recording.
N_PAGES = 2
#: Welch window for the spectra, seconds (0.25-Hz resolution).
PSD_WINDOW_S = 4.0
#: Posterior electrodes, where the posterior dominant rhythm is (domain.md).
POSTERIOR = ("O1", "O2", "P3", "P4", "Pz", "T5", "T6")
#: Plain-English names of the score's measures (``eegpipe score`` JSON keys).
MEASURE_LABELS = {
    "spike_events_per_min": "spike and sharp-wave events per minute",
    "n_foci": "spike foci (regions) in the most epileptiform 5 min", "foci": "foci",
    "foci_bin_share": "share of 1-s bins with >= 3 foci",
    "n_high_amplitude": "derivations with background >= 200 µV",
    "high_amplitude_derivations": "high-amplitude derivations",
    "median_ptp_uv": "background amplitude, median derivation (µV)",
    "max_derivation_ptp_uv": "background amplitude, highest derivation (µV)",
    "high_voltage_share": "share of seconds over 200 µV", "focus_region": "region with most spikes",
    "focus_share": "share of spikes in that region",
    "interhemispheric_correlation": "interhemispheric delta correlation",
    "asymmetry": "log left/right amplitude ratio (+: left larger)",
    "attenuation_per_min": "attenuation episodes per minute", "attenuation_share": "share of time attenuated",
    "rel_delta": "relative delta power (0.5-4 Hz)", "rel_theta": "relative theta power (4-8 Hz)",
    "rel_alpha": "relative alpha power (8-13 Hz)", "rel_beta": "relative beta power (13-30 Hz)",
    "spectral_entropy": "spectral entropy", "permutation_entropy": "permutation entropy",
    "aperiodic_exponent": "1/f exponent", "spectral_edge_hz": "95% spectral edge (Hz)",
    "global_correlation": "mean delta correlation, all channel pairs",
    "scored_window_s": "seconds in the BASED window",
    "lateral_focus_region": "most active region off the midline (BASED window)",
    "lateral_focus_events": "spike events there", "lateral_focus_per_min": "spike events there per minute",
}  # fmt: skip
PAGE_CAPTION = ("Longitudinal bipolar montage (double banana), 20 µV/mm, negative up, 1-s grid; red triangles: "
                "spikes and sharp waves detected by eegpipe.")
_COLORS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b")


@dataclass
class _Views:
    """What the figures of one recording need beyond its score."""

    tp: Timepoint
    rec: Recording | None
    table: EpochTable | None
    freqs: np.ndarray | None = None
    psd_head: np.ndarray | None = None  # (n_epochs, n_freqs), µV²/Hz, median over channels
    psd_post: np.ndarray | None = None
    amp_map: dict | None = None  # channel -> µV
    spike_map: dict | None = None  # channel -> events per clean minute

    @property
    def name(self) -> str:
        return Path(self.tp.file).name

    @property
    def when(self) -> str:
        d = self.tp.days
        return self.name if d is None else ("baseline" if d == 0 else f"day {d:g}")


def build_report(paths, out: str | PathLike, *, days=None, age_months=None, show_identifiers: bool = False,
                 title: str | None = None, n_boot: int = 1000) -> Path:  # fmt: skip
    """Write the HTML report of one recording or of one infant's series.

    Parameters
    ----------
    paths : sequence of str or path-like
        One EDF/EDF+/BDF file, or two or more of the same infant (a series).
    out : str or path-like
        The ``.html`` file to write.
    days : sequence of float or None
        Days of each recording; ``None`` reads the start times in the headers.
    age_months : float or sequence of float or None
        Age at the first recording, or one per file; ``None`` reads the headers.
    show_identifiers : bool
        Show the header's patient name, birth date, codes and recording dates.
    title : str or None
        Report title.
    n_boot : int
        Bootstrap resamples for the confidence intervals.

    Returns
    -------
    path : Path
        The report written.

    Raises
    ------
    RecordingError
        When a file cannot be read.
    """
    import matplotlib

    matplotlib.use("Agg", force=False)
    import mne

    paths = [str(p) for p in paths]
    if len(paths) == 1:
        res: Series | None = None
        tps = [measure(paths[0], age_months=age_months, n_boot=n_boot)]
    else:
        res = series(paths, days=days, age_months=age_months, n_boot=n_boot)
        tps = res.timepoints
    views = [_views(tp) for tp in tps]
    title = title or ("EEG treatment response" if res else f"EEG report: {views[0].name}")
    report = mne.Report(title=title, img_max_width=IMG_MAX_WIDTH_PX, img_max_res=IMG_MAX_DPI, verbose="error")
    if show_identifiers:
        report.add_html(_identifiers(paths), title="Patient (identifiers shown on request)", section="Summary",
                        tags=("identifiers",))
    if res is not None:
        _series_sections(report, res, views)
    for v in views:  # in a series, spectra, maps and epochs are drawn once for all recordings
        _recording_sections(report, v, section=v.when if res else "Recording", overview=res is None)
    report.add_html(_methods_html(), title="How to read this report", section="Methods", tags=("methods",))
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    report.save(out, open_browser=False, overwrite=True, verbose="error")
    return out


# -- data for the figures ----------------------------------------------------------------
def _views(tp: Timepoint) -> _Views:
    try:
        rec = load_recording(tp.file, preload=False)
        table = analyse(rec)
    except Exception:  # noqa: BLE001 - the score already says why; the report shows no figures
        return _Views(tp, None, None)
    v = _Views(tp, rec, table)
    _spectra_and_maps(v)
    return v


def _clean_starts(t: EpochTable) -> np.ndarray:
    starts = t.start_s[~t.exclude]
    if starts.size > MAX_MAP_EPOCHS:
        starts = starts[np.linspace(0, starts.size - 1, MAX_MAP_EPOCHS).round().astype(int)]
    return starts


def _segment(rec: Recording, t: EpochTable, t0: float, t1: float, channels: list[str]) -> np.ndarray:
    """Filtered 128-Hz referential EEG (µV) of [t0, t1), read with filter padding."""
    from eegpipe.preprocess import PAD_S, WORK_SFREQ, filter_resample

    seg = next(s for s in rec.segments if s[0] - 1e-6 <= t0 and t1 <= s[1] + 1e-6)
    r0, r1 = max(seg[0], t0 - PAD_S), min(seg[1], t1 + PAD_S)
    x = rec.raw.get_data(picks=[rec.ch_names.index(c) for c in channels], start=round(r0 * rec.sfreq),
                         stop=round(r1 * rec.sfreq), verbose="error") * 1e6  # fmt: skip
    y = filter_resample(x, rec.sfreq, line_freq=t.line_freq, work_sfreq=WORK_SFREQ)
    a = int(round((t0 - r0) * WORK_SFREQ))
    return y[:, a: a + int(round((t1 - t0) * WORK_SFREQ))]


def _spectra_and_maps(v: _Views) -> None:
    from eegpipe.features import peak_to_peak
    from eegpipe.preprocess import WORK_SFREQ, average_reference
    from eegpipe.summary import clean_seconds

    rec, t = v.rec, v.table
    good = [c for c in rec.ch_names if c not in t.bad_channels]
    starts = _clean_starts(t)
    if not starts.size:
        return
    ep = np.stack([_segment(rec, t, s, s + t.epoch_s, good) for s in starts])
    avg = average_reference(ep, None)
    f, p = signal.welch(avg, fs=WORK_SFREQ, nperseg=int(PSD_WINDOW_S * WORK_SFREQ), axis=-1)
    keep = (f >= 0.5) & (f <= 30.0)
    post = [i for i, c in enumerate(good) if c in POSTERIOR]
    v.freqs, v.psd_head = f[keep], np.median(p[:, :, keep], axis=1)
    v.psd_post = np.median(p[:, post][:, :, keep], axis=1) if post else None
    v.amp_map = dict(zip(good, np.median(peak_to_peak(avg, WORK_SFREQ), axis=0), strict=True))
    # spike events per clean minute, by the electrode each event points at
    clean = clean_seconds(t)
    minutes = max(clean.sum() / 60.0, 1e-9)
    counts = dict.fromkeys(good, 0)
    for time_s, electrode in _spike_electrodes(t):
        k = int(np.clip(np.searchsorted(t.second_start_s, time_s, side="right") - 1, 0, clean.size - 1))
        if clean[k] and electrode in counts:
            counts[electrode] += 1
    v.spike_map = {c: n / minutes for c, n in counts.items()}


def _spike_electrodes(t: EpochTable) -> list[tuple[float, str]]:
    """One (time, electrode) per spike event: the electrode its detections point at.

    A detection on ``A-B`` points at A when its peak is negative and at B when positive
    (a surface-negative focus under A pulls A-B down); per event the electrode with the
    largest summed amplitude wins, as in :func:`eegpipe.summary.event_regions`.
    """
    det = t.spikes
    if det.size == 0:
        return []
    ends = [n.split("-") for n in t.bip_names]
    out = []
    for ev in np.unique(det["event"]):
        d = det[det["event"] == ev]
        votes: dict[str, float] = {}
        for c, pol, amp in zip(d["channel"], d["polarity"], d["amplitude_uv"], strict=True):
            e = ends[c][0 if pol < 0 else 1]
            votes[e] = votes.get(e, 0.0) + float(amp)
        out.append((float(d["time_s"].min()), max(votes, key=votes.get)))
    return out


def _page(v: _Views, start_s: float, end_s: float):
    """Bipolar data, names and spike marks of one page."""
    from eegpipe.preprocess import bipolar

    rec, t = v.rec, v.table
    good = [c for c in rec.ch_names if c not in t.bad_channels]
    bip, names = bipolar(_segment(rec, t, start_s, end_s, good), good)
    det = t.spikes[(t.spikes["time_s"] >= start_s) & (t.spikes["time_s"] < end_s)]
    marks = [(float(d["time_s"]), names.index(t.bip_names[d["channel"]]))
             for d in det if t.bip_names[d["channel"]] in names]  # fmt: skip
    return bip, names, marks


def _page_figure(v: _Views, page: dict, *, title: str, width_in: float = 12.0):
    from eegpipe.plotting import plot_page
    from eegpipe.preprocess import WORK_SFREQ

    bip, names, marks = _page(v, page["start_s"], page["end_s"])
    fig = plot_page(bip, names, WORK_SFREQ, start_s=page["start_s"], title=title, marks=marks)
    fig.set_size_inches(width_in, fig.get_size_inches()[1])
    fig.tight_layout()
    return fig


# -- figures ---------------------------------------------------------------------------
def _plt():
    import matplotlib.pyplot as plt

    return plt


def _x(tps: list[Timepoint]) -> tuple[np.ndarray, str, list[str]]:
    """Evenly spaced positions (the days would crowd the early follow-ups), labelled by day."""
    labels = [_when(tp) for tp in tps]
    if all(tp.days is not None for tp in tps):
        labels = [f"{w}\n(day {tp.days:g})" if tp.days else w for w, tp in zip(labels, tps, strict=True)]
    return np.arange(len(tps), dtype=float), "", labels


def _index_figure(res: Series):
    plt = _plt()
    tps = [tp for tp in res.timepoints]
    x, xlabel, ticks = _x(tps)
    fig, (ax, ax2) = plt.subplots(1, 2, figsize=(14, 4.6), gridspec_kw={"width_ratios": [1, 1.25]})
    ok = np.array([tp.comparable for tp in tps])
    y = np.array([tp.index["overall"] if tp.comparable else np.nan for tp in tps])
    ci = np.array([tp.index["overall_ci"] if tp.comparable else (np.nan, np.nan) for tp in tps])
    ax.axhspan(NORMALIZED_INDEX, 1.02, color="#2ca02c", alpha=0.08, lw=0)
    ax.axhline(NORMALIZED_INDEX, color="#2ca02c", ls="--", lw=1)
    ax.text(x[0] - 0.1, NORMALIZED_INDEX + 0.02, f"normal range (index >= {NORMALIZED_INDEX})", color="#2ca02c",
            fontsize=8)  # fmt: skip
    ax.errorbar(x[ok], y[ok], yerr=np.abs(ci[ok].T - y[ok]), fmt="o-", color="k", lw=2, capsize=4,
                label=f"overall ({CI_LEVEL:.0%} CI)")  # fmt: skip
    for xi, yi, tp in zip(x, y, tps, strict=True):
        if np.isfinite(yi):
            ax.annotate(f"{yi:.2f}\n{tp.score.verdict}", (xi, yi), textcoords="offset points", fontsize=8,
                        xytext=(8, -24 if yi > 0.8 else 6))  # fmt: skip
    ax.set_xlim(x[0] - 0.3, x[-1] + 0.5)
    ax2.set_xlim(x[0] - 0.3, x[-1] + 0.3)
    ax.set(ylim=(-0.04, 1.04), xlabel=xlabel, ylabel="normalization index",
           title=f"Normalization index · overall status: {res.status.upper()}")
    ax.set_xticks(x, ticks)
    for k, fam in enumerate(FAMILIES):
        yf = [tp.index["families"][fam] if tp.comparable else np.nan for tp in tps]
        ax2.plot(x, yf, "o-", color=_COLORS[k % len(_COLORS)], label=FAMILY_LABELS[fam], lw=1.5)
    ax2.set(ylim=(-0.04, 1.04), xlabel=xlabel, ylabel="family index",
            title="By feature family (0 = typical hypsarrhythmia, 1 = typical normal for age)")
    ax2.set_xticks(x, ticks)
    ax2.legend(fontsize=8, loc="center left", bbox_to_anchor=(1.0, 0.5), frameon=False)
    for a in (ax, ax2):
        a.grid(alpha=0.3)
        a.spines[["top", "right"]].set_visible(False)
    fig.tight_layout()
    return fig


def _trajectory_figure(res: Series, ref: Reference):
    plt = _plt()
    tps = res.timepoints
    x, xlabel, ticks = _x(tps)
    n = len(FEATURES)
    ncol = 3
    fig, axes = plt.subplots(int(np.ceil(n / ncol)), ncol, figsize=(14, 3.1 * np.ceil(n / ncol)), squeeze=False)
    a = (1 - CI_LEVEL) / 2
    for ax, f in zip(axes.flat, FEATURES, strict=False):
        band = [ref.quantiles(f.key, f"normal_{ref.band(tp.age_months)[0]}") for tp in tps]
        hyps = ref.quantiles(f.key, f.variant or "hypsarrhythmia")
        ax.fill_between(x, [b["q25"] for b in band], [b["q75"] for b in band], color="#2ca02c", alpha=0.18,
                        step="mid", label="normal for age (IQR)")  # fmt: skip
        ax.axhspan(hyps["q25"], hyps["q75"], color="#d62728", alpha=0.10, lw=0,
                   label=f"{f.variant or 'hypsarrhythmia'} (IQR)")  # fmt: skip
        ok = [tp.comparable for tp in tps]
        y = np.array([tp.values[f.key] if c else np.nan for tp, c in zip(tps, ok, strict=True)])
        lo = np.array([np.quantile(tp.boot["values"][f.key], a) if c else np.nan
                       for tp, c in zip(tps, ok, strict=True)])  # fmt: skip
        hi = np.array([np.quantile(tp.boot["values"][f.key], 1 - a) if c else np.nan
                       for tp, c in zip(tps, ok, strict=True)])  # fmt: skip
        ax.errorbar(x, y, yerr=[y - lo, hi - y], fmt="o-", color="k", capsize=3, lw=1.5)
        if f.scale in ("log", "log1p") and np.nanmin(np.r_[y, hyps["q25"]]) > 0:
            ax.set_yscale("log")
        unit = f" ({f.unit})" if f.unit else ""
        ax.set_title(f"{FAMILY_LABELS[f.family]}\n{f.short or f.label}{unit}", fontsize=9, loc="left")
        ax.set_xticks(x, ticks, fontsize=8)
        ax.grid(alpha=0.3)
        ax.spines[["top", "right"]].set_visible(False)
    for ax in list(axes.flat)[n:]:
        ax.axis("off")
    axes.flat[0].legend(fontsize=7, loc="best")
    fig.suptitle(f"Feature trajectories (median or trimmed mean over clean epochs, {CI_LEVEL:.0%} bootstrap CI); "
                 "green: normal for the infant's age, red: hypsarrhythmia reference", fontsize=10)  # fmt: skip
    fig.tight_layout()
    return fig


def _side_by_side(a: _Views, b: _Views):
    """The two recordings' most abnormal pages next to each other, same scale."""
    plt = _plt()
    imgs = []
    for v in (a, b):
        page = v.tp.score.most_abnormal_epochs[0]
        fig = _page_figure(v, page, width_in=9.0,
                           title=f"{v.when}: {v.tp.score.verdict}, grade {v.tp.score.based_grade} · "
                                 f"{page['start_s']:.0f}-{page['end_s']:.0f} s · {page['spike_events']} spike events")
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=IMG_MAX_DPI)
        plt.close(fig)
        buf.seek(0)
        imgs.append(plt.imread(buf))
    h = max(i.shape[0] for i in imgs)
    w = sum(i.shape[1] for i in imgs)
    fig = plt.figure(figsize=(w / IMG_MAX_DPI, h / IMG_MAX_DPI), dpi=IMG_MAX_DPI)
    x0 = 0
    for img in imgs:
        ax = fig.add_axes([x0 / w, 1 - img.shape[0] / h, img.shape[1] / w, img.shape[0] / h])
        ax.imshow(img, interpolation="none")
        ax.axis("off")
        x0 += img.shape[1]
    return fig


def _spectra_figure(views: list[_Views]):
    plt = _plt()
    fig, axes = plt.subplots(1, 2, figsize=(14, 4.2), sharey=True)
    for k, v in enumerate(views):
        if v.freqs is None:
            continue
        for ax, psd in zip(axes, (v.psd_head, v.psd_post), strict=True):
            if psd is None:
                continue
            med = np.median(psd, axis=0)
            q1, q3 = np.quantile(psd, [0.25, 0.75], axis=0)
            ax.semilogy(v.freqs, med, color=_COLORS[k % len(_COLORS)], lw=1.8, label=f"{v.when} ({v.tp.score.verdict})")
            ax.fill_between(v.freqs, q1, q3, color=_COLORS[k % len(_COLORS)], alpha=0.15, lw=0)
    for ax, what in zip(axes, ("whole head (median over channels)", "posterior (O1 O2 P3 P4 Pz T5 T6)"),
                        strict=True):  # fmt: skip
        ax.axvspan(0.5, 4, color="0.9", zorder=0)
        ax.text(0.6, 0.02, "delta", transform=ax.get_xaxis_transform(), fontsize=8, color="0.4")
        ax.set(xlabel="frequency (Hz)", title=f"Spectrum, {what}", xlim=(0.5, 30))
        ax.grid(alpha=0.3, which="both")
        ax.spines[["top", "right"]].set_visible(False)
    axes[0].set_ylabel("power (µV²/Hz), average reference")
    axes[0].legend(fontsize=8)
    fig.suptitle("Median over clean epochs; band: interquartile range over epochs", fontsize=9)
    fig.tight_layout()
    return fig


def _info(ch_names: list[str]):
    import mne

    from eegpipe.montage import electrode_positions

    pos = electrode_positions(ch_names)
    head = np.c_[-pos[:, 1], pos[:, 0], pos[:, 2]] * 0.095  # eegpipe x nose, y left -> MNE x right, y nose
    info = mne.create_info(list(ch_names), 128.0, "eeg")
    info.set_montage(mne.channels.make_dig_montage(ch_pos=dict(zip(ch_names, head, strict=True)),
                                                   coord_frame="head"), verbose="error")  # fmt: skip
    return info


def _maps_figure(views: list[_Views]):
    """Amplitude and spike-rate scalp maps, one row per recording, shared colour scales."""
    import mne

    plt = _plt()
    views = [v for v in views if v.amp_map]
    if not views:
        return None
    amp_max = max(max(v.amp_map.values()) for v in views)
    spk_max = max(max(max(v.spike_map.values()), 1.0) for v in views)
    fig, axes = plt.subplots(len(views), 2, figsize=(9, 3.9 * len(views)), squeeze=False)
    for row, v in zip(axes, views, strict=True):
        for ax, data, vmax, cmap, what in ((row[0], v.amp_map, amp_max, "Reds", "background amplitude (µV p-p)"),
                                           (row[1], v.spike_map, spk_max, "Purples", "spike events / min")):
            names = list(data)
            im, _ = mne.viz.plot_topomap(np.array([data[c] for c in names]), _info(names), axes=ax, show=False,
                                         cmap=cmap, vlim=(0, vmax), contours=0, names=names, sensors=True,
                                         res=TOPOMAP_RES)
            cb = fig.colorbar(im, ax=ax, shrink=0.75)
            cb.set_label(what, fontsize=8)
            ax.set_title(f"{v.when}: {what}", fontsize=9)
    fig.suptitle("Scalp maps, clean epochs (amplitude: median 1-s peak to peak, average reference; "
                 "spikes: the electrode each event points at)", fontsize=9)  # fmt: skip
    fig.tight_layout()
    return fig


def _timeline_figure(views: list[_Views]):
    """Clean and excluded epochs, spike rate and amplitude along each recording."""
    plt = _plt()
    views = [v for v in views if v.table is not None]
    if not views:
        return None
    fig, axes = plt.subplots(len(views), 1, figsize=(14, 1.9 * len(views) + 0.6), squeeze=False)
    for ax, v in zip(axes[:, 0], views, strict=True):
        t = v.table
        ep = v.tp.score.epochs
        rate = ep["spike_events_per_min"].to_numpy(float) if ep is not None else np.zeros(t.start_s.size)
        colors = np.where(t.exclude, "#bbbbbb", "#2ca02c")
        ax.bar(t.start_s, np.maximum(rate, 2.0), width=t.epoch_s * 0.95, align="edge", color=colors)
        ax.set_ylabel("spikes/min", fontsize=8)
        ax.set_title(f"{v.when}: {int((~t.exclude).sum())} of {t.exclude.size} epochs clean (green); "
                     f"grey = artifact, left out", fontsize=9, loc="left")  # fmt: skip
        ax2 = ax.twinx()
        ax2.plot(t.start_s + t.epoch_s / 2, np.median(t.bip["ptp_uv"], axis=1), color="k", lw=1)
        ax2.set_ylabel("amplitude µV", fontsize=8)
        ax.spines[["top"]].set_visible(False)
    axes[-1, 0].set_xlabel("time (s)")
    fig.tight_layout()
    return fig


# -- HTML fragments (tables) --------------------------------------------------------------
def _table(df: pd.DataFrame) -> str:
    return df.to_html(index=False, border=0, classes="table table-sm table-striped", na_rep="-", escape=True)


def _fmt(x, d: int = 2) -> str:
    if x is None or (isinstance(x, float) and not np.isfinite(x)):
        return "-"
    return f"{x:.{d}f}" if isinstance(x, float) else str(x)


def _overview_table(tps: list[Timepoint]) -> str:
    """One column per recording, one row per fact: easy to read across time."""
    cols = {}
    for tp in tps:
        s, idx = tp.score, tp.index_dict()
        ci = f" [{_fmt(idx['ci_low'])}, {_fmt(idx['ci_high'])}]" if idx["overall"] is not None else ""
        cols[_when(tp)] = {
            "file": Path(tp.file).name, "age (months)": _fmt(tp.age_months, 1),
            "verdict": s.verdict or f"error: {s.error}", "subtypes": ", ".join(s.subtypes) or "-",
            "BASED-like grade": _fmt(s.based_grade), "probability (abnormal)": _fmt(s.probability),
            "normalization index [95% CI]": _fmt(idx["overall"]) + ci,
            "spike events / min": _fmt(s.measures.get("spike_events_per_min"), 1),
            "background amplitude (µV)": _fmt(s.measures.get("median_ptp_uv"), 0),
            "clean EEG scored (min)": _fmt(s.quality.get("usable_minutes"), 1),
            "epochs left out for artifact": f"{100 * (s.quality.get('artifact_share') or 0):.0f}%",
        }  # fmt: skip
    df = pd.DataFrame(cols)
    df.insert(0, "", df.index)
    return _table(df)


def _steps_html(res: Series) -> str:
    parts = []
    for c in [*res.steps, *([res.overall] if len(res.timepoints) > 2 else [])]:
        head = f"{_when(c.pre)} → {_when(c.post)}"
        parts.append(f"<h5>{html.escape(head)}: <b>{html.escape(c.status)}</b></h5>")
        parts.append("<ul>" + "".join(f"<li>{html.escape(r)}</li>" for r in c.reasons) + "</ul>")
        if c is res.overall and c.notes:  # its notes head the summary already
            parts.append("<p><i>Notes: in the summary above.</i></p>")
        else:
            parts += [f"<p><i>{html.escape(n)}</i></p>" for n in c.notes]  # state, age bands, electrodes
        if c.families:
            parts.append(_table(_family_rows(c)))
    return "\n".join(parts)


def _family_rows(c: Comparison) -> pd.DataFrame:
    rows = []
    for d in c.families.values():
        rows.append({"family / feature": d["label"].upper(), "before": _fmt(d["index_pre"]),
                     "after": _fmt(d["index_post"]),
                     "change [95% CI]": f"{d['index_change']:+.2f} [{d['ci_low']:+.2f}, {d['ci_high']:+.2f}]",
                     "effect size": f"{d['effect_size']:+.2f}", "unit": "index"})  # fmt: skip
        for f in d["features"].values():
            rows.append({"family / feature": "  " + f["label"], "before": _fmt(f["pre"]), "after": _fmt(f["post"]),
                         "change [95% CI]": f"{f['change']:+.2f} [{f['ci_low']:+.2f}, {f['ci_high']:+.2f}]",
                         "effect size": f"{f['effect_size']:+.2f}", "unit": f["unit"] or "-"})  # fmt: skip
    return pd.DataFrame(rows)


def _verdict_html(tp: Timepoint) -> str:
    s = tp.score
    if s.error:
        return f"<p><b>Not scored:</b> {html.escape(s.error)}</p>"
    sub = f" ({', '.join(s.subtypes)})" if s.subtypes else ""
    head = (f"<p style='font-size:1.2em'><b>{html.escape(str(s.verdict))}{html.escape(sub)}</b> · BASED-like grade "
            f"<b>{_fmt(s.based_grade)}</b> · probability {_fmt(s.probability)} · decided by "
            f"{html.escape(str(s.decided_by))}</p>")  # fmt: skip
    idx = tp.index_dict()
    if idx["overall"] is not None:
        age = "age unknown" if tp.age_months is None else f"{tp.age_months:.1f} months"
        fams = ", ".join(f"{FAMILY_LABELS[k]} {v:.2f}" for k, v in idx["families"].items() if v is not None)
        head += (f"<p>Normalization index <b>{idx['overall']:.2f}</b> [95% CI {idx['ci_low']:.2f}-"
                 f"{idx['ci_high']:.2f}] (0 = typical hypsarrhythmia, 1 = typical normal EEG at {html.escape(age)}); "
                 f"by family: {html.escape(fams)}.</p>")  # fmt: skip
    why = "<ul>" + "".join(f"<li>{html.escape(r)}</li>" for r in s.reasons) + "</ul>"
    meas = pd.DataFrame([{"measure": MEASURE_LABELS.get(k, k),
                          "value": ", ".join(map(str, v)) if isinstance(v, list) else _fmt(v)}
                         for k, v in s.measures.items()])  # fmt: skip
    return head + "<p>Rules that fired:</p>" + why + "<p>Measures (clean EEG):</p>" + _table(meas)


def _quality_html(tp: Timepoint, v: _Views) -> str:
    q = tp.score.quality
    rows = [("clean EEG scored", f"{_fmt(q.get('usable_minutes'), 1)} min of {_fmt(q.get('duration_s', 0) / 60, 1)}"),
            ("epochs left out for artifact", f"{q.get('excluded_epochs', '-')} of {q.get('epochs', '-')} "
                                             f"({100 * (q.get('artifact_share') or 0):.0f}%)"),
            ("bad channels", ", ".join(f"{c} ({r})" for c, r in (q.get("bad_channels") or {}).items()) or "none"),
            ("missing 10-20 channels", ", ".join(q.get("missing_channels") or []) or "none"),
            ("mains frequency", f"{_fmt(q.get('line_freq_hz'), 0)} Hz" if q.get("line_freq_hz") else "none found"),
            ("sleep-like share (delta >= 60%)", _fmt(q.get("sleep_like_share"))),
            ("annotated sleep-wake state (clean epochs)",
             ", ".join(f"{k.replace('_', ' ')} {n}" for k, n in q["annotated_states"].items() if n)
             if q.get("annotated_states") else "no state annotations in the file"),
            ("sampling rate", f"{_fmt(q.get('sfreq_hz'), 0)} Hz")]  # fmt: skip
    if v.table is not None and v.table.exclude.any():
        why = pd.Series([r.split("; ")[0].split(" (")[0].split(" on ")[0]
                         for r, x in zip(v.table.reasons, v.table.exclude, strict=True) if x]).value_counts()
        rows.append(("why epochs were left out", "; ".join(f"{k} ({n})" for k, n in why.items())))
    if v.table is not None:
        popped = pd.Series([c for chans in v.table.repaired for c in chans]).value_counts()
        if popped.size:
            rows.append(("popping electrodes replaced by their neighbours (epochs kept)",
                         "; ".join(f"{c} in {n} epoch{'s' * (n > 1)}" for c, n in popped.items())))
    return _table(pd.DataFrame(rows, columns=["quality", "value"]))



def _identifiers(paths: list[str]) -> str:
    rows = []
    for p in paths:
        try:
            rec = load_recording(p, preload=False)
        except Exception:  # noqa: BLE001 - shown as missing
            continue
        s = rec.subject
        rows.append({"recording": Path(p).name, "name": s.name or "-", "patient code": s.code or "-",
                     "birth date": s.birth_date or "-", "sex": s.sex or "-",
                     "start": rec.meas_date.isoformat(sep=" ") if rec.meas_date else "-"})  # fmt: skip
    return _table(pd.DataFrame(rows))


def _methods_html() -> str:
    fams = "".join(f"<li><b>{html.escape(FAMILY_LABELS[fam])}</b>: "
                   + "; ".join(html.escape(f"{f.label} ({f.source})") for f in FEATURES if f.family == fam)
                   + "</li>" for fam in FAMILIES)  # fmt: skip
    return (
        "<p><b>Normalization index</b>: 0 = typical hypsarrhythmia, 1 = typical normal EEG for the infant's age. "
        "Each feature is placed between the median of the hypsarrhythmia references and the median of the "
        "age-matched normal references, on clean epochs only; a family is the mean of its features; the overall "
        "index is the lower of spikes and multifocality and the background (the better of synchrony and the mean "
        "of amplitude and spectral shape: normal sleep is high-voltage and delta-rich but synchronous), capped by "
        "asymmetry and attenuation, and scaled so that anything inside the age band's normal reference range "
        f"(above its {NORMAL_RANGE_QUANTILE:.1%} quantile) reads 1. "
        "The reference values were measured by eegpipe on simulated recordings "
        "built from published figures (see eegpipe/reference.py); they are not validated on real EEG.</p>"
        f"<ul>{fams}</ul>"
        f"<p><b>Status rule</b>: {html.escape(RULE)} {html.escape(SERIES_RULE)}</p>"
        "<p>Confidence intervals: bootstrap over clean epochs (1000 resamples). Effect size: Cliff's delta between "
        "the two recordings' epochs (for a family: the mean over its features, positive = towards normal). "
        "Epochs with movement, muscle or electrode artifact (e.g. the tremor and jerks of vitamin B12 treatment) "
        "are left out of everything. The verdict is eegpipe's automatic reading, not a diagnosis.</p>"
    )


# -- sections -------------------------------------------------------------------------------
def _series_sections(report, res: Series, views: list[_Views]) -> None:
    plt = _plt()
    ref = Reference.load()
    sec = "Treatment response"
    status = html.escape(res.status.upper())
    report.add_html(f"<h3>Overall: {status}</h3><ul>" + "".join(f"<li>{html.escape(r)}</li>"
                    for r in res.reasons) + "</ul>"
                    + "".join(f"<p><i>{html.escape(n)}</i></p>" for n in [*res.notes, *res.overall.notes])
                    + _overview_table(res.timepoints), title="Summary", section=sec, tags=("summary",))  # fmt: skip
    for fig, title, cap, tag in (
        (_index_figure(res), "Normalization index over time",
         "Overall index with its 95% bootstrap interval, and the index of each feature family.", "index"),
        (_trajectory_figure(res, ref), "Feature trajectories",
         "Every compared feature at each recording against the age-matched normal reference (green) and the "
         "hypsarrhythmia reference (red).", "trajectories"),
    ):  # fmt: skip
        report.add_figure(fig, title=title, caption=cap, section=sec, image_format="png", tags=(tag,))
        plt.close(fig)
    report.add_html(_steps_html(res), title="Changes per step and feature family", section=sec,
                    tags=("changes",))
    first, last = views[0], views[-1]
    if first.table is not None and last.table is not None and first.tp.score.most_abnormal_epochs \
            and last.tp.score.most_abnormal_epochs:  # fmt: skip
        fig = _side_by_side(first, last)
        report.add_figure(fig, title="Most abnormal page: first and last recording side by side",
                          caption=PAGE_CAPTION, section=sec, image_format="png", tags=("pages",))
        plt.close(fig)
    for make, title, tag in ((_spectra_figure, "Spectra over time", "spectra"),
                             (_maps_figure, "Scalp maps over time", "maps"),
                             (_timeline_figure, "Signal quality over time", "quality")):  # fmt: skip
        fig = make(views)
        if fig is not None:
            report.add_figure(fig, title=title, section=sec, image_format="png", tags=(tag,))
            plt.close(fig)


def _recording_sections(report, v: _Views, section: str, overview: bool) -> None:
    plt = _plt()
    tp = v.tp
    report.add_html(_verdict_html(tp), title=f"{v.when}: {v.name}: verdict and evidence", section=section,
                    tags=("verdict",))
    report.add_html(_quality_html(tp, v), title=f"{v.when}: signal quality", section=section, tags=("quality",))
    if v.table is None:
        return
    for k, page in enumerate(tp.score.most_abnormal_epochs[:N_PAGES]):
        fig = _page_figure(v, page, title=f"{v.name} · {page['start_s']:.0f}-{page['end_s']:.0f} s · "
                                          f"{page['spike_events']} spike events · median {page['median_ptp_uv']} µV")
        report.add_figure(fig, title=f"{v.when}: most abnormal page {k + 1}", section=section, image_format="png",
                          tags=("pages",), caption=PAGE_CAPTION)
        plt.close(fig)
    if not overview:
        return
    for make, title, tag in ((_spectra_figure, "spectrum", "spectra"), (_maps_figure, "scalp maps", "maps"),
                             (_timeline_figure, "clean and excluded epochs", "quality")):  # fmt: skip
        fig = make([v])
        if fig is not None:
            report.add_figure(fig, title=f"{v.when}: {title}", section=section, image_format="png", tags=(tag,))
            plt.close(fig)

