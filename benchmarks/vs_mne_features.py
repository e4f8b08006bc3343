"""Per-epoch features: eegpipe's vectorised functions against mne-features, same epochs.

    python benchmarks/vs_mne_features.py [--minutes 60] [--repeats 3] [--data DIR]

Takes the simulated recording of ``--minutes`` (seed 424242, kept in ``--data``),
notches, band-passes and resamples it to 128 Hz as eegpipe does, re-references it to the
average and cuts it into 10-s epochs: one array ``(n_epochs, 19, 1280)``. On that same
array, in this one process on one core, it times

* mne-features 0.3 ``extract_features(X, 128, selected_funcs, n_jobs=1)`` with the
  closest equivalent of eegpipe's epoch features: ``pow_freq_bands`` (eegpipe's five
  bands), ``spect_entropy``, ``spect_edge_freq`` (95% edge), ``rms``, ``line_length``
  and ``ptp_amp``, its Welch settings matched to eegpipe's (256-sample segments, half
  overlap). Its ``spect_slope`` (the 1/f slope, cf. eegpipe's aperiodic exponent) fails
  under numpy 2 in mne-features 0.3.2 and is left out;
* eegpipe's functions on the same array, doing more: ``power_spectrum`` once, then
  ``band_powers`` (absolute and relative), ``spectral_entropy``, ``spectral_edge``,
  ``aperiodic_exponent``, ``peak_frequency`` and ``amplitude_features`` (median and
  largest 1-s peak-to-peak, RMS, high-voltage share, line length).

It prints both times, the ratio, and where the definitions agree, how far the values
are apart (``tests/test_performance.py`` checks the same agreement).
"""

from __future__ import annotations

import argparse
import warnings
from pathlib import Path

from _common import DEFAULT_DATA, machine, median, recording, table, timed  # sets one BLAS thread

#: Epoch length, s (eegpipe's default).
EPOCH_S = 10.0


def epochs_of(path: Path):
    """The recording as eegpipe sees it: 128 Hz, 0.5-45 Hz, average reference, 10-s epochs."""
    import numpy as np

    from eegpipe.io import load_recording
    from eegpipe.preprocess import WORK_SFREQ, average_reference, detect_line_frequency, filter_resample

    rec = load_recording(path)
    x = rec.raw.get_data() * 1e6
    y = filter_resample(x, rec.sfreq, line_freq=detect_line_frequency(x[:, : int(300 * rec.sfreq)], rec.sfreq))
    n = int(EPOCH_S * WORK_SFREQ)
    k = y.shape[1] // n
    ep = y[:, : k * n].reshape(y.shape[0], k, n).transpose(1, 0, 2)
    return np.ascontiguousarray(average_reference(ep)), WORK_SFREQ  # float32, as eegpipe has them


