"""Recording-level measures: robust aggregates of the per-epoch table over clean EEG.

These are the numbers the rules in :mod:`eegpipe.rules` read, and the evidence a
verdict is reported with.  Every aggregate uses clean (non-artifact) EEG only.
"""

from __future__ import annotations

import numpy as np

from eegpipe._numeric import median_filter_nearest
from eegpipe.montage import REGIONS
from eegpipe.pipeline import EpochTable
from eegpipe.rules import BASED_FOCI, BASED_WINDOW_S, FOCUS_MIN_RATE_PER_MIN, HIGH_AMPLITUDE_UV

#: A second is attenuated on a derivation when its RMS falls below this share of that
#: derivation's running median RMS over the surrounding minute (paroxysmal: a sudden
#: drop, not a change of sleep-wake state, which shifts the level for minutes).
#: *unverified*, chosen on simulated development data (an electrodecrement is a drop to
#: a small fraction of background).
ATTENUATION_RATIO = 0.35
#: ...and an attenuation episode needs at least this share of derivations attenuated
#: together (a quarter of the head: regional, lateralized or generalized).
ATTENUATION_MIN_SHARE = 0.25
#: Length in seconds of the running window giving the local background level.
ATTENUATION_CONTEXT_S = 61

#: The region of the vertex (Fz, Cz, Pz), where normal sleep transients are largest.
MIDLINE_REGION = "midline"

_REGION_OF = {ch: region for region, chans in REGIONS.items() for ch in chans}


def clean_seconds(t: EpochTable) -> np.ndarray:
    """Mask of the 1-s windows covered by at least one clean epoch.

    Parameters
    ----------
    t : EpochTable
        Per-epoch table.

    Returns
    -------
    clean : ndarray of bool, shape (n_seconds,)
    """
    s = t.second_start_s
    clean = np.zeros(s.size, dtype=bool)
    for start in t.start_s[~t.exclude]:
        lo, hi = np.searchsorted(s, [start - 1e-6, start + t.epoch_s - 1 + 1e-6])
        clean[lo:hi] = True
    return clean


def event_regions(t: EpochTable) -> tuple[np.ndarray, np.ndarray]:
    """One time and one scalp region per spike event.

    A detection on derivation ``A-B`` points at A when its peak is downward (negative)
    and at B when upward, as a surface-negative focus under A pulls A-B down; the
    electrode with the largest summed amplitude over the event's detections wins.

    Parameters
    ----------
    t : EpochTable
        Per-epoch table with its spike detections.

    Returns
    -------
    times : ndarray
        Time (s) of each event's first detection.
    regions : ndarray of str
        Region name per event (keys of :data:`eegpipe.montage.REGIONS`).
    """
    det = t.spikes
    if det.size == 0:
        return np.array([]), np.array([], dtype=object)
    ends = [n.split("-") for n in t.bip_names]
    toward = [ends[c][0 if p < 0 else 1] for c, p in zip(det["channel"], det["polarity"], strict=True)]
    electrodes, elec = np.unique(np.array(toward, dtype=object), return_inverse=True)
    events, inv = np.unique(det["event"], return_inverse=True)
    n_ev, n_el = events.size, electrodes.size
    key = inv * n_el + elec
    # summed amplitude per event and electrode, added in detection order
    votes = np.bincount(key, weights=det["amplitude_uv"].astype(np.float64),
                        minlength=n_ev * n_el).reshape(n_ev, n_el)  # fmt: skip
    # ties go to the electrode seen first in the event
    seen, first_at = np.unique(key, return_index=True)
    first = np.full(n_ev * n_el, np.inf)
    first[seen] = first_at
    first = first.reshape(n_ev, n_el)
    votes[~np.isfinite(first)] = -np.inf
    best = np.where(votes == votes.max(axis=1, keepdims=True), first, np.inf).argmin(axis=1)
    times = np.full(n_ev, np.inf)
    np.minimum.at(times, inv, det["time_s"].astype(np.float64))
    regions = np.array([_REGION_OF.get(e, "midline") for e in electrodes[best]], dtype=object)
    return times, regions


