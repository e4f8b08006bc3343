"""Train, select and evaluate the classifier; ``eegpipe train LABELS.csv --out models/NAME``.

A labels table has one row per recording with the columns the simulator's
``labels.csv`` has (:data:`eegpipe.simulate.LABEL_COLUMNS`): ``file`` (relative to the
table's folder, or absolute), ``label``, ``subtypes`` (``;``-separated) and, optionally,
``subject`` (recordings of one infant share it; cross-validation keeps them together).

The model is chosen among :data:`CANDIDATES` by cross-validation grouped by subject
(lowest log loss of the class probabilities), refitted on all recordings, evaluated on
held-out recordings when given, and saved with its model card.
"""

from __future__ import annotations

import argparse
import datetime as dt
import platform
import shlex
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats
from sklearn.metrics import log_loss, roc_auc_score
from sklearn.model_selection import StratifiedGroupKFold

from eegpipe import __version__
from eegpipe.model import NORMAL_CLASS, HypsarrhythmiaClassifier, save_model

#: Hyperparameter sets compared by grouped cross-validation (small and fast models).
CANDIDATES: tuple[dict, ...] = (
    {"kind": "logistic", "C": 0.1},
    {"kind": "logistic", "C": 1.0},
    {"kind": "hgb", "learning_rate": 0.1, "max_leaf_nodes": 8, "max_iter": 100},
)
#: Bootstrap resamples for confidence intervals, and their seed.
N_BOOTSTRAP = 2000
BOOTSTRAP_SEED = 20261123
#: Decision threshold on P(hypsarrhythmia or modified) for sensitivity/specificity.
ABNORMAL_THRESHOLD = 0.5


# -- data ------------------------------------------------------------------------------
def read_labels(paths) -> pd.DataFrame:
    """Read one or more labels tables; ``file`` becomes an absolute path.

    Parameters
    ----------
    paths : str, Path or list of them
        CSV files with at least ``file`` and ``label`` columns.

    Returns
    -------
    labels : pandas.DataFrame
        Concatenated, with ``subtypes`` ('' when absent) and ``subject`` (the file when
        absent).

    Raises
    ------
    ValueError
        When a table lacks a required column or names a missing file.
    """
    frames = []
    for p in [paths] if isinstance(paths, str | Path) else paths:
        p = Path(p)
        df = pd.read_csv(p, dtype={"subtypes": str, "subject": str}, keep_default_na=False)
        missing = {"file", "label"} - set(df.columns)
        if missing:
            raise ValueError(f"{p}: labels table lacks column(s) {', '.join(sorted(missing))}")
        df["file"] = [str(f if Path(f).is_absolute() else (p.parent / f).resolve()) for f in df["file"]]
        absent = [f for f in df["file"] if not Path(f).is_file()]
        if absent:
            raise ValueError(f"{p}: {len(absent)} listed file(s) not found, e.g. {absent[0]}")
        df["subtypes"] = df.get("subtypes", "")
        df["subject"] = df["subject"] if "subject" in df else df["file"]
        frames.append(df)
    return pd.concat(frames, ignore_index=True)


def _features_one(args) -> pd.Series | str:
    from eegpipe.errors import RecordingError
    from eegpipe.features import extract, recording_summary

    path, epoch_s = args
    try:
        return recording_summary(extract(path, epoch_s=epoch_s))
    except RecordingError as err:
        return str(err)