def mne_features_set(X, sfreq):
    """mne-features' closest equivalent feature set, one core."""
    from mne_features.feature_extraction import extract_features

    from eegpipe.features import BANDS_HZ, SPECTRAL_EDGE_SHARE, TOTAL_BAND_HZ

    welch = {"welch_n_fft": int(2 * sfreq), "welch_n_per_seg": int(2 * sfreq), "welch_n_overlap": int(sfreq)}
    params = {
        # mne-features counts both band edges; eegpipe's bands are [lo, hi) on a 0.5-Hz grid
        "pow_freq_bands__freq_bands": {k: [lo, hi - 0.25] for k, (lo, hi) in BANDS_HZ.items()},
        "pow_freq_bands__normalize": False, "pow_freq_bands__psd_params": welch,
        "spect_entropy__psd_params": welch,
        "spect_edge_freq__edge": [SPECTRAL_EDGE_SHARE], "spect_edge_freq__ref_freq": TOTAL_BAND_HZ[1],
        "spect_edge_freq__psd_params": welch,
    }  # fmt: skip
    funcs = ["pow_freq_bands", "spect_entropy", "spect_edge_freq", "rms", "line_length", "ptp_amp"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # its DeprecationWarning about the separator
        return extract_features(X, sfreq, funcs, funcs_params=params, n_jobs=1, return_as_df=True, separator="__")


def eegpipe_set(X, sfreq):
    """eegpipe's epoch features that mne-features has an equivalent of, vectorised."""
    from eegpipe import features as F

    out = F.spectral_features(*F.power_spectrum(X, sfreq))  # as the pipeline computes them
    out.update(F.amplitude_features(X, sfreq))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--minutes", type=float, default=60.0, help="recording length")
    ap.add_argument("--repeats", type=int, default=3, help="runs of each (interleaved)")
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA, help="where simulated recordings are kept")
    args = ap.parse_args()
    import numpy as np

    print(machine())
    X, sfreq = epochs_of(recording(args.data, args.minutes))
    print(f"epochs: {X.shape[0]} x {X.shape[1]} channels x {X.shape[2]} samples at {sfreq:g} Hz ({X.dtype})\n")
    eegpipe_set(X[:2], sfreq), mne_features_set(X[:2], sfreq)  # warm-up (imports)
    ours_w, ours_c, theirs_w, theirs_c = [], [], [], []
    for i in range(args.repeats):
        for which in ((0, 1) if i % 2 == 0 else (1, 0)):
            if which == 0:
                ours, w, c = timed(eegpipe_set, X, sfreq)
                ours_w.append(w), ours_c.append(c)
            else:
                theirs, w, c = timed(mne_features_set, X, sfreq)
                theirs_w.append(w), theirs_c.append(c)
    ow, oc, tw, tc = median(ours_w), median(ours_c), median(theirs_w), median(theirs_c)
    rows = [
        ("mne-features `extract_features(n_jobs=1)`", f"{theirs.shape[1] // X.shape[1]} per channel", f"{tw:.2f}",
         f"{tc:.2f}"),
        ("eegpipe vectorised functions", f"{len(ours)} per channel", f"{ow:.3f}", f"{oc:.3f}"),
        ("**speed-up (mne-features / eegpipe)**", "", f"**{tw / ow:.0f}x**", f"**{tc / oc:.0f}x**"),
    ]  # fmt: skip
    print(f"Feature extraction on the same {X.shape[0]} epochs, median of {args.repeats} runs each (one core):")
    print(table(rows, ("", "values", "wall s", "CPU s")))

    def col(name):  # mne-features column -> (n_epochs, n_channels)
        cols = [c for c in theirs.columns if c[0] == name]
        return theirs[cols].to_numpy().reshape(X.shape[0], X.shape[1], -1)

    def rel(a, b):
        return float(np.max(np.abs(a - b) / np.maximum(np.abs(b), 1e-12)))

    bands = col("pow_freq_bands")
    their_rel = bands / bands.sum(axis=-1, keepdims=True)
    our_rel = np.stack([ours[f"rel_{b}"] for b in ("delta", "theta", "alpha", "beta", "gamma")], axis=-1)
    w1 = X[..., : X.shape[-1] // int(sfreq) * int(sfreq)].reshape(*X.shape[:2], -1, int(sfreq))
    ll = rel(ours["line_length_uv_per_s"] / sfreq, col("line_length")[..., 0])
    below = bool(np.all(ours["max_ptp_uv"] <= col("ptp_amp")[..., 0] + 1e-9))
    r = np.corrcoef(our_rel.ravel(), their_rel.ravel())[0, 1]
    rows = [
        ("RMS, µV", "same definition", f"{rel(ours['rms_uv'], col('rms')[..., 0]):.1e} relative"),
        ("line length", "eegpipe's is per second (x 128)", f"{ll:.1e} relative"),
        ("largest 1-s peak-to-peak vs `ptp_amp` of each 1-s window", "same definition",
         f"{rel(ours['max_ptp_uv'], np.ptp(w1, axis=-1).max(-1)):.1e} relative"),
        ("largest 1-s peak-to-peak vs whole-epoch `ptp_amp`", "eegpipe's can only be smaller", f"all <=: {below}"),
        ("relative band power (share of 0.5-45 Hz)", "same bins; Hann (eegpipe) vs Hamming window",
         f"max abs diff {np.max(np.abs(our_rel - their_rel)):.3f}, r = {r:.4f}"),
    ]  # fmt: skip
    print("\nAgreement where the definitions agree:")
    print(table(rows, ("feature", "definitions", "eegpipe vs mne-features")))


if __name__ == "__main__":
    main()
