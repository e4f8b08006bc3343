"""Sleep-wake state from the technician's annotations, and state-matched comparison."""

from __future__ import annotations

import json

import numpy as np
import pytest

from eegpipe.cli import main
from eegpipe.compare import MIN_STATE_EPOCHS, compare
from eegpipe.simulate._edf import write_edf
from eegpipe.simulate._plan import make_plan
from eegpipe.state import common_state, epoch_states, state_of_text
from tests.conftest import REAL_EDF, needs_real_edf

TRUE_STATE = {"awake": "awake", "nrem": "asleep", "rem": "rem"}


@pytest.mark.parametrize(("text", "state"), [
    ("Awake", "awake"), ("awake, crying", "awake"), ("Eyes closed", "awake"), ("W", "awake"),
    ("Sleep stage W", "awake"), ("Asleep", "asleep"), ("Quiet sleep", "asleep"), ("N2", "asleep"),
    ("Sleep stage 3", "asleep"), ("Drowsy", "asleep"), ("REM", "rem"), ("Active sleep", "rem"),
    ("Sleep stage R", "rem"), ("Sleep stage ?", ""), ("Movement time", ""), ("Photic 3 Hz", ""),
    ("Remarks: Fp1 re-gelled", ""), ("Spasm", ""), ("R", ""),
])  # fmt: skip
def test_state_words_of_technicians_and_hypnograms(text, state):
    assert state_of_text(text) == state


def test_marks_hold_until_the_next_and_spans_hold_their_length():
    marks = [(0.0, 0.0, "Awake"), (25.0, 0.0, "Photic 3 Hz"), (35.0, 0.0, "Asleep"),
             (60.0, 20.0, "Sleep stage R")]  # fmt: skip
    got = epoch_states(marks, np.arange(0.0, 100.0, 10.0), 10.0, 100.0)
    # the photic mark does not end wakefulness; 30-40 s is half awake, half asleep (first
    # state wins a tie); the REM span ends at 80 s and nothing is annotated after it
    assert got.tolist() == ["awake", "awake", "awake", "awake", "asleep", "asleep", "rem", "rem", "", ""]
    assert common_state(got, got[:6], 2) == "awake" and common_state(got, got[4:6], 3) is None
    assert epoch_states([(0.0, 0.0, "Movement")], np.arange(0.0, 30.0, 10.0), 10.0, 30.0).tolist() == [""] * 3


def _recording(path, seed, sleep_bias, annotate):
    """One infant's slow modified hypsarrhythmia at fixed voltage; the state marks, when
    asked for, at each state's onset as a technician sets them."""
    plan = make_plan(seed, label="modified_hypsarrhythmia", subtypes=["slow_no_spikes"], severity=0.7,
                     duration_s=240, sfreq=256, subject_gain=1.0, sleep_bias=sleep_bias)  # fmt: skip
    plan.annotations = [(on, 0.0, {"awake": "Awake", "nrem": "Quiet sleep", "rem": "REM"}[s])
                        for on, _, s in plan.states] if annotate else []  # fmt: skip
    write_edf(plan, path, sidecar=False)
    return path, plan