def feature_matrix(files, *, jobs: int = 1, epoch_s: float = 10.0, progress: bool = False,
                   cache: str | Path | None = None) -> tuple[pd.DataFrame, dict[str, str]]:  # fmt: skip
    """Recording features of many files, in parallel; files that fail are set aside.

    Parameters
    ----------
    files : sequence of str
        EDF/BDF files.
    jobs : int
        Processes.
    epoch_s : float
        Epoch length in seconds.
    progress : bool
        Show a progress bar (tqdm) on stderr.
    cache : str, Path or None
        A Parquet file of features already extracted: rows whose file, size, modification
        time, eegpipe version and epoch length match are reused; new rows are added.

    Returns
    -------
    X : pandas.DataFrame
        One row per readable file, indexed by file, in the order given.
    failed : dict of str to str
        File -> one-line reason.
    """
    files = [str(f) for f in files]
    keys = {f: f"{f}|{Path(f).stat().st_size}|{Path(f).stat().st_mtime_ns}|{__version__}|{epoch_s}" for f in files}
    cached = pd.read_parquet(cache) if cache is not None and Path(cache).is_file() else pd.DataFrame()
    known = set(cached["_key"]) if len(cached) else set()
    todo = [f for f in files if keys[f] not in known]
    X_new, failed = _extract_many(todo, jobs, epoch_s, progress)
    if cache is not None and len(X_new):
        add = X_new.assign(_key=[keys[f] for f in X_new.index])
        both = pd.concat([cached, add]) if len(cached) else add
        tmp = Path(f"{cache}.tmp")
        both.to_parquet(tmp)
        tmp.replace(cache)
        cached = both
    if len(cached):
        by_key = cached.set_index("_key")
        hit = [f for f in files if keys[f] in by_key.index and f not in X_new.index]
        X_old = by_key.loc[[keys[f] for f in hit]].set_axis(hit, axis=0)
        X_new = pd.concat([X_old, X_new]) if len(X_new) else X_old
    X = X_new.loc[[f for f in files if f in X_new.index]]
    return X.drop(columns="_key", errors="ignore"), failed


def _extract_many(files: list[str], jobs: int, epoch_s: float, progress: bool):
    if not files:
        return pd.DataFrame(), {}
    tasks = [(f, epoch_s) for f in files]
    if jobs > 1:
        with ProcessPoolExecutor(jobs) as pool:
            it = pool.map(_features_one, tasks, chunksize=4)
            out = list(_progress(it, len(tasks), progress))
    else:
        out = list(_progress(map(_features_one, tasks), len(tasks), progress))
    rows = {f: r for (f, _), r in zip(tasks, out, strict=True) if isinstance(r, pd.Series)}
    failed = {f: r for (f, _), r in zip(tasks, out, strict=True) if isinstance(r, str)}
    X = pd.DataFrame.from_dict(rows, orient="index")
    return X, failed


def _progress(it, total: int, show: bool):
    if not show:
        return it
    from tqdm import tqdm

    return tqdm(it, total=total, desc="features", unit="file", file=sys.stderr)


# -- selection and evaluation ----------------------------------------------------------
def cross_validate(X: pd.DataFrame, y, subtypes, groups, params: dict, *, n_splits: int = 5,
                   seed: int = 0) -> dict:  # fmt: skip
    """Out-of-fold probabilities of one configuration, folds grouped by subject.

    Parameters
    ----------
    X : pandas.DataFrame
        Recording features.
    y, subtypes, groups : array-like
        Class labels, subtype lists (``;``-strings) and subject ids per row.
    params : dict
        :class:`~eegpipe.model.HypsarrhythmiaClassifier` parameters.
    n_splits : int
        Folds.
    seed : int
        Fold shuffling seed.

    Returns
    -------
    oof : dict
        ``classes``, ``proba`` (n, n_classes), ``subtypes``, ``subtype_proba`` (n, n_subtypes).
    """
    y = np.asarray(y)
    cv = StratifiedGroupKFold(n_splits=n_splits, shuffle=True, random_state=seed)
    classes = np.unique(y)
    proba = np.zeros((len(y), classes.size))
    names = sorted({s for v in subtypes for s in str(v).split(";") if s})
    sub_p = np.zeros((len(y), len(names)))
    subtypes = np.asarray(subtypes, dtype=object)
    for tr, te in cv.split(X, y, groups):
        m = HypsarrhythmiaClassifier(**params).fit(X.iloc[tr], y[tr], subtypes=list(subtypes[tr]))
        proba[te] = m.predict_proba(X.iloc[te])
        p = m.predict_subtype_proba(X.iloc[te])
        for j, n in enumerate(m.subtypes_):
            sub_p[te, names.index(n)] = p[:, j]
    return {"classes": classes, "proba": proba, "subtypes": names, "subtype_proba": sub_p}


def f1_binary(t: np.ndarray, p: np.ndarray) -> float:
    """F1 of 0/1 arrays (0 when nothing is present or predicted), fast enough to bootstrap.

    Parameters
    ----------
    t, p : ndarray of 0/1
        Truth and prediction.

    Returns
    -------
    f1 : float
    """
    tp = float(np.sum((t == 1) & (p == 1)))
    denom = float(np.sum(t == 1) + np.sum(p == 1))
    return 2 * tp / denom if denom else 0.0


