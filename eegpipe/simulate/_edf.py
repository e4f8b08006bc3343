"""Write a plan to an EDF+ file (streamed, block by block) and its ground-truth sidecar."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import numpy as np
import pyedflib

from eegpipe import __version__
from eegpipe.simulate._params import AUX_LABELS, format_channel
from eegpipe.simulate._plan import Plan
from eegpipe.simulate._render import PHYSICAL_RANGE_UV, Renderer, photic_divisor

#: Version of the simulator's model; bump whenever the same seed would give other samples.
#: 2 (commit c98732c): an infant keeps its voltage across a series, partial responders stay
#: in the abnormal severity range.  3 (commit c67a16e, bumped later): a partial
#: responder's follow-ups reorganize and keep one focus.  Single recordings, corpora and
#: responder/non-responder series are the same in 1-3 (the reference recordings rebuild
#: identically); only the header's version tag differs.  4: a partial responder's
#: residual focus is never the electrode recorded flat or disconnected (it was, in 3 of
#: about 100 simulated partial responders, a focus no recording could show); every other
#: recording is unchanged.
SIMULATOR_VERSION = "4"


def channel_labels(plan: Plan) -> list[str]:
    """EDF labels of the EEG channels, in the plan's export style.

    Parameters
    ----------
    plan : Plan
        The recording plan.

    Returns
    -------
    labels : list of str
    """
    return [format_channel(n, plan.channel_style) for n in plan.scalp_names]


def aux_channels(plan: Plan) -> list[tuple[str, str, int]]:
    """Auxiliary channels present: ``(key, label, sampling rate)``.

    Parameters
    ----------
    plan : Plan
        The recording plan.

    Returns
    -------
    channels : list of tuple
    """
    labels = AUX_LABELS[plan.channel_style]
    out = []
    for key in ("ecg", "eog", "photic"):
        if plan.aux[key]:
            rate = plan.sfreq // (photic_divisor(plan) if key == "photic" else 1)
            out.append((key, labels[key], rate))
    return out


def truth(plan: Plan, file_name: str | None = None, include_events: bool = True) -> dict:
    """The sidecar: everything known about a simulated recording, JSON-ready.

    Parameters
    ----------
    plan : Plan
        The recording plan.
    file_name : str or None
        Name of the EDF file it describes.
    include_events : bool
        Whether to list every spike and artifact (large for day-long files).

    Returns
    -------
    truth : dict
        See ``sample_edf/README.md`` for the meaning of each key.
    """
    aux = aux_channels(plan)
    by_kind: dict[str, list] = {}
    for ev in plan.events:
        by_kind.setdefault(ev.kind, []).append(ev.truth)
    scalp_kinds = ("blink", "eye_movement", "emg", "movement", "electrode_pop", "drift",
                   "tremor", "myoclonic_jerk")  # fmt: skip
    artifacts = sorted((t for k in scalp_kinds for t in by_kind.get(k, [])),
                       key=lambda t: t["onset"])  # fmt: skip
    n_spikes = len(by_kind.get("epileptiform", []))
    out = {
        "simulator_version": SIMULATOR_VERSION,
        "eegpipe_version": __version__,
        "file": file_name,
        "seed": plan.seed,
        "label": plan.label,
        "subtypes": plan.subtypes,
        "severity": plan.severity,
        "age_months": plan.age_months,
        "sfreq": plan.sfreq,
        "duration_s": plan.duration_s,
        "line_freq": plan.line_freq,
        "channel_style": plan.channel_style,
        "new_temporal_names": plan.new_temporal_names,
        "reference": plan.reference,
        "eeg_channels": channel_labels(plan),
        "eeg_channels_standard": plan.scalp_names,
        "aux_channels": [{"type": k, "label": lab, "sfreq": r} for k, lab, r in aux],
        "recording_start": plan.start.isoformat(),
        "patient": plan.patient,
        "treatment": plan.treatment,
        "states": [{"onset": o, "duration_s": d, "state": s} for o, d, s in plan.states],
        "spike_rate_per_min": round(n_spikes / plan.duration_s * 60, 2),
        "attenuations": by_kind.get("attenuation", []),
        "bad_channels": [plan.bad_channel] if plan.bad_channel else [],
        "line_noise": bool(plan.aux["line_noise"]),
        "artifact_kinds": sorted({a["type"] for a in artifacts}
                                 | ({"line_noise"} if plan.aux["line_noise"] else set())
                                 | ({"bad_channel"} if plan.bad_channel else set())),
        "involuntary_movements": bool(by_kind.get("tremor") or by_kind.get("myoclonic_jerk")),
        "annotations": [{"onset": o, "duration_s": d, "description": s}
                        for o, d, s in plan.annotations],
        "components": {k: _jsonable(v) for k, v in plan.components.items()},
    }  # fmt: skip
    if include_events:
        out["spikes"] = by_kind.get("epileptiform", [])
        out["benign_transients"] = by_kind.get("spindle", []) + by_kind.get("vertex", [])
        out["artifacts"] = artifacts
    return out


def _jsonable(v):
    if isinstance(v, np.ndarray):
        return [round(float(x), 4) for x in v]
    if isinstance(v, dict):
        return {k: _jsonable(x) for k, x in v.items()}
    if isinstance(v, float | np.floating):
        return round(float(v), 4)
    return v


def write_edf(plan: Plan, path: str | Path, *, sidecar: bool = True,
              include_events: bool = True) -> Path:  # fmt: skip
    """Render a plan straight into an EDF+ file, one block at a time.

    Parameters
    ----------
    plan : Plan
        What to write.
    path : str or Path
        Destination ``.edf`` file; its folder is created.
    sidecar : bool
        Also write ``<stem>.json`` with :func:`truth`.
    include_events : bool
        List every event in the sidecar.

    Returns
    -------
    path : Path
        The EDF file written.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    renderer = Renderer(plan)
    aux = aux_channels(plan)
    headers = [_signal_header(lab, plan.sfreq, "uV", PHYSICAL_RANGE_UV, "AgAgCl cup")
               for lab in channel_labels(plan)]  # fmt: skip
    for key, lab, rate in aux:
        rng = 5000.0 if key == "ecg" else PHYSICAL_RANGE_UV
        headers.append(_signal_header(lab, rate, "uV", rng, key.upper() + " lead"))
    writer = pyedflib.EdfWriter(str(path), len(headers), file_type=pyedflib.FILETYPE_EDFPLUS)
    try:
        writer.setSignalHeaders(headers)
        writer.setPatientName(plan.patient["name"])
        writer.setPatientCode(plan.patient["code"])
        writer.setBirthdate(dt.date.fromisoformat(plan.patient["birthdate"]))
        writer.setSex(1 if plan.patient["sex"] == "male" else 0)
        writer.setStartdatetime(plan.start)
        writer.setEquipment("eegpipe-sim")
        writer.setTechnician("sim")
        writer.setRecordingAdditional(f"eegpipe_simulator_v{SIMULATOR_VERSION}")
        for _, block in renderer.blocks():
            data = [np.ascontiguousarray(row) for row in block["eeg"]]
            data += [np.ascontiguousarray(block[key]) for key, _, _ in aux]
            writer.writeSamples(data)
        for onset, duration, text in plan.annotations:
            writer.writeAnnotation(onset, duration if duration > 0 else -1, text)
    finally:
        writer.close()
    if sidecar:
        with open(path.with_suffix(".json"), "w", encoding="utf-8") as fh:
            json.dump(truth(plan, path.name, include_events), fh, indent=1)
            fh.write("\n")
    return path


def _signal_header(label: str, rate: int, dim: str, rng: float, transducer: str) -> dict:
    return {
        "label": label, "dimension": dim, "sample_frequency": rate,
        "physical_max": rng, "physical_min": -rng, "digital_max": 32767,
        "digital_min": -32768, "transducer": transducer, "prefilter": "HP:0.1Hz LP:70Hz",
    }  # fmt: skip
