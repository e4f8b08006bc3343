"""Spike and sharp-wave detection on bipolar EEG, by the morphology clinicians use.

Input: longitudinal bipolar ("double banana") derivations band-passed to 0.5-45 Hz, in
µV, at the 128-Hz working rate (128-512 Hz work). As in Gotman & Gloor (1976), each peak
of either polarity is measured by its two flanks (half-waves) and kept when the IFCN
description of an epileptiform transient holds (Kane et al. 2017): pointed, 20-200 ms
(domain.md), set apart from the background by steep flanks, not one wave of a rhythm.
Sharp-looking artifacts are rejected by their physics: muscle by bursts of broadband
power above 30 Hz, electrode pops by an abrupt step, clipping by flat tops. Detections
within 50 ms on several derivations form one event (a field, IFCN criterion 6).

References
----------
Gotman J, Gloor P. Automatic recognition of inter-ictal epileptic activity in prolonged
EEG recordings. Electroencephalogr Clin Neurophysiol 1976;41:513-529.
Kane N et al. A revised glossary of terms most commonly used by clinical
electroencephalographers. Clin Neurophysiol Pract 2017;2:170-185.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

import numpy as np
from scipy import ndimage

from eegpipe._numeric import butter_sos, median_last, percentile_last, sosfilt, sosfiltfilt, turning_points
from eegpipe.montage import DOUBLE_BANANA, NEW_TO_OLD, REGIONS

#: Base width of a spike and of a sharp wave, ms (domain.md; IFCN glossary, Kane 2017).
SPIKE_DURATION_MS = (20.0, 70.0)
SHARP_WAVE_DURATION_MS = (70.0, 200.0)
#: Background: robust SDs in 1-s blocks, median over the 5 s around an event (Gotman &
#: Gloor 1976 used the 5 s before it); amplitude above 1 / (2 x 200 ms) = 2.5 Hz, slower
#: than any sharp wave's half-wave, as 2*sqrt(2) SDs (a sinusoid's peak-to-peak).
BACKGROUND_WINDOW_S, BACKGROUND_HIGHPASS_HZ = 5.0, 2.5
_PTP_PER_SD = 2.0 * np.sqrt(2.0)
#: Least amplitude over background peak-to-peak; loose, as hypsarrhythmia's spikes are
#: about as large as its 200-500 µV delta and stand out by steepness. *unverified*.
MIN_RATIO = 1.0
#: Steep flanks set a transient apart: SHARPNESS, the steeper flank's mean slope over
#: the background's (sqrt(2) robust SDs of its change over _SPANS_MS[0]: background
#: waves score about 1), or else CONTRAST, a flank's rise over the background's
#: sqrt(2)-SD change in the same time. Sharpness suits smooth (1/f^2) infant backgrounds,
#: contrast ones rich in fast activity. *unverified*: chosen on simulated data and noise.
MIN_SHARPNESS, MIN_CONTRAST = 2.5, 4.0
_SPANS_MS = (8.0, 24.0, 72.0, 216.0)
#: Least amplitude, µV: the awake infant background alone is 50-100 µV (domain.md); keeps
#: the detector off ripples of low-voltage stretches. *unverified*.
MIN_AMPLITUDE_UV = 30.0
#: A flank ends where the signal turns back or its slope falls below this share of its
#: steepest, so a spike on a slow wave is measured apart from it. *unverified*.
FLANK_END_FRACTION = 0.25
#: The smaller flank is >= MIN_FLANK_BALANCE of the larger (a peak, not a step); the
#: steeper mean slope <= MAX_SLOPE_ASYMMETRY times the other (IFCN criterion 3: spikes
#: are asymmetric, but not like a jump and a slow decay). *unverified*.
MIN_FLANK_BALANCE, MAX_SLOPE_ASYMMETRY = 0.3, 6.0
#: Electrode pop: a change over _SPANS_MS[0] above POP_JUMP times the peak's amplitude
#: within 1.5 base widths is a step, the peak its band-pass ringing. *unverified*.
POP_JUMP = 1.5
#: Pointed, not flat-topped: both flanks fall by MIN_TOP_DROP within TOP_MS of the peak
#: (a raised-cosine flank of 150 ms falls 2.8%). *unverified*.
TOP_MS, MIN_TOP_DROP = 16.0, 0.02
#: Rhythm (IFCN criterion 2): the 1.5 periods around a peak (period = base width) repeat
#: a period (x0.8-1.25) before or after, correlation times size ratio (capped at 1) above
#: RHYTHM_CORR: spindle, tremor, alpha/theta; an after-going slow wave, smaller, does
#: not count. *unverified*: chosen on simulated spindles and tremor.
RHYTHM_CORR = 0.5
#: Muscle burst (broadband; 30-40 Hz carries much muscle power, Goncharova et al., Clin
#: Neurophysiol 2003): robust SD above 30 Hz over EMG_MIN_UV, over EMG_FLATNESS times that
#: in 15-25 Hz (white noise: 1.2, cerebral 1/f^2: far less) and over EMG_RATIO times the
#: channel's usual level, in the EMG_AROUND_MS centred on the peak or the EMG_BESIDE_MS
#: beside it (EMG_GAP_MS clear of its bases). Continuous muscle is left to artifact
#: marking. *unverified*: chosen on simulated EMG, tremor and myoclonic jerks.
EMG_BAND_HZ, EMG_REF_BAND_HZ = (30.0, 45.0), (15.0, 25.0)
EMG_MIN_UV, EMG_FLATNESS, EMG_RATIO = 1.5, 0.4, 2.0
EMG_AROUND_MS, EMG_BESIDE_MS, EMG_GAP_MS = 200.0, 150.0, 25.0
#: The channel's usual level is its quieter 0.25-s blocks (this percentile), so that muscle
#: present much of the time (tremor) does not hide its own bursts. *unverified*.
EMG_QUIET_PERCENTILE = 20.0
#: A block is flat below FLAT_UV background SD (no activity over 2 µV is electrocerebral
#: inactivity, ACNS 2006), clipped when CLIPPED_SHARE of it lies within 0.5% of the
#: channel's range from its extremes. *unverified*.
FLAT_UV, CLIPPED_SHARE = 0.5, 0.05
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
    reject_emg: bool = True,
    reject_rhythmic: bool = True,
    muscle_level_uv: np.ndarray | None = None,
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
    min_sharpness, min_contrast : float
        Least sharpness, or else least contrast, of a flank (:data:`MIN_SHARPNESS`).
    min_amplitude_uv : float
        Least peak-to-trough amplitude in µV, whatever the background.
    duration_ms : tuple of float
        Shortest and longest base width in ms (spikes 20-70, sharp waves 70-200).
    reject_emg : bool
        Drop peaks in bursts of muscle activity (:data:`EMG_MIN_UV`).
    reject_rhythmic : bool
        Drop peaks that are one wave of a rhythm (:data:`RHYTHM_CORR`).
    muscle_level_uv : ndarray, shape (n_derivations,), optional
        Each derivation's usual muscle level (:func:`muscle_level`), when measured
        elsewhere (over the whole recording, so that pieces of it give the same answer);
        by default measured over ``data_uv``.

    Returns
    -------
    detections : structured ndarray, dtype :data:`DETECTION_DTYPE`
        One row per transient and derivation, by time: ``time_s`` (peak, s),
        ``channel`` (row of ``data_uv``), ``amplitude_uv`` (peak to its deeper trough,
        µV), ``duration_ms`` (base width, ms, twice the width at half amplitude: exact for
        triangular and raised-cosine flanks, robust to noise at the bases),
        ``rise_slope`` and ``fall_slope`` (mean slope of the leading and trailing flank,
        µV/ms), ``background_uv`` (background peak-to-peak above 2.5 Hz, µV), ``ratio``
        (amplitude over it), ``kind`` (``'spike'`` under 70 ms, else ``'sharp_wave'``),
        ``event`` (id shared by detections within 50 ms of the event's first one, from 0)
        and ``polarity`` (+1 for an upward peak of the derivation's values, -1 downward).

    Notes
    -----
    Both polarities count, as a bipolar chain shows a focus by phase reversal. A flank
    runs from the peak until the signal turns back or its slope drops below a quarter of
    its steepest, so a spike on a delta wave is measured apart from the wave. Of
    detections on one derivation whose bases overlap, the one with the largest flanks is
    kept (the spike, not the rebound before its slow wave).
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
            "muscle_level": None}
    if muscle_level_uv is not None:
        opts["muscle_level"] = np.asarray(muscle_level_uv, dtype=np.float32).reshape(-1)
        if opts["muscle_level"].shape != (len(x),):
            raise ValueError(f"muscle_level_uv must hold one value per derivation ({len(x)}), "
                             f"got shape {np.shape(muscle_level_uv)}")
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
    """Rates, foci and multifocality of detections, for a BASED-like score.

    Each event gets one focus: a detection on derivation ``A-B`` points at A when
    downward and at B when upward (a surface-negative focus under A pulls A-B down; a
    phase reversal points both derivations at the shared electrode); the electrode with
    the largest summed amplitude wins, and its region is the one of
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
    bg_amp, change, spans, usable, n_block = _background(x, sfreq)
    log_change = np.log(np.maximum(change, 1e-6))  # once per block, not per peak
    # extrema (maxima and minima alternate), channel by channel, and the steepest step
    # of the run that follows each (to the next extremum)
    ch_e, i_e, run = turning_points(x)
    inner = np.zeros(len(i_e), dtype=bool)  # both neighbouring extrema on the same channel
    inner[1:-1] = (ch_e[1:-1] == ch_e[:-2]) & (ch_e[1:-1] == ch_e[2:])
    inner &= (i_e > n_lag) & (i_e < x.shape[1] - n_lag - 1)  # room to measure
    blk = np.minimum(i_e // n_block, bg_amp.shape[1] - 1)
    v = x[ch_e, i_e]
    half = np.zeros(len(v))
    half[1:-1] = np.maximum(np.abs(v[1:-1] - v[:-2]), np.abs(v[1:-1] - v[2:]))
    steepest = np.zeros(len(v))
    steepest[1:] = np.maximum(run[:-1], run[1:])
    # A flank's mean slope is at most the steepest step of its run; over d samples it
    # rises at most min(half, d x that step), and the background's change grows with d
    # more slowly than d, so its contrast is at most half / change(half / step).
    bound = half / np.maximum(opts["min_ratio"] * bg_amp[ch_e, blk], opts["min_amplitude_uv"])
    live = np.flatnonzero(inner & (bound >= 1.0))
    ch_l, blk_l, half_l, step_l = ch_e[live], blk[live], half[live], steepest[live]
    reach = np.clip(half_l / np.maximum(step_l, 1e-9), 1, n_lag)
    steep = np.maximum(step_l * spans[0] / (opts["min_sharpness"] * change[ch_l, blk_l, 0]),
                       half_l / (opts["min_contrast"] * _change_at(log_change, spans, ch_l, blk_l,
                                                                   reach)))  # fmt: skip
    bound[live] = np.minimum(bound[live], steep)
    bound[~inner] = 0.0
    is_max = np.zeros(len(v), dtype=bool)
    is_max[1:] = v[1:] > v[:-1]
    parts = []
    for polarity, top in ((1, is_max), (-1, ~is_max)):
        ch, p = ch_e[top & (bound >= 1)], i_e[top & (bound >= 1)]
        parts.append(dict(_measure_flanks(x, polarity, ch, p, n_lag, sfreq), ch=ch, p=p,
                          pol=np.full(len(p), polarity)))
    order = np.lexsort((np.concatenate([q["p"] for q in parts]),
                        np.concatenate([q["ch"] for q in parts])))
    c = {k: np.concatenate([q[k] for q in parts])[order] for k in parts[0]}
    ch, p, blk = c["ch"], c["p"], np.minimum(c["p"] // n_block, bg_amp.shape[1] - 1)
    # base width from the width at half amplitude (exact for triangular and raised-cosine
    # flanks), which noise where the flanks meet the background hardly moves
    amp, dur = np.maximum(c["al"], c["ar"]), 2.0 * (c["hl"] + c["hr"])
    rise, fall = c["al"] / np.maximum(c["dl"], 1) / ms, c["ar"] / np.maximum(c["dr"], 1) / ms
    contrast = [c["a" + k] / _change_at(log_change, spans, ch, blk, c["d" + k]) for k in "lr"]
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
        "pointed": np.minimum(c["tl"], c["tr"]) >= MIN_TOP_DROP,
        "usable": usable[ch, blk],
    }
    todo = np.flatnonzero(np.logical_and.reduce(list(tests.values())))
    costly = {
        "no_step": lambda i: _largest_jump(x, sfreq, ch[i], p[i], dur[i]) <= POP_JUMP * amp[i],
        "emg": lambda i: ~_muscle(x, sfreq, ch[i], p[i], p[i] - c["dl"][i], p[i] + c["dr"][i],
                                  opts["muscle_level"]),
        "rhythm": lambda i: ~(_rhythmic(x, ch[i], p[i], np.maximum(dur[i], 2)) >= RHYTHM_CORR),
    }
    for name, test in costly.items():
        if name not in skip:
            tests[name] = np.zeros(len(p), dtype=bool)
            tests[name][todo] = test(todo)
            todo = todo[tests[name][todo]]
    return c, tests


def _background(x: np.ndarray, sfreq: float):
    """Per channel and 1-s block: background peak-to-peak (µV), sqrt(2)-SD change (µV)
    over each of _SPANS_MS (``spans`` samples), and neither flat nor clipped; robust SDs
    (1.4826 x median |.|), median over BACKGROUND_WINDOW_S blocks."""
    n, stride = max(int(round(sfreq)), 1), max(int(sfreq // 32), 1)
    n_blocks = max(x.shape[1] // n, 1)
    spans = np.unique(np.maximum(np.round(np.array(_SPANS_MS) * sfreq / 1e3), 1).astype(int))
    sos = butter_sos(2, BACKGROUND_HIGHPASS_HZ, "highpass", float(sfreq))
    top, bottom = x.max(axis=1, keepdims=True), x.min(axis=1, keepdims=True)
    rail = np.abs(x - (top + bottom) / 2) >= 0.495 * (top - bottom)
    out = []
    # sources: the high-passed signal, the rail mask, and the change over each span (None:
    # x[:, s:] - x[:, :-s], formed only at the samples the robust SD reads)
    for y, s in ((sosfilt(sos.astype(x.dtype), x, axis=1), 0), (rail, 0), *((None, s) for s in spans)):
        length = x.shape[1] - s if y is None else y.shape[1]
        full = max(min(length // n, n_blocks), 1)
        if y is rail:
            sd = y[:, : full * n].reshape(len(y), full, -1).mean(-1)
        elif y is None and full * n <= length:  # every stride-th sample of each 1-s block
            ahead = x[:, s : s + full * n].reshape(len(x), full, n)[..., ::stride]
            sd = median_last(np.abs(ahead - x[:, : full * n].reshape(len(x), full, n)[..., ::stride]))
        else:
            y = x[:, s:] - x[:, :-s] if y is None else y
            sd = median_last(np.abs(y[:, : full * n].reshape(len(y), full, -1)[..., ::stride]))
        sd = np.concatenate([sd, np.repeat(sd[:, -1:], n_blocks - sd.shape[1], axis=1)], axis=1)
        out.append(sd if y is rail else ndimage.median_filter(
            1.4826 * sd, size=(1, int(BACKGROUND_WINDOW_S)), mode="nearest"))
    amp = _PTP_PER_SD * out[0]
    usable = (amp > _PTP_PER_SD * FLAT_UV) & (out[1] < CLIPPED_SHARE)
    return amp, np.sqrt(2.0) * np.stack(out[2:], axis=-1), spans, usable, n


def _change_at(log_change, spans, ch, blk, dur) -> np.ndarray:
    """Background change (µV) over ``dur`` samples, log-log interpolated between spans
    (``log_change``: log of the change per block and span, floored at 1e-6 µV)."""
    pos = np.interp(np.log(np.maximum(dur, 1)), np.log(spans), np.arange(len(spans)))
    lo = np.minimum(pos.astype(int), max(len(spans) - 2, 0))
    hi = np.minimum(lo + 1, len(spans) - 1)
    below, above = log_change[ch, blk, lo], log_change[ch, blk, hi]
    return np.exp(below + (pos - lo) * (above - below))


def _measure_flanks(x: np.ndarray, polarity: int, ch: np.ndarray, p: np.ndarray, n_lag: int,
                    sfreq: float) -> dict:  # fmt: skip
    """:func:`_measure` of ``polarity * x``, the same values, compiled when numba is there
    (one peak at a time, with the same float32 operations in the same order)."""
    kernels = _spike_kernels()
    if kernels is None or x.dtype != np.float32 or not x.flags.c_contiguous:
        return _measure(polarity * x, ch, p, n_lag, sfreq)
    span = max(int(round(_SPANS_MS[0] * sfreq / 1e3)), 1)
    top = max(int(round(TOP_MS * sfreq / 1e3)), 1)
    first = min(max(n_lag // 4, 2 * span + top), n_lag)
    out = {}
    for side, sign in (("l", -1), ("r", 1)):
        a, d, e, h, t = kernels[0](x, polarity, np.asarray(ch, dtype=np.intp), np.asarray(p, dtype=np.intp), sign,
                               first, n_lag, span, top)  # fmt: skip
        out["a" + side], out["d" + side], out["e" + side], out["h" + side], out["t" + side] = a, d, e, h, t
    return out


@functools.lru_cache(maxsize=1)
def _spike_kernels():
    """The compiled flank measurement and rhythm stretches (numba, cached on disk), or
    None without numba."""
    try:
        import numba
    except ImportError:  # pragma: no cover - numba is a dependency; numpy otherwise
        return None

    f32 = np.float32
    end_fraction, half_share, tiny = f32(FLANK_END_FRACTION), f32(0.5), f32(1e-9)

    @numba.njit(cache=True, nogil=True, error_model="numpy")
    def flanks(x, polarity, ch, p, sign, first, n_lag, span, top):  # pragma: no cover - compiled
        # per peak, as _measure does for all at once: the flank followed over `first`
        # samples, and over n_lag when it has not ended by then
        n_peaks = len(p)
        amp = np.empty(n_peaks, dtype=np.float32)
        base = np.zeros(n_peaks, dtype=np.intp)
        ended = np.zeros(n_peaks, dtype=np.bool_)
        half = np.zeros(n_peaks, dtype=np.float64)
        fall = np.empty(n_peaks, dtype=np.float32)
        drop = np.empty(n_lag + 1, dtype=np.float32)
        for q in range(n_peaks):
            row = x[ch[q]]
            peak = row[p[q]] if polarity > 0 else -row[p[q]]
            for n in (first, n_lag):
                for m in range(n + 1):
                    v = row[p[q] + sign * m]
                    drop[m] = peak - (v if polarity > 0 else -v)
                # the flank ends where its slope falls below a share of its steepest, or
                # where the signal turns back
                last, stop = n, False
                steepest = np.float32(0.0)  # set from the first slope
                for m in range(n + 1 - span):
                    slope = drop[m + span] - drop[m]
                    if m == 0 or slope > steepest:
                        steepest = slope
                    if ((slope < end_fraction * steepest) and steepest > 0) or drop[m + span] < drop[m + span - 1]:
                        last, stop = m + span, True
                        break
                ended[q] = stop
                top_at, top_val = 0, drop[0]
                for m in range(1, last + 1):
                    if drop[m] > top_val:
                        top_at, top_val = m, drop[m]
                base[q] = top_at
                # where the flank first falls to half its amplitude (fractional samples)
                k = 0
                for m in range(last + 1):
                    if drop[m] >= half_share * top_val:
                        k = m
                        break
                k = max(k, 1)
                d0 = drop[k - 1]
                d1 = drop[k] if k <= last else np.float32(-np.inf)
                frac = (half_share * top_val - d0) / max(d1 - d0, tiny)
                frac = min(max(frac, np.float32(0)), np.float32(1))
                half[q] = np.float64(k - 1) + np.float64(frac)
                if stop:
                    break
            v = row[p[q] + sign * base[q]]
            amp[q] = peak - (v if polarity > 0 else -v)
            w = row[p[q] + sign * min(top, base[q])]
            fall[q] = (peak - (w if polarity > 0 else -w)) / max(amp[q], tiny)
        return amp, base, ended & (base > 0), half, fall

    @numba.njit(cache=True, nogil=True, error_model="numpy")
    def stretches(x, ch, p, period, u, lags):  # pragma: no cover - compiled
        # _rhythmic's linearly interpolated stretches, as numpy computes them: position
        # p + period (u + lag) clipped to the signal, then x0 + (pos - i0) (x1 - x0), the
        # difference in float32 and the rest in float64
        last = x.shape[1] - 1
        out = np.empty((len(lags), len(p), len(u)), dtype=np.float64)
        for k in range(len(lags)):
            for q in range(len(p)):
                row = x[ch[q]]
                for m in range(len(u)):
                    pos = np.float64(p[q]) + period[q] * (u[m] + lags[k])
                    pos = min(max(pos, 0.0), np.float64(last))
                    i0 = min(int(pos), last - 1)
                    x0 = row[i0]
                    out[k, q, m] = np.float64(x0) + (pos - np.float64(i0)) * np.float64(row[i0 + 1] - x0)
        return out

    return flanks, stretches


def _measure(y: np.ndarray, ch: np.ndarray, p: np.ndarray, n_lag: int, sfreq: float) -> dict:
    """Flank amplitudes ``a`` (µV), lengths ``d`` and half-amplitude widths ``h``
    (samples), ended flags ``e`` and share ``t`` fallen within TOP_MS, each with suffix
    ``l`` or ``r``. Most peaks are ripples, so flanks are first followed over n_lag / 4."""
    span = max(int(round(_SPANS_MS[0] * sfreq / 1e3)), 1)
    top = max(int(round(TOP_MS * sfreq / 1e3)), 1)
    flat, at = y.ravel(), ch * y.shape[1] + p
    peak, out = flat[at], {}
    for side, sign in (("l", -1), ("r", 1)):
        base, ended = np.zeros(len(p), dtype=np.intp), np.zeros(len(p), dtype=bool)
        half, todo = np.zeros(len(p)), np.arange(len(p))
        for n in (min(max(n_lag // 4, 2 * span + top), n_lag), n_lag):
            drop = peak[todo, None] - flat[at[todo, None] + sign * np.arange(n + 1)]
            slope = drop[:, span:] - drop[:, :-span]
            steepest = np.maximum.accumulate(slope, axis=1)
            stop = (slope < FLANK_END_FRACTION * steepest) & (steepest > 0)
            stop |= drop[:, span:] < drop[:, span - 1 : -1]  # turning back ends it too
            ended[todo] = stop.any(axis=1)
            last = np.where(ended[todo], stop.argmax(axis=1) + span, n)
            drop = np.where(np.arange(n + 1) <= last[:, None], drop, -np.inf)
            base[todo] = drop.argmax(axis=1)
            # where the flank first falls to half its amplitude (fractional samples)
            rows, a = np.arange(len(todo)), drop.max(axis=1)
            k = np.maximum(np.argmax(drop >= 0.5 * a[:, None], axis=1), 1)
            d0, d1 = drop[rows, k - 1], drop[rows, k]
            half[todo] = k - 1 + np.clip((0.5 * a - d0) / np.maximum(d1 - d0, 1e-9), 0, 1)
            todo = todo[~ended[todo]]
        a = out["a" + side] = peak - flat[at + sign * base]
        out["d" + side], out["e" + side], out["h" + side] = base, ended & (base > 0), half
        out["t" + side] = (peak - flat[at + sign * np.minimum(top, base)]) / np.maximum(a, 1e-9)
    return out


def _largest_jump(x, sfreq, ch, p, dur) -> np.ndarray:
    """Largest change over _SPANS_MS[0] (µV) within 1.5 base widths of each peak."""
    span = max(int(round(_SPANS_MS[0] * sfreq / 1e3)), 1)
    reach = int(np.max(1.5 * dur, initial=0))
    lags = np.arange(-reach - span, reach + 1)
    seg = x[ch[:, None], np.clip(p[:, None] + lags[None, :], 0, x.shape[1] - 1)]
    jump = np.abs(seg[:, span:] - seg[:, :-span])
    return np.where(np.abs(lags[:-span])[None, :] <= 1.5 * dur[:, None] + span, jump, 0).max(1)


def _rhythmic(x: np.ndarray, ch: np.ndarray, p: np.ndarray, period: np.ndarray) -> np.ndarray:
    """How much the 1.5 periods around each peak repeat 0.8-1.25 periods before or after:
    the best correlation of the detrended stretches, scaled down when the neighbour is
    smaller (a rhythm repeats waves of similar size)."""
    u = np.linspace(-0.75, 0.75, 13)
    lags = np.array([0.0, -0.8, -0.9, -1.0, -1.1, -1.25, 0.8, 0.9, 1.0, 1.1, 1.25])
    kernel = _spike_kernels()
    if kernel is not None and x.dtype == np.float32 and x.shape[1] >= 2:  # the stretches, compiled
        stretches = kernel[1](np.ascontiguousarray(x), np.asarray(ch, dtype=np.intp),
                              np.asarray(p, dtype=np.intp), np.asarray(period, dtype=np.float64), u, lags)
    else:
        stretches = []
        for lag in lags:
            pos = np.clip(p[:, None] + period[:, None] * (u[None, :] + lag), 0, x.shape[1] - 1)
            i0 = np.minimum(pos.astype(int), x.shape[1] - 2)
            stretches.append(x[ch[:, None], i0] + (pos - i0) * (x[ch[:, None], i0 + 1] - x[ch[:, None], i0]))
    pieces = []
    for seg in stretches:
        seg = seg - seg.mean(axis=1, keepdims=True)
        pieces.append(seg - (seg @ u)[:, None] * u[None, :] / (u @ u))  # slower waves out
    size = np.maximum(np.linalg.norm(pieces, axis=2), 1e-12)  # (11, n)
    corr = np.einsum("kni,ni->kn", np.array(pieces[1:]), pieces[0]) / (size[1:] * size[0])
    score = corr * np.minimum(size[1:] / size[0], 1.0)
    return np.maximum(score[:5].max(axis=0), score[5:].max(axis=0))


def muscle_level(data_uv: np.ndarray, sfreq: float) -> np.ndarray:
    """Each derivation's usual muscle level: the robust SD above 30 Hz of its quieter
    0.25-s blocks (:data:`EMG_QUIET_PERCENTILE`), from up to 32 stretches of 4 s spread
    evenly over the data (skipping the filter's start-up).

    Parameters
    ----------
    data_uv : ndarray, shape (n_derivations, n_times)
        EEG in µV as :func:`detect_spikes` takes it.
    sfreq : float
        Sampling rate in Hz.

    Returns
    -------
    level : ndarray of float32, shape (n_derivations,)
        µV; what a burst must exceed :data:`EMG_RATIO` times to count as muscle. NaN
        when the rate is too low to see muscle (Nyquist under 1.1 times 30 Hz).

    Notes
    -----
    :func:`eegpipe.pipeline.analyse` measures it once per recording, over the survey
    stretch, and gives it to every chunk, so that the result does not depend on the
    chunk length.
    """
    x = np.asarray(data_uv, dtype=np.float32)
    if sfreq / 2 <= 1.1 * EMG_BAND_HZ[0]:
        return np.full(len(x), np.nan, dtype=np.float32)
    sos = butter_sos(4, EMG_BAND_HZ[0], "highpass", float(sfreq)).astype(x.dtype)
    starts = np.unique(np.linspace(0, max(x.shape[1] - int(4 * sfreq), 0), 32).astype(int))
    pieces = np.stack([x[:, s : s + int(4 * sfreq)] for s in starts], axis=1)
    hf = np.abs(sosfilt(sos, pieces, axis=-1))
    hf = hf[..., min(int(sfreq / 2), hf.shape[-1] // 2) :]
    quarter = max(hf.shape[-1] // max(int(sfreq / 4), 1), 1)  # 0.25-s blocks
    blocks = median_last(hf[..., : hf.shape[-1] // quarter * quarter].reshape(
        len(x), len(starts), quarter, -1)) / 0.6745
    return percentile_last(blocks.reshape(len(x), -1), EMG_QUIET_PERCENTILE)  # np.percentile's


def _muscle(x, sfreq, ch, p, start, stop, level) -> np.ndarray:
    """True where a peak lies in a burst of muscle activity (see :data:`EMG_MIN_UV`);
    ``start`` and ``stop`` are the samples of the transient's bases, ``level`` the
    derivations' :func:`muscle_level` (measured over ``x`` when None)."""
    if sfreq / 2 <= 1.1 * EMG_BAND_HZ[0] or not len(p):
        return np.zeros(len(p), dtype=bool)
    sos = [butter_sos(4, band, kind, float(sfreq))
           for kind, band in (("highpass", EMG_BAND_HZ[0]), ("bandpass", EMG_REF_BAND_HZ))]
    usual = (muscle_level(x, sfreq) if level is None else level)[ch]
    # room for the widest transient, the gap and window beside it, and filter edges
    half = int((SHARP_WAVE_DURATION_MS[1] + EMG_GAP_MS + EMG_BESIDE_MS + 200) * sfreq / 1e3)
    seg = x[ch[:, None], np.clip(p[:, None] + np.arange(-half, half + 1), 0, x.shape[1] - 1)]
    bands = [np.abs(sosfiltfilt(f, seg, axis=1)) for f in sos]

    def burst(fast, ref):  # robust SDs, µV
        return (fast > EMG_MIN_UV) & (fast > EMG_RATIO * usual) & (fast > EMG_FLATNESS * ref)

    reach = max(int(round(EMG_AROUND_MS * sfreq / 2e3)), 1)
    muscle = burst(*(median_last(b[:, half - reach : half + reach + 1]) / 0.6745 for b in bands))
    gap, width = int(EMG_GAP_MS * sfreq / 1e3), max(int(EMG_BESIDE_MS * sfreq / 1e3), 1)
    rows = np.arange(len(p))[:, None]
    for edge in (start - p + half - gap - width, stop - p + half + gap):
        idx = np.clip(edge[:, None] + np.arange(width), 0, 2 * half)
        muscle |= burst(*(percentile_last(b[rows, idx], 75) / 1.1503 for b in bands))
    return muscle


def _strongest_per_span(idx: np.ndarray, c: dict) -> np.ndarray:
    """Of kept peaks on one channel whose bases overlap, keep the one whose two flanks are
    largest together (the spike, not the rebound between it and its slow wave)."""
    ch, p, dl, dr, score = c["ch"], c["p"], c["dl"], c["dr"], c["al"] + c["ar"]
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
