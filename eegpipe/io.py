"""Loading stage: an EDF, EDF+ or BDF file (or an MNE Raw) becomes a :class:`Recording`.

The file is checked before MNE sees it (header fields, file size against the header);
only the 10-20 EEG channels are read (``include=``), so slow auxiliary channels never
force an upsampling; EDF+D gaps are found from the data-record time stamps; and every
decision is stated in plain English in ``Recording.notes``. Anything that cannot be
scored raises :class:`~eegpipe.errors.RecordingError` with a one-line reason.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from os import PathLike
from pathlib import Path

import mne
import numpy as np

from eegpipe._edfheader import _check_size, _Header, _read_header, _read_tals
from eegpipe.channels import ChannelMap, map_channels
from eegpipe.errors import RecordingError

#: Annotation marking the junction of two EDF+D segments (MNE's name for a skip).
GAP_DESCRIPTION = "BAD_ACQ_SKIP"
#: Median over EEG channels of the 1st-99th percentile range, in volts, outside which
#: the header's unit is suspect: scalp EEG (hypsarrhythmia included) stays far below
#: 20 mV, and a connected electrode far above 0.5 µV.
PLAUSIBLE_RANGE_V = (0.5e-6, 20e-3)
#: Scale MNE 1.x applies for a header unit (anything else: 1, i.e. taken as volts).
_MNE_SCALE = {"µV": 1e-6, "μV": 1e-6, "\x83\xcaV": 1e-6, "uV": 1e-6, "mV": 1e-3}
_VOLT_SCALE = {"uv": 1e-6, "mv": 1e-3, "v": 1.0, "nv": 1e-9}


@dataclass(frozen=True, repr=False)
class SubjectInfo:
    """Identifying header fields, kept apart from the signal for de-identification.

    Attributes
    ----------
    patient_field, recording_field : str
        The EDF patient and recording fields as stored (empty for a Raw).
    code, sex, birth_date, name : str or None
        EDF+ patient subfields: hospital code, sex, birth date, name.
    admin_code : str or None
        EDF+ recording subfield: hospital administration code.
    mne_subject_info : dict or None
        ``info["subject_info"]`` as MNE had it; removed from ``Recording.raw``.
    """

    patient_field: str = ""
    recording_field: str = ""
    code: str | None = None
    sex: str | None = None
    birth_date: str | None = None
    name: str | None = None
    admin_code: str | None = None
    mne_subject_info: dict | None = None

    def __repr__(self) -> str:
        return "SubjectInfo(<identifying fields withheld>)"


#: Mean days per month (365.25 / 12), for ages in months.
DAYS_PER_MONTH = 30.4375


def _parse_edf_date(text: str | None) -> date | None:
    """An EDF+ ``dd-MMM-yyyy`` date (e.g. ``02-MAY-1951``), or None."""
    if not text:
        return None
    try:
        return datetime.strptime(text.strip().title(), "%d-%b-%Y").date()
    except ValueError:
        return None


@dataclass(repr=False)
class Recording:
    """A loaded recording: 10-20 EEG in volts, and what was done to get there.

    Attributes
    ----------
    raw : mne.io.BaseRaw
        The 10-20 channels found, renamed to eegpipe's names (old temporal names), in
        ``CHANNELS_1020`` order, in volts, with the file's annotations.
    source : str
        The file path, or a description of the Raw that was passed.
    channels : ChannelMap
        The decision made for every label of the source.
    set_aside : dict of str to tuple of str
        Kind (``"ecg"``, ``"eog"``, ``"bipolar"``, ``"extra_eeg"``, ``"duplicate"``,
        ...) -> original labels of the channels not loaded.
    missing_channels : tuple of str
        The 10-20 channels the source does not have.
    sfreq : float
        Sampling rate of ``raw``, in Hz.
    duration_s : float
        Length of ``raw``, in seconds.
    segments : tuple of (float, float)
        Continuous stretches of ``raw`` as (start, stop) in seconds from its first
        sample; more than one only for an EDF+D file read with ``gaps="mark"``.
    notes : list of str
        Plain-English statements of what was found and done.
    meas_date : datetime or None
        Wall-clock time of the first sample of ``raw``, as stored in the header.
    file_format : str
        ``"EDF"``, ``"EDF+C"``, ``"EDF+D"``, ``"BDF"``, ``"BDF+C"``, ``"BDF+D"``, or
        the class name of the Raw that was passed.
    subject : SubjectInfo
        Identifying header fields; its repr never shows them.
    """

    raw: mne.io.BaseRaw
    source: str
    channels: ChannelMap
    set_aside: dict[str, tuple[str, ...]]
    missing_channels: tuple[str, ...]
    sfreq: float
    duration_s: float
    segments: tuple[tuple[float, float], ...]
    notes: list[str]
    meas_date: datetime | None
    file_format: str
    subject: SubjectInfo = field(default_factory=SubjectInfo)

    @property
    def age_months(self) -> float | None:
        """Age at the first sample in months (days / 30.4375), from the EDF+ birth date.

        ``None`` when the header has no usable birth date or start time (EDF+ writes
        ``X`` for unknown; anonymised exports often blank both).
        """
        born = _parse_edf_date(self.subject.birth_date)
        if born is None or self.meas_date is None:
            return None
        days = (self.meas_date.date() - born).days
        return round(days / DAYS_PER_MONTH, 2) if days >= 0 else None

    @property
    def annotations(self) -> mne.Annotations:
        """The annotations of ``raw`` (events from the file, gap marks)."""
        return self.raw.annotations

    @property
    def ch_names(self) -> list[str]:
        """The 10-20 names of the loaded channels."""
        return list(self.raw.ch_names)

    def __repr__(self) -> str:
        n, fmt = len(self.ch_names), self.file_format
        return (
            f"<Recording {self.source!r}: {n} EEG, {self.sfreq:g} Hz, {self.duration_s:g} s, {fmt}>"
        )


def load_recording(
    source: str | PathLike | mne.io.BaseRaw,
    *,
    preload: bool = True,
    encoding: str = "latin1",
    min_duration_s: float = 10.0,
    gaps: str = "longest",
) -> Recording:
    """Load an EDF/EDF+/BDF file, or an MNE Raw, as 10-20 EEG in volts.

    Parameters
    ----------
    source : path-like or mne.io.BaseRaw
        An EDF or BDF file (any extension case: the format is read from the header)
        or a Raw, which is copied and never modified.
    preload : bool
        Read the samples into memory now. With False nothing is read until
        ``recording.raw.get_data(start=..., stop=...)`` or :func:`iter_chunks` asks,
        so a long file can be processed in bounded memory.
    encoding : str
        Text encoding of EDF+ annotations; Latin-1 accepts any byte.
    min_duration_s : float
        Shortest continuous EEG accepted, in seconds.
    gaps : ``"longest"`` | ``"mark"``
        For an EDF+D file with gaps: keep only the longest continuous segment, or
        keep all segments joined, each junction annotated ``BAD_ACQ_SKIP`` and the
        segments listed in ``Recording.segments``. No time is ever scored across a gap.

    Returns
    -------
    recording : Recording
        The EEG, its annotations, what was set aside, and why (``notes``).

    Raises
    ------
    RecordingError
        If the file is missing, not EDF/BDF, truncated or corrupt, holds no
        referential 10-20 EEG channel, or is shorter than ``min_duration_s``.
    """
    if gaps not in ("longest", "mark"):
        raise ValueError(
            "Invalid value for the 'gaps' parameter. Allowed values are 'longest' and "
            f"'mark', but got {gaps!r} instead."
        )
    notes: list[str] = []
    with _quiet_mne(notes):
        if isinstance(source, mne.io.BaseRaw):
            recording = _from_raw(source, min_duration_s, notes)
        else:
            recording = _from_file(Path(source), encoding, min_duration_s, gaps, notes)
        if preload and not recording.raw.preload:
            recording.raw.load_data()
    return recording


def iter_chunks(recording: Recording, chunk_s: float) -> Iterator[tuple[float, np.ndarray]]:
    """Read the EEG in consecutive time chunks, never across an EDF+D gap.

    Parameters
    ----------
    recording : Recording
        From :func:`load_recording`, typically with ``preload=False``.
    chunk_s : float
        Chunk length, in seconds; the last chunk of each segment may be shorter.

    Yields
    ------
    start_s : float
        Start of the chunk, in seconds from the first sample of ``recording.raw``.
    data : ndarray, shape (n_channels, n_samples)
        The EEG of the chunk in volts, channels in ``recording.ch_names`` order.
    """
    if not chunk_s > 0:
        raise ValueError(f"chunk_s must be a positive number of seconds, got {chunk_s!r}")
    sfreq, n_times = recording.sfreq, recording.raw.n_times
    step = max(round(chunk_s * sfreq), 1)
    for seg_start, seg_stop in recording.segments:
        first, last = round(seg_start * sfreq), min(round(seg_stop * sfreq), n_times)
        for start in range(first, last, step):
            stop = min(start + step, last)
            yield start / sfreq, recording.raw.get_data(start=start, stop=stop, verbose="error")


def _from_file(path: Path, encoding, min_duration_s, gaps, notes: list[str]) -> Recording:
    """The loading stage for an EDF/BDF file."""
    if not path.is_file():
        raise RecordingError(path, "not a file" if path.exists() else "file not found")
    header = _read_header(path)
    n_records = _check_size(path, header, notes)
    cmap = map_channels(header.labels)
    if not cmap.eeg:
        raise RecordingError(path, cmap.why_no_eeg(), unscorable_montage=bool(cmap.bipolar))
    if header.record_s <= 0:
        raise RecordingError(path, f"corrupt header: data records last {header.record_s} s")
    if n_records * header.record_s < min_duration_s:
        raise RecordingError(path, _too_short(n_records * header.record_s, min_duration_s))
    if header.file_format[3:] in ("+C", "+D") and not header.tal:
        notes.append(f"header says {header.file_format} but there is no annotation signal")
    notes.extend(cmap.notes)
    notes.extend(_rate_notes(header, cmap))
    raw, sel = _read_mne(path, header, cmap, encoding)
    _rescale_units(raw, header, sel, notes)
    raw.pick([sel[i] for i in cmap.picks])
    raw.rename_channels({sel[i]: cmap.mapping[header.labels[i]] for i in cmap.picks})
    segments, shift = ((0.0, raw.n_times / raw.info["sfreq"]),), timedelta(0)
    if header.file_format.endswith("+D"):
        segments, shift = _apply_gaps(raw, path, header, n_records, encoding, gaps, notes)
    return _finish(raw, cmap, path, header, notes, segments, min_duration_s, shift)


@contextmanager
def _quiet_mne(notes: list[str]):
    """Silence MNE's logging, and turn the warnings it raises into notes."""
    with mne.utils.use_log_level("warning"), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield
    for message in dict.fromkeys(str(w.message).splitlines()[0] for w in caught):
        notes.append(f"MNE: {message}")


