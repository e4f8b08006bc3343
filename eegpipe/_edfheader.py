"""Low-level reading of EDF, EDF+ and BDF files: the header and the EDF+ TAL bytes.

Everything here works on the file's bytes alone, before (and apart from) MNE: the fixed
and per-signal header fields, the file size they imply, and the time stamps and
annotations of the EDF+ annotation signal. Problems raise
:class:`~eegpipe.errors.RecordingError` with a one-line reason.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from eegpipe.errors import RecordingError

#: One EDF+ TAL: onset, optional duration, texts (EDF+ specification, section 2.2).
_TAL = re.compile(rb"([+-]\d+(?:\.\d*)?)(?:\x15(\d+(?:\.\d*)?))?(\x14.*?)\x14\x00", re.DOTALL)


@dataclass(frozen=True)
class _Header:
    """The fields of an EDF/BDF header that the loader needs."""

    bdf: bool
    reserved: str
    n_records: int
    record_s: float
    labels: tuple[str, ...]
    units: tuple[str, ...]
    phys_max: tuple[float, ...]  # largest |physical min|, |physical max| per signal
    samples: tuple[int, ...]  # samples per data record, per signal
    patient: str
    recording: str

    @property
    def file_format(self) -> str:
        base = "BDF" if self.bdf else "EDF"
        plus = [base + sub for sub in ("+C", "+D") if self.reserved.startswith(base + sub)]
        return plus[0] if plus else base

    @property
    def tal(self) -> list[int]:
        return [
            i for i, lab in enumerate(self.labels) if lab in ("EDF Annotations", "BDF Annotations")
        ]


def _read_header(path: Path) -> _Header:
    """Parse and sanity-check the fixed and the per-signal header."""
    with path.open("rb") as fid:
        fixed = fid.read(256)
        if len(fixed) < 256 or (fixed[:8] != b"\xffBIOSEMI" and fixed[:8].strip() != b"0"):
            raise RecordingError(
                path,
                "not an EDF/BDF file: it does not start with an EDF ('0') or BDF "
                "(0xFF 'BIOSEMI') header",
            )

        def number(raw: bytes, what: str, cast: type) -> float:
            try:
                return cast(raw.decode("ascii").strip())
            except (UnicodeDecodeError, ValueError):
                text = raw.decode("latin-1").strip()
                raise RecordingError(path, f"corrupt header: {what} is {text!r}") from None

        ns = number(fixed[252:256], "the number of signals", int)
        if ns <= 0 or number(fixed[184:192], "the header size", int) != 256 * (ns + 1):
            raise RecordingError(path, f"corrupt header: size field does not fit {ns} signals")
        sig = fid.read(256 * ns)
    if len(sig) < 256 * ns:
        raise RecordingError(path, "file is truncated inside its header")

    def column(start: int, width: int, what: str, cast: type | None = None) -> tuple:
        cells = [sig[ns * start + i * width : ns * start + (i + 1) * width] for i in range(ns)]
        if cast is None:
            return tuple(cell.strip().decode("latin-1") for cell in cells)
        return tuple(number(cell, what, cast) for cell in cells)

    low, high = column(104, 8, "a physical minimum", float), column(112, 8, "a maximum", float)
    return _Header(
        bdf=fixed[:8] == b"\xffBIOSEMI",
        reserved=fixed[192:236].decode("latin-1").strip(),
        n_records=number(fixed[236:244], "the number of data records", int),
        record_s=number(fixed[244:252], "the data record duration", float),
        labels=column(0, 16, "labels"),
        units=column(96, 8, "units"),
        phys_max=tuple(max(abs(lo), abs(hi)) for lo, hi in zip(low, high, strict=True)),
        samples=column(216, 8, "a samples-per-record field", int),
        patient=fixed[8:88].decode("latin-1").strip(),
        recording=fixed[88:168].decode("latin-1").strip(),
    )


def _check_size(path: Path, header: _Header, notes: list[str]) -> int:
    """File size must be 256*(ns+1) + n_records*sum(samples)*bytes; return n_records."""
    size = path.stat().st_size
    record_bytes = sum(header.samples) * (3 if header.bdf else 2)
    data_bytes = size - 256 * (len(header.labels) + 1)
    if record_bytes <= 0:
        raise RecordingError(path, "corrupt header: the data records hold no samples")
    if header.n_records == -1:  # the recorder had not closed the file
        notes.append(
            f"header's record count is -1 (file not closed by the recorder): "
            f"{data_bytes // record_bytes} complete data records found from the file size"
        )
        return data_bytes // record_bytes
    expected = header.n_records * record_bytes
    if data_bytes < expected:
        raise RecordingError(
            path,
            f"file is truncated: its header describes {size - data_bytes + expected:,} bytes "
            f"({header.n_records} data records) but it has {size:,}; copy or export it again",
        )
    if data_bytes > expected:
        raise RecordingError(
            path,
            f"file is corrupt: {data_bytes - expected:,} bytes longer than its header "
            "describes (e.g. damaged by a text-mode/CRLF transfer); copy it again in binary mode",
        )
    return header.n_records


def _read_tals(
    path: Path, header: _Header, n_records: int, encoding: str
) -> tuple[np.ndarray, list[tuple[float, float, str]]]:
    """Onset of every data record, and all annotations as (onset, duration, text), in s."""
    bps = 3 if header.bdf else 2
    offsets = np.cumsum([0, *header.samples]) * bps
    first = 256 * (len(header.labels) + 1)
    stamps, annotations = [], []
    with path.open("rb") as fid:
        for r in range(n_records):
            blob = b""
            for i in header.tal:
                fid.seek(first + r * int(offsets[-1]) + int(offsets[i]))
                blob += fid.read(header.samples[i] * bps)
            tals = _TAL.findall(blob)
            if not tals:
                raise RecordingError(path, f"EDF+D data record {r + 1} has no time stamp")
            stamps.append(float(tals[0][0]))
            for onset, duration, texts in tals:
                for text in filter(None, texts.split(b"\x14")):
                    desc = text.decode(encoding, errors="replace")
                    annotations.append((float(onset), float(duration or 0), desc))
    return np.array(stamps), annotations
