"""The simulator: files real readers accept, truthful sidecars, determinism, physiology."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import mne
import numpy as np
import pyedflib
import pytest
from numpy.testing import assert_allclose
from scipy.signal import welch

from eegpipe.cli import main
from eegpipe.montage import CHANNELS_1020
from eegpipe.simulate import (
    ARTIFACT_KINDS,
    CHANNEL_STYLES,
    SUBTYPES,
    make_sample_edf,
    simulate_recording,
    simulate_series,
    simulate_to_edf,
)
from eegpipe.simulate._params import SESSION_GAIN_LOG_SD, SEVERITY_RANGE
from tests import _measures as M
from tests.conftest import REPO, TEST_CLEAN_SEED

EDF_RESOLUTION_UV = 6400 / 65535  # physical range / digital range of the EEG channels


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _sidecar(path: Path) -> dict:
    return json.loads(path.with_suffix(".json").read_text())


def _load(path: Path) -> tuple[dict, np.ndarray, float]:
    truth = _sidecar(path)
    raw = mne.io.read_raw_edf(path, preload=True, verbose="error")
    eeg = raw.get_data(picks=truth["eeg_channels"]) * 1e6
    return truth, eeg, raw.info["sfreq"]


# -- files -------------------------------------------------------------------------------
def test_every_file_loads_in_mne_and_pyedflib_and_matches_its_sidecar(corpus):
    assert len(corpus) == 60
    for path in corpus:
        truth = _sidecar(path)
        raw = mne.io.read_raw_edf(path, preload=True, verbose="error")
        aux = [a["label"] for a in truth["aux_channels"]]
        assert raw.ch_names == truth["eeg_channels"] + aux
        assert raw.info["sfreq"] == truth["sfreq"]  # auxiliary channels never run faster
        assert raw.n_times / raw.info["sfreq"] == truth["duration_s"]
        notes = truth["annotations"]
        assert list(raw.annotations.description) == [a["description"] for a in notes]
        assert_allclose(raw.annotations.onset, [a["onset"] for a in notes], atol=1e-3)
        with pyedflib.EdfReader(str(path)) as f:
            assert f.getSignalLabels() == raw.ch_names
            rates = [f.getSampleFrequency(i) for i in range(f.signals_in_file)]
            assert rates[:19] == [truth["sfreq"]] * 19
            assert rates[19:] == [a["sfreq"] for a in truth["aux_channels"]]
            assert f.getPatientName().replace(" ", "_") == truth["patient"]["name"]
            assert f.getPatientCode() == truth["patient"]["code"]
            assert f.getBirthdate(string=False).date().isoformat() == truth["patient"]["birthdate"]
            assert f.getStartdatetime().isoformat() == truth["recording_start"]
            x = f.readSignal(0)
        assert_allclose(x, raw.get_data(picks=[0])[0] * 1e6, atol=EDF_RESOLUTION_UV)
        assert truth["label"] in ("normal", "hypsarrhythmia", "modified_hypsarrhythmia")
        assert (truth["label"] == "modified_hypsarrhythmia") == bool(truth["subtypes"])


def test_corpus_covers_classes_subtypes_rates_styles_and_artifacts(corpus):
    truths = [_sidecar(p) for p in corpus]
    assert {t["label"] for t in truths} == {"normal", "hypsarrhythmia", "modified_hypsarrhythmia"}
    assert set().union(*(t["subtypes"] for t in truths)) == set(SUBTYPES)
    assert len({t["sfreq"] for t in truths}) >= 3
    assert all(200 <= t["sfreq"] <= 512 for t in truths)
    assert {t["channel_style"] for t in truths} == set(CHANNEL_STYLES)
    kinds = set().union(*(t["artifact_kinds"] for t in truths))
    assert kinds >= set(ARTIFACT_KINDS) - {"tremor", "myoclonic_jerk"}
    normal_kinds = set().union(*(t["artifact_kinds"] for t in truths if t["label"] == "normal"))
    assert {"movement", "emg", "blink"} <= normal_kinds  # artifacts are not a class marker
    assert any(t["new_temporal_names"] for t in truths)
    assert any(a["sfreq"] < t["sfreq"] for t in truths for a in t["aux_channels"])  # mixed rates


def test_same_seed_same_bytes_other_seed_other_bytes(tmp_path):
    a = simulate_to_edf(tmp_path / "a.edf", "hypsarrhythmia", seed=41, duration_s=20)
    b = simulate_to_edf(tmp_path / "b.edf", "hypsarrhythmia", seed=41, duration_s=20)
    c = simulate_to_edf(tmp_path / "c.edf", "hypsarrhythmia", seed=42, duration_s=20)
    assert _sha(a) == _sha(b) != _sha(c)
    ta, tb = _sidecar(a), _sidecar(b)
    ta.pop("file"), tb.pop("file")
    assert ta == tb
    assert ta["seed"] == 41


def test_streamed_file_equals_in_memory_recording(tmp_path):
    # 25 s spans three 10-s blocks: filter states must carry across block edges
    kw = {"seed": 43, "duration_s": 25, "sfreq": 250}
    rec = simulate_recording("modified_hypsarrhythmia", **kw)
    path = simulate_to_edf(tmp_path / "x.edf", "modified_hypsarrhythmia", **kw)
    _, eeg, _ = _load(path)
    assert_allclose(eeg, rec.eeg, atol=EDF_RESOLUTION_UV)
    clean = simulate_recording("modified_hypsarrhythmia", artifacts="none", **kw).eeg
    step = np.abs(np.diff(clean, axis=1))
    for edge in (2500, 5000):  # the step into a new block is an ordinary step
        assert np.all(step[:, edge - 1] <= step[:, edge - 250: edge + 250].max(axis=1))
        assert np.median(step[:, edge - 1]) < 3 * np.median(step)


def test_sample_edf_is_committed_small_documented_and_regenerates_bit_for_bit(tmp_path):
    committed = sorted((REPO / "sample_edf").rglob("*.edf"))
    fresh = make_sample_edf(tmp_path)
    assert sorted(p.relative_to(tmp_path) for p in fresh) == \
        [p.relative_to(REPO / "sample_edf") for p in committed]  # fmt: skip
    for p in fresh:
        rel = p.relative_to(tmp_path)
        assert _sha(p) == _sha(REPO / "sample_edf" / rel), f"{rel} differs from sample_edf/"
        assert json.loads(p.with_suffix(".json").read_text()) == \
            _sidecar(REPO / "sample_edf" / rel)  # fmt: skip
    total = sum(p.stat().st_size for p in (REPO / "sample_edf").rglob("*") if p.is_file())
    assert total < 15e6
    labels = [_sidecar(p)["label"] for p in committed]
    assert {"normal", "hypsarrhythmia", "modified_hypsarrhythmia"} <= set(labels)
    readme = (REPO / "sample_edf" / "README.md").read_text()
    assert "eegpipe simulate samples" in readme
    for p in committed:
        assert p.name in readme


# -- physiology: the classes differ the way the literature says --------------------------
@pytest.fixture(scope="module")
def clean_cases():
    """Artifact-free recordings, so each measure sees physiology only."""
    cases = [("normal", None)] * 5 + [("hypsarrhythmia", None)] * 5
    cases += [("modified_hypsarrhythmia", s) for s in SUBTYPES for _ in range(3)]
    out: dict[str, list[dict]] = {}
    for i, (label, sub) in enumerate(cases):
        rec = simulate_recording(label, seed=TEST_CLEAN_SEED * 100 + i, duration_s=90,
                                 subtypes=[sub] if sub else (), artifacts="none")  # fmt: skip
        args = (rec.plan.scalp_names, rec.eeg, rec.sfreq)
        out.setdefault(sub or label, []).append({
            "amplitude": M.amplitude_uv(*args),
            "sharp": M.sharp_transients_per_min(*args),
            "sync": M.interhemispheric_correlation(*args),
            "asym": M.asymmetry(*args),
            "atten": M.attenuated_share(*args),
        })  # fmt: skip
    return {k: {m: float(np.median([r[m] for r in v])) for m in v[0]} for k, v in out.items()}


def test_hypsarrhythmia_has_higher_amplitude_and_more_sharp_transients(clean_cases):
    normal, hyps = clean_cases["normal"], clean_cases["hypsarrhythmia"]
    assert hyps["amplitude"] > 1.5 * normal["amplitude"]
    assert hyps["sharp"] > 4 * normal["sharp"]
    # the 'little spike activity' variant: fewer sharp transients than classic
    assert clean_cases["slow_no_spikes"]["sharp"] < 0.6 * hyps["sharp"]
    assert clean_cases["slow_no_spikes"]["amplitude"] > 1.5 * normal["amplitude"]


def test_synchrony_asymmetry_and_attenuation_go_the_right_way(clean_cases):
    hyps = clean_cases["hypsarrhythmia"]
    # hypsarrhythmia is asynchronous; normal sleep slow waves and the modified
    # 'synchronized' variant are bilaterally synchronous
    assert hyps["sync"] < clean_cases["normal"]["sync"] < clean_cases["synchronized"]["sync"]
    assert clean_cases["asymmetric"]["asym"] > 3 * max(hyps["asym"], clean_cases["normal"]["asym"])
    assert clean_cases["attenuation"]["atten"] > 0.03
    assert hyps["atten"] < 0.01 and clean_cases["normal"]["atten"] < 0.01


def test_amplitude_alone_misclassifies_a_clear_share(corpus):
    """Most normal sleeping infants exceed 200 µV (Mytinger 2018); artifacts exceed 300.

    Thresholding amplitude fails one way or the other: on the highest channel (the
    BASED notion of a high-amplitude channel) it calls many normal infants abnormal; on
    the whole head it misses many hypsarrhythmias; tuned on the answers it still errs.
    """
    top, overall, abnormal = [], [], []
    for path in corpus:
        truth, eeg, sfreq = _load(path)
        chans = M.standardise(truth["eeg_channels_standard"], eeg)
        ptp = M.window_ptp(M.bandpass(M.bipolar(chans), 0.5, 30, sfreq), sfreq)
        top.append(np.median(ptp, axis=1).max())
        overall.append(np.median(ptp))
        abnormal.append(truth["label"] != "normal")
    top, overall, abnormal = np.array(top), np.array(overall), np.array(abnormal)
    false_positive_rate = np.mean(top[~abnormal] > 200)
    false_negative_rate = np.mean(overall[abnormal] <= 200)
    best_error = min(np.mean((v > th) != abnormal) for v in (top, overall) for th in v)
    assert false_positive_rate >= 0.2, false_positive_rate
    assert false_negative_rate >= 0.2, false_negative_rate
    assert best_error >= 0.06, best_error


# -- artifacts ---------------------------------------------------------------------------
def _one(kinds, seed=44, **kw):
    return simulate_recording("normal", seed=seed, duration_s=60, sfreq=256, artifacts=kinds,
                              channel_style="plain", new_temporal_names=False, **kw)  # fmt: skip


def test_each_artifact_shows_where_and_how_it_should():
    clean = _one("none")
    idx = {n: i for i, n in enumerate(CHANNELS_1020)}
    rec = _one(["blink"])
    diff = rec.eeg - clean.eeg  # same seed: the brain signal is identical
    blink = rec.truth["artifacts"][0]
    s = slice(int(blink["onset"] * 256), int((blink["onset"] + blink["duration_s"]) * 256))
    assert diff[idx["Fp1"], s].max() > 50
    assert diff[idx["Fp1"], s].max() > 3 * diff[idx["O1"], s].max()
    rec = _one(["movement"])
    move = rec.truth["artifacts"][0]
    s = slice(int(move["onset"] * 256), int((move["onset"] + move["duration_s"]) * 256))
    assert np.ptp(rec.eeg[:, s], axis=1).max() > 300  # movement swings exceed 300 µV
    diff = _one(["line_noise"]).eeg - clean.eeg
    spec = np.abs(np.fft.rfft(diff[:, :256 * 10], axis=1)).mean(0)
    freqs = np.fft.rfftfreq(256 * 10, 1 / 256)
    line = rec.truth["line_freq"]
    assert spec[np.argmin(abs(freqs - line))] > 20 * np.median(spec)
    rec = _one(["emg"])
    diff, emg = rec.eeg - clean.eeg, rec.truth["artifacts"][0]
    row = idx[emg["channels"][0]]
    s = slice(int(emg["onset"] * 256), int((emg["onset"] + emg["duration_s"]) * 256))
    hf = M.bandpass(diff[row, s], 30, 100, 256)
    assert np.std(hf) > 5


def test_flat_and_disconnected_channels():
    for seed in range(60, 90):
        rec = _one(["bad_channel"], seed=seed)
        bad = rec.truth["bad_channels"][0]
        row = CHANNELS_1020.index(bad["channel"])
        if bad["kind"] == "flat":
            assert np.std(rec.eeg[row]) < 1.0
        else:
            assert np.std(rec.eeg[row]) > 2.5 * np.median(np.std(rec.eeg, axis=1))
    kinds = {_one(["bad_channel"], seed=s).truth["bad_channels"][0]["kind"] for s in range(60, 70)}
    assert kinds == {"flat", "disconnected"}


def test_b12_involuntary_movements_are_rhythmic_movement_not_spikes():
    rec = _one(["tremor", "myoclonic_jerk"])
    assert rec.truth["involuntary_movements"]
    assert rec.truth["spike_rate_per_min"] == 0 and rec.truth["label"] == "normal"
    tremor = next(a for a in rec.truth["artifacts"] if a["type"] == "tremor")
    clean = _one("none")
    row = CHANNELS_1020.index(tremor["channels"][0])
    first, last = tremor["onset"] + 1, tremor["onset"] + tremor["duration_s"] - 1
    s = slice(int(first * 256), int(last * 256))
    d = rec.eeg[row, s] - clean.eeg[row, s]
    f, p = welch(d, 256, nperseg=512)
    assert 3.5 < f[np.argmax(p[f < 20])] < 8.5  # tremor at 4-8 Hz dominates below 20 Hz


# -- states, age, series -----------------------------------------------------------------
def test_normal_eeg_matures_with_age():
    young = simulate_recording("normal", seed=45, age_months=4, duration_s=60, sleep_bias=0.0,
                               artifacts="none", sfreq=256)  # fmt: skip
    old = simulate_recording("normal", seed=45, age_months=20, duration_s=60, sleep_bias=0.0,
                             artifacts="none", sfreq=256)  # fmt: skip
    def pdr_peak(rec):
        chans = M.standardise(rec.plan.scalp_names, rec.eeg)
        f, p = welch(chans["O1"] - chans["T5"], 256, nperseg=1024)
        band = (f > 2) & (f < 10)
        return f[band][np.argmax(p[band] * f[band] ** 2)]  # whitened: the rhythm, not 1/f

    assert pdr_peak(young) < pdr_peak(old)
    assert 2.5 < pdr_peak(young) < 4.5 and 6 < pdr_peak(old) < 8.5
    assert young.truth["components"]["exponent"] > old.truth["components"]["exponent"] - 0.3


def test_normal_sleep_has_spindles_and_vertex_waves_and_high_voltage_slow():
    rec = simulate_recording("normal", seed=46, age_months=9, duration_s=120, sleep_bias=1.0,
                             artifacts="none", sfreq=256)  # fmt: skip
    kinds = {b["type"] for b in rec.truth["benign_transients"]}
    assert {"spindle", "vertex_wave"} <= kinds
    spindle = next(b for b in rec.truth["benign_transients"] if b["type"] == "spindle")
    chans = M.standardise(rec.plan.scalp_names, rec.eeg)
    s = slice(int(spindle["time"] * 256), int((spindle["time"] + spindle["duration_s"]) * 256))
    sig = M.bandpass(chans["C3"] - chans["P3"] + chans["C4"] - chans["P4"], 11, 15, 256)
    assert np.std(sig[s]) > 2 * np.median(np.abs(sig))


def test_treatment_series_normalizes_for_a_responder(tmp_path):
    # asleep throughout (state-matched): normal NREM sleep is itself high-voltage
    paths = simulate_series(tmp_path, "responder", seed=47, duration_s=60, sfreq=256, sleep_bias=1.0)
    truths = [_sidecar(p) for p in paths]
    assert [t["treatment"]["days_after_treatment_start"] for t in truths] == [0, 30, 180]
    assert [t["label"] for t in truths] == ["modified_hypsarrhythmia", "normal", "normal"]
    assert len({json.dumps(t["patient"]) for t in truths}) == 1
    starts = [t["recording_start"] for t in truths]
    assert starts == sorted(starts)
    assert truths[2]["age_months"] == pytest.approx(truths[0]["age_months"] + 180 / 30.44, abs=0.01)
    amps = [M.amplitude_uv(t["eeg_channels_standard"], *_load(p)[1:])
            for t, p in zip(truths, paths, strict=True)]  # fmt: skip
    assert amps[0] > amps[2]
    assert truths[0]["spikes"] and not truths[2]["spikes"]
    gains = [t["components"]["subject_gain"] for t in truths]  # one infant: one voltage, give or take
    assert max(gains) / min(gains) < np.exp(4 * SESSION_GAIN_LOG_SD)


def test_partial_and_non_responders_stay_abnormal(tmp_path):
    for response in ("partial", "non_responder"):
        truths = [_sidecar(p) for p in simulate_series(tmp_path / response, response, seed=48,
                                                       duration_s=20)]  # fmt: skip
        assert all(t["label"] != "normal" for t in truths)
        sev = [t["severity"] for t in truths]
        if response == "partial":  # better, but never below the mildest abnormal severity
            assert sev[0] > sev[1] >= sev[2] >= SEVERITY_RANGE[0]
        partial = [t["treatment"].get("partial_response") for t in truths]
        assert partial[0] is None and (partial[1]["recovery"] > 0.5 if response == "partial" else
                                       partial[1] is None)  # fmt: skip


def test_a_partial_responder_reorganizes_but_keeps_slow_waves_and_a_focus(tmp_path):
    # asleep throughout, so state cannot explain the change: the slow waves of the two
    # hemispheres move together again (normal sleep is bilaterally synchronous), high-
    # voltage slow activity persists and discharges keep coming from one focus
    kw = {"seed": 52, "duration_s": 60, "sfreq": 256, "sleep_bias": 1.0, "artifacts": "none"}
    measured = {}
    for response in ("partial", "non_responder"):
        paths = simulate_series(tmp_path / response, response, **kw)
        measured[response] = [(M.interhemispheric_correlation(t["eeg_channels_standard"], eeg, sf),
                               M.high_voltage_uv(t["eeg_channels_standard"], eeg, sf), t)
                              for t, eeg, sf in map(_load, paths)]  # fmt: skip
    (sync0, _, _), _, (sync2, volt2, last) = measured["partial"]
    assert sync2 > sync0 + 0.2
    assert volt2 > 200  # still high-voltage: improved, not normal
    focus = last["treatment"]["partial_response"]["focus_channel"]
    spikes = [s for s in last["spikes"] if s["pattern"] == "consistent_focus"]
    assert len(spikes) >= 3 and np.mean([s["focus_channel"] == focus for s in spikes]) > 0.8
    non = [s for s, _, _ in measured["non_responder"]]
    assert max(non) - min(non) < 0.2


# -- interface ---------------------------------------------------------------------------
def test_channel_styles_and_naming():
    seen = {}
    for style in CHANNEL_STYLES:
        rec = simulate_recording("normal", seed=49, duration_s=10, channel_style=style,
                                 new_temporal_names=True)  # fmt: skip
        seen[style] = rec.ch_names[7]
    assert seen == {"plain": "T7", "eeg_ref": "EEG T7-REF", "upper_ref": "T7-Ref",
                    "eeg_le": "EEG T7-LE"}  # fmt: skip


def test_bad_options_are_refused_with_a_clear_message():
    with pytest.raises(ValueError, match="label must be one of"):
        simulate_recording("west", seed=1, duration_s=10)
    with pytest.raises(ValueError, match="modified_hypsarrhythmia"):
        simulate_recording("normal", seed=1, subtypes=["asymmetric"], duration_s=10)
    with pytest.raises(ValueError, match="unknown artifact kinds"):
        simulate_recording("normal", seed=1, artifacts=["sneeze"], duration_s=10)


def test_cli_one_and_figures(tmp_path, capsys):
    out = tmp_path / "x.edf"
    args = ["simulate", "one", str(out), "--label", "modified_hypsarrhythmia",
            "--subtypes", "consistent_focus", "--seed", "5", "--duration", "20"]  # fmt: skip
    assert main(args) == 0
    assert _sidecar(out)["subtypes"] == ["consistent_focus"]
    assert main(["simulate", "figures", str(tmp_path / "fig")]) == 0
    pngs = sorted((tmp_path / "fig").glob("*.png"))
    assert len(pngs) == 2 + len(SUBTYPES)
    assert all(p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" for p in pngs)
    assert all(p.stat().st_size > 20_000 for p in pngs)  # a drawn page, not an empty canvas


def test_a_partial_responders_residual_focus_is_never_the_bad_channel():
    # The series' ground truth says the focus is there, so the simulator must record it:
    # when the bad channel's first draw hits the focus it is drawn again from the others,
    # and every draw that missed it is what it was without the rule.
    from eegpipe.simulate._artifacts import sample_artifacts

    kw = {"states": [(0.0, 60.0, "nrem")], "scalp_names": list(CHANNELS_1020), "duration_s": 60}
    hits = 0
    for seed in range(200):
        free = sample_artifacts(np.random.default_rng(seed), kw, ["bad_channel"], 0.0)[1]["channel"]
        kept = sample_artifacts(np.random.default_rng(seed), kw, ["bad_channel"], 0.0, keep="C4")[1]["channel"]
        assert kept != "C4"
        assert kept == free or free == "C4"
        hits += free == "C4"
    assert hits > 0  # the rule was exercised
