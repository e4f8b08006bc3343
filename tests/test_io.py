"""Tests of the loading stage on real EDF/BDF files and on small files written here."""

from __future__ import annotations

import shutil
import warnings

import mne
import numpy as np
import pytest
from numpy.testing import assert_allclose
from pyedflib import highlevel

from eegpipe.channels import map_channels, normalize_channel_name
from eegpipe.errors import RecordingError
from eegpipe.io import GAP_DESCRIPTION, Recording, iter_chunks, load_recording
from eegpipe.montage import CHANNELS_1020
from tests.conftest import REAL_EDF, needs_real_edf


def _write_edf(path, labels, *, sfreq=100, duration_s=12, units="uV", annotations=(),
               scale_uv=30.0, seed=0, patient=None):  # fmt: skip
    """Write a small EDF+ (or BDF+ for a .bdf path) of seeded Gaussian noise."""
    rng = np.random.default_rng(seed)
    rates = sfreq if isinstance(sfreq, list) else [sfreq] * len(labels)
    units = units if isinstance(units, list) else [units] * len(labels)
    limit = {"uV": 1000.0, "mV": 1.0, "V": 0.001}
    signals = [np.clip(rng.normal(0, scale_uv, int(r * duration_s)) / (1000 / limit[u]), -limit[u],
                       limit[u]) for r, u in zip(rates, units, strict=True)]  # fmt: skip
    headers = [highlevel.make_signal_header(lab, u, r, -limit[u], limit[u])
               for lab, u, r in zip(labels, units, rates, strict=True)]  # fmt: skip
    header = highlevel.make_header(**(patient or {}))
    header["annotations"] = [list(a) for a in annotations]
    highlevel.write_edf(str(path), signals, headers, header)
    return path, signals


def _one_line(err: pytest.ExceptionInfo, path) -> str:
    message = str(err.value)
    assert "\n" not in message
    assert message.startswith(str(path))
    return message


# --------------------------------------------------------------------------- names
@pytest.mark.parametrize(
    ("label", "name"),
    [
        ("Fp1", "Fp1"), ("FP1", "Fp1"), ("fp1", "Fp1"), ("EEG Fp1-REF", "Fp1"),
        ("FP1-Ref", "Fp1"), ("EEG FP1-LE", "Fp1"), ("EEG Fp1-Ref", "Fp1"),
        ("EEG FP1-REF", "Fp1"), ("Fp1..", "Fp1"), ("EEG Fp1", "Fp1"), ("EEG Fp1-A1", "Fp1"),
        ("Fp1-AVG", "Fp1"), ("Fp1-M1", "Fp1"), ("EEG Fp1-CPz", "Fp1"), ("EEG T7-Ref", "T3"),
        ("T8..", "T4"), ("EEG P7-REF", "T5"), ("p8", "T6"), ("EEG FZ-REF", "Fz"), ("Cz..", "Cz"),
        ("EEG  O2 - Ref", "O2"), ("T3", "T3"),
    ],
)  # fmt: skip
def test_normalize_maps_every_style_onto_1020(label, name):
    assert normalize_channel_name(label) == (name, "eeg")


@pytest.mark.parametrize(
    ("label", "kind"),
    [
        ("ECG ECG", "ecg"), ("EEG EKG1-REF", "ecg"), ("ECG EKG-Ref", "ecg"), ("EKG", "ecg"),
        ("EEG ROC-REF", "eog"), ("EEG LOC-REF", "eog"), ("EOG horizontal", "eog"),
        ("EMG submental", "emg"), ("PHOTIC-REF", "photic"), ("Resp oro-nasal", "resp"),
        ("EEG Effort-Ref", "resp"), ("SaO2 X9", "spo2"), ("POL $A1", "polygraphic"),
        ("POL E", "polygraphic"), ("POL DC01", "polygraphic"), ("DC03", "dc"),
        ("Trigger", "stim"), ("Status", "stim"), ("Event marker", "stim"), ("acc1", "accel"),
        ("IBI", "trend"), ("BURSTS", "trend"), ("SUPPR", "trend"), ("Temp rectal", "temp"),
        ("EDF Annotations", "annotation"), ("BDF Annotations", "annotation"),
        ("FP1-F7", "bipolar"), ("EEG Fpz-Cz", "bipolar"), ("T3-T5", "bipolar"),
        ("Fc5.", "extra_eeg"), ("T10.", "extra_eeg"), ("EEG F9-Ref", "extra_eeg"),
        ("EEG T1-REF", "extra_eeg"), ("A1", "reference"), ("EEG A2-A1", "reference"),
        ("Ergo-Left", "unknown"), ("X1", "unknown"), ("", "unknown"),
    ],
)  # fmt: skip
def test_normalize_classifies_what_is_not_used(label, kind):
    assert normalize_channel_name(label) == (None, kind)


