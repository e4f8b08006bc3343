"""Channel labels as clinical systems export them, mapped onto the 19 10-20 names.

One normaliser, driven by explicit tables, decides for every label whether it is a
referential 10-20 EEG channel (and which one), another scalp electrode, a bipolar
derivation, a non-EEG channel (ECG, EOG, EMG, respiration, ...) or something unknown.
Nothing is guessed from position in the file: a label that matches no table is
reported as unrecognised rather than silently used.

Label styles handled (any case): ``Fp1``, ``FP1``, ``Fp1..`` (BCI2000 dot padding),
``EEG Fp1`` (NeuroCom), ``EEG Fp1-Ref`` (Nihon Kohden), ``EEG FP1-REF`` (TUH),
``EEG FP1-LE``, ``Fp1-A1``, ``Fp1-AVG``, ``Fp1-M1``, ``Fp1-CPz`` (reference suffixes),
``EEG T7-Ref`` (new temporal names, mapped to T3/T4/T5/T6).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from eegpipe.montage import CHANNELS_1020, NEW_TO_OLD

#: Label (upper case, prefix and reference suffix removed) -> 10-20 name used by eegpipe.
#: The new ACNS names of the temporal electrodes map onto the old names (domain.md).
ALIASES_1020: dict[str, str] = {
    **{name.upper(): name for name in CHANNELS_1020},
    **{new.upper(): old for new, old in NEW_TO_OLD.items()},  # T7->T3, T8->T4, P7->T5, P8->T6
}

#: Scalp sites of the 10-10 system (plus the clinical anterior temporal T1/T2) that are
#: valid EEG but not among the 19 channels eegpipe scores.
EXTRA_SCALP: frozenset[str] = frozenset(
    """NZ FPZ AF9 AF7 AF5 AF3 AF1 AFZ AF2 AF4 AF6 AF8 AF10 F9 F5 F1 F2 F6 F10 FT9 FT7
    FC5 FC3 FC1 FCZ FC2 FC4 FC6 FT8 FT10 T9 C5 C1 C2 C6 T10 TP9 TP7 CP5 CP3 CP1 CPZ CP2
    CP4 CP6 TP8 TP10 P9 P5 P1 P2 P6 P10 PO9 PO7 PO5 PO3 PO1 POZ PO2 PO4 PO6 PO8 PO10 O9
    OZ O10 I1 IZ I2 T1 T2""".split()
)

#: Ear and mastoid reference electrodes (recorded as channels by some systems).
REFERENCE_SITES: frozenset[str] = frozenset({"A1", "A2", "M1", "M2"})

#: Second half of ``<electrode>-<suffix>`` meaning "referential", not bipolar.
_REFERENCE_SUFFIX = re.compile(
    r"^(REF\d*|LE|RE|AR|AV|AVG|AVE|CAR|LINKED|LM|A1|A2|M1|M2|A1\+?A2|M1\+?M2|CPZ|FCZ)$"
)

#: Leading type word (``<TYPE> <name>``, EDF+ convention) -> kind; None: look at the name.
_TYPE_PREFIX: dict[str, str | None] = {
    "EEG": None, "ECG": "ecg", "EKG": "ecg", "EOG": "eog", "EMG": "emg",
    "RESP": "resp", "SAO2": "spo2", "SPO2": "spo2", "POL": "polygraphic",
    "PHOTIC": "photic", "TEMP": "temp", "DC": "dc", "MISC": "misc",
    "EVENT": "stim", "TRIGGER": "stim", "STIM": "stim", "ACC": "accel",
}  # fmt: skip

#: Non-EEG channels recognised by name (matched on the upper-case name), in order.
_NON_EEG_NAMES: tuple[tuple[str, str], ...] = (
    (r"(ECG|EKG)\w*", "ecg"),
    (r"(EOG\w*|ROC|LOC|E1|E2)", "eog"),
    (r"(EMG\w*|CHIN\d*|LEG\w*|TIB\w*)", "emg"),
    (r"(RESP\w*|EFFORT|THOR\w*|ABD\w*|CHEST|FLOW|AIRFLOW|NASAL|SNORE|PTAF)", "resp"),
    (r"(SAO2|SPO2|PLETH|PULSE|OX\w*)", "spo2"),
    (r"PHOTIC\w*|PHOT", "photic"),
    (r"(TRIGGER|TRIG|STATUS|STIM\w*|EVENT\w*|MARKER\w*)", "stim"),
    (r"DC\d*", "dc"),
    (r"ACC\w*", "accel"),
    (r"(IBI|BURSTS|SUPPR)", "trend"),
    (r"TEMP\w*", "temp"),
)
_ANNOTATION_LABELS = frozenset({"EDF ANNOTATIONS", "BDF ANNOTATIONS"})
#: BioSemi cap positions (A1..H32, I1..I32 on the largest caps); a file dominated by
#: these has no 10-20 labels.
_BIOSEMI = re.compile(r"^[A-I]([1-9]|[12]\d|3[0-2])$", re.IGNORECASE)

#: Kinds returned by :func:`normalize_channel_name`.
EEG, EXTRA, REFERENCE, BIPOLAR, UNKNOWN, ANNOTATION = (
    "eeg", "extra_eeg", "reference", "bipolar", "unknown", "annotation",
)  # fmt: skip
NON_EEG_KINDS: frozenset[str] = frozenset(
    {k for k in _TYPE_PREFIX.values() if k} | {k for _, k in _NON_EEG_NAMES}
)


def _electrode_kind(name: str) -> tuple[str | None, str]:
    """Classify a bare electrode name (upper case, no prefix, no suffix)."""
    for pattern, kind in _NON_EEG_NAMES:
        if re.fullmatch(pattern, name):
            return None, kind
    if name in ALIASES_1020:
        return ALIASES_1020[name], EEG
    if name in EXTRA_SCALP:
        return None, EXTRA
    if name in REFERENCE_SITES:
        return None, REFERENCE
    return None, UNKNOWN


def _split(label: str) -> tuple[str | None, list[str]]:
    """Kind given by a non-EEG type word (or None), and the upper-case parts of the rest.

    ``"EEG Fp1-Ref"`` gives ``(None, ["FP1", "REF"])``; ``"Fc5."`` ``(None, ["FC5"])``;
    ``"ECG EKG-Ref"`` ``("ecg", ["EKG", "REF"])``.
    """
    text = " ".join(str(label).split()).rstrip(". ")
    head, _, rest = text.partition(" ")
    kind = None
    if rest and head.upper() in _TYPE_PREFIX:
        kind, text = _TYPE_PREFIX[head.upper()], rest
    return kind, [part.strip().upper() for part in text.split("-")]


def _is_electrode(name: str) -> bool:
    return name in ALIASES_1020 or name in EXTRA_SCALP or name in REFERENCE_SITES


def normalize_channel_name(label: str) -> tuple[str | None, str]:
    """Map one exported channel label onto a 10-20 name and say what kind it is.

    Parameters
    ----------
    label : str
        The label as stored in the file, e.g. ``"EEG FP1-REF"``, ``"Fc5."``,
        ``"EEG T7-Ref"`` or ``"ECG EKG-Ref"``.

    Returns
    -------
    name : str or None
        The 10-20 name from :data:`eegpipe.montage.CHANNELS_1020` (old temporal names:
        ``T7`` gives ``"T3"``) when ``kind == "eeg"``, otherwise None.
    kind : str
        ``"eeg"`` (one of the 19), ``"extra_eeg"`` (a 10-10 or T1/T2 scalp site not
        used), ``"reference"`` (A1/A2/M1/M2), ``"bipolar"`` (a derivation such as
        ``FP1-F7``), ``"annotation"``, a non-EEG kind (``"ecg"``, ``"eog"``, ``"emg"``,
        ``"resp"``, ``"spo2"``, ``"photic"``, ``"stim"``, ``"dc"``, ``"accel"``,
        ``"trend"``, ``"temp"``, ``"polygraphic"``, ``"misc"``) or ``"unknown"``.

    Notes
    -----
    A leading type word (``EEG``, ``ECG``, ``POL``, ...) is removed first; a non-EEG
    type word decides the kind, but a channel typed ``EEG`` is still checked by name
    (TUH exports ``EEG EKG1-REF``; the neonatal file ``EEG Effort-Ref``). A suffix
    ``-REF``, ``-LE``, ``-AVG``, ``-A1``, ``-M1``, ``-CPz``, ... marks a referential
    channel; a suffix that is itself a scalp electrode marks a bipolar derivation.
    """
    if " ".join(str(label).split()).upper() in _ANNOTATION_LABELS:
        return None, ANNOTATION
    prefix_kind, parts = _split(label)
    if prefix_kind is not None:
        return None, prefix_kind
    if len(parts) == 1:
        return _electrode_kind(parts[0])
    if len(parts) == 2:
        first, second = parts
        name, kind = _electrode_kind(first)
        if _REFERENCE_SUFFIX.match(second) or kind in NON_EEG_KINDS:
            return name, kind
        if _is_electrode(first) and _is_electrode(second):
            return None, BIPOLAR
    return None, UNKNOWN


@dataclass(frozen=True)
class ChannelMap:
    """What :func:`map_channels` made of a list of labels.

    Attributes
    ----------
    labels : tuple of str
        The labels as given.
    kinds : tuple of str
        One kind per label (see :func:`normalize_channel_name`); later copies of a
        10-20 channel have kind ``"duplicate"``.
    picks : tuple of int
        Indices into ``labels`` of the channels used, in ``CHANNELS_1020`` order.
    mapping : dict of str to str
        Used label -> 10-20 name, in ``CHANNELS_1020`` order.
    eeg : tuple of str
        The 10-20 names present, in ``CHANNELS_1020`` order.
    non_eeg : dict of str to tuple of str
        Non-EEG kind -> labels (annotation signals excluded).
    bipolar, extra, unrecognised : tuple of str
        Labels of bipolar derivations, of scalp/reference electrodes outside the 19,
        and of labels that match no table.
    duplicates : dict of str to tuple of str
        10-20 name -> labels dropped because an earlier label gave the same name.
    notes : tuple of str
        Plain-English statements of what was decided.
    biosemi : bool
        True if the labels are BioSemi cap positions, none of them read as 10-20.
    """

    labels: tuple[str, ...]
    kinds: tuple[str, ...]
    picks: tuple[int, ...]
    mapping: dict[str, str]
    eeg: tuple[str, ...]
    non_eeg: dict[str, tuple[str, ...]] = field(default_factory=dict)
    bipolar: tuple[str, ...] = ()
    extra: tuple[str, ...] = ()
    unrecognised: tuple[str, ...] = ()
    duplicates: dict[str, tuple[str, ...]] = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    biosemi: bool = False

    @property
    def set_aside(self) -> dict[str, tuple[str, ...]]:
        """Kind -> labels of every channel not used (annotation signals excluded)."""
        out: dict[str, tuple[str, ...]] = {}
        for label, kind in zip(self.labels, self.kinds, strict=True):
            if kind not in (EEG, ANNOTATION):
                out[kind] = (*out.get(kind, ()), label)
        return out

    def why_no_eeg(self) -> str:
        """One line telling a user why no 10-20 channel was found, and what to do.

        Returns
        -------
        reason : str
            For a file with only annotation signals, only bipolar derivations,
            BioSemi cap labels, or labels that match nothing.
        """
        signals = [lab for lab, k in zip(self.labels, self.kinds, strict=True) if k != ANNOTATION]
        if not signals:
            return "contains only annotations, no signals (e.g. a hypnogram); load its recording"
        if self.bipolar:
            return (
                f"no referential 10-20 EEG channel, only bipolar derivations "
                f"({_list(self.bipolar, 4)}); eegpipe needs each electrode against a "
                "common reference"
            )
        if self.biosemi:
            return (
                "no 10-20 EEG channel: the labels are BioSemi cap positions (A1..H32); "
                "relabel the channels with their 10-20 names first"
            )
        return f"no 10-20 EEG channel among the labels ({_list(signals, 8)})"

    @property
    def missing(self) -> tuple[str, ...]:
        """The 10-20 names of :data:`~eegpipe.montage.CHANNELS_1020` not present."""
        return tuple(name for name in CHANNELS_1020 if name not in self.eeg)


def _looks_biosemi(labels: Sequence[str]) -> bool:
    """True when BioSemi cap positions (A1..H32) make up most of the labels."""
    cap = [lab.strip() for lab in labels if _BIOSEMI.match(lab.strip())]
    not_1020 = [lab for lab in cap if not _is_electrode(lab.upper())]
    signals = [lab for lab in labels if lab.strip().upper() not in _ANNOTATION_LABELS]
    return len(not_1020) >= 3 and 2 * len(cap) >= len(signals)


def _list(labels: Sequence[str], limit: int = 6) -> str:
    shown = ", ".join(labels[:limit])
    return shown + (f" and {len(labels) - limit} more" if len(labels) > limit else "")


def map_channels(labels: Sequence[str], ch_types: Sequence[str] | None = None) -> ChannelMap:
    """Classify every label of a recording and choose the 10-20 channels to use.

    Parameters
    ----------
    labels : sequence of str
        Channel labels in file order.
    ch_types : sequence of str or None
        MNE channel types in the same order (for an :class:`mne.io.BaseRaw`); a channel
        typed ``ecg``, ``eog``, ``emg``, ``resp``, ``stim`` or ``bio`` is set aside
        whatever its label says.

    Returns
    -------
    channel_map : ChannelMap
        The decision for every label. The first label that gives a 10-20 name is
        used; later ones are reported in ``duplicates``.

    Notes
    -----
    If BioSemi cap labels (``A1``..``H32``) make up most of the labels, none of them
    is read as a 10-20 name: there ``C3`` or ``A1`` is a cap position, not the
    10-20 electrode (nor the ear electrode).
    """
    labels = tuple(str(lab) for lab in labels)
    biosemi = _looks_biosemi(labels)
    kinds: list[str] = []
    first: dict[str, int] = {}
    duplicates: dict[str, list[str]] = {}
    for i, label in enumerate(labels):
        name, kind = normalize_channel_name(label)
        if ch_types is not None and ch_types[i] in ("ecg", "eog", "emg", "resp", "stim", "bio"):
            name, kind = None, ch_types[i]
        if biosemi and _BIOSEMI.match(label.strip()):
            name, kind = None, UNKNOWN
        if kind == EEG and name in first:
            duplicates.setdefault(name, []).append(label)
            kind = "duplicate"
        elif kind == EEG:
            first[name] = i
        kinds.append(kind)
    eeg = tuple(name for name in CHANNELS_1020 if name in first)
    picks = tuple(first[name] for name in eeg)
    non_eeg: dict[str, tuple[str, ...]] = {}
    for kind in sorted(NON_EEG_KINDS):
        found = tuple(lab for lab, k in zip(labels, kinds, strict=True) if k == kind)
        if found:
            non_eeg[kind] = found

    def of(*wanted: str) -> tuple[str, ...]:
        return tuple(lab for lab, k in zip(labels, kinds, strict=True) if k in wanted)

    bipolar, extra, unknown = of(BIPOLAR), of(EXTRA, REFERENCE), of(UNKNOWN)
    notes = []
    if biosemi:
        notes.append(
            "labels are BioSemi cap positions (A1..H32), not 10-20 names; "
            "none of them is used as a 10-20 channel"
        )
    renamed = [labels[i] for i in picks if _split(labels[i])[1][0] in NEW_TO_OLD]
    if renamed:
        notes.append(
            f"new temporal names renamed to old ones (T7/T8/P7/P8 -> T3/T4/T5/T6): {_list(renamed)}"
        )
    if bipolar:
        notes.append(
            f"{len(bipolar)} bipolar derivation(s) not used ({_list(bipolar)}): "
            "eegpipe needs referential channels"
        )
    if extra:
        notes.append(
            f"{len(extra)} scalp/reference electrode(s) outside the 19 10-20 "
            f"channels not used ({_list(extra)})"
        )
    for name, dropped in duplicates.items():
        notes.append(
            f"duplicate {name}: kept {labels[first[name]]!r}, "
            f"dropped {', '.join(map(repr, dropped))}"
        )
    if unknown:
        notes.append(f"{len(unknown)} unrecognised label(s) not used ({_list(unknown)})")
    return ChannelMap(
        labels=labels,
        kinds=tuple(kinds),
        picks=picks,
        mapping={labels[i]: name for i, name in zip(picks, eeg, strict=True)},
        eeg=eeg,
        non_eeg=non_eeg,
        bipolar=bipolar,
        extra=extra,
        unrecognised=unknown,
        duplicates={k: tuple(v) for k, v in duplicates.items()},
        notes=tuple(notes),
        biosemi=biosemi,
    )
