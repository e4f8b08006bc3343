"""``eegpipe batch ARCHIVE... --out RESULTS``: sweep whole archives into Parquet tables."""

from __future__ import annotations

import argparse
import os
import signal
import sys
import time
from pathlib import Path

from eegpipe.batch import TIMEOUT_BASE_S, TIMEOUT_S_PER_MB, BatchProgress, format_duration, run_batch
from eegpipe.deid import SECRET_ENV
from eegpipe.pipeline import EPOCH_S

_EXAMPLES = """examples:
  eegpipe batch /archive/eeg --out results/ --jobs 4
  eegpipe batch /archive/eeg --out results/ --retry-failed          # resume, retry failures
  eegpipe batch /archive/eeg --out results/ --dask tcp://sched:8786  # on a Dask cluster
  eegpipe batch /archive/eeg --out results/ --dask local --jobs 8    # on a Dask LocalCluster

Results: recordings.parquet (one row per recording), epochs.parquet (one row per epoch),
failures.parquet (file, error class, message), batch.log, and manifest/ (what makes a
sweep resumable: run the same command again after a crash or a kill).
"""


def add_parser(subparsers) -> argparse.ArgumentParser:
    """Register ``batch``.

    Parameters
    ----------
    subparsers : argparse._SubParsersAction
        The top-level sub-command registry.

    Returns
    -------
    parser : argparse.ArgumentParser
    """
    p = subparsers.add_parser(
        "batch", help="score whole archives into Parquet tables: resumable, parallel, de-identified",
        description="Score every EDF/BDF file of one or more archives (folders searched recursively, "
                    "BIDS datasets through mne-bids) the way 'eegpipe score' does, into Parquet tables. "
                    "De-identified by default: recordings are named by a keyed hash of their bytes.",
        epilog=_EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter,
    )  # fmt: skip
    p.add_argument("archives", nargs="+", metavar="ARCHIVE", help="EDF/BDF files or folders")
    p.add_argument("--out", type=Path, required=True, metavar="RESULTS_DIR", help="results folder")
    p.add_argument("--jobs", "-j", type=int, default=None,
                   help="worker processes (default 1; with --dask local: one per core)")  # fmt: skip
    p.add_argument("--dask", metavar="ADDRESS", help="run on the Dask cluster at ADDRESS (tcp://host:port), "
                   "or 'local' to start a LocalCluster; workers must see the archive at the same paths")  # fmt: skip
    p.add_argument("--timeout", type=float, default=None, metavar="S",
                   help=f"per-file time limit in seconds (default {TIMEOUT_BASE_S:g} s + {TIMEOUT_S_PER_MB:g} s "
                        "per MB of file)")  # fmt: skip
    p.add_argument("--retry-failed", action="store_true", help="score again the files that failed before")
    p.add_argument("--rehash", action="store_true",
                   help="hash every file again instead of trusting unchanged size and modification time")  # fmt: skip
    p.add_argument("--keep-identifiers", action="store_true",
                   help="put file paths and recording dates in the results (default: pseudonyms only)")  # fmt: skip
    p.add_argument("--secret-file", type=Path, default=None,
                   help=f"key of the pseudonyms, made if missing, kept outside RESULTS_DIR (default: "
                        f"${SECRET_ENV} or ~/.config/eegpipe/batch-secret)")  # fmt: skip
    p.add_argument("--epoch-s", type=float, default=EPOCH_S, help="epoch length in seconds")
    p.add_argument("--overlap", type=float, default=0.0, help="epoch overlap, 0-0.9")
    return p


class _TerminalProgress(BatchProgress):
    """A tqdm bar (rate, ETA) on a terminal; plain log lines otherwise. Failures always get a line."""

    def __init__(self, stream=None) -> None:
        self.stream = stream or sys.stderr
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.bar, self.n, self.todo, self.t0, self.failed = None, 0, 0, time.monotonic(), 0

    def _line(self, text: str) -> None:
        if self.bar is not None:
            self.bar.write(text, file=self.stream)
        else:
            print(text, file=self.stream, flush=True)

    def start(self, total: int, todo: int, skipped: int) -> None:  # noqa: D102
        self.todo, self.t0 = todo, time.monotonic()
        self._line(f"eegpipe batch: {total} recording(s), {skipped} already done, {todo} to score")
        if self.tty and todo:
            from tqdm import tqdm

            self.bar = tqdm(total=todo, unit="file", file=self.stream, dynamic_ncols=True, smoothing=0.1)

    def file(self, label: str, status: str, detail: str, seconds: float) -> None:  # noqa: D102
        self.n += 1
        self.failed += status != "done"
        if status != "done":
            self._line(f"eegpipe: {label}: {detail}")
        if self.bar is not None:
            self.bar.set_postfix(failed=self.failed, refresh=False)
            self.bar.update(1)
            return
        elapsed = time.monotonic() - self.t0
        rate = 60.0 * self.n / elapsed if elapsed > 0 else 0.0
        eta = (self.todo - self.n) / rate * 60.0 if rate > 0 else 0.0
        if status == "done":
            self._line(f"eegpipe batch: [{self.n}/{self.todo}] {label}: {detail} ({seconds:.1f} s); "
                       f"{rate:.1f} files/min, ETA {format_duration(eta)}")  # fmt: skip

    def note(self, text: str) -> None:  # noqa: D102
        self._line(f"eegpipe batch: warning: {text}")

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None


def run(args: argparse.Namespace) -> int:
    """Execute ``eegpipe batch``.

    Parameters
    ----------
    args : argparse.Namespace
        Parsed arguments.

    Returns
    -------
    status : int
        0 when every recording is scored, 1 when any failed (now or in an earlier run
        not retried), 2 on a usage error, 130 when interrupted.
    """
    jobs = args.jobs if args.jobs is not None else (os.cpu_count() or 1) if args.dask == "local" else 1
    progress = _TerminalProgress()

    def stop(signum, frame):  # SIGTERM (batch schedulers, systemd) ends the sweep like Ctrl-C
        raise KeyboardInterrupt

    try:
        previous = signal.signal(signal.SIGTERM, stop)
    except ValueError:  # not the main thread: leave signals alone
        previous = None
    try:
        summary = run_batch(args.archives, args.out, jobs=jobs, dask=args.dask, timeout=args.timeout,
                            retry_failed=args.retry_failed, rehash=args.rehash,
                            keep_identifiers=args.keep_identifiers, secret_file=args.secret_file,
                            epoch_s=args.epoch_s, overlap=args.overlap, progress=progress)  # fmt: skip
    except (ValueError, FileNotFoundError, RuntimeError) as err:
        progress.close()
        print(f"eegpipe batch: error: {err}", file=sys.stderr)
        return 2
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
        progress.close()
    print(f"eegpipe batch: {summary}")
    print(f"eegpipe batch: tables in {summary.out}: recordings.parquet, epochs.parquet, failures.parquet")
    if summary.key_file is not None:
        print(f"eegpipe batch: which pseudonym is which file: {summary.key_file} (keep it private)")
    if summary.interrupted:
        return 130
    return 1 if summary.failed_total else 0