def attenuation_mask(t: EpochTable, clean_sec: np.ndarray) -> np.ndarray:
    """Seconds inside a paroxysmal attenuation (see :data:`ATTENUATION_RATIO`).

    Parameters
    ----------
    t : EpochTable
        Per-epoch table.
    clean_sec : ndarray of bool
        From :func:`clean_seconds`.

    Returns
    -------
    low : ndarray of bool, shape (n_seconds,)
    """
    rms = t.second_rms
    if rms.size == 0 or clean_sec.sum() < 5:
        return np.zeros(rms.shape[0], dtype=bool)
    filled = np.where(clean_sec[:, None], rms, np.median(rms[clean_sec], axis=0))
    level = median_filter_nearest(filled, ATTENUATION_CONTEXT_S, axis=0)  # ndimage.median_filter's result
    low = (rms < ATTENUATION_RATIO * np.maximum(level, 1e-6)).mean(axis=1) >= ATTENUATION_MIN_SHARE
    return low & clean_sec


def _attenuation(t: EpochTable, clean_sec: np.ndarray) -> tuple[float, float, list]:
    """Attenuation episodes per clean minute, share of clean time, and the episodes."""
    if t.second_rms.size == 0 or clean_sec.sum() < 5:
        return 0.0, 0.0, []
    low = attenuation_mask(t, clean_sec)
    edges = np.diff(np.r_[0, low.astype(int), 0])
    on, off = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    episodes = [(float(t.second_start_s[a]), float(b - a)) for a, b in zip(on, off, strict=True)]
    minutes = clean_sec.sum() / 60.0
    return len(episodes) / minutes, float(low.sum() / clean_sec.sum()), episodes