def bootstrap_ci(data: tuple, statistic, n_boot: int = N_BOOTSTRAP) -> list[float]:
    """95% percentile bootstrap interval of a paired statistic (recordings resampled).

    Parameters
    ----------
    data : tuple of ndarray
        Paired per-recording arrays (e.g. truth and prediction).
    statistic : callable
        ``statistic(*arrays) -> float``.
    n_boot : int
        Resamples (seeded with :data:`BOOTSTRAP_SEED`).

    Returns
    -------
    interval : list of float
        ``[low, high]``.
    """
    res = stats.bootstrap(data, statistic, paired=True, vectorized=False, n_resamples=n_boot,
                          method="percentile", random_state=np.random.default_rng(BOOTSTRAP_SEED))  # fmt: skip
    return [round(float(res.confidence_interval.low), 4), round(float(res.confidence_interval.high), 4)]


def evaluate(y_true, classes, proba, subtypes_true=None, subtype_names=(), subtype_proba=None,
             *, subtype_threshold: float = 0.5, n_boot: int = N_BOOTSTRAP) -> dict:  # fmt: skip
    """Recording-level metrics with 95% bootstrap confidence intervals.

    Parameters
    ----------
    y_true : array-like of str
        True classes.
    classes : array-like of str
        Column order of ``proba``.
    proba : ndarray, shape (n, n_classes)
        Predicted class probabilities.
    subtypes_true : sequence of ``;``-strings or None
        True subtypes per recording.
    subtype_names : sequence of str
        Column order of ``subtype_proba``.
    subtype_proba : ndarray or None
        Predicted subtype probabilities; a subtype counts as predicted when the predicted
        class is modified hypsarrhythmia and its probability >= ``subtype_threshold``.
    subtype_threshold : float
        See above.
    n_boot : int
        Bootstrap resamples.

    Returns
    -------
    metrics : dict
        ``n``, ``auc_abnormal``, ``sensitivity``, ``specificity``, ``accuracy_3class``,
        each ``{"value", "ci95"}``, plus ``subtype_f1`` per subtype and ``confusion``.
    """
    y = np.asarray(y_true)
    classes = list(classes)
    abn_t = (y != NORMAL_CLASS).astype(int)
    p_abn = 1.0 - proba[:, classes.index(NORMAL_CLASS)] if NORMAL_CLASS in classes else proba.max(1)
    abn_p = (p_abn >= ABNORMAL_THRESHOLD).astype(int)
    pred = np.asarray(classes)[proba.argmax(1)]

    def auc(t, p):
        return roc_auc_score(t, p) if 0 < t.sum() < t.size else np.nan

    def sens(t, p):
        return (p[t == 1] == 1).mean() if (t == 1).any() else np.nan

    def spec(t, p):
        return (p[t == 0] == 0).mean() if (t == 0).any() else np.nan

    out: dict = {"n": int(y.size), "n_abnormal": int(abn_t.sum()), "n_normal": int((1 - abn_t).sum())}
    for key, fn, pred_ in (("auc_abnormal", auc, p_abn), ("sensitivity", sens, abn_p), ("specificity", spec, abn_p)):
        out[key] = {"value": round(float(fn(abn_t, pred_)), 4), "ci95": bootstrap_ci((abn_t, pred_), fn, n_boot)}
    codes = np.array([classes.index(v) if v in classes else -1 for v in y])
    pcodes = proba.argmax(1)
    out["accuracy_3class"] = {"value": round(float((codes == pcodes).mean()), 4),
                              "ci95": bootstrap_ci((codes, pcodes), lambda a, b: (a == b).mean(), n_boot)}  # fmt: skip
    out["log_loss"] = round(float(log_loss(codes, proba, labels=range(len(classes)))), 4)
    out["confusion"] = {t: {c: int(((y == t) & (pred == c)).sum()) for c in classes} for t in classes}
    if subtypes_true is not None and subtype_proba is not None and len(subtype_names):
        is_mod = pred == "modified_hypsarrhythmia"
        out["subtype_f1"] = {}
        for j, name in enumerate(subtype_names):
            t = np.array([name in str(v).split(";") for v in subtypes_true], dtype=int)
            p = (is_mod & (subtype_proba[:, j] >= subtype_threshold)).astype(int)
            out["subtype_f1"][name] = {"value": round(f1_binary(t, p), 4), "n_present": int(t.sum()),
                                       "ci95": bootstrap_ci((t, p), f1_binary, n_boot)}  # fmt: skip
    return out


