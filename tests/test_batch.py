"""Archive sweeps (`eegpipe batch`): failures, equality with `eegpipe score`, resumption after
SIGKILL, Dask, time limits and worker crashes, BIDS, and de-identification."""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from datetime import date
from pathlib import Path
from types import SimpleNamespace

import duckdb
import pandas as pd
import pyarrow.parquet as pq
import pytest
from threadpoolctl import threadpool_limits

from eegpipe.batch import MANIFEST, run_batch, score_file
from eegpipe.cli import main
from eegpipe.deid import REDACTED, Scrubber, file_sha256, header_identifiers, load_secret, pseudonym
from eegpipe.score import EDF_SUFFIXES
from eegpipe.simulate import simulate_corpus, simulate_to_edf
from eegpipe.table import EPOCH_FEATURES
from tests.conftest import REAL_EDF, REPO, skip_without_real_edf

#: Corpus seed of the test archive, and the single-recording seeds of this file (600-699).
ARCHIVE_SEED = 9006
N_SIMULATED = 22
DURATION_S = 40
#: Columns that say when and how fast, so differ between two runs of the same files.
TIMING = ["scoring_s", "scored_at"]
#: Per-file time limit (s) in the tests with a file that hangs: far above the second or
#: two a 40-s file takes on a busy machine.
TIME_LIMIT_S = 8
#: Files of the archive that cannot be scored, and why (a word of the reason).
BROKEN = {
    "eegmmidb_S001R04_crlf_corrupted.edf": "corrupt", "cut_in_header.edf": "truncated",
    "notes.edf": "not an edf", "scan.EDF": "not an edf", "empty.bdf": "not an edf",
    "sleepedf_SC4001EC-Hypnogram.edf": "only annotations",
}  # fmt: skip


def _build_archive(root: Path, work: Path) -> list[dict]:
    """34 files in nested folders: 26 simulated (some named after the infant, some in a
    folder named after it, some .EDF), a byte-identical copy, three real exports (BDF,
    EDF+D, hypnogram-only), a corrupt one, truncated ones, and non-EDF files."""
    patients = []
    for i, p in enumerate(simulate_corpus(work, N_SIMULATED, seed=ARCHIVE_SEED, duration_s=DURATION_S)):
        truth = json.loads(p.with_suffix(".json").read_text())
        name, born = truth["patient"]["name"], truth["patient"]["birthdate"]
        folder = root / f"{2023 + i % 3}" / ("ward_a" if i % 2 else "ward_b")
        if i % 4 == 0:
            folder = folder / name
        stem = f"{name}_{born}" if i % 3 == 0 else f"eeg_{i:03d}"
        folder.mkdir(parents=True, exist_ok=True)
        dest = folder / (stem + (".EDF" if i % 5 == 0 else ".edf"))
        shutil.move(p, dest)
        shutil.move(p.with_suffix(".json"), folder / f"{stem}.json")
        patients.append({**truth["patient"], "file": dest, "stem": stem, "folder": folder.name,
                         "age_months": truth["age_months"]})  # fmt: skip
    odd = root / "imports" / "old"
    odd.mkdir(parents=True)
    shutil.copy(patients[1]["file"], root / "imports" / "copy_of_a_recording.edf")
    for name in ("openbci_cosleep_multiple_annotation_chans.bdf", "nihonkohden_MB0400FU_edfplusD.edf",
                 "sleepedf_SC4001EC-Hypnogram.edf"):  # fmt: skip
        shutil.copy(REAL_EDF / name, odd / name)
    shutil.copy(REAL_EDF / "broken" / "eegmmidb_S001R04_crlf_corrupted.edf", odd)
    data = patients[2]["file"].read_bytes()
    (odd / "cut_in_data.edf").write_bytes(data[: len(data) * 6 // 10])
    (odd / "cut_in_header.edf").write_bytes(data[:300])
    (odd / "notes.edf").write_text("this is not an EDF file\n")
    (odd / "scan.EDF").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(2000))
    (odd / "empty.bdf").write_bytes(b"")
    (odd / "README.txt").write_text("not a recording, not looked at\n")
    return patients


def _edf_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.suffix.lower() in EDF_SUFFIXES)


