"""Exact, faster stand-ins for numpy and scipy calls on the hot path.

Each gives bit for bit what the call it replaces gives (the tests compare them), so the
features the shipped model was trained on do not move; they are only faster. The loops
that numpy cannot express without temporaries (IIR filtering, polyphase resampling,
pattern counting, order statistics of gathered rows) are compiled with numba, with the
same floating-point operations in the same order and no fused multiply-add; the first
call of each compiles it once (then cached on disk beside this file, or in numba's cache
folder). The filters, the resampler, Welch's spectrum and the percentiles also check
themselves once per setting against the call they replace and fall back to it on any
difference; without numba everything runs on numpy and scipy.
"""

from __future__ import annotations

import functools
import itertools
import math
import threading

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


def percentile_last(a: np.ndarray, q: float) -> np.ndarray:
    """``numpy.percentile(a, q, axis=-1)`` (linear interpolation), bit for bit, by sorting.

    Parameters
    ----------
    a : ndarray, shape (..., n)
        Real values (float32 or float64; other dtypes go to numpy), no NaN.
    q : float
        Percentile, 0-100 (a Python number, as numpy treats it).

    Returns
    -------
    percentile : ndarray, shape (...)

    Notes
    -----
    numpy partitions each row around the two values the percentile lies between, then
    interpolates between them (from the nearer one); on many short rows its per-call and
    per-row costs dominate. Here the rows are sorted at once (a SIMD sort) and the same
    two values interpolated by numpy's own formula, in the input's dtype; a numpy that
    computes it otherwise (checked once per row length, percentile and dtype) is called
    itself.
    """
    a = np.asarray(a)
    n = a.shape[-1] if a.ndim else 0
    if (a.dtype not in (np.float32, np.float64) or n == 0 or a.size == 0
            or not _percentile_matches_numpy(n, float(q), a.dtype.str)):  # fmt: skip
        return np.percentile(a, q, axis=-1)
    return _percentile_sorted(np.sort(a, axis=-1), float(q))


def _percentile_sorted(s: np.ndarray, q: float) -> np.ndarray:
    """numpy's linear percentile of each sorted row (``_quantile`` and ``_lerp``)."""
    n = s.shape[-1]
    virtual = (n - 1) * (q / 100)
    below = min(max(int(np.floor(virtual)), 0), n - 1)
    above = min(below + 1, n - 1)
    gamma = float(virtual - below) if below < n - 1 else 0.0
    lo, hi = s[..., below], s[..., above]
    diff = hi - lo
    return hi - diff * (1 - gamma) if gamma >= 0.5 else lo + diff * gamma