def select_model(X, y, subtypes, groups, candidates=CANDIDATES, *, n_splits: int = 5) -> tuple[dict, list]:
    """Pick the candidate with the lowest grouped cross-validated log loss.

    Parameters
    ----------
    X, y, subtypes, groups
        See :func:`cross_validate`.
    candidates : sequence of dict
        Parameter sets.
    n_splits : int
        Folds.

    Returns
    -------
    best : dict
        The chosen parameters.
    table : list of dict
        Per candidate: parameters, log loss, abnormal AUC, sensitivity, specificity,
        mean subtype F1 (out of fold).
    """
    table = []
    for params in candidates:
        oof = cross_validate(X, y, subtypes, groups, params, n_splits=n_splits)
        ll = log_loss(y, oof["proba"], labels=oof["classes"])
        abn = np.asarray(y) != NORMAL_CLASS
        p_abn = 1.0 - oof["proba"][:, list(oof["classes"]).index(NORMAL_CLASS)]
        pred = oof["classes"][oof["proba"].argmax(1)]
        f1s = [f1_binary(np.array([n in str(v).split(";") for v in subtypes], dtype=int),
                   ((pred == "modified_hypsarrhythmia") & (oof["subtype_proba"][:, j] >= 0.5)).astype(int))
               for j, n in enumerate(oof["subtypes"])]  # fmt: skip
        table.append({"params": params, "cv_log_loss": round(float(ll), 4),
                      "cv_auc_abnormal": round(float(roc_auc_score(abn, p_abn)), 4),
                      "cv_sensitivity": round(float((p_abn[abn] >= ABNORMAL_THRESHOLD).mean()), 4),
                      "cv_specificity": round(float((p_abn[~abn] < ABNORMAL_THRESHOLD).mean()), 4),
                      "cv_mean_subtype_f1": round(float(np.mean(f1s)) if f1s else float("nan"), 4)})  # fmt: skip
    best = min(table, key=lambda r: r["cv_log_loss"])["params"]
    return dict(best), table


# -- model card --------------------------------------------------------------------------
def _versions() -> dict:
    import mne
    import scipy
    import sklearn
    import skops

    return {"eegpipe": __version__, "python": platform.python_version(), "numpy": np.__version__,
            "scipy": scipy.__version__, "scikit-learn": sklearn.__version__, "mne": mne.__version__,
            "pandas": pd.__version__, "skops": skops.__version__}  # fmt: skip


INTENDED_USE = (
    "Decision support for clinical neurophysiologists reading infant EEG (about 2-24 months) for "
    "hypsarrhythmia and its modified variants, and for research on treatment response. The "
    "probability comes with the rule-based BASED-like grade and the measures behind both; a "
    "clinician reads the EEG pages it points to. Not a diagnostic device; not for adults or neonates."
)
LIMITS = (
    "Trained on simulated EEG only (eegpipe's simulator, built from published definitions and "
    "reference values), because no labelled real hypsarrhythmia recordings were available. Its "
    "accuracy on real recordings is unknown until real labelled data is added; retrain with "
    "`eegpipe train` on your own labels. Class and subtype labels follow Hrachovy et al. 1984; "
    "inter-rater agreement on those labels is itself poor in practice. On simulated data the "
    "classes are near-perfectly separable, so the held-out figures are a ceiling, not an "
    "estimate for clinical exports. Permutation importance (notebooks/01) ranks whole-head delta "
    "correlation first, lower in simulated hypsarrhythmia than in normal; published functional "
    "connectivity in infantile spasms is stronger (Shrey et al. 2018), so that feature's direction "
    "may be a property of the simulator: check it on real labelled recordings before trusting it."
)