def _run_cli(args: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = main([str(a) for a in args])
    return status, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def swept(tmp_path_factory):
    """The archive, swept once with `eegpipe batch --jobs 1` (de-identified by default)."""
    skip_without_real_edf()  # the archive holds real exports
    tmp = tmp_path_factory.mktemp("batch")
    root = tmp / "archive"
    patients = _build_archive(root, tmp / "gen")
    secret_file = tmp / "private" / "secret"
    status, stdout, stderr = _run_cli(["batch", root, "--out", tmp / "results", "--secret-file", secret_file,
                                       "--jobs", "1"])  # fmt: skip
    secret = load_secret(secret_file, create=False)
    ids = {p: pseudonym(secret, file_sha256(p)) for p in _edf_files(root)}
    return SimpleNamespace(root=root, out=tmp / "results", secret_file=secret_file, status=status,
                           stdout=stdout, stderr=stderr, patients=patients, ids=ids, tmp=tmp)  # fmt: skip


def _tables(out: Path) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    return tuple(pd.read_parquet(out / f"{t}.parquet") for t in ("recordings", "epochs", "failures"))


def _same_rows(out_a: Path, out_b: Path, table: str, ids, drop=()) -> None:
    """The rows of ``ids`` in two results folders are equal, to the last digit and type."""
    a, b = (pd.read_parquet(o / f"{table}.parquet", dtype_backend="pyarrow") for o in (out_a, out_b))
    a = a[a["recording_id"].isin(ids)].drop(columns=list(drop)).reset_index(drop=True)
    b = b[b["recording_id"].isin(ids)].drop(columns=list(drop)).reset_index(drop=True)
    assert len(a) >= len(ids) if table == "epochs" else len(a) > 0
    pd.testing.assert_frame_equal(a, b, check_exact=True)


def test_archive_sweep_reports_every_failure_and_matches_score(swept, capsys):
    recs, epochs, fails = _tables(swept.out)
    assert swept.status == 1  # some files failed
    assert len(swept.ids) >= 30
    # Every file is in exactly one table, once (the byte-identical copy shares its original's row).
    assert recs["recording_id"].is_unique and fails["recording_id"].is_unique
    assert set(recs["recording_id"]).isdisjoint(fails["recording_id"])
    assert set(recs["recording_id"]) | set(fails["recording_id"]) == set(swept.ids.values())
    assert len(recs) + len(fails) == len(swept.ids) - 1
    assert recs.loc[recs["recording_id"] == swept.ids[swept.patients[1]["file"]], "n_copies"].item() == 2

    with threadpool_limits(limits=1):  # as the sweep's workers: same numbers, no OpenMP contention
        status = main(["score", str(swept.root), "--format", "json"])
    scored = json.loads(capsys.readouterr().out)
    assert status == 1 and len(scored) == len(swept.ids)
    failed_names = set()
    for r in scored:
        rid = swept.ids[Path(r["file"])]
        if r["error"]:
            row = fails.set_index("recording_id").loc[rid]
            assert row["message"] == r["error"] and row["error_class"] == "RecordingError", r["file"]
            assert "\n" not in row["message"] and not row["message"].startswith("internal error")
            failed_names.add(Path(r["file"]).name)
            continue
        row = recs.set_index("recording_id").loc[rid]
        assert json.loads(row["result_json"]) == {**r, "file": rid}, r["file"]
        assert (row["verdict"], list(row["subtypes"])) == (r["verdict"], r["subtypes"])
        for key in ("probability", "based_grade"):
            assert row[key] == r[key] or (pd.isna(row[key]) and r[key] is None), (r["file"], key)
        assert row["usable_minutes"] == r["quality"]["usable_minutes"]
        assert row["duration_s"] == r["quality"]["duration_s"]
        assert (epochs["recording_id"] == rid).sum() == r["quality"].get("epochs", 0)
    for name, word in BROKEN.items():
        assert name in failed_names, name
        msg = fails.set_index("recording_id").loc[swept.ids[next(p for p in swept.ids if p.name == name)], "message"]
        assert word in msg.lower(), (name, msg)
    assert all(p["file"].name not in failed_names for p in swept.patients)
    # Age at recording, in months, from the header's birth date; the simulator's truth.
    ages = recs.set_index("recording_id")["age_months"]
    for p in swept.patients:
        assert ages[swept.ids[p["file"]]] == pytest.approx(p["age_months"], abs=0.1)
    assert set(EPOCH_FEATURES) <= set(epochs.columns) and epochs["recording_id"].isin(recs["recording_id"]).all()
    # What a data person does next: DuckDB straight on the files, column definitions in the schema.
    n = duckdb.sql(f"select count(*) from '{swept.out / 'recordings.parquet'}' where verdict is not null").fetchall()
    assert n[0][0] == len(recs)
    schema = pq.read_schema(swept.out / "recordings.parquet")
    assert b"months" in schema.field("age_months").metadata[b"description"]
    summary = swept.stdout.splitlines()[0]
    assert f"{len(recs)} scored" in summary and f"{len(fails)} failed" in summary and "files/min" in summary


def test_rerun_skips_everything_done_and_refuses_wrong_settings(swept):
    before = _tables(swept.out)
    status, stdout, _ = _run_cli(["batch", swept.root, "--out", swept.out, "--secret-file", swept.secret_file])
    assert status == 1  # the failures are still there (not retried)
    n = len(before[0]) + len(before[2])
    assert f"0 scored, {n} skipped" in stdout
    for old, new in zip(before, _tables(swept.out), strict=True):
        pd.testing.assert_frame_equal(old, new)
    other = swept.tmp / "other-secret"
    for args, why in (([ "--secret-file", other], "another secret"),
                      (["--secret-file", swept.secret_file, "--keep-identifiers"], "identifiers"),
                      (["--secret-file", swept.out / "secret"], "inside the results folder")):  # fmt: skip
        status, _, stderr = _run_cli(["batch", swept.root, "--out", swept.out, *args])
        assert status == 2 and why in stderr and "Traceback" not in stderr, stderr
    assert not (swept.out / "secret").exists()


def _identifiers(patients: list[dict]) -> list[str]:
    words = []
    for p in patients:
        born = date.fromisoformat(p["birthdate"])
        words += [p["name"], *p["name"].split("_"), p["code"], p["stem"], p["folder"], p["file"].name,
                  born.isoformat(), born.strftime("%d-%b-%Y"), born.strftime("%d.%m.%Y"),
                  born.strftime("%d/%m/%Y"), born.strftime("%m/%d/%Y")]  # fmt: skip
    return sorted({w for w in words if not w.startswith(("eeg_", "ward_"))})


def _output_texts(out: Path) -> dict[str, str]:
    """Every output as text: Parquet decoded cell by cell (pages are compressed) plus raw bytes."""
    texts = {}
    for f in sorted(p for p in out.rglob("*") if p.is_file()):
        raw = f.read_bytes().decode("latin-1")
        if f.suffix == ".parquet":
            t = pq.read_table(f)
            raw += t.to_pandas().to_csv() + str(t.schema.metadata) + str([fl.metadata for fl in t.schema])
        texts[str(f.relative_to(out))] = raw
    return texts


def _assert_no_identifiers(texts: dict[str, str], identifiers: list[str]) -> None:
    for word in identifiers:
        pattern = re.compile(rf"(?<![A-Za-z0-9]){re.escape(word)}(?![A-Za-z0-9])", re.IGNORECASE)
        for where, text in texts.items():
            assert not pattern.search(text), f"{word!r} found in {where}"


def test_outputs_hold_no_patient_identifier(swept):
    real = [p.stem for p in swept.ids if p.parent.name == "old" and "_" in p.stem] + ["No_Name", "OPSA614"]
    words = _identifiers(swept.patients) + real
    texts = _output_texts(swept.out) | {"stdout": swept.stdout, "stderr": swept.stderr}
    assert len(texts) > 30 and sum(map(len, texts.values())) > 100_000
    _assert_no_identifiers(texts, words)
    # The identifiers are really in the headers the sweep read: the check can fail.
    for p in swept.patients:
        head = p["file"].read_bytes()[:168].decode("latin-1")
        born = date.fromisoformat(p["birthdate"]).strftime("%d-%b-%Y").upper()
        assert p["name"] in head and p["code"] in head and born in head
    # Pseudonyms are stable and keyed: the same bytes give the same name, another secret another.
    rid = swept.ids[swept.patients[0]["file"]]
    assert re.fullmatch(r"rec-[0-9a-f]{16}", rid)
    assert pseudonym(b"another secret, 16+ bytes", file_sha256(swept.patients[0]["file"])) != rid
    keys = (swept.secret_file.parent / "secret.keys.csv").read_text()
    assert rid in keys and str(swept.patients[0]["file"]) in keys  # kept beside the secret only
    assert oct(os.stat(swept.secret_file.parent / "secret.keys.csv").st_mode)[-3:] == "600"


def test_scrubber_removes_whole_words_and_header_fields(tmp_path):
    f = simulate_to_edf(tmp_path / "Novak_Aino_x.edf", "normal", seed=600, duration_s=20,
                        patient={"name": "Novak_Aino", "birthdate": "2024-02-29", "code": "MRN55501",
                                 "sex": "female"})  # fmt: skip
    words, subject = header_identifiers(f)
    assert {"Novak_Aino", "Novak", "Aino", "MRN55501", "29-FEB-2024", "2024-02-29", "29.02.2024"} <= set(words)
    assert subject is not None and len(subject) == 64
    scrub = Scrubber([str(f), f.name, f.stem], words, "rec-1")
    text = f"{f}: Aino's EEG, Annals of AINO; born 29.02.2024, MRN55501; {f.name}"
    assert scrub(text) == f"rec-1: {REDACTED}'s EEG, Annals of {REDACTED}; born {REDACTED}, {REDACTED}; rec-1"
    assert scrub({"a": [text, 3.5]})["a"][1] == 3.5


def _subset(swept, dest: Path, n_sim: int) -> list[Path]:
    """A smaller archive of the same bytes (same pseudonyms): simulated files and two broken."""
    picks = [p["file"] for p in swept.patients[3: 3 + n_sim]] + \
        [p for p in swept.ids if p.name in ("notes.edf", "eegmmidb_S001R04_crlf_corrupted.edf")]  # fmt: skip
    for i, p in enumerate(picks):
        (dest / f"d{i % 3}").mkdir(parents=True, exist_ok=True)
        shutil.copy(p, dest / f"d{i % 3}" / p.name)
    return picks


def test_sigkill_at_any_point_then_resume_gives_one_row_per_file(swept, tmp_path):
    picks = _subset(swept, tmp_path / "archive", 10)
    ids = {swept.ids[p] for p in picks}
    out = tmp_path / "results"
    cmd = [sys.executable, "-m", "eegpipe.cli", "batch", str(tmp_path / "archive"), "--out", str(out),
           "--secret-file", str(swept.secret_file), "--jobs", "2"]  # fmt: skip
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True,
                            cwd=REPO)  # fmt: skip
    records = out / MANIFEST
    deadline = time.monotonic() + 180
    while len(list(records.glob("rec-*.json"))) < 3:
        assert proc.poll() is None, "the sweep ended before it could be killed"
        assert time.monotonic() < deadline
        time.sleep(0.02)
    os.killpg(proc.pid, signal.SIGKILL)  # the job, its workers and all
    stdout, stderr = proc.communicate()
    done_before = len(list(records.glob("rec-*.json")))
    assert proc.returncode == -signal.SIGKILL and done_before < len(ids)
    assert not (out / "recordings.parquet").exists()  # no table, rather than half of one

    summary = run_batch([tmp_path / "archive"], out, secret_file=swept.secret_file, jobs=2)
    assert summary.skipped >= done_before and summary.scored + summary.failed + summary.skipped == len(ids)
    recs, epochs, fails = _tables(out)
    assert set(recs["recording_id"]) | set(fails["recording_id"]) == ids
    assert recs["recording_id"].is_unique and not epochs.duplicated(["recording_id", "start_s"]).any()
    _same_rows(out, swept.out, "recordings", ids, TIMING)
    _same_rows(out, swept.out, "epochs", ids)
    _same_rows(out, swept.out, "failures", ids, ["failed_at"])
    assert not list(out.rglob(".*.tmp-*"))
    _assert_no_identifiers({"stdout": stdout.decode(), "stderr": stderr.decode()}, _identifiers(swept.patients))