def _too_short(duration_s: float, min_duration_s: float) -> str:
    return f"too short to score: {duration_s:g} s of continuous EEG, less than {min_duration_s:g} s"


def _rate_notes(header: _Header, cmap: ChannelMap) -> list[str]:
    """Say which sampling rates the EEG and the channels left out had."""
    rates = [n / header.record_s for n in header.samples]
    eeg = sorted({rates[i] for i in cmap.picks})
    others = [rates[i] for i in range(len(rates)) if i not in cmap.picks and i not in header.tal]
    slow = [r for r in others if r != eeg[-1]]
    notes = []
    if len(eeg) > 1:
        shown = ", ".join(f"{r:g}" for r in eeg)
        notes.append(
            f"EEG channels have mixed rates ({shown} Hz); MNE resampled all to {eeg[-1]:g} Hz"
        )
    if slow:
        shown = ", ".join(f"{r:g}" for r in sorted(set(slow)))
        notes.append(
            f"mixed per-channel rates: EEG at {eeg[-1]:g} Hz, {len(slow)} auxiliary channel(s) "
            f"at {shown} Hz dropped before loading"
        )
    return notes


def _read_mne(path, header, cmap, encoding) -> tuple[mne.io.BaseRaw, dict[int, str]]:
    """Read only the chosen channels, lazily; return the Raw and header index -> name."""
    include = {header.labels[i] for i in cmap.picks}
    reader = mne.io.read_raw_bdf if header.bdf else mne.io.read_raw_edf
    try:
        raw = reader(path, include=sorted(include), stim_channel=None, encoding=encoding)
    except Exception as err:  # MNE raises many types; the user needs one line
        reason = (str(err).strip().splitlines() or [type(err).__name__])[0]
        raise RecordingError(path, f"MNE could not read it: {reason}") from err
    # MNE keeps header order and makes repeated labels unique: map back by position.
    sel = [i for i, label in enumerate(header.labels) if label in include]
    return raw, dict(zip(sel, raw.ch_names, strict=True))


