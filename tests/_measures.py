"""Simple, independent signal measures used by the simulator's tests.

Deliberately plain (filters, correlations, RMS): they check that the simulated
classes differ in the directions the literature gives, without using the pipeline's
own feature code, so a bug there cannot hide a bug here.
"""

from __future__ import annotations

import numpy as np
from scipy import signal

from eegpipe.montage import CHANNELS_1020, DOUBLE_BANANA, HOMOLOGOUS_PAIRS, NEW_TO_OLD


def standardise(names: list[str], eeg: np.ndarray) -> dict[str, np.ndarray]:
    """Map rows onto old-style 10-20 names."""
    return {NEW_TO_OLD.get(n, n): eeg[i] for i, n in enumerate(names)}


def bandpass(x: np.ndarray, lo: float, hi: float, sfreq: float) -> np.ndarray:
    sos = signal.butter(4, [lo, hi], btype="bandpass", fs=sfreq, output="sos")
    return signal.sosfiltfilt(sos, x, axis=-1)


def bipolar(chans: dict[str, np.ndarray]) -> np.ndarray:
    return np.array([chans[a] - chans[b] for a, b in DOUBLE_BANANA])


def window_ptp(x: np.ndarray, sfreq: float, win_s: float = 1.0) -> np.ndarray:
    """Peak-to-peak per channel and window, shape (n_channels, n_windows)."""
    n = int(win_s * sfreq)
    k = x.shape[-1] // n
    w = x[..., : k * n].reshape(*x.shape[:-1], k, n)
    return w.max(-1) - w.min(-1)


def amplitude_uv(names, eeg, sfreq) -> float:
    """Median over 1-s windows of the median bipolar peak-to-peak (0.5-30 Hz), µV."""
    bip = bandpass(bipolar(standardise(names, eeg)), 0.5, 30, sfreq)
    return float(np.median(window_ptp(bip, sfreq)))


def high_voltage_uv(names, eeg, sfreq) -> float:
    """95th percentile over channels and 1-s windows of bipolar peak-to-peak, µV."""
    bip = bandpass(bipolar(standardise(names, eeg)), 0.5, 30, sfreq)
    return float(np.percentile(window_ptp(bip, sfreq), 95))


def sharp_transients_per_min(names, eeg, sfreq) -> float:
    """Peaks of the 10-30 Hz bipolar signal above 6 times its median absolute value."""
    bip = bandpass(bipolar(standardise(names, eeg)), 10, 30, sfreq)
    count = 0
    for x in np.abs(bip):
        peaks, _ = signal.find_peaks(x, height=6 * np.median(x), distance=int(0.2 * sfreq))
        count += peaks.size
    return count / (eeg.shape[1] / sfreq / 60)


def interhemispheric_correlation(names, eeg, sfreq) -> float:
    """Mean correlation of homologous channels in the 0.5-3 Hz band, average reference."""
    chans = standardise(names, eeg)
    x = np.array([chans[n] for n in CHANNELS_1020])
    x = bandpass(x - x.mean(0), 0.5, 3.0, sfreq)
    idx = {n: i for i, n in enumerate(CHANNELS_1020)}
    return float(np.mean([np.corrcoef(x[idx[a]], x[idx[b]])[0, 1] for a, b in HOMOLOGOUS_PAIRS]))


def asymmetry(names, eeg, sfreq) -> float:
    """|log ratio| of left to right delta-band RMS, averaged over homologous pairs."""
    chans = standardise(names, eeg)
    x = np.array([chans[n] for n in CHANNELS_1020])
    x = bandpass(x - x.mean(0), 0.5, 3.0, sfreq)
    idx = {n: i for i, n in enumerate(CHANNELS_1020)}
    rms = np.sqrt((x**2).mean(1))
    return float(abs(np.mean([np.log(rms[idx[a]] / rms[idx[b]]) for a, b in HOMOLOGOUS_PAIRS])))


def attenuated_share(names, eeg, sfreq, factor: float = 0.35) -> float:
    """Share of channel-seconds whose RMS is below ``factor`` x that channel's median.

    Counts generalized, lateralized and regional attenuations alike.
    """
    bip = bandpass(bipolar(standardise(names, eeg)), 0.5, 30, sfreq)
    n = int(sfreq)
    k = bip.shape[1] // n
    rms = np.sqrt((bip[:, : k * n].reshape(bip.shape[0], k, n) ** 2).mean(-1))
    return float(np.mean(rms < factor * np.median(rms, axis=1, keepdims=True)))