def test_dask_local_cluster_gives_the_same_tables_as_jobs_1(swept, tmp_path):
    picks = _subset(swept, tmp_path / "archive", 6)
    ids = {swept.ids[p] for p in picks}
    # One more file, which hangs its worker: Dask cannot interrupt a task, so the sweep
    # records a time-out, ends that worker process (its nanny starts another) and goes on.
    simulate_to_edf(tmp_path / "archive" / "hang.edf", "normal", seed=615, duration_s=20)
    out = tmp_path / "results"
    s = run_batch([tmp_path / "archive"], out, dask="local", jobs=2, timeout=TIME_LIMIT_S,
                  secret_file=swept.secret_file, _task=hang_or_crash)  # fmt: skip
    assert (s.recordings, s.scored, s.failed) == (len(ids) + 1, len(ids) - 2, 3)
    fails = pd.read_parquet(out / "failures.parquet").set_index("error_class")
    assert fails.loc["TimeoutError", "message"].startswith(f"timed out after {TIME_LIMIT_S} s")
    _same_rows(out, swept.out, "recordings", ids, TIMING)  # to the last digit,
    _same_rows(out, swept.out, "epochs", ids)  # per-epoch features included
    _same_rows(out, swept.out, "failures", ids, ["failed_at"])


def hang_or_crash(path, recording_id, *args):
    """Stand-in worker task: files named *hang* never finish, *crash* kill their worker."""
    if "hang" in Path(path).name:
        time.sleep(600)
    if "crash" in Path(path).name:
        os.kill(os.getpid(), signal.SIGKILL)
    return score_file(path, recording_id, *args)