def test_map_channels_keeps_first_duplicate_and_reports_the_rest():
    cmap = map_channels(["EEG Fp1-Ref", "FP1-LE", "T7", "EEG T3-REF", "Fp1", "ECG"])
    assert cmap.eeg == ("Fp1", "T3")
    assert cmap.mapping == {"EEG Fp1-Ref": "Fp1", "T7": "T3"}
    assert cmap.picks == (0, 2)
    assert cmap.duplicates == {"Fp1": ("FP1-LE", "Fp1"), "T3": ("EEG T3-REF",)}
    assert cmap.non_eeg == {"ecg": ("ECG",)}
    assert any("duplicate Fp1" in note for note in cmap.notes)


def test_map_channels_reports_bipolar_montage_instead_of_using_it():
    labels = ["FP1-F7", "F7-T7", "T7-P7", "P7-O1", "FZ-CZ", "CZ-PZ"]
    cmap = map_channels(labels)
    assert cmap.eeg == () and cmap.bipolar == tuple(labels)
    assert "bipolar" in cmap.why_no_eeg()


def test_map_channels_biosemi_labels_are_not_1020():
    labels = [f"{row}{n}" for row in "ABCDEFGH" for n in range(1, 17)] + ["Status"]
    cmap = map_channels(labels)
    assert cmap.biosemi and cmap.eeg == ()
    assert "C3" in cmap.unrecognised and "A1" in cmap.unrecognised
    assert "BioSemi" in cmap.why_no_eeg()
    # A few 10-20 names that happen to look like cap positions are still 10-20 names.
    small = map_channels(["A1", "A2", "C3", "C4", "F3", "F4", "Fz", "O1"])
    assert not small.biosemi and small.eeg == ("F3", "Fz", "F4", "C3", "C4", "O1")


# --------------------------------------------------------------------- real files
_REAL_LOADS = {
    # file: (n EEG, sfreq, format, labels set aside by kind (subset), note fragment)
    "tuh_00009578_s002_t001.edf": (19, 250, "EDF", {"ecg": ("EEG EKG1-REF",),
        "eog": ("EEG ROC-REF", "EEG LOC-REF"), "photic": ("PHOTIC-REF",),
        "trend": ("IBI", "BURSTS", "SUPPR")}, "3 auxiliary channel(s) at 1 Hz dropped"),
    "tuh_00009578_s006_t001.edf": (19, 256, "EDF", {"ecg": ("EEG EKG1-REF",),
        "trend": ("IBI", "BURSTS", "SUPPR")}, "EEG at 256 Hz"),
    "neonatal_preterm_burst_eg.edf": (19, 256, "EDF+C", {"ecg": ("ECG EKG-Ref",),
        "resp": ("EEG Effort-Ref",)}, "no annotation signal"),
    "nihonkohden_MB0400FU_edfplusD.edf": (19, 200, "EDF+D", {"polygraphic": ("POL E",)},
        "EDF+D (discontinuous) header, but all 29 data records are contiguous"),
    "nihonkohden_chtypes_clinical.edf": (19, 200, "EDF+C", {"ecg": ("ECG ECG1", "ECG ECG2"),
        "spo2": ("SaO2 X9", "SaO2 X10"), "extra_eeg": ("EEG F9-Ref",)}, "T7/T8/P7/P8"),
    "eegmat_Subject00_1_rest.edf": (19, 500, "EDF+C", {"ecg": ("ECG ECG",),
        "reference": ("EEG A2-A1",)}, "19 of 19"),
    "eegmat_Subject00_2_task.edf": (19, 500, "EDF+C", {"ecg": ("ECG ECG",)}, "19 of 19"),
    "openbci_cosleep_multiple_annotation_chans.bdf": (10, 125, "BDF+C", {"emg": ("EMG",),
        "eog": ("EOG",), "ecg": ("ECG",), "stim": ("Trigger",),
        "accel": ("acc1", "acc2", "acc3"), "reference": ("A1", "A2")},
        "10 of 19 10-20 channels present; missing Fp1, Fp2, F7, F8, T3, Cz, T4, T5, T6"),
    "eegmmidb_S001R04_crlf_repaired.edf": (19, 160, "EDF+C", {"extra_eeg": ("Fc5.", "Iz..")},
        "45 scalp/reference electrode(s)"),
    "subsecond_starttime.edf": (3, 512, "EDF+C", {}, "3 of 19 10-20 channels present"),
}  # fmt: skip

