"""Preprocessing stage: mains frequency, filtering and resampling, references, bad channels.

Pure functions over arrays in µV with channels on the second-to-last axis and time on
the last. Each works on a time chunk of a long recording and gives, away from the
chunk's edges, the same samples as on the whole file: a chunk read with :data:`PAD_S`
seconds of extra data on each side and cut back afterwards equals the whole-file result
(see :func:`filter_resample` for where chunks may start).

Typical use on one chunk of referential EEG at the file's rate ``sfreq``::

    line = detect_line_frequency(raw_uv, sfreq)          # 50, 60 or None
    bad = find_bad_channels(raw_uv, sfreq, ch_names)      # {"Cz": "flat: ..."}
    x = filter_resample(raw_uv, sfreq, line_freq=line)    # WORK_SFREQ, 0.5-45 Hz
"""

from __future__ import annotations

import functools
from collections.abc import Collection, Sequence
from fractions import Fraction

import numpy as np
from scipy import signal

from eegpipe._numeric import butter_sos, centred_resample_poly_edge, sosfiltfilt
from eegpipe.montage import DOUBLE_BANANA, NEW_TO_OLD, nearest_neighbours

#: Common working rate of the scoring stages, Hz: features need <= 45 Hz, well below 64.
WORK_SFREQ = 128.0
#: Pass band, Hz (-6 dB edges of the zero-phase filter, MNE's convention). The low edge
#: keeps the 0.5-3 Hz delta of hypsarrhythmia (domain.md) and matches the 0.5-Hz low
#: filter of neonatal/infant EEG practice (ACNS neonatal guideline, Shellhaas et al.,
#: J Clin Neurophysiol 2011: *unverified* citation); the high edge is below the mains.
BANDPASS_HZ = (0.5, 45.0)
#: Butterworth orders of high- and low-pass (doubled by the forward-backward pass); a
#: gentle high-pass keeps spike-and-slow-wave shapes. *unverified* choice.
_HIGHPASS_ORDER, _LOWPASS_ORDER = 2, 4
#: Width of the mains notches, Hz (Q = f / width); covers grid drift. *unverified*.
NOTCH_WIDTH_HZ = 2.0
#: Stop-band attenuation of the resampler's anti-aliasing FIR, dB. *unverified*.
_FIR_ATTENUATION_DB = 60.0
#: Seconds of neighbouring data needed on each side of a chunk: the 0.5-Hz high-pass
#: (time constant ~0.45 s) forgets a step within ~7 s; measured in the tests.
PAD_S = 10.0
#: Largest term of the resampling ratio; beyond it the ratio is approximated (relative
#: rate error of order 1e-6, a few ms per hour).
_MAX_RATIO_TERM = 1000

#: Mains frequencies looked for, Hz.
LINE_FREQS_HZ = (50.0, 60.0)
#: Mains search: 4-s Hann windows, at most 64 spread over the data.
_LINE_WINDOW_S, _LINE_MAX_WINDOWS = 4.0, 64
#: Peak: largest power within +-0.5 Hz of 50/60 Hz; baseline: median power 2-5 Hz away.
_LINE_PEAK_HALF_HZ, _LINE_BASE_HZ = 0.5, (2.0, 5.0)
#: Peak/baseline power ratio from which mains is present (4.8 dB). *unverified*: real
#: files in tests give 4-6000 with mains, <= 1.4 without; simulated ones <= 2.1 without.
LINE_PEAK_RATIO = 3.0

#: Band where bad-channel amplitude and correlation are judged, Hz: above the wander of
#: a loose electrode, below the mains. *unverified*.
BAD_BAND_HZ = (1.0, 30.0)
#: Flat below this RMS, µV, in BAD_BAND_HZ. Electrocerebral inactivity is "no activity
#: over 2 µV" (ACNS 2006), so a connected electrode on a living infant records more (the
#: preterm file in tests: ~2 µV RMS, its flat Cz 0.14 µV). *unverified* as a rule.
FLAT_UV = 0.5
#: ... or below this fraction of the median channel's RMS. *unverified*.
FLAT_REL = 0.05
#: Mains-dominated: 50/60-Hz RMS over this multiple (14 dB) of the EEG-band RMS, as on an
#: open or high-impedance input, into which the mains field couples capacitively; a
#: connected electrode with some mains stays below and is cleaned by the notch.
#: *unverified*.
MAINS_DOMINANT = 5.0
#: Noisy: robust z-score of the log EEG-band RMS over 5 (PREP deviation criterion,
#: Bigdely-Shamlo et al., Front Neuroinform 2015) AND over 5 times the median channel,
#: so the uneven, asymmetric voltage of hypsarrhythmia is never noise. Ratio *unverified*.
NOISY_Z, NOISY_RATIO = 5.0, 5.0
#: Uncorrelated: best |correlation| with the 4 nearest electrodes below 0.4 (PREP) in
#: over half of the 1-s windows (PREP: 1%; a channel bad for a whole chunk must fail
#: most of it). The half and the 4 are *unverified*.
CORR_MIN, CORR_BAD_SHARE, N_NEIGHBOURS = 0.4, 0.5, 4
_CORR_WINDOW_S = 1.0