def card_markdown(card: dict) -> str:
    """Render a model card dict as Markdown.

    Parameters
    ----------
    card : dict
        As written to ``model_card.json``.

    Returns
    -------
    markdown : str
    """
    lines = [f"# Model card: {card.get('name')}", "",
             f"Created {card.get('created')} with eegpipe {card.get('versions', {}).get('eegpipe')}. "
             f"File `{card.get('file')}` (skops), SHA-256 `{card.get('sha256')}`.", "",
             "## Intended use", "", card.get("intended_use", ""), "",
             "## Limits", "", card.get("limits", ""), "",
             "## Training data", ""]  # fmt: skip
    td = card.get("training_data", {})
    lines += [f"- {k}: {v}" for k, v in td.items() if k != "commands"]
    if td.get("commands"):
        lines += ["", "Made with:", "", "```", *td["commands"], "```"]
    lines += ["", "## Model", "", f"`HypsarrhythmiaClassifier` with `{card.get('hyperparameters')}`.", "",
              "Chosen by cross-validation grouped by subject (lowest log loss):", "",
              "| parameters | log loss | AUC | sens. | spec. | mean subtype F1 |",
              "|---|---|---|---|---|---|"]  # fmt: skip
    for r in card.get("model_selection", []):
        lines.append(f"| `{r['params']}` | {r['cv_log_loss']} | {r['cv_auc_abnormal']} | {r['cv_sensitivity']} "
                     f"| {r['cv_specificity']} | {r['cv_mean_subtype_f1']} |")  # fmt: skip
    ho = card.get("heldout_metrics")
    lines += ["", "## Held-out metrics", ""]
    if ho:
        lines += [f"{ho['n']} recordings ({ho['n_abnormal']} hypsarrhythmia or modified, {ho['n_normal']} "
                  f"normal) never used in training or development; 95% bootstrap intervals "
                  f"({N_BOOTSTRAP} resamples).", "", "| metric | value | 95% CI |", "|---|---|---|"]  # fmt: skip
        for k in ("auc_abnormal", "sensitivity", "specificity", "accuracy_3class"):
            lines.append(f"| {k} | {ho[k]['value']} | {ho[k]['ci95'][0]}-{ho[k]['ci95'][1]} |")
        for k, v in ho.get("subtype_f1", {}).items():
            lines.append(f"| F1 {k} (n={v['n_present']}) | {v['value']} | {v['ci95'][0]}-{v['ci95'][1]} |")
    else:
        lines.append("None given (train with `--holdout`).")
    lines += ["", "## Features", "", f"{len(card.get('features', []))} recording-level features "
              "(`eegpipe.features.recording_summary`): medians and 90th percentiles over clean epochs "
              "of the per-epoch features, shares of abnormal epochs, and the recording measures.", "",
              "## Package versions", ""]  # fmt: skip
    lines += [f"- {k} {v}" for k, v in card.get("versions", {}).items()]
    return "\n".join(lines) + "\n"


# -- the whole job -------------------------------------------------------------------------
def train(labels, out: str | Path, *, holdout=None, jobs: int = 1, epoch_s: float = 10.0,
          candidates=CANDIDATES, name: str | None = None, commands=(), progress: bool = False,
          cache: str | Path | None = None) -> dict:  # fmt: skip
    """Extract features, select by grouped CV, fit, evaluate on held-out data and save.

    Parameters
    ----------
    labels : str, Path or list of them
        Labels tables (see :func:`read_labels`).
    out : str or Path
        Model folder to write.
    holdout : str, Path, list of them or None
        Labels tables of held-out recordings for the card's metrics.
    jobs : int
        Processes for feature extraction.
    epoch_s : float
        Epoch length in seconds.
    candidates : sequence of dict
        Hyperparameter sets to choose from.
    name : str or None
        Model name (default: the folder name).
    commands : sequence of str
        Commands that made the training data, recorded in the card.
    progress : bool
        Progress bars on stderr.
    cache : str, Path or None
        Feature cache (see :func:`feature_matrix`).

    Returns
    -------
    card : dict
    """
    lab = read_labels(labels)
    X, failed = feature_matrix(lab["file"], jobs=jobs, epoch_s=epoch_s, progress=progress, cache=cache)
    lab = lab.set_index("file").loc[X.index]
    y, subs, groups = lab["label"].to_numpy(), lab["subtypes"].tolist(), lab["subject"].to_numpy()
    best, table = select_model(X, y, subs, groups, candidates)
    model = HypsarrhythmiaClassifier(**best).fit(X, y, subtypes=subs)
    card = {
        "name": name or Path(out).name, "created": dt.date.today().isoformat(),
        "intended_use": INTENDED_USE, "limits": LIMITS,
        "training_data": {
            "labels_tables": [str(p) for p in ([labels] if isinstance(labels, str | Path) else labels)],
            "recordings": int(len(X)), "failed_to_read": len(failed),
            "per_class": {k: int(v) for k, v in lab["label"].value_counts().sort_index().items()},
            "subjects": int(pd.Series(groups).nunique()), "epoch_s": epoch_s, "commands": list(commands),
        },
        "features": list(X.columns), "hyperparameters": model.get_params(),
        "model_selection": table, "versions": _versions(),
    }  # fmt: skip
    if holdout is not None:
        hl = read_labels(holdout)
        Xh, _ = feature_matrix(hl["file"], jobs=jobs, epoch_s=epoch_s, progress=progress, cache=cache)
        hl = hl.set_index("file").loc[Xh.index]
        card["heldout_metrics"] = evaluate(hl["label"], model.classes_, model.predict_proba(Xh),
                                           hl["subtypes"].tolist(), model.subtypes_,
                                           model.predict_subtype_proba(Xh))  # fmt: skip
    save_model(model, out, card)
    return card