_REAL_ERRORS = {
    "sleepedf_SC4001EC-Hypnogram.edf": "only annotations, no signals",
    "mixedrate_test_reduced.edf": "BioSemi cap positions",
    # Two bipolar derivations cannot give a 10-20 montage: a clinician expects a refusal.
    "sleepedf_SC4001E0_short_psg.edf": "no referential 10-20 EEG channel",
    "broken/eegmmidb_S001R04_crlf_corrupted.edf": "10,853 bytes longer than its header",
}


@needs_real_edf
def test_every_real_file_is_covered():
    files = {
        p.relative_to(REAL_EDF).as_posix() for p in REAL_EDF.rglob("*") if p.suffix in (".edf", ".bdf")
    }
    assert files == set(_REAL_LOADS) | set(_REAL_ERRORS)


@needs_real_edf
@pytest.mark.parametrize("name", sorted(_REAL_LOADS))
def test_real_file_loads(name):
    n_eeg, sfreq, fmt, aside, note = _REAL_LOADS[name]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # MNE's warnings become notes, never escape
        rec = load_recording(REAL_EDF / name, min_duration_s=1)
    assert isinstance(rec, Recording)
    assert len(rec.ch_names) == n_eeg and rec.sfreq == sfreq and rec.file_format == fmt
    assert rec.ch_names == [ch for ch in CHANNELS_1020 if ch in rec.ch_names]
    assert rec.missing_channels == tuple(ch for ch in CHANNELS_1020 if ch not in rec.ch_names)
    assert set(rec.raw.get_channel_types()) == {"eeg"}
    for kind, labels in aside.items():
        assert set(labels) <= set(rec.set_aside[kind]), kind
    assert any(note in n for n in rec.notes), rec.notes
    assert rec.duration_s == pytest.approx(rec.raw.n_times / rec.sfreq)
    # volts: real scalp EEG has a 1st-99th percentile range between 1 µV and 10 mV
    spread = np.subtract(*np.percentile(rec.raw.get_data(), [99, 1], axis=1))
    assert 1e-6 < np.median(spread) < 10e-3


@needs_real_edf
@pytest.mark.parametrize("name", sorted(_REAL_ERRORS))
def test_real_file_refused_with_one_line(name):
    with pytest.raises(RecordingError) as err:
        load_recording(REAL_EDF / name, min_duration_s=1)
    assert _REAL_ERRORS[name] in _one_line(err, REAL_EDF / name)


@needs_real_edf
@pytest.mark.parametrize(
    ("name", "min_s"),
    [("subsecond_starttime.edf", 10), ("nihonkohden_chtypes_clinical.edf", 10),
     ("tuh_00009578_s002_t001.edf", 20)],
)  # fmt: skip
def test_real_file_shorter_than_min_duration_is_refused(name, min_s):
    with pytest.raises(RecordingError) as err:
        load_recording(REAL_EDF / name, min_duration_s=min_s)
    assert "too short" in _one_line(err, REAL_EDF / name)


@needs_real_edf
def test_renamed_channels_hold_the_same_samples_as_mne_reads():
    path = REAL_EDF / "eegmmidb_S001R04_crlf_repaired.edf"
    rec = load_recording(path)
    ref = mne.io.read_raw_edf(path, preload=True, verbose="error")
    for ours, theirs in [("T3", "T7.."), ("T6", "P8.."), ("Fp1", "Fp1."), ("Cz", "Cz..")]:
        assert_allclose(rec.raw.get_data(picks=[ours]), ref.get_data(picks=[theirs]))
    assert len(rec.annotations) == 30 and set(rec.annotations.description) == {"T0", "T1", "T2"}


@needs_real_edf
def test_identifying_header_fields_are_kept_apart():
    rec = load_recording(REAL_EDF / "tuh_00009578_s002_t001.edf")
    assert rec.subject.birth_date == "01-JAN-1987" and rec.subject.code == "00009578"
    assert rec.raw.info["subject_info"] is None
    shown = repr(rec) + repr(rec.subject) + str(rec.subject) + " ".join(rec.notes)
    assert "1987" not in shown and "00009578 M" not in shown