def _rescale_units(raw, header: _Header, sel: dict[int, str], notes: list[str]) -> None:
    """Make every EEG channel end in volts; say where the header's unit is not µV."""
    odd: dict[str, list[str]] = {}
    for k, (i, name) in enumerate(sel.items()):
        unit, mne_scale = header.units[i], _MNE_SCALE.get(header.units[i], 1.0)
        key = unit.replace("µ", "u").replace("μ", "u").replace("\x83\xca", "u").lower()
        scale = _VOLT_SCALE.get(key)
        if scale is None and not unit and header.phys_max[i] > 1.0:
            scale, unit = 1e-6, "no unit (range fits µV)"  # a ±1 V range cannot be volts
        elif scale is None:
            scale, unit = mne_scale, f"{unit or 'no unit'} (taken as V)"
        if scale != 1e-6 or unit not in _MNE_SCALE:
            odd.setdefault(unit, []).append(name)
        if scale != mne_scale:
            # No public per-channel calibration exists for a Raw not yet loaded; MNE
            # multiplies by _cals whenever it reads samples, lazily or not.
            raw._cals[k] *= scale / mne_scale
    for unit, names in odd.items():
        notes.append(f"EEG channel(s) {', '.join(names)} stored in {unit}; converted to volts")


def _apply_gaps(raw, path, header, n_records, encoding, gaps, notes):
    """Find the gaps of an EDF+D file, re-time its annotations onto the samples, and
    keep the longest segment or mark the junctions; return (segments, date shift)."""
    stamps, tals = _read_tals(path, header, n_records, encoding)
    onsets, length, sfreq = stamps - stamps[0], header.record_s, raw.info["sfreq"]
    breaks = np.flatnonzero(np.abs(np.diff(onsets) - length) > 0.5 / sfreq) + 1
    edges = [0, *breaks.tolist(), n_records]
    runs = list(zip(edges[:-1], edges[1:], strict=False))  # record ranges [a, b)
    total, fmt = n_records * length, header.file_format
    if len(runs) == 1:
        notes.append(
            f"{fmt} (discontinuous) header, but all {n_records} data records are "
            f"contiguous: read as one continuous segment of {total:g} s"
        )
        return ((0.0, total),), timedelta(0)
    starts = onsets[edges[:-1]]
    new = []  # annotation onsets move from the file's clock to the sample clock
    for onset, duration, desc in tals:
        a, b = runs[max(int(np.searchsorted(starts, onset - stamps[0] + 1e-9, "right")) - 1, 0)]
        offset = min(max(onset - stamps[0] - onsets[a], 0.0), (b - a) * length)
        new.append((a * length + offset, duration, desc))
    if gaps == "mark":
        new += [(a * length, 1 / sfreq, GAP_DESCRIPTION) for a, _ in runs[1:]]
    raw.set_annotations(mne.Annotations(*zip(*new, strict=True), orig_time=None) if new else None)
    missing = float(onsets[-1] + length - total)
    gap_text = f"{fmt} with {len(runs) - 1} gap(s) ({missing:g} s missing)"
    if gaps == "mark":
        notes.append(
            f"{gap_text}: {len(runs)} continuous segments joined, each junction marked "
            f"{GAP_DESCRIPTION}; later stages must not span one"
        )
        return tuple((a * length, b * length) for a, b in runs), timedelta(0)
    a, b = max(runs, key=lambda run: run[1] - run[0])
    notes.append(
        f"{gap_text}: using the longest continuous segment, {(b - a) * length:g} s from "
        f"{onsets[a]:g} s after the start (records {a + 1}-{b} of {n_records})"
    )
    raw.crop(a * length, b * length, include_tmax=False)
    return ((0.0, (b - a) * length),), timedelta(seconds=float(onsets[a] - a * length))