def summarize(t: EpochTable) -> dict:
    """Recording-level measures from the per-epoch table.

    Parameters
    ----------
    t : EpochTable
        From :func:`eegpipe.pipeline.analyse`.

    Returns
    -------
    measures : dict
        Scalars with units in their names (see the README's "What the numbers mean"),
        plus ``most_abnormal_epochs`` and ``attenuation_episodes``.
    """
    clean_ep = ~t.exclude
    clean_sec = clean_seconds(t)
    usable_s = float(clean_sec.sum())
    m: dict = {"usable_s": usable_s, "n_epochs": int(t.exclude.size),
               "n_excluded": int(t.exclude.sum()),
               "artifact_share": float(t.exclude.mean()) if t.exclude.size else 1.0}  # fmt: skip
    if not clean_ep.any():
        return m
    ev_t, ev_r = event_regions(t)
    sec_idx = np.clip(np.searchsorted(t.second_start_s, ev_t, side="right") - 1, 0, None)
    keep = clean_sec[sec_idx] if ev_t.size else np.zeros(0, dtype=bool)
    ev_t, ev_r, sec_idx = ev_t[keep], ev_r[keep], sec_idx[keep]
    minutes = max(usable_s / 60.0, 1e-9)
    m["spike_events_per_min"] = float(ev_t.size / minutes)

    # the most epileptiform 5 minutes (BASED): clean epochs with the most spike events
    sorted_t = np.sort(ev_t)
    ep_events = np.searchsorted(sorted_t, t.start_s + t.epoch_s, side="left") - \
        np.searchsorted(sorted_t, t.start_s, side="left")  # fmt: skip
    ranked = np.flatnonzero(clean_ep)[np.argsort(-ep_events[clean_ep], kind="stable")]
    n_window = max(1, int(round(BASED_WINDOW_S / t.epoch_s)))
    scored = np.sort(ranked[:n_window])
    in_window = np.zeros(t.second_start_s.size, dtype=bool)
    for s in t.start_s[scored]:
        lo, hi = np.searchsorted(t.second_start_s, [s - 1e-6, s + t.epoch_s - 1 + 1e-6])
        in_window[lo:hi] = True
    in_window &= clean_sec
    w_sel = in_window[sec_idx] if ev_t.size else np.zeros(0, dtype=bool)
    w_minutes = max(in_window.sum() / 60.0, 1e-9)
    regions, counts = np.unique(ev_r[w_sel], return_counts=True)
    foci = [r for r, c in zip(regions, counts, strict=True) if c / w_minutes >= FOCUS_MIN_RATE_PER_MIN]
    m["n_foci"] = len(foci)
    m["foci"] = sorted(foci)
    # the most active region off the midline, where normal sleep's vertex waves are not
    lateral = [(int(c), str(r)) for r, c in zip(regions, counts, strict=True) if r != MIDLINE_REGION]
    n_lat, m["lateral_focus_region"] = max(lateral) if lateral else (0, None)
    m["lateral_focus_events"], m["lateral_focus_per_min"] = n_lat, float(n_lat / w_minutes)
    bins: dict[int, set] = {}
    for s, r in zip(sec_idx[w_sel], ev_r[w_sel], strict=True):
        if r in foci:
            bins.setdefault(int(s), set()).add(r)
    n_bins = int(in_window.sum())
    m["foci_bin_share"] = float(sum(len(v) >= BASED_FOCI for v in bins.values()) / max(n_bins, 1))
    m["scored_window_s"] = float(n_bins)

    ptp = t.bip["ptp_uv"]
    per_deriv = np.median(ptp[scored], axis=0)
    m["n_high_amplitude"] = int(np.sum(per_deriv >= HIGH_AMPLITUDE_UV))
    m["high_amplitude_derivations"] = [t.bip_names[i] for i in np.flatnonzero(
        per_deriv >= HIGH_AMPLITUDE_UV)]  # fmt: skip
    m["median_ptp_uv"] = float(np.median(np.median(ptp[clean_ep], axis=0)))
    m["max_derivation_ptp_uv"] = float(np.max(np.median(ptp[clean_ep], axis=0)))
    m["high_voltage_share"] = float(np.median(t.bip["high_voltage_share"][clean_ep]))
    all_counts = dict(zip(*np.unique(ev_r, return_counts=True), strict=True))
    if all_counts:
        top = max(all_counts, key=all_counts.get)
        m["focus_region"], m["focus_share"] = top, float(all_counts[top] / ev_r.size)
    else:
        m["focus_region"], m["focus_share"] = None, 0.0
    for key, src in (("rel_delta", "rel_delta"), ("rel_theta", "rel_theta"),
                     ("rel_alpha", "rel_alpha"), ("rel_beta", "rel_beta"),
                     ("spectral_entropy", "spectral_entropy"),
                     ("permutation_entropy", "permutation_entropy"),
                     ("aperiodic_exponent", "aperiodic_exponent"),
                     ("spectral_edge_hz", "spectral_edge_hz")):  # fmt: skip
        m[key] = float(np.median(np.median(t.chan[src][clean_ep], axis=1)))
    corr = t.pairs["delta_correlation"][clean_ep]
    ratio = t.pairs["log_amplitude_ratio"][clean_ep]
    m["interhemispheric_correlation"] = float(np.median(corr.mean(axis=1))) if corr.size else 0.0
    m["asymmetry"] = float(np.median(ratio.mean(axis=1))) if ratio.size else 0.0
    m["global_correlation"] = float(np.median(t.glob["global_correlation"][clean_ep]))
    rate, share, episodes = _attenuation(t, clean_sec)
    m["attenuation_per_min"], m["attenuation_share"] = float(rate), share
    m["attenuation_episodes"] = [{"onset_s": o, "duration_s": d} for o, d in episodes[:50]]
    # most abnormal pages: spike events first, then background amplitude
    score = ep_events + np.median(ptp, axis=1) / 100.0
    score[~clean_ep] = -np.inf
    top = np.argsort(-score, kind="stable")[:5]
    m["most_abnormal_epochs"] = [
        {"start_s": float(t.start_s[i]), "end_s": float(t.start_s[i] + t.epoch_s),
         "spike_events": int(ep_events[i]), "median_ptp_uv": round(float(np.median(ptp[i])), 1)}
        for i in top if np.isfinite(score[i])
    ]  # fmt: skip
    m["sleep_like_share"] = float(np.mean(np.median(t.chan["rel_delta"][clean_ep], axis=1) >= 0.6))
    return m