@needs_real_edf
def test_lazy_loading_reads_windows_and_chunks():
    path = REAL_EDF / "eegmat_Subject00_2_task.edf"
    lazy = load_recording(path, preload=False)
    full = load_recording(path)
    assert not lazy.raw.preload and full.raw.preload
    assert_allclose(lazy.raw.get_data(start=1000, stop=1500), full.raw.get_data()[:, 1000:1500])
    chunks = list(iter_chunks(lazy, 10.0))
    assert [start for start, _ in chunks] == [0, 10, 20, 30, 40, 50, 60]
    assert chunks[-1][1].shape == (19, 1000)
    assert_allclose(np.concatenate([c for _, c in chunks], axis=1), full.raw.get_data())


def _edf_plus_d_with_gap(tmp_path, gap_after=10, gap_s=5.0):
    """The real NK EDF+D file with its record time stamps moved to open a gap."""
    data = bytearray((REAL_EDF / "nihonkohden_MB0400FU_edfplusD.edf").read_bytes())
    ns = int(data[252:256])
    spr = [int(data[256 + ns * 216 + 8 * i : 256 + ns * 216 + 8 * (i + 1)]) for i in range(ns)]
    record, tal = 2 * sum(spr), 2 * sum(spr[:-1])
    for r in range(int(data[236:244])):
        onset = r + (gap_s if r >= gap_after else 0)
        text = f"+{onset:g}\x14\x14\x00".encode()
        if r == 3:
            text += b"+3.5\x14before gap\x14\x00"
        if r == 12:
            text += f"+{12 + gap_s + 0.25:g}\x14after gap\x14\x00".encode()
        start = 256 * (ns + 1) + r * record + tal
        data[start : start + 2 * spr[-1]] = text.ljust(2 * spr[-1], b"\x00")
    path = tmp_path / "gap.edf"
    path.write_bytes(bytes(data))
    return path


@needs_real_edf
def test_edf_plus_d_gap_keeps_longest_segment(tmp_path):
    rec = load_recording(_edf_plus_d_with_gap(tmp_path), min_duration_s=1)
    assert rec.duration_s == 19 and rec.segments == ((0.0, 19.0),)
    assert any("1 gap(s) (5 s missing): using the longest" in n for n in rec.notes)
    onsets = rec.annotations.onset - rec.raw.first_time
    assert list(rec.annotations.description) == ["after gap"]
    assert_allclose(onsets, [2.25])
    start = rec.meas_date - load_recording(REAL_EDF / "nihonkohden_MB0400FU_edfplusD.edf").meas_date
    assert start.total_seconds() == 15  # wall clock of the segment, gap included


@needs_real_edf
def test_edf_plus_d_gap_marked_and_chunks_stop_at_it(tmp_path):
    rec = load_recording(_edf_plus_d_with_gap(tmp_path), min_duration_s=1, gaps="mark")
    assert rec.duration_s == 29 and rec.segments == ((0.0, 10.0), (10.0, 29.0))
    found = dict(zip(rec.annotations.description, rec.annotations.onset, strict=True))
    assert_allclose([found["before gap"], found[GAP_DESCRIPTION], found["after gap"]],
                    [3.5, 10.0, 12.25])  # fmt: skip
    for start, data in iter_chunks(rec, 4.0):
        stop = start + data.shape[1] / rec.sfreq
        assert not start < 10.0 < stop
    with pytest.raises(RecordingError, match="too short to score: 19 s of continuous EEG"):
        load_recording(rec.source, min_duration_s=20, gaps="mark")  # 29 s, but not in one piece


# ------------------------------------------------------------ files written here
_STYLES = ["{}", "{}..", "EEG {}", "EEG {}-Ref", "EEG {}-REF", "{}-LE", "EEG {}-A1",
           "{}-AVG", "{}-M1", "EEG {}-CPz"]  # fmt: skip
_NEW_NAMES = {"T3": "T7", "T4": "T8", "T5": "P7", "T6": "P8"}


