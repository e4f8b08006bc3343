"""The performance work changed no result: fast paths equal the computations they
replace, chunked processing equals whole-file processing, and eegpipe's features equal
mne-features' where the two define the same thing. No timing is asserted here
(``benchmarks/`` measures speed).

Simulator seeds 800-899 are reserved for these tests (benchmarks/README.md).
"""

from __future__ import annotations

import copy
import itertools

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from scipy import ndimage, signal

from eegpipe import features as F
from eegpipe import spikes as S
from eegpipe._numeric import (
    _comparison_code,
    _kernels,
    _pattern_table,
    _welch,
    _welch_matches_scipy,
    centred_resample_poly_edge,
    lagged_differences,
    median_abs_lagged,
    median_filter_nearest,
    median_last,
    ordinal_pattern_counts,
    percentile_last,
    resample_poly_edge,
    sosfilt,
    sosfiltfilt,
    turning_points,
    welch,
)
from eegpipe.artifacts import (
    EMG_BAND_HZ,
    EMG_BURST_RISE,
    EMG_FLATNESS,
    EMG_MIN_UV,
    EMG_N_TAPERS,
    EMG_REF_BAND_HZ,
    EMG_TAPER_NW,
    EMG_TONIC_FLATNESS,
    _emg_band_powers,
    _emg_windows,
)
from eegpipe.io import load_recording
from eegpipe.pipeline import analyse
from eegpipe.preprocess import (
    PAD_S,
    WORK_SFREQ,
    _antialias_fir,
    _iir_sos,
    average_reference,
    bipolar,
    detect_line_frequency,
    filter_resample,
    find_bad_channels,
    resample_factors,
    survey_channels,
)
from eegpipe.spikes import _measure, _measure_flanks, _rhythmic, detect_spikes, muscle_level
from eegpipe.summary import _REGION_OF, event_regions, summarize

from .conftest import REAL_EDF, needs_real_edf

#: A 6-minute hypsarrhythmia recording at 256 Hz, with muscle and other artifacts.
SEED, MINUTES = 800, 6


@pytest.fixture(scope="module")
def recording_path(tmp_path_factory):
    from eegpipe.simulate import simulate_to_edf

    return simulate_to_edf(tmp_path_factory.mktemp("perf") / "hyps.edf", "hypsarrhythmia", seed=SEED,
                           duration_s=MINUTES * 60, sfreq=256)  # fmt: skip


@pytest.fixture(scope="module")
def epochs(recording_path):
    """(average-referenced epochs, bipolar epochs, channel names) at the working rate."""
    rec = load_recording(recording_path)
    x = rec.raw.get_data() * 1e6
    y = filter_resample(x, rec.sfreq, line_freq=detect_line_frequency(x, rec.sfreq))
    n = int(10 * WORK_SFREQ)
    k = y.shape[1] // n
    ref = y[:, : k * n].reshape(len(y), k, n).transpose(1, 0, 2)
    return average_reference(ref), bipolar(ref, rec.ch_names)[0], ref, rec.ch_names


