"""A small EEG generator written apart from :mod:`eegpipe.simulate`, for tests that must
not rest on the project's own simulator: its hypsarrhythmia, normal background and
involuntary movements are drawn from the textbook description alone (domain.md), with
none of the simulator's code, spatial model or artifact shapes."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
from pyedflib import highlevel
from scipy import signal

CHANNELS = ("Fp1", "Fp2", "F7", "F3", "Fz", "F4", "F8", "T3", "C3", "Cz", "C4", "T4",
            "T5", "P3", "Pz", "P4", "T6", "O1", "O2")  # fmt: skip
POSTERIOR = ("O1", "O2", "P3", "P4", "Pz", "T5", "T6")
SFREQ = 256


def _pink(rng: np.random.Generator, n: int, k: int, exponent: float = 1.0) -> np.ndarray:
    f = np.fft.rfftfreq(n, 1 / SFREQ)
    f[0] = f[1]
    spec = (rng.standard_normal((k, f.size)) + 1j * rng.standard_normal((k, f.size))) / f ** (exponent / 2)
    return np.fft.irfft(spec, n)


def _scaled(x: np.ndarray, ptp_uv: float) -> np.ndarray:
    """Band-limited to 0.5-70 Hz, scaled so that about 5 SD span ``ptp_uv``."""
    x = signal.filtfilt(*signal.butter(2, [0.5, 70], "bandpass", fs=SFREQ), x)
    return x / np.std(x) * ptp_uv / 5


def hypsarrhythmia(rng: np.random.Generator, duration_s: int, amp_uv: float = 300.0,
                   spikes_per_min: float = 60.0) -> np.ndarray:  # fmt: skip
    """Independent, high-voltage 0.5-3 Hz delta on every channel with random spikes and
    after-going slow waves, each on one random channel (chaotic, multifocal)."""
    n = SFREQ * duration_s
    delta = signal.filtfilt(*signal.butter(3, [0.5, 3], "bandpass", fs=SFREQ), rng.standard_normal((19, n)))
    x = _scaled(delta, amp_uv) + _scaled(_pink(rng, n, 19), 40)
    t = np.arange(int(0.2 * SFREQ)) / SFREQ
    for _ in range(int(duration_s / 60 * spikes_per_min)):
        c, s = rng.integers(19), rng.integers(n - t.size)
        x[c, s:s + t.size] += -np.exp(-((t - 0.03) / 0.012) ** 2) * rng.uniform(150, 300) + \
            np.exp(-((t - 0.1) / 0.04) ** 2) * 100  # fmt: skip
    return x


def normal_awake(rng: np.random.Generator, duration_s: int, spread_m: float | None = None) -> np.ndarray:
    """Spatially correlated 1/f background of about 80 µV with a 6 Hz posterior rhythm.

    By default each channel is half its own noise and half the mean of all (neighbours
    correlate weakly, ~0.15: several then read as bad channels). With ``spread_m``, the
    noise is mixed by a Gaussian of the distance between electrodes on MNE's standard
    10-20 head (colin27) with this SD in metres (0.05: neighbours 5-6 cm apart correlate
    0.55-0.75, as on a real scalp)."""
    n = SFREQ * duration_s
    if spread_m is None:
        mix = 0.5 * np.eye(19) + 0.5 / 19
    else:
        import mne

        pos = mne.channels.make_standard_montage("colin27_1020").get_positions()["ch_pos"]
        xyz = np.array([pos[c] for c in CHANNELS])
        d2 = ((xyz[:, None] - xyz[None]) ** 2).sum(-1)
        mix = np.exp(-d2 / (2 * spread_m**2))
    x = _scaled(mix @ _pink(rng, n, 19, 1.6), 80)
    post = [CHANNELS.index(c) for c in POSTERIOR]
    x[post] += 15 * np.sin(2 * np.pi * 6 * np.arange(n) / SFREQ + rng.uniform(0, 6))
    return x


def add_movements(rng: np.random.Generator, x: np.ndarray, tremor_bursts: int = 20,
                  jerks_per_min: float = 3.0) -> tuple[np.ndarray, list[tuple[float, float]]]:  # fmt: skip
    """Add B12-treatment tremor (4-7 Hz bursts of 2-6 s, 80-250 µV, with muscle activity,
    on half the channels) and myoclonic jerks (150-300 ms deflections of 200-600 µV with
    muscle activity on every channel) to ``x`` in place; return it and the jerks' (start,
    end) in seconds."""
    n = x.shape[1]
    emg_band = signal.butter(3, [20, 70], "bandpass", fs=SFREQ)
    for _ in range(tremor_bursts):
        s, length, f = rng.integers(n - 6 * SFREQ), int(rng.uniform(2, 6) * SFREQ), rng.uniform(4, 7)
        env = np.hanning(length)
        for c in rng.choice(19, 10, replace=False):
            x[c, s:s + length] += env * rng.uniform(80, 250) * \
                np.sin(2 * np.pi * f * np.arange(length) / SFREQ + rng.uniform(0, 6))  # fmt: skip
            emg = signal.filtfilt(*emg_band, rng.standard_normal(length))
            x[c, s:s + length] += env * emg / np.std(emg) * rng.uniform(10, 40)
    jerks = []
    for _ in range(int(n / SFREQ / 60 * jerks_per_min)):
        s, length = rng.integers(n - SFREQ), int(rng.uniform(0.15, 0.3) * SFREQ)
        jerks.append((s / SFREQ, (s + length) / SFREQ))
        shape = np.sin(np.pi * np.arange(length) / length)
        for c in range(19):
            g = rng.uniform(0.3, 1.0)
            x[c, s:s + length] += g * rng.choice([-1, 1]) * rng.uniform(200, 600) * shape
            x[c, s:s + length] += rng.standard_normal(length) * 60 * g
    return x, jerks


def add_pops(x: np.ndarray, channel: str, times_s, amp_uv: float = 300.0, tau_s: float = 0.4) -> np.ndarray:
    """Add electrode pops to one channel of ``x`` in place and return it: at each time an
    abrupt step of ``amp_uv`` (alternating in sign) that decays exponentially."""
    t = np.arange(x.shape[1]) / SFREQ
    c = CHANNELS.index(channel)
    for i, t0 in enumerate(times_s):
        x[c] += np.where(t >= t0, (-1) ** i * amp_uv * np.exp(-np.clip(t - t0, 0, None) / tau_s), 0.0)
    return x


#: Share of a blink's potential at each electrode: largest at the frontopolar electrodes,
#: about half at the frontal row, little centrally, none posteriorly (the eye's vertical
#: dipole seen from the scalp; textbook figures, e.g. Tatum 2014).
BLINK_SHARE = {"Fp1": 1.0, "Fp2": 1.0, "F3": 0.5, "Fz": 0.5, "F4": 0.5, "F7": 0.3, "F8": 0.3,
               "C3": 0.15, "Cz": 0.15, "C4": 0.15, "T3": 0.1, "T4": 0.1}  # fmt: skip


def add_blinks(x: np.ndarray, times_s, amp_uv=150.0, dur_s=0.35) -> np.ndarray:
    """Add eye blinks to ``x`` in place and return it: at each time a positive deflection
    of ``amp_uv`` at Fp1/Fp2 (quick rise over a third of ``dur_s``, slower fall), spread
    over the front of the head by :data:`BLINK_SHARE`; ``amp_uv`` and ``dur_s`` may be
    one value per blink."""
    amps = np.broadcast_to(np.asarray(amp_uv, float), np.shape(times_s))
    durs = np.broadcast_to(np.asarray(dur_s, float), np.shape(times_s))
    for t0, amp, dur in zip(times_s, amps, durs, strict=True):
        n = int(dur * SFREQ)
        t = np.arange(n) / n
        shape = np.where(t < 1 / 3, np.sin(np.pi / 2 * t * 3), np.cos(np.pi / 2 * (t - 1 / 3) * 1.5))
        s = int(t0 * SFREQ)
        for c, share in BLINK_SHARE.items():
            x[CHANNELS.index(c), s:s + n] += amp * share * shape
    return x


#: A horizontal eye movement's field: the corneoretinal dipole turns sideways, so the
#: anterior temporal electrodes change most, in mirror image, with less at the
#: frontopolar and frontal rows (textbook figures, e.g. Lins et al., Brain Topogr 1993).
SACCADE_SHARE = {"F7": 1.0, "F8": -1.0, "Fp1": 0.5, "Fp2": -0.5, "F3": 0.25, "F4": -0.25,
                 "T3": 0.4, "T4": -0.4}  # fmt: skip


def add_saccades(x: np.ndarray, times_s, amp_uv, hold_s, rise_s: float = 0.04,
                 rectus_uv: float = 40.0) -> np.ndarray:  # fmt: skip
    """Add horizontal saccades to ``x`` in place and return it: at each time the eyes
    turn (a linear ramp of ``rise_s`` to ``amp_uv`` at F7, signed: positive looks left),
    hold for ``hold_s`` and turn back, spread by :data:`SACCADE_SHARE`; with a lateral
    rectus spike (a 30-ms biphasic muscle potential of ``rectus_uv``) at F7 or F8, on
    the side the eyes turn to, at each turn.  ``amp_uv`` and ``hold_s`` are one
    value per saccade."""
    n_rise = max(int(rise_s * SFREQ), 1)
    tr = np.arange(int(0.03 * SFREQ)) / SFREQ
    rectus = rectus_uv * np.sin(2 * np.pi * tr / 0.03)
    for t0, amp, hold in zip(times_s, amp_uv, hold_s, strict=True):
        s, n_hold = int(t0 * SFREQ), int(hold * SFREQ)
        shape = np.concatenate([np.linspace(0, 1, n_rise), np.ones(n_hold), np.linspace(1, 0, n_rise)])
        for c, share in SACCADE_SHARE.items():
            x[CHANNELS.index(c), s:s + shape.size] += amp * share * shape
        for edge, sign in ((s, 1.0), (s + n_rise + n_hold, -1.0)):
            side = "F7" if sign * amp > 0 else "F8"
            x[CHANNELS.index(side), edge:edge + rectus.size] += rectus
    return x


def add_spikes(x: np.ndarray, channel: str, times_s, amp_uv: float = 250.0) -> np.ndarray:
    """Add focal spikes (a 30-ms negative spike and its after-going slow wave, as in
    :func:`hypsarrhythmia`) to one channel of ``x`` in place and return it."""
    t = np.arange(int(0.2 * SFREQ)) / SFREQ
    wave = -np.exp(-((t - 0.03) / 0.012) ** 2) * amp_uv + np.exp(-((t - 0.1) / 0.04) ** 2) * 100
    c = CHANNELS.index(channel)
    for t0 in times_s:
        s = int(t0 * SFREQ)
        x[c, s:s + t.size] += wave
    return x


#: A vertex wave's field: largest at Cz, half as large at Fz and Pz, under a third at
#: C3/C4 (textbook: a sharp, surface-negative transient of sleep, maximal at the vertex).
VERTEX_SHARE = {"Cz": 1.0, "Fz": 0.5, "Pz": 0.5, "C3": 0.3, "C4": 0.3}


def add_vertex_waves(x: np.ndarray, times_s, amp_uv=200.0, dur_s=0.1, share=None) -> np.ndarray:
    """Add vertex waves to ``x`` in place and return it: at each time a surface-negative
    sharp wave of ``amp_uv`` lasting ``dur_s`` at Cz (a pointed peak, a steeper rise than
    fall), spread by ``share`` (default :data:`VERTEX_SHARE`); ``amp_uv`` may be one value
    per wave."""
    share = VERTEX_SHARE if share is None else share
    amps = np.broadcast_to(np.asarray(amp_uv, float), np.shape(times_s))
    n = int(dur_s * SFREQ)
    t = np.arange(n) / n
    shape = -np.where(t < 0.4, t / 0.4, (1 - t) / 0.6)
    for t0, amp in zip(times_s, amps, strict=True):
        s = int(t0 * SFREQ)
        for c, k in share.items():
            x[CHANNELS.index(c), s:s + n] += amp * k * shape
    return x


def write(path: Path, x_uv: np.ndarray, start: dt.datetime, birthdate: str, annotations=()) -> Path:
    """EDF+ with labels ``EEG <name>-Ref`` in µV, a start time, a birth date and
    ``annotations`` ((onset s, duration s, text), e.g. a technician's "Asleep")."""
    headers = [highlevel.make_signal_header(f"EEG {c}-Ref", dimension="uV", sample_frequency=SFREQ,
                                            physical_min=-3000, physical_max=3000) for c in CHANNELS]  # fmt: skip
    header = highlevel.make_header(startdate=start, birthdate=birthdate, patientname="X")
    header["annotations"] = [list(a) for a in annotations]
    highlevel.write_edf(str(path), np.clip(x_uv, -2999, 2999), headers, header)
    return path