@pytest.mark.parametrize("style", _STYLES)
@pytest.mark.parametrize("upper", [False, True])
def test_written_file_in_each_label_style(tmp_path, style, upper):
    names = [_NEW_NAMES.get(ch, ch) for ch in CHANNELS_1020]
    labels = [style.format(ch.upper() if upper else ch) for ch in names]
    path, signals = _write_edf(tmp_path / "styles.edf", labels + ["ECG EKG"])
    rec = load_recording(path)
    assert rec.ch_names == list(CHANNELS_1020)
    assert rec.set_aside == {"ecg": ("ECG EKG",)}
    assert_allclose(rec.raw.get_data(), np.array(signals[:19]) * 1e-6, atol=0.05e-6)


def test_truncated_copy_of_a_good_file(tmp_path):
    path, _ = _write_edf(tmp_path / "good.edf", ["Fp1", "Fp2", "Cz"])
    cut = tmp_path / "cut.edf"
    cut.write_bytes(path.read_bytes()[:-700])
    with pytest.raises(RecordingError) as err:
        load_recording(cut)
    assert "truncated" in _one_line(err, cut)


def test_text_file_named_edf(tmp_path):
    path = tmp_path / "notes.EDF"
    path.write_text("Patient was asleep.\n" * 40)
    with pytest.raises(RecordingError) as err:
        load_recording(path)
    assert "not an EDF/BDF file" in _one_line(err, path)


@pytest.mark.parametrize("content", [b"", b"0       " + b"x" * 300])
def test_empty_or_garbled_header(tmp_path, content):
    path = tmp_path / "bad.edf"
    path.write_bytes(content)
    with pytest.raises(RecordingError) as err:
        load_recording(path)
    _one_line(err, path)


def test_missing_file(tmp_path):
    with pytest.raises(RecordingError, match="file not found"):
        load_recording(tmp_path / "nope.edf")


def test_file_with_only_ecg(tmp_path):
    path, _ = _write_edf(tmp_path / "ecg.edf", ["ECG EKG", "EKG2"])
    with pytest.raises(RecordingError) as err:
        load_recording(path)
    assert "no 10-20 EEG channel" in _one_line(err, path)


def test_file_shorter_than_min_duration(tmp_path):
    path, _ = _write_edf(tmp_path / "short.edf", ["Fp1", "Fp2"], duration_s=4)
    with pytest.raises(RecordingError) as err:
        load_recording(path)
    assert "too short to score: 4 s" in _one_line(err, path)
    assert load_recording(path, min_duration_s=4).duration_s == 4


def test_upper_case_bdf_with_mv_units_and_mixed_rates(tmp_path):
    labels = ["Fp1", "Fp2", "C3", "O1", "EKG", "Resp"]
    path, signals = _write_edf(tmp_path / "mixed.bdf", labels, sfreq=[200, 200, 200, 100, 200, 25],
                               units=["mV", "uV", "uV", "uV", "mV", "uV"])  # fmt: skip
    upper = tmp_path / "MIXED.BDF"
    shutil.move(path, upper)
    rec = load_recording(upper)
    assert (
        rec.file_format == "BDF+C"
        and rec.sfreq == 200
        and rec.ch_names == ["Fp1", "Fp2", "C3", "O1"]
    )
    notes = " ".join(rec.notes)
    assert "EEG channels have mixed rates (100, 200 Hz)" in notes
    assert "1 auxiliary channel(s) at 25 Hz dropped before loading" in notes
    assert "Fp1 stored in mV" in notes
    assert_allclose(rec.raw.get_data(picks=["Fp1"])[0], signals[0] * 1e-3, atol=0.05e-6)
    assert_allclose(rec.raw.get_data(picks=["Fp2"])[0], signals[1] * 1e-6, atol=0.05e-6)


def test_missing_unit_with_microvolt_range_is_taken_as_microvolts(tmp_path):
    path = tmp_path / "nounit.edf"
    signals = np.random.default_rng(1).normal(0, 30, (2, 1200)).clip(-500, 500)
    headers = [highlevel.make_signal_header(lab, "", 100, -500, 500) for lab in ("Cz", "Pz")]
    highlevel.write_edf(str(path), signals, headers)
    rec = load_recording(path)
    assert any("no unit (range fits µV)" in n for n in rec.notes)
    assert_allclose(rec.raw.get_data(), signals * 1e-6, atol=0.05e-6)


def test_header_record_count_minus_one(tmp_path):
    path, _ = _write_edf(tmp_path / "open.edf", ["Fz", "Cz", "Pz"])
    data = bytearray(path.read_bytes())
    data[236:244] = b"-1      "
    path.write_bytes(bytes(data) + b"\x00" * 50)  # and half a record still being written
    rec = load_recording(path)
    assert rec.duration_s == 12 and any("record count is -1" in n for n in rec.notes)
    assert any(n.startswith("MNE: Number of records") for n in rec.notes)  # warning -> note