def add_parser(subparsers) -> argparse.ArgumentParser:
    """Register ``train``.

    Parameters
    ----------
    subparsers : argparse._SubParsersAction
        The top-level sub-command registry.

    Returns
    -------
    parser : argparse.ArgumentParser
    """
    p = subparsers.add_parser(
        "train", help="train the classifier on a labels table and save it with its model card",
        description=__doc__.split("\n\n")[1], epilog="example:\n  eegpipe simulate corpus data/train "
        "--n 200 --seed 5000\n  eegpipe train data/train/labels.csv --out models/mine\n  eegpipe score "
        "sample_edf/ --model models/mine", formatter_class=argparse.RawDescriptionHelpFormatter,
    )  # fmt: skip
    p.add_argument("labels", nargs="+", type=Path, help="labels CSV file(s): file,label,subtypes[,subject]")
    p.add_argument("--out", type=Path, required=True, help="model folder to write (e.g. models/mine)")
    p.add_argument("--holdout", nargs="+", type=Path, help="labels CSV of held-out recordings to report metrics on")
    p.add_argument("--jobs", type=int, default=1, help="processes for feature extraction")
    p.add_argument("--epoch-s", type=float, default=10.0, help="epoch length in seconds")
    p.add_argument("--cache", type=Path, help="Parquet file caching extracted features between runs")
    p.add_argument("--kind", choices=("auto", "logistic", "hgb"), default="auto",
                   help="model family to choose from (default: every candidate, by grouped CV)")
    p.add_argument("--data-command", action="append", default=[], metavar="CMD",
                   help="command that made the training data, recorded in the model card (repeatable)")
    return p


def _train_command(argv: list[str]) -> str:
    """This ``eegpipe train`` command line, quoted, without its ``--data-command`` notes."""
    keep, skip = [], False
    for a in argv:
        if skip:
            skip = False
        elif a == "--data-command":
            skip = True
        elif not a.startswith("--data-command="):
            keep.append(a)
    return shlex.join(["eegpipe", *keep])


def run(args: argparse.Namespace) -> int:
    """Execute ``eegpipe train``.

    Parameters
    ----------
    args : argparse.Namespace
        Parsed arguments.

    Returns
    -------
    status : int
        0 on success, 1 on bad input.
    """
    try:
        cands = [c for c in CANDIDATES if args.kind in ("auto", c["kind"])]
        card = train(args.labels, args.out, holdout=args.holdout, jobs=args.jobs, epoch_s=args.epoch_s,
                     candidates=cands, cache=args.cache,
                     commands=[*args.data_command, _train_command(sys.argv[1:])],
                     progress=sys.stderr.isatty())  # fmt: skip
    except ValueError as err:
        print(f"eegpipe train: error: {err}", file=sys.stderr)
        return 1
    td = card["training_data"]
    print(f"trained {card['name']} on {td['recordings']} recordings ({td['failed_to_read']} unreadable); "
          f"chose {card['hyperparameters']['kind']} by grouped CV")  # fmt: skip
    for r in card["model_selection"]:
        print(f"  {r['params']}: log loss {r['cv_log_loss']}, AUC {r['cv_auc_abnormal']}, "
              f"mean subtype F1 {r['cv_mean_subtype_f1']}")  # fmt: skip
    ho = card.get("heldout_metrics")
    if ho:
        print(f"held-out ({ho['n']}): AUC {ho['auc_abnormal']['value']} {ho['auc_abnormal']['ci95']}, "
              f"sensitivity {ho['sensitivity']['value']}, specificity {ho['specificity']['value']}")  # fmt: skip
    print(f"saved {Path(args.out) / 'model.skops'} and its model card")
    return 0