def test_time_limit_worker_crash_retry_and_changed_file(tmp_path):
    arch, out, secret = tmp_path / "archive", tmp_path / "results", tmp_path / "private" / "secret"
    for i, name in enumerate(("fine.edf", "hang.edf", "crash.edf")):
        simulate_to_edf(arch / name, "hypsarrhythmia", seed=610 + i, duration_s=30, artifacts="none")
    os.mkfifo(arch / "stuck.edf")  # reading it would block forever: never opened
    (arch / "gone.edf").symlink_to(tmp_path / "unmounted" / "x.edf")
    s = run_batch([arch], out, jobs=2, timeout=TIME_LIMIT_S, secret_file=secret, _task=hang_or_crash)
    assert (s.scored, s.failed, s.failed_total) == (1, 4, 4)
    fails = pd.read_parquet(out / "failures.parquet").set_index("error_class")["message"]
    assert fails["TimeoutError"].startswith(f"timed out after {TIME_LIMIT_S} s")
    assert "killed by signal 9, SIGKILL" in fails["WorkerCrashed"]
    assert sorted(fails["OSError"]) == ["cannot read the file: No such file or directory",
                                        "cannot read the file: not a regular file (a pipe, device or socket)"]
    # Without --retry-failed failures stay (unreadable files are always looked at again);
    # with it (and the real task) the others are scored.
    s = run_batch([arch], out, jobs=2, secret_file=secret)
    assert (s.scored, s.skipped, s.failed, s.failed_total) == (0, 3, 2, 4)
    (arch / "stuck.edf").unlink()
    (arch / "gone.edf").unlink()
    s = run_batch([arch], out, jobs=2, secret_file=secret, retry_failed=True)
    assert (s.scored, s.skipped, s.failed_total) == (2, 1, 0)
    recs = pd.read_parquet(out / "recordings.parquet")
    assert len(recs) == 3 and len(pd.read_parquet(out / "failures.parquet")) == 0
    old_id = pseudonym(load_secret(secret), file_sha256(arch / "hang.edf"))
    assert json.loads((out / MANIFEST / f"{old_id}.json").read_text())["attempts"] == 2
    # A changed file is scored again; its old row is gone.
    simulate_to_edf(arch / "hang.edf", "normal", seed=613, duration_s=30, artifacts="none")
    s = run_batch([arch], out, jobs=1, secret_file=secret)
    assert (s.scored, s.skipped) == (1, 2)
    recs2 = pd.read_parquet(out / "recordings.parquet")
    assert len(recs2) == 3 and old_id not in set(recs2["recording_id"])
    new_id = pseudonym(load_secret(secret), file_sha256(arch / "hang.edf"))
    assert recs2.set_index("recording_id").loc[new_id, "verdict"] in ("normal", "indeterminate")