# ----------------------------------------------------------------------- mains
def detect_line_frequency(data_uv: np.ndarray, sfreq: float) -> float | None:
    """Find the mains frequency (50 or 60 Hz) from the power spectrum.

    Parameters
    ----------
    data_uv : ndarray, shape (n_channels, n_times)
        EEG in µV at its recording rate, before any filtering (a minute or more is
        plenty; at most 64 windows of 4 s spread over the data are used).
    sfreq : float
        Sampling rate in Hz.

    Returns
    -------
    line_freq : float or None
        50.0 or 60.0 when the channel-averaged power at that frequency stands
        :data:`LINE_PEAK_RATIO` times above the neighbouring bins (the larger ratio
        wins); None when neither does, when the data are shorter than 4 s, or when
        ``sfreq`` is too low to see the frequency and its neighbourhood.

    Notes
    -----
    A recording notched at acquisition shows a dip, not a peak, and gives None.
    """
    return _line_frequency(_line_ratios(*_window_spectra(np.atleast_2d(data_uv), sfreq), sfreq))


def _line_frequency(ratios: np.ndarray) -> float | None:
    best = int(np.argmax(ratios))
    return LINE_FREQS_HZ[best] if ratios[best] >= LINE_PEAK_RATIO else None


def line_peak_ratios(data_uv: np.ndarray, sfreq: float) -> np.ndarray:
    """Channel-averaged power at 50 and 60 Hz over that of the neighbouring bins.

    Parameters
    ----------
    data_uv : ndarray, shape (n_channels, n_times)
        EEG in µV at its recording rate, before any filtering.
    sfreq : float
        Sampling rate in Hz.

    Returns
    -------
    ratios : ndarray, shape (2,)
        Peak/baseline power ratio at 50 and 60 Hz (1.0 where it cannot be measured).
    """
    return _line_ratios(*_window_spectra(np.atleast_2d(data_uv), sfreq), sfreq)


def _line_ratios(freqs: np.ndarray | None, psd: np.ndarray | None, sfreq: float) -> np.ndarray:
    """Peak/baseline ratios at 50 and 60 Hz of the channel-averaged window spectra."""
    if freqs is None:
        return np.ones(len(LINE_FREQS_HZ))
    return _line_stats(freqs, psd.mean(axis=0, keepdims=True), sfreq)[0][0]


def _line_stats(freqs: np.ndarray, psd: np.ndarray, sfreq: float):
    """Peak/baseline ratio and excess RMS (µV) at 50 and 60 Hz, each (n_rows, 2)."""
    ratio, rms = np.ones((psd.shape[0], 2)), np.zeros((psd.shape[0], 2))
    for j, lf in enumerate(LINE_FREQS_HZ):
        dist = np.abs(freqs - lf)
        base = (dist >= _LINE_BASE_HZ[0]) & (dist <= _LINE_BASE_HZ[1]) & (freqs < sfreq / 2 - 1)
        if lf + 1.0 >= sfreq / 2 - 1 or base.sum() < 4:
            continue  # too close to the Nyquist frequency to be seen
        floor = np.maximum(np.median(psd[:, base], axis=1, keepdims=True), 1e-30)
        ratio[:, j] = psd[:, dist <= _LINE_PEAK_HALF_HZ].max(axis=1) / floor[:, 0]
        excess = np.clip(psd[:, dist <= 1.0] - floor, 0, None).sum(axis=1)
        rms[:, j] = np.sqrt(excess * (freqs[1] - freqs[0]))
    return ratio, rms


