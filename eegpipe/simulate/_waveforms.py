"""Time courses of transient events, in µV, sampled at given times (seconds).

Every function takes ``t`` relative to the event's reference time (its peak or onset)
and returns the waveform at those times, zero outside the event; that lets the
renderer draw an event that straddles two blocks exactly once.
"""

from __future__ import annotations

import numpy as np


def half_cosine_bump(t: np.ndarray, rise: float, fall: float) -> np.ndarray:
    """Unit peak at ``t = 0`` rising over ``rise`` s and falling over ``fall`` s.

    Parameters
    ----------
    t : ndarray
        Times in seconds relative to the peak.
    rise, fall : float
        Durations in seconds of the two flanks.

    Returns
    -------
    y : ndarray
        Same shape as ``t``, in [0, 1].
    """
    y = np.zeros_like(t)
    left = (t >= -rise) & (t < 0)
    right = (t >= 0) & (t <= fall)
    y[left] = 0.5 * (1 + np.cos(np.pi * t[left] / rise))
    y[right] = 0.5 * (1 + np.cos(np.pi * t[right] / fall))
    return y


def epileptiform(
    t: np.ndarray, duration: float, amplitude: float, slow_amplitude: float, slow_width: float
) -> np.ndarray:
    """Spike or sharp wave, surface-negative, with an optional after-going slow wave.

    The main component lasts ``duration`` (20-70 ms for a spike, 70-200 ms for a sharp
    wave, domain.md) with a steeper rising than falling flank, as in clinical
    definitions; a small positive after-phase follows, then the slow wave.

    Parameters
    ----------
    t : ndarray
        Seconds relative to the spike's peak.
    duration : float
        Base width of the spike or sharp wave, in seconds.
    amplitude : float
        Peak amplitude in µV (the deflection is negative).
    slow_amplitude : float
        Peak of the after-going surface-negative slow wave in µV (0 for none).
    slow_width : float
        Duration of the slow wave in seconds.

    Returns
    -------
    y : ndarray
        Waveform in µV.
    """
    rise, fall = 0.4 * duration, 0.6 * duration
    y = -amplitude * half_cosine_bump(t, rise, fall)
    y += 0.25 * amplitude * half_cosine_bump(t - fall - 0.5 * duration, 0.5 * duration, duration)
    if slow_amplitude > 0:
        centre = fall + 1.5 * duration + 0.5 * slow_width
        y -= slow_amplitude * half_cosine_bump(t - centre, 0.5 * slow_width, 0.5 * slow_width)
    return y


def vertex_wave(t: np.ndarray, amplitude: float, duration: float) -> np.ndarray:
    """Benign sleep vertex wave: sharp negative wave then a positive one.

    Parameters
    ----------
    t : ndarray
        Seconds relative to the negative peak.
    amplitude : float
        Negative peak in µV.
    duration : float
        Width of the negative component, in seconds (about 0.1-0.2 s).

    Returns
    -------
    y : ndarray
        Waveform in µV.
    """
    neg = -amplitude * half_cosine_bump(t, 0.45 * duration, 0.55 * duration)
    pos = 0.45 * amplitude * half_cosine_bump(t - 1.1 * duration, 0.6 * duration, 1.2 * duration)
    return neg + pos


def spindle(t: np.ndarray, amplitude: float, freq: float, duration: float) -> np.ndarray:
    """Sleep spindle: a Hann-windowed sinusoid.

    Parameters
    ----------
    t : ndarray
        Seconds from the spindle's onset.
    amplitude : float
        Peak amplitude in µV.
    freq : float
        Frequency in Hz (12-14 Hz).
    duration : float
        Length in seconds (1-2 s).

    Returns
    -------
    y : ndarray
        Waveform in µV.
    """
    inside = (t >= 0) & (t <= duration)
    win = np.where(inside, np.sin(np.pi * np.clip(t / duration, 0, 1)) ** 2, 0.0)
    return amplitude * win * np.sin(2 * np.pi * freq * t)


def blink(t: np.ndarray, amplitude: float, duration: float) -> np.ndarray:
    """Eye blink seen at a frontopolar electrode: a smooth positive deflection.

    Parameters
    ----------
    t : ndarray
        Seconds from the blink's onset.
    amplitude : float
        Peak in µV (positive at Fp1/Fp2).
    duration : float
        Total length in seconds (0.2-0.5 s).

    Returns
    -------
    y : ndarray
        Waveform in µV.
    """
    return amplitude * half_cosine_bump(t - 0.4 * duration, 0.4 * duration, 0.6 * duration)


def plateau(t: np.ndarray, duration: float, ramp: float) -> np.ndarray:
    """Unit plateau from 0 to ``duration`` with raised-cosine ramps of ``ramp`` s.

    Parameters
    ----------
    t : ndarray
        Seconds from the onset.
    duration : float
        Length in seconds, ramps included.
    ramp : float
        Length of each ramp in seconds.

    Returns
    -------
    y : ndarray
        Values in [0, 1].
    """
    ramp = max(min(ramp, duration / 2), 1e-6)
    y = np.clip(np.minimum(t / ramp, (duration - t) / ramp), 0.0, 1.0)
    return 0.5 * (1 - np.cos(np.pi * y))


def electrode_pop(t: np.ndarray, amplitude: float, tau: float) -> np.ndarray:
    """Electrode pop: an abrupt step that decays exponentially.

    Parameters
    ----------
    t : ndarray
        Seconds from the pop.
    amplitude : float
        Step size in µV (either sign).
    tau : float
        Decay time constant in seconds.

    Returns
    -------
    y : ndarray
        Waveform in µV.
    """
    return np.where(t >= 0, amplitude * np.exp(-np.clip(t, 0, None) / tau), 0.0)
