"""Feature tables: one row per epoch, and one row per recording.

:func:`epoch_frame` turns the pipeline's :class:`~eegpipe.pipeline.EpochTable` into a
:class:`pandas.DataFrame` a researcher can read; :func:`recording_features` reduces it to
the one row per recording the classifier in :mod:`eegpipe.model` is trained on.  The
public entry points are :func:`eegpipe.features.extract` and
:func:`eegpipe.features.recording_summary`.

Units are part of every column name (``_uv``, ``_hz``, ``_per_min``, ``_s``); columns
without a unit are ratios, shares (0-1), correlations or entropies (bits normalised to
0-1).  ``DataFrame.attrs`` carries the source, the sampling rate and the recording-level
measures of :func:`eegpipe.summary.summarize`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from eegpipe.pipeline import EpochTable
from eegpipe.rules import HIGH_AMPLITUDE_UV
from eegpipe.summary import MIDLINE_REGION, attenuation_mask, clean_seconds, event_regions

#: Per-epoch feature columns (numeric), in order, with what each is.
EPOCH_FEATURES: dict[str, str] = {
    "ptp_median_uv": "background peak-to-peak (median of 1-s windows), median over bipolar derivations",
    "ptp_max_uv": "background peak-to-peak of the highest bipolar derivation",
    "ptp_peak_uv": "largest 1-s peak-to-peak on any derivation (transients included)",
    "rms_median_uv": "RMS voltage, median over bipolar derivations",
    "high_voltage_share": "share of 1-s windows over 200 µV peak to peak, mean over derivations",
    "n_high_amplitude_derivations": "bipolar derivations whose background is >= 200 µV",
    "line_length_uv_per_s": "line length, median over bipolar derivations",
    "rel_delta": "relative 0.5-4 Hz power, median over channels (average reference)",
    "rel_theta": "relative 4-8 Hz power, median over channels",
    "rel_alpha": "relative 8-13 Hz power, median over channels",
    "rel_beta": "relative 13-30 Hz power, median over channels",
    "rel_gamma": "relative 30-45 Hz power, median over channels",
    "abs_delta_uv2": "absolute delta power, median over channels",
    "peak_frequency_hz": "peak of the whitened 1-20 Hz spectrum, median over channels",
    "spectral_edge_hz": "95% spectral edge frequency, median over channels",
    "aperiodic_exponent": "1/f exponent 2-40 Hz, median over channels",
    "spectral_entropy": "normalised spectral entropy, median over channels",
    "permutation_entropy": "normalised permutation entropy (order 4), median over channels",
    "interhemispheric_correlation": "delta-band correlation of homologous pairs, mean",
    "asymmetry": "|mean over homologous pairs of log left/right delta RMS ratio|",
    "signed_asymmetry": "mean over homologous pairs of log left/right delta RMS ratio (+: left larger)",
    "global_correlation": "mean |correlation| over all channel pairs, delta band",
    "spike_events_per_min": "spike/sharp-wave events in the epoch, per minute",
    "spike_regions": "scalp regions with at least one spike event in the epoch",
    "lateral_spike_events_per_min": "spike/sharp-wave events off the midline (an event's region is not "
                                    "Fz-Cz-Pz), per minute",
    "lateral_spike_regions": "scalp regions off the midline with at least one spike event in the epoch",
    "attenuated_s": "seconds of the epoch inside a paroxysmal attenuation episode",
}

#: Recording-level measures of :func:`eegpipe.summary.summarize` kept as model features.
RECORDING_MEASURES = (
    "spike_events_per_min", "n_foci", "foci_bin_share", "n_high_amplitude", "median_ptp_uv",
    "max_derivation_ptp_uv", "high_voltage_share", "focus_share", "interhemispheric_correlation",
    "asymmetry", "attenuation_per_min", "attenuation_share", "sleep_like_share",
)  # fmt: skip

#: Epoch-level thresholds defining an "abnormal epoch" for the share-of-epochs columns.
#: 200 µV: traditional hypsarrhythmia voltage (domain.md).  Spikes: an epoch with
#: multifocal spikes, i.e. events in >= 3 regions (BASED's multifocality, domain.md).
ABNORMAL_EPOCH_REGIONS = 3


def epoch_frame(t: EpochTable, measures: dict | None = None, *, per_channel: bool = False,
                source: str | None = None) -> pd.DataFrame:  # fmt: skip
    """One row per epoch with the features of :data:`EPOCH_FEATURES`.

    Parameters
    ----------
    t : EpochTable
        From :func:`eegpipe.pipeline.analyse`.
    measures : dict or None
        Recording measures from :func:`eegpipe.summary.summarize`, stored in
        ``attrs["measures"]`` (scalars only).
    per_channel : bool
        Also add one column per channel or derivation and feature, named
        ``"<feature>[<channel>]"`` (e.g. ``"ptp_uv[Fp1-F7]"``).
    source : str or None
        File the table came from, stored in ``attrs["source"]``.

    Returns
    -------
    epochs : pandas.DataFrame
        Columns ``start_s``, ``end_s``, ``excluded``, ``exclude_reason``, then the features.
    """
    ptp = t.bip["ptp_uv"]
    df = pd.DataFrame({
        "start_s": t.start_s, "end_s": t.start_s + t.epoch_s, "excluded": t.exclude,
        "exclude_reason": pd.Series(t.reasons, dtype="string"),
        "ptp_median_uv": np.median(ptp, axis=1), "ptp_max_uv": ptp.max(axis=1),
        "ptp_peak_uv": t.bip["max_ptp_uv"].max(axis=1),
        "rms_median_uv": np.median(t.bip["rms_uv"], axis=1),
        "high_voltage_share": t.bip["high_voltage_share"].mean(axis=1),
        "n_high_amplitude_derivations": (ptp >= HIGH_AMPLITUDE_UV).sum(axis=1),
        "line_length_uv_per_s": np.median(t.bip["line_length_uv_per_s"], axis=1),
    })  # fmt: skip
    for band in ("delta", "theta", "alpha", "beta", "gamma"):
        df[f"rel_{band}"] = np.median(t.chan[f"rel_{band}"], axis=1)
    df["abs_delta_uv2"] = np.median(t.chan["abs_delta"], axis=1)
    for key in ("peak_frequency_hz", "spectral_edge_hz", "aperiodic_exponent", "spectral_entropy",
                "permutation_entropy"):  # fmt: skip
        df[key] = np.median(t.chan[key], axis=1)
    corr, ratio = t.pairs["delta_correlation"], t.pairs["log_amplitude_ratio"]
    df["interhemispheric_correlation"] = corr.mean(axis=1) if corr.shape[1] else 0.0
    df["signed_asymmetry"] = ratio.mean(axis=1) if ratio.shape[1] else 0.0
    df["asymmetry"] = np.abs(df["signed_asymmetry"])
    df["global_correlation"] = t.glob["global_correlation"]
    ev_t, ev_r = event_regions(t)
    order = np.argsort(ev_t, kind="stable")
    ev_t, ev_r = ev_t[order], ev_r[order]
    lo = np.searchsorted(ev_t, t.start_s, side="left")
    hi = np.searchsorted(ev_t, t.start_s + t.epoch_s, side="left")
    df["spike_events_per_min"] = (hi - lo) * 60.0 / t.epoch_s
    df["spike_regions"] = [len(set(ev_r[a:b])) for a, b in zip(lo, hi, strict=True)]
    # off the midline: where normal sleep's vertex waves are not (summary.MIDLINE_REGION)
    lateral = np.r_[0, np.cumsum(ev_r != MIDLINE_REGION)]
    df["lateral_spike_events_per_min"] = (lateral[hi] - lateral[lo]) * 60.0 / t.epoch_s
    df["lateral_spike_regions"] = [len(set(ev_r[a:b]) - {MIDLINE_REGION}) for a, b in zip(lo, hi, strict=True)]
    low = attenuation_mask(t, clean_seconds(t))
    s = t.second_start_s
    a = np.searchsorted(s, t.start_s - 1e-6)
    b = np.searchsorted(s, t.start_s + t.epoch_s - 1 + 1e-6)
    cum = np.r_[0, np.cumsum(low)]
    df["attenuated_s"] = (cum[b] - cum[a]).astype(float)
    if per_channel:
        extra = {}
        for group, names in ((t.bip, t.bip_names), (t.chan, t.ch_names), (t.pairs, t.pair_names)):
            for key, arr in group.items():
                for j, name in enumerate(names):
                    extra[f"{key}[{name}]"] = arr[:, j]
        df = pd.concat([df, pd.DataFrame(extra)], axis=1)
    df.attrs = {
        "source": source, "epoch_s": float(t.epoch_s), "line_freq_hz": t.line_freq,
        "bad_channels": dict(t.bad_channels), "channels": list(t.ch_names),
        "measures": {k: v for k, v in (measures or {}).items()
                     if isinstance(v, int | float | np.integer | np.floating)},
    }  # fmt: skip
    return df


def recording_features(epochs: pd.DataFrame) -> pd.Series:
    """Reduce an epoch table to one row of robust recording-level features.

    Over clean (non-excluded) epochs: the median and the 90th percentile of every
    feature in :data:`EPOCH_FEATURES`; the share of epochs with a high-voltage background
    (``ptp_max_uv`` >= 200 µV) and with multifocal spikes (spikes in >= 3 regions); the
    artifact share; and the recording measures of :data:`RECORDING_MEASURES` found in
    ``epochs.attrs["measures"]`` (NaN when absent).

    Parameters
    ----------
    epochs : pandas.DataFrame
        From :func:`eegpipe.features.extract`.

    Returns
    -------
    features : pandas.Series
        Named ``epochs.attrs["source"]``; index ``"<feature>__median"``,
        ``"<feature>__q90"``, ``"share_high_voltage_epochs"``, ...
    """
    clean = epochs.loc[~epochs["excluded"].astype(bool), list(EPOCH_FEATURES)].astype(float)
    out: dict[str, float] = {}
    if len(clean):
        med, q90 = clean.median(), clean.quantile(0.9)
    else:
        med = q90 = pd.Series(np.nan, index=list(EPOCH_FEATURES))
    for k in EPOCH_FEATURES:
        out[f"{k}__median"] = float(med[k])
        out[f"{k}__q90"] = float(q90[k])
    n = max(len(clean), 1)
    out["share_high_voltage_epochs"] = float((clean["ptp_max_uv"] >= HIGH_AMPLITUDE_UV).sum() / n)
    out["share_multifocal_epochs"] = float((clean["spike_regions"] >= ABNORMAL_EPOCH_REGIONS).sum() / n)
    out["artifact_share"] = float(epochs["excluded"].mean()) if len(epochs) else 1.0
    m = epochs.attrs.get("measures", {})
    for k in RECORDING_MEASURES:
        out[f"rec_{k}"] = float(m.get(k, np.nan))
    out["rec_asymmetry"] = abs(out["rec_asymmetry"])  # the side is not a feature
    return pd.Series(out, name=epochs.attrs.get("source"), dtype=float)