def _window_spectra(data: np.ndarray, sfreq: float):
    """Mean Hann-windowed power spectrum of up to 64 4-s windows spread over the data.

    Returns (freqs, psd) with psd in µV²/Hz, shape (n_channels, n_freqs), or
    (None, None) when the data are shorter than one window.
    """
    n_win = int(round(_LINE_WINDOW_S * sfreq))
    n_avail = data.shape[-1] // n_win
    if n_avail < 1:
        return None, None
    starts = np.linspace(0, data.shape[-1] - n_win, min(n_avail, _LINE_MAX_WINDOWS))
    seg = data[:, starts.astype(int)[:, None] + np.arange(n_win)[None, :]]
    # (n_channels, n_windows, n_win); seg is a fresh gather, so detrend may work in it (one
    # copy fewer, the same least-squares fit on the same numbers)
    seg = signal.detrend(seg, axis=-1, type="linear", overwrite_data=True)
    win = np.hanning(n_win)
    spec = np.abs(np.fft.rfft(seg * win, axis=-1)) ** 2
    psd = spec.mean(axis=1) * 2.0 / (sfreq * np.sum(win**2))
    return np.fft.rfftfreq(n_win, 1.0 / sfreq), psd


# ----------------------------------------------------------------------- filtering
def resample_factors(sfreq: float, work_sfreq: float = WORK_SFREQ) -> tuple[int, int]:
    """Rational factors ``(up, down)`` with ``sfreq * up / down == work_sfreq``.

    Parameters
    ----------
    sfreq : float
        Recording rate in Hz.
    work_sfreq : float
        Working rate in Hz.

    Returns
    -------
    up, down : int
        Coprime factors, e.g. (1, 2) for 256 Hz and (32, 125) for 500 Hz. A chunk
        must start at a multiple of ``down`` input samples for its output to line up
        with the whole-file output (any whole second for an integer rate).
    """
    if not (sfreq > 0 and work_sfreq > 0):
        raise ValueError(f"sampling rates must be positive, got {sfreq!r} and {work_sfreq!r}")
    exact = Fraction(work_sfreq).limit_denominator(10**6)
    ratio = exact / Fraction(sfreq).limit_denominator(10**6)
    if max(ratio.numerator, ratio.denominator) > _MAX_RATIO_TERM:
        ratio = ratio.limit_denominator(_MAX_RATIO_TERM)
    return ratio.numerator, ratio.denominator


def filter_resample(
    data_uv: np.ndarray,
    sfreq: float,
    *,
    line_freq: float | None,
    work_sfreq: float = WORK_SFREQ,
) -> np.ndarray:
    """Resample to the working rate, notch the mains and band-pass 0.5-45 Hz.

    Parameters
    ----------
    data_uv : ndarray, shape (..., n_times)
        EEG in µV at the recording rate (referential, unfiltered).
    sfreq : float
        Recording rate in Hz; any rate (100, 125, 160, 200, 250, 256, 500, 512, ...).
    line_freq : float or None
        Mains frequency in Hz (from :func:`detect_line_frequency`); its harmonics
        below the working Nyquist frequency are notched. None: no notch.
    work_sfreq : float
        Output rate in Hz.

    Returns
    -------
    filtered_uv : ndarray of float32, shape (..., n_out)
        µV at ``work_sfreq``; ``n_out = ceil(n_times * up / down)`` with
        ``(up, down) = resample_factors(sfreq, work_sfreq)``.

    Notes
    -----
    Each channel's mean is removed first (a DC offset is outside the pass band).
    Resampling uses :func:`scipy.signal.resample_poly` with a Kaiser-window FIR that
    passes 0-45 Hz and stops, by 60 dB, everything that would fold back below 45 Hz
    (so mains harmonics above the working Nyquist are removed here). Then one
    zero-phase (forward-backward) IIR pass: Butterworth high-pass 0.5 Hz (order 2),
    low-pass 45 Hz (order 4), and notches of :data:`NOTCH_WIDTH_HZ` at the mains
    harmonics; cut-offs are -6 dB points. No phase shift, so spikes stay in place.

    For a long recording, filter chunks with :data:`PAD_S` seconds of neighbouring
    data on each side, starting on whole seconds (see :func:`resample_factors`), and
    drop ``PAD_S * work_sfreq`` output samples at each padded side: the result equals
    whole-file filtering to within float32 rounding.
    """
    data = np.asarray(data_uv, dtype=np.float64)
    up, down = resample_factors(sfreq, work_sfreq)
    mean = data.mean(axis=-1, keepdims=True)
    if (up, down) != (1, 1):  # scipy.signal.resample_poly of (data - mean).astype(float32)
        fir = _antialias_fir(float(sfreq), up, float(work_sfreq))
        data = centred_resample_poly_edge(data, mean, up, down, fir)
    else:
        data = (data - mean).astype(np.float32)
    sos = _iir_sos(float(work_sfreq), line_freq, float(min(sfreq, work_sfreq))).copy()
    if data.shape[-1] <= 3 * (2 * len(sos) + 1):
        raise ValueError(f"too few samples to filter: {data.shape[-1]} at {work_sfreq:g} Hz")
    return sosfiltfilt(sos, data, axis=-1).astype(np.float32, copy=False)


