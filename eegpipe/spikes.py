"""Spike and sharp-wave detection on bipolar EEG, by the morphology clinicians use.

Input: longitudinal bipolar ("double banana") derivations of EEG band-passed to 0.5-45
Hz, in µV, at the 128-Hz working rate (128-512 Hz work). As in Gotman & Gloor (1976),
every peak of either polarity is measured by its two flanks (half-waves), and kept when
the IFCN description of an epileptiform transient holds (Kane et al. 2017): pointed,
20-200 ms (domain.md), distinguished from the background by steep flanks, not one wave
of a rhythm, with a field. Sharp-looking artifacts are rejected by their physics:
muscle by broadband power above 30 Hz, electrode pops by an abrupt step, clipping by a
flat top.

References
----------
Gotman J, Gloor P. Automatic recognition of inter-ictal epileptic activity in prolonged
EEG recordings. Electroencephalogr Clin Neurophysiol 1976;41:513-529.
Kane N et al. A revised glossary of terms most commonly used by clinical
electroencephalographers. Clin Neurophysiol Pract 2017;2:170-185.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy import ndimage, signal

from eegpipe.montage import DOUBLE_BANANA, NEW_TO_OLD, REGIONS

#: Base width of a spike and of a sharp wave, ms (domain.md; IFCN glossary, Kane 2017).
SPIKE_DURATION_MS = (20.0, 70.0)
SHARP_WAVE_DURATION_MS = (70.0, 200.0)
#: Background: robust SDs in 1-s blocks, median over the 5 s around an event (Gotman &
#: Gloor 1976 compared each wave with the 5 s before it). Its amplitude is taken above
#: 1 / (2 x 200 ms) = 2.5 Hz, slower than any half-wave of a sharp wave, as 2*sqrt(2)
#: SDs (a sinusoid's peak-to-peak).
BACKGROUND_WINDOW_S, BACKGROUND_HIGHPASS_HZ = 5.0, 2.5
_PTP_PER_SD = 2.0 * np.sqrt(2.0)
#: Least amplitude over background peak-to-peak. Loose: in hypsarrhythmia spikes are about
#: as large as the 200-500 µV background and stand out by steepness. *unverified*:
#: chosen on simulated data.
MIN_RATIO = 1.0
#: A transient is distinguished from the background by steep flanks: either SHARPNESS,
#: the steeper flank's mean slope over the background's typical slope (sqrt(2) robust SDs
#: of the change over _SPANS_MS[0], a sinusoid's steepest slope; a background wave
#: scores about 1), or CONTRAST, a flank's rise over the background's sqrt(2)-SD change
#: in the same time (interpolated between _SPANS_MS). Sharpness suits smooth (1/f^2)
#: infant backgrounds, contrast backgrounds rich in fast activity (1/f), where the
#: background's slope is large. *unverified*: chosen on simulated data (sharpness 2-3
#: trades sensitivity for false detections smoothly) and pink noise.
MIN_SHARPNESS, MIN_CONTRAST = 2.5, 4.0
_SPANS_MS = (8.0, 24.0, 72.0, 216.0)
#: Least peak-to-trough amplitude, µV: the awake infant background alone is 50-100 µV
#: (domain.md); keeps the detector off ripples in low-voltage stretches. *unverified*.
MIN_AMPLITUDE_UV = 30.0
#: A flank ends where the signal turns back or its slope falls below this share of its
#: steepest slope, so a spike riding on a slow wave is measured apart from it.
#: *unverified*.
FLANK_END_FRACTION = 0.25
#: The smaller flank is at least MIN_FLANK_BALANCE of the larger (a peak, not a step or a
#: notch on a slope); the steeper mean slope at most MAX_SLOPE_ASYMMETRY times the other
#: (spikes are asymmetric, IFCN criterion 3, but not like a jump and a slow decay).
#: *unverified*.
MIN_FLANK_BALANCE, MAX_SLOPE_ASYMMETRY = 0.3, 6.0
#: Electrode pop (an abrupt step, then a slow decay): a peak within 1.5 base widths of a
#: change over _SPANS_MS[0] above POP_JUMP times its amplitude is the band-pass ringing
#: at a step. *unverified*.
POP_JUMP = 1.5
#: Pointed, not flat-topped (clipping): within TOP_MS of the peak the signal falls by
#: MIN_TOP_DROP of the flank on at least one side. *unverified*.
TOP_MS, MIN_TOP_DROP = 12.0, 0.05
#: Rhythm (IFCN criterion 2, a duration unlike the ongoing activity): the 1.5 periods
#: around a peak (period = base width), detrended, correlate above RHYTHM_CORR with the
#: signal a period (x0.8-1.25) before and after: spindle, tremor, alpha/theta.
#: *unverified*: chosen on simulated spindles and tremor.
RHYTHM_CORR = 0.5
#: Muscle is broadband, cerebral activity falls with frequency: a peak is in muscle when
#: the robust SD above 30 Hz exceeds EMG_MIN_UV and EMG_FLATNESS times that in 15-25 Hz,
#: over the EMG_AROUND_MS centred on it (median) or the EMG_BESIDE_MS on either side,
#: EMG_GAP_MS clear of its bases (upper quartile). 30-40 Hz carries much muscle power
#: (Goncharova et al., Clin Neurophysiol 2003); white noise gives 1.2 after the 45-Hz
#: low-pass. *unverified*: chosen on simulated EMG, tremor and myoclonic jerks.
EMG_BAND_HZ, EMG_REF_BAND_HZ = (30.0, 45.0), (15.0, 25.0)
EMG_MIN_UV, EMG_FLATNESS = 1.5, 0.4
EMG_AROUND_MS, EMG_BESIDE_MS, EMG_GAP_MS = 200.0, 150.0, 25.0
#: Background SD (µV) below which a block is flat: electrocerebral inactivity is no
#: activity over 2 µV (ACNS 2006).
FLAT_UV = 0.5
#: Field (IFCN criterion 6): within EVENT_WINDOW_MS, peaks reaching FIELD_FRACTION of the
#: amplitude and sharpness thresholds show on MIN_DERIVATIONS derivations (a focus shows
#: on both derivations sharing its electrode, in phase reversal). *unverified*.
MIN_DERIVATIONS, FIELD_FRACTION = 2, 0.5
#: Detections within this many ms of an event's first detection belong to that event.
EVENT_WINDOW_MS = 50.0
#: BASED grade 5: >= 3 spike foci in >= 50% of 1-s bins (Mytinger 2015, domain.md).
BASED_MIN_FOCI = 3

DETECTION_DTYPE = np.dtype([
    ("time_s", "f8"), ("channel", "i4"), ("amplitude_uv", "f4"), ("duration_ms", "f4"),
    ("rise_slope", "f4"), ("fall_slope", "f4"), ("background_uv", "f4"), ("ratio", "f4"),
    ("kind", "U10"), ("event", "i4"), ("polarity", "i1"),
])  # fmt: skip


def detect_spikes(
    data_uv: np.ndarray,
    sfreq: float,
    *,
    min_ratio: float = MIN_RATIO,
    min_sharpness: float = MIN_SHARPNESS,
    min_contrast: float = MIN_CONTRAST,
    min_amplitude_uv: float = MIN_AMPLITUDE_UV,
    duration_ms: tuple[float, float] = (SPIKE_DURATION_MS[0], SHARP_WAVE_DURATION_MS[1]),
    min_derivations: int = MIN_DERIVATIONS,
    reject_emg: bool = True,
    reject_rhythmic: bool = True,
) -> np.ndarray:
    """Detect spikes and sharp waves of either polarity on every derivation.

    Parameters
    ----------
    data_uv : ndarray, shape (n_derivations, n_times)
        Bipolar EEG in µV, band-passed to 0.5-45 Hz (e.g. the double banana).
    sfreq : float
        Sampling rate in Hz (128 Hz working rate; 128-512 Hz tested).
    min_ratio : float
        Least amplitude over the local background peak-to-peak (:data:`MIN_RATIO`).
    min_sharpness : float
        Least steeper-flank slope over the background's slope (:data:`MIN_SHARPNESS`).
    min_contrast : float
        Or: least flank rise over the background's change in the same time
        (:data:`MIN_CONTRAST`).
    min_amplitude_uv : float
        Least peak-to-trough amplitude in µV, whatever the background.
    duration_ms : tuple of float
        Shortest and longest base width in ms (spikes 20-70, sharp waves 70-200).
    min_derivations : int
        Least number of derivations showing the event (:data:`MIN_DERIVATIONS`).
    reject_emg : bool
        Drop peaks in muscle activity (:data:`EMG_MIN_UV`).
    reject_rhythmic : bool
        Drop peaks that are one wave of a rhythm (:data:`RHYTHM_CORR`).

    Returns
    -------
    detections : structured ndarray, dtype :data:`DETECTION_DTYPE`
        One row per transient and derivation, by time: ``time_s`` (peak, s),
        ``channel`` (row of ``data_uv``), ``amplitude_uv`` (peak to its deeper trough,
        µV), ``duration_ms`` (base width, ms), ``rise_slope`` and ``fall_slope`` (mean
        slope of the leading and trailing flank, µV/ms), ``background_uv`` (local
        background peak-to-peak above 2.5 Hz, µV), ``ratio`` (amplitude over it),
        ``kind`` (``'spike'`` under 70 ms, else ``'sharp_wave'``), ``event`` (id shared
        by detections within 50 ms of the event's first one, from 0) and ``polarity``
        (+1 for an upward peak of the derivation's values, -1 for a downward one).

    Notes
    -----
    Both polarities count, as a bipolar chain shows a focus by phase reversal. A flank
    runs from the peak until the signal turns back or its slope drops below a quarter
    of its steepest, so a spike on a delta wave is measured apart from the wave. Of
    detections on one derivation whose bases overlap, the one of largest ratio is kept.
    """
    x = np.asarray(data_uv, dtype=np.float32)  # half the memory traffic of float64
    if x.ndim != 2:
        raise ValueError(f"data_uv must be 2-D (n_derivations, n_times), got shape {x.shape}")
    if not (np.isfinite(sfreq) and sfreq > 0):
        raise ValueError(f"sfreq must be a positive number of Hz, got {sfreq!r}")
    if not np.all(np.isfinite(x)):
        raise ValueError("data_uv contains NaN or infinite values; interpolate or drop them")
    if x.shape[1] < 2 * int(np.ceil(duration_ms[1] * sfreq / 1e3)) + 3:
        return np.zeros(0, dtype=DETECTION_DTYPE)
    opts = {"min_ratio": min_ratio, "min_sharpness": min_sharpness, "min_contrast": min_contrast,
            "duration_ms": duration_ms, "min_amplitude_uv": min_amplitude_uv,
            "min_derivations": min_derivations}
    skip = {name for name, on in (("emg", reject_emg), ("rhythm", reject_rhythmic)) if not on}
    c, tests = _candidates(x, sfreq, opts, skip)
    idx = _strongest_per_span(np.flatnonzero(np.logical_and.reduce(list(tests.values()))), c)
    out = np.zeros(len(idx), dtype=DETECTION_DTYPE)
    out["time_s"], out["channel"] = c["p"][idx] / sfreq, c["ch"][idx]
    for field, key in (("amplitude_uv", "amp"), ("duration_ms", "dur_ms"), ("rise_slope", "rise"),
                       ("fall_slope", "fall"), ("background_uv", "bg"), ("ratio", "ratio"),
                       ("polarity", "pol")):  # fmt: skip
        out[field] = c[key][idx]
    out["kind"] = np.where(out["duration_ms"] < SPIKE_DURATION_MS[1], "spike", "sharp_wave")
    out = out[np.argsort(out["time_s"], kind="stable")]
    out["event"] = _group_events(out["time_s"], EVENT_WINDOW_MS / 1e3)
    return out


def spike_summary(
    detections: np.ndarray,
    n_channels: int,
    duration_s: float,
    derivation_names: Sequence[str] | None = None,
    *,
    bin_s: float = 1.0,
) -> dict:
    """Rates, foci and multifocality of detections, for scoring (BASED-like).

    Each event gets one focus electrode: a detection on derivation ``A-B`` points at A
    when downward and at B when upward (a surface-negative focus under A pulls A-B
    down; a phase reversal points both derivations at the shared electrode); the
    electrode with the largest summed amplitude wins. Its region is the one of
    :data:`eegpipe.montage.REGIONS` that holds it.

    Parameters
    ----------
    detections : structured ndarray
        Output of :func:`detect_spikes`.
    n_channels : int
        Number of derivations the detector was given.
    duration_s : float
        Length of the analysed recording, s.
    derivation_names : sequence of str or None
        ``"Fp1-F7"``-style names of the rows (T7/T8/P7/P8 accepted); None: the rows
        are :data:`eegpipe.montage.DOUBLE_BANANA`.
    bin_s : float
        Bin length in s for counting foci (BASED uses 1 s).

    Returns
    -------
    summary : dict
        ``events_per_min``; ``rate_per_channel_per_min`` (ndarray, detections per
        derivation per minute); ``region_events_per_min`` (dict region -> events per
        minute); ``n_regions`` (regions with an event: multifocality); ``foci_per_bin``
        (ndarray, regions with an event in each bin); ``share_bins_3_foci`` (share of
        bins with >= 3 foci; BASED grade 5 needs >= 0.5).
    """
    names = derivation_names or [f"{a}-{b}" for a, b in DOUBLE_BANANA]
    if len(names) != n_channels:
        raise ValueError(f"derivation_names has {len(names)} names for {n_channels} channels")
    ends = [[NEW_TO_OLD.get(e.strip(), e.strip()) for e in name.split("-")] for name in names]
    region_of = {e: i for i, members in enumerate(REGIONS.values()) for e in members}
    minutes, n_bins = max(duration_s, 1e-9) / 60.0, max(int(np.ceil(duration_s / bin_s)), 1)
    d = np.asarray(detections)
    foci, per_region, n_events = np.zeros(n_bins, dtype=int), np.zeros(len(REGIONS)), 0
    if len(d):
        event = np.unique(d["event"], return_inverse=True)[1]
        n_events = int(event.max()) + 1
        toward = [ends[ch][0 if pol < 0 else -1] for ch, pol in zip(d["channel"], d["polarity"],
                                                                    strict=True)]
        electrodes = sorted(set(toward))
        votes = np.zeros((n_events, len(electrodes)))
        np.add.at(votes, (event, [electrodes.index(e) for e in toward]), d["amplitude_uv"])
        focus = np.array([region_of.get(electrodes[i], -1) for i in votes.argmax(axis=1)])
        start = d["time_s"][np.unique(event, return_index=True)[1]]
        bins = np.minimum((start // bin_s).astype(int), n_bins - 1)[focus >= 0]
        per_region = np.bincount(focus[focus >= 0], minlength=len(REGIONS)).astype(float)
        foci = np.bincount(np.unique(np.stack([bins, focus[focus >= 0]]), axis=1)[0],
                           minlength=n_bins)  # fmt: skip
    return {
        "events_per_min": n_events / minutes,
        "rate_per_channel_per_min": np.bincount(d["channel"] if len(d) else np.zeros(0, int),
                                                minlength=n_channels) / minutes,
        "region_events_per_min": dict(zip(REGIONS, (per_region / minutes).tolist(), strict=True)),
        "n_regions": int(np.count_nonzero(per_region)),
        "foci_per_bin": foci,
        "share_bins_3_foci": float(np.mean(foci >= BASED_MIN_FOCI)),
    }


def _candidates(x, sfreq, opts: dict, skip=()) -> tuple[dict, dict]:
    """Measure every peak that could pass; return its features and each test's verdict.

    ``opts`` holds the thresholds of :func:`detect_spikes`. Peaks are first screened on
    their half-waves to the neighbouring extrema, which bound a flank's amplitude and
    mean slope from above (a flank ends where the signal turns back); the costly tests
    run only on peaks that pass the cheap ones.
    """
    ms = 1e3 / sfreq
    n_lag = int(np.ceil(opts["duration_ms"][1] / ms))
    bg_amp, change, spans, n_block = _background(x, sfreq)
    ch_e, i_e = np.nonzero(np.diff(np.diff(x, axis=1) > 0, axis=1))
    i_e += 1  # extrema (maxima and minima alternate), channel by channel
    inner = np.zeros(len(i_e), dtype=bool)  # both neighbouring extrema on the same channel
    inner[1:-1] = (ch_e[1:-1] == ch_e[:-2]) & (ch_e[1:-1] == ch_e[2:])
    inner &= (i_e > n_lag) & (i_e < x.shape[1] - n_lag - 1)  # room to measure
    blk = np.minimum(i_e // n_block, bg_amp.shape[1] - 1)
    v = x[ch_e, i_e]
    half = np.zeros(len(v))
    half[1:-1] = np.maximum(np.abs(v[1:-1] - v[:-2]), np.abs(v[1:-1] - v[2:]))
    step = np.abs(np.diff(x, axis=1)).ravel()
    run = np.maximum.reduceat(step, ch_e * (x.shape[1] - 1) + i_e) if len(i_e) else step
    steepest = np.zeros(len(v))
    steepest[1:] = np.maximum(run[:-1], run[1:])
    # A flank's mean slope is at most the steepest step of its run; over d samples it
    # rises at most min(half, d x that step), and the background's change grows with d
    # more slowly than d, so its contrast is at most half / change(half / step).
    slope_bg = change[ch_e, blk, 0] / spans[0]
    reach = np.clip(half / np.maximum(steepest, 1e-9), 1, n_lag)
    steep = np.maximum(steepest / (opts["min_sharpness"] * slope_bg),
                       half / (opts["min_contrast"] * _change_at(change, spans, ch_e, blk, reach)))
    bound = np.minimum(half / np.maximum(opts["min_ratio"] * bg_amp[ch_e, blk],
                                         opts["min_amplitude_uv"]), steep)
    is_max = np.zeros(len(v), dtype=bool)
    is_max[1:] = v[1:] > v[:-1]
    parts = []
    for polarity, top in ((1, is_max), (-1, ~is_max)):
        ch, p = ch_e[inner & top & (bound >= 1)], i_e[inner & top & (bound >= 1)]
        parts.append(dict(_measure(polarity * x, ch, p, n_lag, sfreq), ch=ch, p=p,
                          pol=np.full(len(p), polarity)))
    order = np.lexsort((np.concatenate([q["p"] for q in parts]),
                        np.concatenate([q["ch"] for q in parts])))
    c = {k: np.concatenate([q[k] for q in parts])[order] for k in parts[0]}
    ch, p, blk = c["ch"], c["p"], np.minimum(c["p"] // n_block, bg_amp.shape[1] - 1)
    amp, dur = np.maximum(c["al"], c["ar"]), c["dl"] + c["dr"]
    rise, fall = c["al"] / np.maximum(c["dl"], 1) / ms, c["ar"] / np.maximum(c["dr"], 1) / ms
    contrast = [c["a" + k] / _change_at(change, spans, ch, blk, c["d" + k]) for k in "lr"]
    c.update(amp=amp, dur_ms=dur * ms, bg=bg_amp[ch, blk], rise=rise, fall=fall,
             ratio=amp / np.maximum(bg_amp[ch, blk], 1e-9), contrast=np.maximum(*contrast),
             sharpness=np.maximum(rise, fall) * spans[0] * ms / change[ch, blk, 0])
    tests = {
        "shape": c["el"] & c["er"] & (c["dur_ms"] >= opts["duration_ms"][0])
        & (c["dur_ms"] <= opts["duration_ms"][1])
        & (np.minimum(c["al"], c["ar"]) >= MIN_FLANK_BALANCE * amp),
        "amplitude": (c["ratio"] >= opts["min_ratio"]) & (amp >= opts["min_amplitude_uv"]),
        "steep": (c["sharpness"] >= opts["min_sharpness"])
        | (c["contrast"] >= opts["min_contrast"]),
        "asymmetry": np.maximum(rise, fall) <= MAX_SLOPE_ASYMMETRY * np.minimum(rise, fall),
        "pointed": np.maximum(c["tl"], c["tr"]) >= MIN_TOP_DROP,
        "not_flat": c["bg"] > _PTP_PER_SD * FLAT_UV,
    }
    todo = np.flatnonzero(np.logical_and.reduce(list(tests.values())))
    support = inner & (bound >= FIELD_FRACTION)
    costly = {
        "field": lambda i: _seen_on(ch_e[support], i_e[support], ch[i], p[i],
                                    int(round(EVENT_WINDOW_MS / ms))) >= opts["min_derivations"],
        "no_step": lambda i: _largest_jump(x, sfreq, ch[i], p[i], dur[i]) <= POP_JUMP * amp[i],
        "emg": lambda i: ~_muscle(x, sfreq, ch[i], p[i], p[i] - c["dl"][i], p[i] + c["dr"][i]),
        "rhythm": lambda i: ~(_rhythmic(x, ch[i], p[i], np.maximum(dur[i], 2)) >= RHYTHM_CORR),
    }
    for name, test in costly.items():
        if name not in skip:
            tests[name] = np.zeros(len(p), dtype=bool)
            tests[name][todo] = test(todo)
            todo = todo[tests[name][todo]]
    return c, tests


def _background(x: np.ndarray, sfreq: float):
    """Background per channel and 1-s block: peak-to-peak (µV), and the sqrt(2)-SD change
    (µV) over each span of _SPANS_MS (samples ``spans``).

    Robust SDs (1.4826 x median |.|, on every ``stride``-th sample) per block, then the
    median over BACKGROUND_WINDOW_S blocks.
    """
    n, stride = max(int(round(sfreq)), 1), max(int(sfreq // 32), 1)
    n_blocks = max(x.shape[1] // n, 1)
    spans = np.unique(np.maximum(np.round(np.array(_SPANS_MS) * sfreq / 1e3), 1).astype(int))
    sos = signal.butter(2, BACKGROUND_HIGHPASS_HZ, "highpass", fs=sfreq, output="sos")
    out = []
    for y in (signal.sosfilt(sos.astype(x.dtype), x, axis=1),
              *(x[:, s:] - x[:, :-s] for s in spans)):  # fmt: skip
        full = min(y.shape[1] // n, n_blocks)
        blocks = y[:, : full * n].reshape(len(y), full, n) if full else y[:, None, :]
        sd = 1.4826 * np.median(np.abs(blocks[:, :, ::stride]), axis=-1)
        sd = np.concatenate([sd, np.repeat(sd[:, -1:], n_blocks - sd.shape[1], axis=1)], axis=1)
        out.append(ndimage.median_filter(sd, size=(1, int(BACKGROUND_WINDOW_S)), mode="nearest"))
    return _PTP_PER_SD * out[0], np.sqrt(2.0) * np.stack(out[1:], axis=-1), spans, n


def _change_at(change, spans, ch, blk, dur) -> np.ndarray:
    """Background change (µV) over ``dur`` samples, log-log interpolated between spans."""
    pos = np.interp(np.log(np.maximum(dur, 1)), np.log(spans), np.arange(len(spans)))
    lo = np.minimum(pos.astype(int), max(len(spans) - 2, 0))
    hi = np.minimum(lo + 1, len(spans) - 1)
    log_c = np.log(np.maximum(change[ch, blk], 1e-6))
    rows = np.arange(len(ch))
    return np.exp(log_c[rows, lo] + (pos - lo) * (log_c[rows, hi] - log_c[rows, lo]))


def _measure(y: np.ndarray, ch: np.ndarray, p: np.ndarray, n_lag: int, sfreq: float) -> dict:
    """Flank amplitudes ``al``/``ar`` (µV), durations ``dl``/``dr`` (samples), ended flags
    ``el``/``er`` and share ``tl``/``tr`` of each flank fallen within TOP_MS of the peak.

    Peaks lie at least ``n_lag`` samples from either end. Most are ripples whose flanks
    end within a few samples, so flanks are first followed over a quarter of ``n_lag``.
    """
    span = max(int(round(_SPANS_MS[0] * sfreq / 1e3)), 1)
    top = max(int(round(TOP_MS * sfreq / 1e3)), 1)
    flat, at = y.ravel(), ch * y.shape[1] + p
    peak, out = flat[at], {}
    for side, sign in (("l", -1), ("r", 1)):
        base, ended = np.zeros(len(p), dtype=np.intp), np.zeros(len(p), dtype=bool)
        todo = np.arange(len(p))
        for n in (min(max(n_lag // 4, 2 * span + top), n_lag), n_lag):
            drop = peak[todo, None] - flat[at[todo, None] + sign * np.arange(n + 1)]
            slope = drop[:, span:] - drop[:, :-span]
            steepest = np.maximum.accumulate(slope, axis=1)
            stop = (slope < FLANK_END_FRACTION * steepest) & (steepest > 0)
            stop |= drop[:, span:] < drop[:, span - 1 : -1]  # turning back ends it too
            ended[todo] = stop.any(axis=1)
            last = np.where(ended[todo], stop.argmax(axis=1) + span, n)
            base[todo] = np.where(np.arange(n + 1) <= last[:, None], drop, -np.inf).argmax(1)
            todo = todo[~ended[todo]]
        out["a" + side], out["d" + side] = peak - flat[at + sign * base], base
        out["e" + side] = ended & (base > 0)
        near = peak - flat[at + sign * np.minimum(top, base)]
        out["t" + side] = near / np.maximum(out["a" + side], 1e-9)
    return out


def _seen_on(ch_s, p_s, ch, p, reach) -> np.ndarray:
    """Derivations with a supporting peak (``ch_s``, ``p_s``) within ``reach`` samples of
    each peak (``ch``, ``p``); the peak's own derivation counts once."""
    seen = np.ones(len(p), dtype=int)
    for other in np.unique(ch_s):
        times = np.sort(p_s[ch_s == other])
        near = np.searchsorted(times, p + reach, "right") > np.searchsorted(times, p - reach)
        seen += near & (ch != other)
    return seen


def _largest_jump(x, sfreq, ch, p, dur) -> np.ndarray:
    """Largest change over _SPANS_MS[0] (µV) within 1.5 base widths of each peak."""
    span = max(int(round(_SPANS_MS[0] * sfreq / 1e3)), 1)
    reach = int(np.max(1.5 * dur, initial=0))
    lags = np.arange(-reach - span, reach + 1)
    seg = x[ch[:, None], np.clip(p[:, None] + lags[None, :], 0, x.shape[1] - 1)]
    jump = np.abs(seg[:, span:] - seg[:, :-span])
    return np.where(np.abs(lags[:-span])[None, :] <= 1.5 * dur[:, None] + span, jump, 0).max(1)


def _rhythmic(x: np.ndarray, ch: np.ndarray, p: np.ndarray, period: np.ndarray) -> np.ndarray:
    """Smaller of the best correlations of the 1.5 periods around each peak with the
    signal 0.8-1.25 periods before and after, each stretch linearly detrended."""
    u = np.linspace(-0.75, 0.75, 13)

    def stretch(lag: float) -> np.ndarray:
        pos = np.clip(p[:, None] + period[:, None] * (u[None, :] + lag), 0, x.shape[1] - 1)
        i0 = np.minimum(pos.astype(int), x.shape[1] - 2)
        seg = x[ch[:, None], i0] + (pos - i0) * (x[ch[:, None], i0 + 1] - x[ch[:, None], i0])
        seg = seg - seg.mean(axis=1, keepdims=True)
        seg = seg - (seg @ u)[:, None] * u[None, :] / (u @ u)  # slower waves out
        return seg / np.maximum(np.linalg.norm(seg, axis=1, keepdims=True), 1e-12)

    own, lags = stretch(0.0), (0.8, 0.9, 1.0, 1.1, 1.25)
    before = np.max([(own * stretch(-lag)).sum(1) for lag in lags], axis=0)
    return np.minimum(before, np.max([(own * stretch(lag)).sum(1) for lag in lags], axis=0))


def _muscle(x, sfreq, ch, p, start, stop) -> np.ndarray:
    """True where a peak lies in muscle activity (see :data:`EMG_MIN_UV`); ``start`` and
    ``stop`` are the samples of the transient's bases."""
    if sfreq / 2 <= 1.1 * EMG_BAND_HZ[0] or not len(p):
        return np.zeros(len(p), dtype=bool)
    # room for the widest transient, the gap and window beside it, and filter edges
    half = int((SHARP_WAVE_DURATION_MS[1] + EMG_GAP_MS + EMG_BESIDE_MS + 200) * sfreq / 1e3)
    seg = x[ch[:, None], np.clip(p[:, None] + np.arange(-half, half + 1), 0, x.shape[1] - 1)]
    bands = [np.abs(signal.sosfiltfilt(signal.butter(4, band, kind, fs=sfreq, output="sos"),
                                       seg, axis=1))
             for kind, band in (("highpass", EMG_BAND_HZ[0]), ("bandpass", EMG_REF_BAND_HZ))]
    reach = max(int(round(EMG_AROUND_MS * sfreq / 2e3)), 1)
    fast, ref = (np.median(b[:, half - reach : half + reach + 1], axis=1) for b in bands)
    muscle = (fast / 0.6745 > EMG_MIN_UV) & (fast > EMG_FLATNESS * ref)  # median |z| 0.6745
    gap, width = int(EMG_GAP_MS * sfreq / 1e3), max(int(EMG_BESIDE_MS * sfreq / 1e3), 1)
    rows = np.arange(len(p))[:, None]
    for edge in (start - p + half - gap - width, stop - p + half + gap):
        idx = np.clip(edge[:, None] + np.arange(width), 0, 2 * half)
        fast, ref = (np.percentile(b[rows, idx], 75, axis=1) for b in bands)
        muscle |= (fast / 1.1503 > EMG_MIN_UV) & (fast > EMG_FLATNESS * ref)  # q75 |z| 1.15
    return muscle


def _strongest_per_span(idx: np.ndarray, c: dict) -> np.ndarray:
    """Of kept peaks on one channel whose bases overlap, keep the one of largest ratio."""
    ch, p, dl, dr, score = c["ch"], c["p"], c["dl"], c["dr"], c["ratio"]
    while len(idx) > 1:
        a, b = idx[:-1], idx[1:]
        clash = (ch[a] == ch[b]) & (p[b] - dl[b] <= p[a] + dr[a])
        if not clash.any():
            break
        idx = np.setdiff1d(idx, np.where(score[a] >= score[b], b, a)[clash])
    return idx


def _group_events(times: np.ndarray, window_s: float) -> np.ndarray:
    """Event ids: an event holds the detections within ``window_s`` of its first one."""
    event = np.zeros(len(times), dtype=np.int32)
    current, anchor = -1, -np.inf
    for i, t in enumerate(times):  # one pass over detections, not samples
        if t - anchor > window_s:
            current, anchor = current + 1, t
        event[i] = current
    return event
