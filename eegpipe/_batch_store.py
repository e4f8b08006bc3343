"""The results folder of an archive sweep: its records and its Parquet tables.

One JSON record per recording in ``manifest/`` (with the epoch table beside it as
Parquet), each written atomically; ``recordings.parquet``, ``epochs.parquet`` and
``failures.parquet`` rebuilt from the records (:func:`build_tables`), also atomically.
See :mod:`eegpipe.batch`.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from os import PathLike
from pathlib import Path
from typing import TYPE_CHECKING

import pyarrow as pa
import pyarrow.parquet as pq

from eegpipe import __version__

if TYPE_CHECKING:
    from eegpipe.batch import _Entry

#: The tables a sweep writes in its results folder.
TABLES = ("recordings.parquet", "epochs.parquet", "failures.parquet")
#: Folder of the per-recording records (the manifest) inside the results folder.
MANIFEST = "manifest"


def _record_path(out: Path, rid: str) -> Path:
    return out / MANIFEST / f"{rid}.json"


def _read_record(out: Path, rid: str) -> dict | None:
    path = _record_path(out, rid)
    return json.loads(path.read_text()) if path.exists() else None


def _write_epochs_part(out: Path, rid: str, df) -> None:
    if df is None:
        return
    table = pa.Table.from_pandas(df, preserve_index=False).replace_schema_metadata(None)
    table = table.add_column(0, "recording_id", pa.array([rid] * len(table), pa.string()))
    _atomic_write(out / MANIFEST / "epochs" / f"{rid}.parquet", lambda tmp: pq.write_table(table, tmp))


def _atomic_write(path: Path, write: Callable[[Path], object]) -> None:
    """Write via a temporary file in the same folder, fsync, then rename over ``path``."""
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        write(tmp)
        fd = os.open(tmp, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    if hasattr(os, "O_DIRECTORY"):  # make the rename itself durable
        fd = os.open(path.parent, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


_LIST = pa.list_(pa.string())
#: Columns of recordings.parquet before the measures: name, type, definition. ``path``
#: and ``recorded_at`` exist only with keep_identifiers.
RECORDING_COLUMNS: tuple[tuple[str, pa.DataType, str], ...] = (
    ("recording_id", pa.string(), "pseudonym: keyed hash (HMAC-SHA256) of the SHA-256 of the file's bytes"),
    ("subject_id", pa.string(), "pseudonym of the infant: BIDS subject, else EDF+ hospital code, else name and "
                                "birth date; null when the header names no one"),
    ("path", pa.string(), "the file (only with --keep-identifiers; the first of n_copies)"),
    ("recorded_at", pa.string(), "start of the recording from the header, ISO 8601 (only with --keep-identifiers)"),
    ("n_copies", pa.int64(), "files in the archives with exactly these bytes (scored once)"),
    ("file_format", pa.string(), "EDF, EDF+C, EDF+D, BDF, BDF+C or BDF+D"),
    ("age_months", pa.float64(), "age at recording in months (days / 30.4375) from the EDF+ birth date"),
    ("verdict", pa.string(), "normal, hypsarrhythmia, modified_hypsarrhythmia or indeterminate"),
    ("probability", pa.float64(), "confidence that the EEG is hypsarrhythmia or modified, 0-1"),
    ("based_grade", pa.int64(), "BASED-like grade, 0-5"),
    ("subtypes", _LIST, "modified hypsarrhythmia subtypes found"),
    ("decided_by", pa.string(), "what gave the verdict (rules or model)"),
    ("usable_minutes", pa.float64(), "minutes of clean EEG scored"),
    ("artifact_share", pa.float64(), "share of epochs excluded for artifacts, 0-1"),
    ("bad_channels", _LIST, "channels set aside as flat, noisy or disconnected (reasons in result_json)"),
    ("missing_channels", _LIST, "10-20 channels the file does not have"),
    ("n_epochs", pa.int64(), "epochs of the recording"),
    ("n_excluded_epochs", pa.int64(), "epochs excluded for artifacts"),
    ("sleep_like_share", pa.float64(), "share of clean epochs that look like sleep, 0-1"),
    ("line_freq_hz", pa.float64(), "detected mains frequency, Hz"),
    ("duration_s", pa.float64(), "length of the EEG scored, seconds"),
    ("sfreq_hz", pa.float64(), "sampling rate of the EEG, Hz"),
)
_QUALITY_KEYS = {"n_epochs": "epochs", "n_excluded_epochs": "excluded_epochs"}
#: Types of the measures that are not floats (the rest of REPORTED_MEASURES are float64).
_MEASURE_TYPES = {"foci": _LIST, "high_amplitude_derivations": _LIST, "focus_region": pa.string(),
                  "n_foci": pa.int64(), "n_high_amplitude": pa.int64(), "lateral_focus_region": pa.string(),
                  "lateral_focus_events": pa.int64()}  # fmt: skip
#: Columns of recordings.parquet after the measures.
TRAILING_COLUMNS: tuple[tuple[str, pa.DataType, str], ...] = (
    ("reasons", _LIST, "each rule that fired, with its numbers"),
    ("notes", _LIST, "what was found and done while loading"),
    ("eegpipe_version", pa.string(), "eegpipe version that scored it"),
    ("model_name", pa.string(), "classifier used (null: rules only)"),
    ("model_version", pa.string(), "classifier version"),
    ("model_sha256", pa.string(), "SHA-256 of the classifier file"),
    ("scoring_s", pa.float64(), "wall-clock seconds spent scoring the file"),
    ("scored_at", pa.string(), "when it was scored, ISO 8601 UTC"),
    ("result_json", pa.string(), "the whole eegpipe score JSON object (de-identified), evidence included"),
)
FAILURE_COLUMNS: tuple[tuple[str, pa.DataType, str], ...] = (
    ("recording_id", pa.string(), "pseudonym of the file (keyed hash of its bytes, or of its path if unreadable)"),
    ("path", pa.string(), "the file (only with --keep-identifiers)"),
    ("n_copies", pa.int64(), "files in the archives with exactly these bytes"),
    ("error_class", pa.string(), "RecordingError (cannot be scored as it is), TimeoutError, WorkerCrashed, "
                                 "OSError (unreadable), or the exception of an internal error"),
    ("message", pa.string(), "one line: what is wrong"),
    ("attempts", pa.int64(), "runs that tried it"),
    ("failed_at", pa.string(), "when it last failed, ISO 8601 UTC"),
    ("eegpipe_version", pa.string(), "eegpipe version that tried it"),
)


def build_tables(out: str | PathLike, entries: dict, settings: dict, keep_identifiers: bool) -> int:
    """(Re)build recordings.parquet, epochs.parquet and failures.parquet from the manifest.

    Each table is written to a temporary file and renamed over the old one, so a reader
    (or a crash) never sees half a table. Rows are sorted by ``recording_id``.

    Parameters
    ----------
    out : str or path-like
        The results folder.
    entries : dict
        Pseudonym -> the files found with those bytes (from this run's discovery).
    settings : dict
        Records made with other settings (eegpipe version, model, epoch length) are left out.
    keep_identifiers : bool
        Add the ``path`` (and ``recorded_at``) columns.

    Returns
    -------
    n_failures : int
        Rows of failures.parquet.
    """
    out = Path(out)
    records = [r for r in map(lambda rid: _read_record(out, rid), sorted(entries))
               if r is not None and r.get("settings") == settings]  # fmt: skip
    done = [r for r in records if r["status"] == "done"]
    failed = [r for r in records if r["status"] != "done"]
    meta = {"eegpipe_version": __version__, "identifiers": "kept" if keep_identifiers else "removed"}
    drop = set() if keep_identifiers else {"path", "recorded_at"}
    rows = [_recording_row(r, entries[r["recording_id"]]) for r in done]
    _write_table(out / TABLES[0], rows, _recording_columns(), drop, meta)
    _write_epochs(out / TABLES[1], [out / MANIFEST / "epochs" / f"{r['recording_id']}.parquet" for r in done], meta)
    rows = [{"recording_id": r["recording_id"], "path": entries[r["recording_id"]].paths[0],
             "n_copies": len(entries[r["recording_id"]].paths), "error_class": r["error_class"],
             "message": r["message"], "attempts": r["attempts"], "failed_at": r["finished_at"],
             "eegpipe_version": r["settings"]["eegpipe_version"]} for r in failed]  # fmt: skip
    _write_table(out / TABLES[2], rows, FAILURE_COLUMNS, drop, meta)
    return len(failed)


def _recording_columns() -> tuple:
    from eegpipe.score import REPORTED_MEASURES

    measures = tuple((m, _MEASURE_TYPES.get(m, pa.float64()), "recording measure of eegpipe score (README)")
                     for m in REPORTED_MEASURES)  # fmt: skip
    return RECORDING_COLUMNS + measures + TRAILING_COLUMNS


def _recording_row(r: dict, entry: _Entry) -> dict:
    d, model = r["result"], r["result"].get("model") or {}
    q, m = d.get("quality") or {}, d.get("measures") or {}
    row = {"recording_id": r["recording_id"], "subject_id": r.get("subject_id"), "path": entry.paths[0],
           "recorded_at": r.get("recorded_at"), "n_copies": len(entry.paths), "file_format": r.get("file_format"),
           "age_months": r.get("age_months"), "verdict": d.get("verdict"), "probability": d.get("probability"),
           "based_grade": d.get("based_grade"), "subtypes": d.get("subtypes"), "decided_by": d.get("decided_by"),
           "bad_channels": sorted(q.get("bad_channels") or {}), "reasons": d.get("reasons"), "notes": d.get("notes"),
           "eegpipe_version": d.get("eegpipe_version"), "model_name": model.get("name"),
           "model_version": model.get("version"), "model_sha256": model.get("sha256"),
           "scoring_s": r.get("scoring_s"), "scored_at": r.get("finished_at"),
           "result_json": json.dumps(d, ensure_ascii=False, sort_keys=True)}  # fmt: skip
    for name, *_ in RECORDING_COLUMNS:
        if name not in row:
            row[name] = q.get(_QUALITY_KEYS.get(name, name))
    row.update({k: m.get(k) for k in _MEASURE_TYPES} | {k: v for k, v in m.items() if k not in row})
    return row


def _write_table(path: Path, rows: list[dict], columns: tuple, drop: set, meta: dict) -> None:
    fields, arrays = [], []
    for name, typ, desc in columns:
        if name in drop:
            continue
        values = [row.get(name) for row in rows]
        try:
            arr = pa.array(values, type=typ)
        except (pa.ArrowInvalid, pa.ArrowTypeError):  # a measure of another type: keep it, as JSON text
            typ, arr = pa.string(), pa.array([None if v is None else json.dumps(v) for v in values], pa.string())
        fields.append(pa.field(name, typ, metadata={"description": desc}))
        arrays.append(arr)
    table = pa.Table.from_arrays(arrays, schema=pa.schema(fields, metadata=meta))
    _atomic_write(path, lambda tmp: pq.write_table(table, tmp))


def _write_epochs(path: Path, parts: list[Path], meta: dict) -> None:
    """Concatenate the per-recording epoch tables, one part at a time (memory stays flat)."""
    from eegpipe.table import EPOCH_FEATURES

    parts = [p for p in parts if p.exists()]
    if parts:
        schema = pa.unify_schemas([pq.read_schema(p) for p in parts], promote_options="permissive")
    else:
        schema = pa.schema([("recording_id", pa.string()), ("start_s", pa.float64()), ("end_s", pa.float64()),
                            ("excluded", pa.bool_()), ("exclude_reason", pa.string())]
                           + [(k, pa.float64()) for k in EPOCH_FEATURES])  # fmt: skip
    described = {"recording_id": "pseudonym of the recording (recordings.parquet)",
                 "start_s": "epoch start, seconds from the first sample", "end_s": "epoch end, seconds",
                 "excluded": "epoch excluded for artifacts",
                 "exclude_reason": "artifacts found: why the epoch was excluded, or, in a kept epoch, eye "
                                   "artifacts and repaired electrode pops", **EPOCH_FEATURES}  # fmt: skip
    schema = pa.schema([f.with_metadata({"description": described[f.name]}) if f.name in described else f
                        for f in schema], metadata=meta)  # fmt: skip

    def write(tmp: Path) -> None:
        with pq.ParquetWriter(tmp, schema) as writer:
            for p in parts:
                t = pq.read_table(p)
                cols = [t[n].cast(f.type) if n in t.column_names else pa.nulls(len(t), f.type)
                        for n, f in zip(schema.names, schema, strict=True)]  # fmt: skip
                writer.write_table(pa.Table.from_arrays(cols, schema=schema))
            if not parts:
                writer.write_table(schema.empty_table())

    _atomic_write(path, write)
