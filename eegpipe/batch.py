"""Archive sweeps: score every EDF/BDF file of an archive into Parquet tables, resumably.

:func:`run_batch` is what ``eegpipe batch`` runs. It finds the recordings (folders
searched recursively, BIDS datasets through mne-bids), names each by a keyed hash of its
bytes (:mod:`eegpipe.deid`), scores the ones not done yet with
:func:`eegpipe.score.score_recording` on local processes or a Dask cluster, and builds
``recordings.parquet``, ``epochs.parquet`` and ``failures.parquet`` in the results folder.

Durability: each finished file is written at once as its own record in
``manifest/`` (JSON, plus the epoch table as Parquet), atomically (a temporary file in the
same folder, fsync, rename). The record *is* the manifest entry: its name is the
recording's pseudonym, so a file is done exactly when its record exists, and writing it
twice writes the same name. The three tables are rebuilt from the records at the end of
every run, also atomically. A sweep killed at any moment (SIGKILL included) therefore
leaves the previous tables intact, and the next run finishes with one row per recording.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from os import PathLike
from pathlib import Path

from eegpipe import __version__, deid
from eegpipe._batch_store import (  # noqa: F401 - MANIFEST and TABLES are the folder's public names
    MANIFEST,
    TABLES,
    _atomic_write,
    _read_record,
    _record_path,
    _write_epochs_part,
    build_tables,
)
from eegpipe.pipeline import EPOCH_S
from eegpipe.score import EDF_SUFFIXES, internal_error_message

#: Default per-file time limit: this many seconds, plus :data:`TIMEOUT_S_PER_MB` per MB of
#: file. Scoring runs about 900 times faster than real time (benchmarks/RESULTS.md), i.e.
#: ~4 s for an hour of 19-channel 256 Hz EEG (38 MB), so the limit leaves ~100 times that.
TIMEOUT_BASE_S = 300.0
TIMEOUT_S_PER_MB = 2.0
#: Threads hashing files at once (hashing waits on the disk, not the CPU).
HASH_THREADS = 4
#: Files queued per local worker beyond the one it is scoring (keeps workers busy).
QUEUE_PER_WORKER = 1
#: Seconds between checks of the Dask time limits.
POLL_S = 0.5
#: Times a Dask LocalCluster retries a file whose worker died before calling it a crash.
DASK_LOCAL_ALLOWED_FAILURES = 1
#: BIDS folders that hold no raw recordings of the dataset.
BIDS_SKIP = ("derivatives", "sourcedata")


@dataclass(frozen=True)
class FoundFile:
    """One file found in an archive.

    Attributes
    ----------
    path : str
        The file, as reached from the archive argument.
    bids_subject : str or None
        The BIDS ``sub-`` label when the file belongs to a BIDS dataset.
    """

    path: str
    bids_subject: str | None = None


@dataclass
class BatchSummary:
    """What a sweep did.

    Attributes
    ----------
    files : int
        EDF/BDF files found.
    recordings : int
        Distinct recordings among them (byte-identical copies count once).
    scored, skipped, failed : int
        Recordings scored in this run, skipped because already done (or failed before,
        without ``retry_failed``), and failed in this run.
    failed_total : int
        Rows of ``failures.parquet`` (this run's failures and earlier ones not retried).
    elapsed_s : float
        Wall-clock duration of the run, in seconds.
    out : Path
        The results folder.
    interrupted : bool
        The run was stopped (Ctrl-C, SIGTERM) before every file was done.
    warnings : list of str
        Problems with the archive itself (folders that could not be read, ...).
    key_file : Path or None
        Where the pseudonym -> file list was written (de-identified sweeps).
    """

    files: int = 0
    recordings: int = 0
    scored: int = 0
    skipped: int = 0
    failed: int = 0
    failed_total: int = 0
    elapsed_s: float = 0.0
    out: Path = Path(".")
    interrupted: bool = False
    warnings: list[str] = field(default_factory=list)
    key_file: Path | None = None

    def __str__(self) -> str:
        rate = 60.0 * (self.scored + self.failed) / self.elapsed_s if self.elapsed_s > 0 else 0.0
        text = (f"{self.recordings} recording(s) in {self.files} file(s): {self.scored} scored, "
                f"{self.skipped} skipped (done before), {self.failed} failed; {format_duration(self.elapsed_s)} "
                f"({rate:.1f} files/min)")  # fmt: skip
        if self.failed_total > self.failed:
            text += f"; {self.failed_total - self.failed} earlier failure(s) kept (--retry-failed retries them)"
        return text + (" — INTERRUPTED, run again to resume" if self.interrupted else "")


class BatchProgress:
    """Receives a sweep's progress; the default does nothing (the CLI shows a bar or log)."""

    def start(self, total: int, todo: int, skipped: int) -> None:
        """Called once scoring starts.

        Parameters
        ----------
        total : int
            Distinct recordings found.
        todo : int
            Recordings to score now.
        skipped : int
            Recordings already done.
        """

    def file(self, label: str, status: str, detail: str, seconds: float) -> None:
        """Called when a recording is done.

        Parameters
        ----------
        label : str
            The pseudonym (or the path, with ``keep_identifiers``).
        status : str
            ``"done"`` or ``"failed"``.
        detail : str
            The verdict, or the failure's message.
        seconds : float
            Time spent scoring it.
        """

    def note(self, text: str) -> None:
        """Called with a one-line message about the sweep.

        Parameters
        ----------
        text : str
            The message.
        """


# --------------------------------------------------------------------------- discovery


def find_archive_files(archives: Iterable[str | PathLike]) -> tuple[list[FoundFile], list[str]]:
    """Every EDF/BDF file under the archives (any case of extension), BIDS datasets included.

    Folders are walked recursively without following symbolic links to folders. A
    folder holding ``dataset_description.json`` is a BIDS dataset: its EEG recordings
    are listed by :func:`mne_bids.find_matching_paths` (``derivatives/`` and
    ``sourcedata/`` left out) and its subject labels kept.

    Parameters
    ----------
    archives : iterable of str or path-like
        Files and folders.

    Returns
    -------
    files : list of FoundFile
        Sorted by path, each path once.
    warnings : list of str
        Folders that could not be read, archives without any recording.

    Raises
    ------
    FileNotFoundError
        If an archive does not exist.
    """
    found: dict[str, FoundFile] = {}
    warnings: list[str] = []
    archives = list(map(Path, archives))
    for i, archive in enumerate(archives, 1):
        if not archive.exists():
            raise FileNotFoundError(f"no such file or folder: {archive}")
        n0 = len(found)
        if not archive.is_dir():
            found.setdefault(str(archive), FoundFile(str(archive)))
            continue
        for top, dirs, files in os.walk(archive, onerror=lambda e: warnings.append(_walk_error(e))):
            dirs.sort()
            if "dataset_description.json" in files and _bids_available(warnings):
                dirs.clear()
                for f in _bids_files(Path(top)):
                    found.setdefault(f.path, f)
                continue
            for name in sorted(files):
                if Path(name).suffix.lower() in EDF_SUFFIXES:
                    p = str(Path(top) / name)
                    found.setdefault(p, FoundFile(p))
        if len(found) == n0:
            warnings.append(f"archive {i} of {len(archives)} holds no EDF or BDF file")  # its path may name someone
    return [found[k] for k in sorted(found)], warnings


def _walk_error(err: OSError) -> str:
    return f"a folder could not be read ({err.strerror or type(err).__name__}); its files were not scored"


def _bids_available(warnings: list[str]) -> bool:
    try:
        import mne_bids  # noqa: F401
    except ImportError:
        msg = "BIDS dataset read as plain folders: install mne-bids (pip install 'eegpipe[bids]')"
        if msg not in warnings:
            warnings.append(msg)
        return False
    return True


def _bids_files(root: Path) -> list[FoundFile]:
    from mne_bids import find_matching_paths

    out = []
    for bp in find_matching_paths(root, datatypes="eeg", extensions=list(EDF_SUFFIXES)):
        rel = Path(bp.fpath).relative_to(root)
        if rel.parts[0] not in BIDS_SKIP and Path(bp.fpath).is_file():
            out.append(FoundFile(str(Path(bp.fpath)), bp.subject))
    return out


# --------------------------------------------------------------------------- the worker


def score_file(path: str, recording_id: str, epoch_s: float = EPOCH_S, overlap: float = 0.0,
               keep_identifiers: bool = False) -> dict:  # fmt: skip
    """Score one file as ``eegpipe score`` does; never raises. Runs on the workers.

    Parameters
    ----------
    path : str
        The EDF/BDF file.
    recording_id : str
        Its pseudonym, which replaces the path in every text returned.
    epoch_s, overlap : float
        See :func:`eegpipe.score.score_recording`.
    keep_identifiers : bool
        Leave paths and header fields in the texts.

    Returns
    -------
    outcome : dict
        ``status`` (``"done"`` or ``"failed"``), ``result`` (:meth:`ScoreResult.to_dict`,
        de-identified), ``epochs`` (DataFrame), ``age_months``, ``file_format``,
        ``recorded_at``, ``subject_sha256``, ``error_class``, ``message``, ``scoring_s``.
    """
    from threadpoolctl import threadpool_limits

    from eegpipe.errors import RecordingError
    from eegpipe.io import load_recording
    from eegpipe.score import score_recording

    t0 = time.perf_counter()
    words, subject = deid.header_identifiers(path)
    scrub = (lambda x: x) if keep_identifiers else deid.Scrubber(deid.path_identifiers(path), words, recording_id)
    out: dict = {"status": "failed", "subject_sha256": subject}
    # One BLAS thread: workers already use every core, and a local run and a Dask run
    # then add floating-point numbers in the same order, to the last digit.
    with threadpool_limits(limits=1):
        try:  # exactly what score_recording(path) does first, keeping the Recording for its age
            rec = load_recording(path, preload=False, min_duration_s=epoch_s)
        except RecordingError as err:
            rec = None
            if not err.unscorable_montage:
                out.update(error_class="RecordingError", message=scrub(err.reason))
        except Exception as err:  # noqa: BLE001 - a bug must not lose the other files
            rec = None
            out.update(error_class=type(err).__name__, message=scrub(_internal_error(err)))
        if "message" not in out:
            try:
                result = score_recording(rec if rec is not None else path, epoch_s=epoch_s, overlap=overlap,
                                         keep_epochs=True)  # fmt: skip
            except RecordingError as err:
                out.update(error_class="RecordingError", message=scrub(err.reason))
            except Exception as err:  # noqa: BLE001
                out.update(error_class=type(err).__name__, message=scrub(_internal_error(err)))
            else:
                d = result.to_dict()
                d["file"] = path if keep_identifiers else recording_id
                out.update(status="done", result=scrub(d), epochs=_plain_epochs(result.epochs))
                if rec is not None:
                    out.update(age_months=rec.age_months, file_format=rec.file_format)
                if rec is not None and keep_identifiers:
                    out["recorded_at"] = rec.meas_date.isoformat() if rec.meas_date else None
    out["scoring_s"] = round(time.perf_counter() - t0, 3)
    return out


def _internal_error(err: Exception) -> str:
    """The message ``eegpipe score`` gives for an unexpected exception."""
    return internal_error_message(err)


def _plain_epochs(df):
    if df is None:
        return None
    df = df.copy()
    df.attrs = {}  # holds the source path; pandas would store it in the Parquet metadata
    return df


def _init_local_worker() -> None:
    """Local workers: Ctrl-C goes to the parent, which stops them; warnings stay quiet."""
    import signal
    import warnings

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    warnings.simplefilter("ignore")
    _warm_up()


def _warm_up() -> None:
    """Import what scoring needs (MNE's readers load lazily, BLAS libraries are looked up on
    first use) when a worker starts, so that a file's time limit measures only its scoring."""
    import mne
    from threadpoolctl import threadpool_limits

    from eegpipe import score

    _ = mne.io.read_raw_edf, mne.io.read_raw_bdf
    with threadpool_limits(limits=1):
        pass
    try:  # the shipped model, loaded once per process by score_recording: load it now
        score.get_model(score.DEFAULT_MODEL)
    except Exception:  # noqa: BLE001 - a broken model is reported per file, as eegpipe score does
        pass


# --------------------------------------------------------------------------- the sweep


@dataclass
class _Entry:
    """A distinct recording: every path holding its bytes."""

    paths: list[str]
    bids_subject: str | None
    size: int = 0
    problem: str | None = None  # could not be read (no content hash)


def run_batch(
    archives: Iterable[str | PathLike],
    out: str | PathLike,
    *,
    jobs: int = 1,
    dask: str | None = None,
    timeout: float | None = None,
    retry_failed: bool = False,
    rehash: bool = False,
    keep_identifiers: bool = False,
    secret_file: str | PathLike | None = None,
    epoch_s: float = EPOCH_S,
    overlap: float = 0.0,
    progress: BatchProgress | None = None,
    _task: Callable[..., dict] = score_file,
) -> BatchSummary:
    """Score every recording of one or more archives into Parquet tables, resumably.

    Parameters
    ----------
    archives : iterable of str or path-like
        EDF/BDF files and folders (searched recursively; BIDS datasets through mne-bids).
    out : str or path-like
        Results folder: ``recordings.parquet``, ``epochs.parquet``, ``failures.parquet``,
        ``batch.log`` and ``manifest/`` (the per-recording records that make a sweep
        resumable). Run again with the same archives to resume; the tables always
        describe the recordings found in this run.
    jobs : int
        Worker processes (local), or workers of ``dask="local"``.
    dask : str or None
        ``"local"`` to start a Dask ``LocalCluster``, or a scheduler address
        (``"tcp://host:8786"``) of a running cluster whose workers can read the archive
        at the same paths. ``None`` uses local processes.
    timeout : float or None
        Per-file time limit in seconds; ``None``: :data:`TIMEOUT_BASE_S` plus
        :data:`TIMEOUT_S_PER_MB` per MB of file. A file over it is stopped (its worker
        is replaced) and recorded as failed. With Dask it counts from when the file is
        handed to the cluster, which only ever holds as many files as it has threads.
    retry_failed : bool
        Score again the files that failed in earlier runs.
    rehash : bool
        Hash every file again instead of trusting size and modification time.
    keep_identifiers : bool
        Put paths and recording dates in the results and leave texts unscrubbed.
    secret_file : str or path-like or None
        The pseudonymisation secret (made if missing); ``None``:
        :func:`eegpipe.deid.default_secret_path`. Never inside ``out``.
    epoch_s, overlap : float
        See :func:`eegpipe.score.score_recording`.
    progress : BatchProgress or None
        Receives progress events.

    Returns
    -------
    summary : BatchSummary

    Raises
    ------
    ValueError
        Bad option, secret inside ``out``, or ``out`` made with another secret or
        identifier setting.
    FileNotFoundError
        An archive does not exist.
    RuntimeError
        Another sweep is writing to ``out``.
    """
    t0 = time.monotonic()
    progress = progress or BatchProgress()
    _check_options(jobs, timeout, epoch_s, overlap)
    out = Path(out)
    secret_path = Path(secret_file) if secret_file is not None else deid.default_secret_path()
    deid.check_secret_location(secret_path, out)
    archives = list(archives)
    for a in archives:
        if not Path(a).exists():
            raise FileNotFoundError(f"no such file or folder: {a}")
    (out / MANIFEST / "epochs").mkdir(parents=True, exist_ok=True)
    with _exclusive(out):
        _remove_temporaries(out)
        secret = deid.load_secret(secret_path)
        _check_folder_settings(out, secret, keep_identifiers)
        log = _Log(out / "batch.log")
        summary = BatchSummary(out=out)
        found, summary.warnings = find_archive_files(archives)
        entries = _identify(found, secret, out, rehash)
        summary.files, summary.recordings = len(found), len(entries)
        log(f"sweep started: eegpipe {__version__}, {len(found)} file(s), {len(entries)} recording(s), "
            f"identifiers {'kept' if keep_identifiers else 'removed'}")  # fmt: skip
        for w in summary.warnings:
            log(f"warning: {w}")
            progress.note(w)
        settings = {"eegpipe_version": __version__, "model_sha256": _model_sha256(), "epoch_s": float(epoch_s),
                    "overlap": float(overlap)}  # a result made otherwise is redone  # fmt: skip
        recorder = _Recorder(out, secret, entries, settings, keep_identifiers, log, progress, summary)
        todo = []
        for rid, e in entries.items():
            old = _read_record(out, rid)
            if e.problem is None and old and old.get("settings") == settings and \
                    (old["status"] == "done" or not retry_failed):  # fmt: skip
                summary.skipped += 1
            else:
                todo.append((rid, e))
        progress.start(len(entries), len(todo), summary.skipped)
        log(f"{len(todo)} to score, {summary.skipped} already done, jobs={jobs}, dask={dask or 'no'}")
        for rid, e in todo:
            if e.problem is not None:  # unreadable: a failure now, and tried again next run
                recorder.finished(rid, {"status": "failed", "error_class": "OSError", "message": e.problem})
        tasks = [(rid, (e.paths[0], rid, float(epoch_s), float(overlap), keep_identifiers),
                  timeout or TIMEOUT_BASE_S + TIMEOUT_S_PER_MB * e.size / 1e6)
                 for rid, e in todo if e.problem is None]  # fmt: skip
        if tasks:
            _warm_compiled_loops()
        try:
            if not tasks:
                pass
            elif dask:
                _run_dask(dask, jobs, tasks, _task, recorder.finished)
            else:
                _run_local(jobs, tasks, _task, recorder.finished)
        except KeyboardInterrupt:
            summary.interrupted = True
        finally:
            summary.failed_total = build_tables(out, entries, settings, keep_identifiers)
            if not keep_identifiers:
                summary.key_file = deid.key_file_path(secret_path)
                deid.update_key_file(summary.key_file, ((rid, p) for rid, e in entries.items() for p in e.paths),
                                str(out.resolve()))  # fmt: skip
            summary.elapsed_s = time.monotonic() - t0
            log(f"sweep {'interrupted' if summary.interrupted else 'finished'}: {summary}")
    return summary


def _model_sha256() -> str | None:
    """SHA-256 of the shipped model file scoring uses (None without one)."""
    from eegpipe.model import DEFAULT_MODEL, MODEL_FILE, resolve_model, sha256_of

    path = resolve_model(DEFAULT_MODEL) / MODEL_FILE
    return sha256_of(path) if path.is_file() else None


def _check_options(jobs, timeout, epoch_s, overlap) -> None:
    if not (isinstance(jobs, int) and jobs >= 1):
        raise ValueError(f"jobs must be a whole number >= 1, got {jobs!r}")
    if timeout is not None and not timeout > 0:
        raise ValueError(f"timeout must be a positive number of seconds, got {timeout!r}")
    if not epoch_s > 0 or not 0 <= overlap < 1:
        raise ValueError(f"need epoch_s > 0 and 0 <= overlap < 1, got {epoch_s!r} and {overlap!r}")


@contextmanager
def _exclusive(out: Path):
    """Hold ``out/.lock`` so two sweeps never write one folder; the OS frees it on any exit."""
    fh = open(out / ".lock", "a+")  # noqa: SIM115 - held for the whole sweep
    try:
        try:
            import fcntl

            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except ImportError:  # pragma: no cover - Windows: no lock
            pass
        except OSError:
            raise RuntimeError(f"another eegpipe batch is writing to {out}; wait for it or use another --out") \
                from None  # fmt: skip
        yield
    finally:
        fh.close()


def _remove_temporaries(out: Path) -> None:
    """Temporary files of a killed run (never read: only renamed files count)."""
    for d in (out, out / MANIFEST, out / MANIFEST / "epochs"):
        for tmp in d.glob(".*.tmp-*"):
            tmp.unlink(missing_ok=True)


def _check_folder_settings(out: Path, secret: bytes, keep_identifiers: bool) -> None:
    path = out / MANIFEST / "folder.json"
    mine = {"secret_check": deid.keyed_hash(secret, "eegpipe-batch-secret-check")[:16],
            "identifiers": "kept" if keep_identifiers else "removed"}  # fmt: skip
    if not path.exists():
        _atomic_write(path, lambda tmp: tmp.write_text(json.dumps(mine, indent=1) + "\n"))
        return
    theirs = json.loads(path.read_text())
    if theirs.get("secret_check") != mine["secret_check"]:
        raise ValueError(f"{out} was made with another secret: give the same --secret-file, or use another --out")
    if theirs.get("identifiers") != mine["identifiers"]:
        raise ValueError(f"{out} was made with identifiers {theirs.get('identifiers')}; use another --out to "
                         f"sweep with identifiers {mine['identifiers']}")  # fmt: skip


def _identify(found: list[FoundFile], secret: bytes, out: Path, rehash: bool) -> dict[str, _Entry]:
    """Pseudonym of every file (from its SHA-256; cached by size and mtime), grouped."""
    cache_path = out / MANIFEST / "stat-cache.json"
    cache = {} if rehash or not cache_path.exists() else json.loads(cache_path.read_text())
    new_cache: dict[str, list] = {}

    def one(f: FoundFile) -> tuple[FoundFile, str, int, str | None]:
        pkey = deid.keyed_hash(secret, "path:" + str(Path(f.path).resolve()))[:32]
        try:
            st = os.stat(f.path)
            if not stat.S_ISREG(st.st_mode):
                raise OSError(0, "not a regular file (a pipe, device or socket)")
            hit = cache.get(pkey)
            rid = hit[2] if hit and hit[:2] == [st.st_size, st.st_mtime_ns] else \
                deid.pseudonym(secret, deid.file_sha256(f.path))  # fmt: skip
            new_cache[pkey] = [st.st_size, st.st_mtime_ns, rid]
            return f, rid, st.st_size, None
        except OSError as err:
            rid = deid.pseudonym(secret, hashlib.sha256(pkey.encode()).hexdigest())
            return f, rid, 0, f"cannot read the file: {err.strerror or type(err).__name__}"

    entries: dict[str, _Entry] = {}
    with ThreadPoolExecutor(HASH_THREADS) as pool:
        for f, rid, size, problem in pool.map(one, found):
            e = entries.setdefault(rid, _Entry([], f.bids_subject, size, problem))
            e.paths.append(f.path)
    _atomic_write(cache_path, lambda tmp: tmp.write_text(json.dumps(new_cache, sort_keys=True)))
    return dict(sorted(entries.items(), key=lambda kv: kv[1].paths[0]))


class _Log:
    """Plain, timestamped lines appended to ``batch.log`` (flushed each line)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __call__(self, text: str) -> None:
        stamp = datetime.now().astimezone().isoformat(timespec="seconds")
        with open(self.path, "a", encoding="utf-8") as fh:
            fh.write(f"{stamp} {text}\n")


class _Recorder:
    """Turns each finished file into its manifest record, at once and atomically."""

    def __init__(self, out, secret, entries, settings, keep, log, progress, summary) -> None:
        self.out, self.secret, self.entries, self.settings, self.keep = out, secret, entries, settings, keep
        self.log, self.progress, self.summary = log, progress, summary

    def label(self, rid: str) -> str:
        return self.entries[rid].paths[0] if self.keep else rid

    def finished(self, rid: str, outcome: dict) -> None:
        entry, old = self.entries[rid], _read_record(self.out, rid) or {}
        record = {"recording_id": rid, "status": outcome["status"], "settings": self.settings,
                  "attempts": int(old.get("attempts", 0)) + 1, "finished_at": _now(),
                  "scoring_s": outcome.get("scoring_s"), "subject_id": self._subject(entry, outcome)}  # fmt: skip
        if outcome["status"] == "done":
            record.update(result=outcome["result"], age_months=outcome.get("age_months"),
                          file_format=outcome.get("file_format"))  # fmt: skip
            if self.keep:
                record["recorded_at"] = outcome.get("recorded_at")
            _write_epochs_part(self.out, rid, outcome.get("epochs"))
            detail = outcome["result"].get("verdict") or ""
            self.summary.scored += 1
        else:
            record.update(error_class=outcome["error_class"], message=outcome["message"])
            detail = f"{outcome['error_class']}: {outcome['message']}"
            self.summary.failed += 1
        _atomic_write(_record_path(self.out, rid), lambda tmp: tmp.write_text(json.dumps(record, indent=1)))
        self.log(f"{self.label(rid)} {record['status']}: {detail} ({record['scoring_s'] or 0:.1f} s)")
        self.progress.file(self.label(rid), record["status"], detail, record["scoring_s"] or 0.0)

    def _subject(self, entry: _Entry, outcome: dict) -> str | None:
        if entry.bids_subject:
            return deid.pseudonym(self.secret, hashlib.sha256(f"bids:{entry.bids_subject}".encode()).hexdigest(), "sub")
        digest = outcome.get("subject_sha256")
        return deid.pseudonym(self.secret, digest, "sub") if digest else None


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def format_duration(s: float) -> str:
    """Seconds as ``"42.0 s"``, ``"3.5 min"`` or ``"2.1 h"``.

    Parameters
    ----------
    s : float
        Seconds.

    Returns
    -------
    text : str
    """
    return f"{s:.1f} s" if s < 120 else f"{s / 60:.1f} min" if s < 7200 else f"{s / 3600:.1f} h"


# --------------------------------------------------------------------------- executors


def _warm_compiled_loops() -> None:
    """Score a short simulated recording here, before any worker starts.

    The numeric loops are compiled by numba on first use and cached on disk
    (:mod:`eegpipe._numeric`).  Right after installing, the cache is empty and every
    worker would compile them on its first file, about 10 s inside that file's time
    limit; compiled once here, the workers load them from the cache (under a second).
    """
    from eegpipe.score import score_recording
    from eegpipe.simulate import simulate_recording

    rec = simulate_recording("hypsarrhythmia", seed=0, duration_s=20, sfreq=256, artifacts="none")
    score_recording(rec.to_raw())


def _run_local(jobs: int, tasks: list, task_fn: Callable, finished: Callable[[str, dict], None]) -> None:
    """Score on ``jobs`` local processes; a file over its time limit or killing its worker
    becomes a failure and the worker is replaced (pebble)."""
    import multiprocessing as mp
    from concurrent.futures import FIRST_COMPLETED, wait
    from concurrent.futures import TimeoutError as FutureTimeout

    try:
        from pebble import ProcessExpired, ProcessPool
    except ImportError:  # pragma: no cover - a declared dependency
        raise RuntimeError("local sweeps need the 'pebble' package: pip install pebble") from None

    # forkserver: workers are forked from a clean server process, not from this one,
    # which may hold threads (progress bar, hashing pool) that fork would copy mid-flight.
    # It imports eegpipe once, so a worker replaced after a timeout starts in milliseconds.
    if "forkserver" in mp.get_all_start_methods():
        ctx = mp.get_context("forkserver")
        ctx.set_forkserver_preload(["eegpipe.batch", "eegpipe.score", "threadpoolctl"])
    else:  # pragma: no cover - Windows
        ctx = mp.get_context("spawn")
    pending, inflight = list(reversed(tasks)), {}
    pool = ProcessPool(max_workers=jobs, initializer=_init_local_worker, context=ctx)
    try:
        while pending or inflight:
            while pending and len(inflight) < jobs * (1 + QUEUE_PER_WORKER):
                rid, args, limit = pending.pop()
                inflight[pool.schedule(task_fn, args=args, timeout=limit)] = (rid, limit)
            done, _ = wait(inflight, return_when=FIRST_COMPLETED)
            for fut in done:
                rid, limit = inflight.pop(fut)
                try:
                    outcome = fut.result()
                except FutureTimeout:
                    outcome = _timeout_outcome(limit)
                except ProcessExpired as err:
                    outcome = _crash_outcome(_exit_text(err.exitcode))
                except Exception as err:  # noqa: BLE001 - e.g. a result that cannot be sent back
                    outcome = {"status": "failed", "error_class": type(err).__name__,
                               "message": _internal_error(err)}  # fmt: skip
                finished(rid, outcome)
    except BaseException:
        pool.stop()
        raise
    finally:
        pool.close()
        pool.join()


def _timeout_outcome(limit: float) -> dict:
    return {"status": "failed", "error_class": "TimeoutError", "scoring_s": round(limit, 3),
            "message": f"timed out after {limit:g} s; the worker was stopped (raise --timeout if the "
                       "file is simply long)"}  # fmt: skip


def _crash_outcome(how: str) -> dict:
    return {"status": "failed", "error_class": "WorkerCrashed",
            "message": f"the worker scoring this file died ({how}); often a sign of running out of memory"}  # fmt: skip


def _exit_text(code: int | None) -> str:
    import signal

    if code is not None and code < 0:
        try:
            return f"killed by signal {-code}, {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exit code {code}"


def _run_dask(address: str, jobs: int, tasks: list, task_fn: Callable, finished: Callable[[str, dict], None]) -> None:
    """Score on a Dask cluster (``"local"`` starts a LocalCluster of ``jobs`` processes)."""
    import logging
    import uuid

    try:
        import dask
        from distributed import Client, LocalCluster
        from distributed import wait as dask_wait
    except ImportError:
        raise RuntimeError("--dask needs Dask distributed: pip install 'eegpipe[dask]'") from None

    cluster = None
    if address == "local":
        with dask.config.set({"distributed.scheduler.allowed-failures": DASK_LOCAL_ALLOWED_FAILURES}):
            # Failures are reported as rows; the scheduler's own account of them is noise here.
            cluster = LocalCluster(n_workers=jobs, threads_per_worker=1, processes=True,
                                   dashboard_address=None, silence_logs=logging.CRITICAL)  # fmt: skip
    try:
        try:
            client = Client(cluster if cluster is not None else address, timeout="30s")
        except (OSError, TimeoutError) as err:
            raise RuntimeError(f"cannot reach the Dask scheduler at {address}: {err}") from None
        with client:
            client.wait_for_workers(1, timeout=120)
            from distributed.diagnostics.plugin import WorkerPlugin

            class WarmUp(WorkerPlugin):  # every worker, those started later included
                def setup(self, worker) -> None:
                    _warm_up()

            client.register_plugin(WarmUp(), name="eegpipe-warm-up")
            pending, inflight = list(reversed(tasks)), {}
            while pending or inflight:
                slots = max(1, sum(client.nthreads().values()))
                while pending and len(inflight) < slots:
                    rid, args, limit = pending.pop()
                    fut = client.submit(task_fn, *args, key=f"eegpipe-score-{rid}-{uuid.uuid4().hex[:8]}",
                                        pure=False, retries=0)  # fmt: skip
                    inflight[fut] = (rid, limit, time.monotonic() + limit)
                try:
                    done = dask_wait(list(inflight), timeout=POLL_S, return_when="FIRST_COMPLETED").done
                except TimeoutError:
                    done = set()
                for fut in done:
                    rid = inflight.pop(fut)[0]
                    finished(rid, _dask_outcome(fut))
                now = time.monotonic()
                for fut, (rid, limit, deadline) in list(inflight.items()):
                    if now > deadline and not fut.done():
                        _stop_dask_task(client, fut)
                        del inflight[fut]
                        finished(rid, _timeout_outcome(limit))
    finally:
        if cluster is not None:
            cluster.close()


def _dask_outcome(fut) -> dict:
    try:
        return fut.result()
    except Exception as err:  # noqa: BLE001 - KilledWorker, lost connection, ...
        name = type(err).__name__
        if name == "KilledWorker":
            return _crash_outcome("Dask KilledWorker: every worker that tried it died")
        return {"status": "failed", "error_class": name, "message": _internal_error(err)}


def _stop_dask_task(client, fut) -> None:
    """Cancel a task over its time limit and end the worker process running it: Dask cannot
    interrupt a running task, and a worker's thread stuck in it would never serve another
    file. Its nanny starts a fresh worker (a worker without a nanny is simply gone)."""
    busy = [w for w, keys in client.processing().items() if fut.key in keys]
    client.cancel(fut, force=True)
    if busy:
        try:  # runs on the worker's event loop, not in the stuck thread; does not wait
            client.run(_exit_worker, workers=busy, wait=False)
        except Exception:  # noqa: BLE001 - best effort: the sweep goes on either way
            pass


async def _exit_worker() -> None:  # a coroutine: Dask runs those on the worker's event loop without waiting
    os._exit(1)