@functools.lru_cache(maxsize=64)
def _percentile_matches_numpy(n: int, q: float, dtype: str = "<f8") -> bool:
    """Whether :func:`_percentile_sorted` gives ``numpy.percentile`` bit for bit for rows
    of this length (checked once on seeded rows with ties)."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((64, n)) * 10
    x[::2] = np.round(x[::2])
    x[1::4] = np.abs(x[1::4]) * 1e-3
    x = x.astype(dtype)
    ref = np.percentile(x, q, axis=-1)
    got = _percentile_sorted(np.sort(x, axis=-1), q)
    return got.dtype == ref.dtype and got.shape == ref.shape and np.array_equal(got, ref)


def median_filter_nearest(a: np.ndarray, size: int, axis: int) -> np.ndarray:
    """``scipy.ndimage.median_filter(a, size=...)`` along one axis, ``mode="nearest"``,
    bit for bit, faster for long windows.

    Parameters
    ----------
    a : ndarray
        Real values (no NaN: ndimage's rank order of NaN differs).
    size : int
        Window length along ``axis`` (1 along every other axis).
    axis : int
        The axis filtered.

    Returns
    -------
    filtered : ndarray, same shape and dtype
        Each value replaced by the ``size // 2``-th smallest of the window from
        ``size // 2`` before it to ``size - 1 - size // 2`` after it, the edge values
        standing in beyond the ends (ndimage's rank, window and 'nearest' mode).

    Notes
    -----
    A median filter selects one of the window's values, whatever the algorithm, so a
    sort of all windows at once gives ndimage's values; it avoids ndimage's per-sample
    loop, several times slower for windows of tens of samples.
    """
    a = np.moveaxis(np.asarray(a), axis, -1)
    before = size // 2
    padded = np.concatenate([np.repeat(a[..., :1], before, axis=-1), a,
                             np.repeat(a[..., -1:], size - 1 - before, axis=-1)], axis=-1)  # fmt: skip
    windows = sliding_window_view(padded, size, axis=-1)
    out = np.empty(a.shape, dtype=a.dtype)
    # a block of windows at a time: the sorted copies stay small whatever the length
    step = max(1, _MEDIAN_FILTER_BLOCK // max(size * int(np.prod(a.shape[:-1], dtype=np.int64)), 1))
    for t0 in range(0, a.shape[-1], step):
        out[..., t0 : t0 + step] = np.sort(windows[..., t0 : t0 + step, :], axis=-1)[..., before]
    return np.moveaxis(out, -1, axis)


#: Window values sorted at once by :func:`median_filter_nearest` (bounds its memory).
_MEDIAN_FILTER_BLOCK = 1 << 20


def lagged_differences(a: np.ndarray, lag: int, start: int, n: int,
                       threshold: float) -> tuple[np.ndarray, ...]:  # fmt: skip
    """Where the change over ``lag`` samples is at least ``threshold`` in size, and the
    change, exactly as numpy gives them, without forming all the changes.

    With ``d = (a[..., lag:] - a[..., :-lag])[..., start : start + n]``: ``(i, j, k) =
    numpy.nonzero(numpy.abs(d) >= threshold)`` and ``d[i, j, k]``.

    Parameters
    ----------
    a : ndarray, shape (n0, n1, n_times)
        Real values (float64; other dtypes go to numpy), any memory layout.
    lag : int
        Samples the change spans (>= 1).
    start, n : int
        The changes looked at: those from sample ``start`` to ``start + n - 1``.
    threshold : float
        Least absolute change.

    Returns
    -------
    i, j, k : ndarray of intp
        Indices into ``d``, row-major order.
    change : ndarray of float64
        ``d[i, j, k]``.
    """
    a = np.asarray(a)
    kernels = _kernels()
    if (kernels is None or a.ndim != 3 or a.dtype != np.float64 or lag < 1 or start < 0 or n < 0
            or start + n + lag > a.shape[-1]):  # fmt: skip
        d = (a[..., lag:] - a[..., :-lag])[..., start : start + n]
        i, j, k = np.nonzero(np.abs(d) >= threshold)
        return i, j, k, d[i, j, k]
    return kernels[5](a, lag, start, n, np.float64(threshold))


def median_abs_lagged(a: np.ndarray, lag: int, i: np.ndarray, j: np.ndarray) -> np.ndarray:
    """``numpy.median(numpy.abs(d[i, j]), axis=-1)`` with ``d = a[..., lag:] - a[..., :-lag]``,
    bit for bit, without forming ``d``.

    Parameters
    ----------
    a : ndarray, shape (n0, n1, n_times)
        Real values (float64; other dtypes go to numpy), any memory layout.
    lag : int
        Samples the change spans (>= 1).
    i, j : ndarray of int
        The rows whose median absolute change is wanted.

    Returns
    -------
    median : ndarray of float64, shape (len(i),)
        The middle absolute change (the mean of the two middle ones for an even count),
        NaN for a row holding NaN, as numpy gives it.
    """
    a = np.asarray(a)
    i, j = np.asarray(i, dtype=np.intp), np.asarray(j, dtype=np.intp)
    kernels = _kernels()
    if kernels is None or a.ndim != 3 or a.dtype != np.float64 or not 1 <= lag < a.shape[-1]:
        return np.median(np.abs((a[..., lag:] - a[..., :-lag])[i, j]), axis=-1)
    return kernels[8](a, lag, i, j)


def turning_points(x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Local extrema of each row and the steepest step after each, exactly as

    ``ch, i = numpy.nonzero(numpy.diff(numpy.diff(x, axis=1) > 0, axis=1)); i += 1`` and
    ``numpy.maximum.reduceat(numpy.abs(numpy.diff(x, axis=1)).ravel(), ch * (n - 1) + i)``
    give them, in one compiled pass.

    Parameters
    ----------
    x : ndarray, shape (n_rows, n_times)
        Real signals.

    Returns
    -------
    ch, i : ndarray of intp
        Row and sample of each sample where the sign of the slope (rising or not)
        changes, in row-major order.
    run : ndarray
        For each, the largest absolute sample-to-sample change (in ``x``'s dtype) from it
        up to the next one, over the rows laid end to end (as the ``reduceat`` above);
        an empty integer array when there is none.
    """
    x = np.asarray(x)
    kernels = _kernels()
    if kernels is None or x.ndim != 2 or x.shape[1] < 3 or x.dtype not in (np.float32, np.float64):
        ch, i = np.nonzero(np.diff(np.diff(x, axis=1) > 0, axis=1))
        i += 1
        step = np.abs(np.diff(x, axis=1)).ravel()
        return ch, i, (np.maximum.reduceat(step, ch * (x.shape[1] - 1) + i) if len(i) else i)
    ch, i, run = kernels[4](np.ascontiguousarray(x))
    return ch, i, (run if len(i) else i)


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
    kernels = _kernels()
    for r0 in range(0, rows.shape[0], step):
        seg = sliding_window_view(rows[r0 : r0 + step], nperseg, axis=-1)[:, ::hop][:, :n_seg]
        mean = np.mean(seg, axis=-1, keepdims=True)
        if kernels is None:
            spec = sp_fft.rfft((seg - mean) * win, n=nperseg, axis=-1)
            power = np.ascontiguousarray((spec.real**2 + spec.imag**2).swapaxes(-1, -2))  # (row, freq, segment)
            power[:, 1:last] *= 2
        else:  # the same elementwise operations, each output written once
            centred = np.empty(seg.shape, dtype=np.result_type(seg, win))
            kernels[9](seg, mean, win, centred)
            spec = sp_fft.rfft(centred, n=nperseg, axis=-1)
            power = kernels[10](spec, spec.shape[-1] - 1 if last == -1 else spec.shape[-1])
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
    kernels = _kernels()
    if order <= PATTERN_TABLE_MAX_ORDER and kernels is not None and n > 0 and rows.dtype.kind == "f":
        # the same comparisons, codes and table, counted in one compiled pass per row
        table = _pattern_table(order, rows.dtype.str)
        counts = np.zeros((rows.shape[0], order**order), dtype=np.intp)
        kernels[2](np.ascontiguousarray(rows), order, lag, table, counts)
        return counts
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


# ----------------------------------------------------------------- resampling
def resample_poly_edge(x: np.ndarray, up: int, down: int, window: np.ndarray) -> np.ndarray:
    """``scipy.signal.resample_poly(x, up, down, axis=-1, window=window, padtype="edge")``,
    bit for bit, faster.

    Parameters
    ----------
    x : ndarray, shape (..., n_times)
        Real signals, float32 or float64.
    up, down : int
        Coprime resampling factors; the compiled path decimates (``up == 1``, e.g. 256 or
        512 Hz to 128 Hz), other factors go to scipy.
    window : ndarray, shape (n_taps,)
        The FIR filter, at the upsampled rate (as scipy takes it: scaled by ``up`` here).

    Returns
    -------
    y : ndarray, shape (..., ceil(n_times * up / down)), C-contiguous
        In the dtype scipy gives (``numpy.result_type(window, x, numpy.float32)``).

    Notes
    -----
    scipy's polyphase loop (``upfirdn``) computes one output sample of one signal at a
    time as a running sum, oldest input sample first, starting from zero, with the
    signal's first and last values standing in beyond its ends. :func:`_kernels`'
    ``polyphase`` adds the same products in the same order, for all output samples of a
    signal side by side (vector lanes), and only for those ``resample_poly`` keeps. Other input, no numba, or a
    scipy that differs in any bit (checked once per setting) goes to scipy itself.
    """
    x, window = np.asarray(x), np.asarray(window)
    up, down = int(up), int(down)
    ok = (x.ndim >= 1 and x.size > 0 and window.ndim == 1 and window.size > 0 and up == 1 and down > 1
          and math.gcd(up, down) == 1 and x.dtype in (np.float32, np.float64)
          and window.dtype in (np.float32, np.float64))  # fmt: skip
    if not ok or not _resample_matches_scipy(up, down, window.tobytes(), window.dtype.str, x.dtype.str):
        return signal.resample_poly(x, up, down, axis=-1, window=window, padtype="edge")
    return _resample_poly_edge(x, up, down, window)


def centred_resample_poly_edge(x: np.ndarray, offset: np.ndarray, up: int, down: int,
                               window: np.ndarray) -> np.ndarray:  # fmt: skip
    """``resample_poly_edge((x - offset).astype(numpy.float32), up, down, window)``, the
    subtraction and rounding done while the compiled path reads the signal.

    Parameters
    ----------
    x : ndarray of float64, shape (..., n_times)
        Signals.
    offset : ndarray of float64, shape (..., 1)
        Subtracted from each signal (e.g. its mean) before rounding to float32.
    up, down : int
        As :func:`resample_poly_edge`.
    window : ndarray, shape (n_taps,)
        As :func:`resample_poly_edge`.

    Returns
    -------
    y : ndarray
        As :func:`resample_poly_edge` gives it for the float32 signals.
    """
    x, window = np.asarray(x), np.asarray(window)
    offset = np.asarray(offset)
    ok = (x.dtype == np.float64 and offset.dtype == np.float64 and x.ndim >= 1 and x.size > 0
          and offset.shape == (*x.shape[:-1], 1) and window.ndim == 1 and window.size > 0 and int(up) == 1
          and int(down) > 1 and window.dtype in (np.float32, np.float64)
          and _resample_matches_scipy(int(up), int(down), window.tobytes(), window.dtype.str, "<f4"))  # fmt: skip
    if not ok:
        return resample_poly_edge((x - offset).astype(np.float32), up, down, window)
    return _resample_poly_edge(x, int(up), int(down), window, offset)


def _resample_poly_edge(x: np.ndarray, up: int, down: int, window: np.ndarray,
                        offset: np.ndarray | None = None) -> np.ndarray:  # fmt: skip
    """The compiled path; with ``offset``, of ``(x - offset).astype(float32)``."""
    dtype = np.result_type(window, x if offset is None else np.float32, np.float32)
    n_in = x.shape[-1]
    n_out = -(-n_in * up // down)
    # the filter as resample_poly prepares it: scaled by up, zeros before and after
    h = window.astype(window.dtype, copy=True)
    h *= up
    half_len = (window.size - 1) // 2
    n_pre_pad = down - half_len % down
    n_pre_remove = (half_len + n_pre_pad) // down
    n_post_pad = 0
    while _upfirdn_len(h.size + n_pre_pad + n_post_pad, n_in, up, down) < n_out + n_pre_remove:
        n_post_pad += 1
    h = np.concatenate((np.zeros(n_pre_pad, dtype=h.dtype), h, np.zeros(n_post_pad, dtype=h.dtype)))
    h = np.asarray(h, dtype)
    # upfirdn's arrangement: per phase, that phase's taps, last first
    h_full = np.zeros(h.size + (-h.size % up), dtype=dtype)
    h_full[: h.size] = h
    per_phase = h_full.size // up
    h_flip = np.ascontiguousarray(h_full.reshape(-1, up).T[:, ::-1].ravel())
    rows = np.ascontiguousarray(x.reshape(-1, n_in))
    # the input with per_phase samples of 'edge' extension (the end values stand in beyond
    # the ends) on each side, split into its `down` phases: ext[r, p, i] = sample i down + p
    n_ext = -(-(n_in + 2 * per_phase) // down) * down
    ext = _scratch(rows.shape[0] * down, n_ext // down, dtype).reshape(rows.shape[0], down, n_ext // down)
    if offset is None:
        _kernels()[6](rows, per_phase, ext)
    else:
        _kernels()[7](rows, np.ascontiguousarray(offset.reshape(-1)), per_phase, ext)
    out = np.zeros((rows.shape[0], n_out), dtype=dtype)
    _kernels()[3](ext, h_flip, down, per_phase, n_pre_remove, out)
    return out.reshape(*x.shape[:-1], n_out)


def _upfirdn_len(len_h: int, n_in: int, up: int, down: int) -> int:
    """Output length of ``scipy.signal.upfirdn``."""
    return ((n_in - 1) * up + len_h - 1) // down + 1


@functools.lru_cache(maxsize=16)
def _resample_matches_scipy(up: int, down: int, window: bytes, w_dtype: str, x_dtype: str) -> bool:
    """Whether :func:`_resample_poly_edge` gives scipy's ``resample_poly`` bit for bit for
    this setting (checked once on seeded test signals of a few lengths)."""
    if _kernels() is None or up != 1:
        return False
    w = np.frombuffer(window, dtype=w_dtype)
    rng = np.random.default_rng(0)
    try:
        for n in (1, 2, max(w.size // 3, 3), 3 * w.size + 7, 4 * up * down + 1):
            x = (rng.standard_normal((3, n)) * 50 + 20).astype(x_dtype)
            got = _resample_poly_edge(x, up, down, w)
            ref = signal.resample_poly(x, up, down, axis=-1, window=w, padtype="edge")
            if got.dtype != ref.dtype or not np.array_equal(got, ref):
                return False
            x64 = x.astype(np.float64) * 1.37 + 1e-3
            mean = x64.mean(axis=-1, keepdims=True)
            got = _resample_poly_edge(x64, up, down, w, mean)
            ref = signal.resample_poly((x64 - mean).astype(np.float32), up, down, axis=-1, window=w,
                                       padtype="edge")  # fmt: skip
            if got.dtype != ref.dtype or not np.array_equal(got, ref):
                return False
    except Exception:  # noqa: BLE001 - anything unexpected: use scipy itself
        return False
    return True


# ----------------------------------------------------------------- IIR filtering
#: Lanes (signals) filtered side by side are padded to a multiple of this many bytes (one
#: 512-bit vector): the compiled loop then runs on whole vectors only.
_LANE_BYTES = 64
#: Samples (and signals) per tile when signals are moved to and from the lanes.
_TILE = 64


def sosfilt(sos: np.ndarray, x: np.ndarray, axis: int = -1) -> np.ndarray:
    """``scipy.signal.sosfilt(sos, x, axis=axis)`` (no initial state), bit for bit, faster.

    Parameters
    ----------
    sos : ndarray, shape (n_sections, 6)
        Second-order sections (``a0 == 1``).
    x : ndarray, shape (..., n_times)
        Real signals, float32 or float64; filtered along ``axis`` (the last).
    axis : int
        Must be the last axis (others go to scipy).

    Returns
    -------
    y : ndarray, same shape, C-contiguous
        In the dtype scipy gives (``numpy.result_type(sos, x)``).

    Notes
    -----
    scipy's compiled loop runs one signal at a time, so every sample waits for the
    previous one to leave each section (a chain of dependent multiplications and
    additions). The compiled ``forward`` of :func:`_kernels` runs the same direct-form II
    transposed recursion,
    with the same operations in the same order (``x_new = b0 x + z0``, ``z0 = b1 x -
    a1 x_new + z1``, ``z1 = b2 x - a2 x_new``, no fused multiply-add) on all signals at
    once, one vector lane per signal: the same numbers, several times faster. Other input,
    no numba, or a scipy that differs in any bit (checked once per dtype on a test signal)
    goes to scipy itself.
    """
    sos, x = np.asarray(sos), np.asarray(x)
    dtype = _sos_dtype(sos, x, axis)
    if dtype is None:
        return signal.sosfilt(sos, x, axis=axis)
    return _sosfilt(sos, x, dtype)


def sosfiltfilt(sos: np.ndarray, x: np.ndarray, axis: int = -1) -> np.ndarray:
    """``scipy.signal.sosfiltfilt(sos, x, axis=axis)`` (odd padding, default length), bit
    for bit, faster.

    Parameters
    ----------
    sos : ndarray, shape (n_sections, 6)
        Second-order sections (``a0 == 1``).
    x : ndarray, shape (..., n_times)
        Real signals, float32 or float64; filtered along ``axis`` (the last).
    axis : int
        Must be the last axis (others go to scipy).

    Returns
    -------
    y : ndarray, same shape
        In the dtype scipy gives, and laid out as scipy lays it out (a time-reversed view
        of the backward pass's output), so that later sums add in the same order.

    Notes
    -----
    The padding, the initial states (``scipy.signal.sosfilt_zi`` times the first sample
    of each pass) and both passes are scipy's, the passes run as in :func:`sosfilt`.
    """
    sos, x = np.asarray(sos), np.asarray(x)
    dtype = _sos_dtype(sos, x, axis)
    if dtype is None:
        return signal.sosfiltfilt(sos, x, axis=axis)
    return _sosfiltfilt(sos, x, dtype)


def _sos_dtype(sos: np.ndarray, x: np.ndarray, axis: int):
    """The working dtype when the compiled path applies and matches scipy, else None."""
    if (sos.ndim != 2 or sos.shape[1] != 6 or x.ndim == 0 or x.size == 0 or axis not in (-1, x.ndim - 1)
            or sos.dtype not in (np.float32, np.float64) or x.dtype not in (np.float32, np.float64)):  # fmt: skip
        return None
    dtype = np.result_type(sos, x)
    return dtype if _sos_matches_scipy(sos.dtype.str, x.dtype.str) else None


def _sosfilt(sos: np.ndarray, x: np.ndarray, dtype: np.dtype) -> np.ndarray:
    rows = np.ascontiguousarray(x.reshape(-1, x.shape[-1]))
    out = np.empty(rows.shape, dtype=dtype)
    buf = _scratch(rows.shape[1], _lane_count(rows.shape[0], dtype), dtype)
    _kernels()[0](np.ascontiguousarray(sos, dtype=dtype), rows, buf, out)
    return out.reshape(x.shape)


def _sosfiltfilt(sos: np.ndarray, x: np.ndarray, dtype: np.dtype) -> np.ndarray:
    n_sections = sos.shape[0]
    # scipy's default padding: 3 x (2 n_sections + 1) taps, less trailing zeros
    n_taps = 2 * n_sections + 1 - min(int((sos[:, 2] == 0).sum()), int((sos[:, 5] == 0).sum()))
    edge, n = 3 * n_taps, x.shape[-1]
    if n <= edge:
        raise ValueError(f"The length of the input vector x must be greater than padlen, which is {edge}.")
    # the signals as (p, q, n), any memory layout: the kernel reads them where they are
    sig = x.reshape(-1, *x.shape[-2:]) if x.ndim >= 3 else x.reshape(1, -1, n)
    zi = np.ascontiguousarray(_sosfilt_zi(sos.tobytes(), sos.dtype.str, sos.shape), dtype=dtype)
    # the backward pass's output in its own (reversed) time order, C-contiguous, then
    # reversed and cut: the layout scipy returns
    n_sig = sig.shape[0] * sig.shape[1]
    out = np.empty((n_sig, n + 2 * edge), dtype=dtype)
    buf = _scratch(n + 2 * edge, _lane_count(n_sig, dtype), dtype)
    _kernels()[1](np.ascontiguousarray(sos, dtype=dtype), sig, zi, edge, buf, out)
    out = out.reshape(*x.shape[:-1], -1)[..., ::-1]
    return out[..., edge:-edge] if edge else out


_SCRATCH = threading.local()
#: Largest working array kept between calls (a 5-minute chunk of 19 channels at 512 Hz).
_SCRATCH_MAX_BYTES = 16 << 20


def _scratch(n_rows: int, width: int, dtype: np.dtype) -> np.ndarray:
    """A (n_rows, width) working array of this thread, reused from call to call: a fresh
    one of several MB costs a page fault per 4 kB on every call. Grows up to
    :data:`_SCRATCH_MAX_BYTES` (larger ones are allocated each time); one at a time."""
    dtype = np.dtype(dtype)
    need = n_rows * width * dtype.itemsize
    if need > _SCRATCH_MAX_BYTES:
        return np.empty((n_rows, width), dtype=dtype)
    store = getattr(_SCRATCH, "buf", None)
    if store is None or store.nbytes < need + 64:
        store = np.empty(need + 64, dtype=np.uint8)
        _SCRATCH.buf = store
    start = -store.ctypes.data % 64  # a 64-byte (vector) aligned start
    return store[start : start + need].view(dtype).reshape(n_rows, width)


def _lane_count(n_signals: int, dtype: np.dtype) -> int:
    """Vector lanes for ``n_signals`` signals: rounded up to whole vectors."""
    width = max(_LANE_BYTES // np.dtype(dtype).itemsize, 1)
    return -(-n_signals // width) * width


@functools.lru_cache(maxsize=32)
def _sosfilt_zi(sos_bytes: bytes, dtype: str, shape: tuple[int, int]) -> np.ndarray:
    """``scipy.signal.sosfilt_zi`` of a design (cached; read-only)."""
    zi = signal.sosfilt_zi(np.frombuffer(sos_bytes, dtype=dtype).reshape(shape))
    zi.setflags(write=False)
    return zi


@functools.lru_cache(maxsize=1)
def _kernels():
    """The compiled loops (numba, cached on disk), or None without numba."""
    try:
        import numba
    except ImportError:  # pragma: no cover - numba is a dependency; scipy otherwise
        return None

    jit = numba.njit(cache=True, nogil=True, fastmath=False, error_model="numpy")

    @jit
    def forward(sos, x, buf, out):  # pragma: no cover - compiled
        # out = scipy's sosfilt of each row of x (zero initial state), the rows side by
        # side in the vector lanes of buf (n, width; the spare lanes filter zeros); per
        # time step and section, scipy's recursion on every lane
        n_sig, n = x.shape
        width = buf.shape[1]
        buf[:, n_sig:] = 0
        for t0 in range(0, n, _TILE):  # in tiles that stay in the CPU's cache
            for j0 in range(0, n_sig, _TILE):
                for j in range(j0, min(j0 + _TILE, n_sig)):
                    src = x[j]
                    for t in range(t0, min(t0 + _TILE, n)):
                        buf[t, j] = src[t]
        z0 = np.zeros((sos.shape[0], width), dtype=out.dtype)
        z1 = np.zeros((sos.shape[0], width), dtype=out.dtype)
        for t in range(n):
            row = buf[t]
            for s in range(sos.shape[0]):
                b0, b1, b2, a1, a2 = sos[s, 0], sos[s, 1], sos[s, 2], sos[s, 4], sos[s, 5]
                w0, w1 = z0[s], z1[s]
                for j in range(width):
                    x_cur = row[j]
                    x_new = b0 * x_cur + w0[j]
                    w0[j] = b1 * x_cur - a1 * x_new + w1[j]
                    w1[j] = b2 * x_cur - a2 * x_new
                    row[j] = x_new
        for t0 in range(0, n, _TILE):
            for j0 in range(0, n_sig, _TILE):
                for j in range(j0, min(j0 + _TILE, n_sig)):
                    dst = out[j]
                    for t in range(t0, min(t0 + _TILE, n)):
                        dst[t] = buf[t, j]

    @jit
    def filtfilt(sos, x, zi, edge, buf, out):  # pragma: no cover - compiled
        # scipy's sosfiltfilt of each signal x[a, b]: the odd extension by edge samples (in
        # x's dtype), forward from zi * its first sample, backward from zi * the last
        # forward output; out (p q, n + 2 edge) gets the backward output in its own
        # (reversed) time order. The signals run side by side in the vector lanes of buf
        # (n + 2 edge, width; the spare lanes filter zeros).
        p, q, n = x.shape
        n_ext, width = n + 2 * edge, buf.shape[1]
        buf[:, p * q :] = 0
        if x.strides[1] <= x.strides[2]:  # signals side by side in memory (epochs cut
            for a in range(p):  # from a chunk): read them so, a time step at a time
                for t in range(n_ext):
                    i, row = t - edge, buf[t]
                    if i < 0:
                        for b in range(q):
                            row[a * q + b] = (x[a, b, 0] + x[a, b, 0]) - x[a, b, -i]
                    elif i >= n:
                        for b in range(q):
                            row[a * q + b] = (x[a, b, n - 1] + x[a, b, n - 1]) - x[a, b, 2 * n - 2 - i]
                    else:
                        for b in range(q):
                            row[a * q + b] = x[a, b, i]
        else:
            for t0 in range(0, n_ext, _TILE):  # in tiles that stay in the CPU's cache
                t1 = min(t0 + _TILE, n_ext)
                for a in range(p):
                    for b in range(q):
                        src, j = x[a, b], a * q + b
                        for t in range(t0, t1):
                            i = t - edge
                            if i < 0:
                                buf[t, j] = (src[0] + src[0]) - src[-i]
                            elif i >= n:
                                buf[t, j] = (src[n - 1] + src[n - 1]) - src[2 * n - 2 - i]
                            else:
                                buf[t, j] = src[i]
        n_sig = p * q
        z0 = np.empty((sos.shape[0], width), dtype=out.dtype)
        z1 = np.empty((sos.shape[0], width), dtype=out.dtype)
        for s in range(sos.shape[0]):
            for j in range(width):
                z0[s, j] = zi[s, 0] * buf[0, j]
                z1[s, j] = zi[s, 1] * buf[0, j]
        for t in range(n_ext):
            row = buf[t]
            for s in range(sos.shape[0]):
                b0, b1, b2, a1, a2 = sos[s, 0], sos[s, 1], sos[s, 2], sos[s, 4], sos[s, 5]
                w0, w1 = z0[s], z1[s]
                for j in range(width):
                    x_cur = row[j]
                    x_new = b0 * x_cur + w0[j]
                    w0[j] = b1 * x_cur - a1 * x_new + w1[j]
                    w1[j] = b2 * x_cur - a2 * x_new
                    row[j] = x_new
        for s in range(sos.shape[0]):
            for j in range(width):
                z0[s, j] = zi[s, 0] * buf[n_ext - 1, j]
                z1[s, j] = zi[s, 1] * buf[n_ext - 1, j]
        for k in range(n_ext):
            row = buf[n_ext - 1 - k]
            for s in range(sos.shape[0]):
                b0, b1, b2, a1, a2 = sos[s, 0], sos[s, 1], sos[s, 2], sos[s, 4], sos[s, 5]
                w0, w1 = z0[s], z1[s]
                for j in range(width):
                    x_cur = row[j]
                    x_new = b0 * x_cur + w0[j]
                    w0[j] = b1 * x_cur - a1 * x_new + w1[j]
                    w1[j] = b2 * x_cur - a2 * x_new
                    row[j] = x_new
            for j in range(n_sig):
                out[j, k] = row[j]

    @jit
    def pattern_counts(rows, order, lag, table, counts):  # pragma: no cover - compiled
        # counts[r, table[code]] += 1 for the base-3 comparison code of every window, the
        # code built as _comparison_code builds it (int32: order <= 5 needs 3 ** 10)
        n = rows.shape[1] - (order - 1) * lag
        code = np.empty(n, dtype=np.int32)
        for r in range(rows.shape[0]):
            x = rows[r]
            code[:] = 0
            k = 1
            for i in range(order):
                for j in range(i + 1, order):
                    xi, xj = x[i * lag : i * lag + n], x[j * lag : j * lag + n]
                    for t in range(n):
                        code[t] += np.int32(k) * (np.int32(xi[t] > xj[t]) - np.int32(xi[t] < xj[t]))
                    k *= 3
            half = (k - 1) // 2
            for t in range(n):
                counts[r, table[code[t] + half]] += 1

    @jit
    def polyphase(ext, h_flip, down, n_taps, first, out):  # pragma: no cover - compiled
        # decimation (up = 1): out[r, q] = upfirdn output first + q of row r, the sum from
        # zero of input sample times tap, oldest sample first; all outputs of a row are
        # summed side by side, one tap at a time, each in the same order as alone. ext
        # holds each row, from n_taps samples before it, split into its down phases.
        n_out = out.shape[1]
        for r in range(ext.shape[0]):
            y = out[r]
            for i in range(n_taps):
                tap = h_flip[i]
                at = first * down + 1 + i  # sample of output 0, in ext's time
                src = ext[r, at % down, at // down : at // down + n_out]  # (a slice: no
                for u in range(n_out):  # negative-index check, so the loop vectorizes)
                    y[u] = y[u] + src[u] * tap

    @jit
    def turning(x):  # pragma: no cover - compiled
        # see turning_points: one pass over the slopes x[t + 1] - x[t] (in x's dtype) of
        # the rows end to end; a turning point closes the previous one's run of steps.
        # Branch-free: every step writes the open run's maximum and a candidate entry,
        # which the next step overwrites unless a turning point advanced k.
        n_rows, n = x.shape
        size = n_rows * (n - 2)
        ch = np.empty(size + 1, dtype=np.intp)
        at = np.empty(size + 1, dtype=np.intp)
        run = np.empty(size + 1, dtype=x.dtype)
        k = 0
        best = x.dtype.type(0)
        for r in range(n_rows):
            row = x[r]
            rising = row[1] - row[0] > 0
            step = abs(row[1] - row[0])
            best = max(best, step)  # the open run (if any) goes on into this row
            for t in range(1, n - 1):
                d = row[t + 1] - row[t]
                step = abs(d)
                now = d > 0
                turn = now != rising
                run[max(k - 1, 0)] = best
                ch[k], at[k] = r, t
                best = step if turn else max(best, step)
                k += turn
                rising = now
        if k > 0:
            run[k - 1] = best
        return ch[:k], at[:k], run[:k]

    @jit
    def lagged_at_least(a, lag, start, n, threshold):  # pragma: no cover - compiled
        # see lagged_differences: count, then fill, in row-major order
        n0, n1 = a.shape[0], a.shape[1]
        count = 0
        for i in range(n0):
            for j in range(n1):
                row = a[i, j]
                for k in range(n):
                    count += abs(row[start + k + lag] - row[start + k]) >= threshold
        out_i = np.empty(count, dtype=np.intp)
        out_j = np.empty(count, dtype=np.intp)
        out_k = np.empty(count, dtype=np.intp)
        change = np.empty(count, dtype=a.dtype)
        m = 0
        for i in range(n0):
            for j in range(n1):
                row = a[i, j]
                for k in range(n):
                    d = row[start + k + lag] - row[start + k]
                    if abs(d) >= threshold:
                        out_i[m], out_j[m], out_k[m], change[m] = i, j, k, d
                        m += 1
        return out_i, out_j, out_k, change

    @jit
    def split_phases(rows, pad, ext):  # pragma: no cover - compiled
        # ext[r, p, i] = sample i down + p of row r, from pad samples before it, the end
        # values standing in beyond the ends (cast to ext's dtype)
        n, down, n_i = rows.shape[1], ext.shape[1], ext.shape[2]
        for r in range(rows.shape[0]):
            for p in range(down):
                dst = ext[r, p]
                for i in range(n_i):
                    dst[i] = rows[r, min(max(i * down + p - pad, 0), n - 1)]

    @jit
    def split_phases_centred(rows, offset, pad, ext):  # pragma: no cover - compiled
        # as split_phases, of float32(rows[r] - offset[r]) (numpy's subtraction and cast),
        # in one pass over each row
        n, down, n_i = rows.shape[1], ext.shape[1], ext.shape[2]
        for r in range(rows.shape[0]):
            src, off, dst = rows[r], offset[r], ext[r]
            first, last = np.float32(src[0] - off), np.float32(src[n - 1] - off)
            for i in range(n_i):
                c0 = i * down - pad
                if c0 >= 0 and c0 + down <= n:
                    for p in range(down):
                        dst[p, i] = np.float32(src[c0 + p] - off)
                else:
                    for p in range(down):
                        c = c0 + p
                        dst[p, i] = first if c < 0 else (last if c >= n else np.float32(src[c] - off))

    @jit
    def median_abs_lag(a, lag, rows_i, rows_j):  # pragma: no cover - compiled
        # per row: |a[t + lag] - a[t]| into a scratch row, numba's median (quickselect: the
        # same middle value(s), averaged as (a + b) / 2 for even counts), NaN if any is NaN
        n = a.shape[2] - lag
        out = np.empty(len(rows_i), dtype=np.float64)
        scratch = np.empty(n, dtype=a.dtype)
        for q in range(len(rows_i)):
            row = a[rows_i[q], rows_j[q]]
            nan = False
            for t in range(n):
                v = abs(row[t + lag] - row[t])
                nan |= v != v
                scratch[t] = v
            out[q] = np.nan if nan else np.median(scratch)
        return out

    @jit
    def centre_window(seg, mean, win, out):  # pragma: no cover - compiled
        # (seg - mean) * win as numpy computes it: the difference in seg's dtype, the
        # product in out's (the result dtype of it and the window's)
        for a in range(seg.shape[0]):
            for b in range(seg.shape[1]):
                m, src, dst = mean[a, b, 0], seg[a, b], out[a, b]
                for i in range(src.shape[0]):
                    dst[i] = out.dtype.type(src[i] - m) * win[i]

    @jit
    def power_of(spec, stop):  # pragma: no cover - compiled
        # re ** 2 + im ** 2, as (row, freq, segment), doubled at frequencies 1 .. stop - 1
        n_r, n_s, n_f = spec.shape
        out = np.empty((n_r, n_f, n_s), dtype=spec.real.dtype)
        for a in range(n_r):
            for b in range(n_s):
                for f in range(n_f):
                    c = spec[a, b, f]
                    p = c.real**2 + c.imag**2
                    out[a, f, b] = p * 2 if 1 <= f < stop else p
        return out

    return (forward, filtfilt, pattern_counts, polyphase, turning, lagged_at_least, split_phases,
            split_phases_centred, median_abs_lag, centre_window, power_of)


@functools.lru_cache(maxsize=8)
def _sos_matches_scipy(sos_dtype: str, x_dtype: str) -> bool:
    """Whether the compiled path gives scipy's ``sosfilt`` and ``sosfiltfilt`` bit for bit
    (checked once per pair of dtypes on seeded test signals and filters)."""
    if _kernels() is None:
        return False
    rng = np.random.default_rng(0)
    x = (rng.standard_normal((2, 3, 301)) * 50).astype(x_dtype)
    sos = np.vstack([signal.butter(2, 0.05, "highpass", output="sos"), signal.butter(4, 0.6, output="sos"),
                     signal.tf2sos(*signal.iirnotch(0.4, 20))]).astype(sos_dtype)  # fmt: skip
    dtype = np.result_type(sos, x)
    try:
        got = (_sosfilt(sos, x, dtype), _sosfiltfilt(sos, x, dtype))
    except Exception:  # noqa: BLE001 - anything unexpected: use scipy itself
        return False
    ref = (signal.sosfilt(sos, x, axis=-1), signal.sosfiltfilt(sos, x, axis=-1))
    return all(g.dtype == r.dtype and g.strides == r.strides and np.array_equal(g, r)
               for g, r in zip(got, ref, strict=True))  # fmt: skip
