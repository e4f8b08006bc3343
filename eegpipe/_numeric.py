"""Exact, faster stand-ins for numpy and scipy calls on the hot path.

Each gives bit for bit what the call it replaces gives (the tests compare them), so the
features the shipped model was trained on do not move; they are only faster.
"""

from __future__ import annotations

import functools
import itertools

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from scipy import fft as sp_fft
from scipy import signal


def median_last(a: np.ndarray) -> np.ndarray:
    """``numpy.median(a, axis=-1)``, bit for bit, by sorting rather than partitioning.

    Parameters
    ----------
    a : ndarray, shape (..., n)
        Values; the median is taken over the last axis.

    Returns
    -------
    median : ndarray, shape (...)
        As :func:`numpy.median` gives it: the middle value, or the mean of the two
        middle values (in the dtype ``numpy.mean`` uses), NaN where a row holds a NaN.

    Notes
    -----
    ``numpy.median`` partitions each row around the middle and the last position (its
    NaN check), a per-row cost that dominates on rows of tens of values; a SIMD sort of
    such rows is several times faster. Both pick the same middle values and average
    them with the same ``numpy.mean`` call, so the results are identical.
    """
    a = np.asarray(a)
    if a.ndim == 0 or a.shape[-1] == 0:
        return np.median(a, axis=-1)
    n = a.shape[-1]
    s = np.sort(a, axis=-1)
    mid = slice(n // 2, n // 2 + 1) if n % 2 else slice(n // 2 - 1, n // 2 + 1)
    out = np.mean(s[..., mid], axis=-1)
    if np.issubdtype(a.dtype, np.inexact):
        nan = np.isnan(s[..., -1])  # a sort puts NaN last
        if nan.any():
            out = np.where(nan, np.nan, out)
    return out


def butter_sos(order: int, cutoff: float | tuple[float, ...], btype: str, fs: float) -> np.ndarray:
    """:func:`scipy.signal.butter` second-order sections, designed once per setting.

    Parameters
    ----------
    order : int
        Filter order.
    cutoff : float or tuple of float
        Cut-off frequency or band edges, Hz.
    btype : str
        ``"lowpass"``, ``"highpass"``, ``"bandpass"`` or ``"bandstop"``.
    fs : float
        Sampling rate, Hz.

    Returns
    -------
    sos : ndarray, shape (n_sections, 6)
        A copy of the cached design (scipy's filters need a writable array).
    """
    return _butter_sos(order, cutoff, btype, fs).copy()


@functools.lru_cache(maxsize=64)
def _butter_sos(order: int, cutoff, btype: str, fs: float) -> np.ndarray:
    return signal.butter(order, cutoff, btype, fs=fs, output="sos")


#: Bytes of float64 segments handled at once by :func:`welch`: small enough for the
#: temporaries to stay in the CPU's cache, large enough to keep the loop's overhead low.
_WELCH_BLOCK_BYTES = 1 << 20


def welch(x: np.ndarray, fs: float, nperseg: int) -> tuple[np.ndarray, np.ndarray]:
    """``scipy.signal.welch(x, fs, nperseg=nperseg, noverlap=nperseg // 2, axis=-1)``,
    bit for bit, about three times faster.

    Parameters
    ----------
    x : ndarray, shape (..., n_times)
        Real signals; ``n_times >= nperseg``.
    fs : float
        Sampling rate, Hz.
    nperseg : int
        Segment length in samples (Hann window, half overlap, constant detrend,
        density scaling, mean over segments: scipy's defaults).

    Returns
    -------
    freqs : ndarray, shape (nperseg // 2 + 1,)
        Hz.
    psd : ndarray, shape (..., nperseg // 2 + 1)
        Power spectral density (unit² / Hz), in the dtype scipy gives (float32 for
        float32 input), C-contiguous.

    Notes
    -----
    scipy (1.17) loops over the segments, writing each spectrum into a strided complex
    array; here the same operations (segment mean removed, scaled window, ``scipy.fft``
    real FFT, squared magnitude, one-sided doubling, mean over segments in the same
    memory order) run on all segments of a block of rows at once, blocks sized to stay
    in cache. Other input (complex, integer, too short), or a scipy whose ``welch``
    differs from this one in any bit (checked once on a test signal), goes to scipy itself.
    """
    x = np.asarray(x)
    n = x.shape[-1] if x.ndim else 0
    if (x.dtype not in (np.float32, np.float64) or n < nperseg or x.size == 0 or nperseg < 2
            or not _welch_matches_scipy(int(nperseg), float(fs), x.dtype.str)):  # fmt: skip
        return signal.welch(x, fs=fs, nperseg=nperseg, noverlap=nperseg // 2, axis=-1)
    return _welch(x, float(fs), int(nperseg))


def _welch(x: np.ndarray, fs: float, nperseg: int) -> tuple[np.ndarray, np.ndarray]:
    n = x.shape[-1]
    sft, win = _welch_stft(nperseg, fs)
    hop = sft.hop
    n_seg = (n - nperseg // 2) // hop
    rows = x.reshape(-1, n)
    out_dtype = np.result_type(x, np.complex64)
    psd = np.empty((rows.shape[0], sft.f.size), dtype=np.result_type(x, np.float32))
    step = max(1, _WELCH_BLOCK_BYTES // (8 * n_seg * nperseg))
    last = -1 if nperseg % 2 == 0 else None  # an even FFT's Nyquist bin is not doubled
    for r0 in range(0, rows.shape[0], step):
        seg = sliding_window_view(rows[r0 : r0 + step], nperseg, axis=-1)[:, ::hop][:, :n_seg]
        spec = sp_fft.rfft((seg - np.mean(seg, axis=-1, keepdims=True)) * win, n=nperseg, axis=-1)
        power = np.ascontiguousarray((spec.real**2 + spec.imag**2).swapaxes(-1, -2))  # (row, freq, segment)
        power[:, 1:last] *= 2
        psd[r0 : r0 + step] = power.mean(axis=-1).astype(out_dtype).real
    return sft.f, psd.reshape(*x.shape[:-1], -1)


@functools.lru_cache(maxsize=16)
def _welch_matches_scipy(nperseg: int, fs: float, dtype: str) -> bool:
    """Whether :func:`_welch` gives this scipy's ``welch`` bit for bit (checked once per
    setting on a seeded test signal): other scipy versions compute it otherwise."""
    if not hasattr(signal, "ShortTimeFFT"):
        return False
    x = (np.random.default_rng(0).standard_normal((3, 2 * nperseg + 7)) * 50).astype(dtype)
    try:
        f, p = _welch(x, fs, nperseg)
    except Exception:  # noqa: BLE001 - any scipy API difference: use scipy itself
        return False
    f_ref, p_ref = signal.welch(x, fs=fs, nperseg=nperseg, noverlap=nperseg // 2, axis=-1)
    return p.dtype == p_ref.dtype and np.array_equal(f, f_ref) and np.array_equal(p, p_ref)


@functools.lru_cache(maxsize=8)
def _welch_stft(nperseg: int, fs: float):
    """scipy's ShortTimeFFT as ``scipy.signal.welch`` sets it up, and its scaled window."""
    win = signal.get_window("hann", nperseg)
    sft = signal.ShortTimeFFT(win, nperseg - nperseg // 2, fs, fft_mode="onesided", mfft=nperseg,
                              scale_to="psd", phase_shift=None)  # fmt: skip
    return sft, sft.win


#: Highest order whose patterns are looked up in a table of 3 ** (order * (order - 1) / 2)
#: comparison outcomes (59,049 entries for order 5); higher orders sort.
PATTERN_TABLE_MAX_ORDER = 5


def ordinal_pattern_counts(rows: np.ndarray, order: int, lag: int) -> np.ndarray:
    """How often each ordinal pattern occurs in each row (Bandt & Pompe 2002).

    Parameters
    ----------
    rows : ndarray, shape (n_rows, n_times)
        Signals.
    order : int
        Samples per pattern.
    lag : int
        Samples between the pattern's samples.

    Returns
    -------
    counts : ndarray of int, shape (n_rows, order ** order)
        Counts by pattern code ``sum(argsort(window)[k] * order ** k)`` over the
        ``n_times - (order - 1) * lag`` windows of each row.

    Notes
    -----
    The pattern of a window is its ``numpy.argsort``. Sorting every window is slow;
    here each window's pairwise comparisons (<, =, >) are coded in base 3 and mapped to
    the pattern by a table built once from ``numpy.argsort`` itself on every ordering,
    ties included, so equal samples are ordered exactly as ``argsort`` orders them (its
    SIMD sort does not keep their order) and the counts are those of sorting.
    """
    n = rows.shape[-1] - (order - 1) * lag
    if order <= PATTERN_TABLE_MAX_ORDER:
        code = _pattern_table(order, rows.dtype.str)[_comparison_code(rows, order, lag, n)]
    else:
        parts = np.stack([rows[:, i * lag : i * lag + n] for i in range(order)], axis=-1)
        code = (np.argsort(parts, axis=-1) * (order ** np.arange(order))).sum(-1)
    n_codes = order**order
    offset = np.arange(rows.shape[0], dtype=np.int64)[:, None] * n_codes
    return np.bincount((offset + code).ravel(), minlength=rows.shape[0] * n_codes).reshape(-1, n_codes)


def _comparison_code(x: np.ndarray, order: int, lag: int, n: int) -> np.ndarray:
    """Base-3 code of the outcomes (<, =, >) of all pairwise comparisons in each window."""
    n_pairs = order * (order - 1) // 2
    dtype = np.int16 if 3**n_pairs <= np.iinfo(np.int16).max else np.int64  # int16 to order 4
    code = np.zeros((*x.shape[:-1], n), dtype=dtype)
    k = 1
    for i in range(order):
        a = x[..., i * lag : i * lag + n]
        for j in range(i + 1, order):
            b = x[..., j * lag : j * lag + n]
            sign = (a > b).view(np.int8) - (a < b).view(np.int8)  # -1, 0 or 1
            code += sign * dtype(k)
            k *= 3
    return code + (k - 1) // 2  # digits -1..1 -> 0..2


@functools.lru_cache(maxsize=8)
def _pattern_table(order: int, dtype: str) -> np.ndarray:
    """Comparison code -> ``argsort`` pattern code, from ``argsort`` on every ordering.

    Every weak ordering (ties included) of ``order`` values occurs among the tuples of
    ``range(order)``; ``argsort`` on them gives the pattern, ties broken as it breaks
    them for arrays of this dtype.
    """
    tuples = np.array(list(itertools.product(range(order), repeat=order)), dtype=dtype)
    ranks = np.argsort(tuples, axis=-1)
    table = np.zeros(3 ** (order * (order - 1) // 2), dtype=np.int64)
    table[_comparison_code(tuples, order, 1, 1)[:, 0]] = (ranks * (order ** np.arange(order))).sum(-1)
    return table