@needs_real_edf
def test_loading_prints_nothing(capfd):
    load_recording(REAL_EDF / "nihonkohden_chtypes_clinical.edf", min_duration_s=1, preload=False)
    load_recording(REAL_EDF / "openbci_cosleep_multiple_annotation_chans.bdf")
    assert capfd.readouterr() == ("", "")


def test_non_ascii_annotation(tmp_path):
    path, _ = _write_edf(
        tmp_path / "ann.edf", ["Fp1", "Fp2"], annotations=[(1.5, 0, "bébé pleure")]
    )
    assert load_recording(path, encoding="utf8").annotations.description[0] == "bébé pleure"
    assert load_recording(path).annotations.description[0].startswith("b")  # Latin-1 never fails


def test_duplicate_identical_labels_keep_the_first(tmp_path):
    path, signals = _write_edf(tmp_path / "dup.edf", ["Fp1", "Cz", "Fp1"], seed=3)
    rec = load_recording(path)
    assert rec.ch_names == ["Fp1", "Cz"] and rec.set_aside == {"duplicate": ("Fp1",)}
    assert_allclose(rec.raw.get_data(picks=["Fp1"])[0], signals[0] * 1e-6, atol=0.05e-6)


def test_identifying_fields_from_written_header(tmp_path):
    patient = {"patientname": "Ayse_Yilmaz", "patientcode": "H123", "birthdate": "05-03-2024",
               "admincode": "WARD7"}  # fmt: skip
    path, _ = _write_edf(tmp_path / "id.edf", ["Fp1", "Fp2"], patient=patient)
    rec = load_recording(path)
    assert (rec.subject.name, rec.subject.code, rec.subject.admin_code) == (
        "Ayse_Yilmaz",
        "H123",
        "WARD7",
    )
    assert "Ayse" not in repr(rec) + repr(rec.subject) + " ".join(rec.notes)
    assert rec.raw.info["subject_info"] is None


# ---------------------------------------------------------------- Raw objects
def test_raw_array_is_accepted_and_not_modified():
    info = mne.create_info(["EEG Fp1-Ref", "ECG", "T7", "Fp1", "FP1-F7"], 100.0,
                           ["eeg", "ecg", "eeg", "eeg", "eeg"])  # fmt: skip
    info["subject_info"] = {"his_id": "H1"}
    data = np.random.default_rng(2).normal(0, 20e-6, (5, 1500))
    raw = mne.io.RawArray(data, info, verbose="error")
    raw.set_annotations(mne.Annotations([1.0], [0.5], ["spike"]))
    rec = load_recording(raw)
    assert rec.ch_names == ["Fp1", "T3"] and rec.source == "in-memory RawArray"
    assert rec.set_aside == {"ecg": ("ECG",), "duplicate": ("Fp1",), "bipolar": ("FP1-F7",)}
    assert_allclose(rec.raw.get_data(), data[[0, 2]])
    assert list(rec.annotations.description) == ["spike"]
    assert rec.subject.mne_subject_info == {"his_id": "H1"} and rec.raw.info["subject_info"] is None
    # the caller's object is untouched
    assert raw.ch_names == ["EEG Fp1-Ref", "ECG", "T7", "Fp1", "FP1-F7"]
    assert_allclose(raw.get_data(), data)
    assert raw.info["subject_info"]["his_id"] == "H1"


def test_raw_in_millivolts_is_flagged():
    raw = mne.io.RawArray(np.random.default_rng(4).normal(0, 0.05, (2, 1500)),
                          mne.create_info(["Cz", "Pz"], 100.0, "eeg"), verbose="error")  # fmt: skip
    rec = load_recording(raw)
    assert any("implausible for volts" in n for n in rec.notes)


def test_raw_without_eeg_and_bad_parameters():
    raw = mne.io.RawArray(
        np.zeros((1, 2000)), mne.create_info(["ECG"], 100.0, "ecg"), verbose="error"
    )
    with pytest.raises(RecordingError, match="in-memory RawArray: no 10-20 EEG channel"):
        load_recording(raw)
    with pytest.raises(ValueError, match="'gaps' parameter"):
        load_recording(raw, gaps="split")