def test_comparison_is_restricted_to_the_state_both_recordings_share(tmp_path, capsys):
    # baseline in NREM then REM; follow-up in NREM then awake (seeds 901, 902)
    (pre, pre_plan), (post, post_plan) = (_recording(tmp_path / f"{n}.edf", s, b, True)
                                          for n, s, b in (("pre", 901, 1.0), ("post", 902, 0.5)))  # fmt: skip
    assert {s for *_, s in pre_plan.states} != {s for *_, s in post_plan.states}
    c = compare(pre, post, n_boot=200)
    assert c.state == "asleep"
    for tp, plan in ((c.pre, pre_plan), (c.post, post_plan)):
        assert len(tp.table) >= 6 and set(tp.states) == {"asleep"}
        # every compared epoch lies in the simulated NREM stretches
        truth = [next(TRUE_STATE[s] for on, d, s in plan.states if on <= t + 5 < on + d)
                 for t in tp.table["start_s"]]  # fmt: skip
        assert set(truth) == {"asleep"}
    assert any("compared on the epochs annotated asleep in both" in n for n in c.notes)
    # the same recordings without state annotations: every clean epoch is compared
    bare = [_recording(tmp_path / f"{n}_bare.edf", s, b, False)[0]
            for n, s, b in (("pre", 901, 1.0), ("post", 902, 0.5))]  # fmt: skip
    b = compare(*bare, n_boot=200)
    assert b.state is None and b.pre.states is None
    assert len(b.post.table) > len(c.post.table) and len(b.pre.table) > len(c.pre.table)
    assert main(["compare", str(pre), str(post), "--format", "json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["compared_state"] == "asleep" and d["clean_epochs"]["post"] == len(c.post.table)


def test_a_state_met_for_under_a_minute_does_not_restrict_the_comparison(tmp_path):
    # baseline annotated awake throughout, follow-up asleep but for its last 50 s: the
    # 4 clean awake epochs they share are too few to compare on (held-out responder 9944)
    paths = []
    for name, seed, marks in (("pre", 903, [(0.0, 0.0, "Awake")]),
                              ("post", 905, [(0.0, 0.0, "Asleep"), (190.0, 0.0, "Awake")])):  # fmt: skip
        plan = make_plan(seed, label="normal", duration_s=240, sfreq=256, subject_gain=1.0)
        plan.annotations = marks
        write_edf(plan, tmp_path / f"{name}.edf", sidecar=False)
        paths.append(tmp_path / f"{name}.edf")
    c = compare(*paths, n_boot=100)
    awake = int(np.sum(c.post.states == "awake"))
    assert 3 <= awake < MIN_STATE_EPOCHS  # enough for the old floor of 3 epochs, under a minute
    assert c.state is None and len(c.post.table) > awake
    assert any(f"no state has {MIN_STATE_EPOCHS} clean epochs in both" in n for n in c.notes), c.notes


@needs_real_edf
def test_a_real_hypnogram_maps_to_states():
    """The Sleep-EDF hypnogram (annotation-only EDF+, stages as 30-s multiples): every
    stage word is read, and the epochs' states add up to the scored durations."""
    import mne

    ann = mne.read_annotations(REAL_EDF / "sleepedf_SC4001EC-Hypnogram.edf")
    words = {t: state_of_text(t) for t in set(ann.description)}
    assert words == {"Sleep stage W": "awake", "Sleep stage 1": "asleep", "Sleep stage 2": "asleep",
                     "Sleep stage 3": "asleep", "Sleep stage 4": "asleep", "Sleep stage R": "rem",
                     "Sleep stage ?": ""}  # fmt: skip
    end = float(ann.onset[-1] + ann.duration[-1])
    states = epoch_states(zip(ann.onset, ann.duration, ann.description, strict=True),
                          np.arange(0.0, end, 30.0), 30.0, end)  # fmt: skip
    for state in ("awake", "asleep", "rem"):
        scored = sum(d for d, t in zip(ann.duration, ann.description, strict=True) if words[t] == state)
        assert np.sum(states == state) * 30.0 == pytest.approx(scored)


def test_score_reports_the_annotated_states_of_its_clean_epochs():
    from eegpipe.score import score_recording
    from tests.conftest import REPO

    day30 = REPO / "sample_edf" / "series" / "series105_responder_1_day30.edf"
    truth = json.loads(day30.with_suffix(".json").read_text())
    q = score_recording(day30).quality
    # the technician marked "Awake" at 4 s and "Asleep" at 110 s; both states were recorded
    assert {a["description"] for a in truth["annotations"]} >= {"Awake", "Asleep"}
    assert q["annotated_states"]["awake"] > 0 and q["annotated_states"]["asleep"] > 0
    assert sum(q["annotated_states"].values()) == q["epochs"] - q["excluded_epochs"]
    unmarked = REPO / "sample_edf" / "hypsarrhythmia_6mo.edf"
    assert "annotated_states" not in score_recording(unmarked).quality