def _amplitude_note(raw, notes: list[str]) -> None:
    """Note EEG whose amplitude suggests a wrong unit (reads at most the first 60 s)."""
    data = raw.get_data(stop=min(raw.n_times, round(60 * raw.info["sfreq"])))
    spread = float(np.median(np.subtract(*np.percentile(data, [99, 1], axis=1))))
    if spread > PLAUSIBLE_RANGE_V[1] or 0 < spread < PLAUSIBLE_RANGE_V[0]:
        notes.append(
            f"EEG amplitude is implausible for volts (median 1st-99th percentile range "
            f"{spread:.3g} V): the unit in the header may be wrong"
        )


def _finish(raw, cmap, source, header, notes, segments, min_duration_s, shift) -> Recording:
    """Checks and notes shared by files and Raw objects; build the Recording."""
    raw.reorder_channels(list(cmap.eeg))
    raw.set_channel_types(dict.fromkeys(raw.ch_names, "eeg"), on_unit_change="ignore")
    duration = raw.n_times / raw.info["sfreq"]
    longest = max(stop - start for start, stop in segments)  # epochs never span a gap
    if longest < min_duration_s:
        raise RecordingError(source, _too_short(longest, min_duration_s))
    present = f"{len(cmap.eeg)} of 19 10-20 channels present"
    notes.insert(0, f"{present}; missing {', '.join(cmap.missing)}" if cmap.missing else present)
    _amplitude_note(raw, notes)
    info = raw.info.get("subject_info")
    info = None if info is None else dict(info)
    raw.info["subject_info"] = None  # kept apart, in Recording.subject
    if header is None:
        subject, fmt = SubjectInfo(mne_subject_info=info), type(raw).__name__
    else:
        patient = [*header.patient.split(), None, None, None, None]
        rec = [*header.recording.split(), None, None, None]
        subject = SubjectInfo(header.patient, header.recording, *patient[:4], rec[2], info)
        fmt = header.file_format
    if raw.info["meas_date"] is not None and shift:
        raw.set_meas_date(raw.info["meas_date"] + shift)
    meas_date = raw.info["meas_date"]
    if meas_date is not None:
        meas_date += timedelta(seconds=raw.first_time)
    return Recording(
        raw=raw,
        source=str(source),
        channels=cmap,
        set_aside=cmap.set_aside,
        missing_channels=cmap.missing,
        sfreq=float(raw.info["sfreq"]),
        duration_s=duration,
        segments=segments,
        notes=notes,
        meas_date=meas_date,
        file_format=fmt,
        subject=subject,
    )


def _from_raw(raw: mne.io.BaseRaw, min_duration_s: float, notes: list[str]) -> Recording:
    """The loading stage for a Raw already in memory (or opened by the caller)."""
    name = raw.filenames[0] if raw.filenames and raw.filenames[0] else None
    source = str(name) if name else f"in-memory {type(raw).__name__}"
    cmap = map_channels(raw.ch_names, raw.get_channel_types())
    if not cmap.eeg:
        raise RecordingError(source, cmap.why_no_eeg(), unscorable_montage=bool(cmap.bipolar))
    raw = raw.copy().pick(list(cmap.mapping))  # never modify the caller's object
    raw.rename_channels(cmap.mapping)
    notes.extend(cmap.notes)
    n_gaps = int(np.sum(raw.annotations.description == GAP_DESCRIPTION))
    if n_gaps:
        notes.append(f"{n_gaps} junction(s) marked {GAP_DESCRIPTION}; do not span them")
    segments = ((0.0, raw.n_times / raw.info["sfreq"]),)
    return _finish(raw, cmap, source, None, notes, segments, min_duration_s, None)