def test_bids_dataset_through_mne_bids_with_identifiers_kept(tmp_path):
    import mne
    from mne_bids import BIDSPath, write_raw_bids

    root = tmp_path / "bids"
    for sub, seed in (("01", 620), ("02", 621)):
        src = simulate_to_edf(tmp_path / "src" / f"{sub}.edf", "normal", seed=seed, duration_s=40)
        raw = mne.io.read_raw_edf(src, verbose="error")
        write_raw_bids(raw, BIDSPath(subject=sub, task="rest", root=root, datatype="eeg"), verbose="error")
    deriv = root / "derivatives" / "clean" / "sub-01" / "eeg"
    deriv.mkdir(parents=True)
    shutil.copy(tmp_path / "src" / "01.edf", deriv / "sub-01_task-rest_desc-clean_eeg.edf")
    (tmp_path / "src" / "02.edf").write_bytes(b"changed")  # not part of the dataset
    status, stdout, stderr = _run_cli(["batch", root, "--out", tmp_path / "results", "--keep-identifiers",
                                       "--secret-file", tmp_path / "secret"])  # fmt: skip
    assert status == 0, stderr
    recs = pd.read_parquet(tmp_path / "results" / "recordings.parquet")
    assert sorted(Path(p).relative_to(root).as_posix() for p in recs["path"]) == \
        ["sub-01/eeg/sub-01_task-rest_eeg.edf", "sub-02/eeg/sub-02_task-rest_eeg.edf"]  # fmt: skip
    assert recs["subject_id"].str.fullmatch(r"sub-[0-9a-f]{16}").all() and recs["subject_id"].is_unique
    assert recs["recorded_at"].notna().all() and recs["verdict"].notna().all()
    assert json.loads(recs["result_json"][0])["file"] == recs["path"][0]
