"""Cortical source grid, volume conduction to the scalp, and stateful noise filters.

The simulator renders a recording in fixed blocks so that a 24-hour file costs no more
memory than a 10-s one.  Every filter here is an IIR filter whose state is carried from
one block to the next, so the output is continuous and independent of how many blocks
are kept: the same seed gives the same samples whether the file is rendered whole or
streamed.
"""

from __future__ import annotations

import numpy as np
from scipy import signal

from eegpipe.montage import CHANNELS_1020, electrode_positions, spherical_to_cartesian

#: Rows rendered for brain activity: the 19 scalp electrodes, then the reference sites.
SITES: tuple[str, ...] = (*CHANNELS_1020, "A1", "A2", "FCz")
N_SCALP = len(CHANNELS_1020)

#: Spatial spread (chord distance on the unit sphere) of background generators.  With
#: 0.45, neighbouring 10-20 electrodes share most of their background and homologous
#: electrodes little of it, as on an infant scalp where the skull is thin.
BACKGROUND_SPREAD = 0.45


def source_grid() -> tuple[np.ndarray, np.ndarray]:
    """Mirror-symmetric grid of cortical generator positions.

    Returns
    -------
    pos : ndarray, shape (n_sources, 3)
        Unit-sphere positions on four rings (elevations -10, 15, 40 and 65 degrees)
        plus the vertex.
    mirror : ndarray of int, shape (n_sources,)
        Index of each source's mirror image across the midline (itself on the midline).
    """
    pos, az_el = [], []
    for elev, step in ((-10.0, 30.0), (15.0, 30.0), (40.0, 30.0), (65.0, 60.0)):
        for az in np.arange(-180.0 + step, 180.0 + 1e-9, step):
            pos.append(spherical_to_cartesian(az, elev))
            az_el.append((round(float(az), 6), elev))
    pos.append(spherical_to_cartesian(0.0, 90.0))
    az_el.append((0.0, 90.0))
    index = {k: i for i, k in enumerate(az_el)}

    def _mirror(az: float, el: float) -> int:
        if el == 90.0 or az in (0.0, 180.0):
            return index[(az, el)]
        return index[(round(-az, 6), el)]

    mirror = np.array([_mirror(az, el) for az, el in az_el])
    return np.array(pos), mirror


def site_positions() -> np.ndarray:
    """Unit-sphere positions of :data:`SITES` (scalp electrodes, A1, A2, FCz).

    Returns
    -------
    pos : ndarray, shape (n_sites, 3)
    """
    return electrode_positions(SITES)


def spatial_gain(sites: np.ndarray, focus: np.ndarray, spread: float) -> np.ndarray:
    """Gaussian fall-off of a generator's field with distance.

    Parameters
    ----------
    sites : ndarray, shape (n_sites, 3)
        Recording positions on the unit sphere.
    focus : ndarray, shape (3,) or (n_sources, 3)
        Generator positions.
    spread : float
        Standard deviation of the fall-off, as a chord distance on the unit sphere.

    Returns
    -------
    gain : ndarray, shape (n_sites,) or (n_sites, n_sources)
        Dimensionless gains in [0, 1].
    """
    focus = np.atleast_2d(focus)
    d2 = ((sites[:, None, :] - focus[None, :, :]) ** 2).sum(-1)
    g = np.exp(-d2 / (2.0 * spread**2))
    return g[:, 0] if g.shape[1] == 1 else g


def mixing_matrix(sites: np.ndarray, sources: np.ndarray, spread: float) -> np.ndarray:
    """Volume-conduction matrix scaled so unit-variance iid sources give ~unit variance.

    Rows are normalised by the mean scalp-row norm (not row by row), so sites far from
    every generator (the ear references) really do pick up less brain activity.

    Parameters
    ----------
    sites : ndarray, shape (n_sites, 3)
        Recording positions on the unit sphere.
    sources : ndarray, shape (n_sources, 3)
        Generator positions on the unit sphere.
    spread : float
        See :func:`spatial_gain`.

    Returns
    -------
    mix : ndarray, shape (n_sites, n_sources)
    """
    g = spatial_gain(sites, sources, spread)
    norm = np.sqrt((g[:N_SCALP] ** 2).sum(axis=1)).mean()
    return g / norm


