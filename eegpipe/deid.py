"""De-identification for archive sweeps: the secret, stable pseudonyms, and scrubbing.

An archive sweep (:mod:`eegpipe.batch`) writes no patient name, birth date, hospital
code or file path into its results unless asked to. Each recording is named by a
pseudonym, a keyed hash (HMAC-SHA256) of the SHA-256 of its bytes, so the same file
always gets the same name and nobody without the secret can tell which file a row is,
even holding the archive. The secret lives outside the results folder (by default in the
user's configuration folder), and the list of which pseudonym is which file is written
beside it, never among the results.

Text that leaves a worker (notes, reasons, error messages) is scrubbed of the file's
path, name and stem, and of every word of the EDF patient field and the EDF+ hospital
administration code and technician, with the birth date in the usual date formats.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import os
import re
import secrets
import sys
from collections.abc import Iterable
from datetime import date, datetime
from os import PathLike
from pathlib import Path

#: Environment variable naming the secret file (overridden by ``--secret-file``).
SECRET_ENV = "EEGPIPE_SECRET_FILE"
#: File name of the generated secret inside the user's configuration folder.
SECRET_NAME = "batch-secret"
#: Bytes of randomness in a generated secret (256 bits, the HMAC-SHA256 key size).
SECRET_BYTES = 32
#: Shortest secret accepted from a user-supplied file, in bytes (128 bits).
MIN_SECRET_BYTES = 16
#: Hex digits kept of a pseudonym's HMAC: 64 bits, so two recordings collide with a
#: probability of about n² / 2**65 (1 in 10**11 for a million recordings).
PSEUDONYM_HEX = 16
#: What scrubbed identifying text is replaced with.
REDACTED = "[redacted]"
#: Header words shorter than this are not scrubbed ("M", "F", "X" would wreck any text).
MIN_TOKEN_CHARS = 3
#: Formats a birth date is scrubbed in, besides the EDF+ ``02-MAY-1951`` form.
DATE_FORMATS = ("%Y-%m-%d", "%d-%b-%Y", "%d.%m.%Y", "%d/%m/%Y", "%m/%d/%Y", "%d.%m.%y", "%Y%m%d")
#: Bytes of an EDF/BDF header holding the patient (8-88) and recording (88-168) fields.
_PATIENT_FIELD, _RECORDING_FIELD = slice(8, 88), slice(88, 168)


def default_secret_path() -> Path:
    """Where the secret is kept when ``--secret-file`` is not given.

    Returns
    -------
    path : Path
        ``$EEGPIPE_SECRET_FILE`` if set; else ``eegpipe/batch-secret`` in the user's
        configuration folder (``$XDG_CONFIG_HOME`` or ``~/.config``; ``%APPDATA%`` on
        Windows).
    """
    if os.environ.get(SECRET_ENV):
        return Path(os.environ[SECRET_ENV]).expanduser()
    if sys.platform == "win32" and os.environ.get("APPDATA"):
        base = Path(os.environ["APPDATA"])
    else:
        base = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    return base / "eegpipe" / SECRET_NAME


def check_secret_location(secret_path: str | PathLike, results_dir: str | PathLike) -> None:
    """Refuse a secret kept inside the results folder.

    Anyone given the results could then recompute the pseudonym of any file they hold
    and so re-identify its row.

    Parameters
    ----------
    secret_path : str or path-like
        The secret file.
    results_dir : str or path-like
        The sweep's results folder.

    Raises
    ------
    ValueError
        If the secret file is inside ``results_dir``.
    """
    secret, results = Path(secret_path).resolve(), Path(results_dir).resolve()
    if secret == results or results in secret.parents:
        raise ValueError(f"the secret file {secret} is inside the results folder {results}; keep it "
                         "outside (anyone with the results could undo the pseudonyms)")  # fmt: skip


def load_secret(path: str | PathLike, *, create: bool = True) -> bytes:
    """Read the pseudonymisation secret, creating a random one the first time.

    Parameters
    ----------
    path : str or path-like
        The secret file. A new one holds 64 hex digits (256 random bits) and is made
        readable by its owner only.
    create : bool
        Make the file if it does not exist.

    Returns
    -------
    secret : bytes

    Raises
    ------
    ValueError
        If the file holds fewer than :data:`MIN_SECRET_BYTES` bytes, or is missing and
        ``create`` is False.
    """
    path = Path(path)
    if not path.exists():
        if not create:
            raise ValueError(f"secret file {path} not found")
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        try:  # O_EXCL: two sweeps started at once must not write two different secrets
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "w", encoding="ascii") as fh:
                fh.write(secrets.token_hex(SECRET_BYTES) + "\n")
                fh.flush()
                os.fsync(fh.fileno())
    secret = path.read_bytes().strip()
    if len(secret) < MIN_SECRET_BYTES:
        raise ValueError(f"secret file {path} holds {len(secret)} bytes; it needs at least "
                         f"{MIN_SECRET_BYTES} (or delete it to have a random one made)")  # fmt: skip
    return secret


def keyed_hash(secret: bytes, text: str) -> str:
    """HMAC-SHA256 of ``text`` under ``secret``, as hex.

    Parameters
    ----------
    secret : bytes
        The key.
    text : str
        What to hash (UTF-8).

    Returns
    -------
    digest : str
        64 hex digits.
    """
    return hmac.new(secret, text.encode("utf-8"), hashlib.sha256).hexdigest()


def pseudonym(secret: bytes, content_sha256: str, prefix: str = "rec") -> str:
    """The stable pseudonym of a recording (or of a subject).

    Parameters
    ----------
    secret : bytes
        From :func:`load_secret`.
    content_sha256 : str
        SHA-256 (hex) of what is named: the file's bytes for a recording.
    prefix : str
        ``"rec"`` for recordings, ``"sub"`` for subjects.

    Returns
    -------
    name : str
        ``"<prefix>-"`` and :data:`PSEUDONYM_HEX` hex digits, e.g. ``"rec-3f9a0c81d2e4b7a5"``.
    """
    return f"{prefix}-{keyed_hash(secret, f'{prefix}:{content_sha256}')[:PSEUDONYM_HEX]}"


def file_sha256(path: str | PathLike, chunk_bytes: int = 1 << 20) -> str:
    """SHA-256 of a file's bytes, read in chunks (memory stays flat).

    Parameters
    ----------
    path : str or path-like
        The file.
    chunk_bytes : int
        Read size.

    Returns
    -------
    digest : str
        64 hex digits.
    """
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk_bytes):
            h.update(block)
    return h.hexdigest()


def _edf_date(text: str) -> date | None:
    for fmt in ("%d-%b-%Y", "%d.%m.%Y", "%d.%m.%y", "%Y-%m-%d"):
        try:
            return datetime.strptime(text.strip().title(), fmt).date()
        except ValueError:
            continue
    return None


def header_identifiers(path: str | PathLike) -> tuple[list[str], str | None]:
    """Identifying strings in an EDF/BDF header, and a digest naming the patient.

    Reads only the first 168 bytes, so it works on files too broken to load.

    Parameters
    ----------
    path : str or path-like
        An EDF or BDF file (anything that does not start like one gives nothing).

    Returns
    -------
    identifiers : list of str
        Every word of the patient field (and, for EDF+, the whole name with ``_`` read
        as a space, and the birth date in each of :data:`DATE_FORMATS`), plus the EDF+
        recording field's hospital administration code and technician.
    subject_sha256 : str or None
        SHA-256 of the EDF+ hospital code, or of name and birth date when there is no
        code; ``None`` when the header names no one. Never written anywhere: the caller
        turns it into a keyed pseudonym.
    """
    try:
        with open(path, "rb") as fh:
            head = fh.read(_RECORDING_FIELD.stop)
    except OSError:
        return [], None
    if len(head) < _RECORDING_FIELD.stop or head[:8] not in (b"0       ", b"\xffBIOSEMI"):
        return [], None  # not an EDF/BDF header: its bytes name no one
    patient = head[_PATIENT_FIELD].decode("latin-1").strip()
    recording = head[_RECORDING_FIELD].decode("latin-1").split()
    words = patient.split()
    found = [w for w in words if w.upper() != "X"]
    for w in words:
        found += re.split(r"[_,;]+", w)
    subject = None
    if len(words) >= 4:  # EDF+: code sex birthdate name [more]
        code, _, born, name = words[:4]
        found.append(name.replace("_", " "))
        day = _edf_date(born)
        if day is not None:
            found += [day.strftime(fmt) for fmt in DATE_FORMATS]
        if code.upper() != "X":
            subject = f"code:{code.upper()}"
        elif name.upper() != "X" and day is not None:
            subject = f"name:{name.upper()}|{day.isoformat()}"
    if recording[:1] == ["Startdate"]:  # EDF+: Startdate dd-MMM-yyyy admincode technician equipment
        found += [w for w in recording[2:4] if w.upper() != "X"]
    found = [w for w in dict.fromkeys(found) if len(w) >= MIN_TOKEN_CHARS]
    digest = hashlib.sha256(subject.encode("utf-8")).hexdigest() if subject else None
    return found, digest


def path_identifiers(path: str | PathLike) -> list[str]:
    """The ways a file's path can appear in a message: as given, absolute, name, stem.

    Parameters
    ----------
    path : str or path-like
        The file.

    Returns
    -------
    identifiers : list of str
    """
    p = Path(path)
    out = [str(path), str(p), p.as_posix(), str(p.absolute()), str(p.resolve()), p.name, p.stem]
    return [s for s in dict.fromkeys(out) if len(s) >= MIN_TOKEN_CHARS]


class Scrubber:
    """Replace identifying strings in text, and in every string of nested dicts/lists.

    Paths are replaced by the recording's pseudonym (so a message still says which
    recording it is about) and header words by :data:`REDACTED`. Matching ignores case
    and only takes whole words: ``Anna`` is removed from ``Anna_Smith.edf`` but not
    from ``Annals``.

    Parameters
    ----------
    paths : iterable of str
        Path forms (:func:`path_identifiers`).
    words : iterable of str
        Header words (:func:`header_identifiers`).
    replacement : str
        What paths become.
    """

    def __init__(self, paths: Iterable[str], words: Iterable[str], replacement: str) -> None:
        self._rules = [(self._pattern(paths), replacement), (self._pattern(words), REDACTED)]

    @staticmethod
    def _pattern(strings: Iterable[str]) -> re.Pattern | None:
        items = sorted({s for s in strings if s}, key=len, reverse=True)
        if not items:
            return None
        body = "|".join(map(re.escape, items))
        return re.compile(rf"(?<![A-Za-z0-9])(?:{body})(?![A-Za-z0-9])", re.IGNORECASE)

    def __call__(self, value):
        """Scrub a string, or every string inside dicts, lists and tuples.

        Parameters
        ----------
        value : object
            Anything; only strings (and containers of them) are changed.

        Returns
        -------
        scrubbed : object
        """
        if isinstance(value, str):
            for pattern, repl in self._rules:
                if pattern is not None:
                    value = pattern.sub(repl, value)
            return value
        if isinstance(value, dict):
            return {k: self(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return type(value)(self(v) for v in value)
        return value


def key_file_path(secret_path: str | PathLike) -> Path:
    """The pseudonym → file list kept beside the secret.

    Parameters
    ----------
    secret_path : str or path-like
        The secret file.

    Returns
    -------
    path : Path
        ``<secret file>.keys.csv``.
    """
    p = Path(secret_path)
    return p.with_name(p.name + ".keys.csv")


def update_key_file(path: str | PathLike, rows: Iterable[tuple[str, str]], results_dir: str) -> None:
    """Merge ``(pseudonym, file)`` pairs into the key file, atomically, owner-readable only.

    Parameters
    ----------
    path : str or path-like
        From :func:`key_file_path`.
    rows : iterable of (str, str)
        Pseudonym and the path of the file it names.
    results_dir : str
        The results folder the pseudonyms appear in.
    """
    path = Path(path)
    known: dict[tuple[str, str], dict] = {}
    if path.exists():
        with open(path, newline="", encoding="utf-8") as fh:
            for r in csv.DictReader(fh):
                known[(r["recording_id"], r["path"])] = r
    stamp = datetime.now().astimezone().isoformat(timespec="seconds")
    for rid, file in rows:
        known[(rid, file)] = {"recording_id": rid, "path": file, "results_dir": results_dir, "seen": stamp}
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=("recording_id", "path", "results_dir", "seen"))
        w.writeheader()
        w.writerows(known[k] for k in sorted(known))
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