@functools.lru_cache(maxsize=16)
def _antialias_fir(sfreq: float, up: int, work_sfreq: float) -> np.ndarray:
    """Odd-length Kaiser low-pass FIR at the upsampled rate ``sfreq * up`` (designed
    once per setting; read-only)."""
    fs_up = sfreq * up
    low_rate = min(sfreq, work_sfreq)
    passband = min(BANDPASS_HZ[1], 0.45 * low_rate)
    # Whatever lies above low_rate - passband folds back above the pass band, where the
    # IIR low-pass and notch take it; so the stop band starts there.
    stopband = low_rate - passband
    n_taps, beta = signal.kaiserord(_FIR_ATTENUATION_DB, (stopband - passband) / (fs_up / 2))
    n_taps |= 1
    fir = signal.firwin(n_taps, (passband + stopband) / 2, window=("kaiser", beta), fs=fs_up)
    fir = fir.astype(np.float32)
    fir.setflags(write=False)
    return fir


@functools.lru_cache(maxsize=16)
def _iir_sos(work_sfreq: float, line_freq: float | None, low_rate: float) -> np.ndarray:
    """Second-order sections of the band-pass and mains notches at the working rate
    (designed once per setting; read-only: copy before handing to scipy's filters)."""
    lo, hi = BANDPASS_HZ
    hi = min(hi, 0.45 * low_rate)
    parts = [
        signal.butter(_HIGHPASS_ORDER, lo, "highpass", fs=work_sfreq, output="sos"),
        signal.butter(_LOWPASS_ORDER, hi, "lowpass", fs=work_sfreq, output="sos"),
    ]
    if line_freq:
        nyquist = low_rate / 2.0
        for k in range(1, int(nyquist // line_freq) + 1):
            f = k * line_freq
            if f < nyquist - NOTCH_WIDTH_HZ:
                b, a = signal.iirnotch(f, f / NOTCH_WIDTH_HZ, fs=work_sfreq)
                parts.append(signal.tf2sos(b, a))
    sos = np.vstack(parts).astype(np.float32)
    sos.setflags(write=False)
    return sos


# ----------------------------------------------------------------------- references
def average_reference(data_uv: np.ndarray, good: np.ndarray | None = None) -> np.ndarray:
    """Re-reference to the average of the good channels.

    Parameters
    ----------
    data_uv : ndarray, shape (..., n_channels, n_times)
        Referential EEG in µV (continuous or epochs).
    good : ndarray of bool, shape (n_channels,), or None
        Channels that enter the average; None: all. Bad channels are re-referenced
        too, but do not contaminate the reference.

    Returns
    -------
    data_avg_uv : ndarray, same shape
        Every channel minus the mean of the good channels.
    """
    data = np.asarray(data_uv)
    if good is None:
        good = np.ones(data.shape[-2], dtype=bool)
    good = np.asarray(good, dtype=bool)
    if good.shape != (data.shape[-2],):
        raise ValueError(f"good must have one entry per channel ({data.shape[-2]}), "
                         f"got shape {good.shape}")  # fmt: skip
    if not good.any():
        raise ValueError("no good channel to build an average reference from")
    return data - data[..., good, :].mean(axis=-2, keepdims=True)


def bipolar(
    data_uv: np.ndarray, ch_names: Sequence[str], *, bad: Collection[str] = ()
) -> tuple[np.ndarray, list[str]]:
    """Longitudinal bipolar ("double banana") derivations from referential EEG.

    Parameters
    ----------
    data_uv : ndarray, shape (..., n_channels, n_times)
        Referential EEG in µV (continuous or epochs).
    ch_names : sequence of str
        10-20 names of the rows (old or new temporal names).
    bad : collection of str
        Channels to leave out (e.g. keys of :func:`find_bad_channels`).

    Returns
    -------
    derivations_uv : ndarray, shape (..., n_derivations, n_times)
        First electrode minus second, in :data:`~eegpipe.montage.DOUBLE_BANANA` order.
    derivation_names : list of str
        E.g. ``"Fp1-F7"`` (old temporal names); derivations with a missing or bad
        electrode are left out.
    """
    data = np.asarray(data_uv)
    index = {NEW_TO_OLD.get(n, n): i for i, n in enumerate(ch_names)}
    pairs = bipolar_pairs(ch_names, bad=bad)
    first = [index[a] for a, _ in pairs]
    second = [index[b] for _, b in pairs]
    return data[..., first, :] - data[..., second, :], [f"{a}-{b}" for a, b in pairs]


def bipolar_pairs(ch_names: Sequence[str], *, bad: Collection[str] = ()) -> list[tuple[str, str]]:
    """The double-banana derivations that can be formed from some channels.

    Parameters
    ----------
    ch_names : sequence of str
        10-20 names of the channels present (old or new temporal names).
    bad : collection of str
        Channels to leave out.

    Returns
    -------
    pairs : list of (str, str)
        Electrode pairs (old temporal names) in :data:`~eegpipe.montage.DOUBLE_BANANA`
        order, both electrodes present and not bad.
    """
    have = {NEW_TO_OLD.get(n, n) for n in ch_names} - {NEW_TO_OLD.get(n, n) for n in bad}
    return [(a, b) for a, b in DOUBLE_BANANA if a in have and b in have]


# ----------------------------------------------------------------------- bad channels
def find_bad_channels(data_uv: np.ndarray, sfreq: float, ch_names: Sequence[str]) -> dict[str, str]:
    """Find flat, disconnected, wildly noisy and uncorrelated channels.

    Parameters
    ----------
    data_uv : ndarray, shape (n_channels, n_times)
        Referential EEG in µV at the recording rate, before filtering (the mains
        content is evidence). At least a few seconds; a chunk of minutes is typical,
        and a channel can be bad in one chunk and good in another.
    sfreq : float
        Sampling rate in Hz.
    ch_names : sequence of str
        10-20 names of the rows (old or new temporal names).

    Returns
    -------
    bad : dict of str to str
        Channel name -> one-line reason, e.g. ``"flat: 0.1 µV RMS (1-30 Hz)"``.

    Notes
    -----
    A channel gets the first reason that applies: flat (RMS in 1-30 Hz below
    :data:`FLAT_UV`); mains-dominated (50/60-Hz RMS above :data:`MAINS_DOMINANT` times
    the 1-30 Hz RMS: an open or high-impedance input); relatively flat (below
    :data:`FLAT_REL` of the median channel); noisy (robust z-score > 5 and > 5 times the
    median); uncorrelated with its nearest neighbours (volume conduction makes
    neighbouring scalp electrodes correlate). RMS values are medians over 1-s windows,
    so brief artifacts do not make a channel bad; amplitudes are compared across
    channels only within wide margins, so high-voltage, asynchronous hypsarrhythmia
    does not make channels bad.
    """
    return _find_bad_channels(data_uv, sfreq, ch_names, None)


def survey_channels(data_uv: np.ndarray, sfreq: float,
                    ch_names: Sequence[str]) -> tuple[float | None, dict[str, str]]:  # fmt: skip
    """Mains frequency and bad channels of one stretch of raw EEG, in one spectral pass.

    Parameters
    ----------
    data_uv : ndarray, shape (n_channels, n_times)
        Referential EEG in µV at the recording rate, before any filtering.
    sfreq : float
        Sampling rate in Hz.
    ch_names : sequence of str
        10-20 names of the rows.

    Returns
    -------
    line_freq : float or None
        As :func:`detect_line_frequency` gives it.
    bad : dict of str to str
        As :func:`find_bad_channels` gives it.

    Notes
    -----
    Both need the same window spectra; computing them once halves their cost, and the
    results are those of the two functions called apart.
    """
    raw = np.atleast_2d(np.asarray(data_uv))
    data = raw.astype(np.float64, copy=False)
    spectra = _window_spectra(data, sfreq)
    line_spectra = spectra if raw.dtype == np.float64 else _window_spectra(raw, sfreq)
    return _line_frequency(_line_ratios(*line_spectra, sfreq)), \
        _find_bad_channels(data, sfreq, ch_names, spectra)  # fmt: skip


def _find_bad_channels(data_uv, sfreq, ch_names, spectra) -> dict[str, str]:
    """:func:`find_bad_channels`, with the window spectra when already computed."""
    data = np.atleast_2d(np.asarray(data_uv, dtype=np.float64))
    if data.shape[0] != len(ch_names):
        raise ValueError(f"{data.shape[0]} rows but {len(ch_names)} channel names")
    n_win = int(round(_CORR_WINDOW_S * sfreq))
    if data.shape[-1] < 2 * n_win:
        raise ValueError(f"need at least {2 * _CORR_WINDOW_S:g} s of data to judge channels")
    lo, hi = BAD_BAND_HZ[0], min(BAD_BAND_HZ[1], 0.45 * sfreq)
    sos = butter_sos(4, (lo, hi), "bandpass", float(sfreq))
    band = sosfiltfilt(sos, data - data.mean(axis=-1, keepdims=True), axis=-1)
    k = band.shape[-1] // n_win
    wins = band[:, : k * n_win].reshape(band.shape[0], k, n_win)
    rms = np.median(np.sqrt(np.mean(wins**2, axis=-1)), axis=-1)
    ref_rms = float(np.median(rms))
    bad: dict[str, str] = {}
    flat_text = f"flat: {{:.2g}} µV RMS ({lo:g}-{hi:g} Hz)"
    for i in np.flatnonzero(rms < FLAT_UV):
        bad[ch_names[i]] = flat_text.format(rms[i])
    freqs, psd = _window_spectra(data, sfreq) if spectra is None else spectra
    mains = _line_stats(freqs, psd, sfreq)[1].max(axis=1) if freqs is not None else 0 * rms
    for i in np.flatnonzero(mains > MAINS_DOMINANT * rms):
        bad.setdefault(ch_names[i], (
            f"mains-dominated (disconnected or high impedance): 50/60-Hz {mains[i]:.3g} µV "
            f"RMS, {mains[i] / rms[i]:.0f} times the EEG ({rms[i]:.2g} µV RMS)"))  # fmt: skip
    for i in np.flatnonzero(rms < FLAT_REL * ref_rms):
        bad.setdefault(ch_names[i], flat_text.format(rms[i]) + f", {FLAT_REL:g} of the median")
    ok = np.array([n not in bad for n in ch_names])
    if ok.sum() >= 3:
        log_rms = np.log(rms[ok])
        med = np.median(log_rms)
        mad = 1.4826 * np.median(np.abs(log_rms - med))
        z = (np.log(np.maximum(rms, np.finfo(float).tiny)) - med) / max(mad, 1e-3)  # a flat channel: no log(0) warning
        for i in np.flatnonzero(ok & (z > NOISY_Z) & (rms > NOISY_RATIO * np.exp(med))):
            bad[ch_names[i]] = (f"noisy: {rms[i]:.3g} µV RMS, {rms[i] / np.exp(med):.1f} times "
                                "the median channel")  # fmt: skip
    ok = np.array([n not in bad for n in ch_names])
    share = _low_correlation_share(wins, ch_names, ok)
    for i in np.flatnonzero(ok & (share > CORR_BAD_SHARE)):
        bad[ch_names[i]] = (f"uncorrelated with neighbours: best neighbour correlation below "
                            f"{CORR_MIN:g} in {100 * share[i]:.0f}% of 1-s windows")  # fmt: skip
    return bad


def _low_correlation_share(wins: np.ndarray, ch_names: Sequence[str], ok: np.ndarray):
    """Share of windows in which a channel's best neighbour correlation is < CORR_MIN."""
    n_ch = wins.shape[0]
    share = np.zeros(n_ch)
    neighbours = nearest_neighbours([NEW_TO_OLD.get(n, n) for n in ch_names], ok, N_NEIGHBOURS)
    if neighbours is None:
        return share  # names without 10-20 positions: no neighbourhood to judge
    z = wins - wins.mean(axis=-1, keepdims=True)
    z /= np.maximum(np.linalg.norm(z, axis=-1, keepdims=True), 1e-12)
    corr = np.einsum("iwt,jwt->wij", z, z)  # (n_windows, n_ch, n_ch)
    for i in np.flatnonzero(ok):
        nbrs = neighbours[i]
        if nbrs.size:
            best = np.abs(corr[:, i, nbrs]).max(axis=-1)
            share[i] = float(np.mean(best < CORR_MIN))
    return share