def powerlaw_sos(exponent: float, sfreq: float, f_lo: float = 0.3) -> np.ndarray:
    """Second-order sections whose power response falls as ``1/f**exponent``.

    A ladder of interleaved real poles and zeros (a classic pink-noise filter) placed
    two per octave from ``f_lo`` to just below Nyquist; two identical ladders, each
    giving half the slope, are cascaded so exponents up to 3 stay accurate.  Below
    ``f_lo`` the response flattens, like an amplifier's high-pass.

    Parameters
    ----------
    exponent : float
        Aperiodic exponent (slope of log power against log frequency, sign dropped),
        between 0 and 3.
    sfreq : float
        Sampling rate in Hz.
    f_lo : float
        Frequency in Hz below which the spectrum is flat.

    Returns
    -------
    sos : ndarray, shape (n_sections, 6)
        Normalised to unit gain at ``f_lo``.
    """
    if not 0.0 <= exponent <= 3.0:
        raise ValueError(f"exponent must be in [0, 3], got {exponent}")
    f_hi = 0.45 * sfreq
    ratio = 2.0  # one pole per octave per ladder
    alpha = exponent / 4.0  # magnitude slope per ladder is -alpha decades per decade
    poles = f_lo * ratio ** np.arange(np.floor(np.log(f_hi / f_lo) / np.log(ratio)))
    zeros = poles * ratio**alpha
    p = np.concatenate([poles, poles])
    z = np.concatenate([zeros, zeros])
    zd, pd, kd = signal.bilinear_zpk(-2 * np.pi * z, -2 * np.pi * p, 1.0, fs=sfreq)
    sos = signal.zpk2sos(zd, pd, kd)
    w, h = signal.sosfreqz(sos, worN=[f_lo], fs=sfreq)
    sos[0, :3] /= np.abs(h[0])
    return sos


def band_sos(lo: float, hi: float, sfreq: float, order: int = 2) -> np.ndarray:
    """Butterworth band-pass (or low-pass when ``lo`` is 0) as second-order sections.

    Parameters
    ----------
    lo, hi : float
        Edges in Hz.
    sfreq : float
        Sampling rate in Hz.
    order : int
        Filter order per edge.

    Returns
    -------
    sos : ndarray, shape (n_sections, 6)
    """
    if lo <= 0:
        return signal.butter(order, hi, btype="lowpass", fs=sfreq, output="sos")
    return signal.butter(order, [lo, hi], btype="bandpass", fs=sfreq, output="sos")


class StatefulFilter:
    """An SOS filter applied block after block to ``n_rows`` signals, state kept.

    Parameters
    ----------
    sos : ndarray, shape (n_sections, 6)
        The filter.
    n_rows : int
        Number of parallel signals.
    gain : float or ndarray, shape (n_rows,)
        Scale applied to the output, so that unit white noise in gives the wanted RMS.
    """

    def __init__(self, sos: np.ndarray, n_rows: int, gain: float | np.ndarray = 1.0) -> None:
        self.sos = sos
        self.zi = np.zeros((sos.shape[0], n_rows, 2))
        self.gain = np.broadcast_to(np.asarray(gain, dtype=float), (n_rows,))[:, None]

    def __call__(self, x: np.ndarray) -> np.ndarray:
        """Filter one block, shape (n_rows, n_times), continuing from the last one."""
        y, self.zi = signal.sosfilt(self.sos, x, axis=-1, zi=self.zi)
        return y * self.gain


def white_noise_rms(sos: np.ndarray, sfreq: float) -> float:
    """RMS of the output of ``sos`` for unit-variance white noise in.

    Parameters
    ----------
    sos : ndarray
        Filter as second-order sections.
    sfreq : float
        Sampling rate in Hz.

    Returns
    -------
    rms : float
        Computed from the power response (sum of squared impulse response).
    """
    n = int(60 * sfreq)
    imp = np.zeros(n)
    imp[0] = 1.0
    h = signal.sosfilt(sos, imp)
    return float(np.sqrt((h**2).sum()))