# -- fast paths equal what they replace -------------------------------------------------
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("n_times, nperseg", [(1280, 256), (1280, 255), (3000, 512), (700, 256), (256, 256)])
def test_welch_is_scipy_welch_bit_for_bit(epochs, dtype, n_times, nperseg):
    if not _welch_matches_scipy(nperseg, 128.0, np.dtype(dtype).str):
        pytest.skip("this scipy computes welch otherwise; eegpipe then calls scipy's own")
    x = epochs[0][:, :, :n_times].astype(dtype)
    f_ref, p_ref = signal.welch(x, fs=128.0, nperseg=nperseg, noverlap=nperseg // 2, axis=-1)
    for f, p in (_welch(x, 128.0, nperseg), welch(x, 128.0, nperseg)):  # the fast path, and its entry
        assert p.dtype == p_ref.dtype
        assert_array_equal(f, f_ref)
        assert_array_equal(p, p_ref)


def test_median_last_is_numpy_median_bit_for_bit():
    rng = np.random.default_rng(801)
    for n in (1, 2, 7, 8, 9, 32, 33, 1277):
        for dtype in (np.float32, np.float64, np.int64):
            a = (rng.normal(size=(5, 3, n)) * 100).astype(dtype)
            assert_array_equal(median_last(a), np.median(a, axis=-1))
    a = rng.normal(size=(4, 10))
    a[1, 3] = np.nan
    assert_array_equal(median_last(a), np.median(a, axis=-1))  # NaN where the row has one


def _argsort_codes(x, order, lag):
    n = x.shape[-1] - (order - 1) * lag
    parts = np.stack([x[..., i * lag : i * lag + n] for i in range(order)], axis=-1)
    return (np.argsort(parts, axis=-1) * (order ** np.arange(order))).sum(-1)


@pytest.mark.parametrize("order", [3, 4, 5])
def test_permutation_patterns_are_argsorts_ties_included(epochs, order):
    x = epochs[0][:4]
    coarse = np.round(x / 20.0).astype(np.float32)  # many equal samples: ties decide
    for data in (x, coarse):
        rows = data.reshape(-1, data.shape[-1])
        n = rows.shape[-1] - (order - 1) * 2
        codes = _pattern_table(order, rows.dtype.str)[_comparison_code(rows, order, 2, n)]
        assert_array_equal(codes, _argsort_codes(rows, order, 2))
    # and the entropy equals the straightforward argsort + histogram computation
    codes = _argsort_codes(coarse, order, 2)
    counts = np.zeros((*codes.shape[:-1], order**order))
    for idx in itertools.product(*map(range, codes.shape[:-1])):
        counts[idx] = np.bincount(codes[idx], minlength=order**order)
    p = counts / codes.shape[-1]
    h = -(p * np.log(np.where(p > 0, p, 1.0))).sum(-1) / np.log(float(np.prod(np.arange(1, order + 1))))
    assert_array_equal(F.permutation_entropy(coarse, 128.0, order=order), h)


def test_amplitude_features_equal_the_single_functions(epochs):
    bip = epochs[1]
    got = F.amplitude_features(bip, WORK_SFREQ)
    w = bip[..., : bip.shape[-1] // 128 * 128].reshape(*bip.shape[:-1], -1, 128)
    assert_array_equal(got["ptp_uv"], np.median(w.max(-1) - w.min(-1), axis=-1))
    assert_array_equal(got["max_ptp_uv"], F.max_peak_to_peak(bip, WORK_SFREQ))
    assert_array_equal(got["rms_uv"], F.rms(bip, WORK_SFREQ))
    assert_array_equal(got["high_voltage_share"], F.high_voltage_share(bip, WORK_SFREQ))
    assert_array_equal(got["line_length_uv_per_s"], F.line_length(bip, WORK_SFREQ))
    assert got["high_voltage_share"].max() > 0  # hypsarrhythmia: the 200-µV test is exercised


def test_global_correlation_equals_full_einsum(epochs):
    delta = F.band_filter(epochs[0], WORK_SFREQ, (0.5, 4.0))
    x = delta - delta.mean(-1, keepdims=True)
    x = x / np.maximum(np.sqrt((x**2).sum(-1, keepdims=True)), 1e-12)
    c = np.einsum("ect,edt->ecd", x, x)
    expected = np.abs(c[:, ~np.eye(c.shape[-1], dtype=bool)]).mean(-1)
    assert_array_equal(F.global_correlation(delta), expected)


def test_emg_windows_equal_the_multitaper_fft(epochs):
    x = epochs[2].astype(np.float64)
    n_win = int(round(0.5 * WORK_SFREQ))
    seg = np.lib.stride_tricks.sliding_window_view(x, n_win, axis=-1)[..., :: n_win // 2, :]
    seg = seg - seg.mean(axis=-1, keepdims=True)
    tapers = signal.windows.dpss(n_win, EMG_TAPER_NW, EMG_N_TAPERS)
    power = sum(np.abs(np.fft.rfft(seg * t, axis=-1)) ** 2 for t in tapers) / len(tapers)
    freqs = np.fft.rfftfreq(n_win, 1.0 / WORK_SFREQ)
    hi = power[..., (freqs >= EMG_BAND_HZ[0]) & (freqs <= EMG_BAND_HZ[1])].mean(-1)
    ref = power[..., (freqs >= EMG_REF_BAND_HZ[0]) & (freqs <= EMG_REF_BAND_HZ[1])].mean(-1)
    assert_allclose(_emg_band_powers(x, WORK_SFREQ), (hi, ref), rtol=1e-9, atol=1e-9)

    def muscle_like(h, r, flatness):
        return (np.sqrt(h * 2.0 / WORK_SFREQ * np.ptp(EMG_BAND_HZ)) >= EMG_MIN_UV) & (h >= flatness * r)

    tonic = muscle_like(hi.mean(-1, keepdims=True), ref.mean(-1, keepdims=True), EMG_TONIC_FLATNESS)
    burst = hi >= EMG_BURST_RISE * np.median(hi, axis=-1, keepdims=True)
    expected = muscle_like(hi, ref, EMG_FLATNESS) & (burst | tonic)
    got = _emg_windows(x, WORK_SFREQ)
    assert expected.any() and not expected.all()  # the simulated muscle is found
    assert_array_equal(got, expected)


needs_numba = pytest.mark.skipif(_kernels() is None, reason="numba missing: scipy and numpy are called themselves")


def _filter_designs():
    """The pipeline's IIR designs: band-pass + notches, delta band, eye low-pass, EMG."""
    return [_iir_sos(128.0, 50.0, 128.0), _iir_sos(128.0, 60.0, 128.0), _iir_sos(128.0, None, 100.0),
            signal.butter(3, (0.5, 4.0), "bandpass", fs=128.0, output="sos"),
            signal.butter(4, 7.0, fs=128.0, output="sos"), signal.butter(2, 2.5, "highpass", fs=128.0, output="sos"),
            signal.butter(4, 30.0, "highpass", fs=128.0, output="sos")]  # fmt: skip


@needs_numba
@pytest.mark.parametrize("sos_dtype", [np.float32, np.float64])
@pytest.mark.parametrize("x_dtype", [np.float32, np.float64])
def test_sos_filters_are_scipys_bit_for_bit(epochs, sos_dtype, x_dtype):
    """The compiled cascade gives scipy's values, dtype and (for sosfiltfilt) memory
    layout, on contiguous, transposed and short signals."""
    rng = np.random.default_rng(803)
    x = epochs[2].astype(x_dtype)
    cut = np.ascontiguousarray(x.transpose(0, 2, 1)).transpose(0, 2, 1)  # epochs cut from a chunk
    signals = [x, x[:3, :5], np.ascontiguousarray(x[0]), x[0, 0], x.transpose(1, 0, 2)[:, :4], cut, cut[:4, 3:],
               (rng.normal(size=(7, 40)) * 50).astype(x_dtype)]  # fmt: skip
    for sos in _filter_designs():
        sos = sos.astype(sos_dtype)
        for data in signals:
            got, ref = sosfilt(sos, data), signal.sosfilt(sos, data, axis=-1)
            assert got.dtype == ref.dtype and got.shape == ref.shape
            assert_array_equal(got, ref)
            if data.shape[-1] > 3 * (2 * len(sos) + 1):
                got, ref = sosfiltfilt(sos, data), signal.sosfiltfilt(sos, data, axis=-1)
                assert got.dtype == ref.dtype and got.strides == ref.strides
                assert_array_equal(got, ref)


@needs_numba
@pytest.mark.parametrize("sfreq", [200.0, 250.0, 256.0, 500.0, 512.0, 1024.0, 2048.0])
def test_resampling_is_scipys_bit_for_bit(sfreq):
    """Decimation (256, 512 ... Hz) runs compiled; other ratios go to scipy; both give
    scipy.signal.resample_poly's samples, also with the mean subtracted on the way."""
    rng = np.random.default_rng(804)
    up, down = resample_factors(sfreq)
    fir = _antialias_fir(sfreq, up, WORK_SFREQ)
    for n in (1, 2, 3, 37, int(2 * sfreq) + 3, int(11 * sfreq)):
        x = rng.normal(size=(4, n)).cumsum(-1) * 10 + 300
        centred = (x - x.mean(-1, keepdims=True)).astype(np.float32)
        ref = signal.resample_poly(centred, up, down, axis=-1, window=fir, padtype="edge")
        got = resample_poly_edge(centred, up, down, fir)
        assert got.dtype == ref.dtype
        assert_array_equal(got, ref)
        assert_array_equal(centred_resample_poly_edge(x, x.mean(-1, keepdims=True), up, down, fir), ref)


@needs_numba
def test_filter_resample_is_the_scipy_pipeline(recording_path):
    rec = load_recording(recording_path)
    x = rec.raw.get_data(stop=int(70 * rec.sfreq)) * 1e6
    for line in (None, 50.0):
        data = (x - x.mean(-1, keepdims=True)).astype(np.float32)
        up, down = resample_factors(rec.sfreq)
        data = signal.resample_poly(data, up, down, axis=-1, window=_antialias_fir(rec.sfreq, up, WORK_SFREQ),
                                    padtype="edge")  # fmt: skip
        ref = signal.sosfiltfilt(_iir_sos(WORK_SFREQ, line, WORK_SFREQ).copy(), data, axis=-1).astype(np.float32)
        assert_array_equal(filter_resample(x, rec.sfreq, line_freq=line), ref)


@needs_numba
def test_compiled_pattern_counts_equal_numpys(epochs):
    x = epochs[0][:3].reshape(-1, epochs[0].shape[-1])
    for data in (x, np.round(x / 20.0)):  # ties
        for order, lag in ((3, 1), (4, 2), (5, 3)):
            n = data.shape[-1] - (order - 1) * lag
            codes = _pattern_table(order, data.dtype.str)[_comparison_code(data, order, lag, n)]
            expected = np.stack([np.bincount(c, minlength=order**order) for c in codes])
            assert_array_equal(ordinal_pattern_counts(data, order, lag), expected)


@needs_numba
def test_turning_points_equal_the_numpy_expressions(epochs):
    bip = np.ascontiguousarray(epochs[1][0])
    for x in (bip, np.round(bip / 30.0), np.zeros((3, 50), np.float32), bip[:2, :3]):
        ch, i = np.nonzero(np.diff(np.diff(x, axis=1) > 0, axis=1))
        i += 1
        step = np.abs(np.diff(x, axis=1)).ravel()
        run = np.maximum.reduceat(step, ch * (x.shape[1] - 1) + i) if len(i) else i
        got = turning_points(x)
        for a, b in zip(got, (ch, i, run), strict=True):
            assert a.dtype == b.dtype
            assert_array_equal(a, b)


def test_order_statistics_equal_numpy_and_scipy():
    rng = np.random.default_rng(805)
    for n in (1, 2, 19, 20, 61, 448):
        for dtype in (np.float32, np.float64):
            a = np.round(rng.normal(size=(30, n)) * 3).astype(dtype)  # ties
            for q in (20, 75, 50, 99.5):
                got, ref = percentile_last(a, q), np.percentile(a, q, axis=-1)
                assert got.dtype == ref.dtype
                assert_array_equal(got, ref)
    for shape, size, axis in (((18, 300), 5, 1), ((3600, 18), 61, 0), ((40, 7), 60, 0), ((3, 18), 61, 0)):
        a = np.round(rng.normal(size=shape) * 3).astype(np.float32)
        footprint = (size, 1) if axis == 0 else (1, size)
        assert_array_equal(median_filter_nearest(a, size, axis), ndimage.median_filter(a, size=footprint,
                                                                                      mode="nearest"))  # fmt: skip
    a = rng.normal(size=(4, 5, 1280)) * 40
    a[1, 3, 7] = np.nan
    changes = a[..., 3:] - a[..., :-3]
    i, j = np.array([0, 1, 2, 2, 3]), np.array([0, 3, 1, 1, 4])
    assert_array_equal(median_abs_lagged(a, 3, i, j), np.median(np.abs(changes[i, j]), axis=-1))
    assert_array_equal(median_abs_lagged(a[..., :-1], 3, i, j), np.median(np.abs(changes[i, j, :-1]), axis=-1))
    for data in (a, a.transpose(1, 0, 2)):  # any memory layout
        d = (data[..., 3:] - data[..., :-3])[..., 5:1200]
        expected = np.nonzero(np.abs(d) >= 60.0)
        got = lagged_differences(data, 3, 5, 1195, 60.0)
        for g, r in zip(got, (*expected, d[expected]), strict=True):
            assert_array_equal(g, r)


@needs_numba
def test_compiled_flanks_equal_the_numpy_measurement(epochs):
    x = np.ascontiguousarray(epochs[1][:4].transpose(1, 0, 2).reshape(epochs[1].shape[1], -1))
    rng = np.random.default_rng(806)
    for sfreq in (128.0, 256.0):
        n_lag = int(np.ceil(200.0 * sfreq / 1e3))
        ch = rng.integers(0, x.shape[0], 3000)
        p = rng.integers(n_lag + 1, x.shape[1] - n_lag - 1, 3000)
        for data in (x, np.round(x / 10.0)):  # flat tops and ties
            for polarity in (1, -1):
                got, ref = _measure_flanks(data, polarity, ch, p, n_lag, sfreq), _measure(polarity * data, ch, p,
                                                                                            n_lag, sfreq)  # fmt: skip
                assert got.keys() == ref.keys()
                for key in ref:
                    assert got[key].dtype == ref[key].dtype, key
                    assert_array_equal(got[key], ref[key], err_msg=key)


@needs_numba
def test_compiled_rhythm_stretches_equal_numpys(epochs, monkeypatch):
    x = np.ascontiguousarray(epochs[1][:4].transpose(1, 0, 2).reshape(epochs[1].shape[1], -1))
    rng = np.random.default_rng(807)
    ch, p = rng.integers(0, x.shape[0], 2000), rng.integers(0, x.shape[1], 2000)  # ends included
    period = rng.uniform(2.0, 26.0, 2000)
    got = _rhythmic(x, ch, p, period)
    monkeypatch.setattr(S, "_spike_kernels", lambda: None)
    assert_array_equal(got, _rhythmic(x, ch, p, period))


def _event_regions_loop(t):
    """The per-event loop that :func:`eegpipe.summary.event_regions` replaced."""
    det = t.spikes
    ends = [n.split("-") for n in t.bip_names]
    toward = [ends[c][0 if p < 0 else 1] for c, p in zip(det["channel"], det["polarity"], strict=True)]
    events, inv = np.unique(det["event"], return_inverse=True)
    times, regions = [], []
    for k in range(events.size):
        votes: dict[str, float] = {}
        for i in np.flatnonzero(inv == k):
            votes[toward[i]] = votes.get(toward[i], 0.0) + float(det["amplitude_uv"][i])
        times.append(float(det["time_s"][inv == k].min()))
        regions.append(_REGION_OF.get(max(votes, key=votes.get), "midline"))
    return np.array(times), regions


def test_event_regions_equal_the_per_event_loop(recording_path):
    t = analyse(load_recording(recording_path, preload=False))
    assert t.spikes.size > 100
    times, regions = event_regions(t)
    ref_times, ref_regions = _event_regions_loop(t)
    assert_array_equal(times, ref_times)
    assert list(regions) == ref_regions
    rng = np.random.default_rng(802)  # equal votes: the electrode seen first wins
    for _ in range(50):
        tied = copy.copy(t)
        k = int(rng.integers(2, 40))
        d = np.zeros(k, dtype=t.spikes.dtype)
        d["event"], d["channel"] = np.sort(rng.integers(0, 6, k)), rng.integers(0, len(t.bip_names), k)
        d["polarity"], d["amplitude_uv"] = rng.choice([-1, 1], k), rng.choice([50.0, 100.0], k)
        d["time_s"] = rng.random(k) * 60
        tied.spikes = d
        times, regions = event_regions(tied)
        ref_times, ref_regions = _event_regions_loop(tied)
        assert_array_equal(times, ref_times)
        assert list(regions) == ref_regions


@needs_real_edf
def test_survey_equals_the_two_separate_calls():
    for name in ("eegmat_Subject00_1_rest.edf", "neonatal_preterm_burst_eg.edf", "tuh_00009578_s002_t001.edf"):
        rec = load_recording(REAL_EDF / name)
        x = rec.raw.get_data(stop=int(300 * rec.sfreq)) * 1e6
        line, bad = survey_channels(x, rec.sfreq, rec.ch_names)
        assert line == detect_line_frequency(x, rec.sfreq)
        assert bad == find_bad_channels(x, rec.sfreq, rec.ch_names)


# -- chunked equals whole-file -----------------------------------------------------------
def test_chunked_analysis_equals_whole_file(recording_path):
    rec = load_recording(recording_path, preload=False)
    chunked = analyse(rec, chunk_s=60.0)  # 6 chunks, each read with PAD_S on both sides
    whole = analyse(rec, chunk_s=10 * MINUTES * 60)
    assert chunked.reasons == whole.reasons and chunked.exclude.any()
    assert_array_equal(chunked.exclude, whole.exclude)
    assert_array_equal(chunked.start_s, whole.start_s)
    assert_array_equal(chunked.second_start_s, whole.second_start_s)
    assert_allclose(chunked.second_rms, whole.second_rms, rtol=1e-3, atol=1e-3)
    # float32 filtering: equal to its round-off; permutation entropy may flip a pattern
    # where two samples are within that round-off of each other
    atol = {"permutation_entropy": 2e-3, "delta_correlation": 1e-4, "log_amplitude_ratio": 1e-4,
            "global_correlation": 1e-5, "aperiodic_exponent": 1e-4}  # fmt: skip
    for group in ("chan", "bip", "pairs", "glob"):
        for key, value in getattr(whole, group).items():
            assert_allclose(getattr(chunked, group)[key], value, rtol=1e-4, atol=atol.get(key, 1e-6),
                            err_msg=f"{group}.{key}")  # fmt: skip
    # spikes, every test on (the muscle test's level comes from the survey, not the
    # chunk): the same detections but for candidates within float32 round-off of a
    # threshold (2 of ~400 here, sharpness 2.4999 vs 2.5001); exact equality of the
    # detector on one input is the next test's
    key = ("time_s", "channel")
    a = {(round(float(t), 4), int(c)) for t, c in zip(*(chunked.spikes[k] for k in key), strict=True)}
    b = {(round(float(t), 4), int(c)) for t, c in zip(*(whole.spikes[k] for k in key), strict=True)}
    assert len(b) > 100 and len(a ^ b) <= 0.01 * len(b)
    sa, sb = summarize(chunked), summarize(whole)
    assert sa["foci"] == sb["foci"]
    for name in ("spike_events_per_min", "foci_bin_share", "focus_share"):
        assert sa[name] == pytest.approx(sb[name], rel=0.02, abs=1e-3), name


def test_spike_detection_of_padded_chunks_equals_whole_file(recording_path):
    """Chunked detection (PAD_S either side, keep the core) finds the same transients as
    one pass over the file, every test on, given one muscle level for the whole file."""
    rec = load_recording(recording_path)
    x = rec.raw.get_data() * 1e6
    bip = bipolar(filter_resample(x, rec.sfreq, line_freq=detect_line_frequency(x, rec.sfreq)), rec.ch_names)[0]
    level = muscle_level(bip, WORK_SFREQ)
    whole = detect_spikes(bip, WORK_SFREQ, muscle_level_uv=level)
    parts, chunk, pad = [], int(60 * WORK_SFREQ), int(PAD_S * WORK_SFREQ)
    for c0 in range(0, bip.shape[1], chunk):
        r0 = max(c0 - pad, 0)
        det = detect_spikes(bip[:, r0 : c0 + chunk + pad], WORK_SFREQ, muscle_level_uv=level)
        det["time_s"] += r0 / WORK_SFREQ
        parts.append(det[(det["time_s"] >= c0 / WORK_SFREQ) & (det["time_s"] < (c0 + chunk) / WORK_SFREQ)])
    chunked = np.concatenate(parts)
    assert whole.size > 100
    assert detect_spikes(bip, WORK_SFREQ, reject_emg=False).size > whole.size  # muscle test acts
    assert_array_equal(chunked["channel"], whole["channel"])
    assert_allclose(chunked["time_s"], whole["time_s"], rtol=0, atol=1e-9)
    for field in ("amplitude_uv", "duration_ms", "background_uv"):
        assert_allclose(chunked[field], whole[field], rtol=1e-4, err_msg=field)


def test_many_chunks_keep_event_ids_small(recording_path):
    """Event ids stay unique across chunks and bounded by the number of detections (they
    used to double with every chunk and overflowed int32 beyond ~30 chunks, i.e. on
    any recording over 2.5 hours)."""
    t = analyse(load_recording(recording_path, preload=False), chunk_s=10.0)  # 36 chunks
    assert t.spikes.size > 100
    ids = t.spikes["event"]
    assert ids.max() < 2 * t.spikes.size
    assert np.all(np.diff(ids) >= 0)  # in time order, so unique across chunks


# -- agreement with mne-features where the definitions agree -------------------------------
def test_features_agree_with_mne_features(epochs):
    from mne.time_frequency import psd_array_welch
    from mne_features.univariate import compute_line_length, compute_pow_freq_bands, compute_ptp_amp, compute_rms

    x = epochs[0][:8].astype(np.float64)
    sf = WORK_SFREQ
    for e in range(x.shape[0]):
        assert_allclose(F.rms(x[e], sf), compute_rms(x[e]), rtol=1e-12)
        assert_allclose(F.line_length(x[e], sf) / sf, compute_line_length(x[e]), rtol=1e-12)
        seconds = x[e][:, : x.shape[-1] // 128 * 128].reshape(x.shape[1], -1, 128)
        assert_allclose(F.max_peak_to_peak(x[e], sf), compute_ptp_amp(seconds).reshape(x.shape[1], -1).max(-1),
                        rtol=1e-12)  # fmt: skip
    # the same Welch settings give the same spectrum (eegpipe: Hann, 2-s segments, half overlap)
    freqs, psd = F.power_spectrum(x, sf)
    psd_mne, freqs_mne = psd_array_welch(x, sf, fmin=0, fmax=sf / 2, n_fft=256, n_per_seg=256, n_overlap=128,
                                         window="hann", verbose="error")  # fmt: skip
    assert_allclose(freqs, freqs_mne)
    assert_allclose(psd, psd_mne, rtol=1e-6, atol=1e-12 * psd.max())
    # relative band power: mne-features fixes a Hamming window; same bins, close values
    ours = np.stack([F.band_powers(freqs, psd)[f"rel_{b}"] for b in F.BANDS_HZ], axis=-1)
    bands = {k: [lo, hi - 0.25] for k, (lo, hi) in F.BANDS_HZ.items()}  # both edges count there
    welch_params = {"welch_n_fft": 256, "welch_n_per_seg": 256, "welch_n_overlap": 128}
    for e in range(x.shape[0]):
        theirs = compute_pow_freq_bands(sf, x[e], freq_bands=bands, normalize=False, psd_params=welch_params)
        theirs = theirs.reshape(x.shape[1], -1)
        assert_allclose(ours[e], theirs / theirs.sum(-1, keepdims=True), atol=0.03)
